// An in-memory store and an evaluator of SegQL written straight from
// shared/spec/LANGUAGE.md, for the differential test. It shares nothing with the
// binder, planner or SQL path except the syntax tree: it resolves names, globs,
// links, windows and types itself, over plain arrays.

import Foundation
import SegQL

/// A custom attribute value as imported.
enum RefValue: Hashable {
    case string(String)
    case number(Double)
    case bool(Bool)
}

/// The in-memory store.
struct RefStore {
    struct Contact {
        var email: String?
        var phone: String?
        var firstName: String?
        var lastName: String?
        var createdAt: Int64?
        var attributes: [String: RefValue]
        /// The identity both paths report: e-mail, else phone.
        var key: String { email ?? phone ?? "" }
    }
    struct Campaign {
        var name: String
        var channel: String
        var messages: Int64
        var sentAt: Int64?
    }
    struct Link {
        var campaign: String
        var url: String
        var footer: Bool
    }
    struct Event {
        var kind: EventKind
        var contact: String
        var campaign: String
        var message: Int64
        var ts: Int64
        var url: String?
        var bounce: String?
        var reason: String?
        var machine: Bool
    }

    var contacts: [Contact] = []
    var campaigns: [Campaign] = []
    var links: [Link] = []
    var events: [Event] = []
    var lists: [String: Set<String>] = [:]
    var segments: [String: String] = [:]
}

/// The path of a URL: from the first `/` after the host up to `?` or `#`; `/` if empty.
func refPath(_ url: String) -> String {
    var rest = Substring(url)
    if let r = rest.range(of: "://") { rest = rest[r.upperBound...] }
    let stop = rest.firstIndex { $0 == "?" || $0 == "#" } ?? rest.endIndex
    rest = rest[..<stop]
    guard let slash = rest.firstIndex(of: "/") else { return "/" }
    return String(rest[slash...])
}

/// `*` globs, matched by backtracking over characters (independent of GlobPattern).
func refGlob(_ pattern: String, _ text: String) -> Bool {
    let p = Array(pattern.unicodeScalars), t = Array(text.unicodeScalars)
    var memo: [Int: Bool] = [:]
    func go(_ i: Int, _ j: Int) -> Bool {
        let key = i * (t.count + 1) + j
        if let m = memo[key] { return m }
        let r: Bool
        if i == p.count { r = j == t.count }
        else if p[i] == "*" { r = go(i + 1, j) || (j < t.count && go(i, j + 1)) }
        else { r = j < t.count && p[i] == t[j] && go(i + 1, j + 1) }
        memo[key] = r
        return r
    }
    return go(0, 0)
}

/// Byte-wise comparison of strings (SQLite's BINARY collation).
func refCompare(_ a: String, _ b: String) -> Int {
    let x = Array(a.utf8), y = Array(b.utf8)
    for (p, q) in zip(x, y) where p != q { return p < q ? -1 : 1 }
    return x.count == y.count ? 0 : (x.count < y.count ? -1 : 1)
}

/// Whether an ordering result satisfies an operator.
func refHolds(_ c: Int, _ op: ComparisonOperator) -> Bool {
    switch op {
    case .equal: c == 0
    case .notEqual: c != 0
    case .less: c < 0
    case .lessOrEqual: c <= 0
    case .greater: c > 0
    case .greaterOrEqual: c >= 0
    }
}

/// Why the reference refused a query (the SQL path must refuse it too).
struct RefError: Error, CustomStringConvertible {
    var description: String
}

/// Evaluates queries over a `RefStore`.
struct RefEvaluator {
    let store: RefStore
    let now: Int64
    /// `let` definitions, oldest first; an alias's query sees only earlier ones.
    var aliases: [(name: String, query: Query)] = []
    /// How many definitions the query being evaluated can see.
    private var visible = Int.max

    init(store: RefStore, now: Int64) {
        self.store = store
        self.now = now
    }

