//! A feed answer that is not JSON, cut short, or names an unknown member: a clear error, the
//! replica unchanged, and the next sync (with a good answer) succeeds.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::Router;
use axum::routing::{get, post};
use customer_desk::api::LocalApi;
use customer_desk::model::{Actor, Rights};
use customer_desk::store::Store;
use customer_desk::sync::{Replica, SyncError};

const ANSWERS: [&str; 4] = [
    "<html>proxy error</html>",
    r#"{"serverId":"s1","cursor":"s1.1","remaining":0,"items":[{"seq":1,"id":"x1","_v"#,
    r#"{"serverId":"s1","cursor":"s1.1","remaining":0,"items":[],"surprise":true}"#,
    r#"{"serverId":"s1","cursor":"s1.1","remaining":0,"items":[{"seq":1,"id":"x1","_v":1,"deleted":false,"customer":{"id":"x1","lastName":"Good","_v":1}}]}"#,
];

async fn fake_server() -> (String, Arc<AtomicUsize>) {
    let served = Arc::new(AtomicUsize::new(0));
    let counter = served.clone();
    let app = Router::new()
        .route(
            "/api/auth",
            post(|| async {
                axum::Json(serde_json::json!({
                    "tokenId": "t", "refreshToken": "r",
                    "user": {"id": "u", "name": "eva", "userName": "eva", "rights": ["admin"]}
                }))
            }),
        )
        .route(
            "/sync/customers",
            get(move || {
                let n = counter
                    .fetch_add(1, Ordering::SeqCst)
                    .min(ANSWERS.len() - 1);
                async move {
                    (
                        [(axum::http::header::CONTENT_TYPE, "application/json")],
                        ANSWERS[n],
                    )
                }
            }),
        )
        .route(
            "/customers",
            get(|| async {
                axum::Json(serde_json::json!({"items": [], "count": 0, "totalCount": 0}))
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("address"));
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (url, served)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_broken_feed_answer_changes_nothing_and_the_next_sync_succeeds() {
    let (url, _) = fake_server().await;
    let dir = tempfile::tempdir().expect("dir");
    let api = Arc::new(LocalApi::with_system_clock(
        Store::open(&dir.path().join("desk.db")).expect("store"),
    ));
    let replica = Replica::attach(api.clone(), &url, "eva", "pw", "desk")
        .await
        .expect("attach");
    let actor = Actor::new("eva", Rights::admin());
    for expected in [
        "not what the API promises",
        "not what the API promises",
        "unknown field",
    ] {
        let err = replica.sync_once(0).await.unwrap_err();
        assert!(matches!(err, SyncError::ServerFailed(_)), "{err}");
        assert!(err.to_string().contains(expected), "{err}");
        assert!(
            customer_desk::sync::status(&api)
                .expect("status")
                .cursor
                .is_none()
        );
        assert_eq!(
            api.list(&actor, &customer_desk::ndata::ListParams::new())
                .expect("list")
                .total_count,
            0
        );
    }
    let report = replica.sync_once(0).await.expect("a good answer syncs");
    assert_eq!(report.pulled, 1);
    assert_eq!(
        api.get(&actor, "x1").expect("x1").last_name.as_deref(),
        Some("Good")
    );
}
