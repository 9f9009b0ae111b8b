// The names of the store's tables and indexes, spelled once.
//
// The store's schema (`Schema` in SegStore, which describes every table, column and
// index and renders each backend's DDL from that description) names its tables and
// indexes with these values, and the planner and the renderer name the tables they
// read and the indexes they choose (`INDEXED BY` on SQLite) with the same values. SegQL
// cannot see SegStore (it is tested without a database), so the names live here.

/// A table of the store (docs/schema.md).
public enum StoreTable: String, CaseIterable, Sendable {
    case eventKinds = "event_kinds"
    case contacts
    case contactAttributes = "contact_attributes"
    case lists
    case listMembers = "list_members"
    case campaigns
    case links
    case events
    /// The rollup per campaign and contact.
    case activity
    /// The rollup per contact, over every campaign.
    case contactActivity = "contact_activity"
    case eventStats = "event_stats"
    case segments
    case segmentDependencies = "segment_dependencies"
    case storeInfo = "store_info"
    case segmentEvaluations = "segment_evaluations"
    case segmentChanges = "segment_changes"
    case segmentMembers = "segment_members"
    /// Per campaign and rollup count, the contacts whose count is above zero, as one
    /// set (schema version 7): what the bitmap engine reads for "had such an event in
    /// these campaigns" instead of the campaigns' `activity` rows.
    case campaignSets = "campaign_sets"
    /// Per attribute of few values, the contacts holding each of its values, as one set
    /// (schema version 8): what the bitmap engine reads for a condition on the attribute
    /// instead of its rows of `contact_attributes`.
    case attributeSets = "attribute_sets"

    /// The name in SQL.
    public var name: String { rawValue }
}

/// An index of the store: the planner's access paths (docs/planner.md) and the
/// importer's look-ups.
public enum StoreIndex: String, CaseIterable, Sendable {
    case contactAttributesByValue = "contact_attributes_by_value"
    case linksByPath = "links_by_path"
    /// A campaign's events of a kind, by time.
    case eventsByCampaign = "events_by_campaign"
    /// One contact's events of a kind (probes).
    case eventsByContact = "events_by_contact"
    /// A kind's events in a time window, over every campaign.
    case eventsByKindTime = "events_by_kind_ts"
    /// The clicks on a link.
    case eventsByLink = "events_by_link"
    case eventsByExternalID = "events_by_external_id"
    case activityByContact = "activity_by_contact"
    /// A campaign's openers (partial: `opens > 0`), in contact order.
    case activityOpeners = "activity_openers"
    /// A campaign's clickers (partial: `clicks > 0`), in contact order.
    case activityClickers = "activity_clickers"
    case contactActivityOpeners = "contact_activity_openers"
    case contactActivityClickers = "contact_activity_clickers"
    case segmentEvaluationsBySegment = "segment_evaluations_by_segment"
    case contactsByFirstName = "contacts_by_first_name"
    case contactsByLastName = "contacts_by_last_name"
    case contactsByCreatedAt = "contacts_by_created_at"
    /// The e-mail addresses by their domain (`EmailDomain`; schema version 9).
    case contactsByEmailDomain = "contacts_by_email_domain"

    /// The name in SQL.
    public var name: String { rawValue }
}

/// A counting or timing column of the rollups `activity` and `contact_activity`, in the
/// order they are written (SegStore's `RollupColumns` says what events each counts).
public enum RollupColumn: String, CaseIterable, Sendable {
    case sends, drops, deliveries, bounces, opens
    case machineOpens = "machine_opens"
    case clicks
    case footerClicks = "footer_clicks"
    case replies, forwards, unsubscribes, complaints
    case lastDelivered = "last_delivered"
    case lastOpened = "last_opened"
    case lastClicked = "last_clicked"

    /// The name in SQL.
    public var name: String { rawValue }

    /// The kind of the events it counts (nil for a latest time).
    public var kind: EventKind? {
        switch self {
        case .sends: .sent
        case .drops: .dropped
        case .deliveries: .delivered
        case .bounces: .bounced
        case .opens, .machineOpens: .opened
        case .clicks, .footerClicks: .clicked
        case .replies: .replied
        case .forwards: .forwarded
        case .unsubscribes: .unsubscribed
        case .complaints: .complained
        case .lastDelivered, .lastOpened, .lastClicked: nil
        }
    }

    /// Whether it counts events (else it is a latest time).
    public var isCount: Bool {
        switch self {
        case .lastDelivered, .lastOpened, .lastClicked: false
        default: true
        }
    }
}

/// The domain of an e-mail address as the index `contacts_by_email_domain` keeps it
/// (schema version 9): what follows its last `@` (the whole address when it has none).
/// A pattern ending in `@` and a domain (`*@gmail.com`, `anna*@example.com`) matches
/// only addresses of that domain, so its condition also tests the domain by equality,
/// which reads that range of the index instead of every address.
public enum EmailDomain {
    /// The domain of `column` in SQL, the same on both backends: `rtrim` with every
    /// character of the address but `@` leaves it up to its last `@`.
    public static func sql(_ column: String) -> String {
        "substr(\(column), length(rtrim(\(column), replace(\(column), '@', ''))) + 1)"
    }

    /// The domain every address that `pattern` matches has: what follows the last `@`
    /// of its last piece, when that piece has one after the pattern's last `*`.
    public static func of(_ pattern: GlobPattern) -> String? {
        guard pattern.pieces.count > 1, let last = pattern.pieces.last, let at = last.lastIndex(of: "@") else { return nil }
        return String(last[last.index(after: at)...])
    }
}
