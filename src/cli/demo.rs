//! `customer-desk demo`: fill the store with demo customers.

use std::path::Path;

use clap::Args;

/// Arguments of `customer-desk demo`.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// How many customers to add.
    #[arg(long, default_value_t = 1000)]
    pub count: u64,
    /// The seed: the same seed gives the same customers.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
}

/// Runs `customer-desk demo`.
pub fn run(_db: &Path, _args: DemoArgs) -> anyhow::Result<()> {
    anyhow::bail!("not yet")
}
