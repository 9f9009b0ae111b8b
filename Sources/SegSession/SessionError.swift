// The errors a statement reports. The command line maps them to exit statuses in one
// place (ExitStatus.swift).

import SegQL
import SegStore

/// Why a statement did not run. `compile` is an error in the input; every other case
/// happened while running it (the command line maps both to exit statuses in one place).
public enum SessionError: Error, CustomStringConvertible {
    /// The input has errors; nothing was run. Rendered with the source.
    case compile([Diagnostic], SourceFile)
    /// The statement was stopped (Ctrl-C, or its timeout: the reason says which).
    case interrupted(CancellationReason = .interrupted)
    /// The statement writes, and the store is open read-only.
    case readOnlyStore
    /// SQLite found the store's file damaged (the store's path, SQLite's message).
    case damagedStore(path: String, detail: String)
    /// The store could not be read or failed otherwise (the database's message,
    /// without segq's SQL unless `--verbose`).
    case store(String)
    /// A campaign the statement names is not in the store, with the nearest name.
    case unknownCampaign(String, suggestion: String?)
    /// A name that must be new is taken (`kind`: campaign, list).
    case nameTaken(kind: String, name: String)
    /// Dropping or replacing `kind` `name` would break what uses it (`users`, in words).
    case inUse(kind: String, name: String, verb: String, users: String)
    /// The statement asks what the store's state does not allow (a follow-up of a
    /// campaign sent after now); the message says why and what would work.
    case refused(String)
    /// A time zone that is not an IANA name.
    case unknownTimeZone(String)
    /// A file could not be written: the message names it and the system's reason.
    case file(String)
    /// An export target that exists, written without `or replace`.
    case fileExists(String)
    /// The system refused a resource (a pipe, a signal handler): what, and why.
    case system(String)

    /// The message of a runtime error, without `error: `.
    public var message: String {
        switch self {
        case .compile(let ds, _): ds.map(\.message).joined(separator: "\n")
        case .interrupted(let reason): reason.message
        case .readOnlyStore: "the store is open read-only (--read-only); this statement writes"
        case let .damagedStore(path, m):
            "\(path): the store is damaged (SQLite: \(m)); check it with sqlite3's 'PRAGMA integrity_check' and restore it from a backup"
        case .store(let m): m
        case let .unknownCampaign(name, near): "no campaign named '\(name)'" + (near.map { "; did you mean '\($0)'?" } ?? "")
        case let .nameTaken(kind, name): "a \(kind) named '\(name)' already exists"
        case let .inUse(kind, name, verb, users): "cannot \(verb) \(kind) '\(name)': \(users)"
        case .refused(let m): m
        case .unknownTimeZone(let z): StatsError.unknownTimeZone(z).description
        case .file(let m): m
        case .fileExists(let path): "'\(path)' already exists; use 'export or replace … to' to overwrite it"
        case .system(let m): m
        }
    }

    public var description: String {
        switch self {
        case .compile(let ds, let file):
            return ds.map { DiagnosticRenderer.render($0, in: file, color: false) }.joined(separator: "\n")
        default:
            return "error: " + TerminalText.escaped(message, keeping: ["\n"])
        }
    }

    /// Whether the statement was interrupted (Ctrl-C) or cancelled by its timeout.
    public var isInterrupt: Bool {
        if case .interrupted = self { return true }
        return false
    }
}
