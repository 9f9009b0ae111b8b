import ArgumentParser
import SegQL
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `segq-bench parse`: how long the front end takes to parse a typical query, and how
/// many megabytes of script it parses per second (docs/benchmarks.md, "Parsing").
struct ParseBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "parse",
        abstract: "Parse time per typical query (median µs) and throughput on a generated script (MB/s)."
    )

    @Option(help: "Parses per timed batch.")
    var batch = 1_000

    @Option(help: "Timed batches per query (the median batch is reported).")
    var batches = 200

    @Option(help: "Size of the generated script, in megabytes.")
    var megabytes = 8

    @Option(help: "Times the generated script is parsed (the median is reported).")
    var rounds = 7

    /// The design card's example query first, then other typical ones.
    static let queries: [(String, String)] = [
        ("design card query", #"opened(campaign:"Spring Sale") and not clicked(link:"/pricing") and clicks >= 2"#),
        ("bare audience", "openers"),
        ("field conditions", #"country in ["SE", "NO", "DK"] and age >= 18 and email matches "*@example.com""#),
        ("save statement", #"save or replace segment engaged = opens(within: 90d) >= 3 and clicks(within: 90d, footer: false) >= 1 and not (unsubscribed(campaign: "*") or complained(campaign: "*"))"#),
    ]

    func run() throws {
        print("Parsing benchmark (\(Self.buildConfiguration) build)")
        print("")
        print("| query | bytes | median µs per parse (wall) | median µs per parse (CPU) |")
        print("|---|---:|---:|---:|")
        for (label, text) in Self.queries {
            let bytes = Array(text.utf8)
            let check = Parser.parseScript(SourceFile(name: "q", bytes: bytes))
            guard check.diagnostics.isEmpty, check.statements.count == 1 else {
                throw ValidationError("benchmark query does not parse: \(text)")
            }
            var wall: [Double] = []
            var cpu: [Double] = []
            var sink = 0
            for _ in 0..<batches {
                let start = ContinuousClock.now
                let cpuStart = Self.threadCPUTime()
                for _ in 0..<batch {
                    sink &+= Parser.parseScript(SourceFile(name: "q", bytes: bytes)).statements.count
                }
                cpu.append((Self.threadCPUTime() - cpuStart) / Double(batch))
                wall.append(Self.seconds(ContinuousClock.now - start) / Double(batch))
            }
            precondition(sink == batch * batches)
            print("| \(label) | \(bytes.count) | \(Self.format(Self.median(wall) * 1e6, digits: 2)) | \(Self.format(Self.median(cpu) * 1e6, digits: 2)) |")
        }

        let script = Self.generatedScript(megabytes: megabytes)
        var statements = 0
        var wall: [Double] = []
        var cpu: [Double] = []
        for _ in 0..<rounds {
            let start = ContinuousClock.now
            let cpuStart = Self.threadCPUTime()
            let r = Parser.parseScript(SourceFile(name: "big.segq", bytes: script))
            cpu.append(Self.threadCPUTime() - cpuStart)
            wall.append(Self.seconds(ContinuousClock.now - start))
            precondition(r.diagnostics.isEmpty)
            statements = r.statements.count
        }
        let mb = Double(script.count) / 1_000_000
        print("")
        print("Throughput: \(Self.format(mb, digits: 1)) MB script, \(statements) statements, median of \(rounds):")
        print("wall \(Self.format(Self.median(wall) * 1000, digits: 0)) ms = \(Self.format(mb / Self.median(wall), digits: 1)) MB/s; "
            + "CPU \(Self.format(Self.median(cpu) * 1000, digits: 0)) ms = \(Self.format(mb / Self.median(cpu), digits: 1)) MB/s")

        print("")
        print("| hostile 10 MB input | diagnostics | ms |")
        print("|---|---:|---:|")
        let n = 10_000_000
        let hostile: [(String, [UInt8])] = [
            ("100% `(`", [UInt8](repeating: UInt8(ascii: "("), count: n)),
            ("`not not not …`", Array(String(repeating: "not ", count: n / 4).utf8)),
            ("one line `x in [12345, …]`", Array(("x in [" + String(repeating: "12345, ", count: n / 7) + "1]").utf8)),
            ("junk bytes `@@@…`", [UInt8](repeating: UInt8(ascii: "@"), count: n)),
            ("random bytes", Self.randomBytes(n)),
        ]
        for (label, bytes) in hostile {
            let start = ContinuousClock.now
            let r = Parser.parseScript(SourceFile(name: "h", bytes: bytes))
            let elapsed = Self.seconds(ContinuousClock.now - start)
            print("| \(label) | \(r.diagnostics.count) | \(Self.format(elapsed * 1000, digits: 0)) |")
        }
    }

    /// A script of about `megabytes` MB mixing every kind of statement.
    static func generatedScript(megabytes: Int) -> [UInt8] {
        let templates = [
            #"count opened(campaign: "Campaign N") and not clicked(link: "/pricing") and clicks >= 2;"#,
            #"show opens(campaign: ["Spring Sale", "Summer*"], within: 30d, machine: false) >= 3 and country = "SE" limit 100;"#,
            #"save or replace segment "segment N" = (openers or clickers) and not suppressed and age >= 18;"#,
            #"let alias_N = bounced(type: hard, reason: "5.1.*") or complained(campaign: "*"); -- a comment"#,
            #"export clicked(link: "/plans/*", since: "2024-01-01") and plan in ["pro", "team"] to "out-N.csv";"#,
            #"duplicate campaign "Campaign N" for (opened and not clicked) as "label N" including suppressed;"#,
        ]
        var out: [UInt8] = []
        out.reserveCapacity(megabytes * 1_000_000 + 200)
        var i = 0
        while out.count < megabytes * 1_000_000 {
            out += Array(templates[i % templates.count].replacingOccurrences(of: "N", with: String(i)).utf8)
            out.append(0x0A)
            i += 1
        }
        return out
    }

    static func randomBytes(_ n: Int) -> [UInt8] {
        var state: UInt64 = 0x5E6
        return (0..<n).map { _ in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return UInt8(truncatingIfNeeded: state >> 33)
        }
    }

    /// CPU time of the calling thread, in seconds: unlike wall time, it does not grow
    /// when other processes compete for the cores.
    static func threadCPUTime() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    static func median(_ xs: [Double]) -> Double {
        let s = xs.sorted()
        return s.isEmpty ? 0 : s[s.count / 2]
    }

    static func seconds(_ d: Duration) -> Double {
        Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
    }

    static func format(_ x: Double, digits: Int) -> String {
        var scale = 1.0
        for _ in 0..<digits { scale *= 10 }
        let rounded = (x * scale).rounded() / scale
        var s = String(rounded)
        if digits == 0, s.hasSuffix(".0") { s.removeLast(2) }
        return s
    }

    static var buildConfiguration: String {
        #if DEBUG
        "debug"
        #else
        "release"
        #endif
    }
}

private extension String {
    func replacingOccurrences(of target: String, with replacement: String) -> String {
        split(separator: target, omittingEmptySubsequences: false).joined(separator: replacement)
    }
}
