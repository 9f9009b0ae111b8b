// The binder: from a syntax tree to a `BoundQuery`, against a catalog of the store.
//
// How it works. The binder walks the tree once. A bare name is resolved in the
// order the language fixes — `let` alias, built-in audience, standard field, custom
// attribute — and anything else is an error that suggests the nearest known name.
// Aliases and built-ins expand like macros at the point of use, so they see the
// campaign context in force there; a saved segment is bound on its own, without the
// session's context, because its meaning must not depend on who reads it (its view
// has no context either). Segment references are followed depth-first with a stack
// of the names being expanded, so a cycle is reported with its whole path.
//
// Every event argument is checked here — applicable to the kind, given once, of the
// right type — and normalized: campaign names and globs become campaign ids, `link:`
// values become link ids, dates become Unix seconds, footer links become the ids to
// leave out. The store checks of the language (unknown campaigns, globs and links
// that match nothing, open tracking on SMS) are made here too, so the planner only
// ever sees a query that means one precise thing.
//
// Diagnostics inside an expansion (an alias's text, a segment's saved text) point at
// the use site, with a note naming what was being expanded: the user can only fix
// what they can see.
//
// One file, though long: binding is one walk of the tree whose name resolution, argument
// checks and segment expansion share the binder's state (the segments being expanded,
// the diagnostics, the context in force); split, one walk would be spread over several
// files.

/// A `let` alias: a name for a query, expanded like a macro where it is used.
public struct AliasDefinition: Hashable, Sendable {
    public var name: String
    public var query: Query

    public init(name: String, query: Query) {
        self.name = name
        self.query = query
    }
}

/// What a query is bound in: the store's catalog and the session's state.
public struct BindingEnvironment: Sendable {
    /// Names and statistics of the store.
    public var catalog: Catalog
    /// `let` aliases of the session, oldest first. A later definition of a name hides
    /// an earlier one; an alias's own query sees only the definitions made before it,
    /// so `let a = a or b` extends the earlier `a` and no alias can refer to itself.
    public var aliases: [AliasDefinition]
    /// The campaign context (`use campaign`, `--campaign`), by name.
    public var campaignContext: String?
    /// `as of`: every event predicate sees only the events up to this instant.
    public var asOf: Int64?
    /// Polled at every node bound and every 4,096 list items: once it is cancelled
    /// (Ctrl-C, a timeout), binding stops and returns an incomplete query, which the
    /// caller, owning the flag, reports as the statement's error.
    public var cancellation: Cancellation?

    public init(catalog: Catalog, aliases: [AliasDefinition] = [], campaignContext: String? = nil, asOf: Int64? = nil,
                cancellation: Cancellation? = nil) {
        self.catalog = catalog
        self.aliases = aliases
        self.campaignContext = campaignContext
        self.asOf = asOf
        self.cancellation = cancellation
    }
}

/// Binds queries: resolves names, checks arguments and runs the store checks.
public struct Binder {
    /// `suppressed`: unsubscribed, complained or hard-bounced in any campaign — never
    /// scoped by a campaign context.
    public static let suppressedAudience: BoundQuery = .or(suppressionReasons.map(\.query))

    /// Each reason a contact is suppressed, by the word `show` and `export` use for it.
    public static let suppressionReasons: [(reason: String, query: BoundQuery)] = [
        ("unsubscribed", .events(EventFilter(kind: .unsubscribed), .atLeastOne)),
        ("complained", .events(EventFilter(kind: .complained), .atLeastOne)),
        ("hard-bounced", .events(EventFilter(kind: .bounced, bounce: .hard), .atLeastOne)),
    ]

    /// How deeply the query may nest once aliases and saved segments are expanded (the
    /// parser's trees are never deeper than about 1,300; every later stage walks the
    /// tree recursively, so this bound is what keeps them off the end of the stack).
    public static let maximumExpandedDepth = 1_500
    /// How many conditions and operators the query may hold once aliases and saved
    /// segments are expanded: a chain of doubling aliases reaches it at the 14th link,
    /// after a few milliseconds, where it would otherwise grow exponentially.
    public static let maximumExpandedSize = 20_000

    /// Built-in audiences, in the order help lists them.
    public static let builtinAudiences = BuiltinAudience.names

