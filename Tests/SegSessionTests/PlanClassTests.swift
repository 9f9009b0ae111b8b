// The plan classes of the planner issue (windows over every campaign, `before:`,
// `= 0` counts, an `or` of event conditions, an `or` of ands, machine opens, links,
// messages, attributes, contact columns, rollup counts): for the planner's own choice,
// each is a bitmap program whose every leaf reads an index range of its own condition —
// checked from the database's own plan, on SQLite (EXPLAIN QUERY PLAN) and on
// PostgreSQL (EXPLAIN with sequential scans disabled, so that a scan appears only where
// no index serves the condition). A whole table is read only where it holds one row per
// contact (`contacts` for an unindexed contact column such as `first_name`,
// `contact_activity` where the rollup's row count is the cheapest reading of a condition
// most contacts meet, such as `delivered`): the bound is then the number of contacts,
// never events, attribute rows or contacts × conditions.

import Foundation
import SegQL
import SegSession
import SegStore
import Testing

@Suite struct PlanClassTests {
    static let classes: [String] = [
        "sent(within: 30d)",
        #"opened(before: "2026-03-02")"#,
        #"opened(since: "2026-03-01")"#,
        "opens(within: 365d) = 0",
        "replied or unsubscribed",
        #"(opened(campaign: "Spring Sale") and delivered(campaign: "Spring Sale")) or (opened and clicked) or (delivered and unsubscribed)"#,
        "opens(machine: false) >= 1",
        "opens(machine: true) = 0",
        #"clicked(link: "/pricing")"#,
        #"delivered(campaign: "Spring Sale", message: 1)"#,
        #"country = "SE""#,
        #"country != "SE""#,
        #"first_name = "Ana""#,
        #"last_name in ["Berg", "Lind"]"#,
        #"created_at <= "2026-01-01""#,
        #"created_at = "2026-03-01""#,
        #"first_name >= "A" and first_name < "B""#,
        "clicks >= 2",
        #"not opened(campaign: "Spring Sale") and delivered"#,
    ]

    /// The tables with one row per contact, which a leaf may read whole.
    static let perContactTables = ["FROM contacts", "FROM contact_activity"]

    /// Sends in the window and a second click: without them the statistics decide
    /// `sent(within: 30d)` (nothing sent) and `clicks >= 2` (one click) with no read.
    static let classEvents = [
        #"{"record":"event","kind":"sent","contact":"ana@example.com","campaign":"Spring Sale","ts":"2026-03-01T09:00:00Z"}"#,
        #"{"record":"event","kind":"sent","contact":"bo@example.com","campaign":"Spring Sale","ts":"2026-03-01T09:00:00Z"}"#,
        #"{"record":"event","kind":"clicked","contact":"ana@example.com","campaign":"Spring Sale","url":"https://shop.example.com/pricing?utm=1","ts":"2026-03-01T10:02:00Z"}"#,
    ]

    @Test(arguments: classes)
    func everyLeafReadsAnIndexRangeOfItsOwn(_ query: String) throws {
        let f = try ActionsFixture(extra: Self.classEvents)
        let db = f.temp.store.database
        let file = SourceFile(name: "q", text: query)
        let (parsed, diagnostics) = Parser.parseQuery(file)
        let q = try #require(parsed, "\(diagnostics)")
        let compiled = try f.session.compile(q, projection: .count, in: file)
        let program = try #require(compiled.program, "not a bitmap plan: \(query)")
        #expect(!program.leaves.isEmpty, "\(query)")
        if db.isPostgres { try db.execute("SET enable_seqscan = off") }
        defer { if db.isPostgres { try? db.execute("RESET enable_seqscan") } }
        for leaf in program.leaves {
            var lines: [String] = []
            if db.isPostgres {
                try db.query("EXPLAIN " + leaf.sql.sql, leaf.sql.parameters) { lines.append($0.text(0)) }
                let scans = lines.filter {
                    $0.contains("Seq Scan") && !$0.contains("Seq Scan on contacts ") && !$0.contains("Seq Scan on contact_activity ")
                }
                #expect(scans.isEmpty, "\(query): a leaf scans a table\n\(leaf.sql.sql)\n\(lines.joined(separator: "\n"))")
            } else {
                try db.query("EXPLAIN QUERY PLAN " + leaf.sql.sql, leaf.sql.parameters) { lines.append($0.text(3)) }
                // SEARCH is a range of an index; SCAN … USING … INDEX reads an index
                // (a partial one holds exactly the condition's rows); a bare SCAN reads
                // a whole table.
                let tableScans = lines.filter { line in
                    guard line.hasPrefix("SCAN "), !line.contains("INDEX") else { return false }
                    let alias = line.dropFirst(5).split(separator: " ").first.map(String.init) ?? ""
                    return !Self.perContactTables.contains { leaf.sql.sql.contains("\($0) \(alias) ") || leaf.sql.sql.contains("\($0) \(alias)\n") || leaf.sql.sql.hasSuffix("\($0) \(alias)") }
                }
                #expect(tableScans.isEmpty, "\(query): a leaf scans a table\n\(leaf.sql.sql)\n\(lines.joined(separator: "\n"))")
                if leaf.sql.sql.contains("FROM events") {
                    #expect(leaf.sql.sql.contains("INDEXED BY"), "\(query): an events leaf does not name its index\n\(leaf.sql.sql)")
                }
            }
            #expect(!lines.isEmpty)
        }
        // And the answer is the one the reference statement gives.
        let n = try f.session.count(compiled)
        #expect(n == Int64(try f.members(query).count), "\(query)")
    }

