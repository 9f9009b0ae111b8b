// `stats "C" [message N]` and the campaign overview, as session operations: name
// checks as compile errors (nothing touches the store before they pass), then the
// figures, written as the text report or — in a machine format — as one JSON object
// (json, jsonl) or as figure,value rows (csv, tsv).

import SegQL
import SegStore

extension Session {
    /// Runs `stats` for `campaign`: checks the name and the message, computes every
    /// figure and writes them to the output: JSON under json (one line under jsonl),
    /// one `figure,value` row per number under csv and tsv, else the text report. The
    /// heatmap and the send time use `timeZone`.
    public func stats(
        _ campaign: Name, message: Int64?, statement range: SourceRange? = nil, firstOpensOnly: Bool = false,
        in file: SourceFile
    ) throws {
        let figures = try computeStats(campaign, message: message, statement: range, firstOpensOnly: firstOpensOnly, in: file)
        switch (output as? ResultWriter)?.format {
        case .json: output.text(StatsRenderer.json(figures))
        case .jsonl: output.text(StatsRenderer.jsonLine(figures))
        case .csv, .tsv:
            output.beginRows(columns: ["figure", "value"])
            for row in StatsRenderer.rows(figures) { output.row([.text(row.name), row.value]) }
            output.endRows()
        case .table, nil: output.text(StatsRenderer.text(figures))
        }
    }

    /// The figures of `stats`, without writing them.
    public func computeStats(
        _ campaign: Name, message: Int64?, statement range: SourceRange? = nil, firstOpensOnly: Bool = false,
        in file: SourceFile
    ) throws -> CampaignStats {
        let catalog = try loadCatalog()
        let resolved: Catalog.Campaign
        switch Binder.resolveCampaign(campaign, in: catalog) {
        case .success(let c): resolved = c
        case .failure(let d): throw SessionError.compile([d], file)
        }
        if let message, message < 1 || message > resolved.messages {
            let has = resolved.messages == 1 ? "has one message" : "has \(resolved.messages) messages"
            throw SessionError.compile(
                [.error("campaign '\(resolved.name)' \(has); 'message \(message)' is out of range", at: range ?? campaign.range)], file)
        }
        do {
            return try CampaignStats.compute(
                store: store, campaign: resolved, message: message,
                heatmap: HeatmapOptions(timeZone: timeZone, firstOpensOnly: firstOpensOnly))
        } catch StatsError.unknownTimeZone(let zone) {
            throw SessionError.unknownTimeZone(zone)
        } catch let e as DatabaseError where e.isInterrupt {
            throw storeFailure(e)
        } catch {
            throw storeFailure(error)
        }
    }

    /// Every campaign with channel, send date, sent, open rate and click rate (`.campaigns`).
    public func campaignOverview() throws -> [CampaignOverview] {
        do {
            return try CampaignOverview.load(from: store)
        } catch {
            throw readFailure(error)
        }
    }
}
