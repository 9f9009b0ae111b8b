import Testing
@testable import SegQL

@Suite struct InputCompletenessTests {
    @Test(arguments: [
        ("", true), ("   ", true), ("opened", true), ("opened;", true),
        ("opened and", false), ("opened AND", false), ("opened or", false), ("not", false),
        ("opened and clicked", true), ("opened and -- more to come\n", false),
        ("opened or # comment", false), ("count (opened", false), ("count (opened)", true),
        ("opened(campaign: \"a\",", false), ("opened(campaign: [\"a\",", false),
        ("x in [1, 2", false), ("x in [1, 2]", true), ("((a) or (b)", false),
        ("opened)", true),  // a stray closer: complete, and an error to report
        ("opened(campaign: \"Spring", true),  // strings end on their line: report at once
        ("opened(campaign: \"a,\"", false),  // the comma is inside the string, the ( is open
        ("land", true), ("notes", true), ("opened and not", false), ("a,", false),
        ("let q =", false), ("country !=", false), ("age >= # more\n", false), ("opened(campaign:", false),
        ("plan in", false), ("email matches", false), ("let q = opened", true), ("count", true),
    ])
    func completeness(text: String, complete: Bool) {
        #expect(InputCompleteness.isComplete(text) == complete)
    }
}
