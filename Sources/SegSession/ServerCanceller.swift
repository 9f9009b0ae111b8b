// A statement timeout on PostgreSQL. While libpq waits for the server's answer nothing
// in segq runs to poll the deadline, so a timer asks the server to cancel the query
// (`Database.interrupt()`, libpq's PQcancel) when the deadline passes, and again every
// 100 ms until the statement ends: a request that reaches the server between two of
// the statement's queries cancels nothing, and the next query must not escape. The
// queries segq sends after the deadline fail before they are sent (the connection
// checks the session's `Cancellation`).

import Dispatch
import SegStore
import Synchronization

/// Sends a PostgreSQL server cancel requests from a deadline on, until stopped.
///
/// `@unchecked Sendable`: the timer is set up and stopped on the session's thread; the
/// handler, on Dispatch's, touches only the Mutex and the thread-safe `interrupt()`.
final class ServerCanceller: @unchecked Sendable {
    private let timer: DispatchSourceTimer
    /// Whether requests may still be sent; `stop()` waits for one being sent.
    private let armed = Mutex(true)

    init(_ database: Database, after seconds: Double) {
        timer = DispatchSource.makeTimerSource(queue: .global())
        let nanoseconds = Int(min(seconds * 1e9, 1e15))
        timer.schedule(deadline: .now() + .nanoseconds(nanoseconds), repeating: .milliseconds(100))
        timer.setEventHandler { [self] in
            armed.withLock { if $0 { database.interrupt() } }
        }
        timer.resume()
    }

    /// The statement ended: no request is sent from now on.
    func stop() {
        armed.withLock { $0 = false }
        timer.cancel()
    }
}
