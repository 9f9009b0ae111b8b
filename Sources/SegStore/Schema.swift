// The store's schema, described once: every table, column, index and seed row, as an
// ordered list of schema versions, each the changes it makes to the one before.
//
// Both backends' SQL is rendered from this description (`SchemaRendering.swift`): a
// new store is created from the tables and indexes of the latest version, and a store of
// an older version is brought up to date by rendering the changes of each version it
// lacks. What differs between SQLite and PostgreSQL (column types, identity columns,
// `WITHOUT ROWID`, a step that only one of them needs, where a table lives on Citus) is a
// property of the description that the backend's renderer reads, never a second script. `SchemaTests` checks that a
// store migrated version by version equals a new one on both backends.
//
// The version of a store (`PRAGMA user_version` on SQLite, `store_info.schema_version`
// on PostgreSQL) is the number of versions applied. Versions are append-only: never
// edit one that has shipped, add the next.
//
// The tables are a public interface (other tools read the file directly): every
// table and column is documented in docs/schema.md, which must change with this file.
//
// Conventions: times are integer Unix seconds (UTC); booleans are integer 0/1;
// e-mail addresses are stored lower-cased; event kinds are the integer codes of
// `EventKind` (named in the `event_kinds` table). Table and index names are SegQL's
// `StoreTable` and `StoreIndex`, which the planner reads too.

import SegQL

/// The store's schema: its versions, and what each changes.
public enum Schema {
    /// The version of a store with every version's changes applied.
    public static var version: Int { versions.count }

    /// The changes of each version, in order: `versions[i]` takes a store from version
    /// `i` to `i + 1`.
    static let versions: [[SchemaChange]] = [v1, v2, v3, v4, v5, v6, v7, v8, v9, v10]

    // MARK: Column and table shorthands

    /// The rollup columns (`RollupColumns`) as columns: the counts default to 0, the
    /// latest times are NULL when there is none.
    static let rollupColumns: [Column] =
        RollupColumns.counts.map { Column($0.name, .integer, notNull: true, default: "0") }
        + RollupColumns.lastTimes.map { Column($0.name, .time) }

    static func rollup(_ table: StoreTable, keys: [Column], primaryKey: [String] = []) -> Table {
        Table(table, keys + rollupColumns, primaryKey: primaryKey, citus: .distributed(by: "contact_id"))
    }

    // MARK: Versions

