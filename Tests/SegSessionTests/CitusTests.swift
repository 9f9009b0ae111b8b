// segq on a Citus cluster (distributed PostgreSQL): the stores segq creates there are
// laid out for Citus, and every statement it sends runs there with the same results as
// on SQLite. Runs only with `SEGQ_TEST_CITUS` set (scripts/with-citus.sh starts a
// coordinator and two workers and sets it, with SEGQ_TEST_POSTGRES, so that every
// TemporaryStore below is a schema on the cluster).

import Foundation
import SegQL
import SegSession
@testable import SegStore
@testable import segq_bench
import Testing

/// The Citus coordinator's database the suite runs on (scripts/with-citus.sh sets it).
let citusURL = ProcessInfo.processInfo.environment["SEGQ_TEST_CITUS"].flatMap { $0.isEmpty ? nil : $0 }

@Suite(.serialized, .enabled(if: citusURL != nil && TemporaryStore.postgres == citusURL,
                             "needs SEGQ_TEST_CITUS (scripts/with-citus.sh)"))
struct CitusTests {

    /// Rows of `sql` on the store's connection, each as `a|b`.
    static func rows(_ store: Store, _ sql: String) throws -> [String] {
        var out: [String] = []
        try store.database.query(sql, []) { row in
            out.append((0..<row.count).map { row.value(Int32($0)).plainText }.joined(separator: "|"))
        }
        return out
    }

