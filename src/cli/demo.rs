//! `customer-desk demo`: fill the store with demo customers.

use std::path::Path;

use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};

use crate::api::LocalApi;
use crate::store::Store;

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

/// Runs `customer-desk demo`, showing progress on stderr.
pub fn run(db: &Path, args: DemoArgs) -> anyhow::Result<()> {
    let api = LocalApi::with_system_clock(Store::open(db)?);
    let bar = ProgressBar::new(args.count).with_style(ProgressStyle::with_template(
        "{bar:40} {pos}/{len} customers, {per_sec}, {eta} left",
    )?);
    let report = crate::demo::load(&api, args.count, args.seed, &mut |done| {
        bar.set_position(done);
        true
    })?;
    bar.finish_and_clear();
    eprintln!(
        "Added {} demo customers to {} in {:.1} s ({:.0} per second; indexes {:.1} s).",
        report.added,
        db.display(),
        report.elapsed.as_secs_f64(),
        report.per_second(),
        report.index_build.as_secs_f64()
    );
    Ok(())
}
