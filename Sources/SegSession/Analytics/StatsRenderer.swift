// The two faces of `CampaignStats`: a terminal report (plain text; the shaded blocks
// and bars need no colour) and one JSON object with every number. Both only format —
// every figure is computed in CampaignStats.swift.

import Foundation
import SegQL

/// Renders `CampaignStats` as text or JSON.
public enum StatsRenderer {
    /// Why an SMS report has no open figures (shown in the text, and in JSON as `note`).
    public static let smsNote = "SMS has no open tracking: open figures, the opened bucket and the opens heatmap do not apply; clicks are tracked"

    // MARK: - Text

    /// The terminal report.
    public static func text(_ s: CampaignStats) -> String {
        var out = header(s)
        if let p = s.plannedAudience {
            out += "draft: planned audience \(counted(p.contacts, "contact")), frozen as list '\(p.list)'"
                + (s.sent == 0 ? "; none sent yet\n" : "\n")
        }
        if s.sentInferred {
            out += "note: no 'sent' events in the store for this campaign; sent = contacts with any event but 'dropped'\n"
        }
        if !s.tracksOpens { out += "note: \(smsNote)\n" }
        out += "\n" + counts(s) + "\n" + rates(s) + "\n" + links(s) + "\n" + funnel(s)
        if let h = s.heatmap { out += "\n" + heatmap(h) }
        return out
    }

    static func header(_ s: CampaignStats) -> String {
        let c = s.campaign
        var line = "Campaign \"\(c.name)\" (\(c.channel.rawValue)"
        line += c.sentAt.map { ", sent \(date($0, in: s.timeZone))" } ?? ", not sent"
        if c.messages > 1 { line += ", \(c.messages) messages" }
        line += ")"
        if let m = s.message {
            line += ", message \(m) of \(c.messages)" + (s.messageSentAt.map { ", sent \(date($0, in: s.timeZone))" } ?? "")
        }
        return line + "\n"
    }

    static func counts(_ s: CampaignStats) -> String {
        var rows: [(String, String, String)] = []
        func add(_ label: String, _ n: Int64, _ note: String = "") { rows.append((label, grouped(n), note)) }
        add("sent", s.sent)
        add("not sent", s.notSent)
        for r in s.notSentByReason { add("  " + (r.reason ?? "(no reason given)"), r.contacts) }
        add("delivered", s.delivered)
        add("bounced", s.bounced)
        add("  hard", s.bouncedHard)
        add("  soft", s.bouncedSoft)
        if let opened = s.opened, let human = s.openedHuman {
            add("opened", opened, "by a person: \(grouped(human)) (machine opens left out)")
        } else {
            rows.append(("opened", "—", "SMS: no open tracking"))
        }
        add("clicked", s.clicked, s.footerClicks > 0 ? "footer-link clicks left out" : "")
        add("replied", s.replied)
        add("forwarded", s.forwarded)
        add("unsubscribed", s.unsubscribed)
        add("complained", s.complained)
        var out = "Contacts (unique)\n"
        out += table(rows.map { [$0.0, $0.1, $0.2] }, rightAligned: [1], indent: "  ")
        var events = counted(s.clicks, "click")
        if s.footerClicks > 0 { events += " (+ \(grouped(s.footerClicks)) on footer links)" }
        if let opens = s.opens, let human = s.humanOpens {
            events = "\(counted(opens, "open")) (\(grouped(human)) by a person), " + events
        }
        return out + "  Events: " + events + "\n"
    }

    static func rates(_ s: CampaignStats) -> String {
        var rows: [[String]] = []
        func add(_ label: String, _ r: Double?, _ formula: String, _ extra: String = "") {
            rows.append([label, percent(r), formula, extra])
        }
        add("delivery", s.deliveryRate, "delivered / sent")
        add("bounce", s.bounceRate, "bounced / sent")
        if s.tracksOpens {
            add("open", s.openRate, "opened / delivered", "by a person: " + percent(s.humanOpenRate))
        } else {
            rows.append(["open", "—", "SMS: no open tracking", ""])
        }
        add("click", s.clickRate, "clicked / delivered")
        if s.tracksOpens {
            add("click-to-open", s.clickToOpenRate, "clicked / opened", "by a person: " + percent(s.humanClickToOpenRate))
        } else {
            rows.append(["click-to-open", "—", "SMS: no open tracking", ""])
        }
        add("response", s.responseRate, "replied / delivered")
        add("unsubscribe", s.unsubscribeRate, "unsubscribed / delivered")
        add("spam", s.spamRate, "complained / delivered")
        return "Rates\n" + table(rows, rightAligned: [1], indent: "  ")
    }

