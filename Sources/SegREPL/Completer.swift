// Tab completion: what can be typed at the cursor.
//
// The text before the cursor is lexed with the language's own lexer (so comments,
// strings and keywords are seen exactly as the parser sees them), and the last few
// tokens decide the context:
//
//   a dot-command line (`.li`, `.links "…`)      dot-commands, then their arguments:
//                                                 campaign names, help topics, formats,
//                                                 on/off, time zones, file names
//   inside `campaign:"…` / `campaign: ["…", "…`   campaign names
//   inside `link:"…`                               link paths and URLs
//   inside `segment "…` / `list "…`                saved segment / list names
//   inside `duplicate campaign "…`, `use campaign "…`, `stats "…`   campaign names
//   after `(` or `,` in an event's arguments      argument names (`within: `)
//   after `channel:` / `type:` / `footer:` …      the values that argument takes
//   after `plan = "p…` / `plan in ["…` / `plan = ` the store's values of that attribute,
//                                                 most frequent first (bounded)
//   after `duplicate campaign "C" for`             audiences: built-ins, aliases, saved
//                                                 segments and lists, `segment`, `list`
//   at the start of a statement                   statement keywords, then query words
//   elsewhere                                     event verbs and nouns, `and or not`,
//                                                 built-in audiences, fields,
//                                                 attributes and aliases
//
// Names come from the store (`CompletionNames`), read afresh on every Tab.

import Foundation
import SegQL
import SegSession

/// The names completion offers, read from the store and the session.
public struct CompletionNames: Sendable {
    public var campaigns: [String] = []
    /// Link paths (`/pricing`) and full URLs.
    public var links: [String] = []
    public var attributes: [String] = []
    public var segments: [String] = []
    public var lists: [String] = []
    public var aliases: [String] = []
    /// The values of a string attribute that start with a prefix, most frequent first
    /// (`Store.frequentAttributeValues`); read only when the cursor is at such a value.
    public var attributeValues: @Sendable (_ attribute: String, _ prefix: String) -> [String] = { _, _ in [] }

    public init(campaigns: [String] = [], links: [String] = [], attributes: [String] = [],
                segments: [String] = [], lists: [String] = [], aliases: [String] = []) {
        self.campaigns = campaigns
        self.links = links
        self.attributes = attributes
        self.segments = segments
        self.lists = lists
        self.aliases = aliases
    }
}

/// Computes completions for the text before the cursor.
public enum Completer {
    /// Arguments every event takes.
    static let commonArguments: [ArgumentName] = [.campaign, .channel, .message, .within, .since, .before]

    /// The dot-commands, in the order `.help commands` lists them.
    public static let dotCommands = ["help", "campaigns", "links", "segments", "lists", "schema", "mode", "timer",
                                     "limit", "timeout", "tz", "pager", "live", "once", "output", "edit", "watch", "open", "read", "quit"]