    /// Version 1.
    static let v1: [SchemaChange] = [
        .createTable(Table(.eventKinds, [
            Column("code", .integer, primaryKey: true),
            Column("name", .text, notNull: true, unique: true),
        ])),
        .insertRows(.eventKinds, columns: ["code", "name"],
                    rows: EventKind.allCases.map { "(\($0.rawValue), '\($0.verb)')" }),

        .createTable(Table(.contacts, [
            .id,
            Column("email", .text, unique: true),
            Column("phone", .text, unique: true),
            Column("first_name", .text),
            Column("last_name", .text),
            Column("created_at", .time),
        ], checks: ["email IS NOT NULL OR phone IS NOT NULL"], citus: .distributed(by: "id"))),

        // One row per contact and attribute. `value` keeps what the import saw (on
        // SQLite a column without a declared type keeps each value's storage class: the
        // string "01234" stays text; on PostgreSQL a jsonb value); `type` names its
        // type, so that a boolean true is not the number 1 and comparisons stay strict.
        .createTable(Table(.contactAttributes, [
            Column("contact_id", .id, notNull: true, references: .cascade(.contacts)),
            Column("name", .text, notNull: true),
            Column("type", .text, notNull: true, check: "type IN ('string', 'number', 'boolean')"),
            Column("value", .attributeValue, notNull: true),
        ], primaryKey: ["contact_id", "name"], citus: .distributed(by: "contact_id"))),
        .createIndex(Index(.contactAttributesByValue, on: .contactAttributes, ["name", "value", "contact_id"])),

        .createTable(Table(.lists, [
            .id,
            Column("name", .text, notNull: true, unique: true),
            Column("query", .text, notNull: true),
            Column("saved_at", .time, notNull: true),
            Column("including_suppressed", .integer, notNull: true, default: "0"),
            Column("suppressed_left_out", .integer, notNull: true, default: "0"),
        ])),
        .createTable(Table(.listMembers, [
            Column("list_id", .id, notNull: true, references: .cascade(.lists)),
            Column("contact_id", .id, notNull: true, references: .cascade(.contacts)),
        ], primaryKey: ["list_id", "contact_id"], citus: .distributed(by: "contact_id"))),

        .createTable(Table(.campaigns, [
            .id,
            Column("name", .text, notNull: true, unique: true),
            Column("channel", .text, notNull: true, default: "'email'", check: "channel IN ('email', 'sms')"),
            Column("subject", .text),
            Column("sent_at", .time),
            Column("sent_at_declared", .integer, notNull: true, default: "0"),
            Column("messages", .integer, notNull: true, default: "1", check: "messages >= 1"),
            Column("status", .text, notNull: true, default: "'draft'", check: "status IN ('draft', 'sent')"),
            Column("source_campaign_id", .id, references: .to(.campaigns)),
            Column("audience", .text),
            Column("audience_list_id", .id, references: .to(.lists)),
            Column("created_at", .time, notNull: true),
        ])),

        .createTable(Table(.links, [
            .id,
            Column("campaign_id", .id, notNull: true, references: .cascade(.campaigns)),
            Column("url", .text, notNull: true),
            Column("path", .text, notNull: true),
            Column("footer", .integer, notNull: true, default: "0", check: "footer IN (0, 1)"),
        ], unique: [["campaign_id", "url"]])),
        .createIndex(Index(.linksByPath, on: .links, ["path"])),

        .createTable(Table(.events, [
            .id,
            Column("kind", .integer, notNull: true, references: .to(.eventKinds, "code")),
            Column("contact_id", .id, notNull: true, references: .to(.contacts)),
            Column("campaign_id", .id, notNull: true, references: .to(.campaigns)),
            Column("message", .integer, notNull: true, default: "1"),
            Column("ts", .time, notNull: true),
            Column("link_id", .id, references: .to(.links)),
            Column("bounce", .text, check: "bounce IN ('hard', 'soft')"),
            Column("reason", .text),
            Column("machine", .integer, notNull: true, default: "0", check: "machine IN (0, 1)"),
            Column("external_id", .text),
        ], citus: .distributed(by: "contact_id"))),
        // Access paths of the planner (docs/planner.md): all events of a kind in a
        // campaign; one contact's events of a kind, by time (probes); a kind in a time
        // window; the clicks on a link.
        .createIndex(Index(.eventsByCampaign, on: .events, ["campaign_id", "kind", "contact_id"])),
        .createIndex(Index(.eventsByContact, on: .events, ["contact_id", "kind", "campaign_id", "ts", "link_id", "machine"])),
        .createIndex(Index(.eventsByKindTime, on: .events, ["kind", "ts", "contact_id"])),
        .createIndex(Index(.eventsByLink, on: .events, ["link_id", "contact_id"], where: "link_id IS NOT NULL")),
        .createIndex(Index(.eventsByExternalID, on: .events, ["external_id"], unique: true, where: "external_id IS NOT NULL")),

        // The rollup: one row per campaign and contact that has any event in it, with
        // counts per kind and the latest times the planner uses for recency. Maintained
        // by every import, in the same transaction as the events.
        .createTable(rollup(.activity, keys: [
            Column("campaign_id", .id, notNull: true, references: .to(.campaigns)),
            Column("contact_id", .id, notNull: true, references: .to(.contacts)),
        ], primaryKey: ["campaign_id", "contact_id"])),
        .createIndex(Index(.activityByContact, on: .activity, ["contact_id", "campaign_id"])),
        // The same rollup over all campaigns: one row per contact that has any event.
        // Maintained by every import from `activity`.
        .createTable(rollup(.contactActivity, keys: [
            Column("contact_id", .id, primaryKey: true, references: .to(.contacts)),
        ])),

        // Statistics for the planner: per campaign and kind, the events and the
        // distinct contacts with at least one; maintained by every import.
        .createTable(Table(.eventStats, [
            Column("campaign_id", .id, notNull: true, references: .to(.campaigns)),
            Column("kind", .integer, notNull: true, references: .to(.eventKinds, "code")),
            Column("events", .count, notNull: true),
            Column("contacts", .count, notNull: true),
            Column("min_ts", .time),
            Column("max_ts", .time),
        ], primaryKey: ["campaign_id", "kind"])),

        .createTable(Table(.segments, [
            .id,
            Column("name", .text, notNull: true, unique: true),
            Column("query", .text, notNull: true),
            Column("view_name", .text, notNull: true, unique: true),
            Column("saved_at", .time, notNull: true),
        ])),
        // What each saved segment refers to, so that dropping or renaming it is refused
        // or detected rather than silently changing a segment's meaning.
        .createTable(Table(.segmentDependencies, [
            Column("segment_id", .id, notNull: true, references: .cascade(.segments)),
            Column("kind", .text, notNull: true, check: "kind IN ('segment', 'list', 'campaign')"),
            Column("name", .text, notNull: true),
        ], primaryKey: ["segment_id", "kind", "name"])),

        // The body of a saved segment's view whose query no longer compiles: reading the
        // view fails with the reason. SQLite needs none: its view names a missing table.
        .postgresFunction(name: "segq_broken_segment", sql: """
            CREATE FUNCTION segq_broken_segment(message text)
            RETURNS TABLE(contact_id bigint, email text, phone text, first_name text, last_name text)
            LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION '%', message; END $$
            """),

        // Store-wide facts: key/value pairs (e.g. 'created_by').
        .createTable(Table(.storeInfo, [
            Column("key", .text, primaryKey: true),
            Column("value", .infoValue),
        ])),
    ]

