//! Finnish word analysis on top of the Pykko transducer ([`super::kfst`]).
//!
//! [`FinnishAnalyzer::analyze`] turns a lower-cased NFC word into a few readings: lemma, compound
//! parts, part of speech. The transducer's outputs are tab-separated:
//! `source \t lemma \t pos \t \t usage \t morphology`, where the lemma marks compound boundaries
//! with `|` and `⁅BOUNDARY⁆` and `source` is `Lexicon…` or `Guesser…`.
//!
//! Policy:
//! - lexicon readings only; guesser readings (flagged [`Reading::guessed`]) only when the lexicon
//!   has nothing;
//! - readings within [`READING_BEAM`] of the best one, deduplicated by (lemma, pos), at most
//!   [`MAX_READINGS`];
//! - lexicalised compounds from `data/analysis/fi-no-split.txt` are not split (`seurakunta`);
//! - derivational links between parts: `-aus/-äys` also gives `-as/-äs` (sairaus -> sairas), and
//!   a non-final bound `-is` part also gives `-inen` (omais -> omainen), as
//!   [`Reading::part_alternatives`].

use std::hash::BuildHasher;
use std::num::NonZeroUsize;
use std::sync::OnceLock;

use lru::LruCache;
use parking_lot::Mutex;

use super::kfst::{LookupOptions, Transducer, finnish_transducer};

/// Keep at most this many readings per word.
pub const MAX_READINGS: usize = 4;
/// Keep readings whose weight is at most this much above the best reading's.
pub const READING_BEAM: f64 = 1.5;
/// Words longer than this (in characters) are not analysed.
pub const MAX_WORD_CHARS: usize = 64;

const BOUNDARY: &str = "⁅BOUNDARY⁆";
const NO_SPLIT: &str = include_str!("../../../data/analysis/fi-no-split.txt");
const CACHE_SHARDS: usize = 16;
const CACHE_PER_SHARD: usize = 8_192;

/// One analysis of a word.
#[derive(Debug, Clone, PartialEq)]
pub struct Reading {
    /// Lower-cased lemma without compound boundaries (`vertaistukiryhmä`).
    pub lemma: String,
    /// Lower-cased compound parts (`["vertais", "tuki", "ryhmä"]`); empty when the lemma is not
    /// a compound or is on the do-not-split list.
    pub parts: Vec<String>,
    /// Extra forms of each part (same length as `parts`): `sairaus` -> `["sairas"]`.
    pub part_alternatives: Vec<Vec<String>>,
    /// Part of speech as the analyser gives it (`noun`, `proper`, `adjective`, `verb`, …).
    pub pos: String,
    /// A proper noun (place or personal name).
    pub proper: bool,
    /// From the analyser's guesser, not its lexicon (the word is unknown).
    pub guessed: bool,
    /// Usage tags such as `⟨poet⟩`, `⟨foreign⟩` (may be empty).
    pub usage: String,
    /// Morphology such as `+sg+ine`.
    pub morphology: String,
    /// Analyser weight; lower is more likely.
    pub weight: f64,
}

impl Reading {
    /// True if the reading has more than one compound part.
    pub fn is_compound(&self) -> bool {
        self.parts.len() > 1
    }

    /// Part `i` and its alternatives.
    pub fn part_forms(&self, i: usize) -> impl Iterator<Item = &str> {
        self.parts.get(i).map(String::as_str).into_iter().chain(
            self.part_alternatives
                .get(i)
                .into_iter()
                .flatten()
                .map(String::as_str),
        )
    }
}

/// All kept readings of a word, best first.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct WordAnalysis {
    /// Readings, lowest weight first. Empty if the analyser is unavailable or the word is too long.
    pub readings: Vec<Reading>,
}

impl WordAnalysis {
    /// True if some reading comes from the lexicon.
    pub fn is_known(&self) -> bool {
        self.readings.iter().any(|r| !r.guessed)
    }

    /// True if the readings are guesses only.
    pub fn is_guessed(&self) -> bool {
        !self.readings.is_empty() && self.readings.iter().all(|r| r.guessed)
    }

    /// Distinct lemmas, best first.
    pub fn lemmas(&self) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        for r in &self.readings {
            if !out.contains(&r.lemma.as_str()) {
                out.push(&r.lemma);
            }
        }
        out
    }

    /// The best reading.
    pub fn best(&self) -> Option<&Reading> {
        self.readings.first()
    }
}

/// Finnish analyser with a bounded, sharded, thread-safe cache.
pub struct FinnishAnalyzer {
    transducer: Option<&'static Transducer>,
    no_split: Vec<Vec<String>>,
    shards: Vec<Mutex<LruCache<String, WordAnalysis>>>,
    hasher: std::collections::hash_map::RandomState,
}

