// Ctrl-C while a statement runs: SIGINT → the session's `Cancellation` is cancelled
// and the database interrupted (`sqlite3_interrupt`, PostgreSQL's cancel request) →
// the compiler, the set engine or the database stops → the session reports
// `interrupted` → the REPL prompts again. The statement timeout stops a statement the
// same way (Session.asStatement): one mechanism, two triggers.
//
// A signal handler may only do async-signal-safe things, so it writes one byte to a
// pipe (the self-pipe trick); a watcher thread reads the pipe and calls
// `Cancellation.cancel()` and `Database.interrupt()`, which SQLite and libpq document
// as safe from another thread. While a line is being edited the terminal does not raise
// SIGINT at all (see LineEditor), so the signal only ever means "stop the statement". A
// Ctrl-C that arrives between statements stops nothing: the next statement starts
// with its cancellation cleared, and SQLite clears its flag when the next statement
// starts with no other statement running.

import Foundation
import SegQL
import SegSession
import SegStore
import Synchronization

/// Cancels the watched session's statement on SIGINT, for as long as it lives.
final class QueryInterrupter: @unchecked Sendable {
    /// The write end of the pipe, read by the signal handler.
    private static let writeEnd = Atomic<Int32>(-1)

    private struct Target: @unchecked Sendable {
        // Database.interrupt() and Cancellation are thread-safe; the Mutex guards the references.
        let database: Database
        let cancellation: Cancellation
    }

    private let target = Mutex<Target?>(nil)
    private let received = Atomic<Int>(0)
    private let readEnd: Int32
    private var previous = sigaction()

    init() throws {
        var fds: [Int32] = [-1, -1]
        guard pipe(&fds) == 0 else { throw SessionError.system("cannot create a pipe for Ctrl-C: \(String(cString: strerror(errno)))") }
        readEnd = fds[0]
        Self.writeEnd.store(fds[1], ordering: .sequentiallyConsistent)
        var action = sigaction()
        #if canImport(Glibc)
        action.__sigaction_handler.sa_handler = { _ in
            var byte: UInt8 = 1
            let fd = QueryInterrupter.writeEnd.load(ordering: .relaxed)
            if fd >= 0 { _ = write(fd, &byte, 1) }
        }
        #else
        action.__sigaction_u.__sa_handler = { _ in
            var byte: UInt8 = 1
            let fd = QueryInterrupter.writeEnd.load(ordering: .relaxed)
            if fd >= 0 { _ = write(fd, &byte, 1) }
        }
        #endif
        sigemptyset(&action.sa_mask)
        // Restart reads and writes the signal lands in: only SQLite should notice it.
        action.sa_flags = SA_RESTART
        guard sigaction(SIGINT, &action, &previous) == 0 else {
            throw SessionError.system("cannot install the Ctrl-C handler: \(String(cString: strerror(errno)))")
        }
        // A parent may have started us with SIGINT blocked (a test runner's thread).
        var blocked = sigset_t()
        sigemptyset(&blocked)
        sigaddset(&blocked, SIGINT)
        pthread_sigmask(SIG_UNBLOCK, &blocked, nil)
        let thread = Thread { [self] in watch() }
        thread.name = "segq-interrupt"
        thread.start()
    }

    /// How many Ctrl-Cs have arrived (`.watch` stops when this moves).
    var signals: Int { received.load(ordering: .sequentiallyConsistent) }

    /// Makes Ctrl-C cancel `session`'s statement (after `.open`, on the new store).
    func watch(_ session: Session) {
        let t = Target(database: session.store.database, cancellation: session.cancellation)
        target.withLock { $0 = t }
    }

    private func watch() {
        var byte: UInt8 = 0
        while true {
            let n = read(readEnd, &byte, 1)
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return }
            received.add(1, ordering: .sequentiallyConsistent)
            target.withLock { t in
                t?.cancellation.cancel()
                t?.database.interrupt()
            }
        }
    }
}
