// Saved segments' rows: their text, view names and dependencies (`segments`,
// `segment_dependencies`), and what uses a saved segment or list. The session decides
// what to save (the text made self-contained, bound, checked); the store writes it.
// The views themselves are SegmentViews.swift, the membership history
// SegmentHistory.swift.

import SegQL

/// What a name can be saved as.
public enum SavedKind: String, Sendable {
    case segment, list

    /// The table of its rows.
    var table: String { self == .segment ? "segments" : "lists" }
}

extension Store {
    /// Runs `body` in one write transaction — all of it is stored or none — writing
    /// shards one connection per node on Citus (`writeShardsSequentially`).
    public func writing<T>(_ body: () throws -> T) throws -> T {
        try database.transaction {
            try writeShardsSequentially()
            return try body()
        }
    }

    /// Whether a segment or list of that name is saved.
    public func hasSaved(_ kind: SavedKind, named name: String) throws -> Bool {
        try database.int64("SELECT count(*) FROM \(kind.table) WHERE name = ?1", [.text(name)]) ?? 0 > 0
    }

    /// The names of the saved segments or lists, in the order the database reads them.
    public func savedNames(_ kind: SavedKind) throws -> [String] {
        var names: [String] = []
        try database.query("SELECT name FROM \(kind.table)") { names.append($0.text(0)) }
        return names
    }

    /// The saved segments that use the segment or list `name` (`segment_dependencies`),
    /// by name; a segment does not count as using itself.
    public func segmentsUsing(_ kind: SavedKind, named name: String) throws -> [String] {
        var users: [String] = []
        try database.query(
            """
            SELECT s.name FROM segment_dependencies d JOIN segments s ON s.id = d.segment_id
            WHERE d.kind = ?1 AND d.name = ?2 AND NOT (d.kind = 'segment' AND s.name = ?2) ORDER BY s.name
            """, [.text(kind.rawValue), .text(name)]) { users.append($0.text(0)) }
        return users
    }

    /// The view name of the saved segment `name`, or nil when there is none.
    public func segmentViewName(_ name: String) throws -> String? {
        try database.text("SELECT view_name FROM segments WHERE name = ?1", [.text(name)])
    }

    /// Saves (or replaces) the segment `name` with its self-contained text `query` and
    /// the names its text refers to directly (`dependencies`, each recorded once), at
    /// `savedAt`; returns its view name. The view keeps its name unless another
    /// relation has taken it; an old view of another name is dropped (the views are
    /// then written by `SegmentViews.refreshAll`). Run inside `writing`.
    public func saveSegment(
        _ name: String, query: String, dependencies: [(kind: String, name: String)], savedAt: Int64
    ) throws -> String {
        let db = database
        var taken = Set<String>()
        try db.query("SELECT view_name FROM segments WHERE name != ?1", [.text(name)]) { taken.insert($0.text(0)) }
        let oldView = try segmentViewName(name)
        // segq's own tables and indexes (and anything else in the schema) too:
        // `save segment "dependencies"` must not collide with `segment_dependencies`.
        for relation in try db.relationNames() {
            if relation != oldView { taken.insert(relation.lowercased()) }
        }
        let view = SegmentViews.viewName(for: name, taken: taken)
        if let oldView, oldView != view {
            try db.execute("DROP VIEW IF EXISTS \(db.dialect.quoteIdentifier(oldView))")
        }
        try db.execute(
            """
            INSERT INTO segments(name, query, view_name, saved_at) VALUES (?1, ?2, ?3, ?4)
            ON CONFLICT(name) DO UPDATE SET query = excluded.query, view_name = excluded.view_name, saved_at = excluded.saved_at
            """, [.text(name), .text(query), .text(view), .integer(savedAt)])
        let id = try db.int64("SELECT id FROM segments WHERE name = ?1", [.text(name)]) ?? 0
        try db.execute("DELETE FROM segment_dependencies WHERE segment_id = ?1", [.integer(id)])
        var seen = Set<String>()
        for d in dependencies where seen.insert(d.kind + "\u{0}" + d.name).inserted {
            try db.execute(
                "INSERT INTO segment_dependencies(segment_id, kind, name) VALUES (?1, ?2, ?3)",
                [.integer(id), .text(d.kind), .text(d.name)])
        }
        return view
    }

    /// Deletes the saved segment (and its view) or list `name`. Run inside `writing`.
    public func deleteSaved(_ kind: SavedKind, named name: String) throws {
        let db = database
        if kind == .segment, let view = try segmentViewName(name) {
            try db.execute("DROP VIEW IF EXISTS \(db.dialect.quoteIdentifier(view))")
        }
        try db.execute("DELETE FROM \(kind.table) WHERE name = ?1", [.text(name)])
    }
}
