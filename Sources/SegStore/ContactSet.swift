// A set of contact ids as a plain bitmap: bit i of the words stands for contact i.
// Contact ids are the store's own dense row ids (`contacts.id`), so one bit per
// contact is the whole cost: 125 kB for a million contacts, and `and`, `or`,
// `and not` and the count are a pass over those words (tens of microseconds). A
// compressed bitmap (CRoaring) would add a C dependency to save space only for very
// sparse sets of very large stores; measured here the plain words were never the
// cost, reading the ids from the store was (docs/planner.md).

/// Contact ids, as a bitmap.
public struct ContactSet: Equatable, Sendable {
    private(set) var words: [UInt64]

    /// An empty set sized for ids up to `maxID` (it grows past it if it must).
    public init(maxID: Int64) {
        words = [UInt64](repeating: 0, count: Int(max(maxID, 0) >> 6) + 1)
    }

    /// The set whose bit i of `words[i >> 6]` stands for contact i (CampaignSetCoding).
    init(words: [UInt64]) {
        self.words = words
    }

    /// The ids of `ids`.
    public init<S: Sequence>(_ ids: S, maxID: Int64) where S.Element == Int64 {
        self.init(maxID: maxID)
        for id in ids { insert(id) }
    }

    @inline(__always)
    public mutating func insert(_ id: Int64) {
        guard id >= 0 else { return }
        let w = Int(id >> 6)
        if w >= words.count { words.append(contentsOf: repeatElement(0, count: w - words.count + 1)) }
        words[w] |= 1 << UInt64(id & 63)
    }

    @inline(__always)
    public mutating func remove(_ id: Int64) {
        guard id >= 0 else { return }
        let w = Int(id >> 6)
        if w < words.count { words[w] &= ~(1 << UInt64(id & 63)) }
    }

    public func contains(_ id: Int64) -> Bool {
        guard id >= 0 else { return false }
        let w = Int(id >> 6)
        return w < words.count && words[w] & (1 << UInt64(id & 63)) != 0
    }

    /// The 64-bit words it holds (its size in memory, over 8 bytes).
    public var wordCount: Int { words.count }

    /// The number of ids.
    public var count: Int {
        var n = 0
        for w in words { n &+= w.nonzeroBitCount }
        return n
    }

    public var isEmpty: Bool { !words.contains { $0 != 0 } }

    public mutating func formIntersection(_ other: ContactSet) {
        let n = min(words.count, other.words.count)
        for i in 0..<n { words[i] &= other.words[i] }
        if words.count > n { words.replaceSubrange(n..., with: repeatElement(0, count: words.count - n)) }
    }

    public mutating func formUnion(_ other: ContactSet) {
        if other.words.count > words.count { words.append(contentsOf: repeatElement(0, count: other.words.count - words.count)) }
        for i in 0..<other.words.count { words[i] |= other.words[i] }
    }

    public mutating func subtract(_ other: ContactSet) {
        let n = min(words.count, other.words.count)
        for i in 0..<n { words[i] &= ~other.words[i] }
    }

    /// Calls `body` with every id, in ascending order, until it returns false.
    public func forEach(_ body: (Int64) throws -> Bool) rethrows {
        for (i, word) in words.enumerated() where word != 0 {
            var w = word
            while w != 0 {
                let bit = w.trailingZeroBitCount
                if try !body(Int64(i << 6 | bit)) { return }
                w &= w - 1
            }
        }
    }

    /// The ids in ascending order, at most `limit`.
    public func ids(limit: Int? = nil) -> [Int64] {
        var out: [Int64] = []
        out.reserveCapacity(min(limit ?? Int.max, count))
        forEach { id in
            if let limit, out.count >= limit { return false }
            out.append(id)
            return true
        }
        return out
    }
}
