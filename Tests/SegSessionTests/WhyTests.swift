import Foundation
import SegQL
@testable import SegSession
import SegStore
import Testing

/// `why CONTACT in QUERY`: the tree's root is the contact's membership, and each
/// condition shows what decided it. Runs on SQLite, and on PostgreSQL under
/// scripts/with-postgres.sh.
@Suite(.serialized) struct WhyTests {
    /// For random stores, random queries (aliases, built-ins, the campaign context) and
    /// random contacts, the root's truth value is whether the set engine selects the
    /// contact, and every event condition's truth is its count tested.
    @Test(arguments: [UInt64(11), 12, 13])
    func rootAgreesWithMembership(seed: UInt64) throws {
        let f = try RandomSessionFixture(seed: seed)
        let (temp, model, session) = (f.temp, f.model, f.session)
        var generator = RandomQueryBuilder(seed: seed &* 31, store: model)
        if session.runReportingError("let hot = \(generator.query(depth: 2))") == nil { generator.aliases = ["hot"] }
        let contacts = try temp.store.database.int64("SELECT max(id) FROM contacts", []) ?? 0
        #expect(contacts > 10)
        var rng = SeededRandom(seed: seed)
        let email = model.campaigns.first { $0.channel == "email" && $0.sentAt != nil }?.name
        var checked = 0, inside = 0
        for i in 0..<60 {
            let text = generator.query()
            let file = SourceFile(name: "q", text: text)
            guard let query = Parser.parseQuery(file).query else { continue }
            let context = i % 2 == 0 ? nil : email
            try f.use(context)
            guard let compiled = try? session.compile(query, projection: .count, in: file) else { continue }
            let members = Set(try session.contactIDs(compiled))
            for _ in 0..<8 {
                let id = Int64(rng.int(1...Int(contacts)))
                let tree = try session.whyTree(query, contactID: id)
                #expect(tree.holds == members.contains(id), "seed \(seed), context \(context ?? "none"), contact \(id): \(text)")
                try Self.checkEvidence(tree, text)
                checked += 1
                if tree.holds { inside += 1 }
            }
        }
        #expect(checked >= 200)
        #expect(inside > checked / 10 && inside < checked * 9 / 10, "\(inside) of \(checked) inside")
    }

