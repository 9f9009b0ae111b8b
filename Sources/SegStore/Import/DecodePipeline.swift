// Reading and decoding on a second thread while the caller's thread writes to SQLite.
//
// An import spends roughly as long decoding JSON as writing rows; on a machine with two
// cores the two can overlap. The reader thread owns the file and the decoder and hands
// batches of decoded lines through a small bounded queue; the caller's thread (which
// owns the SQLite connection) applies them in order, so results are exactly those of a
// single-threaded run. Closing the queue (on error or cancellation) stops the reader.

import SegQL

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What one input record (a line, a CSV row, an element of a JSON array) became.
enum DecodeOutcome: Sendable {
    /// A record to apply.
    case record(ImportRecord)
    /// Several records from one input record (an SES event for several recipients, a
    /// Mailgun Events API page), and the types of the items in it that were not stored.
    case records([ImportRecord], unsupported: [String])
    /// A platform record whose type has no kind in the store, named by that type.
    case unsupported(String)
    /// A refused record.
    case bad(LineError)
    /// Not a record: what the reader made of its input (a CSV header's columns), for the summary.
    case note(String)

    init(_ result: Result<ImportRecord, LineError>) {
        switch result {
        case .success(let r): self = .record(r)
        case .failure(let e): self = .bad(e)
        }
    }
}

extension DecodeOutcome {
    /// The largest message number (`message`, `messages`) an import accepts.
    static let maximumMessage: Int64 = 1_000_000

    /// The outcome, or a refusal when a time or message number of its records is out of
    /// the documented range (times 1900-01-01 to 9999-12-31, messages 1 to 1,000,000):
    /// one check for every format, so no stored value can overflow later arithmetic.
    func checkedRanges() -> DecodeOutcome {
        func time(_ key: String, _ t: Int64?) -> LineError? {
            guard let t, t < Timestamp.earliest || t > Timestamp.latest else { return nil }
            return LineError(message: "'\(key)' is out of range: \(t) is not between 1900-01-01 and 9999-12-31 (as Unix seconds, \(Timestamp.earliest) to \(Timestamp.latest))")
        }
        func message(_ key: String, _ n: Int64?) -> LineError? {
            guard let n, n > Self.maximumMessage else { return nil }
            return LineError(message: "'\(key)' is out of range: \(n) is more than \(Self.maximumMessage)")
        }
        func check(_ r: ImportRecord) -> LineError? {
            switch r {
            case .event(let e): time("ts", e.ts) ?? message("message", e.message)
            case .contact(let c): time("created_at", c.createdAt)
            case .campaign(let c): time("sent_at", c.sentAt) ?? message("messages", c.messages)
            case .link: nil
            }
        }
        switch self {
        case .record(let r):
            if let e = check(r) { return .bad(e) }
        case .records(let rs, _):
            for r in rs { if let e = check(r) { return .bad(e) } }
        case .unsupported, .bad, .note:
            break
        }
        return self
    }
}

/// Turns one record's bytes (a JSON object) into an outcome; one per format.
protocol RecordDecoder {
    mutating func decode(_ bytes: UnsafeBufferPointer<UInt8>) -> DecodeOutcome
}

extension CanonicalDecoder: RecordDecoder {
    mutating func decode(_ bytes: UnsafeBufferPointer<UInt8>) -> DecodeOutcome {
        DecodeOutcome(decode(line: bytes))
    }
}

/// One input record, decoded, with where it starts.
struct DecodedLine: Sendable {
    var line: Int
    /// The 1-based index in a top-level JSON array, when the source is one.
    var record: Int? = nil
    var result: DecodeOutcome
}

/// A run of decoded lines and how far into the source they reach.
struct DecodedBatch: Sendable {
    var lines: [DecodedLine]
    var bytesConsumed: Int64
    /// The contacts and campaigns these lines name for the first time in the run.
    var fresh = FreshNames()
}

/// Names given keys by a `RunInterner`, in key order.
struct FreshNames: Sendable {
    /// Contacts: the address or number, and whether it is an e-mail address.
    var contacts: [(name: String, isEmail: Bool)] = []
    var campaigns: [String] = []
}

