//! What the grid asks for: search text, filters, sort and page, turned into the API's list
//! parameters. The API checks every value; a bad one comes back as a 400 naming it.

use rust_decimal::Decimal;

use crate::model::time::parse_time;
use crate::ndata::{ListParams, SortField};

/// A yes/no filter that may also be off.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TriState {
    #[default]
    Any,
    Yes,
    No,
}

impl TriState {
    fn as_param(self) -> Option<&'static str> {
        match self {
            TriState::Any => None,
            TriState::Yes => Some("true"),
            TriState::No => Some("false"),
        }
    }
}

/// The filter panel's fields, one per filter member of the contract. Text as typed: the
/// API parses it and names the parameter when it cannot.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Filters {
    pub card_serial: String,
    pub external_id: String,
    pub credit_rate_min: String,
    pub credit_rate_max: String,
    pub credit_min: String,
    pub credit_max: String,
    pub discount_rate_min: String,
    pub discount_rate_max: String,
    pub active: TriState,
    pub expiration_from: String,
    pub expiration_to: String,
    pub expired: TriState,
}

/// One active filter as a chip: its text, and which field clearing it empties.
#[derive(Debug, Clone, PartialEq)]
pub struct Chip {
    pub label: String,
    pub field: FilterField,
}

/// Names a field of [`Filters`] so a chip can clear it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FilterField {
    CardSerial,
    ExternalId,
    CreditRateMin,
    CreditRateMax,
    CreditMin,
    CreditMax,
    DiscountRateMin,
    DiscountRateMax,
    Active,
    ExpirationFrom,
    ExpirationTo,
    Expired,
}

