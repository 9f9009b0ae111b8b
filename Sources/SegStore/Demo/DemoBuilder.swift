// The demo store's generator: contacts, then campaigns and links, then every
// campaign's events in (campaign, contact) order, then the indexes. See DemoStore.swift.
//
// One file, though long: the stages share the builder's random streams (SplitMix64
// seeded by seed, campaign and contact) and its prepared statements, and the order of
// the draws is what makes a seed give the same store, so the whole generation is read in
// one place.

import CSQLite
import SegQL

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Per-contact traits fixed at creation.
private struct Trait {
    static let hasEmail: UInt8 = 1, hasPhone: UInt8 = 2, dormant: UInt8 = 4, mpp: UInt8 = 8, badAddress: UInt8 = 16
}

/// Per-contact state that campaigns change (suppressions).
private struct Suppression {
    static let hardBounced: UInt8 = 1, unsubscribed: UInt8 = 2, complained: UInt8 = 4, smsStopped: UInt8 = 8
}

struct Builder {
    let db: SQLiteDatabase
    let options: DemoOptions
    let progress: ((DemoProgress) -> Void)?
    let isCancelled: (() -> Bool)?
    let started = monotonicSeconds()
    private var summary = DemoSummary()
    private var phaseStart = monotonicSeconds()

    // Contact profiles, indexed by contact id - 1.
    private var traits: [UInt8] = []
    private var openP: [Float] = []
    private var clickP: [Float] = []
    private var suppressed: [UInt8] = []
    private var perContact: [ActivityDelta] = []

    init(path: String, options: DemoOptions, progress: ((DemoProgress) -> Void)?, isCancelled: (() -> Bool)?) throws {
        let store = try Store(path: path)
        // A downcast, not a capability: the demo is written as an SQLite file (with its
        // bulk pragmas), then copied into PostgreSQL when asked (DemoStore.buildPostgres).
        guard let sqlite = store.database as? SQLiteDatabase else {
            throw DatabaseError(.misuse, message: "the demo builder writes an SQLite file")
        }
        db = sqlite
        self.options = options
        self.progress = progress
        self.isCancelled = isCancelled
        // A fresh private file: no journal, no syncs, a big cache. Safe because the file
        // is renamed into place only after it is complete.
        try db.execute("""
            PRAGMA journal_mode = OFF;
            PRAGMA synchronous = OFF;
            PRAGMA cache_size = -1048576;
            PRAGMA temp_store = MEMORY;
            PRAGMA threads = 2;
            PRAGMA secure_delete = OFF;
            PRAGMA foreign_keys = OFF;
            """)
    }

    private mutating func phase(_ name: String) {
        let now = monotonicSeconds()
        summary.phases.append((name, now - phaseStart))
        phaseStart = now
    }

    private func report(_ phase: String, _ fraction: Double) throws {
        if let isCancelled, isCancelled() { throw DemoError.cancelled }
        progress?(DemoProgress(phase: phase, fraction: fraction, events: summary.events,
                               elapsed: monotonicSeconds() - started))
    }

