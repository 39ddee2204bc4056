//! Puts the git revision the binary is built from into `CUSTOMER_DESK_REVISION`, for
//! `customer-desk --version`. A build without git or outside a checkout (a source tarball)
//! says `unknown`, unless the packager sets `CUSTOMER_DESK_REVISION` itself. It reruns only
//! when `HEAD` or the branch it points to moves, not on every edit.

use std::path::Path;
use std::process::Command;

fn git(args: &[&str]) -> Option<String> {
    let output = Command::new("git").args(args).output().ok()?;
    let text = String::from_utf8(output.stdout).ok()?;
    let text = text.trim();
    (output.status.success() && !text.is_empty()).then(|| text.to_owned())
}

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=CUSTOMER_DESK_REVISION");
    let given = std::env::var("CUSTOMER_DESK_REVISION")
        .ok()
        .filter(|r| !r.is_empty());
    let revision = given.or_else(|| {
        // HEAD, the branch it names, and packed refs (where a branch may live instead).
        for file in ["HEAD", "packed-refs"] {
            watch(git(&["rev-parse", "--git-path", file]));
        }
        if let Some(branch) = git(&["symbolic-ref", "-q", "HEAD"]) {
            watch(git(&["rev-parse", "--git-path", &branch]));
        }
        git(&["rev-parse", "--short=12", "HEAD"])
    });
    println!(
        "cargo:rustc-env=CUSTOMER_DESK_REVISION={}",
        revision.as_deref().unwrap_or("unknown")
    );
}

/// Reruns the script when `path` changes; a file that does not exist is not watched (cargo
/// would rerun the script on every build).
fn watch(path: Option<String>) {
    if let Some(path) = path.filter(|p| Path::new(p).exists()) {
        println!("cargo:rerun-if-changed={path}");
    }
}
