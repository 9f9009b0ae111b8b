// Monotonic time for the timings a session prints (`.timer`, `explain analyze`).

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Monotonic time for timings.
enum Clock {
    static func now() -> timespec {
        var t = timespec()
        clock_gettime(CLOCK_MONOTONIC, &t)
        return t
    }

    static func millisecondsSince(_ start: timespec) -> Double {
        let end = now()
        return Double(end.tv_sec - start.tv_sec) * 1000 + Double(end.tv_nsec - start.tv_nsec) / 1e6
    }

    static func format(_ ms: Double) -> String {
        ms < 10 ? String(format1: ms) + " ms" : ms < 10_000 ? "\(Int(ms.rounded())) ms" : String(format1: ms / 1000) + " s"
    }
}

extension String {
    /// One decimal, without Foundation.
    init(format1 v: Double) {
        let tenths = Int((v * 10).rounded())
        self = "\(tenths / 10).\(abs(tenths % 10))"
    }
}
