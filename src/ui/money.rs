//! Amounts of money as the desk shows them.

use rust_decimal::Decimal;
use thousands::Separable as _;

/// An amount with at least two decimal places (`0` is `0.00`, `12.5` is `12.50`), as money is
/// written on a receipt; more only when the amount has them, so nothing is rounded away.
pub fn amount_text(amount: Decimal) -> String {
    let mut shown = amount.normalize();
    if shown.scale() < 2 {
        shown.rescale(2);
    }
    shown.separate_with_commas()
}

/// A count as people read it: `1,000,000`.
pub fn count_text(count: u64) -> String {
    count.separate_with_commas()
}

/// [`amount_text`] followed by the currency label, when there is one.
pub fn money_text(amount: Decimal, currency: Option<&str>) -> String {
    match currency.map(str::trim).filter(|c| !c.is_empty()) {
        Some(currency) => format!("{} {currency}", amount_text(amount)),
        None => amount_text(amount),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dec(text: &str) -> Decimal {
        text.parse().unwrap()
    }

    #[test]
    fn amounts_show_cents_and_keep_finer_digits() {
        assert_eq!(amount_text(dec("0")), "0.00");
        assert_eq!(amount_text(dec("12.5")), "12.50");
        assert_eq!(amount_text(dec("12.500")), "12.50");
        assert_eq!(amount_text(dec("-3")), "-3.00");
        assert_eq!(amount_text(dec("0.125")), "0.125");
        assert_eq!(amount_text(dec("1000000")), "1,000,000.00");
        assert_eq!(amount_text(dec("-1234.5")), "-1,234.50");
        assert_eq!(amount_text(dec("999.999")), "999.999");
        assert_eq!(count_text(412_000), "412,000");
        assert_eq!(count_text(7), "7");
    }

    #[test]
    fn the_currency_follows_when_there_is_one() {
        assert_eq!(money_text(dec("1.5"), Some("EUR")), "1.50 EUR");
        assert_eq!(money_text(dec("1.5"), Some(" ")), "1.50");
        assert_eq!(money_text(dec("1.5"), None), "1.50");
    }
}
