// Replacing a PostgreSQL store by a copy loaded over two connections.
//
// One connection sends the tables one after another; on two cores, `events` (22M rows
// for the 1M-contact demo) on one connection and everything else on a second halve the
// wall time of the COPYs at best, and the index builds that follow can be shared the
// same way. Two connections cannot share a transaction, so the all-or-nothing of the
// one-connection copy is kept by a staging schema instead:
//
// 1. The store's connection takes a session advisory lock keyed by the staging
//    schema's name, `segq_load_<its backend pid>`, and creates that schema with the
//    copied tables in it (the store's own DDL, without foreign keys, secondary indexes
//    or `contacts`' unique constraints), in one transaction, so the schema is never
//    seen unlocked while the copy runs. Staging schemas left by a copy that was killed
//    (no session holds their lock any more) are dropped first.
// 2. Two more connections, each with its own SQLite connection to the source and its
//    own `ReferenceCheck`, truncate and load their tables by `COPY … (FREEZE)` in one
//    transaction each, analyse them, and then build the dropped indexes and unique
//    constraints of whichever tables are loaded, largest first (`StagedBuilds`).
// 3. The store's connection swaps them in by one short transaction: the store's old
//    tables (and its segments' views) are dropped, the staged ones moved into its schema
//    (`ALTER TABLE … SET SCHEMA`: their indexes, constraints and identity sequences go
//    with them), the foreign keys added — those of `keysCheckedBySegq` `NOT VALID` when
//    segq's check found every value — `store_info` merged, the views made again.
//
// Until that commit the store is as it was, and readable; a failure or an interrupt at
// any step drops the staging schema (or, if segq is killed, the next copy does), and
// only the caller's thread calls `progress` and `isCancelled`.

