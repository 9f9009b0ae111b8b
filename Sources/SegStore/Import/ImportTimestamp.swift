// ISO-8601 date-times to Unix seconds, by hand.
//
// Foundation's ISO8601DateFormatter is slow and locale-laden; the import format needs
// only one shape: `YYYY-MM-DDTHH:MM[:SS[.fraction]]` followed by a zone (`Z`, `+HH:MM`,
// `+HHMM` or `+HH`). The date is validated (month 1–12, day within the month, hour
// 0–23, minute and second 0–59, a leap second 60 read as 59); fractions are truncated
// toward the earlier second. The separator may be `T`, `t` or a space.

import SegQL

/// The zone that date-times without one are read in (`segq import --tz`): its UTC
/// offset at each instant, given by the caller (the CLI asks Foundation's `TimeZone`).
public struct LocalZone: Sendable {
    /// The zone's name, for messages.
    public var name: String
    /// Seconds east of UTC at a Unix time.
    public var offsetAt: @Sendable (Int64) -> Int64

    public init(name: String, offsetAt: @escaping @Sendable (Int64) -> Int64) {
        self.name = name
        self.offsetAt = offsetAt
    }

    /// The Unix time of a local wall-clock time (seconds as if it were UTC): the offset
    /// at the guess, then at the corrected instant (so a time just after a change is
    /// right; a time in a skipped hour is read with the offset before the change).
    func utc(fromLocal local: Int64) -> Int64 {
        let guess = local - offsetAt(local)
        return local - offsetAt(guess)
    }
}

/// Parsing of the date-times the import format accepts.
enum ImportTimestamp {
    /// Unix seconds for an ISO-8601 date-time with a zone, or `nil` when `text` is not one.
    /// With `local`, a date-time without a zone is read in that zone (`--tz`).
    static func parse(_ text: String, local: LocalZone? = nil) -> Int64? {
        var text = text
        return text.withUTF8 { parse(bytes: $0, local: local) }
    }

    /// Unix seconds for the UTF-8 bytes of an ISO-8601 date-time with a zone (or, with
    /// `local`, without one).
    static func parse(bytes b: UnsafeBufferPointer<UInt8>, local: LocalZone? = nil) -> Int64? {
        let n = b.count
        var i = 0
        @inline(__always) func digits(_ count: Int) -> Int? {
            guard i + count <= n else { return nil }
            var v = 0
            for k in 0..<count {
                let c = b[i + k]
                guard c >= 0x30 && c <= 0x39 else { return nil }
                v = v * 10 + Int(c - 0x30)
            }
            i += count
            return v
        }
        @inline(__always) func expect(_ c: UInt8) -> Bool {
            guard i < n, b[i] == c else { return false }
            i += 1
            return true
        }
        guard let year = digits(4), expect(0x2D), let month = digits(2), expect(0x2D), let day = digits(2) else { return nil }
        guard i < n, b[i] == UInt8(ascii: "T") || b[i] == UInt8(ascii: "t") || b[i] == 0x20 else { return nil }
        i += 1
        guard let hour = digits(2), expect(0x3A), let minute = digits(2) else { return nil }
        var second = 0
        if expect(0x3A) {
            guard let s = digits(2) else { return nil }
            second = s
            if i < n, b[i] == UInt8(ascii: ".") || b[i] == UInt8(ascii: ",") {
                i += 1
                let start = i
                while i < n, b[i] >= 0x30, b[i] <= 0x39 { i += 1 }
                guard i > start else { return nil }
            }
        }
        guard (1...12).contains(month), day >= 1, day <= daysInMonth(year: year, month: month),
              hour <= 23, minute <= 59, second <= 60 else { return nil }
        if second == 60 { second = 59 }
        let days = daysFromCivil(year: year, month: month, day: day)
        guard i < n else {
            // A zone is required, unless the import names one for zone-less times.
            guard let local else { return nil }
            return local.utc(fromLocal: Int64(days) * 86_400 + Int64(hour * 3600 + minute * 60 + second))
        }
        var offset = 0
        switch b[i] {
        case UInt8(ascii: "Z"), UInt8(ascii: "z"):
            i += 1
        case UInt8(ascii: "+"), UInt8(ascii: "-"):
            let sign = b[i] == UInt8(ascii: "-") ? -1 : 1
            i += 1
            guard let oh = digits(2), oh <= 23 else { return nil }
            var om = 0
            if i < n {
                _ = expect(0x3A)
                guard let m = digits(2), m <= 59 else { return nil }
                om = m
            }
            offset = sign * (oh * 3600 + om * 60)
        default:
            return nil
        }
        guard i == n else { return nil }
        return Int64(days) * 86_400 + Int64(hour * 3600 + minute * 60 + second) - Int64(offset)
    }

    static func isLeap(_ y: Int) -> Bool { (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 }

    static func daysInMonth(year: Int, month: Int) -> Int {
        switch month {
        case 2: isLeap(year) ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (the language library's
    /// calendar arithmetic, shared).
    static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        Int(Timestamp.daysFromCivil(year: Int64(year), month: Int64(month), day: Int64(day)))
    }

    /// `2026-03-01T09:00:00Z` for Unix seconds (UTC).
    static func format(_ seconds: Int64) -> String { Timestamp.iso8601(seconds) }
}
