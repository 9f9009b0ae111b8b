import Foundation
import Testing
@testable import SegQL

/// Golden files under Golden/: tree dumps of valid queries (trees/*.segq → *.tree) and
/// rendered diagnostics of broken ones (diagnostics/*.segq → *.txt).
/// Re-record with `SEGQ_RECORD=1 swift test --filter GoldenTests` and review the diff.
@Suite struct GoldenTests {
    static let bundled = Bundle.module.url(forResource: "Golden", withExtension: nil)
    static let source = TestSupport.root.appendingPathComponent("Tests/SegQLTests/Golden")

    static func inputs(_ folder: String) -> [String] {
        guard let dir = bundled?.appendingPathComponent(folder),
              let names = try? FileManager.default.contentsOfDirectory(atPath: dir.path) else { return [] }
        return names.filter { $0.hasSuffix(".segq") }.sorted()
    }

    /// Compares `actual` with the golden file, or writes it when recording.
    static func check(_ actual: String, folder: String, name: String, ext: String) throws {
        let golden = (name as NSString).deletingPathExtension + "." + ext
        if TestSupport.recording {
            try actual.write(to: source.appendingPathComponent(folder).appendingPathComponent(golden), atomically: true, encoding: .utf8)
            return
        }
        guard let url = bundled?.appendingPathComponent(folder).appendingPathComponent(golden),
              let expected = try? String(contentsOf: url, encoding: .utf8) else {
            Issue.record("missing golden \(folder)/\(golden); record it with SEGQ_RECORD=1")
            return
        }
        #expect(actual == expected, "\(folder)/\(golden) differs; re-record with SEGQ_RECORD=1 and review the diff")
    }

    static func read(_ folder: String, _ name: String) throws -> [UInt8] {
        let url = try #require(bundled?.appendingPathComponent(folder).appendingPathComponent(name))
        return Array(try Data(contentsOf: url))
    }

    @Test func corporaArePresent() {
        #expect(Self.inputs("trees").count >= 7)
        #expect(Self.inputs("diagnostics").count >= 25)
    }

    @Test(arguments: inputs("trees"))
    func trees(name: String) throws {
        let file = SourceFile(name: name, bytes: try Self.read("trees", name))
        let (statements, diagnostics) = Parser.parseScript(file)
        #expect(diagnostics.isEmpty, "\(name): \(diagnostics.map(\.message))")
        var out = ""
        for s in statements {
            out += "-- " + Printer.source(of: s) + "\n" + TreeDump.dump(s, ranges: true) + "\n\n"
        }
        try Self.check(out, folder: "trees", name: name, ext: "tree")
    }

    @Test(arguments: inputs("diagnostics"))
    func diagnostics(name: String) throws {
        let file = SourceFile(name: name, bytes: try Self.read("diagnostics", name))
        let (_, diagnostics) = Parser.parseScript(file)
        #expect(!diagnostics.isEmpty, "\(name) should be broken")
        try Self.check(DiagnosticRenderer.render(diagnostics, in: file, color: false) + "\n",
                       folder: "diagnostics", name: name, ext: "txt")
    }
}
