import Foundation
import SegQL
import Testing
@testable import SegStore

@Suite struct DatabaseTests {
    @Test func prepareErrorQuotesSQLitesMessageAndTheSQL() throws {
        let db = try SQLiteDatabase(path: ":memory:")
        do {
            _ = try db.prepare("SELECT nope FROM nowhere")
            Issue.record("expected an error")
        } catch let error as DatabaseError {
            #expect(error.message == "no such table: nowhere")
            #expect(error.sql == "SELECT nope FROM nowhere")
            #expect(error.resultCode == .error)
            #expect(error.description == "SQLite error 1: no such table: nowhere - while executing `SELECT nope FROM nowhere`")
        }
    }

    @Test func stepErrorCarriesTheExtendedCode() throws {
        let db = try SQLiteDatabase(path: ":memory:")
        try db.execute("CREATE TABLE t(x INTEGER UNIQUE)")
        try db.execute("INSERT INTO t VALUES (?)", [.integer(1)])
        do {
            try db.execute("INSERT INTO t VALUES (?)", [.integer(1)])
            Issue.record("expected an error")
        } catch let error as DatabaseError {
            #expect(error.code == 2067)  // SQLITE_CONSTRAINT_UNIQUE
            #expect(error.message == "UNIQUE constraint failed: t.x")
            #expect(error.sql == "INSERT INTO t VALUES (?)")
        }
    }

    @Test func executeErrorQuotesTheScript() throws {
        let db = try SQLiteDatabase(path: ":memory:")
        #expect(throws: DatabaseError(code: 1, message: "near \"SELEC\": syntax error", sql: "SELEC 1")) {
            try db.execute("SELEC 1")
        }
    }

    @Test func prepareRefusesTrailingStatements() throws {
        let db = try SQLiteDatabase(path: ":memory:")
        #expect(throws: DatabaseError.self) { try db.prepare("SELECT 1; SELECT 2") }
        _ = try db.prepare("SELECT 1;  \n")
    }

    @Test func bindCountMustMatch() throws {
        let db = try SQLiteDatabase(path: ":memory:")
        let st = try db.prepare("SELECT ?, ?")
        #expect(throws: DatabaseError.self) { try st.bind([.integer(1)]) }
    }

    @Test func valuesRoundTripWithTheirTypes() throws {
        let db = try SQLiteDatabase(path: ":memory:")
        let values: [SQLValue] = [.null, .integer(-7), .real(2.5), .text(""), .text("Zoë 😀")]
        var got: [SQLValue] = []
        var names: [String] = []
        try db.query("SELECT ? AS a, ? AS b, ? AS c, ? AS d, ? AS e", values) { row in
            got = (0..<row.count).map { row.value($0) }
            names = (0..<row.count).map { row.name($0) }
        }
        #expect(got == values)
        #expect(names == ["a", "b", "c", "d", "e"])
        #expect(try db.text("SELECT typeof(?)", [.text("")]) == "text")
    }

    @Test func queryStreamsRows() throws {
        let db = try SQLiteDatabase(path: ":memory:")
        var n = 0
        var sum: Int64 = 0
        try db.query("WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 100000) SELECT i FROM c") {
            n += 1
            sum += $0.int64(0)
        }
        #expect(n == 100_000 && sum == 5_000_050_000)
    }

    @Test func transactionCommitsOrRollsBack() throws {
        let db = try SQLiteDatabase(path: ":memory:")
        try db.execute("CREATE TABLE t(x)")
        struct Boom: Error {}
        #expect(throws: Boom.self) {
            try db.transaction {
                try db.execute("INSERT INTO t VALUES (1)")
                throw Boom()
            }
        }
        #expect(try db.int64("SELECT count(*) FROM t") == 0)
        #expect(!db.isInTransaction)
        try db.transaction { try db.execute("INSERT INTO t VALUES (1)") }
        #expect(try db.int64("SELECT count(*) FROM t") == 1)
        #expect(db.changes == 1 && db.lastInsertRowID == 1)
    }

    @Test func interruptStopsARunningStatement() throws {
        let db = try SQLiteDatabase(path: ":memory:")
        let thread = Thread { usleep(100_000); db.interrupt() }
        thread.start()
        do {
            _ = try db.int64("WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c) SELECT count(*) FROM c")
            Issue.record("expected an interrupt")
        } catch let error as DatabaseError {
            #expect(error.isInterrupt)
            #expect(error.message == "interrupted")
        }
    }

    @Test func openingADirectoryFails() throws {
        let dir = TempDir()
        #expect(throws: DatabaseError.self) { try SQLiteDatabase(path: dir.url.path) }
    }
}

