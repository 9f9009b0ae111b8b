import Foundation
import SegQL
@testable import SegSession
import SegStore
import Testing

/// docs/architecture.md § One query through the pipeline shows one query's form at every
/// stage. Each form is regenerated here by the code's own printers, on ActionsFixture's
/// store, and compared with the fenced block under its marker (`<!-- stage: tokens -->`),
/// so the walk cannot drift from the code. Re-record the blocks with
/// `SEGQ_RECORD=1 swift test --filter ArchitectureDoc` and review the diff.
@Suite struct ArchitectureDocTests {
    /// The query the document follows: an event on a campaign, the negation of a click
    /// on a link, and an attribute — three sets, three different indexes.
    static let query = #"opened(campaign: "Spring Sale") and not clicked(link: "/pricing") and country = "NO""#

    static let document = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("docs/architecture.md")

    /// Each stage's text, by marker name, in pipeline order.
    static func stages() throws -> [(name: String, text: String)] {
        let file = SourceFile(name: "query.segq", text: query)
        let bytes = Array(query.utf8)

        // Lexer: each token as the lexer tests show it (`kind:text`), with its byte range.
        let (tokens, lexed) = Lexer.tokenize(file)
        #expect(lexed.isEmpty)
        let tokenLines = tokens.map { "\($0.kind):\($0.text(in: bytes)) @\($0.range)" }

        // Parser: the tree dump of the golden files (Tests/SegQLTests/Golden/trees).
        let (statements, parsed) = Parser.parseScript(file)
        #expect(parsed.isEmpty)
        let statement = try #require(statements.first)
        guard case .query(let q) = statement.kind else { throw ArchitectureDocError.notAQuery }

        // Binder, planner, renderer: compiled by the session, as `segq run` does.
        let f = try ActionsFixture()
        let compiled = try f.session.compile(q, projection: .contacts(limit: nil), in: file)
        let program = try #require(compiled.program, "the planner chose \(compiled.plan.strategy), not bitmaps")
        let explained = try f.session.explanation(of: compiled, program: program, databasePlans: false)
        let split = try #require(explained.range(of: "\nset [1]: "), "no set in:\n\(explained)")
        let plan = String(explained[..<split.lowerBound]) + "\n"
        let sql = String(explained[explained.index(after: split.lowerBound)...])

        // The session: the rows `segq run --format table` writes.
        let rows = try Self.tableRows(of: file, on: f.temp.store, now: f.session.fixedNow)

        return [
            ("source", query + "\n"),
            ("tokens", tokenLines.joined(separator: "\n") + "\n"),
            ("tree", TreeDump.dump(statement, ranges: true) + "\n"),
            ("bound", BoundDump.dump(compiled.bound) + "\n"),
            ("plan", plan),
            ("sql", sql),
            ("rows", rows),
        ]
    }

    /// What a script of `file` writes in table format.
    static func tableRows(of file: SourceFile, on store: Store, now: Int64?) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("segq-rows-\(UUID().uuidString).txt").path
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        guard fd >= 0 else { throw ArchitectureDocError.cannotWrite(path) }
        defer { unlink(path) }
        do {
            defer { close(fd) }
            let writer = ResultWriter(format: .table, sink: ByteSink(fileDescriptor: fd))
            let session = Session(store: store, output: writer, mode: .script) { _ in }
            session.fixedNow = now
            try session.run(file)
            writer.sink.flush()
        }
        return try String(contentsOfFile: path, encoding: .utf8)
    }

    @Test(.enabled(if: TemporaryStore.postgres == nil, "the walk shows SQLite's SQL"))
    func theWalkThroughThePipelineIsWhatTheCodePrints() throws {
        let stages = try Self.stages()
        let text = try String(contentsOf: Self.document, encoding: .utf8)
        var blocks = try DocumentBlocks(text)
        #expect(Set(blocks.names) == Set(stages.map(\.name)),
                "docs/architecture.md has stage markers \(blocks.names); the test writes \(stages.map(\.name))")
        if ProcessInfo.processInfo.environment["SEGQ_RECORD"] == "1" {
            for s in stages { try blocks.replace(s.name, with: s.text) }
            try blocks.text.write(to: Self.document, atomically: true, encoding: .utf8)
            return
        }
        for s in stages {
            let documented = try blocks.content(of: s.name)
            guard documented != s.text else { continue }
            Issue.record("""
                docs/architecture.md, stage '\(s.name)' differs from what the code prints \
                (- the document, + the code); re-record with SEGQ_RECORD=1 and review the diff:
                \(lineDiff(documented, s.text))
                """)
        }
    }

    /// The blocks are found, replaced and diffed as the test needs.
    @Test func documentBlocksAreFoundAndReplaced() throws {
        let text = "a\n<!-- stage: x -->\n```text\nold\n```\nb\n<!-- stage: y -->\n\n```segql\nq\n```\n"
        var blocks = try DocumentBlocks(text)
        #expect(blocks.names == ["x", "y"])
        #expect(try blocks.content(of: "x") == "old\n")
        try blocks.replace("x", with: "new\nlines\n")
        #expect(blocks.text == "a\n<!-- stage: x -->\n```text\nnew\nlines\n```\nb\n<!-- stage: y -->\n\n```segql\nq\n```\n")
        #expect(throws: ArchitectureDocError.self) { try DocumentBlocks("<!-- stage: x -->\ntext\n") }
        #expect(lineDiff("a\nb\nc\n", "a\nB\nc\n") == "  a\n- b\n+ B\n  c")
        #expect(lineDiff("x\n", "x  \n") == "- x\n+ x··")
    }
}

