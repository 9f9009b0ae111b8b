// `diff QUERY from "DATE" to "DATE"` and `diff QUERY to QUERY`: who joined and who left.
//
// Each side is a set of contact ids, evaluated as any count is (the first side `as of`
// its moment, as `count … as of` is); the counts come first, then one row per contact
// that changed, the joined first, each part in contact id order, with a `change` column.
// `diff segment "s" from … to … as recorded` reads the two sides from the segment's
// recorded history instead (SegmentHistory): the members its last evaluation at or
// before each moment had, as they were then, not as the events say now.

import SegQL
import SegStore

extension Session {
    func diff(_ q: Query, _ target: Statement.DiffTarget, in file: SourceFile) throws {
        let before: [Int64], after: [Int64]
        let labels: (String, String)
        switch target {
        case .moments(let from, let to):
            before = try ids(of: q, asOf: from, in: file)
            after = try ids(of: q, asOf: to, in: file)
            labels = ("as of " + Printer.quoted(from.text), "as of " + Printer.quoted(to.text))
        case .query(let other):
            before = try contactIDs(compile(q, projection: .contactIDs, in: file))
            after = try contactIDs(compile(other, projection: .contactIDs, in: file))
            labels = (Printer.source(of: q), Printer.source(of: other))
        case .recorded(let from, let to):
            guard case .segment(let name) = q.kind else {
                throw SessionError.compile([.error("'as recorded' needs a saved segment", at: q.range)], file)
            }
            (before, after) = try recorded(name, from: from, to: to, in: file)
            labels = ("recorded at " + Printer.quoted(from.text), "recorded at " + Printer.quoted(to.text))
        }
        let had = Set(before), has = Set(after)
        let joined = after.filter { !had.contains($0) }
        let left = before.filter { !has.contains($0) }
        if let writer = output as? ResultWriter, writer.format == .json || writer.format == .jsonl {
            // The counts as one JSON document before the rows', so the output stays JSON.
            let summary = JSON.object([
                ("before", .object([("audience", .string(labels.0)), ("contacts", .raw(String(before.count)))])),
                ("after", .object([("audience", .string(labels.1)), ("contacts", .raw(String(after.count)))])),
                ("joined", .raw(String(joined.count))), ("left", .raw(String(left.count))),
                ("stayed", .raw(String(after.count - joined.count))),
            ])
            output.text(summary.text(for: writer.format))
        } else {
            output.text("before (\(labels.0)): \(before.count) contacts")
            output.text("after (\(labels.1)): \(after.count) contacts")
            output.text("joined: \(joined.count), left: \(left.count), stayed: \(after.count - joined.count)")
        }
        output.beginRows(columns: ["contact_id", "email", "phone", "first_name", "last_name", "change"])
        defer { output.endRows() }
        for (ids, change) in [(joined, "joined"), (left, "left")] {
            try rows(of: ids) { output.row($0 + [.text(change)]) }
        }
    }

    /// The contact ids of `q` evaluated as of `moment` (as `count … as of` does).
    private func ids(of q: Query, asOf moment: Name, in file: SourceFile) throws -> [Int64] {
        var result: [Int64] = []
        try whileAsOf(moment, in: file) { result = try contactIDs(compile(q, projection: .contactIDs, in: file)) }
        return result
    }

    /// The recorded members of the segment `name` at two moments.
    private func recorded(_ name: Name, from: Name, to: Name, in file: SourceFile) throws -> ([Int64], [Int64]) {
        let moments = [try moment(from, in: file), try moment(to, in: file)]
        guard let evaluations = try runtime({ try SegmentHistory.evaluations(of: name.text, in: store) }) else {
            throw try noSegment(name, in: file)
        }
        let members = try runtime { try SegmentHistory.members(of: name.text, at: moments, in: store) }
        guard let before = members[0], let after = members[1] else {
            let first = evaluations.first.map { "its history starts at " + Timestamp.iso8601($0.at) } ?? "it has no recorded evaluations"
            throw SessionError.compile([.error(
                "segment '\(name.text)' has no recorded evaluation at or before \(Printer.quoted(from.text)) (\(first)); "
                    + "without 'as recorded', diff evaluates it as of each moment", at: from.range)], file)
        }
        return (before, after)
    }

    /// The contact rows of `ids` (ascending), read by id in chunks.
    private func rows(of ids: [Int64], _ row: ([SQLValue]) throws -> Void) throws {
        try runtime {
            try contactRows(ids: ids) { r in
                var values: [SQLValue] = []
                for i in 0..<r.count { values.append(r.value(i)) }
                try row(values)
            }
        }
    }
}
