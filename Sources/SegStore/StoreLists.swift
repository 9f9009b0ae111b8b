// Saved lists' rows: a list (`lists`) and its frozen members (`list_members`), and the
// campaigns whose recipients a list holds. The session works out the members (the set
// engine's ids, or one compiled statement); the store writes them.

import SegQL

extension Store {
    /// Adds the list `name`, saved from `query` at `savedAt`, with how many suppressed
    /// contacts it left out; returns its id. Run inside `writing`.
    public func createList(
        _ name: String, query: String, savedAt: Int64, includingSuppressed: Bool, suppressedLeftOut: Int64
    ) throws -> Int64 {
        try database.execute(
            "INSERT INTO lists(name, query, saved_at, including_suppressed, suppressed_left_out) VALUES (?1, ?2, ?3, ?4, ?5)",
            [.text(name), .text(query), .integer(savedAt), .integer(includingSuppressed ? 1 : 0), .integer(suppressedLeftOut)])
        return try database.lastInsertRowID
    }

    /// Adds the contacts `members` selects (one `contact_id` column) to list `listID`, in
    /// one INSERT … SELECT; returns how many.
    public func addListMembers(_ listID: Int64, selecting members: CompiledSQL) throws -> Int64 {
        // The list id is the last parameter, after the query's own.
        let n = members.parameters.count + 1
        try database.execute(
            "INSERT INTO list_members(list_id, contact_id) SELECT ?\(n), contact_id FROM (\(members.sql)) m",
            members.parameters + [.integer(listID)])
        return Int64(database.changes)
    }

    /// Adds the contacts `ids` to list `listID`, 10,000 ids a statement.
    public func addListMembers(_ listID: Int64, ids: [Int64]) throws {
        let dialect = database.dialect
        let insert = "INSERT INTO list_members(list_id, contact_id) SELECT \(dialect.placeholder(1)), c.id FROM contacts c WHERE "
            + dialect.idListMembership("c.id", dialect.placeholder(2))
        for chunk in ids.idChunks() { try database.execute(insert, [.integer(listID), dialect.idListValue(chunk)]) }
    }

    /// The id of the list `name`, or nil.
    public func listID(named name: String) throws -> Int64? {
        try database.int64("SELECT id FROM lists WHERE name = ?1", [.text(name)])
    }

    /// The campaigns whose recipients the list `name` holds (`audience_list_id`).
    public func campaignsSending(toList name: String) throws -> [String] {
        var campaigns: [String] = []
        try database.query(
            "SELECT c.name FROM campaigns c JOIN lists l ON l.id = c.audience_list_id WHERE l.name = ?1",
            [.text(name)]) { campaigns.append($0.text(0)) }
        return campaigns
    }
}
