//! `customer-desk backup` and `customer-desk restore`: a consistent copy of a store in use,
//! and putting one back (`store::backup`).

use std::num::NonZeroUsize;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use clap::Args;

use crate::store::backup;

/// Arguments of `customer-desk backup`.
#[derive(Debug, Args)]
pub struct BackupArgs {
    /// The folder the backup goes to (made if needed). The backup is named by the store and
    /// the time: customers-20261201T020000.000Z.db.
    #[arg(long, value_name = "DIR")]
    pub to: PathBuf,
    /// Keep only the newest N backups of this store in DIR, deleting the older ones.
    #[arg(long, value_name = "N")]
    pub keep: Option<NonZeroUsize>,
}

/// Arguments of `customer-desk restore`.
#[derive(Debug, Args)]
pub struct RestoreArgs {
    /// The backup to put back: a file, or a folder of backups (then its newest backup of
    /// this store). Refused while a server, a window or a sync has the store open.
    #[arg(value_name = "BACKUP")]
    pub from: PathBuf,
}

/// Runs `customer-desk backup`: the new file's path on stdout, a summary on stderr.
pub fn run_backup(db: &Path, args: BackupArgs) -> anyhow::Result<()> {
    let made = backup::backup(db, &args.to, args.keep, chrono::Utc::now())?;
    println!("{}", made.file.display());
    eprintln!(
        "Backed up {} ({:.1} MB).",
        db.display(),
        made.bytes as f64 / 1e6
    );
    for old in &made.pruned {
        eprintln!("Deleted the older backup {}.", old.display());
    }
    Ok(())
}

/// Runs `customer-desk restore`.
pub fn run_restore(db: &Path, args: RestoreArgs) -> anyhow::Result<()> {
    let from = if args.from.is_dir() {
        backup::list(db, &args.from)?.pop().with_context(|| {
            format!(
                "{} holds no backup of {}",
                args.from.display(),
                db.display()
            )
        })?
    } else {
        args.from
    };
    let restored = backup::restore(&from, db)?;
    eprintln!("Restored {} from {}.", db.display(), from.display());
    if let Some(previous) = &restored.previous {
        eprintln!("The store as it was is kept as {}.", previous.display());
    }
    if let Some(id) = &restored.server_id {
        eprintln!(
            "Its server id is now {id}: desks that sync with it read everything again and push back what it lacks."
        );
    }
    Ok(())
}
