import Foundation
import Testing
@testable import SegQL

/// parse → print → parse gives the same tree (ranges aside), for every statement of the
/// golden corpus, the docs and the examples; and printing is idempotent.
@Suite struct RoundTripTests {
    static func corpus() throws -> [(origin: String, text: String)] {
        var out: [(String, String)] = []
        let trees = try #require(GoldenTests.bundled?.appendingPathComponent("trees"))
        for name in GoldenTests.inputs("trees") {
            out.append(("trees/\(name)", try String(contentsOf: trees.appendingPathComponent(name), encoding: .utf8)))
        }
        return out + (try TestSupport.documentedSources())
    }

    static func checkRoundTrip(_ text: String, origin: String) -> Int {
        let first = TestSupport.parse(text)
        #expect(first.diagnostics.isEmpty, "\(origin): \(first.diagnostics.map(\.message))")
        for s in first.statements {
            let printed = Printer.source(of: s)
            let again = TestSupport.parse(printed)
            #expect(again.diagnostics.isEmpty, "\(origin): '\(printed)' does not reparse: \(again.diagnostics.map(\.message))")
            #expect(again.statements.count == 1, "\(origin): '\(printed)'")
            guard let reparsed = again.statements.first else { continue }
            #expect(TreeDump.dump(reparsed) == TreeDump.dump(s), "\(origin): '\(printed)' changes the tree")
            #expect(Printer.source(of: reparsed) == printed, "\(origin): printing is not idempotent")
        }
        return first.statements.count
    }

    @Test func everyCorpusStatementRoundTrips() throws {
        var count = 0
        for (origin, text) in try Self.corpus() { count += Self.checkRoundTrip(text, origin: origin) }
        #expect(count > 150)
    }

    @Test func wholeScriptsRoundTrip() throws {
        for (origin, text) in try Self.corpus() {
            let statements = TestSupport.parse(text).statements
            let printed = Printer.source(of: statements)
            #expect(TestSupport.parse(printed).statements.map { TreeDump.dump($0) } == statements.map { TreeDump.dump($0) }, "\(origin)")
        }
    }

    /// Trees the parser cannot produce but a program can: the printer still writes
    /// source that means the same.
    @Test func syntheticTrees() {
        let r = SourceRange.at(0)
        func name(_ s: String, quoted: Bool = false) -> Name { Name(text: s, quoted: quoted, range: r) }
        func q(_ k: Query.Kind) -> Query { Query(k, range: r) }
        let cases: [(Statement, String)] = [
            (Statement(.let(name("my alias"), q(.name(name("openers")))), range: r), #"let "my alias" = openers"#),
            (Statement(.let(name("opened"), q(.name(name("openers")))), range: r), #"let "opened" = openers"#),
            (Statement(.useCampaign(name("none")), range: r), #"use campaign "none""#),
            (Statement(.dropSegment(name("and")), range: r), #"drop segment "and""#),
            (Statement(.query(q(.or(q(.name(name("save"))), q(.name(name("replace")))))), range: r), "(save) or replace"),
            (Statement(.show(q(.name(name("list"))), limit: 3), range: r), "show (list) limit 3"),
            (Statement(.query(q(.field(FieldCondition(
                field: name("x"), test: .compare(.equal, Value(.decimal(1e-7), range: r)), range: r)))), range: r),
             "x = 0.0000001"),
            (Statement(.query(q(.field(FieldCondition(
                field: name("x"), test: .compare(.equal, Value(.decimal(1.5e20), range: r)), range: r)))), range: r),
             "x = 150000000000000000000.0"),
            (Statement(.query(q(.field(FieldCondition(
                field: name("x"), test: .compare(.equal, Value(.string("a\u{1}\r\u{7F}b"), range: r)), range: r)))), range: r),
             #"x = "a\u{1}\u{d}\u{7f}b""#),
        ]
        for (statement, expected) in cases {
            let printed = Printer.source(of: statement)
            #expect(printed == expected)
            #expect(TestSupport.parse(printed).diagnostics.isEmpty, "\(printed)")
        }
    }

    @Test(arguments: [0.1, 2.5, -0.25, 1e-7, 1.5e20, 123456789.125, 5e-324, 1.7976931348623157e308, -0.0, 100.0])
    func decimalsRoundTrip(value: Double) throws {
        let text = "x = " + Printer.decimal(value)
        let s = try #require(TestSupport.parse(text).statements.first)
        guard case .query(let q) = s.kind, case .field(let f) = q.kind, case .compare(_, let v) = f.test,
              case .decimal(let d) = v.kind else {
            Issue.record("\(text) is not a decimal comparison")
            return
        }
        #expect(d == value)
    }
}
