// A campaign duplicated as a draft (`duplicate campaign`): the copy and its links. The
// session names it and freezes its recipients as a list first (StoreLists.swift).

import SegQL

extension Store {
    /// Adds the draft campaign `name`, a copy of campaign `sourceID` (channel, subject,
    /// messages, and its links in their order) never sent, whose recipients are the
    /// audience `audience` frozen as list `audienceList`, created at `createdAt`. Run
    /// inside `writing`.
    public func createDraftCopy(
        of sourceID: Int64, named name: String, audience: String, audienceList: Int64?, createdAt: Int64
    ) throws {
        try database.execute(
            """
            INSERT INTO campaigns(name, channel, subject, sent_at, sent_at_declared, messages, status,
                                  source_campaign_id, audience, audience_list_id, created_at)
            SELECT ?1, channel, subject, NULL, 0, messages, 'draft', id, ?2, CAST(?3 AS bigint), ?4 FROM campaigns WHERE id = ?5
            """,
            [.text(name), .text(audience), audienceList.map { .integer($0) } ?? .null, .integer(createdAt), .integer(sourceID)])
        let copyID = try database.lastInsertRowID
        try database.execute(
            "INSERT INTO links(campaign_id, url, path, footer) SELECT ?1, url, path, footer FROM links WHERE campaign_id = ?2 ORDER BY id",
            [.integer(copyID), .integer(sourceID)])
    }
}
