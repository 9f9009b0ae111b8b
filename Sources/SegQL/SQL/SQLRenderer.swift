// The SQL renderer: the only code that writes SQL text for queries.
//
// It walks a logical plan and writes one SELECT, collecting every value derived
// from the query (campaign and link ids, counts, times, strings) as a bound
// parameter as it goes, the way GRDB's SQLGenerationContext does. Table and column
// names, event-kind codes and the `> 0` of a partial index's condition are the
// store's schema, not user input, and are written as text. For a saved segment's
// view the renderer inlines the values instead, quoted by the dialect, and measures
// `within` from the time the view is read.
//
// Every condition it writes is two-valued (never NULL), so `NOT` is exactly the
// complement: a contact without a field or without events fails a positive test and
// passes its negation.
//
// One file, though long: it is the only code that writes a query's SQL, and the shapes
// it writes lean on one another (a driver's candidates feed the probes, the set
// program's leaves reuse the atoms' conditions), so each is kept where it can be read
// beside the others; it is being reworked with the planner (#15).

/// SQL text and the values bound to its parameters, in order.
public struct CompiledSQL: Hashable, Sendable {
    public var sql: String
    public var parameters: [SQLValue]

    public init(sql: String, parameters: [SQLValue]) {
        self.sql = sql
        self.parameters = parameters
    }
}

/// What the statement returns.
public enum Projection: Hashable, Sendable {
    /// `contact_id, email, phone, first_name, last_name`, ordered by contact id.
    case contacts(limit: Int64?)
    /// One row, one column: the number of contacts.
    case count
    /// `contact_id` only, ordered.
    case contactIDs
}

/// What differs between SQL databases.
public protocol SQLDialect: Sendable {
    /// A short name (`sqlite`).
    var name: String { get }
    /// The placeholder for the `index`-th parameter (1-based).
    func placeholder(_ index: Int) -> String
    /// An expression for the current Unix time in whole seconds.
    var nowExpression: String { get }
    /// An expression for the Unix time `placeholder` (an integer ≥ 0) calendar months
    /// before now, in UTC, the day clamped to the month's last (`Timestamp.monthsBefore`).
    func monthsBeforeNow(_ placeholder: String) -> String
    /// A value written inline (for views), with the database's own quoting.
    func literal(_ value: SQLValue) -> String
    /// A condition that `column` matches a `*` glob, case-sensitively.
    func globMatch(_ column: String, _ pattern: String) -> String
    /// The text of a glob pattern as this dialect's operator wants it.
    func globPattern(_ pattern: GlobPattern) -> String
    /// An identifier, quoted.
    func quoteIdentifier(_ name: String) -> String
    /// Written after `contacts c` so that a scan of contacts reads the table in id
    /// order (SQLite: `NOT INDEXED`; rowid lookups stay allowed), or "".
    var contactsScanHint: String { get }
    /// A condition that always holds (`1`) and one that never does (`0`).
    var trueCondition: String { get }
    var falseCondition: String { get }
    /// The stored attribute value `column` as a value of `type` (`string`, `number`,
    /// `boolean`) to compare with a literal of that type; the row's `type` is tested too.
    func attributeValue(_ column: String, type: String) -> String
    /// Whether a condition the planner reads as a set (`Plan.setProbes`) is written
    /// `id [NOT] IN (set)`, which SQLite reads once into an index; otherwise it is
    /// written as the correlated `[NOT] EXISTS`, which PostgreSQL turns into a hashed
    /// semi- or anti-join by itself (its `NOT IN (subquery)` is hashed only while the
    /// set fits in `work_mem`, and is then a scan of the set per row).
    var writesSetProbesAsIN: Bool { get }
    /// Whether a flat chain of `INTERSECT` / `UNION` / `EXCEPT` under an `ORDER BY`
    /// is read as a merge of its arms, each in contact order (SQLite: the operators
    /// have equal precedence and associate left, and the ordered compound is a merge).
    /// Otherwise each set is a nested subquery, which any SQL reads the same way.
    var mergesCompoundChains: Bool { get }
    /// Whether the store's per-contact tables are distributed by contact id (Citus),
    /// so that a combination of sets must be written as what runs on each shard by
    /// itself: semi-joins (`c.id IN (set)`), correlated anti-joins (`NOT EXISTS`) and
    /// `UNION`s on the contact id. Citus plans `INTERSECT`, `EXCEPT`, `NOT IN (set)` and
    /// `IN (set)` under an `OR` on the coordinator instead, from every shard's rows
    /// gathered there (docs/scaling.md § What segq does on Citus).
    var distributedByContact: Bool { get }
    /// Written after a table's alias to read it through `index` and no other (SQLite:
    /// ` INDEXED BY index`, which it never second-guesses), or "" where the database
    /// chooses well by itself from its own statistics (PostgreSQL).
    func indexHint(_ index: String) -> String
    /// A condition that `column` is one of the contact ids bound, as one value, to
    /// `placeholder` (`idListValue`): how the bitmap evaluator reads a range for the
    /// contacts it has left only.
    func idListMembership(_ column: String, _ placeholder: String) -> String
    /// Contact ids as the one value `idListMembership` reads.
    func idListValue(_ ids: [Int64]) -> SQLValue
    /// A condition that `value` (an expression of the attribute type `type`: string,
    /// number or boolean) is one of the values bound, as one list, to `placeholder`
    /// (`valueListValue`): how `field in [...]` reads a long list, with no limit on
    /// the number of values and no statement text that grows with it.
    func valueListMembership(_ value: String, _ placeholder: String, type: String) -> String
    /// Text, integer and real values as the one value `valueListMembership` reads.
    func valueListValue(_ values: [SQLValue]) -> SQLValue
}

extension SQLDialect {
    /// Double quotes, inner ones doubled: SQLite's and PostgreSQL's (and standard SQL's) way.
    public func quoteIdentifier(_ name: String) -> String {
        "\"" + name.split(separator: "\"", omittingEmptySubsequences: false).joined(separator: "\"\"") + "\""
    }
    public var trueCondition: String { "1" }
    public var falseCondition: String { "0" }
    public func attributeValue(_ column: String, type: String) -> String { column }
    public var writesSetProbesAsIN: Bool { true }
    public var mergesCompoundChains: Bool { true }
    public var distributedByContact: Bool { false }
    public func indexHint(_ index: String) -> String { "" }
}

/// Renders plans to SQL for one dialect.
public struct SQLRenderer {
    private let dialect: any SQLDialect
    private let inline: Bool
    private var parameters: [SQLValue] = []
    private var plan: Plan
    /// The contact id the probes are correlated with: `c.id`, or a driving set's
    /// `s.contact_id` when a branch's rest is tested inside its set.
    private var contactID = "c.id"
    /// Whether the condition being written sits under an odd number of `NOT`s. A rollup's
    /// last time is NULL for a contact without such events; under no `NOT`, `col >= ?`
    /// alone is exact (NULL is not true), under one it needs `col IS NOT NULL AND`.
    private var negated = false
    /// Whether the statement reads `contact_activity` as its first table (every row
    /// there exists, so its counts need no `coalesce`), not through a LEFT JOIN.
    private var contactActivityRowExists = false

    /// Renders `plan` returning `projection`. With `inlineLiterals` (saved views) values
    /// are written into the text and `within` is measured when the SQL is read.
    public static func render(
        _ plan: Plan, projection: Projection, dialect: any SQLDialect, inlineLiterals: Bool = false
    ) -> CompiledSQL {
        var r = SQLRenderer(dialect: dialect, inline: inlineLiterals, plan: plan)
        if inlineLiterals { r.plan.now = .readTime }
        // A bitmap plan as one statement (a saved view): the same sets, combined
        // by the database.
        if plan.strategy == .bitmaps { r.plan.strategy = .setOperations }
        let sql = r.statement(projection)
        return CompiledSQL(sql: sql, parameters: r.parameters)
    }

    /// The rows of contacts read once their set is known (a bitmap plan): every contact
    /// in id order, or (`byID`) those whose ids are bound as the one parameter, written by
    /// the dialect's `idListValue`.
    public static func contactRows(dialect: any SQLDialect, byID: Bool) -> String {
        let columns = "SELECT c.id AS contact_id, c.email, c.phone, c.first_name, c.last_name FROM \(From.contacts)"
        let filter = byID ? " WHERE " + dialect.idListMembership("c.id", dialect.placeholder(1)) : ""
        return columns + filter + " ORDER BY c.id"
    }

    /// The bitmap program of `plan` (Strategy.bitmaps): each positive atom one leaf, read
    /// from the range the planner chose for it; a zero-including atom is the complement
    /// of its positive complement. Every leaf has its own parameters.
    public static func program(_ plan: Plan, dialect: any SQLDialect) -> SetProgram {
        var r = SQLRenderer(dialect: dialect, inline: false, plan: plan)
        return r.program(plan.filter)
    }

