//! The text views the index keeps, and how a word turns into each view's tokens.
//!
//! Documents and queries go through the same functions, so a query word and a document word
//! meet in the same form. Documents index *every* form a word may take (whole lemma and all its
//! compound parts); a query word matches "whole lemma, or all its parts together", which the
//! query builder expresses from [`QueryWord`].

use std::collections::BTreeSet;
use std::hash::BuildHasher;
use std::num::NonZeroUsize;
use std::sync::{Arc, OnceLock};

use lru::LruCache;
use parking_lot::Mutex;
use rust_stemmers::{Algorithm, Stemmer};

use super::{normalize, words};

/// Legal-form tokens and stop words that must not drive ranking.
pub const STOP_WORDS_FI: &[&str] = &[
    "ry",
    "rf",
    "r",
    "y",
    "ja",
    "tai",
    "sekä",
    "on",
    "ovat",
    "oli",
    "ei",
    "se",
    "ne",
    "joka",
    "jotka",
    "kuin",
    "kun",
    "niin",
    "myös",
    "vain",
    "mutta",
    "että",
    "jos",
    "vai",
    "tämä",
    "tuo",
    "siellä",
    "täällä",
    "minä",
    "sinä",
    "hän",
    "me",
    "te",
    "he",
    "olla",
    "en",
    "et",
];
pub const STOP_WORDS_SV: &[&str] = &[
    "och", "i", "på", "för", "av", "med", "till", "som", "det", "den", "de", "en", "ett", "är",
    "att", "om", "från", "eller", "rf", "r.f",
];
pub const STOP_WORDS_EN: &[&str] = &[
    "the", "a", "an", "and", "or", "of", "in", "on", "for", "to", "with", "at", "by", "from", "is",
    "are", "near", "me",
];

/// True for words that carry no meaning in a query (stop words, legal forms).
pub fn is_stop_word(word: &str) -> bool {
    STOP_WORDS_FI.contains(&word) || STOP_WORDS_SV.contains(&word) || STOP_WORDS_EN.contains(&word)
}

/// Folds Finnish and Swedish letters to ASCII (`ä` -> `a`, `ö` -> `o`, `å` -> `a`), for the
/// low-weight recall view.
pub fn fold_ascii(word: &str) -> String {
    word.chars()
        .map(|c| match c {
            'ä' | 'å' | 'á' | 'à' | 'â' => 'a',
            'ö' | 'ó' | 'ò' | 'ô' | 'ø' => 'o',
            'é' | 'è' | 'ê' | 'ë' => 'e',
            'ü' | 'ú' => 'u',
            'š' => 's',
            'ž' => 'z',
            other => other,
        })
        .collect()
}

thread_local! {
    static FI_STEMMER: Stemmer = Stemmer::create(Algorithm::Finnish);
    static SV_STEMMER: Stemmer = Stemmer::create(Algorithm::Swedish);
    static EN_STEMMER: Stemmer = Stemmer::create(Algorithm::English);
}

pub fn stem_fi(word: &str) -> String {
    FI_STEMMER.with(|s| s.stem(word).into_owned())
}

pub fn stem_sv(word: &str) -> String {
    SV_STEMMER.with(|s| s.stem(word).into_owned())
}

pub fn stem_en(word: &str) -> String {
    EN_STEMMER.with(|s| s.stem(word).into_owned())
}

/// One Finnish reading of a word: its lemma and, for a compound, its parts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reading {
    pub lemma: String,
    /// Compound parts, each with its alternative forms (first the part itself, then derivational
    /// links such as `sairaus` -> `sairas`); empty when not a compound.
    pub parts: Vec<Vec<String>>,
    pub proper: bool,
}

/// Every form of one word the index and the query builder use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WordForms {
    /// Lower-cased surface form.
    pub exact: String,
    /// Finnish readings from the morphological analyser (empty when it does not know the word).
    pub readings: Vec<Reading>,
    /// Snowball Finnish stem: the fallback for unknown words.
    pub stem: String,
    /// ASCII-folded surface form.
    pub folded: String,
    /// Snowball Swedish stem (Swedish views and the thesaurus's `sv:` keys).
    pub stem_sv: String,
    /// Snowball English stem (English views and the thesaurus's `en:` keys).
    pub stem_en: String,
    /// What a document word adds to the lemma view: every lemma, compound part and inner
    /// compound; for a word the analyser does not know, its stem and surface form.
    pub lemma_tokens: Vec<String>,
}

impl WordForms {
    /// True when the analyser knows the word from its lexicon (not a guess).
    pub fn known(&self) -> bool {
        !self.readings.is_empty()
    }
}

const FORMS_CACHE_SHARDS: usize = 32;
const FORMS_CACHE_PER_SHARD: usize = 8_192;

/// Analysed words, shared by indexing threads and searches: a document collection repeats the
/// same words (Zipf), and a page of hits is highlighted word by word.
struct FormsCache {
    shards: Vec<Mutex<LruCache<String, Arc<WordForms>>>>,
    hasher: std::collections::hash_map::RandomState,
}

