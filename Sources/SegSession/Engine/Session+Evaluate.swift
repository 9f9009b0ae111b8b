// Running a compiled query: a bitmap plan (the planner's choice) is evaluated in
// memory from its leaves (SetEvaluator); any other plan is its one SQL statement.
// `count`, `show`, a bare query, `.segments` and `explain analyze` go through here;
// `export`, `save list` (and `duplicate campaign`'s list) and saved segments' views run
// the query's one SQL statement (CompiledQuery.sql) instead.

import SegQL
import SegStore

extension Session {
    /// The contacts of a bitmap plan, and how each leaf was read (`fresh`: every leaf
    /// read from the store, none taken from an earlier statement's reads).
    func evaluate(_ program: SetProgram, fresh: Bool = false) throws -> (ContactSet, [SetEvaluator.Read]) {
        var evaluator = try setEvaluator(catalog: loadCatalog())
        if fresh { evaluator.memory = nil }
        let set = try runtime { try evaluator.evaluate(program) }
        return (set, evaluator.reads)
    }

    /// An evaluator on this session's store, sized by `catalog`, with the session's
    /// restricted-read factor.
    func setEvaluator(catalog: Catalog) -> SetEvaluator {
        var evaluator = SetEvaluator(database: store.database, maxID: catalog.contactCount) { [store] in
            try store.contactIDs()
        }
        evaluator.leftFactor = restrictedReadFactor
        evaluator.maxCampaignID = catalog.campaigns.map(\.id).max() ?? 0
        evaluator.cancellation = cancellation
        if reusesReads { evaluator.memory = store }
        let maxID = catalog.contactCount
        evaluator.campaignSets = { [store] in try store.campaignSetsUnion($0, maxID: maxID) }
        evaluator.attributeSets = { [store] in try store.attributeSetsUnion(name: $0, $1, maxID: maxID) }
        return evaluator
    }

    /// How many contacts `c` selects.
    public func count(_ c: CompiledQuery) throws -> Int64 {
        guard let program = c.program else { return try scalarCount(c.sql) }
        return try size(program)
    }

    /// The number of contacts of `p`, without reading every contact id where it can:
    /// one condition whose rows are its contacts is counted by the database in its index
    /// (a million ids cost ~60 ms to read, their count a few ms), and a program that
    /// would start from every contact (`not x`, an `or` with a negated part, `everyone`)
    /// is the contacts' count less its complement's size.
    private func size(_ p: SetProgram) throws -> Int64 {
        if case .leaf(let l) = p, l.distinct, l.reading == .ids, l.access.campaignSets == nil, l.keptSets == nil {
            return try scalarCount(CompiledSQL(sql: "SELECT count(*) FROM (\(l.sql.sql)) s", parameters: l.sql.parameters))
        }
        if Self.startsFromEveryone(p) {
            return try runtime { try store.contactTotal() } - size(Self.complement(p))
        }
        return Int64(try evaluate(p).0.count)
    }

    /// Whether evaluating `p` on its own starts from every contact (SetEvaluator: a
    /// `not` complements within what is left, and only an `and` with a positive part
    /// leaves less than everyone).
    static func startsFromEveryone(_ p: SetProgram) -> Bool {
        switch p {
        case .everyone, .not: true
        case .nobody, .leaf: false
        case .or(let xs): xs.contains(where: startsFromEveryone)
        case .and(let xs): xs.allSatisfy(startsFromEveryone)
        }
    }

    /// The contacts not in `p`, by De Morgan's laws.
    static func complement(_ p: SetProgram) -> SetProgram {
        switch p {
        case .everyone: .nobody
        case .nobody: .everyone
        case .leaf: .not(p)
        case .not(let x): x
        case .and(let xs): .or(xs.map(complement))
        case .or(let xs): .and(xs.map(complement))
        }
    }

    /// The ids of the contacts `c` selects, ascending.
    public func contactIDs(_ c: CompiledQuery) throws -> [Int64] {
        guard let program = c.program else {
            var ids: [Int64] = []
            try runtime { try store.database.stream(c.sql.sql, c.sql.parameters) { ids.append($0.int64(0)) } }
            return ids
        }
        return try evaluate(program).0.ids()
    }

    /// Each contact row of `c` (`contact_id, email, phone, first_name, last_name`), in id
    /// order, at most `limit`. A bitmap plan's rows are read by id when they are few beside
    /// the store's contacts, else by one pass over contacts in id order.
    public func contactRows(_ c: CompiledQuery, limit: Int64?, row: ([SQLValue]) throws -> Void) throws {
        try contactRows(c, limit: limit) { (r: Row) in
            var out: [SQLValue] = []
            out.reserveCapacity(5)
            for i in 0..<r.count { out.append(r.value(i)) }
            try row(out)
        }
    }

    /// The same rows as the database returns them, valid only during the call (a
    /// benchmark counts them without copying their values, as it does a plain query's).
    public func contactRows(_ c: CompiledQuery, limit: Int64?, row: (Row) throws -> Void) throws {
        guard let program = c.program else {
            try runtime { try store.database.stream(c.sql.sql, c.sql.parameters) { try row($0) } }
            return
        }
        let set = try evaluate(program).0
        let db = store.database
        let wanted = limit.map { Int(clamping: max($0, 0)) }
        let ids = set.ids(limit: wanted)
        let contacts = try loadCatalog().contactCount
        try runtime {
            if Int64(ids.count) * 30 < contacts {
                try contactRows(ids: ids, row: row)
            } else {
                var left = ids.count
                guard left > 0 else { return }
                try db.stream(SQLRenderer.contactRows(dialect: db.dialect, byID: false), []) { r in
                    guard left > 0, set.contains(r.int64(0)) else { return }
                    left -= 1
                    try row(r)
                }
            }
        }
    }
}

extension Session {
    /// The contact rows of `ids` (ascending), read by id, one bound list of ids at a time.
    func contactRows(ids: [Int64], row: (Row) throws -> Void) throws {
        let db = store.database
        let sql = SQLRenderer.contactRows(dialect: db.dialect, byID: true)
        for chunk in ids.idChunks() { try db.stream(sql, [db.dialect.idListValue(chunk)]) { try row($0) } }
    }
}
