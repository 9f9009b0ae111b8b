// The one table of words that mean something in SegQL.
//
// A word plays one or more roles: a reserved keyword (`and`, `true`), a contextual
// keyword that only the grammar position makes special (`count`, `limit`, `none`), an
// event verb (`opened`), a count noun (`opens`) or an argument name (`campaign`).
// `campaign` and `message` are both a contextual keyword and an argument name; the
// parser asks for the role it needs where it needs it. Every role is spelled in ASCII
// and matched case-insensitively, so the lexer and parser look words up in bytes
// without building strings.
//
// The word classes of the grammar (see grammar/segql.ebnf), all case-insensitive:
// RESERVED = "and" | "or" | "not" | "in" | "matches" | "exists" | "true" | "false" ;
// VERB = "sent" | "dropped" | "delivered" | "received" | "bounced" | "opened" | "clicked"
//      | "replied" | "forwarded" | "unsubscribed" | "complained" ;
// NOUN = "sends" | "drops" | "deliveries" | "bounces" | "opens" | "clicks" | "replies"
//      | "forwards" | "unsubscribes" | "complaints" ;
// ARGUMENT_NAME = "campaign" | "channel" | "message" | "within" | "since" | "before"
//               | "link" | "footer" | "type" | "machine" | "reason" | "of_last" | "at_least" ;
// WORD = IDENTIFIER ;

/// A keyword of SegQL.
///
/// Reserved keywords (`and or not in matches exists true false`) can never be names; the
/// lexer gives them their own token kind. Contextual keywords are ordinary identifiers
/// that the parser recognises only where the grammar expects them, so an attribute may
/// be called `message` or `limit`.
public enum Keyword: String, CaseIterable, Hashable, Sendable {
    /// A reserved keyword: never a name.
    case and, or, not, `in`, matches, exists, `true`, `false`
    /// A contextual keyword: a keyword only where the grammar expects it.
    case count, show, explain, `let`, save, replace, segment, list, including, suppressed
    /// A contextual keyword: a keyword only where the grammar expects it.
    case duplicate, campaign, `for`, `as`, export, to, stats, message, drop, use, none, limit, analyze
    /// A contextual keyword: a keyword only where the grammar expects it.
    case why, overlap, reach
    /// A contextual keyword: `as of` after the query of `count`, `show` and `export`.
    case of
    /// Contextual keywords of `diff QUERY from "DATE" to "DATE" [as recorded]`.
    case diff, from, recorded
    /// A contextual keyword: `history segment NAME`.
    case history
    /// A contextual keyword: a keyword only where the grammar expects it.
    case contact, with, columns

    /// The reserved keywords, which the lexer turns into `.keyword` tokens.
    public static let reserved: [Keyword] = [.and, .or, .not, .in, .matches, .exists, .true, .false]

    /// The keywords that begin a statement other than a bare query.
    public static let statementStarters: [Keyword] = [
        .count, .show, .explain, .let, .save, .duplicate, .export, .stats, .drop, .use, .diff,
        .why, .overlap, .reach, .contact, .history,
    ]

    /// Whether the word can never be a name.
    public var isReserved: Bool { Keyword.reserved.contains(self) }

    /// The canonical (lower-case) spelling.
    public var spelling: String { rawValue }
}

/// Every role one spelling plays.
struct Word: Sendable {
    /// The lower-case spelling.
    let text: String
    /// The keyword it is, if any.
    var keyword: Keyword?
    /// The event kind it names as a verb (`opened`, `received`).
    var verb: EventKind?
    /// The event kind it names as a count noun (`opens`).
    var noun: EventKind?
    /// The argument it names (`campaign:`).
    var argument: ArgumentName?
}

