//! Text folding shared by search and sorting: one definition of "the same letter" so that
//! `cierny` finds `Čierny` and `Čapek` sorts with the Cs; and one definition of "the same
//! phone number", so that `0905 111` finds `+421 905 111 222`.

use std::borrow::Cow;

/// Lower-cases `text` and replaces every letter with diacritics by its base letter
/// (`Čierny Ölçer` → `cierny olcer`). ASCII text is returned without allocating.
pub fn fold(text: &str) -> Cow<'_, str> {
    if text
        .bytes()
        .all(|b| b.is_ascii() && !b.is_ascii_uppercase())
    {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    for ch in text.chars() {
        if ch.is_ascii() {
            out.push(ch.to_ascii_lowercase());
        } else if ch.is_alphabetic() {
            // deunicode maps letters to their ASCII base (`Č` → `C`, `ß` → `ss`); letters of
            // scripts without an ASCII form keep their lower-case self.
            match deunicode::deunicode_char(ch) {
                Some(base)
                    if !base.is_empty() && base.chars().all(|c| c.is_ascii_alphanumeric()) =>
                {
                    out.extend(base.chars().map(|c| c.to_ascii_lowercase()))
                }
                _ => out.extend(ch.to_lowercase()),
            }
        } else {
            out.push(ch);
        }
    }
    Cow::Owned(out)
}

/// A phone number as the `Phone` filter compares it: its digits and letters (folded), with
/// spaces, dashes, dots, brackets, slashes and every other sign left out, and without leading
/// zeros, which covers both the international `00` (`00421…` is `+421…`) and a national
/// trunk `0` (`0905 111 222` is the `905 111 222` of `+421 905 111 222`). Several numbers in
/// one field, separated by `,` or `;`, stay apart: each is normalised on its own and they are
/// joined by one space, so that a part of one never runs into the next.
pub fn phone_key(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for number in text.split([',', ';']) {
        let start = out.len();
        if start > 0 {
            out.push(' ');
        }
        let mut leading = true;
        for ch in number.chars().filter(|c| c.is_alphanumeric()) {
            if leading && ch == '0' {
                continue;
            }
            leading = false;
            out.push_str(&fold(ch.encode_utf8(&mut [0; 4])));
        }
        if out.len() == start + usize::from(start > 0) {
            // Nothing of this number is left: no separator for it either.
            out.truncate(start);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::{fold, phone_key};

    #[test]
    fn phone_numbers_lose_their_signs_and_leading_zeros() {
        assert_eq!(phone_key("+421 905 111 222"), "421905111222");
        assert_eq!(phone_key("00421 (905) 111-222"), "421905111222");
        assert_eq!(phone_key("0905.111/222"), "905111222");
        assert_eq!(phone_key("0905 111"), "905111");
        assert!(phone_key("421905111222").contains(&phone_key("0905 111")));
        assert_eq!(phone_key("0905 111 222, 02/123 456"), "905111222 2123456");
        assert_eq!(phone_key(" ; +, 0905"), "905");
        assert_eq!(phone_key("+ - ()"), "");
        assert_eq!(phone_key("0800 FLOWERS"), "800flowers");
    }

    proptest::proptest! {
        /// However a number is written (spaces, dashes, dots, brackets, slashes between its
        /// digits, a leading `+`, `00` or `0`), it normalises to the same digits, and any
        /// run of its digits typed with such signs is found in it.
        #[test]
        fn a_number_is_the_same_however_it_is_written(
            digits in "[1-9][0-9]{5,12}",
            separators in proptest::collection::vec(proptest::sample::select(vec!["", "", " ", "-", ".", "(", ")", "/", " - "]), 14),
            prefix in proptest::sample::select(vec!["", "+", "00", "0", "+ ", "00 "]),
            cut in (0usize..6, 1usize..6),
        ) {
            let mut written = prefix.to_owned();
            for (i, d) in digits.chars().enumerate() {
                written.push(d);
                written.push_str(separators[i % separators.len()]);
            }
            proptest::prop_assert_eq!(phone_key(&written), digits.clone());
            let (from, len) = cut;
            let part: String = digits.chars().skip(from).take(len).collect();
            let typed: String = part.chars().flat_map(|c| [c, ' ']).collect();
            // A part starting with zeros loses them, and is still found.
            proptest::prop_assert!(phone_key(&written).contains(&phone_key(&typed)));
        }
    }

    #[test]
    fn folds_case_and_diacritics() {
        assert_eq!(fold("Čierny"), "cierny");
        assert_eq!(fold("ŠŤASTNÁ Ľubica"), "stastna lubica");
        assert_eq!(fold("Győző Ördög"), "gyozo ordog");
        assert_eq!(fold("Straße"), "strasse");
        assert_eq!(fold("plain ascii 12"), "plain ascii 12");
    }

    #[test]
    fn keeps_punctuation_and_digits() {
        assert_eq!(fold("SK-123/Á"), "sk-123/a");
    }
}
