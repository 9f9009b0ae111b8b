// Where the REPL's results go: `.once`, `.output` and the pager.
//
// All three work on file descriptor 1 itself: for the time an input's results are
// written, standard output is `dup2`'d onto a file, the pipe into a command, or the
// pipe into the pager's reader, and put back after. So every way a result reaches
// standard output (rows, counts, listings, `explain`, the REPL's own text) goes the same
// way, and nothing in the session has to know. libedit writes the prompt to its own
// duplicate of the terminal (see `LineEditor`), which is never redirected; diagnostics
// stay on standard error.
//
// The pager cannot be chosen before the rows are known, because results stream. A
// thread reads the pipe and holds what it reads until it makes more lines than the
// screen has; then it starts the pager (`$PAGER`, else `less -S`), hands it what it
// holds and the rest as it comes. Output that fits is written to the terminal when
// the input ends. A pager quit early (`q` in less) closes its pipe: the thread then
// interrupts the query, so a million rows are not made for nobody, and drops the rest.

import Foundation
import SegStore
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A file or a command that results go to (`.once`, `.output`).
enum OutputTarget: Equatable {
    case file(String)
    /// A shell command line; results are its standard input.
    case command(String)

    /// `|cmd` (sqlite3's spelling, quoted or not) is a command; anything else a file.
    init(_ argument: String) {
        if argument.hasPrefix("|") {
            self = .command(String(argument.dropFirst()).trimmingCharacters(in: .whitespaces))
        } else {
            self = .file(argument)
        }
    }

    var description: String {
        switch self {
        case .file(let path): path
        case .command(let command): "|" + command
        }
    }
}

/// Starts `/bin/sh -c command` with standard input `input` (and standard output
/// `output`, if given); the child's pid, or nil with errno set.
func spawnShell(_ command: String, input: Int32, output: Int32? = nil, closing: [Int32] = []) -> pid_t? {
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_adddup2(&actions, input, 0)
    if let output { posix_spawn_file_actions_adddup2(&actions, output, 1) }
    for fd in closing { posix_spawn_file_actions_addclose(&actions, fd) }
    // The child starts with the default SIGPIPE and SIGINT actions (the REPL ignores
    // the one and catches the other).
    var attributes = posix_spawnattr_t()
    posix_spawnattr_init(&attributes)
    defer { posix_spawnattr_destroy(&attributes) }
    var defaults = sigset_t()
    sigemptyset(&defaults)
    sigaddset(&defaults, SIGPIPE)
    sigaddset(&defaults, SIGINT)
    posix_spawnattr_setsigdefault(&attributes, &defaults)
    posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGDEF))
    let argv: [UnsafeMutablePointer<CChar>?] = [strdup("sh"), strdup("-c"), strdup(command), nil]
    defer { for p in argv { free(p) } }
    var pid: pid_t = 0
    let rc = posix_spawn(&pid, "/bin/sh", &actions, &attributes, argv, environ)
    if rc != 0 {
        errno = rc
        return nil
    }
    return pid
}

/// Waits for a child; its exit status (128 + the signal if a signal ended it).
@discardableResult
func waitChild(_ pid: pid_t) -> Int32 {
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    if status & 0x7f == 0 { return (status >> 8) & 0xff }
    return 128 + (status & 0x7f)
}

/// Standard output moved onto another descriptor for a while, then put back.
struct StandardOutputSwap {
    private let saved: Int32

    /// Points standard output at `fd` (which the caller still owns).
    init?(to fd: Int32) {
        let saved = fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 0)
        guard saved >= 0 else { return nil }
        guard dup2(fd, STDOUT_FILENO) >= 0 else {
            close(saved)
            return nil
        }
        self.saved = saved
    }

    /// The terminal (or whatever standard output was), while it is swapped away.
    var original: Int32 { saved }

    /// Points standard output back where it was.
    func putBack() { _ = dup2(saved, STDOUT_FILENO) }

    /// Closes the saved descriptor (after `putBack`).
    func release() { close(saved) }
}

/// An open `.once`/`.output` target: a file, or a command reading a pipe.
final class OutputDestination {
    let target: OutputTarget
    /// What results are written to.
    let fd: Int32
    private let child: pid_t?

