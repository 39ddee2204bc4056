//! Desks for the sync tests: each a replica in a file of its own, attached to a test server.

#![allow(dead_code)]

use std::sync::Arc;

use customer_desk::api::LocalApi;
use customer_desk::model::{Actor, Customer};
use customer_desk::ndata::ListParams;
use customer_desk::store::Store;
use customer_desk::sync::{self, Replica, SyncReport};
use serde_json::Value;

use crate::http_support::{PASSWORD, TestServer};

/// A desk: its store, its replica and the server user it acts as.
pub struct Desk {
    pub api: Arc<LocalApi>,
    pub replica: Replica,
    pub actor: Actor,
    pub dir: tempfile::TempDir,
}

impl Desk {
    /// A new desk attached to `url` as `user`.
    pub async fn attach(url: &str, user: &str) -> Desk {
        let dir = tempfile::tempdir().expect("dir");
        let api = Arc::new(LocalApi::with_system_clock(
            Store::open(&dir.path().join("desk.db")).expect("store"),
        ));
        let replica = Replica::attach(api.clone(), url, user, PASSWORD, "test desk")
            .await
            .expect("attach");
        let actor = sync::local_actor(&api).expect("actor").expect("attached");
        Desk {
            api,
            replica,
            actor,
            dir,
        }
    }

    /// One sync, which must reach the server.
    pub async fn sync(&self) -> SyncReport {
        self.replica.sync_once(0).await.expect("sync")
    }

    pub fn create(&self, body: Value) -> Customer {
        self.api.create(&self.actor, &body).expect("create")
    }

    pub fn get(&self, id: &str) -> Option<Customer> {
        self.api.get(&self.actor, id).ok()
    }

    /// Changes `member` of customer `id` to `value` through the desk's API.
    pub fn edit(&self, id: &str, member: &str, value: Value) -> Customer {
        let mut body = serde_json::to_value(self.get(id).expect("customer")).expect("json");
        body[member] = value;
        body.as_object_mut().expect("object").remove("_v");
        self.api
            .upsert(&self.actor, id, &body)
            .expect("edit")
            .customer
    }

    /// Every customer of the desk, by id, without the computed status.
    pub fn all(&self) -> Vec<Customer> {
        everyone(&self.api, &self.actor)
    }
}

/// Every customer of `api` in id order.
pub fn everyone(api: &LocalApi, actor: &Actor) -> Vec<Customer> {
    api.list(actor, &ListParams::from_query_string("$sort=id"))
        .expect("list")
        .items
        .expect("items")
}

/// Every customer the server holds.
pub fn server_customers(server: &TestServer) -> Vec<Customer> {
    let actor = Actor::new("check", customer_desk::model::Rights::admin());
    everyone(server.auth.api(), &actor)
}
