/// A value bound to a SQL parameter. Renderers collect these as they write SQL text;
/// no literal from a query is ever spliced into SQL that the engine runs.
public enum SQLValue: Hashable, Sendable, CustomStringConvertible {
    case null
    case integer(Int64)
    case real(Double)
    case text(String)

    public var description: String {
        switch self {
        case .null: "NULL"
        case .integer(let v): String(v)
        case .real(let v): String(v)
        case .text(let s): "'" + s.replacingOccurrences(of: "'", with: "''") + "'"
        }
    }
}
