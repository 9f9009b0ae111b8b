// The REPL's line editor: libedit, through its native API (histedit.h), not its
// readline compatibility layer.
//
// Why the native API:
// - Completion. `EL_ADDFN` + `EL_BIND "^I"` gives us a function that sees the whole
//   line and the cursor (`el_line`) and edits it (`el_deletestr`, `el_insertstr`), so
//   the completer decides what the word under the cursor is (inside `campaign:"…`,
//   after `(`…). readline's `rl_completion_entry_function` splits words on its own
//   break characters, which cut campaign names with spaces apart.
// - Ctrl-C. `setty -d -isig` turns signal generation off only while a line is edited,
//   and Ctrl-C is bound to a function that ends the read with the line marked as
//   cancelled: no signal handler, no interrupted `read`, no libedit state to repair.
//   While a query runs the terminal is back in its normal mode, Ctrl-C raises SIGINT
//   and the REPL's handler interrupts SQLite (see `QueryInterrupter`). libedit's
//   readline layer installs its own SIGINT handler around `readline()` and leaves an
//   interrupted line half-reset on some versions.
// - History. `history(3)` loads and saves the file itself (`H_LOAD`, `H_SAVE`).
//
// `el_set`, `el_get` and `history` are C variadic functions, which Swift cannot call:
// `Sources/CLibEdit/shim.h` wraps each use in a typed inline function.

import CLibEdit

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What one read from the terminal gave.
public enum LineInput: Equatable {
    /// A line, without its newline.
    case line(String)
    /// Ctrl-C: the line typed so far is discarded.
    case cancelled
    /// Ctrl-D on an empty line, or the end of input.
    case endOfFile
}

/// What Tab offers at the cursor.
public struct Completion: Equatable, Sendable {
    /// The text before the cursor that the candidates replace (the word being typed).
    public var prefix: String
    /// Full words that can replace `prefix`, sorted.
    public var candidates: [String]
    /// Appended after a unique candidate: a closing quote, `: ` after an argument name,
    /// a space after a keyword.
    public var terminator: String

    public init(prefix: String, candidates: [String], terminator: String) {
        self.prefix = prefix
        self.candidates = candidates
        self.terminator = terminator
    }

    /// Nothing to offer.
    public static let none = Completion(prefix: "", candidates: [], terminator: "")
}

/// Errors of the line editor.
public enum LineEditorError: Error, CustomStringConvertible {
    case initialization(String)

    public var description: String {
        switch self {
        case .initialization(let what): "cannot start the line editor: \(what)"
        }
    }
}

/// A libedit `EditLine` and its `History`, owned; released in `deinit`.
public final class LineEditor {
    private let editLine: OpaquePointer
    private let history: OpaquePointer
    /// Standard input and output, duplicated, as the `FILE`s libedit reads and writes.
    private let input: UnsafeMutablePointer<FILE>
    private let output: UnsafeMutablePointer<FILE>
    private var promptText: UnsafeMutablePointer<CChar>?
    private var rightPromptText: UnsafeMutablePointer<CChar>?
    /// The live count (see `LiveCount`), when on: libedit then reads keys through
    /// `readCharacter` and shows the count as its right prompt.
    private var live: LiveCount?
    /// The input as the read function saw it last, and whether it has changed since
    /// the live count last looked at it.
    private var seenText: String?
    private var waitingForStill = false
    private var cancelled = false
    /// Where history is kept; nil keeps it in memory only.
    public let historyPath: String?
    /// Called on Tab with the text before the cursor (earlier lines of the input
    /// included, joined by newlines).
    public var completer: ((String) -> Completion)?
    /// Lines of the current input already entered (continuation); the completer sees them.
    public var pendingInput = ""

