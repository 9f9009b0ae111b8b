// The differential test: random stores, thousands of random queries, and for each
// the SQL path (parse → bind → plan → SQL → SQLite, through every strategy, with and
// without rollups) compared with the reference evaluator written from the spec.
//
// Fixed seeds run every time; one more seed varies with the clock and is printed, so
// a failure found by chance can be replayed with SEGQ_DIFF_SEED=<seed>.

import Foundation
import SegQL
import SegSession
import SegStore
import Testing

/// Collects the contacts a statement returns, by e-mail (or phone).
final class CollectingOutput: SessionOutput {
    var keys: [String] = []
    var ids: [Int64] = []
    var counts: [Int64] = []
    var texts: [String] = []
    func beginRows(columns: [String]) {}
    func row(_ values: [SQLValue]) {
        if case .integer(let id) = values[0] { ids.append(id) }
        if case .text(let email) = values[1] { keys.append(email) } else if case .text(let phone) = values[2] { keys.append(phone) }
    }
    func endRows() {}
    func count(_ n: Int64) { counts.append(n) }
    func text(_ s: String) { texts.append(s) }
}

extension Session {
    /// Runs statements as a test fixture does; returns the error, if any.
    @discardableResult
    func runReportingError(_ text: String) -> SessionError? {
        do {
            try run(SourceFile(name: "t.segq", text: text))
            return nil
        } catch let e as SessionError {
            return e
        } catch {
            return .store("\(error)")
        }
    }
}

/// A fresh store, removed with the value: a file in a temporary directory or, when
/// `SEGQ_TEST_POSTGRES` names a PostgreSQL database (scripts/with-postgres.sh sets it),
/// a new schema in that database, so that the whole suite runs on either backend.
final class TemporaryStore {
    let directory: URL
    /// What `Store(path:)` opens: the file, or the URL with the schema as search path.
    let path: String
    let store: Store
    private let schema: String?

    /// The PostgreSQL database the suite runs on, or nil for SQLite.
    static let postgres = ProcessInfo.processInfo.environment["SEGQ_TEST_POSTGRES"].flatMap { $0.isEmpty ? nil : $0 }

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("segq-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        if let base = Self.postgres {
            let name = "t_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
            try PostgresDatabase(url: base).execute("CREATE SCHEMA \(name)")
            schema = name
            path = base + (base.contains("?") ? "&" : "?") + "options=-csearch_path%3D\(name)"
        } else {
            schema = nil
            path = directory.appendingPathComponent("store.db").path
        }
        store = try Store(path: path)
    }

    deinit {
        try? FileManager.default.removeItem(at: directory)
        if let schema, let base = Self.postgres {
            try? PostgresDatabase(url: base).execute("DROP SCHEMA \(schema) CASCADE")
        }
    }
}

@Suite(.serialized) struct DifferentialTests {
    static let fixedSeeds: [UInt64] = [1, 2, 3, 4, 5, 6, 7, 8]
    /// Fewer on PostgreSQL, where each of the ~40 statements per query is a round trip
    /// to the server: the same seeds, so the same stores and the first queries of each,
    /// in about a third of the time (CI runs both).
    static let queriesPerStore = TemporaryStore.postgres == nil ? 250 : 100

    @Test(arguments: fixedSeeds)
    func fixedSeed(_ seed: UInt64) throws {
        try Self.check(seed: seed, queries: Self.queriesPerStore)
    }

    @Test func timeVaryingSeed() throws {
        let seed = ProcessInfo.processInfo.environment["SEGQ_DIFF_SEED"].flatMap(UInt64.init)
            ?? UInt64(Date().timeIntervalSince1970)
        print("differential test: time-varying seed \(seed) (replay with SEGQ_DIFF_SEED=\(seed))")
        try Self.check(seed: seed, queries: Self.queriesPerStore)
    }

    /// Campaigns sent one after another, each in a day of its own: `of_last` is then
    /// read from the recipients ranked by campaign, which the seeds above never reach
    /// (their sends are spread over two months).
    @Test(arguments: [101, 102] as [UInt64])
    func campaignsSentOneAfterAnother(_ seed: UInt64) throws {
        try Self.check(seed: seed, queries: Self.queriesPerStore / 2, disjointSends: true)
    }

