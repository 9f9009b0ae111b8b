import Foundation
import SegQL
import Testing
@testable import SegStore

/// The store's side of saving segments: it writes what the session decided, views
/// compiled by the compiler it was given (never its own), all in the caller's
/// transaction. On PostgreSQL too when the suite runs there.
@Suite struct StoreBoundaryTests {
    /// A compiler that answers every segment with one fixed contact, whatever its text.
    static let fixed: SegmentCompiler = { _, _, _, _, _, _ in
        .success(CompiledSQL(sql: "SELECT CAST(7 AS bigint) AS contact_id", parameters: []))
    }

    @Test func viewsHoldTheSQLTheGivenCompilerWrites() throws {
        let t = try TestStore(backendIndependent: true)
        t.store.segmentCompiler = Self.fixed
        let view = try t.store.writing {
            try t.store.saveSegment("readers", query: "opened", dependencies: [], savedAt: 0)
        }
        #expect(view == "segment_readers")
        try t.store.writing { try SegmentViews.refreshAll(in: t.store) }
        // Not `opened` compiled by the store: the view is what the compiler gave it.
        #expect(try t.int("SELECT contact_id FROM segment_readers") == 7)
    }

    @Test func withoutACompilerAnImportIntoAStoreWithSegmentsWritesNothing() throws {
        let t = try TestStore(backendIndependent: true)
        t.store.segmentCompiler = nil
        // No saved segment: no view to write, so no compiler is needed.
        try t.importText(#"{"record":"contact","email":"a@x.io"}"#)
        try t.store.writing { _ = try t.store.saveSegment("readers", query: "opened", dependencies: [], savedAt: 0) }
        #expect(throws: SegmentCompilerMissing()) {
            try t.importText(#"{"record":"contact","email":"b@x.io"}"#)
        }
        #expect(try t.count("contacts") == 1)
    }

    @Test func dependenciesAreRecordedOnceAndASegmentDoesNotUseItself() throws {
        let t = try TestStore(backendIndependent: true)
        try t.store.writing {
            _ = try t.store.saveSegment("base", query: "opened", dependencies: [], savedAt: 0)
            _ = try t.store.saveSegment(
                "uses", query: "segment \"base\" and list \"vip\"",
                dependencies: [("segment", "base"), ("list", "vip"), ("segment", "base")], savedAt: 0)
        }
        #expect(try t.count("segment_dependencies") == 2)
        #expect(try t.store.segmentsUsing(.segment, named: "base") == ["uses"])
        #expect(try t.store.segmentsUsing(.list, named: "vip") == ["uses"])
        #expect(try t.store.segmentsUsing(.segment, named: "uses") == [])
        try t.store.writing {
            try t.store.deleteSaved(.segment, named: "uses")
            try SegmentViews.refreshAll(in: t.store)
        }
        #expect(try t.store.hasSaved(.segment, named: "uses") == false)
        #expect(try t.store.savedNames(.segment) == ["base"])
        #expect(try t.store.relationNamesContain("segment_uses") == false)
        #expect(try t.store.relationNamesContain("segment_base"))
    }

    @Test func aSegmentNamedLikeAStoreTableGetsAViewNameOfItsOwn() throws {
        let t = try TestStore(backendIndependent: true)
        let view = try t.store.writing {
            try t.store.saveSegment("dependencies", query: "opened", dependencies: [], savedAt: 0)
        }
        #expect(view == "segment_dependencies_2")
        #expect(try t.store.segmentViewName("dependencies") == "segment_dependencies_2")
    }
}

extension Store {
    fileprivate func relationNamesContain(_ name: String) throws -> Bool {
        try database.relationNames().contains(name)
    }
}
