import ArgumentParser
import Dispatch
import Foundation
import SegQL
import SegSession
import SegStore

/// `segq-bench queries`: the benchmark queries of docs/benchmarks.md, on a demo store,
/// through segq's own plan, every other strategy it could have chosen (with and
/// without rollups), and a hand-written SQLite query, side by side.
struct QueryBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "queries",
        abstract: "Time the benchmark queries: segq's plan vs every strategy vs hand-written SQL.",
        discussion: """
            Build the store first: segq demo --db demo.db --contacts 1000000
            Every variant's answer is checked against segq's (same number of contacts).
            Each variant is timed counting the audience and reading every row; times are
            the median of --runs warm runs after one warm-up.
            """
    )

    @Option(help: "The demo store.") var db = "demo.db"
    @Option(help: "Timed runs per variant (after one warm-up run).") var runs = 5
    @Option(help: "Time a variant slower than this many ms (CPU) in its warm-up run only once; interrupt any run after twice this.") var cutoff = 2_500.0
    @Flag(help: "Only segq's plan and the hand-written query.") var quick = false
    @Flag(help: "Time counting only, not reading every row.") var countOnly = false
    @Option(name: .customLong("query"), help: "Time this query instead of the benchmark's (repeatable); ratios are then to segq's plan.")
    var queries: [String] = []

    struct BenchQuery {
        var name: String
        var text: String
        /// Hand-written SQL, returning the same columns; `:name` placeholders are filled
        /// with ids looked up by `ids` (none for a query given with --query).
        var handWritten: String?
        /// The best hand-written SQL for counting them (no contact is read), when it is
        /// not simply `SELECT count(*) FROM (handWritten)`.
        var handCount: String? = nil
    }

    /// Q1's answer, hand-written: one merge in contact order of Spring Sale's openers (its
    /// partial index), the contacts with two clicks or more (the partial index of
    /// contact_activity's clickers, in contact order) and, taken away, the /pricing
    /// clickers (sorted once).
    static let q1Merge = """
    SELECT a.contact_id FROM activity a WHERE a.campaign_id = :spring AND a.opens > 0
    INTERSECT SELECT ca.contact_id FROM contact_activity ca WHERE ca.clicks > 0 AND ca.clicks >= 2
    EXCEPT SELECT e.contact_id FROM events e WHERE e.link_id IN (:pricing) AND e.kind = 6
    ORDER BY 1
    """

    /// Q5's answer, hand-written: one merge of Summer Newsletter's openers with the Swedes
    /// (both indexes in contact order), united with the click counters of the three
    /// campaigns (their clickers' rollup rows, grouped).
    static let q5Merge = """
    SELECT a.contact_id FROM activity a WHERE a.campaign_id = :summer AND a.opens > 0
    INTERSECT SELECT t.contact_id FROM contact_attributes t WHERE t.name = 'country' AND t.type = 'string' AND t.value = 'SE'
    UNION SELECT a.contact_id FROM activity a WHERE a.campaign_id IN (:black, :newyear, :spring) AND a.clicks > 0
      GROUP BY a.contact_id HAVING sum(a.clicks) >= 3
    ORDER BY 1
    """

    static let queries: [BenchQuery] = [
        BenchQuery(
            name: "Q1 design card",
            text: #"opened(campaign: "Spring Sale") and not clicked(link: "/pricing") and clicks >= 2"#,
            handWritten: """
                SELECT c.id, c.email, c.phone, c.first_name, c.last_name FROM contacts c WHERE c.id IN (
                \(q1Merge))
                ORDER BY c.id
                """,
            handCount: "SELECT count(*) FROM (\(q1Merge)) s"),
        BenchQuery(
            name: "Q2 non-openers of a campaign",
            text: #"delivered(campaign: "Spring Sale") and not opened(campaign: "Spring Sale")"#,
            handWritten: """
                SELECT c.id, c.email, c.phone, c.first_name, c.last_name
                FROM activity a JOIN contacts c ON c.id = a.contact_id
                WHERE a.campaign_id = :spring AND a.deliveries > 0 AND a.opens = 0
                ORDER BY c.id
                """,
            handCount: """
                SELECT count(*) FROM activity a
                WHERE a.campaign_id = :spring AND a.deliveries > 0 AND a.opens = 0
                """),
        BenchQuery(
            name: "Q3 opened anything in 30 days",
            text: "opened(within: 30d)",
            handWritten: """
                SELECT c.id, c.email, c.phone, c.first_name, c.last_name
                FROM contact_activity ca JOIN contacts c ON c.id = ca.contact_id
                WHERE ca.last_opened >= :now - 2592000
                ORDER BY c.id
                """,
            handCount: """
                SELECT count(*) FROM contact_activity ca WHERE ca.last_opened >= :now - 2592000
                """),
        BenchQuery(
            name: "Q4 inactive for a year",
            text: "delivered(within: 365d) and not opened(within: 365d) and not clicked(within: 365d)",
            handWritten: """
                SELECT c.id, c.email, c.phone, c.first_name, c.last_name
                FROM contact_activity ca JOIN contacts c ON c.id = ca.contact_id
                WHERE ca.last_delivered >= :now - 31536000
                  AND coalesce(ca.last_opened, 0) < :now - 31536000 AND coalesce(ca.last_clicked, 0) < :now - 31536000
                ORDER BY c.id
                """,
            handCount: """
                SELECT count(*) FROM contact_activity ca
                WHERE ca.last_delivered >= :now - 31536000
                  AND coalesce(ca.last_opened, 0) < :now - 31536000 AND coalesce(ca.last_clicked, 0) < :now - 31536000
                """),
        BenchQuery(
            name: "Q5 clicks on 3 campaigns ≥ 3 or (opened X and SE)",
            text: #"clicks(campaign: ["Black Friday", "New Year Sale", "Spring Sale"]) >= 3 or (opened(campaign: "Summer Newsletter") and country = "SE")"#,
            handWritten: """
                SELECT c.id, c.email, c.phone, c.first_name, c.last_name FROM contacts c WHERE c.id IN (
                \(q5Merge))
                ORDER BY c.id
                """,
            handCount: "SELECT count(*) FROM (\(q5Merge)) s"),
        BenchQuery(
            name: "Q6 never opened anything",
            text: "not opened",
            handWritten: """
                SELECT c.id, c.email, c.phone, c.first_name, c.last_name
                FROM contacts c LEFT JOIN contact_activity ca ON ca.contact_id = c.id
                WHERE ca.opens IS NULL OR ca.opens = 0
                ORDER BY c.id
                """,
            handCount: """
                SELECT (SELECT count(*) FROM contacts) - (SELECT count(*) FROM contact_activity WHERE opens > 0)
                """),
    ]

    func run() throws {
        let store = try Store(path: db, readOnly: true)
        let sink = NullOutput()
        let session = Session(store: store, output: sink) { FileHandle.standardError.write(Data(($0 + "\n").utf8)) }
        session.reusesReads = false  // every run reads its conditions
        guard case .integer(let now)? = try store.info("demo_now") else {
            throw ValidationError("\(db) is not a demo store (no store_info 'demo_now'); build one with 'segq demo'")
        }
        session.fixedNow = now
        let ids = try lookups(store, now: now)
        let contacts = try store.contactTotal()
        let events = try store.database.int64("SELECT count(*) FROM events") ?? 0
        print("store: \(db), \(contacts) contacts, \(events) events; median of \(runs) warm runs, ms\n")

        var chosen = queries.isEmpty ? Self.queries : queries.enumerated().map { BenchQuery(name: "query \($0 + 1)", text: $1) }
        // The hand-written queries are SQLite's (Q5 compares an attribute's value as
        // text); on PostgreSQL, segq's plans alone (`segq-bench backends` compares them).
        if !(store.database is SQLiteDatabase) {
            for i in chosen.indices { chosen[i].handWritten = nil }
        }
        for q in chosen {
            let file = SourceFile(name: q.name, text: q.text)
            guard let parsed = Parser.parseQuery(file).query else { throw ValidationError("\(q.name) does not parse") }

            // Front-end cost: parse + catalog + bind + plan + render.
            var frontTimes: [Double] = []
            var chosen: CompiledQuery?
            for _ in 0..<max(runs, 5) {
                let t0 = cpu_ms()
                let p = Parser.parseQuery(file).query ?? parsed
                session.strategy = nil
                session.useRollups = true
                chosen = try session.compile(p, projection: .contacts(limit: nil), in: file)
                frontTimes.append(cpu_ms() - t0)
            }
            guard let plan = chosen else { continue }

            // Each variant twice: counting the audience (what `count` and the REPL's
            // first line need) and reading every row (what `show` and exports need).
            // Times are this thread's CPU time (the machine may be shared), wall beside it.
            var rows: [(label: String, count: Double, countWall: Double, rows: Double, n: Int)] = []
            func time(_ label: String, count: @escaping () throws -> Int, all: @escaping () throws -> Int) throws {
                let (warm, n) = try bounded(store, cutoff: cutoff, count)
                var countCPU = warm.cpu, countWall = warm.wall
                var rowsCPU = cutoff
                if warm.cpu < cutoff {
                    var cpu: [Double] = [], wall: [Double] = []
                    for _ in 0..<runs {
                        let t = try bounded(store, cutoff: cutoff, count).0
                        cpu.append(t.cpu)
                        wall.append(t.wall)
                    }
                    countCPU = median(cpu)
                    countWall = median(wall)
                    if !countOnly {
                        var rs: [Double] = []
                        for _ in 0...runs { rs.append(try bounded(store, cutoff: cutoff, all).0.cpu) }
                        rowsCPU = median(Array(rs.dropFirst()))
                    }
                }
                rows.append((label, countCPU, countWall, rowsCPU, n))
            }
            func variant(_ label: String) throws {
                let c = try session.compile(parsed, projection: .count, in: file)
                let r = try session.compile(parsed, projection: .contacts(limit: nil), in: file)
                try time(label, count: { Int(try session.count(c)) }, all: { try session.countRows(r) })
            }
            session.strategy = nil
            session.useRollups = true
            try variant("segq (\(plan.plan.strategy.rawValue)\(usesRollups(plan.plan) ? " + rollups" : ""))")
            if !quick {
                for strategy in Strategy.allCases {
                    for rollups in [true, false] {
                        session.strategy = strategy
                        session.useRollups = rollups
                        let c = try session.compile(parsed, projection: .count, in: file)
                        if c.plan.strategy != strategy { continue }
                        try variant("\(strategy.rawValue)\(rollups ? " + rollups" : ", events only")")
                    }
                }
            }
            if let written = q.handWritten {
                let (handSQL, handParams) = fill(written, ids)
                let handCount = q.handCount.map { fill($0, ids) } ?? ("SELECT count(*) FROM (\(handSQL)) s", handParams)
                try time("hand-written SQLite", count: { try sqlCount(store, handCount.0, handCount.1) }, all: { try sqlRows(store, handSQL, handParams) })
            }

            let hand = q.handWritten == nil ? rows[0] : rows[rows.count - 1]
            let baseline = q.handWritten == nil ? "segq" : "hand-written"
            print("\(q.name): \(q.text)")
            print("  parse+bind+plan \(fmt(median(frontTimes))) ms (\(fmt(100 * median(frontTimes) / max(rows[0].count, 0.001)))% of counting, CPU)")
            print("  | variant | count, CPU ms | count, wall ms | all rows, CPU ms | contacts | count vs \(baseline) | rows vs \(baseline) |")
            print("  |---|---:|---:|---:|---:|---:|---:|")
            for r in rows {
                let flag = r.n == rows[0].n || r.n < 0 ? "" : " ⚠ different answer"
                let slow = r.count.isInfinite ? "" : r.count >= cutoff ? " (over cutoff: 1 run)" : ""
                let skipRows = r.count >= cutoff || countOnly
                let rowsText = skipRows ? "—" : fmt(r.rows)
                let rowsRatio = skipRows ? "—" : fmt(r.rows / max(hand.rows, 0.001)) + "×"
                if r.count.isInfinite {
                    print("  | \(r.label) | > \(fmt(2 * cutoff)) (interrupted) | — | — | — | — | — |")
                    continue
                }
                print("  | \(r.label) | \(fmt(r.count))\(slow) | \(fmt(r.countWall)) | \(rowsText) | \(r.n)\(flag) | \(fmt(r.count / max(hand.count, 0.001)))× | \(rowsRatio) |")
            }
            print("")
        }
    }

    private func usesRollups(_ p: Plan) -> Bool {
        func walk(_ e: PlanExpr) -> Bool {
            switch e {
            case .and(let xs), .or(let xs): return xs.contains(where: walk)
            case .not(let x): return walk(x)
            case .atom(.rollup): return true
            default: return false
            }
        }
        return walk(p.filter) || walk(p.driver?.condition ?? .everyone)
    }

    /// Campaign and link ids the hand-written queries need, looked up once (as a person writing SQL would).
    private func lookups(_ store: Store, now: Int64) throws -> [String: [Int64]] {
        func campaign(_ name: String) throws -> [Int64] {
            guard let id = try store.database.int64("SELECT id FROM campaigns WHERE name = ?1", [.text(name)]) else {
                throw ValidationError("the store has no campaign '\(name)'")
            }
            return [id]
        }
        var pricing: [Int64] = []
        try store.database.query("SELECT id FROM links WHERE path = '/pricing' AND footer = 0") { pricing.append($0.int64(0)) }
        return [
            "spring": try campaign("Spring Sale"), "summer": try campaign("Summer Newsletter"),
            "black": try campaign("Black Friday"), "newyear": try campaign("New Year Sale"),
            "pricing": pricing, "now": [now],
        ]
    }

    /// Replaces `:name` with numbered parameters bound to the ids.
    private func fill(_ sql: String, _ ids: [String: [Int64]]) -> (String, [SQLValue]) {
        var out = sql
        var params: [SQLValue] = []
        for (name, values) in ids.sorted(by: { $0.key.count > $1.key.count }) {
            guard out.contains(":" + name) else { continue }
            let placeholders = values.map { v -> String in
                params.append(.integer(v))
                return "?\(params.count)"
            }.joined(separator: ", ")
            out = out.replacingOccurrences(of: ":" + name, with: placeholders.isEmpty ? "NULL" : placeholders)
        }
        return (out, params)
    }
}

