import ArgumentParser
import Foundation
import SegSession

/// The `segq` command: segment queries over campaign events.
@main
struct Segq: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "segq",
        abstract: "Ask who did what in your e-mail and SMS campaigns, and act on it.",
        discussion: """
            Exit status: 0 success; 1 an error in the input (a query, a statement, an \
            import line); 2 a usage error (a bad option); 3 a runtime or store error.
            """,
        version: "0.1.0",
        subcommands: [RunCommand.self, ImportCommand.self, DemoCommand.self, StatsCommand.self]
    )

    /// Runs the command, mapping errors to the documented exit statuses in one place.
    static func main() {
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch let exit as ExitCode {
            Foundation.exit(exit.rawValue)
        } catch {
            let code = exitCode(for: error)
            if code == .success {
                Self.exit(withError: error)  // --help, --version
            }
            // swift-argument-parser uses 64 (EX_USAGE) for usage errors; segq documents 2.
            printError(fullMessage(for: error))
            printError("Run 'segq help' for usage.")
            Foundation.exit(code == .validationFailure ? ExitStatus.usage : ExitStatus.runtime)
        }
    }
}

/// The exit statuses of `segq` (documented in --help and docs/cli.md).
enum ExitStatus {
    static let success: Int32 = 0
    static let compile: Int32 = 1
    static let usage: Int32 = 2
    static let runtime: Int32 = 3
}
