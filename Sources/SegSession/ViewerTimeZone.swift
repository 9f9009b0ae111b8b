// The zone times are shown in when nothing says otherwise: the viewer's, as `date` and
// `ls -l` show them — `TZ` if it names a zone, else the system's (/etc/localtime), else
// UTC. `--tz` and `.tz` override it.

import Foundation
import SegQL

/// The viewer's time zone, as an IANA name.
public enum ViewerTimeZone {
    /// `TZ` when it is an IANA name (a leading `:`, as POSIX allows, is dropped), else the
    /// zone `/etc/localtime` links to, else `UTC`. A `TZ` that is no IANA name (a POSIX
    /// rule such as `CET-1CEST`) is passed over, as is a localtime that is a copy of a
    /// zone file rather than a link to one: neither names a zone segq can show.
    public static func name(
        environment: [String: String] = ProcessInfo.processInfo.environment, localtime: String = "/etc/localtime"
    ) -> String {
        if var tz = environment["TZ"], !tz.isEmpty {
            if tz.hasPrefix(":") { tz.removeFirst() }
            if isZone(tz) { return tz }
        }
        if let target = try? FileManager.default.destinationOfSymbolicLink(atPath: localtime),
           let range = target.range(of: "zoneinfo/", options: .backwards) {
            let zone = String(target[range.upperBound...])
            if isZone(zone) { return zone }
        }
        return "UTC"
    }

    /// Whether Foundation knows `name` as a zone; a path-like name is refused, so that
    /// `TZ=/usr/share/zoneinfo/…` does not show as a zone name.
    static func isZone(_ name: String) -> Bool {
        !name.hasPrefix("/") && TimeZone(identifier: name) != nil
    }
}

extension TimeZone {
    /// The zone named `name`, or UTC when Foundation does not know it (names are checked
    /// where they are given: `--tz`, `.tz`).
    static func named(_ name: String) -> TimeZone {
        TimeZone(identifier: name) ?? TimeZone(secondsFromGMT: 0) ?? .current
    }

    /// The offset from UTC in seconds at the instant `t` (Unix seconds), daylight saving
    /// time included.
    func offset(at t: Int64) -> Int64 {
        Int64(secondsFromGMT(for: Date(timeIntervalSince1970: TimeInterval(t))))
    }

    /// `2026-03-01 10:00:00`: the instant `t` on this zone's wall clock.
    func wallClock(_ t: Int64) -> String {
        let iso = Timestamp.iso8601(t + offset(at: t))  // 2026-03-01T10:00:00Z, shifted
        return String(iso.prefix(10)) + " " + String(iso.dropFirst(11).prefix(8))
    }
}
