import Foundation
import SegQL
import SegSession
import SegStore
import Testing

/// Calendar windows and audience calls run on the database (SQLite, and PostgreSQL
/// when SEGQ_TEST_PG is set): the same contacts as spelled out, and views that count
/// months on the calendar.
@Suite(.serialized) struct CalendarWindowSessionTests {
    @Test func monthWindowsAndAudienceCallsSelectTheSameContactsAsSpelledOut() throws {
        // now = 2026-04-01T09:00Z: 1mo reaches back to 2026-03-01T09:00Z, just before
        // Spring Sale's deliveries (09:01) — 31d would reach 2026-03-01T09:00Z too,
        // 30d would not.
        let f = try ActionsFixture(now: Timestamp.parse("2026-04-01T09:00:00Z")!.start)
        #expect(try f.members("delivered(within: 1mo)") == ["ana@example.com", "bo@example.com", "cy@example.com", "+46700000001"])
        #expect(try f.members("delivered(within: 30d)") == ["+46700000001"])
        #expect(try f.members("opened(within: 1y)") == ["ana@example.com", "bo@example.com"])
        #expect(try f.members("inactive(within: 1mo)") == ["cy@example.com", "+46700000001"])
        #expect(try f.members("inactive(within: 30d)") == ["+46700000001"])
        #expect(try f.members(#"active(since: "2026-03-01T10:30:00Z")"#) == ["bo@example.com"])
        #expect(try f.members("suppressed(within: 1mo)") == ["bo@example.com"])
        #expect(try f.members(#"suppressed(before: "2026-03-01")"#) == [])
        // Under an SMS context, inactive has no opens to ask about.
        #expect(f.run(#"use campaign "Flash SMS""#) == nil)
        #expect(try f.members("inactive(within: 1y)") == ["+46700000001"])
    }

    @Test func aSavedMonthWindowIsSelfContainedAndItsViewAgrees() throws {
        // Events relative to the real clock, since a view measures from its own now.
        let now = Int64(Date().timeIntervalSince1970)
        let recent = Timestamp.monthsBefore(now, 2) + 3_600
        let old = Timestamp.monthsBefore(now, 2) - 3_600
        let f = try ActionsFixture(now: now, extra: [
            #"{"record":"event","kind":"opened","contact":"cy@example.com","campaign":"Spring Sale","ts":\#(recent)}"#,
            #"{"record":"event","kind":"opened","contact":"dee@example.com","campaign":"Spring Sale","ts":\#(old)}"#,
        ])
        #expect(f.run(#"use campaign "Spring Sale"; save segment lately = openers(within: 2mo)"#) == nil)
        let saved = try f.sqlite3("SELECT query FROM segments WHERE name = 'lately'").out
        #expect(saved.contains(#"openers(campaign: "Spring Sale", within: 2mo)"#), "\(saved)")
        #expect(try f.members("segment lately") == ["cy@example.com"])
        let view = try f.sqlite3("SELECT email FROM segment_lately")
        #expect(view.status == 0, "\(view.err)")
        #expect(view.out.split(separator: "\n") == ["cy@example.com"])
    }

    /// The SQL for "N months before now" clamps the day as `Timestamp.monthsBefore`
    /// does, on each database, for month ends and leap days. The expression is run
    /// with its "now" replaced by fixed instants.
    @Test(arguments: [
        ("2026-08-31T10:00:00Z", 6), ("2026-03-31T23:59:59Z", 1), ("2028-02-29T12:00:00Z", 12),
        ("2026-01-15T00:00:00Z", 1), ("2026-05-31T08:00:00Z", 3), ("2026-07-31T06:30:00Z", 5),
    ])
    func theDatabaseCountsMonthsOnTheCalendar(now: String, months: Int64) throws {
        let f = try ActionsFixture()
        let t = Timestamp.parse(now)!.start
        let sql: String
        if TemporaryStore.postgres != nil {
            sql = PostgresDialect().monthsBeforeNow(String(months))
                .replacingOccurrences(of: "now()", with: "TIMESTAMPTZ '\(now)'")
        } else {
            let fixed = "'" + now.replacingOccurrences(of: "T", with: " ").replacingOccurrences(of: "Z", with: "") + "'"
            sql = SQLiteDialect().monthsBeforeNow(String(months))
                .replacingOccurrences(of: "'now'", with: fixed)
        }
        let r = try f.sqlite3("SELECT " + sql)
        #expect(r.status == 0, "\(r.err)")
        #expect(r.out.trimmingCharacters(in: .whitespacesAndNewlines) == String(Timestamp.monthsBefore(t, months)), "\(sql)")
    }
}
