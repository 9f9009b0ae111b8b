import ArgumentParser
import SegSession
import SegStore

/// `segq demo`: builds a realistic demo store.
struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Build a realistic, deterministic demo store to try segq on.",
        discussion: """
        The store has 17 campaigns over the year before 2026-06-01T00:00:00Z (3 SMS; \
        "Welcome Series" has 3 messages, "Spring Sale" 2), links with footer links and \
        paths shared across campaigns, and skewed engagement: most contacts rarely open, \
        a few open everything; repeat opens and clicks, machine opens, hard and soft \
        bounces, drops, replies, forwards, unsubscribes, complaints, contacts with no \
        events, and the attributes country, plan, age, orders and vip. About 25 events \
        per contact. The same --contacts and --seed always give the same store.

        Every event is before the reference date, which is stored as store_info \
        'demo_now': pass it as --now so that `within:` queries see the data as recent.

        An existing demo store at --db is replaced; any other existing file is refused \
        unless --force. The store is built in a temporary file and moved into place at \
        the end, so an interrupted build leaves nothing behind; the PATH.building-PID \
        files of a killed one are removed by the next build. With a PostgreSQL --db \
        (postgres://…), the store is built in a temporary SQLite file and copied into \
        the database all at once: loaded over two connections into a staging schema \
        (segq_load_PID) and swapped into the store's by one transaction, so an \
        interrupted copy leaves the store as it was (a killed one's staging schema is \
        dropped by the next copy).

        Examples:
          segq demo --db demo.db                      # 100,000 contacts, 2.2M events
          segq demo --db big.db --contacts 1000000    # 22M events, 2.6 GB
          segq demo --db postgres://localhost/segq    # the same store on PostgreSQL
        """)

    @OptionGroup var store: StoreOptions

    @Option(help: "The number of contacts.")
    var contacts: Int = 100_000

    @Option(help: "The random seed; the same seed gives the same store.")
    var seed: UInt64 = 1

    @Flag(help: "Replace an existing file at --db even if it is not a demo store.")
    var force = false

    func validate() throws {
        guard contacts >= 1 && contacts <= 9_999_999 else {
            throw ValidationError("--contacts must be between 1 and 9,999,999.")
        }
    }

    func run() throws {
        let path = store.path
        // What messages show: a PostgreSQL URL without its password.
        let shown = PostgresDatabase.redacted(path)
        if PostgresDatabase.isURL(path) {
            let allowed: Bool
            do { allowed = try DemoStore.mayReplacePostgres(url: path) } catch {
                printError("segq demo: error: \(userFacingDescription(error))")
                throw ExitCode(ExitStatus.runtime)
            }
            if !force && !allowed {
                printError("segq demo: error: \(shown) holds a segq store that is not a demo store; use --force to replace it")
                throw ExitCode(ExitStatus.usage)
            }
        } else if isReadableFile(path) || fileExistsAtPath(path) {
            if !force && !DemoStore.isDemoStore(path: path) {
                printError("segq demo: error: \(shown) exists and is not a demo store; use --force to replace it")
                throw ExitCode(ExitStatus.usage)
            }
        }
        Interrupts.install()
        let progress = ProgressLine(enabled: stderrIsTerminal)
        let summary: DemoSummary
        do {
            summary = try DemoStore.build(
                at: path, options: DemoOptions(contacts: contacts, seed: seed),
                progress: { p in
                    progress.update {
                        "building \(shown): \(p.phase) \(Int(p.fraction * 100))%, \(grouped(p.events)) events, \(String(format1: p.elapsed, 0)) s"
                    }
                },
                isCancelled: { Interrupts.received != 0 })
        } catch DemoError.cancelled {
            progress.clear()
            printError("segq demo: interrupted; nothing was written")
            throw ExitCode(Interrupts.exitStatus)
        } catch {
            progress.clear()
            printError("segq demo: error: \(userFacingDescription(error))")
            throw ExitCode(ExitStatus.runtime)
        }
        progress.clear()
        printError("""
            built \(shown) in \(String(format1: summary.elapsed, 1)) s: \(grouped(summary.contacts)) contacts, \
            \(summary.campaigns) campaigns, \(summary.links) links, \(grouped(summary.events)) events, \
            \(megabytes(summary.fileSize)); reference date 2026-06-01T00:00:00Z (use --now)
            """)
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

func fileExistsAtPath(_ path: String) -> Bool {
    var st = stat()
    return stat(path, &st) == 0
}
