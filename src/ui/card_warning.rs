//! What the desk says about a scanned card that must not be taken: lost, stolen, blocked,
//! damaged, expired or replaced.

/// Why the card `serial` of `customer` must not be taken as it is, as of `now`: its status
/// (with the reason given, which names the replacing card for a replaced one), its
/// expiry, or that it is not active. `None` for a card in order.
pub fn card_warning(
    customer: &crate::model::Customer,
    serial: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Option<String> {
    use crate::model::CardStatus;
    let card = customer
        .cards
        .iter()
        .find(|c| c.serial_number.as_deref() == Some(serial.trim()))?;
    let reason = card
        .status_reason
        .as_deref()
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .map(|r| format!(" ({r})"))
        .unwrap_or_default();
    let status = match &card.status {
        CardStatus::Valid => None,
        CardStatus::Replaced => Some("was replaced".to_owned()),
        other => Some(format!("is {}", other.as_str().to_lowercase())),
    };
    if let Some(status) = status {
        return Some(format!("Card {serial} {status}{reason}. Do not accept it."));
    }
    if let Some(expired) = card.expiration_time.filter(|t| *t <= now) {
        return Some(format!(
            "Card {serial} expired on {}. Do not accept it.",
            expired.format("%Y-%m-%d")
        ));
    }
    if !card.is_active {
        return Some(format!(
            "Card {serial} is blocked (not active). Do not accept it."
        ));
    }
    None
}
