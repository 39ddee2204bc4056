//! Importing and exporting customers as files: CSV in the PORTOS Link layout
//! ([`columns`]) and JSON Lines (one customer a line, exactly as `GET /customers/{id}`
//! answers). This module reads and writes the files; what a row does to the store is the
//! API's ([`LocalApi::import`]), and an export is the API's streaming list.
//!
//! It sits above the API and below the front ends (the command line and the desk's service
//! thread), and names neither SQL nor the window.

pub mod columns;
mod lines;
mod table;

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use serde::Serialize;
use serde_json::Value;
use serde_json::value::RawValue;

use crate::api::{ApiError, ImportError, ImportOptions, ImportReport, LocalApi, MatchBy};
use crate::model::Actor;
use crate::ndata::ListParams;

/// A file's format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    Csv,
    Jsonl,
}

impl Format {
    /// The format a file name says: `.csv`, or `.jsonl`/`.ndjson` (not `.json`, which is
    /// usually one JSON document, not one per line).
    pub fn of_path(path: &Path) -> Option<Self> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        match ext.as_str() {
            "csv" => Some(Format::Csv),
            "jsonl" | "ndjson" => Some(Format::Jsonl),
            _ => None,
        }
    }

    /// `format`, else the one `path` says.
    pub fn resolve(format: Option<Self>, path: &Path) -> Result<Self, TransferError> {
        format
            .or_else(|| Self::of_path(path))
            .ok_or_else(|| TransferError::UnknownFormat(path.to_owned()))
    }
}

/// Why a file could not be imported or exported.
#[derive(Debug, thiserror::Error)]
pub enum TransferError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot tell the format of {0}: name it .csv or .jsonl, or give the format")]
    UnknownFormat(PathBuf),
    #[error("the header row: {0}")]
    Header(String),
    #[error("cannot read the file: {0}")]
    Read(String),
    #[error("cannot write the file: {0}")]
    Write(String),
    #[error("the export was cancelled; no file was written")]
    Cancelled,
    #[error(transparent)]
    Import(#[from] ImportError),
    #[error(transparent)]
    Api(#[from] ApiError),
}

/// What an import of a file did (or would do).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ImportSummary {
    pub file: String,
    pub format: Format,
    #[serde(flatten)]
    pub report: ImportReport,
    /// Columns of a CSV header that are not ours, ignored.
    pub ignored_columns: Vec<String>,
}

/// What to do with a file's rows.
#[derive(Debug, Clone, Copy, Default)]
pub struct ImportRequest {
    pub format: Option<Format>,
    pub match_by: MatchBy,
    pub dry_run: bool,
    pub skip_refused: bool,
}

/// Imports the file at `path` as `actor` (see [`LocalApi::import`]). `progress` gets the
/// bytes read so far and the file's size, and cancels the import (which then writes
/// nothing) by answering false. A refused CSV row names the column at fault.
pub fn import_file(
    api: &LocalApi,
    actor: &Actor,
    path: &Path,
    request: ImportRequest,
    mut progress: impl FnMut(u64, u64) -> bool,
) -> Result<ImportSummary, TransferError> {
    let format = Format::resolve(request.format, path)?;
    let io = |source| TransferError::Io {
        path: path.to_owned(),
        source,
    };
    let file = File::open(path).map_err(io)?;
    let size = file.metadata().map_err(io)?.len();
    let name = path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    let options = ImportOptions {
        match_by: request.match_by,
        dry_run: request.dry_run,
        skip_refused: request.skip_refused,
        source: name.clone(),
    };
    let bytes_read = Arc::new(AtomicU64::new(0));
    let read = bytes_read.clone();
    let on_row = move |_rows: u64| progress(read.load(Ordering::Relaxed), size);
    let (mut report, ignored_columns) = match format {
        Format::Csv => {
            let mut rows = table::read(file, bytes_read)?;
            let ignored = std::mem::take(&mut rows.ignored);
            let mut report = api.import(actor, &options, rows, on_row)?;
            for refusal in &mut report.refusals {
                refusal.member = refusal.member.as_deref().map(columns::column_of);
            }
            (report, ignored)
        }
        Format::Jsonl => {
            let rows = lines::read(file, bytes_read);
            (api.import(actor, &options, rows, on_row)?, Vec::new())
        }
    };
    report.refusals.sort_by_key(|r| r.line);
    Ok(ImportSummary {
        file: name,
        format,
        report,
        ignored_columns,
    })
}