    /// `let name = text`: checked like the session does (evaluated once, no context).
    mutating func define(_ name: String, _ text: String) throws {
        let (parsed, diags) = Parser.parseQuery(SourceFile(name: "alias", text: text))
        guard let q = parsed, diags.allSatisfy({ $0.severity != .error }) else { throw RefError(description: "alias parse") }
        _ = try evaluate(q, context: nil)
        aliases.append((name, q))
    }

    /// The campaigns an event predicate looks at: nil for "every campaign".
    private typealias Scope = Set<String>?

    func evaluate(_ q: Query, context: String?) throws -> Set<String> {
        try eval(q, context: context.flatMap { name in store.campaigns.first { $0.name == name } }, stack: [])
    }

    private var universe: Set<String> { Set(store.contacts.map(\.key)) }

    private func eval(_ q: Query, context: RefStore.Campaign?, stack: [String]) throws -> Set<String> {
        switch q.kind {
        case .or(let a, let b):
            return try eval(a, context: context, stack: stack).union(eval(b, context: context, stack: stack))
        case .and(let a, let b):
            return try eval(a, context: context, stack: stack).intersection(eval(b, context: context, stack: stack))
        case .not(let a):
            return universe.subtracting(try eval(a, context: context, stack: stack))
        case .event(let p):
            return try events(p.kind, p.arguments, context: context, verb: true) { $0 >= 1 }
        case .count(let c):
            return try events(c.kind, c.arguments, context: context) { n in
                refHolds(n < c.count ? -1 : n == c.count ? 0 : 1, c.op)
            }
        case .field(let f):
            return try field(f)
        case .name(let n):
            if let i = aliases.indices.prefix(min(visible, aliases.count)).last(where: { aliases[$0].name == n.text }) {
                var inner = self
                inner.visible = i
                return try inner.eval(aliases[i].query, context: context, stack: stack)
            }
            return try builtin(n.text, context: context)
        case .audience(let a):
            return try audience(a, context: context)
        case .segment(let n):
            guard let text = store.segments[n.text] else { throw RefError(description: "no segment \(n.text)") }
            if stack.contains(n.text) { throw RefError(description: "segment cycle") }
            let (parsed, diags) = Parser.parseQuery(SourceFile(name: "segment", text: text))
            guard let query = parsed, diags.allSatisfy({ $0.severity != .error }) else {
                throw RefError(description: "segment does not parse")
            }
            return try eval(query, context: nil, stack: stack + [n.text])
        case .list(let n):
            guard let members = store.lists[n.text] else { throw RefError(description: "no list \(n.text)") }
            return members
        }
    }

    /// `inactive(within: 90d)`: the audience with the arguments on each of its events;
    /// the SMS forms when every campaign the arguments leave is SMS.
    private func audience(_ a: AudienceCall, context: RefStore.Campaign?) throws -> Set<String> {
        let common: Set<ArgumentName> = [.campaign, .channel, .message, .within, .since, .before]
        guard a.arguments.allSatisfy({ common.contains($0.name) }) else { throw RefError(description: "audience argument") }
        func verb(_ k: EventKind, _ extra: [Argument] = []) throws -> Set<String> {
            try events(k, a.arguments + extra, context: context) { $0 >= 1 }
        }
        var sms = context?.channel == "sms"
        if a.arguments.contains(where: { $0.name == .campaign || $0.name == .channel }) {
            var byName: [ArgumentName: Value] = [:]
            for x in a.arguments { byName[x.name] = x.value }
            let (scope, _) = try campaigns(byName, context: context)
            sms = scope.map { s in !s.isEmpty && s.allSatisfy { n in store.campaigns.first { $0.name == n }?.channel == "sms" } } ?? false
        }
        switch a.name.text {
        case "openers": return try verb(.opened)
        case "clickers": return try verb(.clicked)
        case "active": return sms ? try verb(.clicked) : try verb(.opened).union(verb(.clicked))
        case "inactive":
            return sms
                ? try verb(.delivered).subtracting(verb(.clicked))
                : try verb(.delivered).subtracting(verb(.opened)).subtracting(verb(.clicked))
        case "suppressed":
            let r = a.range
            let all = a.arguments.contains { $0.name == .campaign } ? [] : [Argument(name: .campaign, nameRange: r, value: Value(.string("*"), range: r))]
            let hard = Argument(name: .type, nameRange: r, value: Value(.word("hard"), range: r))
            return try verb(.unsubscribed, all).union(verb(.complained, all)).union(verb(.bounced, all + [hard]))
        default: throw RefError(description: "audience \(a.name.text)")
        }
    }

