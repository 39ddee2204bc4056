//! Create, read, update, delete, versions, validation and the credit ledger.

use customer_desk::api::{ApiError, CustomersApi};
use customer_desk::model::{CardStatus, CustomerStatus, Rights};
use serde_json::json;

use super::{Harness, all, create, field_errors, members, time};

pub async fn create_then_get_round_trips<H: Harness>(h: &H) {
    let api = h.session(Rights::admin()).await;
    let created = create(
        &api,
        json!({"firstName": "Ján", "lastName": "Novák", "credit": {"amount": 10.50}}),
    )
    .await;
    assert_eq!(created.version, 1);
    assert_eq!(created.full_name.as_deref(), Some("Ján Novák"));
    assert!(created.is_active, "isActive defaults to true");
    let fetched = api.get(&created.id).await.expect("get");
    assert_eq!(fetched, created);
    assert!(matches!(api.get("nope").await, Err(ApiError::NotFound(_))));
}

pub async fn ids_are_generated_or_kept<H: Harness>(h: &H) {
    let api = h.session(Rights::admin()).await;
    let generated = create(&api, json!({"lastName": "A"})).await;
    assert_eq!(generated.id.len(), 24);
    assert!(
        generated
            .id
            .chars()
            .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
    );
    let given = create(&api, json!({"id": "shop-42", "lastName": "B"})).await;
    assert_eq!(given.id, "shop-42");
    let errors = field_errors(api.create(&json!({"id": "shop-42", "lastName": "C"})).await);
    assert_eq!(errors[0].member_name, "Id");
    assert_eq!(errors[0].code.as_deref(), Some("Unique"));
    assert_eq!(all(&api).await.len(), 2);
}

pub async fn json_shape_nulls_decimals_and_meta<H: Harness>(h: &H) {
    let api = h.session(Rights::admin()).await;
    let meta =
        json!({"z": 1.10, "a": {"nested": [1, "two", null, true]}, "big": 12345678901234567890u64});
    let c = create(
        &api,
        json!({"lastName": "Meta", "creditRate": 0.000001, "discountRate": 12.35, "meta": meta,
               "address": {"zipCode": "811 01", "coordinates": {"latitude": 48.1486, "longitude": 17.1077}}}),
    )
    .await;
    let value = serde_json::to_value(&c).expect("json");
    for key in [
        "externalId",
        "email",
        "company",
        "deliveryAddress",
        "note",
        "birthDate",
    ] {
        assert!(
            value.get(key).is_some_and(|v| v.is_null()),
            "{key} must be written as null"
        );
    }
    assert_eq!(
        value["meta"].to_string(),
        meta.to_string(),
        "meta is kept exactly, order and digits"
    );
    assert_eq!(value["creditRate"].to_string(), "0.000001");
    assert_eq!(value["discountRate"].to_string(), "12.35");
    assert_eq!(
        value["address"]["postalCode"], "811 01",
        "zipCode is an alias of postalCode"
    );
    assert_eq!(
        value["address"]["coordinates"]["latitude"].to_string(),
        "48.1486"
    );
    assert_eq!(value["_v"], 1);
    let again = serde_json::to_value(api.get(&c.id).await.expect("get")).expect("json");
    assert_eq!(again, value, "a stored customer reads back byte for byte");
}

pub async fn full_name_is_derived_when_empty<H: Harness>(h: &H) {
    let api = h.session(Rights::admin()).await;
    let person = create(
        &api,
        json!({"firstName": " Eva ", "lastName": "Černá", "fullName": ""}),
    )
    .await;
    assert_eq!(person.full_name.as_deref(), Some("Eva Černá"));
    let company = create(
        &api,
        json!({"isCompany": true, "company": {"name": "ACME s.r.o."}}),
    )
    .await;
    assert_eq!(company.full_name.as_deref(), Some("ACME s.r.o."));
    let given = create(
        &api,
        json!({"firstName": "A", "lastName": "B", "fullName": "Dr. A. B."}),
    )
    .await;
    assert_eq!(given.full_name.as_deref(), Some("Dr. A. B."));
}

