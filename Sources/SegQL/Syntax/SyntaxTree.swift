// The syntax tree of SegQL: what the parser produces and the binder consumes.
//
// Every node is a value type that carries the UTF-8 byte range of the source it came
// from, so that later stages (the binder, the planner's warnings) can point at it.
// The tree records what was written, not what it means: a bare name is a `Name` until
// the binder decides whether it is a `let` alias, a built-in audience or a field.
// Event verbs, count nouns and argument names are part of the language, not of the
// store, so the parser resolves them to `EventKind` and `ArgumentName` already.

/// A half-open range of UTF-8 byte offsets into a source text.
public struct SourceRange: Hashable, Sendable, CustomStringConvertible {
    /// Offset of the first byte.
    public var start: Int
    /// Offset one past the last byte.
    public var end: Int

    /// Creates a range; `end` must not be before `start`.
    public init(_ start: Int, _ end: Int) {
        self.start = start
        self.end = max(start, end)
    }

    /// The smallest range covering both.
    public func union(_ other: SourceRange) -> SourceRange {
        SourceRange(min(start, other.start), max(end, other.end))
    }

    /// An empty range at `offset` (for "expected …" diagnostics at a position).
    public static func at(_ offset: Int) -> SourceRange { SourceRange(offset, offset) }

    public var description: String { "\(start)..<\(end)" }
}

/// The kinds of campaign event the store records.
///
/// The raw value is the integer code stored in `events.kind` (see docs/schema.md);
/// it is part of the store's public interface and never changes.
public enum EventKind: Int, CaseIterable, Hashable, Sendable {
    case sent = 1
    case dropped = 2
    case delivered = 3
    case bounced = 4
    case opened = 5
    case clicked = 6
    case replied = 7
    case forwarded = 8
    case unsubscribed = 9
    case complained = 10

    /// The boolean form used in queries and in the import format (`opened`).
    public var verb: String {
        switch self {
        case .sent: "sent"
        case .dropped: "dropped"
        case .delivered: "delivered"
        case .bounced: "bounced"
        case .opened: "opened"
        case .clicked: "clicked"
        case .replied: "replied"
        case .forwarded: "forwarded"
        case .unsubscribed: "unsubscribed"
        case .complained: "complained"
        }
    }

    /// The count form used in queries (`opens`).
    public var noun: String {
        switch self {
        case .sent: "sends"
        case .dropped: "drops"
        case .delivered: "deliveries"
        case .bounced: "bounces"
        case .opened: "opens"
        case .clicked: "clicks"
        case .replied: "replies"
        case .forwarded: "forwards"
        case .unsubscribed: "unsubscribes"
        case .complained: "complaints"
        }
    }

    /// The kind named by a verb, including the alias `received` for `delivered`.
    public init?(verb: String) {
        if verb == "received" { self = .delivered; return }
        guard let kind = EventKind.allCases.first(where: { $0.verb == verb }) else { return nil }
        self = kind
    }

    /// The kind named by a count noun.
    public init?(noun: String) {
        guard let kind = EventKind.allCases.first(where: { $0.noun == noun }) else { return nil }
        self = kind
    }

    /// The arguments this kind accepts beyond the common ones.
    public var specificArguments: [ArgumentName] {
        switch self {
        case .dropped: [.reason]
        case .bounced: [.type, .reason]
        case .opened: [.machine]
        case .clicked: [.link, .footer]
        default: []
        }
    }
}

/// The names an event predicate or count accepts as `name: value`.
public enum ArgumentName: String, CaseIterable, Hashable, Sendable {
    case campaign, channel, message, within, since, before, link, footer, type, machine, reason
    /// `of_last: N`: only the N campaigns most recently sent to the contact.
    case ofLast = "of_last"
    /// `at_least: N` (verbs only): at least N distinct campaigns.
    case atLeast = "at_least"

    /// Arguments every event kind accepts (`at_least` only on a verb, which the binder checks).
    public static let common: [ArgumentName] = [.campaign, .channel, .message, .within, .since, .before, .ofLast, .atLeast]
    /// The arguments a built-in audience takes (`inactive(within: 90d)`): the scope and
    /// the window, not `of_last` or `at_least`, which count campaigns of one event kind.
    public static let audience: [ArgumentName] = [.campaign, .channel, .message, .within, .since, .before]
}

