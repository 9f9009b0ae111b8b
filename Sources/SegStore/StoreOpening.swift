// Opening a store that must already exist — what `segq run`, `segq repl` and the REPL's
// `.open` do (only `segq import` and `segq demo` create stores) — written once, so the
// commands refuse a missing store and word a failed open the same way.

import SegQL

/// Why an existing store could not be opened, as the user reads it.
public enum StoreOpenFailure: Error, CustomStringConvertible, Equatable {
    /// No file at the path (a PostgreSQL URL is never missing: the server says).
    case missing(path: String)
    /// The open failed: the store's or the database's message (`detail`).
    case failed(shownPath: String, detail: String)

    public var description: String {
        switch self {
        case let .missing(path): "no store at '\(path)'; create one with 'segq import' or 'segq demo'"
        case let .failed(shownPath, detail): "cannot open '\(shownPath)': \(detail)"
        }
    }
}

extension Store {
    /// Opens the store at `path` (a file or a PostgreSQL URL), which must exist.
    /// `verbose`: a database error's message also quotes the SQL that failed.
    public static func openExisting(
        path: String, readOnly: Bool, check: IntegrityCheck = .automatic, verbose: Bool
    ) throws(StoreOpenFailure) -> Store {
        guard PostgresDatabase.isURL(path) || fileExists(path) else { throw .missing(path: path) }
        do {
            return try Store(path: path, readOnly: readOnly, check: check)
        } catch {
            throw .failed(shownPath: PostgresDatabase.redacted(path), detail: userFacingDescription(error, verbose: verbose))
        }
    }

    /// The instant a demo store is frozen at (`store_info.demo_now`), which `within:`
    /// is measured from unless `--now` says otherwise; nil for any other store.
    public var demoNow: Int64? {
        if case .integer(let now)? = try? info("demo_now") { now } else { nil }
    }
}
