// `segq demo`: a deterministic, realistic store for trying segq and for benchmarks.
//
// What it models (docs/schema.md § Demo store lists the numbers):
// - 17 campaigns over the year before a fixed reference date (`DemoStore.referenceNow`,
//   2026-06-01T00:00:00Z, stored as store_info 'demo_now'), 3 of them SMS, "Welcome
//   Series" with 3 messages and "Spring Sale" with 2; links per campaign including
//   footer links (unsubscribe, privacy) and paths shared across campaigns (/pricing,
//   /blog/…) with utm query strings.
// - Contacts with a heavy-tailed propensity to open (most rarely open, a few open
//   everything) and to click; repeat opens and clicks; Apple-Mail-Privacy-style machine
//   opens for contacts on icloud.com/me.com; hard bounces for bad addresses (then drops
//   "Bounced Address"), soft bounces, unsubscribes and complaints (then drops
//   "Unsubscribed Address" / "Spam Reporting Address"), replies and forwards; ~1% of
//   contacts with no events; phones for ~40% (SMS campaigns go to those, a few contacts
//   have only a phone); attributes country (skewed), plan, age, orders, vip, some missing.
//
// Determinism: every random choice comes from a SplitMix64 stream seeded by (seed,
// campaign, contact) or (seed, contact), so the same `--contacts` and `--seed` give the
// same store whatever the order of generation.
//
// Speed (1M contacts, ~25M events, in well under 3 minutes on 2 cores): the store is
// built in a fresh temporary file with journal_mode=OFF and synchronous=OFF, one
// transaction, prepared statements; events are written in (campaign, contact) order
// with the secondary indexes dropped, and the indexes are created afterwards (a sort
// is far cheaper than millions of random B-tree inserts). The `activity` rows,
// `contact_activity` and `event_stats` are computed in memory while generating, not
// with GROUP BY afterwards. At the end the file switches to WAL and is renamed over
// the destination, so a failure or Ctrl-C never leaves a half-built store behind.

import SegQL

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Options of a demo store.
public struct DemoOptions: Sendable {
    /// The number of contacts.
    public var contacts: Int
    /// The random seed.
    public var seed: UInt64
    /// The reference "now": every event is before it.
    public var now: Int64

    /// Creates options (defaults: 100,000 contacts, seed 1, `DemoStore.referenceNow`).
    public init(contacts: Int = 100_000, seed: UInt64 = 1, now: Int64 = DemoStore.referenceNow) {
        self.contacts = contacts
        self.seed = seed
        self.now = now
    }
}

/// How far a demo build has got.
public struct DemoProgress: Sendable {
    /// The phase: "contacts", "events", "indexes", "finishing".
    public var phase: String
    /// Fraction of the phase done, 0…1.
    public var fraction: Double
    /// Events written so far.
    public var events: Int
    /// Seconds since the build started.
    public var elapsed: Double
}

/// What a demo build made.
public struct DemoSummary: Sendable {
    /// Contacts, campaigns, links, events and `activity` rows written.
    public var contacts = 0, campaigns = 0, links = 0, events = 0, activityRows = 0
    /// Seconds per phase, in order.
    public var phases: [(name: String, seconds: Double)] = []
    /// Total seconds.
    public var elapsed = 0.0
    /// The size of the finished file in bytes.
    public var fileSize: Int64 = 0
}

/// Why a demo build stopped.
public enum DemoError: Error, CustomStringConvertible {
    /// `isCancelled` said stop.
    case cancelled
    /// A file operation failed.
    case file(String)

    public var description: String {
        switch self {
        case .cancelled: "demo build interrupted; nothing was written"
        case .file(let message): message
        }
    }
}

/// Builds demo stores.
public enum DemoStore {
    /// The reference date of every demo store: 2026-06-01T00:00:00Z.
    public static let referenceNow: Int64 = 1_780_272_000