    /// For `why`: one contact's events that an event condition counts — its id bound as
    /// the last parameter — with `ts`, the campaign's name, `kind`, the link's URL,
    /// `reason`, `bounce` and `machine`, in time order. The conditions are the ones every
    /// plan uses (`eventConditions`).
    public static func contactEvents(_ f: EventFilter, now: Int64, dialect: any SQLDialect) -> CompiledSQL {
        var r = SQLRenderer(
            dialect: dialect, inline: false, plan: Plan(strategy: .bitmaps, filter: .everyone, now: .fixed(now), estimatedRows: 0))
        // An empty scope (a glob that matched no campaign) matches no event; `IN ()` is
        // no SQL that PostgreSQL accepts.
        let empty = f.campaigns == .only([]) || f.links == .only([])
        let conds = empty ? dialect.falseCondition : r.eventConditions(f, alias: "e").joined(separator: " AND ")
        let sql = """
            SELECT e.ts, cm.name, e.kind, l.url, e.reason, e.bounce, e.machine FROM \(From.events)
            JOIN \(From.campaigns) ON cm.id = e.campaign_id LEFT JOIN \(From.links) ON l.id = e.link_id
            WHERE \(conds) AND e.contact_id = \(dialect.placeholder(r.parameters.count + 1)) ORDER BY e.ts, e.id
            """
        return CompiledSQL(sql: sql, parameters: r.parameters)
    }

    /// The campaigns an `of_last: N` predicate scopes to for one contact (a last
    /// parameter): the N campaigns of `f`'s scope most recently sent to it, by when it
    /// was first sent each, newest first (ties: the higher id first), as `campaignsSet`
    /// ranks them. Selects the campaign id and name.
    public static func contactLastCampaigns(_ f: EventFilter, dialect: any SQLDialect) -> CompiledSQL {
        var r = SQLRenderer(
            dialect: dialect, inline: false, plan: Plan(strategy: .bitmaps, filter: .everyone, now: .readTime, estimatedRows: 0))
        var sends = ["s.kind = \(EventKind.sent.rawValue)"]
        if case .only(let ids) = f.campaigns { sends.append(ids.isEmpty ? dialect.falseCondition : r.member("s.campaign_id", ids)) }
        if let until = f.window.until { sends.append("s.ts <= \(r.bind(until))") }
        let n = r.bind(f.ofLast ?? 0)
        sends.append("s.contact_id = \(dialect.placeholder(r.parameters.count + 1))")
        let sql = """
            SELECT s.campaign_id, cm.name FROM \(From.sends) JOIN \(From.campaigns) ON cm.id = s.campaign_id
            WHERE \(sends.joined(separator: " AND ")) GROUP BY s.campaign_id, cm.name
            ORDER BY min(s.ts) DESC, s.campaign_id DESC LIMIT \(n)
            """
        return CompiledSQL(sql: sql, parameters: r.parameters)
    }

    private init(dialect: any SQLDialect, inline: Bool, plan: Plan) {
        self.dialect = dialect
        self.inline = inline
        self.plan = plan
    }

    // MARK: - Values

    private mutating func bind(_ v: SQLValue) -> String {
        if inline { return dialect.literal(v) }
        parameters.append(v)
        return dialect.placeholder(parameters.count)
    }

    private mutating func bind(_ i: Int64) -> String { bind(.integer(i)) }

    private mutating func bindList(_ ids: [Int64]) -> String {
        ids.map { bind($0) }.joined(separator: ", ")
    }

    /// Lists longer than this are bound as one value (`valueListMembership`).
    static let longList = 64

    /// `column IN (?, ?, …)`, or, for a long list, `column` in one bound list.
    private mutating func valueIn(_ column: String, _ ls: [FieldLiteral], type: String) -> String {
        if ls.count > Self.longList {
            let values = ls.map { (l: FieldLiteral) -> SQLValue in
                switch l {
                case .string(let s): .text(s)
                case .number(let d): .real(d)
                case .integer(let i), .time(let i): .integer(i)
                case .boolean(let b): .integer(b ? 1 : 0)
                }
            }
            return dialect.valueListMembership(column, bind(dialect.valueListValue(values)), type: type)
        }
        var items: [String] = []
        for l in ls { items.append(literal(l)) }
        return "\(column) IN (\(items.joined(separator: ", ")))"
    }

    /// `column = ?` or `column IN (?, ?)`.
    private mutating func member(_ column: String, _ ids: [Int64]) -> String {
        ids.count == 1 ? "\(column) = \(bind(ids[0]))" : "\(column) IN (\(bindList(ids)))"
    }

    /// The lower and upper time bounds of a window, as SQL expressions: a value must be
    /// at least every lower bound and at most every upper bound. Only what is returned
    /// is bound.
    private mutating func bounds(_ w: TimeWindow, upper wantUpper: Bool = true) -> (lower: [String], upper: [String]) {
        switch plan.now {
        case .fixed(let now):
            let (lo, hi) = w.bounds(now: now)
            let lower = lo.map { [bind($0)] } ?? []
            let upper = wantUpper ? hi.map { [bind($0)] } ?? [] : []
            return (lower, upper)
        case .readTime:
            var lower: [String] = []
            var upper: [String] = []
            if let s = w.since { lower.append(bind(s)) }
            if let months = w.withinMonths {
                lower.append("\(dialect.monthsBeforeNow(bind(months))) - \(bind(w.within ?? 0))")
            } else if let d = w.within {
                lower.append("\(dialect.nowExpression) - \(bind(d))")
            }
            if let d = w.sinceAgo { lower.append("\(dialect.nowExpression) - \(bind(d))") }
            if wantUpper {
                if let b = w.before { upper.append("\(bind(b)) - 1") }
                if w.within != nil { upper.append(dialect.nowExpression) }
                if let d = w.beforeAgo { upper.append("\(dialect.nowExpression) - \(bind(d)) - 1") }
                if let u = w.until { upper.append(bind(u)) }
            }
            return (lower, upper)
        }
    }

    /// `column >= bound` for every lower bound of the window (only "not NULL" when there is none).
    /// The rollup answers recency only when no event lies after now, so no upper bound is needed.
    private mutating func atLeastLower(_ column: String, _ w: TimeWindow) -> String {
        let lower = bounds(w, upper: false).lower
        return lower.isEmpty ? "\(column) IS NOT NULL" : lower.map { "\(column) >= \($0)" }.joined(separator: " AND ")
    }

    // MARK: - Statement

    private mutating func statement(_ projection: Projection) -> String {
        let joinsContactActivity = joinsContactActivityIn(plan)
        let startsFromContactActivity = joinsContactActivity && plan.requiresContactActivity && plan.strategy == .scan
        // Counting and listing ids read no contact column. When the rows that drive the
        // query are a rollup's (whose contact_id references contacts) and no condition
        // reads the contact's own row, contacts is not joined at all (docs/planner.md).
        let contactRowNeeded: Bool
        if case .contacts = projection { contactRowNeeded = true } else { contactRowNeeded = readsContactRow(plan) }
        if projection == .count, let complement = complementCount() { return complement }
        if plan.strategy == .setOperations, dialect.mergesCompoundChains {
            // The chain reads no contact row; the contacts' rows are looked up by id below.
            if projection == .count { return "SELECT count(*) FROM (\(mergeChain(plan.filter))) s" }
            if projection == .contactIDs { return mergeChain(plan.filter) }
        }
        if !contactRowNeeded, plan.strategy == .driver, plan.filter == .everyone,
           case .branches(let sets, let residuals)? = plan.driver, residuals.allSatisfy(testableOnIDs) {
            let union = branchesUnion(sets, residuals)
            return projection == .count
                ? "SELECT count(*) FROM (\(union)) b"
                : "SELECT contact_id FROM (\(union)) b\nORDER BY contact_id"
        }
        // The hint only where contacts is the table scanned: joined to a driver, it
        // would keep SQLite from looking contacts up by id (measured: Q1 and Q4 of
        // docs/benchmarks.md ran 2.6× and over 25× slower with it).
        let scansContacts = plan.strategy == .scan && !startsFromContactActivity
        var from = From.contacts + (scansContacts ? dialect.contactsScanHint : "")
        var order = "c.id"
        if startsFromContactActivity {
            if contactRowNeeded && plan.rowsFromContacts {
                // Ordered by c.id, SQLite reads contacts in place and seeks the rollup.
                from = "\(From.contacts) JOIN \(From.contactActivity) ON ca.contact_id = c.id"
                contactActivityRowExists = true
            } else {
                from = fromContactActivity(contactRow: contactRowNeeded)
                order = "ca.contact_id"
            }
        }
        var conditions: [String] = []
        switch plan.strategy {
        case .scan:
            conditions.append(probe(plan.filter))
        case .driver:
            if case .activityRow(let campaign, let rowConditions)? = plan.driver {
                // One campaign's rollup rows, joined to contacts: the primary-key range is
                // already in contact id order, so neither a temporary index nor a sort.
                from = contactRowNeeded ? "\(From.activityRows) JOIN \(From.contacts) ON c.id = d.contact_id" : From.activityRows
                order = "d.contact_id"
                if !contactRowNeeded { contactID = "d.contact_id" }
                conditions.append("d.campaign_id = \(bind(campaign))")
                for rc in rowConditions { conditions.append(rowCondition(rc, alias: "d")) }
            } else if case .branches(let sets, let residuals)? = plan.driver {
                conditions.append(branchesCondition(sets, residuals))
            } else if let d = plan.driver {
                conditions.append("c.id IN (\(driverSQL(d)))")
            }
            conditions.append(probe(plan.filter))
        case .inSubqueries:
            conditions.append(inForm(plan.filter))
        case .setOperations, .bitmaps:
            if dialect.distributedByContact {
                conditions.append(distributedCondition(plan.filter))
            } else {
                conditions.append("c.id IN (\(dialect.mergesCompoundChains ? mergeChain(plan.filter) : setSQL(plan.filter)))")
            }
        case .groupedPass:
            var atoms: [PlanAtom] = []
            collectEventAtoms(plan.filter, into: &atoms)
            if !atoms.isEmpty {
                from += " LEFT JOIN (\(groupedSQL(atoms))) g ON g.contact_id = c.id"
            }
            conditions.append(groupedForm(plan.filter, atoms))
        }
        if joinsContactActivity && !startsFromContactActivity {
            from += " LEFT JOIN \(From.contactActivity) ON ca.contact_id = \(contactID)"
        }
        let whereClause = conditions.filter { $0 != dialect.trueCondition }.joined(separator: "\n  AND ")
        let filter = whereClause.isEmpty ? "" : "\nWHERE \(whereClause)"
        switch projection {
        case .count:
            return "SELECT count(*) FROM \(from)\(filter)"
        case .contactIDs:
            return "SELECT \(contactID) AS contact_id FROM \(from)\(filter)\nORDER BY \(order)"
        case .contacts(let limit):
            var sql = "SELECT c.id AS contact_id, c.email, c.phone, c.first_name, c.last_name\nFROM \(from)\(filter)\nORDER BY \(order)"
            if let limit { sql += "\nLIMIT \(bind(limit))" }
            return sql
        }
    }

