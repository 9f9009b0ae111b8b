// `_`, the last result: the previous query, as the session ran it, put where `_` is
// written (`save list recent = _`, `count _ and country = "SE"`). The session keeps
// that query self-contained (aliases and campaign context written out, see
// QueryExpander), so it means here what it meant there. Its nodes are moved to where
// `_` stands, so that anything reported about them points at the `_` the user wrote.

/// Puts the previous query where `_` is written.
public enum LastResult {
    /// The name that stands for the last result.
    public static let name = "_"

    /// Whether `q` mentions `_`, and where first.
    public static func use(in q: Query) -> SourceRange? {
        switch q.kind {
        case .or(let a, let b), .and(let a, let b): return use(in: a) ?? use(in: b)
        case .not(let a): return use(in: a)
        case .name(let n): return n.text == name ? n.range : nil
        default: return nil
        }
    }

    /// `q` with every `_` replaced by `result`, moved to where that `_` was written.
    public static func substitute(_ q: Query, with result: Query) -> Query {
        switch q.kind {
        case .or(let a, let b): return Query(.or(substitute(a, with: result), substitute(b, with: result)), range: q.range)
        case .and(let a, let b): return Query(.and(substitute(a, with: result), substitute(b, with: result)), range: q.range)
        case .not(let a): return Query(.not(substitute(a, with: result)), range: q.range)
        case .name(let n) where n.text == name: return relocate(result, to: n.range)
        default: return q
        }
    }

    /// `q` with every range set to `r`.
    static func relocate(_ q: Query, to r: SourceRange) -> Query {
        func name(_ n: Name) -> Name { Name(text: n.text, quoted: n.quoted, range: r) }
        func value(_ v: Value) -> Value {
            if case .list(let items) = v.kind { return Value(.list(items.map(value)), range: r) }
            return Value(v.kind, range: r)
        }
        func arguments(_ args: [Argument]) -> [Argument] {
            args.map { Argument(name: $0.name, nameRange: r, value: value($0.value)) }
        }
        let kind: Query.Kind
        switch q.kind {
        case .or(let a, let b): kind = .or(relocate(a, to: r), relocate(b, to: r))
        case .and(let a, let b): kind = .and(relocate(a, to: r), relocate(b, to: r))
        case .not(let a): kind = .not(relocate(a, to: r))
        case .event(let p):
            kind = .event(EventPredicate(kind: p.kind, verb: name(p.verb), arguments: arguments(p.arguments), range: r))
        case .count(let c):
            kind = .count(EventCount(
                kind: c.kind, noun: name(c.noun), arguments: arguments(c.arguments), op: c.op,
                opRange: r, count: c.count, countRange: r, range: r))
        case .field(let f):
            let test: FieldCondition.Test
            switch f.test {
            case .compare(let op, let v): test = .compare(op, value(v))
            case .oneOf(let v): test = .oneOf(value(v))
            case .matches(let v): test = .matches(value(v))
            case .exists: test = .exists
            }
            kind = .field(FieldCondition(field: name(f.field), test: test, range: r))
        case .name(let n): kind = .name(name(n))
        case .segment(let n): kind = .segment(name(n))
        case .list(let n): kind = .list(name(n))
        case .audience(let a): kind = .audience(AudienceCall(name: name(a.name), arguments: arguments(a.arguments), range: r))
        }
        return Query(kind, range: r)
    }
}