    /// A new store is distributed by contact, co-located, with the catalog replicated.
    @Test func aNewStoreIsDistributedByContact() throws {
        let temp = try TemporaryStore()
        #expect(temp.store.isCitus)
        let tables = try Self.rows(temp.store, """
            SELECT c.relname, p.partmethod,
                   CASE WHEN p.partkey IS NULL THEN '' ELSE column_to_column_name(p.logicalrelid, p.partkey) END,
                   p.colocationid
            FROM pg_dist_partition p JOIN pg_class c ON c.oid = p.logicalrelid
            WHERE c.relnamespace = CAST(current_schema() AS regnamespace)
            ORDER BY c.relname
            """)
        // h: hash-distributed, n: a reference table.
        let kinds = Dictionary(uniqueKeysWithValues: tables.map { line -> (String, String) in
            let parts = line.split(separator: "|", omittingEmptySubsequences: false)
            return (String(parts[0]), parts[1] == "h" ? "h:\(parts[2])" : String(parts[1]))
        })
        #expect(kinds == [
            "contacts": "h:id", "events": "h:contact_id", "activity": "h:contact_id", "contact_activity": "h:contact_id",
            "contact_attributes": "h:contact_id", "list_members": "h:contact_id",
            "segment_changes": "h:contact_id", "segment_members": "h:contact_id",
            "event_kinds": "n", "campaigns": "n", "links": "n", "event_stats": "n", "lists": "n", "segments": "n",
            "segment_dependencies": "n", "segment_evaluations": "n", "store_info": "n", "campaign_sets": "n",
            "attribute_sets": "n",
        ], "\(tables)")
        let colocations = Set(tables.filter { $0.contains("|h|") }.map { $0.split(separator: "|").last! })
        #expect(colocations.count == 1, "\(tables)")
        // The per-contact tables' keys to the catalog are back.
        let keys = try Self.rows(temp.store, """
            SELECT t.relname || '->' || f.relname FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid
            JOIN pg_class f ON f.oid = c.confrelid
            WHERE c.contype = 'f' AND t.relnamespace = CAST(current_schema() AS regnamespace) ORDER BY 1
            """)
        for key in ["events->campaigns", "events->event_kinds", "events->links", "activity->campaigns", "list_members->lists",
                    "events->contacts", "contact_attributes->contacts", "segment_changes->segment_evaluations",
                    "segment_changes->contacts", "segment_members->segments", "segment_evaluations->segments"] {
            #expect(keys.contains(key), "\(key) in \(keys)")
        }
    }

    /// A Citus store of schema version 4 gets the history tables of version 5 laid out
    /// as a new store has them, in the upgrading transaction, and records into them.
    @Test func aVersion4StoreGetsTheHistoryTablesLaidOut() throws {
        let base = try #require(citusURL)
        let schema = "t_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        try PostgresDatabase(url: base).execute("CREATE SCHEMA \(schema)")
        defer { try? PostgresDatabase(url: base).execute("SET client_min_messages = warning; DROP SCHEMA \(schema) CASCADE") }
        let url = base + (base.contains("?") ? "&" : "?") + "options=-csearch_path%3D\(schema)"
        // The tables of versions 5 and later, which a version-4 store has not got.
        let added = (4..<Schema.version).reduce(into: Set<String>()) { $0.formUnion(Schema.migration(from: $1, for: .postgres).created) }
        do {
            let raw = try PostgresDatabase(url: url)
            try raw.transaction {
                for m in Schema.migrations(for: .postgres).prefix(4) { try raw.execute(m) }
                try CitusLayout.apply(to: raw, except: added)
                try raw.execute("INSERT INTO store_info(key, value) VALUES ('schema_version', '4'), ('created_by', 'segq')")
            }
        }
        let store = try Store(path: url)
        #expect(try store.schemaVersion() == Schema.version)
        let laidOut = try Self.rows(store, """
            SELECT c.relname || ':' || CAST(p.partmethod AS text) FROM pg_dist_partition p JOIN pg_class c ON c.oid = p.logicalrelid
            WHERE c.relnamespace = CAST(current_schema() AS regnamespace) AND c.relname LIKE 'segment\\_%' ORDER BY 1
            """)
        #expect(laidOut == ["segment_changes:h", "segment_dependencies:n", "segment_evaluations:n", "segment_members:h"])
        let colocations = try Self.rows(store, """
            SELECT count(DISTINCT p.colocationid) FROM pg_dist_partition p JOIN pg_class c ON c.oid = p.logicalrelid
            WHERE c.relnamespace = CAST(current_schema() AS regnamespace) AND p.partmethod = 'h'
            """)
        #expect(colocations == ["1"])
        store.segmentCompiler = SavedSegmentSQL.compile
        try store.database.transaction {
            try store.writeShardsSequentially()
            try store.database.execute("INSERT INTO contacts(id, email) VALUES (1, 'a@x.io')")
            try store.database.execute(
                "INSERT INTO segments(id, name, query, view_name, saved_at) VALUES (1, 's', 'email exists', 'segment_s', 0)")
            try SegmentViews.refreshAll(in: store)
            try SegmentHistory.record(nil, cause: .save, at: 5, in: store)
        }
        #expect(try SegmentHistory.evaluations(of: "s", in: store)?.map(\.members) == [1])
        #expect(try Self.rows(store, "SELECT contact_id FROM segment_members") == ["1"])
    }

    /// The schema Citus adds its own views to (`public`) is not "another application's".
    @Test func aDatabaseWithTheExtensionIsAcceptedAsANewStore() throws {
        let base = try #require(citusURL)
        let db = try PostgresDatabase(url: base)
        #expect(try db.int64("SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'") ?? 0 > 0)
        let store = try Store(path: base)
        defer {
            try? db.execute("SET client_min_messages = warning")
            for table in ["segment_changes", "segment_members", "segment_evaluations", "segment_dependencies", "segments", "list_members", "activity", "contact_activity", "event_stats",
                          "events", "links", "campaigns", "lists", "contact_attributes", "contacts", "event_kinds", "store_info"] {
                try? db.execute("DROP TABLE IF EXISTS public.\(table) CASCADE")
            }
            try? db.execute("DROP FUNCTION IF EXISTS public.segq_broken_segment(text)")
        }
        #expect(try store.schemaVersion() == Schema.version)
        #expect(store.isCitus)
        // Opened again, it is the same store.
        #expect(try Store(path: base).schemaVersion() == Schema.version)
    }

    /// A random store and random queries through every strategy, with and without
    /// rollups, in three campaign contexts, against the spec's evaluator (few queries:
    /// each runs about 40 ways, at a few hundred milliseconds a statement on the cluster).
    @Test func differential() throws {
        try DifferentialTests.check(seed: 1, queries: 5)
    }

    /// Lists, segments and their views, duplicates, exports, read-only stores.
    @Test func actions() throws {
        let t = ActionsTests()
        try t.mergedSetsReadTheNarrowIndexes()
        try t.explainShowsEachSetAndAnalyzeWhatWasRead()
        try t.segmentViewReadByAnotherProgramMatchesShowSegment()
        try t.savedTextIsSelfContained()
        try t.viewWithWithinStaysRight(margin: 10)
        try t.hostileNamesAndLiteralsCannotBreakOutOfTheView()
        try t.aViewDependingOnARenamedCampaignFailsClearly()
        try t.listsAreFrozenAndCountSuppression()
        try t.duplicateEvaluatesTheAudienceInTheSourceCampaign()
        // (duplicateIsAllOrNothing makes a step fail with a trigger on `links`, which
        // Citus does not allow on a reference table; the transaction is the same code.)
        try t.duplicateRefusesADraftSource()
        try t.dropRefusesWhatAnotherSegmentUses()
        try t.aSegmentCannotBeRedefinedInTermsOfItself()
        try t.exportsAreCompleteAndAtomic()
        try t.readOnlyStoresRefuseWritesClearly()
        let listing = CampaignListingTests()
        try listing.campaignsListTheirRates()
        try listing.schemaShowsTablesIndexesAndSegmentViews()
    }

    /// `stats`: every figure, on the rollup and the events paths.
    @Test func stats() throws {
        let t = StatsTests()
        try t.springSaleEveryFigure()
        try t.smsHasNoOpenFiguresAndSaysWhy()
        try t.rollupAndEventsPathsAgree("Imported")
        try t.campaignOverview()
        try FastPathStatsTests().fastPathMatchesCountsFromEvents()
    }

    /// A query's SQL runs on the workers: Citus's plan is a distributed one.
    @Test func explainShowsTheDistributedPlan() throws {
        let f = try ActionsFixture()
        #expect(f.run(#"explain opened(campaign: "Spring Sale") and country = "SE""#) == nil)
        #expect(f.lastText().contains("Custom Scan (Citus"), "\(f.lastText())")
    }

    /// What keeps Citus from running `plan` (its EXPLAIN lines) on the workers, shard by
    /// shard, with only the statement's own result gathered on the coordinator; empty
    /// when nothing does. It must be a distributed scan whose tasks run on the workers
    /// (`workers`: their ports), on every one of the `shards` when the statement reads
    /// a whole range (nil: it names contacts, and Citus reads only their shards); and
    /// no part may be planned apart, its rows gathered on the coordinator and sent back
    /// as an intermediate result (Citus's recursive planning: `Distributed Subplan`,
    /// `read_intermediate_result`), or repartitioned between the workers (`MapMergeJob`).
    static func notPushedDown(_ plan: [String], shards: Int?, workers: Set<Int>) -> [String] {
        var reasons: [String] = []
        if !plan.contains(where: { $0.contains("Custom Scan (Citus Adaptive)") }) { reasons.append("no distributed scan") }
        for line in plan {
            let text = line.trimmingCharacters(in: .whitespaces)
            for marker in ["Distributed Subplan", "read_intermediate_result", "MapMergeJob"] where text.contains(marker) {
                reasons.append(text)
            }
            if let shards, text.hasPrefix("Task Count: "), text != "Task Count: \(shards)" { reasons.append(text) }
            if text.hasPrefix("Node: "), let port = text.split(separator: " ").first(where: { $0.hasPrefix("port=") }),
               !workers.contains(Int(port.dropFirst(5)) ?? -1) {
                reasons.append("a task on the coordinator: \(text)")
            }
        }
        return reasons
    }

    /// The six benchmark queries (docs/benchmarks.md, `segq-bench queries`) run on the
    /// workers, each shard answering for its own contacts: every statement segq sends
    /// for them — each set of the bitmap plan, read whole and for a list of contacts,
    /// and the one statement that stands for the plan (a saved view, a list, an export),
    /// counting and listing — is pushed down whole. The one statement counts what the
    /// sets count. Written as on plain PostgreSQL (INTERSECT, EXCEPT), the one statement
    /// would not be.
    /// A 600-contact demo store on the cluster, a session on it, and a check that a
    /// statement is pushed down whole (`notPushedDown`).
    struct Pushdown {
        let temp: TemporaryStore
        let store: Store
        let session: Session
        let shards: Int
        var workers: Set<Int> = []
        /// The contact ids of a read for some contacts only.
        let ids: SQLValue

        init() throws {
            temp = try TemporaryStore()
            _ = try DemoStore.build(at: temp.path, options: DemoOptions(contacts: 600, seed: 1))
            store = try Store(path: temp.path)
            #expect(store.isCitus)
            shards = Int(try store.database.int64(
                "SELECT count(*) FROM pg_dist_shard WHERE logicalrelid = CAST('events' AS regclass)", []) ?? 0)
            #expect(shards > 1)
            var workers: Set<Int> = []
            try store.database.query("SELECT nodeport FROM pg_dist_node WHERE shouldhaveshards AND noderole = 'primary'", []) {
                workers.insert(Int($0.int64(0)))
            }
            self.workers = workers
            #expect(workers.count == 2)
            session = Session(store: store, output: CollectingOutput(), mode: .script) { _ in }
            session.fixedNow = DemoStore.referenceNow
            session.reusesReads = false
            ids = store.database.dialect.idListValue([1, 2, 3, 500])
        }

        /// `extra`: the contact ids of a read for some contacts only.
        func check(_ sql: CompiledSQL, _ what: String, extra: [SQLValue] = []) throws {
            let plan = try store.database.queryPlan(sql.sql, sql.parameters + extra)
            let reasons = CitusTests.notPushedDown(plan, shards: extra.isEmpty ? shards : nil, workers: workers)
            #expect(reasons.isEmpty, "\(what): \(reasons)\n\(sql.sql)\n\(plan.joined(separator: "\n"))")
        }
    }

    @Test func theBenchmarkQueriesArePushedDown() throws {
        let p = try Pushdown()
        let (store, session, shards, workers, ids) = (p.store, p.session, p.shards, p.workers, p.ids)
        func check(_ sql: CompiledSQL, _ what: String, extra: [SQLValue] = []) throws { try p.check(sql, what, extra: extra) }
        #expect(QueryBench.queries.count == 6)
        for q in QueryBench.queries {
            let file = SourceFile(name: q.name, text: q.text)
            let parsed = try #require(Parser.parseQuery(file).query, "\(q.name)")
            let counting = try session.compile(parsed, projection: .count, in: file)
            let listing = try session.compile(parsed, projection: .contacts(limit: nil), in: file)
            let program = try #require(counting.program, "\(q.name): a bitmap plan")
            for (i, leaf) in program.leaves.enumerated() {
                try check(leaf.sql, "\(q.name), set \(i + 1)")
                try check(leaf.restricted, "\(q.name), set \(i + 1) for some contacts", extra: [ids])
                if case .lastCampaigns(_, _, _, let sends, let sendsRestricted, _) = leaf.reading {
                    try check(sends, "\(q.name), set \(i + 1)'s sends")
                    try check(sendsRestricted, "\(q.name), set \(i + 1)'s sends for some contacts", extra: [ids])
                }
            }
            try check(counting.sql, "\(q.name) counted as one statement")
            try check(listing.sql, "\(q.name) listed as one statement")
            #expect(try store.database.int64(counting.sql.sql, counting.sql.parameters) == session.count(counting), "\(q.name)")
        }

        // The check can fail: Q1 as one statement in plain PostgreSQL's form, INTERSECT and
        // EXCEPT, is planned on the coordinator from every set's rows.
        let q1 = QueryBench.queries[0]
        let file = SourceFile(name: q1.name, text: q1.text)
        let plan = try session.compile(try #require(Parser.parseQuery(file).query), projection: .count, in: file).plan
        let plain = SQLRenderer.render(plan, projection: .count, dialect: PostgresDialect())
        #expect(plain.sql.contains("INTERSECT"))
        let reasons = Self.notPushedDown(try store.database.queryPlan(plain.sql, plain.parameters), shards: shards, workers: workers)
        #expect(reasons.contains { $0.contains("Distributed Subplan") }, "\(reasons)")
    }

    /// Counts are grouped on the shards, where each contact's rows all are: a set of a
    /// count reads `GROUP BY contact_id HAVING …` (so only the contacts that pass come
    /// to segq, not every row counted), pushed down whole, read whole and for some
    /// contacts (the count's parameter before the contact list), and answers what the
    /// one statement answers.
    @Test func countsAreGroupedOnTheShards() throws {
        let p = try Pushdown()
        let queries = [
            #"sends(since: "2026-01-01") >= 2"#,
            "clicks(within: 365d) = 1",
            #"opens(campaign: ["Spring Sale", "Black Friday"]) >= 2"#,
            "opened(machine: false, at_least: 2)",
            #"deliveries(message: 2) >= 2 and not bounces(within: 90d) >= 2"#,
        ]
        for text in queries {
            let file = SourceFile(name: "q", text: text)
            let parsed = try #require(Parser.parseQuery(file).query, "\(text)")
            let counting = try p.session.compile(parsed, projection: .count, in: file)
            let program = try #require(counting.program, "\(text): a bitmap plan")
            // (A window covering every campaign whole is the per-contact rollup's row,
            // one per contact: nothing to group.)
            #expect(program.leaves.contains { $0.sql.sql.contains(" HAVING ") || ($0.distinct && $0.sql.sql.contains("contact_activity")) },
                    "\(text): \(program.leaves.map(\.sql.sql))")
            for (i, leaf) in program.leaves.enumerated() {
                if case .counted = leaf.reading { Issue.record("\(text), set \(i + 1): counted row by row on Citus") }
                if case .summed = leaf.reading { Issue.record("\(text), set \(i + 1): summed row by row on Citus") }
                try p.check(leaf.sql, "\(text), set \(i + 1)")
                try p.check(leaf.restricted, "\(text), set \(i + 1) for some contacts", extra: [p.ids])
            }
            let whole = try p.session.count(counting)
            #expect(try p.store.database.int64(counting.sql.sql, counting.sql.parameters) == whole, "\(text)")
            p.session.restrictedReadFactor = 0
            #expect(try p.session.count(counting) == whole, "\(text), every read restricted")
            p.session.restrictedReadFactor = 30
        }
    }
}