    /// `not P`, counted as every contact less those for which P holds, when P needs a
    /// `contact_activity` row: the count of P reads only that table (one narrow row per
    /// contact with events), where `not P` would probe it for every contact
    /// (docs/planner.md: `count not opened` 1.8× faster).
    private mutating func complementCount() -> String? {
        guard plan.strategy == .scan, case .not(let inner) = plan.filter, inner.requiresContactActivity else { return nil }
        let from = fromContactActivity(contactRow: inner.readsContactColumn)
        // One count alone (`not opened`) is counted in the narrow index of its non-zero rows.
        if case .atom(.rollup(let r)) = inner, case .count(let m, let t) = r.test {
            return "SELECT (SELECT count(*) FROM \(From.contactsTable)) - (SELECT count(*) FROM \(from) WHERE \(rowsCounting(m, t, alias: "ca")))"
        }
        return "SELECT (SELECT count(*) FROM \(From.contactsTable)) - (SELECT count(*) FROM \(from) WHERE \(probe(inner)))"
    }

    /// `contact_activity` as the statement's first table: alone, its `contact_id` the one
    /// the probes are correlated with, unless a condition reads a contact column; then
    /// joined to contacts. Either way its rows exist, so its counts need no `coalesce`.
    private mutating func fromContactActivity(contactRow: Bool) -> String {
        contactActivityRowExists = true
        guard contactRow else {
            contactID = "ca.contact_id"
            return From.contactActivity
        }
        return "\(From.contactActivity) JOIN \(From.contacts) ON c.id = ca.contact_id"
    }

    /// Whether a condition of the plan reads the contact's own row (a contact column).
    private func readsContactRow(_ plan: Plan) -> Bool {
        if plan.filter.readsContactColumn { return true }
        switch plan.driver {
        case .branches(let sets, let residuals)?:
            return residuals.contains { $0.readsContactColumn } || sets.contains { $0.condition.readsContactColumn }
        case let d?:
            return d.condition.readsContactColumn
        case nil:
            return false
        }
    }

    private func joinsContactActivityIn(_ plan: Plan) -> Bool {
        guard plan.strategy != .setOperations else { return false }
        if case .branches(_, let residuals)? = plan.driver, plan.strategy == .driver,
           residuals.contains(where: \.readsContactActivity) {
            return true
        }
        return plan.filter.readsContactActivity
    }


    // MARK: - Probe form: a two-valued condition on `c`

    private mutating func combine(_ xs: [PlanExpr], _ op: String, _ each: (inout SQLRenderer, PlanExpr) -> String) -> String {
        var parts: [String] = []
        for x in xs { parts.append(each(&self, x)) }
        return "(" + parts.joined(separator: " \(op) ") + ")"
    }

    private mutating func probe(_ e: PlanExpr) -> String {
        switch e {
        case .everyone: return dialect.trueCondition
        case .nobody: return dialect.falseCondition
        case .and(let xs): return combine(xs, "AND") { $0.probe($1) }
        case .or(let xs): return combine(xs, "OR") { $0.probe($1) }
        case .not(let x):
            if case .atom(.rollup(let r)) = x, r.scope == .allCampaigns, case .recent(let column, let w) = r.test {
                return recentFails("ca.\(column)", w)
            }
            return negation(x) { $0.probe($1) }
        case .atom(let a): return probe(a)
        }
    }

    /// `NOT` and the condition `each` writes for `x`, written as negated.
    private mutating func negation(_ x: PlanExpr, _ each: (inout SQLRenderer, PlanExpr) -> String) -> String {
        negated.toggle()
        let inner = each(&self, x)
        negated.toggle()
        return "NOT \(inner)"
    }

    /// A rollup's last time within the window: `col >= lower`, exact as it stands where
    /// no `NOT` is above it; under one, NULL must be false, not unknown.
    private mutating func recentHolds(_ column: String, _ w: TimeWindow) -> String {
        negated ? "(\(column) IS NOT NULL AND \(atLeastLower(column, w)))" : "(\(atLeastLower(column, w)))"
    }

    /// The negation of `recentHolds`, two-valued: `(col IS NULL OR NOT (col >= lower))`
    /// (measured on the 1M-contact store: 15% cheaper to scan than `NOT (col IS NOT NULL AND …)`).
    private mutating func recentFails(_ column: String, _ w: TimeWindow) -> String {
        "(\(column) IS NULL OR NOT (\(atLeastLower(column, w))))"
    }

    private mutating func probe(_ a: PlanAtom) -> String {
        switch a {
        case .events(let f, let t):
            if f.readAsSet || (dialect.writesSetProbesAsIN && plan.setProbes.contains(a)) { return setMembership(a) }
            let conds = eventConditions(f, alias: "e")
            // Pinned to the index by contact: without statistics SQLite may read the
            // index by kind and time instead, and then walk the whole window for every
            // contact (`sent(within: 30d)` took minutes on the 100k-contact store).
            let body = "FROM \(From.events)\(dialect.indexHint(StoreIndex.eventsByContact.name)) WHERE e.contact_id = \(contactID) AND "
                + conds.joined(separator: " AND ")
            if t == .atLeastOne { return "EXISTS (SELECT 1 \(body))" }
            return "(SELECT count(*) \(body)) \(t.op.rawValue) \(bind(t.value))"
        case .rollup(let r):
            return rollupProbe(r)
        case .column(let f, let t):
            return contactColumnCondition(f, "c", t)
        case .attribute(let name, let t):
            return "EXISTS (SELECT 1 FROM \(From.contactAttributes) WHERE t.contact_id = \(contactID) AND "
                + attributeConditions(name, t).joined(separator: " AND ") + ")"
        case .list(let id):
            return "EXISTS (SELECT 1 FROM \(From.listMembers) WHERE lm.list_id = \(bind(id)) AND lm.contact_id = \(contactID))"
        }
    }

    private func measureSQL(_ m: RollupMeasure, alias: String, nullable: Bool) -> String {
        func col(_ c: String) -> String { nullable ? "coalesce(\(alias).\(c), 0)" : "\(alias).\(c)" }
        var s = m.plus.map(col).joined(separator: " + ")
        for c in m.minus { s += " - " + col(c) }
        return m.plus.count + m.minus.count > 1 ? "(\(s))" : s
    }

    private mutating func rollupProbe(_ r: RollupAtom) -> String {
        switch (r.scope, r.test) {
        case (.allCampaigns, .count(let m, let t)):
            return "\(measureSQL(m, alias: "ca", nullable: !contactActivityRowExists)) \(t.op.rawValue) \(bind(t.value))"
        case (.allCampaigns, .recent(let column, let w)):
            return recentHolds("ca.\(column)", w)
        case (.campaigns(let ids), .count(let m, let t)):
            let measure = measureSQL(m, alias: "a", nullable: false)
            if t == .atLeastOne || (ids.count == 1 && !t.includesZero) {
                return "EXISTS (SELECT 1 FROM \(From.activity) WHERE \(member("a.campaign_id", ids)) AND a.contact_id = \(contactID) AND \(measure) \(t.op.rawValue) \(bind(t.value)))"
            }
            let agg = ids.count == 1 ? measure : "sum(\(measure))"
            return "coalesce((SELECT \(agg) FROM \(From.activity) WHERE \(member("a.campaign_id", ids)) AND a.contact_id = \(contactID)), 0) \(t.op.rawValue) \(bind(t.value))"
        case (.campaigns(let ids), .recent(let column, let w)):
            return "EXISTS (SELECT 1 FROM \(From.activity) WHERE \(member("a.campaign_id", ids)) AND a.contact_id = \(contactID) AND \(atLeastLower("a.\(column)", w)))"
        }
    }

    // MARK: - Conditions shared by every form

