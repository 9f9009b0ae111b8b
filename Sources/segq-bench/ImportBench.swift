import ArgumentParser
import SegStore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `segq-bench import`: import throughput of the canonical JSON Lines format.
struct ImportBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Measure `segq import` throughput on a generated canonical JSONL file.",
        discussion: """
        Writes a realistic canonical file (contact declarations with attributes, \
        campaigns, links, then events with ids: sends, deliveries, opens with repeats and \
        machine opens, clicks on content and footer links, bounces, drops, unsubscribes), \
        imports it into a fresh store with the same Importer as `segq import`, and reports \
        events per second. Then imports the same file again (every event a duplicate) and \
        reports that rate too. Build with `swift build -c release` first.
        """)

    @Option(help: "Events in the generated file.")
    var events: Int = 2_000_000

    @Option(help: "Directory for the generated file and the store.")
    var dir: String = "/tmp"

    @Flag(help: "Keep the generated file and store.")
    var keep = false

    @Flag(help: "Keep the indexes (and on PostgreSQL the foreign keys) in place however large the import, to measure what dropping and rebuilding them saves.")
    var keepIndexes = false

    @Option(help: ArgumentHelp(
        "Import into this store instead of a fresh SQLite file: an empty PostgreSQL database or schema (postgres://…).",
        valueName: "url"))
    var db: String?

    /// What to measure.
    enum Format: String, ExpressibleByArgument {
        case jsonl, sendgrid
    }

    @Option(help: ArgumentHelp(
        "jsonl: the canonical format alone; sendgrid: the same events as a SendGrid webhook array and as canonical JSONL, imported one after the other, with the ratio.",
        valueName: "format"))
    var format: Format = .jsonl

    func run() throws {
        if format == .sendgrid { return try compareSendGrid() }
        let file = "\(dir)/segq-bench-import-\(getpid()).jsonl"
        let db = self.db ?? "\(dir)/segq-bench-import-\(getpid()).db"
        defer {
            if !keep {
                unlink(file)
                for suffix in ["", "-wal", "-shm"] { unlink(db + suffix) }
            }
        }
        let t0 = monotonicNow()
        let shape = try BenchFile.write(events: events, to: file)
        print("generated \(file): \(shape.lines) lines, \(shape.events) events, \(shape.bytes / 1_000_000) MB in \(fmt(monotonicNow() - t0)) s")

        let store = try Store(path: db)
        let cpu0 = cpuSeconds()
        let options = ImportOptions(bulkThreshold: keepIndexes ? Int.max : nil)
        let first = try Importer(store: store, options: options).run([.file(file)])
        let cpu1 = cpuSeconds()
        guard first.committed, first.bad == 0 else { throw ValidationError("the generated file had \(first.bad) bad lines") }
        print("import:    \(first.stored) events stored in \(fmt(first.elapsed)) s = \(Int(Double(first.stored) / first.elapsed)) events/s (\(Int(Double(first.records) / first.elapsed)) records/s, \(fmt(Double(shape.bytes) / 1_000_000 / first.elapsed)) MB/s)")
        for p in first.phases { print("  \(p.name): \(fmt(p.seconds)) s") }
        print("  CPU time: \(fmt(cpu1 - cpu0)) s (both threads); load average now \(loadAverage())")
        let again = try Importer(store: store, options: options).run([.file(file)])
        print("re-import: \(again.duplicates) duplicates skipped in \(fmt(again.elapsed)) s = \(Int(Double(again.duplicates) / again.elapsed)) events/s")
        var st = stat()
        if stat(db, &st) == 0 { print("store: \(Int64(st.st_size) / 1_000_000) MB") }
    }
}

