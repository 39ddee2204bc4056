//! Text folding shared by search and sorting: one definition of "the same letter" so that
//! `cierny` finds `Čierny` and `Čapek` sorts with the Cs.

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

#[cfg(test)]
mod tests {
    use super::fold;

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
