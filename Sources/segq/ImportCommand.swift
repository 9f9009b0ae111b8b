import ArgumentParser
import SegSession
import Foundation
import enum SegQL.EventKind
import SegSession
import SegStore

/// `segq import`: loads event files into the store.
struct ImportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Load contacts, campaigns, links and events into the store.",
        discussion: """
        Reads the canonical JSON Lines format (docs/import.md): one JSON object per line, \
        its "record" member saying what it is (contact, campaign, link or event); \
        SendGrid Event Webhook events (a JSON array as POSTed, or one object per line); \
        Amazon SES event publishing records (Firehose lines, SNS notifications, arrays); \
        Mailgun events (webhook bodies, Events API pages, event-data objects); \
        and CSV with a header row (contacts, or events; Event/Type/Action read as kind, \
        Date/Time/Timestamp as ts, Link as url, attribute names normalised to signup_date \
        style, one type per attribute column; the summary says how each column was read). \
        The format is detected from each \
        file's content; --format forces it. \
        Contacts, campaigns and links that events name are created on the spot; events \
        whose id is already stored are skipped, so importing a file twice changes \
        nothing. E-mail addresses are matched case-insensitively. Platform events of a \
        type the store has no kind for (SendGrid deferred, group_resubscribe, \
        account_status_change; SES DeliveryDelay, …) are counted as unsupported and skipped.

        The whole run is one transaction. A bad record is reported as FILE:LINE: error: … \
        (FILE: record N: error: … for the Nth element of a JSON array) \
        and, by default, nothing from the run is stored (exit status 1). With --skip-bad \
        the good records are stored, each bad one is reported, and a count ends the run. \
        Ctrl-C, kill or a crash leave the store exactly as it was before.

        Examples:
          segq import --db shop.db events.jsonl
          zcat export.jsonl.gz | segq import --db shop.db -
          segq import --skip-bad day1.jsonl day2.jsonl
          segq import --db shop.db sendgrid-webhook.json
          segq import --format csv --db shop.db contacts.csv
          segq import --db shop.db --tz Europe/Stockholm --map Activity=kind,When=ts sheet.csv
          segq import --db shop.db --type Postcode=text contacts.csv
          segq import --campaign-tag campaign --db shop.db ses-firehose-*.json

        Exit status: 0 imported; 1 bad records (nothing stored unless --skip-bad, which \
        exits 0); 2 usage (e.g. a missing file); 3 store or read error; 130/143 \
        interrupted by SIGINT/SIGTERM (nothing stored).
        """)

    /// The input formats.
    enum Format: String, ExpressibleByArgument, CaseIterable {
        case jsonl, sendgrid, ses, mailgun, csv

        var importFormat: ImportFormat {
            switch self {
            case .jsonl: .jsonl
            case .sendgrid: .sendgrid
            case .ses: .ses
            case .mailgun: .mailgun
            case .csv: .csv
            }
        }
    }

    @OptionGroup var store: StoreOptions

    @Option(help: "The input format (default: detected from each file's content).")
    var format: Format?

    @Option(help: ArgumentHelp(
        "The campaign of SendGrid, SES and Mailgun events that name none (docs/import.md says what names one).",
        valueName: "name"))
    var defaultCampaign: String = ImportOptions.standardDefaultCampaign

    @Option(help: ArgumentHelp(
        "The Amazon SES message tag, or Mailgun user variable, whose value names an event's campaign.",
        valueName: "name"))
    var campaignTag: String?

    @Flag(help: "Store the good records and report the bad ones, instead of storing nothing.")
    var skipBad = false

    @Option(help: ArgumentHelp(
        "CSV: what columns are, as Column=field pairs (field: kind, contact, campaign, ts, url, email, first_name, …, attribute or ignore).",
        valueName: "Column=field,…"))
    var map: String?

    @Option(name: .customLong("type"), help: ArgumentHelp(
        "CSV contacts: an attribute column's type instead of the one decided from the whole column (boolean, integer, decimal, date or text).",
        valueName: "Column=type,…"))
    var columnTypes: String?

    @Option(help: ArgumentHelp(
        "The time zone of date-times written without one (an IANA name such as Europe/Stockholm); without it they are refused.",
        valueName: "zone"))
    var tz: String?

    @Argument(help: ArgumentHelp("Files to import, in order; - reads standard input.", valueName: "file"))
    var files: [String]

    func validate() throws {
        if files.isEmpty { throw ValidationError("Name at least one file to import (- for standard input).") }
        if files.filter({ $0 == "-" }).count > 1 { throw ValidationError("Standard input (-) can be read only once.") }
        if defaultCampaign.isEmpty { throw ValidationError("--default-campaign must not be empty.") }
        if let map, case .failure(let why) = CSVReader.parseMap(map) { throw ValidationError(why.message) }
        if let columnTypes, case .failure(let why) = CSVReader.parseTypes(columnTypes) { throw ValidationError(why.message) }
        if let tz, TimeZone(identifier: tz) == nil {
            throw ValidationError("--tz: unknown time zone '\(tz)'; use an IANA name such as UTC, Europe/Stockholm or America/New_York")
        }
    }

    /// The options of the run, from the command line.
    var importOptions: ImportOptions {
        var options = ImportOptions(
            format: format?.importFormat, defaultCampaign: defaultCampaign, campaignTag: campaignTag, skipBad: skipBad)
        if let map, case .success(let m) = CSVReader.parseMap(map) { options.csvMap = m }
        if let columnTypes, case .success(let t) = CSVReader.parseTypes(columnTypes) { options.csvTypes = t }
        if let tz, let zone = TimeZone(identifier: tz) {
            options.localZone = LocalZone(name: tz) { Int64(zone.secondsFromGMT(for: Date(timeIntervalSince1970: TimeInterval($0)))) }
        }
        return options
    }

    func run() throws {
        for file in files where file != "-" {
            if !isReadableFile(file) {
                printError("segq import: error: \(file): no such file or not readable")
                throw ExitCode(ExitStatus.usage)
            }
        }
        let opened: Store
        do {
            opened = try Store(path: store.path, acceptEmptyFile: true)
        } catch {
            printError("segq import: error: \(userFacingDescription(error))")
            throw ExitCode(ExitStatus.runtime)
        }
        Interrupts.install()
        let importer = Importer(store: opened, options: importOptions)
        let progress = ProgressLine(enabled: stderrIsTerminal)
        importer.onBadLine = {
            progress.clear()
            printError($0.description)
        }
        importer.isCancelled = { Interrupts.received != 0 }
        // The saved segments' history is read by the set engine, as `count` reads them.
        let session = Session(store: opened, output: ResultWriter(format: .csv, sink: ByteSink.standardOutput()), mode: .script) { _ in }
        importer.segmentMembers = { try session.segmentMembers($0, at: $1) }
        importer.onProgress = { p in
            progress.update {
                var text = "importing \(p.source): \(megabytes(p.bytesRead))"
                if let total = p.totalBytes, total > 0 {
                    text += " of \(megabytes(total)) (\(Int(Double(p.bytesRead) * 100 / Double(total)))%)"
                }
                text += ", \(grouped(p.records)) records"
                if p.elapsed > 0.5 { text += ", \(grouped(Int(Double(p.records) / p.elapsed))) records/s" }
                return text
            }
        }
        let summary: ImportSummary
        do {
            summary = try importer.run(files.map { ImportSource.file($0) })
        } catch ImportError.cancelled {
            progress.clear()
            printError("segq import: interrupted; nothing was stored")
            throw ExitCode(Interrupts.exitStatus)
        } catch {
            progress.clear()
            printError("segq import: error: \(userFacingDescription(error))")
            throw ExitCode(ExitStatus.runtime)
        }
        progress.clear()
        for line in ImportCommand.summaryLines(summary) { printError(line) }
        if !summary.committed { throw ExitCode(ExitStatus.compile) }
    }
}

