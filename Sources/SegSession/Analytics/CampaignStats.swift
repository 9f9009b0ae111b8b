// A campaign's metrics (LANGUAGE.md §7 "Stats"; every figure is defined in
// docs/analytics.md), assembled from the store's reads (SegStore's
// StoreCampaignStats*.swift; StoreCampaignStats.swift says how each is counted: the
// `activity` rollup and `event_stats` for the whole campaign, `events` for one message
// or what the rollup cannot say). Here: which reads a report needs, the rates, the links' shares and order,
// the funnel's last bucket, and the heatmap's buckets.
//
// The heatmap buckets opens by local day of week and hour. The time zone's UTC offsets
// over the campaign's open times are found once with Foundation
// (`TimeZone.nextDaylightSavingTimeTransition`), so it is exact across daylight-saving
// changes; the store streams the open times and each is bucketed here with that offset
// table (a GROUP BY in SQL would sort every open in a temporary B-tree).
//
// Printing the figures is StatsRenderer.swift.

import Foundation
import SegQL
import SegStore

/// Every figure of `stats "C" [message N]`.
public struct CampaignStats: Sendable, Equatable {
    /// The campaign as the report names it.
    public struct CampaignInfo: Sendable, Equatable {
        public var name: String
        public var channel: SegQL.Channel
        /// When it was sent (Unix seconds), nil for a draft.
        public var sentAt: Int64?
        /// The number of messages of the campaign.
        public var messages: Int64
    }

    /// The frozen recipient list of a draft duplicate.
    public typealias PlannedAudience = SegStore.PlannedAudience

    /// Contacts that were not sent the campaign for one reason (dropped events).
    public typealias Reason = DropReason

    /// Clicks on one link.
    public typealias LinkClicks = SegStore.LinkClicks

    /// The status funnel: every recipient in exactly one bucket, by priority
    /// opted out > clicked > opened > received > not received.
    public struct Funnel: Sendable, Equatable {
        public var optedOut: Int64
        public var clicked: Int64
        /// Nil for SMS (no open tracking): those contacts count as received.
        public var opened: Int64?
        public var received: Int64
        public var notReceived: Int64

        public init(optedOut: Int64, clicked: Int64, opened: Int64?, received: Int64, notReceived: Int64) {
            self.optedOut = optedOut
            self.clicked = clicked
            self.opened = opened
            self.received = received
            self.notReceived = notReceived
        }

        /// The buckets in priority order, with their names (the opened bucket left out for SMS).
        public var buckets: [(name: String, count: Int64)] {
            var out: [(String, Int64)] = [("opted out", optedOut), ("clicked", clicked)]
            if let opened { out.append(("opened", opened)) }
            out += [("received", received), ("not received", notReceived)]
            return out
        }

        public static func == (a: Funnel, b: Funnel) -> Bool {
            a.optedOut == b.optedOut && a.clicked == b.clicked && a.opened == b.opened
                && a.received == b.received && a.notReceived == b.notReceived
        }
    }

    /// Opens by local day of week (Monday first) and hour of day.
    public struct Heatmap: Sendable, Equatable {
        /// The IANA time zone the buckets are in.
        public var timeZone: String
        /// Whether only each contact's first open was counted.
        public var firstOpensOnly: Bool
        /// `counts[day][hour]`, day 0 = Monday … 6 = Sunday, hour 0–23 local time.
        public var counts: [[Int64]]

        /// All opens counted.
        public var total: Int64 { counts.reduce(0) { $0 + $1.reduce(0, +) } }
        /// The largest cell.
        public var peak: Int64 { counts.map { $0.max() ?? 0 }.max() ?? 0 }
        /// The day names, Monday first.
        public static let days = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
    }

    public var campaign: CampaignInfo
    /// The message the figures are restricted to (`message N`), or nil for all.
    public var message: Int64?
    /// When that message went out: its earliest `sent` event, else its earliest event but
    /// `dropped` (an import with deliveries only); nil for the whole campaign or a message
    /// with no such event.
    public var messageSentAt: Int64?
    /// Contacts with any event in the campaign (or in the message): the funnel's universe.
    public var recipients: Int64
    /// For a draft duplicate (`duplicate campaign`, not sent yet): its frozen list, the
    /// contacts it is planned to go to; nil for any other campaign.
    public var plannedAudience: PlannedAudience?
    /// The IANA time zone the report shows times in (the send time, the heatmap).
    public var timeZone: String

