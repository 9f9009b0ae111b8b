// Running a compiled query: a bitmap plan (the planner's choice) is evaluated in
// memory from its leaves (SetEvaluator); any other plan is its one SQL statement.
// Every statement that counts, lists or previews contacts goes through here.

import SegQL
import SegStore

extension Session {
    /// The contacts of a bitmap plan, and how each leaf was read.
    func evaluate(_ program: SetProgram) throws -> (ContactSet, [SetEvaluator.Read]) {
        let catalog = try loadCatalog()
        var evaluator = SetEvaluator(database: store.database, maxID: catalog.contactCount) { [store] in
            try store.contactIDs()
        }
        evaluator.leftFactor = restrictedReadFactor
        let set = try runtime { try evaluator.evaluate(program) }
        return (set, evaluator.reads)
    }

    /// How many contacts `c` selects.
    public func count(_ c: CompiledQuery) throws -> Int64 {
        guard let program = c.program else { return try scalarCount(c.sql) }
        // One condition whose rows are its contacts, or its negation: counted by the
        // database in its index, no id read (a million ids cost ~60 ms to read, their
        // count in the index a few ms).
        func rows(_ l: SetLeaf, less: Bool) throws -> Int64 {
            let n = "(SELECT count(*) FROM (\(l.sql.sql)) s)"
            return try scalarCount(CompiledSQL(
                sql: less ? "SELECT (SELECT count(*) FROM contacts) - \(n)" : "SELECT \(n)", parameters: l.sql.parameters))
        }
        switch program {
        case .leaf(let l) where l.distinct && l.reading == .ids:
            return try rows(l, less: false)
        case .not(.leaf(let l)) where l.distinct && l.reading == .ids:
            return try rows(l, less: true)
        default:
            return Int64(try evaluate(program).0.count)
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
        func values(_ r: Row) -> [SQLValue] {
            var out: [SQLValue] = []
            out.reserveCapacity(5)
            for i in 0..<r.count { out.append(r.value(i)) }
            return out
        }
        guard let program = c.program else {
            try runtime { try store.database.stream(c.sql.sql, c.sql.parameters) { try row(values($0)) } }
            return
        }
        let set = try evaluate(program).0
        let db = store.database
        let wanted = limit.map { Int(clamping: max($0, 0)) }
        let ids = set.ids(limit: wanted)
        let contacts = try loadCatalog().contactCount
        try runtime {
            if Int64(ids.count) * 30 < contacts {
                let sql = SQLRenderer.contactRows(dialect: db.dialect, byID: true)
                var start = 0
                while start < ids.count {
                    let chunk = Array(ids[start..<min(start + 10_000, ids.count)])
                    try db.stream(sql, [db.dialect.idListValue(chunk)]) { try row(values($0)) }
                    start += chunk.count
                }
            } else {
                var left = ids.count
                guard left > 0 else { return }
                try db.stream(SQLRenderer.contactRows(dialect: db.dialect, byID: false), []) { r in
                    guard left > 0, set.contains(r.int64(0)) else { return }
                    left -= 1
                    try row(values(r))
                }
            }
        }
    }
}