    private func builtin(_ name: String, context: RefStore.Campaign?) throws -> Set<String> {
        func verb(_ k: EventKind) throws -> Set<String> { try events(k, [], context: context) { $0 >= 1 } }
        let sms = context?.channel == "sms"
        switch name {
        case "everyone": return universe
        case "openers": return try verb(.opened)
        case "clickers": return try verb(.clicked)
        case "active": return sms ? try verb(.clicked) : try verb(.opened).union(verb(.clicked))
        case "inactive":
            return sms
                ? try verb(.delivered).subtracting(verb(.clicked))
                : try verb(.delivered).subtracting(verb(.opened)).subtracting(verb(.clicked))
        case "suppressed":
            var out = Set<String>()
            for e in store.events where e.kind == .unsubscribed || e.kind == .complained || (e.kind == .bounced && e.bounce == "hard") {
                out.insert(e.contact)
            }
            return out
        default:
            let known = Set(store.contacts.flatMap { $0.attributes.keys })
            if ["email", "phone", "first_name", "last_name", "created_at"].contains(name) || known.contains(name) {
                throw RefError(description: "field used as an audience")
            }
            throw RefError(description: "unknown name \(name)")
        }
    }

    private func strings(_ v: Value) -> [String]? {
        switch v.kind {
        case .string(let s): return [s]
        case .list(let items):
            var out: [String] = []
            for i in items {
                guard case .string(let s) = i.kind else { return nil }
                out.append(s)
            }
            return out
        default: return nil
        }
    }

