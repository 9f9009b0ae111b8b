import Foundation
import SegQL
import SegSession
import SegStore
import Testing

/// A small store whose every stats figure was worked out by hand (the comments next to
/// the events say which figures each one feeds), and a session on it.
final class StatsFixture {
    let temp: TemporaryStore
    let output = CollectingOutput()
    let session: Session

    static func event(_ kind: String, _ contact: String, _ campaign: String, _ ts: String, _ extra: String = "") -> String {
        #"{"record":"event","kind":"\#(kind)","contact":"\#(contact)","campaign":"\#(campaign)","ts":"\#(ts)"\#(extra.isEmpty ? "" : "," + extra)}"#
    }

    static let pricing = "https://shop.example.com/pricing?utm=1"
    static let new = "https://shop.example.com/new"
    static let unsubscribe = "https://shop.example.com/unsubscribe"

    static var lines: [String] {
        let s = "Spring Sale", t0 = "2026-03-01T09:00:00Z", t1 = "2026-03-01T09:01:00Z"
        func e(_ k: String, _ c: String, _ ts: String = t1, _ x: String = "") -> String { event(k, c, s, ts, x) }
        let m2 = #""message":2"#
        return [
            #"{"record":"campaign","name":"Spring Sale","channel":"email","sent_at":"2026-03-01T09:00:00Z","messages":2}"#,
            #"{"record":"campaign","name":"Flash SMS","channel":"sms","sent_at":"2026-03-02T09:00:00Z"}"#,
            #"{"record":"campaign","name":"Zero Delivery","channel":"email","sent_at":"2026-03-03T09:00:00Z"}"#,
            #"{"record":"campaign","name":"Imported","channel":"email","sent_at":"2026-03-04T09:00:00Z"}"#,
            #"{"record":"link","campaign":"Spring Sale","url":"\#(pricing)","footer":false}"#,
            #"{"record":"link","campaign":"Spring Sale","url":"\#(new)","footer":false}"#,
            #"{"record":"link","campaign":"Spring Sale","url":"\#(unsubscribe)","footer":true}"#,
            #"{"record":"link","campaign":"Spring Sale","url":"https://shop.example.com/never-clicked","footer":false}"#,
            // a: two human opens either side of the US DST change, a machine open of
            // message 2, two clicks on /pricing and one on the footer link.
            e("sent", "a@x.com", t0), e("delivered", "a@x.com"),
            e("opened", "a@x.com", "2026-03-05T15:00:00Z"), e("opened", "a@x.com", "2026-03-12T15:00:00Z"),
            e("clicked", "a@x.com", "2026-03-05T15:01:00Z", #""url":"\#(pricing)""#),
            e("clicked", "a@x.com", "2026-03-05T15:02:00Z", #""url":"\#(pricing)""#),
            e("clicked", "a@x.com", "2026-03-05T15:03:00Z", #""url":"\#(unsubscribe)""#),
            e("sent", "a@x.com", "2026-03-15T09:00:00Z", m2), e("delivered", "a@x.com", "2026-03-15T09:01:00Z", m2),
            e("opened", "a@x.com", "2026-03-30T08:00:00Z", m2 + #","machine":true"#),
            // b: only a machine open, then unsubscribed (opted out).
            e("sent", "b@x.com", t0), e("delivered", "b@x.com"),
            e("opened", "b@x.com", "2026-03-05T15:30:00Z", #""machine":true"#),
            e("unsubscribed", "b@x.com", "2026-03-05T15:31:00Z"),
            // c: a click with no open event.
            e("sent", "c@x.com", t0), e("delivered", "c@x.com"),
            e("clicked", "c@x.com", "2026-03-02T10:00:00Z", #""url":"\#(new)""#),
            // d: opened, clicked only the footer link (not a clicker).
            e("sent", "d@x.com", t0), e("delivered", "d@x.com"),
            e("opened", "d@x.com", "2026-03-12T16:10:00Z"),
            e("clicked", "d@x.com", "2026-03-12T16:11:00Z", #""url":"\#(unsubscribe)""#),
            // e: a hard and a soft bounce, never delivered.
            e("sent", "e@x.com", t0),
            e("bounced", "e@x.com", t1, #""bounce":"soft","reason":"mailbox full""#),
            e("bounced", "e@x.com", "2026-03-01T10:00:00Z", #""bounce":"hard","reason":"550 user unknown""#),
            // f: soft bounce then delivered; opens late on Saturday (Sunday in Stockholm); complains.
            e("sent", "f@x.com", t0),
            e("bounced", "f@x.com", t1, #""bounce":"soft","reason":"try later""#),
            e("delivered", "f@x.com", "2026-03-01T11:00:00Z"),
            e("opened", "f@x.com", "2026-03-28T23:30:00Z"),
            e("complained", "f@x.com", "2026-03-28T23:31:00Z"),
            // g: dropped from both messages, for two reasons.
            e("dropped", "g@x.com", t0, #""reason":"Unsubscribed Address""#),
            e("dropped", "g@x.com", "2026-03-15T09:00:00Z", m2 + #","reason":"Bounced Address""#),
            // h: replied to message 1; clicked /pricing in message 2.
            e("sent", "h@x.com", t0), e("delivered", "h@x.com"), e("replied", "h@x.com", "2026-03-02T08:00:00Z"),
            e("sent", "h@x.com", "2026-03-15T09:00:00Z", m2), e("delivered", "h@x.com", "2026-03-15T09:01:00Z", m2),
            e("clicked", "h@x.com", "2026-03-16T09:00:00Z", m2 + #","url":"\#(pricing)""#),
            // i: delivered, nothing else (received).
            e("sent", "i@x.com", t0), e("delivered", "i@x.com"),

            // Flash SMS: p1 clicks a link and once with no URL; p2 unsubscribes; p3 bounces.
            event("sent", "+46700000001", "Flash SMS", "2026-03-02T09:00:00Z"),
            event("delivered", "+46700000001", "Flash SMS", "2026-03-02T09:00:05Z"),
            event("clicked", "+46700000001", "Flash SMS", "2026-03-02T09:10:00Z", #""url":"https://m.example.com/x""#),
            event("clicked", "+46700000001", "Flash SMS", "2026-03-02T09:11:00Z"),
            event("sent", "+46700000002", "Flash SMS", "2026-03-02T09:00:00Z"),
            event("delivered", "+46700000002", "Flash SMS", "2026-03-02T09:00:05Z"),
            event("unsubscribed", "+46700000002", "Flash SMS", "2026-03-02T09:30:00Z"),
            event("sent", "+46700000003", "Flash SMS", "2026-03-02T09:00:00Z"),
            event("bounced", "+46700000003", "Flash SMS", "2026-03-02T09:00:02Z", #""bounce":"soft","reason":"carrier""#),

            // Zero Delivery: j dropped, k hard-bounced.
            event("dropped", "j@x.com", "Zero Delivery", "2026-03-03T09:00:00Z", #""reason":"Spam Reporting Address""#),
            event("sent", "k@x.com", "Zero Delivery", "2026-03-03T09:00:00Z"),
            event("bounced", "k@x.com", "Zero Delivery", "2026-03-03T09:00:01Z", #""bounce":"hard","reason":"550""#),

            // Imported: deliveries and an open, no sent events.
            event("delivered", "m@x.com", "Imported", "2026-03-04T09:00:00Z"),
            event("delivered", "n@x.com", "Imported", "2026-03-04T09:00:00Z"),
            event("opened", "m@x.com", "Imported", "2026-03-04T12:00:00Z"),
        ]
    }

    init() throws {
        temp = try TemporaryStore()
        _ = try Importer(store: temp.store).run([.text(Self.lines.joined(separator: "\n") + "\n", name: "stats.jsonl")])
        session = Session(store: temp.store, output: output, mode: .script) { _ in }
    }

    func stats(_ name: String, message: Int64? = nil, timeZone: String = "UTC", firstOpens: Bool = false) throws -> CampaignStats {
        session.timeZone = timeZone
        let file = SourceFile(name: "t", text: name)
        return try session.computeStats(Name(text: name, quoted: true, range: SourceRange(0, name.utf8.count)),
                                        message: message, firstOpensOnly: firstOpens, in: file)
    }

    /// Runs statements; returns the error, if any.
    func run(_ text: String) -> SessionError? {
        session.runReportingError(text)
    }
}

/// A heatmap from (day, hour, count) cells; day 0 = Monday.
private func cells(_ list: [(Int, Int, Int64)]) -> [[Int64]] {
    var m = Array(repeating: Array(repeating: Int64(0), count: 24), count: 7)
    for (d, h, n) in list { m[d][h] += n }
    return m
}

private let mon = 0, thu = 3, sat = 5, sun = 6

@Suite(.serialized) struct StatsTests {
    @Test func springSaleEveryFigure() throws {
        let f = try StatsFixture()
        let s = try f.stats("Spring Sale")
        #expect(s.recipients == 9)
        #expect(s.sent == 8)
        #expect(!s.sentInferred)
        #expect(s.notSent == 1)
        #expect(s.notSentByReason == [.init(reason: "Bounced Address", contacts: 1), .init(reason: "Unsubscribed Address", contacts: 1)])
        #expect(s.delivered == 7)
        #expect(s.bounced == 2)
        #expect(s.bouncedHard == 1)
        #expect(s.bouncedSoft == 2)
        // Two clickers have no open event: a click implies an open.
        #expect(s.opened == 6)
        #expect(s.openedHuman == 5)
        #expect(s.clicked == 3)
        #expect(s.replied == 1)
        #expect(s.forwarded == 0)
        #expect(s.unsubscribed == 1)
        #expect(s.complained == 1)
        #expect(s.opens == 6)
        #expect(s.humanOpens == 4)
        #expect(s.clicks == 4)
        #expect(s.footerClicks == 2)

        #expect(s.deliveryRate == 7.0 / 8)
        #expect(s.bounceRate == 2.0 / 8)
        #expect(s.openRate == 6.0 / 7)
        #expect(s.humanOpenRate == 5.0 / 7)
        #expect(s.clickRate == 3.0 / 7)
        #expect(s.clickToOpenRate == 3.0 / 6)
        #expect(s.humanClickToOpenRate == 3.0 / 5)
        #expect(s.responseRate == 1.0 / 7)
        #expect(s.unsubscribeRate == 1.0 / 7)
        #expect(s.spamRate == 1.0 / 7)

        #expect(s.links == [
            .init(url: StatsFixture.pricing, footer: false, clicks: 3, clickers: 2, share: 0.75),
            .init(url: StatsFixture.new, footer: false, clicks: 1, clickers: 1, share: 0.25),
            .init(url: StatsFixture.unsubscribe, footer: true, clicks: 2, clickers: 2, share: nil),
        ])
        #expect(s.funnel == .init(optedOut: 2, clicked: 3, opened: 1, received: 1, notReceived: 2))
    }

    @Test func messageTwoOnly() throws {
        let f = try StatsFixture()
        let s = try f.stats("Spring Sale", message: 2)
        #expect(s.message == 2)
        #expect(s.recipients == 3)
        #expect(s.sent == 2)
        #expect(s.notSent == 1)
        #expect(s.notSentByReason == [.init(reason: "Bounced Address", contacts: 1)])
        #expect(s.delivered == 2)
        #expect(s.bounced == 0 && s.bouncedHard == 0 && s.bouncedSoft == 0)
        #expect(s.opened == 2)
        #expect(s.openedHuman == 1)
        #expect(s.clicked == 1)
        #expect(s.replied == 0 && s.unsubscribed == 0 && s.complained == 0)
        #expect(s.opens == 1 && s.humanOpens == 0 && s.clicks == 1 && s.footerClicks == 0)
        #expect(s.deliveryRate == 1)
        #expect(s.bounceRate == 0)
        #expect(s.openRate == 1)
        #expect(s.humanOpenRate == 0.5)
        #expect(s.clickToOpenRate == 0.5)
        #expect(s.humanClickToOpenRate == 1)
        #expect(s.links == [.init(url: StatsFixture.pricing, footer: false, clicks: 1, clickers: 1, share: 1)])
        #expect(s.funnel == .init(optedOut: 0, clicked: 1, opened: 1, received: 0, notReceived: 1))
        #expect(s.heatmap?.counts == cells([(mon, 8, 1)]))
    }

    @Test func messageOutOfRangeIsACompileError() throws {
        let f = try StatsFixture()
        let e = f.run(#"stats "Spring Sale" message 3"#)
        guard case .compile(let ds, _)? = e else {
            Issue.record("expected a compile error, got \(String(describing: e))")
            return
        }
        #expect(ds.first?.message == "campaign 'Spring Sale' has 2 messages; 'message 3' is out of range")
    }

    @Test func smsHasNoOpenFiguresAndSaysWhy() throws {
        let f = try StatsFixture()
        let s = try f.stats("Flash SMS")
        #expect(s.recipients == 3 && s.sent == 3 && s.delivered == 2)
        #expect(s.bounced == 1 && s.bouncedSoft == 1 && s.bouncedHard == 0)
        #expect(s.opened == nil && s.openedHuman == nil && s.opens == nil)
        #expect(s.openRate == nil && s.clickToOpenRate == nil && s.humanOpenRate == nil)
        #expect(s.clicked == 1 && s.clicks == 2)
        #expect(s.clickRate == 0.5)
        #expect(s.unsubscribeRate == 0.5)
        #expect(s.deliveryRate == 2.0 / 3)
        #expect(s.funnel == .init(optedOut: 1, clicked: 1, opened: nil, received: 0, notReceived: 1))
        #expect(s.heatmap == nil)
        // The click without a URL is its own row.
        #expect(Set(s.links.map(\.url)) == [nil, "https://m.example.com/x"])
        #expect(s.links.allSatisfy { $0.clicks == 1 && $0.clickers == 1 && $0.share == 0.5 })

        #expect(f.run(#"stats "Flash SMS""#) == nil)
        let text = f.output.texts.last ?? ""
        #expect(text.contains("SMS has no open tracking"))
        #expect(!text.contains("Opens by day and hour"))
        let funnel = try #require(text.components(separatedBy: "Status funnel").last)
        #expect(!funnel.contains("  opened"))  // no opened bucket in the funnel
        #expect(funnel.contains("  clicked"))
    }

    @Test func zeroDeliveryRatesAreDashes() throws {
        let f = try StatsFixture()
        let s = try f.stats("Zero Delivery")
        #expect(s.recipients == 2 && s.sent == 1 && s.notSent == 1 && s.delivered == 0)
        #expect(s.notSentByReason == [.init(reason: "Spam Reporting Address", contacts: 1)])
        #expect(s.bounced == 1 && s.bouncedHard == 1)
        #expect(s.deliveryRate == 0)
        #expect(s.bounceRate == 1)
        for r in [s.openRate, s.clickRate, s.clickToOpenRate, s.responseRate, s.unsubscribeRate, s.spamRate] {
            #expect(r == nil)
        }
        #expect(s.funnel == .init(optedOut: 0, clicked: 0, opened: 0, received: 0, notReceived: 2))
        #expect(s.heatmap?.total == 0)

        #expect(f.run(#"stats "Zero Delivery""#) == nil)
        let text = f.output.texts.last ?? ""
        let open = text.split(separator: "\n").first { $0.hasPrefix("  open ") }
        #expect(open.map { $0.contains("—") } == true)
        #expect(text.contains("no opens"))
    }

    @Test func sentIsInferredWhenTheImportHasOnlyDeliveries() throws {
        let f = try StatsFixture()
        let s = try f.stats("Imported")
        #expect(s.sentInferred)
        #expect(s.sent == 2 && s.delivered == 2 && s.opened == 1)
        #expect(s.deliveryRate == 1)
        #expect(s.openRate == 0.5)
    }

    /// The rollup path (whole campaign) and the events path (one message) agree when
    /// the campaign has one message.
    @Test(arguments: ["Flash SMS", "Zero Delivery", "Imported"])
    func rollupAndEventsPathsAgree(_ name: String) throws {
        let f = try StatsFixture()
        var whole = try f.stats(name)
        let one = try f.stats(name, message: 1)
        whole.message = 1
        // Only `message N` looks up the message's own send time: the campaign's, here.
        #expect(one.messageSentAt != nil && whole.messageSentAt == nil)
        whole.messageSentAt = one.messageSentAt
        #expect(whole == one)
    }

    @Test func heatmapInUTC() throws {
        let f = try StatsFixture()
        let h = try #require(try f.stats("Spring Sale").heatmap)
        #expect(h.timeZone == "UTC")
        #expect(h.counts == cells([(thu, 15, 3), (thu, 16, 1), (mon, 8, 1), (sat, 23, 1)]))
        #expect(h.total == 6)
    }

    /// New York moves to daylight time on 2026-03-08: the same 15:00 UTC is 10:00 on
    /// 5 March and 11:00 on 12 March.
    @Test func heatmapInNewYorkAcrossDST() throws {
        let f = try StatsFixture()
        let h = try #require(try f.stats("Spring Sale", timeZone: "America/New_York").heatmap)
        #expect(h.counts == cells([(thu, 10, 2), (thu, 11, 1), (thu, 12, 1), (mon, 4, 1), (sat, 19, 1)]))
    }

    /// Stockholm moves to summer time on 2026-03-29 at 01:00 UTC: Saturday 23:30 UTC on
    /// the 28th is still CET, so Sunday 00:30; Monday the 30th is CEST (+2).
    @Test func heatmapInStockholmAcrossDST() throws {
        let f = try StatsFixture()
        let h = try #require(try f.stats("Spring Sale", timeZone: "Europe/Stockholm").heatmap)
        #expect(h.counts == cells([(thu, 16, 3), (thu, 17, 1), (mon, 10, 1), (sun, 0, 1)]))
    }

    @Test func heatmapFirstOpensOnly() throws {
        let f = try StatsFixture()
        let h = try #require(try f.stats("Spring Sale", firstOpens: true).heatmap)
        #expect(h.firstOpensOnly)
        #expect(h.counts == cells([(thu, 15, 2), (thu, 16, 1), (sat, 23, 1)]))
    }

    @Test func unknownTimeZoneIsAnError() throws {
        let f = try StatsFixture()
        #expect(throws: SessionError.self) { try f.stats("Spring Sale", timeZone: "Mars/Olympus") }
    }

    @Test func unknownCampaignSuggestsTheNearest() throws {
        let f = try StatsFixture()
        let e = f.run(#"stats "Sprng Sale""#)
        guard case .compile(let ds, let file)? = e else {
            Issue.record("expected a compile error, got \(String(describing: e))")
            return
        }
        #expect(ds.first?.message == "no campaign named 'Sprng Sale'; did you mean 'Spring Sale'?")
        // The caret points at the name.
        let range = try #require(ds.first?.range)
        #expect(String(decoding: file.bytes[range.start..<range.end], as: UTF8.self) == #""Sprng Sale""#)
    }

    @Test func textReport() throws {
        let f = try StatsFixture()
        #expect(f.run(#"stats "Spring Sale""#) == nil)
        let text = f.output.texts.last ?? ""
        #expect(text.hasPrefix(#"Campaign "Spring Sale" (email, sent 2026-03-01 09:00 UTC, 2 messages)"#))
        let lines = text.split(separator: "\n").map(String.init)
        func line(_ prefix: String) -> String? { lines.first { $0.hasPrefix(prefix) } }
        #expect(line("  sent ")?.hasSuffix(" 8") == true)
        #expect(line("  delivery ")?.contains("87.5%") == true)
        #expect(line("  click-to-open ")?.contains("50.0%") == true)
        #expect(line("  opened ")?.contains("by a person: 5") == true)
        #expect(lines.contains { $0.contains(StatsFixture.unsubscribe) && $0.contains("[footer") })
        #expect(!lines.contains { $0.contains("never-clicked") })
        #expect(line("  opted out ")?.contains("22.2%") == true)
        // Thursday 15:00 UTC is the busiest hour: a full block at columns 15.
        let thursday = try #require(line("  Thu  "))
        let cellsText = Array(thursday.dropFirst(7).prefix(48))
        #expect(String(cellsText[30..<32]) == "██")
        #expect(String(cellsText[32..<34]) == "▒▒")  // 1 of 3: up to 50%
        #expect(text.contains("(Thu 15:00, 3 opens)"))
    }

    @Test func jsonHasEveryNumber() throws {
        let f = try StatsFixture()
        let json = try StatsRenderer.json(f.stats("Zero Delivery"))
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        let rates = try #require(object["rates"] as? [String: Any])
        #expect(rates["open"] is NSNull)
        #expect(rates["delivery"] as? Double == 0)
        #expect(rates["bounce"] as? Double == 1)
        let contacts = try #require(object["contacts"] as? [String: Any])
        #expect(contacts["sent"] as? Int == 1)
        #expect(contacts["bounced_hard"] as? Int == 1)

        let spring = try StatsRenderer.json(f.stats("Spring Sale"))
        let s = try #require(try JSONSerialization.jsonObject(with: Data(spring.utf8)) as? [String: Any])
        #expect((s["contacts"] as? [String: Any])?["opened_human"] as? Int == 5)
        #expect((s["rates"] as? [String: Any])?["click_to_open"] as? Double == 0.5)
        let links = try #require(s["links"] as? [[String: Any]])
        #expect(links.count == 3)
        #expect(links[2]["footer"] as? Bool == true && links[2]["share"] is NSNull)
        let funnel = try #require(s["funnel"] as? [String: Any])
        #expect(funnel["opted_out"] as? Int == 2 && funnel["not_received"] as? Int == 2)
        let heat = try #require(s["heatmap"] as? [String: Any])
        let opens = try #require(heat["opens"] as? [[Int]])
        #expect(opens[thu][15] == 3 && opens[sat][23] == 1)

        let sms = try StatsRenderer.json(f.stats("Flash SMS"))
        let m = try #require(try JSONSerialization.jsonObject(with: Data(sms.utf8)) as? [String: Any])
        #expect(m["opens_tracked"] as? Bool == false)
        #expect((m["note"] as? String)?.contains("SMS has no open tracking") == true)
        #expect((m["contacts"] as? [String: Any])?["opened"] is NSNull)
        #expect(m["heatmap"] is NSNull)
    }

    @Test func statementWritesJSONWhenTheFormatIsJSON() throws {
        let f = try StatsFixture()
        let path = f.temp.directory.appendingPathComponent("out.json").path
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        #expect(fd >= 0)
        let writer = ResultWriter(format: .json, sink: ByteSink(fileDescriptor: fd))
        f.session.output = writer
        #expect(f.run(#"stats "Spring Sale" message 2"#) == nil)
        writer.sink.flush()
        close(fd)
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(object["message"] as? Int == 2)
        #expect((object["contacts"] as? [String: Any])?["clicked"] as? Int == 1)
    }

    /// What `stats` writes under `format` (the statement, through a real ResultWriter).
    func written(_ statement: String, format: OutputFormat, timeZone: String = "UTC") throws -> String {
        let f = try StatsFixture()
        f.session.timeZone = timeZone
        let path = f.temp.directory.appendingPathComponent("out").path
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        #expect(fd >= 0)
        let writer = ResultWriter(format: format, sink: ByteSink(fileDescriptor: fd))
        f.session.output = writer
        #expect(f.run(statement) == nil)
        writer.sink.flush()
        close(fd)
        return try String(contentsOfFile: path, encoding: .utf8)
    }

    /// The JSON value at a dotted path (`links.0.url`), nil when there is none.
    private func jsonValue(at path: String, in json: Any) -> Any? {
        var node: Any? = json
        for part in path.split(separator: ".") {
            if let o = node as? [String: Any] {
                node = o[String(part)]
            } else if let a = node as? [Any], let i = Int(part), i < a.count {
                node = a[i]
            } else {
                return nil
            }
        }
        return node
    }

    @Test func csvHasOneRowPerNumberNamedByItsJSONPath() throws {
        let csv = try written(#"stats "Spring Sale""#, format: .csv)
        let lines = csv.components(separatedBy: "\r\n").dropLast()
        #expect(lines.first == "figure,value")
        #expect(lines.contains("contacts.sent,8"))
        #expect(lines.contains("rates.click_to_open,0.5"))
        #expect(lines.contains("links.2.footer,true"))
        #expect(lines.contains("links.2.share,"))  // null: empty
        #expect(lines.contains("heatmap.opens.3.15,3"))  // Thursday 15:00 UTC
        #expect(!csv.contains("Campaign \"Spring Sale\""))  // not the report
        // Every row is the JSON's value at that path, and every JSON number has a row.
        let json = try written(#"stats "Spring Sale""#, format: .json)
        let object = try JSONSerialization.jsonObject(with: Data(json.utf8))
        var rows = 0
        for line in lines.dropFirst() {
            let comma = try #require(line.firstIndex(of: ","))
            let name = String(line[..<comma]), value = String(line[line.index(after: comma)...])
            let node = try #require(jsonValue(at: name, in: object), "no JSON value at \(name)")
            if value.isEmpty {
                #expect(node is NSNull, "\(name)")
            } else if value == "true" || value == "false" {
                #expect((node as? Bool) == (value == "true"), "\(name)")
            } else if let d = Double(value) {
                #expect(abs(((node as? NSNumber)?.doubleValue ?? .nan) - d) < 1e-9, "\(name)")
            } else {
                #expect(node as? String == value, "\(name)")
            }
            rows += 1
        }
        // 12 top-level scalars; contacts 13 + 2 reasons × 2; events 4; rates 10; links 3 × 5;
        // funnel 5; heatmap 3 scalars + 7 day names + 7 × 24 cells.
        #expect(rows == 12 + 13 + 2 * 2 + 4 + 10 + 3 * 5 + 5 + 3 + 7 + 168)
    }

    @Test func tsvAndJSONLines() throws {
        let tsv = try written(#"stats "Flash SMS""#, format: .tsv)
        #expect(tsv.hasPrefix("figure\tvalue\n"))
        #expect(tsv.contains("\nchannel\tsms\n"))
        #expect(tsv.contains("\ncontacts.opened\t\n"))  // SMS: no open figures
        #expect(tsv.contains("\nheatmap\t\n"))
        let jsonl = try written(#"stats "Flash SMS""#, format: .jsonl)
        #expect(jsonl.hasSuffix("\n") && jsonl.dropLast().split(separator: "\n").count == 1)
        let line = try #require(try JSONSerialization.jsonObject(with: Data(jsonl.utf8)) as? NSDictionary)
        let pretty = try #require(try JSONSerialization.jsonObject(with: Data(written(#"stats "Flash SMS""#, format: .json).utf8)) as? NSDictionary)
        #expect(line == pretty)
    }

    @Test func singularWordsForOne() throws {
        let f = try StatsFixture()
        // Imported: one open, by a person, on Wednesday 2026-03-04 at 12:00 UTC; no clicks.
        #expect(f.run(#"stats "Imported""#) == nil)
        let imported = f.output.texts.last ?? ""
        #expect(imported.contains("Events: 1 open (1 by a person), 0 clicks\n"))
        #expect(imported.contains("(Wed 12:00, 1 open); blank: none"))
        // Spring Sale message 2: one click on a content link, three recipients.
        #expect(f.run(#"stats "Spring Sale" message 2"#) == nil)
        let message = f.output.texts.last ?? ""
        #expect(message.contains(", 1 click\n"))
        #expect(message.contains("Status funnel (3 recipients:"))
        #expect(!imported.contains(" 1 opens") && !message.contains(" 1 clicks"))
    }

    @Test func sendTimeAndHeatmapInTheSessionZone() throws {
        let f = try StatsFixture()
        f.session.timeZone = "Europe/Stockholm"
        #expect(f.run(#"stats "Spring Sale""#) == nil)
        let text = f.output.texts.last ?? ""
        // 09:00 UTC on 1 March is 10:00 in Stockholm (CET, UTC+1).
        #expect(text.hasPrefix(#"Campaign "Spring Sale" (email, sent 2026-03-01 10:00 Europe/Stockholm, 2 messages)"#))
        #expect(text.contains("Opens by day and hour (Europe/Stockholm, all opens:"))
        #expect(text.contains("(Thu 16:00, 3 opens)"))
        // SMS has no heatmap, but its send time is still local.
        f.session.timeZone = "America/New_York"
        #expect(f.run(#"stats "Flash SMS""#) == nil)
        #expect((f.output.texts.last ?? "").hasPrefix(#"Campaign "Flash SMS" (sms, sent 2026-03-02 04:00 America/New_York)"#))
    }

    @Test func messageShowsItsOwnSendTime() throws {
        let f = try StatsFixture()
        // Spring Sale went out on 1 March; its message 2 on 15 March (its first `sent` event).
        #expect(f.run(#"stats "Spring Sale" message 2"#) == nil)
        #expect((f.output.texts.last ?? "").hasPrefix(
            #"Campaign "Spring Sale" (email, sent 2026-03-01 09:00 UTC, 2 messages), message 2 of 2, sent 2026-03-15 09:00 UTC"#))
        #expect(try f.stats("Spring Sale", message: 2).messageSentAt == 1_773_565_200)
        #expect(try f.stats("Spring Sale", message: 1).messageSentAt == 1_772_355_600)
        #expect(try f.stats("Spring Sale").messageSentAt == nil)
        // Deliveries only: the earliest event but a drop.
        #expect(try f.stats("Imported", message: 1).messageSentAt == 1_772_614_800)
        let json = try StatsRenderer.json(f.stats("Spring Sale", message: 2))
        #expect(json.contains(#""message_sent_at": "2026-03-15T09:00:00Z""#))
    }

    @Test func campaignOverview() throws {
        let f = try StatsFixture()
        let rows = try f.session.campaignOverview()
        #expect(rows.map(\.name) == ["Spring Sale", "Flash SMS", "Zero Delivery", "Imported"])
        let byName = Dictionary(uniqueKeysWithValues: rows.map { ($0.name, $0) })
        #expect(byName["Spring Sale"]?.sent == 8)
        #expect(byName["Spring Sale"]?.openRate == 6.0 / 7)
        #expect(byName["Spring Sale"]?.clickRate == 3.0 / 7)  // footer clicks left out
        #expect(byName["Spring Sale"]?.sentAt == 1_772_355_600)
        #expect(byName["Flash SMS"]?.channel == .sms)
        #expect(byName["Flash SMS"]?.openRate == nil)
        #expect(byName["Flash SMS"]?.clickRate == 0.5)
        #expect(byName["Zero Delivery"]?.sent == 1)
        #expect(byName["Zero Delivery"]?.clickRate == nil)
        #expect(byName["Imported"]?.sent == 2)
        #expect(byName["Imported"]?.clickRate == 0)
        // The overview agrees with stats on every campaign.
        for row in rows {
            let s = try f.stats(row.name)
            #expect(row.sent == s.sent)
            #expect(row.openRate == s.openRate)
            #expect(row.clickRate == s.clickRate)
        }
    }

    /// `.campaigns` lists each message of a sent sequence under it, with the message's own
    /// send time and contacts sent as `stats "C" message N` gives them; a single message
    /// keeps one line.
    @Test func campaignsListEachMessageOfASequence() throws {
        let f = try StatsFixture()
        // Three messages: the first sent to a and b (b twice: one contact), the second
        // imported with deliveries only (its time is its first event but the drop), the
        // third not sent yet.
        let series = "Series"
        let lines = [
            #"{"record":"campaign","name":"Series","channel":"email","sent_at":"2026-03-10T09:00:00Z","messages":3}"#,
            StatsFixture.event("dropped", "g@x.com", series, "2026-03-10T08:00:00Z", #""reason":"Bounced Address""#),
            StatsFixture.event("sent", "a@x.com", series, "2026-03-10T09:00:00Z"),
            StatsFixture.event("sent", "b@x.com", series, "2026-03-10T09:05:00Z"),
            StatsFixture.event("sent", "b@x.com", series, "2026-03-10T09:06:00Z"),
            StatsFixture.event("dropped", "g@x.com", series, "2026-03-17T09:00:00Z", #""message":2,"reason":"Bounced Address""#),
            StatsFixture.event("delivered", "a@x.com", series, "2026-03-17T10:00:00Z", #""message":2"#),
            StatsFixture.event("opened", "c@x.com", series, "2026-03-17T12:00:00Z", #""message":2"#),
        ]
        _ = try Importer(store: f.temp.store).run([.text(lines.joined(separator: "\n") + "\n", name: "series.jsonl")])
        let rows = try f.session.campaignOverview()
        let byName = Dictionary(uniqueKeysWithValues: rows.map { ($0.name, $0) })
        typealias M = CampaignOverview.Message
        #expect(byName["Spring Sale"]?.messages == [
            M(message: 1, sentAt: 1_772_355_600, sent: 8), M(message: 2, sentAt: 1_773_565_200, sent: 2),
        ])
        #expect(byName["Series"]?.messages == [
            M(message: 1, sentAt: 1_773_133_200, sent: 2), M(message: 2, sentAt: 1_773_741_600, sent: 2),
            M(message: 3, sentAt: nil, sent: 0),
        ])
        #expect(byName["Flash SMS"]?.messages == [])
        #expect(byName["Imported"]?.messages == [])
        // Each message agrees with its own report.
        for row in rows {
            for m in row.messages {
                let s = try f.stats(row.name, message: m.message)
                #expect(m.sentAt == s.messageSentAt, "\(row.name) message \(m.message)")
                #expect(m.sent == s.sent, "\(row.name) message \(m.message)")
            }
        }
        // The listing: the campaign's line, then one per message, times in the session's zone.
        f.session.timeZone = "Europe/Stockholm"
        let listing = try f.session.campaignListing()
        #expect(listing.columns == ["campaign", "message", "channel", "sent_at", "sent", "planned", "open_rate", "click_rate"])
        #expect(listing.rows.map { $0[0] } == [
            "Spring Sale", "Spring Sale", "Spring Sale", "Flash SMS", "Zero Delivery", "Imported", "Series", "Series", "Series", "Series",
        ].map(SQLValue.text))
        #expect(listing.rows[0][1] == .null && listing.rows[0][3] == .text("2026-03-01") && listing.rows[0][4] == .integer(8))
        #expect(listing.rows[1] == [.text("Spring Sale"), .integer(1), .text("email"), .text("2026-03-01 10:00"), .integer(8), .null, .null, .null])
        #expect(listing.rows[2] == [.text("Spring Sale"), .integer(2), .text("email"), .text("2026-03-15 10:00"), .integer(2), .null, .null, .null])
        #expect(listing.rows[8][1...4] == [.integer(2), .text("email"), .text("2026-03-17 11:00"), .integer(2)])
        #expect(listing.rows[9][1...4] == [.integer(3), .text("email"), .text("not sent"), .integer(0)])
    }
}
