import Testing
@testable import SegStore

/// What the PostgreSQL connection does to SQL and values before they reach the server
/// (no server needed).
struct PostgresTextTests {
    @Test(arguments: [
        ("SELECT 1 FROM t WHERE a = ?1 AND b = ?2 OR a = ?1", "SELECT 1 FROM t WHERE a = $1 AND b = $2 OR a = $1", 2),
        ("INSERT INTO t VALUES (?, ?, ?)", "INSERT INTO t VALUES ($1, $2, $3)", 3),
        ("SELECT ?3, ?", "SELECT $3, $4", 4),
        // Quoted text, quoted identifiers and comments keep their question marks.
        ("SELECT '?', \"a?\" FROM t WHERE x = ? -- why?\n AND y = ?", "SELECT '?', \"a?\" FROM t WHERE x = $1 -- why?\n AND y = $2", 2),
        // SQL already rendered for PostgreSQL is counted and kept.
        ("SELECT ?2 FROM (SELECT $1) s", "SELECT $2 FROM (SELECT $1) s", 2),
    ])
    func placeholdersAreRenumbered(sql: String, expected: String, count: Int) {
        let (text, n, _) = PostgresDatabase.renumberPlaceholders(sql)
        #expect(text == expected)
        #expect(n == count)
    }

    @Test func anUnusedParameterIsNotCountedAsUsed() {
        let (_, n, used) = PostgresDatabase.renumberPlaceholders("SELECT ?1, ?3")
        #expect(n == 3)
        #expect(used == [1, 3])
    }

    @Test func arrayLiteralsQuoteEveryItem() {
        #expect(PostgresDatabase.arrayLiteral([]) == "{}")
        #expect(PostgresDatabase.arrayLiteral(["a", "b c", "d,e"]) == #"{"a","b c","d,e"}"#)
        #expect(PostgresDatabase.arrayLiteral([#"say "hi""#, #"back\slash"#, "NULL"]) == #"{"say \"hi\"","back\\slash","NULL"}"#)
    }

    @Test func passwordsAreLeftOutOfURLs() {
        #expect(PostgresDatabase.redacted("postgres://segq:secret@db:5432/x?sslmode=require") == "postgres://segq@db:5432/x?sslmode=require")
        #expect(PostgresDatabase.redacted("postgres://segq@db/x") == "postgres://segq@db/x")
        #expect(PostgresDatabase.redacted("postgresql://db/x") == "postgresql://db/x")
    }

    @Test(arguments: [
        ("NULL", "NULL", nil, nil), ("1", "NULL", 1, 1), ("NULL", "2", 2, 2),
        ("1", "2", 2, 1), ("3", "2", 3, 2), ("2", "2", 2, 2),
    ] as [(String, String, Int64?, Int64?)])
    func portableGreatestAndLeastIgnoreNull(a: String, b: String, greatest: Int64?, least: Int64?) throws {
        let db = try SQLiteDatabase(path: ":memory:")
        let g = PortableSQL.greatest("x", "y"), l = PortableSQL.least("x", "y")
        #expect(try db.int64("SELECT \(g) FROM (SELECT \(a) AS x, \(b) AS y)") == greatest)
        #expect(try db.int64("SELECT \(l) FROM (SELECT \(a) AS x, \(b) AS y)") == least)
    }
}