    /// Opens a file (created or truncated) or starts a command.
    init(_ target: OutputTarget) throws {
        self.target = target
        switch target {
        case .file(let path):
            let expanded = path.hasPrefix("~/") ? NSHomeDirectory() + path.dropFirst() : path
            let fd = open(expanded, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
            guard fd >= 0 else { throw REPLError("cannot write '\(path)': \(String(cString: strerror(errno)))") }
            self.fd = fd
            child = nil
        case .command(let command):
            guard !command.isEmpty else { throw REPLError("no command after '|'") }
            var ends: [Int32] = [-1, -1]
            guard pipe(&ends) == 0 else { throw REPLError("cannot create a pipe: \(String(cString: strerror(errno)))") }
            _ = fcntl(ends[1], F_SETFD, FD_CLOEXEC)
            guard let pid = spawnShell(command, input: ends[0], closing: [ends[1]]) else {
                let message = String(cString: strerror(errno))
                close(ends[0])
                close(ends[1])
                throw REPLError("cannot run '\(command)': \(message)")
            }
            close(ends[0])
            fd = ends[1]
            child = pid
        }
    }

    /// Closes the file, or ends the command's input and waits for it to finish.
    func end() {
        close(fd)
        if let child { waitChild(child) }
    }
}

/// The terminal's size in rows and columns (nil when `fd` is not a terminal).
func terminalSize(_ fd: Int32) -> (rows: Int, columns: Int)? {
    var size = winsize()
    guard ioctl(fd, UInt(TIOCGWINSZ), &size) == 0, size.ws_row > 0, size.ws_col > 0 else { return nil }
    return (Int(size.ws_row), Int(size.ws_col))
}

/// One input's output on its way to the terminal, through the pager if it turns out
/// taller than the screen.
final class PagedOutput: @unchecked Sendable {
    private let command: String
    /// The terminal, as saved by `swap`.
    private var terminal: Int32 { swap.original }
    private let screenRows: Int
    private let columns: Int
    private let onPagerQuit: @Sendable () -> Void
    private let readEnd: Int32
    private let swap: StandardOutputSwap
    private let done = DispatchSemaphore(value: 0)
    /// Set by the reader thread when the pager quit before reading everything.
    private let quit = Atomic<Bool>(false)
    /// Whether the pager was started (read after `finish`).
    private(set) var paged = false

    /// Starts capturing standard output, which is the terminal of `rows` × `columns`.
    init?(command: String, rows: Int, columns: Int, onPagerQuit: @escaping @Sendable () -> Void) {
        var ends: [Int32] = [-1, -1]
        guard pipe(&ends) == 0 else { return nil }
        _ = fcntl(ends[0], F_SETFD, FD_CLOEXEC)
        _ = fcntl(ends[1], F_SETFD, FD_CLOEXEC)
        guard let swap = StandardOutputSwap(to: ends[1]) else {
            close(ends[0])
            close(ends[1])
            return nil
        }
        close(ends[1])  // standard output is now the only write end
        self.command = command
        self.screenRows = rows
        self.columns = columns
        self.onPagerQuit = onPagerQuit
        self.readEnd = ends[0]
        self.swap = swap
        let thread = Thread { [self] in pump() }
        thread.name = "segq-pager"
        thread.start()
    }

    /// Whether the pager was quit before the output ended (the query was interrupted).
    var pagerQuit: Bool { quit.load(ordering: .sequentiallyConsistent) }

    /// Puts standard output back, which ends the pipe, and waits until the output is
    /// shown: written to the terminal, or paged and the pager quit.
    func finish() {
        swap.putBack()
        done.wait()
        swap.release()
    }

    private func pump() {
        var held: [UInt8] = []
        var lines = 0, column = 0
        var pager: (pid: pid_t, fd: Int32)?
        var straight = false  // no pager could be started: write through
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        defer {
            if let pager {
                close(pager.fd)
                waitChild(pager.pid)
            } else if !held.isEmpty {
                Self.writeAll(terminal, held[...])
            }
            close(readEnd)
            done.signal()
        }
        while true {
            let n = read(readEnd, &buffer, buffer.count)
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return }
            let chunk = buffer[0..<n]
            if straight {
                Self.writeAll(terminal, chunk)
                continue
            }
            if let p = pager {
                if !quit.load(ordering: .relaxed), !Self.writeAll(p.fd, chunk) { pagerQuitEarly() }
                continue
            }
            held.append(contentsOf: chunk)
            // Count screen lines: a line wraps every `columns` characters (UTF-8
            // continuation bytes take no column).
            for byte in chunk {
                if byte == 10 {
                    lines += 1
                    column = 0
                } else if byte & 0xC0 != 0x80 {
                    column += 1
                    if column > columns {
                        lines += 1
                        column = 1
                    }
                }
            }
            // The prompt needs the last row.
            if lines >= screenRows {
                var ends: [Int32] = [-1, -1]
                guard pipe(&ends) == 0 else { continue }
                _ = fcntl(ends[1], F_SETFD, FD_CLOEXEC)
                guard let pid = spawnShell(command, input: ends[0], output: terminal, closing: [ends[1], readEnd]) else {
                    close(ends[0])
                    close(ends[1])
                    Self.writeAll(terminal, held[...])
                    held = []
                    straight = true
                    continue
                }
                close(ends[0])
                pager = (pid, ends[1])
                paged = true
                if !Self.writeAll(ends[1], held[...]) { pagerQuitEarly() }
                held = []
            }
        }
    }

    private func pagerQuitEarly() {
        if !quit.exchange(true, ordering: .sequentiallyConsistent) { onPagerQuit() }
    }

    /// Writes all of `bytes`; false when the reader is gone (EPIPE) or another error.
    @discardableResult
    static func writeAll(_ fd: Int32, _ bytes: ArraySlice<UInt8>) -> Bool {
        bytes.withUnsafeBytes { raw in
            guard let base = raw.baseAddress else { return true }
            var offset = 0
            while offset < raw.count {
                let n = write(fd, base + offset, raw.count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    return false
                }
                offset += n
            }
            return true
        }
    }
}

/// An error of a dot-command's own (a file that cannot be written, a command that
/// cannot be started).
struct REPLError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// A value handed to a `@Sendable` closure that the REPL's own thread calls (Tab's
/// attribute values), or that another thread uses only as documented thread-safe
/// (`Database.interrupt()`, when the pager quits).
struct Unchecked<Value>: @unchecked Sendable {
    let value: Value
}