    private let env: BindingEnvironment
    private var diagnostics: [Diagnostic] = []
    /// Segments being expanded, outermost first (for cycle reports).
    private var segmentStack: [String] = []
    /// While expanding an alias or a segment: where it was used, and what it is.
    private var expansion: (range: SourceRange, note: String)?
    /// The campaign context in force (nil inside saved segments).
    private var context: Catalog.Campaign?
    /// How many alias definitions are visible (fewer inside an alias's own query).
    private var visibleAliases: Int
    /// Current nesting and nodes bound so far, checked against the expansion limits.
    private var depth = 0
    private var size = 0
    /// Set once a limit is exceeded or the statement is cancelled: binding then stops at once.
    private var overLimit = false
    /// The alias or segment being expanded, outermost (for the limit errors).
    private var expanding: String?
    /// Campaigns, lists and segments the query refers to by name (saved segments record them).
    public private(set) var references: [(kind: String, name: String)] = []

    /// Binds `query`; returns nil when there is any error. Warnings come back either way.
    public static func bind(_ query: Query, in env: BindingEnvironment) -> (query: BoundQuery?, diagnostics: [Diagnostic]) {
        var binder = Binder(env: env)
        let bound = binder.bindTop(query)
        return (bound, binder.diagnostics)
    }

    /// Binds `query` and also reports the campaigns, lists and segments it names.
    public static func bindWithReferences(
        _ query: Query, in env: BindingEnvironment
    ) -> (query: BoundQuery?, diagnostics: [Diagnostic], references: [(kind: String, name: String)]) {
        var binder = Binder(env: env)
        let bound = binder.bindTop(query)
        return (bound, binder.diagnostics, binder.references)
    }

    /// Resolves a campaign context name, with the same "did you mean" as a `campaign:` argument.
    public static func resolveCampaign(_ name: Name, in catalog: Catalog) -> Result<Catalog.Campaign, Diagnostic> {
        if let c = catalog.campaign(named: name.text) { return .success(c) }
        return .failure(unknownCampaign(name.text, at: name.range, catalog: catalog))
    }

    init(env: BindingEnvironment) {
        self.env = env
        self.visibleAliases = env.aliases.count
    }

    /// The latest visible definition of `name`, and its position.
    private func alias(_ name: String) -> (Int, AliasDefinition)? {
        var i = visibleAliases - 1
        while i >= 0 {
            if env.aliases[i].name == name { return (i, env.aliases[i]) }
            i -= 1
        }
        return nil
    }

    private mutating func bindTop(_ query: Query) -> BoundQuery? {
        if let name = env.campaignContext {
            if let c = env.catalog.campaign(named: name) {
                context = c
            } else {
                report(.error(SemaMessages.contextCampaignMissing(name), at: query.range))
            }
        }
        let bound = bind(query)
        return diagnostics.contains { $0.severity == .error } ? nil : bound
    }

    // MARK: - Diagnostics

    private mutating func report(_ d: Diagnostic) {
        var d = d
        if let expansion {
            d.notes.insert(DiagnosticNote(expansion.note), at: 0)
            d.range = expansion.range
            d.suggestion = nil
        }
        // The same problem reached twice through one expansion is reported once.
        if !diagnostics.contains(d) { diagnostics.append(d) }
    }

    private static func unknownCampaign(_ name: String, at range: SourceRange, catalog: Catalog) -> Diagnostic {
        let near = Suggestions.nearest(to: name, among: catalog.campaigns.map(\.name))
        return .error(SemaMessages.unknownCampaign(name, suggestion: near), at: range, suggestion: near.map { "\"\($0)\"" })
    }

    // MARK: - Queries

