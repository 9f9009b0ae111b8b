import Foundation
import Testing
@testable import SegQL

/// A small catalog: two e-mail campaigns, one SMS campaign, links, attributes, a
/// segment, a cyclic pair of segments and a list.
let testCatalog: Catalog = {
    var c = Catalog(
        campaigns: [
            .init(id: 1, name: "Spring Sale", channel: .email, sentAt: 1_772_355_600, messages: 2),
            .init(id: 2, name: "Summer Newsletter", channel: .email, sentAt: 1_780_000_000),
            .init(id: 3, name: "Flash SMS", channel: .sms, sentAt: 1_781_000_000),
            .init(id: 4, name: "Reminder SMS", channel: .sms, sentAt: 1_781_100_000),
        ],
        links: [
            .init(id: 10, campaignID: 1, url: "https://shop.example.com/pricing?utm=1", path: "/pricing", footer: false),
            .init(id: 11, campaignID: 1, url: "https://shop.example.com/unsubscribe", path: "/unsubscribe", footer: true),
            .init(id: 12, campaignID: 2, url: "https://blog.example.com/posts/a", path: "/posts/a", footer: false),
            .init(id: 13, campaignID: 3, url: "https://s.example.com/x", path: "/x", footer: false),
        ],
        attributes: ["country", "plan", "age"],
        segments: ["engaged": "opened or clicked", "loop-a": "segment \"loop-b\"", "loop-b": "segment \"loop-a\""],
        lists: ["vip": 7],
        contactCount: 1_000)
    c.stats[1] = [.opened: .init(events: 500, contacts: 300, minTs: 1_772_355_600, maxTs: 1_773_000_000)]
    return c
}()

func bind(_ text: String, context: String? = nil, aliases: [AliasDefinition] = []) -> (BoundQuery?, [Diagnostic]) {
    let (query, parseDiagnostics) = Parser.parseQuery(SourceFile(name: "t", text: text))
    guard let query else {
        Issue.record("does not parse: \(text) \(parseDiagnostics)")
        return (nil, parseDiagnostics)
    }
    return Binder.bind(query, in: BindingEnvironment(catalog: testCatalog, aliases: aliases, campaignContext: context))
}

@Suite struct BinderDiagnosticsTests {
    /// Every binder error: the query, and a part of the message it must give.
    @Test(arguments: [
        ("opened(campaign: \"Sprng Sale\")", "no campaign named 'Sprng Sale'; did you mean 'Spring Sale'?"),
        ("openrs", "unknown name 'openrs'; did you mean 'openers'?"),
        ("countyr = \"SE\"", "no contact field or attribute named 'countyr'; did you mean 'country'?"),
        ("country", "'country' is a contact field, not an audience"),
        ("openers = 3", "'openers' is an audience, not a contact field"),
        ("opened(campaign: \"Spring Sale\", campaign: \"Summer Newsletter\")", "argument 'campaign' is given twice"),
        ("opened(link: \"/pricing\")", "argument 'link' does not apply to 'opened'"),
        ("clicked(machine: true)", "argument 'machine' does not apply to 'clicked'"),
        ("bounced(footer: true)", "argument 'footer' does not apply to 'bounced'"),
        ("opened(campaign: \"Flash SMS\")", "restricted to SMS campaigns"),
        ("opens(channel: sms) >= 1", "restricted to SMS campaigns"),
        ("opened(campaign: [\"Flash SMS\", \"Reminder SMS\"])", "restricted to SMS campaigns"),
        ("opened(campaign: 3)", "'campaign' takes a campaign name"),
        ("opened(channel: \"fax\")", "'channel' takes email or sms"),
        ("opened(message: 0)", "'message' takes a message number"),
        ("opened(within: 30)", "'within' takes a duration"),
        ("opened(since: \"yesterday\")", "'since' takes a date"),
        ("opened(before: 2026)", "'before' takes a date"),
        ("opened(machine: \"yes\")", "'machine' takes true or false"),
        ("clicked(footer: 1)", "'footer' takes true or false"),
        ("bounced(type: medium)", "'type' takes hard or soft"),
        ("dropped(reason: 550)", "'reason' takes a string"),
        ("clicked(link: 5)", "'link' takes a URL or a path"),
        ("first_name = 3", "'first_name' is text; compare it with a string"),
        ("created_at > 5", "'created_at' compares with a date"),
        ("created_at matches \"2026*\"", "'created_at' compares with a date"),
        ("country < true", "true and false can only be compared with = or !="),
        ("segment \"nope\"", "no saved segment named 'nope'"),
        ("segment \"loop-a\"", "segment 'loop-a' refers to itself: 'loop-a' → 'loop-b' → 'loop-a'"),
        ("list \"vpi\"", "no saved list named 'vpi'; did you mean 'vip'?"),
    ])
    func errors(_ text: String, _ message: String) {
        let (bound, diagnostics) = bind(text)
        #expect(bound == nil, "\(text) should not bind")
        let errors = diagnostics.filter { $0.severity == .error }
        #expect(errors.contains { $0.message.contains(message) }, "\(text): got \(errors.map(\.message))")
    }