    /// Whether the store at `path` was made by `segq demo` (it has `store_info.demo_now`).
    public static func isDemoStore(path: String) -> Bool {
        guard let store = try? Store(path: path, readOnly: true) else { return false }
        return (try? store.info("demo_now")).flatMap { $0 } != nil
    }

    /// Whether a PostgreSQL database may receive a demo store without `--force`: it
    /// holds no segq store, an empty one, or a demo store.
    public static func mayReplacePostgres(url: String) throws -> Bool {
        let store: Store
        do {
            store = try Store(path: url, readOnly: true)
        } catch StoreError.needsUpgrade(_, let found, _) where found == 0 {
            return true
        }
        if (try? store.info("demo_now")).flatMap({ $0 }) != nil { return true }
        return try store.database.int64("SELECT 1 FROM contacts LIMIT 1", []) == nil
            && store.database.int64("SELECT 1 FROM campaigns LIMIT 1", []) == nil
    }

    /// Builds the demo in a temporary SQLite file and copies it into the PostgreSQL
    /// database at `url` in one transaction (replacing what a demo store there held).
    static func buildPostgres(
        at url: String, options: DemoOptions, progress: ((DemoProgress) -> Void)?, isCancelled: (() -> Bool)?
    ) throws -> DemoSummary {
        let started = monotonicSeconds()
        let directory = getenv("TMPDIR").map { String(cString: $0) } ?? "/tmp"
        let temp = "\(directory)/segq-demo-\(getpid()).db"
        removeStoreFiles(temp)
        defer { removeStoreFiles(temp) }
        var summary = try buildFile(temp, options, progress, isCancelled)
        let source = try SQLiteDatabase(path: temp, readOnly: true)
        let target = try Store(path: url)
        let copyStarted = monotonicSeconds()
        var copyPhases: [(name: String, seconds: Double)] = []
        do {
            copyPhases = try StoreTransfer.copy(
                from: source, to: target, replacing: true,
                progress: { table, rows in
                    progress?(DemoProgress(phase: "copy to PostgreSQL: \(table)", fraction: 0, events: rows,
                                           elapsed: monotonicSeconds() - started))
                },
                isCancelled: isCancelled)
        } catch let e as DatabaseError where e.isInterrupt {
            throw DemoError.cancelled
        }
        summary.phases.append(("copy to PostgreSQL", monotonicSeconds() - copyStarted))
        summary.phases += copyPhases.map { ("  \($0.name)", $0.seconds) }
        summary.elapsed = monotonicSeconds() - started
        // The store's tables and indexes in its schema (the database may hold others).
        summary.fileSize = try target.database.int64("""
            SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0) FROM pg_class c
            JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = current_schema() AND c.relkind = 'r'
            """, []) ?? 0
        return summary
    }

    /// Builds a demo store and moves it to `path` (replacing any file there).
    ///
    /// The caller decides whether replacing is allowed (`segq demo` refuses a non-demo
    /// store without `--force`). Nothing at `path` changes unless the build succeeds.
    public static func build(
        at path: String, options: DemoOptions = DemoOptions(),
        progress: ((DemoProgress) -> Void)? = nil,
        isCancelled: (() -> Bool)? = nil
    ) throws -> DemoSummary {
        if PostgresDatabase.isURL(path) {
            return try buildPostgres(at: path, options: options, progress: progress, isCancelled: isCancelled)
        }
        let temp = "\(path).building-\(getpid())"
        removeStaleBuilds(of: path)
        removeStoreFiles(temp)
        do {
            // The builder's connection is closed when `buildFile` returns.
            var summary = try buildFile(temp, options, progress, isCancelled)
            // Remove the old store's WAL and shared memory first: a stale -wal next to
            // the new file would be replayed into it.
            unlink(path + "-wal")
            unlink(path + "-shm")
            guard rename(temp, path) == 0 else {
                throw DemoError.file("cannot move \(temp) to \(path): \(String(cString: strerror(errno)))")
            }
            var st = stat()
            if stat(path, &st) == 0 { summary.fileSize = Int64(st.st_size) }
            return summary
        } catch {
            removeStoreFiles(temp)
            throw error
        }
    }

