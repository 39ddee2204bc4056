//! The customer grid: one page of customers from the API, the pager, and the sortable
//! header. Rows are formatted once when a page arrives; drawing only lays out text.

use super::money::count_text;
use egui::{Align, Layout, RichText, Sense, Ui};
use egui_extras::{Column, TableBuilder};

use super::query::GridQuery;
use super::settings::PAGE_SIZES;
use super::style;
use crate::model::{Customer, QueryResult};
use crate::ndata::SortField;

const ROW_HEIGHT: f32 = 22.0;

/// A customer as one line of the grid, formatted once.
#[derive(Debug, Clone, PartialEq)]
pub struct GridRow {
    pub id: String,
    pub full_name: String,
    pub company: String,
    pub email: String,
    pub phone: String,
    pub card: String,
    pub credit: String,
    pub discount: String,
    pub status: &'static str,
    pub active: &'static str,
}

impl GridRow {
    fn from_customer(c: &Customer) -> Self {
        let mut serials = c
            .cards
            .iter()
            .filter_map(|card| card.serial_number.as_deref());
        let card = match (serials.next(), c.cards.len()) {
            (None, _) => String::new(),
            (Some(first), 1) => first.to_owned(),
            (Some(first), n) => format!("{first} +{} more", n - 1),
        };
        let credit = super::money::money_text(c.credit.amount, c.credit.currency_label.as_deref());
        Self {
            id: c.id.clone(),
            full_name: c.display_name(),
            company: c
                .company
                .as_ref()
                .and_then(|co| co.name.clone())
                .unwrap_or_default(),
            email: c.email.clone().unwrap_or_default(),
            phone: c.phone.clone().unwrap_or_default(),
            card,
            credit,
            discount: format!("{} %", c.discount_rate.normalize()),
            status: match c.status {
                crate::model::CustomerStatus::Valid => "Valid",
                crate::model::CustomerStatus::Expired => "Expired",
                crate::model::CustomerStatus::NotYetValid => "Not yet valid",
                _ => "Unknown",
            },
            active: if c.is_active { "Yes" } else { "Blocked" },
        }
    }

    /// The row as tab-separated text, in column order.
    pub fn to_tsv(&self) -> String {
        [
            self.full_name.as_str(),
            &self.company,
            &self.email,
            &self.phone,
            &self.card,
            &self.credit,
            &self.discount,
            self.status,
            self.active,
        ]
        .iter()
        .map(|cell| cell.replace(['\t', '\n', '\r'], " "))
        .collect::<Vec<_>>()
        .join("\t")
    }
}

/// The columns, their headers and the sort key behind each (none for computed ones).
const COLUMNS: [(&str, Option<SortField>, f32); 9] = [
    ("Full name", Some(SortField::FullName), 200.0),
    ("Company", Some(SortField::CompanyName), 160.0),
    ("Email", Some(SortField::Email), 200.0),
    ("Phone", Some(SortField::Phone), 120.0),
    ("Card", None, 150.0),
    ("Credit", Some(SortField::CreditAmount), 90.0),
    ("Discount", Some(SortField::DiscountRate), 70.0),
    ("Status", None, 90.0),
    ("Active", Some(SortField::IsActive), 60.0),
];

/// The header of the TSV copy.
pub fn tsv_header() -> String {
    COLUMNS
        .iter()
        .map(|(name, _, _)| *name)
        .collect::<Vec<_>>()
        .join("\t")
}

/// The page on screen and the selection in it.
#[derive(Debug, Default)]
pub struct Page {
    pub rows: Vec<GridRow>,
    customers: Vec<Customer>,
    pub total: u64,
    /// The row the keyboard moves; Enter opens it.
    pub cursor: Option<usize>,
    /// Selected rows (for copying), always including the cursor.
    pub selected: Vec<bool>,
    anchor: Option<usize>,
    /// Set when the cursor moved by keyboard, so the table scrolls to it once.
    pub scroll_to_cursor: bool,
    /// A new page or order came without the cursor's row: the view starts at the top.
    pub scroll_to_top: bool,
    /// The cursor jumped by a screen or more (Page Up/Down): the table centres it rather
    /// than scrolling just enough, which could leave it under the pager at the bottom edge.
    pub center_cursor: bool,
    /// Where the cursor goes on the next page (keyboard paging: its first or last row).
    pub cursor_on_next_page: Option<usize>,
}

impl Page {
    /// Takes a page from the API, keeping the cursor where it was when possible.
    pub fn replace(&mut self, result: QueryResult<Customer>) {
        let customers = result.items.unwrap_or_default();
        let old_id = self
            .cursor
            .and_then(|i| self.rows.get(i))
            .map(|r| r.id.clone());
        self.rows = customers.iter().map(GridRow::from_customer).collect();
        self.customers = customers;
        self.total = result.total_count;
        self.selected = vec![false; self.rows.len()];
        self.center_cursor = self.cursor_on_next_page.is_some();
        self.cursor = match self.cursor_on_next_page.take() {
            Some(index) if !self.rows.is_empty() => Some(index.min(self.rows.len() - 1)),
            _ => old_id.and_then(|id| self.rows.iter().position(|r| r.id == id)),
        };
        match self.cursor {
            Some(i) => {
                self.selected[i] = true;
                self.scroll_to_cursor = true;
            }
            None => self.scroll_to_top = true,
        }
        self.anchor = self.cursor;
    }

