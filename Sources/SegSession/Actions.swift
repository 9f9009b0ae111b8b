// Acting on audiences: saved segments and lists, campaign duplication, export, drop.
//
// Each statement that writes runs in one transaction: it is stored completely or not
// at all (a failure half-way through a duplicate leaves no campaign and no list).
// Saved text is made self-contained first (aliases substituted, the campaign context
// written out) so that it means the same thing in any later session and in its view.

import SegQL
import SegStore

#if canImport(Glibc)
import Glibc
private func systemOpen(_ path: String, _ flags: Int32, _ mode: mode_t) -> Int32 { Glibc.open(path, flags, mode) }
#elseif canImport(Darwin)
import Darwin
private func systemOpen(_ path: String, _ flags: Int32, _ mode: mode_t) -> Int32 { Darwin.open(path, flags, mode) }
#endif

extension Session {
    // MARK: - Saving

    /// The query as saved: self-contained, canonical text.
    func selfContainedSource(_ q: Query, catalog: Catalog) -> String {
        let context = campaignContext.flatMap { catalog.campaign(named: $0) }
        return Printer.source(of: QueryExpander.selfContained(q, aliases: aliases, context: context))
    }

    func saveSegment(_ name: Name, _ q: Query, orReplace: Bool, in file: SourceFile) throws {
        _ = try compile(q, projection: .count, in: file)  // errors in the user's own terms first
        var catalog = try store.catalog()
        let source = selfContainedSource(q, catalog: catalog)
        // Aliases written out can exceed what the parser reads back (nesting, operators).
        if let e = Parser.parseQuery(SourceFile(name: "segment", text: source)).diagnostics.first(where: { $0.severity == .error }) {
            throw SessionError.compile(
                [.error("segment '\(name.text)' cannot be saved: with its aliases written out, \(e.message)", at: q.range)], file)
        }
        let existed = catalog.segments[name.text] != nil
        if existed, !orReplace {
            throw SessionError.compile(
                [.error("a segment named '\(name.text)' already exists; use 'save or replace segment' to replace it", at: name.range)], file)
        }
        // Bind the saved text as it will be read: without this session, and with the new
        // definition in place, so that a definition that refers to itself is a cycle.
        catalog.segments[name.text] = source
        let reference = Query(.segment(name), range: name.range)
        let (bound, diagnostics, references) = Binder.bindWithReferences(reference, in: BindingEnvironment(catalog: catalog))
        if bound == nil {
            throw SessionError.compile(diagnostics.filter { $0.severity == .error }, file)
        }
        var recorded: [String: Int64] = [:]
        do {
            try store.writing {
                // The references of the segment itself (the first level), not of those it uses.
                _ = try store.saveSegment(name.text, query: source, dependencies: Array(references.dropFirst()),
                                          savedAt: Int64(time(nil)))
                try SegmentViews.refreshAll(in: store)
                // The saved segment and those that use it are evaluated anew: recorded.
                recorded = try SegmentHistory.record(
                    SegmentHistory.withDependents(of: name.text, in: store), cause: existed ? .replace : .save, at: now, in: store,
                    members: { try self.segmentMembers($0, at: $1) })
            }
        } catch {
            throw storeFailure(error)
        }
        let n = try recorded[name.text] ?? countMembers(of: Query(.segment(name), range: name.range), in: file)
        let view = (try? store.segmentViewName(name.text)) ?? nil
        output.note("\(existed ? "replaced" : "saved") segment '\(name.text)' (\(n) contact\(n == 1 ? "" : "s") now), view \(view ?? "?"): \(source)")
    }

    /// The members of the saved segment `name` with now at `at`, read by the set engine
    /// as `count` reads them; nil when its text no longer compiles. For its history
    /// (SegmentHistory), inside the transaction that changed it.
    public func segmentMembers(_ name: String, at: Int64) throws -> [Int64]? {
        let file = SourceFile(name: "segment", text: "segment " + Printer.quoted(name))
        guard let q = Parser.parseQuery(file).query else { return nil }
        let saved = fixedNow
        fixedNow = at
        defer { fixedNow = saved }
        let compiled: CompiledQuery
        do {
            compiled = try compile(q, projection: .contactIDs, in: file)
        } catch is SessionError {
            return nil
        }
        return try contactIDs(compiled)
    }

