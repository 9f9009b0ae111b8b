// Decoding one line of the canonical JSON Lines format into a checked `ImportRecord`.
//
// The rules are IMPORT.md's, made precise (docs/import.md states them for users):
// - `record` is required and is one of contact, campaign, link, event.
// - Required members: contact: `email` or `phone`; campaign: `name`; link: `campaign`,
//   `url`; event: `kind`, `contact`, `campaign`, `ts`.
// - A member whose value is `null` is treated as absent, except inside `attributes`,
//   where null removes the attribute.
// - Kind-specific members (`url` on clicked, `bounce` on bounced, `reason` on dropped
//   and bounced, `machine` on opened) are refused on other kinds rather than stored
//   where nothing would ever read them.
// - Unknown members are ignored, so that producers may add their own.
// A line that breaks a rule becomes a `LineError` whose message says what is wrong.
//
// One file, though long: every member of every record kind is checked here, beside the
// rule above that it enforces, so that the rules and the code read side by side.

import SegQL

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An attribute value as imported: its type decides how queries compare it.
public enum AttributeValue: Hashable, Sendable {
    /// A JSON string (type `string`).
    case string(String)
    /// An integral JSON number (type `number`, stored as INTEGER).
    case integer(Int64)
    /// Any other JSON number (type `number`, stored as REAL).
    case real(Double)
    /// `true` or `false` (type `boolean`, stored as 1 or 0).
    case boolean(Bool)

    /// The `contact_attributes.type` text.
    public var typeName: String {
        switch self {
        case .string: "string"
        case .integer, .real: "number"
        case .boolean: "boolean"
        }
    }

    /// The value a store row holds (`contact_attributes.type` and `value`, as SQLite
    /// keeps it), or nil when the two do not agree.
    public init?(type: String, stored: SQLValue) {
        switch (type, stored) {
        case ("string", .text(let s)): self = .string(s)
        case ("number", .integer(let i)): self = .integer(i)
        case ("number", .real(let d)): self = .real(d)
        case ("boolean", .integer(let i)): self = .boolean(i != 0)
        default: return nil
        }
    }

    /// The value as JSON text (PostgreSQL stores attributes as `jsonb`).
    public var jsonText: String {
        switch self {
        case .string(let s): JSONText.string(s)
        case .integer(let i): String(i)
        case .real(let d): d.isFinite ? String(d) : "null"
        case .boolean(let b): b ? "true" : "false"
        }
    }

    /// The stored value (booleans as 1/0).
    public var sqlValue: SQLValue {
        switch self {
        case .string(let s): .text(s)
        case .integer(let i): .integer(i)
        case .real(let d): .real(d)
        case .boolean(let b): .integer(b ? 1 : 0)
        }
    }
}

/// A campaign's channel.
public enum Channel: String, Sendable, CaseIterable {
    /// E-mail, with opens and clicks tracked.
    case email
    /// SMS: no open tracking, only clicks.
    case sms
}

/// A contact declaration.
struct ContactRecord {
    var email: String?
    var phone: String?
    var firstName: String?
    var lastName: String?
    var createdAt: Int64?
    /// Attributes in the order written; `nil` removes the attribute.
    var attributes: [(String, AttributeValue?)] = []
}

/// A campaign declaration.
struct CampaignRecord {
    var name: String
    var channel: Channel?
    var subject: String?
    var sentAt: Int64?
    var messages: Int64?
}

/// A link declaration.
struct LinkRecord {
    var campaign: String
    var url: String
    /// Declared; nil leaves it to `FooterLinks` for a new link, and unchanged for a stored one.
    var footer: Bool?
}

