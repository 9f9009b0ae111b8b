// A token is a kind plus a byte range into the source, as in clox and SQLite's tokenizer:
// the lexer never copies text. The parser slices identifiers and decodes strings and
// numbers only when it builds a tree node from them.

/// What a token is.
public enum TokenKind: Hashable, Sendable, CustomStringConvertible {
    /// A name: an ASCII or Unicode letter or `_`, then letters, digits or `_`.
    /// Contextual keywords, event verbs and nouns and argument names are identifiers too.
    case identifier
    /// A reserved keyword: `and or not in matches exists true false` (any case).
    case keyword(Keyword)
    /// `"…"` or `'…'`; the range includes the quotes. See `Lexer.stringValue(of:in:)`.
    case string
    /// `42` or `-3`.
    case integer
    /// `2.5` or `-0.75`.
    case decimal
    /// `30d`: an integer immediately followed by `m`, `h`, `d`, `w`, `mo` or `y`.
    case duration
    /// `=`
    case equal
    /// `!=`
    case notEqual
    /// `<`
    case less
    /// `<=`
    case lessOrEqual
    /// `>`
    case greater
    /// `>=`
    case greaterOrEqual
    /// `(`
    case leftParen
    /// `)`
    case rightParen
    /// `[`
    case leftBracket
    /// `]`
    case rightBracket
    /// `,`
    case comma
    /// `:`
    case colon
    /// `;`
    case semicolon
    /// `..` (between the two durations of a range)
    case dotDot
    /// The end of the input (an empty range at its end).
    case endOfFile
    /// Text the lexer could not make a token of; the lexer has already reported why.
    case error

    // comparison = "=" | "!=" | "<" | "<=" | ">" | ">=" ;
    /// The comparison operator this token is, if it is one.
    public var comparison: ComparisonOperator? {
        switch self {
        case .equal: .equal
        case .notEqual: .notEqual
        case .less: .less
        case .lessOrEqual: .lessOrEqual
        case .greater: .greater
        case .greaterOrEqual: .greaterOrEqual
        default: nil
        }
    }

    /// A short name for tests and dumps (`identifier`, `keyword(and)`, `'('`).
    public var description: String {
        switch self {
        case .identifier: "identifier"
        case .keyword(let k): "keyword(\(k.spelling))"
        case .string: "string"
        case .integer: "integer"
        case .decimal: "decimal"
        case .duration: "duration"
        case .equal: "'='"
        case .notEqual: "'!='"
        case .less: "'<'"
        case .lessOrEqual: "'<='"
        case .greater: "'>'"
        case .greaterOrEqual: "'>='"
        case .leftParen: "'('"
        case .rightParen: "')'"
        case .leftBracket: "'['"
        case .rightBracket: "']'"
        case .comma: "','"
        case .colon: "':'"
        case .semicolon: "';'"
        case .dotDot: "'..'"
        case .endOfFile: "end of input"
        case .error: "error"
        }
    }
}

// The grammar's token classes (see grammar/segql.ebnf):
// IDENTIFIER = identifier - RESERVED ;
// STRING = string ;
// INTEGER = integer ;
// DECIMAL = decimal ;
// DURATION = duration ;

/// A token: its kind and the UTF-8 byte range it spans.
public struct Token: Hashable, Sendable {
    /// What it is.
    public var kind: TokenKind
    /// Where it is.
    public var range: SourceRange
    /// For an identifier that spells a word of the language, its index in
    /// `Vocabulary.words` (else -1): the lexer looks it up once for the parser.
    var wordIndex: Int16 = -1
    /// Whether a line break lies between this token and the one before it.
    public internal(set) var afterLineBreak = false

    /// Creates a token.
    public init(_ kind: TokenKind, _ range: SourceRange) {
        self.kind = kind
        self.range = range
    }

    init(_ kind: TokenKind, _ range: SourceRange, wordIndex: Int) {
        self.kind = kind
        self.range = range
        self.wordIndex = Int16(truncatingIfNeeded: wordIndex)
    }

    /// The token's source text (invalid UTF-8 replaced by U+FFFD).
    public func text(in bytes: [UInt8]) -> String {
        let end = min(range.end, bytes.count)
        let start = min(range.start, end)
        return String(decoding: bytes[start..<end], as: UTF8.self)
    }
}
