//! Numbered schema migrations. A database records the last one applied in `user_version`;
//! opening it applies the rest, each in its own transaction.

use rusqlite::{Connection, OptionalExtension};

use super::words::WordIndex;

/// The migrations in order; the index + 1 is the schema version.
const MIGRATIONS: &[&str] = &[
    // 1: customers, cards, search, change log, users and tokens.
    r#"
    CREATE TABLE customers (
        rid             INTEGER PRIMARY KEY,
        id              TEXT NOT NULL,
        external_id     TEXT,
        version         INTEGER NOT NULL,
        is_active       INTEGER NOT NULL,
        activation_time INTEGER,          -- microseconds since 1970, UTC
        expiration_time INTEGER,
        first_name      TEXT,
        last_name       TEXT,
        full_name       TEXT,
        gender          TEXT,
        birth_date      INTEGER,
        email           TEXT,
        phone           TEXT,
        is_company      INTEGER NOT NULL,
        company_name    TEXT,
        credit_amount   INTEGER NOT NULL, -- millionths: exact, see store::decimal
        credit_rate     INTEGER NOT NULL,
        discount_rate   INTEGER NOT NULL,
        note            TEXT
    ) STRICT;
    -- The whole customer as JSON (store::doc), apart from the columns above so that scans,
    -- counts and joins over customers stay small.
    CREATE TABLE customer_docs (
        rid INTEGER PRIMARY KEY REFERENCES customers(rid) ON DELETE CASCADE,
        doc BLOB NOT NULL
    ) STRICT;
    CREATE UNIQUE INDEX customers_id ON customers(id);
    CREATE UNIQUE INDEX customers_external_id ON customers(external_id) WHERE external_id IS NOT NULL;
    -- A card belongs to one customer: the serial number is the key.
    CREATE TABLE cards (
        serial       TEXT PRIMARY KEY,
        customer_rid INTEGER NOT NULL REFERENCES customers(rid) ON DELETE CASCADE
    ) WITHOUT ROWID, STRICT;
    CREATE INDEX cards_customer ON cards(customer_rid);

    -- Searched text, folded in Rust (lower case, no diacritics), fields joined by newlines
    -- so a term never matches across two fields. rid = customers.rid. A compact table of its
    -- own: candidates are checked against it, and short words scan it.
    CREATE TABLE search_text (rid INTEGER PRIMARY KEY, text TEXT NOT NULL) STRICT;
    -- Its trigram index (replaced by migration 2).
    CREATE VIRTUAL TABLE customer_search USING fts5(
        text, tokenize = 'trigram', detail = none, content = '', contentless_delete = 1);
    CREATE VIRTUAL TABLE customer_search_vocab USING fts5vocab(customer_search, row);

    -- Every write through the API, for the sync engine: what the customer was and became.
    CREATE TABLE change_log (
        seq          INTEGER PRIMARY KEY,
        customer_id  TEXT NOT NULL,
        base_version INTEGER,             -- the _v the change started from; NULL on create
        before_doc   BLOB,                -- NULL on create
        after_doc    BLOB,                -- NULL on delete
        user_name    TEXT NOT NULL,
        time         INTEGER NOT NULL
    ) STRICT;
    CREATE INDEX change_log_customer ON change_log(customer_id, seq);

    -- Numbers kept up to date by the writes, so an unfiltered count is not a scan.
    CREATE TABLE counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL) STRICT;
    INSERT INTO counters VALUES ('customers', 0);

    CREATE TABLE users (
        id            TEXT PRIMARY KEY,
        user_name     TEXT NOT NULL UNIQUE COLLATE NOCASE,
        display_name  TEXT NOT NULL,
        password_hash TEXT NOT NULL,
        rights        TEXT NOT NULL,
        created       INTEGER NOT NULL
    ) STRICT;

    CREATE TABLE tokens (
        token_hash   TEXT PRIMARY KEY,    -- SHA-256 of the token; the token itself is never stored
        refresh_hash TEXT NOT NULL UNIQUE,
        user_id      TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        device_name  TEXT,
        created      INTEGER NOT NULL,
        expires      INTEGER NOT NULL
    ) STRICT;
    CREATE INDEX tokens_user ON tokens(user_id);

    CREATE TABLE login_failures (
        user_name TEXT PRIMARY KEY COLLATE NOCASE,
        failures  INTEGER NOT NULL,
        last_time INTEGER NOT NULL
    ) STRICT;
    "#,
    // 2: the word index (see store::words) takes the place of the trigram index over
    // whole texts: a search reads one short list per vocabulary word containing the search
    // word instead of every entry of each of its trigrams. Filled by the rebuild that the
    // mark asks for at open.
    r#"
    DROP TABLE customer_search_vocab;
    DROP TABLE customer_search;
    CREATE TABLE search_words (
        id INTEGER PRIMARY KEY, word TEXT NOT NULL UNIQUE, uses INTEGER NOT NULL) STRICT;
    CREATE VIRTUAL TABLE search_word_grams USING fts5(
        word, tokenize = 'trigram', detail = full,
        content = 'search_words', content_rowid = 'id', columnsize = 0);
    CREATE TABLE word_customers (
        word_id INTEGER NOT NULL, rid INTEGER NOT NULL, PRIMARY KEY (word_id, rid)
    ) WITHOUT ROWID, STRICT;
    INSERT OR REPLACE INTO counters (name, value) VALUES ('search_stale', 1);
    "#,
    // 3: a word's customers as posting lists (store::postings) instead of one row per
    // (word, customer) pair; the index is rebuilt at open.
    r#"
    DROP TABLE word_customers;
    CREATE TABLE word_postings (key INTEGER PRIMARY KEY, rids BLOB NOT NULL) STRICT;
    INSERT OR REPLACE INTO counters (name, value) VALUES ('search_stale', 1);
    "#,
    // 4: documents of older formats are rewritten in the API's own shape (store::doc,
    // format 2) at open, so that lists copy them instead of parsing them.
    r#"
    INSERT OR REPLACE INTO counters (name, value) VALUES ('docs_stale', 1);
    "#,
    // 5: sync (../shared/spec/sync.md). The server side: the change feed and idempotent
    // requests. The desk side: a replica's shadows, outbox and conflicts. The change log
    // keeps who changed what and when, not the documents, which cost two whole customers
    // per write and nothing reads them.
    r#"
    -- One row per customer ever stored, live or deleted (a tombstone), with the seq of its
    -- last change: a page of the feed is a walk of the seq index.
    CREATE TABLE sync_feed (
        customer_id TEXT PRIMARY KEY,
        seq         INTEGER NOT NULL UNIQUE,
        version     INTEGER NOT NULL,
        deleted     INTEGER NOT NULL
    ) WITHOUT ROWID, STRICT;
    -- The tombstones alone: with the live customers' counter they give the feed's size, so
    -- a page's "remaining" counts the smaller side of its seq.
    CREATE INDEX sync_feed_tombstones ON sync_feed(seq) WHERE deleted;
    INSERT INTO sync_feed (customer_id, seq, version, deleted)
        SELECT id, rid, version, 0 FROM customers ORDER BY rid;
    INSERT OR REPLACE INTO counters (name, value)
        VALUES ('feed_seq', (SELECT coalesce(max(rid), 0) FROM customers));

    -- Facts about this store as text: its server id (new for every database), and on a desk
    -- attached to a server, the replica's state (store::replica).
    CREATE TABLE store_meta (name TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT;
    INSERT INTO store_meta (name, value) VALUES ('server_id', lower(hex(randomblob(12))));

    -- Responses to requests sent with an Idempotency-Key, per user.
    CREATE TABLE idempotency_keys (
        user_name    TEXT NOT NULL,
        key          TEXT NOT NULL,
        request_hash TEXT NOT NULL,
        status       INTEGER NOT NULL,
        body         BLOB NOT NULL,
        created      INTEGER NOT NULL,
        PRIMARY KEY (user_name, key)
    ) WITHOUT ROWID, STRICT;
    CREATE INDEX idempotency_keys_created ON idempotency_keys(created);

    -- A replica's last version of each customer from the server (the base of a merge). A
    -- NULL doc is the local customer's own document, as long as nothing changed it here (the
    -- store keeps the old one before it writes a new one): most customers of a replica are
    -- as the server has them, and are not stored twice.
    CREATE TABLE replica_shadows (
        customer_id TEXT PRIMARY KEY,
        version     INTEGER NOT NULL,
        doc         BLOB
    ) WITHOUT ROWID, STRICT;
    -- Local writes still to push, in the order they were made. kind: write (the customer's
    -- fields, pushed as the difference from its shadow), credit (one adjustment), delete.
    -- parked: the server's reason for refusing it, for a person.
    CREATE TABLE replica_outbox (
        seq          INTEGER PRIMARY KEY,
        customer_id  TEXT NOT NULL,
        kind         TEXT NOT NULL,
        operation_id TEXT,
        amount       TEXT,
        note         TEXT,
        user_name    TEXT NOT NULL,
        time         INTEGER NOT NULL,
        parked       TEXT
    ) STRICT;
    CREATE INDEX replica_outbox_customer ON replica_outbox(customer_id, seq);
    -- Clashes a person decides; this desk's version is the local customer (or none when it
    -- was deleted here), theirs the server's (none when deleted there).
    CREATE TABLE replica_conflicts (
        customer_id TEXT PRIMARY KEY,
        base        BLOB,
        theirs      BLOB,
        fields      TEXT NOT NULL,
        merged      TEXT NOT NULL,
        detected    INTEGER NOT NULL
    ) STRICT;

    ALTER TABLE change_log DROP COLUMN before_doc;
    ALTER TABLE change_log DROP COLUMN after_doc;
    ALTER TABLE change_log ADD COLUMN new_version INTEGER;
    "#,
    // 6: failed sign-ins are counted per user name and source address, so that a
    // stranger's guesses slow down the stranger and not the owner's own desk. The counts
    // are minutes old at most: starting them over loses nothing.
    r#"
    DROP TABLE login_failures;
    CREATE TABLE login_failures (
        user_name TEXT NOT NULL COLLATE NOCASE,
        source    TEXT NOT NULL,
        failures  INTEGER NOT NULL,
        last_time INTEGER NOT NULL,
        PRIMARY KEY (user_name, source)
    ) STRICT;
    CREATE INDEX login_failures_time ON login_failures(last_time);
    "#,
    // 7: the credit ledger in a table of its own (see store::ledger), so that an edit of a
    // customer with years of transactions does not write them all again. The ledgers still
    // inside documents are moved at the next open ('ledger_stale').
    r#"
    CREATE TABLE credit_ledger (
        rid   INTEGER NOT NULL REFERENCES customers(rid) ON DELETE CASCADE,
        n     INTEGER NOT NULL,          -- the transaction's place in the ledger, from 0
        entry BLOB NOT NULL,             -- its JSON, packed as documents are (store::doc)
        PRIMARY KEY (rid, n)
    ) STRICT, WITHOUT ROWID;
    ALTER TABLE customers ADD COLUMN ledger_len INTEGER NOT NULL DEFAULT 0;
    INSERT INTO counters (name, value) VALUES ('ledger_stale', 1);
    "#,
    // 8: when each user last signed in, for the Users view (`GET /api/users`).
    r#"
    ALTER TABLE users ADD COLUMN last_sign_in INTEGER;
    "#,
    // 9: the `Email` and `Phone` filters (store::contacts): each customer's e-mail folded
    // and phone number normalised; a trigram index over the phone numbers and the e-mails'
    // domains, and a word index (store::words) of the pieces of the e-mails' local parts, so
    // a part of either is found as fast as a name. Filled at open by the rebuild the mark
    // asks for.
    r#"
    CREATE TABLE contact_text (
        rid INTEGER PRIMARY KEY, email TEXT, phone TEXT, domain TEXT) STRICT;
    CREATE INDEX contact_text_phone ON contact_text(phone) WHERE phone IS NOT NULL;
    CREATE VIRTUAL TABLE contact_grams USING fts5(
        phone, domain, tokenize = 'trigram', detail = full,
        content = 'contact_text', content_rowid = 'rid', columnsize = 0);
    CREATE TABLE email_words (
        id INTEGER PRIMARY KEY, word TEXT NOT NULL UNIQUE, uses INTEGER NOT NULL) STRICT;
    CREATE VIRTUAL TABLE email_word_grams USING fts5(
        word, tokenize = 'trigram', detail = full,
        content = 'email_words', content_rowid = 'id', columnsize = 0);
    CREATE TABLE email_postings (key INTEGER PRIMARY KEY, rids BLOB NOT NULL) STRICT;
    INSERT OR REPLACE INTO counters (name, value) VALUES ('search_stale', 1);
    "#,
    // 10: counted keys (store::counted): every ordered key cut into blocks of index entries
    // with their counts, so that a count of a range and the entry at a rank cost a
    // logarithm; and trigram indexes over external ids and card serial numbers
    // (store::codes) for `like`. Both are built at the next open.
    r#"
    CREATE TABLE count_blocks (
        key      INTEGER NOT NULL,      -- the place of the key in store::counted::KEYS
        start    BLOB NOT NULL,         -- where the block starts, as order-keeping bytes
        start_key ANY,                  -- the same as (value, id); both NULL for the first
        start_id TEXT,
        n        INTEGER NOT NULL,      -- how many index entries the block holds
        PRIMARY KEY (key, start)
    ) WITHOUT ROWID, STRICT;
    CREATE VIRTUAL TABLE code_grams_external_id USING fts5(
        code, tokenize = 'trigram', detail = none, content = '', contentless_delete = 1);
    CREATE VIRTUAL TABLE code_grams_cards USING fts5(
        code, tokenize = 'trigram', detail = none, content = '', contentless_delete = 1);
    -- How many codes held each trigram when the indexes were last built, so that a pattern
    -- is looked up by its rarest ones (store::codes); read from the vocabularies below,
    -- which count by reading each trigram's whole list.
    CREATE VIRTUAL TABLE code_grams_external_id_vocab
        USING fts5vocab(code_grams_external_id, row);
    CREATE VIRTUAL TABLE code_grams_cards_vocab USING fts5vocab(code_grams_cards, row);
    CREATE TABLE code_gram_uses (
        codes TEXT NOT NULL, gram TEXT NOT NULL, uses INTEGER NOT NULL,
        PRIMARY KEY (codes, gram)
    ) WITHOUT ROWID, STRICT;
    INSERT OR REPLACE INTO counters (name, value) VALUES ('counted_stale', 1);
    INSERT OR REPLACE INTO counters (name, value) VALUES ('codes_stale', 1);
    "#,
    // 11: zones of the `id` blocks (store::counted::zones: the least and greatest value of
    // each filtered column in a block, so a filtered page in id order skips blocks), and
    // the pairs of one customer's card numbers that follow each other, counted by both
    // ends, so that customers with a card in a range are counted (store::counted::cards).
    // Built at the next open.
    r#"
    ALTER TABLE count_blocks ADD COLUMN zone BLOB;
    CREATE TABLE card_pairs (
        low  TEXT PRIMARY KEY,          -- a card's serial number
        high TEXT NOT NULL              -- the next one of the same customer's cards
    ) WITHOUT ROWID, STRICT;
    CREATE UNIQUE INDEX card_pairs_high ON card_pairs(high);
    INSERT OR REPLACE INTO counters (name, value) VALUES ('counted_stale', 1);
    "#,
    // 12: the code indexes merged into one segment each, as their builds now leave them
    // (store::codes::rebuild), so that the writes after a bulk load do not finish the
    // build's merges (up to 2,000 pages and 375 ms in one create).
    super::codes::MERGE_INTO_ONE_SEGMENT,
    // 13: the moves of counted keys that wait to be folded into their blocks
    // (store::counted::moves): a write appends them here instead of updating a block of
    // every key, each on a page of its own.
    r#"
    CREATE TABLE count_moves (
        key   INTEGER NOT NULL,         -- the place of the key in store::counted::KEYS
        start BLOB NOT NULL,            -- the start of the block the entry moved in or out of
        d     INTEGER NOT NULL          -- +1 or -1
    ) STRICT;
    "#,
];

