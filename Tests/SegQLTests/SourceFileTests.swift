import Testing
@testable import SegQL

@Suite struct SourceFileTests {
    @Test(arguments: [
        (0, 1, 1), (3, 1, 4), (4, 2, 1), (6, 2, 3),
    ])
    func locations(offset: Int, line: Int, column: Int) {
        let file = SourceFile(name: "t", text: "abc\nde")
        let loc = file.location(of: offset)
        #expect(loc.line == line)
        #expect(loc.column == column)
    }

    @Test func columnsCountCharactersNotBytes() {
        // "å" is two bytes; the column of the byte after it is 2.
        let file = SourceFile(name: "t", text: "åb")
        #expect(file.location(of: 2).column == 2)
    }
}
