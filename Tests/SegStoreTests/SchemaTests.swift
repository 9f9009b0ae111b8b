import Testing
@testable import SegStore

@Suite struct SchemaTests {
    /// Every schema version exists on both backends: a version added to SQLite alone
    /// would make opening a PostgreSQL store index past `PostgresSchema.migrations`.
    @Test func everyVersionExistsOnBothBackends() {
        #expect(Schema.version >= 1)
        #expect(PostgresSchema.migrations.count == Schema.migrations.count)
        for (i, (sqlite, postgres)) in zip(Schema.migrations, PostgresSchema.migrations).enumerated() {
            #expect(!sqlite.isEmpty && !postgres.isEmpty, "migration \(i + 1) is empty on a backend")
        }
    }

    /// The rollup columns described once (`RollupColumns`) are exactly the columns of
    /// `activity` and `contact_activity` besides their keys, on SQLite and (under
    /// scripts/with-postgres.sh) on PostgreSQL; and the importer writes the same list.
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
        #expect(ActivityDelta.columns == RollupColumns.names)
    }
}