/// One index per sort key, ending in `id`, the tie-breaker, so that a page deep in the set is
/// an index walk. Text keys are folded (case and diacritics) the way people sort names. They
/// are not part of a migration: [`ensure_sort_indexes`] creates any that are missing at every
/// open, so a bulk load may drop them and rebuild them at the end, even after a crash.
pub const SORT_INDEXES: &[(&str, &str)] = &[
    (
        "customers_sort_external_id",
        "customers(fold(external_id), id)",
    ),
    ("customers_sort_is_active", "customers(is_active, id)"),
    (
        "customers_sort_activation_time",
        "customers(activation_time, id)",
    ),
    (
        "customers_sort_expiration_time",
        "customers(expiration_time, id)",
    ),
    (
        "customers_sort_first_name",
        "customers(fold(first_name), id)",
    ),
    ("customers_sort_last_name", "customers(fold(last_name), id)"),
    ("customers_sort_full_name", "customers(fold(full_name), id)"),
    ("customers_sort_gender", "customers(fold(gender), id)"),
    ("customers_sort_birth_date", "customers(birth_date, id)"),
    ("customers_sort_email", "customers(fold(email), id)"),
    ("customers_sort_phone", "customers(fold(phone), id)"),
    ("customers_sort_is_company", "customers(is_company, id)"),
    ("customers_sort_credit_rate", "customers(credit_rate, id)"),
    (
        "customers_sort_discount_rate",
        "customers(discount_rate, id)",
    ),
    ("customers_sort_note", "customers(fold(note), id)"),
    (
        "customers_sort_company_name",
        "customers(fold(company_name), id)",
    ),
    (
        "customers_sort_credit_amount",
        "customers(credit_amount, id)",
    ),
];

