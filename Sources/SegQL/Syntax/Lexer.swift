// The lexer turns UTF-8 bytes into tokens on demand, one `next()` at a time, so the
// parser never holds more than a few tokens and a 10 MB input costs no token array.
//
// It works on `[UInt8]` and never indexes a `String`: every byte is looked at a bounded
// number of times, so lexing is linear in the input. Any byte sequence is accepted —
// NUL bytes, invalid UTF-8, a 10 MB line — and whatever is not a token becomes an
// `.error` token with a diagnostic. The parser stays quiet about `.error` tokens (the
// lexer has already said what is wrong), which keeps one typo from causing a cascade.
//
// Some mistakes have an obvious meaning (`==` for `=`, `<>` for `!=`, a bad escape in
// an otherwise well-formed string): the lexer reports them and still returns the
// intended token, so the parser can check the rest of the statement.
//
// The lexical rules in the comments match `grammar/segql.ebnf`.
//
// One file, though long: the lexer is one state machine over the input's bytes, and
// its scanning functions share the cursor and the diagnostics, so a token is followed
// from its first byte to its last in one place (as in SQLite's tokenize.c).

/// Splits SegQL source bytes into tokens and collects lexical diagnostics.
public struct Lexer: Sendable {
    /// The source bytes.
    public let bytes: [UInt8]
    /// Where the next token starts looking.
    public private(set) var offset: Int = 0
    /// Diagnostics collected so far, in the order found.
    public private(set) var diagnostics: [Diagnostic] = []
    /// Whether the error limit was reached; `next()` then returns only end of file.
    public private(set) var stopped = false
    /// How many errors are collected before the lexer (and so the parser) gives up.
    public static let maximumErrors = 100

    /// How many errors have been collected.
    public private(set) var errorCount = 0

    /// Creates a lexer over `bytes`; a UTF-8 byte order mark at the start is skipped.
    public init(bytes: [UInt8]) {
        self.bytes = bytes
        if bytes.count >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF { offset = 3 }
    }

    /// All tokens of `file` up to and including end of file, and the lexical diagnostics.
    public static func tokenize(_ file: SourceFile) -> (tokens: [Token], diagnostics: [Diagnostic]) {
        var lexer = Lexer(bytes: file.bytes)
        var tokens: [Token] = []
        while true {
            let t = lexer.next()
            tokens.append(t)
            if t.kind == .endOfFile { break }
        }
        return (tokens, lexer.diagnostics)
    }

    /// Records a diagnostic; past `maximumErrors` errors, records one last error and stops.
    mutating func report(_ d: Diagnostic) {
        guard !stopped else { return }
        if d.severity == .error {
            if errorCount == Lexer.maximumErrors {
                diagnostics.append(.error(ParseMessages.tooManyErrors(Lexer.maximumErrors), at: d.range))
                stopped = true
                return
            }
            errorCount += 1
        }
        diagnostics.append(d)
    }

    // MARK: Tokens

    /// The next token; `.endOfFile` forever once the input (or the error budget) is used up.
    public mutating func next() -> Token {
        let before = offset
        skipTrivia()
        var t = token()
        t.afterLineBreak = bytes[before..<max(before, t.range.start)].contains(0x0A)
        return t
    }

