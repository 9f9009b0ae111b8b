// The membership history of saved segments (schema version 5, docs/schema.md).
//
// Whatever evaluates a saved segment records it here, in the transaction of the change
// that made the evaluation: `save segment` (the saved segment and every segment that
// uses it) and every import that writes (all segments; Importer.run, after the views).
// An evaluation reads the segment's members with `now` fixed at its moment: through
// `Members`, which segq's statements and `segq import` give (the session's set engine,
// as `count` evaluates), or else as one statement, the segment's saved text compiled as
// its view is, by the store's `segmentCompiler` (an N-of-M segment is then a window function over every send: 14 s
// instead of 2.5 s on the 100k-contact demo store). It compares the members with those of
// the segment's previous evaluation (`segment_members`): it writes one size row to
// `segment_evaluations`, one row to `segment_changes` per contact who joined or left,
// and brings `segment_members` up to date. A contact who stays costs nothing, so a
// history is as large as its changes, and its size over time is one index range.

import SegQL

/// Recording and reading saved segments' membership history.
public enum SegmentHistory {
    /// What made an evaluation.
    public enum Cause: String, Sendable {
        /// `save segment` of the segment, or of one it uses.
        case save
        /// `save or replace segment` of an existing segment, or of one it uses.
        case replace
        /// An import that wrote to the store.
        case `import`
    }

    /// The members of the saved segment named, evaluated with now at the moment given,
    /// in any order; nil when its text no longer compiles.
    public typealias Members = (_ segment: String, _ at: Int64) throws -> [Int64]?

    /// One recorded evaluation of a segment.
    public struct Evaluation: Hashable, Sendable {
        /// Its id: evaluations are numbered in the order they were made.
        public var id: Int64
        /// When, in Unix seconds.
        public var at: Int64
        /// What made it.
        public var cause: String
        /// The segment's size after it.
        public var members: Int64
        /// How many contacts joined and left in it.
        public var joins: Int64, leaves: Int64
    }

    /// Evaluates the saved segments `names` (every segment when nil), in the order they
    /// were saved, at the moment `at`, with `members` (nil: each as one statement), and
    /// records each evaluation; returns the sizes recorded, by segment. A segment whose
    /// text no longer compiles is skipped (its view says why). Run inside the
    /// transaction that made the change.
    @discardableResult
    public static func record(
        _ names: Set<String>?, cause: Cause, at: Int64, in store: Store, members: Members? = nil
    ) throws -> [String: Int64] {
        let db = store.database
        var segments: [(id: Int64, name: String)] = []
        try db.query("SELECT id, name FROM segments ORDER BY id") { row in
            if names?.contains(row.text(1)) ?? true { segments.append((row.int64(0), row.text(1))) }
        }
        var sizes: [String: Int64] = [:]
        guard !segments.isEmpty else { return sizes }
        let catalog = try store.catalog()
        let compile = members == nil ? try store.requireSegmentCompiler() : nil
        for segment in segments {
            var now: [Int64]
            if let members {
                guard let ids = try members(segment.name, at) else { continue }
                now = ids
            } else {
                guard let compile, case .success(let sql) = compile(segment.name, catalog, db.dialect, .fixed(at), .contactIDs, false)
                else { continue }
                now = []
                try db.query(sql.sql, sql.parameters) { now.append($0.int64(0)) }
            }
            now.sort()
            sizes[segment.name] = Int64(now.count)
            var before = Set<Int64>()
            try db.query("SELECT contact_id FROM segment_members WHERE segment_id = ?1", [.integer(segment.id)]) {
                before.insert($0.int64(0))
            }
            let joined = now.filter { !before.contains($0) }
            let kept = Set(now)
            let left = before.filter { !kept.contains($0) }.sorted()
            try db.execute(
                """
                INSERT INTO segment_evaluations(segment_id, evaluated_at, cause, members, joins, leaves)
                VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                """,
                [.integer(segment.id), .integer(at), .text(cause.rawValue), .integer(Int64(now.count)),
                 .integer(Int64(joined.count)), .integer(Int64(left.count))])
            let evaluation = try db.lastInsertRowID
            let dialect = db.dialect
            let list = dialect.idListMembership("c.id", dialect.placeholder(2))
            for (ids, flag) in [(joined, 1), (left, 0)] {
                for chunk in ids.idChunks() {
                    try db.execute(
                        "INSERT INTO segment_changes(evaluation_id, contact_id, joined) SELECT \(dialect.placeholder(1)), c.id, \(flag) FROM contacts c WHERE " + list,
                        [.integer(evaluation), dialect.idListValue(chunk)])
                }
            }
            for chunk in joined.idChunks() {
                try db.execute(
                    "INSERT INTO segment_members(segment_id, contact_id) SELECT \(dialect.placeholder(1)), c.id FROM contacts c WHERE " + list,
                    [.integer(segment.id), dialect.idListValue(chunk)])
            }
            for chunk in left.idChunks() {
                try db.execute(
                    "DELETE FROM segment_members WHERE segment_id = \(dialect.placeholder(1)) AND "
                        + dialect.idListMembership("contact_id", dialect.placeholder(2)),
                    [.integer(segment.id), dialect.idListValue(chunk)])
            }
        }
        return sizes
    }

