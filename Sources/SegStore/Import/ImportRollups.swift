// Rollup accumulation: the `activity`, `contact_activity` and `event_stats` rows an
// import changes are not updated per event. Each event adds into a delta in memory —
// of its (campaign, contact) pair, and of its (campaign, kind) — and the deltas are
// added into the tables by UPSERTs: the pair deltas in sorted batches of at most
// `ImportOptions.flushThreshold` (and meanwhile, while the writing thread would wait for
// the decoding one), their per-contact sums likewise, the per-kind stats at the end.
// Deltas add up, so writing them early gives the same rollups as writing them late;
// what the threshold bounds is the memory they take. The rollup columns are those of
// `RollupColumns`, in the order `ActivityDelta`'s fields are written.

import SegQL

/// The rollup deltas of the events not yet added into the tables.
struct RollupAccumulator {
    /// Deltas by (campaign, contact), waiting for `Importer.flushActivityRows`.
    var activity: [PairKey: ActivityDelta] = [:]
    /// The pair of the last event and its delta, not yet in `activity`.
    var pair = PairKey(campaign: .min, contact: .min)
    var pairDelta = ActivityDelta()
    /// Per-contact sums of the `activity` deltas already written, waiting for
    /// `Importer.flushContactDeltas`.
    var contactDeltas: [Int64: ActivityDelta] = [:]
    /// Per (campaign, kind): events, earliest and latest time (written at the end).
    var stats: [StatsKey: StatsDelta] = [:]
    /// Campaigns whose derived values (`Importer.updateDerivedValues`) are recomputed at the end.
    var touchedCampaigns: Set<Int64> = []
    /// Campaigns whose clicks are counted again (a link's footer flag changed).
    var clickRecount: Set<Int64> = []
    /// The largest message number seen per campaign, when above 1.
    var maxMessage: [Int64: Int64] = [:]
    /// The campaign of the last event (so `touchedCampaigns` is not hashed per event).
    var lastTouched: Int64 = -1
    /// Rollup deltas worth writing while the writing thread would wait for the decoding one.
    static let rowsWhileWaiting = 20_000

    /// Adds a stored event.
    @inline(__always)
    mutating func add(_ e: EventRecord, campaign: Int64, contact: Int64, footer: Bool) {
        // Events of one contact in one campaign often come together: they add up here,
        // and reach the dictionary when the pair changes.
        let key = PairKey(campaign: campaign, contact: contact)
        if key != pair {
            stashPair()
            pair = key
        }
        pairDelta.add(e.kind, ts: e.ts, machine: e.machine, footer: footer)
        stats[StatsKey(campaign: campaign, kind: Int64(e.kind.rawValue)), default: StatsDelta()].add(e.ts)
        if campaign != lastTouched {
            touchedCampaigns.insert(campaign)
            lastTouched = campaign
        }
        if e.message > 1 {
            maxMessage[campaign] = max(maxMessage[campaign] ?? 1, e.message)
        }
    }

    /// Adds the delta of the current (campaign, contact) pair to `activity`.
    mutating func stashPair() {
        if pairDelta.touched {
            activity[pair, default: ActivityDelta()].merge(pairDelta)
            pairDelta = ActivityDelta()
        }
    }
}

