import Foundation
import Testing
@testable import SegQL

/// The planner's choices on a small catalog whose statistics have the proportions of
/// the 1M-contact demo store (docs/benchmarks.md), scaled to 10,000 contacts.
@Suite struct PlannerTests {
    static let catalog: Catalog = {
        var c = Catalog(
            campaigns: [
                .init(id: 2, name: "Summer Newsletter", channel: .email, sentAt: 1_751_792_400),
                .init(id: 6, name: "Black Friday", channel: .email, sentAt: 1_764_320_400),
                .init(id: 10, name: "New Year Sale", channel: .email, sentAt: 1_767_344_400),
                .init(id: 13, name: "Spring Sale", channel: .email, sentAt: 1_772_355_600),
            ],
            // Eight links per campaign, as in the demo store: /pricing among them, and a footer link.
            links: [2, 6, 10, 13].flatMap { (campaign: Int64) in
                ["/pricing", "/new", "/sale", "/blog", "/shop", "/about", "/help", "/unsubscribe"].enumerated().map { i, path in
                    Catalog.Link(
                        id: campaign * 10 + Int64(i), campaignID: campaign, url: "https://shop.example\(path)", path: path,
                        footer: path == "/unsubscribe")
                }
            },
            attributes: ["country"],
            segments: [:],
            lists: ["vip": 7],
            contactCount: 10_000)
        // Per campaign: delivered to ~60%, opened by ~18–25%, clicked by ~2–4%.
        for (id, delivered, opened, clicked) in [
            (2 as Int64, 5_890, 1_780, 192), (6, 6_824, 2_056, 223), (10, 5_482, 1_656, 179), (13, 6_496, 2_471, 384),
        ] {
            c.stats[id] = [
                .delivered: .init(events: Int64(delivered), contacts: Int64(delivered), minTs: 1_751_792_400, maxTs: 1_773_000_000),
                .opened: .init(events: Int64(opened) * 3 / 2, contacts: Int64(opened), minTs: 1_751_792_400, maxTs: 1_773_000_000),
                .clicked: .init(events: Int64(clicked) * 3 / 2, contacts: Int64(clicked), minTs: 1_751_792_400, maxTs: 1_773_000_000),
            ]
        }
        return c
    }()

    /// The plan of `text`: the planner's own (bitmaps) unless a single-statement shape is
    /// forced, as the benchmarks do to compare them.
    static func plan(_ text: String, strategy: Strategy? = nil, catalog: Catalog = catalog, now: NowValue = .fixed(1_780_272_000)) throws -> Plan {
        let query = try #require(Parser.parseQuery(SourceFile(name: "q", text: text)).query)
        let (bound, diagnostics) = Binder.bind(query, in: BindingEnvironment(catalog: catalog))
        let b = try #require(bound, "\(diagnostics)")
        return Planner.plan(b, catalog: catalog, options: PlannerOptions(now: now, strategy: strategy))
    }

    /// The catalog as a store's: its statistics count every event (the catalog above
    /// has delivered, opened and clicked events only).
    static let complete: Catalog = {
        var c = catalog
        c.statsComplete = true
        return c
    }()

    static let q1 = #"opened(campaign: "Spring Sale") and not clicked(link: "/pricing") and clicks >= 2"#
    static let q5 = #"clicks(campaign: ["Black Friday", "New Year Sale", "Spring Sale"]) >= 3 or (opened(campaign: "Summer Newsletter") and country = "SE")"#

