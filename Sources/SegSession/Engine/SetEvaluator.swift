// The bitmap evaluator: runs a bitmap plan's program (SetProgram) against the store.
//
// Each leaf is one SELECT of contact ids from one index range; its rows are read once
// into a ContactSet, and the sets are combined in memory. What a query costs is then
// bounded by the rows its own conditions hold, never by contacts × conditions:
//
// - an `and` is evaluated smallest range first, each operand within what is left, and
//   stops as soon as nothing is left;
// - a leaf whose range holds many more rows than the contacts still in question
//   (`leftFactor` times more, times what one contact's probe costs:
//   AccessPath.restrictedCost) is read for those contacts only, through the index by
//   contact: a correlated probe, but only where it is cheaper, and on an index that is
//   named, not guessed;
// - `not` is the complement within what is in question (the store's contacts at the
//   top), so a contact with no events at all is in the universe.
//
// Each leaf read is recorded (`reads`) for `explain analyze`.

import SegQL
import SegStore

/// Evaluates bitmap programs against one store.
struct SetEvaluator {
    /// One leaf as it was read.
    struct Read {
        var leaf: SetLeaf
        /// Read for this many contacts only (nil: the whole range).
        var restrictedTo: Int?
        var rows: Int
        var contacts: Int
        var milliseconds: Double
    }

    let database: Database
    /// The store's contacts, read when a complement first needs them.
    let universe: () throws -> ContactSet
    /// The largest contact id, to size the sets.
    let maxID: Int64
    /// The largest campaign id (`of_last` keeps a bit per contact and campaign).
    var maxCampaignID: Int64 = 0
    /// A range is read whole unless it is estimated to hold this many times more rows
    /// than there are contacts left to test; then it is read for those contacts alone.
    /// A row of a range costs ~40–60 ns, a contact looked up by id ~1–2 µs (measured on
    /// the 1M-contact demo store, docs/planner.md).
    var leftFactor = 30.0
    /// The kept sets (`campaign_sets`): the union of those a leaf names, and how many
    /// were read, or nil when a campaign has none (the leaf is then read by its SQL).
    var campaignSets: ((CampaignSetsRead) throws -> (set: ContactSet, sets: Int)?)?
    /// The kept sets of an attribute's values (`attribute_sets`): the union of those the
    /// SQL selects for the named attribute, and how many were read, or nil when it keeps
    /// none (the leaf is then read by its SQL).
    var attributeSets: ((String, CompiledSQL) throws -> (set: ContactSet, sets: Int)?)?
    /// Sets read whole by earlier statements while the store has not changed
    /// (Store.rememberedSet), looked up before a leaf is read and given each leaf read
    /// whole; nil: every leaf is read (`explain analyze`, benchmarks).
    var memory: Store?
    private(set) var reads: [Read] = []
    private var everyone: ContactSet?
    /// Each leaf read whole, kept for the leaf's other uses in the program: a condition
    /// written several times (`(A and B) or (A and C) or …`) is read once.
    private var wholeReads: [SetLeaf: ContactSet] = [:]

    /// Polled at every set combined: once it is cancelled (Ctrl-C, a timeout) the
    /// evaluation stops with the statement's error. The reads are SQLite's or the
    /// server's statements, which stop by themselves (Cancellation.swift).
    var cancellation: Cancellation?

    init(database: Database, maxID: Int64, universe: @escaping () throws -> ContactSet) {
        self.database = database
        self.maxID = maxID
        self.universe = universe
    }

    /// The contacts of `program`.
    mutating func evaluate(_ program: SetProgram) throws -> ContactSet {
        try evaluate(program, within: nil)
    }

    private mutating func all() throws -> ContactSet {
        if let everyone { return everyone }
        let u = try universe()
        everyone = u
        return u
    }

    /// `program`'s contacts among `within` (nil: every contact).
    mutating func evaluate(_ program: SetProgram, within: ContactSet?) throws -> ContactSet {
        if let reason = cancellation?.reason { throw SessionError.interrupted(reason) }
        switch program {
        case .everyone:
            return try within ?? all()
        case .nobody:
            return ContactSet(maxID: maxID)
        case .leaf(let leaf):
            return try read(leaf, within: within)
        case .not(let x):
            var out = try within ?? all()
            out.subtract(try evaluate(x, within: within))
            return out
        case .or(let xs):
            var out = ContactSet(maxID: maxID)
            for x in xs { out.formUnion(try evaluate(x, within: within)) }
            return out
        case .and(let xs):
            var left = within
            for x in xs.sorted(by: { Self.rank($0) < Self.rank($1) }) {
                let next = try evaluate(x, within: left)
                left = next
                if next.isEmpty { break }
            }
            return try left ?? all()
        }
    }

