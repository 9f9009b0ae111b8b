import Testing
@testable import SegREPL

let names: CompletionNames = {
    var names = CompletionNames(
        campaigns: ["Spring Sale", "Spring Preview", "Summer Newsletter", "Black Friday"],
        links: ["/pricing", "/blog/spring-trends", "https://shop.example.com/pricing"],
        attributes: ["country", "plan"], segments: ["engaged", "Nordic readers"], lists: ["Winback"],
        aliases: ["quiet"])
    // The store's values, most frequent first.
    let values = ["plan": ["pro", "free", "plus"], "country": ["SE", "NO"]]
    names.attributeValues = { attribute, prefix in (values[attribute] ?? []).filter { $0.hasPrefix(prefix) } }
    return names
}()

struct CompleterTests {
    @Test(arguments: [
        // (text before the cursor, prefix, candidates, terminator)
        (#"opened(campaign: "Bl"#, "Bl", ["Black Friday"], "\""),
        (#"opened(campaign: "Spr"#, "Spr", ["Spring Sale", "Spring Preview"], "\""),
        (#"clicked(campaign: ["Black Friday", "Su"#, "Su", ["Summer Newsletter"], "\""),
        (#"clicked(link: "/bl"#, "/bl", ["/blog/spring-trends"], "\""),
        (#"use campaign "Bla"#, "Bla", ["Black Friday"], "\""),
        (#"segment "Nor"#, "Nor", ["Nordic readers"], "\""),
        ("opened(wi", "wi", ["within"], ": "),
        ("opened(within: 30d, mach", "mach", ["machine"], ": "),
        ("clicked(campaign: \"x\", fo", "fo", ["footer"], ": "),
        ("bounced(type: h", "h", ["hard"], ""),
        ("opened(channel: ", "", ["email", "sms"], ""),
        ("opened and cou", "cou", ["country"], " "),
        ("qu", "qu", ["quiet"], " "),
        ("ex", "ex", ["explain", "export", "exists"], " "),
        ("opened and ex", "ex", ["exists"], " "),
        ("segment eng", "eng", ["engaged"], " "),
        ("list W", "W", ["Winback"], " "),
        ("OPE", "OPE", ["opened", "opens", "openers"], " "),
        // Attribute values, audiences after `for`, dot-commands and their arguments.
        (#"plan = "p"#, "p", ["pro", "plus"], "\""),
        (#"opened and plan != ""#, "", ["pro", "free", "plus"], "\""),
        (#"plan in ["free", "p"#, "p", ["pro", "plus"], "\""),
        ("PLAN = ", "", [#""pro""#, #""free""#, #""plus""#], " "),
        ("country = S", "S", [#""SE""#], " "),
        (#"first_name = ""#, "", [], "\""),
        (#"duplicate campaign "Spring Sale" for "#, "", ["segment", "list", "everyone", "openers", "clickers",
                                                        "active", "inactive", "suppressed", "quiet", "engaged",
                                                        #""Nordic readers""#, "Winback"], " "),
        (#"duplicate campaign "Spring Sale" for e"#, "e", ["everyone", "engaged"], " "),
        (".li", ".li", [".links", ".lists", ".limit", ".live"], " "),
        ("  .O", ".O", [".once", ".output", ".open"], " "),
        (#".links "Bl"#, "Bl", ["Black Friday"], "\""),
        (".links Spr", "Spr", [#""Spring Sale""#, #""Spring Preview""#], ""),
        (".mode js", "js", ["json", "jsonl"], ""),
        (".pager o", "o", ["on", "off"], ""),
        (".help ex", "ex", ["examples"], ""),
        (".tz Europe/Stockh", "Europe/Stockh", ["Europe/Stockholm"], ""),
        (".output |so", "", [], ""),
    ] as [(String, String, [String], String)])
    func completes(_ text: String, _ prefix: String, _ candidates: [String], _ terminator: String) {
        let c = Completer.complete(text, names: names)
        #expect(c.prefix == prefix)
        #expect(c.candidates == candidates)
        #expect(c.terminator == terminator)
    }

    @Test func argumentNamesDependOnTheEvent() {
        let opened = Completer.complete("opened(", names: names).candidates
        #expect(opened.contains("machine") && !opened.contains("link"))
        let clicked = Completer.complete("clicks(campaign: \"A\", ", names: names).candidates
        #expect(clicked.contains("link") && clicked.contains("footer") && !clicked.contains("machine"))
    }

    @Test func aCommentIsNotContext() {
        // `# campaign:"` in a comment must not make the next word a campaign name.
        let c = Completer.complete("# campaign: \"\nope", names: names)
        #expect(c.candidates == ["opened", "opens", "openers"])
    }

    @Test func columnsAndCommonPrefix() {
        #expect(LineEditor.commonPrefix(["Spring Sale", "Spring Preview"]) == "Spring ")
        #expect(LineEditor.columns(["a", "bb", "ccc"], width: 10) == "a    bb\nccc\n")
    }

    @Test func splitArguments() {
        #expect(REPL.splitArguments(#"links "Spring Sale""#) == ["links", "Spring Sale"])
        #expect(REPL.splitArguments("mode  csv ") == ["mode", "csv"])
        #expect(REPL.splitArguments(#"open ''"#) == ["open", ""])
    }
}
