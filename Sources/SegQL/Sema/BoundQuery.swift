// The binder's output: a query in which every name is resolved against the catalog
// and the session (aliases, built-ins, the campaign context), every argument is
// checked and normalized, and nothing refers back to source text. The planner
// consumes it; it never sees an unresolved name.

/// Which campaigns an event predicate looks at.
public enum CampaignScope: Hashable, Sendable {
    /// Every campaign (no `campaign:`/`channel:` and no context, or `campaign: "*"`).
    case any
    /// Only these campaign ids (sorted; may be empty, which matches no event).
    case only([Int64])
}

/// Which links a click predicate looks at.
public enum LinkScope: Hashable, Sendable {
    /// Any link, and clicks recorded without one.
    case any
    /// Only these link ids (sorted; may be empty).
    case only([Int64])
}

/// The time bounds of an event predicate, kept symbolic so that `within` can be
/// measured from "now" at the moment the SQL runs (saved segment views need that).
public struct TimeWindow: Hashable, Sendable {
    /// `within`: seconds before now (the window also ends at now); with `withinMonths`,
    /// seconds before that many calendar months before now.
    public var within: Int64?
    /// `within: 6mo` / `1y`: calendar months before now, in UTC, the day clamped to the
    /// month's last (`within` is then 0). See `Timestamp.monthsBefore`.
    public var withinMonths: Int64?
    /// `since`: `ts >= since`.
    public var since: Int64?
    /// `before`: `ts < before`.
    public var before: Int64?
    /// Seconds before now the window starts at (`within: 90d..30d`, `since: 30d`):
    /// `ts >= now - sinceAgo`, with no upper bound of its own.
    public var sinceAgo: Int64?
    /// Seconds before now the window ends before (`within: 90d..30d`, `before: 365d`):
    /// `ts < now - beforeAgo`.
    public var beforeAgo: Int64?
    /// `as of`: only events up to this instant, `ts <= until`.
    public var until: Int64?

    public init(
        within: Int64? = nil, since: Int64? = nil, before: Int64? = nil, sinceAgo: Int64? = nil, beforeAgo: Int64? = nil,
        until: Int64? = nil
    ) {
        self.within = within
        self.since = since
        self.before = before
        self.sinceAgo = sinceAgo
        self.beforeAgo = beforeAgo
        self.until = until
    }

    /// No bound at all.
    public var isUnbounded: Bool {
        within == nil && since == nil && before == nil && sinceAgo == nil && beforeAgo == nil && until == nil
    }

    /// Whether the window has an upper bound (an absolute or relative `before`, `as of`).
    public var hasEnd: Bool { before != nil || beforeAgo != nil || until != nil }

    /// The inclusive bounds `[lower, upper]` in Unix seconds, given now.
    public func bounds(now: Int64) -> (lower: Int64?, upper: Int64?) {
        var lower = since
        var upper = before.map { $0 - 1 }
        if let within {
            let start = withinMonths.map { Timestamp.monthsBefore(now, $0) } ?? now
            lower = max(lower ?? Int64.min, start - within)
            upper = min(upper ?? Int64.max, now)
        }
        if let sinceAgo { lower = max(lower ?? Int64.min, now - sinceAgo) }
        if let beforeAgo { upper = min(upper ?? Int64.max, now - beforeAgo - 1) }
        if let until { upper = min(upper ?? Int64.max, until) }
        return (lower, upper)
    }
}

/// A bounce type.
public enum BounceType: String, Hashable, Sendable {
    case hard, soft
}

