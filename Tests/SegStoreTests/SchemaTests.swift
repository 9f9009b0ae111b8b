import Testing
import SegQL
@testable import SegStore

@Suite struct SchemaTests {
    /// Every schema version exists on both backends and changes something on each (but a
    /// version whose migration only writes rows, `Schema.rowsOnly`): the versions are one
    /// list (`Schema.versions`) rendered for either.
    @Test func everyVersionExistsOnBothBackends() {
        #expect(Schema.version >= 1)
        let sqlite = Schema.migrations(for: .sqlite), postgres = Schema.migrations(for: .postgres)
        #expect(sqlite.count == Schema.version)
        #expect(postgres.count == Schema.version)
        for (i, (s, p)) in zip(sqlite, postgres).enumerated() {
            if Schema.rowsOnly.contains(i + 1) {
                #expect(s.isEmpty && p.isEmpty, "version \(i + 1) writes rows only")
            } else {
                #expect(!s.isEmpty && !p.isEmpty, "version \(i + 1) is empty on a backend")
            }
        }
    }

    /// The rollup columns described once (`RollupColumns`) are exactly the columns of
    /// `activity` and `contact_activity` besides their keys, on SQLite and (under
    /// scripts/with-postgres.sh) on PostgreSQL; and the importer writes, and the planner
    /// reads (SegQL's `RollupColumn`), the same list.
    @Test(arguments: [false, true])
    func rollupColumnsAreTheTablesColumns(onPostgres: Bool) throws {
        if onPostgres && TemporarySchema.base == nil { return }
        let t = try TestStore(backendIndependent: onPostgres)
        #expect(t.db.isPostgres == onPostgres)
        for (table, keys) in [("activity", ["campaign_id", "contact_id"]), ("contact_activity", ["contact_id"])] {
            var columns: [String] = []
            try t.db.query(onPostgres
                ? "SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = '\(table)'"
                : "SELECT name FROM pragma_table_info('\(table)')") { columns.append($0.text(0)) }
            #expect(Set(columns) == Set(keys + RollupColumns.names), "\(table)")
            #expect(columns.count == keys.count + RollupColumns.names.count, "\(table)")
        }
        // The names the planner reads are the same columns, in the same order.
        #expect(RollupColumn.allCases.map(\.name) == RollupColumns.names)
    }