    private mutating func bind(_ query: Query) -> BoundQuery {
        if overLimit { return .nobody }
        if env.cancellation?.isCancelled == true {
            overLimit = true
            return .nobody
        }
        size += 1
        depth += 1
        defer { depth -= 1 }
        if size > Self.maximumExpandedSize || depth > Self.maximumExpandedDepth {
            overLimit = true
            report(.error(
                SemaMessages.expansionTooLarge(
                    expanding, deep: depth > Self.maximumExpandedDepth,
                    limit: depth > Self.maximumExpandedDepth ? Self.maximumExpandedDepth : Self.maximumExpandedSize),
                at: query.range))
            return .nobody
        }
        switch query.kind {
        case .or(let a, let b):
            return .or([bind(a), bind(b)])
        case .and(let a, let b):
            return .and([bind(a), bind(b)])
        case .not(let a):
            return .not(bind(a))
        case .event(let p):
            return bindEvent(kind: p.kind, word: p.verb, arguments: p.arguments, test: .atLeastOne, range: p.range)
        case .count(let c):
            if let a = c.arguments.first(where: { $0.name == .atLeast }) {
                report(.error(SemaMessages.atLeastOnCount(c.noun.text), at: a.nameRange))
                return .nobody
            }
            return bindEvent(
                kind: c.kind, word: c.noun, arguments: c.arguments, test: CountTest(c.op, c.count), range: c.range)
        case .field(let f):
            return bindField(f)
        case .name(let n):
            return bindName(n)
        case .audience(let a):
            return bindAudienceCall(a)
        case .segment(let n):
            return bindSegment(n)
        case .list(let n):
            references.append(("list", n.text))
            guard let id = env.catalog.lists[n.text] else {
                let near = Suggestions.nearest(to: n.text, among: Array(env.catalog.lists.keys))
                report(.error(SemaMessages.unknownList(n.text, suggestion: near), at: n.range))
                return .nobody
            }
            return .list(id: id, name: n.text)
        }
    }

    /// Whether the statement was cancelled; binding then stops.
    private mutating func stopped() -> Bool {
        if !overLimit, env.cancellation?.isCancelled == true { overLimit = true }
        return overLimit
    }

    // MARK: Names

    private mutating func bindName(_ n: Name) -> BoundQuery {
        if let (index, definition) = alias(n.text) {
            let saved = visibleAliases
            visibleAliases = index
            defer { visibleAliases = saved }
            return expand(definition.query, named: "alias '\(n.text)'", at: n.range) {
                SemaMessages.inAlias(n.text, Printer.source(of: definition.query))
            }
        }
        if let builtin = builtin(n.text, at: n.range) { return builtin }
        if StandardField(rawValue: n.text) != nil || env.catalog.attributes.contains(n.text) {
            report(.error(SemaMessages.fieldWithoutCondition(n.text), at: n.range))
            return .nobody
        }
        let candidates = env.aliases.prefix(visibleAliases).map(\.name) + Self.builtinAudiences + StandardField.allCases.map(\.rawValue)
            + env.catalog.attributes.sorted() + EventKind.allCases.map(\.verb)
        let near = Suggestions.nearest(to: n.text, among: candidates)
        report(.error(SemaMessages.unknownName(n.text, suggestion: near), at: n.range, suggestion: near))
        return .nobody
    }

    /// Binds an alias's or segment's query at its use site; `note` is made only for the
    /// outermost expansion (printing a deep alias's text at every level would be quadratic).
    private mutating func expand(
        _ query: Query, named what: String, at range: SourceRange, note: () -> String
    ) -> BoundQuery {
        let saved = expansion
        let savedName = expanding
        if expansion == nil { expansion = (range, note()) }
        if expanding == nil { expanding = what }
        defer {
            expansion = saved
            expanding = savedName
        }
        return bind(query)
    }

    /// The built-in audiences (`BuiltinAudience`), expanded like macros under the
    /// current context.
    private mutating func builtin(_ name: String, at range: SourceRange) -> BoundQuery? {
        guard let audience = BuiltinAudience(rawValue: name) else { return nil }
        if audience == .suppressed { return Self.until(env.asOf, Self.suppressedAudience) }
        return Self.bindFormula(audience.formula(sms: context?.channel == .sms)) { kind, _ in
            bindEvent(kind: kind, word: Name(text: name, range: range), arguments: [], test: .atLeastOne, range: range)
        }
    }

