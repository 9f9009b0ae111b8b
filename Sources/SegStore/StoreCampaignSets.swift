// The kept sets (schema version 7, `campaign_sets`; docs/schema.md, docs/planner.md §
// Kept sets): for every campaign and every count of the rollup, the contacts whose count
// in `activity` is above zero, as one encoded set; since version 9 also the contacts
// with more opens than machine opens, and those with a bounce of each type (from
// `events`; `KeptMeasure`).
//
// The bitmap engine reads "had such an event in these campaigns" from them: a union of
// one set per campaign, instead of every `activity` row of the campaigns (16 sets
// against 7.0M rows for `delivered(channel: email)` on the 1M-contact demo store). They
// are derived from `activity` alone, so they are kept wherever `activity` changes: the
// import recomputes the campaigns it touched, in its transaction; the rollup rebuild,
// the demo builder and the migrations to versions 7 and 9 recompute every campaign. A campaign
// has all its sets or none; a condition on a campaign without them is read from
// `activity` (the catalog lists the campaigns that have them).
//
// Encoding (`CampaignSetCoding`), text so that both backends keep it the same way: "w"
// and the set's 64-bit words little-endian, or "d" and the gaps between ascending ids
// as LEB128 varints, whichever is shorter, then base64. A campaign sent to most
// contacts is its words (at most 125 kB for a million contacts before base64), a
// campaign's few complainers a few bytes.

import SegQL

/// The text form of a set in `campaign_sets.contacts`.
enum CampaignSetCoding {
    static func encode(_ set: ContactSet) -> String {
        var words = set.words
        while let last = words.last, last == 0 { words.removeLast() }
        var gaps: [UInt8] = []
        var previous: Int64 = -1
        var sparse = true
        set.forEach { id in
            var gap = UInt64(id - previous)
            previous = id
            while gap >= 0x80 {
                gaps.append(UInt8(gap & 0x7f) | 0x80)
                gap >>= 7
            }
            gaps.append(UInt8(gap))
            if gaps.count >= words.count * 8 {
                sparse = false
                return false
            }
            return true
        }
        if sparse { return "d" + Base64.encode(gaps) }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(words.count * 8)
        for w in words {
            for shift in stride(from: 0, to: 64, by: 8) { bytes.append(UInt8(truncatingIfNeeded: w >> UInt64(shift))) }
        }
        return "w" + Base64.encode(bytes)
    }

    /// Adds the ids of `text` to `set`; false when `text` is not an encoded set.
    static func decode(_ text: String, into set: inout ContactSet) -> Bool {
        var text = text
        return text.withUTF8 { utf8 -> Bool in
            guard let form = utf8.first, let bytes = Base64.decode(UnsafeBufferPointer(rebasing: utf8.dropFirst())) else { return false }
            switch form {
            case UInt8(ascii: "w"):
                guard bytes.count % 8 == 0 else { return false }
                let words = bytes.withUnsafeBytes { raw in
                    (0..<bytes.count / 8).map { UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 8, as: UInt64.self)) }
                }
                set.formUnion(ContactSet(words: words))
                return true
            case UInt8(ascii: "d"):
                var id: Int64 = -1
                var gap: UInt64 = 0, shift: UInt64 = 0
                for b in bytes {
                    guard shift < 64 else { return false }
                    gap |= UInt64(b & 0x7f) << shift
                    if b & 0x80 != 0 {
                        shift += 7
                        continue
                    }
                    guard gap > 0, gap <= UInt64(Int64.max) else { return false }
                    let (next, overflow) = id.addingReportingOverflow(Int64(gap))
                    guard !overflow else { return false }
                    id = next
                    set.insert(id)
                    gap = 0
                    shift = 0
                }
                return shift == 0
            default:
                return false
            }
        }
    }
}

/// Base64 with the standard alphabet and padding (RFC 4648 § 4).
enum Base64 {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
    private static let values: [UInt8] = {
        var v = [UInt8](repeating: 0xff, count: 256)
        for (i, c) in alphabet.enumerated() { v[Int(c)] = UInt8(i) }
        return v
    }()