    /// Contacts with a `sent` event or any later-stage one: every event but `dropped`.
    public var sent: Int64
    /// True when no `sent` events exist and `sent` was inferred from the later stages.
    public var sentInferred: Bool
    /// Contacts with a `dropped` event.
    public var notSent: Int64
    /// Contacts with a `dropped` event, per reason (a contact dropped for two reasons counts in both).
    public var notSentByReason: [Reason]
    /// Contacts with a `delivered` event or one only a delivered message can have.
    public var delivered: Int64
    public var bounced: Int64
    public var bouncedHard: Int64
    public var bouncedSoft: Int64
    /// Contacts with an `opened` event or a click on a non-footer link; nil for SMS (no open tracking).
    public var opened: Int64?
    /// Contacts with an `opened` event not flagged `machine` (a person's open), or a click; nil for SMS.
    public var openedHuman: Int64?
    /// Contacts with a click on a non-footer link.
    public var clicked: Int64
    public var replied: Int64
    public var forwarded: Int64
    public var unsubscribed: Int64
    public var complained: Int64

    /// Open events (all, and not machine-made); nil for SMS.
    public var opens: Int64?
    public var humanOpens: Int64?
    /// Click events on non-footer links, and on footer links.
    public var clicks: Int64
    public var footerClicks: Int64

    /// Links with at least one click: non-footer links first, by clicks, then footer links.
    public var links: [LinkClicks]
    public var funnel: Funnel
    /// Nil for SMS, or when not asked for.
    public var heatmap: Heatmap?

    /// Whether the channel tracks opens.
    public var tracksOpens: Bool { campaign.channel == .email }

    // MARK: - Rates (nil when the denominator is zero, or for open rates on SMS)

    static func ratio(_ n: Int64?, _ d: Int64?) -> Double? {
        guard let n, let d, d > 0 else { return nil }
        return Double(n) / Double(d)
    }

    /// delivered / sent
    public var deliveryRate: Double? { Self.ratio(delivered, sent) }
    /// bounced / sent
    public var bounceRate: Double? { Self.ratio(bounced, sent) }
    /// opened / delivered (the confirmed open ratio)
    public var openRate: Double? { Self.ratio(opened, delivered) }
    /// opened by a person / delivered
    public var humanOpenRate: Double? { Self.ratio(openedHuman, delivered) }
    /// clicked / delivered
    public var clickRate: Double? { Self.ratio(clicked, delivered) }
    /// clicked / opened
    public var clickToOpenRate: Double? { Self.ratio(clicked, opened) }
    /// clicked / opened by a person
    public var humanClickToOpenRate: Double? { Self.ratio(clicked, openedHuman) }
    /// replied / delivered
    public var responseRate: Double? { Self.ratio(replied, delivered) }
    /// unsubscribed / delivered
    public var unsubscribeRate: Double? { Self.ratio(unsubscribed, delivered) }
    /// complained / delivered
    public var spamRate: Double? { Self.ratio(complained, delivered) }
}

/// How the heatmap is drawn.
public struct HeatmapOptions: Sendable {
    /// An IANA time zone name.
    public var timeZone: String
    /// Count only each contact's first open.
    public var firstOpensOnly: Bool

    public init(timeZone: String = "UTC", firstOpensOnly: Bool = false) {
        self.timeZone = timeZone
        self.firstOpensOnly = firstOpensOnly
    }
}

/// Why stats could not be computed.
public enum StatsError: Error, CustomStringConvertible, Equatable {
    case unknownTimeZone(String)

    public var description: String {
        switch self {
        case .unknownTimeZone(let z):
            return "unknown time zone '\(z)'; use an IANA name such as UTC, Europe/Stockholm or America/New_York"
        }
    }
}

extension CampaignStats {
    /// Computes every figure of `campaign` (restricted to `message` if given) from `store`.
    public static func compute(
        store: Store, campaign: Catalog.Campaign, message: Int64? = nil, heatmap: HeatmapOptions? = HeatmapOptions()
    ) throws -> CampaignStats {
        try compute(store: store, campaign: campaign, message: message, heatmap: heatmap, path: .fast)
    }

    /// How the whole-campaign counts are found (the tests compare the two).
    enum Path {
        /// `event_stats` and one pass over the campaign's engaged `activity` rows
        /// (`Store.wholeCampaignCounts`).
        case fast
        /// One pass over every `activity` row of the campaign, as `message N` does over
        /// events (`Store.campaignCounts`).
        case onePass
    }

