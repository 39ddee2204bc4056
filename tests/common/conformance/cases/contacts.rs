//! The `Email` and `Phone` filters **[ours]**: a part of an address or a number finds its
//! customers whatever the case, the spaces and the signs; a write moves them in the index.

use customer_desk::api::CustomersApi;
use customer_desk::model::Rights;
use customer_desk::ndata::ListParams;
use serde_json::json;

use super::{Harness, create, list_ids, members};

/// Asserts that each query returns exactly the listed ids (in any order), with that total.
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

pub async fn email_and_phone_filters_find_parts<H: Harness>(h: &H) {
    let api = h.session(Rights::admin()).await;
    for body in [
        json!({"id": "p1", "lastName": "Nováková", "email": "Jana.Novakova@Example.sk", "phone": "+421 905 111 222"}),
        json!({"id": "p2", "lastName": "Horváth", "email": "peter.horvath@example.hu", "phone": "0905-111-333"}),
        json!({"id": "p3", "lastName": "Smith", "phone": "+44 (20) 7946.0958"}),
        json!({"id": "p4", "lastName": "Čierny", "email": "lubo@example.sk"}),
    ] {
        create(&api, body).await;
    }
    assert_matches(
        &api,
        &[
            // The contract's example: spaces and the trunk 0 against +421.
            ("Phone=like:0905%20111", &["p1", "p2"]),
            ("Phone=contains:111%20222", &["p1"]),
            ("Phone=like:%2B421%20905", &["p1"]),
            ("Phone=like:00421905", &["p1"]),
            ("Phone=like:(020)%207946", &["p3"]),
            ("Phone=like:0958", &["p3"]),
            ("Phone=like:33", &["p2"]),
            ("Phone=eq:%2B421%20905%20111%20222", &["p1"]),
            ("Phone=eq:00421905111222", &["p1"]),
            ("Phone=in:0905111333:%2B447946", &["p2"]),
            ("Phone=ne:0905%20111%20333", &["p1", "p3", "p4"]),
            ("Phone=null", &["p4"]),
            ("Phone=notnull", &["p1", "p2", "p3"]),
            ("Email=like:novakova", &["p1"]),
            ("Email=like:NOVAKOVA@example", &["p1"]),
            ("Email=like:@example.sk", &["p1", "p4"]),
            ("Email=like:.h", &["p2"]),
            ("Email=eq:LUBO@EXAMPLE.SK", &["p4"]),
            ("Email=nin:lubo@example.sk", &["p1", "p2", "p3"]),
            ("Email=null", &["p3"]),
            ("Email=like:nobody", &[]),
            // With other filters and a search, all must hold.
            ("Email=like:example&Phone=like:905", &["p1", "p2"]),
            ("Search=horvath&Phone=like:905", &["p2"]),
        ],
    )
    .await;

    // A change of number moves the customer in the index; a deletion takes it out.
    let mut p1 = api.get("p1").await.expect("get p1");
    p1.phone = Some("+421 2 1234 5678".into());
    p1.email = None;
    api.upsert("p1", &serde_json::to_value(&p1).expect("json"))
        .await
        .expect("update p1");
    api.delete("p2").await.expect("delete p2");
    assert_matches(
        &api,
        &[
            ("Phone=like:0905%20111", &[]),
            ("Phone=like:02%2F1234", &["p1"]),
            ("Email=like:novakova", &[]),
            ("Email=like:example", &["p4"]),
        ],
    )
    .await;

    // Bad NData on the new members names the parameter, as for any other.
    for (query, member) in [("Phone=between:1", "Phone"), ("Email=in", "Email")] {
        let result = api.list(&ListParams::from_query_string(query)).await;
        assert_eq!(members(result), vec![member], "{query}");
    }
}