@Suite struct StoreTests {
    @Test func newStoreHasCurrentSchemaWALAndForeignKeys() throws {
        let t = try TestStore()
        #expect(try t.store.schemaVersion() == Schema.version)
        #expect(try t.text("PRAGMA journal_mode") == "wal")
        #expect(try t.int("PRAGMA foreign_keys") == 1)
        #expect(try t.store.info("created_by") == .text("segq"))
        #expect(try t.rows("SELECT code, name FROM event_kinds ORDER BY code").map { $0[1] }
                == EventKind.allCases.map { .text($0.verb) })
    }

    @Test func anOlderStoreOpensAndUpgrades() throws {
        let dir = TempDir()
        let path = dir.path("old.db")
        // Version 0: an empty file, as an older segq (or `touch`) would leave it; only a
        // command that creates stores (import) takes it (OpenSafetyTests).
        _ = FileManager.default.createFile(atPath: path, contents: Data())
        do {
            let raw = try SQLiteDatabase(path: path)
            #expect(try raw.int64("PRAGMA user_version") == 0)
        }
        let store = try Store(path: path, acceptEmptyFile: true)
        #expect(try store.schemaVersion() == Schema.version)
        #expect(try store.database.int64("SELECT count(*) FROM sqlite_master WHERE name = 'events'") == 1)
        // Reopening runs nothing more.
        let again = try Store(path: path)
        #expect(try again.schemaVersion() == Schema.version)
    }

    @Test func migrationsRunInOrderFromAnyVersion() throws {
        // Stop after the first k migrations by hand, then let Store finish the job.
        let dir = TempDir()
        let path = dir.path("partial.db")
        do {
            let raw = try SQLiteDatabase(path: path)
            try raw.execute(Schema.migrations(for: .sqlite)[0])
            try raw.execute("PRAGMA user_version = 1")
        }
        let store = try Store(path: path)
        #expect(try store.schemaVersion() == Schema.version)
    }

    private func allRows(_ db: Database, _ sql: String) throws -> [[SQLValue]] {
        var out: [[SQLValue]] = []
        try db.query(sql) { row in out.append((0..<row.count).map { row.value($0) }) }
        return out
    }

    @Test func aVersion1StoreKeepsItsRollupsAndViewsThroughVersion2() throws {
        let dir = TempDir()
        let path = dir.path("v1.db")
        let columns = ["sends", "drops", "deliveries", "bounces", "opens", "machine_opens", "clicks", "footer_clicks",
                       "replies", "forwards", "unsubscribes", "complaints", "last_delivered", "last_opened", "last_clicked"]
        let named = columns.joined(separator: ", ")
        do {
            let raw = try SQLiteDatabase(path: path)
            try raw.execute(Schema.migrations(for: .sqlite)[0])
            try raw.execute("PRAGMA user_version = 1")
            try raw.execute("""
                INSERT INTO contacts(id, email) VALUES (1, 'a@x.io'), (2, 'b@x.io');
                INSERT INTO campaigns(id, name, channel, created_at) VALUES (1, 'A', 'email', 0), (2, 'B', 'email', 0);
                INSERT INTO activity(campaign_id, contact_id, \(named)) VALUES
                    (1, 1, 1, 0, 1, 0, 3, 1, 2, 1, 0, 0, 0, 0, 100, 200, 300),
                    (2, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, NULL, NULL, NULL),
                    (1, 2, 1, 0, 1, 0, 0, 0, 0, 0, 1, 0, 1, 1, 150, NULL, NULL);
                INSERT INTO contact_activity(contact_id, \(named)) VALUES
                    (1, 2, 0, 1, 1, 3, 1, 2, 1, 0, 0, 0, 0, 100, 200, 300),
                    (2, 1, 0, 1, 0, 0, 0, 0, 0, 1, 0, 1, 1, 150, NULL, NULL);
                INSERT INTO segments(id, name, query, view_name, saved_at) VALUES
                    (1, 'openers', 'opened', 'segment_openers', 0), (2, 'gone', 'opened(campaign: "Z")', 'segment_gone', 0);
                CREATE VIEW segment_openers AS SELECT contact_id FROM contact_activity WHERE opens >= 1;
                CREATE VIEW segment_gone AS SELECT * FROM "segment 'gone' is broken: no campaign named 'Z'";
                """)
        }
        let before = try SQLiteDatabase(path: path)
        let activity = try allRows(before, "SELECT campaign_id, contact_id, \(named) FROM activity ORDER BY 1, 2")
        let perContact = try allRows(before, "SELECT contact_id, \(named) FROM contact_activity ORDER BY 1")

        let store = try Store(path: path)
        #expect(try store.schemaVersion() == Schema.version)
        let db = store.database
        #expect(try allRows(db, "SELECT campaign_id, contact_id, \(named) FROM activity ORDER BY 1, 2") == activity)
        #expect(try allRows(db, "SELECT contact_id, \(named) FROM contact_activity ORDER BY 1") == perContact)
        // The counts and times queries test come first now.
        let order = try allRows(db, "SELECT name FROM pragma_table_info('contact_activity') ORDER BY cid").map { $0[0] }
        #expect(Array(order.prefix(4)) == [.text("contact_id"), .text("opens"), .text("clicks"), .text("deliveries")])
        #expect(try db.int64("SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name = 'activity_by_contact'") == 1)
        // Version 3: the openers and clickers indexes hold the non-zero rows only, and
        // attribute values are indexed with their type.
        #expect(try db.int64("SELECT count(*) FROM activity INDEXED BY activity_openers WHERE campaign_id = 1 AND opens > 0") == 1)
        #expect(try db.int64("SELECT count(*) FROM activity INDEXED BY activity_clickers WHERE campaign_id = 1 AND clicks > 0") == 1)
        #expect(try db.int64("SELECT count(*) FROM contact_activity INDEXED BY contact_activity_openers WHERE opens > 0") == 1)
        #expect(try db.int64("SELECT count(*) FROM contact_activity INDEXED BY contact_activity_clickers WHERE clicks > 0") == 1)
        let typed = try allRows(db, "SELECT name FROM pragma_index_info('contact_attributes_by_value') ORDER BY seqno").map { $0[0] }
        #expect(typed == [.text("name"), .text("type"), .text("value"), .text("contact_id")])
        #expect(try db.int64("SELECT count(*) FROM sqlite_master WHERE name LIKE '%_v1'") == 0)
        // The tables keep their plain names in the schema text (`.schema` shows it).
        #expect(try db.text("SELECT sql FROM sqlite_master WHERE name = 'activity'")?.hasPrefix("CREATE TABLE activity (") == true)
        #expect(try db.text("SELECT sql FROM sqlite_master WHERE name = 'events_by_link'")?.contains("(link_id, kind, contact_id)") == true)
        // The views read the new tables; a broken one still fails with its reason.
        #expect(try allRows(db, "SELECT contact_id FROM segment_openers") == [[.integer(1)]])
        #expect(throws: DatabaseError.self) { try allRows(db, "SELECT * FROM segment_gone") }
        #expect(try db.text("PRAGMA integrity_check") == "ok")
        #expect(try allRows(db, "PRAGMA foreign_key_check").isEmpty)
        #expect(try db.int64("PRAGMA legacy_alter_table") == 0)
    }

    @Test func theCatalogFollowsEveryChangeToTheStore() throws {
        let dir = TempDir()
        let path = dir.path("catalog.db")
        let store = try Store(path: path)
        func names() throws -> [String] { try store.catalog().campaigns.map(\.name) }
        #expect(try names() == [])
        // A write on the store's own connection.
        try store.database.execute("INSERT INTO campaigns(name, created_at) VALUES ('A', 0)")
        #expect(try names() == ["A"])
        // A commit by another connection (another segq process).
        let other = try SQLiteDatabase(path: path)
        try other.execute("INSERT INTO campaigns(name, created_at) VALUES ('B', 0)")
        #expect(try names() == ["A", "B"])
        // A write rolled back leaves no trace, even though it was seen inside its transaction.
        struct Abort: Error {}
        _ = try? store.database.transaction {
            try store.database.execute("INSERT INTO campaigns(name, created_at) VALUES ('C', 0)")
            #expect(try names() == ["A", "B", "C"])
            throw Abort()
        }
        #expect(try names() == ["A", "B"])
        // Statistics too: the planner's estimates follow an import.
        try other.execute("INSERT INTO event_stats(campaign_id, kind, events, contacts) VALUES (1, 5, 10, 7)")
        #expect(try store.catalog().stats[1]?[.opened]?.contacts == 7)
    }

    /// The planner's sample: contacts spread over the ids, each with its columns, its
    /// attributes typed as stored and its per-contact rollup; renewed when the store changes.
    @Test func theContactSampleReadsEachSampledContactWhole() throws {
        let dir = TempDir()
        let store = try Store(path: dir.path("sample.db"))
        let db = store.database
        for i in 1...40 {
            try db.execute("INSERT INTO contacts(id, email, first_name, created_at) VALUES (\(i), 'c\(i)@x.example', 'N\(i)', \(1000 + i))")
        }
        try db.execute("INSERT INTO contact_attributes(contact_id, name, type, value) VALUES (20, 'plan', 'string', 'pro'), (20, 'vip', 'boolean', 1), (20, 'orders', 'number', 3.5)")
        try db.execute("INSERT INTO contact_activity(contact_id, opens, clicks, last_opened) VALUES (20, 4, 1, 1234)")
        let sample = try store.contactSample(size: 4)
        // Every tenth id: 10, 20, 30, 40.
        #expect(sample.contacts.count == 4)
        let c = try #require(sample.contacts.first { $0.columns[.email] == .string("c20@x.example") })
        #expect(c.columns[.first_name] == .string("N20") && c.columns[.created_at] == .time(1020) && c.columns[.phone] == nil)
        #expect(c.attributes == ["plan": .string("pro"), "vip": .boolean(true), "orders": .number(3.5)])
        #expect(c.activity["opens"] == 4 && c.activity["clicks"] == 1 && c.activity["last_opened"] == 1234 && c.activity["last_clicked"] == nil)
        #expect(sample.contacts.filter { $0.activity.isEmpty }.count == 3)
        try db.execute("DELETE FROM contact_attributes")
        #expect(try store.contactSample(size: 4).contacts.allSatisfy { $0.attributes.isEmpty })
    }

    @Test func aNewerStoreIsRefused() throws {
        let dir = TempDir()
        let path = dir.path("new.db")
        do {
            let raw = try SQLiteDatabase(path: path)
            try raw.execute("PRAGMA user_version = \(Schema.version + 1)")
        }
        #expect(throws: StoreError.newerSchema(path: path, found: Schema.version + 1, known: Schema.version)) {
            try Store(path: path)
        }
        let message = StoreError.newerSchema(path: "x.db", found: 9, known: 1).description
        #expect(message == "x.db: the store has schema version 9, but this segq knows only up to 1; use a newer segq")
    }

    @Test func anotherApplicationsDatabaseIsRefused() throws {
        let dir = TempDir()
        let path = dir.path("other.db")
        do {
            let raw = try SQLiteDatabase(path: path)
            try raw.execute("CREATE TABLE notes(x)")
        }
        #expect(throws: StoreError.notAStore(path: path)) { try Store(path: path) }
        // Untouched.
        let raw = try SQLiteDatabase(path: path)
        #expect(try raw.int64("SELECT count(*) FROM sqlite_master") == 1)
    }

    @Test func readOnlyStoresCannotBeWritten() throws {
        let t = try TestStore()
        try t.importText(importExample)
        let ro = try Store(path: t.path, readOnly: true)
        #expect(try ro.database.int64("SELECT count(*) FROM events") == 3)
        // The write is refused with the read-only result code (what the session's
        // "the store is open read-only" message tests), not only some error.
        let refusal = #expect(throws: DatabaseError.self) { try ro.database.execute("DELETE FROM events") }
        #expect(refusal?.isReadOnly == true && refusal?.resultCode == .readOnly)
        #expect(throws: StoreError.missing(path: t.dir.path("none.db"))) {
            try Store(path: t.dir.path("none.db"), readOnly: true)
        }
    }

    /// `run`, `repl` and `.open` open a store through one door: a missing file is
    /// refused without creating it, a failed open names the path and the reason.
    @Test func openingAnExistingStore() throws {
        let t = try TestStore()
        try t.importText(importExample)
        #expect(try Store.openExisting(path: t.path, readOnly: true, verbose: false).database.int64("SELECT count(*) FROM events") == 3)
        let none = t.dir.path("none.db")
        #expect(throws: StoreOpenFailure.missing(path: none)) { try Store.openExisting(path: none, readOnly: false, verbose: false) }
        #expect(!FileManager.default.fileExists(atPath: none))
        let text = t.dir.path("text.db")
        _ = FileManager.default.createFile(atPath: text, contents: Data(String(repeating: "hello world\n", count: 200).utf8))
        do {
            _ = try Store.openExisting(path: text, readOnly: false, verbose: false)
            Issue.record("expected an error")
        } catch {
            #expect(error.description.hasPrefix("cannot open '\(text)': \(text): not a readable segq store"))
        }
    }

    @Test func notADatabaseIsAClearError() throws {
        let dir = TempDir()
        let path = dir.path("text.db")
        _ = FileManager.default.createFile(atPath: path, contents: Data(String(repeating: "hello world\n", count: 200).utf8))
        do {
            _ = try Store(path: path)
            Issue.record("expected an error")
        } catch let error as StoreError {
            #expect(error.description.contains("not a readable segq store") && error.description.contains("not a database"))
        }
    }
}

