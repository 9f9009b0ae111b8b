// Random stores (as canonical JSON Lines, and as the reference model the same lines
// mean) and random queries over every construct of the language.

import SegQL
import SegSession

/// The generators' random stream: SegQL's SplitMix64, with the draws they use (through
/// the standard library's `random(in:using:)`, which fixes each seed's corpus).
struct SeededRandom: RandomNumberGenerator {
    private var base: SplitMix64
    init(seed: UInt64) { base = SplitMix64(seed) }
    mutating func next() -> UInt64 { base.next() }
    mutating func chance(_ p: Double) -> Bool { Double.random(in: 0..<1, using: &self) < p }
    mutating func pick<T>(_ xs: [T]) -> T { xs[Int.random(in: 0..<xs.count, using: &self)] }
    mutating func int(_ r: ClosedRange<Int>) -> Int { Int.random(in: r, using: &self) }
}

/// A JSON string literal (the writer's escaping, RFC 8259).
func jsonString(_ s: String) -> String { ResultWriter.jsonString(s) }

/// A SegQL string literal (the printer's quoting).
func segqlString(_ s: String) -> String { Printer.quoted(s) }

/// The fixed "now" of differential stores: 2026-06-01T00:00:00Z.
let differentialNow: Int64 = 1_780_272_000

/// Builds a random store: its import lines and the model they mean.
struct RandomStoreBuilder {
    static let campaignPool: [(String, String, Int64)] = [
        ("Spring Sale", "email", 2), ("Spring Sale 2", "email", 1), ("Summer_50% off", "email", 1),
        ("News [weekly]", "email", 3), ("Welcome?", "email", 1), ("Flash SMS", "sms", 1), ("Reminder SMS", "sms", 2),
        ("Café Été", "email", 1),
    ]
    static let hosts = ["https://shop.example.com", "https://blog.example.org", "http://x.example.com"]
    static let paths = ["/pricing", "/pricing?utm_source=mail", "/blog/a", "/blog/b#top", "", "/Pricing", "/50%_off"]
    static let footerPaths = ["/unsubscribe", "/privacy"]
    static let reasons = ["550 5.1.1 user unknown", "452 mailbox full", "Bounced Address", "Spam Reporting Address"]
    static let countries = ["SE", "NO", "se", "DE"]

    var rng: SeededRandom
    var store = RefStore()
    var lines: [String] = []
    var undeclared = Set<String>()
    /// Each campaign's sends in a day of its own, the campaigns' days apart (as campaigns
    /// sent in one batch each are): `of_last` then reads the recipients ranked by
    /// campaign (EventFilter.sendOrder) instead of the sends in time order.
    var disjointSends = false

    init(seed: UInt64, disjointSends: Bool = false) {
        rng = SeededRandom(seed: seed)
        self.disjointSends = disjointSends
    }

