//! Customer Desk: the PORTOS Customers API over a local SQLite store, served over HTTP,
//! spoken to remotely, and shown in an egui back-office window.
//!
//! Layers, bottom up: [`model`] (the resources), [`ndata`] (the query language), [`store`]
//! (SQLite), [`api`] (the rules; every front end calls it), [`transfer`] (CSV and JSON Lines
//! files for import and export, over the API), then the front ends: [`cli`],
//! [`server`], [`remote`], [`service`] (the desk's service thread) and [`ui`], the only
//! module that draws. Each layer imports only from below; `tests/api/layering.rs` checks the
//! boundaries that matter most.

// Errors are handled or returned, never unwrapped, outside tests.
#![cfg_attr(not(test), warn(clippy::unwrap_used))]

pub mod api;
pub mod cli;
pub mod clock;
pub mod demo;
pub mod model;
pub mod ndata;
pub mod remote;
pub mod server;
pub mod service;
pub mod store;
pub mod sync;
pub mod text;
pub mod transfer;
pub mod ui;
