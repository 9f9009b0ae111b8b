// The event store: one SQLite file in WAL mode with the schema of `Schema`, or a
// PostgreSQL database (`postgres://…`) with the same tables (`Schema`, rendered for each).
//
// Opening a store brings it to the current schema: `PRAGMA user_version` counts the
// migrations applied, and the missing ones run in one transaction (so a crash during
// an upgrade leaves the old version intact). A store with a higher version than this
// build knows was written by a newer segq and is refused rather than misread. A file
// at version 0 that already has tables is some other application's database and is
// refused too, so segq never writes its tables into it.
//
// Before anything is written, a file is also checked for damage (`IntegrityCheck`):
// always, that it is as long as its header says (a truncated copy); and SQLite's
// `PRAGMA quick_check`, which reads every page, when the file is small enough for that
// to be quick, or when asked (`--check`). quick_check costs ~4.5 ms of CPU per MB:
// 2.6 s on a 200,000-contact demo store, some 12 s on the 1M one, which no open
// should cost (docs/benchmarks.md).

import SegQL

/// Why a store could not be opened or used (beyond SQLite's own errors).
public enum StoreError: Error, CustomStringConvertible, Equatable {
    /// The file's schema is newer than this build of segq knows.
    case newerSchema(path: String, found: Int, known: Int)
    /// The file is an SQLite database, but not one segq made.
    case notAStore(path: String)
    /// A read-only open found a store that needs migrations (which would write).
    case needsUpgrade(path: String, found: Int, known: Int)
    /// A read-only open of a file that does not exist.
    case missing(path: String)
    /// An existing file of zero bytes, opened by a command that does not create stores.
    case emptyFile(path: String)
    /// A writable open where the store's directory or file cannot be written.
    case cannotWrite(path: String, detail: String)
    /// A file that SQLite finds is not a database, or a damaged one.
    case damaged(path: String, detail: String)

    public var description: String {
        switch self {
        case let .newerSchema(path, found, known):
            "\(path): the store has schema version \(found), but this segq knows only up to \(known); use a newer segq"
        case let .notAStore(path):
            "\(path): not a segq store (it has tables but no segq schema version)"
        case let .needsUpgrade(path, found, known):
            "\(path): the store has schema version \(found) and needs upgrading to \(known); open it once without read-only"
        case let .missing(path):
            "\(path): no such store"
        case let .emptyFile(path):
            "\(path): the file is empty, not a segq store; create a store with 'segq import' or 'segq demo' (or remove the file)"
        case let .cannotWrite(path, detail):
            "\(path): cannot open the store for writing (\(detail)); on read-only media or a read-only directory, pass --read-only"
        case let .damaged(path, detail):
            "\(path): not a readable segq store: the file is not an SQLite database or is damaged (\(detail)); restore it from a backup"
        }
    }
}

/// How much of a store's file is checked for damage when it is opened.
public enum IntegrityCheck: Sendable {
    /// Its length against its header, and SQLite's `quick_check` of every page when the
    /// file is at most `Store.quickCheckLimit` bytes.
    case automatic
    /// Its length, and `quick_check` whatever its size (`--check`).
    case full
}

/// An opened event store.
public final class Store {
    /// The largest file `IntegrityCheck.automatic` runs quick_check on: 8 MiB, under
    /// 0.05 s of CPU (a 2,000-contact demo store is 5.7 MB and takes 0.02 s).
    public static let quickCheckLimit: Int64 = 8 << 20

