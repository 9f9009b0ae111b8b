// The planner: from a bound query to a logical plan.
//
// How it works, and why (the measurements are in docs/planner.md):
//
// 1. Simplify. `and`/`or` are flattened, `everyone`/`nobody` folded, double negation
//    removed, and an event predicate whose campaigns or links resolved to nothing
//    becomes a constant (a count of zero either passes its test or not).
//
// 2. Choose each atom's source. The rollups can answer an event predicate exactly:
//    `activity` (one row per campaign and contact) when it names campaigns,
//    `contact_activity` (one row per contact) when it does not. That is every
//    predicate without `message`, `link`, `type` or `reason`, either unbounded in time
//    (counts over whole campaigns) or a recency test (`opened within 30d`, `since`) of
//    a kind whose last time the rollup keeps, provided no such event lies after now.
//    The bitmap strategy takes whichever of the events and such a rollup reads fewer
//    rows (step 3); a forced shape reads the rollup where one answers, and counts
//    everything else from `events` through the index keyed by contact.
//
// 3. Choose each condition's range (the bitmap strategy, the planner's own choice).
//    Every positive condition is one leaf, read from the index range that holds
//    exactly its rows (`accessPath`: a campaign's events, a kind's events in a window,
//    a link's clicks, a rollup's partial index of openers or clickers, an attribute's
//    value); an event predicate takes the reading with the fewest estimated rows among
//    its events, a rollup, or `not` the rollup of its complement (`cheapestRead`). A
//    condition that holds at zero is `not` of its complement's leaf. The estimates come
//    from event_stats and, for attributes, contact columns and the per-contact rollup,
//    from a sample of contacts (ContactSample). The session's engine (SetEvaluator)
//    reads the leaves and combines them as bitmaps.
//
// 4. A forced strategy (benchmarks, the differential test) is still planned as one SQL
//    statement: a driver from a positive part's candidates, a scan of contacts with
//    probes, IN-subqueries, a grouped pass, or a chain of set operations. The cost
//    chooser that picked among them is gone; docs/planner.md keeps its history.
//
// One file, though long: the steps above work in order on one plan and are read top to
// bottom as numbered; the planner is being reworked as a whole (#15), and is split, if
// at all, after that.

/// What the planner may do.
public struct PlannerOptions: Hashable, Sendable {
    /// Now, for `within`.
    public var now: NowValue
    /// Force a strategy (benchmarks, tests); nil lets the planner choose.
    public var strategy: Strategy?
    /// Whether rollups may answer predicates (benchmarks turn them off to compare).
    public var useRollups: Bool
    /// Whether the bitmap engine may read the kept sets (`campaign_sets`,
    /// `attribute_sets`) for a condition they answer (tests turn it off to compare).
    public var useKeptSets: Bool

    public init(
        now: NowValue, strategy: Strategy? = nil, useRollups: Bool = true, useKeptSets: Bool = true
    ) {
        self.now = now
        self.strategy = strategy
        self.useRollups = useRollups
        self.useKeptSets = useKeptSets
    }
}

/// Plans bound queries.
public struct Planner {
    private let catalog: Catalog
    private let options: PlannerOptions
    private var reasons: [String] = []

    /// Plans `query` against the statistics in `catalog`.
    ///
    /// `cancellation` is polled at every condition lowered and simplified; once it is
    /// cancelled (Ctrl-C, a timeout) planning stops early and the plan is incomplete:
    /// the caller, owning the flag, reports the statement's error instead of using it.
    public static func plan(_ query: BoundQuery, catalog: Catalog, options: PlannerOptions,
                            cancellation: Cancellation? = nil) -> Plan {
        var planner = Planner(catalog: catalog, options: options, cancellation: cancellation)
        return planner.run(query)
    }

    private let cancellation: Cancellation?

    private init(catalog: Catalog, options: PlannerOptions, cancellation: Cancellation?) {
        self.catalog = catalog
        self.options = options
        self.cancellation = cancellation
    }

    /// Whether the statement was cancelled: lowering and simplifying then stop.
    private var stopped: Bool { cancellation?.isCancelled == true }

    private var contactCount: Double { Double(max(catalog.contactCount, 1)) }

    private mutating func run(_ query: BoundQuery) -> Plan {
        let filter = simplify(lower(query))
        let rows = Int64(estimate(filter).rounded())
        if options.strategy == nil || options.strategy == .bitmaps {
            return bitmapPlan(options.useRollups ? onRollupRows(filter) : filter, rows: rows)
        }
        let candidate = driver(for: filter)
        // A forced single-statement shape (benchmarks compare them; tests pin their SQL).
        var strategy = options.strategy ?? .scan
        reasons.append("\(strategy.rawValue): forced")
        var driverSet: DriverSet?
        var candidates: Int64?
        var residual = filter
        if strategy == .driver {
            if let (set, est) = candidate {
                candidates = Int64(est)
                if case .union(let sets) = set, case .or(let branches) = filter, sets.count == branches.count {
                    // An `or` is driven branch by branch: each branch's candidates are
                    // tested against that branch only, never against the others.
                    let split = zip(sets, branches).map { self.split($0, $1) }
                    driverSet = .branches(split.map(\.0), residuals: split.map(\.1))
                    residual = .everyone
                    reasons.append("each branch of the or is driven by its own candidates and tests only its own conditions")
                } else {
                    let (d, rest) = self.split(set, filter)
                    driverSet = d
                    residual = rest
                }
            } else {
                strategy = .scan
                reasons.append("scan: nothing to drive from (the driver strategy needs a positive part)")
            }
        }
        var plan = Plan(
            strategy: strategy, filter: residual, driver: driverSet, now: options.now,
            estimatedRows: rows, estimatedCandidates: candidates, reasons: reasons)
        if strategy != .setOperations {
            plan.setProbes = linkSets(in: [residual] + branchResiduals(driverSet), candidates: Double(candidates ?? catalog.contactCount))
        }
        if strategy == .setOperations { plan.access = accessPaths(filter) }
        if !plan.setProbes.isEmpty {
            plan.reasons.append(
                "link conditions are tested against the set of their clicks' contacts, read once through the index by link, "
                    + "not probed for each of the \(candidates ?? catalog.contactCount) candidates")
        }
        if strategy == .scan {
            if residual.requiresContactActivity {
                plan.requiresContactActivity = true
                plan.reasons.append("the scan starts from contact_activity: every answer needs a row there")
                // The positive rollup conditions bound the answer from above (a negated
                // part's estimate may be far off: `not opened(within: 365d)` among the
                // recently delivered); past a fifth of the contacts, the rows are read
                // in contacts' order (docs/planner.md).
                let bound = contactRollupBound(residual) ?? contactCount
                if bound >= 0.2 * contactCount {
                    plan.rowsFromContacts = true
                    plan.reasons.append(
                        "rows: up to \(Int64(bound)) contacts (over 20%), so contacts are read in id order and the rollup looked up for each")
                }
            } else if case .not(let inner) = residual, inner.requiresContactActivity {
                plan.reasons.append(
                    "counting: every contact less those for which the negated part holds, read from contact_activity alone")
            }
        }
        return plan
    }

    // MARK: - Bounded sets (the bitmap strategy)

    /// The bitmap plan of `filter`: every atom read once from the index range that holds
    /// exactly its rows (`accessPaths`), the sets combined in memory. Its cost is the sum
    /// of the ranges; an `and` is evaluated smallest first, and a range far larger than
    /// the contacts already left is read only for those contacts, through the index by
    /// contact (the evaluator decides that on the sizes it has actually read).
    private func bitmapPlan(_ filter: PlanExpr, rows: Int64) -> Plan {
        let access = accessPaths(filter)
        let read = access.values.reduce(0.0) { $0 + $1.estimatedRows }
        var plan = Plan(
            strategy: .bitmaps, filter: filter, now: options.now, estimatedRows: rows,
            reasons: [
                access.isEmpty
                    ? "bitmaps: no condition left to read (the plan is every contact or none)"
                    : "bitmaps: each of \(access.count) condition\(access.count == 1 ? "" : "s") read once from its own index range "
                        + "(an estimated \(Int64(read.rounded())) rows in all), combined as sets of contact ids in memory"
            ])
        plan.access = access
        return plan
    }

    /// Within an `and` that reads rollup rows whole anyway (a positive condition that no
    /// partial index narrows: `delivered(within: 365d)` scans `contact_activity`,
    /// `delivered(campaign: "X")` the campaign's `activity` rows), every sibling the same
    /// rows also answer is read as a test on that row, not from its own range: the
    /// renderer makes them one read (SQLRenderer.program). Q4, `delivered(within: 365d)
    /// and not opened(within: 365d) and not clicked(within: 365d)`, is then one pass
    /// over the rollup, as the hand-written query is, instead of three reads.
    private func onRollupRows(_ e: PlanExpr) -> PlanExpr {
        switch e {
        case .and(let xs):
            let ys = xs.map(onRollupRows)
            var scopes: [RollupAtom.Scope] = []
            for y in ys where SQLRenderer.scansRollupRows(y) {
                if case .atom(.rollup(let r)) = y, !scopes.contains(r.scope) { scopes.append(r.scope) }
            }
            guard !scopes.isEmpty else { return .and(ys) }
            return .and(ys.map { y in
                for scope in scopes { if let alt = rowAlternative(y, scope: scope) { return alt } }
                return y
            })
        case .or(let xs): return .or(xs.map(onRollupRows))
        case .not(let x): return .not(onRollupRows(x))
        default: return e
        }
    }

    /// An event condition (or its negation) as the same test on a rollup row of
    /// `scope`, where that rollup answers it exactly.
    private func rowAlternative(_ e: PlanExpr, scope: RollupAtom.Scope) -> PlanExpr? {
        func on(_ f: EventFilter, _ t: CountTest) -> RollupAtom? {
            guard let r = rollup(for: f, t), r.scope == scope else { return nil }
            return r
        }
        switch e {
        case .atom(.events(let f, let t)):
            if !t.includesZero { return on(f, t).map { .atom(.rollup($0)) } }
            guard let c = t.complementExcludingZero else { return nil }
            return on(f, c).map { .not(.atom(.rollup($0))) }
        case .not(.atom(.events(let f, let t))) where !t.includesZero:
            return on(f, t).map { .not(.atom(.rollup($0))) }
        default:
            return nil
        }
    }

    /// The access path of every atom of `e`, keyed by the positive atom that is read (a
    /// zero-including atom is read as its positive complement).
    func accessPaths(_ e: PlanExpr) -> [PlanAtom: AccessPath] {
        var out: [PlanAtom: AccessPath] = [:]
        func walk(_ e: PlanExpr) {
            switch e {
            case .everyone, .nobody: break
            case .and(let xs), .or(let xs): xs.forEach(walk)
            case .not(let x): walk(x)
            case .atom(let a):
                let read = a.includesZero ? a.positiveComplement : a
                if let read, out[read] == nil {
                    var path = accessPath(read)
                    path.estimatedContacts = estimate(read)
                    path.restrictedCost = restrictedCost(read)
                    out[read] = path
                }
            }
        }
        walk(e)
        return out
    }

