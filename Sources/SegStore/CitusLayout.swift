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
    /// The tables of the latest version, in the order they are made.
    private static let tables = SchemaState(backend: .postgres, version: Schema.version).tables

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
        try lay(db, fresh: true) { !except.contains($0) }
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
        try lay(db, fresh: false) { added.contains($0) }
    }

    /// Lays out the tables `laidOut` accepts; `fresh`: a new store, whose constraints
    /// Citus cannot enforce are replaced too (step 2).
    private static func lay(_ db: Database, fresh: Bool, _ laidOut: (String) -> Bool) throws {
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

        // 2. Unique constraints must include the distribution column. An event's id stays
        // unique with its contact; e-mail addresses, phone numbers and external event ids
        // keep plain indexes, and the importer (which looks each up before inserting)
        // keeps them unique as long as imports run one at a time.
        if fresh { try db.execute("""
            ALTER TABLE contacts DROP CONSTRAINT contacts_email_key;
            ALTER TABLE contacts DROP CONSTRAINT contacts_phone_key;
            CREATE INDEX contacts_by_email ON contacts(email);
            CREATE INDEX contacts_by_phone ON contacts(phone);
            ALTER TABLE events DROP CONSTRAINT events_pkey;
            ALTER TABLE events ADD PRIMARY KEY (id, contact_id);
            DROP INDEX events_by_external_id;
            CREATE INDEX events_by_external_id ON events(external_id) WHERE external_id IS NOT NULL;
            """) }

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