/// Creates the sort indexes that do not exist.
///
/// Connections keep temporary data in memory (`temp_store = MEMORY`), and then SQLite's
/// sorter neither spills nor uses helper threads: it sorts all of an index's keys at once, on
/// this thread, in one linked list of separately allocated records. The builds therefore run
/// with temporary files, a small sorter budget and two helper threads, so that runs of keys
/// are sorted on the other cores while this thread reads the table, and merged in a tree.
/// This builds the indexes of 1,000,000 customers in about two thirds of the time.
pub fn ensure_sort_indexes(conn: &Connection, map: bool) -> rusqlite::Result<()> {
    let mut missing = Vec::new();
    for (name, definition) in SORT_INDEXES {
        if !index_exists(conn, name)? {
            missing.push((name, definition));
        }
    }
    if missing.is_empty() {
        return Ok(());
    }
    // The connection's own settings, to put back afterwards. A database in memory has no
    // map (and no row for it).
    // Mapping the table counts the whole file in the process's resident memory while it is
    // read: a desk (a replica's first pull, an open after a load was cut short) builds
    // without it.
    let settings: &[(&str, i64)] = if map {
        &BUILD_SETTINGS
    } else {
        &DESK_BUILD_SETTINGS
    };
    let mut own = Vec::with_capacity(settings.len());
    for (name, _) in settings {
        let value: Option<i64> = conn
            .query_row(&format!("PRAGMA {name}"), [], |r| r.get(0))
            .optional()?;
        own.push((name, value));
    }
    for (name, value) in settings {
        conn.execute_batch(&format!("PRAGMA {name} = {value}"))?;
    }
    let built = missing.iter().try_for_each(|(name, definition)| {
        conn.execute_batch(&format!("CREATE INDEX {name} ON {definition}"))
    });
    let restored = own
        .iter()
        .filter_map(|(name, value)| value.map(|value| (name, value)))
        .try_for_each(|(name, value)| conn.execute_batch(&format!("PRAGMA {name} = {value}")));
    built.and(restored)
}