pub async fn status_follows_the_clock<H: Harness>(h: &H) {
    let api = h.session(Rights::admin()).await;
    let c = create(
        &api,
        json!({"lastName": "Time", "activationTime": "2026-07-01", "expirationTime": "2026-12-31T23:59:59Z"}),
    )
    .await;
    assert_eq!(c.status, CustomerStatus::NotYetValid);
    h.set_now(time("2026-08-01T00:00:00Z"));
    assert_eq!(
        api.get(&c.id).await.expect("get").status,
        CustomerStatus::Valid
    );
    h.set_now(time("2027-01-01T00:00:00Z"));
    assert_eq!(
        api.get(&c.id).await.expect("get").status,
        CustomerStatus::Expired
    );
    let value = serde_json::to_value(api.get(&c.id).await.expect("get")).expect("json");
    assert_eq!(
        value["activationTime"], "2026-07-01T00:00:00Z",
        "dates are accepted and written in UTC with Z"
    );
}

pub async fn put_creates_then_updates_and_path_id_wins<H: Harness>(h: &H) {
    let api = h.session(Rights::admin()).await;
    let first = api
        .upsert("p-1", &json!({"id": "other", "lastName": "Put"}))
        .await
        .expect("put");
    assert!(first.created);
    assert_eq!(first.customer.id, "p-1");
    assert_eq!(first.customer.version, 1);
    let second = api
        .upsert("p-1", &json!({"lastName": "Put 2", "_v": 1}))
        .await
        .expect("put");
    assert!(!second.created);
    assert_eq!(second.customer.version, 2);
    assert_eq!(second.customer.last_name.as_deref(), Some("Put 2"));
    assert!(matches!(api.get("other").await, Err(ApiError::NotFound(_))));
}

pub async fn stale_version_is_a_conflict_and_changes_nothing<H: Harness>(h: &H) {
    let api = h.session(Rights::admin()).await;
    let c = create(&api, json!({"lastName": "Versioned"})).await;
    let v2 = api
        .upsert(&c.id, &json!({"lastName": "V2", "_v": 1}))
        .await
        .expect("update")
        .customer;
    assert_eq!(v2.version, 2);
    match api
        .upsert(&c.id, &json!({"lastName": "Stale", "_v": 1}))
        .await
    {
        Err(ApiError::Conflict { stored_version, .. }) => assert_eq!(stored_version, 2),
        other => panic!("expected a conflict, got {other:?}"),
    }
    assert_eq!(api.get(&c.id).await.expect("get"), v2);
    let overwritten = api
        .upsert(&c.id, &json!({"lastName": "No version"}))
        .await
        .expect("last write wins");
    assert_eq!(overwritten.customer.version, 3);
}

pub async fn two_writers_with_the_same_version_one_lands<H: Harness>(h: &H) {
    let a = h.session(Rights::admin()).await;
    let b = h.session(Rights::admin()).await;
    let c = create(&a, json!({"lastName": "Race"})).await;
    let (body_a, body_b) = (
        json!({"lastName": "Writer A", "_v": 1}),
        json!({"lastName": "Writer B", "_v": 1}),
    );
    let (ra, rb) = tokio::join!(a.upsert(&c.id, &body_a), b.upsert(&c.id, &body_b));
    let landed = [&ra, &rb].iter().filter(|r| r.is_ok()).count();
    assert_eq!(landed, 1, "exactly one update lands: {ra:?} / {rb:?}");
    let conflict = if ra.is_ok() { &rb } else { &ra };
    assert!(matches!(
        conflict,
        Err(ApiError::Conflict {
            stored_version: 2,
            ..
        })
    ));
    let stored = a.get(&c.id).await.expect("get");
    assert_eq!(stored.version, 2);
    let winner = if ra.is_ok() { "Writer A" } else { "Writer B" };
    assert_eq!(stored.last_name.as_deref(), Some(winner));
}

pub async fn delete_answers_the_customer_then_404<H: Harness>(h: &H) {
    let api = h.session(Rights::admin()).await;
    let c = create(
        &api,
        json!({"lastName": "Gone", "cards": [{"serialNumber": "D-1"}]}),
    )
    .await;
    let deleted = api.delete(&c.id).await.expect("delete");
    assert_eq!(deleted.id, c.id);
    assert_eq!(deleted.last_name.as_deref(), Some("Gone"));
    assert!(matches!(api.get(&c.id).await, Err(ApiError::NotFound(_))));
    assert!(matches!(
        api.delete(&c.id).await,
        Err(ApiError::NotFound(_))
    ));
    // The card is free again.
    create(
        &api,
        json!({"lastName": "New owner", "cards": [{"serialNumber": "D-1"}]}),
    )
    .await;
}

