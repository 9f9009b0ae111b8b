// Identity: which stored contact, campaign and link a record names, found once per run.
//
// The ids are cached by natural key (address, number, campaign name, campaign and URL)
// and, for events, by the keys the decoding thread's `RunInterner` gave their names, so
// that the writing thread finds most ids by array index. A contact declared with an
// address and a number that name two stored contacts merges them into one (`merge`);
// the caches then forget what the old names named. Declarations also write the
// contact's fields and attributes (on SQLite in multi-row upserts; on PostgreSQL staged
// for one COPY and merge, ImportBulkPaths.swift).

import SegQL

/// Store ids of the contacts, campaigns and links a run has named.
struct IdentityCache {
    /// Contacts by (lower-cased) e-mail address and by phone number.
    var contactsByEmail: [String: Int64] = [:]
    var contactsByPhone: [String: Int64] = [:]
    var campaignIDs: [String: Int64] = [:]
    var links: [LinkKey: LinkInfo] = [:]
    /// By the interner's keys: the names (in key order, from the batches) and the store
    /// ids found for them so far (`unknownID`: not yet, or forgotten).
    var contactKeyNames: [(name: String, isEmail: Bool)] = []
    var contactKeyIDs: [Int64] = []
    var campaignKeyNames: [String] = []
    var campaignKeyIDs: [Int64] = []
    /// Contact keys by name, made by the first `Importer.unmapContact` and kept up to date after it.
    var contactKeyIndex: [ContactName: Int]?
    static let unknownID = Int64.min
}

extension Importer {
    /// Adds the names a batch brings (the interner's keys continue across batches and sources).
    func learn(_ fresh: FreshNames) {
        if known.contactKeyIndex != nil {
            for (i, c) in fresh.contacts.enumerated() {
                known.contactKeyIndex?[ContactName(name: c.name, isEmail: c.isEmail)] = known.contactKeyNames.count + i
            }
        }
        known.contactKeyNames.append(contentsOf: fresh.contacts)
        known.contactKeyIDs.append(contentsOf: repeatElement(IdentityCache.unknownID, count: fresh.contacts.count))
        known.campaignKeyNames.append(contentsOf: fresh.campaigns)
        known.campaignKeyIDs.append(contentsOf: repeatElement(IdentityCache.unknownID, count: fresh.campaigns.count))
    }

    /// The event's contact, by its interner key (an array index) once known.
    @inline(__always)
    func contactID(of e: EventRecord, _ s: Statements) throws -> Int64 {
        let k = Int(e.contactKey)
        guard k >= 0 else { return try e.contactIsEmail ? contactID(email: e.contact, s) : contactID(phone: e.contact, s) }
        let cached = known.contactKeyIDs[k]
        if cached != IdentityCache.unknownID { return cached }
        let (name, isEmail) = known.contactKeyNames[k]
        let id = try isEmail ? contactID(email: name, s) : contactID(phone: name, s)
        known.contactKeyIDs[k] = id
        return id
    }

    /// The event's campaign, by its interner key once known (a campaign's id never changes in a run).
    @inline(__always)
    func campaignID(of e: EventRecord, _ s: Statements) throws -> Int64 {
        let k = Int(e.campaignKey)
        guard k >= 0 else { return try campaignID(e.campaign, s) }
        let cached = known.campaignKeyIDs[k]
        if cached != IdentityCache.unknownID { return cached }
        let id = try campaignID(known.campaignKeyNames[k], s)
        known.campaignKeyIDs[k] = id
        return id
    }

    /// Forgets which contact an address or number names (a declaration gave the contact
    /// another one, or the contact was merged into another), in both caches.
    func unmapContact(_ name: String, isEmail: Bool) {
        if isEmail { known.contactsByEmail[name] = nil } else { known.contactsByPhone[name] = nil }
        if known.contactKeyIndex == nil {
            // Built at the first need only: most runs never change what a name names.
            var index: [ContactName: Int] = [:]
            for (k, c) in known.contactKeyNames.enumerated() { index[ContactName(name: c.name, isEmail: c.isEmail)] = k }
            known.contactKeyIndex = index
        }
        if let k = known.contactKeyIndex?[ContactName(name: name, isEmail: isEmail)] { known.contactKeyIDs[k] = IdentityCache.unknownID }
    }

