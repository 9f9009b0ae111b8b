// The distributed layout of a store on Citus (distributed PostgreSQL; docs/scaling.md).
//
// When the database has the `citus` extension, creating a store lays it out for Citus
// in the same transaction as its tables: every per-contact table is distributed by the
// contact id and co-located with `contacts`, the small catalog tables are reference
// tables (a copy on every node), and the constraints Citus cannot enforce across shards
// become plain indexes. The order matters: a table linked by a foreign key to a
// reference table becomes a Citus local table, which cannot then be distributed, so the
// per-contact tables' keys to the catalog are dropped first and added back last.

import SegQL

/// The Citus layout of a store's tables, each table's placement read from `Schema`.
enum CitusLayout {
    /// The tables and indexes of the latest version, in the order they are made.
    private static let schema = SchemaState(backend: .postgres, version: Schema.version)
    private static var tables: [Table] { schema.tables }

    /// The per-contact tables, distributed by contact and co-located; `contacts` first
    /// (the first per-contact table the schema makes: the others refer to it).
    static let distributed: [(table: String, column: String)] = tables.compactMap { t in
        if case .distributed(let column) = t.citus { (t.name.name, column) } else { nil }
    }

    /// The catalog tables, replicated to every node as reference tables.
    static let reference = tables.filter { $0.citus == .reference }.map(\.name.name)

    /// Whether the database `db` is connected to has the Citus extension.
    static func isCitus(_ db: PostgresDatabase) throws -> Bool {
        try db.int64("SELECT count(*) FROM pg_extension WHERE extname = 'citus'") ?? 0 > 0
    }

    /// Makes the freshly created tables of the current schema distributed and reference
    /// tables. Runs inside the store's creating transaction.
    /// `except`: tables to leave as they are (a test's store of an older version, which
    /// has not got them).
    static func apply(to db: Database, except: Set<String> = []) throws {
        try lay(db) { !except.contains($0) }
    }

    /// Whether the store in the current schema is laid out for Citus (`contacts` is
    /// distributed): a store made before the database had the extension is not, and
    /// its new tables stay plain tables too.
    static func isLaidOut(_ db: Database) throws -> Bool {
        try db.int64("""
            SELECT count(*) FROM pg_dist_partition p JOIN pg_class c ON c.oid = p.logicalrelid
            WHERE c.relname = 'contacts' AND c.relnamespace = CAST(current_schema() AS regnamespace)
            """) ?? 0 > 0
    }

    /// Lays out the tables `added`, just created by a migration of an existing Citus
    /// store without their foreign keys (`Database.migrate(from:distributed:)`). Runs inside the
    /// upgrading transaction.
    static func layOut(_ db: Database, added: Set<String>) throws {
        try lay(db) { added.contains($0) }
    }

    /// The statements that replace the constraints Citus cannot enforce, of the tables
    /// `laidOut` accepts, as the description (`Schema`) has them: a key without the
    /// distribution column gains it (an event's id stays unique with its contact); a
    /// unique column or partial unique index without it becomes a plain index (e-mail
    /// addresses, phone numbers, external event ids), which the importer (looking each
    /// up before inserting) keeps unique as long as imports run one at a time.
    static func uniquenessWithoutDistributionColumn(_ laidOut: (String) -> Bool) -> [String] {
        var statements: [String] = []
        for t in tables where laidOut(t.name.name) {
            guard case .distributed(let column) = t.citus else { continue }
            let table = t.name.name
            for c in t.columns where c.unique && c.name != column {
                statements += ["ALTER TABLE \(table) DROP CONSTRAINT \(table)_\(c.name)_key",
                               "CREATE INDEX \(table)_by_\(c.name) ON \(table)(\(c.name))"]
            }
            if !t.keyColumns.contains(column) {
                statements += ["ALTER TABLE \(table) DROP CONSTRAINT \(table)_pkey",
                               "ALTER TABLE \(table) ADD PRIMARY KEY (\((t.keyColumns + [column]).joined(separator: ", ")))"]
            }
            for index in schema.indexes where index.table == t.name && index.unique && !index.columns.contains(column) {
                var plain = index
                plain.unique = false
                statements += ["DROP INDEX \(index.name.name)", plain.create]
            }
        }
        return statements
    }

    /// Lays out the tables `laidOut` accepts.
    private static func lay(_ db: Database, _ laidOut: (String) -> Bool) throws {
        let quote = db.dialect.quoteIdentifier
        let perContact = Set(distributed.map(\.table))
        // DDL on the new shards after this transaction wrote to them in parallel would be
        // refused; one connection per node keeps every step in the same transaction.
        try db.execute("SET LOCAL citus.multi_shard_modify_mode = sequential")

        // 1. The per-contact tables' foreign keys to catalog tables, kept and dropped.
        var foreignKeys: [(table: String, name: String, definition: String)] = []
        try db.query("""
            SELECT t.relname, c.conname, pg_get_constraintdef(c.oid), f.relname FROM pg_constraint c
            JOIN pg_class t ON t.oid = c.conrelid JOIN pg_class f ON f.oid = c.confrelid
            JOIN pg_namespace n ON n.oid = t.relnamespace
            WHERE c.contype = 'f' AND n.nspname = current_schema()
            ORDER BY t.relname, c.conname
            """, []) { row in
            if laidOut(row.text(0)) && perContact.contains(row.text(0)) && !perContact.contains(row.text(3)) {
                foreignKeys.append((row.text(0), row.text(1), row.text(2)))
            }
        }
        for fk in foreignKeys { try db.execute("ALTER TABLE \(quote(fk.table)) DROP CONSTRAINT \(quote(fk.name))") }

        // 2. Unique constraints must include the distribution column.
        for statement in uniquenessWithoutDistributionColumn(laidOut) { try db.execute(statement) }

        // 3. Distribute by contact, co-located; 4. replicate the catalog; 5. keys back.
        for (table, column) in distributed where laidOut(table) {
            let colocation = table == StoreTable.contacts.name ? "" : ", colocate_with => 'contacts'"
            try db.execute("SELECT create_distributed_table('\(table)', '\(column)'\(colocation))")
        }
        for table in reference where laidOut(table) {
            try db.execute("SELECT create_reference_table('\(table)')")
        }
        for fk in foreignKeys {
            try db.execute("ALTER TABLE \(quote(fk.table)) ADD CONSTRAINT \(quote(fk.name)) \(fk.definition)")
        }
    }
}
