//! Customer rows: the indexed columns, the card table, the search text and the JSON document,
//! always written together.

use std::sync::LazyLock;

use chrono::{DateTime, Utc};
use rusqlite::types::{ToSqlOutput, Value, ValueRef};
use rusqlite::{
    CachedStatement, Connection, OptionalExtension, Statement, params, params_from_iter,
};

use super::codes::{self, Codes};
use super::decimal::to_micros;
use super::{Error, Result, Snapshot, Tx};
use crate::model::{Customer, CustomerStatus};
use crate::text::fold;

/// The document as stored in a customer's row: the customer's JSON exactly as the API writes
/// it, nulls included (so that a list can be answered from it without parsing, `api_json`),
/// but for its ledger, which lives in a table of its own (`store::ledger`). Its `status` is
/// replaced by the one worked out at read time.
pub fn encode_doc(customer: &Customer) -> Result<Vec<u8>> {
    let json = serde_json::to_vec(customer).map_err(|e| Error::Encode(e.to_string()))?;
    super::doc::pack(&super::ledger::strip(json, &customer.credit_transactions)?)
}

/// The whole customer, ledger included, as one document: what a replica keeps of the
/// server's versions (its shadows and conflicts), which are no customer's row.
pub(super) fn encode_whole_doc(customer: &Customer) -> Result<Vec<u8>> {
    super::doc::pack(&serde_json::to_vec(customer).map_err(|e| Error::Encode(e.to_string()))?)
}

/// Reads a stored document back (its `status` is the one it was stored with). A customer
/// row's document holds no ledger: [`decode_row`] reads the customer whole.
pub fn decode_doc(bytes: &[u8]) -> Result<Customer> {
    serde_json::from_slice(&super::doc::unpack(bytes)?)
        .map_err(|e| Error::Corrupt(format!("stored customer is unreadable: {e}")))
}

/// The customer of row `rid` whose stored document is `doc` (from [`find_by_id`]), with
/// its ledger.
pub fn decode_row(snapshot: &Snapshot<'_>, rid: i64, doc: &[u8]) -> Result<Customer> {
    let mut customer = decode_doc(doc)?;
    with_ledger(snapshot.conn(), rid, &mut customer)?;
    Ok(customer)
}

/// The stored customer with this id, whole (ledger included), with its row id.
pub fn find_customer(snapshot: &Snapshot<'_>, id: &str) -> Result<Option<(i64, Customer)>> {
    find_by_id(snapshot, id)?
        .map(|(rid, doc)| Ok((rid, decode_row(snapshot, rid, &doc)?)))
        .transpose()
}

/// Puts the stored ledger of `rid` into `customer`, unless its document still carried one.
fn with_ledger(conn: &Connection, rid: i64, customer: &mut Customer) -> Result<()> {
    if customer.credit_transactions.is_empty() {
        customer.credit_transactions = super::ledger::read(conn, rid)?;
    }
    Ok(())
}

/// The text `Search` looks in: the searched fields folded, one per line so that no term
/// matches across two fields.
pub fn search_text(c: &Customer) -> String {
    let company = c.company.as_ref();
    let fields = [
        c.first_name.as_deref(),
        c.last_name.as_deref(),
        company.and_then(|c| c.name.as_deref()),
        company.and_then(|c| c.vat_id.as_deref()),
        company.and_then(|c| c.tax_id.as_deref()),
        c.note.as_deref(),
    ];
    let mut text = String::new();
    for field in fields.into_iter().flatten() {
        if !text.is_empty() {
            text.push('\n');
        }
        text.push_str(&fold(field).replace('\n', " "));
    }
    text
}

fn micros(d: rust_decimal::Decimal, member: &'static str) -> Result<i64> {
    to_micros(d).ok_or(Error::OutOfRange { member })
}

/// The indexed columns of `customers` (all but `rid`), in the order of [`column_values`].
pub(super) const COLUMNS: [&str; 20] = [
    "id",
    "external_id",
    "version",
    "is_active",
    "activation_time",
    "expiration_time",
    "first_name",
    "last_name",
    "full_name",
    "gender",
    "birth_date",
    "email",
    "phone",
    "is_company",
    "company_name",
    "credit_amount",
    "credit_rate",
    "discount_rate",
    "note",
    "ledger_len",
];