/// An event.
struct EventRecord {
    var kind: EventKind
    /// The e-mail address (lower-cased) or phone number.
    var contact: String
    var contactIsEmail: Bool
    var campaign: String
    var ts: Int64
    var message: Int64 = 1
    var url: String?
    var bounce: String?
    var reason: String?
    var machine: Bool = false
    /// On a click: declares whether its link is a footer link (nil: `FooterLinks` decides
    /// for a new link; a stored link keeps its flag).
    var footer: Bool?
    var id: String?
    /// Set by the decoding thread (`RunInterner`): the id repeats an earlier event's of the run.
    var repeated = false
    /// Set by the decoding thread: the run's number for this contact and campaign (-1:
    /// none), an index into the names it passed on with the batches (`FreshNames`).
    var contactKey: Int32 = -1
    var campaignKey: Int32 = -1
}

/// One decoded line.
enum ImportRecord {
    case contact(ContactRecord)
    case campaign(CampaignRecord)
    case link(LinkRecord)
    case event(EventRecord)
}

/// Why a line was refused (without file and line, which the importer adds).
struct LineError: Error, Equatable {
    var message: String
}

extension LineError {
    /// What a decoder reports when a record is not JSON: the scanner's message and column.
    static func invalidJSON(_ error: Error) -> LineError {
        guard let e = error as? JSONSyntaxError else { return LineError(message: "not valid JSON") }
        return LineError(message: "not valid JSON: \(e.message) (column \(e.offset + 1))")
    }

    /// One whole JSON value (nothing after it but white space), or why the record is not one.
    static func parseWhole(_ bytes: UnsafeBufferPointer<UInt8>) -> Result<JSONValue, LineError> {
        do {
            var scanner = JSONScanner(bytes)
            let value = try scanner.parseValue()
            scanner.skipWhitespace()
            if scanner.peek() != nil { throw JSONSyntaxError(message: "unexpected text after the object", offset: scanner.pos) }
            return .success(value)
        } catch {
            return .failure(invalidJSON(error))
        }
    }
}

/// The top-level members the format knows.
enum Member: Int, CaseIterable {
    case record, email, phone, firstName, lastName, createdAt, attributes
    case name, channel, subject, sentAt, messages
    case campaign, url, footer
    case id, kind, contact, ts, message, machine, bounce, reason

    var key: String {
        switch self {
        case .record: "record"
        case .email: "email"
        case .phone: "phone"
        case .firstName: "first_name"
        case .lastName: "last_name"
        case .createdAt: "created_at"
        case .attributes: "attributes"
        case .name: "name"
        case .channel: "channel"
        case .subject: "subject"
        case .sentAt: "sent_at"
        case .messages: "messages"
        case .campaign: "campaign"
        case .url: "url"
        case .footer: "footer"
        case .id: "id"
        case .kind: "kind"
        case .contact: "contact"
        case .ts: "ts"
        case .message: "message"
        case .machine: "machine"
        case .bounce: "bounce"
        case .reason: "reason"
        }
    }

    /// The member whose key is `bytes`, if it is one the format knows (no String is made).
    @inline(__always)
    static func lookup(_ b: UnsafeBufferPointer<UInt8>) -> Member? {
        guard let p = b.baseAddress else { return nil }
        @inline(__always) func eq(_ key: StaticString) -> Bool {
            memcmp(p, key.utf8Start, b.count) == 0
        }
        switch b.count {
        case 2: return eq("ts") ? .ts : eq("id") ? .id : nil
        case 3: return eq("url") ? .url : nil
        case 4: return eq("kind") ? .kind : eq("name") ? .name : nil
        case 5: return eq("email") ? .email : eq("phone") ? .phone : nil
        case 6:
            return eq("record") ? .record : eq("footer") ? .footer : eq("reason") ? .reason
                : eq("bounce") ? .bounce : nil
        case 7:
            return eq("contact") ? .contact : eq("message") ? .message : eq("machine") ? .machine
                : eq("channel") ? .channel : eq("subject") ? .subject : eq("sent_at") ? .sentAt : nil
        case 8: return eq("campaign") ? .campaign : eq("messages") ? .messages : nil
        case 9: return eq("last_name") ? .lastName : nil
        case 10:
            return eq("first_name") ? .firstName : eq("created_at") ? .createdAt
                : eq("attributes") ? .attributes : nil
        default: return nil
        }
    }
}