/// Work on a run's events done on the decoding thread, which has time to spare, rather
/// than on the writing thread, which has none: finding the ids that repeat an earlier
/// event of the run, and numbering the contacts and campaigns named, so that the writer
/// finds their store ids by array index instead of hashing their names. An event whose
/// contact (campaign) was named before loses the String, freed here rather than on the
/// writing thread. One per run, used by one decoding thread at a time (sources are read
/// one after another).
final class RunInterner: @unchecked Sendable {
    private var ids: Set<String> = []
    private var emails: [String: Int32] = [:]
    private var phones: [String: Int32] = [:]
    private var campaigns: [String: Int32] = [:]
    private var contactCount: Int32 = 0
    private var lastContact = "", lastContactIsEmail = false, lastContactKey: Int32 = -1
    private var lastCampaign = "", lastCampaignKey: Int32 = -1

    /// Makes room for the ids of a source of `bytes` bytes (growing the set as it fills
    /// would rehash every id again and again).
    func reserve(forBytes bytes: Int64?) {
        guard let bytes else { return }
        // About 130 bytes per canonical event line; a guess, so capped.
        let expected = ids.count + Int(min(bytes / 128, 50_000_000))
        if expected > ids.capacity { ids.reserveCapacity(expected) }
    }

    /// Marks repeated ids and sets the keys of the events in `outcome`; names seen for the
    /// first time are added to `fresh`.
    func intern(_ outcome: inout DecodeOutcome, _ fresh: inout FreshNames) {
        switch outcome {
        case .record(.event(var e)):
            intern(&e, &fresh)
            outcome = .record(.event(e))
        case .records(var records, let unsupported):
            for i in records.indices {
                guard case .event(var e) = records[i] else { continue }
                intern(&e, &fresh)
                records[i] = .event(e)
            }
            outcome = .records(records, unsupported: unsupported)
        default:
            break
        }
    }

    private func intern(_ e: inout EventRecord, _ fresh: inout FreshNames) {
        if let id = e.id, !ids.insert(id).inserted { e.repeated = true }
        // Consecutive events often name the same contact and campaign: compared first,
        // before hashing.
        if lastContactKey >= 0, e.contactIsEmail == lastContactIsEmail, e.contact == lastContact {
            e.contactKey = lastContactKey
            e.contact = ""
        } else {
            internContact(&e, &fresh)
            lastContactKey = e.contactKey
        }
        if lastCampaignKey >= 0, e.campaign == lastCampaign {
            e.campaignKey = lastCampaignKey
            e.campaign = ""
        } else {
            internCampaign(&e, &fresh)
            lastCampaignKey = e.campaignKey
        }
    }

    private func internContact(_ e: inout EventRecord, _ fresh: inout FreshNames) {
        lastContact = e.contact
        lastContactIsEmail = e.contactIsEmail
        if let key = e.contactIsEmail ? emails[e.contact] : phones[e.contact] {
            e.contactKey = key
            e.contact = ""
        } else {
            e.contactKey = contactCount
            if e.contactIsEmail { emails[e.contact] = contactCount } else { phones[e.contact] = contactCount }
            fresh.contacts.append((e.contact, e.contactIsEmail))
            contactCount += 1
        }
    }

    private func internCampaign(_ e: inout EventRecord, _ fresh: inout FreshNames) {
        lastCampaign = e.campaign
        if let key = campaigns[e.campaign] {
            e.campaignKey = key
            e.campaign = ""
        } else {
            e.campaignKey = Int32(campaigns.count)
            campaigns[e.campaign] = e.campaignKey
            fresh.campaigns.append(e.campaign)
        }
    }
}

/// A bounded, closable FIFO between one producer and one consumer thread.
final class BatchQueue: @unchecked Sendable {
    enum Item: Sendable {
        case batch(DecodedBatch)
        case end
        case failed(ImportIOError)
    }

    private var items: [Item] = []
    private var head = 0
    private var closed = false
    private let capacity: Int
    private var mutex = pthread_mutex_t()
    private var notEmpty = pthread_cond_t()
    private var notFull = pthread_cond_t()

    init(capacity: Int) {
        self.capacity = capacity
        pthread_mutex_init(&mutex, nil)
        pthread_cond_init(&notEmpty, nil)
        pthread_cond_init(&notFull, nil)
    }

    deinit {
        pthread_cond_destroy(&notFull)
        pthread_cond_destroy(&notEmpty)
        pthread_mutex_destroy(&mutex)
    }

    /// Adds an item, waiting while the queue is full; false when the queue was closed.
    func put(_ item: Item) -> Bool {
        pthread_mutex_lock(&mutex)
        defer { pthread_mutex_unlock(&mutex) }
        while items.count - head >= capacity && !closed { pthread_cond_wait(&notFull, &mutex) }
        if closed { return false }
        items.append(item)
        pthread_cond_signal(&notEmpty)
        return true
    }

