import Foundation
import SegQL
import Testing
@testable import SegStore

/// The path of a fixture under `Tests/SegStoreTests/Fixtures` (sources in each folder's SOURCES.md).
func fixture(_ name: String) -> String {
    URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/\(name)").path
}

/// The verbatim objects of a fixture array, each re-encoded on one line (keys sorted).
func fixtureObjects(_ name: String) throws -> [String] {
    let data = try Data(contentsOf: URL(fileURLWithPath: fixture(name)))
    guard let array = try JSONSerialization.jsonObject(with: data) as? [Any] else { return [] }
    return try array.map {
        String(decoding: try JSONSerialization.data(withJSONObject: $0, options: [.sortedKeys, .withoutEscapingSlashes]), as: UTF8.self)
    }
}

extension TestStore {
    /// One stored event, found by its external id: kind, contact, campaign, ts, bounce, reason, machine, url.
    func event(_ externalID: String) throws -> [SQLValue]? {
        try rows("""
            SELECT e.kind, c.email, k.name, e.ts, e.bounce, e.reason, e.machine, l.url
            FROM events e JOIN contacts c ON c.id = e.contact_id JOIN campaigns k ON k.id = e.campaign_id
            LEFT JOIN links l ON l.id = e.link_id
            WHERE e.external_id = ?1
            """, [.text(externalID)]).first
    }

    func kindCounts() throws -> [Int64: Int64] {
        var out: [Int64: Int64] = [:]
        for row in try rows("SELECT kind, count(*) FROM events GROUP BY kind") {
            if case .integer(let k) = row[0], case .integer(let n) = row[1] { out[k] = n }
        }
        return out
    }
}