    mutating func build() throws -> DemoSummary {
        // Secondary indexes are dropped during the bulk insert and recreated after,
        // from their own definitions (so they stay exactly the schema's).
        var indexes: [String] = []
        try db.query("""
            SELECT sql FROM sqlite_master
            WHERE type = 'index' AND sql IS NOT NULL
              AND tbl_name IN ('events', 'activity', 'contact_attributes', 'contact_activity')
            ORDER BY name
            """) { indexes.append($0.text(0)) }
        var names: [String] = []
        try db.query("""
            SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL
              AND tbl_name IN ('events', 'activity', 'contact_attributes', 'contact_activity')
            """) { names.append($0.text(0)) }
        for name in names { try db.execute("DROP INDEX \(quoteIdentifier(name))") }

        try db.execute("BEGIN")
        try db.execute("DELETE FROM store_info WHERE key IN ('created_by')")
        let info: [(String, SQLValue)] = [
            ("created_by", .text("segq demo")), ("demo_now", .integer(options.now)),
            ("demo_contacts", .integer(Int64(options.contacts))), ("demo_seed", .integer(Int64(bitPattern: options.seed))),
        ]
        for (key, value) in info {
            try db.execute("INSERT OR REPLACE INTO store_info(key, value) VALUES (?, ?)", [.text(key), value])
        }
        try writeContacts()
        phase("contacts")
        let links = try writeCampaigns()
        try writeEvents(links)
        phase("events")
        try db.execute("COMMIT")
        for (i, sql) in indexes.enumerated() {
            try report("indexes", Double(i) / Double(max(indexes.count, 1)))
            try db.execute(sql)
            let name = sql.split(separator: " ").dropFirst(2).first.map(String.init) ?? "index"
            phase("index \(name)")
        }
        // The kept sets, from the `activity` and `contact_attributes` rows just written
        // (StoreCampaignSets.swift, StoreAttributeSets.swift).
        try report("kept sets", 0)
        try db.transaction {
            try CampaignSets.refresh(db, nil)
            try AttributeSets.refresh(db, nil)
        }
        phase("kept sets")
        try report("finishing", 0)
        let mode = try db.text("PRAGMA journal_mode = WAL") ?? ""
        guard mode == "wal" else {
            throw DatabaseError(code: SQLITE_ERROR, message: "could not switch to WAL mode (got '\(mode)')", sql: "PRAGMA journal_mode = WAL")
        }
        try db.execute("PRAGMA synchronous = NORMAL")
        phase("finishing")
        summary.elapsed = monotonicSeconds() - started
        return summary
    }

    // MARK: - Contacts

    private mutating func writeContacts() throws {
        let n = options.contacts
        traits = Array(repeating: 0, count: n)
        openP = Array(repeating: 0, count: n)
        clickP = Array(repeating: 0, count: n)
        suppressed = Array(repeating: 0, count: n)
        perContact = Array(repeating: ActivityDelta(), count: n)
        let contactRows = try BatchInsert(
            db, "INSERT INTO contacts(id, email, phone, first_name, last_name, created_at) VALUES", columns: 6)
        let attributeRows = try BatchInsert(
            db, "INSERT INTO contact_attributes(contact_id, name, type, value) VALUES", columns: 4)
        let domainWeights = DemoModel.cumulative(DemoModel.domains.map(\.1))
        let countryWeights = DemoModel.cumulative(DemoModel.countries.map(\.1))
        let planWeights = DemoModel.cumulative(DemoModel.plans.map(\.1))
        let now = options.now
        let lowerFirst = DemoModel.firstNames.map(asciiLower)
        let lowerLast = DemoModel.lastNames.map(asciiLower)
        for i in 0..<n {
            if i & 0xFFFF == 0 { try report("contacts", Double(i) / Double(n)) }
            var r = SplitMix64(seed: options.seed, 0xC0_47AC, UInt64(i))
            let id = Int64(i + 1)
            let firstIndex = r.below(DemoModel.firstNames.count)
            let lastIndex = r.below(DemoModel.lastNames.count)
            let first = DemoModel.firstNames[firstIndex]
            let last = DemoModel.lastNames[lastIndex]
            let domain = DemoModel.domains[r.pick(domainWeights)].0
            let country: String? = r.chance(0.05) ? nil : DemoModel.countries[r.pick(countryWeights)].0
            var t: UInt8 = 0
            let phoneOnly = r.chance(0.02)
            if !phoneOnly { t |= Trait.hasEmail }
            if phoneOnly || r.chance(0.4) { t |= Trait.hasPhone }
            if r.chance(0.01) { t |= Trait.dormant }
            if domain == "icloud.com" || domain == "me.com" ? r.chance(0.85) : r.chance(0.03) { t |= Trait.mpp }
            if r.chance(0.008) { t |= Trait.badAddress }
            traits[i] = t
            // Heavy-tailed engagement: most contacts rarely open, a few open everything.
            let u = r.unit()
            openP[i] = r.chance(0.02) ? 0.97 : Float(0.015 + 0.9 * u * u * u * u * u)
            let v = r.unit()
            clickP[i] = Float(0.03 + 0.55 * v * v * v)

            var email: String?
            if t & Trait.hasEmail != 0 {
                var e = lowerFirst[firstIndex]
                e += "."
                e += lowerLast[lastIndex]
                e += String(i + 1)
                e += "@"
                e += domain
                email = e
            }
            var phone: String?
            if t & Trait.hasPhone != 0 {
                phone = (DemoModel.phonePrefix[country ?? "SE"] ?? "+4670") + padded(i + 1, 7)
            }
            let firstName: String? = r.chance(0.03) ? nil : first
            let lastName: String? = r.chance(0.03) ? nil : last
            let createdAt = now - Int64(730 * 86_400 * (1 - r.unit() * r.unit()))
            try contactRows.add { st, b in
                try st.bind(id, at: b + 1)
                try st.bind(email, at: b + 2)
                try st.bind(phone, at: b + 3)
                try st.bind(firstName, at: b + 4)
                try st.bind(lastName, at: b + 5)
                try st.bind(createdAt, at: b + 6)
            }

            func attr(_ name: String, _ type: String, _ value: SQLValue) throws {
                try attributeRows.add { st, b in
                    try st.bind(id, at: b + 1)
                    try st.bind(name, at: b + 2)
                    try st.bind(type, at: b + 3)
                    try st.bind(value, at: b + 4)
                }
            }
            if let country { try attr("country", "string", .text(country)) }
            if !r.chance(0.04) { try attr("plan", "string", .text(DemoModel.plans[r.pick(planWeights)].0)) }
            if !r.chance(0.12) { try attr("age", "number", .integer(Int64(18 + r.below(30) + r.below(33)))) }
            if !r.chance(0.2) {
                let orders = Int64(r.geometric(0.55 + 0.4 * Double(openP[i]), cap: 60))
                try attr("orders", "number", .integer(orders))
            }
            if r.chance(0.3) { try attr("vip", "boolean", .integer(r.chance(0.15) ? 1 : 0)) }
        }
        try contactRows.finish()
        try attributeRows.finish()
        summary.contacts = n
    }