/// A connection polls its statement's cancellation (Ctrl-C, a timeout): SQLite while a
/// statement runs (its progress handler), and before one is prepared.
@Suite struct DatabaseCancellationTests {
    /// A deadline stops an endless statement (the test's own limit if it did not).
    @Test func aDeadlineStopsARunningStatement() throws {
        let db = try SQLiteDatabase(path: ":memory:")
        let flag = Cancellation()
        db.cancellation = flag
        flag.start(timeout: 0.2)
        defer { flag.finish() }
        do {
            _ = try db.int64("WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c) SELECT count(*) FROM c")
            Issue.record("expected an interrupt")
        } catch let error as DatabaseError {
            #expect(error.isInterrupt)
        }
        #expect(flag.reason == .timedOut(seconds: 0.2))
    }

    /// Once cancelled, no statement starts, however short; once the statement is
    /// finished, the connection works again, and without a cancellation it always does.
    @Test func aCancelledStatementStartsNoMoreSQL() throws {
        let db = try SQLiteDatabase(path: ":memory:")
        let flag = Cancellation()
        db.cancellation = flag
        flag.start(timeout: nil)
        flag.cancel()
        #expect(throws: DatabaseError(code: DatabaseError.interrupt, message: "interrupted", sql: "SELECT 1")) {
            try db.int64("SELECT 1")
        }
        flag.finish()
        #expect(try db.int64("SELECT 1") == 1)
        flag.start(timeout: nil)
        flag.cancel()
        db.cancellation = nil
        #expect(try db.int64("SELECT 2") == 2)
    }
}