extension ImportBench {
    /// Imports the same events as canonical JSONL and as a SendGrid array, each into a
    /// fresh store, and prints both rates and their ratio.
    func compareSendGrid() throws {
        let canonical = "\(dir)/segq-bench-import-\(getpid()).jsonl"
        let sendgrid = "\(dir)/segq-bench-import-\(getpid()).sendgrid.json"
        let dbs = ["\(dir)/segq-bench-import-\(getpid())-c.db", "\(dir)/segq-bench-import-\(getpid())-s.db"]
        defer {
            if !keep {
                unlink(canonical)
                unlink(sendgrid)
                for db in dbs { for suffix in ["", "-wal", "-shm"] { unlink(db + suffix) } }
            }
        }
        let c = try BenchFile.write(events: events, to: canonical, style: .canonical)
        let s = try BenchFile.write(events: events, to: sendgrid, style: .sendGridArray)
        print("generated \(c.events) events: canonical \(c.bytes / 1_000_000) MB, SendGrid array \(s.bytes / 1_000_000) MB")
        var rates: [Double] = []
        for (name, file, db) in [("canonical", canonical, dbs[0]), ("sendgrid", sendgrid, dbs[1])] {
            let store = try Store(path: db)
            let cpu0 = cpuSeconds()
            let r = try Importer(store: store).run([.file(file)])
            let cpu = cpuSeconds() - cpu0
            guard r.committed, r.bad == 0 else { throw ValidationError("\(name): \(r.bad) bad records: \(r.badLines.prefix(3))") }
            let rate = Double(r.stored) / r.elapsed
            rates.append(rate)
            print("\(name): \(r.stored) events stored (\(r.unsupported) unsupported) in \(fmt(r.elapsed)) s = \(Int(rate)) events/s; CPU \(fmt(cpu)) s; load \(loadAverage())")
        }
        print("SendGrid / canonical rate: \(fmt(rates[1] / rates[0]))")
    }
}

/// Seconds of CPU this process has used (user + system), to tell the work from the
/// waiting on a machine that other jobs share.
func cpuSeconds() -> Double {
    var usage = rusage()
    getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
    return Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6
        + Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) / 1e6
}

/// The load average over the last minute.
func loadAverage() -> String {
    var loads = [Double](repeating: 0, count: 3)
    guard getloadavg(&loads, 3) == 3 else { return "?" }
    return fmt(loads[0])
}

func fmt(_ v: Double) -> String {
    let r = (v * 100).rounded() / 100
    return String(r)
}

func monotonicNow() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}

/// A generated canonical JSONL file shaped like a real export.
enum BenchFile {
    struct Shape {
        var lines = 0, events = 0, bytes = 0
    }

    /// How the events are written.
    enum Style {
        /// Canonical JSONL: contact, campaign and link declarations, then events.
        case canonical
        /// One SendGrid Event Webhook array (as POSTed: compact objects, `,\r\n` between
        /// them), the same events only, with the fields SendGrid sends.
        case sendGridArray
    }