    private static func buildFile(
        _ path: String, _ options: DemoOptions,
        _ progress: ((DemoProgress) -> Void)?, _ isCancelled: (() -> Bool)?
    ) throws -> DemoSummary {
        var builder = try Builder(path: path, options: options, progress: progress, isCancelled: isCancelled)
        return try builder.build()
    }

    /// Removes the temporary files (`PATH.building-PID`, with `-wal`, `-shm`,
    /// `-journal`) of earlier builds of `path` whose process is gone (killed: up to
    /// 99 MB each were left behind). A build still running elsewhere is left alone.
    static func removeStaleBuilds(of path: String) {
        let slash = path.lastIndex(of: "/")
        let dir = slash.map { String(path[..<$0]) } ?? "."
        let prefix = (slash.map { String(path[path.index(after: $0)...]) } ?? path) + ".building-"
        guard let d = opendir(dir.isEmpty ? "/" : dir) else { return }
        defer { closedir(d) }
        while let entry = readdir(d) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            guard name.hasPrefix(prefix) else { continue }
            var rest = name.dropFirst(prefix.count)
            for suffix in ["-wal", "-shm", "-journal"] where rest.hasSuffix(suffix) { rest = rest.dropLast(suffix.count) }
            guard let pid = Int32(rest), pid > 0, pid != getpid() else { continue }
            if kill(pid, 0) != 0 && errno == ESRCH { unlink((dir.isEmpty ? "" : dir + "/") + name) }
        }
    }

    private static func removeStoreFiles(_ path: String) {
        unlink(path)
        unlink(path + "-wal")
        unlink(path + "-shm")
        unlink(path + "-journal")
    }
}

// MARK: - Random numbers

/// The demo's draws from SplitMix64 (SegQL): keyed streams and distributions.
extension SplitMix64 {
    /// A stream for a tuple of keys (seed, a, b): independent of generation order.
    init(seed: UInt64, _ a: UInt64, _ b: UInt64 = 0) {
        var s = SplitMix64(seed &* 0x9E37_79B9_7F4A_7C15 ^ 0xD1B5_4A32_D192_ED03)
        s.state ^= s.next() ^ (a &* 0xBF58_476D_1CE4_E5B9)
        s.state ^= s.next() ^ (b &* 0x94D0_49BB_1331_11EB)
        self.init(s.next())
    }

    /// Exponentially distributed with the given mean.
    @inline(__always)
    mutating func exponential(mean: Double) -> Double { -mean * log(1 - unit()) }

    /// 0, 1, 2, … with P(k) = (1 - p) p^k, capped.
    @inline(__always)
    mutating func geometric(_ p: Double, cap: Int) -> Int {
        var k = 0
        while k < cap && chance(p) { k += 1 }
        return k
    }

    /// An index chosen with the given cumulative weights (last one = total).
    @inline(__always)
    mutating func pick(_ cumulative: [Double]) -> Int {
        let x = unit() * (cumulative.last ?? 1)
        for (i, c) in cumulative.enumerated() where x < c { return i }
        return cumulative.count - 1
    }
}

// MARK: - The model

struct DemoLink {
    var url: String
    var footer: Bool
    /// Relative popularity among the campaign's content links (footer links: 0).
    var weight: Double
}

struct DemoCampaign {
    var name: String
    var channel: Channel
    var subject: String
    /// Days before `now` that message 1 was sent.
    var daysAgo: Double
    /// Offsets in days of messages 2, 3, … after message 1.
    var followUps: [Double] = []
    /// Share of eligible contacts in the audience.
    var audience: Double
    var slug: String
    var contentPaths: [String]

    var messages: Int { 1 + followUps.count }
}

