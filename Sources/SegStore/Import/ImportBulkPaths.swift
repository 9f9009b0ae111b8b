// The backend-specific bulk paths of an import: how rows reach each store fast.
//
// SQLite: settings for a large write (a big page cache, no foreign-key or CHECK
// evaluation, no secure delete) made before the transaction and restored after it; past
// `bulkThreshold` new events the secondary indexes of `events` and `activity` are
// dropped inside the transaction and rebuilt at the end (one sort each instead of
// millions of random B-tree inserts); events go 64 rows per INSERT.
//
// PostgreSQL: events and new contacts go by COPY; contact ids are drawn from the
// sequence in blocks so that events can name new contacts before they are copied;
// attribute values and rollup deltas go by COPY into temporary staging tables and are
// merged by one statement each; the ids of a decoded batch already stored are found by
// one query per batch. Past the same threshold as on SQLite, the secondary indexes and
// the foreign keys of the tables an import fills are dropped and made again at the end
// (`dropForBulkLoad`, which a store copied in by `segq demo` uses too); not on Citus.

import SegQL

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The secondary indexes (and on PostgreSQL the foreign keys) dropped for a large import (see `Importer.enterBulkMode`).
struct IndexRebuild {
    /// Whether they are dropped for the rest of the run.
    var active = false
    /// New events past which they are dropped (`Importer.bulkThreshold`).
    var threshold = 0
    /// What was dropped, in the order it is made again.
    var dropped: [DroppedForBulkLoad] = []
}

/// An index or a foreign key dropped for a bulk load, and the statement that makes it again.
public struct DroppedForBulkLoad: Sendable {
    /// The index's or the constraint's name.
    public var name: String
    /// The table it belongs to.
    public var table: String
    /// Whether it is a foreign key (else an index).
    public var isForeignKey = false
    /// The statement that makes it again.
    public var create: String

    /// `index NAME` or `foreign key NAME`.
    public var label: String { isForeignKey ? "foreign key \(name)" : "index \(name)" }
}

extension PostgresDatabase {
    /// `BulkLoader.dropForBulkLoad`: an index is then one sort and a key one join,
    /// instead of a B-tree insert and a lookup per row. (Both `segq import` and a store
    /// copied in by `segq demo` do this.)
    public func dropForBulkLoad(indexesOf indexTables: [String], uniqueConstraintsOf uniqueTables: [String],
                                foreignKeysOf keyTables: [String], keeping: Set<String>) throws -> [DroppedForBulkLoad] {
        var dropped: [DroppedForBulkLoad] = [], unique: [DroppedForBulkLoad] = [], keys: [DroppedForBulkLoad] = []
        var drops: [String] = [], keyDrops: [String] = [], uniqueDrops: [String] = []
        try query("""
            SELECT i.indexname, i.indexdef, i.tablename FROM pg_indexes i
            WHERE i.schemaname = current_schema() AND i.tablename = ANY(CAST(?1 AS text[]))
              AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)
            ORDER BY i.indexname
            """, [.text(PostgresDatabase.arrayLiteral(indexTables))]) { row in
            let name = row.text(0)
            guard !keeping.contains(name) else { return }
            dropped.append(DroppedForBulkLoad(name: name, table: row.text(2), create: row.text(1)))
            drops.append("DROP INDEX \(quoteIdentifier(name))")
        }
        // Unique constraints (not primary keys) of `uniqueTables` and foreign keys of
        // `keyTables`: the keys are dropped before the unique constraints and made after
        // them, in case one refers to the other.
        try query("""
            SELECT t.relname, c.conname, pg_get_constraintdef(c.oid), CASE c.contype WHEN 'f' THEN 1 ELSE 0 END FROM pg_constraint c
            JOIN pg_class t ON t.oid = c.conrelid JOIN pg_namespace n ON n.oid = t.relnamespace
            WHERE n.nspname = current_schema()
              AND (c.contype = 'f' AND t.relname = ANY(CAST(?1 AS text[]))
                   OR c.contype = 'u' AND t.relname = ANY(CAST(?2 AS text[])))
            ORDER BY t.relname, c.conname
            """, [.text(PostgresDatabase.arrayLiteral(keyTables)), .text(PostgresDatabase.arrayLiteral(uniqueTables))]) { row in
            let table = quoteIdentifier(row.text(0)), name = quoteIdentifier(row.text(1))
            guard !keeping.contains(row.text(1)) else { return }
            let isKey = row.int64(3) != 0
            // A key added `NOT VALID` (a store copied in by `segq demo`, see
            // StoreTransfer.swift) is made again checked: PostgreSQL checks every row.
            var definition = row.text(2)
            if definition.hasSuffix(" NOT VALID") { definition.removeLast(" NOT VALID".count) }
            let object = DroppedForBulkLoad(name: row.text(1), table: row.text(0), isForeignKey: isKey,
                                            create: "ALTER TABLE \(table) ADD CONSTRAINT \(name) \(definition)")
            let drop = "ALTER TABLE \(table) DROP CONSTRAINT \(name)"
            if isKey {
                keys.append(object)
                keyDrops.append(drop)
            } else {
                unique.append(object)
                uniqueDrops.append(drop)
            }
        }
        for sql in drops + keyDrops + uniqueDrops { try execute(sql) }
        return dropped + unique + keys
    }
}