    /// Where a positive atom's contacts are read from, and how many rows that reads.
    /// How a bitmap plan reads atom `a`: the kept sets where they answer it (a union of
    /// one set per campaign, whatever the campaigns' sizes), else its SQL's range.
    func accessPath(_ a: PlanAtom) -> AccessPath {
        let path = sqlAccessPath(a)
        if case .attribute(let name, _) = a, options.useKeptSets, bitmaps, let values = catalog.attributeSets[name] {
            // An attribute of few values: the sets of the values that pass, whatever
            // share of the contacts they hold.
            var kept = AccessPath(
                kept: "\(StoreTable.attributeSets.name): \(name), the sets of its values that pass (of \(values) value\(values == 1 ? "" : "s"))",
                rows: Double(values), over: path)
            kept.attributeSets = true
            return kept
        }
        if case .events(let f, _) = a, f.ofLast != nil, let order = f.sendOrder, options.useKeptSets, bitmaps,
           !order.isEmpty, order.allSatisfy({ catalog.campaignSets.contains($0) }) {
            // `of_last` over campaigns whose sends do not overlap: the recipients from the
            // kept sets, one per campaign, and the predicate's own events read as before.
            var plain = f
            plain.ofLast = nil
            plain.distinctCampaigns = false
            plain.sendOrder = nil
            var events = sqlAccessPath(.events(plain, .atLeastOne))
            // "At least one" such event, or `at_least` campaigns: the events' kept sets
            // too, one per campaign (a count of events needs the events).
            // With a window (now fixed): the campaigns wholly inside it from their sets,
            // those it cuts from their events in it (contact and campaign ids), the
            // others have none.
            var eventSets: CampaignSetsRead?
            var cut: [Int64] = []
            if case .events(_, let test) = a, f.distinctCampaigns || test == .atLeastOne,
               let (whole, inside, cutHere, cutRows) = campaignsInWindow(plain, order),
               let sets = keptSets(.events(whole, .atLeastOne)) {
                cut = cutHere
                eventSets = sets
                var description = "\(StoreTable.campaignSets.name): the contacts with \(Self.keptNames(sets))"
                let split = Self.splitWords(plain)
                if let what = split.what { description += " in \(inside.count) campaign\(inside.count == 1 ? "" : "s") \(what)" }
                if !cut.isEmpty { description += ", and \(StoreIndex.eventsByCampaign.name): \(f.kind.noun) of \(cut.count) campaign\(cut.count == 1 ? "" : "s") \(split.cut)" }
                events = AccessPath(index: nil, description: description,
                                    estimatedRows: Double(inside.count * sets.measures.count) + cutRows, estimatedContacts: 0)
            }
            // A count of events: the campaigns' `activity` rows, each its count, where
            // they are fewer than the events (and a rollup answers the predicate) and an
            // index of the non-zero rows holds the count (opens, clicks): read whole,
            // every column of the 7.8M rows of deliveries cost more than the 8.1M
            // deliveries of the narrow index (1,257 against 1,151 ms on the 1M demo store).
            var fromRollup: RollupMeasure?
            if eventSets == nil, case .events(_, let test) = a, test != .atLeastOne, !f.distinctCampaigns, plain.window.isUnbounded,
               rollup(for: plain, .atLeastOne) != nil, let m = measure(for: plain), m.nonZeroIndexedColumn(for: .atLeastOne) != nil {
                let rows = order.reduce(0.0) { $0 + rollupRows(campaign: $1, kind: f.kind, measure: m) }
                if rows < events.estimatedRows {
                    fromRollup = m
                    events = AccessPath(index: nil, description: "\(StoreTable.activity.name): the rows of \(order.count) campaign\(order.count == 1 ? "" : "s") with \(f.kind.noun), each its count",
                                        estimatedRows: rows, estimatedContacts: 0)
                }
            }
            var what = "\(events.description); of_last over \(order.count) campaign\(order.count == 1 ? "" : "s") whose sends do not overlap, "
                + "their recipients from \(StoreTable.campaignSets.name) (\(order.count) set\(order.count == 1 ? "" : "s"))"
            if f.distinctCampaigns { what += "; distinct campaigns counted" }
            var kept = AccessPath(kept: what, rows: events.estimatedRows + Double(order.count), over: path,
                                  campaignSets: CampaignSetsRead(measures: [.count(.sends)], campaigns: order))
            if let eventSets {
                kept.eventSets = eventSets
                kept.besideSets = BesideKeptSets(cut: cut)
            }
            kept.ofLastRollup = fromRollup.map(OfLastRollup.rows)
            return kept
        }
        if case .events(let f, let test) = a, f.distinctCampaigns, f.ofLast == nil {
            // `at_least` campaigns: how many of the campaigns' kept sets hold the contact.
            var plain = f
            plain.distinctCampaigns = false
            plain.campaignsFromRollup = nil
            // With a window (now fixed): the campaigns wholly inside it from their sets,
            // those it cuts from their events in it, one set each; the others have none.
            guard let (whole, inside, cut, cutRows) = campaignsInWindow(plain, campaigns(in: plain.campaigns).map(\.id)),
                  !inside.isEmpty else { return path }
            plain = whole
            guard var sets = keptSets(.events(plain, .atLeastOne)) else { return path }
            sets.campaignsCounted = test
            let split = Self.splitWords(f)
            return keptPath(path, sets, what: split.what, cut: cut, cutRows: cutRows, cutWhat: split.cut,
                            noun: f.kind.noun, counting: "the campaigns counted per contact")
        }
        if case .events(let f, let test) = a, let split = f.wholeCampaigns, let sets = keptSetsOfWholeCampaigns(f, split, test) {
            // A window's whole campaigns from their kept sets, beside the other whole
            // campaigns' rows and the events of the campaigns the window cuts.
            let kept = Set(sets.campaigns)
            let inside = split.inside.filter { !kept.contains($0) }
            let words = Self.wholeCampaignWords(f)
            return keptPath(path, sets, what: words.inside,
                            inside: inside, insideRows: inside.reduce(0.0) { $0 + rollupRows(campaign: $1, kind: f.kind, measure: split.measure) },
                            cut: split.rest, cutRows: split.rest.reduce(0.0) { $0 + Double(catalog.stats[$1]?[f.kind]?.events ?? 0) * windowShare(f.window, f.kind, .only([$1])) },
                            cutWhat: words.rest, noun: f.kind.noun, counting: test != .atLeastOne ? "counted per contact" : nil)
        }
        if case .rollup(let r) = a, let sets = keptCountSets(r), case .campaigns(let ids) = r.scope, case .count(let m, _) = r.test,
           let kind = sets.measures.first?.kind {
            // A count over campaigns, those with at most one such event per contact from
            // their kept sets, the others' `activity` rows beside them.
            let kept = Set(sets.campaigns)
            let inside = ids.filter { !kept.contains($0) }
            return keptPath(path, sets, what: "with at most one each",
                            inside: inside, insideRows: inside.reduce(0.0) { $0 + rollupRows(campaign: $1, kind: kind, measure: m) },
                            noun: kind.noun, counting: "counted per contact")
        }
        if case .events(let f, let test) = a, let (sets, rest, restRows) = keptBounceCounts(f, test) {
            // Bounces of a type counted over campaigns: those with at most one bounce per
            // contact from their kept sets, the others' bounces of the type beside them.
            return keptPath(path, sets, what: "with at most one each", cut: rest, cutRows: restRows, cutWhat: "with more",
                            noun: "\(f.bounce?.rawValue ?? "") bounces", counting: "counted per contact")
        }
        guard let sets = keptSets(a) else { return path }
        return keptPath(path, sets, readBeside: false)
    }

    /// A count of bounces of a type over whole campaigns (`bounces(type: soft) >= 5`), which
    /// no rollup answers: the campaigns with at most one bounce per contact
    /// (`event_stats`: as many bounces as contacts) from their kept sets of that type,
    /// counted per contact, and the bounces of the type of the others (`rest`, with
    /// their estimated rows) read beside them. Nil when no campaign has such sets.
    private func keptBounceCounts(_ f: EventFilter, _ test: CountTest) -> (CampaignSetsRead, rest: [Int64], restRows: Double)? {
        guard options.useKeptSets, bitmaps, !catalog.campaignSets.isEmpty, test != .atLeastOne, f.kind == .bounced, let type = f.bounce,
              f.window.isUnbounded, f.message == nil, f.reason == nil, f.ofLast == nil, !f.distinctCampaigns, f.links == .any,
              f.campaignsFromRollup == nil, f.wholeCampaigns == nil, f.sendOrder == nil else { return nil }
        var kept: [Int64] = [], rest: [Int64] = []
        var restRows = 0.0
        for c in campaigns(in: f.campaigns) {
            let s = catalog.stats[c.id]?[.bounced]
            // Without bounces (no statistics, when the store's are complete), none to read.
            if s == nil ? catalog.statsComplete : s?.events == 0 { continue }
            if keptSetAnswers(f, c.id, test) {
                kept.append(c.id)
            } else {
                rest.append(c.id)
                restRows += Double(s?.events ?? 0) * narrowing(f)
            }
        }
        guard !kept.isEmpty else { return nil }
        return (CampaignSetsRead(measures: [.bounces(type)], campaigns: kept), rest, restRows)
    }

    /// Each campaign's number of messages (`campaigns.messages`), by id.
    private var messagesByCampaign: [Int64: Int64] {
        Dictionary(catalog.campaigns.map { ($0.id, $0.messages) }, uniquingKeysWith: { a, _ in a })
    }

    /// How `explain` names what kept sets hold: "opens", "clicks or footer_clicks",
    /// "sends of message 2".
    static func keptNames(_ sets: CampaignSetsRead) -> String {
        sets.measures.map(\.name).joined(separator: " or ") + (sets.message.map { " of message \($0)" } ?? "")
    }

    /// How `explain` names the two parts of EventFilter.wholeCampaigns: the campaigns
    /// wholly in the window (and of one message, for `message: 1`), and the others.
    static func wholeCampaignWords(_ f: EventFilter) -> (inside: String, rest: String) {
        switch (f.window.isUnbounded, f.message != nil) {
        case (false, false): ("wholly in the window", "the window cuts")
        case (true, _): ("of one message", "of more than one message")
        case (false, true): ("wholly in the window and of one message", "the window cuts or of more than one message")
        }
    }

    /// How `explain` names the two parts of `campaignsInWindow`: the campaigns from their
    /// sets (nil: all of them) and those read beside.
    static func splitWords(_ filter: EventFilter) -> (what: String?, cut: String) {
        filter.window.isUnbounded ? (nil, "") : ("wholly in the window", "the window cuts")
    }

