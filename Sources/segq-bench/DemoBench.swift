import ArgumentParser
import SegStore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `segq-bench demo`: demo store build speed.
struct DemoBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Measure how long `segq demo` takes to build a store.",
        discussion: "Builds a demo store of N contacts into a fresh file and reports time per phase, events and file size.")

    @Option(help: "Contacts in the demo store.")
    var contacts: Int = 1_000_000

    @Option(help: "The seed.")
    var seed: UInt64 = 1

    @Option(help: "Where to build the store (removed afterwards unless --keep).")
    var db: String = "/tmp/segq-bench-demo.db"

    @Flag(help: "Keep the store.")
    var keep = false

    func run() throws {
        let summary = try DemoStore.build(at: db, options: DemoOptions(contacts: contacts, seed: seed))
        defer { if !keep { for s in ["", "-wal", "-shm"] { unlink(db + s) } } }
        print("demo store: \(summary.contacts) contacts, \(summary.campaigns) campaigns, \(summary.links) links, \(summary.events) events, \(summary.activityRows) activity rows")
        for p in summary.phases { print("  \(p.name): \(fmt(p.seconds)) s") }
        print("total: \(fmt(summary.elapsed)) s (\(Int(Double(summary.events) / summary.elapsed)) events/s), file \(summary.fileSize / 1_000_000) MB")
    }
}
