// `segq import`: loading canonical JSON Lines into the store.
//
// How it stays fast: lines are decoded by a byte-level scanner (JSONScanner), the ids of
// contacts, campaigns and links are cached in dictionaries for the run, every statement
// is prepared once, and the `activity` rollup and `event_stats` are not touched per
// event: their deltas are accumulated in memory, keyed by (campaign, contact) and
// (campaign, kind), and added into the tables by UPSERTs in sorted batches of at most
// 200,000 pairs (so the memory they take is bounded: docs/import.md § Memory).
//
// How it stays safe: the whole run is one transaction. In the default all-or-nothing
// mode the first bad line stops all writing (later lines are still checked, so that
// every bad line is reported), and the transaction is rolled back. A cancellation
// (the CLI's SIGINT/SIGTERM flag) or any store error rolls back too; a process killed
// outright leaves an uncommitted WAL transaction that SQLite discards. Either way the
// store holds exactly what it held before.

import SegQL

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The input formats `segq import` reads.
public enum ImportFormat: String, CaseIterable, Sendable {
    /// The canonical JSON Lines format (docs/import.md).
    case jsonl
    /// SendGrid Event Webhook events: a JSON array as POSTed, or one object per line.
    case sendgrid
    /// Amazon SES event publishing records (Firehose lines, SNS notifications, arrays).
    case ses
    /// Mailgun events: webhook bodies, Events API pages, or bare event-data objects.
    case mailgun
    /// CSV with a header row: contacts, or events with the canonical members as columns.
    case csv
}

/// How an import runs.
public struct ImportOptions: Sendable {
    /// The input format; `nil` detects it from each source's content (see `FormatDetector`).
    public var format: ImportFormat?
    /// The campaign of platform events that name none (SendGrid: no campaign, Single Send
    /// or category; SES: no campaign tag or configuration set; Mailgun: no user
    /// variable, campaign or tag).
    public var defaultCampaign: String
    /// The SES message tag, or Mailgun user variable, whose value names the campaign (`--campaign-tag`).
    public var campaignTag: String?
    /// Store the good lines and report the bad ones, instead of storing nothing.
    public var skipBad: Bool
    /// The time recorded as `campaigns.created_at` for campaigns the import creates
    /// (Unix seconds; default: the wall clock).
    public var now: Int64?
    /// How many bad lines `ImportSummary.badLines` keeps (all are counted).
    public var keptBadLines: Int
    /// Write the rollup deltas once this many (campaign, contact) pairs, or this many
    /// contacts' sums, are pending: the bound on the rollups' memory (docs/import.md § Memory).
    public var flushThreshold: Int
    /// CSV: header names (as normalised: lower-case, spaces and hyphens as `_`) mapped
    /// to a canonical member key, `attribute` or `ignore` (`--map Column=field`).
    public var csvMap: [String: String] = [:]
    /// CSV: attribute columns (by normalised attribute name) given a type (`--type
    /// Column=boolean|integer|decimal|date|text`) instead of the one decided from the column.
    public var csvTypes: [String: String] = [:]
    /// The zone of date-times written without one (`--tz`); nil refuses them.
    public var localZone: LocalZone?
    /// Drop and rebuild the secondary indexes after this many new events (nil: a
    /// quarter of the events already stored, plus 20,000).
    public var bulkThreshold: Int?

    /// Creates options; the defaults are `segq import`'s.
    public init(format: ImportFormat? = nil, defaultCampaign: String = ImportOptions.standardDefaultCampaign,
                campaignTag: String? = nil, skipBad: Bool = false, now: Int64? = nil,
                keptBadLines: Int = 1_000, flushThreshold: Int = ImportOptions.standardFlushThreshold, bulkThreshold: Int? = nil) {
        self.bulkThreshold = bulkThreshold
        self.format = format
        self.defaultCampaign = defaultCampaign
        self.campaignTag = campaignTag
        self.skipBad = skipBad
        self.now = now
        self.keptBadLines = keptBadLines
        self.flushThreshold = flushThreshold
    }
}

extension ImportOptions {
    /// The campaign given to platform events that name none, unless `--default-campaign` says otherwise.
    public static let standardDefaultCampaign = "uncategorized"
    /// Rollup deltas held before they are written: about 200 bytes each, so some 40 MB
    /// (docs/import.md § Memory). Larger saves little: the deltas are added into the
    /// tables, and a contact×campaign pair's events usually come together.
    public static let standardFlushThreshold = 200_000
}

/// A record that was refused, with where it is: printed as `FILE:LINE: error: MESSAGE`,
/// or `FILE: record N: error: MESSAGE` for the Nth element of a JSON array.
public struct BadLine: Error, Hashable, Sendable, CustomStringConvertible {
    /// The source's name (a path, or `<stdin>`).
    public var file: String
    /// The 1-based line number (of the record's first line).
    public var line: Int
    /// The 1-based position in a top-level JSON array, when the source is one.
    public var record: Int?
    /// What is wrong with it.
    public var message: String

    /// Creates a bad-record report.
    public init(file: String, line: Int, record: Int? = nil, message: String) {
        self.file = file
        self.line = line
        self.record = record
        self.message = message
    }

    /// `FILE:LINE: error: MESSAGE` or `FILE: record N: error: MESSAGE`.
    public var description: String {
        if let record { return "\(file): record \(record): error: \(message)" }
        return "\(file):\(line): error: \(message)"
    }
}

/// How far an import has got (for a progress line).
public struct ImportProgress: Sendable {
    /// The source being read.
    public var source: String
    /// Bytes of that source consumed.
    public var bytesRead: Int64
    /// Its size, when known.
    public var totalBytes: Int64?
    /// Records (non-blank lines) read so far in the whole run.
    public var records: Int
    /// Seconds since the run started.
    public var elapsed: Double
}

/// What an import did.
public struct ImportSummary: Sendable {
    /// Non-blank lines read.
    public var records = 0
    /// Event lines read (good ones).
    public var events = 0
    /// Events stored.
    public var stored = 0
    /// Events skipped because their `id` was already stored (or seen earlier in the run).
    public var duplicates = 0
    /// Contact, campaign and link lines read (good ones).
    public var declarations = 0
    /// Platform records skipped because their type has no event kind in the store
    /// (SendGrid `deferred`, `group_resubscribe`, `account_status_change`, …).
    public var unsupported = 0
    /// `unsupported` by the platform's type name, e.g. `["deferred": 3]`.
    public var unsupportedByType: [String: Int] = [:]
    /// Events stored, by kind.
    public var storedByKind: [EventKind: Int] = [:]
    /// Lines refused.
    public var bad = 0
    /// The first `ImportOptions.keptBadLines` refused lines.
    public var badLines: [BadLine] = []
    /// Contacts created (declared or named by an event for the first time).
    public var contactsCreated = 0
    /// Pairs of contacts merged into one because a declaration joined them.
    public var contactsMerged = 0
    /// Campaigns created.
    public var campaignsCreated = 0
    /// Links created.
    public var linksCreated = 0
    /// Links created as footer links because `FooterLinks` recognised their URL (no
    /// `footer` declared).
    public var footerLinksRecognised = 0
    /// What the readers made of their input, by source (a CSV header's columns read as
    /// synonyms or mapped, attribute names normalised, columns ignored).
    public var notes: [String] = []
    /// Whether the transaction was committed (false after bad lines without `skipBad`).
    public var committed = false
    /// Seconds the run took.
    public var elapsed = 0.0
    /// Seconds per phase: reading and writing events, rebuilding indexes, rollups.
    public var phases: [(name: String, seconds: Double)] = []
}

/// Why an import stopped without committing (bad lines are not errors: see `ImportSummary`).
public enum ImportError: Error, CustomStringConvertible {
    /// The caller's `isCancelled` said stop (Ctrl-C, SIGTERM).
    case cancelled
    /// A source could not be read.
    case io(ImportIOError)
    /// The store failed.
    case database(DatabaseError)

    public var description: String {
        switch self {
        case .cancelled: "import interrupted; nothing was stored"
        case .io(let e): "\(e.description); nothing was stored"
        case .database(let e): "\(e.description); nothing was stored"
        }
    }
}

/// Imports sources into a store in one transaction.
///
/// ```swift
/// let importer = Importer(store: store, options: ImportOptions(skipBad: true))
/// importer.onBadLine = { print($0) }
/// let summary = try importer.run([.file("events.jsonl")])
/// ```
public final class Importer {
    /// The store written to.
    public let store: Store
    /// The options in force.
    public let options: ImportOptions
    /// Called for each refused line, as it is found.
    public var onBadLine: ((BadLine) -> Void)?
    /// Called after each chunk of input (every few MB).
    public var onProgress: ((ImportProgress) -> Void)?
    /// Polled every few thousand lines and between finishing steps; `true` stops the run.
    public var isCancelled: (() -> Bool)?