    /// The contact with this (lower-cased) e-mail, created if missing.
    func contactID(email: String, _ s: Statements) throws -> Int64 {
        if let id = try findContact(email: email, s) { return id }
        return try createContact(email: email, phone: nil, s)
    }

    /// The contact with this phone number, created if missing.
    func contactID(phone: String, _ s: Statements) throws -> Int64 {
        if let id = try findContact(phone: phone, s) { return id }
        return try createContact(email: nil, phone: phone, s)
    }

    func findContact(email: String, _ s: Statements) throws -> Int64? {
        if let id = known.contactsByEmail[email] { return id }
        guard storeHadContacts else { return nil }
        try flushContacts()
        try s.contactByEmail.bind(email, at: 1)
        defer { s.contactByEmail.reset() }
        guard try s.contactByEmail.step() else { return nil }
        let id = s.contactByEmail.int64(0)
        known.contactsByEmail[email] = id
        return id
    }

    func findContact(phone: String, _ s: Statements) throws -> Int64? {
        if let id = known.contactsByPhone[phone] { return id }
        guard storeHadContacts else { return nil }
        try flushContacts()
        try s.contactByPhone.bind(phone, at: 1)
        defer { s.contactByPhone.reset() }
        guard try s.contactByPhone.step() else { return nil }
        let id = s.contactByPhone.int64(0)
        known.contactsByPhone[phone] = id
        return id
    }

    /// Creates a contact; a declaration gives its other fields at once (an event only the
    /// address or number).
    func createContact(email: String?, phone: String?, declared c: ContactRecord? = nil,
                               _ s: Statements) throws -> Int64 {
        if loader != nil {
            // Written by the next COPY; the id is drawn now, as events need it at once.
            let id = try reserveContactID()
            staging.newContacts.append(NewContact(id: id, email: email, phone: phone, firstName: c?.firstName,
                                          lastName: c?.lastName, createdAt: c?.createdAt))
            if let email { known.contactsByEmail[email] = id }
            if let phone { known.contactsByPhone[phone] = id }
            summary.contactsCreated += 1
            return id
        }
        try s.insertContact.bind(email, at: 1)
        try s.insertContact.bind(phone, at: 2)
        try s.insertContact.bind(c?.firstName, at: 3)
        try s.insertContact.bind(c?.lastName, at: 4)
        try s.insertContact.bind(c?.createdAt, at: 5)
        let id = try insertedID(s.insertContact)
        if let email { known.contactsByEmail[email] = id }
        if let phone { known.contactsByPhone[phone] = id }
        summary.contactsCreated += 1
        return id
    }

    /// The campaign with this name, if it exists.
    func findCampaign(_ name: String, _ s: Statements) throws -> Int64? {
        if let id = known.campaignIDs[name] { return id }
        try s.campaignByName.bind(name, at: 1)
        defer { s.campaignByName.reset() }
        guard try s.campaignByName.step() else { return nil }
        let id = s.campaignByName.int64(0)
        known.campaignIDs[name] = id
        return id
    }

    /// Creates a campaign as channel e-mail, unsent.
    func createCampaign(_ name: String, _ s: Statements) throws -> Int64 {
        try s.insertCampaign.bind(name, at: 1)
        try s.insertCampaign.bind(createdAt, at: 2)
        let id = try insertedID(s.insertCampaign)
        known.campaignIDs[name] = id
        summary.campaignsCreated += 1
        return id
    }

    func campaignID(_ name: String, _ s: Statements) throws -> Int64 {
        if let id = try findCampaign(name, s) { return id }
        return try createCampaign(name, s)
    }

    /// The link with this URL in this campaign, if it exists.
    func findLink(campaign: Int64, url: String, _ s: Statements) throws -> LinkInfo? {
        let key = LinkKey(campaign: campaign, url: url)
        if let info = known.links[key] { return info }
        try s.linkByURL.bind(campaign, at: 1)
        try s.linkByURL.bind(url, at: 2)
        defer { s.linkByURL.reset() }
        guard try s.linkByURL.step() else { return nil }
        let info = LinkInfo(id: s.linkByURL.int64(0), footer: s.linkByURL.int64(1) != 0)
        known.links[key] = info
        return info
    }