    /// What can replace the word that ends at the end of `text`.
    public static func complete(_ text: String, names: CompletionNames) -> Completion {
        if let dot = completeDotCommand(text, names: names) { return dot }
        let bytes = Array(text.utf8)
        var lexer = Lexer(bytes: bytes)
        var tokens: [Token] = []
        while true {
            let t = lexer.next()
            if t.kind == .endOfFile || lexer.stopped { break }
            tokens.append(t)
            if tokens.count > 100_000 { break }
        }
        func word(_ t: Token) -> String { t.text(in: bytes).lowercased() }

        // Inside an unterminated string?
        if let last = tokens.last, last.kind == .error, last.range.end == bytes.count,
           let quote = bytes[safe: last.range.start], quote == UInt8(ascii: "\"") || quote == UInt8(ascii: "'") {
            let prefix = String(decoding: bytes[(last.range.start + 1)...], as: UTF8.self)
            let pool = stringPool(before: tokens.count - 1, tokens: tokens, word: word, names: names, prefix: prefix)
            return Completion(prefix: prefix, candidates: matching(prefix, in: pool, caseSensitive: true),
                              terminator: String(UnicodeScalar(quote)))
        }

        // The word being typed, if the text ends in one.
        var prefix = ""
        var context = tokens[...]
        if let last = tokens.last, last.range.end == bytes.count,
           last.kind == .identifier || isKeyword(last.kind) {
            prefix = last.text(in: bytes)
            context = tokens.dropLast()
        }
        let previous = context.last

        // After `name:` — the values of that argument.
        if let previous, previous.kind == .colon, context.count >= 2 {
            let argument = ArgumentName(rawValue: word(context[context.index(before: context.endIndex - 1)]))
            let values: [String]
            switch argument {
            case .channel?: values = Channel.allCases.map(\.rawValue)
            case .type?: values = ["hard", "soft"]
            case .footer?, .machine?: values = ["true", "false"]
            case .campaign?: values = ["\"*\""] + names.campaigns.map(quoted)
            case .link?: values = names.links.map(quoted)
            default: values = []
            }
            return Completion(prefix: prefix, candidates: matching(prefix, in: values, caseSensitive: false), terminator: "")
        }

        // After `ATTRIBUTE =` (or another comparison, or `in [`) — that attribute's
        // values, quoted, most frequent first.
        if let attribute = comparedAttribute(before: context.count, tokens: Array(context), word: word, names: names) {
            let values = names.attributeValues(attribute, prefix).filter { $0.hasPrefix(prefix) }.map(quoted)
            return Completion(prefix: prefix, candidates: matching("", in: values, caseSensitive: true), terminator: " ")
        }

        // After `(` or `,` inside an event's argument list — argument names.
        if let previous, previous.kind == .leftParen || previous.kind == .comma,
           let kind = enclosingEvent(context, word: word) {
            let arguments = (commonArguments + kind.specificArguments).map(\.rawValue)
            return Completion(prefix: prefix, candidates: matching(prefix, in: arguments, caseSensitive: false),
                              terminator: ": ")
        }

        // After `segment` / `list` — saved names, quoted unless they are plain words.
        if let previous, previous.kind == .identifier {
            switch word(previous) {
            case "segment":
                return Completion(prefix: prefix, candidates: matching(prefix, in: names.segments.map(nameLiteral), caseSensitive: true), terminator: " ")
            case "list":
                return Completion(prefix: prefix, candidates: matching(prefix, in: names.lists.map(nameLiteral), caseSensitive: true), terminator: " ")
            case "campaign" where context.count >= 2 && ["use", "duplicate"].contains(word(context[context.endIndex - 2])):
                let pool = (word(context[context.endIndex - 2]) == "use" ? ["none"] : []) + names.campaigns.map(quoted)
                return Completion(prefix: prefix, candidates: matching(prefix, in: pool, caseSensitive: false), terminator: " ")
            case "stats":
                return Completion(prefix: prefix, candidates: matching(prefix, in: names.campaigns.map(quoted), caseSensitive: false), terminator: " ")
            case "for" where context.contains(where: { $0.kind == .identifier && word($0) == "duplicate" }):
                var pool = ["segment", "list"] + Binder.builtinAudiences + names.aliases
                pool += names.segments.map(nameLiteral) + names.lists.map(nameLiteral)
                return Completion(prefix: prefix, candidates: matching(prefix, in: pool, caseSensitive: false), terminator: " ")
            default: break
            }
        }

        var pool = queryWords(names)
        if previous == nil || previous?.kind == .semicolon {
            pool = Keyword.statementStarters.map(\.spelling) + pool
        }
        return Completion(prefix: prefix, candidates: matching(prefix, in: pool, caseSensitive: false), terminator: " ")
    }

