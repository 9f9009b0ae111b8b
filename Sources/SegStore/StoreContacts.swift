// What the session reads about contacts it already has the ids of, or a key of: why
// they are suppressed, how to name them, the columns `show … columns` adds, and a
// contact's card. Read by id through the primary keys and `events_by_contact`, so that
// `show … limit 10` reads ten contacts' rows.

import SegQL

/// A contact's row (`contact`).
public struct StoredContact: Hashable, Sendable {
    public var id: Int64
    public var email: String?, phone: String?, firstName: String?, lastName: String?
    /// When it was created, in Unix seconds, if known.
    public var createdAt: Int64?
}

/// One of a contact's events, with its campaign's name and its link's URL (`contact`).
public struct StoredEvent: Hashable, Sendable {
    public var ts: Int64
    public var campaign: String
    public var message: Int64
    public var kind: EventKind
    public var url: String?, bounce: String?, reason: String?
    public var machine: Bool
}

/// A custom attribute as stored: its type and its value (text for strings, on both
/// backends).
public struct StoredAttribute: Hashable, Sendable {
    public var contact: Int64
    public var name: String, type: String
    public var value: SQLValue
}

/// How `contact` names the contact it shows.
public enum ContactLookup: Sendable {
    case id(Int64), email(String), phone(String)
}

extension Store {
    /// How many contacts the store holds (a `not` at the top of a count is this less
    /// the size of what it negates).
    public func contactTotal() throws -> Int64 {
        try database.int64("SELECT count(*) FROM contacts") ?? 0
    }

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

    /// The contact `lookup` names, or nil.
    public func contact(_ lookup: ContactLookup) throws -> StoredContact? {
        let (condition, param): (String, SQLValue) = switch lookup {
        case .id(let n): ("id = ?1", .integer(n))
        case .email(let e): ("email = ?1", .text(e))
        case .phone(let p): ("phone = ?1", .text(p))
        }
        var found: StoredContact?
        try database.query(
            "SELECT id, email, phone, first_name, last_name, created_at FROM contacts WHERE \(condition)", [param]
        ) { row in
            found = StoredContact(
                id: row.int64(0), email: row.isNull(1) ? nil : row.text(1), phone: row.isNull(2) ? nil : row.text(2),
                firstName: row.isNull(3) ? nil : row.text(3), lastName: row.isNull(4) ? nil : row.text(4),
                createdAt: row.isNull(5) ? nil : row.int64(5))
        }
        return found
    }

    /// The custom attributes of contact `id`, by name.
    public func attributes(ofContact id: Int64) throws -> [StoredAttribute] {
        let value = database.dialect.attributeValue("value", type: "string")
        var attributes: [StoredAttribute] = []
        try database.query("SELECT name, type, \(value) FROM contact_attributes WHERE contact_id = ?1 ORDER BY name", [.integer(id)]) { row in
            attributes.append(StoredAttribute(contact: id, name: row.text(0), type: row.text(1), value: row.value(2)))
        }
        return attributes
    }

    /// The saved lists contact `id` is a member of, by name.
    public func listNames(withMember id: Int64) throws -> [String] {
        var lists: [String] = []
        try database.query(
            "SELECT l.name FROM list_members m JOIN lists l ON l.id = m.list_id WHERE m.contact_id = ?1 ORDER BY l.name",
            [.integer(id)]
        ) { row in lists.append(row.text(0)) }
        return lists
    }

    /// Every event of contact `id`, newest first.
    public func events(ofContact id: Int64) throws -> [StoredEvent] {
        var events: [StoredEvent] = []
        try database.query(
            """
            SELECT e.ts, c.name, e.message, e.kind, l.url, e.bounce, e.reason, e.machine
            FROM events e JOIN campaigns c ON c.id = e.campaign_id LEFT JOIN links l ON l.id = e.link_id
            WHERE e.contact_id = ?1 ORDER BY e.ts DESC, e.id DESC
            """, [.integer(id)]
        ) { row in
            events.append(StoredEvent(
                ts: row.int64(0), campaign: row.text(1), message: row.int64(2),
                kind: EventKind(rawValue: Int(row.int64(3))) ?? .sent, url: row.isNull(4) ? nil : row.text(4),
                bounce: row.isNull(5) ? nil : row.text(5), reason: row.isNull(6) ? nil : row.text(6),
                machine: row.int64(7) != 0))
        }
        return events
    }