    /// Version 2: `events_by_link` gains the kind, so the contacts who clicked a set of
    /// links are read from the index alone (the planner tests a link condition as
    /// membership of that set, docs/planner.md); and, on SQLite, the rollups' columns in
    /// the order queries read them. SQLite finds a column by walking the record header
    /// up to it, so the counts and times that segment queries test (opens, clicks,
    /// deliveries, the last times) come first; on the 1M-contact demo store this made a
    /// scan of contact_activity 1.4-1.6x faster (docs/benchmarks.md). PostgreSQL finds a
    /// column by a cached offset as long as every column before it is fixed-width and not
    /// null: the version 1 order, with the nullable last times at the end, already keeps
    /// every count reachable that way, so it stays there.
    static let v2: [SchemaChange] = [
        .reorderColumns(.activity, rollupReadingOrder.map(\.name), on: [.sqlite]),
        .reorderColumns(.contactActivity, rollupReadingOrder.map(\.name), on: [.sqlite]),
        .dropIndex(.eventsByLink),
        .createIndex(Index(.eventsByLink, on: .events, ["link_id", "kind", "contact_id"], where: "link_id IS NOT NULL")),
    ]

    /// The rollup columns in the order queries read them (version 2 on SQLite).
    static let rollupReadingOrder: [RollupColumn] = [
        .opens, .clicks, .deliveries, .lastOpened, .lastClicked, .lastDelivered, .machineOpens,
        .footerClicks, .sends, .bounces, .unsubscribes, .complaints, .replies, .forwards, .drops,
    ]

