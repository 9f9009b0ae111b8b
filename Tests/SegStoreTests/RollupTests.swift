import Foundation
import SegQL
import Testing
@testable import SegStore

/// A reproducible random stream for generated inputs.
typealias TestRandom = SplitMix64

extension SplitMix64 {
    mutating func chance(percent: Int) -> Bool { below(100) < percent }
}

/// Random canonical lines: events of every kind over a few campaigns, contacts named by
/// e-mail (in random case) and phone, links whose footer flag changes, duplicate ids,
/// declarations that merge contacts, and attribute updates.
func randomLines(_ r: inout TestRandom, count: Int, idBase: Int) -> String {
    let campaigns = ["A", "B", "C"]
    let urls = ["https://s.example/pricing?u=1", "https://s.example/unsubscribe", "https://s.example/blog/x"]
    var lines: [String] = []
    for n in 0..<count {
        let person = r.below(12)
        let who: String
        switch r.below(3) {
        case 0: who = "p\(person)@Example.com"
        case 1: who = "P\(person)@example.COM"
        default: who = "+46\(person)"
        }
        let campaign = campaigns[r.below(campaigns.count)]
        switch r.below(20) {
        case 0:
            lines.append(#"{"record":"link","campaign":"\#(campaign)","url":"\#(urls[r.below(3)])","footer":\#(r.chance(percent: 50))}"#)
        case 1:
            // Joins an e-mail contact and a phone contact: merges them if both exist.
            lines.append(#"{"record":"contact","email":"p\#(person)@example.com","phone":"+46\#(person)","attributes":{"n":\#(n),"gone":null}}"#)
        case 2:
            lines.append(#"{"record":"campaign","name":"\#(campaign)","messages":\#(1 + r.below(2))}"#)
        default:
            let kind = EventKind.allCases[r.below(EventKind.allCases.count)]
            var extra = ""
            switch kind {
            case .opened: extra = #","machine":\#(r.chance(percent: 30))"#
            case .clicked: if r.chance(percent: 80) { extra = #","url":"\#(urls[r.below(3)])""# }
            case .bounced: extra = #","bounce":"\#(r.chance(percent: 50) ? "hard" : "soft")","reason":"r""#
            default: break
            }
            let id = r.chance(percent: 70) ? #""id":"e\#(idBase + r.below(count))","# : ""
            lines.append(#"{"record":"event",\#(id)"kind":"\#(kind.verb)","contact":"\#(who)","campaign":"\#(campaign)","ts":\#(1_000 + r.below(100_000)),"message":\#(1 + r.below(2))\#(extra)}"#)
        }
    }
    return lines.joined(separator: "\n")
}

@Suite struct RollupTests {
    /// After random imports, the incrementally maintained rollups equal the rebuilt ones.
    @Test(arguments: [(1, false), (2, false), (3, true), (4, true)])
    func maintainedRollupsEqualRebuiltOnes(seed: UInt64, bulk: Bool) throws {
        let t = try TestStore(backendIndependent: true)
        let layout = try indexesAndKeys(t)
        var r = TestRandom(seed)
        for run in 0..<4 {
            // Small flush thresholds exercise mid-run flushes; bulk mode drops the indexes.
            let options = ImportOptions(now: 1, flushThreshold: 1 + r.below(40), bulkThreshold: bulk ? r.below(50) : nil)
            let s = try t.importText(randomLines(&r, count: 400, idBase: run * 200), options: options)
            #expect(s.committed && s.bad == 0)
            // Bulk mode was entered (on both backends), and made again what it dropped.
            #expect(s.phases.contains { $0.name.hasPrefix("rebuild index") } == bulk)
            #expect(s.phases.contains { $0.name.hasPrefix("add foreign key") } == (bulk && t.db.isPostgres))
        }
        #expect(try t.count("events") > 500)
        #expect(try t.count("activity", "footer_clicks > 0") > 0)
        #expect(try t.count("activity", "machine_opens > 0") > 0)
        try expectRollupsEqualRebuiltOnes(t)
        // The indexes (and on PostgreSQL the foreign keys) that bulk mode drops are all back.
        #expect(try indexesAndKeys(t) == layout)
        // On SQLite, the indexes are all back after bulk mode, and the store is consistent
        // (foreign keys are not checked during an import there; PostgreSQL checks them).
        if !t.db.isPostgres {
            let indexes = try t.rows("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'events' ORDER BY name")
            #expect(indexes.map { $0[0] } == ["events_by_campaign", "events_by_contact", "events_by_external_id",
                                              "events_by_kind_ts", "events_by_link"].map { SQLValue.text($0) })
            #expect(try t.text("PRAGMA integrity_check") == "ok")
            #expect(try t.rows("PRAGMA foreign_key_check").isEmpty)
        }
        // sent_at of campaigns without a declared one is their earliest sent event.
        let wrong = try t.int("""
            SELECT count(*) FROM campaigns c WHERE sent_at_declared = 0
              AND sent_at IS DISTINCT FROM (SELECT min(ts) FROM events WHERE campaign_id = c.id AND kind = 1)
            """)
        #expect(wrong == 0)
    }

    /// A first import into empty rollup tables, flushing its deltas many times (or once)
    /// and merging contacts on the way, gives the rollups the rebuild gives (on PostgreSQL
    /// the deltas then wait in the staging tables and are added up by one INSERT per table
    /// at the end or before a merge, or, flushed once, go straight into the table); so does
    /// a second import on top of it (merged as they come).
    @Test(arguments: [(5 as UInt64, false, true), (6, true, true), (7, true, true), (8, true, false), (9, false, false)])
    func importIntoEmptyRollupsEqualsRebuild(seed: UInt64, bulk: Bool, manyFlushes: Bool) throws {
        let t = try TestStore(backendIndependent: true)
        var r = TestRandom(seed)
        for run in 0..<2 {
            let options = ImportOptions(now: 1, flushThreshold: manyFlushes ? 1 + r.below(4) : 100_000,
                                        bulkThreshold: bulk ? 0 : nil)
            let s = try t.importText(randomLines(&r, count: 600, idBase: run * 300), options: options)
            #expect(s.committed && s.bad == 0)
            #expect(try t.count("activity") > 20)
            try expectRollupsEqualRebuiltOnes(t, after: "run \(run)")
        }
    }

    @Test func rebuildRollupsRepairsATamperedStore() throws {
        let t = try TestStore(backendIndependent: true)
        try t.importText(importExample)
        let good = try rollups(t)
        try t.db.execute("UPDATE activity SET opens = 99; DELETE FROM event_stats; DELETE FROM contact_activity")
        #expect(try rollups(t) != good)
        try t.store.rebuildRollups()
        #expect(try rollups(t) == good)
    }
}

/// Rebuilds the rollups and expects each table as the import maintained it.
func expectRollupsEqualRebuiltOnes(_ t: TestStore, after note: String = "the runs",
                                   sourceLocation: SourceLocation = #_sourceLocation) throws {
    let maintained = try rollups(t)
    try t.store.rebuildRollups()
    let rebuilt = try rollups(t)
    for (i, table) in ["activity", "contact_activity", "event_stats"].enumerated() {
        #expect(maintained[i] == rebuilt[i], "\(table) after \(note)", sourceLocation: sourceLocation)
    }
}

/// The definitions of the indexes of `events` and `activity` (on PostgreSQL also of
/// `contact_activity` and `contact_attributes`, and their foreign keys), sorted: what an
/// import's bulk mode drops and must make again.
func indexesAndKeys(_ t: TestStore) throws -> [[SQLValue]] {
    if !t.db.isPostgres {
        return try t.rows("""
            SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name IN ('events', 'activity') ORDER BY name
            """)
    }
    return try t.rows("""
        SELECT indexname, indexdef FROM pg_indexes
        WHERE schemaname = current_schema()
          AND tablename IN ('events', 'activity', 'contact_activity', 'contact_attributes')
        UNION ALL
        SELECT c.conname, pg_get_constraintdef(c.oid) FROM pg_constraint c
        JOIN pg_class r ON r.oid = c.conrelid JOIN pg_namespace n ON n.oid = r.relnamespace
        WHERE c.contype = 'f' AND n.nspname = current_schema()
          AND r.relname IN ('events', 'activity', 'contact_activity', 'contact_attributes')
        ORDER BY 1
        """)
}