    /// The same page read again (changes made elsewhere): the cursor and the selected rows
    /// stay on the customers they were on, and the view does not scroll.
    pub fn refresh(&mut self, result: QueryResult<Customer>) {
        let selected: Vec<String> = self
            .rows
            .iter()
            .zip(&self.selected)
            .filter(|(_, s)| **s)
            .map(|(r, _)| r.id.clone())
            .collect();
        let cursor = self
            .cursor
            .and_then(|i| self.rows.get(i))
            .map(|r| r.id.clone());
        let anchor = self
            .anchor
            .and_then(|i| self.rows.get(i))
            .map(|r| r.id.clone());
        let customers = result.items.unwrap_or_default();
        self.rows = customers.iter().map(GridRow::from_customer).collect();
        self.customers = customers;
        self.total = result.total_count;
        self.selected = self.rows.iter().map(|r| selected.contains(&r.id)).collect();
        let find = |id: Option<String>| id.and_then(|id| self.rows.iter().position(|r| r.id == id));
        self.cursor = find(cursor);
        self.anchor = find(anchor);
    }

    /// The next page is another view (a new order, page, search or filter): it starts at
    /// the top with no row picked, instead of following the old cursor row.
    pub fn start_fresh(&mut self) {
        self.cursor = None;
        self.anchor = None;
    }

    /// No rows: the last fetch failed, and the rows of an earlier query must not stand in.
    pub fn clear(&mut self) {
        self.rows.clear();
        self.customers.clear();
        self.selected.clear();
        self.total = 0;
        self.cursor = None;
        self.anchor = None;
    }

    /// The customer at `index` as the API returned it.
    pub fn customer(&self, index: usize) -> Option<&Customer> {
        self.customers.get(index)
    }

    /// The customer under the cursor.
    pub fn current(&self) -> Option<&Customer> {
        self.cursor.and_then(|i| self.customer(i))
    }

    /// Moves the cursor to `index`; with `extend`, selects the range from the anchor.
    pub fn select(&mut self, index: usize, extend: bool, toggle: bool) {
        if index >= self.rows.len() {
            return;
        }
        if toggle {
            self.selected[index] = !self.selected[index];
        } else if extend {
            let anchor = self.anchor.unwrap_or(index);
            let (lo, hi) = (anchor.min(index), anchor.max(index));
            self.selected
                .iter_mut()
                .enumerate()
                .for_each(|(i, s)| *s = (lo..=hi).contains(&i));
        } else {
            self.selected.iter_mut().for_each(|s| *s = false);
            self.selected[index] = true;
            self.anchor = Some(index);
        }
        self.cursor = Some(index);
    }

    /// Selects every row.
    pub fn select_all(&mut self) {
        self.selected.iter_mut().for_each(|s| *s = true);
    }

    /// The selected rows as tab-separated text with a header line.
    pub fn selection_tsv(&self) -> Option<String> {
        let lines: Vec<String> = self
            .rows
            .iter()
            .zip(&self.selected)
            .filter(|(_, s)| **s)
            .map(|(r, _)| r.to_tsv())
            .collect();
        (!lines.is_empty()).then(|| format!("{}\n{}\n", tsv_header(), lines.join("\n")))
    }

    /// The number of pages for `page_size`.
    pub fn page_count(&self, page_size: u64) -> u64 {
        self.total.div_ceil(page_size.max(1)).max(1)
    }
}

/// What the user did in the grid this frame.
#[derive(Debug, Default)]
pub struct GridOutput {
    /// Open the customer in this row.
    pub open: Option<usize>,
    /// The query changed (sort, page, page size): fetch at once.
    pub query_changed: bool,
}

