// Diagnostics are data. The stage that finds a problem collects a `Diagnostic`;
// only `DiagnosticRenderer` turns one into text (`file:line:col: error: message`,
// the source line, and a caret under the span), so every layer reports alike.

/// How serious a diagnostic is.
public enum Severity: String, Hashable, Sendable {
    case error, warning, note
}

/// A secondary message attached to a diagnostic, optionally pointing elsewhere.
public struct DiagnosticNote: Hashable, Sendable {
    /// The note's text.
    public var message: String
    /// Where it points, if anywhere.
    public var range: SourceRange?

    public init(_ message: String, range: SourceRange? = nil) {
        self.message = message
        self.range = range
    }
}

/// A problem found in a source text, with where it is and what would be right.
public struct Diagnostic: Hashable, Sendable, Error {
    /// Error, warning or note.
    public var severity: Severity
    /// What is wrong, and what would be right: `unknown event 'opend'; did you mean 'opened'?`.
    public var message: String
    /// The offending span (empty for a position).
    public var range: SourceRange
    /// Further notes, such as where an unterminated string opened.
    public var notes: [DiagnosticNote]
    /// Replacement text for the span, when there is an obvious fix ("did you mean").
    public var suggestion: String?

    public init(
        _ severity: Severity, _ message: String, at range: SourceRange,
        notes: [DiagnosticNote] = [], suggestion: String? = nil
    ) {
        self.severity = severity
        self.message = message
        self.range = range
        self.notes = notes
        self.suggestion = suggestion
    }

    /// An error at `range`.
    public static func error(
        _ message: String, at range: SourceRange, notes: [DiagnosticNote] = [], suggestion: String? = nil
    ) -> Diagnostic {
        Diagnostic(.error, message, at: range, notes: notes, suggestion: suggestion)
    }

    /// A warning at `range`.
    public static func warning(
        _ message: String, at range: SourceRange, notes: [DiagnosticNote] = [], suggestion: String? = nil
    ) -> Diagnostic {
        Diagnostic(.warning, message, at: range, notes: notes, suggestion: suggestion)
    }
}

/// A named source text: a file, `-c` text, a REPL line.
public struct SourceFile: Sendable {
    /// The name diagnostics print (`query.segq`, `<command line>`, `<stdin>`).
    public let name: String
    /// The raw bytes, which need not be valid UTF-8.
    public let bytes: [UInt8]
    /// Byte offset where each line starts.
    public let lineStarts: [Int]

    public init(name: String, bytes: [UInt8]) {
        self.name = name
        self.bytes = bytes
        var starts = [0]
        for (i, b) in bytes.enumerated() where b == UInt8(ascii: "\n") { starts.append(i + 1) }
        self.lineStarts = starts
    }

    public init(name: String, text: String) {
        self.init(name: name, bytes: Array(text.utf8))
    }

    /// The 1-based line and column (in characters, counting each invalid byte as one) of `offset`.
    public func location(of offset: Int) -> (line: Int, column: Int) {
        let clamped = min(max(0, offset), bytes.count)
        var lo = 0, hi = lineStarts.count - 1
        while lo < hi {
            let mid = (lo + hi + 1) / 2
            if lineStarts[mid] <= clamped { lo = mid } else { hi = mid - 1 }
        }
        let start = lineStarts[lo]
        var column = 1
        var i = start
        while i < clamped {
            i += Self.scalarLength(bytes, at: i)
            column += 1
        }
        return (lo + 1, column)
    }

    /// Length in bytes of the UTF-8 sequence at `i` (1 for an invalid byte).
    static func scalarLength(_ bytes: [UInt8], at i: Int) -> Int {
        let b = bytes[i]
        let n: Int
        switch b {
        case 0xC2...0xDF: n = 2
        case 0xE0...0xEF: n = 3
        case 0xF0...0xF4: n = 4
        default: return 1
        }
        guard i + n <= bytes.count else { return 1 }
        for k in 1..<n where bytes[i + k] & 0xC0 != 0x80 { return 1 }
        return n
    }
}
