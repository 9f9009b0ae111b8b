// Making a query self-contained, for saving: a saved segment is read later, by other
// sessions and through its SQL view, where neither this session's `let` aliases nor
// its campaign context exist. So before a query is saved, aliases are replaced by
// their definitions and the context is written out — every event predicate without
// `campaign:` gets the context's name, and built-in audiences that the context scopes
// are spelled out — so that the saved text means, anywhere, what it meant here.
// Binding the expanded query with no aliases and no context gives the same bound
// query as binding the original with them (the differential test checks this).

/// Rewrites queries so that they depend on no session state.
public enum QueryExpander {
    /// `query` with aliases substituted and the campaign context made explicit.
    public static func selfContained(_ query: Query, aliases: [AliasDefinition], context: Catalog.Campaign?) -> Query {
        expand(query, aliases: aliases, visible: aliases.count, context: context)
    }

    private static func expand(_ q: Query, aliases: [AliasDefinition], visible: Int, context: Catalog.Campaign?) -> Query {
        func again(_ x: Query) -> Query { expand(x, aliases: aliases, visible: visible, context: context) }
        switch q.kind {
        case .or(let a, let b): return Query(.or(again(a), again(b)), range: q.range)
        case .and(let a, let b): return Query(.and(again(a), again(b)), range: q.range)
        case .not(let a): return Query(.not(again(a)), range: q.range)
        case .event(var p):
            p.arguments = scoped(p.arguments, context: context, at: p.range)
            return Query(.event(p), range: q.range)
        case .count(var c):
            c.arguments = scoped(c.arguments, context: context, at: c.range)
            return Query(.count(c), range: q.range)
        case .field, .segment, .list:
            return q
        case .audience(var a):
            // `suppressed` is never scoped by the context; the others take it as `campaign:`.
            if a.name.text != "suppressed" { a.arguments = scoped(a.arguments, context: context, at: a.range) }
            return Query(.audience(a), range: q.range)
        case .name(let n):
            if let i = (0..<visible).last(where: { aliases[$0].name == n.text }) {
                return expand(aliases[i].query, aliases: aliases, visible: i, context: context)
            }
            return builtin(n, context: context, at: q.range) ?? q
        }
    }

    /// The arguments with `campaign: "<context>"` added when the context applies.
    private static func scoped(_ args: [Argument], context: Catalog.Campaign?, at range: SourceRange) -> [Argument] {
        guard let context, !args.contains(where: { $0.name == .campaign }) else { return args }
        return [Argument(name: .campaign, nameRange: range, value: Value(.string(context.name), range: range))] + args
    }

    /// A built-in audience spelled out under a campaign context (nil: leave the name;
    /// `everyone` and `suppressed` do not depend on it), from its one definition.
    private static func builtin(_ n: Name, context: Catalog.Campaign?, at range: SourceRange) -> Query? {
        guard let context, let audience = BuiltinAudience(rawValue: n.text), audience.followsCampaignContext else { return nil }
        func event(_ kind: EventKind, _: Bool) -> Query {
            let arg = Argument(name: .campaign, nameRange: range, value: Value(.string(context.name), range: range))
            return Query(.event(EventPredicate(kind: kind, verb: Name(text: kind.verb, range: range), arguments: [arg], range: range)), range: range)
        }
        func chain(_ xs: [Query], _ op: (Query, Query) -> Query.Kind) -> Query {
            xs.dropFirst().reduce(xs[0]) { Query(op($0, $1), range: range) }
        }
        return audience.formula(sms: context.channel == .sms).fold(
            event: event, everyone: { Query(.name(n), range: range) },
            and: { chain($0, Query.Kind.and) }, or: { chain($0, Query.Kind.or) }, not: { Query(.not($0), range: range) })
    }
}
