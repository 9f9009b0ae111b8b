import Foundation
import SegQL
import SegSession
import SegStore
import Testing

/// A store with a few contacts and events, and a session on it.
final class ActionsFixture {
    let temp: TemporaryStore
    let output = CollectingOutput()
    let session: Session
    var warnings: [String] = []
    /// 2026-03-01T09:00:00Z: when "Spring Sale" was sent.
    static let sentAt: Int64 = 1_772_355_600

    init(now: Int64 = ActionsFixture.sentAt + 3 * 86_400, extra: [String] = []) throws {
        temp = try TemporaryStore()
        let lines = [
            #"{"record":"campaign","name":"Spring Sale","channel":"email","subject":"Spring is here","sent_at":"2026-03-01T09:00:00Z","messages":2}"#,
            #"{"record":"campaign","name":"Flash SMS","channel":"sms","sent_at":"2026-03-02T09:00:00Z"}"#,
            #"{"record":"link","campaign":"Spring Sale","url":"https://shop.example.com/pricing?utm=1","footer":false}"#,
            #"{"record":"contact","email":"ana@example.com","first_name":"Ana","attributes":{"country":"SE"}}"#,
            #"{"record":"contact","email":"bo@example.com","first_name":"Bo","attributes":{"country":"NO"}}"#,
            #"{"record":"contact","email":"cy@example.com","attributes":{"country":"SE"}}"#,
            #"{"record":"contact","email":"dee@example.com"}"#,
            #"{"record":"contact","phone":"+46700000001"}"#,
            #"{"record":"event","kind":"delivered","contact":"ana@example.com","campaign":"Spring Sale","ts":"2026-03-01T09:01:00Z"}"#,
            #"{"record":"event","kind":"delivered","contact":"bo@example.com","campaign":"Spring Sale","ts":"2026-03-01T09:01:00Z"}"#,
            #"{"record":"event","kind":"delivered","contact":"cy@example.com","campaign":"Spring Sale","ts":"2026-03-01T09:01:00Z"}"#,
            #"{"record":"event","kind":"opened","contact":"ana@example.com","campaign":"Spring Sale","ts":"2026-03-01T10:00:00Z"}"#,
            #"{"record":"event","kind":"opened","contact":"bo@example.com","campaign":"Spring Sale","ts":"2026-03-01T11:00:00Z"}"#,
            #"{"record":"event","kind":"clicked","contact":"ana@example.com","campaign":"Spring Sale","url":"https://shop.example.com/pricing?utm=1","ts":"2026-03-01T10:01:00Z"}"#,
            #"{"record":"event","kind":"unsubscribed","contact":"bo@example.com","campaign":"Spring Sale","ts":"2026-03-01T11:05:00Z"}"#,
            #"{"record":"event","kind":"delivered","contact":"+46700000001","campaign":"Flash SMS","ts":"2026-03-02T09:00:05Z"}"#,
        ] + extra
        _ = try Importer(store: temp.store).run([.text(lines.joined(separator: "\n") + "\n", name: "fixture.jsonl")])
        session = Session(store: temp.store, output: output, mode: .script) { _ in }
        session.fixedNow = now
        session.warn = { [weak self] in self?.warnings.append($0) }
    }

    /// Runs statements; returns the error, if any.
    @discardableResult
    func run(_ text: String) -> SessionError? {
        session.runReportingError(text)
    }

    /// The e-mails (or phones) a query shows.
    func members(_ text: String) throws -> [String] {
        output.keys = []
        if let e = run("show \(text)") { throw e }
        return output.keys
    }

    /// Runs the database's own command-line program on the store, as another tool
    /// would: sqlite3, or psql (unaligned, tuples only: the same `a|b` lines) on PostgreSQL.
    /// `postgres` is the statement in PostgreSQL's SQL, where SQLite's differs.
    func sqlite3(_ sql: String, postgres: String? = nil) throws -> (status: Int32, out: String, err: String) {
        let p = Process()
        if TemporaryStore.postgres != nil {
            p.executableURL = URL(fileURLWithPath: "/usr/bin/psql")
            p.arguments = ["-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d", temp.path, "-c", postgres ?? sql]
        } else {
            p.executableURL = URL(fileURLWithPath: "/usr/bin/sqlite3")
            p.arguments = [temp.path, sql]
        }
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let o = out.fileHandleForReading.readDataToEndOfFile()
        let e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: e, as: UTF8.self))
    }

    func lastText() -> String { output.texts.last ?? "" }
}

