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
}
