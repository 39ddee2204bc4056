//! The form's building blocks: one labelled row of a grid per field, with the field's error
//! under it. Every input is tied to its label so screen readers (and tests) find it by name.

use chrono::{
    DateTime, Datelike as _, Local, NaiveDate, NaiveTime, TimeZone as _, Timelike as _, Utc,
};
use egui::{Response, RichText, TextEdit, Ui};
use egui_extras::DatePickerButton;
use rust_decimal::Decimal;

use super::errors::FieldErrors;

/// The width of an ordinary text field.
pub(super) const FIELD_WIDTH: f32 = 260.0;
/// The width of the label column of every grid, so sections line up.
pub(super) const LABEL_WIDTH: f32 = 130.0;

/// A two-column label/field grid with the editor's spacing.
pub(super) fn form_grid(id_salt: impl std::hash::Hash + std::fmt::Debug) -> egui::Grid {
    egui::Grid::new(id_salt)
        .num_columns(2)
        .min_col_width(LABEL_WIDTH)
        .spacing([12.0, 6.0])
}

/// Draws `message` in the error colour, wrapping under the field it belongs to.
pub(super) fn error_text_ui(ui: &mut Ui, message: &str) -> Response {
    let color = ui.visuals().error_fg_color;
    ui.add(egui::Label::new(RichText::new(message).color(color).small()).wrap())
}

/// The API's error for `member`, if any, under the field.
pub(super) fn member_error_ui(ui: &mut Ui, errors: &FieldErrors, member: &str) {
    if let Some(message) = errors.message(member) {
        error_text_ui(ui, &message);
    }
}

/// A grid row: `label` on the left, the field drawn by `field` on the right with the error of
/// `member` under it. `field` gets the label's id to tie the input to it.
pub(super) fn row_ui<R>(
    ui: &mut Ui,
    label: &str,
    errors: &FieldErrors,
    member: &str,
    field: impl FnOnce(&mut Ui, egui::Id) -> R,
) -> R {
    let label = ui.label(label);
    let inner = ui
        .vertical(|ui| {
            let inner = field(ui, label.id);
            member_error_ui(ui, errors, member);
            inner
        })
        .inner;
    ui.end_row();
    inner
}

/// A single-line text field over an optional string: empty means `null`.
pub(super) fn opt_text_ui(
    ui: &mut Ui,
    label_id: egui::Id,
    value: &mut Option<String>,
    hint: &str,
) -> bool {
    opt_text_edit_ui(ui, label_id, value, hint).changed()
}

/// [`opt_text_ui`], returning the field's response (to give it the keyboard).
pub(super) fn opt_text_edit_ui(
    ui: &mut Ui,
    label_id: egui::Id,
    value: &mut Option<String>,
    hint: &str,
) -> egui::Response {
    let mut text = value.clone().unwrap_or_default();
    let response = ui
        .add(
            TextEdit::singleline(&mut text)
                .desired_width(FIELD_WIDTH)
                .hint_text(hint),
        )
        .labelled_by(label_id);
    if response.changed() {
        *value = (!text.is_empty()).then_some(text);
    }
    response
}

/// A text row over an optional string.
pub(super) fn text_row_ui(
    ui: &mut Ui,
    label: &str,
    value: &mut Option<String>,
    errors: &FieldErrors,
    member: &str,
) -> bool {
    row_ui(ui, label, errors, member, |ui, id| {
        opt_text_ui(ui, id, value, "")
    })
}

/// A multi-line text row over an optional string (notes).
pub(super) fn note_row_ui(
    ui: &mut Ui,
    label: &str,
    value: &mut Option<String>,
    errors: &FieldErrors,
    member: &str,
) -> bool {
    row_ui(ui, label, errors, member, |ui, id| {
        let mut text = value.clone().unwrap_or_default();
        let response = ui
            .add(
                TextEdit::multiline(&mut text)
                    .desired_width(FIELD_WIDTH)
                    .desired_rows(2),
            )
            .labelled_by(id);
        if response.changed() {
            *value = (!text.is_empty()).then_some(text);
        }
        response.changed()
    })
}