    /// The next item, waiting while the queue is empty.
    func take() -> Item {
        pthread_mutex_lock(&mutex)
        defer { pthread_mutex_unlock(&mutex) }
        while items.count == head && !closed { pthread_cond_wait(&notEmpty, &mutex) }
        if items.count == head { return .end }
        let item = items[head]
        head += 1
        if head > 64 { items.removeFirst(head); head = 0 }
        pthread_cond_signal(&notFull)
        return item
    }

    /// The next item if one is ready, without waiting.
    func poll() -> Item? {
        pthread_mutex_lock(&mutex)
        let ready = items.count > head
        pthread_mutex_unlock(&mutex)
        return ready ? take() : nil
    }

    /// Makes `put` fail from now on and wakes both sides.
    func close() {
        pthread_mutex_lock(&mutex)
        closed = true
        items.removeAll()
        head = 0
        pthread_cond_broadcast(&notFull)
        pthread_cond_broadcast(&notEmpty)
        pthread_mutex_unlock(&mutex)
    }
}

/// A started thread that can be joined.
final class JoinableThread {
    private var thread = pthread_t()
    private var started = false

    private final class Body {
        let run: () -> Void
        init(_ run: @escaping () -> Void) { self.run = run }
    }

    /// Starts `body` on a new thread; if no thread can be made, runs it on this one.
    init(_ body: @escaping () -> Void) {
        let box = Unmanaged.passRetained(Body(body))
        let rc = pthread_create(&thread, nil, { arg in
            guard let arg else { return nil }
            Unmanaged<Body>.fromOpaque(arg).takeRetainedValue().run()
            return nil
        }, box.toOpaque())
        if rc == 0 {
            started = true
        } else {
            box.takeRetainedValue().run()
        }
    }

    /// Waits for the thread to finish.
    func join() {
        if started {
            pthread_join(thread, nil)
            started = false
        }
    }

    deinit { join() }
}

enum DecodePipeline {
    static let batchSize = 2048

    /// How a source is cut into records, decided from its first non-blank line.
    private enum Framing {
        case undecided
        /// One JSON object per line (canonical JSONL, SendGrid or other NDJSON).
        case lines(any RecordDecoder)
        /// CSV rows under a header.
        case csv(CSVReader)
        /// A JSON array, or objects spanning lines: read whole, then split.
        case document([UInt8])
    }

    /// Reads and decodes `source` on a new thread, feeding `queue`.
    static func start(_ source: ImportSource, options: ImportOptions, interner: RunInterner,
                      into queue: BatchQueue) -> JoinableThread {
        JoinableThread {
            interner.reserve(forBytes: LineReader.size(of: source))
            var lines: [DecodedLine] = []
            lines.reserveCapacity(batchSize)
            var fresh = FreshNames()
            var consumed: Int64 = 0
            var stopped = false
            var framing = Framing.undecided
            func put() {
                if !queue.put(.batch(DecodedBatch(lines: lines, bytesConsumed: consumed, fresh: fresh))) { stopped = true }
                lines.removeAll(keepingCapacity: true)
                fresh = FreshNames()
            }
            func emit(_ decoded: DecodedLine) {
                if stopped { return }
                var decoded = decoded
                decoded.result = decoded.result.checkedRanges()
                interner.intern(&decoded.result, &fresh)
                lines.append(decoded)
                if lines.count == batchSize { put() }
            }
            do {
                try LineReader.forEachLine(in: source, progress: { consumed = max(consumed, $0) }) { bytes, number in
                    if stopped { return }
                    consumed += Int64(bytes.count) + 1
                    switch framing {
                    case .lines(var decoder):
                        if isBlank(bytes) { return }
                        // Release the enum's reference first, so the decoder is mutated in place.
                        framing = .undecided
                        emit(DecodedLine(line: number, result: decoder.decode(bytes)))
                        framing = .lines(decoder)
                    case .csv(var reader):
                        framing = .undecided
                        reader.feed(bytes, line: number, emit: emit)
                        framing = .csv(reader)
                    case .document(var text):
                        framing = .undecided
                        text.append(contentsOf: bytes)
                        text.append(0x0A)
                        framing = .document(text)
                    case .undecided:
                        if isBlank(bytes) { return }
                        switch try FormatDetector.framing(firstLine: bytes, given: options.format, source: source.name) {
                        case .line(let format):
                            var decoder = makeDecoder(format, options)
                            emit(DecodedLine(line: number, result: decoder.decode(bytes)))
                            framing = .lines(decoder)
                        case .csv:
                            var reader = CSVReader(map: options.csvMap, types: options.csvTypes, local: options.localZone)
                            reader.feed(bytes, line: number, emit: emit)
                            framing = .csv(reader)
                        case .document:
                            // Keep the line numbers right: earlier lines were blank.
                            var text = [UInt8](repeating: 0x0A, count: number - 1)
                            text.append(contentsOf: bytes)
                            text.append(0x0A)
                            framing = .document(text)
                        }
                    }
                }
                switch framing {
                case .csv(var reader): reader.finish(emit: emit)
                case .document(let text): try splitDocument(text, source: source, options: options, emit: emit)
                default: break
                }
                if !stopped {
                    if !lines.isEmpty { put() }
                    _ = queue.put(.end)
                }
            } catch let error as ImportIOError {
                _ = queue.put(.failed(error))
            } catch {
                _ = queue.put(.failed(ImportIOError(source: source.name, message: "\(error)")))
            }
        }
    }

