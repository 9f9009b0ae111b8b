// A thin, checked wrapper over one SQLite connection.
//
// Each C handle belongs to a final class that releases it in `deinit`: `SQLiteDatabase`
// owns the `sqlite3*`, `SQLiteStatement` owns a `sqlite3_stmt*`. Every return code
// is checked; a failure throws `DatabaseError`, which quotes SQLite's own message and
// the SQL that failed (GRDB's DatabaseError is the model), so that a user reading
// "database is locked" also learns which statement was waiting.
//
// Rows are streamed (`query(_:_:row:)` calls back once per row) so that a query
// returning a million contacts never collects them in memory.

import CSQLite
import SegQL

/// One SQLite connection, owned by this object and closed when it is released.
///
/// The connection is used from one thread at a time; only `interrupt()` may be called
/// from another thread (or a signal handler's helper), which is why the class is
/// `@unchecked Sendable`.
public final class SQLiteDatabase: Database, @unchecked Sendable {
    /// The connection handle; valid for the object's whole life.
    let handle: OpaquePointer
    /// The path the database was opened with.
    public let path: String
    /// Whether the connection was opened read-only.
    public let readOnly: Bool
    /// The running statement's cancellation (Ctrl-C, a timeout), polled every
    /// `progressInterval` virtual machine instructions by SQLite's progress handler
    /// and before each statement is prepared; nil polls nothing.
    public var cancellation: Cancellation? {
        didSet {
            if cancellation == nil {
                sqlite3_progress_handler(handle, 0, nil, nil)
            } else if oldValue == nil {
                sqlite3_progress_handler(handle, Self.progressInterval, { context in
                    guard let context else { return 0 }
                    let db = Unmanaged<SQLiteDatabase>.fromOpaque(context).takeUnretainedValue()
                    return db.cancellation?.isCancelled == true ? 1 : 0
                }, Unmanaged.passUnretained(self).toOpaque())
            }
        }
    }
    /// How many virtual machine instructions run between two polls of `cancellation`:
    /// about 10–50 µs of work, against a poll of well under a microsecond.
    static let progressInterval: Int32 = 1_000

    /// Opens (and, unless `readOnly`, creates if missing) the database at `path`.
    ///
    /// - Parameters:
    ///   - path: a file path, or `":memory:"` for a private in-memory database.
    ///   - readOnly: open with `SQLITE_OPEN_READONLY`; the file must exist.
    ///   - busyTimeout: milliseconds to wait for another connection's lock.
    ///   - immutable: open read-only as `file:PATH?immutable=1`: no locks, no `-shm`,
    ///     for read-only media (the file must not change while it is open).
    public init(path: String, readOnly: Bool = false, busyTimeout: Int32 = 5_000, immutable: Bool = false) throws {
        _ = SQLiteDatabase.configured
        var db: OpaquePointer?
        var flags = (readOnly || immutable ? SQLITE_OPEN_READONLY : (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE))
            | SQLITE_OPEN_NOMUTEX
        var name = path
        if immutable {
            flags |= SQLITE_OPEN_URI
            var encoded = ""
            for u in path.unicodeScalars {
                switch u {
                case "%", "?", "#": encoded += "%" + String(u.value, radix: 16, uppercase: true)
                default: encoded.unicodeScalars.append(u)
                }
            }
            name = "file:" + encoded + "?immutable=1"
        }
        let rc = sqlite3_open_v2(name, &db, flags, nil)
        guard let db else {
            throw DatabaseError(code: rc, message: "cannot open database '\(path)': out of memory")
        }
        guard rc == SQLITE_OK else {
            let message = String(cString: sqlite3_errmsg(db))
            sqlite3_close_v2(db)
            throw DatabaseError(code: rc, message: "cannot open database '\(path)': \(message)")
        }
        sqlite3_extended_result_codes(db, 1)
        self.handle = db
        self.path = path
        self.readOnly = readOnly || immutable
        try check(sqlite3_busy_timeout(db, busyTimeout), sql: nil)
    }

