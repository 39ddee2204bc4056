//! Ids of new customers and credit transactions: the contract's 24 lowercase hex characters,
//! laid out as a MongoDB ObjectId (4 bytes of creation time in seconds, 5 bytes fixed per
//! process, a 3-byte counter). Ids made later sort after earlier ones, so a new customer's id
//! is appended to the end of the id index instead of landing on a random page of it, and a
//! list without `$sort` (which is in `id` order) comes in the order customers were created.

use std::sync::LazyLock;
use std::sync::atomic::{AtomicU32, Ordering};

use chrono::{DateTime, Utc};

/// The middle five bytes: random, and the same for every id this process makes, so that ids
/// of one second still follow the counter's order.
static PROCESS_BYTES: LazyLock<[u8; 5]> = LazyLock::new(rand::random);
/// The last three bytes: counts up from a random start.
static COUNTER: LazyLock<AtomicU32> = LazyLock::new(|| AtomicU32::new(rand::random()));

/// A new id made at `now`.
pub fn new_id(now: DateTime<Utc>) -> String {
    let counter = COUNTER.fetch_add(1, Ordering::Relaxed);
    object_id(now.timestamp(), *PROCESS_BYTES, counter)
}

/// The id of the given parts: `seconds` since 1970 (clamped to the four bytes an ObjectId
/// has), five middle bytes, and the low three bytes of `counter`.
pub fn object_id(seconds: i64, middle: [u8; 5], counter: u32) -> String {
    let seconds = seconds.clamp(0, i64::from(u32::MAX)) as u32;
    let mut bytes = [0u8; 12];
    bytes[..4].copy_from_slice(&seconds.to_be_bytes());
    bytes[4..9].copy_from_slice(&middle);
    bytes[9..].copy_from_slice(&counter.to_be_bytes()[1..]);
    hex::encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_24_hex_characters_that_grow_with_time() {
        let earlier = DateTime::from_timestamp(1_700_000_000, 0).unwrap();
        let later = DateTime::from_timestamp(1_700_000_001, 0).unwrap();
        let a = new_id(earlier);
        let b = new_id(later);
        assert_eq!(a.len(), 24);
        assert!(
            a.bytes()
                .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
        );
        assert!(a < b, "{a} then {b}");
        assert!(a.starts_with("6553f100"), "{a}");
    }

    #[test]
    fn ids_of_one_second_follow_the_counter() {
        let now = DateTime::from_timestamp(1_700_000_000, 0).unwrap();
        let ids: Vec<String> = (0..1000).map(|_| new_id(now)).collect();
        let mut sorted = ids.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted.len(), ids.len(), "every id is new");
        // The counter may wrap once from its random start; apart from that, in order.
        let descents = ids.windows(2).filter(|w| w[0] > w[1]).count();
        assert!(
            descents <= 1,
            "{descents} ids came before the one made just before them"
        );
    }

    #[test]
    fn parts_land_where_an_object_id_has_them() {
        assert_eq!(
            object_id(0x0102_0304, [5, 6, 7, 8, 9], 0xff0a_0b0c),
            "0102030405060708090a0b0c"
        );
        assert_eq!(object_id(-5, [0; 5], 0), "000000000000000000000000");
    }
}
