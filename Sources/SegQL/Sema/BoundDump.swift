// An indented S-expression view of bound queries, in the shape of TreeDump's, for
// debugging and for docs/architecture.md's walk through the pipeline. It shows what the
// binder decided and nothing of how it was written: campaigns and links as the store's
// ids, times as Unix seconds, durations as seconds, and of an event filter only what
// differs from its default (every campaign, any link, no window, footer links left out).
// What the planner adds to a filter later (campaignsFromRollup, wholeCampaigns) is not
// the binder's and is not shown.

/// Renders bound queries as indented S-expressions.
public enum BoundDump {
    /// The dump of a bound query.
    public static func dump(_ query: BoundQuery) -> String {
        TreeDump.render(node(query), indent: 0)
    }

    static func node(_ q: BoundQuery) -> TreeDump.Node {
        switch q {
        case .everyone: TreeDump.Node(head: "everyone")
        case .nobody: TreeDump.Node(head: "nobody")
        case .and(let xs): TreeDump.Node(head: "and", children: xs.map(node))
        case .or(let xs): TreeDump.Node(head: "or", children: xs.map(node))
        case .not(let x): TreeDump.Node(head: "not", children: [node(x)])
        case .events(let f, let t): TreeDump.Node(head: "events " + filter(f) + " count " + t.op.rawValue + " \(t.value)")
        case .column(let c, let t): TreeDump.Node(head: "column " + c.rawValue + " " + test(t))
        case .attribute(let name, let t): TreeDump.Node(head: "attribute " + Printer.quoted(name) + " " + test(t))
        case .list(let id, let name): TreeDump.Node(head: "list #\(id) " + Printer.quoted(name))
        }
    }

    /// The event kind, then each part of the filter that is not its default.
    static func filter(_ f: EventFilter) -> String {
        var parts = [f.kind.verb]
        if case .only(let ids) = f.campaigns { parts.append("campaigns:" + list(ids)) }
        if let m = f.message { parts.append("message:\(m)") }
        let w = f.window
        let bounds: [(String, Int64?)] = [
            ("within", w.within), ("within-months", w.withinMonths), ("since", w.since), ("before", w.before),
            ("since-ago", w.sinceAgo), ("before-ago", w.beforeAgo), ("until", w.until),
        ]
        for case let (label, value?) in bounds { parts.append("\(label):\(value)") }
        if case .only(let ids) = f.links { parts.append("links:" + list(ids)) }
        if !f.excludedLinks.isEmpty { parts.append("excluded-links:" + list(f.excludedLinks)) }
        if f.includeFooter { parts.append("footer:true") }
        if let m = f.machine { parts.append("machine:\(m)") }
        if let b = f.bounce { parts.append("type:" + b.rawValue) }
        if let r = f.reason { parts.append("reason:" + Printer.quoted(r.description)) }
        if let n = f.ofLast { parts.append("of-last:\(n)") }
        if f.distinctCampaigns { parts.append("distinct-campaigns") }
        return parts.joined(separator: " ")
    }

    static func test(_ t: FieldTest) -> String {
        switch t {
        case .compare(let op, let v): op.rawValue + " " + literal(v)
        case .between(let o1, let a, let o2, let b): o1.rawValue + " " + literal(a) + " and " + o2.rawValue + " " + literal(b)
        case .oneOf(let vs): "in [" + vs.map(literal).joined(separator: ", ") + "]"
        case .matches(let p): "matches " + Printer.quoted(p.description)
        case .exists: "exists"
        }
    }

    static func literal(_ v: FieldLiteral) -> String {
        switch v {
        case .string(let s): Printer.quoted(s)
        case .number(let d): Printer.decimal(d)
        case .integer(let n): "\(n)"
        case .boolean(let b): b ? "true" : "false"
        case .time(let t): "time:\(t)"
        }
    }

    private static func list(_ ids: [Int64]) -> String { "[" + ids.map { "\($0)" }.joined(separator: ",") + "]" }
}
