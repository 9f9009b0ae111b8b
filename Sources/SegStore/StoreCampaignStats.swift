// The counts behind a campaign's statistics (`stats "C" [message N]`, `.campaigns`;
// every figure is defined in docs/analytics.md): the statements against `activity` and
// `event_stats`, and one message's rebuilt from `events`, each a named `Store` method.
// What the rollup cannot say is read in StoreCampaignStatsEvents.swift, what `.campaigns`
// adds in StoreCampaignStatsOverview.swift. The session assembles the report from them
// (SegSession's CampaignStats.swift: rates, link shares and order, the heatmap's
// buckets) and prints it (StatsRenderer).
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
//   `.campaigns` shows — are `CampaignHeadline`, read the same way for both. See
//   `wholeCampaignCounts`;
// - for `message N` the rollup does not know messages, so the same per-contact counts
//   are built from `events` with GROUP BY contact_id, and one outer aggregate
//   (`StatsScope.aggregateSQL`) computes every column over them (`campaignCounts`). The
//   tests run that same aggregate over all of a campaign's `activity` rows and check that
//   it agrees with the fast path, and that `stats "C"` and `stats "C" message 1` agree
//   on single-message campaigns.
//
// Every value is a bound parameter; the SQL text is built only from constant fragments.
// The statements are the same on every backend.

import SegQL

/// What the statistics' statements are restricted to: a campaign, and maybe one message.
public struct StatsScope: Sendable, Hashable {
    public var campaign: Int64
    /// The message (`message N`), or nil for the whole campaign.
    public var message: Int64?

    public init(campaign: Int64, message: Int64? = nil) {
        self.campaign = campaign
        self.message = message
    }

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

    /// A contact was delivered the campaign when it has a `delivered` event or any
    /// event that only a delivered message can have (opened, clicked — footer links
    /// too —, replied, forwarded, unsubscribed, complained).
    static let deliveredAny =
        "deliveries > 0 OR opens > 0 OR clicks > 0 OR footer_clicks > 0 OR replies > 0 OR forwards > 0 OR unsubscribes > 0 OR complaints > 0"
    /// A contact was sent the campaign when it has a `sent` event, a bounce, or was
    /// delivered (`deliveredAny`): every event but `dropped` comes after a send.
    static let sentAny = "sends > 0 OR bounces > 0 OR " + deliveredAny

    /// The outer aggregate over `source`; ?1 the campaign, ?2 the message (NULL for
    /// all), ?3 is 1 when opens are tracked (e-mail). Its columns are
    /// `CampaignCounts.init(row:)`'s, in order.
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

/// The unique-contact and event counts of a campaign (or of one of its messages), and
/// its status funnel: every figure of `stats` that is a count over one row per contact.
/// For SMS the open figures are read as for e-mail; the report leaves them out.
public struct CampaignCounts: Sendable, Equatable {
    /// Contacts with any event in scope: the funnel's universe.
    public var recipients: Int64
    /// Contacts with a `sent` event.
    public var withSentEvent: Int64
    /// Contacts with a `sent` event or any later-stage one: every event but `dropped`.
    public var sent: Int64
    /// Contacts with a `dropped` event.
    public var dropped: Int64
    /// Contacts with a `delivered` event or one only a delivered message can have.
    public var delivered: Int64
    public var bounced: Int64
    /// Contacts with an open or a click on a non-footer link.
    public var opened: Int64
    /// Contacts with an open not made by a machine, or a click.
    public var openedHuman: Int64
    /// Contacts with a click on a non-footer link.
    public var clicked: Int64
    public var replied: Int64
    public var forwarded: Int64
    public var unsubscribed: Int64
    public var complained: Int64
    /// Open events, and those not made by a machine.
    public var opens: Int64
    public var humanOpens: Int64
    /// Click events on non-footer links, and on footer links.
    public var clicks: Int64
    public var footerClicks: Int64
    /// The funnel's buckets but "not received" (the recipients left over), by priority:
    /// opted out > clicked > opened (0 for SMS) > received.
    public var optedOutBucket: Int64
    public var clickedBucket: Int64
    public var openedBucket: Int64
    public var receivedBucket: Int64

