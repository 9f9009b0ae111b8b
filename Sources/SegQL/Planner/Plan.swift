// The logical plan: what SQL shape answers a bound query, and from which tables,
// without any SQL text. The renderer (SQLRenderer, with SQLiteDialect or PostgresDialect) writes it.
//
// A plan is a boolean filter over contacts, in which each atom says where its answer
// comes from (the events table, or a rollup), plus the strategy: `bitmaps` (the
// planner's own choice: each atom's contacts read from its own index range, the sets
// combined in memory by the session's engine) or, when forced, how the filter is
// assembled into one statement: probe every contact, drive from a small candidate set,
// combine sets, or group events once.

/// How the query is answered: as bitmaps (the planner's choice), or as one SQL
/// statement of a forced shape.
public enum Strategy: String, CaseIterable, Hashable, Sendable {
    /// Scan contacts in id order; each atom is a correlated probe (EXISTS / NOT EXISTS /
    /// a count) on an index keyed by contact.
    case scan
    /// Take candidates from the most selective positive part of the query (a range of
    /// an index), then probe the rest for each candidate.
    case driver
    /// Each atom as `c.id IN (set)` / `NOT IN (set)`.
    case inSubqueries = "in"
    /// The query as INTERSECT / UNION / EXCEPT of contact sets.
    case setOperations = "sets"
    /// One GROUP BY pass over the relevant events with a conditional count per atom,
    /// joined to contacts so that contacts without events are kept.
    case groupedPass = "grouped"
    /// Bounded: each condition's contacts read once from the index range that holds
    /// exactly its rows into a bitmap of contact ids, the bitmaps combined by and / or /
    /// and-not in memory. Its cost is the sum of its conditions' own sizes, never
    /// contacts × conditions. The single SQL statement that stands for it (saved views,
    /// lists) is the same sets combined by INTERSECT / UNION / EXCEPT.
    case bitmaps
}

/// Where one condition's rows are read from, for the bitmap strategy (and for the set
/// arms of the other shapes): an index whose range holds exactly the condition's rows,
/// named so that SQLite cannot choose another (`INDEXED BY`), with the rows it is
/// estimated to read.
public struct AccessPath: Hashable, Sendable {
    /// The index to read (SQLite's name; PostgreSQL chooses by itself), or nil for the
    /// table's own order (a rollup's primary key, contacts).
    public var index: String?
    /// What is read, for `explain`: "events_by_kind_ts: kind = opened, ts in window".
    public var description: String
    /// Rows the range is estimated to hold (read, not contacts).
    public var estimatedRows: Double
    /// Contacts the condition is estimated to hold for.
    public var estimatedContacts: Double

    /// Read from the kept sets of these campaigns (`campaign_sets`) instead of the SQL,
    /// where the bitmap engine reads the leaf: one set per campaign, so `estimatedRows`
    /// is the number of campaigns.
    public var campaignSets: CampaignSetsRead?
    /// For `of_last` read with its recipients from the kept sets: the kept sets of the
    /// predicate's own events too, where they answer it (the events are then not read).
    public var eventSets: CampaignSetsRead?
    /// Read from the kept sets of the attribute's values (`attribute_sets`) instead of
    /// its rows: the union of the sets of the values that pass (SetLeaf.keptSets), so
    /// `estimatedRows` is the attribute's number of values.
    public var attributeSets = false
    /// What reading one contact's rows of the condition through the index by contact
    /// costs, in probes of a few rows the index holds whole (1): more where a contact has
    /// many such rows, or where each needs its table row (a message, a bounce type or a
    /// reason, which `events_by_contact` lacks). The evaluator reads a range for the
    /// contacts left only when that many probes read less than the range.
    public var restrictedCost = 1.0
    /// For `of_last` counting events (`opens(of_last: 2) >= 3`): its events read as the
    /// campaigns' `activity` rows, each row's measure its number of events (the renderer
    /// writes them, the evaluator counts each row that many times), where those rows are
    /// fewer than the events (2.2M openers' rows instead of 3.8M opens on the 1M-contact
    /// demo store).
    public var ofLastRollup: OfLastRollup?
    /// With `campaignSets`: the campaigns whose rows are read beside the sets
    /// (SetLeaf.keptPlusRows), nil when the sets answer alone.
    public var besideSets: BesideKeptSets?
    /// With `campaignSets`: what the SQL reads instead (a leaf that tests more on the
    /// same rollup row is read by its SQL, `withoutCampaignSets`).
    var sqlDescription = ""
    var sqlEstimatedRows = 0.0

