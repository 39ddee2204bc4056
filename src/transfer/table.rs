//! CSV files in the PORTOS Link layout: a header row naming the columns (any order, unknown
//! ones ignored), `,` or `;` between cells (told apart by the header), UTF-8 with or without
//! a BOM, quoted cells that may hold line breaks, and with `;` a decimal comma.

use std::io::{BufRead, BufReader, Read, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use serde_json::{Map, Value};

use super::TransferError;
use super::columns::{self, COLUMNS, Column, Kind};
use crate::api::{ImportError, ImportRow};
use crate::model::FieldError;

const BOM: &[u8] = b"\xEF\xBB\xBF";

/// The rows of a CSV file, read one at a time.
pub struct CsvRows<R: Read> {
    reader: csv::Reader<R>,
    /// The column of each header cell (`None`: not one we know).
    columns: Vec<Option<&'static Column>>,
    decimal_comma: bool,
    record: csv::StringRecord,
    /// How far into the file the reader is, for a progress bar.
    bytes_read: Arc<AtomicU64>,
    /// The header's columns that are not ours, as they are written there.
    pub ignored: Vec<String>,
}

/// Opens `input` as CSV: reads the header and finds the separator.
pub fn read<R: Read>(
    input: R,
    bytes_read: Arc<AtomicU64>,
) -> Result<CsvRows<BufReader<R>>, TransferError> {
    let mut input = BufReader::with_capacity(64 * 1024, input);
    let head = input
        .fill_buf()
        .map_err(|e| TransferError::Read(e.to_string()))?;
    let skip = if head.starts_with(BOM) { BOM.len() } else { 0 };
    let separator = separator(&head[skip..]);
    input.consume(skip);
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(separator)
        .flexible(true)
        .from_reader(input);
    let headers = reader.headers().map_err(|e| csv_error(&e))?.clone();
    let mut columns = Vec::new();
    let mut ignored = Vec::new();
    for name in headers.iter() {
        let column = columns::find(name);
        if let Some(column) = column
            && columns.contains(&Some(column))
        {
            return Err(TransferError::Header(format!(
                "the column {} is named twice in the header",
                column.name
            )));
        }
        if column.is_none() {
            ignored.push(name.trim().to_owned());
        }
        columns.push(column);
    }
    if columns.iter().all(Option::is_none) {
        return Err(TransferError::Header(format!(
            "the first line names none of the columns ({}, …); is it a header row?",
            COLUMNS[..4]
                .iter()
                .map(|c| c.name)
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    Ok(CsvRows {
        reader,
        columns,
        decimal_comma: separator == b';',
        record: csv::StringRecord::new(),
        bytes_read,
        ignored,
    })
}

/// `;` when the header line has more semicolons than commas outside quotes, else `,`.
fn separator(head: &[u8]) -> u8 {
    let (mut commas, mut semicolons, mut quoted) = (0, 0, false);
    for &byte in head {
        match byte {
            b'"' => quoted = !quoted,
            b'\n' if !quoted => break,
            b',' if !quoted => commas += 1,
            b';' if !quoted => semicolons += 1,
            _ => {}
        }
    }
    if semicolons > commas { b';' } else { b',' }
}

fn csv_error(err: &csv::Error) -> TransferError {
    let line = err.position().map_or(1, csv::Position::line);
    match err.kind() {
        csv::ErrorKind::Utf8 { .. } => TransferError::Import(ImportError::Unreadable {
            line,
            message: "the file is not UTF-8 text (save it as CSV UTF-8)".into(),
        }),
        _ => TransferError::Import(ImportError::Unreadable {
            line,
            message: err.to_string(),
        }),
    }
}

impl<R: Read> CsvRows<R> {
    /// The row in `self.record`, as the API's JSON.
    fn row(&self) -> Result<Value, Vec<FieldError>> {
        if self.record.len() != self.columns.len() {
            return Err(vec![FieldError::new(
                "",
                format!(
                    "has {} cells; the header has {}",
                    self.record.len(),
                    self.columns.len()
                ),
            )]);
        }
        let mut row = Map::new();
        let mut errors = Vec::new();
        for (column, cell) in self.columns.iter().zip(self.record.iter()) {
            if let Some(column) = column
                && let Err(e) = columns::read_cell(column, cell, self.decimal_comma, &mut row)
            {
                errors.push(e);
            }
        }
        // Coordinate columns given and all empty: the address has none.
        for part in ["address", "deliveryAddress"] {
            let given: Vec<&str> = self
                .columns
                .iter()
                .zip(self.record.iter())
                .filter_map(|(c, cell)| {
                    c.filter(|c| c.kind == Kind::Coordinate && c.path[0] == part)
                        .map(|_| cell)
                })
                .collect();
            if !given.is_empty() && given.iter().all(|cell| cell.trim().is_empty()) {
                let address = row
                    .entry(part.to_owned())
                    .or_insert_with(|| Value::Object(Map::new()));
                if let Value::Object(address) = address {
                    address.insert("coordinates".into(), Value::Null);
                }
            }
        }
        if errors.is_empty() {
            Ok(Value::Object(row))
        } else {
            Err(errors)
        }
    }
}

impl<R: Read> Iterator for CsvRows<R> {
    type Item = Result<ImportRow, ImportError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            match self.reader.read_record(&mut self.record) {
                Ok(false) => return None,
                Ok(true) => {}
                Err(err) => {
                    return Some(Err(match csv_error(&err) {
                        TransferError::Import(err) => err,
                        other => ImportError::Unreadable {
                            line: 0,
                            message: other.to_string(),
                        },
                    }));
                }
            }
            let line = self.record.position().map_or(0, csv::Position::line);
            self.bytes_read
                .store(self.reader.position().byte(), Ordering::Relaxed);
            // A row of empty cells (a spreadsheet's trailing `;;;`) is no row.
            if self.record.iter().all(|cell| cell.trim().is_empty()) {
                continue;
            }
            return Some(Ok(ImportRow {
                line,
                body: self.row(),
            }));
        }
    }
}

/// Writes customers (their API JSON) as CSV with every column, `,`-separated.
pub struct CsvWriter<W: Write> {
    writer: csv::Writer<W>,
}

impl<W: Write> CsvWriter<W> {
    /// Starts the file with the header row.
    pub fn new(output: W) -> Result<Self, csv::Error> {
        let mut writer = csv::WriterBuilder::new().from_writer(output);
        writer.write_record(COLUMNS.iter().map(|c| c.name))?;
        Ok(Self { writer })
    }

    /// One customer's row.
    pub fn write(&mut self, customer: &Value) -> Result<(), csv::Error> {
        self.writer
            .write_record(COLUMNS.iter().map(|c| columns::write_cell(c, customer)))
    }

    /// Flushes and hands back the output.
    pub fn finish(self) -> Result<W, TransferError> {
        self.writer
            .into_inner()
            .map_err(|e| TransferError::Write(e.to_string()))
    }
}
