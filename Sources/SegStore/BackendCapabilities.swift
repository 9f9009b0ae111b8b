// What differs between the two backends beyond SQL spelling (which `SQLDialect` holds),
// side by side: where the database lives, introspecting and migrating its schema, its
// own query plans, cancelling a statement, reading attribute values for completion,
// loading rows in bulk and setting a connection up for a large write.
// Callers ask `Database` for these instead of testing its type.

import SegQL

/// Loading rows in bulk (`Database.bulkLoader`): PostgreSQL's COPY, and the indexes and
/// foreign keys of the tables a load fills dropped inside its transaction and made
/// again at the end (one sort or one join each instead of a B-tree insert and a lookup
/// per row). `segq import` and the demo's copy into PostgreSQL use it.
public protocol BulkLoader: AnyObject {
    /// Sends the rows `produce` writes into `columns` of `table`, by one COPY; with
    /// `freeze`, `COPY … (FREEZE)`: the rows are written frozen and the pages marked
    /// all-visible (no hint bits to set by the first reads, index-only scans at once),
    /// which PostgreSQL allows only into a table created or truncated in the current
    /// transaction (else it fails).
    func copy(into table: String, columns: [String], freeze: Bool,
              _ produce: (inout CopyWriter) throws -> Void) throws
    /// Drops, in the current schema, the secondary indexes of `indexTables` (not those
    /// behind a primary key or unique constraint), the unique constraints (not primary
    /// keys) of `uniqueTables` and the foreign keys of `keyTables`, but none named in
    /// `keeping`, inside the current transaction; returns them, indexes first and foreign
    /// keys last, with the statements that make them again. (A writer that upserts must
    /// not name the tables whose conflicts it looks for in `uniqueTables`.)
    func dropForBulkLoad(indexesOf indexTables: [String], uniqueConstraintsOf uniqueTables: [String],
                         foreignKeysOf keyTables: [String], keeping: Set<String>) throws -> [DroppedForBulkLoad]
}

extension BulkLoader {
    /// Sends the rows `produce` writes into `columns` of `table`, by one COPY.
    public func copy(into table: String, columns: [String], _ produce: (inout CopyWriter) throws -> Void) throws {
        try copy(into: table, columns: columns, freeze: false, produce)
    }
}

extension SQLiteDatabase {
    public var file: String? { path == ":memory:" || path.isEmpty ? nil : path }

    /// SQLite's last rowid is the new row's id.
    public var returnsInsertedIDs: Bool { false }

    /// Rows go by multi-row INSERTs (the importer's own bulk path: pragmas and index rebuilds).
    public var bulkLoader: (any BulkLoader)? { nil }

    /// Pragmas, which cannot change inside a transaction.
    public func prepareForVouchedWrite() throws -> [String] {
        let restore = [
            "PRAGMA foreign_keys = \(try int64("PRAGMA foreign_keys") ?? 1)",
            "PRAGMA cache_size = \(try int64("PRAGMA cache_size") ?? -2000)",
            "PRAGMA temp_store = DEFAULT",
            "PRAGMA secure_delete = \(try int64("PRAGMA secure_delete") ?? 0)",
            "PRAGMA ignore_check_constraints = \(try int64("PRAGMA ignore_check_constraints") ?? 0)",
        ]
        // A large page cache keeps the event indexes in memory during a big import;
        // statement journals and temporary B-trees stay in memory; index rebuilds
        // (see `Importer.rebuildDroppedIndexes`) sort with helper threads.
        try execute("PRAGMA cache_size = -524288")
        try execute("PRAGMA temp_store = MEMORY")
        try execute("PRAGMA threads = 2")
        // Debian's SQLite is built with SECURE_DELETE, which zeroes every freed page;
        // the indexes dropped in bulk mode (`Importer.enterBulkMode`) need no such care.
        try execute("PRAGMA secure_delete = OFF")
        // The writer vouches for its references and checked values, so the per-row
        // parent lookups (a third of the importer's insert time) and CHECKs (SQLite
        // builds a temporary table for `type IN ('string', 'number', 'boolean')` on
        // every attribute row) would only repeat what it knows.
        try execute("PRAGMA foreign_keys = OFF")
        try execute("PRAGMA ignore_check_constraints = ON")
        return restore
    }

    public func relationNames() throws -> [String] {
        var names: [String] = []
        try query("SELECT name FROM sqlite_master") { names.append($0.text(0)) }
        return names
    }

    public func queryPlan(_ sql: String, _ params: [SQLValue]) throws -> [String] {
        var lines: [String] = []
        // id, parent, notused, detail.
        try query("EXPLAIN QUERY PLAN " + sql, params) { lines.append($0.text(3)) }
        return lines
    }

