import Testing
@testable import SegQL

@Suite struct ParserTests {
    // MARK: Valid input, shown as its canonical form

    @Test(arguments: [
        // precedence: or < and < not; and/or left-associative
        ("not a and b or c", "not a and b or c"),
        ("(not a and b) or c", "not a and b or c"),
        ("not (a and b) or c", "not (a and b) or c"),
        ("a and (b or c)", "a and (b or c)"),
        ("a or (b or c)", "a or (b or c)"),
        ("(a or b) or c", "a or b or c"),
        ("a and (b and c)", "a and (b and c)"),
        ("not not a", "not not a"),
        ("NOT a AND b OR c", "not a and b or c"),
        ("((((a))))", "a"),
        // events
        ("opened", "opened"),
        ("opened()", "opened"),
        ("OPENED(Campaign: 'Spring Sale')", #"opened(campaign: "Spring Sale")"#),
        ("received", "received"),
        (#"clicked(link:"/pricing",footer:true,campaign:["A","B*"],within:30d)"#,
         #"clicked(link: "/pricing", footer: true, campaign: ["A", "B*"], within: 30d)"#),
        ("bounced(type: HARD, channel: email)", "bounced(type: hard, channel: email)"),
        (#"opened(message: 2, since: "2024-01-01", before: "2024-02-01T12:00:00Z", machine: false)"#,
         #"opened(message: 2, since: "2024-01-01", before: "2024-02-01T12:00:00Z", machine: false)"#),
        // counts
        ("clicks >= 2", "clicks >= 2"),
        ("Clicks(link: '/p') < 2", #"clicks(link: "/p") < 2"#),
        ("opens() = 0", "opens = 0"),
        ("deliveries != 1 and bounces <= 3 and sends > 0", "deliveries != 1 and bounces <= 3 and sends > 0"),
        // fields
        (#"country = "SE""#, #"country = "SE""#),
        ("age >= 18 and score < 2.5 and vip = true and churned != false", "age >= 18 and score < 2.5 and vip = true and churned != false"),
        ("balance > -5", "balance > -5"),
        (#"plan in ['pro', "team"]"#, #"plan in ["pro", "team"]"#),
        ("plan in []", "plan in []"),
        (#"email matches "*@example.com""#, #"email matches "*@example.com""#),
        ("phone exists", "phone exists"),
        ("not phone exists", "not phone exists"),
        // names and references
        ("openers", "openers"),
        (#"segment "VIP" or segment vip or list 'Winback 2024'"#, #"segment "VIP" or segment vip or list "Winback 2024""#),
        (#"segment = "x""#, #"segment = "x""#),
        ("segment and list", "(segment) and (list)"),
        // statement words are names or fields when the next token says so
        ("count = 3", "count = 3"),
        ("count and opened", "(count) and opened"),
        ("count", "count (error)"),
        ("show exists", "show exists"),
        ("save or opened", "(save) or opened"),
        ("let in [1]", "let in [1]"),
        // statements
        ("count opened", "count opened"),
        ("count count = 3", "count count = 3"),
        ("show openers", "show openers"),
        ("SHOW openers LIMIT 10", "show openers limit 10"),
        ("show limit limit 0", "show limit limit 0"),
        ("explain opened and not clicked", "explain opened and not clicked"),
        ("EXPLAIN ANALYZE opened", "explain analyze opened"),
        // `analyze` is a keyword only right after explain: an alias of that name still works.
        ("explain analyze", "explain analyze"),
        ("let engaged = opened or clicked", "let engaged = opened or clicked"),
        ("let 'my alias' = opened", #"let "my alias" = opened"#),
        (#"'Signup Date' exists and "vip?" = true"#, #""Signup Date" exists and "vip?" = true"#),
        ("save segment vip = clicks >= 3", "save segment vip = clicks >= 3"),
        ("save or replace segment 'VIP' = clicks >= 3", #"save or replace segment "VIP" = clicks >= 3"#),
        ("save list winback = inactive", "save list winback = inactive"),
        ("save or replace list winback = inactive including suppressed", "save or replace list winback = inactive including suppressed"),
        (#"duplicate campaign "Spring Sale" for openers"#, #"duplicate campaign "Spring Sale" for openers"#),
        (#"duplicate campaign "Spring Sale" for segment "VIP""#, #"duplicate campaign "Spring Sale" for segment "VIP""#),
        (#"duplicate campaign "Spring Sale" for list winback including suppressed"#, #"duplicate campaign "Spring Sale" for list winback including suppressed"#),
        (#"duplicate campaign "Spring Sale" for segment including suppressed"#, #"duplicate campaign "Spring Sale" for segment including suppressed"#),
        (#"duplicate campaign "Spring Sale" for list "including""#, #"duplicate campaign "Spring Sale" for list "including""#),
        (#"duplicate campaign "Spring Sale" for "VIP" including suppressed"#, #"duplicate campaign "Spring Sale" for "VIP" including suppressed"#),
        (#"duplicate campaign "Spring Sale" for (opened and not clicked) as "non-clickers""#, #"duplicate campaign "Spring Sale" for (opened and not clicked) as "non-clickers""#),
        (#"export active to 'out.csv'"#, #"export active to "out.csv""#),
        (#"export or replace active or clicked to 'out.csv'"#, #"export or replace active or clicked to "out.csv""#),
        // Without `replace` after it, `export or` is a query on an alias named export.
        ("export or clicked", "(export) or clicked"),
        (#"export active to "out.csv" including suppressed"#, #"export active to "out.csv" including suppressed"#),
        (#"export or replace active to "out.csv" including suppressed"#, #"export or replace active to "out.csv" including suppressed"#),
        (#"stats "Spring Sale""#, #"stats "Spring Sale""#),
        (#"stats "Spring Sale" message 2"#, #"stats "Spring Sale" message 2"#),
        ("drop segment vip; drop list 'old'", "drop segment vip\ndrop list \"old\""),
        (#"use campaign "Spring Sale""#, #"use campaign "Spring Sale""#),
        ("use campaign NONE", "use campaign none"),
        (#"use campaign "none""#, #"use campaign "none""#),
        // separators
        (";;opened;;clicked;", "opened\nclicked"),
        // with columns
        ("show opened with columns email, 'plan', last_opened limit 3", #"show opened with columns email, "plan", last_opened limit 3"#),
        ("export opened with columns contact_id to 'x.csv'", #"export opened with columns contact_id to "x.csv""#),
        ("show opened with email", "(error)"),
        ("show opened with columns", "(error)"),
        // contact: a statement before a string or an integer only
        ("contact 'ana@example.com'", #"contact "ana@example.com""#),
        ("CONTACT 42", "contact 42"),
        ("contact = 3", "contact = 3"),
        ("contact and opened", "(contact) and opened"),
        ("contact", "(contact)"),
        // a line break after a complete line is a separator
        ("count opened\nshow clicked limit 2", "count opened\nshow clicked limit 2"),
        ("opened and\n  not clicked", "opened and not clicked"),
        ("count (opened\n  or clicked)\nclicked", "count opened or clicked\nclicked"),
        ("opened(campaign: 'A',\n  within: 30d)  # note\n\n-- more\nclicked", "opened(campaign: \"A\", within: 30d)\nclicked"),
        ("let a = opened;\ncount a;\n", "let a = opened\ncount a"),
        ("opened and # why\nclicked", "opened and clicked"),
        ("country in [\"SE\",\n \"NO\"]", "country in [\"SE\", \"NO\"]"),
        ("opened\nand clicked", "(error)"),
        ("", ""),
        ("-- only a comment\n# and another", ""),
    ])
    func canonicalForm(source: String, expected: String) {
        if expected.hasSuffix("(error)") {
            #expect(!TestSupport.parse(source).diagnostics.isEmpty)
        } else {
            #expect(TestSupport.canonical(source) == expected)
        }
    }

    @Test func precedenceTree() {
        let dump = TestSupport.parse("not a and b or c").statements.map { TreeDump.dump($0) }
        #expect(dump == ["""
            (statement query
              (or
                (and
                  (not
                    (name a))
                  (name b))
                (name c)))
            """])
    }

    @Test func rangesCoverWhatWasWritten() throws {
        let text = #"count (opened(campaign: "X")) and clicks >= 2;"#
        let s = try #require(TestSupport.parse(text).statements.first)
        #expect(s.range == SourceRange(0, 45))
        guard case .count(let q) = s.kind, case .and(let left, let right) = q.kind else {
            Issue.record("unexpected shape \(s)")
            return
        }
        #expect(q.range == SourceRange(6, 45))
        #expect(left.range == SourceRange(6, 29))  // the parentheses belong to the query
        guard case .event(let e) = left.kind, case .count(let c) = right.kind else {
            Issue.record("unexpected operands")
            return
        }
        #expect(e.range == SourceRange(7, 28))
        #expect(e.verb.range == SourceRange(7, 13))
        #expect(e.arguments.first?.nameRange == SourceRange(14, 22))
        #expect(e.arguments.first?.value.range == SourceRange(24, 27))
        #expect(c.opRange == SourceRange(41, 43))
        #expect(c.countRange == SourceRange(44, 45))
    }

    @Test func valuesKeepTheirTypes() throws {
        let s = try #require(TestSupport.parse(#"opened(campaign: ["a", 1, 2.5, 3d, true, sms, []])"#).statements.first)
        guard case .query(let q) = s.kind, case .event(let e) = q.kind, case .list(let items) = e.arguments[0].value.kind else {
            Issue.record("unexpected shape")
            return
        }
        #expect(items.map(\.kind) == [
            .string("a"), .integer(1), .decimal(2.5), .duration(amount: 3, unit: .days),
            .boolean(true), .word("sms"), .list([]),
        ])
    }

    @Test func parseQueryTakesOneQuery() {
        #expect(Parser.parseQuery(SourceFile(name: "q", text: "opened and clicked;")).query != nil)
        let two = Parser.parseQuery(SourceFile(name: "q", text: "opened; clicked"))
        #expect(two.query == nil)
        #expect(two.diagnostics.map(\.message) == ["unexpected 'clicked' after the query; expected 'and' or 'or'"])
        let statement = Parser.parseQuery(SourceFile(name: "q", text: "count opened"))
        #expect(statement.query == nil)  // `count` is a name here, and `opened` cannot follow it
        let empty = Parser.parseQuery(SourceFile(name: "q", text: ""))
        #expect(empty.diagnostics.map(\.message) == ["expected a query, found end of input"])
        let lexical = Parser.parseQuery(SourceFile(name: "q", text: "x == 1"))
        #expect(lexical.query == nil)
    }

    @Test func statementsWithLexicalErrorsAreLeftOut() {
        let r = TestSupport.parse(#"x == 1; opened; y = "a\qb"; clicked"#)
        #expect(r.statements.map { Printer.source(of: $0) } == ["opened", "clicked"])
        #expect(r.diagnostics.count == 2)
    }

    // MARK: Every parser error

    @Test(arguments: [
        // queries
        ("opened and", "expected a query after 'and'", "1:11"),
        ("opened or ;", "expected a query after 'or'", "1:10"),
        ("not", "expected a query after 'not'", "1:4"),
        (")", "expected a query, found ')'", "1:1"),
        ("and opened", "expected a query, found 'and'", "1:1"),
        ("42", "expected a query, found '42'", "1:1"),
        (#""VIP""#, #"expected a query, found string "VIP""#, "1:1"),
        ("count", "expected a query after 'count'", "1:6"),
        ("(opened", "'(' is never closed", "1:1"),
        ("(opened clicked)", "expected ')' to close '('", "1:9"),
        ("(opened adn clicked)", "unexpected 'adn' after the query; did you mean 'and'?", "1:9"),
        ("opend(campaign: 'x')", "unknown event 'opend'; did you mean 'opened'?", "1:1"),
        ("frobbed()", "unknown event 'frobbed'", "1:1"),
        ("opened > 2", "'opened' cannot be compared; to count events use 'opens', e.g. 'opens >= 2'", "1:1"),
        ("received = 1", "'received' cannot be compared; to count events use 'deliveries', e.g. 'deliveries >= 2'", "1:1"),
        ("clicks", "expected a comparison after 'clicks', e.g. 'clicks >= 1'", "1:7"),
        ("clicks and opened", "expected a comparison after 'clicks', e.g. 'clicks >= 1'", "1:8"),
        ("clicks(link: '/') exists", "expected a comparison after 'clicks', e.g. 'clicks >= 1'", "1:19"),
        ("clicks >= -1", "expected a non-negative integer after '>='", "1:11"),
        ("clicks >= 1.5", "expected a non-negative integer after '>='", "1:11"),
        ("clicks = x", "expected a non-negative integer after '='", "1:10"),
        ("clicks <", "expected a non-negative integer after '<'", "1:9"),
        // arguments
        ("opened(campain: 'x')", "unknown argument 'campain'; did you mean 'campaign'?", "1:8"),
        ("opened(colour: 'x')", "unknown argument 'colour'", "1:8"),
        ("opened('Spring Sale')", #"expected an argument name before "Spring Sale"; did you mean 'campaign: "Spring Sale"'?"#, "1:8"),
        ("opened(campaign 'x')", "expected ':' after argument name 'campaign'", "1:17"),
        ("opened(campaign = 'x')", "expected ':' after argument name 'campaign'", "1:17"),
        ("opened(campaign:)", "expected a value after 'campaign:'", "1:17"),
        ("opened(campaign: 'x',)", "expected an argument name after ','", "1:22"),
        ("opened(= 1)", "expected an argument name, found '='", "1:8"),
        ("opened(campaign: 'x' within: 3d)", "expected ',' or ')' after an argument of 'opened'", "1:22"),
        ("opened(campaign: 'x'", "'(' is never closed", "1:7"),
        ("opened(", "'(' is never closed", "1:7"),
        ("opened(campaign: ['a', 'b'", "'[' is never closed", "1:18"),
        ("opened(campaign: [", "'[' is never closed", "1:18"),
        ("opened(campaign: ['a' 'b'])", "expected ']' to close '['", "1:23"),
        ("opened(campaign: ['a',])", "expected a value after ','", "1:23"),
        ("opened(campaign: [,])", "expected a value after '['", "1:19"),
        // fields
        ("country = SE", #"expected a value after '='; did you mean '"SE"'?"#, "1:11"),
        ("country = 3d", "expected a string, number, true or false after '='", "1:11"),
        ("country =", "expected a string, number, true or false after '='", "1:10"),
        ("country = [1]", "expected a string, number, true or false after '='", "1:11"),
        ("plan in 'pro'", #"expected '[' after 'in', e.g. 'plan in ["pro", "team"]'"#, "1:9"),
        ("email matches 3", #"expected a string pattern after 'matches', e.g. 'email matches "*@example.com"'"#, "1:15"),
        // statement endings
        ("opened clicked", "unexpected 'clicked' after the query; expected 'and', 'or' or ';'", "1:8"),
        ("opened adn clicked", "unexpected 'adn' after the query; did you mean 'and'?", "1:8"),
        ("opened )", "unexpected ')' after the query; expected 'and', 'or' or ';'", "1:8"),
        ("shwo opened", "unknown statement 'shwo'; did you mean 'show'?", "1:1"),
        ("show openers limt 3", "unexpected 'limt' after the query; did you mean 'limit'?", "1:14"),
        ("show openers limit", "expected a non-negative integer after 'limit'", "1:19"),
        ("show openers limit -1", "expected a non-negative integer after 'limit'", "1:20"),
        ("show openers limit 3 4", "unexpected '4' after the statement; expected ';'", "1:22"),
        ("let 3 = opened", "expected a name (an identifier or a string) after 'let'", "1:5"),
        ("let = opened", #"expected a value after '='; did you mean '"opened"'?"#, "1:7"),  // a field named let
        ("let x opened", "expected '=' after the alias name", "1:7"),
        ("let opened = clicked", "'opened' is an event and cannot name an alias; choose another name", "1:5"),
        ("let clicks = clicked", "'clicks' is an event and cannot name an alias; choose another name", "1:5"),
        ("let x =", "expected a query after '='", "1:8"),
        ("save vip = opened", "expected 'segment' or 'list' after 'save'", "1:6"),
        ("save or replace vip = opened", "expected 'segment' or 'list' after 'save or replace'", "1:17"),
        ("save segment = opened", "expected a name (an identifier or a string) after 'segment'", "1:14"),
        ("save segment vip opened", "expected '=' after the segment name", "1:18"),
        ("save list vip opened", "expected '=' after the list name", "1:15"),
        ("save list vip = opened including", "expected 'suppressed' after 'including'", "1:33"),
        ("save list vip = opened includng suppressed", "unexpected 'includng' after the query; did you mean 'including'?", "1:24"),
        ("save segment vip = opened including suppressed", "unexpected 'including' after the query; expected 'and', 'or' or ';'", "1:27"),
        ("duplicate 'Spring Sale' for openers", "expected 'campaign' after 'duplicate'", "1:11"),
        ("duplicate campaign for openers", "expected 'for' after the campaign name", "1:24"),
        ("duplicate campaign 'C' openers", "expected 'for' after the campaign name", "1:24"),
        ("duplicate campaign 'C' for", "expected an audience after 'for': a name, or '(QUERY) as \"label\"'", "1:27"),
        ("duplicate campaign 'C' for (opened)", "expected 'as' after ')', e.g. 'as \"engaged\"'", "1:36"),
        ("duplicate campaign 'C' for (opened as 'x'", "expected ')' to close '('", "1:36"),
        ("duplicate campaign 'C' for (opened) as", "expected a name (an identifier or a string) after 'as'", "1:39"),
        ("duplicate campaign 'C' for openers including", "expected 'suppressed' after 'including'", "1:45"),
        ("duplicate campaign 'C' for openers now", "unexpected 'now' after the statement; expected ';'", "1:36"),
        ("export openers", "expected 'to' and a file name after the query, e.g. 'to \"contacts.csv\"'", "1:15"),
        ("export openers 'a.csv'", "unexpected string 'a.csv' after the query; expected 'and', 'or', 'with' or 'to'", "1:16"),
        ("export openers to out", "expected a file name in quotes after 'to', e.g. 'to \"contacts.csv\"'", "1:19"),
        ("stats", "expected a name (an identifier or a string) after 'stats'", "1:6"),
        ("stats 'C' message 0", "expected a message number (1 or more) after 'message'", "1:19"),
        ("stats 'C' message", "expected a message number (1 or more) after 'message'", "1:18"),
        ("stats 'C' opened", "unexpected 'opened' after the statement; expected ';'", "1:11"),
        ("drop vip", "expected 'segment' or 'list' after 'drop'", "1:6"),
        ("drop segment", "expected a name (an identifier or a string) after 'segment'", "1:13"),
        ("use 'Spring Sale'", "expected 'campaign' after 'use'", "1:5"),
        ("use campaign", "expected a name (an identifier or a string) after 'campaign'", "1:13"),
        ("use campaign none now", "unexpected 'now' after the statement; expected ';'", "1:19"),
    ])
    func errors(source: String, message: String, location: String) throws {
        let file = SourceFile(name: "q", text: source)
        let r = Parser.parseScript(file)
        let d = try #require(r.diagnostics.first)
        #expect(r.diagnostics.count == 1)
        #expect(d.message == message)
        let (line, column) = file.location(of: d.range.start)
        #expect("\(line):\(column)" == location)
        #expect(r.statements.isEmpty)
    }

    @Test(arguments: [
        ("opend(campaign: 'x')", "opened"),
        ("opened(campain: 'x')", "campaign"),
        ("opened adn clicked", "and"),
        ("opened >= 2", "opens"),
        ("country = SE", "\"SE\""),
        ("opened(campaign = 'x')", ":"),
        ("shwo opened", "show"),
        ("opened('Spring Sale')", "campaign: \"Spring Sale\""),
        ("a == 1", "="),
        ("a <> 1", "!="),
    ])
    func suggestionsAreReplacementsForTheSpan(source: String, fix: String) {
        #expect(TestSupport.parse(source).diagnostics.first?.suggestion == fix)
    }

    @Test func noSuggestionWithoutAGoodGuess() {
        #expect(TestSupport.parse("frobbed()").diagnostics.first?.suggestion == nil)
        #expect(TestSupport.parse("frobbed()").diagnostics.first?.notes.first?.message.hasPrefix("events are 'sent'") == true)
        #expect(TestSupport.parse("opened(colour: 1)").diagnostics.first?.notes.first?.message.hasPrefix("arguments are 'campaign'") == true)
    }

    // MARK: Recovery

    @Test func recoversAtEachSemicolon() {
        let r = TestSupport.parse("""
            opend(campaign: "x");
            count clicked;
            clicks;
            show openers;
            country = SE and (((;
            opened
            """)
        #expect(r.diagnostics.map(\.message) == [
            "unknown event 'opend'; did you mean 'opened'?",
            "expected a comparison after 'clicks', e.g. 'clicks >= 1'",
            #"expected a value after '='; did you mean '"SE"'?"#,
        ])
        #expect(r.statements.map { Printer.source(of: $0) } == ["count clicked", "show openers", "opened"])
    }

    @Test func oneErrorPerStatement() {
        // Everything after the first error in a statement is skipped, however broken.
        #expect(TestSupport.messages("opened(campain: 1, foo: [, ) ) ) and and or") == [
            "unknown argument 'campain'; did you mean 'campaign'?",
        ])
    }

    @Test func chosenColumnsAreInTheTree() {
        let dump = TestSupport.parse("show opened with columns email, plan limit 2").statements.map { TreeDump.dump($0) }
        #expect(dump.first?.hasPrefix(#"(statement show limit 2 with-columns "email","plan""#) == true, "\(dump)")
    }

    @Test func aLineBreakEndsACompleteStatement() {
        // As at the prompt: `opened` is complete, so the next line is a new statement.
        #expect(TestSupport.messages("opened\nand clicked") == ["expected a query, found 'and'"])
        let leading = TestSupport.parse("opened\nor clicked").diagnostics
        #expect(leading.first?.notes.map(\.message) == ["the line before was a complete statement, so the line break ended it; to go on, end that line with 'or'"])
        let r = TestSupport.parse("count opened\n\n  show clicked   # two\nclicked(")
        #expect(r.statements.map { Printer.source(of: $0) } == ["count opened", "show clicked"])
        #expect(r.statements.map(\.range) == [SourceRange(0, 12), SourceRange(16, 28)])
        #expect(r.diagnostics.map(\.message) == ["'(' is never closed"])
        // One query (`--query`, saved segments) has no separators: a line break is space.
        let (q, d) = Parser.parseQuery(SourceFile(name: "t", text: "opened\nand clicked"))
        #expect(d.isEmpty && q.map { Printer.source(of: $0) } == "opened and clicked")
    }

    @Test func noCascadeAfterALexicalError() {
        // The parser stays quiet about the error token; the lexer explained it.
        #expect(TestSupport.messages("opened(campaign: \"Spring Sale) and clicked\nand clicked; opened") == [
            "unterminated string",
        ])
        #expect(TestSupport.messages("opened @ clicked; clicked") == ["unexpected character '@'"])
        #expect(TestSupport.messages("x = 30x and opened") == [
            "invalid duration unit 'x' in '30x'; use m (minutes), h (hours), d (days), w (weeks), mo (months) or y (years)",
        ])
    }

    @Test func independentLexicalErrorsAreAllReported() {
        #expect(TestSupport.messages(#"x == "a\q" and y <> 2"#) == [
            "'==' is not an operator; use '=' to compare",
            #"invalid escape '\q' in string; use \", \', \\, \n, \t or \u{…}"#,
            "'<>' is not an operator; use '!=' for not equal",
        ])
    }

    @Test func diagnosticsComeInSourceOrder() {
        let ds = TestSupport.parse("a == 1 b; opened(").diagnostics
        #expect(ds.map(\.range.start) == ds.map(\.range.start).sorted())
        #expect(ds.count == 3)
    }
}
