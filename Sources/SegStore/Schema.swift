// The store's schema, as an ordered list of migrations.
//
// `PRAGMA user_version` holds the number of migrations applied. Opening a store runs
// the missing ones in one transaction, so a store made by an older segq opens in a
// newer one; a store from a newer segq (a higher version than we know) is refused
// rather than misread. Migrations are append-only: never edit one that has shipped.
//
// The tables are a public interface (other tools read the file directly): every
// table and column is documented in docs/schema.md, which must change with this file.
//
// Conventions: times are INTEGER Unix seconds (UTC); booleans are INTEGER 0/1;
// e-mail addresses are stored lower-cased; event kinds are the integer codes of
// `EventKind` (named in the `event_kinds` table).

/// The schema migrations, in order; migration `i` takes `user_version` from `i` to `i + 1`.
public enum Schema {
    /// The `user_version` of a store with every migration applied.
    public static var version: Int { migrations.count }

    /// The SQL of each migration.
    public static let migrations: [String] = [v1, v2, v3, v4, v5, v6]

    static let v1 = """
    CREATE TABLE event_kinds (
        code INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE
    );
    INSERT INTO event_kinds(code, name) VALUES
        (1, 'sent'), (2, 'dropped'), (3, 'delivered'), (4, 'bounced'), (5, 'opened'),
        (6, 'clicked'), (7, 'replied'), (8, 'forwarded'), (9, 'unsubscribed'), (10, 'complained');

    CREATE TABLE contacts (
        id INTEGER PRIMARY KEY,
        email TEXT UNIQUE,
        phone TEXT UNIQUE,
        first_name TEXT,
        last_name TEXT,
        created_at INTEGER,
        CHECK (email IS NOT NULL OR phone IS NOT NULL)
    );

    -- One row per contact and attribute. `value` has no declared type, so no affinity:
    -- it keeps the SQLite type it was stored with (TEXT, INTEGER or REAL; the string
    -- "01234" stays text). `type` says what the import saw, so that a boolean true is
    -- not the number 1 and comparisons stay type-strict.
    CREATE TABLE contact_attributes (
        contact_id INTEGER NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
        name TEXT NOT NULL,
        type TEXT NOT NULL CHECK (type IN ('string', 'number', 'boolean')),
        value NOT NULL,
        PRIMARY KEY (contact_id, name)
    ) WITHOUT ROWID;
    CREATE INDEX contact_attributes_by_value ON contact_attributes(name, value, contact_id);

    CREATE TABLE lists (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        query TEXT NOT NULL,
        saved_at INTEGER NOT NULL,
        including_suppressed INTEGER NOT NULL DEFAULT 0,
        suppressed_left_out INTEGER NOT NULL DEFAULT 0
    );

    CREATE TABLE list_members (
        list_id INTEGER NOT NULL REFERENCES lists(id) ON DELETE CASCADE,
        contact_id INTEGER NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
        PRIMARY KEY (list_id, contact_id)
    ) WITHOUT ROWID;

    CREATE TABLE campaigns (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        channel TEXT NOT NULL DEFAULT 'email' CHECK (channel IN ('email', 'sms')),
        subject TEXT,
        sent_at INTEGER,
        sent_at_declared INTEGER NOT NULL DEFAULT 0,
        messages INTEGER NOT NULL DEFAULT 1 CHECK (messages >= 1),
        status TEXT NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'sent')),
        source_campaign_id INTEGER REFERENCES campaigns(id),
        audience TEXT,
        audience_list_id INTEGER REFERENCES lists(id),
        created_at INTEGER NOT NULL
    );

    CREATE TABLE links (
        id INTEGER PRIMARY KEY,
        campaign_id INTEGER NOT NULL REFERENCES campaigns(id) ON DELETE CASCADE,
        url TEXT NOT NULL,
        path TEXT NOT NULL,
        footer INTEGER NOT NULL DEFAULT 0 CHECK (footer IN (0, 1)),
        UNIQUE (campaign_id, url)
    );
    CREATE INDEX links_by_path ON links(path);

    CREATE TABLE events (
        id INTEGER PRIMARY KEY,
        kind INTEGER NOT NULL REFERENCES event_kinds(code),
        contact_id INTEGER NOT NULL REFERENCES contacts(id),
        campaign_id INTEGER NOT NULL REFERENCES campaigns(id),
        message INTEGER NOT NULL DEFAULT 1,
        ts INTEGER NOT NULL,
        link_id INTEGER REFERENCES links(id),
        bounce TEXT CHECK (bounce IN ('hard', 'soft')),
        reason TEXT,
        machine INTEGER NOT NULL DEFAULT 0 CHECK (machine IN (0, 1)),
        external_id TEXT
    );
    -- Access paths of the planner (docs/planner.md): all events of a kind in a campaign;
    -- one contact's events of a kind, by time (probes); a kind in a time window; the
    -- clicks on a link.
    CREATE INDEX events_by_campaign ON events(campaign_id, kind, contact_id);
    CREATE INDEX events_by_contact ON events(contact_id, kind, campaign_id, ts, link_id, machine);
    CREATE INDEX events_by_kind_ts ON events(kind, ts, contact_id);
    CREATE INDEX events_by_link ON events(link_id, contact_id) WHERE link_id IS NOT NULL;
    CREATE UNIQUE INDEX events_by_external_id ON events(external_id) WHERE external_id IS NOT NULL;

    -- The rollup: one row per campaign and contact that has any event in it, with
    -- counts per kind and the latest times the planner uses for recency. Maintained
    -- by every import, in the same transaction as the events.
    CREATE TABLE activity (
        campaign_id INTEGER NOT NULL REFERENCES campaigns(id),
        contact_id INTEGER NOT NULL REFERENCES contacts(id),
        sends INTEGER NOT NULL DEFAULT 0,
        drops INTEGER NOT NULL DEFAULT 0,
        deliveries INTEGER NOT NULL DEFAULT 0,
        bounces INTEGER NOT NULL DEFAULT 0,
        opens INTEGER NOT NULL DEFAULT 0,
        machine_opens INTEGER NOT NULL DEFAULT 0,
        clicks INTEGER NOT NULL DEFAULT 0,
        footer_clicks INTEGER NOT NULL DEFAULT 0,
        replies INTEGER NOT NULL DEFAULT 0,
        forwards INTEGER NOT NULL DEFAULT 0,
        unsubscribes INTEGER NOT NULL DEFAULT 0,
        complaints INTEGER NOT NULL DEFAULT 0,
        last_delivered INTEGER,
        last_opened INTEGER,
        last_clicked INTEGER,
        PRIMARY KEY (campaign_id, contact_id)
    ) WITHOUT ROWID;
    CREATE INDEX activity_by_contact ON activity(contact_id, campaign_id);

    -- The same rollup over all campaigns: one row per contact that has any event.
    -- Maintained by every import from `activity`.
    CREATE TABLE contact_activity (
        contact_id INTEGER PRIMARY KEY REFERENCES contacts(id),
        sends INTEGER NOT NULL DEFAULT 0,
        drops INTEGER NOT NULL DEFAULT 0,
        deliveries INTEGER NOT NULL DEFAULT 0,
        bounces INTEGER NOT NULL DEFAULT 0,
        opens INTEGER NOT NULL DEFAULT 0,
        machine_opens INTEGER NOT NULL DEFAULT 0,
        clicks INTEGER NOT NULL DEFAULT 0,
        footer_clicks INTEGER NOT NULL DEFAULT 0,
        replies INTEGER NOT NULL DEFAULT 0,
        forwards INTEGER NOT NULL DEFAULT 0,
        unsubscribes INTEGER NOT NULL DEFAULT 0,
        complaints INTEGER NOT NULL DEFAULT 0,
        last_delivered INTEGER,
        last_opened INTEGER,
        last_clicked INTEGER
    );

    -- Statistics for the planner: per campaign and kind, the events and the distinct
    -- contacts with at least one; maintained by every import.
    CREATE TABLE event_stats (
        campaign_id INTEGER NOT NULL REFERENCES campaigns(id),
        kind INTEGER NOT NULL REFERENCES event_kinds(code),
        events INTEGER NOT NULL,
        contacts INTEGER NOT NULL,
        min_ts INTEGER,
        max_ts INTEGER,
        PRIMARY KEY (campaign_id, kind)
    ) WITHOUT ROWID;

    CREATE TABLE segments (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        query TEXT NOT NULL,
        view_name TEXT NOT NULL UNIQUE,
        saved_at INTEGER NOT NULL
    );

    -- What each saved segment refers to, so that dropping or renaming it is refused or
    -- detected rather than silently changing a segment's meaning.
    CREATE TABLE segment_dependencies (
        segment_id INTEGER NOT NULL REFERENCES segments(id) ON DELETE CASCADE,
        kind TEXT NOT NULL CHECK (kind IN ('segment', 'list', 'campaign')),
        name TEXT NOT NULL,
        PRIMARY KEY (segment_id, kind, name)
    ) WITHOUT ROWID;

    -- Store-wide facts: key/value pairs (e.g. 'created_by').
    CREATE TABLE store_info (
        key TEXT PRIMARY KEY,
        value
    ) WITHOUT ROWID;
    """

