// What the REPL's dot-commands list: campaigns, links, segments, lists and the schema.
// Each listing is a small table (`Listing`) read from the store, written through the
// session's output so that `.mode csv` applies to it as to query results.

import Foundation
import SegQL
import SegStore

/// A small table of facts about the store.
public struct Listing {
    public var columns: [String]
    public var rows: [[SQLValue]]

    public init(columns: [String], rows: [[SQLValue]] = []) {
        self.columns = columns
        self.rows = rows
    }
}

extension Session {
    /// Writes a listing to the output, like query results.
    public func write(_ listing: Listing) {
        output.beginRows(columns: listing.columns)
        for row in listing.rows { output.row(row) }
        output.endRows()
    }

    /// The campaigns, oldest first (`.campaigns`): name, channel, send date (in the
    /// session's zone, or `draft`), contacts sent, the planned audience of a draft
    /// duplicate, open rate and click rate, as `stats` computes them. A sent sequence
    /// (more than one message) is followed by one row per message: its number, its own
    /// send time and the contacts it was sent to.
    public func campaignListing() throws -> Listing {
        var listing = Listing(columns: ["campaign", "message", "channel", "sent_at", "sent", "planned", "open_rate", "click_rate"])
        // The same figures `stats` gives (CampaignOverview reads them from the statistics
        // kept by import). Rates are percentages; none for SMS opens or without deliveries.
        func percent(_ r: Double?) -> SQLValue {
            guard let r else { return .null }
            return .text(String(format1: r * 100) + "%")
        }
        for c in try campaignOverview() {
            listing.rows.append([
                .text(c.name), .null, .text(c.channel.rawValue), c.sentAt.map { .text(date($0)) } ?? .text("draft"),
                .integer(c.sent), c.planned.map(SQLValue.integer) ?? .null, percent(c.openRate), percent(c.clickRate),
            ])
            for m in c.messages {
                listing.rows.append([
                    .text(c.name), .integer(m.message), .text(c.channel.rawValue), m.sentAt.map { .text(dateTime($0)) } ?? .text("not sent"),
                    .integer(m.sent), .null, .null, .null,
                ])
            }
        }
        return listing
    }

    /// The tracked links, of one campaign or all: campaign, path, whether it is a
    /// footer link, its clicks (events) and the URL, last because it is long
    /// (`.links [CAMPAIGN]`).
    public func linkListing(campaign: String?) throws -> Listing {
        var listing = Listing(columns: ["campaign", "path", "footer", "clicks", "url"])
        let catalog = try loadCatalog()
        var campaignID: Int64?
        if let campaign {
            guard let c = catalog.campaigns.first(where: { $0.name == campaign }) else {
                let near = Suggestions.nearest(to: campaign, among: catalog.campaigns.map(\.name))
                throw SessionError.unknownCampaign(campaign, suggestion: near)
            }
            campaignID = c.id
        }
        for link in try runtime({ try store.links(ofCampaign: campaignID) }) {
            listing.rows.append([
                .text(link.campaign), .text(link.path), .text(link.footer ? "yes" : "no"), .integer(link.events), .text(link.url),
            ])
        }
        return listing
    }

    /// Saved segments: name, members now (each evaluated), when saved, and the query
    /// (`.segments`).
    public func segmentListing() throws -> Listing {
        let saved = try runtime { try store.savedSegments() }
        var listing = Listing(columns: ["segment", "members", "saved_at", "query"])
        let file = SourceFile(name: "<segments>", text: "")
        for s in saved {
            let reference = Query(.segment(Name(text: s.name, quoted: true, range: .at(0))), range: .at(0))
            let members: SQLValue
            do {
                members = .integer(try count(try compile(reference, projection: .count, in: file)))
            } catch let e as SessionError where e.isInterrupt {
                throw e
            } catch {
                members = .text("error")  // a segment that no longer binds (its campaign was renamed…)
            }
            listing.rows.append([.text(s.name), members, .text(dateTime(s.savedAt)), .text(s.query)])
        }
        return listing
    }

    /// Saved lists: name, frozen size, when saved, and the query they were saved from
    /// (`.lists`).
    public func listListing() throws -> Listing {
        var listing = Listing(columns: ["list", "size", "saved_at", "query"])
        for l in try runtime({ try store.savedLists() }) {
            listing.rows.append([.text(l.name), .integer(l.size), .text(dateTime(l.savedAt)), .text(l.query)])
        }
        return listing
    }

    /// The store's tables, indexes and views as SQL, as sqlite3's `.schema` prints them
    /// (on PostgreSQL, rebuilt from its catalog: columns, indexes, view definitions).
    public func schemaText() throws -> String {
        try runtime { try store.database.schemaText() }
    }

    /// `2026-03-01`, in the session's zone (`timeZone`).
    func date(_ t: Int64) -> String { String(TimeZone.named(timeZone).wallClock(t).prefix(10)) }

    /// `2026-03-01 09:00`, in the session's zone (`timeZone`).
    func dateTime(_ t: Int64) -> String { String(TimeZone.named(timeZone).wallClock(t).prefix(16)) }
}
