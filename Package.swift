// swift-tools-version: 6.0
//
// segq: a segment query language for e-mail and SMS campaign events.
//
// The targets follow the pipeline (see README.md and docs/architecture.md):
//   SegQL    — source text → tokens → syntax tree → bound query → plan → SQL text.
//              Pure Swift: imports no C module and is tested without a database.
//   SegStore — the event store: schema, migrations, import, the demo store, and
//              running compiled SQL, on SQLite (libsqlite3 through CSQLite) or on
//              PostgreSQL (libpq through CLibPQ).
//   SegSession — runs statements: the session state (aliases, campaign context, now),
//              the pipeline assembled end to end, and the result formats.
//   SegREPL  — the interactive loop: libedit line editing (through CLibEdit), history,
//              completion, dot-commands, Ctrl-C interrupting a query.
//   segq     — the thin command-line executable (swift-argument-parser).
import PackageDescription

let package = Package(
    name: "segq",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "segq", targets: ["segq"]),
        .library(name: "SegQL", targets: ["SegQL"]),
        .library(name: "SegStore", targets: ["SegStore"]),
        .library(name: "SegSession", targets: ["SegSession"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CSQLite",
            path: "Sources/CSQLite",
            providers: [.apt(["libsqlite3-dev"])]
        ),
        .systemLibrary(
            name: "CLibPQ",
            path: "Sources/CLibPQ",
            pkgConfig: "libpq",
            providers: [.apt(["libpq-dev"])]
        ),
        .systemLibrary(
            name: "CLibEdit",
            path: "Sources/CLibEdit",
            providers: [.apt(["libedit-dev"])]
        ),
        .target(
            name: "SegQL",
            path: "Sources/SegQL"
        ),
        .target(
            name: "SegStore",
            dependencies: ["SegQL", "CSQLite", "CLibPQ"],
            path: "Sources/SegStore"
        ),
        .target(
            name: "SegSession",
            dependencies: ["SegQL", "SegStore"],
            path: "Sources/SegSession"
        ),
        .target(
            name: "SegREPL",
            dependencies: ["SegSession", "SegStore", "SegQL", "CLibEdit"],
            path: "Sources/SegREPL"
        ),
        .executableTarget(
            name: "segq",
            dependencies: [
                "SegQL", "SegStore", "SegSession", "SegREPL",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Sources/segq"
        ),
        .executableTarget(
            name: "segq-bench",
            dependencies: [
                "SegQL", "SegStore", "SegSession",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Sources/segq-bench"
        ),
        .executableTarget(
            // libFuzzer target; build and run it with scripts/fuzz.sh (docs/fuzzing.md).
            name: "SegQLFuzz",
            dependencies: ["SegQL"],
            path: "Fuzz/SegQLFuzz"
        ),
        .executableTarget(
            // libFuzzer target for the binder, planner and renderer, run on a small store;
            // scripts/fuzz.sh sema (docs/fuzzing.md).
            name: "SegQLSemaFuzz",
            dependencies: ["SegQL", "SegSession", "SegStore"],
            path: "Fuzz/SegQLSemaFuzz"
        ),
        .testTarget(
            name: "SegQLTests",
            dependencies: ["SegQL"],
            path: "Tests/SegQLTests",
            resources: [.copy("Golden")]
        ),
        .testTarget(
            name: "SegSessionTests",
            // segq-bench: CitusTests checks that its benchmark queries run on the workers.
            dependencies: ["SegSession", "SegStore", "SegQL", "segq-bench"],
            path: "Tests/SegSessionTests"
        ),
        .testTarget(
            // The command line and the REPL, through the built `segq` binary (run
            // `swift build` first): formats, exit statuses, a pseudo-terminal session.
            name: "SegCLITests",
            path: "Tests/SegCLITests",
            exclude: ["Fixtures", "Golden"]
        ),
        .testTarget(
            name: "SegREPLTests",
            dependencies: ["SegREPL", "SegSession", "SegStore", "SegQL"],
            path: "Tests/SegREPLTests"
        ),
        .testTarget(
            // segq-bench's random query generator and its plain SQL (not timed).
            name: "SegBenchTests",
            dependencies: ["segq-bench", "SegSession", "SegStore", "SegQL"],
            path: "Tests/SegBenchTests"
        ),
        .testTarget(
            // The binder and planner fuzz target's checks over generated inputs, in the
            // normal test run (docs/fuzzing.md § In the test suite).
            name: "SegFuzzTests",
            dependencies: ["SegQLSemaFuzz", "SegQL"],
            path: "Tests/SegFuzzTests"
        ),
        .testTarget(
            name: "SegStoreTests",
            dependencies: ["SegStore", "SegQL"],
            path: "Tests/SegStoreTests",
            // Platform samples (each folder's SOURCES.md cites where they come from).
            exclude: ["Fixtures"]
        ),
    ]
)
