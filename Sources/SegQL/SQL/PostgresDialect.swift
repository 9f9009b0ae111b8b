// PostgreSQL's flavour of SQL: `$n` placeholders, LIKE with `\` escapes for `*`
// patterns, booleans as TRUE/FALSE, attribute values in `jsonb` read through a CASE
// that checks their JSON type first (so a string is never cast to a number).

/// The PostgreSQL dialect (also what PostgreSQL-compatible engines such as Citus read).
public struct PostgresDialect: SQLDialect {
    /// Whether the store's tables are distributed by contact (a Citus cluster).
    public var distributedByContact: Bool

    public init(distributedByContact: Bool = false) {
        self.distributedByContact = distributedByContact
    }

    public var name: String { "postgresql" }

    public func placeholder(_ index: Int) -> String { "$\(index)" }

    public var nowExpression: String { "CAST(extract(epoch FROM now()) AS bigint)" }

    /// Month arithmetic on a `timestamp` in UTC (never the session's `TimeZone`), which
    /// clamps the day to the month's last.
    public func monthsBeforeNow(_ placeholder: String) -> String {
        "CAST(extract(epoch FROM (now() AT TIME ZONE 'UTC') - make_interval(months => CAST(\(placeholder) AS integer))) AS bigint)"
    }

    public func literal(_ value: SQLValue) -> String {
        switch value {
        case .null: return "NULL"
        case .integer(let i): return String(i)
        case .real(let d):
            guard d.isFinite else { return d.isNaN ? "NULL" : d > 0 ? "'Infinity'::float8" : "'-Infinity'::float8" }
            return "\(d)::float8"
        case .text(let s):
            // PostgreSQL text cannot hold NUL; standard_conforming_strings (the default
            // since 9.1) keeps backslashes literal inside '…'.
            return SQLValue.quote(s)
        }
    }

    public func globMatch(_ column: String, _ pattern: String) -> String {
        "\(column) LIKE \(pattern) ESCAPE '\\'"
    }

    public func globPattern(_ pattern: GlobPattern) -> String { pattern.likePattern }

    public var contactsScanHint: String { "" }

    /// The ids as one `bigint[]` array literal.
    public func idListMembership(_ column: String, _ placeholder: String) -> String {
        "\(column) = ANY(CAST(\(placeholder) AS bigint[]))"
    }

    public func idListValue(_ ids: [Int64]) -> SQLValue {
        .text("{" + ids.map(String.init).joined(separator: ",") + "}")
    }

    /// The values as one array literal of the attribute type's SQL type (`= ANY`
    /// over an array is hashed for long arrays).
    public func valueListMembership(_ value: String, _ placeholder: String, type: String) -> String {
        let sqlType = type == "number" ? "float8[]" : type == "boolean" ? "integer[]" : "text[]"
        return "\(value) = ANY(CAST(\(placeholder) AS \(sqlType)))"
    }

    public func valueListValue(_ values: [SQLValue]) -> SQLValue {
        var text = "{"
        for (i, v) in values.enumerated() {
            if i > 0 { text += "," }
            switch v {
            case .text(let s):
                text += "\""
                for c in s.unicodeScalars {
                    if c == "\"" || c == "\\" { text += "\\" }
                    text.unicodeScalars.append(c)
                }
                text += "\""
            case .integer(let n): text += String(n)
            case .real(let d): text += String(d)
            default: text += "NULL"
            }
        }
        return .text(text + "}")
    }

    public var writesSetProbesAsIN: Bool { false }

    /// INTERSECT binds tighter than UNION and EXCEPT here, and a compound is hashed or
    /// sorted as a whole, so sets stay nested.
    public var mergesCompoundChains: Bool { false }

    public var trueCondition: String { "TRUE" }
    public var falseCondition: String { "FALSE" }

    /// The JSON value as the SQL type of `type`, or NULL when it is of another type.
    public func attributeValue(_ column: String, type: String) -> String {
        switch type {
        case "number": "(CASE WHEN jsonb_typeof(\(column)) = 'number' THEN CAST(\(column) AS float8) END)"
        case "boolean": "(CASE WHEN jsonb_typeof(\(column)) = 'boolean' THEN CAST(CAST(\(column) AS boolean) AS integer) END)"
        default: "((\(column) #>> '{}') COLLATE \"C\")"
        }
    }
}
