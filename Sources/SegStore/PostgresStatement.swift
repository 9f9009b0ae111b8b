// A prepared statement on a PostgreSQL connection (`PostgresDatabase.prepare`): what
// the store's callers bind and step through, as they do `SQLiteDatabase`'s.

import CLibPQ
import SegQL

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A statement on a PostgreSQL connection: parameters collected by `bind`, run at the
/// first `step` (or `run`), its rows then read from the result.
final class PostgresStatement: PreparedStatement {
    let database: PostgresDatabase
    let sql: String
    /// The SQL with `$n` placeholders.
    let text: String
    /// The parameter numbers the SQL uses.
    let used: Set<Int>
    /// The name of the server-side prepared statement, for statements run many times.
    let serverName: String?
    private var preparedOnServer = false
    private var params: [SQLValue?]
    private var result: OpaquePointer?
    private var row: Int32 = -1
    private var rows: Int32 = 0

    init(database: PostgresDatabase, sql: String, text: String, parameterCount: Int, used: Set<Int>, serverName: String? = nil) {
        self.database = database
        self.sql = sql
        self.text = text
        self.used = used
        self.serverName = serverName
        self.params = Array(repeating: nil, count: parameterCount)
    }

    deinit {
        if let result { PQclear(result) }
        if let serverName, preparedOnServer { database.deallocate(serverName) }
    }

    /// Runs the statement with the bound parameters.
    private func execute() throws -> OpaquePointer {
        if let serverName {
            return try database.execPrepared(serverName, prepared: &preparedOnServer, text, params, used: used, sql: sql)
        }
        return try database.exec(text, params, used: used, sql: sql)
    }

    /// Reads `result` (owned by the caller) as the current row `row`.
    func adopt(_ result: OpaquePointer, row: Int32) {
        self.result = result
        self.row = row
        self.rows = PQntuples(result)
    }

    /// Forgets a result adopted with `adopt` (its owner frees it).
    func release() {
        result = nil
    }

    func bind(_ values: [SQLValue]) throws {
        reset()
        guard values.count == params.count else {
            throw DatabaseError(.range, message: "\(values.count) values for \(params.count) parameters", sql: sql, sqlState: "22023")
        }
        for (i, v) in values.enumerated() { params[i] = v }
    }

    func bind(_ value: SQLValue, at index: Int32) throws {
        guard index >= 1, Int(index) <= params.count else {
            throw DatabaseError(.range, message: "no parameter \(index)", sql: sql, sqlState: "22023")
        }
        params[Int(index) - 1] = value
    }

    func bind(_ value: Int64, at index: Int32) throws { try bind(.integer(value), at: index) }
    func bind(_ value: Double, at index: Int32) throws { try bind(.real(value), at: index) }
    func bind(_ value: String, at index: Int32) throws { try bind(.text(value), at: index) }
    func bind(_ value: String?, at index: Int32) throws { try bind(value.map { .text($0) } ?? .null, at: index) }
    func bind(_ value: Int64?, at index: Int32) throws { try bind(value.map { .integer($0) } ?? .null, at: index) }
    func bindNull(at index: Int32) throws { try bind(.null, at: index) }

    @discardableResult
    func step() throws -> Bool {
        if result == nil {
            result = try execute()
            rows = PQntuples(result)
            row = -1
        }
        row += 1
        return row < rows
    }

    func run() throws {
        reset()
        PQclear(try execute())
    }

    func reset() {
        if let result { PQclear(result) }
        result = nil
        row = -1
        rows = 0
    }

    var columnCount: Int32 { result.map { PQnfields($0) } ?? 0 }

    func columnName(_ index: Int32) -> String {
        guard let result, let name = PQfname(result, index) else { return "" }
        return String(cString: name)
    }

    func isNull(_ index: Int32) -> Bool {
        guard let result else { return true }
        return PQgetisnull(result, row, index) == 1
    }

    func int64(_ index: Int32) -> Int64 {
        guard let result, PQgetisnull(result, row, index) == 0, let p = PQgetvalue(result, row, index) else { return 0 }
        if PQftype(result, index) == 16 { return p.pointee == CChar(UInt8(ascii: "t")) ? 1 : 0 }
        let s = String(cString: p)
        if let i = Int64(s) { return i }
        return Double(s).map { Int64($0) } ?? 0
    }

    func double(_ index: Int32) -> Double {
        guard let result, PQgetisnull(result, row, index) == 0, let p = PQgetvalue(result, row, index) else { return 0 }
        return Double(String(cString: p)) ?? Double(int64(index))
    }

    func text(_ index: Int32) -> String {
        guard let result, let p = PQgetvalue(result, row, index) else { return "" }
        return String(cString: p)
    }

    func value(_ index: Int32) -> SQLValue {
        guard let result, PQgetisnull(result, row, index) == 0 else { return .null }
        switch PQftype(result, index) {
        case 20, 21, 23, 26, 16: // int8, int2, int4, oid, bool
            return .integer(int64(index))
        case 700, 701: // float4, float8
            return .real(double(index))
        case 1700: // numeric: sum() of bigint
            let s = text(index)
            if let i = Int64(s) { return .integer(i) }
            return .real(Double(s) ?? 0)
        case 3802: // jsonb (attribute values): a scalar as SQLite holds it
            let s = text(index)
            let parsed = Array(s.utf8).withUnsafeBufferPointer { LineError.parseWhole($0) }
            switch parsed {
            case .success(.string(let t)): return .text(t)
            case .success(.integer(let i)): return .integer(i)
            case .success(.number(let d)): return .real(d)
            case .success(.bool(let b)): return .integer(b ? 1 : 0)
            default: return .text(s)
            }
        default:
            return .text(text(index))
        }
    }
}
