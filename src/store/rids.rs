//! Sets of customer row ids as one bit each: search results are joined in one (the union of
//! a search word's vocabulary words) and a sort index walk asks one about every entry.

/// A set of positive row ids, one bit per possible id up to the largest.
pub(super) struct RidSet(Vec<u64>);

impl RidSet {
    /// The set of `rids`, in any order, repeats allowed. Row ids are positive; anything
    /// else cannot be a customer and is left out.
    pub(super) fn of(rids: &[i64]) -> Self {
        let max = rids.iter().copied().max().unwrap_or(0).max(0) as usize;
        let mut bits = vec![0u64; (max >> 6) + 1];
        for &rid in rids {
            if let Ok(rid) = usize::try_from(rid) {
                bits[rid >> 6] |= 1 << (rid & 63);
            }
        }
        Self(bits)
    }

    /// Whether `rid` is in the set.
    pub(super) fn contains(&self, rid: i64) -> bool {
        usize::try_from(rid).is_ok_and(|rid| {
            self.0
                .get(rid >> 6)
                .is_some_and(|word| word & (1 << (rid & 63)) != 0)
        })
    }

    /// The row ids in ascending order.
    pub(super) fn into_sorted(self) -> Vec<i64> {
        let count = self.0.iter().map(|w| w.count_ones() as usize).sum();
        let mut out = Vec::with_capacity(count);
        for (index, &word) in self.0.iter().enumerate() {
            let mut rest = word;
            while rest != 0 {
                out.push(((index << 6) | rest.trailing_zeros() as usize) as i64);
                rest &= rest - 1;
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_set_is_ascending_and_distinct_and_knows_its_members() {
        let set = RidSet::of(&[1, 64, 130, 2, 64, 700, -3]);
        assert!(set.contains(64) && set.contains(700) && !set.contains(3));
        assert!(!set.contains(-3) && !set.contains(100_000));
        assert_eq!(set.into_sorted(), vec![1, 2, 64, 130, 700]);
        assert!(RidSet::of(&[]).into_sorted().is_empty());
    }
}