impl std::fmt::Debug for FinnishAnalyzer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FinnishAnalyzer")
            .field("loaded", &self.transducer.is_some())
            .field("no_split", &self.no_split.len())
            .finish_non_exhaustive()
    }
}

impl FinnishAnalyzer {
    /// An analyser over `transducer`; `None` gives an analyser that returns no readings.
    pub fn new(transducer: Option<&'static Transducer>) -> FinnishAnalyzer {
        let per_shard = NonZeroUsize::new(CACHE_PER_SHARD).unwrap_or(NonZeroUsize::MIN);
        FinnishAnalyzer {
            transducer,
            no_split: parse_no_split(NO_SPLIT),
            shards: (0..CACHE_SHARDS)
                .map(|_| Mutex::new(LruCache::new(per_shard)))
                .collect(),
            hasher: std::collections::hash_map::RandomState::new(),
        }
    }

    /// True if the transducer is loaded.
    pub fn is_available(&self) -> bool {
        self.transducer.is_some()
    }

    /// Analyses one lower-cased NFC word (cached).
    pub fn analyze(&self, word: &str) -> WordAnalysis {
        let Some(t) = self.transducer else {
            return WordAnalysis::default();
        };
        if word.is_empty() || word.chars().count() > MAX_WORD_CHARS {
            return WordAnalysis::default();
        }
        let h = self.hasher.hash_one(word);
        let shard = &self.shards[(h as usize) % self.shards.len()];
        if let Some(hit) = shard.lock().get(word) {
            return hit.clone();
        }
        let analysis = self.analyze_uncached(t, word);
        shard.lock().put(word.to_owned(), analysis.clone());
        analysis
    }

    fn analyze_uncached(&self, t: &Transducer, word: &str) -> WordAnalysis {
        let raw = t.lookup_with(
            word,
            &LookupOptions {
                max_results: 16,
                max_expansions: 50_000,
                max_weight_above_best: Some(READING_BEAM),
            },
        );
        let parsed: Vec<Reading> = raw
            .iter()
            .filter_map(|(out, w)| self.parse_output(out, *w))
            .collect();
        let any_lexicon = parsed.iter().any(|r| !r.guessed);
        let best = parsed
            .iter()
            .filter(|r| r.guessed != any_lexicon)
            .map(|r| r.weight)
            .fold(f64::INFINITY, f64::min);
        let mut readings: Vec<Reading> = Vec::new();
        for r in parsed {
            if r.guessed == any_lexicon || r.weight > best + READING_BEAM {
                continue;
            }
            // The transducer returns lowest weight first, so the first (lemma, pos) wins; this
            // drops the `Lexicon|Pfx` re-analyses such as maailma -> maa⁅BOUNDARY⁆ilma.
            if readings
                .iter()
                .any(|k| k.lemma == r.lemma && k.pos == r.pos)
            {
                continue;
            }
            readings.push(r);
            if readings.len() >= MAX_READINGS {
                break;
            }
        }
        WordAnalysis { readings }
    }

    /// Parses one transducer output line into a reading.
    fn parse_output(&self, out: &str, weight: f64) -> Option<Reading> {
        let mut fields = out.split('\t');
        let source = fields.next()?;
        let raw_lemma = fields.next()?;
        let pos = fields.next().unwrap_or_default();
        let _empty = fields.next();
        let usage = fields.next().unwrap_or_default();
        let morphology = fields.next().unwrap_or_default();
        let guessed = !source.starts_with("Lexicon");
        let raw_lemma = raw_lemma.replace(BOUNDARY, "|").to_lowercase();
        let lemma: String = raw_lemma.chars().filter(|&c| c != '|').collect();
        if lemma.is_empty() {
            return None;
        }
        let mut parts: Vec<String> = raw_lemma
            .split('|')
            .map(|p| p.trim_matches('-'))
            .filter(|p| !p.is_empty())
            .map(str::to_owned)
            .collect();
        self.glue_no_split(&mut parts);
        if parts.len() < 2 {
            parts.clear();
        }
        let part_alternatives = parts
            .iter()
            .enumerate()
            .map(|(i, p)| part_alternatives(p, i + 1 == parts.len()))
            .collect();
        Some(Reading {
            lemma,
            parts,
            part_alternatives,
            proper: pos.starts_with("proper"),
            pos: pos.to_owned(),
            guessed,
            usage: usage.to_owned(),
            morphology: morphology.to_owned(),
            weight,
        })
    }

    /// Glues consecutive parts that form a do-not-split compound back into one part.
    fn glue_no_split(&self, parts: &mut Vec<String>) {
        let mut i = 0;
        while i < parts.len() {
            let glued = self.no_split.iter().find(|unit| {
                parts
                    .get(i..i + unit.len())
                    .is_some_and(|window| window == unit.as_slice())
            });
            if let Some(unit) = glued {
                let joined: String = unit.concat();
                parts.splice(i..i + unit.len(), std::iter::once(joined));
            }
            i += 1;
        }
    }
}