    private let db: Database
    /// The same connection when it is PostgreSQL's (COPY, batched id lookups, jsonb).
    private let postgres: PostgresDatabase?
    private var statements: Statements?
    private var summary = ImportSummary()
    /// False once a bad line was seen in all-or-nothing mode: lines are then only checked.
    private var writing = true
    private var createdAt: Int64 = 0
    /// Events waiting to be written in one multi-row INSERT.
    private var pending: [PendingEvent] = []
    /// Numbers the run's contacts and campaigns and finds repeated ids, on the decoding thread.
    private var interner = RunInterner()
    /// The (contact, attribute) pairs in `Statements.upsertAttributes`'s unwritten rows.
    private var pendingAttributes: Set<AttributeKey> = []
    /// PostgreSQL: ids drawn from the contacts' sequence in blocks, not yet given out.
    private var reservedContactIDs: ArraySlice<Int64> = []
    /// PostgreSQL: how many ids the next block draws (doubling, up to `maxReserve`).
    private var reserveBlock = 16
    private static let maxReserve = 65_536
    /// PostgreSQL: new contacts waiting for one COPY (see `flushContacts`).
    private var newContacts: [NewContact] = []
    /// PostgreSQL: attribute values waiting for one COPY and one merge (the last value
    /// of an attribute wins, as it would written in order).
    private var stagedAttributes: [AttributeKey: (type: String, json: String)] = [:]
    /// PostgreSQL: the staging tables this run's transaction has made (see `stage`).
    private var madeStages: Set<String> = []
    /// Whether the store had events with ids before the run (then ids are also looked up).
    private var storeHadIDs = false
    /// Whether the store had contacts before the run (if not, the run's caches know them all).
    private var storeHadContacts = true
    /// PostgreSQL: the ids of the current batch that are already stored.
    private var storedIDs: Set<String> = []
    private var lastTouched: Int64 = -1
    /// Events stored by `EventKind.rawValue` (copied into `summary.storedByKind` at the end).
    private var kindCounts = [Int](repeating: 0, count: EventKind.allCases.count + 1)
    /// Whether the secondary indexes are dropped for the rest of the run (see `enterBulkMode`).
    private var bulk = false
    private var bulkThreshold = 0
    private var droppedIndexes: [(name: String, sql: String)] = []

    // Caches for the run: ids by natural key.
    private var contactsByEmail: [String: Int64] = [:]
    private var contactsByPhone: [String: Int64] = [:]
    private var campaignIDs: [String: Int64] = [:]
    private var links: [LinkKey: LinkInfo] = [:]
    /// By the interner's keys: the names (in key order, from the batches) and the store
    /// ids found for them so far (`unknownID`: not yet, or forgotten).
    private var contactKeyNames: [(name: String, isEmail: Bool)] = []
    private var contactKeyIDs: [Int64] = []
    private var campaignKeyNames: [String] = []
    private var campaignKeyIDs: [Int64] = []
    private static let unknownID = Int64.min
    /// Rollup deltas worth writing while the writing thread would wait for the decoding one.
    private static let rowsWhileWaiting = 20_000
    /// Contact keys by name, made by the first `unmapContact` and kept up to date after it.
    private var contactKeyIndex: [ContactName: Int]?

    // Rollup deltas.
    private var activity: [PairKey: ActivityDelta] = [:]
    /// The pair of the last event and its delta, not yet in `activity`.
    private var pair = PairKey(campaign: .min, contact: .min)
    private var pairDelta = ActivityDelta()
    /// Per-contact sums of the `activity` deltas already written (see `flushActivityRows`).
    private var contactDeltas: [Int64: ActivityDelta] = [:]
    private var stats: [StatsKey: StatsDelta] = [:]
    private var touchedCampaigns: Set<Int64> = []
    private var clickRecount: Set<Int64> = []
    private var maxMessage: [Int64: Int64] = [:]

    /// Creates an importer for `store`.
    public init(store: Store, options: ImportOptions = ImportOptions()) {
        self.store = store
        self.options = options
        self.db = store.database
        self.postgres = store.database as? PostgresDatabase
    }

    /// Imports `sources` in order, in one transaction; returns what happened.
    ///
    /// Bad lines are reported through `onBadLine` and the summary; with them and without
    /// `skipBad`, nothing is stored (`summary.committed` is false). Throws `ImportError`
    /// when the run stops for another reason; the store is then unchanged.
    public func run(_ sources: [ImportSource]) throws -> ImportSummary {
        let started = monotonicSeconds()
        summary = ImportSummary()
        kindCounts = [Int](repeating: 0, count: EventKind.allCases.count + 1)
        writing = true
        createdAt = options.now ?? Int64(time(nil))
        resetCaches()
        bulk = false
        droppedIndexes = []
        // SQLite only: settings for a large write, restored afterwards.
        let sqlite = db as? SQLiteDatabase
        var restore: [String] = []
        do {
            if let sqlite {
                restore = [
                    "PRAGMA foreign_keys = \(try sqlite.int64("PRAGMA foreign_keys") ?? 1)",
                    "PRAGMA cache_size = \(try sqlite.int64("PRAGMA cache_size") ?? -2000)",
                    "PRAGMA temp_store = DEFAULT",
                    "PRAGMA secure_delete = \(try sqlite.int64("PRAGMA secure_delete") ?? 0)",
                    "PRAGMA ignore_check_constraints = \(try sqlite.int64("PRAGMA ignore_check_constraints") ?? 0)",
                ]
                // A large page cache keeps the event indexes in memory during a big import;
                // statement journals and temporary B-trees stay in memory; index rebuilds
                // (bulk mode, see `finish`) sort with helper threads.
                try sqlite.execute("PRAGMA cache_size = -524288")
                try sqlite.execute("PRAGMA temp_store = MEMORY")
                try sqlite.execute("PRAGMA threads = 2")
                // Debian's SQLite is built with SECURE_DELETE, which zeroes every freed page;
                // the indexes dropped in bulk mode need no such care.
                try sqlite.execute("PRAGMA secure_delete = OFF")
                // Every id the importer writes into a reference column was just read from or
                // inserted into the parent table, so SQLite's per-row parent lookups would
                // only repeat what the importer knows (they cost a third of the insert time).
                // The pragma cannot change inside a transaction, hence here.
                try sqlite.execute("PRAGMA foreign_keys = OFF")
                // Likewise the CHECK constraints: every value the importer writes into a
                // checked column comes from a closed set in its own code (an attribute's
                // type name, a channel, a bounce the decoders mapped to hard or soft, 0/1
                // from a Bool, a count checked positive). Checked, they cost more than the
                // rows: SQLite builds a temporary table for `type IN ('string', 'number',
                // 'boolean')` on every attribute row.
                try sqlite.execute("PRAGMA ignore_check_constraints = ON")
            }
            try db.begin()
            try store.writeShardsSequentially()
        } catch let e as DatabaseError {
            throw ImportError.database(e)
        }
        defer {
            for sql in restore { try? db.execute(sql) }
        }
        do {
            // Past this many new events, rebuilding the indexes beats updating them.
            // (PostgreSQL keeps its indexes: COPY into indexed tables is its fast path.)
            bulkThreshold = sqlite == nil ? Int.max : try options.bulkThreshold
                ?? Int(try db.int64("SELECT coalesce(max(id), 0) FROM events") ?? 0) / 4 + 20_000
            storeHadIDs = try db.int64("SELECT 1 FROM events WHERE external_id IS NOT NULL LIMIT 1") != nil
            storeHadContacts = try db.int64("SELECT 1 FROM contacts LIMIT 1") != nil
            statements = try Statements(db)
            for source in sources {
                try read(source, started: started)
            }
            summary.phases.append(("read and write events", monotonicSeconds() - started))
            if writing {
                try finish()
            }
            statements = nil
            if writing {
                // The saved segments' views hold campaign and link ids and resolved globs,
                // and bind attribute names: the import may have added any of these, so the
                // views are compiled again before the commit, in the same transaction.
                var t = monotonicSeconds()
                if try db.int64("SELECT 1 FROM segments LIMIT 1") != nil {
                    try SegmentViews.refreshAll(in: store)
                    summary.phases.append(("segment views", monotonicSeconds() - t))
                }
                t = monotonicSeconds()
                try db.execute("COMMIT")
                summary.phases.append(("commit", monotonicSeconds() - t))
                summary.committed = true
            } else {
                db.rollbackQuietly()
            }
        } catch {
            statements = nil
            db.rollbackQuietly()
            resetCaches()
            switch error {
            case let e as ImportError: throw e
            case let e as DatabaseError: throw e.isInterrupt ? ImportError.cancelled : ImportError.database(e)
            case let e as ImportIOError: throw ImportError.io(e)
            default: throw error
            }
        }
        resetCaches()
        for kind in EventKind.allCases where kindCounts[kind.rawValue] > 0 {
            summary.storedByKind[kind] = kindCounts[kind.rawValue]
        }
        summary.elapsed = monotonicSeconds() - started
        return summary
    }

