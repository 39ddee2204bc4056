//! Validation errors from the API, placed beside the field their `memberName` names.

use crate::model::FieldError;

/// The editor's sections, in the order they are drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(super) enum Section {
    General,
    Company,
    Addresses,
    Cards,
    Credit,
    Rates,
    Meta,
}

/// Members of the customer the form has a field for, with the section that draws them.
const CUSTOMER_MEMBERS: [(&str, Section); 20] = [
    ("ExternalId", Section::General),
    ("FirstName", Section::General),
    ("LastName", Section::General),
    ("FullName", Section::General),
    ("Gender", Section::General),
    ("BirthDate", Section::General),
    ("Email", Section::General),
    ("Phone", Section::General),
    ("IsActive", Section::General),
    ("ActivationTime", Section::General),
    ("ExpirationTime", Section::General),
    ("Note", Section::General),
    ("IsCompany", Section::Company),
    ("Company.Name", Section::Company),
    ("Company.Crn", Section::Company),
    ("Company.VatId", Section::Company),
    ("Company.TaxId", Section::Company),
    ("Credit.CurrencyLabel", Section::Credit),
    ("DiscountRate", Section::Rates),
    ("CreditRate", Section::Rates),
];

/// Members of an address (under `Address.` or `DeliveryAddress.`).
const ADDRESS_MEMBERS: [&str; 5] = ["Street", "City", "PostalCode", "Country", "Note"];

/// Members of a card (under `Cards[i].`).
pub(super) const CARD_MEMBERS: [&str; 10] = [
    "SerialNumber",
    "Status",
    "StatusReason",
    "IsActive",
    "IsVirtual",
    "ActivationTime",
    "ExpirationTime",
    "ExternalId",
    "Processor",
    "Note",
];

/// The errors of the last refused save.
#[derive(Debug, Default)]
pub(super) struct FieldErrors {
    errors: Vec<FieldError>,
}

impl FieldErrors {
    pub(super) fn set(&mut self, errors: Vec<FieldError>) {
        self.errors = errors;
    }

    pub(super) fn clear(&mut self) {
        self.errors.clear();
    }

    pub(super) fn is_empty(&self) -> bool {
        self.errors.is_empty()
    }

    pub(super) fn len(&self) -> usize {
        self.errors.len()
    }

    /// The messages for `member` (matched case-insensitively, as the API names members in
    /// PascalCase and a real server may not), joined when there are several.
    pub(super) fn message(&self, member: &str) -> Option<String> {
        let mut found = self
            .errors
            .iter()
            .filter(|e| e.member_name.eq_ignore_ascii_case(member));
        let first = found.next()?;
        Some(found.fold(first.message.clone(), |acc, e| {
            format!("{acc}; {}", e.message)
        }))
    }

    /// Forgets the errors of cards: after a card is added or removed their indexes no longer
    /// name the same cards.
    pub(super) fn clear_cards(&mut self) {
        self.errors
            .retain(|e| card_member(&e.member_name).is_none());
    }

    /// Whether any error belongs to `section`, so the section can open to show it.
    pub(super) fn touches(&self, section: Section) -> bool {
        self.errors
            .iter()
            .any(|e| section_of(&e.member_name) == Some(section))
    }

    /// The errors the form has no field for: the summary line lists them in full.
    pub(super) fn unplaced(&self) -> impl Iterator<Item = &FieldError> {
        self.errors
            .iter()
            .filter(|e| section_of(&e.member_name).is_none())
    }
}

/// Splits `Cards[3].SerialNumber` into `(3, "SerialNumber")`.
pub(super) fn card_member(member: &str) -> Option<(usize, &str)> {
    let rest = strip_prefix_ignore_case(member, "Cards[")?;
    let (index, field) = rest.split_once("].")?;
    Some((index.parse().ok()?, field))
}

/// The section whose field shows `member`, `None` when no field does.
pub(super) fn section_of(member: &str) -> Option<Section> {
    if let Some((_, field)) = card_member(member) {
        return CARD_MEMBERS
            .iter()
            .any(|m| m.eq_ignore_ascii_case(field))
            .then_some(Section::Cards);
    }
    for prefix in ["Address.", "DeliveryAddress."] {
        if let Some(field) = strip_prefix_ignore_case(member, prefix) {
            return ADDRESS_MEMBERS
                .iter()
                .any(|m| m.eq_ignore_ascii_case(field))
                .then_some(Section::Addresses);
        }
    }
    if member.eq_ignore_ascii_case("Meta") {
        return Some(Section::Meta);
    }
    CUSTOMER_MEMBERS
        .iter()
        .find(|(m, _)| m.eq_ignore_ascii_case(member))
        .map(|(_, s)| *s)
}

fn strip_prefix_ignore_case<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    let head = text.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &text[prefix.len()..])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn members_map_to_their_sections() {
        assert_eq!(section_of("Email"), Some(Section::General));
        assert_eq!(section_of("company.name"), Some(Section::Company));
        assert_eq!(section_of("Cards[12].SerialNumber"), Some(Section::Cards));
        assert_eq!(
            section_of("DeliveryAddress.PostalCode"),
            Some(Section::Addresses)
        );
        assert_eq!(section_of("Id"), None);
        assert_eq!(section_of("Cards[0].Meta"), None);
        assert_eq!(card_member("Cards[3].Status"), Some((3, "Status")));
    }

    #[test]
    fn unplaced_errors_are_those_without_a_field() {
        let mut errors = FieldErrors::default();
        errors.set(vec![
            FieldError::new("Email", "bad"),
            FieldError::new("Id", "is required"),
        ]);
        let unplaced: Vec<_> = errors.unplaced().map(|e| e.member_name.as_str()).collect();
        assert_eq!(unplaced, ["Id"]);
        assert_eq!(errors.message("email").as_deref(), Some("bad"));
    }
}
