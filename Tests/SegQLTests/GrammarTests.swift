import Foundation
import Testing
@testable import SegQL

/// grammar/segql.ebnf and the rule comments above the parser's and lexer's functions
/// state the same rules, word for word (whitespace aside).
@Suite struct GrammarTests {
    /// `name = … ;` rules, each normalised to single spaces.
    static func rules(in text: String, commentPrefix: String?) -> [String: String] {
        var rules: [String: String] = [:]
        var current: [String]?
        for raw in text.components(separatedBy: "\n") {
            var line = raw.trimmingCharacters(in: .whitespaces)
            if let prefix = commentPrefix {
                guard line.hasPrefix(prefix) else { current = nil; continue }
                line = String(line.dropFirst(prefix.count)).trimmingCharacters(in: .whitespaces)
            }
            if current == nil {
                guard let eq = line.range(of: " = "),
                      line[..<eq.lowerBound].allSatisfy({ $0.isLetter || $0 == "_" }),
                      !line[..<eq.lowerBound].isEmpty else { continue }
                current = []
            }
            current?.append(line)
            if line.hasSuffix(";"), let parts = current {
                let rule = parts.joined(separator: " ").split(separator: " ").joined(separator: " ")
                let name = String(rule.prefix { $0 != " " })
                #expect(rules[name] == nil, "rule \(name) is stated twice")
                rules[name] = rule
                current = nil
            }
        }
        return rules
    }

    static func grammar() throws -> [String: String] {
        var text = try String(contentsOf: TestSupport.root.appendingPathComponent("grammar/segql.ebnf"), encoding: .utf8)
        // Drop (* comments *).
        while let open = text.range(of: "(*"), let close = text.range(of: "*)", range: open.upperBound..<text.endIndex) {
            text.removeSubrange(open.lowerBound..<close.upperBound)
        }
        return rules(in: text, commentPrefix: nil)
    }

    static func sourceRules() throws -> [String: String] {
        let dir = TestSupport.root.appendingPathComponent("Sources/SegQL/Syntax")
        var all: [String: String] = [:]
        for file in try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted() where file.hasSuffix(".swift") {
            let text = try String(contentsOf: dir.appendingPathComponent(file), encoding: .utf8)
            all.merge(rules(in: text, commentPrefix: "//"), uniquingKeysWith: { a, _ in a })
        }
        return all
    }

    @Test func grammarAndSourcesStateTheSameRules() throws {
        let grammar = try Self.grammar()
        let sources = try Self.sourceRules()
        #expect(grammar.count >= 45)
        for (name, rule) in grammar {
            #expect(sources[name] == rule, "grammar rule \(name) differs from the source comment:\n  \(rule)\n  \(sources[name] ?? "(missing)")")
        }
        for name in sources.keys where grammar[name] == nil {
            Issue.record("source comment states rule \(name), which grammar/segql.ebnf lacks")
        }
    }

    @Test func everyRuleIsUsedOrIsTheStart() throws {
        let grammar = try Self.grammar()
        let bodies = grammar.values.map { $0.drop { $0 != "=" } }.joined(separator: " ")
        for name in grammar.keys where name != "script" && name != "comment" {
            #expect(bodies.split(whereSeparator: { !$0.isLetter && $0 != "_" }).contains(Substring(name)), "rule \(name) is never used")
        }
    }

    @Test func everyKeywordIsInTheGrammar() throws {
        let text = try String(contentsOf: TestSupport.root.appendingPathComponent("grammar/segql.ebnf"), encoding: .utf8)
        for k in Keyword.allCases { #expect(text.contains("\"\(k.spelling)\""), "\(k)") }
        for e in EventKind.allCases { #expect(text.contains("\"\(e.verb)\"") && text.contains("\"\(e.noun)\"")) }
        for a in ArgumentName.allCases { #expect(text.contains("\"\(a.rawValue)\"")) }
    }
}