    deinit {
        // Statements are owned by PreparedStatement objects that keep this object
        // alive, so none is left when we get here; close_v2 copes if one is.
        sqlite3_close_v2(handle)
    }

    /// SQLite's current error message for this connection.
    var lastMessage: String { String(cString: sqlite3_errmsg(handle)) }

    /// Throws a `DatabaseError` unless `rc` is `SQLITE_OK` (or `SQLITE_DONE`/`SQLITE_ROW`).
    @inline(__always)
    func check(_ rc: Int32, sql: String?) throws {
        if rc == SQLITE_OK || rc == SQLITE_DONE || rc == SQLITE_ROW { return }
        throw DatabaseError(code: rc, message: lastMessage, sql: sql)
    }

    /// Runs one or more `;`-separated statements that take no parameters (rows are discarded).
    public func execute(_ sql: String) throws {
        var errmsg: UnsafeMutablePointer<CChar>?
        let rc = sqlite3_exec(handle, sql, nil, nil, &errmsg)
        if rc != SQLITE_OK {
            let message = errmsg.map { String(cString: $0) } ?? lastMessage
            sqlite3_free(errmsg)
            throw DatabaseError(code: sqlite3_extended_errcode(handle), message: message, sql: sql)
        }
    }

    /// What moves whenever the database's content may have changed: another
    /// connection's commit (`PRAGMA data_version`) or a row written by this one.
    public struct ChangeMark: Hashable, Sendable {
        var dataVersion: Int64
        var ownChanges: Int64
    }

    /// The current change mark (one PRAGMA and a counter read).
    public func changeMark() throws -> ChangeMark {
        ChangeMark(dataVersion: try int64("PRAGMA data_version") ?? 0, ownChanges: Int64(sqlite3_total_changes(handle)))
    }

    /// Runs one statement with parameters, discarding any rows.
    public func execute(_ sql: String, _ params: [SQLValue]) throws {
        let statement = try prepare(sql)
        try statement.bind(params)
        while try statement.step() {}
    }

    /// Compiles one statement. `persistent` hints that it will be run many times.
    ///
    /// Text after the first statement other than spaces and `;` is an error rather than
    /// silently ignored (use `execute(_:)` for several statements).
    public func prepare(_ sql: String, persistent: Bool) throws -> PreparedStatement {
        // A statement too short to reach the progress handler still stops once cancelled.
        if cancellation?.isCancelled == true {
            throw DatabaseError(code: DatabaseError.interrupt, message: "interrupted", sql: sql)
        }
        var stmt: OpaquePointer?
        var extra = false
        let flags = persistent ? UInt32(SQLITE_PREPARE_PERSISTENT) : 0
        let rc = sql.withCString { start -> Int32 in
            var tail: UnsafePointer<CChar>?
            let rc = sqlite3_prepare_v3(handle, start, -1, flags, &stmt, &tail)
            if rc == SQLITE_OK, var p = tail {
                while p.pointee != 0 {
                    let c = UInt8(bitPattern: p.pointee)
                    if c != 0x20 && c != 0x0A && c != 0x0D && c != 0x09 && c != 0x3B { extra = true; break }
                    p += 1
                }
            }
            return rc
        }
        guard rc == SQLITE_OK else {
            let message = lastMessage
            sqlite3_finalize(stmt)
            throw DatabaseError(code: rc, message: message, sql: sql)
        }
        guard let stmt else {
            throw DatabaseError(code: SQLITE_MISUSE, message: "no statement in SQL (empty or only comments)", sql: sql)
        }
        if extra {
            sqlite3_finalize(stmt)
            throw DatabaseError(code: SQLITE_MISUSE, message: "more than one statement in SQL given to prepare", sql: sql)
        }
        return SQLiteStatement(database: self, handle: stmt, sql: sql)
    }