    /// The columns of `StatsScope.aggregateSQL`, in order.
    init(row c: [Int64]) {
        (recipients, withSentEvent, sent, dropped, delivered, bounced) = (c[0], c[1], c[2], c[3], c[4], c[5])
        (opened, openedHuman, clicked, replied, forwarded, unsubscribed, complained) = (c[6], c[7], c[8], c[9], c[10], c[11], c[12])
        (opens, humanOpens, clicks, footerClicks) = (c[13], c[14], c[15], c[16])
        (optedOutBucket, clickedBucket, openedBucket, receivedBucket) = (c[17], c[18], c[19], c[20])
    }

    static let columns = 21
}

/// A campaign's contacts and events per kind, as `event_stats` keeps them (the
/// importer recounts `contacts` from `activity`: the rows with that kind's count > 0).
public struct CampaignKindStatistics: Sendable, Equatable {
    /// Contacts per event kind (`EventKind.rawValue`); a kind with none is absent.
    public var contacts: [Int64: Int64] = [:]
    /// Events per event kind.
    public var events: [Int64: Int64] = [:]
}

/// A whole campaign's recipients, sent, delivered, opened and clicked: the figures of
/// `.campaigns` and, with the same values, of `stats` (`Store.wholeCampaignCounts`) —
/// their one definition on the rollup (`StatsScope.aggregateSQL` is the same over any
/// per-contact rows; the tests check they agree). See `Store.campaignHeadline`.
public struct CampaignHeadline: Sendable, Equatable {
    public var recipients: Int64
    public var sent: Int64
    public var delivered: Int64
    public var opened: Int64
    public var clicked: Int64
}

extension Store {

    /// The counts of `scope` in one pass: the outer aggregate of
    /// `StatsScope.aggregateSQL` over one row per contact (the campaign's `activity`
    /// rows, or one message's rebuilt from `events`). `email`: opens are tracked, so
    /// an open puts a contact in the funnel's opened bucket.
    public func campaignCounts(_ scope: StatsScope, email: Bool) throws -> CampaignCounts {
        var row: [Int64] = []
        let parameters: [SQLValue] = [.integer(scope.campaign), scope.message.map { .integer($0) } ?? .null, .integer(email ? 1 : 0)]
        try database.query(StatsScope.aggregateSQL(source: scope.perContactSource), parameters) { r in
            row = (0..<Int32(CampaignCounts.columns)).map { r.isNull($0) ? 0 : r.int64($0) }
        }
        return CampaignCounts(row: row.isEmpty ? Array(repeating: 0, count: CampaignCounts.columns) : row)
    }