    /// The order an `and` reads its operands in: positive sets by the rows they read,
    /// smallest first, then what needs a complement (which can only take away).
    private static func rank(_ p: SetProgram) -> Double {
        switch p {
        case .nobody: return -1
        case .everyone: return 0
        case .leaf(let l): return l.access.estimatedRows
        case .and(let xs): return xs.map(rank).min() ?? 0
        case .or(let xs): return xs.map(rank).reduce(0, +)
        case .not(let x): return 1e15 + rank(x)
        }
    }

    /// Whether `left` contacts are so few that reading `leaf` for them alone, through the
    /// index by contact, reads less than its whole range (AccessPath.restrictedCost).
    private func fewEnough(_ left: Int, _ leaf: SetLeaf) -> Bool {
        Double(left) * leftFactor * leaf.access.restrictedCost < leaf.access.estimatedRows
    }

    /// A leaf's contacts among `within`.
    private mutating func read(_ leaf: SetLeaf, within: ContactSet?) throws -> ContactSet {
        if wholeReads[leaf] == nil, let memory, let known = try memory.rememberedSet(of: leaf) { wholeReads[leaf] = known }
        if var known = wholeReads[leaf] {
            if let within { known.formIntersection(within) }
            return known
        }
        let start = Clock.now()
        // A leaf read from kept sets beside rows is read whole, unless the contacts left
        // are so few that its SQL for them alone reads less than those rows (as below).
        let fewLeft = within.map { fewEnough($0.count, leaf) } ?? false
        if let (whole, rows) = try keptRead(leaf, fewLeft: fewLeft) {
            wholeReads[leaf] = whole
            try memory?.remember(whole, of: leaf)
            var out = whole
            if let within { out.formIntersection(within) }
            reads.append(Read(leaf: leaf, restrictedTo: nil, rows: rows, contacts: whole.count,
                              milliseconds: Clock.millisecondsSince(start)))
            return out
        }
        var restrictedTo: Int?
        var sql = leaf.sql
        if let within {
            let left = within.count
            if fewEnough(left, leaf) {
                restrictedTo = left
                sql = leaf.restricted
                sql.parameters.append(database.dialect.idListValue(within.ids()))
            }
        }
        var out = ContactSet(maxID: maxID)
        var rows = 0
        switch leaf.reading {
        case .ids:
            try database.stream(sql.sql, sql.parameters) { row in
                rows += 1
                out.insert(row.int64(0))
            }
        case .counted(let test):
            var counts = [Int64](repeating: 0, count: Int(max(maxID, 0)) + 1)
            try database.stream(sql.sql, sql.parameters) { row in
                rows += 1
                let id = Int(row.int64(0))
                if id >= counts.count { counts.append(contentsOf: repeatElement(0, count: id - counts.count + 1)) }
                counts[id] += 1
            }
            for (id, n) in counts.enumerated() where n > 0 && test.holds(for: n) { out.insert(Int64(id)) }
        case .lastCampaigns(let ofLast, let test, let distinct, let sends, let sendsRestricted, let order):
            var sendsSQL = sends
            if restrictedTo != nil, let within {
                sendsSQL = sendsRestricted
                sendsSQL.parameters.append(database.dialect.idListValue(within.ids()))
            }
            // The sends come in time order, so a contact's first send of a campaign is the
            // first row naming the pair; each contact keeps the last `ofLast` campaigns so
            // first seen (ties of one second: the higher campaign id, later in the order),
            // in a ring of `n` slots per contact (flat arrays indexed by contact id).
            let n = Int(clamping: max(ofLast, 1))
            // Rows of `activity` (AccessPath.ofLastRollup) each count their measure: as many
            // times, but no more than one past the test's number, which then decides alike.
            let weight: Int64? = leaf.access.ofLastRollup != nil ? max(test.value, 0) + 1 : nil
            if let order, let read = leaf.access.campaignSets, let campaignSets,
               let recipients = try Self.perCampaign(read, order, campaignSets) {
                // The predicate's events per campaign from their kept sets: over a window,
                // those of the campaigns wholly inside it, the events in it of those it
                // cuts (SetLeaf.keptPlusRows), none for the others.
                var eventSets: [ContactSet]?
                var eventSetRows = 0
                if let read = leaf.access.eventSets, let inside = try Self.perCampaign(read, read.campaigns, campaignSets) {
                    var byCampaign = Dictionary(zip(read.campaigns, inside), uniquingKeysWith: { a, _ in a })
                    eventSetRows = read.sets
                    if let cut = leaf.keptPlusRows?.rows { eventSetRows += try addCutCampaigns(cut, to: &byCampaign) }
                    eventSets = order.map { byCampaign[$0] ?? ContactSet(maxID: maxID) }
                }
                rows += try lastCampaignsFromSets(order, n, test: test, distinct: distinct, recipients: recipients,
                                                  events: sql, weight: weight, eventSets: eventSets, eventSetRows: eventSetRows,
                                                  within: restrictedTo != nil ? within : nil, into: &out)
                break
            }
            if let order {
                rows += try lastCampaignsRanked(
                    order, n, test: test, distinct: distinct, sends: sendsSQL, sendsRestricted: sendsRestricted,
                    contactsInQuestion: restrictedTo ?? Int(max(maxID, 0)), events: sql, weight: weight, into: &out)
                break
            }
            // The events first (contact and campaign id in one word), then the sends, of
            // their contacts alone where those are few (as lastCampaignsRanked).
            let (pairs, candidates, eventRows) = try eventPairs(sql, bits: 32, weight: weight) { $0 >= 0 && $0 < 1 << 32 ? Int($0) : nil }
            rows += eventRows
            guard !pairs.isEmpty else { break }
            sendsSQL = sendsOf(candidates, sends: sendsSQL, restricted: sendsRestricted, inQuestion: restrictedTo ?? Int(max(maxID, 0)))
            // The pairs already seen: one bit per contact and campaign id (flat, a row of
            // words per contact), or a hash set where that would exceed 256 MB. A hash
            // set of 9M pairs cost ~4 s of the 1M demo store's `of_last` (docs/planner.md).
            let wordsPerContact = Int(max(maxCampaignID, 0) >> 6) + 1
            let bitsFit = wordsPerContact.multipliedReportingOverflow(by: Int(max(maxID, 0)) + 1).partialValue <= 1 << 25
            var seenBits = [UInt64](repeating: 0, count: bitsFit ? wordsPerContact * (Int(max(maxID, 0)) + 1) : 0)
            var seen = Set<Int64>()
            func firstSend(_ contact: Int, _ campaign: Int64) -> Bool {
                guard bitsFit, campaign >= 0, campaign <= maxCampaignID else {
                    return seen.insert(Int64(contact) &* 4_294_967_296 &+ campaign).inserted
                }
                let i = contact * wordsPerContact + Int(campaign >> 6)
                if i >= seenBits.count { seenBits.append(contentsOf: repeatElement(0, count: max(i + 1, seenBits.count * 2) - seenBits.count)) }
                let bit = UInt64(1) << UInt64(campaign & 63)
                if seenBits[i] & bit != 0 { return false }
                seenBits[i] |= bit
                return true
            }
            var ring: [Int32] = []
            var filled: [Int32] = []
            func grow(_ contact: Int) {
                guard contact >= filled.count else { return }
                let size = max(contact + 1, filled.count * 2, Int(maxID) + 1)
                filled.append(contentsOf: repeatElement(0, count: size - filled.count))
                ring.append(contentsOf: repeatElement(0, count: size * n - ring.count))
            }
            try database.stream(sendsSQL.sql, sendsSQL.parameters) { row in
                rows += 1
                let contact = row.int64(0), campaign = row.int64(1)
                guard contact >= 0, firstSend(Int(contact), campaign) else { return }
                let c = Int(contact)
                grow(c)
                ring[c * n + Int(filled[c]) % n] = Int32(truncatingIfNeeded: campaign)
                filled[c] &+= 1
            }
            // The events, kept when their campaign is in the contact's ring; `distinct`
            // marks the ring slot counted (`of_last` is at most 24, so a slot is one bit).
            var counts = [Int64](repeating: 0, count: filled.count)
            var marks = [UInt64](repeating: 0, count: distinct ? filled.count : 0)
            counting: for pair in pairs {
                let c = Int(pair >> 32), campaign = Int32(truncatingIfNeeded: pair & 0xFFFF_FFFF)
                guard c < filled.count else { continue }
                let slots = min(Int(filled[c]), n)
                for slot in 0..<slots where ring[c * n + slot] == campaign {
                    if distinct {
                        let bit = UInt64(1) << UInt64(slot)
                        if marks[c] & bit != 0 { continue counting }
                        marks[c] |= bit
                    }
                    counts[c] += 1
                    continue counting
                }
            }
            for (contact, k) in counts.enumerated() where k > 0 && test.holds(for: k) { out.insert(Int64(contact)) }
        case .summed(let test):
            var sums = [Int64](repeating: 0, count: Int(max(maxID, 0)) + 1)
            var seen = ContactSet(maxID: maxID)
            try database.stream(sql.sql, sql.parameters) { row in
                rows += 1
                let id = Int(row.int64(0))
                if id >= sums.count { sums.append(contentsOf: repeatElement(0, count: id - sums.count + 1)) }
                sums[id] += row.int64(1)
                seen.insert(Int64(id))
            }
            seen.forEach { id in
                if test.holds(for: sums[Int(id)]) { out.insert(id) }
                return true
            }
        }
        if restrictedTo == nil {
            wholeReads[leaf] = out
            try memory?.remember(out, of: leaf)
            if let within { out.formIntersection(within) }
        }
        reads.append(Read(
            leaf: leaf, restrictedTo: restrictedTo, rows: rows, contacts: out.count,
            milliseconds: Clock.millisecondsSince(start)))
        return out
    }

