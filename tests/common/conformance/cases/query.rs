//! `GET /customers`: every filter member and operator, `Search`, `IsExpired`, sorting and
//! paging, and the errors of bad queries.

use customer_desk::api::CustomersApi;
use customer_desk::model::Rights;
use customer_desk::ndata::{ListParams, SortField};
use serde_json::{Value, json};

use super::{Harness, create, list_ids, members, time};

/// Seven customers with ids c1..c7 whose fields exercise every filter and sort key.
async fn fixture<H: Harness>(h: &H) -> H::Api {
    let api = h.session(Rights::admin()).await;
    let customers: [Value; 7] = [
        json!({"id": "c1", "firstName": "Karel", "lastName": "Čapek", "externalId": "E-01", "creditRate": 1, "discountRate": 5,
               "cards": [{"serialNumber": "1001"}, {"serialNumber": "1002"}], "note": "Prefers email"}),
        json!({"id": "c2", "firstName": "Anna", "lastName": "capek", "externalId": "E-02", "discountRate": 10, "isActive": false,
               "expirationTime": "2026-01-01T00:00:00Z", "cards": [{"serialNumber": "2001"}]}),
        json!({"id": "c3", "firstName": "Zoë", "lastName": "Zeman", "creditRate": 2.5, "expirationTime": "2027-01-01T00:00:00Z",
               "isCompany": true, "company": {"name": "Čierny Dom s.r.o.", "vatId": "SK2020123456", "taxId": "2020123456"}}),
        json!({"id": "c4", "firstName": "Ján", "lastName": "Novák", "externalId": "E-04", "creditRate": 0.5, "discountRate": 15.5,
               "cards": [{"serialNumber": "3001"}], "note": "VIP"}),
        json!({"id": "c5", "firstName": "Jana", "lastName": "Nováková", "externalId": "e-05", "discountRate": 2.25,
               "expirationTime": "2026-05-31T23:59:59Z", "cards": [{"serialNumber": "AB:12"}]}),
        json!({"id": "c6", "firstName": "Győző", "lastName": "Ördög", "externalId": "X;Y", "credit": {"amount": 7.5},
               "cards": [{"serialNumber": "3002"}]}),
        json!({"id": "c7", "lastName": "Adams", "externalId": "E-07", "activationTime": "2026-07-01", "cards": [{"serialNumber": "9999"}]}),
    ];
    for body in customers {
        create(&api, body).await;
    }
    api
}

/// Asserts that each query returns exactly the listed ids (in any order).
async fn assert_matches<A: CustomersApi>(api: &A, cases: &[(&str, &[&str])]) {
    for (query, expected) in cases {
        let mut ids = list_ids(api, query).await;
        ids.sort();
        assert_eq!(ids, *expected, "{query}");
        let total = api
            .list(&ListParams::from_query_string(query))
            .await
            .expect("list")
            .total_count;
        assert_eq!(total, expected.len() as u64, "totalCount of {query}");
    }
}

pub async fn search_ignores_case_and_diacritics<H: Harness>(h: &H) {
    let api = fixture(h).await;
    assert_matches(
        &api,
        &[
            ("Search=cierny", &["c3"]),
            ("Search=capek", &["c1", "c2"]),
            ("Search=%C4%8CAPEK", &["c1", "c2"]),
            ("Search=novak", &["c4", "c5"]),
            ("Search=nov%C3%A1kov%C3%A1", &["c5"]),
            ("Search=SK2020", &["c3"]),
            ("Search=2020123456", &["c3"]),
            ("Search=vip", &["c4"]),
            ("Search=jan+novak", &["c4", "c5"]),
            ("Search=karel+novak", &[]),
            ("Search=%C3%B6r", &["c6"]),
            ("Search=z", &["c3", "c6"]),
            ("Search=s.r.o", &["c3"]),
            ("Search=%25", &[]),
            ("Search=", &["c1", "c2", "c3", "c4", "c5", "c6", "c7"]),
        ],
    )
    .await;
}

