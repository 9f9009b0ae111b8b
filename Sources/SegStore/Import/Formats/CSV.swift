// CSV with a header row → canonical records (docs/import.md, "CSV").
//
// RFC 4180 fields: comma-separated, optionally double-quoted, `""` for a quote inside
// quotes, and quoted fields may span lines (the row is named by its first line). Header
// names are matched case-insensitively, spaces and hyphens read as underscores.
//   - a `record` column: each row is a canonical record, the columns its members;
//   - else a `kind` column: each row is an event (id, kind, contact, campaign, ts,
//     message, url, bounce, reason, machine; other columns are ignored);
//   - else each row is a contact: email, phone, first_name, last_name, created_at, and
//     every other column an attribute (integers and decimals become numbers, except
//     numerals with a leading zero such as postcodes; an empty cell sets nothing).
// Rows are checked by the canonical decoder, so they follow the same rules and messages.

/// Cuts CSV lines into rows and decodes each.
struct CSVReader {
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
    private var decoder = CanonicalDecoder()

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

    /// Reports a quoted field left open at the end of the input.
    mutating func finish(emit: (DecodedLine) -> Void) {
        guard !pending.isEmpty else { return }
        emit(DecodedLine(line: pendingLine, result: .bad(LineError(message: "a quoted field is not closed before the end of the input"))))
        pending = []
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
            switch header(cells) {
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

    private mutating func header(_ cells: [String]) -> Result<[Column], LineError> {
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
        if seen.contains("kind") {
            shape = .events
            let eventMembers: Set<Member> = [.id, .kind, .contact, .campaign, .ts, .message, .url, .bounce, .reason, .machine]
            return .success(names.map { n in byKey[n].flatMap { eventMembers.contains($0) ? .member($0) : nil } ?? .ignored })
        }
        guard seen.contains("email") || seen.contains("phone") else {
            return .failure(LineError(message: """
                the header row needs an 'email' or 'phone' column (contacts), a 'kind' column (events) \
                or a 'record' column; nothing below it was read
                """))
        }
        shape = .contacts
        let contactMembers: [String: Member] = ["email": .email, "phone": .phone, "first_name": .firstName,
                                                "last_name": .lastName, "created_at": .createdAt]
        return .success(zip(cells, names).map { cell, n in
            if let m = contactMembers[n] { return .member(m) }
            let name = cell.trimmingSpaces
            return name.isEmpty ? .ignored : .attribute(name)
        })
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
