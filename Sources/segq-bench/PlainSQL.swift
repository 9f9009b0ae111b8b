// An independent translation of a bound query into plain SQL over the store's raw
// tables, for `segq-bench random`'s comparison with DuckDB (scripts/duckdb-bench.py).
//
// It is written from the language's definition (docs/language.md), not from segq's
// planner or renderer, and shares nothing with them but the binder's output: names,
// globs of campaigns and links, footer links and `now` are resolved by the binder;
// everything after — what a count means, what `not` means, how a window bounds
// events, how an attribute compares — is written here again, the way a person would
// write it in SQL. Every query denotes a set of contact ids:
//
//   - an event condition is the contacts whose matching events (one `WHERE` over
//     `events`) number N with `count op N`; when a contact without any passes
//     (`= 0`, `< N`, `<= N`, `!= N`), it is every contact minus those whose count fails;
//   - `and`, `or`, `not` are INTERSECT, UNION and every contact EXCEPT;
//   - a field is a `WHERE` on `contacts`, an attribute one on `contact_attributes`.
//
// The SQL is PostgreSQL/DuckDB's dialect with every literal inlined, in the subset
// SQLite also reads (set operations of subqueries), so that the test can check it
// against segq on a small store. The one change of
// schema it assumes is the comparison tool's: DuckDB's columns have one type, so the
// script splits SQLite's untyped `contact_attributes.value` into `value_text` (strings)
// and `value_num` (numbers, and booleans as 1/0); `type` says which holds the value.
// No rollup table is read (activity, contact_activity, event_stats): only raw events.

import SegQL

enum PlainSQL {
    /// `SELECT count(*)` of the contacts `q` denotes.
    static func count(_ q: BoundQuery, now: Int64) -> String {
        "SELECT count(*) FROM (\(set(q, now: now))) AS q"
    }

    /// A query returning the contact ids `q` denotes (a set: no id twice).
    static func set(_ q: BoundQuery, now: Int64) -> String {
        switch q {
        case .everyone:
            return "SELECT id AS contact_id FROM contacts"
        case .nobody:
            return "SELECT id AS contact_id FROM contacts WHERE false"
        case .and(let parts):
            return parts.map { operand(set($0, now: now)) }.joined(separator: " INTERSECT ")
        case .or(let parts):
            return parts.map { operand(set($0, now: now)) }.joined(separator: " UNION ")
        case .not(let inner):
            return "SELECT id AS contact_id FROM contacts EXCEPT " + operand(set(inner, now: now))
        case .events(let filter, let test):
            var conds = conditions(filter, now: now)
            if let n = filter.ofLast { conds.append("(contact_id, campaign_id) IN (\(lastCampaigns(filter, n)))") }
            let matching = "SELECT contact_id FROM events WHERE " + conds.joined(separator: " AND ")
                + " GROUP BY contact_id HAVING "
            let counted = filter.distinctCampaigns ? "count(DISTINCT campaign_id)" : "count(*)"
            if test.includesZero {
                return "SELECT id AS contact_id FROM contacts EXCEPT " + operand(matching + "NOT (\(countTest(test, counted)))")
            }
            return matching + countTest(test, counted)
        case .column(let field, let test):
            return "SELECT id AS contact_id FROM contacts WHERE " + column(field, test)
        case .attribute(let name, let test):
            return "SELECT contact_id FROM contact_attributes WHERE name = \(literal(name)) AND " + attribute(test)
        case .list(let id, _):
            return "SELECT contact_id FROM list_members WHERE list_id = \(id)"
        }
    }

    /// One side of a set operation, as a subquery (SQLite takes no parenthesized sides).
    private static func operand(_ sql: String) -> String {
        "SELECT contact_id FROM (\(sql)) AS s"
    }

    private static func countTest(_ t: CountTest, _ counted: String) -> String {
        "\(counted) \(op(t.op)) \(t.value)"
    }

    /// `of_last: n`: each contact's campaigns (of the filter's) of which fewer than n
    /// were first sent to it later (a tie of the same second: the higher id is later).
    private static func lastCampaigns(_ f: EventFilter, _ n: Int64) -> String {
        var sends = "kind = \(EventKind.sent.rawValue)"
        if case .only(let ids) = f.campaigns { sends += " AND " + inList("campaign_id", ids) }
        let first = "SELECT contact_id, campaign_id, min(ts) AS first FROM events WHERE \(sends) GROUP BY contact_id, campaign_id"
        return "SELECT f.contact_id, f.campaign_id FROM (\(first)) AS f WHERE (SELECT count(*) FROM (\(first)) AS g "
            + "WHERE g.contact_id = f.contact_id AND (g.first > f.first OR (g.first = f.first AND g.campaign_id > f.campaign_id))) < \(n)"
    }

