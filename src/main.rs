//! `customer-desk`: the window with no arguments, a tool with one.

#![cfg_attr(not(test), warn(clippy::unwrap_used))]

use std::process::ExitCode;

use clap::Parser;
use customer_desk::cli::{self, Cli};
use mimalloc::MiMalloc;

/// mimalloc: the store and the demo loader allocate many small strings; it is markedly
/// faster than the system allocator for that. Its series 2 (the crate's `v2`), which hands
/// freed memory back to the system after 10 ms: series 3 waits a second (ten for its
/// arenas), and a desk's first sync of 1,000,000 customers, which frees each page's buffers
/// as the next arrives, then held some 20–45 MB more (the window's resident memory peaked
/// at 326–345 MB with series 3, at 300–304 MB with series 2).
#[global_allocator]
static GLOBAL: MiMalloc = MiMalloc;

fn main() -> ExitCode {
    let mut cli = Cli::parse();
    match cli.command.take() {
        Some(command) => cli::run(cli, command),
        None => match cli.db_path().and_then(customer_desk::ui::run) {
            Ok(()) => ExitCode::SUCCESS,
            Err(err) => {
                eprintln!("error: {err:#}");
                ExitCode::FAILURE
            }
        },
    }
}