    /// Every binder warning: the query still binds.
    @Test(arguments: [
        ("opened(campaign: \"Nope*\")", "the pattern 'Nope*' matches no campaign"),
        ("opened(campaign: [\"X*\", \"Y*\"])", "this list matches no campaign"),
        ("clicked(link: \"/nothing\")", "no known link has the path '/nothing'"),
        ("clicked(link: \"https://nowhere.example/\")", "no known link has the URL"),
        ("clicked(link: \"/unsubscribe\")", "matches only footer links"),
        ("opened(campaign: \"Summer Newsletter\", message: 3)", "no campaign here has a message 3"),
        ("clicks < 0", "is never true"),
    ])
    func warnings(_ text: String, _ message: String) {
        let (bound, diagnostics) = bind(text)
        #expect(bound != nil, "\(text) should bind: \(diagnostics.map(\.message))")
        #expect(diagnostics.contains { $0.severity == .warning && $0.message.contains(message) },
                "\(text): got \(diagnostics.map(\.message))")
    }

    @Test func errorsPointAtTheOffendingSpan() throws {
        let text = "opened and clicked(campaign: \"Sprng Sale\")"
        let (_, diagnostics) = bind(text)
        let d = try #require(diagnostics.first)
        let bytes = Array(text.utf8)
        #expect(String(decoding: bytes[d.range.start..<d.range.end], as: UTF8.self) == "\"Sprng Sale\"")
    }

    @Test func contextScopesPredicatesAndStar() {
        let (q1, _) = bind("opened", context: "Spring Sale")
        #expect(q1 == .events(EventFilter(kind: .opened, campaigns: .only([1])), .atLeastOne))
        let (q2, _) = bind("opened(campaign: \"*\")", context: "Spring Sale")
        #expect(q2 == .events(EventFilter(kind: .opened), .atLeastOne))
    }

    @Test func smsContextRedefinesActiveAndForbidsOpeners() {
        let (active, _) = bind("active", context: "Flash SMS")
        let footerFree = EventFilter(kind: .clicked, campaigns: .only([3]))
        #expect(active == .events(footerFree, .atLeastOne))
        let (inactive, _) = bind("inactive", context: "Flash SMS")
        #expect(inactive == .and([
            .events(EventFilter(kind: .delivered, campaigns: .only([3])), .atLeastOne), .not(.events(footerFree, .atLeastOne)),
        ]))
        let (openers, diagnostics) = bind("openers", context: "Flash SMS")
        #expect(openers == nil)
        #expect(diagnostics.contains { $0.notes.contains { $0.message.contains("an SMS campaign") } })
    }

    @Test func suppressedIsNeverScoped() {
        let (q, _) = bind("suppressed", context: "Spring Sale")
        #expect(q == .or([
            .events(EventFilter(kind: .unsubscribed), .atLeastOne),
            .events(EventFilter(kind: .complained), .atLeastOne),
            .events(EventFilter(kind: .bounced, bounce: .hard), .atLeastOne),
        ]))
    }

    @Test func footerLinksAreLeftOutUnlessAsked() {
        let (q, _) = bind("clicked(campaign: \"Spring Sale\")")
        #expect(q == .events(EventFilter(kind: .clicked, campaigns: .only([1]), excludedLinks: [11]), .atLeastOne))
        let (all, _) = bind("clicked(campaign: \"Spring Sale\", footer: true)")
        #expect(all == .events(EventFilter(kind: .clicked, campaigns: .only([1]), includeFooter: true), .atLeastOne))
    }

    @Test func linkPathsAndWholeURLs() {
        let (byPath, _) = bind("clicked(link: \"/pricing\")")
        #expect(byPath == .events(EventFilter(kind: .clicked, links: .only([10])), .atLeastOne))
        let (byURL, _) = bind("clicked(link: \"https://blog.example.com/*\")")
        #expect(byURL == .events(EventFilter(kind: .clicked, links: .only([12])), .atLeastOne))
    }

    @Test func emailLiteralsAreLowerCased() {
        let (q, _) = bind("email = \"Ana@Example.COM\"")
        #expect(q == .column(.email, .compare(.equal, .string("ana@example.com"))))
    }

    @Test func aliasesSeeOnlyEarlierDefinitions() throws {
        let first = try #require(Parser.parseQuery(SourceFile(name: "a", text: "opened")).query)
        let second = try #require(Parser.parseQuery(SourceFile(name: "b", text: "hot or clicked")).query)
        let aliases = [AliasDefinition(name: "hot", query: first), AliasDefinition(name: "hot", query: second)]
        let (q, diagnostics) = bind("hot", aliases: aliases)
        #expect(diagnostics.isEmpty)
        #expect(q == .or([
            .events(EventFilter(kind: .opened), .atLeastOne),
            .events(EventFilter(kind: .clicked, excludedLinks: [11]), .atLeastOne),
        ]))
    }

    @Test func errorsInsideAnAliasPointAtItsUse() throws {
        let body = try #require(Parser.parseQuery(SourceFile(name: "a", text: "opened")).query)
        let (q, diagnostics) = bind("clicked or hot", context: "Flash SMS", aliases: [AliasDefinition(name: "hot", query: body)])
        #expect(q == nil)
        let d = try #require(diagnostics.first)
        #expect(d.range == SourceRange(11, 14))
        #expect(d.notes.contains { $0.message.contains("in alias 'hot'") })
    }
}