    // v2: `events_by_link` gains the kind, so the contacts who clicked a set of links
    // are read from the index alone (the planner tests a link condition as membership of
    // that set, docs/planner.md); and the rollups' columns in the order queries read them. SQLite finds a column by
    // walking the record header up to it, so the counts and times that segment queries
    // test (opens, clicks, deliveries, the last times) come first; on the 1M-contact demo
    // store this made a scan of contact_activity 1.4-1.6x faster (docs/benchmarks.md).
    // The old tables are renamed aside, new ones made under the names, the rows copied
    // and the old tables dropped; `legacy_alter_table` keeps the rename from re-parsing
    // (or rewriting) the segments' views, which refer to the tables by name and so read
    // the new ones (a broken segment's view names a missing table on purpose).
    /// The counted columns of both rollups in version 2, in the order queries read them.
    static let v2RollupColumns = """
        opens INTEGER NOT NULL DEFAULT 0,
        clicks INTEGER NOT NULL DEFAULT 0,
        deliveries INTEGER NOT NULL DEFAULT 0,
        last_opened INTEGER,
        last_clicked INTEGER,
        last_delivered INTEGER,
        machine_opens INTEGER NOT NULL DEFAULT 0,
        footer_clicks INTEGER NOT NULL DEFAULT 0,
        sends INTEGER NOT NULL DEFAULT 0,
        bounces INTEGER NOT NULL DEFAULT 0,
        unsubscribes INTEGER NOT NULL DEFAULT 0,
        complaints INTEGER NOT NULL DEFAULT 0,
        replies INTEGER NOT NULL DEFAULT 0,
        forwards INTEGER NOT NULL DEFAULT 0,
        drops INTEGER NOT NULL DEFAULT 0
    """

