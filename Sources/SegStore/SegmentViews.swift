// The SQL views of saved segments, for other tools.
//
// A saved segment is stored as self-contained SegQL text; its view is that text
// compiled with the literals inlined (quoted by the store dialect's own rules) and `within`
// measured from the time the view is read. Because the compiled SQL refers to
// campaigns and links by id, and globs are resolved when it is compiled, the views
// are compiled again, in the transaction of the change, whenever segq changes what
// they depend on: when a segment or list is saved or dropped, a campaign duplicated,
// a store copied, and by every import (Importer.run, before its commit: new campaigns,
// links and attribute names). A segment used by another is inlined into that one's
// view, so rewriting every view rewrites the ones that depend on a changed segment.
//
// A segment whose text no longer binds (a campaign it names was renamed or removed)
// gets a view that fails when read, naming the problem — it never silently returns
// a different set of contacts.

import SegQL

/// View names and (re)creation.
public enum SegmentViews {
    /// The view name for a segment name: `segment_` and the name lower-cased, with every
    /// character other than a-z, 0-9 and `_` replaced by `_` (`Spring openers!` →
    /// `segment_spring_openers_`). A name already taken by another segment's view gets
    /// `_2`, `_3`, … in the order the segments were saved.
    public static func viewName(for name: String, taken: Set<String>) -> String {
        var base = "segment_"
        for u in name.lowercased().unicodeScalars {
            switch u {
            case "a"..."z", "0"..."9", "_": base.unicodeScalars.append(u)
            default: base += "_"
            }
        }
        var candidate = base
        var n = 2
        while taken.contains(candidate) {
            candidate = "\(base)_\(n)"
            n += 1
        }
        return candidate
    }

    /// The SQL of a segment's view, or why it cannot be compiled.
    public static func viewSQL(segment name: String, catalog: Catalog, dialect: any SQLDialect = SQLiteDialect()) -> Result<String, Diagnostic> {
        compiled(segment: name, catalog: catalog, dialect: dialect, now: .readTime, projection: .contacts(limit: nil),
                 inlineLiterals: true).map(\.sql)
    }

    /// A segment's saved text compiled to one statement, with `within` measured from
    /// `now`, or why it cannot be compiled (the view's SQL, or an evaluation's for the
    /// segment's history).
    static func compiled(
        segment name: String, catalog: Catalog, dialect: any SQLDialect, now: NowValue,
        projection: Projection, inlineLiterals: Bool
    ) -> Result<CompiledSQL, Diagnostic> {
        guard let source = catalog.segments[name] else {
            return .failure(.error("no saved segment named '\(name)'", at: .at(0)))
        }
        let file = SourceFile(name: "segment \"\(name)\"", text: source)
        let (parsed, parseDiagnostics) = Parser.parseQuery(file)
        guard let query = parsed else {
            return .failure(parseDiagnostics.first ?? .error("the saved text does not parse", at: .at(0)))
        }
        // Bind as a reference would, so that nested segments and cycles are handled alike.
        let reference = Query(.segment(Name(text: name, quoted: true, range: query.range)), range: query.range)
        let (bound, diagnostics) = Binder.bind(reference, in: BindingEnvironment(catalog: catalog))
        guard let bound else {
            return .failure(diagnostics.first { $0.severity == .error } ?? .error("the segment does not bind", at: .at(0)))
        }
        let plan = Planner.plan(bound, catalog: catalog, options: PlannerOptions(now: now))
        return .success(SQLRenderer.render(plan, projection: projection, dialect: dialect, inlineLiterals: inlineLiterals))
    }

    /// Drops and recreates every segment's view from its saved text. Run inside the
    /// transaction that changed what the views depend on.
    public static func refreshAll(in store: Store) throws {
        let catalog = try store.catalog()
        var views: [(name: String, view: String)] = []
        try store.database.query("SELECT name, view_name FROM segments ORDER BY id") { row in
            views.append((row.text(0), row.text(1)))
        }
        let dialect = store.database.dialect
        for (name, view) in views {
            let quoted = dialect.quoteIdentifier(view)
            let body: String
            switch viewSQL(segment: name, catalog: catalog, dialect: dialect) {
            case .success(let sql):
                body = sql
            case .failure(let d):
                let message = "segment '\(name)' is broken: \(d.message)"
                body = store.database.failingViewBody(message)
            }
            try store.database.execute("DROP VIEW IF EXISTS \(quoted); CREATE VIEW \(quoted) AS \(body)")
        }
    }
}