    /// `of_last`'s events, read before the sends: each row (contact id, campaign id) as
    /// one word, the contact above the low `bits` and `key(campaign)` in them (a row
    /// whose key is nil is passed over; a contact id that does not fit is an error, not
    /// a contact left out), and their contacts. Returns the rows read too.
    /// With `weight`, each row's third column is how many events it stands for, counted
    /// up to `weight` (AccessPath.ofLastRollup): its pair is kept that many times.
    private func eventPairs(_ sql: CompiledSQL, bits: Int, weight: Int64? = nil, key: (Int64) -> Int?) throws -> (pairs: [UInt64], contacts: ContactSet, rows: Int) {
        var pairs: [UInt64] = []
        var contacts = ContactSet(maxID: maxID)
        var rows = 0
        try database.stream(sql.sql, sql.parameters) { row in
            rows += 1
            let contact = row.int64(0)
            guard contact >= 0, contact < 1 << (64 - bits) else {
                throw SessionError.store("contact id \(contact) is past what of_last counts in memory (ids from 0 to 2^\(64 - bits) - 1)")
            }
            guard let k = key(row.int64(1)), k >= 0, k < 1 << bits else { return }
            let pair = UInt64(contact) << UInt64(bits) | UInt64(k)
            if let weight {
                for _ in 0..<max(min(row.int64(2), weight), 0) { pairs.append(pair) }
            } else {
                pairs.append(pair)
            }
            contacts.insert(contact)
        }
        return (pairs, contacts, rows)
    }

