// `history segment NAME`: a saved segment's size over time, as recorded.
//
// Every evaluation that `save segment` or an import made of the segment is a row of
// its history (SegmentHistory, schema version 5): when, what made it, the size after
// it, and how many contacts joined and left. The text form is a chart: one line per
// evaluation with a bar as long as the size (plain text, as wide as the terminal, 80
// columns when results do not go to one); JSON gives the same rows as one document and
// JSON Lines one line per evaluation.

import SegQL
import SegStore

extension Session {
    func history(_ name: Name, in file: SourceFile) throws {
        let found = try runtime { try SegmentHistory.evaluations(of: name.text, in: store) }
        guard let evaluations = found else { throw try noSegment(name, in: file) }
        if let writer = output as? ResultWriter, writer.format == .json || writer.format == .jsonl {
            if writer.format == .jsonl {
                for e in evaluations { output.text(HistoryRenderer.json(e, segment: name.text).compact) }
            } else {
                output.text(HistoryRenderer.json(evaluations, segment: name.text).text(for: writer.format))
            }
        } else {
            output.text(HistoryRenderer.text(evaluations, segment: name.text, width: terminalWidth ?? 80))
        }
    }

    /// The error for a saved segment that does not exist, with the nearest name.
    func noSegment(_ name: Name, in file: SourceFile) throws -> SessionError {
        let near = Suggestions.nearest(to: name.text, among: try loadCatalog().segments.keys.sorted())
        return SessionError.compile(
            [.error("no saved segment named '\(name.text)'" + (near.map { "; did you mean '\($0)'?" } ?? ""), at: name.range)], file)
    }
}

/// Renders a segment's history as a text chart and as JSON.
enum HistoryRenderer {
    /// The narrowest bar area, whatever the width.
    static let minimumBar = 10

    static func text(_ evaluations: [SegmentHistory.Evaluation], segment: String, width: Int) -> String {
        let title = "segment " + Printer.quoted(segment)
        guard let first = evaluations.first, let last = evaluations.last else {
            return title + ": no recorded evaluations yet (the history starts with the next save or import)"
        }
        var out = title + ": \(evaluations.count) evaluation\(evaluations.count == 1 ? "" : "s"), "
            + Timestamp.iso8601(first.at) + " to " + Timestamp.iso8601(last.at) + ", \(last.members) contacts now\n"
        let rows: [[String]] = evaluations.map {
            [Timestamp.iso8601($0.at), $0.cause, String($0.members), "+\($0.joins)", "-\($0.leaves)"]
        }
        let header = ["evaluated at", "cause", "members", "joined", "left"]
        let widths = header.indices.map { i in max(header[i].count, rows.map { $0[i].count }.max() ?? 0) }
        // Text columns left-aligned, numbers right-aligned, two spaces apart.
        func line(_ cells: [String]) -> String {
            cells.indices.map { i in
                let pad = String(repeating: " ", count: widths[i] - cells[i].count)
                return i < 2 ? cells[i] + pad : pad + cells[i]
            }.joined(separator: "  ")
        }
        let used = widths.reduce(0, +) + 2 * widths.count
        let barWidth = max(minimumBar, width - used)
        let largest = evaluations.map(\.members).max() ?? 0
        out += line(header) + "\n"
        for (e, cells) in zip(evaluations, rows) {
            out += line(cells) + "  " + bar(e.members, of: largest, width: barWidth) + "\n"
        }
        return String(out.dropLast())
    }

    /// A bar of `#` as long as `n` is against `largest` in `width` columns; at least
    /// one `#` for any member, none for an empty segment.
    static func bar(_ n: Int64, of largest: Int64, width: Int) -> String {
        guard n > 0, largest > 0 else { return "" }
        let length = max(1, Int((Double(n) / Double(largest) * Double(width)).rounded()))
        return String(repeating: "#", count: length)
    }

    static func json(_ e: SegmentHistory.Evaluation, segment: String? = nil) -> JSON {
        var members: [(String, JSON)] = []
        if let segment { members.append(("segment", .string(segment))) }
        members += [
            ("evaluated_at", .string(Timestamp.iso8601(e.at))), ("cause", .string(e.cause)),
            ("members", .raw(String(e.members))), ("joined", .raw(String(e.joins))), ("left", .raw(String(e.leaves))),
        ]
        return .object(members)
    }

    static func json(_ evaluations: [SegmentHistory.Evaluation], segment: String) -> JSON {
        .object([("segment", .string(segment)), ("evaluations", .array(evaluations.map { json($0) }))])
    }
}
