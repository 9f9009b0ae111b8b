// The REPL in a real pseudo-terminal: the prompt, continuation, completion of a
// campaign name, Ctrl-C on a partial line, Ctrl-D, and history across two sessions.
// (Ctrl-C interrupting a long query on the 1M-contact demo store is checked by
// scripts/repl-pty-check.sh, which CI runs after `swift test`.)

import Foundation
import Testing

@Suite(.serialized) struct ReplTerminalTests {
    let db: String
    let directory: URL

    init() throws {
        db = try fixtureStore.get()
        directory = try temporaryDirectory()
    }

    func start(history: String) throws -> Terminal {
        try Terminal(["repl", "--db", db, "--now", fixtureNow], environment: ["SEGQ_HISTORY": history])
    }

    @Test func promptContinuationCompletionAndCtrlC() throws {
        let t = try start(history: directory.appendingPathComponent("h1").path)
        t.expect("segq shop.db> ")
        // Incomplete input continues on the next line.
        t.type("opened and\r")
        t.expect("...> ")
        t.type("not clicked\r")
        t.expect("2 contacts")
        t.expect("segq shop.db> ")
        // Tab completes a campaign name inside campaign:"…, closing the quote.
        t.type("use campaign \"Spr\t")
        t.expect("ing Sale\"")
        t.type("\r")
        t.expect("campaign context: Spring Sale")
        t.expect("segq shop.db [Spring Sale]> ")
        t.type("count clicked(campaign: \"Fla\t)\r")
        t.expect("\r\n1\r\n")
        // Tab after `(` offers argument names; a unique prefix completes with ": ".
        t.type("count opens(wi\t")
        t.expect("thin: ")
        t.type("100d) >= 1\r")
        t.expect("\r\n3\r\n")
        t.expect("segq shop.db [Spring Sale]> ")
        // Ctrl-C discards a partial line, even a continued one.
        t.type("opened and\r")
        t.expect("...> ")
        t.pause()
        t.type("half a line")
        t.expect("half a line")
        t.type("\u{3}")
        t.expect("^C")
        t.expect("segq shop.db [Spring Sale]> ")
        t.type("count everyone\r")
        t.expect("\r\n5\r\n")
        // Errors are reported and the REPL goes on.
        t.type("count opend\r")
        t.expect("did you mean 'opened'?")
        t.type(".timer off\r")
        t.type("clickers\r")
        t.expect("1 contact\r\n")
        t.type(".quit\r")
        #expect(t.waitForExit() == 0)
    }

    @Test func historyIsKeptAcrossSessions() throws {
        let history = directory.appendingPathComponent("h2").path
        do {
            let t = try start(history: history)
            t.expect("segq shop.db> ")
            t.type("count bounced(type: hard)\r")
            t.expect("\r\n1\r\n")
            // Ctrl-D on an empty line leaves. (Wait for the prompt, as a user would: a
            // Ctrl-D typed ahead reaches the terminal while it is still line-buffered.)
            t.expect("segq shop.db> ")
            t.pause()
            t.type("\u{4}")
            #expect(t.waitForExit() == 0)
        }
        let saved = try String(contentsOfFile: history, encoding: .utf8)
        #expect(saved.contains("count"))
        let t = try start(history: history)
        t.expect("segq shop.db> ")
        t.type("\u{1B}[A")  // Up: the previous session's last input
        t.expect("hard)")
        t.type("\r")
        t.expect("\r\n1\r\n")
        t.type(".quit\r")
        #expect(t.waitForExit() == 0)
    }

    @Test func noHistoryWhenNotInteractive() throws {
        let history = directory.appendingPathComponent("h3").path
        let r = try segq(["repl", "--db", db], stdin: "count everyone;\n", environment: ["SEGQ_HISTORY": history])
        #expect(r.status == 0 && r.stdout == "5\n")
        #expect(!FileManager.default.fileExists(atPath: history))
    }

    @Test func bareSegqOnATerminalIsTheREPL() throws {
        let t = try Terminal(["--db", db], environment: ["SEGQ_HISTORY": ""])
        t.expect("segq shop.db> ")
        t.type(".help commands\r")
        t.expect(".campaigns")
        t.type(".campaigns\r")
        t.expect("Flash SMS")
        t.type(".links \"Spring Sale\"\r")
        t.expect("/unsubscribe")
        t.type(".quit\r")
        #expect(t.waitForExit() == 0)
    }
}