    static func write(events target: Int, to path: String, style: Style = .canonical) throws -> Shape {
        guard let f = fopen(path, "w") else { throw ValidationError("cannot write \(path)") }
        defer { fclose(f) }
        var shape = Shape()
        var buffer: [UInt8] = []
        buffer.reserveCapacity(1 << 20)
        func line(_ s: String) {
            buffer.append(contentsOf: s.utf8)
            buffer.append(0x0A)
            shape.lines += 1
            if buffer.count > (1 << 20) - 4096 {
                shape.bytes += buffer.count
                _ = buffer.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, f) }
                buffer.removeAll(keepingCapacity: true)
            }
        }
        var rng: UInt64 = 0x1234_5678
        func next() -> UInt64 {
            rng &+= 0x9E37_79B9_7F4A_7C15
            var z = rng
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        func chance(_ p: Double) -> Bool { Double(next() >> 11) * 0x1.0p-53 < p }

        // About 8 events per contact per campaign-message on average over 10 campaigns.
        let contacts = max(100, target / 25)
        let campaigns = ["Spring Sale", "Summer Newsletter", "Black Friday", "Welcome Series", "Flash Sale SMS",
                         "Autumn Collection", "Winter Newsletter", "Product Update", "Gift Guide", "Survey"]
        let countries = ["SE", "NO", "DK", "FI", "DE", "US", "GB"]
        let plans = ["free", "pro", "team"]
        for i in 0..<contacts {
            // Drawn for every style, so that both styles generate the same events.
            let c = countries[Int(next() % UInt64(countries.count))]
            let p = plans[Int(next() % 3)]
            if style == .canonical { line(#"{"record":"contact","email":"User.\#(i)@Example.com","first_name":"User","last_name":"N\#(i)","created_at":"2025-0\#(1 + i % 9)-1\#(i % 10)T08:00:00Z","attributes":{"country":"\#(c)","plan":"\#(p)","age":\#(18 + i % 60),"vip":\#(i % 17 == 0)}}"#) }
        }
        let base: Int64 = 1_767_225_600  // 2026-01-01
        for (k, name) in campaigns.enumerated() where style == .canonical {
            let channel = name.hasSuffix("SMS") ? "sms" : "email"
            line(#"{"record":"campaign","name":"\#(name)","channel":"\#(channel)","subject":"\#(name) subject","sent_at":\#(base + Int64(k) * 1_209_600)}"#)
            for path in ["/pricing", "/blog/post-\(k)", "/sale"] {
                line(#"{"record":"link","campaign":"\#(name)","url":"https://shop.example.com\#(path)?utm_campaign=c\#(k)"}"#)
            }
            line(#"{"record":"link","campaign":"\#(name)","url":"https://shop.example.com/unsubscribe","footer":true}"#)
        }
        var id = 0
        var k = 0
        outer: while true {
            let name = campaigns[k % campaigns.count]
            let sentAt = base + Int64(k % campaigns.count) * 1_209_600
            for i in 0..<contacts {
                if shape.events >= target { break outer }
                guard chance(0.9) else { continue }
                let who = "user.\(i)@example.com"
                let t = sentAt + Int64(i % 3600)
                func event(_ kind: String, _ ts: Int64, _ extra: String = "") {
                    id += 1
                    shape.events += 1
                    switch style {
                    case .canonical:
                        line(#"{"record":"event","id":"ev-\#(id)","kind":"\#(kind)","contact":"\#(who)","campaign":"\#(name)","ts":\#(ts)\#(extra)}"#)
                    case .sendGridArray:
                        line((id == 1 ? "[" : ",") + sendGrid(kind, ts, extra))
                    }
                }
                /// The SendGrid object for a canonical event (fields as in the published samples).
                func sendGrid(_ kind: String, _ ts: Int64, _ extra: String) -> String {
                    let common = #""email":"\#(who)","timestamp":\#(ts),"smtp-id":"\u003c\#(i).\#(k)@ismtpd-555\u003e","category":["newsletter","c\#(k % campaigns.count)"],"sg_event_id":"ZXYt\#(id)-c2VuZGdyaWQ","sg_message_id":"\#(i).\#(k).filter0001.16648.5515E0B88.0","marketing_campaign_id":\#(1000 + k % campaigns.count),"marketing_campaign_name":"\#(name)""#
                    let agent = #""useragent":"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko)","ip":"203.0.113.\#(i % 250)""#
                    switch kind {
                    case "sent": return #"{\#(common),"event":"processed","pool":{"name":"main","id":210}}"#
                    case "delivered": return #"{\#(common),"event":"delivered","response":"250 OK","ip":"168.1.1.1","tls":1}"#
                    case "bounced":
                        let type = extra.contains("hard") ? "bounce" : "blocked"
                        return #"{\#(common),"event":"bounce","type":"\#(type)","reason":"550 5.1.1 user unknown","status":"5.1.1","bounce_classification":"Invalid Address"}"#
                    case "opened":
                        return #"{\#(common),"event":"open","sg_machine_open":\#(extra.contains("machine")),\#(agent)}"#
                    case "clicked":
                        let url = extra.contains("unsubscribe") ? "https://shop.example.com/unsubscribe" : "https://shop.example.com/pricing?utm_campaign=c\(k % campaigns.count)"
                        return #"{\#(common),"event":"click","url":"\#(url)","url_offset":{"index":0,"type":"html"},\#(agent)}"#
                    default:
                        return #"{\#(common),"event":"unsubscribe",\#(agent)}"#
                    }
                }
                event("sent", t)
                if chance(0.01) { event("bounced", t + 5, #","bounce":"\#(chance(0.5) ? "hard" : "soft")","reason":"550 5.1.1 user unknown""#); continue }
                event("delivered", t + 3)
                if chance(0.15) { event("opened", t + 60, #","machine":true"#) }
                if chance(0.3) {
                    let n = 1 + Int(next() % 3)
                    for r in 0..<n { event("opened", t + 3600 * Int64(r + 1)) }
                    if chance(0.25) {
                        event("clicked", t + 3700, #","url":"https://shop.example.com/pricing?utm_campaign=c\#(k % campaigns.count)""#)
                    }
                    if chance(0.01) { event("clicked", t + 3800, #","url":"https://shop.example.com/unsubscribe""#); event("unsubscribed", t + 3810) }
                }
            }
            k += 1
        }
        if style == .sendGridArray { line("]") }
        shape.bytes += buffer.count
        _ = buffer.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, f) }
        return shape
    }
}
