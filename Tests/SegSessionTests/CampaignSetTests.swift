// The kept sets (`campaign_sets`, schema version 7; docs/planner.md § Kept sets): after
// every way `activity` changes — an import, a second import into the same campaigns, a
// link turned into a footer link, two contacts merged, the rollup rebuild — each
// campaign's set of each count equals its `activity` rows with that count above zero;
// the bitmap engine reads them for the conditions they answer and gives the answers the
// SQL gives; a campaign without them is read by its SQL. On both backends.

import SegQL
import SegSession
import SegStore
import Testing

@Suite struct CampaignSetTests {
    /// Every campaign's kept sets against its `activity` rows: each count above zero,
    /// and the people who opened (more opens than machine opens); and its bounces of
    /// each type against its events.
    static func expectSetsMatchActivity(_ store: Store, _ stage: String) throws {
        let maxID = try store.database.int64("SELECT coalesce(max(id), 0) FROM contacts") ?? 0
        var campaigns: [Int64] = []
        try store.database.query("SELECT id FROM campaigns ORDER BY id") { campaigns.append($0.int64(0)) }
        #expect(!campaigns.isEmpty)
        for campaign in campaigns {
            for measure in KeptMeasure.all {
                let members = switch measure {
                case .count(let column): "SELECT contact_id FROM activity WHERE campaign_id = ?1 AND \(column.name) > 0"
                case .humanOpens: "SELECT contact_id FROM activity WHERE campaign_id = ?1 AND opens > machine_opens"
                case .bounces(let type): "SELECT contact_id FROM events WHERE campaign_id = ?1 AND kind = 4 AND bounce = '\(type.rawValue)'"
                }
                var expected = ContactSet(maxID: maxID)
                try store.database.query(members, [.integer(campaign)]) { expected.insert($0.int64(0)) }
                let kept = try store.campaignSetsUnion(CampaignSetsRead(measures: [measure], campaigns: [campaign]), maxID: maxID)
                #expect(kept?.set.ids() == expected.ids(), "\(stage): campaign \(campaign), \(measure.name): kept \(kept?.set.ids() ?? []), activity \(expected.ids())")
            }
            // A campaign of more than one message: each message's sets, against its events.
            let messages = try store.database.int64("SELECT messages FROM campaigns WHERE id = ?1", [.integer(campaign)]) ?? 1
            #expect(try store.database.int64("SELECT count(*) FROM campaign_sets WHERE campaign_id = ?1 AND measure LIKE '%#%'", [.integer(campaign)])
                == (messages > 1 ? messages * Int64(KeptMeasure.all.count) : 0), "\(stage): campaign \(campaign)'s sets of each message")
            guard messages > 1 else { continue }
            for m in 1...messages {
                for measure in KeptMeasure.all {
                    let test = switch measure {
                    case .count(.machineOpens): "e.kind = 5 AND e.machine = 1"
                    case .count(.clicks): "e.kind = 6 AND coalesce(l.footer, 0) = 0"
                    case .count(.footerClicks): "e.kind = 6 AND l.footer = 1"
                    case .count(let column): "e.kind = \(column.kind!.rawValue)"
                    case .humanOpens: "e.kind = 5 AND e.machine = 0"
                    case .bounces(let type): "e.kind = 4 AND e.bounce = '\(type.rawValue)'"
                    }
                    var expected = ContactSet(maxID: maxID)
                    try store.database.query(
                        "SELECT e.contact_id FROM events e LEFT JOIN links l ON l.id = e.link_id WHERE e.campaign_id = ?1 AND e.message = ?2 AND \(test)",
                        [.integer(campaign), .integer(m)]) { expected.insert($0.int64(0)) }
                    let read = CampaignSetsRead(measures: [measure], campaigns: [campaign], message: m, byMessage: [campaign])
                    let kept = try store.campaignSetsUnion(read, maxID: maxID)
                    #expect(kept?.set.ids() == expected.ids(), "\(stage): campaign \(campaign), \(measure.name(message: m)): kept \(kept?.set.ids() ?? []), events \(expected.ids())")
                }
            }
        }
    }

    static let queries = [
        "opened", "delivered", "clicked", "clicked(footer: true)", "not clicked and opened",
        #"opened(campaign: "Spring Sale")"#, #"delivered(channel: sms) or unsubscribed"#,
        #"opened(machine: true) or bounced(campaign: "Autumn")"#, "clickers", "openers and not clickers",
        #"sent(campaign: "Autumn") and not opened(campaign: "Autumn")"#, "complained or replied",
        "delivered(at_least: 2)", "sent(at_least: 2) and not opened(at_least: 2)", "clicked(at_least: 1, footer: true)",
        "opened(machine: false)", #"opened(machine: false, campaign: "Autumn") or replied"#, "delivered and not opened(machine: false)",
        "opens(machine: false) >= 1", #"opens(machine: false, campaign: ["Autumn", "Spring Sale"]) > 0"#,
    ]

    /// Each query's members with the kept sets, and with them turned off.
    static func expectSameAnswers(_ f: ActionsFixture, _ stage: String, _ queries: [String] = queries) throws {
        for q in queries {
            f.session.useKeptSets = true
            let kept = try f.members(q).sorted()
            f.session.useKeptSets = false
            let plain = try f.members(q).sorted()
            f.session.useKeptSets = true
            #expect(kept == plain, "\(stage): \(q)")
        }
    }

    @Test func keptThroughImportsMergesFooterLinksAndTheRebuild() throws {
        let f = try ActionsFixture(extra: [
            #"{"record":"campaign","name":"Autumn","channel":"email","sent_at":"2026-03-05T09:00:00Z"}"#,
            #"{"record":"link","campaign":"Autumn","url":"https://shop.example.com/privacy","footer":false}"#,
            #"{"record":"event","kind":"sent","contact":"cy@example.com","campaign":"Autumn","ts":"2026-03-05T09:00:00Z"}"#,
            #"{"record":"event","kind":"sent","contact":"dee@example.com","campaign":"Autumn","ts":"2026-03-05T09:00:00Z"}"#,
            #"{"record":"event","kind":"clicked","contact":"cy@example.com","campaign":"Autumn","url":"https://shop.example.com/privacy","ts":"2026-03-05T10:00:00Z"}"#,
            #"{"record":"event","kind":"opened","contact":"dee@example.com","campaign":"Autumn","ts":"2026-03-05T10:00:00Z","machine":true}"#,
        ])
        let store = f.temp.store
        try Self.expectSetsMatchActivity(store, "first import")
        try Self.expectSameAnswers(f, "first import")
        // The engine reads the sets: explain says so, and analyze counts sets read.
        #expect(f.run(#"explain analyze delivered(channel: email)"#) == nil)
        #expect(f.lastText().contains("campaign_sets: the contacts with deliveries in 2 campaigns, 2 sets"), "\(f.lastText())")
        #expect(f.lastText().contains("read 2 (exact)"), "\(f.lastText())")

        // A second import: new events in both campaigns, the privacy link now a footer
        // link (Autumn's clicks recounted), and an SMS contact merged into an e-mail one.
        _ = try Importer(store: store).run([.text([
            #"{"record":"link","campaign":"Autumn","url":"https://shop.example.com/privacy","footer":true}"#,
            #"{"record":"event","kind":"opened","contact":"cy@example.com","campaign":"Spring Sale","ts":"2026-03-02T10:00:00Z"}"#,
            #"{"record":"event","kind":"opened","contact":"dee@example.com","campaign":"Autumn","ts":"2026-03-05T11:00:00Z"}"#,
            #"{"record":"event","kind":"bounced","contact":"ana@example.com","campaign":"Autumn","ts":"2026-03-05T09:01:00Z","bounce":"hard"}"#,
            #"{"record":"event","kind":"complained","contact":"+46700000001","campaign":"Flash SMS","ts":"2026-03-02T10:00:00Z"}"#,
            #"{"record":"contact","email":"dee@example.com","phone":"+46700000001"}"#,
        ].joined(separator: "\n") + "\n", name: "later.jsonl")])
        try Self.expectSetsMatchActivity(store, "second import")
        try Self.expectSameAnswers(f, "second import")
        #expect(try f.members("clicked(footer: true) and not clicked") == ["cy@example.com"])
        #expect(try f.members("complained") == ["dee@example.com"])
        // dee's machine open of Autumn did not make them one who opened; their later open did.
        #expect(try f.members(#"opened(machine: false, campaign: "Autumn")"#) == ["dee@example.com"])
        #expect(f.run(#"explain opened(machine: false)"#) == nil)
        #expect(f.lastText().contains("campaign_sets: the contacts with human_opens in 3 campaigns"), "\(f.lastText())")

        // Another tool's change to `activity`, then the rebuild.
        try store.database.execute("DELETE FROM campaign_sets WHERE campaign_id = (SELECT id FROM campaigns WHERE name = 'Autumn')")
        // Without Autumn's sets, a condition over it is read by its SQL, with the same answer.
        #expect(f.run("explain sent(channel: email)") == nil)
        #expect(!f.lastText().contains("campaign_sets"), "\(f.lastText())")
        try Self.expectSameAnswers(f, "Autumn without sets")
        try store.rebuildRollups()
        try Self.expectSetsMatchActivity(store, "rebuild")
        try Self.expectSameAnswers(f, "rebuild")
    }

    /// A store of version 8 kept no set of the people who opened or of bounce types, nor
    /// the e-mail domain index: opening it makes them, in the migration.
    @Test func aVersion8StoreGainsThePeopleWhoOpenedAndTheBounceTypes() throws {
        let f = try ActionsFixture(extra: [
            #"{"record":"event","kind":"opened","contact":"cy@example.com","campaign":"Spring Sale","ts":"2026-03-01T12:00:00Z","machine":true}"#,
            #"{"record":"event","kind":"bounced","contact":"dee@example.com","campaign":"Spring Sale","ts":"2026-03-01T09:01:00Z","bounce":"hard"}"#,
        ])
        let db = f.temp.store.database
        try db.transaction {
            try db.execute("DELETE FROM campaign_sets WHERE measure IN ('human_opens', 'hard_bounces', 'soft_bounces')")
            try db.execute("DROP INDEX contacts_by_email_domain")
            try db.recordSchemaVersion(8)
        }
        let store = try Store(path: f.temp.path)
        #expect(try store.schemaVersion() == Schema.version)
        for measure in ["human_opens", "hard_bounces", "soft_bounces"] {
            #expect(try store.database.int64("SELECT count(*) FROM campaign_sets WHERE measure = ?1", [.text(measure)]) == 2, "\(measure)")
        }
        #expect(try f.members(#"email matches "*@example.com""#).count == 4)
        try Self.expectSetsMatchActivity(store, "migrated")
    }

    /// Bounces of a type: "at least one" a union of the campaigns' sets of that type; a
    /// count the sets of the campaigns with at most one bounce per contact, counted per
    /// contact, beside the bounces of the others.
    @Test func bouncesOfATypeAreReadFromTheirSets() throws {
        func bounce(_ contact: String, _ campaign: String, _ type: String, _ ts: String) -> String {
            #"{"record":"event","kind":"bounced","contact":"\#(contact)","campaign":"\#(campaign)","ts":"\#(ts)","bounce":"\#(type)"}"#
        }
        let f = try ActionsFixture(extra: [
            #"{"record":"campaign","name":"Autumn","channel":"email","sent_at":"2026-03-05T09:00:00Z"}"#,
            #"{"record":"campaign","name":"Winter","channel":"email","sent_at":"2026-03-06T09:00:00Z"}"#,
            bounce("ana@example.com", "Spring Sale", "soft", "2026-03-01T09:02:00Z"),
            bounce("ana@example.com", "Autumn", "soft", "2026-03-05T09:02:00Z"),
            bounce("ana@example.com", "Winter", "soft", "2026-03-06T09:02:00Z"),
            bounce("ana@example.com", "Winter", "soft", "2026-03-06T10:02:00Z"),
            bounce("cy@example.com", "Autumn", "soft", "2026-03-05T09:03:00Z"),
            bounce("bo@example.com", "Spring Sale", "hard", "2026-03-01T09:03:00Z"),
            bounce("dee@example.com", "Winter", "hard", "2026-03-06T09:03:00Z"),
        ])
        try Self.expectSetsMatchActivity(f.temp.store, "bounces")
        let queries = [
            "bounced(type: hard)", "bounced(type: soft) and not bounced(type: hard)", #"bounced(type: soft, campaign: "Winter")"#,
            "bounces(type: soft) >= 4", "bounces(type: soft) >= 2", "bounces(type: soft) = 1", "bounces(type: soft) < 2",
            #"bounces(type: soft, campaign: ["Autumn", "Spring Sale"]) = 2"#, "bounces(type: hard) = 0", "bounced(type: soft, at_least: 2)",
        ]
        try Self.expectSameAnswers(f, "bounces", queries)
        #expect(try f.members("bounced(type: hard)").sorted() == ["bo@example.com", "dee@example.com"])
        #expect(try f.members("bounces(type: soft) >= 4") == ["ana@example.com"])
        #expect(try f.members("bounces(type: soft) = 1") == ["cy@example.com"])
        #expect(try f.members(#"bounces(type: soft, campaign: ["Autumn", "Spring Sale"]) = 2"#) == ["ana@example.com"])
        #expect(f.run("explain analyze bounces(type: soft) >= 2") == nil)
        #expect(f.lastText().contains("campaign_sets: the contacts with soft_bounces in 2 campaigns with at most one each, 2 sets, "
            + "and events_by_campaign: soft bounces of 1 campaign with more, counted per contact"), "\(f.lastText())")
        #expect(f.run("explain bounced(type: hard)") == nil)
        #expect(f.lastText().contains("campaign_sets: the contacts with hard_bounces in 4 campaigns"), "\(f.lastText())")
    }

    @Test func theCodingRoundTripsAndRefusesWhatItDidNotWrite() throws {
        let f = try ActionsFixture()
        let db = f.temp.store.database
        // A dense set (words) and a sparse one (gaps), stored and read back.
        let maxID = try db.int64("SELECT max(id) FROM contacts") ?? 0
        let campaign = try #require(try db.int64("SELECT id FROM campaigns WHERE name = 'Spring Sale'"))
        let read = CampaignSetsRead(measures: [.count(.deliveries)], campaigns: [campaign])
        #expect(try f.temp.store.campaignSetsUnion(read, maxID: maxID)?.set.count == 3)
        for bad in ["", "x", "wAAA", "d////", "d!!!!", "wAAAAAAAAAA="] {
            try db.execute("UPDATE campaign_sets SET contacts = ?1 WHERE campaign_id = ?2 AND measure = 'deliveries'", [.text(bad), .integer(campaign)])
            #expect(try f.temp.store.campaignSetsUnion(read, maxID: maxID) == nil, "\(bad) read as a set")
        }
        // And the engine then reads the condition by its SQL.
        #expect(try f.members(#"delivered(campaign: "Spring Sale")"#).sorted() == ["ana@example.com", "bo@example.com", "cy@example.com"])
    }

    /// Autumn, sent on 2026-03-03 to ana and cy and delivered to both.
    static let autumn = [
        #"{"record":"campaign","name":"Autumn","channel":"email","sent_at":"2026-03-03T09:00:00Z"}"#,
        #"{"record":"event","kind":"sent","contact":"ana@example.com","campaign":"Autumn","ts":"2026-03-03T09:00:00Z"}"#,
        #"{"record":"event","kind":"sent","contact":"cy@example.com","campaign":"Autumn","ts":"2026-03-03T09:00:00Z"}"#,
        #"{"record":"event","kind":"delivered","contact":"ana@example.com","campaign":"Autumn","ts":"2026-03-03T09:01:00Z"}"#,
        #"{"record":"event","kind":"delivered","contact":"cy@example.com","campaign":"Autumn","ts":"2026-03-03T09:01:00Z"}"#,
    ]

    /// Windows and counts read from the kept sets of whole campaigns beside the rows of
    /// the others (docs/planner.md § Counts and windows beside the kept sets): the same
    /// answers as the SQL, and the plan says it reads the sets.
    @Test func windowsAndCountsBesideTheKeptSets() throws {
        let f = try ActionsFixture(extra: Self.autumn + [
            #"{"record":"event","kind":"opened","contact":"ana@example.com","campaign":"Autumn","ts":"2026-03-03T10:00:00Z"}"#,
            #"{"record":"event","kind":"opened","contact":"ana@example.com","campaign":"Autumn","ts":"2026-03-03T12:00:00Z"}"#,
            #"{"record":"event","kind":"opened","contact":"cy@example.com","campaign":"Spring Sale","ts":"2026-03-03T11:00:00Z"}"#,
            #"{"record":"event","kind":"sent","contact":"ana@example.com","campaign":"Spring Sale","ts":"2026-03-01T09:00:00Z"}"#,
            #"{"record":"event","kind":"sent","contact":"bo@example.com","campaign":"Spring Sale","ts":"2026-03-01T09:00:00Z"}"#,
            #"{"record":"event","kind":"sent","contact":"cy@example.com","campaign":"Spring Sale","ts":"2026-03-01T09:00:00Z"}"#,
        ])
        let queries = [
            "delivered(within: 2d)", "deliveries(within: 5d) >= 2", "deliveries(within: 5d) = 1", "deliveries(within: 5d) = 0",
            #"deliveries(since: "2026-03-01") >= 2"#, #"opened(since: "2026-03-01T10:30:00Z")"#,
            #"opens(since: "2026-03-01T10:30:00Z") >= 2"#, #"opened(since: "2026-03-01T10:30:00Z", at_least: 2)"#,
            #"opened(since: "2026-03-01", at_least: 2)"#, #"delivered(within: 7d, at_least: 2) and not clicked"#,
            #"deliveries(campaign: ["Spring Sale", "Autumn", "Flash SMS"]) >= 2"#, #"sends(campaign: ["Spring Sale", "Autumn"]) < 2"#,
            #"opened(before: "2026-03-03", at_least: 1) or delivered(since: "2026-03-02", at_least: 2)"#,
            // Over every campaign: each campaign with the kind, those of one each from their sets.
            "deliveries >= 2", "deliveries = 1", "deliveries <= 1", "sends != 1", "opens >= 2", "opens < 2",
            // `of_last` over a window: Autumn's opens wholly inside it, Spring Sale's cut.
            #"opened(of_last: 1, since: "2026-03-01T10:30:00Z")"#, #"opened(of_last: 2, since: "2026-03-01T10:30:00Z", at_least: 2)"#,
            #"not opened(of_last: 1, before: "2026-03-03T11:30:00Z")"#, "opened(of_last: 1, within: 1d)",
        ]
        try Self.expectSameAnswers(f, "windows", queries)
        #expect(try f.members("deliveries(within: 5d) >= 2") == ["ana@example.com", "cy@example.com"])
        #expect(try f.members(#"opened(since: "2026-03-01T10:30:00Z", at_least: 1)"#) == ["ana@example.com", "bo@example.com", "cy@example.com"])
        #expect(try f.members(#"opened(since: "2026-03-01T10:30:00Z", at_least: 2)"#) == [])
        // On Citus the count is the SQL's, grouped on the shards (docs/planner.md).
        guard !f.temp.store.isCitus else { return }
        // A count over whole campaigns with one delivery per contact: their sets, counted.
        #expect(f.run("explain analyze deliveries(within: 5d) >= 2") == nil)
        #expect(f.lastText().contains("campaign_sets: the contacts with deliveries in "), "\(f.lastText())")
        #expect(f.lastText().contains("counted per contact"), "\(f.lastText())")
        #expect(try f.members("deliveries >= 2") == ["ana@example.com", "cy@example.com"])
        // Every campaign's deliveries: each campaign's set (one delivery per contact in each), not `contact_activity`.
        #expect(f.run("explain deliveries >= 2") == nil)
        #expect(f.lastText().contains("campaign_sets: the contacts with deliveries in 3 campaigns with at most one each"), "\(f.lastText())")
        // Each contact's last campaign (Autumn for ana and cy, Spring Sale for bo): ana's
        // Autumn opens from its set, bo's Spring Sale open from the events the window cuts.
        #expect(try f.members(#"opened(of_last: 1, since: "2026-03-01T10:30:00Z")"#) == ["ana@example.com", "bo@example.com"])
        #expect(f.run(#"explain analyze opened(of_last: 1, since: "2026-03-01T10:30:00Z")"#) == nil)
        #expect(f.lastText().contains("campaign_sets: the contacts with opens in 1 campaign wholly in the window, and events_by_campaign: opens of 1 campaign the window cuts"), "\(f.lastText())")
        // at_least over a window that cuts Spring Sale's opens: Autumn's set, Spring
        // Sale's opens in the window.
        #expect(f.run(#"explain analyze opened(since: "2026-03-01T10:30:00Z", at_least: 1)"#) == nil)
        #expect(f.lastText().contains("wholly in the window"), "\(f.lastText())")
        #expect(f.lastText().contains("the window cuts"), "\(f.lastText())")
    }

    /// `at_least` and `of_last` asking for a message: a campaign of one message holds its
    /// first whole (its set answers `message: 1`, and it has no later one); a campaign of
    /// more messages answers from its sets of that message (schema version 10).
    @Test func aMessageBesideTheKeptSets() throws {
        let f = try ActionsFixture(extra: Self.autumn + [
            #"{"record":"event","kind":"opened","contact":"cy@example.com","campaign":"Autumn","ts":"2026-03-03T10:00:00Z"}"#,
            #"{"record":"event","kind":"sent","contact":"ana@example.com","campaign":"Spring Sale","ts":"2026-03-01T09:00:00Z"}"#,
            #"{"record":"event","kind":"sent","contact":"bo@example.com","campaign":"Spring Sale","ts":"2026-03-01T09:00:00Z"}"#,
            #"{"record":"event","kind":"delivered","contact":"ana@example.com","campaign":"Spring Sale","ts":"2026-03-01T09:01:00Z"}"#,
            #"{"record":"event","kind":"delivered","contact":"bo@example.com","campaign":"Spring Sale","message":2,"ts":"2026-03-02T09:01:00Z"}"#,
            #"{"record":"event","kind":"opened","contact":"bo@example.com","campaign":"Spring Sale","message":2,"ts":"2026-03-02T10:00:00Z"}"#,
            #"{"record":"event","kind":"opened","contact":"ana@example.com","campaign":"Spring Sale","ts":"2026-03-01T10:00:00Z"}"#,
        ])
        let queries = [
            "delivered(message: 1, at_least: 2)", "delivered(message: 2, at_least: 1)", "delivered(message: 1, at_least: 1)",
            #"delivered(since: "2026-03-01T09:30:00Z", message: 1, at_least: 1)"#, #"opened(within: 7d, message: 2, at_least: 1)"#,
            "opened(of_last: 1, message: 1)", "opened(of_last: 2, message: 2)", "opened(of_last: 1, message: 2)",
            #"opened(of_last: 2, message: 1, since: "2026-03-01T09:30:00Z", at_least: 2)"#, "not delivered(message: 1, at_least: 2)",
        ]
        try Self.expectSameAnswers(f, "messages", queries)
        // ana and cy: Spring Sale's first message and Autumn's; bo only Spring Sale's
        // first and second.
        #expect(try f.members("delivered(message: 1, at_least: 2)") == ["ana@example.com", "cy@example.com"])
        #expect(try f.members("delivered(message: 2, at_least: 1)") == ["bo@example.com"])
        // bo's last campaign is Spring Sale, whose second message he opened.
        #expect(try f.members("opened(of_last: 1, message: 2)") == ["bo@example.com"])
        try Self.expectSetsMatchActivity(f.temp.store, "messages")
        guard !f.temp.store.isCitus else { return }
        // Spring Sale's sets of its first message, Autumn's and Flash SMS's whole sets.
        #expect(f.run("explain analyze delivered(message: 1, at_least: 2)") == nil)
        #expect(f.lastText().contains("campaign_sets: the contacts with deliveries of message 1 in 3 campaigns, 3 sets"), "\(f.lastText())")
        #expect(!f.lastText().contains("events_by_campaign"), "\(f.lastText())")
        #expect(f.run("explain opened(message: 2)") == nil)
        #expect(f.lastText().contains("campaign_sets: the contacts with opens of message 2 in 1 campaign, 1 set"), "\(f.lastText())")
        #expect(f.run("explain opened(of_last: 1, message: 2)") == nil)
        #expect(f.lastText().contains("campaign_sets: the contacts with opens of message 2;"), "\(f.lastText())")
        // A set missing (a store another tool wrote): each leaf is read by its SQL instead.
        try f.temp.store.database.execute("DELETE FROM campaign_sets WHERE measure LIKE '%#%'")
        try Self.expectSameAnswers(f, "messages without their sets", queries)
        #expect(try f.members("opened(of_last: 1, message: 2)") == ["bo@example.com"])
        #expect(try f.members("delivered(message: 1, at_least: 2)") == ["ana@example.com", "cy@example.com"])
    }

    /// A sequence's later message arriving in a later import: the campaign's messages are
    /// raised before its sets are recomputed, so the new message has its sets; a store of
    /// version 9 gains them when it is opened.
    @Test func eachMessageOfASequenceHasItsSets() throws {
        let f = try ActionsFixture(extra: [
            #"{"record":"campaign","name":"Drip","channel":"email","sent_at":"2026-03-02T09:00:00Z"}"#,
            #"{"record":"event","kind":"sent","contact":"ana@example.com","campaign":"Drip","ts":"2026-03-02T09:00:00Z"}"#,
            #"{"record":"event","kind":"sent","contact":"bo@example.com","campaign":"Drip","ts":"2026-03-02T09:00:00Z"}"#,
        ])
        let queries = [#"sent(campaign: "Drip", message: 2)"#, "sent(message: 2)", "sent(message: 1)", #"opened(message: 2) or sent(campaign: "Drip", message: 1)"#]
        try Self.expectSameAnswers(f, "one message", queries)
        #expect(try f.members(#"sent(campaign: "Drip", message: 2)"#).isEmpty)
        _ = try Importer(store: f.temp.store).run([.text("""
            {"record":"event","kind":"sent","contact":"bo@example.com","campaign":"Drip","message":2,"ts":"2026-03-04T09:00:00Z"}
            {"record":"event","kind":"opened","contact":"bo@example.com","campaign":"Drip","message":2,"ts":"2026-03-04T10:00:00Z","machine":true}

            """, name: "later.jsonl")])
        try Self.expectSetsMatchActivity(f.temp.store, "a later message")
        try Self.expectSameAnswers(f, "a later message", queries + ["opened(message: 2, machine: true)", "opened(message: 2, machine: false)"])
        #expect(try f.members(#"sent(campaign: "Drip", message: 2)"#) == ["bo@example.com"])
        #expect(try f.members("opened(message: 2, machine: true)") == ["bo@example.com"])
        guard !f.temp.store.isCitus else { return }
        #expect(f.run(#"explain sent(campaign: "Drip", message: 2)"#) == nil)
        #expect(f.lastText().contains("campaign_sets: the contacts with sends of message 2 in 1 campaign"), "\(f.lastText())")
        // A store of version 9: the sets of each message are made when it is opened.
        let db = f.temp.store.database
        try db.transaction {
            try db.execute("DELETE FROM campaign_sets WHERE measure LIKE '%#%'")
            try db.recordSchemaVersion(9)
        }
        let store = try Store(path: f.temp.path)
        #expect(try store.schemaVersion() == Schema.version)
        try Self.expectSetsMatchActivity(store, "migrated to version 10")
    }
}
