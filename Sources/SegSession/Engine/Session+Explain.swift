// `explain` and `explain analyze` of a bitmap plan: the sets, where each is read from
// and how many rows that is expected to be, each set's SQL with the database's own plan
// for it, and, with `analyze`, the plan run: each set's estimate beside the rows it
// actually read, the contacts it held and its time.

import SegQL
import SegStore

extension Session {
    /// `explain` of a bitmap plan; without `databasePlans`, without the database's own
    /// plan for each statement (docs/architecture.md shows it so: the rest is segq's).
    func explanation(of c: CompiledQuery, program: SetProgram, databasePlans: Bool = true) throws -> String {
        var out = header(c)
        out += "sets:\n"
        var numbers: [SetLeaf: Int] = [:]
        for l in program.leaves where numbers[l] == nil { numbers[l] = numbers.count + 1 }
        out += Self.tree(program, numbers: numbers, indent: "  ")
        let dialect = store.database.dialect
        for (leaf, n) in numbers.sorted(by: { $0.value < $1.value }) {
            out += "set [\(n)]: \(leaf.access.description)\n"
            out += "  " + leaf.sql.sql + "\n"
            for (i, p) in leaf.sql.parameters.enumerated() { out += "    \(dialect.placeholder(i + 1)) = \(p)\n" }
            if databasePlans { out += try databasePlan(leaf.sql, indent: "    ") }
            if let kept = leaf.keptSets {
                out += "  read instead, where the store keeps them: the kept sets of the values that pass, their union the set:\n  " + kept.sql + "\n"
                for (i, p) in kept.parameters.enumerated() { out += "    \(dialect.placeholder(i + 1)) = \(p)\n" }
            }
            if case .lastCampaigns(let n, _, _, let sends, _, let order) = leaf.reading {
                let what = order == nil ? "the sends" : "the recipients of the campaigns, whose sends do not overlap, ranked oldest first"
                out += "  and \(what), each contact's latest \(n) campaigns kept in memory:\n  " + sends.sql + "\n"
                for (i, p) in sends.parameters.enumerated() { out += "    \(dialect.placeholder(i + 1)) = \(p)\n" }
                if databasePlans { out += try databasePlan(sends, indent: "    ") }
            }
        }
        out += "as one statement (a saved view):\n"
        out += c.sql.sql.split(separator: "\n").map { "  \($0)\n" }.joined()
        return out
    }

    /// `explain analyze`: the plan run, each set's estimate beside what was read.
    public func analysis(of c: CompiledQuery) throws -> String {
        guard let program = c.program else {
            let start = Clock.now()
            let n = try count(c)
            return try explanation(of: c) + "ran:       \(n) contacts in \(Clock.format(Clock.millisecondsSince(start))) (one statement)\n"
        }
        let start = Clock.now()
        let (set, reads) = try evaluate(program, fresh: true)
        let ms = Clock.millisecondsSince(start)
        var out = header(c)
        var numbers: [SetLeaf: Int] = [:]
        for l in program.leaves where numbers[l] == nil { numbers[l] = numbers.count + 1 }
        out += "sets:\n" + Self.tree(program, numbers: numbers, indent: "  ")
        out += "read:\n"
        for r in reads {
            let n = numbers[r.leaf] ?? 0
            let how = r.restrictedTo.map { "for the \($0) contacts left, by contact" } ?? "whole range"
            out += "  [\(n)] \(how): estimated \(Int64(r.leaf.access.estimatedRows.rounded())) rows, read \(r.rows)"
            if r.restrictedTo == nil { out += " (\(Self.ratio(r.leaf.access.estimatedRows, Double(r.rows))))" }
            out += "; \(r.contacts) contacts (estimated \(Int64(r.leaf.access.estimatedContacts.rounded()))); \(Clock.format(r.milliseconds))\n"
        }
        let skipped = numbers.count - Set(reads.map(\.leaf)).count
        if skipped > 0 { out += "  \(skipped) set\(skipped == 1 ? "" : "s") not read: nothing was left to test\n" }
        out += "ran:       \(set.count) contacts (estimated \(c.plan.estimatedRows)) in \(Clock.format(ms))\n"
        return out
    }

    private func header(_ c: CompiledQuery) -> String {
        var out = "query:     \(c.source)\n"
        out += "strategy:  \(c.plan.strategy.rawValue)\n"
        for r in c.plan.reasons { out += "  why:     \(r)\n" }
        out += "estimate:  \(c.plan.estimatedRows) contacts (of \((try? loadCatalog().contactCount) ?? 0))\n"
        return out
    }

    /// How far an estimate is from what was read: "1.3× over", "2.0× under", "exact".
    static func ratio(_ estimated: Double, _ actual: Double) -> String {
        let e = max(estimated, 1), a = max(actual, 1)
        if abs(e - a) < 0.5 { return "exact" }
        let r = e > a ? e / a : a / e
        let tenths = Int((r * 10).rounded())
        return "\(tenths / 10).\(tenths % 10)× \(e > a ? "over" : "under")"
    }

    /// The program as an indented tree, each leaf by its number.
    static func tree(_ p: SetProgram, numbers: [SetLeaf: Int], indent: String) -> String {
        switch p {
        case .everyone: return indent + "every contact\n"
        case .nobody: return indent + "no contact\n"
        case .leaf(let l):
            let est = "~\(Int64(l.access.estimatedRows.rounded())) rows, ~\(Int64(l.access.estimatedContacts.rounded())) contacts"
            var what = describe(l.condition, l.reading)
            for x in l.alsoOnRow {
                let negated: Bool
                if case .not = x { negated = true } else { negated = false }
                what += (negated ? " and not " : " and ") + (describeSources(x, role: .probe).first ?? "")
            }
            return indent + "[\(numbers[l] ?? 0)] \(what) — \(l.access.description) (\(est))\n"
        case .not(let x): return indent + "not\n" + tree(x, numbers: numbers, indent: indent + "  ")
        case .and(let xs): return indent + "and\n" + xs.map { tree($0, numbers: numbers, indent: indent + "  ") }.joined()
        case .or(let xs): return indent + "or\n" + xs.map { tree($0, numbers: numbers, indent: indent + "  ") }.joined()
        }
    }

