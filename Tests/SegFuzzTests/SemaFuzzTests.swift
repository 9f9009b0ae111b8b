import Foundation
import SegQL
import Testing
@testable import SegQLSemaFuzz

/// The checks of the binder and planner fuzz target (`Fuzz/SegQLSemaFuzz`) in every test
/// run: each statement of an input ends in an answer or a clean error, never the
/// database refusing segq's SQL, never a trap. libFuzzer needs an instrumented release
/// build of its own, several minutes on the CI machine before it fuzzes a second, so
/// CI runs the target's checks instead on inputs made here the way libFuzzer makes
/// them from the same seeds and dictionary — words inserted, seeds spliced, bytes
/// flipped — with a fixed seed, plus scripts that reach the binder's limits. The
/// libFuzzer runs are `scripts/fuzz.sh sema 60` and `scripts/fuzz.sh sema 3600`
/// (docs/fuzzing.md).
@Suite struct SemaFuzzTests {
    static let root = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The seed corpus of `scripts/fuzz.sh sema`: the examples and the golden scripts.
    static let seeds: [[UInt8]] = {
        var out: [[UInt8]] = []
        for dir in ["examples", "Tests/SegQLTests/Golden/trees", "Tests/SegQLTests/Golden/diagnostics"] {
            let url = root.appendingPathComponent(dir)
            let names = (try? FileManager.default.contentsOfDirectory(atPath: url.path)) ?? []
            for name in names.sorted() where name.hasSuffix(".segq") {
                if let data = FileManager.default.contents(atPath: url.appendingPathComponent(name).path) {
                    out.append(Array(data))
                }
            }
        }
        return out
    }()

    /// The words of `Fuzz/segql.dict` (its `"…"` lines, `\\` and `\"` unescaped).
    static let words: [[UInt8]] = {
        let text = (try? String(contentsOf: root.appendingPathComponent("Fuzz/segql.dict"), encoding: .utf8)) ?? ""
        return text.split(separator: "\n").compactMap { line -> [UInt8]? in
            guard line.hasPrefix("\""), line.hasSuffix("\""), line.count >= 2 else { return nil }
            let inner = line.dropFirst().dropLast()
            return Array(inner.replacingOccurrences(of: "\\\"", with: "\"").replacingOccurrences(of: "\\\\", with: "\\").utf8)
        }
    }()

    func expectClean(_ input: [UInt8], sourceLocation: SourceLocation = #_sourceLocation) {
        let problems = semanticProblems(input)
        #expect(problems.isEmpty, "\(problems) for input: \(String(decoding: input, as: UTF8.self))",
                sourceLocation: sourceLocation)
    }

    @Test func theSeedsAreFound() {
        #expect(Self.seeds.count >= 40)
        #expect(Self.words.count >= 50)
    }

    /// Every seed, as it is.
    @Test func everySeedEndsInAnAnswerOrACleanError() {
        for seed in Self.seeds { expectClean(seed) }
    }

    /// How many mutated inputs each test run checks (about 20 s in a debug build on
    /// the 2-core CI machine).
    static let mutatedInputs = 3_000

    /// Seeds mutated as libFuzzer mutates them, a fixed sequence: a dictionary word
    /// inserted or replacing a span, a span of another seed spliced in, a span
    /// repeated, bytes flipped or erased; one to eight mutations each, inputs capped at
    /// 4 KB as `scripts/fuzz.sh` caps them.
    @Test func mutatedSeedsEndInAnAnswerOrACleanError() {
        var random = SplitMix64(21)
        let seeds = Self.seeds, words = Self.words
        for _ in 0..<Self.mutatedInputs {
            var input = seeds[random.below(seeds.count)]
            for _ in 0...random.below(8) {
                let at = input.isEmpty ? 0 : random.below(input.count + 1)
                let span = min(input.count - at, random.below(16))
                switch random.below(6) {
                case 0:
                    input.insert(contentsOf: [UInt8(ascii: " ")] + words[random.below(words.count)] + [UInt8(ascii: " ")], at: at)
                case 1:
                    input.replaceSubrange(at..<at + span, with: words[random.below(words.count)])
                case 2:
                    let other = seeds[random.below(seeds.count)]
                    let from = random.below(max(other.count, 1))
                    input.insert(contentsOf: other[from..<min(other.count, from + random.below(200))], at: at)
                case 3:
                    let repeated = Array(input[at..<at + span])
                    input.insert(contentsOf: repeated, at: at)
                case 4:
                    if at < input.count { input[at] ^= UInt8(truncatingIfNeeded: 1 << random.below(8)) }
                default:
                    input.removeSubrange(at..<at + span)
                }
            }
            expectClean(Array(input.prefix(4_096)))
        }
    }

    /// Scripts that reach the binder's limits and the long-list path: doubling aliases,
    /// a chain of aliases, doubling segment references that do not exist, a long `in`
    /// list, deep nesting, and every reading statement over one alias.
    @Test func scriptsAtTheLimitsEndInAnAnswerOrACleanError() {
        var doubling = "let a0 = opened;\n"
        for i in 1...20 { doubling += "let a\(i) = (a\(i - 1) or a\(i - 1));\n" }
        doubling += "count a20; show a12 limit 1\n"
        var chain = "let b0 = clicked;\n"
        for i in 1...2_000 { chain += "let b\(i) = not b\(i - 1);\n" }
        chain += "count b2000\n"
        let list = "count email in [" + (0..<5_000).map { "\"c\($0)@example.com\"" }.joined(separator: ", ") + "]\n"
        let nested = String(repeating: "(", count: 255) + "opened" + String(repeating: ")", count: 255) + "\n"
        let statements = """
            let q = opened(campaign: "Spring Sale") and not clicked;
            q; count q; show q limit 2; explain q; explain analyze q; use campaign "Flash SMS"; count q and clicked
            """
        for script in [doubling, chain, list, nested, statements] { expectClean(Array(script.utf8)) }
    }
}
