// The SegQL parser: recursive descent, one function per grammar rule.
//
// How it works. `ParserState` pulls tokens from the lexer on demand and looks at most
// two tokens ahead. Each function below parses one rule of `grammar/segql.ebnf`, whose
// text is copied in the comment above it (a test keeps the two in sync). Precedence is
// encoded the classic way, by one rule per level: `query` handles `or`, `and_query`
// handles `and`, `not_query` handles `not`, and `primary` the rest. `and` and `or` are
// parsed with loops, so they are left-associative and a long chain costs no stack.
//
// Words. Only eight words are reserved (`and or not in matches exists true false`).
// Statement words (`count`, `show`, …) are keywords only where a statement begins, and
// only when the next token does not make them a field: `count = 3` is a condition on an
// attribute named `count`, `count opened` counts openers. Event verbs and nouns and
// argument names are recognised by the parser from the one word table in Keywords.swift.
//
// Errors. A rule that fails records one diagnostic and returns nil; every caller
// returns nil at once, so the statement is abandoned after its first error. The script
// loop then skips to the next `;` and carries on. That gives one error per broken
// statement and no cascade. The parser says nothing when the offending token is an
// `.error` token: the lexer has already explained it. An unclosed `(` or `[` is found
// when `;` or the end of the input arrives where `)` or `]` was expected, and the error
// points back at the opening bracket.
//
// Robustness. Parentheses, `not` and lists are the only recursion; each level counts
// towards `Parser.maximumDepth`, so hostile input cannot overflow the stack: the 257th
// level is an error and the parser unwinds. `and` and `or` chains are loops here, but
// they build left-deep trees that every later stage (printer, binder, even Swift's own
// `==` and deinit) walks recursively, so a query may hold at most
// `Parser.maximumOperators` of them: the tree is never more than about 1,300 deep.
// Every loop consumes a token per iteration, the lexer is linear, and nothing is
// rescanned, so parsing is linear in the input.
//
// One file, though long: a hand-written recursive-descent parser reads best whole, one
// function per grammar rule in the grammar's order, each under its rule's text, so it
// can be read beside grammar/segql.ebnf.

/// Parses SegQL source into statements and queries. Never traps, whatever the input.
public enum Parser {
    /// How deeply parentheses, `not` and lists may nest.
    public static let maximumDepth = 256
    /// How many `and` and `or` operators one query may hold (see the essay above).
    public static let maximumOperators = 1_000

    /// Parses a script: statements separated by `;`. Statements with errors are left out;
    /// the diagnostics say why, at most one per statement plus independent lexical ones.
    /// After `Lexer.maximumErrors` errors the parse stops with a final "too many errors".
    ///
    /// `cancellation` is polled every 4,096 tokens: once it is cancelled (Ctrl-C, a
    /// timeout) the input reads as ended there, and the caller, owning the flag,
    /// reports the cancellation rather than the diagnostics.
    public static func parseScript(_ file: SourceFile, cancellation: Cancellation? = nil)
        -> (statements: [Statement], diagnostics: [Diagnostic]) {
        var state = ParserState(bytes: file.bytes, lineBreaksSeparate: true)
        state.cancellation = cancellation
        let statements = state.script()
        return (statements, state.finishedDiagnostics())
    }

    /// Parses exactly one query (an optional `;` may follow it), for `--query` text and the binder's tests.
    public static func parseQuery(_ file: SourceFile) -> (query: Query?, diagnostics: [Diagnostic]) {
        var state = ParserState(bytes: file.bytes)
        var query = state.query(after: nil)
        if query != nil {
            _ = state.match(.semicolon)
            if state.token.kind != .endOfFile {
                query = state.unexpectedAfterQuery(continuations: [], allowSemicolon: false)
            }
        }
        let diagnostics = state.finishedDiagnostics()
        return (diagnostics.contains { $0.severity == .error } ? nil : query, diagnostics)
    }
}

/// The mutable state of one parse: the lexer, the current token and lookahead, the depth.
struct ParserState {
    private var lexer: Lexer
    let bytes: [UInt8]
    /// The token being looked at.
    private(set) var token: Token
    /// The last token consumed (for ranges and for "after X" positions).
    var previous: Token
    /// Tokens already lexed beyond `token`.
    private var lookahead: [Token] = []
    /// Current nesting of parentheses, `not` and lists.
    private var depth = 0
    /// `and` and `or` operators in the current statement.
    private var operators = 0
    /// Whether a line break after a complete line ends a statement (scripts, the REPL).
    private let lineBreaksSeparate: Bool
    /// Brackets opened and not yet closed, over the tokens pulled from the lexer.
    private var openBrackets = 0
    /// The kind of the last token pulled from the lexer.
    private var lastPulled: TokenKind?
    /// Where the last token pulled from the lexer ends.
    private var lastPulledEnd = 0
    /// A token pulled from the lexer but held back behind a line break's `;`.
    private var heldBack: Token?
    /// Polled every 4,096 tokens; once cancelled, the input ends.
    var cancellation: Cancellation?
    /// Tokens pulled from the lexer so far.
    private var pulled = 0
    /// Whether the input ended early because the statement was cancelled.
    private var cancelled = false

    init(bytes: [UInt8], lineBreaksSeparate: Bool = false) {
        self.bytes = bytes
        self.lineBreaksSeparate = lineBreaksSeparate
        lexer = Lexer(bytes: bytes)
        token = Token(.endOfFile, .at(0))
        previous = token
        token = pull()
        previous = Token(.endOfFile, .at(token.range.start))
    }

