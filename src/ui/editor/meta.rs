//! Meta: free-form JSON. Top-level text, number and true/false entries can be edited as
//! key/value rows; any other value (objects, arrays, null) is kept exactly as it came.

use egui::{RichText, TextEdit, Ui};
use serde_json::{Map, Number, Value};

use super::errors::FieldErrors;
use super::widgets::{error_text_ui, member_error_ui};

/// The width of the key column.
const KEY_WIDTH: f32 = 140.0;
/// The width of the type menu.
const KIND_WIDTH: f32 = 80.0;

/// The value of one entry as the form holds it.
#[derive(Debug, Clone, PartialEq)]
enum EntryValue {
    Text(String),
    /// The number as typed; it must read as a JSON number (every digit is kept).
    Number(String),
    Bool(bool),
    /// Not editable here; written back untouched. The text is its shortened JSON, made once.
    Other(Value, String),
}

impl EntryValue {
    fn kind(&self) -> &'static str {
        match self {
            Self::Text(_) => "Text",
            Self::Number(_) => "Number",
            Self::Bool(_) => "Yes/no",
            Self::Other(..) => "JSON",
        }
    }
}

#[derive(Debug, Clone)]
struct Entry {
    key: String,
    value: EntryValue,
    error: Option<String>,
}

/// The meta entries as rows, and the JSON they make.
#[derive(Debug, Default)]
pub(super) struct MetaForm {
    entries: Vec<Entry>,
    /// Meta that is not an object cannot be shown as rows; it is only shown, and kept.
    editable: bool,
    /// The pretty JSON of the meta, rebuilt only when it changes.
    raw: String,
}

impl MetaForm {
    pub(super) fn new(meta: &Value) -> Self {
        let entries = match meta {
            Value::Object(map) => map
                .iter()
                .map(|(key, value)| {
                    let value = match value {
                        Value::String(s) => EntryValue::Text(s.clone()),
                        Value::Number(n) => EntryValue::Number(n.to_string()),
                        Value::Bool(b) => EntryValue::Bool(*b),
                        other => EntryValue::Other(other.clone(), preview(other)),
                    };
                    Entry {
                        key: key.clone(),
                        value,
                        error: None,
                    }
                })
                .collect(),
            _ => Vec::new(),
        };
        Self {
            entries,
            editable: meta.is_object(),
            raw: pretty(meta),
        }
    }

    /// An entry has no key, a repeated key, or a number that does not read.
    pub(super) fn has_errors(&self) -> bool {
        self.entries.iter().any(|e| e.error.is_some())
    }

    /// Draws the rows and the raw JSON; returns whether the meta changed.
    pub(super) fn ui(&mut self, ui: &mut Ui, meta: &mut Value, errors: &FieldErrors) -> bool {
        let mut changed = false;
        if self.editable {
            changed = self.entries_ui(ui);
            if changed {
                self.check();
                if !self.has_errors() {
                    *meta = self.to_value();
                }
                self.raw = pretty(meta);
            }
        } else {
            ui.weak("This meta is not a JSON object; it is kept as it is.");
        }
        member_error_ui(ui, errors, "Meta");
        ui.add_space(4.0);
        ui.label(RichText::new("Raw JSON").strong());
        ui.add(
            TextEdit::multiline(&mut self.raw.as_str())
                .code_editor()
                .desired_rows(3)
                .desired_width(f32::INFINITY),
        )
        .accessible_name("Meta as JSON");
        changed
    }

    fn entries_ui(&mut self, ui: &mut Ui) -> bool {
        let mut changed = false;
        let mut remove = None;
        if self.entries.is_empty() {
            ui.weak("No entries.");
        }
        // Rows of fixed-width fields rather than a grid: a grid squeezes every column but
        // the last to the width it had on the previous frame.
        for (index, entry) in self.entries.iter_mut().enumerate() {
            let n = index + 1;
            ui.horizontal(|ui| {
                if matches!(entry.value, EntryValue::Other(..)) {
                    ui.add_sized(
                        [KEY_WIDTH, ui.spacing().interact_size.y],
                        egui::Label::new(&entry.key).truncate(),
                    );
                } else {
                    changed |= ui
                        .add(
                            TextEdit::singleline(&mut entry.key)
                                .id_salt(("meta_key", index))
                                .desired_width(KEY_WIDTH)
                                .hint_text("key"),
                        )
                        .accessible_name(format!("Meta key {n}"))
                        .changed();
                }
                changed |= value_ui(ui, index, &mut entry.value);
                if !matches!(entry.value, EntryValue::Other(..))
                    && ui
                        .button("Remove")
                        .accessible_name(format!("Remove meta entry {n}"))
                        .clicked()
                {
                    remove = Some(index);
                }
            });
            if let Some(error) = &entry.error {
                error_text_ui(ui, error);
            }
        }
        if let Some(index) = remove {
            self.entries.remove(index);
            changed = true;
        }
        if ui.button("Add entry").clicked() {
            self.entries.push(Entry {
                key: String::new(),
                value: EntryValue::Text(String::new()),
                error: None,
            });
            changed = true;
        }
        changed
    }