    /// An e-mail pattern of one domain reads the domain's range of
    /// `contacts_by_email_domain` (schema version 9), and answers exactly what the
    /// pattern matches: addresses with a second `@`, or with none, included.
    @Test func anEmailPatternOfOneDomainReadsItsRange() throws {
        let f = try ActionsFixture(extra: [
            #"{"record":"contact","email":"eve@mail.example.com"}"#,
            #"{"record":"contact","email":"fay@Example.com"}"#,
        ])
        let db = f.temp.store.database
        // Addresses the importer would not write, as another tool might.
        try db.execute("INSERT INTO contacts(email) VALUES ('gus@x@example.com'), ('example.com'), ('hal@')")
        var emails: [String] = []
        try db.query("SELECT email FROM contacts WHERE email IS NOT NULL") { emails.append($0.text(0)) }
        let patterns = ["*@example.com", "a*@example.com", "*@x@example.com", "*@EXAMPLE.com", "*@", "*@*.example.com",
                        "*example.com", "*@mail.example.com"]
        if db.isPostgres { try db.execute("SET enable_seqscan = off") }
        defer { if db.isPostgres { try? db.execute("RESET enable_seqscan") } }
        for pattern in patterns {
            let query = "email matches \"\(pattern)\""
            // E-mail addresses are kept, and matched, in lower case.
            let expected = emails.filter { GlobPattern(pattern.lowercased()).matches($0) }.sorted()
            #expect(try f.members(query).sorted() == expected, "\(query)")
            let file = SourceFile(name: "q", text: query)
            let q = try #require(Parser.parseQuery(file).query)
            let compiled = try f.session.compile(q, projection: .count, in: file)
            #expect(try f.session.count(compiled) == Int64(expected.count), "\(query)")
            let leaf = try #require(compiled.program?.leaves.first, "not a bitmap plan: \(query)")
            let byDomain = EmailDomain.of(GlobPattern(pattern)) != nil
            #expect(byDomain == !["*@*.example.com", "*example.com"].contains(pattern), "\(pattern)")
            #expect((leaf.access.index == StoreIndex.contactsByEmailDomain.name) == byDomain, "\(query): \(leaf.access.description)")
            guard byDomain else { continue }
            var lines: [String] = []
            try db.query((db.isPostgres ? "EXPLAIN " : "EXPLAIN QUERY PLAN ") + leaf.sql.sql, leaf.sql.parameters) {
                lines.append($0.text(db.isPostgres ? 0 : 3))
            }
            #expect(lines.contains { $0.contains(StoreIndex.contactsByEmailDomain.name) }, "\(query)\n\(lines.joined(separator: "\n"))")
        }
    }
}