/// Where `ledger_len` is in [`COLUMNS`].
const LEDGER_LEN: usize = 19;
/// Where `external_id` is in [`COLUMNS`].
const EXTERNAL_ID: usize = 1;

static INSERT_COLUMNS: LazyLock<String> = LazyLock::new(|| {
    let places: Vec<String> = (1..=COLUMNS.len()).map(|n| format!("?{n}")).collect();
    format!(
        "INSERT INTO customers ({}) VALUES ({})",
        COLUMNS.join(", "),
        places.join(", ")
    )
});

static SELECT_COLUMNS: LazyLock<String> = LazyLock::new(|| {
    format!(
        "SELECT {} FROM customers WHERE rid = ?1",
        COLUMNS.join(", ")
    )
});

/// The customer's values of [`COLUMNS`]: times in microseconds, amounts and rates in
/// millionths ([`super::decimal`]), flags as 0 and 1.
fn column_values(c: &Customer) -> Result<[ValueRef<'_>; 20]> {
    fn text(t: Option<&str>) -> ValueRef<'_> {
        t.map_or(ValueRef::Null, |t| ValueRef::Text(t.as_bytes()))
    }
    let time = |t: Option<DateTime<Utc>>| {
        t.map_or(ValueRef::Null, |t| ValueRef::Integer(t.timestamp_micros()))
    };
    Ok([
        ValueRef::Text(c.id.as_bytes()),
        text(c.external_id.as_deref()),
        ValueRef::Integer(c.version),
        ValueRef::Integer(i64::from(c.is_active)),
        time(c.activation_time),
        time(c.expiration_time),
        text(c.first_name.as_deref()),
        text(c.last_name.as_deref()),
        text(c.full_name.as_deref()),
        text(c.gender.as_deref()),
        time(c.birth_date),
        text(c.email.as_deref()),
        text(c.phone.as_deref()),
        ValueRef::Integer(i64::from(c.is_company)),
        text(c.company.as_ref().and_then(|co| co.name.as_deref())),
        ValueRef::Integer(micros(c.credit.amount, "Credit.Amount")?),
        ValueRef::Integer(micros(c.credit_rate, "CreditRate")?),
        ValueRef::Integer(micros(c.discount_rate, "DiscountRate")?),
        text(c.note.as_deref()),
        ValueRef::Integer(c.credit_transactions.len() as i64),
    ])
}

/// Inserts a new customer (its id and external id must be free) and returns its row id.
pub fn insert(tx: &Tx<'_>, c: &Customer, doc: &[u8]) -> Result<i64> {
    let conn = tx.conn();
    let mut inserter = Inserter::new(conn, SearchIndexing::WithRow)?;
    let rid = inserter.insert(c, doc)?;
    inserter.finish()?;
    add_to_count(conn, 1)?;
    Ok(rid)
}

/// Moves the stored customer count by `delta` (bulk loads add once per batch).
pub(super) fn add_to_count(conn: &Connection, delta: i64) -> Result<()> {
    conn.prepare_cached("UPDATE counters SET value = value + ?1 WHERE name = 'customers'")?
        .execute([delta])?;
    Ok(())
}

/// When a new row's search text enters the word index (`store::words`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum SearchIndexing {
    /// With the row, in the same transaction: every write through the API.
    WithRow,
    /// With each batch of a bulk load, all its words at once (`super::bulk`): the store
    /// stays searchable while a load into an empty store runs (a replica's first sync).
    ByBatch,
    /// Later, by one rebuild of the whole index (`super::bulk`): a bulk load into an empty
    /// store, where that is several times faster.
    Deferred,
}

const INSERT_CARD: &str = "INSERT INTO cards (serial, customer_rid) VALUES (?1, ?2)";

/// Inserts new customers, with their documents, cards, search text and feed entries, without
/// counting them ([`add_to_count`]); [`Inserter::finish`] saves the feed's counter. A bulk load keeps one for a whole batch: it takes its four statements
/// from the connection's cache once, where looking each up for every customer cost a
/// sixteenth of the writer's time.
pub(super) struct Inserter<'c> {
    conn: &'c Connection,
    customer: CachedStatement<'c>,
    doc: CachedStatement<'c>,
    card: CachedStatement<'c>,
    text: CachedStatement<'c>,
    indexing: SearchIndexing,
    /// The search texts of the batch, for [`SearchIndexing::ByBatch`].
    texts: Vec<(i64, String)>,
    /// The feed seq handed out last, saved by `finish`.
    seq: i64,
}

