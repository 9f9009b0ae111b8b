// Mailgun events → canonical events (docs/import.md, "Mailgun").
//
// Mailgun delivers an event as a webhook body `{"signature": …, "event-data": {…}}`;
// the Events API returns pages `{"items": [{…}, …], "paging": …}`; exports often keep
// bare `event-data` objects, one per line or in an array. All four are read:
//   accepted → sent (routed messages, which Mailgun forwards rather than sends, are
//   unsupported); rejected → dropped; delivered → delivered; failed → dropped when
//   Mailgun suppressed the message (reason suppress-*, or delivery code 605), else
//   bounced (severity permanent → hard, temporary → soft); opened → opened; clicked →
//   clicked (url); unsubscribed → unsubscribed; complained → complained. Other types
//   (stored, list_member_uploaded, …) are counted as unsupported.
// The event id is "mg:" + `id`. The campaign is the user variable named by
// `--campaign-tag`, else the first of the legacy `campaigns`, else the first tag, else
// the default.

import SegQL

/// Decodes Mailgun event-data objects (bare, in a webhook body, or in an Events API page).
struct MailgunDecoder: RecordDecoder {
    let campaignVariable: String?
    let defaultCampaign: String

    mutating func decode(_ bytes: UnsafeBufferPointer<UInt8>) -> DecodeOutcome {
        let value: JSONValue
        switch LineError.parseWhole(bytes) {
        case .success(let v): value = v
        case .failure(let e): return .bad(e)
        }
        guard case .object(let top) = value else { return .bad(LineError(message: "a record must be a JSON object, not \(value.typeName)")) }
        do {
            if case .object(let data)? = member(top, "event-data") { return try outcome(data) }
            if let items = member(top, "items") {
                // An Events API page: every item, or the page is refused naming the item.
                guard case .array(let list) = items else { throw LineError(message: "'items' must be an array, not \(items.typeName)") }
                var records: [ImportRecord] = []
                var unsupported: [String] = []
                for (i, item) in list.enumerated() {
                    guard case .object(let data) = item else { throw LineError(message: "items[\(i)]: must be an object, not \(item.typeName)") }
                    do {
                        switch try outcome(data) {
                        case .record(let r): records.append(r)
                        case .records(let rs, let u):
                            records += rs
                            unsupported += u
                        case .unsupported(let type): unsupported.append(type)
                        case .bad(let e): throw e
                        case .note: break
                        }
                    } catch let e as LineError {
                        throw LineError(message: "items[\(i)]: \(e.message)")
                    }
                }
                return .records(records, unsupported: unsupported)
            }
            return try outcome(top)
        } catch let error as LineError {
            return .bad(error)
        } catch {
            return .bad(LineError(message: "\(error)"))
        }
    }

    private func outcome(_ e: [(String, JSONValue)]) throws -> DecodeOutcome {
        guard let type = try string(e, "event") else { throw LineError(message: "missing member 'event'") }
        let kind: EventKind
        var bounce: String?
        var reason: String?
        var url: String?
        switch type {
        case "accepted":
            if case .object(let flags)? = member(e, "flags"), flags.contains(where: { $0.0 == "is-routed" && $0.1 == .bool(true) }) {
                return .unsupported("accepted (routed)")
            }
            kind = .sent
        case "rejected":
            kind = .dropped
            if case .object(let reject)? = member(e, "reject") { reason = try string(reject, "reason") }
        case "delivered": kind = .delivered
        case "failed":
            let why = try string(e, "reason")
            let status = member(e, "delivery-status")
            var code: Int64?
            var message: String?
            if case .object(let s)? = status {
                if case .integer(let c)? = member(s, "code") { code = c }
                message = try string(s, "message") ?? string(s, "description")
            }
            let detail = [code.map(String.init), message].compactMap { $0 }.joined(separator: " ")
            if why?.hasPrefix("suppress-") == true || code == 605 {
                kind = .dropped
                reason = "suppressed (\(why ?? "605"))" + (detail.isEmpty ? "" : ": \(detail)")
            } else {
                kind = .bounced
                switch try string(e, "severity") {
                case "permanent": bounce = "hard"
                case "temporary": bounce = "soft"
                case nil: throw LineError(message: "missing member 'severity' on a failed event")
                case let other?: throw LineError(message: "'severity' must be \"permanent\" or \"temporary\", not \"\(other)\"")
                }
                reason = detail.isEmpty ? why : detail + (why.map { " (\($0))" } ?? "")
            }
        case "opened": kind = .opened
        case "clicked":
            kind = .clicked
            url = try string(e, "url")
        case "unsubscribed": kind = .unsubscribed
        case "complained": kind = .complained
        default: return .unsupported(type)
        }
        guard let recipient = try string(e, "recipient") else { throw LineError(message: "missing member 'recipient'") }
        guard recipient.utf8.contains(UInt8(ascii: "@")) else { throw LineError(message: "'recipient' must be an e-mail address, not \"\(recipient)\"") }
        var event = EventRecord(kind: kind, contact: lowercasedEmail(recipient), contactIsEmail: true,
                                campaign: try campaign(e), ts: try timestamp(e))
        event.bounce = bounce
        event.reason = reason
        event.url = url
        if let id = try string(e, "id") { event.id = "mg:" + id }
        return .record(.event(event))
    }

    private func member(_ o: [(String, JSONValue)], _ key: String) -> JSONValue? {
        for (k, v) in o where k == key { return v == .null ? nil : v }
        return nil
    }

    private func string(_ o: [(String, JSONValue)], _ key: String) throws -> String? {
        guard let v = member(o, key) else { return nil }
        guard case .string(let s) = v else { throw LineError(message: "'\(key)' must be a string, not \(v.typeName)") }
        return s.isEmpty ? nil : s
    }

    /// Unix seconds with a fraction (dropped).
    private func timestamp(_ e: [(String, JSONValue)]) throws -> Int64 {
        switch member(e, "timestamp") {
        case .integer(let i)?: return i
        case .number(let d)? where d.isFinite && abs(d) < 9.0e15: return Int64(d.rounded(.down))
        case nil: throw LineError(message: "missing member 'timestamp'")
        case let v?: throw LineError(message: "'timestamp' must be Unix seconds, not \(v.typeName)")
        }
    }

    /// The named user variable, the first legacy campaign, the first tag, or the default.
    private func campaign(_ e: [(String, JSONValue)]) throws -> String {
        if let name = campaignVariable, case .object(let vars)? = member(e, "user-variables") {
            switch member(vars, name) {
            case .string(let s)? where !s.isEmpty: return s
            case .integer(let i)?: return String(i)
            default: break
            }
        }
        if case .array(let campaigns)? = member(e, "campaigns") {
            for case .object(let c) in campaigns {
                if let name = try string(c, "name") ?? string(c, "id") { return name }
            }
        }
        if case .array(let tags)? = member(e, "tags") {
            for case .string(let tag) in tags where !tag.isEmpty && tag != "*" { return tag }
        }
        return defaultCampaign
    }
}
