// The reads behind the statistics that the `activity` rollup cannot give (see
// StoreCampaignStats.swift for the counts it does give): drop reasons, hard vs soft
// bounces, clicks per link, a message's own send time and the times of opens, from
// `events` through its indexes (`events_by_campaign`, `events_by_link`). Every value is a
// bound parameter; the statements are the same on every backend.

import SegQL

/// Contacts that were not sent the campaign for one reason (dropped events).
public struct DropReason: Sendable, Equatable {
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
    /// This link's clicks over all clicks on non-footer links; nil for footer links
    /// (and as the store reads it: the session computes it).
    public var share: Double?

    public init(url: String?, footer: Bool, clicks: Int64, clickers: Int64, share: Double?) {
        self.url = url
        self.footer = footer
        self.clicks = clicks
        self.clickers = clickers
        self.share = share
    }
}

extension Store {
    /// Contacts with a `dropped` event in `scope`, per reason (a contact dropped for two
    /// reasons counts in both), most first, then by reason.
    public func dropReasons(_ scope: StatsScope) throws -> [DropReason] {
        var reasons: [DropReason] = []
        try database.query("""
            SELECT reason, count(DISTINCT contact_id) FROM events
            WHERE campaign_id = ?1 AND kind = 2\(scope.messageFilter)
            GROUP BY reason ORDER BY 2 DESC, reason
            """, scope.parameters) { r in
            reasons.append(DropReason(reason: r.optionalText(0), contacts: r.int64(1)))
        }
        return reasons
    }

    /// Contacts with a hard bounce and with a soft bounce in `scope`.
    public func bouncedContacts(_ scope: StatsScope) throws -> (hard: Int64, soft: Int64) {
        var hard: Int64 = 0, soft: Int64 = 0
        try database.query("""
            SELECT count(DISTINCT CASE WHEN bounce = 'hard' THEN contact_id END),
                   count(DISTINCT CASE WHEN bounce = 'soft' THEN contact_id END)
            FROM events WHERE campaign_id = ?1 AND kind = 4\(scope.messageFilter)
            """, scope.parameters) { r in
            hard = r.int64(0)
            soft = r.int64(1)
        }
        return (hard, soft)
    }

    /// The clicks in `scope` on each link of the campaign, links with no click left out,
    /// in the order the database groups them, with no `share`.
    public func linkClicks(_ scope: StatsScope) throws -> [LinkClicks] {
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
        try database.query(sql, scope.parameters) { r in
            links.append(LinkClicks(url: r.text(0), footer: r.int64(1) != 0, clicks: r.int64(2), clickers: r.int64(3), share: nil))
        }
        return links
    }

    /// The clicks in `scope` imported without a URL (on no known link), as one
    /// non-footer link with no URL; nil when there are none.
    public func clicksWithoutLink(_ scope: StatsScope) throws -> LinkClicks? {
        var unlinked: LinkClicks?
        try database.query("""
            SELECT count(*), count(DISTINCT contact_id) FROM events
            WHERE campaign_id = ?1 AND kind = 6 AND link_id IS NULL\(scope.messageFilter)
            """, scope.parameters) { r in
            if r.int64(0) > 0 {
                unlinked = LinkClicks(url: nil, footer: false, clicks: r.int64(0), clickers: r.int64(1), share: nil)
            }
        }
        return unlinked
    }

    /// When message `message` of `campaign` went out: its earliest `sent` event, else
    /// its earliest event but `dropped` (an import with deliveries only); nil when it
    /// has no such event. (The campaign's `sent_at` is its first message's.)
    public func messageSendTime(campaign: Int64, message: Int64) throws -> Int64? {
        var sentAt: Int64?
        for kinds in ["kind = 1", "kind <> 2"] where sentAt == nil {
            try database.query(
                "SELECT min(ts) FROM events WHERE campaign_id = ?1 AND message = ?2 AND \(kinds)",
                [.integer(campaign), .integer(message)]
            ) { r in
                if !r.isNull(0) { sentAt = Timestamp.clamped(r.int64(0)) }
            }
        }
        return sentAt
    }

    /// The earliest and latest open of the campaign (any message), from the planner's
    /// statistics (`event_stats`); nil when it has none.
    public func openTimeSpan(ofCampaign campaign: Int64) throws -> (first: Int64, last: Int64)? {
        var range: (Int64, Int64)?
        try database.query("SELECT min_ts, max_ts FROM event_stats WHERE campaign_id = ?1 AND kind = 5", [.integer(campaign)]) { r in
            if !r.isNull(0), !r.isNull(1) { range = (Timestamp.clamped(r.int64(0)), Timestamp.clamped(r.int64(1))) }
        }
        return range
    }

    /// Hands `body` the time of every open in `scope` (with `firstOpensOnly`, each
    /// contact's first), streamed in no particular order.
    ///
    /// The open times are read through `events_by_campaign` (campaign, kind, contact)
    /// with a lookup of each row for `ts`: the events of a campaign were imported
    /// together, so those lookups walk the table nearly in order. (Probing the covering
    /// `events_by_contact` once per opener was measured slower: its entries for one
    /// campaign are spread over the whole index.) With first opens only, GROUP BY
    /// contact_id follows the index order: no temporary B-tree. The caller buckets them
    /// (a GROUP BY on the local hour in SQL would sort every open in a temporary B-tree).
    public func streamOpenTimes(_ scope: StatsScope, firstOpensOnly: Bool, _ body: (Int64) throws -> Void) throws {
        let opens = firstOpensOnly
            ? "SELECT min(ts) FROM events WHERE campaign_id = ?1 AND kind = 5\(scope.messageFilter) GROUP BY contact_id"
            : "SELECT ts FROM events WHERE campaign_id = ?1 AND kind = 5\(scope.messageFilter)"
        try database.stream(opens, scope.parameters) { r in try body(Timestamp.clamped(r.int64(0))) }
    }
}