    /// `filter`'s campaigns `order` as the kept sets can answer them: those whose events
    /// of the kind lie wholly inside its window (all of them without one: `inside`),
    /// those it cuts (`cut`, with their estimated events in it), and none of the others.
    /// With `message: N`, a campaign of fewer messages has none (`keptSets` reads the
    /// others' sets of that message). `whole` is the predicate over `inside` without the
    /// window. Nil when a window cannot be split (not at a fixed now).
    private func campaignsInWindow(_ filter: EventFilter, _ order: [Int64])
        -> (whole: EventFilter, inside: [Int64], cut: [Int64], cutRows: Double)? {
        var bounds: (lower: Int64?, upper: Int64?) = (nil, nil)
        if !filter.window.isUnbounded {
            guard case .fixed(let now) = options.now else { return nil }
            bounds = filter.window.bounds(now: now)
        }
        let messages = messagesByCampaign
        var inside: [Int64] = [], cut: [Int64] = []
        var cutRows = 0.0
        for c in order {
            var coverage = filter.window.isUnbounded ? .whole : windowCoverage(c, filter.kind, bounds.lower, bounds.upper)
            if let m = filter.message, (messages[c] ?? 1) < m { coverage = nil }
            switch coverage {
            case .whole?: inside.append(c)
            case .cut?:
                cut.append(c)
                cutRows += Double(catalog.stats[c]?[filter.kind]?.events ?? 0) * windowShare(filter.window, filter.kind, .only([c]))
                    * (filter.message == nil ? 1 : 0.5)
            case nil: break
            }
        }
        var whole = filter
        whole.window = TimeWindow()
        whole.campaigns = .only(inside)
        return (whole, inside, cut, cutRows)
    }

    /// The access path of a leaf read from the kept sets of some campaigns (`sets`, the
    /// campaigns `what`), beside the `activity` rows of `inside` and the events of `cut`
    /// (SetLeaf.KeptPlusRows), `counting` saying how a contact's sets are counted; not
    /// `readBeside`, a union of the sets alone.
    private func keptPath(_ path: AccessPath, _ sets: CampaignSetsRead, what: String? = nil,
                          inside: [Int64] = [], insideRows: Double = 0, cut: [Int64] = [], cutRows: Double = 0,
                          cutWhat: String = "the window cuts", noun: String = "", counting: String? = nil,
                          readBeside: Bool = true) -> AccessPath {
        func campaigns(_ n: Int) -> String { "\(n) campaign\(n == 1 ? "" : "s")" }
        let names = Self.keptNames(sets)
        var description = "\(StoreTable.campaignSets.name): the contacts with \(names) in \(campaigns(sets.campaigns.count))"
        if let what { description += " \(what)" }
        description += ", \(sets.sets) set\(sets.sets == 1 ? "" : "s")"
        if !inside.isEmpty { description += ", and \(StoreTable.activity.name): the rows of \(campaigns(inside.count))" }
        if !cut.isEmpty { description += ", and \(StoreIndex.eventsByCampaign.name): \(noun) of \(campaigns(cut.count)) \(cutWhat)" }
        if let counting { description += ", \(counting)" }
        var kept = AccessPath(kept: description, rows: Double(sets.sets) + countedMembers(sets, counting != nil) + insideRows + cutRows,
                              over: path, campaignSets: sets)
        if readBeside { kept.besideSets = BesideKeptSets(inside: inside, cut: cut) }
        return kept
    }

    /// What counting the members of kept sets per contact costs, in rows: a union is a
    /// few word operations per set, but a count adds one per member of each set — about
    /// a tenth of a row read by SQLite (1M-contact demo store: `deliveries >= 5` counted
    /// over 15 sets of 6.7M members in all took 80–130 ms, `contact_activity`'s million
    /// rows 180 ms).
    private func countedMembers(_ sets: CampaignSetsRead, _ counted: Bool) -> Double {
        guard counted else { return 0 }
        let members = sets.campaigns.reduce(0.0) { acc, c in
            acc + sets.measures.reduce(0.0) { $0 + Double($1.kind.flatMap { catalog.stats[c]?[$0]?.contacts } ?? 0) }
        }
        return members / 10
    }

    /// The range of `a`'s SQL (what a saved view and the one-statement forms read, and
    /// what the planner compares to choose between readings of a condition).
    func sqlAccessPath(_ a: PlanAtom) -> AccessPath {
        let n = contactCount
        switch a {
        case .events(let f, _) where f.campaignsFromRollup != nil:
            let ids = campaigns(in: f.campaigns).map(\.id)
            // The rows with such an event where the measure has an index of its non-zero
            // rows (opens, clicks), else every row of the campaigns.
            let rows = ids.reduce(0.0) { $0 + rollupRows(campaign: $1, kind: f.kind, measure: f.campaignsFromRollup!) }
            return AccessPath(
                index: nil, description: "\(StoreTable.activity.name): the rows of \(ids.count) campaign\(ids.count == 1 ? "" : "s") with \(f.kind.noun), counted per contact",
                estimatedRows: rows, estimatedContacts: 0)
        case .events(let f, _) where f.wholeCampaigns != nil:
            let split = f.wholeCampaigns!
            let rows = split.inside.reduce(0.0) { $0 + rollupRows(campaign: $1, kind: f.kind, measure: split.measure) }
                + split.rest.reduce(0.0) { $0 + Double(catalog.stats[$1]?[f.kind]?.events ?? 0) * windowShare(f.window, f.kind, .only([$1])) }
            let words = Self.wholeCampaignWords(f)
            return AccessPath(
                index: StoreIndex.eventsByCampaign.name,
                description: "\(StoreTable.activity.name): the rows of \(split.inside.count) campaign\(split.inside.count == 1 ? "" : "s") \(words.inside), "
                    + "and \(StoreIndex.eventsByCampaign.name): \(f.kind.noun) of \(split.rest.count) campaign\(split.rest.count == 1 ? "" : "s") \(words.rest), summed per contact",
                estimatedRows: rows, estimatedContacts: 0)
        case .events(let f, _) where f.readAsSet:
            // The predicate's own events, and for `of_last` the contacts' sends in scope.
            var plain = f
            plain.ofLast = nil
            plain.distinctCampaigns = false
            var path = sqlAccessPath(.events(plain, .atLeastOne))
            var what: [String] = []
            if f.distinctCampaigns { what.append("grouped by contact, distinct campaigns counted") }
            if let n = f.ofLast {
                // The evaluator reads the events first, and the sends of the contacts with
                // one alone when they are under half of the contacts (SetEvaluator).
                let withEvent = estimate(.events(plain, .atLeastOne))
                let few = OfLastSends.onlyOfCandidates(withEvent, among: contactCount)
                let whose = few ? "the sends of the contacts with such an event" : nil
                if let order = f.sendOrder {
                    let campaigns = "\(order.count) campaign\(order.count == 1 ? "" : "s") whose sends do not overlap, ranked by when they were sent"
                    if few {
                        // A few campaigns named are looked up per contact; otherwise each
                        // contact's sends are read whole, every campaign's (SQLRenderer).
                        var read = order
                        if case .any = f.campaigns { read = catalog.campaigns.map(\.id) }
                        if order.count > OfLastSends.campaignsLookedUp { read = catalog.campaigns.map(\.id) }
                        path.estimatedRows += read.reduce(0.0) { $0 + Double(catalog.stats[$1]?[.sent]?.events ?? 0) } * withEvent / contactCount
                    } else {
                        path.estimatedRows += order.reduce(0.0) { $0 + Double(catalog.stats[$1]?[.sent]?.contacts ?? 0) }
                    }
                    let source = whose.map { $0 + ":" } ?? "activity: the recipients of"
                    what.append("kept for each contact's last \(n) campaigns, from \(source) \(campaigns)")
                } else {
                    let sends = sqlAccessPath(.events(EventFilter(kind: .sent, campaigns: f.campaigns), .atLeastOne)).estimatedRows
                    path.estimatedRows += few ? sends * withEvent / contactCount : sends
                    what.append("kept for each contact's last \(n) campaigns, from \(whose.map { $0 + ", read in time order" } ?? "the sends read in time order")")
                }
            }
            path.description += "; " + what.joined(separator: "; ")
            return path
        case .events(let f, _):
            let extra = f.bounce != nil || f.reason != nil ? " (bounce and reason read from the rows)" : ""
            if case .only(let ids) = f.links {
                return AccessPath(
                    index: StoreIndex.eventsByLink.name, description: "\(StoreIndex.eventsByLink.name): the clicks on \(ids.count) link\(ids.count == 1 ? "" : "s")\(extra)",
                    estimatedRows: clicks(onLinks: ids) * windowShare(f.window, f.kind, f.campaigns), estimatedContacts: 0)
            }
            let share = windowShare(f.window, f.kind, f.campaigns)
            let kindRows = campaigns(in: .any).reduce(0.0) { $0 + Double(catalog.stats[$1.id]?[f.kind]?.events ?? 0) }
                * windowShare(f.window, f.kind, .any)
            if case .only(let ids) = f.campaigns {
                let campaignRows = campaigns(in: f.campaigns).reduce(0.0) { $0 + Double(catalog.stats[$1.id]?[f.kind]?.events ?? 0) } * share
                if campaignRows <= kindRows {
                    let window = f.window.isUnbounded ? "" : ", ts in the window"
                    return AccessPath(
                        index: StoreIndex.eventsByCampaign.name,
                        description: "\(StoreIndex.eventsByCampaign.name): \(f.kind.noun) of \(ids.count) campaign\(ids.count == 1 ? "" : "s")\(window)\(extra)",
                        estimatedRows: campaignRows, estimatedContacts: 0)
                }
            }
            let window = f.window.isUnbounded ? "" : ", ts in the window"
            return AccessPath(
                index: StoreIndex.eventsByKindTime.name, description: "\(StoreIndex.eventsByKindTime.name): \(f.kind.noun)\(window)\(extra)", estimatedRows: kindRows, estimatedContacts: 0)
        case .rollup(let r):
            var narrow: String?
            if case .count(let m, let t) = r.test { narrow = m.nonZeroIndexedColumn(for: t) }
            switch r.scope {
            case .allCampaigns:
                if let narrow {
                    let index = narrow == RollupColumn.opens.name ? StoreIndex.contactActivityOpeners : .contactActivityClickers
                    return AccessPath(
                        index: index.name,
                        description: "\(index.name): contacts with \(narrow)",
                        estimatedRows: estimate(.rollup(RollupAtom(kind: r.kind, scope: .allCampaigns, test: .count(RollupMeasure(plus: [narrow]), .atLeastOne)))), estimatedContacts: 0)
                }
                return AccessPath(index: nil, description: "\(StoreTable.contactActivity.name): every contact with events", estimatedRows: rollupContacts(), estimatedContacts: 0)
            case .campaigns(let ids):
                if let narrow {
                    let rows = ids.reduce(0.0) { $0 + Double(catalog.stats[$1]?[r.kind]?.contacts ?? 0) }
                    let name = (narrow == RollupColumn.opens.name ? StoreIndex.activityOpeners : .activityClickers).name
                    return AccessPath(index: name, description: "\(name): \(ids.count) campaign\(ids.count == 1 ? "" : "s")", estimatedRows: rows, estimatedContacts: 0)
                }
                let rows = ids.reduce(0.0) { $0 + campaignRows($1) }
                return AccessPath(
                    index: nil, description: "\(StoreTable.activity.name): the rows of \(ids.count) campaign\(ids.count == 1 ? "" : "s")", estimatedRows: rows, estimatedContacts: 0)
            }
        case .column(let f, let t):
            if case .compare(.equal, _) = t, f == .email || f == .phone {
                return AccessPath(index: nil, description: "\(StoreTable.contacts.name): the unique index on \(f.rawValue)", estimatedRows: 1, estimatedContacts: 0)
            }
            if let index = Self.columnIndex(f), Self.readsRange(t) {
                return AccessPath(index: index, description: "\(index): a range of \(f.rawValue)", estimatedRows: estimate(a), estimatedContacts: 0)
            }
            if f == .email, case .matches(let p) = t, let domain = EmailDomain.of(p) {
                let index = StoreIndex.contactsByEmailDomain.name
                return AccessPath(index: index, description: "\(index): the addresses at \(domain)", estimatedRows: estimate(a), estimatedContacts: 0)
            }
            return AccessPath(index: nil, description: "\(StoreTable.contacts.name): every contact's \(f.rawValue)", estimatedRows: n, estimatedContacts: 0)
        case .attribute(let name, _):
            return AccessPath(
                index: StoreIndex.contactAttributesByValue.name, description: "\(StoreIndex.contactAttributesByValue.name): \(name)", estimatedRows: estimate(a), estimatedContacts: 0)
        case .list(let id):
            return AccessPath(index: nil, description: "\(StoreTable.listMembers.name): list #\(id)", estimatedRows: estimate(a), estimatedContacts: 0)
        }
    }