    /// The conditions on one event row `alias` that make it count for `f`.
    private mutating func eventConditions(_ f: EventFilter, alias e: String) -> [String] {
        var conds = ["\(e).kind = \(f.kind.rawValue)"]
        if case .only(let ids) = f.campaigns { conds.append(member("\(e).campaign_id", ids)) }
        if let m = f.message { conds.append("\(e).message = \(bind(m))") }
        let (lower, upper) = bounds(f.window)
        for l in lower { conds.append("\(e).ts >= \(l)") }
        for u in upper { conds.append("\(e).ts <= \(u)") }
        if case .only(let ids) = f.links { conds.append(member("\(e).link_id", ids)) }
        if f.kind == .clicked, !f.excludedLinks.isEmpty {
            conds.append("(\(e).link_id IS NULL OR \(e).link_id NOT IN (\(bindList(f.excludedLinks))))")
        }
        if let m = f.machine { conds.append("\(e).machine = \(bind(m ? 1 : 0))") }
        if let b = f.bounce { conds.append("\(e).bounce = \(bind(.text(b.rawValue)))") }
        if let r = f.reason { conds.append(textMatch("\(e).reason", r)) }
        return conds
    }

    /// `column` matches a glob (or equals it, when it has no `*`); false for NULL.
    private mutating func textMatch(_ column: String, _ p: GlobPattern) -> String {
        if p.isLiteral { return "\(column) = \(bind(.text(p.description)))" }
        return dialect.globMatch(column, bind(.text(dialect.globPattern(p))))
    }

    private mutating func literal(_ l: FieldLiteral) -> String {
        switch l {
        case .string(let s): bind(.text(s))
        case .number(let d): bind(.real(d))
        case .integer(let i): bind(.integer(i))
        case .boolean(let b): bind(.integer(b ? 1 : 0))
        case .time(let t): bind(.integer(t))
        }
    }

    /// A condition on contact column `f` of `alias`: `columnCondition`, and for an e-mail
    /// pattern of one domain that domain by equality too (`EmailDomain`), which the
    /// index `contacts_by_email_domain` reads as a range.
    private mutating func contactColumnCondition(_ f: StandardField, _ alias: String, _ t: FieldTest) -> String {
        let column = "\(alias).\(f.rawValue)"
        if f == .email, case .matches(let p) = t, let domain = EmailDomain.of(p) {
            return "(\(column) IS NOT NULL AND \(EmailDomain.sql(column)) = \(bind(.text(domain))) AND \(textMatch(column, p)))"
        }
        return columnCondition(column, t)
    }

    /// A condition on a standard column; false when the column is NULL.
    private mutating func columnCondition(_ column: String, _ t: FieldTest) -> String {
        switch t {
        case .exists:
            return "\(column) IS NOT NULL"
        case .compare(let op, let l):
            return "(\(column) IS NOT NULL AND \(column) \(op.rawValue) \(literal(l)))"
        case .between(let o1, let a, let o2, let b):
            return "(\(column) IS NOT NULL AND \(column) \(o1.rawValue) \(literal(a)) AND \(column) \(o2.rawValue) \(literal(b)))"
        case .oneOf(let ls):
            guard !ls.isEmpty else { return dialect.falseCondition }
            return "(\(column) IS NOT NULL AND \(valueIn(column, ls, type: "string")))"
        case .matches(let p):
            return "(\(column) IS NOT NULL AND \(textMatch(column, p)))"
        }
    }

    private static func typeName(_ l: FieldLiteral) -> String {
        switch l {
        case .string: "string"
        case .number, .integer, .time: "number"
        case .boolean: "boolean"
        }
    }

    /// Conditions on a `contact_attributes t` row: this attribute, of the literal's type.
    private mutating func attributeConditions(_ name: String, _ t: FieldTest) -> [String] {
        var conds = ["t.name = \(bind(.text(name)))"]
        switch t {
        case .exists:
            break
        case .compare(let op, let l):
            let type = Self.typeName(l)
            conds.append("t.type = '\(type)'")
            conds.append("\(dialect.attributeValue("t.value", type: type)) \(op.rawValue) \(literal(l))")
        case .between(let o1, let a, let o2, let b):
            let type = Self.typeName(a)
            conds.append("t.type = '\(type)'")
            conds.append("\(dialect.attributeValue("t.value", type: type)) \(o1.rawValue) \(literal(a))")
            conds.append("\(dialect.attributeValue("t.value", type: Self.typeName(b))) \(o2.rawValue) \(literal(b))")
        case .oneOf(let ls):
            var byType: [(String, [FieldLiteral])] = []
            for l in ls {
                let type = Self.typeName(l)
                if let i = byType.firstIndex(where: { $0.0 == type }) { byType[i].1.append(l) } else { byType.append((type, [l])) }
            }
            var alternatives: [String] = []
            for (type, items) in byType {
                alternatives.append("(t.type = '\(type)' AND \(valueIn(dialect.attributeValue("t.value", type: type), items, type: type)))")
            }
            conds.append(alternatives.isEmpty ? dialect.falseCondition : "(" + alternatives.joined(separator: " OR ") + ")")
        case .matches(let p):
            conds.append("t.type = 'string'")
            conds.append(textMatch(dialect.attributeValue("t.value", type: "string"), p))
        }
        return conds
    }

    // MARK: - Set form: a SELECT of `contact_id`

    /// The contacts for which a positive atom holds, as a SELECT of `contact_id`.
    private mutating func atomSet(_ a: PlanAtom) -> String {
        switch a {
        case .events(let f, let t) where f.campaignsFromRollup != nil:
            return "SELECT a.contact_id FROM \(From.activity) WHERE " + campaignRows(f).joined(separator: " AND ")
                + " GROUP BY a.contact_id HAVING count(*) \(t.op.rawValue) \(bind(t.value))"
        case .events(let f, _) where f.readAsSet:
            return campaignsSet(a, restricted: false)
        case .events(let f, let t):
            let conds = eventConditions(f, alias: "e").joined(separator: " AND ")
            let from = From.events + hint(a)
            if t == .atLeastOne { return "SELECT e.contact_id FROM \(from) WHERE \(conds)" }
            return "SELECT e.contact_id FROM \(from) WHERE \(conds) GROUP BY e.contact_id HAVING count(*) \(t.op.rawValue) \(bind(t.value))"
        case .rollup(let r):
            switch (r.scope, r.test) {
            case (.allCampaigns, .count(let m, let t)):
                return "SELECT ca.contact_id FROM \(From.contactActivity) WHERE \(rowsCounting(m, t, alias: "ca"))"
            case (.allCampaigns, .recent(let column, let w)):
                return "SELECT ca.contact_id FROM \(From.contactActivity) WHERE \(atLeastLower("ca.\(column)", w))"
            case (.campaigns(let ids), .count(let m, let t)):
                let campaigns = member("a.campaign_id", ids)
                if ids.count == 1 || t == .atLeastOne {
                    return "SELECT a.contact_id FROM \(From.activity) WHERE \(campaigns) AND \(rowsCounting(m, t, alias: "a"))"
                }
                // The sum of the non-zero rows is the sum: a test that fails at zero reads only them.
                let rows = m.nonZeroIndexedColumn(for: t).map { "\(campaigns) AND a.\($0) > 0" } ?? campaigns
                let measure = measureSQL(m, alias: "a", nullable: false)
                return "SELECT a.contact_id FROM \(From.activity) WHERE \(rows) GROUP BY a.contact_id HAVING sum(\(measure)) \(t.op.rawValue) \(bind(t.value))"
            case (.campaigns(let ids), .recent(let column, let w)):
                return "SELECT a.contact_id FROM \(From.activity) WHERE \(member("a.campaign_id", ids)) AND \(atLeastLower("a.\(column)", w))"
            }
        case .column(let f, let t):
            return "SELECT c2.id AS contact_id FROM \(From.contacts2) WHERE \(contactColumnCondition(f, "c2", t))"
        case .attribute(let name, let t):
            return "SELECT t.contact_id FROM \(From.contactAttributes)\(hint(a)) WHERE " + attributeConditions(name, t).joined(separator: " AND ")
        case .list(let id):
            return "SELECT lm.contact_id FROM \(From.listMembers) WHERE lm.list_id = \(bind(id))"
        }
    }

    /// The `activity` rows (one per campaign and contact) of the campaigns of an
    /// `at_least` predicate in which the contact had such an event.
    private mutating func campaignRows(_ f: EventFilter) -> [String] {
        guard let m = f.campaignsFromRollup else { return [] }
        var conds: [String] = []
        if case .only(let ids) = f.campaigns { conds.append(member("a.campaign_id", ids)) }
        conds.append(rowsCounting(m, .atLeastOne, alias: "a"))
        return conds
    }