    /// Starts line editing on standard input and output, loading history from
    /// `historyPath` if the file exists.
    public init(programName: String, historyPath: String?) throws {
        Self.useUserLocale()
        let inFD = dup(STDIN_FILENO), outFD = dup(STDOUT_FILENO)
        guard inFD >= 0, outFD >= 0, let input = fdopen(inFD, "r"), let output = fdopen(outFD, "w") else {
            if inFD >= 0 { close(inFD) }
            if outFD >= 0 { close(outFD) }
            throw LineEditorError.initialization("cannot open the terminal: \(String(cString: strerror(errno)))")
        }
        guard let el = el_init(programName, input, output, output) else {
            fclose(input)
            fclose(output)
            throw LineEditorError.initialization("el_init failed (is standard input a terminal?)")
        }
        guard let h = history_init() else {
            el_end(el)
            fclose(input)
            fclose(output)
            throw LineEditorError.initialization("history_init failed")
        }
        self.input = input
        self.output = output
        editLine = el
        history = h
        self.historyPath = historyPath
        // From here on `deinit` releases both handles, so failures below just throw.
        try check(segq_history_setsize(h, 2_000), "history size")
        try check(segq_history_setunique(h, 1), "history unique")
        try check(segq_el_set_editor(el, "emacs"), "editor mode")
        try check(segq_el_set_signal(el, 1), "signal handling")
        try check(segq_el_set_history(el, h), "history")
        try check(segq_el_set_clientdata(el, Unmanaged.passUnretained(self).toOpaque()), "client data")
        try check(segq_el_set_prompt(el, promptCallback, 1), "prompt")
        try check(segq_el_add_function(el, "segq-complete", "Complete the word at the cursor", completeCallback), "completion function")
        try check(segq_el_bind(el, "^I", "segq-complete"), "Tab binding")
        try check(segq_el_add_function(el, "segq-cancel", "Discard the line", cancelCallback), "cancel function")
        try check(segq_el_edit_mode_without_isig(el), "setty -isig")
        try check(segq_el_bind(el, "^C", "segq-cancel"), "Ctrl-C binding")
        // The user's ~/.editrc, as every libedit program reads it (a missing file is fine).
        _ = el_source(el, nil)
        if let historyPath, access(historyPath, R_OK) == 0 {
            // A history file another program wrote in another format is ignored, not fatal.
            _ = segq_history_load(h, historyPath)
        }
    }

    deinit {
        el_end(editLine)
        history_end(history)
        fclose(input)
        fclose(output)
        free(promptText)
        free(rightPromptText)
    }

    /// Shows `live`'s count at the right end of the line as a complete query is typed.
    func enableLiveCount(_ live: LiveCount) throws {
        self.live = live
        try check(segq_el_set_getcfn(editLine, readCharacterCallback), "read function")
        try check(segq_el_set_rprompt(editLine, rightPromptCallback, 1), "right prompt")
        // A count that ends asks for a redisplay by a key of its own: Ctrl-^, which
        // emacs mode leaves unassigned. (libedit's EL_REFRESH redraws from where the
        // cursor is, not from the line's start; CC_REDISPLAY does it right.)
        try check(segq_el_add_function(editLine, "segq-redisplay", "Redraw the line", redisplayCallback), "redisplay function")
        try check(segq_el_bind(editLine, "^^", "segq-redisplay"), "Ctrl-^ binding")
    }

    /// The key a finished count sends (Ctrl-^).
    private static let redisplayKey: wchar_t = 0x1E

    private func check(_ rc: Int32, _ what: String) throws {
        if rc < 0 { throw LineEditorError.initialization(what) }
    }

    /// Reads one line, showing `prompt` (`\u{1}` brackets invisible escape sequences).
    public func readLine(prompt: String) -> LineInput {
        free(promptText)
        promptText = strdup(prompt)
        cancelled = false
        seenText = nil
        var count: Int32 = 0
        let raw = el_gets(editLine, &count)
        // The session is the REPL's again.
        live?.settle()
        guard let raw else {
            return cancelled ? .cancelled : .endOfFile
        }
        if cancelled { return .cancelled }
        var text = String(cString: raw)
        if text.hasSuffix("\n") { text.removeLast() }
        return .line(text)
    }

    /// Adds a complete input to the history and, with a history file, saves it there
    /// (after every entry, so a killed session keeps what it ran).
    ///
    /// The input is kept as typed, its lines included: joined into one line, a comment
    /// (`-- …`, `# …`) would swallow the lines after it when recalled. libedit shows a
    /// recalled entry's newlines as line breaks and returns the whole buffer on Enter;
    /// `H_SAVE` writes them escaped (`strvis`), so the file keeps one entry a line.
    public func remember(_ input: String) {
        let line = Self.historyEntry(input)
        guard !line.isEmpty else { return }
        _ = segq_history_enter(history, line)
        if let historyPath {
            if segq_history_save(history, historyPath) < 0 {
                historySaveFailed = true
            }
        }
    }

