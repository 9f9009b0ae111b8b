// The binder's messages, in one place: what is wrong, and what would be right.

enum SemaMessages {
    static func didYouMean(_ s: String?) -> String {
        s.map { "; did you mean '\($0)'?" } ?? ""
    }

    static func unknownCampaign(_ name: String, suggestion: String?) -> String {
        "no campaign named '\(name)'" + didYouMean(suggestion)
    }
    static func contextCampaignMissing(_ name: String) -> String {
        "the campaign context '\(name)' names no campaign in this store; change it with 'use campaign'"
    }
    static func unknownList(_ name: String, suggestion: String?) -> String {
        "no saved list named '\(name)'" + didYouMean(suggestion)
    }
    static func unknownSegment(_ name: String, suggestion: String?) -> String {
        "no saved segment named '\(name)'" + didYouMean(suggestion)
    }
    static func segmentCycle(_ path: [String]) -> String {
        "segment '\(path[0])' refers to itself: " + path.map { "'\($0)'" }.joined(separator: " → ")
    }
    static func segmentUnreadable(_ name: String) -> String {
        "the saved text of segment '\(name)' no longer parses; save it again with 'save or replace segment'"
    }
    static func inSegment(_ name: String, _ source: String) -> String {
        "in segment '\(name)', saved as: \(source)"
    }
    static func inAlias(_ name: String, _ source: String) -> String {
        "in alias '\(name)', defined as: \(source)"
    }
    static func expansionTooLarge(_ expanding: String?, deep: Bool, limit: Int) -> String {
        let what = deep ? "nests more than \(limit) levels deep" : "has more than \(limit) conditions and operators"
        let where_ = expanding.map { " once \($0) is expanded" } ?? ""
        return "the query \(what)\(where_); simplify the alias or segment, or save a list instead"
    }
    static func unknownName(_ name: String, suggestion: String?) -> String {
        "unknown name '\(name)'" + didYouMean(suggestion)
    }
    static func fieldWithoutCondition(_ name: String) -> String {
        "'\(name)' is a contact field, not an audience; use it in a condition such as '\(name) exists'"
    }
    static func audienceNotField(_ name: String) -> String {
        "'\(name)' is an audience, not a contact field; it cannot be compared"
    }
    static func unknownField(_ name: String, suggestion: String?) -> String {
        "no contact field or attribute named '\(name)'" + didYouMean(suggestion)
    }
    static func duplicateArgument(_ name: String) -> String {
        "argument '\(name)' is given twice"
    }
    static let firstGivenHere = "first given here"
    static func inapplicableArgument(_ name: String, _ word: String, _ owners: [EventKind]) -> String {
        let to = owners.isEmpty ? "" : "; it applies to " + owners.map { "'\($0.verb)'/'\($0.noun)'" }.joined(separator: ", ")
        return "argument '\(name)' does not apply to '\(word)'" + to
    }
    static func audienceArgument(_ name: String, _ audience: String) -> String {
        "argument '\(name)' does not apply to the audience '\(audience)'; it takes campaign, channel, message, within, since and before"
    }
    static func smsOpens(_ word: String) -> String {
        "'\(word)' is restricted to SMS campaigns, which have no open tracking; use 'clicked' or 'delivered' instead"
    }
    static func contextIsSMS(_ name: String) -> String {
        "the campaign context is '\(name)', an SMS campaign"
    }
    static let expectedMessageNumber = "'message' takes a message number: an integer, 1 or more"
    static func expectedPositive(_ name: String) -> String { "'\(name)' takes a number of campaigns: an integer from 1 to 24" }
    static let calendarUnitNotHere =
        "calendar months and years (mo, y) are taken by 'within: N' alone; in a range or 'since:'/'before:' write days or weeks (180d, 52w)"
    static let rangeOrder = "a range of times before now goes from the farther to the nearer: write 90d..30d"
    static let expectedCampaignCount = "'at_least' takes a number of campaigns: an integer, 0 or more"
    static func atLeastOnCount(_ noun: String) -> String {
        "'at_least' counts campaigns and belongs to an event verb; a count '\(noun)' is compared instead"
    }
    static func noSuchMessage(_ n: Int64, most: Int64) -> String {
        "no campaign here has a message \(n) (they have at most \(most)); this matches no event"
    }
    static let expectedDuration = "'within' takes a duration such as 30d, 12h, 2w, 15m, 6mo or 1y"
    static func expectedDate(_ name: String) -> String {
        "'\(name)' takes a date \"YYYY-MM-DD\" or an ISO-8601 date-time with a zone, such as \"2026-03-01T09:00:00Z\""
    }
    static func expectedBoolean(_ name: String) -> String { "'\(name)' takes true or false" }
    static let expectedBounceType = "'type' takes hard or soft"
    static func expectedString(_ name: String) -> String { "'\(name)' takes a string (where * matches any run of characters)" }
    static let onlyFooterLinks =
        "this link matches only footer links, whose clicks are left out by default; add 'footer: true' to count them"
    static func neverTrue(_ word: String, _ test: CountTest) -> String {
        "'\(word) \(test.op.rawValue) \(test.value)' is never true; it matches no contact"
    }
    static let expectedCampaignNames = "'campaign' takes a campaign name or a [list] of names; * matches any run of characters"
    static func globMatchesNoCampaign(_ text: String) -> String { "the pattern '\(text)' matches no campaign" }
    static let listMatchesNoCampaign = "this list matches no campaign"
    static let expectedChannel = "'channel' takes email or sms"
    static let expectedLinks = "'link' takes a URL or a path starting with '/', or a [list] of them; * matches any run of characters"
    static func linkMatchesNothing(_ text: String, byPath: Bool) -> String {
        "no known link has the \(byPath ? "path" : "URL") '\(text)'"
    }
    static func typeMismatch(_ name: String, literal: String, literalType: String, stored: [String], instead: String?) -> String {
        var m = "\(literal) is a \(literalType), but every stored '\(name)' is a \(stored.joined(separator: " or ")), so this matches no contact"
        if let instead { m += "; did you mean \(instead)?" }
        return m
    }
    static func fieldIsText(_ name: String) -> String { "'\(name)' is text; compare it with a string" }
    static let createdAtNeedsDate =
        "'created_at' compares with a date \"YYYY-MM-DD\" or an ISO-8601 date-time with a zone"
    static let matchesNeedsString = "'matches' takes a string pattern, where * matches any run of characters"
    static let expectedFieldValue = "expected a string, a number, true or false"
    static let booleanOrdering = "true and false can only be compared with = or !="
}