    mutating func build() -> (lines: [String], store: RefStore) {
        // Campaigns: most declared, some only named by events (auto-created: e-mail, 1 message).
        let count = rng.int(3...6)
        var pool = Self.campaignPool
        pool.shuffle(using: &rng)
        for (name, channel, messages) in pool.prefix(count) {
            if rng.chance(0.8) {
                let sentAt = differentialNow - Int64(rng.int(1...50)) * 86_400
                store.campaigns.append(.init(name: name, channel: channel, messages: messages, sentAt: sentAt))
                lines.append(#"{"record":"campaign","name":\#(jsonString(name)),"channel":"\#(channel)","subject":"S","sent_at":\#(sentAt),"messages":\#(messages)}"#)
            } else {
                store.campaigns.append(.init(name: name, channel: "email", messages: 1, sentAt: nil))
            }
        }
        // Declared links, some of them footer links.
        for c in store.campaigns where rng.chance(0.8) {
            for _ in 0..<rng.int(1...3) {
                let footer = rng.chance(0.3)
                let url = rng.pick(Self.hosts) + (footer ? rng.pick(Self.footerPaths) : rng.pick(Self.paths))
                guard !store.links.contains(where: { $0.campaign == c.name && $0.url == url }) else { continue }
                store.links.append(.init(campaign: c.name, url: url, footer: footer))
                lines.append(#"{"record":"link","campaign":\#(jsonString(c.name)),"url":\#(jsonString(url)),"footer":\#(footer)}"#)
            }
        }
        // Contacts.
        let names = ["Ana", "Bo", "Cyd", "Dee", "Åsa", "O'Neil"]
        for i in 0..<rng.int(12...30) {
            let hasEmail = rng.chance(0.85)
            let email = hasEmail ? "user\(i)@\(rng.pick(["example.com", "Example.com", "mail.se"]))" : nil
            let phone = !hasEmail || rng.chance(0.3) ? "+4670\(1000 + i)" : nil
            var c = RefStore.Contact(
                email: email?.lowercased(), phone: phone, firstName: rng.chance(0.7) ? rng.pick(names) : nil,
                lastName: rng.chance(0.5) ? "L\(i)" : nil,
                createdAt: rng.chance(0.7) ? differentialNow - Int64(rng.int(0...200)) * 86_400 + Int64(rng.int(0...86_399)) : nil,
                attributes: [:])
            if rng.chance(0.7) { c.attributes["country"] = .string(rng.pick(Self.countries)) }
            if rng.chance(0.6) { c.attributes["age"] = rng.chance(0.8) ? .number(Double(rng.int(18...70))) : .number(34.5) }
            if rng.chance(0.5) { c.attributes["vip"] = .bool(rng.chance(0.5)) }
            if rng.chance(0.5) { c.attributes["zip"] = rng.chance(0.5) ? .string("01234") : .number(1234) }
            // Some contacts are only ever named by events (auto-created with only that address).
            if rng.chance(0.2) {
                c.attributes = [:]
                c.firstName = nil
                c.lastName = nil
                c.createdAt = nil
                if c.email != nil { c.phone = nil }
                undeclared.insert(c.key)
                store.contacts.append(c)
                continue
            }
            store.contacts.append(c)
            var members: [String] = [#""record":"contact""#]
            // The import matches e-mail case-insensitively: write it as it came.
            if let email { members.append(#""email":\#(jsonString(email))"#) }
            if let phone { members.append(#""phone":\#(jsonString(phone))"#) }
            if let f = c.firstName { members.append(#""first_name":\#(jsonString(f))"#) }
            if let l = c.lastName { members.append(#""last_name":\#(jsonString(l))"#) }
            if let t = c.createdAt { members.append(#""created_at":\#(t)"#) }
            if !c.attributes.isEmpty {
                let attrs = c.attributes.sorted { $0.key < $1.key }.map { key, value -> String in
                    switch value {
                    case .string(let s): return "\(jsonString(key)):\(jsonString(s))"
                    case .number(let d): return "\(jsonString(key)):\(d == d.rounded() ? String(Int64(d)) : String(d))"
                    case .bool(let b): return "\(jsonString(key)):\(b)"
                    }
                }
                members.append(#""attributes":{\#(attrs.joined(separator: ","))}"#)
            }
            lines.append("{" + members.joined(separator: ",") + "}")
        }
        // Events: a skewed number per contact; some contacts have none.
        var nextID = 0
        var named = Set<String>()
        for c in store.contacts {
            let n = rng.chance(0.15) ? 0 : rng.int(0...12)
            for _ in 0..<n {
                let campaign = rng.pick(store.campaigns)
                var kind = rng.pick(EventKind.allCases)
                if campaign.channel == "sms", kind == .opened { kind = .clicked }
                let message = Int64(rng.int(1...Int(campaign.messages)))
                var ts = differentialNow - Int64(rng.int(-3 * 86_400...60 * 86_400))
                if disjointSends, kind == .sent, let i = store.campaigns.firstIndex(where: { $0.name == campaign.name }) {
                    ts = differentialNow - Int64(60 - 5 * i) * 86_400 + Int64(rng.int(0...86_399))
                }
                var e = RefStore.Event(
                    kind: kind, contact: c.key, campaign: campaign.name, message: message, ts: ts, url: nil,
                    bounce: nil, reason: nil, machine: false)
                var members = [
                    #""record":"event""#, #""kind":"\#(kind.verb)""#,
                    #""contact":\#(jsonString(contactReference(c)))"#,
                    #""campaign":\#(jsonString(campaign.name))"#,
                ]
                if message != 1 || rng.chance(0.3) { members.append(#""message":\#(message)"#) }
                members.append(rng.chance(0.5) ? #""ts":\#(ts)"# : #""ts":"\#(Timestamp.iso8601(ts))""#)
                switch kind {
                case .clicked:
                    let declared = store.links.filter { $0.campaign == campaign.name }
                    if !declared.isEmpty, rng.chance(0.7) {
                        e.url = rng.pick(declared).url
                    } else if rng.chance(0.8) {
                        // An undeclared link: created on the spot, not a footer link.
                        let url = rng.pick(Self.hosts) + rng.pick(Self.paths)
                        e.url = url
                        if !store.links.contains(where: { $0.campaign == campaign.name && $0.url == url }) {
                            store.links.append(.init(campaign: campaign.name, url: url, footer: false))
                        }
                    }
                    if let url = e.url { members.append(#""url":\#(jsonString(url))"#) }
                case .bounced:
                    e.bounce = rng.chance(0.5) ? "hard" : "soft"
                    e.reason = rng.pick(Self.reasons)
                    members.append(#""bounce":"\#(e.bounce ?? "")","reason":\#(jsonString(e.reason ?? ""))"#)
                case .dropped:
                    e.reason = rng.pick(Self.reasons)
                    members.append(#""reason":\#(jsonString(e.reason ?? ""))"#)
                case .opened:
                    e.machine = rng.chance(0.3)
                    if e.machine || rng.chance(0.2) { members.append(#""machine":\#(e.machine)"#) }
                default:
                    break
                }
                let withID = rng.chance(0.6)
                if withID {
                    nextID += 1
                    members.append(#""id":"ev-\#(nextID)""#)
                }
                let line = "{" + members.joined(separator: ",") + "}"
                lines.append(line)
                store.events.append(e)
                named.insert(c.key)
                // A re-delivered event with the same id is skipped by the import.
                if withID, rng.chance(0.1) { lines.append(line) }
            }
        }
        // A contact never declared and never named by an event does not exist.
        store.contacts.removeAll { undeclared.contains($0.key) && !named.contains($0.key) }
        return (lines, store)
    }

    /// How an event names a contact: its e-mail in any case, or its phone.
    private mutating func contactReference(_ c: RefStore.Contact) -> String {
        if let phone = c.phone, c.email == nil || rng.chance(0.3) { return phone }
        guard let email = c.email else { return "" }
        return rng.chance(0.3) ? email.uppercased() : email
    }
}

/// Random query text over every construct, against a store's names.
struct RandomQueryBuilder {
    var rng: SeededRandom
    let store: RefStore
    var aliases: [String] = []

    init(seed: UInt64, store: RefStore) {
        rng = SeededRandom(seed: seed)
        self.store = store
    }

    mutating func query(depth: Int = 0) -> String {
        let leaf = depth >= 3 || rng.chance(0.35 + Double(depth) * 0.15)
        if leaf { return atom() }
        switch rng.int(0...3) {
        case 0: return "\(query(depth: depth + 1)) or \(query(depth: depth + 1))"
        case 1: return "\(query(depth: depth + 1)) and \(query(depth: depth + 1))"
        case 2: return "not \(query(depth: depth + 1))"
        default: return "(\(query(depth: depth + 1)))"
        }
    }

    mutating func atom() -> String {
        switch rng.int(0...9) {
        case 0...3: return event()
        case 4...5: return count()
        case 6...7: return field()
        case 8:
            if !aliases.isEmpty, rng.chance(0.5) { return rng.pick(aliases) }
            if rng.chance(0.3) {  // a built-in audience with a window or a campaign
                let args = arguments(for: .delivered)
                return "\(rng.pick(AudienceCall.names))(\(args))"
            }
            return rng.pick(Binder.builtinAudiences)
        default:
            return rng.pick(Binder.builtinAudiences)
        }
    }

    mutating func event() -> String {
        let kind = rng.pick(EventKind.allCases)
        let verb = kind == .delivered && rng.chance(0.3) ? "received" : kind.verb
        let args = arguments(for: kind, verb: true)
        if args.isEmpty { return rng.chance(0.5) ? verb : "\(verb)()" }
        return "\(verb)(\(args))"
    }

    mutating func count() -> String {
        let kind = rng.pick(EventKind.allCases)
        let op = rng.pick(ComparisonOperator.allCases).rawValue
        let n = rng.int(0...3)
        let args = arguments(for: kind)
        return args.isEmpty ? "\(kind.noun) \(op) \(n)" : "\(kind.noun)(\(args)) \(op) \(n)"
    }

    mutating func campaignValue() -> String {
        let names = store.campaigns.map(\.name)
        switch rng.int(0...9) {
        case 0...4: return segqlString(rng.pick(names))
        case 5: return segqlString("*")
        case 6: return segqlString(rng.pick(["Spring*", "*SMS", "*[weekly]", "*%*", "Summer_*", "Nope*", "*?"]))
        case 7, 8: return "[" + (0..<rng.int(1...3)).map { _ in segqlString(rng.pick(names + ["*Sale*"])) }.joined(separator: ", ") + "]"
        default: return segqlString(rng.chance(0.5) ? "Sprng Sale" : "spring sale")
        }
    }

    mutating func arguments(for kind: EventKind, verb: Bool = false) -> String {
        var args: [String] = []
        var candidates: [ArgumentName] = (ArgumentName.common + kind.specificArguments).filter { verb || $0 != .atLeast }
        if rng.chance(0.04) { candidates.append(rng.pick(ArgumentName.allCases)) }  // maybe inapplicable
        for name in candidates where rng.chance(name == .campaign ? 0.5 : 0.15) {
            let value: String
            switch name {
            case .campaign: value = campaignValue()
            case .channel: value = rng.pick(["email", "sms"])
            case .message: value = String(rng.int(1...3))
            case .within: value = rng.pick(["1d", "7d", "30d", "12h", "2w", "90m", "400d", "30d..7d", "2w..1d", "60d..30d", "7d..7d", "1mo", "3mo", "1y"])
            case .since, .before:
                value = rng.chance(0.2) ? rng.pick(["1d", "10d", "30d", "36h"])
                    : segqlString(rng.pick(["2026-05-01", "2026-05-20", "2026-06-01", "2026-05-25T12:00:00Z", "2026-04-01"]))
            case .link:
                let pool = ["/pricing", "/blog/*", "/", "/Pricing", "/50%_off", "/unsubscribe", "*example.com*",
                            "https://shop.example.com/pricing", "https://shop.example.com", "/nothing-here"]
                value = rng.chance(0.2)
                    ? "[" + segqlString(rng.pick(pool)) + ", " + segqlString(rng.pick(pool)) + "]"
                    : segqlString(rng.pick(pool))
            case .footer, .machine: value = rng.chance(0.5) ? "true" : "false"
            case .type: value = rng.pick(["hard", "soft"])
            case .reason: value = segqlString(rng.pick(["550*", "*full", "Bounced Address", "*"]))
            case .ofLast: value = String(rng.int(1...4))
            case .atLeast: value = String(rng.int(0...3))
            }
            args.append("\(name.rawValue): \(value)")
        }
        args.shuffle(using: &rng)
        return args.joined(separator: ", ")
    }

    mutating func field() -> String {
        switch rng.int(0...13) {
        case 0: return "email = " + segqlString("User\(rng.int(0...20))@Example.com")
        case 1: return "email matches " + segqlString(rng.pick(["*@example.com", "*@MAIL.se", "user1*"]))
        case 2: return rng.pick(["phone", "first_name", "last_name", "email", "created_at"]) + " exists"
        case 3: return "first_name in [\"Ana\", \"Åsa\", \"O'Neil\"]"
        case 4: return "created_at " + rng.pick(["<", ">=", "=", "!=", "<=", ">"]) + " " + segqlString(rng.pick(["2026-01-05", "2026-03-01", "2026-05-20T10:00:00Z"]))
        case 5: return "country " + rng.pick(["=", "!="]) + " " + segqlString(rng.pick(Self.countries))
        case 6: return "age " + rng.pick(["<", ">=", "=", ">"]) + " " + rng.pick(["30", "34.5", "\"34\""])
        case 7: return "vip " + rng.pick(["=", "!="]) + " " + rng.pick(["true", "false"])
        case 8: return "zip = " + rng.pick(["\"01234\"", "1234"])
        case 9: return "country in [\"SE\", \"NO\", 1]"
        case 10: return rng.pick(["country", "age", "vip", "zip"]) + " exists"
        case 11: return "country matches " + segqlString(rng.pick(["S*", "*e", "*"]))
        case 12: return "last_name > \"L1\""
        default: return rng.pick(["countrey = \"SE\"", "plan = \"pro\""])  // unknown: an error on both paths
        }
    }

    static let countries = ["SE", "NO", "se", "DE"]
}
