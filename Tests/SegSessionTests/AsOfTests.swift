// `count QUERY as of "DATE"` (and show, export): random stores and random queries,
// against the reference evaluator run on the same store without the events after that
// moment and with now at that moment. On PostgreSQL too when SEGQ_TEST_POSTGRES is set.

import Foundation
import SegQL
import SegSession
import SegStore
import Testing

@Suite(.serialized) struct AsOfTests {
    @Test(arguments: [UInt64(21), 22, 23])
    func randomQueriesAsOfAMomentAgreeWithTheReference(_ seed: UInt64) throws {
        let output = CollectingOutput()
        let (model, temp, session) = try importedRandomStore(seed: seed, output: output)
        defer { withExtendedLifetime(temp) {} }
        var generator = RandomQueryBuilder(seed: seed &* 31, store: model)
        var compared = 0, differs = 0
        for (i, daysBack) in [20, 7, 0, 45].enumerated() {
            let moment = differentialNow - Int64(daysBack) * 86_400 - Int64(i) * 3_607
            var past = model
            past.events.removeAll { $0.ts > moment }
            let reference = RefEvaluator(store: past, now: moment)
            let whole = RefEvaluator(store: model, now: differentialNow)
            let at = segqlString(Timestamp.iso8601(moment))
            for _ in 0..<25 {
                let text = generator.query()
                guard let query = Parser.parseQuery(SourceFile(name: "q", text: text)).query,
                      let want = try? reference.evaluate(query, context: nil) else { continue }
                if let now = try? whole.evaluate(query, context: nil), now != want { differs += 1 }
                output.counts = []
                output.keys = []
                let error = session.runReportingError("count \(text) as of \(at); show \(text) as of \(at)")
                #expect(error == nil, "\(text) as of \(at): \(String(describing: error))")
                #expect(output.counts == [Int64(want.count)], "count \(text) as of \(at)")
                #expect(Set(output.keys) == want, "show \(text) as of \(at)")
                compared += 1
            }
        }
        #expect(compared >= 60)
        // The moment matters: many answers differ from today's.
        #expect(differs >= 10, "only \(differs) answers differ from today's")
        // And `as of` ends with its statement.
        output.counts = []
        #expect(session.runReportingError("count opened(campaign: \"*\") as of \"2000-01-01\"; count opened(campaign: \"*\")") == nil)
        let today = try RefEvaluator(store: model, now: differentialNow)
            .evaluate(Parser.parseQuery(SourceFile(name: "q", text: "opened(campaign: \"*\")")).query!, context: nil)
        #expect(output.counts == [0, Int64(today.count)])
    }

    @Test func asOfParsesPrintsAndChecksItsDate() throws {
        let text = """
            count opened as of "2026-03-01";
            show clicked AS OF '2026-03-01T09:00:00Z' limit 3;
            export opened as of "2026-03-01" to "x.csv"
            """
        let (statements, diagnostics) = Parser.parseScript(SourceFile(name: "s", text: text))
        #expect(diagnostics.isEmpty)
        #expect(statements.map { Printer.source(of: $0) } == [
            #"count opened as of "2026-03-01""#,
            #"show clicked as of "2026-03-01T09:00:00Z" limit 3"#,
            #"export opened as of "2026-03-01" to "x.csv""#,
        ])
        let (_, missing) = Parser.parseScript(SourceFile(name: "s", text: "count opened as of 2026"))
        #expect(missing.contains { $0.message.contains("expected a date after 'as of'") })
        // `as` and `of` stay names elsewhere.
        let (_, names) = Parser.parseScript(SourceFile(name: "s", text: "count of = 3 and as exists"))
        #expect(names.isEmpty)

        let temp = try TemporaryStore()
        let session = Session(store: temp.store, output: CollectingOutput(), mode: .script) { _ in }
        let bad = session.runReportingError(#"count opened as of "March""#)
        #expect("\(String(describing: bad))".contains("'March' is not a date"))
    }
}
