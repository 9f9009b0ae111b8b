// What segq needs of a database connection, whichever database it is.
//
// Two backends implement it: `SQLiteDatabase` (the default, an embedded file) and
// `PostgresDatabase` (a server, through libpq). Everything above the store — the
// session, the actions, the analytics, the importer — talks to `Database`, writes SQL
// that both accept (numbered `?1` or plain `?` placeholders, `ON CONFLICT`, `count(*)
// FILTER (WHERE …)`, `RETURNING`), and asks `dialect` for the few things that differ.
//
// Rows are streamed (`query(_:_:row:)` calls back once per row) so that a query
// returning a million contacts never collects them in memory.

import SegQL

/// An error reported by the database (or found by the wrapper): a result code in
/// SQLite's numbering, the message, and the SQL that failed.
///
/// PostgreSQL's errors keep their SQLSTATE in `sqlState` and are given the nearest
/// SQLite code (a cancelled statement `interrupt`, a read-only transaction `readOnly`,
/// an integrity violation `constraint`), so that callers test one set of codes.
public struct DatabaseError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The (extended) SQLite result code, e.g. 19 (`SQLITE_CONSTRAINT`) or 2067.
    public var code: Int32
    /// The database's message, or, for errors found by the wrapper, ours.
    public var message: String
    /// The SQL being prepared or run, when there was one.
    public var sql: String?
    /// PostgreSQL's five-character SQLSTATE (`57014`), for its errors.
    public var sqlState: String?

    /// Creates an error from its parts.
    public init(code: Int32, message: String, sql: String? = nil, sqlState: String? = nil) {
        self.code = code
        self.message = message
        self.sql = sql
        self.sqlState = sqlState
    }

    /// An error with a primary result code found by the wrapper (not the database).
    public init(_ code: ResultCode, message: String, sql: String? = nil, sqlState: String? = nil) {
        self.init(code: code.rawValue, message: message, sql: sql, sqlState: sqlState)
    }

    /// The raw primary codes of `ResultCode`, for `init(code:…)` written before it.
    public static let error = ResultCode.error.rawValue, readOnly = ResultCode.readOnly.rawValue,
        interrupt = ResultCode.interrupt.rawValue, constraint = ResultCode.constraint.rawValue,
        misuse = ResultCode.misuse.rawValue, range = ResultCode.range.rawValue

    /// The primary result code (the low byte of `code`): `.constraint`, `.readOnly`, ….
    public var resultCode: ResultCode { ResultCode(rawValue: code & 0xff) }

    /// Whether the statement was stopped by `Database.interrupt()`.
    public var isInterrupt: Bool { resultCode == .interrupt }

    /// Whether the statement tried to write to a store opened read-only (SQLite's
    /// `query_only` or an immutable file, any extended `SQLITE_READONLY_*`; PostgreSQL's
    /// read-only transaction, SQLSTATE 25006).
    public var isReadOnly: Bool { resultCode == .readOnly }

    /// Whether SQLite found the file damaged or not a database at all.
    public var isDamage: Bool { resultCode == .corrupt || resultCode == .notADatabase }

    /// `SQLite error 19: UNIQUE constraint failed: campaigns.name - while executing `INSERT …``,
    /// or `PostgreSQL error 23505: duplicate key value … - while executing …`.
    public var description: String {
        var text = sqlState.map { "PostgreSQL error \($0): \(message)" } ?? "SQLite error \(code): \(message)"
        if let sql { text += " - while executing `\(sql)`" }
        return text
    }
}

/// A primary result code in SQLite's numbering (GRDB's `ResultCode`): what kind of
/// failure an error is, whichever database reported it.
public struct ResultCode: RawRepresentable, Hashable, Sendable {
    public let rawValue: Int32
    public init(rawValue: Int32) { self.rawValue = rawValue }

    /// `SQLITE_ERROR`: an error with no more specific code.
    public static let error = ResultCode(rawValue: 1)
    /// `SQLITE_READONLY`: a write to a read-only database.
    public static let readOnly = ResultCode(rawValue: 8)
    /// `SQLITE_INTERRUPT`: the statement was interrupted (PostgreSQL: cancelled).
    public static let interrupt = ResultCode(rawValue: 9)
    /// `SQLITE_CORRUPT`: the file's content is damaged.
    public static let corrupt = ResultCode(rawValue: 11)
    /// `SQLITE_CANTOPEN`: the file (or its journal) cannot be opened.
    public static let cantOpen = ResultCode(rawValue: 14)
    /// `SQLITE_CONSTRAINT`: a uniqueness or integrity constraint failed.
    public static let constraint = ResultCode(rawValue: 19)
    /// `SQLITE_MISUSE`: the API was used wrongly (segq uses it for its own refusals).
    public static let misuse = ResultCode(rawValue: 21)
    /// `SQLITE_RANGE`: a parameter index or count out of range.
    public static let range = ResultCode(rawValue: 25)
    /// `SQLITE_NOTADB`: the file is not a database.
    public static let notADatabase = ResultCode(rawValue: 26)
}