/// A comparison operator: `= != < <= > >=`.
public enum ComparisonOperator: String, CaseIterable, Hashable, Sendable {
    case equal = "="
    case notEqual = "!="
    case less = "<"
    case lessOrEqual = "<="
    case greater = ">"
    case greaterOrEqual = ">="
}

/// The unit of a duration literal such as `30d`.
public enum DurationUnit: String, CaseIterable, Hashable, Sendable {
    case minutes = "m"
    case hours = "h"
    case days = "d"
    case weeks = "w"
    /// Calendar months: `6mo` is the same day and time six months earlier (UTC), the
    /// day clamped to the month's last (31 August less 6mo is 28 or 29 February).
    case months = "mo"
    /// Calendar years: `1y` is `12mo`.
    case years = "y"

    /// Seconds in one unit, or nil for the calendar units, whose length varies.
    public var seconds: Int64? {
        switch self {
        case .minutes: 60
        case .hours: 3_600
        case .days: 86_400
        case .weeks: 604_800
        case .months, .years: nil
        }
    }

    /// Calendar months in one unit (nil for the fixed-length units).
    public var months: Int64? {
        switch self {
        case .months: 1
        case .years: 12
        default: nil
        }
    }
}

/// A name as written: an identifier, or a string where the grammar allows one (`NAME`).
public struct Name: Hashable, Sendable {
    /// The name's text (for a string, its decoded value).
    public var text: String
    /// Whether it was written as a string literal.
    public var quoted: Bool
    /// Where it was written.
    public var range: SourceRange

    public init(text: String, quoted: Bool = false, range: SourceRange) {
        self.text = text
        self.quoted = quoted
        self.range = range
    }
}

/// A literal value: an argument's value or the right-hand side of a field condition.
public struct Value: Hashable, Sendable {
    /// What the literal is.
    public indirect enum Kind: Hashable, Sendable {
        /// A string literal, escapes decoded.
        case string(String)
        /// An integer literal.
        case integer(Int64)
        /// A decimal literal such as `2.5`.
        case decimal(Double)
        /// A duration literal such as `30d`.
        case duration(amount: Int64, unit: DurationUnit)
        /// `90d..30d`: from the first duration before now to the second (two `.duration`s).
        case durationRange(Value, Value)
        /// `true` or `false`.
        case boolean(Bool)
        /// A bare word used as a value: `hard`, `soft`, `email`, `sms`.
        case word(String)
        /// `[v1, v2, …]`.
        case list([Value])
    }

    /// The literal.
    public var kind: Kind
    /// Where it was written.
    public var range: SourceRange

    public init(_ kind: Kind, range: SourceRange) {
        self.kind = kind
        self.range = range
    }
}

/// `name: value` inside an event predicate's or count's parentheses.
public struct Argument: Hashable, Sendable {
    /// Which argument.
    public var name: ArgumentName
    /// Where the name was written.
    public var nameRange: SourceRange
    /// Its value.
    public var value: Value

    /// From the name to the end of the value.
    public var range: SourceRange { nameRange.union(value.range) }

    public init(name: ArgumentName, nameRange: SourceRange, value: Value) {
        self.name = name
        self.nameRange = nameRange
        self.value = value
    }
}

/// `opened`, `opened()` or `opened(campaign: "X", within: 30d)`.
public struct EventPredicate: Hashable, Sendable {
    /// The event kind the verb names.
    public var kind: EventKind
    /// The verb as written (`received` stays `received`), and where.
    public var verb: Name
    /// The arguments, in source order.
    public var arguments: [Argument]
    /// The whole predicate.
    public var range: SourceRange

    public init(kind: EventKind, verb: Name, arguments: [Argument], range: SourceRange) {
        self.kind = kind
        self.verb = verb
        self.arguments = arguments
        self.range = range
    }
}

