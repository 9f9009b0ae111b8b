// `show QUERY with columns …` / `export QUERY with columns … to "f"`: the contacts with
// the columns asked for, in that order. The contacts come as for a plain `show` (the
// usual five columns, contact_id first, by either engine path); the other columns are
// read for a thousand contacts at a time — attributes from contact_attributes,
// created_at from contacts, last_opened / last_clicked from the contact_activity rollup
// (the latest open, machine or not; the latest click on a non-footer link) — so rows
// still stream and a column costs one indexed read per batch.

import SegQL
import SegStore

/// The columns a `with columns` clause names, checked against the store.
struct ChosenColumns {
    enum Column: Equatable {
        case base(Int)            // an index into contact_id, email, phone, first_name, last_name
        case createdAt
        case attribute(String)
        case lastOpened, lastClicked
    }

    static let base = ["contact_id", "email", "phone", "first_name", "last_name"]

    var names: [String]
    var columns: [Column]

    /// Resolves `names`; an unknown or repeated column is a compile error at its name.
    init(_ names: [Name], catalog: Catalog, file: SourceFile) throws {
        self.names = names.map(\.text)
        columns = []
        var seen: Set<String> = []
        for n in names {
            guard seen.insert(n.text).inserted else {
                throw SessionError.compile([.error("column '\(n.text)' is named twice", at: n.range)], file)
            }
            if let i = Self.base.firstIndex(of: n.text) {
                columns.append(.base(i))
            } else if n.text == "created_at" {
                columns.append(.createdAt)
            } else if n.text == "last_opened" {
                columns.append(.lastOpened)
            } else if n.text == "last_clicked" {
                columns.append(.lastClicked)
            } else if catalog.attributes.contains(n.text) {
                columns.append(.attribute(n.text))
            } else {
                let known = Self.base + ["created_at", "last_opened", "last_clicked"] + catalog.attributes.sorted()
                let near = Suggestions.nearest(to: n.text, among: known)
                throw SessionError.compile([.error(
                    "no column '\(n.text)': a column is a contact field, a custom attribute, last_opened or last_clicked"
                        + (near.map { "; did you mean '\($0)'?" } ?? ""), at: n.range, suggestion: near)], file)
            }
        }
    }

    var attributes: [String] {
        columns.compactMap { if case .attribute(let a) = $0 { return a } else { return nil } }
    }

    /// The chosen columns of `rows` (each the usual five, contact_id first), read from `store`.
    func values(of rows: [[SQLValue]], in store: Store) throws -> [[SQLValue]] {
        let ids = rows.compactMap { row -> Int64? in if case .integer(let id) = row[0] { return id } else { return nil } }
        var created: [Int64: SQLValue] = [:]
        var opened: [Int64: SQLValue] = [:]
        var clicked: [Int64: SQLValue] = [:]
        var attributeValues: [Int64: [String: SQLValue]] = [:]
        func time(_ t: Int64?) -> SQLValue { t.map { .text(Timestamp.iso8601($0)) } ?? .null }
        if columns.contains(.createdAt) {
            for (id, t) in try store.creationTimes(ofContacts: ids) { created[id] = time(t) }
        }
        if columns.contains(.lastOpened) || columns.contains(.lastClicked) {
            for (id, last) in try store.lastEngagement(ofContacts: ids) {
                opened[id] = time(last.opened)
                clicked[id] = time(last.clicked)
            }
        }
        let wanted = attributes
        if !wanted.isEmpty {
            for r in try store.attributes(wanted, ofContacts: ids) {
                let a = Session.attribute(name: r.name, type: r.type, value: r.value)
                let v: SQLValue
                switch r.type {
                case "number": v = Int64(a.text).map(SQLValue.integer) ?? Double(a.text).map(SQLValue.real) ?? .text(a.text)
                default: v = .text(a.text)
                }
                attributeValues[r.contact, default: [:]][a.name] = v
            }
        }
        return rows.map { row in
            let id: Int64 = if case .integer(let n) = row[0] { n } else { -1 }
            return columns.map { column in
                switch column {
                case .base(let i): row[i]
                case .createdAt: created[id] ?? .null
                case .lastOpened: opened[id] ?? .null
                case .lastClicked: clicked[id] ?? .null
                case .attribute(let a): attributeValues[id]?[a] ?? .null
                }
            }
        }
    }
}

extension Session {
    /// The chosen columns of `names`, checked against the store (nil: the usual five).
    func chosenColumns(_ names: [Name]?, in file: SourceFile) throws -> ChosenColumns? {
        guard let names else { return nil }
        return try ChosenColumns(names, catalog: try loadCatalog(), file: file)
    }

    /// Streams `rows` (each the usual five columns) through `chosen` to `emit`, a
    /// thousand at a time; without `chosen`, row by row as they are.
    func withColumns(
        _ chosen: ChosenColumns?, _ produce: (([SQLValue]) throws -> Void) throws -> Void, emit: ([SQLValue]) throws -> Void
    ) throws {
        try withoutActuallyEscaping(emit) { emit in
            guard let chosen else {
                try produce(emit)
                return
            }
            var batch: [[SQLValue]] = []
            func flush() throws {
                let out = try runtime { try chosen.values(of: batch, in: store) }
                for row in out { try emit(row) }
                batch.removeAll(keepingCapacity: true)
            }
            try produce { row in
                batch.append(row)
                if batch.count == 1_000 { try flush() }
            }
            if !batch.isEmpty { try flush() }
        }
    }
}