    /// `inactive(within: 90d)`: the built-in audience with every event narrowed by the
    /// arguments. Whether `active`/`inactive` take their SMS form follows the campaigns
    /// the arguments leave (all SMS), else the context, as for the bare name.
    private mutating func bindAudienceCall(_ a: AudienceCall) -> BoundQuery {
        var valid = true
        for arg in a.arguments where !ArgumentName.audience.contains(arg.name) {
            report(.error(SemaMessages.audienceArgument(arg.name.rawValue, a.name.text), at: arg.nameRange))
            valid = false
        }
        guard valid, let audience = BuiltinAudience(rawValue: a.name.text) else { return .nobody }
        func event(_ kind: EventKind, _ extra: [Argument] = []) -> BoundQuery {
            bindEvent(kind: kind, word: a.name, arguments: a.arguments + extra, test: .atLeastOne, range: a.range)
        }
        switch audience {
        case .suppressed:
            // Never scoped by the context: every campaign unless the arguments say otherwise.
            let all = a.arguments.contains { $0.name == .campaign }
                ? [] : [Argument(name: .campaign, nameRange: a.range, value: Value(.string("*"), range: a.range))]
            let hard = Argument(name: .type, nameRange: a.range, value: Value(.word("hard"), range: a.range))
            return Self.bindFormula(audience.formula(sms: false)) { kind, hardBounce in event(kind, all + (hardBounce ? [hard] : [])) }
        case .everyone, .openers, .clickers:
            return Self.bindFormula(audience.formula(sms: false)) { kind, _ in event(kind) }
        case .active, .inactive:
            let delivered = event(.delivered)
            var sms = context?.channel == .sms
            if a.arguments.contains(where: { $0.name == .campaign || $0.name == .channel }) {
                sms = false
                if case .events(let filter, _) = delivered, case .only(let ids) = filter.campaigns, !ids.isEmpty {
                    sms = ids.allSatisfy { env.catalog.campaign(id: $0)?.channel == .sms }
                }
            }
            return Self.bindFormula(audience.formula(sms: sms)) { kind, _ in kind == .delivered ? delivered : event(kind) }
        }
    }

    /// A built-in audience's formula as a bound query, each event bound by `event`.
    private static func bindFormula(_ f: BuiltinAudience.Formula, event: (EventKind, Bool) -> BoundQuery) -> BoundQuery {
        f.fold(event: event, everyone: { .everyone }, and: { .and($0) }, or: { .or($0) }, not: { .not($0) })
    }

    // MARK: Segments

    private mutating func bindSegment(_ n: Name) -> BoundQuery {
        references.append(("segment", n.text))
        guard let source = env.catalog.segments[n.text] else {
            let near = Suggestions.nearest(to: n.text, among: Array(env.catalog.segments.keys))
            report(.error(SemaMessages.unknownSegment(n.text, suggestion: near), at: n.range))
            return .nobody
        }
        if let start = segmentStack.firstIndex(of: n.text) {
            let cycle = Array(segmentStack[start...]) + [n.text]
            report(.error(SemaMessages.segmentCycle(cycle), at: n.range))
            return .nobody
        }
        let (parsed, parseDiagnostics) = Parser.parseQuery(SourceFile(name: "segment \"\(n.text)\"", text: source))
        guard let query = parsed, !parseDiagnostics.contains(where: { $0.severity == .error }) else {
            report(.error(SemaMessages.segmentUnreadable(n.text), at: n.range))
            return .nobody
        }
        segmentStack.append(n.text)
        let savedContext = context
        context = nil
        defer {
            segmentStack.removeLast()
            context = savedContext
        }
        return expand(query, named: "segment '\(n.text)'", at: n.range) { SemaMessages.inSegment(n.text, source) }
    }

    // MARK: - Events