    /// The connection (the lead's query runner uses it directly).
    public let database: Database
    /// The catalog read last and the change mark it was read at (StoreCatalog.swift).
    var cachedCatalog: (mark: SQLiteDatabase.ChangeMark, catalog: Catalog)?
    /// Every contact id, read last at that change mark (StoreCatalog.swift).
    var cachedContacts: (mark: SQLiteDatabase.ChangeMark, contacts: ContactSet)?
    /// The planner's contact sample, read last at that change mark (StoreCatalog.swift).
    var cachedSample: (mark: SQLiteDatabase.ChangeMark, sample: ContactSample)?
    /// Conditions' sets read whole at that change mark (StoreCatalog.swift).
    var cachedLeafSets: (mark: SQLiteDatabase.ChangeMark, sets: [SetLeaf: ContactSet], words: Int)?
    /// The file path, or the PostgreSQL URL without its password.
    public let path: String
    /// Whether the store was opened read-only.
    public let readOnly: Bool
    /// Compiles saved segments' text for their views and history (SegmentViews.swift):
    /// given by whoever opens the store to change what the views depend on — the
    /// session (and so `segq import`), tests — since the store never runs the compiler.
    /// Nil: a store with saved segments refuses to rewrite their views.
    public var segmentCompiler: SegmentCompiler?
    /// Whether the store is on a Citus cluster (the database has the `citus` extension):
    /// its tables are then distributed by contact (CitusLayout.swift).
    public private(set) var isCitus = false

    /// Opens the store at `path`, creating it if missing (unless `readOnly`) and running
    /// any missing migrations.
    ///
    /// Nothing is written to a file before it is known to be a segq store (or a new,
    /// empty one): the schema is checked before the switch to WAL mode. An existing
    /// empty file is refused unless `acceptEmptyFile` (what `segq import` passes: it
    /// creates stores). A read-only open that SQLite cannot make because it cannot
    /// create the `-shm` file (a read-only mount) is retried with `immutable=1`.
    ///
    /// `check` says how much of an SQLite file is checked for damage first (a damaged
    /// one is `StoreError.damaged`, naming the file).
    public init(path: String, readOnly: Bool = false, acceptEmptyFile: Bool = false,
                check: IntegrityCheck = .automatic) throws {
        self.readOnly = readOnly
        if PostgresDatabase.isURL(path) {
            let postgres = try PostgresDatabase(url: path, readOnly: readOnly)
            self.path = postgres.url
            database = postgres
            isCitus = try CitusLayout.isCitus(postgres)
            postgres.distributedByContact = isCitus
            try migrate()
            return
        }
        self.path = path
        if readOnly && path != ":memory:" && !fileExists(path) {
            throw StoreError.missing(path: path)
        }
        if !acceptEmptyFile, path != ":memory:", !path.isEmpty, fileSize(path) == 0 {
            throw StoreError.emptyFile(path: path)
        }
        try Store.checkLength(path)
        var database = try SQLiteDatabase(path: path, readOnly: readOnly)
        do {
            try Store.preflight(database, path: path, check: check)
        } catch let e as DatabaseError where e.resultCode == .cantOpen || e.isReadOnly {
            guard readOnly else { throw StoreError.cannotWrite(path: path, detail: e.message) }
            // Read-only media: WAL needs the -shm file, which cannot be created there.
            database = try SQLiteDatabase(path: path, readOnly: true, immutable: true)
            try Store.preflight(database, path: path, check: check)
        }
        self.database = database
        if readOnly {
            try database.execute("PRAGMA query_only = ON")
        } else {
            // journal_mode answers with the mode in force; an in-memory database stays "memory".
            let mode = try database.text("PRAGMA journal_mode = WAL") ?? ""
            if mode != "wal" && path != ":memory:" && !path.isEmpty {
                throw DatabaseError(.error, message: "could not switch to WAL mode (got '\(mode)')", sql: "PRAGMA journal_mode = WAL")
            }
            try database.execute("PRAGMA synchronous = NORMAL")
        }
        try database.execute("PRAGMA foreign_keys = ON")
        // Read the file through a memory map (SQLite caps it at its build's limit, 2 GB
        // for Debian's): a page read is then a memory access, not a read() into the
        // 2 MB page cache, which the random probes of segment queries mostly miss
        // (docs/planner.md: half the CPU time of one Q1 plan was the kernel's copying).
        try database.execute("PRAGMA mmap_size = 1099511627776")
        try migrate()
    }