    // separator = ";" | ? a line break after a complete line ? ;
    /// The next token for the parser: the lexer's, with a `;` (empty, at the line's end)
    /// where a line break follows a complete line — every bracket closed, and the line
    /// not ending in an operator such as `and`, `,` or `=` — as the REPL decides
    /// (InputCompleteness).
    private mutating func pull() -> Token {
        if let t = heldBack {
            heldBack = nil
            return t
        }
        pulled &+= 1
        if cancelled || (pulled & 4095 == 0 && cancellation?.isCancelled == true) {
            cancelled = true
            return Token(.endOfFile, .at(lastPulledEnd))
        }
        let t = lexer.next()
        if lineBreaksSeparate, t.afterLineBreak, t.kind != .semicolon, t.kind != .endOfFile, openBrackets <= 0,
           let last = lastPulled, last != .semicolon, !InputCompleteness.continuesLine(last) {
            heldBack = t
            lastPulled = .semicolon
            openBrackets = 0
            return Token(.semicolon, .at(lastPulledEnd))
        }
        switch t.kind {
        case .leftParen, .leftBracket: openBrackets += 1
        case .rightParen, .rightBracket: openBrackets -= 1
        case .semicolon: openBrackets = 0
        default: break
        }
        lastPulled = t.kind
        lastPulledEnd = t.range.end
        return t
    }

    /// All diagnostics in source order.
    func finishedDiagnostics() -> [Diagnostic] {
        // Lookahead means a lexical error may be recorded before a parser error at an
        // earlier offset; a stable sort puts them back in source order.
        lexer.diagnostics.enumerated()
            .sorted { ($0.element.range.start, $0.offset) < ($1.element.range.start, $1.offset) }
            .map(\.element)
    }

    // MARK: Helpers

    mutating func advance() {
        previous = token
        token = lookahead.isEmpty ? pull() : lookahead.removeFirst()
    }

    /// The token `n` places after the current one.
    mutating func peek(_ n: Int = 1) -> Token {
        while lookahead.count < n { lookahead.append(pull()) }
        return lookahead[n - 1]
    }

    mutating func match(_ kind: TokenKind) -> Bool {
        guard token.kind == kind else { return false }
        advance()
        return true
    }

    var atStatementEnd: Bool { token.kind == .semicolon || token.kind == .endOfFile }

    /// Where an "expected …" error points: the current token, or just after the previous
    /// one when the statement ends (at `;` or the end of the input), so that the caret
    /// stays on the line that is incomplete.
    var here: SourceRange { atStatementEnd ? .at(previous.range.end) : token.range }

    /// The word table entry of an identifier token.
    func word(_ t: Token) -> Word? {
        t.wordIndex >= 0 ? Vocabulary.words[Int(t.wordIndex)] : nil
    }

    /// Whether `t` is an identifier spelling the contextual keyword `k`.
    func isContextual(_ t: Token, _ k: Keyword) -> Bool {
        word(t)?.keyword == k
    }

    func text(_ t: Token) -> String { t.text(in: bytes) }

    private func describe(_ t: Token) -> String { ParseMessages.describe(t, in: bytes) }

    /// Records an error and returns nil, unless the current token is an `.error` token,
    /// whose problem the lexer has reported already.
    mutating func fail<T>(
        _ message: String, at range: SourceRange, notes: [DiagnosticNote] = [], suggestion: String? = nil
    ) -> T? {
        if token.kind != .error {
            lexer.report(.error(message, at: range, notes: notes, suggestion: suggestion))
        }
        return nil
    }

    /// Enters one level of nesting, or reports that the limit is reached.
    private mutating func enter(at range: SourceRange) -> Bool {
        guard depth < Parser.maximumDepth else {
            let _: Never? = fail(ParseMessages.nestsTooDeeply, at: range)
            return false
        }
        depth += 1
        return true
    }

    /// Counts an `and` or `or` at the current token, or reports that there are too many.
    private mutating func countOperator() -> Bool {
        guard operators < Parser.maximumOperators else {
            let _: Never? = fail(ParseMessages.tooManyOperators, at: token.range)
            return false
        }
        operators += 1
        return true
    }

    /// Skips to the next `;` or the end of the input, after a statement failed.
    private mutating func synchronize() {
        while !atStatementEnd { advance() }
    }

    // MARK: Statements

    // script = [ statement ] { separator [ statement ] } ;
    mutating func script() -> [Statement] {
        var statements: [Statement] = []
        while token.kind != .endOfFile {
            if match(.semicolon) { continue }
            depth = 0
            operators = 0
            let errorsBefore = lexer.errorCount
            if let s = statement() {
                // A statement with a lexical error (say a bad escape) parsed, but is wrong.
                if lexer.errorCount == errorsBefore { statements.append(s) }
            } else {
                synchronize()
            }
        }
        return statements
    }

