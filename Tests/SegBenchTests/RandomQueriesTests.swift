import Foundation
import SegQL
import SegSession
import SegStore
import Testing
@testable import segq_bench

/// `segq-bench random`'s generator on a small demo store: every query binds, the
/// queries cover the language, and the plain SQL written for DuckDB gives segq's answer.
@Suite struct RandomQueriesTests {
    /// A 600-contact demo store with one saved list, and a session on it.
    final class Fixture {
        let dir: URL
        let store: Store
        let session: Session
        let now = DemoStore.referenceNow

        init() throws {
            dir = FileManager.default.temporaryDirectory.appendingPathComponent("segq-randbench-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            let path = dir.appendingPathComponent("demo.db").path
            _ = try DemoStore.build(at: path, options: DemoOptions(contacts: 600, seed: 5))
            store = try Store(path: path)
            session = Session(store: store, output: NullOutput()) { _ in }
            session.fixedNow = now
            try session.run(SourceFile(name: "setup", text: #"save list "Spring openers" = opened(campaign: "Spring Sale")"#))
        }

        deinit { try? FileManager.default.removeItem(at: dir) }
    }

    /// What the bound queries use, collected by walking them.
    struct Coverage {
        var kinds: Set<EventKind> = []
        var within = false, since = false, before = false, sinceAndBefore = false
        var counts: Set<String> = []
        var campaignLists = false, links = false, footer = false, machine = false, bounceType = false, reason = false
        var attributeTypes: Set<String> = []
        var oneOf = false, matches = false, exists = false, standardFields: Set<StandardField> = []
        var lists = false, everyone = false, nots = false, ors = false
        var ofLast = false, atLeast = false, relativeRange = false, beforeAgo = false

        mutating func walk(_ q: BoundQuery) {
            switch q {
            case .everyone: everyone = true
            case .nobody: break
            case .and(let xs): xs.forEach { walk($0) }
            case .or(let xs): ors = true; xs.forEach { walk($0) }
            case .not(let x): nots = true; walk(x)
            case .events(let f, let t):
                kinds.insert(f.kind)
                within = within || f.window.within != nil
                since = since || f.window.since != nil
                before = before || f.window.before != nil
                sinceAndBefore = sinceAndBefore || (f.window.since != nil && f.window.before != nil)
                if t.op == .equal, t.value == 0 { counts.insert("= 0") }
                if t.op == .less { counts.insert("<") }
                if t.op == .lessOrEqual { counts.insert("<=") }
                if t.op == .greaterOrEqual, t.value > 1 { counts.insert(">= N") }
                if case .only(let ids) = f.campaigns, ids.count > 1 { campaignLists = true }
                if case .only = f.links { links = true }
                footer = footer || f.includeFooter
                machine = machine || f.machine != nil
                bounceType = bounceType || f.bounce != nil
                reason = reason || f.reason != nil
                ofLast = ofLast || f.ofLast != nil
                relativeRange = relativeRange || (f.window.sinceAgo != nil && f.window.beforeAgo != nil)
                beforeAgo = beforeAgo || (f.window.sinceAgo == nil && f.window.beforeAgo != nil)
                atLeast = atLeast || f.distinctCampaigns
            case .column(let field, let test):
                standardFields.insert(field)
                note(test)
            case .attribute(_, let test):
                note(test)
            case .list: lists = true
            }
        }

        private mutating func note(_ test: FieldTest) {
            switch test {
            case .compare(_, let v): type(v)
            case .between(_, let a, _, let b): type(a); type(b)
            case .oneOf(let vs): oneOf = true; vs.forEach { type($0) }
            case .matches: matches = true
            case .exists: exists = true
            }
        }

        private mutating func type(_ v: FieldLiteral) {
            switch v {
            case .string: attributeTypes.insert("string")
            case .integer, .number: attributeTypes.insert("number")
            case .boolean: attributeTypes.insert("boolean")
            case .time: attributeTypes.insert("time")
            }
        }
    }

    /// How deeply `and`/`or`/`not` nest in the query as written.
    static func depth(_ q: Query) -> Int {
        switch q.kind {
        case .and(let a, let b), .or(let a, let b):
            // A chain of one operator is one level.
            func chain(_ x: Query) -> Int {
                switch (q.kind, x.kind) {
                case (.and, .and(let l, let r)), (.or, .or(let l, let r)): max(chain(l), chain(r))
                default: depth(x)
                }
            }
            return 1 + max(chain(a), chain(b))
        case .not(let a): return 1 + depth(a)
        default: return 0
        }
    }

    @Test func queriesBindAndCoverTheLanguage() throws {
        let f = try Fixture()
        var coverage = Coverage()
        var deepest = 0
        for seed: UInt64 in [1, 2] {
            let texts = try RandomBench.generate(store: f.store, now: f.now, seed: seed, count: 400)
            // Deterministic: the same seed gives the same queries.
            #expect(try RandomBench.generate(store: f.store, now: f.now, seed: seed, count: 400) == texts)
            for text in texts {
                let file = SourceFile(name: "generated", text: text)
                let (parsed, diagnostics) = Parser.parseQuery(file)
                guard let parsed, diagnostics.allSatisfy({ $0.severity != .error }) else {
                    Issue.record("does not parse: \(text)")
                    continue
                }
                do {
                    let c = try f.session.compile(parsed, projection: .count, in: file)
                    coverage.walk(c.bound)
                    deepest = max(deepest, Self.depth(parsed))
                } catch {
                    Issue.record("does not bind: \(text)\n\(error)")
                }
            }
        }
        #expect(coverage.kinds == Set(EventKind.allCases))
        #expect(coverage.within && coverage.since && coverage.before && coverage.sinceAndBefore)
        #expect(coverage.counts == ["= 0", "<", "<=", ">= N"])
        #expect(coverage.campaignLists && coverage.links && coverage.footer && coverage.machine)
        #expect(coverage.bounceType && coverage.reason)
        #expect(coverage.attributeTypes == ["string", "number", "boolean", "time"])
        #expect(coverage.oneOf && coverage.matches && coverage.exists)
        #expect(coverage.standardFields == Set(StandardField.allCases))
        #expect(coverage.lists && coverage.everyone && coverage.nots && coverage.ors)
        #expect(coverage.ofLast && coverage.atLeast && coverage.relativeRange && coverage.beforeAgo)
        #expect(deepest >= 4)
    }

    /// The plain SQL that DuckDB runs gives segq's count, here on SQLite (a second
    /// connection, whose temporary view splits attribute values as the DuckDB copy does).
    @Test func plainSQLAgreesWithSegq() throws {
        let f = try Fixture()
        let plain = try Store(path: f.store.path)
        try plain.database.execute("""
            CREATE TEMP VIEW contact_attributes AS SELECT contact_id, name, type,
              CASE WHEN type = 'string' THEN value END AS value_text,
              CASE WHEN type <> 'string' THEN value END AS value_num
            FROM main.contact_attributes
            """)
        // Globs are case-sensitive in SegQL; SQLite's LIKE is not, unless asked.
        try plain.database.execute("PRAGMA case_sensitive_like = ON")
        var compared = 0
        for text in try RandomBench.generate(store: f.store, now: f.now, seed: 3, count: 300) {
            let file = SourceFile(name: "generated", text: text)
            guard let parsed = Parser.parseQuery(file).query else { continue }
            let c = try f.session.compile(parsed, projection: .count, in: file)
            let segq = try f.store.database.int64(c.sql.sql, c.sql.parameters)
            let sql = PlainSQL.count(c.bound, now: f.now)
            #expect(try plain.database.int64(sql) == segq, "\(text)\n\(sql)")
            compared += 1
        }
        #expect(compared == 300)
    }
}
