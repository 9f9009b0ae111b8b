// CSV with a header row → canonical records (docs/import.md, "CSV").
//
// RFC 4180 fields: comma-separated, optionally double-quoted, `""` for a quote inside
// quotes, and quoted fields may span lines (the row is named by its first line). Header
// names are matched case-insensitively, spaces and hyphens read as underscores.
//   - a `record` column: each row is a canonical record, the columns its members;
//   - else a column read as `kind` (`--map`, the name, or a synonym such as Event or
//     Type): each row is an event (id, kind, contact, campaign, ts, message, url, bounce,
//     reason, machine, footer; Date → ts, Link → url, the e-mail column → contact; other
//     columns are ignored and named in the summary);
//   - else, with an e-mail or phone column and no event column, each row is a contact:
//     email, phone, first_name, last_name, created_at, and every other column an
//     attribute, its name normalised to one a query can write (`Signup Date` →
//     `signup_date`), one type per column decided from all its cells once the input
//     is read (boolean, integer, decimal, date, else text; a numeral with a leading
//     zero is no number) unless `--type` gives it; an empty cell sets nothing);
//   - else the header is neither shape: one bad record that names the shapes.
// What the header was read as goes to the summary as a note.
// Rows are checked by the canonical decoder, so they follow the same rules and messages.
//
// One file, though long: the field reader, the header's mapping and the column typing
// make one pass over the rows, and the three shapes above are chosen from one header.

/// Why a `--map` argument was refused.
public struct CSVMapError: Error, Sendable {
    public var message: String
}

/// Cuts CSV lines into rows and decodes each.
public struct CSVReader {
    private enum Shape {
        case records, events, contacts
    }

    /// What a column becomes.
    private enum Column {
        case member(Member)
        case attribute(String)
        case ignored
    }

    private var columns: [Column]?
    private var shape = Shape.contacts
    /// The header was refused: rows are not read.
    private var unusable = false
    private var pending: [UInt8] = []
    private var pendingLine = 0
    private var quotes = 0
    private var decoder: CanonicalDecoder
    /// `--map`: normalised header name → member key, `attribute` or `ignore`.
    private let map: [String: String]
    /// `--type`: normalised header name → a column type's name.
    private let types: [String: String]
    /// Contact rows held until the end of the input, when each attribute column's type is
    /// decided from all its cells.
    private var held: [(line: Int, cells: [String])] = []
    /// Per column: the types every non-empty cell so far fits.
    private var fits: [Set<ColumnType>] = []
    /// Per column: whether it has a non-empty cell.
    private var filled: [Bool] = []

    /// The type of an attribute column, decided from the whole column.
    enum ColumnType: String, CaseIterable {
        case boolean, integer, decimal, date, text

        /// How the summary names it, with what the store keeps.
        var described: String {
            switch self {
            case .boolean: "boolean"
            case .integer: "number (integers)"
            case .decimal: "number"
            case .date: "date (kept as text)"
            case .text: "text"
            }
        }

        /// Whether a (non-empty) cell is of this type.
        func fits(_ cell: String) -> Bool {
            switch self {
            case .boolean: return ["true", "false", "yes", "no"].contains(cell.lowercased())
            case .integer:
                if case .integer = CSVReader.attributeValue(cell) { return true }
                return false
            case .decimal:
                switch CSVReader.attributeValue(cell) {
                case .integer, .number: return true
                default: return false
                }
            case .date:
                var c = cell
                return c.withUTF8 { b in
                    b.count >= 10 && b[4] == UInt8(ascii: "-") && b[7] == UInt8(ascii: "-")
                        && (ImportTimestamp.parse(bytes: b, local: LocalZone(name: "UTC") { _ in 0 }) != nil
                            || (b.count == 10 && ImportTimestamp.parse(cell + "T00:00Z") != nil))
                }
            case .text: return true
            }
        }

        /// A cell as the JSON value the canonical decoder stores for this type.
        func value(_ cell: String) -> JSONValue? {
            switch self {
            case .boolean:
                switch cell.lowercased() {
                case "true", "yes": return .bool(true)
                case "false", "no": return .bool(false)
                default: return nil
                }
            case .integer, .decimal:
                // As the column's type was decided: a numeral with a leading zero is no number.
                switch CSVReader.attributeValue(cell) {
                case .integer(let i): return .integer(i)
                case .number(let d): return self == .decimal ? .number(d) : nil
                default: return nil
                }
            case .date, .text: return .string(cell)
            }
        }
    }

    init(map: [String: String] = [:], types: [String: String] = [:], local: LocalZone? = nil) {
        self.map = map
        self.types = types
        decoder = CanonicalDecoder(local: local)
    }

