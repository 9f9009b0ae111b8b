import Foundation
import SegSession
import Testing
@testable import SegREPL

/// Completion that needs more than the text (files), and the rest of the prompt: history
/// entries; `.once`/`.output` targets; table rows cut to the terminal.
struct PromptExtrasTests {
    @Test func anOpenStatementIsNotADotCommand() {
        // A dot on a continued line is the language's (an error there), not a dot-command.
        #expect(!Completer.complete("opened and\n.li", names: names).candidates.contains(".links"))
    }

    @Test func filesAfterReadOnceOutputAndOpen() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("segq-files-\(getpid())")
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("queries"), withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try "".write(to: dir.appendingPathComponent("winback.segq"), atomically: true, encoding: .utf8)
        try "".write(to: dir.appendingPathComponent(".hidden"), atomically: true, encoding: .utf8)
        let base = dir.path + "/"
        let all = Completer.complete(".read " + base, names: names)
        #expect(all.candidates == [base + "queries/", base + "winback.segq"])
        let one = Completer.complete(".once \"" + base + "w", names: names)
        #expect(one.candidates == [base + "winback.segq"] && one.terminator == "\"")
        // A directory goes on: no closing quote.
        #expect(Completer.complete(".output \"" + base + "q", names: names).terminator == "")
        #expect(Completer.complete(".open " + base + ".h", names: names).candidates == [base + ".hidden"])
    }

    @Test func historyKeepsTheLinesAsTyped() {
        #expect(LineEditor.historyEntry("opened and -- who opened  \nnot clicked\n") == "opened and -- who opened\nnot clicked")
        #expect(LineEditor.historyEntry("\n  count everyone \t\n\n") == "  count everyone")
        #expect(LineEditor.historyEntry("a\r\nb") == "a\nb")
    }

    @Test(arguments: [
        ("out.csv", OutputTarget.file("out.csv")),
        ("  '/tmp/a b.csv' ", .file("/tmp/a b.csv")),
        ("|sort -u", .command("sort -u")),
        ("'|wc -l > x'", .command("wc -l > x")),
        ("| less -S", .command("less -S")),
    ] as [(String, OutputTarget)])
    func outputTargets(_ argument: String, _ target: OutputTarget) {
        #expect(REPL.outputTarget(argument) == target)
    }

    @Test func outputTargetsRejected() {
        #expect(REPL.outputTarget("a b") == nil)
        #expect(REPL.outputTarget("") == nil)
    }

    @Test func pagerCommand() {
        #expect(REPL.pagerCommand(environment: ["PAGER": "most"]) == "most")
        #expect(REPL.pagerCommand(environment: ["PAGER": " ", "PATH": "/nonexistent"]) == nil)
    }

    @Test func shellQuoting() {
        #expect(REPL.shellQuoted("/tmp/it's.segq") == #"'/tmp/it'\''s.segq'"#)
    }

    @Test func tableRowsAreCutToTheWidth() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("segq-cut-\(getpid()).txt").path
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        defer { unlink(path) }
        let writer = ResultWriter(format: .table, sink: ByteSink(fileDescriptor: fd))
        writer.tableWidth = 12
        writer.beginRows(columns: ["id", "url"])
        writer.row([.integer(1), .text("https://example.com/a")])
        writer.row([.integer(22), .text("/b")])
        writer.endRows()
        close(fd)
        let text = try String(contentsOfFile: path, encoding: .utf8)
        #expect(text == "id  url\n──  ───────…\n1   https:/…\n22  /b\n")
    }
}

struct HighlighterTests {
    let b = Highlighter.bold, r = Highlighter.reset, g = Highlighter.green, y = Highlighter.yellow
    let u = Highlighter.unknown, d = Highlighter.dim

    @Test func keywordsStringsNumbersAndUnknownNames() {
        let text = #"count opened(within: 30d) and plann = "pro" and orders >= 3 -- hi"#
        let shown = Highlighter.highlight(text) { ["plan", "orders"].contains($0) }
        #expect(shown == "\(b)count\(r) \(b)opened\(r)(\(b)within\(r): \(y)30d\(r)) \(b)and\(r) \(u)plann\(r) = \(g)\"pro\"\(r) \(b)and\(r) orders >= \(y)3\(r) \(d)-- hi\(r)")
    }

    @Test func namesBeingDefinedAreNotUnknown() {
        let shown = Highlighter.highlight("let fans = clickers; save or replace segment new_one = fans and vip") { $0 == "vip" }
        #expect(!shown.contains(u))
        #expect(Highlighter.highlight("fans and vip") { $0 == "vip" }.hasPrefix("\(u)fans\(r)"))
    }

    @Test func theTextIsKeptLineForLine() {
        let text = "opened and -- who\n  not clicked"
        let shown = Highlighter.highlight(text) { _ in false }
        #expect(shown.split(separator: "\n").count == 2)
        let plain = shown.replacingOccurrences(of: "\u{1B}\\[[0-9;]*m", with: "", options: .regularExpression)
        #expect(plain == text)
    }

    @Test func displayWidth() {
        // As segq runs: a UTF-8 locale (LineEditor sets one).
        setlocale(LC_CTYPE, "C.UTF-8")
        #expect(LineEditor.displayWidth("Cléo") == 4)
        #expect(LineEditor.displayWidth("a\tb") == nil)
    }
}

struct LiveCountTests {
    @Test(arguments: [
        ("opened and not clicked", true),
        ("count openers", true),
        ("show clickers limit 3", true),
        ("save list \"x\" = openers", true),
        ("opened and", false),                       // incomplete
        ("opened and )", false),                     // a syntax error
        ("count openers as of \"2026-03-01\"", false), // not the audience now
        ("use campaign \"Spring Sale\"", false),
        ("openers; clickers", false),                // two statements
        ("", false),
    ])
    func whatIsCounted(_ text: String, _ counted: Bool) {
        #expect((LiveCount.countableQuery(text) != nil) == counted)
    }
}
