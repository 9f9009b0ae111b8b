// The command line, end to end through the built binary: every output format (exact
// bytes against goldens), every exit status, each shared option, stdin, -c.

import Foundation
import Testing

@Suite(.serialized) struct CommandLineTests {
    let db: String

    init() throws {
        db = try fixtureStore.get()
    }

    func run(_ args: [String], stdin: String? = nil, environment: [String: String] = [:]) throws -> Output {
        try segq(["run", "--db", db, "--now", fixtureNow] + args, stdin: stdin, environment: environment)
    }

    @Test func aDotCommandInRunSaysToUseThePrompt() throws {
        let r = try run(["-c", "count everyone\n  .links \"Spring Sale\""])
        #expect(r.status == 1)
        #expect(r.stdout.isEmpty)
        #expect(r.stderr.contains("<command line>:2:3: error: unexpected character '.'; '.links' is a command of the prompt, not a statement"))
        #expect(r.stderr.contains("'segq repl'"))
        // A decimal point is not a dot-command.
        #expect(try run(["-c", "count opens >= .5"]).stderr.contains("unexpected character '.'\n"))
    }

    // MARK: stats

    @Test func statsWritesFiguresAsCSVTSVAndJSONLines() throws {
        let csv = try segq(["stats", "--db", db, "Spring Sale", "--format", "csv"])
        #expect(csv.status == 0)
        let lines = csv.stdout.components(separatedBy: "\r\n").dropLast()
        #expect(lines.first == "figure,value")
        #expect(lines.contains("campaign,Spring Sale"))
        #expect(lines.contains("sent_at,2026-03-01T09:00:00Z"))
        #expect(lines.contains { $0.hasPrefix("contacts.sent,") && Int($0.dropFirst(14)) != nil })
        #expect(lines.contains { $0.hasPrefix("heatmap.opens.6.23,") })
        #expect(lines.dropFirst().allSatisfy { $0.split(separator: ",", omittingEmptySubsequences: false).count >= 2 })
        let tsv = try segq(["stats", "--db", db, "Spring Sale", "--format", "tsv"])
        #expect(tsv.stdout.hasPrefix("figure\tvalue\ncampaign\tSpring Sale\n"))
        let jsonl = try segq(["stats", "--db", db, "Spring Sale", "--format", "jsonl"])
        #expect(jsonl.stdout.split(separator: "\n").count == 1)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(jsonl.stdout.utf8)) as? [String: Any])
        #expect(object["campaign"] as? String == "Spring Sale")
        // Not a terminal and no --format: the report, as before (a machine format is asked for by name).
        let report = try segq(["stats", "--db", db, "Spring Sale"])
        #expect(report.stdout.hasPrefix(#"Campaign "Spring Sale" (email, sent 2026-03-01 09:00 UTC"#))
    }

