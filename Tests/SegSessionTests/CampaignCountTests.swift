// N of M (`at_least:`, `of_last:`), on a store small enough to know every answer by
// hand, and on random stores against the reference evaluator: through the planner's
// choice and every strategy, with and without rollups, counted, listed and as rows.
// Runs on PostgreSQL too when SEGQ_TEST_POSTGRES is set (scripts/with-postgres.sh).

import Foundation
import SegQL
import SegSession
import SegStore
import Testing

@Suite(.serialized) struct CampaignCountTests {
    /// Every way a query can be answered gives `expected` (e-mails or phones).
    static func expectEverywhere(
        _ text: String, _ expected: Set<String>, session: Session, output: CollectingOutput,
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        let file = SourceFile(name: "q", text: text)
        guard let query = Parser.parseQuery(file).query else {
            Issue.record("does not parse: \(text)", sourceLocation: sourceLocation)
            return
        }
        for strategy in [nil] + Strategy.allCases.map(Optional.some) {
            for rollups in [true, false] {
                session.strategy = strategy
                session.useRollups = rollups
                defer { session.strategy = nil; session.useRollups = true }
                output.keys = []
                output.ids = []
                try session.rows(query, limit: nil, in: file)
                let label = "\(text) — \(strategy?.rawValue ?? "planner's choice"), rollups \(rollups)"
                #expect(Set(output.keys) == expected, "\(label)", sourceLocation: sourceLocation)
                #expect(output.keys.count == Set(output.keys).count, "duplicate rows: \(label)", sourceLocation: sourceLocation)
                let compiled = try session.compile(query, projection: .count, in: file)
                #expect(try session.count(compiled) == Int64(expected.count), "count: \(label)", sourceLocation: sourceLocation)
                let listed = try session.compile(query, projection: .contactIDs, in: file)
                #expect(try session.contactIDs(listed) == output.ids.sorted(), "ids: \(label)", sourceLocation: sourceLocation)
                // The bitmap engine reading every range it can only for the contacts left.
                if strategy == nil {
                    session.restrictedReadFactor = 0
                    defer { session.restrictedReadFactor = 30 }
                    #expect(try session.contactIDs(listed) == output.ids.sorted(), "restricted reads: \(label)", sourceLocation: sourceLocation)
                }
            }
        }
    }

