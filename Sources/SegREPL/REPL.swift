// The read-eval-print loop of `segq repl`.
//
// On a terminal: libedit line editing with history and completion, a prompt showing
// the store and the campaign context, and a continuation prompt while the input is
// incomplete (`InputCompleteness`). A bare query prints the count, the first rows and
// the time (`Session.Mode.interactive`). Errors are reported and the loop goes on.
//
// Not on a terminal (`segq repl < file`), standard input is a script, as sqlite3 reads
// it: no prompts, no history, bare queries write their rows, dot-commands work on
// lines of their own, and the first error stops the run with the exit status that
// `segq run` would give.
//
// One file, though long: the loop and its dot-commands share the REPL's state (the
// session, the output route, the pager and live count, the open store); line editing,
// completion, highlighting, help and the live count are files of their own.

import Foundation
import SegQL
import SegSession
import SegStore

/// The REPL: reads statements and dot-commands, runs them in a session.
public final class REPL {
    /// What a run ended with.
    public enum Outcome: Equatable {
        case success
        /// A compile error in the input (script mode).
        case compileError
        /// A runtime or store error (script mode).
        case runtimeError
    }

    public let session: Session
    private let writer: ResultWriter
    private let editor: LineEditor?
    private let interrupter: QueryInterrupter?
    private let readOnly: Bool
    /// Whether `fixedNow` came from `--now` (kept across `.open`) or from the store.
    private let explicitNow: Bool
    private let color: Bool
    private var outcome = Outcome.success
    private var warnedHistory = false
    /// Whether standard output is a terminal (the pager and cut table rows need one).
    private let stdoutIsTerminal: Bool
    /// `.once`: where the next result goes.
    private var once: OutputTarget?
    /// `.output`: where every result goes until `.output` alone.
    private var output: OutputDestination?
    /// `.pager`: page results taller than the screen.
    private var pagerOn = true
    /// The pager command: `$PAGER`, else `less -S` if there is a less; nil: none.
    private let pagerCommand: String?
    /// The pager of the input being run, if it pages.
    private var activePager: PagedOutput?
    /// The last input run (for `.edit`).
    private var lastInput: String?
    /// The live count in the prompt (interactive only).
    private var live: LiveCount?

    /// A REPL over `session`, whose output is `writer`.
    /// - Parameters:
    ///   - interactive: read a terminal with line editing; otherwise standard input as a script.
    ///   - historyPath: the history file (interactive only); nil keeps no history.
    ///   - color: colour the prompt and diagnostics.
    public init(session: Session, writer: ResultWriter, interactive: Bool, historyPath: String?,
                readOnly: Bool, explicitNow: Bool, color: Bool) throws {
        self.session = session
        self.writer = writer
        self.readOnly = readOnly
        self.explicitNow = explicitNow
        self.color = color
        let environment = ProcessInfo.processInfo.environment
        stdoutIsTerminal = interactive && isatty(STDOUT_FILENO) != 0
        pagerCommand = Self.pagerCommand(environment: environment)
        if interactive {
            // A pager or a `.output |cmd` that quits early must not end the REPL: its
            // write fails (EPIPE) instead.
            signal(SIGPIPE, SIG_IGN)
            editor = try LineEditor(programName: "segq", historyPath: historyPath)
            interrupter = try QueryInterrupter()
            interrupter?.watch(session)
            session.mode = .interactive
        } else {
            editor = nil
            interrupter = nil
            session.mode = .script
        }
        editor?.completer = { [unowned self] text in Completer.complete(text, names: self.completionNames()) }
        if let editor, stdoutIsTerminal {
            let live = try LiveCount(session: session, color: color)
            try editor.enableLiveCount(live)
            self.live = live
        }
    }

    /// The history file: `$SEGQ_HISTORY` (empty: none), else `~/.segq_history`.
    public static func defaultHistoryPath(environment: [String: String] = ProcessInfo.processInfo.environment) -> String? {
        if let path = environment["SEGQ_HISTORY"] { return path.isEmpty ? nil : path }
        guard let home = environment["HOME"], !home.isEmpty else { return nil }
        return home + "/.segq_history"
    }

