//! Text analysis: Unicode normalisation, word segmentation, and the Finnish analyser.

pub mod finnish;
pub mod kfst;
pub mod views;

use unicode_normalization::UnicodeNormalization;
use unicode_segmentation::UnicodeSegmentation;

/// NFC-normalises text. Applied at ingest and at query time, so NFD input (`a` + combining
/// diaeresis) and NFC input (`ä`) give identical tokens.
pub fn normalize(text: &str) -> String {
    // Most text is already NFC; the quick check skips decomposing and recomposing it.
    if unicode_normalization::is_nfc_quick(text.chars()) == unicode_normalization::IsNormalized::Yes
    {
        return text.to_owned();
    }
    text.nfc().collect()
}

/// Splits text into lower-cased words by Unicode (UAX #29) word boundaries.
///
/// A colon inside a word marks a Finnish case ending on an abbreviation or number (`EU:n`,
/// `5:ssä`, `HJK:n`): the ending is dropped and the base kept. Text must already be NFC.
pub fn words(text: &str) -> impl Iterator<Item = (usize, String)> + '_ {
    let mut prev_end = usize::MAX;
    text.unicode_word_indices().filter_map(move |(offset, w)| {
        // `5:ssä` segments as `5`, `ssä`: a short ending glued to the previous word by a colon.
        let glued_ending = prev_end != usize::MAX
            && text.get(prev_end..offset) == Some(":")
            && w.chars().count() <= 6
            && w.chars().all(char::is_alphabetic);
        prev_end = offset + w.len();
        if glued_ending {
            return None;
        }
        let base = match w.find(':') {
            Some(i) if i > 0 => &w[..i],
            _ => w,
        };
        if base.chars().any(char::is_alphanumeric) {
            Some((offset, base.to_lowercase()))
        } else {
            None
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ws(s: &str) -> Vec<String> {
        words(&normalize(s)).map(|(_, w)| w).collect()
    }

    #[test]
    fn colon_endings_are_dropped() {
        assert_eq!(ws("EU:n tuki 5:ssä HJK:n"), ["eu", "tuki", "5", "hjk"]);
    }

    #[test]
    fn nfd_equals_nfc() {
        let nfd = "Ha\u{0308}meenlinna kyla\u{0308}ssa\u{0308}";
        assert_eq!(ws(nfd), ws("Hämeenlinna kylässä"));
        assert_eq!(ws(nfd), ["hämeenlinna", "kylässä"]);
    }
}
