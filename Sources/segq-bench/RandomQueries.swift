// The random query generator of `segq-bench random`: realistic queries over the whole
// language, drawn from one store's own names and values.
//
// A benchmark of fixed queries can be tuned to; a stream of queries a marketer could
// have written cannot. So the generator knows the language, not the planner: every
// event kind as a verb or a count (`= 0`, `< N`, `<= N`, `>= N` …), every argument
// that narrows events (campaign names, globs and lists, channel, message, link paths,
// URLs, globs and lists, footer, machine, bounce type, reason globs), windows of every
// form (`within:` in minutes, hours, days and weeks; `since:` and `before:` as dates and
// date-times, alone or together), N of M (`at_least:` distinct campaigns, `of_last:`
// campaigns sent to the contact), custom attributes of every type (comparisons, `in`,
// `matches`, `exists`, and now and then a literal of the wrong type), the standard
// contact fields, the built-in audiences, saved lists, and `and`/`or`/`not` nested up
// to four levels. What it draws from — campaigns, links, attribute names and their
// values weighted by how common they are, failure reasons, names and e-mail domains,
// the time span of the events — is read from the store (`StoreSample`), so every name
// resolves and most conditions select someone.
//
// Most queries have one to four conditions, as people write them; about one in eight
// has five to twelve. A seed gives the same queries on the same store, every run.

import SegQL
import SegStore

/// The names and values of one store that queries are drawn from.
struct StoreSample {
    struct Attribute {
        var name: String
        /// Values seen, most common first, with how many contacts have each.
        var strings: [(String, Int64)] = []
        var numbers: [(Double, Int64)] = []
        var booleans: [(Bool, Int64)] = []
    }

    var campaigns: [Catalog.Campaign]
    var links: [Catalog.Link]
    var attributes: [Attribute]
    /// Failure reasons of drops and bounces.
    var reasons: [String]
    var emails: [String]
    var firstNames: [String]
    var lastNames: [String]
    var lists: [String]
    /// The span of event times and of contact creation times.
    var firstEvent: Int64
    var createdRange: ClosedRange<Int64>
    /// The instant `within:` is measured from.
    var now: Int64

    /// Reads the sample from a store: a few small tables, one index range per attribute,
    /// and the first drops and bounces (for their reasons).
    static func read(_ store: Store, now: Int64) throws -> StoreSample {
        let catalog = try store.catalog()
        let db = store.database
        var attributes: [Attribute] = []
        for name in catalog.attributes.sorted() where usableName(name) {
            var a = Attribute(name: name)
            try db.query("""
                SELECT type, value, count(*) FROM contact_attributes WHERE name = ?1
                GROUP BY type, value ORDER BY count(*) DESC, type, value LIMIT 60
                """, [.text(name)]) { row in
                let n = row.int64(2)
                switch row.text(0) {
                case "string": a.strings.append((row.text(1), n))
                case "number": a.numbers.append((row.double(1), n))
                case "boolean": a.booleans.append((row.int64(1) != 0, n))
                default: break
                }
            }
            attributes.append(a)
        }
        var reasons: Set<String> = []
        for kind in [EventKind.dropped, .bounced] {
            try db.query("SELECT reason FROM events WHERE kind = ?1 AND reason IS NOT NULL ORDER BY ts LIMIT 20000", [.integer(Int64(kind.rawValue))]) {
                reasons.insert($0.text(0))
            }
        }
        var emails: [String] = [], first: Set<String> = [], last: Set<String> = []
        try db.query("SELECT email, first_name, last_name FROM contacts WHERE id % 97 = 0 ORDER BY id LIMIT 400") { row in
            if let e = row.optionalText(0) { emails.append(e) }
            if let f = row.optionalText(1) { first.insert(f) }
            if let l = row.optionalText(2) { last.insert(l) }
        }
        let minTs = catalog.stats.values.flatMap { $0.values.compactMap(\.minTs) }.min() ?? now - 365 * 86_400
        let lo = try db.int64("SELECT min(created_at) FROM contacts") ?? minTs
        let hi = try db.int64("SELECT max(created_at) FROM contacts") ?? now
        return StoreSample(
            campaigns: catalog.campaigns, links: catalog.links, attributes: attributes, reasons: reasons.sorted(),
            emails: emails, firstNames: first.sorted(), lastNames: last.sorted(), lists: catalog.lists.keys.sorted(),
            firstEvent: min(minTs, now - 86_400), createdRange: min(lo, hi)...max(lo, hi), now: now)
    }