    // MARK: - Campaigns and links

    /// Writes campaigns and links; returns each campaign's links with their ids.
    private mutating func writeCampaigns() throws -> [[(id: Int64, link: DemoLink)]] {
        let campaign = try db.prepare("""
            INSERT INTO campaigns(id, name, channel, subject, sent_at, sent_at_declared, messages, status, created_at)
            VALUES (?1, ?2, ?3, ?4, ?5, 1, ?6, 'sent', ?7)
            """)
        let link = try db.prepare("INSERT INTO links(campaign_id, url, path, footer) VALUES (?1, ?2, ?3, ?4)")
        var all: [[(id: Int64, link: DemoLink)]] = []
        for (ci, c) in DemoModel.campaigns.enumerated() {
            let id = Int64(ci + 1)
            let sentAt = sendTime(c)
            try campaign.bind([.integer(id), .text(c.name), .text(c.channel.rawValue), .text(c.subject),
                               .integer(sentAt), .integer(Int64(c.messages)), .integer(sentAt - 5 * 86_400)])
            try campaign.run()
            var links: [(id: Int64, link: DemoLink)] = []
            for l in DemoModel.links(of: c) {
                try link.bind([.integer(id), .text(l.url), .text(linkPath(ofURL: l.url)), .integer(l.footer ? 1 : 0)])
                try link.run()
                links.append((db.lastInsertRowID, l))
                summary.links += 1
            }
            all.append(links)
        }
        summary.campaigns = DemoModel.campaigns.count
        return all
    }

    private func sendTime(_ c: DemoCampaign) -> Int64 {
        // 09:00 UTC on the day.
        let day = (options.now - Int64(c.daysAgo * 86_400)) / 86_400 * 86_400
        return day + 9 * 3600
    }

