import Testing
@testable import SegQL

/// `BoundDump`, the bound query's printed form (docs/architecture.md § One query through
/// the pipeline): what the binder decided, each filter part that is not a default.
@Suite struct BoundDumpTests {
    @Test(arguments: [
        ("opened", "(events opened count >= 1)"),
        (#"clicks(campaign: "Spring Sale", link: "/pricing") >= 2"#, "(events clicked campaigns:[1] links:[10] count >= 2)"),
        ("clicked", "(events clicked excluded-links:[11] count >= 1)"),
        ("clicked(footer: true)", "(events clicked footer:true count >= 1)"),
        ("opened(within: 30d, machine: false)", "(events opened within:2592000 machine:false count >= 1)"),
        (#"opened(since: "2026-03-01", before: "2026-04-01")"#, "(events opened since:1772323200 before:1775001600 count >= 1)"),
        (#"bounced(type: hard, reason: "550*")"#, #"(events bounced type:hard reason:"550*" count >= 1)"#),
        ("opened(of_last: 3, at_least: 2)", "(events opened of-last:3 distinct-campaigns count >= 2)"),
        (#"country in ["SE", "NO"]"#, #"(attribute "country" in ["SE", "NO"])"#),
        (#"email matches "*@example.com""#, #"(column email matches "*@example.com")"#),
        ("age >= 2.5", "(attribute \"age\" >= 2.5)"),
        ("list vip", #"(list #7 "vip")"#),
        ("opened or not country exists", "(or\n  (events opened count >= 1)\n  (not\n    (attribute \"country\" exists)))"),
    ])
    func dumps(query: String, expected: String) throws {
        let (bound, diagnostics) = bind(query)
        #expect(diagnostics.filter { $0.severity == .error }.isEmpty, "\(diagnostics.map(\.message))")
        #expect(BoundDump.dump(try #require(bound)) == expected)
    }
}