    // statement = count_statement | show_statement | explain_statement | let_statement
    //           | save_statement | duplicate_statement | export_statement
    //           | stats_statement | drop_statement | use_statement | diff_statement
    //           | why_statement | overlap_statement | reach_statement | contact_statement
    //           | history_statement | query_statement ;
    private mutating func statement() -> Statement? {
        guard let k = word(token)?.keyword, Keyword.statementStarters.contains(k), startsStatement(k) else {
            return queryStatement()
        }
        switch k {
        case .count: return countStatement()
        case .show: return showStatement()
        case .explain: return explainStatement()
        case .let: return letStatement()
        case .save: return saveStatement()
        case .duplicate: return duplicateStatement()
        case .export: return exportStatement()
        case .stats: return statsStatement()
        case .drop: return dropStatement()
        case .use: return useStatement()
        case .why: return whyStatement()
        case .overlap: return overlapStatement()
        case .reach: return reachStatement()
        case .diff: return diffStatement()
        case .contact: return contactStatement()
        case .history: return historyStatement()
        default: return queryStatement()
        }
    }

    /// Whether a statement word at the current token begins its statement, or is an
    /// attribute or alias that the next token makes part of a query (`count = 3`).
    private mutating func startsStatement(_ k: Keyword) -> Bool {
        let next = peek()
        if next.kind.comparison != nil { return false }
        // `contact` begins a statement only before the string or number it looks up.
        if k == .contact { return next.kind == .string || next.kind == .integer }
        // `history` begins a statement only before `segment`.
        if k == .history { return isContextual(next, .segment) }
        switch next.kind {
        case .keyword(.in), .keyword(.matches), .keyword(.exists), .keyword(.and): return false
        case .keyword(.or): return (k == .save || k == .export) && isContextual(peek(2), .replace)
        default: return true
        }
    }

    // query_statement = query ;
    private mutating func queryStatement() -> Statement? {
        guard let q = query(after: nil) else { return nil }
        if !atStatementEnd, case .name(let n) = q.kind, canStartQuery(token),
           let s = Suggestions.nearest(to: n.text, among: Keyword.statementStarters.map(\.spelling)) {
            return fail(ParseMessages.unknownStatement(n.text, suggestion: s), at: n.range, suggestion: s)
        }
        return finish(.query(q), from: q.range.start, continuations: [])
    }

    // count_statement = "count" query [ as_of ] ;
    private mutating func countStatement() -> Statement? {
        let start = token.range.start
        advance()
        guard let q = query(after: "'count'") else { return nil }
        guard let at = asOf() else { return nil }
        return finish(.count(q), from: start, continuations: at == nil ? ["as"] : [])?.at(at)
    }

    // show_statement = "show" query [ as_of ] [ columns ] [ "limit" INTEGER ] ;
    private mutating func showStatement() -> Statement? {
        let start = token.range.start
        advance()
        guard let q = query(after: "'show'") else { return nil }
        guard let at = asOf() else { return nil }
        var chosen: [Name]?
        if isContextual(token, .with) {
            guard let c = columns() else { return nil }
            chosen = c
        }
        var statement: Statement?
        if isContextual(token, .limit) {
            advance()
            guard let n = Lexer.integerValue(of: token, in: bytes), n >= 0 else {
                return fail(ParseMessages.expectedLimit(), at: here)
            }
            advance()
            statement = finish(.show(q, limit: n), from: start, continuations: nil)
        } else {
            var continuations = ["limit"]
            if chosen == nil { continuations.insert("with", at: 0) }
            if at == nil, chosen == nil { continuations.insert("as", at: 0) }
            statement = finish(.show(q, limit: nil), from: start, continuations: continuations)
        }
        statement?.columns = chosen
        return statement?.at(at)
    }

    // columns = "with" "columns" name { "," name } ;
    private mutating func columns() -> [Name]? {
        advance()
        guard isContextual(token, .columns) else {
            return fail(ParseMessages.expectedKeyword("columns", after: "'with'"), at: here)
        }
        advance()
        var names: [Name] = []
        repeat {
            guard let n = name(after: names.isEmpty ? "'columns'" : "','") else { return nil }
            names.append(n)
        } while match(.comma)
        return names
    }

    // as_of = "as" "of" STRING ;
    /// `as of "DATE"` when the next words are `as of`: `.some(nil)` when they are not,
    /// nil after an error.
    private mutating func asOf() -> Name?? {
        guard isContextual(token, .as), isContextual(peek(), .of) else { return .some(nil) }
        advance()
        advance()
        guard token.kind == .string else { return fail(ParseMessages.expectedAsOfDate(), at: here) }
        let date = Name(text: Lexer.stringValue(of: token, in: bytes), quoted: true, range: token.range)
        advance()
        return .some(date)
    }

    // explain_statement = "explain" [ "analyze" ] query ;
    private mutating func explainStatement() -> Statement? {
        let start = token.range.start
        advance()
        // `analyze` is a keyword here when a query follows it; otherwise it is the query
        // itself (an attribute or alias: `explain analyze = 3`).
        var analyze = false
        if isContextual(token, .analyze), startsStatement(.analyze), canStartQuery(peek()) {
            analyze = true
            advance()
        }
        guard let q = query(after: analyze ? "'explain analyze'" : "'explain'") else { return nil }
        return finish(.explain(q, analyze: analyze), from: start, continuations: [])
    }

    // let_statement = "let" name "=" query ;
    private mutating func letStatement() -> Statement? {
        let start = token.range.start
        advance()
        let nameToken = token
        guard let alias = name(after: "'let'") else { return nil }
        if !alias.quoted, let w = word(nameToken), w.verb != nil || w.noun != nil {
            return fail(ParseMessages.eventAsName(alias.text), at: alias.range)
        }
        guard match(.equal) else {
            return fail(ParseMessages.expectedKeyword("=", after: "the alias name"), at: here)
        }
        guard let q = query(after: "'='") else { return nil }
        return finish(.let(alias, q), from: start, continuations: [])
    }