import SegQL

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension StoreTransfer {
    /// The staging schemas' names: this and the backend pid of the store's connection.
    static let stagingPrefix = "segq_load_"

    /// The tables the second loading connection sends; the first sends the others.
    static let secondConnectionTables: Set<String> = ["events"]

    /// Whether the connection's user may create the staging schema (a user who may
    /// only create tables in the store's schema copies over one connection).
    static func mayStage(_ pg: PostgresDatabase) throws -> Bool {
        try pg.int64("SELECT CAST(has_database_privilege(current_database(), 'CREATE') AS integer)") == 1
    }

    /// `copy` replacing a store on plain PostgreSQL (see the top of this file).
    static func copyStaged(
        from source: SQLiteDatabase, file: String, to target: Store, _ pg: PostgresDatabase,
        progress: ((String, Int) -> Void)?, isCancelled: (() -> Bool)?
    ) throws -> [(name: String, seconds: Double)] {
        let references = try ReferenceCheck(pg, tables: tables)
        try dropLeftoverStagingSchemas(pg)
        guard let pid = try pg.int64("SELECT pg_backend_pid()") else {
            throw DatabaseError(.error, message: "PostgreSQL did not say its backend pid")
        }
        let schema = stagingPrefix + String(pid)
        let quoted = pg.dialect.quoteIdentifier(schema)
        let lock = "hashtextextended(\(SQLValue.quote(schema)), 0)"
        var phases: [(name: String, seconds: Double)] = []
        do {
            var started = monotonicSeconds()
            let builds = try pg.transaction {
                try pg.execute("SELECT pg_advisory_lock(\(lock))")
                try pg.execute("CREATE SCHEMA \(quoted)")
                return try createStagingTables(in: quoted, on: pg)
            }
            phases.append(("create the staging schema \(schema)", monotonicSeconds() - started))
            started = monotonicSeconds()
            let (loaded, checked) = try loadStaged(into: quoted, builds: builds, from: source, file: file, of: pg,
                                                    references: references, progress: progress, isCancelled: isCancelled)
            phases.append(("load over two connections", monotonicSeconds() - started))
            phases += loaded.map { ("  " + $0.name, $0.seconds) }
            if isCancelled?() == true { throw DatabaseError(.interrupt, message: "interrupted") }
            progress?("swap into the store", 0)
            started = monotonicSeconds()
            let keys = try swapIn(quoted, to: target, pg, source: source, references: checked)
            phases.append(("swap into the store", monotonicSeconds() - started))
            phases += keys.map { ("  " + $0.name, $0.seconds) }
        } catch {
            // Best effort: a schema left behind is dropped by the next copy.
            try? pg.execute("DROP SCHEMA IF EXISTS \(quoted) CASCADE")
            try? pg.execute("SELECT pg_advisory_unlock(\(lock))")
            throw error
        }
        try pg.execute("SELECT pg_advisory_unlock(\(lock))")
        return phases
    }

    /// Drops the staging schemas of copies that are no longer running: those whose lock
    /// no session holds (a copy holds it from the schema's creation to its end), of
    /// the users this one may act for (another user's are left to them).
    static func dropLeftoverStagingSchemas(_ pg: PostgresDatabase) throws {
        var names: [String] = []
        try pg.query("""
            SELECT nspname FROM pg_namespace WHERE nspname LIKE 'segq\\_load\\_%' AND pg_has_role(nspowner, 'USAGE')
            ORDER BY nspname
            """, []) {
            names.append($0.text(0))
        }
        for name in names {
            let lock = "hashtextextended(\(SQLValue.quote(name)), 0)"
            guard try pg.int64("SELECT CAST(pg_try_advisory_lock(\(lock)) AS integer)") == 1 else { continue }
            defer { try? pg.execute("SELECT pg_advisory_unlock(\(lock))") }
            try pg.execute("DROP SCHEMA IF EXISTS \(pg.dialect.quoteIdentifier(name)) CASCADE")
        }
    }

    /// Creates the copied tables in `schema` as the store's schema makes them, without
    /// foreign keys; returns their secondary indexes and `contacts`' unique
    /// constraints, dropped again, to be built once the rows are in.
    static func createStagingTables(in schema: String, on pg: PostgresDatabase) throws -> [DroppedForBulkLoad] {
        try pg.execute("SET LOCAL search_path = \(schema)")
        let names = tables.map(\.name)
        let state = SchemaState(backend: .postgres, version: Schema.version)
        for name in names {
            guard let table = state.tables.first(where: { $0.name.name == name }) else {
                throw DatabaseError(.misuse, message: "the schema has no table \(name)")
            }
            try pg.execute(table.create(for: .postgres, foreignKeys: false))
        }
        for index in state.indexes where names.contains(index.table.name) { try pg.execute(index.create) }
        return try pg.dropForBulkLoad(indexesOf: names, uniqueConstraintsOf: ["contacts"], foreignKeysOf: [], keeping: [])
    }

    /// Loads the tables into `schema` over two new connections to `pg`'s database (the
    /// caller's thread drives the first, a new thread the second) and builds `builds`.
    /// Returns the phases of both (marked by connection) and the references checked.
    static func loadStaged(
        into schema: String, builds: [DroppedForBulkLoad], from source: SQLiteDatabase, file: String,
        of pg: PostgresDatabase, references: ReferenceCheck,
        progress: ((String, Int) -> Void)?, isCancelled: (() -> Bool)?
    ) throws -> (phases: [(name: String, seconds: Double)], references: ReferenceCheck) {
        let connections = [try pg.connectAgain(), try pg.connectAgain()]
        for c in connections {
            try c.execute("SET search_path = \(schema)")
            // Index builds sort in memory, with PostgreSQL's parallel helpers (as in `copy`).
            try c.execute("SET maintenance_work_mem = '1GB'")
            try c.execute("SET max_parallel_maintenance_workers = 2")
        }
        let board = StagedBuilds(builds, connections: connections)
        let second = SecondLoad()
        let secondTables = tables.filter { secondConnectionTables.contains($0.name) }
        let thread = JoinableThread {
            do {
                let source = try SQLiteDatabase(path: file, readOnly: true)
                var checked = references
                let phases = try loadAndBuild(secondTables, on: connections[1], from: source, references: &checked,
                                              board: board, connection: 1) { table, rows in
                    board.note(table, rows)
                    try board.throwIfStopped()
                }
                second.finish(phases, checked)
            } catch {
                board.fail(error, from: 1)
            }
        }
        var checked = references
        var phases: [(name: String, seconds: Double)] = []
        do {
            phases = try loadAndBuild(tables.filter { !secondConnectionTables.contains($0.name) }, on: connections[0],
                                      from: source, references: &checked, board: board, connection: 0) { table, rows in
                // Waiting for a build: how far the second connection is.
                if table.isEmpty, let noted = board.noted() { progress?(noted.0, noted.1) }
                if !table.isEmpty && rows % 1_000_000 == 0 { progress?(table, rows) }
                if isCancelled?() == true { throw DatabaseError(.interrupt, message: "interrupted") }
                try board.throwIfStopped()
            }
        } catch {
            board.fail(error, from: 0)
        }
        thread.join()
        if let failure = board.failure { throw failure }
        let (secondPhases, secondChecked) = second.result
        checked.merge(secondChecked)
        return (phases + secondPhases, checked)
    }

    /// One connection's share: truncates and loads `tables` in one transaction (so the
    /// COPYs may freeze their rows), moves their identities past the copied ids, analyses
    /// them, then builds what `board` has ready until nothing is left. `tick` is called
    /// before each table and each build (rows 0), every 100,000 rows of a COPY, and
    /// while waiting for a build (with no table); it may throw to stop.
    static func loadAndBuild(
        _ tables: [(name: String, columns: [String])], on db: PostgresDatabase, from source: SQLiteDatabase,
        references: inout ReferenceCheck, board: StagedBuilds, connection: Int, tick: (String, Int) throws -> Void
    ) throws -> [(name: String, seconds: Double)] {
        let mark = " [connection \(connection + 1)]"
        var phases: [(name: String, seconds: Double)] = []
        var rows: [String: Int] = [:]
        let names = tables.map(\.name)
        try db.transaction {
            try db.execute("TRUNCATE \(names.joined(separator: ", "))")
            for (name, columns) in tables {
                try tick(name, 0)
                let started = monotonicSeconds()
                rows[name] = try copyTable(name, columns, from: source, into: db, freeze: true,
                                           references: &references) { try tick(name, $0) }
                if rows[name] != 0 { phases.append(("copy \(name) (\(rows[name] ?? 0) rows)" + mark, monotonicSeconds() - started)) }
            }
            try setIdentities(of: identityTables.filter(names.contains), in: db)
        }
        board.loaded(rows)
        var started = monotonicSeconds()
        try db.execute("ANALYZE \(names.joined(separator: ", "))")
        phases.append(("ANALYZE \(names.count == 1 ? names[0] : "\(names.count) tables")" + mark, monotonicSeconds() - started))
        while let build = try board.next(waiting: { try tick("", 0) }) {
            try tick(build.label, 0)
            started = monotonicSeconds()
            try db.execute(build.create)
            phases.append(("build \(build.label)" + mark, monotonicSeconds() - started))
        }
        return phases
    }

    /// Makes the staged tables the store's, in one transaction on the store's connection
    /// (see the top of this file). Returns how long each foreign key took.
    static func swapIn(
        _ schema: String, to target: Store, _ pg: PostgresDatabase, source: SQLiteDatabase, references: ReferenceCheck
    ) throws -> [(name: String, seconds: Double)] {
        var phases: [(name: String, seconds: Double)] = []
        try pg.transaction {
            guard let store = try pg.text("SELECT current_schema()") else {
                throw DatabaseError(.misuse, message: "the store's connection has no current schema")
            }
            var views: [String] = []
            try pg.query("SELECT view_name FROM segments", []) { views.append($0.text(0)) }
            for v in views { try pg.execute("DROP VIEW IF EXISTS \(pg.dialect.quoteIdentifier(v))") }
            // The store's keys, to be made again on the new tables.
            let keys = try pg.dropForBulkLoad(indexesOf: [], uniqueConstraintsOf: [], foreignKeysOf: tables.map(\.name),
                                              keeping: [])
            try pg.execute("DROP TABLE \(tables.map(\.name).joined(separator: ", ")) CASCADE")
            for (name, _) in tables {
                try pg.execute("ALTER TABLE \(schema).\(name) SET SCHEMA \(pg.dialect.quoteIdentifier(store))")
            }
            try pg.execute("DROP SCHEMA \(schema)")
            try pg.execute("DELETE FROM store_info WHERE key NOT IN ('created_by', 'created_at', 'schema_version')")
            try copyInfo(from: source, to: pg)
            for key in keys {
                let started = monotonicSeconds()
                if keysCheckedBySegq.contains(key.table) && references.verified(key.name) {
                    try pg.execute(key.create + " NOT VALID")
                    phases.append(("add \(key.label) (NOT VALID: checked by segq)", monotonicSeconds() - started))
                } else {
                    try pg.execute(key.create)
                    phases.append(("add \(key.label)", monotonicSeconds() - started))
                }
            }
            try SegmentViews.refreshAll(in: target)
        }
        return phases
    }
}