    public init(index: String?, description: String, estimatedRows: Double, estimatedContacts: Double,
                campaignSets: CampaignSetsRead? = nil) {
        self.index = index
        self.description = description
        self.estimatedRows = estimatedRows
        self.estimatedContacts = estimatedContacts
        self.campaignSets = campaignSets
    }

    /// A read from the kept sets (`description`, `estimatedRows` the sets and rows it
    /// reads) overlaying `sql`, the SQL's range: its index and contacts stay the SQL's (a
    /// saved view, a restricted read and a store without the sets read that), and
    /// `withoutCampaignSets` gives it back.
    init(kept description: String, rows: Double, over sql: AccessPath, campaignSets: CampaignSetsRead? = nil) {
        self.init(index: sql.index, description: description, estimatedRows: rows, estimatedContacts: sql.estimatedContacts,
                  campaignSets: campaignSets)
        sqlDescription = sql.description
        sqlEstimatedRows = sql.estimatedRows
    }

    /// The same read from the SQL's range, not the kept sets.
    public var withoutCampaignSets: AccessPath {
        guard campaignSets != nil || attributeSets else { return self }
        var path = AccessPath(index: index, description: sqlDescription, estimatedRows: sqlEstimatedRows, estimatedContacts: estimatedContacts)
        path.restrictedCost = restrictedCost
        path.ofLastRollup = ofLastRollup
        return path
    }
}

/// AccessPath.ofLastRollup, boxed (a leaf's access path is copied at every level of a
/// deeply nested plan).
public indirect enum OfLastRollup: Hashable, Sendable {
    /// The `activity` rows whose `measure` is above zero, each counted `measure` times.
    case rows(RollupMeasure)

    public var measure: RollupMeasure {
        switch self { case .rows(let m): m }
    }
}

/// The campaigns of a leaf read beside its kept sets (SetLeaf.keptPlusRows): `inside`,
/// whose non-zero `activity` rows are read with their count, and `cut`, whose events are
/// read, one row each (with the campaign where the sets count campaigns: `at_least`, and
/// `of_last`'s own events). Which they are is the planner's: the campaigns a window cuts,
/// those with more than one event per contact, those without sets.
public struct BesideKeptSets: Hashable, Sendable {
    public var inside: [Int64] = []
    public var cut: [Int64] = []

    public init(inside: [Int64] = [], cut: [Int64] = []) {
        self.inside = inside
        self.cut = cut
    }
}

/// What a campaign's kept set holds (`campaign_sets.measure`): the contacts with a
/// count of `activity` above zero (schema version 7); with more opens than machine
/// opens, the people who opened; or with a bounce of a type (version 9).
public enum KeptMeasure: Hashable, Sendable {
    case count(RollupColumn)
    case humanOpens
    case bounces(BounceType)

    /// Every measure a campaign keeps a set of, in the order they are written.
    public static let all: [KeptMeasure] = RollupColumn.allCases.filter(\.isCount).map(KeptMeasure.count)
        + [.humanOpens, .bounces(.hard), .bounces(.soft)]

    /// The name in `campaign_sets.measure`.
    public var name: String {
        switch self {
        case .count(let c): c.name
        case .humanOpens: "human_opens"
        case .bounces(let type): "\(type.rawValue)_bounces"
        }
    }

    /// The kind of the events it is about.
    public var kind: EventKind? {
        switch self {
        case .count(let c): c.kind
        case .humanOpens: .opened
        case .bounces: .bounced
        }
    }

    /// The name of its set of one message of a campaign of more than one (schema version
    /// 10): "opens#2".
    public func name(message: Int64?) -> String {
        message.map { "\(name)#\($0)" } ?? name
    }
}

/// The kept sets a leaf is read from: for each of `campaigns`, the contacts in the set of
/// any of `measures` (`campaign_sets`); their union is the leaf's set.
public struct CampaignSetsRead: Hashable, Sendable {
    public var measures: [KeptMeasure]
    public var campaigns: [Int64]
    /// `at_least`: the set is the contacts in as many of the campaigns' sets as pass
    /// this test, not their union.
    public var campaignsCounted: CountTest?
    /// `message: N`, boxed (a leaf's reads are copied at every level of a deeply nested
    /// plan, whose frames a debug build's stack holds).
    private var messageRead: MessageRead?