    /// How a window `lower...upper` (either open) covers campaign `c`'s events of `kind`,
    /// by the first and last event the statistics keep; nil when it has none there (no
    /// statistics: no such events, as for `latestEvent`).
    enum WindowCoverage { case whole, cut }
    func windowCoverage(_ c: Int64, _ kind: EventKind, _ lower: Int64?, _ upper: Int64?) -> WindowCoverage? {
        guard let s = catalog.stats[c]?[kind] else { return nil }
        guard let lo = s.minTs, let hi = s.maxTs else { return .cut }
        if let lower, hi < lower { return nil }
        if let upper, lo > upper { return nil }
        return (lower.map { lo >= $0 } ?? true) && (upper.map { hi <= $0 } ?? true) ? .whole : .cut
    }

    /// The most events of `filter`'s kind (and scope, and window) any one contact has,
    /// from the statistics: in a campaign no contact has more than its events less its
    /// other contacts, and only the campaigns whose events of the kind the window meets
    /// count; with `of_last: N` only the N campaigns of the most. For `at_least` (a count
    /// of campaigns) each such campaign counts one. Nil when a campaign's figures are
    /// unknown. Exact statistics are the import's (it recounts a campaign's contacts
    /// whenever its `activity` rows change, merges included).
    func countBound(_ filter: EventFilter) -> Int64? {
        guard case .fixed(let now) = options.now else { return nil }
        let (lower, upper) = filter.window.bounds(now: now)
        var each: [Int64] = []
        for c in campaigns(in: filter.campaigns) {
            guard windowCoverage(c.id, filter.kind, lower, upper) != nil, let s = catalog.stats[c.id]?[filter.kind] else { continue }
            guard s.events > 0 else { continue }
            guard s.contacts > 0, s.contacts <= s.events else { return nil }
            each.append(filter.distinctCampaigns ? 1 : s.events - s.contacts + 1)
        }
        // A contact's count under `of_last` is over at most N of the campaigns.
        if let n = filter.ofLast, n < each.count { each = Array(each.sorted(by: >).prefix(Int(max(n, 0)))) }
        return each.reduce(0, +)
    }

    /// The kept sets that answer a rollup count above one over several campaigns
    /// (`sends(within: 180d) >= 3`, read as the rollup of the campaigns wholly inside the
    /// window) for those campaigns with at most one event of its kind per contact
    /// (`event_stats`: as many events as contacts), where a contact's count is how many
    /// of their sets hold it; the other campaigns' `activity` rows are read beside them
    /// (SetLeaf.KeptPlusRows). Nil when no campaign has such sets.
    func keptCountSets(_ r: RollupAtom) -> CampaignSetsRead? {
        guard options.useKeptSets, bitmaps, !catalog.campaignSets.isEmpty,
              case .count(let m, let t) = r.test, t != .atLeastOne, m.minus.isEmpty, m.plus.count == 1,
              case .campaigns(let ids) = r.scope, ids.count > 1,
              let column = RollupColumn(rawValue: m.plus[0]), let kind = column.kind else { return nil }
        let kept = ids.filter { c in catalog.campaignSets.contains(c) && atMostOnePerContact(c, kind) }
        return kept.isEmpty ? nil : CampaignSetsRead(measures: [.count(column)], campaigns: kept)
    }

    /// Whether campaign `c`'s kept sets answer `filter` over the whole campaign, for a
    /// bitmap plan: the predicate without its window, and for a count at most one such
    /// event per contact in the campaign (`event_stats`: as many events as contacts).
    private func keptSetAnswers(_ filter: EventFilter, _ c: Int64, _ test: CountTest) -> Bool {
        var whole = filter
        whole.wholeCampaigns = nil
        whole.window = TimeWindow()
        whole.message = nil
        whole.campaigns = .only([c])
        guard keptSets(.events(whole, .atLeastOne)) != nil else { return false }
        return test == .atLeastOne || atMostOnePerContact(c, filter.kind)
    }

    /// Whether campaign `c` has at most one event of `kind` per contact (`event_stats`: as
    /// many events as contacts), so that its kept set counts them: without statistics,
    /// only when the store's are complete (it then has none).
    private func atMostOnePerContact(_ c: Int64, _ kind: EventKind) -> Bool {
        guard let s = catalog.stats[c]?[kind] else { return catalog.statsComplete }
        return s.events == s.contacts
    }

    /// The kept sets of a window's whole campaigns (EventFilter.wholeCampaigns: their
    /// events of the kind all lie inside the window, and they have one message where
    /// `message: 1` is asked) that answer the predicate (`keptSetAnswers`); the other
    /// whole campaigns' `activity` rows and the events of the campaigns the window cuts
    /// are read beside them (SetLeaf.KeptPlusRows). Nil when none does.
    func keptSetsOfWholeCampaigns(_ f: EventFilter, _ split: WholeCampaigns, _ test: CountTest) -> CampaignSetsRead? {
        let kept = split.inside.filter { keptSetAnswers(f, $0, test) }
        guard !kept.isEmpty else { return nil }
        var whole = f
        whole.wholeCampaigns = nil
        whole.window = TimeWindow()
        whole.message = nil
        whole.campaigns = .only(kept)
        return keptSets(.events(whole, .atLeastOne))
    }

    /// The kept sets that answer `a` (`campaign_sets`), for a bitmap plan: "at least one
    /// event" of a kind (bounces of a type too), or "at least one" of one rollup count
    /// (or of the opens less the machine opens: the people who opened), over whole
    /// campaigns whose sets the store keeps (all of them, for every campaign); with
    /// `message: N`, the sets of that message of the campaigns of more than one (schema
    /// version 10: kept wherever a campaign's sets are), the whole sets of those of one
    /// (their only message is the first), and none of those of fewer than N. Not a
    /// window, a link, a reason, `of_last` or a count above one: those are read from
    /// their ranges.
    func keptSets(_ a: PlanAtom) -> CampaignSetsRead? {
        guard options.useKeptSets, bitmaps, !catalog.campaignSets.isEmpty else { return nil }
        var measures: [KeptMeasure]
        let ids: [Int64]
        switch a {
        case .rollup(let r):
            guard case .count(let m, .atLeastOne) = r.test else { return nil }
            if m == RollupMeasure(plus: [RollupColumn.opens.name], minus: [RollupColumn.machineOpens.name]) {
                measures = [.humanOpens]
            } else {
                guard m.minus.isEmpty, m.plus.count == 1, let column = RollupColumn(rawValue: m.plus[0]), column.isCount else { return nil }
                measures = [.count(column)]
            }
            switch r.scope {
            case .allCampaigns: ids = catalog.campaigns.map(\.id)
            case .campaigns(let named): ids = named
            }
        case .events(let f, .atLeastOne):
            guard f.window.isUnbounded, f.reason == nil, f.ofLast == nil, !f.distinctCampaigns,
                  f.campaignsFromRollup == nil, f.wholeCampaigns == nil, f.sendOrder == nil,
                  f.links == .any else { return nil }
            switch f.kind {
            case .sent: measures = [.count(.sends)]
            case .dropped: measures = [.count(.drops)]
            case .delivered: measures = [.count(.deliveries)]
            case .bounced: measures = [f.bounce.map(KeptMeasure.bounces) ?? .count(.bounces)]
            case .opened:
                switch f.machine {
                case nil: measures = [.count(.opens)]
                case true?: measures = [.count(.machineOpens)]
                case false?: measures = [.humanOpens]
                }
            case .clicked: measures = f.includeFooter ? [.count(.clicks), .count(.footerClicks)] : [.count(.clicks)]
            case .replied: measures = [.count(.replies)]
            case .forwarded: measures = [.count(.forwards)]
            case .unsubscribed: measures = [.count(.unsubscribes)]
            case .complained: measures = [.count(.complaints)]
            }
            var scope: [Int64]
            switch f.campaigns {
            case .any: scope = catalog.campaigns.map(\.id)
            case .only(let named): scope = named
            }
            if let m = f.message {
                // A campaign of one message holds its first whole and no later one; one of
                // fewer messages than `m` has none of it; the others keep each message's sets.
                let messages = messagesByCampaign
                scope = scope.filter { (messages[$0] ?? 1) >= m }
                guard scope.allSatisfy(catalog.campaignSets.contains) else { return nil }
                return CampaignSetsRead(measures: measures, campaigns: scope, message: m, byMessage: scope.filter { (messages[$0] ?? 1) > 1 })
            }
            ids = scope
        default:
            return nil
        }
        guard ids.allSatisfy({ catalog.campaignSets.contains($0) }) else { return nil }
        return CampaignSetsRead(measures: measures, campaigns: ids)
    }

