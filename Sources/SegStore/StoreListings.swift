// The rows behind the REPL's listings (`.links`, `.segments`, `.lists`): what is saved
// and imported, as the store keeps it. The session shapes them into tables.

import SegQL

/// A campaign's link, with how many events refer to it (`.links`).
public struct StoredLink: Hashable, Sendable {
    public var campaign: String, url: String, path: String
    /// Whether it is a footer link (unsubscribe, preferences, view online).
    public var footer: Bool
    /// The events that refer to it (its clicks).
    public var events: Int64
}

/// A saved segment's row (`.segments`).
public struct SavedSegment: Hashable, Sendable {
    public var name: String, query: String
    /// When it was saved, in Unix seconds.
    public var savedAt: Int64
}

/// A saved list's row and its size (`.lists`).
public struct SavedList: Hashable, Sendable {
    public var name: String, query: String
    /// When it was saved, in Unix seconds.
    public var savedAt: Int64
    /// Its frozen members.
    public var size: Int64
}

extension Store {
    /// The links of campaign `campaignID` (of every campaign when nil), by campaign and
    /// link id.
    public func links(ofCampaign campaignID: Int64?) throws -> [StoredLink] {
        var links: [StoredLink] = []
        try database.query("""
            SELECT c.name, l.url, l.path, l.footer,
                   (SELECT count(*) FROM events e WHERE e.link_id = l.id)
            FROM links l JOIN campaigns c ON c.id = l.campaign_id
            WHERE ?1 IS NULL OR l.campaign_id = ?1
            ORDER BY c.id, l.id
            """, [campaignID.map(SQLValue.integer) ?? .null]) { row in
            links.append(StoredLink(campaign: row.text(0), url: row.text(1), path: row.text(2),
                                    footer: row.int64(3) != 0, events: row.int64(4)))
        }
        return links
    }

    /// The saved segments, by name.
    public func savedSegments() throws -> [SavedSegment] {
        var saved: [SavedSegment] = []
        try database.query("SELECT name, query, saved_at FROM segments ORDER BY name") { row in
            saved.append(SavedSegment(name: row.text(0), query: row.text(1), savedAt: row.int64(2)))
        }
        return saved
    }

    /// The saved lists and their sizes, by name.
    public func savedLists() throws -> [SavedList] {
        // Each list's size a statement of its own: Citus refuses a subquery on
        // `list_members` correlated with the reference table `lists`.
        var lists: [(id: Int64, list: SavedList)] = []
        try database.query("SELECT l.id, l.name, l.saved_at, l.query FROM lists l ORDER BY l.name") { row in
            lists.append((row.int64(0), SavedList(name: row.text(1), query: row.text(3), savedAt: row.int64(2), size: 0)))
        }
        for i in lists.indices {
            lists[i].list.size = try database.int64("SELECT count(*) FROM list_members WHERE list_id = ?1", [.integer(lists[i].id)]) ?? 0
        }
        return lists.map(\.list)
    }
}
