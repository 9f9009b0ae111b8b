import Foundation
import SegQL
import Testing
@testable import SegStore

@Suite struct DemoStoreTests {
    func build(_ contacts: Int, seed: UInt64, in dir: TempDir, name: String = "demo.db") throws -> (Store, DemoSummary) {
        let path = dir.path(name)
        let summary = try DemoStore.build(at: path, options: DemoOptions(contacts: contacts, seed: seed))
        return (try Store(path: path), summary)
    }

    @Test func demoStoreIsRealisticAndConsistent() throws {
        let dir = TempDir()
        let (store, summary) = try build(3_000, seed: 7, in: dir)
        let t = try TestStore.wrapping(store)
        #expect(try summary.contacts == 3_000 && summary.events == Int(t.count("events")))
        #expect(try t.store.info("demo_now") == .integer(DemoStore.referenceNow))
        #expect(try t.text("PRAGMA journal_mode") == "wal")
        #expect(try t.text("PRAGMA integrity_check") == "ok")
        #expect(try t.rows("PRAGMA foreign_key_check").isEmpty)
        // Campaigns: a dozen or more over the year before the reference date, some SMS, multi-message.
        #expect(try t.count("campaigns") >= 12)
        #expect(try t.count("campaigns", "channel = 'sms'") >= 2)
        #expect(try t.int("SELECT messages FROM campaigns WHERE name = 'Welcome Series'") == 3)
        #expect(try t.count("campaigns", "sent_at < \(DemoStore.referenceNow - 300 * 86_400)") >= 1)
        #expect(try t.count("events", "ts >= \(DemoStore.referenceNow)") == 0)
        // Links: footer links, and paths shared across campaigns.
        #expect(try t.count("links", "footer = 1") >= 20)
        #expect(try t.int("SELECT count(DISTINCT campaign_id) FROM links WHERE path = '/pricing'") ?? 0 >= 5)
        // Every kind occurs; hard and soft bounces; drops with reasons; machine opens.
        for kind in EventKind.allCases {
            #expect(try t.count("events", "kind = \(kind.rawValue)") > 0, "kind \(kind.verb)")
        }
        #expect(try t.count("events", "kind = 4 AND bounce = 'hard'") > 0)
        #expect(try t.count("events", "kind = 4 AND bounce = 'soft'") > 0)
        #expect(try t.count("events", "kind = 2 AND reason = 'Bounced Address'") > 0)
        let opens = Double(try t.count("events", "kind = 5"))
        let machine = Double(try t.count("events", "kind = 5 AND machine = 1"))
        #expect(machine / opens > 0.1 && machine / opens < 0.4)
        // About 20-30 events per contact; ~1% of contacts have none; skewed engagement.
        let perContact = Double(summary.events) / 3_000
        #expect(perContact > 18 && perContact < 32)
        let silent = try t.int("SELECT count(*) FROM contacts WHERE id NOT IN (SELECT contact_id FROM contact_activity)") ?? 0
        #expect(silent >= 15 && silent <= 90)
        let neverOpened = try t.count("contact_activity", "opens - machine_opens = 0")
        let heavy = try t.count("contact_activity", "opens - machine_opens >= 20")
        #expect(neverOpened > 300 && heavy > 10 && heavy < neverOpened)
        #expect(try t.count("contacts", "phone IS NOT NULL") > 900)
        #expect(try t.count("contacts", "email IS NULL") > 10)
        // Attributes: country (skewed), plan, a number, some missing.
        let top = try t.text("SELECT value FROM contact_attributes WHERE name = 'country' GROUP BY value ORDER BY count(*) DESC LIMIT 1")
        #expect(top == "SE")
        #expect(try t.count("contact_attributes", "name = 'plan' AND value IN ('free', 'pro', 'team')") > 2_000)
        #expect(try t.count("contact_attributes", "name = 'age' AND type = 'number' AND typeof(value) = 'integer'") > 2_000)
        #expect(try t.count("contact_attributes", "name = 'age'") < 3_000)
        // The rollups computed while generating equal the ones rebuilt from events.
        let maintained = try rollups(t)
        try store.rebuildRollups()
        #expect(try rollups(t) == maintained)
        // Every index of the schema is there.
        #expect(try t.count("sqlite_master", "type = 'index' AND name LIKE 'events_by_%'") == 5)
        #expect(try t.count("sqlite_master", "name IN ('activity_by_contact', 'contact_attributes_by_value')") == 2)
    }

