// `why CONTACT in QUERY`: the query as a tree, each condition with its truth value for
// one contact and what decided it.
//
// The tree follows the query as written: `and`, `or` and `not` nodes, and below a
// built-in audience, alias or saved segment its definition (a segment's saved text, an
// alias's query, a built-in's documented expansion under the campaign context). Each
// condition is bound on its own, in the same environment as the whole query, and its
// truth value is the set engine's own answer for that condition, evaluated within a
// set of one contact (every range read through the index by contact, for that contact
// only). The evidence is read beside it: an event condition's matching events
// (SQLRenderer.contactEvents: the conditions every plan uses), whose number is shown
// against the threshold (or their absence, under `not`); a field condition's value.
// So a `why` costs a few milliseconds whatever the store's size, and its root is the
// contact's membership; the tests check both against the set engine's answer.
//
// N of M: for `of_last: N` the contact's last N campaigns of the scope are read as the
// set engine ranks them (SQLRenderer.contactLastCampaigns) and only their events count;
// with `at_least:` what is tested is the number of distinct campaigns among the events,
// so the node lists those campaigns and how many it could have been ("2 of 5").

import SegQL
import SegStore

/// A contact's value of a field, as `why` shows it.
public enum FieldValue: Sendable, Equatable {
    case string(String)
    /// A number, written as SegQL writes it (`42`, `2.5`).
    case number(String)
    case boolean(Bool)

    /// In SegQL syntax: `"SE"`, `42`, `true`.
    public var source: String {
        switch self {
        case .string(let s): Printer.quoted(s)
        case .number(let n): n
        case .boolean(let b): b ? "true" : "false"
        }
    }
}

/// One condition of a `why` tree, evaluated for one contact.
public struct WhyNode: Sendable {
    /// One event that counted.
    public struct Event: Sendable {
        public var ts: Int64
        public var campaign: String
        public var kind: EventKind
        public var link: String?
        public var reason: String?
        public var bounce: String?
        public var machine: Bool
    }

    /// The condition as written (`opened(campaign: "X")`), or `and`, `or`, `not`,
    /// `segment "s"`, `alias a`, a built-in audience's name.
    public var condition: String
    public var holds: Bool
    /// For an event condition: the number its test is applied to (matching events, or
    /// with `at_least:` distinct campaigns among them), and that test.
    public var found: Int64?
    public var test: CountTest?
    /// For an event condition: how many matching events there are (`found` but for
    /// `at_least:`), of which `events` lists the first.
    public var eventCount: Int64?
    /// With `at_least:`: the campaigns the contact had a matching event in, in the order
    /// of `campaigns` (or of the first such event when the scope is every campaign).
    public var campaignsFound: [String]?
    /// For N of M: the campaigns that could count, M of them — the scope's list, or for
    /// `of_last:` the contact's last N campaigns, newest first; nil for every campaign.
    public var campaigns: [String]?
    /// The first matching events, in time order (at most `WhyNode.eventsShown`).
    public var events: [Event] = []
    /// For a field condition: the field, and the contact's value (nil: it has none).
    public var field: String?
    public var value: FieldValue?
    public var children: [WhyNode] = []

    /// How many of a condition's events are listed.
    public static let eventsShown = 10
}

extension Session {
    /// Runs `why`: resolves the contact, checks the query compiles, and writes the tree.
    func why(_ contact: ContactReference, _ q: Query, in file: SourceFile) throws {
        let compiled = try compile(q, projection: .count, in: file)
        let who = try resolveContact(contact, in: file)
        let tree = try whyTree(q, contactID: who.id)
        if let writer = output as? ResultWriter, writer.format == .json || writer.format == .jsonl {
            output.text(WhyRenderer.json(tree, contact: who, query: compiled.source).text(for: writer.format))
        } else {
            output.text(WhyRenderer.text(tree, contact: who, query: compiled.source))
        }
    }

    /// A contact as `why` names it: its id, e-mail and phone.
    public struct ContactIdentity: Sendable {
        public var id: Int64
        public var email: String?
        public var phone: String?
    }

