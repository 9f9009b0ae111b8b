// SQLite's flavour of SQL: numbered `?NNN` placeholders, GLOB for case-sensitive
// `*` patterns, single-quoted literals with quotes doubled.

/// The SQLite dialect.
public struct SQLiteDialect: SQLDialect {
    public init() {}

    public var name: String { "sqlite" }

    public func placeholder(_ index: Int) -> String { "?\(index)" }

    public var nowExpression: String { "CAST(strftime('%s', 'now') AS INTEGER)" }

    /// SQLite's `'-N months'` carries an overflowing day into the next month (31 March
    /// less a month is 3 March); the last day of the month N months back, at now's time
    /// of day, caps it, which is the clamping `Timestamp.monthsBefore` does.
    public func monthsBeforeNow(_ placeholder: String) -> String {
        let back = "'-' || \(placeholder) || ' months'"
        return "MIN(CAST(strftime('%s', 'now', \(back)) AS INTEGER), "
            + "CAST(strftime('%s', 'now', 'start of month', \(back), '+1 months', '-1 days') AS INTEGER) + "
            + "\(nowExpression) % 86400)"
    }

    public func literal(_ value: SQLValue) -> String {
        switch value {
        case .null: return "NULL"
        case .integer(let i): return String(i)
        case .real(let d):
            guard d.isFinite else { return d.isNaN ? "NULL" : d > 0 ? "9e999" : "-9e999" }
            // Always with a decimal point or exponent, so SQLite reads a REAL.
            let s = String(d)
            return s.contains(".") || s.contains("e") ? s : s + ".0"
        case .text(let s):
            // A NUL cannot appear inside an SQL string literal; spell such text in hex.
            if s.utf8.contains(0) {
                let hex = s.utf8.map { b in
                    let digits = Array("0123456789ABCDEF")
                    return String([digits[Int(b >> 4)], digits[Int(b & 15)]])
                }.joined()
                return "CAST(X'\(hex)' AS TEXT)"
            }
            return SQLValue.quote(s)
        }
    }

    public func globMatch(_ column: String, _ pattern: String) -> String {
        "\(column) GLOB \(pattern)"
    }

    public func globPattern(_ pattern: GlobPattern) -> String { pattern.sqliteGlob }

    /// Without it, SQLite counts contacts through the narrowest unique index (phone),
    /// out of id order, and then looks up each contact's rollup at random: 2.6× slower
    /// for `count not opened` on the 1M-contact demo store (docs/benchmarks.md).
    public var contactsScanHint: String { " NOT INDEXED" }

    public func indexHint(_ index: String) -> String { " INDEXED BY \(index)" }

    /// The ids as a JSON array, read by `json_each` (built into SQLite since 3.38): one
    /// bound value however many ids, so no limit on parameters.
    public func idListMembership(_ column: String, _ placeholder: String) -> String {
        "\(column) IN (SELECT value FROM json_each(\(placeholder)))"
    }

    public func idListValue(_ ids: [Int64]) -> SQLValue {
        .text("[" + ids.map(String.init).joined(separator: ",") + "]")
    }

    /// The values as a JSON array, read by `json_each`, like `idListMembership`.
    public func valueListMembership(_ value: String, _ placeholder: String, type: String) -> String {
        "\(value) IN (SELECT value FROM json_each(\(placeholder)))"
    }

    public func valueListValue(_ values: [SQLValue]) -> SQLValue {
        var json = "["
        for (i, v) in values.enumerated() {
            if i > 0 { json += "," }
            switch v {
            case .text(let s): json += JSONText.string(s)
            case .integer(let n): json += String(n)
            case .real(let d): json += d.isFinite ? String(d) : "null"
            default: json += "null"
            }
        }
        return .text(json + "]")
    }
}