    // save_statement = "save" [ "or" "replace" ] ( "segment" name "=" query
    //                | "list" name "=" query [ "including" "suppressed" ] ) ;
    private mutating func saveStatement() -> Statement? {
        let start = token.range.start
        advance()
        var orReplace = false
        if token.kind == .keyword(.or) {  // `startsStatement` saw `replace` after it
            advance()
            advance()
            orReplace = true
        }
        let isList: Bool
        if isContextual(token, .segment) {
            isList = false
        } else if isContextual(token, .list) {
            isList = true
        } else {
            return fail(ParseMessages.expectedOneOf(["segment", "list"], after: orReplace ? "'save or replace'" : "'save'"), at: here)
        }
        let what = isList ? "'list'" : "'segment'"
        advance()
        guard let n = name(after: what) else { return nil }
        guard match(.equal) else {
            return fail(ParseMessages.expectedKeyword("=", after: "the \(isList ? "list" : "segment") name"), at: here)
        }
        guard let q = query(after: "'='") else { return nil }
        guard isList else { return finish(.saveSegment(n, q, orReplace: orReplace), from: start, continuations: []) }
        guard isContextual(token, .including) else {
            let kind = Statement.Kind.saveList(n, q, orReplace: orReplace, includingSuppressed: false)
            return finish(kind, from: start, continuations: ["including"])
        }
        guard includingSuppressed() else { return nil }
        return finish(.saveList(n, q, orReplace: orReplace, includingSuppressed: true), from: start, continuations: nil)
    }

    /// `including suppressed`, with the current token at `including`.
    private mutating func includingSuppressed() -> Bool {
        advance()
        guard isContextual(token, .suppressed) else {
            let _: Never? = fail(ParseMessages.expectedKeyword("suppressed", after: "'including'"), at: here)
            return false
        }
        advance()
        return true
    }

    // duplicate_statement = "duplicate" "campaign" name "for" audience [ "including" "suppressed" ] ;
    private mutating func duplicateStatement() -> Statement? {
        let start = token.range.start
        advance()
        guard isContextual(token, .campaign) else {
            return fail(ParseMessages.expectedKeyword("campaign", after: "'duplicate'"), at: here)
        }
        advance()
        guard let campaign = name(after: "'campaign'") else { return nil }
        guard isContextual(token, .for) else {
            return fail(ParseMessages.expectedKeyword("for", after: "the campaign name"), at: here)
        }
        advance()
        guard let target = audience() else { return nil }
        var including = false
        if isContextual(token, .including) {
            guard includingSuppressed() else { return nil }
            including = true
        }
        let kind = Statement.Kind.duplicate(campaign: campaign, audience: target, includingSuppressed: including)
        return finish(kind, from: start, continuations: nil)
    }

    // audience = reference | name | "(" query ")" "as" name ;
    private mutating func audience() -> Audience? {
        if isContextual(token, .segment) || isContextual(token, .list) {
            let next = peek()
            if next.kind == .string || (next.kind == .identifier && !isContextual(next, .including)) {
                let isList = isContextual(token, .list)
                advance()
                guard let n = name(after: isList ? "'list'" : "'segment'") else { return nil }
                return isList ? .list(n) : .segment(n)
            }
        }
        switch token.kind {
        case .identifier, .string:
            guard let n = name(after: "'for'") else { return nil }
            return .named(n)
        case .leftParen:
            let open = token
            guard enter(at: open.range) else { return nil }
            defer { depth -= 1 }
            advance()
            guard let inner = query(after: "'('") else { return nil }
            guard closing(.rightParen, opener: open) else { return nil }
            let q = Query(inner.kind, range: SourceRange(open.range.start, previous.range.end))
            guard isContextual(token, .as) else {
                return fail(ParseMessages.expectedKeyword("as", after: "')'") + ", e.g. 'as \"engaged\"'", at: here)
            }
            advance()
            guard let label = name(after: "'as'") else { return nil }
            return .labeled(q, label: label)
        default:
            return fail(ParseMessages.expectedAudience(), at: here)
        }
    }

    // export_statement = "export" [ "or" "replace" ] query [ as_of ] [ columns ] "to" STRING [ "including" "suppressed" ] ;
    private mutating func exportStatement() -> Statement? {
        let start = token.range.start
        advance()
        var orReplace = false
        if token.kind == .keyword(.or) {  // `startsStatement` saw `replace` after it
            advance()
            advance()
            orReplace = true
        }
        guard let q = query(after: "'export'") else { return nil }
        guard let at = asOf() else { return nil }
        var chosen: [Name]?
        if isContextual(token, .with) {
            guard let c = columns() else { return nil }
            chosen = c
        }
        guard isContextual(token, .to) else {
            if atStatementEnd { return fail(ParseMessages.expectedToAfterQuery(), at: here) }
            return unexpectedAfterQuery(continuations: chosen == nil ? ["with", "to"] : ["to"], allowSemicolon: false)
        }
        advance()
        guard token.kind == .string else { return fail(ParseMessages.expectedPath(), at: here) }
        let path = Name(text: Lexer.stringValue(of: token, in: bytes), quoted: true, range: token.range)
        advance()
        guard isContextual(token, .including) else {
            var statement = finish(.export(q, path: path, orReplace: orReplace, includingSuppressed: false), from: start, continuations: nil)
            statement?.columns = chosen
            return statement?.at(at)
        }
        guard includingSuppressed() else { return nil }
        var statement = finish(.export(q, path: path, orReplace: orReplace, includingSuppressed: true), from: start, continuations: nil)
        statement?.columns = chosen
        return statement?.at(at)
    }