/// A count over a window that holds some campaigns' events wholly (read from their
/// `activity` rows) and cuts others (read from their events), summed per contact.
@Suite struct WholeCampaignsTests {
    static let extra = [
        #"{"record":"campaign","name":"Summer","channel":"email","sent_at":"2026-03-03T09:00:00Z"}"#,
        #"{"record":"event","kind":"opened","contact":"ana@example.com","campaign":"Spring Sale","ts":"2026-03-01T12:00:00Z"}"#,
        #"{"record":"event","kind":"opened","contact":"ana@example.com","campaign":"Spring Sale","ts":"2026-03-01T13:00:00Z"}"#,
        #"{"record":"event","kind":"opened","contact":"bo@example.com","campaign":"Summer","ts":"2026-03-03T10:00:00Z"}"#,
        #"{"record":"event","kind":"opened","contact":"cy@example.com","campaign":"Summer","ts":"2026-03-03T10:00:00Z"}"#,
        #"{"record":"event","kind":"opened","contact":"cy@example.com","campaign":"Summer","ts":"2026-03-04T10:00:00Z"}"#,
    ]

    /// Spring Sale's opens (ana 3, bo 1) lie wholly inside the window; Summer's are cut
    /// (bo 1 and cy 1 inside, cy's second after it).
    static let window = #"since: "2026-03-01", before: "2026-03-04""#

    static let cases: [(String, [String])] = [
        ("opens(\(window)) >= 2", ["ana@example.com", "bo@example.com"]),
        ("opens(\(window)) = 1", ["cy@example.com"]),
        ("opens(\(window)) < 2", ["cy@example.com", "dee@example.com", "+46700000001"]),
        ("opened(\(window))", ["ana@example.com", "bo@example.com", "cy@example.com"]),
        ("opens(\(window)) >= 2 and country = \"SE\"", ["ana@example.com"]),
    ]

    @Test(arguments: cases)
    func splitReadsBothPartsAndSums(_ c: (String, [String])) throws {
        let f = try ActionsFixture(extra: Self.extra)
        let file = SourceFile(name: "q", text: c.0)
        let (parsed, diagnostics) = Parser.parseQuery(file)
        let q = try #require(parsed, "\(diagnostics)")
        let compiled = try f.session.compile(q, projection: .count, in: file)
        let program = try #require(compiled.program)
        let split = program.leaves.filter { $0.sql.sql.contains("UNION ALL") }
        #expect(split.count == 1, "\(c.0): \(program.leaves.map(\.sql.sql))")
        if let leaf = split.first {
            #expect(leaf.sql.sql.contains("FROM activity a") && leaf.sql.sql.contains("FROM events e"))
            #expect(leaf.access.description.contains("wholly in the window"))
        }
        #expect(try f.members(c.0).sorted() == c.1.sorted(), "\(c.0)")
        #expect(try f.session.count(compiled) == Int64(c.1.count), "\(c.0)")
        // Restricted to a few contacts (every read restricted), the same answer.
        f.session.restrictedReadFactor = 0
        #expect(try f.members(c.0).sorted() == c.1.sorted(), "\(c.0), restricted reads")
    }

    /// A window that holds every campaign it touches wholly is those campaigns' rollup.
    @Test func windowOfWholeCampaignsIsTheirRollup() throws {
        let f = try ActionsFixture(extra: Self.extra)
        let text = #"opens(since: "2026-03-01", before: "2026-03-03") >= 2"#
        let file = SourceFile(name: "q", text: text)
        let q = try #require(Parser.parseQuery(file).0)
        let compiled = try f.session.compile(q, projection: .count, in: file)
        let program = try #require(compiled.program)
        #expect(program.leaves.count == 1)
        #expect(program.leaves.allSatisfy { !$0.sql.sql.contains("FROM events") }, "\(program.leaves.map(\.sql.sql))")
        #expect(try f.members(text) == ["ana@example.com"])
    }
}

