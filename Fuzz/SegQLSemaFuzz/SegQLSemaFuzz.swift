// libFuzzer target for the binder, planner and SQL renderer (see docs/fuzzing.md and
// scripts/fuzz.sh sema).
//
// Each input is a SegQL script. Its reading statements (`let`, queries, `count`,
// `show`, `explain`, `use campaign`) run, in a fresh session, against a small
// in-memory store made once per process: two e-mail campaigns (one with two
// messages), an SMS campaign, links with a footer link, contacts with attributes of
// each type, events of every kind, a saved segment, a cyclic pair and a list. Statements
// that write (save, duplicate, drop, export, stats) are left out, so every input sees
// the same store and no file is written.
//
// The promise checked: every statement ends in an answer or a clean error — a
// diagnostic of the input (exit 1) or a runtime error that is not the database
// rejecting segq's SQL. An "SQLite error" means the renderer wrote SQL the database
// refuses, which is a bug. Alias chains, doubling aliases and long lists are reached
// through `let` and `in [...]`, so the expansion limits are fuzzed too. Built like
// SegQLFuzz: `-DSEGQL_FUZZING` makes libFuzzer drive it, otherwise it replays files.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import SegQL
import SegSession
import SegStore
import Synchronization

/// Discards rows and text; keeps nothing between inputs.
final class DiscardingOutput: SessionOutput {
    func beginRows(columns: [String]) {}
    func row(_ values: [SQLValue]) {}
    func endRows() {}
    func count(_ n: Int64) {}
    func text(_ s: String) {}
}

/// The store every input runs against, made on first use. One SQLite connection (opened
/// without SQLite's own mutex) and the store's caches: used only under `fuzzStoreLock`,
/// since libFuzzer calls back serially but the test suite runs its tests in parallel
/// (two at once corrupted the heap: a crash in SQLite or "double free" in CI).
nonisolated(unsafe) let fuzzStore: Store = {
    do {
        let store = try Store(path: ":memory:")
        let lines = [
            #"{"record":"campaign","name":"Spring Sale","channel":"email","sent_at":"2026-03-01T09:00:00Z","messages":2}"#,
            #"{"record":"campaign","name":"Summer News","channel":"email","sent_at":"2026-05-01T09:00:00Z"}"#,
            #"{"record":"campaign","name":"Flash SMS","channel":"sms","sent_at":"2026-03-02T09:00:00Z"}"#,
            #"{"record":"link","campaign":"Spring Sale","url":"https://shop.example.com/pricing?utm=1","footer":false}"#,
            #"{"record":"link","campaign":"Spring Sale","url":"https://shop.example.com/unsubscribe","footer":true}"#,
            #"{"record":"link","campaign":"Flash SMS","url":"https://s.example.com/x","footer":false}"#,
            #"{"record":"contact","email":"ana@example.com","first_name":"Ana","attributes":{"country":"SE","age":34,"vip":true,"score":2.5}}"#,
            #"{"record":"contact","email":"bo@example.com","first_name":"Bo","attributes":{"country":"NO","age":19,"vip":false}}"#,
            #"{"record":"contact","email":"cy@example.com","phone":"+46700000002","attributes":{"country":"SE","plan":"pro"}}"#,
            #"{"record":"contact","phone":"+46700000001"}"#,
            #"{"record":"event","kind":"sent","contact":"ana@example.com","campaign":"Spring Sale","ts":"2026-03-01T09:00:00Z"}"#,
            #"{"record":"event","kind":"delivered","contact":"ana@example.com","campaign":"Spring Sale","ts":"2026-03-01T09:01:00Z"}"#,
            #"{"record":"event","kind":"delivered","contact":"bo@example.com","campaign":"Spring Sale","ts":"2026-03-01T09:01:00Z","message":2}"#,
            #"{"record":"event","kind":"opened","contact":"ana@example.com","campaign":"Spring Sale","ts":"2026-03-01T10:00:00Z","machine":true}"#,
            #"{"record":"event","kind":"opened","contact":"bo@example.com","campaign":"Summer News","ts":"2026-05-01T11:00:00Z"}"#,
            #"{"record":"event","kind":"clicked","contact":"ana@example.com","campaign":"Spring Sale","url":"https://shop.example.com/pricing?utm=1","ts":"2026-03-01T10:01:00Z"}"#,
            #"{"record":"event","kind":"clicked","contact":"bo@example.com","campaign":"Spring Sale","url":"https://shop.example.com/unsubscribe","ts":"2026-03-01T10:02:00Z"}"#,
            #"{"record":"event","kind":"bounced","contact":"cy@example.com","campaign":"Spring Sale","ts":"2026-03-01T09:02:00Z","bounce":"hard","reason":"no such user"}"#,
            #"{"record":"event","kind":"dropped","contact":"cy@example.com","campaign":"Summer News","ts":"2026-05-01T09:00:00Z","reason":"spam"}"#,
            #"{"record":"event","kind":"replied","contact":"ana@example.com","campaign":"Summer News","ts":"2026-05-02T09:00:00Z"}"#,
            #"{"record":"event","kind":"forwarded","contact":"ana@example.com","campaign":"Summer News","ts":"2026-05-02T09:00:00Z"}"#,
            #"{"record":"event","kind":"unsubscribed","contact":"bo@example.com","campaign":"Spring Sale","ts":"2026-03-01T11:05:00Z"}"#,
            #"{"record":"event","kind":"complained","contact":"bo@example.com","campaign":"Summer News","ts":"2026-05-01T12:00:00Z"}"#,
            #"{"record":"event","kind":"delivered","contact":"+46700000001","campaign":"Flash SMS","ts":"2026-03-02T09:00:05Z"}"#,
            #"{"record":"event","kind":"clicked","contact":"+46700000001","campaign":"Flash SMS","url":"https://s.example.com/x","ts":"2026-03-02T09:10:00Z"}"#,
        ]
        _ = try Importer(store: store).run([.text(lines.joined(separator: "\n") + "\n", name: "fuzz.jsonl")])
        let setup = Session(store: store, output: DiscardingOutput(), mode: .script) { _ in }
        setup.fixedNow = 1_780_000_000
        try setup.run(SourceFile(name: "setup.segq", text: """
            save segment engaged = opened or clicked;
            save segment "Spring openers" = opened(campaign: "Spring Sale");
            save segment nested = segment engaged and not segment "Spring openers";
            save list winback = delivered and not opened;
            """))
        return store
    } catch {
        fatalError("cannot make the fuzz store: \(error)")
    }
}()