    // MARK: - Events

    private mutating func writeEvents(_ links: [[(id: Int64, link: DemoLink)]]) throws {
        let writer = try EventWriter(db)
        let n = options.contacts
        let totalPairs = Double(n * DemoModel.campaigns.count)
        var statsRows: [(campaign: Int64, kind: Int, stats: StatsDelta, contacts: Int64)] = []
        let activityRows = try BatchInsert(
            db, "INSERT INTO activity(campaign_id, contact_id, \(RollupColumns.names.joined(separator: ", "))) VALUES",
            columns: 17)
        for (ci, c) in DemoModel.campaigns.enumerated() {
            let campaignID = Int64(ci + 1)
            let t0 = sendTime(c)
            writer.campaignStart = t0
            let messageTimes = [t0] + c.followUps.map { t0 + Int64($0 * 86_400) }
            let content = links[ci].filter { !$0.link.footer }
            let contentWeights = DemoModel.cumulative(content.map(\.link.weight))
            let unsubscribeLink = links[ci].first { $0.link.url.contains("/unsubscribe") }
            let privacyLink = links[ci].first { $0.link.url.hasSuffix("/privacy") }
            var stats = Array(repeating: StatsDelta(), count: 11)
            var statContacts = Array(repeating: Int64(0), count: 11)
            let needed = c.channel == .email ? Trait.hasEmail : Trait.hasPhone
            for i in 0..<n {
                if i & 0xFFFF == 0 {
                    try report("events", (Double(ci * n) + Double(i)) / totalPairs)
                }
                let t = traits[i]
                guard t & needed != 0, t & Trait.dormant == 0 else { continue }
                var r = SplitMix64(seed: options.seed, UInt64(ci + 1), UInt64(i))
                guard r.chance(c.audience) else { continue }
                writer.begin(contact: Int64(i + 1), campaign: campaignID)
                for (m, tm) in messageTimes.enumerated() {
                    // Sending takes 90 minutes, in contact order.
                    let sendAt = tm + Int64(i) * 5400 / Int64(n)
                    if c.channel == .email {
                        try emailMessage(i, message: Int64(m + 1), at: sendAt, &r, writer,
                                         content: content, weights: contentWeights,
                                         unsubscribe: unsubscribeLink?.id, privacy: privacyLink?.id)
                    } else {
                        try smsMessage(i, message: Int64(m + 1), at: sendAt, &r, writer,
                                       link: content.first?.id)
                    }
                }
                let d = writer.delta
                guard writer.count > 0 else { continue }
                let contactID = Int64(i + 1)
                try activityRows.add { st, b in
                    try st.bind(campaignID, at: b + 1)
                    try st.bind(contactID, at: b + 2)
                    try d.bind(to: st, from: b + 3)
                }
                summary.activityRows += 1
                perContact[i].merge(d)
                for (k, s) in writer.kindStats.enumerated() where s.events > 0 {
                    stats[k].events += s.events
                    stats[k].minTS = min(stats[k].minTS, s.minTS)
                    stats[k].maxTS = max(stats[k].maxTS, s.maxTS)
                    statContacts[k] += 1
                }
            }
            try writer.flushCampaign(start: t0)
            summary.events = writer.total
            for k in 1...10 where stats[k].events > 0 {
                statsRows.append((campaignID, k, stats[k], statContacts[k]))
            }
        }
        try activityRows.finish()
        summary.events = writer.total
        let contactRows = try BatchInsert(
            db, "INSERT INTO contact_activity(contact_id, \(RollupColumns.names.joined(separator: ", "))) VALUES",
            columns: 16)
        for i in 0..<n where perContact[i].hasAny {
            let d = perContact[i]
            try contactRows.add { st, b in
                try st.bind(Int64(i + 1), at: b + 1)
                try d.bind(to: st, from: b + 2)
            }
        }
        try contactRows.finish()
        let stat = try db.prepare(
            "INSERT INTO event_stats(campaign_id, kind, events, contacts, min_ts, max_ts) VALUES (?1, ?2, ?3, ?4, ?5, ?6)")
        for row in statsRows {
            try stat.bind([.integer(row.campaign), .integer(Int64(row.kind)), .integer(row.stats.events),
                           .integer(row.contacts), .integer(row.stats.minTS), .integer(row.stats.maxTS)])
            try stat.run()
        }
    }

