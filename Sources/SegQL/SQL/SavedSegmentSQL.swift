// A saved segment's text compiled to one statement: what the store keeps as the
// segment's view (literals inlined, `within` measured when the view is read), and what
// records its history when no set engine is given (`now` fixed, parameters bound).
//
// It lives in the language library because the store never runs the compiler: whoever
// opens a store to change what the views depend on (the session, and through it
// `segq import`) hands the store this function (`Store.segmentCompiler`), and the
// store calls it with its catalog, inside the transaction of the change.

/// Compiling a saved segment's text.
public enum SavedSegmentSQL {
    /// The saved segment `name` of `catalog` compiled to one statement, with `within`
    /// measured from `now`, or why it cannot be compiled. It is bound as a reference
    /// to it would be, so that nested segments and cycles are handled alike.
    public static func compile(
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
        let reference = Query(.segment(Name(text: name, quoted: true, range: query.range)), range: query.range)
        let (bound, diagnostics) = Binder.bind(reference, in: BindingEnvironment(catalog: catalog))
        guard let bound else {
            return .failure(diagnostics.first { $0.severity == .error } ?? .error("the segment does not bind", at: .at(0)))
        }
        let plan = Planner.plan(bound, catalog: catalog, options: PlannerOptions(now: now))
        return .success(SQLRenderer.render(plan, projection: projection, dialect: dialect, inlineLiterals: inlineLiterals))
    }
}