    /// The sends `of_last` reads: those of `candidates` alone (`restricted`, through the
    /// index by contact) when they are under half of the contacts in question, else `sends`.
    private func sendsOf(_ candidates: ContactSet, sends: CompiledSQL, restricted: CompiledSQL, inQuestion: Int) -> CompiledSQL {
        guard OfLastSends.onlyOfCandidates(Double(candidates.count), among: Double(inQuestion)) else { return sends }
        var sql = restricted
        sql.parameters.append(database.dialect.idListValue(candidates.ids()))
        return sql
    }

    /// `of_last` where the campaigns' sends do not overlap in time (`order`, oldest
    /// first; EventFilter.sendOrder): the rows of `events` (contact id, campaign id) are
    /// read first and kept in memory, one word each; the rows of `sends` (contact id,
    /// campaign id) name each contact's campaigns with a send, in any order and perhaps
    /// more than once, and its last `n` are those latest in `order`; then the events are
    /// counted where their campaign is one of those. The sends are read only for the
    /// contacts with such an event (`sendsRestricted`, through the index by contact)
    /// when those are under half of the `contactsInQuestion`: `unsubscribed(of_last: 6)`
    /// then reads the sends of a few thousand contacts, not all 8M of the 1M-contact demo
    /// store. Per contact one row of words side by side: a bit per campaign rank (the
    /// campaigns received, then kept), for `distinct` a bit per campaign counted, and the
    /// count, so that an event costs one cache miss rather than one per array (a ring,
    /// its fill and the counts: 3 s of 5 on the 1M-contact demo store). The planner sizes
    /// it (Planner.sendOrder). Returns the rows read.
    /// A leaf read whole from the kept sets where they answer it, and the sets and rows
    /// read; nil when the leaf is read by its SQL (no sets, a set missing or corrupt, or
    /// so few contacts left that its SQL for them reads less than its rows beside the sets).
    private func keptRead(_ leaf: SetLeaf, fewLeft: Bool) throws -> (ContactSet, Int)? {
        if let sets = leaf.keptSets, case .attribute(let name, _) = leaf.condition, let attributeSets {
            return try attributeSets(name, sets).map { ($0.set, $0.sets) }
        }
        guard let campaignSets else { return nil }
        // `at_least` campaigns: each campaign's set, counted per contact; over a window,
        // the campaigns it cuts each a set of the contacts with such an event in it
        // (SetLeaf.keptPlusRows: contact and campaign ids).
        if let read = leaf.access.campaignSets, let test = read.campaignsCounted, leaf.alsoOnRow.isEmpty,
           leaf.keptPlusRows == nil || !fewLeft, var perCampaign = try Self.perCampaign(read, read.campaigns, campaignSets) {
            var cutRows = 0
            if let cut = leaf.keptPlusRows?.rows {
                var byCampaign: [Int64: ContactSet] = [:]
                cutRows = try addCutCampaigns(cut, to: &byCampaign)
                perCampaign += byCampaign.values
            }
            let counts = Self.membership(perCampaign, maxID: maxID)
            return (Self.passing(counts, test, maxID: maxID), read.sets + cutRows)
        }
        // Some campaigns from their kept sets, the others from their rows (SetLeaf.KeptPlusRows).
        if let split = leaf.keptPlusRows, let read = leaf.access.campaignSets, !fewLeft, !leaf.reading.isLastCampaigns,
           let perCampaign = try Self.perCampaign(read, read.campaigns, campaignSets) {
            var rows = read.campaigns.count
            // A count: each set a contact is in counts one, each row its count (the
            // others' `activity` rows, or bounces of a type one row each).
            switch leaf.reading {
            case .summed(let test), .counted(let test):
                var counts = Self.membership(perCampaign, maxID: maxID)
                if let more = split.rows {
                    try database.stream(more.sql, more.parameters) { row in
                        let i = Int(row.int64(0))
                        if i >= counts.count { counts.append(contentsOf: repeatElement(0, count: i - counts.count + 1)) }
                        counts[i] &+= row.int64(1)
                        rows += 1
                    }
                }
                return (Self.passing(counts, test, maxID: maxID), rows)
            case .ids, .lastCampaigns:
                break
            }
            var whole = ContactSet(maxID: maxID)
            for set in perCampaign { whole.formUnion(set) }
            if let more = split.rows {
                try database.stream(more.sql, more.parameters) { row in
                    whole.insert(row.int64(0))
                    rows += 1
                }
            }
            return (whole, rows)
        }
        // A union of one set per campaign.
        guard let read = leaf.access.campaignSets, read.campaignsCounted == nil, leaf.alsoOnRow.isEmpty, leaf.reading == .ids,
              leaf.keptPlusRows == nil else { return nil }
        return try campaignSets(read).map { ($0.set, $0.sets) }
    }

