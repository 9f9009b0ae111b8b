import ArgumentParser
import Foundation
import SegQL
import SegSession

/// `segq stats`: a campaign's metrics.
struct StatsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stats",
        abstract: "Show a campaign's counts, rates, links, status funnel and opens heatmap.",
        discussion: """
            Every figure is defined in docs/analytics.md. Counts are unique contacts; a rate \
            whose denominator is zero shows as — (null in JSON). SMS campaigns have no open \
            figures (SMS has no open tracking). --format json writes one JSON object with \
            every number (jsonl: the same object on one line); csv and tsv write one \
            figure,value row per number, named by its path in the JSON (contacts.sent, \
            rates.open, links.0.url); table, the default even when not a terminal, writes \
            the report. Times (the send time, the heatmap) are in --tz, else $TZ, else the \
            system's zone.

            Examples:
              segq stats "Spring Sale"
              segq stats "Welcome Series" --message 2 --tz Europe/Stockholm
              segq stats "Spring Sale" --first-opens --format json
              segq stats "Spring Sale" --format csv > spring-sale.csv

            Exit status: 0 success; 1 an unknown campaign or message; 2 a usage error \
            (e.g. an unknown --tz); 3 a runtime or store error.
            """
    )

    @OptionGroup var store: StoreOptions
    @OptionGroup var query: QueryOptions

    @ArgumentParser.Argument(help: ArgumentHelp("The campaign's name (case-sensitive).", valueName: "campaign"))
    var campaign: String

    @Option(name: .long, help: ArgumentHelp("Only this message of a multi-message campaign.", valueName: "n"))
    var message: Int64?

    @Option(name: .long, help: ArgumentHelp(
        "The time zone of the send time and the opens heatmap, an IANA name.",
        discussion: "Default: $TZ if it names a zone, else the system's zone (/etc/localtime), else UTC.",
        valueName: "zone"))
    var tz: String?

    @Flag(name: .long, help: "Count only each contact's first open in the heatmap.")
    var firstOpens = false

    func validate() throws {
        if let tz, TimeZone(identifier: tz) == nil {
            throw ValidationError("--tz takes an IANA time zone name such as UTC, Europe/Stockholm or America/New_York; got '\(tz)'")
        }
        if let message, message < 1 { throw ValidationError("--message must be 1 or more") }
    }

    func run() throws {
        // The report, not CSV, when the output is not a terminal: a machine format is asked for by name.
        var query = query
        if query.format == nil { query.format = .table }
        let session = try openSession(store: store, query: query)
        if let tz { session.timeZone = tz }
        // Diagnostics quote the argument itself, with a caret under it.
        let file = SourceFile(name: "<campaign argument>", text: campaign)
        let name = Name(text: campaign, quoted: true, range: SourceRange(0, campaign.utf8.count))
        do {
            try session.asStatement { try session.stats(name, message: message, firstOpensOnly: firstOpens, in: file) }
        } catch let e as SessionError {
            printError(e.description)
            throw ExitCode(ExitStatus(for: e))
        }
    }
}
