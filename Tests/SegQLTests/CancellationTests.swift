import Testing
@testable import SegQL

/// The compiler stops when its statement is cancelled (Ctrl-C, a timeout): the binder
/// and the planner poll the flag at every node, so a cancelled statement's compilation
/// ends at once, however large the query, instead of running to its end.
@Suite struct CancellationTests {
    /// A flag cancelled before binding: the binder stops at the first node, and the
    /// query it returns is not the query (the caller reports the cancellation).
    @Test func aCancelledFlagStopsTheBinder() throws {
        let flag = Cancellation()
        flag.start(timeout: nil)
        flag.cancel()
        let query = try #require(Parser.parseQuery(SourceFile(name: "t", text: "opened and country = \"SE\"")).query)
        let (bound, diagnostics) = Binder.bind(query, in: BindingEnvironment(catalog: testCatalog, cancellation: flag))
        #expect(bound == .nobody)
        #expect(diagnostics.isEmpty)
        // The same query, not cancelled, binds in full.
        let (full, _) = Binder.bind(query, in: BindingEnvironment(catalog: testCatalog))
        #expect(full != .nobody && full != nil)
    }

    /// The planner stops too: the plan of a cancelled statement is incomplete, never
    /// mistaken for an answer by a caller that checks the flag.
    @Test func aCancelledFlagStopsThePlanner() throws {
        let query = try #require(Parser.parseQuery(SourceFile(name: "t", text: "opened(campaign: \"Spring Sale\") and not clicked")).query)
        let bound = try #require(Binder.bind(query, in: BindingEnvironment(catalog: testCatalog)).query)
        let options = PlannerOptions(now: .fixed(1_780_272_000))
        let full = Planner.plan(bound, catalog: testCatalog, options: options)
        let flag = Cancellation()
        flag.start(timeout: nil)
        flag.cancel()
        let stopped = Planner.plan(bound, catalog: testCatalog, options: options, cancellation: flag)
        #expect(full.filter != .nobody)
        #expect(stopped.filter == .nobody)
    }

    /// The flag's life: clear at the start of a statement, set by `cancel()` while one
    /// runs, cleared when it finishes; a deadline already past reads as a timeout with the
    /// seconds it was given.
    @Test func theFlagIsClearedAtEachStartAndReportsWhy() {
        let flag = Cancellation()
        // Between statements, Ctrl-C stops nothing.
        flag.cancel()
        #expect(flag.reason == nil)
        flag.start(timeout: nil)
        #expect(flag.reason == nil)
        flag.cancel()
        #expect(flag.reason == .interrupted)
        #expect(flag.reason?.message == "interrupted")
        flag.start(timeout: 3_600)
        #expect(flag.reason == nil)
        #expect((flag.remainingNanoseconds ?? 0) > 3_000 * 1_000_000_000)
        flag.cancel()
        flag.finish()
        #expect(flag.remainingNanoseconds == nil)
        #expect(flag.reason == nil)
        // A deadline of one nanosecond has passed by the time the flag is read.
        flag.start(timeout: 1e-9)
        #expect(flag.reason == .timedOut(seconds: 1e-9))
        flag.start(timeout: 0.5)
        flag.cancel()
        #expect(flag.reason == .interrupted)
        #expect(CancellationReason.timedOut(seconds: 5).message == "statement cancelled after 5 s (--timeout)")
        #expect(CancellationReason.timedOut(seconds: 0.25).message == "statement cancelled after 0.25 s (--timeout)")
    }
}