    private mutating func emailMessage(
        _ i: Int, message: Int64, at sendAt: Int64, _ r: inout SplitMix64, _ w: EventWriter,
        content: [(id: Int64, link: DemoLink)], weights: [Double], unsubscribe: Int64?, privacy: Int64?
    ) throws {
        let state = suppressed[i]
        if state & Suppression.hardBounced != 0 {
            try w.emit(.dropped, sendAt, message, reason: "Bounced Address"); return
        }
        if state & Suppression.complained != 0 {
            try w.emit(.dropped, sendAt, message, reason: "Spam Reporting Address"); return
        }
        if state & Suppression.unsubscribed != 0 {
            try w.emit(.dropped, sendAt, message, reason: "Unsubscribed Address"); return
        }
        try w.emit(.sent, sendAt, message)
        let t = traits[i]
        if t & Trait.badAddress != 0 {
            try w.emit(.bounced, sendAt + 1 + Int64(r.below(20)), message, bounce: "hard",
                       reason: DemoModel.hardBounceReasons[r.below(DemoModel.hardBounceReasons.count)])
            suppressed[i] |= Suppression.hardBounced
            return
        }
        if r.chance(0.012) {
            try w.emit(.bounced, sendAt + 60 + Int64(r.below(3600)), message, bounce: "soft",
                       reason: DemoModel.softBounceReasons[r.below(DemoModel.softBounceReasons.count)])
            return
        }
        let deliveredAt = sendAt + 1 + Int64(r.below(40))
        try w.emit(.delivered, deliveredAt, message)
        if t & Trait.mpp != 0 && r.chance(0.92) {
            // The privacy proxy fetches the images soon after delivery.
            try w.emit(.opened, deliveredAt + 30 + Int64(r.below(1200)), message, machine: true)
        }
        if r.chance(Double(openP[i])) {
            let opens = 1 + r.geometric(0.45, cap: 9)
            var firstOpen = Int64.max
            for _ in 0..<opens {
                let at = deliveredAt + 20 + Int64(r.exponential(mean: 7 * 3600))
                firstOpen = min(firstOpen, at)
                try w.emit(.opened, at, message)
            }
            if r.chance(Double(clickP[i])), !content.isEmpty {
                let clicks = 1 + r.geometric(0.3, cap: 5)
                for k in 0..<clicks {
                    let link = content[r.pick(weights)].id
                    try w.emit(.clicked, firstOpen + 10 + Int64(k * 40 + r.below(900)), message, link: link)
                }
            }
            if r.chance(0.015), let privacy {
                try w.emit(.clicked, firstOpen + 15 + Int64(r.below(300)), message, link: privacy)
            }
            if r.chance(0.006) { try w.emit(.replied, firstOpen + 60 + Int64(r.exponential(mean: 7200)), message) }
            if r.chance(0.004) { try w.emit(.forwarded, firstOpen + 30 + Int64(r.exponential(mean: 3600)), message) }
            if r.chance(0.003) {
                if let unsubscribe, r.chance(0.7) {
                    try w.emit(.clicked, firstOpen + 20, message, link: unsubscribe)
                }
                try w.emit(.unsubscribed, firstOpen + 45, message)
                suppressed[i] |= Suppression.unsubscribed
            }
        } else if r.chance(0.0005) {
            try w.emit(.unsubscribed, deliveredAt + Int64(r.exponential(mean: 86_400)), message)
            suppressed[i] |= Suppression.unsubscribed
        }
        if r.chance(0.0004) {
            try w.emit(.complained, deliveredAt + 600 + Int64(r.exponential(mean: 86_400)), message)
            suppressed[i] |= Suppression.complained
        }
    }

