import Testing
@testable import SegStore

/// `Store.frequentAttributeValues`: what Tab offers after `country = "`.
struct AttributeValuesTests {
    /// Contacts 1-3 are DK, DK, DE; then SE ×5, DK, DE, NO, SK, a value with a quote,
    /// and a number (not a string value).
    func store() throws -> TestStore {
        let t = try TestStore(backendIndependent: true)
        let values: [String] = ["\"DK\"", "\"DK\"", "\"DE\"", "\"SE\"", "\"SE\"", "\"SE\"", "\"SE\"", "\"SE\"",
                                "\"DK\"", "\"DE\"", "\"NO\"", "\"SK\"", "\"S\\\"Q\"", "7"]
        let lines = values.enumerated().map { i, v in
            #"{"record":"contact","email":"c\#(i)@example.com","created_at":"2026-01-05T10:00:00Z","attributes":{"country":\#(v)}}"#
        }
        try t.importText(lines.joined(separator: "\n") + "\n")
        return t
    }

    @Test func mostFrequentFirstThenByValue() throws {
        let t = try store()
        #expect(try t.store.frequentAttributeValues("country", prefix: "") == ["SE", "DK", "DE", "NO", "SK"])
        #expect(try t.store.frequentAttributeValues("country", prefix: "S") == ["SE", "SK"])
        #expect(try t.store.frequentAttributeValues("country", prefix: "X").isEmpty)
        #expect(try t.store.frequentAttributeValues("plan", prefix: "").isEmpty)
        #expect(try t.store.frequentAttributeValues("country", prefix: "", limit: 2) == ["SE", "DK"])
    }

    @Test func frequencyIsCountedOverASample() throws {
        let t = try store()
        // The sample: the contacts up to the one of the third row (DK, DK, DE).
        let values = try t.store.frequentAttributeValues("country", prefix: "", sampleRows: 2)
        if t.db.isPostgres {
            #expect(values == ["DK", "DE"])
        } else {
            // Values outside the sample are still offered, after it, in value order.
            #expect(values == ["DK", "DE", "NO", "SE", "SK"])
        }
    }
}
