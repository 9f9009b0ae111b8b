import Testing
@testable import SegStore

func parse(_ text: String) throws -> JSONValue {
    var bytes = Array(text.utf8)
    return try bytes.withUnsafeMutableBufferPointer { buf in
        var scanner = JSONScanner(UnsafeBufferPointer(buf))
        return try scanner.parseValue()
    }
}

func parseTop(_ text: String) throws -> [String: JSONValue] {
    var out: [String: JSONValue] = [:]
    let bytes = Array(text.utf8)
    try bytes.withUnsafeBufferPointer { buf in
        var scanner = JSONScanner(buf)
        try scanner.parseTopObject { key, s in
            out[String(decoding: key, as: UTF8.self)] = try s.parseValue()
        }
    }
    return out
}

@Suite struct JSONScannerTests {
    @Test(arguments: [
        (#""plain""#, JSONValue.string("plain")),
        (#""a\"b\\c\/d\b\f\n\r\t""#, .string("a\"b\\c/d\u{8}\u{c}\n\r\t")),
        (#""\u00e9\u4e2d""#, .string("é中")),
        (#""\ud83d\ude00""#, .string("😀")),
        (#""Zoë""#, .string("Zoë")),
        ("0", .integer(0)), ("-12", .integer(-12)), ("9223372036854775807", .integer(.max)),
        ("-9223372036854775808", .integer(.min)), ("9223372036854775808", .number(9_223_372_036_854_775_808)),
        ("1.5", .number(1.5)), ("-2e3", .number(-2000)), ("1E-2", .number(0.01)),
        ("true", .bool(true)), ("false", .bool(false)), ("null", .null),
        (#"{"a":[1,{"b":null}],"c":{}}"#, .object([("a", .array([.integer(1), .object([("b", .null)])])), ("c", .object([]))])),
        (#"{"k":1,"k":2}"#, .object([("k", .integer(2))])),
    ])
    func parsesValues(text: String, expected: JSONValue) throws {
        #expect(try parse(text) == expected)
    }

    @Test(arguments: [
        (#""abc"#, "unterminated string", 4),
        (#""\x""#, "invalid escape '\\x' in string", 2),
        (#""\u12""#, "\\u needs four hex digits", 3),
        (#""\udc00""#, "lone surrogate \\uDC00 in string", 1),
        (#""\ud800x""#, "lone surrogate \\uD800 in string", 1),
        ("01", "number with a leading zero", 0),
        ("-", "expected a digit in number", 1),
        ("1.", "expected a digit after '.' in number", 2),
        ("tru", "expected a value, found 't'", 0),
        ("[1,]", "expected a value, found ']'", 3),
        ("{\"a\" 1}", "expected ':' after member name, found '1'", 5),
        ("\"a\tb\"", "control character in string (escape it)", 2),
        ("1e999", "number out of range", 0),
    ])
    func reportsErrorsWithOffsets(text: String, message: String, offset: Int) throws {
        #expect(throws: JSONSyntaxError(message: message, offset: offset)) { try parse(text) }
    }

    @Test func invalidUTF8IsRejected() throws {
        let bytes: [UInt8] = [0x22, 0xC3, 0x28, 0x22]
        #expect(throws: JSONSyntaxError.self) {
            try bytes.withUnsafeBufferPointer { buf in
                var scanner = JSONScanner(buf)
                _ = try scanner.parseValue()
            }
        }
    }

    @Test func deepNestingIsCappedNotACrash() throws {
        let deep = String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000)
        #expect(throws: JSONSyntaxError.self) { try parse(deep) }
    }

    @Test func topObjectHandsOverKeysIncludingEscapedOnes() throws {
        let members = try parseTop(#" { "a" : 1 , "b\u0063" : "x" } "#)
        #expect(members == ["a": .integer(1), "bc": .string("x")])
        #expect(throws: JSONSyntaxError.self) { try parseTop("") }
        #expect(throws: JSONSyntaxError.self) { try parseTop("{} {}") }
    }
}

@Suite struct TimestampTests {
    @Test(arguments: [
        ("1970-01-01T00:00:00Z", Int64(0)),
        ("2026-03-01T09:00:00Z", Int64(1_772_355_600)),
        ("2026-03-01T10:00:00+01:00", Int64(1_772_355_600)),
        ("2026-03-01T10:00:00+0100", Int64(1_772_355_600)),
        ("2026-03-01T10:00:00+01", Int64(1_772_355_600)),
        ("2026-03-01T09:00Z", Int64(1_772_355_600)),
        ("2026-03-01 09:00:00.123456Z", Int64(1_772_355_600)),
        ("2000-02-29T12:00:00Z", Int64(951_825_600)),
        ("2016-12-31T23:59:60Z", Int64(1_483_228_799)),
    ])
    func parses(text: String, seconds: Int64) {
        #expect(ImportTimestamp.parse(text) == seconds)
    }

    @Test(arguments: ["2026-03-01", "2026-03-01T09:00:00", "2026-13-01T00:00:00Z", "2026-02-29T00:00:00Z",
                      "2026-03-01T24:00:00Z", "2026-03-01T09:60:00Z", "2026-03-01T09:00:00+25:00",
                      "2026-03-01T09:00:00Zjunk", "26-03-01T09:00:00Z", "2026-03-01T09:00:00.Z", ""])
    func rejects(text: String) {
        #expect(ImportTimestamp.parse(text) == nil)
    }

    @Test func formatsAndRoundTrips() {
        #expect(ImportTimestamp.format(1_772_355_600) == "2026-03-01T09:00:00Z")
        #expect(ImportTimestamp.format(-1) == "1969-12-31T23:59:59Z")
        for t: Int64 in [0, 951_825_600, 1_780_272_000, 4_102_444_800] {
            #expect(ImportTimestamp.parse(ImportTimestamp.format(t)) == t)
        }
    }
}

@Suite struct LinkPathTests {
    @Test(arguments: [
        ("https://shop.example.com/pricing?utm_source=mail", "/pricing"),
        ("https://shop.example.com/blog/post#part", "/blog/post"),
        ("https://shop.example.com", "/"),
        ("https://shop.example.com?x=1", "/"),
        ("https://shop.example.com/", "/"),
        ("http://host:8080/a/b/", "/a/b/"),
        ("//cdn.example.com/img.png", "/img.png"),
        ("shop.example.com/pricing?x", "/pricing"),
        ("shop.example.com", "/"),
        ("/relative/path?q", "/relative/path"),
        ("mailto:someone@example.com", "/"),
        ("https://x.example/Caps/%20Space", "/Caps/%20Space"),
    ])
    func pathOfURL(url: String, path: String) {
        #expect(linkPath(ofURL: url) == path)
    }
}
