import ArgumentParser

/// `segq-bench`: the reproducible benchmarks behind docs/benchmarks.md.
/// Build with `swift build -c release` and run `.build/release/segq-bench --help`.
@main
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "segq-bench",
        abstract: "Benchmarks for segq (figures in docs/benchmarks.md).",
        subcommands: [ParseBench.self, ImportBench.self, DemoBench.self, QueryBench.self, BackendBench.self, StatsBench.self, RandomBench.self]
    )
}
