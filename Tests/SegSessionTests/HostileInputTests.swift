import Foundation
import SegQL
@testable import SegSession
import SegStore
import Testing

/// The reproducers of issue 21 (hostile input and faults), on the backend the suite
/// runs on: each must end in a clear error or an answer, the store unchanged by a
/// refused statement.
@Suite(.serialized) struct HostileInputTests {
    /// A chain of 50,000 `let` aliases, each the negation of the last: the definition
    /// that takes the expanded query past the depth limit is refused, naming the alias,
    /// and the script stops there (it used to overflow the stack).
    @Test func aLongChainOfAliasesIsRefusedAtTheDepthLimit() throws {
        let f = try ActionsFixture()
        var script = "let a0 = opened;\n"
        for i in 1..<50_000 { script += "let a\(i) = not a\(i - 1);\n" }
        script += "count a49999;\n"
        let e = try #require(f.run(script))
        let text = "\(e)"
        #expect(text.contains("nests more than \(Binder.maximumExpandedDepth) levels deep"))
        #expect(text.contains("once alias 'a"))
        #expect(f.session.aliases.count < 1_000)
        #expect(f.output.counts.isEmpty)
    }

    /// A query just inside the depth limit is answered, not a crash: 470 aliases each
    /// `not (clicked or …)` of the last nest about 1,410 levels once expanded, and every
    /// stage recurses over them on the test's own thread (the planner's lowering, at 14 KB
    /// a level in a debug build, overflowed an 8 MB stack near 600 levels).
    @Test func aQueryJustInsideTheDepthLimitIsAnswered() throws {
        let f = try ActionsFixture()
        var script = "let a0 = opened;\n"
        for i in 1..<470 { script += "let a\(i) = not (clicked or a\(i - 1));\n" }
        script += "count a469;\n"
        #expect(f.run(script) == nil)
        // a1 is "neither clicked nor opened", a2 "opened, not clicked", and so on in
        // turn: a469, like a1, is cy, dee and the phone contact.
        #expect(f.output.counts == [3])
    }

    /// Doubling aliases (`let a1 = (a0 or a0)`) reach the size limit at the 14th
    /// definition instead of growing exponentially.
    @Test func doublingAliasesAreRefusedAtTheSizeLimit() throws {
        let f = try ActionsFixture()
        var script = "let a0 = opened;\n"
        for i in 1..<40 { script += "let a\(i) = (a\(i - 1) or a\(i - 1));\n" }
        let e = try #require(f.run(script))
        #expect("\(e)".contains("more than \(Binder.maximumExpandedSize) conditions and operators once alias 'a12'"))
        #expect(f.session.aliases.count == 13)
    }

    /// Doubling saved segments likewise: the segment that passes the limit is not saved.
    @Test func doublingSegmentsAreRefusedAtTheSizeLimit() throws {
        let f = try ActionsFixture()
        var script = "save segment s0 = opened;\n"
        for i in 1..<30 { script += "save segment s\(i) = segment s\(i - 1) or segment s\(i - 1);\n" }
        let e = try #require(f.run(script))
        #expect("\(e)".contains("more than \(Binder.maximumExpandedSize) conditions and operators once segment 's12'"))
        let saved = try f.temp.store.catalog().segments
        #expect(saved.count == 13)
        #expect(saved["s13"] == nil)
        #expect(f.run("count segment s12") == nil)
        #expect(f.output.counts.last == 2)
    }

    /// An alias whose written-out text holds more operators than the parser reads back
    /// cannot be saved as a segment (it would save text that no longer parses).
    @Test func aSegmentWhoseExpandedTextWouldNotParseIsRefused() throws {
        let f = try ActionsFixture()
        var script = "let a0 = opened;\n"
        for i in 1...600 { script += "let a\(i) = delivered and opened and a\(i - 1);\n" }
        #expect(f.run(script) == nil)
        let e = try #require(f.run("save segment big = a600"))
        #expect("\(e)".contains("segment 'big' cannot be saved: with its aliases written out"))
        #expect(try f.temp.store.catalog().segments["big"] == nil)
    }