    /// `message: N`: the campaigns of `campaigns` (of more than one message) whose sets of
    /// message N are read; the others' whole sets hold their only message, the first.
    indirect enum MessageRead: Hashable, Sendable {
        case message(Int64, byMessage: [Int64])
    }

    public init(measures: [KeptMeasure], campaigns: [Int64], campaignsCounted: CountTest? = nil,
                message: Int64? = nil, byMessage: [Int64] = []) {
        self.measures = measures
        self.campaigns = campaigns
        self.campaignsCounted = campaignsCounted
        self.messageRead = message.map { .message($0, byMessage: byMessage) }
    }

    /// The message asked for (`message: N`), if any.
    public var message: Int64? {
        if case .message(let m, _)? = messageRead { return m }
        return nil
    }

    /// The campaigns whose sets of `message` are read.
    public var byMessage: [Int64] {
        if case .message(_, let ids)? = messageRead { return ids }
        return []
    }

    /// How many sets are read.
    public var sets: Int { measures.count * campaigns.count }

    /// The same sets of `campaigns` alone (some of these).
    public func of(_ campaigns: [Int64]) -> CampaignSetsRead {
        CampaignSetsRead(measures: measures, campaigns: campaigns, campaignsCounted: campaignsCounted,
                         message: message, byMessage: byMessage.filter(campaigns.contains))
    }

    /// The set's name in `campaign_sets.measure` for `measure` of `campaign`.
    public func name(_ measure: KeptMeasure, of campaign: Int64) -> String {
        measure.name(message: byMessage.contains(campaign) ? message : nil)
    }
}

/// "Now", for `within`: a fixed instant, or the time the SQL is read (saved views).
public enum NowValue: Hashable, Sendable {
    case fixed(Int64)
    case readTime
}

/// A rollup column combination: the sum of some columns minus others.
public struct RollupMeasure: Hashable, Sendable {
    /// Columns added.
    public var plus: [String]
    /// Columns subtracted.
    public var minus: [String]

    public init(plus: [String], minus: [String] = []) {
        self.plus = plus
        self.minus = minus
    }
}

extension RollupMeasure {
    /// The columns whose non-zero rows have a partial index of their own, in contact
    /// order: per campaign in `activity` (`activity_openers`, `activity_clickers`) and in
    /// `contact_activity` (`contact_activity_openers`, `contact_activity_clickers`);
    /// schema version 3, docs/schema.md.
    static let nonZeroIndexed: Set<String> = [RollupColumn.opens.name, RollupColumn.clicks.name]

    /// The column whose non-zero rows alone can pass `test` and are indexed on their own
    /// (one such column, a test that fails at zero), or nil.
    public func nonZeroIndexedColumn(for test: CountTest) -> String? {
        guard minus.isEmpty, plus.count == 1, Self.nonZeroIndexed.contains(plus[0]), !test.includesZero else { return nil }
        return plus[0]
    }
}

/// How `of_last` reads each contact's sends: the planner costs it, the renderer writes
/// the reads, and the session's evaluator picks one of them, all by these rules.
public enum OfLastSends {
    /// The sends of the contacts with such an event alone are read (through the index by
    /// contact) when those are under half of the contacts in question; else every send
    /// in scope is read.
    public static func onlyOfCandidates(_ candidates: Double, among inQuestion: Double) -> Bool {
        candidates * 2 < inQuestion
    }

    /// Up to this many named campaigns are looked up per contact in that read; with more,
    /// each contact's sends are one range, every campaign's.
    public static let campaignsLookedUp = 4
}

/// An event predicate read in two parts (EventFilter.wholeCampaigns): the campaigns
/// whose events of its kind lie wholly inside its window are read from their
/// `activity` rows with `measure` (their whole count is the count in the window), the
/// other campaigns in scope (`rest`, which the window cuts) from their events.
public struct WholeCampaigns: Hashable, Sendable {
    public var measure: RollupMeasure
    /// Read from `activity`.
    public var inside: [Int64]
    /// Read from the events, with the window and every other filter.
    public var rest: [Int64]