    private mutating func token() -> Token {
        let start = offset
        guard !stopped, start < bytes.count else { return Token(.endOfFile, .at(bytes.count)) }
        let b = bytes[start]
        switch b {
        case _ where Lexer.isIdentifierStart(b):
            return identifier()
        case UInt8(ascii: "0")...UInt8(ascii: "9"):
            return number()
        case UInt8(ascii: "-") where start + 1 < bytes.count && Lexer.isDigit(bytes[start + 1]):
            return number()
        case UInt8(ascii: "\""), UInt8(ascii: "'"):
            return string()
        case UInt8(ascii: "="):
            if peekByte(1) == UInt8(ascii: "=") {
                return reportedOperator(.equal, length: 2, ParseMessages.doubleEquals, fix: "=")
            }
            return single(.equal)
        case UInt8(ascii: "!"):
            if peekByte(1) == UInt8(ascii: "=") { offset += 2; return Token(.notEqual, SourceRange(start, offset)) }
            return unexpected(hint: "write 'not' to negate a query, or '!=' for not equal")
        case UInt8(ascii: "<"):
            switch peekByte(1) {
            case UInt8(ascii: "="): offset += 2; return Token(.lessOrEqual, SourceRange(start, offset))
            case UInt8(ascii: ">"): return reportedOperator(.notEqual, length: 2, ParseMessages.lessGreater, fix: "!=")
            default: return single(.less)
            }
        case UInt8(ascii: ">"):
            if peekByte(1) == UInt8(ascii: "=") { offset += 2; return Token(.greaterOrEqual, SourceRange(start, offset)) }
            return single(.greater)
        case UInt8(ascii: "("): return single(.leftParen)
        case UInt8(ascii: ")"): return single(.rightParen)
        case UInt8(ascii: "["): return single(.leftBracket)
        case UInt8(ascii: "]"): return single(.rightBracket)
        case UInt8(ascii: ","): return single(.comma)
        case UInt8(ascii: ":"): return single(.colon)
        case UInt8(ascii: ";"): return single(.semicolon)
        case UInt8(ascii: ".") where peekByte(1) == UInt8(ascii: "."):
            offset += 2
            return Token(.dotDot, SourceRange(start, offset))
        case UInt8(ascii: ".") where Lexer.startsLine(bytes, at: start) && Lexer.isLetter(peekByte(1)):
            // `.links` typed into `segq run -c` or a script: a command of the prompt.
            var end = start + 1
            while end < bytes.count && Lexer.isLetter(bytes[end]) { end += 1 }
            let name = String(decoding: bytes[start..<end], as: UTF8.self)
            return unexpected(hint: ParseMessages.dotCommand(name))
        case UInt8(ascii: "&"): return unexpected(hint: "use 'and'")
        case UInt8(ascii: "|"): return unexpected(hint: "use 'or'")
        default:
            if b >= 0x80, let n = Lexer.validUTF8Length(bytes, start),
               Lexer.isIdentifierScalar(Lexer.scalar(bytes, start, n), first: true) {
                return identifier()
            }
            return unexpected(hint: nil)
        }
    }

    private func peekByte(_ ahead: Int) -> UInt8? {
        offset + ahead < bytes.count ? bytes[offset + ahead] : nil
    }

    private mutating func single(_ kind: TokenKind) -> Token {
        offset += 1
        return Token(kind, SourceRange(offset - 1, offset))
    }

    /// A mistaken operator with one obvious meaning: report it, return the meant token.
    private mutating func reportedOperator(_ kind: TokenKind, length: Int, _ message: String, fix: String) -> Token {
        let range = SourceRange(offset, offset + length)
        offset += length
        report(.error(message, at: range, suggestion: fix))
        return Token(kind, range)
    }

    // MARK: Trivia

    // comment = ( "#" | "--" ) { ? any byte but a line break ? } ;
    /// Skips whitespace and comments (`#` or `--` to the end of the line).
    private mutating func skipTrivia() {
        while offset < bytes.count {
            switch bytes[offset] {
            case 0x20, 0x09, 0x0A, 0x0D, 0x0B, 0x0C:
                offset += 1
            case UInt8(ascii: "#"):
                skipToEndOfLine()
            case UInt8(ascii: "-") where peekByte(1) == UInt8(ascii: "-"):
                skipToEndOfLine()
            default:
                return
            }
        }
    }

    private mutating func skipToEndOfLine() {
        while offset < bytes.count && bytes[offset] != 0x0A { offset += 1 }
    }

    // MARK: Identifiers

    // identifier = letter { letter | digit | mark } ;
    // letter = "A" … "Z" | "a" … "z" | "_" | ? a Unicode letter ? ;
    // digit = "0" … "9" ;
    // mark = ? a Unicode combining mark or decimal digit ? ;
    /// An identifier, or a reserved keyword spelled in any case.
    private mutating func identifier() -> Token {
        let start = offset
        offset = identifierEnd(from: offset)
        let range = SourceRange(start, offset)
        guard let index = Vocabulary.index(bytes, range) else { return Token(.identifier, range) }
        if let keyword = Vocabulary.words[index].keyword, keyword.isReserved {
            return Token(.keyword(keyword), range)
        }
        return Token(.identifier, range, wordIndex: index)
    }

    /// The end of the run of identifier characters starting at `i`.
    private func identifierEnd(from i: Int) -> Int {
        var i = i
        while i < bytes.count {
            let b = bytes[i]
            if b < 0x80 {
                guard Lexer.isIdentifierStart(b) || Lexer.isDigit(b) else { break }
                i += 1
            } else {
                guard let n = Lexer.validUTF8Length(bytes, i),
                      Lexer.isIdentifierScalar(Lexer.scalar(bytes, i, n), first: false) else { break }
                i += n
            }
        }
        return i
    }