    static func makeDecoder(_ format: ImportFormat, _ options: ImportOptions) -> any RecordDecoder {
        switch format {
        case .jsonl: CanonicalDecoder(local: options.localZone)
        case .sendgrid: SendGridDecoder(defaultCampaign: options.defaultCampaign)
        case .ses: SESDecoder(campaignTag: options.campaignTag, defaultCampaign: options.defaultCampaign)
        case .mailgun: MailgunDecoder(campaignVariable: options.campaignTag, defaultCampaign: options.defaultCampaign)
        // CSV is framed by rows, never by JSON lines; FormatDetector does not ask for this.
        case .csv: CanonicalDecoder()
        }
    }

    /// Splits a whole JSON document into records and decodes each as it is found: the
    /// elements of a top-level array (numbered for messages), or a sequence of objects
    /// (each named by its first line). The format, unless given, is that of the first
    /// record. A break in the structure ends the split: what follows cannot be told
    /// apart reliably.
    static func splitDocument(_ text: [UInt8], source: ImportSource, options: ImportOptions,
                              emit: (DecodedLine) -> Void) throws {
        try text.withUnsafeBufferPointer { buf in
            var scanner = JSONScanner(buf)
            var lineAt = 1, counted = 0
            func line(at offset: Int) -> Int {
                if let base = buf.baseAddress, offset > counted {
                    var p = base + counted
                    let end = base + offset
                    while p < end, let nl = memchr(p, 0x0A, end - p) {
                        lineAt += 1
                        p = UnsafePointer(nl.assumingMemoryBound(to: UInt8.self)) + 1
                    }
                }
                counted = max(counted, offset)
                return lineAt
            }
            var decoder: (any RecordDecoder)?
            var index = 0
            func record(_ start: Int, _ end: Int, numbered: Bool) throws {
                index += 1
                let bytes = UnsafeBufferPointer(rebasing: buf[start..<end])
                if decoder == nil {
                    let format = try options.format ?? FormatDetector.detect(object: bytes, source: source.name)
                    guard format != .csv else {
                        throw ImportIOError(source: source.name, message: "this is JSON, not CSV (leave out --format to detect the format)")
                    }
                    decoder = makeDecoder(format, options)
                }
                guard var d = decoder else { return }
                decoder = nil
                emit(DecodedLine(line: line(at: start), record: numbered ? index : nil, result: d.decode(bytes)))
                decoder = d
            }
            scanner.skipWhitespace()
            let isArray = scanner.peek() == UInt8(ascii: "[")
            do {
                if isArray {
                    try scanner.forEachArrayElement { try record($0, $1, numbered: true) }
                    scanner.skipWhitespace()
                    if scanner.peek() != nil { throw JSONSyntaxError(message: "unexpected text after the array", offset: scanner.pos) }
                } else {
                    while scanner.peek() != nil {
                        let start = scanner.pos
                        try scanner.skipStructure()
                        try record(start, scanner.pos, numbered: false)
                        scanner.skipWhitespace()
                    }
                }
            } catch let e as JSONSyntaxError {
                let l = line(at: min(e.offset, buf.count))
                emit(DecodedLine(line: l, record: isArray ? index + 1 : nil,
                                 result: .bad(LineError(message: "not valid JSON: \(e.message) (line \(l))"))))
            }
        }
    }

    @inline(__always)
    static func isBlank(_ b: UnsafeBufferPointer<UInt8>) -> Bool {
        for c in b where c != 0x20 && c != 0x09 && c != 0x0D { return false }
        return true
    }
}
