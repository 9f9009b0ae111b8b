import Foundation
import SegQL
import Testing
@testable import SegStore

/// Footer links recognised on import (docs/import.md, "Footer links"), and the per-link
/// override, on both backends.
@Suite struct FooterLinkTests {
    @Test(arguments: [
        // SendGrid subscription management and the legacy unsubscribe
        ("https://u1234567.ct.sendgrid.net/asm/unsubscribe/?user_id=1&data=x", true),
        ("https://u1234567.ct.sendgrid.net/asm/?user_id=1&data=x", true),
        ("http://url1234.example.com/wf/unsubscribe?upn=abc", true),
        // Mailgun's %unsubscribe_url% on the tracking host
        ("https://email.mg.example.com/u/H4sIAAAAAAAA", true),
        ("https://example.com/u/alice", false),
        // Amazon SES subscription management
        ("https://a.us-east-1.amazonses.com/subscription/manage?t=1", true),
        // List-Unsubscribe targets
        ("mailto:unsubscribe@example.com?subject=unsubscribe", true),
        ("https://example.com/list-unsubscribe?id=7", true),
        // opt-out, preference and privacy paths
        ("https://shop.example.com/unsubscribe?c=spring-sale", true),
        ("https://shop.example.com/Email-Preferences", true),
        ("https://shop.example.com/account/preferences?u=1", true),
        ("https://shop.example.com/privacy", true),
        ("https://shop.example.com/legal/privacy-policy.html", true),
        ("https://shop.example.com/opt-out", true),
        // content
        ("https://shop.example.com/pricing?utm_source=mail", false),
        ("https://shop.example.com/blog/privacy-tips", false),
        ("http://www.sendgrid.com/", false),
        ("https://shop.example.com/", false),
    ])
    func rule(url: String, footer: Bool) {
        #expect(FooterLinks.isFooter(url: url) == footer, "\(url)")
    }

    @Test func recognisedOnImportAndOverriddenPerLink() throws {
        let t = try TestStore(backendIndependent: true)
        func click(_ who: String, _ url: String, _ extra: String = "") -> String {
            #"{"record":"event","kind":"clicked","contact":"\#(who)@x.com","campaign":"C","url":"\#(url)","ts":1000\#(extra)}"#
        }
        let s = try t.importText([
            click("a", "https://shop.example.com/pricing"),
            click("b", "https://u1.ct.sendgrid.net/asm/unsubscribe/?user_id=1"),
            click("c", "https://shop.example.com/privacy"),
            // Declared on the click: this preferences page is content here.
            click("d", "https://shop.example.com/preferences", #","footer":false"#),
            // Declared on a link record: a content URL that is a footer link in this campaign.
            #"{"record":"link","campaign":"C","url":"https://shop.example.com/legal","footer":true}"#,
            click("e", "https://shop.example.com/legal"),
        ].joined(separator: "\n") + "\n")
        #expect(s.committed)
        #expect(s.footerLinksRecognised == 2)
        let links = try t.rows("SELECT url, footer FROM links ORDER BY id")
        #expect(links == [
            [.text("https://shop.example.com/pricing"), .integer(0)],
            [.text("https://u1.ct.sendgrid.net/asm/unsubscribe/?user_id=1"), .integer(1)],
            [.text("https://shop.example.com/privacy"), .integer(1)],
            [.text("https://shop.example.com/preferences"), .integer(0)],
            [.text("https://shop.example.com/legal"), .integer(1)],
        ])
        // The rollup counts footer clicks apart: a and d clicked content.
        #expect(try t.int("SELECT count(*) FROM activity WHERE clicks > 0") == 2)
        #expect(try t.int("SELECT count(*) FROM activity WHERE footer_clicks > 0") == 3)
        // A later declaration changes a recognised link, and its clicks are counted again.
        let later = try t.importText(#"{"record":"link","campaign":"C","url":"https://shop.example.com/privacy","footer":false}"# + "\n")
        #expect(later.committed)
        #expect(try t.int("SELECT count(*) FROM activity WHERE clicks > 0") == 3)
        // A link record without `footer` leaves a stored link's flag alone.
        _ = try t.importText(#"{"record":"link","campaign":"C","url":"https://u1.ct.sendgrid.net/asm/unsubscribe/?user_id=1"}"# + "\n")
        #expect(try t.int("SELECT footer FROM links WHERE url LIKE '%sendgrid%'") == 1)
        // `footer` only on a click with a url.
        let bad = try t.importText(#"{"record":"event","kind":"opened","contact":"a@x.com","campaign":"C","ts":1000,"footer":true}"# + "\n")
        #expect(!bad.committed)
    }

    @Test func csvFooterColumn() throws {
        let t = try TestStore(backendIndependent: true)
        let csv = """
            kind,contact,campaign,ts,url,footer
            clicked,a@x.com,C,1000,https://shop.example.com/privacy,no
            clicked,b@x.com,C,1000,https://shop.example.com/members/area,yes
            clicked,c@x.com,C,1000,https://shop.example.com/unsubscribe,

            """
        let s = try Importer(store: t.store, options: ImportOptions(format: .csv, now: 1_000)).run([.text(csv, name: "clicks.csv")])
        #expect(s.committed, "\(s.badLines)")
        #expect(try t.rows("SELECT path, footer FROM links ORDER BY id") == [
            [.text("/privacy"), .integer(0)], [.text("/members/area"), .integer(1)], [.text("/unsubscribe"), .integer(1)],
        ])
    }
}