@Suite struct BinderExpansionLimitTests {
    /// 60 doubling aliases would expand to 2^60 conditions: the limit stops the binder
    /// after the first `Binder.maximumExpandedSize` nodes, with one error naming the alias.
    @Test func doublingAliasesStopAtTheSizeLimit() {
        var aliases = [AliasDefinition(name: "a0", query: Parser.parseQuery(SourceFile(name: "a", text: "opened")).query!)]
        for i in 1..<60 {
            aliases.append(AliasDefinition(name: "a\(i)", query: Parser.parseQuery(SourceFile(name: "a", text: "a\(i - 1) or a\(i - 1)")).query!))
        }
        let (bound, diagnostics) = bind("a59 and clicked", aliases: aliases)
        #expect(bound == nil)
        #expect(diagnostics.count == 1)
        #expect(diagnostics.first?.message.contains("more than 20000 conditions and operators once alias 'a59' is expanded") == true)
    }

    /// A chain of 5,000 aliases is refused at the depth limit, not by the stack.
    @Test func aliasChainsStopAtTheDepthLimit() {
        var aliases = [AliasDefinition(name: "a0", query: Parser.parseQuery(SourceFile(name: "a", text: "opened")).query!)]
        for i in 1..<5_000 {
            aliases.append(AliasDefinition(name: "a\(i)", query: Parser.parseQuery(SourceFile(name: "a", text: "not a\(i - 1)")).query!))
        }
        let (bound, diagnostics) = bind("a4999", aliases: aliases)
        #expect(bound == nil)
        #expect(diagnostics.map(\.message) == ["the query nests more than 1500 levels deep once alias 'a4999' is expanded; simplify the alias or segment, or save a list instead"])
        // Within the limit, the same chain binds.
        #expect(bind("a700", aliases: aliases).0 != nil)
    }
}