    /// The names a string at token `index` can hold, judged by the tokens before it.
    private static func stringPool(before index: Int, tokens: [Token], word: (Token) -> String,
                                   names: CompletionNames, prefix: String) -> [String] {
        if let attribute = comparedAttribute(before: index, tokens: tokens, word: word, names: names) {
            return names.attributeValues(attribute, prefix)
        }
        var i = index - 1
        // Skip the earlier members of a list: `campaign: ["A", "B", "…`.
        while i >= 0, tokens[i].kind == .string || tokens[i].kind == .comma || tokens[i].kind == .leftBracket { i -= 1 }
        guard i >= 0 else { return [] }
        let t = tokens[i]
        if t.kind == .colon, i >= 1 {
            switch ArgumentName(rawValue: word(tokens[i - 1])) {
            case .campaign?: return names.campaigns
            case .link?: return names.links
            default: return []
            }
        }
        guard t.kind == .identifier else { return [] }
        switch word(t) {
        case "segment": return names.segments
        case "list": return names.lists
        case "campaign", "stats": return names.campaigns
        default: return []
        }
    }

    /// The attribute that the value at token `index` is compared with: `plan = ·`,
    /// `plan != ·`, `plan in [·` or `plan in ["a", ·` (any comparison).
    private static func comparedAttribute(before index: Int, tokens: [Token], word: (Token) -> String,
                                          names: CompletionNames) -> String? {
        var i = index - 1
        while i >= 0, tokens[i].kind == .string || tokens[i].kind == .comma { i -= 1 }
        if i >= 1, tokens[i].kind == .leftBracket, tokens[i - 1].kind == .keyword(.in) { i -= 1 }
        guard i >= 1 else { return nil }
        switch tokens[i].kind {
        case .equal, .notEqual, .less, .lessOrEqual, .greater, .greaterOrEqual, .keyword(.in): break
        default: return nil
        }
        // Only when nothing else stands between: `plan = "a", ` is not a list.
        if tokens[i].kind != .keyword(.in), i + 1 < index { return nil }
        let name = tokens[i - 1]
        guard name.kind == .identifier else { return nil }
        let attribute = word(name)
        return names.attributes.first { $0.lowercased() == attribute }
    }

    /// The event whose argument list the end of `tokens` is in, if any.
    private static func enclosingEvent(_ tokens: ArraySlice<Token>, word: (Token) -> String) -> EventKind? {
        var stack: [EventKind?] = []
        var previous: Token?
        for t in tokens {
            switch t.kind {
            case .leftParen:
                var kind: EventKind?
                if let p = previous, p.kind == .identifier {
                    let w = word(p)
                    kind = EventKind(verb: w) ?? EventKind(noun: w) ?? (w == "received" ? .delivered : nil)
                }
                stack.append(kind)
            case .leftBracket:
                stack.append(nil)
            case .rightParen, .rightBracket:
                if !stack.isEmpty { stack.removeLast() }
            default: break
            }
            previous = t
        }
        return stack.last ?? nil
    }

    /// Words a query can continue with.
    private static func queryWords(_ names: CompletionNames) -> [String] {
        var words = EventKind.allCases.map(\.verb) + ["received"] + EventKind.allCases.map(\.noun)
        words += ["and", "or", "not", "in", "matches", "exists", "segment", "list"]
        words += Binder.builtinAudiences
        words += StandardField.allCases.map(\.rawValue)
        words += names.attributes.sorted()
        words += names.aliases
        return words
    }

    private static func isKeyword(_ kind: TokenKind) -> Bool {
        if case .keyword = kind { return true }
        return false
    }

    /// Members of `pool` that start with `prefix`, without duplicates, in pool order.
    static func matching(_ prefix: String, in pool: [String], caseSensitive: Bool) -> [String] {
        var seen = Set<String>()
        let p = caseSensitive ? prefix : prefix.lowercased()
        return pool.filter { candidate in
            let c = caseSensitive ? candidate : candidate.lowercased()
            return c.hasPrefix(p) && seen.insert(candidate).inserted
        }
    }