    /// The contacts of a predicate read only as a set (`of_last`, `at_least`; the test
    /// fails at zero): its events, for `of_last` only those of each contact's last N
    /// campaigns — `(contact, campaign) IN` the contact's sends grouped by campaign and
    /// ranked by a window function, newest first sending first — and, for a count,
    /// grouped by contact with `count(DISTINCT campaign_id)` (or `count(*)`) tested.
    /// Both ranges are read once; `restricted`, both only for the contacts of one more
    /// parameter (the last), through the index by contact.
    private mutating func campaignsSet(_ a: PlanAtom, restricted: Bool) -> String {
        guard case .events(let f, let t) = a else { return "" }
        // The restriction's placeholder is known only once every value is bound.
        let marker = "\u{1}ids\u{1}"
        var conds = eventConditions(f, alias: "e")
        if let n = f.ofLast {
            var sends = ["s.kind = \(EventKind.sent.rawValue)"]
            if case .only(let ids) = f.campaigns { sends.append(member("s.campaign_id", ids)) }
            if let until = f.window.until { sends.append("s.ts <= \(bind(until))") }
            if restricted { sends.append(dialect.idListMembership("s.contact_id", marker)) }
            let index = (restricted ? StoreIndex.eventsByContact : f.campaigns == .any ? .eventsByKindTime : .eventsByCampaign).name
            let ranked = "SELECT s.contact_id, s.campaign_id, row_number() OVER (PARTITION BY s.contact_id "
                + "ORDER BY min(s.ts) DESC, s.campaign_id DESC) AS r FROM \(From.sends)\(dialect.indexHint(index)) WHERE "
                + sends.joined(separator: " AND ") + " GROUP BY s.contact_id, s.campaign_id"
            conds.append("(e.contact_id, e.campaign_id) IN (SELECT x.contact_id, x.campaign_id FROM (\(ranked)) x WHERE x.r <= \(bind(n)))")
        }
        if restricted { conds.append(dialect.idListMembership("e.contact_id", marker)) }
        let from = From.events + (restricted ? dialect.indexHint(StoreIndex.eventsByContact.name) : hint(a))
        var sql = "SELECT e.contact_id FROM \(from) WHERE " + conds.joined(separator: " AND ")
        if t != .atLeastOne {
            let counted = f.distinctCampaigns ? "count(DISTINCT e.campaign_id)" : "count(*)"
            sql += " GROUP BY e.contact_id HAVING \(counted) \(t.op.rawValue) \(bind(t.value))"
        }
        return sql.replacing(marker, with: dialect.placeholder(parameters.count + 1))
    }

    /// The rows of `keptPlusRows`: the non-zero `activity` rows of `beside.inside` with
    /// their count, then the events of `beside.cut` with 1, as one `UNION ALL`; nil when
    /// both are empty.
    private mutating func keptPlusRowsSelect(_ a: PlanAtom, _ beside: BesideKeptSets) -> String? {
        var parts: [String] = []
        if !beside.inside.isEmpty {
            let measure: RollupMeasure?
            switch a {
            case .events(let f, _): measure = f.wholeCampaigns?.measure
            case .rollup(let r): if case .count(let m, _) = r.test { measure = m } else { measure = nil }
            default: measure = nil
            }
            if let measure { parts.append(activityRows(measure, of: beside.inside, counted: true)) }
        }
        if !beside.cut.isEmpty, case .events(let f, _) = a { parts.append(campaignEvents(f, of: beside.cut, columns: "e.contact_id, 1")) }
        return parts.isEmpty ? nil : parts.joined(separator: " UNION ALL ")
    }

    /// The non-zero `activity` rows of `measure` of campaigns `ids`: each contact id, and
    /// its count when `counted`.
    private mutating func activityRows(_ measure: RollupMeasure, of ids: [Int64], counted: Bool, extra: [String] = []) -> String {
        let value = counted ? ", \(measureSQL(measure, alias: "a", nullable: false))" : ""
        return "SELECT a.contact_id\(value) FROM \(From.activity) WHERE "
            + ([member("a.campaign_id", ids), rowsCounting(measure, .atLeastOne, alias: "a")] + extra).joined(separator: " AND ")
    }

    /// The events of `f` (its window and every other filter) of campaigns `ids` alone,
    /// one row each (`columns`), through `index`.
    private mutating func campaignEvents(_ f: EventFilter, of ids: [Int64], columns: String,
                                         index: StoreIndex = .eventsByCampaign, extra: [String] = []) -> String {
        var events = f
        events.wholeCampaigns = nil
        events.distinctCampaigns = false
        events.ofLast = nil
        events.sendOrder = nil
        events.campaigns = .only(ids)
        return "SELECT \(columns) FROM \(From.events)\(dialect.indexHint(index.name)) WHERE "
            + (eventConditions(events, alias: "e") + extra).joined(separator: " AND ")
    }

    /// A predicate read in two parts (EventFilter.wholeCampaigns): the non-zero
    /// `activity` rows of the campaigns wholly inside its window (with their count when
    /// `counted`), then the events of the campaigns the window cuts, one row each (and
    /// 1), as one `UNION ALL`; `restricted`, both only for the contacts of one more
    /// parameter (the last).
    private mutating func wholeCampaignsSelect(_ f: EventFilter, test: CountTest, restricted: Bool) -> String {
        guard let split = f.wholeCampaigns else { return "" }
        let counted = test != .atLeastOne
        // The restriction's placeholder is known only once every value is bound.
        let marker = "\u{1}ids\u{1}"
        let rows = activityRows(split.measure, of: split.inside, counted: counted,
                                extra: restricted ? [dialect.idListMembership("a.contact_id", marker)] : [])
        let events = campaignEvents(f, of: split.rest, columns: "e.contact_id\(counted ? ", 1" : "")",
                                    index: restricted ? .eventsByContact : .eventsByCampaign,
                                    extra: restricted ? [dialect.idListMembership("e.contact_id", marker)] : [])
        var sql = rows + " UNION ALL " + events
        if dialect.distributedByContact {
            // Grouped (and summed) on the shards, as leafSelect's counts.
            let having = counted ? " HAVING sum(u.n) \(test.op.rawValue) \(bind(test.value))" : ""
            sql = "SELECT u.contact_id FROM (\(sql)) u (contact_id\(counted ? ", n" : "")) GROUP BY u.contact_id\(having)"
        }
        return sql.replacing(marker, with: dialect.placeholder(parameters.count + 1))
    }

    /// The index the planner chose for a set's range, pinned where the dialect pins
    /// (events and attributes: the tables SQLite has more than one way into).
    private func hint(_ a: PlanAtom) -> String {
        guard let index = plan.access[a]?.index else { return "" }
        switch a {
        case .events, .attribute, .column: return dialect.indexHint(index)
        default: return ""
        }
    }

    /// The rows of rollup `alias` whose count passes `t`, for reading them as a set. When
    /// only non-zero rows can pass and they have a partial index of their own, the
    /// index's condition is written literally, `alias.col > 0`, which lets SQLite read
    /// that narrow index instead of every row (a bound value would not: the index is
    /// chosen before values are bound); `>= 1` is then that condition alone (an integer
    /// count is at least one exactly when it is above zero), otherwise both. It changes
    /// no answer.
    private mutating func rowsCounting(_ m: RollupMeasure, _ t: CountTest, alias: String) -> String {
        let column = m.nonZeroIndexedColumn(for: t)
        if let column, t == .atLeastOne { return "\(alias).\(column) > 0" }
        let test = "\(measureSQL(m, alias: alias, nullable: false)) \(t.op.rawValue) \(bind(t.value))"
        return column.map { "\(alias).\($0) > 0 AND \(test)" } ?? test
    }

    /// A rollup condition (or its negation) tested on the `activity a` row at hand.
    private mutating func rowCondition(_ e: PlanExpr, alias a: String) -> String {
        switch e {
        case .not(let x):
            if case .atom(.rollup(let r)) = x, case .recent(let column, let w) = r.test { return recentFails("\(a).\(column)", w) }
            return negation(x) { $0.rowCondition($1, alias: a) }
        case .atom(.rollup(let r)):
            switch r.test {
            case .count(let m, let t): return "(\(measureSQL(m, alias: a, nullable: false)) \(t.op.rawValue) \(bind(t.value)))"
            case .recent(let column, let w): return recentHolds("\(a).\(column)", w)
            }
        default: return probe(e)
        }
    }

    private mutating func driverSQL(_ d: DriverSet) -> String {
        switch d {
        case .atom(let a): return atomSet(a)
        case .activityRow(let campaign, let conditions):
            var sql = "SELECT a.contact_id FROM \(From.activity) WHERE a.campaign_id = \(bind(campaign))"
            for c in conditions { sql += " AND " + rowCondition(c, alias: "a") }
            return sql
        case .union(let xs):
            var parts: [String] = []
            for x in xs { parts.append("SELECT contact_id FROM (\(driverSQL(x))) u") }
            return parts.joined(separator: " UNION ")
        case .branches(let xs, let residuals):
            // Only the statement drives by branches; as a nested set, every candidate
            // of a branch is tested against that branch's own rest.
            return "SELECT c.id AS contact_id FROM \(From.contacts) WHERE \(branchesCondition(xs, residuals))"
        }
    }

    /// The branches of an `or`, each driven on its own. When no branch's rest reads
    /// the contact's own row or `contact_activity`, the rest is tested inside the
    /// branch's set, on its contact ids, and the branches are one union:
    /// `c.id IN (SELECT s.contact_id FROM (set₁) s WHERE rest₁ UNION …)`, so only the
    /// answer's contacts are looked up. Otherwise `(c.id IN (set₁) AND rest₁) OR …`,
    /// which SQLite answers branch by branch too (a multi-index OR), testing each
    /// candidate against its own branch only (docs/planner.md).
    private mutating func branchesCondition(_ sets: [DriverSet], _ residuals: [PlanExpr]) -> String {
        if residuals.allSatisfy(testableOnIDs) {
            return "c.id IN (\(branchesUnion(sets, residuals)))"
        }
        var parts: [String] = []
        for (set, rest) in zip(sets, residuals) {
            let member = "c.id IN (\(driverSQL(set)))"
            let test = probe(rest)
            parts.append(test == dialect.trueCondition ? member : "(\(member) AND \(test))")
        }
        return "(" + parts.joined(separator: " OR ") + ")"
    }

