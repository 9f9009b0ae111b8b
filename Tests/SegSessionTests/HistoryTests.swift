// Saved segments' membership history (#20): what `save segment` and imports record,
// `history segment NAME` (chart, JSON, JSON Lines), `diff … as recorded`, and the
// statements' text and errors. On PostgreSQL too when SEGQ_TEST_POSTGRES is set.

import Foundation
import SegQL
@testable import SegSession
import SegStore
import Testing

@Suite(.serialized) struct HistoryTests {
    static let t1 = ActionsFixture.sentAt + 3 * 86_400  // 2026-03-04T09:00:00Z, the fixture's now
    static let t2 = t1 + 5 * 86_400                      // 2026-03-09T09:00:00Z
    static let t3 = t2 + 60

    /// Two segments saved at t1, an import at t2, the first replaced at t3.
    static func fixture() throws -> ActionsFixture {
        let f = try ActionsFixture(now: t1)
        #expect(f.run(#"save segment readers = opened(within: 7d); save segment se_readers = segment readers and country = "SE""#) == nil)
        let line = #"{"record":"event","kind":"opened","contact":"cy@example.com","campaign":"Spring Sale","ts":"2026-03-09T08:00:00Z"}"#
        let summary = try Importer(store: f.temp.store, options: ImportOptions(now: t2)).run([.text(line + "\n", name: "more.jsonl")])
        #expect(summary.committed)
        f.session.fixedNow = t3
        #expect(f.run("save or replace segment readers = opened") == nil)
        return f
    }

    func emails(_ f: ActionsFixture, _ ids: [Int64]?) throws -> [String]? {
        try ids?.map { id in try f.temp.store.database.text("SELECT email FROM contacts WHERE id = ?1", [.integer(id)]) ?? "?" }
    }

