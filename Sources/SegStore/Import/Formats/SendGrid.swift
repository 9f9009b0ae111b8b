// SendGrid Event Webhook events → canonical events (docs/import.md, "SendGrid").
//
// SendGrid POSTs a JSON array of event objects; stored exports are often one object per
// line. Each object becomes at most one event:
//   processed → sent; dropped → dropped (reason); delivered → delivered;
//   bounce → bounced (type "bounce" or absent → hard, "blocked" → soft; reason and
//   bounce_classification kept in the reason); open → opened (sg_machine_open → machine);
//   click → clicked (url); spamreport → complained; unsubscribe, group_unsubscribe →
//   unsubscribed.
// Every other type (deferred, group_resubscribe, account_status_change, …) has no kind
// in the store and is counted as unsupported, not refused. The event's id is
// "sg:" + sg_event_id, so a re-delivered or re-imported event is a duplicate.
// The campaign is marketing_campaign_name, else singlesend_name, else the first
// category, else the import's default campaign.

import SegQL

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Decodes SendGrid Event Webhook objects.
struct SendGridDecoder: RecordDecoder {
    /// The campaign of events that name none.
    let defaultCampaign: String

    private enum Field: Int, CaseIterable {
        case email, timestamp, event, eventID, messageID, category, reason, type, classification, url, machineOpen
        case campaignName, singleSendName

        var key: String {
            switch self {
            case .email: "email"
            case .timestamp: "timestamp"
            case .event: "event"
            case .eventID: "sg_event_id"
            case .messageID: "sg_message_id"
            case .category: "category"
            case .reason: "reason"
            case .type: "type"
            case .classification: "bounce_classification"
            case .url: "url"
            case .machineOpen: "sg_machine_open"
            case .campaignName: "marketing_campaign_name"
            case .singleSendName: "singlesend_name"
            }
        }

        static func lookup(_ b: UnsafeBufferPointer<UInt8>) -> Field? {
            guard let p = b.baseAddress else { return nil }
            func eq(_ s: StaticString) -> Bool { b.count == s.utf8CodeUnitCount && memcmp(p, s.utf8Start, b.count) == 0 }
            switch b.count {
            case 3: return eq("url") ? .url : nil
            case 4: return eq("type") ? .type : nil
            case 5: return eq("email") ? .email : eq("event") ? .event : nil
            case 6: return eq("reason") ? .reason : nil
            case 8: return eq("category") ? .category : nil
            case 9: return eq("timestamp") ? .timestamp : nil
            case 11: return eq("sg_event_id") ? .eventID : nil
            case 13: return eq("sg_message_id") ? .messageID : nil
            case 15: return eq("singlesend_name") ? .singleSendName : eq("sg_machine_open") ? .machineOpen : nil
            case 21: return eq("bounce_classification") ? .classification : nil
            case 23: return eq("marketing_campaign_name") ? .campaignName : nil
            default: return nil
            }
        }
    }

    /// The SendGrid event types that become events, and their kinds.
    static let kinds: [String: EventKind] = [
        "processed": .sent, "dropped": .dropped, "delivered": .delivered, "bounce": .bounced,
        "open": .opened, "click": .clicked, "spamreport": .complained,
        "unsubscribe": .unsubscribed, "group_unsubscribe": .unsubscribed,
    ]

    private var values: [JSONValue?] = Array(repeating: nil, count: Field.allCases.count)

    init(defaultCampaign: String) {
        self.defaultCampaign = defaultCampaign
    }

    mutating func decode(_ bytes: UnsafeBufferPointer<UInt8>) -> DecodeOutcome {
        for i in values.indices { values[i] = nil }
        var scanner = JSONScanner(bytes)
        do {
            try scanner.parseTopObject { key, s in
                if let field = Field.lookup(key) {
                    let v = try s.parseValue()
                    values[field.rawValue] = v == .null ? nil : v
                } else {
                    try s.skipValue()
                }
            }
        } catch {
            return .bad(.invalidJSON(error))
        }
        do {
            return try event()
        } catch let error as LineError {
            return .bad(error)
        } catch {
            return .bad(LineError(message: "\(error)"))
        }
    }

    private func value(_ f: Field) -> JSONValue? { values[f.rawValue] }

