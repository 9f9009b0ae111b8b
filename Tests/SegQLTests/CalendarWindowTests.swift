import Foundation
import Testing
@testable import SegQL

/// `within: 6mo` / `1y` and built-in audiences with arguments (`inactive(within: 90d)`).
@Suite struct CalendarWindowTests {
    static func utc(_ text: String) -> Int64 { Timestamp.parse(text)!.start }

    @Test(arguments: [
        ("2026-08-31T10:00:00Z", 6, "2026-02-28T10:00:00Z"),   // clamped to February's last day
        ("2028-08-31T10:00:00Z", 6, "2028-02-29T10:00:00Z"),   // a leap year
        ("2026-03-31T23:59:59Z", 1, "2026-02-28T23:59:59Z"),
        ("2026-01-15T00:00:00Z", 1, "2025-12-15T00:00:00Z"),   // across a year
        ("2028-02-29T12:00:00Z", 12, "2027-02-28T12:00:00Z"),  // 1y from a leap day
        ("2026-05-20T08:30:00Z", 0, "2026-05-20T08:30:00Z"),
        ("1970-01-31T00:00:00Z", 2, "1969-11-30T00:00:00Z"),   // before the epoch
    ])
    func monthsBeforeIsCalendarCorrect(now: String, months: Int64, expected: String) {
        #expect(Timestamp.iso8601(Timestamp.monthsBefore(Self.utc(now), months)) == expected)
    }

