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
        line += c.sentAt.map { ", sent \(date($0))" } ?? ", not sent"
        if c.messages > 1 { line += ", \(c.messages) messages" }
        line += ")"
        if let m = s.message { line += ", message \(m) of \(c.messages)" }
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
        var events = "Events: \(grouped(s.clicks)) clicks"
        if s.footerClicks > 0 { events += " (+ \(grouped(s.footerClicks)) on footer links)" }
        if let opens = s.opens, let human = s.humanOpens {
            events = "Events: \(grouped(opens)) opens (\(grouped(human)) by a person), " + events.dropFirst(8)
        }
        return out + "  " + events + "\n"
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
        let out = "Status funnel (\(grouped(total)) recipient\(total == 1 ? "" : "s"): contacts with any event in the \(s.message == nil ? "campaign" : "message"))\n"
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
            out += " (\(CampaignStats.Heatmap.days[busiest.0]) \(pad2(busiest.1)):00, \(grouped(peak)) opens); blank: none\n"
        } else {
            out += "  no opens\n"
        }
        return out
    }

    // MARK: - JSON

    /// One JSON object with every number; rates are fractions (0.25 for 25%), null when
    /// their denominator is zero or, for open figures, on SMS.
    public static func json(_ s: CampaignStats) -> String {
        let c = s.campaign
        var o = JSONObject()
        o.add("campaign", str(c.name))
        o.add("channel", str(c.channel.rawValue))
        o.add("sent_at", c.sentAt.map { str(Timestamp.iso8601($0)) } ?? "null")
        o.add("messages", String(c.messages))
        o.add("message", s.message.map(String.init) ?? "null")
        o.add("opens_tracked", s.tracksOpens ? "true" : "false")
        o.add("note", s.tracksOpens ? "null" : str(smsNote))
        o.add("sent_inferred", s.sentInferred ? "true" : "false")
        o.add("recipients", String(s.recipients))

        var counts = JSONObject()
        counts.add("sent", String(s.sent))
        counts.add("not_sent", String(s.notSent))
        counts.add("not_sent_by_reason", "[" + s.notSentByReason.map { r in
            "{\"reason\": \(r.reason.map(str) ?? "null"), \"contacts\": \(r.contacts)}"
        }.joined(separator: ", ") + "]")
        counts.add("delivered", String(s.delivered))
        counts.add("bounced", String(s.bounced))
        counts.add("bounced_hard", String(s.bouncedHard))
        counts.add("bounced_soft", String(s.bouncedSoft))
        counts.add("opened", int(s.opened))
        counts.add("opened_human", int(s.openedHuman))
        counts.add("clicked", String(s.clicked))
        counts.add("replied", String(s.replied))
        counts.add("forwarded", String(s.forwarded))
        counts.add("unsubscribed", String(s.unsubscribed))
        counts.add("complained", String(s.complained))
        o.add("contacts", counts.text(indent: 1))

        var events = JSONObject()
        events.add("opens", int(s.opens))
        events.add("human_opens", int(s.humanOpens))
        events.add("clicks", String(s.clicks))
        events.add("footer_clicks", String(s.footerClicks))
        o.add("events", events.text(indent: 1))

        var rates = JSONObject()
        rates.add("delivery", number(s.deliveryRate))
        rates.add("bounce", number(s.bounceRate))
        rates.add("open", number(s.openRate))
        rates.add("open_human", number(s.humanOpenRate))
        rates.add("click", number(s.clickRate))
        rates.add("click_to_open", number(s.clickToOpenRate))
        rates.add("click_to_open_human", number(s.humanClickToOpenRate))
        rates.add("response", number(s.responseRate))
        rates.add("unsubscribe", number(s.unsubscribeRate))
        rates.add("spam", number(s.spamRate))
        o.add("rates", rates.text(indent: 1))

        o.add("links", "[" + s.links.map { l in
            "\n    {\"url\": \(l.url.map(str) ?? "null"), \"footer\": \(l.footer), \"clicks\": \(l.clicks), \"clickers\": \(l.clickers), \"share\": \(number(l.share))}"
        }.joined(separator: ",") + (s.links.isEmpty ? "]" : "\n  ]"))

        var funnel = JSONObject()
        funnel.add("opted_out", String(s.funnel.optedOut))
        funnel.add("clicked", String(s.funnel.clicked))
        funnel.add("opened", int(s.funnel.opened))
        funnel.add("received", String(s.funnel.received))
        funnel.add("not_received", String(s.funnel.notReceived))
        o.add("funnel", funnel.text(indent: 1))

        if let h = s.heatmap {
            var m = JSONObject()
            m.add("time_zone", str(h.timeZone))
            m.add("first_opens_only", h.firstOpensOnly ? "true" : "false")
            m.add("days", "[" + CampaignStats.Heatmap.days.map(str).joined(separator: ", ") + "]")
            m.add("total", String(h.total))
            m.add("opens", "[" + h.counts.map { "\n      [" + $0.map(String.init).joined(separator: ", ") + "]" }.joined(separator: ",") + "\n    ]")
            o.add("heatmap", m.text(indent: 1))
        } else {
            o.add("heatmap", "null")
        }
        return o.text(indent: 0) + "\n"
    }

    /// Members in insertion order, pretty-printed.
    struct JSONObject {
        var members: [(String, String)] = []
        mutating func add(_ key: String, _ value: String) { members.append((key, value)) }
        func text(indent: Int) -> String {
            let inner = String(repeating: "  ", count: indent + 1)
            let outer = String(repeating: "  ", count: indent)
            return "{\n" + members.map { "\(inner)\(str($0.0)): \($0.1)" }.joined(separator: ",\n") + "\n\(outer)}"
        }
    }

    static func str(_ s: String) -> String { ResultWriter.jsonString(s) }
    static func int(_ n: Int64?) -> String { n.map(String.init) ?? "null" }
    static func number(_ d: Double?) -> String {
        guard let d, d.isFinite else { return "null" }
        return String(format: "%.6g", d)
    }

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

    static func pad2(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }

    /// `2026-03-01 09:00 UTC`.
    static func date(_ t: Int64) -> String {
        let iso = Timestamp.iso8601(t)  // 2026-03-01T09:00:00Z
        return String(iso.prefix(10)) + " " + String(iso.dropFirst(11).prefix(5)) + " UTC"
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
