import Foundation
import Testing
@testable import SegStore
import SegQL

/// The membership history of saved segments (schema version 5): what an import records,
/// and a store of version 4 upgraded to it. On PostgreSQL too when the suite runs there.
@Suite struct SegmentHistoryTests {
    static let day: Int64 = 86_400
    static let t0: Int64 = 1_780_000_000

    func opened(_ contact: String, at ts: Int64) -> String {
        #"{"record":"event","kind":"opened","contact":"\#(contact)","campaign":"A","ts":\#(ts)}"#
    }

    /// A segment saved as segq saves one (its view is made by the next import).
    func saveSegment(_ t: TestStore, _ name: String, _ query: String) throws {
        try t.db.execute("INSERT INTO segments(name, query, view_name, saved_at) VALUES (?1, ?2, ?3, 0)",
                         [.text(name), .text(query), .text("segment_" + name)])
    }

    @Test func eachImportRecordsEverySegmentsJoinsAndLeaves() throws {
        let t = try TestStore(backendIndependent: true)
        try saveSegment(t, "recent", "opened(within: 1d)")
        try saveSegment(t, "ever", "opened")
        let t1 = Self.t0 + 2 * Self.day
        try t.importText(opened("a@x.io", at: Self.t0 - 10), options: ImportOptions(now: Self.t0))
        try t.importText(opened("b@x.io", at: t1 - 10), options: ImportOptions(now: t1))
        let a = try t.int("SELECT id FROM contacts WHERE email = 'a@x.io'") ?? -1
        let b = try t.int("SELECT id FROM contacts WHERE email = 'b@x.io'") ?? -1

        let recent = try #require(try SegmentHistory.evaluations(of: "recent", in: t.store))
        #expect(recent.map { [$0.at, $0.members, $0.joins, $0.leaves] } == [[Self.t0, 1, 1, 0], [t1, 1, 1, 1]])
        #expect(recent.map(\.cause) == ["import", "import"])
        let ever = try #require(try SegmentHistory.evaluations(of: "ever", in: t.store))
        #expect(ever.map { [$0.members, $0.joins, $0.leaves] } == [[1, 1, 0], [2, 1, 0]])
        // Who joined and who left, by evaluation; the members now.
        #expect(try t.rows("""
            SELECT e.evaluated_at, c.contact_id, c.joined FROM segment_changes c
            JOIN segment_evaluations e ON e.id = c.evaluation_id JOIN segments s ON s.id = e.segment_id
            WHERE s.name = 'recent' ORDER BY e.id, c.contact_id
            """) == [[.integer(Self.t0), .integer(a), .integer(1)],
                     [.integer(t1), .integer(a), .integer(0)], [.integer(t1), .integer(b), .integer(1)]])
        #expect(try t.rows("""
            SELECT m.contact_id FROM segment_members m JOIN segments s ON s.id = m.segment_id
            WHERE s.name = 'recent'
            """) == [[.integer(b)]])
        // The members at recorded moments, replayed; nil before the first evaluation.
        let members = try SegmentHistory.members(of: "recent", at: [Self.t0 - 1, Self.t0, t1 - 1, t1], in: t.store)
        #expect(members == [nil, [a], [a], [b]])
        // An import that writes nothing (a bad line stops it) records nothing.
        let failed = try t.importText(opened("c@x.io", at: t1) + "\nnot json", options: ImportOptions(now: t1 + 1))
        #expect(!failed.committed)
        #expect(try t.count("segment_evaluations") == 4)
        // Dropping a segment drops its history.
        try t.db.execute("DROP VIEW segment_recent")
        try t.db.execute("DELETE FROM segments WHERE name = 'recent'")
        #expect(try t.count("segment_evaluations") == 2)
        #expect(try t.count("segment_changes") == 2 && t.count("segment_members") == 2)
    }

    @Test func aMergedContactLeavesTheHistory() throws {
        let t = try TestStore(backendIndependent: true)
        try saveSegment(t, "ever", "opened")
        try t.importText("""
            \(opened("a@x.io", at: 10))
            \(opened("+4670111", at: 11))
            """)
        #expect(try t.count("segment_members") == 2)
        // One contact with both: the phone's contact is merged into the e-mail's.
        try t.importText(#"{"record":"contact","email":"a@x.io","phone":"+4670111"}"#, options: ImportOptions(now: 2_000))
        #expect(try t.count("contacts") == 1)
        #expect(try t.count("segment_members") == 1 && t.count("segment_changes") == 1)
        let ever = try #require(try SegmentHistory.evaluations(of: "ever", in: t.store))
        #expect(ever.map { [$0.members, $0.joins, $0.leaves] } == [[2, 2, 0], [1, 0, 0]])
    }

    @Test(arguments: [false, true])
    func aVersion4StoreUpgradesToTheHistoryTables(postgres: Bool) throws {
        guard !postgres || TemporarySchema.base != nil else { return }
        let dir = TempDir()
        let schema = try postgres ? TemporarySchema.base.map { try TemporarySchema(base: $0) } : nil
        let path = schema?.url ?? dir.path("v4.db")
        if postgres {
            let raw = try PostgresDatabase(url: path)
            for m in Schema.migrations(for: .postgres).prefix(4) { try raw.execute(m) }
            try raw.execute("INSERT INTO store_info(key, value) VALUES ('schema_version', '4'), ('created_by', 'segq')")
        } else {
            let raw = try SQLiteDatabase(path: path)
            for m in Schema.migrations(for: .sqlite).prefix(4) { try raw.execute(m) }
            try raw.execute("PRAGMA user_version = 4")
        }
        let store = try Store(path: path)
        store.segmentCompiler = SavedSegmentSQL.compile
        #expect(try store.schemaVersion() == Schema.version)
        try store.database.execute("INSERT INTO contacts(id, email) VALUES (1, 'a@x.io')")
        try store.database.execute("INSERT INTO segments(id, name, query, view_name, saved_at) VALUES (1, 's', 'opened', 'segment_s', 0)")
        try SegmentHistory.record(nil, cause: .save, at: 5, in: store)
        let evaluations = try #require(try SegmentHistory.evaluations(of: "s", in: store))
        #expect(evaluations.map { [$0.at, $0.members, $0.joins, $0.leaves] } == [[5, 0, 0, 0]])
        // The foreign keys hold after the upgrade: dropping the segment drops its history.
        try store.database.execute("DELETE FROM segments WHERE id = 1")
        #expect(try store.database.int64("SELECT count(*) FROM segment_evaluations") == 0)
    }
}
