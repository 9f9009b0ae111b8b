// `segq import`: loading events and declarations into the store.
//
// The importer in parts:
//   Importer.swift          the run: one transaction, the batch loop, applying a record,
//                           finishing (and `afterImport`, the steps before the commit)
//   ImportIdentities.swift  contacts, campaigns and links: caches, creation, merges
//   ImportRollups.swift     rollup deltas accumulated in memory and added into the tables
//   ImportBulkPaths.swift   per backend: SQLite pragmas and index rebuilds, PostgreSQL COPY
//   ImportStatements.swift  prepared statements, buffered rows, utilities
//   ImportOptions.swift     the options, the summary, bad lines and errors
// Reading and decoding run on another thread (DecodePipeline.swift, LineReader.swift).
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
    /// How the saved segments are evaluated for their history after the import (segq
    /// passes its session's set engine); nil: each as one statement (SegmentHistory).
    public var segmentMembers: SegmentHistory.Members?

    let db: Database
    /// The database's bulk loader where it has one (PostgreSQL: COPY, batched id
    /// lookups, staging tables, jsonb values); nil on SQLite.
    let loader: (any BulkLoader)?
    var statements: Statements?
    var summary = ImportSummary()
    /// False once a bad line was seen in all-or-nothing mode: lines are then only checked.
    var writing = true
    /// `campaigns.created_at` of the campaigns the run creates.
    var createdAt: Int64 = 0
    /// Events waiting to be written in one multi-row INSERT (SQLite) or one COPY (PostgreSQL).
    var pending: [PendingEvent] = []
    /// Numbers the run's contacts and campaigns and finds repeated ids, on the decoding thread.
    var interner = RunInterner()
    /// The (contact, attribute) pairs in `Statements.upsertAttributes`'s unwritten rows.
    var pendingAttributes: Set<AttributeKey> = []
    /// The attributes the run wrote or deleted a value of, whose kept sets it recomputes;
    /// nil after a contact merge (every attribute's).
    var touchedAttributes: Set<String>? = []
    /// Whether the store had events with ids before the run (then ids are also looked up).
    var storeHadIDs = false
    /// Whether the store had contacts before the run (if not, the run's caches know them all).
    var storeHadContacts = true
    /// Events stored by `EventKind.rawValue` (copied into `summary.storedByKind` at the end).
    var kindCounts = [Int](repeating: 0, count: EventKind.allCases.count + 1)
    /// Store ids of the contacts, campaigns and links the run has named (ImportIdentities.swift).
    var known = IdentityCache()
    /// The rollup deltas of the events not yet added into the tables (ImportRollups.swift).
    var rollups = RollupAccumulator()
    /// SQLite: the indexes dropped for a large import (ImportBulkPaths.swift).
    var rebuild = IndexRebuild()
    /// PostgreSQL: rows waiting for a COPY (ImportBulkPaths.swift).
    var staging = PostgresStaging()

    /// Creates an importer for `store`.
    public init(store: Store, options: ImportOptions = ImportOptions()) {
        self.store = store
        self.options = options
        self.db = store.database
        self.loader = store.database.bulkLoader
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
        let restore: [String]
        do {
            // The importer vouches for what it writes: every id it writes into a
            // reference column was just read from or inserted into the parent table,
            // and every value of a checked column comes from a closed set in its own
            // code (an attribute's type name, a channel, a bounce the decoders mapped
            // to hard or soft, 0/1 from a Bool, a count checked positive).
            restore = try db.prepareForVouchedWrite()
            try db.begin()
            try store.writeShardsSequentially()
        } catch let e as DatabaseError {
            throw ImportError.database(e)
        }
        defer {
            for sql in restore { try? db.execute(sql) }
        }
        do {
            rebuild.threshold = try bulkThreshold()
            storeHadIDs = try db.int64("SELECT 1 FROM events WHERE external_id IS NOT NULL LIMIT 1") != nil
            storeHadContacts = try db.int64("SELECT 1 FROM contacts LIMIT 1") != nil
            staging.appendRollups = try loader != nil && db.int64("SELECT 1 FROM activity LIMIT 1") == nil
                && db.int64("SELECT 1 FROM contact_activity LIMIT 1") == nil
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
                try afterImport()
                let t = monotonicSeconds()
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

    /// Forgets everything the last run held (also after a failed run: the caches may
    /// name rows that were rolled back).
    func resetCaches() {
        pending = []
        interner = RunInterner()
        pendingAttributes = []
        touchedAttributes = []
        known = IdentityCache()
        rollups = RollupAccumulator()
        rebuild = IndexRebuild()
        staging = PostgresStaging()
    }

    /// Work inside the import's transaction after every row is written and every rollup
    /// is up to date, just before the commit: what must see the imported rows and commit
    /// or roll back with them goes here.
    func afterImport() throws {
        // The saved segments' views hold campaign and link ids and resolved globs, and
        // bind attribute names: the import may have added any of these, so the views are
        // compiled again before the commit, in the same transaction; then each segment
        // is evaluated and its membership history recorded.
        var t = monotonicSeconds()
        if try db.int64("SELECT 1 FROM segments LIMIT 1") != nil {
            try SegmentViews.refreshAll(in: store)
            summary.phases.append(("segment views", monotonicSeconds() - t))
            t = monotonicSeconds()
            try SegmentHistory.record(nil, cause: .import, at: createdAt, in: store, members: segmentMembers)
            summary.phases.append(("segment history", monotonicSeconds() - t))
        }
    }

    func checkCancelled() throws {
        if let isCancelled, isCancelled() { throw ImportError.cancelled }
    }

    func read(_ source: ImportSource, started: Double) throws {
        let total = LineReader.size(of: source)
        let queue = BatchQueue(capacity: 64)
        let reader = DecodePipeline.start(source, options: options, interner: interner, into: queue)
        defer {
            queue.close()
            reader.join()
        }
        loop: while true {
            var next = queue.poll()
            if next == nil, rollups.activity.count >= RollupAccumulator.rowsWhileWaiting, let s = statements, writing {
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
                if storeHadIDs, loader != nil { try findStoredIDs(batch.lines) }
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

    func bad(_ line: BadLine) {
        summary.bad += 1
        if summary.badLines.count < options.keptBadLines { summary.badLines.append(line) }
        onBadLine?(line)
        if !options.skipBad { writing = false }
    }

    func apply(_ record: ImportRecord) throws {
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

    func applyEvent(_ e: EventRecord, _ s: Statements) throws {
        // Duplicates first, before anything is created: an id seen earlier in this run,
        // or (only when the store had ids before the run) one already stored.
        if let id = e.id {
            if e.repeated {
                summary.duplicates += 1
                return
            }
            if storeHadIDs {
                let exists: Bool
                if loader != nil {
                    exists = staging.storedIDs.contains(id)
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
        summary.stored += 1
        kindCounts[e.kind.rawValue] += 1
        // Bulk mode before the batch is written, so that a PostgreSQL COPY of 20,000 rows
        // that crosses the threshold does not check them against the indexes and keys
        // about to be dropped (1.5 s of server time for the first batch of a fresh store).
        if !rebuild.active && summary.stored >= rebuild.threshold {
            try enterBulkMode()
        }
        if pending.count == s.eventBatch { try flushEvents(s) }

        rollups.add(e, campaign: campaign, contact: contact, footer: link?.footer ?? false)
        if rollups.activity.count >= options.flushThreshold {
            try flushActivity(s)
        }
    }

    /// Writes the pending deltas and brings every derived value up to date.
    func finish() throws {
        guard let s = statements else { return }
        try flushEvents(s)
        try flushAttributes(s)
        try flushContacts()
        if loader != nil { try releaseContactIDs() }
        var t = monotonicSeconds()
        try writeRollups(s)
        summary.phases.append(("write rollups", monotonicSeconds() - t))
        try rebuildDroppedIndexes()
        t = monotonicSeconds()
        try updateDerivedValues()
        summary.phases.append(("stats and campaigns", monotonicSeconds() - t))
    }
}
