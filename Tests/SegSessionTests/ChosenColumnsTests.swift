import Foundation
import SegQL
import SegSession
import SegStore
import Testing

/// Keeps the columns and rows it is given.
final class RowsOutput: SessionOutput {
    var columns: [String] = []
    var rows: [[SQLValue]] = []
    func beginRows(columns: [String]) { self.columns = columns }
    func row(_ values: [SQLValue]) { rows.append(values) }
    func endRows() {}
    func count(_ n: Int64) {}
    func text(_ s: String) {}
}

/// `show/export … with columns …`, on SQLite (and PostgreSQL with SEGQ_TEST_POSTGRES).
@Suite(.serialized) struct ChosenColumnsTests {
    @Test func showAndExportTheColumnsAskedFor() throws {
        // 1,500 more contacts, so that columns are read in more than one batch of 1,000.
        let many = (0..<1_500).map { i in
            #"{"record":"contact","email":"m\#(i)@example.com","attributes":{"n":\#(i),"odd":\#(i % 2 == 1)}}"#
        }
        let f = try ActionsFixture(extra: many)
        let out = RowsOutput()
        f.session.output = out
        #expect(f.run(#"show opened or clicked with columns email, country, created_at, last_opened, last_clicked"#) == nil)
        #expect(out.columns == ["email", "country", "created_at", "last_opened", "last_clicked"])
        #expect(out.rows.map { $0.map(\.plainText) } == [
            ["ana@example.com", "SE", "", "2026-03-01T10:00:00Z", "2026-03-01T10:01:00Z"],
            ["bo@example.com", "NO", "", "2026-03-01T11:00:00Z", ""],
        ])
        out.rows = []
        #expect(f.run(#"show email matches "m*" with columns n, odd, contact_id"#) == nil)
        #expect(out.rows.count == 1_500)
        // Each row has its own contact's values, across the batches, in contact order.
        #expect(out.rows.enumerated().allSatisfy { i, row in row[0] == .integer(Int64(i)) && row[1].plainText == (i % 2 == 1 ? "true" : "false") })
        // export writes the same columns.
        let path = f.temp.directory.appendingPathComponent("cols.csv").path
        #expect(f.run(#"export email matches "m1*" with columns email, n to "\#(path)""#) == nil)
        let text = try String(contentsOfFile: path, encoding: .utf8)
        #expect(text.hasPrefix("email,n\r\nm1@example.com,1\r\nm10@example.com,10\r\n"), "\(text.prefix(80))")
        // An unknown column is an error at its name, with the nearest name.
        let e = f.run("show opened with columns emial")
        #expect(e.map { "\($0)" }?.contains("1:26: error: no column 'emial': a column is a contact field, a custom attribute, last_opened or last_clicked; did you mean 'email'?") == true)
        #expect(f.run("show opened with columns email, email").map { "\($0)" }?.contains("column 'email' is named twice") == true)
    }
}