    private func resetCaches() {
        contactsByEmail = [:]
        contactsByPhone = [:]
        campaignIDs = [:]
        links = [:]
        activity = [:]
        pair = PairKey(campaign: .min, contact: .min)
        pairDelta = ActivityDelta()
        contactDeltas = [:]
        stats = [:]
        touchedCampaigns = []
        pending = []
        interner = RunInterner()
        pendingAttributes = []
        reservedContactIDs = []
        reserveBlock = 16
        newContacts = []
        stagedAttributes = [:]
        madeStages = []
        contactKeyNames = []
        contactKeyIDs = []
        contactKeyIndex = nil
        campaignKeyNames = []
        campaignKeyIDs = []
        lastTouched = -1
        clickRecount = []
        maxMessage = [:]
    }

    private func checkCancelled() throws {
        if let isCancelled, isCancelled() { throw ImportError.cancelled }
    }

    private func read(_ source: ImportSource, started: Double) throws {
        let total = LineReader.size(of: source)
        let queue = BatchQueue(capacity: 64)
        let reader = DecodePipeline.start(source, options: options, interner: interner, into: queue)
        defer {
            queue.close()
            reader.join()
        }
        loop: while true {
            var next = queue.poll()
            if next == nil, activity.count >= Self.rowsWhileWaiting, let s = statements, writing {
                // The decoding thread is behind: write rollup rows meanwhile rather than wait.
                try flushActivityRows(s)
                next = queue.poll()
            }
            switch next ?? queue.take() {
            case .end:
                break loop
            case .failed(let error):
                throw error
            case .batch(let batch):
                try checkCancelled()
                learn(batch.fresh)
                if storeHadIDs, let postgres { try findStoredIDs(batch.lines, in: postgres) }
                for decoded in batch.lines {
                    if case .note(let text) = decoded.result {
                        summary.notes.append("\(source.name): \(text)")
                        continue
                    }
                    summary.records += 1
                    switch decoded.result {
                    case .note: break
                    case .bad(let error):
                        bad(BadLine(file: source.name, line: decoded.line, record: decoded.record, message: error.message))
                    case .unsupported(let type):
                        summary.unsupported += 1
                        summary.unsupportedByType[type, default: 0] += 1
                    case .record(let record):
                        guard writing else {
                            // All-or-nothing after a bad line: keep checking, stop writing.
                            if case .event = record { summary.events += 1 } else { summary.declarations += 1 }
                            continue
                        }
                        try apply(record)
                    case .records(let records, let unsupported):
                        // One platform record for several recipients (SES) or events (a Mailgun page).
                        for record in records {
                            if writing { try apply(record) } else if case .event = record { summary.events += 1 }
                        }
                        for type in unsupported {
                            summary.unsupported += 1
                            summary.unsupportedByType[type, default: 0] += 1
                        }
                    }
                }
                onProgress?(ImportProgress(source: source.name, bytesRead: batch.bytesConsumed, totalBytes: total,
                                           records: summary.records, elapsed: monotonicSeconds() - started))
            }
        }
    }

    /// PostgreSQL: which event ids of a decoded batch are already stored, in one query
    /// (a lookup per event would be a round trip per event: 7,700 events/s re-importing).
    private func findStoredIDs(_ lines: [DecodedLine], in postgres: PostgresDatabase) throws {
        storedIDs.removeAll(keepingCapacity: true)
        var ids: [String] = []
        for decoded in lines {
            switch decoded.result {
            case .record(.event(let e)): if let id = e.id { ids.append(id) }
            case .records(let records, _):
                for case .event(let e) in records { if let id = e.id { ids.append(id) } }
            default: break
            }
        }
        guard !ids.isEmpty else { return }
        try postgres.query("SELECT external_id FROM events WHERE external_id = ANY(CAST(?1 AS text[]))",
                           [.text(PostgresDatabase.arrayLiteral(ids))]) { storedIDs.insert($0.text(0)) }
    }

    private func bad(_ line: BadLine) {
        summary.bad += 1
        if summary.badLines.count < options.keptBadLines { summary.badLines.append(line) }
        onBadLine?(line)
        if !options.skipBad { writing = false }
    }

    // MARK: - Applying records

    private func apply(_ record: ImportRecord) throws {
        guard let s = statements else { return }
        switch record {
        case .event(let e):
            summary.events += 1
            try applyEvent(e, s)
        case .contact(let c):
            summary.declarations += 1
            try applyContact(c, s)
        case .campaign(let c):
            summary.declarations += 1
            try applyCampaign(c, s)
        case .link(let l):
            summary.declarations += 1
            try applyLink(l, s)
        }
    }

    private func applyEvent(_ e: EventRecord, _ s: Statements) throws {
        // Duplicates first, before anything is created: an id seen earlier in this run,
        // or (only when the store had ids before the run) one already stored.
        if let id = e.id {
            if e.repeated {
                summary.duplicates += 1
                return
            }
            if storeHadIDs {
                let exists: Bool
                if postgres != nil {
                    exists = storedIDs.contains(id)
                } else {
                    try s.findExternalID.bind(id, at: 1)
                    exists = try s.findExternalID.step()
                    s.findExternalID.reset()
                }
                if exists {
                    summary.duplicates += 1
                    return
                }
            }
        }
        let contact = try contactID(of: e, s)
        let campaign = try campaignID(of: e, s)
        var link: LinkInfo?
        if let url = e.url { link = try linkInfo(campaign: campaign, url: url, footer: e.footer, s) }

        pending.append(PendingEvent(kind: e.kind, contact: contact, campaign: campaign, message: e.message, ts: e.ts,
                                    link: link?.id, bounce: e.bounce, reason: e.reason, machine: e.machine, id: e.id))
        if pending.count == s.eventBatch { try flushEvents(s) }
        summary.stored += 1
        kindCounts[e.kind.rawValue] += 1

        // Events of one contact in one campaign often come together: they add up here,
        // and reach the dictionary when the pair changes.
        let key = PairKey(campaign: campaign, contact: contact)
        if key != pair {
            stashPair()
            pair = key
        }
        pairDelta.add(e.kind, ts: e.ts, machine: e.machine, footer: link?.footer ?? false)
        stats[StatsKey(campaign: campaign, kind: Int64(e.kind.rawValue)), default: StatsDelta()].add(e.ts)
        if campaign != lastTouched {
            touchedCampaigns.insert(campaign)
            lastTouched = campaign
        }
        if e.message > 1 {
            maxMessage[campaign] = max(maxMessage[campaign] ?? 1, e.message)
        }
        if activity.count >= options.flushThreshold {
            try flushActivity(s)
        }
        if !bulk && summary.stored >= bulkThreshold {
            try enterBulkMode()
        }
    }

    /// Writes the buffered events, many rows per statement (on PostgreSQL, one COPY).
    private func flushEvents(_ s: Statements) throws {
        guard !pending.isEmpty else { return }
        if let postgres {
            try flushContacts()
            try postgres.copy(into: "events", columns: PendingEvent.columnNames) { w in
                for e in pending { try e.write(to: &w) }
            }
            pending.removeAll(keepingCapacity: true)
            return
        }
        var start = 0
        while start < pending.count {
            let n = pending.count - start >= Statements.batch ? Statements.batch : 1
            let st = n == Statements.batch ? s.insertEvents : s.insertEvent
            for k in 0..<n {
                try pending[start + k].bind(to: st, at: Int32(k * PendingEvent.columns))
            }
            try st.run()
            start += n
        }
        pending.removeAll(keepingCapacity: true)
    }

    /// Drops the secondary indexes of `events` and `activity` for the rest of the run;
    /// `finish` recreates them. Sorting once is far cheaper than millions of random
    /// B-tree inserts. The unique index on `events.external_id` stays when the store
    /// already had ids (it answers "is this id stored?"); otherwise the run's own set of
    /// ids finds duplicates and the index is rebuilt too. All of this is inside the
    /// run's transaction, so a failed or killed import leaves the indexes as they were.
    private func enterBulkMode() throws {
        bulk = true
        try db.query("""
            SELECT name, sql FROM sqlite_master
            WHERE type = 'index' AND sql IS NOT NULL AND tbl_name IN ('events', 'activity')
            ORDER BY name
            """) { row in
            let name = row.text(0)
            if name == "events_by_external_id" && storeHadIDs { return }
            droppedIndexes.append((name, row.text(1)))
        }
        for (name, _) in droppedIndexes {
            try db.execute("DROP INDEX \(quoteIdentifier(name))")
        }
    }