/// PostgreSQL: rows waiting for a COPY, and what the run has made for them.
struct PostgresStaging {
    /// Ids drawn from the contacts' sequence in blocks, not yet given out.
    var reservedContactIDs: ArraySlice<Int64> = []
    /// How many ids the next block draws (doubling, up to `maxReserve`).
    var reserveBlock = 16
    static let maxReserve = 65_536
    /// New contacts waiting for one COPY (see `Importer.flushContacts`).
    var newContacts: [NewContact] = []
    /// Attribute values waiting for one COPY and one merge (the last value of an
    /// attribute wins, as it would written in order).
    var stagedAttributes: [AttributeKey: (type: String, json: String)] = [:]
    /// How many batches of them went to the staging table since its last merge.
    var attributeStages = 0
    /// The staging tables this run's transaction has made (see `Importer.stage`).
    var madeStages: Set<String> = []
    /// The ids of the current batch that are already stored.
    var storedIDs: Set<String> = []
    /// Whether rollup deltas are only appended to their staging tables, to be added up
    /// and written by one plain INSERT each (`Importer.mergeStagedRollups`): while the
    /// rollup tables were empty when the run began and nothing has been merged into them.
    var appendRollups = false
    /// The rollup tables whose staging tables hold deltas not yet merged, with their keys.
    var stagedRollups: [(table: String, key: [String])] = []
    /// Whether the deltas being written are the last of the append mode
    /// (`Importer.writeRollups`): a table none of whose deltas were staged before then
    /// gets them straight by COPY (each key once: they come from a dictionary).
    var appendEnding = false
}

extension Importer {
    /// New events past which the indexes are dropped: a quarter of the events already
    /// stored, plus 20,000 (unless the options say). Never on Citus, whose distributed
    /// tables' indexes and keys live on every shard.
    func bulkThreshold() throws -> Int {
        if store.isCitus { return Int.max }
        return try options.bulkThreshold ?? Int(try db.int64("SELECT coalesce(max(id), 0) FROM events") ?? 0) / 4 + 20_000
    }

    /// Makes what `enterBulkMode` dropped again.
    func rebuildDroppedIndexes() throws {
        if loader != nil, !rebuild.dropped.isEmpty {
            // Sorts for CREATE INDEX in memory up to this size, rather than 64 MB runs merged from files.
            try db.execute("SET LOCAL maintenance_work_mem = '512MB'")
        } else if !rebuild.dropped.isEmpty {
            // For the sorts of CREATE INDEX, temporary files rather than memory: SQLite's
            // sorter then packs the keys into one growing buffer (up to cache_size, so no
            // file is written below that) instead of allocating every key separately, and
            // may use its helper threads beyond it: 6% less CPU for the rebuilds. Only
            // here: during the writes, statement journals would spill to files. (Refused
            // if the connection had temporary tables; then the sorts stay in memory.)
            try? db.execute("PRAGMA temp_store = FILE")
        }
        for object in rebuild.dropped {
            try checkCancelled()
            let t = monotonicSeconds()
            try db.execute(object.create)
            summary.phases.append(((object.isForeignKey ? "add " : "rebuild ") + object.label, monotonicSeconds() - t))
        }
    }

    /// Writes the buffered events, many rows per statement (on PostgreSQL, one COPY).
    func flushEvents(_ s: Statements) throws {
        guard !pending.isEmpty else { return }
        if let loader {
            try flushContacts()
            try loader.copy(into: "events", columns: PendingEvent.columnNames) { w in
                for e in pending { try e.write(to: &w) }
            }
            pending.removeAll(keepingCapacity: true)
            return
        }
        var start = 0
        while start < pending.count {
            let n = pending.count - start >= Statements.batch ? Statements.batch : 1
            let st = n == Statements.batch ? s.insertEvents : s.insertEvent
            for k in 0..<n {
                try pending[start + k].bind(to: st, at: Int32(k * PendingEvent.columns))
            }
            try st.run()
            start += n
        }
        pending.removeAll(keepingCapacity: true)
    }