    private func date(_ v: Value) throws -> Int64 {
        guard case .string(let s) = v.kind else { throw RefError(description: "date not a string") }
        let b = Array(s.utf8)
        func num(_ from: Int, _ n: Int) -> Int64? {
            guard from + n <= b.count else { return nil }
            var x: Int64 = 0
            for i in from..<(from + n) {
                guard b[i] >= 48, b[i] <= 57 else { return nil }
                x = x * 10 + Int64(b[i] - 48)
            }
            return x
        }
        // The generator only writes `YYYY-MM-DD` and `YYYY-MM-DDTHH:MM:SSZ`.
        guard let y = num(0, 4), let m = num(5, 2), let d = num(8, 2) else { throw RefError(description: "bad date") }
        var days: Int64 = 0
        for year in 1970..<y { days += (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 366 : 365 }
        let monthDays: [Int64] = [31, (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
        for i in 0..<Int(m - 1) { days += monthDays[i] }
        days += d - 1
        var t = days * 86_400
        if b.count == 20, let hh = num(11, 2), let mm = num(14, 2), let ss = num(17, 2) {
            t += hh * 3_600 + mm * 60 + ss
        } else if b.count != 10 {
            throw RefError(description: "bad date")
        }
        return t
    }

    /// The campaigns `campaign:` and `channel:` (else the context) leave, nil for all; and the channel.
    private func campaigns(_ byName: [ArgumentName: Value], context: RefStore.Campaign?) throws -> (Set<String>?, String?) {
        var scope: Set<String>? = nil
        if let v = byName[.campaign] {
            guard let names = strings(v) else { throw RefError(description: "campaign type") }
            var set = Set<String>()
            var all = false
            for n in names {
                if !n.contains("*") {
                    guard store.campaigns.contains(where: { $0.name == n }) else { throw RefError(description: "unknown campaign") }
                    set.insert(n)
                } else if n.allSatisfy({ $0 == "*" }) {
                    all = true
                } else {
                    for c in store.campaigns where refGlob(n, c.name) { set.insert(c.name) }
                }
            }
            scope = all ? nil : set
        } else if let context {
            scope = [context.name]
        }
        var channel: String?
        if let v = byName[.channel] {
            switch v.kind {
            case .word(let w) where w == "email" || w == "sms": channel = w
            case .string(let w) where w == "email" || w == "sms": channel = w
            default: throw RefError(description: "channel")
            }
            let ofChannel = Set(store.campaigns.filter { $0.channel == channel }.map(\.name))
            scope = scope.map { $0.intersection(ofChannel) } ?? ofChannel
        }
        return (scope, channel)
    }

    private func events(
        _ kind: EventKind, _ args: [Argument], context: RefStore.Campaign?, verb: Bool = false, test: (Int64) -> Bool
    ) throws -> Set<String> {
        var byName: [ArgumentName: Value] = [:]
        let allowed: Set<ArgumentName> = {
            var s: Set<ArgumentName> = [.campaign, .channel, .message, .within, .since, .before, .ofLast]
            if verb { s.insert(.atLeast) }
            switch kind {
            case .dropped: s.insert(.reason)
            case .bounced: s.formUnion([.type, .reason])
            case .opened: s.insert(.machine)
            case .clicked: s.formUnion([.link, .footer])
            default: break
            }
            return s
        }()
        for a in args {
            guard byName[a.name] == nil else { throw RefError(description: "duplicate argument") }
            guard allowed.contains(a.name) else { throw RefError(description: "argument not for this kind") }
            byName[a.name] = a.value
        }
        // Campaigns.
        let (scope, channel) = try campaigns(byName, context: context)
        if kind == .opened {
            if channel == "sms" { throw RefError(description: "sms opens") }
            if let s = scope, !s.isEmpty, s.allSatisfy({ n in store.campaigns.first { $0.name == n }?.channel == "sms" }) {
                throw RefError(description: "sms opens")
            }
        }
        var message: Int64?
        if let v = byName[.message] {
            guard case .integer(let n) = v.kind, n >= 1 else { throw RefError(description: "message") }
            message = n
        }
        var lower = Int64.min, upper = Int64.max
        /// `within: 6mo` / `1y`: calendar months back from now in UTC, from Foundation's
        /// calendar fields, the day clamped to the month's last (its `date(byAdding:
        /// .month)` on Linux overflows instead); nil for the other units.
        func monthsBack(_ v: Value) -> Int64? {
            guard case .duration(let amount, let unit) = v.kind, let per = unit.months else { return nil }
            var calendar = Calendar(identifier: .gregorian)
            calendar.timeZone = TimeZone(identifier: "UTC")!
            let months = Int(min(amount, 100_000)) * Int(per)
            let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: Date(timeIntervalSince1970: Double(now)))
            let index = c.year! * 12 + c.month! - 1 - months
            let (year, month) = (index / 12, index % 12 + 1)
            let first = calendar.date(from: DateComponents(year: year, month: month, day: 1))!
            let length = calendar.range(of: .day, in: .month, for: first)!.count
            let start = calendar.date(from: DateComponents(
                year: year, month: month, day: min(c.day!, length), hour: c.hour, minute: c.minute, second: c.second))!
            return Int64(start.timeIntervalSince1970)
        }
        func seconds(_ v: Value) -> Int64? {
            guard case .duration(let amount, let unit) = v.kind, unit.months == nil else { return nil }
            return amount * (unit == .minutes ? 60 : unit == .hours ? 3_600 : unit == .days ? 86_400 : 604_800)
        }
        if let v = byName[.within] {
            if case .durationRange(let from, let to) = v.kind {
                // `a..b`: now - a <= ts < now - b, the farther first.
                guard let a = seconds(from), let b = seconds(to), a > b else { throw RefError(description: "within range") }
                lower = max(lower, now - a)
                upper = min(upper, now - b - 1)
            } else if let start = monthsBack(v) {
                lower = max(lower, start)
                upper = min(upper, now)
            } else {
                guard let d = seconds(v) else { throw RefError(description: "within") }
                lower = max(lower, now - d)
                upper = min(upper, now)
            }
        }
        // A duration: that long before now.
        if let v = byName[.since] { lower = max(lower, try seconds(v).map { now - $0 } ?? date(v)) }
        if let v = byName[.before] { upper = min(upper, try (seconds(v).map { now - $0 } ?? date(v)) - 1) }
        var machine: Bool?
        if let v = byName[.machine] {
            guard case .boolean(let b) = v.kind else { throw RefError(description: "machine") }
            machine = b
        }
        var footer = false
        if let v = byName[.footer] {
            guard case .boolean(let b) = v.kind else { throw RefError(description: "footer") }
            footer = b
        }
        var bounce: String?
        if let v = byName[.type] {
            switch v.kind {
            case .word(let w) where w == "hard" || w == "soft": bounce = w
            case .string(let w) where w == "hard" || w == "soft": bounce = w
            default: throw RefError(description: "type")
            }
        }
        var reason: String?
        if let v = byName[.reason] {
            guard case .string(let s) = v.kind else { throw RefError(description: "reason") }
            reason = s
        }
        // `of_last: N`: per contact, the N campaigns of the scope first sent to it most
        // recently (ties of the same second: the model's generated stores have none).
        var lastCampaigns: [String: Set<String>]?
        if let v = byName[.ofLast] {
            guard case .integer(let n) = v.kind, n >= 1, n <= 24 else { throw RefError(description: "of_last") }
            var firstSent: [String: [String: Int64]] = [:]
            for e in store.events where e.kind == .sent {
                if let scope, !scope.contains(e.campaign) { continue }
                firstSent[e.contact, default: [:]][e.campaign] = min(firstSent[e.contact]?[e.campaign] ?? .max, e.ts)
            }
            lastCampaigns = firstSent.mapValues { sent in
                Set(sent.sorted { $0.value > $1.value }.prefix(Int(n)).map(\.key))
            }
        }
        // `at_least: N`: distinct campaigns, at least N (0: everyone).
        var atLeast: Int64?
        if let v = byName[.atLeast] {
            guard case .integer(let n) = v.kind, n >= 0 else { throw RefError(description: "at_least") }
            atLeast = n
        }
        var linkPatterns: [String]?
        if let v = byName[.link] {
            guard let ps = strings(v) else { throw RefError(description: "link") }
            linkPatterns = ps
        }
        func isFooter(_ e: RefStore.Event) -> Bool {
            guard let url = e.url else { return false }
            return store.links.contains { $0.campaign == e.campaign && $0.url == url && $0.footer }
        }

        var counts: [String: Int64] = [:]
        var campaignsOf: [String: Set<String>] = [:]
        for e in store.events where e.kind == kind {
            if let scope, !scope.contains(e.campaign) { continue }
            if let lastCampaigns, !(lastCampaigns[e.contact]?.contains(e.campaign) ?? false) { continue }
            if let message, e.message != message { continue }
            if e.ts < lower || e.ts > upper { continue }
            if let machine, e.machine != machine { continue }
            if let bounce, e.bounce != bounce { continue }
            if let reason {
                guard let r = e.reason, refGlob(reason, r) else { continue }
            }
            if kind == .clicked {
                if !footer, isFooter(e) { continue }
                if let linkPatterns {
                    guard let url = e.url else { continue }
                    let path = refPath(url)
                    guard linkPatterns.contains(where: { p in p.hasPrefix("/") ? refGlob(p, path) : refGlob(p, url) }) else { continue }
                }
            }
            counts[e.contact, default: 0] += 1
            campaignsOf[e.contact, default: []].insert(e.campaign)
        }
        if let atLeast {
            return Set(store.contacts.map(\.key).filter { Int64(campaignsOf[$0]?.count ?? 0) >= atLeast })
        }
        return Set(store.contacts.map(\.key).filter { test(counts[$0] ?? 0) })
    }

    private func field(_ f: FieldCondition) throws -> Set<String> {
        let name = f.field.text
        let standard = ["email", "phone", "first_name", "last_name", "created_at"]
        let attributeNames = Set(store.contacts.flatMap { $0.attributes.keys })
        guard standard.contains(name) || attributeNames.contains(name) else {
            throw RefError(description: "unknown field \(name)")
        }
        // Literal → typed value; nil for a literal of no usable type.
        func literal(_ v: Value) -> RefValue? {
            switch v.kind {
            case .string(let s): return .string(s)
            case .integer(let i): return .number(Double(i))
            case .decimal(let d): return .number(d)
            case .boolean(let b): return .bool(b)
            default: return nil
            }
        }
        func compare(_ have: RefValue, _ op: ComparisonOperator, _ want: RefValue) -> Bool {
            switch (have, want) {
            case (.string(let a), .string(let b)): return refHolds(refCompare(a, b), op)
            case (.number(let a), .number(let b)): return refHolds(a < b ? -1 : a == b ? 0 : 1, op)
            case (.bool(let a), .bool(let b)): return refHolds(a == b ? 0 : (a ? 1 : -1), op)
            default: return false
            }
        }
        var out = Set<String>()
        if name == "created_at" {
            for c in store.contacts {
                guard let t = c.createdAt else {
                    if case .exists = f.test { continue }
                    continue
                }
                switch f.test {
                case .exists:
                    out.insert(c.key)
                case .compare(let op, let v):
                    guard case .string(let s) = v.kind else { throw RefError(description: "created_at type") }
                    let start = try date(v)
                    if s.count == 10 {
                        // A day: = within it, < before it, <= up to its end, and so on.
                        let end = start + 86_400
                        let ok: Bool
                        switch op {
                        case .equal: ok = t >= start && t < end
                        case .notEqual: ok = t < start || t >= end
                        case .less: ok = t < start
                        case .lessOrEqual: ok = t < end
                        case .greater: ok = t >= end
                        case .greaterOrEqual: ok = t >= start
                        }
                        if ok { out.insert(c.key) }
                    } else if refHolds(t < start ? -1 : t == start ? 0 : 1, op) {
                        out.insert(c.key)
                    }
                default:
                    throw RefError(description: "created_at test")
                }
            }
            return out
        }
        let lower = name == "email"
        for c in store.contacts {
            let have: RefValue?
            switch name {
            case "email": have = c.email.map { .string($0) }
            case "phone": have = c.phone.map { .string($0) }
            case "first_name": have = c.firstName.map { .string($0) }
            case "last_name": have = c.lastName.map { .string($0) }
            default: have = c.attributes[name]
            }
            let isStandard = standard.contains(name)
            func want(_ v: Value) throws -> RefValue {
                guard var l = literal(v) else { throw RefError(description: "literal") }
                if isStandard {
                    guard case .string(let s) = l else { throw RefError(description: "text field with non-string") }
                    if lower { l = .string(s.lowercased()) }
                }
                return l
            }
            switch f.test {
            case .exists:
                if have != nil { out.insert(c.key) }
            case .compare(let op, let v):
                let w = try want(v)
                if case .bool = w, op != .equal, op != .notEqual { throw RefError(description: "bool ordering") }
                if let have, compare(have, op, w) { out.insert(c.key) }
            case .oneOf(let v):
                guard case .list(let items) = v.kind else { throw RefError(description: "in") }
                let ws = try items.map(want)
                if let have, ws.contains(where: { compare(have, .equal, $0) }) { out.insert(c.key) }
            case .matches(let v):
                guard case .string(var p) = v.kind else { throw RefError(description: "matches") }
                if lower { p = p.lowercased() }
                if case .string(let s)? = have, refGlob(p, s) { out.insert(c.key) }
            }
        }
        return out
    }
}