    /// Whether an attribute can be written as a bare name in a condition: a plain ASCII
    /// identifier that no reserved word, event word, built-in or standard field takes.
    static func usableName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, first == "_" || (first.isASCII && first.properties.isAlphabetic) else { return false }
        guard name.unicodeScalars.allSatisfy({ $0 == "_" || ($0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0))) }) else { return false }
        let taken = Set(Keyword.reserved.map(\.rawValue) + EventKind.allCases.flatMap { [$0.verb, $0.noun] }
            + Binder.builtinAudiences + StandardField.allCases.map(\.rawValue) + ["received", "segment", "list"])
        return !taken.contains(name.lowercased())
    }
}

/// Draws random queries (as SegQL source) from a `StoreSample`.
struct QueryGenerator {
    let sample: StoreSample
    private var rng: SplitMix64
    private let emailCampaigns: [Catalog.Campaign]

    init(sample: StoreSample, seed: UInt64) {
        self.sample = sample
        rng = SplitMix64(seed)
        emailCampaigns = sample.campaigns.filter { $0.channel == .email }
    }

    /// The next query.
    mutating func next() -> String {
        let r = rng.unit()
        let conditions = r < 0.25 ? 1 : r < 0.55 ? 2 : r < 0.75 ? 3 : r < 0.88 ? 4 : r < 0.97 ? 5 + rng.below(4) : 9 + rng.below(4)
        return node(conditions, depth: 1).text
    }

    // MARK: - Shape

    /// `n` conditions as one expression; `compound` when it needs parentheses as an operand.
    private mutating func node(_ n: Int, depth: Int) -> (text: String, compound: Bool) {
        if n == 1 { return leaf() }
        let op = rng.chance(0.7) ? "and" : "or"
        // At the deepest level the conditions are joined flat, without more nesting.
        if depth >= 4 {
            return ((0..<n).map { _ in operand(leaf()) }.joined(separator: " \(op) "), true)
        }
        let k = min(n, 2 + (rng.chance(0.3) ? 1 : 0))
        var parts = Array(repeating: 1, count: k)
        for _ in 0..<(n - k) { parts[rng.below(k)] += 1 }
        let children = parts.map { part -> String in
            var child = node(part, depth: depth + 1)
            if child.compound, rng.chance(0.12) {
                child = ("not (\(child.text))", false)
            }
            return operand(child)
        }
        return (children.joined(separator: " \(op) "), true)
    }

    private func operand(_ e: (text: String, compound: Bool)) -> String {
        e.compound ? "(\(e.text))" : e.text
    }

    private mutating func leaf() -> (text: String, compound: Bool) {
        let r = rng.unit()
        if r < 0.62 { return (event(), false) }
        if r < 0.82, !sample.attributes.isEmpty { return (attribute(), false) }
        if r < 0.89 { return (field(), false) }
        if r < 0.97 || sample.lists.isEmpty { return (builtin(), false) }
        return ((rng.chance(0.2) ? "not " : "") + "list " + Printer.quoted(pick(sample.lists)), false)
    }

    // MARK: - Random helpers

    private mutating func pick<T>(_ xs: [T]) -> T { xs[rng.below(xs.count)] }

    /// Picks by weight.
    private mutating func weighted<T>(_ xs: [(T, Double)]) -> T {
        let total = xs.reduce(0) { $0 + $1.1 }
        var x = rng.unit() * total
        for (v, w) in xs {
            x -= w
            if x < 0 { return v }
        }
        return xs[xs.count - 1].0
    }

    /// A value seen in the store: half the time as common as it is, else any of the top ones.
    private mutating func seen<T>(_ xs: [(T, Int64)]) -> T {
        rng.chance(0.5) ? weighted(xs.map { ($0.0, Double($0.1)) }) : pick(xs).0
    }

    // MARK: - Events

    private static let kinds: [(EventKind, Double)] = [
        (.opened, 25), (.clicked, 24), (.delivered, 12), (.sent, 7), (.bounced, 6), (.dropped, 4),
        (.replied, 6), (.forwarded, 4), (.unsubscribed, 7), (.complained, 5),
    ]