    /// Drops the secondary indexes of `events` and `activity` for the rest of the run;
    /// `finish` recreates them. Sorting once is far cheaper than millions of random
    /// B-tree inserts. The unique index on `events.external_id` stays when the store
    /// already had ids (it answers "is this id stored?"); otherwise the run's own set of
    /// ids finds duplicates and the index is rebuilt too. All of this is inside the
    /// run's transaction, so a failed or killed import leaves the indexes as they were.
    func enterBulkMode() throws {
        rebuild.active = true
        if loader != nil { return try enterPostgresBulkMode() }
        try db.query("""
            SELECT name, sql, tbl_name FROM sqlite_master
            WHERE type = 'index' AND sql IS NOT NULL AND tbl_name IN ('events', 'activity')
            ORDER BY name
            """) { row in
            let name = row.text(0)
            if name == StoreIndex.eventsByExternalID.name && storeHadIDs { return }
            rebuild.dropped.append(DroppedForBulkLoad(name: name, table: row.text(2), create: row.text(1)))
        }
        for object in rebuild.dropped {
            try db.execute("DROP INDEX \(quoteIdentifier(object.name))")
        }
    }

    /// PostgreSQL: the same for a large import, as `segq demo` does when it copies a store
    /// in: the secondary indexes (not those behind a primary key or unique constraint)
    /// and the foreign keys of the tables an import fills — `events`, `activity`,
    /// `contact_activity`, `contact_attributes` — are dropped inside the transaction and
    /// made again at the end, each index one sort and each key one join instead of a
    /// B-tree insert and a lookup per row (the keys cost most: merging 200,000 rollup
    /// rows into `activity` took 11.7 s with its two, row by row). The unique index on
    /// `external_id` stays when the store had ids (`findStoredIDs` reads it). Until the
    /// commit the transaction holds these tables locked, so other sessions wait to read them.
    private func enterPostgresBulkMode() throws {
        guard let loader else { return }
        let tables = ["events", "activity", "contact_activity", "contact_attributes"]
        // No unique constraint: the rollups' and attributes' merges look for conflicts.
        rebuild.dropped = try loader.dropForBulkLoad(indexesOf: tables, uniqueConstraintsOf: [], foreignKeysOf: tables,
                                                     keeping: storeHadIDs ? [StoreIndex.eventsByExternalID.name] : [])
    }

    /// PostgreSQL: which event ids of a decoded batch are already stored, in one query
    /// (a lookup per event would be a round trip per event: 7,700 events/s re-importing).
    func findStoredIDs(_ lines: [DecodedLine]) throws {
        staging.storedIDs.removeAll(keepingCapacity: true)
        var ids: [String] = []
        for decoded in lines {
            switch decoded.result {
            case .record(.event(let e)): if let id = e.id { ids.append(id) }
            case .records(let records, _):
                for case .event(let e) in records { if let id = e.id { ids.append(id) } }
            default: break
            }
        }
        guard !ids.isEmpty else { return }
        try db.query("SELECT external_id FROM events WHERE external_id = ANY(CAST(?1 AS text[]))",
                           [.text(PostgresDatabase.arrayLiteral(ids))]) { staging.storedIDs.insert($0.text(0)) }
    }

    /// PostgreSQL: writes the new contacts with one COPY.
    func flushContacts() throws {
        guard let loader, !staging.newContacts.isEmpty else { return }
        try loader.copy(into: "contacts", columns: ["id", "email", "phone", "first_name", "last_name", "created_at"]) { w in
            for c in staging.newContacts {
                w.int(c.id)
                w.text(c.email)
                w.text(c.phone)
                w.text(c.firstName)
                w.text(c.lastName)
                w.int(c.createdAt)
                try w.endRow()
            }
        }
        staging.newContacts.removeAll(keepingCapacity: true)
    }

    /// PostgreSQL: the next id of the contacts' sequence, drawn in blocks (one round trip
    /// per block; `releaseContactIDs` gives back what the run did not use).
    func reserveContactID() throws -> Int64 {
        if staging.reservedContactIDs.isEmpty {
            var ids: [Int64] = []
            ids.reserveCapacity(staging.reserveBlock)
            try db.query("SELECT nextval(pg_get_serial_sequence('contacts', 'id')) FROM generate_series(1, ?1)",
                         [.integer(Int64(staging.reserveBlock))]) { ids.append($0.int64(0)) }
            staging.reservedContactIDs = ids[...]
            staging.reserveBlock = min(staging.reserveBlock * 2, PostgresStaging.maxReserve)
        }
        return staging.reservedContactIDs.removeFirst()
    }