/// Everything that selects the events of one predicate.
public struct EventFilter: Hashable, Sendable {
    public var kind: EventKind
    public var campaigns: CampaignScope
    /// `message: N`.
    public var message: Int64?
    public var window: TimeWindow
    /// `link:` (clicks only), resolved to link ids.
    public var links: LinkScope
    /// Footer links whose clicks are left out (clicks with `footer: false`, the default,
    /// and no `link:`; with `link:` the footer links are already removed from `links`).
    public var excludedLinks: [Int64]
    /// `footer: true`: clicks on footer links count too (clicks only).
    public var includeFooter: Bool
    /// `machine:` (opens only).
    public var machine: Bool?
    /// `type:` (bounces only).
    public var bounce: BounceType?
    /// `reason:` (drops and bounces).
    public var reason: GlobPattern?
    /// `of_last: N`: only events of the N campaigns (in `campaigns`) most recently sent
    /// to the contact, by when it was first sent each; ties: the higher campaign id first.
    public var ofLast: Int64?
    /// `at_least: N`: the count is of distinct campaigns, not of events.
    public var distinctCampaigns: Bool = false
    /// Set by the planner for `at_least` without `of_last` when a rollup answers "had
    /// such an event in that campaign" exactly: the campaigns are counted as the
    /// contact's `activity` rows where this measure is above zero (one row per campaign).
    public var campaignsFromRollup: RollupMeasure?
    /// Set by the planner for a bitmap plan at a fixed now: the campaigns in scope whose
    /// events of this kind all lie inside the window (with `message: 1`, campaigns of one
    /// message), read from their `activity` rows, and the rest read from the events. The
    /// predicate means the same either way; the one-statement forms ignore it.
    public var wholeCampaigns: WholeCampaigns?
    /// Set by the planner for `of_last` in a bitmap plan when the sends of the campaigns
    /// in scope do not overlap in time (the statistics keep each campaign's first and
    /// last send): those campaigns, oldest first. Every contact was then first sent them
    /// in this order, so its last campaigns are read from `activity`'s recipients
    /// without reading the sends in time order. The predicate means the same either way.
    public var sendOrder: [Int64]?

    /// Whether every event this selects `g` selects too, so that a contact's count of
    /// these is never above its count of `g`'s: the same kind, and each of `g`'s filters
    /// absent or the same (its campaigns may be more; `of_last` only here). Neither may
    /// count campaigns (`at_least`).
    public func isWithin(_ g: EventFilter) -> Bool {
        guard kind == g.kind, !distinctCampaigns, !g.distinctCampaigns, g.ofLast == nil,
              g.window.isUnbounded || g.window == window,
              g.message == nil || g.message == message, g.machine == nil || g.machine == machine,
              g.bounce == nil || g.bounce == bounce, g.reason == nil || g.reason == reason,
              kind != .clicked || (g.links == links && g.excludedLinks == excludedLinks && g.includeFooter == includeFooter)
        else { return false }
        switch (campaigns, g.campaigns) {
        case (_, .any): return true
        case (.any, .only): return false
        case (.only(let mine), .only(let theirs)): return Set(mine).isSubset(of: theirs)
        }
    }

    /// Whether the predicate is read only as a set of its own (`of_last`, `at_least`):
    /// no rollup answers it, and no per-contact probe is written for it.
    public var readAsSet: Bool { ofLast != nil || distinctCampaigns }

    public init(
        kind: EventKind, campaigns: CampaignScope = .any, message: Int64? = nil,
        window: TimeWindow = TimeWindow(), links: LinkScope = .any, excludedLinks: [Int64] = [],
        includeFooter: Bool = false, machine: Bool? = nil, bounce: BounceType? = nil, reason: GlobPattern? = nil
    ) {
        self.kind = kind
        self.campaigns = campaigns
        self.message = message
        self.window = window
        self.links = links
        self.excludedLinks = excludedLinks
        self.includeFooter = includeFooter
        self.machine = machine
        self.bounce = bounce
        self.reason = reason
    }
}

/// `count op n` over a contact's matching events. A verb is `>= 1`.
public struct CountTest: Hashable, Sendable {
    public var op: ComparisonOperator
    public var value: Int64

    public init(_ op: ComparisonOperator, _ value: Int64) {
        self.op = op
        self.value = value
    }

    /// "At least one", what a verb means.
    public static let atLeastOne = CountTest(.greaterOrEqual, 1)

    /// Whether a contact with no matching event (count 0) passes.
    public var includesZero: Bool { holds(for: 0) }

    /// The test a contact fails exactly when it passes this one.
    public var negated: CountTest {
        switch op {
        case .equal: CountTest(.notEqual, value)
        case .notEqual: CountTest(.equal, value)
        case .less: CountTest(.greaterOrEqual, value)
        case .lessOrEqual: CountTest(.greater, value)
        case .greater: CountTest(.lessOrEqual, value)
        case .greaterOrEqual: CountTest(.less, value)
        }
    }