    /// A store that another tool wrote extreme times into (the 64-bit limits) can still
    /// be read: stats in any zone, the campaign listing and a duplicate compute with
    /// times clamped to 1900–9999 instead of trapping on overflow.
    @Test func extremeStoredTimesDoNotTrap() throws {
        let f = try ActionsFixture()
        let sql = """
            UPDATE campaigns SET sent_at = -9223372036854775808 WHERE name = 'Spring Sale';
            UPDATE events SET ts = 9223372036854775807 WHERE kind = 5;
            UPDATE events SET ts = -9223372036854775808 WHERE kind = 3;
            UPDATE event_stats SET min_ts = -9223372036854775808, max_ts = 9223372036854775807;
            UPDATE contacts SET created_at = -9223372036854775808;
            """
        let r = try f.sqlite3(sql)
        #expect(r.status == 0, "\(r.err)")
        for zone in ["UTC", "Europe/Stockholm", "Pacific/Kiritimati"] {
            f.session.timeZone = zone
            let name = "Spring Sale"
            let stats = try f.session.computeStats(
                Name(text: name, quoted: true, range: SourceRange(0, name.utf8.count)),
                message: nil, firstOpensOnly: false, in: SourceFile(name: "t", text: name))
            #expect(stats.campaign.sentAt == Timestamp.earliest)
            #expect(stats.heatmap?.counts.joined().reduce(0, +) == 2)
        }
        #expect(f.run(#"stats "Spring Sale""#) == nil)
        let listing = try f.session.campaignListing()
        #expect(listing.rows.contains { $0.contains(.text("1900-01-01")) })
        #expect(f.run(#"duplicate campaign "Spring Sale" for openers"#) == nil)
        #expect(f.run(#"count created_at < "1950-01-01" and opened(within: 30d)"#) == nil)
    }

    /// Export paths: a NUL (which C would cut the path at) or any control character is
    /// refused; the store's own files are never written, by any spelling or link; an
    /// existing file is kept unless `export or replace`.
    @Test func exportWritesOnlyWhereMeant() throws {
        let f = try ActionsFixture()
        let dir = f.temp.directory.path
        func exportError(_ path: String, replace: Bool = false) -> String? {
            f.run("export \(replace ? "or replace " : "")everyone to \(segqlString(path))").map { "\($0)" }
        }
        // The store is untouched by every refused export below (SQLite: its file's bytes).
        let storeBytes = TemporaryStore.postgres == nil ? try Data(contentsOf: URL(fileURLWithPath: f.temp.path)) : nil
        for bad in [f.temp.path + "\u{0}.csv", dir + "/evil\u{0}.sh\u{0}.csv", dir + "/a\nb.csv", dir + "/a\u{1B}[31m.csv"] {
            #expect(exportError(bad)?.contains("an export path cannot contain control characters") == true)
        }
        #expect(exportError(dir + "/evil.sh") != nil)
        #expect(!FileManager.default.fileExists(atPath: dir + "/evil"))
        #expect(!FileManager.default.fileExists(atPath: dir + "/evil.sh"))
        if TemporaryStore.postgres == nil {
            // The store by a name with the right extension: a hard link, and a symbolic link to its directory.
            try FileManager.default.linkItem(atPath: f.temp.path, toPath: dir + "/store-link.csv")
            try FileManager.default.createSymbolicLink(atPath: dir + "/here", withDestinationPath: dir)
            let sneaky = [dir + "/store-link.csv", dir + "/here/store-link.csv"]
            for path in sneaky {
                #expect(exportError(path, replace: true)?.contains("is the store's own file") == true)
            }
            #expect(try Data(contentsOf: URL(fileURLWithPath: f.temp.path)) == storeBytes)
            try FileManager.default.removeItem(atPath: dir + "/store-link.csv")
        }
        // An existing file is kept, then replaced when asked.
        let target = dir + "/mine.csv"
        try "precious\n".write(toFile: target, atomically: false, encoding: .utf8)
        #expect(exportError(target)?.contains("already exists; use 'export or replace") == true)
        #expect(try String(contentsOfFile: target, encoding: .utf8) == "precious\n")
        #expect(exportError(target, replace: true) == nil)
        #expect(try String(contentsOfFile: target, encoding: .utf8).hasPrefix("contact_id,email"))
        // A new file needs no `or replace`; nothing temporary is left behind.
        #expect(exportError(dir + "/new.jsonl") == nil)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.contains(".tmp") }.isEmpty)
    }

