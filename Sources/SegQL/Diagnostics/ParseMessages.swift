// Every message the lexer and parser report, in one place, so that the wording stays
// consistent: say what is wrong, then what would be right.

/// The texts of the lexer's and parser's diagnostics.
enum ParseMessages {
    // MARK: Lexer

    static func unexpectedCharacter(_ what: String, hint: String? = nil) -> String {
        "unexpected character \(what)" + (hint.map { "; \($0)" } ?? "")
    }
    static func dotCommand(_ name: String) -> String {
        "'\(name)' is a command of the prompt, not a statement: type it on a line of its own in 'segq repl' (or 'segq' on a terminal), where no statement is left open"
    }
    static let unterminatedString = "unterminated string"
    static func unterminatedStringNote(_ quote: String) -> String {
        "a string ends on the line where it starts; add the closing \(quote) here"
    }
    static func invalidEscape(_ escape: String) -> String {
        "invalid escape '\(escape)' in string; use \\\", \\', \\\\, \\n, \\t or \\u{…}"
    }
    static func invalidUnicodeEscape(_ escape: String) -> String {
        "invalid escape '\(escape)'; write 1 to 8 hex digits naming a Unicode scalar, e.g. '\\u{e9}'"
    }
    static let invalidUTF8InString = "invalid UTF-8 in string"
    static func invalidDurationUnit(_ unit: String, in literal: String) -> String {
        "invalid duration unit '\(unit)' in '\(literal)'; use m (minutes), h (hours), d (days), w (weeks), mo (months) or y (years)"
    }
    static func lineEndedStatement(_ op: String) -> String {
        "the line before was a complete statement, so the line break ended it; to go on, end that line with '\(op)'"
    }
    static let negativeDuration = "a duration cannot be negative"
    static func invalidNumber(_ literal: String) -> String { "invalid number '\(literal)'" }
    static func integerTooLarge(_ literal: String) -> String {
        "integer '\(literal)' is too large (the largest is \(Int64.max))"
    }
    static func decimalOutOfRange(_ literal: String) -> String { "number '\(literal)' is out of range" }
    static let doubleEquals = "'==' is not an operator; use '=' to compare"
    static let lessGreater = "'<>' is not an operator; use '!=' for not equal"
    static func tooManyErrors(_ n: Int) -> String { "too many errors (\(n)); stopping here" }

    // MARK: Parser — queries

    static func expectedQuery(after context: String) -> String { "expected a query after \(context)" }
    static func expectedQuery(found: String) -> String { "expected a query, found \(found)" }
    static func stringIsNotAQueryNote(_ literal: String) -> String {
        "to use a saved segment write 'segment \(literal)', or a saved list 'list \(literal)'"
    }
    static let nestsTooDeeply = "query nests too deeply (more than \(Parser.maximumDepth) levels)"
    static let tooManyOperators = "query has more than \(Parser.maximumOperators) 'and'/'or' operators; "
        + "to test a field against many values use 'in [...]'"
    static func neverClosed(_ opener: String) -> String { "'\(opener)' is never closed" }
    static func expectedClosing(_ closer: String, opener: String) -> String {
        "expected '\(closer)' to close '\(opener)'"
    }
    static func openedHere(_ opener: String) -> String { "'\(opener)' opened here" }
    static func endsHere(_ closer: String) -> String { "add '\(closer)' here" }

    static func unknownEvent(_ word: String, suggestion: String?) -> String {
        "unknown event '\(word)'" + (suggestion.map { "; did you mean '\($0)'?" } ?? "")
    }
    static let eventsNote = "events are " + EventKind.allCases.map { "'\($0.verb)'" }.joined(separator: ", ")
        + " and their counts " + EventKind.allCases.map { "'\($0.noun)'" }.joined(separator: ", ")
    static func eventCompared(_ verb: String, noun: String) -> String {
        "'\(verb)' cannot be compared; to count events use '\(noun)', e.g. '\(noun) >= 2'"
    }
    static func expectedComparison(after noun: String) -> String {
        "expected a comparison after '\(noun)', e.g. '\(noun) >= 1'"
    }
    static func expectedCount(after op: String) -> String { "expected a non-negative integer after '\(op)'" }

    static func expectedArgumentName(found: String) -> String { "expected an argument name, found \(found)" }
    static func expectedArgumentName(after context: String) -> String {
        "expected an argument name after \(context)"
    }
    static func positionalArgument(_ literal: String) -> String {
        "expected an argument name before \(literal); did you mean 'campaign: \(literal)'?"
    }
    static func unknownArgument(_ word: String, suggestion: String?) -> String {
        "unknown argument '\(word)'" + (suggestion.map { "; did you mean '\($0)'?" } ?? "")
    }
    static let argumentsNote = "arguments are " + ArgumentName.allCases.map { "'\($0.rawValue)'" }
        .joined(separator: ", ")
    static func expectedColon(after name: String) -> String { "expected ':' after argument name '\(name)'" }
    static func expectedArgumentSeparator(in what: String) -> String {
        "expected ',' or ')' after an argument of '\(what)'"
    }
    static func expectedValue(after context: String) -> String { "expected a value after \(context)" }
    static func expectedDate(after context: String) -> String { "expected a date after \(context), such as \"2026-03-01\"" }
    static func recordedNeedsSegment() -> String {
        "'as recorded' reads a saved segment's recorded history: diff segment \"s\" from \"DATE\" to \"DATE\" as recorded"
    }
    static func expectedAsOfDate() -> String { "expected a date after 'as of', such as \"2026-03-01\"" }
    static func expectedDuration(after context: String) -> String { "expected a duration after \(context), as in 90d..30d" }
    static func expectedListSeparator() -> String { "expected ',' or ']' in the list" }

