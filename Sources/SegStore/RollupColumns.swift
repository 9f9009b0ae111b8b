// The columns of the rollup tables, `activity` (per contact and campaign) and
// `contact_activity` (per contact), described once: twelve event counts, then the
// latest times of three kinds, each with the events it is computed from. The tables'
// columns (`Schema.rollupColumns`), the rebuild SQL (`Store.rebuildRollups`) and the
// demo builder's inserts are written from this list; `SchemaTests` checks that both
// backends' tables have exactly these columns. The importer's `ActivityDelta.columns`
// is this list; its fields are written in this order (`RollupTests` compares an import
// with the rebuild).

import SegQL

/// The rollup tables' counting and timing columns, in the order they are written.
enum RollupColumns {
    /// A column and the events it is computed from, as a condition on `events e`
    /// LEFT JOIN `links l` (a click is a footer click when its link is one).
    struct Column {
        var column: RollupColumn
        var events: String

        init(_ column: RollupColumn, events: String) {
            self.column = column
            self.events = events
        }

        var name: String { column.name }
    }

    /// How many events of each kind (`count(*)` of the condition).
    static let counts: [Column] = [
        Column(.sends, events: "e.kind = 1"),
        Column(.drops, events: "e.kind = 2"),
        Column(.deliveries, events: "e.kind = 3"),
        Column(.bounces, events: "e.kind = 4"),
        Column(.opens, events: "e.kind = 5"),
        Column(.machineOpens, events: "e.kind = 5 AND e.machine = 1"),
        Column(.clicks, events: "e.kind = 6 AND coalesce(l.footer, 0) = 0"),
        Column(.footerClicks, events: "e.kind = 6 AND coalesce(l.footer, 0) = 1"),
        Column(.replies, events: "e.kind = 7"),
        Column(.forwards, events: "e.kind = 8"),
        Column(.unsubscribes, events: "e.kind = 9"),
        Column(.complaints, events: "e.kind = 10"),
    ]

    /// The latest time of an event of the condition (NULL for none).
    static let lastTimes: [Column] = [
        Column(.lastDelivered, events: "e.kind = 3"),
        Column(.lastOpened, events: "e.kind = 5"),
        Column(.lastClicked, events: "e.kind = 6 AND coalesce(l.footer, 0) = 0"),
    ]

    /// Every column's name: the counts, then the times.
    static let names = (counts + lastTimes).map(\.name)

    /// SQL that recomputes `activity` from `events`.
    static let rebuildActivitySQL = """
        DELETE FROM activity;
        INSERT INTO activity(campaign_id, contact_id, \(names.joined(separator: ", ")))
        SELECT e.campaign_id, e.contact_id,
               \((counts.map { "count(*) FILTER (WHERE \($0.events))" }
                  + lastTimes.map { "max(CASE WHEN \($0.events) THEN e.ts END)" }).joined(separator: ",\n       "))
        FROM events e LEFT JOIN links l ON l.id = e.link_id
        GROUP BY e.campaign_id, e.contact_id;
        """

    /// SQL that recomputes `contact_activity` from `activity` (run after the above).
    static let rebuildContactActivitySQL = """
        DELETE FROM contact_activity;
        INSERT INTO contact_activity(contact_id, \(names.joined(separator: ", ")))
        SELECT contact_id, \((counts.map { "sum(\($0.name))" } + lastTimes.map { "max(\($0.name))" }).joined(separator: ", "))
        FROM activity GROUP BY contact_id;
        """
}