    /// Adds the names a batch brings (the interner's keys continue across batches and sources).
    private func learn(_ fresh: FreshNames) {
        if contactKeyIndex != nil {
            for (i, c) in fresh.contacts.enumerated() {
                contactKeyIndex?[ContactName(name: c.name, isEmail: c.isEmail)] = contactKeyNames.count + i
            }
        }
        contactKeyNames.append(contentsOf: fresh.contacts)
        contactKeyIDs.append(contentsOf: repeatElement(Self.unknownID, count: fresh.contacts.count))
        campaignKeyNames.append(contentsOf: fresh.campaigns)
        campaignKeyIDs.append(contentsOf: repeatElement(Self.unknownID, count: fresh.campaigns.count))
    }

    /// The event's contact, by its interner key (an array index) once known.
    @inline(__always)
    private func contactID(of e: EventRecord, _ s: Statements) throws -> Int64 {
        let k = Int(e.contactKey)
        guard k >= 0 else { return try e.contactIsEmail ? contactID(email: e.contact, s) : contactID(phone: e.contact, s) }
        let known = contactKeyIDs[k]
        if known != Self.unknownID { return known }
        let (name, isEmail) = contactKeyNames[k]
        let id = try isEmail ? contactID(email: name, s) : contactID(phone: name, s)
        contactKeyIDs[k] = id
        return id
    }

    /// The event's campaign, by its interner key once known (a campaign's id never changes in a run).
    @inline(__always)
    private func campaignID(of e: EventRecord, _ s: Statements) throws -> Int64 {
        let k = Int(e.campaignKey)
        guard k >= 0 else { return try campaignID(e.campaign, s) }
        let known = campaignKeyIDs[k]
        if known != Self.unknownID { return known }
        let id = try campaignID(campaignKeyNames[k], s)
        campaignKeyIDs[k] = id
        return id
    }

    /// Forgets which contact an address or number names (a declaration gave the contact
    /// another one, or the contact was merged into another), in both caches.
    private func unmapContact(_ name: String, isEmail: Bool) {
        if isEmail { contactsByEmail[name] = nil } else { contactsByPhone[name] = nil }
        if contactKeyIndex == nil {
            // Built at the first need only: most runs never change what a name names.
            var index: [ContactName: Int] = [:]
            for (k, c) in contactKeyNames.enumerated() { index[ContactName(name: c.name, isEmail: c.isEmail)] = k }
            contactKeyIndex = index
        }
        if let k = contactKeyIndex?[ContactName(name: name, isEmail: isEmail)] { contactKeyIDs[k] = Self.unknownID }
    }

    /// The contact with this (lower-cased) e-mail, created if missing.
    private func contactID(email: String, _ s: Statements) throws -> Int64 {
        if let id = try findContact(email: email, s) { return id }
        return try createContact(email: email, phone: nil, s)
    }

    /// The contact with this phone number, created if missing.
    private func contactID(phone: String, _ s: Statements) throws -> Int64 {
        if let id = try findContact(phone: phone, s) { return id }
        return try createContact(email: nil, phone: phone, s)
    }

    private func findContact(email: String, _ s: Statements) throws -> Int64? {
        if let id = contactsByEmail[email] { return id }
        guard storeHadContacts else { return nil }
        try flushContacts()
        try s.contactByEmail.bind(email, at: 1)
        defer { s.contactByEmail.reset() }
        guard try s.contactByEmail.step() else { return nil }
        let id = s.contactByEmail.int64(0)
        contactsByEmail[email] = id
        return id
    }

    private func findContact(phone: String, _ s: Statements) throws -> Int64? {
        if let id = contactsByPhone[phone] { return id }
        guard storeHadContacts else { return nil }
        try flushContacts()
        try s.contactByPhone.bind(phone, at: 1)
        defer { s.contactByPhone.reset() }
        guard try s.contactByPhone.step() else { return nil }
        let id = s.contactByPhone.int64(0)
        contactsByPhone[phone] = id
        return id
    }

    /// Creates a contact; a declaration gives its other fields at once (an event only the
    /// address or number).
    private func createContact(email: String?, phone: String?, declared c: ContactRecord? = nil,
                               _ s: Statements) throws -> Int64 {
        if postgres != nil {
            // Written by the next COPY; the id is drawn now, as events need it at once.
            let id = try reserveContactID()
            newContacts.append(NewContact(id: id, email: email, phone: phone, firstName: c?.firstName,
                                          lastName: c?.lastName, createdAt: c?.createdAt))
            if let email { contactsByEmail[email] = id }
            if let phone { contactsByPhone[phone] = id }
            summary.contactsCreated += 1
            return id
        }
        try s.insertContact.bind(email, at: 1)
        try s.insertContact.bind(phone, at: 2)
        try s.insertContact.bind(c?.firstName, at: 3)
        try s.insertContact.bind(c?.lastName, at: 4)
        try s.insertContact.bind(c?.createdAt, at: 5)
        let id = try insertedID(s.insertContact)
        if let email { contactsByEmail[email] = id }
        if let phone { contactsByPhone[phone] = id }
        summary.contactsCreated += 1
        return id
    }

    /// PostgreSQL: the next id of the contacts' sequence, drawn in blocks (one round trip
    /// per block; `releaseContactIDs` gives back what the run did not use).
    private func reserveContactID() throws -> Int64 {
        if reservedContactIDs.isEmpty {
            var ids: [Int64] = []
            ids.reserveCapacity(reserveBlock)
            try db.query("SELECT nextval(pg_get_serial_sequence('contacts', 'id')) FROM generate_series(1, ?1)",
                         [.integer(Int64(reserveBlock))]) { ids.append($0.int64(0)) }
            reservedContactIDs = ids[...]
            reserveBlock = min(reserveBlock * 2, Self.maxReserve)
        }
        return reservedContactIDs.removeFirst()
    }

    /// PostgreSQL: sets the contacts' sequence back to the first id this run drew but did
    /// not use, unless another session has drawn from it since.
    private func releaseContactIDs() throws {
        guard let first = reservedContactIDs.first, let last = reservedContactIDs.last else { return }
        try db.execute("""
            SELECT setval(s, ?1, false) FROM (SELECT CAST(pg_get_serial_sequence('contacts', 'id') AS regclass) AS s) q
            WHERE pg_sequence_last_value(s) = ?2
            """, [.integer(first), .integer(last)])
        reservedContactIDs = []
    }

    /// PostgreSQL: writes the new contacts with one COPY.
    private func flushContacts() throws {
        guard let postgres, !newContacts.isEmpty else { return }
        try postgres.copy(into: "contacts", columns: ["id", "email", "phone", "first_name", "last_name", "created_at"]) { w in
            for c in newContacts {
                w.int(c.id)
                w.text(c.email)
                w.text(c.phone)
                w.text(c.firstName)
                w.text(c.lastName)
                w.int(c.createdAt)
                try w.endRow()
            }
        }
        newContacts.removeAll(keepingCapacity: true)
    }

    /// Runs a bound INSERT of `Statements` and returns the new row's id. On PostgreSQL the
    /// statement says `RETURNING id` (one round trip, where asking `lastval()` afterwards
    /// would be a second); on SQLite it does not (RETURNING makes SQLite build a temporary
    /// table per row) and the connection's last rowid is the id.
    private func insertedID(_ insert: PreparedStatement) throws -> Int64 {
        if postgres == nil {
            try insert.run()
            return try db.lastInsertRowID
        }
        defer { insert.reset() }
        guard try insert.step() else {
            throw DatabaseError(code: DatabaseError.misuse, message: "INSERT … RETURNING returned no row", sql: insert.sql)
        }
        return insert.int64(0)
    }

    /// The campaign with this name, if it exists.
    private func findCampaign(_ name: String, _ s: Statements) throws -> Int64? {
        if let id = campaignIDs[name] { return id }
        try s.campaignByName.bind(name, at: 1)
        defer { s.campaignByName.reset() }
        guard try s.campaignByName.step() else { return nil }
        let id = s.campaignByName.int64(0)
        campaignIDs[name] = id
        return id
    }

