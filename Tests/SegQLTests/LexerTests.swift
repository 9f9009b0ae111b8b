import Testing
@testable import SegQL

/// The tokens of `text` as `kind:text`, without the final end of file.
private func tokens(_ text: String) -> String {
    tokens(Array(text.utf8))
}

private func tokens(_ bytes: [UInt8]) -> String {
    let (ts, _) = Lexer.tokenize(SourceFile(name: "t", bytes: bytes))
    return ts.dropLast().map { "\($0.kind):\($0.text(in: bytes))" }.joined(separator: " ")
}

private func lexErrors(_ bytes: [UInt8]) -> [Diagnostic] {
    Lexer.tokenize(SourceFile(name: "t", bytes: bytes)).diagnostics
}

@Suite struct LexerTests {
    // MARK: Every token kind

    @Test(arguments: [
        // identifiers, ASCII and Unicode, and contextual keywords (which stay identifiers)
        ("abc _x1 A9", "identifier:abc identifier:_x1 identifier:A9"),
        ("Ålder född_år", "identifier:Ålder identifier:född_år"),
        ("e\u{301}tat", "identifier:e\u{301}tat"),
        ("count show limit segment list none campaign message", "identifier:count identifier:show identifier:limit identifier:segment identifier:list identifier:none identifier:campaign identifier:message"),
        ("opened opens received", "identifier:opened identifier:opens identifier:received"),
        // reserved keywords, in any case
        ("and OR Not iN matches EXISTS true False",
         "keyword(and):and keyword(or):OR keyword(not):Not keyword(in):iN keyword(matches):matches keyword(exists):EXISTS keyword(true):true keyword(false):False"),
        ("andy notes", "identifier:andy identifier:notes"),
        // strings, both quotes
        (#""Spring Sale" 'it' ''"#, #"string:"Spring Sale" string:'it' string:''"#),
        // numbers
        ("0 42 -3 007", "integer:0 integer:42 integer:-3 integer:007"),
        ("2.5 -0.75 10.0", "decimal:2.5 decimal:-0.75 decimal:10.0"),
        ("30d 12h 2w 15m", "duration:30d duration:12h duration:2w duration:15m"),
        ("6mo 1y 12MO", "duration:6mo duration:1y error:12MO"),
        // operators and punctuation
        ("= != < <= > >=", "'=':= '!=':!= '<':< '<=':<= '>':> '>=':>="),
        ("a>=2", "identifier:a '>=':>= integer:2"),
        ("( ) [ ] , : ;", "'(':( ')':) '[':[ ']':] ',':, ':':: ';':;"),
        ("x=-5", "identifier:x '=':= integer:-5"),
        // trivia
        ("", ""),
        ("  \t\r\n\u{0B}\u{0C} ", ""),
        ("a # comment\nb -- another\nc", "identifier:a identifier:b identifier:c"),
        ("#!/usr/bin/env -S segq run\nopened", "identifier:opened"),
        ("x=--5", "identifier:x '=':="),
        ("\u{FEFF}opened", "identifier:opened"),
    ])
    func tokenKinds(source: String, expected: String) {
        #expect(tokens(source) == expected)
    }

    @Test func endOfFileIsAnEmptyRangeAtTheEnd() {
        let (ts, _) = Lexer.tokenize(SourceFile(name: "t", text: "ab "))
        #expect(ts.map(\.kind) == [.identifier, .endOfFile])
        #expect(ts[1].range == SourceRange(3, 3))
        // and it keeps coming
        var lexer = Lexer(bytes: Array("x".utf8))
        _ = lexer.next()
        #expect(lexer.next().kind == .endOfFile)
        #expect(lexer.next().kind == .endOfFile)
    }

    @Test func tokensCarryByteRanges() {
        let text = "é = \"å\""
        let (ts, _) = Lexer.tokenize(SourceFile(name: "t", text: text))
        #expect(ts.map(\.range) == [SourceRange(0, 2), SourceRange(3, 4), SourceRange(5, 9), SourceRange(9, 9)])
    }

    // MARK: Values

    @Test(arguments: [
        (#""plain""#, "plain"),
        (#"'single'"#, "single"),
        (#""a\"b""#, "a\"b"),
        (#"'a\'b'"#, "a'b"),
        (#""back\\slash""#, "back\\slash"),
        (#""line\nbreak""#, "line\nbreak"),
        (#""tab\there""#, "tab\there"),
        (#""\u{e9}t\u{E9}""#, "été"),
        (#""\u{1F600}""#, "😀"),
        (#""\u{0}""#, "\u{0}"),
        (#"'say "hi"'"#, "say \"hi\""),
        (#""it's""#, "it's"),
        (#""""#, ""),
        (#""Örebro 😀""#, "Örebro 😀"),
    ])
    func escapes(literal: String, value: String) {
        let bytes = Array(literal.utf8)
        let (ts, diagnostics) = Lexer.tokenize(SourceFile(name: "t", bytes: bytes))
        #expect(diagnostics.isEmpty)
        #expect(ts[0].kind == .string)
        #expect(Lexer.stringValue(of: ts[0], in: bytes) == value)
    }

    @Test func numberValues() throws {
        func first(_ s: String) -> (Token, [UInt8]) {
            let bytes = Array(s.utf8)
            return (Lexer.tokenize(SourceFile(name: "t", bytes: bytes)).tokens[0], bytes)
        }
        let (i, ib) = first("-9223372036854775808")
        #expect(Lexer.integerValue(of: i, in: ib) == Int64.min)
        let (j, jb) = first("9223372036854775807")
        #expect(Lexer.integerValue(of: j, in: jb) == Int64.max)
        let (d, db) = first("-0.125")
        #expect(Lexer.decimalValue(of: d, in: db) == -0.125)
        let (u, ub) = first("45m")
        let duration = try #require(Lexer.durationValue(of: u, in: ub))
        #expect(duration.amount == 45 && duration.unit == .minutes)
        // asking for the wrong kind gives nil
        #expect(Lexer.integerValue(of: d, in: db) == nil)
        #expect(Lexer.durationValue(of: i, in: ib) == nil)
    }

    // MARK: Every error

    @Test(arguments: [
        ("@", "unexpected character '@'", 0, 1, "error"),
        ("a @@@ b", "unexpected character '@'", 2, 5, "identifier:a error:@@@ identifier:b"),
        ("\u{0}", "unexpected character U+0000", 0, 1, "error"),
        ("\u{A0}", "unexpected character U+00A0", 0, 2, "error"),
        ("§x", "unexpected character '§' (U+00A7)", 0, 2, "error:§ identifier:x"),
        ("!opened", "unexpected character '!'; write 'not' to negate a query, or '!=' for not equal", 0, 1, "error:! identifier:opened"),
        ("a && b", "unexpected character '&'; use 'and'", 2, 4, "identifier:a error:&& identifier:b"),
        ("a || b", "unexpected character '|'; use 'or'", 2, 4, "identifier:a error:|| identifier:b"),
        (".5", "unexpected character '.'", 0, 1, "error:. integer:5"),
        ("x = \"abc\nnext", "unterminated string", 4, 8, "identifier:x '=':= error:\"abc identifier:next"),
        ("'abc", "unterminated string", 0, 4, "error"),
        ("\"abc\r\n", "unterminated string", 0, 4, "error"),
        (#""a\qb""#, #"invalid escape '\q' in string; use \", \', \\, \n, \t or \u{…}"#, 2, 4, "string"),
        (#""a\éb""#, #"invalid escape '\é' in string; use \", \', \\, \n, \t or \u{…}"#, 2, 5, "string"),
        (#""\u{110000}""#, #"invalid escape '\u{110000}'; write 1 to 8 hex digits naming a Unicode scalar, e.g. '\u{e9}'"#, 1, 11, "string"),
        (#""\u{D800}""#, #"invalid escape '\u{D800}'; write 1 to 8 hex digits naming a Unicode scalar, e.g. '\u{e9}'"#, 1, 9, "string"),
        (#""\u{}""#, #"invalid escape '\u{}'; write 1 to 8 hex digits naming a Unicode scalar, e.g. '\u{e9}'"#, 1, 5, "string"),
        (#""\u{123456789}""#, #"invalid escape '\u{123456789}'; write 1 to 8 hex digits naming a Unicode scalar, e.g. '\u{e9}'"#, 1, 14, "string"),
        (#""\u41""#, #"invalid escape '\u'; write 1 to 8 hex digits naming a Unicode scalar, e.g. '\u{e9}'"#, 1, 3, "string"),
        ("30x", "invalid duration unit 'x' in '30x'; use m (minutes), h (hours), d (days), w (weeks), mo (months) or y (years)", 0, 3, "error"),
        ("30days", "invalid duration unit 'days' in '30days'; use m (minutes), h (hours), d (days), w (weeks), mo (months) or y (years)", 0, 6, "error"),
        ("30D", "invalid duration unit 'D' in '30D'; use m (minutes), h (hours), d (days), w (weeks), mo (months) or y (years)", 0, 3, "error"),
        ("-30d", "a duration cannot be negative", 0, 4, "error"),
        ("6mos", "invalid duration unit 'mos' in '6mos'; use m (minutes), h (hours), d (days), w (weeks), mo (months) or y (years)", 0, 4, "error"),
        ("1yr", "invalid duration unit 'yr' in '1yr'; use m (minutes), h (hours), d (days), w (weeks), mo (months) or y (years)", 0, 3, "error"),
        ("-6mo", "a duration cannot be negative", 0, 4, "error"),
        ("1.5y", "invalid number '1.5y'", 0, 4, "error"),
        ("2.5d", "invalid number '2.5d'", 0, 4, "error"),
        ("99999999999999999999", "integer '99999999999999999999' is too large (the largest is 9223372036854775807)", 0, 20, "error"),
        ("99999999999999999999d", "integer '99999999999999999999d' is too large (the largest is 9223372036854775807)", 0, 21, "error"),
        ("a == 1", "'==' is not an operator; use '=' to compare", 2, 4, "identifier:a '=':== integer:1"),
        ("a <> 1", "'<>' is not an operator; use '!=' for not equal", 2, 4, "identifier:a '!=':<> integer:1"),
    ])
    func errors(source: String, message: String, start: Int, end: Int, kinds: String) throws {
        let bytes = Array(source.utf8)
        let d = try #require(lexErrors(bytes).first)
        #expect(d.message == message)
        #expect(d.range == SourceRange(start, end))
        #expect(d.severity == .error)
        // The token stream around the error (kinds, with the text for multi-token cases).
        let stream = tokens(bytes)
        if kinds.contains(" ") || kinds.contains(":") {
            #expect(stream == kinds)
        } else {
            #expect(stream.hasPrefix(kinds))
        }
    }

    @Test func unterminatedStringHasANoteAtTheEndOfTheLine() throws {
        let d = try #require(lexErrors(Array("x = 'abc\n".utf8)).first)
        #expect(d.notes == [DiagnosticNote(
            "a string ends on the line where it starts; add the closing \"'\" here", range: .at(8))])
    }

    @Test func backslashAtTheEndOfALineIsABadEscapeAndLeavesTheStringOpen() {
        let ds = lexErrors(Array("\"abc\\\nx".utf8))
        #expect(ds.map(\.message) == [
            #"invalid escape '\' in string; use \", \', \\, \n, \t or \u{…}"#, "unterminated string",
        ])
    }

    @Test func invalidUTF8() {
        let outside: [UInt8] = [0x61, 0x20, 0xFF, 0xFE, 0x20, 0x62]
        #expect(lexErrors(outside).map(\.message) == ["unexpected character (invalid UTF-8 byte 0xFF)"])
        #expect(lexErrors(outside).map(\.range) == [SourceRange(2, 4)])
        #expect(tokens(outside).hasPrefix("identifier:a error"))

        let inside: [UInt8] = [0x22, 0x61, 0xC0, 0xAF, 0x62, 0x22]  // an overlong '/'
        #expect(lexErrors(inside).map(\.message) == ["invalid UTF-8 in string"])
        #expect(lexErrors(inside).map(\.range) == [SourceRange(2, 4)])
        let (ts, _) = Lexer.tokenize(SourceFile(name: "t", bytes: inside))
        #expect(ts[0].kind == .string)
        #expect(Lexer.stringValue(of: ts[0], in: inside) == "a\u{FFFD}\u{FFFD}b")

        // Surrogates encoded in UTF-8 and truncated sequences are invalid too.
        #expect(lexErrors([0xED, 0xA0, 0x80]).count == 1)
        #expect(lexErrors([0x22, 0xE2, 0x82, 0x22]).map(\.message) == ["invalid UTF-8 in string"])
    }

    @Test func decimalOutOfRange() {
        let huge = "1" + String(repeating: "0", count: 400) + ".5"
        #expect(lexErrors(Array(huge.utf8)).map(\.message) == ["number '" + String(huge.prefix(32)) + "…' is out of range"])
    }

    @Test func errorsStopAtTheLimit() {
        let text = Array(repeating: "@", count: 150).joined(separator: " ") + " opened"
        let ds = lexErrors(Array(text.utf8))
        #expect(ds.count == Lexer.maximumErrors + 1)
        #expect(ds.last?.message == "too many errors (100); stopping here")
        // after stopping, only end of file
        #expect(tokens(text).split(separator: " ").count == Lexer.maximumErrors + 1)
    }

    @Test func longTokensMakeShortMessages() throws {
        let digits = String(repeating: "9", count: 100_000)
        let d = try #require(lexErrors(Array(digits.utf8)).first)
        #expect(d.message.count < 120)
        #expect(d.range == SourceRange(0, 100_000))
    }
}