    static func links(_ s: CampaignStats) -> String {
        guard !s.links.isEmpty else { return "Links: no clicks\n" }
        var rows: [[String]] = [["clicks", "clickers", "share", "url"]]
        for l in s.links {
            let url = (l.url ?? "(no URL recorded)") + (l.footer ? "  [footer: not counted as a click]" : "")
            rows.append([grouped(l.clicks), grouped(l.clickers), l.footer ? "—" : percent(l.share), url])
        }
        return "Links (share of clicks on non-footer links)\n" + table(rows, rightAligned: [0, 1, 2], indent: "  ")
    }

    static func funnel(_ s: CampaignStats) -> String {
        let total = s.recipients
        let out = "Status funnel (\(counted(total, "recipient")): contacts with any event in the \(s.message == nil ? "campaign" : "message"))\n"
        var rows: [[String]] = []
        for b in s.funnel.buckets {
            let share = CampaignStats.ratio(b.count, total)
            rows.append([b.name, grouped(b.count), percent(share), bar(share ?? 0, width: 40)])
        }
        return out + table(rows, rightAligned: [1, 2], indent: "  ")
    }

    /// A horizontal bar of `fraction` × `width` cells, in eighths.
    static func bar(_ fraction: Double, width: Int) -> String {
        let eighths = Int((max(0, min(1, fraction)) * Double(width * 8)).rounded())
        let partial = ["", "▏", "▎", "▍", "▌", "▋", "▊", "▉"]
        return String(repeating: "█", count: eighths / 8) + partial[eighths % 8]
    }

    /// The shade of a heatmap cell: blank for none, then quarters of the busiest hour.
    static func shade(_ n: Int64, peak: Int64) -> String {
        guard n > 0, peak > 0 else { return "  " }
        let q = (n * 4 + peak - 1) / peak  // 1…4: the quarter of the peak n falls in
        return ["░░", "▒▒", "▓▓", "██"][Int(min(max(q, 1), 4)) - 1]
    }

    static func heatmap(_ h: CampaignStats.Heatmap) -> String {
        let what = h.firstOpensOnly ? "first opens per contact" : "all opens"
        var out = "Opens by day and hour (\(h.timeZone), \(what): \(grouped(h.total)))\n"
        out += "       " + stride(from: 0, to: 24, by: 2).map { pad2($0) + "  " }.joined() + "  total\n"
        let peak = h.peak
        for (d, name) in CampaignStats.Heatmap.days.enumerated() {
            let cells = h.counts[d].map { shade($0, peak: peak) }.joined()
            out += "  \(name)  \(cells)  \(grouped(h.counts[d].reduce(0, +)))\n"
        }
        if peak > 0 {
            let cell = (0..<168).first { h.counts[$0 / 24][$0 % 24] == peak } ?? 0
            let busiest = (cell / 24, cell % 24)
            out += "  legend: ░ up to 25%  ▒ up to 50%  ▓ up to 75%  █ over 75% of the busiest hour"
            out += " (\(CampaignStats.Heatmap.days[busiest.0]) \(pad2(busiest.1)):00, \(counted(peak, "open"))); blank: none\n"
        } else {
            out += "  no opens\n"
        }
        return out
    }

    // MARK: - JSON, CSV and TSV

    /// A figure in the shape the JSON has: the one tree that JSON, JSON lines and the
    /// flattened CSV/TSV rows are all written from.
    public indirect enum Figure: Equatable, Sendable {
        case null
        case bool(Bool)
        case integer(Int64)
        /// A rate or share: written with six significant digits.
        case number(Double)
        case text(String)
        case object([Member])
        case array([Figure])

        /// A named member of an object (a struct: tuples cannot be `Equatable`).
        public struct Member: Equatable, Sendable {
            public var name: String
            public var value: Figure
        }

        static func int(_ n: Int64?) -> Figure { n.map(Figure.integer) ?? .null }
        static func rate(_ d: Double?) -> Figure { d.flatMap { $0.isFinite ? Figure.number($0) : nil } ?? .null }
        static func string(_ s: String?) -> Figure { s.map(Figure.text) ?? .null }
    }