/// Whether the index `name` exists.
pub(super) fn index_exists(conn: &Connection, name: &str) -> rusqlite::Result<bool> {
    conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM sqlite_schema WHERE type = 'index' AND name = ?1)",
        [name],
        |r| r.get(0),
    )
}

/// Whether the word index is marked as behind `search_text` ([`mark_search_index_stale`]).
pub(super) fn search_index_marked_stale(conn: &Connection) -> rusqlite::Result<bool> {
    marked(conn, "search_stale")
}

/// The settings index builds run under (see [`ensure_sort_indexes`]):
/// - temporary files (`temp_store` 1) and two helper threads for the sorter;
/// - the sorter's budget is the page cache size, and 8 MiB runs, measured against 2 to
///   256 MiB, were as fast as any;
/// - each build reads the whole table, so it is mapped into memory instead of copied page by
///   page (a desk's connections map nothing): 0.4–1.4 s less system time at 1M customers.
const BUILD_SETTINGS: [(&str, i64); 4] = [
    ("temp_store", 1),
    ("threads", 2),
    ("cache_size", -8192),
    ("mmap_size", 4_294_967_296),
];

/// A desk's builds: no map, and 4 MiB runs. The sorter holds a run on each of its three
/// threads at once, and this build is the last step of a first sync: with 8 MiB runs the
/// window peaked at 275 MB, with 4 MiB at 257–268 MB (runs of 2 to 256 MiB built as fast,
/// as measured above).
const DESK_BUILD_SETTINGS: [(&str, i64); 3] =
    [("temp_store", 1), ("threads", 2), ("cache_size", -4096)];