    /// The contact ids of every branch, each branch's rest tested inside its own set:
    /// `SELECT s.contact_id FROM (set₁) s WHERE rest₁ UNION …` (every rest testable on ids).
    private mutating func branchesUnion(_ sets: [DriverSet], _ residuals: [PlanExpr]) -> String {
        var parts: [String] = []
        for (set, rest) in zip(sets, residuals) {
            let inner = driverSQL(set)
            if rest == .everyone {
                parts.append("SELECT contact_id FROM (\(inner)) u")
            } else {
                let outer = contactID
                contactID = "s.contact_id"
                let test = probe(rest)
                contactID = outer
                parts.append("SELECT s.contact_id FROM (\(inner)) s WHERE \(test)")
            }
        }
        return parts.joined(separator: " UNION ")
    }

    /// Whether `e` can be tested knowing only a contact's id: no contact column and no
    /// `contact_activity` (which is joined to `c`).
    private func testableOnIDs(_ e: PlanExpr) -> Bool {
        switch e {
        case .everyone, .nobody: return true
        case .and(let xs), .or(let xs): return xs.allSatisfy(testableOnIDs)
        case .not(let x): return testableOnIDs(x)
        case .atom(.column): return false
        case .atom(.rollup(let r)): return r.scope != .allCampaigns
        case .atom: return true
        }
    }

    private mutating func setSQL(_ e: PlanExpr) -> String {
        switch e {
        case .everyone: return "SELECT id AS contact_id FROM \(From.contactsTable)"
        case .nobody: return "SELECT id AS contact_id FROM \(From.contactsTable) WHERE \(dialect.falseCondition)"
        case .not(let x):
            return "SELECT id AS contact_id FROM \(From.contactsTable) EXCEPT SELECT contact_id FROM (\(setSQL(x))) s"
        case .and(let xs), .or(let xs):
            let op: String
            if case .and = e { op = "INTERSECT" } else { op = "UNION" }
            var parts: [String] = []
            for x in xs { parts.append("SELECT contact_id FROM (\(setSQL(x))) s") }
            return parts.joined(separator: " \(op) ")
        case .atom(let a):
            if a.includesZero {
                guard let positive = a.positiveComplement else { return "SELECT id AS contact_id FROM \(From.contactsTable)" }
                return "SELECT id AS contact_id FROM \(From.contactsTable) EXCEPT SELECT contact_id FROM (\(atomSet(positive))) s"
            }
            return atomSet(a)
        }
    }

    // MARK: - Distributed form: what each shard answers by itself (Citus)

    /// That `contactID`'s contact is in the filter's sets, written so that a database
    /// distributed by contact runs it whole on every shard (`distributedByContact`): a
    /// set is a semi-join, `c.id IN (set)`; a negation a correlated anti-join, `NOT
    /// EXISTS (… s.contact_id = c.id)`; an `and` the conjunction of its parts; an `or`
    /// one semi-join with the UNION of its branches' sets.
    private mutating func distributedCondition(_ e: PlanExpr) -> String {
        switch e {
        case .everyone: return dialect.trueCondition
        case .nobody: return dialect.falseCondition
        case .and(let xs): return combine(xs, "AND") { $0.distributedCondition($1) }
        case .or: return "\(contactID) IN (\(distributedSet(e)))"
        case .not(let x): return "NOT EXISTS (SELECT 1 FROM (\(distributedSet(x))) s WHERE s.contact_id = \(contactID))"
        case .atom(let a):
            guard a.includesZero else { return "\(contactID) IN (\(atomSet(a)))" }
            guard let positive = a.positiveComplement else { return dialect.trueCondition }
            return "NOT EXISTS (SELECT 1 FROM (\(atomSet(positive))) s WHERE s.contact_id = \(contactID))"
        }
    }

    /// The contact ids of `e`'s sets, as `distributedCondition` reads them: an atom's
    /// own set, an `or` the UNION of its branches' sets, anything else the contacts
    /// that pass its condition.
    private mutating func distributedSet(_ e: PlanExpr) -> String {
        switch e {
        case .atom(let a) where !a.includesZero:
            return atomSet(a)
        case .or(let xs):
            var parts: [String] = []
            for x in xs { parts.append("SELECT contact_id FROM (\(distributedSet(x))) s") }
            return parts.joined(separator: " UNION ")
        default:
            let outer = contactID
            contactID = "c.id"
            defer { contactID = outer }
            return "SELECT c.id AS contact_id FROM \(From.contacts) WHERE \(distributedCondition(e))"
        }
    }

    // MARK: - Merge form: one flat compound in contact order

    private static let everyoneSet = "SELECT id AS contact_id FROM \(From.contactsTable)"

    /// The filter as one flat compound, `set op set op … ORDER BY 1`, which SQLite reads
    /// as a merge of its arms in contact order (most arms come from an index already in
    /// that order: a campaign's openers, an attribute's value, `contact_activity`).
    /// SQLite's compound operators have equal precedence and associate left, so the head
    /// may be any chain and each later arm applies to everything before it:
    /// `(A or B) and C and not D` is `A UNION B INTERSECT C EXCEPT D`. An operand that
    /// cannot continue the chain is one arm, a nested compound (correct, but not merged).
    private mutating func mergeChain(_ e: PlanExpr) -> String {
        let arms = chainArms(e)
        // One set alone goes through no set operator, which is what removes repeats
        // (a contact's several events).
        if arms.count == 1 { return "SELECT DISTINCT contact_id FROM (\(arms[0])) s\nORDER BY 1" }
        return arms.joined(separator: "\n") + "\nORDER BY 1"
    }

    /// The arms of `e`'s chain: a SELECT, then each `OP SELECT`, written (and their
    /// values bound) in the order they appear.
    private mutating func chainArms(_ e: PlanExpr) -> [String] {
        switch e {
        case .everyone: return [Self.everyoneSet]
        case .nobody: return ["\(Self.everyoneSet) WHERE \(dialect.falseCondition)"]
        case .atom(let a) where a.includesZero:
            guard let positive = a.positiveComplement else { return [Self.everyoneSet] }
            return [Self.everyoneSet, "EXCEPT " + atomSet(positive)]
        case .atom(let a):
            return [atomSet(a)]
        case .not(let x):
            return [Self.everyoneSet, "EXCEPT " + chainArm(x)]
        case .and(let xs):
            let head = PlanExpr.andChainHead(xs)
            var arms = head.map { chainArms(xs[$0]) } ?? [Self.everyoneSet]
            for (i, x) in xs.enumerated() where i != head {
                switch x {
                case .not(let y):
                    arms.append("EXCEPT " + chainArm(y))
                case .atom(let a) where a.includesZero:
                    if let positive = a.positiveComplement { arms.append("EXCEPT " + atomSet(positive)) }
                default:
                    arms.append("INTERSECT " + chainArm(x))
                }
            }
            return arms
        case .or(let xs):
            let head = PlanExpr.orChainHead(xs)
            var arms = chainArms(xs[head])
            for (i, x) in xs.enumerated() where i != head { arms.append("UNION " + chainArm(x)) }
            return arms
        }
    }

    /// `e` as one arm of a chain: its set's SELECT, or its own chain nested.
    private mutating func chainArm(_ e: PlanExpr) -> String {
        if case .atom(let a) = e, !a.includesZero { return atomSet(a) }
        return "SELECT contact_id FROM (\(chainArms(e).joined(separator: "\n"))) s"
    }

    // MARK: - Bitmap program

    private mutating func program(_ e: PlanExpr) -> SetProgram {
        switch e {
        case .everyone: return .everyone
        case .nobody: return .nobody
        case .and(let xs):
            // The conditions that are tests on the same rollup row (a `contact_activity`
            // row, or one campaign's `activity` row), when one of them reads those rows
            // whole anyway: one read of the rows for all of them. (Not one the kept sets
            // answer: `inactive` is two unions of sets, not a million rows.)
            var parts: [SetProgram] = []
            var fused: Set<Int> = []
            for (i, x) in xs.enumerated() where !fused.contains(i) && Self.scansRollupRows(x) {
                guard case .atom(.rollup(let r)) = x, plan.access[.rollup(r)]?.campaignSets == nil else { continue }
                let others = xs.indices.filter { $0 != i && !fused.contains($0) && Self.rowTest(xs[$0], scope: r.scope) != nil }
                guard !others.isEmpty else { continue }
                fused.insert(i)
                fused.formUnion(others)
                parts.append(.leaf(leaf(.rollup(r), alsoOnRow: others.compactMap { Self.rowTest(xs[$0], scope: r.scope) })))
            }
            for (i, x) in xs.enumerated() where !fused.contains(i) { parts.append(program(x)) }
            return parts.count == 1 ? parts[0] : .and(parts)
        case .or(let xs):
            var parts: [SetProgram] = []
            for x in xs { parts.append(program(x)) }
            return .or(parts)
        case .not(let x): return .not(program(x))
        case .atom(let a):
            guard a.includesZero else { return .leaf(leaf(a)) }
            guard let positive = a.positiveComplement else { return .everyone }
            return .not(.leaf(leaf(positive)))
        }
    }

