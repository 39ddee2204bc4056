//! Decimals in index columns: exact integers of millionths.
//!
//! Money never passes through `f64`. Stored amounts and rates are limited to six decimal
//! places (validation says so), so `value × 10⁶` is an exact `i64` that SQLite orders and
//! compares correctly. The full value also stays in the JSON document.

use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

/// Decimal places an indexed decimal may have.
pub const SCALE: u32 = 6;

/// The exact millionths of `value`, or `None` if it has more than six decimal places or does
/// not fit.
pub fn to_micros(value: Decimal) -> Option<i64> {
    let scaled = value.checked_mul(Decimal::from(1_000_000))?;
    if scaled.fract() != Decimal::ZERO {
        return None;
    }
    scaled.to_i64()
}

/// The smallest millionths value not below `value` (for `>=` bounds).
pub fn ceil_micros(value: Decimal) -> Option<i64> {
    value.checked_mul(Decimal::from(1_000_000))?.ceil().to_i64()
}

/// The largest millionths value not above `value` (for `<=` bounds).
pub fn floor_micros(value: Decimal) -> Option<i64> {
    value
        .checked_mul(Decimal::from(1_000_000))?
        .floor()
        .to_i64()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_and_rounded_bounds() {
        let d = |s: &str| s.parse::<Decimal>().unwrap();
        assert_eq!(to_micros(d("12.5")), Some(12_500_000));
        assert_eq!(to_micros(d("0.0000001")), None);
        assert_eq!(ceil_micros(d("0.0000001")), Some(1));
        assert_eq!(floor_micros(d("-0.0000001")), Some(-1));
    }
}