pub async fn card_serial_filters_match_any_card<H: Harness>(h: &H) {
    let api = fixture(h).await;
    assert_matches(
        &api,
        &[
            ("CardSerialNumber=1002", &["c1"]),
            ("CardSerialNumber=eq:1001", &["c1"]),
            ("CardSerialNumber=AB:12", &["c5"]),
            ("CardSerialNumber=in:2001:3001", &["c2", "c4"]),
            (
                "CardSerialNumber=nin:1001:1002:2001",
                &["c4", "c5", "c6", "c7"],
            ),
            ("CardSerialNumber=like:00", &["c1", "c2", "c4", "c6"]),
            ("CardSerialNumber=contains:ab", &["c5"]),
            ("CardSerialNumber=gt:9000", &["c5", "c7"]),
            (
                "CardSerialNumber=ne:1001",
                &["c1", "c2", "c4", "c5", "c6", "c7"],
            ),
            ("CardSerialNumber=between:2000:3001", &["c2", "c4"]),
            ("CardSerialNumber=nothing", &[]),
        ],
    )
    .await;
}

pub async fn external_id_filters<H: Harness>(h: &H) {
    let api = fixture(h).await;
    assert_matches(
        &api,
        &[
            ("ExternalId=E-01", &["c1"]),
            ("ExternalId=e-01", &[]),
            ("ExternalId=like:e-0", &["c1", "c2", "c4", "c5", "c7"]),
            ("ExternalId=null", &["c3"]),
            ("ExternalId=notnull", &["c1", "c2", "c4", "c5", "c6", "c7"]),
            ("ExternalId=ne:E-01", &["c2", "c3", "c4", "c5", "c6", "c7"]),
            ("ExternalId=neq:E-01", &["c2", "c3", "c4", "c5", "c6", "c7"]),
            ("ExternalId=in:E-01:E-04", &["c1", "c4"]),
            ("ExternalId=nin:E-01:E-04", &["c2", "c3", "c5", "c6", "c7"]),
            ("ExternalId=X%5C%3BY", &["c6"]),
            ("ExternalId=in:X%5C%3BY:E-07", &["c6", "c7"]),
            ("ExternalId=between:E-02:E-05", &["c2", "c4"]),
            ("ExternalId=gte:E-04&ExternalId=lte:E-07", &["c4", "c7"]),
        ],
    )
    .await;
}

pub async fn decimal_filters_compare_exactly<H: Harness>(h: &H) {
    let api = fixture(h).await;
    assert_matches(
        &api,
        &[
            ("DiscountRate=gt:5", &["c2", "c4"]),
            ("DiscountRate=between:2.25:10", &["c1", "c2", "c5"]),
            ("DiscountRate=in:0:15.5", &["c3", "c4", "c6", "c7"]),
            ("DiscountRate=nin:0", &["c1", "c2", "c4", "c5"]),
            ("DiscountRate=le:2.25", &["c3", "c5", "c6", "c7"]),
            ("DiscountRate=ne:5", &["c2", "c3", "c4", "c5", "c6", "c7"]),
            ("DiscountRate=eq:2.250", &["c5"]),
            ("DiscountRate=2.25", &["c5"]),
            ("DiscountRate=gt:2.2500001", &["c1", "c2", "c4"]),
            ("DiscountRate=ge:2.2499999", &["c1", "c2", "c4", "c5"]),
            ("DiscountRate=lt:0.0000001", &["c3", "c6", "c7"]),
            ("DiscountRate=eq:2.2500001", &[]),
            ("DiscountRate=gt:3;lt:12", &["c1", "c2"]),
            ("DiscountRate=gt:3&DiscountRate=lt:12", &["c1", "c2"]),
            ("CreditRate=ge:1", &["c1", "c3"]),
            ("CreditRate=lt:0.5", &["c2", "c5", "c6", "c7"]),
            ("CreditRate=eq:2.50", &["c3"]),
            ("CreditRate=between:0.5:1", &["c1", "c4"]),
            // [ours] The credit balance.
            ("CreditAmount=gt:0", &["c6"]),
            ("CreditAmount=between:7.5:10", &["c6"]),
            ("CreditAmount=lt:7.5", &["c1", "c2", "c3", "c4", "c5", "c7"]),
            ("CreditAmount=eq:7.50", &["c6"]),
        ],
    )
    .await;
}

