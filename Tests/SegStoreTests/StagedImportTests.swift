import Foundation
import SegQL
import Testing
@testable import SegStore

/// The PostgreSQL import's staging (attribute values sent by COPY in several stages and
/// merged later, bulk mode entered before a batch is written) keeps the import contract:
/// the same stored rows as SQLite, the last value of an attribute winning, a deleted
/// value staying deleted, and nothing written when a line is bad.
@Suite struct StagedImportTests {
    /// Every record kind: contacts with attributes changed, removed and carried over a
    /// merge, campaigns and links declared, events of several kinds (a click on a
    /// declared footer link, a repeated id), in that order and interleaved.
    static let everyKind = """
        {"record":"contact","email":"ana@example.com","first_name":"Ana","attributes":{"plan":"free","age":34,"vip":false}}
        {"record":"contact","phone":"+4670","attributes":{"plan":"pro","city":"Oslo"}}
        {"record":"contact","email":"bo@example.com","attributes":{"plan":"pro","gone":"x"}}
        {"record":"campaign","name":"Spring","channel":"email","subject":"Hello","sent_at":"2026-03-01T09:00:00Z"}
        {"record":"link","campaign":"Spring","url":"https://shop.example/unsubscribe","footer":true}
        {"record":"contact","email":"ana@example.com","attributes":{"plan":"team","age":35}}
        {"record":"event","kind":"sent","contact":"ana@example.com","campaign":"Spring","ts":100,"id":"e1"}
        {"record":"event","kind":"delivered","contact":"ana@example.com","campaign":"Spring","ts":101,"id":"e2"}
        {"record":"event","kind":"opened","contact":"bo@example.com","campaign":"Spring","ts":102,"id":"e3"}
        {"record":"event","kind":"clicked","contact":"bo@example.com","campaign":"Spring","ts":103,"url":"https://shop.example/unsubscribe","id":"e4"}
        {"record":"event","kind":"clicked","contact":"+4670","campaign":"Autumn","ts":104,"url":"https://shop.example/a","id":"e5"}
        {"record":"event","kind":"sent","contact":"ana@example.com","campaign":"Spring","ts":100,"id":"e1"}
        {"record":"contact","email":"bo@example.com","attributes":{"gone":null,"plan":"free"}}
        {"record":"contact","email":"ana@example.com","phone":"+4670","attributes":{"vip":true}}
        {"record":"event","kind":"bounced","contact":"cy@example.com","campaign":"Autumn","ts":105,"bounce":"hard","id":"e6"}
        {"record":"contact","email":"cy@example.com","attributes":{"plan":"pro"}}
        """

    /// Options that take the bulk path from the first event and stage attribute values
    /// two at a time, so that one run merges values from several stages.
    static func staged() -> ImportOptions {
        var options = ImportOptions(now: 1_000, bulkThreshold: 0)
        options.attributeStageRows = 2
        return options
    }

    /// What an import stored, by natural keys (ids differ between backends).
    static func stored(_ t: TestStore) throws -> [[[SQLValue]]] {
        [
            try t.rows("SELECT email, phone, first_name, last_name, created_at FROM contacts ORDER BY email, phone"),
            try t.rows("""
                SELECT c.email, a.name, a.type, a.value FROM contact_attributes a JOIN contacts c ON c.id = a.contact_id
                ORDER BY c.email, a.name
                """),
            try t.rows("SELECT name, channel, subject, sent_at, status FROM campaigns ORDER BY name"),
            try t.rows("SELECT c.name, l.url, l.path, l.footer FROM links l JOIN campaigns c ON c.id = l.campaign_id ORDER BY c.name, l.url"),
            try t.rows("""
                SELECT e.kind, c.email, c.phone, k.name, e.ts, l.url, e.bounce, e.machine, e.external_id
                FROM events e JOIN contacts c ON c.id = e.contact_id JOIN campaigns k ON k.id = e.campaign_id
                LEFT JOIN links l ON l.id = e.link_id ORDER BY e.external_id
                """),
            try t.rows("""
                SELECT k.name, c.email, a.sends, a.deliveries, a.bounces, a.opens, a.clicks, a.footer_clicks,
                       a.last_delivered, a.last_opened, a.last_clicked
                FROM activity a JOIN contacts c ON c.id = a.contact_id JOIN campaigns k ON k.id = a.campaign_id
                ORDER BY k.name, c.email
                """),
            try t.rows("""
                SELECT c.email, a.sends, a.opens, a.clicks, a.footer_clicks, a.bounces
                FROM contact_activity a JOIN contacts c ON c.id = a.contact_id ORDER BY c.email
                """),
            try t.rows("SELECT k.name, s.kind, s.events, s.contacts, s.min_ts, s.max_ts FROM event_stats s JOIN campaigns k ON k.id = s.campaign_id ORDER BY k.name, s.kind"),
        ]
    }