    private func countMembers(of q: Query, in file: SourceFile) throws -> Int64 {
        try count(try compile(q, projection: .count, in: file))
    }

    /// Freezes the members of `bound` into a new list; returns (saved, suppressed left out).
    private func freeze(
        _ bound: BoundQuery, listName: String, querySource: String, includingSuppressed: Bool, catalog: Catalog
    ) throws -> (Int64, Int64) {
        let members = includingSuppressed ? bound : .and([bound, .not(Binder.suppressedAudience)])
        let dialect = store.database.dialect
        let options = PlannerOptions(
            now: .fixed(now), strategy: strategy, useRollups: useRollups, useKeptSets: useKeptSets)
        var leftOut: Int64 = 0
        if !includingSuppressed {
            leftOut = try count(compile(
                bound: .and([bound, Binder.suppressedAudience]), source: querySource, projection: .count, catalog: catalog))
        }
        let listID = try store.createList(listName, query: querySource, savedAt: Int64(time(nil)),
                                          includingSuppressed: includingSuppressed, suppressedLeftOut: leftOut)
        let compiled = try compile(bound: members, source: querySource, projection: .contactIDs, catalog: catalog)
        guard compiled.program != nil else {
            // A forced single-statement strategy: the members in one INSERT … SELECT.
            let plan = Planner.plan(members, catalog: catalog, options: options)
            let sql = SQLRenderer.render(plan, projection: .contactIDs, dialect: dialect)
            return (try store.addListMembers(listID, selecting: sql), leftOut)
        }
        // The set engine's members (bounded as a count is), inserted 10,000 ids at a time.
        let ids = try contactIDs(compiled)
        try store.addListMembers(listID, ids: ids)
        return (Int64(ids.count), leftOut)
    }

    func saveList(_ name: Name, _ q: Query, orReplace: Bool, includingSuppressed: Bool, in file: SourceFile) throws {
        let compiled = try compile(q, projection: .count, in: file)
        let catalog = try store.catalog()
        let existed = catalog.lists[name.text] != nil
        if existed, !orReplace {
            throw SessionError.compile(
                [.error("a list named '\(name.text)' already exists; use 'save or replace list' to replace it", at: name.range)], file)
        }
        let source = selfContainedSource(q, catalog: catalog)
        var counts: (Int64, Int64) = (0, 0)
        do {
            try store.writing {
                if existed {
                    try refuseIfUsed(.list, name: name.text, by: "replace")
                    try store.deleteSaved(.list, named: name.text)
                }
                counts = try freeze(compiled.bound, listName: name.text, querySource: source,
                                    includingSuppressed: includingSuppressed, catalog: catalog)
                try SegmentViews.refreshAll(in: store)
            }
            // Only the lists and the views changed: every other condition's set still holds.
            try store.keepRememberedSets(afterWritingOnly: ["list_members"])
        } catch {
            throw storeFailure(error)
        }
        output.note(Self.frozenSummary("\(existed ? "replaced" : "saved") list '\(name.text)'", counts, includingSuppressed))
    }

    static func frozenSummary(_ what: String, _ counts: (Int64, Int64), _ includingSuppressed: Bool) -> String {
        let (saved, leftOut) = counts
        var s = "\(what): \(saved) contact\(saved == 1 ? "" : "s")"
        if !includingSuppressed { s += " (\(leftOut) suppressed contact\(leftOut == 1 ? "" : "s") left out)" }
        return s
    }

    // MARK: - Dropping

    /// Refuses to drop or replace what a saved segment (or a duplicated campaign) uses.
    private func refuseIfUsed(_ kind: SavedKind, name: String, by verb: String) throws {
        let users = try store.segmentsUsing(kind, named: name)
        if !users.isEmpty {
            throw SessionError.inUse(kind: kind.rawValue, name: name, verb: verb, users:
                "segment\(users.count == 1 ? "" : "s") \(users.map { "'\($0)'" }.joined(separator: ", ")) use\(users.count == 1 ? "s" : "") it; drop or replace \(users.count == 1 ? "it" : "them") first")
        }
    }