    /// Draws the input just entered again, `coloured` (the same text with ANSI colours),
    /// over where libedit left it: its first line after `prompt` (as given to
    /// `readLine`), each further line from the first column. Only when every row is
    /// sure: no line wider than the terminal (it would have wrapped) and no character
    /// whose width is unknown; false when it drew nothing.
    @discardableResult
    public func redrawInput(prompt: String, text: String, coloured: String) -> Bool {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        let colouredLines = coloured.split(separator: "\n", omittingEmptySubsequences: false)
        guard lines.count == colouredLines.count, lines.count < 200 else { return false }
        // The prompt as printed (escapes kept, \u{1} markers dropped) and as seen.
        var printed = "", visible = "", inEscape = false
        for ch in prompt.unicodeScalars {
            if ch == "\u{1}" { inEscape.toggle(); continue }
            printed.unicodeScalars.append(ch)
            if !inEscape { visible.unicodeScalars.append(ch) }
        }
        let width = Self.terminalWidth()
        for (i, line) in lines.enumerated() {
            guard let w = Self.displayWidth(i == 0 ? visible + line : String(line)), w < width else { return false }
        }
        var out = "\u{1B}[\(lines.count)A\r"
        for (i, line) in colouredLines.enumerated() {
            out += (i == 0 ? printed : "") + line + "\u{1B}[K\r\n"
        }
        fputs(out, output)
        fflush(output)
        return true
    }

    /// Columns `s` takes on the terminal (`wcwidth`), nil if a character's is unknown
    /// (a control character, a tab).
    static func displayWidth(_ s: String) -> Int? {
        var total = 0
        for scalar in s.unicodeScalars {
            let w = segq_wcwidth(scalar.value)
            if w < 0 { return nil }
            total += Int(w)
        }
        return total
    }

    /// Set when the history file could not be written (the REPL warns once).
    public private(set) var historySaveFailed = false

    // MARK: - Callbacks

    fileprivate var promptPointer: UnsafeMutablePointer<CChar>? { promptText }

    fileprivate var rightPromptPointer: UnsafeMutablePointer<CChar>? {
        free(rightPromptText)
        rightPromptText = strdup(live?.status ?? "")
        return rightPromptText
    }

    /// The whole input: earlier lines and the line being edited.
    private func currentInput() -> String {
        guard let info = el_line(editLine) else { return pendingInput }
        let start = UnsafeRawPointer(info.pointee.buffer)
        let end = UnsafeRawPointer(info.pointee.lastchar)
        guard let start, let end, end >= start else { return pendingInput }
        return pendingInput + String(decoding: UnsafeRawBufferPointer(start: start, count: end - start), as: UTF8.self)
    }

    /// libedit's read function while the live count is on: waits for a key on the
    /// terminal, for a count to end (then redraws the line, showing it), or for the
    /// input to have been still long enough to count it. 1 with a character, 0 at the
    /// end of input, -1 on an error — as libedit's own.
    fileprivate func readCharacter(_ character: UnsafeMutablePointer<wchar_t>) -> Int32 {
        guard let live else { return -1 }
        let fd = fileno(input)
        var decoder = mbstate_t()
        var bytes: [CChar] = []
        while true {
            let text = currentInput()
            if text != seenText {
                seenText = text
                waitingForStill = true
            }
            var fds = [pollfd(fd: fd, events: Int16(POLLIN), revents: 0),
                       pollfd(fd: live.wakeRead, events: Int16(POLLIN), revents: 0)]
            let timeout: Int32 = waitingForStill && bytes.isEmpty ? Int32(live.idle * 1000) : -1
            let ready = poll(&fds, 2, timeout)
            if ready < 0 {
                if errno == EINTR { continue }
                return -1
            }
            if ready == 0 {
                waitingForStill = false
                live.inputStill(text)
                continue
            }
            if fds[1].revents & Int16(POLLIN) != 0 {
                live.drainWake()
                if bytes.isEmpty {
                    character.pointee = Self.redisplayKey
                    return 1
                }
                continue
            }
            var byte: CChar = 0
            let n = read(fd, &byte, 1)
            if n < 0 {
                if errno == EINTR || errno == EAGAIN { continue }
                return -1
            }
            if n == 0 { return 0 }
            if bytes.isEmpty { live.inputChanged() }  // a key: the status is stale
            bytes.append(byte)
            var wide: wchar_t = 0
            let used = bytes.withUnsafeBufferPointer { mbrtowc(&wide, $0.baseAddress, $0.count, &decoder) }
            if used == -2 { continue }  // more bytes to come
            if used == -1 {
                // Not a character in this locale: the byte as it is, as libedit does.
                wide = wchar_t(UInt8(bitPattern: bytes[0]))
            }
            character.pointee = wide
            return 1
        }
    }

    fileprivate func cancelLine() -> UInt8 {
        cancelled = true
        fputs("^C\n", output)
        fflush(output)
        return UInt8(CC_NEWLINE)
    }

