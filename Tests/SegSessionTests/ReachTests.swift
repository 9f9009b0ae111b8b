import Foundation
import SegQL
@testable import SegSession
import SegStore
import Testing

/// Reach: every figure is what `count` says of the matching query. Runs on SQLite, and
/// on PostgreSQL under scripts/with-postgres.sh.
@Suite(.serialized) struct ReachTests {
    @Test(arguments: [UInt64(31), 32])
    func figuresAreTheCountsOfTheMatchingQueries(seed: UInt64) throws {
        let f = try RandomSessionFixture(seed: seed)
        let (model, session, count) = (f.model, f.session, f.count)
        var generator = RandomQueryBuilder(seed: seed &* 13, store: model)
        let email = model.campaigns.first { $0.channel == "email" && $0.sentAt != nil }?.name
        let sms = model.campaigns.first { $0.channel == "sms" && $0.sentAt != nil }?.name
        var compared = 0, suppressedSeen = 0
        for i in 0..<24 {
            let context = [nil, email, sms][i % 3]
            try f.use(context)
            let text = "(" + generator.query() + ")"
            guard let q = Parser.parseQuery(SourceFile(name: "q", text: text)).query,
                  let r = try? session.reach(q, in: SourceFile(name: "q", text: text)) else { continue }
            // The prompt's path: the planner's own plan, whatever strategy it chose.
            let planned = try session.compile(q, projection: .count, in: SourceFile(name: "q", text: text))
            #expect(try session.reach(of: planned) == r, "\(text)")
            let isSMS = context != nil && context == sms
            #expect(r.channel == (isSMS ? .sms : .email))
            let address = isSMS ? "phone" : "email"
            #expect(r.audience == (try count(text)), "\(text)")
            #expect(r.reachable == (try count("\(text) and not suppressed and \(address) exists")), "\(text)")
            #expect(r.unsubscribed == (try count(#"\#(text) and unsubscribed(campaign: "*")"#)))
            #expect(r.complained == (try count(#"\#(text) and complained(campaign: "*")"#)))
            #expect(r.hardBounced == (try count(#"\#(text) and bounced(type: hard, campaign: "*")"#)))
            #expect(r.noAddress == (try count("\(text) and not \(address) exists")))
            if isSMS {
                #expect(r.openers == nil && r.machineOnlyOpeners == nil)
            } else {
                #expect(r.openers == (try count("\(text) and opened")))
                #expect(r.machineOnlyOpeners == (try count("\(text) and opened and not opened(machine: false)")))
            }
            compared += 1
            if r.suppressed > 0 { suppressedSeen += 1 }
        }
        #expect(compared >= 15 && suppressedSeen >= 3, "\(compared) compared, \(suppressedSeen) with suppressed members")
    }

    @Test func everyCountAtThePromptSaysItsReach() throws {
        let f = try ActionsFixture()
        f.session.mode = .interactive
        #expect(f.run("count everyone") == nil)
        #expect(f.output.counts.last == 5)
        // bo unsubscribed; the SMS-only contact has no e-mail address.
        #expect(f.output.texts.last == "3 mailable by email, 2 not: 1 unsubscribed, 1 no e-mail address\n2 openers, 0 of them machine-only (every open by a privacy proxy)")
        #expect(f.run(#"use campaign "Flash SMS"; count everyone"#) == nil)
        #expect(f.output.texts.last == "1 textable by sms, 4 not: 1 unsubscribed, 4 no phone number")
        // Scripts print the count alone.
        f.session.mode = .script
        let texts = f.output.texts.count
        #expect(f.run("count everyone") == nil)
        #expect(f.output.texts.count == texts && f.output.counts.last == 5)
    }

    @Test func reachStatementIsOneRow() throws {
        let f = try ActionsFixture(extra: [
            #"{"record":"event","kind":"opened","contact":"cy@example.com","campaign":"Spring Sale","ts":"2026-03-01T12:00:00Z","machine":true}"#,
        ])
        let r = try f.session.reach(Parser.parseQuery(SourceFile(name: "q", text: "openers")).query!, in: SourceFile(name: "q", text: ""))
        #expect(r == Reach(channel: .email, audience: 3, reachable: 2, unsubscribed: 1, complained: 0, hardBounced: 0, noAddress: 0,
                           openers: 3, machineOnlyOpeners: 1))
        #expect(f.run("reach openers") == nil)
        #expect(f.output.ids.last == 3)
        #expect(f.run("reach = 3")?.description.contains("no contact field or attribute named 'reach'") == true)
        #expect(f.run("reach")?.description.contains("expected a query after 'reach'") == true)
    }
}