    func drop(_ kind: SavedKind, _ name: Name, in file: SourceFile) throws {
        guard try runtime({ try store.hasSaved(kind, named: name.text) }) else {
            let names = try runtime { try store.savedNames(kind) }
            let near = Suggestions.nearest(to: name.text, among: names)
            throw SessionError.compile(
                [.error("no saved \(kind) named '\(name.text)'" + (near.map { "; did you mean '\($0)'?" } ?? ""), at: name.range)], file)
        }
        do {
            try store.writing {
                try refuseIfUsed(kind, name: name.text, by: "drop")
                if kind == .list, let c = try store.campaignsSending(toList: name.text).first {
                    throw SessionError.inUse(kind: "list", name: name.text, verb: "drop", users: "it holds the recipients of campaign '\(c)'")
                }
                try store.deleteSaved(kind, named: name.text)
                try SegmentViews.refreshAll(in: store)
            }
        } catch {
            throw storeFailure(error)
        }
        output.note("dropped \(kind) '\(name.text)'")
    }

    // MARK: - Duplicating

    func duplicate(campaign name: Name, audience: Audience, includingSuppressed: Bool, in file: SourceFile) throws {
        let catalog = try store.catalog()
        guard let source = catalog.campaign(named: name.text) else {
            let near = Suggestions.nearest(to: name.text, among: catalog.campaigns.map(\.name))
            throw SessionError.compile(
                [.error("no campaign named '\(name.text)'" + (near.map { "; did you mean '\($0)'?" } ?? ""), at: name.range)], file)
        }
        guard let sentAt = source.sentAt else {
            throw SessionError.compile([.error("campaign '\(name.text)' was never sent, so there is nothing to follow up", at: name.range)], file)
        }
        // The audience, as a query, and its label.
        let query: Query
        let label: String
        switch audience {
        case .labeled(let q, let l):
            query = q
            label = l.text
        case .segment(let n):
            query = Query(.segment(n), range: n.range)
            label = n.text
        case .list(let n):
            query = Query(.list(n), range: n.range)
            label = n.text
        case .named(let n):
            label = n.text
            let isAlias = aliases.contains { $0.name == n.text }
            if isAlias || Binder.builtinAudiences.contains(n.text) {
                query = Query(.name(n), range: n.range)
            } else if catalog.segments[n.text] != nil {
                query = Query(.segment(n), range: n.range)
            } else if catalog.lists[n.text] != nil {
                query = Query(.list(n), range: n.range)
            } else {
                let candidates = aliases.map(\.name) + Binder.builtinAudiences + catalog.segments.keys.sorted() + catalog.lists.keys.sorted()
                let near = Suggestions.nearest(to: n.text, among: candidates)
                throw SessionError.compile(
                    [.error("no audience named '\(n.text)' (a built-in audience, alias, segment or list)"
                        + (near.map { "; did you mean '\($0)'?" } ?? ""), at: n.range)], file)
            }
        }
        // Evaluated with the source campaign as the context.
        let savedContext = campaignContext
        campaignContext = source.name
        defer { campaignContext = savedContext }
        let compiled = try compile(query, projection: .count, in: file)
        let audienceSource = selfContainedSource(query, catalog: catalog)

        guard now >= sentAt else {
            throw SessionError.refused("campaign '\(source.name)' was sent after now (\(Timestamp.iso8601(sentAt))); pass --now to follow it up")
        }
        // Whole days from the send time to now, rounded down: 71h59m is D+2, 72h is D+3.
        let days = (now - sentAt) / 86_400
        let copyName = "Copy D+\(days) - \(label): \(source.name)"
        if catalog.campaign(named: copyName) != nil {
            throw SessionError.nameTaken(kind: "campaign", name: copyName)
        }
        if catalog.lists[copyName] != nil {
            throw SessionError.nameTaken(kind: "list", name: copyName)
        }
        var counts: (Int64, Int64) = (0, 0)
        do {
            try store.writing {
                counts = try freeze(compiled.bound, listName: copyName, querySource: audienceSource,
                                    includingSuppressed: includingSuppressed, catalog: catalog)
                try store.createDraftCopy(of: source.id, named: copyName, audience: audienceSource,
                                          audienceList: try store.listID(named: copyName), createdAt: Int64(time(nil)))
                try SegmentViews.refreshAll(in: store)
            }
        } catch {
            throw storeFailure(error)
        }
        output.note(Self.frozenSummary("created draft campaign '\(copyName)' with its recipients frozen as list '\(copyName)'", counts, includingSuppressed))
    }