enum ArchitectureDocError: Error, CustomStringConvertible {
    case notAQuery
    case cannotWrite(String)
    case noBlock(marker: String, line: Int)
    case unknownStage(String)

    var description: String {
        switch self {
        case .notAQuery: "the document's query did not parse as a query"
        case .cannotWrite(let path): "cannot write \(path)"
        case let .noBlock(marker, line): "docs/architecture.md:\(line): '\(marker)' is not followed by a fenced block"
        case .unknownStage(let name): "docs/architecture.md has no stage marker '\(name)'"
        }
    }
}

/// The fenced blocks of a Markdown text that follow `<!-- stage: NAME -->` markers (blank
/// lines may come between), with the line ranges of their contents.
struct DocumentBlocks {
    private(set) var lines: [String]
    /// Stage name → the range of content lines (between the fences).
    private var ranges: [(name: String, range: Range<Int>)] = []

    init(_ text: String) throws {
        lines = text.components(separatedBy: "\n")
        var i = 0
        while i < lines.count {
            let line = lines[i].trimmingCharacters(in: .whitespaces)
            guard line.hasPrefix("<!-- stage: "), line.hasSuffix(" -->") else {
                i += 1
                continue
            }
            let name = String(line.dropFirst("<!-- stage: ".count).dropLast(" -->".count))
            var open = i + 1
            while open < lines.count, lines[open].trimmingCharacters(in: .whitespaces).isEmpty { open += 1 }
            guard open < lines.count, lines[open].hasPrefix("```"),
                  let close = lines[(open + 1)...].firstIndex(where: { $0 == "```" }) else {
                throw ArchitectureDocError.noBlock(marker: line, line: i + 1)
            }
            ranges.append((name, (open + 1)..<close))
            i = close + 1
        }
    }

    var names: [String] { ranges.map(\.name) }
    var text: String { lines.joined(separator: "\n") }

    func content(of name: String) throws -> String {
        guard let r = ranges.first(where: { $0.name == name })?.range else { throw ArchitectureDocError.unknownStage(name) }
        return lines[r].map { $0 + "\n" }.joined()
    }

    mutating func replace(_ name: String, with content: String) throws {
        guard let k = ranges.firstIndex(where: { $0.name == name }) else { throw ArchitectureDocError.unknownStage(name) }
        let old = ranges[k].range
        var new = content.components(separatedBy: "\n")
        if new.last == "" { new.removeLast() }
        lines.replaceSubrange(old, with: new)
        let shift = new.count - old.count
        ranges[k].range = old.lowerBound..<(old.lowerBound + new.count)
        for j in ranges.indices where ranges[j].range.lowerBound > old.lowerBound {
            ranges[j].range = (ranges[j].range.lowerBound + shift)..<(ranges[j].range.upperBound + shift)
        }
    }
}

/// A line diff of `a` and `b` (a longest common subsequence): `  ` kept, `- ` only in
/// `a`, `+ ` only in `b`. Trailing spaces are shown as `·`, so that a line an editor
/// trimmed does not look the same as the line the code prints.
func lineDiff(_ a: String, _ b: String) -> String {
    func split(_ s: String) -> [String] {
        var ls = s.components(separatedBy: "\n")
        if ls.last == "" { ls.removeLast() }
        return ls
    }
    func shown(_ line: String) -> String {
        let body = line.reversed().drop { $0 == " " }.reversed()
        return String(body) + String(repeating: "·", count: line.count - body.count)
    }
    let x = split(a), y = split(b)
    var lcs = Array(repeating: Array(repeating: 0, count: y.count + 1), count: x.count + 1)
    for i in stride(from: x.count - 1, through: 0, by: -1) {
        for j in stride(from: y.count - 1, through: 0, by: -1) {
            lcs[i][j] = x[i] == y[j] ? lcs[i + 1][j + 1] + 1 : max(lcs[i + 1][j], lcs[i][j + 1])
        }
    }
    var out: [String] = []
    var i = 0, j = 0
    while i < x.count || j < y.count {
        if i < x.count, j < y.count, x[i] == y[j] {
            out.append("  " + shown(x[i])); i += 1; j += 1
        } else if i < x.count, j == y.count || lcs[i + 1][j] >= lcs[i][j + 1] {
            out.append("- " + shown(x[i])); i += 1
        } else {
            out.append("+ " + shown(y[j])); j += 1
        }
    }
    return out.joined(separator: "\n")
}
