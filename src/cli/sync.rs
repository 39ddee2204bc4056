//! `customer-desk sync`, `sync status` and `conflicts` (`../shared/spec/sync.md` §6): a desk's
//! replica of a shop server from the command line.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use clap::{Args, Subcommand};

use super::users::PASSWORD_ENV;
use crate::api::LocalApi;
use crate::sync::conflicts::{self, Take};
use crate::sync::{self, Replica, SyncReport};

/// How long a watching sync waits on the server for a change before it looks again.
const WATCH_WAIT_SECS: u64 = 20;
/// The waits between tries while the server cannot be reached.
const FIRST_BACKOFF: Duration = Duration::from_secs(1);
const MAX_BACKOFF: Duration = Duration::from_secs(300);

/// Arguments of `customer-desk sync`.
#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct SyncArgs {
    #[command(subcommand)]
    pub action: Option<SyncAction>,
    /// The shop server, e.g. http://192.168.1.10:8080 (needed the first time only).
    #[arg(long, value_name = "URL")]
    pub server: Option<String>,
    /// The server user (needed the first time only); the password comes from
    /// $CUSTOMER_DESK_PASSWORD or a prompt.
    #[arg(long, value_name = "NAME")]
    pub user: Option<String>,
    /// Keep syncing (changes on the server arrive within a second) until Ctrl-C or SIGTERM.
    #[arg(long)]
    pub watch: bool,
    /// Print one JSON object per sync instead of a sentence.
    #[arg(long)]
    pub json: bool,
}

/// What else `sync` does.
#[derive(Debug, Subcommand)]
pub enum SyncAction {
    /// What waits to be pushed, conflicts, parked writes, the server and the last sync.
    Status {
        #[arg(long)]
        json: bool,
    },
}

/// Arguments of `customer-desk conflicts`.
#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct ConflictsArgs {
    #[command(subcommand)]
    pub action: Option<ConflictsAction>,
    #[arg(long)]
    pub json: bool,
}

/// What to do with conflicts.
#[derive(Debug, Subcommand)]
pub enum ConflictsAction {
    /// Decide a conflict for one side.
    Resolve {
        /// The customer's id.
        id: String,
        #[arg(long, value_enum)]
        take: Take,
    },
}

fn read_password(user: &str) -> anyhow::Result<String> {
    if let Ok(password) = std::env::var(PASSWORD_ENV)
        && !password.is_empty()
    {
        return Ok(password);
    }
    rpassword::prompt_password(format!("Password of {user} at the server: "))
        .with_context(|| format!("cannot prompt for a password; set ${PASSWORD_ENV} instead"))
}

fn device_name() -> String {
    let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "a desk".to_owned());
    format!("customer-desk sync on {host}")
}

fn print_report(report: &SyncReport, json: bool) -> anyhow::Result<()> {
    if json {
        println!("{}", serde_json::to_string(report)?);
    } else {
        println!(
            "Pulled {}, pushed {}; {} waiting to be pushed, {} conflicts, {} parked.",
            report.pulled, report.pushed, report.pending, report.conflicts, report.parked
        );
    }
    Ok(())
}

/// Runs `customer-desk sync`.
pub fn run(db: &Path, args: SyncArgs) -> anyhow::Result<()> {
    let api = Arc::new(LocalApi::open(db)?);
    if let Some(SyncAction::Status { json }) = args.action {
        let status = sync::status(&api)?;
        if json {
            println!("{}", serde_json::to_string(&status)?);
        } else {
            println!(
                "Replica of {} as {}: {} waiting to be pushed, {} conflicts, {} parked; last synced {}.",
                status.server,
                status.user,
                status.pending,
                status.conflicts,
                status.parked,
                status.last_sync.as_deref().unwrap_or("never")
            );
        }
        return Ok(());
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let replica = match (&args.server, &args.user) {
            // Attached to this server as this user already: the kept session serves.
            (Some(server), Some(user)) if is_attached_as(&api, server, user) => {
                Replica::resume(api)?
            }
            (Some(server), Some(user)) => {
                let password = read_password(user)?;
                Replica::attach(api, server, user, &password, &device_name()).await?
            }
            (None, None) => Replica::resume(api)?,
            _ => anyhow::bail!(
                "give both --server and --user (or neither, to reuse the saved session)"
            ),
        };
        if !args.watch {
            let report = replica.sync_once(0).await?;
            return print_report(&report, args.json);
        }
        watch(&replica, args.json).await
    })
}

/// Whether the store is already a replica of `server` (however the address is written) for
/// `user`.
fn is_attached_as(api: &LocalApi, server: &str, user: &str) -> bool {
    let Ok(status) = sync::status(api) else {
        return false;
    };
    let same_server = match (
        url::Url::parse(server.trim()),
        url::Url::parse(&status.server),
    ) {
        (Ok(a), Ok(b)) => {
            a.scheme() == b.scheme()
                && a.host_str() == b.host_str()
                && a.port_or_known_default() == b.port_or_known_default()
                && a.path().trim_end_matches('/') == b.path().trim_end_matches('/')
        }
        _ => false,
    };
    same_server && status.user.eq_ignore_ascii_case(user)
}

/// Syncs until Ctrl-C or SIGTERM. A stop takes effect between two transactions: the store's
/// writes never wait on the network, so dropping a sync at an await leaves no half-applied
/// page and no half-recorded push.
async fn watch(replica: &Replica, json: bool) -> anyhow::Result<()> {
    let stop = crate::server::shutdown_signal();
    tokio::pin!(stop);
    let mut backoff = FIRST_BACKOFF;
    loop {
        let round = tokio::select! {
            round = replica.sync_once(WATCH_WAIT_SECS) => round,
            () = &mut stop => return Ok(()),
        };
        let pause = match round {
            Ok(report) => {
                backoff = FIRST_BACKOFF;
                if report.pulled + report.pushed > 0 {
                    print_report(&report, json)?;
                }
                Duration::ZERO
            }
            Err(e) if e.is_transient() => {
                // The server's own Retry-After, when it gave one, is the least we wait.
                let asked = replica.client().take_retry_after().unwrap_or_default();
                let pause = jittered(backoff).max(asked);
                eprintln!("{e}; trying again in {} s", pause.as_secs().max(1));
                backoff = (backoff * 2).min(MAX_BACKOFF);
                pause
            }
            Err(e) => return Err(e.into()),
        };
        tokio::select! {
            () = tokio::time::sleep(pause) => {}
            () = &mut stop => return Ok(()),
        }
    }
}

/// Half of `wait` plus a random part of the other half, so desks that lost the server at
/// the same moment do not all come back at once.
fn jittered(wait: Duration) -> Duration {
    let half = wait / 2;
    half + half.mul_f64(rand::random::<f64>())
}

/// Runs `customer-desk conflicts`.
pub fn run_conflicts(db: &Path, args: ConflictsArgs) -> anyhow::Result<()> {
    let api = LocalApi::open(db)?;
    match args.action {
        Some(ConflictsAction::Resolve { id, take }) => {
            conflicts::resolve(&api, &id, take)?;
            println!("Resolved {id}: the next sync pushes the result.");
        }
        None => {
            let open = conflicts::list(&api)?;
            if args.json {
                println!("{}", serde_json::to_string(&open)?);
            } else if open.is_empty() {
                println!("No conflicts.");
            } else {
                for c in open {
                    println!("{} {} (since {})", c.id, c.customer, c.detected);
                    for f in c.fields {
                        println!(
                            "  {}: before {}, this desk {}, server {}",
                            f.field, f.base, f.desk, f.server
                        );
                    }
                }
            }
        }
    }
    Ok(())
}
