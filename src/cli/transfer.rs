//! `customer-desk import` and `customer-desk export`: customers from and to CSV (the PORTOS
//! Link layout) and JSON Lines files.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, ValueEnum};

use crate::api::{LocalApi, MatchBy};
use crate::model::{Actor, Rights};
use crate::ndata::ListParams;
use crate::store::Store;
use crate::transfer::{self, Format, ImportRequest, ImportSummary};

/// A file format on the command line.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum FormatArg {
    Csv,
    Jsonl,
}

impl From<FormatArg> for Format {
    fn from(format: FormatArg) -> Self {
        match format {
            FormatArg::Csv => Format::Csv,
            FormatArg::Jsonl => Format::Jsonl,
        }
    }
}

/// How a row finds the customer it updates, on the command line.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum MatchArg {
    Id,
    #[value(name = "externalId", alias = "external-id")]
    ExternalId,
    Card,
}

/// Arguments of `customer-desk import`.
#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The file: CSV with a header row, or JSON Lines.
    pub file: PathBuf,
    /// The file's format (default: from its extension, .csv or .jsonl).
    #[arg(long, value_enum)]
    pub format: Option<FormatArg>,
    /// Count what would be created, updated, left unchanged and refused; write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Match rows to customers by this key only (default: the row's id, else its external
    /// id, else its first card).
    #[arg(long = "match", value_enum)]
    pub match_by: Option<MatchArg>,
    /// Write the rows that pass even when others are refused (default: any refused row
    /// writes nothing at all).
    #[arg(long)]
    pub skip_refused: bool,
    /// Act as a user holding just these rights (comma-separated), as with `api`.
    #[arg(long)]
    pub rights: Option<String>,
    /// Print the report as one JSON object.
    #[arg(long)]
    pub json: bool,
}

/// Arguments of `customer-desk export`.
#[derive(Debug, Args)]
pub struct ExportArgs {
    /// The file to write (replaced when it exists).
    pub file: PathBuf,
    /// The file's format (default: from its extension, .csv or .jsonl).
    #[arg(long, value_enum)]
    pub format: Option<FormatArg>,
    /// Which customers, as NData query parameters, e.g. 'IsActive=true&Search=nov' (default:
    /// every customer).
    #[arg(long, default_value = "")]
    pub query: String,
}

fn open(db: &Path, rights: Option<&str>) -> anyhow::Result<(LocalApi, Actor)> {
    let rights = rights
        .map(Rights::parse_list)
        .transpose()
        .map_err(|e| anyhow::anyhow!("--rights: {e}"))?;
    let api = LocalApi::with_system_clock(Store::open(db)?);
    let actor = match (rights, crate::sync::local_actor(&api)) {
        (Some(rights), _) => Actor::new("cli", rights),
        (None, Ok(Some(server_user))) => server_user,
        (None, _) => Actor::new("cli", Rights::admin()),
    };
    Ok((api, actor))
}

/// Runs `customer-desk import`: 0 when the rows were written (or a dry run found nothing
/// to refuse), 1 when rows were refused and so nothing was written, 2 when the file could
/// not be read.
pub fn run_import(db: &Path, args: ImportArgs) -> ExitCode {
    let (api, actor) = match open(db, args.rights.as_deref()) {
        Ok(opened) => opened,
        Err(err) => {
            eprintln!("error: {err:#}");
            return ExitCode::from(2);
        }
    };
    let request = ImportRequest {
        format: args.format.map(Format::from),
        match_by: match args.match_by {
            None => MatchBy::Auto,
            Some(MatchArg::Id) => MatchBy::Id,
            Some(MatchArg::ExternalId) => MatchBy::ExternalId,
            Some(MatchArg::Card) => MatchBy::Card,
        },
        dry_run: args.dry_run,
        skip_refused: args.skip_refused,
    };
    let summary = match transfer::import_file(&api, &actor, &args.file, request, |_, _| true) {
        Ok(summary) => summary,
        Err(err) => {
            eprintln!("error: {err}");
            return ExitCode::from(2);
        }
    };
    if args.json {
        match serde_json::to_string_pretty(&summary) {
            Ok(text) => println!("{text}"),
            Err(err) => eprintln!("error: {err}"),
        }
    } else {
        print!("{}", describe(&summary, args.dry_run));
    }
    if summary.report.refused > 0 && !args.skip_refused {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

/// The report as a person reads it.
pub fn describe(summary: &ImportSummary, dry_run: bool) -> String {
    let r = &summary.report;
    let would = if dry_run { "would be " } else { "" };
    let mut text = format!(
        "{}: {} rows: {} {would}created, {} {would}updated, {} unchanged, {} refused\n",
        summary.file, r.rows, r.created, r.updated, r.unchanged, r.refused
    );
    for refusal in &r.refusals {
        match &refusal.member {
            Some(member) => text.push_str(&format!(
                "  line {}, {member}: {}\n",
                refusal.line, refusal.message
            )),
            None => text.push_str(&format!("  line {}: {}\n", refusal.line, refusal.message)),
        }
    }
    if !summary.ignored_columns.is_empty() {
        text.push_str(&format!(
            "ignored columns (not ours): {}\n",
            summary.ignored_columns.join(", ")
        ));
    }
    if dry_run {
        text.push_str("dry run: nothing was written\n");
    } else if !r.written {
        text.push_str(
            "nothing was written: fix the refused rows, or import with --skip-refused to write the others\n",
        );
    }
    text
}

/// Runs `customer-desk export`.
pub fn run_export(db: &Path, args: ExportArgs) -> anyhow::Result<()> {
    let (api, actor) = open(db, None)?;
    let params = ListParams::from_query_string(args.query.trim_start_matches('?'));
    let count = transfer::export_file(
        &api,
        &actor,
        &params,
        &args.file,
        args.format.map(Format::from),
        |_, _| true,
    )?;
    println!("{count} customers written to {}", args.file.display());
    Ok(())
}