@Suite struct SendGridImportTests {
    /// The 25 documented samples: every type maps as docs/import.md says.
    @Test func sampleEventsMapEveryType() throws {
        let t = try TestStore(backendIndependent: true)
        let s = try Importer(store: t.store, options: ImportOptions(now: 1)).run([.file(fixture("sendgrid/sample_events.json"))])
        #expect(s.committed && s.bad == 0)
        #expect(s.records == 25)
        // #8, #9 deferred and #20 group_resubscribe have no kind; #11 (blocked) repeats #10's sg_event_id.
        #expect(s.unsupported == 3 && s.unsupportedByType == ["deferred": 2, "group_resubscribe": 1])
        #expect(s.duplicates == 1)
        #expect(s.stored == 21)
        let expected: [EventKind: Int] = [.sent: 3, .dropped: 4, .delivered: 3, .bounced: 2, .opened: 3, .clicked: 2,
                                          .complained: 1, .unsubscribed: 3]
        #expect(s.storedByKind == expected)
        #expect(try t.kindCounts() == Dictionary(uniqueKeysWithValues: expected.map { (Int64($0.key.rawValue), Int64($0.value)) }))

        // #10 bounce, type "bounce": hard, reason and classification kept.
        #expect(try t.event("sg:6g4ZI7SA-xmRDv57GoPIPw==") == [
            .integer(4), .text("alex@example.com"), .text("cat facts"), .integer(1513299569), .text("hard"),
            .text("500 unknown recipient [classification: Invalid Address]"), .integer(0), .null])
        // #2 dropped: the reason.
        #expect(try t.event("sg:zmzJhfJgAfUSOW80yEbPyw==")?[5] == .text("Bounced Address"))
        // #15 click: url (a link of campaign "category1", the first of the category array).
        #expect(try t.event("sg:sendgrid_internal_event_id") == [
            .integer(6), .text("email@example.com"), .text("category1"), .integer(1249948800), .null, .null, .integer(0),
            .text("http://example.com/blog/news.html")])
        // #13 open with sg_machine_open false; #17 spamreport; #19 group_unsubscribe.
        #expect(try t.event("sg:FOTFFO0ecsBE-zxFXfs6WA==")?[0...6] == [.integer(5), .text("alex@example.com"), .text("cat facts"),
                                                                    .integer(1513299569), .null, .null, .integer(0)])
        #expect(try t.event("sg:37nvH5QBz858KGVYCM4uOA==")?[0] == .integer(10))
        #expect(try t.event("sg:ahSCB7xYcXFb-hEaawsPRw==")?[0] == .integer(9))
        // Campaign names: marketing campaign (#21-#24), first category (#1), default (#3-#5 have none).
        #expect(try t.event("sg:qNOzbkTuTNCdxa1eXEpnXg")?[2] == .text("unique args ab"))
        #expect(try t.event("sg:VGRrZCh-qMkOaAmuxcFujA==")?[2] == .text("campaign name"))
        #expect(try t.event("sg:ZyjAM5rnQmuI1KFInHQ3Nw")?[2] == .text("tag1"))
        #expect(try t.event("sg:3NPOePGOTkeM_U3fgWApfg")?[2] == .text("uncategorized"))
        // The rollups agree with the events.
        #expect(try t.int("SELECT sum(bounces) FROM activity") == 2)
        #expect(try t.int("SELECT events FROM event_stats s JOIN campaigns c ON c.id = s.campaign_id WHERE c.name = 'cat facts' AND s.kind = 1") == 1)
    }

    /// The documented oddities: milliseconds, a string timestamp, "Processed", no ids,
    /// category arrays, an account event, bounces without `type`.
    @Test func edgeCasesAreTolerated() throws {
        let t = try TestStore(backendIndependent: true)
        let s = try Importer(store: t.store, options: ImportOptions(defaultCampaign: "SendGrid misc", now: 1))
            .run([.file(fixture("sendgrid/edge_case_events.json"))])
        #expect(s.committed && s.bad == 0 && s.records == 12)
        #expect(s.unsupportedByType == ["deferred": 1, "account_status_change": 1])
        // #2 reuses #1's placeholder sg_event_id ("sendgrid_internal_event_id").
        #expect(s.duplicates == 1 && s.stored == 9)
        // #1: Single Send, timestamp in milliseconds.
        #expect(try t.event("sg:sendgrid_internal_event_id")?[0...3] == [.integer(5), .text("alex@example.com"),
                                                                         .text("Example Single Send"), .integer(1591726752)])
        // #6: "Processed" with the timestamp as a string → sent at 123456789, no id → made one.
        #expect(try t.int("SELECT count(*) FROM events WHERE kind = 1 AND ts = 123456789 AND external_id LIKE 'sg#%'") == 1)
        // #3 unsubscribe without ids, category array → its first category.
        #expect(try t.int("""
            SELECT count(*) FROM events e JOIN campaigns c ON c.id = e.campaign_id
            WHERE e.kind = 9 AND c.name = 'Tests' AND e.ts = 1380822437
            """) == 1)
        // #5 click without sg_event_id or category → the default campaign named by the option.
        #expect(try t.int("""
            SELECT count(*) FROM events e JOIN campaigns c ON c.id = e.campaign_id JOIN links l ON l.id = e.link_id
            WHERE e.kind = 6 AND c.name = 'SendGrid misc' AND l.url = 'https://example.com'
            """) == 1)
        // #10, #11: bounces without `type` are hard; #11's classification is kept.
        #expect(try t.event("sg:1jABOEVCpBNStQg2Ji-Pvw==")?[4...5] == [.text("hard"), .text("500 unknown recipient")])
        #expect(try t.event("sg:sg_event_id")?[4...5] == [.text("hard"), .text("500 unknown recipient [classification: invalid]")])
        // #7, #8: opens with category array and string.
        #expect(try t.int("""
            SELECT count(*) FROM events e JOIN campaigns c ON c.id = e.campaign_id
            WHERE e.kind = 5 AND c.name IN ('newuser', 'olduser')
            """) == 2)
    }

    /// A genuine POST body (CRLF between objects): one array, read whole.
    @Test func signedPostBody() throws {
        let t = try TestStore(backendIndependent: true)
        let s = try Importer(store: t.store, options: ImportOptions(now: 1)).run([.file(fixture("sendgrid/signed_test_payload.json"))])
        #expect(s.committed && s.records == 11 && s.stored == 9)
        #expect(s.unsupportedByType == ["deferred": 1, "group_resubscribe": 1])
        #expect(try t.int("SELECT count(DISTINCT campaign_id) FROM events") == 1)
        #expect(try t.text("SELECT name FROM campaigns") == "cat facts")
    }

    /// Blocked → soft, machine opens, and one object per line (JSON Lines framing).
    @Test func blockedAndMachineOpenAsJSONLines() throws {
        let objects = try fixtureObjects("sendgrid/sample_events.json")
        // #11 verbatim (blocked), and #13 with sg_machine_open changed to true (the
        // published samples have only false).
        let blocked = objects[11]
        let machineOpen = objects[13].replacingOccurrences(of: "\"sg_machine_open\":false", with: "\"sg_machine_open\":true")
            .replacingOccurrences(of: "FOTFFO0ecsBE-zxFXfs6WA==", with: "machine-open-1")
        #expect(machineOpen.contains("\"sg_machine_open\":true"))
        let t = try TestStore(backendIndependent: true)
        let s = try t.importText(blocked + "\n\n" + machineOpen + "\n", name: "events.ndjson")
        #expect(s.committed && s.stored == 2)
        #expect(try t.event("sg:6g4ZI7SA-xmRDv57GoPIPw==")?[4] == .text("soft"))
        #expect(try t.event("sg:machine-open-1")?[6] == .integer(1))
        #expect(try t.int("SELECT machine_opens FROM activity") == 1)
    }

    /// Importing the same files again stores nothing new and leaves the rollups alone.
    @Test func reimportDoublesNothing() throws {
        let t = try TestStore(backendIndependent: true)
        let files: [ImportSource] = ["sample_events.json", "edge_case_events.json", "signed_test_payload.json"]
            .map { .file(fixture("sendgrid/\($0)")) }
        let first = try Importer(store: t.store, options: ImportOptions(now: 1)).run(files)
        #expect(first.committed && first.stored > 0)
        let before = try t.snapshot()
        let rollupsBefore = try rollups(t)
        let again = try Importer(store: t.store, options: ImportOptions(now: 1)).run(files)
        #expect(again.committed && again.stored == 0)
        #expect(again.duplicates == first.stored + first.duplicates)
        #expect(try t.snapshot() == before)
        #expect(try rollups(t) == rollupsBefore)
        // The same events as JSON Lines rather than arrays are duplicates too (ids made
        // for events without sg_event_id do not depend on the framing).
        let lines = try fixtureObjects("sendgrid/edge_case_events.json").joined(separator: "\n")
        let third = try t.importText(lines, name: "edge.ndjson")
        #expect(third.stored == 0 && third.duplicates == 10)
    }

    /// A bad element of an array is named by its position; nothing is stored.
    @Test func badArrayElementIsNamedByRecordNumber() throws {
        let objects = try fixtureObjects("sendgrid/sample_events.json")
        let noEmail = objects[6].replacingOccurrences(of: "\"email\":\"alex@example.com\",", with: "")
        let badTime = objects[7].replacingOccurrences(of: "\"timestamp\":1461095250", with: "\"timestamp\":\"yesterday\"")
        let text = "[\n" + [objects[0], noEmail, objects[2], badTime].joined(separator: ",\n") + "\n]\n"
        let t = try TestStore(backendIndependent: true)
        let s = try t.importText(text, name: "post.json")
        #expect(!s.committed)
        #expect(s.badLines.map(\.description) == [
            "post.json: record 2: error: missing member 'email'",
            "post.json: record 4: error: 'timestamp' must be Unix seconds (or milliseconds), not \"yesterday\"",
        ])
        #expect(try t.count("events") == 0 && t.count("contacts") == 0)

        let skipped = try t.importText(text, name: "post.json", options: ImportOptions(skipBad: true, now: 1))
        #expect(skipped.committed && skipped.stored == 2 && skipped.bad == 2)
        #expect(try t.count("events") == 2)
    }

    /// In JSON Lines a bad object is named by its line; a broken array stops at the break.
    @Test func badLinesAndBrokenArrays() throws {
        let objects = try fixtureObjects("sendgrid/sample_events.json")
        let t = try TestStore(backendIndependent: true)
        let s = try t.importText([objects[0], "", objects[1].replacingOccurrences(of: "\"event\":\"processed\"", with: "\"event\":7"),
                                  "{\"email\":"].joined(separator: "\n"), name: "x.ndjson")
        #expect(s.badLines.map(\.description) == [
            "x.ndjson:3: error: 'event' must be a string, not a number",
            "x.ndjson:4: error: not valid JSON: expected a value, found end of line (column 10)",
        ])
        #expect(try t.count("events") == 0)

        let broken = "[" + objects[0] + ",\n" + objects[1] + ",\n{\"email\": \"a@b.c\" \"event\": \"open\"}\n]"
        let b = try t.importText(broken, name: "broken.json", options: ImportOptions(skipBad: true, now: 1))
        #expect(b.stored == 2 && b.bad == 1)
        #expect(b.badLines.first?.record == 3)
        #expect(b.badLines.first?.description.hasPrefix("broken.json: record 3: error: not valid JSON") == true)
    }

    /// The format is detected from the content; --format overrides it.
    @Test func detection() throws {
        func framing(_ line: String, _ given: ImportFormat? = nil) throws -> FormatDetector.Framing {
            try Array(line.utf8).withUnsafeBufferPointer { try FormatDetector.framing(firstLine: $0, given: given, source: "f") }
        }
        #expect(try framing(#"{"record":"event"}"#) == .line(.jsonl))
        #expect(try framing(#"{"email":"a@b.c","event":"open","timestamp":1}"#) == .line(.sendgrid))
        #expect(try framing(#"{"sg_event_id":"x"}"#) == .line(.sendgrid))
        #expect(try framing(#"{"sg_event_id":"x"}"#, .jsonl) == .line(.jsonl))
        #expect(try framing("[") == .document)
        #expect(try framing("{") == .document)
        #expect(try framing("email,first_name,plan") == .csv)
        #expect(try framing("Kind, Contact, Campaign, TS") == .csv)
        #expect(throws: ImportIOError.self) { try framing("hello world") }
        #expect(try framing(#"{"eventType":"Bounce","mail":{}}"#) == .line(.ses))
        #expect(try framing(#"{"Type":"Notification","Message":"{}"}"#) == .line(.ses))
        #expect(try framing(#"{"event-data":{}}"#) == .line(.mailgun))
        #expect(try framing(#"{"items":[]}"#) == .line(.mailgun))
        #expect(try framing(#"{"event":"opened","recipient":"a@b.c"}"#) == .line(.mailgun))

        // The sample file read as canonical (forced) refuses every record.
        let t = try TestStore(backendIndependent: true)
        let s = try Importer(store: t.store, options: ImportOptions(format: .jsonl, skipBad: true, now: 1))
            .run([.file(fixture("sendgrid/sample_events.json"))])
        #expect(s.stored == 0 && s.bad == 25)
        #expect(s.badLines.first?.description.hasSuffix("sample_events.json: record 1: error: missing member 'record'") == true)
    }
}
