//! The HTTP server on loopback: the conformance suite through the remote client, load and
//! security. One test binary, each file a module.

#[path = "../common/conformance/mod.rs"]
mod conformance;
#[path = "../common/damage.rs"]
mod damage;
#[path = "../common/http_support/mod.rs"]
mod http_support;

mod conformance_http;
mod damaged;
mod disk_full;
mod load;
mod security;
mod users;
