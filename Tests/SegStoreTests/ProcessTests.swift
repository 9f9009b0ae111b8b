import Foundation
import SegQL
import Testing
@testable import SegStore

/// The `segq` executable built next to this test bundle (swift build puts products and
/// test bundles in the same directory, e.g. .build/debug). `swift test` builds the test
/// bundle but not the executable product, so run `swift build` first (after changing
/// segq or SegStore, or these tests run the old binary); without one they are skipped.
let segqBinary: String? = {
    var candidates: [URL] = []
    if let exe = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
        candidates.append(URL(fileURLWithPath: exe).deletingLastPathComponent())
    }
    if let url = Bundle.main.executableURL { candidates.append(url.deletingLastPathComponent()) }
    candidates.append(Bundle.main.bundleURL.deletingLastPathComponent())
    for dir in candidates {
        // The bundle may be a directory (macOS .xctest) one level below the products.
        for base in [dir, dir.deletingLastPathComponent()] {
            let path = base.appendingPathComponent("segq").path
            if FileManager.default.isExecutableFile(atPath: path) {
                return path
            }
        }
    }
    return nil
}()

struct RunResult {
    var status: Int32
    var reason: Process.TerminationReason
    var stderr: String
}

/// Runs segq to completion.
func runSegq(_ arguments: [String], environment: [String: String] = [:]) throws -> RunResult {
    let binary = try #require(segqBinary)
    let process = Process()
    process.executableURL = URL(fileURLWithPath: binary)
    process.arguments = arguments
    var env = ProcessInfo.processInfo.environment
    env.merge(environment) { $1 }
    process.environment = env
    let err = Pipe()
    process.standardError = err
    process.standardOutput = FileHandle.nullDevice
    try process.run()
    let data = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return RunResult(status: process.terminationStatus, reason: process.terminationReason,
                     stderr: String(decoding: data, as: UTF8.self))
}

/// A large canonical file: `events` events over 20,000 contacts.
func writeBigFile(_ path: String, events: Int) throws {
    var text = ""
    text.reserveCapacity(events * 130)
    for i in 0..<events {
        text += #"{"record":"event","id":"big-\#(i)","kind":"\#(i % 3 == 0 ? "sent" : "opened")","contact":"c\#(i % 20_000)@big.example","campaign":"Big \#(i % 7)","ts":\#(1_700_000_000 + i)}"#
        text += "\n"
    }
    try text.write(toFile: path, atomically: false, encoding: .utf8)
}

@Suite(.serialized, .enabled(if: segqBinary != nil,
                             "no segq executable next to the tests: run `swift build` before `swift test`"))
struct ProcessTests {
    /// A store with some data, its counts and rollups, and a big file to import into it.
    func prepared(_ dir: TempDir, events: Int) throws -> (path: String, file: String, counts: [String: Int64], rollups: [[[SQLValue]]]) {
        let path = dir.path("kill.db")
        let file = dir.path("big.jsonl")
        let t = try TestStore.wrapping(Store(path: path))
        try t.importText(importExample)
        try writeBigFile(file, events: events)
        return (path, file, try t.snapshot(), try rollups(t))
    }

    func expectUnchanged(_ path: String, _ counts: [String: Int64], _ before: [[[SQLValue]]]) throws {
        let t = try TestStore.wrapping(Store(path: path))
        #expect(try t.text("PRAGMA integrity_check") == "ok")
        #expect(try t.snapshot() == counts)
        #expect(try rollups(t) == before)
        #expect(try t.count("sqlite_master", "type = 'index' AND name LIKE 'events_by_%'") == 5)
    }

    @Test(arguments: [0.8, 2.0])
    func killedMidImportLeavesTheStoreAsItWas(after seconds: Double) throws {
        let dir = TempDir()
        let p = try prepared(dir, events: 400_000)
        let binary = try #require(segqBinary)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = ["import", "--db", p.path, p.file]
        process.standardError = FileHandle.nullDevice
        try process.run()
        Thread.sleep(forTimeInterval: seconds)
        #expect(process.isRunning, "the import finished before it could be killed; use a bigger file")
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        #expect(process.terminationReason == .uncaughtSignal)
        try expectUnchanged(p.path, p.counts, p.rollups)
        // And the store still takes an import.
        let t = try TestStore.wrapping(Store(path: p.path))
        #expect(try t.importText(#"{"record":"event","kind":"sent","contact":"after@kill.example","campaign":"K","ts":1}"#).committed)
    }

