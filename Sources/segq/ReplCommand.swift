import ArgumentParser
import Foundation
import SegREPL
import SegSession

/// `segq repl`: the interactive prompt (what a bare `segq` runs on a terminal).
struct ReplCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "repl",
        abstract: "Type queries and see answers at once (what a bare 'segq' does on a terminal).",
        discussion: """
            A bare query prints how many contacts match, the first rows (.limit N, \
            default 10) and the time. Enter runs the input once it is complete (brackets \
            closed, not ending in and, or, not or a comma) and continues it otherwise. \
            Tab completes keywords, argument names, campaign names inside campaign:", \
            link paths inside link:", attribute names and values (plan = "p), segment, \
            list and alias names, and dot-commands. Ctrl-C stops a running query or \
            discards the line; Ctrl-D or .quit leaves. Results taller than the screen go \
            through $PAGER (else less -S). Type .help for the language and the \
            dot-commands (.campaigns, .links, .segments, .lists, .schema, .mode, .timer, \
            .limit, .timeout, .tz, .pager, .live, .once, .output, .edit, .watch, .open, .read, .quit). \
            The size of a complete query shows at the end of the line as you type.

            History is kept in ~/.segq_history ($SEGQ_HISTORY overrides; empty: none). \
            Colour only on a terminal, never when NO_COLOR is set.

            When standard input is not a terminal it is read as a script, without \
            prompts or history: statements end with ';', dot-commands stand on lines of \
            their own, bare queries write their rows, and the first error stops the run \
            with the exit status of 'segq run'.

            Examples:
              segq demo --db demo.db && segq repl --db demo.db
              segq --db demo.db --campaign "Spring Sale"
            """
    )

    @OptionGroup var store: StoreOptions
    @OptionGroup var query: QueryOptions

    func run() throws {
        let interactive = isatty(STDIN_FILENO) != 0
        let session = try openSession(store: store, query: query)
        guard let writer = session.output as? ResultWriter else {
            printError("error: internal: the session has no result writer")
            throw ExitCode(ExitStatus.runtime)
        }
        let environment = ProcessInfo.processInfo.environment
        let color = interactive && isatty(STDOUT_FILENO) != 0 && environment["NO_COLOR"] == nil
            && environment["TERM"] != "dumb"
        session.color = color
        session.verbose = query.verbose
        let repl: REPL
        do {
            repl = try REPL(session: session, writer: writer, interactive: interactive,
                            historyPath: interactive ? REPL.defaultHistoryPath(environment: environment) : nil,
                            readOnly: query.readOnly, explicitNow: query.fixedNow != nil, color: color)
        } catch {
            printError("error: \(error)")
            throw ExitCode(ExitStatus.runtime)
        }
        switch repl.run() {
        case .success: return
        case .compileError: throw ExitCode(ExitStatus.compile)
        case .runtimeError: throw ExitCode(ExitStatus.runtime)
        }
    }
}