    /// The segment `name` and every saved segment that uses it, directly or through
    /// others (`segment_dependencies`): what saving `name` changes.
    public static func withDependents(of name: String, in store: Store) throws -> Set<String> {
        var uses: [String: [String]] = [:]  // a segment → the segments that use it
        try store.database.query(
            "SELECT d.name, s.name FROM segment_dependencies d JOIN segments s ON s.id = d.segment_id WHERE d.kind = 'segment'"
        ) { uses[$0.text(0), default: []].append($0.text(1)) }
        var found: Set<String> = [name]
        var queue = [name]
        while let next = queue.popLast() {
            for user in uses[next] ?? [] where found.insert(user).inserted { queue.append(user) }
        }
        return found
    }

    /// The recorded evaluations of the segment `name` (id, in order), or nil when
    /// there is no saved segment of that name.
    public static func evaluations(of name: String, in store: Store) throws -> [Evaluation]? {
        let db = store.database
        guard let id = try db.int64("SELECT id FROM segments WHERE name = ?1", [.text(name)]) else { return nil }
        var result: [Evaluation] = []
        try db.query(
            """
            SELECT id, evaluated_at, cause, members, joins, leaves FROM segment_evaluations
            WHERE segment_id = ?1 ORDER BY evaluated_at, id
            """, [.integer(id)]) { row in
            result.append(Evaluation(id: row.int64(0), at: row.int64(1), cause: row.text(2), members: row.int64(3),
                                     joins: row.int64(4), leaves: row.int64(5)))
        }
        return result
    }

    /// The members of the segment `name` as recorded at each of `moments`: for each,
    /// every contact whose last recorded change at or before it is a join, in id order;
    /// nil for a moment before the segment's first recorded evaluation.
    public static func members(of name: String, at moments: [Int64], in store: Store) throws -> [[Int64]?] {
        let db = store.database
        guard let id = try db.int64("SELECT id FROM segments WHERE name = ?1", [.text(name)]),
              let latest = moments.max() else { return moments.map { _ in nil } }
        let first = try db.int64("SELECT min(evaluated_at) FROM segment_evaluations WHERE segment_id = ?1", [.integer(id)])
        // The changes up to the latest moment, replayed in the order they were made.
        var changes: [(at: Int64, contact: Int64, joined: Bool)] = []
        try db.query(
            """
            SELECT e.evaluated_at, c.contact_id, c.joined FROM segment_evaluations e
            JOIN segment_changes c ON c.evaluation_id = e.id
            WHERE e.segment_id = ?1 AND e.evaluated_at <= ?2 ORDER BY e.evaluated_at, e.id
            """, [.integer(id), .integer(latest)]) { changes.append(($0.int64(0), $0.int64(1), $0.int64(2) == 1)) }
        return moments.map { moment in
            guard let first, first <= moment else { return nil }
            var members = Set<Int64>()
            for change in changes where change.at <= moment {
                if change.joined { members.insert(change.contact) } else { members.remove(change.contact) }
            }
            return members.sorted()
        }
    }
}

extension Array where Element == Int64 {
    /// The ids in runs of at most `size`, each bound as one list value (a JSON array on
    /// SQLite, a bigint[] on PostgreSQL).
    public func idChunks(_ size: Int = 10_000) -> [[Int64]] {
        stride(from: 0, to: count, by: size).map { Array(self[$0..<Swift.min($0 + size, count)]) }
    }
}
