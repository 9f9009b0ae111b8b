import Foundation
import SegQL
import Testing
@testable import SegStore

/// The store's side of campaign statistics (StoreCampaignStats.swift): each read answers
/// with the counts worked out by hand below, on PostgreSQL too when the suite runs there,
/// and the whole-campaign path (`event_stats` and the engaged rows) agrees with the one
/// pass over every row. The report built from them is checked by SegSessionTests'
/// StatsTests and FastPathStatsTests.
@Suite struct StoreCampaignStatsTests {
    /// Campaign "C" (e-mail, two messages), six contacts:
    /// - a: sent, delivered, a machine open at 2000 and a person's at 2100, a click on /pricing;
    /// - b: sent, hard bounce; f: soft bounce without a `sent` event;
    /// - c: dropped ("suppressed");
    /// - e: sent, a click imported without a URL (a click, on no known link);
    /// - d: message 2 only, with no `sent` event: delivered at 5010, a footer click, unsubscribed.
    static let events = [
        #"{"record":"campaign","name":"C","channel":"email","sent_at":1000,"messages":2}"#,
        #"{"record":"link","campaign":"C","url":"https://shop.example.com/pricing","footer":false}"#,
        #"{"record":"link","campaign":"C","url":"https://shop.example.com/legal","footer":true}"#,
        #"{"record":"event","kind":"sent","contact":"a@x.io","campaign":"C","ts":1000}"#,
        #"{"record":"event","kind":"delivered","contact":"a@x.io","campaign":"C","ts":1010}"#,
        #"{"record":"event","kind":"opened","contact":"a@x.io","campaign":"C","ts":2000,"machine":true}"#,
        #"{"record":"event","kind":"opened","contact":"a@x.io","campaign":"C","ts":2100}"#,
        #"{"record":"event","kind":"clicked","contact":"a@x.io","campaign":"C","url":"https://shop.example.com/pricing","ts":2200}"#,
        #"{"record":"event","kind":"sent","contact":"b@x.io","campaign":"C","ts":1000}"#,
        #"{"record":"event","kind":"bounced","contact":"b@x.io","campaign":"C","bounce":"hard","ts":1005}"#,
        #"{"record":"event","kind":"dropped","contact":"c@x.io","campaign":"C","reason":"suppressed","ts":1000}"#,
        #"{"record":"event","kind":"sent","contact":"e@x.io","campaign":"C","ts":1000}"#,
        #"{"record":"event","kind":"clicked","contact":"e@x.io","campaign":"C","ts":3000}"#,
        #"{"record":"event","kind":"bounced","contact":"f@x.io","campaign":"C","bounce":"soft","ts":1003}"#,
        #"{"record":"event","kind":"delivered","contact":"d@x.io","campaign":"C","message":2,"ts":5010}"#,
        #"{"record":"event","kind":"clicked","contact":"d@x.io","campaign":"C","message":2,"url":"https://shop.example.com/legal","ts":5100}"#,
        #"{"record":"event","kind":"unsubscribed","contact":"d@x.io","campaign":"C","message":2,"ts":5200}"#,
    ].joined(separator: "\n") + "\n"

    static func store() throws -> (TestStore, campaign: Int64) {
        let t = try TestStore(backendIndependent: true)
        try t.importText(events)
        let id = try #require(try t.store.campaignsBySendTime().first { $0.name == "C" }).id
        return (t, id)
    }