    static let v2 = """
    PRAGMA legacy_alter_table = ON;
    ALTER TABLE activity RENAME TO activity_v1;
    CREATE TABLE activity (
        campaign_id INTEGER NOT NULL REFERENCES campaigns(id),
        contact_id INTEGER NOT NULL REFERENCES contacts(id),
    \(v2RollupColumns),
        PRIMARY KEY (campaign_id, contact_id)
    ) WITHOUT ROWID;
    INSERT INTO activity(campaign_id, contact_id, opens, clicks, deliveries, last_opened, last_clicked, last_delivered, machine_opens, footer_clicks, sends, bounces, unsubscribes, complaints, replies, forwards, drops)
    SELECT campaign_id, contact_id, opens, clicks, deliveries, last_opened, last_clicked, last_delivered, machine_opens, footer_clicks, sends, bounces, unsubscribes, complaints, replies, forwards, drops FROM activity_v1 ORDER BY campaign_id, contact_id;
    DROP TABLE activity_v1;
    CREATE INDEX activity_by_contact ON activity(contact_id, campaign_id);

    ALTER TABLE contact_activity RENAME TO contact_activity_v1;
    CREATE TABLE contact_activity (
        contact_id INTEGER PRIMARY KEY REFERENCES contacts(id),
    \(v2RollupColumns)
    );
    INSERT INTO contact_activity(contact_id, opens, clicks, deliveries, last_opened, last_clicked, last_delivered, machine_opens, footer_clicks, sends, bounces, unsubscribes, complaints, replies, forwards, drops)
    SELECT contact_id, opens, clicks, deliveries, last_opened, last_clicked, last_delivered, machine_opens, footer_clicks, sends, bounces, unsubscribes, complaints, replies, forwards, drops FROM contact_activity_v1 ORDER BY contact_id;
    DROP TABLE contact_activity_v1;
    PRAGMA legacy_alter_table = OFF;

    DROP INDEX events_by_link;
    CREATE INDEX events_by_link ON events(link_id, kind, contact_id) WHERE link_id IS NOT NULL;
    """

