// An indented S-expression view of syntax trees, for golden files and debugging.
// Literals are shown in source syntax (`"x"`, `2`, `2.5`, `30d`, `true`, `hard`),
// which already tells their type apart. Ranges are shown as `@start..<end` on request;
// comparing dumps without ranges compares trees the way the round-trip tests need.

/// Renders statements and queries as indented S-expressions.
public enum TreeDump {
    /// The dump of a statement, with byte ranges if `ranges` is true.
    public static func dump(_ statement: Statement, ranges: Bool = false) -> String {
        render(node(statement, ranges), indent: 0)
    }

    /// The dump of a query, with byte ranges if `ranges` is true.
    public static func dump(_ query: Query, ranges: Bool = false) -> String {
        render(node(query, ranges), indent: 0)
    }

    /// One line of the dump and the nodes under it.
    struct Node {
        var head: String
        var children: [Node] = []
    }

    static func render(_ n: Node, indent: Int) -> String {
        let pad = String(repeating: " ", count: indent)
        var out = pad + "(" + n.head
        for c in n.children { out += "\n" + render(c, indent: indent + 2) }
        return out + ")"
    }

    private static func at(_ r: SourceRange, _ ranges: Bool) -> String { ranges ? " @\(r)" : "" }

    private static func name(_ n: Name) -> String { n.quoted ? Printer.quoted(n.text) : n.text }

    static func node(_ s: Statement, _ r: Bool) -> Node {
        let columns = s.columns.map { " with-columns " + $0.map { Printer.quoted($0.text) }.joined(separator: ",") } ?? ""
        func head(_ text: String) -> String {
            "statement " + text + (s.asOf.map { " as-of " + Printer.quoted($0.text) } ?? "") + columns + at(s.range, r)
        }
        switch s.kind {
        case .query(let q):
            return Node(head: head("query"), children: [node(q, r)])
        case .count(let q):
            return Node(head: head("count"), children: [node(q, r)])
        case .show(let q, let limit):
            return Node(head: head("show" + (limit.map { " limit \($0)" } ?? "")), children: [node(q, r)])
        case .explain(let q, let analyze):
            return Node(head: head(analyze ? "explain analyze" : "explain"), children: [node(q, r)])
        case .let(let n, let q):
            return Node(head: head("let " + name(n)), children: [node(q, r)])
        case .saveSegment(let n, let q, let orReplace):
            return Node(head: head("save-segment " + name(n) + (orReplace ? " or-replace" : "")), children: [node(q, r)])
        case .saveList(let n, let q, let orReplace, let including):
            let flags = (orReplace ? " or-replace" : "") + (including ? " including-suppressed" : "")
            return Node(head: head("save-list " + name(n) + flags), children: [node(q, r)])
        case .duplicate(let campaign, let audience, let including):
            let audienceNode: Node
            switch audience {
            case .named(let n):
                audienceNode = Node(head: "audience " + name(n) + at(n.range, r))
            case .labeled(let q, let label):
                audienceNode = Node(head: "audience-query " + name(label) + at(label.range, r), children: [node(q, r)])
            case .segment(let n):
                audienceNode = Node(head: "audience-segment " + name(n) + at(n.range, r))
            case .list(let n):
                audienceNode = Node(head: "audience-list " + name(n) + at(n.range, r))
            }
            return Node(
                head: head("duplicate " + name(campaign) + (including ? " including-suppressed" : "")),
                children: [audienceNode]
            )
        case .export(let q, let path, let orReplace, let including):
            return Node(
                head: head("export " + Printer.quoted(path.text) + (orReplace ? " or-replace" : "") + (including ? " including-suppressed" : "")),
                children: [node(q, r)])
        case .stats(let campaign, let message):
            return Node(head: head("stats " + name(campaign) + (message.map { " message \($0)" } ?? "")))
        case .contact(.id(let n, _)):
            return Node(head: head("contact \(n)"))
        case .contact(.text(let s, _)):
            return Node(head: head("contact " + Printer.quoted(s)))
        case .dropSegment(let n):
            return Node(head: head("drop-segment " + name(n)))
        case .diff(let q, .moments(let from, let to)):
            return Node(head: head("diff from " + Printer.quoted(from.text) + " to " + Printer.quoted(to.text)), children: [node(q, r)])
        case .diff(let q, .query(let other)):
            return Node(head: head("diff"), children: [node(q, r), node(other, r)])
        case .diff(let q, .recorded(let from, let to)):
            return Node(head: head("diff as recorded from " + Printer.quoted(from.text) + " to " + Printer.quoted(to.text)), children: [node(q, r)])
        case .history(let n):
            return Node(head: head("history segment " + Printer.quoted(n.text)), children: [])
        case .dropList(let n):
            return Node(head: head("drop-list " + name(n)))
        case .useCampaign(let n):
            return Node(head: head("use-campaign " + (n.map(name) ?? "none")))
        case .why(let contact, let q):
            return Node(head: head("why " + Printer.source(of: contact)), children: [node(q, r)])
        case .overlap(let qs):
            return Node(head: head("overlap"), children: qs.map { node($0, r) })
        case .reach(let q):
            return Node(head: head("reach"), children: [node(q, r)])
        }
    }

    static func node(_ q: Query, _ r: Bool) -> Node {
        let range = at(q.range, r)
        switch q.kind {
        case .or(let a, let b):
            return Node(head: "or" + range, children: [node(a, r), node(b, r)])
        case .and(let a, let b):
            return Node(head: "and" + range, children: [node(a, r), node(b, r)])
        case .not(let a):
            return Node(head: "not" + range, children: [node(a, r)])
        case .event(let e):
            let verb = e.verb.text == e.kind.verb ? "" : " verb:" + e.verb.text
            return Node(head: "event " + e.kind.verb + verb + range, children: e.arguments.map { argument($0, r) })
        case .count(let c):
            let noun = "event-count " + c.noun.text + " " + c.op.rawValue + " \(c.count)"
            let detail = r ? " op@\(c.opRange) count@\(c.countRange)" : ""
            return Node(head: noun + range + detail, children: c.arguments.map { argument($0, r) })
        case .field(let f):
            let test: String
            switch f.test {
            case .compare(let op, let v): test = op.rawValue + " " + value(v, r)
            case .oneOf(let v): test = "in " + value(v, r)
            case .matches(let v): test = "matches " + value(v, r)
            case .exists: test = "exists"
            }
            return Node(head: "field " + f.field.text + at(f.field.range, r) + " " + test + range)
        case .name(let n):
            return Node(head: "name " + n.text + range)
        case .segment(let n):
            return Node(head: "segment " + name(n) + range)
        case .list(let n):
            return Node(head: "list " + name(n) + range)
        case .audience(let a):
            return Node(head: "audience " + a.name.text + range, children: a.arguments.map { argument($0, r) })
        }
    }

    private static func argument(_ a: Argument, _ r: Bool) -> Node {
        Node(head: "argument " + a.name.rawValue + at(a.nameRange, r) + " " + value(a.value, r))
    }

    private static func value(_ v: Value, _ r: Bool) -> String {
        if case .list(let items) = v.kind {
            return "[" + items.map { value($0, r) }.joined(separator: ", ") + "]" + at(v.range, r)
        }
        return Printer.source(of: v) + at(v.range, r)
    }
}
