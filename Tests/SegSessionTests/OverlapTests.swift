import Foundation
import SegQL
@testable import SegSession
import SegStore
import Testing

/// `overlap A, B, …`: every figure is what `count` says of the matching `and`, `or`
/// and `and not` query. Runs on SQLite, and on PostgreSQL under scripts/with-postgres.sh.
@Suite(.serialized) struct OverlapTests {
    @Test(arguments: [UInt64(21), 22])
    func figuresAreTheCountsOfTheCombinedQueries(seed: UInt64) throws {
        let f = try RandomSessionFixture(seed: seed)
        let (session, count) = (f.session, f.count)
        var generator = RandomQueryBuilder(seed: seed &* 17, store: f.model)
        var compared = 0, nonEmpty = 0
        // Generated queries that do not bind (the generator also writes invalid ones) are skipped.
        for _ in 0..<30 {
            let texts = (0..<3).map { _ in "(" + generator.query() + ")" }
            let file = SourceFile(name: "q", text: "overlap " + texts.joined(separator: ", "))
            let (statements, diagnostics) = Parser.parseScript(file)
            guard diagnostics.isEmpty, case .overlap(let qs)? = statements.first?.kind,
                  let o = try? session.overlap(qs, in: file) else { continue }
            for (i, a) in o.audiences.enumerated() {
                #expect(a.contacts == (try count(texts[i])), "\(texts[i])")
                let others = texts.indices.filter { $0 != i }.map { texts[$0] }.joined(separator: " or ")
                #expect(a.exclusive == (try count("\(texts[i]) and not (\(others))")))
            }
            for p in o.pairs {
                let (a, b) = (texts[p.first], texts[p.second])
                #expect(p.both == (try count("\(a) and \(b)")), "\(a) and \(b)")
                #expect(p.either == (try count("\(a) or \(b)")))
                #expect(p.onlyFirst == (try count("\(a) and not \(b)")))
                #expect(p.onlySecond == (try count("\(b) and not \(a)")))
                if p.both > 0 { nonEmpty += 1 }
            }
            #expect(o.inAny == (try count(texts.joined(separator: " or "))))
            #expect(o.inAll == (try count(texts.joined(separator: " and "))))
            compared += 1
        }
        #expect(compared >= 10 && nonEmpty >= 5, "\(compared) compared, \(nonEmpty) pairs overlap")
    }

    @Test func tableAndJSON() throws {
        let f = try ActionsFixture()
        #expect(f.run("save list sweden = country = \"SE\"") == nil)
        #expect(f.run("overlap openers, list sweden, (clicked or unsubscribed)") == nil)
        let text = try #require(f.output.texts.last)
        // openers: ana, bo; sweden: ana, cy; clicked or unsubscribed: ana, bo.
        #expect(text.contains("1 openers                            2              0"), "\(text)")
        #expect(text.contains("2 list sweden                        2              1"))
        #expect(text.contains("in any: 3, in all: 1"))
        #expect(text.contains("1 openers                             2  1 (0.333)  2 (1.000)"))
        #expect(text.contains("3 (clicked or unsubscribed)   2 (1.000)  1 (0.333)          2"))
        let o = try f.session.overlap([
            Parser.parseQuery(SourceFile(name: "a", text: "openers")).query!,
            Parser.parseQuery(SourceFile(name: "b", text: "list sweden")).query!,
        ], in: SourceFile(name: "o", text: ""))
        let json = OverlapRenderer.json(o).text(indent: 0)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        let pair = try #require((object["pairs"] as? [[String: Any]])?.first)
        #expect(pair["first"] as? String == "openers" && pair["second"] as? String == "list sweden")
        #expect(pair["both"] as? Int == 1 && pair["either"] as? Int == 3 && pair["only_first"] as? Int == 1)
        #expect((pair["jaccard"] as? Double).map { abs($0 - 0.333) < 1e-9 } == true)
    }

    @Test func syntax() throws {
        let f = try ActionsFixture()
        #expect(f.run("overlap openers")?.description.contains("'overlap' compares two or more") == true)
        #expect(f.run("overlap openers and clickers, active")?.description.contains("is written in parentheses") == true)
        let many = "overlap " + Array(repeating: "openers", count: 17).joined(separator: ", ")
        #expect(f.run(many)?.description.contains("at most 16 audiences") == true)
        // Printed back, an `and` audience keeps its parentheses.
        let (statements, _) = Parser.parseScript(SourceFile(name: "p", text: "overlap (a and b), not c, segment \"x y\""))
        #expect(statements.map { Printer.source(of: $0) } == [#"overlap (a and b), not c, segment "x y""#])
        #expect(f.run("overlap = 3")?.description.contains("no contact field or attribute named 'overlap'") == true)
    }
}