impl<'c> Inserter<'c> {
    /// Takes the statements on `conn` (a transaction of the writer).
    pub(super) fn new(conn: &'c Connection, indexing: SearchIndexing) -> Result<Self> {
        Ok(Inserter {
            conn,
            customer: conn.prepare_cached(&INSERT_COLUMNS)?,
            doc: conn.prepare_cached("INSERT INTO customer_docs (rid, doc) VALUES (?1, ?2)")?,
            card: conn.prepare_cached(INSERT_CARD)?,
            text: conn.prepare_cached("INSERT INTO search_text (rid, text) VALUES (?1, ?2)")?,
            indexing,
            texts: Vec::new(),
            seq: super::feed::head_seq(conn)?,
        })
    }

    /// Saves the feed's counter past the seqs this inserter handed out, and indexes the
    /// words of a [`SearchIndexing::ByBatch`] batch.
    pub(super) fn finish(self) -> Result<()> {
        if !self.texts.is_empty() {
            let rows = self
                .texts
                .iter()
                .map(|(rid, text)| (*rid, super::words::words_of(text)));
            super::words::index_many(self.conn, super::words::SEARCH, rows)?;
        }
        super::feed::set_head_seq(self.conn, self.seq)
    }

    /// Inserts `c`, stored as `doc`, and returns its row id.
    pub(super) fn insert(&mut self, c: &Customer, doc: &[u8]) -> Result<i64> {
        let values = column_values(c)?;
        self.customer
            .execute(params_from_iter(values.map(ToSqlOutput::Borrowed)))?;
        let rid = self.conn.last_insert_rowid();
        self.doc.execute(params![rid, doc])?;
        if !c.credit_transactions.is_empty() {
            super::ledger::write(self.conn, rid, 0, &c.credit_transactions)?;
        }
        add_cards(&mut self.card, rid, serials(c))?;
        let search = search_text(c);
        self.text.execute(params![rid, search])?;
        match self.indexing {
            SearchIndexing::WithRow => super::words::index(self.conn, rid, &search)?,
            SearchIndexing::ByBatch => self.texts.push((rid, search)),
            SearchIndexing::Deferred => {}
        }
        if self.indexing != SearchIndexing::Deferred {
            super::contacts::index(self.conn, rid, c)?;
        }
        if self.indexing == SearchIndexing::WithRow {
            super::counted::on_write(self.conn, None, Some(&values))?;
            super::counted::on_cards(self.conn, &c.id, &[], &serials(c).collect::<Vec<_>>())?;
            if let Some(external_id) = c.external_id.as_deref() {
                codes::add(self.conn, Codes::ExternalId, rid, external_id)?;
            }
            codes::add(self.conn, Codes::Cards, rid, &card_codes(c))?;
            // A bulk load into an empty store builds these and fills the feed in one pass
            // at its end (`feed::fill`).
            self.seq += 1;
            super::feed::record(self.conn, self.seq, &c.id, c.version, false)?;
        }
        Ok(rid)
    }
}

