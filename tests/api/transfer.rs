//! Import and export through the library: a CSV export imports to the same customers
//! (property test over arbitrary customers), a cancel midway leaves the store as it was, and
//! matching by each key.

use std::path::Path;
use std::sync::Arc;

use chrono::{DateTime, TimeZone, Utc};
use customer_desk::api::{ImportError, LocalApi, MatchBy};
use customer_desk::clock::SystemClock;
use customer_desk::model::{Actor, Address, Card, Company, Coordinates, Customer, Rights};
use customer_desk::ndata::ListParams;
use customer_desk::store::Store;
use customer_desk::transfer::{self, ImportRequest, TransferError};
use proptest::prelude::*;
use rust_decimal::Decimal;
use serde_json::json;

fn admin() -> Actor {
    Actor::new("office", Rights::admin())
}

fn memory_api() -> LocalApi {
    LocalApi::new(Store::open_in_memory().unwrap(), Arc::new(SystemClock))
}

fn everyone(api: &LocalApi) -> Vec<Customer> {
    api.list(&admin(), &ListParams::from_query_string("$sort=id"))
        .unwrap()
        .items
        .unwrap()
}

fn export(api: &LocalApi, path: &Path) -> String {
    transfer::export_file(api, &admin(), &ListParams::new(), path, None, |_, _| true).unwrap();
    std::fs::read_to_string(path).unwrap()
}

fn import(api: &LocalApi, path: &Path, request: ImportRequest) -> transfer::ImportSummary {
    transfer::import_file(api, &admin(), path, request, |_, _| true).unwrap()
}

/// Text a person types into a name or note field: letters with diacritics, and the
/// characters CSV must quote (`,` `;` `"` and, in notes, line breaks).
fn text() -> impl Strategy<Value = String> {
    "[a-zA-ZáčďéíľňóšťúýžČŠŽ][a-zA-Z áčéíóšžČ,;\"'.|-]{0,12}"
}

fn opt_text() -> impl Strategy<Value = Option<String>> {
    proptest::option::of(text())
}

fn note() -> impl Strategy<Value = Option<String>> {
    proptest::option::of("[a-zA-Zá][a-zA-Z á,;\"\n\r\t]{0,30}")
}

fn amount(scale: u32, max: i64) -> impl Strategy<Value = Decimal> {
    (0..=max).prop_map(move |n| Decimal::new(n, scale))
}

fn time() -> impl Strategy<Value = Option<DateTime<Utc>>> {
    proptest::option::of((0i64..2_000_000_000).prop_map(|s| Utc.timestamp_opt(s, 0).unwrap()))
}

fn address() -> impl Strategy<Value = Option<Address>> {
    proptest::option::of(
        (
            opt_text(),
            text(),
            proptest::option::of("[0-9]{3} [0-9]{2}"),
            opt_text(),
            note(),
            proptest::option::of((amount(6, 90_000_000), amount(6, 180_000_000))),
        )
            .prop_map(|(street, city, postal_code, country, note, coordinates)| {
                Address {
                    street,
                    // A city, so the address is not all empty (an import reads that as none).
                    city: Some(city),
                    postal_code,
                    country,
                    note,
                    coordinates: coordinates.map(|(latitude, longitude)| Coordinates {
                        latitude,
                        longitude,
                    }),
                }
            }),
    )
}

fn company() -> impl Strategy<Value = Option<Company>> {
    proptest::option::of((text(), opt_text(), opt_text(), opt_text()).prop_map(
        |(name, crn, vat_id, tax_id)| Company {
            name: Some(name),
            crn,
            vat_id,
            tax_id,
        },
    ))
}

/// A customer as a CSV file can hold it: every column's member, cards by serial number.
fn customer() -> impl Strategy<Value = Customer> {
    (
        (
            proptest::option::of("[A-Z0-9]{1,8}"),
            any::<bool>(),
            opt_text(),
            opt_text(),
            opt_text(),
            proptest::option::of(prop_oneof![Just("Male"), Just("Female"), Just("Other")]),
            time(),
            (time(), time()),
        ),
        (
            proptest::option::of("[a-z]{1,8}@[a-z]{1,8}\\.sk"),
            proptest::option::of("\\+421 [0-9]{3} [0-9]{3} [0-9]{3}"),
            any::<bool>(),
            company(),
            address(),
            address(),
        ),
        (
            amount(2, 1_000_000),
            opt_text(),
            proptest::collection::btree_set("[A-Z0-9]{3,10}", 0..3),
            amount(3, 100_000),
            amount(2, 10_000),
            note(),
            proptest::option::of(proptest::collection::btree_map(
                "[a-z]{1,5}",
                "[a-z0-9 ]{0,5}",
                1..3,
            )),
        ),
    )
        .prop_map(
            |(
                (external_id, is_active, first_name, last_name, full_name, gender, birth, times),
                (email, phone, is_company, company, address, delivery_address),
                (credit, currency_label, cards, credit_rate, discount_rate, note, meta),
            )| {
                let (activation_time, expiration_time) = match times {
                    (Some(a), Some(e)) if e < a => (Some(e), Some(a)),
                    other => other,
                };
                let mut c = Customer {
                    external_id,
                    is_active,
                    first_name,
                    last_name,
                    full_name,
                    gender: gender.map(str::to_owned),
                    birth_date: birth
                        .map(|b| b.date_naive().and_hms_opt(0, 0, 0).unwrap().and_utc()),
                    activation_time,
                    expiration_time,
                    email,
                    phone,
                    is_company,
                    company,
                    address,
                    delivery_address,
                    credit_rate,
                    discount_rate,
                    note,
                    ..Default::default()
                };
                c.credit.amount = credit;
                c.credit.currency_label = currency_label;
                c.cards = cards
                    .into_iter()
                    .map(|serial| Card {
                        serial_number: Some(serial),
                        ..Default::default()
                    })
                    .collect();
                c.meta = meta.map_or(json!({}), |m| json!(m));
                // The API refuses a customer with nothing to be found by.
                let findable = c.first_name.is_some()
                    || c.last_name.is_some()
                    || c.full_name.is_some()
                    || c.company.is_some()
                    || c.email.is_some()
                    || c.phone.is_some()
                    || !c.cards.is_empty();
                if !findable {
                    c.last_name = Some("Nováková".into());
                }
                c
            },
        )
}