    /// AccessPath.restrictedCost: for events, a probe of `events_by_contact` reads every
    /// event of the kind the contact has in the scope's campaigns (the window is not in
    /// the index's prefix), each as much as 1/30 of a probe, or 12 times that where its
    /// table row is needed; measured on the 1M-contact demo store, where 39,523 contacts'
    /// deliveries of `message: 1` took 702 ms by contact (329k rows) and 202 ms whole
    /// (15 kept sets and 851k rows of the two campaigns of more than one message).
    func restrictedCost(_ a: PlanAtom) -> Double {
        guard case .events(let f, _) = a else { return 1 }
        let events = campaigns(in: f.campaigns).reduce(0.0) { $0 + Double(catalog.stats[$1.id]?[f.kind]?.events ?? 0) }
        let perContact = events / max(contactCount, 1)
        let lookup = f.message != nil || f.bounce != nil || f.reason != nil ? 12.0 : 1.0
        return 1 + perContact * lookup / 30
    }

    /// The index of a contact column other than the unique e-mail and phone (schema
    /// version 6), in value order with the contact id: an equality, a list of values or
    /// a comparison reads a range of it.
    static func columnIndex(_ f: StandardField) -> String? {
        switch f {
        case .first_name: StoreIndex.contactsByFirstName.name
        case .last_name: StoreIndex.contactsByLastName.name
        case .created_at: StoreIndex.contactsByCreatedAt.name
        case .email, .phone: nil
        }
    }

    /// Whether a test of a column is one range (or a few) of an index on the column.
    static func readsRange(_ t: FieldTest) -> Bool {
        switch t {
        case .compare(let op, _): op != .notEqual
        case .oneOf(let xs): !xs.isEmpty
        case .between: true
        case .matches, .exists: false
        }
    }

    /// Contacts with any event (rows of `contact_activity`), from the statistics.
    private func rollupContacts() -> Double {
        var missing = 1.0
        for c in catalog.campaigns {
            let contacts = catalog.stats[c.id]?.values.map(\.contacts).max() ?? 0
            missing *= 1 - min(1, Double(contacts) / contactCount)
        }
        return contactCount * (1 - missing)
    }

    /// The `activity` rows of one campaign that a count of `kind` with `measure` reads:
    /// its non-zero rows where they have an index of their own (a kind's contacts),
    /// else every row of the campaign.
    private func rollupRows(campaign: Int64, kind: EventKind, measure: RollupMeasure) -> Double {
        measure.nonZeroIndexedColumn(for: .atLeastOne) != nil
            ? Double(catalog.stats[campaign]?[kind]?.contacts ?? 0) : campaignRows(campaign)
    }

    /// A campaign's `activity` rows: its recipients of any kind.
    private func campaignRows(_ campaign: Int64) -> Double {
        Double(catalog.stats[campaign]?.values.map(\.contacts).max() ?? 0)
    }

    /// The smallest estimate among the positive `contact_activity` conditions of the
    /// `and` `e` (an upper bound of its answer), or nil when it has none.
    private func contactRollupBound(_ e: PlanExpr) -> Double? {
        e.conjuncts.filter(\.requiresContactActivity).map(estimate).min()
    }

    private func branchResiduals(_ d: DriverSet?) -> [PlanExpr] {
        if case .branches(_, let residuals)? = d { return residuals }
        return []
    }

    /// The events conditions with `link:` in `exprs` that are cheaper as a set: their
    /// clicks (estimated from the campaigns' clicks shared among their links) fewer than
    /// four per candidate. A probe walks all of a candidate's clicks through the index by
    /// contact, and the candidates that reach it are the active clickers (Q1 of
    /// docs/benchmarks.md: 52k probes took 240 ms); the set is read once through
    /// `events_by_link` and each candidate is one lookup in it.
    private func linkSets(in exprs: [PlanExpr], candidates: Double) -> Set<PlanAtom> {
        var out: Set<PlanAtom> = []
        func walk(_ e: PlanExpr) {
            switch e {
            case .and(let xs), .or(let xs): xs.forEach(walk)
            case .not(let x): walk(x)
            case .atom(let a):
                guard case .events(let f, _) = a, case .only(let ids) = f.links else { return }
                if clicks(onLinks: ids) <= 4 * candidates { out.insert(a) }
            default: break
            }
        }
        exprs.forEach(walk)
        return out
    }

    /// Estimated clicks on the links `ids`: each link's campaign's clicks shared evenly
    /// among the campaign's links.
    private func clicks(onLinks ids: [Int64]) -> Double {
        let wanted = Set(ids)
        var linksPerCampaign: [Int64: Int] = [:]
        for l in catalog.links { linksPerCampaign[l.campaignID, default: 0] += 1 }
        return catalog.links.filter { wanted.contains($0.id) }.reduce(0.0) { acc, l in
            acc + Double(catalog.stats[l.campaignID]?[.clicked]?.events ?? 0) / Double(linksPerCampaign[l.campaignID] ?? 1)
        }
    }

    /// The driver `set` of `filter`, and what is left to test on its candidates: every
    /// candidate satisfies a driving conjunct, so it is not probed again.
    private func split(_ set: DriverSet, _ filter: PlanExpr) -> (DriverSet, PlanExpr) {
        if case .atom(.rollup(let r)) = set, let campaign = singleCampaign(of: set) {
            return fuseRow(r, campaign: campaign, filter: filter)
        }
        if case .atom(let a) = set {
            switch filter {
            case .atom(a): return (set, .everyone)
            case .and(let xs) where xs.contains(.atom(a)): return (set, simplify(.and(xs.filter { $0 != .atom(a) })))
            default: break
            }
        }
        return (set, filter)
    }

    /// Moves the conjuncts of `filter` that read the same campaign's `activity` row as
    /// the driving atom `r` (or negate such a reading) into the driver.
    private func fuseRow(_ r: RollupAtom, campaign: Int64, filter: PlanExpr) -> (DriverSet, PlanExpr) {
        func sameRow(_ e: PlanExpr) -> Bool {
            switch e {
            case .atom(.rollup(let x)): return x.scope == .campaigns([campaign])
            case .not(.atom(.rollup(let x))): return x.scope == .campaigns([campaign])
            default: return false
            }
        }
        let conjuncts = filter.conjuncts
        var onRow: [PlanExpr] = [.atom(.rollup(r))]
        var rest: [PlanExpr] = []
        for x in conjuncts where x != .atom(.rollup(r)) {
            if sameRow(x) { onRow.append(x) } else { rest.append(x) }
        }
        return (.activityRow(campaign: campaign, conditions: onRow), simplify(.and(rest)))
    }

    // MARK: - Lowering and simplification

    private mutating func lower(_ q: BoundQuery) -> PlanExpr {
        if stopped { return .nobody }
        switch q {
        case .everyone: return .everyone
        case .nobody: return .nobody
        case .and(let xs): return .and(Self.withoutImpliedCounts(xs).map { lower($0) })
        case .or(let xs): return .or(xs.map { lower($0) })
        case .not(let x): return .not(lower(x))
        case .column(let f, let t): return .atom(.column(f, t))
        case .attribute(let n, let t): return .atom(.attribute(n, t))
        case .list(let id, _): return .atom(.list(id))
        case .events(let filter, let test): return lowerEvents(filter, test)
        }
    }

    /// The operands of an `and` without a count that another count implies
    /// (`deliveries <= 2 and deliveries < 4` is `deliveries <= 2`: one read, not two;
    /// `clicks(campaign: "Spring Sale") >= 2 and clicked` is the first alone), or
    /// `nobody` when two counts exclude each other (`opens >= 3 and opens < 2`;
    /// `opens = 0 and opened(campaign: "Spring Sale")`, whose opens are some of all the
    /// opens; `not opened and opens(within: 14d) > 2`), or when an operand and its
    /// negation are both there (`suppressed and not suppressed`). A count of events
    /// that another's include is never above that other's (EventFilter.isWithin).
    static func withoutImpliedCounts(_ xs: [BoundQuery]) -> [BoundQuery] {
        // An `and` of `and`s is one `and` (the parser nests them two by two).
        var out: [BoundQuery] = []
        func flatten(_ xs: [BoundQuery]) {
            for x in xs {
                if case .and(let inner) = x { flatten(inner) } else { out.append(x) }
            }
        }
        flatten(xs)
        // Only shallow operands are compared whole: hashing a deep one at every level of
        // a deeply nested query would take time and stack in proportion to its depth.
        let present = Set(out.filter { Self.isShallow($0) })
        for case .not(let y) in out where Self.isShallow(y) {
            if present.contains(y) { return [.nobody] }
            if case .and(let ys) = y, ys.allSatisfy(present.contains) { return [.nobody] }
        }
        /// A count, positive or negated: `not opened` is `opens = 0`.
        func count(_ x: BoundQuery) -> (EventFilter, CountTest)? {
            switch x {
            case .events(let f, let t): return (f, t)
            case .not(.events(let f, let t)): return (f, t.negated)
            default: return nil
            }
        }
        var i = 0
        while i < out.count {
            guard let (f, t) = count(out[i]) else {
                i += 1
                continue
            }
            var j = i + 1
            while j < out.count {
                guard let (g, u) = count(out[j]) else {
                    j += 1
                    continue
                }
                if g == f {
                    let counts = Set([0, t.value - 1, t.value, t.value + 1, u.value - 1, u.value, u.value + 1].filter { $0 >= 0 })
                    if !counts.contains(where: { t.holds(for: $0) && u.holds(for: $0) }) { return [.nobody] }
                    if counts.allSatisfy({ !t.holds(for: $0) || u.holds(for: $0) }) {
                        out.remove(at: j)
                    } else if counts.allSatisfy({ !u.holds(for: $0) || t.holds(for: $0) }) {
                        out.remove(at: i)
                        return withoutImpliedCounts(out)
                    } else {
                        j += 1
                    }
                    continue
                }
                // One's events some of the other's: its count is at most the other's.
                if f.isWithin(g) ? t.excludes(larger: u) : g.isWithin(f) ? u.excludes(larger: t) : false { return [.nobody] }
                if f.isWithin(g), t.implies(larger: u) {
                    out.remove(at: j)
                } else if g.isWithin(f), u.implies(larger: t) {
                    out.remove(at: i)
                    return withoutImpliedCounts(out)
                } else {
                    j += 1
                }
            }
            i += 1
        }
        return out
    }

    /// Whether `q` nests at most four levels (an audience such as `suppressed` is an `or`
    /// of a few predicates), found without looking deeper.
    static func isShallow(_ q: BoundQuery, levels: Int = 4) -> Bool {
        guard levels > 0 else { return false }
        switch q {
        case .and(let xs), .or(let xs): return xs.count <= 16 && xs.allSatisfy { isShallow($0, levels: levels - 1) }
        case .not(let x): return isShallow(x, levels: levels - 1)
        case .everyone, .nobody, .events, .column, .attribute, .list: return true
        }
    }