    /// `x` as a test on a rollup row of `scope` (a `contact_activity` row for all
    /// campaigns, one campaign's `activity` row), positive or negated, if it is one.
    static func rowTest(_ x: PlanExpr, scope: RollupAtom.Scope) -> PlanExpr? {
        if case .campaigns(let ids) = scope, ids.count != 1 { return nil }
        switch x {
        case .atom(.rollup(let r)) where r.scope == scope:
            if !r.includesZero { return x }
            guard let p = PlanAtom.rollup(r).positiveComplement else { return nil }
            return .not(.atom(p))
        case .not(.atom(.rollup(let r))) where r.scope == scope && !r.includesZero:
            return x
        default:
            return nil
        }
    }

    /// Whether `x` is read by scanning its rollup rows whole (all of `contact_activity`,
    /// or all of one campaign's `activity` rows): a positive rollup test that no partial
    /// index narrows.
    static func scansRollupRows(_ x: PlanExpr) -> Bool {
        guard case .atom(.rollup(let r)) = x, !r.includesZero else { return false }
        if case .campaigns(let ids) = r.scope, ids.count != 1 { return false }
        if case .count(let m, let t) = r.test, m.nonZeroIndexedColumn(for: t) != nil { return false }
        return true
    }

    /// One positive atom's leaf: its range, and the same for a list of contacts. With
    /// `alsoOnRow`, the other tests of the same rollup row (`a` reads those rows whole).
    private mutating func leaf(_ a: PlanAtom, alsoOnRow: [PlanExpr] = []) -> SetLeaf {
        let outer = parameters
        parameters = []
        let (sql, reading) = leafSelect(a, restricted: false, alsoOnRow: alsoOnRow)
        let whole = CompiledSQL(sql: sql, parameters: parameters)
        parameters = []
        let (narrow, _) = leafSelect(a, restricted: true, alsoOnRow: alsoOnRow)
        let restricted = CompiledSQL(sql: narrow, parameters: parameters)
        parameters = outer
        var access = plan.access[a] ?? AccessPath(index: nil, description: "", estimatedRows: 0, estimatedContacts: 0)
        if !alsoOnRow.isEmpty {
            // The other tests need the rollup's rows: read by the SQL, not the kept sets.
            access = access.withoutCampaignSets
            access.description += ", with \(alsoOnRow.count) more test\(alsoOnRow.count == 1 ? "" : "s") on the same row"
            // At most the positive tests' smallest set.
            for x in alsoOnRow {
                if case .atom(let b) = x, let other = plan.access[b] { access.estimatedContacts = min(access.estimatedContacts, other.estimatedContacts) }
            }
        }
        // One row per contact: the keys of contacts, contact_attributes (contact, name),
        // list_members (list, contact), contact_activity (contact) and activity
        // (campaign, contact) when one campaign is read.
        let distinct: Bool
        switch a {
        case .column, .attribute, .list: distinct = true
        case .rollup(let r):
            if case .campaigns(let ids) = r.scope, ids.count > 1 { distinct = false } else { distinct = true }
        case .events: distinct = false
        }
        var leaf = SetLeaf(
            condition: a, reading: reading, access: access, sql: whole, restricted: restricted, distinct: distinct, alsoOnRow: alsoOnRow)
        if let sets = access.campaignSets, let beside = access.besideSets {
            if sets.campaignsCounted != nil || access.eventSets != nil {
                // `at_least` or `of_last` over a window: the events in it of the campaigns
                // it cuts, with their campaign (the sets count campaigns).
                if !beside.cut.isEmpty, case .events(let f, _) = a {
                    parameters = []
                    let sql = campaignEvents(f, of: beside.cut, columns: "e.contact_id, e.campaign_id")
                    leaf.keptPlusRows = SetLeaf.KeptPlusRows(rows: CompiledSQL(sql: sql, parameters: parameters))
                    parameters = outer
                }
            } else if dialect.distributedByContact || reading.isLastCampaigns || (reading == .ids) != (a.countTest == .atLeastOne) {
                // Counted on the shards by the SQL instead (Citus), or not such a read.
                leaf.access = access.withoutCampaignSets
            } else {
                parameters = []
                let rows = keptPlusRowsSelect(a, beside)
                leaf.keptPlusRows = SetLeaf.KeptPlusRows(rows: rows.map { CompiledSQL(sql: $0, parameters: parameters) })
                parameters = outer
            }
        }
        if access.attributeSets, case .attribute(let name, let t) = a {
            // The values' rows of `attribute_sets` tested as the attribute's own rows are.
            parameters = []
            let sets = "SELECT t.contacts FROM \(StoreTable.attributeSets.name) t WHERE " + attributeConditions(name, t).joined(separator: " AND ")
            leaf.keptSets = CompiledSQL(sql: sets, parameters: parameters)
            parameters = outer
        }
        return leaf
    }

    /// `SELECT contact_id [, value] FROM … WHERE …`, for the whole range or, `restricted`,
    /// for the contacts of one more parameter (the last), through the index by contact.
    private mutating func leafSelect(_ a: PlanAtom, restricted: Bool, alsoOnRow: [PlanExpr] = []) -> (String, SetLeaf.Reading) {
        var reading = SetLeaf.Reading.ids
        var select: String
        /// On a store distributed by contact, the grouping that counts on the shards.
        var grouped = ""
        var conds: [String]
        var id: String
        switch a {
        case .events(let f, let t) where f.ofLast != nil:
            // The events and the sends are read as they are, each once; the contacts'
            // latest campaigns are ranked and the events counted in memory (SetEvaluator):
            // the window function over every send costs ~10× the reads (docs/benchmarks.md).
            if let rollup = plan.access[a]?.ofLastRollup {
                // The campaigns' `activity` rows, each with its count (AccessPath.ofLastRollup).
                id = "a.contact_id"
                select = "SELECT a.contact_id, a.campaign_id, \(measureSQL(rollup.measure, alias: "a", nullable: false)) FROM \(From.activity)"
                conds = [rowsCounting(rollup.measure, .atLeastOne, alias: "a")]
                // The campaigns ranked (those in scope with a send), else those in scope.
                if let order = f.sendOrder {
                    conds.insert(member("a.campaign_id", order), at: 0)
                } else if case .only(let ids) = f.campaigns {
                    conds.insert(member("a.campaign_id", ids), at: 0)
                }
            } else {
                id = "e.contact_id"
                let from = From.events + (restricted ? dialect.indexHint(StoreIndex.eventsByContact.name) : hint(a))
                select = "SELECT e.contact_id, e.campaign_id FROM \(from)"
                conds = eventConditions(f, alias: "e")
            }
            let outer = parameters
            var sends: [CompiledSQL] = []
            for narrow in [false, true] {
                parameters = []
                if let order = f.sendOrder {
                    // Campaigns whose sends do not overlap: each contact's recipients, in
                    // any order (the evaluator ranks them by `order`, and passes over the
                    // campaigns it does not rank): from `activity` for the whole range, and
                    // for some contacts from their sends through the index by contact,
                    // which holds the campaign (activity's index by contact lacks `sends`,
                    // and a campaign list before the contacts would probe each pair).
                    let sql: String
                    if narrow {
                        // A few campaigns named are looked up per contact (the index by
                        // contact holds the campaign after the kind): a contact's other
                        // sends are not read. Otherwise each contact's sends are one range.
                        var where_ = ["s.kind = \(EventKind.sent.rawValue)"]
                        if case .only = f.campaigns, order.count <= OfLastSends.campaignsLookedUp { where_.append(member("s.campaign_id", order)) }
                        where_.append(dialect.idListMembership("s.contact_id", dialect.placeholder(parameters.count + 1)))
                        sql = "SELECT s.contact_id, s.campaign_id FROM \(From.sends)\(dialect.indexHint(StoreIndex.eventsByContact.name)) WHERE "
                            + where_.joined(separator: " AND ")
                    } else {
                        sql = "SELECT a.contact_id, a.campaign_id FROM \(From.activity) WHERE \(member("a.campaign_id", order)) AND a.sends > 0"
                    }
                    sends.append(CompiledSQL(sql: sql, parameters: parameters))
                    continue
                }
                var where_ = ["s.kind = \(EventKind.sent.rawValue)"]
                if case .only(let ids) = f.campaigns { where_.append(member("s.campaign_id", ids)) }
                if let until = f.window.until { where_.append("s.ts <= \(bind(until))") }
                if narrow { where_.append(dialect.idListMembership("s.contact_id", dialect.placeholder(parameters.count + 1))) }
                // In time order (the index's own, for the whole range): a contact's first
                // send of a campaign is then the first row that names the pair.
                let index = (narrow ? StoreIndex.eventsByContact : .eventsByKindTime).name
                let sql = "SELECT s.contact_id, s.campaign_id, s.ts FROM \(From.sends)\(dialect.indexHint(index)) WHERE "
                    + where_.joined(separator: " AND ") + " ORDER BY s.ts, s.contact_id, s.campaign_id"
                sends.append(CompiledSQL(sql: sql, parameters: parameters))
            }
            parameters = outer
            reading = .lastCampaigns(ofLast: f.ofLast ?? 1, test: t, distinct: f.distinctCampaigns, sends: sends[0], sendsRestricted: sends[1], order: f.sendOrder)
        case .events(let f, let t) where f.campaignsFromRollup != nil:
            id = "a.contact_id"
            select = "SELECT a.contact_id FROM \(From.activity)"
            conds = campaignRows(f)
            reading = .counted(t)
        case .events(let f, let t) where f.wholeCampaigns != nil:
            // Two ranges, one statement; summed per contact in memory.
            let sql = wholeCampaignsSelect(f, test: t, restricted: restricted)
            return (sql, t == .atLeastOne || dialect.distributedByContact ? .ids : .summed(t))
        case .events(let f, _) where f.readAsSet:
            // Grouped in SQL; the restriction is inside.
            return (campaignsSet(a, restricted: restricted), .ids)
        case .events(let f, let t):
            id = "e.contact_id"
            let from = From.events + (restricted ? dialect.indexHint(StoreIndex.eventsByContact.name) : hint(a))
            select = "SELECT e.contact_id FROM \(from)"
            conds = eventConditions(f, alias: "e")
            if t != .atLeastOne { reading = .counted(t) }
        case .rollup(let r):
            switch r.scope {
            case .allCampaigns:
                id = "ca.contact_id"
                select = "SELECT ca.contact_id FROM \(From.contactActivity)"
                switch r.test {
                case .count(let m, let t): conds = [rowsCounting(m, t, alias: "ca")]
                case .recent(let column, let w): conds = [atLeastLower("ca.\(column)", w)]
                }
            case .campaigns(let ids):
                id = "a.contact_id"
                conds = [member("a.campaign_id", ids)]
                select = "SELECT a.contact_id FROM \(From.activity)"
                switch r.test {
                case .count(let m, let t) where ids.count > 1 && t != .atLeastOne:
                    // Summed over the campaigns; a test that fails at zero needs only the
                    // non-zero rows, from their partial index when there is one.
                    if let column = m.nonZeroIndexedColumn(for: t) { conds.append("a.\(column) > 0") }
                    let measure = measureSQL(m, alias: "a", nullable: false)
                    if dialect.distributedByContact {
                        // Summed on the shards (below).
                        grouped = " GROUP BY a.contact_id HAVING sum(\(measure)) \(t.op.rawValue) \(bind(t.value))"
                    } else {
                        select = "SELECT a.contact_id, \(measure) FROM \(From.activity)"
                        reading = .summed(t)
                    }
                case .count(let m, let t):
                    conds.append(rowsCounting(m, t, alias: "a"))
                case .recent(let column, let w):
                    conds.append(atLeastLower("a.\(column)", w))
                }
            }
        case .column(let f, let t):
            id = "c2.id"
            select = "SELECT c2.id AS contact_id FROM \(From.contacts2)" + (restricted ? "" : hint(a))
            conds = [contactColumnCondition(f, "c2", t)]
        case .attribute(let name, let t):
            id = "t.contact_id"
            select = "SELECT t.contact_id FROM \(From.contactAttributes)" + (restricted ? "" : hint(a))
            conds = attributeConditions(name, t)
        case .list(let listID):
            id = "lm.contact_id"
            select = "SELECT lm.contact_id FROM \(From.listMembers)"
            conds = ["lm.list_id = \(bind(listID))"]
        }
        for x in alsoOnRow { conds.append(rowCondition(x, alias: id.hasPrefix("ca.") ? "ca" : "a")) }
        // On a store distributed by contact (Citus) a count is grouped on the shards, where
        // each contact's rows all are, so only the contacts that pass come back to segq,
        // not every row counted. (Elsewhere the rows are counted in memory: the ranges are
        // in index order, not by contact, and grouping them would sort.) The count is bound
        // before the restriction's contact list, which stays the last parameter.
        if dialect.distributedByContact, case .counted(let t) = reading {
            grouped = " GROUP BY \(id) HAVING count(*) \(t.op.rawValue) \(bind(t.value))"
            reading = .ids
        }
        if restricted { conds.append(dialect.idListMembership(id, dialect.placeholder(parameters.count + 1))) }
        return ("\(select) WHERE \(conds.joined(separator: " AND "))\(grouped)", reading)
    }