    /// Version 3: narrow indexes that hold a set of contacts in contact order, so the
    /// planner can answer `and`, `or` and `not` over them as one merge (docs/planner.md,
    /// "Merged sets"): a campaign's openers and its clickers (partial indexes over the
    /// non-zero rows of `activity`, with the count, so a campaign's 247k openers are read
    /// in 9 ms instead of its 650k rollup rows in 47 ms), the same over every campaign (of
    /// `contact_activity`: the 185k contacts who clicked, in contact order, instead of
    /// every contact's row), and attribute values with their type (`country = "SE"`
    /// tests the type too; it was read from the table for each row).
    static let v3: [SchemaChange] = [
        .createIndex(Index(.activityOpeners, on: .activity, ["campaign_id", "contact_id", "opens"], where: "opens > 0")),
        .createIndex(Index(.activityClickers, on: .activity, ["campaign_id", "contact_id", "clicks"], where: "clicks > 0")),
        .createIndex(Index(.contactActivityOpeners, on: .contactActivity, ["contact_id", "opens"], where: "opens > 0")),
        .createIndex(Index(.contactActivityClickers, on: .contactActivity, ["contact_id", "clicks"], where: "clicks > 0")),
        .dropIndex(.contactAttributesByValue),
        .createIndex(Index(.contactAttributesByValue, on: .contactAttributes, ["name", "type", "value", "contact_id"])),
    ]

    /// Version 4: the two event indexes that conditions are read from as ranges cover
    /// every column an event condition tests but bounce and reason (rare kinds), with the
    /// time right after kind, so that a condition's rows are exactly one range of one of
    /// them, read from the index alone (docs/planner.md § Bounded sets): a campaign's
    /// events of a kind in a window, or a kind's events in a window over every campaign.
    static let v4: [SchemaChange] = [
        .dropIndex(.eventsByCampaign),
        .createIndex(Index(.eventsByCampaign, on: .events, ["campaign_id", "kind", "ts", "contact_id", "link_id", "message", "machine"])),
        .dropIndex(.eventsByKindTime),
        .createIndex(Index(.eventsByKindTime, on: .events, ["kind", "ts", "contact_id", "campaign_id", "link_id", "message", "machine"])),
    ]

    /// Version 5: the membership history of saved segments (docs/schema.md § Segment
    /// history). Every evaluation of a segment that `save segment` or an import makes is
    /// one row of `segment_evaluations` (its size and how many joined and left, so size
    /// over time is one index range); the contacts who joined or left in it are rows of
    /// `segment_changes`, and `segment_members` holds the members of the latest
    /// evaluation, which the next one is compared with. A contact who stays a member
    /// costs nothing per evaluation. (On Citus the per-contact tables are distributed
    /// by contact, `segment_evaluations` is a reference table: CitusLayout.swift.)
    static let v5: [SchemaChange] = [
        .createTable(Table(.segmentEvaluations, [
            .id,
            Column("segment_id", .id, notNull: true, references: .cascade(.segments)),
            Column("evaluated_at", .time, notNull: true),
            Column("cause", .text, notNull: true, check: "cause IN ('save', 'replace', 'import')"),
            Column("members", .count, notNull: true),
            Column("joins", .count, notNull: true),
            Column("leaves", .count, notNull: true),
        ])),
        .createIndex(Index(.segmentEvaluationsBySegment, on: .segmentEvaluations, ["segment_id", "evaluated_at", "id"])),
        .createTable(Table(.segmentChanges, [
            Column("evaluation_id", .id, notNull: true, references: .cascade(.segmentEvaluations)),
            Column("contact_id", .id, notNull: true, references: .cascade(.contacts)),
            Column("joined", .integer, notNull: true, check: "joined IN (0, 1)"),
        ], primaryKey: ["evaluation_id", "contact_id"], citus: .distributed(by: "contact_id"))),
        .createTable(Table(.segmentMembers, [
            Column("segment_id", .id, notNull: true, references: .cascade(.segments)),
            Column("contact_id", .id, notNull: true, references: .cascade(.contacts)),
        ], primaryKey: ["segment_id", "contact_id"], citus: .distributed(by: "contact_id"))),
    ]