/// Decodes lines of the canonical format; reuses its buffers from line to line.
struct CanonicalDecoder {
    private var slots: [JSONValue?] = Array(repeating: nil, count: Member.allCases.count)
    private var filled: [Int] = []
    /// The `record` and `kind` values when recognised from their bytes (no String made).
    private var recordCode = 0
    private var kindCode: EventKind?
    /// The last `contact` and `campaign` values, by their bytes: consecutive lines mostly
    /// repeat them, and then share the String instead of making another.
    private var lastContact = RepeatedString()
    private var lastCampaign = RepeatedString()

    /// The zone of date-times written without one (`--tz`); nil refuses them.
    var local: LocalZone?

    init(local: LocalZone? = nil) {
        self.local = local
        filled.reserveCapacity(Member.allCases.count)
    }

    /// Decodes one non-blank line.
    mutating func decode(line: UnsafeBufferPointer<UInt8>) -> Result<ImportRecord, LineError> {
        for i in filled { slots[i] = nil }
        filled.removeAll(keepingCapacity: true)
        recordCode = 0
        kindCode = nil
        var scanner = JSONScanner(line)
        do {
            try scanner.parseTopObject { key, scanner in
                if let member = Member.lookup(key) {
                    if member == .contact || member == .campaign, scanner.peek() == UInt8(ascii: "\"") {
                        let start = scanner
                        if let bytes = try scanner.plainString() {
                            if let s = member == .contact ? lastContact.match(bytes) : lastCampaign.match(bytes) {
                                fill(member, .string(s))
                                return
                            }
                            scanner = start
                            // The general parse checks the UTF-8; what it makes is remembered.
                            let value = try scanner.parseValue()
                            if case .string(let s) = value {
                                if member == .contact { lastContact.remember(bytes, s) } else { lastCampaign.remember(bytes, s) }
                            }
                            fill(member, value)
                            return
                        }
                        scanner = start
                    }
                    // Fast paths: the values read most often are matched or parsed from
                    // their bytes; anything unusual falls through to the general parse.
                    if scanner.peek() == UInt8(ascii: "\""),
                       member == .record || member == .kind || member == .ts || member == .createdAt || member == .sentAt {
                        let start = scanner
                        if let bytes = try scanner.plainString() {
                            switch member {
                            case .record:
                                if let code = CanonicalDecoder.recordCode(bytes) {
                                    recordCode = code
                                    return
                                }
                            case .kind:
                                if let kind = CanonicalDecoder.kind(bytes) {
                                    kindCode = kind
                                    return
                                }
                            default:
                                if let t = ImportTimestamp.parse(bytes: bytes) {
                                    fill(member, .integer(t))
                                    return
                                }
                            }
                        }
                        scanner = start
                    }
                    let value = try scanner.parseValue()
                    if case .null = value, member != .attributes {
                        slots[member.rawValue] = nil
                    } else {
                        fill(member, value)
                    }
                } else {
                    try scanner.skipValue()
                }
            }
        } catch {
            return .failure(.invalidJSON(error))
        }
        return checkedRecord()
    }

    /// The record the filled slots make, or the first rule it breaks.
    private func checkedRecord() -> Result<ImportRecord, LineError> {
        do {
            return .success(try record())
        } catch let error as LineError {
            return .failure(error)
        } catch {
            return .failure(LineError(message: "\(error)"))
        }
    }

    /// Checks members given as values rather than JSON text (the CSV reader's rows),
    /// with exactly the rules of a JSON line.
    mutating func decode(members: [(Member, JSONValue)]) -> Result<ImportRecord, LineError> {
        for i in filled { slots[i] = nil }
        filled.removeAll(keepingCapacity: true)
        recordCode = 0
        kindCode = nil
        for (member, value) in members {
            fill(member, value)
        }
        return checkedRecord()
    }