    /// `$PAGER` (when set and not empty), else `less -S` when `less` is on the `PATH`.
    static func pagerCommand(environment: [String: String]) -> String? {
        if let pager = environment["PAGER"], !pager.trimmingCharacters(in: .whitespaces).isEmpty { return pager }
        let path = environment["PATH"] ?? "/usr/bin:/bin"
        let found = path.split(separator: ":").contains { FileManager.default.isExecutableFile(atPath: "\($0)/less") }
        return found ? "less -S" : nil
    }

    // MARK: - The loop

    /// Runs until `.quit`, end of input or (script mode) the first error.
    public func run() -> Outcome {
        defer {
            output?.end()
            output = nil
        }
        if editor != nil {
            writeText("segq \(Self.version) — \(Self.storeName(session.store.path)). Type .help for help, .quit to leave.")
        }
        var pending = ""          // lines of an incomplete input
        var pendingStart = 1      // the line number its first line has in the script
        var lineNumber = 0
        while true {
            let input: LineInput
            if let editor {
                editor.pendingInput = pending.isEmpty ? "" : pending + "\n"
                let shown = pending.isEmpty ? prompt() : continuationPrompt()
                input = editor.readLine(prompt: shown)
                if color, case .line(let line) = input {
                    highlight(line, after: shown, in: editor)
                }
                if editor.historySaveFailed && !warnedHistory, let path = editor.historyPath {
                    warnedHistory = true
                    writeError("warning: cannot write the history file '\(path)'")
                }
            } else {
                input = Swift.readLine(strippingNewline: true).map(LineInput.line) ?? .endOfFile
            }
            switch input {
            case .endOfFile:
                if !pending.isEmpty && editor == nil {
                    _ = runInput(pending, firstLine: pendingStart)
                }
                if editor != nil { writeText("") }
                return outcome
            case .cancelled:
                pending = ""
            case .line(let line):
                lineNumber += 1
                let trimmed = Substring(line).trimmingSpaces()
                // A dot-command stands on its own line, where no statement is open.
                if trimmed.hasPrefix("."), pending.isEmpty || (editor == nil && InputCompleteness.isComplete(pending)) {
                    if !pending.isEmpty {
                        var ok = true
                        routed { ok = runInput(pending, firstLine: pendingStart) }
                        pending = ""
                        if !ok && editor == nil { return outcome }
                    }
                    editor?.remember(trimmed)
                    if !trimmed.lowercased().hasPrefix(".edit") { lastInput = trimmed }
                    if !dotCommand(trimmed) { return outcome }
                    if outcome != .success && editor == nil { return outcome }
                    continue
                }
                if pending.isEmpty {
                    if trimmed.isEmpty { continue }
                    pendingStart = lineNumber
                }
                pending += pending.isEmpty ? line : "\n" + line
                if isReady(pending) {
                    editor?.remember(pending)
                    lastInput = pending
                    var ok = true
                    routed { ok = runInput(pending, firstLine: pendingStart) }
                    pending = ""
                    if !ok && editor == nil { return outcome }
                }
            }
        }
    }

    /// Whether to run the input now: as soon as it is complete, on a terminal and in a
    /// script alike (a line break after a complete line ends a statement, as in
    /// `segq run`; a statement continues after an open bracket or a trailing operator).
    private func isReady(_ text: String) -> Bool {
        InputCompleteness.isComplete(text)
    }

    /// Runs statements; reports errors. Returns whether all of them ran.
    @discardableResult
    private func runInput(_ text: String, firstLine: Int) -> Bool {
        // In a script, diagnostics give the line in the whole input: pad the front.
        let padded = editor == nil ? String(repeating: "\n", count: max(0, firstLine - 1)) + text : text
        let name = editor == nil ? "<stdin>" : "<input>"
        return perform { try session.run(SourceFile(name: name, text: padded)) }
    }