    @Test func lastValueWinsAcrossStagesAndDeletedValuesStayDeleted() throws {
        let t = try TestStore(backendIndependent: true)
        let s = try Importer(store: t.store, options: Self.staged()).run([.text(Self.everyKind, name: "all.jsonl")])
        #expect(s.committed && s.bad == 0 && s.duplicates == 1 && s.contactsMerged == 1)
        #expect(try t.rows("""
            SELECT c.email, a.name, a.value FROM contact_attributes a JOIN contacts c ON c.id = a.contact_id
            ORDER BY c.email, a.name
            """) == [
            // Ana's own values win over the merged contact's (+4670's plan), her vip is the last one.
            [.text("ana@example.com"), .text("age"), .integer(35)],
            [.text("ana@example.com"), .text("city"), .text("Oslo")],
            [.text("ana@example.com"), .text("plan"), .text("team")],
            [.text("ana@example.com"), .text("vip"), .integer(1)],
            [.text("bo@example.com"), .text("plan"), .text("free")],
            [.text("cy@example.com"), .text("plan"), .text("pro")],
        ])
    }

    @Test func everyRecordKindStoresWhatSQLiteStores() throws {
        guard TemporarySchema.base != nil else { return }
        let sqlite = try TestStore()
        let postgres = try TestStore(backendIndependent: true)
        let a = try Importer(store: sqlite.store, options: Self.staged()).run([.text(Self.everyKind, name: "all.jsonl")])
        let b = try Importer(store: postgres.store, options: Self.staged()).run([.text(Self.everyKind, name: "all.jsonl")])
        #expect(a.committed && b.committed)
        let counts: (ImportSummary) -> [Int] = {
            [$0.stored, $0.duplicates, $0.contactsCreated, $0.contactsMerged, $0.campaignsCreated, $0.linksCreated]
        }
        #expect(counts(a) == counts(b))
        #expect(try Self.stored(postgres) == Self.stored(sqlite))
        // Imported again: every event a duplicate, every declaration applied again.
        _ = try Importer(store: sqlite.store, options: Self.staged()).run([.text(Self.everyKind, name: "all.jsonl")])
        _ = try Importer(store: postgres.store, options: Self.staged()).run([.text(Self.everyKind, name: "all.jsonl")])
        #expect(try Self.stored(postgres) == Self.stored(sqlite))
    }

    @Test func aBadLineInTheMiddleLeavesNothingWrittenAndTheIndexesInPlace() throws {
        let t = try TestStore(backendIndependent: true)
        try t.importText(importExample)
        let before = try t.snapshot()
        let stored = try Self.stored(t)
        let indexes = try t.db.isPostgres
            ? t.rows("SELECT indexname FROM pg_indexes WHERE schemaname = current_schema() ORDER BY indexname")
            : t.rows("SELECT name FROM sqlite_master WHERE type = 'index' ORDER BY name")
        var lines = Self.everyKind.split(separator: "\n").map(String.init)
        lines.insert(#"{"record":"event","kind":"opened","contact":"ana@example.com","campaign":"Spring"}"#, at: 9)
        var reported: [String] = []
        let importer = Importer(store: t.store, options: Self.staged())
        importer.onBadLine = { reported.append($0.description) }
        let s = try importer.run([.text(lines.joined(separator: "\n"), name: "all.jsonl")])
        #expect(!s.committed)
        #expect(reported == ["all.jsonl:10: error: missing member 'ts'"])
        #expect(try t.snapshot() == before)
        #expect(try Self.stored(t) == stored)
        #expect(try (t.db.isPostgres
            ? t.rows("SELECT indexname FROM pg_indexes WHERE schemaname = current_schema() ORDER BY indexname")
            : t.rows("SELECT name FROM sqlite_master WHERE type = 'index' ORDER BY name")) == indexes)
    }

    @Test func copyWritesEveryIntegerAndTextAsGiven() throws {
        guard let base = TemporarySchema.base else { return }
        let schema = try TemporarySchema(base: base)
        let db = try PostgresDatabase(url: schema.url)
        try db.execute("CREATE TABLE copied (n bigint, t text)")
        let numbers: [Int64?] = [0, 7, 9, 10, -1, -10, 1_234_567_890, nil, .max, .min]
        let texts: [String?] = ["", "plain", "tab\tand\nnewline\r", "back\\slash", "Zoë 😀", nil, "\\N", "a", "b", "c"]
        try db.copy(into: "copied", columns: ["n", "t"]) { w in
            for (n, t) in zip(numbers, texts) {
                w.int(n)
                w.text(t)
                try w.endRow()
            }
        }
        var read: [[SQLValue]] = []
        try db.query("SELECT n, t FROM copied", []) { read.append([$0.value(0), $0.value(1)]) }
        #expect(read == zip(numbers, texts).map { [$0.map(SQLValue.integer) ?? .null, $1.map(SQLValue.text) ?? .null] })
    }
}
