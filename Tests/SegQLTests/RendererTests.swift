import Testing
@testable import SegQL

@Suite struct RendererTests {
    func render(_ text: String, _ d: Diagnostic, color: Bool = false) -> String {
        DiagnosticRenderer.render(d, in: SourceFile(name: "q.segq", text: text), color: color)
    }

    @Test func caretUnderTheWholeSpan() {
        #expect(render("opend(campaign: \"x\")", .error("unknown event 'opend'", at: SourceRange(0, 5))) == """
            q.segq:1:1: error: unknown event 'opend'
            opend(campaign: "x")
            ^~~~~
            """)
    }

    @Test func emptySpanIsOneCaret() {
        #expect(render("opened and", .error("expected a query after 'and'", at: .at(10))) == """
            q.segq:1:11: error: expected a query after 'and'
            opened and
                      ^
            """)
    }

    @Test func secondLineAndWarningSeverity() {
        #expect(render("a;\n  b c\n", .warning("careful", at: SourceRange(5, 6))) == """
            q.segq:2:3: warning: careful
              b c
              ^
            """)
    }

    @Test func spanOverSeveralLinesIsMarkedToTheEndOfTheFirst() {
        #expect(render("ab cd\nef", .error("e", at: SourceRange(3, 8))) == """
            q.segq:1:4: error: e
            ab cd
               ^~
            """)
    }

    @Test func notesWithAndWithoutRange() {
        let d = Diagnostic.error("'(' is never closed", at: SourceRange(0, 1), notes: [
            DiagnosticNote("add ')' here", range: .at(7)), DiagnosticNote("a note without a place"),
        ])
        #expect(render("(opened", d) == """
            q.segq:1:1: error: '(' is never closed
            (opened
            ^
            q.segq:1:8: note: add ')' here
            (opened
                   ^
            q.segq:1:1: note: a note without a place
            """)
    }

    @Test func suggestionUnderTheCaret() {
        #expect(render("x adn y", .error("e", at: SourceRange(2, 5), suggestion: "and")) == """
            q.segq:1:3: error: e
            x adn y
              ^~~
              and
            """)
    }

    @Test func tabsAreKeptSoTheCaretAligns() {
        #expect(render("\ta\tb = c", .error("e", at: SourceRange(3, 4))) == "q.segq:1:4: error: e\n\ta\tb = c\n\t \t^")
    }

    @Test func columnsCountCharacters() {
        #expect(render("åäö x", .error("e", at: SourceRange(7, 8))) == """
            q.segq:1:5: error: e
            åäö x
                ^
            """)
    }

    @Test func invalidUTF8AndControlCharactersShowAsReplacement() {
        let bytes: [UInt8] = [0x61, 0xFF, 0x00, 0x1B, 0x62, 0x20, 0x40]
        let file = SourceFile(name: "b", bytes: bytes)
        let text = DiagnosticRenderer.render(.error("e", at: SourceRange(6, 7)), in: file, color: false)
        #expect(text == "b:1:7: error: e\na\u{FFFD}\u{FFFD}\u{FFFD}b @\n      ^")
        #expect(!text.contains("\u{1B}"))
    }

    @Test func windowsCRLFLineEndingsAreNotShown() {
        #expect(render("ab\r\ncd", .error("e", at: SourceRange(0, 2))) == "q.segq:1:1: error: e\nab\n^~")
    }

    @Test func longLinesShowAWindowAroundTheSpan() {
        let line = String(repeating: "x", count: 10_000_000) + " @ " + String(repeating: "y", count: 1000)
        let text = render(line, .error("e", at: SourceRange(10_000_001, 10_000_002)))
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines[0] == "q.segq:1:10000002: error: e")
        #expect(lines[1].hasPrefix("…xxx") && lines[1].hasSuffix("yyy…"))
        #expect(lines[1].count == DiagnosticRenderer.window + 2)
        #expect(lines[2].firstIndex(of: "^").map { lines[2].distance(from: lines[2].startIndex, to: $0) }
                == lines[1].firstIndex(of: "@").map { lines[1].distance(from: lines[1].startIndex, to: $0) })
        // A span that is itself 10 MB long gets a caret line no longer than the window.
        let wide = render(line, .error("e", at: SourceRange(0, 10_000_000)))
        #expect(wide.count < 3 * DiagnosticRenderer.window)
    }

    @Test func colorUsesClangStyles() {
        let d = Diagnostic.error("bad", at: SourceRange(0, 1), suggestion: "ok")
        let text = render("x", d, color: true)
        #expect(text == "\u{1B}[1mq.segq:1:1: \u{1B}[1;31merror:\u{1B}[0m\u{1B}[1m bad\u{1B}[0m\nx\n\u{1B}[1;32m^\u{1B}[0m\n\u{1B}[1;32mok\u{1B}[0m")
        #expect(render("x", .warning("w", at: SourceRange(0, 1)), color: true).contains("\u{1B}[1;35mwarning:"))
        let note = Diagnostic.error("e", at: SourceRange(0, 1), notes: [DiagnosticNote("n")])
        #expect(render("x", note, color: true).contains("\u{1B}[1;30mnote:"))
    }

    @Test func rangesPastTheEndAreClamped() {
        #expect(render("ab", .error("e", at: SourceRange(5, 9))) == "q.segq:1:3: error: e\nab\n  ^")
        #expect(render("", .error("e", at: .at(0))) == "q.segq:1:1: error: e\n\n^")
    }

    @Test func severalDiagnosticsAreJoined() {
        let file = SourceFile(name: "q.segq", text: "a")
        let both = DiagnosticRenderer.render([.error("one", at: .at(0)), .error("two", at: .at(1))], in: file, color: false)
        #expect(both == "q.segq:1:1: error: one\na\n^\nq.segq:1:2: error: two\na\n ^")
    }
}
