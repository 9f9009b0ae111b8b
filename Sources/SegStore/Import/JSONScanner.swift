// A small, fast JSON reader for one line of the canonical import format.
//
// Foundation's JSONSerialization builds NSDictionary/NSString trees and runs at a few
// MB/s on Linux; the importer needs hundreds of thousands of lines a second. This
// scanner walks the raw bytes once. It parses any JSON value (objects, arrays,
// strings with every escape including \uXXXX surrogate pairs, numbers, literals) and
// reports the first error with its byte offset, but it hands the top-level object's
// members to the caller by key *bytes*, so that known keys are matched without
// creating a String per key. Nested values (attribute objects) become `JSONValue`s.
//
// Nesting is capped (`maxDepth`) so no input can overflow the stack.

/// A parsed JSON value.
enum JSONValue: Equatable {
    case string(String)
    /// A number written without fraction or exponent that fits in 64 bits.
    case integer(Int64)
    /// Any other number.
    case number(Double)
    case bool(Bool)
    case null
    case object([(String, JSONValue)])
    case array([JSONValue])

    static func == (a: JSONValue, b: JSONValue) -> Bool {
        switch (a, b) {
        case let (.string(x), .string(y)): x == y
        case let (.integer(x), .integer(y)): x == y
        case let (.number(x), .number(y)): x == y
        case let (.bool(x), .bool(y)): x == y
        case (.null, .null): true
        case let (.array(x), .array(y)): x == y
        case let (.object(x), .object(y)):
            x.count == y.count && zip(x, y).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
        default: false
        }
    }

    /// The JSON type's name, for messages ("a string", "a number", …).
    var typeName: String {
        switch self {
        case .string: "a string"
        case .integer, .number: "a number"
        case .bool: "a boolean"
        case .null: "null"
        case .object: "an object"
        case .array: "an array"
        }
    }
}

/// A JSON syntax error: what was expected, and the byte offset in the line.
struct JSONSyntaxError: Error, Equatable {
    var message: String
    var offset: Int
}

/// Reads JSON from a byte buffer that stays valid while the scanner is used.
struct JSONScanner {
    static let maxDepth = 64

    let base: UnsafePointer<UInt8>
    let count: Int
    private(set) var pos = 0

    init(_ buffer: UnsafeBufferPointer<UInt8>) {
        // An empty buffer has no base address; point at a static byte instead.
        self.base = buffer.baseAddress ?? JSONScanner.emptyByte
        self.count = buffer.count
    }

    nonisolated(unsafe) private static let emptyByte: UnsafePointer<UInt8> = {
        let p = UnsafeMutablePointer<UInt8>.allocate(capacity: 1)
        p.initialize(to: 0)
        return UnsafePointer(p)
    }()

    @inline(__always) func peek() -> UInt8? { pos < count ? base[pos] : nil }

    @inline(__always) private mutating func skipSpace() {
        while pos < count {
            let c = base[pos]
            if c == 0x20 || c == 0x09 || c == 0x0A || c == 0x0D { pos += 1 } else { break }
        }
    }

    private func error(_ message: String) -> JSONSyntaxError {
        JSONSyntaxError(message: message, offset: pos)
    }

    private func describeHere() -> String {
        guard pos < count else { return "end of line" }
        let c = base[pos]
        if c >= 0x21 && c < 0x7F { return "'\(Character(Unicode.Scalar(c)))'" }
        return "byte 0x\(String(c, radix: 16))"
    }

    /// Parses a top-level object, calling `member` with each key's bytes and the scanner
    /// positioned at the value; `member` must consume the value (with `parseValue` or
    /// `skipValue`). Checks that only spaces follow the object.
    mutating func parseTopObject(
        _ member: (UnsafeBufferPointer<UInt8>, inout JSONScanner) throws -> Void
    ) throws {
        skipSpace()
        guard peek() == UInt8(ascii: "{") else {
            if pos >= count { throw error("empty line") }
            throw error("a line must be one JSON object, found \(describeHere())")
        }
        pos += 1
        skipSpace()
        if peek() == UInt8(ascii: "}") {
            pos += 1
        } else {
            while true {
                skipSpace()
                guard peek() == UInt8(ascii: "\"") else { throw error("expected a member name in quotes, found \(describeHere())") }
                // Keys without escapes (the common case) are passed as a view of the line.
                if let key = try plainString() {
                    try memberValue(key, member)
                } else {
                    var decoded: [UInt8] = []
                    try decodeString(into: &decoded)
                    guard String(validating: decoded, as: UTF8.self) != nil else { throw error("member name is not valid UTF-8") }
                    try decoded.withUnsafeBufferPointer { try memberValue($0, member) }
                }
                skipSpace()
                guard let c = peek() else { throw error("expected ',' or '}' after member, found end of line") }
                if c == UInt8(ascii: ",") { pos += 1; continue }
                if c == UInt8(ascii: "}") { pos += 1; break }
                throw error("expected ',' or '}' after member, found \(describeHere())")
            }
        }
        skipSpace()
        if pos < count { throw error("unexpected \(describeHere()) after the object") }
    }