    // MARK: Numbers

    // integer = [ "-" ] digit { digit } ;
    // decimal = [ "-" ] digit { digit } "." digit { digit } ;
    // duration = digit { digit } unit ;
    // unit = "m" | "h" | "d" | "w" | "mo" | "y" ;
    /// An integer, a decimal or a duration. Letters glued to a number must be one unit.
    private mutating func number() -> Token {
        let start = offset
        var i = start
        let negative = bytes[i] == UInt8(ascii: "-")
        if negative { i += 1 }
        let digitsStart = i
        while i < bytes.count && Lexer.isDigit(bytes[i]) { i += 1 }
        let digitsEnd = i
        var isDecimal = false
        if i + 1 < bytes.count && bytes[i] == UInt8(ascii: ".") && Lexer.isDigit(bytes[i + 1]) {
            isDecimal = true
            i += 1
            while i < bytes.count && Lexer.isDigit(bytes[i]) { i += 1 }
        }
        let suffixStart = i
        i = identifierEnd(from: i)
        offset = i
        let range = SourceRange(start, i)
        var literal: String { ParseMessages.snippet(bytes, range) }  // only errors need it

        if i > suffixStart {
            let isUnit = !isDecimal && Lexer.durationUnit(bytes, suffixStart, i) != nil
            if isUnit && negative {
                report(.error(ParseMessages.negativeDuration, at: range))
            } else if isUnit {
                guard Lexer.integer(bytes, digitsStart, digitsEnd, negative: false) != nil else {
                    report(.error(ParseMessages.integerTooLarge(literal), at: range))
                    return Token(.error, range)
                }
                return Token(.duration, range)
            } else if isDecimal {
                report(.error(ParseMessages.invalidNumber(literal), at: range))
            } else {
                let unit = ParseMessages.snippet(bytes, SourceRange(suffixStart, i))
                report(.error(ParseMessages.invalidDurationUnit(unit, in: literal), at: range))
            }
            return Token(.error, range)
        }
        if isDecimal {
            guard Lexer.decimal(bytes, range) != nil else {
                report(.error(ParseMessages.decimalOutOfRange(literal), at: range))
                return Token(.error, range)
            }
            return Token(.decimal, range)
        }
        guard Lexer.integer(bytes, digitsStart, digitsEnd, negative: negative) != nil else {
            report(.error(ParseMessages.integerTooLarge(literal), at: range))
            return Token(.error, range)
        }
        return Token(.integer, range)
    }

    /// The value of the digits `bytes[start..<end]`, or nil when it does not fit `Int64`.
    static func integer(_ bytes: [UInt8], _ start: Int, _ end: Int, negative: Bool) -> Int64? {
        var value: Int64 = 0
        for i in start..<end {
            let digit = Int64(bytes[i] &- UInt8(ascii: "0"))
            let (shifted, o1) = value.multipliedReportingOverflow(by: 10)
            let (next, o2) = negative ? shifted.subtractingReportingOverflow(digit) : shifted.addingReportingOverflow(digit)
            if o1 || o2 { return nil }
            value = next
        }
        return value
    }

    /// The value of a decimal literal, or nil when it is not finite.
    static func decimal(_ bytes: [UInt8], _ range: SourceRange) -> Double? {
        guard let d = Double(String(decoding: bytes[range.start..<range.end], as: UTF8.self)), d.isFinite else {
            return nil
        }
        return d
    }

    /// The value of an `.integer` token.
    public static func integerValue(of token: Token, in bytes: [UInt8]) -> Int64? {
        guard token.kind == .integer else { return nil }
        let negative = bytes[token.range.start] == UInt8(ascii: "-")
        return integer(bytes, token.range.start + (negative ? 1 : 0), token.range.end, negative: negative)
    }

    /// The value of a `.decimal` token.
    public static func decimalValue(of token: Token, in bytes: [UInt8]) -> Double? {
        token.kind == .decimal ? decimal(bytes, token.range) : nil
    }

