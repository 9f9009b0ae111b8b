import Testing
@testable import SegREPL

struct PromptTests {
    @Test(arguments: [
        ("demo.db", "demo.db"),
        ("/var/lib/segq/shop.db", "shop.db"),
        ("postgres://segq@db.internal:5432/marketing", "marketing"),
        ("postgresql://segq:secret@db.internal/marketing?options=-csearch_path%3Dteam", "marketing"),
        ("postgres://localhost", "localhost"),
    ])
    func theStoreIsNamedByItsFileOrDatabase(path: String, name: String) {
        #expect(REPL.storeName(path) == name)
    }
}