    /// Runs a query and calls `row` once per result row, streaming (rows are not collected).
    ///
    /// The `Row` passed to the closure is valid only during the call.
    public func query(_ sql: String, _ params: [SQLValue], row: (Row) throws -> Void) throws {
        let statement = try prepare(sql)
        try statement.bind(params)
        let current = Row(statement: statement)
        while try statement.step() {
            try row(current)
        }
    }

    /// `BEGIN IMMEDIATE`: takes the write lock now, so that a writer waits at the start
    /// (busy timeout) rather than failing halfway.
    public func begin() throws { try execute("BEGIN IMMEDIATE") }

    /// Rolls back the open transaction, if any, ignoring "no transaction is active".
    public func rollbackQuietly() {
        if sqlite3_get_autocommit(handle) == 0 {
            sqlite3_exec(handle, "ROLLBACK", nil, nil, nil)
        }
    }

    /// Whether a transaction is open.
    public var isInTransaction: Bool { sqlite3_get_autocommit(handle) == 0 }

    /// Makes the running statement (on whatever thread) fail with `SQLITE_INTERRUPT` soon.
    public func interrupt() {
        sqlite3_interrupt(handle)
    }

    /// The rowid of the last successful INSERT on this connection.
    public var lastInsertRowID: Int64 { sqlite3_last_insert_rowid(handle) }

    /// Rows changed by the last INSERT, UPDATE or DELETE.
    public var changes: Int { Int(sqlite3_changes64(handle)) }

    /// `sqlite`.
    public var dialect: any SQLDialect { SQLiteDialect() }

    /// The version of the SQLite library in use, e.g. "3.40.1".
    public static var sqliteVersion: String { String(cString: sqlite3_libversion()) }

    /// Process-wide settings made once, before the first connection initializes SQLite:
    /// no memory statistics, which would take a global mutex around every allocation
    /// (segq never asks for them). Refused, harmlessly, if SQLite was initialized already.
    private static let configured: Bool = segq_sqlite_disable_memstatus() == SQLITE_OK
}

/// A compiled statement, owned by this object and finalized when it is released.
public final class SQLiteStatement: PreparedStatement {
    /// The connection; kept alive as long as the statement is.
    public let database: SQLiteDatabase
    let handle: OpaquePointer
    /// The statement's SQL text.
    public let sql: String

    init(database: SQLiteDatabase, handle: OpaquePointer, sql: String) {
        self.database = database
        self.handle = handle
        self.sql = sql
    }

    deinit {
        sqlite3_finalize(handle)
    }

    @inline(__always)
    private func checkBind(_ rc: Int32) throws {
        if rc != SQLITE_OK {
            throw DatabaseError(code: rc, message: database.lastMessage, sql: sql)
        }
    }

    /// The number of `?` parameters.
    public var parameterCount: Int32 { sqlite3_bind_parameter_count(handle) }

    /// Resets the statement and binds `values` to parameters 1…n (their count must match).
    public func bind(_ values: [SQLValue]) throws {
        reset()
        guard Int32(values.count) == parameterCount else {
            throw DatabaseError(
                code: SQLITE_RANGE,
                message: "\(values.count) values for \(parameterCount) parameters", sql: sql)
        }
        for (i, value) in values.enumerated() {
            try bind(value, at: Int32(i + 1))
        }
    }

    /// Binds one value to the parameter at 1-based `index`.
    public func bind(_ value: SQLValue, at index: Int32) throws {
        switch value {
        case .null: try bindNull(at: index)
        case .integer(let v): try bind(v, at: index)
        case .real(let v): try bind(v, at: index)
        case .text(let v): try bind(v, at: index)
        }
    }

    /// Binds an integer.
    @inline(__always)
    public func bind(_ value: Int64, at index: Int32) throws {
        try checkBind(sqlite3_bind_int64(handle, index, value))
    }

    /// Binds a real.
    @inline(__always)
    public func bind(_ value: Double, at index: Int32) throws {
        try checkBind(sqlite3_bind_double(handle, index, value))
    }