    /// Creates a campaign as channel e-mail, unsent.
    private func createCampaign(_ name: String, _ s: Statements) throws -> Int64 {
        try s.insertCampaign.bind(name, at: 1)
        try s.insertCampaign.bind(createdAt, at: 2)
        let id = try insertedID(s.insertCampaign)
        campaignIDs[name] = id
        summary.campaignsCreated += 1
        return id
    }

    private func campaignID(_ name: String, _ s: Statements) throws -> Int64 {
        if let id = try findCampaign(name, s) { return id }
        return try createCampaign(name, s)
    }

    /// The link with this URL in this campaign, if it exists.
    private func findLink(campaign: Int64, url: String, _ s: Statements) throws -> LinkInfo? {
        let key = LinkKey(campaign: campaign, url: url)
        if let info = links[key] { return info }
        try s.linkByURL.bind(campaign, at: 1)
        try s.linkByURL.bind(url, at: 2)
        defer { s.linkByURL.reset() }
        guard try s.linkByURL.step() else { return nil }
        let info = LinkInfo(id: s.linkByURL.int64(0), footer: s.linkByURL.int64(1) != 0)
        links[key] = info
        return info
    }

    /// The link with this URL in this campaign, created if missing: a footer link when
    /// `footer` says so, or when it is nil and `FooterLinks` recognises the URL. A
    /// declared `footer` different from a stored link's flag changes the flag.
    private func linkInfo(campaign: Int64, url: String, footer: Bool?, _ s: Statements) throws -> LinkInfo {
        guard let info = try findLink(campaign: campaign, url: url, s) else {
            let flag = footer ?? FooterLinks.isFooter(url: url)
            if footer == nil, flag { summary.footerLinksRecognised += 1 }
            return try createLink(campaign: campaign, url: url, footer: flag, s)
        }
        guard let footer, footer != info.footer else { return info }
        return try setFooter(info, footer, campaign: campaign, url: url, s)
    }

    /// Changes a stored link's footer flag; the campaign's clicks are counted again.
    private func setFooter(_ info: LinkInfo, _ footer: Bool, campaign: Int64, url: String, _ s: Statements) throws -> LinkInfo {
        try s.updateLinkFooter.bind(Int64(footer ? 1 : 0), at: 1)
        try s.updateLinkFooter.bind(info.id, at: 2)
        try s.updateLinkFooter.run()
        let updated = LinkInfo(id: info.id, footer: footer)
        links[LinkKey(campaign: campaign, url: url)] = updated
        // Clicks already counted on this link were counted with the old flag.
        clickRecount.insert(campaign)
        touchedCampaigns.insert(campaign)
        return updated
    }

    private func createLink(campaign: Int64, url: String, footer: Bool, _ s: Statements) throws -> LinkInfo {
        try s.insertLink.bind(campaign, at: 1)
        try s.insertLink.bind(url, at: 2)
        try s.insertLink.bind(linkPath(ofURL: url), at: 3)
        try s.insertLink.bind(Int64(footer ? 1 : 0), at: 4)
        let info = LinkInfo(id: try insertedID(s.insertLink), footer: footer)
        links[LinkKey(campaign: campaign, url: url)] = info
        summary.linksCreated += 1
        return info
    }

    private func applyCampaign(_ c: CampaignRecord, _ s: Statements) throws {
        let id = try campaignID(c.name, s)
        let u = s.updateCampaign
        try u.bind(id, at: 1)
        try u.bind(c.channel?.rawValue, at: 2)
        try u.bind(c.subject, at: 3)
        try u.bind(c.messages, at: 4)
        try u.bind(c.sentAt, at: 5)
        try u.run()
        touchedCampaigns.insert(id)
    }

    private func applyLink(_ l: LinkRecord, _ s: Statements) throws {
        _ = try linkInfo(campaign: try campaignID(l.campaign, s), url: l.url, footer: l.footer, s)
    }

    private func applyContact(_ c: ContactRecord, _ s: Statements) throws {
        let byEmail = try c.email.flatMap { try findContact(email: $0, s) }
        let byPhone = try c.phone.flatMap { try findContact(phone: $0, s) }
        let id: Int64
        switch (byEmail, byPhone) {
        case (nil, nil):
            // A new contact, written whole: nothing to replace or update.
            id = try createContact(email: c.email, phone: c.phone, declared: c, s)
        case let (a?, b?) where a != b:
            // One contact per person: the e-mail and the phone named two contacts.
            id = min(a, b)
            try merge(keep: id, drop: max(a, b), s)
        case let (a, b):
            id = a ?? b ?? 0
        }
        if byEmail != nil || byPhone != nil {
            try flushContacts()
            // Setting an address or number that the contact did not have replaces its old one.
            if (c.email != nil && byEmail != id) || (c.phone != nil && byPhone != id) {
                try s.contactIdentity.bind(id, at: 1)
                if try s.contactIdentity.step() {
                    if c.email != nil, !s.contactIdentity.isNull(0) { unmapContact(s.contactIdentity.text(0), isEmail: true) }
                    if c.phone != nil, !s.contactIdentity.isNull(1) { unmapContact(s.contactIdentity.text(1), isEmail: false) }
                }
                s.contactIdentity.reset()
            }
            let u = s.updateContact
            try u.bind(id, at: 1)
            try u.bind(c.email, at: 2)
            try u.bind(c.phone, at: 3)
            try u.bind(c.firstName, at: 4)
            try u.bind(c.lastName, at: 5)
            try u.bind(c.createdAt, at: 6)
            try u.run()
        }
        if let email = c.email { contactsByEmail[email] = id }
        if let phone = c.phone { contactsByPhone[phone] = id }
        for (name, value) in c.attributes {
            if postgres != nil, let value {
                stagedAttributes[AttributeKey(contact: id, name: name)] = (value.typeName, value.jsonText)
                if stagedAttributes.count >= 100_000 { try flushAttributes(s) }
            } else if let value {
                // Many rows per statement; a second value for the same attribute waits for
                // the next statement (PostgreSQL refuses to update a row twice in one).
                if !pendingAttributes.insert(AttributeKey(contact: id, name: name)).inserted {
                    try flushAttributes(s)
                    pendingAttributes.insert(AttributeKey(contact: id, name: name))
                }
                let type = value.typeName
                let stored: SQLValue = postgres != nil ? .text(value.jsonText) : value.sqlValue
                try s.upsertAttributes.add { st, b in
                    try st.bind(id, at: b + 1)
                    try st.bind(name, at: b + 2)
                    try st.bind(type, at: b + 3)
                    try st.bind(stored, at: b + 4)
                }
                if s.upsertAttributes.pendingRows == 0 { pendingAttributes.removeAll(keepingCapacity: true) }
            } else {
                try flushAttributes(s)
                try s.deleteAttribute.bind(id, at: 1)
                try s.deleteAttribute.bind(name, at: 2)
                try s.deleteAttribute.run()
            }
        }
    }

