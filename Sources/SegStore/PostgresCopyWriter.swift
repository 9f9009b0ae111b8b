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
        buffer.append(UInt8(ascii: "\\"))
        buffer.append(UInt8(ascii: "N"))
    }

    /// An integer field, its digits written straight into the buffer (no String per
    /// field: a copied demo store has a quarter of a billion of them).
    public mutating func int(_ v: Int64) {
        separate()
        if v < 0 { buffer.append(UInt8(ascii: "-")) }
        var m = v.magnitude
        var count = 1
        var rest = m
        while rest >= 10 {
            rest /= 10
            count += 1
        }
        buffer.append(contentsOf: repeatElement(UInt8(ascii: "0"), count: count))
        var i = buffer.count
        repeat {
            i -= 1
            buffer[i] = UInt8(truncatingIfNeeded: m % 10) &+ UInt8(ascii: "0")
            m /= 10
        } while m > 0
    }

    /// An integer field, or NULL.
    public mutating func int(_ v: Int64?) {
        if let v { int(v) } else { null() }
    }

    /// A text field, escaped (`\`, tab, newline, carriage return).
    public mutating func text(_ s: String?) {
        guard var s else { return null() }
        separate()
        let plain = s.withUTF8 { bytes in
            // Most texts need no escape: appended whole.
            if bytes.contains(where: CopyWriter.needsEscape) { return false }
            buffer.append(contentsOf: bytes)
            return true
        }
        if plain { return }
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

    /// Whether a byte must be escaped in a COPY text field.
    @inline(__always)
    static func needsEscape(_ b: UInt8) -> Bool {
        b == UInt8(ascii: "\\") || b == 0x09 || b == 0x0A || b == 0x0D
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
