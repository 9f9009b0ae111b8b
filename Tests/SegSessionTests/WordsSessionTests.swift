import Foundation
import SegQL
import SegSession
import SegStore
import Testing

/// `duplicate … for segment/list`, `_`, scripts without `;` — on the database the
/// suite runs on (SQLite, or PostgreSQL with SEGQ_TEST_POSTGRES).
extension ActionsFixture {
    func lastResultSource() -> String? { session.lastResult.map { Printer.source(of: $0) } }
}

@Suite(.serialized) struct WordsSessionTests {
    @Test func duplicateForASegmentOrAListByKind() throws {
        let f = try ActionsFixture()
        // "fans" is both a segment (SE openers: ana) and a list (cy alone).
        #expect(f.run(#"save segment fans = opened and country = "SE"; save list fans = email = "cy@example.com""#) == nil)
        #expect(f.run(#"duplicate campaign "Spring Sale" for segment fans"#) == nil)
        #expect(f.lastText().contains("'Copy D+3 - fans: Spring Sale'"), "\(f.lastText())")
        #expect(try f.members(#"list "Copy D+3 - fans: Spring Sale""#) == ["ana@example.com"])
        let g = try ActionsFixture()
        #expect(g.run(#"save segment fans = opened and country = "SE"; save list fans = email = "cy@example.com""#) == nil)
        #expect(g.run(#"duplicate campaign "Spring Sale" for list "fans" including suppressed"#) == nil)
        #expect(try g.members(#"list "Copy D+3 - fans: Spring Sale""#) == ["cy@example.com"])
        // An unknown segment is an error that names it, and nothing is created.
        let e = g.run(#"duplicate campaign "Spring Sale" for segment nope"#)
        #expect(e.map { "\($0)" }?.contains("no saved segment named 'nope'") == true)
        let r = try g.sqlite3("SELECT count(*) FROM campaigns")
        #expect(r.out.trimmingCharacters(in: .newlines) == "3")
    }

    @Test func underscoreIsThePreviousQuery() throws {
        let f = try ActionsFixture()
        // Nothing has run yet: an error at the `_`.
        let none = f.run("save list x = _")
        #expect(none.map { "\($0)" }?.contains(":1:15: error: '_' is the previous query's result, and no query has run yet") == true, "\(String(describing: none))")
        // The previous query, with the alias and the context it ran under.
        #expect(f.run(#"use campaign "Spring Sale"; let se = country = "SE"; count openers and se"#) == nil)
        #expect(f.output.counts.last == 1)
        #expect(f.run(#"use campaign none; save list fans = _"#) == nil)
        #expect(f.lastResultSource() == #"opened(campaign: "Spring Sale") and country = "SE""#, "written out, with no context")
        #expect(try f.members("list fans") == ["ana@example.com"])
        // `_` after a statement that used `_`: the query grows.
        #expect(f.run("show _ or email = \"dee@example.com\"") == nil)
        #expect(f.run("count _") == nil)
        #expect(f.output.counts.last == 2)
        // `let` and `explain` use `_` but do not change it; a failed statement neither.
        #expect(f.run("let both = _; explain everyone; count nobody_here") != nil)
        #expect(f.run("count _ and both") == nil)
        #expect(f.output.counts.last == 2)
        #expect(f.run("let _ = opened").map { "\($0)" }?.contains("'_' is the last result and cannot be an alias") == true)
        // Saved text is self-contained.
        #expect(f.run("save segment s = _") == nil)
        let saved = try f.sqlite3("SELECT query FROM segments WHERE name = 's'").out
        // (`members` ran `show list fans`, so `_` has built on `list fans` since.)
        #expect(saved.trimmingCharacters(in: .newlines) == #"(list fans or email = "dee@example.com") and (list fans or email = "dee@example.com")"#)
    }

    @Test func aScriptRunsOneStatementPerLine() throws {
        let f = try ActionsFixture()
        let script = """
            use campaign "Spring Sale"
            let se = country =
                "SE"
            count openers and
                  se
            count clickers   # a comment
            count inactive(within: 1mo)
            """
        #expect(f.run(script) == nil)
        #expect(f.output.counts == [1, 1, 1])
        #expect(f.run("count openers\nand se")?.description.contains("to go on, end that line with 'and'") == true)
    }
}
