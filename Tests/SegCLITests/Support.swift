// Runs the built `segq` binary: as a child process with pipes, or in a pseudo-terminal.
// `swift build` must have built it first (the README's test command does).

import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The source directory of this test target (fixtures, goldens).
let testsDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()

/// The `segq` executable built next to this test bundle (.build/debug).
let segqPath: String? = {
    var candidates: [URL] = []
    if let exe = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
        candidates.append(URL(fileURLWithPath: exe).deletingLastPathComponent())
    }
    if let url = Bundle.main.executableURL { candidates.append(url.deletingLastPathComponent()) }
    candidates.append(Bundle.main.bundleURL.deletingLastPathComponent())
    for dir in candidates {
        for base in [dir, dir.deletingLastPathComponent()] {
            let path = base.appendingPathComponent("segq").path
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
    }
    return nil
}()

/// A finished run.
struct Output {
    var status: Int32
    var stdout: String
    var stderr: String
}

/// A fresh temporary directory.
func temporaryDirectory() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("segq-cli-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// Runs segq with `arguments`, feeding `stdin` (nil: an empty pipe), in `directory`.
func segq(_ arguments: [String], stdin: String? = nil, environment: [String: String] = [:],
          directory: URL? = nil) throws -> Output {
    let binary = try #require(segqPath, "build segq first: swift build")
    let process = Process()
    process.executableURL = URL(fileURLWithPath: binary)
    process.arguments = arguments
    var env = ProcessInfo.processInfo.environment
    env["SEGQ_DB"] = nil
    env["NO_COLOR"] = "1"
    // Times show in the viewer's zone: the same zone on every machine, unless a test sets one.
    env["TZ"] = "UTC"
    env.merge(environment) { $1 }
    process.environment = env
    if let directory { process.currentDirectoryURL = directory }
    let input = Pipe(), out = Pipe(), err = Pipe()
    process.standardInput = input
    process.standardOutput = out
    process.standardError = err
    try process.run()
    if let stdin { input.fileHandleForWriting.write(Data(stdin.utf8)) }
    try input.fileHandleForWriting.close()
    // Read both pipes at once so that neither fills up and blocks the child.
    nonisolated(unsafe) var errData = Data()
    let group = DispatchGroup()
    group.enter()
    DispatchQueue.global().async {
        errData = err.fileHandleForReading.readDataToEndOfFile()
        group.leave()
    }
    let outData = out.fileHandleForReading.readDataToEndOfFile()
    group.wait()
    process.waitUntilExit()
    return Output(status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                  stderr: String(decoding: errData, as: UTF8.self))
}

/// The fixture store: `segq import` of Fixtures/shop.jsonl, built once per test run.
let fixtureStore: Result<String, any Error> = Result {
    let dir = try temporaryDirectory()
    let db = dir.appendingPathComponent("shop.db").path
    let jsonl = testsDirectory.appendingPathComponent("Fixtures/shop.jsonl").path
    let r = try segq(["import", "--db", db, jsonl])
    guard r.status == 0 else { throw FixtureError(message: "import failed: \(r.stderr)") }
    return db
}

struct FixtureError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}

/// The fixture store's instant: all its events are before it.
let fixtureNow = "2026-06-01T00:00:00Z"

/// Compares `actual` with Golden/`name`; `SEGQ_RECORD=1` writes it instead.
func expectGolden(_ actual: String, _ name: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
    let url = testsDirectory.appendingPathComponent("Golden").appendingPathComponent(name)
    if ProcessInfo.processInfo.environment["SEGQ_RECORD"] == "1" {
        try actual.write(to: url, atomically: true, encoding: .utf8)
        return
    }
    let expected = try String(contentsOf: url, encoding: .utf8)
    #expect(actual == expected, "differs from Golden/\(name) (re-record with SEGQ_RECORD=1)", sourceLocation: sourceLocation)
}

// MARK: - Pseudo-terminal

/// `segq` running in a pseudo-terminal, driven like a user at a keyboard.
final class Terminal {
    let pid: pid_t
    let master: Int32
    /// Everything the program wrote so far.
    private(set) var transcript = ""
    private var consumed = 0
    private var reaped = false

