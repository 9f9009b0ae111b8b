// The text of `.help` and `.help TOPIC`: the language in short, with examples that
// run on the demo store (`segq demo`).

/// Help topics of the REPL.
enum Help {
    /// Topic names, in the order `.help` lists them.
    static let topics: [(name: String, summary: String)] = [
        ("queries", "what a query is: and, or, not, parentheses"),
        ("events", "event predicates (opened) and counts (opens >= 3)"),
        ("arguments", "campaign:, within:, link:, … and where they apply"),
        ("audiences", "everyone, openers, clickers, active, inactive, suppressed"),
        ("fields", "contact fields and attributes: country = \"SE\""),
        ("statements", "count, show, explain, let, save, duplicate, export, use, drop, why, overlap, reach, diff, history, contact, stats"),
        ("examples", "whole workflows to copy"),
        ("commands", "the dot-commands of this prompt"),
    ]

    static func text(_ topic: String?) -> String? {
        switch topic?.lowercased() {
        case nil, "":
            return overview
        case "queries", "query", "language": return queries
        case "events", "event": return events
        case "arguments", "argument", "args": return arguments
        case "audiences", "audience": return audiences
        case "fields", "field", "attributes": return fields
        case "statements", "statement": return statements
        case "examples", "example": return examples
        case "commands", "command", "dot": return commands
        default: return nil
        }
    }

    static var overview: String {
        """
        Type a query and press Enter: segq prints how many contacts match, the first
        rows and the time. Input continues on the next line while a bracket is open or
        the line ends with and, or, not or a comma. Tab completes; Ctrl-C stops a query
        or discards the line; Ctrl-D or .quit leaves.

          opened(campaign: "Spring Sale") and not clicked(link: "/pricing")

        Help topics (.help TOPIC):
        \(topics.map { "  " + $0.name.padding(12) + $0.summary }.joined(separator: "\n"))

        """ + commands
    }

    static let queries = """
        A query is a set of contacts. Combine with and (both), or (either), not (every
        contact except) and parentheses; precedence, loosest first: or, and, not.
        Keywords are case-insensitive; names are case-sensitive.

          opened and not clicked
          (clicked(campaign: "Black Friday") or clicked(campaign: "Spring Sale")) and country = "SE"
          not (country = "SE")          -- includes contacts with no country at all

        """

    static let events = """
        Verbs ask whether a contact has at least one matching event:
          sent dropped delivered (received) bounced opened clicked replied forwarded
          unsubscribed complained
        Nouns count events (total, not unique), compared with = != < <= > >=:
          sends drops deliveries bounces opens clicks replies forwards unsubscribes
          complaints

          opened(within: 30d)
          opens(campaign: "Spring Sale") >= 3
          clicks(within: 90d) = 0       -- same as: not clicked(within: 90d)

        """

    static let arguments = """
        Arguments go in parentheses, name: value, comma separated, each at most once.
          campaign: "Spring Sale" | "Spring*" | ["A", "B"] | "*"   (glob, list, every)
          channel: email | sms          message: 2 (of a multi-message campaign)
          within: 30d (m h d w mo y)    since: "2026-01-01"    before: "2026-03-01T12:00:00Z"
          link: "/pricing" (path) or a whole URL, globs allowed   (clicked, clicks)
          footer: true (count footer links too; default false)  (clicked, clicks)
          machine: false (people only) | true (privacy-proxy opens only)  (opened, opens)
          type: hard | soft             (bounced, bounces)
          reason: "550*"                (dropped, bounced)
          within: 90d..30d (between 90 and 30 days ago)   before: 365d (longer ago)   since: 30d
          of_last: 5 (the contact's 5 latest campaigns)   at_least: 3 (distinct campaigns; verbs)

          clicked(campaign: "Spring Sale", link: "/pricing")
          bounced(type: hard, within: 26w)
          opened(of_last: 5, at_least: 3)
          opened(within: 6mo)           -- calendar months in UTC; 1y = 12mo

        """

    static let audiences = """
        Built-in audiences expand like macros (and follow the campaign context):
          everyone     every contact
          openers      opened
          clickers     clicked
          active       opened or clicked
          inactive     delivered and not opened and not clicked
          suppressed   unsubscribed, complained or hard-bounced, in any campaign

        All but everyone take campaign:, channel:, message:, within:, since:, before:,
        which narrow each of their events:

          inactive(within: 90d)         -- reached in 90 days, no open or click since
          active(since: "2026-01-01")
          use campaign "Spring Sale"
          inactive and not suppressed

        """