fn forms_cache() -> &'static FormsCache {
    static CACHE: OnceLock<FormsCache> = OnceLock::new();
    CACHE.get_or_init(|| {
        let per_shard = NonZeroUsize::new(FORMS_CACHE_PER_SHARD).unwrap_or(NonZeroUsize::MIN);
        FormsCache {
            shards: (0..FORMS_CACHE_SHARDS)
                .map(|_| Mutex::new(LruCache::new(per_shard)))
                .collect(),
            hasher: std::collections::hash_map::RandomState::new(),
        }
    })
}

/// Words each thread keeps to itself in front of the shared cache, so the indexing threads
/// look up the common words without taking a lock. Cleared when full.
const THREAD_CACHE_WORDS: usize = 65_536;

thread_local! {
    static THREAD_FORMS: std::cell::RefCell<std::collections::HashMap<String, Arc<WordForms>>> =
        std::cell::RefCell::new(std::collections::HashMap::new());
}

/// Analyses one lower-cased NFC word (cached; the result is shared).
pub fn word_forms(word: &str) -> Arc<WordForms> {
    THREAD_FORMS.with(|local| {
        if let Some(hit) = local.borrow().get(word) {
            return Arc::clone(hit);
        }
        let forms = shared_word_forms(word);
        let mut local = local.borrow_mut();
        if local.len() >= THREAD_CACHE_WORDS {
            local.clear();
        }
        local.insert(word.to_owned(), Arc::clone(&forms));
        forms
    })
}

fn shared_word_forms(word: &str) -> Arc<WordForms> {
    let cache = forms_cache();
    let shard = &cache.shards[(cache.hasher.hash_one(word) as usize) % cache.shards.len()];
    if let Some(hit) = shard.lock().get(word) {
        return Arc::clone(hit);
    }
    let forms = Arc::new(analyse_word(word));
    shard.lock().put(word.to_owned(), Arc::clone(&forms));
    forms
}

fn analyse_word(word: &str) -> WordForms {
    let readings: Vec<Reading> = super::finnish::analyzer()
        .analyze(word)
        .readings
        .into_iter()
        .filter(|r| !r.guessed)
        .map(|r| Reading {
            parts: (0..r.parts.len())
                .map(|i| r.part_forms(i).map(String::from).collect())
                .collect(),
            lemma: r.lemma,
            proper: r.proper,
        })
        .collect();
    let stem = stem_fi(word);
    let mut lemma: BTreeSet<String> = BTreeSet::new();
    for r in &readings {
        lemma.insert(r.lemma.clone());
        lemma.extend(r.parts.iter().flatten().cloned());
        lemma.extend(sub_compounds(&r.parts));
    }
    if lemma.is_empty() {
        // Unknown word: its stem stands in for the lemma so inflected forms still meet.
        lemma.insert(stem.clone());
        lemma.insert(word.to_string());
    }
    WordForms {
        exact: word.to_string(),
        readings,
        stem,
        folded: fold_ascii(word),
        stem_sv: stem_sv(word),
        stem_en: stem_en(word),
        lemma_tokens: lemma.into_iter().collect(),
    }
}

/// Space-separated tokens of one view, the form the schema's `whitespace` tokenizer reads.
/// Analysed tokens never contain ASCII whitespace.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Tokens(String);

impl Tokens {
    pub fn push(&mut self, token: &str) {
        if token.is_empty() {
            return;
        }
        if !self.0.is_empty() {
            self.0.push(' ');
        }
        self.0.push_str(token);
    }