    /// Sets a member's value, noting the slot for the next line's reset.
    @inline(__always)
    private mutating func fill(_ member: Member, _ value: JSONValue) {
        if slots[member.rawValue] == nil { filled.append(member.rawValue) }
        slots[member.rawValue] = value
    }

    // MARK: - Typed access to members

    private func value(_ m: Member) -> JSONValue? { slots[m.rawValue] }

    private func string(_ m: Member) throws -> String? {
        guard let v = value(m) else { return nil }
        guard case .string(let s) = v else { throw LineError(message: "'\(m.key)' must be a string, not \(v.typeName)") }
        return s
    }

    private func required(_ m: Member) throws -> String {
        guard let s = try string(m) else { throw LineError(message: "missing member '\(m.key)'") }
        guard !s.isEmpty else { throw LineError(message: "'\(m.key)' must not be empty") }
        return s
    }

    private func nonEmpty(_ m: Member) throws -> String? {
        guard let s = try string(m) else { return nil }
        guard !s.isEmpty else { throw LineError(message: "'\(m.key)' must not be empty") }
        return s
    }

    private func bool(_ m: Member) throws -> Bool? {
        guard let v = value(m) else { return nil }
        guard case .bool(let b) = v else { throw LineError(message: "'\(m.key)' must be true or false, not \(v.typeName)") }
        return b
    }

    private func positiveInteger(_ m: Member) throws -> Int64? {
        guard let v = value(m) else { return nil }
        guard case .integer(let i) = v, i >= 1 else {
            throw LineError(message: "'\(m.key)' must be an integer of at least 1, not \(describe(v))")
        }
        return i
    }

    private func time(_ m: Member) throws -> Int64? {
        guard let v = value(m) else { return nil }
        switch v {
        case .integer(let i): return i
        case .string(let s):
            if let t = ImportTimestamp.parse(s, local: local) { return t }
            if local == nil, ImportTimestamp.parse(s, local: LocalZone(name: "UTC") { _ in 0 }) != nil {
                throw LineError(message: "'\(m.key)' has no time zone: \(describe(v)); add one, or give the zone of such times with --tz (e.g. --tz Europe/Stockholm)")
            }
        default: break
        }
        throw LineError(message: "'\(m.key)' must be an ISO-8601 date-time with a zone or integer Unix seconds, not \(describe(v))")
    }

    private func describe(_ v: JSONValue) -> String {
        switch v {
        case .string(let s): "\"\(s.count > 40 ? String(s.prefix(40)) + "…" : s)\""
        case .integer(let i): String(i)
        case .number(let d): String(d)
        case .bool(let b): String(b)
        default: v.typeName
        }
    }

    // MARK: - Records

    static func recordCode(_ b: UnsafeBufferPointer<UInt8>) -> Int? {
        guard let p = b.baseAddress else { return nil }
        func eq(_ s: StaticString) -> Bool { b.count == s.utf8CodeUnitCount && memcmp(p, s.utf8Start, b.count) == 0 }
        return eq("event") ? 1 : eq("contact") ? 2 : eq("campaign") ? 3 : eq("link") ? 4 : nil
    }

    static func kind(_ b: UnsafeBufferPointer<UInt8>) -> EventKind? {
        guard let p = b.baseAddress else { return nil }
        func eq(_ s: StaticString) -> Bool { b.count == s.utf8CodeUnitCount && memcmp(p, s.utf8Start, b.count) == 0 }
        switch b.count {
        case 4: return eq("sent") ? .sent : nil
        case 6: return eq("opened") ? .opened : nil
        case 7: return eq("dropped") ? .dropped : eq("bounced") ? .bounced : eq("clicked") ? .clicked
            : eq("replied") ? .replied : nil
        case 9: return eq("delivered") ? .delivered : eq("forwarded") ? .forwarded : nil
        case 10: return eq("complained") ? .complained : nil
        case 12: return eq("unsubscribed") ? .unsubscribed : nil
        default: return nil
        }
    }