    // stats_statement = "stats" name [ "message" INTEGER ] ;
    private mutating func statsStatement() -> Statement? {
        let start = token.range.start
        advance()
        guard let campaign = name(after: "'stats'") else { return nil }
        var message: Int64?
        if isContextual(token, .message) {
            advance()
            guard let n = Lexer.integerValue(of: token, in: bytes), n >= 1 else {
                return fail(ParseMessages.expectedMessageNumber(), at: here)
            }
            advance()
            message = n
        }
        return finish(.stats(campaign: campaign, message: message), from: start, continuations: nil)
    }

    // drop_statement = "drop" ( "segment" | "list" ) name ;
    private mutating func dropStatement() -> Statement? {
        let start = token.range.start
        advance()
        let isList = isContextual(token, .list)
        guard isList || isContextual(token, .segment) else {
            return fail(ParseMessages.expectedOneOf(["segment", "list"], after: "'drop'"), at: here)
        }
        advance()
        guard let n = name(after: isList ? "'list'" : "'segment'") else { return nil }
        return finish(isList ? .dropList(n) : .dropSegment(n), from: start, continuations: nil)
    }

    // use_statement = "use" "campaign" ( "none" | name ) ;
    private mutating func useStatement() -> Statement? {
        let start = token.range.start
        advance()
        guard isContextual(token, .campaign) else {
            return fail(ParseMessages.expectedKeyword("campaign", after: "'use'"), at: here)
        }
        advance()
        if isContextual(token, .none) {
            advance()
            return finish(.useCampaign(nil), from: start, continuations: nil)
        }
        guard let n = name(after: "'campaign'") else { return nil }
        return finish(.useCampaign(n), from: start, continuations: nil)
    }

    // diff_statement = "diff" query ( "from" STRING "to" STRING [ "as" "recorded" ] | "to" query ) ;
    private mutating func diffStatement() -> Statement? {
        let start = token.range.start
        advance()
        guard let q = query(after: "'diff'") else { return nil }
        if isContextual(token, .from) {
            advance()
            guard token.kind == .string else { return fail(ParseMessages.expectedDate(after: "'from'"), at: here) }
            let from = Name(text: Lexer.stringValue(of: token, in: bytes), quoted: true, range: token.range)
            advance()
            guard isContextual(token, .to) else { return fail(ParseMessages.expectedKeyword("to", after: "the date"), at: here) }
            advance()
            guard token.kind == .string else { return fail(ParseMessages.expectedDate(after: "'to'"), at: here) }
            let to = Name(text: Lexer.stringValue(of: token, in: bytes), quoted: true, range: token.range)
            advance()
            if isContextual(token, .as), isContextual(peek(), .recorded) {
                let recorded = token.range.start
                advance()
                guard case .segment = q.kind else {
                    return fail(ParseMessages.recordedNeedsSegment(), at: SourceRange(recorded, token.range.end))
                }
                advance()
                return finish(.diff(q, .recorded(from: from, to: to)), from: start, continuations: nil)
            }
            return finish(.diff(q, .moments(from: from, to: to)), from: start, continuations: nil)
        }
        guard isContextual(token, .to) else {
            if atStatementEnd { return fail(ParseMessages.expectedOneOf(["from", "to"], after: "the query"), at: here) }
            return unexpectedAfterQuery(continuations: ["from", "to"], allowSemicolon: false)
        }
        advance()
        guard let other = query(after: "'to'") else { return nil }
        return finish(.diff(q, .query(other)), from: start, continuations: [])
    }

    // history_statement = "history" "segment" name ;
    private mutating func historyStatement() -> Statement? {
        let start = token.range.start
        advance()
        advance()  // `startsStatement` saw `segment` next
        guard let n = name(after: "'segment'") else { return nil }
        return finish(.history(n), from: start, continuations: nil)
    }

    // contact_statement = "contact" ( STRING | INTEGER ) ;
    private mutating func contactStatement() -> Statement? {
        let start = token.range.start
        advance()  // `startsStatement` saw a string or an integer next
        let key: ContactKey
        if token.kind == .string {
            key = .text(Lexer.stringValue(of: token, in: bytes), range: token.range)
        } else {
            guard let n = Lexer.integerValue(of: token, in: bytes) else { return fail(ParseMessages.invalidNumber(text(token)), at: token.range) }
            key = .id(n, range: token.range)
        }
        advance()
        return finish(.contact(key), from: start, continuations: nil)
    }

    // name = IDENTIFIER | STRING ;
    mutating func name(after context: String) -> Name? {
        switch token.kind {
        case .identifier:
            let n = Name(text: text(token), quoted: false, range: token.range)
            advance()
            return n
        case .string:
            let n = Name(text: Lexer.stringValue(of: token, in: bytes), quoted: true, range: token.range)
            advance()
            return n
        default:
            return fail(ParseMessages.expectedName(after: context), at: here)
        }
    }