/// A check box row; the box carries its own text so its name is the row's meaning.
pub(super) fn check_row_ui(ui: &mut Ui, label: &str, text: &str, value: &mut bool) -> bool {
    let row_label = ui.label(label);
    let changed = ui.checkbox(value, text).labelled_by(row_label.id).changed();
    ui.end_row();
    changed
}

/// A decimal typed as text: the text is kept as typed, the value only when it parses.
#[derive(Debug, Clone, Default)]
pub(super) struct DecimalText {
    pub(super) text: String,
    pub(super) error: Option<String>,
}

impl DecimalText {
    pub(super) fn new(value: Decimal) -> Self {
        Self {
            text: value.to_string(),
            error: None,
        }
    }

    /// Parses the text; records the error for the field and returns `None` when it fails.
    pub(super) fn parse(&mut self) -> Option<Decimal> {
        match parse_decimal(&self.text) {
            Ok(value) => {
                self.error = None;
                Some(value)
            }
            Err(message) => {
                self.error = Some(message);
                None
            }
        }
    }
}

/// Reads a decimal exactly as typed: `.` or a lone `,` as the decimal point (shops here write
/// `12,5`), no thousands separators, no exponent, no rounding.
pub(super) fn parse_decimal(text: &str) -> Result<Decimal, String> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Err("enter a number".to_owned());
    }
    let normalised = if !trimmed.contains('.') && trimmed.matches(',').count() == 1 {
        trimmed.replace(',', ".")
    } else {
        trimmed.to_owned()
    };
    Decimal::from_str_exact(&normalised)
        .map_err(|_| format!("\"{trimmed}\" is not a number (e.g. 12.50)"))
}

/// A text field for a [`DecimalText`]; returns whether the text changed.
pub(super) fn decimal_field_ui(
    ui: &mut Ui,
    label_id: egui::Id,
    value: &mut DecimalText,
    suffix: &str,
) -> bool {
    ui.horizontal(|ui| {
        let changed = ui
            .add(TextEdit::singleline(&mut value.text).desired_width(100.0))
            .labelled_by(label_id)
            .changed();
        if !suffix.is_empty() {
            ui.label(suffix);
        }
        changed
    })
    .inner
}

/// A date (no time of day), kept as midnight UTC: a birth date is the same day everywhere.
pub(super) fn date_ui(
    ui: &mut Ui,
    label_id: egui::Id,
    id_salt: &str,
    value: &mut Option<DateTime<Utc>>,
) -> bool {
    let mut changed = false;
    ui.horizontal(|ui| {
        ui.push_id(id_salt, |ui| match value.map(|t| t.date_naive()) {
            Some(date) => {
                if let Some(picked) = date_picker_ui(ui, label_id, date, 1900..=Local::now().year())
                {
                    *value = Some(picked.and_time(NaiveTime::MIN).and_utc());
                    changed = true;
                }
                if ui.button("Clear").clicked() {
                    *value = None;
                    changed = true;
                }
            }
            None => {
                ui.weak("not given");
                if ui.button("Set").labelled_by(label_id).clicked() {
                    *value = Some(Local::now().date_naive().and_time(NaiveTime::MIN).and_utc());
                    changed = true;
                }
            }
        });
    });
    changed
}

