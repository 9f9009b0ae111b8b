/// A value bound to a SQL parameter. Renderers collect these as they write SQL text;
/// no literal from a query is ever spliced into SQL that the engine runs.
public enum SQLValue: Hashable, Sendable, CustomStringConvertible {
    case null
    case integer(Int64)
    case real(Double)
    case text(String)

    /// `s` as a SQL string literal, quotes doubled (SQLite's and PostgreSQL's own quoting).
    public static func quote(_ s: String) -> String {
        var out = "'"
        for ch in s.unicodeScalars {
            if ch == "'" { out += "''" } else { out.unicodeScalars.append(ch) }
        }
        return out + "'"
    }

    public var description: String {
        switch self {
        case .null: "NULL"
        case .integer(let v): String(v)
        case .real(let v): String(v)
        case .text(let s): SQLValue.quote(s)
        }
    }

    /// The value as plain text, unquoted (`"34"`, `"abc"`; NULL as `""`).
    public var plainText: String {
        switch self {
        case .null: ""
        case .integer(let v): String(v)
        case .real(let v): String(v)
        case .text(let s): s
        }
    }
}
