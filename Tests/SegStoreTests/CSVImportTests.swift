import Testing
import SegQL
@testable import SegStore

@Suite struct CSVImportTests {
    /// Contacts: names and address columns; every other column an attribute, numbers detected.
    @Test func contactsWithAttributes() throws {
        let t = try TestStore(backendIndependent: true)
        let s = try t.importText("""
            Email,First Name,last_name,Phone,plan,age,score,zip,"Notes, free text",vip
            Ana@Example.com,Ana,Berg,+46701234567,pro,34,4.5,01234,"said ""hi""
            on two lines",true
            bob@example.com,Bob,,,,-7,,12345,,

            ,,,+15550100,basic,,,,,
            """, name: "contacts.csv")
        #expect(s.committed && s.bad == 0)
        #expect(s.records == 3 && s.declarations == 3 && s.stored == 0)
        // Attribute names a query can write, and the summary says so.
        #expect(s.notes == [
            "contacts.csv: contacts; attribute names normalised: 'Notes, free text' → notes_free_text",
            "contacts.csv: column types: plan text, age number (integers), score number, zip text, notes_free_text text, vip boolean",
        ])
        #expect(try t.rows("SELECT email, phone, first_name, last_name FROM contacts ORDER BY id") == [
            [.text("ana@example.com"), .text("+46701234567"), .text("Ana"), .text("Berg")],
            [.text("bob@example.com"), .null, .text("Bob"), .null],
            [.null, .text("+15550100"), .null, .null],
        ])
        #expect(try t.rows("""
            SELECT a.name, a.type, a.value FROM contact_attributes a JOIN contacts c ON c.id = a.contact_id
            WHERE c.email = 'ana@example.com' ORDER BY a.name
            """) == [
            [.text("age"), .text("number"), .integer(34)],
            [.text("notes_free_text"), .text("string"), .text("said \"hi\"\non two lines")],
            [.text("plan"), .text("string"), .text("pro")],
            [.text("score"), .text("number"), .real(4.5)],
            [.text("vip"), .text("boolean"), .integer(1)],
            // A leading zero keeps a postcode text, and so the whole column.
            [.text("zip"), .text("string"), .text("01234")],
        ])
        // An empty cell sets nothing.
        #expect(try t.rows("""
            SELECT a.name, a.value FROM contact_attributes a JOIN contacts c ON c.id = a.contact_id
            WHERE c.email = 'bob@example.com' ORDER BY a.name
            """) == [[.text("age"), .integer(-7)], [.text("zip"), .text("12345")]])
    }

    /// One type per column, from every cell; `--type` overrides it.
    @Test func columnTypesFromTheWholeColumn() throws {
        let t = try TestStore(backendIndependent: true)
        let csv = """
            email,Postcode,VIP,Orders,Signup Date,Score
            a@x.com,01234,yes,3,2026-01-05,1
            b@x.com,5003,no,12,2026-02-01 10:00,2.5
            c@x.com,,TRUE,,,

            """
        let s = try t.importText(csv, name: "c.csv")
        #expect(s.committed, "\(s.badLines)")
        #expect(s.notes.last == "c.csv: column types: postcode text, vip boolean, orders number (integers), signup_date date (kept as text), score number")
        func attr(_ email: String, _ name: String) throws -> [SQLValue] {
            try t.rows("SELECT a.type, a.value FROM contact_attributes a JOIN contacts c ON c.id = a.contact_id WHERE c.email = ?1 AND a.name = ?2",
                       [.text(email), .text(name)]).first ?? []
        }
        #expect(try attr("b@x.com", "postcode") == [.text("string"), .text("5003")])
        #expect(try attr("c@x.com", "vip") == [.text("boolean"), .integer(1)])
        #expect(try attr("a@x.com", "score") == [.text("number"), .integer(1)])
        var options = ImportOptions(now: 1)
        options.csvTypes = try CSVReader.parseTypes("Orders=text").get()
        let t2 = try TestStore(backendIndependent: true)
        let forced = try Importer(store: t2.store, options: options).run([.text(csv, name: "c.csv")])
        #expect(forced.committed)
        #expect(try t2.rows("SELECT type FROM contact_attributes WHERE name = 'orders'") == [[.text("string")], [.text("string")]])
        options.csvTypes = try CSVReader.parseTypes("Postcode=integer").get()
        let t3 = try TestStore(backendIndependent: true)
        let refused = try Importer(store: t3.store, options: options).run([.text(csv, name: "c.csv")])
        #expect(!refused.committed)
        #expect(refused.badLines.first?.message == "column 'postcode' is integer (--type), but this row has \"01234\"")
    }

    /// Events: columns named like the canonical members; a re-import doubles nothing.
    @Test func eventsAndReimport() throws {
        let csv = """
            id,kind,contact,campaign,ts,url,bounce,reason,machine,channel_note
            e1,sent,ana@example.com,Spring Sale,2026-03-01T09:00:00Z,,,,,ignored
            e2,opened,ana@example.com,Spring Sale,1772360000,,,,true,
            e3,clicked,ana@example.com,Spring Sale,1772360100,"https://shop.example.com/p?a=1,2",,,,
            e4,bounced,bob@example.com,Spring Sale,1772360000,,soft,"452 4.2.2 mailbox full",,
            """
        let t = try TestStore(backendIndependent: true)
        let s = try t.importText(csv, name: "events.csv")
        #expect(s.committed && s.stored == 4)
        #expect(s.storedByKind == [.sent: 1, .opened: 1, .clicked: 1, .bounced: 1])
        #expect(try t.event("e2")?[6] == .integer(1))
        #expect(try t.event("e3")?[7] == .text("https://shop.example.com/p?a=1,2"))
        #expect(try t.event("e4")?[4...5] == [.text("soft"), .text("452 4.2.2 mailbox full")])
        #expect(try t.event("e1")?[3] == .integer(1772355600))
        let before = try t.snapshot()
        let again = try t.importText(csv, name: "events.csv")
        #expect(again.stored == 0 && again.duplicates == 4)
        #expect(try t.snapshot() == before)
    }

    /// Bad rows are named by the line they start on, with the canonical messages.
    @Test func badRows() throws {
        let t = try TestStore(backendIndependent: true)
        let s = try t.importText("""
            kind,contact,campaign,ts
            sent,a@b.c,C,1
            opend,a@b.c,C,1
            sent,a@b.c,"Spring
            Sale",noon
            sent,a@b.c,C,1,extra
            sent,a@b.c,"C"x,1
            """, name: "e.csv")
        #expect(!s.committed)
        #expect(s.badLines.map(\.description) == [
            "e.csv:3: error: unknown kind 'opend'; did you mean 'opened'?",
            "e.csv:4: error: 'ts' must be an ISO-8601 date-time with a zone or integer Unix seconds, not \"noon\"",
            "e.csv:6: error: this row has 5 fields but the header has 4",
            "e.csv:7: error: field 3: text after a closing quote (write a quote inside quotes as \"\")",
        ])
        #expect(try t.count("events") == 0)

        let open = try t.importText("email,plan\na@b.c,\"pro\n", name: "c.csv", options: ImportOptions(skipBad: true, now: 1))
        #expect(open.badLines.map(\.description) == ["c.csv:2: error: a quoted field is not closed before the end of the input"])

        let header = try t.importText("name,plan\nAna,pro\n", name: "h.csv", options: ImportOptions(format: .csv, now: 1))
        #expect(header.badLines.first?.line == 1 && header.bad == 1 && header.records == 1)
        #expect(header.badLines.first?.message.hasPrefix("the header is neither the contacts shape") == true)
        #expect(header.badLines.first?.message.contains("no column is 'email' or 'phone'") == true)
    }

    /// A spreadsheet's events: Event, Date and Link are read as kind, ts and url, the
    /// e-mail column as the contact; the summary says so.
    @Test func spreadsheetEventsWithSynonyms() throws {
        let t = try TestStore(backendIndependent: true)
        let s = try t.importText("""
            Email,Event,Campaign,Date,Link,Browser
            ana@example.com,opened,Spring Sale,2026-03-01T10:00:00Z,,Firefox
            ana@example.com,clicked,Spring Sale,2026-03-01T10:01:00Z,https://shop.example.com/pricing,Firefox
            """, name: "sheet.csv")
        #expect(s.committed, "\(s.badLines)")
        #expect(s.stored == 2 && s.storedByKind == [.opened: 1, .clicked: 1])
        #expect(try t.count("contact_attributes") == 0)
        #expect(s.notes == ["sheet.csv: events; columns read as: 'Email' → contact, 'Event' → kind, 'Date' → ts, 'Link' → url; columns ignored: 'Browser'"])
    }

    /// A header that is neither shape is refused, naming the shapes and the columns;
    /// `--map` says what they are.
    @Test func neitherShapeUnlessMapped() throws {
        let t = try TestStore(backendIndependent: true)
        let csv = """
            Email,Activity,Campaign,When
            ana@example.com,opened,Spring Sale,2026-03-01T10:00:00Z

            """
        let refused = try t.importText(csv, name: "a.csv", options: ImportOptions(format: .csv, now: 1))
        #expect(!refused.committed && refused.bad == 1)
        let message = refused.badLines.first?.message ?? ""
        #expect(message.contains("neither the contacts shape") && message.contains("nor the events shape"), "\(message)")
        #expect(message.contains("'Campaign' is an event column"), "\(message)")
        #expect(try t.count("contacts") == 0)
        var options = ImportOptions(format: .csv, now: 1)
        options.csvMap = try CSVReader.parseMap("Activity=kind, When=ts").get()
        let mapped = try t.importText(csv, name: "a.csv", options: options)
        #expect(mapped.committed && mapped.stored == 1, "\(mapped.badLines)")
        #expect(mapped.notes.first?.contains("'Activity' → kind (--map), 'When' → ts (--map)") == true, "\(mapped.notes)")
        // A bad --map is refused before anything is read.
        if case .success = CSVReader.parseMap("Activity=kinds") { Issue.record("an unknown field was accepted") }
    }

    /// `--tz`: times written without a zone are read in the zone given; without it they
    /// are refused, saying how to give one.
    @Test func zonelessTimesWithTimeZone() throws {
        let t = try TestStore(backendIndependent: true)
        let csv = "kind,contact,campaign,ts\nopened,a@x.com,C,2026-03-01 10:00\nopened,b@x.com,C,2026-07-01 10:00\n"
        let refused = try t.importText(csv, name: "z.csv", options: ImportOptions(format: .csv, now: 1))
        #expect(!refused.committed)
        #expect(refused.badLines.first?.message.contains("has no time zone") == true && refused.badLines.first?.message.contains("--tz") == true)
        var options = ImportOptions(format: .csv, now: 1)
        // Stockholm: UTC+1 in March, UTC+2 in July.
        options.localZone = LocalZone(name: "Europe/Stockholm") { ts in ts >= 1_774_746_000 && ts < 1_792_890_000 ? 7_200 : 3_600 }
        let s = try t.importText(csv, name: "z.csv", options: options)
        #expect(s.committed)
        #expect(try t.rows("SELECT ts FROM events ORDER BY id") == [[.integer(1_772_355_600)], [.integer(1_782_892_800)]])
    }

    /// Canonical records as rows (a `record` column).
    @Test func recordColumn() throws {
        let t = try TestStore(backendIndependent: true)
        let s = try t.importText("""
            record,name,channel,sent_at,kind,contact,campaign,ts,email
            campaign,Spring,sms,2026-03-01T09:00:00Z,,,,,
            contact,,,,,,,,ana@example.com
            event,,,,delivered,ana@example.com,Spring,1772355700,
            """, name: "mixed.csv")
        #expect(s.committed && s.declarations == 2 && s.stored == 1)
        #expect(try t.text("SELECT channel FROM campaigns WHERE name = 'Spring'") == "sms")
    }
}