pub async fn credit_changes_by_put_are_recorded_by_the_logic<H: Harness>(h: &H) {
    let api = h.session(Rights::admin()).await;
    let forged = json!([{"id": "x", "amount": 1000, "balance": 1000}]);
    let c = create(
        &api,
        json!({"lastName": "Credit", "credit": {"amount": 20}, "creditTransactions": forged}),
    )
    .await;
    assert_eq!(
        c.credit_transactions.len(),
        1,
        "the client's transactions are ignored"
    );
    assert_eq!(c.credit_transactions[0].amount.to_string(), "20");
    // Parsed from text: the json! macro would turn 12.50 into an f64 and lose the zero.
    let body: serde_json::Value = serde_json::from_str(
        r#"{"lastName": "Credit", "credit": {"amount": 12.50}, "_v": 1, "creditTransactions": []}"#,
    )
    .expect("json");
    let updated = api.upsert(&c.id, &body).await.expect("put").customer;
    let ledger = &updated.credit_transactions;
    assert_eq!(ledger.len(), 2);
    assert_eq!(ledger[1].amount.to_string(), "-7.50");
    assert_eq!(ledger[1].balance.to_string(), "12.50");
    assert_eq!(ledger[1].note, None);
    assert_eq!(ledger[1].operation_id, None);
    assert!(ledger[1].user_name.is_some());
    let same = api
        .upsert(
            &c.id,
            &json!({"lastName": "Renamed", "credit": {"amount": 12.5}}),
        )
        .await
        .expect("put");
    assert_eq!(
        same.customer.credit_transactions.len(),
        2,
        "no change of amount, no transaction"
    );
}

pub async fn credit_adjustments_are_idempotent<H: Harness>(h: &H) {
    let api = h.session(Rights::admin()).await;
    let c = create(&api, json!({"lastName": "Ledger"})).await;
    let body = json!({"amount": 15.25, "note": "Voucher", "operationId": "op-1"});
    let once = api.adjust_credit(&c.id, &body).await.expect("adjust");
    assert_eq!(once.credit.amount.to_string(), "15.25");
    assert_eq!(once.version, 2);
    let last = once.credit_transactions.last().expect("a transaction");
    assert_eq!(
        (last.note.as_deref(), last.operation_id.as_deref()),
        (Some("Voucher"), Some("op-1"))
    );
    let twice = api.adjust_credit(&c.id, &body).await.expect("repeat");
    assert_eq!(twice, once, "a repeated operationId applies nothing again");
    let spent = api
        .adjust_credit(&c.id, &json!({"amount": -5.25, "note": "Purchase"}))
        .await
        .expect("spend");
    assert_eq!(spent.credit.amount.to_string(), "10.00");
    assert_eq!(spent.credit_transactions.len(), 2);
    assert_eq!(
        members(api.adjust_credit(&c.id, &json!({"amount": -11})).await),
        vec!["Amount"]
    );
    assert_eq!(
        members(api.adjust_credit(&c.id, &json!({"amount": 0})).await),
        vec!["Amount"]
    );
    assert_eq!(
        members(api.adjust_credit(&c.id, &json!({"amount": "ten"})).await),
        vec!["Amount"]
    );
    assert!(matches!(
        api.adjust_credit("nobody", &json!({"amount": 1})).await,
        Err(ApiError::NotFound(_))
    ));
    assert_eq!(
        api.get(&c.id).await.expect("get"),
        spent,
        "refused adjustments changed nothing"
    );
}