/// Drops the sort indexes (before a bulk load into an empty store).
/// `keep` names one to leave in place and kept up to date row by row.
pub fn drop_sort_indexes(conn: &Connection, keep: Option<&str>) -> rusqlite::Result<()> {
    for (name, _) in SORT_INDEXES {
        if Some(*name) != keep {
            conn.execute_batch(&format!("DROP INDEX IF EXISTS {name}"))?;
        }
    }
    Ok(())
}

/// The sort index a load kept searchable leaves in place: the grid's first order (by full
/// name), so that the window's search and first page walk it while a first sync runs.
pub const LIVE_SORT_INDEX: &str = "customers_sort_full_name";

/// Marks the search index as behind `search_text`, before a bulk load that defers indexing
/// (`store::bulk`). Every open rebuilds a marked
/// index, so a load cut short still leaves every customer searchable.
pub fn mark_search_index_stale(conn: &Connection) -> rusqlite::Result<()> {
    conn.execute_batch("INSERT OR REPLACE INTO counters (name, value) VALUES ('search_stale', 1)")
}

/// Rebuilds the search index from `search_text` in one pass and clears the mark.
pub fn rebuild_search_index(conn: &Connection) -> rusqlite::Result<()> {
    super::words::rebuild(conn)?;
    super::contacts::rebuild(conn)?;
    conn.execute_batch("DELETE FROM counters WHERE name = 'search_stale'")
}

