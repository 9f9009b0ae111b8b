import Testing
import SegQL
@testable import SegSession

/// segq's (Swift Testing has an `ExitStatus` of its own).
typealias ExitStatus = SegSession.ExitStatus

/// The one mapping from what went wrong to segq's exit status (docs/cli.md § Exit status).
@Suite struct ExitStatusTests {
    @Test func theStatusesAreTheDocumentedNumbers() {
        #expect(ExitStatus.allCases.map(\.rawValue) == [0, 1, 2, 3, 130, 143])
    }

    static let file = SourceFile(name: "q", text: "opend")
    @Test(arguments: [
        (SessionError.compile([.error("unknown event 'opend'", at: .at(0))], file), ExitStatus.compile),
        (.interrupted(), .runtime),
        (.interrupted(.timedOut(seconds: 5)), .runtime),
        (.readOnlyStore, .runtime),
        (.damagedStore(path: "s.db", detail: "database disk image is malformed"), .runtime),
        (.store("cannot read the store"), .runtime),
        (.unknownCampaign("Sprng", suggestion: "Spring"), .runtime),
        (.nameTaken(kind: "list", name: "vip"), .runtime),
        (.inUse(kind: "list", name: "vip", verb: "drop", users: "segment 'a' uses it"), .runtime),
        (.refused("campaign 'x' was sent after now"), .runtime),
        (.unknownTimeZone("Mars/Base"), .runtime),
        (.file("cannot write 'x'"), .runtime),
        (.fileExists("x.csv"), .runtime),
        (.system("cannot create a pipe"), .runtime),
    ])
    func sessionErrorsMapToOneStatus(error: SessionError, status: ExitStatus) {
        #expect(ExitStatus(for: error) == status)
    }

    @Test(arguments: [(Int32(2), ExitStatus.interrupted), (15, .terminated)])
    func signalsMapToShellStatuses(signal: Int32, status: ExitStatus) {
        #expect(ExitStatus(signal: signal) == status)
        #expect(status.rawValue == 128 + signal)
    }

    /// The messages a user reads: each case says what is wrong (and what would be right).
    @Test func messagesSayWhatIsWrong() {
        #expect(SessionError.unknownCampaign("Sprng", suggestion: "Spring").description == "error: no campaign named 'Sprng'; did you mean 'Spring'?")
        #expect(SessionError.nameTaken(kind: "campaign", name: "A").description == "error: a campaign named 'A' already exists")
        #expect(SessionError.readOnlyStore.description == "error: the store is open read-only (--read-only); this statement writes")
        #expect(SessionError.interrupted().isInterrupt && !SessionError.readOnlyStore.isInterrupt)
        #expect(SessionError.interrupted(.timedOut(seconds: 5)).isInterrupt)
        #expect(SessionError.interrupted(.timedOut(seconds: 5)).description == "error: statement cancelled after 5 s (--timeout)")
        #expect(SessionError.damagedStore(path: "s.db", detail: "x").description.hasPrefix("error: s.db: the store is damaged (SQLite: x)"))
    }
}
