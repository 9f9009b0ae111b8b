import Foundation
import SegQL
import Testing
@testable import SegStore

/// IMPORT.md's example, verbatim.
let importExample = """
{"record":"contact","email":"ana@example.com","phone":"+46701234567","first_name":"Ana","last_name":"Berg","created_at":"2026-01-05T10:00:00Z","attributes":{"country":"SE","plan":"pro","age":34}}
{"record":"campaign","name":"Spring Sale","channel":"email","subject":"Spring is here","sent_at":"2026-03-01T09:00:00Z","messages":2}
{"record":"link","campaign":"Spring Sale","url":"https://shop.example.com/pricing?utm_source=mail","footer":false}
{"record":"event","id":"e-1","kind":"opened","contact":"ana@example.com","campaign":"Spring Sale","ts":"2026-03-01T10:12:00Z"}
{"record":"event","kind":"clicked","contact":"ana@example.com","campaign":"Spring Sale","message":2,"url":"https://shop.example.com/pricing?utm_source=mail","ts":1772360000}
{"record":"event","kind":"bounced","contact":"bob@example.com","campaign":"Spring Sale","bounce":"hard","reason":"550 5.1.1 user unknown","ts":"2026-03-01T09:00:05Z"}
"""

@Suite struct ImportRecordTests {
    @Test func specExampleStoresEveryField() throws {
        let t = try TestStore(backendIndependent: true)
        let s = try t.importText(importExample)
        #expect(s.committed)
        #expect(s.records == 6 && s.stored == 3 && s.declarations == 3 && s.bad == 0 && s.duplicates == 0)

        // contact: every field
        let ana = try t.rows("SELECT id, email, phone, first_name, last_name, created_at FROM contacts WHERE email = 'ana@example.com'")
        #expect(ana == [[.integer(1), .text("ana@example.com"), .text("+46701234567"), .text("Ana"), .text("Berg"), .integer(1_767_607_200)]])
        let attrs = try t.rows("SELECT name, type, value, \(t.valueStorageClass) FROM contact_attributes WHERE contact_id = 1 ORDER BY name")
        #expect(attrs == [
            [.text("age"), .text("number"), .integer(34), .text("integer")],
            [.text("country"), .text("string"), .text("SE"), .text("text")],
            [.text("plan"), .text("string"), .text("pro"), .text("text")],
        ])
        // campaign: every field
        let campaign = try t.rows("SELECT name, channel, subject, sent_at, sent_at_declared, messages, status, created_at FROM campaigns")
        #expect(campaign == [[.text("Spring Sale"), .text("email"), .text("Spring is here"), .integer(1_772_355_600),
                              .integer(1), .integer(2), .text("sent"), .integer(1_000)]])
        // link: url, path, footer
        let link = try t.rows("SELECT url, path, footer FROM links")
        #expect(link == [[.text("https://shop.example.com/pricing?utm_source=mail"), .text("/pricing"), .integer(0)]])
        // events: every field, both time forms
        let events = try t.rows("""
            SELECT kind, c.email, campaign_id, message, ts, link_id, bounce, reason, machine, external_id
            FROM events e JOIN contacts c ON c.id = e.contact_id ORDER BY e.id
            """)
        #expect(events == [
            [.integer(5), .text("ana@example.com"), .integer(1), .integer(1), .integer(1_772_359_920), .null, .null, .null, .integer(0), .text("e-1")],
            [.integer(6), .text("ana@example.com"), .integer(1), .integer(2), .integer(1_772_360_000), .integer(1), .null, .null, .integer(0), .null],
            [.integer(4), .text("bob@example.com"), .integer(1), .integer(1), .integer(1_772_355_605), .null, .text("hard"), .text("550 5.1.1 user unknown"), .integer(0), .null],
        ])
    }

    @Test func everyEventKindAndKindSpecificMember() throws {
        let t = try TestStore(backendIndependent: true)
        var lines: [String] = []
        for (i, kind) in EventKind.allCases.enumerated() {
            var m: [(String, String)] = [("record", "\"event\""), ("kind", jsonString(kind.verb)),
                                         ("contact", "\"x@example.com\""), ("campaign", "\"C\""), ("ts", String(1_000 + i))]
            switch kind {
            case .opened: m.append(("machine", "true"))
            case .clicked: m.append(("url", "\"https://a.example/x\""))
            case .bounced: m += [("bounce", "\"soft\""), ("reason", "\"mailbox full\"")]
            case .dropped: m.append(("reason", "\"Bounced Address\""))
            default: break
            }
            lines.append(line(m))
        }
        let s = try t.importText(lines.joined(separator: "\n"))
        #expect(s.stored == 10)
        let kinds = try t.rows("SELECT kind, machine, link_id IS NOT NULL, bounce, reason FROM events ORDER BY kind")
        #expect(kinds.map { $0[0] } == (1...10).map { SQLValue.integer(Int64($0)) })
        #expect(kinds[4] == [.integer(5), .integer(1), .integer(0), .null, .null])
        #expect(kinds[5] == [.integer(6), .integer(0), .integer(1), .null, .null])
        #expect(kinds[3] == [.integer(4), .integer(0), .integer(0), .text("soft"), .text("mailbox full")])
        #expect(kinds[1] == [.integer(2), .integer(0), .integer(0), .null, .text("Bounced Address")])
    }

    @Test(arguments: [
        ("\"2026-03-01T09:00:00Z\"", Int64(1_772_355_600)),
        ("\"2026-03-01T11:00:00+02:00\"", Int64(1_772_355_600)),
        ("\"2026-03-01T04:30:00-0430\"", Int64(1_772_355_600)),
        ("\"2026-03-01T09:00:00.999Z\"", Int64(1_772_355_600)),
        ("\"2026-03-01t09:00:00z\"", Int64(1_772_355_600)),
        ("1772355600", Int64(1_772_355_600)),
        ("\"2024-02-29T00:00:00Z\"", Int64(1_709_164_800)),
        ("\"1969-12-31T23:59:59Z\"", Int64(-1)),
    ])
    func timestampsInBothForms(ts: String, expected: Int64) throws {
        let t = try TestStore(backendIndependent: true)
        let s = try t.importText(#"{"record":"event","kind":"sent","contact":"a@b.c","campaign":"C","ts":\#(ts)}"#)
        #expect(s.stored == 1)
        #expect(try t.int("SELECT ts FROM events") == expected)
    }

    @Test func autoCreatesContactsCampaignsAndLinks() throws {
        let t = try TestStore(backendIndependent: true)
        let s = try t.importText("""
            {"record":"event","kind":"clicked","contact":"New@Example.COM","campaign":"Fresh","url":"shop.example.com/a/b?x=1#top","ts":5}
            {"record":"event","kind":"delivered","contact":"+4670111","campaign":"Fresh","ts":6}
            """)
        #expect(s.contactsCreated == 2 && s.campaignsCreated == 1 && s.linksCreated == 1)
        #expect(try t.rows("SELECT email, phone, first_name, created_at FROM contacts ORDER BY id") == [
            [.text("new@example.com"), .null, .null, .null], [.null, .text("+4670111"), .null, .null],
        ])
        // An auto-created campaign: channel email, unsent (no sent event), messages 1.
        #expect(try t.rows("SELECT channel, sent_at, status, messages, sent_at_declared FROM campaigns") == [
            [.text("email"), .null, .text("draft"), .integer(1), .integer(0)],
        ])
        #expect(try t.rows("SELECT path, footer FROM links") == [[.text("/a/b"), .integer(0)]])
        #expect(try t.count("contact_attributes") == 0)
    }

    @Test func laterDeclarationsFillInFields() throws {
        let t = try TestStore(backendIndependent: true)
        try t.importText("""
            {"record":"event","kind":"sent","contact":"ana@example.com","campaign":"C","ts":100}
            {"record":"event","kind":"sent","contact":"ana@example.com","campaign":"C","ts":50,"message":3}
            {"record":"event","kind":"clicked","contact":"ana@example.com","campaign":"C","url":"https://x.example/u","ts":200}
            """)
        // sent_at = the earliest sent event; status sent; messages raised to the highest message.
        #expect(try t.rows("SELECT sent_at, status, messages, sent_at_declared FROM campaigns") == [
            [.integer(50), .text("sent"), .integer(3), .integer(0)],
        ])
        try t.importText("""
            {"record":"contact","email":"ANA@example.com","first_name":"Ana","created_at":7,"attributes":{"plan":"pro"}}
            {"record":"campaign","name":"C","channel":"sms","subject":"Hi","sent_at":40,"messages":4}
            {"record":"link","campaign":"C","url":"https://x.example/u","footer":true}
            """)
        #expect(try t.rows("SELECT first_name, last_name, created_at FROM contacts") == [[.text("Ana"), .null, .integer(7)]])
        #expect(try t.rows("SELECT channel, subject, sent_at, messages, status, sent_at_declared FROM campaigns") == [
            [.text("sms"), .text("Hi"), .integer(40), .integer(4), .text("sent"), .integer(1)],
        ])
        #expect(try t.int("SELECT footer FROM links") == 1)
        // The click became a footer click when the link was declared a footer link.
        #expect(try t.rows("SELECT clicks, footer_clicks, last_clicked FROM activity") == [[.integer(0), .integer(1), .null]])
        // A later sent event does not move a declared send time.
        try t.importText(#"{"record":"event","kind":"sent","contact":"b@x.y","campaign":"C","ts":10}"#)
        #expect(try t.int("SELECT sent_at FROM campaigns") == 40)
    }

    @Test func emailsMatchCaseInsensitively() throws {
        let t = try TestStore(backendIndependent: true)
        let s = try t.importText("""
            {"record":"event","kind":"opened","contact":"Ana.Berg@Example.COM","campaign":"C","ts":1}
            {"record":"event","kind":"opened","contact":"ana.berg@example.com","campaign":"C","ts":2}
            {"record":"contact","email":"ANA.BERG@EXAMPLE.COM","first_name":"Ana"}
            {"record":"event","kind":"opened","contact":"ÅSA@Example.com","campaign":"C","ts":3}
            {"record":"event","kind":"opened","contact":"åsa@example.com","campaign":"C","ts":4}
            """)
        #expect(s.contactsCreated == 2)
        #expect(try t.rows("SELECT email, first_name FROM contacts ORDER BY id") == [
            [.text("ana.berg@example.com"), .text("Ana")], [.text("åsa@example.com"), .null],
        ])
        #expect(try t.int("SELECT opens FROM contact_activity WHERE contact_id = 1") == 2)
    }

    @Test func phoneContactsAndContactsWithBoth() throws {
        let t = try TestStore(backendIndependent: true)
        try t.importText("""
            {"record":"contact","email":"ana@example.com","phone":"+46701234567"}
            {"record":"event","kind":"delivered","contact":"+46701234567","campaign":"SMS","ts":1}
            {"record":"event","kind":"opened","contact":"ana@example.com","campaign":"Mail","ts":2}
            {"record":"event","kind":"delivered","contact":"+4799999","campaign":"SMS","ts":3}
            """)
        #expect(try t.count("contacts") == 2)
        #expect(try t.int("SELECT count(DISTINCT contact_id) FROM events WHERE contact_id = 1") == 1)
        #expect(try t.int("SELECT count(*) FROM events WHERE contact_id = 1") == 2)
    }

    @Test func attributeTypesAndRemoval() throws {
        let t = try TestStore(backendIndependent: true)
        try t.importText(#"{"record":"contact","email":"a@x.y","attributes":{"s":"01234","i":34,"r":2.5,"whole":3.0,"b":true,"f":false,"gone":"x"}}"#)
        #expect(try t.rows("SELECT name, type, value, \(t.valueStorageClass) FROM contact_attributes ORDER BY name") == [
            [.text("b"), .text("boolean"), .integer(1), .text("integer")],
            [.text("f"), .text("boolean"), .integer(0), .text("integer")],
            [.text("gone"), .text("string"), .text("x"), .text("text")],
            [.text("i"), .text("number"), .integer(34), .text("integer")],
            [.text("r"), .text("number"), .real(2.5), .text("real")],
            [.text("s"), .text("string"), .text("01234"), .text("text")],
            [.text("whole"), .text("number"), .integer(3), .text("integer")],
        ])
        try t.importText(#"{"record":"contact","email":"a@x.y","attributes":{"gone":null,"i":"now text"}}"#)
        #expect(try t.rows("SELECT name, type, value FROM contact_attributes WHERE name IN ('gone', 'i')") == [
            [.text("i"), .text("string"), .text("now text")],
        ])
    }

    @Test func stringEscapesAndUnicode() throws {
        let t = try TestStore(backendIndependent: true)
        try t.importText(#"{"record":"contact","email":"a@x.y","first_name":"Zo\u00eb \"Z\" \ud83d\ude00","last_name":"Tab\tEnd\\"}"#)
        #expect(try t.rows("SELECT first_name, last_name FROM contacts") == [[.text("Zoë \"Z\" 😀"), .text("Tab\tEnd\\")]])
    }

    @Test func blankLinesAndCRLFAndUnknownMembers() throws {
        let t = try TestStore(backendIndependent: true)
        let s = try t.importText("\r\n   \n{\"record\":\"event\",\"kind\":\"sent\",\"contact\":\"a@x.y\",\"campaign\":\"C\",\"ts\":1,\"extra\":{\"deep\":[1,2]}}\r\n\n")
        #expect(s.records == 1 && s.stored == 1 && s.bad == 0)
    }

    @Test func duplicateIDsAreSkippedOnReimportAndWithinAFile() throws {
        let t = try TestStore(backendIndependent: true)
        let file = """
            {"record":"event","id":"a","kind":"sent","contact":"x@y.z","campaign":"C","ts":1}
            {"record":"event","id":"b","kind":"opened","contact":"x@y.z","campaign":"C","ts":2}
            {"record":"event","id":"a","kind":"opened","contact":"x@y.z","campaign":"C","ts":3}
            """
        let first = try t.importText(file)
        #expect(first.stored == 2 && first.duplicates == 1)
        let before = try t.snapshot()
        let rollupsBefore = try rollups(t)
        let second = try t.importText(file)
        #expect(second.stored == 0 && second.duplicates == 3)
        #expect(try t.snapshot() == before)
        #expect(try rollups(t) == rollupsBefore)
        // A duplicate naming unknown things creates nothing.
        let third = try t.importText(#"{"record":"event","id":"b","kind":"clicked","contact":"new@y.z","campaign":"New","url":"https://n.example/","ts":9}"#)
        #expect(third.duplicates == 1 && third.stored == 0)
        #expect(try t.count("contacts") == 1 && t.count("campaigns") == 1)
    }

    @Test func connectionSettingsAreRestoredAfterAnImport() throws {
        let t = try TestStore()
        let secureDelete = try t.int("PRAGMA secure_delete")
        let cache = try t.int("PRAGMA cache_size")
        try t.importText(importExample, options: ImportOptions(bulkThreshold: 0))
        #expect(try t.int("PRAGMA foreign_keys") == 1)
        #expect(try t.int("PRAGMA secure_delete") == secureDelete)
        #expect(try t.int("PRAGMA cache_size") == cache)
        #expect(!t.db.isInTransaction)
    }

    @Test func contactWithEmailAndPhoneMergesTwoContacts() throws {
        let t = try TestStore(backendIndependent: true)
        try t.importText("""
            {"record":"event","kind":"opened","contact":"ana@example.com","campaign":"Mail","ts":10}
            {"record":"event","kind":"delivered","contact":"+46701","campaign":"Mail","ts":20}
            {"record":"event","kind":"clicked","contact":"+46701","campaign":"SMS","ts":30}
            {"record":"contact","phone":"+46701","first_name":"Ana","attributes":{"plan":"pro","country":"NO"}}
            {"record":"contact","email":"ana@example.com","attributes":{"country":"SE"}}
            """)
        try t.db.execute("INSERT INTO lists(id, name, query, saved_at) VALUES (1, 'L', 'q', 0)")
        try t.db.execute("INSERT INTO list_members VALUES (1, 2)")
        #expect(try t.count("contacts") == 2)
        let s = try t.importText(#"{"record":"contact","email":"ana@example.com","phone":"+46701","last_name":"Berg"}"#)
        #expect(s.contactsMerged == 1)
        #expect(try t.rows("SELECT id, email, phone, first_name, last_name FROM contacts") == [
            [.integer(1), .text("ana@example.com"), .text("+46701"), .text("Ana"), .text("Berg")],
        ])
        #expect(try t.rows("SELECT DISTINCT contact_id FROM events") == [[.integer(1)]])
        // The kept contact's attributes win; the other's fill in.
        #expect(try t.rows("SELECT name, value FROM contact_attributes ORDER BY name") == [
            [.text("country"), .text("SE")], [.text("plan"), .text("pro")],
        ])
        #expect(try t.rows("SELECT list_id, contact_id FROM list_members") == [[.integer(1), .integer(1)]])
        #expect(try t.rows("SELECT campaign_id, contact_id, opens, deliveries, clicks FROM activity ORDER BY campaign_id") == [
            [.integer(1), .integer(1), .integer(1), .integer(1), .integer(0)],
            [.integer(2), .integer(1), .integer(0), .integer(0), .integer(1)],
        ])
        #expect(try t.rows("SELECT kind, contacts FROM event_stats WHERE campaign_id = 1 ORDER BY kind") == [
            [.integer(3), .integer(1)], [.integer(5), .integer(1)],
        ])
        let maintained = try rollups(t)
        try t.store.rebuildRollups()
        #expect(try rollups(t) == maintained)
        // Both identifiers now find the merged contact.
        try t.importText(#"{"record":"event","kind":"sent","contact":"+46701","campaign":"Mail","ts":40}"#)
        #expect(try t.count("contacts") == 1)
        if !t.db.isPostgres { #expect(try t.int("PRAGMA foreign_key_check") == nil) }
    }
}