    static func check(seed: UInt64, queries: Int, disjointSends: Bool = false) throws {
        var builder = RandomStoreBuilder(seed: seed, disjointSends: disjointSends)
        let (lines, model) = builder.build()
        let temp = try TemporaryStore()
        let summary = try Importer(store: temp.store).run([.text(lines.joined(separator: "\n") + "\n", name: "random-\(seed).jsonl")])
        #expect(summary.bad == 0, "seed \(seed): the generated import has bad lines: \(summary.badLines)")

        let output = CollectingOutput()
        let session = Session(store: temp.store, output: output, mode: .script) { _ in }
        session.fixedNow = differentialNow
        var reference = RefEvaluator(store: model, now: differentialNow)
        var generator = RandomQueryBuilder(seed: seed &* 7919, store: model)

        // Two aliases, the second extending the first.
        for (name, text) in [("hot", generator.query(depth: 2)), ("hot", "hot or " + generator.query(depth: 2))] {
            let file = SourceFile(name: "alias", text: "let \(name) = \(text)")
            guard (try? reference.define(name, text)) != nil, (try? session.run(file)) != nil else { continue }
            generator.aliases = ["hot"]
        }

        let email = model.campaigns.first { $0.channel == "email" }?.name
        let sms = model.campaigns.first { $0.channel == "sms" }?.name
        let contexts: [String?] = [nil, email, sms].enumerated().filter { $0.offset == 0 || $0.element != nil }.map(\.element)

        var compared = 0
        var refused = 0
        var nonEmpty = 0
        for _ in 0..<queries {
            let text = generator.query()
            let file = SourceFile(name: "q", text: text)
            let (parsed, diagnostics) = Parser.parseQuery(file)
            guard let query = parsed, !diagnostics.contains(where: { $0.severity == .error }) else {
                Issue.record("seed \(seed): the generated query does not parse: \(text)\n\(diagnostics)")
                continue
            }
            for context in contexts {
                let expected = Result { try reference.evaluate(query, context: context) }
                try session.useCampaign(context.map { Name(text: $0, quoted: true, range: .at(0)) }, in: file)
                // The planner's own choice (nil), then every strategy forced.
                for strategy in [nil] + Strategy.allCases.map(Optional.some) {
                    for rollups in [true, false] {
                        session.strategy = strategy
                        session.useRollups = rollups
                        output.keys = []
                        output.ids = []
                        let actual = Result { try session.rows(query, limit: nil, in: file) }
                        let label = "seed \(seed), context \(context ?? "none"), \(strategy?.rawValue ?? "planner's choice"), rollups \(rollups):\n  \(text)"
                        switch (expected, actual) {
                        case (.success(let want), .success):
                            let got = Set(output.keys)
                            #expect(got.count == output.keys.count, "duplicate rows — \(label)")
                            #expect(output.ids == output.ids.sorted() && Set(output.ids).count == output.ids.count,
                                    "rows not in contact id order — \(label)")
                            if got != want {
                                Issue.record("""
                                    mismatch — \(label)
                                      missing: \(want.subtracting(got).sorted().prefix(5))
                                      extra:   \(got.subtracting(want).sorted().prefix(5))
                                    """)
                                return
                            }
                            // Counting and listing ids are planned and written apart
                            // (no contacts join, the complement count): the same answer.
                            let counted = try session.compile(query, projection: .count, in: file).sql
                            let n = try temp.store.database.int64(counted.sql, counted.parameters)
                            let listed = try session.compile(query, projection: .contactIDs, in: file).sql
                            var listedIDs: [Int64] = []
                            try temp.store.database.query(listed.sql, listed.parameters) { listedIDs.append($0.int64(0)) }
                            if n != Int64(want.count) || listedIDs != output.ids {
                                Issue.record("""
                                    count or id list differs — \(label)
                                      count \(n ?? -1), expected \(want.count); ids \(listedIDs.prefix(5)), rows \(output.ids.prefix(5))
                                    """)
                                return
                            }
                            // The bitmap engine's count and ids as the planner reads them
                            // (factor 30), and with every read that can be restricted to
                            // the contacts still left restricted (factor 0).
                            let compiled = try session.compile(query, projection: .count, in: file)
                            if compiled.program != nil, strategy == nil {
                                for factor in [30.0, 0] {
                                    session.restrictedReadFactor = factor
                                    defer { session.restrictedReadFactor = 30 }
                                    let engineIDs = try session.contactIDs(compiled)
                                    let engineCount = factor == 30 ? try session.count(compiled) : Int64(engineIDs.count)
                                    if engineCount != Int64(want.count) || engineIDs != output.ids {
                                        Issue.record("""
                                            the bitmap engine differs (leftFactor \(factor): 0 restricts every read that can be) — \(label)
                                              count \(engineCount), expected \(want.count); ids \(engineIDs.prefix(5)), rows \(output.ids.prefix(5))
                                            """)
                                        return
                                    }
                                }
                            }
                            compared += 1
                            if !got.isEmpty { nonEmpty += 1 }
                        case (.failure, .failure):
                            refused += 1
                        case (.success, .failure(let e)):
                            Issue.record("SQL path refused a valid query — \(label)\n\(e)")
                            return
                        case (.failure(let e), .success):
                            Issue.record("SQL path accepted an invalid query (\(e)) — \(label)")
                            return
                        }
                    }
                }
            }
        }
        // Most generated queries are valid and most valid ones select someone, or the
        // comparison would prove little. A short run (Citus: 5 queries) is a small sample
        // of the generator, whose invalid share is about one in ten: most, not three in four.
        let validShare = queries >= 50 ? 3 : 1
        #expect(compared > validShare * refused, "seed \(seed): \(compared) compared, \(refused) refused by both")
        #expect(nonEmpty > compared / 3, "seed \(seed): only \(nonEmpty) of \(compared) results select anyone")
        if disjointSends {
            // The store is what the test means: of_last reads the recipients ranked.
            session.strategy = nil
            session.useRollups = true
            let text = "opened(of_last: 2)"
            let file = SourceFile(name: "q", text: text)
            try session.useCampaign(nil, in: file)
            let query = try #require(Parser.parseQuery(file).query)
            let program = try #require(try session.compile(query, projection: .count, in: file).program)
            #expect(program.leaves.contains {
                if case .lastCampaigns(_, _, _, _, _, let order) = $0.reading { return order != nil }
                return false
            }, "seed \(seed): of_last does not read the recipients ranked by campaign")
        }
        print("differential seed \(seed): \(compared) results compared (\(nonEmpty) non-empty), \(refused) errors on both paths")
    }
}
