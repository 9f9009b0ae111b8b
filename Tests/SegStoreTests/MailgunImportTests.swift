import Foundation
import SegQL
import Testing
@testable import SegStore

@Suite struct MailgunImportTests {
    func rows(_ t: TestStore) throws -> [[SQLValue]] {
        try t.rows("""
            SELECT e.kind, c.email, k.name, e.ts, e.bounce, e.reason, l.url, e.external_id
            FROM events e JOIN contacts c ON c.id = e.contact_id JOIN campaigns k ON k.id = e.campaign_id
            LEFT JOIN links l ON l.id = e.link_id ORDER BY e.id
            """)
    }

    /// The eight current-docs samples: every event type.
    @Test func sampleEventsMapEveryType() throws {
        let t = try TestStore(backendIndependent: true)
        let s = try Importer(store: t.store, options: ImportOptions(now: 1)).run([.file(fixture("mailgun/sample_events.json"))])
        #expect(s.committed && s.bad == 0 && s.records == 8 && s.stored == 8)
        #expect(s.storedByKind == [.sent: 1, .delivered: 1, .opened: 1, .clicked: 1, .bounced: 2, .unsubscribed: 1, .complained: 1])
        let r = try rows(t)
        #expect(r[0][0] == .integer(1) && r[0][7] == .text("mg:CCXMjJ7nQi2N3BPigGOdgQ"))
        #expect(r[1][0...3] == [.integer(3), .text("recipient@sample.mailgun.com"), .text("webhook_payload"), .integer(1770146431)])
        #expect(r[3][6] == .text("https://sample.mailgun.com"))
        // failed/permanent → hard, failed/temporary → soft; the SMTP reply kept.
        #expect(r[4][4] == .text("hard"))
        #expect(r[4][5] == .text("550 5.5.0 Requested action not taken: mailbox unavailable (S2017062302). [BN3PEPF0000B36D.namprd21.prod.outlook.com 2026-02-12T17:42:55.527Z 08DE657A58651558] (bounce)"))
        #expect(r[5][4] == .text("soft"))
        #expect(r[5][5]  == .text("421 Your IP (161.38.194.10) is temporary blacklisted by an anti-troyan rule, retry later and/or visit http://sample.mailgun.com/ (generic)"))
        // The unsubscribe's only tag is "*": the default campaign.
        #expect(r[6][0] == .integer(9) && r[6][2] == .text("uncategorized"))
        #expect(r[7][0] == .integer(10))

        let again = try Importer(store: t.store, options: ImportOptions(now: 1)).run([.file(fixture("mailgun/sample_events.json"))])
        #expect(again.stored == 0 && again.duplicates == 8)
    }

    /// A suppressed failure is a drop; a webhook body is unwrapped; an Events API page
    /// gives each item.
    @Test func suppressedWebhookBodyAndEventsPage() throws {
        let t = try TestStore(backendIndependent: true)
        let s = try Importer(store: t.store, options: ImportOptions(now: 1)).run([
            .file(fixture("mailgun/older_docs_failed_suppress_bounce.json")),
            .file(fixture("mailgun/anymail_delivered_webhook.json")),
        ])
        #expect(s.committed && s.stored == 2)
        let r = try rows(t)
        #expect(r[0][0...2] == [.integer(2), .text("slava@mailgun.com"), .text("uncategorized")])
        #expect(r[0][5] == .text("suppressed (suppress-bounce): 605 Not delivering to previously bounced address"))
        #expect(r[1][0] == .integer(3) && r[1][7] == .text("mg:hTWCTD81RtiDN-..."))

        // An Events API page made of the verbatim samples.
        let objects = try fixtureObjects("mailgun/sample_events.json")
        let page = #"{"items":["# + objects.joined(separator: ",") + #"],"paging":{"next":"https://api.mailgun.net/v3/x/events/W3siYSI6IGZhbHNlfV0="}}"#
        let u = try TestStore(backendIndependent: true)
        let p = try u.importText(page, name: "page.json")
        #expect(p.records == 1 && p.stored == 8)

        // A bad item refuses the page and names the item.
        let broken = page.replacingOccurrences(of: #""recipient":"badrecipient@sample.mailgun.com","#, with: "")
        #expect(broken != page)
        let b = try u.importText(broken, name: "page.json")
        #expect(b.badLines.map(\.description) == ["page.json:1: error: items[4]: missing member 'recipient'"])
    }

    /// --campaign-tag names a user variable (this sample's `user-variables` changed to carry one).
    @Test func campaignFromUserVariable() throws {
        let objects = try fixtureObjects("mailgun/sample_events.json")
        let complained = objects[7].replacingOccurrences(of: #""user-variables":[]"#, with: #""user-variables":{"campaign":"Spring Sale"}"#)
        #expect(complained != objects[7])
        let t = try TestStore(backendIndependent: true)
        try t.importText(complained, name: "c.ndjson", options: ImportOptions(campaignTag: "campaign", now: 1))
        #expect(try t.text("SELECT name FROM campaigns") == "Spring Sale")
        let u = try TestStore(backendIndependent: true)
        try u.importText(complained, name: "c.ndjson", options: ImportOptions(now: 1))
        #expect(try u.text("SELECT name FROM campaigns") == "webhook_payload")
    }

    /// Bad records name their array position; unknown types are counted.
    @Test func badAndUnsupported() throws {
        let objects = try fixtureObjects("mailgun/sample_events.json")
        let noTime = objects[1].replacingOccurrences(of: #""timestamp":1770146431.6585283,"#, with: "")
        #expect(noTime != objects[1])
        let stored = #"{"event":"stored","id":"x1","timestamp":1529692199.626182,"recipient":"a@b.c"}"#
        let t = try TestStore(backendIndependent: true)
        let s = try t.importText("[" + [objects[0], noTime, stored].joined(separator: ",") + "]", name: "m.json")
        #expect(s.badLines.map(\.description) == ["m.json: record 2: error: missing member 'timestamp'"])
        #expect(s.unsupportedByType == ["stored": 1])
        #expect(try t.count("events") == 0)
    }
}