    private mutating func smsMessage(
        _ i: Int, message: Int64, at sendAt: Int64, _ r: inout SplitMix64, _ w: EventWriter, link: Int64?
    ) throws {
        if suppressed[i] & Suppression.smsStopped != 0 {
            try w.emit(.dropped, sendAt, message, reason: "Unsubscribed Address"); return
        }
        try w.emit(.sent, sendAt, message)
        if r.chance(0.03) {
            try w.emit(.bounced, sendAt + 5 + Int64(r.below(600)), message, bounce: "soft",
                       reason: DemoModel.smsFailureReasons[r.below(DemoModel.smsFailureReasons.count)])
            return
        }
        let deliveredAt = sendAt + 1 + Int64(r.below(10))
        try w.emit(.delivered, deliveredAt, message)
        if let link, r.chance(0.02 + 1.5 * Double(openP[i]) * Double(clickP[i]) + 0.1 * Double(openP[i])) {
            let clicks = 1 + r.geometric(0.2, cap: 4)
            for k in 0..<clicks {
                try w.emit(.clicked, deliveredAt + 30 + Int64(k * 60) + Int64(r.exponential(mean: 1800)), message, link: link)
            }
        }
        if r.chance(0.01) { try w.emit(.replied, deliveredAt + 60 + Int64(r.exponential(mean: 1200)), message) }
        if r.chance(0.006) {
            try w.emit(.unsubscribed, deliveredAt + 60 + Int64(r.exponential(mean: 1800)), message)
            suppressed[i] |= Suppression.smsStopped
        }
    }
}

/// An event waiting in its campaign's buffer (24 bytes).
private struct DemoEvent {
    /// kind << 59 | (ts - campaign start) << 24 | contact: the order rows are written in.
    var key: UInt64
    var link: Int32
    var message: UInt8
    var machine: Bool
    /// Index into `EventWriter.texts` of the bounce type and the reason (0: none).
    var bounce: UInt8
    var reason: UInt8
}

/// Collects one campaign's events, keeps each (campaign, contact) pair's rollup, and
/// writes the campaign's rows sorted by (kind, ts, contact).
///
/// Why sorted: SQLite's CREATE INDEX sorts its keys, and its comparator is slow when the
/// first column has few values (`kind`, `campaign_id`) unless the input is nearly in
/// order already. Rows in (campaign, kind, ts) order, with contacts sent in id order so
/// that ts follows contact for sends and deliveries, make both `events_by_campaign` and
/// `events_by_kind_ts` nearly presorted (campaigns are chronological): on 300,000
/// contacts this cut the `events_by_kind_ts` build from 24 s to a fraction.
private final class EventWriter {
    static let batch = 64
    let insertOne: PreparedStatement
    let insertMany: PreparedStatement
    var contact: Int64 = 0
    var campaign: Int64 = 0
    var now: Int64 = .max
    var delta = ActivityDelta()
    /// Events of this pair, and per kind (index = kind code).
    var count = 0
    var kindStats = Array(repeating: StatsDelta(), count: 11)
    var total = 0
    /// Footer links by id.
    var footerLinks: Set<Int64> = []
    private var buffer: [DemoEvent] = []
    /// Bounce types and reasons by index (0 unused).
    private var texts: [String] = [""]
    private var textIndex: [String: UInt8] = [:]

    init(_ db: Database) throws {
        let insert = "INSERT INTO events(kind, contact_id, campaign_id, message, ts, link_id, bounce, reason, machine) VALUES "
        let row = "(?, ?, ?, ?, ?, ?, ?, ?, ?)"
        insertOne = try db.prepare(insert + row, persistent: true)
        insertMany = try db.prepare(insert + Array(repeating: row, count: EventWriter.batch).joined(separator: ", "),
                                    persistent: true)
        try db.query("SELECT id FROM links WHERE footer = 1") { footerLinks.insert($0.int64(0)) }
        now = try db.int64("SELECT value FROM store_info WHERE key = 'demo_now'") ?? .max
        for text in ["hard", "soft", "Bounced Address", "Unsubscribed Address", "Spam Reporting Address"]
            + DemoModel.hardBounceReasons + DemoModel.softBounceReasons + DemoModel.smsFailureReasons {
            textIndex[text] = UInt8(texts.count)
            texts.append(text)
        }
    }