enum DemoModel {
    static let campaigns: [DemoCampaign] = [
        DemoCampaign(name: "Welcome Series", channel: .email, subject: "Welcome to Nordic Goods", daysAgo: 355,
                     followUps: [3, 7], audience: 0.22, slug: "welcome",
                     contentPaths: ["/getting-started", "/pricing", "/blog/how-we-source"]),
        DemoCampaign(name: "Summer Newsletter", channel: .email, subject: "Long days, light linen", daysAgo: 330,
                     audience: 0.62, slug: "summer-newsletter",
                     contentPaths: ["/collections/summer", "/blog/summer-picnic", "/pricing"]),
        DemoCampaign(name: "Back to School", channel: .email, subject: "Ready for autumn term?", daysAgo: 285,
                     audience: 0.45, slug: "back-to-school",
                     contentPaths: ["/collections/school", "/blog/desk-setup"]),
        DemoCampaign(name: "Autumn Collection", channel: .email, subject: "The autumn collection is here", daysAgo: 258,
                     audience: 0.6, slug: "autumn-collection",
                     contentPaths: ["/collections/autumn", "/pricing", "/blog/wool-care"]),
        DemoCampaign(name: "Halloween Special", channel: .email, subject: "Treats inside", daysAgo: 216,
                     audience: 0.4, slug: "halloween",
                     contentPaths: ["/collections/halloween"]),
        DemoCampaign(name: "Black Friday", channel: .email, subject: "Black Friday: 30% off everything", daysAgo: 185,
                     audience: 0.72, slug: "black-friday",
                     contentPaths: ["/sale", "/pricing", "/collections/bestsellers", "/blog/gift-ideas"]),
        DemoCampaign(name: "Cyber Monday SMS", channel: .sms, subject: "Cyber Monday: 25% off today only", daysAgo: 182,
                     audience: 0.7, slug: "cyber-monday", contentPaths: ["/sale"]),
        DemoCampaign(name: "Christmas Gift Guide", channel: .email, subject: "Gifts they will actually use", daysAgo: 172,
                     audience: 0.66, slug: "gift-guide",
                     contentPaths: ["/blog/gift-ideas", "/collections/gifts", "/pricing"]),
        DemoCampaign(name: "Holiday Flash Sale SMS", channel: .sms, subject: "48h flash sale", daysAgo: 162,
                     audience: 0.6, slug: "holiday-flash", contentPaths: ["/sale"]),
        DemoCampaign(name: "New Year Sale", channel: .email, subject: "New year, new home", daysAgo: 150,
                     audience: 0.58, slug: "new-year-sale",
                     contentPaths: ["/sale", "/collections/home"]),
        DemoCampaign(name: "Winter Newsletter", channel: .email, subject: "Cosy reading for cold nights", daysAgo: 132,
                     audience: 0.55, slug: "winter-newsletter",
                     contentPaths: ["/blog/winter-reading", "/blog/wool-care", "/pricing"]),
        DemoCampaign(name: "Valentine's Day", channel: .email, subject: "For someone special", daysAgo: 110,
                     audience: 0.42, slug: "valentines",
                     contentPaths: ["/collections/gifts", "/blog/gift-ideas"]),
        DemoCampaign(name: "Spring Sale", channel: .email, subject: "Spring is here", daysAgo: 92,
                     followUps: [4], audience: 0.68, slug: "spring-sale",
                     contentPaths: ["/pricing", "/sale", "/blog/spring-trends", "/collections/spring"]),
        DemoCampaign(name: "Product Update April", channel: .email, subject: "What's new in April", daysAgo: 48,
                     audience: 0.5, slug: "product-update-april",
                     contentPaths: ["/changelog", "/pricing", "/blog/spring-trends"]),
        DemoCampaign(name: "Flash Sale SMS", channel: .sms, subject: "Flash sale: 24 hours", daysAgo: 27,
                     audience: 0.65, slug: "flash-sale", contentPaths: ["/sale"]),
        DemoCampaign(name: "Customer Survey", channel: .email, subject: "Two minutes to tell us how we did?", daysAgo: 12,
                     audience: 0.35, slug: "survey", contentPaths: ["/survey"]),
        DemoCampaign(name: "Summer Preview", channel: .email, subject: "A first look at summer", daysAgo: 4,
                     audience: 0.6, slug: "summer-preview",
                     contentPaths: ["/collections/summer", "/pricing", "/blog/summer-picnic"]),
    ]