    /// The same counts as `campaignCounts` for a whole campaign, without evaluating
    /// ~20 sums over every recipient:
    ///
    /// - a count of one kind's contacts or events is read from `event_stats` (the
    ///   importer counts its contacts from `activity`, as the rows with that kind's count
    ///   > 0);
    /// - recipients, sent, delivered, opened and clicked are `CampaignHeadline`, the
    ///   figures `.campaigns` shows (not "clicked" from `event_stats`: it counts every
    ///   clicker, footer links included);
    /// - what `event_stats` cannot say (a person's opens, clicks on non-footer links,
    ///   the funnel) is summed over the *engaged* rows only: contacts that opened (e-mail),
    ///   clicked a non-footer link, unsubscribed or complained — about 30% of a campaign.
    ///   Every other recipient is in the funnel's "received" bucket when delivered and in
    ///   "not received" otherwise, so those two buckets follow from `delivered`.
    public func wholeCampaignCounts(campaign: Int64, email: Bool) throws -> CampaignCounts {
        let c = SQLValue.integer(campaign)
        let stats = try kindStatistics(ofCampaign: campaign)
        func k(_ kind: Int64) -> Int64 { stats.contacts[kind] ?? 0 }
        let headline = try campaignHeadline(campaign, statistics: stats)
        let (recipients, sent, delivered) = (headline.recipients, headline.sent, headline.delivered)
        // Two constant statements rather than a parameter in the WHERE, so that the
        // cheap, most often true test comes first. Engaged rows: opened (e-mail only: an
        // SMS open does not move a contact out of "received"), clicked a non-footer link,
        // unsubscribed, complained.
        let engaged = email
            ? "opens > 0 OR clicks > 0 OR unsubscribes > 0 OR complaints > 0"
            : "clicks > 0 OR unsubscribes > 0 OR complaints > 0"
        var e: [Int64] = Array(repeating: 0, count: 6)
        try database.query("""
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
        // was delivered (`StatsScope.deliveredAny`).
        let received = delivered - engagedRows
        let opens = stats.events[5] ?? 0
        return CampaignCounts(row: [
            recipients, k(1), sent, k(2), delivered, k(4), headline.opened, openedHuman,
            headline.clicked, k(7), k(8), k(9), k(10),
            opens, opens - machineOpens, contentClicks, (stats.events[6] ?? 0) - contentClicks,
            optedOut, clickedBucket, openedBucket, received,
        ])
    }

    /// The campaign's contacts and events per kind, from `event_stats`.
    public func kindStatistics(ofCampaign campaign: Int64) throws -> CampaignKindStatistics {
        var s = CampaignKindStatistics()
        try database.query("SELECT kind, contacts, events FROM event_stats WHERE campaign_id = ?1", [.integer(campaign)]) { r in
            s.contacts[r.int64(0)] = r.int64(1)
            s.events[r.int64(0)] = r.int64(2)
        }
        return s
    }

    /// The campaign's `CampaignHeadline`, given its `statistics`:
    ///
    /// - recipients, sent and delivered: one pass over the campaign's `activity` rows. No
    ///   statistic says how many contacts have any event, nor which have a later-stage event
    ///   but no `sent` or `delivered` one (`StatsScope.sentAny`, `StatsScope.deliveredAny`),
    ///   and no index holds the rows without a delivery; the statement counts every row, and
    ///   tests the rest only where `deliveries = 0` (the third column: most rows stop there);
    /// - delivered is the `delivered` contacts of `event_stats` plus the rows delivered
    ///   without that event;
    /// - clicked (a click on a non-footer link) and opened (an open, or such a click):
    ///   the clickers from the partial index `activity_clickers`, each probed for an open;
    ///   opened adds the clickers without an open to the openers of `event_stats`.
    public func campaignHeadline(_ campaign: Int64, statistics: CampaignKindStatistics) throws -> CampaignHeadline {
        let c = SQLValue.integer(campaign)
        // Among the rows without a `delivered` event: the ones that were delivered
        // anyway, and the ones that were only dropped (every other recipient was sent).
        var recipients: Int64 = 0, droppedOnly: Int64 = 0, deliveredWithoutEvent: Int64 = 0
        try database.query("""
            SELECT count(*),
                   count(*) FILTER (WHERE deliveries = 0 AND sends = 0 AND bounces = 0 AND NOT (\(StatsScope.deliveredAny))),
                   count(*) FILTER (WHERE deliveries = 0 AND (\(StatsScope.deliveredAny)))
            FROM activity WHERE campaign_id = ?1
            """, [c]) { r in
            recipients = r.int64(0)
            droppedOnly = r.isNull(1) ? 0 : r.int64(1)
            deliveredWithoutEvent = r.isNull(2) ? 0 : r.int64(2)
        }
        // A campaign without an open (every SMS campaign) has no clicker to probe.
        let openers = statistics.contacts[5] ?? 0
        var clicked: Int64 = 0, clickedNotOpened: Int64 = 0
        try database.query(openers == 0 ? """
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
        return CampaignHeadline(
            recipients: recipients, sent: recipients - droppedOnly,
            delivered: (statistics.contacts[3] ?? 0) + deliveredWithoutEvent,
            opened: openers + clickedNotOpened, clicked: clicked)
    }
}