    /// The link with this URL in this campaign, created if missing: a footer link when
    /// `footer` says so, or when it is nil and `FooterLinks` recognises the URL. A
    /// declared `footer` different from a stored link's flag changes the flag.
    func linkInfo(campaign: Int64, url: String, footer: Bool?, _ s: Statements) throws -> LinkInfo {
        guard let info = try findLink(campaign: campaign, url: url, s) else {
            let flag = footer ?? FooterLinks.isFooter(url: url)
            if footer == nil, flag { summary.footerLinksRecognised += 1 }
            return try createLink(campaign: campaign, url: url, footer: flag, s)
        }
        guard let footer, footer != info.footer else { return info }
        return try setFooter(info, footer, campaign: campaign, url: url, s)
    }

    /// Changes a stored link's footer flag; the campaign's clicks are counted again.
    func setFooter(_ info: LinkInfo, _ footer: Bool, campaign: Int64, url: String, _ s: Statements) throws -> LinkInfo {
        try s.updateLinkFooter.bind(Int64(footer ? 1 : 0), at: 1)
        try s.updateLinkFooter.bind(info.id, at: 2)
        try s.updateLinkFooter.run()
        let updated = LinkInfo(id: info.id, footer: footer)
        known.links[LinkKey(campaign: campaign, url: url)] = updated
        // Clicks already counted on this link were counted with the old flag.
        rollups.clickRecount.insert(campaign)
        rollups.touchedCampaigns.insert(campaign)
        return updated
    }

    func createLink(campaign: Int64, url: String, footer: Bool, _ s: Statements) throws -> LinkInfo {
        try s.insertLink.bind(campaign, at: 1)
        try s.insertLink.bind(url, at: 2)
        try s.insertLink.bind(linkPath(ofURL: url), at: 3)
        try s.insertLink.bind(Int64(footer ? 1 : 0), at: 4)
        let info = LinkInfo(id: try insertedID(s.insertLink), footer: footer)
        known.links[LinkKey(campaign: campaign, url: url)] = info
        summary.linksCreated += 1
        return info
    }

    func applyCampaign(_ c: CampaignRecord, _ s: Statements) throws {
        let id = try campaignID(c.name, s)
        let u = s.updateCampaign
        try u.bind(id, at: 1)
        try u.bind(c.channel?.rawValue, at: 2)
        try u.bind(c.subject, at: 3)
        try u.bind(c.messages, at: 4)
        try u.bind(c.sentAt, at: 5)
        try u.run()
        rollups.touchedCampaigns.insert(id)
    }

    func applyLink(_ l: LinkRecord, _ s: Statements) throws {
        _ = try linkInfo(campaign: try campaignID(l.campaign, s), url: l.url, footer: l.footer, s)
    }

    func applyContact(_ c: ContactRecord, _ s: Statements) throws {
        let byEmail = try c.email.flatMap { try findContact(email: $0, s) }
        let byPhone = try c.phone.flatMap { try findContact(phone: $0, s) }
        let id: Int64
        switch (byEmail, byPhone) {
        case (nil, nil):
            // A new contact, written whole: nothing to replace or update.
            id = try createContact(email: c.email, phone: c.phone, declared: c, s)
        case let (a?, b?) where a != b:
            // One contact per person: the e-mail and the phone named two contacts.
            id = min(a, b)
            try merge(keep: id, drop: max(a, b), s)
        case let (a, b):
            id = a ?? b ?? 0
        }
        if byEmail != nil || byPhone != nil {
            try flushContacts()
            // Setting an address or number that the contact did not have replaces its old one.
            if (c.email != nil && byEmail != id) || (c.phone != nil && byPhone != id) {
                try s.contactIdentity.bind(id, at: 1)
                if try s.contactIdentity.step() {
                    if c.email != nil, !s.contactIdentity.isNull(0) { unmapContact(s.contactIdentity.text(0), isEmail: true) }
                    if c.phone != nil, !s.contactIdentity.isNull(1) { unmapContact(s.contactIdentity.text(1), isEmail: false) }
                }
                s.contactIdentity.reset()
            }
            let u = s.updateContact
            try u.bind(id, at: 1)
            try u.bind(c.email, at: 2)
            try u.bind(c.phone, at: 3)
            try u.bind(c.firstName, at: 4)
            try u.bind(c.lastName, at: 5)
            try u.bind(c.createdAt, at: 6)
            try u.run()
        }
        if let email = c.email { known.contactsByEmail[email] = id }
        if let phone = c.phone { known.contactsByPhone[phone] = id }
        for (name, value) in c.attributes {
            touchedAttributes?.insert(name)
            if loader != nil, let value {
                staging.stagedAttributes[AttributeKey(contact: id, name: name)] = (value.typeName, value.jsonText)
                if staging.stagedAttributes.count >= options.attributeStageRows { try stageAttributes() }
            } else if let value {
                // Many rows per statement; a second value for the same attribute waits for
                // the next statement (PostgreSQL refuses to update a row twice in one).
                if !pendingAttributes.insert(AttributeKey(contact: id, name: name)).inserted {
                    try flushAttributes(s)
                    pendingAttributes.insert(AttributeKey(contact: id, name: name))
                }
                let type = value.typeName
                let stored: SQLValue = loader != nil ? .text(value.jsonText) : value.sqlValue
                try s.upsertAttributes.add { st, b in
                    try st.bind(id, at: b + 1)
                    try st.bind(name, at: b + 2)
                    try st.bind(type, at: b + 3)
                    try st.bind(stored, at: b + 4)
                }
                if s.upsertAttributes.pendingRows == 0 { pendingAttributes.removeAll(keepingCapacity: true) }
            } else {
                try flushAttributes(s)
                try s.deleteAttribute.bind(id, at: 1)
                try s.deleteAttribute.bind(name, at: 2)
                try s.deleteAttribute.run()
            }
        }
    }