/// Derivational alternatives of a compound part.
fn part_alternatives(part: &str, is_last: bool) -> Vec<String> {
    let mut alts = Vec::new();
    if part.chars().count() >= 5 {
        // sairaus -> sairas (muistisairaus / muistisairaiden), rakkaus -> rakas.
        if let Some(stem) = part.strip_suffix("aus") {
            alts.push(format!("{stem}as"));
        } else if let Some(stem) = part.strip_suffix("äys") {
            alts.push(format!("{stem}äs"));
        }
        // Bound compound-initial forms of -inen words: omais -> omainen, vertais -> vertainen.
        if !is_last && let Some(stem) = part.strip_suffix("is") {
            alts.push(format!("{stem}inen"));
        }
    }
    alts
}

fn parse_no_split(text: &str) -> Vec<Vec<String>> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| {
            l.split('|')
                .map(|p| p.trim().to_lowercase())
                .collect::<Vec<_>>()
        })
        .filter(|u| u.len() > 1 && u.iter().all(|p| !p.is_empty()))
        .collect()
}

/// The shared analyser over the embedded Finnish transducer (loaded on first use).
pub fn analyzer() -> &'static FinnishAnalyzer {
    static A: OnceLock<FinnishAnalyzer> = OnceLock::new();
    A.get_or_init(|| FinnishAnalyzer::new(finnish_transducer()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn best(word: &str) -> Reading {
        let a = analyzer().analyze(word);
        a.best()
            .cloned()
            .unwrap_or_else(|| panic!("no reading for {word}"))
    }

    fn has(word: &str, lemma: &str, parts: &[&str]) -> Reading {
        let a = analyzer().analyze(word);
        a.readings
            .iter()
            .find(|r| r.lemma == lemma && r.parts == parts)
            .cloned()
            .unwrap_or_else(|| panic!("{word}: no reading {lemma} {parts:?} in {a:#?}"))
    }

    #[test]
    fn readme_table() {
        let r = has("turussa", "turku", &[]);
        assert!(!r.guessed);
        assert!(
            analyzer()
                .analyze("turussa")
                .readings
                .iter()
                .any(|r| r.lemma == "turku" && r.proper)
        );
        let r = best("vertaistukiryhmä");
        assert_eq!(r.lemma, "vertaistukiryhmä");
        assert_eq!(r.parts, ["vertais", "tuki", "ryhmä"]);
        assert!(r.part_forms(0).any(|p| p == "vertainen"));
        let r = best("lappeenrannassa");
        assert_eq!((r.lemma.as_str(), r.proper), ("lappeenranta", true));
        assert_eq!(r.parts, ["lappeen", "ranta"]);
        assert_eq!(best("nuorisoseurat").parts, ["nuoriso", "seura"]);
        assert_eq!(best("omaishoitajille").parts, ["omais", "hoitaja"]);
        let r = best("muistisairaiden");
        assert_eq!(r.parts, ["muisti", "sairas"]);
        let a = analyzer().analyze("xyzqw");
        assert!(a.is_guessed(), "{a:?}");
        assert!(!a.is_known());
        assert_eq!(a.lemmas(), ["xyzqw"]);
    }

    #[test]
    fn gradation_and_inflection() {
        assert!(analyzer().analyze("tuen").lemmas().contains(&"tuki"));
        assert_eq!(best("liikuntaa").lemma, "liikunta");
        assert_eq!(best("kirjastossa").lemma, "kirjasto");
        let r = best("helsingissä");
        assert_eq!((r.lemma.as_str(), r.proper), ("helsinki", true));
        assert!(analyzer().analyze("turun").lemmas().contains(&"turku"));
        assert_eq!(best("velat").lemma, "velka");
    }

    #[test]
    fn compounds_and_do_not_split() {
        assert_eq!(best("urheiluseura").parts, ["urheilu", "seura"]);
        assert_eq!(best("kuorolaulu").parts, ["kuoro", "laulu"]);
        assert_eq!(best("kamarikuoro").parts, ["kamari", "kuoro"]);
        let r = best("seurakunta");
        assert_eq!(r.lemma, "seurakunta");
        assert!(r.parts.is_empty());
        let r = best("seurakunnassa");
        assert_eq!(r.lemma, "seurakunta");
        assert!(r.parts.is_empty());
        assert_eq!(best("seurakuntatalo").parts, ["seurakunta", "talo"]);
        assert!(best("yhteiskunta").parts.is_empty());
        // maailma is a lexicon word; the prefix re-analysis maa⁅BOUNDARY⁆ilma is dropped.
        assert!(best("maailma").parts.is_empty());
        assert_eq!(analyzer().analyze("maailma").readings.len(), 1);
    }

    #[test]
    fn derivational_link_sairaus_sairas() {
        let a = best("muistisairaus");
        let b = best("muistisairaiden");
        assert_eq!(a.parts, ["muisti", "sairaus"]);
        assert!(a.part_forms(1).any(|p| p == "sairas"));
        // Every part of one matches some form of the other's parts.
        for (i, _) in b.parts.iter().enumerate() {
            let bf: Vec<&str> = b.part_forms(i).collect();
            assert!(a.part_forms(i).any(|p| bf.contains(&p)));
        }
    }

    #[test]
    fn cache_returns_the_same() {
        let a = analyzer().analyze("kirjastossa");
        let b = analyzer().analyze("kirjastossa");
        assert_eq!(a, b);
    }

    #[test]
    fn degrades_without_transducer() {
        let a = FinnishAnalyzer::new(None);
        assert!(!a.is_available());
        assert!(a.analyze("turussa").readings.is_empty());
    }

    #[test]
    fn odd_input_does_not_panic() {
        for w in [
            "",
            " ",
            "\t",
            "\0",
            "a\u{0308}",
            "👩‍👩‍👧",
            "ꙮ",
            "\u{10FFFF}",
            "@_EPSILON_SYMBOL_@",
            "@_IDENTITY_SYMBOL_@",
            "+sg+nom",
            "|",
            "⁅BOUNDARY⁆",
            &"a".repeat(1000),
            &"kuoro".repeat(12),
        ] {
            let _ = analyzer().analyze(w);
        }
        assert!(analyzer().analyze("").readings.is_empty());
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn arbitrary_strings_do_not_panic(s in "\\PC{0,24}") {
            let a = analyzer().analyze(&s.to_lowercase());
            prop_assert!(a.readings.len() <= MAX_READINGS);
            for r in &a.readings {
                prop_assert!(r.parts.is_empty() || r.parts.len() > 1);
                prop_assert_eq!(r.parts.len(), r.part_alternatives.len());
            }
        }
    }

    #[test]
    fn parse_no_split_list() {
        let units = parse_no_split("# c\nseura|kunta\n\nsingle\n a | b \n");
        assert_eq!(units, vec![vec!["seura", "kunta"], vec!["a", "b"]]);
    }

    /// Prints readings and timings; run with
    /// `cargo test -p tarjotin-core --release --lib analysis::finnish -- --ignored --nocapture`.
    #[test]
    #[ignore]
    fn print_samples_and_timings() {
        let t0 = std::time::Instant::now();
        let t = finnish_transducer().expect("loads");
        println!("load: {:?}", t0.elapsed());
        let words = [
            "turussa",
            "vertaistukiryhmä",
            "lappeenrannassa",
            "nuorisoseurat",
            "omaishoitajille",
            "muistisairaiden",
            "muistisairaus",
            "xyzqw",
            "tuen",
            "liikuntaa",
            "kirjastossa",
            "helsingissä",
            "turun",
            "seurakunnassa",
            "urheiluseura",
            "vertaistuki",
            "kuoro",
            "kamarikuoro",
            "kuurojen",
            "tukin",
            "åbo",
            "hameenlinna",
            "sekakuoro",
            "yksinäinen",
            "eläkeläinen",
            "velat",
            "masennus",
        ];
        let uncached = FinnishAnalyzer::new(Some(t));
        let n = 50u32;
        let mut total = std::time::Duration::ZERO;
        for w in words {
            let t1 = std::time::Instant::now();
            for _ in 0..n {
                let _ = t.lookup(w, 16);
            }
            let raw = t1.elapsed() / n;
            let t2 = std::time::Instant::now();
            let a = uncached.analyze_uncached(t, w);
            let an = t2.elapsed();
            total += an;
            println!("{w}: raw lookup(16) {raw:?}, analyze (uncached) {an:?}");
            for r in &a.readings {
                println!(
                    "    {} {:?} alt={:?} {} proper={} guessed={} w={} {} {}",
                    r.lemma,
                    r.parts,
                    r.part_alternatives,
                    r.pos,
                    r.proper,
                    r.guessed,
                    r.weight,
                    r.usage,
                    r.morphology
                );
            }
        }
        println!("mean analyze (uncached): {:?}", total / words.len() as u32);
        let t3 = std::time::Instant::now();
        for _ in 0..n {
            for w in words {
                let _ = analyzer().analyze(w);
            }
        }
        println!(
            "cached analyze: {:?}",
            t3.elapsed() / (n * words.len() as u32)
        );
    }
}