    fileprivate func completeAtCursor() -> UInt8 {
        // The completer reads the store: the live count gives the session back first.
        live?.settle()
        seenText = nil
        guard let completer, let info = el_line(editLine) else { return UInt8(CC_ERROR) }
        let start = UnsafeRawPointer(info.pointee.buffer)
        let cursor = UnsafeRawPointer(info.pointee.cursor)
        guard let start, let cursor, cursor >= start else { return UInt8(CC_ERROR) }
        let before = String(decoding: UnsafeRawBufferPointer(start: start, count: cursor - start), as: UTF8.self)
        let completion = completer(pendingInput + before)
        guard !completion.candidates.isEmpty else { return UInt8(CC_ERROR) }
        let typed = Int32(completion.prefix.count)
        if completion.candidates.count == 1, let only = completion.candidates.first {
            return replace(typed, with: only + completion.terminator)
        }
        let common = Self.commonPrefix(completion.candidates)
        if common.count > completion.prefix.count {
            return replace(typed, with: common)
        }
        // Nothing more to add: list the candidates under the line, as shells do.
        fputs("\n" + Self.columns(completion.candidates, width: Self.terminalWidth()), output)
        fflush(output)
        return UInt8(CC_REDISPLAY)
    }

    private func replace(_ characters: Int32, with text: String) -> UInt8 {
        if characters > 0 { el_deletestr(editLine, characters) }
        if el_insertstr(editLine, text) != 0 { return UInt8(CC_ERROR) }
        return UInt8(CC_REFRESH)
    }

    // MARK: - Helpers

    /// An input as history keeps it: its lines as typed, without trailing spaces, blank
    /// lines before and after dropped.
    static func historyEntry(_ input: String) -> String {
        var lines = input.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline)
            .map { line -> String in
                var l = line[...]
                while let last = l.last, last == " " || last == "\t" { l = l.dropLast() }
                return String(l)
            }
        while lines.first?.isEmpty == true { lines.removeFirst() }
        while lines.last?.isEmpty == true { lines.removeLast() }
        return lines.joined(separator: "\n")
    }

    /// The longest prefix every string shares (by characters).
    static func commonPrefix(_ strings: [String]) -> String {
        guard var prefix = strings.first else { return "" }
        for s in strings.dropFirst() {
            while !s.hasPrefix(prefix) { prefix.removeLast() }
        }
        return prefix
    }

    /// Candidates laid out in columns, each line ending in a newline.
    static func columns(_ items: [String], width: Int) -> String {
        let cell = (items.map(\.count).max() ?? 0) + 2
        let perLine = max(1, width / max(cell, 1))
        var out = ""
        for (i, item) in items.enumerated() {
            let last = i % perLine == perLine - 1 || i == items.count - 1
            out += last ? item + "\n" : item + String(repeating: " ", count: cell - item.count)
        }
        return out
    }

    static func terminalWidth() -> Int {
        var size = winsize()
        if ioctl(STDOUT_FILENO, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 { return Int(size.ws_col) }
        return 80
    }

    /// libedit decodes input with the C library's multibyte functions: without the
    /// user's locale (Swift programs start in "C"), a name like "Café" cannot be typed.
    private static func useUserLocale() {
        if let set = setlocale(LC_CTYPE, ""), String(cString: set) != "C", String(cString: set) != "POSIX" { return }
        _ = setlocale(LC_CTYPE, "C.UTF-8")
    }
}

private func editor(_ el: OpaquePointer?) -> LineEditor? {
    guard let el, let data = segq_el_get_clientdata(el) else { return nil }
    return Unmanaged<LineEditor>.fromOpaque(data).takeUnretainedValue()
}

private let promptCallback: segq_el_prompt_fn = { el in
    editor(el)?.promptPointer
}

private let rightPromptCallback: segq_el_prompt_fn = { el in
    editor(el)?.rightPromptPointer
}

private let readCharacterCallback: segq_el_getc_fn = { el, character in
    guard let character else { return -1 }
    return editor(el)?.readCharacter(character) ?? -1
}

private let redisplayCallback: segq_el_key_fn = { _, _ in UInt8(CC_REDISPLAY) }

private let completeCallback: segq_el_key_fn = { el, _ in
    editor(el)?.completeAtCursor() ?? UInt8(CC_ERROR)
}

private let cancelCallback: segq_el_key_fn = { el, _ in
    editor(el)?.cancelLine() ?? UInt8(CC_EOF)
}

extension Substring {
    func trimmingSpaces() -> String {
        var s = self[...]
        while let f = s.first, f == " " || f == "\t" { s = s.dropFirst() }
        while let l = s.last, l == " " || l == "\t" { s = s.dropLast() }
        return String(s)
    }
}
