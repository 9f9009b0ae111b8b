// A thin, checked wrapper over one PostgreSQL connection (libpq).
//
// The same contract as `SQLiteDatabase`: every call's result is checked, a failure
// throws `DatabaseError` quoting the server's message, its SQLSTATE and the SQL that
// failed, and large results are streamed (`stream`: a cursor, 10,000 rows per FETCH)
// so that a million contacts are never held in memory at once.
//
// SQL reaches PostgreSQL as written by the callers, with SQLite's placeholders (`?`,
// `?NNN`) renumbered to `$n`; everything else the callers write is the subset both
// databases accept. Parameters travel as text: integers typed `int8`, reals `float8`,
// text and NULL left for the server to infer from where they are used.

import CLibPQ
import SegQL

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One PostgreSQL connection, owned by this object and closed when it is released.
///
/// Used from one thread at a time; only `interrupt()` may be called from another
/// (libpq's cancel request is thread-safe), hence `@unchecked Sendable`.
public final class PostgresDatabase: Database, @unchecked Sendable {
    /// The connection handle; valid for the object's whole life.
    let connection: OpaquePointer
    /// The cancel handle for `interrupt()`, made once at connect.
    private let cancelHandle: OpaquePointer?
    /// The connection string it was opened with, without its password (for messages).
    public let url: String
    /// The connection string as given (password included), for `connectAgain()`.
    private let connectionString: String
    /// Whether it was opened read-only.
    private let readOnly: Bool
    /// Rows changed by the last command.
    public private(set) var changes = 0
    /// The running statement's cancellation: once it is cancelled, no query is sent
    /// (one already running is stopped by `interrupt()`, which the session calls).
    public var cancellation: Cancellation?

    /// Whether the store's tables are distributed by contact (set by `Store` on a Citus
    /// cluster): its SQL is then written in the form each shard answers by itself.
    public var distributedByContact = false

    public var dialect: any SQLDialect { PostgresDialect(distributedByContact: distributedByContact) }

    /// Connects to `url` (`postgres://user@host:port/dbname?…`, or any libpq
    /// connection string). With `readOnly`, every transaction is read-only.
    public init(url: String, readOnly: Bool = false) throws {
        // SQLSTATE 08001: sqlclient_unable_to_establish_sqlconnection.
        guard let conn = PQconnectdb(url) else {
            throw DatabaseError(.error, message: "cannot connect: out of memory", sqlState: "08001")
        }
        guard PQstatus(conn) == CONNECTION_OK else {
            let message = Self.trimmed(String(cString: PQerrorMessage(conn)))
            PQfinish(conn)
            throw DatabaseError(.error, message: "cannot connect: \(message)", sqlState: "08001")
        }
        connection = conn
        cancelHandle = PQgetCancel(conn)
        self.url = Self.redacted(url)
        connectionString = url
        self.readOnly = readOnly
        // NOTICEs ("table does not exist, skipping") are not for the user.
        PQsetNoticeProcessor(conn, { _, _ in }, nil)
        try execute("SET client_encoding = 'UTF8'; SET client_min_messages = warning")
        if readOnly { try execute("SET default_transaction_read_only = on") }
    }

    /// A second connection to the same database, as the same user, with the same
    /// settings from the connection string (the store copy loads tables over two).
    public func connectAgain() throws -> PostgresDatabase {
        try PostgresDatabase(url: connectionString, readOnly: readOnly)
    }

    deinit {
        if let cancelHandle { PQfreeCancel(cancelHandle) }
        PQfinish(connection)
    }

    /// Whether `path` names a PostgreSQL database rather than an SQLite file.
    public static func isURL(_ path: String) -> Bool {
        path.hasPrefix("postgres://") || path.hasPrefix("postgresql://")
    }

    /// `url` without its password (`postgres://user:secret@host` → `postgres://user@host`).
    public static func redacted(_ url: String) -> String {
        let chars = Array(url)
        guard let schemeEnd = (0..<max(0, chars.count - 2)).first(where: { chars[$0] == ":" && chars[$0 + 1] == "/" && chars[$0 + 2] == "/" })
        else { return url }
        let start = schemeEnd + 3
        guard let at = chars[start...].firstIndex(where: { $0 == "@" }),
              !chars[start..<at].contains("/"),
              let colon = chars[start..<at].firstIndex(of: ":") else { return url }
        return String(chars[..<colon]) + String(chars[at...])
    }

    static func trimmed(_ s: String) -> String {
        var s = Substring(s)
        while let last = s.last, last == "\n" || last == " " { s = s.dropLast() }
        return String(s)
    }