/// Runs `body`, interrupting SQLite once it has taken twice `cutoff` ms; an interrupted
/// run reports infinite time and -1 contacts. Times are this thread's CPU time and wall time.
func bounded(_ store: Store, cutoff: Double, _ body: () throws -> Int) throws -> ((cpu: Double, wall: Double), Int) {
    let timer = DispatchWorkItem { store.database.interrupt() }
    DispatchQueue.global().asyncAfter(deadline: .now() + .milliseconds(Int(2 * cutoff)), execute: timer)
    defer { timer.cancel() }
    let (c0, w0) = (cpu_ms(), now_ms())
    do {
        let n = try body()
        return ((cpu_ms() - c0, now_ms() - w0), n)
    } catch let e as DatabaseError where e.isInterrupt {
        return ((Double.infinity, Double.infinity), -1)
    } catch let e as SessionError where e.isInterrupt {
        return ((Double.infinity, Double.infinity), -1)
    }
}

/// One count by plain SQL (the hand-written and DuckDB-style baselines).
func sqlCount(_ store: Store, _ sql: String, _ params: [SQLValue]) throws -> Int {
    Int(try store.database.int64(sql, params) ?? 0)
}

/// Reads every row of plain SQL; the number of rows comes back.
func sqlRows(_ store: Store, _ sql: String, _ params: [SQLValue]) throws -> Int {
    var n = 0
    try store.database.query(sql, params) { row in
        _ = row.int64(0)
        n += 1
    }
    return n
}

extension Session {
    /// Reads every contact row of `c` as `show` does (stepped, as `sqlRows` reads plain
    /// SQL); the number of rows comes back.
    func countRows(_ c: CompiledQuery) throws -> Int {
        var n = 0
        // As a plain query's rows are counted: stepped, their values not copied.
        try contactRows(c, limit: nil) { (_: Row) in n += 1 }
        return n
    }
}

/// Discards results.
final class NullOutput: SessionOutput {
    func beginRows(columns: [String]) {}
    func row(_ values: [SQLValue]) {}
    func endRows() {}
    func count(_ n: Int64) {}
    func text(_ s: String) {}
}

/// This thread's CPU time, in ms.
func cpu_ms() -> Double {
    var t = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t)
    return Double(t.tv_sec) * 1000 + Double(t.tv_nsec) / 1e6
}

func now_ms() -> Double {
    var t = timespec()
    clock_gettime(CLOCK_MONOTONIC, &t)
    return Double(t.tv_sec) * 1000 + Double(t.tv_nsec) / 1e6
}

func median(_ xs: [Double]) -> Double {
    let s = xs.sorted()
    guard !s.isEmpty else { return 0 }
    return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
}