@Suite(.serialized) struct ActionsTests {
    /// Merged sets read the narrow indexes of schema version 3 on SQLite: a campaign's
    /// openers and clickers (partial indexes, usable only because the SQL writes their
    /// condition literally) and attribute values with their type, merged in contact order.
    @Test func mergedSetsReadTheNarrowIndexes() throws {
        let f = try ActionsFixture()
        f.session.strategy = .setOperations
        let query = #"opened(campaign: "Spring Sale") and clicked(campaign: "Spring Sale") and country = "SE""#
        #expect(try f.members(query) == ["ana@example.com"])
        #expect(try f.members(#"clicks(campaign: ["Spring Sale", "Flash SMS"]) >= 1 or country = "NO""#) == ["ana@example.com", "bo@example.com"])
        #expect(f.run("explain " + query) == nil)
        let plan = f.lastText()
        #expect(plan.contains("strategy:  sets\n  why:     sets: forced\n"), "\(plan)")
        #expect(plan.contains("  opens >= 1: rollup activity (opens), a set\n"), "\(plan)")
        #expect(plan.contains("  country: contact_attributes, a set\n"), "\(plan)")
        // Driven, the driving condition is listed first, as the candidates.
        f.session.strategy = .driver
        #expect(f.run(#"explain opened(campaign: "Spring Sale") and country = "SE""#) == nil)
        #expect(f.lastText().contains("sources:\n  opens >= 1: rollup activity (opens), the candidates\n  country: contact_attributes\n"), "\(f.lastText())")
        guard TemporaryStore.postgres == nil else { return }
        #expect(plan.contains("MERGE (INTERSECT)"), "\(plan)")
        #expect(plan.contains("COVERING INDEX activity_openers (campaign_id=?)"), "\(plan)")
        #expect(plan.contains("COVERING INDEX activity_clickers (campaign_id=?)"), "\(plan)")
        #expect(plan.contains("COVERING INDEX contact_attributes_by_value (name=? AND type=? AND value=?)"), "\(plan)")
        // Over every campaign, the contacts who clicked anything have their own index too.
        f.session.strategy = .setOperations
        #expect(f.run(#"explain opened(campaign: "Spring Sale") and clicks >= 1"#) == nil)
        #expect(f.lastText().contains("COVERING INDEX contact_activity_clickers"), "\(f.lastText())")
    }

