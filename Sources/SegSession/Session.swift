// A session runs statements against a store: the state a script or a REPL keeps
// between statements (aliases, the campaign context, now) and the one place where
// the pipeline is assembled: parse → bind → plan → render → execute.
//
// A statement either runs completely or reports why it did not: compile errors come
// back as diagnostics before the database is touched; store errors come back as
// `SessionError.runtime`. Results go to a `SessionOutput`, which formats them; rows
// are streamed from SQLite to the output one at a time, never collected.

import SegQL
import SegStore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where a session's results go.
public protocol SessionOutput: AnyObject {
    /// Rows follow, with these columns.
    func beginRows(columns: [String])
    /// One row.
    func row(_ values: [SQLValue])
    /// No more rows.
    func endRows()
    /// The answer of `count`.
    func count(_ n: Int64)
    /// Free text: `explain`, confirmations, previews.
    func text(_ s: String)
}

/// Why a statement did not run.
public enum SessionError: Error, CustomStringConvertible {
    /// The input has errors; nothing was run. Rendered with the source.
    case compile([Diagnostic], SourceFile)
    /// The store failed or refused.
    case runtime(String)

    public var description: String {
        switch self {
        case .compile(let ds, let file):
            return ds.map { DiagnosticRenderer.render($0, in: file, color: false) }.joined(separator: "\n")
        case .runtime(let m):
            return "error: " + TerminalText.escaped(m, keeping: ["\n"])
        }
    }

    /// Whether the statement was interrupted (Ctrl-C, a timeout).
    public var isInterrupt: Bool {
        if case .runtime("interrupted") = self { return true }
        return false
    }
}

/// A query compiled for execution, with everything `explain` shows.
public struct CompiledQuery {
    public var source: String
    public var bound: BoundQuery
    public var plan: Plan
    /// The one SQL statement that answers it (what a view or a frozen list is).
    public var sql: CompiledSQL
    /// For a bitmap plan, its leaves and how they combine, evaluated in memory.
    public var program: SetProgram?
    public var warnings: [Diagnostic]
}

/// Statements, run one after another against one store.
public final class Session {
    /// How a bare query is answered.
    public enum Mode {
        /// Scripts: the rows.
        case script
        /// The REPL: the count, the first rows and the time.
        case interactive
    }

    public private(set) var store: Store
    public var output: SessionOutput
    public var mode: Mode
    /// `let` aliases, oldest first.
    public internal(set) var aliases: [AliasDefinition] = []
    /// The campaign context, by name.
    public internal(set) var campaignContext: String?
    /// A fixed now (`--now`); nil means the wall clock.
    public var fixedNow: Int64?
    /// Rows a bare query previews in the REPL.
    public var previewLimit: Int64 = 10
    /// Whether the REPL prints timings.
    public var timer = true
    /// Warnings are written here (rendered), as they are found.
    public var warn: (String) -> Void
    /// Render diagnostics with colour.
    public var color = false
    /// The time zone of the opens heatmap (`--tz`, `.tz`), an IANA name such as
    /// `Europe/Stockholm`.
    public var timeZone = "UTC"
    /// Whether store errors show the SQL segq was running (`--verbose`).
    public var verbose = false
    /// Planner knobs (benchmarks force strategies).
    public var strategy: Strategy?
    public var useRollups = true
    /// The bitmap evaluator reads a condition's range only for the contacts still left
    /// when the range is estimated at this many times more rows than those contacts
    /// (SetEvaluator.leftFactor); the differential test sets it to infinity so that every
    /// read that can be restricted is.
    public var restrictedReadFactor = 30.0

    public init(store: Store, output: SessionOutput, mode: Mode = .script, warn: @escaping (String) -> Void) {
        self.store = store
        self.output = output
        self.mode = mode
        self.warn = warn
    }

    /// Now, in Unix seconds.
    public var now: Int64 {
        if let fixedNow { return fixedNow }
        return Int64(time(nil))
    }

    /// Replaces the store (`.open`).
    public func open(_ store: Store) {
        self.store = store
    }

    /// Sets the campaign context, checking the name (`--campaign`, `use campaign`).
    public func useCampaign(_ name: Name?, in file: SourceFile) throws {
        guard let name else {
            campaignContext = nil
            return
        }
        let catalog = try loadCatalog()
        switch Binder.resolveCampaign(name, in: catalog) {
        case .success(let c): campaignContext = c.name
        case .failure(let d): throw SessionError.compile([d], file)
        }
    }

    // MARK: - Running