/// An error as a user should read it: a database error without the SQL segq was
/// running (which the user never wrote), unless `verbose`; anything else as it is.
public func userFacingDescription(_ error: Error, verbose: Bool = false) -> String {
    guard var e = error as? DatabaseError, !verbose else { return "\(error)" }
    e.sql = nil
    return e.description
}

/// One connection to a store's database, used from one thread at a time (only
/// `interrupt()` may be called from another).
public protocol Database: AnyObject, Sendable {
    /// How this database spells what differs (placeholders, now, globs, …).
    var dialect: any SQLDialect { get }
    /// Runs one or more `;`-separated statements that take no parameters (rows are discarded).
    func execute(_ sql: String) throws
    /// Runs one statement with parameters, discarding any rows.
    func execute(_ sql: String, _ params: [SQLValue]) throws
    /// Compiles one statement. `persistent` hints that it will be run many times.
    func prepare(_ sql: String, persistent: Bool) throws -> PreparedStatement
    /// Runs a query and calls `row` once per result row.
    func query(_ sql: String, _ params: [SQLValue], row: (Row) throws -> Void) throws
    /// `query` for a SELECT whose result may be large (every contact of an audience):
    /// rows arrive in batches, never all in memory. SQLite always streams; PostgreSQL
    /// reads through a cursor.
    func stream(_ sql: String, _ params: [SQLValue], row: (Row) throws -> Void) throws
    /// Starts a write transaction (`transaction` is the usual way): SQLite's
    /// `BEGIN IMMEDIATE`, PostgreSQL's `BEGIN`.
    func begin() throws
    /// Rolls back the open transaction, if any.
    func rollbackQuietly()
    /// Whether a transaction is open.
    var isInTransaction: Bool { get }
    /// Makes the running statement (on whatever thread) fail soon with an interrupt error.
    func interrupt()
    /// The cancellation of the statement running now (Ctrl-C, a timeout): once it is
    /// cancelled, statements fail with an interrupt error. SQLite polls it while a
    /// statement runs; PostgreSQL checks it before each statement, and a running one is
    /// stopped by `interrupt()`, which the session calls.
    var cancellation: Cancellation? { get set }
    /// The id given to the row inserted last on this connection.
    var lastInsertRowID: Int64 { get throws }
    /// Rows changed by the last INSERT, UPDATE or DELETE.
    var changes: Int { get }

    // Capabilities: what differs between the backends, asked for rather than tested
    // by type.

