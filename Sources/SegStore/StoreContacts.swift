// What the session reads about contacts it already has the ids of: why they are
// suppressed, and how to name them. Read by id through `events_by_contact` and the
// primary key, so that `show … limit 10` reads ten contacts' rows.

import SegQL

extension Store {
    /// The suppression reasons that hold for each of `ids` that has one, by id:
    /// "unsubscribed", "complained" and "hard-bounced" (as `Binder.suppressionReasons`
    /// names them), read 10,000 ids a statement.
    public func suppressionReasons(ofContacts ids: [Int64]) throws -> [Int64: Set<String>] {
        let db = database
        let member = db.dialect.idListMembership("contact_id", db.dialect.placeholder(1))
        let sql = """
            SELECT contact_id, kind, bounce FROM events
            WHERE \(member) AND kind IN (\(EventKind.bounced.rawValue), \(EventKind.unsubscribed.rawValue), \(EventKind.complained.rawValue))
            """
        var found: [Int64: Set<String>] = [:]
        for chunk in ids.idChunks() {
            try db.query(sql, [db.dialect.idListValue(chunk)]) { r in
                let reason: String? = switch EventKind(rawValue: Int(r.int64(1))) {
                case .unsubscribed: "unsubscribed"
                case .complained: "complained"
                case .bounced: r.isNull(2) || r.text(2) != "hard" ? nil : "hard-bounced"
                default: nil
                }
                if let reason { found[r.int64(0), default: []].insert(reason) }
            }
        }
        return found
    }

    /// The e-mail address, or else the phone number, of each of `ids` that has one.
    public func contactAddresses(_ ids: [Int64]) throws -> [Int64: String] {
        let db = database
        var who: [Int64: String] = [:]
        try db.query("SELECT id, coalesce(email, phone) FROM contacts WHERE \(db.dialect.idListMembership("id", db.dialect.placeholder(1)))",
                     [db.dialect.idListValue(ids)]) { r in if !r.isNull(1) { who[r.int64(0)] = r.text(1) } }
        return who
    }

    /// Every reason stored on a dropped or bounced event, in order.
    public func storedEventReasons() throws -> [String] {
        var stored: [String] = []
        try database.query(
            "SELECT DISTINCT reason FROM events WHERE kind IN (2, 4) AND reason IS NOT NULL ORDER BY 1") { stored.append($0.text(0)) }
        return stored
    }
}
