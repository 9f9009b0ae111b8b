import Testing
@testable import SegREPL

/// `.help` says what the prompt and the language do (issue 19: docs and behaviour agree).
@Suite struct HelpTests {
    @Test func statementsListsStats() throws {
        let statements = try #require(Help.text("statements"))
        #expect(statements.contains(#"stats "C" [message N]"#))
        #expect(Help.topics.first { $0.name == "statements" }?.summary.hasSuffix(", stats") == true)
    }

    /// `.campaigns` writes campaign, message, channel, sent_at ("draft" unsent), sent,
    /// planned (a draft duplicate's frozen audience), open_rate and click_rate, and a line
    /// per message under a sequence (Session.campaignListing): no status column.
    @Test func commandsDescribesCampaignsAsItIs() throws {
        let commands = try #require(Help.text("commands"))
        let line = try #require(commands.split(separator: "\n").firstIndex { $0.contains(".campaigns") })
        let lines = commands.split(separator: "\n")
        let text = lines[line...(line + 2)].joined(separator: " ")
        #expect(text.contains("send date (or draft)"))
        #expect(text.contains("open and click rates"))
        #expect(text.contains("planned audience"))
        #expect(text.contains("each message"))
        #expect(!text.contains("status"))
        #expect(lines[line + 3].hasPrefix("  .links"))
    }
}