    /// The file the database lives in (SQLite), or nil (a server, or in memory): what
    /// an export must never overwrite.
    var file: String? { get }
    /// The names of every table, index and view in the store's schema (SQLite's
    /// `sqlite_master`, PostgreSQL's relations of the current schema).
    func relationNames() throws -> [String]
    /// The database's own plan for a statement, one line per step (SQLite's `EXPLAIN
    /// QUERY PLAN` details, PostgreSQL's `EXPLAIN` lines).
    func queryPlan(_ sql: String, _ params: [SQLValue]) throws -> [String]
    /// The store's tables, indexes and views as SQL, as sqlite3's `.schema` prints them
    /// (PostgreSQL: rebuilt from its catalog).
    func schemaText() throws -> String
    /// How many tables (and views) of the schema are not segq's or an extension's
    /// before segq has made any: a database that has some belongs to another application.
    func foreignTableCount() throws -> Int64
    /// The schema version the store records (0: none yet).
    func schemaVersion() throws -> Int
    /// The backend `Schema` is rendered for.
    var schemaBackend: SchemaBackend { get }
    /// Records the store's schema version (SQLite's `PRAGMA user_version`, PostgreSQL's
    /// `store_info.schema_version`), inside the migrating transaction.
    func recordSchemaVersion(_ version: Int) throws
    /// Keeps a second process from migrating at the same time, until the transaction
    /// ends (PostgreSQL: an advisory lock; SQLite's write transaction already does).
    func lockForMigration() throws
    /// The change mark now, where the database can tell cheaply and nothing uncommitted
    /// is pending (SQLite, outside a transaction); nil otherwise (PostgreSQL, or inside
    /// a transaction): what lets the store reuse what it read last.
    func changeMarkForCaching() throws -> SQLiteDatabase.ChangeMark?
    /// The change mark now, inside a transaction too, where the database can tell
    /// cheaply (SQLite); nil otherwise (PostgreSQL): whether a set remembered before a
    /// transaction of this connection still holds in it.
    func currentChangeMark() throws -> SQLiteDatabase.ChangeMark?
    /// A view body that fails when read with `message` (a saved segment whose text no
    /// longer binds).
    func failingViewBody(_ message: String) -> String
    /// Whether `store_info` keeps its values as text (PostgreSQL), so numbers are
    /// written and read back as their text.
    var keepsInfoAsText: Bool { get }
    /// Whether a statement timeout needs cancel requests sent to a server while the
    /// connection waits for its answer (PostgreSQL, `ServerCanceller`), rather than the
    /// database polling the deadline itself as the statement runs (SQLite).
    var cancelsOnServer: Bool { get }
    /// Whether `interrupt()` can stop only the statement running at that moment, never a
    /// later one (SQLite's `sqlite3_interrupt`; a PostgreSQL cancel request can arrive
    /// late and stop the next statement): what the REPL's live count needs.
    var interruptsOnlyRunningStatement: Bool { get }
    /// The statement behind `Store.frequentAttributeValues` and its parameters: the
    /// string values of attribute `name` starting with `prefix`, with their frequency in
    /// a sample of `sampleRows` attribute rows, most frequent first, `limit` at most.
    /// SQLite also reads up to `distinctLimit` distinct values from the value index;
    /// PostgreSQL, whose values are JSON, the sample's only.
    func frequentValuesQuery(_ name: String, prefix: String, limit: Int, sampleRows: Int,
                             distinctLimit: Int) -> (sql: String, parameters: [SQLValue])
    /// Whether an INSERT gives the new row's id by `RETURNING id`, in the same round trip
    /// (PostgreSQL), rather than by the connection's last rowid (SQLite, where RETURNING
    /// would build a temporary table per row).
    var returnsInsertedIDs: Bool { get }
    /// Loading rows in bulk — COPY into tables, indexes and foreign keys dropped for a
    /// load and made again after it — where the database has it (PostgreSQL); nil where
    /// rows go by multi-row INSERTs (SQLite). The importer and the demo's copy ask.
    var bulkLoader: (any BulkLoader)? { get }
    /// Sets the connection up, outside a transaction, for a large write whose writer
    /// vouches for its rows — every id it writes into a reference column read from or
    /// written into the parent table, every value of a checked column from a closed set
    /// of its own — so the database need not check them; returns the statements that
    /// put the connection back. SQLite: pragmas (a big page cache, memory temporaries,
    /// no zeroing of freed pages, foreign keys and CHECKs off); PostgreSQL: nothing.
    func prepareForVouchedWrite() throws -> [String]
}

extension Database {
    public func prepare(_ sql: String) throws -> PreparedStatement { try prepare(sql, persistent: false) }
    public func stream(_ sql: String, _ params: [SQLValue], row: (Row) throws -> Void) throws {
        try query(sql, params, row: row)
    }
    public func query(_ sql: String, row: (Row) throws -> Void) throws { try query(sql, [], row: row) }
    public func scalar(_ sql: String) throws -> SQLValue? { try scalar(sql, []) }

    /// The first column of the first row, or `nil` when there is no row.
    public func scalar(_ sql: String, _ params: [SQLValue]) throws -> SQLValue? {
        let statement = try prepare(sql, persistent: false)
        try statement.bind(params)
        guard try statement.step() else { return nil }
        return statement.value(0)
    }

    /// The first column of the first row as an integer (`nil` for no row or NULL).
    public func int64(_ sql: String, _ params: [SQLValue]) throws -> Int64? {
        let statement = try prepare(sql, persistent: false)
        try statement.bind(params)
        guard try statement.step(), !statement.isNull(0) else { return nil }
        return statement.int64(0)
    }

    /// The first column of the first row as text (`nil` for no row or NULL).
    public func text(_ sql: String, _ params: [SQLValue]) throws -> String? {
        let statement = try prepare(sql, persistent: false)
        try statement.bind(params)
        guard try statement.step(), !statement.isNull(0) else { return nil }
        return statement.text(0)
    }