    /// Runs `body`, reporting a session error. Leaves no transaction open. Each
    /// statement `body` runs is one under the timeout and Ctrl-C; a dot-command that
    /// reads the store is one as a whole.
    private func perform(_ body: () throws -> Void) -> Bool {
        defer {
            let db = session.store.database
            if db.isInTransaction { db.rollbackQuietly() }
            writer.sink.flush()
        }
        do {
            try body()
            return true
        } catch SessionError.compile(let diagnostics, let file) {
            writer.sink.flush()
            for d in diagnostics { writeError(DiagnosticRenderer.render(d, in: file, color: color)) }
            if editor == nil { outcome = .compileError }
        } catch let e as SessionError {
            writer.sink.flush()
            let ctrlC = if case .interrupted(.interrupted) = e { true } else { false }
            if ctrlC && activePager?.pagerQuit == true {
                // The pager was quit before the end of the rows: nothing to report.
            } else if ctrlC && editor != nil {
                writeError("interrupted")
            } else {
                writeError("error: " + e.message)
            }
            if editor == nil { outcome = .runtimeError }
        } catch {
            writer.sink.flush()
            writeError("error: " + TerminalText.escaped(userFacingDescription(error, verbose: session.verbose), keeping: ["\n"]))
            if editor == nil { outcome = .runtimeError }
        }
        return false
    }

    // MARK: - Where results go

    /// Runs `body`, whose output is a result: to the `.once` target, the `.output`
    /// target, through the pager when it is taller than the screen (`paging`), or to the
    /// terminal, table rows cut to its width.
    private func routed(paging: Bool = true, _ body: () -> Void) {
        if let target = once {
            once = nil
            let destination: OutputDestination
            do {
                destination = try OutputDestination(target)
            } catch {
                fail("\(error)")
                return
            }
            to(destination, body)
            destination.end()
            return
        }
        if let output {
            to(output, body)
            return
        }
        guard stdoutIsTerminal, let size = terminalSize(STDOUT_FILENO) else { return body() }
        writer.tableWidth = size.columns
        defer { writer.tableWidth = nil }
        let database = Unchecked(value: session.store.database)
        guard paging, pagerOn, let command = pagerCommand,
              let pager = PagedOutput(command: command, rows: size.rows, columns: size.columns,
                                      onPagerQuit: { database.value.interrupt() })
        else { return body() }
        activePager = pager
        body()
        writer.sink.flush()
        pager.finish()
        activePager = nil
        writer.sink.clearFailure()
    }

    /// Runs `body` with standard output on `destination`: bare queries write their rows
    /// (as in a script), confirmations go to standard error.
    private func to(_ destination: OutputDestination, _ body: () -> Void) {
        writer.sink.flush()
        guard let swap = StandardOutputSwap(to: destination.fd) else {
            fail("cannot redirect standard output: \(String(cString: strerror(errno)))")
            return
        }
        let mode = session.mode, notes = writer.noteSink
        session.mode = .script
        writer.noteSink = ByteSink(fileDescriptor: STDERR_FILENO)
        body()
        writer.sink.flush()
        swap.putBack()
        swap.release()
        session.mode = mode
        writer.noteSink = notes
        writer.sink.clearFailure()
    }

    /// `.once` / `.output` argument: `FILE`, `|cmd …` (the rest of the line) or a quoted
    /// `'|cmd …'`.
    static func outputTarget(_ rest: String) -> OutputTarget? {
        let text = rest.trimmingCharacters(in: .whitespaces)
        if text.hasPrefix("|") { return OutputTarget(text) }
        let parts = splitArguments(text)
        guard parts.count == 1, let only = parts.first, !only.isEmpty else { return nil }
        return OutputTarget(only)
    }

    // MARK: - Prompt

    private func prompt() -> String {
        var visible = "segq \(Self.storeName(session.store.path))"
        if let campaign = session.campaignContext { visible += " [\(campaign)]" }
        guard color else { return visible + "> " }
        // \u{1} brackets escape sequences libedit must not count as printing characters.
        let bold = "\u{1}\u{1B}[1m\u{1}", cyan = "\u{1}\u{1B}[36m\u{1}", reset = "\u{1}\u{1B}[0m\u{1}"
        var text = bold + "segq" + reset + " " + Self.storeName(session.store.path)
        if let campaign = session.campaignContext { text += " " + cyan + "[\(campaign)]" + reset }
        return text + "> "
    }

    private func continuationPrompt() -> String {
        var visible = "segq \(Self.storeName(session.store.path))"
        if let campaign = session.campaignContext { visible += " [\(campaign)]" }
        return String(repeating: " ", count: max(0, visible.count - 3)) + "...> "
    }

