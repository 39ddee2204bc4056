//! `customer-desk serve`: the Customers API over HTTP for the desks of a shop.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use clap::Args;

use crate::api::{Auth, AuthPolicy, LocalApi};
use crate::model::Rights;
use crate::server::{self, AppState, ServerLimits};
use crate::store::Store;

/// The environment variable `serve` reads the first admin's password from by default.
pub const ADMIN_PASSWORD_ENV: &str = "CUSTOMER_DESK_ADMIN_PASSWORD";

/// Arguments of `customer-desk serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// The address to listen on; 0.0.0.0:8080 lets the other desks of the shop in.
    #[arg(long, default_value = "127.0.0.1:8080", value_name = "ADDR")]
    pub bind: SocketAddr,
    /// How long a sign-in lasts before the desk must refresh it: 90s, 30m, 8h, 2d.
    #[arg(long, default_value = "8h", value_name = "DURATION", value_parser = parse_duration)]
    pub token_ttl: Duration,
    /// On the first start, take the password of the `admin` user from this environment
    /// variable instead of making one up.
    #[arg(long, default_value = ADMIN_PASSWORD_ENV, value_name = "VAR")]
    pub admin_password_env: String,
    /// Answer as a plain PORTOS server: no /sync feed, no Idempotency-Key, no DELETE ?_v
    /// (desks then sync by listing, as they would against PORTOS).
    #[arg(long)]
    pub portos_compatible: bool,
    /// Open connections at most; past it an idle one is closed to make room. Keep it well
    /// below the process's descriptor limit (`ulimit -n`, 1,024 under systemd).
    #[arg(long, default_value_t = ServerLimits::default().max_connections, value_name = "N")]
    pub max_connections: usize,
    /// The address of a reverse proxy (nginx, Caddy) in front of the server; repeat for
    /// several. On its connections the client's address is read from `X-Forwarded-For`, so
    /// failed sign-ins slow down only the desk that made them, not every desk behind it.
    #[arg(long = "trusted-proxy", value_name = "IP")]
    pub trusted_proxies: Vec<std::net::IpAddr>,
}

/// Reads `90s`, `30m`, `8h` or `2d` (a bare number is seconds).
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: u64 = number
        .parse()
        .map_err(|_| format!("\"{text}\" is not a duration such as 90s, 30m, 8h or 2d"))?;
    let unit_secs = match unit.trim() {
        "" | "s" => 1,
        "m" | "min" => 60,
        "h" => 3600,
        "d" => 86_400,
        other => return Err(format!("unknown unit \"{other}\" (use s, m, h or d)")),
    };
    if number == 0 {
        return Err("the duration must be more than zero".into());
    }
    Ok(Duration::from_secs(number.saturating_mul(unit_secs)))
}

/// A password for the first admin: 20 letters and digits, about 119 bits.
fn random_password() -> String {
    const ALPHABET: &[u8] = b"abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    (0..20)
        .map(|_| ALPHABET[rand::random_range(0..ALPHABET.len())] as char)
        .collect()
}

/// Creates `admin` when the store has no user yet, so a fresh server can be signed in to.
fn ensure_first_user(auth: &Auth, password_env: &str) -> anyhow::Result<()> {
    if auth.user_count()? > 0 {
        return Ok(());
    }
    match std::env::var(password_env).ok().filter(|p| !p.is_empty()) {
        Some(password) => {
            auth.add_user("admin", &password, Rights::admin())?;
            println!("Created the user admin with the password from ${password_env}.");
        }
        None => {
            let password = random_password();
            auth.add_user("admin", &password, Rights::admin())?;
            println!("Created the user admin with the password {password}");
            println!(
                "It is shown only this once: note it, or change it with `customer-desk users passwd admin`."
            );
        }
    }
    Ok(())
}

/// Runs `customer-desk serve` until Ctrl-C or SIGTERM.
pub fn run(db: &Path, args: ServeArgs) -> anyhow::Result<()> {
    init_logging();
    let store = Store::open_for_server(db)?;
    let api = Arc::new(LocalApi::with_system_clock(store));
    let policy = AuthPolicy {
        token_ttl: args.token_ttl,
        ..AuthPolicy::default()
    };
    let auth = Arc::new(Auth::new(api, policy));
    ensure_first_user(&auth, &args.admin_password_env)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(args.bind)
            .await
            .with_context(|| format!("cannot listen on {}", args.bind))?;
        tracing::info!(
            "serving {} on http://{}",
            db.display(),
            listener.local_addr()?
        );
        let limits = ServerLimits {
            max_connections: args.max_connections.max(1),
            ..ServerLimits::default()
        };
        let state = AppState::new(auth)
            .with_limits(limits)
            .with_trusted_proxies(args.trusted_proxies);
        let state = if args.portos_compatible {
            state.portos_compatible()
        } else {
            state
        };
        server::serve(listener, state, server::shutdown_signal()).await?;
        tracing::info!("stopped");
        anyhow::Ok(())
    })
}

fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    // Fails only when a subscriber is set already, which then logs for us.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_the_way_people_write_them() {
        assert_eq!(parse_duration("8h"), Ok(Duration::from_secs(8 * 3600)));
        assert_eq!(parse_duration("90"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("2d"), Ok(Duration::from_secs(2 * 86_400)));
        assert!(
            parse_duration("8 hours")
                .unwrap_err()
                .contains("unknown unit")
        );
        assert!(parse_duration("h").is_err());
        assert!(parse_duration("0s").is_err());
    }
}