/// `clicks >= 2` or `clicks(link: "/pricing") < 2`.
public struct EventCount: Hashable, Sendable {
    /// The event kind the noun names.
    public var kind: EventKind
    /// The noun as written, and where.
    public var noun: Name
    /// The arguments, in source order (empty when written without parentheses).
    public var arguments: [Argument]
    /// The comparison.
    public var op: ComparisonOperator
    /// Where the operator was written.
    public var opRange: SourceRange
    /// The non-negative integer compared with.
    public var count: Int64
    /// Where the integer was written.
    public var countRange: SourceRange
    /// The whole count condition.
    public var range: SourceRange

    public init(
        kind: EventKind, noun: Name, arguments: [Argument], op: ComparisonOperator,
        opRange: SourceRange, count: Int64, countRange: SourceRange, range: SourceRange
    ) {
        self.kind = kind
        self.noun = noun
        self.arguments = arguments
        self.op = op
        self.opRange = opRange
        self.count = count
        self.countRange = countRange
        self.range = range
    }
}

/// A condition on a contact field: `country = "SE"`, `plan in ["pro", "team"]`,
/// `email matches "*@example.com"`, `age exists`.
public struct FieldCondition: Hashable, Sendable {
    /// What is tested.
    public enum Test: Hashable, Sendable {
        /// `field op value`.
        case compare(ComparisonOperator, Value)
        /// `field in [v1, v2]` (the value is a `.list`).
        case oneOf(Value)
        /// `field matches "glob"`.
        case matches(Value)
        /// `field exists`.
        case exists
    }

    /// The field name as written (resolved by the binder: standard field or attribute).
    public var field: Name
    /// The test.
    public var test: Test
    /// The whole condition.
    public var range: SourceRange

    public init(field: Name, test: Test, range: SourceRange) {
        self.field = field
        self.test = test
        self.range = range
    }
}

// AUDIENCE = "openers" | "clickers" | "active" | "inactive" | "suppressed" ;
/// `inactive(within: 90d)`: a built-in audience whose events are all narrowed by the
/// arguments (the common ones: campaign, channel, message, within, since, before).
public struct AudienceCall: Hashable, Sendable {
    /// The audiences that take arguments, as `BuiltinAudience` spells them.
    public static let names = ["openers", "clickers", "active", "inactive", "suppressed"]

    /// The audience's name as written, and where.
    public var name: Name
    /// The arguments, in source order.
    public var arguments: [Argument]
    /// The whole call.
    public var range: SourceRange

    public init(name: Name, arguments: [Argument], range: SourceRange) {
        self.name = name
        self.arguments = arguments
        self.range = range
    }
}

/// A query: an expression that denotes a set of contacts.
public struct Query: Hashable, Sendable {
    /// The forms a query takes.
    public indirect enum Kind: Hashable, Sendable {
        /// `a or b`: union.
        case or(Query, Query)
        /// `a and b`: intersection.
        case and(Query, Query)
        /// `not a`: complement against every contact.
        case not(Query)
        /// An event predicate.
        case event(EventPredicate)
        /// An event count compared with a number.
        case count(EventCount)
        /// A condition on a contact field.
        case field(FieldCondition)
        /// A bare name: a `let` alias or a built-in audience (`openers`).
        case name(Name)
        /// `segment "name"`.
        case segment(Name)
        /// `list "name"`.
        case list(Name)
        /// A built-in audience with arguments: `inactive(within: 90d)`.
        case audience(AudienceCall)
    }

    /// The form.
    public var kind: Kind
    /// The whole query, including parentheses written around it.
    public var range: SourceRange

    public init(_ kind: Kind, range: SourceRange) {
        self.kind = kind
        self.range = range
    }
}

/// The audience of `duplicate campaign "C" for AUDIENCE`.
public enum Audience: Hashable, Sendable {
    /// A built-in audience, `let` alias, saved segment or saved list, by name.
    case named(Name)
    /// `(QUERY) as "label"`.
    case labeled(Query, label: Name)
    /// `segment NAME`: a saved segment, even where an alias or list has the same name.
    case segment(Name)
    /// `list NAME`: a saved list, even where a segment has the same name.
    case list(Name)
}