    private func record() throws -> ImportRecord {
        switch recordCode {
        case 1: return .event(try event())
        case 2: return .contact(try contact())
        case 3: return .campaign(try campaign())
        case 4: return .link(try link())
        default: break
        }
        guard let record = try string(.record) else { throw LineError(message: "missing member 'record'") }
        switch record {
        case "event": return .event(try event())
        case "contact": return .contact(try contact())
        case "campaign": return .campaign(try campaign())
        case "link": return .link(try link())
        default:
            throw LineError(message: "unknown record '\(record)' (expected contact, campaign, link or event)")
        }
    }

    private func contact() throws -> ContactRecord {
        var c = ContactRecord()
        if let email = try nonEmpty(.email) {
            guard email.utf8.contains(UInt8(ascii: "@")) else { throw LineError(message: "'email' must contain '@', not \"\(email)\"") }
            c.email = lowercasedEmail(email)
        }
        if let phone = try nonEmpty(.phone) {
            guard !phone.utf8.contains(UInt8(ascii: "@")) else { throw LineError(message: "'phone' must not contain '@' (put e-mail addresses in 'email')") }
            c.phone = phone
        }
        guard c.email != nil || c.phone != nil else { throw LineError(message: "missing member 'email' or 'phone' (a contact needs at least one)") }
        c.firstName = try string(.firstName)
        c.lastName = try string(.lastName)
        c.createdAt = try time(.createdAt)
        if let attrs = value(.attributes) {
            switch attrs {
            case .null: break
            case .object(let members):
                for (name, v) in members {
                    guard !name.isEmpty else { throw LineError(message: "attribute names must not be empty") }
                    switch v {
                    case .string(let s): c.attributes.append((name, .string(s)))
                    case .integer(let i): c.attributes.append((name, .integer(i)))
                    case .number(let d):
                        if d == d.rounded(), abs(d) < 9.0e15 { c.attributes.append((name, .integer(Int64(d)))) }
                        else { c.attributes.append((name, .real(d))) }
                    case .bool(let b): c.attributes.append((name, .boolean(b)))
                    case .null: c.attributes.append((name, nil))
                    case .object, .array:
                        throw LineError(message: "attribute '\(name)' must be a string, number, boolean or null, not \(v.typeName)")
                    }
                }
            default:
                throw LineError(message: "'attributes' must be an object, not \(attrs.typeName)")
            }
        }
        return c
    }

    private func campaign() throws -> CampaignRecord {
        var c = CampaignRecord(name: try required(.name))
        if let channel = try string(.channel) {
            guard let ch = Channel(rawValue: channel) else { throw LineError(message: "'channel' must be \"email\" or \"sms\", not \"\(channel)\"") }
            c.channel = ch
        }
        c.subject = try string(.subject)
        c.sentAt = try time(.sentAt)
        c.messages = try positiveInteger(.messages)
        return c
    }

    private func link() throws -> LinkRecord {
        LinkRecord(campaign: try required(.campaign), url: try required(.url), footer: try bool(.footer))
    }