    @Test func savesAndImportsAreRecordedAndReplayed() throws {
        let f = try Self.fixture()
        let store = f.temp.store
        let readers = try #require(try SegmentHistory.evaluations(of: "readers", in: store))
        #expect(readers.map { "\($0.at) \($0.cause) \($0.members) +\($0.joins) -\($0.leaves)" } == [
            "\(Self.t1) save 2 +2 -0", "\(Self.t2) import 1 +1 -2", "\(Self.t3) replace 3 +2 -0",
        ])
        // A segment that uses a replaced one is evaluated with it.
        let se = try #require(try SegmentHistory.evaluations(of: "se_readers", in: store))
        #expect(se.map { "\($0.at) \($0.cause) \($0.members) +\($0.joins) -\($0.leaves)" } == [
            "\(Self.t1) save 1 +1 -0", "\(Self.t2) import 1 +1 -1", "\(Self.t3) replace 2 +1 -0",
        ])
        let at = try SegmentHistory.members(of: "readers", at: [Self.t1 - 1, Self.t1, Self.t2, Self.t3], in: store)
        #expect(try at.map { try emails(f, $0) } == [
            nil, ["ana@example.com", "bo@example.com"], ["cy@example.com"],
            ["ana@example.com", "bo@example.com", "cy@example.com"],
        ])
        // The last recorded members are the segment's members now.
        #expect(try f.members("segment readers") == ["ana@example.com", "bo@example.com", "cy@example.com"])
        #expect(try f.members("segment se_readers") == ["ana@example.com", "cy@example.com"])
    }

    @Test func historyIsAChartOfSizeOverTime() throws {
        let f = try Self.fixture()
        #expect(f.run("history segment readers") == nil)
        let text = try #require(f.output.texts.last)
        #expect(text == """
            segment "readers": 3 evaluations, 2026-03-04T09:00:00Z to 2026-03-09T09:01:00Z, 3 contacts now
            evaluated at          cause    members  joined  left
            2026-03-04T09:00:00Z  save           2      +2    -0  \(String(repeating: "#", count: 17))
            2026-03-09T09:00:00Z  import         1      +1    -2  \(String(repeating: "#", count: 9))
            2026-03-09T09:01:00Z  replace        3      +2    -0  \(String(repeating: "#", count: 26))
            """)
        // As wide as asked (the terminal), never narrower than the bars' minimum.
        let evaluations = try #require(try SegmentHistory.evaluations(of: "readers", in: f.temp.store))
        for width in [40, 60, 120] {
            let lines = HistoryRenderer.text(evaluations, segment: "readers", width: width).split(separator: "\n").dropFirst()
            #expect(lines.allSatisfy { $0.count <= max(width, 54 + HistoryRenderer.minimumBar) })
            #expect(lines.last?.hasSuffix(String(repeating: "#", count: max(HistoryRenderer.minimumBar, width - 54))) == true)
        }
        #expect(f.run("save segment empty = clicked(campaign: \"Flash SMS\")") == nil)
        #expect(f.run("history segment empty") == nil)
        // An empty segment has no bar.
        #expect(f.output.texts.last?.hasSuffix("save         0      +0    -0  ") == true, "\(f.output.texts.last ?? "")")
    }

    @Test func historyAsJSONAndJSONLines() throws {
        let f = try Self.fixture()
        let evaluations = try #require(try SegmentHistory.evaluations(of: "readers", in: f.temp.store))
        for format in [OutputFormat.json, .jsonl] {
            let path = f.temp.directory.appendingPathComponent("history.\(format.rawValue)").path
            let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
            do {
                let writer = ResultWriter(format: format, sink: ByteSink(fileDescriptor: fd))
                let session = Session(store: f.temp.store, output: writer, mode: .script) { _ in }
                #expect(session.runReportingError("history segment readers") == nil)
                writer.sink.flush()
            }
            close(fd)
            let text = try String(contentsOfFile: path, encoding: .utf8)
            let rows: [[String: Any]]
            if format == .json {
                let object = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
                #expect(object["segment"] as? String == "readers")
                rows = try #require(object["evaluations"] as? [[String: Any]])
            } else {
                rows = try text.split(separator: "\n").map { line in
                    try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
                }
                #expect(rows.allSatisfy { $0["segment"] as? String == "readers" })
            }
            #expect(rows.map { $0["evaluated_at"] as? String } == evaluations.map { Timestamp.iso8601($0.at) })
            #expect(rows.map { $0["cause"] as? String } == ["save", "import", "replace"])
            #expect(rows.map { $0["members"] as? Int } == [2, 1, 3])
            #expect(rows.map { $0["joined"] as? Int } == [2, 1, 2] && rows.map { $0["left"] as? Int } == [0, 2, 0])
        }
    }

    @Test func diffAsRecordedReadsTheHistory() throws {
        let f = try Self.fixture()
        let output = DiffOutput()
        let s = Session(store: f.temp.store, output: output, mode: .script) { _ in }
        s.fixedNow = Self.t3
        // Recorded: the members as evaluated then, under the definition of then.
        #expect(s.runReportingError(#"diff segment readers from "2026-03-04T09:00:00Z" to "2026-03-09T09:00:00Z" as recorded"#) == nil)
        #expect(output.changes == ["cy@example.com": "joined", "ana@example.com": "left", "bo@example.com": "left"])
        #expect(output.texts.suffix(3) == [
            #"before (recorded at "2026-03-04T09:00:00Z"): 2 contacts"#,
            #"after (recorded at "2026-03-09T09:00:00Z"): 1 contacts"#, "joined: 1, left: 2, stayed: 0",
        ])
        // Without it: today's definition (opened) as of each moment.
        output.changes = [:]
        #expect(s.runReportingError(#"diff segment readers from "2026-03-04T09:00:00Z" to "2026-03-09T09:00:00Z""#) == nil)
        #expect(output.changes == ["cy@example.com": "joined"])

        let early = s.runReportingError(#"diff segment readers from "2026-03-01" to "2026-03-09" as recorded"#)
        #expect(early?.description.contains("no recorded evaluation at or before \"2026-03-01\" (its history starts at 2026-03-04T09:00:00Z)") == true)
        #expect(s.runReportingError(#"diff segment nope from "2026-03-01" to "2026-03-09" as recorded"#)?.description
            .contains("no saved segment named 'nope'") == true)
        #expect(s.runReportingError("history segment reader")?.description.contains("did you mean 'readers'?") == true)
        // Dropping the segment drops its history.
        #expect(s.runReportingError("drop segment se_readers; drop segment readers") == nil)
        #expect(try f.temp.store.database.int64("SELECT count(*) FROM segment_evaluations", []) == 0)
        #expect(try f.temp.store.database.int64("SELECT count(*) FROM segment_changes", []) == 0)
    }

    @Test func parsesPrintsAndReportsErrors() throws {
        let text = """
            history segment "Spring readers";
            diff segment s from "2026-03-01" to "2026-06-01" as recorded
            """
        let (statements, diagnostics) = Parser.parseScript(SourceFile(name: "s", text: text))
        #expect(diagnostics.isEmpty)
        #expect(statements.map { Printer.source(of: $0) } == [
            #"history segment "Spring readers""#, #"diff segment s from "2026-03-01" to "2026-06-01" as recorded"#,
        ])
        for (bad, message) in [
            (#"diff opened from "2026-03-01" to "2026-06-01" as recorded"#, "'as recorded' reads a saved segment's recorded history"),
            ("history segment", "expected a name (an identifier or a string) after 'segment'"),
        ] {
            let (_, d) = Parser.parseScript(SourceFile(name: "s", text: bad))
            #expect(d.contains { $0.message.contains(message) }, "\(bad): \(d.map(\.message))")
        }
        // `history` stays a name where a query needs one, and is a query alone.
        #expect(Parser.parseScript(SourceFile(name: "s", text: "count history = 3")).diagnostics.isEmpty)
        #expect(Parser.parseScript(SourceFile(name: "s", text: "history = 3 and opened")).diagnostics.isEmpty)
    }
}