/// A point in time shown and edited in the computer's local time zone (a shop means its own
/// midnight), stored in UTC; `None` means "not set".
pub(super) fn time_ui(
    ui: &mut Ui,
    label_id: egui::Id,
    name: &str,
    value: &mut Option<DateTime<Utc>>,
) -> bool {
    let mut changed = false;
    ui.horizontal(|ui| {
        ui.push_id(name, |ui| {
            match value.map(|t| t.with_timezone(&Local).naive_local()) {
                Some(local) => {
                    let this_year = Local::now().year();
                    let mut date = local.date();
                    if let Some(picked) = date_picker_ui(ui, label_id, date, 1990..=this_year + 30)
                    {
                        date = picked;
                        changed = true;
                    }
                    let (mut hour, mut minute) = (local.hour(), local.minute());
                    changed |= two_digit_ui(ui, &mut hour, 23, &format!("{name}, hour"));
                    ui.label(":");
                    changed |= two_digit_ui(ui, &mut minute, 59, &format!("{name}, minute"));
                    if changed {
                        let time =
                            NaiveTime::from_hms_opt(hour, minute, 0).unwrap_or(NaiveTime::MIN);
                        // A time that falls in a daylight-saving gap does not exist: keep the old one.
                        if let Some(t) = Local.from_local_datetime(&date.and_time(time)).earliest()
                        {
                            *value = Some(t.with_timezone(&Utc));
                        }
                    }
                    if ui.button("Clear").clicked() {
                        *value = None;
                        changed = true;
                    }
                }
                None => {
                    ui.weak("not set");
                    if ui.button("Set").labelled_by(label_id).clicked() {
                        let midnight = Local::now().date_naive().and_time(NaiveTime::MIN);
                        *value = Local
                            .from_local_datetime(&midnight)
                            .earliest()
                            .map(|t| t.with_timezone(&Utc));
                        changed = true;
                    }
                }
            }
        });
    });
    changed
}

/// egui_extras' date picker over a chrono date; returns the picked date when it changed.
fn date_picker_ui(
    ui: &mut Ui,
    label_id: egui::Id,
    date: NaiveDate,
    years: std::ops::RangeInclusive<i32>,
) -> Option<NaiveDate> {
    let mut picked = to_civil(date)?;
    let first = i16::try_from(*years.start()).unwrap_or(i16::MIN);
    let last = i16::try_from(*years.end()).unwrap_or(i16::MAX);
    let response = ui
        .add(
            DatePickerButton::new(&mut picked)
                .id_salt("date")
                .show_icon(false)
                .calendar_week(false)
                .start_end_years(first..=last),
        )
        .labelled_by(label_id);
    if response.changed() {
        from_civil(picked).filter(|d| *d != date)
    } else {
        None
    }
}

fn to_civil(date: NaiveDate) -> Option<jiff::civil::Date> {
    let year = i16::try_from(date.year()).ok()?;
    let month = i8::try_from(date.month()).ok()?;
    let day = i8::try_from(date.day()).ok()?;
    jiff::civil::Date::new(year, month, day).ok()
}

fn from_civil(date: jiff::civil::Date) -> Option<NaiveDate> {
    let month = u32::try_from(date.month()).ok()?;
    let day = u32::try_from(date.day()).ok()?;
    NaiveDate::from_ymd_opt(date.year().into(), month, day)
}

/// A two-digit number field (hours, minutes) from 0 to `max`; true when it changed.
fn two_digit_ui(ui: &mut Ui, value: &mut u32, max: u32, accessible_name: &str) -> bool {
    ui.add(
        egui::DragValue::new(value)
            .range(0..=max)
            .custom_formatter(|n, _| format!("{n:02}")),
    )
    .accessible_name(accessible_name)
    .changed()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_parse_exactly_with_a_dot_or_a_comma() {
        assert_eq!(parse_decimal("12.50").unwrap().to_string(), "12.50");
        assert_eq!(parse_decimal(" 7,5 ").unwrap().to_string(), "7.5");
        assert_eq!(parse_decimal("-0.1").unwrap().to_string(), "-0.1");
        assert!(parse_decimal("1,000.5").is_err());
        assert!(parse_decimal("abc").unwrap_err().contains("abc"));
        assert!(parse_decimal("").is_err());
    }

    #[test]
    fn dates_convert_both_ways() {
        let date = NaiveDate::from_ymd_opt(1987, 2, 28).unwrap();
        assert_eq!(to_civil(date).and_then(from_civil), Some(date));
    }
}
