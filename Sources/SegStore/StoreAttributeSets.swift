// The kept sets of attribute values (schema version 8, `attribute_sets`; docs/schema.md,
// docs/planner.md § Kept sets): for every attribute of at most `AttributeSets.maxValues`
// distinct values, one row per value with the contacts that hold it, as one encoded set
// (`CampaignSetCoding`, the campaigns' kept sets' form).
//
// The bitmap engine reads a condition on such an attribute from them: the rows of the
// values that pass, selected by the condition's own SQL (`value` is the column of
// `contact_attributes`, so `t.value != ?2` tests them as it tests the contacts' rows),
// and their sets' union, instead of every index row of the values (`age != 62`: 61
// sets against 860k rows on the 1M-contact demo store). They are derived from
// `contact_attributes` alone, so they are kept wherever it changes: the import
// recomputes the attributes it wrote or deleted (every attribute after a contact merge),
// in its transaction; the rollup rebuild, the demo builder and the migration to version 8
// recompute every attribute. An attribute has the sets of all its values or none (too
// many values, or none kept): then its conditions are read from `contact_attributes`.
//
// A value is grouped with the values equal to it in Swift (`SQLValue`: same storage
// class and bytes), so each set's stored value is its members' own value exactly; two
// values the database holds equal (SQLite's integer 1 and real 1.0) are two rows that a
// condition selects together.

import SegQL

/// Writing the kept sets of attribute values.
public enum AttributeSets {
    /// An attribute with more distinct values keeps no sets: its conditions read its
    /// index range (an e-mail-like attribute would be a set per contact).
    public static let maxValues = 1_000

    /// Recomputes the kept sets of the attributes `names` (every attribute when nil)
    /// from `contact_attributes`: one read of each attribute's rows. Runs in the caller's
    /// transaction.
    static func refresh(_ db: Database, _ names: [String]?, maxValues: Int = maxValues) throws {
        var names = names ?? []
        if names.isEmpty {
            try db.query("SELECT DISTINCT name FROM attribute_sets") { names.append($0.text(0)) }
            try db.query("SELECT DISTINCT name FROM contact_attributes") { names.append($0.text(0)) }
            names = Array(Set(names)).sorted()
        }
        guard !names.isEmpty else { return }
        let maxID = try db.int64("SELECT coalesce(max(id), 0) FROM contacts") ?? 0
        // PostgreSQL keeps a value as jsonb, written from its JSON text (as the import does).
        let json = db.schemaBackend == .postgres
        struct Value: Hashable {
            var type: String
            var stored: SQLValue
        }
        for name in names {
            try db.execute("DELETE FROM attribute_sets WHERE name = ?1", [.text(name)])
            var members: [Value: [Int64]] = [:]
            var tooMany = false
            try db.stream("SELECT type, value, contact_id FROM contact_attributes WHERE name = ?1", [.text(name)]) { row in
                guard !tooMany else { return }
                let value = Value(type: row.text(0), stored: row.value(1))
                if members[value] == nil, members.count == maxValues {
                    tooMany = true
                    return
                }
                members[value, default: []].append(row.int64(2))
            }
            guard !tooMany else { continue }
            for (value, ids) in members {
                var set = ContactSet(maxID: maxID)
                for id in ids { set.insert(id) }
                var stored = value.stored
                if json {
                    guard let attribute = AttributeValue(type: value.type, stored: stored) else {
                        throw DatabaseError(.misuse, message: "attribute '\(name)' of type '\(value.type)' holds \(stored)")
                    }
                    stored = .text(attribute.jsonText)
                }
                try db.execute("INSERT INTO attribute_sets(name, type, value, contacts) VALUES (?1, ?2, ?3, ?4)",
                               [.text(name), .text(value.type), stored, .text(CampaignSetCoding.encode(set))])
            }
        }
    }
}

extension Store {
    /// Recomputes the kept sets of the attributes `names` (every attribute when nil) from
    /// `contact_attributes`, in the caller's transaction (`AttributeSets.refresh`).
    /// `maxValues`: the most values an attribute keeps sets of (tests lower it).
    public func refreshAttributeSets(_ names: [String]? = nil, maxValues: Int = AttributeSets.maxValues) throws {
        if let names, names.isEmpty { return }
        // On Citus a reference table is written after reading distributed ones.
        if database.isInTransaction { try writeShardsSequentially() }
        try AttributeSets.refresh(database, names, maxValues: maxValues)
    }

    /// The union of the sets `sets` selects (rows of `attribute_sets.contacts` of the
    /// attribute `name`), and how many were read; nil when the attribute keeps no sets
    /// or one is not an encoded set (the leaf is then read from `contact_attributes`).
    public func attributeSetsUnion(name: String, _ sets: CompiledSQL, maxID: Int64) throws -> (set: ContactSet, sets: Int)? {
        guard try database.int64("SELECT 1 FROM attribute_sets WHERE name = ?1 LIMIT 1", [.text(name)]) != nil else { return nil }
        var out = ContactSet(maxID: maxID)
        var read = 0
        var valid = true
        try database.query(sets.sql, sets.parameters) { row in
            guard valid else { return }
            valid = !row.isNull(0) && CampaignSetCoding.decode(row.text(0), into: &out)
            read += 1
        }
        return valid ? (out, read) : nil
    }
}