    /// The store as the prompt names it: the file's name, or a PostgreSQL database's
    /// name (`postgres://u@host/marketing?…` → `marketing`).
    static func storeName(_ path: String) -> String {
        if PostgresDatabase.isURL(path) {
            let beforeQuery = path.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? path
            let afterScheme = beforeQuery.components(separatedBy: "://").last ?? beforeQuery
            let parts = afterScheme.split(separator: "/", maxSplits: 1)
            return parts.count == 2 && !parts[1].isEmpty ? String(parts[1]) : afterScheme
        }
        return path.split(separator: "/").last.map(String.init) ?? path
    }

    static let version = "0.1.0"

    // MARK: - Highlighting

    /// Draws the line just entered again, highlighted (statements only).
    private func highlight(_ line: String, after prompt: String, in editor: LineEditor) {
        let trimmed = Substring(line).trimmingSpaces()
        guard !trimmed.isEmpty, !trimmed.hasPrefix(".") else { return }
        let names = completionNames()
        let known = Set(names.attributes + names.aliases + names.segments + names.lists)
        editor.redrawInput(prompt: prompt, text: line, coloured: Highlighter.highlight(line, isKnown: { known.contains($0) }))
    }

    // MARK: - Completion

    private func completionNames() -> CompletionNames {
        var names = CompletionNames()
        names.aliases = session.aliases.map(\.name)
        guard let catalog = try? session.store.catalog() else { return names }
        names.campaigns = catalog.campaigns.map(\.name)
        var links: [String] = []
        var seen = Set<String>()
        for l in catalog.links {
            if seen.insert(l.path).inserted { links.append(l.path) }
        }
        for l in catalog.links where seen.insert(l.url).inserted { links.append(l.url) }
        names.links = links
        names.attributes = catalog.attributes.sorted()
        names.segments = catalog.segments.keys.sorted()
        names.lists = catalog.lists.keys.sorted()
        let store = Unchecked(value: session.store)
        names.attributeValues = { attribute, prefix in
            (try? store.value.frequentAttributeValues(attribute, prefix: prefix)) ?? []
        }
        return names
    }

    // MARK: - Dot-commands