pub async fn bool_time_and_expiry_filters<H: Harness>(h: &H) {
    let api = fixture(h).await;
    assert_matches(
        &api,
        &[
            ("IsActive=false", &["c2"]),
            ("IsActive=ne:true", &["c2"]),
            ("IsActive=TRUE", &["c1", "c3", "c4", "c5", "c6", "c7"]),
            ("ExpirationTime=null", &["c1", "c4", "c6", "c7"]),
            ("ExpirationTime=notnull", &["c2", "c3", "c5"]),
            ("ExpirationTime=lt:2026-06-01", &["c2", "c5"]),
            ("ExpirationTime=lt:2026-05-31T23:59:59Z", &["c2"]),
            ("ExpirationTime=le:2026-05-31T23:59:59Z", &["c2", "c5"]),
            (
                "ExpirationTime=between:2026-01-01:2026-12-31",
                &["c2", "c5"],
            ),
            ("ExpirationTime=gt:2026-05-31T23:59:59Z", &["c3"]),
            ("ExpirationTime=gte:2026-05-31T23:59:59Z", &["c3", "c5"]),
            ("ExpirationTime=eq:2026-01-01", &["c2"]),
            ("ExpirationTime=2026-01-01T01:00:00%2B01:00", &["c2"]),
            (
                "ExpirationTime=ne:2026-01-01",
                &["c1", "c3", "c4", "c5", "c6", "c7"],
            ),
            ("IsExpired=true", &["c2", "c5"]),
            ("IsExpired=False", &["c1", "c3", "c4", "c6", "c7"]),
            ("DiscountRate=gt:0&IsActive=true&Search=nov", &["c4", "c5"]),
        ],
    )
    .await;
    h.set_now(time("2027-02-01T00:00:00Z"));
    assert_matches(&api, &[("IsExpired=true", &["c2", "c3", "c5"])]).await;
}

pub async fn sorting_orders_as_people_expect<H: Harness>(h: &H) {
    let api = fixture(h).await;
    let cases: &[(&str, &[&str])] = &[
        ("", &["c1", "c2", "c3", "c4", "c5", "c6", "c7"]),
        (
            "$sort=lastName",
            &["c7", "c1", "c2", "c4", "c5", "c6", "c3"],
        ),
        (
            "$sort=LASTNAME:asc",
            &["c7", "c1", "c2", "c4", "c5", "c6", "c3"],
        ),
        (
            "$sort=-lastName",
            &["c3", "c6", "c5", "c4", "c2", "c1", "c7"],
        ),
        (
            "$sort=lastName:desc,lastName",
            &["c3", "c6", "c5", "c4", "c2", "c1", "c7"],
        ),
        (
            "$sort=firstName",
            &["c7", "c2", "c6", "c4", "c5", "c1", "c3"],
        ),
        (
            "$sort=discountRate:desc,lastName",
            &["c4", "c2", "c1", "c5", "c7", "c6", "c3"],
        ),
        (
            "$sort=discountRate:desc&$sort=lastName",
            &["c4", "c2", "c1", "c5", "c7", "c6", "c3"],
        ),
        (
            "$sort=credit.amount:desc",
            &["c6", "c7", "c5", "c4", "c3", "c2", "c1"],
        ),
        (
            "$sort=company.name",
            &["c1", "c2", "c4", "c5", "c6", "c7", "c3"],
        ),
        (
            "$sort=isActive",
            &["c2", "c1", "c3", "c4", "c5", "c6", "c7"],
        ),
        (
            "$sort=expirationTime",
            &["c1", "c4", "c6", "c7", "c2", "c5", "c3"],
        ),
        (
            "$sort=externalId",
            &["c3", "c1", "c2", "c4", "c5", "c7", "c6"],
        ),
        ("$sort=-id", &["c7", "c6", "c5", "c4", "c3", "c2", "c1"]),
    ];
    for (query, expected) in cases {
        assert_eq!(list_ids(&api, query).await, *expected, "{query}");
    }
    for (_, name) in SortField::ALL {
        for query in [
            format!("$sort={name}"),
            format!("$sort=-{name}"),
            format!("$sort={name}:DESC"),
        ] {
            assert_eq!(
                list_ids(&api, &query.replace('.', "%2E")).await.len(),
                7,
                "{query}"
            );
        }
    }
}