    /// The server's version, e.g. "15.18".
    public var serverVersion: String {
        let v = PQserverVersion(connection)
        return v >= 100_000 ? "\(v / 10_000).\(v % 10_000)" : "\(v / 10_000).\((v / 100) % 100).\(v % 100)"
    }

    // MARK: - Errors

    /// The error a failed result (or, without one, the connection) reports.
    func error(_ result: OpaquePointer?, sql: String?) -> DatabaseError {
        guard let result, let primary = PQresultErrorField(result, Int32(UInt8(ascii: "M"))) else {
            // No result from the server: the connection failed (SQLSTATE 08006).
            return DatabaseError(.error, message: Self.trimmed(String(cString: PQerrorMessage(connection))),
                                 sql: sql, sqlState: "08006")
        }
        var message = String(cString: primary)
        if let detail = PQresultErrorField(result, Int32(UInt8(ascii: "D"))) { message += " (\(String(cString: detail)))" }
        let state = PQresultErrorField(result, Int32(UInt8(ascii: "C"))).map { String(cString: $0) } ?? "XX000"
        let code: ResultCode
        switch state {
        case "57014": code = .interrupt           // query_canceled
        case "25006": code = .readOnly            // read_only_sql_transaction
        case _ where state.hasPrefix("23"): code = .constraint
        default: code = .error
        }
        return DatabaseError(code, message: message, sql: sql, sqlState: state)
    }

    /// Throws unless `result` has one of the `ok` statuses; frees it when throwing.
    func check(_ result: OpaquePointer?, _ ok: [ExecStatusType], sql: String) throws {
        guard let result, ok.contains(PQresultStatus(result)) else {
            let e = error(result, sql: sql)
            PQclear(result)
            throw e
        }
    }

    // MARK: - Running statements

    public func execute(_ sql: String) throws {
        try checkCancelled(sql)
        PQclear(try completed(PQexec(connection, sql), sql: sql))
    }

    /// Throws an interrupt error, without sending `sql`, once the statement is cancelled.
    private func checkCancelled(_ sql: String) throws {
        if cancellation?.isCancelled == true {
            throw DatabaseError(code: DatabaseError.interrupt, message: "interrupted", sql: sql, sqlState: "57014")
        }
    }

    public func execute(_ sql: String, _ params: [SQLValue]) throws {
        try bound(sql, params).run()
    }

    public func prepare(_ sql: String, persistent: Bool) throws -> PreparedStatement {
        let (text, count, used) = Self.renumberPlaceholders(sql)
        var name: String?
        if persistent {
            preparedStatements += 1
            name = "segq_stmt_\(preparedStatements)"
        }
        return PostgresStatement(database: self, sql: sql, text: text, parameterCount: count, used: used, serverName: name)
    }

    /// Server-side prepared statements made so far (their names are numbered).
    private var preparedStatements = 0

    /// Runs the server-side prepared statement `name`, preparing it first if `prepared`
    /// is false (with the parameter types of this first run).
    func execPrepared(_ name: String, prepared: inout Bool, _ text: String, _ params: [SQLValue?], used: Set<Int>, sql: String) throws -> OpaquePointer {
        try checkCancelled(sql)
        if !prepared {
            let result = Self.withParameters(params, used: used) { types, _ in
                PQprepare(connection, name, text, Int32(params.count), types)
            }
            try check(result, [PGRES_COMMAND_OK], sql: sql)
            PQclear(result)
            prepared = true
        }
        return try completed(Self.withParameters(params, used: used) { _, values in
            PQexecPrepared(connection, name, Int32(params.count), values, nil, nil, 0)
        }, sql: sql)
    }

    /// Forgets a server-side prepared statement (errors ignored: in an aborted
    /// transaction the server refuses, and the statement goes with the connection).
    func deallocate(_ name: String) {
        PQclear(PQexec(connection, "DEALLOCATE \(name)"))
    }

    /// The result of a command that ran to completion, checked, with its row count
    /// noted for `changes`.
    private func completed(_ result: OpaquePointer?, sql: String) throws -> OpaquePointer {
        try check(result, [PGRES_COMMAND_OK, PGRES_TUPLES_OK, PGRES_EMPTY_QUERY], sql: sql)
        if let tuples = PQcmdTuples(result) { changes = Int(String(cString: tuples)) ?? 0 }
        return result!
    }