pub async fn external_ids_and_card_serials_are_unique<H: Harness>(h: &H) {
    let api = h.session(Rights::admin()).await;
    let a = create(
        &api,
        json!({"externalId": "EXT-1", "cards": [{"serialNumber": "100"}]}),
    )
    .await;
    let errors = field_errors(api.create(&json!({"externalId": "EXT-1", "cards": [{"serialNumber": "200"}, {"serialNumber": "100"}]})).await);
    let named: Vec<_> = errors
        .iter()
        .map(|e| (e.member_name.as_str(), e.code.as_deref()))
        .collect();
    assert_eq!(
        named,
        vec![
            ("ExternalId", Some("Unique")),
            ("Cards[1].SerialNumber", Some("Unique"))
        ]
    );
    let twice = field_errors(
        api.create(&json!({"cards": [{"serialNumber": "300"}, {"serialNumber": "300"}]}))
            .await,
    );
    assert_eq!(twice[0].member_name, "Cards[1].SerialNumber");
    let missing = field_errors(api.create(&json!({"cards": [{"isVirtual": true}]})).await);
    assert_eq!(
        (missing[0].member_name.as_str(), missing[0].code.as_deref()),
        ("Cards[0].SerialNumber", Some("Required"))
    );
    // Keeping one's own external id and cards on update is fine.
    api.upsert(
        &a.id,
        &json!({"externalId": "EXT-1", "cards": [{"serialNumber": "100"}], "note": "x"}),
    )
    .await
    .expect("update");
    assert_eq!(all(&api).await.len(), 1, "refused creates stored nothing");
    // Nulls and empty external ids do not collide.
    create(&api, json!({"lastName": "A", "externalId": null})).await;
    create(&api, json!({"lastName": "B", "externalId": ""})).await;
}

pub async fn validation_names_every_bad_member<H: Harness>(h: &H) {
    let api = h.session(Rights::admin()).await;
    let body = json!({
        "email": "not-an-email", "discountRate": 100.5, "creditRate": -1,
        "activationTime": "2026-05-01", "expirationTime": "2026-04-01",
        "cards": [{"serialNumber": "1", "activationTime": "2026-02-01", "expirationTime": "2026-01-01"}],
        "meta": [1, 2]
    });
    let mut named = members(api.create(&body).await);
    named.sort();
    assert_eq!(
        named,
        vec![
            "Cards[0].ExpirationTime",
            "CreditRate",
            "DiscountRate",
            "Email",
            "ExpirationTime",
            "Meta"
        ]
    );
    assert_eq!(
        members(
            api.create(&json!({"lastName": "R", "discountRate": 10.125}))
                .await
        ),
        vec!["DiscountRate"]
    );
    assert_eq!(
        members(
            api.create(&json!({"lastName": "C", "credit": {"amount": 1.0000001}}))
                .await
        ),
        vec!["Credit.Amount"]
    );
    assert!(all(&api).await.is_empty());
}

pub async fn a_replaced_card_is_stored_inactive<H: Harness>(h: &H) {
    let api = h.session(Rights::admin()).await;
    let c = create(
        &api,
        json!({"lastName": "Karta", "cards": [{"serialNumber": "R-1"}]}),
    )
    .await;
    assert!(c.cards[0].is_active);
    let replaced = api
        .upsert(
            &c.id,
            &json!({"lastName": "Karta", "_v": c.version, "cards": [
                {"serialNumber": "R-1", "isActive": true, "status": "Replaced", "statusReason": "Replaced by card R-2"},
                {"serialNumber": "R-2"}
            ]}),
        )
        .await
        .expect("replace");
    let stored = api.get(&c.id).await.expect("get");
    for customer in [&replaced.customer, &stored] {
        assert!(
            !customer.cards[0].is_active,
            "the replaced card is inactive"
        );
        assert!(customer.cards[1].is_active, "its replacement is active");
    }
}

pub async fn a_customer_needs_something_to_be_found_by<H: Harness>(h: &H) {
    let api = h.session(Rights::admin()).await;
    for body in [
        json!({}),
        json!({"externalId": "E-1", "note": "only a code and a note"}),
        json!({"firstName": "  ", "cards": [{"isVirtual": true, "serialNumber": " "}]}),
    ] {
        let errors = field_errors(api.create(&body).await);
        assert!(
            errors
                .iter()
                .any(|e| e.member_name == "LastName" && e.message.contains("to be found by")),
            "{body}: {errors:?}"
        );
    }
    assert_eq!(
        members(api.create(&json!({"isCompany": true})).await),
        vec!["Company.Name"]
    );
    for body in [
        json!({"firstName": "Ján"}),
        json!({"isCompany": true, "company": {"name": "Kvet s.r.o."}}),
        json!({"email": "kto@example.sk"}),
        json!({"phone": "+421 900 123 456"}),
        json!({"cards": [{"serialNumber": "777"}]}),
    ] {
        create(&api, body).await;
    }
    let kept = create(&api, json!({"lastName": "Stála"})).await;
    let emptied = api
        .upsert(&kept.id, &json!({"lastName": "", "_v": kept.version}))
        .await;
    assert_eq!(
        members(emptied),
        vec!["LastName"],
        "an edit cannot empty it either"
    );
}