    private mutating func memberValue(
        _ key: UnsafeBufferPointer<UInt8>,
        _ member: (UnsafeBufferPointer<UInt8>, inout JSONScanner) throws -> Void
    ) throws {
        skipSpace()
        guard peek() == UInt8(ascii: ":") else { throw error("expected ':' after member name, found \(describeHere())") }
        pos += 1
        skipSpace()
        try member(key, &self)
    }

    /// The bytes of the string at `pos` when it has no escapes (`pos` moves past it);
    /// `nil`, with `pos` unchanged, when it has escapes.
    mutating func plainString() throws -> UnsafeBufferPointer<UInt8>? {
        // pos is at the opening quote.
        let start = pos + 1
        var i = start
        while i < count {
            let c = base[i]
            if c == UInt8(ascii: "\"") {
                pos = i + 1
                return UnsafeBufferPointer(start: base + start, count: i - start)
            }
            if c == UInt8(ascii: "\\") { break }
            if c < 0x20 { pos = i; throw error("control character in string (escape it)") }
            i += 1
        }
        return nil
    }

    /// Parses the string at `pos` into `out` (decoded UTF-8 bytes).
    private mutating func decodeString(into out: inout [UInt8]) throws {
        out.removeAll(keepingCapacity: true)
        pos += 1
        while true {
            guard pos < count else { throw error("unterminated string") }
            let c = base[pos]
            if c == UInt8(ascii: "\"") { pos += 1; return }
            if c < 0x20 { throw error("control character in string (escape it)") }
            if c != UInt8(ascii: "\\") { out.append(c); pos += 1; continue }
            pos += 1
            guard pos < count else { throw error("unterminated string") }
            let e = base[pos]
            pos += 1
            switch e {
            case UInt8(ascii: "\""): out.append(0x22)
            case UInt8(ascii: "\\"): out.append(0x5C)
            case UInt8(ascii: "/"): out.append(0x2F)
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "u"):
                let escapeStart = pos - 2
                var scalar = try hex4()
                if scalar >= 0xD800 && scalar < 0xDC00 {
                    // A high surrogate must be followed by \u and a low surrogate.
                    guard pos + 1 < count, base[pos] == UInt8(ascii: "\\"), base[pos + 1] == UInt8(ascii: "u") else {
                        throw JSONSyntaxError(message: "lone surrogate \\u\(String(scalar, radix: 16, uppercase: true)) in string", offset: escapeStart)
                    }
                    pos += 2
                    let low = try hex4()
                    guard low >= 0xDC00 && low < 0xE000 else {
                        throw JSONSyntaxError(message: "lone surrogate \\u\(String(scalar, radix: 16, uppercase: true)) in string", offset: escapeStart)
                    }
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                } else if scalar >= 0xDC00 && scalar < 0xE000 {
                    throw JSONSyntaxError(message: "lone surrogate \\u\(String(scalar, radix: 16, uppercase: true)) in string", offset: escapeStart)
                }
                appendUTF8(scalar, to: &out)
            default:
                pos -= 1
                throw error("invalid escape '\\\(Character(Unicode.Scalar(e)))' in string")
            }
        }
    }

    private mutating func hex4() throws -> UInt32 {
        guard pos + 4 <= count else { throw error("\\u needs four hex digits") }
        var v: UInt32 = 0
        for _ in 0..<4 {
            let c = base[pos]
            let d: UInt32
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): d = UInt32(c - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): d = UInt32(c - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): d = UInt32(c - UInt8(ascii: "A") + 10)
            default: throw error("\\u needs four hex digits")
            }
            v = v << 4 | d
            pos += 1
        }
        return v
    }

    private func appendUTF8(_ v: UInt32, to out: inout [UInt8]) {
        switch v {
        case 0..<0x80:
            out.append(UInt8(v))
        case 0x80..<0x800:
            out.append(UInt8(0xC0 | (v >> 6)))
            out.append(UInt8(0x80 | (v & 0x3F)))
        case 0x800..<0x10000:
            out.append(UInt8(0xE0 | (v >> 12)))
            out.append(UInt8(0x80 | ((v >> 6) & 0x3F)))
            out.append(UInt8(0x80 | (v & 0x3F)))
        default:
            out.append(UInt8(0xF0 | (v >> 18)))
            out.append(UInt8(0x80 | ((v >> 12) & 0x3F)))
            out.append(UInt8(0x80 | ((v >> 6) & 0x3F)))
            out.append(UInt8(0x80 | (v & 0x3F)))
        }
    }

    /// Parses a string value at `pos` (which must be a quote).
    mutating func parseString() throws -> String {
        let start = pos + 1
        var i = start
        var ascii = true
        while i < count {
            let c = base[i]
            if c == UInt8(ascii: "\"") {
                pos = i + 1
                let bytes = UnsafeBufferPointer(start: base + start, count: i - start)
                if ascii { return String(decoding: bytes, as: UTF8.self) }
                guard let s = String(validating: bytes, as: UTF8.self) else {
                    pos = start
                    throw error("string is not valid UTF-8")
                }
                return s
            }
            if c == UInt8(ascii: "\\") { break }
            if c < 0x20 { pos = i; throw error("control character in string (escape it)") }
            if c >= 0x80 { ascii = false }
            i += 1
        }
        let start0 = pos
        var out: [UInt8] = []
        out.reserveCapacity(i - start + 16)
        try decodeString(into: &out)
        guard let s = String(validating: out, as: UTF8.self) else {
            pos = start0
            throw error("string is not valid UTF-8")
        }
        return s
    }

    /// Parses any value at `pos`.
    mutating func parseValue(depth: Int = 0) throws -> JSONValue {
        guard let c = peek() else { throw error("expected a value, found end of line") }
        switch c {
        case UInt8(ascii: "\""):
            return .string(try parseString())
        case UInt8(ascii: "{"):
            guard depth < JSONScanner.maxDepth else { throw error("nested too deeply") }
            pos += 1
            var members: [(String, JSONValue)] = []
            skipSpace()
            if peek() == UInt8(ascii: "}") { pos += 1; return .object(members) }
            while true {
                skipSpace()
                guard peek() == UInt8(ascii: "\"") else { throw error("expected a member name in quotes, found \(describeHere())") }
                let key = try parseString()
                skipSpace()
                guard peek() == UInt8(ascii: ":") else { throw error("expected ':' after member name, found \(describeHere())") }
                pos += 1
                skipSpace()
                let value = try parseValue(depth: depth + 1)
                // A repeated key: the last one wins, as in most JSON readers.
                if let i = members.firstIndex(where: { $0.0 == key }) { members.remove(at: i) }
                members.append((key, value))
                skipSpace()
                guard let d = peek() else { throw error("expected ',' or '}' in object, found end of line") }
                if d == UInt8(ascii: ",") { pos += 1; continue }
                if d == UInt8(ascii: "}") { pos += 1; return .object(members) }
                throw error("expected ',' or '}' in object, found \(describeHere())")
            }
        case UInt8(ascii: "["):
            guard depth < JSONScanner.maxDepth else { throw error("nested too deeply") }
            pos += 1
            var items: [JSONValue] = []
            skipSpace()
            if peek() == UInt8(ascii: "]") { pos += 1; return .array(items) }
            while true {
                skipSpace()
                items.append(try parseValue(depth: depth + 1))
                skipSpace()
                guard let d = peek() else { throw error("expected ',' or ']' in array, found end of line") }
                if d == UInt8(ascii: ",") { pos += 1; continue }
                if d == UInt8(ascii: "]") { pos += 1; return .array(items) }
                throw error("expected ',' or ']' in array, found \(describeHere())")
            }
        case UInt8(ascii: "t"):
            try literal("true"); return .bool(true)
        case UInt8(ascii: "f"):
            try literal("false"); return .bool(false)
        case UInt8(ascii: "n"):
            try literal("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return try parseNumber()
        default:
            throw error("expected a value, found \(describeHere())")
        }
    }

    private mutating func literal(_ word: StaticString) throws {
        let n = word.utf8CodeUnitCount
        let w = word.utf8Start
        guard pos + n <= count else { throw error("expected a value, found \(describeHere())") }
        for k in 0..<n where base[pos + k] != w[k] {
            throw error("expected a value, found \(describeHere())")
        }
        pos += n
    }

    private mutating func parseNumber() throws -> JSONValue {
        let start = pos
        var negative = false
        if base[pos] == UInt8(ascii: "-") { negative = true; pos += 1 }
        guard pos < count, base[pos] >= 0x30, base[pos] <= 0x39 else { throw error("expected a digit in number") }
        // Leading zeros are not JSON ("01").
        if base[pos] == UInt8(ascii: "0"), pos + 1 < count, base[pos + 1] >= 0x30, base[pos + 1] <= 0x39 {
            throw error("number with a leading zero")
        }
        var magnitude: UInt64 = 0
        var overflow = false
        while pos < count, base[pos] >= 0x30, base[pos] <= 0x39 {
            let (m1, o1) = magnitude.multipliedReportingOverflow(by: 10)
            let (m2, o2) = m1.addingReportingOverflow(UInt64(base[pos] - 0x30))
            magnitude = m2
            overflow = overflow || o1 || o2
            pos += 1
        }
        var integral = true
        if pos < count, base[pos] == UInt8(ascii: ".") {
            integral = false
            pos += 1
            guard pos < count, base[pos] >= 0x30, base[pos] <= 0x39 else { throw error("expected a digit after '.' in number") }
            while pos < count, base[pos] >= 0x30, base[pos] <= 0x39 { pos += 1 }
        }
        if pos < count, base[pos] == UInt8(ascii: "e") || base[pos] == UInt8(ascii: "E") {
            integral = false
            pos += 1
            if pos < count, base[pos] == UInt8(ascii: "+") || base[pos] == UInt8(ascii: "-") { pos += 1 }
            guard pos < count, base[pos] >= 0x30, base[pos] <= 0x39 else { throw error("expected a digit in exponent") }
            while pos < count, base[pos] >= 0x30, base[pos] <= 0x39 { pos += 1 }
        }
        if integral && !overflow {
            if negative {
                if magnitude <= UInt64(Int64.max) + 1 { return .integer(magnitude == UInt64(Int64.max) + 1 ? Int64.min : -Int64(magnitude)) }
            } else if magnitude <= UInt64(Int64.max) {
                return .integer(Int64(magnitude))
            }
        }
        let text = String(decoding: UnsafeBufferPointer(start: base + start, count: pos - start), as: UTF8.self)
        guard let d = Double(text), d.isFinite else {
            throw JSONSyntaxError(message: "number out of range", offset: start)
        }
        return .number(d)
    }

    /// Skips the value at `pos` (checking its syntax).
    mutating func skipValue() throws {
        _ = try parseValue()
    }
}

