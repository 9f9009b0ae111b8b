// A sample of contacts for the estimates the statistics cannot give: the store counts
// events per campaign (event_stats) but keeps no counts of attribute values, contact
// columns or the per-contact rollup, and assuming campaigns independent overstates how
// many contacts opened anything (the same people open every campaign). As PostgreSQL's
// ANALYZE does, a fixed sample answers those shares: about 500 contacts spread evenly
// over the ids, read by primary key (Store.contactSample), the condition tested on each
// in Swift. A share has a standard error of at most 2.2 points at 500 contacts (a 10%
// share: 1.3 points); a condition no sampled contact meets is estimated at half a
// contact's share. The sample is read per process, about 4 ms on the 1M-contact store
// (its pages are spread over the tables), and only for a query that needs it.

/// Contacts read whole for estimates: their columns, attributes and per-contact rollup.
public struct ContactSample: Sendable {
    public struct Contact: Sendable {
        /// email, phone, first_name, last_name as strings; created_at as a time.
        public var columns: [StandardField: FieldLiteral]
        /// Each attribute the contact has, typed as stored.
        public var attributes: [String: FieldLiteral]
        /// The contact's `contact_activity` row, column by column (absent: no events).
        public var activity: [String: Int64]

        public init(columns: [StandardField: FieldLiteral], attributes: [String: FieldLiteral], activity: [String: Int64]) {
            self.columns = columns
            self.attributes = attributes
            self.activity = activity
        }
    }

    public var contacts: [Contact]

    public init(contacts: [Contact]) {
        self.contacts = contacts
    }

    /// The share of the sampled contacts for which `holds` is true, or nil without a sample.
    func share(_ holds: (Contact) -> Bool) -> Double? {
        guard !contacts.isEmpty else { return nil }
        let n = contacts.reduce(0) { $0 + (holds($1) ? 1 : 0) }
        return Double(n == 0 ? 0.5 : Double(n)) / Double(contacts.count)
    }

    /// Whether the condition on a per-contact rollup holds for `c` (windows against `now`).
    static func holds(_ r: RollupAtom, _ c: Contact, now: Int64) -> Bool {
        switch r.test {
        case .count(let m, let t):
            let value = m.plus.reduce(0) { $0 + (c.activity[$1] ?? 0) } - m.minus.reduce(0) { $0 + (c.activity[$1] ?? 0) }
            return t.holds(for: value)
        case .recent(let column, let w):
            guard let last = c.activity[column] else { return false }
            return w.bounds(now: now).lower.map { last >= $0 } ?? true
        }
    }

    /// Whether `t` holds for a field's value (nil: the contact has none), as the SQL
    /// tests it: of the literal's type, strings compared byte by byte.
    static func holds(_ t: FieldTest, _ value: FieldLiteral?) -> Bool {
        guard let value else { return false }
        switch t {
        case .exists: return true
        case .compare(let op, let l): return compare(value, op, l)
        case .between(let o1, let a, let o2, let b): return compare(value, o1, a) && compare(value, o2, b)
        case .oneOf(let ls): return ls.contains { compare(value, .equal, $0) }
        case .matches(let p):
            guard case .string(let s) = value else { return false }
            return p.matches(s)
        }
    }

    /// The share of the sampled contacts whose `value` meets `t`. For a long `in` list
    /// the list is looked up in a set of the sample's values, rather than each contact
    /// tested against every value (500 contacts × 80,000 values took a second).
    func share(of t: FieldTest, value: (Contact) -> FieldLiteral?) -> Double? {
        guard case .oneOf(let ls) = t, ls.count > 8 else { return share { Self.holds(t, value($0)) } }
        var strings = Set<String>(), numbers = Set<Double>()
        for c in contacts {
            switch value(c) {
            case .string(let s)?: strings.insert(s)
            case let v?: if let d = Self.number(v) { numbers.insert(d) }
            case nil: break
            }
        }
        var hitStrings = Set<String>(), hitNumbers = Set<Double>(), hitBooleans = Set<Bool>()
        for l in ls {
            switch l {
            case .string(let s): if strings.contains(s) { hitStrings.insert(s) }
            case .boolean(let b): hitBooleans.insert(b)
            default: if let d = Self.number(l), numbers.contains(d) { hitNumbers.insert(d) }
            }
        }
        return share { c in
            switch value(c) {
            case nil: false
            case .string(let s)?: hitStrings.contains(s)
            case .boolean(let b)?: hitBooleans.contains(b)
            case let v?: Self.number(v).map { hitNumbers.contains($0) } ?? false
            }
        }
    }

    /// Whether `v op l`, as the SQL compares them (strings byte by byte); false for
    /// literals of different types.
    static func compare(_ v: FieldLiteral, _ op: ComparisonOperator, _ l: FieldLiteral) -> Bool {
        let order: Int
        switch (v, l) {
        case (.string(let a), .string(let b)):
            order = a.utf8.lexicographicallyPrecedes(b.utf8) ? -1 : a.utf8.elementsEqual(b.utf8) ? 0 : 1
        case (.boolean(let a), .boolean(let b)):
            order = a == b ? 0 : (!a ? -1 : 1)
        default:
            guard let a = number(v), let b = number(l) else { return false }
            order = a < b ? -1 : a == b ? 0 : 1
        }
        switch op {
        case .equal: return order == 0
        case .notEqual: return order != 0
        case .less: return order < 0
        case .lessOrEqual: return order <= 0
        case .greater: return order > 0
        case .greaterOrEqual: return order >= 0
        }
    }

    private static func number(_ l: FieldLiteral) -> Double? {
        switch l {
        case .number(let d): d
        case .integer(let i): Double(i)
        case .time(let t): Double(t)
        case .string, .boolean: nil
        }
    }
}
