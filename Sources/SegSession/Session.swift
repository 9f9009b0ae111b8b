// A session runs statements against a store: the state a script or a REPL keeps
// between statements (aliases, the campaign context, now) and the one place where
// the pipeline is assembled: parse → bind → plan → render → execute.
//
// A statement either runs completely or reports why it did not: compile errors come
// back as diagnostics before the database is touched; store errors come back as
// a `SessionError` case that says what went wrong. Results go to a `SessionOutput`, which formats them; rows
// are streamed from SQLite to the output one at a time, never collected.
//
// One file, though long: the statement loop, the compile entry point (the only one:
// actions, views and `explain` go through `compile`) and the execution of a query's
// rows share the session's state, and read best in pipeline order. The statements'
// own work lives beside it (Actions, Engine/, Analytics/, Listings).

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
    /// Free text asked for: `explain`, `stats`.
    func text(_ s: String)
    /// A confirmation of what a statement did (campaign context, alias, saved, dropped,
    /// exported) or a preview's count line: not a result. `segq run` writes these to
    /// standard error, so that standard output carries results alone; the prompt shows
    /// them with the results.
    func note(_ s: String)
}

extension SessionOutput {
    /// By default a note is written as text.
    public func note(_ s: String) { text(s) }
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
    /// While a statement `as of` a moment runs: that moment, which is also now.
    public private(set) var asOf: Int64?
    /// The last result, `_`: the previous query that ran (self-contained), if any.
    public internal(set) var lastResult: Query?
    /// Rows a bare query previews in the REPL.
    public var previewLimit: Int64 = 10
    /// Whether the REPL prints timings.
    public var timer = true
    /// Warnings are written here (rendered), as they are found.
    public var warn: (String) -> Void
    /// Render diagnostics with colour.
    public var color = false
    /// The terminal's width in columns, when results go to a terminal; nil otherwise
    /// (text charts are then 80 columns wide, the same on every run).
    public var terminalWidth: Int?
    /// The time zone of the opens heatmap (`--tz`, `.tz`), an IANA name such as
    /// `Europe/Stockholm`.
    public var timeZone = "UTC"
    /// Whether store errors show the SQL segq was running (`--verbose`).
    public var verbose = false
    /// Planner knobs (benchmarks force strategies).
    public var strategy: Strategy?
    public var useRollups = true
    /// Whether the bitmap engine reads the kept sets (`campaign_sets`, `attribute_sets`)
    /// where they answer a condition (tests compare with and without).
    public var useKeptSets = true
    /// The bitmap evaluator reads a condition's range only for the contacts still left
    /// when the range is estimated at this many times more rows than those contacts
    /// (SetEvaluator.leftFactor); the differential test also sets it to 0, so that every
    /// read that can be restricted is (infinity would restrict none).
    public var restrictedReadFactor = 30.0
    /// Whether a condition's set read whole by one statement is reused by the next while
    /// the store has not changed (Store.rememberedSet); benchmarks turn it off, so that
    /// every run reads.
    public var reusesReads = true
    /// Stops the running statement: Ctrl-C sets it (the REPL's interrupter), the
    /// statement timeout by its deadline. The compiler, the set engine and SQLite poll
    /// it (Cancellation.swift).
    public let cancellation = Cancellation()
    /// The statement timeout in seconds (`--timeout`, `.timeout`); nil: none.
    public var timeout: Double?
    /// `asStatement` calls in progress: a nested one (a dot-command's listing that
    /// compiles each saved segment) belongs to the outermost, which is timed as one.
    private var statementDepth = 0

    public init(store: Store, output: SessionOutput, mode: Mode = .script, warn: @escaping (String) -> Void) {
        self.store = store
        self.output = output
        self.mode = mode
        self.warn = warn
        store.database.cancellation = cancellation
        // What the store compiles saved segments' views with, in every transaction that
        // changes what they depend on (the session's statements, `segq import`).
        store.segmentCompiler = SavedSegmentSQL.compile
    }

    /// Now, in Unix seconds.
    public var now: Int64 {
        if let asOf { return asOf }
        if let fixedNow { return fixedNow }
        return Int64(time(nil))
    }

