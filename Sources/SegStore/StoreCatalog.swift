import SegQL

extension Store {
    /// What the binder and planner need to know of this store: campaigns, links,
    /// attribute names, saved segments and lists, and the statistics kept by import.
    /// Cheap enough to read before every statement (a few small tables and index seeks),
    /// and on SQLite reused until the store changes.
    public func catalog() throws -> Catalog {
        // On SQLite the catalog read last is reused while nothing has changed since:
        // `PRAGMA data_version` moves when another connection commits, and the
        // connection's own count of changed rows when this one writes (even a write
        // rolled back then reads again). Never inside a transaction, whose writes may
        // yet be rolled back. Reading it costs ~0.25 ms, as much as 0.5% of a 50 ms count.
        guard let key = try database.changeMarkForCaching() else { return try readCatalog() }
        if let cached = cachedCatalog, cached.mark == key { return cached.catalog }
        let fresh = try readCatalog()
        cachedCatalog = (key, fresh)
        return fresh
    }

    /// Every contact id, as a set: the universe that `not` complements. On SQLite reused,
    /// like the catalog, until the store changes (reading a million ids takes ~25 ms).
    public func contactIDs() throws -> ContactSet {
        func read() throws -> ContactSet {
            var set = ContactSet(maxID: try database.int64("SELECT coalesce(max(id), 0) FROM contacts") ?? 0)
            try database.stream("SELECT id FROM contacts", []) { set.insert($0.int64(0)) }
            return set
        }
        guard let key = try database.changeMarkForCaching() else { return try read() }
        if let cached = cachedContacts, cached.mark == key { return cached.contacts }
        let fresh = try read()
        cachedContacts = (key, fresh)
        return fresh
    }

    /// The set of a condition (a bitmap program's leaf) read whole before, if the store
    /// has not changed since: the same condition in the next statement of a script or at
    /// the prompt (`let loyal = opened(of_last: 5, at_least: 3)` counted, then listed,
    /// then saved) is read once. On SQLite only, and only for SQL that does not read the
    /// clock itself (a saved view's form); keyed by the leaf's SQL,
    /// parameters (now among them) and reading, so a condition relative to now is
    /// another key once now has moved.
    public func rememberedSet(of leaf: SetLeaf) throws -> ContactSet? {
        // Inside a transaction too: a set kept outside one is still right while the mark
        // has not moved (this connection has written nothing since, and nobody else can
        // commit while it holds the write lock); sets are only kept outside one.
        guard let cached = cachedLeafSets,
              let mark = try database.currentChangeMark()
        else { return nil }
        guard cached.mark == mark else {
            // Kept through a transaction of this connection: what it writes may be only
            // lists (keepRememberedSets), or rolled back.
            if !database.isInTransaction { cachedLeafSets = nil }
            return nil
        }
        return cached.sets[leaf]
    }

    /// Keeps `set` as the set of `leaf` at the current change mark (see `rememberedSet`),
    /// up to 64 MB of sets in all (then the older ones are forgotten).
    public func remember(_ set: ContactSet, of leaf: SetLeaf) throws {
        guard !leaf.sql.sql.contains("'now'"), let mark = try database.changeMarkForCaching() else { return }
        var cached = cachedLeafSets.flatMap { $0.mark == mark ? $0 : nil } ?? (mark: mark, sets: [:], words: 0)
        let words = set.wordCount
        if cached.words + words > 8 << 20 { cached = (mark: mark, sets: [:], words: 0) }
        cached.sets[leaf] = set
        cached.words += words
        cachedLeafSets = cached
    }

    /// Keeps the remembered sets after a write of this connection that changed only
    /// `tables` (saving a list or a segment changes no event, contact or attribute): the
    /// sets of conditions that read one of those tables are forgotten, the others carry
    /// over to the new change mark. Nothing carries over if another connection has
    /// committed since (its data version moved).
    public func keepRememberedSets(afterWritingOnly tables: [String]) throws {
        guard var cached = cachedLeafSets, let mark = try database.changeMarkForCaching() else { return }
        guard mark.dataVersion == cached.mark.dataVersion else {
            cachedLeafSets = nil
            return
        }
        cached.sets = cached.sets.filter { leaf, _ in !tables.contains { leaf.sql.sql.contains($0) || leaf.restricted.sql.contains($0) } }
        cached.mark = mark
        cachedLeafSets = cached
    }

