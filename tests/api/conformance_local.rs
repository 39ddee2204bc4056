//! The conformance suite against the local store.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use chrono::{DateTime, Utc};
use customer_desk::api::{ApiError, Auth, AuthPolicy, LocalApi, LocalSession};
use customer_desk::clock::FixedClock;
use customer_desk::model::Rights;
use customer_desk::store::Store;

use crate::conformance::{self, Harness};
use crate::conformance_cases;

/// The password of the users `session` adds.
const PASSWORD: &str = "conformance-password";

struct LocalHarness {
    api: Arc<LocalApi>,
    auth: Auth,
    users: AtomicU64,
    clock: Arc<FixedClock>,
    _dir: tempfile::TempDir,
}

impl Harness for LocalHarness {
    type Api = LocalSession;

    async fn session(&self, rights: Rights) -> LocalSession {
        let name = format!("user{}", self.users.fetch_add(1, Ordering::Relaxed));
        self.auth
            .add_user(&name, PASSWORD, rights)
            .expect("add user");
        self.sign_in(&name, PASSWORD).await.expect("sign in")
    }

    async fn sign_in(&self, user_name: &str, password: &str) -> Result<LocalSession, ApiError> {
        let (actor, info) = self.api.sign_in(user_name, password)?;
        Ok(LocalSession::for_user(self.api.clone(), actor, info))
    }

    fn set_now(&self, now: DateTime<Utc>) {
        self.clock.set(now);
    }
}

async fn make_harness() -> LocalHarness {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = Store::open(&dir.path().join("conformance.db")).expect("store");
    let clock = Arc::new(FixedClock::new(conformance::cases::start_time()));
    let api = Arc::new(LocalApi::new(store, clock.clone()));
    LocalHarness {
        auth: Auth::new(api.clone(), AuthPolicy::default()),
        users: AtomicU64::new(0),
        api,
        clock,
        _dir: dir,
    }
}

include!("../common/conformance/case_list.rs");