    /// Reads the header and the schema of an SQLite file before anything is written to
    /// it: refuses a file that is not a database, a damaged one, another application's
    /// database and a newer segq's store.
    private static func preflight(_ db: SQLiteDatabase, path: String, check: IntegrityCheck) throws {
        do {
            let found = Int(try db.int64("PRAGMA user_version") ?? 0)
            let tables = try db.int64("SELECT count(*) FROM sqlite_master WHERE type = 'table'") ?? 0
            if found == 0, tables > 0 { throw StoreError.notAStore(path: path) }
            if found > Schema.version { throw StoreError.newerSchema(path: path, found: found, known: Schema.version) }
            let size = path == ":memory:" || path.isEmpty ? 0 : fileSize(path) ?? 0
            if check == .full || size <= quickCheckLimit {
                // The first few problems; "ok" when there are none.
                var problems: [String] = []
                try db.query("PRAGMA quick_check(3)") { problems.append($0.text(0)) }
                if problems != ["ok"] {
                    throw StoreError.damaged(path: path, detail: "quick_check: " + problems.joined(separator: "; "))
                }
            }
        } catch let e as DatabaseError where e.isDamage {
            throw StoreError.damaged(path: path, detail: e.message)
        }
    }

    /// Refuses an SQLite file shorter than its header says (a copy cut short), which
    /// SQLite would otherwise read as pages of zeros. Not when a write-ahead log is
    /// left beside it: a checkpoint cut short by a crash can leave the file short, and
    /// opening replays the log.
    static func checkLength(_ path: String) throws {
        guard path != ":memory:", !path.isEmpty, let size = fileSize(path), size >= 100,
              (fileSize(path + "-wal") ?? 0) == 0 else { return }
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { return }
        defer { close(fd) }
        var header = [UInt8](repeating: 0, count: 100)
        guard read(fd, &header, 100) == 100, Array(header[0..<16]) == Array("SQLite format 3\0".utf8) else { return }
        func u32(_ at: Int) -> UInt32 { header[at..<at + 4].reduce(0) { $0 << 8 | UInt32($1) } }
        // The page size (1 means 65,536); the page count is valid when the change
        // counter matches the version-valid-for number (SQLite's file format, § 1.3).
        let rawPageSize = Int64(header[16]) << 8 | Int64(header[17])
        let pageSize = rawPageSize == 1 ? 65_536 : rawPageSize
        let pages = Int64(u32(28))
        guard u32(24) == u32(92), pages > 0, pageSize >= 512 else { return }
        if size < pages * pageSize {
            throw StoreError.damaged(path: path, detail: "the file has \(size) bytes, its header says \(pages * pageSize): it was cut short")
        }
    }

    /// The schema version of the store (`PRAGMA user_version`; on PostgreSQL,
    /// `store_info.schema_version`).
    public func schemaVersion() throws -> Int { try database.schemaVersion() }