    /// The contacts without an address for the channel (`reach`'s "no address"), read
    /// through the contacts table's unique index on that column (`IS NULL`), not by
    /// scanning contacts.
    public static func noAddressLeaf(_ channel: Channel, dialect: any SQLDialect, contacts: Int64) -> SetLeaf {
        let column: StandardField = channel == .email ? .email : .phone
        let sql = "SELECT c.id AS contact_id FROM \(StoreTable.contacts.name) c WHERE c.\(column.rawValue) IS NULL"
        return SetLeaf(
            condition: .column(column, .exists), reading: .ids,
            access: AccessPath(index: nil, description: "\(StoreTable.contacts.name) without \(column.rawValue)",
                               estimatedRows: Double(contacts), estimatedContacts: Double(contacts)),
            sql: CompiledSQL(sql: sql, parameters: []),
            restricted: CompiledSQL(sql: sql + " AND " + dialect.idListMembership("c.id", dialect.placeholder(1)), parameters: []),
            distinct: true)
    }

    // MARK: - IN form

    private mutating func inForm(_ e: PlanExpr) -> String {
        switch e {
        case .everyone: return dialect.trueCondition
        case .nobody: return dialect.falseCondition
        case .and(let xs): return combine(xs, "AND") { $0.inForm($1) }
        case .or(let xs): return combine(xs, "OR") { $0.inForm($1) }
        case .not(let x): return negation(x) { $0.inForm($1) }
        case .atom(let a):
            switch a {
            case .column, .attribute: return probe(a)
            default: return setMembership(a)
            }
        }
    }

    /// The contact is in the atom's set: `id IN (set)`, or, for a count that a contact
    /// without events passes, `id NOT IN (the set of those who fail it)`.
    private mutating func setMembership(_ a: PlanAtom) -> String {
        if a.includesZero {
            guard let positive = a.positiveComplement else { return dialect.trueCondition }
            return "\(contactID) NOT IN (\(atomSet(positive)))"
        }
        return "\(contactID) IN (\(atomSet(a)))"
    }

    // MARK: - Grouped form

    private func collectEventAtoms(_ e: PlanExpr, into atoms: inout [PlanAtom]) {
        switch e {
        case .and(let xs), .or(let xs): for x in xs { collectEventAtoms(x, into: &atoms) }
        case .not(let x): collectEventAtoms(x, into: &atoms)
        case .atom(let a):
            if case .events(let f, _) = a, !f.readAsSet, !atoms.contains(a) { atoms.append(a) }
        default: break
        }
    }

    private mutating func groupedSQL(_ atoms: [PlanAtom]) -> String {
        var filters: [EventFilter] = []
        for a in atoms { if case .events(let f, _) = a { filters.append(f) } }
        var columns: [String] = []
        for (i, f) in filters.enumerated() {
            columns.append("sum(CASE WHEN \(eventConditions(f, alias: "e").joined(separator: " AND ")) THEN 1 ELSE 0 END) AS n\(i)")
        }
        var alternatives: [String] = []
        for f in filters { alternatives.append("(" + eventConditions(f, alias: "e").joined(separator: " AND ") + ")") }
        return "SELECT e.contact_id AS contact_id, \(columns.joined(separator: ", ")) FROM \(From.events) WHERE "
            + alternatives.joined(separator: " OR ") + " GROUP BY e.contact_id"
    }

    private mutating func groupedForm(_ e: PlanExpr, _ atoms: [PlanAtom]) -> String {
        switch e {
        case .everyone: return dialect.trueCondition
        case .nobody: return dialect.falseCondition
        case .and(let xs): return combine(xs, "AND") { $0.groupedForm($1, atoms) }
        case .or(let xs): return combine(xs, "OR") { $0.groupedForm($1, atoms) }
        case .not(let x): return negation(x) { $0.groupedForm($1, atoms) }
        case .atom(let a):
            guard case .events(_, let t) = a, let i = atoms.firstIndex(of: a) else { return probe(a) }
            return "coalesce(g.n\(i), 0) \(t.op.rawValue) \(bind(t.value))"
        }
    }
}

/// The store's tables as the renderer's SQL reads them, each under the alias its
/// conditions name (`e.kind`, `a.opens`); the names are `StoreTable`'s (StoreNames.swift).
private enum From {
    static let contacts = "\(StoreTable.contacts.name) c"
    /// `contacts` again, inside a condition on `contacts c`.
    static let contacts2 = "\(StoreTable.contacts.name) c2"
    static let contactsTable = StoreTable.contacts.name
    static let events = "\(StoreTable.events.name) e"
    /// `events` read for the sends that rank a contact's campaigns (`of_last`).
    static let sends = "\(StoreTable.events.name) s"
    static let activity = "\(StoreTable.activity.name) a"
    /// `activity` as the rows that drive a query: one campaign's, in contact order.
    static let activityRows = "\(StoreTable.activity.name) d"
    static let contactActivity = "\(StoreTable.contactActivity.name) ca"
    static let contactAttributes = "\(StoreTable.contactAttributes.name) t"
    static let listMembers = "\(StoreTable.listMembers.name) lm"
    static let campaigns = "\(StoreTable.campaigns.name) cm"
    static let links = "\(StoreTable.links.name) l"
}