    /// The amount and unit of a `.duration` token.
    public static func durationValue(of token: Token, in bytes: [UInt8]) -> (amount: Int64, unit: DurationUnit)? {
        guard token.kind == .duration else { return nil }
        var digitsEnd = token.range.start
        while digitsEnd < token.range.end && isDigit(bytes[digitsEnd]) { digitsEnd += 1 }
        guard let amount = integer(bytes, token.range.start, digitsEnd, negative: false),
              let unit = durationUnit(bytes, digitsEnd, token.range.end)
        else { return nil }
        return (amount, unit)
    }

    /// The duration unit spelled exactly by `bytes[start..<end]` (`d`, `mo`), if any.
    static func durationUnit(_ bytes: [UInt8], _ start: Int, _ end: Int) -> DurationUnit? {
        guard end - start == 1 || end - start == 2, bytes[start..<end].allSatisfy({ $0 < 0x80 }) else { return nil }
        return DurationUnit(rawValue: String(decoding: bytes[start..<end], as: UTF8.self))
    }

    // MARK: Strings

    // string = '"' { character | escape | "'" } '"' | "'" { character | escape | '"' } "'" ;
    // character = ? any UTF-8 character but a quote, "\" or a line break ? ;
    // escape = "\" ( '"' | "'" | "\" | "n" | "t" | "u{" hex { hex } "}" ) ;
    // hex = digit | "a" … "f" | "A" … "F" ;
    /// A string literal. An unterminated one is an `.error` token reaching to the end of
    /// its line; a bad escape or invalid UTF-8 inside is reported but keeps the token.
    private mutating func string() -> Token {
        let start = offset
        var found: [Diagnostic] = []
        let scan = Lexer.scanString(bytes, from: start, decode: false, diagnostics: &found)
        for d in found { report(d) }
        offset = scan.end
        return Token(scan.terminated ? .string : .error, SourceRange(start, scan.end))
    }

    /// The decoded value of a `.string` token (escapes resolved; anything the lexer
    /// reported as invalid is kept as written, with invalid UTF-8 as U+FFFD).
    public static func stringValue(of token: Token, in bytes: [UInt8]) -> String {
        let inner = SourceRange(token.range.start + 1, max(token.range.start + 1, token.range.end - 1))
        guard inner.end <= bytes.count else { return "" }
        if !bytes[inner.start..<inner.end].contains(UInt8(ascii: "\\")) {
            return String(decoding: bytes[inner.start..<inner.end], as: UTF8.self)
        }
        var ignored: [Diagnostic] = []  // the lexer reported them
        let scan = scanString(bytes, from: token.range.start, decode: true, diagnostics: &ignored)
        return String(decoding: scan.value, as: UTF8.self)
    }

    /// Scans the string literal whose opening quote is at `start`: where it ends, whether
    /// it was closed on its line, and (if asked) its decoded bytes. Problems go to `diagnostics`.
    static func scanString(
        _ bytes: [UInt8], from start: Int, decode: Bool, diagnostics: inout [Diagnostic]
    ) -> (end: Int, terminated: Bool, value: [UInt8]) {
        let quote = bytes[start]
        var value: [UInt8] = []
        var i = start + 1
        while true {
            guard i < bytes.count, bytes[i] != 0x0A, bytes[i] != 0x0D else {
                let quoteText = quote == UInt8(ascii: "\"") ? "'\"'" : "\"'\""
                diagnostics.append(.error(
                    ParseMessages.unterminatedString, at: SourceRange(start, i),
                    notes: [DiagnosticNote(ParseMessages.unterminatedStringNote(quoteText), range: .at(i))]
                ))
                return (i, false, value)
            }
            let b = bytes[i]
            if b == quote { return (i + 1, true, value) }
            if b == UInt8(ascii: "\\") {
                i = escape(bytes, at: i, decode: decode, into: &value, diagnostics: &diagnostics)
            } else if b < 0x80 {
                if decode { value.append(b) }
                i += 1
            } else if let n = validUTF8Length(bytes, i) {
                if decode { value.append(contentsOf: bytes[i..<i + n]) }
                i += n
            } else {
                let badStart = i
                while i < bytes.count && bytes[i] >= 0x80 && validUTF8Length(bytes, i) == nil { i += 1 }
                diagnostics.append(.error(ParseMessages.invalidUTF8InString, at: SourceRange(badStart, i)))
                if decode { value.append(contentsOf: [0xEF, 0xBF, 0xBD]) }
            }
        }
    }

