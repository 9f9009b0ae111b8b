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

    @Test func aMultiLineInputIsRecalledAsTyped() throws {
        let history = directory.appendingPathComponent("h4").path
        do {
            let t = try start(history: history)
            t.expect("segq shop.db> ")
            t.type("count opened and -- who opened\r")
            t.expect("...> ")
            t.type("not clicked\r")
            t.expect("\r\n2\r\n")
            t.expect("segq shop.db> ")
            t.pause()
            // Recalled, the comment ends at its line: the input is complete and runs.
            t.type("\u{1B}[A")
            t.expect("not clicked")
            t.type("\r")
            t.expect("\r\n2\r\n")
            t.expect("segq shop.db> ")
            t.type(".quit\r")
            #expect(t.waitForExit() == 0)
        }
        // The next session recalls it whole, too (before the .quit).
        let t = try start(history: history)
        t.expect("segq shop.db> ")
        t.pause()
        t.type("\u{1B}[A\u{1B}[A")
        t.expect("not clicked")
        t.type("\r")
        t.expect("\r\n2\r\n")
        t.type(".quit\r")
        #expect(t.waitForExit() == 0)
    }

    @Test func completesAttributeValuesAudiencesAndDotCommands() throws {
        let t = try start(history: "")
        t.expect("segq shop.db> ")
        // The store's values of the attribute, most frequent first.
        t.type("count country = \"\t\t")
        t.expect("SE  DK  NO")
        t.type("\u{3}")
        t.expect("segq shop.db> ")
        t.type("count plan = \"p\t")
        t.expect("ro\"")
        t.type("\r")
        t.expect("\r\n1\r\n")
        t.expect("segq shop.db> ")
        t.type(".li\t\t")
        t.expect(".links  .lists  .limit")
        t.type("nks \"Spr\t")
        t.expect("ing Sale\"")
        t.type("\r")
        t.expect("/unsubscribe")
        t.type("duplicate campaign \"Spring Sale\" for op\t")
        t.expect("eners ")
        t.type("\u{3}")
        t.expect("segq shop.db> ")
        t.type(".quit\r")
        #expect(t.waitForExit() == 0)
    }

    @Test func onceOutputAndReset() throws {
        let once = directory.appendingPathComponent("once.csv").path
        let piped = directory.appendingPathComponent("piped.txt").path
        let t = try start(history: "")
        t.expect("segq shop.db> ")
        t.type(".mode csv\r")
        t.type(".once \(once)\r")
        // The next result goes to the file, all its rows (as in a script).
        t.type("country = \"SE\"\r")
        t.expect("segq shop.db> ")
        t.type("count everyone\r")
        t.expect("\r\n5\r\n")
        t.expect("segq shop.db> ")
        // Every result into a command until .output alone.
        t.type(".output '|tr a-z A-Z > \(piped)'\r")
        t.type("show everyone with columns email\r")
        t.expect("segq shop.db> ")
        t.type(".output\r")
        t.expect("segq shop.db> ")
        t.type("count clickers\r")
        t.expect("\r\n2\r\n")
        t.type(".quit\r")
        #expect(t.waitForExit() == 0)
        let file = try String(contentsOfFile: once, encoding: .utf8)
        #expect(file == "contact_id,email,phone,first_name,last_name\r\n1,ana@example.com,+46701234567,Ana,Berg\r\n3,cleo@example.com,,Cléo,\"Line\nBreak\"\r\n")
        let pipedText = try String(contentsOfFile: piped, encoding: .utf8)
        #expect(pipedText == "EMAIL\r\nANA@EXAMPLE.COM\r\nBO@EXAMPLE.COM\r\nCLEO@EXAMPLE.COM\r\n\r\nEVA@EXAMPLE.COM\r\n")
        #expect(!pipedText.contains("mailable"))
    }

    @Test func editRunsTheLastInputAsEdited() throws {
        let script = directory.appendingPathComponent("edit.sh").path
        try "#!/bin/sh\nsed -i 's/clickers/openers/' \"$1\"\n".write(toFile: script, atomically: true, encoding: .utf8)
        chmod(script, 0o755)
        let t = try Terminal(["repl", "--db", db, "--now", fixtureNow],
                             environment: ["SEGQ_HISTORY": "", "VISUAL": "", "EDITOR": script])
        t.expect("segq shop.db> ")
        t.type("count clickers\r")
        t.expect("\r\n2\r\n")
        t.expect("segq shop.db> ")
        t.type(".edit\r")
        t.expect("count openers\r\n3\r\n")
        t.expect("segq shop.db> ")
        // The edited input is the last one now, and in history.
        t.pause()
        t.type("\u{1B}[A")
        t.expect("count openers")
        t.type("\u{3}")
        t.type(".quit\r")
        #expect(t.waitForExit() == 0)
    }

    @Test func watchRerunsUntilCtrlC() throws {
        let t = try start(history: "")
        t.expect("segq shop.db> ")
        t.type(".watch 0.2 count everyone\r")
        t.expect("UTC (every 0.2 s; Ctrl-C stops)\r\n5\r\n")
        t.expect("UTC (every 0.2 s; Ctrl-C stops)\r\n5\r\n")
        t.type("\u{3}")
        t.expect("segq shop.db> ")
        t.type(".watch 0 count everyone\r")
        t.expect("usage: .watch SECONDS QUERY")
        t.type(".quit\r")
        #expect(t.waitForExit() == 0)
    }

    @Test func aTallResultGoesThroughThePagerAndWideRowsAreCut() throws {
        // A pager that marks each line it shows; the screen: 8 rows of 60 columns.
        let t = try Terminal(["repl", "--db", db, "--now", fixtureNow],
                             environment: ["SEGQ_HISTORY": "", "PAGER": "sed 's/^/PAGED: /'"], rows: 8, columns: 60)
        t.expect("segq shop.db> ")
        t.type("show everyone\r")
        t.expect("PAGED: contact_id  email")
        t.expect("PAGED: 5 ")
        t.expect("segq shop.db> ")
        // Fits the screen: not paged; a row wider than the screen is cut with …
        t.type("show everyone limit 2\r")
        let shown = t.expect("segq shop.db> ") ?? ""
        #expect(!shown.contains("PAGED"))
        #expect(shown.contains("\r\n2           bo@example.com                 Bo, Jr.     O\"Ne…\r\n"))
        t.type(".pager off\r")
        t.expect("segq shop.db> ")
        t.type("show everyone\r")
        let unpaged = t.expect("segq shop.db> ") ?? ""
        #expect(!unpaged.contains("PAGED") && unpaged.contains("eva@example.com"))
        t.type(".pager\r")
        t.expect("pager: off (sed 's/^/PAGED: /')")
        t.type(".quit\r")
        #expect(t.waitForExit() == 0)
    }

    @Test func anEnteredStatementIsRedrawnHighlighted() throws {
        let t = try Terminal(["repl", "--db", db, "--now", fixtureNow], environment: ["SEGQ_HISTORY": ""],
                             rows: 40, columns: 60, colour: true)
        t.expect("> ")
        t.type("count opend and plan = \"pro\" -- hi\r")
        // Up one row, the prompt again, then the line coloured.
        let redrawn = t.expect("\u{1B}[K\r") ?? ""
        #expect(redrawn.contains("\u{1B}[1A\r\u{1B}[1msegq\u{1B}[0m shop.db> "))
        #expect(redrawn.contains("\u{1B}[1mcount\u{1B}[0m \u{1B}[31;4mopend\u{1B}[0m \u{1B}[1mand\u{1B}[0m plan = \u{1B}[32m\"pro\"\u{1B}[0m \u{1B}[2m-- hi\u{1B}[0m"))
        t.expect("did you mean 'opened'?")
        t.expect("> ")
        // A line wider than the terminal wrapped: it is left as it is.
        t.type("count opend and " + String(repeating: "country = \"SE\" and ", count: 3) + "plan = \"pro\"\r")
        let wide = t.expect("did you mean 'opened'?") ?? ""
        #expect(!wide.contains("\u{1B}[31;4m"))
        t.type(".quit\r")
        #expect(t.waitForExit() == 0)
    }

    @Test func theLiveCountOfACompleteQueryShowsAsItIsTyped() throws {
        let t = try start(history: "")
        t.expect("segq shop.db> ")
        t.type("opened")
        // The right prompt, once the input has been still for a moment.
        t.expect("3 contacts")
        t.type(" and not clicked")
        t.expect("2 contacts")
        // Incomplete: nothing is counted; complete again: counted again.
        t.type(" and")
        t.type(" country = \"SE\"")
        t.expect("1 contact")
        t.type("\r")
        t.expect("1 contact, ")
        t.expect("segq shop.db> ")
        // Tab while a count may run: completion still works.
        t.type("count clicked(campaign: \"Spr\t")
        t.expect("ing Sale\"")
        t.type(")\r")
        t.expect("\r\n1\r\n")
        t.type(".live off\r")
        t.type(".live\r")
        t.expect("live count: off")
        t.type(".quit\r")
        #expect(t.waitForExit() == 0)
    }

    @Test func noHistoryWhenNotInteractive() throws {
        let history = directory.appendingPathComponent("h3").path
        let r = try segq(["repl", "--db", db], stdin: "count everyone;\n", environment: ["SEGQ_HISTORY": history])
        #expect(r.status == 0 && r.stdout == "5\n")
        #expect(!FileManager.default.fileExists(atPath: history))
    }

    @Test func onceAndOutputInAScript() throws {
        let once = directory.appendingPathComponent("script-once.csv").path
        let script = ".once \(once)\nshow clickers with columns email\ncount everyone\n.output '|tr a-z A-Z'\ncount openers\n.output\ncount openers\n"
        let r = try segq(["repl", "--db", db, "--format", "csv"], stdin: script, environment: ["SEGQ_HISTORY": ""])
        #expect(r.status == 0)
        #expect(r.stdout == "5\n3\n3\n")
        #expect(try String(contentsOfFile: once, encoding: .utf8) == "email\r\nana@example.com\r\n\r\n")
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
