// The statements an import runs per record, prepared once, the rows it buffers for
// them, and small utilities.

import SegQL

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension Importer {
    /// Runs a bound INSERT of `Statements` and returns the new row's id. On PostgreSQL the
    /// statement says `RETURNING id` (one round trip, where asking `lastval()` afterwards
    /// would be a second); on SQLite it does not (RETURNING makes SQLite build a temporary
    /// table per row) and the connection's last rowid is the id.
    func insertedID(_ insert: PreparedStatement) throws -> Int64 {
        if !db.returnsInsertedIDs {
            try insert.run()
            return try db.lastInsertRowID
        }
        defer { insert.reset() }
        guard try insert.step() else {
            throw DatabaseError(code: DatabaseError.misuse, message: "INSERT … RETURNING returned no row", sql: insert.sql)
        }
        return insert.int64(0)
    }
}

/// The statements an import runs per record, prepared once.
final class Statements {
    let findExternalID, contactByEmail, contactByPhone, insertContact, contactIdentity, updateContact: PreparedStatement
    let deleteAttribute: PreparedStatement
    let campaignByName, insertCampaign, updateCampaign: PreparedStatement
    let linkByURL, insertLink, updateLinkFooter: PreparedStatement
    let insertEvent, insertEvents: PreparedStatement
    let upsertActivity, upsertContactActivity, upsertAttributes: BatchInsert
    /// Rows per multi-row event INSERT.
    static let batch = 64
    /// Events buffered before they are written: one multi-row INSERT on SQLite, one
    /// COPY on PostgreSQL.
    let eventBatch: Int

    init(_ db: Database) throws {
        func p(_ sql: String) throws -> PreparedStatement { try db.prepare(sql, persistent: true) }
        // With a bulk loader, events go by one COPY per 20,000.
        eventBatch = db.bulkLoader != nil ? 20_000 : Statements.batch
        findExternalID = try p("SELECT 1 FROM events WHERE external_id = ?1")
        contactByEmail = try p("SELECT id FROM contacts WHERE email = ?1")
        contactByPhone = try p("SELECT id FROM contacts WHERE phone = ?1")
        // RETURNING on PostgreSQL only: see `Importer.insertedID`.
        let returning = db.returnsInsertedIDs ? " RETURNING id" : ""
        insertContact = try p("INSERT INTO contacts(email, phone, first_name, last_name, created_at) VALUES (?1, ?2, ?3, ?4, ?5)" + returning)
        contactIdentity = try p("SELECT email, phone FROM contacts WHERE id = ?1")
        updateContact = try p("""
            UPDATE contacts SET email = coalesce(?2, email), phone = coalesce(?3, phone),
                first_name = coalesce(?4, first_name), last_name = coalesce(?5, last_name),
                created_at = coalesce(?6, created_at)
            WHERE id = ?1
            """)
        deleteAttribute = try p("DELETE FROM contact_attributes WHERE contact_id = ?1 AND name = ?2")
        campaignByName = try p("SELECT id FROM campaigns WHERE name = ?1")
        insertCampaign = try p("INSERT INTO campaigns(name, created_at) VALUES (?1, ?2)" + returning)
        updateCampaign = try p("""
            UPDATE campaigns SET channel = coalesce(?2, channel), subject = coalesce(?3, subject),
                messages = coalesce(?4, messages), sent_at = coalesce(?5, sent_at),
                sent_at_declared = CASE WHEN ?5 IS NULL THEN sent_at_declared ELSE 1 END,
                status = CASE WHEN ?5 IS NULL THEN status ELSE 'sent' END
            WHERE id = ?1
            """)
        linkByURL = try p("SELECT id, footer FROM links WHERE campaign_id = ?1 AND url = ?2")
        insertLink = try p("INSERT INTO links(campaign_id, url, path, footer) VALUES (?1, ?2, ?3, ?4)" + returning)
        updateLinkFooter = try p("UPDATE links SET footer = ?1 WHERE id = ?2")
        let insert = "INSERT INTO events(kind, contact_id, campaign_id, message, ts, link_id, bounce, reason, machine, external_id) VALUES "
        let row = "(" + Array(repeating: "?", count: PendingEvent.columns).joined(separator: ", ") + ")"
        insertEvent = try p(insert + row)
        insertEvents = try p(insert + Array(repeating: row, count: Statements.batch).joined(separator: ", "))
        upsertAttributes = try BatchInsert(
            db, "INSERT INTO contact_attributes(contact_id, name, type, value) VALUES", columns: 4,
            tail: "ON CONFLICT(contact_id, name) DO UPDATE SET type = excluded.type, value = excluded.value")
        let columns = ActivityDelta.columns.joined(separator: ", ")
        upsertActivity = try BatchInsert(
            db, "INSERT INTO activity(campaign_id, contact_id, \(columns)) VALUES", columns: 17,
            tail: ActivityDelta.upsertClause(table: "activity", conflict: "campaign_id, contact_id"))
        upsertContactActivity = try BatchInsert(
            db, "INSERT INTO contact_activity(contact_id, \(columns)) VALUES", columns: 16,
            tail: ActivityDelta.upsertClause(table: "contact_activity", conflict: "contact_id"))
    }
}

/// An event checked and resolved, waiting for the next multi-row INSERT.
struct PendingEvent {
    static let columns = 10
    static let columnNames = ["kind", "contact_id", "campaign_id", "message", "ts", "link_id", "bounce", "reason", "machine", "external_id"]
    var kind: EventKind
    var contact: Int64
    var campaign: Int64
    var message: Int64
    var ts: Int64
    var link: Int64?
    var bounce: String?
    var reason: String?
    var machine: Bool
    var id: String?

    /// Binds the 10 columns to parameters `base + 1` … `base + 10`.
    @inline(__always)
    func bind(to st: PreparedStatement, at base: Int32) throws {
        try st.bind(Int64(kind.rawValue), at: base + 1)
        try st.bind(contact, at: base + 2)
        try st.bind(campaign, at: base + 3)
        try st.bind(message, at: base + 4)
        try st.bind(ts, at: base + 5)
        try st.bind(link, at: base + 6)
        try st.bind(bounce, at: base + 7)
        try st.bind(reason, at: base + 8)
        try st.bind(Int64(machine ? 1 : 0), at: base + 9)
        try st.bind(id, at: base + 10)
    }
}

extension PendingEvent {
    /// The 10 columns as one row of a COPY.
    func write(to w: inout CopyWriter) throws {
        w.int(Int64(kind.rawValue))
        w.int(contact)
        w.int(campaign)
        w.int(message)
        w.int(ts)
        w.int(link)
        w.text(bounce)
        w.text(reason)
        w.int(Int64(machine ? 1 : 0))
        w.text(id)
        try w.endRow()
    }
}

/// `name` as a double-quoted SQL identifier.
func quoteIdentifier(_ name: String) -> String {
    var out = "\""
    for ch in name.unicodeScalars {
        if ch == "\"" { out += "\"\"" } else { out.unicodeScalars.append(ch) }
    }
    return out + "\""
}

/// Seconds on a monotonic clock.
func monotonicSeconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}