    /// Whether `line` can be a header row this reader understands.
    /// The longest first line taken for a CSV header when the format is detected.
    static let maximumHeaderLength = 65_536

    static func looksLikeHeader(_ line: UnsafeBufferPointer<UInt8>) -> Bool {
        // Column names are short: a longer first line is no header, and is not split into
        // fields (a 100 MB line of unknown format took 2 GB to be refused).
        guard line.count <= maximumHeaderLength else { return false }
        guard case .success(let fields) = fields(line) else { return false }
        let names = Set(fields.map(normalize))
        return !names.isDisjoint(with: ["email", "phone", "kind", "record"])
            || names.contains { eventSynonyms[$0] == .kind }
    }

    /// Parses `--type Column=type,…` into normalised attribute names and column types
    /// (`boolean`, `integer`, `decimal`, `date`, `text`).
    public static func parseTypes(_ text: String) -> Result<[String: String], CSVMapError> {
        var out: [String: String] = [:]
        for part in text.split(separator: ",") {
            let pair = part.split(separator: "=", maxSplits: 1).map { String($0).trimmingSpaces }
            guard pair.count == 2, !pair[0].isEmpty, let type = ColumnType(rawValue: pair[1].lowercased()) else {
                return .failure(CSVMapError(message: "--type takes Column=type pairs separated by commas (type: \(ColumnType.allCases.map(\.rawValue).joined(separator: ", "))), not '\(part)'"))
            }
            out[attributeName(pair[0])] = type.rawValue
        }
        return .success(out)
    }

    /// Parses `--map Column=field,…` into normalised header names and fields, or says
    /// what is wrong. A field is a canonical member (`kind`, `contact`, `campaign`, `ts`,
    /// `url`, `email`, `first_name`, …), `attribute` or `ignore`.
    public static func parseMap(_ text: String) -> Result<[String: String], CSVMapError> {
        var out: [String: String] = [:]
        let fields = Set(Member.allCases.filter { $0 != .record && $0 != .attributes }.map(\.key)).union(["attribute", "ignore"])
        for part in text.split(separator: ",") {
            let pair = part.split(separator: "=", maxSplits: 1).map { String($0).trimmingSpaces }
            guard pair.count == 2, !pair[0].isEmpty, !pair[1].isEmpty else {
                return .failure(CSVMapError(message: "--map takes Column=field pairs separated by commas, not '\(part)'"))
            }
            let field = pair[1].lowercased()
            guard fields.contains(field) else {
                return .failure(CSVMapError(message: "--map: unknown field '\(pair[1])' for column '\(pair[0])' (expected one of \(fields.sorted().joined(separator: ", ")))"))
            }
            out[normalize(pair[0])] = field
        }
        return .success(out)
    }

    /// Takes one line; emits a row once its quotes are balanced.
    mutating func feed(_ line: UnsafeBufferPointer<UInt8>, line number: Int, emit: (DecodedLine) -> Void) {
        if pending.isEmpty {
            if DecodePipeline.isBlank(line) { return }
            pendingLine = number
        } else {
            pending.append(0x0A)
        }
        pending.append(contentsOf: line)
        for c in line where c == UInt8(ascii: "\"") { quotes += 1 }
        guard quotes % 2 == 0 else { return }
        let row = pending
        pending.removeAll(keepingCapacity: true)
        quotes = 0
        row.withUnsafeBufferPointer { self.row($0, line: pendingLine, emit: emit) }
    }