    /// A condition in words, for the tree.
    static func describe(_ a: PlanAtom, _ reading: SetLeaf.Reading) -> String {
        describeSources(.atom(a), role: .set)[0]
    }

    /// The database's own plan for one statement, indented.
    func databasePlan(_ sql: CompiledSQL, indent: String) throws -> String {
        var out = ""
        out += indent + "\(store.database.dialect.name) plan:\n"
        for line in try runtime({ try store.database.queryPlan(sql.sql, sql.parameters) }) { out += indent + "  " + line + "\n" }
        return out
    }
}

// `explain` of a plan run as one statement, and the sources of a plan.
extension Session {
    /// The canonical query, the SQL and its parameters, the plan and why, and the
    /// database's own plan (SQLite's `EXPLAIN QUERY PLAN`, PostgreSQL's `EXPLAIN`).
    public func explanation(of c: CompiledQuery) throws -> String {
        if let program = c.program { return try explanation(of: c, program: program) }
        var out = "query:     \(c.source)\n"
        out += "strategy:  \(c.plan.strategy.rawValue)\n"
        for r in c.plan.reasons { out += "  why:     \(r)\n" }
        out += "estimate:  \(c.plan.estimatedRows) contacts"
        if let k = c.plan.estimatedCandidates { out += " from \(k) candidates" }
        out += " (of \(try loadCatalog().contactCount))\n"
        out += "sources:\n" + Self.describeSources(c.plan).map { "  \($0)\n" }.joined()
        out += "sql:\n" + c.sql.sql.split(separator: "\n").map { "  \($0)\n" }.joined()
        out += "parameters:\n"
        if c.sql.parameters.isEmpty { out += "  (none)\n" }
        let dialect = store.database.dialect
        for (i, p) in c.sql.parameters.enumerated() { out += "  \(dialect.placeholder(i + 1)) = \(p)\n" }
        out += try databasePlan(c.sql, indent: "")
        return out
    }

    /// How a condition is read, for `explain`.
    enum SourceRole {
        /// Tested for each contact or candidate.
        case probe
        /// Its contacts are the candidates the rest is tested on.
        case driver
        /// Its contacts are one arm of a merge of sets.
        case set
    }

    /// One line per condition of the plan, the driving ones first: where its answer
    /// comes from, and how it is read.
    static func describeSources(_ plan: Plan) -> [String] {
        if plan.strategy == .setOperations { return describeSources(plan.filter, role: .set) }
        guard let d = plan.driver else { return describeSources(plan.filter, sets: plan.setProbes) }
        // Branch by branch, each branch's set and rest are one `or` of conditions.
        if case .branches = d { return describeSources(d.condition, sets: plan.setProbes) }
        return describeSources(d.condition, role: .driver)
            + (plan.filter == .everyone ? [] : describeSources(plan.filter, sets: plan.setProbes))
    }

    /// One line per atom of `e`: where its answer comes from.
    static func describeSources(_ e: PlanExpr, role: SourceRole = .probe, sets: Set<PlanAtom> = []) -> [String] {
        switch e {
        case .everyone: return ["everyone"]
        case .nobody: return ["nobody"]
        case .and(let xs), .or(let xs): return xs.flatMap { describeSources($0, role: role, sets: sets) }
        case .not(let x): return describeSources(x, role: role, sets: sets)
        case .atom(let a):
            let read = role == .driver ? ", the candidates" : role == .set ? ", a set" : ""
            switch a {
            case .events(let f, let t):
                // A set on SQLite (`NOT IN`), a hashed anti-join on PostgreSQL (`NOT
                // EXISTS`): read once either way, so `explain` says the same on both.
                if f.readAsSet {
                    let what = f.distinctCampaigns ? "campaigns \(f.kind.verb) \(t.op.rawValue) \(t.value)" : "\(f.kind.noun) \(t.op.rawValue) \(t.value)"
                    let scope = f.ofLast.map { " of each contact's last \($0) campaigns" } ?? ""
                    let source = f.campaignsFromRollup != nil
                        ? "rollup activity (the campaigns' rows with \(f.kind.noun), counted per contact)"
                        : f.ofLast != nil ? "events table, and its sends (each read once as a set)"
                        : "events table (grouped by contact, read once as a set)"
                    return ["\(what)\(scope): \(source)\(read)"]
                }
                let how = role != .probe ? "their contacts" : sets.contains(a) ? "the set of their contacts, read once by link" : "index by contact"
                return ["\(f.kind.noun) \(t.op.rawValue) \(t.value): events table (\(how))\(read)"]
            case .rollup(let r):
                let table = r.scope == .allCampaigns ? "contact_activity" : "activity"
                switch r.test {
                case .count(let m, let t):
                    let measure = m.plus.joined(separator: " + ") + m.minus.map { " - \($0)" }.joined()
                    return ["\(r.kind.noun) \(t.op.rawValue) \(t.value): rollup \(table) (\(measure))\(read)"]
                case .recent(let column, _):
                    return ["\(r.kind.verb) in window: rollup \(table) (\(column))\(read)"]
                }
            case .column(let f, _): return ["\(f.rawValue): contacts column\(read)"]
            case .attribute(let n, _): return ["\(n): contact_attributes\(read)"]
            case .list(let id): return ["list #\(id): list_members\(read)"]
            }
        }
    }
}