    /// `field in [...]` with a long list binds it as one value (json_each on SQLite, an
    /// array on PostgreSQL): 100,000 values (past SQLite's 32,766 parameters) work and
    /// answer as a short list does, for contact columns and for attributes of each type,
    /// with quotes, backslashes and non-ASCII in the values.
    @Test func longInListsAreOneBoundValue() throws {
        let f = try ActionsFixture(extra: [
            #"{"record":"contact","email":"odd@example.com","attributes":{"nick":"a\"b\\c é","age":34,"score":2.5,"vip":true}}"#,
        ])
        let filler = (0..<100_000).map { "\"u\($0)@example.com\"" }.joined(separator: ", ")
        #expect(f.run("count email in [\(filler), \"ANA@example.com\", \"cy@example.com\"]") == nil)
        #expect(f.output.counts.last == 2)
        let words = (0..<200).map { "\"w\($0)\"" }.joined(separator: ", ")
        #expect(f.run("count country in [\(words), \"SE\"]") == nil)
        #expect(f.output.counts.last == 2)
        #expect(f.run(#"count nick in ["#  + words + #", "a\"b\\c é"]"#) == nil)
        #expect(f.output.counts.last == 1)
        let numbers = (100..<300).map(String.init).joined(separator: ", ")
        #expect(f.run("count age in [\(numbers), 34] or score in [\(numbers), 2.5]") == nil)
        #expect(f.output.counts.last == 1)
        #expect(f.run("count vip in [\(words), true]") == nil)
        #expect(f.output.counts.last == 1)
        // Only short lists are written out value by value.
        let sql = try #require(f.session.compile(
            Parser.parseQuery(SourceFile(name: "q", text: "country in [\(words)]")).query!,
            projection: .count, in: SourceFile(name: "q", text: "")).sql)
        #expect(sql.parameters.count < 10)
    }

    /// Control characters from the store are shown as escapes in table output, in
    /// errors and in "did you mean" suggestions; CSV cells that a spreadsheet would run
    /// as formulas are prefixed with `'`, plain numbers (a phone) left alone.
    @Test func storedTextCannotDriveTheTerminalOrASpreadsheet() throws {
        let f = try ActionsFixture(extra: [
            #"{"record":"campaign","name":"Evil\u001b[2J Sale","channel":"email","sent_at":"2026-03-03T09:00:00Z"}"#,
            #"{"record":"contact","email":"evil@example.com","phone":"+46700000009","first_name":"\u001b]0;pwned\u0007x","last_name":"=HYPERLINK(\"http://x\",\"y\")"}"#,
            #"{"record":"contact","email":"at@example.com","first_name":"@SUM(1)","last_name":"-2+3"}"#,
            #"{"record":"event","kind":"delivered","contact":"evil@example.com","campaign":"Evil\u001b[2J Sale","ts":"2026-03-03T09:01:00Z"}"#,
        ])
        let dir = f.temp.directory.path
        func written(_ format: OutputFormat, _ statements: String) throws -> String {
            let path = dir + "/out-\(format)"
            let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
            let writer = ResultWriter(format: format, sink: ByteSink(fileDescriptor: fd))
            f.session.output = writer
            defer { f.session.output = f.output }
            #expect(f.run(statements) == nil)
            writer.sink.flush()
            close(fd)
            return try String(contentsOfFile: path, encoding: .utf8)
        }
        let table = try written(.table, #"show email = "evil@example.com"; stats "Evil\u{1B}[2J Sale""#)
        #expect(!table.unicodeScalars.contains { $0.value == 0x1B || $0.value == 0x07 })
        #expect(table.contains(#"\x1B]0;pwned\x07x"#))
        #expect(table.contains(#"Evil\x1B[2J Sale"#))
        // An error naming the stored campaign, with it as the suggestion.
        let e = try #require(f.run(#"count opened(campaign: "Evil[2J Sale")"#))
        let message = "\(e)"
        #expect(!message.unicodeScalars.contains { $0.value == 0x1B })
        #expect(message.contains(#"did you mean 'Evil\x1B[2J Sale'?"#))
        // CSV: formulas neutralised, numbers kept.
        #expect(f.run("export email in [\"evil@example.com\", \"at@example.com\"] to \(segqlString(dir + "/x.csv"))") == nil)
        let csv = try String(contentsOfFile: dir + "/x.csv", encoding: .utf8)
        #expect(csv.contains(#",+46700000009,"#))
        #expect(csv.contains(#""'=HYPERLINK(""http://x"",""y"")""#))
        #expect(csv.contains(#",'@SUM(1),'-2+3"#))
        #expect(ResultWriter.neutralized("-7") == "-7" && ResultWriter.neutralized("-2.5") == "-2.5" && ResultWriter.neutralized("-") == "'-")
    }

    /// A segment whose view name would be one of segq's tables (`segment_dependencies`)
    /// gets another name, as a collision with another segment's view does.
    @Test func aSegmentNamedLikeATableIsSaved() throws {
        let f = try ActionsFixture()
        #expect(f.run(#"save segment "dependencies" = opened"#) == nil)
        #expect(f.lastText().contains("view segment_dependencies_2"))
        #expect(f.run(#"save or replace segment "dependencies" = clicked; count segment "dependencies""#) == nil)
        #expect(f.output.counts.last == 1)
        let r = try f.sqlite3("SELECT count(*) FROM segment_dependencies_2")
        #expect(r.status == 0 && r.out.trimmingCharacters(in: .whitespacesAndNewlines) == "1", "\(r.err)")
    }

    /// A store failure names the problem, not the SQL segq was running; `verbose`
    /// (`--verbose`) shows the SQL as well.
    @Test func storeErrorsShowNoInternalSQL() throws {
        let f = try ActionsFixture()
        let r = try f.sqlite3("ALTER TABLE list_members RENAME TO list_members_gone")
        #expect(r.status == 0, "\(r.err)")
        let e = "\(try #require(f.run("save list l = everyone")))"
        #expect(e.contains("list_members"))
        #expect(!e.contains("INSERT") && !e.contains("while executing"))
        f.session.verbose = true
        let verbose = "\(try #require(f.run("save list l2 = everyone")))"
        #expect(verbose.contains("while executing"))
    }

    // MARK: Cancellation (Ctrl-C and the statement timeout)

    /// A statement whose cancellation is set before it compiles (as Ctrl-C at the
    /// prompt sets it) stops in the compiler with "interrupted": no timing involved.
    @Test func aCancelledStatementStopsWhileCompiling() throws {
        let f = try ActionsFixture()
        var script = "let a0 = opened;\n"
        for i in 1...12 { script += "let a\(i) = (a\(i - 1) or a\(i - 1));\n" }
        #expect(f.run(script) == nil)
        let file = SourceFile(name: "t", text: "a12 and country = \"SE\"")
        let query = try #require(Parser.parseQuery(file).query)
        f.session.cancellation.start(timeout: nil)
        f.session.cancellation.cancel()
        defer { f.session.cancellation.finish() }
        do {
            _ = try f.session.compile(query, projection: .count, in: file)
            Issue.record("a cancelled statement compiled")
        } catch let e as SessionError {
            #expect(e.isInterrupt)
            #expect("\(e)" == "error: interrupted")
        }
        // Parsing a script stops too (the input reads as ended), reported the same way.
        let source = SourceFile(name: "t", text: "count email in [" + (0..<20_000).map { "\"c\($0)\"" }.joined(separator: ", ") + "]")
        f.session.cancellation.start(timeout: nil)
        f.session.cancellation.cancel()
        let (_, diagnostics) = Parser.parseScript(source, cancellation: f.session.cancellation)
        #expect(diagnostics.contains { $0.severity == .error })
    }

    /// The statement timeout covers compiling and running, on the suite's backend: a
    /// deadline of one nanosecond has passed by the first poll, so every statement,
    /// writing ones included, fails with the timeout's message and writes nothing;
    /// without the timeout the same statements run.
    @Test func theTimeoutCancelsEveryStatementPastItsDeadline() throws {
        let f = try ActionsFixture()
        let out = f.temp.directory.appendingPathComponent("out.csv").path
        let file = SourceFile(name: "t", text: """
            count opened; show everyone; save segment s = opened; save list l = opened; let a = opened;
            stats "Spring Sale"; export opened to "\(out)"
            """)
        let (statements, diagnostics) = Parser.parseScript(file)
        #expect(diagnostics.isEmpty && statements.count == 7)
        // Parsing a script is timed as a statement of its own.
        f.session.timeout = 1e-9
        #expect("\(try #require(f.run("count opened")))" == "error: statement cancelled after 1e-09 s (--timeout)")
        for statement in statements {
            do {
                try f.session.execute(statement, in: file)
                Issue.record("\(Printer.source(of: statement)) ran past its timeout")
            } catch let e as SessionError {
                #expect("\(e)" == "error: statement cancelled after 1e-09 s (--timeout)")
                #expect(e.isInterrupt)
            }
        }
        #expect(!FileManager.default.fileExists(atPath: out))
        let catalog = try f.temp.store.catalog()
        #expect(catalog.segments.isEmpty && catalog.lists.isEmpty)
        #expect(f.session.aliases.isEmpty)
        f.session.timeout = 60
        #expect(f.run("count opened; save segment s = opened") == nil)
        #expect(f.output.counts == [2])
        f.session.timeout = nil
        #expect(f.run("count segment s") == nil)
    }

    /// A statement already running on the database is stopped at its deadline: SQLite
    /// by its progress handler, PostgreSQL by a cancel request. The query would run
    /// for a very long time otherwise (the test's own limit).
    @Test func theTimeoutStopsARunningQuery() throws {
        let f = try ActionsFixture()
        f.session.timeout = 0.3
        let db = f.session.store.database
        let endless = db.isPostgres
            ? "SELECT pg_sleep(600)"
            : "WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c) SELECT count(*) FROM c"
        do {
            try f.session.asStatement { try f.session.runtime { _ = try db.scalar(endless) } }
            Issue.record("the query ran to its end")
        } catch let e as SessionError {
            #expect("\(e)" == "error: statement cancelled after 0.3 s (--timeout)")
        }
        // The connection is usable at once for the next statement.
        #expect(f.run("count opened") == nil)
        #expect(f.output.counts == [2])
    }
}
