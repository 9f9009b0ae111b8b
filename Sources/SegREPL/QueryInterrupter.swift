// Ctrl-C while a query runs: SIGINT → `sqlite3_interrupt` → the statement fails with
// SQLITE_INTERRUPT → the session reports `interrupted` → the REPL prompts again.
//
// A signal handler may only do async-signal-safe things, so it writes one byte to a
// pipe (the self-pipe trick); a watcher thread reads the pipe and calls
// `Database.interrupt()`, which SQLite documents as safe from another thread. While a
// line is being edited the terminal does not raise SIGINT at all (see LineEditor), so
// the signal only ever means "stop the query". A Ctrl-C that arrives between queries
// interrupts nothing: SQLite clears the flag when the next statement starts with no
// other statement running.

import Foundation
import SegSession
import SegStore
import Synchronization

/// Interrupts the watched database on SIGINT, for as long as it lives.
final class QueryInterrupter: @unchecked Sendable {
    /// The write end of the pipe, read by the signal handler.
    private static let writeEnd = Atomic<Int32>(-1)

    private struct Target: @unchecked Sendable {
        // Database.interrupt() is documented thread-safe; the Mutex guards the reference.
        let database: Database
    }

    private let target = Mutex<Target?>(nil)
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
        let thread = Thread { [self] in watch() }
        thread.name = "segq-interrupt"
        thread.start()
    }

    /// Makes Ctrl-C interrupt `database` (after `.open`, the new store's).
    func watch(_ database: Database) {
        target.withLock { $0 = Target(database: database) }
    }

    private func watch() {
        var byte: UInt8 = 0
        while true {
            let n = read(readEnd, &byte, 1)
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return }
            target.withLock { $0?.database.interrupt() }
        }
    }
}
