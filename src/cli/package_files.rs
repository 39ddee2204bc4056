//! `customer-desk package-files DIR` (hidden): the man pages and shell completions made
//! from the command line's own definitions, for `installer/build.sh` to put in the package.

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use clap::{Args, CommandFactory};
use clap_complete::Shell;

use super::Cli;

/// Arguments of `customer-desk package-files`.
#[derive(Debug, Args)]
pub struct PackageFilesArgs {
    /// Where to write `man/*.1` and `completions/` (made if needed).
    #[arg(value_name = "DIR")]
    pub out: PathBuf,
}

/// Writes a man page per (sub)command and the bash, zsh and fish completions.
pub fn run(args: PackageFilesArgs) -> anyhow::Result<()> {
    let man = args.out.join("man");
    let completions = args.out.join("completions");
    for dir in [&man, &completions] {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    clap_mangen::generate_to(Cli::command(), &man)
        .with_context(|| format!("cannot write the man pages to {}", man.display()))?;
    for shell in [Shell::Bash, Shell::Zsh, Shell::Fish] {
        write_completion(shell, &completions)?;
    }
    eprintln!(
        "Wrote the man pages and completions to {}.",
        args.out.display()
    );
    Ok(())
}

fn write_completion(shell: Shell, dir: &Path) -> anyhow::Result<PathBuf> {
    clap_complete::generate_to(shell, &mut Cli::command(), "customer-desk", dir)
        .with_context(|| format!("cannot write the {shell} completion to {}", dir.display()))
}
