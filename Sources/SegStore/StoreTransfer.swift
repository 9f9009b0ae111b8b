// Copying a whole SQLite store into a PostgreSQL store, in one transaction.
//
// `segq demo --db postgres://…` builds the demo in a temporary SQLite file (the fast,
// tuned builder) and copies it here, so both backends hold the same rows. Every table
// goes through COPY; the secondary indexes and foreign keys of the large tables are
// dropped first and made again at the end (one sort or one join each instead of
// millions of B-tree inserts and lookups), and the identity sequences are moved past
// the copied ids. A failure rolls everything back.

import SegQL

/// Copies stores between backends.
public enum StoreTransfer {
    /// The tables and columns copied, parents before children. `event_kinds` is created
    /// with its rows by the schema; `store_info` is merged separately.
    static let tables: [(name: String, columns: [String])] = [
        ("contacts", ["id", "email", "phone", "first_name", "last_name", "created_at"]),
        ("contact_attributes", ["contact_id", "name", "type", "value"]),
        ("lists", ["id", "name", "query", "saved_at", "including_suppressed", "suppressed_left_out"]),
        ("list_members", ["list_id", "contact_id"]),
        ("campaigns", ["id", "name", "channel", "subject", "sent_at", "sent_at_declared", "messages", "status",
                       "source_campaign_id", "audience", "audience_list_id", "created_at"]),
        ("links", ["id", "campaign_id", "url", "path", "footer"]),
        ("campaign_sets", ["campaign_id", "measure", "contacts"]),
        ("attribute_sets", ["name", "type", "value", "contacts"]),
        ("events", ["id", "kind", "contact_id", "campaign_id", "message", "ts", "link_id", "bounce", "reason",
                    "machine", "external_id"]),
        ("activity", ["campaign_id", "contact_id"] + ActivityDelta.columns),
        ("contact_activity", ["contact_id"] + ActivityDelta.columns),
        ("event_stats", ["campaign_id", "kind", "events", "contacts", "min_ts", "max_ts"]),
        ("segments", ["id", "name", "query", "view_name", "saved_at"]),
        ("segment_dependencies", ["segment_id", "kind", "name"]),
        ("segment_evaluations", ["id", "segment_id", "evaluated_at", "cause", "members", "joins", "leaves"]),
        ("segment_changes", ["evaluation_id", "contact_id", "joined"]),
        ("segment_members", ["segment_id", "contact_id"]),
    ]

    /// Tables with an identity `id` whose sequence must continue after the copied ids.
    static let identityTables = ["contacts", "lists", "campaigns", "links", "events", "segments", "segment_evaluations"]

    /// Copies every row of `source` into `target`, which must hold no contacts,
    /// campaigns or events unless `replacing` (then everything it holds is deleted in
    /// the same transaction). `progress` is called with each table's name and rows.
    /// Returns how long each table's COPY and each index and key made at the end took.
    @discardableResult
    public static func copy(
        from source: SQLiteDatabase, to target: Store, replacing: Bool = false,
        progress: ((String, Int) -> Void)? = nil, isCancelled: (() -> Bool)? = nil
    ) throws -> [(name: String, seconds: Double)] {
        var phases: [(name: String, seconds: Double)] = []
        let pg = target.database
        guard let loader = pg.bulkLoader else {
            throw DatabaseError(.misuse, message: "a store can be copied only into PostgreSQL")
        }
        try pg.transaction {
            try target.writeShardsSequentially()
            if replacing {
                var views: [String] = []
                try pg.query("SELECT view_name FROM segments", []) { views.append($0.text(0)) }
                for v in views { try pg.execute("DROP VIEW IF EXISTS \(pg.dialect.quoteIdentifier(v))") }
                try pg.execute("TRUNCATE \(tables.map(\.name).joined(separator: ", ")) RESTART IDENTITY CASCADE")
                try pg.execute("DELETE FROM store_info WHERE key NOT IN ('created_by', 'created_at', 'schema_version')")
            }
            for table in ["contacts", "campaigns", "events"] where try pg.int64("SELECT 1 FROM \(table) LIMIT 1") != nil {
                throw DatabaseError(.misuse, message: "\(target.path) already holds \(table)")
            }
            try pg.execute("SET LOCAL maintenance_work_mem = '512MB'")
            // The secondary indexes and unique constraints of the big tables, dropped now and
            // built at the end, and their foreign keys: checked row by row, 22M events queue
            // 88M lookups at the end of the COPY; added back, each is checked by one join.
            // (`contacts`' five — e-mail, phone, names, creation time — made its COPY of 1M
            // rows take half as long as the 22M events'.)
            let dropped = try loader.dropForBulkLoad(
                indexesOf: ["contacts", "events", "activity", "contact_attributes", "contact_activity"],
                uniqueConstraintsOf: ["contacts"],
                foreignKeysOf: ["events", "activity", "contact_activity", "contact_attributes", "list_members"],
                keeping: [])

            for (name, columns) in tables {
                // The columns of an attribute's value and its type, written as JSON text.
                let attribute: (value: Int32, type: Int32)? =
                    name == "contact_attributes" ? (3, 2) : name == "attribute_sets" ? (2, 1) : nil
                var rows = 0
                let started = monotonicSeconds()
                try loader.copy(into: name, columns: columns) { w in
                    try source.query("SELECT \(columns.joined(separator: ", ")) FROM \(name)", []) { row in
                        for i in 0..<Int32(columns.count) {
                            let value = row.value(i)
                            if let attribute, i == attribute.value {
                                guard let stored = AttributeValue(type: row.text(attribute.type), stored: value) else {
                                    throw DatabaseError(.misuse,
                                                        message: "attribute of type '\(row.text(attribute.type))' holds \(value)")
                                }
                                w.text(stored.jsonText)
                            } else {
                                write(value, to: &w)
                            }
                        }
                        try w.endRow()
                        rows += 1
                        if rows % 1_000_000 == 0 {
                            progress?(name, rows)
                            if isCancelled?() == true { throw DatabaseError(.interrupt, message: "interrupted") }
                        }
                    }
                }
                progress?(name, rows)
                if rows > 0 { phases.append(("copy \(name) (\(rows) rows)", monotonicSeconds() - started)) }
            }
            var info: [(String, SQLValue)] = []
            try source.query("SELECT key, value FROM store_info WHERE key NOT IN ('created_by', 'created_at')", []) {
                info.append(($0.text(0), $0.value(1)))
            }
            for (key, value) in info {
                try pg.execute(
                    "INSERT INTO store_info(key, value) VALUES (?1, ?2) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                    [.text(key), .text(value.plainText)])
            }
            for table in identityTables {
                try pg.execute(
                    "SELECT setval(pg_get_serial_sequence('\(table)', 'id'), coalesce(max(id), 0) + 1, false) FROM \(table)")
            }
            for object in dropped {
                progress?(object.label, 0)
                let started = monotonicSeconds()
                try pg.execute(object.create)
                phases.append(((object.isForeignKey ? "add " : "build ") + object.label, monotonicSeconds() - started))
            }
            try SegmentViews.refreshAll(in: target)
        }
        // Planner statistics for the new rows (outside the transaction, like autovacuum).
        let analysed = monotonicSeconds()
        try pg.execute("ANALYZE")
        phases.append(("ANALYZE", monotonicSeconds() - analysed))
        return phases
    }

    static func write(_ value: SQLValue, to w: inout CopyWriter) {
        switch value {
        case .null: w.null()
        case .integer(let i): w.int(i)
        case .real(let d): w.text(String(d))
        case .text(let s): w.text(s)
        }
    }
}
