import Foundation
import SegQL
@testable import SegStore

/// A temporary directory removed when the value is released.
final class TempDir {
    let url: URL

    init() {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("segq-tests-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: url) }

    func path(_ name: String) -> String { url.appendingPathComponent(name).path }
}

/// A fresh schema in the PostgreSQL database named by `SEGQ_TEST_POSTGRES`, dropped
/// when the value is released.
final class TemporarySchema {
    /// The database the import suites run on as well (scripts/with-postgres.sh sets it).
    static let base = ProcessInfo.processInfo.environment["SEGQ_TEST_POSTGRES"].flatMap { $0.isEmpty ? nil : $0 }
    let name = "t_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
    let url: String

    init(base: String) throws {
        try PostgresDatabase(url: base).execute("CREATE SCHEMA \(name)")
        url = base + (base.contains("?") ? "&" : "?") + "options=-csearch_path%3D\(name)"
    }

    deinit {
        if let base = Self.base { try? PostgresDatabase(url: base).execute("DROP SCHEMA \(name) CASCADE") }
    }
}

/// A fresh store in a temporary directory (or, with `SEGQ_TEST_POSTGRES` set and
/// `backendIndependent`, in a fresh PostgreSQL schema).
struct TestStore {
    let dir = TempDir()
    let store: Store
    let schema: TemporarySchema?
    var path: String { store.path }

    /// `backendIndependent`: the test checks only what segq promises on every backend
    /// (the import contract), so it runs on PostgreSQL when the suite does.
    init(backendIndependent: Bool = false) throws {
        if backendIndependent, let base = TemporarySchema.base {
            let schema = try TemporarySchema(base: base)
            self.schema = schema
            store = try Store(path: schema.url)
        } else {
            schema = nil
            store = try Store(path: dir.path("test.db"))
        }
        // As the session gives it: what compiles saved segments' views (SegmentHistoryTests).
        store.segmentCompiler = SavedSegmentSQL.compile
    }

    var db: Database { store.database }

    /// The storage class of `contact_attributes.value` as SQLite's `typeof` names it
    /// (`text`, `integer`, `real`), on either backend.
    var valueStorageClass: String {
        db.isPostgres
            ? "CASE jsonb_typeof(value) WHEN 'string' THEN 'text' WHEN 'boolean' THEN 'integer' ELSE CASE WHEN CAST(value AS text) ~ '^-?[0-9]+$' THEN 'integer' ELSE 'real' END END"
            : "typeof(value)"
    }

    /// Imports `text` (lines of canonical JSONL) as a source named `name`.
    @discardableResult
    func importText(_ text: String, name: String = "in.jsonl", options: ImportOptions = ImportOptions(now: 1_000)) throws -> ImportSummary {
        try Importer(store: store, options: options).run([.text(text, name: name)])
    }

    func count(_ table: String, _ condition: String = "1 = 1") throws -> Int64 {
        try db.int64("SELECT count(*) FROM \(table) WHERE \(condition)") ?? -1
    }

    func int(_ sql: String, _ params: [SQLValue] = []) throws -> Int64? {
        try db.int64(sql, params)
    }

    func text(_ sql: String, _ params: [SQLValue] = []) throws -> String? {
        try db.text(sql, params)
    }

    /// All rows of a query as arrays of values (for comparing tables).
    func rows(_ sql: String, _ params: [SQLValue] = []) throws -> [[SQLValue]] {
        var out: [[SQLValue]] = []
        try db.query(sql, params) { row in
            out.append((0..<row.count).map { row.value($0) })
        }
        return out
    }

    /// Counts of every table whose content an import may change.
    func snapshot() throws -> [String: Int64] {
        var out: [String: Int64] = [:]
        for t in ["contacts", "contact_attributes", "campaigns", "links", "events", "activity", "contact_activity",
                  "event_stats", "lists", "list_members"] {
            out[t] = try count(t)
        }
        return out
    }
}

/// The rollup tables' rows, sorted, for comparing maintained and rebuilt rollups.
func rollups(_ t: TestStore) throws -> [[[SQLValue]]] {
    [
        try t.rows("SELECT * FROM activity ORDER BY campaign_id, contact_id"),
        try t.rows("SELECT * FROM contact_activity ORDER BY contact_id"),
        try t.rows("SELECT * FROM event_stats ORDER BY campaign_id, kind"),
    ]
}

/// One JSON line from members (values already JSON-encoded).
func line(_ members: [(String, String)]) -> String {
    "{" + members.map { "\"\($0.0)\":\($0.1)" }.joined(separator: ",") + "}"
}

/// A JSON string literal (the project's one JSON escaper).
func jsonString(_ s: String) -> String { JSONText.string(s) }
