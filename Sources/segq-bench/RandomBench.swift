import ArgumentParser
import Dispatch
import Foundation
import SegQL
import SegSession
import SegStore

/// `segq-bench random`: random realistic queries over the whole language (see
/// RandomQueries.swift), each counted and listed through segq's session, with the
/// plain SQL over raw events that scripts/duckdb-bench.py runs in DuckDB to compare.
struct RandomBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "random",
        abstract: "Time random queries drawn from a store's own names and values; compare with DuckDB.",
        discussion: """
            Each query is compiled by the session as `count` and as listing every row, and
            each is timed (this thread's CPU time) as the median of --runs warm runs after
            one warm-up. A query slower than --cutoff ms in its warm-up is run once and
            recorded as at least the cutoff; one still running after twice the cutoff is
            interrupted. A sample is also timed end to end as `segq run -c 'count …'`
            processes (wall time: run on a quiet machine).
            With --json, every query, its times, segq's count and an equivalent plain SQL
            over the raw events are written for scripts/duckdb-bench.py; --duckdb runs it.
            """
    )

    @Option(help: "The store (a demo store: its reference time is used as now).") var db = "demo.db"
    @Option(help: "How many queries.") var queries = 300
    @Option(help: "The generator's seed: the same seed gives the same queries on the same store.") var seed: UInt64 = 1
    @Option(help: "Timed runs per query (after one warm-up run).") var runs = 3
    @Option(help: "Run a query slower than this many ms (CPU) once; interrupt it after twice this.") var cutoff = 2_000.0
    @Option(help: "List the N slowest queries with their plans.") var slowest = 10
    @Flag(help: "Print `explain` in full for each of the slowest queries.") var explain = false
    @Option(help: "Time this many queries end to end as `segq run` processes (0: none).") var endToEnd = 20
    @Option(help: "The segq executable for end-to-end times (default: beside segq-bench).") var segq: String?
    @Option(help: "Write every query, its times and its plain SQL to this JSON file.") var json: String?
    @Flag(help: "Then run scripts/duckdb-bench.py on the JSON (needs Python's duckdb package).") var duckdb = false
    @Option(help: "The comparison script.") var duckdbScript = "scripts/duckdb-bench.py"
    @Flag(help: "Only print the queries, one per line; time nothing.") var printOnly = false

    func validate() throws {
        if queries < 1 { throw ValidationError("--queries must be at least 1") }
        if runs < 1 { throw ValidationError("--runs must be at least 1") }
        if cutoff <= 0 { throw ValidationError("--cutoff must be positive") }
        if duckdb, json == nil { throw ValidationError("--duckdb needs --json FILE (the script reads it)") }
    }

    /// One query's figures.
    struct Result: Codable {
        var index: Int
        var text: String
        var duckdbSQL: String
        /// segq's answer; nil when counting and listing were both interrupted.
        var count: Int64?
        var strategy: String
        var estimate: Int64
        /// CPU ms; capped when the warm-up passed the cutoff (then at least that much),
        /// nil when interrupted (more than twice the cutoff).
        var countMs: Double?
        var countWallMs: Double?
        var countCapped: Bool
        var rowsMs: Double?
        var rowsCapped: Bool
        var endToEndMs: Double?
    }

    struct Report: Codable {
        var store: String
        var contacts: Int64
        var events: Int64
        var now: Int64
        var seed: UInt64
        var runs: Int
        var cutoffMs: Double
        var queries: [Result]
    }

    func run() throws {
        let store = try Store(path: db, readOnly: true)
        guard case .integer(let now)? = try store.info("demo_now") else {
            throw ValidationError("\(db) is not a demo store (no store_info 'demo_now'); build one with 'segq demo'")
        }
        let texts = try Self.generate(store: store, now: now, seed: seed, count: queries)
        if printOnly {
            for t in texts { print(t) }
            return
        }
        var warnings = 0
        let session = Session(store: store, output: NullOutput()) { _ in warnings += 1 }
        session.reusesReads = false  // every run reads its conditions
        session.fixedNow = now
        let contacts = try store.contactTotal()
        let events = try store.database.int64("SELECT count(*) FROM events") ?? 0
        print("store: \(db), \(contacts) contacts, \(events) events; \(queries) random queries, seed \(seed)")
        print("times: this thread's CPU ms, median of \(runs) warm runs; cutoff \(fmt(cutoff)) ms (interrupted after \(fmt(2 * cutoff)))\n")

        var results: [Result] = []
        var compiled: [CompiledQuery] = []
        var mismatches: [String] = []
        let started = now_ms()
        for (i, text) in texts.enumerated() {
            let file = SourceFile(name: "query \(i + 1)", text: text)
            guard let parsed = Parser.parseQuery(file).query else { throw ValidationError("query \(i + 1) does not parse: \(text)") }
            let counting: CompiledQuery, listing: CompiledQuery
            do {
                counting = try session.compile(parsed, projection: .count, in: file)
                listing = try session.compile(parsed, projection: .contacts(limit: nil), in: file)
            } catch {
                throw ValidationError("query \(i + 1) does not compile: \(text)\n\(error)")
            }
            let count = try measure { try bounded(store, cutoff: cutoff) { Int(try session.count(counting)) } }
            let rows = try measure { try bounded(store, cutoff: cutoff) { try session.countRows(listing) } }
            if count.n >= 0, rows.n >= 0, count.n != rows.n {
                mismatches.append("query \(i + 1): count \(count.n) but \(rows.n) rows: \(text)")
            }
            results.append(Result(
                index: i + 1, text: text, duckdbSQL: PlainSQL.count(counting.bound, now: now),
                count: count.n >= 0 ? Int64(count.n) : rows.n >= 0 ? Int64(rows.n) : nil, strategy: counting.plan.strategy.rawValue,
                estimate: counting.plan.estimatedRows,
                countMs: count.cpu, countWallMs: count.wall, countCapped: count.capped,
                rowsMs: rows.cpu, rowsCapped: rows.capped))
            compiled.append(counting)
            if (i + 1) % 50 == 0 {
                FileHandle.standardError.write(Data("  \(i + 1) of \(texts.count) queries, \(fmt((now_ms() - started) / 1000)) s\n".utf8))
            }
        }
        if endToEnd > 0 { try timeEndToEnd(&results, now: now) }

        summarize(results, compiled: compiled, session: session, warnings: warnings)
        for m in mismatches { print("⚠ \(m)") }
        if let json {
            let report = Report(store: db, contacts: contacts, events: events, now: now, seed: seed, runs: runs, cutoffMs: cutoff, queries: results)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            let data = try encoder.encode(report)
            // Written whole to a temporary file first, so a failure leaves no half file.
            let tmp = json + ".tmp"
            try data.write(to: URL(fileURLWithPath: tmp))
            if FileManager.default.fileExists(atPath: json) {
                _ = try FileManager.default.replaceItemAt(URL(fileURLWithPath: json), withItemAt: URL(fileURLWithPath: tmp))
            } else {
                try FileManager.default.moveItem(atPath: tmp, toPath: json)
            }
            print("\nwrote \(json)")
            if duckdb {
                fflush(nil)  // every C stream, so the report comes before the script's
                let p = Process()
                p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
                p.arguments = ["python3", duckdbScript, json]
                try p.run()
                p.waitUntilExit()
                if p.terminationStatus != 0 { throw ExitCode(p.terminationStatus) }
            }
        }
        if !mismatches.isEmpty { throw ExitCode(1) }
    }

    /// The queries for a store and seed (what `--print-only` prints).
    static func generate(store: Store, now: Int64, seed: UInt64, count: Int) throws -> [String] {
        let sample = try StoreSample.read(store, now: now)
        var generator = QueryGenerator(sample: sample, seed: seed)
        return (0..<count).map { _ in generator.next() }
    }

    /// A timed query: median CPU and wall ms of the warm runs; capped when only the
    /// warm-up ran (it passed the cutoff); nil times when interrupted.
    private func measure(_ body: () throws -> ((cpu: Double, wall: Double), Int)) throws -> (cpu: Double?, wall: Double?, capped: Bool, n: Int) {
        let (warm, n) = try body()
        if warm.cpu.isInfinite { return (nil, nil, true, -1) }
        if warm.cpu >= cutoff { return (warm.cpu, warm.wall, true, n) }
        var cpu: [Double] = [], wall: [Double] = []
        for _ in 0..<runs {
            let (t, _) = try body()
            if t.cpu.isInfinite { return (nil, nil, true, n) }
            cpu.append(t.cpu)
            wall.append(t.wall)
        }
        return (median(cpu), median(wall), false, n)
    }

    /// Runs an evenly spread sample of the queries as `segq run -c 'count …'`, three
    /// times each, and keeps the median wall time (process start, catalog and all).
    private func timeEndToEnd(_ results: inout [Result], now: Int64) throws {
        let exe = segq ?? URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("segq").path
        guard FileManager.default.isExecutableFile(atPath: exe) else {
            throw ValidationError("no segq executable at \(exe) (build it: swift build -c release --product segq, or pass --segq)")
        }
        let step = max(1, results.count / endToEnd)
        for i in stride(from: 0, to: results.count, by: step).prefix(endToEnd) {
            guard !results[i].countCapped, let expected = results[i].count else { continue }
            var times: [Double] = []
            for _ in 0..<3 {
                let p = Process()
                p.executableURL = URL(fileURLWithPath: exe)
                p.arguments = ["run", "--db", db, "--read-only", "-c", "count " + results[i].text]
                let out = Pipe()
                p.standardOutput = out
                p.standardError = FileHandle.nullDevice
                let t0 = now_ms()
                try p.run()
                let data = out.fileHandleForReading.readDataToEndOfFile()
                p.waitUntilExit()
                times.append(now_ms() - t0)
                let answer = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
                guard p.terminationStatus == 0, Int64(answer) == expected else {
                    throw ValidationError("segq run answered '\(answer)' (exit \(p.terminationStatus)) for query \(i + 1), the session \(expected): \(results[i].text)")
                }
            }
            results[i].endToEndMs = median(times)
        }
    }

    // MARK: - Report

    private func summarize(_ results: [Result], compiled: [CompiledQuery], session: Session, warnings: Int) {
        func stats(_ label: String, _ times: [(Double?, Bool)]) {
            // An interrupted run counts as twice the cutoff, a capped one as its warm-up time: both lower bounds.
            let values = times.map { ($0.0 ?? 2 * cutoff, $0.1) }.sorted { $0.0 < $1.0 }
            func at(_ q: Double) -> String {
                let v = values[min(values.count - 1, Int((q * Double(values.count)).rounded(.up)) - 1)]
                return (v.1 ? "≥ " : "") + fmt(v.0)
            }
            let capped = values.filter(\.1).count
            print("| \(label) | \(at(0.5)) | \(at(0.95)) | \(at(1.0)) | \(values.filter { $0.0 < 30 }.count) | \(values.filter { $0.0 < 150 }.count) | \(capped) |")
        }
        print("| \(results.count) queries | p50 ms | p95 ms | max ms | under 30 ms | under 150 ms | over cutoff |")
        print("|---|---:|---:|---:|---:|---:|---:|")
        stats("count (CPU)", results.map { ($0.countMs, $0.countCapped) })
        // On PostgreSQL the database's work is the server's, not this thread's.
        stats("count (wall)", results.map { ($0.countWallMs, $0.countCapped) })
        stats("list all rows (CPU)", results.map { ($0.rowsMs, $0.rowsCapped) })
        let e2e = results.compactMap(\.endToEndMs)
        if !e2e.isEmpty { stats("`segq run -c 'count …'` (wall, \(e2e.count) of them)", e2e.map { ($0, false) }) }

        let ratios = results.compactMap { r -> Double? in
            guard let count = r.count, count > 0 || r.estimate > 0 else { return nil }
            let (a, b) = (Double(max(r.estimate, 1)), Double(max(count, 1)))
            return max(a / b, b / a)
        }.sorted()
        if !ratios.isEmpty {
            let within2 = ratios.filter { $0 <= 2 }.count
            print("\nestimates: \(within2) of \(ratios.count) within 2× of the count; median off by \(fmt(ratios[ratios.count / 2]))×, worst \(fmt(ratios[ratios.count - 1]))×")
        }
        var strategies: [String: Int] = [:]
        for r in results { strategies[r.strategy, default: 0] += 1 }
        print("strategies: " + strategies.sorted { $0.value > $1.value }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
        if warnings > 0 { print("warnings while compiling: \(warnings) (globs or links that match nothing, messages a campaign lacks)") }

        let order = results.indices.sorted { (results[$0].countMs ?? .infinity) > (results[$1].countMs ?? .infinity) }
        print("\n\(min(slowest, results.count)) slowest (counting):\n")
        print("| # | count ms | rows ms | strategy | estimate | count | query |")
        print("|---:|---:|---:|---|---:|---:|---|")
        func ms(_ t: Double?, _ capped: Bool) -> String {
            guard let t else { return "> \(fmt(2 * cutoff))" }
            return (capped ? "≥ " : "") + fmt(t)
        }
        for i in order.prefix(slowest) {
            let r = results[i]
            print("| \(r.index) | \(ms(r.countMs, r.countCapped)) | \(ms(r.rowsMs, r.rowsCapped)) | \(r.strategy) | \(r.estimate) | \(r.count.map(String.init) ?? "?") | `\(r.text)` |")
        }
        if explain {
            for i in order.prefix(slowest) {
                print("\n--- query \(results[i].index): count \(ms(results[i].countMs, results[i].countCapped)) ms CPU")
                print((try? session.explanation(of: compiled[i])) ?? "(explain failed)")
            }
        }
    }
}