    /// Marks empty and repeated keys and numbers that do not read.
    fn check(&mut self) {
        for index in 0..self.entries.len() {
            let key = self.entries[index].key.as_str();
            let repeated = self.entries[..index].iter().any(|e| e.key == key);
            let error = if key.is_empty() {
                Some("enter a key".to_owned())
            } else if repeated {
                Some(format!("the key \"{key}\" is used twice"))
            } else if let EntryValue::Number(text) = &self.entries[index].value {
                text.trim()
                    .parse::<Number>()
                    .err()
                    .map(|_| format!("\"{text}\" is not a number"))
            } else {
                None
            };
            self.entries[index].error = error;
        }
    }

    fn to_value(&self) -> Value {
        let map: Map<String, Value> = self
            .entries
            .iter()
            .map(|e| {
                let value = match &e.value {
                    EntryValue::Text(s) => Value::String(s.clone()),
                    EntryValue::Number(n) => n
                        .trim()
                        .parse::<Number>()
                        .map_or(Value::Null, Value::Number),
                    EntryValue::Bool(b) => Value::Bool(*b),
                    EntryValue::Other(v, _) => v.clone(),
                };
                (e.key.clone(), value)
            })
            .collect();
        Value::Object(map)
    }
}

/// The type menu and the value field of one entry.
fn value_ui(ui: &mut Ui, index: usize, value: &mut EntryValue) -> bool {
    let n = index + 1;
    if let EntryValue::Other(_, preview) = value {
        ui.add_sized(
            [KIND_WIDTH, ui.spacing().interact_size.y],
            egui::Label::new(RichText::new("JSON").weak()),
        );
        ui.label(RichText::new(preview.as_str()).monospace())
            .on_hover_text("Kept as it is; edit it through the API.");
        return false;
    }
    let mut changed = false;
    let mut kind = value.kind();
    egui::ComboBox::from_id_salt(("meta_kind", index))
        .selected_text(kind)
        .width(KIND_WIDTH)
        .show_ui(ui, |ui| {
            for option in ["Text", "Number", "Yes/no"] {
                ui.selectable_value(&mut kind, option, option);
            }
        })
        .response
        .accessible_name(format!("Meta type {n}"));
    if kind != value.kind() {
        *value = convert(value, kind);
        changed = true;
    }
    let name = format!("Meta value {n}");
    changed |= match value {
        EntryValue::Text(text) | EntryValue::Number(text) => ui
            .add(
                TextEdit::singleline(text)
                    .id_salt(("meta_value", index))
                    .desired_width(180.0),
            )
            .accessible_name(name)
            .changed(),
        EntryValue::Bool(b) => ui.checkbox(b, "").accessible_name(name).changed(),
        EntryValue::Other(..) => false,
    };
    changed
}

/// The value as another kind, keeping what carries over (text to number and back).
fn convert(value: &EntryValue, kind: &str) -> EntryValue {
    let text = match value {
        EntryValue::Text(s) | EntryValue::Number(s) => s.clone(),
        EntryValue::Bool(b) => b.to_string(),
        EntryValue::Other(v, _) => v.to_string(),
    };
    match kind {
        "Number" => EntryValue::Number(text),
        "Yes/no" => EntryValue::Bool(text.trim().eq_ignore_ascii_case("true")),
        _ => EntryValue::Text(text),
    }
}

/// At most 60 characters of `value`'s JSON.
fn preview(value: &Value) -> String {
    let text = value.to_string();
    if text.chars().count() > 60 {
        text.chars().take(60).chain("...".chars()).collect()
    } else {
        text
    }
}

fn pretty(meta: &Value) -> String {
    serde_json::to_string_pretty(meta).unwrap_or_else(|_| meta.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn untouched_meta_round_trips_exactly() {
        let meta: Value = serde_json::from_str(
            r#"{"tier":"gold","points":12.50,"vip":true,"tags":["a"],"x":null}"#,
        )
        .unwrap();
        let form = MetaForm::new(&meta);
        assert_eq!(form.to_value(), meta);
        assert_eq!(form.to_value().to_string(), meta.to_string());
    }

    #[test]
    fn bad_numbers_and_repeated_keys_are_errors() {
        let meta: Value = serde_json::from_str(r#"{"a":1,"b":2}"#).unwrap();
        let mut form = MetaForm::new(&meta);
        form.entries[1].value = EntryValue::Number("1,5".into());
        form.check();
        assert!(form.has_errors());
        form.entries[1].value = EntryValue::Number("1.5".into());
        form.entries[1].key = "a".into();
        form.check();
        assert!(form.entries[1].error.as_deref().unwrap().contains("twice"));
        form.entries[1].key = "b".into();
        form.check();
        assert!(!form.has_errors());
    }
}