    /// When each of `ids` was created (nil: not known), by id.
    public func creationTimes(ofContacts ids: [Int64]) throws -> [Int64: Int64?] {
        let dialect = database.dialect
        var created: [Int64: Int64?] = [:]
        try database.query("SELECT id, created_at FROM contacts WHERE \(dialect.idListMembership("id", dialect.placeholder(1)))",
                           [dialect.idListValue(ids)]) { r in
            created[r.int64(0)] = r.isNull(1) ? nil : r.int64(1)
        }
        return created
    }

    /// When each of `ids` that has engaged last opened and last clicked (from the
    /// `contact_activity` rollup), by id.
    public func lastEngagement(ofContacts ids: [Int64]) throws -> [Int64: (opened: Int64?, clicked: Int64?)] {
        let dialect = database.dialect
        var found: [Int64: (opened: Int64?, clicked: Int64?)] = [:]
        try database.query(
            "SELECT contact_id, last_opened, last_clicked FROM contact_activity WHERE \(dialect.idListMembership("contact_id", dialect.placeholder(1)))",
            [dialect.idListValue(ids)]
        ) { r in
            found[r.int64(0)] = (r.isNull(1) ? nil : r.int64(1), r.isNull(2) ? nil : r.int64(2))
        }
        return found
    }

    /// The attributes `names` of `ids`, in the order the database reads them.
    public func attributes(_ names: [String], ofContacts ids: [Int64]) throws -> [StoredAttribute] {
        let dialect = database.dialect
        let placeholders = names.indices.map { dialect.placeholder($0 + 2) }.joined(separator: ", ")
        let value = dialect.attributeValue("value", type: "string")
        var found: [StoredAttribute] = []
        try database.query(
            "SELECT contact_id, name, type, \(value) FROM contact_attributes WHERE \(dialect.idListMembership("contact_id", dialect.placeholder(1))) AND name IN (\(placeholders))",
            [dialect.idListValue(ids)] + names.map { SQLValue.text($0) }
        ) { r in
            found.append(StoredAttribute(contact: r.int64(0), name: r.text(1), type: r.text(2), value: r.value(3)))
        }
        return found
    }

    /// The standard field `column` (a column of `contacts`) of contact `id`; nil when
    /// it has none.
    public func field(_ column: String, ofContact id: Int64) throws -> SQLValue? {
        var value: SQLValue?
        try database.query("SELECT \(column) FROM contacts WHERE id = ?1", [.integer(id)]) { r in
            if !r.isNull(0) { value = r.value(0) }
        }
        return value
    }

    /// Contact `id`'s attribute `name` as its type reads it, or nil when it has none.
    public func typedAttribute(_ name: String, ofContact id: Int64) throws -> TypedAttribute? {
        let d = database.dialect
        let sql = "SELECT t.type, \(d.attributeValue("t.value", type: "string")), \(d.attributeValue("t.value", type: "number")), "
            + "\(d.attributeValue("t.value", type: "boolean")) FROM contact_attributes t WHERE t.contact_id = ?1 AND t.name = ?2"
        var out: TypedAttribute?
        try database.query(sql, [.integer(id), .text(name)]) { r in
            switch r.text(0) {
            case "number": out = .number(r.double(2))
            case "boolean": out = .boolean(r.int64(3) != 0)
            default: out = .string(r.text(1))
            }
        }
        return out
    }
}

/// An attribute's value read as its type (`why`).
public enum TypedAttribute: Hashable, Sendable {
    case string(String), number(Double), boolean(Bool)
}