    /// Runs `text` with `params`, returning the (checked) result.
    func exec(_ text: String, _ params: [SQLValue?], used: Set<Int>, sql: String) throws -> OpaquePointer {
        try checkCancelled(sql)
        return try completed(Self.withParameters(params, used: used) { types, values in
            PQexecParams(connection, text, Int32(params.count), types, values, nil, nil, 0)
        }, sql: sql)
    }

    /// Calls `row` for each row of `result`, read through `statement`.
    private func forEachRow(of result: OpaquePointer, _ statement: PostgresStatement, _ row: (Row) throws -> Void) throws {
        defer { statement.release() }
        for i in 0..<PQntuples(result) {
            statement.adopt(result, row: i)
            try row(Row(statement: statement))
        }
    }

    public func query(_ sql: String, _ params: [SQLValue], row: (Row) throws -> Void) throws {
        let statement = try bound(sql, params)
        let result = try exec(statement.text, params.map { Optional($0) }, used: statement.used, sql: sql)
        defer { PQclear(result) }
        try forEachRow(of: result, statement, row)
    }

    /// A one-off statement for `sql` with `params` bound (their number checked).
    private func bound(_ sql: String, _ params: [SQLValue]) throws -> PostgresStatement {
        let (text, count, used) = Self.renumberPlaceholders(sql)
        let statement = PostgresStatement(database: self, sql: sql, text: text, parameterCount: count, used: used)
        try statement.bind(params)
        return statement
    }

    /// Rows per FETCH when streaming through a cursor.
    static let fetchSize = 10_000
    private var cursors = 0

    /// Streams a SELECT through a cursor, `fetchSize` rows per round trip (libpq's
    /// single-row mode costs about 7 µs a row; a whole result would be held in memory).
    /// Outside a transaction, the cursor gets one of its own.
    public func stream(_ sql: String, _ params: [SQLValue], row: (Row) throws -> Void) throws {
        let statement = try bound(sql, params)
        let own = !isInTransaction
        if own { try execute("BEGIN") }
        do {
            cursors += 1
            let name = "segq_rows_\(cursors)"
            // Plan for reading every row, not for the first ones (cursor_tuple_fraction).
            try execute("SET LOCAL cursor_tuple_fraction = 1.0")
            PQclear(try exec("DECLARE \(name) NO SCROLL CURSOR FOR \(statement.text)", params.map { Optional($0) },
                             used: statement.used, sql: sql))
            while true {
                let batch = try exec("FETCH \(Self.fetchSize) FROM \(name)", [], used: [], sql: sql)
                defer { PQclear(batch) }
                try forEachRow(of: batch, statement, row)
                if PQntuples(batch) < Int32(Self.fetchSize) { break }
            }
            try execute("CLOSE \(name)")
            if own { try execute("COMMIT") }
        } catch {
            if own { rollbackQuietly() }
            throw error
        }
    }

    // MARK: - Transactions

    public func begin() throws { try execute("BEGIN") }

    public func rollbackQuietly() {
        if isInTransaction { PQclear(PQexec(connection, "ROLLBACK")) }
    }

    public var isInTransaction: Bool {
        let status = PQtransactionStatus(connection)
        return status == PQTRANS_INTRANS || status == PQTRANS_INERROR || status == PQTRANS_ACTIVE
    }

    public func interrupt() {
        if let cancelHandle { Self.cancel(cancelHandle) }
    }

    static func cancel(_ handle: OpaquePointer) {
        var buffer = [CChar](repeating: 0, count: 256)
        _ = PQcancel(handle, &buffer, Int32(buffer.count))
    }

    /// The id the last INSERT on this connection drew from its table's sequence.
    public var lastInsertRowID: Int64 {
        get throws { try int64("SELECT lastval()", []) ?? 0 }
    }

    // MARK: - COPY

    /// Streams rows into `table(columns)` with `COPY … FROM STDIN` (text format), frozen
    /// with `freeze` (`BulkLoader.copy`). `produce` writes the rows.
    public func copy(into table: String, columns: [String], freeze: Bool,
                     _ produce: (inout CopyWriter) throws -> Void) throws {
        let sql = "COPY \(table)(\(columns.joined(separator: ", "))) FROM STDIN" + (freeze ? " (FREEZE)" : "")
        try check(PQexec(connection, sql), [PGRES_COPY_IN], sql: sql)
        var writer = CopyWriter(database: self, sql: sql)
        var failure: Error?
        do {
            try produce(&writer)
            try writer.flush(force: true)
        } catch {
            failure = error
        }
        let ended = PQputCopyEnd(connection, failure == nil ? nil : "segq stopped the copy")
        var serverError: DatabaseError?
        while let result = PQgetResult(connection) {
            if serverError == nil, PQresultStatus(result) != PGRES_COMMAND_OK { serverError = error(result, sql: sql) }
            PQclear(result)
        }
        if let failure { throw failure }
        if let serverError { throw serverError }
        if ended != 1 { throw error(nil, sql: sql) }
    }

