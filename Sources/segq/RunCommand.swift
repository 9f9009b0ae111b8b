import ArgumentParser
import Foundation
import SegQL
import SegSession
import SegStore

/// `segq run`: statements from files, standard input or the command line.
struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run SegQL statements from files, standard input or -c.",
        discussion: """
            Runs the statements in order and stops at the first error. Results go to \
            standard output; diagnostics, warnings and confirmations ('campaign \
            context: …', 'alias …', 'saved segment …', 'exported …') to standard \
            error. A bare query writes its \
            contacts; 'count' writes the bare number.

            Examples:
              segq run -c 'count opened(campaign: "Spring Sale")'
              segq run --format csv winback.segq > winback.csv
              echo 'show clickers limit 5' | segq run -
              segq run --tz Europe/Stockholm -c 'contact "ana@example.com"'

            A query file can be made executable with a first line
              #!/usr/bin/env -S segq run

            Exit status: 0 success; 1 an error in the input; 2 a usage error; \
            3 a runtime or store error.
            """
    )

    @OptionGroup var store: StoreOptions
    @OptionGroup var query: QueryOptions

    @Option(name: .customShort("c"), help: ArgumentHelp("Statements to run.", valueName: "statements"))
    var command: String?

    @ArgumentParser.Argument(help: ArgumentHelp("Files of statements; '-' is standard input.", valueName: "file"))
    var files: [String] = []

    @Option(name: .long, help: ArgumentHelp(
        "The time zone of the times 'contact' and 'stats' show, an IANA name.",
        discussion: "Default: $TZ if it names a zone, else the system's zone (/etc/localtime), else UTC.",
        valueName: "zone"))
    var tz: String?

    func validate() throws {
        if let tz, TimeZone(identifier: tz) == nil {
            throw ValidationError("--tz takes an IANA time zone name such as UTC, Europe/Stockholm or America/New_York; got '\(tz)'")
        }
        if command == nil, files.isEmpty, isatty(STDIN_FILENO) != 0 {
            throw ValidationError("give statements with -c, or files to run ('-' for standard input)")
        }
    }

    func run() throws {
        var sources: [SourceFile] = []
        if let command { sources.append(SourceFile(name: "<command line>", text: command)) }
        for path in files.isEmpty && command == nil ? ["-"] : files {
            guard let file = readSource(path) else {
                printError("error: cannot read '\(path)'")
                throw ExitCode(ExitStatus.runtime)
            }
            sources.append(file)
        }
        let session = try openSession(store: store, query: query)
        // Standard output carries results alone; confirmations go with the diagnostics.
        (session.output as? ResultWriter)?.noteSink = ByteSink(fileDescriptor: STDERR_FILENO)
        if let tz { session.timeZone = tz }
        for file in sources {
            do {
                try session.run(file)
            } catch let e as SessionError {
                printError(e.description)
                throw ExitCode(ExitStatus(for: e))
            }
        }
    }
}

/// The bytes of a file, or standard input for `-`.
func readSource(_ path: String) -> SourceFile? {
    if path == "-" {
        return SourceFile(name: "<stdin>", bytes: Array(FileHandle.standardInput.readDataToEndOfFile()))
    }
    guard let data = FileManager.default.contents(atPath: path) else { return nil }
    return SourceFile(name: path, bytes: Array(data))
}

/// Opens the store and a session configured from the shared options; errors exit 3.
func openSession(store options: StoreOptions, query: QueryOptions) throws -> Session {
    let store: Store
    do {
        store = try Store.openExisting(path: options.path, readOnly: query.readOnly, check: query.check ? .full : .automatic, verbose: query.verbose)
    } catch {
        let orDB = if case .missing = error { ", or pass --db" } else { "" }
        printError("error: \(error)\(orDB)")
        throw ExitCode(ExitStatus.runtime)
    }
    let writer = ResultWriter(format: query.outputFormat, sink: ByteSink.standardOutput())
    let color = isatty(STDERR_FILENO) != 0 && ProcessInfo.processInfo.environment["NO_COLOR"] == nil
    let session = Session(store: store, output: writer, mode: .script) { printError($0) }
    session.color = color
    session.terminalWidth = standardOutputColumns()
    session.verbose = query.verbose
    session.timeout = query.timeout
    // Times are shown in the viewer's zone unless --tz or .tz says otherwise.
    session.timeZone = ViewerTimeZone.name()
    // A demo store is frozen at its reference time; measure `within` from there unless
    // --now says otherwise (docs/cli.md).
    if let now = query.fixedNow {
        session.fixedNow = now
    } else if let demoNow = store.demoNow {
        session.fixedNow = demoNow
    }
    if let name = query.campaign {
        do {
            try session.useCampaign(Name(text: name, quoted: true, range: .at(0)), in: SourceFile(name: "--campaign", text: name))
        } catch let e as SessionError {
            printError(e.description)
            throw ExitCode(ExitStatus.usage)
        }
    }
    return session
}

/// The width of the terminal standard output goes to, or nil when it goes elsewhere.
func standardOutputColumns() -> Int? {
    guard isatty(STDOUT_FILENO) != 0 else { return nil }
    var size = winsize()
    if ioctl(STDOUT_FILENO, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 { return Int(size.ws_col) }
    return 80
}