    /// Ends a statement at `;` or the end of the input. `continuations` lists the words
    /// that could still have followed its final query (nil: it does not end in a query).
    mutating func finish(_ kind: Statement.Kind, from start: Int, continuations: [String]?) -> Statement? {
        if atStatementEnd { return Statement(kind, range: SourceRange(start, previous.range.end)) }
        guard let continuations else {
            return fail(ParseMessages.unexpectedAfterStatement(describe(token)), at: token.range)
        }
        return unexpectedAfterQuery(continuations: continuations, allowSemicolon: true)
    }

    /// Reports the current token as out of place after a complete query, suggesting
    /// `and`/`or` (or the statement's next word) when it looks like a misspelling of one.
    mutating func unexpectedAfterQuery<T>(continuations: [String], allowSemicolon: Bool) -> T? {
        let words = ["and", "or"] + continuations
        if token.kind == .identifier, let s = Suggestions.nearest(to: text(token), among: words) {
            return fail(ParseMessages.unexpectedAfterQuery(describe(token), suggestion: s), at: token.range, suggestion: s)
        }
        return fail(
            ParseMessages.unexpectedAfterQuery(describe(token), expected: words + (allowSemicolon ? [";"] : [])),
            at: token.range
        )
    }

    func canStartQuery(_ t: Token) -> Bool {
        switch t.kind {
        case .identifier, .leftParen, .keyword(.not), .string: true
        default: false
        }
    }

    // MARK: Queries

    // query = and_query { "or" and_query } ;
    mutating func query(after context: String?) -> Query? {
        guard var left = andQuery(after: context) else { return nil }
        while token.kind == .keyword(.or) {
            guard countOperator() else { return nil }
            advance()
            guard let right = andQuery(after: "'or'") else { return nil }
            left = Query(.or(left, right), range: left.range.union(right.range))
        }
        return left
    }

    // and_query = not_query { "and" not_query } ;
    private mutating func andQuery(after context: String?) -> Query? {
        guard var left = notQuery(after: context) else { return nil }
        while token.kind == .keyword(.and) {
            guard countOperator() else { return nil }
            advance()
            guard let right = notQuery(after: "'and'") else { return nil }
            left = Query(.and(left, right), range: left.range.union(right.range))
        }
        return left
    }

    // not_query = "not" not_query | primary ;
    mutating func notQuery(after context: String?) -> Query? {
        guard token.kind == .keyword(.not) else { return primary(after: context) }
        let start = token.range.start
        guard enter(at: token.range) else { return nil }
        defer { depth -= 1 }
        advance()
        guard let operand = notQuery(after: "'not'") else { return nil }
        return Query(.not(operand), range: SourceRange(start, operand.range.end))
    }

    // primary = group | event | count | reference | field | audience_call | IDENTIFIER ;
    private mutating func primary(after context: String?) -> Query? {
        switch token.kind {
        case .leftParen:
            return group()
        case .identifier:
            let w = word(token)
            if let kind = w?.verb { return event(kind) }
            if let kind = w?.noun { return count(kind) }
            let next = peek()
            if w?.keyword == .segment || w?.keyword == .list, next.kind == .identifier || next.kind == .string {
                return reference()
            }
            if isFieldTest(next.kind) { return field() }
            if next.kind == .leftParen, AudienceCall.names.contains(text(token)) { return audienceCall() }
            if next.kind == .leftParen {
                let written = text(token)
                let s = Suggestions.nearest(to: written, among: Vocabulary.eventWords)
                return fail(
                    ParseMessages.unknownEvent(ParseMessages.snippet(bytes, token.range), suggestion: s),
                    at: token.range, notes: s == nil ? [DiagnosticNote(ParseMessages.eventsNote)] : [], suggestion: s
                )
            }
            let n = Name(text: text(token), range: token.range)
            advance()
            return Query(.name(n), range: n.range)
        case .string where isFieldTest(peek().kind):
            // A quoted field name: an attribute whose name is no identifier (`"Signup Date"`).
            return field()
        default:
            var notes = token.kind == .string
                ? [DiagnosticNote(ParseMessages.stringIsNotAQueryNote(ParseMessages.snippet(bytes, token.range)))] : []
            if lineBreaksSeparate, token.afterLineBreak, token.kind == .keyword(.and) || token.kind == .keyword(.or) {
                notes.append(DiagnosticNote(ParseMessages.lineEndedStatement(text(token))))
            }
            if let context { return fail(ParseMessages.expectedQuery(after: context), at: here, notes: notes) }
            return fail(ParseMessages.expectedQuery(found: describe(token)), at: here, notes: notes)
        }
    }

    private func isFieldTest(_ kind: TokenKind) -> Bool {
        if kind.comparison != nil { return true }
        switch kind {
        case .keyword(.in), .keyword(.matches), .keyword(.exists): return true
        default: return false
        }
    }

    // group = "(" query ")" ;
    private mutating func group() -> Query? {
        let open = token
        guard enter(at: open.range) else { return nil }
        defer { depth -= 1 }
        advance()
        guard let inner = query(after: "'('") else { return nil }
        guard closing(.rightParen, opener: open) else { return nil }
        return Query(inner.kind, range: SourceRange(open.range.start, previous.range.end))
    }

