// The reads behind `.campaigns` beside each campaign's `CampaignHeadline`
// (StoreCampaignStats.swift): the campaigns in the order it lists them, a draft
// duplicate's frozen list (which `stats` shows too) and a sent sequence's messages.

import SegQL

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

/// One message of a sequence, as `.campaigns` lists it.
public struct CampaignMessage: Sendable, Equatable {
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

extension Store {
    /// A draft duplicate's frozen list and its size: only for a campaign with no send time
    /// and an audience list (`campaigns.audience_list_id`, set by `duplicate campaign`).
    /// One count of the list's members through their primary key, a statement of its
    /// own (Citus refuses a subquery on `list_members` correlated with the reference
    /// tables `campaigns` and `lists`).
    public func plannedAudience(ofCampaign campaign: Int64) throws -> PlannedAudience? {
        var list: (id: Int64, name: String)?
        try database.query("""
            SELECT l.id, l.name FROM campaigns c JOIN lists l ON l.id = c.audience_list_id
            WHERE c.id = ?1 AND c.sent_at IS NULL
            """, [.integer(campaign)]) { r in
            list = (r.int64(0), r.text(1))
        }
        guard let list else { return nil }
        let members = try database.int64("SELECT count(*) FROM list_members WHERE list_id = ?1", [.integer(list.id)]) ?? 0
        return PlannedAudience(list: list.name, contacts: members)
    }

    /// Every campaign, oldest first (by send time, a draft by its creation), then by id;
    /// a channel the store does not know reads as e-mail, send times are clamped.
    public func campaignsBySendTime() throws -> [Catalog.Campaign] {
        var campaigns: [Catalog.Campaign] = []
        try database.query("SELECT id, name, channel, sent_at, messages FROM campaigns ORDER BY coalesce(sent_at, created_at), id") { r in
            campaigns.append(Catalog.Campaign(
                id: r.int64(0), name: r.text(1), channel: SegQL.Channel(rawValue: r.text(2)) ?? .email,
                sentAt: r.optionalInt64(3).map(Timestamp.clamped), messages: r.int64(4)))
        }
        return campaigns
    }

    /// The highest contact id, 0 for a store without contacts: the size of a `ContactSet`
    /// that can hold any of them.
    public func maxContactID() throws -> Int64 {
        try database.int64("SELECT max(id) FROM contacts") ?? 0
    }

    /// The messages 1…`count` of a campaign, each with its own send time and contacts sent
    /// (`maxContact`: `maxContactID()`).
    ///
    /// No rollup knows messages, so this reads the campaign's `sent` events once, from
    /// the covering `events_by_campaign (campaign_id, kind, ts, contact_id, …, message)`,
    /// and keeps per message the earliest time and the contacts as a `ContactSet` (a
    /// bitmap: `count(DISTINCT contact_id) … GROUP BY message` sorts every send in two
    /// temporary B-trees, several times slower). Only when a message has no `sent` event
    /// (an import with deliveries only, or a message not sent yet) are the campaign's
    /// other events but drops read, in a second pass, for those messages alone.
    public func messageSends(campaign: Int64, count: Int64, maxContact: Int64) throws -> [CampaignMessage] {
        // Indexed by message number (`campaigns.messages` is at least the highest one);
        // a set is made for a message only when one of its events is read.
        let n = Int(max(count, 1))
        var first = [Int64?](repeating: nil, count: n + 1)
        var contacts = [ContactSet?](repeating: nil, count: n + 1)
        func pass(_ sql: String, keeping keep: [Bool]) throws {
            try database.stream(sql, [.integer(campaign)]) { r in
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
            CampaignMessage(message: Int64(m), sentAt: first[m], sent: Int64(contacts[m]?.count ?? 0))
        }
    }
}