/// Replaces the stored customer at `rid`.
pub fn update(tx: &Tx<'_>, rid: i64, c: &Customer, doc: &[u8]) -> Result<()> {
    let conn = tx.conn();
    // Only the columns whose value changed: SQLite rewrites the entries of every index on a
    // column named in SET, and an edit usually changes one or two of the 19.
    super::replica::keep_shadow_doc(conn, &c.id, rid)?;
    let values = column_values(c)?;
    let stored: Vec<Value> = conn
        .prepare_cached(&SELECT_COLUMNS)?
        .query_row([rid], |r| (0..COLUMNS.len()).map(|i| r.get(i)).collect())?;
    let changed: Vec<usize> = (0..COLUMNS.len())
        .filter(|&i| values[i] != ValueRef::from(&stored[i]))
        .collect();
    if !changed.is_empty() {
        let set: Vec<String> = (1..)
            .zip(&changed)
            .map(|(n, &i)| format!("{} = ?{n}", COLUMNS[i]))
            .collect();
        let sql = format!(
            "UPDATE customers SET {} WHERE rid = ?{}",
            set.join(", "),
            changed.len() + 1
        );
        conn.prepare_cached(&sql)?.execute(params_from_iter(
            changed
                .iter()
                .map(|&i| values[i])
                .chain(std::iter::once(ValueRef::Integer(rid)))
                .map(ToSqlOutput::Borrowed),
        ))?;
        // After the row: a block that splits walks the index as it now is.
        let stored_refs: Vec<ValueRef<'_>> = stored.iter().map(ValueRef::from).collect();
        super::counted::on_write(conn, Some(&stored_refs), Some(&values))?;
    }
    conn.prepare_cached("UPDATE customer_docs SET doc = ?1 WHERE rid = ?2")?
        .execute(params![doc, rid])?;
    let stored_ledger_len = match stored[LEDGER_LEN] {
        Value::Integer(n) => usize::try_from(n).unwrap_or(0),
        _ => 0,
    };
    super::ledger::write(conn, rid, stored_ledger_len, &c.credit_transactions)?;
    if update_cards(conn, rid, &c.id, c)? {
        codes::set(conn, Codes::Cards, rid, Some(&card_codes(c)))?;
    }
    if changed.contains(&EXTERNAL_ID) {
        codes::set(conn, Codes::ExternalId, rid, c.external_id.as_deref())?;
    }
    let seq = super::feed::next_seq(conn)?;
    super::feed::record(conn, seq, &c.id, c.version, false)?;
    super::contacts::reindex(conn, rid, c)?;
    let old = stored_search_text(conn, rid)?.unwrap_or_default();
    let new = search_text(c);
    if new != old {
        super::words::reindex(conn, rid, &old, &new)?;
        conn.prepare_cached("INSERT OR REPLACE INTO search_text (rid, text) VALUES (?1, ?2)")?
            .execute(params![rid, new])?;
    }
    Ok(())
}

/// The serial numbers of the customer's cards.
fn serials(c: &Customer) -> impl Iterator<Item = &str> {
    c.cards
        .iter()
        .filter_map(|card| card.serial_number.as_deref())
}

/// Gives customer `rid` the cards with these serial numbers, through `add` ([`INSERT_CARD`]).
fn add_cards<'a>(
    add: &mut Statement<'_>,
    rid: i64,
    serials: impl Iterator<Item = &'a str>,
) -> Result<()> {
    for serial in serials {
        add.execute(params![serial, rid])?;
    }
    Ok(())
}

/// The customer's serial numbers as its row of the card code index (`store::codes`).
fn card_codes(c: &Customer) -> String {
    serials(c).collect::<Vec<_>>().join("\n")
}