    private mutating func event() -> String {
        let kind = weighted(Self.kinds)
        var args: [String] = []
        var campaigns: [Catalog.Campaign]? = nil
        if rng.chance(0.45) {
            let (text, scope) = campaignArgument(opens: kind == .opened)
            args.append("campaign: " + text)
            campaigns = scope
        }
        if rng.chance(0.08) {
            args.append("channel: " + (kind == .opened || campaigns != nil || rng.chance(0.6) ? "email" : "sms"))
        }
        if rng.chance(0.06) {
            let most = campaigns?.map(\.messages).max() ?? 2
            args.append("message: \(1 + rng.below(Int(max(1, most))))")
        }
        if rng.chance(0.45) { args.append(contentsOf: window()) }
        if rng.chance(0.06) { args.append("of_last: \(1 + rng.below(6))") }
        switch kind {
        case .clicked:
            if rng.chance(0.3) { args.append("link: " + linkArgument(in: campaigns)) }
            if rng.chance(0.1) { args.append("footer: \(rng.chance(0.6))") }
        case .opened:
            if rng.chance(0.2) { args.append("machine: \(rng.chance(0.4))") }
        case .bounced:
            if rng.chance(0.4) { args.append("type: " + (rng.chance(0.5) ? "hard" : "soft")) }
            if rng.chance(0.15) { args.append("reason: " + reasonArgument()) }
        case .dropped:
            if rng.chance(0.3) { args.append("reason: " + reasonArgument()) }
        default:
            break
        }
        // Arguments in any order, as people write them.
        for i in stride(from: args.count - 1, to: 0, by: -1) { args.swapAt(i, rng.below(i + 1)) }
        var written = args.isEmpty ? (rng.chance(0.1) ? "()" : "") : "(" + args.joined(separator: ", ") + ")"
        if rng.chance(0.65) {
            // N of M: at least N distinct campaigns (verbs only).
            if rng.chance(0.08) { written = "(" + (args + ["at_least: \(2 + rng.below(3))"]).joined(separator: ", ") + ")" }
            let verb = kind == .delivered && rng.chance(0.3) ? "received" : kind.verb
            return (rng.chance(0.2) ? "not " : "") + verb + written
        }
        let (op, n): (String, Int) = weighted([
            ((">=", 1 + rng.below(5)), 40), (("=", 0), 12), (("<", 1 + rng.below(4)), 12), (("<=", rng.below(4)), 8),
            ((">", rng.below(5)), 14), (("=", 1 + rng.below(3)), 9), (("!=", rng.below(3)), 5),
        ])
        return kind.noun + written + " \(op) \(n)"
    }

    /// A `campaign:` value: a name, a glob or a list; and the campaigns it names (nil for `"*"`).
    private mutating func campaignArgument(opens: Bool) -> (String, [Catalog.Campaign]?) {
        let pool = opens ? emailCampaigns : sample.campaigns
        let r = rng.unit()
        if r < 0.6 || pool.count < 2 {
            let c = pick(pool)
            return (Printer.quoted(c.name), [c])
        }
        if r < 0.8 {
            let words = pick(pool).name.split(separator: " ").map(String.init)
            let pattern: String
            switch rng.below(4) {
            case 0: pattern = words[0] + "*"
            case 1: pattern = "*" + words[words.count - 1]
            case 2: pattern = "*" + pick(words) + "*"
            default: pattern = "*"
            }
            if pattern == "*" { return ("\"*\"", nil) }
            let matched = sample.campaigns.filter { GlobPattern(pattern).matches($0.name) }
            // Opens of SMS campaigns only is an error: keep a glob for opens to email ones.
            if opens, !matched.isEmpty, matched.allSatisfy({ $0.channel == .sms }) {
                let c = pick(pool)
                return (Printer.quoted(c.name), [c])
            }
            return (Printer.quoted(pattern), matched)
        }
        var chosen: [Catalog.Campaign] = []
        for _ in 0..<(2 + rng.below(2)) {
            let c = pick(pool)
            if !chosen.contains(c) { chosen.append(c) }
        }
        return ("[" + chosen.map { Printer.quoted($0.name) }.joined(separator: ", ") + "]", chosen)
    }