    /// Reports a quoted field left open at the end of the input; decides each attribute
    /// column's type and emits the contact rows held until now.
    mutating func finish(emit: (DecodedLine) -> Void) {
        if !pending.isEmpty {
            emit(DecodedLine(line: pendingLine, result: .bad(LineError(message: "a quoted field is not closed before the end of the input"))))
            pending = []
        }
        guard let columns, shape == .contacts, !held.isEmpty || !fits.isEmpty else { return }
        // One type per column: the first of boolean, integer, decimal, date that fits every
        // non-empty cell, else text; `--type` decides where it is given.
        var chosen: [Int: ColumnType] = [:]
        var report: [String] = []
        for (i, column) in columns.enumerated() {
            guard case .attribute(let name) = column else { continue }
            let forced = types[name].flatMap(ColumnType.init(rawValue:))
            let type = forced ?? (i < filled.count && filled[i] ? ColumnType.allCases.first { fits[i].contains($0) } : nil) ?? .text
            chosen[i] = type
            report.append("\(name) \(type.described)\(forced != nil ? " (--type)" : "")")
        }
        if !report.isEmpty { emit(DecodedLine(line: held.first?.line ?? 1, result: .note("column types: " + report.joined(separator: ", ")))) }
        for (line, cells) in held {
            var members: [(Member, JSONValue)] = [(.record, .string("contact"))]
            var attributes: [(String, JSONValue)] = []
            var bad: LineError?
            for (i, (cell, column)) in zip(cells, columns).enumerated() where !cell.isEmpty {
                switch column {
                case .member(let m): members.append((m, CSVReader.value(cell, for: m)))
                case .attribute(let name):
                    let type = chosen[i] ?? .text
                    if let v = type.value(cell) {
                        attributes.append((name, v))
                    } else if bad == nil {
                        bad = LineError(message: "column '\(name)' is \(type.rawValue) (--type), but this row has \"\(cell)\"")
                    }
                case .ignored: break
                }
            }
            if let bad {
                emit(DecodedLine(line: line, result: .bad(bad)))
                continue
            }
            if !attributes.isEmpty { members.append((.attributes, .object(attributes))) }
            emit(DecodedLine(line: line, result: DecodeOutcome(decoder.decode(members: members))))
        }
        held = []
    }

    private mutating func row(_ bytes: UnsafeBufferPointer<UInt8>, line: Int, emit: (DecodedLine) -> Void) {
        let cells: [String]
        switch CSVReader.fields(bytes) {
        case .success(let f): cells = f
        case .failure(let e):
            emit(DecodedLine(line: line, result: .bad(e)))
            return
        }
        guard let columns else {
            // The first row is the header; it is not a record.
            switch header(cells, emit: emit, line: line) {
            case .success(let c): self.columns = c
            case .failure(let e):
                unusable = true
                self.columns = []
                emit(DecodedLine(line: line, result: .bad(e)))
            }
            return
        }
        if unusable { return }
        guard cells.count <= columns.count else {
            emit(DecodedLine(line: line, result: .bad(LineError(
                message: "this row has \(cells.count) fields but the header has \(columns.count)"))))
            return
        }
        if shape == .contacts {
            // Held: the attribute columns' types are decided from every row (`finish`).
            if fits.isEmpty {
                fits = Array(repeating: Set(ColumnType.allCases), count: columns.count)
                filled = Array(repeating: false, count: columns.count)
            }
            for (i, cell) in cells.enumerated() where !cell.isEmpty {
                guard case .attribute = columns[i] else { continue }
                filled[i] = true
                fits[i] = fits[i].filter { $0.fits(cell) }
            }
            held.append((line, cells))
            return
        }
        var members: [(Member, JSONValue)] = []
        var attributes: [(String, JSONValue)] = []
        switch shape {
        case .records: break
        case .events: members.append((.record, .string("event")))
        case .contacts: members.append((.record, .string("contact")))
        }
        for (cell, column) in zip(cells, columns) where !cell.isEmpty {
            switch column {
            case .member(let m): members.append((m, CSVReader.value(cell, for: m)))
            case .attribute(let name): attributes.append((name, CSVReader.attributeValue(cell)))
            case .ignored: break
            }
        }
        if !attributes.isEmpty { members.append((.attributes, .object(attributes))) }
        emit(DecodedLine(line: line, result: DecodeOutcome(decoder.decode(members: members))))
    }

    /// Header names that mean an event member, beyond the members' own names.
    static let eventSynonyms: [String: Member] = [
        "event": .kind, "type": .kind, "action": .kind, "event_type": .kind, "status": .kind,
        "date": .ts, "time": .ts, "timestamp": .ts, "date_time": .ts, "datetime": .ts, "event_time": .ts,
        "occurred_at": .ts, "link": .url, "clicked_url": .url, "campaign_name": .campaign,
        "recipient": .contact, "email_address": .contact,
    ]

    /// The event members a column can be.
    static let eventMembers: Set<Member> = [.id, .kind, .contact, .campaign, .ts, .message, .url, .bounce, .reason, .machine, .footer]