    /// Decodes the escape whose backslash is at `i`; returns the offset after it.
    private static func escape(
        _ bytes: [UInt8], at i: Int, decode: Bool, into value: inout [UInt8], diagnostics: inout [Diagnostic]
    ) -> Int {
        guard i + 1 < bytes.count, bytes[i + 1] != 0x0A, bytes[i + 1] != 0x0D else {
            diagnostics.append(.error(ParseMessages.invalidEscape("\\"), at: SourceRange(i, i + 1)))
            return i + 1  // the line ends next, which makes the string unterminated
        }
        let simple: UInt8?
        switch bytes[i + 1] {
        case UInt8(ascii: "\""): simple = UInt8(ascii: "\"")
        case UInt8(ascii: "'"): simple = UInt8(ascii: "'")
        case UInt8(ascii: "\\"): simple = UInt8(ascii: "\\")
        case UInt8(ascii: "n"): simple = 0x0A
        case UInt8(ascii: "t"): simple = 0x09
        case UInt8(ascii: "u"): simple = nil
        default:
            let n = validUTF8Length(bytes, i + 1) ?? 1
            let range = SourceRange(i, i + 1 + n)
            diagnostics.append(.error(ParseMessages.invalidEscape(ParseMessages.snippet(bytes, range)), at: range))
            if decode { value.append(contentsOf: bytes[i..<i + 1 + n]) }
            return i + 1 + n
        }
        if let simple {
            if decode { value.append(simple) }
            return i + 2
        }
        // \u{hex…}
        var j = i + 2
        var scalarValue: UInt32 = 0
        var digits = 0
        var ok = j < bytes.count && bytes[j] == UInt8(ascii: "{")
        if ok {
            j += 1
            while j < bytes.count, let h = hexValue(bytes[j]), digits < 9 {
                scalarValue = scalarValue &* 16 &+ UInt32(h)
                digits += 1
                j += 1
            }
            ok = j < bytes.count && bytes[j] == UInt8(ascii: "}") && (1...8).contains(digits)
            if j < bytes.count && bytes[j] == UInt8(ascii: "}") { j += 1 }
        }
        if ok, let scalar = Unicode.Scalar(scalarValue) {
            if decode { value.append(contentsOf: Array(String(Character(scalar)).utf8)) }
            return j
        }
        let range = SourceRange(i, j)
        diagnostics.append(.error(ParseMessages.invalidUnicodeEscape(ParseMessages.snippet(bytes, range)), at: range))
        if decode { value.append(contentsOf: bytes[i..<j]) }
        return j
    }

    // MARK: Unexpected characters

    /// An `.error` token for a run of characters that start no token, reported once.
    private mutating func unexpected(hint: String?) -> Token {
        let start = offset
        let what = Lexer.describeCharacter(bytes, at: start)
        offset += Lexer.validUTF8Length(bytes, start) ?? 1
        if hint != nil {
            // `&&`, `||`, `!!`: one error for the run.
            while offset < bytes.count && bytes[offset] == bytes[start] { offset += 1 }
        } else {
            while offset < bytes.count && Lexer.startsNoToken(bytes, at: offset) {
                offset += Lexer.validUTF8Length(bytes, offset) ?? 1
            }
        }
        let range = SourceRange(start, offset)
        report(.error(ParseMessages.unexpectedCharacter(what, hint: hint), at: range))
        return Token(.error, range)
    }

    /// Whether only spaces and tabs stand before `i` on its line.
    static func startsLine(_ bytes: [UInt8], at i: Int) -> Bool {
        var j = i - 1
        while j >= 0, bytes[j] == UInt8(ascii: " ") || bytes[j] == UInt8(ascii: "\t") { j -= 1 }
        return j < 0 || bytes[j] == UInt8(ascii: "\n") || bytes[j] == UInt8(ascii: "\r")
    }

    /// An ASCII letter (nil: the end of input).
    static func isLetter(_ b: UInt8?) -> Bool {
        guard let b else { return false }
        return (b >= 0x61 && b <= 0x7A) || (b >= 0x41 && b <= 0x5A)
    }

