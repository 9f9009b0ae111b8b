// Statements that ask questions of the store about audiences rather than list them:
// `why` (one contact's path through a query), `overlap` (how audiences intersect) and
// `reach` (how many of an audience can be sent to). Kept apart from Parser.swift; they use
// its helpers and its query rules.

extension ParserState {
    // why_statement = "why" ( STRING | INTEGER ) "in" query ;
    mutating func whyStatement() -> Statement? {
        let start = token.range.start
        advance()
        let key: ContactReference.Key
        if token.kind == .string {
            let s = Lexer.stringValue(of: token, in: bytes)
            key = s.contains("@") ? .email(s) : .phone(s)
        } else if let n = Lexer.integerValue(of: token, in: bytes), n >= 1 {
            key = .id(n)
        } else {
            return fail(ParseMessages.expectedContact(), at: here)
        }
        let contact = ContactReference(key, range: token.range)
        advance()
        guard match(.keyword(.in)) else {
            return fail(ParseMessages.expectedKeyword("in", after: "the contact"), at: here)
        }
        guard let q = query(after: "'in'") else { return nil }
        return finish(.why(contact, q), from: start, continuations: [])
    }
}

extension ParserState {
    /// How many audiences one `overlap` compares at most.
    static let maximumOverlapAudiences = 16

    // overlap_statement = "overlap" not_query "," not_query { "," not_query } ;
    mutating func overlapStatement() -> Statement? {
        let start = token.range.start
        let keyword = token.range
        advance()
        var operands: [Query] = []
        repeat {
            guard let q = notQuery(after: operands.isEmpty ? "'overlap'" : "','") else { return nil }
            operands.append(q)
            if token.kind == .keyword(.and) || token.kind == .keyword(.or) {
                return fail(ParseMessages.overlapOperandInParentheses(), at: token.range)
            }
        } while match(.comma)
        if operands.count < 2 {
            if atStatementEnd { return fail(ParseMessages.overlapNeedsTwo(), at: here) }
            return unexpectedAfterQuery(continuations: [","], allowSemicolon: true)
        }
        if operands.count > Self.maximumOverlapAudiences {
            return fail(ParseMessages.overlapTooMany(Self.maximumOverlapAudiences), at: keyword)
        }
        return finish(.overlap(operands), from: start, continuations: [","])
    }
}

extension ParserState {
    // reach_statement = "reach" query ;
    mutating func reachStatement() -> Statement? {
        let start = token.range.start
        advance()
        guard let q = query(after: "'reach'") else { return nil }
        return finish(.reach(q), from: start, continuations: [])
    }
}
