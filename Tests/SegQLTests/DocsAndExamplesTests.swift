import Foundation
import Testing
@testable import SegQL

/// Every ```segql block in docs/*.md and every examples/*.segq file parses without errors.
@Suite struct DocsAndExamplesTests {
    @Test func everyDocumentedExampleParses() throws {
        let sources = try TestSupport.documentedSources()
        #expect(sources.filter { $0.origin.hasPrefix("docs/language.md") }.count >= 30)
        #expect(sources.filter { $0.origin.hasPrefix("examples/") }.count >= 3)
        for (origin, text) in sources {
            let file = SourceFile(name: origin, text: text)
            let r = Parser.parseScript(file)
            #expect(r.diagnostics.isEmpty, "\(origin):\n\(DiagnosticRenderer.render(r.diagnostics, in: file, color: false))")
            #expect(!r.statements.isEmpty, "\(origin) has no statement")
        }
    }

    @Test func examplesAreRunnableScripts() throws {
        for (origin, text) in try TestSupport.documentedSources() where origin.hasPrefix("examples/") {
            #expect(text.hasPrefix("#!/usr/bin/env -S segq run\n"), "\(origin)")
        }
    }
}