    /// Adds the rows of `cut` (contact and campaign ids: the events in a window of the
    /// campaigns it cuts) to each campaign's set; returns the rows read.
    private func addCutCampaigns(_ cut: CompiledSQL, to byCampaign: inout [Int64: ContactSet]) throws -> Int {
        var rows = 0
        try database.stream(cut.sql, cut.parameters) { row in
            byCampaign[row.int64(1), default: ContactSet(maxID: maxID)].insert(row.int64(0))
            rows += 1
        }
        return rows
    }

    /// How many of `sets` hold each contact, indexed by contact id.
    private static func membership(_ sets: [ContactSet], maxID: Int64) -> [Int64] {
        var counts = [Int64](repeating: 0, count: Int(max(maxID, 0)) + 1)
        for set in sets {
            set.forEach { contact in
                let i = Int(contact)
                if i >= counts.count { counts.append(contentsOf: repeatElement(0, count: i - counts.count + 1)) }
                counts[i] &+= 1
                return true
            }
        }
        return counts
    }

    /// The contacts whose count (above zero) passes `test`.
    private static func passing(_ counts: [Int64], _ test: CountTest, maxID: Int64) -> ContactSet {
        var out = ContactSet(maxID: maxID)
        for (contact, k) in counts.enumerated() where k > 0 && test.holds(for: k) { out.insert(Int64(contact)) }
        return out
    }