pub async fn wrong_types_are_refused_naming_the_member<H: Harness>(h: &H) {
    let api = h.session(Rights::admin()).await;
    let cases = [
        (json!({"isActive": "yes"}), "IsActive"),
        (json!({"discountRate": "ten"}), "DiscountRate"),
        (
            json!({"cards": [{"serialNumber": 5}]}),
            "Cards[0].SerialNumber",
        ),
        (json!({"birthDate": "31.12.1990"}), "BirthDate"),
        (json!({"company": {"name": ["x"]}}), "Company.Name"),
        (json!({"credit": {"amount": true}}), "Credit.Amount"),
        (json!([1, 2, 3]), "body"),
    ];
    for (body, member) in cases {
        let errors = field_errors(api.create(&body).await);
        assert_eq!(errors[0].member_name, member, "for {body}");
        assert!(!errors[0].message.is_empty());
    }
    assert!(all(&api).await.is_empty());
}

pub async fn card_status_time_follows_status_changes<H: Harness>(h: &H) {
    let api = h.session(Rights::admin()).await;
    let c = create(
        &api,
        json!({"cards": [{"serialNumber": "S-1"}, {"serialNumber": "S-2", "status": "Blocked"}]}),
    )
    .await;
    assert_eq!(
        c.cards[0].status_time, None,
        "a new valid card has no status time"
    );
    assert_eq!(c.cards[1].status_time, Some(super::start_time()));
    h.set_now(time("2026-06-02T08:00:00Z"));
    let mut body = serde_json::to_value(&c).expect("json");
    body["cards"][0]["status"] = json!("Lost");
    body["cards"][0]["statusReason"] = json!("Lost in the shop");
    body["cards"][1]["status"] = json!("Frozen");
    body["cards"][1]["statusTime"] = json!("2026-05-30T00:00:00Z");
    let updated = api.upsert(&c.id, &body).await.expect("update").customer;
    assert_eq!(updated.cards[0].status, CardStatus::Lost);
    assert_eq!(
        updated.cards[0].status_time,
        Some(time("2026-06-02T08:00:00Z"))
    );
    assert_eq!(
        updated.cards[1].status,
        CardStatus::Other("Frozen".into()),
        "unknown statuses are kept"
    );
    assert_eq!(
        updated.cards[1].status_time,
        Some(time("2026-05-30T00:00:00Z")),
        "a given status time is kept"
    );
}

pub async fn a_failed_write_changes_nothing<H: Harness>(h: &H) {
    let api = h.session(Rights::admin()).await;
    let a = create(
        &api,
        json!({"lastName": "A", "cards": [{"serialNumber": "A-1"}]}),
    )
    .await;
    let b = create(
        &api,
        json!({"lastName": "B", "cards": [{"serialNumber": "B-1"}]}),
    )
    .await;
    let before = all(&api).await;
    // Valid in every field but one: a card that belongs to A.
    let body = json!({"lastName": "B changed", "credit": {"amount": 50}, "cards": [{"serialNumber": "B-2"}, {"serialNumber": "A-1"}], "_v": 1});
    assert_eq!(
        members(api.upsert(&b.id, &body).await),
        vec!["Cards[1].SerialNumber"]
    );
    assert_eq!(all(&api).await, before);
    // B-2 was not taken by the failed request.
    create(&api, json!({"cards": [{"serialNumber": "B-2"}]})).await;
    let _ = a;
}

pub async fn me_names_the_user_and_rights<H: Harness>(h: &H) {
    let rights = Rights::parse_list("customerCreate,customerSetCredit").expect("rights");
    let api = h.session(rights).await;
    let me = api.me().await.expect("me");
    assert_eq!(me.rights_set(), rights);
    assert!(!me.user_name.is_empty());
}
