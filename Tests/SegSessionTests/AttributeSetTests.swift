// The kept sets of attribute values (`attribute_sets`, schema version 8; docs/planner.md
// § Kept sets): after every way `contact_attributes` changes — an import, a second import
// that changes, adds and deletes values, two contacts merged, the rebuild — each kept
// value's set is exactly the contacts holding that value; the bitmap engine reads them
// for conditions on the attribute and gives the answers the SQL gives; an attribute
// without them (too many values, deleted, corrupt) is read from `contact_attributes`. On
// both backends.

import SegQL
import SegSession
import SegStore
import Testing

@Suite struct AttributeSetTests {
    /// Every attribute's kept sets against `contact_attributes`: each contact with a value
    /// is in exactly one set of its attribute, the set of a value equal to its own.
    static func expectSetsMatchAttributes(_ store: Store, _ stage: String) throws {
        let db = store.database
        let maxID = try db.int64("SELECT coalesce(max(id), 0) FROM contacts") ?? 0
        var names: [String] = []
        try db.query("SELECT DISTINCT name FROM contact_attributes ORDER BY name") { names.append($0.text(0)) }
        #expect(!names.isEmpty)
        for name in names {
            var expected: [String: [Int64]] = [:]
            try db.query("SELECT type, value, contact_id FROM contact_attributes WHERE name = ?1 ORDER BY contact_id", [.text(name)]) {
                expected["\($0.text(0)) \($0.value(1))", default: []].append($0.int64(2))
            }
            var kept: [String: [Int64]] = [:]
            var rows: [(String, SQLValue)] = []
            try db.query("SELECT type, value FROM attribute_sets WHERE name = ?1 ORDER BY type, value", [.text(name)]) {
                rows.append(($0.text(0), $0.value(1)))
            }
            for (i, (type, value)) in rows.enumerated() {
                // The set of that one row.
                let one = CompiledSQL(sql: "SELECT t.contacts FROM attribute_sets t WHERE t.name = ?1 ORDER BY t.type, t.value LIMIT 1 OFFSET ?2",
                                      parameters: [.text(name), .integer(Int64(i))])
                let set = try #require(try store.attributeSetsUnion(name: name, one, maxID: maxID), "\(stage): \(name) \(value)")
                #expect(set.sets == 1, "\(stage): \(name) \(value) kept twice")
                kept["\(type) \(value)", default: []] += set.set.ids()
            }
            #expect(kept == expected, "\(stage): \(name): kept \(kept), contact_attributes \(expected)")
        }
    }

    static let queries = [
        #"country = "SE""#, #"country != "SE""#, #"not country = "SE""#, "country exists", "not country exists",
        #"country in ["SE", "DK"]"#, #"country matches "S*""#, #"country < "O""#, #"country = "se""#,
        "age >= 30", "age != 41", "age in [30, 41.5]", "age < 100 and country exists", "age > 40.9",
        "vip = true", "vip = false or not vip exists", "vip != true", "vip exists and opened",
        #"plan = "pro" or age = 30"#, #"code = "01234""#, "code = 1234", "code exists",
    ]

    /// Each query's members with the kept sets, and with them turned off.
    static func expectSameAnswers(_ f: ActionsFixture, _ stage: String) throws {
        try CampaignSetTests.expectSameAnswers(f, stage, queries)
    }

    static let attributes = [
        #"{"record":"contact","email":"ana@example.com","attributes":{"age":30,"vip":true,"code":"01234","plan":"pro"}}"#,
        #"{"record":"contact","email":"bo@example.com","attributes":{"age":41.5,"vip":false,"code":1234}}"#,
        #"{"record":"contact","email":"cy@example.com","attributes":{"age":41,"plan":"free"}}"#,
        #"{"record":"contact","email":"dee@example.com","attributes":{"age":"thirty","country":"DK"}}"#,
    ]

    @Test func keptThroughImportsMergesAndTheRebuild() throws {
        let f = try ActionsFixture(extra: Self.attributes)
        let store = f.temp.store
        try Self.expectSetsMatchAttributes(store, "first import")
        try Self.expectSameAnswers(f, "first import")
        #expect(try f.members(#"country != "SE""#) == ["bo@example.com", "dee@example.com"])
        #expect(try f.members("age >= 30") == ["ana@example.com", "bo@example.com", "cy@example.com"])
        // The engine reads the sets: explain says so, and analyze counts the sets read.
        #expect(f.run("explain analyze age != 41") == nil)
        #expect(f.lastText().contains("attribute_sets: age, the sets of its values that pass (of 4 values)"), "\(f.lastText())")
        #expect(f.lastText().contains("read 2 "), "\(f.lastText())")

        // A second import: a value changed, one added, one deleted (null), and the SMS
        // contact merged into dee, whose attributes it then holds.
        _ = try Importer(store: store).run([.text([
            #"{"record":"contact","email":"ana@example.com","attributes":{"age":31,"country":null}}"#,
            #"{"record":"contact","email":"cy@example.com","attributes":{"vip":true}}"#,
            #"{"record":"contact","phone":"+46700000001","attributes":{"plan":"team"}}"#,
            #"{"record":"contact","email":"dee@example.com","phone":"+46700000001"}"#,
        ].joined(separator: "\n") + "\n", name: "later.jsonl")])
        try Self.expectSetsMatchAttributes(store, "second import")
        try Self.expectSameAnswers(f, "second import")
        #expect(try f.members("age >= 30") == ["ana@example.com", "bo@example.com", "cy@example.com"])
        let none = try f.members("not country exists")
        #expect(none == ["ana@example.com"], "\(none)")
        #expect(try f.members(#"plan = "team""#) == ["dee@example.com"])

        // Another tool's change to `contact_attributes`, then the rebuild.
        try store.database.execute("DELETE FROM attribute_sets WHERE name = 'age'")
        // Without age's sets, a condition on it is read by its SQL, with the same answer.
        #expect(f.run("explain age != 41") == nil)
        #expect(!f.lastText().contains("attribute_sets"), "\(f.lastText())")
        try Self.expectSameAnswers(f, "age without sets")
        try store.rebuildRollups()
        try Self.expectSetsMatchAttributes(store, "rebuild")
        try Self.expectSameAnswers(f, "rebuild")
    }

    @Test func anAttributeOfManyValuesOrACorruptSetIsReadFromItsRows() throws {
        let f = try ActionsFixture(extra: Self.attributes)
        let store = f.temp.store
        // Over the limit of values: no sets, the rows read.
        try store.database.transaction { try store.refreshAttributeSets(["age"], maxValues: 3) }
        #expect(try store.database.int64("SELECT count(*) FROM attribute_sets WHERE name = 'age'") == 0)
        #expect(f.run("explain age != 41") == nil)
        #expect(!f.lastText().contains("attribute_sets"), "\(f.lastText())")
        try Self.expectSameAnswers(f, "age of too many values")
        // A set that is not one: the leaf is read from its rows, with the same answer.
        for bad in ["", "x", "wAAA", "d////"] {
            try store.database.execute("UPDATE attribute_sets SET contacts = ?1 WHERE name = 'country'", [.text(bad)])
            #expect(try f.members(#"country = "SE""#) == ["ana@example.com", "cy@example.com"], "\(bad) read as a set")
        }
    }
}