    func resolveContact(_ contact: ContactReference, in file: SourceFile) throws -> ContactIdentity {
        let (lookup, shown): (ContactLookup, String)
        switch contact.key {
        case .email(let e): (lookup, shown) = (.email(e.lowercased()), "e-mail '\(e)'")
        case .phone(let p): (lookup, shown) = (.phone(p), "phone '\(p)'")
        case .id(let n): (lookup, shown) = (.id(n), "id \(n)")
        }
        guard let row = try runtime({ try store.contact(lookup) }) else {
            throw SessionError.compile([.error("no contact with \(shown)", at: contact.range)], file)
        }
        return ContactIdentity(id: row.id, email: row.email, phone: row.phone)
    }

    /// The `why` tree of `q` for one contact, in this session's environment.
    public func whyTree(_ q: Query, contactID: Int64) throws -> WhyNode {
        let catalog = try loadCatalog()
        let env = BindingEnvironment(catalog: catalog, aliases: aliases, campaignContext: campaignContext)
        return try whyNode(q, env: env, contact: contactID, segments: [])
    }

    /// Whether one condition holds for the contact, as the set engine answers it: its
    /// bitmap program evaluated within the set of that one contact, so that every range
    /// is read for that contact only.
    private func engineHolds(_ b: BoundQuery, contact: Int64, catalog: Catalog) throws -> Bool {
        let options = PlannerOptions(now: .fixed(now), strategy: .bitmaps, useRollups: useRollups, useKeptSets: useKeptSets)
        let program = SQLRenderer.program(Planner.plan(b, catalog: catalog, options: options), dialect: store.database.dialect)
        var evaluator = setEvaluator(catalog: catalog)
        evaluator.leftFactor = 0  // every non-empty range restricted to the one contact
        let one = ContactSet([contact], maxID: catalog.contactCount)
        return try runtime { try evaluator.evaluate(program, within: one).contains(contact) }
    }

    private func whyNode(_ q: Query, env: BindingEnvironment, contact: Int64, segments: [String]) throws -> WhyNode {
        func again(_ x: Query) throws -> WhyNode { try whyNode(x, env: env, contact: contact, segments: segments) }
        switch q.kind {
        case .and, .or:
            let isAnd: Bool
            if case .and = q.kind { isAnd = true } else { isAnd = false }
            let children = try Self.chain(q, and: isAnd).map(again)
            let holds = isAnd ? children.allSatisfy(\.holds) : children.contains(where: \.holds)
            return WhyNode(condition: isAnd ? "and" : "or", holds: holds, children: children)
        case .not(let a):
            let child = try again(a)
            return WhyNode(condition: "not", holds: !child.holds, children: [child])
        case .name(let n):
            if let i = env.aliases.lastIndex(where: { $0.name == n.text }) {
                // The alias's query sees only the definitions made before it.
                var inner = env
                inner.aliases = Array(env.aliases.prefix(i))
                let child = try whyNode(env.aliases[i].query, env: inner, contact: contact, segments: segments)
                return WhyNode(condition: "alias " + n.text, holds: child.holds, children: [child])
            }
            if n.text == "everyone" { return WhyNode(condition: n.text, holds: true) }
            if let definition = Self.builtinDefinition(n, context: env.campaignContext.flatMap { env.catalog.campaign(named: $0) }) {
                let child = try again(definition)
                return WhyNode(condition: n.text, holds: child.holds, children: [child])
            }
            return try leaf(q, env: env, contact: contact)
        case .segment(let n):
            guard let text = env.catalog.segments[n.text], !segments.contains(n.text) else {
                return try leaf(q, env: env, contact: contact)
            }
            let (parsed, _) = Parser.parseQuery(SourceFile(name: "segment \(n.text)", text: text))
            guard let parsed else { return try leaf(q, env: env, contact: contact) }
            // A saved segment is self-contained: no aliases, no campaign context.
            let child = try whyNode(parsed, env: BindingEnvironment(catalog: env.catalog), contact: contact, segments: segments + [n.text])
            return WhyNode(condition: "segment " + Printer.quoted(n.text), holds: child.holds, children: [child])
        case .event, .count, .field, .list, .audience:
            return try leaf(q, env: env, contact: contact)
        }
    }

    /// The operands of a chain of the same operator, flattened: `a and b and c`.
    private static func chain(_ q: Query, and: Bool) -> [Query] {
        switch (q.kind, and) {
        case (.and(let a, let b), true), (.or(let a, let b), false): chain(a, and: and) + chain(b, and: and)
        default: [q]
        }
    }

