//! The conformance suite against the local store.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use customer_desk::api::{LocalApi, LocalSession};
use customer_desk::clock::FixedClock;
use customer_desk::model::{Actor, Rights};
use customer_desk::store::Store;

use crate::conformance::{self, Harness};
use crate::conformance_cases;

struct LocalHarness {
    api: Arc<LocalApi>,
    clock: Arc<FixedClock>,
    _dir: tempfile::TempDir,
}

impl Harness for LocalHarness {
    type Api = LocalSession;

    async fn session(&self, rights: Rights) -> LocalSession {
        LocalSession::new(
            self.api.clone(),
            Actor::new(format!("user-{rights}"), rights),
        )
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
        api,
        clock,
        _dir: dir,
    }
}

include!("../common/conformance/case_list.rs");