    /// Binds text (copied by SQLite).
    @inline(__always)
    public func bind(_ value: String, at index: Int32) throws {
        var value = value
        let rc = value.withUTF8 { buf -> Int32 in
            guard let p = buf.baseAddress, buf.count > 0 else {
                // Empty text, not NULL (a nil pointer would bind NULL).
                return sqlite3_bind_text(handle, index, "", 0, segq_sqlite_transient())
            }
            return p.withMemoryRebound(to: CChar.self, capacity: buf.count) {
                sqlite3_bind_text(handle, index, $0, Int32(buf.count), segq_sqlite_transient())
            }
        }
        try checkBind(rc)
    }

    /// Binds text or NULL.
    @inline(__always)
    public func bind(_ value: String?, at index: Int32) throws {
        if let value { try bind(value, at: index) } else { try bindNull(at: index) }
    }

    /// Binds an integer or NULL.
    @inline(__always)
    public func bind(_ value: Int64?, at index: Int32) throws {
        if let value { try bind(value, at: index) } else { try bindNull(at: index) }
    }

    /// Binds NULL.
    @inline(__always)
    public func bindNull(at index: Int32) throws {
        try checkBind(sqlite3_bind_null(handle, index))
    }

    /// Advances to the next row: `true` for a row, `false` when done.
    @discardableResult
    public func step() throws -> Bool {
        let rc = sqlite3_step(handle)
        if rc == SQLITE_ROW { return true }
        if rc == SQLITE_DONE { return false }
        // With sqlite3_prepare_v3 the step's own code is the error; errmsg explains it.
        let message = database.lastMessage
        sqlite3_reset(handle)
        throw DatabaseError(code: rc, message: message, sql: sql)
    }

    /// Runs a statement that returns no rows (binds first with `bind`), then resets it.
    public func run() throws {
        _ = try step()
        sqlite3_reset(handle)
    }

    /// Rewinds the statement so it can run again; bindings are kept.
    public func reset() {
        // sqlite3_reset returns the last step's error, which `step` already threw.
        sqlite3_reset(handle)
    }

    /// Clears all bindings to NULL.
    public func clearBindings() {
        sqlite3_clear_bindings(handle)
    }

    /// The number of result columns.
    public var columnCount: Int32 { sqlite3_column_count(handle) }

    /// The name of result column `index` (0-based).
    public func columnName(_ index: Int32) -> String {
        guard let name = sqlite3_column_name(handle, index) else { return "" }
        return String(cString: name)
    }

    /// Whether column `index` of the current row is NULL.
    @inline(__always)
    public func isNull(_ index: Int32) -> Bool {
        sqlite3_column_type(handle, index) == SQLITE_NULL
    }

    /// Column `index` as an integer (NULL reads as 0).
    @inline(__always)
    public func int64(_ index: Int32) -> Int64 {
        sqlite3_column_int64(handle, index)
    }

    /// Column `index` as a real (NULL reads as 0).
    @inline(__always)
    public func double(_ index: Int32) -> Double {
        sqlite3_column_double(handle, index)
    }

    /// Column `index` as text (NULL reads as "").
    public func text(_ index: Int32) -> String {
        guard let p = sqlite3_column_text(handle, index) else { return "" }
        let n = Int(sqlite3_column_bytes(handle, index))
        return String(decoding: UnsafeBufferPointer(start: p, count: n), as: UTF8.self)
    }

    /// Column `index` with its SQLite storage class (BLOBs read as text).
    public func value(_ index: Int32) -> SQLValue {
        switch sqlite3_column_type(handle, index) {
        case SQLITE_NULL: .null
        case SQLITE_INTEGER: .integer(sqlite3_column_int64(handle, index))
        case SQLITE_FLOAT: .real(sqlite3_column_double(handle, index))
        default: .text(text(index))
        }
    }
}