    static let fields = """
        Standard fields: email, phone, first_name, last_name, created_at. Any other name
        is a custom attribute imported with the contact (the demo store has country,
        plan, age, orders and vip).
          field = v   !=  <  <=  >  >=   field in [v1, v2]   field matches "glob*"   field exists

          country in ["SE", "NO"] and plan != "free"
          email matches "*@gmail.com"
          created_at >= "2026-01-01"

        """

    static let statements = """
          QUERY                          here: count, first rows, time
          count QUERY                    the number of contacts, and how many are mailable
          reach QUERY                    mailable (or textable), suppressed by reason, machine-only openers
          show QUERY [limit N]           the contacts
          show QUERY with columns email, plan, last_opened [limit N]   chosen columns
          explain QUERY                  the SQL, the plan and why
          explain analyze QUERY          runs it: each set read, its rows and time
          let NAME = QUERY               an alias for this session
          save [or replace] segment NAME = QUERY     a dynamic segment (and SQL view)
          save [or replace] list NAME = QUERY [including suppressed]   frozen members
          duplicate campaign "C" for AUDIENCE        a draft copy sent to AUDIENCE
            (AUDIENCE: a name, segment NAME, list NAME, or (QUERY) as "label")
          export [or replace] QUERY [with columns C, …] to "file.csv" [including suppressed]
                                         .csv, .json or .jsonl
          save list NAME = _             _ is the previous query (of a query, count,
                                         show, export or save), written out
          count | show | export QUERY as of "2026-03-01" ...   only the events up to then
          diff QUERY from "DATE" to "DATE" | diff QUERY to QUERY   who joined, who left
          diff segment NAME from "DATE" to "DATE" as recorded   the same, from its history
          history segment NAME           its size over time (each save and import), with joins and leaves
          drop segment NAME | drop list NAME
          contact "e-mail" | "phone" | ID            a contact's fields, lists, segments,
                                         suppression and events (times in .tz)
          stats "C" [message N]          a campaign's counts, rates, links, status funnel
                                         and opens heatmap (times in .tz)
          use campaign "C" | use campaign none       the campaign context
          why "ana@example.com" in QUERY   each condition's truth for one contact, and why
          overlap A, B, (QUERY), …         pairwise intersections, Jaccard, exclusive parts
        Separate statements with ; or put one on each line (a line ending in ( [ and
        or not , = or another operator goes on on the next line).

        """

    static let examples = """
          -- Win-back: used to read, quiet for a month, not lost.
          let past_readers = opened(within: 26w)
          past_readers and not opened(within: 30d) and not clicked(within: 30d) and not suppressed

          -- Retarget the non-clickers of a campaign.
          use campaign "Spring Sale"
          opened(machine: false) and not clicked
          duplicate campaign "Spring Sale" for (opened and not clicked) as "opened, no click"

          -- Engaged readers of a topic.
          clicks(link: "/blog/*", within: 90d) >= 2

        """

    static let commands = """
        Commands:
          .help [TOPIC]        this help, or a topic
          .campaigns           campaigns, oldest first: channel, send date (or draft),
                               sent, open and click rates (as stats counts), a draft's
                               planned audience, and under a sequence each message
          .links [CAMPAIGN]    tracked links: URL, path, footer flag, clicks
          .segments            saved segments: members now, when saved
          .lists               saved lists: frozen size, when saved
          .schema              the store's tables, indexes and views (SQL)
          .mode [FORMAT]       result format: table, csv, tsv, json, jsonl
          .timer [on|off]      show the time a query took
          .limit [N]           rows a bare query shows (default 10)
          .timeout [N|off]     cancel a statement after N seconds (default off)
          .tz [ZONE]           time zone of stats, contact and listings (default $TZ,
                               else the system's; e.g. Europe/Stockholm)
          .pager [on|off]      page results taller than the screen ($PAGER, else less -S)
          .live [on|off]       the count of a complete query at the line's right end, as you type
          .once FILE|'|CMD'    the next result to FILE, or into a command (.once '|sort')
          .output [FILE|'|CMD']  every result from now on there; .output alone: back here
          .edit                the last input in $VISUAL/$EDITOR, then run it
          .watch N QUERY       run QUERY every N seconds until Ctrl-C
          .open PATH|URL       switch to another store (a file or postgres://…)
          .read FILE           run the statements in FILE
          .quit                leave (also Ctrl-D)

        """
}

extension String {
    func padding(_ width: Int) -> String {
        count >= width ? self + " " : self + String(repeating: " ", count: width - count)
    }
}
