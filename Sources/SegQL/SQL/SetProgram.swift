// The bitmap strategy's program (Strategy.bitmaps): the query as a tree of and / or /
// not over leaves, each leaf one SELECT of contact ids from the index range that holds
// exactly one condition's rows. The evaluator (SegSession's SetEvaluator) reads every
// leaf once into a bitmap of contact ids and combines them in memory, so a query costs
// the sum of its conditions' own sizes, never contacts × conditions.
//
// The planner chose each leaf's access path (Plan.access); the renderer writes it
// (SQLRenderer.program). What `explain` shows of a bitmap plan is these leaves' SQL; a
// saved view or a frozen list of the same query is one SQL statement, the same sets
// combined by INTERSECT / UNION / EXCEPT.

/// A query as a combination of contact sets read by SQL.
public indirect enum SetProgram: Hashable, Sendable {
    case everyone
    case nobody
    case leaf(SetLeaf)
    case and([SetProgram])
    case or([SetProgram])
    case not(SetProgram)

    /// Every leaf, in the order written.
    public var leaves: [SetLeaf] {
        switch self {
        case .everyone, .nobody: []
        case .leaf(let l): [l]
        case .and(let xs), .or(let xs): xs.flatMap(\.leaves)
        case .not(let x): x.leaves
        }
    }

    /// The rows its leaves are estimated to read, in all.
    public var estimatedRows: Double { leaves.reduce(0) { $0 + $1.access.estimatedRows } }
}

/// One condition's contacts, as SQL.
public struct SetLeaf: Hashable, Sendable {
    /// How the rows the SQL returns make the set.
    public enum Reading: Hashable, Sendable {
        /// Each row is a contact id of the set (repeats allowed).
        case ids
        /// Each row is one matching event, its contact id; the set is the contacts whose
        /// number of rows passes the test (which fails at zero).
        case counted(CountTest)
        /// Each row is a contact id and a number; the set is the contacts whose sum
        /// passes the test (which fails at zero).
        case summed(CountTest)
        /// `of_last`: each row is one matching event, its contact id and campaign id,
        /// kept when the campaign is one of the contact's `ofLast` campaigns first sent
        /// to it most recently, as the rows of `sends` say (contact id, campaign id, time
        /// of a send; `sendsRestricted` for some contacts, as `restricted`); the set is the
        /// contacts whose kept rows (or, `distinct`, their campaigns) pass the test.
        /// With `order` (EventFilter.sendOrder: the campaigns in scope, whose sends do not
        /// overlap, oldest first) the rows of `sends` are each contact's campaigns with a
        /// send, once each and in any order (contact id, campaign id), ranked by `order`.
        case lastCampaigns(ofLast: Int64, test: CountTest, distinct: Bool, sends: CompiledSQL, sendsRestricted: CompiledSQL, order: [Int64]?)

        public var isLastCampaigns: Bool {
            if case .lastCampaigns = self { return true }
            return false
        }
    }

    /// The positive condition whose contacts it reads.
    public var condition: PlanAtom
    public var reading: Reading
    /// Where the rows come from, and how many are expected.
    public var access: AccessPath
    /// The whole range.
    public var sql: CompiledSQL
    /// The same rows for only some contacts, read through the index by contact: the
    /// contact ids are one more parameter after `restricted.parameters`, written by the
    /// dialect's `idListValue`. The evaluator reads a leaf this way when the contacts it
    /// has left are far fewer than the range's rows.
    public var restricted: CompiledSQL
    /// Whether the SQL returns each contact at most once (a key of its table holds the
    /// contact), so that a count of its rows is a count of contacts: a query that is
    /// this one leaf, or its negation, is counted in SQL without reading the ids.
    public var distinct: Bool
    /// Further conditions of the same `and` tested on the same row (a rollup's, or its
    /// negation): `contact_activity` read once for `delivered(within: 365d) and not
    /// opened(within: 365d)` instead of once per condition. Empty for most leaves.
    public var alsoOnRow: [PlanExpr]
    /// With `access.attributeSets`: a SELECT of the encoded sets (`attribute_sets.contacts`)
    /// of the attribute's values that pass the condition, tested by the same SQL as its
    /// rows of `contact_attributes`; the leaf's set is their union.
    public var keptSets: CompiledSQL?
    /// With `access.campaignSets`, a count or a window's predicate read from the kept
    /// sets of some of its campaigns and the rows of the others (SetLeaf.KeptPlusRows).
    public var keptPlusRows: KeptPlusRows?

    /// A predicate over campaigns read in two parts: the campaigns whose kept sets answer
    /// it (`access.campaignSets`: for a count, campaigns with at most one such event per
    /// contact), each contact counting once per set that holds it; and `rows` for the
    /// other campaigns (nil: none) — their `activity` rows with the count, the events of
    /// the campaigns a window cuts with 1 — a contact id and a number each. The leaf's
    /// reading says what is asked: `.ids` any count, `.summed(test)` a count that passes.
    public struct KeptPlusRows: Hashable, Sendable {
        public var rows: CompiledSQL?
    }

    public init(
        condition: PlanAtom, reading: Reading, access: AccessPath, sql: CompiledSQL, restricted: CompiledSQL, distinct: Bool = false,
        alsoOnRow: [PlanExpr] = []
    ) {
        self.alsoOnRow = alsoOnRow
        self.condition = condition
        self.reading = reading
        self.access = access
        self.sql = sql
        self.restricted = restricted
        self.distinct = distinct
    }
}
