// `_` in a session: the previous query — of a bare query, `count`, `show`, `export`,
// `save segment` or `save list` that ran without error — written out so that it needs
// no alias or campaign context (QueryExpander), and put where `_` stands before the
// statement is compiled. `let`, `explain`, `duplicate` and the other statements use `_`
// but leave it as it was.

import SegQL

extension Session {
    /// `statement` with `_` replaced by the last result, or an error at the `_` when
    /// there is none yet (or when `let` would name an alias `_`).
    func resolvingLastResult(_ statement: Statement, in file: SourceFile) throws -> Statement {
        func sub(_ q: Query) throws -> Query {
            guard let at = LastResult.use(in: q) else { return q }
            guard let lastResult else {
                throw SessionError.compile([.error(
                    "'_' is the previous query's result, and no query has run yet; run one first (a query, count, show, export or save)",
                    at: at)], file)
            }
            return LastResult.substitute(q, with: lastResult)
        }
        let kind: Statement.Kind
        switch statement.kind {
        case .query(let q): kind = .query(try sub(q))
        case .count(let q): kind = .count(try sub(q))
        case .show(let q, let limit): kind = .show(try sub(q), limit: limit)
        case .explain(let q, let analyze): kind = .explain(try sub(q), analyze: analyze)
        case .let(let n, let q):
            if n.text == LastResult.name {
                throw SessionError.compile([.error("'_' is the last result and cannot be an alias", at: n.range)], file)
            }
            kind = .let(n, try sub(q))
        case .saveSegment(let n, let q, let orReplace): kind = .saveSegment(n, try sub(q), orReplace: orReplace)
        case .saveList(let n, let q, let orReplace, let including):
            kind = .saveList(n, try sub(q), orReplace: orReplace, includingSuppressed: including)
        case .export(let q, let path, let orReplace, let including):
            kind = .export(try sub(q), path: path, orReplace: orReplace, includingSuppressed: including)
        case .duplicate(let campaign, .labeled(let q, let label), let including):
            kind = .duplicate(campaign: campaign, audience: .labeled(try sub(q), label: label), includingSuppressed: including)
        default: return statement
        }
        var out = statement
        out.kind = kind
        return out
    }

    /// Makes the query of a statement that ran the last result.
    func remember(_ statement: Statement) {
        let q: Query
        switch statement.kind {
        case .query(let x), .count(let x), .show(let x, _), .export(let x, _, _, _), .saveSegment(_, let x, _),
             .saveList(_, let x, _, _):
            q = x
        default:
            return
        }
        let context = campaignContext.flatMap { name in (try? loadCatalog())?.campaign(named: name) }
        lastResult = QueryExpander.selfContained(q, aliases: aliases, context: context)
    }
}