    /// Each campaign's kept set of `read`'s columns, in `order`; nil when one is missing.
    private static func perCampaign(_ read: CampaignSetsRead, _ order: [Int64],
                                    _ sets: (CampaignSetsRead) throws -> (set: ContactSet, sets: Int)?) throws -> [ContactSet]? {
        var out: [ContactSet] = []
        for campaign in order {
            guard let one = try sets(read.of([campaign])) else { return nil }
            out.append(one.set)
        }
        return out
    }

    /// `of_last` over campaigns whose sends do not overlap (`order`, oldest first), with
    /// their recipients from the kept sets instead of `activity`'s rows: newest first, a
    /// campaign is among a contact's last `n` when the contact received fewer than `n`
    /// of the newer ones, which `n` cumulative sets keep ("received at least k of the
    /// newer campaigns"). Then each of the predicate's events (read as before) counts
    /// when its campaign is among its contact's last `n`. Returns the rows read: the
    /// events, and one per set.
    private func lastCampaignsFromSets(_ order: [Int64], _ n: Int, test: CountTest, distinct: Bool,
                                       recipients: [ContactSet], events: CompiledSQL, weight: Int64? = nil, eventSets: [ContactSet]?, eventSetRows: Int,
                                       within: ContactSet?, into out: inout ContactSet) throws -> Int {
        var inLast = recipients
        let depth = min(n, order.count)
        if depth < order.count {
            // atLeast[k]: contacts who received at least k + 1 of the campaigns after this one.
            var atLeast = [ContactSet](repeating: ContactSet(maxID: maxID), count: depth)
            for r in order.indices.reversed() {
                inLast[r].subtract(atLeast[depth - 1])
                for k in stride(from: depth - 1, to: 0, by: -1) {
                    var more = atLeast[k - 1]
                    more.formIntersection(recipients[r])
                    atLeast[k].formUnion(more)
                }
                atLeast[0].formUnion(recipients[r])
                if let reason = cancellation?.reason { throw SessionError.interrupted(reason) }
            }
        }
        var counts = [Int32](repeating: 0, count: Int(max(maxID, 0)) + 1)
        if let eventSets {
            // The campaigns among its last `n` in which a contact had such an event
            // (the planner asks this only for "at least one" or `at_least` campaigns).
            for r in order.indices {
                var hits = eventSets[r]
                hits.formIntersection(inLast[r])
                if let within { hits.formIntersection(within) }
                hits.forEach { contact in
                    let i = Int(contact)
                    if i >= counts.count { counts.append(contentsOf: repeatElement(0, count: i - counts.count + 1)) }
                    counts[i] &+= 1
                    return true
                }
            }
            for (contact, k) in counts.enumerated() where k > 0 && test.holds(for: Int64(k)) { out.insert(Int64(contact)) }
            return recipients.count + eventSetRows
        }
        let rankOf = Dictionary(uniqueKeysWithValues: order.enumerated().map { ($1, $0) })
        var rows = recipients.count
        try database.stream(events.sql, events.parameters) { row in
            rows += 1
            let contact = row.int64(0)
            guard let r = rankOf[row.int64(1)], inLast[r].contains(contact) else { return }
            // A campaign counts once per contact for `at_least`: its bit is taken.
            if distinct { inLast[r].remove(contact) }
            let i = Int(contact)
            if i >= counts.count { counts.append(contentsOf: repeatElement(0, count: i - counts.count + 1)) }
            counts[i] &+= weight.map { Int32(clamping: max(min(row.int64(2), $0), 0)) } ?? 1
        }
        for (contact, k) in counts.enumerated() where k > 0 && test.holds(for: Int64(k)) { out.insert(Int64(contact)) }
        return rows
    }