/// The index builds of a staged load, shared by its two connections: each build waits
/// until its table's rows are committed; a connection free to build takes the one on
/// the table with the most rows. Also where a connection's failure stops the other
/// (interrupting its running statement) and where the second connection says how far
/// its COPY is, for the caller's progress.
final class StagedBuilds: @unchecked Sendable {
    private var pending: [DroppedForBulkLoad]
    private var rows: [String: Int] = [:]
    private let connections: [PostgresDatabase]
    private var progress: (table: String, rows: Int)?
    /// The first failure of either connection.
    private(set) var failure: Error?
    private var mutex = pthread_mutex_t()
    private var changed = pthread_cond_t()

    init(_ builds: [DroppedForBulkLoad], connections: [PostgresDatabase]) {
        pending = builds
        self.connections = connections
        pthread_mutex_init(&mutex, nil)
        pthread_cond_init(&changed, nil)
    }

    deinit {
        pthread_cond_destroy(&changed)
        pthread_mutex_destroy(&mutex)
    }

    private func locked<T>(_ body: () throws -> T) rethrows -> T {
        pthread_mutex_lock(&mutex)
        defer { pthread_mutex_unlock(&mutex) }
        return try body()
    }

    /// The rows of tables now committed: their builds may start.
    func loaded(_ tables: [String: Int]) {
        locked {
            rows.merge(tables) { $1 }
            pthread_cond_broadcast(&changed)
        }
    }