/// `message: N` past the first is only in the campaigns with at least N messages: its
/// leaf reads those campaigns' sets of that message (schema version 10), or for a count
/// or a window their range of `events_by_campaign` (the fixture's two-message Spring
/// Sale, not Flash SMS), never every event of the kind.
@Suite struct LaterMessageTests {
    @Test func aLaterMessageReadsOnlyTheCampaignsThatHaveIt() throws {
        let f = try ActionsFixture(extra: [
            #"{"record":"event","kind":"delivered","contact":"ana@example.com","campaign":"Spring Sale","message":2,"ts":"2026-03-03T09:01:00Z"}"#,
            #"{"record":"event","kind":"delivered","contact":"ana@example.com","campaign":"Spring Sale","message":2,"ts":"2026-03-03T09:02:00Z"}"#,
        ])
        let sets = "campaign_sets: the contacts with deliveries of message 2 in 1 campaign, 1 set"
        for (text, read) in [
            ("deliveries(message: 2) >= 1", sets), ("deliveries(message: 2) = 0", sets),
            ("delivered(message: 2, within: 30d)", "events_by_campaign: deliveries of 1 campaign"),
            ("deliveries(message: 2) >= 2", "events_by_campaign: deliveries of 1 campaign"),
        ] {
            let file = SourceFile(name: "q", text: text)
            let q = try #require(Parser.parseQuery(file).0)
            let program = try #require(try f.session.compile(q, projection: .count, in: file).program)
            #expect(program.leaves.count == 1, "\(text)")
            for leaf in program.leaves {
                #expect(leaf.access.description.hasPrefix(read), "\(text): \(leaf.access.description)")
            }
        }
        #expect(try f.members("deliveries(message: 2) >= 2") == ["ana@example.com"])
        #expect(try f.members("delivered(message: 2) or delivered(campaign: \"Flash SMS\")").sorted() == ["+46700000001", "ana@example.com"])
        #expect(try f.members("deliveries(message: 2) = 0").sorted() == ["+46700000001", "bo@example.com", "cy@example.com", "dee@example.com"])
        // A message no campaign has: no one has it, everyone has none.
        #expect(try f.members("delivered(message: 3)") == [])
        #expect(try f.members("deliveries(message: 3) = 0").count == 5)
    }

    /// Under `of_last` the scope stays whole: a contact whose last campaign has one
    /// message is not ranked by an older sequence's later message (found by the
    /// differential test's time-varying seed 1796683572).
    @Test func ofLastRanksEveryCampaignOfTheScope() throws {
        let f = try ActionsFixture(extra: [
            #"{"record":"campaign","name":"Later","channel":"email","sent_at":"2026-03-04T09:00:00Z"}"#,
            #"{"record":"event","kind":"sent","contact":"ana@example.com","campaign":"Spring Sale","ts":"2026-03-01T09:00:00Z"}"#,
            #"{"record":"event","kind":"sent","contact":"ana@example.com","campaign":"Later","ts":"2026-03-04T09:00:00Z"}"#,
            #"{"record":"event","kind":"delivered","contact":"ana@example.com","campaign":"Spring Sale","message":2,"ts":"2026-03-03T09:01:00Z"}"#,
        ])
        #expect(try f.members("delivered(message: 2, of_last: 1)") == [])
        #expect(try f.members("delivered(message: 2, of_last: 2)") == ["ana@example.com"])
        #expect(try f.members("deliveries(message: 2, of_last: 1) = 0").count == 5)
        f.session.useRollups = false
        #expect(try f.members("delivered(message: 2, of_last: 1)") == [])
    }
}