    /// Replaces the store (`.open`).
    public func open(_ store: Store) {
        self.store.database.cancellation = nil
        self.store = store
        store.database.cancellation = cancellation
        store.segmentCompiler = SavedSegmentSQL.compile
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
    /// Parsing is timed, and stopped by Ctrl-C, as a statement of its own.
    public func run(_ file: SourceFile) throws {
        let (statements, diagnostics) = try asStatement {
            let parsed = Parser.parseScript(file, cancellation: cancellation)
            try checkCancelled()
            return parsed
        }
        let errors = diagnostics.filter { $0.severity == .error }
        if !errors.isEmpty { throw SessionError.compile(errors, file) }
        for d in diagnostics { warn(DiagnosticRenderer.render(d, in: file, color: color)) }
        for statement in statements {
            try execute(statement, in: file)
        }
    }

    /// Runs `body` with only the events up to `moment` seen, and now at that moment.
    func whileAsOf(_ moment: Name, in file: SourceFile, _ body: () throws -> Void) throws {
        let t = try self.moment(moment, in: file)
        let saved = asOf
        asOf = t
        defer { asOf = saved }
        try body()
    }

    /// The first second of a moment written as a date (`as of`, `diff … from … to …`).
    func moment(_ moment: Name, in file: SourceFile) throws -> Int64 {
        guard let t = Timestamp.parse(moment.text) else {
            throw SessionError.compile([.error(
                "'\(moment.text)' is not a date: write \"YYYY-MM-DD\" or an ISO-8601 date-time with a zone, such as \"2026-03-01T09:00:00Z\"",
                at: moment.range)], file)
        }
        return t.start
    }

    /// Runs one parsed statement; `_` in it is the last result (see LastResult).
    public func execute(_ statement: Statement, in file: SourceFile) throws {
        try asStatement {
            let statement = try resolvingLastResult(statement, in: file)
            // `as of`: the statement runs with only the events up to that moment, and it is now.
            if let at = statement.asOf, asOf == nil {
                try whileAsOf(at, in: file) { try perform(statement, in: file) }
            } else {
                try perform(statement, in: file)
            }
            remember(statement)
        }
    }

    /// Runs `body` as one statement: under the statement timeout, and stopped by Ctrl-C
    /// (`cancellation`). The REPL runs its dot-commands that read the store through
    /// here too. Nested calls belong to the outermost.
    ///
    /// SQLite polls the deadline itself; a PostgreSQL server is sent a cancel request
    /// when it passes, and every 100 ms after until the statement ends, so that a
    /// request that arrives between two of the statement's queries is not lost.
    public func asStatement<T>(_ body: () throws -> T) throws -> T {
        if statementDepth > 0 { return try body() }
        statementDepth += 1
        cancellation.start(timeout: timeout)
        let canceller = timeout.flatMap { store.database.cancelsOnServer ? ServerCanceller(store.database, after: $0) : nil }
        defer {
            canceller?.stop()
            cancellation.finish()
            statementDepth -= 1
        }
        return try body()
    }

    /// Throws the statement's error if it was cancelled (Ctrl-C, its timeout): after a
    /// stage that stops early when cancelled and then returns an incomplete result.
    func checkCancelled() throws {
        if let reason = cancellation.reason { throw SessionError.interrupted(reason) }
    }

    private func perform(_ statement: Statement, in file: SourceFile) throws {
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
            guard mode == .interactive else {
                output.count(try count(compiled))
                return
            }
            // At the prompt, the count comes with its reach (one evaluation of the set).
            let r = try reach(of: compiled)
            output.count(Int64(r.audience))
            output.text(ReachRenderer.note(r))
        case .show(let q, let limit):
            try rows(q, limit: limit, columns: statement.columns, in: file)
        case .explain(let q, let analyze):
            let compiled = try compile(q, projection: .contacts(limit: nil), in: file)
            let text = analyze ? try analysis(of: compiled) : try explanation(of: compiled)
            if let writer = output as? ResultWriter, writer.format == .json || writer.format == .jsonl {
                output.text("{\"explain\": \(ResultWriter.jsonString(text))}")
            } else {
                output.text(text)
            }
        case .let(let name, let q):
            try defineAlias(name, q, in: file)
        case .useCampaign(let name):
            try useCampaign(name, in: file)
            output.note(campaignContext.map { "campaign context: \($0)" } ?? "campaign context cleared")
        case .saveSegment(let name, let q, let orReplace):
            try saveSegment(name, q, orReplace: orReplace, in: file)
        case .saveList(let name, let q, let orReplace, let includingSuppressed):
            try saveList(name, q, orReplace: orReplace, includingSuppressed: includingSuppressed, in: file)
        case .duplicate(let campaign, let audience, let includingSuppressed):
            try duplicate(campaign: campaign, audience: audience, includingSuppressed: includingSuppressed, in: file)
        case .export(let q, let path, let orReplace, let includingSuppressed):
            try export(q, to: path, orReplace: orReplace, includingSuppressed: includingSuppressed, columns: statement.columns, in: file)
        case .dropSegment(let name):
            try drop(.segment, name, in: file)
        case .dropList(let name):
            try drop(.list, name, in: file)
        case .diff(let q, let target):
            try diff(q, target, in: file)
        case .stats(let campaign, let message):
            try stats(campaign, message: message, statement: statement.range, in: file)
        case .why(let contact, let q):
            try why(contact, q, in: file)
        case .overlap(let qs):
            try runOverlap(qs, in: file)
        case .reach(let q):
            let r = try reach(q, in: file)
            output.beginRows(columns: ReachRenderer.columns)
            output.row(ReachRenderer.row(r))
            output.endRows()
        case .contact(let key):
            try contact(key, in: file)
        case .history(let name):
            try history(name, in: file)
        }
    }

