//! The library's API and store, in process: the conformance suite on the local store, the
//! property tests, search, listing, migrations and checkpoints, and the check that the
//! source keeps its layers. One test binary, each file a module.

#[path = "../common/conformance/mod.rs"]
mod conformance;
#[path = "../common/damage.rs"]
mod damage;

mod backup;
mod checkpoints;
mod conformance_local;
mod counted_keys;
mod damaged_data;
mod layering;
mod ledger;
mod list_json;
mod migrations;
mod search_paths;
mod search_properties;
mod store_properties;
mod transfer;
mod update_properties;
