// "Did you mean …?" — the nearest known word to a misspelt one.
//
// The distance is Damerau–Levenshtein in its optimal-string-alignment form (insert,
// delete, substitute, swap two neighbours), over Unicode scalars and ignoring case,
// so `opend`, `OPENED` and `clikced` all find their word. A suggestion is offered only
// when the distance is small for the words' length: one edit for words of up to five
// characters, about a third of the length above that. Beyond that a guess is more
// likely to mislead than to help.

/// Finds the nearest candidate to a misspelt word.
public enum Suggestions {
    /// The candidate nearest to `word`, or nil when none is close enough to suggest.
    /// Ties go to the candidate listed first.
    public static func nearest(to word: String, among candidates: [String]) -> String? {
        // A very long word is no typo of a name; the cut keeps the cost bounded.
        guard !word.isEmpty, word.utf8.count <= 128 else { return nil }
        let w = Array(word.lowercased().unicodeScalars)
        var best: (distance: Int, candidate: String)?
        for candidate in candidates {
            let c = Array(candidate.lowercased().unicodeScalars)
            let limit = threshold(min(w.count, c.count))
            guard abs(w.count - c.count) <= limit else { continue }
            let d = distance(w, c)
            if d <= limit, d < (best?.distance ?? Int.max) { best = (d, candidate) }
        }
        return best?.candidate
    }

    /// How many edits still make a plausible typo of a word of `length` characters.
    static func threshold(_ length: Int) -> Int { max(1, length / 3) }

    /// The optimal-string-alignment distance between `a` and `b`.
    static func distance<T: Equatable>(_ a: [T], _ b: [T]) -> Int {
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        // Three rows: the one before last (for swaps), the last, the current.
        var before = [Int](repeating: 0, count: b.count + 1)
        var last = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                var d = min(last[j] + 1, current[j - 1] + 1, last[j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                    d = min(d, before[j - 2] + 1)
                }
                current[j] = d
            }
            (before, last, current) = (last, current, before)
        }
        return last[b.count]
    }
}
