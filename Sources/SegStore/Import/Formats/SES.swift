// Amazon SES event publishing records → canonical events (docs/import.md, "Amazon SES").
//
// A record is an object with `eventType` (event publishing) or `notificationType`
// (identity feedback notifications), a `mail` object and one object for its type. It
// arrives as a Firehose line, as an element of a JSON array, or inside an SNS
// notification, whose `Message` member holds the record as a JSON string. One record
// may concern several recipients and then becomes one event per recipient:
//   Send → sent, Delivery → delivered (delivery.recipients), Bounce → bounced
//   (bounce.bouncedRecipients; Permanent → hard, Transient and Undetermined → soft),
//   Complaint → complained (complaint.complainedRecipients), Open → opened, Click →
//   clicked (click.link), Reject → dropped (reject.reason), Rendering Failure → dropped
//   (failure.errorMessage), Subscription → unsubscribed when the contact opted out of
//   everything or of a topic; DeliveryDelay, Subscription opt-ins and SNS control
//   messages are counted as unsupported.
// Recipients default to `mail.destination`. The campaign is the value of the message
// tag named by `--campaign-tag`, else of `ses:configuration-set`, else the default.

import SegQL

/// Decodes Amazon SES event publishing records.
struct SESDecoder: RecordDecoder {
    let campaignTag: String?
    let defaultCampaign: String

    mutating func decode(_ bytes: UnsafeBufferPointer<UInt8>) -> DecodeOutcome {
        let value: JSONValue
        switch LineError.parseWhole(bytes) {
        case .success(let v): value = v
        case .failure(let e): return .bad(e)
        }
        do {
            return try outcome(value, inSNS: false)
        } catch let error as LineError {
            return .bad(error)
        } catch {
            return .bad(LineError(message: "\(error)"))
        }
    }

    private func outcome(_ value: JSONValue, inSNS: Bool) throws -> DecodeOutcome {
        guard case .object(let record) = value else { throw LineError(message: "a record must be a JSON object, not \(value.typeName)") }
        // An SNS notification: the SES record is the JSON text in `Message`.
        if !inSNS, let type = try string(record, "Type") {
            guard type == "Notification" else { return .unsupported("SNS \(type)") }
            guard let message = try string(record, "Message") else { throw LineError(message: "missing member 'Message' in the SNS notification") }
            let bytes = Array(message.utf8)
            let inner: JSONValue
            do {
                inner = try bytes.withUnsafeBufferPointer { b in
                    var scanner = JSONScanner(b)
                    return try scanner.parseValue()
                }
            } catch let error as JSONSyntaxError {
                throw LineError(message: "the SNS 'Message' is not valid JSON: \(error.message) (column \(error.offset + 1))")
            }
            return try outcome(inner, inSNS: true)
        }
        guard let type = try string(record, "eventType") ?? string(record, "notificationType") else {
            throw LineError(message: "missing member 'eventType' (or 'notificationType')")
        }
        guard case .object(let mail)? = member(record, "mail") else { throw LineError(message: "missing member 'mail' (an object)") }
        let messageID = try string(mail, "messageId") ?? ""
        let campaign = try self.campaign(mail)
        let kind: EventKind
        var detail: [(String, JSONValue)] = []
        var recipients: [String]? = nil
        var bounce: String?
        var reason: String?
        var url: String?
        func sub(_ key: String) throws -> [(String, JSONValue)] {
            switch member(record, key) {
            case .object(let o)?: return o
            case nil: return []
            case let v?: throw LineError(message: "'\(key)' must be an object, not \(v.typeName)")
            }
        }
        switch type {
        case "Send":
            kind = .sent
            detail = try sub("send")
        case "Delivery":
            kind = .delivered
            detail = try sub("delivery")
            recipients = try strings(detail, "recipients")
        case "Bounce":
            kind = .bounced
            detail = try sub("bounce")
            let bounceType = try string(detail, "bounceType")
            switch bounceType {
            case "Permanent": bounce = "hard"
            case "Transient", "Undetermined": bounce = "soft"
            case nil: throw LineError(message: "missing member 'bounce.bounceType'")
            case let other?: throw LineError(message: "'bounce.bounceType' must be Permanent, Transient or Undetermined, not \"\(other)\"")
            }
            recipients = try addresses(detail, "bouncedRecipients")
            let subType = try string(detail, "bounceSubType")
            reason = [bounceType, subType].compactMap { $0 }.joined(separator: "/")
        case "Complaint":
            kind = .complained
            detail = try sub("complaint")
            recipients = try addresses(detail, "complainedRecipients")
        case "Open":
            kind = .opened
            detail = try sub("open")
        case "Click":
            kind = .clicked
            detail = try sub("click")
            url = try string(detail, "link")
        case "Reject":
            kind = .dropped
            detail = try sub("reject")
            reason = "rejected: " + (try string(detail, "reason") ?? "no reason given")
        case "Rendering Failure":
            kind = .dropped
            detail = try sub("failure")
            reason = "rendering failure: " + (try string(detail, "errorMessage") ?? "no message given")
        case "Subscription":
            detail = try sub("subscription")
            guard SESDecoder.optedOut(detail) else { return .unsupported("Subscription (not an opt-out)") }
            kind = .unsubscribed
        default:
            // DeliveryDelay (a delay, not a bounce), AmazonSnsSubscriptionSucceeded, …
            return .unsupported(type)
        }
        let ts = try time(detail, mail)
        let to = try recipients ?? strings(mail, "destination") ?? []
        guard !to.isEmpty else { throw LineError(message: "no recipient: 'mail.destination' is missing or empty") }
        var events: [ImportRecord] = []
        var seen: Set<String> = []
        for address in to where seen.insert(address.lowercased()).inserted {
            guard address.utf8.contains(UInt8(ascii: "@")) else { throw LineError(message: "recipient \"\(address)\" is not an e-mail address") }
            var e = EventRecord(kind: kind, contact: lowercasedEmail(SESDecoder.bareAddress(address)), contactIsEmail: true,
                                campaign: campaign, ts: ts)
            e.bounce = bounce
            if kind == .bounced {
                // The diagnostic code of this recipient, when given.
                if let code = try diagnostic(detail, for: address) {
                    e.reason = reason.map { "\(code) (\($0))" } ?? code
                } else {
                    e.reason = reason
                }
            } else {
                e.reason = reason
            }
            e.url = url
            // SES has no event id; the message, type, recipient, time (and link) name one.
            if !messageID.isEmpty {
                e.id = "ses:\(messageID):\(type):\(e.contact):\(ts)" + (url.map { ":" + $0 } ?? "")
            }
            events.append(.event(e))
        }
        return events.count == 1 ? .record(events[0]) : .records(events, unsupported: [])
    }

