// What `segq import` is told and what it reports: the formats, the options, a bad
// record, progress, the summary and the errors. The work is done by `Importer`
// (Importer.swift and the files it names).

import SegQL

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
    /// PostgreSQL: attribute values held in memory before they go by COPY to the staging
    /// table that the end of the run merges (`Importer.stageAttributes`).
    var attributeStageRows = 100_000

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