/// Brings the customer's rows in `cards` in line with its cards: only serial numbers it lost
/// or gained are written. Returns whether any were.
fn update_cards(conn: &Connection, rid: i64, id: &str, c: &Customer) -> Result<bool> {
    let stored: Vec<String> = conn
        .prepare_cached("SELECT serial FROM cards WHERE customer_rid = ?1")?
        .query_map([rid], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    let serials: Vec<&str> = serials(c).collect();
    let mut remove = conn.prepare_cached("DELETE FROM cards WHERE serial = ?1")?;
    let mut changed = false;
    for gone in stored.iter().filter(|s| !serials.contains(&s.as_str())) {
        remove.execute([gone])?;
        changed = true;
    }
    let current = serials.clone();
    let new: Vec<&str> = serials
        .into_iter()
        .filter(|s| !stored.iter().any(|t| t == s))
        .collect();
    changed |= !new.is_empty();
    add_cards(
        &mut *conn.prepare_cached(INSERT_CARD)?,
        rid,
        new.into_iter(),
    )?;
    if changed {
        let stored: Vec<&str> = stored.iter().map(String::as_str).collect();
        super::counted::on_cards(conn, id, &stored, &current)?;
    }
    Ok(changed)
}

/// The search text stored for customer `rid`, if any.
fn stored_search_text(conn: &Connection, rid: i64) -> Result<Option<String>> {
    Ok(conn
        .prepare_cached("SELECT text FROM search_text WHERE rid = ?1")?
        .query_row([rid], |r| r.get(0))
        .optional()?)
}

fn delete_search(conn: &Connection, rid: i64) -> Result<()> {
    if let Some(old) = stored_search_text(conn, rid)? {
        super::words::unindex(conn, rid, &old)?;
    }
    super::contacts::unindex(conn, rid)?;
    conn.prepare_cached("DELETE FROM search_text WHERE rid = ?1")?
        .execute([rid])?;
    Ok(())
}

/// Deletes the customer at `rid` with its cards and search text.
pub fn delete(tx: &Tx<'_>, rid: i64) -> Result<()> {
    let conn = tx.conn();
    // The tombstone keeps the id and the last version.
    let (id, version): (String, i64) = conn
        .prepare_cached("SELECT id, version FROM customers WHERE rid = ?1")?
        .query_row([rid], |r| Ok((r.get(0)?, r.get(1)?)))?;
    let stored: Vec<Value> = conn
        .prepare_cached(&SELECT_COLUMNS)?
        .query_row([rid], |r| (0..COLUMNS.len()).map(|i| r.get(i)).collect())?;
    codes::set(conn, Codes::ExternalId, rid, None)?;
    codes::set(conn, Codes::Cards, rid, None)?;
    let seq = super::feed::next_seq(conn)?;
    super::feed::record(conn, seq, &id, version, true)?;
    super::replica::keep_shadow_doc(conn, &id, rid)?;
    delete_search(conn, rid)?;
    super::ledger::delete(conn, rid)?;
    let cards: Vec<String> = conn
        .prepare_cached("DELETE FROM cards WHERE customer_rid = ?1 RETURNING serial")?
        .query_map([rid], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    let cards: Vec<&str> = cards.iter().map(String::as_str).collect();
    super::counted::on_cards(conn, &id, &cards, &[])?;
    conn.prepare_cached("DELETE FROM customer_docs WHERE rid = ?1")?
        .execute([rid])?;
    conn.prepare_cached("DELETE FROM customers WHERE rid = ?1")?
        .execute([rid])?;
    let stored_refs: Vec<ValueRef<'_>> = stored.iter().map(ValueRef::from).collect();
    super::counted::on_write(conn, Some(&stored_refs), None)?;
    add_to_count(conn, -1)?;
    Ok(())
}

/// Takes the card `serial` away from whichever customer but `keeping_id` has it (a replica
/// making room for the server's owner of it).
pub(super) fn take_card(conn: &Connection, serial: &str, keeping_id: &str) -> Result<()> {
    let holder: Option<(i64, String)> = conn
        .prepare_cached(
            "SELECT c.rid, c.id FROM cards k JOIN customers c ON c.rid = k.customer_rid \
             WHERE k.serial = ?1 AND c.id <> ?2",
        )?
        .query_row(params![serial, keeping_id], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    let Some((rid, id)) = holder else {
        return Ok(());
    };
    let stored: Vec<String> = conn
        .prepare_cached("SELECT serial FROM cards WHERE customer_rid = ?1")?
        .query_map([rid], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    conn.prepare_cached("DELETE FROM cards WHERE serial = ?1")?
        .execute([serial])?;
    let before: Vec<&str> = stored.iter().map(String::as_str).collect();
    let after: Vec<&str> = before.iter().copied().filter(|s| *s != serial).collect();
    super::counted::on_cards(conn, &id, &before, &after)?;
    Ok(())
}

/// Takes the external id `external_id` away from whichever customer but `keeping_id` has
/// it (a replica making room for the server's owner of it), outside the row's document.
pub(super) fn take_external_id(
    conn: &Connection,
    external_id: &str,
    keeping_id: &str,
) -> Result<()> {
    let holder: Option<i64> = conn
        .prepare_cached("SELECT rid FROM customers WHERE external_id = ?1 AND id <> ?2")?
        .query_row(params![external_id, keeping_id], |r| r.get(0))
        .optional()?;
    let Some(rid) = holder else {
        return Ok(());
    };
    let stored: Vec<Value> = conn
        .prepare_cached(&SELECT_COLUMNS)?
        .query_row([rid], |r| (0..COLUMNS.len()).map(|i| r.get(i)).collect())?;
    let mut cleared = stored.clone();
    cleared[EXTERNAL_ID] = Value::Null;
    let before: Vec<ValueRef<'_>> = stored.iter().map(ValueRef::from).collect();
    let after: Vec<ValueRef<'_>> = cleared.iter().map(ValueRef::from).collect();
    codes::set(conn, Codes::ExternalId, rid, None)?;
    conn.prepare_cached("UPDATE customers SET external_id = NULL WHERE rid = ?1")?
        .execute([rid])?;
    super::counted::on_write(conn, Some(&before), Some(&after))?;
    Ok(())
}

/// The stored customer with this id, with its row id and raw document.
pub fn find_by_id(snapshot: &Snapshot<'_>, id: &str) -> Result<Option<(i64, Vec<u8>)>> {
    Ok(snapshot
        .conn()
        .prepare_cached(
            // A subquery, not a join: SQLite (with STAT4) prepares a join that compares a
            // parameter again at every binding, which cost a create or an import row ~30 µs.
            "SELECT c.rid, (SELECT d.doc FROM customer_docs d WHERE d.rid = c.rid) FROM customers c WHERE c.id = ?1",
        )?
        .query_row([id], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?)
}

/// The id of the customer holding the card `serial`.
pub fn card_owner(snapshot: &Snapshot<'_>, serial: &str) -> Result<Option<String>> {
    Ok(snapshot
        .conn()
        .prepare_cached(
            // A subquery, not a join (see `find_by_id`).
            "SELECT (SELECT c.id FROM customers c WHERE c.rid = k.customer_rid) FROM cards k WHERE k.serial = ?1",
        )?
        .query_row([serial], |r| r.get(0))
        .optional()?)
}

/// The id of the customer with this external id.
pub fn external_id_owner(snapshot: &Snapshot<'_>, external_id: &str) -> Result<Option<String>> {
    Ok(snapshot
        .conn()
        .prepare_cached("SELECT id FROM customers WHERE external_id = ?1")?
        .query_row([external_id], |r| r.get(0))
        .optional()?)
}

/// A stored customer whose document cannot be read (damaged on disk, or written by hand):
/// lists leave it out and say so, and `customer-desk doctor` lists and removes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Damaged {
    pub rid: i64,
    pub id: String,
    /// What was wrong with the document.
    pub reason: String,
}

/// The customers of some rows, and the rows whose documents could not be read.
#[derive(Debug, Default)]
pub struct Loaded<T> {
    pub customers: T,
    pub damaged: Vec<Damaged>,
}

fn missing_doc() -> Error {
    Error::Corrupt("the stored customer has no document".into())
}

/// The documents of the given rows, in the order given; damaged ones are left out and named.
pub fn load_docs(snapshot: &Snapshot<'_>, rids: &[i64]) -> Result<Loaded<Vec<Customer>>> {
    let mut stmt = snapshot.conn().prepare_cached(
        // A subquery, not a join (see `find_by_id`): this runs once per customer listed.
        "SELECT c.id, (SELECT d.doc FROM customer_docs d WHERE d.rid = c.rid), c.ledger_len
         FROM customers c WHERE c.rid = ?1",
    )?;
    let mut loaded = Loaded::<Vec<Customer>>::default();
    for &rid in rids {
        let (id, doc, ledger_len): (String, Option<Vec<u8>>, i64) =
            stmt.query_row([rid], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
        let customer = doc.ok_or_else(missing_doc).and_then(|doc| {
            let mut customer = decode_doc(&doc)?;
            if ledger_len > 0 {
                with_ledger(snapshot.conn(), rid, &mut customer)?;
            }
            Ok(customer)
        });
        match customer {
            Ok(customer) => loaded.customers.push(customer),
            Err(e) => loaded.damaged.push(Damaged {
                rid,
                id,
                reason: e.to_string(),
            }),
        }
    }
    Ok(loaded)
}

/// Rewrites every document stored in an older format in the current one (the API's own
/// shape), so that lists copy it instead of parsing it. A document that cannot be read is
/// left as it is, for whoever reads it to report. Returns how many were rewritten.
pub(super) fn upgrade_docs(conn: &Connection) -> Result<u64> {
    let rids: Vec<i64> = conn
        .prepare("SELECT rid FROM customer_docs WHERE substr(doc, 1, 1) <> x'02'")?
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    rewrite_rows(conn, &rids)
}

/// Moves the ledgers still inside stored documents (written before the ledger had a table
/// of its own) into `credit_ledger`. Returns how many customers had one.
pub(super) fn move_inline_ledgers(conn: &Connection) -> Result<u64> {
    let mut rids = Vec::new();
    {
        let mut stmt = conn.prepare("SELECT rid, doc FROM customer_docs")?;
        let mut rows = stmt.query([])?;
        while let Some(row) = rows.next()? {
            let Ok(json) =
                super::doc::unpack(row.get_ref(1)?.as_blob().map_err(rusqlite::Error::from)?)
            else {
                continue;
            };
            const KEY: &[u8] = b"\"creditTransactions\":[";
            let has_ledger = json
                .windows(KEY.len())
                .position(|w| w == KEY)
                .is_some_and(|at| json.get(at + KEY.len()) != Some(&b']'));
            if has_ledger {
                rids.push(row.get::<_, i64>(0)?);
            }
        }
    }
    rewrite_rows(conn, &rids)
}

/// Reads the documents of `rids` and stores them again as this version does (its format,
/// the ledger in its table); a document that cannot be read is left as it is, for whoever
/// reads it to report. Returns how many were rewritten.
fn rewrite_rows(conn: &Connection, rids: &[i64]) -> Result<u64> {
    let mut read = conn.prepare("SELECT doc FROM customer_docs WHERE rid = ?1")?;
    let mut write = conn.prepare("UPDATE customer_docs SET doc = ?2 WHERE rid = ?1")?;
    let mut count = conn.prepare("UPDATE customers SET ledger_len = ?2 WHERE rid = ?1")?;
    let mut rewritten = 0;
    for &rid in rids {
        let stored: Vec<u8> = read.query_row([rid], |r| r.get(0))?;
        let customer = match decode_doc(&stored) {
            Ok(customer) => customer,
            Err(error) => {
                tracing::warn!("customer row {rid} keeps its old document: {error}");
                continue;
            }
        };
        if !customer.credit_transactions.is_empty() {
            super::ledger::delete(conn, rid)?;
            super::ledger::write(conn, rid, 0, &customer.credit_transactions)?;
            count.execute(params![rid, customer.credit_transactions.len() as i64])?;
        }
        write.execute(params![rid, encode_doc(&customer)?])?;
        rewritten += 1;
    }
    Ok(rewritten)
}

/// The customers of `rids` as the API writes them, comma-separated, each with its `status`
/// as of `now`, with how many were written. A document stored in the API's shape is copied
/// with its status replaced, without parsing it; an older one is read and written again; one
/// that cannot be read is left out and named in `damaged`.
pub fn api_json(
    snapshot: &Snapshot<'_>,
    rids: &[i64],
    now: DateTime<Utc>,
) -> Result<Loaded<(Vec<u8>, usize)>> {
    let mut out = Vec::with_capacity(rids.len() * 1024);
    let mut written = 0;
    let mut damaged = Vec::new();
    let mut stmt = snapshot.conn().prepare_cached(
        // A subquery, not a join (see `find_by_id`): this runs once per customer listed.
        "SELECT (SELECT d.doc FROM customer_docs d WHERE d.rid = c.rid), c.activation_time,
                c.expiration_time, c.id, c.ledger_len
         FROM customers c WHERE c.rid = ?1",
    )?;
    for &rid in rids {
        let (doc, activation, expiration, id, ledger_len): StoredRow = stmt
            .query_row([rid], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
            })?;
        let status = CustomerStatus::of(
            activation.and_then(DateTime::from_timestamp_micros),
            expiration.and_then(DateTime::from_timestamp_micros),
            now,
        );
        let start = out.len();
        if written > 0 {
            out.push(b',');
        }
        let written_now = doc.ok_or_else(missing_doc).and_then(|doc| {
            let ledger = (ledger_len > 0).then_some((snapshot.conn(), rid));
            write_api_json(&doc, ledger, status, now, &mut out)
        });
        match written_now {
            Ok(()) => written += 1,
            Err(e) => {
                out.truncate(start);
                damaged.push(Damaged {
                    rid,
                    id,
                    reason: e.to_string(),
                });
            }
        }
    }
    Ok(Loaded {
        customers: (out, written),
        damaged,
    })
}

/// A row as [`api_json`] reads it: document, activation and expiration times, id and the
/// length of its ledger.
type StoredRow = (Option<Vec<u8>>, Option<i64>, Option<i64>, String, i64);

/// Writes one stored document as the API writes it, with `status`, and with the ledger of
/// `ledger` (the connection and row id) when it has one.
fn write_api_json(
    doc: &[u8],
    ledger: Option<(&Connection, i64)>,
    status: CustomerStatus,
    now: DateTime<Utc>,
    out: &mut Vec<u8>,
) -> Result<()> {
    if let Some(json) = super::doc::unpack_api_shaped(doc)? {
        let start = out.len();
        let copied = match ledger {
            None => write_with_status(&json, status, out),
            Some((conn, rid)) => {
                let mut with_status = Vec::with_capacity(json.len());
                write_with_status(&json, status, &mut with_status)
                    && super::ledger::write_spliced(conn, rid, &with_status, out)?
            }
        };
        if copied {
            return Ok(());
        }
        out.truncate(start);
    }
    let mut customer = decode_doc(doc)?;
    if let Some((conn, rid)) = ledger {
        with_ledger(conn, rid, &mut customer)?;
    }
    customer.status = customer.status_at(now);
    serde_json::to_writer(out, &customer).map_err(|e| Error::Encode(e.to_string()))?;
    Ok(())
}

/// Every stored customer whose document cannot be read, found by reading them all (for
/// `customer-desk doctor`; a million take some seconds).
pub fn find_damaged(snapshot: &Snapshot<'_>) -> Result<Vec<Damaged>> {
    let mut stmt = snapshot.conn().prepare(
        "SELECT c.rid, c.id, d.doc
         FROM customers c LEFT JOIN customer_docs d ON d.rid = c.rid",
    )?;
    let mut rows = stmt.query([])?;
    let mut damaged = Vec::new();
    while let Some(row) = rows.next()? {
        let (rid, id): (i64, String) = (row.get(0)?, row.get(1)?);
        let doc: Option<Vec<u8>> = row.get(2)?;
        let reason = doc
            .ok_or_else(missing_doc)
            .and_then(|doc| decode_doc(&doc))
            .err()
            .map(|e| e.to_string());
        if let Some(reason) = reason {
            damaged.push(Damaged { rid, id, reason });
        }
    }
    Ok(damaged)
}

/// The raw stored document of `rid`, as it is, for keeping a copy before it is removed.
pub fn raw_doc(snapshot: &Snapshot<'_>, rid: i64) -> Result<Option<Vec<u8>>> {
    Ok(snapshot
        .conn()
        .prepare_cached("SELECT doc FROM customer_docs WHERE rid = ?1")?
        .query_row([rid], |r| r.get(0))
        .optional()?)
}

/// The row and stored version of the customer with this id, without its document (which may
/// be damaged).
pub fn find_version(snapshot: &Snapshot<'_>, id: &str) -> Result<Option<(i64, i64)>> {
    Ok(snapshot
        .conn()
        .prepare_cached("SELECT rid, version FROM customers WHERE id = ?1")?
        .query_row([id], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?)
}

/// Writes a customer's JSON (as [`encode_doc`] stores it) with its top-level `status`
/// replaced; `false`, having written nothing, if the JSON has no such member.
///
/// The first `,"status":"` in the JSON is the customer's own: it comes before `cards` (which
/// have statuses too), and it cannot stand inside the strings before it, where every `"` is
/// written as `\"`.
fn write_with_status(json: &[u8], status: CustomerStatus, out: &mut Vec<u8>) -> bool {
    const KEY: &[u8] = b",\"status\":\"";
    let Some(start) = json.windows(KEY.len()).position(|w| w == KEY) else {
        return false;
    };
    let value = start + KEY.len();
    let Some(len) = json[value..].iter().position(|&b| b == b'"') else {
        return false;
    };
    out.extend_from_slice(&json[..value]);
    out.extend_from_slice(status.as_str().as_bytes());
    out.extend_from_slice(&json[value + len..]);
    true
}

/// How many customers there are (kept by the writes, not counted).
pub fn total_count(snapshot: &Snapshot<'_>) -> Result<u64> {
    count_of(snapshot.conn())
}

/// [`total_count`] on a connection of the store's own.
pub(super) fn count_of(conn: &Connection) -> Result<u64> {
    let n: i64 = conn
        .prepare_cached("SELECT value FROM counters WHERE name = 'customers'")?
        .query_row([], |r| r.get(0))?;
    Ok(n.max(0) as u64)
}