/// Case-insensitive lookup of words in UTF-8 bytes.
///
/// Every word is ASCII letters and `_` only and at most 16 long, so its lower-case spelling packs
/// into two `UInt64`s; a lookup packs the candidate the same way and compares integers —
/// no strings, no allocation, no reference counting on the lexer's hot path.
enum Vocabulary {
    /// All words, merged by spelling.
    static let words: [Word] = {
        var table: [String: Word] = [:]
        func entry(_ s: String) -> Word { table[s] ?? Word(text: s) }
        for k in Keyword.allCases { var w = entry(k.spelling); w.keyword = k; table[k.spelling] = w }
        for e in EventKind.allCases {
            var v = entry(e.verb); v.verb = e; table[e.verb] = v
            var n = entry(e.noun); n.noun = e; table[e.noun] = n
        }
        var received = entry("received"); received.verb = .delivered; table["received"] = received
        for a in ArgumentName.allCases { var w = entry(a.rawValue); w.argument = a; table[a.rawValue] = w }
        return table.keys.sorted().compactMap { table[$0] }
    }()

    /// `words[i]` packed: its first eight letters in `keys[2 * i]`, the rest in `keys[2 * i + 1]`.
    static let keys: [UInt64] = words.flatMap { w -> [UInt64] in
        let bytes = Array(w.text.utf8)
        return [pack(bytes, 0, min(8, bytes.count)), pack(bytes, 8, bytes.count)]
    }

    private static func pack(_ bytes: [UInt8], _ from: Int, _ to: Int) -> UInt64 {
        var key: UInt64 = 0
        var k = from
        while k < to {
            key |= UInt64(bytes[k]) << (8 * UInt64(k - from))
            k += 1
        }
        return key
    }

    /// The index in `words` of the word spelled by `bytes[range]`, ignoring ASCII case.
    static func index(_ bytes: [UInt8], _ range: SourceRange) -> Int? {
        let n = range.end - range.start
        guard n >= 2 && n <= 16 && range.end <= bytes.count else { return nil }
        var low: UInt64 = 0, high: UInt64 = 0
        for k in 0..<n {
            let b = bytes[range.start + k]
            let lower = b == 0x5F ? b : b | 0x20  // ASCII letters and `_` only; anything else fails below
            guard (lower >= 0x61 && lower <= 0x7A) || lower == 0x5F else { return nil }
            if k < 8 { low |= UInt64(lower) << (8 * UInt64(k)) } else { high |= UInt64(lower) << (8 * UInt64(k - 8)) }
        }
        var slot = hash(low, high)
        while true {
            let i = Int(slots[slot])
            if i < 0 { return nil }
            if keys[2 * i] == low && keys[2 * i + 1] == high { return i }
            slot = (slot + 1) & (slots.count - 1)
        }
    }

    /// An open-addressing hash table of indices into `words` (-1: empty), a quarter full.
    static let slots: [Int16] = {
        var table = [Int16](repeating: -1, count: 512)
        for i in words.indices {
            var slot = hash(keys[2 * i], keys[2 * i + 1])
            while table[slot] >= 0 { slot = (slot + 1) & (table.count - 1) }
            table[slot] = Int16(i)
        }
        return table
    }()

    /// A slot of `slots` (9 bits) for a packed spelling.
    @inline(__always) private static func hash(_ low: UInt64, _ high: UInt64) -> Int {
        let mixed = (low ^ (high &* 0x9E37_79B9_7F4A_7C15)) &* 0x9E37_79B9_7F4A_7C15
        return Int(truncatingIfNeeded: mixed >> 55)
    }

    /// The word spelled by `bytes[range]`, ignoring ASCII case.
    static func lookup(_ bytes: [UInt8], _ range: SourceRange) -> Word? {
        index(bytes, range).map { words[$0] }
    }

    /// The word spelled by `text`, ignoring ASCII case.
    static func lookup(_ text: String) -> Word? {
        let bytes = Array(text.utf8)
        return lookup(bytes, SourceRange(0, bytes.count))
    }

    /// Spellings of every event verb and noun, for "did you mean" on unknown events.
    static let eventWords: [String] =
        EventKind.allCases.map(\.verb) + ["received"] + EventKind.allCases.map(\.noun)

    /// Spellings of every argument name.
    static let argumentWords: [String] = ArgumentName.allCases.map(\.rawValue)

    /// `b` lower-cased if it is an ASCII capital letter.
    @inline(__always) static func asciiLower(_ b: UInt8) -> UInt8 {
        b >= 0x41 && b <= 0x5A ? b | 0x20 : b
    }
}