    @Test func sameSeedSameStoreOtherSeedOtherStore() throws {
        let dir = TempDir()
        func digest(_ s: Store) throws -> [[SQLValue]] {
            let t = try TestStore.wrapping(s)
            return try t.rows("""
                SELECT count(*), sum(kind * 7 + contact_id * 13 + campaign_id * 17 + ts % 1000003 + coalesce(link_id, 0)
                                    + machine + length(coalesce(reason, ''))) FROM events
                UNION ALL SELECT count(*), sum(length(coalesce(email, '')) + id) FROM contacts
                UNION ALL SELECT count(*), sum(length(value) + contact_id) FROM contact_attributes
                """)
        }
        let a = try digest(build(500, seed: 1, in: dir, name: "a.db").0)
        let b = try digest(build(500, seed: 1, in: dir, name: "b.db").0)
        let c = try digest(build(500, seed: 2, in: dir, name: "c.db").0)
        #expect(a == b)
        #expect(a != c)
    }

    @Test func aFailedBuildLeavesTheOldStore() throws {
        let dir = TempDir()
        let (old, _) = try build(200, seed: 1, in: dir)
        let before = try TestStore.wrapping(old).count("events")
        var calls = 0
        #expect(throws: DemoError.self) {
            try DemoStore.build(at: dir.path("demo.db"), options: DemoOptions(contacts: 200_000, seed: 3),
                                isCancelled: { calls += 1; return calls > 2 })
        }
        let reopened = try TestStore.wrapping(Store(path: dir.path("demo.db")))
        #expect(try reopened.count("events") == before)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: dir.url.path).filter { $0.contains("building") }
        #expect(leftovers.isEmpty)
    }

    /// A killed build's temporary files are removed by the next build of the same path;
    /// those of a build still running (a live process) are kept.
    @Test func staleBuildFilesAreRemovedByTheNextBuild() throws {
        let dir = TempDir()
        // A pid that is not running (the kernel says so).
        var dead: Int32 = 4_000_000
        while kill(dead, 0) == 0 || errno != ESRCH { dead -= 1 }
        let stale = ["demo.db.building-\(dead)", "demo.db.building-\(dead)-wal", "demo.db.building-\(dead)-journal"]
        let live = "demo.db.building-1"  // init: always alive
        let other = "other.db.building-\(dead)"
        for name in stale + [live, other] { FileManager.default.createFile(atPath: dir.path(name), contents: Data(repeating: 7, count: 1_000)) }
        _ = try build(200, seed: 1, in: dir)
        let left = Set(try FileManager.default.contentsOfDirectory(atPath: dir.url.path).filter { $0.contains("building") })
        #expect(left == [live, other])
    }
}

extension TestStore {
    /// Wraps an opened store (no temporary directory of its own).
    static func wrapping(_ store: Store) throws -> TestStore { TestStore(store: store) }

    init(store: Store) {
        self.store = store
        self.schema = nil
    }
}

