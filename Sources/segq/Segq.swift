import ArgumentParser

/// The `segq` command: segment queries over campaign events.
@main
struct Segq: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "segq",
        abstract: "Ask who did what in your e-mail and SMS campaigns, and act on it.",
        version: "0.1.0",
        subcommands: [ImportCommand.self, DemoCommand.self]
    )
}
