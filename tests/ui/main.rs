//! The desktop window, headless through egui_kittest: the app, the editor, a desk on a
//! server, and the (ignored) frame-time measurement. One test binary, each file a module.

#[path = "../common/http_support/mod.rs"]
mod http_support;
#[path = "../sync/proxy.rs"]
mod proxy;
mod support;

mod app;
mod editor;
mod offline;
mod perf;
mod remote;
mod transfer;
mod truth;
mod typing;
mod users;