/// `segq demo --db postgres://…`: built in SQLite, copied in one transaction; only a
/// database with no segq store, an empty one or a demo store may be replaced unasked.
@Suite(.serialized, .enabled(if: TemporarySchema.base != nil, "needs SEGQ_TEST_POSTGRES"))
struct PostgresDemoTests {
    @Test func aDemoStoreIsCopiedWholeAndReplacesOnlyWhatItMay() throws {
        let schema = try TemporarySchema(base: try #require(TemporarySchema.base))
        defer { withExtendedLifetime(schema) {} }
        #expect(try DemoStore.mayReplacePostgres(url: schema.url), "no store yet")
        let sqlite = try TempDir()
        let file = sqlite.path("demo.db")
        _ = try DemoStore.build(at: file, options: DemoOptions(contacts: 300, seed: 3))
        let summary = try DemoStore.build(at: schema.url, options: DemoOptions(contacts: 300, seed: 3))
        #expect(summary.contacts == 300)
        // Loaded over two connections through a staging schema, swapped in at the end.
        #expect(summary.phases.contains { $0.name.contains("load over two connections") }, "\(summary.phases)")
        #expect(summary.phases.contains { $0.name.contains("copy events") && $0.name.hasSuffix("[connection 2]") })

        // Every table holds the same rows as the SQLite build.
        let a = try TestStore.wrapping(Store(path: file, readOnly: true))
        let b = try TestStore.wrapping(Store(path: schema.url, readOnly: true))
        for table in StoreTransfer.tables.map(\.name) {
            #expect(try a.count(table) == b.count(table), "\(table)")
        }
        #expect(try a.rows("SELECT kind, contact_id, campaign_id, ts FROM events ORDER BY id LIMIT 50")
                == b.rows("SELECT kind, contact_id, campaign_id, ts FROM events ORDER BY id LIMIT 50"))
        // Attribute values (jsonb there) read back as SQLite holds them, type by type.
        let attributes = "SELECT contact_id, name, type, value FROM contact_attributes ORDER BY contact_id, name"
        #expect(try a.rows(attributes) == b.rows(attributes))
        #expect(try b.store.info("demo_now") == .integer(DemoStore.referenceNow))
        #expect(try DemoStore.mayReplacePostgres(url: schema.url), "a demo store may be rebuilt")
        // The indexes, unique constraints and foreign keys dropped for the copy (`contacts`'
        // too) are all made again. The foreign keys of the big tables, checked by segq as
        // the rows streamed, are added NOT VALID (PostgreSQL enforces them on later
        // writes); PostgreSQL's own check of every row then passes, and the store's
        // indexes and constraints are a fresh store's.
        var unchecked: [String] = [], validations: [String] = []
        try b.db.query("""
            SELECT r.relname, format('ALTER TABLE %I VALIDATE CONSTRAINT %I', r.relname, c.conname) FROM pg_constraint c
            JOIN pg_class r ON r.oid = c.conrelid
            WHERE r.relnamespace = CAST(current_schema() AS regnamespace) AND NOT c.convalidated
            """, []) { row in
            unchecked.append(row.text(0))
            validations.append(row.text(1))
        }
        #expect(Set(unchecked) == ["activity", "contact_activity", "contact_attributes", "events", "list_members"],
                "\(unchecked)")
        #expect(unchecked.filter { $0 == "events" }.count == 4, "kind, contact, campaign, link")
        let writable = try TestStore.wrapping(Store(path: schema.url))
        for sql in validations { try writable.db.execute(sql) }
        let fresh = try TestStore(backendIndependent: true)
        #expect(try indexesAndConstraints(b) == indexesAndConstraints(fresh))
        // The rows were copied frozen: every page of the big tables is all-visible at once.
        #expect(try b.int("""
            SELECT count(*) FROM pg_class WHERE relnamespace = CAST(current_schema() AS regnamespace)
              AND relname IN ('events', 'activity', 'contacts') AND relpages > 0 AND relallvisible = relpages
            """) == 3)

        // New rows get ids after the copied ones.
        let imported = try TestStore.wrapping(Store(path: schema.url))
        try imported.importText(#"{"record":"event","kind":"sent","contact":"new@example.com","campaign":"New","ts":5}"#)
        #expect(try imported.int("SELECT max(id) FROM contacts") == 301)

        // A store that is not a demo store is not replaced without --force.
        try imported.db.execute("DELETE FROM store_info WHERE key = 'demo_now'")
        #expect(try !DemoStore.mayReplacePostgres(url: schema.url))
    }

    /// A source row naming a contact the source does not hold: segq's own check misses
    /// it, so that key is added and checked by PostgreSQL, whose error fails the copy,
    /// and the store keeps what it held.
    @Test func aBrokenReferenceFailsTheCopyAndLeavesTheStore() throws {
        let schema = try TemporarySchema(base: try #require(TemporarySchema.base))
        defer { withExtendedLifetime(schema) {} }
        _ = try DemoStore.build(at: schema.url, options: DemoOptions(contacts: 200, seed: 2))
        let before = try TestStore.wrapping(Store(path: schema.url, readOnly: true)).count("events")
        let sqlite = try TempDir()
        let file = sqlite.path("demo.db")
        _ = try DemoStore.build(at: file, options: DemoOptions(contacts: 300, seed: 3))
        let broken = try SQLiteDatabase(path: file)
        try broken.execute("PRAGMA foreign_keys = OFF")
        try broken.execute("UPDATE events SET contact_id = 999999 WHERE id = (SELECT max(id) FROM events)")

        let target = try Store(path: schema.url)
        let error = #expect(throws: DatabaseError.self) {
            try StoreTransfer.copy(from: broken, to: target, replacing: true)
        }
        #expect(error?.message.contains("events_contact_id_fkey") == true, "\(String(describing: error))")
        let after = try TestStore.wrapping(Store(path: schema.url, readOnly: true))
        #expect(try after.count("events") == before)
        #expect(try after.count("contacts") == 200)
        #expect(try stagingSchemas(of: target) == [])
    }

    /// A copy interrupted while its two connections load, or failing on the second one
    /// (a row PostgreSQL refuses), leaves the store as it was and drops its staging
    /// schema; the next copy into the same store succeeds and holds the source's rows.
    @Test func anInterruptedOrFailedCopyLeavesTheStoreAndNoStagingSchema() throws {
        let schema = try TemporarySchema(base: try #require(TemporarySchema.base))
        defer { withExtendedLifetime(schema) {} }
        _ = try DemoStore.build(at: schema.url, options: DemoOptions(contacts: 200, seed: 2))
        let before = try TestStore.wrapping(Store(path: schema.url, readOnly: true))
        let counts = try StoreTransfer.tables.map { try before.count($0.name) }
        let sqlite = try TempDir()
        let file = sqlite.path("demo.db")
        _ = try DemoStore.build(at: file, options: DemoOptions(contacts: 300, seed: 3))
        let target = try Store(path: schema.url)

        // Interrupted on the caller's connection (before its fourth table): the other
        // connection, loading `events`, is stopped too.
        var asked = 0
        let interrupted = #expect(throws: DatabaseError.self) {
            try StoreTransfer.copy(from: SQLiteDatabase(path: file, readOnly: true), to: target, replacing: true,
                                   isCancelled: { asked += 1; return asked > 3 })
        }
        #expect(interrupted?.isInterrupt == true, "\(String(describing: interrupted))")
        #expect(try StoreTransfer.tables.map { try before.count($0.name) } == counts)
        #expect(try stagingSchemas(of: target) == [])

        // A row that PostgreSQL refuses, sent by the second connection.
        let refused = try SQLiteDatabase(path: file)
        try refused.execute("PRAGMA ignore_check_constraints = ON")
        try refused.execute("UPDATE events SET machine = 7 WHERE id = (SELECT max(id) FROM events)")
        let failed = #expect(throws: DatabaseError.self) {
            try StoreTransfer.copy(from: refused, to: target, replacing: true)
        }
        #expect(failed?.message.contains("events_machine_check") == true, "\(String(describing: failed))")
        #expect(try StoreTransfer.tables.map { try before.count($0.name) } == counts)
        #expect(try stagingSchemas(of: target) == [])

        // Put right, the copy succeeds: the source's rows, table by table.
        try refused.execute("UPDATE events SET machine = 0 WHERE machine = 7")
        try StoreTransfer.copy(from: refused, to: target, replacing: true)
        let source = try TestStore.wrapping(Store(path: file, readOnly: true))
        for table in StoreTransfer.tables.map(\.name) {
            #expect(try source.count(table) == before.count(table), "\(table)")
        }
        #expect(try stagingSchemas(of: target) == [])
    }

    /// A staging schema whose copy is gone (no session holds its lock: segq was killed)
    /// is dropped by the next copy; one whose copy is still running is left alone.
    @Test func aKilledCopysStagingSchemaIsDroppedByTheNext() throws {
        let base = try #require(TemporarySchema.base)
        let schema = try TemporarySchema(base: base)
        defer { withExtendedLifetime(schema) {} }
        let other = try PostgresDatabase(url: base)
        let dead = "segq_load_1999999991", running = "segq_load_1999999992"
        try other.execute("CREATE SCHEMA \(dead); CREATE TABLE \(dead).events(id bigint)")
        try other.execute("CREATE SCHEMA \(running)")
        try other.execute("SELECT pg_advisory_lock(hashtextextended('\(running)', 0))")
        defer { try? other.execute("DROP SCHEMA \(running) CASCADE") }
        _ = try DemoStore.build(at: schema.url, options: DemoOptions(contacts: 100, seed: 1))
        var left: Set<String> = []
        try other.query("SELECT nspname FROM pg_namespace WHERE nspname IN ('\(dead)', '\(running)')", []) {
            left.insert($0.text(0))
        }
        #expect(left == [running])
    }

    /// A user who may create tables in the store's schema but no schema in the database
    /// gets the copy over one connection, in one transaction, as before.
    @Test func aUserWhoMayNotCreateSchemasCopiesOverOneConnection() throws {
        let base = try #require(TemporarySchema.base)
        let schema = try TemporarySchema(base: base)
        defer { withExtendedLifetime(schema) {} }
        let admin = try PostgresDatabase(url: base)
        let role = "segq_nocreate_" + schema.name.dropFirst(2).prefix(12)
        try admin.execute("CREATE ROLE \(role) LOGIN")
        defer {
            try? admin.execute("DROP OWNED BY \(role) CASCADE")
            try? admin.execute("DROP ROLE \(role)")
        }
        try admin.execute("GRANT USAGE, CREATE ON SCHEMA \(schema.name) TO \(role)")
        let url = schema.url.replacingOccurrences(of: "://segq@", with: "://\(role)@")
        try #require(url != schema.url, "the test server's URL names the user segq")
        #expect(try admin.int64("SELECT CAST(has_database_privilege('\(role)', current_database(), 'CREATE') AS integer)") == 0)

        let summary = try DemoStore.build(at: url, options: DemoOptions(contacts: 150, seed: 4))
        #expect(!summary.phases.contains { $0.name.contains("two connections") }, "\(summary.phases)")
        let sqlite = try TempDir()
        _ = try DemoStore.build(at: sqlite.path("demo.db"), options: DemoOptions(contacts: 150, seed: 4))
        let a = try TestStore.wrapping(Store(path: sqlite.path("demo.db"), readOnly: true))
        let b = try TestStore.wrapping(Store(path: url, readOnly: true))
        for table in StoreTransfer.tables.map(\.name) {
            #expect(try a.count(table) == b.count(table), "\(table)")
        }
    }

    /// The staging schema a copy through `target`'s connection would use, if it exists.
    private func stagingSchemas(of target: Store) throws -> [String] {
        var names: [String] = []
        try target.database.query(
            "SELECT nspname FROM pg_namespace WHERE nspname = 'segq_load_' || CAST(pg_backend_pid() AS text)", []
        ) { names.append($0.text(0)) }
        return names
    }

    /// Every index and constraint of the store's schema: table, name, definition.
    private func indexesAndConstraints(_ t: TestStore) throws -> [[SQLValue]] {
        try t.rows("""
            SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema()
            UNION ALL
            SELECT r.relname, c.conname, pg_get_constraintdef(c.oid) FROM pg_constraint c
            JOIN pg_class r ON r.oid = c.conrelid JOIN pg_namespace n ON n.oid = r.relnamespace
            WHERE n.nspname = current_schema()
            ORDER BY 1, 2, 3
            """).map { row in
                // The schema's own name appears in the index definitions.
                row.map { if case .text(let s) = $0 { .text(s.replacingOccurrences(of: #"t_[0-9a-f]{32}\."#, with: "", options: .regularExpression)) } else { $0 } }
            }
    }
}