    /// Whether `filter` names several campaigns that hold every campaign with events of
    /// its kind (no `message:` or `of_last`, the statistics complete): it is then every
    /// campaign (`opens(channel: email)` where only e-mails are opened), and the session
    /// reads the contact sample for its estimate as for every campaign's.
    public static func scopeIsEveryCampaign(_ filter: EventFilter, _ catalog: Catalog) -> Bool {
        guard catalog.statsComplete, case .only(let ids) = filter.campaigns, ids.count > 1, filter.message == nil, filter.ofLast == nil
        else { return false }
        let named = Set(ids)
        return catalog.campaigns.allSatisfy { c in named.contains(c.id) || (catalog.stats[c.id]?[filter.kind]?.events ?? 0) == 0 }
    }

    /// `lower` of one event predicate, a function of its own: `lower` recurses once per
    /// level of the query (up to the binder's 1,500 after expansion), and this case's
    /// locals (several `EventFilter`s) made each level's frame 14 KB in a debug build,
    /// which overflowed a test thread's 8 MB stack at 600 levels.
    @inline(never)
    private mutating func lowerEvents(_ filter: EventFilter, _ test: CountTest) -> PlanExpr {
        var filter = filter
        // What the statistics say holds only for the events stored now: a saved
        // segment's view (now read when it runs) is planned without them.
        let statsHold: Bool
        if case .fixed = options.now { statsHold = true } else { statsHold = false }
        // `as of` a moment no event in scope is later than changes nothing, and
        // leaves the rollups exact (they would not be, for a moment before the last).
        if statsHold, let until = filter.window.until, !filter.readAsSet,
           let latest = latestEvent(filter.kind, in: filter.campaigns), latest <= until {
            filter.window.until = nil
        }
        if case .only(let ids) = filter.campaigns, ids.isEmpty {
            return test.includesZero ? .everyone : .nobody
        }
        if case .only(let ids) = filter.links, ids.isEmpty {
            return test.includesZero ? .everyone : .nobody
        }
        if statsHold, catalog.statsComplete {
            // A scope of several campaigns holding every campaign with events of the
            // kind is every campaign (`opens(channel: email)` where only e-mails are
            // opened): `contact_activity` then answers it, one row per contact, not the
            // scope's `activity` rows, a row per contact and campaign. (One campaign's
            // rows are never more than `contact_activity`'s. With `message:` the scope
            // stays: which campaigns have one message decides whether a rollup answers;
            // with `of_last` too: a contact's last campaigns are those of the scope.)
            if Self.scopeIsEveryCampaign(filter, catalog) { filter.campaigns = .any }
            // A count no contact can reach: no contact has more of the kind in a campaign
            // than the campaign's events less its other contacts (`event_stats`), so the
            // campaigns the window meets bound every contact's count (`deliveries(within:
            // 7d) >= 5` when the last week holds one campaign of one delivery each; with
            // `of_last: N`, N of them: `sends(of_last: 1) >= 2` when a send is one each;
            // `at_least: 4` of campaigns when the scope has three with such events).
            if let bound = countBound(filter) {
                if bound == 0 { return test.includesZero ? .everyone : .nobody }
                let passes = test.passes(in: 1...bound)
                if test != .atLeastOne, passes.none {
                    // Only a count of zero can pass: not one such event.
                    return test.includesZero ? .not(lowerEvents(filter, .atLeastOne)) : .nobody
                }
                if test != .atLeastOne, passes.all {
                    // Every count but zero passes: the verb, or everyone.
                    return test.includesZero ? .everyone : lowerEvents(filter, .atLeastOne)
                }
            }
        }
        // `message: N` past the first is only in the campaigns with at least N messages
        // (the import raises a campaign's `messages` to the highest its events use), so
        // the scope narrows to those: their ranges of `events_by_campaign` are read, not
        // every event of the kind (`deliveries(message: 2) >= 2` on the 1M-contact demo
        // store: the two sequences' 1.9M deliveries instead of all 8M). Not under
        // `of_last`, whose last campaigns are the whole scope's: a contact whose last
        // campaign has one message is not to be ranked by an older sequence.
        if let m = filter.message, m > 1 {
            let inScope = campaigns(in: filter.campaigns)
            let ids = inScope.filter { $0.messages >= m }.map(\.id)
            if ids.isEmpty { return test.includesZero ? .everyone : .nobody }
            if ids.count < inScope.count, filter.ofLast == nil { filter.campaigns = .only(ids) }
        }
        if filter.distinctCampaigns, filter.ofLast == nil, options.useRollups {
            // N of M from the rollup: a contact's rows of those campaigns with such an
            // event, counted, where the rollup is exact for the plain predicate — in a
            // bitmap plan only where that is cheaper than the events grouped by contact,
            // a grouped event costing about four rows of the rollup (1M demo store: 3.8M
            // opens grouped 2.9 s, 7.9M `activity` rows 1.5 s); `replied(at_least: 2)`
            // reads 16k replies, where the rollup has no index on replies and reads every row.
            var plain = filter
            plain.distinctCampaigns = false
            if let r = rollup(for: plain, .atLeastOne), case .count(let m, _) = r.test {
                var fromRollup = filter
                fromRollup.campaignsFromRollup = m
                if !bitmaps || sqlAccessPath(.events(fromRollup, test)).estimatedRows < 4 * sqlAccessPath(.events(filter, test)).estimatedRows {
                    filter = fromRollup
                }
            }
        }
        if bitmaps {
            if filter.ofLast != nil, options.useRollups { filter.sendOrder = sendOrder(filter) }
            if let split = wholeCampaignsRead(filter, test) { return split }
            return cheapestRead(filter, test)
        }
        if options.useRollups, !sparse(filter, test), let rollup = rollup(for: filter, test) {
            return .atom(.rollup(rollup))
        }
        // `= 0`, `< n`, `<= n` are the complement of a test that fails at zero; when a
        // rollup answers that one (`opens(within: 365d) = 0` is not `opened(within:
        // 365d)`, a recency test), read it as that complement.
        if options.useRollups, test.includesZero, let c = test.complementExcludingZero,
           !sparse(filter, c), let rollup = rollup(for: filter, c) {
            return .not(.atom(.rollup(rollup)))
        }
        return .atom(.events(filter, test))
    }

    /// Whether the plan will be a bitmap plan (the planner's own choice, or forced).
    private var bitmaps: Bool { options.strategy == nil || options.strategy == .bitmaps }

    /// For a bitmap plan, the reading of an event predicate with the fewest rows: the
    /// events' own range, or a rollup that answers it exactly (`replied` reads 16k
    /// events, where `contact_activity` would be a million rows), the predicate itself
    /// or, for a test that holds at zero, its complement.
    private func cheapestRead(_ filter: EventFilter, _ test: CountTest) -> PlanExpr {
        var options: [PlanExpr] = [.atom(.events(filter, test))]
        if self.options.useRollups {
            if let r = rollup(for: filter, test) {
                options.append(.atom(.rollup(r)))
                if let r = campaignByCampaign(r) { options.append(.atom(.rollup(r))) }
            }
            if test.includesZero, let c = test.complementExcludingZero, let r = rollup(for: filter, c) {
                options.append(.not(.atom(.rollup(r))))
                if let r = campaignByCampaign(r) { options.append(.not(.atom(.rollup(r)))) }
            }
        }
        // Ties (both read from the same kept sets) go to the fewer rows of the SQL, what a
        // restricted read or the one-statement form reads: a rollup over the events.
        let costs = options.map { (readRows($0), readRows($0, sql: true)) }
        return options.indices.min { costs[$0] < costs[$1] }.map { options[$0] } ?? options[0]
    }

    /// A count over every campaign as the same count over each campaign that has events
    /// of its kind (the statistics being complete), so that those with at most one such
    /// event per contact are read from their kept sets (`keptCountSets`) and only the
    /// others' `activity` rows beside them, where `contact_activity` is a row per contact
    /// (`drops > 1` on the 1M-contact demo store: 19 sets, not a million rows). Nil for
    /// "at least one", which the kept sets answer over every campaign as they are.
    private func campaignByCampaign(_ r: RollupAtom) -> RollupAtom? {
        guard r.scope == .allCampaigns, catalog.statsComplete, case .fixed = options.now,
              case .count(_, let t) = r.test, t != .atLeastOne else { return nil }
        let ids = catalog.campaigns.filter { (catalog.stats[$0.id]?[r.kind]?.events ?? 0) > 0 }.map(\.id)
        guard ids.count > 1 else { return nil }
        var spread = r
        spread.scope = .campaigns(ids)
        return keptCountSets(spread) == nil ? nil : spread
    }

    /// The rows a reading of one condition (an atom, or `not` an atom) reads: in a
    /// bitmap plan by its access path, the kept sets counted a row each (a count over
    /// campaigns of one delivery each is their sets, not their `activity` rows).
    private func readRows(_ e: PlanExpr, sql: Bool = false) -> Double {
        switch e {
        case .atom(let a), .not(.atom(let a)):
            guard let positive = a.includesZero ? a.positiveComplement : a else { return 0 }
            return (bitmaps && !sql ? accessPath(positive) : sqlAccessPath(positive)).estimatedRows
        default: return .infinity
        }
    }

    /// A count the rollups cannot answer as a whole (a window, `message: 1`), read in
    /// part from them: a campaign whose events of the kind all lie inside the window
    /// (the statistics keep each campaign's first and last event per kind) has its whole
    /// count in its `activity` row, and one that has a single message has every event
    /// as `message: 1`; such a campaign is read from its rollup row where that row is
    /// cheaper than its events, and only the campaigns the window cuts (or with more
    /// messages) from their events. A campaign wholly outside the window is left out.
    /// Only when now is fixed (a saved segment's view reads the time it runs at, and
    /// the statistics it was planned with change with every import).
    ///
    /// When every campaign left is read from its rollup the predicate is that rollup
    /// (`cheapestRead` of the campaigns without the window); otherwise one leaf reads
    /// both parts and sums them (EventFilter.wholeCampaigns).
    private func wholeCampaignsRead(_ filter: EventFilter, _ test: CountTest) -> PlanExpr? {
        guard options.useRollups, case .fixed(let now) = options.now,
              filter.links == .any, filter.bounce == nil, filter.reason == nil, !filter.readAsSet, filter.campaignsFromRollup == nil,
              !filter.window.isUnbounded || filter.message != nil,
              let measure = measure(for: filter)
        else { return nil }
        let (lower, upper) = filter.window.bounds(now: now)
        var inside: [Int64] = [], rest: [Int64] = []
        var insideRows = 0.0, restEvents = 0.0
        for c in campaigns(in: filter.campaigns) {
            guard let coverage = windowCoverage(c.id, filter.kind, lower, upper), let s = catalog.stats[c.id]?[filter.kind] else { continue }
            let covered = coverage == .whole
            let oneMessage = filter.message == nil || (filter.message == 1 && c.messages == 1)
            // A campaign whose kept sets answer the predicate is one set to read.
            let rows = keptSetAnswers(filter, c.id, test) ? 1 : rollupRows(campaign: c.id, kind: filter.kind, measure: measure)
            if covered, oneMessage, rows < Double(s.events) {
                inside.append(c.id)
                insideRows += rows
            } else {
                rest.append(c.id)
                // Its events in the window, by the share of its time span the window covers.
                restEvents += Double(s.events) * windowShare(filter.window, filter.kind, .only([c.id]))
            }
        }
        guard !inside.isEmpty else { return nil }
        // Worth it only when it reads fewer rows than the predicate's own cheapest reading.
        let plain = readRows(cheapestRead(filter, test))
        if rest.isEmpty {
            var whole = filter
            whole.window = TimeWindow()
            whole.message = nil
            whole.campaigns = inside.count == catalog.campaigns.count ? .any : .only(inside)
            let read = cheapestRead(whole, test)
            // The whole campaigns' kept sets, where they answer it, are one set each.
            if options.useKeptSets, inside.allSatisfy({ keptSetAnswers(filter, $0, test) }) { return read }
            return readRows(read) < plain ? read : nil
        }
        guard insideRows + restEvents < plain else { return nil }
        var split = filter
        split.wholeCampaigns = WholeCampaigns(measure: measure, inside: inside, rest: rest)
        return .atom(.events(split, test))
    }