    /// Q5 of the benchmark on SQLite: one merge in contact order. The campaign's openers
    /// (their partial index, by a literal `> 0`) meet the Swedes, then the clickers of the
    /// three campaigns (grouped) are added; counting reads no contact.
    @Test func disjunctionIsOneMerge() throws {
        let plan = try Self.plan(Self.q5, strategy: .setOperations)
        let count = SQLRenderer.render(plan, projection: .count, dialect: SQLiteDialect()).sql
        #expect(count == """
            SELECT count(*) FROM (SELECT a.contact_id FROM activity a WHERE a.campaign_id = ?1 AND a.opens > 0
            INTERSECT SELECT t.contact_id FROM contact_attributes t INDEXED BY contact_attributes_by_value WHERE t.name = ?2 AND t.type = 'string' AND t.value = ?3
            UNION SELECT a.contact_id FROM activity a WHERE a.campaign_id IN (?4, ?5, ?6) AND a.clicks > 0 GROUP BY a.contact_id HAVING sum(a.clicks) >= ?7
            ORDER BY 1) s
            """)
        let ids = SQLRenderer.render(plan, projection: .contactIDs, dialect: SQLiteDialect()).sql
        #expect(ids.hasPrefix("SELECT a.contact_id FROM activity a") && ids.hasSuffix("\nORDER BY 1"))
        let rows = SQLRenderer.render(plan, projection: .contacts(limit: nil), dialect: SQLiteDialect()).sql
        #expect(rows.contains("FROM contacts c\nWHERE c.id IN (SELECT a.contact_id FROM activity a"))
        // PostgreSQL reads the same plan as nested sets: its INTERSECT binds tighter.
        let pg = SQLRenderer.render(plan, projection: .count, dialect: PostgresDialect()).sql
        #expect(!pg.contains("\nINTERSECT") && pg.contains(" INTERSECT SELECT contact_id FROM ("))
    }

    /// The design card (Q1): openers INTERSECT two-time clickers EXCEPT /pricing clickers.
    @Test func conjunctionWithNegationIsOneMerge() throws {
        let plan = try Self.plan(Self.q1, strategy: .setOperations)
        let count = SQLRenderer.render(plan, projection: .count, dialect: SQLiteDialect()).sql
        let arms = count.split(separator: "\n").map { String($0.prefix(10)) }
        #expect(arms == ["SELECT cou", "INTERSECT ", "EXCEPT SEL", "ORDER BY 1"], "\(count)")
        #expect(count.contains("a.opens > 0") && count.contains("EXCEPT SELECT e.contact_id FROM events e INDEXED BY events_by_link WHERE e.kind = 6 AND e.link_id"), "\(count)")
    }

    /// The chain's operators associate left: an `or` can only continue the chain as its
    /// head, a count that includes zero is taken away as its complement, a negated `or`
    /// is one nested arm, and a lone set is made distinct.
    @Test func mergeChainShapes() throws {
        func count(_ q: String) throws -> String {
            SQLRenderer.render(try Self.plan(q, strategy: .setOperations), projection: .count, dialect: SQLiteDialect()).sql
        }
        let headed = try count(#"(opened(campaign: "Spring Sale") or opened(campaign: "Summer Newsletter")) and country = "SE" and not list "vip""#)
        #expect(headed.split(separator: "\n").map { $0.split(separator: " ").first.map(String.init) ?? "" }
            == ["SELECT", "UNION", "INTERSECT", "EXCEPT", "ORDER"], "\(headed)")
        let zero = try count(#"opened(campaign: "Spring Sale") and clicks(campaign: "Spring Sale") < 2"#)
        #expect(zero.contains("\nEXCEPT SELECT a.contact_id FROM activity a WHERE a.campaign_id = ?2 AND a.clicks > 0 AND a.clicks >= ?3"), "\(zero)")
        let nested = try count(#"opened(campaign: "Spring Sale") and not (country = "SE" or list "vip")"#)
        #expect(nested.contains("\nEXCEPT SELECT contact_id FROM (SELECT t.contact_id"), "\(nested)")
        let alone = try count(#"clicked(link: "/pricing")"#)
        #expect(alone.hasPrefix("SELECT count(*) FROM (SELECT DISTINCT contact_id FROM (SELECT e.contact_id FROM events e"), "\(alone)")
    }

    /// Q5 driven: each branch of the `or` is driven by its own candidates — the click count by the three campaigns' clickers
    /// (their partial index), the opened-and-country branch by the campaign's rollup rows
    /// (not by the attribute, whose size is a guess) — and no candidate is tested
    /// against the other branch.
    @Test func disjunctionIsDrivenBranchByBranch() throws {
        let plan = try Self.plan(Self.q5, strategy: .driver)
        #expect(plan.filter == .everyone)
        guard case .branches(let sets, let residuals)? = plan.driver else {
            Issue.record("expected a branch-by-branch driver, got \(String(describing: plan.driver))")
            return
        }
        #expect(sets.count == 2)
        guard sets.count == 2 else { return }
        // Cheapest branch first: the click count (one rollup test), then the rollup-and-attribute branch.
        guard case .atom(.rollup(let r)) = sets[0] else {
            Issue.record("the click count should be read from the campaigns' clickers: \(sets[0])")
            return
        }
        #expect(r.kind == .clicked && r.scope == .campaigns([6, 10, 13]) && r.test == .count(RollupMeasure(plus: ["clicks"]), CountTest(.greaterOrEqual, 3)))
        #expect(residuals[0] == .everyone)
        guard case .activityRow(campaign: 2, conditions: let onRow) = sets[1] else {
            Issue.record("the opened-and-country branch should be driven by Summer Newsletter's rollup rows: \(sets[1])")
            return
        }
        #expect(onRow.count == 1)
        guard case .atom(.attribute("country", _)) = residuals[1] else {
            Issue.record("the country test should stay a probe of its branch: \(residuals[1])")
            return
        }

        let sql = SQLRenderer.render(plan, projection: .contacts(limit: nil), dialect: SQLiteDialect()).sql
        // The country test runs inside its branch's set; the branches are one union.
        #expect(sql.contains("WHERE c.id IN (SELECT contact_id FROM (SELECT a.contact_id FROM activity a WHERE a.campaign_id IN (?1, ?2, ?3) AND a.clicks > 0 GROUP BY"))
        #expect(sql.contains(
            " UNION SELECT s.contact_id FROM (SELECT a.contact_id FROM activity a WHERE a.campaign_id = ?5 AND (a.opens >= ?6)) s "
                + "WHERE EXISTS (SELECT 1 FROM contact_attributes t WHERE t.contact_id = s.contact_id"))
        #expect(!sql.contains("contact_id = c.id"))
        // Counting reads the union alone: no contact is looked up.
        let count = SQLRenderer.render(plan, projection: .count, dialect: SQLiteDialect()).sql
        #expect(count.hasPrefix("SELECT count(*) FROM (SELECT contact_id FROM (SELECT a.contact_id FROM activity a"))
        #expect(!count.contains("contacts"))
    }

    /// Counting and listing ids join contacts only when a condition reads a contact column:
    /// a rollup's rows reference contacts, so their contact ids are enough.
    @Test func countsReadRollupRowsWithoutContacts() throws {
        func sql(_ query: String, _ projection: Projection) throws -> String {
            SQLRenderer.render(try Self.plan(query, strategy: .driver), projection: projection, dialect: SQLiteDialect()).sql
        }
        let campaign = #"delivered(campaign: "Spring Sale") and not opened(campaign: "Spring Sale")"#
        #expect(try sql(campaign, .count) == "SELECT count(*) FROM activity d\nWHERE d.campaign_id = ?1\n  AND (d.deliveries >= ?2)\n  AND NOT (d.opens >= ?3)")
        #expect(try sql(campaign, .contactIDs).hasPrefix("SELECT d.contact_id AS contact_id FROM activity d\n"))
        #expect(try sql(campaign, .contacts(limit: nil)).contains("FROM activity d JOIN contacts c ON c.id = d.contact_id"))
        // A contact column keeps the join.
        #expect(try sql(campaign + #" and first_name = "Ada""#, .count).contains("JOIN contacts c ON c.id = d.contact_id"))
        // A probe correlates with the rollup row's contact.
        let withProbe = SQLRenderer.render(
            try Self.plan(#"opened(campaign: "Spring Sale") and not bounced(campaign: "Spring Sale", type: hard)"#, strategy: .driver),
            projection: .count, dialect: SQLiteDialect()).sql
        #expect(withProbe.contains("e.contact_id = d.contact_id") && !withProbe.contains("contacts c"))

        let recent = SQLRenderer.render(try Self.plan("opened(within: 30d) and clicks >= 1", strategy: .scan), projection: .count, dialect: SQLiteDialect()).sql
        #expect(recent.hasPrefix("SELECT count(*) FROM contact_activity ca\nWHERE "))
        #expect(!recent.contains("contacts"))
    }

    /// `count not P`, P needing a contact_activity row, is every contact less P's count.
    @Test func negatedRollupIsCountedAsTheComplement() throws {
        let plan = try Self.plan("not opened", strategy: .scan)
        let count = SQLRenderer.render(plan, projection: .count, dialect: SQLiteDialect()).sql
        // Counted in the partial index of the contacts who opened anything (`> 0` is `>= 1`).
        #expect(count == "SELECT (SELECT count(*) FROM contacts) - (SELECT count(*) FROM contact_activity ca WHERE ca.opens > 0)")
        // Listing still scans contacts: the complement is a count.
        let rows = SQLRenderer.render(plan, projection: .contacts(limit: nil), dialect: SQLiteDialect()).sql
        #expect(rows.contains("FROM contacts c NOT INDEXED LEFT JOIN contact_activity ca"))
        // A negated condition that a contact without events passes is not complemented.
        let zero = SQLRenderer.render(try Self.plan("not clicks < 2", strategy: .scan), projection: .count, dialect: SQLiteDialect()).sql
        #expect(!zero.contains("SELECT (SELECT count(*) FROM contacts)"))
    }

    /// A branch whose rest reads the contact's own row keeps the multi-index OR form.
    @Test func branchReadingAContactColumnIsTestedOnTheContact() throws {
        let plan = try Self.plan(
            #"clicks(campaign: ["Black Friday", "New Year Sale", "Spring Sale"]) >= 3 or (opened(campaign: "Summer Newsletter") and first_name = "Ada")"#,
            strategy: .driver)
        guard case .branches? = plan.driver else {
            Issue.record("expected a branch-by-branch driver, got \(String(describing: plan.driver))")
            return
        }
        let sql = SQLRenderer.render(plan, projection: .count, dialect: SQLiteDialect()).sql
        #expect(sql.contains("WHERE (c.id IN (SELECT a.contact_id FROM activity a WHERE a.campaign_id IN (?1, ?2, ?3) AND a.clicks > 0 GROUP BY"))
        #expect(sql.contains(" OR (c.id IN (SELECT a.contact_id FROM activity a WHERE a.campaign_id = ?5 AND (a.opens >= ?6)) AND (c.first_name"))
    }

    /// Driven, one campaign's rollup rows drive ahead of an attribute in an `and`, even
    /// one estimated smaller: the attribute's share is a fixed guess.
    @Test func campaignRowsDriveAheadOfAnAttribute() throws {
        let plan = try Self.plan(#"opened(campaign: "Summer Newsletter") and country = "SE""#, strategy: .driver)
        guard case .activityRow(campaign: 2, _)? = plan.driver else {
            Issue.record("expected Summer Newsletter's rollup rows to drive, got \(String(describing: plan.driver))")
            return
        }
        guard case .atom(.attribute("country", _)) = plan.filter else {
            Issue.record("the country test should be probed per row: \(plan.filter)")
            return
        }
    }

    /// Driven, a saved list drives by its estimate (lists are usually small audiences).
    @Test func listStillDrivesAheadOfCampaignRows() throws {
        let plan = try Self.plan(#"list "vip" and opened(campaign: "Summer Newsletter")"#, strategy: .driver)
        #expect(plan.driver == .atom(.list(7)))
    }

    // MARK: - Bitmaps (the planner's own strategy)

    static func program(_ text: String) throws -> SetProgram {
        let plan = try plan(text)
        #expect(plan.strategy == .bitmaps)
        return SQLRenderer.program(plan, dialect: SQLiteDialect())
    }

    /// Every condition is one leaf that reads the index whose range holds exactly its
    /// rows, pinned with INDEXED BY so that SQLite cannot walk another.
    @Test func eachLeafReadsItsOwnIndex() throws {
        for (query, index) in [
            ("sent(within: 30d)", "events_by_kind_ts"),
            (#"clicked(link: "/pricing")"#, "events_by_link"),
            (#"country = "SE""#, "contact_attributes_by_value"),
            (#"bounced(campaign: "Spring Sale", type: hard)"#, "events_by_campaign"),
        ] {
            let leaves = try Self.program(query).leaves
            #expect(leaves.count == 1, "\(query)")
            guard let leaf = leaves.first else { continue }
            #expect(leaf.access.index == index, "\(query): \(leaf.access)")
            #expect(leaf.sql.sql.contains("INDEXED BY \(index)"), "\(query): \(leaf.sql.sql)")
            // The restricted form reads the same rows for a list of contacts, by contact.
            #expect(leaf.restricted.sql.contains("json_each(?\(leaf.restricted.parameters.count + 1))"), "\(leaf.restricted.sql)")
        }
    }

    /// Q5 is three sets: the or of the clickers' sum and the and of openers and Swedes.
    @Test func q5IsThreeSets() throws {
        guard case .or(let arms) = try Self.program(Self.q5) else {
            Issue.record("expected an or")
            return
        }
        #expect(arms.count == 2)
        #expect(arms.flatMap(\.leaves).count == 3)
        let summed = arms.flatMap(\.leaves).filter { if case .summed = $0.reading { true } else { false } }
        #expect(summed.count == 1, "the click count over three campaigns is a sum per contact")
    }

    /// A count that a contact without events passes (`= 0`, `< 3`) is read as every
    /// contact less the contacts of its complement, never as a scan of all contacts.
    @Test func zeroCountIsTheComplement() throws {
        for query in ["opens(within: 365d) = 0", "clicks < 3", #"opens(campaign: "Spring Sale") <= 1"#] {
            guard case .not(let inner) = try Self.program(query) else {
                Issue.record("\(query): expected not(set)")
                continue
            }
            #expect(inner.leaves.count == 1, "\(query)")
        }
    }

    /// The statistics bound every contact's count (in a campaign no contact has more
    /// events than the campaign's events less its other contacts, and only campaigns
    /// whose events the window meets count), so a count test that no count or every
    /// count up to that bound passes is no read, everyone, the verb, or its complement.
    /// Each campaign of the catalog delivered once to each of its recipients; opens are
    /// 1.5 per opener.
    @Test func countsTheStatisticsBoundAreDecidedWithoutReading() throws {
        func filter(_ text: String, catalog: Catalog = Self.complete, now: NowValue = .fixed(1_780_272_000)) throws -> PlanExpr {
            try Self.plan(text, catalog: catalog, now: now).filter
        }
        let spring = #"campaign: "Spring Sale""#
        #expect(try filter("deliveries >= 5") == .nobody)
        #expect(try filter("deliveries <= 4") == .everyone)
        #expect(try filter("deliveries(\(spring)) >= 2") == .nobody)
        #expect(try filter("deliveries(\(spring)) < 2") == .everyone)
        #expect(try filter("deliveries(\(spring)) != 0") == filter("delivered(\(spring))"))
        #expect(try filter("deliveries(\(spring)) = 1") == filter("delivered(\(spring))"))
        #expect(try filter("deliveries(\(spring)) = 0") == filter("not delivered(\(spring))"))
        // No campaign's deliveries lie in the last week, and none was ever replied to.
        #expect(try filter("delivered(within: 7d)") == .nobody)
        #expect(try filter("deliveries(within: 7d) = 0") == .everyone)
        #expect(try filter("replied") == .nobody)
        // Under `of_last: N` a contact's count is over N campaigns at most.
        #expect(try filter("deliveries(of_last: 1) >= 2") == .nobody)
        #expect(try filter("deliveries(of_last: 3) >= 4") == .nobody)
        #expect(try filter("deliveries(of_last: 2) <= 2") == .everyone)
        #expect(try filter("deliveries(of_last: 3) >= 3") != .nobody)
        // `at_least` counts campaigns: no more than the scope has with such events.
        #expect(try filter("delivered(at_least: 5)") == .nobody)
        #expect(try filter(#"delivered(campaign: ["Spring Sale", "Black Friday"], at_least: 3)"#) == .nobody)
        #expect(try filter("delivered(of_last: 2, at_least: 3)") == .nobody)
        #expect(try filter("delivered(at_least: 4)") != .nobody)
        // A bound the test does not decide is read.
        #expect(try filter("opens(\(spring)) >= 2") != .nobody)
        #expect(try filter("deliveries >= 2") != .nobody)
        // Statistics that may leave events out decide nothing; nor do they in a saved
        // segment's view (now read when it runs), planned for every later import.
        #expect(try filter("deliveries >= 5", catalog: Self.catalog) != .nobody)
        #expect(try filter("replied", catalog: Self.catalog) != .nobody)
        #expect(try filter("deliveries >= 5", now: .readTime) != .nobody)
    }

    /// A lower and an upper bound on one indexed contact column are one range of its
    /// index: a day of `created_at`, or bounds written apart in an `and`.
    @Test func boundsOnOneColumnAreOneRange() throws {
        let day = try Self.plan(#"created_at = "2026-01-05""#)
        #expect(day.filter == .atom(.column(.created_at, .between(.greaterOrEqual, .time(1_767_571_200), .less, .time(1_767_657_600)))))
        #expect(day.access.values.contains { $0.index == "contacts_by_created_at" })
        let apart = try Self.plan(#"first_name >= "A" and opened and first_name <= "B""#)
        guard case .and(let xs) = apart.filter else { Issue.record("\(apart.filter)"); return }
        #expect(xs.contains(.atom(.column(.first_name, .between(.greaterOrEqual, .string("A"), .lessOrEqual, .string("B"))))), "\(xs)")
        #expect(xs.count == 2)
        // Of two bounds on one side the tighter is kept (at one value, the strict one);
        // after a day is from the next day's start.
        let two = try Self.plan(#"created_at > "2026-01-05" and created_at >= "2026-01-01" and created_at < "2026-02-01""#)
        #expect(two.filter == .atom(.column(.created_at, .between(.greaterOrEqual, .time(1_767_657_600), .less, .time(1_769_904_000)))))
        let upper = try Self.plan(#"(last_name <= "M" and sent) and last_name < "M" and last_name <= "Z""#)
        guard case .and(let us) = upper.filter else { Issue.record("\(upper.filter)"); return }
        #expect(us.contains(.atom(.column(.last_name, .compare(.less, .string("M"))))), "\(us)")
        #expect(us.count == 2, "\(us)")
        let same = try Self.plan(#"first_name >= "K" and first_name >= "K""#)
        #expect(same.filter == .atom(.column(.first_name, .compare(.greaterOrEqual, .string("K")))))
        // A column without an index is left as it is.
        let phone = try Self.plan(#"phone >= "+1" and phone < "+2""#)
        guard case .and(let zs) = phone.filter else { Issue.record("\(phone.filter)"); return }
        #expect(zs.count == 2)
    }

    /// A link's clickers are estimated from its share of the scope's clicks (each link its
    /// campaign's clicks over the campaign's links), not a fixed share of every clicker.
    @Test func aLinksClickersAreItsShareOfTheClicks() throws {
        func contacts(_ text: String) throws -> Double {
            try #require(Self.plan(text).access.values.first).estimatedContacts
        }
        // /pricing in each of the four campaigns: 978 clickers' 1,467 clicks over 8 links
        // each, ~183 clicks, ~122 clickers; every link is all of them.
        let pricing = try contacts(#"clicked(link: "/pricing")"#)
        #expect(pricing > 80 && pricing < 180, "\(pricing)")
        let every = try contacts(#"clicked(link: "*")"#)
        #expect(every > 700, "\(every)")
    }

    /// `explain` names a count's two parts by what splits them: the window, the message, or both.
    @Test func aSplitCountIsNamedByWhatSplitsIt() {
        var f = EventFilter(kind: .opened, message: 1)
        #expect(Planner.wholeCampaignWords(f) == ("of one message", "of more than one message"))
        f.window.within = 86_400
        #expect(Planner.wholeCampaignWords(f).rest == "the window cuts or of more than one message")
        f.message = nil
        #expect(Planner.wholeCampaignWords(f) == ("wholly in the window", "the window cuts"))
    }

    /// A contact's rows read through the index by contact cost more where the contact
    /// has many of them, and far more where each needs its table row (a message).
    @Test func aProbeByContactCostsItsRows() throws {
        var catalog = Self.catalog
        catalog.campaigns[3].messages = 2
        func cost(_ text: String) throws -> Double {
            let plan = try Self.plan(text, catalog: catalog)
            return try #require(plan.access.values.first, "\(plan.filter)").restrictedCost
        }
        // 24,692 deliveries over 10,000 contacts: ~2.5 a contact; Spring Sale's 6,496 ~0.65.
        let window = try cost("delivered(within: 30d)")
        #expect(window > 1.05 && window < 1.15, "\(window)")
        let message = try cost("delivered(message: 2)")
        #expect(message > 1.2 && message < 1.3, "\(message)")
        #expect(try cost(#"delivered(campaign: "Spring Sale", within: 30d)"#) < 1.03)
        #expect(try cost(#"country = "SE""#) == 1)
    }

    /// Of two counts of the same events, or of events some of the other's, in an `and`,
    /// one the other implies is left out; two that exclude each other are nobody, and so
    /// is an operand beside its negation.
    @Test func countsImpliedByAnotherAreLeftOut() throws {
        func filter(_ text: String) throws -> PlanExpr { try Self.plan(text).filter }
        #expect(try filter("deliveries <= 2 and deliveries < 4") == filter("deliveries <= 2"))
        #expect(try filter("opens < 4 and clicked and opens <= 2") == filter("clicked and opens <= 2"))
        #expect(try filter("opens >= 2 and opens >= 3") == filter("opens >= 3"))
        #expect(try filter("opens >= 3 and opens < 2") == .nobody)
        #expect(try filter("opens = 2 and opens >= 1") == filter("opens = 2"))
        #expect(try filter("opens != 0 and opens >= 1") == filter("opens != 0"))
        #expect(try filter("opens >= 1000000000 and opens < 5") == .nobody)
        // Counts that narrow each other, or of other events, stay.
        guard case .and(let xs) = try filter("opens >= 2 and opens <= 5") else { Issue.record("not an and"); return }
        #expect(xs.count == 2)
        guard case .and(let ys) = try filter(#"opens >= 5 and opens(campaign: "Spring Sale") >= 3"#) else { Issue.record("not an and"); return }
        #expect(ys.count == 2)
        // Spring Sale's opens are some of all the opens (and of those of a list of campaigns
        // with it), those of a window some of every time's.
        #expect(try filter(#"opens >= 2 and opens(campaign: "Spring Sale") >= 3"#) == filter(#"opens(campaign: "Spring Sale") >= 3"#))
        #expect(try filter(#"opens = 0 and opened(campaign: "Spring Sale")"#) == .nobody)
        #expect(try filter("not opened and opens(within: 14d, machine: false) > 2") == .nobody)
        #expect(try filter(#"opened(campaign: ["Spring Sale", "Black Friday"]) and opens(campaign: "Spring Sale", machine: true) >= 2"#)
            == filter(#"opens(campaign: "Spring Sale", machine: true) >= 2"#))
        #expect(try filter(#"opens(campaign: ["Spring Sale", "Black Friday"]) < 3 and opens(campaign: "Spring Sale") = 4"#) == .nobody)
        // Not the other way round, nor across windows, kinds or machine opens.
        for text in [
            #"opens(campaign: "Spring Sale") = 0 and opened"#, "opens(within: 30d) >= 1 and opens(within: 7d) = 0",
            "opens(machine: true) = 0 and opens(machine: false) >= 1", "clicks = 0 and opened",
            "opened(at_least: 2) and opens < 2",
        ] {
            guard case .and(let zs) = try filter(text) else { Issue.record("not an and: \(text)"); continue }
            #expect(zs.count == 2, "\(text)")
        }
        // An operand beside its negation, or beside the negation of an `and` of it and others.
        #expect(try filter(#"opened(within: 30d) and country = "SE" and not opened(within: 30d)"#) == .nobody)
        #expect(try filter(#"country = "SE" and opened and not (country = "SE" and opened)"#) == .nobody)
    }

    /// A scope that holds every campaign with events of the kind is every campaign: the
    /// per-contact rollup answers it. Not in a view, where later campaigns may have them.
    @Test func scopeOfEveryCampaignWithTheKindIsEveryCampaign() throws {
        var catalog = Self.complete
        catalog.campaigns.append(.init(id: 20, name: "Draft", channel: .email))
        let all = #"campaign: ["Summer Newsletter", "Black Friday", "New Year Sale", "Spring Sale"]"#
        let some = #"campaign: ["Black Friday", "Spring Sale"]"#
        func filter(_ text: String, now: NowValue = .fixed(1_780_272_000)) throws -> String {
            "\(try Self.plan(text, catalog: catalog, now: now).filter)"
        }
        #expect(try filter("opens(\(all), machine: false) > 4") == filter("opens(machine: false) > 4"))
        #expect(try filter("opens(\(all)) > 4").contains("allCampaigns"))
        #expect(try !filter("opens(\(some)) > 4").contains("allCampaigns"))
        #expect(try !filter("opens(\(all)) > 4", now: .readTime).contains("allCampaigns"))
    }

    /// The leaves' estimates add up to the program's; a small and is read smallest first
    /// by the evaluator, so the planner estimates each leaf on its own.
    @Test func leavesCarryTheirEstimates() throws {
        let program = try Self.program(#"opened(campaign: "Spring Sale") and clicked(link: "/pricing")"#)
        let leaves = program.leaves
        #expect(leaves.count == 2)
        #expect(leaves.allSatisfy { $0.access.estimatedRows > 0 && $0.access.estimatedContacts > 0 })
        #expect(program.estimatedRows == leaves.reduce(0) { $0 + $1.access.estimatedRows })
    }

    /// With a sample, an attribute's, a contact column's and the per-contact rollup's
    /// shares are the sample's (fixed guesses without it); a share no sampled contact
    /// meets is half a contact's.
    @Test func sampledSharesEstimateWhatTheStatisticsDoNotCount() throws {
        var catalog = Self.catalog
        catalog.attributes.insert("vip")
        var contacts: [ContactSample.Contact] = []
        for i in 0..<100 {
            let name: FieldLiteral = .string(i < 30 ? "Jon" : "Ada")
            var attributes: [String: FieldLiteral] = [:]
            if i < 70 {
                attributes["country"] = .string(i < 40 ? "SE" : "NO")
                attributes["vip"] = .boolean(i % 2 == 0)
            }
            var activity: [String: Int64] = [:]
            if i < 25 {
                activity["opens"] = Int64(i % 5)
                activity["machine_opens"] = 1
            }
            contacts.append(ContactSample.Contact(columns: [.first_name: name], attributes: attributes, activity: activity))
        }
        catalog.sample = ContactSample(contacts: contacts)
        func estimate(_ text: String) throws -> Int64 {
            let query = try #require(Parser.parseQuery(SourceFile(name: "q", text: text)).query)
            let b = try #require(Binder.bind(query, in: BindingEnvironment(catalog: catalog)).0)
            return Planner.plan(b, catalog: catalog, options: PlannerOptions(now: .fixed(1_780_272_000))).estimatedRows
        }
        #expect(try estimate(#"country = "SE""#) == 4_000)
        #expect(try estimate(#"country in ["SE", "NO"]"#) == 7_000)
        #expect(try estimate("vip = true") == 3_500)
        // Estimated together from the sample, not as independent (40% × 30% = 1,200):
        // every Jon (the first 30) is in SE (the first 40).
        #expect(try estimate(#"country = "SE" and first_name matches "J*""#) == 3_000)
        #expect(try estimate(#"country = "NO" and first_name matches "J*""#) == 50)
        #expect(try estimate(#"country = "SE" and not first_name matches "J*" and vip = true"#) == 500)
        // opens >= 1: 20 of the first 25 (i % 5 != 0); opens without machine opens: 15.
        #expect(try estimate("opened") == 2_000)
        #expect(try estimate("opens(machine: false) >= 1") == 1_500)
        #expect(try estimate(#"country = "DK""#) == 50)
    }
}