    // MARK: - Members

    private func member(_ o: [(String, JSONValue)], _ key: String) -> JSONValue? {
        for (k, v) in o where k == key { return v == .null ? nil : v }
        return nil
    }

    private func string(_ o: [(String, JSONValue)], _ key: String) throws -> String? {
        guard let v = member(o, key) else { return nil }
        guard case .string(let s) = v else { throw LineError(message: "'\(key)' must be a string, not \(v.typeName)") }
        return s.isEmpty ? nil : s
    }

    private func strings(_ o: [(String, JSONValue)], _ key: String) throws -> [String]? {
        guard let v = member(o, key) else { return nil }
        guard case .array(let items) = v else { throw LineError(message: "'\(key)' must be an array of strings, not \(v.typeName)") }
        return try items.map {
            guard case .string(let s) = $0 else { throw LineError(message: "'\(key)' must be an array of strings") }
            return s
        }
    }

    /// The `emailAddress` of each object in the array `key`.
    private func addresses(_ o: [(String, JSONValue)], _ key: String) throws -> [String]? {
        guard let v = member(o, key) else { return nil }
        guard case .array(let items) = v else { throw LineError(message: "'\(key)' must be an array, not \(v.typeName)") }
        return try items.map {
            guard case .object(let r) = $0, let a = try string(r, "emailAddress") else {
                throw LineError(message: "each of '\(key)' must be an object with an 'emailAddress'")
            }
            return a
        }
    }

    private func diagnostic(_ detail: [(String, JSONValue)], for address: String) throws -> String? {
        guard case .array(let items)? = member(detail, "bouncedRecipients") else { return nil }
        for case .object(let r) in items where try string(r, "emailAddress") == address {
            return try string(r, "diagnosticCode")
        }
        return nil
    }

    /// The event's own time (`open.timestamp`, …), else the message's.
    private func time(_ detail: [(String, JSONValue)], _ mail: [(String, JSONValue)]) throws -> Int64 {
        for (o, name) in [(detail, "timestamp"), (mail, "mail.timestamp")] {
            if let s = try string(o, "timestamp") {
                guard let t = ImportTimestamp.parse(s) else {
                    throw LineError(message: "'\(name)' must be an ISO-8601 date-time with a zone, not \"\(s)\"")
                }
                return t
            }
        }
        throw LineError(message: "missing member 'mail.timestamp'")
    }

    /// The `--campaign-tag` tag's first value, else the configuration set, else the default.
    private func campaign(_ mail: [(String, JSONValue)]) throws -> String {
        guard case .object(let tags)? = member(mail, "tags") else { return defaultCampaign }
        for name in [campaignTag, "ses:configuration-set"].compactMap({ $0 }) {
            if let values = try strings(tags, name), let first = values.first(where: { !$0.isEmpty }) { return first }
        }
        return defaultCampaign
    }

    /// Whether a Subscription record says the contact opted out of everything or of a topic.
    static func optedOut(_ detail: [(String, JSONValue)]) -> Bool {
        guard case .object(let prefs)? = detail.first(where: { $0.0 == "newTopicPreferences" })?.1 else { return false }
        for (k, v) in prefs {
            if k == "unsubscribeAll", v == .bool(true) { return true }
            if k == "topicSubscriptionStatus", case .array(let topics) = v {
                for case .object(let t) in topics where t.contains(where: { $0.0 == "subscriptionStatus" && $0.1 == .string("OptOut") }) {
                    return true
                }
            }
        }
        return false
    }

    /// `Jane <jane@example.com>` → `jane@example.com` (SES destinations may carry names).
    static func bareAddress(_ s: String) -> String {
        guard let open = s.lastIndex(of: "<"), let close = s.lastIndex(of: ">"), open < close else { return s }
        return String(s[s.index(after: open)..<close])
    }
}