    @Test func theWholeCampaignCountsAgreeWithOnePassAndTheHandCount() throws {
        let (t, c) = try Self.store()
        let fast = try t.store.wholeCampaignCounts(campaign: c, email: true)
        #expect(fast == (try t.store.campaignCounts(StatsScope(campaign: c), email: true)))
        #expect([fast.recipients, fast.withSentEvent, fast.sent, fast.dropped, fast.delivered, fast.bounced] == [6, 3, 5, 1, 3, 2])
        #expect([fast.opened, fast.openedHuman, fast.clicked, fast.unsubscribed, fast.complained] == [2, 2, 2, 1, 0])
        #expect([fast.opens, fast.humanOpens, fast.clicks, fast.footerClicks] == [2, 1, 2, 1])
        #expect([fast.optedOutBucket, fast.clickedBucket, fast.openedBucket, fast.receivedBucket] == [1, 2, 0, 0])
        #expect(try t.store.campaignHeadline(c, statistics: t.store.kindStatistics(ofCampaign: c))
            == CampaignHeadline(recipients: 6, sent: 5, delivered: 3, opened: 2, clicked: 2))
    }

    @Test func oneMessageIsCountedFromItsEvents() throws {
        let (t, c) = try Self.store()
        let second = try t.store.campaignCounts(StatsScope(campaign: c, message: 2), email: true)
        #expect([second.recipients, second.withSentEvent, second.sent, second.delivered, second.footerClicks] == [1, 0, 1, 1, 1])
        #expect([second.unsubscribed, second.optedOutBucket, second.clicks] == [1, 1, 0])
    }

    @Test func dropsBouncesAndLinks() throws {
        let (t, c) = try Self.store()
        let whole = StatsScope(campaign: c)
        #expect(try t.store.dropReasons(whole) == [DropReason(reason: "suppressed", contacts: 1)])
        #expect(try t.store.dropReasons(StatsScope(campaign: c, message: 2)) == [])
        let bounces = try t.store.bouncedContacts(whole)
        #expect(bounces.hard == 1 && bounces.soft == 1)
        let links = try t.store.linkClicks(whole).sorted { ($0.url ?? "") < ($1.url ?? "") }
        #expect(links == [
            LinkClicks(url: "https://shop.example.com/legal", footer: true, clicks: 1, clickers: 1, share: nil),
            LinkClicks(url: "https://shop.example.com/pricing", footer: false, clicks: 1, clickers: 1, share: nil),
        ])
        #expect(try t.store.linkClicks(StatsScope(campaign: c, message: 2)).map(\.footer) == [true])
        #expect(try t.store.clicksWithoutLink(whole) == LinkClicks(url: nil, footer: false, clicks: 1, clickers: 1, share: nil))
        #expect(try t.store.clicksWithoutLink(StatsScope(campaign: c, message: 2)) == nil)
    }

    @Test func sendTimesAndOpenTimes() throws {
        let (t, c) = try Self.store()
        #expect(try t.store.messageSendTime(campaign: c, message: 1) == 1000)
        // No `sent` event: the earliest event but a drop.
        #expect(try t.store.messageSendTime(campaign: c, message: 2) == 5010)
        let span = try #require(try t.store.openTimeSpan(ofCampaign: c))
        #expect(span.first == 2000 && span.last == 2100)
        var all: [Int64] = [], first: [Int64] = []
        try t.store.streamOpenTimes(StatsScope(campaign: c), firstOpensOnly: false) { all.append($0) }
        try t.store.streamOpenTimes(StatsScope(campaign: c), firstOpensOnly: true) { first.append($0) }
        #expect(all.sorted() == [2000, 2100])
        #expect(first == [2000])
        try t.store.streamOpenTimes(StatsScope(campaign: c, message: 2), firstOpensOnly: false) { _ in Issue.record("message 2 has no open") }
        #expect(try t.store.messageSends(campaign: c, count: 2, maxContact: t.store.maxContactID()) == [
            CampaignMessage(message: 1, sentAt: 1000, sent: 3),
            CampaignMessage(message: 2, sentAt: 5010, sent: 1),
        ])
    }

    @Test func aDraftCopyHasItsFrozenListAsPlannedAudience() throws {
        let (t, c) = try Self.store()
        #expect(try t.store.plannedAudience(ofCampaign: c) == nil)
        try t.store.writing {
            let list = try t.store.createList("C again", query: "opened", savedAt: 0, includingSuppressed: false, suppressedLeftOut: 0)
            try t.store.addListMembers(list, selecting: CompiledSQL(
                sql: "SELECT id AS contact_id FROM contacts WHERE email IN ('a@x.io', 'e@x.io')", parameters: []))
            try t.store.createDraftCopy(of: c, named: "C again", audience: "opened", audienceList: list, createdAt: 2_000_000)
        }
        let campaigns = try t.store.campaignsBySendTime()
        #expect(campaigns.map(\.name) == ["C", "C again"])
        #expect(campaigns.map(\.sentAt) == [1000, nil])
        #expect(try t.store.plannedAudience(ofCampaign: campaigns[1].id) == PlannedAudience(list: "C again", contacts: 2))
    }

    @Test func anEmptyStoreHasNoCampaignsAndNoContacts() throws {
        let t = try TestStore(backendIndependent: true)
        #expect(try t.store.campaignsBySendTime().isEmpty)
        #expect(try t.store.maxContactID() == 0)
        #expect(try t.store.wholeCampaignCounts(campaign: 1, email: true).recipients == 0)
        #expect(try t.store.campaignCounts(StatsScope(campaign: 1, message: 1), email: false).recipients == 0)
    }
}