impl Filters {
    /// The text fields with their chip captions, the list member and operator.
    fn text_fields(&self) -> [(FilterField, &'static str, &str, &'static str, &'static str); 10] {
        [
            (
                FilterField::CardSerial,
                "Card",
                self.card_serial.as_str(),
                "CardSerialNumber",
                "like",
            ),
            (
                FilterField::ExternalId,
                "External id",
                &self.external_id,
                "ExternalId",
                "like",
            ),
            (
                FilterField::CreditRateMin,
                "Credit rate from",
                &self.credit_rate_min,
                "CreditRate",
                "ge",
            ),
            (
                FilterField::CreditRateMax,
                "Credit rate to",
                &self.credit_rate_max,
                "CreditRate",
                "le",
            ),
            (
                FilterField::CreditMin,
                "Credit balance from",
                &self.credit_min,
                "CreditAmount",
                "ge",
            ),
            (
                FilterField::CreditMax,
                "Credit balance to",
                &self.credit_max,
                "CreditAmount",
                "le",
            ),
            (
                FilterField::DiscountRateMin,
                "Discount rate from",
                &self.discount_rate_min,
                "DiscountRate",
                "ge",
            ),
            (
                FilterField::DiscountRateMax,
                "Discount rate to",
                &self.discount_rate_max,
                "DiscountRate",
                "le",
            ),
            (
                FilterField::ExpirationFrom,
                "Expires from",
                &self.expiration_from,
                "ExpirationTime",
                "ge",
            ),
            (
                FilterField::ExpirationTo,
                "Expires until",
                &self.expiration_to,
                "ExpirationTime",
                "le",
            ),
        ]
    }

    /// Adds the filter parameters. Ranges become two one-argument operations (`ge:` and
    /// `le:`) so that times, which contain colons, need no escaping.
    pub fn add_params(&self, mut params: ListParams) -> ListParams {
        for (_, _, value, member, op) in self.text_fields() {
            let value = value.trim();
            if value.is_empty() {
                continue;
            }
            // Amounts and rates as people type them here: `1,5` is one and a half.
            let value = if matches!(member, "CreditRate" | "CreditAmount" | "DiscountRate") {
                value.replace(',', ".")
            } else {
                value.to_owned()
            };
            params = params.with(member, format!("{op}:{value}"));
        }
        if let Some(active) = self.active.as_param() {
            params = params.with("IsActive", active);
        }
        if let Some(expired) = self.expired.as_param() {
            params = params.with("IsExpired", expired);
        }
        params
    }

    /// What is wrong with the fields as typed, in the words of the panel (its captions, a
    /// number like 1.5, a date like 2025-03-01), or `None` when the API can be asked. The
    /// window checks this itself: the API's answer names the parameter (`DiscountRate`),
    /// which is right for a program and not for a person.
    pub fn problem(&self) -> Option<String> {
        let problems: Vec<String> = self
            .text_fields()
            .into_iter()
            .filter_map(|(_, caption, value, member, _)| {
                let value = value.trim();
                if value.is_empty() {
                    return None;
                }
                match member {
                    "CreditRate" | "CreditAmount" | "DiscountRate" => (!is_number(value))
                        .then(|| format!("\u{201c}{caption}\u{201d} must be a number like 1.5")),
                    "ExpirationTime" => parse_time(value).is_err().then(|| {
                        format!("\u{201c}{caption}\u{201d} must be a date like 2025-03-01")
                    }),
                    _ => None,
                }
            })
            .collect();
        (!problems.is_empty()).then(|| problems.join("; "))
    }

    /// The active filters, as chips.
    pub fn chips(&self) -> Vec<Chip> {
        let mut chips: Vec<Chip> = self
            .text_fields()
            .into_iter()
            .filter(|(_, _, value, _, _)| !value.trim().is_empty())
            .map(|(field, caption, value, _, _)| Chip {
                label: format!("{caption} {}", value.trim()),
                field,
            })
            .collect();
        let tri = [
            (FilterField::Active, self.active, "Active", "Blocked"),
            (FilterField::Expired, self.expired, "Expired", "Not expired"),
        ];
        for (field, state, yes, no) in tri {
            match state {
                TriState::Any => {}
                TriState::Yes => chips.push(Chip {
                    label: yes.to_owned(),
                    field,
                }),
                TriState::No => chips.push(Chip {
                    label: no.to_owned(),
                    field,
                }),
            }
        }
        chips
    }

    /// Empties one field.
    pub fn clear(&mut self, field: FilterField) {
        match field {
            FilterField::CardSerial => self.card_serial.clear(),
            FilterField::ExternalId => self.external_id.clear(),
            FilterField::CreditRateMin => self.credit_rate_min.clear(),
            FilterField::CreditRateMax => self.credit_rate_max.clear(),
            FilterField::CreditMin => self.credit_min.clear(),
            FilterField::CreditMax => self.credit_max.clear(),
            FilterField::DiscountRateMin => self.discount_rate_min.clear(),
            FilterField::DiscountRateMax => self.discount_rate_max.clear(),
            FilterField::Active => self.active = TriState::Any,
            FilterField::ExpirationFrom => self.expiration_from.clear(),
            FilterField::ExpirationTo => self.expiration_to.clear(),
            FilterField::Expired => self.expired = TriState::Any,
        }
    }
}

/// Whether `value`, with a decimal comma or point, is a number the API reads (`1,5`, `-2`,
/// `10.00`; no thousands separators).
fn is_number(value: &str) -> bool {
    let value = value.replace(',', ".");
    value
        .chars()
        .all(|c| c.is_ascii_digit() || matches!(c, '.' | '-' | '+'))
        && value.parse::<Decimal>().is_ok()
}

/// What the text of the search box is taken for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BoxKind {
    /// Names, company, tax ids, note: the contract's `Search`.
    Names,
    /// Text with an `@`: a part of an e-mail address (`Email=like:`).
    Email,
    /// Digits written as phone numbers are (spaces, `+`, `-`, brackets, dots, slashes), at
    /// least three of them: a part of a phone number (`Phone=like:`), and the names when no
    /// phone number has it.
    Phone,
}