    private func simplify(_ e: PlanExpr) -> PlanExpr {
        if stopped { return .nobody }
        switch e {
        case .and(let xs):
            var out: [PlanExpr] = []
            for x in xs.map(simplify) {
                if stopped { return .nobody }
                switch x {
                case .everyone: continue
                case .nobody: return .nobody
                case .and(let inner): out.append(contentsOf: inner)
                default: if !out.contains(x) { out.append(x) }
                }
            }
            out = Self.rangesOfOneColumn(out)
            return out.isEmpty ? .everyone : out.count == 1 ? out[0] : .and(byCost(out))
        case .or(let xs):
            var out: [PlanExpr] = []
            for x in xs.map(simplify) {
                if stopped { return .nobody }
                switch x {
                case .nobody: continue
                case .everyone: return .everyone
                case .or(let inner): out.append(contentsOf: inner)
                default: if !out.contains(x) { out.append(x) }
                }
            }
            return out.isEmpty ? .nobody : out.count == 1 ? out[0] : .or(byCost(out))
        case .not(let x):
            switch simplify(x) {
            case .everyone: return .nobody
            case .nobody: return .everyone
            case .not(let y): return y
            case let y: return .not(y)
            }
        default:
            return e
        }
    }

    /// The operands of an `and` with a lower and an upper bound on one indexed contact
    /// column as one range (FieldTest.between): `created_at = "2024-08-05"` (the day's
    /// two bounds) reads the day's contacts from `contacts_by_created_at`, not every
    /// contact created after its start and every one created before its end (3k rows
    /// instead of 1M on the 1M-contact demo store).
    /// Of two bounds on the same side, only the tighter is kept: `created_at <= "2026-05-06"
    /// and created_at <= "2024-12-22"` reads the range up to 2024-12-22 alone.
    static func rangesOfOneColumn(_ xs: [PlanExpr]) -> [PlanExpr] {
        var out = xs
        for f in [StandardField.created_at, .first_name, .last_name] {
            for lower in [true, false] {
                // Each bound that another on the same side makes redundant is left out.
                func side(_ op: ComparisonOperator) -> Bool {
                    lower ? (op == .greater || op == .greaterOrEqual) : (op == .less || op == .lessOrEqual)
                }
                func implied(_ i: Int, by j: Int) -> Bool {
                    guard i != j, case .atom(.column(f, .compare(let oi, let vi))) = out[i], side(oi),
                          case .atom(.column(f, .compare(let oj, let vj))) = out[j], side(oj) else { return false }
                    // j is tighter: strictly past i's value, or at it and strict (or i not).
                    if ContactSample.compare(vj, lower ? .greater : .less, vi) { return true }
                    guard ContactSample.compare(vj, .equal, vi) else { return false }
                    // At the same value a strict bound is the tighter; of two alike the first stays.
                    let (si, sj) = (oi == .greater || oi == .less, oj == .greater || oj == .less)
                    return si == sj ? j < i : sj
                }
                var i = 0
                while i < out.count {
                    if out.indices.contains(where: { implied(i, by: $0) }) { out.remove(at: i) } else { i += 1 }
                }
            }
            func bound(_ lower: Bool) -> Int? {
                let found = out.indices.filter { i in
                    guard case .atom(.column(f, .compare(let op, _))) = out[i] else { return false }
                    return lower ? (op == .greater || op == .greaterOrEqual) : (op == .less || op == .lessOrEqual)
                }
                return found.count == 1 ? found[0] : nil
            }
            guard let lo = bound(true), let hi = bound(false),
                  case .atom(.column(_, .compare(let o1, let a))) = out[lo], case .atom(.column(_, .compare(let o2, let b))) = out[hi] else { continue }
            out[lo] = .atom(.column(f, .between(o1, a, o2, b)))
            out.remove(at: hi)
        }
        return out
    }

    /// Operands cheapest first. SQLite evaluates the terms of a WHERE clause in the
    /// order written and stops at the first that decides, so a cheap rollup test placed
    /// before an events probe spares most of the probes (docs/planner.md).
    private func byCost(_ xs: [PlanExpr]) -> [PlanExpr] {
        xs.enumerated().sorted { a, b in
            let (ca, cb) = (cost(a.element), cost(b.element))
            return ca != cb ? ca < cb : a.offset < b.offset
        }.map(\.element)
    }

    /// A rough rank of what testing one contact costs.
    private func cost(_ e: PlanExpr) -> Int {
        switch e {
        case .everyone, .nobody: return 0
        case .not(let x): return cost(x)
        case .and(let xs), .or(let xs): return xs.map(cost).reduce(0, +)
        case .atom(let a):
            switch a {
            case .column: return 1
            case .rollup(let r): return r.scope == .allCampaigns ? 2 : 3
            case .attribute, .list: return 4
            case .events(_, let t): return t == .atLeastOne ? 6 : 8
            }
        }
    }

    // MARK: - Rollups

    /// The rollup reading that answers `filter`/`test` exactly, if there is one.
    private func rollup(for filter: EventFilter, _ test: CountTest) -> RollupAtom? {
        guard filter.links == .any, filter.bounce == nil, filter.reason == nil, !filter.readAsSet else { return nil }
        if let message = filter.message {
            // `message: 1` of campaigns that have only one message is every event.
            guard message == 1, campaigns(in: filter.campaigns).allSatisfy({ $0.messages == 1 }) else { return nil }
        }
        let scope: RollupAtom.Scope
        switch filter.campaigns {
        case .any: scope = .allCampaigns
        case .only(let ids): scope = .campaigns(ids)
        }
        if filter.window.isUnbounded {
            guard let measure = measure(for: filter) else { return nil }
            return RollupAtom(kind: filter.kind, scope: scope, test: .count(measure, test))
        }
        // Recency: `verb within …` / `verb since …`, from the last time the rollup keeps.
        guard test == .atLeastOne, !filter.window.hasEnd, filter.machine == nil else { return nil }
        let column: String
        switch filter.kind {
        case .delivered: column = RollupColumn.lastDelivered.name
        case .opened: column = RollupColumn.lastOpened.name
        case .clicked where !filter.includeFooter: column = RollupColumn.lastClicked.name
        default: return nil
        }
        if filter.window.within != nil {
            // The window ends at now: exact only if no such event lies after now.
            guard case .fixed(let now) = options.now, let latest = latestEvent(filter.kind, in: filter.campaigns),
                  latest <= now
            else { return nil }
        }
        return RollupAtom(kind: filter.kind, scope: scope, test: .recent(column: column, window: filter.window))
    }

    /// Whether a count over several named campaigns is of a kind so rare there that its
    /// events are fewer than half the `activity` rows that would be read instead: then
    /// the events, through the index by campaign and kind, are the cheaper source. A
    /// single campaign keeps the rollup, whose row also answers that campaign's other
    /// conditions; every campaign keeps `contact_activity`, one row per contact. Opens
    /// and clicks counted above zero read only the campaigns' openers or clickers (their
    /// own partial indexes), which are never more than the events (measured: Q1, Q4 and
    /// Q5 of docs/benchmarks.md).
    private func sparse(_ filter: EventFilter, _ test: CountTest) -> Bool {
        guard filter.window.isUnbounded, case .only(let ids) = filter.campaigns, ids.count >= 2 else { return false }
        if measure(for: filter)?.nonZeroIndexedColumn(for: test) != nil { return false }
        let scope = campaigns(in: filter.campaigns)
        let rows = scope.reduce(0.0) { $0 + campaignRows($1.id) }
        let events = scope.reduce(Int64(0)) { acc, c in acc + (catalog.stats[c.id]?[filter.kind]?.events ?? 0) }
        return Double(events) * 2 < rows
    }

    private func measure(for filter: EventFilter) -> RollupMeasure? {
        func measure(_ plus: [RollupColumn], minus: [RollupColumn] = []) -> RollupMeasure {
            RollupMeasure(plus: plus.map(\.name), minus: minus.map(\.name))
        }
        switch filter.kind {
        case .opened:
            switch filter.machine {
            case nil: return measure([.opens])
            case true?: return measure([.machineOpens])
            case false?: return measure([.opens], minus: [.machineOpens])
            }
        case .clicked:
            return measure(filter.includeFooter ? [.clicks, .footerClicks] : [.clicks])
        case .sent: return measure([.sends])
        case .dropped: return measure([.drops])
        case .delivered: return measure([.deliveries])
        case .bounced: return measure([.bounces])
        case .replied: return measure([.replies])
        case .forwarded: return measure([.forwards])
        case .unsubscribed: return measure([.unsubscribes])
        case .complained: return measure([.complaints])
        }
    }

    /// For `of_last`: the campaigns in scope with a send, oldest first, when no two
    /// campaigns' sends overlap in time (each campaign's first and last send, from the
    /// statistics, before the next campaign's first). Every contact was then first sent
    /// its campaigns in this order, and `activity` says which it was sent (one row per
    /// contact and campaign, where the sends are every send in time order). With `as of`
    /// (the sends up to a moment), a campaign sent after it is left out, and one sent
    /// across it leaves the sends to be read. Nil when the sends overlap, nothing is
    /// known, or the evaluator's bits would be too many.
    private func sendOrder(_ filter: EventFilter) -> [Int64]? {
        var spans: [(id: Int64, first: Int64, last: Int64)] = []
        for c in campaigns(in: filter.campaigns) {
            guard let s = catalog.stats[c.id]?[.sent] else { continue }  // never sent
            guard let first = s.minTs, let last = s.maxTs else { return nil }
            if let until = filter.window.until {
                if first > until { continue }
                if last > until { return nil }
            }
            spans.append((c.id, first, last))
        }
        spans.sort { ($0.first, $0.last) < ($1.first, $1.last) }
        for (a, b) in zip(spans, spans.dropFirst()) where a.last >= b.first { return nil }
        // The evaluator keeps a bit per contact and campaign, twice for `at_least`, and a
        // count: at most 256 MB of them, else the sends are read.
        let words = Double((spans.count + 63) / 64 * (filter.distinctCampaigns ? 2 : 1) + 1)
        guard !spans.isEmpty, words * max(contactCount, 1) <= Double(1 << 25) else { return nil }
        return spans.map(\.id)
    }