/// Which contact `contact …` shows: by id, or by a string — an e-mail address when it
/// holds `@`, else a phone number.
public enum ContactKey: Hashable, Sendable {
    case id(Int64, range: SourceRange)
    case text(String, range: SourceRange)

    /// Where it was written.
    public var range: SourceRange {
        switch self {
        case .id(_, let r), .text(_, let r): r
        }
    }
}

/// One contact, as `why` names it.
public struct ContactReference: Hashable, Sendable {
    /// How the contact is named.
    public enum Key: Hashable, Sendable {
        /// A string with `@`: the e-mail address (compared lower-cased, as stored).
        case email(String)
        /// Any other string: the phone number.
        case phone(String)
        /// An integer: the contact id.
        case id(Int64)
    }

    public var key: Key
    /// Where it was written.
    public var range: SourceRange

    public init(_ key: Key, range: SourceRange) {
        self.key = key
        self.range = range
    }
}

/// A statement: what a script or a REPL line runs.
public struct Statement: Hashable, Sendable {
    /// The statements of the language.
    public enum Kind: Hashable, Sendable {
        /// A bare query.
        case query(Query)
        /// `count QUERY`.
        case count(Query)
        /// `show QUERY [limit N]`.
        case show(Query, limit: Int64?)
        /// `explain [analyze] QUERY`: the plan, and with `analyze` the plan run, each
        /// condition's estimate beside what was read.
        case explain(Query, analyze: Bool)
        /// `let NAME = QUERY`.
        case `let`(Name, Query)
        /// `save [or replace] segment NAME = QUERY`.
        case saveSegment(Name, Query, orReplace: Bool)
        /// `save [or replace] list NAME = QUERY [including suppressed]`.
        case saveList(Name, Query, orReplace: Bool, includingSuppressed: Bool)
        /// `duplicate campaign "C" for AUDIENCE [including suppressed]`.
        case duplicate(campaign: Name, audience: Audience, includingSuppressed: Bool)
        /// `export QUERY to "FILE"`.
        case export(Query, path: Name, orReplace: Bool, includingSuppressed: Bool)
        /// `stats "C" [message N]`.
        case stats(campaign: Name, message: Int64?)
        /// `drop segment NAME`.
        case dropSegment(Name)
        /// `drop list NAME`.
        case dropList(Name)
        /// `use campaign "C"`, or `use campaign none` (nil).
        case useCampaign(Name?)
        /// `why CONTACT in QUERY`: the query's tree with each condition's truth for one contact.
        case why(ContactReference, Query)
        /// `overlap A, B, …`: the pairwise intersections of two or more audiences.
        case overlap([Query])
        /// `reach QUERY`: how many of the audience can be sent to, and why not the rest.
        case reach(Query)
        /// `diff QUERY from "DATE" to "DATE"` (the query as of each moment) or
        /// `diff QUERY to QUERY`: who joined and who left.
        case diff(Query, DiffTarget)
        /// `contact "ana@example.com"`, `contact "+46700000001"` or `contact 42`.
        case contact(ContactKey)
        /// `history segment NAME`: the saved segment's recorded size over time, with the
        /// joins and leaves of each evaluation.
        case history(Name)
    }

    /// What `diff` compares its query with.
    public enum DiffTarget: Hashable, Sendable {
        /// The same query as of two moments.
        case moments(from: Name, to: Name)
        /// Another query.
        case query(Query)
        /// A saved segment's recorded members at two moments (`as recorded`).
        case recorded(from: Name, to: Name)
    }

    /// The statement.
    public var kind: Kind
    /// Its source, without the terminating `;`.
    public var range: SourceRange
    /// `as of "DATE"` (count, show, export): evaluated with only the events up to then.
    public var asOf: Name?
    /// `show … with columns a, b` / `export … with columns a, b`: the columns asked
    /// for, in order (nil: the usual five).
    public var columns: [Name]?

    /// The statement with `as of` set.
    func at(_ asOf: Name?) -> Statement {
        var s = self
        s.asOf = asOf
        return s
    }

    public init(_ kind: Kind, range: SourceRange, asOf: Name? = nil) {
        self.kind = kind
        self.range = range
        self.asOf = asOf
    }
}
