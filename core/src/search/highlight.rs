//! Snippets with the query's words marked, as segments a client renders without HTML.

use std::collections::BTreeSet;

use super::types::Segment;
use crate::analysis::views::word_forms;
use unicode_segmentation::UnicodeSegmentation;

use crate::analysis::normalize;
use crate::model::{Lang, Schedule};

/// True when a text word is one of the query's forms (surface, lemma, stem).
fn matches(word: &str, forms: &BTreeSet<String>) -> bool {
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

/// An excerpt of at most about `max_chars` characters around the first matching word, split
/// into plain and matching segments. Without a match, the text's beginning.
pub fn highlight(text: &str, forms: &BTreeSet<String>, max_chars: usize) -> Vec<Segment> {
    let text = normalize(text);
    let hits: Vec<(usize, usize)> = text
        .unicode_word_indices()
        .filter_map(|(start, w)| {
            let base = w.split(':').next().unwrap_or(w);
            let lower = base.to_lowercase();
            (!base.is_empty() && matches(&lower, forms)).then_some((start, start + base.len()))
        })
        .collect();
    // Window: start a little before the first hit, at a char boundary.
    let first = hits.first().map(|h| h.0).unwrap_or(0);
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let first_char = chars.iter().position(|(b, _)| *b >= first).unwrap_or(0);
    let start_char = if chars.len() <= max_chars {
        0
    } else {
        first_char.saturating_sub(max_chars / 4)
    };
    let end_char = (start_char + max_chars).min(chars.len());
    let start_byte = chars.get(start_char).map(|c| c.0).unwrap_or(0);
    let end_byte = chars.get(end_char).map(|c| c.0).unwrap_or(text.len());
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
        let forms: BTreeSet<String> = ["kuoro".to_string()].into();
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
        let forms: BTreeSet<String> = ["kuoro".to_string()].into();
        let text = format!("{} kuoro {}", "alku ".repeat(200), "loppu ".repeat(200));
        let segs = highlight(&text, &forms, 100);
        let joined: String = segs.iter().map(|s| s.text.as_str()).collect();
        assert!(joined.chars().count() <= 104);
        assert!(segs.iter().any(|s| s.hit && s.text == "kuoro"));
    }
}
