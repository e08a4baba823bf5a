//! Snippets with the query's words marked, as segments a client renders without HTML.

use std::collections::BTreeSet;

use super::types::Segment;
use crate::analysis::views::word_forms;
use unicode_segmentation::UnicodeSegmentation;

use crate::analysis::normalize;
use crate::model::{Lang, Schedule};

/// The lower-cased forms a snippet marks (surfaces, lemmas, stems of the query's words), with
/// the first two letters of each: a text word can only match when it contains one of those,
/// so only the few words around them are segmented and analysed.
#[derive(Debug, Clone, Default)]
pub struct HighlightForms {
    forms: BTreeSet<String>,
    heads: Vec<String>,
}

impl HighlightForms {
    pub fn new(forms: BTreeSet<String>) -> Self {
        let mut heads: Vec<String> = forms
            .iter()
            .filter(|f| !f.is_empty())
            .map(|f| f.chars().take(2).collect())
            .collect();
        heads.sort();
        heads.dedup();
        HighlightForms { forms, heads }
    }

    /// True when a lower-cased text word is one of the forms, or its stem, lemma or a compound
    /// part of more than three letters is.
    fn matches(&self, word: &str) -> bool {
        let forms = &self.forms;
        if forms.contains(word) {
            return true;
        }
        let f = word_forms(word);
        forms.contains(&f.stem)
            || f.readings.iter().any(|r| {
                forms.contains(&r.lemma)
                    || r.parts
                        .iter()
                        .filter_map(|alternatives| alternatives.first())
                        .any(|p| forms.contains(p) && p.chars().count() > 3)
            })
            || forms.contains(&f.stem_sv)
            || forms.contains(&f.stem_en)
    }

    /// Byte ranges of the matching words of NFC `text`, in order. A word keeps the part before
    /// a colon (`EU:n` is marked as `EU`).
    fn hits(&self, text: &str) -> Vec<(usize, usize)> {
        let mut hits = Vec::new();
        let Some(lower) = lowercase_in_place(text) else {
            self.hits_in(text, 0, &mut hits);
            return hits;
        };
        let mut candidates: Vec<usize> = self
            .heads
            .iter()
            .flat_map(|h| lower.match_indices(h.as_str()).map(|(at, _)| at))
            .collect();
        candidates.sort_unstable();
        // Words never span whitespace, so each whitespace-delimited chunk holding a candidate
        // is segmented on its own, once.
        let mut done_to = 0;
        for at in candidates {
            if at < done_to {
                continue;
            }
            let start = text[..at]
                .char_indices()
                .rev()
                .find(|(_, c)| c.is_whitespace())
                .map_or(0, |(i, c)| i + c.len_utf8());
            let end = text[at..]
                .char_indices()
                .find(|(_, c)| c.is_whitespace())
                .map_or(text.len(), |(i, _)| at + i);
            self.hits_in(&text[start..end], start, &mut hits);
            done_to = end;
        }
        hits
    }

    /// Appends the matching words of `chunk`, which starts at byte `offset` of the text.
    fn hits_in(&self, chunk: &str, offset: usize, hits: &mut Vec<(usize, usize)>) {
        for (start, w) in chunk.unicode_word_indices() {
            let base = w.split(':').next().unwrap_or(w);
            if !base.is_empty() && self.matches(&base.to_lowercase()) {
                hits.push((offset + start, offset + start + base.len()));
            }
        }
    }
}

/// `text` lower-cased, when every character keeps its byte length (so offsets carry over);
/// `None` otherwise.
fn lowercase_in_place(text: &str) -> Option<String> {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        let mut lower = c.to_lowercase();
        match (lower.next(), lower.next()) {
            (Some(l), None) if l.len_utf8() == c.len_utf8() => out.push(l),
            _ => return None,
        }
    }
    Some(out)
}