    /// Consumes the `)` or `]` that closes `opener`, or reports why it is missing.
    private mutating func closing(_ kind: TokenKind, opener: Token) -> Bool {
        if match(kind) { return true }
        let (open, close) = kind == .rightParen ? ("(", ")") : ("[", "]")
        if atStatementEnd {
            let _: Never? = fail(
                ParseMessages.neverClosed(open), at: opener.range,
                notes: [DiagnosticNote(ParseMessages.endsHere(close), range: here)]
            )
        } else if kind == .rightParen, token.kind == .identifier,
                  let s = Suggestions.nearest(to: text(token), among: ["and", "or"]) {
            let _: Never? = fail(ParseMessages.unexpectedAfterQuery(describe(token), suggestion: s), at: token.range, suggestion: s)
        } else {
            let _: Never? = fail(
                ParseMessages.expectedClosing(close, opener: open), at: token.range,
                notes: [DiagnosticNote(ParseMessages.openedHere(open), range: opener.range)]
            )
        }
        return false
    }

    // event = VERB [ arguments ] ;
    private mutating func event(_ kind: EventKind) -> Query? {
        let verbToken = token
        let verb = Name(text: word(verbToken)?.text ?? kind.verb, range: verbToken.range)
        advance()
        var args: [Argument] = []
        if token.kind == .leftParen {
            guard let a = arguments(of: verb.text) else { return nil }
            args = a
        }
        if token.kind.comparison != nil {
            return fail(ParseMessages.eventCompared(verb.text, noun: kind.noun), at: verbToken.range, suggestion: kind.noun)
        }
        let range = SourceRange(verbToken.range.start, previous.range.end)
        return Query(.event(EventPredicate(kind: kind, verb: verb, arguments: args, range: range)), range: range)
    }

    // count = NOUN [ arguments ] comparison INTEGER ;
    private mutating func count(_ kind: EventKind) -> Query? {
        let nounToken = token
        let noun = Name(text: word(nounToken)?.text ?? kind.noun, range: nounToken.range)
        advance()
        var args: [Argument] = []
        if token.kind == .leftParen {
            guard let a = arguments(of: noun.text) else { return nil }
            args = a
        }
        guard let op = token.kind.comparison else {
            return fail(ParseMessages.expectedComparison(after: noun.text), at: here)
        }
        let opRange = token.range
        advance()
        guard let n = Lexer.integerValue(of: token, in: bytes), n >= 0 else {
            return fail(ParseMessages.expectedCount(after: op.rawValue), at: here)
        }
        let countRange = token.range
        advance()
        let range = SourceRange(nounToken.range.start, countRange.end)
        let c = EventCount(
            kind: kind, noun: noun, arguments: args, op: op, opRange: opRange,
            count: n, countRange: countRange, range: range
        )
        return Query(.count(c), range: range)
    }

    // audience_call = AUDIENCE arguments ;
    private mutating func audienceCall() -> Query? {
        let name = Name(text: text(token), range: token.range)
        advance()
        guard let args = arguments(of: name.text) else { return nil }
        let range = SourceRange(name.range.start, previous.range.end)
        return Query(.audience(AudienceCall(name: name, arguments: args, range: range)), range: range)
    }

    // arguments = "(" [ argument { "," argument } ] ")" ;
    private mutating func arguments(of owner: String) -> [Argument]? {
        let open = token
        advance()
        var args: [Argument] = []
        if match(.rightParen) { return args }
        while true {
            if atStatementEnd {
                return fail(
                    ParseMessages.neverClosed("("), at: open.range,
                    notes: [DiagnosticNote(ParseMessages.endsHere(")"), range: here)]
                )
            }
            guard let a = argument(after: args.isEmpty ? "'('" : "','") else { return nil }
            args.append(a)
            if match(.comma) { continue }
            if match(.rightParen) { return args }
            if atStatementEnd {
                return fail(
                    ParseMessages.neverClosed("("), at: open.range,
                    notes: [DiagnosticNote(ParseMessages.endsHere(")"), range: here)]
                )
            }
            return fail(
                ParseMessages.expectedArgumentSeparator(in: owner), at: token.range,
                notes: [DiagnosticNote(ParseMessages.openedHere("("), range: open.range)]
            )
        }
    }

    // argument = ARGUMENT_NAME ":" value ;
    private mutating func argument(after context: String) -> Argument? {
        guard token.kind == .identifier else {
            if token.kind == .string {
                let value = Lexer.stringValue(of: token, in: bytes)
                let literal = Printer.quoted(ParseMessages.snippet(Array(value.utf8), SourceRange(0, value.utf8.count)))
                return fail(ParseMessages.positionalArgument(literal), at: token.range, suggestion: "campaign: \(literal)")
            }
            if token.kind == .rightParen { return fail(ParseMessages.expectedArgumentName(after: context), at: here) }
            return fail(ParseMessages.expectedArgumentName(found: describe(token)), at: here)
        }
        let nameRange = token.range
        guard let name = word(token)?.argument else {
            let s = Suggestions.nearest(to: text(token), among: Vocabulary.argumentWords)
            return fail(
                ParseMessages.unknownArgument(ParseMessages.snippet(bytes, token.range), suggestion: s),
                at: token.range, notes: s == nil ? [DiagnosticNote(ParseMessages.argumentsNote)] : [], suggestion: s
            )
        }
        advance()
        guard match(.colon) else {
            return fail(
                ParseMessages.expectedColon(after: name.rawValue), at: here,
                suggestion: token.kind == .equal ? ":" : nil
            )
        }
        guard let v = value(after: "'\(name.rawValue):'") else { return nil }
        return Argument(name: name, nameRange: nameRange, value: v)
    }