    /// Every number of `s` as one object; rates are fractions (0.25 for 25%), null when
    /// their denominator is zero or, for open figures, on SMS.
    public static func figures(_ s: CampaignStats) -> Figure {
        func object(_ members: [(String, Figure)]) -> Figure { .object(members.map { Figure.Member(name: $0.0, value: $0.1) }) }
        let c = s.campaign
        let contacts = object([
            ("sent", .integer(s.sent)), ("not_sent", .integer(s.notSent)),
            ("not_sent_by_reason", .array(s.notSentByReason.map { object([("reason", .string($0.reason)), ("contacts", .integer($0.contacts))]) })),
            ("delivered", .integer(s.delivered)), ("bounced", .integer(s.bounced)),
            ("bounced_hard", .integer(s.bouncedHard)), ("bounced_soft", .integer(s.bouncedSoft)),
            ("opened", .int(s.opened)), ("opened_human", .int(s.openedHuman)), ("clicked", .integer(s.clicked)),
            ("replied", .integer(s.replied)), ("forwarded", .integer(s.forwarded)),
            ("unsubscribed", .integer(s.unsubscribed)), ("complained", .integer(s.complained)),
        ])
        let events = object([
            ("opens", .int(s.opens)), ("human_opens", .int(s.humanOpens)),
            ("clicks", .integer(s.clicks)), ("footer_clicks", .integer(s.footerClicks)),
        ])
        let rates = object([
            ("delivery", .rate(s.deliveryRate)), ("bounce", .rate(s.bounceRate)), ("open", .rate(s.openRate)),
            ("open_human", .rate(s.humanOpenRate)), ("click", .rate(s.clickRate)),
            ("click_to_open", .rate(s.clickToOpenRate)), ("click_to_open_human", .rate(s.humanClickToOpenRate)),
            ("response", .rate(s.responseRate)), ("unsubscribe", .rate(s.unsubscribeRate)), ("spam", .rate(s.spamRate)),
        ])
        let links = Figure.array(s.links.map { l in
            object([("url", .string(l.url)), ("footer", .bool(l.footer)), ("clicks", .integer(l.clicks)),
                    ("clickers", .integer(l.clickers)), ("share", .rate(l.share))])
        })
        let funnel = object([
            ("opted_out", .integer(s.funnel.optedOut)), ("clicked", .integer(s.funnel.clicked)),
            ("opened", .int(s.funnel.opened)), ("received", .integer(s.funnel.received)),
            ("not_received", .integer(s.funnel.notReceived)),
        ])
        let heatmap = s.heatmap.map { h in
            object([
                ("time_zone", .text(h.timeZone)), ("first_opens_only", .bool(h.firstOpensOnly)),
                ("days", .array(CampaignStats.Heatmap.days.map(Figure.text))), ("total", .integer(h.total)),
                ("opens", .array(h.counts.map { .array($0.map(Figure.integer)) })),
            ])
        } ?? .null
        return object([
            ("campaign", .text(c.name)), ("channel", .text(c.channel.rawValue)),
            ("sent_at", .string(c.sentAt.map(Timestamp.iso8601))), ("messages", .integer(c.messages)),
            ("message", .int(s.message)), ("message_sent_at", .string(s.messageSentAt.map(Timestamp.iso8601))),
            ("opens_tracked", .bool(s.tracksOpens)),
            ("note", s.tracksOpens ? .null : .text(smsNote)), ("sent_inferred", .bool(s.sentInferred)),
            ("recipients", .integer(s.recipients)),
            ("planned_recipients", .int(s.plannedAudience?.contacts)), ("audience_list", .string(s.plannedAudience?.list)),
            ("contacts", contacts), ("events", events), ("rates", rates), ("links", links),
            ("funnel", funnel), ("heatmap", heatmap),
        ])
    }

    /// One JSON object with every number (`figures`), pretty-printed: an object's members
    /// one per line, an array of objects or arrays one element per line.
    public static func json(_ s: CampaignStats) -> String {
        pretty(figures(s), indent: 0) + "\n"
    }

    /// The same object on one line (`--format jsonl`).
    public static func jsonLine(_ s: CampaignStats) -> String {
        compact(figures(s)) + "\n"
    }

