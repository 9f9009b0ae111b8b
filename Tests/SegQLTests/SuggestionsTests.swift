import Testing
@testable import SegQL

@Suite struct SuggestionsTests {
    static let events = Vocabulary.eventWords

    @Test(arguments: [
        ("opend", "opened"), ("OPENED", "opened"), ("clikced", "clicked"), ("clcks", "clicks"),
        ("bounce", "bounced"), ("unsubscribe", "unsubscribed"), ("complaint", "complaints"), ("complaned", "complained"),
        ("delivred", "delivered"), ("recieved", "received"),
    ])
    func events(word: String, expected: String) {
        #expect(Suggestions.nearest(to: word, among: Self.events) == expected)
    }

    @Test(arguments: [
        ("campain", "campaign"), ("chanel", "channel"), ("mesage", "message"), ("withn", "within"),
        ("sinse", "since"), ("befor", "before"), ("lnk", "link"), ("footr", "footer"), ("typ", "type"),
        ("machin", "machine"), ("reasn", "reason"),
    ])
    func arguments(word: String, expected: String) {
        #expect(Suggestions.nearest(to: word, among: Vocabulary.argumentWords) == expected)
    }

    @Test(arguments: ["frobbed", "x", "", "zzzzzzzzzz", String(repeating: "opened", count: 100)])
    func farWordsGetNothing(word: String) {
        #expect(Suggestions.nearest(to: word, among: Self.events) == nil)
    }

    @Test func thresholdGrowsWithLength() {
        #expect(Suggestions.nearest(to: "adn", among: ["and", "or"]) == "and")
        #expect(Suggestions.nearest(to: "ab", among: ["and"]) == nil)  // two edits in three letters
        #expect(Suggestions.nearest(to: "Spring Sael", among: ["Spring Sale", "Summer Sale"]) == "Spring Sale")
        #expect(Suggestions.nearest(to: "Sprung Sael", among: ["Spring Sale"]) == "Spring Sale")
        #expect(Suggestions.nearest(to: "Autumn Deal", among: ["Spring Sale"]) == nil)
    }

    @Test func caseDifferencesAloneAreSuggested() {
        #expect(Suggestions.nearest(to: "Country", among: ["country", "city"]) == "country")
    }

    @Test func tiesGoToTheFirstCandidate() {
        #expect(Suggestions.nearest(to: "cat", among: ["bat", "hat"]) == "bat")
        #expect(Suggestions.nearest(to: "cat", among: ["hat", "bat"]) == "hat")
    }

    @Test(arguments: [
        ("", "", 0), ("a", "", 1), ("", "abc", 3), ("kitten", "sitting", 3), ("ab", "ba", 1),
        ("abcd", "acbd", 1), ("ca", "abc", 3), ("opened", "opened", 0),
    ])
    func distance(a: String, b: String, expected: Int) {
        #expect(Suggestions.distance(Array(a.unicodeScalars), Array(b.unicodeScalars)) == expected)
    }
}