impl BoxKind {
    /// What `text` (trimmed, not empty) looks like.
    pub fn of(text: &str) -> Self {
        if text.contains('@') {
            return BoxKind::Email;
        }
        let phone_like = text
            .chars()
            .all(|c| c.is_ascii_digit() || c.is_whitespace() || "+-()./".contains(c));
        if phone_like && text.chars().filter(char::is_ascii_digit).count() >= 3 {
            BoxKind::Phone
        } else {
            BoxKind::Names
        }
    }
}

/// Everything that decides which rows the grid shows.
#[derive(Debug, Clone, PartialEq)]
pub struct GridQuery {
    pub search: String,
    pub filters: Filters,
    /// Sort keys in order, `true` for descending.
    pub sort: Vec<(SortField, bool)>,
    /// Zero-based page number.
    pub page: u64,
    pub page_size: u64,
}

impl GridQuery {
    /// The list parameters for the current page.
    pub fn params(&self) -> ListParams {
        self.selection_params()
            .with("$skip", (self.page * self.page_size).to_string())
            .with("$take", self.page_size.to_string())
    }

    /// The list parameters for the current page when the box's phone number matched no
    /// phone: the same text as a search of names ([`BoxKind::Phone`]).
    pub fn fallback_params(&self) -> Option<ListParams> {
        let search = self.search.trim();
        (!search.is_empty() && BoxKind::of(search) == BoxKind::Phone).then(|| {
            self.selection_with(ListParams::new().with("Search", search))
                .with("$skip", (self.page * self.page_size).to_string())
                .with("$take", self.page_size.to_string())
        })
    }

    /// The search, filters and sort without paging: what an export of the current view
    /// writes (unless the page fell back: [`GridQuery::names_selection_params`]).
    pub fn selection_params(&self) -> ListParams {
        let search = self.search.trim();
        let params = ListParams::new();
        let params = match BoxKind::of(search) {
            _ if search.is_empty() => params,
            BoxKind::Names => params.with("Search", search),
            BoxKind::Email => params.with("Email", format!("like:{search}")),
            BoxKind::Phone => params.with("Phone", format!("like:{search}")),
        };
        self.selection_with(params)
    }

    /// The search box's answer as names: what an export writes when the page fell back.
    pub fn names_selection_params(&self) -> ListParams {
        let search = self.search.trim();
        let params = ListParams::new();
        if search.is_empty() {
            return self.selection_with(params);
        }
        self.selection_with(params.with("Search", search))
    }

    /// `params` (the box's) with the filters and the sort.
    fn selection_with(&self, params: ListParams) -> ListParams {
        let mut params = self.filters.add_params(params);
        if !self.sort.is_empty() {
            let keys: Vec<String> = self
                .sort
                .iter()
                .map(|(field, desc)| {
                    format!("{}:{}", field.name(), if *desc { "desc" } else { "asc" })
                })
                .collect();
            params = params.with("$sort", keys.join(","));
        }
        params
    }

    /// Whether search or any filter narrows the list (then the match count is shown).
    pub fn is_narrowed(&self) -> bool {
        !self.search.trim().is_empty() || self.filters != Filters::default()
    }

    /// A header click: a plain click sorts by `field` alone (again: the other way round);
    /// with Shift it adds `field` as a further key (again: flips that key).
    pub fn click_sort(&mut self, field: SortField, add: bool) {
        let existing = self.sort.iter().position(|(f, _)| *f == field);
        if add {
            match existing {
                Some(i) => self.sort[i].1 = !self.sort[i].1,
                None => self.sort.push((field, false)),
            }
        } else {
            let descending = match (existing, self.sort.len()) {
                (Some(0), 1) => !self.sort[0].1,
                _ => false,
            };
            self.sort = vec![(field, descending)];
        }
        self.page = 0;
    }