    /// PostgreSQL: sets the contacts' sequence back to the first id this run drew but did
    /// not use, unless another session has drawn from it since.
    func releaseContactIDs() throws {
        guard let first = staging.reservedContactIDs.first, let last = staging.reservedContactIDs.last else { return }
        try db.execute("""
            SELECT setval(s, ?1, false) FROM (SELECT CAST(pg_get_serial_sequence('contacts', 'id') AS regclass) AS s) q
            WHERE pg_sequence_last_value(s) = ?2
            """, [.integer(first), .integer(last)])
        staging.reservedContactIDs = []
    }

    /// PostgreSQL: makes the temporary table `name` for rows staged by COPY, once per run
    /// (dropped with the run's transaction).
    func stage(_ name: String, _ columns: String) throws {
        guard !staging.madeStages.contains(name) else { return }
        try db.execute("CREATE TEMPORARY TABLE \(name) (\(columns)) ON COMMIT DROP")
        staging.madeStages.insert(name)
    }

    /// PostgreSQL: adds rollup deltas to `table` keyed by `key`: the rows go by COPY into
    /// a staging table and are merged by one INSERT … ON CONFLICT (each key once) — or,
    /// while `appendRollups`, wait there for `mergeStagedRollups` (or, the first and last
    /// of a table, go straight into it).
    func mergeDeltas(into table: String, key: [String], _ rows: (inout CopyWriter) throws -> Void) throws {
        guard let loader else { return }
        let staged = "segq_staged_\(table)"
        let columns = key + ActivityDelta.columns
        if staging.appendEnding, !staging.stagedRollups.contains(where: { $0.table == table }) {
            // The table is still empty and these are all its rows.
            return try loader.copy(into: table, columns: columns, rows)
        }
        try stage(staged, columns.map { $0.hasPrefix("last_") || $0.hasSuffix("_id") ? "\($0) bigint" : "\($0) integer" }
            .joined(separator: ", "))
        try loader.copy(into: staged, columns: columns, rows)
        if staging.appendRollups {
            if !staging.stagedRollups.contains(where: { $0.table == table }) { staging.stagedRollups.append((table, key)) }
            return
        }
        let list = columns.joined(separator: ", ")
        try db.execute("""
            INSERT INTO \(table)(\(list)) SELECT \(list) FROM \(staged) ORDER BY \(key.joined(separator: ", "))
            \(ActivityDelta.upsertClause(table: table, conflict: key.joined(separator: ", ")));
            TRUNCATE \(staged)
            """)
    }

    /// PostgreSQL: writes the rollup deltas appended to the staging tables while the
    /// rollup tables were empty, each key's deltas added up (a pair's events may have
    /// been staged by several flushes) and written by one plain INSERT per table in key
    /// order: no conflict to look for, so no speculative insertion per row (the upserts
    /// of `segq-bench import`'s 200,000 `activity` rows took 2–4 s of server time). Then
    /// the tables are no longer empty and later deltas are merged as they come.
    func mergeStagedRollups() throws {
        guard staging.appendRollups else { return }
        staging.appendRollups = false
        staging.appendEnding = false
        if !staging.stagedRollups.isEmpty {
            // Hashes and sorts up to this size in memory, not in batches spilled to files
            // (at the default 4 MB, 177,000 `activity` rows took 21 batches and an
            // external sort: 0.9 of the statement's 2.3 s). For the rest of the run's
            // transaction, whose other statements sort little.
            try db.execute("SET LOCAL work_mem = '256MB'")
        }
        for (table, key) in staging.stagedRollups {
            let keys = key.joined(separator: ", ")
            try db.execute("""
                INSERT INTO \(table)(\(keys), \(ActivityDelta.columns.joined(separator: ", ")))
                SELECT \(keys), \(ActivityDelta.addedUp.joined(separator: ", ")) FROM segq_staged_\(table)
                GROUP BY \(keys) ORDER BY \(keys);
                TRUNCATE segq_staged_\(table)
                """)
        }
        staging.stagedRollups = []
    }

    /// Writes every pending rollup delta, and those waiting in the staging tables: what
    /// must be done before the rollups are read (a contact merge) or the run ends.
    func writeRollups(_ s: Statements) throws {
        staging.appendEnding = staging.appendRollups
        try flushActivity(s)
        try mergeStagedRollups()
    }
}
