// Result formats. Every format streams: a row is written when it arrives, so a
// million contacts need no more memory than one (the table format buffers its first
// rows only to size its columns).

import SegQL

#if canImport(Glibc)
import Glibc
private let systemWrite = Glibc.write
#elseif canImport(Darwin)
import Darwin
private let systemWrite = Darwin.write
#endif

/// The output formats of `--format` and `.mode`.
public enum OutputFormat: String, CaseIterable, Sendable {
    case table, csv, tsv, json, jsonl
}

/// Buffered bytes to a file descriptor (standard output, or a file being exported).
public final class ByteSink {
    private let fd: Int32
    private var buffer: [UInt8] = []
    /// Whether a write failed (a closed pipe, a full disk).
    public private(set) var failed = false

    public init(fileDescriptor: Int32) {
        self.fd = fileDescriptor
        buffer.reserveCapacity(1 << 16)
    }

    /// Standard output.
    public static func standardOutput() -> ByteSink { ByteSink(fileDescriptor: 1) }

    public func write(_ s: String) {
        buffer.append(contentsOf: s.utf8)
        if buffer.count >= 1 << 16 { flush() }
    }

    /// Forgets a failed write: the REPL's standard output works again after a pager or
    /// a `.output |cmd` command that quit before reading everything.
    public func clearFailure() {
        buffer.removeAll(keepingCapacity: true)
        failed = false
    }

    public func flush() {
        guard !buffer.isEmpty, !failed else {
            buffer.removeAll(keepingCapacity: true)
            return
        }
        var offset = 0
        buffer.withUnsafeBytes { raw in
            guard let base = raw.baseAddress else { return }
            while offset < raw.count {
                let n = systemWrite(fd, base + offset, raw.count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    failed = true
                    return
                }
                offset += n
            }
        }
        buffer.removeAll(keepingCapacity: true)
    }

    deinit { flush() }
}

/// Writes results in one format.
public final class ResultWriter: SessionOutput {
    public var format: OutputFormat
    public let sink: ByteSink
    /// Text (explain, confirmations) goes here; standard output by default.
    public var textSink: ByteSink?
    /// Notes (confirmations: `SessionOutput.note`) go here; where text goes by default.
    /// `segq run` sets standard error.
    public var noteSink: ByteSink?
    /// In table format, lines (header, rule, rows) wider than this many columns are cut
    /// to it and end in `…`, instead of wrapping on the terminal; nil keeps them whole.
    /// The REPL sets the terminal's width while results go to the terminal.
    public var tableWidth: Int?

    private var columns: [String] = []
    private var rowCount = 0
    private var tableBuffer: [[String]] = []
    private var widths: [Int] = []
    private var tableSized = false

    public init(format: OutputFormat, sink: ByteSink) {
        self.format = format
        self.sink = sink
    }

    public func beginRows(columns: [String]) {
        self.columns = columns
        rowCount = 0
        switch format {
        case .csv: sink.write(columns.map(Self.csvField).joined(separator: ",") + "\r\n")
        case .tsv: sink.write(columns.map(Self.tsvField).joined(separator: "\t") + "\n")
        case .json: sink.write("[")
        case .jsonl: break
        case .table:
            tableBuffer = []
            widths = columns.map(Self.displayWidth)
            tableSized = false
        }
    }

    public func row(_ values: [SQLValue]) {
        defer { rowCount += 1 }
        switch format {
        case .csv:
            sink.write(values.map { Self.csvField(Self.neutralized(Self.plain($0))) }.joined(separator: ",") + "\r\n")
        case .tsv:
            sink.write(values.map { Self.tsvField(Self.neutralized(Self.plain($0))) }.joined(separator: "\t") + "\n")
        case .json:
            sink.write((rowCount == 0 ? "\n" : ",\n") + jsonObject(values))
        case .jsonl:
            sink.write(jsonObject(values) + "\n")
        case .table:
            let cells = values.map { TerminalText.escaped(Self.plain($0)) }
            if tableSized {
                writeTableRow(cells)
            } else {
                tableBuffer.append(cells)
                for (i, c) in cells.enumerated() where i < widths.count { widths[i] = max(widths[i], Self.displayWidth(c)) }
                if tableBuffer.count >= 1_000 { sizeTable() }
            }
        }
        if rowCount % 4_096 == 0 { sink.flush() }
    }

    public func endRows() {
        switch format {
        case .json: sink.write(rowCount == 0 ? "]\n" : "\n]\n")
        case .table:
            if !tableSized { sizeTable() }
            tableSized = false
        default: break
        }
        sink.flush()
    }

