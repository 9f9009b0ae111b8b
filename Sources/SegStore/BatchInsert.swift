// Multi-row INSERTs: one statement step writes many rows.
//
// A single-row INSERT pays SQLite's per-statement costs (cursor opening, VDBE setup and
// halt) for every row; with 64 rows per statement they are paid once per 64. Bulk
// writers (the importer's rollups, the demo generator) add rows through this class.

/// Inserts rows `batch` at a time with one prepared multi-row statement.
final class BatchInsert {
    let columns: Int32
    let batch: Int
    private let many: PreparedStatement
    private let head: String
    private let tail: String
    private let database: Database
    /// Binders of the rows bound into `many` but not yet written.
    private var pending: [(PreparedStatement, Int32) throws -> Void] = []

    /// `head` is `INSERT INTO t(a, b) VALUES`, `tail` an optional `ON CONFLICT …` clause.
    init(_ db: Database, _ head: String, columns: Int32, tail: String = "", batch: Int = 64) throws {
        self.database = db
        self.columns = columns
        self.batch = batch
        self.head = head
        self.tail = tail
        many = try db.prepare(BatchInsert.sql(head, columns, batch, tail), persistent: true)
        pending.reserveCapacity(batch)
    }

    private static func sql(_ head: String, _ columns: Int32, _ rows: Int, _ tail: String) -> String {
        let row = "(" + Array(repeating: "?", count: Int(columns)).joined(separator: ", ") + ")"
        return head + " " + Array(repeating: row, count: rows).joined(separator: ", ") + " " + tail
    }

    /// Rows added but not yet written.
    var pendingRows: Int { pending.count }

    /// Adds a row; `bind` binds its columns at parameters `base + 1` … `base + columns`.
    func add(_ bind: @escaping (PreparedStatement, Int32) throws -> Void) throws {
        try bind(many, Int32(pending.count) * columns)
        pending.append(bind)
        if pending.count == batch {
            try many.run()
            pending.removeAll(keepingCapacity: true)
        }
    }

    /// Writes the rows of an incomplete last batch.
    func finish() throws {
        guard !pending.isEmpty else { return }
        let last = try database.prepare(BatchInsert.sql(head, columns, pending.count, tail))
        for (i, bind) in pending.enumerated() { try bind(last, Int32(i) * columns) }
        try last.run()
        pending.removeAll(keepingCapacity: true)
    }
}