@Suite struct BadLineTests {
    /// Imports `bad` after a good line and returns the one reported bad line.
    func badLine(_ bad: String) throws -> BadLine {
        let t = try TestStore(backendIndependent: true)
        let s = try t.importText(#"{"record":"event","kind":"sent","contact":"a@b.c","campaign":"C","ts":1}"# + "\n" + bad, name: "events.jsonl")
        #expect(!s.committed)
        #expect(s.bad == 1)
        let first = try #require(s.badLines.first)
        #expect(first.line == 2 && first.file == "events.jsonl")
        return first
    }

    @Test(arguments: [
        (#"{"record":"event","kind":"sent","contact":"a@b.c","campaign":"C""#, "not valid JSON: expected ',' or '}' after member, found end of line (column 65)"),
        ("not json", "not valid JSON: a line must be one JSON object, found 'n' (column 1)"),
        (#"["record"]"#, "not valid JSON: a line must be one JSON object, found '[' (column 1)"),
        (#"{"record":"event"} x"#, "not valid JSON: unexpected 'x' after the object (column 20)"),
        (#"{"kind":"sent"}"#, "missing member 'record'"),
        (#"{"record":"evnt"}"#, "unknown record 'evnt' (expected contact, campaign, link or event)"),
        (#"{"record":"event","contact":"a@b.c","campaign":"C","ts":1}"#, "missing member 'kind'"),
        (#"{"record":"event","kind":"opend","contact":"a@b.c","campaign":"C","ts":1}"#, "unknown kind 'opend'; did you mean 'opened'?"),
        (#"{"record":"event","kind":"sent","campaign":"C","ts":1}"#, "missing member 'contact'"),
        (#"{"record":"event","kind":"sent","contact":"a@b.c","ts":1}"#, "missing member 'campaign'"),
        (#"{"record":"event","kind":"sent","contact":"a@b.c","campaign":"C"}"#, "missing member 'ts'"),
        (#"{"record":"event","kind":"sent","contact":"a@b.c","campaign":"C","ts":"yesterday"}"#, "'ts' must be an ISO-8601 date-time with a zone or integer Unix seconds, not \"yesterday\""),
        (#"{"record":"event","kind":"sent","contact":"a@b.c","campaign":"C","ts":"2026-03-01T09:00:00"}"#, "'ts' has no time zone: \"2026-03-01T09:00:00\"; add one, or give the zone of such times with --tz (e.g. --tz Europe/Stockholm)"),
        (#"{"record":"event","kind":"sent","contact":"a@b.c","campaign":"C","ts":"2026-02-30T09:00:00Z"}"#, "'ts' must be an ISO-8601 date-time with a zone or integer Unix seconds, not \"2026-02-30T09:00:00Z\""),
        (#"{"record":"event","kind":"sent","contact":"a@b.c","campaign":"C","ts":1.5}"#, "'ts' must be an ISO-8601 date-time with a zone or integer Unix seconds, not 1.5"),
        (#"{"record":"event","kind":"sent","contact":5,"campaign":"C","ts":1}"#, "'contact' must be a string, not a number"),
        (#"{"record":"event","kind":"sent","contact":"","campaign":"C","ts":1}"#, "'contact' must not be empty"),
        (#"{"record":"event","kind":"sent","contact":"a@b.c","campaign":"C","ts":1,"message":0}"#, "'message' must be an integer of at least 1, not 0"),
        (#"{"record":"event","kind":"opened","contact":"a@b.c","campaign":"C","ts":1,"machine":"yes"}"#, "'machine' must be true or false, not a string"),
        (#"{"record":"event","kind":"sent","contact":"a@b.c","campaign":"C","ts":1,"machine":true}"#, "'machine' is only allowed on 'opened' events, not on 'sent'"),
        (#"{"record":"event","kind":"bounced","contact":"a@b.c","campaign":"C","ts":1,"bounce":"medium"}"#, "'bounce' must be \"hard\" or \"soft\", not \"medium\""),
        (#"{"record":"event","kind":"opened","contact":"a@b.c","campaign":"C","ts":1,"url":"https://x"}"#, "'url' is only allowed on 'clicked' events, not on 'opened'"),
        (#"{"record":"event","kind":"opened","contact":"a@b.c","campaign":"C","ts":1,"reason":"r"}"#, "'reason' is only allowed on 'dropped' and 'bounced' events, not on 'opened'"),
        (#"{"record":"event","id":7,"kind":"sent","contact":"a@b.c","campaign":"C","ts":1}"#, "'id' must be a string, not a number"),
        (#"{"record":"contact","first_name":"Ana"}"#, "missing member 'email' or 'phone' (a contact needs at least one)"),
        (#"{"record":"contact","email":"no-at-sign"}"#, "'email' must contain '@', not \"no-at-sign\""),
        (#"{"record":"contact","email":"a@b.c","attributes":[1]}"#, "'attributes' must be an object, not an array"),
        (#"{"record":"contact","email":"a@b.c","attributes":{"tags":["x"]}}"#, "attribute 'tags' must be a string, number, boolean or null, not an array"),
        (#"{"record":"contact","email":"a@b.c","created_at":"soon"}"#, "'created_at' must be an ISO-8601 date-time with a zone or integer Unix seconds, not \"soon\""),
        (#"{"record":"campaign"}"#, "missing member 'name'"),
        (#"{"record":"campaign","name":"C","channel":"fax"}"#, "'channel' must be \"email\" or \"sms\", not \"fax\""),
        (#"{"record":"campaign","name":"C","messages":"2"}"#, "'messages' must be an integer of at least 1, not \"2\""),
        (#"{"record":"link","campaign":"C"}"#, "missing member 'url'"),
        (#"{"record":"link","campaign":"C","url":"https://x","footer":1}"#, "'footer' must be true or false, not a number"),
        (#"{"record":"event","kind":"sent","contact":"a@b.c","campaign":"C","ts":-9223372036854775808}"#, "'ts' is out of range: -9223372036854775808 is not between 1900-01-01 and 9999-12-31 (as Unix seconds, -2208988800 to 253402300799)"),
        (#"{"record":"event","kind":"sent","contact":"a@b.c","campaign":"C","ts":"0001-01-01T00:00:00Z"}"#, "'ts' is out of range: -62135596800 is not between 1900-01-01 and 9999-12-31 (as Unix seconds, -2208988800 to 253402300799)"),
        (#"{"record":"event","kind":"sent","contact":"a@b.c","campaign":"C","ts":1,"message":2000000}"#, "'message' is out of range: 2000000 is more than 1000000"),
        (#"{"record":"campaign","name":"C","sent_at":9223372036854775807}"#, "'sent_at' is out of range: 9223372036854775807 is not between 1900-01-01 and 9999-12-31 (as Unix seconds, -2208988800 to 253402300799)"),
        (#"{"record":"campaign","name":"C","messages":1000001}"#, "'messages' is out of range: 1000001 is more than 1000000"),
        (#"{"record":"contact","email":"a@b.c","created_at":253402300800}"#, "'created_at' is out of range: 253402300800 is not between 1900-01-01 and 9999-12-31 (as Unix seconds, -2208988800 to 253402300799)"),
        (#"{"record":"contact","email":"a@b.c","first_name":"\ud800"}"#, "not valid JSON: lone surrogate \\uD800 in string (column 51)"),
    ])
    func eachKindOfBadLine(input: String, message: String) throws {
        let bad = try badLine(input)
        #expect(bad.message == message)
        #expect(bad.description == "events.jsonl:2: error: \(message)")
    }

    @Test func allOrNothingReportsEveryBadLineAndStoresNothing() throws {
        let t = try TestStore(backendIndependent: true)
        try t.importText(importExample)
        let before = try t.snapshot()
        let rollupsBefore = try rollups(t)
        var reported: [String] = []
        let importer = Importer(store: t.store, options: ImportOptions(now: 1))
        importer.onBadLine = { reported.append($0.description) }
        let s = try importer.run([.text("""
            {"record":"event","kind":"sent","contact":"new@b.c","campaign":"New","ts":1}
            {"record":"event","kind":"opend","contact":"a@b.c","campaign":"C","ts":1}
            {"record":"contact","email":"z@z.z","attributes":{"x":1}}
            {"record":"event","kind":"sent","contact":"a@b.c","campaign":"C"}
            """, name: "f.jsonl")])
        #expect(!s.committed)
        #expect(reported == ["f.jsonl:2: error: unknown kind 'opend'; did you mean 'opened'?",
                             "f.jsonl:4: error: missing member 'ts'"])
        #expect(s.records == 4 && s.bad == 2)
        #expect(try t.snapshot() == before)
        #expect(try rollups(t) == rollupsBefore)
    }

    @Test func skipBadStoresTheGoodLines() throws {
        let t = try TestStore(backendIndependent: true)
        let s = try t.importText("""
            {"record":"event","kind":"sent","contact":"a@b.c","campaign":"C","ts":1}
            {"record":"event","kind":"sent","contact":"a@b.c","campaign":"C","ts":"x"}
            {"record":"event","kind":"opened","contact":"a@b.c","campaign":"C","ts":2}
            oops
            """, options: ImportOptions(skipBad: true, now: 1))
        #expect(s.committed)
        #expect(s.stored == 2 && s.bad == 2)
        #expect(s.badLines.map(\.line) == [2, 4])
        #expect(try t.count("events") == 2)
    }

    @Test func multipleSourcesAreOneTransaction() throws {
        let t = try TestStore(backendIndependent: true)
        let importer = Importer(store: t.store)
        let s = try importer.run([
            .text(#"{"record":"event","kind":"sent","contact":"a@b.c","campaign":"C","ts":1}"#, name: "one"),
            .text("{}", name: "two"),
        ])
        #expect(!s.committed && s.badLines.first?.description == "two:1: error: missing member 'record'")
        #expect(try t.count("events") == 0)
    }

    @Test func unreadableFileIsAnErrorAndStoresNothing() throws {
        let t = try TestStore(backendIndependent: true)
        #expect(throws: ImportError.self) {
            try Importer(store: t.store).run([.text(importExample), .file(t.dir.path("missing.jsonl"))])
        }
        #expect(try t.count("events") == 0)
    }

    /// A line longer than `LineReader.maximumLineLength` is refused as it is read, from
    /// memory or from a file, ended or not: a read error, and nothing is stored. A line of
    /// exactly the limit is read (and then refused as JSON, like any other bad line).
    @Test func linesLongerThanTheLimitAreRefusedAsRead() throws {
        let t = try TestStore(backendIndependent: true)
        let good = Array((importExample + "\n").utf8)
        let long = [UInt8](repeating: UInt8(ascii: "x"), count: LineReader.maximumLineLength + 1)
        let ended = t.dir.path("ended.jsonl"), unended = t.dir.path("unended.jsonl")
        try Data(good + long + Array("\n".utf8) + good).write(to: URL(fileURLWithPath: ended))
        try Data(good + long).write(to: URL(fileURLWithPath: unended))
        for source in [ImportSource.bytes(good + long, name: "mem"), .file(ended), .file(unended)] {
            do {
                _ = try Importer(store: t.store).run([source])
                Issue.record("\(source.name): a line of 16 MiB + 1 was read")
            } catch ImportError.io(let e) {
                #expect(e.description == "\(source.name): line 7 is longer than 16 MiB, the longest line an import reads")
            }
            #expect(try t.count("events") == 0 && t.count("contacts") == 0)
        }
        let atLimit = [UInt8](repeating: UInt8(ascii: "x"), count: LineReader.maximumLineLength)
        let s = try Importer(store: t.store).run([.bytes(good + atLimit, name: "mem")])
        #expect(!s.committed && s.badLines.map(\.line) == [7])
        #expect(try t.count("events") == 0)
    }

    @Test func cancellationRollsBack() throws {
        let t = try TestStore(backendIndependent: true)
        let importer = Importer(store: t.store)
        var calls = 0
        importer.isCancelled = { calls += 1; return calls > 1 }
        let text = (0..<10_000).map { #"{"record":"event","kind":"sent","contact":"a\#($0)@b.c","campaign":"C","ts":1}"# }
            .joined(separator: "\n")
        #expect(throws: ImportError.self) { try importer.run([.text(text)]) }
        #expect(try t.count("events") == 0 && t.count("contacts") == 0)
    }
}
