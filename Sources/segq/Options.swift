import ArgumentParser
import Foundation
import SegQL
import SegSession

/// Options every command that opens a store shares.
struct StoreOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp(
        "The store: a SQLite file (created if missing), or a PostgreSQL database URL.",
        discussion: """
            Default: $SEGQ_DB, else ./segq.db. A URL starting postgres:// or postgresql:// \
            (libpq's form, e.g. postgres://user@host:5432/segq) opens that database; segq \
            creates its tables there on first use.
            """, valueName: "path|url"))
    var db: String?

    /// The store path: `--db`, else `$SEGQ_DB`, else `./segq.db`.
    var path: String {
        if let db { return db }
        if let env = ProcessInfo.processInfo.environment["SEGQ_DB"], !env.isEmpty { return env }
        return "segq.db"
    }
}

/// Options of every command that runs queries.
struct QueryOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp(
        "The instant 'within' is measured from (ISO-8601, e.g. 2026-06-01T00:00:00Z).",
        discussion: "Default: the wall clock. Scripts and tests pass it to get the same answer every day.",
        valueName: "iso-8601"))
    var now: String?

    @Option(name: .long, help: ArgumentHelp(
        "The campaign context: event predicates without 'campaign:' are scoped to it.", valueName: "name"))
    var campaign: String?

    @Option(name: .long, help: ArgumentHelp(
        "Output format: table, csv, tsv, json or jsonl.",
        discussion: "Default: table on a terminal, csv otherwise.", valueName: "format"))
    var format: OutputFormat?

    @Flag(name: .long, help: "Open the store read-only: statements that write fail.")
    var readOnly = false

    @Flag(name: .long, help: "Show the SQL segq was running in store errors.")
    var verbose = false

    @Option(name: .long, help: ArgumentHelp(
        "Cancel a statement that runs longer than this many seconds.",
        discussion: """
            Covers compiling (aliases, saved segments, long lists) and running, on SQLite and \
            PostgreSQL: the statement fails with 'statement cancelled after N s (--timeout)' \
            and exit status 3, writing nothing. Default: none.
            """, valueName: "seconds"))
    var timeout: Double?

    @Flag(name: .long, help: ArgumentHelp(
        "Check every page of the store for damage before anything runs.",
        discussion: """
            SQLite's quick_check, which reads the whole file: 2.6 s of CPU for a 583 MB store. \
            Without --check it runs only on stores of 8 MiB or less; every open checks that the \
            file is as long as its header says.
            """))
    var check = false

    func validate() throws {
        if let timeout, !(timeout > 0 && timeout.isFinite) {
            throw ValidationError("--timeout takes a number of seconds greater than 0, such as 30 or 0.5")
        }
        if let now, Timestamp.parse(now) == nil {
            throw ValidationError("--now takes an ISO-8601 date or date-time with a zone, such as 2026-06-01T00:00:00Z; got '\(now)'")
        }
    }

    /// `--now` in Unix seconds, if given.
    var fixedNow: Int64? { now.flatMap(Timestamp.parse)?.start }

    /// `--format`, else table on a terminal and csv otherwise.
    var outputFormat: OutputFormat {
        format ?? (isatty(STDOUT_FILENO) != 0 ? .table : .csv)
    }
}

extension OutputFormat: ExpressibleByArgument {}