    /// Writes the attribute values waiting for a multi-row statement.
    /// On PostgreSQL: the values staged so far are merged into `contact_attributes` by
    /// one statement (see `stageAttributes`).
    func flushAttributes(_ s: Statements) throws {
        try s.upsertAttributes.finish()
        pendingAttributes.removeAll(keepingCapacity: true)
        guard loader != nil else { return }
        try stageAttributes()
        guard staging.attributeStages > 0 else { return }
        // The last value of each attribute wins, as it would written in order: the latest
        // stage's row (within one stage each attribute is there once).
        try db.execute("""
            INSERT INTO contact_attributes(contact_id, name, type, value)
            SELECT DISTINCT ON (contact_id, name) contact_id, name, type, value FROM segq_staged_attributes
            ORDER BY contact_id, name, stage DESC
            ON CONFLICT(contact_id, name) DO UPDATE SET type = excluded.type, value = excluded.value
            WHERE (contact_attributes.type, contact_attributes.value) IS DISTINCT FROM (excluded.type, excluded.value);
            TRUNCATE segq_staged_attributes
            """)
        staging.attributeStages = 0
    }

    /// PostgreSQL: sends the attribute values held in memory by COPY into a temporary
    /// table, where they wait for `flushAttributes` to merge them. Only a value deleted,
    /// a merge of contacts or the end of the run merges them: so the values declared
    /// before a large import's events are merged after `enterBulkMode` has dropped the
    /// index and foreign key of `contact_attributes`, however many they are (the values
    /// of `segq-bench import`'s 20,002 contacts: 1.0 s of server time merged without
    /// them; merged again by a re-import, with both in place, 4.8 s, and 0.9 s since
    /// values equal to the stored ones are not rewritten).
    func stageAttributes() throws {
        guard let loader, !staging.stagedAttributes.isEmpty else { return }
        try flushContacts()
        try stage("segq_staged_attributes",
                  #"stage integer, contact_id bigint, name text COLLATE "C", type text COLLATE "C", value jsonb"#)
        staging.attributeStages += 1
        let n = Int64(staging.attributeStages)
        try loader.copy(into: "segq_staged_attributes", columns: ["stage", "contact_id", "name", "type", "value"]) { w in
            for (key, value) in staging.stagedAttributes {
                w.int(n)
                w.int(key.contact)
                w.text(key.name)
                w.text(value.type)
                w.text(value.json)
                try w.endRow()
            }
        }
        staging.stagedAttributes.removeAll(keepingCapacity: true)
    }

    /// Moves everything of contact `drop` to contact `keep` and deletes `drop`.
    func merge(keep: Int64, drop: Int64, _ s: Statements) throws {
        // The events, attributes and rollup rows of `drop` must be written before they are moved.
        touchedAttributes = nil
        try flushEvents(s)
        try flushAttributes(s)
        try writeRollups(s)
        try db.query("SELECT campaign_id FROM activity WHERE contact_id = ?", [.integer(drop)]) {
            rollups.touchedCampaigns.insert($0.int64(0))
        }
        let k = SQLValue.integer(keep), d = SQLValue.integer(drop)
        if store.isCitus {
            // Citus does not change a row's distribution column: the events move to the
            // kept contact's shard as new rows (with their ids) and leave the old one.
            let columns = PendingEvent.columnNames.filter { $0 != "contact_id" }.joined(separator: ", ")
            try db.execute("""
                INSERT INTO events(id, contact_id, \(columns)) SELECT id, ?1, \(columns) FROM events WHERE contact_id = ?2
                """, [k, d])
            try db.execute("DELETE FROM events WHERE contact_id = ?1", [d])
        } else {
            try db.execute("UPDATE events SET contact_id = ?1 WHERE contact_id = ?2", [k, d])
        }
        try db.execute("""
            INSERT INTO contact_attributes(contact_id, name, type, value)
            SELECT ?1, name, type, value FROM contact_attributes WHERE contact_id = ?2
            ON CONFLICT(contact_id, name) DO NOTHING
            """, [k, d])
        try db.execute("""
            INSERT INTO list_members(list_id, contact_id)
            SELECT list_id, ?1 FROM list_members WHERE contact_id = ?2
            ON CONFLICT(list_id, contact_id) DO NOTHING
            """, [k, d])
        try db.execute("""
            INSERT INTO activity(campaign_id, contact_id, \(ActivityDelta.columns.joined(separator: ", ")))
            SELECT campaign_id, ?1, \(ActivityDelta.columns.joined(separator: ", "))
            FROM activity WHERE contact_id = ?2
            \(ActivityDelta.upsertClause(table: "activity", conflict: "campaign_id, contact_id"))
            """, [k, d])
        try db.execute("DELETE FROM activity WHERE contact_id = ?1", [d])
        try db.execute("""
            INSERT INTO contact_activity(contact_id, \(ActivityDelta.columns.joined(separator: ", ")))
            SELECT ?1, \(ActivityDelta.columns.joined(separator: ", "))
            FROM contact_activity WHERE contact_id = ?2
            \(ActivityDelta.upsertClause(table: "contact_activity", conflict: "contact_id"))
            """, [k, d])
        try db.execute("DELETE FROM contact_activity WHERE contact_id = ?1", [d])
        // The dropped contact's fields are read first and sent as values (on Citus the two
        // contacts live on different shards, and an UPDATE reads only its own).
        var dropped: [SQLValue] = [.null, .null, .null]
        try db.query("SELECT first_name, last_name, created_at FROM contacts WHERE id = ?1", [d]) { row in
            dropped = [row.value(0), row.value(1), row.value(2)]
        }
        try db.execute("""
            UPDATE contacts SET
                first_name = coalesce(first_name, ?2),
                last_name = coalesce(last_name, ?3),
                created_at = \(PortableSQL.least("created_at", "CAST(?4 AS bigint)"))
            WHERE id = ?1
            """, [k] + dropped)
        // Forget the dropped contact's identifiers; the caller records the kept ones.
        try db.query("SELECT email, phone FROM contacts WHERE id = ?", [d]) { row in
            if let e = row.optionalText(0) { unmapContact(e, isEmail: true) }
            if let p = row.optionalText(1) { unmapContact(p, isEmail: false) }
        }
        // Foreign keys are off during an import, so nothing cascades: delete explicitly.
        try db.execute("DELETE FROM contact_attributes WHERE contact_id = ?1", [d])
        try db.execute("DELETE FROM list_members WHERE contact_id = ?1", [d])
        // Its segment history goes with it (the evaluations' counts keep it); the kept
        // contact's next evaluation records whatever its merged events change.
        try db.execute("DELETE FROM segment_members WHERE contact_id = ?1", [d])
        try db.execute("DELETE FROM segment_changes WHERE contact_id = ?1", [d])
        try db.execute("DELETE FROM contacts WHERE id = ?1", [d])
        summary.contactsMerged += 1
    }
}

struct ContactName: Hashable {
    var name: String
    var isEmail: Bool
}

/// A contact created by the run, waiting for the next COPY (PostgreSQL).
struct NewContact {
    var id: Int64
    var email, phone, firstName, lastName: String?
    var createdAt: Int64?
}

struct AttributeKey: Hashable {
    var contact: Int64
    var name: String
}

struct LinkKey: Hashable {
    var campaign: Int64
    var url: String
}

struct LinkInfo {
    var id: Int64
    var footer: Bool
}
