import Testing
@testable import SegStore

@Suite struct SchemaTests {
    @Test func versionCountsMigrations() {
        #expect(Schema.version == Schema.migrations.count)
        #expect(Schema.version >= 1)
    }
}
