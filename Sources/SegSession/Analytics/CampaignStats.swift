// A campaign's metrics (LANGUAGE.md §7 "Stats"; every figure is defined in
// docs/analytics.md), computed with a handful of aggregate statements.
//
// How. Almost every figure is "contacts with at least one event of a kind", so the
// work is one row per contact with that contact's counts per kind:
//
// - for the whole campaign that row already exists: the `activity` rollup, keyed by
//   (campaign, contact). The per-kind contact and event counts are read from
//   `event_stats` (the importer counts its contacts from `activity`, so they are the
//   same numbers), and only what it cannot say — opened by a person, clicked a
//   non-footer link, machine opens, the funnel — is summed, over the campaign's
//   *engaged* rows only (opened, clicked, unsubscribed or complained: ~30% of the
//   largest demo campaign). Recipients, sent, delivered, opened and clicked — what
//   `.campaigns` shows — are `Headline`, read the same way for both. See
//   `wholeCampaignFigures`;
// - for `message N` the rollup does not know messages, so the same per-contact counts
//   are built from `events` with GROUP BY contact_id, and one outer aggregate
//   (`Scope.aggregateSQL`) computes every column over them. The tests run that same
//   aggregate over all of a campaign's `activity` rows (`Path.onePass`) and check that
//   it agrees with the fast path, and that `stats "C"` and `stats "C" message 1` agree
//   on single-message campaigns.
//
// What the rollup cannot say — drop reasons, hard vs soft bounces, per-link clicks and
// the times of opens — comes from `events` through its indexes (`events_by_campaign`,
// `events_by_link`). Every value is a bound parameter; the SQL text is built only from
// constant fragments.
//
// The heatmap buckets opens by local day of week and hour. The time zone's UTC offsets
// over the campaign's open times are found once with Foundation
// (`TimeZone.nextDaylightSavingTimeTransition`), so it is exact across daylight-saving
// changes; SQLite returns the open times and each is bucketed here with that offset
// table (a GROUP BY in SQL would sort every open in a temporary B-tree).
//
// One file, though long: each figure of docs/analytics.md is computed here beside its
// neighbours' statements, so a figure's definition and its SQL are compared in one
// place; printing them is StatsRenderer.swift.

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
    public struct PlannedAudience: Sendable, Equatable {
        /// The list's name (the duplicate's own name).
        public var list: String
        /// Contacts in the list: the planned recipients, none of them sent yet.
        public var contacts: Int64

        public init(list: String, contacts: Int64) {
            self.list = list
            self.contacts = contacts
        }
    }

    /// Contacts that were not sent the campaign for one reason (dropped events).
    public struct Reason: Sendable, Equatable {
        /// The drop reason as imported; nil when the event gave none.
        public var reason: String?
        public var contacts: Int64

        public init(reason: String?, contacts: Int64) {
            self.reason = reason
            self.contacts = contacts
        }
    }

    /// Clicks on one link.
    public struct LinkClicks: Sendable, Equatable {
        /// The URL; nil for clicks imported without one.
        public var url: String?
        /// A footer link (privacy policy, unsubscribe, …): not counted as a click.
        public var footer: Bool
        /// Click events.
        public var clicks: Int64
        /// Distinct contacts that clicked it.
        public var clickers: Int64
        /// This link's clicks over all clicks on non-footer links; nil for footer links.
        public var share: Double?

        public init(url: String?, footer: Bool, clicks: Int64, clickers: Int64, share: Double?) {
            self.url = url
            self.footer = footer
            self.clicks = clicks
            self.clickers = clickers
            self.share = share
        }
    }

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
        /// `event_stats` and one pass over the campaign's engaged `activity` rows.
        case fast
        /// One pass over every `activity` row of the campaign (as `message N` does over events).
        case onePass
    }

    static func compute(
        store: Store, campaign: Catalog.Campaign, message: Int64?, heatmap: HeatmapOptions?, path: Path
    ) throws -> CampaignStats {
        let db = store.database
        let zone: TimeZone?
        if let heatmap, campaign.channel == .email {
            guard let z = TimeZone(identifier: heatmap.timeZone) else { throw StatsError.unknownTimeZone(heatmap.timeZone) }
            zone = z
        } else {
            zone = nil
        }
        let scope = Scope(campaign: campaign.id, message: message)
        let email = campaign.channel == .email

        // 1. The unique-contact counts and the funnel, as the outer aggregate's columns
        //    (see `Scope.aggregateSQL`).
        let row: [Int64]
        if message == nil, path == .fast {
            row = try wholeCampaignFigures(db, campaign: campaign.id, email: email)
        } else {
            row = try onePassFigures(db, scope: scope, email: email)
        }
        let (recipients, sentEvents, sent) = (row[0], row[1], row[2])

        // 2. Drop reasons and bounce types.
        var reasons: [Reason] = []
        try db.query("""
            SELECT reason, count(DISTINCT contact_id) FROM events
            WHERE campaign_id = ?1 AND kind = 2\(scope.messageFilter)
            GROUP BY reason ORDER BY 2 DESC, reason
            """, scope.parameters) { r in
            reasons.append(Reason(reason: r.optionalText(0), contacts: r.int64(1)))
        }
        var hard: Int64 = 0, soft: Int64 = 0
        try db.query("""
            SELECT count(DISTINCT CASE WHEN bounce = 'hard' THEN contact_id END),
                   count(DISTINCT CASE WHEN bounce = 'soft' THEN contact_id END)
            FROM events WHERE campaign_id = ?1 AND kind = 4\(scope.messageFilter)
            """, scope.parameters) { r in
            hard = r.int64(0)
            soft = r.int64(1)
        }

        // 3. Links.
        let contentClicks = row[15], footerClicks = row[16]
        let links = try linkClicks(db, scope: scope, contentClicks: contentClicks)

        // 4. The message's own send time (the campaign's `sent_at` is its first message's).
        var messageSentAt: Int64?
        if message != nil {
            for kinds in ["kind = 1", "kind <> 2"] where messageSentAt == nil {
                try db.query(
                    "SELECT min(ts) FROM events WHERE campaign_id = ?1 AND message = ?2 AND \(kinds)", scope.parameters
                ) { r in
                    if !r.isNull(0) { messageSentAt = Timestamp.clamped(r.int64(0)) }
                }
            }
        }

        // 5. The heatmap.
        var map: Heatmap?
        if let heatmap, let zone {
            map = try openHeatmap(db, scope: scope, zone: zone, options: heatmap)
        }

        return CampaignStats(
            campaign: CampaignInfo(name: campaign.name, channel: campaign.channel, sentAt: campaign.sentAt, messages: campaign.messages),
            message: message,
            messageSentAt: messageSentAt,
            recipients: recipients,
            plannedAudience: try plannedAudience(db, campaign: campaign.id),
            timeZone: heatmap?.timeZone ?? "UTC",
            sent: sent,
            sentInferred: sentEvents == 0 && sent > 0,
            notSent: row[3],
            notSentByReason: reasons,
            delivered: row[4],
            bounced: row[5],
            bouncedHard: hard,
            bouncedSoft: soft,
            opened: email ? row[6] : nil,
            openedHuman: email ? row[7] : nil,
            clicked: row[8],
            replied: row[9],
            forwarded: row[10],
            unsubscribed: row[11],
            complained: row[12],
            opens: email ? row[13] : nil,
            humanOpens: email ? row[14] : nil,
            clicks: contentClicks,
            footerClicks: footerClicks,
            links: links,
            funnel: Funnel(
                optedOut: row[17], clicked: row[18], opened: email ? row[19] : nil, received: row[20],
                notReceived: recipients - row[17] - row[18] - row[19] - row[20]),
            heatmap: map)
    }

    /// A draft duplicate's frozen list and its size: only for a campaign with no send time
    /// and an audience list (`campaigns.audience_list_id`, set by `duplicate campaign`).
    /// One count of the list's members through their primary key, a statement of its
    /// own (Citus refuses a subquery on `list_members` correlated with the reference
    /// tables `campaigns` and `lists`).
    static func plannedAudience(_ db: Database, campaign: Int64) throws -> PlannedAudience? {
        var list: (id: Int64, name: String)?
        try db.query("""
            SELECT l.id, l.name FROM campaigns c JOIN lists l ON l.id = c.audience_list_id
            WHERE c.id = ?1 AND c.sent_at IS NULL
            """, [.integer(campaign)]) { r in
            list = (r.int64(0), r.text(1))
        }
        guard let list else { return nil }
        let members = try db.int64("SELECT count(*) FROM list_members WHERE list_id = ?1", [.integer(list.id)]) ?? 0
        return PlannedAudience(list: list.name, contacts: members)
    }

    /// The outer aggregate of `Scope.aggregateSQL` over one row per contact in scope.
    static func onePassFigures(_ db: Database, scope: Scope, email: Bool) throws -> [Int64] {
        var row: [Int64] = []
        let parameters: [SQLValue] = [.integer(scope.campaign), scope.message.map { .integer($0) } ?? .null, .integer(email ? 1 : 0)]
        try db.query(Scope.aggregateSQL(source: scope.perContactSource), parameters) { r in
            row = (0..<Int32(Scope.aggregateColumns)).map { r.isNull($0) ? 0 : r.int64($0) }
        }
        return row.isEmpty ? Array(repeating: 0, count: Scope.aggregateColumns) : row
    }

    /// The same columns as `onePassFigures` for a whole campaign, without evaluating
    /// ~20 sums over every recipient:
    ///
    /// - a count of one kind's contacts or events is read from `event_stats` (the
    ///   importer counts its contacts from `activity`, as the rows with that kind's count
    ///   > 0);
    /// - recipients, sent, delivered, opened and clicked are `Headline`, the figures
    ///   `.campaigns` shows (not "clicked" from `event_stats`: it counts every clicker,
    ///   footer links included);
    /// - what `event_stats` cannot say (a person's opens, clicks on non-footer links,
    ///   the funnel) is summed over the *engaged* rows only: contacts that opened (e-mail),
    ///   clicked a non-footer link, unsubscribed or complained — about 30% of a campaign.
    ///   Every other recipient is in the funnel's "received" bucket when delivered and in
    ///   "not received" otherwise, so those two buckets follow from `delivered`.
    static func wholeCampaignFigures(_ db: Database, campaign: Int64, email: Bool) throws -> [Int64] {
        let c = SQLValue.integer(campaign)
        let stats = try KindStatistics.read(db, campaign: campaign)
        func k(_ kind: Int64) -> Int64 { stats.contacts[kind] ?? 0 }
        let headline = try Headline.read(db, campaign: campaign, statistics: stats)
        let (recipients, sent, delivered) = (headline.recipients, headline.sent, headline.delivered)
        // Two constant statements rather than a parameter in the WHERE, so that the
        // cheap, most often true test comes first. Engaged rows: opened (e-mail only: an
        // SMS open does not move a contact out of "received"), clicked a non-footer link,
        // unsubscribed, complained.
        let engaged = email
            ? "opens > 0 OR clicks > 0 OR unsubscribes > 0 OR complaints > 0"
            : "clicks > 0 OR unsubscribes > 0 OR complaints > 0"
        var e: [Int64] = Array(repeating: 0, count: 6)
        try db.query("""
            SELECT count(*), count(*) FILTER (WHERE opens > machine_opens OR clicks > 0), sum(machine_opens),
                   sum(clicks), count(*) FILTER (WHERE unsubscribes > 0 OR complaints > 0),
                   count(*) FILTER (WHERE clicks > 0 AND unsubscribes = 0 AND complaints = 0)
            FROM activity WHERE campaign_id = ?1 AND (\(engaged))
            """, [c]) { r in
            e = (0..<6).map { r.isNull(Int32($0)) ? 0 : r.int64(Int32($0)) }
        }
        let (engagedRows, openedHuman, machineOpens) = (e[0], e[1], e[2])
        let (contentClicks, optedOut, clickedBucket) = (e[3], e[4], e[5])
        // Engaged and still subscribed without a click: opened (e-mail); for SMS there are none.
        let openedBucket = email ? engagedRows - optedOut - clickedBucket : 0
        // Every delivered recipient outside the engaged rows is "received"; no engaged
        // row is (it opted out, clicked, or — e-mail — opened), and every engaged row
        // was delivered (`Scope.deliveredAny`).
        let received = delivered - engagedRows
        let opens = stats.events[5] ?? 0
        return [
            recipients, k(1), sent, k(2), delivered, k(4), headline.opened, openedHuman,
            headline.clicked, k(7), k(8), k(9), k(10),
            opens, opens - machineOpens, contentClicks, (stats.events[6] ?? 0) - contentClicks,
            optedOut, clickedBucket, openedBucket, received,
        ]
    }

    /// A campaign's contacts and events per kind, as `event_stats` keeps them (the
    /// importer recounts `contacts` from `activity`: the rows with that kind's count > 0).
    struct KindStatistics {
        var contacts: [Int64: Int64] = [:]
        var events: [Int64: Int64] = [:]

        static func read(_ db: Database, campaign: Int64) throws -> KindStatistics {
            var s = KindStatistics()
            try db.query("SELECT kind, contacts, events FROM event_stats WHERE campaign_id = ?1", [.integer(campaign)]) { r in
                s.contacts[r.int64(0)] = r.int64(1)
                s.events[r.int64(0)] = r.int64(2)
            }
            return s
        }
    }

    /// A whole campaign's recipients, sent, delivered, opened and clicked: the figures of
    /// `.campaigns` and, with the same values, of `stats` (`wholeCampaignFigures`) — their
    /// one definition on the rollup (`Scope.aggregateSQL` is the same over any per-contact
    /// rows; the tests check they agree).
    ///
    /// - recipients, sent and delivered: one pass over the campaign's `activity` rows. No
    ///   statistic says how many contacts have any event, nor which have a later-stage event
    ///   but no `sent` or `delivered` one (`Scope.sentAny`, `Scope.deliveredAny`), and no
    ///   index holds the rows without a delivery; the statement counts every row, and tests
    ///   the rest only where `deliveries = 0` (the third column: most rows stop there);
    /// - delivered is the `delivered` contacts of `event_stats` plus the rows delivered
    ///   without that event;
    /// - clicked (a click on a non-footer link) and opened (an open, or such a click):
    ///   the clickers from the partial index `activity_clickers`, each probed for an open;
    ///   opened adds the clickers without an open to the openers of `event_stats`.
    struct Headline: Equatable {
        var recipients: Int64
        var sent: Int64
        var delivered: Int64
        var opened: Int64
        var clicked: Int64

        static func read(_ db: Database, campaign: Int64, statistics: KindStatistics) throws -> Headline {
            let c = SQLValue.integer(campaign)
            // Among the rows without a `delivered` event: the ones that were delivered
            // anyway, and the ones that were only dropped (every other recipient was sent).
            var recipients: Int64 = 0, droppedOnly: Int64 = 0, deliveredWithoutEvent: Int64 = 0
            try db.query("""
                SELECT count(*),
                       count(*) FILTER (WHERE deliveries = 0 AND sends = 0 AND bounces = 0 AND NOT (\(Scope.deliveredAny))),
                       count(*) FILTER (WHERE deliveries = 0 AND (\(Scope.deliveredAny)))
                FROM activity WHERE campaign_id = ?1
                """, [c]) { r in
                recipients = r.int64(0)
                droppedOnly = r.isNull(1) ? 0 : r.int64(1)
                deliveredWithoutEvent = r.isNull(2) ? 0 : r.int64(2)
            }
            // A campaign without an open (every SMS campaign) has no clicker to probe.
            let openers = statistics.contacts[5] ?? 0
            var clicked: Int64 = 0, clickedNotOpened: Int64 = 0
            try db.query(openers == 0 ? """
                SELECT count(*), count(*) FROM activity k WHERE k.campaign_id = ?1 AND k.clicks > 0
                """ : """
                SELECT count(*),
                       count(*) FILTER (WHERE NOT EXISTS (
                           SELECT 1 FROM activity o WHERE o.campaign_id = k.campaign_id AND o.contact_id = k.contact_id AND o.opens > 0))
                FROM activity k WHERE k.campaign_id = ?1 AND k.clicks > 0
                """, [c]) { r in
                clicked = r.int64(0)
                clickedNotOpened = r.isNull(1) ? 0 : r.int64(1)
            }
            return Headline(
                recipients: recipients, sent: recipients - droppedOnly,
                delivered: (statistics.contacts[3] ?? 0) + deliveredWithoutEvent,
                opened: openers + clickedNotOpened, clicked: clicked)
        }
    }

    /// What the statements are restricted to: a campaign, and maybe one message.
    struct Scope {
        var campaign: Int64
        var message: Int64?

        /// ?1 = the campaign, ?2 = the message (when there is one).
        var parameters: [SQLValue] {
            [.integer(campaign)] + (message.map { [SQLValue.integer($0)] } ?? [])
        }

        /// Appended to a WHERE on `events`.
        var messageFilter: String { message == nil ? "" : " AND message = ?2" }

        /// One row per contact with an event in scope, with the `activity` columns.
        var perContactSource: String {
            guard message != nil else {
                return "SELECT * FROM activity WHERE campaign_id = ?1"
            }
            // The rollup's columns rebuilt from events for one message; a click on a
            // link flagged footer is a footer click, any other click (even one with no
            // link) a click, as the importer counts them.
            return """
                SELECT e.contact_id,
                       count(*) FILTER (WHERE e.kind = 1) AS sends, count(*) FILTER (WHERE e.kind = 2) AS drops, count(*) FILTER (WHERE e.kind = 3) AS deliveries,
                       count(*) FILTER (WHERE e.kind = 4) AS bounces, count(*) FILTER (WHERE e.kind = 5) AS opens,
                       count(*) FILTER (WHERE e.kind = 5 AND e.machine = 1) AS machine_opens,
                       count(*) FILTER (WHERE e.kind = 6 AND coalesce(l.footer, 0) = 0) AS clicks,
                       count(*) FILTER (WHERE e.kind = 6 AND l.footer = 1) AS footer_clicks,
                       count(*) FILTER (WHERE e.kind = 7) AS replies, count(*) FILTER (WHERE e.kind = 8) AS forwards,
                       count(*) FILTER (WHERE e.kind = 9) AS unsubscribes, count(*) FILTER (WHERE e.kind = 10) AS complaints
                FROM events e LEFT JOIN links l ON l.id = e.link_id
                WHERE e.campaign_id = ?1 AND e.message = ?2
                GROUP BY e.contact_id
                """
        }

        static let aggregateColumns = 21

        /// A contact was delivered the campaign when it has a `delivered` event or any
        /// event that only a delivered message can have (opened, clicked — footer links
        /// too —, replied, forwarded, unsubscribed, complained).
        static let deliveredAny =
            "deliveries > 0 OR opens > 0 OR clicks > 0 OR footer_clicks > 0 OR replies > 0 OR forwards > 0 OR unsubscribes > 0 OR complaints > 0"
        /// A contact was sent the campaign when it has a `sent` event, a bounce, or was
        /// delivered (`deliveredAny`): every event but `dropped` comes after a send.
        static let sentAny = "sends > 0 OR bounces > 0 OR " + deliveredAny

        /// The outer aggregate over `source`; ?1 the campaign, ?2 the message (NULL for
        /// all), ?3 is 1 when opens are tracked (e-mail).
        /// Columns: 0 recipients, 1 with a `sent` event, 2 sent (`sentAny`), 3 dropped,
        /// 4 delivered (`deliveredAny`), 5 bounced, 6 opened (an open or a click on a
        /// non-footer link: a click implies the message was opened), 7 opened by a person
        /// (an open not made by a machine, or a click), 8 clicked, 9 replied, 10 forwarded,
        /// 11 unsubscribed, 12 complained, 13 opens, 14 human opens, 15 clicks,
        /// 16 footer clicks, 17–20 funnel: opted out, clicked, opened, received.
        static func aggregateSQL(source: String) -> String {
            let stillIn = "unsubscribes = 0 AND complaints = 0"
            return """
                SELECT count(*),
                       count(*) FILTER (WHERE sends > 0), count(*) FILTER (WHERE \(sentAny)), count(*) FILTER (WHERE drops > 0),
                       count(*) FILTER (WHERE \(deliveredAny)), count(*) FILTER (WHERE bounces > 0),
                       count(*) FILTER (WHERE opens > 0 OR clicks > 0), count(*) FILTER (WHERE opens > machine_opens OR clicks > 0),
                       count(*) FILTER (WHERE clicks > 0), count(*) FILTER (WHERE replies > 0), count(*) FILTER (WHERE forwards > 0), count(*) FILTER (WHERE unsubscribes > 0),
                       count(*) FILTER (WHERE complaints > 0),
                       sum(opens), sum(opens - machine_opens), sum(clicks), sum(footer_clicks),
                       count(*) FILTER (WHERE NOT (\(stillIn))),
                       count(*) FILTER (WHERE \(stillIn) AND clicks > 0),
                       count(*) FILTER (WHERE \(stillIn) AND clicks = 0 AND ?3 = 1 AND opens > 0),
                       count(*) FILTER (WHERE \(stillIn) AND clicks = 0 AND NOT (?3 = 1 AND opens > 0) AND (\(deliveredAny)))
                FROM (\(source)) per_contact
                """
        }
    }

    /// Clicks per link of the campaign, links with no click left out.
    static func linkClicks(_ db: Database, scope: Scope, contentClicks: Int64) throws -> [LinkClicks] {
        var links: [LinkClicks] = []
        // Without a message filter, `events_by_link (link_id, contact_id)` answers alone.
        let sql = scope.message == nil
            ? """
              SELECT l.url, l.footer, count(*), count(DISTINCT e.contact_id)
              FROM links l JOIN events e ON e.link_id = l.id
              WHERE l.campaign_id = ?1
              GROUP BY l.id
              """
            : """
              SELECT l.url, l.footer, count(*), count(DISTINCT e.contact_id)
              FROM links l JOIN events e ON e.link_id = l.id
              WHERE l.campaign_id = ?1 AND e.message = ?2
              GROUP BY l.id
              """
        var linked: Int64 = 0
        try db.query(sql, scope.parameters) { r in
            let footer = r.int64(1) != 0
            let clicks = r.int64(2)
            if !footer { linked += clicks }
            links.append(LinkClicks(url: r.text(0), footer: footer, clicks: clicks, clickers: r.int64(3), share: nil))
        }
        // Clicks imported without a URL are clicks on no known link: one row for them.
        if contentClicks > linked {
            try db.query("""
                SELECT count(*), count(DISTINCT contact_id) FROM events
                WHERE campaign_id = ?1 AND kind = 6 AND link_id IS NULL\(scope.messageFilter)
                """, scope.parameters) { r in
                if r.int64(0) > 0 {
                    links.append(LinkClicks(url: nil, footer: false, clicks: r.int64(0), clickers: r.int64(1), share: nil))
                }
            }
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
    static func openHeatmap(_ db: Database, scope: Scope, zone: TimeZone, options: HeatmapOptions) throws -> Heatmap {
        var counts = Array(repeating: Array(repeating: Int64(0), count: 24), count: 7)
        // The time span of the campaign's opens (any message), from the planner's statistics.
        var range: (Int64, Int64)?
        try db.query("SELECT min_ts, max_ts FROM event_stats WHERE campaign_id = ?1 AND kind = 5", [.integer(scope.campaign)]) { r in
            if !r.isNull(0), !r.isNull(1) { range = (Timestamp.clamped(r.int64(0)), Timestamp.clamped(r.int64(1))) }
        }
        guard let (lo, hi) = range else {
            return Heatmap(timeZone: options.timeZone, firstOpensOnly: options.firstOpensOnly, counts: counts)
        }
        let segments = offsetSegments(zone: zone, from: lo, to: hi)
        // The open times are read through `events_by_campaign` (campaign, kind, contact)
        // with a lookup of each row for `ts`: the events of a campaign were imported
        // together, so those lookups walk the table nearly in order. (Probing the covering
        // `events_by_contact` once per opener was measured slower: its entries for one
        // campaign are spread over the whole index.) With first opens only, GROUP BY
        // contact_id follows the index order: no temporary B-tree.
        let opens = options.firstOpensOnly
            ? "SELECT min(ts) FROM events WHERE campaign_id = ?1 AND kind = 5\(scope.messageFilter) GROUP BY contact_id"
            : "SELECT ts FROM events WHERE campaign_id = ?1 AND kind = 5\(scope.messageFilter)"
        // Bucketed here rather than with GROUP BY in SQL, which would sort every open in a
        // temporary B-tree: a 7 × 24 array indexed by local day of week and hour.
        let single = segments.count == 1 ? segments[0].offset : nil
        try db.stream(opens, scope.parameters) { r in
            let ts = Timestamp.clamped(r.int64(0))
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
    public struct Message: Sendable, Equatable {
        /// Its number, from 1.
        public var message: Int64
        /// Its own send time, as `stats "C" message N` gives it: its earliest `sent`
        /// event, else its earliest event but `dropped`; nil when it has no such event.
        public var sentAt: Int64?
        /// Contacts with a `sent` event of it; for a message without `sent` events,
        /// contacts with any event of it but `dropped`.
        public var sent: Int64

        public init(message: Int64, sentAt: Int64?, sent: Int64) {
            self.message = message
            self.sentAt = sentAt
            self.sent = sent
        }
    }
}

extension CampaignOverview {
    /// Every campaign, oldest first, with the figures `stats` would give.
    ///
    /// Each campaign's figures are `CampaignStats.Headline`, as `stats` reads them: `event_stats`
    /// (unique contacts per kind, kept by every import), one pass over the campaign's
    /// `activity` rows (recipients, sent, delivered) and its clickers from the partial
    /// index `activity_clickers` (clicked, opened) — not the engaged rows `stats` sums
    /// for its other figures. A draft
    /// duplicate adds the size of its frozen list; a sent sequence, its messages
    /// (`messages(_:campaign:count:maxContact:)`).
    public static func load(from store: Store) throws -> [CampaignOverview] {
        let db = store.database
        var campaigns: [(id: Int64, messages: Int64, CampaignOverview)] = []
        try db.query("SELECT id, name, channel, sent_at, messages FROM campaigns ORDER BY coalesce(sent_at, created_at), id") { r in
            campaigns.append((r.int64(0), r.int64(4), CampaignOverview(
                name: r.text(1), channel: SegQL.Channel(rawValue: r.text(2)) ?? .email, sentAt: r.optionalInt64(3).map(Timestamp.clamped),
                sent: 0, openRate: nil, clickRate: nil, planned: nil, messages: [])))
        }
        var maxContact: Int64?
        var out: [CampaignOverview] = []
        for (id, messages, var c) in campaigns {
            // The same figures as `stats` (sent and delivered counting later stages, a
            // click as an open), from its whole-campaign path.
            let statistics = try CampaignStats.KindStatistics.read(db, campaign: id)
            let headline = try CampaignStats.Headline.read(db, campaign: id, statistics: statistics)
            c.sent = headline.sent
            if c.channel == .email { c.openRate = CampaignStats.ratio(headline.opened, headline.delivered) }
            c.clickRate = CampaignStats.ratio(headline.clicked, headline.delivered)
            if c.sentAt == nil {
                c.planned = try CampaignStats.plannedAudience(db, campaign: id)?.contacts
            } else if messages > 1 {
                if maxContact == nil { maxContact = try db.int64("SELECT max(id) FROM contacts") ?? 0 }
                c.messages = try Self.messages(db, campaign: id, count: messages, maxContact: maxContact ?? 0)
            }
            out.append(c)
        }
        return out
    }

    /// The messages 1…`count` of a campaign, each with its own send time and contacts sent.
    ///
    /// No rollup knows messages, so this reads the campaign's `sent` events once, from
    /// the covering `events_by_campaign (campaign_id, kind, ts, contact_id, …, message)`,
    /// and keeps per message the earliest time and the contacts as a `ContactSet` (a
    /// bitmap: `count(DISTINCT contact_id) … GROUP BY message` sorts every send in two
    /// temporary B-trees, several times slower). Only when a message has no `sent` event
    /// (an import with deliveries only, or a message not sent yet) are the campaign's
    /// other events but drops read, in a second pass, for those messages alone.
    public static func messages(_ db: Database, campaign: Int64, count: Int64, maxContact: Int64) throws -> [Message] {
        // Indexed by message number (`campaigns.messages` is at least the highest one);
        // a set is made for a message only when one of its events is read.
        let n = Int(max(count, 1))
        var first = [Int64?](repeating: nil, count: n + 1)
        var contacts = [ContactSet?](repeating: nil, count: n + 1)
        func pass(_ sql: String, keeping keep: [Bool]) throws {
            try db.stream(sql, [.integer(campaign)]) { r in
                let m = r.int64(0)
                guard m >= 1, m <= n, keep[Int(m)] else { return }
                let ts = Timestamp.clamped(r.int64(1))
                first[Int(m)] = min(first[Int(m)] ?? ts, ts)
                if contacts[Int(m)] == nil { contacts[Int(m)] = ContactSet(maxID: maxContact) }
                contacts[Int(m)]?.insert(r.int64(2))
            }
        }
        try pass("SELECT message, ts, contact_id FROM events WHERE campaign_id = ?1 AND kind = 1", keeping: Array(repeating: true, count: n + 1))
        let unsent = first.map { $0 == nil }
        if unsent[1...].contains(true) {
            try pass("SELECT message, ts, contact_id FROM events WHERE campaign_id = ?1 AND kind > 2", keeping: unsent)
        }
        return (1...n).map { m in
            Message(message: Int64(m), sentAt: first[m], sent: Int64(contacts[m]?.count ?? 0))
        }
    }
}