    /// A built-in audience as the query it stands for (docs/language.md), with the
    /// campaign context written out; nil for a name that is none.
    static func builtinDefinition(_ n: Name, context: Catalog.Campaign?) -> Query? {
        let text: String
        switch n.text {
        case "openers", "clickers", "active", "inactive":
            let expanded = QueryExpander.selfContained(Query(.name(n), range: n.range), aliases: [], context: context)
            if case .name = expanded.kind {} else { return expanded }
            text = ["openers": "opened", "clickers": "clicked", "active": "opened or clicked",
                    "inactive": "delivered and not opened and not clicked"][n.text]!
        case "suppressed":
            text = #"unsubscribed(campaign: "*") or complained(campaign: "*") or bounced(type: hard, campaign: "*")"#
        default:
            return nil
        }
        return Parser.parseQuery(SourceFile(name: n.text, text: text)).query
    }

    /// One condition, bound on its own and checked for the contact.
    private func leaf(_ q: Query, env: BindingEnvironment, contact: Int64) throws -> WhyNode {
        let (bound, _) = Binder.bind(q, in: env)
        var node = try boundNode(bound ?? .nobody, contact: contact, catalog: env.catalog)
        // As written, with the campaign context written out: `opened(campaign: "X")`.
        let context = env.campaignContext.flatMap { env.catalog.campaign(named: $0) }
        node.condition = Printer.source(of: QueryExpander.selfContained(q, aliases: [], context: context))
        return node
    }

    private func boundNode(_ b: BoundQuery, contact: Int64, catalog: Catalog) throws -> WhyNode {
        switch b {
        case .everyone: return WhyNode(condition: "everyone", holds: true)
        case .nobody: return WhyNode(condition: "nobody", holds: false)
        case .and(let xs):
            let children = try xs.map { try boundNode($0, contact: contact, catalog: catalog) }
            return WhyNode(condition: "and", holds: children.allSatisfy(\.holds), children: children)
        case .or(let xs):
            let children = try xs.map { try boundNode($0, contact: contact, catalog: catalog) }
            return WhyNode(condition: "or", holds: children.contains(where: \.holds), children: children)
        case .not(let x):
            let child = try boundNode(x, contact: contact, catalog: catalog)
            return WhyNode(condition: "not", holds: !child.holds, children: [child])
        case .events(let filter, let test):
            let sql = SQLRenderer.contactEvents(filter, now: now, dialect: store.database.dialect)
            var node = WhyNode(condition: "", holds: try engineHolds(b, contact: contact, catalog: catalog), found: 0, test: test)
            // N of M: the campaigns that can count, and for `of_last` only those.
            var scope: [String]?
            if filter.ofLast != nil {
                let last = SQLRenderer.contactLastCampaigns(filter, dialect: store.database.dialect)
                var names: [String] = []
                try runtime { try store.database.query(last.sql, last.parameters + [.integer(contact)]) { names.append($0.text(1)) } }
                scope = names
            } else if filter.distinctCampaigns, case .only(let ids) = filter.campaigns {
                scope = ids.compactMap { catalog.campaign(id: $0)?.name }
            }
            let counted = scope.map(Set.init)
            var n: Int64 = 0
            var campaignsFound: [String] = []
            try runtime {
                try store.database.query(sql.sql, sql.parameters + [.integer(contact)]) { r in
                    let campaign = r.text(1)
                    if let counted, !counted.contains(campaign) { return }
                    n += 1
                    if !campaignsFound.contains(campaign) { campaignsFound.append(campaign) }
                    guard node.events.count < WhyNode.eventsShown else { return }
                    node.events.append(WhyNode.Event(
                        ts: r.int64(0), campaign: campaign, kind: EventKind(rawValue: Int(r.int64(2))) ?? .sent,
                        link: r.isNull(3) ? nil : r.text(3), reason: r.isNull(4) ? nil : r.text(4),
                        bounce: r.isNull(5) ? nil : r.text(5), machine: r.int64(6) != 0))
                }
            }
            node.eventCount = n
            node.found = n
            node.campaigns = scope
            if filter.distinctCampaigns {
                if let scope { campaignsFound.sort { (scope.firstIndex(of: $0) ?? 0) < (scope.firstIndex(of: $1) ?? 0) } }
                node.campaignsFound = campaignsFound
                node.found = Int64(campaignsFound.count)
            }
            return node
        case .column(let f, _):
            var node = WhyNode(condition: "", holds: try engineHolds(b, contact: contact, catalog: catalog), field: f.rawValue)
            switch try runtime({ try store.field(f.rawValue, ofContact: contact) }) {
            case nil: break
            case .integer(let t)? where f == .created_at: node.value = .string(Timestamp.iso8601(t))
            case let value?: node.value = .string(value.plainText)
            }
            return node
        case .attribute(let name, _):
            var node = WhyNode(condition: "", holds: try engineHolds(b, contact: contact, catalog: catalog), field: name)
            node.value = try attributeValue(name, contact: contact)
            return node
        case .list:
            return WhyNode(condition: "", holds: try engineHolds(b, contact: contact, catalog: catalog))
        }
    }