    /// The smallest count that passes, or nil when none does.
    var lowest: Int64? {
        switch op {
        case .greaterOrEqual: max(value, 0)
        case .greater: max(value + 1, 0)
        case .equal: value >= 0 ? value : nil
        case .notEqual: value == 0 ? 1 : 0
        case .less: value > 0 ? 0 : nil
        case .lessOrEqual: value >= 0 ? 0 : nil
        }
    }

    /// The largest count that passes, or nil when there is no largest.
    var highest: Int64? {
        switch op {
        case .less: value - 1
        case .lessOrEqual, .equal: value
        case .greaterOrEqual, .greater, .notEqual: nil
        }
    }

    /// Whether this test of a count and `u` of a count never below it can never both
    /// pass: the least this one passes is above the most `u` passes.
    func excludes(larger u: CountTest) -> Bool {
        guard let low = lowest else { return true }
        guard let high = u.highest else { return false }
        return low > high
    }

    /// Whether this test passing implies that `u` of a count never below it passes: `u`
    /// passes every count from some point on, and this one only from there or later.
    func implies(larger u: CountTest) -> Bool {
        guard u.op == .greaterOrEqual || u.op == .greater, let low = lowest, let from = u.lowest else { return false }
        return low >= from
    }

    /// Whether `count` passes.
    public func holds(for count: Int64) -> Bool {
        switch op {
        case .equal: count == value
        case .notEqual: count != value
        case .less: count < value
        case .lessOrEqual: count <= value
        case .greater: count > value
        case .greaterOrEqual: count >= value
        }
    }

    /// Whether no count in `range` passes, and whether every count there does.
    public func passes(in range: ClosedRange<Int64>) -> (none: Bool, all: Bool) {
        let (lo, hi) = (range.lowerBound, range.upperBound)
        switch op {
        case .equal: return (!range.contains(value), lo == value && hi == value)
        case .notEqual: return (lo == value && hi == value, !range.contains(value))
        case .less: return (lo >= value, hi < value)
        case .lessOrEqual: return (lo > value, hi <= value)
        case .greater: return (hi <= value, lo > value)
        case .greaterOrEqual: return (hi < value, lo >= value)
        }
    }

    /// The same set, as the complement of a test that excludes zero, when it has that
    /// form: `clicks < 2` is `not (clicks >= 2)`, `clicks = 0` is `not (clicks >= 1)`.
    public var complementExcludingZero: CountTest? {
        switch op {
        case .less where value >= 1: CountTest(.greaterOrEqual, value)
        case .lessOrEqual: CountTest(.greater, value)
        case .equal where value == 0: CountTest(.greaterOrEqual, 1)
        case .notEqual where value > 0: CountTest(.equal, value)
        default: nil
        }
    }
}

/// A standard contact column.
public enum StandardField: String, CaseIterable, Hashable, Sendable {
    case email, phone, first_name, last_name, created_at
}

/// A literal a field is compared with, already typed.
public enum FieldLiteral: Hashable, Sendable {
    case string(String)
    case number(Double)
    case integer(Int64)
    case boolean(Bool)
    /// An instant (for `created_at`).
    case time(Int64)
}

/// A condition on a field, with literals checked against the field's type.
public enum FieldTest: Hashable, Sendable {
    case compare(ComparisonOperator, FieldLiteral)
    case oneOf([FieldLiteral])
    case matches(GlobPattern)
    case exists
    /// A lower bound (`>`, `>=`) and an upper bound (`<`, `<=`) together: the planner's
    /// form of an `and` of the two on one indexed column (`created_at = "2024-08-05"` is
    /// the day's range), read as one range of its index.
    case between(ComparisonOperator, FieldLiteral, ComparisonOperator, FieldLiteral)
}

/// A contact set, with every name resolved.
public indirect enum BoundQuery: Hashable, Sendable {
    /// Every contact.
    case everyone
    /// No contact.
    case nobody
    case and([BoundQuery])
    case or([BoundQuery])
    case not(BoundQuery)
    /// Contacts whose matching events' count passes the test.
    case events(EventFilter, CountTest)
    /// A condition on a standard column.
    case column(StandardField, FieldTest)
    /// A condition on a custom attribute.
    case attribute(String, FieldTest)
    /// The frozen members of a saved list.
    case list(id: Int64, name: String)
}
