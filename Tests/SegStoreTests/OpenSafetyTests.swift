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
}