    /// Writes the attribute values waiting for a multi-row statement.
    /// On PostgreSQL: the staged values go by COPY into a temporary table, merged
    /// into `contact_attributes` by one statement.
    private func flushAttributes(_ s: Statements) throws {
        try s.upsertAttributes.finish()
        pendingAttributes.removeAll(keepingCapacity: true)
        guard let postgres, !stagedAttributes.isEmpty else { return }
        try flushContacts()
        try stage("segq_staged_attributes", #"contact_id bigint, name text COLLATE "C", type text COLLATE "C", value jsonb"#)
        try postgres.copy(into: "segq_staged_attributes", columns: ["contact_id", "name", "type", "value"]) { w in
            for (key, value) in stagedAttributes {
                w.int(key.contact)
                w.text(key.name)
                w.text(value.type)
                w.text(value.json)
                try w.endRow()
            }
        }
        try postgres.execute("""
            INSERT INTO contact_attributes(contact_id, name, type, value)
            SELECT contact_id, name, type, value FROM segq_staged_attributes ORDER BY contact_id, name
            ON CONFLICT(contact_id, name) DO UPDATE SET type = excluded.type, value = excluded.value;
            TRUNCATE segq_staged_attributes
            """)
        stagedAttributes.removeAll(keepingCapacity: true)
    }

    /// PostgreSQL: makes the temporary table `name` for rows staged by COPY, once per run
    /// (dropped with the run's transaction).
    private func stage(_ name: String, _ columns: String) throws {
        guard !madeStages.contains(name) else { return }
        try db.execute("CREATE TEMPORARY TABLE \(name) (\(columns)) ON COMMIT DROP")
        madeStages.insert(name)
    }

    /// PostgreSQL: adds rollup deltas to `table` keyed by `key`: the rows go by COPY into
    /// a staging table and are merged by one INSERT … ON CONFLICT (each key once).
    private func mergeDeltas(into table: String, key: [String], _ rows: (inout CopyWriter) throws -> Void) throws {
        guard let postgres else { return }
        let staged = "segq_staged_\(table)"
        let columns = key + ActivityDelta.columns
        try stage(staged, columns.map { $0.hasPrefix("last_") || $0.hasSuffix("_id") ? "\($0) bigint" : "\($0) integer" }
            .joined(separator: ", "))
        try postgres.copy(into: staged, columns: columns, rows)
        let list = columns.joined(separator: ", ")
        try postgres.execute("""
            INSERT INTO \(table)(\(list)) SELECT \(list) FROM \(staged) ORDER BY \(key.joined(separator: ", "))
            \(ActivityDelta.upsertClause(table: table, conflict: key.joined(separator: ", ")));
            TRUNCATE \(staged)
            """)
    }

    /// Moves everything of contact `drop` to contact `keep` and deletes `drop`.
    private func merge(keep: Int64, drop: Int64, _ s: Statements) throws {
        // The events, attributes and rollup rows of `drop` must be written before they are moved.
        try flushEvents(s)
        try flushAttributes(s)
        try flushActivity(s)
        try db.query("SELECT campaign_id FROM activity WHERE contact_id = ?", [.integer(drop)]) {
            touchedCampaigns.insert($0.int64(0))
        }
        let k = SQLValue.integer(keep), d = SQLValue.integer(drop)
        if store.isCitus {
            // Citus does not change a row's distribution column: the events move to the
            // kept contact's shard as new rows (with their ids) and leave the old one.
            let columns = PendingEvent.columnNames.filter { $0 != "contact_id" }.joined(separator: ", ")
            try db.execute("""
                INSERT INTO events(id, contact_id, \(columns)) SELECT id, ?1, \(columns) FROM events WHERE contact_id = ?2
                """, [k, d])
            try db.execute("DELETE FROM events WHERE contact_id = ?1", [d])
        } else {
            try db.execute("UPDATE events SET contact_id = ?1 WHERE contact_id = ?2", [k, d])
        }
        try db.execute("""
            INSERT INTO contact_attributes(contact_id, name, type, value)
            SELECT ?1, name, type, value FROM contact_attributes WHERE contact_id = ?2
            ON CONFLICT(contact_id, name) DO NOTHING
            """, [k, d])
        try db.execute("""
            INSERT INTO list_members(list_id, contact_id)
            SELECT list_id, ?1 FROM list_members WHERE contact_id = ?2
            ON CONFLICT(list_id, contact_id) DO NOTHING
            """, [k, d])
        try db.execute("""
            INSERT INTO activity(campaign_id, contact_id, \(ActivityDelta.columns.joined(separator: ", ")))
            SELECT campaign_id, ?1, \(ActivityDelta.columns.joined(separator: ", "))
            FROM activity WHERE contact_id = ?2
            \(ActivityDelta.upsertClause(table: "activity", conflict: "campaign_id, contact_id"))
            """, [k, d])
        try db.execute("DELETE FROM activity WHERE contact_id = ?1", [d])
        try db.execute("""
            INSERT INTO contact_activity(contact_id, \(ActivityDelta.columns.joined(separator: ", ")))
            SELECT ?1, \(ActivityDelta.columns.joined(separator: ", "))
            FROM contact_activity WHERE contact_id = ?2
            \(ActivityDelta.upsertClause(table: "contact_activity", conflict: "contact_id"))
            """, [k, d])
        try db.execute("DELETE FROM contact_activity WHERE contact_id = ?1", [d])
        // The dropped contact's fields are read first and sent as values (on Citus the two
        // contacts live on different shards, and an UPDATE reads only its own).
        var dropped: [SQLValue] = [.null, .null, .null]
        try db.query("SELECT first_name, last_name, created_at FROM contacts WHERE id = ?1", [d]) { row in
            dropped = [row.value(0), row.value(1), row.value(2)]
        }
        try db.execute("""
            UPDATE contacts SET
                first_name = coalesce(first_name, ?2),
                last_name = coalesce(last_name, ?3),
                created_at = \(PortableSQL.least("created_at", "CAST(?4 AS bigint)"))
            WHERE id = ?1
            """, [k] + dropped)
        // Forget the dropped contact's identifiers; the caller records the kept ones.
        try db.query("SELECT email, phone FROM contacts WHERE id = ?", [d]) { row in
            if let e = row.optionalText(0) { unmapContact(e, isEmail: true) }
            if let p = row.optionalText(1) { unmapContact(p, isEmail: false) }
        }
        // Foreign keys are off during an import, so nothing cascades: delete explicitly.
        try db.execute("DELETE FROM contact_attributes WHERE contact_id = ?1", [d])
        try db.execute("DELETE FROM list_members WHERE contact_id = ?1", [d])
        try db.execute("DELETE FROM contacts WHERE id = ?1", [d])
        summary.contactsMerged += 1
    }

    // MARK: - Rollups

    /// Writes all the rollup deltas: the `activity` rows and the `contact_activity` rows.
    private func flushActivity(_ s: Statements) throws {
        try flushActivityRows(s)
        try flushContactDeltas(s)
    }

    /// Adds the per-contact deltas gathered so far into `contact_activity`.
    private func flushContactDeltas(_ s: Statements) throws {
        guard !contactDeltas.isEmpty else { return }
        if postgres != nil {
            try mergeDeltas(into: "contact_activity", key: ["contact_id"]) { w in
                for (contact, d) in contactDeltas {
                    w.int(contact)
                    try d.write(to: &w)
                }
            }
        } else {
            for contact in contactDeltas.keys.sorted() {
                guard let d = contactDeltas[contact] else { continue }
                try s.upsertContactActivity.add { st, b in
                    try st.bind(contact, at: b + 1)
                    try d.bind(to: st, from: b + 2)
                }
            }
            try s.upsertContactActivity.finish()
        }
        contactDeltas.removeAll(keepingCapacity: true)
        try checkCancelled()
    }

    /// Writes the `activity` deltas gathered so far and adds them to the per-contact
    /// deltas, which wait (a contact's row would otherwise be rewritten at every call)
    /// until they too reach `flushThreshold` contacts or the run ends. The deltas add
    /// up, so writing them early is the same as writing them at the end; what this
    /// buys is memory bounded by the threshold rather than by the run's size.
    private func flushActivityRows(_ s: Statements) throws {
        stashPair()
        guard !activity.isEmpty else { return }
        try flushContacts()
        contactDeltas.reserveCapacity(min(contactDeltas.count + activity.count / 4, options.flushThreshold))
        if postgres != nil {
            try mergeDeltas(into: "activity", key: ["campaign_id", "contact_id"]) { w in
                for (key, d) in activity {
                    w.int(key.campaign)
                    w.int(key.contact)
                    try d.write(to: &w)
                    contactDeltas[key.contact, default: ActivityDelta()].merge(d)
                }
            }
        } else {
            // In key order, so the B-tree is written front to back.
            for key in activity.keys.sorted() {
                guard let d = activity[key] else { continue }
                try s.upsertActivity.add { st, b in
                    try st.bind(key.campaign, at: b + 1)
                    try st.bind(key.contact, at: b + 2)
                    try d.bind(to: st, from: b + 3)
                }
                contactDeltas[key.contact, default: ActivityDelta()].merge(d)
            }
            try s.upsertActivity.finish()
        }
        activity.removeAll(keepingCapacity: true)
        if contactDeltas.count >= options.flushThreshold { try flushContactDeltas(s) }
    }

    /// Adds the delta of the current (campaign, contact) pair to `activity`.
    private func stashPair() {
        if pairDelta.touched {
            activity[pair, default: ActivityDelta()].merge(pairDelta)
            pairDelta = ActivityDelta()
        }
    }

    /// Writes the pending deltas and brings every derived value up to date.
    private func finish() throws {
        guard let s = statements else { return }
        try flushEvents(s)
        try flushAttributes(s)
        try flushContacts()
        if postgres != nil { try releaseContactIDs() }
        var t = monotonicSeconds()
        try flushActivity(s)
        summary.phases.append(("write rollups", monotonicSeconds() - t))
        if !droppedIndexes.isEmpty {
            // For the sorts of CREATE INDEX, temporary files rather than memory: SQLite's
            // sorter then packs the keys into one growing buffer (up to cache_size, so no
            // file is written below that) instead of allocating every key separately, and
            // may use its helper threads beyond it: 6% less CPU for the rebuilds. Only
            // here: during the writes, statement journals would spill to files. (Refused
            // if the connection had temporary tables; then the sorts stay in memory.)
            try? db.execute("PRAGMA temp_store = FILE")
        }
        for (name, sql) in droppedIndexes {
            try checkCancelled()
            t = monotonicSeconds()
            try db.execute(sql)
            summary.phases.append(("rebuild index \(name)", monotonicSeconds() - t))
        }
        t = monotonicSeconds()
        defer { summary.phases.append(("stats and campaigns", monotonicSeconds() - t)) }
        for campaign in clickRecount.sorted() {
            for sql in ActivityDelta.recountClicksSQL + [ActivityDelta.recountContactClicksSQL] {
                try db.execute(sql, [.integer(campaign)])
            }
        }
        for (key, delta) in stats.sorted(by: { $0.key < $1.key }) {
            try db.execute("""
                INSERT INTO event_stats(campaign_id, kind, events, contacts, min_ts, max_ts)
                VALUES (?1, ?2, ?3, 0, ?4, ?5)
                ON CONFLICT(campaign_id, kind) DO UPDATE SET
                    events = event_stats.events + excluded.events,
                    min_ts = \(PortableSQL.least("event_stats.min_ts", "excluded.min_ts")),
                    max_ts = \(PortableSQL.greatest("event_stats.max_ts", "excluded.max_ts"))
                """, [.integer(key.campaign), .integer(key.kind), .integer(delta.events), .integer(delta.minTS), .integer(delta.maxTS)])
        }
        try checkCancelled()
        for campaign in touchedCampaigns.sorted() {
            try recountContacts(campaign: campaign)
            let c = SQLValue.integer(campaign)
            if let m = maxMessage[campaign] {
                try db.execute("UPDATE campaigns SET messages = \(PortableSQL.greatest("messages", "?2")) WHERE id = ?1", [c, .integer(m)])
            }
            // An undeclared send time is the earliest `sent` event; a send time means sent.
            try db.execute("""
                UPDATE campaigns SET sent_at = (SELECT min_ts FROM event_stats WHERE campaign_id = ?1 AND kind = 1)
                WHERE id = ?1 AND sent_at_declared = 0
                """, [c])
            try db.execute("UPDATE campaigns SET status = 'sent' WHERE id = ?1 AND sent_at IS NOT NULL AND status = 'draft'", [c])
        }
        try checkCancelled()
    }

    /// Sets `event_stats.contacts` of a campaign from its `activity` rows.
    private func recountContacts(campaign: Int64) throws {
        var counts: [Int64] = []
        try db.query("""
            SELECT count(*) FILTER (WHERE sends > 0), count(*) FILTER (WHERE drops > 0),
                   count(*) FILTER (WHERE deliveries > 0), count(*) FILTER (WHERE bounces > 0),
                   count(*) FILTER (WHERE opens > 0), count(*) FILTER (WHERE clicks > 0 OR footer_clicks > 0),
                   count(*) FILTER (WHERE replies > 0), count(*) FILTER (WHERE forwards > 0),
                   count(*) FILTER (WHERE unsubscribes > 0), count(*) FILTER (WHERE complaints > 0)
            FROM activity WHERE campaign_id = ?
            """, [.integer(campaign)]) { row in
            counts = (0..<10).map { row.int64(Int32($0)) }
        }
        for (i, n) in counts.enumerated() {
            try db.execute("UPDATE event_stats SET contacts = ?3 WHERE campaign_id = ?1 AND kind = ?2",
                           [.integer(campaign), .integer(Int64(i + 1)), .integer(n)])
        }
    }
}

// MARK: - Keys and deltas

/// An event checked and resolved, waiting for the next multi-row INSERT.
struct PendingEvent {
    static let columns = 10
    static let columnNames = ["kind", "contact_id", "campaign_id", "message", "ts", "link_id", "bounce", "reason", "machine", "external_id"]
    var kind: EventKind
    var contact: Int64
    var campaign: Int64
    var message: Int64
    var ts: Int64
    var link: Int64?
    var bounce: String?
    var reason: String?
    var machine: Bool
    var id: String?

