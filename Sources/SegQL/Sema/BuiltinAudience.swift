// The built-in audiences — `everyone`, `openers`, `clickers`, `active`, `inactive`,
// `suppressed` — defined once, as formulas over "at least one such event". The binder
// reads a formula to bind the bare name or a call (`inactive(within: 90d)`), and the
// query expander reads the same formula to spell the audience out under a campaign
// context before a query is saved, so the two cannot disagree.

/// A built-in audience.
public enum BuiltinAudience: String, CaseIterable, Sendable {
    case everyone, openers, clickers, active, inactive, suppressed

    /// The names, in the order help lists them.
    public static let names = allCases.map(\.rawValue)

    /// An audience's meaning: event predicates ("at least one such event", in the
    /// audience's campaigns) combined by and / or / not.
    public indirect enum Formula: Hashable, Sendable {
        case everyone
        /// At least one event of `kind`; `hardBounce`: only hard bounces.
        case event(EventKind, hardBounce: Bool = false)
        case and([Formula])
        case or([Formula])
        case not(Formula)

        /// The formula built bottom-up by the caller's constructors.
        public func fold<T>(
            event: (EventKind, Bool) -> T, everyone: () -> T,
            and: ([T]) -> T, or: ([T]) -> T, not: (T) -> T
        ) -> T {
            func go(_ f: Formula) -> T {
                switch f {
                case .everyone: everyone()
                case .event(let kind, let hard): event(kind, hard)
                case .and(let xs): and(xs.map(go))
                case .or(let xs): or(xs.map(go))
                case .not(let x): not(go(x))
                }
            }
            return go(self)
        }
    }

    /// The audience for email campaigns, or for SMS campaigns (which have no opens:
    /// `active` is a click there, `inactive` delivered and not clicked).
    public func formula(sms: Bool) -> Formula {
        switch self {
        case .everyone: .everyone
        case .openers: .event(.opened)
        case .clickers: .event(.clicked)
        case .active: sms ? .event(.clicked) : .or([.event(.opened), .event(.clicked)])
        case .inactive:
            sms
                ? .and([.event(.delivered), .not(.event(.clicked))])
                : .and([.event(.delivered), .not(.event(.opened)), .not(.event(.clicked))])
        case .suppressed:
            .or([.event(.unsubscribed), .event(.complained), .event(.bounced, hardBounce: true)])
        }
    }

    /// Whether a campaign context scopes it: `everyone` has no events and `suppressed`
    /// counts every campaign.
    public var followsCampaignContext: Bool { self != .everyone && self != .suppressed }
}
