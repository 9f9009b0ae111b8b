// What the binder and planner know about a store: names to resolve and statistics
// to estimate with. The store fills it in (SegStore's `Store.catalog()`); tests build
// one by hand. It is a plain value, so the language library needs no database.

/// A campaign's delivery channel.
public enum Channel: String, CaseIterable, Hashable, Sendable {
    case email, sms
}

/// The store's names and statistics, as the binder and planner see them.
public struct Catalog: Sendable {
    /// A campaign.
    public struct Campaign: Hashable, Sendable {
        public var id: Int64
        public var name: String
        public var channel: Channel
        /// When it was sent (nil for a draft).
        public var sentAt: Int64?
        public var messages: Int64

        public init(id: Int64, name: String, channel: Channel, sentAt: Int64? = nil, messages: Int64 = 1) {
            self.id = id
            self.name = name
            self.channel = channel
            self.sentAt = sentAt
            self.messages = messages
        }
    }

    /// A tracked link of a campaign.
    public struct Link: Hashable, Sendable {
        public var id: Int64
        public var campaignID: Int64
        public var url: String
        /// The URL's path: from the first `/` after the host up to `?` or `#` (`/` if empty).
        public var path: String
        public var footer: Bool

        public init(id: Int64, campaignID: Int64, url: String, path: String, footer: Bool) {
            self.id = id
            self.campaignID = campaignID
            self.url = url
            self.path = path
            self.footer = footer
        }
    }

    /// Events of one kind in one campaign.
    public struct KindStats: Hashable, Sendable {
        /// Number of events.
        public var events: Int64
        /// Distinct contacts with at least one.
        public var contacts: Int64
        /// Earliest and latest event time.
        public var minTs: Int64?
        public var maxTs: Int64?

        public init(events: Int64, contacts: Int64, minTs: Int64? = nil, maxTs: Int64? = nil) {
            self.events = events
            self.contacts = contacts
            self.minTs = minTs
            self.maxTs = maxTs
        }
    }

    /// Campaigns, in id order.
    public var campaigns: [Campaign]
    /// Links, in id order.
    public var links: [Link]
    /// Names of the custom attributes any contact has.
    public var attributes: Set<String>
    /// The types the store holds for each attribute (`string`, `number`, `boolean`);
    /// an attribute missing here is not checked (the binder warns when a comparison's
    /// literal is of no type the attribute holds).
    public var attributeTypes: [String: Set<String>] = [:]
    /// Saved segments: name → canonical query source.
    public var segments: [String: String]
    /// Saved lists: name → list id.
    public var lists: [String: Int64]
    /// Members per saved list id (a list is frozen when saved); a list missing here is
    /// estimated at a fixed share of the contacts.
    public var listSizes: [Int64: Int64] = [:]
    /// Number of contacts.
    public var contactCount: Int64
    /// The campaigns whose sets are kept (`campaign_sets`, schema version 7: every
    /// count of the rollup, kept by the import); a condition on others is read from
    /// `activity`.
    public var campaignSets: Set<Int64> = []
    /// The attributes whose values' sets are kept (`attribute_sets`, schema version 8:
    /// those of few distinct values), with how many values each has; a condition on
    /// another attribute is read from `contact_attributes`.
    public var attributeSets: [String: Int] = [:]
    /// Per campaign id and event kind.
    public var stats: [Int64: [EventKind: KindStats]]
    /// Whether `stats` counts every event there is: a kind missing for a campaign
    /// then has no events, and no contact has more events of a kind in a campaign
    /// than the campaign's events less its other contacts. A store's catalog is (the
    /// import keeps `event_stats` in its transaction); one made by hand need not be,
    /// and the planner then decides nothing from what the statistics leave out.
    public var statsComplete = false
    /// Contacts read whole for the estimates the statistics cannot give (attributes,
    /// contact columns, the per-contact rollup); nil: fixed shares are assumed. The
    /// session reads it only for a query that has such a condition (Store.contactSample).
    public var sample: ContactSample?

    public init(
        campaigns: [Campaign] = [], links: [Link] = [], attributes: Set<String> = [],
        segments: [String: String] = [:], lists: [String: Int64] = [:], contactCount: Int64 = 0,
        stats: [Int64: [EventKind: KindStats]] = [:]
    ) {
        self.campaigns = campaigns
        self.links = links
        self.attributes = attributes
        self.segments = segments
        self.lists = lists
        self.contactCount = contactCount
        self.stats = stats
    }

    /// The campaign with exactly this name.
    public func campaign(named name: String) -> Campaign? {
        campaigns.first { $0.name == name }
    }

    /// The campaign with this id.
    public func campaign(id: Int64) -> Campaign? {
        campaigns.first { $0.id == id }
    }
}