    /// Version 6: the contact columns a condition tests by value, each indexed (with the
    /// contact id, the row id), so that `first_name = "Hanna"`, `last_name in […]` or
    /// `created_at <= …` reads its range instead of every contact (docs/planner.md).
    static let v6: [SchemaChange] = [
        .createIndex(Index(.contactsByFirstName, on: .contacts, ["first_name"])),
        .createIndex(Index(.contactsByLastName, on: .contacts, ["last_name"])),
        .createIndex(Index(.contactsByCreatedAt, on: .contacts, ["created_at"])),
    ]

    /// Version 7: the kept sets (docs/schema.md § campaign_sets, docs/planner.md § Kept
    /// sets). For every campaign and every count of the rollup, the contacts whose count
    /// in `activity` is above zero, as one encoded set (`CampaignSetCoding`): the bitmap
    /// engine reads "delivered in these 16 campaigns" as 16 sets instead of 7M `activity`
    /// rows. Written by the import for the campaigns it touched, by the rollup rebuild,
    /// the demo builder, and when a store is migrated to this version; a campaign has
    /// either all its sets or none (then its conditions are read from `activity`).
    static let v7: [SchemaChange] = [
        .createTable(Table(.campaignSets, [
            Column("campaign_id", .id, notNull: true, references: .cascade(.campaigns)),
            Column("measure", .text, notNull: true),
            Column("contacts", .text, notNull: true),
        ], primaryKey: ["campaign_id", "measure"])),
    ]

    /// Version 8: the kept sets of attribute values (docs/schema.md § attribute_sets,
    /// docs/planner.md § Kept sets). For every attribute of at most
    /// `AttributeSets.maxValues` distinct values, one row per (type, value) with the
    /// contacts that hold it as one encoded set: the bitmap engine reads `age != 62` as
    /// the sets of the values that pass (61 sets) instead of 860k index rows. `value` is
    /// `contact_attributes.value`'s own column, so that a condition's SQL tests these rows
    /// as it tests the attribute's. Written by the import for the attributes it touched,
    /// by the rollup rebuild, the demo builder, and when a store is migrated to this
    /// version; an attribute has all its values' sets or none (then its conditions are
    /// read from `contact_attributes`).
    static let v8: [SchemaChange] = [
        .createTable(Table(.attributeSets, [
            Column("name", .text, notNull: true),
            Column("type", .text, notNull: true),
            Column("value", .attributeValue, notNull: true),
            Column("contacts", .text, notNull: true),
        ])),
    ]

    /// Version 9: the e-mail addresses indexed by domain (`EmailDomain`), with the
    /// address, so that `email matches "*@gmail.com"` reads the range of that domain and
    /// tests the pattern on the index alone instead of reading every address; and each campaign's kept sets gain the people who opened, the contacts
    /// with more opens than machine opens (`human_opens`), and the contacts with a bounce
    /// of each type (`hard_bounces`, `soft_bounces`; docs/schema.md § campaign_sets), so
    /// that `opened(machine: false)` and `bounced(type: hard)` are read as sets like
    /// every other kind (recomputed when a store is migrated to this version).
    static let v9: [SchemaChange] = [
        .createIndex(Index(.contactsByEmailDomain, on: .contacts, [EmailDomain.sql("email"), "email"])),
    ]

    /// Version 10: a campaign of more than one message keeps each message's sets too
    /// (`campaign_sets.measure` "opens#2": the contacts with an open of its message 2;
    /// docs/schema.md § campaign_sets), so that `sent(message: 2)` is a union of sets
    /// instead of every send of the sequences read for its message. No table changes:
    /// the rows are written when a store is migrated to this version.
    static let v10: [SchemaChange] = []

    /// The versions that change no table, only rows the migration to them writes
    /// (`Store.migrate`): 10, the kept sets of each message.
    static let rowsOnly: Set<Int> = [10]
}