    /// Brings the store to `Schema.version`, checking first that it is a segq store this
    /// build can read. The missing migrations run in one transaction; on PostgreSQL an
    /// advisory lock in that transaction keeps two first uses from both creating tables.
    private func migrate() throws {
        let found = try schemaVersion()
        let known = Schema.version
        if found > known { throw StoreError.newerSchema(path: path, found: found, known: known) }
        if found == known { return }
        if found == 0, try database.foreignTableCount() > 0 { throw StoreError.notAStore(path: path) }
        if readOnly { throw StoreError.needsUpgrade(path: path, found: found, known: known) }
        try database.transaction {
            try database.lockForMigration()
            // Another process may have migrated between our check and our lock.
            let now = try schemaVersion()
            if now > known { throw StoreError.newerSchema(path: path, found: now, known: known) }
            // A new store is made as the latest version; an older one changed version by
            // version (`Schema`). On Citus, a version that adds tables to a laid-out
            // store lays them out before their foreign keys.
            let laidOut = isCitus && now > 0 ? try CitusLayout.isLaidOut(database) : false
            if now == 0 {
                try database.createSchema()
                if isCitus { try CitusLayout.apply(to: database) }
            } else {
                for version in now..<known { try database.migrate(from: version, distributed: laidOut) }
                // Version 7's sets are derived from `activity`: made now, in the migration
                // (and made again with version 9's measure).
                if now < 9, known >= 9 {
                    try refreshCampaignSets()
                } else if now < 10, known >= 10 {
                    // Version 10's, of the campaigns of more than one message.
                    try refreshCampaignSets(try sequences())
                }
                // Version 8's, from `contact_attributes`.
                if now < 8, known >= 8 { try refreshAttributeSets() }
            }
            if now == 0 {
                try database.execute(
                    "INSERT INTO store_info(key, value) VALUES ('created_by', 'segq'), ('created_at', \(database.dialect.nowExpression))")
            }
        }
    }

    /// On Citus, makes the current transaction write to several shards one connection per
    /// node (`citus.multi_shard_modify_mode = sequential`): Citus refuses to modify a
    /// reference table (lists, segments, campaigns, statistics) in a transaction that has
    /// written to a distributed table in parallel, and every writing transaction of segq
    /// does both. Nothing elsewhere.
    public func writeShardsSequentially() throws {
        if isCitus { try database.execute("SET LOCAL citus.multi_shard_modify_mode = sequential") }
    }

    /// A value from `store_info`, or nil.
    public func info(_ key: String) throws -> SQLValue? {
        let value = try database.scalar("SELECT value FROM store_info WHERE key = ?", [.text(key)])
        // PostgreSQL keeps the values as text; a number written as one reads as one.
        if database.keepsInfoAsText, case .text(let t)? = value, let n = Int64(t) { return .integer(n) }
        return value
    }

    /// Sets a value in `store_info`.
    public func setInfo(_ key: String, _ value: SQLValue) throws {
        try database.execute(
            "INSERT INTO store_info(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            [.text(key), database.keepsInfoAsText && value != .null ? .text(value.plainText) : value])
    }

    /// Recomputes the `activity` rollup and `event_stats` from `events`, and the kept sets
    /// (in one transaction).
    ///
    /// Imports maintain both incrementally; this is the reference they must agree with,
    /// and the repair for a store that another tool wrote events into.
    public func rebuildRollups() throws {
        try database.transaction {
            try database.execute(Store.rebuildActivitySQL)
            try database.execute(Store.rebuildContactActivitySQL)
            try database.execute(Store.rebuildStatsSQL)
            try refreshCampaignSets()
            try refreshAttributeSets()
        }
    }

    /// SQL that recomputes `activity` from `events` (used by `rebuildRollups` and tests).
    static var rebuildActivitySQL: String { RollupColumns.rebuildActivitySQL }

    /// SQL that recomputes `contact_activity` from `activity` (run after `rebuildActivitySQL`).
    static var rebuildContactActivitySQL: String { RollupColumns.rebuildContactActivitySQL }

    /// SQL that recomputes `event_stats` from `events`.
    static let rebuildStatsSQL = """
    DELETE FROM event_stats;
    INSERT INTO event_stats(campaign_id, kind, events, contacts, min_ts, max_ts)
    SELECT campaign_id, kind, count(*), count(DISTINCT contact_id), min(ts), max(ts)
    FROM events GROUP BY campaign_id, kind;
    """
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The size of the file at `path`, or nil when there is none.
func fileSize(_ path: String) -> Int64? {
    var st = stat()
    return stat(path, &st) == 0 ? Int64(st.st_size) : nil
}

/// Whether a file exists at `path`.
func fileExists(_ path: String) -> Bool {
    var st = stat()
    return stat(path, &st) == 0
}
