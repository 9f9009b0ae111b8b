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
        if interactive {
            editor = try LineEditor(programName: "segq", historyPath: historyPath)
            interrupter = try QueryInterrupter()
            interrupter?.watch(session.store.database)
            session.mode = .interactive
        } else {
            editor = nil
            interrupter = nil
            session.mode = .script
        }
        editor?.completer = { [unowned self] text in Completer.complete(text, names: self.completionNames()) }
    }

    /// The history file: `$SEGQ_HISTORY` (empty: none), else `~/.segq_history`.
    public static func defaultHistoryPath(environment: [String: String] = ProcessInfo.processInfo.environment) -> String? {
        if let path = environment["SEGQ_HISTORY"] { return path.isEmpty ? nil : path }
        guard let home = environment["HOME"], !home.isEmpty else { return nil }
        return home + "/.segq_history"
    }

    // MARK: - The loop

    /// Runs until `.quit`, end of input or (script mode) the first error.
    public func run() -> Outcome {
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
                input = editor.readLine(prompt: pending.isEmpty ? prompt() : continuationPrompt())
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
                        let ok = runInput(pending, firstLine: pendingStart)
                        pending = ""
                        if !ok && editor == nil { return outcome }
                    }
                    editor?.remember(trimmed)
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
                    let ok = runInput(pending, firstLine: pendingStart)
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

    /// Runs `body`, reporting a session error. Leaves no transaction open.
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
            if e.isInterrupt && editor != nil {
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
        switch command {
        case "quit", "exit", "q":
            return false
        case "help", "h":
            let topic = args.first
            if let text = Help.text(topic) {
                writeText(text)
            } else {
                fail("no help on '\(topic ?? "")'; topics: \(Help.topics.map(\.name).joined(separator: ", "))")
            }
        case "campaigns":
            _ = perform { session.write(try session.campaignListing()) }
        case "links":
            guard args.count <= 1 else { return usage(".links [CAMPAIGN]") }
            _ = perform { session.write(try session.linkListing(campaign: args.first ?? session.campaignContext)) }
        case "segments":
            _ = perform { session.write(try session.segmentListing()) }
        case "lists":
            _ = perform { session.write(try session.listListing()) }
        case "schema":
            _ = perform { writeText(try session.schemaText()) }
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
            _ = perform { try session.run(SourceFile(name: path, bytes: Array(data))) }
        default:
            let known = ["help", "campaigns", "links", "segments", "lists", "schema", "mode", "timer", "limit",
                         "tz", "open", "read", "quit"]
            let near = Suggestions.nearest(to: command, among: known).map { "; did you mean .\($0)?" } ?? ""
            return fail("unknown command '.\(command)'\(near) (.help lists them)")
        }
        return true
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
        interrupter?.watch(store.database)
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