    /// About `size` contacts spread evenly over the ids, with their columns, attributes
    /// and per-contact rollup row: the planner's sample for the shares the statistics do
    /// not count (ContactSample). Read by primary key (~4 ms for 500 contacts on the
    /// 1M-contact demo store); on SQLite reused until the store changes.
    public func contactSample(size: Int = 500) throws -> ContactSample {
        func read() throws -> ContactSample {
            let db = database
            let maxID = try db.int64("SELECT coalesce(max(id), 0) FROM contacts") ?? 0
            guard maxID > 0 else { return ContactSample(contacts: []) }
            let step = max(1, maxID / Int64(max(size, 1)))
            let ids: [Int64] = Array(stride(from: step, through: maxID, by: Int64.Stride(step)))
            let list = db.dialect.idListValue(ids)
            func member(_ column: String) -> String { db.dialect.idListMembership(column, db.dialect.placeholder(1)) }
            var byID: [Int64: ContactSample.Contact] = [:]
            try db.query("SELECT id, email, phone, first_name, last_name, created_at FROM contacts WHERE \(member("id"))", [list]) { row in
                var columns: [StandardField: FieldLiteral] = [:]
                for (i, f) in [StandardField.email, .phone, .first_name, .last_name].enumerated() where !row.isNull(Int32(i + 1)) {
                    columns[f] = .string(row.text(Int32(i + 1)))
                }
                if !row.isNull(5) { columns[.created_at] = .time(Timestamp.clamped(row.int64(5))) }
                byID[row.int64(0)] = ContactSample.Contact(columns: columns, attributes: [:], activity: [:])
            }
            try db.query("SELECT contact_id, name, type, value FROM contact_attributes WHERE \(member("contact_id"))", [list]) { row in
                let v = row.value(3)
                let number: Double? = switch v {
                case .integer(let i): Double(i)
                case .real(let d): d
                case .text(let t): Double(t)
                case .null: nil
                }
                let value: FieldLiteral? = switch row.text(2) {
                case "string": .string(v.plainText)
                case "boolean": .boolean(number.map { $0 != 0 } ?? (v.plainText == "true"))
                default: number.map(FieldLiteral.number)
                }
                byID[row.int64(0)]?.attributes[row.text(1)] = value
            }
            let columns = RollupColumns.names
            try db.query("SELECT contact_id, \(columns.joined(separator: ", ")) FROM contact_activity WHERE \(member("contact_id"))", [list]) { row in
                var activity: [String: Int64] = [:]
                for (i, c) in columns.enumerated() where !row.isNull(Int32(i + 1)) { activity[c] = row.int64(Int32(i + 1)) }
                byID[row.int64(0)]?.activity = activity
            }
            return ContactSample(contacts: byID.keys.sorted().compactMap { byID[$0] })
        }
        guard let key = try database.changeMarkForCaching() else { return try read() }
        if let cached = cachedSample, cached.mark == key { return cached.sample }
        let fresh = try read()
        cachedSample = (key, fresh)
        return fresh
    }

    private func readCatalog() throws -> Catalog {
        let db = database
        var catalog = Catalog()
        try db.query("SELECT id, name, channel, sent_at, messages FROM campaigns ORDER BY id") { row in
            catalog.campaigns.append(Catalog.Campaign(
                id: row.int64(0), name: row.text(1), channel: SegQL.Channel(rawValue: row.text(2)) ?? .email,
                sentAt: row.isNull(3) ? nil : Timestamp.clamped(row.int64(3)), messages: row.int64(4)))
        }
        try db.query("SELECT id, campaign_id, url, path, footer FROM links ORDER BY id") { row in
            catalog.links.append(Catalog.Link(
                id: row.int64(0), campaignID: row.int64(1), url: row.text(2), path: row.text(3), footer: row.int64(4) != 0))
        }
        // Distinct attribute names by skipping through the (name, type, value, contact_id)
        // index one name at a time: one seek per name, not a scan of every value; then
        // the types each name holds, one seek per name and type. Citus runs a recursive
        // query only on one shard; there each shard's distinct names and types are read
        // and merged.
        try db.query(isCitus ? "SELECT DISTINCT name, type FROM contact_attributes" : """
            WITH RECURSIVE names(name) AS (
                SELECT min(name) FROM contact_attributes
                UNION ALL
                SELECT (SELECT min(name) FROM contact_attributes WHERE name > names.name) FROM names
                WHERE names.name IS NOT NULL
            ),
            types(type) AS (SELECT 'boolean' UNION ALL SELECT 'number' UNION ALL SELECT 'string')
            SELECT n.name, t.type FROM names n CROSS JOIN types t
            WHERE n.name IS NOT NULL
              AND EXISTS (SELECT 1 FROM contact_attributes a WHERE a.name = n.name AND a.type = t.type)
            """) { row in
            catalog.attributes.insert(row.text(0))
            catalog.attributeTypes[row.text(0), default: []].insert(row.text(1))
        }
        try db.query("SELECT name, query FROM segments") { row in
            catalog.segments[row.text(0)] = row.text(1)
        }
        try db.query("SELECT name, id FROM lists") { row in
            catalog.lists[row.text(0)] = row.int64(1)
        }
        // Lists' sizes are not read here: counting every list's members costs as much as
        // a query (87 ms for the 1M demo store's 1.1M members), on every `segq run`.
        // The planner's caller counts the lists a statement names (`withListSizes`).
        // The largest id is an index seek and a close enough count for estimates.
        catalog.contactCount = try db.int64("SELECT coalesce(max(id), 0) FROM contacts") ?? 0
        // The campaigns whose sets are kept (a campaign has all its sets or none).
        try db.query("SELECT DISTINCT campaign_id FROM campaign_sets") { catalog.campaignSets.insert($0.int64(0)) }
        // The attributes whose values' sets are kept (an attribute has all of them or none).
        try db.query("SELECT name, count(*) FROM attribute_sets GROUP BY name") { catalog.attributeSets[$0.text(0)] = Int($0.int64(1)) }
        // Kept by the import in the same transaction as the events (docs/schema.md).
        catalog.statsComplete = true
        try db.query("SELECT campaign_id, kind, events, contacts, min_ts, max_ts FROM event_stats") { row in
            guard let kind = EventKind(rawValue: Int(row.int64(1))) else { return }
            catalog.stats[row.int64(0), default: [:]][kind] = Catalog.KindStats(
                events: row.int64(2), contacts: row.int64(3),
                minTs: row.isNull(4) ? nil : Timestamp.clamped(row.int64(4)), maxTs: row.isNull(5) ? nil : Timestamp.clamped(row.int64(5)))
        }
        return catalog
    }
}

