// `diff QUERY from "DATE" to "DATE"` and `diff QUERY to QUERY`: random stores and random
// queries against the reference evaluator (each side as of its moment, on the store
// without the later events), and the statement's text and errors. On PostgreSQL too when
// SEGQ_TEST_POSTGRES is set.

import Foundation
import SegQL
import SegSession
import SegStore
import Testing

/// Rows with their `change` column, and the text lines.
final class DiffOutput: SessionOutput {
    var changes: [String: String] = [:]
    var order: [(Int64, String)] = []
    var texts: [String] = []
    func beginRows(columns: [String]) {}
    func row(_ values: [SQLValue]) {
        guard case .integer(let id) = values[0], case .text(let change)? = values.last else { return }
        let key: String
        if case .text(let email) = values[1] { key = email } else if case .text(let phone) = values[2] { key = phone } else { key = "" }
        changes[key] = change
        order.append((id, change))
    }
    func endRows() {}
    func count(_ n: Int64) {}
    func text(_ s: String) { texts.append(s) }
}

@Suite(.serialized) struct DiffTests {
    @Test(arguments: [UInt64(31), 32])
    func randomQueriesBetweenTwoMomentsAgreeWithTheReference(_ seed: UInt64) throws {
        let output = DiffOutput()
        let (model, temp, session) = try importedRandomStore(seed: seed, output: output)
        defer { withExtendedLifetime(temp) {} }
        var generator = RandomQueryBuilder(seed: seed &* 17, store: model)
        func reference(_ moment: Int64) -> RefEvaluator {
            var past = model
            past.events.removeAll { $0.ts > moment }
            return RefEvaluator(store: past, now: moment)
        }
        let (t1, t2) = (differentialNow - 30 * 86_400, differentialNow - 5 * 86_400 + 1_234)
        let (r1, r2) = (reference(t1), reference(t2))
        let (d1, d2) = (segqlString(Timestamp.iso8601(t1)), segqlString(Timestamp.iso8601(t2)))
        var changed = 0, compared = 0
        for _ in 0..<40 {
            let text = generator.query()
            guard let query = Parser.parseQuery(SourceFile(name: "q", text: text)).query,
                  let before = try? r1.evaluate(query, context: nil), let after = try? r2.evaluate(query, context: nil) else { continue }
            output.changes = [:]
            output.order = []
            output.texts = []
            let error = session.runReportingError("diff \(text) from \(d1) to \(d2)")
            #expect(error == nil, "\(text): \(String(describing: error))")
            var want: [String: String] = [:]
            for k in after.subtracting(before) { want[k] = "joined" }
            for k in before.subtracting(after) { want[k] = "left" }
            #expect(output.changes == want, "diff \(text) from \(d1) to \(d2)")
            #expect(output.texts.last == "joined: \(after.count - before.intersection(after).count), left: \(before.count - before.intersection(after).count), stayed: \(before.intersection(after).count)")
            #expect(output.texts.first == "before (as of \(d1)): \(before.count) contacts")
            // The joined first, then the left, each in contact id order.
            let joinedIDs = output.order.filter { $0.1 == "joined" }.map(\.0), leftIDs = output.order.filter { $0.1 == "left" }.map(\.0)
            #expect(output.order.map(\.0) == joinedIDs + leftIDs && joinedIDs == joinedIDs.sorted() && leftIDs == leftIDs.sorted())
            if !want.isEmpty { changed += 1 }
            compared += 1
        }
        #expect(compared >= 25)
        #expect(changed >= 5, "only \(changed) queries changed between the moments")
    }

    @Test func twoQueries() throws {
        let (temp, session, _) = try RelativeRangeTests.store()
        defer { withExtendedLifetime(temp) {} }
        let output = DiffOutput()
        let s = Session(store: temp.store, output: output, mode: .script) { _ in }
        s.fixedNow = RelativeRangeTests.now
        _ = session
        #expect(s.runReportingError("save list a = opened(within: 90d..1d); diff list a to opened(before: 30d)") == nil)
        // a: edge90, inside30, edge30, recent; opened before 30d: edge90, past90, inside30, old, edge365.
        #expect(output.changes == ["past90@x.se": "joined", "old@x.se": "joined", "edge365@x.se": "joined",
                                   "edge30@x.se": "left", "recent@x.se": "left"])
        #expect(output.texts.suffix(3) == ["before (list a): 4 contacts", "after (opened(before: 30d)): 5 contacts",
                                          "joined: 3, left: 2, stayed: 2"])
    }

    @Test func parsesPrintsAndReportsErrors() throws {
        let text = """
            diff segment "s" from "2026-03-01" to "2026-06-01";
            diff list a to list b and not opened
            """
        let (statements, diagnostics) = Parser.parseScript(SourceFile(name: "s", text: text))
        #expect(diagnostics.isEmpty)
        #expect(statements.map { Printer.source(of: $0) } == [
            #"diff segment "s" from "2026-03-01" to "2026-06-01""#,
            "diff list a to list b and not opened",
        ])
        for (bad, message) in [
            ("diff opened", "expected 'from' or 'to'"), ("diff opened from 2026", "expected a date after 'from'"),
            (#"diff opened from "2026-03-01""#, "expected 'to'"),
        ] {
            let (_, d) = Parser.parseScript(SourceFile(name: "s", text: bad))
            #expect(d.contains { $0.message.contains(message) }, "\(bad): \(d.map(\.message))")
        }
        // `diff` stays a name where a query needs one.
        #expect(Parser.parseScript(SourceFile(name: "s", text: "count diff = 3")).diagnostics.isEmpty)
    }
}
