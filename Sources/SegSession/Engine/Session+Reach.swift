// Reach: how many of an audience a campaign can actually be sent to, and why the rest
// cannot. Every `count` at the REPL prompt adds it; `reach QUERY` prints it anywhere.
//
// The audience is evaluated once by the set engine (its plan forced to bitmaps); each
// reason — unsubscribed, complained, hard-bounced, no address for the channel, and for
// e-mail the openers and those whose every open was a machine's — is then one more
// program evaluated by the same SetEvaluator *within* the audience's set, so each
// reason costs one read of its own (small) range, or of only the audience's contacts
// when they are far fewer, and one set operation: never a scan per contact.

import SegQL
import SegStore

/// The reach of an audience on one channel.
public struct Reach: Sendable, Equatable {
    public var channel: SegQL.Channel
    public var audience: Int
    /// Not suppressed for any reason below.
    public var reachable: Int
    public var unsubscribed: Int
    public var complained: Int
    public var hardBounced: Int
    /// Without an e-mail address (email) or a phone number (sms).
    public var noAddress: Int
    /// E-mail only (SMS has no open tracking): members who opened (under the campaign
    /// context, that campaign), and those of them with no open by a person.
    public var openers: Int?
    public var machineOnlyOpeners: Int?

    public var suppressed: Int { audience - reachable }
}

extension Session {
    /// The channel reach is measured on: the campaign context's, else e-mail.
    func reachChannel() throws -> SegQL.Channel {
        guard let name = campaignContext, let c = try loadCatalog().campaign(named: name) else { return .email }
        return c.channel
    }

    /// The reach of `q`.
    public func reach(_ q: Query, in file: SourceFile) throws -> Reach {
        let saved = strategy
        strategy = .bitmaps
        defer { strategy = saved }
        let compiled = try compile(q, projection: .count, in: file)
        return try reach(of: compiled)
    }

    /// The reach of a compiled query: its set, then each reason within it.
    func reach(of compiled: CompiledQuery) throws -> Reach {
        let catalog = try loadCatalog()
        let channel = try reachChannel()
        let dialect = store.database.dialect
        let options = PlannerOptions(now: .fixed(now), strategy: .bitmaps, useRollups: useRollups, useKeptSets: useKeptSets)
        func program(_ b: BoundQuery) -> SetProgram {
            SQLRenderer.program(Planner.plan(b, catalog: catalog, options: options), dialect: dialect)
        }
        var evaluator = setEvaluator(catalog: catalog)
        return try runtime {
            let audience: ContactSet
            if let p = compiled.program {
                audience = try evaluator.evaluate(p)
            } else {
                audience = ContactSet(try contactIDs(compiled), maxID: catalog.contactCount)
            }
            func within(_ p: SetProgram) throws -> ContactSet { try evaluator.evaluate(p, within: audience) }
            let unsubscribed = try within(program(.events(EventFilter(kind: .unsubscribed), .atLeastOne)))
            let complained = try within(program(.events(EventFilter(kind: .complained), .atLeastOne)))
            let bounced = try within(program(.events(EventFilter(kind: .bounced, bounce: .hard), .atLeastOne)))
            let noAddress = try within(.leaf(SQLRenderer.noAddressLeaf(channel, dialect: dialect, contacts: catalog.contactCount)))
            var reachable = audience
            for s in [unsubscribed, complained, bounced, noAddress] { reachable.subtract(s) }
            var r = Reach(
                channel: channel, audience: audience.count, reachable: reachable.count, unsubscribed: unsubscribed.count,
                complained: complained.count, hardBounced: bounced.count, noAddress: noAddress.count)
            if channel == .email {
                // `opened` as the context scopes it: that campaign's openers, else anyone's.
                let scope: CampaignScope = campaignContext.flatMap { catalog.campaign(named: $0) }.map { .only([$0.id]) } ?? .any
                let opened = try within(program(.events(EventFilter(kind: .opened, campaigns: scope), .atLeastOne)))
                var byPerson = try within(program(.events(EventFilter(kind: .opened, campaigns: scope, machine: false), .atLeastOne)))
                var machineOnly = opened
                byPerson.formIntersection(opened)
                machineOnly.subtract(byPerson)
                r.openers = opened.count
                r.machineOnlyOpeners = machineOnly.count
            }
            return r
        }
    }
}

/// Renders reach as the REPL's note under a count, and as a row.
enum ReachRenderer {
    static func note(_ r: Reach) -> String {
        let verb = r.channel == .email ? "mailable" : "textable"
        let address = r.channel == .email ? "no e-mail address" : "no phone number"
        var out = "\(r.reachable) \(verb) by \(r.channel.rawValue)"
        if r.suppressed > 0 {
            let reasons = [(r.unsubscribed, "unsubscribed"), (r.complained, "complained"), (r.hardBounced, "hard-bounced"), (r.noAddress, address)]
                .filter { $0.0 > 0 }.map { "\($0.0) \($0.1)" }
            out += ", \(r.suppressed) not: " + reasons.joined(separator: ", ")
        }
        if let openers = r.openers, let machine = r.machineOnlyOpeners {
            out += "\n\(openers) opener\(openers == 1 ? "" : "s"), \(machine) of them machine-only (every open by a privacy proxy)"
        }
        return out
    }

    static let columns = [
        "audience", "channel", "reachable", "suppressed", "unsubscribed", "complained", "hard_bounced", "no_address",
        "openers", "machine_only_openers",
    ]

    static func row(_ r: Reach) -> [SQLValue] {
        [
            .integer(Int64(r.audience)), .text(r.channel.rawValue), .integer(Int64(r.reachable)), .integer(Int64(r.suppressed)),
            .integer(Int64(r.unsubscribed)), .integer(Int64(r.complained)), .integer(Int64(r.hardBounced)),
            .integer(Int64(r.noAddress)), r.openers.map { .integer(Int64($0)) } ?? .null,
            r.machineOnlyOpeners.map { .integer(Int64($0)) } ?? .null,
        ]
    }
}