    /// The next build whose table is loaded, waiting (and calling `waiting` every half
    /// second, outside the lock) while there is none yet; nil when none is left.
    func next(waiting: () throws -> Void) throws -> DroppedForBulkLoad? {
        while true {
            let found: DroppedForBulkLoad?? = try locked {
                if let failure { throw failure }
                if pending.isEmpty { return .some(nil) }
                let ready = pending.indices.filter { rows[pending[$0].table] != nil }
                if let best = ready.max(by: { (rows[pending[$0].table] ?? 0) < (rows[pending[$1].table] ?? 0) }) {
                    return .some(pending.remove(at: best))
                }
                var deadline = timespec()
                clock_gettime(CLOCK_REALTIME, &deadline)
                deadline.tv_nsec += 500_000_000
                if deadline.tv_nsec >= 1_000_000_000 {
                    deadline.tv_sec += 1
                    deadline.tv_nsec -= 1_000_000_000
                }
                _ = pthread_cond_timedwait(&changed, &mutex, &deadline)
                return nil
            }
            if let found { return found }
            try waiting()
        }
    }

    /// Records the first failure, stops the other connection's statement and wakes a
    /// waiting connection.
    func fail(_ error: Error, from connection: Int) {
        let first: Bool = locked {
            guard failure == nil else { return false }
            failure = error
            pthread_cond_broadcast(&changed)
            return true
        }
        if first {
            for (i, c) in connections.enumerated() where i != connection { c.interrupt() }
        }
    }

    /// Throws (an interrupt) once either connection has failed.
    func throwIfStopped() throws {
        if locked({ failure != nil }) { throw DatabaseError(.interrupt, message: "interrupted") }
    }

    /// Notes how far the second connection's COPY is.
    func note(_ table: String, _ rows: Int) {
        locked { progress = (table, rows) }
    }

    /// How far the second connection's COPY was last noted to be.
    func noted() -> (String, Int)? {
        locked { progress }
    }
}

/// What the second connection's thread hands back once it has finished.
final class SecondLoad: @unchecked Sendable {
    private var phases: [(name: String, seconds: Double)] = []
    private var references = ReferenceCheck()
    private var mutex = pthread_mutex_t()

    init() { pthread_mutex_init(&mutex, nil) }
    deinit { pthread_mutex_destroy(&mutex) }

    func finish(_ phases: [(name: String, seconds: Double)], _ references: ReferenceCheck) {
        pthread_mutex_lock(&mutex)
        self.phases = phases
        self.references = references
        pthread_mutex_unlock(&mutex)
    }

    var result: ([(name: String, seconds: Double)], ReferenceCheck) {
        pthread_mutex_lock(&mutex)
        defer { pthread_mutex_unlock(&mutex) }
        return (phases, references)
    }
}
