import ArgumentParser
import Foundation

/// Options every command that opens a store shares.
struct StoreOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp(
        "The store: a SQLite file (created if missing).",
        discussion: "Default: $SEGQ_DB, else ./segq.db.", valueName: "path"))
    var db: String?

    /// The store path: `--db`, else `$SEGQ_DB`, else `./segq.db`.
    var path: String {
        if let db { return db }
        if let env = ProcessInfo.processInfo.environment["SEGQ_DB"], !env.isEmpty { return env }
        return "segq.db"
    }
}
