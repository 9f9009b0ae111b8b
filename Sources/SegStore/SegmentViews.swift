// The SQL views of saved segments, for other tools.
//
// A saved segment is stored as self-contained SegQL text; its view is that text
// compiled (by the compiler the session gives the store, `Store.segmentCompiler`:
// the store never runs the compiler itself) with the literals inlined (quoted by the store dialect's own rules) and `within`
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

/// Compiles the saved segment named, of the catalog given, to one statement in the
/// dialect given, with `within` measured from the `now` given, projecting what is given,
/// its literals inlined or not; or says why it cannot be compiled. The store never runs
/// the compiler itself: the session gives it this (SegQL's `SavedSegmentSQL.compile`).
public typealias SegmentCompiler = @Sendable (
    _ segment: String, _ catalog: Catalog, _ dialect: any SQLDialect, _ now: NowValue,
    _ projection: Projection, _ inlineLiterals: Bool
) -> Result<CompiledSQL, Diagnostic>

/// A store with saved segments was asked to write their views or evaluate them as
/// statements, but was given no `Store.segmentCompiler` to compile their text with.
public struct SegmentCompilerMissing: Error, CustomStringConvertible, Equatable {
    public var description: String {
        "the store has saved segments but was given no segment compiler to compile their views with (Store.segmentCompiler)"
    }
}

extension Store {
    /// The compiler given, or `SegmentCompilerMissing`.
    func requireSegmentCompiler() throws -> SegmentCompiler {
        guard let segmentCompiler else { throw SegmentCompilerMissing() }
        return segmentCompiler
    }
}

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

    /// Drops and recreates every segment's view from its saved text, compiled by the
    /// store's `segmentCompiler` (`SegmentCompilerMissing` when there are views to
    /// write and none was given). Run inside the transaction that changed what the
    /// views depend on.
    public static func refreshAll(in store: Store) throws {
        let catalog = try store.withListSizes(try store.catalog())
        var views: [(name: String, view: String)] = []
        try store.database.query("SELECT name, view_name FROM segments ORDER BY id") { row in
            views.append((row.text(0), row.text(1)))
        }
        guard !views.isEmpty else { return }
        let compile = try store.requireSegmentCompiler()
        let dialect = store.database.dialect
        for (name, view) in views {
            let quoted = dialect.quoteIdentifier(view)
            let body: String
            switch compile(name, catalog, dialect, .readTime, .contacts(limit: nil), true).map(\.sql) {
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
