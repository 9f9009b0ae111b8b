import Foundation
import Testing
@testable import SegQL

/// Hostile input gives diagnostics, never a crash, hang or stack overflow, in linear time.
@Suite struct RobustnessTests {
    static func time(_ body: () -> Void) -> Double {
        let start = ContinuousClock.now
        body()
        let d = ContinuousClock.now - start
        return Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
    }

    /// Every diagnostic lies within the input, and rendering it works.
    static func checkDiagnostics(_ bytes: [UInt8]) -> [Diagnostic] {
        let file = SourceFile(name: "x", bytes: bytes)
        let (_, ds) = Parser.parseScript(file)
        for d in ds {
            #expect(d.range.start >= 0 && d.range.end <= bytes.count)
            for n in d.notes { if let r = n.range { #expect(r.start >= 0 && r.end <= bytes.count) } }
        }
        #expect(ds.filter { $0.severity == .error }.count <= Lexer.maximumErrors + 1)
        _ = DiagnosticRenderer.render(ds.prefix(5).map { $0 }, in: file, color: true)
        return ds
    }

    @Test(arguments: [
        String(repeating: "(", count: 100_000),
        String(repeating: "not ", count: 100_000) + "opened",
        "opened(campaign: " + String(repeating: "[", count: 100_000),
        String(repeating: "(not ", count: 50_000),
        "duplicate campaign c for " + String(repeating: "(", count: 100_000),
    ])
    func deepNestingIsOneClearError(text: String) {
        var messages: [String] = []
        let seconds = Self.time { messages = Self.checkDiagnostics(Array(text.utf8)).map(\.message) }
        #expect(messages == ["query nests too deeply (more than 256 levels)"])
        #expect(seconds < 5)
    }

    @Test func nestingUpToTheLimitIsFine() {
        let parens = String(repeating: "(", count: Parser.maximumDepth) + "a" + String(repeating: ")", count: Parser.maximumDepth)
        #expect(TestSupport.parse(parens).diagnostics.isEmpty)
        let over = "(" + parens + ")"
        #expect(TestSupport.messages(over) == ["query nests too deeply (more than 256 levels)"])
        let nots = String(repeating: "not ", count: Parser.maximumDepth) + "a"
        #expect(TestSupport.parse(nots).diagnostics.isEmpty)
        // The deepest tree the limits allow survives printing, dumping, hashing and ==.
        let deepest = String(repeating: "not ", count: Parser.maximumDepth - 1) + "("
            + Array(repeating: "a", count: Parser.maximumOperators + 1).joined(separator: " or ") + ")"
        let r = TestSupport.parse(deepest)
        #expect(r.diagnostics.isEmpty)
        #expect(!Printer.source(of: r.statements).isEmpty)
        #expect(!r.statements.map { TreeDump.dump($0) }.isEmpty)
        #expect(r.statements == TestSupport.parse(deepest).statements)
        #expect(Set(r.statements).count == 1)
    }

    @Test func operatorLimitCountsPerStatement() {
        let chain = Array(repeating: "a", count: Parser.maximumOperators + 1).joined(separator: " and ")
        #expect(TestSupport.parse(chain + ";" + chain).diagnostics.isEmpty)
        #expect(TestSupport.messages(chain + " or b").count == 1)
        let long = Array(repeating: "a", count: 100_000).joined(separator: " or ")
        #expect(TestSupport.messages(long) == [ParseMessages.tooManyOperators])
    }

    @Test func tenMegabyteLine() {
        let n = 10_000_000
        // A valid 10 MB line: a long value list.
        var list = "x in ["
        list.reserveCapacity(n + 20)
        while list.utf8.count < n { list += "12345, " }
        list += "1]"
        #expect(Self.checkDiagnostics(Array(list.utf8)).isEmpty)
    }

    /// The other hostile shapes of long line, at 1 MB: the code is the same loop at any
    /// size (a debug build lexes only a few MB/s; the release fuzzer and benchmark run
    /// 10 MB inputs).
    @Test func longLinesOfEveryShape() {
        let n = 1_000_000
        // Junk is one error.
        #expect(Self.checkDiagnostics([UInt8](repeating: UInt8(ascii: "@"), count: n)).map(\.message) == ["unexpected character '@'"])
        // A long identifier, a long string, a long unterminated string, long digits.
        let ident = [UInt8](repeating: UInt8(ascii: "a"), count: n)
        #expect(Self.checkDiagnostics(ident).isEmpty)
        #expect(Self.checkDiagnostics(ident + Array("(".utf8)).map(\.message).first?.hasPrefix("unknown event 'aaaa") == true)
        let string = [0x22] + [UInt8](repeating: UInt8(ascii: "s"), count: n) + [0x22]
        #expect(Self.checkDiagnostics(Array("x = ".utf8) + string).isEmpty)
        #expect(Self.checkDiagnostics(Array("x = ".utf8) + string.dropLast()).map(\.message) == ["unterminated string"])
        let digits = [UInt8](repeating: UInt8(ascii: "7"), count: n)
        #expect(Self.checkDiagnostics(Array("x = ".utf8) + digits).count == 1)
        // Bad escapes stop at the error limit.
        let escapes = [0x22] + Array(String(repeating: "\\q", count: n / 2).utf8) + [0x22]
        #expect(Self.checkDiagnostics(escapes).count == Lexer.maximumErrors + 1)
    }

    @Test func nulBytesAndInvalidUTF8() {
        #expect(Self.checkDiagnostics([0, 0, 0]).map(\.message) == ["unexpected character U+0000"])
        #expect(Self.checkDiagnostics(Array("opened\0;clicked".utf8)).map(\.message) == ["unexpected character U+0000"])
        #expect(Self.checkDiagnostics([0xC3]).map(\.message) == ["unexpected character (invalid UTF-8 byte 0xC3)"])
        #expect(Self.checkDiagnostics(Array("x = \"a\0b\"".utf8)).isEmpty)  // NUL is valid UTF-8 in a string
        #expect(Self.checkDiagnostics(Array("x = ".utf8) + [0x22, 0xFF, 0x22]).map(\.message) == ["invalid UTF-8 in string"])
    }

    @Test func randomBytesNeverCrash() {
        var rng = SplitMix64(0x5E6)
        let alphabet = Array("opened clicks campaign ( ) [ ] , : ; = != < > \" ' \\ not and or 30d 2.5 -1 # -- \n in exists".utf8)
        for round in 0..<2_000 {
            let length = Int(rng.next() % 200)
            let bytes: [UInt8] = (0..<length).map { _ in
                round % 2 == 0 ? UInt8(truncatingIfNeeded: rng.next()) : alphabet[Int(rng.next() % UInt64(alphabet.count))]
            }
            _ = Self.checkDiagnostics(bytes)
            _ = InputCompleteness.isComplete(String(decoding: bytes, as: UTF8.self))
        }
    }

    @Test func parseTimeIsLinear() {
        func script(_ count: Int) -> [UInt8] {
            Array(String(repeating: #"count opened(campaign: "Spring Sale", within: 30d) and not clicked(link: "/pricing") and clicks >= 2 or country in ["SE", "NO"];"# + "\n", count: count).utf8)
        }
        let small = script(2_000), large = script(16_000)
        var t1 = Double.infinity, t8 = Double.infinity
        for _ in 0..<2 {
            t1 = min(t1, Self.time { _ = Parser.parseScript(SourceFile(name: "s", bytes: small)) })
            t8 = min(t8, Self.time { _ = Parser.parseScript(SourceFile(name: "l", bytes: large)) })
        }
        // Linear: about 8 times longer; quadratic would be 64 times.
        #expect(t8 < 24 * t1 + 0.05, "2k statements: \(t1)s, 16k statements: \(t8)s")
    }

    /// Random trees, printed, parse back to themselves: the printer's parentheses and
    /// quoting agree with the parser's precedence and lexing.
    @Test func randomTreesRoundTrip() {
        var rng = SplitMix64(42)
        for _ in 0..<3_000 {
            let q = randomQuery(&rng, depth: 0)
            let printed = Printer.source(of: Statement(.query(q), range: q.range))
            let r = TestSupport.parse(printed)
            #expect(r.diagnostics.isEmpty, "\(printed): \(r.diagnostics.map(\.message))")
            #expect(r.statements.first.map { TreeDump.dump($0) } == TreeDump.dump(Statement(.query(q), range: q.range)), "\(printed)")
        }
    }

    func randomQuery(_ rng: inout SplitMix64, depth: Int) -> Query {
        let r = SourceRange.at(0)
        let names = ["openers", "count", "save", "show", "limit", "list", "segment", "x", "Ålder", "none"]
        let strings = ["Spring Sale", "", "say \"hi\"", "a\\b", "line\nbreak", "tab\t", "\u{1}", "é😀"]
        func value(_ rng: inout SplitMix64, nested: Bool) -> Value {
            switch rng.next() % (nested ? 7 : 6) {
            case 0: Value(.string(strings[Int(rng.next() % UInt64(strings.count))]), range: r)
            case 1: Value(.integer(Int64(bitPattern: rng.next()) % 1000), range: r)
            case 2: Value(.decimal(Double(Int64(bitPattern: rng.next()) % 100_000) / 64), range: r)
            case 3: Value(.boolean(rng.next() % 2 == 0), range: r)
            case 4: Value(.duration(amount: Int64(rng.next() % 90), unit: DurationUnit.allCases[Int(rng.next() % 4)]), range: r)
            case 5: Value(.word(["hard", "soft", "email", "sms"][Int(rng.next() % 4)]), range: r)
            default: Value(.list((0..<Int(rng.next() % 3)).map { _ in value(&rng, nested: false) }), range: r)
            }
        }
        func args(_ rng: inout SplitMix64) -> [Argument] {
            (0..<Int(rng.next() % 3)).map { _ in
                Argument(name: ArgumentName.allCases[Int(rng.next() % 11)], nameRange: r, value: value(&rng, nested: true))
            }
        }
        let leaf = depth > 4 || rng.next() % 3 == 0
        if !leaf {
            switch rng.next() % 3 {
            case 0: return Query(.or(randomQuery(&rng, depth: depth + 1), randomQuery(&rng, depth: depth + 1)), range: r)
            case 1: return Query(.and(randomQuery(&rng, depth: depth + 1), randomQuery(&rng, depth: depth + 1)), range: r)
            default: return Query(.not(randomQuery(&rng, depth: depth + 1)), range: r)
            }
        }
        let kind = EventKind.allCases[Int(rng.next() % 10)]
        switch rng.next() % 6 {
        case 0:
            return Query(.event(EventPredicate(kind: kind, verb: Name(text: kind.verb, range: r), arguments: args(&rng), range: r)), range: r)
        case 1:
            let c = EventCount(kind: kind, noun: Name(text: kind.noun, range: r), arguments: args(&rng),
                               op: ComparisonOperator.allCases[Int(rng.next() % 6)], opRange: r,
                               count: Int64(rng.next() % 10), countRange: r, range: r)
            return Query(.count(c), range: r)
        case 2:
            let tests: [FieldCondition.Test] = [
                .compare(ComparisonOperator.allCases[Int(rng.next() % 6)], value(&rng, nested: false)),
                .oneOf(Value(.list([value(&rng, nested: false)]), range: r)),
                .matches(Value(.string("*@x.com"), range: r)), .exists,
            ]
            var test = tests[Int(rng.next() % 4)]
            if case .compare(let op, let v) = test, case .duration = v.kind { test = .compare(op, Value(.integer(1), range: r)) }
            if case .compare(let op, let v) = test, case .word = v.kind { test = .compare(op, Value(.string("w"), range: r)) }
            return Query(.field(FieldCondition(field: Name(text: names[Int(rng.next() % UInt64(names.count))], range: r), test: test, range: r)), range: r)
        case 3:
            return Query(.name(Name(text: names[Int(rng.next() % UInt64(names.count))], range: r)), range: r)
        case 4:
            return Query(.segment(Name(text: strings[Int(rng.next() % UInt64(strings.count))], quoted: true, range: r)), range: r)
        default:
            return Query(.list(Name(text: names[Int(rng.next() % UInt64(names.count))], range: r)), range: r)
        }
    }
}

