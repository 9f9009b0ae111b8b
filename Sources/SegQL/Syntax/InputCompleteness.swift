// Whether REPL input is ready to run, or the user is still typing.

/// Decides when the REPL should run what was typed instead of asking for more lines.
public enum InputCompleteness {
    /// True when every `(` and `[` is closed and the input does not end — ignoring
    /// trailing whitespace and comments — with an operator that needs more after it
    /// (`and`, `or`, `not`, `,`, `=`, a comparison, `:`, `in`, `matches`).
    ///
    /// A string that is still open counts as complete: strings end on their line, so no
    /// further line can close it, and running the input shows the "unterminated string"
    /// error at once. Likewise a stray `)` or `]` makes the input complete (and wrong).
    /// Whether a line that ends with a token of this kind goes on on the next line.
    public static func continuesLine(_ kind: TokenKind) -> Bool {
        switch kind {
        case .keyword(.and), .keyword(.or), .keyword(.not), .keyword(.in), .keyword(.matches), .comma, .colon:
            return true
        default:
            return kind.comparison != nil
        }
    }

    public static func isComplete(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        var lexer = Lexer(bytes: bytes)
        var open = 0
        var last: TokenKind?
        while true {
            let t = lexer.next()
            switch t.kind {
            case .endOfFile:
                if open > 0 { return false }
                return !(last.map(continuesLine) ?? false)
            case .leftParen, .leftBracket:
                open += 1
            case .rightParen, .rightBracket:
                open -= 1
                if open < 0 { return true }
            case .error where bytes[t.range.start] == UInt8(ascii: "\"") || bytes[t.range.start] == UInt8(ascii: "'"):
                return true  // an unterminated string
            default:
                break
            }
            last = t.kind
        }
    }
}