    public func count(_ n: Int64) {
        switch format {
        case .json, .jsonl: sink.write("{\"count\": \(n)}\n")
        default: sink.write("\(n)\n")
        }
        sink.flush()
    }

    public func text(_ s: String) {
        let out = textSink ?? sink
        let shown = TerminalText.escaped(s, keeping: ["\n", "\t"])
        out.write(shown.hasSuffix("\n") ? shown : shown + "\n")
        out.flush()
    }

    public func note(_ s: String) {
        let out = noteSink ?? textSink ?? sink
        out.write(s.hasSuffix("\n") ? s : s + "\n")
        out.flush()
    }

    // MARK: - Table

    private func sizeTable() {
        tableSized = true
        writeTableRow(columns)
        sink.write(cut(widths.map { String(repeating: "─", count: $0) }.joined(separator: "  ")) + "\n")
        for cells in tableBuffer { writeTableRow(cells) }
        tableBuffer = []
    }

    private func writeTableRow(_ cells: [String]) {
        var line = ""
        for (i, c) in cells.enumerated() {
            let shown = TerminalText.escaped(c)
            let pad = i < widths.count ? max(0, widths[i] - Self.displayWidth(shown)) : 0
            line += shown + (i == cells.count - 1 ? "" : String(repeating: " ", count: pad) + "  ")
        }
        sink.write(cut(line) + "\n")
    }

    /// `line` cut to `tableWidth` columns, its last one `…`, when it is wider.
    private func cut(_ line: String) -> String {
        guard let width = tableWidth, width > 1, Self.displayWidth(line) > width else { return line }
        var out = String.UnicodeScalarView()
        out.append(contentsOf: line.unicodeScalars.prefix(width - 1))
        return String(out) + "…"
    }

    /// Columns a string takes on a terminal (one per scalar; good enough for names and addresses).
    static func displayWidth(_ s: String) -> Int { s.unicodeScalars.count }

    // MARK: - Fields

    /// A value as plain text; NULL is empty.
    static func plain(_ v: SQLValue) -> String {
        switch v {
        case .null: ""
        case .integer(let i): String(i)
        case .real(let d): String(d)
        case .text(let s): s
        }
    }

    /// A cell a spreadsheet would read as a formula (first character `=`, `+`, `-`, `@`,
    /// tab or CR), prefixed with `'` as OWASP recommends for CSV injection; a plain number
    /// (`-7`, `+46700000001`, `2.5`) cannot hold a formula and is left as it is.
    public static func neutralized(_ s: String) -> String {
        guard let first = s.utf8.first, [UInt8(ascii: "="), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "@"), 9, 13].contains(first)
        else { return s }
        var digits = 0, dots = 0
        for (i, c) in s.utf8.enumerated() {
            if c >= 0x30 && c <= 0x39 { digits += 1 } else if c == UInt8(ascii: ".") { dots += 1 } else if i > 0 || (c != UInt8(ascii: "+") && c != UInt8(ascii: "-")) {
                return "'" + s
            }
        }
        return digits > 0 && dots <= 1 ? s : "'" + s
    }

    /// RFC 4180: quote a field containing a comma, a quote, CR or LF; double the quotes.
    static func csvField(_ s: String) -> String { quoted(s, separator: 44) }

    /// The same rule with a tab as the separator.
    static func tsvField(_ s: String) -> String { quoted(s, separator: 9) }

    private static func quoted(_ s: String, separator: UInt8) -> String {
        guard s.utf8.contains(where: { $0 == separator || $0 == 34 || $0 == 10 || $0 == 13 }) else { return s }
        return "\"" + s.split(separator: "\"", omittingEmptySubsequences: false).joined(separator: "\"\"") + "\""
    }

    private func jsonObject(_ values: [SQLValue]) -> String {
        var parts: [String] = []
        for (i, v) in values.enumerated() {
            let key = i < columns.count ? columns[i] : "column\(i)"
            parts.append(Self.jsonString(key) + ": " + Self.jsonValue(v))
        }
        return "{" + parts.joined(separator: ", ") + "}"
    }

    static func jsonValue(_ v: SQLValue) -> String {
        switch v {
        case .null: "null"
        case .integer(let i): String(i)
        case .real(let d): d.isFinite ? String(d) : "null"
        case .text(let s): jsonString(s)
        }
    }

    /// A JSON string literal (RFC 8259 escapes).
    public static func jsonString(_ s: String) -> String { JSONText.string(s) }
}

