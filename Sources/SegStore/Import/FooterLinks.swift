/// Whether a clicked URL is a footer link — unsubscribe, subscription preferences,
/// privacy policy — whose clicks are not clicks on the message's content.
///
/// The rule (docs/import.md, "Footer links"), applied to a link the import creates
/// without a declared `footer`; a declared `footer` (a link record, or `footer` on a
/// click event or CSV row) always wins:
///
/// - the platforms' own unsubscribe and preference pages: SendGrid's subscription
///   management (`/asm/…`, `/wf/unsubscribe…`), Mailgun's unsubscribe links (`/u/…` on an
///   `email.` tracking host, or any Mailgun host), Amazon SES's subscription management
///   (a host under `amazonses.com` or `awstrack.me` whose path names unsubscribe);
/// - `mailto:` links and URLs that name `list-unsubscribe` (the List-Unsubscribe header's
///   targets);
/// - any URL with a path segment (case-insensitive, ignoring `.html`-like suffixes) that
///   is one of the opt-out or policy words: `unsubscribe`, `unsub`, `optout`, `opt-out`,
///   `opt_out`, `preferences`, `email-preferences`, `manage-preferences`,
///   `preference-center`, `subscription`, `subscriptions`, `manage-subscription`,
///   `privacy`, `privacy-policy`, `privacypolicy` — or that starts with `unsubscribe`.
public enum FooterLinks {
    /// The path segments that make a link a footer link.
    public static let words: Set<String> = [
        "unsubscribe", "unsub", "optout", "opt-out", "opt_out", "preferences", "email-preferences",
        "manage-preferences", "preference-center", "subscription", "subscriptions", "manage-subscription",
        "privacy", "privacy-policy", "privacypolicy", "list-unsubscribe",
    ]

    /// Whether `url` is a footer link by the rule above.
    public static func isFooter(url: String) -> Bool {
        let lower = url.lowercased()
        if lower.hasPrefix("mailto:") || lower.contains("list-unsubscribe") { return true }
        let host = hostOf(lower)
        let path = linkPath(ofURL: lower)
        let segments = path.split(separator: "/").map { segment -> String in
            // `unsubscribe.html`, `privacy.php` name the same page.
            if let dot = segment.lastIndex(of: ".") { return String(segment[..<dot]) }
            return String(segment)
        }
        if segments.contains(where: { words.contains($0) || $0.hasPrefix("unsubscribe") }) { return true }
        // SendGrid: subscription management (ASM) and the legacy unsubscribe.
        if segments.first == "asm" || (segments.first == "wf" && segments.dropFirst().first?.hasPrefix("unsubscribe") == true) {
            return true
        }
        // Mailgun: %unsubscribe_url% is /u/… on the tracking host.
        if segments.first == "u", host.hasPrefix("email.") || host.contains("mailgun") { return true }
        // Amazon SES: subscription management pages.
        if host.hasSuffix("amazonses.com") || host.hasSuffix("awstrack.me") {
            return lower.contains("unsubscribe") || lower.contains("subscription")
        }
        return false
    }

    /// The host of a URL (lower-cased by the caller); empty without one.
    static func hostOf(_ url: String) -> String {
        let b = Array(url.utf8)
        var i = 0
        while i + 2 < b.count, !(b[i] == UInt8(ascii: ":") && b[i + 1] == UInt8(ascii: "/") && b[i + 2] == UInt8(ascii: "/")) {
            if b[i] == UInt8(ascii: "/") || b[i] == UInt8(ascii: "?") || b[i] == UInt8(ascii: "#") { return "" }
            i += 1
        }
        guard i + 2 < b.count else { return "" }
        var j = i + 3
        while j < b.count, b[j] != UInt8(ascii: "/"), b[j] != UInt8(ascii: "?"), b[j] != UInt8(ascii: "#") { j += 1 }
        return String(decoding: b[(i + 3)..<j], as: UTF8.self)
    }
}
