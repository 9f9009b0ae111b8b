import Foundation
import Testing
@testable import SegQL

/// The compiled SQL for a corpus of queries, compared with Golden/sql.txt (SQLite) and
/// Golden/sql-postgresql.txt (the same plans in PostgreSQL's dialect).
/// Re-record with `SEGQ_RECORD=1 swift test --filter SQLGoldenTests` and review the diff.
@Suite struct SQLGoldenTests {
    static let corpus = [
        "opened(campaign: \"Spring Sale\") and not clicked(link: \"/pricing\") and clicks >= 2",
        "delivered(campaign: \"Spring Sale\") and not opened(campaign: \"Spring Sale\")",
        "opened(within: 30d)",
        "delivered(within: 365d) and not opened(within: 365d) and not clicked(within: 365d)",
        "clicks(campaign: [\"Spring Sale\", \"Summer Newsletter\", \"Flash SMS\"]) >= 3 or (opened(campaign: \"Spring Sale\") and country = \"SE\")",
        "not opened",
        "clicks < 2",
        "opens(machine: false) = 0",
        "clicked(campaign: \"Spring*\", footer: true, message: 2)",
        "bounced(type: hard, reason: \"550*\") or dropped(reason: \"Bounced [100%] _x_\")",
        "opened(since: \"2026-03-01\", before: \"2026-03-02T12:00:00Z\")",
        "email matches \"*@Example.com\" and age >= 30 and plan in [\"pro\", \"team\", 1] and country exists",
        "created_at = \"2026-01-05\"",
        "list \"vip\" and not suppressed",
        "segment \"engaged\"",
    ]

    static func render(
        _ text: String, strategy: Strategy? = nil, inline: Bool = false, dialect: any SQLDialect = SQLiteDialect()
    ) throws -> String {
        let query = try #require(Parser.parseQuery(SourceFile(name: "q", text: text)).query)
        let (bound, diagnostics) = Binder.bind(query, in: BindingEnvironment(catalog: testCatalog))
        let b = try #require(bound, "\(diagnostics)")
        let plan = Planner.plan(b, catalog: testCatalog, options: PlannerOptions(
            now: inline ? .readTime : .fixed(1_780_272_000), strategy: strategy))
        let sql = SQLRenderer.render(plan, projection: .contacts(limit: nil), dialect: dialect, inlineLiterals: inline)
        var out = "strategy: \(plan.strategy.rawValue)\n\(sql.sql)\n"
        if !sql.parameters.isEmpty { out += "parameters: " + sql.parameters.map(\.description).joined(separator: ", ") + "\n" }
        return out
    }

    @Test(arguments: [("sql.txt", SQLiteDialect() as any SQLDialect), ("sql-postgresql.txt", PostgresDialect())])
    func compiledSQLMatchesGolden(file: String, dialect: any SQLDialect) throws {
        var out = ""
        for text in Self.corpus {
            out += "== \(text)\n" + (try Self.render(text, dialect: dialect)) + "\n"
        }
        out += "== view of the design card (literals inlined, now read at run time)\n"
        out += try Self.render("opened(campaign: \"Spring Sale\", within: 7d) and country = \"O'Neil\"", inline: true, dialect: dialect) + "\n"
        for strategy in Strategy.allCases {
            out += "== \(strategy.rawValue): clicks < 2 and opened(campaign: \"Spring Sale\")\n"
            out += try Self.render("clicks < 2 and opened(campaign: \"Spring Sale\")", strategy: strategy, dialect: dialect) + "\n"
        }
        try Golden.check(out, file: file)
    }

    @Test func everyLiteralIsAParameter() throws {
        let text = "opened(campaign: \"Spring Sale\") and country = \"x'); DROP TABLE contacts; --\""
        let rendered = try Self.render(text)
        #expect(!rendered.split(separator: "\n").contains { $0.hasPrefix("SELECT") && $0.contains("DROP") })
        #expect(!rendered.contains("'x')"))
        #expect(rendered.contains("parameters:"))
    }

    /// A branch of an `or` with nothing left to test is its set alone, in either dialect:
    /// PostgreSQL once got `(c.id IN (…) AND TRUE)` where SQLite got `c.id IN (…)`.
    @Test(arguments: [SQLiteDialect() as any SQLDialect, PostgresDialect()])
    func branchWithNoRestIsItsSetAlone(dialect: any SQLDialect) throws {
        let text = "opened(campaign: \"Spring Sale\") or (clicked(campaign: \"Summer Newsletter\") and email matches \"*@example.com\")"
        let rendered = try Self.render(text, strategy: .driver, dialect: dialect)
        #expect(rendered.contains("(c.id IN (SELECT"), "\(rendered)")
        #expect(!rendered.contains("AND \(dialect.trueCondition))"), "\(rendered)")
    }

    @Test func inlinedLiteralsAreQuoted() throws {
        let rendered = try Self.render("country = \"O'Neil\\\\ % * _ é\"", inline: true)
        #expect(rendered.contains("'O''Neil\\ % * _ é'"))
        #expect(!rendered.contains("?1"))
    }
}

/// Golden files under Tests/SegQLTests/Golden.
enum Golden {
    static var directory: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Golden")
    }

    /// Compares `actual` with the golden file, or writes it when SEGQ_RECORD is set.
    static func check(_ actual: String, file: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let url = directory.appendingPathComponent(file)
        if TestSupport.recording {
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try actual.write(to: url, atomically: true, encoding: .utf8)
            return
        }
        let expected = try String(contentsOf: url, encoding: .utf8)
        if expected != actual {
            let e = expected.split(separator: "\n", omittingEmptySubsequences: false)
            let a = actual.split(separator: "\n", omittingEmptySubsequences: false)
            let i = (0..<min(e.count, a.count)).first { e[$0] != a[$0] } ?? min(e.count, a.count)
            Issue.record(
                "\(file) differs at line \(i + 1):\n  golden: \(i < e.count ? String(e[i]) : "<end>")\n  actual: \(i < a.count ? String(a[i]) : "<end>")\n(re-record with SEGQ_RECORD=1 and review the diff)",
                sourceLocation: sourceLocation)
        }
    }
}
