import Foundation
import SegSession
import Testing

/// The zone times are shown in by default: `TZ`, else the system's, else UTC.
@Suite struct ViewerTimeZoneTests {
    /// A symbolic link named localtime to `target`, in a fresh directory.
    func localtime(linkingTo target: String) throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("segq-tz-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let link = dir.appendingPathComponent("localtime").path
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: target)
        return link
    }

    @Test func tzWinsOverTheSystemZone() throws {
        let system = try localtime(linkingTo: "/usr/share/zoneinfo/Asia/Tokyo")
        #expect(ViewerTimeZone.name(environment: ["TZ": "America/New_York"], localtime: system) == "America/New_York")
        #expect(ViewerTimeZone.name(environment: ["TZ": ":Europe/Stockholm"], localtime: system) == "Europe/Stockholm")
    }

    @Test func theSystemZoneWhenTZIsUnsetEmptyOrNoZoneName() throws {
        let system = try localtime(linkingTo: "/usr/share/zoneinfo/Asia/Tokyo")
        #expect(ViewerTimeZone.name(environment: [:], localtime: system) == "Asia/Tokyo")
        #expect(ViewerTimeZone.name(environment: ["TZ": ""], localtime: system) == "Asia/Tokyo")
        #expect(ViewerTimeZone.name(environment: ["TZ": "Europe/Stokholm"], localtime: system) == "Asia/Tokyo")
        // macOS links into /var/db/timezone/zoneinfo/.
        let mac = try localtime(linkingTo: "/var/db/timezone/zoneinfo/Europe/Berlin")
        #expect(ViewerTimeZone.name(environment: [:], localtime: mac) == "Europe/Berlin")
    }

    @Test func utcWhenNeitherSaysAZone() throws {
        #expect(ViewerTimeZone.name(environment: [:], localtime: "/nonexistent/localtime") == "UTC")
        let odd = try localtime(linkingTo: "/somewhere/else")
        #expect(ViewerTimeZone.name(environment: ["TZ": "/etc/zone"], localtime: odd) == "UTC")
    }
}
