//! The conformance suite over HTTP: the remote client talking to `serve` on loopback must
//! give the same results as the local store.

use std::time::Duration;

use chrono::{DateTime, Utc};
use customer_desk::api::{ApiError, AuthPolicy};
use customer_desk::model::Rights;
use customer_desk::remote::RemoteClient;

use crate::conformance::{self, Harness};
use crate::conformance_cases;
use crate::http_support::TestServer;

struct HttpHarness {
    server: TestServer,
}

impl Harness for HttpHarness {
    type Api = RemoteClient;

    async fn session(&self, rights: Rights) -> RemoteClient {
        self.server.session(rights).await
    }

    async fn sign_in(&self, user_name: &str, password: &str) -> Result<RemoteClient, ApiError> {
        RemoteClient::login(&self.server.base_url, user_name, password, "test desk").await
    }

    fn set_now(&self, now: DateTime<Utc>) {
        self.server.clock.set(now);
    }
}

async fn make_harness() -> HttpHarness {
    // Cases move the clock by years to test status and expiry; the sessions must outlive
    // that, as a local session does.
    let century = Duration::from_secs(100 * 366 * 86_400);
    let policy = AuthPolicy {
        token_ttl: century,
        refresh_ttl: century,
        ..AuthPolicy::default()
    };
    HttpHarness {
        server: TestServer::start_with(conformance::cases::start_time(), policy).await,
    }
}

include!("../common/conformance/case_list.rs");