    /// `colour`: without NO_COLOR, so segq colours what it writes.
    init(_ arguments: [String], environment: [String: String], rows: UInt16 = 40, columns: UInt16 = 120,
         colour: Bool = false) throws {
        let binary = try #require(segqPath, "build segq first: swift build")
        var env = ProcessInfo.processInfo.environment
        env["SEGQ_DB"] = nil
        env["NO_COLOR"] = "1"
        env["TERM"] = "xterm"
        env.merge(environment) { $1 }
        if colour { env["NO_COLOR"] = nil }
        // Everything the child needs is built before fork: after it, only execve.
        let argv = ([binary] + arguments).map { strdup($0) } + [nil]
        let envp = env.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            for p in argv { free(p) }
            for p in envp { free(p) }
        }
        var master: Int32 = -1
        var size = winsize(ws_row: rows, ws_col: columns, ws_xpixel: 0, ws_ypixel: 0)
        let pid = forkpty(&master, nil, nil, &size)
        if pid == 0 {
            execve(binary, argv, envp)
            _exit(127)
        }
        guard pid > 0 else { throw FixtureError(message: "forkpty failed: \(String(cString: strerror(errno)))") }
        self.pid = pid
        self.master = master
    }

    deinit {
        if !reaped {
            kill(pid, SIGKILL)
            var status: Int32 = 0
            waitpid(pid, &status, 0)
        }
        close(master)
    }

    /// Waits as a person would before typing after a prompt. libedit prints the prompt
    /// around the moment it puts the terminal into its editing mode; a control key
    /// typed ahead of that reaches the line discipline instead (Ctrl-C as a signal,
    /// Ctrl-D as end of file) — a window no typist hits, but a test can.
    func pause() { usleep(200_000) }

    /// Types `text` (use "\r" for Enter, "\t" for Tab, "\u{3}" for Ctrl-C).
    func type(_ text: String) {
        let bytes = Array(text.utf8)
        var off = 0
        while off < bytes.count {
            let n = bytes.withUnsafeBytes { raw in
                write(master, raw.baseAddress.map { $0 + off }, raw.count - off)
            }
            if n <= 0 { break }
            off += n
        }
    }

    /// Waits until the output since the last `expect` contains `needle`; returns the
    /// output up to and including it.
    @discardableResult
    func expect(_ needle: String, timeout: Double = 10, sourceLocation: SourceLocation = #_sourceLocation) -> String? {
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            let pending = String(transcript.unicodeScalars.dropFirst(consumed))
            if let r = pending.range(of: needle) {
                let upTo = String(pending[..<r.upperBound])
                consumed += upTo.unicodeScalars.count
                return upTo
            }
            let left = deadline.timeIntervalSinceNow
            if left <= 0 || !readSome(timeout: left) {
                Issue.record("timed out waiting for \(needle.debugDescription); got \(pending.debugDescription)",
                             sourceLocation: sourceLocation)
                return nil
            }
        }
    }

    /// Reads what is available within `timeout`; false at end of output or timeout.
    private func readSome(timeout: Double) -> Bool {
        var fds = pollfd(fd: master, events: Int16(POLLIN), revents: 0)
        guard poll(&fds, 1, Int32(min(timeout, 60) * 1000)) > 0 else { return false }
        var buffer = [UInt8](repeating: 0, count: 4096)
        let n = read(master, &buffer, buffer.count)
        guard n > 0 else { return false }
        transcript += String(decoding: buffer[0..<n], as: UTF8.self)
        return true
    }

    /// Waits for the program to exit; its exit status.
    func waitForExit(timeout: Double = 10) -> Int32? {
        let deadline = Date().addingTimeInterval(timeout)
        var status: Int32 = 0
        while Date() < deadline {
            _ = readSome(timeout: 0.05)  // keep the pty drained
            let r = waitpid(pid, &status, WNOHANG)
            if r == pid {
                reaped = true
                return (status >> 8) & 0xff
            }
        }
        return nil
    }
}