// MARK: - Whole documents (JSON arrays of platform events)

extension JSONScanner {
    /// Skips spaces, tabs and line breaks.
    mutating func skipWhitespace() { skipSpace() }

    /// Moves past the value at `pos` without decoding it: a string by its quotes and
    /// escapes, an object or array by bracket depth, anything else up to the next
    /// delimiter. What is inside is checked later, by whoever decodes the value; this
    /// only finds where it ends (and costs no allocation, unlike `skipValue`).
    mutating func skipStructure() throws {
        skipSpace()
        guard pos < count else { throw error("expected a value, found the end of the input") }
        var depth = 0
        repeat {
            guard pos < count else { throw error("the input ends inside a value") }
            switch base[pos] {
            case UInt8(ascii: "\""):
                pos += 1
                while true {
                    guard pos < count else { throw error("the input ends inside a string") }
                    let d = base[pos]
                    pos += d == UInt8(ascii: "\\") ? 2 : 1
                    if d == UInt8(ascii: "\"") { break }
                }
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                depth += 1
                pos += 1
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                guard depth > 0 else { throw error("unexpected \(describeHere())") }
                depth -= 1
                pos += 1
            default:
                if depth == 0 {
                    // A number or literal: up to a delimiter.
                    while pos < count {
                        let d = base[pos]
                        if d == UInt8(ascii: ",") || d == UInt8(ascii: "]") || d == UInt8(ascii: "}")
                            || d == 0x20 || d == 0x09 || d == 0x0A || d == 0x0D { break }
                        pos += 1
                    }
                } else {
                    pos += 1
                }
            }
        } while depth > 0
    }

    /// Walks the array at `pos`, calling `element` with each element's byte range
    /// (checked for syntax, not decoded); leaves `pos` after the closing `]`.
    mutating func forEachArrayElement(_ element: (Int, Int) throws -> Void) throws {
        skipSpace()
        guard peek() == UInt8(ascii: "[") else { throw error("expected '[', found \(describeHere())") }
        pos += 1
        skipSpace()
        if peek() == UInt8(ascii: "]") {
            pos += 1
            return
        }
        while true {
            skipSpace()
            let start = pos
            try skipStructure()
            try element(start, pos)
            skipSpace()
            guard let c = peek() else { throw error("expected ',' or ']' after an element, found the end of the input") }
            if c == UInt8(ascii: ",") { pos += 1; continue }
            if c == UInt8(ascii: "]") { pos += 1; return }
            throw error("expected ',' or ']' after an element, found \(describeHere())")
        }
    }
}
