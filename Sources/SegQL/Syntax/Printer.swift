// The printer renders a syntax tree as canonical SegQL source: lower-case keywords,
// `name: value` arguments separated by `, `, double-quoted strings with only the
// escapes they need, an event without arguments printed bare, and only the parentheses
// that precedence requires. Parsing the output gives back the same tree (ranges aside);
// tests check this for every query in the corpus, the docs and the examples.
//
// Two spots need care to keep that promise:
// - A bare query whose first word is a statement word (an alias named `count`) would
//   reparse as that statement, so that one name is wrapped in parentheses: `(count)`.
// - A name `segment` or `list` followed by a name would reparse as a reference
//   (`show list limit 3`), so such a name is always printed `(list)`.

/// Renders syntax trees as canonical SegQL source.
public enum Printer {
    /// The canonical source of a query.
    public static func source(of query: Query) -> String {
        var out = ""
        write(query, minimum: .or, leading: false, into: &out)
        return out
    }

    /// ` as of "DATE"`, or nothing.
    private static func asOf(_ s: Statement) -> String {
        s.asOf.map { " as of " + quoted($0.text) } ?? ""
    }

    /// The canonical source of a statement, without a terminating `;`.
    public static func source(of statement: Statement) -> String {
        switch statement.kind {
        case .query(let q):
            var out = ""
            write(q, minimum: .or, leading: true, into: &out)
            return out
        case .count(let q):
            return "count " + source(of: q) + asOf(statement)
        case .show(let q, let limit):
            return "show " + source(of: q) + asOf(statement) + columns(statement.columns) + (limit.map { " limit \($0)" } ?? "")
        case .explain(let q, let analyze):
            return (analyze ? "explain analyze " : "explain ") + source(of: q)
        case .let(let n, let q):
            return "let " + name(n, avoidingEvents: true) + " = " + source(of: q)
        case .saveSegment(let n, let q, let orReplace):
            return "save " + (orReplace ? "or replace " : "") + "segment " + name(n) + " = " + source(of: q)
        case .saveList(let n, let q, let orReplace, let including):
            return "save " + (orReplace ? "or replace " : "") + "list " + name(n) + " = " + source(of: q)
                + (including ? " including suppressed" : "")
        case .duplicate(let campaign, let audience, let including):
            let target: String
            switch audience {
            case .named(let n): target = name(n)
            case .labeled(let q, let label): target = "(" + source(of: q) + ") as " + name(label)
            // `for segment including` would read `including` as the statement's word.
            case .segment(let n): target = "segment " + (n.text.lowercased() == "including" ? quoted(n.text) : name(n))
            case .list(let n): target = "list " + (n.text.lowercased() == "including" ? quoted(n.text) : name(n))
            }
            return "duplicate campaign " + name(campaign) + " for " + target + (including ? " including suppressed" : "")
        case .export(let q, let path, let orReplace, let including):
            return "export " + (orReplace ? "or replace " : "") + source(of: q) + asOf(statement) + columns(statement.columns)
                + " to " + quoted(path.text) + (including ? " including suppressed" : "")
        case .stats(let campaign, let message):
            return "stats " + name(campaign) + (message.map { " message \($0)" } ?? "")
        case .contact(.id(let n, _)):
            return "contact \(n)"
        case .contact(.text(let s, _)):
            return "contact " + quoted(s)
        case .dropSegment(let n):
            return "drop segment " + name(n)
        case .dropList(let n):
            return "drop list " + name(n)
        case .diff(let q, .moments(let from, let to)):
            return "diff " + source(of: q) + " from " + quoted(from.text) + " to " + quoted(to.text)
        case .diff(let q, .query(let other)):
            return "diff " + source(of: q) + " to " + source(of: other)
        case .diff(let q, .recorded(let from, let to)):
            return "diff " + source(of: q) + " from " + quoted(from.text) + " to " + quoted(to.text) + " as recorded"
        case .history(let n):
            return "history segment " + name(n)
        case .useCampaign(let n):
            guard let n else { return "use campaign none" }
            return "use campaign " + (Vocabulary.lookup(n.text)?.keyword == Keyword.none ? quoted(n.text) : name(n))
        case .why(let contact, let q):
            return "why " + source(of: contact) + " in " + source(of: q)
        case .overlap(let qs):
            return "overlap " + qs.map(operandSource).joined(separator: ", ")
        case .reach(let q):
            return "reach " + source(of: q)
        }
    }

    /// The canonical source of a query where only a `not` or a primary fits (an
    /// `overlap` audience): in parentheses if it has `and` or `or` at its top.
    public static func operandSource(of query: Query) -> String {
        var out = ""
        write(query, minimum: .not, leading: false, into: &out)
        return out
    }

    /// The canonical source of a contact reference: a quoted string or an id.
    public static func source(of contact: ContactReference) -> String {
        switch contact.key {
        case .email(let s), .phone(let s): quoted(s)
        case .id(let n): String(n)
        }
    }

    /// ` with columns a, b`, or "" for the usual columns.
    private static func columns(_ names: [Name]?) -> String {
        guard let names else { return "" }
        return " with columns " + names.map { name($0) }.joined(separator: ", ")
    }

    /// The canonical source of statements, each followed by `;` and a line break.
    public static func source(of statements: [Statement]) -> String {
        statements.map { source(of: $0) + ";\n" }.joined()
    }