    private func lastCampaignsRanked(_ order: [Int64], _ n: Int, test: CountTest, distinct: Bool,
                                     sends: CompiledSQL, sendsRestricted: CompiledSQL, contactsInQuestion: Int,
                                     events: CompiledSQL, weight: Int64? = nil, into out: inout ContactSet) throws -> Int {
        // Campaign id to rank: an array where the ids are small, as they are.
        let byIndex = order.allSatisfy { $0 >= 0 && $0 < 1 << 22 }
        var rankAt = [Int32](repeating: -1, count: byIndex ? Int(order.max() ?? 0) + 1 : 0)
        var rankOf: [Int64: Int32] = [:]
        for (i, id) in order.enumerated() {
            if byIndex { rankAt[Int(id)] = Int32(i) } else { rankOf[id] = Int32(i) }
        }
        func rank(_ campaign: Int64) -> Int {
            Int(byIndex ? (campaign >= 0 && campaign < rankAt.count ? rankAt[Int(campaign)] : -1) : (rankOf[campaign] ?? -1))
        }
        // The events first: contact id and rank in one word (ranks are under 2^22, as the
        // planner's bound on the words keeps them), and their contacts.
        let (pairs, candidates, eventRows) = try eventPairs(events, bits: 22, weight: weight) { let r = rank($0); return r >= 0 ? r : nil }
        var rows = eventRows
        guard !pairs.isEmpty else { return rows }
        let sendsSQL = sendsOf(candidates, sends: sends, restricted: sendsRestricted, inQuestion: contactsInQuestion)
        let words = (order.count + 63) >> 6
        let stride = words * (distinct ? 2 : 1) + 1
        var cells = [UInt64](repeating: 0, count: stride * (Int(max(maxID, 0)) + 1))
        try database.stream(sendsSQL.sql, sendsSQL.parameters) { row in
            rows += 1
            let contact = row.int64(0), r = rank(row.int64(1))
            guard contact >= 0, contact < 1 << 40, r >= 0 else { return }
            let base = Int(contact) * stride
            if base >= cells.count { cells.append(contentsOf: repeatElement(0, count: base + stride - cells.count)) }
            cells[base + r >> 6] |= 1 << UInt64(r & 63)
        }
        // Each contact keeps its `n` latest campaigns: the highest bits.
        for base in Swift.stride(from: 0, to: cells.count, by: stride) {
            var left = n
            for w in (0..<words).reversed() {
                if left == 0 {
                    cells[base + w] = 0
                    continue
                }
                var bits = cells[base + w]
                if bits.nonzeroBitCount <= left {
                    left -= bits.nonzeroBitCount
                    continue
                }
                var kept: UInt64 = 0
                for _ in 0..<left {
                    let top = UInt64(63 - bits.leadingZeroBitCount)
                    kept |= 1 << top
                    bits &= ~(1 << top)
                }
                cells[base + w] = kept
                left = 0
            }
        }
        for pair in pairs {
            let contact = Int(pair >> 22), r = Int(pair & (1 << 22 - 1))
            let base = contact &* stride
            guard base < cells.count else { continue }
            let bit = UInt64(1) << UInt64(r & 63)
            guard cells[base + r >> 6] & bit != 0 else { continue }
            if distinct {
                let mark = base + words + r >> 6
                if cells[mark] & bit != 0 { continue }
                cells[mark] |= bit
            }
            cells[base + stride - 1] &+= 1
        }
        for (i, base) in Swift.stride(from: 0, to: cells.count, by: stride).enumerated() {
            let k = Int64(truncatingIfNeeded: cells[base + stride - 1])
            if k > 0, test.holds(for: k) { out.insert(Int64(i)) }
        }
        return rows
    }
}
