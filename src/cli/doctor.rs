//! `customer-desk doctor`: the full integrity check of a store, its indexes and every stored
//! customer, and with `--repair` what can be mended: indexes rebuilt, and customers whose
//! documents cannot be read removed (a copy of each kept beside the database first).

use std::path::{Path, PathBuf};

use anyhow::{Context as _, bail};
use clap::Args;

use crate::api::LocalApi;
use crate::model::{Actor, Rights};
use crate::store::customers::{self as rows, Damaged};

/// Arguments of `customer-desk doctor`.
#[derive(Debug, Args)]
pub struct DoctorArgs {
    /// Mend what can be mended: rebuild the indexes if the check finds them wrong, and remove
    /// the customers whose stored documents cannot be read (each document is copied to
    /// `FILE.damaged/` first, and desks syncing with this store see the removals).
    #[arg(long)]
    pub repair: bool,
}

/// Runs the checks; fails (exit code 1) when a problem is left.
pub fn run(db: &Path, args: DoctorArgs) -> anyhow::Result<()> {
    if !db.exists() {
        bail!("there is no database at {}", db.display());
    }
    let api = LocalApi::open(db)?;
    let store = api.store();
    println!("Checking {} …", db.display());

    let mut integrity = store.integrity_check()?;
    report_integrity(&integrity);
    if args.repair && !is_ok(&integrity) {
        println!("Rebuilding every index …");
        store.reindex()?;
        integrity = store.integrity_check()?;
        report_integrity(&integrity);
    }

    let indexes = store.index_health()?;
    println!(
        "Sort indexes: {} of {}{}",
        indexes.sort_indexes,
        indexes.sort_indexes_expected,
        if indexes.search_index_stale {
            "; the search index is behind (the next start rebuilds it)"
        } else {
            ""
        }
    );

    let mut damaged = store.read(rows::find_damaged)?;
    if damaged.is_empty() {
        println!("Customers: every stored customer can be read.");
    } else {
        println!("Customers that cannot be read: {}", damaged.len());
        for d in &damaged {
            println!("  {} (row {}): {}", d.id, d.rid, d.reason);
        }
        if args.repair {
            remove_damaged(&api, db, &damaged)?;
            damaged = store.read(rows::find_damaged)?;
        } else {
            println!("`customer-desk doctor --repair` removes them, keeping a copy of each.");
        }
    }

    if is_ok(&integrity) && damaged.is_empty() {
        println!("The store is sound.");
        Ok(())
    } else if !is_ok(&integrity) {
        bail!(
            "the database file is damaged beyond its indexes; put back the latest backup, or \
             copy what can be read with `sqlite3 {} .recover`",
            db.display()
        )
    } else {
        bail!("{} customers cannot be read", damaged.len())
    }
}

fn is_ok(integrity: &[String]) -> bool {
    integrity == ["ok"]
}

fn report_integrity(lines: &[String]) {
    if is_ok(lines) {
        println!("Database file: ok");
    } else {
        println!("Database file: {} problems", lines.len());
        for line in lines {
            println!("  {line}");
        }
    }
}

/// The folder the damaged documents are copied to: `shop.db.damaged/` beside `shop.db`.
fn keep_dir(db: &Path) -> PathBuf {
    let mut name = db.as_os_str().to_owned();
    name.push(".damaged");
    PathBuf::from(name)
}

/// A file name for a customer id: its letters, digits, `-` and `_`; anything else as `_`.
fn file_name_for(id: &str) -> String {
    let safe: String = id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!("{safe}.bin")
}

/// Copies each damaged document aside, then deletes the customer through the API (so the
/// change log and the feed record it). A replica's customers are its server's: it is not
/// repaired here.
fn remove_damaged(api: &LocalApi, db: &Path, damaged: &[Damaged]) -> anyhow::Result<()> {
    if crate::sync::local_actor(api)?.is_some() {
        bail!(
            "this store is a replica of a shop server: its damaged customers are the server's; \
             sign in to the server on a new store to copy them again"
        );
    }
    let dir = keep_dir(db);
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let doctor = Actor::new("doctor", Rights::admin());
    for d in damaged {
        let raw = api.store().read(|s| rows::raw_doc(s, d.rid))?;
        let kept = dir.join(file_name_for(&d.id));
        std::fs::write(&kept, raw.unwrap_or_default())
            .with_context(|| format!("cannot write {}", kept.display()))?;
        api.delete(&doctor, &d.id)?;
        println!(
            "  removed {}; its stored document is in {}",
            d.id,
            kept.display()
        );
    }
    Ok(())
}
