//! The layers, checked mechanically: `model` → `ndata` → `store` → `api` → `transfer` (files
//! for import and export) → front ends. Each
//! layer names only the layers below it; SQLite is the store's alone and egui the window's.
//! A change that breaks a boundary fails here, naming the file and the line.

use std::path::{Path, PathBuf};

/// Every `.rs` file under `dir`.
fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).expect("read src") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// The lines of the files under `src/<under>` (every file when `under` is empty) that name
/// one of `words`, as `file:line: text`.
fn naming(under: &str, words: &[&str], except_under: Option<&str>) -> Vec<String> {
    let root = src();
    let except = except_under.map(|e| root.join(e));
    let mut found = Vec::new();
    for file in rust_files(&root.join(under)) {
        if except.as_ref().is_some_and(|e| file.starts_with(e)) {
            continue;
        }
        let text = std::fs::read_to_string(&file).expect("read a source file");
        for (n, line) in text.lines().enumerate() {
            if words.iter().any(|w| line.contains(w)) {
                let shown = file.strip_prefix(&root).unwrap_or(&file).display();
                found.push(format!("src/{shown}:{}: {}", n + 1, line.trim()));
            }
        }
    }
    found
}

/// The layers above each layer, which it must not name.
const ABOVE_MODEL: &[&str] = &[
    "crate::ndata",
    "crate::store",
    "crate::api",
    "crate::transfer",
    "crate::cli",
    "crate::server",
    "crate::remote",
    "crate::service",
    "crate::sync",
    "crate::ui",
    "crate::demo",
];

fn above(layer: &str) -> &'static [&'static str] {
    let start = match layer {
        "model" => 0,
        "ndata" => 1,
        "store" => 2,
        "api" => 3,
        "transfer" => 4,
        other => panic!("no layer {other}"),
    };
    &ABOVE_MODEL[start..]
}

#[test]
fn each_layer_names_only_the_layers_below_it() {
    for layer in ["model", "ndata", "store", "api", "transfer"] {
        let found = naming(layer, above(layer), None);
        assert!(
            found.is_empty(),
            "src/{layer} names a layer above it:\n{}",
            found.join("\n")
        );
    }
}

#[test]
fn only_the_store_names_sqlite() {
    let found = naming("", &["rusqlite"], Some("store"));
    assert!(
        found.is_empty(),
        "rusqlite outside src/store:\n{}",
        found.join("\n")
    );
}

#[test]
fn the_window_goes_through_the_service_and_the_api() {
    let found = naming(
        "ui",
        &[
            "crate::store",
            "crate::server",
            "crate::cli",
            "crate::demo",
            "crate::transfer",
        ],
        None,
    );
    assert!(
        found.is_empty(),
        "src/ui reaches past the service and the API:\n{}",
        found.join("\n")
    );
    let found = naming(
        "service",
        &["crate::ui", "crate::cli", "crate::server"],
        None,
    );
    assert!(
        found.is_empty(),
        "the service names a front end:\n{}",
        found.join("\n")
    );
}

#[test]
fn only_the_window_draws() {
    let found = naming(
        "",
        &["egui::", "eframe::", "use egui", "use eframe"],
        Some("ui"),
    );
    assert!(
        found.is_empty(),
        "egui outside src/ui:\n{}",
        found.join("\n")
    );
}

#[test]
fn the_check_finds_what_it_looks_for() {
    // The checks above would pass on an empty tree: make sure they read the real one.
    assert!(!naming("store", &["rusqlite"], None).is_empty());
    assert!(!naming("ui", &["egui::"], None).is_empty());
    assert!(!naming("api", &["crate::store"], None).is_empty());
}