    private func defineAlias(_ name: Name, _ q: Query, in file: SourceFile) throws {
        if EventKind(verb: name.text) != nil || EventKind(noun: name.text) != nil {
            throw SessionError.compile(
                [.error("'\(name.text)' is an event name and cannot be an alias", at: name.range)], file)
        }
        // Bind it now, so that a broken alias is reported where it is defined (binding
        // only: planning each link of a long chain of aliases again would be quadratic).
        let env = BindingEnvironment(catalog: try loadCatalog(), aliases: aliases, campaignContext: campaignContext,
                                     cancellation: cancellation)
        let (bound, diagnostics) = Binder.bind(q, in: env)
        try checkCancelled()
        let errors = diagnostics.filter { $0.severity == .error }
        guard bound != nil, errors.isEmpty else { throw SessionError.compile(errors, file) }
        for d in diagnostics { warn(DiagnosticRenderer.render(d, in: file, color: color)) }
        aliases.append(AliasDefinition(name: name.text, query: q))
        output.note("alias \(name.text) = \(Printer.source(of: q))")
    }

    // MARK: - Compiling

    func loadCatalog() throws -> Catalog {
        do {
            return try store.catalog()
        } catch {
            throw readFailure(error)
        }
    }

    /// A failure to read the store's catalog or listings: "cannot read the store: …",
    /// unless the statement was cancelled or the store is damaged (`storeFailure`).
    func readFailure(_ error: Error) -> SessionError {
        if let e = error as? DatabaseError, e.isInterrupt || e.isDamage {
            return storeFailure(e)
        }
        return .store("cannot read the store: \(userFacingDescription(error, verbose: verbose))")
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
            case .events(let f, _): f.campaigns == .any || Planner.scopeIsEveryCampaign(f, catalog)
            }
        }
        func lists(_ q: BoundQuery, into ids: inout Set<Int64>) {
            switch q {
            case .list(let id, _): ids.insert(id)
            case .and(let xs), .or(let xs): for x in xs { lists(x, into: &ids) }
            case .not(let x): lists(x, into: &ids)
            case .everyone, .nobody, .attribute, .column, .events: break
            }
        }
        var named: Set<Int64> = []
        lists(bound, into: &named)
        var out = try runtime { try store.withListSizes(catalog, of: named) }
        if out.sample == nil, sampled(bound) {
            out.sample = try runtime { try store.contactSample() }
        }
        return out
    }

    /// Binds, plans and renders `query`; warnings are reported through `warn`.
    public func compile(_ query: Query, projection: Projection, in file: SourceFile) throws -> CompiledQuery {
        let catalog = try loadCatalog()
        let env = BindingEnvironment(catalog: catalog, aliases: aliases, campaignContext: campaignContext, asOf: asOf,
                                     cancellation: cancellation)
        let (bound, diagnostics) = Binder.bind(query, in: env)
        try checkCancelled()
        let errors = diagnostics.filter { $0.severity == .error }
        guard let bound, errors.isEmpty else { throw SessionError.compile(errors, file) }
        let reasonWarnings = try unmatchedReasons(in: query)
        for d in diagnostics + reasonWarnings { warn(DiagnosticRenderer.render(d, in: file, color: color)) }
        return try compile(bound: bound, source: Printer.source(of: query), projection: projection,
                           catalog: catalog, warnings: diagnostics + reasonWarnings)
    }

    /// Warnings for the `reason:` patterns written in `query` that match no reason the
    /// store holds for a dropped or bounced event (the catalog does not know reasons:
    /// they are read only for a query that names one).
    func unmatchedReasons(in query: Query) throws -> [Diagnostic] {
        var patterns: [(String, SourceRange)] = []
        func walk(_ q: Query) {
            switch q.kind {
            case .or(let a, let b), .and(let a, let b): walk(a); walk(b)
            case .not(let a): walk(a)
            case .event(let e): collect(e.arguments)
            case .count(let c): collect(c.arguments)
            case .audience(let a): collect(a.arguments)
            case .field, .name, .segment, .list: break
            }
        }
        func collect(_ arguments: [Argument]) {
            for a in arguments where a.name == .reason {
                if case .string(let s) = a.value.kind { patterns.append((s, a.value.range)) }
            }
        }
        walk(query)
        guard !patterns.isEmpty else { return [] }
        let stored = try runtime { try store.storedEventReasons() }
        return patterns.compactMap { text, range in
            let pattern = GlobPattern(text)
            guard !stored.contains(where: pattern.matches) else { return nil }
            let shown = stored.prefix(5).map { "\"\($0)\"" }.joined(separator: ", ") + (stored.count > 5 ? ", …" : "")
            let message = "the pattern '\(text)' matches no stored reason of a dropped or bounced event, so this matches no contact"
                + (stored.isEmpty ? " (the store has none)" : "; the store has \(shown) (* matches any run of characters)")
            return .warning(message, at: range)
        }
    }

    /// Plans and renders a query already bound (a statement's, or one the session
    /// narrows, such as an export without the suppressed contacts).
    func compile(bound: BoundQuery, source: String, projection: Projection,
                 catalog: Catalog? = nil, warnings: [Diagnostic] = []) throws -> CompiledQuery {
        let catalog = try catalog ?? loadCatalog()
        let options = PlannerOptions(
            now: .fixed(now), strategy: strategy, useRollups: useRollups, useKeptSets: useKeptSets)
        let plan = Planner.plan(bound, catalog: try planningCatalog(catalog, for: bound), options: options,
                                cancellation: cancellation)
        try checkCancelled()
        let sql = SQLRenderer.render(plan, projection: projection, dialect: store.database.dialect)
        let program = plan.strategy == .bitmaps ? SQLRenderer.program(plan, dialect: store.database.dialect) : nil
        return CompiledQuery(
            source: source, bound: bound, plan: plan, sql: sql, program: program, warnings: warnings)
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
            if e.isInterrupt { return .interrupted(cancellation.reason ?? .interrupted) }
            if e.isDamage { return .damagedStore(path: store.path, detail: e.message) }
            if e.isReadOnly { return .readOnlyStore }
            // segq's own SQL is no help to the user, who wrote none (`--verbose` shows it).
            return .store(userFacingDescription(e, verbose: verbose))
        }
        return .store("\(error)")
    }

    func scalarCount(_ sql: CompiledSQL) throws -> Int64 {
        try runtime {
            if case .integer(let n)? = try store.database.scalar(sql.sql, sql.parameters) { return n }
            return 0
        }
    }

    /// Streams the contacts of `q` to the output.
    public func rows(_ q: Query, limit: Int64?, columns: [Name]? = nil, in file: SourceFile) throws {
        let chosen = try chosenColumns(columns, in: file)
        let compiled = try compile(q, projection: .contacts(limit: limit), in: file)
        try stream(compiled, limit: limit, chosen: chosen)
    }

    /// The contacts' rows (the spec's five columns, or those `with columns` chose), then
    /// a note that marks the suppressed contacts among them with why — `save list`,
    /// `duplicate` and `export` would leave those out.
    private func stream(_ c: CompiledQuery, limit: Int64?, chosen: ChosenColumns? = nil) throws {
        var shown: [Int64] = []
        output.beginRows(columns: chosen?.names ?? ChosenColumns.base)
        do {
            defer { output.endRows() }
            try withColumns(chosen, { emit in
                try contactRows(c, limit: limit) { (values: [SQLValue]) in
                    if case .integer(let id)? = values.first { shown.append(id) }
                    try emit(values)
                }
            }, emit: { output.row($0) })
        }
        // The suppressed ones among the rows shown, read by their ids.
        let suppressed = try suppression(ofContacts: shown)
        let markedIDs = shown.filter { suppressed[$0] != nil }
        let markedCount = markedIDs.count
        let named = Array(markedIDs.prefix(Self.suppressedShownLimit))
        let who = named.isEmpty ? [:] : try runtime { try store.contactAddresses(named) }
        let marked = named.map { id in "\(id)\(who[id].map { " " + $0 } ?? "") (\(suppressed[id] ?? ""))" }
        if markedCount > 0 {
            var note = "suppressed, left out of lists and exports: " + marked.joined(separator: "; ")
            if markedCount > marked.count { note += "; and \(markedCount - marked.count) more" }
            output.note(note)
        }
    }

    /// How many suppressed contacts the note after `show`'s rows names.
    static let suppressedShownLimit = 10

    private func preview(_ q: Query, in file: SourceFile) throws {
        let start = Clock.now()
        let counted = try compile(q, projection: .count, in: file)
        let n = try count(counted)
        // The same bound query, planned for its rows: compiled once, so each warning is
        // shown once.
        let shown = try compile(bound: counted.bound, source: counted.source, projection: .contacts(limit: previewLimit))
        try stream(shown, limit: previewLimit)
        let ms = Clock.millisecondsSince(start)
        var line = "\(n) contact\(n == 1 ? "" : "s")"
        if n > previewLimit { line += " (first \(previewLimit) shown)" }
        if timer { line += ", \(Clock.format(ms))" }
        output.note(line)
    }
}