    public init(measure: RollupMeasure, inside: [Int64], rest: [Int64]) {
        self.measure = measure
        self.inside = inside
        self.rest = rest
    }
}

/// An event predicate answered from a rollup table.
public struct RollupAtom: Hashable, Sendable {
    /// Which rollup rows.
    public enum Scope: Hashable, Sendable {
        /// `contact_activity`: all campaigns.
        case allCampaigns
        /// `activity` rows of these campaigns.
        case campaigns([Int64])
    }

    /// What is tested.
    public enum Test: Hashable, Sendable {
        /// The measure compared with a number.
        case count(RollupMeasure, CountTest)
        /// `column` (a last-event time) within the window: at least `window`'s lower
        /// bound. Only planned when no event of the kind is later than now.
        case recent(column: String, window: TimeWindow)
    }

    /// The event kind it counts.
    public var kind: EventKind
    public var scope: Scope
    public var test: Test

    public init(kind: EventKind, scope: Scope, test: Test) {
        self.kind = kind
        self.scope = scope
        self.test = test
    }

    /// Whether a contact without rollup rows passes.
    public var includesZero: Bool {
        switch test {
        case .count(_, let t): t.includesZero
        case .recent: false
        }
    }
}

/// One condition of the plan, with where its answer comes from.
public enum PlanAtom: Hashable, Sendable {
    /// Counted from the events table.
    case events(EventFilter, CountTest)
    /// Read from a rollup.
    case rollup(RollupAtom)
    /// A standard contact column.
    case column(StandardField, FieldTest)
    /// A custom attribute.
    case attribute(String, FieldTest)
    /// Members of a saved list.
    case list(Int64)

    /// The count an event predicate or a rollup count tests (nil for other atoms).
    public var countTest: CountTest? {
        switch self {
        case .events(_, let t): t
        case .rollup(let r):
            if case .count(_, let t) = r.test { t } else { nil }
        case .column, .attribute, .list: nil
        }
    }

    /// Whether a contact with no data at all passes (then it cannot drive a query).
    public var includesZero: Bool {
        switch self {
        case .events(_, let t): t.includesZero
        case .rollup(let r): r.includesZero
        case .column, .attribute, .list: false
        }
    }

    /// For an atom that includes zero, the atom whose contacts are exactly those it
    /// fails, with a test that excludes zero (`clicks < 2` ↔ not `clicks >= 2`); nil when
    /// the atom excludes zero already, or holds for everyone.
    public var positiveComplement: PlanAtom? {
        switch self {
        case .events(let f, let t):
            guard t.includesZero, let c = t.complementExcludingZero else { return nil }
            return .events(f, c)
        case .rollup(var r):
            guard case .count(let m, let t) = r.test, t.includesZero, let c = t.complementExcludingZero else { return nil }
            r.test = .count(m, c)
            return .rollup(r)
        default:
            return nil
        }
    }
}

/// The filter: a boolean combination of atoms.
public indirect enum PlanExpr: Hashable, Sendable {
    case everyone
    case nobody
    case and([PlanExpr])
    case or([PlanExpr])
    case not(PlanExpr)
    case atom(PlanAtom)
}

extension PlanExpr {
    /// The operands of an `and`, or the expression itself.
    public var conjuncts: [PlanExpr] {
        if case .and(let xs) = self { return xs }
        return [self]
    }

    /// Whether every contact it holds for has a `contact_activity` row: one of its
    /// conjuncts is a positive condition on that rollup (a contact without events fails it).
    public var requiresContactActivity: Bool {
        conjuncts.contains { e in
            if case .atom(.rollup(let r)) = e { return r.scope == .allCampaigns && !r.includesZero }
            return false
        }
    }

    /// Whether it tests a `contact_activity` column (a condition over every campaign).
    public var readsContactActivity: Bool {
        switch self {
        case .everyone, .nobody: return false
        case .and(let xs), .or(let xs): return xs.contains { $0.readsContactActivity }
        case .not(let x): return x.readsContactActivity
        case .atom(.rollup(let r)): return r.scope == .allCampaigns
        case .atom: return false
        }
    }

    /// Whether it reads a standard column of the contact's own row.
    public var readsContactColumn: Bool {
        switch self {
        case .everyone, .nobody: return false
        case .and(let xs), .or(let xs): return xs.contains { $0.readsContactColumn }
        case .not(let x): return x.readsContactColumn
        case .atom(.column): return true
        case .atom: return false
        }
    }
}