    /// Reads the header: the shape (records, events or contacts) and what each column is.
    /// `--map` entries come first, then the members' own names, then the synonyms. Emits
    /// a note naming what was read other than as written (synonyms, mapped columns,
    /// normalised attribute names, ignored columns).
    private mutating func header(_ cells: [String], emit: (DecodedLine) -> Void, line: Int) -> Result<[Column], LineError> {
        let names = cells.map(CSVReader.normalize)
        var seen: Set<String> = []
        for n in names where !n.isEmpty {
            if !seen.insert(n).inserted { return .failure(LineError(message: "the header names column '\(n)' twice")) }
        }
        let byKey = Dictionary(uniqueKeysWithValues: Member.allCases.map { ($0.key, $0) })
        if seen.contains("record") {
            shape = .records
            return .success(names.map { byKey[$0].map { $0 == .attributes ? .ignored : .member($0) } ?? .ignored })
        }
        var read: [String] = []
        func show(_ i: Int) -> String { "'\(cells[i].trimmingSpaces)'" }
        // What each column means, before the shape is known: a mapped field, a member, a synonym.
        var explicit: [Int: Column] = [:]
        for (i, n) in names.enumerated() {
            guard let field = map[n] else { continue }
            switch field {
            case "ignore": explicit[i] = .ignored
            case "attribute": explicit[i] = .attribute(CSVReader.attributeName(cells[i]))
            default:
                if let m = byKey[field] { explicit[i] = .member(m) }
            }
            read.append("\(show(i)) → \(field) (--map)")
        }
        func member(_ i: Int) -> Member? {
            if case .member(let m)? = explicit[i] { return m }
            if explicit[i] != nil { return nil }
            return byKey[names[i]] ?? CSVReader.eventSynonyms[names[i]]
        }
        let isEvents = names.indices.contains { member($0) == .kind }
        if isEvents {
            shape = .events
            let hasContact = names.indices.contains { member($0) == .contact }
            var ignored: [String] = []
            let columns: [Column] = names.indices.map { i in
                if let c = explicit[i] { return c }
                var m = member(i)
                // The e-mail (or phone) column names the contact when none is called so.
                if !hasContact, m == .email || m == .phone { m = .contact }
                guard let m, CSVReader.eventMembers.contains(m) else {
                    if !names[i].isEmpty { ignored.append(show(i)) }
                    return .ignored
                }
                if m.key != names[i] { read.append("\(show(i)) → \(m.key)") }
                return .member(m)
            }
            let required: [Member] = [.kind, .contact, .campaign, .ts]
            let missing = required.filter { r in !columns.contains { if case .member(r) = $0 { true } else { false } } }
            if !missing.isEmpty {
                return .failure(LineError(message: """
                    this looks like events (a column is read as 'kind') but no column is read as \
                    \(missing.map { "'\($0.key)'" }.joined(separator: ", ")); name one with \
                    --map COLUMN=\(missing[0].key); nothing below the header was read
                    """))
            }
            var note = "events"
            if !read.isEmpty { note += "; columns read as: " + read.joined(separator: ", ") }
            if !ignored.isEmpty { note += "; columns ignored: " + ignored.joined(separator: ", ") }
            emit(DecodedLine(line: line, result: .note(note)))
            return .success(columns)
        }
        let contactMembers: [String: Member] = ["email": .email, "phone": .phone, "first_name": .firstName,
                                                "last_name": .lastName, "created_at": .createdAt]
        let hasContactKey = names.indices.contains { i in
            if case .member(let m)? = explicit[i] { return m == .email || m == .phone }
            return explicit[i] == nil && (names[i] == "email" || names[i] == "phone")
        }
        // Columns that only events have: such a header is neither shape.
        let eventOnly = names.indices.filter { i in
            guard explicit[i] == nil, contactMembers[names[i]] == nil, let m = member(i) else { return false }
            return CSVReader.eventMembers.contains(m) && m != .id
        }
        guard hasContactKey, eventOnly.isEmpty else {
            var message = "the header is neither the contacts shape (an 'email' or 'phone' column; every other column an attribute) "
                + "nor the events shape (columns 'kind', 'contact', 'campaign', 'ts'; synonyms such as Event, Type or Action for "
                + "kind, Date, Time or Timestamp for ts, URL or Link for url)"
            if !eventOnly.isEmpty {
                message += "; \(eventOnly.map(show).joined(separator: ", ")) \(eventOnly.count == 1 ? "is an event column" : "are event columns") but no column is the event's kind"
            } else {
                message += "; no column is 'email' or 'phone'"
            }
            message += ". Say what the columns are with --map, e.g. --map Type=kind or --map Date=attribute; nothing below it was read"
            return .failure(LineError(message: message))
        }
        shape = .contacts
        var renamed: [String] = []
        let columns: [Column] = zip(cells, names).enumerated().map { i, pair in
            let (cell, n) = pair
            if let c = explicit[i] { return c }
            if let m = contactMembers[n] { return .member(m) }
            let written = cell.trimmingSpaces
            let name = CSVReader.attributeName(written)
            if name.isEmpty { return .ignored }
            if name != written { renamed.append("'\(written)' → \(name)") }
            return .attribute(name)
        }
        var note = "contacts"
        if !read.isEmpty { note += "; columns read as: " + read.joined(separator: ", ") }
        if !renamed.isEmpty { note += "; attribute names normalised: " + renamed.joined(separator: ", ") }
        emit(DecodedLine(line: line, result: .note(note)))
        return .success(columns)
    }

