import SegQL
@testable import SegSession
import SegStore

/// A random store (RandomStoreBuilder) imported into a fresh store, and a script session
/// on it at `differentialNow`, for tests that compare a statement's figures with counts.
final class RandomSessionFixture {
    let temp: TemporaryStore
    let model: RefStore
    let session: Session

    init(seed: UInt64) throws {
        var builder = RandomStoreBuilder(seed: seed)
        let (lines, model) = builder.build()
        self.model = model
        temp = try TemporaryStore()
        _ = try Importer(store: temp.store).run([.text(lines.joined(separator: "\n") + "\n", name: "random-\(seed).jsonl")])
        session = Session(store: temp.store, output: CollectingOutput(), mode: .script) { _ in }
        session.fixedNow = differentialNow
    }

    /// What `count` says of a query, in the session's current context.
    func count(_ text: String) throws -> Int {
        let file = SourceFile(name: "c", text: text)
        return Int(try session.count(session.compile(Parser.parseQuery(file).query!, projection: .count, in: file)))
    }

    /// Sets (or with nil clears) the campaign context.
    func use(_ campaign: String?) throws {
        try session.useCampaign(campaign.map { Name(text: $0, quoted: true, range: .at(0)) }, in: SourceFile(name: "use", text: ""))
    }
}
