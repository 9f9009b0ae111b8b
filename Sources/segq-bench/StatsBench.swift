import ArgumentParser
import SegQL
import SegSession
import SegStore

/// `segq-bench stats`: how long `stats` takes on a demo store.
struct StatsBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stats",
        abstract: "Time `stats` (every figure, text rendering included) on the largest campaign of a store.",
        discussion: """
            Build the store first: segq demo --db demo.db --contacts 1000000
            Times the whole campaign (from the activity rollup), one message of the largest \
            multi-message campaign (from events), the first-opens heatmap in a DST zone, and \
            the campaign overview of `.campaigns` (and, apart, its message lines). Reports the first (cold) run and the median \
            of --runs warm runs, each as wall time and as CPU time (user + system).
            """
    )

    @Option(help: "The store.") var db = "demo.db"
    @Option(help: "Timed warm runs per case (after the cold run).") var runs = 5

    func run() throws {
        let store = try Store(path: db, readOnly: true)
        let catalog = try store.catalog()
        // The largest campaign: the most contacts with any event (activity rows, via event_stats).
        var recipients: [Int64: Int64] = [:]
        try store.database.query("SELECT campaign_id, max(contacts) FROM event_stats GROUP BY campaign_id") { r in
            recipients[r.int64(0)] = r.int64(1)
        }
        guard let largest = catalog.campaigns.max(by: { (recipients[$0.id] ?? 0) < (recipients[$1.id] ?? 0) }) else {
            print("no campaigns in \(db)")
            return
        }
        let multi = catalog.campaigns.filter { $0.messages > 1 }.max { (recipients[$0.id] ?? 0) < (recipients[$1.id] ?? 0) }
        let contacts = try store.contactTotal()
        let events = try store.database.int64("SELECT coalesce(sum(events), 0) FROM event_stats") ?? 0
        print("store: \(db), \(contacts) contacts, \(events) events; cold run, then median of \(runs) warm runs, ms")
        print("(wall: elapsed; CPU: this process's user + system time, which waiting for a core on a shared machine does not inflate; load average \(loadAverage()))\n")
        print("| case | recipients | cold wall | cold CPU | warm median wall | warm median CPU |")
        print("|---|---:|---:|---:|---:|---:|")

        func time(_ label: String, _ n: Int64, _ body: () throws -> Void) throws {
            var t0 = now_ms(), c0 = cpuSeconds()
            try body()
            let cold = now_ms() - t0, coldCPU = (cpuSeconds() - c0) * 1000
            var warm: [Double] = [], warmCPU: [Double] = []
            for _ in 0..<runs {
                t0 = now_ms()
                c0 = cpuSeconds()
                try body()
                warm.append(now_ms() - t0)
                warmCPU.append((cpuSeconds() - c0) * 1000)
            }
            print("| \(label) | \(n) | \(fmt(cold)) | \(fmt(coldCPU)) | \(fmt(median(warm))) | \(fmt(median(warmCPU))) |")
        }

        let r = recipients[largest.id] ?? 0
        var checksum = 0
        try time("stats \"\(largest.name)\" (UTC)", r) {
            let s = try CampaignStats.compute(store: store, campaign: largest)
            checksum &+= StatsRenderer.text(s).utf8.count
        }
        try time("stats \"\(largest.name)\", Europe/Stockholm, first opens only", r) {
            let s = try CampaignStats.compute(
                store: store, campaign: largest, heatmap: HeatmapOptions(timeZone: "Europe/Stockholm", firstOpensOnly: true))
            checksum &+= StatsRenderer.json(s).utf8.count
        }
        if let multi {
            try time("stats \"\(multi.name)\" message 1", recipients[multi.id] ?? 0) {
                let s = try CampaignStats.compute(store: store, campaign: multi, message: 1)
                checksum &+= StatsRenderer.text(s).utf8.count
            }
            try time("stats \"\(multi.name)\" (whole campaign)", recipients[multi.id] ?? 0) {
                let s = try CampaignStats.compute(store: store, campaign: multi)
                checksum &+= StatsRenderer.text(s).utf8.count
            }
        }
        try time("campaign overview (.campaigns), \(catalog.campaigns.count) campaigns", 0) {
            checksum &+= try CampaignOverview.load(from: store).count
        }
        // The part of it that lists each message of the sent sequences.
        let sequences = catalog.campaigns.filter { $0.messages > 1 && $0.sentAt != nil }
        let maxContact = try store.maxContactID()
        try time(".campaigns' message lines, \(sequences.count) sequences", sequences.reduce(0) { $0 + (recipients[$1.id] ?? 0) }) {
            for c in sequences {
                checksum &+= try store.messageSends(campaign: c.id, count: c.messages, maxContact: maxContact).count
            }
        }
        print("\n(checksum \(checksum))")
    }
}
