// Ctrl-C and SIGTERM during a long command (import, demo): the handler only records the
// signal; the command polls `Interrupts.received` between records and rolls back, then
// exits 128 + the signal number (130, 143), as shells expect.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import SegSession
import Synchronization

/// The signal a long-running command was asked to stop by, if any.
enum Interrupts {
    private static let pending = Atomic<Int32>(0)

    /// Installs handlers for SIGINT and SIGTERM that only record the signal.
    static func install() {
        let handler: @convention(c) (Int32) -> Void = { sig in
            Interrupts.pending.store(sig, ordering: .relaxed)
        }
        _ = signal(SIGINT, handler)
        _ = signal(SIGTERM, handler)
        // A parent may have started us with these signals blocked; unblock them.
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, SIGINT)
        sigaddset(&set, SIGTERM)
        sigprocmask(SIG_UNBLOCK, &set, nil)
    }

    /// The signal received, or 0.
    static var received: Int32 { pending.load(ordering: .relaxed) }

    /// The exit status for the received signal (130 for SIGINT, 143 for SIGTERM).
    static var exitStatus: ExitStatus { ExitStatus(signal: received) }
}

/// Whether standard error is a terminal (progress lines are drawn only then).
var stderrIsTerminal: Bool { isatty(2) == 1 }

/// Writes `text` to standard error without a newline.
func writeStderr(_ text: String) {
    var text = text
    text.withUTF8 { buf in
        var off = 0
        while off < buf.count {
            let n = write(2, buf.baseAddress.map { $0 + off }, buf.count - off)
            if n <= 0 { break }
            off += n
        }
    }
}

/// Writes `line` and a newline to standard error.
func printError(_ line: String) {
    writeStderr(line + "\n")
}

/// `1,234,567`.
func grouped(_ n: Int) -> String {
    let s = String(n.magnitude)
    var out = ""
    for (i, ch) in s.enumerated() {
        if i > 0 && (s.count - i) % 3 == 0 { out.append(",") }
        out.append(ch)
    }
    return n < 0 ? "-" + out : out
}

/// `12.3 MB`.
func megabytes(_ bytes: Int64) -> String {
    let mb = Double(bytes) / 1_000_000
    return mb < 10 ? String(format1: mb, 2) + " MB" : String(format1: mb, 1) + " MB"
}

extension String {
    /// A number with `digits` decimals, without Foundation.
    init(format1 value: Double, _ digits: Int) {
        var scale = 1.0
        for _ in 0..<digits { scale *= 10 }
        let r = (value * scale).rounded() / scale
        var text = String(r)
        if let dot = text.firstIndex(of: ".") {
            let decimals = text.distance(from: dot, to: text.endIndex) - 1
            if decimals < digits { text += String(repeating: "0", count: digits - decimals) }
            if digits == 0 { text = String(text[..<dot]) }
        }
        self = text
    }
}