/// An excerpt of at most about `max_chars` characters around the first matching word, split
/// into plain and matching segments. Without a match, the text's beginning.
pub fn highlight(text: &str, forms: &HighlightForms, max_chars: usize) -> Vec<Segment> {
    let text = normalize(text);
    let hits = forms.hits(&text);
    // Window: start a little before the first hit, at a char boundary.
    let first = hits.first().map(|h| h.0).unwrap_or(0);
    let (start_byte, end_byte) = if text.char_indices().nth(max_chars).is_none() {
        (0, text.len())
    } else {
        // Up to a quarter of the window's characters before the first hit.
        let start = text[..first]
            .char_indices()
            .rev()
            .take(max_chars / 4)
            .last()
            .map_or(first, |(b, _)| b);
        let end = text[start..]
            .char_indices()
            .nth(max_chars)
            .map_or(text.len(), |(b, _)| start + b);
        (start, end)
    };
    let mut out = Vec::new();
    let mut pos = start_byte;
    let prefix = if start_byte > 0 { "…" } else { "" };
    let mut pending = prefix.to_string();
    for (s, e) in hits {
        if s < start_byte || e > end_byte || s < pos {
            continue;
        }
        pending.push_str(&text[pos..s]);
        if !pending.is_empty() {
            out.push(Segment {
                text: std::mem::take(&mut pending),
                hit: false,
            });
        }
        out.push(Segment {
            text: text[s..e].to_string(),
            hit: true,
        });
        pos = e;
    }
    pending.push_str(&text[pos..end_byte]);
    if end_byte < text.len() {
        pending.push('…');
    }
    if !pending.is_empty() {
        out.push(Segment {
            text: pending,
            hit: false,
        });
    }
    out
}

fn weekday_label(w: crate::model::Weekday, lang: Lang) -> &'static str {
    use crate::model::Weekday::*;
    let i = match lang {
        Lang::Fi => 0,
        Lang::Sv => 1,
        Lang::En => 2,
    };
    let names = match w {
        Mon => ["ma", "mån", "Mon"],
        Tue => ["ti", "tis", "Tue"],
        Wed => ["ke", "ons", "Wed"],
        Thu => ["to", "tors", "Thu"],
        Fri => ["pe", "fre", "Fri"],
        Sat => ["la", "lör", "Sat"],
        Sun => ["su", "sön", "Sun"],
    };
    names[i]
}

/// Human schedule text in `lang`: the record's own text, or one made from its weekly slots.
pub fn schedule_text(s: &Schedule, lang: Lang) -> Option<String> {
    if let Some((_, t)) = s.text.pick(lang) {
        return Some(t.to_string());
    }
    if !s.weekly.is_empty() {
        let parts: Vec<String> = s
            .weekly
            .iter()
            .map(|w| format!("{} {}–{}", weekday_label(w.weekday, lang), w.start, w.end))
            .collect();
        return Some(parts.join(", "));
    }
    match (&s.start, &s.end) {
        (Some(a), Some(b)) => Some(format!("{a} – {b}")),
        (Some(a), None) => Some(a.clone()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marks_matching_words_only() {
        let forms = HighlightForms::new(["kuoro".to_string()].into());
        let segs = highlight("Turun kuoro laulaa.", &forms, 200);
        assert_eq!(
            segs,
            vec![
                Segment {
                    text: "Turun ".into(),
                    hit: false
                },
                Segment {
                    text: "kuoro".into(),
                    hit: true
                },
                Segment {
                    text: " laulaa.".into(),
                    hit: false
                },
            ]
        );
    }

    #[test]
    fn long_text_is_cut_around_the_hit() {
        let forms = HighlightForms::new(["kuoro".to_string()].into());
        let text = format!("{} kuoro {}", "alku ".repeat(200), "loppu ".repeat(200));
        let segs = highlight(&text, &forms, 100);
        let joined: String = segs.iter().map(|s| s.text.as_str()).collect();
        assert!(joined.chars().count() <= 104);
        assert!(segs.iter().any(|s| s.hit && s.text == "kuoro"));
    }

    #[test]
    fn only_words_around_a_form_head_are_checked_yet_every_match_is_found() {
        let forms =
            HighlightForms::new(["seura", "tuki", "kirjasto", "eu"].map(String::from).into());
        let texts = [
            "Urheiluseuralle ja nuorisoseuroille: vertaistukea kirjastoissa, EU:n tuella.",
            "Seura\ttapaa\nkirjastossa; tuki-ryhmä (tukena) seuran tiloissa.",
            "ÄÄNEKOSKEN SEURA, kirjasto\u{a0}ja TUKI",
            "Ei osumia tässä tekstissä lainkaan.",
            "İstanbul-seura ja tuki",
        ];
        for text in texts {
            let text = normalize(text);
            let mut every_word = Vec::new();
            forms.hits_in(&text, 0, &mut every_word);
            assert_eq!(forms.hits(&text), every_word, "{text}");
        }
        let marked: Vec<String> = highlight(texts[0], &forms, 200)
            .into_iter()
            .filter(|s| s.hit)
            .map(|s| s.text)
            .collect();
        assert_eq!(
            marked,
            [
                "Urheiluseuralle",
                "nuorisoseuroille",
                "vertaistukea",
                "kirjastoissa",
                "EU",
                "tuella"
            ]
        );
    }
}