    /// Runs a dot-command; false means leave.
    private func dotCommand(_ line: String) -> Bool {
        let parts = Self.splitArguments(String(line.dropFirst()))
        guard let command = parts.first?.lowercased() else {
            writeError("error: a dot-command needs a name; .help lists them")
            return true
        }
        let args = Array(parts.dropFirst())
        // The line after the command's name, as typed (`.watch 5 count opened`).
        let rest = String(line.dropFirst().drop(while: { $0 != " " && $0 != "\t" }))
        switch command {
        case "quit", "exit", "q":
            return false
        case "help", "h":
            let topic = args.first
            if let text = Help.text(topic) {
                routed { writeText(text) }
            } else {
                fail("no help on '\(topic ?? "")'; topics: \(Help.topics.map(\.name).joined(separator: ", "))")
            }
        case "campaigns":
            routed { _ = perform { try session.asStatement { session.write(try session.campaignListing()) } } }
        case "links":
            guard args.count <= 1 else { return usage(".links [CAMPAIGN]") }
            routed { _ = perform { try session.asStatement { session.write(try session.linkListing(campaign: args.first ?? session.campaignContext)) } } }
        case "segments":
            routed { _ = perform { try session.asStatement { session.write(try session.segmentListing()) } } }
        case "lists":
            routed { _ = perform { try session.asStatement { session.write(try session.listListing()) } } }
        case "schema":
            routed { _ = perform { try session.asStatement { writeText(try session.schemaText()) } } }
        case "once":
            guard let target = Self.outputTarget(rest) else { return usage(".once FILE|'|command'") }
            once = target
        case "output":
            if rest.trimmingCharacters(in: .whitespaces).isEmpty {
                output?.end()
                output = nil
                return true
            }
            guard let target = Self.outputTarget(rest) else { return usage(".output [FILE|'|command']") }
            output?.end()
            output = nil
            do {
                output = try OutputDestination(target)
            } catch {
                return fail("\(error)")
            }
        case "pager":
            guard let value = args.first else {
                let command = pagerCommand.map { " (\($0))" } ?? " (no pager: set PAGER)"
                writeText("pager: \(pagerOn ? "on" : "off")\(command)")
                return true
            }
            switch value.lowercased() {
            case "on": pagerOn = true
            case "off": pagerOn = false
            default: return usage(".pager on|off")
            }
        case "live":
            guard let live else { return fail(".live needs a terminal") }
            guard let value = args.first else {
                writeText("live count: \(live.enabled ? "on" : "off")\(session.store.database.interruptsOnlyRunningStatement ? "" : " (not on PostgreSQL)")")
                return true
            }
            switch value.lowercased() {
            case "on": live.enabled = true
            case "off": live.enabled = false
            default: return usage(".live on|off")
            }
        case "edit":
            guard args.isEmpty else { return usage(".edit") }
            edit()
        case "watch":
            let words = rest.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
            guard words.count == 2, let seconds = Double(words[0]), seconds.isFinite, seconds > 0 else {
                return usage(".watch SECONDS QUERY (e.g. .watch 5 count opened(within: 1h))")
            }
            watch(every: seconds, String(words[1]).trimmingCharacters(in: .whitespaces))
        case "mode":
            guard let name = args.first else {
                writeText("mode: \(writer.format.rawValue)")
                return true
            }
            guard args.count == 1, let format = OutputFormat(rawValue: name.lowercased()) else {
                return usage(".mode table|csv|tsv|json|jsonl")
            }
            writer.format = format
        case "timer":
            guard let value = args.first else {
                writeText("timer: \(session.timer ? "on" : "off")")
                return true
            }
            switch value.lowercased() {
            case "on": session.timer = true
            case "off": session.timer = false
            default: return usage(".timer on|off")
            }
        case "limit":
            guard let value = args.first else {
                writeText("limit: \(session.previewLimit)")
                return true
            }
            guard args.count == 1, let n = Int64(value), n >= 0 else { return usage(".limit N (a whole number, 0 or more)") }
            session.previewLimit = n
        case "timeout":
            guard let value = args.first else {
                writeText("timeout: \(session.timeout.map { CancellationReason.seconds($0) + " s" } ?? "off")")
                return true
            }
            guard args.count == 1 else { return usage(".timeout SECONDS|off") }
            if value.lowercased() == "off" {
                session.timeout = nil
            } else if let s = Double(value), s > 0, s.isFinite {
                session.timeout = s
            } else {
                return usage(".timeout SECONDS|off (a number of seconds greater than 0, such as 30 or 0.5)")
            }
        case "tz":
            guard let zone = args.first else {
                writeText("time zone: \(session.timeZone)")
                return true
            }
            guard args.count == 1, TimeZone(identifier: zone) != nil else {
                return fail("unknown time zone '\(args.joined(separator: " "))'; use an IANA name such as Europe/Stockholm or UTC")
            }
            session.timeZone = zone
        case "open":
            guard args.count == 1, let path = args.first else { return usage(".open PATH") }
            open(path)
        case "read":
            guard args.count == 1, let path = args.first else { return usage(".read FILE") }
            guard let data = FileManager.default.contents(atPath: path) else {
                return fail("cannot read '\(path)'")
            }
            routed { _ = perform { try session.run(SourceFile(name: path, bytes: Array(data))) } }
        default:
            let near = Suggestions.nearest(to: command, among: Completer.dotCommands).map { "; did you mean .\($0)?" } ?? ""
            return fail("unknown command '.\(command)'\(near) (.help lists them)")
        }
        return true
    }

    /// `.edit`: the last input in `$VISUAL`/`$EDITOR` (else vi); what is saved is shown,
    /// kept in history and run.
    private func edit() {
        guard editor != nil else {
            fail(".edit needs a terminal")
            return
        }
        let environment = ProcessInfo.processInfo.environment
        let command = [environment["VISUAL"], environment["EDITOR"]].compactMap { $0 }
            .first { !$0.trimmingCharacters(in: .whitespaces).isEmpty } ?? "vi"
        let path = NSTemporaryDirectory() + "/segq-edit-\(getpid()).segq"
        defer { unlink(path) }
        guard FileManager.default.createFile(atPath: path, contents: Data(((lastInput ?? "") + "\n").utf8)) else {
            fail("cannot write '\(path)'")
            return
        }
        guard let pid = spawnShell(command + " " + Self.shellQuoted(path), input: STDIN_FILENO, output: STDOUT_FILENO) else {
            fail("cannot run the editor '\(command)': \(String(cString: strerror(errno)))")
            return
        }
        let status = waitChild(pid)
        guard status == 0 else {
            fail("the editor '\(command)' exited with status \(status); nothing was run")
            return
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            fail("cannot read '\(path)'")
            return
        }
        let text = LineEditor.historyEntry(String(decoding: data, as: UTF8.self))
        guard !text.isEmpty else { return }
        writeText(text)
        editor?.remember(text)
        lastInput = text
        if text.hasPrefix(".") {
            // One dot-command: its first line.
            let first = String(text.prefix { !$0.isNewline })
            if first.lowercased().hasPrefix(".edit") { return }
            _ = dotCommand(first)
        } else {
            routed { _ = runInput(text, firstLine: 1) }
        }
    }