    // MARK: - Export

    /// Why each suppressed contact among `bound`'s is suppressed, by contact id: the
    /// reasons of `Binder.suppressionReasons` that hold, joined by ", ".
    func suppression(of bound: BoundQuery) throws -> [Int64: String] {
        var reasons: [Int64: String] = [:]
        for (reason, query) in Binder.suppressionReasons {
            let c = try compile(bound: .and([bound, query]), source: reason, projection: .contactIDs)
            for id in try contactIDs(c) {
                reasons[id] = reasons[id].map { $0 + ", " + reason } ?? reason
            }
        }
        return reasons
    }

    /// Why each suppressed contact among `ids` (contacts being shown) is suppressed, by
    /// id: the same reasons as `suppression(of:)`, read by contact id through
    /// `events_by_contact`, so that `show … limit 10` reads ten contacts' events.
    func suppression(ofContacts ids: [Int64]) throws -> [Int64: String] {
        let found = try runtime { try store.suppressionReasons(ofContacts: ids) }
        return found.mapValues { set in
            Binder.suppressionReasons.map(\.reason).filter(set.contains).joined(separator: ", ")
        }
    }

    /// "221 suppressed contacts left out (150 unsubscribed, 40 complained, 50 hard-bounced)".
    static func leftOutSummary(_ reasons: [Int64: String]) -> String {
        var byReason: [String: Int] = [:]
        for r in reasons.values {
            for part in r.split(separator: ",") { byReason[String(part.drop { $0 == " " }), default: 0] += 1 }
        }
        let parts = Binder.suppressionReasons.compactMap { r in byReason[r.reason].map { "\($0) \(r.reason)" } }
        let n = reasons.count
        return "\(n) suppressed contact\(n == 1 ? "" : "s") left out (\(parts.joined(separator: ", ")))"
    }