    public func schemaText() throws -> String {
        var out = ""
        try query("""
            SELECT sql FROM sqlite_schema
            WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite_%'
            ORDER BY CASE type WHEN 'table' THEN 0 WHEN 'index' THEN 1 WHEN 'view' THEN 2 ELSE 3 END, rowid
            """) { out += $0.text(0) + ";\n" }
        return out
    }

    public func foreignTableCount() throws -> Int64 {
        try int64("SELECT count(*) FROM sqlite_master WHERE type = 'table'") ?? 0
    }

    /// `PRAGMA user_version`.
    public func schemaVersion() throws -> Int { Int(try int64("PRAGMA user_version") ?? 0) }

    public var schemaBackend: SchemaBackend { .sqlite }

    public func recordSchemaVersion(_ version: Int) throws { try execute("PRAGMA user_version = \(version)") }

    public func lockForMigration() throws {}

    public var keepsInfoAsText: Bool { false }

    public func changeMarkForCaching() throws -> ChangeMark? { isInTransaction ? nil : try changeMark() }

    public func currentChangeMark() throws -> ChangeMark? { try changeMark() }

    /// Reading it fails with "no such table: <message>".
    public func failingViewBody(_ message: String) -> String {
        "SELECT * FROM " + dialect.quoteIdentifier(message)
    }

    /// SQLite polls the deadline while a statement runs (the progress handler).
    public var cancelsOnServer: Bool { false }

    /// `sqlite3_interrupt` is a no-op when no statement runs.
    public var interruptsOnlyRunningStatement: Bool { true }

    /// The distinct values read from the value index one seek at a time, so a value too
    /// rare to be in the sample is still offered, after the sampled ones.
    public func frequentValuesQuery(_ name: String, prefix: String, limit: Int, sampleRows: Int,
                                    distinctLimit: Int) -> (sql: String, parameters: [SQLValue]) {
        // U+10FFFF sorts after every character a value can continue the prefix with.
        // `+name` keeps the sample on the primary key's range (contact_id, name).
        let sql = """
            WITH RECURSIVE v(value) AS (
              SELECT min(value) FROM contact_attributes WHERE name = ?1 AND type = 'string' AND value >= ?2 AND value < ?3
              UNION ALL
              SELECT (SELECT min(value) FROM contact_attributes
                      WHERE name = ?1 AND type = 'string' AND value > v.value AND value < ?3)
              FROM v WHERE v.value IS NOT NULL LIMIT \(distinctLimit)),
            sample(value, n) AS (
              SELECT value, count(*) FROM contact_attributes
              WHERE contact_id <= coalesce((SELECT contact_id FROM contact_attributes ORDER BY contact_id
                                            LIMIT 1 OFFSET \(sampleRows)), 9223372036854775807)
                AND +name = ?1 AND type = 'string' AND value >= ?2 AND value < ?3
              GROUP BY value)
            SELECT v.value, coalesce(sample.n, 0) AS n FROM v LEFT JOIN sample ON sample.value = v.value
            WHERE v.value IS NOT NULL ORDER BY n DESC, v.value LIMIT \(limit)
            """
        return (sql, [.text(name), .text(prefix), .text(prefix + "\u{10FFFF}")])
    }
}

extension PostgresDatabase: BulkLoader {
    public var file: String? { nil }

    /// `INSERT … RETURNING id`: one round trip, where asking `lastval()` would be a second.
    public var returnsInsertedIDs: Bool { true }

    /// COPY, and indexes and keys dropped for a load (ImportBulkPaths.swift).
    public var bulkLoader: (any BulkLoader)? { self }

    /// Nothing: PostgreSQL's settings are per transaction (`SET LOCAL`), and a bulk
    /// load drops the foreign keys inside it (`BulkLoader.dropForBulkLoad`).
    public func prepareForVouchedWrite() throws -> [String] { [] }

    public func relationNames() throws -> [String] {
        var names: [String] = []
        try query("SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = current_schema()") {
            names.append($0.text(0))
        }
        return names
    }

    public func queryPlan(_ sql: String, _ params: [SQLValue]) throws -> [String] {
        var lines: [String] = []
        try query("EXPLAIN " + sql, params) { lines.append($0.text(0)) }
        return lines
    }

