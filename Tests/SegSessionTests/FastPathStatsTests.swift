import Foundation
import SegQL
@testable import SegSession
import SegStore
import Testing

/// `stats "C"` for a whole campaign takes its counts from `event_stats` and sums the rest
/// over the engaged `activity` rows only, and buckets the heatmap in Swift. These tests
/// check that against straightforward recomputations on a generated store with footer
/// clicks, clicks without a URL, machine opens, several messages, opens either side of
/// daylight-saving changes, an SMS campaign and a campaign with no `sent` events:
///
/// - every figure against the one-pass aggregate over all of the campaign's `activity`
///   rows (the `message N` code path, which the hand-computed tests in StatsTests check);
/// - the counts against `count(DISTINCT contact_id)` over `events` directly;
/// - the heatmap against converting each open with `Calendar` in the time zone.
final class GeneratedStatsFixture {
    let temp: TemporaryStore

    static let email = "Big Sale", sms = "Big SMS", imported = "Big Imported"
    static let contentLinks = ["https://shop.example.com/a", "https://shop.example.com/b", "https://shop.example.com/c"]
    static let footerLinks = ["https://shop.example.com/privacy", "https://shop.example.com/unsubscribe"]

    /// A small deterministic generator (64-bit LCG), so that every run builds the same store.
    struct Generator {
        var state: UInt64
        mutating func next(_ n: Int) -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((state >> 33) % UInt64(n))
        }
        mutating func chance(_ percent: Int) -> Bool { next(100) < percent }
    }

    static func lines(contacts: Int) -> [String] {
        var g = Generator(state: 42)
        var out = [
            #"{"record":"campaign","name":"\#(email)","channel":"email","sent_at":"2026-03-01T09:00:00Z","messages":3}"#,
            #"{"record":"campaign","name":"\#(sms)","channel":"sms","sent_at":"2026-03-02T09:00:00Z"}"#,
            #"{"record":"campaign","name":"\#(imported)","channel":"email","sent_at":"2026-03-03T09:00:00Z"}"#,
        ]
        for campaign in [email, sms] {
            for url in contentLinks { out.append(#"{"record":"link","campaign":"\#(campaign)","url":"\#(url)","footer":false}"#) }
            for url in footerLinks { out.append(#"{"record":"link","campaign":"\#(campaign)","url":"\#(url)","footer":true}"#) }
        }
        // 2026-03-01 09:00 UTC; opens spread over five weeks cross the US (03-08) and EU (03-29) changes.
        let start = 1_772_355_600
        func ts(_ t: Int) -> String {
            ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: TimeInterval(t)))
        }
        func event(_ kind: String, _ contact: Int, _ campaign: String, _ t: Int, _ extra: [String] = []) {
            let fields = [#""record":"event""#, #""kind":"\#(kind)""#, #""contact":"c\#(contact)@x.com""#,
                          #""campaign":"\#(campaign)""#, #""ts":"\#(ts(t))""#] + extra
            out.append("{" + fields.joined(separator: ",") + "}")
        }
        func clicks(_ c: Int, _ campaign: String, _ m: [String], _ t: Int) {
            for _ in 0..<(1 + g.next(3)) {
                let r = g.next(10)
                let url: [String] = r < 6 ? [#""url":"\#(contentLinks[g.next(contentLinks.count)])""#]
                    : r < 9 ? [#""url":"\#(footerLinks[g.next(footerLinks.count)])""#] : []
                event("clicked", c, campaign, t + g.next(86_400), m + url)
            }
        }
        for c in 0..<contacts {
            // The e-mail campaign: up to three messages per contact.
            for message in 1...3 where message == 1 || g.chance(40) {
                let m = message == 1 ? [] : [#""message":\#(message)"#]
                let t = start + (message - 1) * 7 * 86_400
                if g.chance(4) {
                    event("dropped", c, email, t, m + [#""reason":"\#(["Bounced Address", "Spam Reporting Address"][g.next(2)])""#])
                    continue
                }
                event("sent", c, email, t, m)
                if g.chance(6) {
                    let type = [[#""bounce":"hard""#], [#""bounce":"soft""#], []][g.next(3)]
                    event("bounced", c, email, t + 60, m + type)
                    if !g.chance(50) { continue }
                }
                if g.chance(3) { continue }  // sent, no delivery reported
                event("delivered", c, email, t + 120, m)
                if g.chance(45) {
                    for _ in 0..<(1 + g.next(3)) {
                        event("opened", c, email, t + g.next(35 * 86_400), m + (g.chance(30) ? [#""machine":true"#] : []))
                    }
                }
                if g.chance(15) { clicks(c, email, m, t) }
                if g.chance(2) { event("replied", c, email, t + 5_000, m) }
                if g.chance(1) { event("forwarded", c, email, t + 6_000, m) }
                if g.chance(2) { event("unsubscribed", c, email, t + 7_000, m) }
                if g.chance(1) { event("complained", c, email, t + 8_000, m) }
            }
            // The SMS campaign (a few open events too, which SMS figures must ignore).
            if g.chance(50) {
                let t = start + 86_400
                event("sent", c, sms, t)
                if g.chance(5) {
                    event("bounced", c, sms, t + 5, [#""bounce":"soft""#])
                } else {
                    event("delivered", c, sms, t + 5)
                    if g.chance(2) { event("opened", c, sms, t + 60) }
                    if g.chance(12) { clicks(c, sms, [], t) }
                    if g.chance(3) { event("unsubscribed", c, sms, t + 600) }
                    if g.chance(2) { event("replied", c, sms, t + 700) }
                }
            }
            // Deliveries and bounces with no `sent` event: sent is inferred.
            if g.chance(10) {
                let t = start + 2 * 86_400
                event(g.chance(80) ? "delivered" : "bounced", c, imported, t)
                if g.chance(30) { event("opened", c, imported, t + g.next(86_400)) }
            }
        }
        return out
    }

    init(contacts: Int = 600) throws {
        temp = try TemporaryStore()
        _ = try Importer(store: temp.store).run([.text(Self.lines(contacts: contacts).joined(separator: "\n") + "\n", name: "gen.jsonl")])
    }

    func campaign(_ name: String) throws -> Catalog.Campaign {
        try #require(try temp.store.catalog().campaigns.first { $0.name == name })
    }

    func count(_ sql: String, _ campaign: Catalog.Campaign) throws -> Int64 {
        try temp.store.database.int64(sql, [.integer(campaign.id)]) ?? 0
    }

    /// The heatmap by converting each open (or each contact's first open) with `Calendar`.
    func calendarHeatmap(_ campaign: Catalog.Campaign, zone: String, firstOpens: Bool) throws -> [[Int64]] {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = try #require(TimeZone(identifier: zone))
        var counts = Array(repeating: Array(repeating: Int64(0), count: 24), count: 7)
        let sql = firstOpens
            ? "SELECT min(ts) FROM events WHERE campaign_id = ?1 AND kind = 5 GROUP BY contact_id"
            : "SELECT ts FROM events WHERE campaign_id = ?1 AND kind = 5"
        try temp.store.database.query(sql, [.integer(campaign.id)]) { r in
            let parts = calendar.dateComponents([.weekday, .hour], from: Date(timeIntervalSince1970: TimeInterval(r.int64(0))))
            // Calendar's weekday 1 is Sunday; the heatmap's day 0 is Monday.
            counts[(parts.weekday! + 5) % 7][parts.hour!] += 1
        }
        return counts
    }
}

@Suite(.serialized) struct FastPathStatsTests {
    static let zones = ["UTC", "Europe/Stockholm", "America/New_York", "Asia/Kolkata"]

    @Test func fastPathMatchesOnePassOverEveryActivityRow() throws {
        let f = try GeneratedStatsFixture()
        for name in [GeneratedStatsFixture.email, GeneratedStatsFixture.sms, GeneratedStatsFixture.imported] {
            let c = try f.campaign(name)
            for zone in Self.zones {
                for firstOpens in [false, true] {
                    let options = HeatmapOptions(timeZone: zone, firstOpensOnly: firstOpens)
                    let fast = try CampaignStats.compute(store: f.temp.store, campaign: c, message: nil, heatmap: options, path: .fast)
                    let onePass = try CampaignStats.compute(store: f.temp.store, campaign: c, message: nil, heatmap: options, path: .onePass)
                    #expect(fast == onePass, "\(name), \(zone), first opens \(firstOpens)")
                }
            }
        }
    }

    @Test func generatedStoreCoversTheHardCases() throws {
        let f = try GeneratedStatsFixture()
        let c = try f.campaign(GeneratedStatsFixture.email)
        let s = try CampaignStats.compute(store: f.temp.store, campaign: c)
        #expect(c.messages == 3)
        #expect(s.footerClicks > 0)
        #expect(try #require(s.humanOpens) < (try #require(s.opens)))
        #expect(s.links.contains { $0.url == nil })
        // Contacts whose only clicks are on footer links: in `event_stats` as clickers, not in "clicked".
        #expect(try f.count("SELECT contacts FROM event_stats WHERE campaign_id = ?1 AND kind = 6", c) > s.clicked)
        #expect(try f.campaign(GeneratedStatsFixture.imported).messages == 1)
        #expect(try CampaignStats.compute(store: f.temp.store, campaign: f.campaign(GeneratedStatsFixture.imported)).sentInferred)
    }

    /// `.campaigns` reads only `event_stats`, one pass over each campaign's `activity` rows
    /// and its clickers (`Store.campaignHeadline`): its sent, open rate and click rate equal
    /// what `stats` gives on both paths, the one-pass aggregate over every `activity` row
    /// included, on the generated store (footer-only clickers, clicks without opens, an SMS
    /// campaign, one without `sent` events) and on random ones (every kind in any order).
    @Test func overviewMatchesStatsOnEveryPath() throws {
        let f = try GeneratedStatsFixture()
        try Self.expectOverviewMatchesStats(f.temp.store, "generated")
        for seed in 1...6 {
            let temp = try TemporaryStore()
            let lines = RateBoundsTests.randomStore(seed: UInt64(seed) * 7_919)
            _ = try Importer(store: temp.store).run([.text(lines.joined(separator: "\n") + "\n", name: "random.jsonl")])
            try Self.expectOverviewMatchesStats(temp.store, "seed \(seed)")
        }
    }

    static func expectOverviewMatchesStats(_ store: Store, _ what: String) throws {
        let campaigns = try store.catalog().campaigns
        let overview = try CampaignOverview.load(from: store)
        #expect(overview.map(\.name).sorted() == campaigns.map(\.name).sorted(), "\(what)")
        for o in overview {
            let c = try #require(campaigns.first { $0.name == o.name })
            for path in [CampaignStats.Path.fast, .onePass] {
                let s = try CampaignStats.compute(store: store, campaign: c, message: nil, heatmap: nil, path: path)
                #expect(o.sent == s.sent, "\(what), \(o.name), \(path)")
                #expect(o.openRate == s.openRate, "\(what), \(o.name), \(path)")
                #expect(o.clickRate == s.clickRate, "\(what), \(o.name), \(path)")
            }
        }
    }

    /// `.campaigns`' lines for the messages of a sequence (one read of its `sent` events)
    /// agree with `stats "C" message N` for each message, on 600 generated contacts with
    /// drops, resends-free sequences and messages not every contact got.
    @Test func overviewMessagesMatchEachMessagesStats() throws {
        let f = try GeneratedStatsFixture()
        let c = try f.campaign(GeneratedStatsFixture.email)
        let overview = try #require(try CampaignOverview.load(from: f.temp.store).first { $0.name == c.name })
        #expect(overview.messages.map(\.message) == [1, 2, 3])
        for m in overview.messages {
            let s = try CampaignStats.compute(store: f.temp.store, campaign: c, message: m.message, heatmap: nil)
            #expect(m.sentAt == s.messageSentAt, "message \(m.message)")
            #expect(m.sent == s.sent && m.sent > 0, "message \(m.message)")
        }
    }

    @Test func fastPathMatchesCountsFromEvents() throws {
        let f = try GeneratedStatsFixture()
        for name in [GeneratedStatsFixture.email, GeneratedStatsFixture.sms, GeneratedStatsFixture.imported] {
            let c = try f.campaign(name)
            let s = try CampaignStats.compute(store: f.temp.store, campaign: c)
            func kind(_ k: Int) throws -> Int64 {
                try f.count("SELECT count(DISTINCT contact_id) FROM events WHERE campaign_id = ?1 AND kind = \(k)", c)
            }
            #expect(s.recipients == (try f.count("SELECT count(DISTINCT contact_id) FROM events WHERE campaign_id = ?1", c)))
            // Any event but `dropped` means sent; delivered, or any event after delivery.
            #expect(s.sent == (try f.count("SELECT count(DISTINCT contact_id) FROM events WHERE campaign_id = ?1 AND kind != 2", c)))
            #expect(s.sentInferred == (try kind(1) == 0 && s.sent > 0))
            #expect(s.notSent == (try kind(2)))
            #expect(s.delivered == (try f.count(
                "SELECT count(DISTINCT contact_id) FROM events WHERE campaign_id = ?1 AND kind IN (3, 5, 6, 7, 8, 9, 10)", c)))
            #expect(s.bounced == (try kind(4)))
            #expect(s.replied == (try kind(7)))
            #expect(s.forwarded == (try kind(8)))
            #expect(s.unsubscribed == (try kind(9)))
            #expect(s.complained == (try kind(10)))
            let clickedSQL = """
                SELECT count(DISTINCT e.contact_id) FROM events e LEFT JOIN links l ON l.id = e.link_id
                WHERE e.campaign_id = ?1 AND e.kind = 6 AND coalesce(l.footer, 0) = 0
                """
            #expect(s.clicked == (try f.count(clickedSQL, c)))
            #expect(s.clicks == (try f.count(clickedSQL.replacingOccurrences(of: "count(DISTINCT e.contact_id)", with: "count(*)"), c)))
            #expect(s.footerClicks == (try f.count("""
                SELECT count(*) FROM events e JOIN links l ON l.id = e.link_id
                WHERE e.campaign_id = ?1 AND e.kind = 6 AND l.footer = 1
                """, c)))
            if c.channel == .email {
                // An open, or a click on a non-footer link.
                let openedOrClicked = """
                    SELECT count(DISTINCT e.contact_id) FROM events e LEFT JOIN links l ON l.id = e.link_id
                    WHERE e.campaign_id = ?1 AND ((e.kind = 5 AND MACHINE) OR (e.kind = 6 AND coalesce(l.footer, 0) = 0))
                    """
                #expect(s.opened == (try f.count(openedOrClicked.replacingOccurrences(of: "MACHINE", with: "1 = 1"), c)))
                #expect(s.openedHuman == (try f.count(openedOrClicked.replacingOccurrences(of: "MACHINE", with: "e.machine = 0"), c)))
                #expect(s.opens == (try f.count("SELECT count(*) FROM events WHERE campaign_id = ?1 AND kind = 5", c)))
                #expect(s.humanOpens == (try f.count(
                    "SELECT count(*) FROM events WHERE campaign_id = ?1 AND kind = 5 AND machine = 0", c)))
            } else {
                #expect(s.opened == nil && s.openedHuman == nil && s.opens == nil && s.humanOpens == nil)
            }
            let funnel = s.funnel
            #expect(funnel.optedOut + funnel.clicked + (funnel.opened ?? 0) + funnel.received + funnel.notReceived == s.recipients)
            #expect(funnel.notReceived >= 0)
        }
    }

    @Test func heatmapMatchesCalendar() throws {
        let f = try GeneratedStatsFixture()
        let c = try f.campaign(GeneratedStatsFixture.email)
        for zone in Self.zones {
            for firstOpens in [false, true] {
                let s = try CampaignStats.compute(
                    store: f.temp.store, campaign: c, heatmap: HeatmapOptions(timeZone: zone, firstOpensOnly: firstOpens))
                let expected = try f.calendarHeatmap(c, zone: zone, firstOpens: firstOpens)
                #expect(s.heatmap?.counts == expected, "\(zone), first opens \(firstOpens)")
            }
        }
    }
}

/// Rates are at most 100% by construction, whatever events a store holds: every event
/// kind in any order and combination per contact, clicks with and without opens,
/// footer-only clickers, unsubscribes without a delivery, campaigns without `sent`.
@Suite(.serialized) struct RateBoundsTests {
    static let kinds = ["sent", "dropped", "delivered", "bounced", "opened", "clicked",
                        "replied", "forwarded", "unsubscribed", "complained"]

    static func randomStore(seed: UInt64) -> [String] {
        var g = GeneratedStatsFixture.Generator(state: seed)
        var out: [String] = []
        let campaigns = ["E", "S", "M"]
        for (i, c) in campaigns.enumerated() {
            out.append(#"{"record":"campaign","name":"\#(c)","channel":"\#(c == "S" ? "sms" : "email")","messages":\#(c == "M" ? 2 : 1)}"#)
            out.append(#"{"record":"link","campaign":"\#(c)","url":"https://x.example/buy","footer":false}"#)
            out.append(#"{"record":"link","campaign":"\#(c)","url":"https://x.example/unsubscribe","footer":true}"#)
            _ = i
        }
        for contact in 0..<(20 + g.next(60)) {
            for c in campaigns where g.chance(70) {
                for _ in 0..<(1 + g.next(4)) {
                    let kind = kinds[g.next(kinds.count)]
                    var fields = [#""record":"event""#, #""kind":"\#(kind)""#, #""contact":"p\#(contact)@x.com""#,
                                  #""campaign":"\#(c)""#, #""ts":\#(1_772_355_600 + g.next(86_400))"#]
                    if c == "M" { fields.append(#""message":\#(1 + g.next(2))"#) }
                    switch kind {
                    case "clicked":
                        if g.chance(80) { fields.append(#""url":"https://x.example/\#(g.chance(30) ? "unsubscribe" : "buy")""#) }
                    case "opened": fields.append(#""machine":\#(g.chance(30))"#)
                    case "bounced": fields.append(#""bounce":"\#(g.chance(50) ? "hard" : "soft")""#)
                    default: break
                    }
                    out.append("{" + fields.joined(separator: ",") + "}")
                }
            }
        }
        return out
    }

    @Test(arguments: 1...12)
    func everyRateIsAtMostOne(seed: Int) throws {
        let temp = try TemporaryStore()
        let summary = try Importer(store: temp.store).run([.text(Self.randomStore(seed: UInt64(seed) * 7_919).joined(separator: "\n") + "\n", name: "random.jsonl")])
        #expect(summary.committed)
        for c in try temp.store.catalog().campaigns {
            var all: [(String, CampaignStats)] = []
            for message: Int64? in c.messages > 1 ? [nil, 1, 2] : [nil] {
                let fast = try CampaignStats.compute(store: temp.store, campaign: c, message: message, heatmap: nil, path: .fast)
                let onePass = try CampaignStats.compute(store: temp.store, campaign: c, message: message, heatmap: nil, path: .onePass)
                if message == nil { #expect(fast == onePass, "seed \(seed), \(c.name)") }
                all.append(("\(c.name) message \(message.map(String.init) ?? "all")", fast))
            }
            for (what, s) in all {
                let rates: [(String, Double?)] = [
                    ("delivery", s.deliveryRate), ("bounce", s.bounceRate), ("open", s.openRate),
                    ("open by a person", s.humanOpenRate), ("click", s.clickRate), ("click-to-open", s.clickToOpenRate),
                    ("click-to-open by a person", s.humanClickToOpenRate), ("response", s.responseRate),
                    ("unsubscribe", s.unsubscribeRate), ("spam", s.spamRate),
                ]
                for (name, rate) in rates {
                    if let rate { #expect(rate >= 0 && rate <= 1, "seed \(seed), \(what): \(name) rate \(rate)") }
                }
                #expect(s.sent + s.notSent >= s.recipients, "seed \(seed), \(what): a recipient neither sent nor dropped")
                let f = s.funnel
                #expect(f.optedOut + f.clicked + (f.opened ?? 0) + f.received + f.notReceived == s.recipients)
                #expect(f.notReceived >= 0 && f.received >= 0)
            }
        }
        for o in try CampaignOverview.load(from: temp.store) {
            for rate in [o.openRate, o.clickRate].compactMap({ $0 }) { #expect(rate <= 1, "seed \(seed), \(o.name)") }
        }
    }
}
