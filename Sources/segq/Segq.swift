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
            Without a subcommand, segq starts the REPL when standard input is a terminal \
            and otherwise runs standard input as a script (segq run -); options such as \
            --db go to that command: segq --db demo.db.

            Shared options: --db PATH (default $SEGQ_DB, else ./segq.db), --now ISO, \
            --campaign NAME, --format table|csv|tsv|json|jsonl, --read-only, --verbose. \
            See docs/cli.md and docs/repl.md.

            Exit status: 0 success; 1 an error in the input (a query, a statement, an \
            import line); 2 a usage error (a bad option); 3 a runtime or store error.
            """,
        version: "0.1.0",
        subcommands: [ReplCommand.self, RunCommand.self, ImportCommand.self, DemoCommand.self, StatsCommand.self]
    )

    /// Runs the command, mapping errors to the documented exit statuses in one place.
    static func main() {
        do {
            var command = try parseAsRoot(withDefaultSubcommand(Array(CommandLine.arguments.dropFirst())))
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
            Foundation.exit((code == .validationFailure ? ExitStatus.usage : ExitStatus.runtime).rawValue)
        }
    }
}

/// The arguments with the default subcommand put in front when none is named: `repl`
/// when standard input is a terminal, else `run` (which reads standard input). The
/// root's own flags (--help, --version, --generate-completion-script) are left alone.
func withDefaultSubcommand(_ arguments: [String]) -> [String] {
    let subcommands = Set(Segq.configuration.subcommands.map { $0._commandName } + ["help"])
    if let first = arguments.first {
        if subcommands.contains(first) { return arguments }
        let rootFlags = ["-h", "--help", "-help", "--version"]
        if rootFlags.contains(first) || first.hasPrefix("--generate-completion-script")
            || first.hasPrefix("--experimental") || !first.hasPrefix("-") {
            return arguments
        }
    }
    return [isatty(STDIN_FILENO) != 0 ? "repl" : "run"] + arguments
}

extension ExitCode {
    /// Exits with one of segq's documented statuses (`ExitStatus`, SegSession).
    init(_ status: ExitStatus) { self.init(status.rawValue) }
}