    private mutating func bindEvent(
        kind: EventKind, word: Name, arguments: [Argument], test: CountTest, range: SourceRange
    ) -> BoundQuery {
        var seen: [ArgumentName: Argument] = [:]
        var valid = true
        for arg in arguments {
            if let first = seen[arg.name] {
                report(.error(
                    SemaMessages.duplicateArgument(arg.name.rawValue), at: arg.nameRange,
                    notes: [DiagnosticNote(SemaMessages.firstGivenHere, range: first.nameRange)]))
                valid = false
                continue
            }
            seen[arg.name] = arg
            if !(ArgumentName.common + kind.specificArguments).contains(arg.name) {
                let owners = EventKind.allCases.filter { $0.specificArguments.contains(arg.name) }
                report(.error(SemaMessages.inapplicableArgument(arg.name.rawValue, word.text, owners), at: arg.nameRange))
                valid = false
            }
        }
        guard valid else { return .nobody }

        var filter = EventFilter(kind: kind)
        let campaignsRange = seen[.campaign]?.range ?? seen[.channel]?.range ?? range

        // Campaigns: the argument, else the context; then the channel.
        var explicitAll = false
        if let arg = seen[.campaign] {
            guard let scope = campaignScope(arg.value, all: &explicitAll) else { return .nobody }
            filter.campaigns = scope
        } else if let context {
            filter.campaigns = .only([context.id])
        }
        var channel: Channel?
        if let arg = seen[.channel] {
            guard let c = channelValue(arg.value) else { return .nobody }
            channel = c
            let ids = env.catalog.campaigns.filter { $0.channel == c }.map(\.id)
            switch filter.campaigns {
            case .any: filter.campaigns = .only(ids)
            case .only(let have): filter.campaigns = .only(have.filter { ids.contains($0) })
            }
        }

        // No open tracking on SMS.
        if kind == .opened {
            var smsOnly = channel == .sms
            if case .only(let ids) = filter.campaigns, !ids.isEmpty,
               ids.allSatisfy({ env.catalog.campaign(id: $0)?.channel == .sms }) {
                smsOnly = true
            }
            if smsOnly {
                var notes: [DiagnosticNote] = []
                if seen[.campaign] == nil, seen[.channel] == nil, let context {
                    notes.append(DiagnosticNote(SemaMessages.contextIsSMS(context.name)))
                }
                report(.error(SemaMessages.smsOpens(word.text), at: seen[.campaign] != nil || seen[.channel] != nil ? campaignsRange : range, notes: notes))
                return .nobody
            }
        }

        if let arg = seen[.message] {
            guard case .integer(let n) = arg.value.kind, n >= 1 else {
                report(.error(SemaMessages.expectedMessageNumber, at: arg.value.range))
                return .nobody
            }
            filter.message = n
            if case .only(let ids) = filter.campaigns, !ids.isEmpty {
                let most = ids.compactMap { env.catalog.campaign(id: $0)?.messages }.max() ?? 1
                if n > most {
                    report(.warning(SemaMessages.noSuchMessage(n, most: most), at: arg.value.range))
                }
            }
        }
        if let arg = seen[.within] {
            switch arg.value.kind {
            case .duration(let amount, let unit):
                if let perUnit = unit.months {
                    // Beyond 100,000 years every event is inside; the cap keeps the date arithmetic finite.
                    filter.window.within = 0
                    filter.window.withinMonths = min(amount, 1_200_000 / perUnit) * perUnit
                } else {
                    filter.window.within = Self.seconds(amount, unit)
                }
            case .durationRange(let from, let to):
                // Relative ranges: the farther bound first (docs/language.md).
                if case .duration(_, let u) = from.kind, case .duration(_, let v) = to.kind, u.months != nil || v.months != nil {
                    report(.error(SemaMessages.calendarUnitNotHere, at: arg.value.range))
                    return .nobody
                }
                guard case .duration(let a, let u) = from.kind, case .duration(let b, let v) = to.kind,
                      Self.seconds(a, u) > Self.seconds(b, v) else {
                    report(.error(SemaMessages.rangeOrder, at: arg.value.range))
                    return .nobody
                }
                filter.window.sinceAgo = Self.seconds(a, u)
                filter.window.beforeAgo = Self.seconds(b, v)
            default:
                report(.error(SemaMessages.expectedDuration, at: arg.value.range))
                return .nobody
            }
        }
        for name in [ArgumentName.since, .before] {
            guard let arg = seen[name] else { continue }
            // A duration: that long before now (`before: 365d`, longer ago than a year).
            if case .duration(let amount, let unit) = arg.value.kind {
                guard unit.months == nil else {
                    report(.error(SemaMessages.calendarUnitNotHere, at: arg.value.range))
                    return .nobody
                }
                let ago = Self.seconds(amount, unit)
                if name == .since {
                    filter.window.sinceAgo = min(filter.window.sinceAgo ?? .max, ago)
                } else {
                    filter.window.beforeAgo = max(filter.window.beforeAgo ?? .min, ago)
                }
                continue
            }
            guard case .string(let text) = arg.value.kind, let t = Timestamp.parse(text) else {
                report(.error(SemaMessages.expectedDate(name.rawValue), at: arg.value.range))
                return .nobody
            }
            if name == .since { filter.window.since = t.start } else { filter.window.before = t.start }
        }
        if let arg = seen[.ofLast] {
            guard case .integer(let n) = arg.value.kind, n >= 1, n <= 24 else {
                report(.error(SemaMessages.expectedPositive("of_last"), at: arg.value.range))
                return .nobody
            }
            filter.ofLast = n
        }
        var test = test
        if let arg = seen[.atLeast] {
            guard case .integer(let n) = arg.value.kind, n >= 0 else {
                report(.error(SemaMessages.expectedCampaignCount, at: arg.value.range))
                return .nobody
            }
            // At least one campaign is at least one event.
            test = CountTest(.greaterOrEqual, n)
            filter.distinctCampaigns = n >= 2
        }
        if let arg = seen[.machine] {
            guard case .boolean(let b) = arg.value.kind else {
                report(.error(SemaMessages.expectedBoolean("machine"), at: arg.value.range))
                return .nobody
            }
            filter.machine = b
        }
        if let arg = seen[.type] {
            let word: String?
            switch arg.value.kind {
            case .word(let w), .string(let w): word = w
            default: word = nil
            }
            guard let w = word, let t = BounceType(rawValue: w) else {
                report(.error(SemaMessages.expectedBounceType, at: arg.value.range))
                return .nobody
            }
            filter.bounce = t
        }
        if let arg = seen[.reason] {
            guard case .string(let text) = arg.value.kind else {
                report(.error(SemaMessages.expectedString("reason"), at: arg.value.range))
                return .nobody
            }
            filter.reason = GlobPattern(text)
        }
        if kind == .clicked {
            if let arg = seen[.footer] {
                guard case .boolean(let b) = arg.value.kind else {
                    report(.error(SemaMessages.expectedBoolean("footer"), at: arg.value.range))
                    return .nobody
                }
                filter.includeFooter = b
            }
            let inScope = linksInScope(filter.campaigns)
            if let arg = seen[.link] {
                guard let matched = linkScope(arg.value, among: inScope) else { return .nobody }
                var ids = matched
                if !filter.includeFooter {
                    let footers = Set(inScope.filter(\.footer).map(\.id))
                    ids = matched.filter { !footers.contains($0) }
                    if ids.isEmpty, !matched.isEmpty {
                        report(.warning(SemaMessages.onlyFooterLinks, at: arg.value.range))
                    }
                }
                filter.links = .only(ids)
            } else if !filter.includeFooter {
                filter.excludedLinks = inScope.filter(\.footer).map(\.id)
            }
        }

        // Counts that are never or always true.
        if test.op == .less, test.value == 0 {
            report(.warning(SemaMessages.neverTrue(word.text, test), at: range))
            return .nobody
        }
        if test.op == .greaterOrEqual, test.value == 0 { return .everyone }
        return Self.until(env.asOf, .events(filter, test))
    }

