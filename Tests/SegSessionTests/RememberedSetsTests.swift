// A condition's set read whole by one statement is reused by the next while the store
// has not changed (Store.rememberedSet), and never after it has: a write by this
// connection, or a commit by another, forgets every set.

import Foundation
import SegQL
import SegSession
import SegStore
import Testing

@Suite(.serialized) struct RememberedSetsTests {
    /// The program of `text` as `count` compiles it.
    func program(_ f: ActionsFixture, _ text: String) throws -> SetProgram {
        let file = SourceFile(name: "q", text: text)
        let q = try #require(Parser.parseQuery(file).0)
        return try #require(try f.session.compile(q, projection: .count, in: file).program)
    }

    func opener(_ who: String, at ts: String) -> String {
        #"{"record":"event","kind":"opened","contact":"\#(who)","campaign":"Spring Sale","ts":"\#(ts)"}"#
    }

    @Test func aSetIsReusedUntilThisConnectionWrites() throws {
        let f = try ActionsFixture()
        let text = #"opened(campaign: "Spring Sale") and country = "SE""#
        #expect(try f.members(text) == ["ana@example.com"])
        let p = try program(f, text)
        // Both conditions were read whole (the `and` reads the smaller first, then the other
        // restricted unless the factor allows): at least one leaf is remembered, on SQLite;
        // PostgreSQL, which has no cheap change mark, remembers none.
        if TemporaryStore.postgres == nil {
            #expect(try p.leaves.contains { try f.temp.store.rememberedSet(of: $0) != nil })
        } else {
            #expect(try p.leaves.allSatisfy { try f.temp.store.rememberedSet(of: $0) == nil })
        }
        // A write by this session forgets them, and the next count sees the new data.
        _ = try Importer(store: f.temp.store).run([.text(opener("cy@example.com", at: "2026-03-01T12:00:00Z") + "\n", name: "more.jsonl")])
        #expect(try p.leaves.allSatisfy { try f.temp.store.rememberedSet(of: $0) == nil })
        #expect(try f.members(text).sorted() == ["ana@example.com", "cy@example.com"])
    }

    @Test func aCommitByAnotherConnectionForgetsTheSets() throws {
        guard TemporaryStore.postgres == nil else { return }  // SQLite only: PostgreSQL reads every time
        let f = try ActionsFixture()
        let text = #"opened(campaign: "Spring Sale")"#
        #expect(try f.members(text).sorted() == ["ana@example.com", "bo@example.com"])
        let p = try program(f, text)
        #expect(try p.leaves.contains { try f.temp.store.rememberedSet(of: $0) != nil })
        let other = try Store(path: f.temp.path)
        _ = try Importer(store: other).run([.text(opener("dee@example.com", at: "2026-03-01T12:00:00Z") + "\n", name: "other.jsonl")])
        #expect(try f.members(text).sorted() == ["ana@example.com", "bo@example.com", "dee@example.com"])
    }

    @Test func benchmarksReadEveryTime() throws {
        let f = try ActionsFixture()
        f.session.reusesReads = false
        let text = #"opened(campaign: "Spring Sale")"#
        f.run("count \(text)")
        let p = try program(f, text)
        #expect(try p.leaves.allSatisfy { try f.temp.store.rememberedSet(of: $0) == nil })
    }
}

@Suite(.serialized) struct RememberedSetsAcrossListsTests {
    /// Saving a list changes only the lists: the other conditions' sets carry over, a
    /// list's own condition is read again (and sees the new members).
    @Test func savingAListKeepsTheOtherSets() throws {
        guard TemporaryStore.postgres == nil else { return }  // SQLite only: PostgreSQL reads every time
        let f = try ActionsFixture()
        let text = #"opened(campaign: "Spring Sale")"#
        let file = SourceFile(name: "q", text: text)
        let q = try #require(Parser.parseQuery(file).0)
        let program = try #require(try f.session.compile(q, projection: .count, in: file).program)
        #expect(try f.members(text).sorted() == ["ana@example.com", "bo@example.com"])
        #expect(f.run(#"save list "openers" = \#(text)"#) == nil)
        #expect(try program.leaves.contains { try f.temp.store.rememberedSet(of: $0) != nil })
        // bo unsubscribed: a list leaves out the suppressed.
        #expect(try f.members(#"list "openers""#) == ["ana@example.com"])
        #expect(f.run(#"save or replace list "openers" = \#(text) including suppressed"#) == nil)
        #expect(try f.members(#"list "openers""#).sorted() == ["ana@example.com", "bo@example.com"])
    }
}