/// The customers with their keys made unique across the set (external ids and serials).
fn unique_keys(customers: Vec<Customer>) -> Vec<Customer> {
    customers
        .into_iter()
        .enumerate()
        .map(|(i, mut c)| {
            c.external_id = c.external_id.map(|e| format!("E{i}-{e}"));
            for card in &mut c.cards {
                card.serial_number = card.serial_number.take().map(|s| format!("{i}-{s}"));
            }
            c
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn a_csv_export_imports_to_the_same_customers(
        customers in proptest::collection::vec(customer(), 1..6)
    ) {
        let dir = tempfile::tempdir().unwrap();
        let shop = memory_api();
        for c in unique_keys(customers) {
            let mut body = serde_json::to_value(&c).unwrap();
            body.as_object_mut().unwrap().remove("id");
            shop.create(&admin(), &body).unwrap();
        }
        let first = dir.path().join("shop.csv");
        let exported = export(&shop, &first);

        // Into another store: the same customers, so the same file.
        let other = memory_api();
        let summary = import(&other, &first, ImportRequest::default());
        prop_assert_eq!(summary.report.refused, 0, "{:?}", summary.report.refusals);
        let again = dir.path().join("other.csv");
        prop_assert_eq!(&export(&other, &again), &exported);

        // Into the store it came from: nothing changes, not even a version.
        let before = everyone(&shop);
        let summary = import(&shop, &first, ImportRequest::default());
        prop_assert_eq!(summary.report.unchanged, summary.report.rows);
        prop_assert_eq!(everyone(&shop), before);
    }
}

#[test]
fn a_cancel_midway_leaves_the_store_as_it_was() {
    let dir = tempfile::tempdir().unwrap();
    let api = memory_api();
    let kept = api
        .create(&admin(), &json!({"lastName": "Kept", "externalId": "K"}))
        .unwrap();
    let file = dir.path().join("many.csv");
    let mut csv = String::from("ExternalId,LastName\nK,Changed\n");
    for n in 0..500 {
        csv.push_str(&format!("X{n},Name{n}\n"));
    }
    std::fs::write(&file, csv).unwrap();
    let mut calls = 0;
    let cancelled =
        transfer::import_file(&api, &admin(), &file, ImportRequest::default(), |_, _| {
            calls += 1;
            calls < 300
        });
    assert!(matches!(
        cancelled,
        Err(TransferError::Import(ImportError::Cancelled))
    ));
    assert_eq!(everyone(&api), vec![kept]);
}

#[test]
fn rows_match_by_the_key_asked_for() {
    let dir = tempfile::tempdir().unwrap();
    let api = memory_api();
    let one = api
        .create(
            &admin(),
            &json!({"id": "c1", "externalId": "E1", "lastName": "One", "cards": [{"serialNumber": "S1", "status": "Blocked"}]}),
        )
        .unwrap();
    let file = dir.path().join("keys.csv");
    std::fs::write(
        &file,
        "Id,ExternalId,CardSerialNumber,FirstName\n,E1,S1,Eva\n",
    )
    .unwrap();
    for (match_by, updated, refused) in [
        (MatchBy::Auto, 1, 0),
        (MatchBy::ExternalId, 1, 0),
        (MatchBy::Card, 1, 0),
        // No id in the row: it would create, and its external id and card are taken.
        (MatchBy::Id, 0, 1),
    ] {
        let request = ImportRequest {
            match_by,
            dry_run: true,
            ..Default::default()
        };
        let report = import(&api, &file, request).report;
        assert_eq!(
            (report.updated, report.refused, report.written),
            (updated, refused, false),
            "{match_by:?}: {report:?}"
        );
    }
    // By card, the stored card keeps its status: the file lists serial numbers only.
    let summary = import(
        &api,
        &file,
        ImportRequest {
            match_by: MatchBy::Card,
            ..Default::default()
        },
    );
    assert_eq!(summary.report.updated, 1, "{:?}", summary.report);
    let after = api.get(&admin(), "c1").unwrap();
    assert_eq!(after.first_name.as_deref(), Some("Eva"));
    assert_eq!(after.cards, one.cards);
    // By id, the refusal names the columns whose values belong to another customer.
    let summary = import(
        &api,
        &file,
        ImportRequest {
            match_by: MatchBy::Id,
            ..Default::default()
        },
    );
    let members: Vec<Option<&str>> = summary
        .report
        .refusals
        .iter()
        .map(|r| r.member.as_deref())
        .collect();
    assert_eq!(members, [Some("ExternalId"), Some("CardSerialNumber")]);
}
