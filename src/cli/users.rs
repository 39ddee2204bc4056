//! `customer-desk users`: the people who may sign in to the server, and their rights.

use anyhow::Context as _;
use clap::{Args, Subcommand};
use std::path::Path;

use std::sync::Arc;

use crate::api::{Auth, AuthPolicy, LocalApi};
use crate::model::Rights;
use crate::store::Store;

/// The environment variable a password is read from instead of a prompt (for scripts).
pub const PASSWORD_ENV: &str = "CUSTOMER_DESK_PASSWORD";

/// Arguments of `customer-desk users`.
#[derive(Debug, Args)]
pub struct UsersArgs {
    #[command(subcommand)]
    pub action: UsersAction,
}

/// What to do with users. Passwords come from a prompt or from $CUSTOMER_DESK_PASSWORD, never
/// from an argument (which every user of the machine could read in the process list).
#[derive(Debug, Subcommand)]
pub enum UsersAction {
    /// Add a user.
    Add {
        name: String,
        /// Comma-separated rights: customerCreate, customerUpdate, customerDelete,
        /// customerSetCredit, customerSetDiscount, admin. Empty: may only read.
        #[arg(long, default_value = "")]
        rights: String,
    },
    /// List the users and their rights.
    List,
    /// Replace a user's rights (they apply to the user's next request).
    SetRights { name: String, rights: String },
    /// Set a new password; the user's open sessions are signed out.
    Passwd { name: String },
    /// Remove a user and sign out their sessions.
    Remove { name: String },
}

fn read_password(name: &str) -> anyhow::Result<String> {
    if let Ok(password) = std::env::var(PASSWORD_ENV)
        && !password.is_empty()
    {
        return Ok(password);
    }
    let first = rpassword::prompt_password(format!("Password for {name}: "))
        .with_context(|| format!("cannot prompt for a password; set ${PASSWORD_ENV} instead"))?;
    let second = rpassword::prompt_password("Again: ")
        .with_context(|| format!("cannot prompt for a password; set ${PASSWORD_ENV} instead"))?;
    anyhow::ensure!(
        first == second,
        "the two passwords differ; nothing was changed"
    );
    Ok(first)
}

fn parse_rights(list: &str) -> anyhow::Result<Rights> {
    Rights::parse_list(list).map_err(|e| anyhow::anyhow!("rights: {e}"))
}

/// Runs `customer-desk users`.
pub fn run(db: &Path, args: UsersArgs) -> anyhow::Result<()> {
    let api = Arc::new(LocalApi::with_system_clock(Store::open(db)?));
    let auth = Auth::new(api, AuthPolicy::default());
    match args.action {
        UsersAction::Add { name, rights } => {
            let rights = parse_rights(&rights)?;
            let password = read_password(&name)?;
            let user = auth.add_user(&name, &password, rights)?;
            println!(
                "Added {} with rights: {}",
                user.user_name,
                describe(user.rights)
            );
        }
        UsersAction::List => {
            let all = auth.list_users()?;
            if all.is_empty() {
                println!("No users yet; `customer-desk serve` creates admin on its first start.");
            }
            for user in all {
                println!("{:<24} {}", user.user_name, describe(user.rights));
            }
        }
        UsersAction::SetRights { name, rights } => {
            let rights = parse_rights(&rights)?;
            auth.set_rights(&name, rights)?;
            println!("{name} now has rights: {}", describe(rights));
        }
        UsersAction::Passwd { name } => {
            auth.find_user(&name)?
                .ok_or_else(|| anyhow::anyhow!("no user named {name}"))?;
            let password = read_password(&name)?;
            auth.set_password(&name, &password)?;
            println!("Changed the password of {name}; their sessions are signed out.");
        }
        UsersAction::Remove { name } => {
            auth.remove_user(&name)?;
            println!("Removed {name}.");
        }
    }
    Ok(())
}

fn describe(rights: Rights) -> String {
    if rights == Rights::NONE {
        "(read only)".to_owned()
    } else {
        rights.to_string()
    }
}