    /// `.watch N QUERY`: runs QUERY every N seconds, each run under the time it
    /// started, until Ctrl-C (or an error).
    private func watch(every seconds: Double, _ text: String) {
        guard let interrupter else {
            fail(".watch needs a terminal (Ctrl-C stops it)")
            return
        }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: session.timeZone) ?? TimeZone(identifier: "UTC")
        formatter.dateFormat = "EEE yyyy-MM-dd HH:mm:ss"
        let every = seconds == seconds.rounded() ? String(Int(seconds)) : String(seconds)
        let signals = interrupter.signals
        // The terminal echoes ^C; the prompt goes on the next line.
        defer { if interrupter.signals != signals { writeText("") } }
        routed(paging: false) {
            while true {
                writeText("\(formatter.string(from: Date())) \(session.timeZone) (every \(every) s; Ctrl-C stops)")
                let started = Date()
                guard runInput(text, firstLine: 1), interrupter.signals == signals else { return }
                writer.sink.flush()
                while Date().timeIntervalSince(started) < seconds {
                    if interrupter.signals != signals { return }
                    usleep(useconds_t(min(50_000, max(1_000, (seconds - Date().timeIntervalSince(started)) * 1_000_000))))
                }
                if interrupter.signals != signals { return }
            }
        }
    }

    /// `s` quoted for /bin/sh.
    static func shellQuoted(_ s: String) -> String {
        "'" + s.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }

    private func open(_ path: String) {
        let store: Store
        do {
            store = try Store.openExisting(path: path, readOnly: readOnly, verbose: session.verbose)
        } catch {
            fail(error.description)
            return
        }
        session.open(store)
        interrupter?.watch(session)
        if !explicitNow {
            session.fixedNow = store.demoNow
        }
        // The context names a campaign of the old store; keep it only if this one has it.
        if let campaign = session.campaignContext {
            let name = Name(text: campaign, quoted: true, range: .at(0))
            if (try? session.useCampaign(name, in: SourceFile(name: ".open", text: campaign))) == nil {
                try? session.useCampaign(nil, in: SourceFile(name: ".open", text: ""))
                writeText("campaign context cleared: '\(campaign)' is not in \(Self.storeName(path))")
            }
        }
    }

    @discardableResult
    private func fail(_ message: String) -> Bool {
        writeError("error: " + message)
        if editor == nil { outcome = .runtimeError }
        return true
    }

    private func usage(_ synopsis: String) -> Bool {
        fail("usage: " + synopsis)
    }

    /// Words of a dot-command line; "double" or 'single' quotes keep spaces.
    static func splitArguments(_ text: String) -> [String] {
        var parts: [String] = []
        var current = ""
        var quote: Character?
        var inWord = false
        for ch in text {
            if let q = quote {
                if ch == q { quote = nil } else { current.append(ch) }
            } else if ch == "\"" || ch == "'" {
                quote = ch
                inWord = true
            } else if ch == " " || ch == "\t" {
                if inWord { parts.append(current) }
                current = ""
                inWord = false
            } else {
                current.append(ch)
                inWord = true
            }
        }
        if inWord { parts.append(current) }
        return parts
    }

    // MARK: - Output

    private func writeText(_ s: String) {
        writer.sink.flush()
        let out = ByteSink.standardOutput()
        out.write(s.hasSuffix("\n") || s.isEmpty ? (s.isEmpty ? "\n" : s) : s + "\n")
        out.flush()
    }

    private func writeError(_ s: String) {
        writer.sink.flush()
        let err = ByteSink(fileDescriptor: 2)
        err.write(s.hasSuffix("\n") ? s : s + "\n")
        err.flush()
    }
}