/// Draws the table of the page.
/// `pending`: the customers with changes not yet on the server, marked in their row.
pub fn table_ui(
    ui: &mut Ui,
    page: &mut Page,
    query: &mut GridQuery,
    pending: &std::collections::HashSet<String>,
) -> GridOutput {
    let mut out = GridOutput::default();
    let shift = ui.input(|i| i.modifiers.shift);
    let mut table = TableBuilder::new(ui)
        .id_salt("customer-grid")
        .striped(true)
        .resizable(true)
        .sense(Sense::click())
        .cell_layout(Layout::left_to_right(Align::Center))
        .auto_shrink([false, false]);
    for (i, (_, _, width)) in COLUMNS.iter().enumerate() {
        let column = if i + 1 == COLUMNS.len() {
            Column::remainder()
        } else {
            Column::initial(*width)
        };
        table = table.column(column.at_least(40.0).clip(true));
    }
    if std::mem::take(&mut page.scroll_to_top) {
        table = table.vertical_scroll_offset(0.0);
    }
    if page.scroll_to_cursor {
        if let Some(cursor) = page.cursor {
            let align = page.center_cursor.then_some(egui::Align::Center);
            table = table.scroll_to_row(cursor, align);
        }
        page.scroll_to_cursor = false;
        page.center_cursor = false;
    }
    table
        .header(ROW_HEIGHT + 4.0, |mut header| {
            for (name, sort_field, _) in COLUMNS {
                header.col(|ui| {
                    let Some(field) = sort_field else {
                        ui.strong(name);
                        return;
                    };
                    let text = match query.sort_state(field) {
                        Some((1, desc)) if query.sort.len() == 1 => {
                            format!("{name} {}", arrow(desc))
                        }
                        Some((n, desc)) => format!("{name} {}{n}", arrow(desc)),
                        None => name.to_owned(),
                    };
                    let button = egui::Button::new(RichText::new(text).strong()).frame(false);
                    if ui
                        .add(button)
                        .on_hover_text("Sort; again for descending; Shift adds a key")
                        .clicked()
                    {
                        query.click_sort(field, shift);
                        out.query_changed = true;
                    }
                });
            }
        })
        .body(|body| {
            body.rows(ROW_HEIGHT, page.rows.len(), |mut row| {
                let index = row.index();
                let Some(data) = page.rows.get(index) else {
                    return;
                };
                row.set_selected(page.selected.get(index).copied().unwrap_or(false));
                let name = if pending.contains(&data.id) {
                    row.col(|ui| {
                        ui.horizontal(|ui| {
                            pending_mark_ui(ui);
                            ui.add(
                                egui::Label::new(&data.full_name)
                                    .truncate()
                                    .selectable(false),
                            );
                        });
                    });
                    None
                } else {
                    Some(data.full_name.as_str())
                };
                for cell in name.into_iter().chain([
                    data.company.as_str(),
                    &data.email,
                    &data.phone,
                    &data.card,
                    &data.credit,
                    &data.discount,
                    data.status,
                    data.active,
                ]) {
                    row.col(|ui| {
                        ui.add(egui::Label::new(cell).truncate().selectable(false));
                    });
                }
                let response = row.response();
                if response.double_clicked() {
                    out.open = Some(index);
                } else if response.clicked() {
                    let (extend, toggle) = response
                        .ctx
                        .input(|i| (i.modifiers.shift, i.modifiers.command));
                    page.select(index, extend, toggle);
                }
            });
        });
    out
}

/// The mark of a row with changes not yet on the server; named for screen readers (and
/// tests) by what it means.
fn pending_mark_ui(ui: &mut Ui) {
    let color = super::style::warn_color(ui.visuals());
    let (rect, response) = ui.allocate_exact_size(egui::vec2(10.0, 10.0), egui::Sense::hover());
    ui.painter().circle_filled(rect.center(), 4.0, color);
    response
        .on_hover_text(super::sync_view::NOT_ON_SERVER)
        .widget_info(|| {
            egui::WidgetInfo::labeled(egui::Role::Label, true, "Not yet on the server")
        });
}

fn arrow(descending: bool) -> &'static str {
    if descending { "v" } else { "^" }
}

/// Draws the pager: first/previous/next/last, "page X of Y", a page to jump to, the page
/// size and the total.
pub fn pager_ui(ui: &mut Ui, page: &Page, query: &mut GridQuery, jump_text: &mut String) -> bool {
    let mut changed = false;
    let pages = page.page_count(query.page_size);
    let last = pages - 1;
    ui.horizontal(|ui| {
        let at_start = query.page == 0;
        let at_end = query.page >= last;
        for (label, enabled, target) in [
            ("First", !at_start, 0),
            ("Previous", !at_start, query.page.saturating_sub(1)),
            ("Next", !at_end, (query.page + 1).min(last)),
            ("Last", !at_end, last),
        ] {
            if ui.add_enabled(enabled, egui::Button::new(label)).clicked() {
                query.page = target;
                changed = true;
            }
        }
        ui.label(format!(
            "Page {} of {}",
            count_text(query.page + 1),
            count_text(pages)
        ));
        let label = ui.label("Go to page");
        let field = ui
            .add(egui::TextEdit::singleline(jump_text).desired_width(50.0))
            .labelled_by(label.id);
        if field.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter)) {
            if let Ok(n) = jump_text.trim().parse::<u64>() {
                query.page = n.clamp(1, pages) - 1;
                changed = true;
            }
            jump_text.clear();
        }
        ui.separator();
        let size_label = ui.label("Rows per page");
        egui::ComboBox::from_id_salt("page-size")
            .selected_text(query.page_size.to_string())
            .show_ui(ui, |ui| {
                for size in PAGE_SIZES {
                    if ui
                        .selectable_value(&mut query.page_size, size, size.to_string())
                        .clicked()
                    {
                        query.page = 0;
                        changed = true;
                    }
                }
            })
            .response
            .labelled_by(size_label.id);
        ui.separator();
        let noun = match (query.is_narrowed(), page.total) {
            (true, 1) => "match",
            (true, _) => "matches",
            (false, 1) => "customer",
            (false, _) => "customers",
        };
        ui.label(
            RichText::new(format!("{} {noun}", count_text(page.total)))
                .color(style::weak_color(ui.visuals())),
        );
    });
    changed
}
