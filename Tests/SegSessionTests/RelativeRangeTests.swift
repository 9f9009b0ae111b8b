// Relative ranges: `within: 90d..30d` (now − 90d ≤ ts < now − 30d), `before: 365d` and
// `since: 30d`, at their exact edges, through every strategy, with and without rollups,
// and on PostgreSQL when SEGQ_TEST_POSTGRES is set.

import Foundation
import SegQL
import SegSession
import SegStore
import Testing

@Suite(.serialized) struct RelativeRangeTests {
    static let now: Int64 = 1_780_272_000
    static let day: Int64 = 86_400

    /// One open per contact, at a known distance before now: on the edges and just inside them.
    static let opens: [(String, Int64)] = [
        ("edge90", 90 * day),            // now − 90d: inside 90d..30d
        ("past90", 90 * day + 1),        // one second older: outside
        ("edge30", 30 * day),            // now − 30d: outside (the nearer end is open)
        ("inside30", 30 * day + 1),      // one second older: inside
        ("recent", 2 * day),
        ("old", 400 * day),              // longer ago than a year
        ("edge365", 365 * day),          // exactly a year: not longer ago
        ("future", -day),                // after now
    ]

    static func store() throws -> (TemporaryStore, Session, CollectingOutput) {
        var lines = [#"{"record":"campaign","name":"A","channel":"email","subject":"S","sent_at":1700000000,"messages":1}"#]
        for (name, ago) in opens {
            lines.append(#"{"record":"contact","email":"\#(name)@x.se"}"#)
            lines.append(#"{"record":"event","kind":"opened","contact":"\#(name)@x.se","campaign":"A","ts":\#(now - ago)}"#)
        }
        lines.append(#"{"record":"contact","email":"none@x.se"}"#)
        let temp = try TemporaryStore()
        let summary = try Importer(store: temp.store).run([.text(lines.joined(separator: "\n") + "\n", name: "r.jsonl")])
        #expect(summary.bad == 0)
        let output = CollectingOutput()
        let session = Session(store: temp.store, output: output, mode: .script) { _ in }
        session.fixedNow = now
        return (temp, session, output)
    }

    @Test func edgesOnEveryPath() throws {
        let (temp, session, output) = try Self.store()
        defer { withExtendedLifetime(temp) {} }
        func emails(_ names: [String]) -> Set<String> { Set(names.map { "\($0)@x.se" }) }
        let all = ["edge90", "past90", "edge30", "inside30", "recent", "old", "edge365", "future", "none"]
        let cases: [(String, [String])] = [
            ("opened(within: 90d..30d)", ["edge90", "inside30"]),
            ("not opened(within: 90d..30d)", all.filter { $0 != "edge90" && $0 != "inside30" }),
            ("opens(within: 90d..30d) = 0", all.filter { $0 != "edge90" && $0 != "inside30" }),
            ("opened(campaign: \"A\", within: 2160h..720h)", ["edge90", "inside30"]),
            ("opened(before: 365d)", ["old"]),
            ("opened(since: 30d)", ["edge30", "recent", "future"]),
            ("opened(within: 30d)", ["edge30", "recent"]),
            ("opened(within: 90d..30d, since: \"2026-03-04\")", ["inside30"]),
            ("opened(within: 365d..2d, before: 90d)", ["past90", "edge365"]),
        ]
        for (text, expected) in cases {
            try CampaignCountTests.expectEverywhere(text, emails(expected), session: session, output: output)
        }
    }

    @Test func rangesAreWrittenFartherFirst() throws {
        let (temp, session, _) = try Self.store()
        defer { withExtendedLifetime(temp) {} }
        let reversed = session.runReportingError("count opened(within: 30d..90d)")
        #expect("\(String(describing: reversed))".contains("from the farther to the nearer"))
        let unfinished = session.runReportingError("count opened(within: 90d..)")
        #expect("\(String(describing: unfinished))".contains("expected a duration after '..'"))
        #expect(session.runReportingError("count opened(within: 90d..30d)") == nil)
    }

    @Test func theRangeRoundTripsThroughThePrinter() throws {
        let file = SourceFile(name: "q", text: "opened(within: 90d .. 30d, before: 365d)")
        let (query, diagnostics) = Parser.parseQuery(file)
        #expect(diagnostics.isEmpty)
        #expect(query.map { Printer.source(of: $0) } == "opened(within: 90d..30d, before: 365d)")
    }
}