    /// A store taken from nothing through every version's changes, one version at a
    /// time as an old store is upgraded, has the same tables, columns (order, types,
    /// nullability, defaults, keys), indexes, constraints, views and functions as a
    /// store made new at the latest version; on SQLite and (under
    /// scripts/with-postgres.sh) on PostgreSQL.
    @Test(arguments: [false, true])
    func aStoreMigratedVersionByVersionEqualsANewOne(onPostgres: Bool) throws {
        if onPostgres && TemporarySchema.base == nil { return }
        let new = try TestStore(backendIndependent: onPostgres)
        #expect(new.db.isPostgres == onPostgres)
        let dir = TempDir()
        let schema = onPostgres ? try TemporarySchema(base: try #require(TemporarySchema.base)) : nil
        let old: Database = try schema.map { try PostgresDatabase(url: $0.url) } ?? SQLiteDatabase(path: dir.path("old.db"))
        try old.transaction {
            for version in 0..<Schema.version { try old.migrate(from: version, distributed: false) }
        }
        #expect(try old.schemaVersion() == Schema.version)
        let migrated = try Self.structure(old), fresh = try Self.structure(new.db)
        #expect(migrated.count > 50)
        #expect(migrated.subtracting(fresh).sorted() == [], "only in the migrated store")
        #expect(fresh.subtracting(migrated).sorted() == [], "only in the new store")
        // And every table and index the description names is there.
        let relations = Set(try new.db.relationNames())
        #expect(Set(StoreTable.allCases.map(\.name)).subtracting(relations).isEmpty)
        #expect(Set(StoreIndex.allCases.map(\.name)).subtracting(relations).isEmpty)
    }

    /// On Citus a unique constraint must include the distribution column: the ones that
    /// do not, read from the description, are replaced by these (docs/scaling.md).
    @Test func citusReplacesTheUniquenessItCannotEnforce() {
        #expect(CitusLayout.uniquenessWithoutDistributionColumn { _ in true } == [
            "ALTER TABLE contacts DROP CONSTRAINT contacts_email_key",
            "CREATE INDEX contacts_by_email ON contacts(email)",
            "ALTER TABLE contacts DROP CONSTRAINT contacts_phone_key",
            "CREATE INDEX contacts_by_phone ON contacts(phone)",
            "ALTER TABLE events DROP CONSTRAINT events_pkey",
            "ALTER TABLE events ADD PRIMARY KEY (id, contact_id)",
            "DROP INDEX events_by_external_id",
            "CREATE INDEX events_by_external_id ON events(external_id) WHERE external_id IS NOT NULL",
        ])
        // The tables a version adds to a laid-out store have none to replace.
        let added = Schema.migration(from: 4, for: .postgres).created
        #expect(CitusLayout.uniquenessWithoutDistributionColumn { added.contains($0) } == [])
        #expect(CitusLayout.distributed.first?.table == "contacts")
        #expect(Set(CitusLayout.distributed.map(\.table) + CitusLayout.reference) == Set(StoreTable.allCases.map(\.name)))
    }

    /// The schema of `db` as a set of lines, one per column, index, constraint, view and
    /// function, read from the database's catalog (PostgreSQL's without the schema's
    /// name, which differs between the two stores).
    static func structure(_ db: Database) throws -> Set<String> {
        var lines: Set<String> = []
        func read(_ sql: String) throws {
            try db.query(sql) { row in
                lines.insert((0..<row.count).map { row.value($0).plainText }.joined(separator: " | "))
            }
        }
        if db.isPostgres {
            try read("""
                SELECT 'column', table_name, ordinal_position, column_name, data_type, is_nullable, column_default, collation_name, is_identity
                FROM information_schema.columns WHERE table_schema = current_schema()
                """)
            try read("SELECT 'index', indexname, replace(indexdef, current_schema() || '.', '') FROM pg_indexes WHERE schemaname = current_schema()")
            try read("""
                SELECT 'constraint', t.relname, c.conname, replace(pg_get_constraintdef(c.oid), current_schema() || '.', '') FROM pg_constraint c
                JOIN pg_class t ON t.oid = c.conrelid WHERE t.relnamespace = CAST(current_schema() AS regnamespace)
                """)
            try read("SELECT 'view', viewname, replace(definition, current_schema() || '.', '') FROM pg_views WHERE schemaname = current_schema()")
            try read("""
                SELECT 'function', proname, replace(pg_get_functiondef(p.oid), current_schema() || '.', '') FROM pg_proc p
                WHERE p.pronamespace = CAST(current_schema() AS regnamespace)
                """)
        } else {
            try read("""
                SELECT 'column', m.name, c.cid, c.name, c.type, c."notnull", c.dflt_value, c.pk, c.hidden
                FROM sqlite_schema m, pragma_table_xinfo(m.name) c WHERE m.type = 'table'
                """)
            // The statements (normalized spaces) say WITHOUT ROWID, CHECK and UNIQUE.
            try read("""
                SELECT m.type, m.name, m.tbl_name, replace(replace(m.sql, char(10), ' '), '  ', ' ')
                FROM sqlite_schema m WHERE m.name NOT LIKE 'sqlite_stat%'
                """)
            try read("""
                SELECT 'foreign key', m.name, f."from", f."table", f."to", f.on_delete
                FROM sqlite_schema m, pragma_foreign_key_list(m.name) f WHERE m.type = 'table'
                """)
            try read("""
                SELECT 'index column', m.name, i.seqno, i.name, i."desc", i."key"
                FROM sqlite_schema m, pragma_index_xinfo(m.name) i WHERE m.type = 'index'
                """)
        }
        return lines
    }
}
