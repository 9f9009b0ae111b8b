// One way to stop a statement, whatever asks for it: Ctrl-C at the prompt or a
// statement timeout (`--timeout`, `.timeout`).
//
// A `Cancellation` is a flag and a deadline that the long-running parts poll: the
// binder at every node it binds, the planner at every condition it plans, the set
// engine at every set it combines, and the SQLite connection every thousand virtual
// machine instructions (its progress handler). A PostgreSQL statement cannot be polled
// while libpq waits for the server, so the session also sends the server a cancel
// request when the deadline passes or Ctrl-C arrives. A stage that sees the flag stops
// early and returns what it has; the session, which owns the flag, turns that into
// the statement's error, so no stage needs a new way to fail.
//
// Ctrl-C sets the flag from another thread (`cancel()`); the deadline needs no thread:
// `isCancelled` reads the monotonic clock, which costs tens of nanoseconds. The flag
// means something only between `start` and `finish`: a Ctrl-C between statements
// stops nothing, and the work a session does between statements (completion at the
// prompt, rolling back) is never refused.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization

/// Why a statement stopped before its end.
public enum CancellationReason: Sendable, Equatable {
    /// Ctrl-C.
    case interrupted
    /// It ran longer than the statement timeout, this many seconds.
    case timedOut(seconds: Double)

    /// What the user reads: "interrupted", or "statement cancelled after 5 s (--timeout)".
    public var message: String {
        switch self {
        case .interrupted: "interrupted"
        case .timedOut(let s): "statement cancelled after \(Self.seconds(s)) s (--timeout)"
        }
    }

    /// `5`, `0.5`, `0.001`: a timeout as it was written, without a trailing `.0`.
    public static func seconds(_ s: Double) -> String {
        if s == s.rounded(), s < 1e15 { return String(Int64(s)) }
        return String(s)
    }
}

/// Whether the statement running now should stop: set by Ctrl-C, or by its deadline.
public final class Cancellation: Sendable {
    /// 0: no statement; 1: running; 2: interrupted; 3: timed out.
    private let state = Atomic<Int>(0)
    /// The deadline on the monotonic clock in nanoseconds, or 0 for none.
    private let deadline = Atomic<Int64>(0)
    /// The timeout in force, as a `Double`'s bit pattern (for the message).
    private let timeoutBits = Atomic<UInt64>(0)

    public init() {}

    /// A statement starts: clears a previous cancellation and sets the deadline
    /// `timeout` seconds from now (nil: none).
    public func start(timeout: Double?) {
        if let timeout {
            timeoutBits.store(timeout.bitPattern, ordering: .relaxed)
            let ns = timeout * 1e9
            deadline.store(Self.now() &+ (ns < 9e18 ? Int64(ns) : Int64.max / 2), ordering: .sequentiallyConsistent)
        } else {
            deadline.store(0, ordering: .sequentiallyConsistent)
        }
        state.store(1, ordering: .sequentiallyConsistent)
    }

    /// The statement ended: nothing is cancelled until the next one starts.
    public func finish() {
        state.store(0, ordering: .sequentiallyConsistent)
        deadline.store(0, ordering: .sequentiallyConsistent)
    }

    /// Ctrl-C: stop the running statement, if any (from any thread).
    public func cancel() {
        _ = state.compareExchange(expected: 1, desired: 2, ordering: .sequentiallyConsistent)
    }

    /// Why the statement must stop, or nil to go on.
    public var reason: CancellationReason? {
        switch state.load(ordering: .relaxed) {
        case 2: return .interrupted
        case 3: return .timedOut(seconds: Double(bitPattern: timeoutBits.load(ordering: .relaxed)))
        case 1:
            let d = deadline.load(ordering: .relaxed)
            guard d != 0, Self.now() >= d else { return nil }
            // Unless Ctrl-C came first, the statement timed out.
            let (exchanged, now) = state.compareExchange(expected: 1, desired: 3, ordering: .sequentiallyConsistent)
            if !exchanged && now == 2 { return .interrupted }
            return now == 0 ? nil : .timedOut(seconds: Double(bitPattern: timeoutBits.load(ordering: .relaxed)))
        default:
            return nil
        }
    }

    /// Whether the statement must stop.
    public var isCancelled: Bool { reason != nil }

    /// Nanoseconds until the deadline (at least 1), or nil when there is none.
    public var remainingNanoseconds: Int64? {
        let d = deadline.load(ordering: .relaxed)
        guard d != 0 else { return nil }
        return max(1, d &- Self.now())
    }

    /// The monotonic clock, in nanoseconds.
    static func now() -> Int64 {
        var t = timespec()
        clock_gettime(CLOCK_MONOTONIC, &t)
        return Int64(t.tv_sec) &* 1_000_000_000 &+ Int64(t.tv_nsec)
    }
}