    func begin(contact: Int64, campaign: Int64) {
        self.contact = contact
        self.campaign = campaign
        delta = ActivityDelta()
        count = 0
        for k in 0..<kindStats.count where kindStats[k].events > 0 { kindStats[k] = StatsDelta() }
    }

    @inline(__always)
    func emit(_ kind: EventKind, _ ts: Int64, _ message: Int64, link: Int64? = nil,
              bounce: String? = nil, reason: String? = nil, machine: Bool = false) throws {
        // Everything happened before the reference date.
        guard ts < now else { return }
        buffer.append(DemoEvent(
            key: UInt64(kind.rawValue) << 59 | UInt64(ts - campaignStart) << 24 | UInt64(contact),
            link: Int32(link ?? 0), message: UInt8(message), machine: machine,
            bounce: bounce.flatMap { textIndex[$0] } ?? 0, reason: reason.flatMap { textIndex[$0] } ?? 0))
        let footer = link.map { footerLinks.contains($0) } ?? false
        delta.add(kind, ts: ts, machine: machine, footer: footer)
        kindStats[kind.rawValue].add(ts)
        count += 1
        total += 1
    }

    /// The send time of message 1 of the campaign being generated (keys are relative to it).
    var campaignStart: Int64 = 0

    /// Writes the campaign's buffered events in (kind, ts, contact) order.
    func flushCampaign(start: Int64) throws {
        buffer.sort { $0.key < $1.key }
        var i = 0
        while i < buffer.count {
            let n = buffer.count - i >= EventWriter.batch ? EventWriter.batch : 1
            let st = n == EventWriter.batch ? insertMany : insertOne
            for k in 0..<n {
                let e = buffer[i + k]
                let base = Int32(k * 9)
                try st.bind(Int64(e.key >> 59), at: base + 1)
                try st.bind(Int64(e.key & 0xFF_FFFF), at: base + 2)
                try st.bind(campaign, at: base + 3)
                try st.bind(Int64(e.message), at: base + 4)
                try st.bind(start + Int64((e.key >> 24) & 0x7_FFFF_FFFF), at: base + 5)
                try st.bind(e.link == 0 ? nil : Int64(e.link), at: base + 6)
                try st.bind(e.bounce == 0 ? nil : texts[Int(e.bounce)], at: base + 7)
                try st.bind(e.reason == 0 ? nil : texts[Int(e.reason)], at: base + 8)
                try st.bind(Int64(e.machine ? 1 : 0), at: base + 9)
            }
            try st.run()
            i += n
        }
        buffer.removeAll(keepingCapacity: true)
    }
}

extension ActivityDelta {
    /// Whether any count is non-zero.
    var hasAny: Bool {
        sends + drops + deliveries + bounces + opens + clicks + footerClicks + replies + forwards
            + unsubscribes + complaints > 0
    }
}

/// Lower-cased ASCII for an e-mail local part (å → a, ö → o, ü → u, …).
private func asciiLower(_ s: String) -> String {
    var out = ""
    for ch in s.lowercased() {
        switch ch {
        case "å", "ä", "á", "à": out.append("a")
        case "ö", "ø", "ó": out.append("o")
        case "ü", "ú": out.append("u")
        case "é", "è": out.append("e")
        default: if ch.isASCII { out.append(ch) }
        }
    }
    return out
}

private func padded(_ v: Int, _ width: Int) -> String {
    let s = String(v)
    return s.count >= width ? s : String(repeating: "0", count: width - s.count) + s
}
