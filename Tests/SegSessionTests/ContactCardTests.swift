import Foundation
import SegQL
@testable import SegSession
import SegStore
import Testing

/// `contact …`: one contact's whole story, on SQLite (and PostgreSQL with SEGQ_TEST_POSTGRES).
@Suite(.serialized) struct ContactCardTests {
    static let extra = [
        #"{"record":"contact","email":"eve@example.com","attributes":{"age":41,"vip":true,"score":2.5}}"#,
        #"{"record":"event","kind":"delivered","contact":"eve@example.com","campaign":"Spring Sale","ts":"2026-03-01T09:01:00Z"}"#,
        #"{"record":"event","kind":"opened","contact":"eve@example.com","campaign":"Spring Sale","ts":"2026-03-01T12:00:00Z","machine":true}"#,
        #"{"record":"event","kind":"bounced","contact":"eve@example.com","campaign":"Spring Sale","message":2,"ts":"2026-03-02T09:00:00Z","bounce":"hard","reason":"550 5.1.1 no such user"}"#,
    ]

    @Test func theCardHasFieldsListsSegmentsSuppressionAndEventsNewestFirst() throws {
        let f = try ActionsFixture(extra: Self.extra)
        #expect(f.run(#"save segment openers_all = opened(campaign: "*"); save segment se = country = "SE"; save list vips = email = "eve@example.com" including suppressed"#) == nil)
        let file = SourceFile(name: "t", text: "")
        let card = try f.session.contactCard(.text("EVE@example.com", range: SourceRange(0, 0)), in: file)
        #expect(card.email == "eve@example.com")
        #expect(card.attributes.map(\.name) == ["age", "score", "vip"])
        #expect(card.attributes.map(\.json) == ["41", "2.5", "true"])
        #expect(card.lists == ["vips"])
        #expect(card.segments == ["openers_all"])
        #expect(card.events.map(\.kind) == [.bounced, .opened, .delivered])
        #expect(card.events[0].message == 2 && card.events[0].bounce == "hard" && card.events[0].reason == "550 5.1.1 no such user")
        #expect(card.events[1].machine)
        #expect(card.suppressedBy.map(\.kind) == [.bounced])
        // By id and by phone, the same contact.
        let byID = try f.session.contactCard(.id(card.id, range: SourceRange(0, 0)), in: file)
        #expect(byID == card)
        let phone = try f.session.contactCard(.text("+46700000001", range: SourceRange(0, 0)), in: file)
        #expect(phone.phone == "+46700000001" && phone.email == nil && phone.events.map(\.kind) == [.delivered])
        #expect(phone.suppressedBy.isEmpty)
    }

    @Test func textAndJSONShowTheSameData() throws {
        let f = try ActionsFixture()
        f.session.timeZone = "Europe/Stockholm"
        #expect(f.run(#"contact "bo@example.com""#) == nil)
        let facts = f.output.texts.last ?? ""
        #expect(facts.contains("first_name  Bo"), "\(facts)")
        #expect(facts.contains("country     NO"))
        #expect(facts.contains("suppressed  yes: unsubscribed in 'Spring Sale' at 2026-03-01 12:05:00 +01:00"))
        #expect(facts.contains("events      3, newest first, times in Europe/Stockholm"))
        let card = try f.session.contactCard(.text("bo@example.com", range: SourceRange(0, 0)), in: SourceFile(name: "t", text: ""))
        let json = Session.json(card, zone: TimeZone(identifier: "Europe/Stockholm")!, zoneName: "Europe/Stockholm")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        #expect(object["email"] as? String == "bo@example.com")
        #expect((object["attributes"] as? [String: Any])?["country"] as? String == "NO")
        #expect(object["suppressed"] as? Bool == true)
        let events = try #require(object["events"] as? [[String: Any]])
        #expect(events.map { $0["kind"] as? String } == ["unsubscribed", "opened", "delivered"])
        #expect(events.first?["time"] as? String == "2026-03-01 12:05:00 +01:00")
        #expect(events[1]["machine"] as? Bool == false)
    }

    @Test func anUnknownContactIsAnErrorAtItsKey() throws {
        let f = try ActionsFixture()
        let e = f.run(#"contact "nobody@example.com""#)
        #expect(e.map { "\($0)" }?.contains("1:9: error: no contact with the e-mail 'nobody@example.com'") == true, "\(String(describing: e))")
        #expect(f.run("contact 999").map { "\($0)" }?.contains("no contact with the id 999") == true)
    }
}