    private func event() throws -> EventRecord {
        let kind: EventKind
        if let known = kindCode {
            kind = known
        } else {
            let kindName = try required(.kind)
            guard let k = EventKind.allCases.first(where: { $0.verb == kindName }) else {
            var message = "unknown kind '\(kindName)'"
            if let near = nearest(kindName, in: EventKind.allCases.map(\.verb)) { message += "; did you mean '\(near)'?" }
            else { message += " (expected one of \(EventKind.allCases.map(\.verb).joined(separator: ", ")))" }
            throw LineError(message: message)
            }
            kind = k
        }
        let contactValue = try required(.contact)
        let campaign = try required(.campaign)
        guard let ts = try time(.ts) else { throw LineError(message: "missing member 'ts'") }
        let isEmail = contactValue.utf8.contains(UInt8(ascii: "@"))
        var e = EventRecord(
            kind: kind, contact: isEmail ? lowercasedEmail(contactValue) : contactValue,
            contactIsEmail: isEmail, campaign: campaign, ts: ts)
        if let message = try positiveInteger(.message) { e.message = message }
        e.id = try nonEmpty(.id)
        if let url = try nonEmpty(.url) {
            guard kind == .clicked else { throw onlyOn(.url, "clicked", kind) }
            e.url = url
        }
        if let bounce = try string(.bounce) {
            guard kind == .bounced else { throw onlyOn(.bounce, "bounced", kind) }
            guard bounce == "hard" || bounce == "soft" else { throw LineError(message: "'bounce' must be \"hard\" or \"soft\", not \"\(bounce)\"") }
            e.bounce = bounce
        }
        if let reason = try string(.reason) {
            guard kind == .dropped || kind == .bounced else { throw onlyOn(.reason, "dropped' and 'bounced", kind) }
            e.reason = reason
        }
        if let machine = try bool(.machine) {
            guard kind == .opened else { throw onlyOn(.machine, "opened", kind) }
            e.machine = machine
        }
        if let footer = try bool(.footer) {
            guard kind == .clicked else { throw onlyOn(.footer, "clicked", kind) }
            guard e.url != nil else { throw LineError(message: "'footer' on a click needs its 'url' (it marks that link)") }
            e.footer = footer
        }
        return e
    }

    private func onlyOn(_ m: Member, _ kinds: String, _ kind: EventKind) -> LineError {
        LineError(message: "'\(m.key)' is only allowed on '\(kinds)' events, not on '\(kind.verb)'")
    }
}

/// A string value and the bytes it was decoded from (without escapes).
struct RepeatedString {
    private var bytes: [UInt8] = []
    private var string: String?

    /// The remembered String, if `b` are its bytes.
    @inline(__always)
    func match(_ b: UnsafeBufferPointer<UInt8>) -> String? {
        guard let string, b.count == bytes.count else { return nil }
        guard b.count > 0, let p = b.baseAddress else { return string }
        return bytes.withUnsafeBufferPointer { memcmp($0.baseAddress!, p, b.count) == 0 } ? string : nil
    }

    mutating func remember(_ b: UnsafeBufferPointer<UInt8>, _ s: String) {
        bytes.removeAll(keepingCapacity: true)
        bytes.append(contentsOf: b)
        string = s
    }
}

/// An e-mail address lower-cased (ASCII fast path; Unicode rules otherwise).
func lowercasedEmail(_ s: String) -> String {
    var needs = false
    for b in s.utf8 {
        if b >= 0x80 { return s.lowercased() }
        if b >= 0x41 && b <= 0x5A { needs = true }
    }
    guard needs else { return s }
    return String(decoding: s.utf8.map { $0 >= 0x41 && $0 <= 0x5A ? $0 + 32 : $0 }, as: UTF8.self)
}

/// The candidate closest to `word` by edit distance, when close enough to be a typo.
func nearest(_ word: String, in candidates: [String]) -> String? {
    let w = Array(word.lowercased().unicodeScalars)
    var best: (String, Int)?
    for c in candidates {
        let t = Array(c.unicodeScalars)
        var prev = Array(0...t.count)
        for i in 1...max(w.count, 1) where !w.isEmpty {
            var cur = [i] + Array(repeating: 0, count: t.count)
            for j in 1..<(t.count + 1) {
                cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (w[i - 1] == t[j - 1] ? 0 : 1))
            }
            prev = cur
        }
        let d = w.isEmpty ? t.count : prev[t.count]
        if let b = best, d >= b.1 { continue }
        best = (c, d)
    }
    guard let (name, d) = best, d <= max(1, min(2, word.count / 3)) else { return nil }
    return name
}
