import Foundation
import Testing
@testable import SegStore

/// Opening a file as a store writes nothing to a file that is not one (issue 21).
@Suite struct OpenSafetyTests {
    func bytes(_ path: String) throws -> Data { try Data(contentsOf: URL(fileURLWithPath: path)) }

    /// Another application's SQLite file is refused before anything is written to it:
    /// its journal mode stays as it was (it used to be switched to WAL for good).
    @Test func anotherApplicationsDatabaseIsLeftAsItWas() throws {
        let dir = TempDir()
        let path = dir.path("other.db")
        do {
            let other = try SQLiteDatabase(path: path)
            try other.execute("CREATE TABLE notes(x); INSERT INTO notes VALUES (1)")
        }
        let before = try bytes(path)
        #expect(throws: StoreError.notAStore(path: path)) { try Store(path: path) }
        #expect(throws: StoreError.notAStore(path: path)) { try Store(path: path, acceptEmptyFile: true) }
        #expect(try bytes(path) == before)
        #expect(try SQLiteDatabase(path: path, readOnly: true).text("PRAGMA journal_mode") == "delete")
        #expect(!FileManager.default.fileExists(atPath: path + "-wal"))
    }

    /// An empty file is not silently made a store, except by a command that creates stores.
    @Test func anEmptyFileIsRefusedUnlessCreating() throws {
        let dir = TempDir()
        let path = dir.path("empty.db")
        FileManager.default.createFile(atPath: path, contents: Data())
        #expect(throws: StoreError.emptyFile(path: path)) { try Store(path: path) }
        #expect(throws: StoreError.emptyFile(path: path)) { try Store(path: path, readOnly: true) }
        #expect(try bytes(path).isEmpty)
        let created = try Store(path: path, acceptEmptyFile: true)
        #expect(try created.schemaVersion() == Schema.version)
    }

    /// A file that is not a database, or whose header is damaged, is refused with a
    /// clear error, and not written.
    @Test func damagedFilesAreRefusedClearly() throws {
        let dir = TempDir()
        let junk = dir.path("junk.db")
        FileManager.default.createFile(atPath: junk, contents: Data((0..<4096).map { UInt8(truncatingIfNeeded: $0 &* 37) }))
        let junkBefore = try bytes(junk)
        do {
            _ = try Store(path: junk)
            Issue.record("a junk file opened as a store")
        } catch let e as StoreError {
            #expect(e.description.contains("not a readable segq store: the file is not an SQLite database or is damaged"))
        }
        #expect(try bytes(junk) == junkBefore)

        let good = dir.path("good.db")
        _ = try Store(path: good)
        var damaged = try bytes(good)
        damaged.replaceSubrange(16..<24, with: Array("garbage!".utf8))  // page size and versions
        try damaged.write(to: URL(fileURLWithPath: good))
        #expect(throws: StoreError.self) { try Store(path: good, readOnly: true) }
        #expect(throws: StoreError.self) { try Store(path: good) }
        #expect(try bytes(good) == damaged)
    }

    /// A store with a few thousand contacts, checkpointed: its pages are all in the file.
    func smallStore(_ path: String) throws {
        let store = try Store(path: path)
        try store.database.execute("""
            WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 3000)
            INSERT INTO contacts(email, first_name) SELECT 'c' || i || '@example.com', 'Name ' || i FROM n;
            PRAGMA wal_checkpoint(TRUNCATE)
            """)
    }

    /// Damage inside the file (every page but the header's overwritten, as a bad copy
    /// or disk would leave it) is found at open by SQLite's quick_check, whichever way
    /// the store is opened: a clear error naming the file, and nothing written.
    @Test func aStoreDamagedInsideIsRefusedAtOpen() throws {
        let dir = TempDir()
        let path = dir.path("damaged.db")
        try smallStore(path)
        #expect(try Store(path: path).schemaVersion() == Schema.version)
        var data = try bytes(path)
        let pageSize = Int(data[16]) << 8 | Int(data[17])
        #expect(data.count > 10 * pageSize)
        data.replaceSubrange(pageSize..<data.count, with: Data(repeating: 0xFF, count: data.count - pageSize))
        try data.write(to: URL(fileURLWithPath: path))
        for (readOnly, check) in [(false, IntegrityCheck.automatic), (true, .automatic), (false, .full)] {
            do {
                _ = try Store(path: path, readOnly: readOnly, check: check)
                Issue.record("a damaged store opened (read-only: \(readOnly))")
            } catch let e as StoreError {
                guard case .damaged(let p, _) = e else { Issue.record("\(e)"); continue }
                #expect(p == path)
                #expect(e.description.hasPrefix("\(path): not a readable segq store"))
            }
        }
        #expect(try bytes(path) == data)
    }

    /// A copy cut short is refused by its length, before SQLite reads a page (it would
    /// read the missing ones as zeros), whatever the file's size.
    @Test func aTruncatedStoreIsRefusedAtOpen() throws {
        let dir = TempDir()
        let path = dir.path("short.db")
        try smallStore(path)
        let data = try bytes(path)
        let cut = data.prefix(data.count / 2)
        try cut.write(to: URL(fileURLWithPath: path))
        #expect(throws: StoreError.damaged(
            path: path, detail: "the file has \(cut.count) bytes, its header says \(data.count): it was cut short")) {
            try Store(path: path)
        }
        #expect(try bytes(path) == cut)
    }
}