/// Replaces the search index with one worked out beforehand from the same `search_text`
/// ([`compute_search_index`]) and clears the mark.
pub fn replace_search_index(conn: &Connection, index: WordIndex) -> rusqlite::Result<()> {
    super::words::write_all(conn, index)?;
    super::contacts::rebuild(conn)?;
    conn.execute_batch("DELETE FROM counters WHERE name = 'search_stale'")
}

/// Works out the whole search index from `search_text` without writing anything, so that it
/// can be done on a read connection while the writer is busy.
pub fn compute_search_index(conn: &Connection) -> rusqlite::Result<WordIndex> {
    super::words::compute_all(conn)
}

/// The schema version this program writes.
pub const SCHEMA_VERSION: usize = MIGRATIONS.len();

/// Whether the counter `name` marks work still to do.
fn marked(conn: &Connection, name: &str) -> rusqlite::Result<bool> {
    conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM counters WHERE name = ?1)",
        [name],
        |r| r.get(0),
    )
}

/// The `application_id` of a Customer Desk store ("CDSK"), so that another program's SQLite
/// file is told apart from ours.
pub const APPLICATION_ID: i32 = 0x4344_534b;

/// Why a database file is not opened as a store, if it is not one this program may change:
/// another program's SQLite file, or a store of a newer schema than this program knows.
pub fn refusal(conn: &Connection) -> rusqlite::Result<Option<String>> {
    let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    let id: i32 = conn.query_row("PRAGMA application_id", [], |r| r.get(0))?;
    let tables: i64 = conn.query_row("SELECT count(*) FROM sqlite_schema", [], |r| r.get(0))?;
    if version > SCHEMA_VERSION as i64 {
        return Ok(Some(format!(
            "it was written by a newer Customer Desk (schema version {version}; this one knows up to {SCHEMA_VERSION}): update Customer Desk"
        )));
    }
    // Stores made before the id was set carry a schema version and no id: they are ours.
    let ours = id == APPLICATION_ID || (id == 0 && (version > 0 || tables == 0));
    if !ours {
        return Ok(Some(if id == 0 {
            "it is another program's SQLite database, not a Customer Desk store".to_owned()
        } else {
            format!(
                "it is another program's SQLite database (application id {id:#x}), not a Customer Desk store"
            )
        }));
    }
    Ok(None)
}