/// `of_last` where the campaigns' sends do not overlap in time: each contact's last
/// campaigns are read from `activity`'s recipients ranked by when the campaigns were
/// sent (EventFilter.sendOrder), not from the sends in time order; the same answers as
/// the sends read in time order (the path without rollups, and the one taken when the
/// sends overlap).
@Suite struct SendOrderTests {
    /// A, B, C sent days apart (ana all three, bo A and C, cy B only); ana opened A, bo
    /// C, cy B twice. The fixture's own campaigns have no sends.
    static let extra: [String] = {
        var lines = [
            #"{"record":"campaign","name":"A","channel":"email","sent_at":"2026-01-01T09:00:00Z"}"#,
            #"{"record":"campaign","name":"B","channel":"email","sent_at":"2026-01-10T09:00:00Z"}"#,
            #"{"record":"campaign","name":"C","channel":"email","sent_at":"2026-01-20T09:00:00Z"}"#,
        ]
        func event(_ kind: String, _ who: String, _ campaign: String, _ ts: String) {
            lines.append(#"{"record":"event","kind":"\#(kind)","contact":"\#(who)","campaign":"\#(campaign)","ts":"\#(ts)"}"#)
        }
        // Recorded out of order: the ranking comes from the campaigns, not the rows.
        event("sent", "ana@example.com", "C", "2026-01-20T09:00:00Z")
        event("sent", "ana@example.com", "A", "2026-01-01T09:00:00Z")
        event("sent", "ana@example.com", "B", "2026-01-10T09:30:00Z")
        event("sent", "bo@example.com", "A", "2026-01-01T09:10:00Z")
        event("sent", "bo@example.com", "C", "2026-01-20T09:10:00Z")
        event("sent", "cy@example.com", "B", "2026-01-10T09:00:00Z")
        event("opened", "ana@example.com", "A", "2026-01-02T10:00:00Z")
        event("opened", "bo@example.com", "C", "2026-01-21T10:00:00Z")
        event("opened", "cy@example.com", "B", "2026-01-11T10:00:00Z")
        event("opened", "cy@example.com", "B", "2026-01-12T10:00:00Z")
        // Two clickers of five contacts: their sends are read alone.
        event("clicked", "ana@example.com", "A", "2026-01-02T10:05:00Z")
        event("clicked", "bo@example.com", "C", "2026-01-21T10:05:00Z")
        event("clicked", "bo@example.com", "C", "2026-01-21T10:06:00Z")
        return lines
    }()

    static let cases: [(String, [String])] = [
        ("opened(of_last: 1)", ["bo@example.com", "cy@example.com"]),
        ("opened(of_last: 3)", ["ana@example.com", "bo@example.com", "cy@example.com"]),
        ("opens(of_last: 2) >= 2", ["cy@example.com"]),
        ("opened(of_last: 2, at_least: 1)", ["bo@example.com", "cy@example.com"]),
        ("opened(of_last: 3, at_least: 2)", []),
        ("not opened(of_last: 2)", ["ana@example.com", "dee@example.com", "+46700000001"]),
        (#"opened(of_last: 1, campaign: ["A", "B"])"#, ["cy@example.com"]),
        ("opened(of_last: 1) as of \"2026-01-15\"", ["cy@example.com"]),
        ("opened(of_last: 1) and country = \"SE\"", ["cy@example.com"]),
        ("clicked(of_last: 1)", ["bo@example.com"]),
        ("clicked(of_last: 3)", ["ana@example.com", "bo@example.com"]),
        ("clicks(of_last: 2) >= 2", ["bo@example.com"]),
        ("clicked(of_last: 3, at_least: 2)", []),
        ("not clicked(of_last: 1)", ["ana@example.com", "cy@example.com", "dee@example.com", "+46700000001"]),
        // Campaigns named: the clickers' sends of those campaigns alone.
        (#"clicked(of_last: 1, campaign: ["A", "C"])"#, ["bo@example.com"]),
        (#"clicked(of_last: 2, campaign: ["A", "B"])"#, ["ana@example.com"]),
        // Counts of events: the campaigns' `activity` rows, each its count.
        ("opens(of_last: 1) = 2", ["cy@example.com"]),
        ("opens(of_last: 3) = 1", ["ana@example.com", "bo@example.com"]),
        ("opens(of_last: 2) < 2", ["ana@example.com", "bo@example.com", "dee@example.com", "+46700000001"]),
        ("clicks(of_last: 1) >= 2", ["bo@example.com"]),
        ("clicks(of_last: 1, footer: true) = 2", ["bo@example.com"]),
    ]

    /// A count of events over `of_last` reads the campaigns' `activity` rows with their
    /// counts where those are fewer than the events (AccessPath.ofLastRollup).
    @Test func aCountReadsTheRowsWithTheirCounts() throws {
        let f = try ActionsFixture(extra: Self.extra)
        #expect(f.run("explain analyze opens(of_last: 2) >= 2") == nil)
        #expect(f.lastText().contains("activity: the rows of 3 campaigns with opens, each its count"), "\(f.lastText())")
        // Three openers' rows, not four opens, and the three sets of recipients.
        #expect(f.lastText().contains("read 6 ("), "\(f.lastText())")
        // "At least one" keeps the sets of the opens.
        #expect(f.run("explain opened(of_last: 2)") == nil)
        #expect(!f.lastText().contains("each its count"), "\(f.lastText())")
    }

    func leafOrders(_ f: ActionsFixture, _ text: String) throws -> [[Int64]?] {
        let file = SourceFile(name: "q", text: text)
        let (query, diagnostics) = Parser.parseQuery(file)
        let q = try #require(query, "\(diagnostics)")
        let program = try #require(try f.session.compile(q, projection: .count, in: file).program)
        return program.leaves.compactMap {
            if case .lastCampaigns(_, _, _, _, _, let order) = $0.reading { return order }
            return nil
        }
    }

    @Test(arguments: cases)
    func recipientsRankedByCampaign(_ c: (String, [String])) throws {
        let f = try ActionsFixture(extra: Self.extra)
        if !c.0.contains(" as of ") {
            let orders = try leafOrders(f, c.0)
            #expect(orders.count == 1 && orders.allSatisfy { $0 != nil }, "\(c.0): \(orders)")
        }
        #expect(try f.members(c.0).sorted() == c.1.sorted(), "\(c.0)")
        // The recipients from `activity` instead of the kept sets.
        f.session.useKeptSets = false
        #expect(try f.members(c.0).sorted() == c.1.sorted(), "\(c.0), without the kept sets")
        f.session.useKeptSets = true
        f.session.restrictedReadFactor = 0
        #expect(try f.members(c.0).sorted() == c.1.sorted(), "\(c.0), restricted reads")
        f.session.useRollups = false
        #expect(try f.members(c.0).sorted() == c.1.sorted(), "\(c.0), the sends in time order")
    }

    /// A campaign sent while another was being sent: the order is the sends' own.
    @Test func overlappingSendsAreReadInTimeOrder() throws {
        let f = try ActionsFixture(extra: Self.extra + [
            #"{"record":"campaign","name":"D","channel":"email","sent_at":"2026-01-20T09:05:00Z"}"#,
            #"{"record":"event","kind":"sent","contact":"bo@example.com","campaign":"D","ts":"2026-01-20T09:05:00Z"}"#,
        ])
        #expect(try leafOrders(f, "opened(of_last: 1)") == [nil])
        // bo's last campaign is now C (sent 09:10, after D at 09:05): still an opener.
        #expect(try f.members("opened(of_last: 1)") == ["bo@example.com", "cy@example.com"])
        #expect(f.run("explain opened(of_last: 1)") == nil)
        #expect(f.lastText().contains("from the sends read in time order"), "\(f.lastText())")
        // Two clickers of five: only their sends are read, in time order; the same answer
        // with every read restricted and without rollups.
        #expect(f.run("explain clicked(of_last: 1)") == nil)
        #expect(f.lastText().contains("from the sends of the contacts with such an event, read in time order"), "\(f.lastText())")
        #expect(try f.members("clicked(of_last: 1)") == ["bo@example.com"])
        #expect(try f.members("clicks(of_last: 3) >= 2") == ["bo@example.com"])
        f.session.restrictedReadFactor = 0
        #expect(try f.members("clicked(of_last: 1) and country = \"NO\"") == ["bo@example.com"])
        #expect(try f.members("clicked(of_last: 3)").sorted() == ["ana@example.com", "bo@example.com"])
        // Without D, explain says where the ranking comes from: the kept sets of the
        // campaigns' recipients, one per campaign, and the predicate's events.
        let g = try ActionsFixture(extra: Self.extra)
        #expect(g.run("explain analyze clicked(of_last: 1)") == nil)
        #expect(g.lastText().contains("their recipients from campaign_sets (3 sets)"), "\(g.lastText())")
        // No row: the three campaigns' recipients and their clickers, a set each.
        #expect(g.lastText().contains("campaign_sets: the contacts with clicks;"), "\(g.lastText())")
        #expect(g.lastText().contains("read 6 ("), "\(g.lastText())")
        // A count of clicks: the two clickers' `activity` rows with their counts (three
        // clicks), and the three sets of recipients.
        #expect(g.run("explain analyze clicks(of_last: 1) >= 2") == nil)
        #expect(g.lastText().contains("read 5 ("), "\(g.lastText())")
        // Without the kept sets (a store another tool wrote), from `activity` or the sends.
        g.session.useKeptSets = false
        #expect(g.run("explain opened(of_last: 1)") == nil)
        #expect(g.lastText().contains("from activity: the recipients of 3 campaigns whose sends do not overlap"), "\(g.lastText())")
        // Fewer than half the contacts clicked: only their sends are read.
        #expect(g.run("explain clicked(of_last: 1)") == nil)
        #expect(g.lastText().contains("from the sends of the contacts with such an event: 3 campaigns"), "\(g.lastText())")
        #expect(g.run("explain analyze clicked(of_last: 1)") == nil)
        // Four clicks (the fixture's own one on Spring Sale too) and ana's and bo's five
        // sends, not the six recipients' rows of `activity`.
        #expect(g.lastText().contains("read 9 ("), "\(g.lastText())")
    }
}