    /// The planner's own plan: each condition a set read from its own index, shown with
    /// its SQL and the database's plan for it; `explain analyze` runs it and sets each
    /// set's estimate beside what was read.
    @Test func aBareQueryAtThePromptWarnsOnce() throws {
        let f = try ActionsFixture()
        let session = Session(store: f.temp.store, output: f.output, mode: .interactive) { _ in }
        session.fixedNow = f.session.fixedNow
        var warnings: [String] = []
        session.warn = { warnings.append($0) }
        try session.run(SourceFile(name: "t", text: #"clicked(link: "/no-such-page") or opened"#))
        #expect(warnings.count == 1, "\(warnings)")
        #expect(f.output.keys.count == 2, "\(f.output.keys)")
    }

    @Test func explainShowsEachSetAndAnalyzeWhatWasRead() throws {
        let f = try ActionsFixture()
        let query = #"delivered(campaign: "Spring Sale") and not clicked(link: "/pricing") and country = "SE""#
        #expect(f.run("explain " + query) == nil)
        let plan = f.lastText()
        #expect(plan.contains("strategy:  bitmaps\n"), "\(plan)")
        #expect(plan.contains("set [1]: ") && plan.contains("set [3]: "), "\(plan)")
        #expect(plan.contains("as one statement (a saved view):"), "\(plan)")
        if TemporaryStore.postgres == nil {
            #expect(plan.contains("INDEXED BY events_by_link"), "\(plan)")
            #expect(plan.contains("USING COVERING INDEX events_by_link"), "\(plan)")
            #expect(plan.contains("USING COVERING INDEX contact_attributes_by_value"), "\(plan)")
        }
        #expect(f.run("explain analyze " + query) == nil)
        let ran = f.lastText()
        let members = try f.members(query)
        #expect(ran.contains("read:\n  ["), "\(ran)")
        #expect(ran.contains("whole range: estimated"), "\(ran)")
        #expect(ran.contains("ran:       \(members.count) contacts (estimated "), "\(ran)")
        #expect(!members.isEmpty)
    }

    @Test func segmentViewReadByAnotherProgramMatchesShowSegment() throws {
        let f = try ActionsFixture()
        #expect(f.run(#"save segment "spring openers" = opened(campaign: "Spring Sale") and country = "SE""#) == nil)
        #expect(f.lastText().contains("view segment_spring_openers"))
        let shown = try f.members(#"segment "spring openers""#)
        #expect(shown == ["ana@example.com"])
        let r = try f.sqlite3("SELECT email FROM segment_spring_openers")
        #expect(r.status == 0, "\(r.err)")
        #expect(r.out.split(separator: "\n").map(String.init) == shown)
        // The same columns as `show`.
        let cols = try f.sqlite3(
            "SELECT name FROM pragma_table_info('segment_spring_openers')",
            postgres: "SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = 'segment_spring_openers' ORDER BY ordinal_position")
        #expect(cols.out.split(separator: "\n") == ["contact_id", "email", "phone", "first_name", "last_name"])
    }

    /// A view holds what its segment resolved when compiled (campaign and link ids, globs
    /// expanded); an import that adds matching campaigns and links compiles every view
    /// again, nested ones included, so each still counts what `segq` counts.
    @Test func viewsFollowAnImportOfNewCampaignsAndLinks() throws {
        let f = try ActionsFixture()
        let segments = [
            "pricing": #"clicked(link: "/pricing") and not country = "NO""#,
            "spring": #"opened(campaign: "Spring*")"#,
            "nested": #"segment "spring" or segment "pricing""#,
            "both": #"segment "nested" and not segment "pricing""#,
        ]
        for name in ["pricing", "spring", "nested", "both"] {
            #expect(f.run("save segment \(name) = \(segments[name] ?? "")") == nil)
        }
        func compare() throws -> [String: Int] {
            var counts: [String: Int] = [:]
            for name in segments.keys.sorted() {
                let shown = try f.members("segment \(segqlString(name))")
                let r = try f.sqlite3("SELECT email FROM segment_\(name) ORDER BY contact_id")
                #expect(r.status == 0, "\(r.err)")
                let viewed = r.out.split(separator: "\n").map(String.init)
                #expect(viewed == shown, "segment \(name): the view returns \(viewed), segq shows \(shown)")
                counts[name] = shown.count
            }
            return counts
        }
        let before = try compare()
        #expect(before == ["pricing": 1, "spring": 2, "nested": 2, "both": 1])
        let later = [
            #"{"record":"campaign","name":"Spring Extra","channel":"email"}"#,
            #"{"record":"link","campaign":"Spring Extra","url":"https://news.example.org/pricing","footer":false}"#,
            #"{"record":"event","kind":"opened","contact":"cy@example.com","campaign":"Spring Extra","ts":"2026-03-03T10:00:00Z"}"#,
            #"{"record":"event","kind":"clicked","contact":"cy@example.com","campaign":"Spring Extra","url":"https://news.example.org/pricing","ts":"2026-03-03T10:01:00Z"}"#,
            #"{"record":"event","kind":"opened","contact":"dee@example.com","campaign":"Spring Extra","ts":"2026-03-03T11:00:00Z"}"#,
        ]
        let summary = try Importer(store: f.temp.store).run([.text(later.joined(separator: "\n") + "\n", name: "later.jsonl")])
        #expect(summary.committed)
        #expect(summary.phases.contains { $0.0 == "segment views" })
        let after = try compare()
        #expect(after == ["pricing": 2, "spring": 4, "nested": 4, "both": 2])
    }

    /// An attribute whose name is no identifier is written quoted, and saved so.
    @Test func aQuotedAttributeName() throws {
        let f = try ActionsFixture(extra: [
            #"{"record":"contact","email":"ana@example.com","attributes":{"Signup Date":"2026-01-05","vip?":true}}"#,
        ])
        #expect(try f.members(#""Signup Date" exists"#) == ["ana@example.com"])
        #expect(try f.members(#""vip?" = true and country = "SE""#) == ["ana@example.com"])
        #expect(f.run(#"save segment s = "Signup Date" matches "2026-*""#) == nil)
        #expect(try f.members(#"segment "s""#) == ["ana@example.com"])
    }

    /// Comparisons stay type-strict, but a literal of a type the store never holds for
    /// the attribute is warned about, with the stored types and the literal that would match.
    @Test func typeMismatchesAreWarnedAbout() throws {
        let f = try ActionsFixture(extra: [
            #"{"record":"contact","email":"ana@example.com","attributes":{"vip":true,"age":34}}"#,
            #"{"record":"contact","email":"bo@example.com","attributes":{"vip":false,"age":29}}"#,
            #"{"record":"event","kind":"dropped","contact":"dee@example.com","campaign":"Spring Sale","reason":"Bounced Address","ts":"2026-03-01T09:00:00Z"}"#,
        ])
        func warned(_ query: String) throws -> [String] {
            f.warnings = []
            f.output.counts = []
            #expect(f.run("count " + query) == nil)
            return f.warnings
        }
        let vip = try warned(#"vip = "yes""#)
        #expect(f.output.counts == [0])
        #expect(vip.count == 1 && vip[0].contains(#"warning: "yes" is a string, but every stored 'vip' is a boolean, so this matches no contact; did you mean vip = true?"#), "\(vip)")
        let age = try warned(#"age > "30""#)
        #expect(age.count == 1 && age[0].contains("every stored 'age' is a number") && age[0].contains("did you mean age > 30?"), "\(age)")
        let country = try warned("country in [46, \"SE\"]")
        #expect(country.count == 1 && country[0].contains(#"did you mean "46"?"#), "\(country)")
        #expect(try warned("vip = true and age > 30 and country = \"SE\"").isEmpty)
        #expect(f.output.counts == [1])
        // Link paths that match nothing are warned about too.
        let link = try warned(#"clicked(link: "/pricng")"#)
        #expect(link.count == 1 && link[0].contains("no known link has the path '/pricng'"), "\(link)")
        // reason: patterns that match no stored reason.
        #expect(try warned(#"dropped(reason: "Bounce*")"#).isEmpty)
        #expect(f.output.counts == [1])
        let reason = try warned(#"dropped(reason: "bounce*") or bounced(reason: "Spam*")"#)
        #expect(reason.count == 2, "\(reason)")
        #expect(reason.first?.contains(#"the pattern 'bounce*' matches no stored reason of a dropped or bounced event, so this matches no contact; the store has "Bounced Address""#) == true, "\(reason)")
    }

    @Test func savedTextIsSelfContained() throws {
        let f = try ActionsFixture()
        #expect(f.run(#"use campaign "Spring Sale"; let fans = openers and country = "SE"; save segment s = fans or clickers"#) == nil)
        let saved = try f.sqlite3("SELECT query FROM segments WHERE name = 's'").out
        #expect(saved.contains(#"opened(campaign: "Spring Sale")"#))
        #expect(saved.contains(#"clicked(campaign: "Spring Sale")"#))
        #expect(!saved.contains("fans"))
        // Read in a fresh session, without the context or the alias, it means the same.
        let f2Session = Session(store: f.temp.store, output: f.output, mode: .script) { _ in }
        f2Session.fixedNow = f.session.fixedNow
        f.output.keys = []
        try f2Session.run(SourceFile(name: "t", text: #"show segment "s""#))
        #expect(f.output.keys == ["ana@example.com"])
    }

    @Test func aViewWithWithinStaysRightAsTimePasses() throws {
        try viewWithWithinStaysRight(margin: 3)
    }

    /// `margin`: seconds from making the store to reading the view the first time
    /// (a store on Citus takes a few seconds to lay out).
    func viewWithWithinStaysRight(margin: Int64) throws {
        // Events relative to the real clock: the view measures `within` when it is read.
        let now = Int64(Date().timeIntervalSince1970)
        let f = try ActionsFixture(now: now, extra: [
            #"{"record":"event","kind":"opened","contact":"cy@example.com","campaign":"Spring Sale","ts":\#(now - 3_600 + margin)}"#,
            #"{"record":"event","kind":"opened","contact":"dee@example.com","campaign":"Spring Sale","ts":\#(now - 600)}"#,
        ])
        #expect(f.run("save segment recent = opened(within: 1h)") == nil)
        // (A view's rows come in no promised order: on Citus, as the shards answer.)
        let first = try f.sqlite3("SELECT email FROM segment_recent").out.split(separator: "\n").sorted()
        #expect(first == ["cy@example.com", "dee@example.com"])
        Thread.sleep(until: Date(timeIntervalSince1970: Double(now + margin) + 1.5))
        let later = try f.sqlite3("SELECT email FROM segment_recent").out.split(separator: "\n")
        #expect(later == ["dee@example.com"], "cy's open left the 1h window; the view must say so")
    }

    @Test func hostileNamesAndLiteralsCannotBreakOutOfTheView() throws {
        let f = try ActionsFixture()
        let hostile = #"x"; DROP TABLE contacts; --"#
        let literal = #"SE' OR 1=1; DROP TABLE events; -- \ % * _ é 日本 ""#
        let statement = "save segment \(segqlString(hostile)) = country = \(segqlString(literal)) or country matches \(segqlString("S%_*"))"
        #expect(f.run(statement) == nil, "\(String(describing: f.run(statement)))")
        let view = try f.sqlite3("SELECT view_name FROM segments").out.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(view == "segment_x___drop_table_contacts____")
        let r = try f.sqlite3("SELECT count(*) FROM \"\(view)\"; SELECT count(*) FROM contacts; SELECT count(*) FROM events;")
        #expect(r.status == 0, "\(r.err)")
        #expect(r.out.split(separator: "\n") == ["0", "5", "8"])
        // The literal is matched as text, exactly: a contact with that country is found.
        #expect(try f.members("segment \(segqlString(hostile))") == [])
    }

    @Test func aViewDependingOnARenamedCampaignFailsClearly() throws {
        let f = try ActionsFixture()
        #expect(f.run(#"save segment s = opened(campaign: "Spring Sale")"#) == nil)
        _ = try f.sqlite3("UPDATE campaigns SET name = 'Spring Sale 2026' WHERE name = 'Spring Sale'")
        let e = f.run(#"show segment "s""#)
        #expect(e.map { "\($0)" }?.contains("no campaign named 'Spring Sale'") == true)
        // The next change segq makes refreshes the views: reading it then fails, naming why.
        #expect(f.run("save list l = everyone") == nil)
        let r = try f.sqlite3("SELECT * FROM segment_s")
        #expect(r.status != 0)
        #expect(r.err.contains("segment 's' is broken: no campaign named 'Spring Sale'"))
    }

    @Test func listsAreFrozenAndCountSuppression() throws {
        let f = try ActionsFixture()
        #expect(f.run(#"save list deliv = delivered(campaign: "Spring Sale")"#) == nil)
        #expect(f.lastText() == "saved list 'deliv': 2 contacts (1 suppressed contact left out)")
        #expect(f.run(#"save list all_deliv = delivered(campaign: "Spring Sale") including suppressed"#) == nil)
        #expect(f.lastText() == "saved list 'all_deliv': 3 contacts")
        #expect(f.run(#"save list none = email = "nobody@example.com""#) == nil)
        // The planner estimates a list by its members, counted for the lists a statement
        // names (reading the catalog counts none: every `segq run` reads it).
        let bare = try f.temp.store.catalog()
        #expect(bare.listSizes.isEmpty)
        let deliv = try #require(bare.lists["deliv"])
        #expect(try f.temp.store.withListSizes(bare, of: [deliv]).listSizes == [deliv: 2])
        let catalog = try f.temp.store.withListSizes(bare)
        #expect(try ["deliv", "all_deliv", "none"].map { catalog.listSizes[try #require(catalog.lists[$0])] } == [2, 3, 0])
        // New events do not change a frozen list.
        _ = try Importer(store: f.temp.store).run([.text(
            #"{"record":"event","kind":"delivered","contact":"dee@example.com","campaign":"Spring Sale","ts":"2026-03-01T09:02:00Z"}"# + "\n")])
        #expect(try f.members(#"delivered(campaign: "Spring Sale")"#).count == 4)
        #expect(try f.members(#"list "deliv""#) == ["ana@example.com", "cy@example.com"])
        #expect(f.run(#"save list deliv = everyone"#) != nil, "saving over an existing list needs 'or replace'")
    }

    @Test(arguments: [
        (Int64(71 * 3_600 + 59 * 60), "Copy D+2 - openers: Spring Sale"),
        (Int64(72 * 3_600), "Copy D+3 - openers: Spring Sale"),
        (Int64(59), "Copy D+0 - openers: Spring Sale"),
    ])
    func duplicateNamesCountWholeDays(after: Int64, expected: String) throws {
        let f = try ActionsFixture(now: ActionsFixture.sentAt + after)
        #expect(f.run(#"duplicate campaign "Spring Sale" for openers"#) == nil)
        let r = try f.sqlite3("SELECT name, status, CASE WHEN source_campaign_id IS NOT NULL THEN 1 ELSE 0 END, messages FROM campaigns ORDER BY id DESC LIMIT 1")
        #expect(r.out.trimmingCharacters(in: .newlines) == "\(expected)|draft|1|2")
    }

    @Test func duplicateEvaluatesTheAudienceInTheSourceCampaign() throws {
        let f = try ActionsFixture()
        #expect(f.run(#"use campaign "Flash SMS"; duplicate campaign "Spring Sale" for (delivered and not clicked) as "non-clickers""#) == nil)
        #expect(f.lastText().contains("'Copy D+3 - non-clickers: Spring Sale'"))
        #expect(f.lastText().hasSuffix(": 1 contact (1 suppressed contact left out)"))
        let members = try f.members(#"list "Copy D+3 - non-clickers: Spring Sale""#)
        #expect(members == ["cy@example.com"])
        let links = try f.sqlite3("SELECT count(*) FROM links l JOIN campaigns c ON c.id = l.campaign_id WHERE c.name LIKE 'Copy%'").out
        #expect(links.trimmingCharacters(in: .newlines) == "1")
        #expect(f.run(#"duplicate campaign "Spring Sale" for (delivered and not clicked) as "non-clickers""#) != nil,
                "a name that exists is an error")
    }

    @Test func duplicateIsAllOrNothing() throws {
        let f = try ActionsFixture()
        // Make the last step (copying the links) fail.
        _ = try f.sqlite3(
            "CREATE TRIGGER fail_links BEFORE INSERT ON links WHEN NEW.campaign_id > 2 BEGIN SELECT raise(ABORT, 'disk on fire'); END;",
            postgres: """
                CREATE FUNCTION fail_links() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN IF NEW.campaign_id > 2 THEN RAISE EXCEPTION 'disk on fire'; END IF; RETURN NEW; END $$;
                CREATE TRIGGER fail_links BEFORE INSERT ON links FOR EACH ROW EXECUTE FUNCTION fail_links();
                """)
        let e = f.run(#"duplicate campaign "Spring Sale" for openers"#)
        #expect(e.map { "\($0)" }?.contains("disk on fire") == true)
        let r = try f.sqlite3("SELECT (SELECT count(*) FROM campaigns), (SELECT count(*) FROM lists), (SELECT count(*) FROM list_members)")
        #expect(r.out.trimmingCharacters(in: .newlines) == "2|0|0")
    }

    @Test func duplicateRefusesADraftSource() throws {
        let f = try ActionsFixture()
        #expect(f.run(#"duplicate campaign "Spring Sale" for openers"#) == nil)
        let e = f.run(#"duplicate campaign "Copy D+3 - openers: Spring Sale" for openers"#)
        #expect(e.map { "\($0)" }?.contains("was never sent") == true)
    }

    @Test func dropRefusesWhatAnotherSegmentUses() throws {
        let f = try ActionsFixture()
        #expect(f.run(#"save list vip = email = "ana@example.com"; save segment a = opened; save segment b = segment "a" and list "vip""#) == nil)
        #expect(f.run(#"drop segment a"#).map { "\($0)" }?.contains("segment 'b' uses it") == true)
        #expect(f.run(#"drop list vip"#).map { "\($0)" }?.contains("segment 'b' uses it") == true)
        #expect(f.run(#"drop segment b; drop segment a; drop list vip"#) == nil)
        let r = try f.sqlite3(
            "SELECT count(*) FROM sqlite_schema WHERE type = 'view'",
            postgres: "SELECT count(*) FROM pg_views WHERE schemaname = current_schema()")
        #expect(r.out.trimmingCharacters(in: .newlines) == "0")
        #expect(f.run("drop segment a").map { "\($0)" }?.contains("no saved segment named 'a'") == true)
    }

    @Test func aSegmentCannotBeRedefinedInTermsOfItself() throws {
        let f = try ActionsFixture()
        #expect(f.run("save segment a = opened") == nil)
        let e = f.run(#"save or replace segment a = segment "a" or clicked"#)
        #expect(e.map { "\($0)" }?.contains("refers to itself") == true)
    }

    @Test func exportsAreCompleteAndAtomic() throws {
        let f = try ActionsFixture()
        let dir = f.temp.directory.path
        // Bo unsubscribed: left out unless the statement keeps the suppressed contacts.
        #expect(f.run("export everyone to \(segqlString(dir + "/all.csv"))") == nil)
        #expect(f.lastText() == "exported 4 contacts to \(dir)/all.csv; 1 suppressed contact left out (1 unsubscribed); 'export … to \"\(dir)/all.csv\" including suppressed' keeps them")
        let csv = try String(contentsOfFile: dir + "/all.csv", encoding: .utf8)
        #expect(csv.split(separator: "\r\n").count == 5)
        #expect(csv.hasPrefix("contact_id,email,phone,first_name,last_name\r\n"))
        #expect(!csv.contains("bo@example.com"))
        #expect(f.run("export or replace everyone to \(segqlString(dir + "/all.csv")) including suppressed") == nil)
        #expect(f.lastText() == "exported 5 contacts to \(dir)/all.csv")
        #expect(try String(contentsOfFile: dir + "/all.csv", encoding: .utf8).contains("bo@example.com"))
        #expect(f.run("export delivered to \(segqlString(dir + "/d.json"))") == nil)
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/d.json"))) as? [[String: Any]]
        #expect(json?.count == 3)
        #expect(f.run("export delivered to \(segqlString(dir + "/d.jsonl"))") == nil)
        #expect(try String(contentsOfFile: dir + "/d.jsonl", encoding: .utf8).split(separator: "\n").count == 3)
        // Nobody suppressed among them: nothing to say.
        #expect(f.run("export opened and not unsubscribed to \(segqlString(dir + "/o.csv"))") == nil)
        #expect(f.lastText() == "exported 1 contact to \(dir)/o.csv")
        // A failure to put the file in place leaves nothing behind.
        try FileManager.default.createDirectory(atPath: dir + "/taken.csv", withIntermediateDirectories: false)
        #expect(f.run("export everyone to \(segqlString(dir + "/taken.csv"))") != nil)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.contains(".tmp") }
        #expect(leftovers.isEmpty)
        #expect(f.run("export everyone to \(segqlString(dir + "/x.txt"))").map { "\($0)" }?.contains(".csv, .json or .jsonl") == true)
    }

    /// Export leaves out the same contacts as `save list`, and says why, on both backends;
    /// `show` marks each suppressed contact with its reasons.
    @Test func exportAndShowRespectSuppression() throws {
        let f = try ActionsFixture(extra: [
            #"{"record":"event","kind":"complained","contact":"bo@example.com","campaign":"Spring Sale","ts":"2026-03-01T12:00:00Z"}"#,
            #"{"record":"event","kind":"bounced","contact":"cy@example.com","campaign":"Spring Sale","bounce":"hard","ts":"2026-03-01T09:02:00Z"}"#,
            #"{"record":"event","kind":"bounced","contact":"dee@example.com","campaign":"Spring Sale","bounce":"soft","ts":"2026-03-01T09:02:00Z"}"#,
        ])
        let dir = f.temp.directory.path
        #expect(f.run("save list kept = everyone") == nil)
        #expect(f.lastText() == "saved list 'kept': 3 contacts (2 suppressed contacts left out)")
        #expect(f.run("export everyone to \(segqlString(dir + "/e.csv"))") == nil)
        #expect(f.lastText().hasPrefix("exported 3 contacts to \(dir)/e.csv; 2 suppressed contacts left out (1 unsubscribed, 1 complained, 1 hard-bounced); "))
        let exported = try String(contentsOfFile: dir + "/e.csv", encoding: .utf8)
        #expect(try f.members("list kept").allSatisfy { exported.contains($0) })
        #expect(!exported.contains("bo@example.com") && !exported.contains("cy@example.com"))
        // show: the rows as ever, then a note naming the suppressed ones and why.
        #expect(try f.members("everyone").count == 5)
        #expect(f.lastText() == "suppressed, left out of lists and exports: 2 bo@example.com (unsubscribed, complained); 3 cy@example.com (hard-bounced)")
        f.output.texts = []
        #expect(try f.members("everyone and not suppressed").count == 3)
        #expect(f.output.texts.isEmpty)
    }

    @Test func readOnlyStoresRefuseWritesClearly() throws {
        let f = try ActionsFixture()
        let ro = Session(store: try Store(path: f.temp.path, readOnly: true), output: f.output) { _ in }
        do {
            try ro.run(SourceFile(name: "t", text: "save list l = everyone"))
            Issue.record("a read-only store accepted a write")
        } catch let e as SessionError {
            #expect("\(e)".contains("read-only"))
        }
    }
}

@Suite struct CampaignListingTests {
    @Test func campaignsListTheirRates() throws {
        let f = try ActionsFixture()
        let listing = try f.session.campaignListing()
        #expect(listing.columns == ["campaign", "message", "channel", "sent_at", "sent", "planned", "open_rate", "click_rate"])
        // Spring Sale: 3 delivered, 2 opened, 1 clicked; Flash SMS: no open tracking.
        #expect(listing.rows.first { $0[0] == .text("Spring Sale") } == [
            .text("Spring Sale"), .null, .text("email"), .text("2026-03-01"), .integer(3), .null, .text("66.7%"), .text("33.3%"),
        ])
        #expect(listing.rows.first { $0[0] == .text("Flash SMS") }?[6] == .null)
    }

    /// A draft duplicate is not sent, so `stats` and `.campaigns` show its frozen list as
    /// its planned audience, labelled so, and 0 sent.
    @Test func draftDuplicateShowsItsFrozenAudience() throws {
        let f = try ActionsFixture()
        let copy = "Copy D+3 - reached: Spring Sale"
        #expect(f.run(#"duplicate campaign "Spring Sale" for (delivered) as "reached""#) == nil)
        // ana and cy: bo, delivered too, unsubscribed and was left out of the list.
        let frozen = try f.members("list \(segqlString(copy))")
        #expect(frozen == ["ana@example.com", "cy@example.com"])
        func stats(_ name: String) throws -> CampaignStats {
            try f.session.computeStats(Name(text: name, quoted: true, range: SourceRange(0, name.utf8.count)),
                                       message: nil, firstOpensOnly: false, in: SourceFile(name: "t", text: name))
        }
        let s = try stats(copy)
        #expect(s.plannedAudience == CampaignStats.PlannedAudience(list: copy, contacts: Int64(frozen.count)))
        #expect(s.sent == 0 && s.recipients == 0)
        #expect(try stats("Spring Sale").plannedAudience == nil)
        #expect(f.run("stats \(segqlString(copy))") == nil)
        let report = f.lastText().split(separator: "\n").map(String.init)
        #expect(report.prefix(2) == [
            #"Campaign "\#(copy)" (email, not sent, 2 messages)"#,
            "draft: planned audience 2 contacts, frozen as list '\(copy)'; none sent yet",
        ])
        let json = StatsRenderer.json(s)
        #expect(json.contains(#""planned_recipients": 2,"#))
        #expect(json.contains(#""audience_list": "\#(copy)""#))
        #expect(StatsRenderer.json(try stats("Spring Sale")).contains(#""planned_recipients": null"#))
        // .campaigns: the draft's line, with its planned audience apart from what was sent.
        let listing = try f.session.campaignListing()
        #expect(listing.rows.first { $0[0] == .text(copy) } == [
            .text(copy), .null, .text("email"), .text("draft"), .integer(0), .integer(2), .null, .null,
        ])
        #expect(listing.rows.filter { $0[0] == .text(copy) }.count == 1, "a draft of a sequence lists no messages")
        #expect(listing.rows.first { $0[0] == .text("Spring Sale") }?[5] == .null)
    }

    @Test func schemaShowsTablesIndexesAndSegmentViews() throws {
        let f = try ActionsFixture()
        #expect(f.run("save segment openers_seg = opened") == nil)
        let schema = try f.session.schemaText()
        for table in ["contacts", "contact_attributes", "campaigns", "links", "events", "activity", "contact_activity",
                      "event_stats", "lists", "list_members", "segments", "store_info"] {
            #expect(schema.contains("CREATE TABLE \(table) ("), "table \(table)")
        }
        for index in ["events_by_campaign", "events_by_contact", "events_by_kind_ts", "events_by_link", "events_by_external_id"] {
            #expect(schema.contains("CREATE INDEX \(index) ") || schema.contains("CREATE UNIQUE INDEX \(index) "), "index \(index)")
        }
        #expect(schema.contains("CREATE VIEW segment_openers_seg") || schema.contains("CREATE VIEW \"segment_openers_seg\""))
    }
}