    static func expectedLiteral(after op: String) -> String {
        "expected a string, number, true or false after '\(op)'"
    }
    static func unquotedString(after op: String, word: String) -> String {
        "expected a value after '\(op)'; did you mean '\"\(word)\"'?"
    }
    static func expectedListAfterIn() -> String { "expected '[' after 'in', e.g. 'plan in [\"pro\", \"team\"]'" }
    static func expectedPattern() -> String {
        "expected a string pattern after 'matches', e.g. 'email matches \"*@example.com\"'"
    }

    // MARK: Parser — statements

    static func unexpectedAfterQuery(_ found: String, expected: [String]) -> String {
        "unexpected \(found) after the query; expected \(alternatives(expected))"
    }
    static func unexpectedAfterQuery(_ found: String, suggestion: String) -> String {
        "unexpected \(found) after the query; did you mean '\(suggestion)'?"
    }
    static func unexpectedAfterStatement(_ found: String) -> String {
        "unexpected \(found) after the statement; expected ';'"
    }
    static func unknownStatement(_ word: String, suggestion: String) -> String {
        "unknown statement '\(word)'; did you mean '\(suggestion)'?"
    }
    static func expectedKeyword(_ keyword: String, after context: String) -> String {
        "expected '\(keyword)' after \(context)"
    }
    static func expectedOneOf(_ keywords: [String], after context: String) -> String {
        "expected \(alternatives(keywords)) after \(context)"
    }
    static func expectedName(after context: String) -> String {
        "expected a name (an identifier or a string) after \(context)"
    }
    static func expectedContact() -> String {
        "expected a contact after 'why': an e-mail or phone in quotes, or a contact id, e.g. 'why \"ana@example.com\" in openers'"
    }
    static func overlapNeedsTwo() -> String {
        "expected ',' and another audience: 'overlap' compares two or more, e.g. 'overlap openers, clickers'"
    }
    static func overlapOperandInParentheses() -> String {
        "an audience of 'overlap' with 'and' or 'or' is written in parentheses, e.g. 'overlap (openers and clickers), segment \"vip\"'"
    }
    static func overlapTooMany(_ n: Int) -> String { "'overlap' compares at most \(n) audiences" }
    static func expectedPath() -> String {
        "expected a file name in quotes after 'to', e.g. 'to \"contacts.csv\"'"
    }
    static func expectedLimit() -> String { "expected a non-negative integer after 'limit'" }
    static func expectedMessageNumber() -> String { "expected a message number (1 or more) after 'message'" }
    static func expectedAudience() -> String {
        "expected an audience after 'for': a name, or '(QUERY) as \"label\"'"
    }
    static func eventAsName(_ word: String) -> String {
        "'\(word)' is an event and cannot name an alias; choose another name"
    }
    static func expectedToAfterQuery() -> String {
        "expected 'to' and a file name after the query, e.g. 'to \"contacts.csv\"'"
    }

    // MARK: Helpers

    /// `'a'`, `'a' or 'b'`, `'a', 'b' or 'c'`.
    static func alternatives(_ items: [String]) -> String {
        let quoted = items.map { "'\($0)'" }
        switch quoted.count {
        case 0: return "nothing"
        case 1: return quoted[0]
        default: return quoted.dropLast().joined(separator: ", ") + " or " + (quoted.last ?? "")
        }
    }

    /// How a message names a token: `'clicked'`, `')'`, `end of input`, `string "x"`.
    /// Long texts are cut short so that a 10 MB token cannot make a 10 MB message.
    static func describe(_ token: Token, in bytes: [UInt8]) -> String {
        switch token.kind {
        case .endOfFile: return "end of input"
        case .string: return "string " + snippet(bytes, token.range)
        case .error: return "invalid text"
        default: return "'" + snippet(bytes, token.range) + "'"
        }
    }

    /// The source text of `range`, at most `limit` characters, with `…` when cut.
    static func snippet(_ bytes: [UInt8], _ range: SourceRange, limit: Int = 32) -> String {
        let end = min(range.end, bytes.count)
        var i = min(range.start, end)
        var text = ""
        var characters = 0
        while i < end {
            if characters == limit { return text + "…" }
            let n = SourceFile.scalarLength(bytes, at: i)
            text += String(decoding: bytes[i..<min(i + n, end)], as: UTF8.self)
            i += n
            characters += 1
        }
        return text
    }
}