    /// An attribute name a query can write: lower-case, every run of characters other
    /// than letters, digits and `_` as one `_`, none at either end (`Signup Date` →
    /// `signup_date`, `VIP?` → `vip`); a name that would start with a digit gets `_`.
    static func attributeName(_ header: String) -> String {
        var out = ""
        var pendingUnderscore = false
        for ch in header.lowercased() {
            if ch.isLetter || ch.isNumber || ch == "_" {
                if pendingUnderscore, !out.isEmpty { out.append("_") }
                pendingUnderscore = false
                out.append(ch)
            } else {
                pendingUnderscore = true
            }
        }
        if let f = out.first, f.isNumber { out = "_" + out }
        return out
    }

    /// `First Name` → `first_name`.
    static func normalize(_ name: String) -> String {
        String(name.trimmingSpaces.lowercased().map { $0 == " " || $0 == "-" ? "_" : $0 })
    }

    /// A cell as the JSON value the canonical member expects.
    private static func value(_ cell: String, for m: Member) -> JSONValue {
        switch m {
        case .ts, .createdAt, .sentAt, .message, .messages:
            if let i = Int64(cell) { return .integer(i) }
        case .machine, .footer:
            switch cell.lowercased() {
            case "true", "yes", "1": return .bool(true)
            case "false", "no", "0": return .bool(false)
            default: break
            }
        default: break
        }
        return .string(cell)
    }

    /// An attribute cell: a number when it reads as one (not a numeral with a leading
    /// zero, such as a postcode), else text.
    private static func attributeValue(_ cell: String) -> JSONValue {
        let u = Array(cell.utf8)
        var i = u.first == UInt8(ascii: "-") ? 1 : 0
        let digitsStart = i
        var sawDot = false, sawDigit = false
        while i < u.count {
            let c = u[i]
            if c >= 0x30 && c <= 0x39 { sawDigit = true } else if c == UInt8(ascii: "."), !sawDot { sawDot = true } else { return .string(cell) }
            i += 1
        }
        guard sawDigit else { return .string(cell) }
        if u.count - digitsStart > 1, u[digitsStart] == 0x30, u[digitsStart + 1] != UInt8(ascii: ".") { return .string(cell) }
        if !sawDot, let n = Int64(cell) { return .integer(n) }
        if let d = Double(cell) { return .number(d) }
        return .string(cell)
    }

    /// The fields of one row.
    static func fields(_ b: UnsafeBufferPointer<UInt8>) -> Result<[String], LineError> {
        var out: [String] = []
        var field: [UInt8] = []
        var i = 0
        let n = b.count
        while true {
            field.removeAll(keepingCapacity: true)
            while i < n, b[i] == 0x20 || b[i] == 0x09 { i += 1 }
            if i < n, b[i] == UInt8(ascii: "\"") {
                i += 1
                while true {
                    guard i < n else { return .failure(LineError(message: "a quoted field is not closed")) }
                    if b[i] == UInt8(ascii: "\"") {
                        if i + 1 < n, b[i + 1] == UInt8(ascii: "\"") {
                            field.append(UInt8(ascii: "\""))
                            i += 2
                            continue
                        }
                        i += 1
                        break
                    }
                    field.append(b[i])
                    i += 1
                }
                while i < n, b[i] == 0x20 || b[i] == 0x09 { i += 1 }
                guard i == n || b[i] == UInt8(ascii: ",") else {
                    return .failure(LineError(message: "field \(out.count + 1): text after a closing quote (write a quote inside quotes as \"\")"))
                }
                out.append(String(decoding: field, as: UTF8.self))
            } else {
                while i < n, b[i] != UInt8(ascii: ",") {
                    field.append(b[i])
                    i += 1
                }
                out.append(String(decoding: field, as: UTF8.self).trimmingSpaces)
            }
            if i >= n { return .success(out) }
            i += 1  // the comma
        }
    }
}

extension String {
    /// Without leading and trailing spaces and tabs.
    var trimmingSpaces: String {
        var s = Substring(self)
        while let f = s.first, f == " " || f == "\t" { s.removeFirst() }
        while let l = s.last, l == " " || l == "\t" { s.removeLast() }
        return String(s)
    }
}