    /// `q` with every event predicate seeing only the events up to `asOf` (`as of`).
    static func until(_ asOf: Int64?, _ q: BoundQuery) -> BoundQuery {
        guard let asOf else { return q }
        switch q {
        case .events(var f, let t):
            f.window.until = min(f.window.until ?? .max, asOf)
            return .events(f, t)
        case .and(let xs): return .and(xs.map { until(asOf, $0) })
        case .or(let xs): return .or(xs.map { until(asOf, $0) })
        case .not(let x): return .not(until(asOf, x))
        case .everyone, .nobody, .column, .attribute, .list: return q
        }
    }

    /// A duration in seconds (past any real time span when it overflows).
    private static func seconds(_ amount: Int64, _ unit: DurationUnit) -> Int64 {
        // Calendar units are refused or handled before (`withinMonths`).
        let (seconds, overflow) = amount.multipliedReportingOverflow(by: unit.seconds ?? 0)
        return overflow ? Int64.max / 4 : seconds
    }

    private func linksInScope(_ scope: CampaignScope) -> [Catalog.Link] {
        switch scope {
        case .any: return env.catalog.links
        case .only(let ids):
            let set = Set(ids)
            return env.catalog.links.filter { set.contains($0.campaignID) }
        }
    }

    /// `campaign:` → campaign ids. Nil after reporting an error.
    private mutating func campaignScope(_ value: Value, all: inout Bool) -> CampaignScope? {
        let items: [Value]
        switch value.kind {
        case .string: items = [value]
        case .list(let list): items = list
        default:
            report(.error(SemaMessages.expectedCampaignNames, at: value.range))
            return nil
        }
        var ids: Set<Int64> = []
        for (i, item) in items.enumerated() {
            if i & 4095 == 4095, stopped() { return nil }
            guard case .string(let text) = item.kind else {
                report(.error(SemaMessages.expectedCampaignNames, at: item.range))
                return nil
            }
            let pattern = GlobPattern(text)
            if pattern.isLiteral {
                references.append(("campaign", text))
                guard let c = env.catalog.campaign(named: text) else {
                    report(Self.unknownCampaign(text, at: item.range, catalog: env.catalog))
                    return nil
                }
                ids.insert(c.id)
            } else if pattern.pieces.allSatisfy(\.isEmpty) {
                all = true
            } else {
                let matched = env.catalog.campaigns.filter { pattern.matches($0.name) }
                if matched.isEmpty, items.count == 1 {
                    report(.warning(SemaMessages.globMatchesNoCampaign(text), at: item.range))
                }
                ids.formUnion(matched.map(\.id))
            }
        }
        if all { return .any }
        if items.count > 1, ids.isEmpty {
            report(.warning(SemaMessages.listMatchesNoCampaign, at: value.range))
        }
        return .only(ids.sorted())
    }

