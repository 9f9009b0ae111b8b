// Dates and times without Foundation: the language library must stay pure Swift.
// SegQL and the import format use ISO-8601 (`2026-03-01`, `2026-03-01T09:00:00Z`,
// `2026-03-01T11:00:00+02:00`, optional fractional seconds) and Unix seconds.

/// Conversions between ISO-8601 text and Unix seconds (UTC).
public enum Timestamp {
    /// The earliest time segq imports or computes with: 1900-01-01T00:00:00Z.
    public static let earliest: Int64 = -2_208_988_800
    /// The latest: 9999-12-31T23:59:59Z. Times read from a store (which another tool
    /// may have written) are clamped into this range before any arithmetic, so no sum
    /// of a time, an offset and a duration can overflow.
    public static let latest: Int64 = 253_402_300_799

    /// `t` moved into `earliest...latest`.
    @inline(__always)
    public static func clamped(_ t: Int64) -> Int64 { min(max(t, earliest), latest) }

    /// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
    public static func daysFromCivil(year: Int64, month: Int64, day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    /// The civil date of a day number (inverse of `daysFromCivil`).
    public static func civilFromDays(_ z0: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let z = z0 + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    /// What a date string denotes.
    public enum Parsed: Hashable, Sendable {
        /// `YYYY-MM-DD`: the UTC day starting at `start` (86,400 seconds long).
        case day(start: Int64)
        /// A date-time with a zone: one instant.
        case instant(Int64)

        /// The first second it denotes.
        public var start: Int64 {
            switch self {
            case .day(let s): s
            case .instant(let s): s
            }
        }
    }

    /// Parses `YYYY-MM-DD` or an ISO-8601 date-time with a zone (`Z` or `±HH:MM`),
    /// optionally with fractional seconds (truncated). Returns nil when malformed.
    public static func parse(_ text: String) -> Parsed? {
        let b = Array(text.utf8)
        var i = 0
        func digits(_ n: Int) -> Int64? {
            guard i + n <= b.count else { return nil }
            var v: Int64 = 0
            for k in 0..<n {
                let c = b[i + k]
                guard c >= 48, c <= 57 else { return nil }
                v = v * 10 + Int64(c - 48)
            }
            i += n
            return v
        }
        func expect(_ c: UInt8) -> Bool {
            guard i < b.count, b[i] == c else { return false }
            i += 1
            return true
        }
        guard let year = digits(4), expect(45), let month = digits(2), expect(45), let day = digits(2),
              (1...12).contains(month), day >= 1, day <= daysIn(month: month, year: year)
        else { return nil }
        let days = daysFromCivil(year: year, month: month, day: day)
        if i == b.count { return .day(start: days * 86_400) }
        guard i < b.count, b[i] == UInt8(ascii: "T") || b[i] == UInt8(ascii: "t") || b[i] == 32 else { return nil }
        i += 1
        guard let hour = digits(2), expect(58), let minute = digits(2), hour < 24, minute < 60 else { return nil }
        var second: Int64 = 0
        if expect(58) {
            guard let s = digits(2), s < 61 else { return nil }
            second = min(s, 59)
            if i < b.count, b[i] == UInt8(ascii: ".") || b[i] == UInt8(ascii: ",") {
                i += 1
                let fracStart = i
                while i < b.count, b[i] >= 48, b[i] <= 57 { i += 1 }
                guard i > fracStart else { return nil }
            }
        }
        var offset: Int64 = 0
        guard i < b.count else { return nil }  // a date-time needs a zone
        if b[i] == UInt8(ascii: "Z") || b[i] == UInt8(ascii: "z") {
            i += 1
        } else if b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-") {
            let sign: Int64 = b[i] == UInt8(ascii: "-") ? -1 : 1
            i += 1
            guard let oh = digits(2), oh < 24 else { return nil }
            _ = expect(58)
            guard let om = digits(2), om < 60 else { return nil }
            offset = sign * (oh * 3_600 + om * 60)
        } else {
            return nil
        }
        guard i == b.count else { return nil }
        return .instant(days * 86_400 + hour * 3_600 + minute * 60 + second - offset)
    }

    /// Days in a month of a year.
    static func daysIn(month: Int64, year: Int64) -> Int64 {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// The instant `months` calendar months before `t`, in UTC: the same time of day on
    /// the same day of the month, or on the month's last day when it is shorter
    /// (`2026-08-31T10:00Z` less 6 months is `2026-02-28T10:00Z`), as PostgreSQL's
    /// `timestamp - interval 'N months'` computes it.
    public static func monthsBefore(_ t: Int64, _ months: Int64) -> Int64 {
        let days = t >= 0 ? t / 86_400 : (t - 86_399) / 86_400
        let secs = t - days * 86_400
        let (y, m, d) = civilFromDays(days)
        let index = y * 12 + (m - 1) - months  // months since year 0
        let year = index >= 0 ? index / 12 : (index - 11) / 12
        let month = index - year * 12 + 1
        let day = min(d, daysIn(month: month, year: year))
        return daysFromCivil(year: year, month: month, day: day) * 86_400 + secs
    }

    /// `2026-03-01T09:00:00Z` for a Unix time.
    public static func iso8601(_ t: Int64) -> String {
        let t = clamped(t)
        let days = t >= 0 ? t / 86_400 : (t - 86_399) / 86_400
        let secs = t - days * 86_400
        let (y, m, d) = civilFromDays(days)
        func pad(_ v: Int64, _ n: Int) -> String {
            let s = String(v)
            return String(repeating: "0", count: max(0, n - s.count)) + s
        }
        return "\(pad(y, 4))-\(pad(m, 2))-\(pad(d, 2))T\(pad(secs / 3_600, 2)):\(pad(secs % 3_600 / 60, 2)):\(pad(secs % 60, 2))Z"
    }
}