    // MARK: - Parameters

    /// `{"a","b\\"c"}`: texts as a PostgreSQL array literal, for one `= ANY(CAST(? AS
    /// text[]))` parameter instead of a parameter per item.
    public static func arrayLiteral(_ items: [String]) -> String {
        var out = "{"
        for (i, item) in items.enumerated() {
            if i > 0 { out += "," }
            out += "\""
            for ch in item.unicodeScalars {
                if ch == "\"" || ch == "\\" { out += "\\" }
                out.unicodeScalars.append(ch)
            }
            out += "\""
        }
        return out + "}"
    }

    /// Calls `body` with libpq's parameter arrays: type OIDs and NUL-terminated texts.
    /// A parameter the SQL does not use is sent as text (the server cannot infer a type
    /// for it).
    static func withParameters<T>(_ params: [SQLValue?], used: Set<Int>, _ body: (UnsafePointer<Oid>?, UnsafePointer<UnsafePointer<CChar>?>?) -> T) -> T {
        if params.isEmpty { return body(nil, nil) }
        var types = [Oid](repeating: 0, count: params.count)
        var texts: [UnsafeMutablePointer<CChar>?] = []
        texts.reserveCapacity(params.count)
        for (i, p) in params.enumerated() {
            if !used.contains(i + 1) { types[i] = 25 }
            switch p {
            case nil, .null?:
                texts.append(nil)
            case .integer(let v)?:
                types[i] = 20 // int8
                texts.append(strdup(String(v)))
            case .real(let v)?:
                types[i] = 701 // float8
                texts.append(strdup(v.isNaN ? "NaN" : v.isInfinite ? (v > 0 ? "Infinity" : "-Infinity") : "\(v)"))
            case .text(let s)?:
                texts.append(strdup(s))
            }
        }
        defer { for t in texts { free(t) } }
        let values = texts.map { UnsafePointer($0) }
        return types.withUnsafeBufferPointer { t in
            values.withUnsafeBufferPointer { v in body(t.baseAddress, v.baseAddress) }
        }
    }

    /// SQLite's placeholders as PostgreSQL's: `?NNN` → `$NNN`, a bare `?` → the next
    /// number after the largest so far (SQLite's rule). Quoted text, quoted
    /// identifiers and comments are left alone. Returns the text and the parameter count.
    static func renumberPlaceholders(_ sql: String) -> (text: String, count: Int, used: Set<Int>) {
        var out = [UInt8]()
        let bytes = Array(sql.utf8)
        out.reserveCapacity(bytes.count + 8)
        var largest = 0
        var used = Set<Int>()
        var i = 0
        while i < bytes.count {
            let b = bytes[i]
            switch b {
            case UInt8(ascii: "'"), UInt8(ascii: "\""):
                var j = i + 1
                while j < bytes.count, bytes[j] != b { j += 1 }
                out += bytes[i..<min(j + 1, bytes.count)]
                i = j + 1
            case UInt8(ascii: "-") where i + 1 < bytes.count && bytes[i + 1] == UInt8(ascii: "-"):
                var j = i
                while j < bytes.count, bytes[j] != 0x0A { j += 1 }
                out += bytes[i..<j]
                i = j
            case UInt8(ascii: "$") where i + 1 < bytes.count && bytes[i + 1] >= 0x30 && bytes[i + 1] <= 0x39:
                // Already PostgreSQL's (SQL rendered for this dialect): counted, kept.
                var j = i + 1
                var n = 0
                while j < bytes.count, bytes[j] >= 0x30, bytes[j] <= 0x39 {
                    n = n * 10 + Int(bytes[j] - 0x30)
                    j += 1
                }
                largest = max(largest, n)
                used.insert(n)
                out += bytes[i..<j]
                i = j
            case UInt8(ascii: "?"):
                var j = i + 1
                var n = 0
                while j < bytes.count, bytes[j] >= 0x30, bytes[j] <= 0x39 {
                    n = n * 10 + Int(bytes[j] - 0x30)
                    j += 1
                }
                if j == i + 1 { n = largest + 1 }
                largest = max(largest, n)
                used.insert(n)
                out += Array("$\(n)".utf8)
                i = j
            default:
                out.append(b)
                i += 1
            }
        }
        return (String(decoding: out, as: UTF8.self), largest, used)
    }
}