    private mutating func channelValue(_ value: Value) -> Channel? {
        switch value.kind {
        case .word(let w), .string(let w):
            if let c = Channel(rawValue: w) { return c }
        default: break
        }
        report(.error(SemaMessages.expectedChannel, at: value.range))
        return nil
    }

    /// `link:` → link ids among `links`. Nil after reporting an error.
    private mutating func linkScope(_ value: Value, among links: [Catalog.Link]) -> [Int64]? {
        let items: [Value]
        switch value.kind {
        case .string: items = [value]
        case .list(let list): items = list
        default:
            report(.error(SemaMessages.expectedLinks, at: value.range))
            return nil
        }
        var ids: Set<Int64> = []
        for (i, item) in items.enumerated() {
            if i & 4095 == 4095, stopped() { return nil }
            guard case .string(let text) = item.kind else {
                report(.error(SemaMessages.expectedLinks, at: item.range))
                return nil
            }
            let pattern = GlobPattern(text)
            let byPath = text.hasPrefix("/")
            let matched = links.filter { pattern.matches(byPath ? $0.path : $0.url) }
            if matched.isEmpty {
                report(.warning(SemaMessages.linkMatchesNothing(text, byPath: byPath), at: item.range))
            }
            ids.formUnion(matched.map(\.id))
        }
        return ids.sorted()
    }

    // MARK: - Fields

    private mutating func bindField(_ f: FieldCondition) -> BoundQuery {
        let name = f.field.text
        if let standard = StandardField(rawValue: name) {
            return bindStandard(standard, f)
        }
        if env.catalog.attributes.contains(name) {
            guard let test = attributeTest(f) else { return .nobody }
            checkStoredTypes(name, f)
            return .attribute(name, test)
        }
        if alias(name) != nil || Self.builtinAudiences.contains(name) {
            report(.error(SemaMessages.audienceNotField(name), at: f.field.range))
            return .nobody
        }
        let candidates = StandardField.allCases.map(\.rawValue) + env.catalog.attributes.sorted()
        let near = Suggestions.nearest(to: name, among: candidates)
        report(.error(SemaMessages.unknownField(name, suggestion: near), at: f.field.range, suggestion: near))
        return .nobody
    }

    private mutating func bindStandard(_ field: StandardField, _ f: FieldCondition) -> BoundQuery {
        let lower = field == .email
        func string(_ v: Value) -> FieldLiteral? {
            guard case .string(let s) = v.kind else {
                report(.error(SemaMessages.fieldIsText(field.rawValue), at: v.range))
                return nil
            }
            return .string(lower ? s.lowercased() : s)
        }
        if field == .created_at {
            switch f.test {
            case .exists:
                return .column(field, .exists)
            case .compare(let op, let v):
                guard case .string(let text) = v.kind, let t = Timestamp.parse(text) else {
                    report(.error(SemaMessages.createdAtNeedsDate, at: v.range))
                    return .nobody
                }
                switch t {
                case .instant(let s):
                    return .column(field, .compare(op, .time(s)))
                case .day(let start):
                    let end = start + 86_400
                    func cmp(_ o: ComparisonOperator, _ x: Int64) -> BoundQuery { .column(field, .compare(o, .time(x))) }
                    switch op {
                    case .equal: return .and([cmp(.greaterOrEqual, start), cmp(.less, end)])
                    case .notEqual: return .or([cmp(.less, start), cmp(.greaterOrEqual, end)])
                    case .less: return cmp(.less, start)
                    case .lessOrEqual: return cmp(.less, end)
                    case .greater: return cmp(.greaterOrEqual, end)
                    case .greaterOrEqual: return cmp(.greaterOrEqual, start)
                    }
                }
            case .oneOf(let v), .matches(let v):
                report(.error(SemaMessages.createdAtNeedsDate, at: v.range))
                return .nobody
            }
        }
        switch f.test {
        case .exists:
            return .column(field, .exists)
        case .compare(let op, let v):
            guard let lit = string(v) else { return .nobody }
            return .column(field, .compare(op, lit))
        case .oneOf(let v):
            guard case .list(let items) = v.kind else { return .nobody }
            var lits: [FieldLiteral] = []
            for (i, item) in items.enumerated() {
                if i & 4095 == 4095, stopped() { return .nobody }
                guard let lit = string(item) else { return .nobody }
                lits.append(lit)
            }
            return .column(field, .oneOf(lits))
        case .matches(let v):
            guard case .string(let s) = v.kind else {
                report(.error(SemaMessages.matchesNeedsString, at: v.range))
                return .nobody
            }
            return .column(field, .matches(GlobPattern(lower ? s.lowercased() : s)))
        }
    }