    func export(_ q: Query, to path: Name, orReplace: Bool, includingSuppressed: Bool, columns: [Name]? = nil, in file: SourceFile) throws {
        if let bad = path.text.unicodeScalars.first(where: { $0.value < 0x20 || $0.value == 0x7F }) {
            let hex = String(bad.value, radix: 16, uppercase: true)
            let code = "U+" + String(repeating: "0", count: 4 - hex.count) + hex
            throw SessionError.compile(
                [.error("an export path cannot contain control characters (\(code) here)", at: path.range)], file)
        }
        if path.text.isEmpty {
            throw SessionError.compile([.error("the export path is empty", at: path.range)], file)
        }
        let format: OutputFormat
        switch path.text.split(separator: ".").last.map({ $0.lowercased() }) {
        case "csv": format = .csv
        case "json": format = .json
        case "jsonl": format = .jsonl
        default:
            throw SessionError.compile(
                [.error("export writes .csv, .json or .jsonl files; '\(path.text)' has none of these extensions", at: path.range)], file)
        }
        if let storeFile = storeFileMatching(path.text) {
            throw SessionError.compile(
                [.error("'\(path.text)' is the store's own file (\(storeFile)); export elsewhere", at: path.range)], file)
        }
        var existing = stat()
        if !orReplace, lstat(path.text, &existing) == 0 {
            throw SessionError.compile(
                [.error("'\(path.text)' already exists; use 'export or replace … to' to overwrite it", at: path.range)], file)
        }
        let chosen = try chosenColumns(columns, in: file)
        var compiled = try compile(q, projection: .contacts(limit: nil), in: file)
        // An export is the usual hand-off to a sending platform: like `save list`, it
        // leaves out the suppressed contacts unless the statement keeps them.
        var leftOut: [Int64: String] = [:]
        if !includingSuppressed {
            leftOut = try suppression(of: compiled.bound)
            if !leftOut.isEmpty {
                compiled = try compile(bound: .and([compiled.bound, .not(Binder.suppressedAudience)]),
                                       source: compiled.source, projection: .contacts(limit: nil))
            }
        }
        // Written to a temporary file beside the target and renamed into place, so a
        // failure never leaves half a file. Without `or replace` it is linked into place,
        // which fails if a file appeared there meanwhile (rename would replace it).
        let temporary = Self.temporaryPath(besides: path.text)
        let fd = systemOpen(temporary, O_WRONLY | O_CREAT | O_EXCL, 0o644)
        guard fd >= 0 else {
            throw SessionError.file("cannot write '\(path.text)': \(String(cString: strerror(errno)))")
        }
        let sink = ByteSink(fileDescriptor: fd)
        let writer = ResultWriter(format: format, sink: sink)
        var rows: Int64 = 0
        var failure: Error?
        do {
            writer.beginRows(columns: chosen?.names ?? ChosenColumns.base)
            // Through the set engine, as `show` reads them: bounded by the conditions'
            // own ranges whatever the query (the one-statement SQL is a view's).
            try withColumns(chosen, { emit in
                try contactRows(compiled, limit: nil) { (values: [SQLValue]) in try emit(values) }
            }, emit: { values in
                writer.row(values)
                rows += 1
            })
            writer.endRows()
        } catch {
            failure = error
        }
        sink.flush()
        if failure == nil, sink.failed { failure = SessionError.file("writing '\(path.text)' failed: \(String(cString: strerror(errno)))") }
        if failure == nil, fsync(fd) != 0 { failure = SessionError.file("cannot flush '\(path.text)' to disk") }
        close(fd)
        if failure == nil {
            if orReplace {
                if rename(temporary, path.text) != 0 {
                    failure = SessionError.file("cannot move the export into place at '\(path.text)': \(String(cString: strerror(errno)))")
                }
            } else if link(temporary, path.text) != 0 {
                let linkError = errno
                var st = stat()
                if linkError == EEXIST {
                    failure = SessionError.fileExists(path.text)
                } else if (linkError == EPERM || linkError == ENOTSUP || linkError == EOPNOTSUPP), lstat(path.text, &st) != 0,
                          rename(temporary, path.text) == 0 {
                    // A file system without hard links: checked, then renamed.
                } else {
                    failure = SessionError.file("cannot move the export into place at '\(path.text)': \(String(cString: strerror(linkError)))")
                }
            } else {
                unlink(temporary)
            }
        }
        if let failure {
            unlink(temporary)
            throw storeFailure(failure)
        }
        var note = "exported \(rows) contact\(rows == 1 ? "" : "s") to \(path.text)"
        if !leftOut.isEmpty {
            note += "; \(Self.leftOutSummary(leftOut)); 'export … to \(Printer.quoted(path.text)) including suppressed' keeps them"
        }
        output.note(note)
    }

    /// The store's file (or its `-wal`, `-shm`, `-journal`) that `path` names, if any:
    /// the same file (device and inode) when it exists, else the same resolved path.
    private func storeFileMatching(_ path: String) -> String? {
        guard store.database.file != nil else { return nil }
        let target = Self.resolved(path)
        var st = stat()
        let targetStat: stat? = stat(path, &st) == 0 ? st : nil
        for suffix in ["", "-wal", "-shm", "-journal"] {
            let candidate = store.path + suffix
            var cs = stat()
            if let t = targetStat, stat(candidate, &cs) == 0, cs.st_dev == t.st_dev, cs.st_ino == t.st_ino {
                return candidate
            }
            if Self.resolved(candidate) == target { return candidate }
        }
        return nil
    }

    /// `path` with its directory resolved (symbolic links, `..`), the last name kept.
    static func resolved(_ path: String) -> String {
        let slash = path.lastIndex(of: "/")
        let dir = slash.map { String(path[..<$0]) } ?? "."
        let base = slash.map { String(path[path.index(after: $0)...]) } ?? path
        guard let real = realpath(dir.isEmpty ? "/" : dir, nil) else { return path }
        defer { free(real) }
        return String(cString: real) + "/" + base
    }

    static func temporaryPath(besides path: String) -> String {
        let slash = path.lastIndex(of: "/")
        let dir = slash.map { String(path[...$0]) } ?? ""
        let base = slash.map { String(path[path.index(after: $0)...]) } ?? path
        return "\(dir).\(base).segq-\(getpid())-\(time(nil)).tmp"
    }
}
