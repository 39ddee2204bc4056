//! Replicas and the sync engine against a real server on loopback (`../shared/spec/sync.md`):
//! the feed and the idempotency extras over HTTP, the engine's merges and conflicts, faults
//! from a proxy, `kill -9` of a syncing process, and randomised convergence.

#[path = "../common/http_support/mod.rs"]
mod http_support;

mod bad_feed;
mod convergence;
mod engine;
mod feed;
mod import;
mod kill;
mod proxy;
mod restore;
mod support;
