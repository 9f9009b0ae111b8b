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
//               | "link" | "footer" | "type" | "machine" | "reason" ;
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
    case duplicate, campaign, `for`, `as`, export, to, stats, message, drop, use, none, limit

    /// The reserved keywords, which the lexer turns into `.keyword` tokens.
    public static let reserved: [Keyword] = [.and, .or, .not, .in, .matches, .exists, .true, .false]

    /// The keywords that begin a statement other than a bare query.
    public static let statementStarters: [Keyword] = [
        .count, .show, .explain, .let, .save, .duplicate, .export, .stats, .drop, .use,
    ]

    /// Whether the word can never be a name.
    public var isReserved: Bool { Keyword.reserved.contains(self) }

    /// The canonical (lower-case) spelling.
    public var spelling: String { rawValue }
}

/// Every role one spelling plays.
struct Word: Sendable {
    /// The lower-case ASCII spelling.
    let spelling: [UInt8]
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
enum Vocabulary {
    /// All words, merged by spelling.
    static let words: [Word] = {
        var table: [String: Word] = [:]
        func entry(_ s: String) -> Word { table[s] ?? Word(spelling: Array(s.utf8)) }
        for k in Keyword.allCases { var w = entry(k.spelling); w.keyword = k; table[k.spelling] = w }
        for e in EventKind.allCases {
            var v = entry(e.verb); v.verb = e; table[e.verb] = v
            var n = entry(e.noun); n.noun = e; table[e.noun] = n
        }
        var received = entry("received"); received.verb = .delivered; table["received"] = received
        for a in ArgumentName.allCases { var w = entry(a.rawValue); w.argument = a; table[a.rawValue] = w }
        return table.keys.sorted().compactMap { table[$0] }
    }()

    /// Words indexed by their length, so a lookup compares only same-length spellings.
    static let byLength: [[Word]] = {
        let longest = words.map(\.spelling.count).max() ?? 0
        var buckets = [[Word]](repeating: [], count: longest + 1)
        for w in words { buckets[w.spelling.count].append(w) }
        return buckets
    }()

    /// The word spelled by `bytes[range]`, ignoring ASCII case.
    static func lookup(_ bytes: [UInt8], _ range: SourceRange) -> Word? {
        let length = range.end - range.start
        guard length < byLength.count else { return nil }
        for w in byLength[length] where matches(bytes, range.start, w.spelling) { return w }
        return nil
    }

    /// Whether `bytes` at `start` spell `lower` (lower-case ASCII), ignoring ASCII case.
    static func matches(_ bytes: [UInt8], _ start: Int, _ lower: [UInt8]) -> Bool {
        guard start + lower.count <= bytes.count else { return false }
        for k in 0..<lower.count where asciiLower(bytes[start + k]) != lower[k] { return false }
        return true
    }

    /// `b` lower-cased if it is an ASCII capital letter.
    @inline(__always) static func asciiLower(_ b: UInt8) -> UInt8 {
        b >= 0x41 && b <= 0x5A ? b | 0x20 : b
    }

    /// Spellings of every event verb and noun, for "did you mean" on unknown events.
    static let eventWords: [String] =
        EventKind.allCases.map(\.verb) + ["received"] + EventKind.allCases.map(\.noun)

    /// Spellings of every argument name.
    static let argumentWords: [String] = ArgumentName.allCases.map(\.rawValue)
}