    /// Runs `body` in a write transaction: committed when it returns, rolled back when
    /// it throws (the error is rethrown).
    public func transaction<T>(_ body: () throws -> T) throws -> T {
        try begin()
        let result: T
        do {
            result = try body()
        } catch {
            rollbackQuietly()
            throw error
        }
        do {
            try execute("COMMIT")
        } catch {
            rollbackQuietly()
            throw error
        }
        return result
    }
    public func int64(_ sql: String) throws -> Int64? { try int64(sql, []) }
    public func text(_ sql: String) throws -> String? { try text(sql, []) }

    /// Whether this is a PostgreSQL connection (tests ask; segq asks for capabilities).
    public var isPostgres: Bool { self is PostgresDatabase }
}

/// SQL that both databases read alike, for what they spell differently.
enum PortableSQL {
    /// The larger of two values, ignoring a NULL (PostgreSQL's `greatest`; SQLite's
    /// two-argument `max` is NULL when either is).
    static func greatest(_ a: String, _ b: String) -> String {
        "CASE WHEN \(b) IS NULL OR \(a) >= \(b) THEN coalesce(\(a), \(b)) ELSE \(b) END"
    }

    /// The smaller of two values, ignoring a NULL (PostgreSQL's `least`).
    static func least(_ a: String, _ b: String) -> String {
        "CASE WHEN \(b) IS NULL OR \(a) <= \(b) THEN coalesce(\(a), \(b)) ELSE \(b) END"
    }
}

/// A compiled statement: bind, step through the rows, read the current row.
public protocol PreparedStatement: AnyObject {
    /// The statement's SQL text.
    var sql: String { get }
    /// Resets the statement and binds `values` to parameters 1…n (their count must match).
    func bind(_ values: [SQLValue]) throws
    /// Binds one value to the parameter at 1-based `index`.
    func bind(_ value: SQLValue, at index: Int32) throws
    func bind(_ value: Int64, at index: Int32) throws
    func bind(_ value: Double, at index: Int32) throws
    func bind(_ value: String, at index: Int32) throws
    func bind(_ value: String?, at index: Int32) throws
    func bind(_ value: Int64?, at index: Int32) throws
    func bindNull(at index: Int32) throws
    /// Advances to the next row: `true` for a row, `false` when done.
    @discardableResult func step() throws -> Bool
    /// Runs a statement that returns no rows, then resets it.
    func run() throws
    /// Rewinds the statement so it can run again; bindings are kept.
    func reset()
    /// The number of result columns.
    var columnCount: Int32 { get }
    /// The name of result column `index` (0-based).
    func columnName(_ index: Int32) -> String
    /// Whether column `index` of the current row is NULL.
    func isNull(_ index: Int32) -> Bool
    /// Column `index` as an integer (NULL reads as 0).
    func int64(_ index: Int32) -> Int64
    /// Column `index` as a real (NULL reads as 0).
    func double(_ index: Int32) -> Double
    /// Column `index` as text (NULL reads as "").
    func text(_ index: Int32) -> String
    /// Column `index` as a value.
    func value(_ index: Int32) -> SQLValue
}

/// The current row of a running query (valid only inside the row callback).
public struct Row {
    /// The statement whose current row this is.
    public let statement: PreparedStatement

    /// The number of columns.
    public var count: Int32 { statement.columnCount }
    /// Whether column `i` is NULL.
    public func isNull(_ i: Int32) -> Bool { statement.isNull(i) }
    /// Column `i` as an integer.
    public func int64(_ i: Int32) -> Int64 { statement.int64(i) }
    /// Column `i` as a real.
    public func double(_ i: Int32) -> Double { statement.double(i) }
    /// Column `i` as text.
    public func text(_ i: Int32) -> String { statement.text(i) }
    /// Column `i` as text, or nil when NULL.
    public func optionalText(_ i: Int32) -> String? { statement.isNull(i) ? nil : statement.text(i) }
    /// Column `i` as an integer, or nil when NULL.
    public func optionalInt64(_ i: Int32) -> Int64? { statement.isNull(i) ? nil : statement.int64(i) }
    /// Column `i` as a value.
    public func value(_ i: Int32) -> SQLValue { statement.value(i) }
    /// The name of column `i`.
    public func name(_ i: Int32) -> String { statement.columnName(i) }
}
