// `contact "ana@example.com"`: one contact's whole story, as a CRM's customer page
// shows it — the fields and attributes, the saved lists and segments it is in, whether
// it is suppressed and by which events, and every event across campaigns, newest
// first, with times in the session's time zone (`--tz`, `.tz`). As text, the facts
// come first and the events follow as rows in the output format (a table, or CSV);
// with `--format json` / `jsonl` the same data is one JSON object.
//
// Segments are evaluated now, each as `segment NAME and <this contact>`, through the
// planner like any query; lists are read from their frozen members.

import Foundation
import SegQL
import SegStore

/// Everything `contact` shows about one contact.
public struct ContactCard: Equatable {
    /// One event of the contact's history.
    public struct Event: Equatable {
        public var ts: Int64
        public var campaign: String
        public var message: Int64
        public var kind: EventKind
        public var url: String?
        public var bounce: String?
        public var reason: String?
        public var machine: Bool
    }

    public var id: Int64
    public var email: String?
    public var phone: String?
    public var firstName: String?
    public var lastName: String?
    public var createdAt: Int64?
    /// Custom attributes by name, as JSON values (`"SE"`, `42`, `true`).
    public var attributes: [(name: String, json: String, text: String)]
    public var lists: [String]
    public var segments: [String]
    /// The events that suppress the contact (unsubscribed, complained, hard bounce), oldest first.
    public var suppressedBy: [Event]
    /// Every event, newest first.
    public var events: [Event]

    public static func == (a: ContactCard, b: ContactCard) -> Bool {
        a.id == b.id && a.email == b.email && a.phone == b.phone && a.lists == b.lists && a.segments == b.segments
            && a.events == b.events && a.attributes.map(\.json) == b.attributes.map(\.json)
    }
}

extension Session {
    /// Runs `contact KEY`: finds the contact (a compile error at KEY when there is none)
    /// and writes its card.
    public func contact(_ key: ContactKey, in file: SourceFile) throws {
        let card = try contactCard(key, in: file)
        let zone = try contactZone()
        if let writer = output as? ResultWriter, writer.format == .json || writer.format == .jsonl {
            output.text(Self.json(card, zone: zone, zoneName: timeZone))
            return
        }
        output.text(Self.facts(card, zone: zone, zoneName: timeZone))
        output.beginRows(columns: ["time", "campaign", "message", "kind", "link", "bounce", "reason", "machine"])
        for e in card.events {
            output.row([
                .text(Self.localTime(e.ts, zone)), .text(e.campaign), .integer(e.message), .text(e.kind.verb),
                e.url.map(SQLValue.text) ?? .null, e.bounce.map(SQLValue.text) ?? .null, e.reason.map(SQLValue.text) ?? .null,
                e.kind == .opened ? .text(e.machine ? "yes" : "no") : .null,
            ])
        }
        output.endRows()
    }

    private func contactZone() throws -> TimeZone {
        guard let zone = TimeZone(identifier: timeZone) else { throw SessionError.unknownTimeZone(timeZone) }
        return zone
    }

    /// The card of the contact `key` names.
    public func contactCard(_ key: ContactKey, in file: SourceFile) throws -> ContactCard {
        let lookup: ContactLookup
        let what: String
        switch key {
        case .id(let n, _):
            (lookup, what) = (.id(n), "the id \(n)")
        case .text(let s, _) where s.contains("@"):
            (lookup, what) = (.email(s.lowercased()), "the e-mail '\(s)'")
        case .text(let s, _):
            (lookup, what) = (.phone(s), "the phone number '\(s)'")
        }
        guard let found = try runtime({ try store.contact(lookup) }) else {
            throw SessionError.compile([.error("no contact with \(what)", at: key.range)], file)
        }
        var card = ContactCard(
            id: found.id, email: found.email, phone: found.phone, firstName: found.firstName, lastName: found.lastName,
            createdAt: found.createdAt, attributes: [], lists: [], segments: [], suppressedBy: [], events: [])
        try runtime {
            card.attributes = try store.attributes(ofContact: card.id).map { Self.attribute(name: $0.name, type: $0.type, value: $0.value) }
            card.lists = try store.listNames(withMember: card.id)
            card.events = try store.events(ofContact: card.id).map {
                ContactCard.Event(ts: $0.ts, campaign: $0.campaign, message: $0.message, kind: $0.kind, url: $0.url,
                                  bounce: $0.bounce, reason: $0.reason, machine: $0.machine)
            }
        }
        card.suppressedBy = card.events.reversed().filter {
            $0.kind == .unsubscribed || $0.kind == .complained || ($0.kind == .bounced && $0.bounce == "hard")
        }
        // Segments, evaluated now: `segment NAME and email = …` (or phone), one count each.
        let catalog = try loadCatalog()
        let r = SourceRange(0, 0)
        let identity: Query = card.email.map {
            Query(.field(FieldCondition(field: Name(text: "email", range: r), test: .compare(.equal, Value(.string($0), range: r)), range: r)), range: r)
        } ?? Query(.field(FieldCondition(
            field: Name(text: "phone", range: r), test: .compare(.equal, Value(.string(card.phone ?? ""), range: r)), range: r)), range: r)
        let savedContext = campaignContext
        campaignContext = nil
        defer { campaignContext = savedContext }
        for name in catalog.segments.keys.sorted() {
            let q = Query(.and(Query(.segment(Name(text: name, quoted: true, range: r)), range: r), identity), range: r)
            let compiled = try compile(q, projection: .count, in: SourceFile(name: "segment \"\(name)\"", text: ""))
            if try count(compiled) > 0 { card.segments.append(name) }
        }
        return card
    }