    /// A `link:` value from the links of the campaigns in scope: a path, a URL, a path
    /// glob, or a list of paths.
    private mutating func linkArgument(in campaigns: [Catalog.Campaign]?) -> String {
        var links = sample.links
        if let campaigns {
            let ids = Set(campaigns.map(\.id))
            let inScope = links.filter { ids.contains($0.campaignID) }
            if !inScope.isEmpty { links = inScope }
        }
        guard !links.isEmpty else { return "\"/\"" }
        let nonFooter = links.filter { !$0.footer }
        let l = pick(rng.chance(0.85) && !nonFooter.isEmpty ? nonFooter : links)
        switch rng.below(10) {
        case 0...4: return Printer.quoted(l.path)
        case 5, 6: return Printer.quoted(l.url)
        case 7:
            let segments = l.path.split(separator: "/")
            return Printer.quoted(segments.count > 1 ? "/" + segments[0] + "/*" : l.path.count > 2 ? String(l.path.prefix(3)) + "*" : "/*")
        default:
            let other = pick(links)
            return "[" + Printer.quoted(l.path) + ", " + Printer.quoted(other.path) + "]"
        }
    }

    private mutating func reasonArgument() -> String {
        guard !sample.reasons.isEmpty else { return "\"*\"" }
        let reason = pick(sample.reasons)
        let words = reason.split(separator: " ").map(String.init)
        switch rng.below(3) {
        case 0: return Printer.quoted(reason)
        case 1: return Printer.quoted(words[0] + "*")
        default: return Printer.quoted("*" + pick(words) + "*")
        }
    }

    // MARK: - Windows

    private static let durations: [(String, Double)] = [
        ("15m", 1), ("6h", 1), ("12h", 1), ("24h", 1), ("1d", 1), ("3d", 2), ("7d", 6), ("1w", 2), ("2w", 4), ("14d", 3),
        ("30d", 10), ("4w", 2), ("60d", 4), ("90d", 8), ("180d", 4), ("365d", 6), ("52w", 1),
    ]

    private mutating func window() -> [String] {
        switch weighted([(0, 55.0), (1, 18), (2, 15), (3, 9), (4, 3)]) {
        case 0:
            // Now and then a relative range: between the farther and the nearer duration.
            guard rng.chance(0.15) else { return ["within: " + weighted(Self.durations)] }
            return [weighted([("within: 90d..30d", 3.0), ("within: 60d..7d", 2), ("within: 365d..180d", 1), ("within: 2w..1w", 1)])]
        case 1: return ["since: " + date()]
        case 2: return ["before: " + (rng.chance(0.2) ? weighted([("365d", 2.0), ("180d", 1), ("90d", 1)]) : date())]
        case 3:
            let a = instant(), b = instant()
            return ["since: " + dateText(min(a, b)), "before: " + dateText(max(a, b) + 86_400)]
        default: return ["within: " + weighted(Self.durations), "since: " + date()]
        }
    }

    private mutating func instant() -> Int64 {
        sample.firstEvent + Int64(rng.unit() * Double(sample.now - sample.firstEvent))
    }

    private mutating func date() -> String { dateText(instant()) }

    /// A date (`"2026-03-01"`) three times in four, else a date-time (`"2026-03-01T09:30:00Z"`).
    private mutating func dateText(_ t: Int64) -> String {
        let (days, secs) = (t >= 0 ? t / 86_400 : (t - 86_399) / 86_400, ((t % 86_400) + 86_400) % 86_400)
        let (y, m, d) = Timestamp.civilFromDays(days)
        func two(_ x: Int64) -> String { x < 10 ? "0\(x)" : "\(x)" }
        let day = "\(y)-\(two(m))-\(two(d))"
        if rng.chance(0.75) { return "\"\(day)\"" }
        return "\"\(day)T\(two(secs / 3_600)):\(two(secs / 60 % 60)):\(two(secs % 60))Z\""
    }

    // MARK: - Fields

    private mutating func number(_ d: Double) -> String {
        d == d.rounded() && abs(d) < 1e15 ? String(Int64(d)) : String(format2(d))
    }

