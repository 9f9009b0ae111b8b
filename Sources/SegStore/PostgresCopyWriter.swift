// The rows `PostgresDatabase.copy(into:columns:)` sends: PostgreSQL's COPY text
// format, escaped and buffered into large chunks (the importer's and the store
// transfer's bulk path on PostgreSQL).

import CLibPQ
import SegQL

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Rows for `COPY … FROM STDIN` in PostgreSQL's text format, sent in large chunks.
public struct CopyWriter {
    let database: PostgresDatabase
    let sql: String
    var buffer: [UInt8] = []
    var fieldsInRow = 0

    init(database: PostgresDatabase, sql: String) {
        self.database = database
        self.sql = sql
        buffer.reserveCapacity(1 << 20)
    }

    private mutating func separate() {
        if fieldsInRow > 0 { buffer.append(0x09) }
        fieldsInRow += 1
    }

    /// A NULL field.
    public mutating func null() {
        separate()
        buffer += [UInt8(ascii: "\\"), UInt8(ascii: "N")]
    }

    /// An integer field.
    public mutating func int(_ v: Int64) {
        separate()
        buffer += String(v).utf8
    }

    /// An integer field, or NULL.
    public mutating func int(_ v: Int64?) {
        if let v { int(v) } else { null() }
    }

    /// A text field, escaped (`\`, tab, newline, carriage return).
    public mutating func text(_ s: String?) {
        guard let s else { return null() }
        separate()
        for b in s.utf8 {
            switch b {
            case UInt8(ascii: "\\"): buffer += [UInt8(ascii: "\\"), UInt8(ascii: "\\")]
            case 0x09: buffer += [UInt8(ascii: "\\"), UInt8(ascii: "t")]
            case 0x0A: buffer += [UInt8(ascii: "\\"), UInt8(ascii: "n")]
            case 0x0D: buffer += [UInt8(ascii: "\\"), UInt8(ascii: "r")]
            default: buffer.append(b)
            }
        }
    }

    /// Ends the row (and sends the rows so far once they fill a megabyte).
    public mutating func endRow() throws {
        buffer.append(0x0A)
        fieldsInRow = 0
        try flush(force: false)
    }

    /// Sends the buffer once it is large (or always, with `force`).
    mutating func flush(force: Bool) throws {
        let db = database
        guard !buffer.isEmpty, force || buffer.count >= 1 << 20 else { return }
        let rc = buffer.withUnsafeBufferPointer { b in
            b.baseAddress!.withMemoryRebound(to: CChar.self, capacity: b.count) {
                PQputCopyData(db.connection, $0, Int32(b.count))
            }
        }
        guard rc == 1 else { throw db.error(nil, sql: sql) }
        buffer.removeAll(keepingCapacity: true)
    }
}