    static func compute(
        store: Store, campaign: Catalog.Campaign, message: Int64?, heatmap: HeatmapOptions?, path: Path
    ) throws -> CampaignStats {
        let zone: TimeZone?
        if let heatmap, campaign.channel == .email {
            guard let z = TimeZone(identifier: heatmap.timeZone) else { throw StatsError.unknownTimeZone(heatmap.timeZone) }
            zone = z
        } else {
            zone = nil
        }
        let scope = StatsScope(campaign: campaign.id, message: message)
        let email = campaign.channel == .email

        // 1. The unique-contact counts and the funnel.
        let n = message == nil && path == .fast
            ? try store.wholeCampaignCounts(campaign: campaign.id, email: email)
            : try store.campaignCounts(scope, email: email)

        // 2. Drop reasons and bounce types.
        let reasons = try store.dropReasons(scope)
        let bounces = try store.bouncedContacts(scope)

        // 3. Links.
        let links = try linkClicks(store, scope: scope, contentClicks: n.clicks)

        // 4. The message's own send time (the campaign's `sent_at` is its first message's).
        let messageSentAt = try message.flatMap { try store.messageSendTime(campaign: campaign.id, message: $0) }

        // 5. The heatmap.
        var map: Heatmap?
        if let heatmap, let zone {
            map = try openHeatmap(store, scope: scope, zone: zone, options: heatmap)
        }

        return CampaignStats(
            campaign: CampaignInfo(name: campaign.name, channel: campaign.channel, sentAt: campaign.sentAt, messages: campaign.messages),
            message: message,
            messageSentAt: messageSentAt,
            recipients: n.recipients,
            plannedAudience: try store.plannedAudience(ofCampaign: campaign.id),
            timeZone: heatmap?.timeZone ?? "UTC",
            sent: n.sent,
            sentInferred: n.withSentEvent == 0 && n.sent > 0,
            notSent: n.dropped,
            notSentByReason: reasons,
            delivered: n.delivered,
            bounced: n.bounced,
            bouncedHard: bounces.hard,
            bouncedSoft: bounces.soft,
            opened: email ? n.opened : nil,
            openedHuman: email ? n.openedHuman : nil,
            clicked: n.clicked,
            replied: n.replied,
            forwarded: n.forwarded,
            unsubscribed: n.unsubscribed,
            complained: n.complained,
            opens: email ? n.opens : nil,
            humanOpens: email ? n.humanOpens : nil,
            clicks: n.clicks,
            footerClicks: n.footerClicks,
            links: links,
            funnel: Funnel(
                optedOut: n.optedOutBucket, clicked: n.clickedBucket, opened: email ? n.openedBucket : nil,
                received: n.receivedBucket,
                notReceived: n.recipients - n.optedOutBucket - n.clickedBucket - n.openedBucket - n.receivedBucket),
            heatmap: map)
    }

    /// Clicks per link of the campaign, links with no click left out: non-footer links
    /// first, by clicks, then URL; each non-footer link's share of `contentClicks`.
    static func linkClicks(_ store: Store, scope: StatsScope, contentClicks: Int64) throws -> [LinkClicks] {
        var links = try store.linkClicks(scope)
        let linked = links.reduce(Int64(0)) { $0 + ($1.footer ? 0 : $1.clicks) }
        // Clicks imported without a URL are clicks on no known link: one row for them.
        if contentClicks > linked, let unlinked = try store.clicksWithoutLink(scope) {
            links.append(unlinked)
        }
        for i in links.indices where !links[i].footer {
            links[i].share = ratio(links[i].clicks, contentClicks)
        }
        links.sort { a, b in
            if a.footer != b.footer { return !a.footer }
            if a.clicks != b.clicks { return a.clicks > b.clicks }
            return (a.url ?? "") < (b.url ?? "")
        }
        return links
    }

    /// Opens by local day of week and hour.
    static func openHeatmap(_ store: Store, scope: StatsScope, zone: TimeZone, options: HeatmapOptions) throws -> Heatmap {
        var counts = Array(repeating: Array(repeating: Int64(0), count: 24), count: 7)
        // The time span of the campaign's opens (any message).
        guard let (lo, hi) = try store.openTimeSpan(ofCampaign: scope.campaign) else {
            return Heatmap(timeZone: options.timeZone, firstOpensOnly: options.firstOpensOnly, counts: counts)
        }
        let segments = offsetSegments(zone: zone, from: lo, to: hi)
        // A 7 × 24 array indexed by local day of week and hour.
        let single = segments.count == 1 ? segments[0].offset : nil
        try store.streamOpenTimes(scope, firstOpensOnly: options.firstOpensOnly) { ts in
            let local = ts + (single ?? offset(at: ts, in: segments))
            let hour = floorDiv(local, 3600)
            let day = floorDiv(hour, 24)
            // 1970-01-01 was a Thursday: day 0 is index 3 when Monday is 0.
            counts[Int(floorMod(day + 3, 7))][Int(hour - day * 24)] += 1
        }
        return Heatmap(timeZone: options.timeZone, firstOpensOnly: options.firstOpensOnly, counts: counts)
    }