extension Importer {
    /// Brings the values derived from the rollups up to date: the click counts of
    /// campaigns whose footer flags changed, `event_stats`, and the touched campaigns'
    /// contact counts, message count, send time and status.
    func updateDerivedValues() throws {
        for campaign in rollups.clickRecount.sorted() {
            for sql in ActivityDelta.recountClicksSQL + [ActivityDelta.recountContactClicksSQL] {
                try db.execute(sql, [.integer(campaign)])
            }
        }
        for (key, delta) in rollups.stats.sorted(by: { $0.key < $1.key }) {
            try db.execute("""
                INSERT INTO event_stats(campaign_id, kind, events, contacts, min_ts, max_ts)
                VALUES (?1, ?2, ?3, 0, ?4, ?5)
                ON CONFLICT(campaign_id, kind) DO UPDATE SET
                    events = event_stats.events + excluded.events,
                    min_ts = \(PortableSQL.least("event_stats.min_ts", "excluded.min_ts")),
                    max_ts = \(PortableSQL.greatest("event_stats.max_ts", "excluded.max_ts"))
                """, [.integer(key.campaign), .integer(key.kind), .integer(delta.events), .integer(delta.minTS), .integer(delta.maxTS)])
        }
        try checkCancelled()
        // A campaign's messages first: the kept sets of a campaign of more than one are
        // kept per message too.
        for (campaign, m) in rollups.maxMessage.sorted(by: { $0.key < $1.key }) {
            try db.execute("UPDATE campaigns SET messages = \(PortableSQL.greatest("messages", "?2")) WHERE id = ?1", [.integer(campaign), .integer(m)])
        }
        // The kept sets of every campaign whose `activity` rows changed.
        try store.refreshCampaignSets(rollups.touchedCampaigns.union(rollups.clickRecount).sorted())
        // Those of the attributes it wrote (all of them after a merge moved values).
        try store.refreshAttributeSets(touchedAttributes?.sorted())
        try checkCancelled()
        for campaign in rollups.touchedCampaigns.sorted() {
            try recountContacts(campaign: campaign)
            let c = SQLValue.integer(campaign)
            // An undeclared send time is the earliest `sent` event; a send time means sent.
            try db.execute("""
                UPDATE campaigns SET sent_at = (SELECT min_ts FROM event_stats WHERE campaign_id = ?1 AND kind = 1)
                WHERE id = ?1 AND sent_at_declared = 0
                """, [c])
            try db.execute("UPDATE campaigns SET status = 'sent' WHERE id = ?1 AND sent_at IS NOT NULL AND status = 'draft'", [c])
        }
        try checkCancelled()
    }

    /// Writes all the rollup deltas: the `activity` rows and the `contact_activity` rows.
    func flushActivity(_ s: Statements) throws {
        try flushActivityRows(s)
        try flushContactDeltas(s)
    }

    /// Adds the per-contact deltas gathered so far into `contact_activity`.
    func flushContactDeltas(_ s: Statements) throws {
        guard !rollups.contactDeltas.isEmpty else { return }
        if loader != nil {
            try mergeDeltas(into: "contact_activity", key: ["contact_id"]) { w in
                for (contact, d) in rollups.contactDeltas {
                    w.int(contact)
                    try d.write(to: &w)
                }
            }
        } else {
            for contact in rollups.contactDeltas.keys.sorted() {
                guard let d = rollups.contactDeltas[contact] else { continue }
                try s.upsertContactActivity.add { st, b in
                    try st.bind(contact, at: b + 1)
                    try d.bind(to: st, from: b + 2)
                }
            }
            try s.upsertContactActivity.finish()
        }
        rollups.contactDeltas.removeAll(keepingCapacity: true)
        try checkCancelled()
    }

    /// Writes the `activity` deltas gathered so far and adds them to the per-contact
    /// deltas, which wait (a contact's row would otherwise be rewritten at every call)
    /// until they too reach `flushThreshold` contacts or the run ends. The deltas add
    /// up, so writing them early is the same as writing them at the end; what this
    /// buys is memory bounded by the threshold rather than by the run's size.
    func flushActivityRows(_ s: Statements) throws {
        rollups.stashPair()
        guard !rollups.activity.isEmpty else { return }
        try flushContacts()
        rollups.contactDeltas.reserveCapacity(min(rollups.contactDeltas.count + rollups.activity.count / 4, options.flushThreshold))
        if loader != nil {
            try mergeDeltas(into: "activity", key: ["campaign_id", "contact_id"]) { w in
                for (key, d) in rollups.activity {
                    w.int(key.campaign)
                    w.int(key.contact)
                    try d.write(to: &w)
                    rollups.contactDeltas[key.contact, default: ActivityDelta()].merge(d)
                }
            }
        } else {
            // In key order, so the B-tree is written front to back.
            for key in rollups.activity.keys.sorted() {
                guard let d = rollups.activity[key] else { continue }
                try s.upsertActivity.add { st, b in
                    try st.bind(key.campaign, at: b + 1)
                    try st.bind(key.contact, at: b + 2)
                    try d.bind(to: st, from: b + 3)
                }
                rollups.contactDeltas[key.contact, default: ActivityDelta()].merge(d)
            }
            try s.upsertActivity.finish()
        }
        rollups.activity.removeAll(keepingCapacity: true)
        if rollups.contactDeltas.count >= options.flushThreshold { try flushContactDeltas(s) }
    }