extension ImportCommand {
    /// The summary printed after a run: totals, then stored events by kind and skipped
    /// platform records by type.
    static func summaryLines(_ summary: ImportSummary) -> [String] {
        let rate = summary.elapsed > 0 ? " (\(grouped(Int(Double(summary.records) / summary.elapsed))) records/s)" : ""
        var line = "read \(grouped(summary.records)) records in \(String(format1: summary.elapsed, 1)) s\(rate): "
        guard summary.committed else {
            line += "\(grouped(summary.bad)) bad \(summary.bad == 1 ? "record" : "records"); nothing was stored (use --skip-bad to store the good ones)"
            return [line]
        }
        line += "\(grouped(summary.stored)) events stored, \(grouped(summary.duplicates)) duplicates skipped"
        if summary.unsupported > 0 { line += ", \(grouped(summary.unsupported)) unsupported skipped" }
        if summary.bad > 0 { line += ", \(grouped(summary.bad)) bad records skipped" }
        if summary.declarations > 0 { line += ", \(grouped(summary.declarations)) declarations" }
        if summary.contactsMerged > 0 { line += ", \(grouped(summary.contactsMerged)) contacts merged" }
        var lines = [line]
        if !summary.storedByKind.isEmpty {
            let kinds = EventKind.allCases.compactMap { k in summary.storedByKind[k].map { "\(k.verb) \(grouped($0))" } }
            lines.append("  stored: " + kinds.joined(separator: ", "))
        }
        for note in summary.notes { lines.append("  read \(note)") }
        if summary.footerLinksRecognised > 0 {
            let n = summary.footerLinksRecognised
            lines.append("  footer links recognised (unsubscribe, preferences, privacy; not counted as clicks): \(grouped(n)) \(n == 1 ? "link" : "links") (declare 'footer' on a link to override)")
        }
        if !summary.unsupportedByType.isEmpty {
            let types = summary.unsupportedByType.sorted { $0.key < $1.key }.map { "\($0.key) \(grouped($0.value))" }
            lines.append("  unsupported (no kind in the store, not stored): " + types.joined(separator: ", "))
        }
        return lines
    }
}

/// A one-line progress display on standard error, redrawn with `\r` at most ~8 times a
/// second; does nothing when standard error is not a terminal.
final class ProgressLine {
    let enabled: Bool
    private var last = 0.0
    private var drawn = false

    init(enabled: Bool) { self.enabled = enabled }

    func update(_ text: () -> String) {
        guard enabled else { return }
        let now = monotonicNow()
        guard now - last >= 0.125 else { return }
        last = now
        writeStderr("\r\u{1B}[K" + text())
        drawn = true
    }

    func clear() {
        guard enabled, drawn else { return }
        writeStderr("\r\u{1B}[K")
        drawn = false
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

func monotonicNow() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}

func isReadableFile(_ path: String) -> Bool {
    access(path, R_OK) == 0
}