    /// a was sent C1…C6 on days 1…6 and opened C1–C3; b was sent C1–C3 only and opened
    /// all three; c was first sent C6 on day 0 (again on day 10) and C1…C5 on days 2…6,
    /// and opened C6 only; d has no events.
    static let handStore: [String] = {
        var lines: [String] = []
        for i in 1...6 {
            lines.append(#"{"record":"campaign","name":"C\#(i)","channel":"email","subject":"S","sent_at":\#(1_780_000_000 + i * 86_400),"messages":1}"#)
        }
        for c in ["a", "b", "c", "d"] { lines.append(#"{"record":"contact","email":"\#(c)@x.se"}"#) }
        func event(_ kind: String, _ contact: String, _ campaign: Int, _ day: Int) {
            lines.append(#"{"record":"event","kind":"\#(kind)","contact":"\#(contact)@x.se","campaign":"C\#(campaign)","ts":\#(1_780_000_000 + day * 86_400 + 60)}"#)
        }
        for i in 1...6 { event("sent", "a", i, i) }
        for i in 1...3 { event("opened", "a", i, i) }
        for i in 1...3 { event("sent", "b", i, i) }
        for i in 1...3 { event("opened", "b", i, i); event("opened", "b", i, i + 1) }
        event("sent", "c", 6, 0)
        event("sent", "c", 6, 10)
        for i in 1...5 { event("sent", "c", i, i + 1) }
        event("opened", "c", 6, 11)
        return lines
    }()

    @Test func handStoreAnswers() throws {
        let temp = try TemporaryStore()
        let summary = try Importer(store: temp.store).run([.text(Self.handStore.joined(separator: "\n") + "\n", name: "hand.jsonl")])
        #expect(summary.bad == 0)
        let output = CollectingOutput()
        let session = Session(store: temp.store, output: output, mode: .script) { _ in }
        session.fixedNow = 1_780_000_000 + 30 * 86_400
        let (a, b, c, d) = ("a@x.se", "b@x.se", "c@x.se", "d@x.se")
        let cases: [(String, Set<String>)] = [
            ("opened(at_least: 3)", [a, b]),
            ("opened(at_least: 4)", []),
            ("not opened(at_least: 2)", [c, d]),
            ("opened(at_least: 0)", [a, b, c, d]),
            ("opened(at_least: 1)", [a, b, c]),
            // a's last five are C2–C6 (two opened); b received only three.
            ("opened(of_last: 5, at_least: 3)", [b]),
            ("opened(of_last: 5, at_least: 2)", [a, b]),
            // c's C6 was first sent before its other campaigns: not among its last five.
            ("opened(of_last: 5)", [a, b]),
            ("opened(of_last: 6)", [a, b, c]),
            ("not opened(of_last: 5)", [c, d]),
            ("not opened(of_last: 3)", [a, c, d]),
            ("opened(campaign: [\"C1\", \"C2\", \"C6\"], at_least: 2)", [a, b]),
            // Of C4–C6, a's last is C6, c's is C5 (C6 first sent earlier).
            ("sent(campaign: [\"C4\", \"C5\", \"C6\"], of_last: 1, at_least: 1) and not opened(campaign: \"C6\")", [a]),
            ("opens(of_last: 2) >= 2", [b]),
            ("opens(of_last: 2) < 2", [a, c, d]),
            ("opened(of_last: 3, at_least: 2, within: 90d)", [b]),
            ("opened(of_last: 3, at_least: 2) or opened(campaign: \"C6\")", [b, c]),
            ("opened(campaign: \"C1\") and opened(of_last: 5, at_least: 2) and not clicked", [a, b]),
            ("sent(campaign: \"C6\") and not opened(of_last: 5)", [c]),
        ]
        for (text, expected) in cases {
            try Self.expectEverywhere(text, expected, session: session, output: output)
        }
    }

    @Test func atLeastIsForVerbsAndTakesNumbers() throws {
        let temp = try TemporaryStore()
        _ = try Importer(store: temp.store).run([.text(Self.handStore.joined(separator: "\n") + "\n", name: "hand.jsonl")])
        let session = Session(store: temp.store, output: CollectingOutput(), mode: .script) { _ in }
        let count = session.runReportingError("count opens(at_least: 2) >= 1")
        #expect("\(String(describing: count))".contains("'at_least' counts campaigns"))
        let negative = session.runReportingError("count opened(at_least: -1)")
        #expect("\(String(describing: negative))".contains("'at_least' takes a number of campaigns"))
        let zero = session.runReportingError("count opened(of_last: 0)")
        #expect("\(String(describing: zero))".contains("'of_last' takes a number of campaigns"))
        let many = session.runReportingError("count opened(of_last: 25)")
        #expect("\(String(describing: many))".contains("from 1 to 24"))
        #expect(session.runReportingError("count opened(of_last: 24, at_least: 2)") == nil)
    }

    /// Random stores, N-of-M queries, against the reference evaluator.
    @Test(arguments: [UInt64(11), 12, 13])
    func randomStoresAgreeWithTheReference(_ seed: UInt64) throws {
        let output = CollectingOutput()
        let (model, temp, session) = try importedRandomStore(seed: seed, output: output)
        defer { withExtendedLifetime(temp) {} }
        let reference = RefEvaluator(store: model, now: differentialNow)
        let names = model.campaigns.map { segqlString($0.name) }
        var rng = SeededRandom(seed: seed)
        var nonEmpty = 0
        for _ in 0..<20 {
            let kind = rng.pick([EventKind.opened, .clicked, .delivered, .sent, .bounced])
            var args = ["at_least: \(rng.int(1...2))"]
            if rng.chance(0.7) { args.append("of_last: \(rng.int(1...4))") }
            if rng.chance(0.4) { args.append("campaign: [" + names.shuffled(using: &rng).prefix(rng.int(1...4)).joined(separator: ", ") + "]") }
            if rng.chance(0.3) { args.append("within: 30d") }
            let text = (rng.chance(0.3) ? "not " : "") + "\(kind.verb)(\(args.joined(separator: ", ")))"
            guard let expected = try? reference.evaluate(Parser.parseQuery(SourceFile(name: "q", text: text)).query!, context: nil) else { continue }
            if !expected.isEmpty && expected.count < model.contacts.count { nonEmpty += 1 }
            try Self.expectEverywhere(text, expected, session: session, output: output)
        }
        #expect(nonEmpty >= 5, "too few queries that tell contacts apart")
    }
}

/// A random store of the differential test, imported, with a session on it at the
/// differential test's now: the model it means, the store (kept alive by the caller),
/// and the session.
func importedRandomStore(seed: UInt64, output: SessionOutput) throws -> (model: RefStore, temp: TemporaryStore, session: Session) {
    var builder = RandomStoreBuilder(seed: seed)
    let (lines, model) = builder.build()
    let temp = try TemporaryStore()
    _ = try Importer(store: temp.store).run([.text(lines.joined(separator: "\n") + "\n", name: "random-\(seed).jsonl")])
    let session = Session(store: temp.store, output: output, mode: .script) { _ in }
    session.fixedNow = differentialNow
    return (model, temp, session)
}
