// Copying a whole SQLite store into a PostgreSQL store, in one transaction.
//
// `segq demo --db postgres://…` builds the demo in a temporary SQLite file (the fast,
// tuned builder) and copies it here, so both backends hold the same rows. Every table
// goes through COPY; the secondary indexes and foreign keys of the large tables are
// dropped first and made again at the end (one sort each instead of millions of B-tree
// inserts), and the identity sequences are moved past the copied ids. A failure rolls
// everything back.
//
// Into a store being replaced (its tables truncated in the copy's transaction) on
// plain PostgreSQL, the COPYs freeze their rows, and the foreign keys are not checked
// again by PostgreSQL: segq checks every reference as the rows stream past (each value
// among those the referenced table was given, or holds), then adds each key `NOT
// VALID` — enforced on every later write, the copied rows having been checked by segq
// (see `ReferenceCheck`). A key one of whose references segq did not find is added as
// before, and PostgreSQL's check fails the copy with its usual message.

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
            // Index builds sort in memory (up to 1 GB for this transaction), with helper
            // processes (PostgreSQL's parallel CREATE INDEX) where the table is large.
            try pg.execute("SET LOCAL maintenance_work_mem = '1GB'")
            try pg.execute("SET LOCAL max_parallel_maintenance_workers = 2")
            // The truncated tables take frozen rows (not on Citus, whose COPY goes to shards).
            let freeze = replacing && !target.isCitus
            var references = freeze ? try ReferenceCheck(pg, tables: tables) : ReferenceCheck()
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
                let checks = references.checks(of: name, columns: columns)
                try loader.copy(into: name, columns: columns, freeze: freeze) { w in
                    try source.query("SELECT \(columns.joined(separator: ", ")) FROM \(name)", []) { row in
                        var next = 0
                        for i in 0..<Int32(columns.count) {
                            let value = row.value(i)
                            while next < checks.count && checks[next].position == i {
                                references.check(value, checks[next])
                                next += 1
                            }
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
                if object.isForeignKey && references.verified(object.name) {
                    try pg.execute(object.create + " NOT VALID")
                    phases.append(("add \(object.label) (NOT VALID: checked by segq)", monotonicSeconds() - started))
                    continue
                }
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

/// The foreign keys of the copied tables, checked by segq as the rows stream past: each
/// single-column key's values must be NULL or among the values of the referenced column
/// — those copied into it before (the tables go parents first) or, for a table the copy
/// does not fill (`event_kinds`), those it holds. A key all of whose values were found
/// is `verified`: adding it `NOT VALID` then leaves no row that breaks it, PostgreSQL
/// enforcing it on every later write. (The source is a segq SQLite store, whose importer
/// writes with `foreign_keys` off: its rows are not taken on trust.)
struct ReferenceCheck {
    /// A key: its constraint, its column and the referenced table and column.
    struct Key {
        var name: String, table: String, column: String, referencedTable: String, referencedColumn: String
    }
    /// A key checked on one table's rows: the column's position and the referenced values.
    struct Check {
        var key: String, position: Int32, values: Int
    }

    var keys: [Key] = []
    /// The referenced columns' values (`table.column` → index into `values`).
    var valueIndex: [String: Int] = [:]
    var values: [IntegerSet] = []
    /// Keys one of whose values was not found.
    var broken: Set<String> = []

    /// No key checked (every key is then added and checked by PostgreSQL).
    init() {}

    /// The single-column foreign keys of `tables` in the current schema whose
    /// referenced table is copied before them or not copied at all.
    init(_ pg: any Database, tables: [(name: String, columns: [String])]) throws {
        let order = Dictionary(uniqueKeysWithValues: tables.enumerated().map { ($1.name, $0) })
        try pg.query("""
            SELECT c.conname, t.relname, a.attname, rt.relname, ra.attname FROM pg_constraint c
            JOIN pg_class t ON t.oid = c.conrelid JOIN pg_namespace n ON n.oid = t.relnamespace
            JOIN pg_class rt ON rt.oid = c.confrelid
            JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
            JOIN pg_attribute ra ON ra.attrelid = c.confrelid AND ra.attnum = c.confkey[1]
            WHERE n.nspname = current_schema() AND c.contype = 'f' AND cardinality(c.conkey) = 1
            ORDER BY c.conname
            """, []) { row in
            keys.append(Key(name: row.text(0), table: row.text(1), column: row.text(2),
                            referencedTable: row.text(3), referencedColumn: row.text(4)))
        }
        keys = keys.filter { key in
            guard let at = order[key.table], let columns = tables.first(where: { $0.name == key.table })?.columns,
                  columns.contains(key.column) else { return false }
            if let referenced = order[key.referencedTable] {
                return referenced < at
                    && tables[referenced].columns.contains(key.referencedColumn)
            }
            return true
        }
        for key in keys where valueIndex["\(key.referencedTable).\(key.referencedColumn)"] == nil {
            valueIndex["\(key.referencedTable).\(key.referencedColumn)"] = values.count
            var set = IntegerSet()
            if order[key.referencedTable] == nil {
                try pg.query("SELECT \(key.referencedColumn) FROM \(key.referencedTable)", []) { row in
                    set.insert(row.value(0))
                }
            }
            values.append(set)
        }
    }

    /// What to do with each row of `table`: the keys it must satisfy, and the referenced
    /// values it gives (as `Check`s whose key is empty), in the order of their columns.
    func checks(of table: String, columns: [String]) -> [Check] {
        var out: [Check] = []
        for key in keys where key.table == table {
            out.append(Check(key: key.name, position: Int32(columns.firstIndex(of: key.column)!),
                             values: valueIndex["\(key.referencedTable).\(key.referencedColumn)"]!))
        }
        for (name, index) in valueIndex {
            let parts = name.split(separator: ".", maxSplits: 1).map(String.init)
            if parts[0] == table, let position = columns.firstIndex(of: parts[1]) {
                out.append(Check(key: "", position: Int32(position), values: index))
            }
        }
        return out.sorted { $0.position < $1.position }
    }

    /// Checks one value of a row against a key, or records it as a referenced value.
    mutating func check(_ value: SQLValue, _ c: Check) {
        if c.key.isEmpty {
            values[c.values].insert(value)
        } else if value != .null, !values[c.values].contains(value) {
            broken.insert(c.key)
        }
    }

    /// Whether every value of the key `name` was found.
    func verified(_ name: String) -> Bool {
        keys.contains { $0.name == name } && !broken.contains(name)
    }
}

/// A set of stored values, integers in a bit set (the ids: dense from 1).
struct IntegerSet {
    var bits: [UInt64] = []
    var others: Set<SQLValue> = []

    static let bitLimit: Int64 = 1 << 32

    mutating func insert(_ value: SQLValue) {
        guard case .integer(let i) = value, i >= 0, i < IntegerSet.bitLimit else {
            others.insert(value)
            return
        }
        let word = Int(i >> 6)
        if word >= bits.count { bits += repeatElement(0, count: max(word + 1 - bits.count, bits.count)) }
        bits[word] |= 1 << UInt64(i & 63)
    }

    func contains(_ value: SQLValue) -> Bool {
        guard case .integer(let i) = value, i >= 0, i < IntegerSet.bitLimit else { return others.contains(value) }
        let word = Int(i >> 6)
        return word < bits.count && bits[word] & (1 << UInt64(i & 63)) != 0
    }
}
