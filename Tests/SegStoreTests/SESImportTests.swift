import Foundation
import SegQL
import Testing
@testable import SegStore

@Suite struct SESImportTests {
    /// The ten AWS examples: every event type maps as docs/import.md says.
    @Test func sampleEventsMapEveryType() throws {
        let t = try TestStore(backendIndependent: true)
        let options = ImportOptions(campaignTag: "myCustomTag1", now: 1)
        let s = try Importer(store: t.store, options: options).run([.file(fixture("ses/sample_events.json"))])
        #expect(s.committed && s.bad == 0 && s.records == 10)
        #expect(s.unsupportedByType == ["DeliveryDelay": 1])
        #expect(s.storedByKind == [.bounced: 1, .complained: 1, .delivered: 1, .sent: 1, .dropped: 2, .opened: 1,
                                   .clicked: 1, .unsubscribed: 1])
        func row(_ kind: EventKind) throws -> [[SQLValue]] {
            try t.rows("""
                SELECT c.email, k.name, e.ts, e.bounce, e.reason, l.url
                FROM events e JOIN contacts c ON c.id = e.contact_id JOIN campaigns k ON k.id = e.campaign_id
                LEFT JOIN links l ON l.id = e.link_id WHERE e.kind = ?1 ORDER BY e.id
                """, [.integer(Int64(kind.rawValue))])
        }
        // Bounce: Permanent → hard, the bounce's own time, the diagnostic code; no
        // campaign tag on it, so the configuration set names the campaign.
        #expect(try row(.bounced) == [[.text("recipient@example.com"), .text("ConfigSet"),
                                       .integer(ImportTimestamp.parse("2017-08-05T00:41:02Z") ?? 0), .text("hard"),
                                       .text("smtp; 550 5.1.1 user unknown (Permanent/General)"), .null]])
        // Delivery and Send carry the tag.
        #expect(try row(.delivered).first?[1] == .text("myCustomTagValue1"))
        #expect(try row(.sent).first?[1] == .text("myCustomTagValue1"))
        // Reject and Rendering Failure → dropped with their reasons.
        #expect(try row(.dropped).map { $0[4] } == [.text("rejected: Bad content"),
                                                   .text("rendering failure: Attribute 'attributeName' is not present in the rendering data.")])
        #expect(try row(.dropped).first?[0] == .text("sender@example.com"))
        #expect(try row(.clicked).first?[5] == .text("http://docs.aws.amazon.com/ses/latest/DeveloperGuide/send-email-smtp.html"))
        #expect(try row(.opened).first?[1] == .text("myCustomValue1"))
        // Subscription with unsubscribeAll → unsubscribed.
        #expect(try row(.unsubscribed).count == 1)

        // Without --campaign-tag the configuration set names every campaign.
        let u = try TestStore(backendIndependent: true)
        _ = try Importer(store: u.store, options: ImportOptions(now: 1)).run([.file(fixture("ses/sample_events.json"))])
        #expect(try u.rows("SELECT name FROM campaigns") == [[.text("ConfigSet")]])

        // Re-importing stores nothing.
        let again = try Importer(store: t.store, options: options).run([.file(fixture("ses/sample_events.json"))])
        #expect(again.stored == 0 && again.duplicates == 9)
    }

    /// An SNS notification wrapping a feedback notification: one event per bounced
    /// recipient, not per destination.
    @Test func snsEnvelopeAndRecipients() throws {
        let raw = try String(contentsOfFile: fixture("ses/anymail_bounce_notification.json"), encoding: .utf8)
        let envelope: [String: Any] = [
            "Type": "Notification", "MessageId": "19ba9823-d7f2-53c1-860e-cb10e0d13dfc",
            "TopicArn": "arn:aws:sns:us-east-1:1234567890:SES_Events", "Subject": "Amazon SES Email Event Notification",
            "Message": raw + "\n", "Timestamp": "2018-03-26T17:58:59.675Z", "SignatureVersion": "1",
        ]
        let text = String(decoding: try JSONSerialization.data(withJSONObject: envelope, options: [.prettyPrinted]), as: UTF8.self)
        #expect(text.contains("\n"))  // a multi-line object: read as a document
        let t = try TestStore(backendIndependent: true)
        let s = try t.importText(text, name: "sns.json")
        #expect(s.committed && s.stored == 1)
        #expect(try t.rows("SELECT c.email, e.bounce, e.reason FROM events e JOIN contacts c ON c.id = e.contact_id") == [
            [.text("jane@example.com"), .text("hard"), .text("smtp; 550 5.1.1 <jane@example.com>... User unknown (Permanent/General)")]])
        #expect(try t.text("SELECT name FROM campaigns") == ImportOptions.standardDefaultCampaign)

        // A Send to several destinations (the AWS example with two more added): one event each.
        let objects = try fixtureObjects("ses/sample_events.json")
        let send = objects[3].replacingOccurrences(of: "\"destination\":[\"recipient@example.com\"]",
                                                   with: "\"destination\":[\"recipient@example.com\",\"Two <two@example.com>\",\"THREE@example.com\"]")
        #expect(send.contains("two@example.com"))
        let u = try TestStore(backendIndependent: true)
        let r = try u.importText(send, name: "firehose.json")
        #expect(r.records == 1 && r.stored == 3)
        #expect(try u.rows("SELECT email FROM contacts ORDER BY email") == [[.text("recipient@example.com")], [.text("three@example.com")], [.text("two@example.com")]])

        // SNS control messages are skipped, not errors.
        let c = try u.importText(#"{"Type":"SubscriptionConfirmation","Message":"You have chosen to subscribe","Token":"x"}"#, name: "sns")
        #expect(c.unsupportedByType == ["SNS SubscriptionConfirmation": 1] && c.bad == 0)
    }

    /// Bad records are named by position in an array and by line in Firehose files.
    @Test func badRecords() throws {
        let objects = try fixtureObjects("ses/sample_events.json")
        let noMail = #"{"eventType":"Send","send":{}}"#
        let badBounce = objects[0].replacingOccurrences(of: "\"bounceType\":\"Permanent\"", with: "\"bounceType\":\"Permanant\"")
        let t = try TestStore(backendIndependent: true)
        let s = try t.importText("[" + [objects[3], noMail, badBounce].joined(separator: ",\n") + "]", name: "s.json")
        #expect(s.badLines.map(\.description) == [
            "s.json: record 2: error: missing member 'mail' (an object)",
            "s.json: record 3: error: 'bounce.bounceType' must be Permanent, Transient or Undetermined, not \"Permanant\"",
        ])
        #expect(try t.count("events") == 0)
        let f = try t.importText(objects[3] + "\n" + noMail + "\n", name: "f.ndjson", options: ImportOptions(skipBad: true, now: 1))
        #expect(f.badLines.map(\.description) == ["f.ndjson:2: error: missing member 'mail' (an object)"])
        #expect(f.stored == 1)
    }
}