/// A store error met while migrating, as the SQLite error `migrate` answers with.
fn store_error(e: super::Error) -> rusqlite::Error {
    match e {
        super::Error::Sqlite(e) => e,
        other => rusqlite::Error::ModuleError(other.to_string()),
    }
}

/// Applies the migrations the database has not seen yet.
pub fn migrate(conn: &mut Connection) -> rusqlite::Result<()> {
    let current: usize =
        conn.query_row("PRAGMA user_version", [], |r| r.get::<_, i64>(0))? as usize;
    if current == 0 {
        conn.pragma_update(None, "application_id", APPLICATION_ID)?;
    }
    for (index, sql) in MIGRATIONS.iter().enumerate().skip(current) {
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", (index + 1) as i64)?;
        tx.commit()?;
    }
    // Work a migration (or a bulk load cut short) left marked for the next open.
    if marked(conn, "search_stale")? {
        let tx = conn.transaction()?;
        rebuild_search_index(&tx)?;
        tx.commit()?;
    }
    if marked(conn, "feed_stale")? {
        let tx = conn.transaction()?;
        super::feed::fill(&tx).map_err(store_error)?;
        tx.commit()?;
    }
    if marked(conn, "ledger_stale")? {
        let tx = conn.transaction()?;
        super::customers::move_inline_ledgers(&tx).map_err(store_error)?;
        tx.execute_batch("DELETE FROM counters WHERE name = 'ledger_stale'")?;
        tx.commit()?;
    }
    if marked(conn, "docs_stale")? {
        let tx = conn.transaction()?;
        super::customers::upgrade_docs(&tx).map_err(store_error)?;
        tx.execute_batch("DELETE FROM counters WHERE name = 'docs_stale'")?;
        tx.commit()?;
    }
    if conn.query_row("PRAGMA application_id", [], |r| r.get::<_, i32>(0))? == 0 {
        conn.pragma_update(None, "application_id", APPLICATION_ID)?;
    }
    ensure_sort_indexes(conn, false)?;
    // A store damaged where the blocks or an index lie still opens, for reading and for the
    // integrity check to report it: its counts are marked stale, so lists take the plain
    // path, and `doctor --fix` builds them again with the indexes.
    if let Err(e) = ensure_counted(conn) {
        tracing::warn!(error = %e, "the counted keys could not be checked at open");
        if let Err(e) = mark_counted_stale(conn) {
            tracing::warn!(error = %e, "the counted keys could not be marked stale");
        }
    }
    Ok(())
}

/// Builds the counted keys' blocks and the code indexes when they are marked stale, and
/// rebuilds the blocks when they do not add up to the entries of their indexes: every open
/// does this, after the sort indexes exist, so a load cut short or a fault never leaves a
/// wrong count behind.
pub fn ensure_counted(conn: &mut Connection) -> rusqlite::Result<()> {
    let mut rebuilt = false;
    if super::codes::is_stale(conn)? {
        let tx = conn.transaction()?;
        super::codes::rebuild(&tx)?;
        tx.commit()?;
        rebuilt = true;
    } else if super::codes::estimates_behind(conn)? {
        let tx = conn.transaction()?;
        super::codes::estimate_uses(&tx)?;
        tx.commit()?;
    }
    if super::counted::is_stale(conn)? || !super::counted::add_up(conn)? {
        let tx = conn.transaction()?;
        super::counted::rebuild(&tx)?;
        tx.commit()?;
        rebuilt = true;
    }
    // A rebuild of a large store leaves a log of some hundred MB: copied back now, so that
    // the store takes no more room than its data and the first edits copy nothing.
    if rebuilt && !super::checkpoint::truncate_log(conn)? {
        tracing::debug!("the log was still in use after the counted keys were built");
    }
    Ok(())
}

/// Marks the counted keys and the code indexes stale, before a bulk load that builds them
/// at its end ([`ensure_counted`]).
pub fn mark_counted_stale(conn: &Connection) -> rusqlite::Result<()> {
    super::counted::mark_stale(conn)?;
    super::codes::mark_stale(conn)
}