    private func string(_ f: Field) throws -> String? {
        guard let v = value(f) else { return nil }
        guard case .string(let s) = v else { throw LineError(message: "'\(f.key)' must be a string, not \(v.typeName)") }
        return s.isEmpty ? nil : s
    }

    private func event() throws -> DecodeOutcome {
        guard let type = try string(.event) else { throw LineError(message: "missing member 'event'") }
        // The docs show "Processed" once; SendGrid's types are otherwise lower-case.
        let name = type.lowercased()
        guard let kind = SendGridDecoder.kinds[name] else { return .unsupported(name) }
        guard let email = try string(.email) else { throw LineError(message: "missing member 'email'") }
        guard email.utf8.contains(UInt8(ascii: "@")) else { throw LineError(message: "'email' must contain '@', not \"\(email)\"") }
        var e = EventRecord(kind: kind, contact: lowercasedEmail(email), contactIsEmail: true,
                            campaign: try campaign(), ts: try timestamp())
        if let id = try string(.eventID) {
            e.id = "sg:" + id
        } else {
            // Older and legacy events have no sg_event_id; an id made from what the event
            // says still makes a re-import (or a re-delivered POST) change nothing.
            e.id = "sg#" + SendGridDecoder.digest([name, email.lowercased(), String(e.ts), try string(.messageID) ?? "",
                                                   try string(.url) ?? "", try string(.reason) ?? "", e.campaign])
        }
        switch kind {
        case .dropped:
            e.reason = try string(.reason)
        case .bounced:
            let type = try string(.type)
            switch type?.lowercased() {
            case nil, "bounce": e.bounce = "hard"
            case "blocked": e.bounce = "soft"
            case let other?: throw LineError(message: "a bounce's 'type' must be \"bounce\" or \"blocked\", not \"\(other)\"")
            }
            let reason = try string(.reason)
            if let c = try string(.classification) {
                e.reason = (reason.map { $0 + " " } ?? "") + "[classification: \(c)]"
            } else {
                e.reason = reason
            }
        case .opened:
            if let v = value(.machineOpen) {
                switch v {
                case .bool(let b): e.machine = b
                // Some relays forward booleans as strings.
                case .string(let s) where s == "true" || s == "false": e.machine = s == "true"
                default: throw LineError(message: "'sg_machine_open' must be true or false, not \(v.typeName)")
                }
            }
        case .clicked:
            e.url = try string(.url)
        default:
            break
        }
        return .record(.event(e))
    }

    /// marketing_campaign_name, singlesend_name, the first category, or the default.
    private func campaign() throws -> String {
        if let name = try string(.campaignName) { return name }
        if let name = try string(.singleSendName) { return name }
        switch value(.category) {
        case .string(let s) where !s.isEmpty: return s
        case .array(let items):
            for item in items {
                guard case .string(let s) = item else { throw LineError(message: "'category' must be a string or an array of strings") }
                if !s.isEmpty { return s }
            }
        case nil, .string: break
        case let v?: throw LineError(message: "'category' must be a string or an array of strings, not \(v.typeName)")
        }
        return defaultCampaign
    }

    /// Unix seconds; milliseconds (past year 5138 as seconds) are divided down; digits
    /// in a string are accepted, as is an ISO-8601 date-time.
    private func timestamp() throws -> Int64 {
        guard let v = value(.timestamp) else { throw LineError(message: "missing member 'timestamp'") }
        switch v {
        case .integer(let i): return SendGridDecoder.seconds(i)
        case .number(let d) where d.isFinite && abs(d) < 9.0e15: return SendGridDecoder.seconds(Int64(d))
        case .string(let s):
            if let i = Int64(s) { return SendGridDecoder.seconds(i) }
            if let t = ImportTimestamp.parse(s) { return t }
        default: break
        }
        if case .string(let s) = v { throw LineError(message: "'timestamp' must be Unix seconds (or milliseconds), not \"\(s)\"") }
        throw LineError(message: "'timestamp' must be Unix seconds (or milliseconds), not \(v.typeName)")
    }

    /// 64-bit FNV-1a of the parts (separated by a 0 byte), in hex.
    static func digest(_ parts: [String]) -> String {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for part in parts {
            for b in part.utf8 { h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01B3 }
            h = (h ^ 0) &* 0x0000_0100_0000_01B3
        }
        let hex = String(h, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }

    static func seconds(_ t: Int64) -> Int64 {
        abs(t) >= 100_000_000_000 ? t / 1000 : t
    }
}
