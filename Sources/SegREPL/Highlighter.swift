// Syntax highlighting of an input, drawn over it once Enter is pressed.
//
// Why not as you type: libedit has no hook for it. Its refresh compares the line with
// its own model of the screen and rewrites only what changed, so colour written
// behind its back is overwritten piecemeal, or shifts what it thinks is on screen
// (wrapped lines, multibyte characters, Ctrl-R search, completion lists) — doing it
// well means replacing libedit's redisplay. What it allows cleanly: when `el_gets`
// returns, libedit no longer owns the screen, and the input just typed stands in
// known rows above the cursor. The REPL redraws it there, coloured, when every row is
// sure (see `LineEditor.redrawInput`).
//
// The input is lexed with the language's own lexer: keywords and event words bold,
// strings green, numbers and durations yellow, comments dim, and a name that is no
// word of the language and no name of the store or session red and underlined (it
// will fail to resolve).

import SegQL

/// Colours an input for the terminal.
enum Highlighter {
    static let bold = "\u{1B}[1m", green = "\u{1B}[32m", yellow = "\u{1B}[33m"
    static let dim = "\u{1B}[2m", unknown = "\u{1B}[31;4m", reset = "\u{1B}[0m"

    /// `text` with ANSI colours; `isKnown` says whether a name (as typed) resolves.
    static func highlight(_ text: String, isKnown: (String) -> Bool) -> String {
        let bytes = Array(text.utf8)
        var lexer = Lexer(bytes: bytes)
        var out = ""
        var offset = 0
        var previous: Token?
        var beforePrevious: Token?
        var defined: Set<String> = []  // `let` aliases defined earlier in the input
        func word(_ t: Token?) -> String { t.map { $0.text(in: bytes).lowercased() } ?? "" }
        while true {
            let t = lexer.next()
            if t.kind == .endOfFile || lexer.stopped || t.range.start < offset { break }
            out += gap(bytes[offset..<t.range.start])
            let s = t.text(in: bytes)
            let style: String?
            switch t.kind {
            case .keyword: style = bold
            case .string: style = green
            case .integer, .decimal, .duration: style = yellow
            case .identifier:
                let w = s.lowercased()
                // A name being defined (`let x`, `save segment x`) or a saved name after
                // `segment`/`list` is not looked up here.
                let defining = word(previous) == "let" || ["segment", "list"].contains(word(previous))
                    || (word(beforePrevious) == "save" && word(previous) == "or")
                if defining && word(previous) == "let" { defined.insert(s) }
                if LanguageWords.contains(w) {
                    style = bold
                } else if defining || defined.contains(s) || isKnown(s) {
                    style = nil
                } else {
                    style = unknown
                }
            default: style = nil
            }
            out += style.map { $0 + s + reset } ?? s
            offset = t.range.end
            beforePrevious = previous
            previous = t
        }
        if offset < bytes.count { out += gap(bytes[offset...]) }
        return out
    }

    /// What lies between tokens: spaces as they are, a comment dim.
    private static func gap(_ bytes: ArraySlice<UInt8>) -> String {
        let s = String(decoding: bytes, as: UTF8.self)
        guard s.contains(where: { $0 != " " && $0 != "\t" && !$0.isNewline }) else { return s }
        // Each line's comment dim, up to the line's end.
        return s.split(separator: "\n", omittingEmptySubsequences: false).map { line -> String in
            guard let start = line.firstIndex(where: { $0 != " " && $0 != "\t" }) else { return String(line) }
            return String(line[..<start]) + dim + String(line[start...]) + reset
        }.joined(separator: "\n")
    }
}

enum LanguageWords {
    /// Whether `word` (lower case) is a word of the language: a keyword, an event verb
    /// or noun, an argument name or value, a built-in audience, a standard field or a
    /// column name of `with columns`.
    static func contains(_ word: String) -> Bool { words.contains(word) }

    private static let words: Set<String> = {
        var words = Set(Keyword.allCases.map(\.spelling))
        words.formUnion(EventKind.allCases.map(\.verb))
        words.formUnion(EventKind.allCases.map(\.noun))
        words.insert("received")
        words.formUnion(ArgumentName.allCases.map(\.rawValue))
        words.formUnion(Channel.allCases.map(\.rawValue))
        words.formUnion(["hard", "soft"])
        words.formUnion(Binder.builtinAudiences)
        words.formUnion(StandardField.allCases.map(\.rawValue))
        words.formUnion(["contact_id", "last_opened", "last_clicked"])
        return words
    }()
}