    /// An attribute as a JSON value and as text: numbers without a needless `.0`,
    /// booleans as `true`/`false` (SQLite keeps them as 1 and 0).
    static func attribute(name: String, type: String, value: SQLValue) -> (name: String, json: String, text: String) {
        let raw = value.plainText
        switch type {
        case "number":
            let d = Double(raw) ?? 0
            let text = d.rounded() == d && abs(d) < 1e15 ? String(Int64(d)) : String(d)
            return (name, text, text)
        case "boolean":
            let b = raw == "1" || raw == "true"
            return (name, b ? "true" : "false", b ? "true" : "false")
        default:
            return (name, JSONText.string(raw), raw)
        }
    }

    /// `2026-03-01 10:00:00 +01:00`: the instant in `zone`.
    static func localTime(_ t: Int64, _ zone: TimeZone) -> String {
        let offset = zone.offset(at: t)
        let sign = offset < 0 ? "-" : "+"
        let m = abs(offset) / 60
        func two(_ v: Int64) -> String { v < 10 ? "0\(v)" : "\(v)" }
        return zone.wallClock(t) + " \(sign)\(two(m / 60)):\(two(m % 60))"
    }

    static func describe(_ e: ContactCard.Event, _ zone: TimeZone) -> String {
        let what = e.kind == .bounced ? "hard-bounced" : e.kind.verb
        return "\(what) in '\(e.campaign)' at \(localTime(e.ts, zone))" + (e.reason.map { " (\($0))" } ?? "")
    }

    /// The facts above the event rows.
    static func facts(_ c: ContactCard, zone: TimeZone, zoneName: String) -> String {
        var lines: [(String, String)] = [
            ("contact", String(c.id)), ("email", c.email ?? ""), ("phone", c.phone ?? ""),
            ("first_name", c.firstName ?? ""), ("last_name", c.lastName ?? ""),
            ("created_at", c.createdAt.map { localTime($0, zone) } ?? ""),
        ]
        lines += c.attributes.map { ($0.name, $0.text) }
        lines.append(("lists", c.lists.isEmpty ? "(none)" : c.lists.joined(separator: ", ")))
        lines.append(("segments", c.segments.isEmpty ? "(none)" : c.segments.joined(separator: ", ")))
        lines.append(("suppressed", c.suppressedBy.isEmpty ? "no" : "yes: " + c.suppressedBy.map { describe($0, zone) }.joined(separator: "; ")))
        lines.append(("events", "\(c.events.count), newest first, times in \(zoneName)"))
        let width = lines.map(\.0.count).max() ?? 0
        return lines.map { label, value in
            let line = label + String(repeating: " ", count: width - label.count + 2) + value
            return value.isEmpty ? String(line.reversed().drop { $0 == " " }.reversed()) : line
        }.joined(separator: "\n")
    }

    /// The card as one JSON object.
    static func json(_ c: ContactCard, zone: TimeZone, zoneName: String) -> String {
        func s(_ v: String?) -> String { v.map(JSONText.string) ?? "null" }
        func event(_ e: ContactCard.Event) -> String {
            "{\"time\": \(s(localTime(e.ts, zone))), \"ts\": \(s(Timestamp.iso8601(e.ts))), \"campaign\": \(s(e.campaign)), "
                + "\"message\": \(e.message), \"kind\": \(s(e.kind.verb)), \"link\": \(s(e.url)), \"bounce\": \(s(e.bounce)), "
                + "\"reason\": \(s(e.reason)), \"machine\": \(e.kind == .opened ? (e.machine ? "true" : "false") : "null")}"
        }
        let attributes = "{" + c.attributes.map { "\(JSONText.string($0.name)): \($0.json)" }.joined(separator: ", ") + "}"
        return "{\"contact_id\": \(c.id), \"email\": \(s(c.email)), \"phone\": \(s(c.phone)), "
            + "\"first_name\": \(s(c.firstName)), \"last_name\": \(s(c.lastName)), "
            + "\"created_at\": \(s(c.createdAt.map(Timestamp.iso8601))), \"attributes\": \(attributes), "
            + "\"lists\": [\(c.lists.map(JSONText.string).joined(separator: ", "))], "
            + "\"segments\": [\(c.segments.map(JSONText.string).joined(separator: ", "))], "
            + "\"suppressed\": \(c.suppressedBy.isEmpty ? "false" : "true"), "
            + "\"suppressed_by\": [\(c.suppressedBy.map(event).joined(separator: ", "))], "
            + "\"time_zone\": \(s(zoneName)), "
            + "\"events\": [\(c.events.map(event).joined(separator: ", "))]}"
    }
}
