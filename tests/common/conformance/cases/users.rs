//! Users (contract section 5): only a user with every right manages them; a change of rights
//! applies to that user's next call; the last user with every right stays.

use customer_desk::api::{ApiError, CustomersApi, NewUser, UserChange, UserSummary, UsersApi};
use customer_desk::model::{Right, Rights};
use serde_json::json;

use super::{Harness, field_errors};

/// The password every case's new users get: long and uncommon enough for every right.
const NEW_PASSWORD: &str = "lampa-stôl-okno-7";

fn new_user(user_name: &str, rights: &[&str]) -> NewUser {
    NewUser {
        user_name: user_name.to_owned(),
        name: None,
        password: NEW_PASSWORD.to_owned(),
        rights: rights.iter().map(|r| (*r).to_owned()).collect(),
    }
}

fn listed<'a>(users: &'a [UserSummary], user_name: &str) -> Option<&'a UserSummary> {
    users.iter().find(|u| u.user_name == user_name)
}

fn assert_forbidden<T: std::fmt::Debug>(result: Result<T, ApiError>) {
    match result {
        Err(ApiError::Forbidden(right)) => assert!(right.eq_ignore_ascii_case("admin"), "{right}"),
        other => panic!("expected 403 naming admin, got {other:?}"),
    }
}

pub async fn managing_users_needs_admin<H: Harness>(h: &H) {
    let admin = h.session(Rights::admin()).await;
    admin
        .create_user(&new_user("eva", &["customerCreate"]))
        .await
        .expect("the admin adds eva");
    // Every right but admin is still not enough.
    let all_but_admin = [
        Right::CustomerCreate,
        Right::CustomerUpdate,
        Right::CustomerDelete,
        Right::CustomerSetCredit,
        Right::CustomerSetDiscount,
    ]
    .into_iter()
    .fold(Rights::NONE, Rights::with);
    let clerk = h.session(all_but_admin).await;
    assert_forbidden(clerk.list_users().await);
    assert_forbidden(clerk.create_user(&new_user("mallory", &["admin"])).await);
    let promote = UserChange {
        rights: Some(vec!["admin".into()]),
        ..UserChange::default()
    };
    assert_forbidden(clerk.change_user("eva", &promote).await);
    assert_forbidden(clerk.delete_user("eva").await);
    let users = admin.list_users().await.expect("list");
    assert!(listed(&users, "mallory").is_none(), "nothing was added");
    let eva = listed(&users, "eva").expect("eva is still there");
    assert_eq!(eva.rights_set(), Rights::NONE.with(Right::CustomerCreate));
}

pub async fn users_are_added_changed_and_removed<H: Harness>(h: &H) {
    let admin = h.session(Rights::admin()).await;
    let me = admin.me().await.expect("me");
    let added = admin
        .create_user(&NewUser {
            name: Some("Eva Nováková".into()),
            ..new_user("eva", &["customerCreate"])
        })
        .await
        .expect("add eva");
    assert_eq!(added.user_name, "eva");
    assert_eq!(added.name, "Eva Nováková");
    assert_eq!(added.rights_set(), Rights::NONE.with(Right::CustomerCreate));
    assert_eq!(added.last_sign_in_time, None, "eva never signed in");

    let users = admin.list_users().await.expect("list");
    assert!(
        listed(&users, &me.user_name).is_some_and(|u| u.last_sign_in_time.is_some()),
        "the signed-in admin is listed with a sign-in time: {users:?}"
    );

    // Eva signs in and works with the rights she was given.
    let eva = h.sign_in("eva", NEW_PASSWORD).await.expect("eva signs in");
    eva.create(&json!({"lastName": "Created by Eva"}))
        .await
        .expect("eva may create");
    let users = admin.list_users().await.expect("list");
    assert!(listed(&users, "eva").is_some_and(|u| u.last_sign_in_time.is_some()));

    // New rights apply to her next call, without signing in again.
    let changed = admin
        .change_user(
            "eva",
            &UserChange {
                rights: Some(vec!["customerUpdate".into()]),
                name: Some("Eva Horváthová".into()),
                ..UserChange::default()
            },
        )
        .await
        .expect("change eva");
    assert_eq!(
        changed.rights_set(),
        Rights::NONE.with(Right::CustomerUpdate)
    );
    assert_eq!(changed.name, "Eva Horváthová");
    match eva.create(&json!({"lastName": "Too late"})).await {
        Err(ApiError::Forbidden(right)) => assert!(right.eq_ignore_ascii_case("customerCreate")),
        other => panic!("eva's create must be refused now, got {other:?}"),
    }
    let eva_now = eva.me().await.expect("eva's me");
    assert_eq!(
        eva_now.rights_set(),
        Rights::NONE.with(Right::CustomerUpdate)
    );

    // Removed, she is listed no more and her session ends.
    let removed = admin.delete_user("eva").await.expect("remove eva");
    assert_eq!(removed.user_name, "eva");
    let users = admin.list_users().await.expect("list");
    assert!(listed(&users, "eva").is_none());
    assert!(
        matches!(eva.me().await, Err(ApiError::Unauthorized(_))),
        "a removed user is signed out"
    );
    assert!(matches!(
        h.sign_in("eva", NEW_PASSWORD).await,
        Err(ApiError::Unauthorized(_))
    ));
}

pub async fn user_rules_are_kept<H: Harness>(h: &H) {
    let admin = h.session(Rights::admin()).await;
    let me = admin.me().await.expect("me");
    admin
        .create_user(&new_user("eva", &[]))
        .await
        .expect("add eva");
    let errors = field_errors(admin.create_user(&new_user("EVA", &[])).await);
    assert!(errors[0].message.contains("exists"), "{errors:?}");
    let errors = field_errors(
        admin
            .create_user(&new_user("ann", &["customerDestroy"]))
            .await,
    );
    assert_eq!(errors[0].member_name, "Rights", "{errors:?}");
    let errors = field_errors(
        admin
            .create_user(&NewUser {
                password: "short".into(),
                ..new_user("ann", &[])
            })
            .await,
    );
    assert!(errors[0].message.contains("at least 6"), "{errors:?}");
    let errors = field_errors(
        admin
            .create_user(&NewUser {
                password: "password1".into(),
                ..new_user("boss", &["admin"])
            })
            .await,
    );
    assert!(errors[0].message.contains("common"), "{errors:?}");
    // The only user with every right can neither be removed nor lose it.
    let errors = field_errors(admin.delete_user(&me.user_name).await);
    assert!(
        errors[0].message.contains("last user with every right"),
        "{errors:?}"
    );
    let demote = UserChange {
        rights: Some(vec!["customerCreate".into()]),
        ..UserChange::default()
    };
    field_errors(admin.change_user(&me.user_name, &demote).await);
    assert!(admin.me().await.expect("me").rights_set().has(Right::Admin));
    // With a second one, the first may go.
    admin
        .change_user(
            "eva",
            &UserChange {
                rights: Some(vec!["admin".into()]),
                ..UserChange::default()
            },
        )
        .await
        .expect("eva gets every right");
    let eva = h.sign_in("eva", NEW_PASSWORD).await.expect("eva signs in");
    eva.delete_user(&me.user_name)
        .await
        .expect("eva removes the first admin");
    for result in [
        eva.change_user("nobody", &UserChange::default()).await,
        eva.delete_user("nobody").await,
    ] {
        assert!(
            matches!(&result, Err(ApiError::NoSuchUser(name)) if name == "nobody"),
            "unknown user: {result:?}"
        );
    }
}