    /// Binds the 10 columns to parameters `base + 1` … `base + 10`.
    @inline(__always)
    func bind(to st: PreparedStatement, at base: Int32) throws {
        try st.bind(Int64(kind.rawValue), at: base + 1)
        try st.bind(contact, at: base + 2)
        try st.bind(campaign, at: base + 3)
        try st.bind(message, at: base + 4)
        try st.bind(ts, at: base + 5)
        try st.bind(link, at: base + 6)
        try st.bind(bounce, at: base + 7)
        try st.bind(reason, at: base + 8)
        try st.bind(Int64(machine ? 1 : 0), at: base + 9)
        try st.bind(id, at: base + 10)
    }
}

extension PendingEvent {
    /// The 10 columns as one row of a COPY.
    func write(to w: inout CopyWriter) throws {
        w.int(Int64(kind.rawValue))
        w.int(contact)
        w.int(campaign)
        w.int(message)
        w.int(ts)
        w.int(link)
        w.text(bounce)
        w.text(reason)
        w.int(Int64(machine ? 1 : 0))
        w.text(id)
        try w.endRow()
    }
}

struct PairKey: Hashable, Comparable {
    var campaign: Int64
    var contact: Int64
    static func < (a: PairKey, b: PairKey) -> Bool {
        a.campaign != b.campaign ? a.campaign < b.campaign : a.contact < b.contact
    }
}

struct StatsKey: Hashable, Comparable {
    var campaign: Int64
    var kind: Int64
    static func < (a: StatsKey, b: StatsKey) -> Bool {
        a.campaign != b.campaign ? a.campaign < b.campaign : a.kind < b.kind
    }
}

/// A contact created by the run, waiting for the next COPY (PostgreSQL).
struct NewContact {
    var id: Int64
    var email, phone, firstName, lastName: String?
    var createdAt: Int64?
}

struct AttributeKey: Hashable {
    var contact: Int64
    var name: String
}

struct ContactName: Hashable {
    var name: String
    var isEmail: Bool
}

struct LinkKey: Hashable {
    var campaign: Int64
    var url: String
}

struct LinkInfo {
    var id: Int64
    var footer: Bool
}

struct StatsDelta {
    var events: Int64 = 0
    var minTS = Int64.max
    var maxTS = Int64.min

    @inline(__always)
    mutating func add(_ ts: Int64) {
        events += 1
        if ts < minTS { minTS = ts }
        if ts > maxTS { maxTS = ts }
    }
}

/// Counts and latest times of one contact in one campaign, as in the `activity` table.
struct ActivityDelta {
    var sends: Int32 = 0, drops: Int32 = 0, deliveries: Int32 = 0, bounces: Int32 = 0
    var opens: Int32 = 0, machineOpens: Int32 = 0, clicks: Int32 = 0, footerClicks: Int32 = 0
    var replies: Int32 = 0, forwards: Int32 = 0, unsubscribes: Int32 = 0, complaints: Int32 = 0
    /// Int64.min means none.
    var lastDelivered = Int64.min, lastOpened = Int64.min, lastClicked = Int64.min
    /// Whether any event was added (a fresh delta changes nothing).
    var touched = false

    static let columns = [
        "sends", "drops", "deliveries", "bounces", "opens", "machine_opens", "clicks", "footer_clicks",
        "replies", "forwards", "unsubscribes", "complaints", "last_delivered", "last_opened", "last_clicked",
    ]

    /// `ON CONFLICT(target) DO UPDATE` on `table` that adds the counts and keeps the
    /// latest times (either may be NULL), in SQL that SQLite and PostgreSQL both accept.
    static func upsertClause(table: String, conflict target: String) -> String {
        """
        ON CONFLICT(\(target)) DO UPDATE SET
        \(columns.prefix(12).map { "\($0) = \(table).\($0) + excluded.\($0)" }.joined(separator: ",\n"))
        ,
        \(columns.suffix(3).map { "\($0) = \(PortableSQL.greatest("\(table).\($0)", "excluded.\($0)"))" }.joined(separator: ",\n"))
        """
    }

    /// Recomputes the `contact_activity` rows of the contacts that clicked in campaign ?1
    /// from their `activity` rows.
    static let recountContactClicksSQL = """
        INSERT INTO contact_activity(contact_id, \(columns.joined(separator: ", ")))
        SELECT contact_id, \(columns.prefix(12).map { "sum(\($0))" }.joined(separator: ", ")),
               \(columns.suffix(3).map { "max(\($0))" }.joined(separator: ", "))
        FROM activity
        WHERE contact_id IN (SELECT contact_id FROM events WHERE campaign_id = ?1 AND kind = 6)
        GROUP BY contact_id
        ON CONFLICT(contact_id) DO UPDATE SET
        \(columns.map { "\($0) = excluded.\($0)" }.joined(separator: ",\n"))
        """