extension PlanExpr {
    /// Where a flat chain of set operations over the operands of an `and` starts: an
    /// `or` (only a head can continue one), else a positive atom; nil: every contact.
    /// The renderer writes the chain and the planner estimates it from the same choice.
    static func andChainHead(_ xs: [PlanExpr]) -> Int? {
        xs.firstIndex { if case .or = $0 { true } else { false } }
            ?? xs.firstIndex { if case .atom(let a) = $0 { !a.includesZero } else { false } }
    }

    /// Where a flat chain over the operands of an `or` starts: an operand that is not a
    /// positive atom (only a head can continue its chain), else the first.
    static func orChainHead(_ xs: [PlanExpr]) -> Int {
        xs.firstIndex { if case .atom(let a) = $0 { a.includesZero } else { true } } ?? 0
    }
}

/// The candidate contacts of a driven plan: a superset of the answer.
public indirect enum DriverSet: Hashable, Sendable {
    /// The contacts an atom holds for.
    case atom(PlanAtom)
    /// Any of these.
    case union([DriverSet])
    /// The `activity` rows of one campaign on which every condition holds: rollup
    /// conditions on that campaign (or their negations), tested on the driving row
    /// itself — the row exists, so a negated condition is just the row's own test.
    case activityRow(campaign: Int64, conditions: [PlanExpr])
    /// The branches of an `or`, each driven on its own: the contacts of `sets[i]` that
    /// satisfy `residuals[i]` (branch i without its driving part), for any i. Written as
    /// `(c.id IN (set) AND rest) OR …`, which SQLite answers branch by branch (its
    /// multi-index OR), so a candidate is tested only against its own branch.
    case branches([DriverSet], residuals: [PlanExpr])

    /// What holds for every contact of the set (for `explain`).
    public var condition: PlanExpr {
        switch self {
        case .atom(let a): .atom(a)
        case .union(let xs): .or(xs.map(\.condition))
        case .activityRow(_, let conditions): conditions.count == 1 ? conditions[0] : .and(conditions)
        case .branches(let xs, let residuals):
            .or(zip(xs, residuals).map { s, r in r == .everyone ? s.condition : .and([s.condition, r]) })
        }
    }
}

/// A complete logical plan.
public struct Plan: Hashable, Sendable {
    public var strategy: Strategy
    /// What every returned contact satisfies, besides being a candidate of the driver
    /// (a conjunct that drives is not repeated here).
    public var filter: PlanExpr
    /// Candidates, for `.driver`.
    public var driver: DriverSet?
    /// Now, for `within`.
    public var now: NowValue
    /// Estimated number of contacts returned.
    public var estimatedRows: Int64
    /// Estimated size of the driver set.
    public var estimatedCandidates: Int64?
    /// Why this strategy and these sources: lines for `explain`.
    public var reasons: [String]
    /// Whether every answer has a `contact_activity` row (a positive condition on it is
    /// required), so the scan can start from that table with an inner join.
    public var requiresContactActivity: Bool = false
    /// When the scan starts from `contact_activity`: whether the rows (not a count) are
    /// better read from contacts in id order, the rollup looked up for each, because the
    /// answer is a large share of the contacts (a contact's row is then read in place,
    /// not sought by id).
    public var rowsFromContacts: Bool = false
    /// Events conditions tested as membership of their contacts' set, read once
    /// (`id IN (SELECT e.contact_id FROM events e WHERE e.link_id IN …)`), rather than
    /// probed per candidate: link conditions whose clicks are few beside the candidates.
    public var setProbes: Set<PlanAtom> = []
    /// For each positive atom read as a set (every atom of a bitmap plan, the arms of
    /// the set shape), the index range it is read from. A zero-including atom is read as
    /// its positive complement, which has the entry.
    public var access: [PlanAtom: AccessPath] = [:]

    public init(
        strategy: Strategy, filter: PlanExpr, driver: DriverSet? = nil, now: NowValue,
        estimatedRows: Int64, estimatedCandidates: Int64? = nil, reasons: [String] = []
    ) {
        self.strategy = strategy
        self.filter = filter
        self.driver = driver
        self.now = now
        self.estimatedRows = estimatedRows
        self.estimatedCandidates = estimatedCandidates
        self.reasons = reasons
    }
}