pub async fn pages_never_overlap_or_skip<H: Harness>(h: &H) {
    let api = fixture(h).await;
    for sort in [
        "isActive",
        "-isActive",
        "discountRate",
        "lastName",
        "-company.name",
        "gender",
    ] {
        let everything = list_ids(&api, &format!("$sort={sort}")).await;
        let mut paged = Vec::new();
        for skip in (0..9).step_by(2) {
            paged.extend(list_ids(&api, &format!("$sort={sort}&$skip={skip}&$take=2")).await);
        }
        assert_eq!(paged, everything, "pages of $sort={sort}");
    }
}

pub async fn paging_counts_and_count_only<H: Harness>(h: &H) {
    let api = fixture(h).await;
    let page = api
        .list(&ListParams::from_query_string("$take=3"))
        .await
        .expect("list");
    assert_eq!(
        (page.count, page.total_count, page.items.map(|i| i.len())),
        (3, 7, Some(3))
    );
    let last = api
        .list(&ListParams::from_query_string("$skip=6&$take=3"))
        .await
        .expect("list");
    assert_eq!((last.count, last.total_count), (1, 7));
    let beyond = api
        .list(&ListParams::from_query_string("$skip=10"))
        .await
        .expect("list");
    assert_eq!(
        (beyond.count, beyond.total_count, beyond.items),
        (0, 7, Some(vec![]))
    );
    let zero = api
        .list(&ListParams::from_query_string("$take=0"))
        .await
        .expect("list");
    assert_eq!((zero.count, zero.items), (0, Some(vec![])));
    let counted = api
        .list(&ListParams::from_query_string("$count=true&IsActive=true"))
        .await
        .expect("list");
    assert_eq!((counted.items, counted.total_count), (None, 6));
    let filtered = api
        .list(&ListParams::from_query_string(
            "IsActive=true&$skip=1&$take=2",
        ))
        .await
        .expect("list");
    assert_eq!((filtered.count, filtered.total_count), (2, 6));
}

pub async fn bad_queries_are_refused_naming_the_parameter<H: Harness>(h: &H) {
    let api = fixture(h).await;
    let cases = [
        ("DiscountRate=gt:abc", "DiscountRate"),
        ("CreditRate=between:1", "CreditRate"),
        ("IsActive=gt:true", "IsActive"),
        ("IsActive=maybe", "IsActive"),
        ("ExpirationTime=lt:soon", "ExpirationTime"),
        ("ExpirationTime=like:2026", "ExpirationTime"),
        ("CardSerialNumber=null", "CardSerialNumber"),
        ("DiscountRate=regex:5", "DiscountRate"),
        ("ExternalId=in", "ExternalId"),
        ("IsExpired=yes", "IsExpired"),
        ("$sort=password", "$sort"),
        ("$sort=lastName:up", "$sort"),
        ("$skip=-1", "$skip"),
        ("$take=ten", "$take"),
        ("$count=perhaps", "$count"),
    ];
    for (query, member) in cases {
        let result = api.list(&ListParams::from_query_string(query)).await;
        assert!(result.is_err(), "{query} must be refused");
        assert_eq!(members(result), vec![member], "{query}");
    }
    // On a text member a value that does not start with an operator is one whole value.
    assert_eq!(
        list_ids(&api, "ExternalId=regex:x").await,
        Vec::<String>::new()
    );
    // Unknown parameters are ignored.
    assert_eq!(list_ids(&api, "colour=red&$take=1").await, vec!["c1"]);
}