    /// Columns, indexes and view definitions from the catalog of the current schema.
    public func schemaText() throws -> String {
        var out = ""
        var tables: [(String, [String])] = []
        try query("""
            SELECT c.table_name, c.column_name, c.data_type, c.is_nullable
            FROM information_schema.columns c
            JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name
            WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE'
            ORDER BY c.table_name, c.ordinal_position
            """) { row in
            let column = "    \(row.text(1)) \(row.text(2))" + (row.text(3) == "NO" ? " NOT NULL" : "")
            if tables.last?.0 == row.text(0) { tables[tables.count - 1].1.append(column) } else { tables.append((row.text(0), [column])) }
        }
        for (name, columns) in tables { out += "CREATE TABLE \(name) (\n" + columns.joined(separator: ",\n") + "\n);\n" }
        try query("SELECT indexdef FROM pg_indexes WHERE schemaname = current_schema() ORDER BY tablename, indexname") { row in
            out += row.text(0) + ";\n"
        }
        try query("SELECT viewname, definition FROM pg_views WHERE schemaname = current_schema() ORDER BY viewname") { row in
            out += "CREATE VIEW \(row.text(0)) AS\n\(row.text(1))\n"
        }
        return out
    }

    /// Tables and views an extension made (Citus adds views to `public`) are not
    /// another application's.
    public func foreignTableCount() throws -> Int64 {
        try int64("""
            SELECT count(*) FROM pg_class c
            WHERE c.relnamespace = CAST(current_schema() AS regnamespace) AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
              AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = CAST('pg_class' AS regclass)
                              AND d.objid = c.oid AND d.deptype = 'e')
            """) ?? 0
    }

    /// `store_info.schema_version` (PostgreSQL has no per-database user version).
    public func schemaVersion() throws -> Int {
        guard try text("SELECT CAST(to_regclass('store_info') AS text)") != nil else { return 0 }
        return Int(try text("SELECT value FROM store_info WHERE key = 'schema_version'") ?? "0") ?? 0
    }

    public var schemaBackend: SchemaBackend { .postgres }

    public func recordSchemaVersion(_ version: Int) throws {
        try execute(
            "INSERT INTO store_info(key, value) VALUES ('schema_version', ?1) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            [.text(String(version))])
    }

    public func lockForMigration() throws { try execute("SELECT pg_advisory_xact_lock(7340032)") }

    public var keepsInfoAsText: Bool { true }

    /// Another connection's commit cannot be seen without a query as costly as the reads.
    public func changeMarkForCaching() throws -> SQLiteDatabase.ChangeMark? { nil }

    public func currentChangeMark() throws -> SQLiteDatabase.ChangeMark? { nil }

    /// Reading it raises the message (PostgreSQL checks tables when a view is created,
    /// so SQLite's missing table would not even save).
    public func failingViewBody(_ message: String) -> String {
        "SELECT * FROM segq_broken_segment(\(dialect.literal(.text(message))))"
    }

    /// libpq waits for the server's answer with nothing of segq's running to poll.
    public var cancelsOnServer: Bool { true }

    /// A cancel request sent as one statement ends can stop the next.
    public var interruptsOnlyRunningStatement: Bool { false }

    /// The sample's values only (they are JSON: no index to read them in order from).
    public func frequentValuesQuery(_ name: String, prefix: String, limit: Int, sampleRows: Int,
                                    distinctLimit: Int) -> (sql: String, parameters: [SQLValue]) {
        let sql = """
            SELECT value #>> '{}' AS v, count(*) AS n FROM contact_attributes
            WHERE contact_id <= coalesce((SELECT contact_id FROM contact_attributes ORDER BY contact_id
                                          OFFSET \(sampleRows) LIMIT 1), 9223372036854775807)
              AND name = $1 AND type = 'string' AND starts_with(value #>> '{}', $2)
            GROUP BY v ORDER BY n DESC, v LIMIT \(limit)
            """
        return (sql, [.text(name), .text(prefix)])
    }
}

// Creating and migrating a store's schema, rendered from `Schema` for the backend.
extension Database {
    /// Each version's statements in this database's SQL, at index n the change from
    /// version n to n + 1.
    public var migrations: [String] { Schema.migrations(for: schemaBackend) }

    /// Creates the tables of the latest version in an empty database and records the
    /// version, inside the creating transaction.
    func createSchema() throws {
        for statement in Schema.creation(for: schemaBackend) { try execute(statement) }
        try recordSchemaVersion(Schema.version)
    }

    /// Makes version `version + 1`'s changes and records the new version, inside the
    /// migrating transaction. One statement at a time: Citus refuses an index on a
    /// distributed table sent with other commands in one query string ("cannot insert
    /// multiple commands into a prepared statement"). `distributed`: the store's tables
    /// are distributed by Citus, so the tables the version adds are laid out
    /// (`CitusLayout.layOut`) between their creation and their foreign keys (a plain
    /// table cannot refer to a distributed one).
    func migrate(from version: Int, distributed: Bool) throws {
        let migration = Schema.migration(from: version, for: schemaBackend, foreignKeysApart: distributed)
        for statement in migration.statements { try execute(statement) }
        if distributed && !migration.created.isEmpty { try CitusLayout.layOut(self, added: migration.created) }
        for statement in migration.foreignKeys { try execute(statement) }
        try recordSchemaVersion(version + 1)
    }
}
