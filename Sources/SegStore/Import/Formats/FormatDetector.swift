// Telling a source's format from its first bytes (docs/import.md, "Detecting the format").
//
// The first non-blank line decides how the source is cut into records: `[` starts a
// JSON array (read whole, split into elements); `{` starts one JSON object per line when
// that line is a complete object, otherwise objects spanning lines (read whole); anything
// else is a CSV header. The format itself comes from the members of the first object:
//   record                                       → canonical JSON Lines
//   sg_event_id, or event with email             → SendGrid Event Webhook
//   eventType / notificationType, or SNS Type+Message → Amazon SES
//   event-data / items, or event with recipient  → Mailgun
//   anything else                                → canonical (its errors name what is missing)
// `--format` overrides the detection (the framing is still taken from the content).

/// Decides how a source is framed and which format it is in.
enum FormatDetector {
    /// How to cut the source into records.
    enum Framing: Equatable {
        /// One JSON object per line, in this format.
        case line(ImportFormat)
        /// CSV rows under a header row.
        case csv
        /// A JSON array or multi-line objects: read the whole source first.
        case document
    }

    /// The framing of a source whose first non-blank line is `line`.
    static func framing(firstLine line: UnsafeBufferPointer<UInt8>, given: ImportFormat?, source: String) throws -> Framing {
        if given == .csv { return .csv }
        var first: UInt8 = 0
        for c in line where c != 0x20 && c != 0x09 && c != 0x0D {
            first = c
            break
        }
        switch first {
        case UInt8(ascii: "["):
            return .document
        case UInt8(ascii: "{"):
            var scanner = JSONScanner(line)
            let complete = (try? scanner.parseTopObject { _, s in try s.skipValue() }) != nil
            if complete { return .line(try given ?? detect(object: line, source: source)) }
            // A broken line that still looks like a whole one is a bad line of JSON Lines,
            // reported as such; the start of a multi-line object is a document.
            var last: UInt8 = 0
            for c in line.reversed() where c != 0x20 && c != 0x09 {
                last = c
                break
            }
            if given == .jsonl || last == UInt8(ascii: "}") { return .line(given ?? .jsonl) }
            return .document
        default:
            if let given { return .line(given) }
            if CSVReader.looksLikeHeader(line) { return .csv }
            throw ImportIOError(source: source, message: """
                cannot tell the format: the first line is neither JSON nor a CSV header naming \
                email, phone, kind or record (use --format)
                """)
        }
    }

    /// The format of a JSON object (the first record of a source).
    static func detect(object: UnsafeBufferPointer<UInt8>, source: String) throws -> ImportFormat {
        var keys: Set<String> = []
        var scanner = JSONScanner(object)
        do {
            try scanner.parseTopObject { key, s in
                keys.insert(String(decoding: key, as: UTF8.self))
                try s.skipValue()
            }
        } catch {
            return .jsonl  // the canonical decoder reports what is wrong, record by record
        }
        if keys.contains("record") { return .jsonl }
        if keys.contains("sg_event_id") || (keys.contains("event") && keys.contains("email")) { return .sendgrid }
        if keys.contains("eventType") || keys.contains("notificationType") || (keys.contains("Type") && keys.contains("Message")) {
            return .ses
        }
        if keys.contains("event-data") || keys.contains("items") || (keys.contains("event") && keys.contains("recipient")) {
            return .mailgun
        }
        // Anything else is read as canonical JSON Lines, whose messages then say, line by
        // line, what is missing.
        return .jsonl
    }
}
