import ArgumentParser
import Foundation
import SegQL
import SegSession
import SegStore

/// `segq-bench backends`: the benchmark queries of `segq-bench queries`, through segq's
/// own plan, on the same demo store held by SQLite and by PostgreSQL, side by side.
///
/// Times are wall-clock: PostgreSQL does its work in the server process, so the client
/// thread's CPU time would measure nothing. Run it on an otherwise idle machine.
struct BackendBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backends",
        abstract: "Time the benchmark queries on SQLite and on PostgreSQL (segq's plan on each).",
        discussion: """
            Build the same demo store on both first:
              segq demo --db demo.db --contacts 1000000
              segq demo --db postgres://localhost/segq --contacts 1000000
            Both stores must answer every query with the same number of contacts. Times
            are the median of --runs warm runs after one warm-up, wall clock.
            """
    )

    @Option(help: "The SQLite demo store.") var sqlite = "demo.db"
    @Option(help: "The PostgreSQL demo store (postgres://…).") var postgres: String
    @Option(help: "Timed runs per query (after one warm-up run).") var runs = 5

    func run() throws {
        let stores = [("SQLite", try Store(path: sqlite, readOnly: true)), ("PostgreSQL", try Store(path: postgres, readOnly: true))]
        var sessions: [Session] = []
        for (name, store) in stores {
            guard case .integer(let now)? = try store.info("demo_now") else {
                throw ValidationError("the \(name) store is not a demo store (no store_info 'demo_now')")
            }
            let session = Session(store: store, output: NullOutput()) { _ in }
            session.reusesReads = false  // every run reads its conditions
            session.fixedNow = now
            sessions.append(session)
        }
        // A downcast: only a server has a version to print.
        if let pg = stores[1].1.database as? PostgresDatabase { print("PostgreSQL \(pg.serverVersion) at \(stores[1].1.path)") }
        print("SQLite \(SQLiteDatabase.sqliteVersion) at \(sqlite)\nmedian of \(runs) warm runs, wall ms\n")
        print("| query | SQLite count | PostgreSQL count | SQLite all rows | PostgreSQL all rows | contacts | PostgreSQL / SQLite (count) |")
        print("|---|---:|---:|---:|---:|---:|---:|")
        for q in QueryBench.queries {
            let file = SourceFile(name: q.name, text: q.text)
            guard let parsed = Parser.parseQuery(file).query else { throw ValidationError("\(q.name) does not parse") }
            var counts: [Double] = [], rows: [Double] = [], sizes: [Int64] = []
            for session in sessions {
                let count = try session.compile(parsed, projection: .count, in: file).sql
                let all = try session.compile(parsed, projection: .contacts(limit: nil), in: file).sql
                let db = session.store.database
                var n: Int64 = 0
                counts.append(try timed { n = try db.int64(count.sql, count.parameters) ?? 0 })
                sizes.append(n)
                rows.append(try timed {
                    var k: Int64 = 0
                    try db.stream(all.sql, all.parameters) { row in
                        _ = row.int64(0)
                        _ = row.text(1)
                        k += 1
                    }
                    if k != n { throw ValidationError("\(q.name): \(k) rows but a count of \(n)") }
                })
            }
            if sizes[0] != sizes[1] {
                throw ValidationError("\(q.name): SQLite finds \(sizes[0]) contacts, PostgreSQL \(sizes[1])")
            }
            func f(_ x: Double) -> String { String(format: "%.1f", x) }
            print("| \(q.name) | \(f(counts[0])) | \(f(counts[1])) | \(f(rows[0])) | \(f(rows[1])) | \(sizes[0]) | \(String(format: "%.2f×", counts[1] / counts[0])) |")
        }
    }

    /// The median wall time of `runs` runs after one warm-up.
    private func timed(_ body: () throws -> Void) throws -> Double {
        try body()
        var times: [Double] = []
        for _ in 0..<max(1, runs) {
            let t0 = now_ms()
            try body()
            times.append(now_ms() - t0)
        }
        return median(times)
    }
}