    private func format2(_ d: Double) -> String {
        let scaled = (d * 100).rounded() / 100
        var s = "\(scaled)"
        if s.contains("e") { s = "\(Int64(scaled))" }
        return s
    }

    private mutating func attribute() -> String {
        let a = pick(sample.attributes)
        let name = a.name
        let r = rng.unit()
        if r < 0.04 { return name + " exists" }
        if r < 0.06 { return "not " + name + " exists" }
        if r < 0.08 {
            // A literal of another type than the attribute's: type-strict, so it selects nobody.
            return name + " = " + (a.strings.isEmpty ? "\"x\"" : "1")
        }
        let negate = rng.chance(0.08) ? "not " : ""
        if !a.strings.isEmpty, a.strings.count >= a.numbers.count, a.strings.count >= a.booleans.count {
            let v = seen(a.strings)
            switch weighted([(0, 50.0), (1, 8), (2, 20), (3, 12), (4, 5), (5, 5)]) {
            case 0: return negate + name + " = " + Printer.quoted(v)
            case 1: return negate + name + " != " + Printer.quoted(v)
            case 2:
                let vs = [v] + (0..<(1 + rng.below(3))).map { _ in seen(a.strings) }
                return negate + name + " in [" + Array(Set(vs)).sorted().map(Printer.quoted).joined(separator: ", ") + "]"
            case 3:
                let p = rng.chance(0.6) ? String(v.prefix(1)) + "*" : "*" + String(v.suffix(1))
                return negate + name + " matches " + Printer.quoted(p)
            case 4: return negate + name + " < " + Printer.quoted(v)
            default: return negate + name + " >= " + Printer.quoted(v)
            }
        }
        if !a.numbers.isEmpty, a.numbers.count >= a.booleans.count {
            let v = number(seen(a.numbers))
            switch weighted([(0, 25.0), (1, 15), (2, 20), (3, 10), (4, 10), (5, 5), (6, 15)]) {
            case 0: return negate + name + " >= " + v
            case 1: return negate + name + " < " + v
            case 2: return negate + name + " > " + v
            case 3: return negate + name + " <= " + v
            case 4: return negate + name + " = " + v
            case 5: return negate + name + " != " + v
            default:
                let vs = [v] + (0..<(1 + rng.below(3))).map { _ in number(seen(a.numbers)) }
                return negate + name + " in [" + Array(Set(vs)).sorted().joined(separator: ", ") + "]"
            }
        }
        let b = a.booleans.isEmpty ? true : seen(a.booleans)
        return negate + name + (rng.chance(0.85) ? " = " : " != ") + "\(b)"
    }

    private mutating func field() -> String {
        switch rng.below(9) {
        case 0:
            guard let e = sample.emails.isEmpty ? nil : pick(sample.emails),
                  let at = e.firstIndex(of: "@") else { return "email exists" }
            return "email matches " + Printer.quoted("*" + e[at...])
        case 1:
            return sample.emails.isEmpty ? "email exists" : "email = " + Printer.quoted(pick(sample.emails))
        case 2: return rng.chance(0.5) ? "phone exists" : "not phone exists"
        case 3:
            return sample.firstNames.isEmpty ? "first_name exists" : "first_name = " + Printer.quoted(pick(sample.firstNames))
        case 4:
            guard !sample.lastNames.isEmpty else { return "last_name exists" }
            let names = Set((0..<(2 + rng.below(3))).map { _ in pick(sample.lastNames) }).sorted()
            return "last_name in [" + names.map(Printer.quoted).joined(separator: ", ") + "]"
        case 5:
            guard !sample.firstNames.isEmpty else { return "first_name exists" }
            return "first_name matches " + Printer.quoted(String(pick(sample.firstNames).prefix(1)) + "*")
        default:
            let span = sample.createdRange
            let t = span.lowerBound + Int64(rng.unit() * Double(span.upperBound - span.lowerBound))
            let op = pick([">=", "<", ">", "<=", "="])
            return "created_at \(op) " + dateText(t)
        }
    }

    private mutating func builtin() -> String {
        let name = weighted([("openers", 3.0), ("clickers", 3), ("active", 4), ("inactive", 3), ("suppressed", 4), ("everyone", 1)])
        return (name == "suppressed" || rng.chance(0.1) ? (rng.chance(0.7) ? "not " : "") : "") + name
    }
}
