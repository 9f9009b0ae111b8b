import Foundation
@testable import SegQL

/// Paths and helpers shared by the SegQL tests.
enum TestSupport {
    /// The package root, found from this file's path.
    static let root: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// Whether goldens should be re-recorded (`SEGQ_RECORD=1 swift test`).
    static var recording: Bool { ProcessInfo.processInfo.environment["SEGQ_RECORD"] == "1" }

    /// Parses `text` as a script.
    static func parse(_ text: String, name: String = "q.segq") -> (statements: [Statement], diagnostics: [Diagnostic]) {
        Parser.parseScript(SourceFile(name: name, text: text))
    }

    /// The messages of the diagnostics of `text`.
    static func messages(_ text: String) -> [String] { parse(text).diagnostics.map(\.message) }

    /// Every diagnostic of `text` rendered without colour.
    static func rendered(_ text: String, name: String = "q.segq") -> String {
        let file = SourceFile(name: name, text: text)
        return DiagnosticRenderer.render(Parser.parseScript(file).diagnostics, in: file, color: false)
    }

    /// The statements of `text` printed canonically, one per line; fails on any diagnostic.
    static func canonical(_ text: String) -> String? {
        let r = parse(text)
        guard r.diagnostics.isEmpty else { return nil }
        return r.statements.map { Printer.source(of: $0) }.joined(separator: "\n")
    }

    /// All fenced ```segql blocks of the Markdown files in docs/, and the examples/ files.
    static func documentedSources() throws -> [(origin: String, text: String)] {
        var out: [(String, String)] = []
        let fm = FileManager.default
        let docs = root.appendingPathComponent("docs")
        for file in try fm.contentsOfDirectory(atPath: docs.path).sorted() where file.hasSuffix(".md") {
            let text = try String(contentsOf: docs.appendingPathComponent(file), encoding: .utf8)
            var block: [String]?
            var startLine = 0
            for (n, line) in text.components(separatedBy: "\n").enumerated() {
                if block == nil, line.trimmingCharacters(in: .whitespaces) == "```segql" {
                    block = []
                    startLine = n + 2
                } else if block != nil, line.trimmingCharacters(in: .whitespaces) == "```" {
                    out.append(("docs/\(file):\(startLine)", block?.joined(separator: "\n") ?? ""))
                    block = nil
                } else {
                    block?.append(line)
                }
            }
        }
        let examples = root.appendingPathComponent("examples")
        for file in try fm.contentsOfDirectory(atPath: examples.path).sorted() where file.hasSuffix(".segq") {
            out.append(("examples/\(file)", try String(contentsOf: examples.appendingPathComponent(file), encoding: .utf8)))
        }
        return out
    }
}
