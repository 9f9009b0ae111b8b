// The live audience size: while a complete query is typed, its count is worked out on
// a thread and shown at the right end of the line (libedit's right prompt).
//
// How it fits libedit: the line editor reads keys through its own function
// (`EL_GETCFN`, see `LineEditor.readCharacter`), which waits on the terminal and on a
// pipe this class writes when a count is done. When the input has been still for
// `idle` seconds, is complete and parses as one statement with a query (a bare query,
// count, show, save, export, reach), one count starts — never a second before the first
// ends. A key clears the status at once and cancels the count: its answer is dropped,
// and on SQLite `sqlite3_interrupt` stops it (a no-op when no statement runs, so it can
// never stop a later one; on PostgreSQL a cancel request could arrive late and hit the
// next statement, so there the live count is off). When a count ends, the read
// function asks libedit to redraw the line (`EL_REFRESH`), and the status shows.
//
// The session is not thread-safe, so it is handed over, never shared: the thread uses
// it only while a count runs, and the main thread calls `settle()` — cancel, then wait
// for the thread — before it uses the session again (Tab's completion, and every
// return from `el_gets`).

import Foundation
import SegQL
import SegSession
import SegStore
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

final class LiveCount: @unchecked Sendable {
    /// How long the input must be still before a count starts.
    let idle: Double
    /// Written (one byte) when a count ends; the line editor waits on the read end.
    let wakeRead: Int32
    private let wakeWrite: Int32
    private let session: Session
    private let color: Bool

    private struct State {
        var status = ""
        /// The text of the count running, if any.
        var running: String?
        /// The text the status is for (or "" for none).
        var counted = ""
        /// Bumped by every change of the input: a count of an older one is dropped.
        var generation = 0
    }
    private let state = Mutex(State())
    private let finished = NSCondition()

    init(session: Session, color: Bool, idle: Double = 0.15) throws {
        var ends: [Int32] = [-1, -1]
        guard pipe(&ends) == 0 else { throw REPLError("cannot create a pipe: \(String(cString: strerror(errno)))") }
        for fd in ends {
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        }
        wakeRead = ends[0]
        wakeWrite = ends[1]
        self.session = session
        self.color = color
        self.idle = idle
    }

    deinit {
        settle()
        close(wakeRead)
        close(wakeWrite)
    }

    /// `.live on|off`.
    var enabled = true

    /// What the right prompt shows (`\u{1}` brackets invisible escapes).
    var status: String { state.withLock { $0.status } }

    /// The input changed (a key): clear the status and drop (and stop) a count running.
    func inputChanged() {
        let wasRunning = state.withLock { s -> Bool in
            s.generation += 1
            s.status = ""
            s.counted = ""
            return s.running != nil
        }
        if wasRunning { session.store.database.interrupt() }
    }

    /// The input has been still: start counting `text` unless a count runs or it was
    /// counted already. Main thread.
    func inputStill(_ text: String) {
        // Off on PostgreSQL (see the top of this file), and when there is nothing to count.
        guard enabled, session.store.database.interruptsOnlyRunningStatement, Self.countableQuery(text) != nil else { return }
        let generation: Int? = state.withLock { s in
            guard s.running == nil, s.counted != text else { return nil }
            s.running = text
            s.counted = text
            return s.generation
        }
        guard let generation else { return }
        let thread = Thread { [self] in
            let n = count(text)
            let shown = state.withLock { s -> Bool in
                s.running = nil
                guard s.generation == generation, let n else { return false }
                s.status = render(n)
                return true
            }
            finished.lock()
            finished.broadcast()
            finished.unlock()
            if shown {
                var byte: UInt8 = 1
                _ = write(wakeWrite, &byte, 1)
            }
        }
        thread.name = "segq-live-count"
        thread.start()
    }

    /// Cancels a count running and waits until it has ended, so the session is the
    /// caller's again. Main thread.
    func settle() {
        if state.withLock({ $0.running != nil }) {
            inputChanged()
        }
        finished.lock()
        while state.withLock({ $0.running != nil }) { finished.wait() }
        finished.unlock()
        state.withLock {
            $0.status = ""
            $0.counted = ""
        }
    }

    /// Empties the wake pipe.
    func drainWake() {
        var buffer = [UInt8](repeating: 0, count: 64)
        while read(wakeRead, &buffer, buffer.count) > 0 {}
    }

    private func render(_ n: Int64) -> String {
        let text = "\(n) contact\(n == 1 ? "" : "s")"
        return color ? "\u{1}\u{1B}[2m\u{1}" + text + "\u{1}\u{1B}[0m\u{1}" : text
    }

    /// The count of `text` if it is one complete statement with a query; nil otherwise
    /// (incomplete, a syntax or name error, a store error, interrupted). On the thread.
    private func count(_ text: String) -> Int64? {
        guard let query = Self.countableQuery(text) else { return nil }
        let file = SourceFile(name: "<input>", text: text)
        let warn = session.warn
        session.warn = { _ in }
        defer { session.warn = warn }
        guard let compiled = try? session.compile(query, projection: .count, in: file) else { return nil }
        return try? session.count(compiled)
    }

    /// The query whose audience `text` names: of one complete statement, a bare query,
    /// count, show, save, export or reach, without `as of`.
    static func countableQuery(_ text: String) -> Query? {
        guard InputCompleteness.isComplete(text) else { return nil }
        let (statements, diagnostics) = Parser.parseScript(SourceFile(name: "<input>", text: text))
        guard diagnostics.isEmpty, statements.count == 1, let statement = statements.first, statement.asOf == nil else { return nil }
        switch statement.kind {
        case .query(let q), .count(let q), .show(let q, _), .saveSegment(_, let q, _), .saveList(_, let q, _, _),
             .export(let q, _, _, _), .reach(let q):
            return q
        default:
            return nil
        }
    }
}
