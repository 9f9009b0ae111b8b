// `segq run` in a pipeline: standard output carries results alone, so that every
// example script's output in a JSON format parses, line by line, as JSON; the
// confirmations (campaign context, alias, saved, exported) are on standard error.

import Foundation
import Testing

@Suite(.serialized) struct ScriptOutputTests {
    /// The examples/*.segq files.
    static let examples: [URL] = {
        let dir = testsDirectory.deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("examples")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []
        return names.filter { $0.hasSuffix(".segq") }.sorted().map { dir.appendingPathComponent($0) }
    }()

    /// A small demo store on SQLite and, with `SEGQ_TEST_POSTGRES` set, in a fresh
    /// PostgreSQL schema too (dropped afterwards).
    static func demoStores(_ tag: String) throws -> (stores: [String], cleanup: () -> Void) {
        let dir = try temporaryDirectory()
        let db = dir.appendingPathComponent("demo.db").path
        let r = try segq(["demo", "--db", db, "--contacts", "3000"])
        try #require(r.status == 0, "\(r.stderr)")
        var stores = [db]
        var cleanup: () -> Void = { try? FileManager.default.removeItem(at: dir) }
        if let base = ProcessInfo.processInfo.environment["SEGQ_TEST_POSTGRES"], !base.isEmpty {
            let schema = "script_output_\(tag)_\(getpid())"
            try psql(base, "CREATE SCHEMA \(schema)")
            let pg = base + (base.contains("?") ? "&" : "?") + "options=-csearch_path%3D\(schema)"
            let d = try segq(["demo", "--db", pg, "--contacts", "3000"])
            try #require(d.status == 0, "\(d.stderr)")
            stores.append(pg)
            let sqlite = cleanup
            cleanup = {
                sqlite()
                try? psql(base, "SET client_min_messages = warning; DROP SCHEMA \(schema) CASCADE")
            }
        }
        return (stores, cleanup)
    }

    static func psql(_ url: String, _ sql: String) throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/psql")
        p.arguments = ["-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", url, "-c", sql]
        try p.run()
        p.waitUntilExit()
        try #require(p.terminationStatus == 0, "psql failed: \(sql)")
    }

    @Test func everyExampleInJSONFormatsParsesAsJSON() throws {
        #expect(Self.examples.count >= 3)
        // A store for each format: an example that duplicates a campaign runs once on a store.
        for format in ["jsonl", "json"] {
            let (stores, cleanup) = try Self.demoStores(format)
            defer { cleanup() }
            for store in stores {
                for example in Self.examples {
                    let work = try temporaryDirectory()
                    defer { try? FileManager.default.removeItem(at: work) }
                    let r = try segq(["run", "--db", store, "--format", format, example.path], directory: work)
                    let what = "\(example.lastPathComponent) --format \(format) on \(store.hasPrefix("postgres") ? "PostgreSQL" : "SQLite")"
                    #expect(r.status == 0, "\(what): \(r.stderr)")
                    #expect(!r.stdout.isEmpty, "\(what): no results")
                    if format == "jsonl" {
                        for line in r.stdout.split(separator: "\n", omittingEmptySubsequences: false).dropLast() {
                            #expect((try? JSONSerialization.jsonObject(with: Data(line.utf8))) != nil,
                                    "\(what): not JSON: \(line.prefix(200))")
                        }
                        #expect(r.stdout.hasSuffix("\n"))
                    } else {
                        // A sequence of JSON documents: split where one ends at a line's end.
                        var rest = Substring(r.stdout)
                        var documents = 0
                        while !rest.allSatisfy(\.isWhitespace) {
                            var end: Substring.Index?
                            var i = rest.startIndex
                            while i < rest.endIndex {
                                if rest[i] == "\n" {
                                    let candidate = rest[..<i]
                                    if (try? JSONSerialization.jsonObject(with: Data(candidate.utf8), options: .fragmentsAllowed)) != nil {
                                        end = i
                                        break
                                    }
                                }
                                i = rest.index(after: i)
                            }
                            guard let end else {
                                Issue.record("\(what): not a sequence of JSON documents: \(rest.prefix(200))")
                                break
                            }
                            documents += 1
                            rest = rest[rest.index(after: end)...]
                        }
                        #expect(documents > 0, "\(what)")
                    }
                }
            }
        }
    }

    @Test func confirmationsGoToStandardErrorInAScriptOnly() throws {
        let (stores, cleanup) = try Self.demoStores("notes")
        defer { cleanup() }
        for store in stores {
            let work = try temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: work) }
            let script = """
                use campaign "Spring Sale"; let fans = openers; count fans;
                save or replace segment "fans seg" = fans; drop segment "fans seg";
                export fans to "fans.csv"; use campaign none
                """
            let r = try segq(["run", "--db", store, "--format", "jsonl", "-c", script], directory: work)
            #expect(r.status == 0, "\(r.stderr)")
            let lines = r.stdout.split(separator: "\n")
            #expect(lines.count == 1 && lines[0].hasPrefix("{\"count\": "), "\(r.stdout)")
            for note in ["campaign context: Spring Sale", "alias fans = ", "saved segment 'fans seg'",
                         "dropped segment 'fans seg'", "exported ", "campaign context cleared"] {
                #expect(r.stderr.contains(note), "\(note) missing from standard error: \(r.stderr)")
            }
            // The prompt (the REPL reading a pipe) shows them with the results, as before.
            let repl = try segq(["repl", "--db", store], stdin: "use campaign \"Spring Sale\";\nlet fans = openers;\n", directory: work)
            #expect(repl.stdout.contains("campaign context: Spring Sale") && repl.stdout.contains("alias fans = "), "\(repl.stdout)")
        }
    }
}
