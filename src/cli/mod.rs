//! The command line: `customer-desk` with no subcommand opens the window; the subcommands
//! run the API, import and export files, fill a demo store, measure, serve, manage users,
//! and back the store up.

mod api_call;
mod backup;
mod bench;
mod bench_http;
mod bench_mix;
mod bench_sync;
mod demo;
mod doctor;
mod package_files;
mod serve;
mod sync;
mod transfer;
mod users;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

pub use api_call::ApiCallArgs;
pub use backup::{BackupArgs, RestoreArgs};
pub use bench::BenchArgs;
pub use demo::DemoArgs;
pub use doctor::DoctorArgs;
pub use package_files::PackageFilesArgs;
pub use serve::ServeArgs;
pub use sync::{ConflictsArgs, SyncArgs};
pub use transfer::{ExportArgs, ImportArgs};
pub use users::UsersArgs;

/// The version `--version` prints: the package's, and the git revision it was built from
/// (`unknown` for a build outside a git checkout; see `build.rs`).
pub const VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (revision ",
    env!("CUSTOMER_DESK_REVISION"),
    ")"
);

/// Customer Desk: loyalty customers of PORTOS shops.
#[derive(Debug, Parser)]
#[command(name = "customer-desk", version = VERSION, about)]
pub struct Cli {
    /// The database file (default: customers.db in the user's data directory).
    #[arg(long, global = true, value_name = "FILE")]
    pub db: Option<PathBuf>,

    #[command(subcommand)]
    pub command: Option<Command>,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run one API call on the local store and print the response JSON.
    Api(ApiCallArgs),
    /// Fill the store with realistic, deterministic demo customers.
    Demo(DemoArgs),
    /// Time a fixed mix of API calls on a large demo store.
    Bench(BenchArgs),
    /// Serve the Customers API over HTTP to the desks of a shop.
    Serve(ServeArgs),
    /// Manage the users who may sign in to the server.
    Users(UsersArgs),
    /// Keep this store a replica of a shop server: pull and push until caught up.
    Sync(SyncArgs),
    /// List the replica's conflicts, or decide one.
    Conflicts(ConflictsArgs),
    /// Import customers from a CSV (PORTOS Link columns) or JSON Lines file, all or nothing.
    Import(ImportArgs),
    /// Export customers (all, or a query's) to a CSV or JSON Lines file.
    Export(ExportArgs),
    /// Check the store whole (file, indexes, every customer) and, with --repair, mend it.
    Doctor(DoctorArgs),
    /// Take a consistent backup of the store while it is in use, named by the time.
    Backup(BackupArgs),
    /// Put a backup back as the store (with a new server id, so desks read it again).
    Restore(RestoreArgs),
    /// Write the man pages and shell completions (for packaging).
    #[command(hide = true)]
    PackageFiles(PackageFilesArgs),
}

impl Cli {
    /// The database file to use: `--db`, else the default in the data directory.
    pub fn db_path(&self) -> anyhow::Result<PathBuf> {
        match &self.db {
            Some(path) => Ok(path.clone()),
            None => Ok(crate::store::default_db_path()?),
        }
    }
}

/// Runs a subcommand and returns the process exit code.
pub fn run(cli: Cli, command: Command) -> ExitCode {
    let db = match cli.db_path() {
        Ok(db) => db,
        Err(err) => {
            eprintln!("error: {err:#}");
            return ExitCode::from(2);
        }
    };
    let result = match command {
        Command::Api(args) => return api_call::run(&db, args),
        Command::Import(args) => return transfer::run_import(&db, args),
        Command::Export(args) => transfer::run_export(&db, args),
        Command::Demo(args) => demo::run(&db, args),
        Command::Bench(args) => bench::run(cli.db.as_deref(), args),
        Command::Serve(args) => serve::run(&db, args),
        Command::Users(args) => users::run(&db, args),
        Command::Sync(args) => sync::run(&db, args),
        Command::Conflicts(args) => sync::run_conflicts(&db, args),
        Command::Doctor(args) => doctor::run(&db, args),
        Command::Backup(args) => backup::run_backup(&db, args),
        Command::Restore(args) => backup::run_restore(&db, args),
        Command::PackageFiles(args) => package_files::run(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}