/// Exports the customers `params` selects (filters, search, sort; every customer when
/// empty) to `path` as `format`, streaming: a batch of customers at a time is in memory.
/// The file appears whole at the end; a cancel (`progress`, given the customers written and
/// the number selected, answers false) or a failure leaves no file. Returns how many
/// customers were written.
pub fn export_file(
    api: &LocalApi,
    actor: &Actor,
    params: &ListParams,
    path: &Path,
    format: Option<Format>,
    mut progress: impl FnMut(u64, u64) -> bool,
) -> Result<u64, TransferError> {
    let format = Format::resolve(format, path)?;
    let mut part_name = path.file_name().unwrap_or_default().to_owned();
    part_name.push(".part");
    let part = path.with_file_name(part_name);
    let io = |source| TransferError::Io {
        path: part.clone(),
        source,
    };
    let file = BufWriter::with_capacity(256 * 1024, File::create(&part).map_err(io)?);
    let written =
        write_customers(api, actor, params, format, file, &mut progress).and_then(|count| {
            std::fs::rename(&part, path).map_err(|source| TransferError::Io {
                path: path.to_owned(),
                source,
            })?;
            Ok(count)
        });
    if written.is_err() {
        let _ = std::fs::remove_file(&part);
    }
    written
}

/// The list's customers written to `out`, a batch at a time.
fn write_customers<W: Write>(
    api: &LocalApi,
    actor: &Actor,
    params: &ListParams,
    format: Format,
    out: W,
    progress: &mut impl FnMut(u64, u64) -> bool,
) -> Result<u64, TransferError> {
    enum Sink<W: Write> {
        Csv(Box<table::CsvWriter<W>>),
        Lines(W),
    }
    let mut sink = match format {
        Format::Csv => Sink::Csv(Box::new(
            table::CsvWriter::new(out).map_err(|e| TransferError::Write(e.to_string()))?,
        )),
        Format::Jsonl => Sink::Lines(out),
    };
    let mut failed: Option<TransferError> = None;
    let mut done = 0u64;
    let mut cancelled = false;
    api.list_json_batches(actor, params, 1_000, |total, batch, count| {
        if count == 0 {
            return progress(done, total);
        }
        let mut array = Vec::with_capacity(batch.len() + 2);
        array.push(b'[');
        array.extend_from_slice(&batch);
        array.push(b']');
        let step = match &mut sink {
            Sink::Lines(out) => serde_json::from_slice::<Vec<&RawValue>>(&array)
                .map_err(|e| TransferError::Write(format!("a stored customer: {e}")))
                .and_then(|customers| {
                    for customer in customers {
                        out.write_all(customer.get().as_bytes())
                            .and_then(|()| out.write_all(b"\n"))
                            .map_err(|e| TransferError::Write(e.to_string()))?;
                    }
                    Ok(())
                }),
            Sink::Csv(out) => serde_json::from_slice::<Vec<Value>>(&array)
                .map_err(|e| TransferError::Write(format!("a stored customer: {e}")))
                .and_then(|customers| {
                    customers.iter().try_for_each(|customer| {
                        out.write(customer)
                            .map_err(|e| TransferError::Write(e.to_string()))
                    })
                }),
        };
        if let Err(err) = step {
            failed = Some(err);
            return false;
        }
        done += count as u64;
        if !progress(done, total) {
            cancelled = true;
            return false;
        }
        true
    })?;
    if let Some(err) = failed {
        return Err(err);
    }
    if cancelled {
        return Err(TransferError::Cancelled);
    }
    let mut out = match sink {
        Sink::Csv(writer) => (*writer).finish()?,
        Sink::Lines(out) => out,
    };
    out.flush()
        .map_err(|e| TransferError::Write(e.to_string()))?;
    Ok(done)
}