    // v3: narrow indexes that hold a set of contacts in contact order, so the planner
    // can answer `and`, `or` and `not` over them as one merge (docs/planner.md, "Merged
    // sets"): a campaign's openers and its clickers (partial indexes over the non-zero
    // rows of `activity`, with the count, so a campaign's 247k openers are read in 9 ms
    // instead of its 650k rollup rows in 47 ms), the same over every campaign (of
    // `contact_activity`: the 185k contacts who clicked, in contact order, instead of
    // every contact's row), and attribute values with their type (`country = "SE"`
    // tests the type too; it was read from the table for each row).
    static let v3 = """
    CREATE INDEX activity_openers ON activity(campaign_id, contact_id, opens) WHERE opens > 0;
    CREATE INDEX activity_clickers ON activity(campaign_id, contact_id, clicks) WHERE clicks > 0;
    CREATE INDEX contact_activity_openers ON contact_activity(contact_id, opens) WHERE opens > 0;
    CREATE INDEX contact_activity_clickers ON contact_activity(contact_id, clicks) WHERE clicks > 0;
    DROP INDEX contact_attributes_by_value;
    CREATE INDEX contact_attributes_by_value ON contact_attributes(name, type, value, contact_id);
    """

    /// Version 4: the two event indexes that conditions are read from as ranges cover
    /// every column an event condition tests but bounce and reason (rare kinds), with the
    /// time right after kind, so that a condition's rows are exactly one range of one of
    /// them, read from the index alone (docs/planner.md § Bounded sets): a campaign's
    /// events of a kind in a window, or a kind's events in a window over every campaign.
    static let v4 = """
    DROP INDEX events_by_campaign;
    CREATE INDEX events_by_campaign ON events(campaign_id, kind, ts, contact_id, link_id, message, machine);
    DROP INDEX events_by_kind_ts;
    CREATE INDEX events_by_kind_ts ON events(kind, ts, contact_id, campaign_id, link_id, message, machine);
    """

    /// Version 5: the membership history of saved segments (docs/schema.md § Segment
    /// history). Every evaluation of a segment that `save segment` or an import makes is
    /// one row of `segment_evaluations` (its size and how many joined and left, so size
    /// over time is one index range); the contacts who joined or left in it are rows of
    /// `segment_changes`, and `segment_members` holds the members of the latest
    /// evaluation, which the next one is compared with. A contact who stays a member
    /// costs nothing per evaluation.
    static let v5 = """
    CREATE TABLE segment_evaluations (
        id INTEGER PRIMARY KEY,
        segment_id INTEGER NOT NULL REFERENCES segments(id) ON DELETE CASCADE,
        evaluated_at INTEGER NOT NULL,
        cause TEXT NOT NULL CHECK (cause IN ('save', 'replace', 'import')),
        members INTEGER NOT NULL,
        joins INTEGER NOT NULL,
        leaves INTEGER NOT NULL
    );
    CREATE INDEX segment_evaluations_by_segment ON segment_evaluations(segment_id, evaluated_at, id);
    CREATE TABLE segment_changes (
        evaluation_id INTEGER NOT NULL REFERENCES segment_evaluations(id) ON DELETE CASCADE,
        contact_id INTEGER NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
        joined INTEGER NOT NULL CHECK (joined IN (0, 1)),
        PRIMARY KEY (evaluation_id, contact_id)
    ) WITHOUT ROWID;
    CREATE TABLE segment_members (
        segment_id INTEGER NOT NULL REFERENCES segments(id) ON DELETE CASCADE,
        contact_id INTEGER NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
        PRIMARY KEY (segment_id, contact_id)
    ) WITHOUT ROWID;
    """

    /// Version 6: the contact columns a condition tests by value, each indexed (with the
    /// contact id, the row id), so that `first_name = "Hanna"`, `last_name in […]` or
    /// `created_at <= …` reads its range instead of every contact (docs/planner.md).
    static let v6 = """
    CREATE INDEX contacts_by_first_name ON contacts(first_name);
    CREATE INDEX contacts_by_last_name ON contacts(last_name);
    CREATE INDEX contacts_by_created_at ON contacts(created_at);
    """
}