    /// Sets `event_stats.contacts` of a campaign from its `activity` rows.
    func recountContacts(campaign: Int64) throws {
        var counts: [Int64] = []
        try db.query("""
            SELECT count(*) FILTER (WHERE sends > 0), count(*) FILTER (WHERE drops > 0),
                   count(*) FILTER (WHERE deliveries > 0), count(*) FILTER (WHERE bounces > 0),
                   count(*) FILTER (WHERE opens > 0), count(*) FILTER (WHERE clicks > 0 OR footer_clicks > 0),
                   count(*) FILTER (WHERE replies > 0), count(*) FILTER (WHERE forwards > 0),
                   count(*) FILTER (WHERE unsubscribes > 0), count(*) FILTER (WHERE complaints > 0)
            FROM activity WHERE campaign_id = ?
            """, [.integer(campaign)]) { row in
            counts = (0..<10).map { row.int64(Int32($0)) }
        }
        for (i, n) in counts.enumerated() {
            try db.execute("UPDATE event_stats SET contacts = ?3 WHERE campaign_id = ?1 AND kind = ?2",
                           [.integer(campaign), .integer(Int64(i + 1)), .integer(n)])
        }
    }
}

struct PairKey: Hashable, Comparable {
    var campaign: Int64
    var contact: Int64
    static func < (a: PairKey, b: PairKey) -> Bool {
        a.campaign != b.campaign ? a.campaign < b.campaign : a.contact < b.contact
    }
}

struct StatsKey: Hashable, Comparable {
    var campaign: Int64
    var kind: Int64
    static func < (a: StatsKey, b: StatsKey) -> Bool {
        a.campaign != b.campaign ? a.campaign < b.campaign : a.kind < b.kind
    }
}

struct StatsDelta {
    var events: Int64 = 0
    var minTS = Int64.max
    var maxTS = Int64.min

    @inline(__always)
    mutating func add(_ ts: Int64) {
        events += 1
        if ts < minTS { minTS = ts }
        if ts > maxTS { maxTS = ts }
    }
}

/// Counts and latest times of one contact in one campaign, as in the `activity` table.
struct ActivityDelta {
    var sends: Int32 = 0, drops: Int32 = 0, deliveries: Int32 = 0, bounces: Int32 = 0
    var opens: Int32 = 0, machineOpens: Int32 = 0, clicks: Int32 = 0, footerClicks: Int32 = 0
    var replies: Int32 = 0, forwards: Int32 = 0, unsubscribes: Int32 = 0, complaints: Int32 = 0
    /// Int64.min means none.
    var lastDelivered = Int64.min, lastOpened = Int64.min, lastClicked = Int64.min
    /// Whether any event was added (a fresh delta changes nothing).
    var touched = false

    /// The rollup columns in the order the fields above are written (RollupColumns).
    static let columns = RollupColumns.names
    /// The count columns, whose deltas are added, and the latest times, of which the
    /// later is kept (NULL: none).
    static let countColumns = RollupColumns.counts.map(\.name)
    static let timeColumns = RollupColumns.lastTimes.map(\.name)
    /// Aggregates over rows of deltas, in `columns`' order, that give what `upsertClause`
    /// gives merging them one after another: the counts summed, the latest of the times.
    static let addedUp = countColumns.map { "sum(\($0))" } + timeColumns.map { "max(\($0))" }

    /// `ON CONFLICT(target) DO UPDATE` on `table` that adds the counts and keeps the
    /// latest times (either may be NULL), in SQL that SQLite and PostgreSQL both accept.
    static func upsertClause(table: String, conflict target: String) -> String {
        """
        ON CONFLICT(\(target)) DO UPDATE SET
        \((countColumns.map { "\($0) = \(table).\($0) + excluded.\($0)" }
           + timeColumns.map { "\($0) = \(PortableSQL.greatest("\(table).\($0)", "excluded.\($0)"))" }).joined(separator: ",\n"))
        """
    }

    /// Recomputes the `contact_activity` rows of the contacts that clicked in campaign ?1
    /// from their `activity` rows.
    static let recountContactClicksSQL = """
        INSERT INTO contact_activity(contact_id, \(columns.joined(separator: ", ")))
        SELECT contact_id, \(addedUp.joined(separator: ", "))
        FROM activity
        WHERE contact_id IN (SELECT contact_id FROM events WHERE campaign_id = ?1 AND kind = 6)
        GROUP BY contact_id
        ON CONFLICT(contact_id) DO UPDATE SET
        \(columns.map { "\($0) = excluded.\($0)" }.joined(separator: ",\n"))
        """

