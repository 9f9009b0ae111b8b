// The one place where diagnostics become text, in the form clang and swiftc users read:
//
//     q.segq:1:1: error: unknown event 'opend'; did you mean 'opened'?
//     opend(campaign: "x")
//     ^~~~~
//     opened
//
// The caret line marks the whole span (`^` then `~`) on the first line of the span; a
// suggested replacement is printed under it, as clang prints fix-its. Columns count
// characters. Tabs in the source line are repeated in the caret line so that the caret
// lands under the right character whatever the tab width. Invalid UTF-8 and control
// characters are shown as U+FFFD (one column each, so alignment holds, and no stray
// escape sequence reaches the terminal). A line longer than `window` columns is shown
// as a window around the span with `…` at the cut ends.

/// Renders diagnostics as `FILE:LINE:COL: error: MESSAGE` with the source line and a caret.
public enum DiagnosticRenderer {
    /// How many columns of a long line are shown around the span.
    public static let window = 200

    /// The text of one diagnostic and its notes, without a final line break.
    public static func render(_ d: Diagnostic, in file: SourceFile, color: Bool) -> String {
        var lines: [String] = []
        lines.append(header(d.severity, d.message, at: d.range.start, in: file, color: color))
        lines += excerpt(d.range, in: file, suggestion: d.suggestion, color: color)
        for note in d.notes {
            lines.append(header(.note, note.message, at: note.range?.start ?? d.range.start, in: file, color: color))
            if let r = note.range { lines += excerpt(r, in: file, suggestion: nil, color: color) }
        }
        return lines.joined(separator: "\n")
    }

    /// The texts of several diagnostics, one after the other, without a final line break.
    public static func render(_ ds: [Diagnostic], in file: SourceFile, color: Bool) -> String {
        ds.map { render($0, in: file, color: color) }.joined(separator: "\n")
    }

    // MARK: Parts

    private enum Style {
        static let reset = "\u{1B}[0m"
        static let bold = "\u{1B}[1m"
        static let red = "\u{1B}[1;31m"
        static let magenta = "\u{1B}[1;35m"
        static let grey = "\u{1B}[1;30m"
        static let green = "\u{1B}[1;32m"
    }

    private static func header(_ s: Severity, _ message: String, at offset: Int, in file: SourceFile, color: Bool) -> String {
        let message = TerminalText.escaped(message)  // names in it may come from the store
        let (line, column) = file.location(of: offset)
        let location = "\(file.name):\(line):\(column):"
        guard color else { return "\(location) \(s.rawValue): \(message)" }
        let tint = switch s {
        case .error: Style.red
        case .warning: Style.magenta
        case .note: Style.grey
        }
        return Style.bold + location + " " + tint + s.rawValue + ":" + Style.reset + Style.bold + " " + message + Style.reset
    }

    /// The source line of `range.start`, the caret line, and the suggestion line if any.
    static func excerpt(_ range: SourceRange, in file: SourceFile, suggestion: String?, color: Bool) -> [String] {
        let bytes = file.bytes
        let start = min(max(0, range.start), bytes.count)
        let (line, column) = file.location(of: start)
        let lineStart = file.lineStarts[line - 1]
        var lineEnd = line < file.lineStarts.count ? file.lineStarts[line] - 1 : bytes.count
        if lineEnd > lineStart && bytes[lineEnd - 1] == 0x0D { lineEnd -= 1 }
        let spanEnd = min(max(range.end, start), lineEnd)

        // The window of columns shown: the whole line when the span starts near its
        // beginning, otherwise `window` columns starting a little before the span.
        let startColumn = column - 1
        let firstShown = startColumn < window - 40 ? 0 : startColumn - 80
        let lastShown = firstShown + window

        var source = firstShown > 0 ? "…" : ""
        var caret = firstShown > 0 ? " " : ""
        var caretPlaced = false
        var i = lineStart
        var c = 0
        while i < lineEnd && c < lastShown {
            let n = min(SourceFile.scalarLength(bytes, at: i), lineEnd - i)
            if c >= firstShown {
                let shown = displayed(bytes, i, n)
                source.unicodeScalars.append(shown)
                if i < start {
                    caret += shown == "\t" ? "\t" : " "
                } else if i == start {
                    caret += "^"
                    caretPlaced = true
                } else if i < spanEnd {
                    caret += "~"
                }
            }
            i += n
            c += 1
        }
        if i < lineEnd { source += "…" }
        if !caretPlaced { caret += "^" }  // an empty span at the end of the line

        let padding = String(caret.prefix { $0 == " " || $0 == "\t" })
        var out = [source, color ? Style.green + caret + Style.reset : caret]
        if let suggestion, !suggestion.contains("\n") {
            let shown = TerminalText.escaped(suggestion)
            let fix = ParseMessages.snippet(Array(shown.utf8), SourceRange(0, shown.utf8.count), limit: 80)
            out.append(padding + (color ? Style.green + fix + Style.reset : fix))
        }
        return out
    }

    /// The scalar shown for the `n` bytes at `i`: itself, or U+FFFD for invalid UTF-8
    /// and for control and format characters (tab excepted).
    private static func displayed(_ bytes: [UInt8], _ i: Int, _ n: Int) -> Unicode.Scalar {
        guard let valid = Lexer.validUTF8Length(bytes, i), valid == n else { return "\u{FFFD}" }
        let s = Lexer.scalar(bytes, i, n)
        if s == "\t" { return s }
        switch s.properties.generalCategory {
        case .control, .format, .lineSeparator, .paragraphSeparator, .surrogate: return "\u{FFFD}"
        default: return s
        }
    }
}
