//! The bench's filter and page kinds (every filter member and operator with its total
//! count, a page at any `$skip` for every sort key) and its grown store: one that reached
//! its size through API writes, each its own request, rather than one bulk load.

use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::Serialize;
use serde_json::json;

use crate::api::LocalApi;
use crate::model::Actor;
use crate::ndata::SortField;

/// Every filter member with each kind of operator, as (kind, query); each asks for a page
/// of 50 with its total count. The patterns and values change with the round: `{n}` is a
/// number picked per round.
pub(super) fn filter_kinds(total: u64) -> Vec<(String, String)> {
    let ext = |n: u64| format!("C{:08}", n);
    let kinds: Vec<(&str, String)> = vec![
        ("ExternalId eq", format!("ExternalId={}", ext(total / 3))),
        ("ExternalId ne", format!("ExternalId=ne:{}", ext(total / 3))),
        ("ExternalId gt", format!("ExternalId=gt:{}", ext(total / 4))),
        (
            "ExternalId between",
            format!("ExternalId=between:{}:{}", ext(total / 4), ext(total / 2)),
        ),
        (
            "ExternalId in",
            format!("ExternalId=in:{}:{}", ext(total / 5), ext(total / 7)),
        ),
        ("ExternalId null", "ExternalId=null".to_owned()),
        ("ExternalId notnull", "ExternalId=notnull".to_owned()),
        (
            "ExternalId like",
            format!("ExternalId=like:C{:06}", total / 700),
        ),
        (
            "ExternalId like, typed part",
            "ExternalId=like:{code}".to_owned(),
        ),
        (
            "CardSerialNumber eq",
            "CardSerialNumber={serial}".to_owned(),
        ),
        (
            "CardSerialNumber like",
            format!("CardSerialNumber=like:29{:06}", total / 900),
        ),
        (
            "CardSerialNumber like, typed part",
            "CardSerialNumber=like:{card}".to_owned(),
        ),
        (
            "CardSerialNumber gt",
            format!("CardSerialNumber=gt:29{:011}", total * 2),
        ),
        (
            "CardSerialNumber ge",
            format!("CardSerialNumber=ge:29{:011}", total * 3 + 1),
        ),
        (
            "CardSerialNumber lt",
            format!("CardSerialNumber=lt:29{:011}", total + 1),
        ),
        (
            "CardSerialNumber le",
            format!("CardSerialNumber=le:29{:011}", total * 2 + 1),
        ),
        (
            "CardSerialNumber between",
            format!(
                "CardSerialNumber=between:29{:011}:29{:011}",
                total + 1,
                total * 3 + 1
            ),
        ),
        ("CreditRate ge", "CreditRate=ge:1".to_owned()),
        ("CreditRate between", "CreditRate=between:0.5:3".to_owned()),
        ("CreditRate in", "CreditRate=in:0:1:2".to_owned()),
        (
            "DiscountRate between",
            "DiscountRate=between:5:10".to_owned(),
        ),
        (
            "DiscountRate between 10-20",
            "DiscountRate=between:10:20".to_owned(),
        ),
        ("DiscountRate eq", "DiscountRate=0".to_owned()),
        ("DiscountRate ne", "DiscountRate=ne:0".to_owned()),
        ("DiscountRate lt", "DiscountRate=lt:15".to_owned()),
        ("DiscountRate nin", "DiscountRate=nin:0:5".to_owned()),
        ("CreditAmount gt", "CreditAmount=gt:0".to_owned()),
        (
            "CreditAmount between",
            "CreditAmount=between:10:500".to_owned(),
        ),
        ("IsActive true", "IsActive=true".to_owned()),
        ("IsActive false", "IsActive=false".to_owned()),
        ("ExpirationTime null", "ExpirationTime=null".to_owned()),
        (
            "ExpirationTime notnull",
            "ExpirationTime=notnull".to_owned(),
        ),
        (
            "ExpirationTime lt",
            "ExpirationTime=lt:2026-01-01".to_owned(),
        ),
        (
            "ExpirationTime ge",
            "ExpirationTime=ge:2026-01-01".to_owned(),
        ),
        (
            "ExpirationTime between",
            "ExpirationTime=between:2025-01-01:2027-01-01".to_owned(),
        ),
        ("IsExpired true", "IsExpired=true".to_owned()),
        ("IsExpired false", "IsExpired=false".to_owned()),
    ];
    kinds
        .into_iter()
        .map(|(kind, query)| (format!("filter {kind}"), format!("{query}&$take=50")))
        .collect()
}