extension Store {
    /// `catalog` with the member counts of the saved lists `ids` (every list when nil)
    /// that it does not have yet, each counted through `list_members`' primary key: what
    /// the planner estimates `in list` from. A list is frozen when saved, so a count
    /// stays true until the store changes, as the catalog does.
    public func withListSizes(_ catalog: Catalog, of ids: Set<Int64>? = nil) throws -> Catalog {
        let wanted = (ids ?? Set(catalog.lists.values)).filter { catalog.listSizes[$0] == nil }
        guard !wanted.isEmpty else { return catalog }
        var counted: [Int64: Int64] = [:]
        for id in wanted.sorted() {
            counted[id] = try database.int64(
                "SELECT count(*) FROM list_members WHERE list_id = \(database.dialect.placeholder(1))", [.integer(id)]) ?? 0
        }
        // Kept with the cached catalog, so the next statement naming the list counts nothing.
        if let key = try database.changeMarkForCaching(), var cached = cachedCatalog, cached.mark == key {
            cached.catalog.listSizes.merge(counted) { _, new in new }
            cachedCatalog = cached
        }
        var out = catalog
        out.listSizes.merge(counted) { _, new in new }
        return out
    }

    /// The string values of attribute `name` that start with `prefix`, most frequent
    /// first, at most `limit` of them: what Tab offers after `plan = "p`. Bounded, so a
    /// Tab stays quick on a large store:
    ///
    /// - how frequent a value is, is counted over a sample — the attribute rows of the
    ///   contacts with the lowest ids, `sampleRows` rows of the table at most (a range of
    ///   its primary key), which import order does not tie to any value;
    /// - on SQLite, the values themselves are read from the value index one distinct
    ///   value at a time (a seek each, `distinctLimit` at most), so a value too rare to
    ///   be in the sample is still offered, after the sampled ones, in value order. (Only
    ///   the first rows of the index would have been the values that sort first: `DE` and
    ///   `DK` before `SE`, the most frequent.) On PostgreSQL, whose values are JSON, the
    ///   sample's values only.
    ///
    /// Values a Tab would show as a mess of escapes (control characters, a quote, a
    /// backslash) are left out.
    public func frequentAttributeValues(_ name: String, prefix: String, limit: Int = 50,
                                        sampleRows: Int = 200_000, distinctLimit: Int = 1_000) throws -> [String] {
        let (sql, params) = database.frequentValuesQuery(
            name, prefix: prefix, limit: limit, sampleRows: sampleRows, distinctLimit: distinctLimit)
        var values: [String] = []
        try database.query(sql, params) { row in
            let v = row.text(0)
            if !v.unicodeScalars.contains(where: { $0.value < 0x20 || $0 == "\"" || $0 == "\\" || $0.value == 0x7F }) { values.append(v) }
        }
        return values
    }
}
