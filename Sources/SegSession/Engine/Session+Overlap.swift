// `overlap A, B, …`: how two or more audiences intersect.
//
// Each audience is evaluated once by the bitmap set engine (its plan forced to bitmaps,
// SetEvaluator) into a ContactSet; every pairwise intersection, union and exclusive
// part is then a bitwise operation on those sets in memory: k audiences cost k
// evaluations and no SQL per pair.

import SegQL
import SegStore

/// The answer of `overlap`.
public struct Overlap: Sendable {
    public struct Audience: Sendable {
        /// The audience as written.
        public var label: String
        public var contacts: Int
        /// In this audience and in none of the others.
        public var exclusive: Int
    }

    public struct Pair: Sendable {
        public var first: Int
        public var second: Int
        public var both: Int
        public var either: Int
        /// In the first and not the second, and the other way round.
        public var onlyFirst: Int
        public var onlySecond: Int
        /// |A ∩ B| / |A ∪ B|; 0 when both are empty.
        public var jaccard: Double { either == 0 ? 0 : Double(both) / Double(either) }
    }

    public var audiences: [Audience]
    /// Every pair, first < second, in order.
    public var pairs: [Pair]
    /// In at least one audience, and in all of them.
    public var inAny: Int
    public var inAll: Int

    public func pair(_ i: Int, _ j: Int) -> Pair? {
        pairs.first { ($0.first, $0.second) == (min(i, j), max(i, j)) }
    }
}

extension Session {
    /// The overlap of `queries`, each evaluated once into a set of contacts.
    public func overlap(_ queries: [Query], in file: SourceFile) throws -> Overlap {
        let saved = strategy
        strategy = .bitmaps
        defer { strategy = saved }
        var sets: [ContactSet] = []
        for q in queries {
            let compiled = try compile(q, projection: .count, in: file)
            sets.append(try set(of: compiled))
        }
        func size(_ s: ContactSet) -> Int { s.count }
        var audiences: [Overlap.Audience] = []
        for (i, s) in sets.enumerated() {
            var only = s
            for (j, other) in sets.enumerated() where j != i { only.subtract(other) }
            audiences.append(.init(label: Printer.operandSource(of: queries[i]), contacts: s.count, exclusive: only.count))
        }
        var pairs: [Overlap.Pair] = []
        for i in sets.indices {
            for j in sets.indices where j > i {
                var both = sets[i]
                both.formIntersection(sets[j])
                let n = both.count
                pairs.append(.init(
                    first: i, second: j, both: n, either: sets[i].count + sets[j].count - n,
                    onlyFirst: sets[i].count - n, onlySecond: sets[j].count - n))
            }
        }
        var any = sets[0], all = sets[0]
        for s in sets.dropFirst() {
            any.formUnion(s)
            all.formIntersection(s)
        }
        return Overlap(audiences: audiences, pairs: pairs, inAny: any.count, inAll: all.count)
    }

    /// The contacts of a compiled query, as a set (the set engine's, for a bitmap plan).
    func set(of c: CompiledQuery) throws -> ContactSet {
        if let program = c.program { return try evaluate(program).0 }
        return ContactSet(try contactIDs(c), maxID: try loadCatalog().contactCount)
    }

    func runOverlap(_ queries: [Query], in file: SourceFile) throws {
        let result = try overlap(queries, in: file)
        if let writer = output as? ResultWriter, writer.format == .json || writer.format == .jsonl {
            output.text(OverlapRenderer.json(result).text(for: writer.format))
        } else {
            output.text(OverlapRenderer.text(result))
        }
    }
}

/// Renders `overlap` as a terminal table and as JSON.
enum OverlapRenderer {
    /// Three decimals, without Foundation: `0.125`.
    static func jaccard(_ x: Double) -> String {
        let thousandths = Int((x * 1000).rounded())
        let frac = String(thousandths % 1000)
        return "\(thousandths / 1000)." + String(repeating: "0", count: 3 - frac.count) + frac
    }

    static func left(_ s: String, _ w: Int) -> String { s + String(repeating: " ", count: max(1, w - s.count + 1)) }

    static func text(_ o: Overlap) -> String {
        let n = o.audiences.count
        var out = ""
        let labels = o.audiences.enumerated().map { "\($0.offset + 1) \($0.element.label)" }
        let width = max(labels.map(\.count).max() ?? 0, "in both (jaccard)".count)
        func right(_ s: String, _ w: Int) -> String { String(repeating: " ", count: max(0, w - s.count)) + s }
        out = left("audience", width) + right("contacts", 10) + right("only this one", 15) + "\n"
        for (i, a) in o.audiences.enumerated() {
            out += left(labels[i], width) + right(String(a.contacts), 10) + right(String(a.exclusive), 15) + "\n"
        }
        out += "in any: \(o.inAny), in all: \(o.inAll)\n\n"
        // The matrix: both (Jaccard); the diagonal is the audience's size.
        let cells: [[String]] = (0..<n).map { i in
            (0..<n).map { j in
                guard i != j, let p = o.pair(i, j) else { return String(o.audiences[i].contacts) }
                return "\(p.both) (\(jaccard(p.jaccard)))"
            }
        }
        let columnWidth = max(cells.flatMap { $0.map(\.count) }.max() ?? 0, String(n).count) + 2
        out += left("in both (jaccard)", width) + (1...n).map { right(String($0), columnWidth) }.joined() + "\n"
        for i in 0..<n {
            out += left(labels[i], width) + cells[i].map { right($0, columnWidth) }.joined() + "\n"
        }
        return String(out.dropLast())
    }

    static func json(_ o: Overlap) -> JSON {
        let audiences: [JSON] = o.audiences.map { a in
            .object([("audience", .string(a.label)), ("contacts", .raw(String(a.contacts))), ("exclusive", .raw(String(a.exclusive)))])
        }
        let pairs: [JSON] = o.pairs.map { p in
            .object([
                ("first", .string(o.audiences[p.first].label)), ("second", .string(o.audiences[p.second].label)),
                ("both", .raw(String(p.both))), ("either", .raw(String(p.either))),
                ("only_first", .raw(String(p.onlyFirst))), ("only_second", .raw(String(p.onlySecond))),
                ("jaccard", .raw(jaccard(p.jaccard))),
            ])
        }
        return JSON.object([
            ("audiences", .array(audiences)), ("pairs", .array(pairs)),
            ("in_any", .raw(String(o.inAny))), ("in_all", .raw(String(o.inAll))),
        ])
    }
}