    /// The canonical source of a literal value.
    public static func source(of value: Value) -> String {
        switch value.kind {
        case .string(let s): quoted(s)
        case .integer(let n): String(n)
        case .decimal(let d): decimal(d)
        case .duration(let amount, let unit): "\(amount)\(unit.rawValue)"
        case .durationRange(let from, let to): source(of: from) + ".." + source(of: to)
        case .boolean(let b): b ? "true" : "false"
        case .word(let w): w
        case .list(let items): "[" + items.map { source(of: $0) }.joined(separator: ", ") + "]"
        }
    }

    // MARK: Queries

    /// Binding strength, loosest first.
    enum Precedence: Int, Comparable {
        case or, and, not, primary
        static func < (a: Precedence, b: Precedence) -> Bool { a.rawValue < b.rawValue }
    }

    static func precedence(_ q: Query) -> Precedence {
        switch q.kind {
        case .or: .or
        case .and: .and
        case .not: .not
        default: .primary
        }
    }

    /// Writes `q`, in parentheses if it binds more loosely than `minimum`. `leading`
    /// says that `q` begins a bare-query statement.
    private static func write(_ q: Query, minimum: Precedence, leading: Bool, into out: inout String) {
        if precedence(q) < minimum {
            out += "("
            write(q, minimum: .or, leading: false, into: &out)
            out += ")"
            return
        }
        switch q.kind {
        case .or(let a, let b):
            // Left-associative: the left operand may be another `or`, the right may not.
            write(a, minimum: .or, leading: leading, into: &out)
            out += " or "
            write(b, minimum: .and, leading: false, into: &out)
        case .and(let a, let b):
            write(a, minimum: .and, leading: leading, into: &out)
            out += " and "
            write(b, minimum: .not, leading: false, into: &out)
        case .not(let a):
            out += "not "
            write(a, minimum: .not, leading: false, into: &out)
        case .event(let e):
            out += e.verb.text
            if !e.arguments.isEmpty { out += arguments(e.arguments) }
        case .count(let c):
            out += c.noun.text
            if !c.arguments.isEmpty { out += arguments(c.arguments) }
            out += " \(c.op.rawValue) \(c.count)"
        case .field(let f):
            out += f.field.quoted ? quoted(f.field.text) : f.field.text
            switch f.test {
            case .compare(let op, let v): out += " \(op.rawValue) " + source(of: v)
            case .oneOf(let v): out += " in " + source(of: v)
            case .matches(let v): out += " matches " + source(of: v)
            case .exists: out += " exists"
            }
        case .name(let n):
            let lower = n.text.lowercased()
            let isStatementWord = Keyword.statementStarters.contains { $0.spelling == lower }
            if lower == "segment" || lower == "list" || (leading && isStatementWord) {
                out += "(" + n.text + ")"
            } else {
                out += n.text
            }
        case .segment(let n):
            out += "segment " + name(n)
        case .list(let n):
            out += "list " + name(n)
        case .audience(let a):
            out += a.name.text + arguments(a.arguments)
        }
    }

    private static func arguments(_ args: [Argument]) -> String {
        "(" + args.map { "\($0.name.rawValue): " + source(of: $0.value) }.joined(separator: ", ") + ")"
    }

    // MARK: Literals

    /// A name as an identifier when it was one and still reads as one, else as a string.
    static func name(_ n: Name, avoidingEvents: Bool = false) -> String {
        guard !n.quoted, isPlainIdentifier(n.text) else { return quoted(n.text) }
        if avoidingEvents, let w = Vocabulary.lookup(n.text),
           w.verb != nil || w.noun != nil {
            return quoted(n.text)
        }
        return n.text
    }

    /// Whether `text` lexes as exactly one identifier (not a reserved keyword).
    static func isPlainIdentifier(_ text: String) -> Bool {
        var lexer = Lexer(bytes: Array(text.utf8))
        let t = lexer.next()
        return t.kind == .identifier && t.range == SourceRange(0, text.utf8.count)
    }

    /// `s` as a double-quoted SegQL string with the fewest escapes.
    public static func quoted(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20 || scalar.value == 0x7F:
                out += "\\u{" + String(scalar.value, radix: 16) + "}"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }

    /// A decimal in plain notation (`0.00001`, never `1e-05`), exact enough to reparse
    /// to the same `Double`, and always with a `.` so that it reads as a decimal.
    static func decimal(_ d: Double) -> String {
        let shortest = d.description
        guard let e = shortest.firstIndex(where: { $0 == "e" || $0 == "E" }),
              let exponent = Int(shortest[shortest.index(after: e)...]) else {
            return shortest.contains(".") ? shortest : shortest + ".0"
        }
        var mantissa = String(shortest[..<e])
        let negative = mantissa.hasPrefix("-")
        if negative { mantissa.removeFirst() }
        let point = mantissa.firstIndex(of: ".").map { mantissa.distance(from: mantissa.startIndex, to: $0) } ?? mantissa.count
        let digits = mantissa.filter { $0 != "." }
        let position = point + exponent
        var plain: String
        if position <= 0 {
            plain = "0." + String(repeating: "0", count: -position) + digits
        } else if position >= digits.count {
            plain = digits + String(repeating: "0", count: position - digits.count) + ".0"
        } else {
            plain = String(digits.prefix(position)) + "." + String(digits.dropFirst(position))
        }
        return (negative ? "-" : "") + plain
    }
}