/// `query` with `{code}` and `{card}` made part of an external id or a card serial number
/// picked at random (four to seven characters, as a cashier types them), and `{serial}` a
/// whole serial number.
pub(super) fn for_round(query: &str, total: u64, rng: &mut StdRng) -> String {
    let n = rng.random_range(0..total.max(1));
    let whole_card = format!("29{:011}", n * 4);
    // The part that tells customers apart: demo codes start with the same digits
    // (`C00…`, `290000…`), which match every customer.
    let (ext_tail, card_tail) = (format!("{n:06}"), format!("{:07}", n * 4));
    let part = |whole: &str, rng: &mut StdRng| {
        let len = rng.random_range(4..=7usize).min(whole.len());
        let from = rng.random_range(0..=whole.len() - len);
        whole[from..from + len].to_owned()
    };
    query
        .replace("{code}", &part(&ext_tail, rng))
        .replace("{card}", &part(&card_tail, rng))
        .replace("{serial}", &whole_card)
}

/// A page of 50 at a `$skip` picked per round, for every sort key, ascending and descending
/// in turn: (kind, field name).
pub(super) fn page_kinds() -> Vec<(String, &'static str)> {
    SortField::ALL
        .iter()
        .map(|(_, name)| (format!("page at any $skip by {name}"), *name))
        .collect()
}

/// The query of a page kind in round `round`.
pub(super) fn page_query(field: &str, round: usize, total: u64, rng: &mut StdRng) -> String {
    let skip = rng.random_range(0..total.max(1));
    let desc = if round % 2 == 1 { ":desc" } else { "" };
    format!("$sort={field}{desc}&$skip={skip}&$take=50")
}

/// What growing the store through the API took.
#[derive(Debug, Clone, Serialize)]
pub struct GrowReport {
    pub creates: u64,
    pub updates: u64,
    pub seconds: f64,
    /// The creates' p50, p95 and p99, in milliseconds.
    pub create_ms: [f64; 3],
    /// The updates' p50, p95 and p99, in milliseconds.
    pub update_ms: [f64; 3],
}

/// Grows the store of `api` by `creates` new customers and then `updates` edits of
/// customers picked at random (names, rates, expiry and credit rate change, so every
/// counted key moves), each through the API as its own request. `first` is the number of
/// the first new demo customer.
pub(super) fn grow(
    api: &LocalApi,
    actor: &Actor,
    seed: u64,
    first: u64,
    creates: u64,
    updates: u64,
) -> anyhow::Result<GrowReport> {
    let started = Instant::now();
    let now = api.clock().now();
    let mut create_samples = Vec::with_capacity(creates as usize);
    for n in 0..creates {
        let mut customer = crate::demo::generate(seed, first + n, now);
        customer.id.clear();
        let body = serde_json::to_value(&customer)?;
        let t = Instant::now();
        api.create(actor, &body)?;
        create_samples.push(t.elapsed());
        if (n + 1) % 50_000 == 0 {
            eprintln!("  {} created ...", n + 1);
        }
    }
    let mut rng = StdRng::seed_from_u64(seed ^ 0x6752_4f57);
    let ids = api
        .store()
        .read(|s| crate::store::naive::sample_ids(s, updates as usize, &mut rng))?;
    let mut update_samples = Vec::with_capacity(updates as usize);
    for (n, id) in ids.iter().enumerate() {
        let mut body = serde_json::to_value(api.get(actor, id)?)?;
        let other = crate::demo::generate(seed ^ 0x5550, n as u64, now);
        body["lastName"] = json!(other.last_name);
        body["firstName"] = json!(other.first_name);
        body["discountRate"] = json!(rng.random_range(0..=20) * 5 % 35);
        body["creditRate"] = json!(rng.random_range(0..4));
        // None, or some day of the three years after now or the activation, if later.
        let activated = body["activationTime"]
            .as_str()
            .and_then(|t| t.parse::<chrono::DateTime<chrono::Utc>>().ok())
            .map_or(now, |t| t.max(now));
        let expires = (!rng.random_bool(0.3))
            .then(|| activated + chrono::Duration::days(rng.random_range(1..1100)));
        body["expirationTime"] = json!(expires);
        let t = Instant::now();
        api.upsert(actor, id, &body)?;
        update_samples.push(t.elapsed());
        if (n + 1) % 50_000 == 0 {
            eprintln!("  {} updated ...", n + 1);
        }
    }
    Ok(GrowReport {
        creates,
        updates,
        seconds: started.elapsed().as_secs_f64(),
        create_ms: tail(create_samples),
        update_ms: tail(update_samples),
    })
}

/// The p50, p95 and p99 of `samples`, in milliseconds: a p99 shows the writes that waited
/// for a checkpoint, one in a few hundred.
fn tail(mut samples: Vec<Duration>) -> [f64; 3] {
    samples.sort();
    [0.5, 0.95, 0.99].map(|q| super::bench::quantile(&samples, q))
}