    /// Whether the character at `i` can start neither a token nor trivia.
    static func startsNoToken(_ bytes: [UInt8], at i: Int) -> Bool {
        let b = bytes[i]
        if b < 0x80 {
            if isIdentifierStart(b) || isDigit(b) { return false }
            switch b {
            case 0x20, 0x09, 0x0A, 0x0D, 0x0B, 0x0C: return false
            case UInt8(ascii: "\""), UInt8(ascii: "'"), UInt8(ascii: "="), UInt8(ascii: "!"),
                 UInt8(ascii: "<"), UInt8(ascii: ">"), UInt8(ascii: "("), UInt8(ascii: ")"),
                 UInt8(ascii: "["), UInt8(ascii: "]"), UInt8(ascii: ","), UInt8(ascii: ":"),
                 UInt8(ascii: ";"), UInt8(ascii: "#"), UInt8(ascii: "-"), UInt8(ascii: "&"),
                 UInt8(ascii: "|"):
                return false
            default: return true
            }
        }
        guard let n = validUTF8Length(bytes, i) else { return true }
        return !isIdentifierScalar(scalar(bytes, i, n), first: true)
    }

    /// How a message names the character at `i`: `'@'`, `U+0000`, `(invalid UTF-8 byte 0xFF)`.
    static func describeCharacter(_ bytes: [UInt8], at i: Int) -> String {
        guard let n = validUTF8Length(bytes, i) else { return "(invalid UTF-8 byte 0x\(hex(bytes[i], width: 2)))" }
        let s = scalar(bytes, i, n)
        let code = "U+" + hex(s.value, width: 4)
        switch s.properties.generalCategory {
        case .control, .format, .spaceSeparator, .lineSeparator, .paragraphSeparator, .unassigned,
             .privateUse, .surrogate:
            return code
        default:
            return s.isASCII ? "'\(Character(s))'" : "'\(Character(s))' (\(code))"
        }
    }

    // MARK: Character classes

    @inline(__always) static func isDigit(_ b: UInt8) -> Bool { b >= 0x30 && b <= 0x39 }

    @inline(__always) static func isIdentifierStart(_ b: UInt8) -> Bool {
        (b >= 0x61 && b <= 0x7A) || (b >= 0x41 && b <= 0x5A) || b == 0x5F
    }

    /// Whether a non-ASCII scalar may appear in an identifier.
    static func isIdentifierScalar(_ s: Unicode.Scalar, first: Bool) -> Bool {
        if s.properties.isAlphabetic { return true }
        if first { return false }
        switch s.properties.generalCategory {
        case .nonspacingMark, .spacingMark, .decimalNumber: return true
        default: return false
        }
    }

    private static func hexValue(_ b: UInt8) -> UInt8? {
        switch b {
        case 0x30...0x39: b - 0x30
        case 0x41...0x46: b - 0x41 + 10
        case 0x61...0x66: b - 0x61 + 10
        default: nil
        }
    }

    static func hex<T: BinaryInteger>(_ v: T, width: Int) -> String {
        let digits = String(v, radix: 16, uppercase: true)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }

    /// Length of the well-formed UTF-8 sequence at `i` (Unicode table 3-7), or nil.
    static func validUTF8Length(_ bytes: [UInt8], _ i: Int) -> Int? {
        let b0 = bytes[i]
        if b0 < 0x80 { return 1 }
        var lo: UInt8 = 0x80, hi: UInt8 = 0xBF
        let n: Int
        switch b0 {
        case 0xC2...0xDF: n = 2
        case 0xE0: n = 3; lo = 0xA0
        case 0xE1...0xEC, 0xEE...0xEF: n = 3
        case 0xED: n = 3; hi = 0x9F
        case 0xF0: n = 4; lo = 0x90
        case 0xF1...0xF3: n = 4
        case 0xF4: n = 4; hi = 0x8F
        default: return nil
        }
        guard i + n <= bytes.count, bytes[i + 1] >= lo, bytes[i + 1] <= hi else { return nil }
        for k in 2..<max(2, n) where bytes[i + k] & 0xC0 != 0x80 { return nil }
        return n
    }

    /// The scalar of the well-formed `n`-byte sequence at `i`.
    static func scalar(_ bytes: [UInt8], _ i: Int, _ n: Int) -> Unicode.Scalar {
        var v: UInt32
        switch n {
        case 1: v = UInt32(bytes[i])
        case 2: v = UInt32(bytes[i] & 0x1F)
        case 3: v = UInt32(bytes[i] & 0x0F)
        default: v = UInt32(bytes[i] & 0x07)
        }
        for k in 1..<max(1, n) { v = v << 6 | UInt32(bytes[i + k] & 0x3F) }
        return Unicode.Scalar(v) ?? "\u{FFFD}"
    }
}
