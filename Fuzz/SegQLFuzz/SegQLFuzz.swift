// libFuzzer target for the SegQL front end (see docs/fuzzing.md and scripts/fuzz.sh).
//
// Built with `-sanitize=fuzzer -DSEGQL_FUZZING`, libFuzzer drives the program and calls
// `LLVMFuzzerTestOneInput` with mutated inputs. SwiftPM links every executable with
// `--defsym main=<Target>_main`, so libFuzzer's own `main` never runs; instead this file
// defines `SegQLFuzz_main` to do what libFuzzer's `main` does: hand control to
// `LLVMFuzzerRunDriver`. Built normally, the `@main` below replays files given on the
// command line, so that a crash found by the fuzzer can be reproduced in an ordinary
// debug build and `swift build` links this target like any other.
//
// Beyond "does not crash", each input checks the front end's promises: diagnostics
// point inside the input and respect the error limit, rendering them works, and every
// statement that parsed prints as source that parses back to the same tree.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import SegQL

@_cdecl("LLVMFuzzerTestOneInput")
public func segqlFuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    checkFrontEnd(bytes)
    return 0
}

func checkFrontEnd(_ bytes: [UInt8]) {
    let file = SourceFile(name: "fuzz.segq", bytes: bytes)
    let (statements, diagnostics) = Parser.parseScript(file)

    var errors = 0
    for d in diagnostics {
        precondition(d.range.start >= 0 && d.range.start <= d.range.end && d.range.end <= bytes.count, "range \(d.range) outside input")
        for note in d.notes {
            if let r = note.range { precondition(r.start >= 0 && r.end <= bytes.count, "note range \(r) outside input") }
        }
        if d.severity == .error { errors += 1 }
    }
    precondition(errors <= Lexer.maximumErrors + 1, "\(errors) errors exceed the limit")
    for d in diagnostics.prefix(3) { _ = DiagnosticRenderer.render(d, in: file, color: true) }

    for s in statements {
        let printed = Printer.source(of: s)
        let again = Parser.parseScript(SourceFile(name: "printed.segq", text: printed))
        precondition(again.diagnostics.isEmpty, "printed source does not parse: \(printed) — \(again.diagnostics.map(\.message))")
        precondition(again.statements.count == 1, "printed source is not one statement: \(printed)")
        precondition(TreeDump.dump(again.statements[0]) == TreeDump.dump(s), "round trip changes the tree: \(printed)")
    }

    let (query, _) = Parser.parseQuery(file)
    if let query {
        let printed = Printer.source(of: query)
        precondition(Parser.parseQuery(SourceFile(name: "q", text: printed)).query.map { TreeDump.dump($0) } == TreeDump.dump(query),
                     "query round trip changes the tree: \(printed)")
    }
    _ = InputCompleteness.isComplete(String(decoding: bytes, as: UTF8.self))
}

#if SEGQL_FUZZING
/// libFuzzer's entry point (compiler-rt `FuzzerInterface.h`).
@_silgen_name("LLVMFuzzerRunDriver")
func llvmFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
) -> CInt

/// The program's `main` under SwiftPM's `--defsym main=SegQLFuzz_main`.
@_cdecl("SegQLFuzz_main")
public func segqlFuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var argc = argc
    var argv = argv
    return llvmFuzzerRunDriver(&argc, &argv) { data, size in segqlFuzzOne(data, size) }
}
#else
/// Replays inputs: `SegQLFuzz FILE…` runs each file through the fuzz checks.
@main
enum SegQLFuzzReplay {
    static func main() {
        let paths = CommandLine.arguments.dropFirst()
        if paths.isEmpty {
            print("usage: SegQLFuzz FILE...  (replays inputs; build with scripts/fuzz.sh to fuzz)")
        }
        for path in paths {
            guard let bytes = readFile(path) else {
                print("cannot read \(path)")
                exit(2)
            }
            checkFrontEnd(bytes)
            print("ok \(path) (\(bytes.count) bytes)")
        }
    }

    static func readFile(_ path: String) -> [UInt8]? {
        guard let f = fopen(path, "rb") else { return nil }
        defer { fclose(f) }
        var out: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            let n = fread(&buffer, 1, buffer.count, f)
            if n <= 0 { break }
            out += buffer[0..<n]
        }
        return out
    }
}
#endif
