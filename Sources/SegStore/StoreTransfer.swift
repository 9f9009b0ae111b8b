// Copying a whole SQLite store into a PostgreSQL store, all or nothing.
//
// `segq demo --db postgres://…` builds the demo in a temporary SQLite file (the fast,
// tuned builder) and copies it here, so both backends hold the same rows. Every table
// goes through COPY; the secondary indexes and foreign keys of the large tables are
// made after the rows are in (one sort each instead of millions of B-tree inserts), and
// the identity sequences are moved past the copied ids.
//
// Replacing a store on plain PostgreSQL (what `segq demo` does), the tables are loaded
// over two connections into a staging schema and swapped into the store's schema by one
// short transaction (StoreTransferStaged.swift): a failure, an interrupt or a killed
// segq leaves the store as it was. Elsewhere — on Citus (whose COPYs go to the shards),
// or into a store that is not being replaced — one connection copies in one
// transaction, dropping the indexes and keys inside it and making them again at the
// end; a failure rolls everything back.
//
// The tables being new (staged) or truncated in the copy's transaction, the COPYs freeze
// their rows (not on Citus), and the foreign keys are not checked again by PostgreSQL:
// segq records every reference and every referenced value as the rows stream past, then
// adds each key whose values were all found `NOT VALID` — enforced on every later
// write, the copied rows having been checked by segq (see `ReferenceCheck`). A key one
// of whose references segq did not find is added as before, and PostgreSQL's check fails
// the copy with its usual message.

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
    /// campaigns or events unless `replacing` (then everything it holds is replaced, all
    /// at once). `progress` is called with each table's name and rows, and `isCancelled`
    /// asked every 100,000 rows (and between tables when replacing), both on the
    /// caller's thread only.
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
        // Replacing a store on plain PostgreSQL: two connections through a staging
        // schema (StoreTransferStaged.swift), if the user may create one. Elsewhere, one
        // connection, one transaction.
        if replacing, !target.isCitus, let postgres = pg as? PostgresDatabase, let file = source.file,
           try mayStage(postgres) {
            return try copyStaged(from: source, file: file, to: target, postgres,
                                  progress: progress, isCancelled: isCancelled)
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
                foreignKeysOf: keysCheckedBySegq,
                keeping: [])

            for (name, columns) in tables {
                let started = monotonicSeconds()
                let rows = try copyTable(name, columns, from: source, into: loader, freeze: freeze,
                                         references: &references) { rows in
                    if rows % 1_000_000 == 0 { progress?(name, rows) }
                    if isCancelled?() == true { throw DatabaseError(.interrupt, message: "interrupted") }
                }
                progress?(name, rows)
                if rows > 0 { phases.append(("copy \(name) (\(rows) rows)", monotonicSeconds() - started)) }
            }
            try copyInfo(from: source, to: pg)
            try setIdentities(of: identityTables, in: pg)
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

    /// The tables whose foreign keys segq checks itself and adds `NOT VALID`: the large
    /// ones, where PostgreSQL's check is one join of millions of rows each.
    static let keysCheckedBySegq = ["events", "activity", "contact_activity", "contact_attributes", "list_members"]

    /// Sends every row of `name` in `source` by one COPY, each value of a checked key
    /// recorded in `references`; `tick` is called every 100,000 rows (it may throw to
    /// stop). Returns the rows sent.
    static func copyTable(
        _ name: String, _ columns: [String], from source: SQLiteDatabase, into loader: any BulkLoader, freeze: Bool,
        references: inout ReferenceCheck, tick: (Int) throws -> Void
    ) throws -> Int {
        // The columns of an attribute's value and its type, written as JSON text.
        let attribute: (value: Int32, type: Int32)? =
            name == "contact_attributes" ? (3, 2) : name == "attribute_sets" ? (2, 1) : nil
        var rows = 0
        let checks = references.checks(of: name, columns: columns)
        try loader.copy(into: name, columns: columns, freeze: freeze) { w in
            try source.query("SELECT \(columns.joined(separator: ", ")) FROM \(name)", []) { row in
                var next = 0
                for i in 0..<Int32(columns.count) {
                    let value = row.value(i)
                    while next < checks.count && checks[next].position == i {
                        references.record(value, checks[next])
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
                if rows % 100_000 == 0 { try tick(rows) }
            }
        }
        return rows
    }

    /// The source's `store_info` (but who made the store and when) into the store.
    static func copyInfo(from source: SQLiteDatabase, to pg: any Database) throws {
        var info: [(String, SQLValue)] = []
        try source.query("SELECT key, value FROM store_info WHERE key NOT IN ('created_by', 'created_at')", []) {
            info.append(($0.text(0), $0.value(1)))
        }
        for (key, value) in info {
            try pg.execute(
                "INSERT INTO store_info(key, value) VALUES (?1, ?2) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                [.text(key), .text(value.plainText)])
        }
    }

    /// Moves the identity sequences of `tables` past their copied ids.
    static func setIdentities(of tables: [String], in pg: any Database) throws {
        for table in tables {
            try pg.execute(
                "SELECT setval(pg_get_serial_sequence('\(table)', 'id'), coalesce(max(id), 0) + 1, false) FROM \(table)")
        }
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

/// The foreign keys of the copied tables, checked by segq as the rows stream past: the
/// values of each single-column key's column and those of the referenced column are
/// recorded — the values copied into it or, for a table the copy does not fill
/// (`event_kinds`), those it holds — and a key every value of which (NULL aside) is
/// among the referenced ones is `verified`: adding it `NOT VALID` then leaves no row
/// that breaks it, PostgreSQL enforcing it on every later write. The tables may be
/// copied in any order and over several connections, each with its own copy of the
/// check (`merge` adds them up). (The source is a segq SQLite store, whose importer
/// writes with `foreign_keys` off: its rows are not taken on trust.)
struct ReferenceCheck: Sendable {
    /// A key: its constraint, its column and the referenced table and column.
    struct Key: Sendable {
        var name: String, table: String, column: String, referencedTable: String, referencedColumn: String
    }
    /// What to record of one column of a table's rows: the values of a key (`key`, an
    /// index into `keys`) or, with `key` nil, values referenced by keys (`values`, an
    /// index into `values`).
    struct Check {
        var key: Int?
        var position: Int32
        var values: Int
    }

    var keys: [Key] = []
    /// The referenced columns' values (`table.column` → index into `values`).
    var valueIndex: [String: Int] = [:]
    var values: [IntegerSet] = []
    /// The values of each key's column, as `keys`.
    var seen: [IntegerSet] = []

    /// No key checked (every key is then added and checked by PostgreSQL).
    init() {}

    /// The single-column foreign keys of `tables` in the current schema whose
    /// referenced column is copied too, or is in a table the copy does not fill.
    init(_ pg: any Database, tables: [(name: String, columns: [String])]) throws {
        let copied = Dictionary(uniqueKeysWithValues: tables.map { ($0.name, $0.columns) })
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
            guard copied[key.table]?.contains(key.column) == true else { return false }
            return copied[key.referencedTable].map { $0.contains(key.referencedColumn) } ?? true
        }
        seen = Array(repeating: IntegerSet(), count: keys.count)
        for key in keys where valueIndex["\(key.referencedTable).\(key.referencedColumn)"] == nil {
            valueIndex["\(key.referencedTable).\(key.referencedColumn)"] = values.count
            var set = IntegerSet()
            if copied[key.referencedTable] == nil {
                try pg.query("SELECT \(key.referencedColumn) FROM \(key.referencedTable)", []) { row in
                    set.insert(row.value(0))
                }
            }
            values.append(set)
        }
    }

    /// What to record of each row of `table`: the values of the keys of its columns,
    /// and the values of its columns that keys refer to, in the order of its columns.
    func checks(of table: String, columns: [String]) -> [Check] {
        var out: [Check] = []
        for (k, key) in keys.enumerated() where key.table == table {
            guard let position = columns.firstIndex(of: key.column),
                  let values = valueIndex["\(key.referencedTable).\(key.referencedColumn)"] else { continue }
            out.append(Check(key: k, position: Int32(position), values: values))
        }
        for (name, index) in valueIndex {
            let parts = name.split(separator: ".", maxSplits: 1).map(String.init)
            if parts[0] == table, let position = columns.firstIndex(of: parts[1]) {
                out.append(Check(key: nil, position: Int32(position), values: index))
            }
        }
        return out.sorted { $0.position < $1.position }
    }

    /// Records one value of a row for `c`.
    mutating func record(_ value: SQLValue, _ c: Check) {
        if let k = c.key {
            if value != .null { seen[k].insert(value) }
        } else {
            values[c.values].insert(value)
        }
    }

    /// Adds what `other` (a copy of the same check, made before any row) recorded.
    mutating func merge(_ other: ReferenceCheck) {
        for i in values.indices { values[i].formUnion(other.values[i]) }
        for i in seen.indices { seen[i].formUnion(other.seen[i]) }
    }

    /// Whether every value of the key `name` is among the values of the column it refers to.
    func verified(_ name: String) -> Bool {
        guard let k = keys.firstIndex(where: { $0.name == name }),
              let values = valueIndex["\(keys[k].referencedTable).\(keys[k].referencedColumn)"] else { return false }
        return seen[k].isSubset(of: self.values[values])
    }
}

/// A set of stored values, integers in a bit set (the ids: dense from 1).
struct IntegerSet: Sendable {
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

    mutating func formUnion(_ other: IntegerSet) {
        if other.bits.count > bits.count { bits += repeatElement(0, count: other.bits.count - bits.count) }
        for (i, word) in other.bits.enumerated() { bits[i] |= word }
        others.formUnion(other.others)
    }

    func isSubset(of other: IntegerSet) -> Bool {
        for (i, word) in bits.enumerated() where word != 0 {
            if i >= other.bits.count || word & ~other.bits[i] != 0 { return false }
        }
        return others.isSubset(of: other.others)
    }
}