    /// Adds another delta (for another campaign of the same contact).
    mutating func merge(_ o: ActivityDelta) {
        sends += o.sends; drops += o.drops; deliveries += o.deliveries; bounces += o.bounces
        opens += o.opens; machineOpens += o.machineOpens; clicks += o.clicks; footerClicks += o.footerClicks
        replies += o.replies; forwards += o.forwards; unsubscribes += o.unsubscribes; complaints += o.complaints
        lastDelivered = max(lastDelivered, o.lastDelivered)
        lastOpened = max(lastOpened, o.lastOpened)
        lastClicked = max(lastClicked, o.lastClicked)
        touched = touched || o.touched
    }

    /// Recomputes a campaign's click columns from its events (after a footer flag changed).
    static let recountClicksSQL = ["""
        UPDATE activity SET clicks = 0, footer_clicks = 0, last_clicked = NULL
        WHERE campaign_id = ?1 AND (clicks > 0 OR footer_clicks > 0)
        """, """
        INSERT INTO activity(campaign_id, contact_id, clicks, footer_clicks, last_clicked)
        SELECT e.campaign_id, e.contact_id, count(*) FILTER (WHERE coalesce(l.footer, 0) = 0),
               count(*) FILTER (WHERE coalesce(l.footer, 0) = 1),
               max(CASE WHEN coalesce(l.footer, 0) = 0 THEN e.ts END)
        FROM events e LEFT JOIN links l ON l.id = e.link_id
        WHERE e.campaign_id = ?1 AND e.kind = 6
        GROUP BY e.campaign_id, e.contact_id
        ON CONFLICT(campaign_id, contact_id) DO UPDATE SET
            clicks = excluded.clicks, footer_clicks = excluded.footer_clicks, last_clicked = excluded.last_clicked
        """]

    @inline(__always)
    mutating func add(_ kind: EventKind, ts: Int64, machine: Bool, footer: Bool) {
        touched = true
        switch kind {
        case .sent: sends += 1
        case .dropped: drops += 1
        case .delivered:
            deliveries += 1
            if ts > lastDelivered { lastDelivered = ts }
        case .bounced: bounces += 1
        case .opened:
            opens += 1
            if machine { machineOpens += 1 }
            if ts > lastOpened { lastOpened = ts }
        case .clicked:
            if footer {
                footerClicks += 1
            } else {
                clicks += 1
                if ts > lastClicked { lastClicked = ts }
            }
        case .replied: replies += 1
        case .forwarded: forwards += 1
        case .unsubscribed: unsubscribes += 1
        case .complained: complaints += 1
        }
    }

    /// Writes the 15 columns as COPY fields (and ends the row).
    func write(to w: inout CopyWriter) throws {
        for n in [sends, drops, deliveries, bounces, opens, machineOpens, clicks, footerClicks,
                  replies, forwards, unsubscribes, complaints] {
            w.int(Int64(n))
        }
        for t in [lastDelivered, lastOpened, lastClicked] { w.int(t == .min ? nil : t) }
        try w.endRow()
    }

    /// Binds the 15 columns to parameters `from`, `from + 1`, ….
    func bind(to st: PreparedStatement, from i: Int32) throws {
        try st.bind(Int64(sends), at: i)
        try st.bind(Int64(drops), at: i + 1)
        try st.bind(Int64(deliveries), at: i + 2)
        try st.bind(Int64(bounces), at: i + 3)
        try st.bind(Int64(opens), at: i + 4)
        try st.bind(Int64(machineOpens), at: i + 5)
        try st.bind(Int64(clicks), at: i + 6)
        try st.bind(Int64(footerClicks), at: i + 7)
        try st.bind(Int64(replies), at: i + 8)
        try st.bind(Int64(forwards), at: i + 9)
        try st.bind(Int64(unsubscribes), at: i + 10)
        try st.bind(Int64(complaints), at: i + 11)
        try st.bind(lastDelivered == .min ? nil : lastDelivered, at: i + 12)
        try st.bind(lastOpened == .min ? nil : lastOpened, at: i + 13)
        try st.bind(lastClicked == .min ? nil : lastClicked, at: i + 14)
    }
}

/// The statements an import runs per record, prepared once.
final class Statements {
    let findExternalID, contactByEmail, contactByPhone, insertContact, contactIdentity, updateContact: PreparedStatement
    let deleteAttribute: PreparedStatement
    let campaignByName, insertCampaign, updateCampaign: PreparedStatement
    let linkByURL, insertLink, updateLinkFooter: PreparedStatement
    let insertEvent, insertEvents: PreparedStatement
    let upsertActivity, upsertContactActivity, upsertAttributes: BatchInsert
    /// Rows per multi-row event INSERT.
    static let batch = 64
    /// Events buffered before they are written: one multi-row INSERT on SQLite, one
    /// COPY on PostgreSQL.
    let eventBatch: Int

    init(_ db: Database) throws {
        func p(_ sql: String) throws -> PreparedStatement { try db.prepare(sql, persistent: true) }
        eventBatch = db is PostgresDatabase ? 20_000 : Statements.batch
        findExternalID = try p("SELECT 1 FROM events WHERE external_id = ?1")
        contactByEmail = try p("SELECT id FROM contacts WHERE email = ?1")
        contactByPhone = try p("SELECT id FROM contacts WHERE phone = ?1")
        // RETURNING on PostgreSQL only: see `Importer.insertedID`.
        let returning = db is PostgresDatabase ? " RETURNING id" : ""
        insertContact = try p("INSERT INTO contacts(email, phone, first_name, last_name, created_at) VALUES (?1, ?2, ?3, ?4, ?5)" + returning)
        contactIdentity = try p("SELECT email, phone FROM contacts WHERE id = ?1")
        updateContact = try p("""
            UPDATE contacts SET email = coalesce(?2, email), phone = coalesce(?3, phone),
                first_name = coalesce(?4, first_name), last_name = coalesce(?5, last_name),
                created_at = coalesce(?6, created_at)
            WHERE id = ?1
            """)
        deleteAttribute = try p("DELETE FROM contact_attributes WHERE contact_id = ?1 AND name = ?2")
        campaignByName = try p("SELECT id FROM campaigns WHERE name = ?1")
        insertCampaign = try p("INSERT INTO campaigns(name, created_at) VALUES (?1, ?2)" + returning)
        updateCampaign = try p("""
            UPDATE campaigns SET channel = coalesce(?2, channel), subject = coalesce(?3, subject),
                messages = coalesce(?4, messages), sent_at = coalesce(?5, sent_at),
                sent_at_declared = CASE WHEN ?5 IS NULL THEN sent_at_declared ELSE 1 END,
                status = CASE WHEN ?5 IS NULL THEN status ELSE 'sent' END
            WHERE id = ?1
            """)
        linkByURL = try p("SELECT id, footer FROM links WHERE campaign_id = ?1 AND url = ?2")
        insertLink = try p("INSERT INTO links(campaign_id, url, path, footer) VALUES (?1, ?2, ?3, ?4)" + returning)
        updateLinkFooter = try p("UPDATE links SET footer = ?1 WHERE id = ?2")
        let insert = "INSERT INTO events(kind, contact_id, campaign_id, message, ts, link_id, bounce, reason, machine, external_id) VALUES "
        let row = "(" + Array(repeating: "?", count: PendingEvent.columns).joined(separator: ", ") + ")"
        insertEvent = try p(insert + row)
        insertEvents = try p(insert + Array(repeating: row, count: Statements.batch).joined(separator: ", "))
        upsertAttributes = try BatchInsert(
            db, "INSERT INTO contact_attributes(contact_id, name, type, value) VALUES", columns: 4,
            tail: "ON CONFLICT(contact_id, name) DO UPDATE SET type = excluded.type, value = excluded.value")
        let columns = ActivityDelta.columns.joined(separator: ", ")
        upsertActivity = try BatchInsert(
            db, "INSERT INTO activity(campaign_id, contact_id, \(columns)) VALUES", columns: 17,
            tail: ActivityDelta.upsertClause(table: "activity", conflict: "campaign_id, contact_id"))
        upsertContactActivity = try BatchInsert(
            db, "INSERT INTO contact_activity(contact_id, \(columns)) VALUES", columns: 16,
            tail: ActivityDelta.upsertClause(table: "contact_activity", conflict: "contact_id"))
    }
}

/// `name` as a double-quoted SQL identifier.
func quoteIdentifier(_ name: String) -> String {
    var out = "\""
    for ch in name.unicodeScalars {
        if ch == "\"" { out += "\"\"" } else { out.unicodeScalars.append(ch) }
    }
    return out + "\""
}

/// Seconds on a monotonic clock.
func monotonicSeconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}