    /// A contact's attribute value, nil if it has none.
    private func attributeValue(_ name: String, contact: Int64) throws -> FieldValue? {
        let out: FieldValue? = switch try runtime({ try store.typedAttribute(name, ofContact: contact) }) {
        case nil: nil
        case .number(let v)?: .number(v == v.rounded() && abs(v) < 1e15 ? String(Int64(v)) : String(v))
        case .boolean(let b)?: .boolean(b)
        case .string(let t)?: .string(t)
        }
        return out
    }
}

/// Renders `why` trees as text and JSON.
enum WhyRenderer {
    static func headline(_ contact: Session.ContactIdentity) -> String {
        (contact.email ?? contact.phone ?? "?") + " (contact \(contact.id))"
    }

    static func text(_ tree: WhyNode, contact: Session.ContactIdentity, query: String) -> String {
        var out = "\(headline(contact)) is \(tree.holds ? "in" : "not in"): \(query)\n"
        write(tree, prefix: "", childPrefix: "", into: &out)
        return out.hasSuffix("\n") ? String(out.dropLast()) : out
    }

    private static func write(_ n: WhyNode, prefix: String, childPrefix: String, into out: inout String) {
        out += prefix + (n.holds ? "yes " : "no  ") + n.condition + summary(n) + "\n"
        let detailPrefix = childPrefix + (n.children.isEmpty ? "      " : "│     ")
        if n.condition.contains("of_last:"), let campaigns = n.campaigns {
            out += detailPrefix + "the last \(campaigns.count) sent: " + names(campaigns) + "\n"
        }
        for e in n.events { out += detailPrefix + eventLine(e) + "\n" }
        if let count = n.eventCount, count > Int64(n.events.count) {
            out += detailPrefix + "… and \(count - Int64(n.events.count)) more\n"
        }
        for (i, c) in n.children.enumerated() {
            let last = i == n.children.count - 1
            write(c, prefix: childPrefix + (last ? "└─ " : "├─ "), childPrefix: childPrefix + (last ? "   " : "│  "), into: &out)
        }
    }

    /// What decided a condition, after its text.
    static func summary(_ n: WhyNode) -> String {
        if let found = n.found, let test = n.test, let campaignsFound = n.campaignsFound {
            // N of M: "2 of 5 campaigns (needs >= 3): A, C".
            let of = n.campaigns.map { " of \(n.condition.contains("of_last:") ? "the last " : "")\($0.count)" } ?? ""
            return ": \(found)\(of) campaign\(found == 1 && of.isEmpty ? "" : "s") (needs \(test.op.rawValue) \(test.value))"
                + (campaignsFound.isEmpty ? "" : ": " + names(campaignsFound))
        }
        if let found = n.found, let test = n.test {
            let scope = n.campaigns.map { " in the last \($0.count) campaign\($0.count == 1 ? "" : "s") sent" } ?? ""
            return ": \(found) event\(found == 1 ? "" : "s") found\(scope), needs \(test.op.rawValue) \(test.value)"
        }
        if let field = n.field { return ": \(field) is " + (n.value?.source ?? "not set") }
        if n.condition == "not", let c = n.children.first {
            return c.holds ? " (what follows holds)" : " (what follows does not hold)"
        }
        return ""
    }