    /// Adds another delta (for another campaign of the same contact).
    mutating func merge(_ o: ActivityDelta) {
        sends += o.sends; drops += o.drops; deliveries += o.deliveries; bounces += o.bounces
        opens += o.opens; machineOpens += o.machineOpens; clicks += o.clicks; footerClicks += o.footerClicks
        replies += o.replies; forwards += o.forwards; unsubscribes += o.unsubscribes; complaints += o.complaints
        lastDelivered = max(lastDelivered, o.lastDelivered)
        lastOpened = max(lastOpened, o.lastOpened)
        lastClicked = max(lastClicked, o.lastClicked)
        touched = touched || o.touched
    }

    /// Recomputes a campaign's click columns from its events (after a footer flag changed).
    static let recountClicksSQL = ["""
        UPDATE activity SET clicks = 0, footer_clicks = 0, last_clicked = NULL
        WHERE campaign_id = ?1 AND (clicks > 0 OR footer_clicks > 0)
        """, """
        INSERT INTO activity(campaign_id, contact_id, clicks, footer_clicks, last_clicked)
        SELECT e.campaign_id, e.contact_id, count(*) FILTER (WHERE coalesce(l.footer, 0) = 0),
               count(*) FILTER (WHERE coalesce(l.footer, 0) = 1),
               max(CASE WHEN coalesce(l.footer, 0) = 0 THEN e.ts END)
        FROM events e LEFT JOIN links l ON l.id = e.link_id
        WHERE e.campaign_id = ?1 AND e.kind = 6
        GROUP BY e.campaign_id, e.contact_id
        ON CONFLICT(campaign_id, contact_id) DO UPDATE SET
            clicks = excluded.clicks, footer_clicks = excluded.footer_clicks, last_clicked = excluded.last_clicked
        """]

    @inline(__always)
    mutating func add(_ kind: EventKind, ts: Int64, machine: Bool, footer: Bool) {
        touched = true
        switch kind {
        case .sent: sends += 1
        case .dropped: drops += 1
        case .delivered:
            deliveries += 1
            if ts > lastDelivered { lastDelivered = ts }
        case .bounced: bounces += 1
        case .opened:
            opens += 1
            if machine { machineOpens += 1 }
            if ts > lastOpened { lastOpened = ts }
        case .clicked:
            if footer {
                footerClicks += 1
            } else {
                clicks += 1
                if ts > lastClicked { lastClicked = ts }
            }
        case .replied: replies += 1
        case .forwarded: forwards += 1
        case .unsubscribed: unsubscribes += 1
        case .complained: complaints += 1
        }
    }

    /// Writes the 15 columns as COPY fields (and ends the row).
    func write(to w: inout CopyWriter) throws {
        for n in [sends, drops, deliveries, bounces, opens, machineOpens, clicks, footerClicks,
                  replies, forwards, unsubscribes, complaints] {
            w.int(Int64(n))
        }
        for t in [lastDelivered, lastOpened, lastClicked] { w.int(t == .min ? nil : t) }
        try w.endRow()
    }

    /// Binds the 15 columns to parameters `from`, `from + 1`, ….
    func bind(to st: PreparedStatement, from i: Int32) throws {
        try st.bind(Int64(sends), at: i)
        try st.bind(Int64(drops), at: i + 1)
        try st.bind(Int64(deliveries), at: i + 2)
        try st.bind(Int64(bounces), at: i + 3)
        try st.bind(Int64(opens), at: i + 4)
        try st.bind(Int64(machineOpens), at: i + 5)
        try st.bind(Int64(clicks), at: i + 6)
        try st.bind(Int64(footerClicks), at: i + 7)
        try st.bind(Int64(replies), at: i + 8)
        try st.bind(Int64(forwards), at: i + 9)
        try st.bind(Int64(unsubscribes), at: i + 10)
        try st.bind(Int64(complaints), at: i + 11)
        try st.bind(lastDelivered == .min ? nil : lastDelivered, at: i + 12)
        try st.bind(lastOpened == .min ? nil : lastOpened, at: i + 13)
        try st.bind(lastClicked == .min ? nil : lastClicked, at: i + 14)
    }
}