    /// The zone's UTC offsets between `lo` and `hi`: each holds until `until` (exclusive).
    static func offsetSegments(zone: TimeZone, from lo: Int64, to hi: Int64) -> [(until: Int64, offset: Int64)] {
        var segments: [(until: Int64, offset: Int64)] = []
        var at = Date(timeIntervalSince1970: TimeInterval(lo))
        var offset = Int64(zone.secondsFromGMT(for: at))
        // A zone changes offset a few times a year; the cap only guards against a runaway loop.
        while segments.count < 10_000, let next = zone.nextDaylightSavingTimeTransition(after: at),
              Int64(next.timeIntervalSince1970) <= hi, next > at {
            let t = Int64(next.timeIntervalSince1970.rounded(.down))
            segments.append((t, offset))
            at = next
            offset = Int64(zone.secondsFromGMT(for: next))
        }
        segments.append((Int64.max, offset))
        return segments
    }

    /// The offset of the segment `ts` falls in (segments ordered by `until`, the last unbounded).
    static func offset(at ts: Int64, in segments: [(until: Int64, offset: Int64)]) -> Int64 {
        var lo = 0, hi = segments.count - 1
        while lo < hi {
            let mid = (lo + hi) / 2
            if ts < segments[mid].until { hi = mid } else { lo = mid + 1 }
        }
        return segments[lo].offset
    }

    static func floorDiv(_ a: Int64, _ b: Int64) -> Int64 {
        let q = a / b
        return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q
    }

    static func floorMod(_ a: Int64, _ b: Int64) -> Int64 {
        a - floorDiv(a, b) * b
    }
}

/// One line of `.campaigns`: a campaign with its headline figures.
public struct CampaignOverview: Sendable, Equatable {
    public var name: String
    public var channel: SegQL.Channel
    /// When it was sent (Unix seconds), nil for a draft.
    public var sentAt: Int64?
    /// Contacts sent (as `stats` counts them).
    public var sent: Int64
    /// opened / delivered; nil for SMS or with no deliveries.
    public var openRate: Double?
    /// clicked / delivered (footer links left out); nil with no deliveries.
    public var clickRate: Double?
    /// For a draft duplicate: the contacts of its frozen list, who it is planned to go to
    /// (`CampaignStats.plannedAudience`); nil for any other campaign.
    public var planned: Int64?
    /// Each message of a sent sequence (a campaign of more than one message), in order;
    /// empty for a single message or a campaign not sent.
    public var messages: [Message]

    /// One message of a sequence.
    public typealias Message = CampaignMessage
}

extension CampaignOverview {
    /// Every campaign, oldest first, with the figures `stats` would give.
    ///
    /// Each campaign's figures are `CampaignHeadline`, as `stats` reads them
    /// (`Store.campaignHeadline`): `event_stats` (unique contacts per kind, kept by every
    /// import), one pass over the campaign's `activity` rows (recipients, sent, delivered)
    /// and its clickers from the partial index `activity_clickers` (clicked, opened) — not
    /// the engaged rows `stats` sums for its other figures. A draft duplicate adds the
    /// size of its frozen list; a sent sequence, its messages (`Store.messageSends`).
    public static func load(from store: Store) throws -> [CampaignOverview] {
        var maxContact: Int64?
        var out: [CampaignOverview] = []
        for campaign in try store.campaignsBySendTime() {
            var c = CampaignOverview(
                name: campaign.name, channel: campaign.channel, sentAt: campaign.sentAt,
                sent: 0, openRate: nil, clickRate: nil, planned: nil, messages: [])
            // The same figures as `stats` (sent and delivered counting later stages, a
            // click as an open), from its whole-campaign path.
            let statistics = try store.kindStatistics(ofCampaign: campaign.id)
            let headline = try store.campaignHeadline(campaign.id, statistics: statistics)
            c.sent = headline.sent
            if c.channel == .email { c.openRate = CampaignStats.ratio(headline.opened, headline.delivered) }
            c.clickRate = CampaignStats.ratio(headline.clicked, headline.delivered)
            if c.sentAt == nil {
                c.planned = try store.plannedAudience(ofCampaign: campaign.id)?.contacts
            } else if campaign.messages > 1 {
                if maxContact == nil { maxContact = try store.maxContactID() }
                c.messages = try store.messageSends(campaign: campaign.id, count: campaign.messages, maxContact: maxContact ?? 0)
            }
            out.append(c)
        }
        return out
    }
}