    @Test(arguments: [(SIGTERM, Int32(143)), (SIGINT, Int32(130))])
    func signalledImportRollsBackAndExitsWith128PlusSignal(signal: Int32, status: Int32) throws {
        let dir = TempDir()
        let p = try prepared(dir, events: 400_000)
        let binary = try #require(segqBinary)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = ["import", "--db", p.path, p.file]
        let err = Pipe()
        process.standardError = err
        try process.run()
        Thread.sleep(forTimeInterval: 1.0)
        #expect(process.isRunning)
        kill(process.processIdentifier, signal)
        let data = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        #expect(process.terminationStatus == status)
        #expect(String(decoding: data, as: UTF8.self).contains("segq import: interrupted; nothing was stored"))
        try expectUnchanged(p.path, p.counts, p.rollups)
    }

    @Test func badLinesExitOneAndAreReportedWithTheirLineNumbers() throws {
        let dir = TempDir()
        let file = dir.path("bad.jsonl")
        try """
            {"record":"event","kind":"sent","contact":"a@b.c","campaign":"C","ts":1}
            {"record":"event","kind":"opend","contact":"a@b.c","campaign":"C","ts":1}

            {"record":"event","kind":"sent","contact":"a@b.c","campaign":"C","ts":"noon"}
            """.write(toFile: file, atomically: false, encoding: .utf8)
        let db = dir.path("cli.db")
        let r = try runSegq(["import", "--db", db, file])
        #expect(r.status == 1)
        let lines = r.stderr.split(separator: "\n").map(String.init)
        #expect(lines.first == "\(file):2: error: unknown kind 'opend'; did you mean 'opened'?")
        #expect(lines.dropFirst().first == "\(file):4: error: 'ts' must be an ISO-8601 date-time with a zone or integer Unix seconds, not \"noon\"")
        #expect(lines.last?.contains("2 bad records; nothing was stored") == true)
        #expect(try TestStore.wrapping(Store(path: db)).count("events") == 0)

        let skip = try runSegq(["import", "--skip-bad", "--db", db, file])
        #expect(skip.status == 0)
        #expect(skip.stderr.contains("1 events stored") && skip.stderr.contains("2 bad records skipped"))
        #expect(try TestStore.wrapping(Store(path: db)).count("events") == 1)

        let missing = try runSegq(["import", "--db", db, dir.path("nope.jsonl")])
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("nope.jsonl: no such file or not readable"))
        // Progress is drawn only on a terminal: none of these runs printed a carriage return.
        #expect(!r.stderr.contains("\r") && !skip.stderr.contains("\r"))
    }

    @Test func standardInputAndTheDBEnvironmentVariable() throws {
        let dir = TempDir()
        let db = dir.path("env.db")
        let binary = try #require(segqBinary)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = ["import", "-"]
        process.environment = ProcessInfo.processInfo.environment.merging(["SEGQ_DB": db]) { $1 }
        let input = Pipe()
        process.standardInput = input
        process.standardError = FileHandle.nullDevice
        try process.run()
        input.fileHandleForWriting.write(Data(importExample.utf8))
        try input.fileHandleForWriting.close()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        #expect(try TestStore.wrapping(Store(path: db)).count("events") == 3)
    }

    @Test func demoRefusesToOverwriteAnotherStore() throws {
        let dir = TempDir()
        let db = dir.path("mine.db")
        _ = try TestStore.wrapping(Store(path: db)).importText(importExample)
        let r = try runSegq(["demo", "--db", db, "--contacts", "100"])
        #expect(r.status == 2)
        #expect(r.stderr.contains("exists and is not a demo store; use --force"))
        #expect(try TestStore.wrapping(Store(path: db)).count("events") == 3)
        let forced = try runSegq(["demo", "--db", db, "--contacts", "100", "--force"])
        #expect(forced.status == 0)
        #expect(try TestStore.wrapping(Store(path: db)).store.info("demo_now") == .integer(DemoStore.referenceNow))
        // A demo store is replaced without --force.
        let again = try runSegq(["demo", "--db", db, "--contacts", "50", "--seed", "2"])
        #expect(again.status == 0)
        #expect(try TestStore.wrapping(Store(path: db)).count("contacts") == 50)
    }
}