    // value = STRING | INTEGER | DECIMAL | duration_range | DURATION | "true" | "false" | WORD | list ;
    private mutating func value(after context: String) -> Value? {
        let t = token
        let kind: Value.Kind
        switch t.kind {
        case .string:
            kind = .string(Lexer.stringValue(of: t, in: bytes))
        // The lexer has checked that numbers fit; the guards only keep `!` out.
        case .integer:
            guard let n = Lexer.integerValue(of: t, in: bytes) else { return fail(ParseMessages.invalidNumber(text(t)), at: t.range) }
            kind = .integer(n)
        case .decimal:
            guard let d = Lexer.decimalValue(of: t, in: bytes) else { return fail(ParseMessages.invalidNumber(text(t)), at: t.range) }
            kind = .decimal(d)
        case .duration where peek().kind == .dotDot:
            return durationRange()
        case .duration:
            guard let d = Lexer.durationValue(of: t, in: bytes) else { return fail(ParseMessages.invalidNumber(text(t)), at: t.range) }
            kind = .duration(amount: d.amount, unit: d.unit)
        case .keyword(.true):
            kind = .boolean(true)
        case .keyword(.false):
            kind = .boolean(false)
        case .identifier:
            kind = .word(String(decoding: bytes[t.range.start..<t.range.end].map(Vocabulary.asciiLower), as: UTF8.self))
        case .leftBracket:
            return list()
        default:
            return fail(ParseMessages.expectedValue(after: context), at: here)
        }
        advance()
        return Value(kind, range: t.range)
    }

    // duration_range = DURATION ".." DURATION ;
    private mutating func durationRange() -> Value? {
        var ends: [Value] = []
        for _ in 0..<2 {
            let t = token
            guard t.kind == .duration, let d = Lexer.durationValue(of: t, in: bytes) else {
                return fail(ParseMessages.expectedDuration(after: "'..'"), at: here)
            }
            ends.append(Value(.duration(amount: d.amount, unit: d.unit), range: t.range))
            advance()
            if ends.count == 1 { advance() }  // the `..`
        }
        return Value(.durationRange(ends[0], ends[1]), range: SourceRange(ends[0].range.start, ends[1].range.end))
    }

    // list = "[" [ value { "," value } ] "]" ;
    private mutating func list() -> Value? {
        let open = token
        guard enter(at: open.range) else { return nil }
        defer { depth -= 1 }
        advance()
        var items: [Value] = []
        if match(.rightBracket) { return Value(.list(items), range: SourceRange(open.range.start, previous.range.end)) }
        while true {
            if atStatementEnd {
                return fail(
                    ParseMessages.neverClosed("["), at: open.range,
                    notes: [DiagnosticNote(ParseMessages.endsHere("]"), range: here)]
                )
            }
            guard let v = value(after: items.isEmpty ? "'['" : "','") else { return nil }
            items.append(v)
            if match(.comma) { continue }
            guard closing(.rightBracket, opener: open) else { return nil }
            return Value(.list(items), range: SourceRange(open.range.start, previous.range.end))
        }
    }

    // field = ( IDENTIFIER | STRING ) ( comparison literal | "in" list | "matches" STRING | "exists" ) ;
    private mutating func field() -> Query? {
        let field = token.kind == .string
            ? Name(text: Lexer.stringValue(of: token, in: bytes), quoted: true, range: token.range)
            : Name(text: text(token), range: token.range)
        advance()
        let test: FieldCondition.Test
        if let op = token.kind.comparison {
            advance()
            guard let v = literal(after: op.rawValue) else { return nil }
            test = .compare(op, v)
        } else if match(.keyword(.in)) {
            guard token.kind == .leftBracket else { return fail(ParseMessages.expectedListAfterIn(), at: here) }
            guard let v = list() else { return nil }
            test = .oneOf(v)
        } else if match(.keyword(.matches)) {
            guard token.kind == .string else { return fail(ParseMessages.expectedPattern(), at: here) }
            test = .matches(Value(.string(Lexer.stringValue(of: token, in: bytes)), range: token.range))
            advance()
        } else {
            advance()  // `exists`: `primary` only calls `field` before one of these four.
            test = .exists
        }
        let range = SourceRange(field.range.start, previous.range.end)
        return Query(.field(FieldCondition(field: field, test: test, range: range)), range: range)
    }

    // literal = STRING | INTEGER | DECIMAL | "true" | "false" ;
    private mutating func literal(after op: String) -> Value? {
        switch token.kind {
        case .string, .integer, .decimal, .keyword(.true), .keyword(.false):
            return value(after: "'\(op)'")
        case .identifier:
            let word = ParseMessages.snippet(bytes, token.range)
            return fail(ParseMessages.unquotedString(after: op, word: word), at: token.range, suggestion: "\"\(word)\"")
        default:
            return fail(ParseMessages.expectedLiteral(after: op), at: here)
        }
    }

    // reference = ( "segment" | "list" ) name ;
    private mutating func reference() -> Query? {
        let start = token.range.start
        let isList = isContextual(token, .list)
        advance()
        guard let n = name(after: isList ? "'list'" : "'segment'") else { return nil }
        let range = SourceRange(start, n.range.end)
        return Query(isList ? .list(n) : .segment(n), range: range)
    }
}