    pub fn extend(&mut self, other: &Tokens) {
        self.push(&other.0);
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn iter(&self) -> impl Iterator<Item = &str> {
        self.0.split(' ').filter(|t| !t.is_empty())
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

/// The tokens each Finnish text view indexes.
///
/// The stem and folded views hold a word only where it differs from the surface form: the
/// query builder looks for the stem and folded forms of a query word in the exact view too, so
/// nothing is lost and the index holds a third fewer tokens. The stem view holds only the words
/// the analyser does not know: a known word's inflected forms meet through the lemma view.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct DocTokens {
    /// Lower-cased surface words.
    pub exact: Tokens,
    /// Lemmas and compound parts (Finnish), plus the stem of words the analyser does not know.
    pub lemma: Tokens,
    /// Snowball stems of the words the analyser does not know, where they differ from the
    /// surface word.
    pub stem: Tokens,
    /// ASCII-folded words that differ from the surface word.
    pub folded: Tokens,
}

impl DocTokens {
    /// Adds Finnish (or unknown-language) text to every view.
    pub fn add_finnish(&mut self, text: &str) {
        let text = normalize(text);
        for (_, w) in words(&text) {
            let forms = word_forms(&w);
            for t in &forms.lemma_tokens {
                self.lemma.push(t);
            }
            // A known word meets its inflected forms through its lemma; the stem is the
            // fallback for words the analyser does not know.
            if !forms.known() && forms.stem != w {
                self.stem.push(&forms.stem);
            }
            if forms.folded != w {
                self.folded.push(&forms.folded);
            }
            self.exact.push(&w);
        }
    }

    /// Adds text of another language to the exact and folded views only (Swedish and English
    /// words are matched as written too).
    pub fn add_surface(&mut self, text: &str) {
        let text = normalize(text);
        for (_, w) in words(&text) {
            let folded = fold_ascii(&w);
            if folded != w {
                self.folded.push(&folded);
            }
            self.exact.push(&w);
        }
    }

    pub fn extend(&mut self, other: &DocTokens) {
        self.exact.extend(&other.exact);
        self.lemma.extend(&other.lemma);
        self.stem.extend(&other.stem);
        self.folded.extend(&other.folded);
    }
}

/// Analyses Finnish (or unknown-language) document text into every view.
pub fn doc_tokens_fi(text: &str) -> DocTokens {
    let mut out = DocTokens::default();
    out.add_finnish(text);
    out
}

/// Runs of two or more adjacent parts short of the whole word: `vertais|tuki|ryhmä` gives
/// `vertaistuki` and `tukiryhmä`, so a (mistyped) query for the inner compound finds it.
pub fn sub_compounds(parts: &[Vec<String>]) -> Vec<String> {
    let firsts: Vec<&str> = parts
        .iter()
        .filter_map(|alts| alts.first().map(String::as_str))
        .collect();
    let n = firsts.len();
    let mut out = Vec::new();
    for start in 0..n {
        for end in start + 2..=n {
            if end - start < n {
                out.push(firsts[start..end].concat());
            }
        }
    }
    out
}

/// Adds the Swedish stems of `text` to `out`.
pub fn add_swedish(out: &mut Tokens, text: &str) {
    let text = normalize(text);
    for (_, w) in words(&text) {
        out.push(&word_forms(&w).stem_sv);
    }
}

/// Adds the English stems of `text` to `out`.
pub fn add_english(out: &mut Tokens, text: &str) {
    let text = normalize(text);
    for (_, w) in words(&text) {
        out.push(&word_forms(&w).stem_en);
    }
}

/// Adds the prefixes (2 to 20 characters) of each word of `text`, surface and folded, to
/// `out`, for type-ahead. The caller removes duplicates.
pub fn add_prefixes(out: &mut Vec<String>, text: &str) {
    let text = normalize(text);
    for (_, w) in words(&text) {
        let folded = fold_ascii(&w);
        for variant in [&w, &folded] {
            for (n, (end, c)) in variant.char_indices().enumerate().take(20) {
                if n >= 1 {
                    out.push(variant[..end + c.len_utf8()].to_string());
                }
            }
        }
    }
}

/// Prefixes of each word for type-ahead (2 to 20 characters), without duplicates.
pub fn prefix_tokens(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    add_prefixes(&mut out, text);
    out.sort_unstable();
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inner_compounds_are_indexed() {
        let parts: Vec<Vec<String>> = ["vertais", "tuki", "ryhmä"]
            .iter()
            .map(|p| vec![p.to_string()])
            .collect();
        assert_eq!(sub_compounds(&parts), ["vertaistuki", "tukiryhmä"]);
        assert!(sub_compounds(&parts[..2]).is_empty());
    }

    #[test]
    fn only_unknown_words_fill_the_stem_view() {
        let known = doc_tokens_fi("kirjastoissa");
        assert!(word_forms("kirjastoissa").known());
        assert!(known.lemma.iter().any(|t| t == "kirjasto"), "{known:?}");
        assert!(known.stem.is_empty(), "{known:?}");

        let unknown = doc_tokens_fi("zorbloissa");
        let forms = word_forms("zorbloissa");
        assert!(!forms.known());
        assert_ne!(forms.stem, "zorbloissa");
        assert_eq!(
            unknown.stem.iter().collect::<Vec<_>>(),
            [forms.stem.as_str()]
        );
        // The lemma view holds an unknown word's stem and surface form too.
        assert!(unknown.lemma.iter().any(|t| t == forms.stem), "{unknown:?}");
    }

    #[test]
    fn folding_merges_umlauts() {
        assert_eq!(fold_ascii("hämeenlinna"), "hameenlinna");
        assert_eq!(fold_ascii("åbo"), "abo");
    }

    #[test]
    fn stop_words_include_legal_forms() {
        assert!(is_stop_word("ry"));
        assert!(is_stop_word("rf"));
        assert!(!is_stop_word("kuoro"));
    }

    #[test]
    fn prefixes_cover_folded_forms() {
        let p = prefix_tokens("Hämeenlinna");
        assert!(p.contains(&"hä".to_string()));
        assert!(p.contains(&"hame".to_string()));
    }
}