    static func encode(_ bytes: [UInt8]) -> String {
        var out: [UInt8] = []
        out.reserveCapacity((bytes.count + 2) / 3 * 4)
        var i = 0
        while i + 3 <= bytes.count {
            let n = UInt32(bytes[i]) << 16 | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2])
            out += [alphabet[Int(n >> 18 & 63)], alphabet[Int(n >> 12 & 63)], alphabet[Int(n >> 6 & 63)], alphabet[Int(n & 63)]]
            i += 3
        }
        let rest = bytes.count - i
        if rest > 0 {
            let n = UInt32(bytes[i]) << 16 | (rest == 2 ? UInt32(bytes[i + 1]) << 8 : 0)
            out += [alphabet[Int(n >> 18 & 63)], alphabet[Int(n >> 12 & 63)],
                    rest == 2 ? alphabet[Int(n >> 6 & 63)] : UInt8(ascii: "="), UInt8(ascii: "=")]
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The bytes of `text`, or nil when it is not base64 with the standard alphabet and
    /// padding ('=' only at the end). A kept set is decoded at every read, so the loop
    /// works on raw buffers: a million contacts' words, 167 kB of text, in well under a
    /// millisecond.
    static func decode(_ text: UnsafeBufferPointer<UInt8>) -> [UInt8]? {
        guard text.count % 4 == 0 else { return nil }
        guard !text.isEmpty else { return [] }
        let pad = text[text.count - 1] == UInt8(ascii: "=") ? (text[text.count - 2] == UInt8(ascii: "=") ? 2 : 1) : 0
        var valid = true
        let out = [UInt8](unsafeUninitializedCapacity: text.count / 4 * 3) { buffer, initialized in
            values.withUnsafeBufferPointer { v in
                var o = 0
                var i = 0
                while i < text.count {
                    let last = i + 4 == text.count
                    let a = v[Int(text[i])], b = v[Int(text[i + 1])]
                    let c = last && pad == 2 ? 0 : v[Int(text[i + 2])]
                    let d = last && pad >= 1 ? 0 : v[Int(text[i + 3])]
                    // An invalid character (a '=' before the end too) is 0xff.
                    guard (a | b | c | d) & 0xc0 == 0 else {
                        valid = false
                        break
                    }
                    let n = UInt32(a) << 18 | UInt32(b) << 12 | UInt32(c) << 6 | UInt32(d)
                    buffer[o] = UInt8(truncatingIfNeeded: n >> 16)
                    buffer[o + 1] = UInt8(truncatingIfNeeded: n >> 8)
                    buffer[o + 2] = UInt8(truncatingIfNeeded: n)
                    o += last ? 3 - pad : 3
                    i += 4
                }
                initialized = valid ? o : 0
            }
        }
        return valid ? out : nil
    }
}

/// Writing the kept sets.
enum CampaignSets {
    /// The `activity` columns the sets are computed from, in the order they are read.
    private static let columns = RollupColumn.allCases.filter(\.isCount)

    /// Whether a contact's `activity` row (`columns`' values, in order) puts them in the
    /// set of `measure`; nil for a measure `activity` does not keep.
    private static func member(_ measure: KeptMeasure) -> (([Int64]) -> Bool)? {
        switch measure {
        case .count(let c):
            let i = columns.firstIndex(of: c)!
            return { $0[i] > 0 }
        case .humanOpens:
            let opens = columns.firstIndex(of: .opens)!, machine = columns.firstIndex(of: .machineOpens)!
            return { $0[opens] > $0[machine] }
        case .bounces:
            return nil
        }
    }

    /// Recomputes the kept sets of `campaigns` (every campaign when nil) from their
    /// `activity` rows, and the bounce types from their bounces in `events` (the
    /// campaign's range of `events_by_campaign`): one read of each. A campaign of more
    /// than one message (`campaigns.messages`) has each message's sets too, from its
    /// events (`messageSets`). Runs in the caller's transaction.
    static func refresh(_ db: Database, _ campaigns: [Int64]?) throws {
        var messages: [Int64: Int64] = [:]
        try db.query("SELECT id, messages FROM campaigns") { messages[$0.int64(0)] = $0.int64(1) }
        let ids = campaigns ?? messages.keys.sorted()
        guard !ids.isEmpty else { return }
        let maxID = try db.int64("SELECT coalesce(max(id), 0) FROM contacts") ?? 0
        let measures = KeptMeasure.all
        let members = measures.map(member)
        let bounceSet = bounceSets(measures)
        let select = "SELECT contact_id, \(columns.map(\.name).joined(separator: ", ")) FROM activity WHERE campaign_id = ?1"
        let bounces = "SELECT contact_id, message, bounce FROM events WHERE campaign_id = ?1 AND kind = \(EventKind.bounced.rawValue) AND bounce IS NOT NULL"
        var values = [Int64](repeating: 0, count: columns.count)
        for campaign in ids {
            var sets = [ContactSet](repeating: ContactSet(maxID: maxID), count: measures.count)
            try db.stream(select, [.integer(campaign)]) { row in
                let contact = row.int64(0)
                for i in 0..<columns.count { values[i] = row.int64(Int32(i + 1)) }
                for i in 0..<measures.count where members[i]?(values) == true { sets[i].insert(contact) }
            }
            let count = messages[campaign] ?? 1
            var byMessage = count > 1 ? try messageSets(db, campaign, messages: count, maxID: maxID) : []
            // The bounce types, read once for the campaign's sets and its messages'.
            try db.stream(bounces, [.integer(campaign)]) { row in
                guard let i = bounceSet[row.text(2)] else { return }
                let contact = row.int64(0), m = Int(row.int64(1)) - 1
                sets[i].insert(contact)
                if m >= 0, m < byMessage.count { byMessage[m][i].insert(contact) }
            }
            try db.execute("DELETE FROM campaign_sets WHERE campaign_id = ?1", [.integer(campaign)])
            // The whole campaign's sets, then each message's (the k-th is message k).
            for (k, sets) in ([sets] + byMessage).enumerated() {
                for (i, measure) in measures.enumerated() {
                    try db.execute("INSERT INTO campaign_sets(campaign_id, measure, contacts) VALUES (?1, ?2, ?3)",
                                   [.integer(campaign), .text(measure.name(message: k == 0 ? nil : Int64(k))), .text(CampaignSetCoding.encode(sets[i]))])
                }
            }
        }
    }

