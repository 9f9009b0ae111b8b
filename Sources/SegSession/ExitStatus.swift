// The exit statuses of `segq`, and the one mapping from what went wrong to a status.
// They are documented in `segq --help` and docs/cli.md (§ Exit status); every command
// of the executable exits through here, never with a bare number.

/// How `segq` exits.
public enum ExitStatus: Int32, CaseIterable, Sendable {
    /// Everything ran.
    case success = 0
    /// An error in the input: a query or statement that does not compile (a taken name in
    /// `save segment`/`save list` among them), a bad import line.
    case compile = 1
    /// A usage error: an unknown option, a bad `--format`/`--now`, an unknown `--campaign`.
    case usage = 2
    /// A runtime or store error: a missing or unreadable store or file, a write to a
    /// read-only store, a copy name `duplicate campaign` would take, the database failing.
    case runtime = 3
    /// `import` or `demo` stopped by SIGINT (128 + 2).
    case interrupted = 130
    /// `import` or `demo` stopped by SIGTERM (128 + 15).
    case terminated = 143

    /// The status for a statement that failed with `error`: an error in the input is
    /// `compile`, anything that happened while running it `runtime`.
    public init(for error: SessionError) {
        if case .compile = error { self = .compile } else { self = .runtime }
    }

    /// The status after the signal `signal` (SIGTERM: `terminated`; SIGINT or any
    /// other: `interrupted`, as shells report Ctrl-C).
    public init(signal: Int32) {
        self = signal == 15 ? .terminated : .interrupted
    }
}