    /// Parses `file` and runs its statements in order, stopping at the first error.
    /// A file with any syntax error runs nothing.
    public func run(_ file: SourceFile) throws {
        let (statements, diagnostics) = Parser.parseScript(file)
        let errors = diagnostics.filter { $0.severity == .error }
        if !errors.isEmpty { throw SessionError.compile(errors, file) }
        for d in diagnostics { warn(DiagnosticRenderer.render(d, in: file, color: color)) }
        for statement in statements {
            try execute(statement, in: file)
        }
    }

    /// Runs one parsed statement.
    public func execute(_ statement: Statement, in file: SourceFile) throws {
        switch statement.kind {
        case .query(let q):
            switch mode {
            case .script:
                try rows(q, limit: nil, in: file)
            case .interactive:
                try preview(q, in: file)
            }
        case .count(let q):
            let compiled = try compile(q, projection: .count, in: file)
            output.count(try count(compiled))
        case .show(let q, let limit):
            try rows(q, limit: limit, in: file)
        case .explain(let q, let analyze):
            let compiled = try compile(q, projection: .contacts(limit: nil), in: file)
            output.text(analyze ? try analysis(of: compiled) : try explanation(of: compiled))
        case .let(let name, let q):
            try defineAlias(name, q, in: file)
        case .useCampaign(let name):
            try useCampaign(name, in: file)
            output.text(campaignContext.map { "campaign context: \($0)" } ?? "campaign context cleared")
        case .saveSegment(let name, let q, let orReplace):
            try saveSegment(name, q, orReplace: orReplace, in: file)
        case .saveList(let name, let q, let orReplace, let includingSuppressed):
            try saveList(name, q, orReplace: orReplace, includingSuppressed: includingSuppressed, in: file)
        case .duplicate(let campaign, let audience, let includingSuppressed):
            try duplicate(campaign: campaign, audience: audience, includingSuppressed: includingSuppressed, in: file)
        case .export(let q, let path, let orReplace):
            try export(q, to: path, orReplace: orReplace, in: file)
        case .dropSegment(let name):
            try drop(kind: "segment", name, in: file)
        case .dropList(let name):
            try drop(kind: "list", name, in: file)
        case .stats(let campaign, let message):
            try stats(campaign, message: message, statement: statement.range, in: file)
        }
    }

    private func defineAlias(_ name: Name, _ q: Query, in file: SourceFile) throws {
        if EventKind(verb: name.text) != nil || EventKind(noun: name.text) != nil {
            throw SessionError.compile(
                [.error("'\(name.text)' is an event name and cannot be an alias", at: name.range)], file)
        }
        // Bind it now, so that a broken alias is reported where it is defined (binding
        // only: planning each link of a long chain of aliases again would be quadratic).
        let env = BindingEnvironment(catalog: try loadCatalog(), aliases: aliases, campaignContext: campaignContext)
        let (bound, diagnostics) = Binder.bind(q, in: env)
        let errors = diagnostics.filter { $0.severity == .error }
        guard bound != nil, errors.isEmpty else { throw SessionError.compile(errors, file) }
        for d in diagnostics { warn(DiagnosticRenderer.render(d, in: file, color: color)) }
        aliases.append(AliasDefinition(name: name.text, query: q))
        output.text("alias \(name.text) = \(Printer.source(of: q))")
    }

    // MARK: - Compiling

    func loadCatalog() throws -> Catalog {
        do {
            return try store.catalog()
        } catch {
            throw SessionError.runtime("cannot read the store: \(userFacingDescription(error, verbose: verbose))")
        }
    }

    /// `catalog` with the contact sample when `bound` has a condition whose share the
    /// planner estimates from it (attributes, contact columns, events over every
    /// campaign); the sample is read only then (Store.contactSample).
    func planningCatalog(_ catalog: Catalog, for bound: BoundQuery) throws -> Catalog {
        func sampled(_ q: BoundQuery) -> Bool {
            switch q {
            case .everyone, .nobody, .list: false
            case .and(let xs), .or(let xs): xs.contains(where: sampled)
            case .not(let x): sampled(x)
            case .attribute, .column: true
            case .events(let f, _): f.campaigns == .any
            }
        }
        guard catalog.sample == nil, sampled(bound) else { return catalog }
        var out = catalog
        out.sample = try runtime { try store.contactSample() }
        return out
    }