    @Test func statsShowsTimesInTZUnlessTzSaysOtherwise() throws {
        let local = try segq(["stats", "--db", db, "Spring Sale"], environment: ["TZ": "America/New_York"])
        #expect(local.status == 0)
        #expect(local.stdout.hasPrefix(#"Campaign "Spring Sale" (email, sent 2026-03-01 04:00 America/New_York"#))
        #expect(local.stdout.contains("Opens by day and hour (America/New_York, "))
        let json = try segq(["stats", "--db", db, "Spring Sale", "--format", "json"], environment: ["TZ": "America/New_York"])
        #expect(json.stdout.contains(#""time_zone": "America/New_York""#))
        let utc = try segq(["stats", "--db", db, "Spring Sale", "--tz", "UTC"], environment: ["TZ": "America/New_York"])
        #expect(utc.stdout.contains("Opens by day and hour (UTC, "))
        // `run` too: `stats` and `contact` in the viewer's zone.
        let run = try run(["--format", "table", "-c", #"stats "Spring Sale""#], environment: ["TZ": "Asia/Tokyo"])
        #expect(run.stdout.contains("sent 2026-03-01 18:00 Asia/Tokyo"))
    }

    // MARK: Formats

    @Test(arguments: ["table", "csv", "tsv", "json", "jsonl"])
    func formats(_ format: String) throws {
        let r = try run(["--format", format, "-c", "show everyone; count openers; show nobody_here"],
                        environment: [:])
        // `nobody_here` is unknown: the first two statements ran, then exit 1.
        #expect(r.status == 1)
        try expectGolden(r.stdout, "format-\(format).txt")
    }

    @Test(arguments: ["table", "csv", "tsv", "json", "jsonl"])
    func emptyResults(_ format: String) throws {
        let r = try run(["--format", format, "-c", "show everyone and not everyone; count everyone and not everyone"])
        #expect(r.status == 0)
        try expectGolden(r.stdout, "empty-\(format).txt")
    }

    /// The rows keep exactly the spec's columns; the suppressed contacts among them are
    /// named after them, on standard error in a script.
    @Test func showMarksSuppressedContactsOutsideTheRows() throws {
        let r = try run(["-c", "show everyone"])
        #expect(r.stdout.hasPrefix("contact_id,email,phone,first_name,last_name\r\n"))
        #expect(r.stderr == "suppressed, left out of lists and exports: 5 eva@example.com (hard-bounced)\n")
    }

    @Test func csvIsTheDefaultWhenNotATerminal() throws {
        let r = try run(["-c", "show clickers"])
        // Cléo clicked only a footer link, which is not a click.
        #expect(r.stdout == "contact_id,email,phone,first_name,last_name\r\n1,ana@example.com,+46701234567,Ana,Berg\r\n4,,+46709999999,Dag,Tab\there\r\n")
    }

    @Test func contactAsJSONAndAsText() throws {
        let j = try run(["--format", "json", "--tz", "Europe/Stockholm", "-c", #"contact "Bo@Example.com""#])
        #expect(j.status == 0, "\(j.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(j.stdout.utf8)) as? [String: Any])
        #expect(object["first_name"] as? String == "Bo, Jr.")
        #expect(object["time_zone"] as? String == "Europe/Stockholm")
        let events = try #require(object["events"] as? [[String: Any]])
        #expect(events.last?["kind"] as? String == "sent")
        #expect(events.last?["time"] as? String == "2026-03-01 10:00:00 +01:00")
        let t = try run(["--format", "csv", "-c", "contact 2"])
        #expect(t.status == 0)
        #expect(t.stdout.contains("email       bo@example.com\n"))
        #expect(t.stdout.contains("time,campaign,message,kind,link,bounce,reason,machine\r\n"))
        #expect(t.stdout.hasSuffix("2026-03-01 09:00:00 +00:00,Spring Sale,1,sent,,,,\r\n"))
        let bad = try run(["--tz", "Mars/Olympus", "-c", "contact 2"])
        #expect(bad.status == 2)
    }

    // MARK: Exit statuses

    /// docs/cli.md § Exit status: saving under a name that is taken is an error in the
    /// input (1, pointing at the name), a copy name `duplicate` would take a runtime one.
    @Test func anExistingSegmentNameIsAnErrorInTheInput() throws {
        let dir = try temporaryDirectory()
        let db = dir.appendingPathComponent("taken.db").path
        let events = dir.appendingPathComponent("e.jsonl").path
        try #"{"record":"event","kind":"opened","contact":"a@x.io","campaign":"C","ts":"2026-05-01T00:00:00Z"}"#
            .write(toFile: events, atomically: true, encoding: .utf8)
        #expect(try segq(["import", "--db", db, events]).status == 0)
        let r = try segq(["run", "--db", db, "-c", "save segment s = opened; save segment s = opened"])
        #expect(r.status == 1)
        #expect(r.stderr.contains("<command line>:1:39: error: a segment named 's' already exists; use 'save or replace segment' to replace it"), "\(r.stderr)")
        let list = try segq(["run", "--db", db, "-c", "save list l = opened; save list l = opened"])
        #expect(list.status == 1)
        #expect(list.stderr.contains("error: a list named 'l' already exists"))
    }

    @Test func exitStatuses() throws {
        #expect(try run(["-c", "count everyone"]).status == 0)
        let compile = try run(["-c", "count opend"])
        #expect(compile.status == 1)
        #expect(compile.stderr.contains("<command line>:1:7: error: unknown event 'opend'") || compile.stderr.contains("error:"))
        #expect(try run(["--format", "xml", "-c", "count everyone"]).status == 2)
        #expect(try run(["--bogus-option"]).status == 2)
        #expect(try segq(["run", "--db", db, "--now", "yesterday", "-c", "count everyone"]).status == 2)
        let missing = try segq(["run", "--db", "/nonexistent/dir/x.db", "-c", "count everyone"])
        #expect(missing.status == 3)
        #expect(missing.stderr.contains("no store at '/nonexistent/dir/x.db'"))
        #expect(try run(["/nonexistent/file.segq"]).status == 3)
    }

    @Test func anUnreachablePostgreSQLStoreIsAStoreErrorThatHidesThePassword() throws {
        // Port 1 on loopback: nothing listens, libpq is refused at once.
        let r = try segq(["run", "--db", "postgres://segq:hunter2@127.0.0.1:1/shop", "-c", "count everyone"])
        #expect(r.status == 3)
        #expect(r.stderr.contains("cannot open 'postgres://segq@127.0.0.1:1/shop': PostgreSQL error 08001: cannot connect"))
        #expect(!r.stderr.contains("hunter2"))
    }

    @Test func stopsAtTheFirstError() throws {
        let r = try run(["-c", "count openers; count bogus; count everyone"])
        #expect(r.status == 1)
        #expect(r.stdout == "3\n")
        #expect(r.stderr.contains("unknown name 'bogus'"))
    }

    @Test func severalStatementsInOrder() throws {
        let r = try run(["-c", "count everyone; let q = opened and not clicked; count q; show q limit 1"])
        #expect(r.status == 0)
        // The alias's confirmation is not a result: standard error.
        #expect(r.stdout.hasPrefix("5\n2\ncontact_id,"), "\(r.stdout)")
        #expect(r.stderr == "alias q = opened and not clicked\n")
    }

    // MARK: Inputs

    @Test func standardInput() throws {
        let r = try run(["-"], stdin: "count everyone;\ncount bounced\n")
        #expect(r.status == 0)
        #expect(r.stdout == "5\n1\n")
        // No file and no -c: standard input too.
        #expect(try run([], stdin: "count sent").stdout == "5\n")
        // A bare `segq` with standard input that is not a terminal runs it as a script.
        let bare = try segq(["--db", db], stdin: "count everyone")
        #expect(bare.status == 0 && bare.stdout == "5\n")
    }

    @Test func filesInOrderAndTheirDiagnostics() throws {
        let dir = try temporaryDirectory()
        let a = dir.appendingPathComponent("a.segq"), b = dir.appendingPathComponent("b.segq")
        try "count everyone;\n".write(to: a, atomically: true, encoding: .utf8)
        try "count sent;\n\ncount clickd;\n".write(to: b, atomically: true, encoding: .utf8)
        let r = try run([a.path, b.path])
        #expect(r.status == 1)
        #expect(r.stdout == "5\n5\n")
        #expect(r.stderr.contains("\(b.path):3:7: error:"))
    }

    @Test func executableQueryFile() throws {
        let dir = try temporaryDirectory()
        let script = dir.appendingPathComponent("count.segq")
        try "#!/usr/bin/env -S segq run\ncount opened;\n".write(to: script, atomically: true, encoding: .utf8)
        chmod(script.path, 0o755)
        let binDir = URL(fileURLWithPath: try #require(segqPath)).deletingLastPathComponent().path
        let process = Process()
        process.executableURL = script
        var env = ProcessInfo.processInfo.environment
        env["PATH"] = binDir + ":" + (env["PATH"] ?? "/usr/bin:/bin")
        env["SEGQ_DB"] = db
        process.environment = env
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        #expect(String(decoding: data, as: UTF8.self) == "3\n")
    }

    // MARK: Options

    @Test func dbFromTheEnvironmentAndTheDefault() throws {
        #expect(try segq(["run", "-c", "count everyone"], environment: ["SEGQ_DB": db]).stdout == "5\n")
        let dir = try temporaryDirectory()
        try FileManager.default.copyItem(atPath: db, toPath: dir.appendingPathComponent("segq.db").path)
        #expect(try segq(["run", "-c", "count everyone"], directory: dir).stdout == "5\n")
        // --db wins over SEGQ_DB.
        let r = try segq(["run", "--db", "/nonexistent/x.db", "-c", "count everyone"], environment: ["SEGQ_DB": db])
        #expect(r.status == 3)
    }

    @Test func nowMovesWithin() throws {
        // The opens are on 2026-03-01 and 03-02.
        #expect(try segq(["run", "--db", db, "--now", "2026-03-03T00:00:00Z", "-c", "count opened(within: 1d)"]).stdout == "2\n")
        #expect(try segq(["run", "--db", db, "--now", "2026-03-03T00:00:00Z", "-c", "count opened(within: 3d)"]).stdout == "3\n")
        #expect(try segq(["run", "--db", db, "--now", "2026-06-01", "-c", "count opened(within: 30d)"]).stdout == "0\n")
    }

    @Test func campaignContext() throws {
        #expect(try run(["-c", "count clicked"]).stdout == "2\n")
        #expect(try run(["--campaign", "Flash SMS", "-c", "count clicked"]).stdout == "1\n")
        let wrong = try run(["--campaign", "Spring Sael", "-c", "count clicked"])
        #expect(wrong.status == 2)
        #expect(wrong.stderr.contains("Spring Sale"))
    }

    @Test func readOnly() throws {
        let dir = try temporaryDirectory()
        let copy = dir.appendingPathComponent("ro.db").path
        try FileManager.default.copyItem(atPath: db, toPath: copy)
        let r = try segq(["run", "--db", copy, "--read-only", "-c", "count everyone; save segment s = openers; count everyone"])
        #expect(r.status == 3)
        #expect(r.stdout == "5\n")
        #expect(r.stderr.contains("read-only"))
        // Nothing was saved; reading works.
        let segments = try segq(["repl", "--db", copy, "--read-only", "--format", "csv"], stdin: ".segments\n")
        #expect(segments.status == 0)
        #expect(segments.stdout == "segment,members,saved_at,query\r\n")
        // --read-only on a missing store does not create it.
        let missing = dir.appendingPathComponent("missing.db").path
        #expect(try segq(["run", "--db", missing, "--read-only", "-c", "count everyone"]).status == 3)
        #expect(!FileManager.default.fileExists(atPath: missing))
    }

    /// `--read-only` opens a store on a read-only mount (SQLite could not create the
    /// -shm file there: error 14); a writable open says to pass --read-only. Needs a
    /// mount namespace (root, unshare), so it runs only where one can be made.
    @Test(.enabled(if: mountNamespacesWork())) func readOnlyMount() throws {
        let dir = try temporaryDirectory()
        try FileManager.default.copyItem(atPath: db, toPath: dir.appendingPathComponent("s.db").path)
        let binary = try #require(segqPath)
        let d = dir.path, store = dir.appendingPathComponent("s.db").path
        let script = """
            mount --bind -o ro '\(d)' '\(d)' || exit 99
            '\(binary)' run --read-only --db '\(store)' -c 'count everyone' || exit 1
            '\(binary)' run --db '\(store)' -c 'count everyone' 2>&1
            exit 0
            """
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/unshare")
        p.arguments = ["-m", "sh", "-c", script]
        let out = Pipe()
        p.standardOutput = out
        try p.run()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        #expect(p.terminationStatus == 0)
        #expect(text.hasPrefix("5\n"))
        #expect(text.contains("cannot open the store for writing") && text.contains("pass --read-only"))
    }

    // MARK: Help and completion scripts

    @Test func helpDocumentsExitStatuses() throws {
        for args in [["--help"], ["run", "--help"]] {
            let r = try segq(args)
            #expect(r.status == 0)
            let text = r.stdout.split(whereSeparator: \.isWhitespace).joined(separator: " ")
            #expect(text.contains("1 an error in the input") && text.contains("2 a usage error")
                    && text.contains("3 a runtime or store error"))
        }
        let repl = try segq(["repl", "--help"])
        #expect(repl.stdout.contains("SEGQ_HISTORY") && repl.stdout.contains("--read-only"))
    }

    @Test(arguments: ["bash", "zsh", "fish"])
    func completionScripts(_ shell: String) throws {
        let r = try segq(["--generate-completion-script", shell])
        #expect(r.status == 0)
        #expect(r.stdout.contains("repl") && r.stdout.contains("campaign") && r.stdout.contains("read-only"))
    }

    // MARK: The REPL reading a script

    @Test func replReadsAScriptFromAPipe() throws {
        let script = """
            .mode csv
            count everyone;
            let q =
                opened and
                not clicked;
            show q;
            .limit 1
            .mode jsonl
            show q
            """
        let r = try segq(["repl", "--db", db, "--now", fixtureNow], stdin: script)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout == """
            5
            alias q = opened and not clicked
            contact_id,email,phone,first_name,last_name\r
            2,bo@example.com,,"Bo, Jr.","O""Neil"\r
            3,cleo@example.com,,Cléo,"Line
            Break"\r
            {"contact_id": 2, "email": "bo@example.com", "phone": null, "first_name": "Bo, Jr.", "last_name": "O\\"Neil"}
            {"contact_id": 3, "email": "cleo@example.com", "phone": null, "first_name": "Cléo", "last_name": "Line\\nBreak"}

            """)
    }

    @Test func replScriptStopsAtTheFirstError() throws {
        let r = try segq(["repl", "--db", db], stdin: "count everyone;\ncount bogus\ncount everyone;\n")
        #expect(r.status == 1)
        #expect(r.stdout == "5\n")
        #expect(r.stderr.contains("<stdin>:2:7: error: unknown name 'bogus'"))
        // A line break after a complete line ends the statement, as at the prompt.
        let early = try segq(["repl", "--db", db], stdin: "count\n  everyone;\n")
        #expect(early.status == 1)
        #expect(early.stderr.contains("<stdin>:1:6: error: expected a query after 'count'"), "\(early.stderr)")
        let dot = try segq(["repl", "--db", db], stdin: ".mode xml\ncount everyone;\n")
        #expect(dot.status == 3)
        #expect(dot.stderr.contains("usage: .mode table|csv|tsv|json|jsonl"))
    }

    // MARK: Faults (issue 21)

    /// `--timeout` cancels a statement past its deadline with a clear error and exit
    /// status 3 (one nanosecond has passed by the first check, so no timing is
    /// involved); a sensible timeout changes nothing; a timeout of 0 is a usage error.
    @Test func timeoutCancelsAStatement() throws {
        let cancelled = try run(["--timeout", "0.000000001", "-c", "count everyone"])
        #expect(cancelled.status == 3)
        #expect(cancelled.stdout == "")
        #expect(cancelled.stderr == "error: statement cancelled after 1e-09 s (--timeout)\n")
        let fine = try run(["--timeout", "60", "-c", "count everyone"])
        #expect(fine.status == 0 && fine.stdout == "5\n", "\(fine.stderr)")
        let zero = try run(["--timeout", "0", "-c", "count everyone"])
        #expect(zero.status == 2)
        #expect(zero.stderr.contains("--timeout takes a number of seconds greater than 0"))
        let stats = try segq(["stats", "--db", db, "--timeout", "0.000000001", "Spring Sale"])
        #expect(stats.status == 3)
        #expect(stats.stderr.contains("statement cancelled after 1e-09 s (--timeout)"))
    }

    /// At the prompt, `.timeout N` sets the statement timeout and `.timeout off` clears it.
    @Test func replTimeoutCommand() throws {
        let script = """
            .timeout
            .timeout 30
            .timeout
            count everyone;
            .timeout off
            .timeout
            .timeout 0.000000001
            count everyone;
            count everyone;
            """
        let r = try segq(["repl", "--db", db], stdin: script)
        #expect(r.status == 3)
        #expect(r.stdout == "timeout: off\ntimeout: 30 s\n5\ntimeout: off\n")
        #expect(r.stderr == "error: statement cancelled after 1e-09 s (--timeout)\n")
        let bad = try segq(["repl", "--db", db], stdin: ".timeout soon\n")
        #expect(bad.status == 3)
        #expect(bad.stderr.contains("usage: .timeout SECONDS|off"))
    }

    /// A store damaged inside is refused at open with an error naming the file and
    /// exit status 3, never a crash; so is a copy cut short.
    @Test func aDamagedStoreIsAClearError() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        var data = try Data(contentsOf: URL(fileURLWithPath: db))
        let pageSize = Int(data[16]) << 8 | Int(data[17])
        let damaged = dir.appendingPathComponent("damaged.db")
        var inside = data
        inside.replaceSubrange(pageSize..<data.count, with: Data(repeating: 0xFF, count: data.count - pageSize))
        try inside.write(to: damaged)
        for args in [["run", "-c", "count everyone"], ["run", "--check", "-c", "count everyone"],
                     ["run", "--read-only", "-c", "count everyone"], ["stats", "Spring Sale"]] {
            let r = try segq(args + ["--db", damaged.path])
            #expect(r.status == 3, "\(args)")
            #expect(r.stderr.contains("\(damaged.path): not a readable segq store"), "\(args): \(r.stderr)")
        }
        let short = dir.appendingPathComponent("short.db")
        data = data.prefix(data.count / 2)
        try data.write(to: short)
        let r = try segq(["run", "--db", short.path, "-c", "count everyone"])
        #expect(r.status == 3)
        #expect(r.stderr.contains("it was cut short"), "\(r.stderr)")
    }

    /// `segq import` records every saved segment's evaluation (read by the set engine)
    /// in its own transaction; `history segment` shows it, in JSON too.
    @Test func importRecordsSegmentHistory() throws {
        let dir = try temporaryDirectory()
        let db = dir.appendingPathComponent("h.db").path
        let first = dir.appendingPathComponent("a.jsonl").path
        let second = dir.appendingPathComponent("b.jsonl").path
        try #"{"record":"event","kind":"opened","contact":"a@x.io","campaign":"C","ts":"2026-05-01T00:00:00Z"}"#
            .write(toFile: first, atomically: true, encoding: .utf8)
        try #"{"record":"event","kind":"opened","contact":"b@x.io","campaign":"C","ts":"2026-05-02T00:00:00Z"}"#
            .write(toFile: second, atomically: true, encoding: .utf8)
        #expect(try segq(["import", "--db", db, first]).status == 0)
        #expect(try segq(["run", "--db", db, "-c", "save segment openers = opened"]).status == 0)
        #expect(try segq(["import", "--db", db, second]).status == 0)
        let r = try segq(["run", "--db", db, "--format", "json", "-c", "history segment openers"])
        #expect(r.status == 0, "\(r.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        let rows = try #require(object["evaluations"] as? [[String: Any]])
        #expect(rows.map { $0["cause"] as? String } == ["save", "import"])
        #expect(rows.map { $0["members"] as? Int } == [1, 2] && rows.map { $0["joined"] as? Int } == [1, 1])
        let text = try segq(["run", "--db", db, "-c", "history segment openers"])
        #expect(text.stdout.hasPrefix(#"segment "openers": 2 evaluations"#), "\(text.stdout)")
        let chart = text.stdout.components(separatedBy: "\n").dropFirst()  // under the title
        #expect(chart.allSatisfy { $0.count <= 80 })
    }
}

/// Whether this process may make a mount namespace with a read-only bind mount.
func mountNamespacesWork() -> Bool {
    guard FileManager.default.isExecutableFile(atPath: "/usr/bin/unshare") else { return false }
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/unshare")
    p.arguments = ["-m", "sh", "-c", "mount --bind -o ro /tmp /tmp"]
    p.standardError = FileHandle.nullDevice
    guard (try? p.run()) != nil else { return false }
    p.waitUntilExit()
    return p.terminationStatus == 0
}