    /// Comparisons stay type-strict (`vip = "yes"` never matches a boolean `vip`), but a
    /// literal of no type the store holds for the attribute is warned about, with the
    /// stored types and the literal that would match where one reads the same.
    private mutating func checkStoredTypes(_ name: String, _ f: FieldCondition) {
        guard let stored = env.catalog.attributeTypes[name], !stored.isEmpty else { return }
        let values: [Value]
        switch f.test {
        case .compare(_, let v): values = [v]
        case .oneOf(let v):
            guard case .list(let items) = v.kind else { return }
            values = items
        case .matches, .exists: return
        }
        let field = f.field.quoted ? Printer.quoted(name) : name
        for (i, v) in values.enumerated() {
            if i & 4095 == 4095, stopped() { return }
            let (type, written): (String, String)
            var instead: String?
            switch v.kind {
            case .string(let s):
                (type, written) = ("string", Printer.quoted(s))
                if stored.contains("boolean") {
                    switch s.lowercased() {
                    case "true", "yes": instead = "true"
                    case "false", "no": instead = "false"
                    default: break
                    }
                }
                if instead == nil, stored.contains("number"), let d = Double(s), d.isFinite {
                    instead = s
                }
            case .integer(let i):
                (type, written) = ("number", String(i))
                if stored.contains("string") { instead = Printer.quoted(String(i)) }
                else if stored.contains("boolean"), i == 0 || i == 1 { instead = i == 1 ? "true" : "false" }
            case .decimal(let d):
                (type, written) = ("number", String(d))
                if stored.contains("string") { instead = Printer.quoted(String(d)) }
            case .boolean(let b):
                (type, written) = ("boolean", b ? "true" : "false")
                if stored.contains("string") { instead = Printer.quoted(b ? "true" : "false") }
            default:
                continue
            }
            guard !stored.contains(type) else { continue }
            let suggestion: String? = instead.map { alt in
                if case .compare(let op, _) = f.test { return "\(field) \(op.rawValue) \(alt)" }
                return alt
            }
            report(.warning(SemaMessages.typeMismatch(name, literal: written, literalType: type,
                                                       stored: stored.sorted(), instead: suggestion), at: v.range))
        }
    }

    private mutating func attributeTest(_ f: FieldCondition) -> FieldTest? {
        func literal(_ v: Value) -> FieldLiteral? {
            switch v.kind {
            case .string(let s): return .string(s)
            case .integer(let i): return .integer(i)
            case .decimal(let d): return .number(d)
            case .boolean(let b): return .boolean(b)
            default:
                report(.error(SemaMessages.expectedFieldValue, at: v.range))
                return nil
            }
        }
        switch f.test {
        case .exists:
            return .exists
        case .compare(let op, let v):
            guard let lit = literal(v) else { return nil }
            if case .boolean = lit, op != .equal, op != .notEqual {
                report(.error(SemaMessages.booleanOrdering, at: v.range))
                return nil
            }
            return .compare(op, lit)
        case .oneOf(let v):
            guard case .list(let items) = v.kind else { return nil }
            var lits: [FieldLiteral] = []
            for (i, item) in items.enumerated() {
                if i & 4095 == 4095, stopped() { return nil }
                guard let lit = literal(item) else { return nil }
                lits.append(lit)
            }
            return .oneOf(lits)
        case .matches(let v):
            guard case .string(let s) = v.kind else {
                report(.error(SemaMessages.matchesNeedsString, at: v.range))
                return nil
            }
            return .matches(GlobPattern(s))
        }
    }
}
