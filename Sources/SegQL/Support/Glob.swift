// SegQL's only wildcard is `*` (any run of characters, possibly empty). Every other
// character matches itself, including the characters that are wildcards in SQL:
// `%` and `_` for LIKE, `?`, `[` and `]` for SQLite's GLOB. Patterns are kept as
// literal pieces so that each SQL dialect can render them with its own escaping.

/// A case-sensitive pattern where `*` matches any run of characters.
public struct GlobPattern: Hashable, Sendable, CustomStringConvertible {
    /// The literal pieces between the `*`s (`"a*b"` → `["a", "b"]`; `"*"` → `["", ""]`).
    public let pieces: [String]

    /// The pattern as written.
    public var description: String { pieces.joined(separator: "*") }

    /// Parses a pattern; every `*` is a wildcard.
    public init(_ text: String) {
        pieces = text.split(separator: "*", omittingEmptySubsequences: false).map(String.init)
    }

    /// Whether the pattern has a wildcard at all.
    public var isLiteral: Bool { pieces.count == 1 }

    /// Whether `text` matches the whole pattern.
    public func matches(_ text: String) -> Bool {
        let t = Array(text.unicodeScalars)
        let parts = pieces.map { Array($0.unicodeScalars) }
        guard let first = parts.first else { return true }
        if parts.count == 1 { return t == first }
        guard t.count >= first.count, Array(t[0..<first.count]) == first else { return false }
        var pos = first.count
        let last = parts[parts.count - 1]
        for part in parts[1..<(parts.count - 1)] where !part.isEmpty {
            guard let found = Self.find(part, in: t, from: pos) else { return false }
            pos = found + part.count
        }
        guard t.count - pos >= last.count else { return false }
        return Array(t[(t.count - last.count)...]) == last
    }

    private static func find(_ needle: [Unicode.Scalar], in hay: [Unicode.Scalar], from: Int) -> Int? {
        guard needle.count <= hay.count - from else { return nil }
        var i = from
        while i + needle.count <= hay.count {
            if hay[i..<(i + needle.count)].elementsEqual(needle) { return i }
            i += 1
        }
        return nil
    }

    /// The pattern for SQLite's case-sensitive GLOB operator: `*` stays a wildcard;
    /// `?`, `[` and `]`, which GLOB treats specially, are matched literally.
    public var sqliteGlob: String {
        pieces.map { piece in
            var out = ""
            for ch in piece.unicodeScalars {
                switch ch {
                case "?": out += "[?]"
                case "[": out += "[[]"
                case "]": out += "[]]"
                default: out.unicodeScalars.append(ch)
                }
            }
            return out
        }.joined(separator: "*")
    }

    /// The pattern for a LIKE with `ESCAPE '\'`: `*` becomes `%`; `%`, `_` and `\`
    /// are escaped to match literally.
    public var likePattern: String {
        pieces.map { piece in
            var out = ""
            for ch in piece.unicodeScalars {
                switch ch {
                case "%", "_", "\\": out += "\\"; out.unicodeScalars.append(ch)
                default: out.unicodeScalars.append(ch)
                }
            }
            return out
        }.joined(separator: "%")
    }
}