@Suite(.enabled(if: segqBinary != nil, "needs the built segq binary (swift build)"))
struct PlatformImportProcessTests {
    /// A SendGrid POST body is detected; the summary names kinds and unsupported types.
    @Test func sendGridSummary() throws {
        let dir = TempDir()
        let db = dir.path("sg.db")
        let r = try runSegq(["import", "--db", db, fixture("sendgrid/sample_events.json")])
        #expect(r.status == 0)
        let lines = r.stderr.split(separator: "\n").map(String.init)
        #expect(lines.count == 3)
        #expect(lines.first?.hasSuffix("21 events stored, 1 duplicates skipped, 3 unsupported skipped") == true)
        #expect(lines.dropFirst().first == "  stored: sent 3, dropped 4, delivered 3, bounced 2, opened 3, clicked 2, unsubscribed 3, complained 1")
        #expect(lines.last == "  unsupported (no kind in the store, not stored): deferred 2, group_resubscribe 1")
        let again = try runSegq(["import", "--db", db, "--format", "sendgrid", fixture("sendgrid/sample_events.json")])
        #expect(again.status == 0 && again.stderr.contains("0 events stored, 22 duplicates skipped"))
    }

    /// A line longer than 16 MiB is refused as it is read: exit 3, the file and line
    /// named, the store as it was.
    @Test func lineLongerThanTheLimit() throws {
        let dir = TempDir()
        let db = dir.path("x.db")
        let good = dir.path("good.jsonl"), long = dir.path("long.jsonl")
        try importExample.write(toFile: good, atomically: false, encoding: .utf8)
        #expect(try runSegq(["import", "--db", db, good]).status == 0)
        let events = try TestStore.wrapping(Store(path: db)).count("events")
        let line = #"{"record":"event","kind":"sent","contact":"a@b.c","campaign":"C","ts":1,"x":""#
            + String(repeating: "x", count: 17 << 20) + "\"}\n"
        try (#"{"record":"event","kind":"sent","contact":"b@b.c","campaign":"C","ts":1}"# + "\n" + line)
            .write(toFile: long, atomically: false, encoding: .utf8)
        for flags in [[], ["--skip-bad"]] {
            let r = try runSegq(["import", "--db", db] + flags + [long])
            #expect(r.status == 3)
            #expect(r.stderr.contains("\(long): line 2 is longer than 16 MiB, the longest line an import reads; nothing was stored"))
            #expect(try TestStore.wrapping(Store(path: db)).count("events") == events)
        }
    }

    /// Content that no reader understands is a read error (exit 3) that names the file.
    @Test func undetectableFormat() throws {
        let dir = TempDir()
        let file = dir.path("notes.txt")
        try "Dear diary,\ntoday I sent a campaign.\n".write(toFile: file, atomically: false, encoding: .utf8)
        let r = try runSegq(["import", "--db", dir.path("x.db"), file])
        #expect(r.status == 3)
        #expect(r.stderr.contains("\(file): cannot tell the format: the first line is neither JSON nor a CSV header"))
        // A first line longer than a header can be is not split into fields to look for
        // column names (one of 100 MB took 2 GB), so even one naming `email` is refused.
        let long = dir.path("long.txt")
        try ("email," + String(repeating: "x", count: CSVReader.maximumHeaderLength) + "\nana@example.com,1\n").write(toFile: long, atomically: false, encoding: .utf8)
        let l = try runSegq(["import", "--db", dir.path("x.db"), long])
        #expect(l.status == 3 && l.stderr.contains("cannot tell the format"))
        let mailgun = dir.path("mailgun.json")
        try #"{"signature":{},"event-data":{"event":"delivered","recipient":"a@b.c"}}"#.write(toFile: mailgun, atomically: false, encoding: .utf8)
        let m = try runSegq(["import", "--db", dir.path("x.db"), mailgun])
        #expect(m.status == 1 && m.stderr.hasPrefix("\(mailgun):1: error: missing member 'timestamp'"))
        let ses = dir.path("ses.json")
        try #"{"eventType":"Bounce","mail":{"destination":["a@b.c"]}}"#.write(toFile: ses, atomically: false, encoding: .utf8)
        let s = try runSegq(["import", "--db", dir.path("x.db"), ses])
        #expect(s.status == 1 && s.stderr.hasPrefix("\(ses):1: error: missing member 'bounce.bounceType'"))
        let csv = dir.path("c.csv")
        try "email,plan\nana@example.com,pro\n".write(toFile: csv, atomically: false, encoding: .utf8)
        let c = try runSegq(["import", "--db", dir.path("x.db"), csv])
        #expect(c.status == 0 && c.stderr.contains("1 declarations"))
    }
}