    /// A dot-command line: the command's name, then what its argument can be.
    static func completeDotCommand(_ text: String, names: CompletionNames) -> Completion? {
        guard !text.contains(where: \.isNewline) else { return nil }
        let line = text.drop(while: { $0 == " " || $0 == "\t" })
        guard line.first == "." else { return nil }
        guard let space = line.firstIndex(where: { $0 == " " || $0 == "\t" }) else {
            let prefix = String(line)
            return Completion(prefix: prefix, candidates: matching(prefix, in: dotCommands.map { "." + $0 }, caseSensitive: false),
                              terminator: " ")
        }
        let command = line[line.index(after: line.startIndex)..<space].lowercased()
        let argument = line[space...].drop(while: { $0 == " " || $0 == "\t" })
        // Inside a quote: the text after it; else the last word.
        let quotes = argument.filter { $0 == "\"" || $0 == "'" }
        let quote = quotes.count % 2 == 1 ? quotes.last : nil
        let prefix: String
        if let quote, let open = argument.lastIndex(of: quote) {
            prefix = String(argument[argument.index(after: open)...])
        } else {
            prefix = String(argument.split(separator: " ", omittingEmptySubsequences: false).last ?? "")
        }
        let closing = quote.map { String($0) } ?? ""
        switch command {
        case "links":
            guard quote == nil else {
                return Completion(prefix: prefix, candidates: matching(prefix, in: names.campaigns, caseSensitive: false), terminator: closing)
            }
            // Unquoted: a name with a space comes quoted.
            let pool = matching(prefix, in: names.campaigns, caseSensitive: false).map { $0.contains(" ") ? quoted($0) : $0 }
            return Completion(prefix: prefix, candidates: pool, terminator: "")
        case "help", "h":
            return Completion(prefix: prefix, candidates: matching(prefix, in: Help.topics.map(\.name), caseSensitive: false), terminator: "")
        case "mode":
            return Completion(prefix: prefix, candidates: matching(prefix, in: OutputFormat.allCases.map(\.rawValue), caseSensitive: false), terminator: "")
        case "timer", "pager", "live":
            return Completion(prefix: prefix, candidates: matching(prefix, in: ["on", "off"], caseSensitive: false), terminator: "")
        case "tz":
            return Completion(prefix: prefix, candidates: matching(prefix, in: TimeZone.knownTimeZoneIdentifiers.sorted(), caseSensitive: false), terminator: "")
        case "read", "open", "once", "output":
            if prefix.hasPrefix("|") { return Completion.none }
            let paths = files(prefix)
            // A directory goes on: no closing quote after it.
            return Completion(prefix: prefix, candidates: paths, terminator: paths.count == 1 && paths[0].hasSuffix("/") ? "" : closing)
        default:
            return Completion.none
        }
    }

    /// Paths that start with `prefix`: the entries of its directory, directories with
    /// a `/`, hidden ones only when the name typed starts with a dot.
    static func files(_ prefix: String) -> [String] {
        let slash = prefix.lastIndex(of: "/")
        let directory = slash.map { String(prefix[...$0]) } ?? ""
        let name = slash.map { String(prefix[prefix.index(after: $0)...]) } ?? prefix
        let expanded = directory.hasPrefix("~/") ? NSHomeDirectory() + directory.dropFirst() : directory
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: expanded.isEmpty ? "." : expanded) else { return [] }
        return entries.filter { $0.hasPrefix(name) && (name.hasPrefix(".") || !$0.hasPrefix(".")) }.sorted().map { entry in
            var isDirectory: ObjCBool = false
            _ = FileManager.default.fileExists(atPath: (expanded.isEmpty ? "" : expanded) + entry, isDirectory: &isDirectory)
            return directory + entry + (isDirectory.boolValue ? "/" : "")
        }
    }

    private static func quoted(_ name: String) -> String { "\"" + name + "\"" }

    /// A name as written after `segment`/`list`: bare if it is a plain word, else quoted.
    private static func nameLiteral(_ name: String) -> String {
        let plain = !name.isEmpty && name.utf8.allSatisfy { b in
            (b >= 0x61 && b <= 0x7A) || (b >= 0x41 && b <= 0x5A) || (b >= 0x30 && b <= 0x39) || b == 0x5F
        } && !(name.utf8.first.map { $0 >= 0x30 && $0 <= 0x39 } ?? false)
        return plain ? name : quoted(name)
    }
}

extension Array {
    subscript(safe index: Int) -> Element? { indices.contains(index) ? self[index] : nil }
}