    /// Binds, plans and renders `query`; warnings are reported through `warn`.
    public func compile(_ query: Query, projection: Projection, in file: SourceFile) throws -> CompiledQuery {
        let catalog = try loadCatalog()
        let env = BindingEnvironment(catalog: catalog, aliases: aliases, campaignContext: campaignContext)
        let (bound, diagnostics) = Binder.bind(query, in: env)
        let errors = diagnostics.filter { $0.severity == .error }
        guard let bound, errors.isEmpty else { throw SessionError.compile(errors, file) }
        for d in diagnostics { warn(DiagnosticRenderer.render(d, in: file, color: color)) }
        let options = PlannerOptions(
            now: .fixed(now), strategy: strategy, useRollups: useRollups)
        let plan = Planner.plan(bound, catalog: try planningCatalog(catalog, for: bound), options: options)
        let sql = SQLRenderer.render(plan, projection: projection, dialect: store.database.dialect)
        let program = plan.strategy == .bitmaps ? SQLRenderer.program(plan, dialect: store.database.dialect) : nil
        return CompiledQuery(
            source: Printer.source(of: query), bound: bound, plan: plan, sql: sql, program: program, warnings: diagnostics)
    }

    // MARK: - Executing

    func runtime<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch {
            throw storeFailure(error)
        }
    }

    /// A store or runtime failure as the error a statement reports: a session error as
    /// it is, an interrupted statement as "interrupted", a write to a read-only store
    /// as such, anything else with its description.
    func storeFailure(_ error: Error) -> SessionError {
        if let e = error as? SessionError { return e }
        if let e = error as? DatabaseError {
            if e.isInterrupt { return .runtime("interrupted") }
            if e.primaryCode == 11 || e.primaryCode == 26 {
                return .runtime("the store is damaged (SQLite: \(e.message)); check it with sqlite3's 'PRAGMA integrity_check' and restore it from a backup")
            }
            if e.message.contains("readonly") || e.code == 8 {
                return .runtime("the store is open read-only (--read-only); this statement writes")
            }
            // segq's own SQL is no help to the user, who wrote none (`--verbose` shows it).
            return .runtime(userFacingDescription(e, verbose: verbose))
        }
        return .runtime("\(error)")
    }

    func scalarCount(_ sql: CompiledSQL) throws -> Int64 {
        try runtime {
            if case .integer(let n)? = try store.database.scalar(sql.sql, sql.parameters) { return n }
            return 0
        }
    }

    /// Streams the contacts of `q` to the output.
    public func rows(_ q: Query, limit: Int64?, in file: SourceFile) throws {
        let compiled = try compile(q, projection: .contacts(limit: limit), in: file)
        try stream(compiled, limit: limit)
    }

    private func stream(_ c: CompiledQuery, limit: Int64?) throws {
        output.beginRows(columns: ["contact_id", "email", "phone", "first_name", "last_name"])
        defer { output.endRows() }
        try contactRows(c, limit: limit) { output.row($0) }
    }

    private func preview(_ q: Query, in file: SourceFile) throws {
        let start = Clock.now()
        let counted = try compile(q, projection: .count, in: file)
        let n = try count(counted)
        let shown = try compile(q, projection: .contacts(limit: previewLimit), in: file)
        try stream(shown, limit: previewLimit)
        let ms = Clock.millisecondsSince(start)
        var line = "\(n) contact\(n == 1 ? "" : "s")"
        if n > previewLimit { line += " (first \(previewLimit) shown)" }
        if timer { line += ", \(Clock.format(ms))" }
        output.text(line)
    }

    // MARK: - Explain

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
        try runtime {
            if store.database.isPostgres {
                out += "postgresql plan:\n"
                try store.database.query("EXPLAIN " + c.sql.sql, c.sql.parameters) { row in
                    out += "  " + row.text(0) + "\n"
                }
            } else {
                out += "sqlite plan:\n"
                try store.database.query("EXPLAIN QUERY PLAN " + c.sql.sql, c.sql.parameters) { row in
                    // id, parent, notused, detail: indent by depth.
                    out += "  " + row.text(3) + "\n"
                }
            }
        }
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

/// Monotonic time for timings.
enum Clock {
    static func now() -> timespec {
        var t = timespec()
        clock_gettime(CLOCK_MONOTONIC, &t)
        return t
    }

    static func millisecondsSince(_ start: timespec) -> Double {
        let end = now()
        return Double(end.tv_sec - start.tv_sec) * 1000 + Double(end.tv_nsec - start.tv_nsec) / 1e6
    }

    static func format(_ ms: Double) -> String {
        ms < 10 ? String(format1: ms) + " ms" : ms < 10_000 ? "\(Int(ms.rounded())) ms" : String(format1: ms / 1000) + " s"
    }
}

extension String {
    /// One decimal, without Foundation.
    init(format1 v: Double) {
        let tenths = Int((v * 10).rounded())
        self = "\(tenths / 10).\(abs(tenths % 10))"
    }
}
