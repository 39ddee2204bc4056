//! `customer-desk bench`: timings of a fixed query mix on a large demo store.

use std::path::Path;

use clap::Args;

/// Arguments of `customer-desk bench`.
#[derive(Debug, Args)]
pub struct BenchArgs {
    /// How many customers the demo store has.
    #[arg(long, default_value_t = 1_000_000)]
    pub count: u64,
    /// Print one JSON object instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// Runs `customer-desk bench`.
pub fn run(_db: Option<&Path>, _args: BenchArgs) -> anyhow::Result<()> {
    anyhow::bail!("not yet")
}