    /// The figures flattened to (name, value) rows for CSV and TSV: a member's name is
    /// its path in the JSON joined by dots, array elements by their index from 0
    /// (`contacts.sent`, `links.0.url`, `heatmap.opens.3.15`); an empty array has no rows.
    public static func rows(_ s: CampaignStats) -> [(name: String, value: SQLValue)] {
        var out: [(name: String, value: SQLValue)] = []
        func walk(_ f: Figure, _ path: String) {
            let under = path.isEmpty ? "" : path + "."
            switch f {
            case .null: out.append((path, .null))
            case .bool(let b): out.append((path, .text(b ? "true" : "false")))
            case .integer(let n): out.append((path, .integer(n)))
            case .number(let d): out.append((path, .text(number(d))))
            case .text(let t): out.append((path, .text(t)))
            case .object(let members): for m in members { walk(m.value, under + m.name) }
            case .array(let elements): for (i, e) in elements.enumerated() { walk(e, under + String(i)) }
            }
        }
        walk(figures(s), "")
        return out
    }

    static func pretty(_ f: Figure, indent: Int) -> String {
        let inner = String(repeating: "  ", count: indent + 1)
        let outer = String(repeating: "  ", count: indent)
        switch f {
        case .object(let members) where !members.isEmpty:
            return "{\n" + members.map { "\(inner)\(str($0.name)): \(pretty($0.value, indent: indent + 1))" }
                .joined(separator: ",\n") + "\n\(outer)}"
        case .array(let elements) where elements.contains(where: \.isContainer):
            return "[\n" + elements.map { inner + compact($0) }.joined(separator: ",\n") + "\n\(outer)]"
        default:
            return compact(f)
        }
    }

    static func compact(_ f: Figure) -> String {
        switch f {
        case .null: "null"
        case .bool(let b): b ? "true" : "false"
        case .integer(let n): String(n)
        case .number(let d): number(d)
        case .text(let t): str(t)
        case .object(let members): "{" + members.map { "\(str($0.name)): \(compact($0.value))" }.joined(separator: ", ") + "}"
        case .array(let elements): "[" + elements.map(compact).joined(separator: ", ") + "]"
        }
    }

    static func str(_ s: String) -> String { ResultWriter.jsonString(s) }
    static func number(_ d: Double) -> String { String(format: "%.6g", d) }

    // MARK: - Formatting

    /// `45.5%`, or `—` for no value.
    static func percent(_ r: Double?) -> String {
        guard let r else { return "—" }
        return String(format: "%.1f%%", r * 100)
    }

    /// `1,234,567`.
    static func grouped(_ n: Int64) -> String {
        let s = String(n.magnitude)
        var out = ""
        for (i, ch) in s.enumerated() {
            if i > 0 && (s.count - i) % 3 == 0 { out.append(",") }
            out.append(ch)
        }
        return n < 0 ? "-" + out : out
    }

    /// `1 open`, `2 opens`, `1,234 opens`: the noun singular for one.
    static func counted(_ n: Int64, _ noun: String) -> String {
        grouped(n) + " " + noun + (n == 1 ? "" : "s")
    }

    static func pad2(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }

    /// `2026-03-01 09:00 UTC`, `2026-03-01 10:00 Europe/Stockholm`: the local time in
    /// `zone` (an IANA name; UTC if Foundation does not know it) and the zone's name.
    static func date(_ t: Int64, in zone: String) -> String {
        String(TimeZone.named(zone).wallClock(t).prefix(16)) + " " + zone
    }

    /// Columns padded to their widest cell; trailing blanks trimmed.
    static func table(_ rows: [[String]], rightAligned: Set<Int>, indent: String) -> String {
        let columns = rows.map(\.count).max() ?? 0
        var widths = Array(repeating: 0, count: columns)
        for r in rows { for (i, c) in r.enumerated() { widths[i] = max(widths[i], c.unicodeScalars.count) } }
        var out = ""
        for r in rows {
            var line = indent
            for (i, c) in r.enumerated() {
                let pad = String(repeating: " ", count: widths[i] - c.unicodeScalars.count)
                line += (rightAligned.contains(i) ? pad + c : c + pad) + (i == r.count - 1 ? "" : "  ")
            }
            while line.hasSuffix(" ") { line.removeLast() }
            out += line + "\n"
        }
        return out
    }
}

extension StatsRenderer.Figure {
    /// An object or an array.
    var isContainer: Bool {
        switch self {
        case .object, .array: true
        default: false
        }
    }
}