    private func campaigns(in scope: CampaignScope) -> [Catalog.Campaign] {
        switch scope {
        case .any: return catalog.campaigns
        case .only(let ids): return ids.compactMap { catalog.campaign(id: $0) }
        }
    }

    /// The latest event of `kind` in the scope, from the statistics (nil if unknown).
    private func latestEvent(_ kind: EventKind, in scope: CampaignScope) -> Int64? {
        var latest = Int64.min
        for c in campaigns(in: scope) {
            guard let s = catalog.stats[c.id]?[kind] else { continue }
            guard let max = s.maxTs else { return nil }
            latest = Swift.max(latest, max)
        }
        return latest
    }

    // MARK: - Estimates

    /// Estimated contacts for which `e` holds.
    private func estimate(_ e: PlanExpr) -> Double {
        let n = contactCount
        switch e {
        case .everyone: return n
        case .nobody: return 0
        case .not(let x): return max(0, n - estimate(x))
        case .and(let xs):
            // The conditions the sample answers are estimated together, as the share of
            // the sample meeting all of them (a country and a plan, or a city and a
            // country, are far from independent); the others as independent.
            let joint = xs.compactMap(samplePredicate)
            if joint.count >= 2, let sample = catalog.sample,
               let share = sample.share({ c in joint.allSatisfy { $0(c) } }) {
                let rest = xs.filter { samplePredicate($0) == nil }
                return rest.reduce(share * n) { acc, x in acc * estimate(x) / n }
            }
            return xs.reduce(n) { acc, x in acc * estimate(x) / n }
        case .or(let xs): return n * (1 - xs.reduce(1.0) { acc, x in acc * (1 - estimate(x) / n) })
        case .atom(let a): return estimate(a)
        }
    }

    private func estimate(_ a: PlanAtom) -> Double {
        let n = contactCount
        if let share = sampledShare(a) { return share * n }
        switch a {
        case .events(let f, let t):
            return estimateEvents(f.kind, f.campaigns, test: t, narrowing: narrowing(f))
        case .rollup(let r):
            let kind = r.kind
            let scope: CampaignScope
            switch r.scope {
            case .allCampaigns: scope = .any
            case .campaigns(let ids): scope = .only(ids)
            }
            switch r.test {
            case .count(_, let t): return estimateEvents(kind, scope, test: t, narrowing: 1)
            case .recent(_, let w): return estimateEvents(kind, scope, test: .atLeastOne, narrowing: windowShare(w, kind, scope))
            }
        case .column(let f, let t):
            switch t {
            case .compare(.equal, _) where f == .email || f == .phone: return min(1, n)
            case .exists: return 0.9 * n
            case .compare(.equal, _), .oneOf: return 0.05 * n
            default: return 0.3 * n
            }
        case .attribute(_, let t):
            switch t {
            case .compare(.equal, _): return 0.1 * n
            case .oneOf(let xs): return min(n, 0.1 * n * Double(xs.count))
            case .exists: return 0.7 * n
            case .matches: return 0.2 * n
            default: return 0.3 * n
            }
        case .list(let id):
            // Counted when the catalog was read; a list missing there is assumed small.
            return catalog.listSizes[id].map(Double.init) ?? 0.05 * n
        }
    }

    /// `e` as a test of one sampled contact, when the sample answers every condition in
    /// it (attributes, contact columns but a unique e-mail or phone, the per-contact
    /// rollup at a fixed now), or nil.
    private func samplePredicate(_ e: PlanExpr) -> ((ContactSample.Contact) -> Bool)? {
        switch e {
        case .everyone: return { _ in true }
        case .nobody: return { _ in false }
        case .not(let x):
            guard let p = samplePredicate(x) else { return nil }
            return { !p($0) }
        case .and(let xs), .or(let xs):
            let ps = xs.compactMap(samplePredicate)
            guard ps.count == xs.count else { return nil }
            if case .and = e { return { c in ps.allSatisfy { $0(c) } } }
            return { c in ps.contains { $0(c) } }
        case .atom(let a):
            switch a {
            case .attribute(let name, let t):
                return { ContactSample.holds(t, $0.attributes[name]) }
            case .column(let f, let t):
                if case .compare(.equal, _) = t, f == .email || f == .phone { return nil }
                return { ContactSample.holds(t, $0.columns[f]) }
            case .rollup(let r) where r.scope == .allCampaigns:
                guard case .fixed(let now) = options.now else { return nil }
                return { ContactSample.holds(r, $0, now: now) }
            default:
                return nil
            }
        }
    }

    /// The share of the contacts `a` holds for, from the catalog's sample, for the
    /// conditions the statistics do not count: attributes, contact columns (not a unique
    /// e-mail or phone) and the per-contact rollup (ContactSample).
    private func sampledShare(_ a: PlanAtom) -> Double? {
        guard let sample = catalog.sample else { return nil }
        switch a {
        case .attribute(let name, let t):
            return sample.share(of: t) { $0.attributes[name] }
        case .column(let f, let t):
            if case .compare(.equal, _) = t, f == .email || f == .phone { return nil }
            return sample.share(of: t) { $0.columns[f] }
        case .rollup(let r) where r.scope == .allCampaigns:
            guard case .fixed(let now) = options.now else { return nil }
            return sample.share { ContactSample.holds(r, $0, now: now) }
        default:
            return nil
        }
    }

    /// The share of a kind's events that the extra filters keep (a rough constant each).
    private func narrowing(_ f: EventFilter) -> Double {
        var share = 1.0
        if f.message != nil { share *= 0.5 }
        if case .only(let ids) = f.links {
            // The named links' share of the scope's clicks (each link its campaign's
            // clicks over its links, as `clicks(onLinks:)` estimates them).
            let clicks = campaigns(in: f.campaigns).reduce(0.0) { $0 + Double(catalog.stats[$1.id]?[.clicked]?.events ?? 0) }
            share *= clicks > 0 ? min(1, self.clicks(onLinks: ids) / clicks) : 0.3
        }
        if f.machine != nil { share *= 0.5 }
        if f.bounce != nil { share *= 0.5 }
        if f.reason != nil { share *= 0.3 }
        if f.ofLast != nil { share *= 0.7 }
        share *= windowShare(f.window, f.kind, f.campaigns)
        return share
    }

    /// The share of the scope's events of `kind` that fall in the window, assuming
    /// they are spread evenly between the first and the last.
    private func windowShare(_ w: TimeWindow, _ kind: EventKind, _ scope: CampaignScope) -> Double {
        guard !w.isUnbounded else { return 1 }
        let now: Int64
        switch options.now {
        case .fixed(let t): now = t
        case .readTime: return 0.5
        }
        let (lower, upper) = w.bounds(now: now)
        var inside = 0.0, total = 0.0
        for c in campaigns(in: scope) {
            guard let s = catalog.stats[c.id]?[kind], let lo = s.minTs, let hi = s.maxTs else { continue }
            let weight = Double(s.contacts)
            total += weight
            let a = max(lo, lower ?? lo), b = min(hi, upper ?? hi)
            if b < a { continue }
            inside += hi == lo ? weight : weight * Double(b - a + 1) / Double(hi - lo + 1)
        }
        return total == 0 ? 1 : inside / total
    }

    private func estimateEvents(_ kind: EventKind, _ scope: CampaignScope, test: CountTest, narrowing: Double) -> Double {
        let n = contactCount
        var missing = 1.0
        for c in campaigns(in: scope) {
            let contacts = Double(catalog.stats[c.id]?[kind]?.contacts ?? 0)
            missing *= 1 - min(1, contacts * narrowing / n)
        }
        let atLeastOne = n * (1 - missing)
        func atLeast(_ k: Int64) -> Double { k <= 0 ? n : atLeastOne / Double(k) }
        switch test.op {
        case .greaterOrEqual: return atLeast(test.value)
        case .greater: return atLeast(test.value + 1)
        case .less: return n - atLeast(test.value)
        case .lessOrEqual: return n - atLeast(test.value + 1)
        case .equal: return test.value == 0 ? n - atLeastOne : atLeast(test.value) - atLeast(test.value + 1)
        case .notEqual: return test.value == 0 ? atLeastOne : n - (atLeast(test.value) - atLeast(test.value + 1))
        }
    }

    // MARK: - Drivers

    /// The smallest candidate set that contains every contact `e` holds for, if any.
    private func driver(for e: PlanExpr) -> (DriverSet, Double)? {
        switch e {
        case .atom(let a):
            guard !a.includesZero, drivable(a) else { return nil }
            return (.atom(a), estimate(a))
        case .and(let xs):
            let found = xs.compactMap { driver(for: $0) }
            guard let smallest = found.min(by: { $0.1 < $1.1 }) else { return nil }
            // One campaign's rollup rows drive ahead of an attribute, whose size the
            // store keeps no statistics for (a fixed share is assumed): the range is
            // counted in event_stats, read in contact order, and the campaign's other
            // conditions are tested on its rows. A rare attribute value pays for it
            // (docs/planner.md has both sides measured).
            if case .atom(.attribute) = smallest.0,
               let row = found.filter({ singleCampaign(of: $0.0) != nil }).min(by: { $0.1 < $1.1 }) {
                return row
            }
            return smallest
        case .or(let xs):
            var sets: [DriverSet] = []
            var total = 0.0
            for x in xs {
                guard let (s, est) = driver(for: x) else { return nil }
                sets.append(s)
                total += est
            }
            return (.union(sets), min(total, contactCount))
        case .everyone, .nobody, .not:
            return nil
        }
    }

    /// The campaign, when a driver is one campaign's `activity` rows.
    private func singleCampaign(of d: DriverSet) -> Int64? {
        if case .atom(.rollup(let r)) = d, case .campaigns(let ids) = r.scope, ids.count == 1 { return ids[0] }
        return nil
    }

    /// Whether an atom's contacts can be read from an index range rather than a scan.
    private func drivable(_ a: PlanAtom) -> Bool {
        switch a {
        case .events, .list: return true
        case .rollup(let r):
            if case .campaigns = r.scope { return true }
            return false
        case .attribute(_, let t):
            switch t {
            case .compare(.equal, _), .oneOf: return true
            default: return false
            }
        case .column(let f, let t):
            switch t {
            case .compare(.equal, _), .oneOf: return f == .email || f == .phone
            case .matches(let p) where f == .email: return EmailDomain.of(p) != nil
            default: return false
            }
        }
    }
}