    /// Campaign names, quoted, comma-separated.
    static func names(_ campaigns: [String]) -> String {
        campaigns.map(Printer.quoted).joined(separator: ", ")
    }

    static func eventLine(_ e: WhyNode.Event) -> String {
        var parts = [Timestamp.iso8601(e.ts), e.kind.verb, Printer.quoted(e.campaign)]
        if let link = e.link { parts.append(link) }
        if let bounce = e.bounce { parts.append(bounce) }
        if let reason = e.reason { parts.append("reason " + Printer.quoted(reason)) }
        if e.machine { parts.append("machine") }
        return parts.joined(separator: "  ")
    }

    static func json(_ tree: WhyNode, contact: Session.ContactIdentity, query: String) -> JSON {
        let who: JSON = .object([
            ("id", .raw(String(contact.id))),
            ("email", contact.email.map { .string($0) } ?? .raw("null")),
            ("phone", contact.phone.map { .string($0) } ?? .raw("null")),
        ])
        return JSON.object([("contact", who), ("query", .string(query)), ("in", .raw(tree.holds ? "true" : "false")), ("tree", node(tree))])
    }

    private static func node(_ n: WhyNode) -> JSON {
        var members: [(String, JSON)] = [("condition", .string(n.condition)), ("holds", .raw(n.holds ? "true" : "false"))]
        if let found = n.found, let test = n.test {
            members.append(("found", .raw(String(found))))
            members.append(("needs", .string("\(test.op.rawValue) \(test.value)")))
            if let campaignsFound = n.campaignsFound { members.append(("campaigns_found", .array(campaignsFound.map { .string($0) }))) }
            if let campaigns = n.campaigns { members.append(("of_campaigns", .array(campaigns.map { .string($0) }))) }
            members.append(("events", .array(n.events.map { e in
                .object([
                    ("ts", .string(Timestamp.iso8601(e.ts))), ("kind", .string(e.kind.verb)), ("campaign", .string(e.campaign)),
                    ("link", e.link.map { .string($0) } ?? .raw("null")),
                    ("bounce", e.bounce.map { .string($0) } ?? .raw("null")),
                    ("reason", e.reason.map { .string($0) } ?? .raw("null")),
                    ("machine", .raw(e.machine ? "true" : "false")),
                ])
            })))
        }
        if let field = n.field {
            members.append(("field", .string(field)))
            let value: JSON
            switch n.value {
            case .string(let v)?: value = .string(v)
            case .number(let v)?: value = .raw(v)
            case .boolean(let b)?: value = .raw(b ? "true" : "false")
            case nil: value = .raw("null")
            }
            members.append(("value", value))
        }
        if !n.children.isEmpty { members.append(("children", .array(n.children.map(node)))) }
        return .object(members)
    }
}

/// A JSON value written with two-space indentation.
indirect enum JSON {
    case raw(String)
    case string(String)
    case array([JSON])
    case object([(String, JSON)])

    /// On one line, for JSON Lines (`--format jsonl`: one document per line).
    var compact: String {
        switch self {
        case .raw(let s): return s
        case .string(let s): return ResultWriter.jsonString(s)
        case .array(let xs): return "[" + xs.map(\.compact).joined(separator: ", ") + "]"
        case .object(let ms): return "{" + ms.map { ResultWriter.jsonString($0.0) + ": " + $0.1.compact }.joined(separator: ", ") + "}"
        }
    }

    /// Written as `--format` asks: indented for JSON, one line for JSON Lines.
    func text(for format: OutputFormat) -> String { format == .jsonl ? compact : text(indent: 0) }

    func text(indent: Int) -> String {
        let inner = String(repeating: "  ", count: indent + 1)
        let outer = String(repeating: "  ", count: indent)
        switch self {
        case .raw(let s): return s
        case .string(let s): return ResultWriter.jsonString(s)
        case .array(let xs):
            if xs.isEmpty { return "[]" }
            return "[\n" + xs.map { inner + $0.text(indent: indent + 1) }.joined(separator: ",\n") + "\n\(outer)]"
        case .object(let ms):
            if ms.isEmpty { return "{}" }
            return "{\n" + ms.map { inner + ResultWriter.jsonString($0.0) + ": " + $0.1.text(indent: indent + 1) }.joined(separator: ",\n")
                + "\n\(outer)}"
        }
    }
}