    /// What selects an event filter's events, one condition per argument.
    static func conditions(_ f: EventFilter, now: Int64) -> [String] {
        var out = ["kind = \(f.kind.rawValue)"]
        if case .only(let ids) = f.campaigns { out.append(inList("campaign_id", ids)) }
        if let m = f.message { out.append("message = \(m)") }
        let (lower, upper) = f.window.bounds(now: now)
        if let lower { out.append("ts >= \(lower)") }
        if let upper { out.append("ts <= \(upper)") }
        if case .only(let ids) = f.links { out.append(inList("link_id", ids)) }
        if !f.includeFooter, !f.excludedLinks.isEmpty {
            // A click without a link is a click; one on a footer link is not.
            out.append("(link_id IS NULL OR NOT \(inList("link_id", f.excludedLinks)))")
        }
        if let m = f.machine { out.append("machine = \(m ? 1 : 0)") }
        if let b = f.bounce { out.append("bounce = \(literal(b.rawValue))") }
        if let r = f.reason { out.append("reason " + like(r)) }
        return out
    }

    private static func inList(_ column: String, _ ids: [Int64]) -> String {
        ids.isEmpty ? "false" : "\(column) IN (" + ids.map(String.init).joined(separator: ", ") + ")"
    }

    private static func column(_ field: StandardField, _ test: FieldTest) -> String {
        let c = field.rawValue
        switch test {
        case .exists: return "\(c) IS NOT NULL"
        case .compare(let o, let v): return "\(c) \(op(o)) \(value(v))"
        case .between(let o1, let a, let o2, let b): return "(\(c) \(op(o1)) \(value(a)) AND \(c) \(op(o2)) \(value(b)))"
        case .oneOf(let vs): return vs.isEmpty ? "false" : "\(c) IN (" + vs.map(value).joined(separator: ", ") + ")"
        case .matches(let g): return "\(c) " + like(g)
        }
    }

    /// An attribute test: the value must be of the literal's type (type-strict comparisons).
    private static func attribute(_ test: FieldTest) -> String {
        switch test {
        case .exists:
            return "true"
        case .compare(let o, let v):
            return typed(v, op(o))
        case .between(let o1, let a, let o2, let b):
            return "(" + typed(a, op(o1)) + " AND " + typed(b, op(o2)) + ")"
        case .oneOf(let vs):
            return vs.isEmpty ? "false" : "(" + vs.map { typed($0, "=") }.joined(separator: " OR ") + ")"
        case .matches(let g):
            return "type = 'string' AND value_text " + like(g)
        }
    }

    private static func typed(_ v: FieldLiteral, _ op: String) -> String {
        switch v {
        case .string(let s): return "(type = 'string' AND value_text \(op) \(literal(s)))"
        case .integer(let i): return "(type = 'number' AND value_num \(op) \(i))"
        case .number(let d): return "(type = 'number' AND value_num \(op) \(number(d)))"
        case .boolean(let b): return "(type = 'boolean' AND value_num \(op) \(b ? 1 : 0))"
        case .time(let t): return "(type = 'number' AND value_num \(op) \(t))"
        }
    }

    private static func value(_ v: FieldLiteral) -> String {
        switch v {
        case .string(let s): return literal(s)
        case .integer(let i): return String(i)
        case .number(let d): return number(d)
        case .boolean(let b): return b ? "1" : "0"
        case .time(let t): return String(t)
        }
    }

    private static func number(_ d: Double) -> String {
        d.isFinite ? "\(d)" : "NULL"
    }

    static func op(_ o: ComparisonOperator) -> String {
        switch o {
        case .equal: "="
        case .notEqual: "<>"
        case .less: "<"
        case .lessOrEqual: "<="
        case .greater: ">"
        case .greaterOrEqual: ">="
        }
    }

    /// A string literal, quotes doubled.
    static func literal(_ s: String) -> String {
        "'" + s.replacingAll("'", with: "''") + "'"
    }

    /// A glob as `LIKE … ESCAPE '\'`: `*` is `%`; `%`, `_` and `\` stand for themselves.
    static func like(_ g: GlobPattern) -> String {
        let pieces = g.pieces.map { p in
            p.replacingAll("\\", with: "\\\\").replacingAll("%", with: "\\%").replacingAll("_", with: "\\_")
        }
        return "LIKE " + literal(pieces.joined(separator: "%")) + " ESCAPE '\\'"
    }
}

extension String {
    /// Every occurrence of `target` replaced (no Foundation needed).
    fileprivate func replacingAll(_ target: Character, with replacement: String) -> String {
        var out = ""
        for c in self { if c == target { out += replacement } else { out.append(c) } }
        return out
    }
}