    /// Every event condition holds exactly when its number of events passes its test,
    /// lists at most `eventsShown` of them, and every `and`, `or`, `not` follows its operands.
    static func checkEvidence(_ n: WhyNode, _ text: String) throws {
        if let found = n.found, let test = n.test {
            // The events read beside the engine's answer bear it out, N of M too: the
            // events of the contact's last N campaigns for `of_last:`, and for
            // `at_least:` the distinct campaigns among them.
            #expect(test.holds(for: found) == n.holds, "\(n.condition) in \(text)")
            let count = try #require(n.eventCount)
            #expect(n.events.count == min(Int(count), WhyNode.eventsShown))
            #expect(n.events.map(\.ts) == n.events.map(\.ts).sorted())
            if let campaignsFound = n.campaignsFound {
                #expect(Int64(campaignsFound.count) == found && Set(campaignsFound).count == campaignsFound.count)
                if let campaigns = n.campaigns { #expect(Set(campaignsFound).isSubset(of: campaigns)) }
            }
            if n.condition.contains("of_last:"), let campaigns = n.campaigns {
                #expect(n.events.allSatisfy { campaigns.contains($0.campaign) })
            }
        }
        switch n.condition {
        case "and": #expect(n.holds == n.children.allSatisfy(\.holds))
        case "or": #expect(n.holds == n.children.contains(where: \.holds))
        case "not": #expect(n.holds == !n.children[0].holds)
        default: break
        }
        for c in n.children { try checkEvidence(c, text) }
    }

    @Test func showsTheEventsAndValuesThatDecided() throws {
        let f = try ActionsFixture()
        #expect(f.run(#"why "ANA@example.com" in opened(campaign: "Spring Sale") and not clicked(link: "/pricing") or country = "NO""#) == nil)
        let text = try #require(f.output.texts.last)
        #expect(text.hasPrefix(#"ana@example.com (contact 1) is not in: opened(campaign: "Spring Sale") and not clicked(link: "/pricing") or country = "NO""#))
        #expect(text.contains(#"yes opened(campaign: "Spring Sale"): 1 event found, needs >= 1"#))
        #expect(text.contains(#"2026-03-01T10:00:00Z  opened  "Spring Sale""#))
        #expect(text.contains("no  not (what follows holds)"))
        #expect(text.contains(#"2026-03-01T10:01:00Z  clicked  "Spring Sale"  https://shop.example.com/pricing?utm=1"#))
        #expect(text.contains(#"no  country = "NO": country is "SE""#))

        // By phone and by id; a built-in audience shows its definition; the absence under `not`.
        #expect(f.run(#"why "+46700000001" in not opened"#) == nil)
        #expect(f.output.texts.last?.contains("yes not (what follows does not hold)") == true)
        #expect(f.output.texts.last?.contains("no  opened: 0 events found, needs >= 1") == true)
        #expect(f.run("why 2 in suppressed") == nil)
        let suppressed = try #require(f.output.texts.last)
        #expect(suppressed.hasPrefix("bo@example.com (contact 2) is in: suppressed"))
        #expect(suppressed.contains(#"yes unsubscribed(campaign: "*"): 1 event found, needs >= 1"#))
        #expect(f.run("why 4 in first_name exists") == nil)
        #expect(f.output.texts.last?.contains("no  first_name exists: first_name is not set") == true)
    }

    /// N of M: how many of the M campaigns the contact did and which; for `of_last`
    /// which campaigns are its last M.
    @Test func nOfMSaysWhichCampaignsCounted() throws {
        func event(_ kind: String, _ campaign: String, _ ts: String) -> String {
            #"{"record":"event","kind":"\#(kind)","contact":"ana@example.com","campaign":"\#(campaign)","ts":"\#(ts)"}"#
        }
        let sends = ["A", "B", "C", "D", "E"].enumerated().map { event("sent", $0.element, "2026-02-0\($0.offset + 1)T09:00:00Z") }
        let opens = [event("opened", "A", "2026-02-01T10:00:00Z"), event("opened", "C", "2026-02-03T10:00:00Z"),
                     event("opened", "C", "2026-02-04T10:00:00Z")]
        let f = try ActionsFixture(extra: sends + opens)
        #expect(f.run(#"why "ana@example.com" in opened(campaign: ["A", "B", "C", "D", "E"], at_least: 3)"#) == nil)
        let nOfM = try #require(f.output.texts.last)
        #expect(nOfM.contains(#": 2 of 5 campaigns (needs >= 3): "A", "C""#), "\(nOfM)")
        #expect(nOfM.hasPrefix("ana@example.com (contact 1) is not in:"))
        #expect(nOfM.contains("… and 1 more") == false && nOfM.components(separatedBy: "  opened  ").count == 4)

        #expect(f.run(#"why "ana@example.com" in opened(of_last: 3, at_least: 2)"#) == nil)
        let last = try #require(f.output.texts.last)
        #expect(last.contains(#"no  opened(of_last: 3, at_least: 2): 1 of the last 3 campaigns (needs >= 2): "C""#), "\(last)")
        #expect(last.contains(#"the last 3 sent: "E", "D", "C""#))
        #expect(!last.contains(#"opened  "A""#))  // A is not among the last 3

        #expect(f.run(#"why "ana@example.com" in not clicked(of_last: 3)"#) == nil)
        let none = try #require(f.output.texts.last)
        #expect(none.contains("yes not (what follows does not hold)"))
        #expect(none.contains(": 0 events found in the last 3 campaigns sent, needs >= 1"), "\(none)")

        let q = try #require(Parser.parseQuery(SourceFile(name: "q", text: #"opened(campaign: ["A", "B", "C", "D", "E"], at_least: 2)"#)).query)
        let tree = try f.session.whyTree(q, contactID: 1)
        #expect(tree.holds && tree.found == 2 && tree.eventCount == 3)
        let json = WhyRenderer.json(tree, contact: .init(id: 1, email: "ana@example.com", phone: nil), query: "q").text(indent: 0)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        let root = try #require(object["tree"] as? [String: Any])
        #expect(root["campaigns_found"] as? [String] == ["A", "C"])
        #expect(root["of_campaigns"] as? [String] == ["A", "B", "C", "D", "E"])
    }

    @Test func segmentsAndAliasesShowTheirDefinitions() throws {
        let f = try ActionsFixture()
        #expect(f.run(#"save segment nordic = country in ["SE", "NO"]; let readers = opened and segment nordic"#) == nil)
        #expect(f.run(#"use campaign "Spring Sale"; why "cy@example.com" in readers or list_free"#) != nil)  // an unknown name
        #expect(f.run(#"why "cy@example.com" in readers"#) == nil)
        let text = try #require(f.output.texts.last)
        #expect(text == """
            cy@example.com (contact 3) is not in: readers
            no  alias readers
            └─ no  and
               ├─ no  opened(campaign: "Spring Sale"): 0 events found, needs >= 1
               └─ yes segment "nordic"
                  └─ yes country in ["SE", "NO"]: country is "SE"
            """)
    }

    @Test func jsonIsTheSameTree() throws {
        let f = try ActionsFixture()
        let q = try #require(Parser.parseQuery(SourceFile(name: "q", text: "opens >= 1 and country = \"SE\"")).query)
        let tree = try f.session.whyTree(q, contactID: 1)
        let json = WhyRenderer.json(tree, contact: .init(id: 1, email: "ana@example.com", phone: nil), query: "q").text(indent: 0)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        #expect(object["in"] as? Bool == true)
        let root = try #require(object["tree"] as? [String: Any])
        #expect(root["condition"] as? String == "and")
        let children = try #require(root["children"] as? [[String: Any]])
        #expect(children.count == 2)
        #expect(children[0]["found"] as? Int == 1 && children[0]["needs"] as? String == ">= 1")
        #expect((children[0]["events"] as? [[String: Any]])?.first?["campaign"] as? String == "Spring Sale")
        #expect(children[1]["field"] as? String == "country" && children[1]["value"] as? String == "SE")
    }

    @Test func refusesAnUnknownContactAndBadSyntax() throws {
        let f = try ActionsFixture()
        let unknown = try #require(f.run(#"why "nobody@example.com" in openers"#))
        #expect(unknown.description.contains("t.segq:1:5: error: no contact with e-mail 'nobody@example.com'"))
        let syntax = try #require(f.run("why openers"))
        #expect(syntax.description.contains("expected a contact after 'why'"))
        let noIn = try #require(f.run("why 1 openers"))
        #expect(noIn.description.contains("expected 'in' after the contact"))
        // `why` is a keyword only where a statement starts with a contact.
        let field = try #require(f.run("why = 3"))
        #expect(field.description.contains("no contact field or attribute named 'why'"), "\(field)")
    }
}