    /// Months back by Foundation's calendar fields (its `date(byAdding: .month)` on Linux
    /// overflows into the next month instead of clamping, so it is not the oracle).
    static func foundationMonthsBefore(_ t: Int64, _ months: Int) -> Int64 {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: Date(timeIntervalSince1970: Double(t)))
        let index = c.year! * 12 + c.month! - 1 - months
        let (year, month) = (index / 12, index % 12 + 1)
        let first = calendar.date(from: DateComponents(year: year, month: month, day: 1))!
        let length = calendar.range(of: .day, in: .month, for: first)!.count
        let target = DateComponents(year: year, month: month, day: min(c.day!, length), hour: c.hour, minute: c.minute, second: c.second)
        return Int64(calendar.date(from: target)!.timeIntervalSince1970)
    }

    /// Every day of four years, each at an odd time of day, against Foundation's calendar.
    @Test func monthsBeforeAgreesWithFoundation() {
        var t = Self.utc("2025-01-01T07:13:29Z")
        for _ in 0..<(4 * 366) {
            for months in [1, 3, 6, 12, 25] {
                #expect(Timestamp.monthsBefore(t, Int64(months)) == Self.foundationMonthsBefore(t, months), "\(Timestamp.iso8601(t)) - \(months)mo")
            }
            t += 86_400
        }
    }

    /// `and`/`or` flattened, so that `a and b and c` and `and([a, b, c])` compare equal.
    static func flat(_ q: BoundQuery?) -> BoundQuery? {
        guard let q else { return nil }
        switch q {
        case .and(let xs): return .and(xs.flatMap { x -> [BoundQuery] in if case .and(let ys)? = flat(x) { return ys }; return [flat(x)!] })
        case .or(let xs): return .or(xs.flatMap { x -> [BoundQuery] in if case .or(let ys)? = flat(x) { return ys }; return [flat(x)!] })
        case .not(let x): return .not(flat(x)!)
        default: return q
        }
    }

    @Test func monthAndYearDurationsBindToCalendarWindows() throws {
        let (six, d1) = bind("opened(within: 6mo)")
        #expect(d1.isEmpty)
        guard case .events(let f, _)? = six else { Issue.record("not an event"); return }
        #expect(f.window.within == 0 && f.window.withinMonths == 6)
        let now = Self.utc("2026-08-31T10:00:00Z")
        #expect(f.window.bounds(now: now).lower == Self.utc("2026-02-28T10:00:00Z"))
        #expect(f.window.bounds(now: now).upper == now)
        let (year, _) = bind("opened(within: 1y)")
        guard case .events(let g, _)? = year else { Issue.record("not an event"); return }
        #expect(g.window.withinMonths == 12)
        // A day-based window stays in seconds.
        let (days, _) = bind("opened(within: 90d)")
        guard case .events(let h, _)? = days else { Issue.record("not an event"); return }
        #expect(h.window.within == 90 * 86_400 && h.window.withinMonths == nil)
    }

    @Test func audienceCallsParseAndPrint() throws {
        for text in ["inactive(within: 90d)", "active(since: \"2026-01-01\")", "suppressed(within: 1y)",
                     "openers(campaign: \"Spring*\", within: 6mo) and not clickers()"] {
            let (q, d) = Parser.parseQuery(SourceFile(name: "t", text: text))
            #expect(d.isEmpty, "\(text): \(d)")
            #expect(q.map { Printer.source(of: $0) } == text)
        }
        let (q, _) = Parser.parseQuery(SourceFile(name: "t", text: "inactive(within: 90d)"))
        guard case .audience(let a)? = q?.kind else { Issue.record("not an audience call"); return }
        #expect(a.name.text == "inactive" && a.arguments.map(\.name) == [.within])
        // `everyone` takes no arguments: it is no event.
        let (_, e) = Parser.parseQuery(SourceFile(name: "t", text: "everyone(within: 1d)"))
        #expect(e.first?.message.hasPrefix("unknown event 'everyone'") == true)
    }

    @Test func audienceCallsNarrowEveryEvent() throws {
        let (bound, d) = bind("inactive(within: 90d)")
        #expect(d.isEmpty)
        guard case .and(let parts)? = bound, parts.count == 3 else { Issue.record("not three parts"); return }
        // The same as spelling it out.
        let (spelled, _) = bind("delivered(within: 90d) and not opened(within: 90d) and not clicked(within: 90d)")
        #expect(Self.flat(bound) == Self.flat(spelled))
        let (active, _) = bind(#"active(since: "2026-01-01")"#)
        let (activeSpelled, _) = bind(#"opened(since: "2026-01-01") or clicked(since: "2026-01-01")"#)
        #expect(Self.flat(active) == Self.flat(activeSpelled))
        // Under a campaign context the call is scoped like the bare name.
        let (scoped, _) = bind("openers(within: 7d)", context: "Spring Sale")
        let (scopedSpelled, _) = bind(#"opened(campaign: "Spring Sale", within: 7d)"#)
        #expect(Self.flat(scoped) == Self.flat(scopedSpelled))
        // SMS campaigns in the arguments give the SMS form (no opens).
        let (sms, smsDiagnostics) = bind(#"inactive(campaign: "Flash SMS")"#)
        #expect(smsDiagnostics.isEmpty)
        let (smsSpelled, _) = bind(#"delivered(campaign: "Flash SMS") and not clicked(campaign: "Flash SMS")"#)
        #expect(Self.flat(sms) == Self.flat(smsSpelled))
        // suppressed stays every campaign, whatever the context.
        let (sup, _) = bind("suppressed(within: 30d)", context: "Spring Sale")
        let (supSpelled, _) = bind(#"unsubscribed(campaign: "*", within: 30d) or complained(campaign: "*", within: 30d) or bounced(campaign: "*", within: 30d, type: hard)"#)
        #expect(Self.flat(sup) == Self.flat(supSpelled))
    }

    @Test func audienceCallsTakeOnlyTheCommonArguments() {
        let (q, d) = bind("openers(machine: false)")
        #expect(q == nil)
        #expect(d.map(\.message) == ["argument 'machine' does not apply to the audience 'openers'; it takes campaign, channel, message, within, since and before"])
    }

    @Test func selfContainedTextCarriesTheContextIntoTheCall() throws {
        let (q, _) = Parser.parseQuery(SourceFile(name: "t", text: "inactive(within: 90d) or suppressed(within: 1y)"))
        let context = testCatalog.campaign(named: "Spring Sale")
        let expanded = QueryExpander.selfContained(try #require(q), aliases: [], context: context)
        #expect(Printer.source(of: expanded) == #"inactive(campaign: "Spring Sale", within: 90d) or suppressed(within: 1y)"#)
    }
}