    /// How `field` sorts now: its position (1-based) and direction, if it is a key.
    pub fn sort_state(&self, field: SortField) -> Option<(usize, bool)> {
        self.sort
            .iter()
            .position(|(f, _)| *f == field)
            .map(|i| (i + 1, self.sort[i].1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query() -> GridQuery {
        GridQuery {
            search: String::new(),
            filters: Filters::default(),
            sort: vec![],
            page: 0,
            page_size: 50,
        }
    }

    #[test]
    fn header_clicks_toggle_and_add_keys() {
        let mut q = query();
        q.click_sort(SortField::FullName, false);
        assert_eq!(q.sort, vec![(SortField::FullName, false)]);
        q.click_sort(SortField::FullName, false);
        assert_eq!(q.sort, vec![(SortField::FullName, true)]);
        q.click_sort(SortField::Email, true);
        assert_eq!(
            q.sort,
            vec![(SortField::FullName, true), (SortField::Email, false)]
        );
        q.click_sort(SortField::Phone, false);
        assert_eq!(q.sort, vec![(SortField::Phone, false)]);
    }

    #[test]
    fn the_box_sends_emails_and_phone_numbers_as_such() {
        let mut q = query();
        for (text, kind) in [
            ("novák", BoxKind::Names),
            ("jana.nov@", BoxKind::Email),
            ("@example", BoxKind::Email),
            ("+421 905 111", BoxKind::Phone),
            ("0905-111", BoxKind::Phone),
            ("(02) 1234", BoxKind::Phone),
            ("905", BoxKind::Phone),
            ("12", BoxKind::Names),
            ("SK2020123456", BoxKind::Names),
            ("s.r.o.", BoxKind::Names),
        ] {
            assert_eq!(BoxKind::of(text), kind, "{text}");
        }
        q.search = " 0905 111 ".into();
        let text = q.params().to_query_string();
        assert!(text.contains("Phone=like%3A0905+111"), "{text}");
        let fallback = q.fallback_params().expect("a number falls back to names");
        assert!(fallback.to_query_string().contains("Search=0905+111"));
        q.search = "nov@ex".into();
        assert!(
            q.params()
                .to_query_string()
                .contains("Email=like%3Anov%40ex")
        );
        assert!(q.fallback_params().is_none());
    }

    #[test]
    fn filter_problems_speak_the_panel_s_words() {
        let mut q = query();
        q.filters.credit_rate_min = "1,5".into();
        q.filters.expiration_to = "2025-03-01".into();
        assert_eq!(q.filters.problem(), None);
        crate::ndata::parse_list_query(&q.params()).expect("the API accepts 1,5");
        q.filters.discount_rate_min = "abc".into();
        q.filters.expiration_from = "1.3.2025".into();
        assert_eq!(
            q.filters.problem().as_deref(),
            Some(
                "\u{201c}Discount rate from\u{201d} must be a number like 1.5; \
                 \u{201c}Expires from\u{201d} must be a date like 2025-03-01"
            )
        );
    }

    #[test]
    fn filters_become_parameters_the_api_understands() {
        let mut q = query();
        q.search = " novák ".into();
        q.filters.expiration_from = "2024-01-01T10:00:00Z".into();
        q.filters.active = TriState::No;
        q.page = 2;
        let params = q.params();
        crate::ndata::parse_list_query(&params).expect("the API accepts what the grid sends");
        let text = params.to_query_string();
        assert!(text.contains("Search=nov%C3%A1k"), "{text}");
        assert!(
            text.contains("ExpirationTime=ge%3A2024-01-01T10%3A00%3A00Z"),
            "{text}"
        );
        assert!(
            text.contains("IsActive=false") && text.contains("%24skip=100"),
            "{text}"
        );
        assert_eq!(q.filters.chips().len(), 2);
        q.filters.clear(FilterField::Active);
        assert_eq!(q.filters.chips().len(), 1);
    }
}