@_cdecl("LLVMFuzzerTestOneInput")
public func segqlSemaFuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    checkSemantics(bytes)
    return 0
}

/// Runs `bytes` through the checks; traps on the first problem (libFuzzer saves the input).
func checkSemantics(_ bytes: [UInt8]) {
    if let problem = semanticProblems(bytes).first { preconditionFailure(problem) }
}

/// What is wrong with how segq answered the reading statements of `bytes`: nothing
/// when each ended in an answer or a clean error. (A trap in segq itself ends the
/// process before this returns, which libFuzzer and the test suite both report.)
func semanticProblems(_ bytes: [UInt8]) -> [String] {
    fuzzStoreLock.withLock { _ in problemsOnTheSharedStore(bytes) }
}

/// Serializes every use of `fuzzStore`.
let fuzzStoreLock = Mutex(())

/// `semanticProblems`, with `fuzzStoreLock` held.
private func problemsOnTheSharedStore(_ bytes: [UInt8]) -> [String] {
    let file = SourceFile(name: "fuzz.segq", bytes: bytes)
    let (statements, _) = Parser.parseScript(file)
    let session = Session(store: fuzzStore, output: DiscardingOutput(), mode: .script) { _ in }
    session.fixedNow = 1_780_000_000
    var problems: [String] = []
    for statement in statements.prefix(50) {
        switch statement.kind {
        case .query, .count, .show, .explain, .let, .useCampaign: break
        default: continue
        }
        do {
            try session.execute(statement, in: file)
        } catch let e as SessionError {
            switch e {
            case .compile(let diagnostics, let f):
                if diagnostics.isEmpty { problems.append("a compile error without diagnostics") }
                for d in diagnostics where !(d.range.start >= 0 && d.range.start <= d.range.end && d.range.end <= f.bytes.count) {
                    problems.append("diagnostic range \(d.range) outside the input: \(d.message)")
                }
            default:
                precondition(!e.message.contains("SQLite error") && !e.message.contains("PostgreSQL error"),
                             "the database refused segq's SQL for '\(Printer.source(of: statement))': \(e.message)")
            }
        } catch {
            problems.append("an error that is not a SessionError: \(error)")
        }
    }
    return problems
}

#if SEGQL_FUZZING
@_silgen_name("LLVMFuzzerRunDriver")
func llvmFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
) -> CInt

/// The program's `main` under SwiftPM's `--defsym main=SegQLSemaFuzz_main`.
@_cdecl("SegQLSemaFuzz_main")
public func segqlSemaFuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var argc = argc
    var argv = argv
    return llvmFuzzerRunDriver(&argc, &argv) { data, size in segqlSemaFuzzOne(data, size) }
}
#else
/// Replays inputs: `SegQLSemaFuzz FILE…` runs each file through the checks.
@main
enum SegQLSemaFuzzReplay {
    static func main() {
        let paths = CommandLine.arguments.dropFirst()
        if paths.isEmpty {
            print("usage: SegQLSemaFuzz FILE...  (replays inputs; build with scripts/fuzz.sh sema to fuzz)")
        }
        for path in paths {
            guard let f = fopen(path, "rb") else {
                print("cannot read \(path)")
                exit(2)
            }
            var bytes: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: 65_536)
            while true {
                let n = fread(&buffer, 1, buffer.count, f)
                if n <= 0 { break }
                bytes += buffer[0..<n]
            }
            fclose(f)
            checkSemantics(bytes)
            print("ok \(path) (\(bytes.count) bytes)")
        }
    }
}
#endif