    /// Each bounce type's set in `measures`, by the type's name in `events.bounce`.
    private static func bounceSets(_ measures: [KeptMeasure]) -> [String: Int] {
        Dictionary(uniqueKeysWithValues: measures.indices.compactMap { i -> (String, Int)? in
            guard case .bounces(let type) = measures[i] else { return nil }
            return (type.rawValue, i)
        })
    }

    /// The sets of each message (1 through `count`) of a campaign of more than one
    /// message, in the order of `KeptMeasure.all`, from its events: one read of its range
    /// of `events_by_campaign`, which holds the kind, message, machine flag and link of
    /// each event (a click on a footer link is a footer click, as the import counts it).
    /// What `activity` keeps per campaign, per message; the bounce types' sets are filled
    /// by `refresh`, which reads the bounces once for the campaign and its messages.
    static func messageSets(_ db: Database, _ campaign: Int64, messages count: Int64, maxID: Int64) throws -> [[ContactSet]] {
        let measures = KeptMeasure.all
        func index(_ m: KeptMeasure) -> Int { measures.firstIndex(of: m)! }
        // The sets an event of each kind puts its contact in (opens: by the machine flag too).
        var byKind: [Int: [Int]] = [:]
        for measure in measures {
            if case .count(let column) = measure, let kind = column.kind, column != .machineOpens, column != .footerClicks {
                byKind[kind.rawValue, default: []].append(index(measure))
            }
        }
        let machine = index(.count(.machineOpens)), human = index(.humanOpens)
        let clicks = index(.count(.clicks)), footerClicks = index(.count(.footerClicks))
        var footer = Set<Int64>()
        try db.query("SELECT id FROM links WHERE campaign_id = ?1 AND footer = 1", [.integer(campaign)]) { footer.insert($0.int64(0)) }
        var sets = [[ContactSet]](repeating: [ContactSet](repeating: ContactSet(maxID: maxID), count: measures.count), count: Int(count))
        let select = "SELECT contact_id, kind, message, machine, link_id FROM events\(db.dialect.indexHint(StoreIndex.eventsByCampaign.name)) WHERE campaign_id = ?1"
        try db.stream(select, [.integer(campaign)]) { row in
            let m = Int(row.int64(2)) - 1
            guard m >= 0, m < sets.count else { return }
            let contact = row.int64(0), kind = Int(row.int64(1))
            if kind == EventKind.clicked.rawValue {
                let footerClick = !row.isNull(4) && footer.contains(row.int64(4))
                sets[m][footerClick ? footerClicks : clicks].insert(contact)
                return
            }
            for i in byKind[kind] ?? [] { sets[m][i].insert(contact) }
            if kind == EventKind.opened.rawValue { sets[m][row.int64(3) != 0 ? machine : human].insert(contact) }
        }
        return sets
    }
}

extension Store {
    /// Recomputes the kept sets of `campaigns` (every campaign when nil) from their
    /// `activity` rows, in the caller's transaction (`CampaignSets.refresh`).
    public func refreshCampaignSets(_ campaigns: [Int64]? = nil) throws {
        // On Citus a reference table is written after reading distributed ones.
        if database.isInTransaction { try writeShardsSequentially() }
        try CampaignSets.refresh(database, campaigns)
    }

    /// The campaigns of more than one message.
    func sequences() throws -> [Int64] {
        var ids: [Int64] = []
        try database.query("SELECT id FROM campaigns WHERE messages > 1 ORDER BY id") { ids.append($0.int64(0)) }
        return ids
    }

    /// The union of the kept sets `read` names, and how many sets were read; nil when a
    /// campaign has no such set (the leaf is then read from `activity`).
    public func campaignSetsUnion(_ read: CampaignSetsRead, maxID: Int64) throws -> (set: ContactSet, sets: Int)? {
        var out = ContactSet(maxID: maxID)
        let statement = try database.prepare("SELECT contacts FROM campaign_sets WHERE campaign_id = ?1 AND measure = ?2")
        for campaign in read.campaigns {
            for measure in read.measures {
                try statement.bind([.integer(campaign), .text(read.name(measure, of: campaign))])
                guard try statement.step(), !statement.isNull(0), CampaignSetCoding.decode(statement.text(0), into: &out) else { return nil }
            }
        }
        return (out, read.sets)
    }
}