    static let host = "https://shop.nordicgoods.example"

    /// The links of a campaign: content links (utm-tagged), then for e-mail the footer links.
    static func links(of c: DemoCampaign) -> [DemoLink] {
        let source = c.channel == .sms ? "sms" : "newsletter"
        var links = c.contentPaths.enumerated().map { i, path in
            DemoLink(url: "\(host)\(path)?utm_source=\(source)&utm_medium=\(c.channel.rawValue)&utm_campaign=\(c.slug)",
                     footer: false, weight: 1 / Double(i + 1))
        }
        if c.channel == .email {
            links.append(DemoLink(url: "\(host)/unsubscribe?c=\(c.slug)", footer: true, weight: 0))
            links.append(DemoLink(url: "\(host)/privacy", footer: true, weight: 0))
        }
        return links
    }

    static let firstNames = ["Ana", "Erik", "Lars", "Sofia", "Maja", "Oskar", "Emma", "Liam", "Elsa", "Noah",
                             "Ingrid", "Johan", "Freja", "Mikael", "Sara", "Anders", "Linnea", "Jonas", "Hanna",
                             "Matti", "Aino", "Sven", "Karin", "Ole", "Nora", "Jakob", "Ida", "Lukas", "Mia",
                             "Felix", "Olivia", "Henrik", "Astrid", "Emil", "Clara", "Peter", "Julia", "David"]
    static let lastNames = ["Berg", "Lindqvist", "Johansson", "Nielsen", "Hansen", "Virtanen", "Korhonen",
                            "Andersson", "Larsen", "Müller", "Schmidt", "Smith", "Jones", "Eriksson", "Nyström",
                            "Holm", "Dahl", "Lund", "Strand", "Wikström", "Jensen", "Pedersen", "Laine",
                            "Fischer", "Brown", "Taylor", "Sandberg", "Öberg", "Åkesson", "Nordin"]
    static let domains: [(String, Double)] = [
        ("gmail.com", 0.34), ("outlook.com", 0.14), ("hotmail.com", 0.1), ("icloud.com", 0.13),
        ("yahoo.com", 0.06), ("me.com", 0.03), ("proton.me", 0.04), ("telia.se", 0.05), ("online.no", 0.04),
        ("gmx.de", 0.04), ("company.example", 0.03),
    ]
    static let countries: [(String, Double)] = [
        ("SE", 0.30), ("NO", 0.15), ("DK", 0.12), ("FI", 0.10), ("DE", 0.10), ("US", 0.08), ("GB", 0.07),
        ("NL", 0.03), ("FR", 0.03), ("ES", 0.02),
    ]
    static let phonePrefix = ["SE": "+4670", "NO": "+4791", "DK": "+4520", "FI": "+35840", "DE": "+49151",
                              "US": "+1415", "GB": "+447700", "NL": "+316", "FR": "+336", "ES": "+346"]
    static let plans: [(String, Double)] = [("free", 0.68), ("pro", 0.24), ("team", 0.08)]

    static let hardBounceReasons = [
        "550 5.1.1 The email account that you tried to reach does not exist",
        "550 5.1.1 <recipient>: Recipient address rejected: User unknown",
        "550 5.2.1 The email account that you tried to reach is disabled",
    ]
    static let softBounceReasons = [
        "452 4.2.2 The email account that you tried to reach is over quota",
        "421 4.7.0 Try again later, closing connection",
        "451 4.3.0 Temporary local problem, please try again",
        "Message expired: mailbox temporarily unavailable",
    ]
    static let smsFailureReasons = ["Carrier rejected the message", "Handset unreachable", "Message expired"]

    static func cumulative(_ weights: [Double]) -> [Double] {
        var total = 0.0
        return weights.map { total += $0; return total }
    }
}
