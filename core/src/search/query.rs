//! Reading a query: places in the text, stop words, thesaurus expansions, and the tantivy query
//! built from analysed tokens (raw user text never reaches tantivy's query parser).

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, OnceLock};

use tantivy::Term;
use tantivy::query::{
    BoostQuery, ConstScoreQuery, FuzzyTermQuery, Occur, Query, TermQuery, TermSetQuery,
};
use tantivy::schema::{Field, IndexRecordOption};

use crate::analysis::views::{self, WordForms};
use crate::analysis::{normalize, words};
use crate::reference::{Municipality, Vocabulary, name_key, reference};
use crate::schema::Fields;

use super::any_term::AnyTermQuery;
use super::conjunction::AllOfQuery;
use super::highlight::HighlightForms;
use super::prune::{BestOfQuery, Bound, Bounded};
use super::types::limits;

const THESAURUS_CSV: &str = include_str!("../../../data/thesaurus.csv");

/// What an everyday word also means: themes, target groups, other words.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Expansion {
    pub themes: Vec<String>,
    pub target_groups: Vec<String>,
    pub kinds: Vec<String>,
    pub words: Vec<String>,
}

/// The thesaurus from `data/thesaurus.csv`, keyed by lemma or lower-cased word.
fn thesaurus() -> &'static HashMap<String, Expansion> {
    static T: OnceLock<HashMap<String, Expansion>> = OnceLock::new();
    T.get_or_init(|| {
        let mut map: HashMap<String, Expansion> = HashMap::new();
        let mut rdr = csv::ReaderBuilder::new()
            .has_headers(true)
            .comment(Some(b'#'))
            .flexible(true)
            .from_reader(THESAURUS_CSV.as_bytes());
        for row in rdr.records().filter_map(Result::ok) {
            let (Some(term), Some(lang), Some(targets)) = (row.get(0), row.get(1), row.get(2))
            else {
                continue;
            };
            // Swedish and English terms are keyed by stem, so inflected query words meet them.
            let key = match lang.trim() {
                "sv" => format!("sv:{}", views::stem_sv(&name_key(term))),
                "en" => format!("en:{}", views::stem_en(&name_key(term))),
                _ => name_key(term),
            };
            let e = map.entry(key).or_default();
            for t in targets.split('|').map(str::trim) {
                match t.split_once(':') {
                    Some(("theme", c)) => e.themes.push(c.to_string()),
                    Some(("target_group", c)) => e.target_groups.push(c.to_string()),
                    Some(("kind", c)) => e.kinds.push(c.to_string()),
                    Some(("word", w)) => e.words.push(name_key(w)),
                    _ => {}
                }
            }
        }
        map
    })
}

/// Place names in every form the query may use them: fi/sv/en names and their ASCII folding.
fn place_names() -> &'static HashMap<String, String> {
    static P: OnceLock<HashMap<String, String>> = OnceLock::new();
    P.get_or_init(|| {
        let mut map = HashMap::new();
        for m in &reference().municipalities {
            for (_, n) in m.name.iter() {
                let key = name_key(n);
                map.entry(views::fold_ascii(&key))
                    .or_insert_with(|| m.code.clone());
                map.entry(key).or_insert_with(|| m.code.clone());
            }
        }
        map
    })
}

/// The municipality a query word names, if any: `Turussa`, `Turun`, `Åbo`, `hameenlinna`.
pub fn place_of_word(forms: &WordForms) -> Option<&'static Municipality> {
    let r = reference();
    let names = place_names();
    if let Some(code) = names.get(&forms.exact) {
        return r.municipality(code);
    }
    for reading in &forms.readings {
        if let Some(code) = names.get(&reading.lemma) {
            return r.municipality(code);
        }
    }
    if let Some(code) = names.get(&forms.folded) {
        return r.municipality(code);
    }
    None
}

/// One content word of the query with its analyses and expansions.
#[derive(Debug, Clone)]
pub struct QueryWord {
    pub forms: Arc<WordForms>,
    pub expansion: Expansion,
    /// Found as typed in enough records to be a real word (a Swedish word, a name), not a typo.
    /// Set by the engine, which can look at the index.
    pub found_as_typed: bool,
}

/// The shortest word matched with a typo (one edit from this length, two from
/// [`TWO_TYPOS_FROM`]).
const ONE_TYPO_FROM: usize = 5;
const TWO_TYPOS_FROM: usize = 9;

impl QueryWord {
    /// Whether the word also matches with a letter or two different: a word the analyser does
    /// not know, long enough, and not found as typed.
    pub fn typo_tolerant(&self) -> bool {
        !self.found_as_typed
            && !self.forms.known()
            && self.forms.exact.chars().count() >= ONE_TYPO_FROM
    }
}

/// A query after reading: its words, its places, what was ignored.
#[derive(Debug, Clone, Default)]
pub struct ParsedQuery {
    pub words: Vec<QueryWord>,
    pub places: Vec<String>,
    pub ignored: Vec<String>,
}

impl ParsedQuery {
    /// Every lower-cased form the query's words match, for highlighting.
    pub fn highlight_forms(&self) -> HighlightForms {
        let mut out = BTreeSet::new();
        for w in &self.words {
            out.insert(w.forms.exact.clone());
            out.insert(w.forms.stem.clone());
            for r in &w.forms.readings {
                out.insert(r.lemma.clone());
            }
            out.insert(w.forms.stem_sv.clone());
            out.insert(w.forms.stem_en.clone());
        }
        HighlightForms::new(out)
    }
}

/// Reads query text. `places_in_text` turns municipality names into places.
pub fn parse_query(q: &str, places_in_text: bool) -> ParsedQuery {
    let text = normalize(q);
    let mut parsed = ParsedQuery::default();
    let all: Vec<String> = words(&text).map(|(_, w)| w).collect();
    let meaningful = all.iter().filter(|w| !views::is_stop_word(w)).count();
    for w in all {
        if parsed.words.len() + parsed.places.len() >= limits::MAX_QUERY_TERMS {
            parsed.ignored.push(w);
            continue;
        }
        // A query of nothing but stop words still searches for them.
        if views::is_stop_word(&w) && meaningful > 0 {
            parsed.ignored.push(w);
            continue;
        }
        let forms = views::word_forms(&w);
        if places_in_text && let Some(m) = place_of_word(&forms) {
            if !parsed.places.contains(&m.code) {
                parsed.places.push(m.code.clone());
            }
            continue;
        }
        let mut expansion = Expansion::default();
        let t = thesaurus();
        let mut keys = vec![
            forms.exact.clone(),
            format!("sv:{}", forms.stem_sv),
            format!("en:{}", forms.stem_en),
        ];
        keys.extend(forms.readings.iter().map(|r| r.lemma.clone()));
        for k in keys {
            if let Some(e) = t.get(&k) {
                expansion.themes.extend(e.themes.iter().cloned());
                expansion
                    .target_groups
                    .extend(e.target_groups.iter().cloned());
                expansion.kinds.extend(e.kinds.iter().cloned());
                expansion.words.extend(e.words.iter().cloned());
            }
        }
        dedup(&mut expansion.themes);
        dedup(&mut expansion.target_groups);
        dedup(&mut expansion.kinds);
        dedup(&mut expansion.words);
        parsed.words.push(QueryWord {
            forms,
            expansion,
            found_as_typed: false,
        });
    }
    parsed
}

fn dedup(v: &mut Vec<String>) {
    let mut seen = BTreeSet::new();
    v.retain(|x| seen.insert(x.clone()));
}

/// Boosts of each view, the main relevance knobs.
pub mod boost {
    pub const NAME_EXACT: f32 = 3.0;
    pub const NAME_LEMMA: f32 = 2.5;
    pub const NAME_PARTS: f32 = 1.6;
    pub const TEXT_EXACT: f32 = 1.3;
    pub const TEXT_LEMMA: f32 = 1.1;
    pub const TEXT_PARTS: f32 = 0.8;
    pub const TAGS: f32 = 1.0;
    pub const STEM: f32 = 0.5;
    pub const FOLDED: f32 = 0.35;
    pub const SWEDISH_NAME: f32 = 2.5;
    pub const SWEDISH_TEXT: f32 = 1.1;
    pub const ENGLISH_NAME: f32 = 2.0;
    pub const ENGLISH_TEXT: f32 = 1.0;
    pub const FUZZY: f32 = 0.3;
    pub const VOCABULARY: f32 = 1.2;
    pub const SYNONYM: f32 = 0.8;
}

fn term_q(field: Field, text: &str, b: f32) -> Box<dyn Query> {
    let q = TermQuery::new(
        Term::from_field_text(field, text),
        IndexRecordOption::WithFreqs,
    );
    Box::new(BoostQuery::new(Box::new(q), b))
}

/// The tie-breaker of a word's disjunction: the best view counts fully, the others a tenth.
const TIE_BREAKER: f32 = 0.1;

/// The alternatives of one query word, collected before they become queries so that the same
/// term asked for at several weights (a plain word's surface, stem and folded forms are often
/// one term) is searched once. Merged at the weight it would score with in the disjunction
/// when it is the best alternative: the highest weight plus a tenth of the others.
#[derive(Default)]
struct Alternatives {
    terms: Vec<(Field, String, Vec<f32>)>,
    other: Vec<Alternative>,
}

/// One way a query word can match a record: a view (field), what is looked for in it, and the
/// weighted query. Listed separately so a score can be explained view by view.
pub struct Alternative {
    pub field: Field,
    /// The term; `a+b` for compound parts, `~word` for a typo-tolerant match, a code for a
    /// thesaurus expansion.
    pub what: String,
    pub query: Box<dyn Query>,
    /// The most this alternative can score, for pruning.
    pub bound: Bound,
    /// Its matches are matched by another alternative too (a name view's, by the same term in
    /// the text view that also holds the name).
    pub only_scores: bool,
}

impl Alternatives {
    fn term(&mut self, field: Field, text: &str, weight: f32) {
        match self
            .terms
            .iter_mut()
            .find(|(f, t, _)| *f == field && t == text)
        {
            Some((_, _, weights)) => weights.push(weight),
            None => self.terms.push((field, text.to_string(), vec![weight])),
        }
    }

    fn other(&mut self, field: Field, what: String, query: Box<dyn Query>, bound: Bound) {
        self.other.push(Alternative {
            field,
            what,
            query,
            bound,
            only_scores: false,
        });
    }

    fn into_alternatives(self, f: &Fields) -> Vec<Alternative> {
        let mut out = self.other;
        for (field, text, mut weights) in self.terms {
            weights.sort_by(|a, b| b.total_cmp(a));
            let best = weights.first().copied().unwrap_or(0.0);
            let rest: f32 = weights.iter().skip(1).sum();
            let boost = best + TIE_BREAKER * rest;
            let query = term_q(field, &text, boost);
            out.push(Alternative {
                field,
                bound: Bound::Terms {
                    parts: vec![vec![Term::from_field_text(field, &text)]],
                    boost,
                    once_per_doc: f.once_per_doc(field),
                },
                what: text,
                query,
                only_scores: false,
            });
        }
        // A name view's alternative only scores when its text view is looked for the same way.
        let only_scores: Vec<bool> = out
            .iter()
            .map(|a| {
                f.text_view_of(a.field)
                    .is_some_and(|text| out.iter().any(|b| b.field == text && b.what == a.what))
            })
            .collect();
        for (a, only) in out.iter_mut().zip(only_scores) {
            a.only_scores = only;
        }
        out
    }
}

/// Every part (any of its alternative forms) must occur; a part scores as its best form, and
/// the bound sums the parts' best forms.
fn all_of(
    field: Field,
    parts: &[Vec<String>],
    b: f32,
    once_per_doc: bool,
) -> (Box<dyn Query>, Bound) {
    let terms: Vec<Vec<Term>> = parts
        .iter()
        .map(|alternatives| {
            alternatives
                .iter()
                .map(|p| Term::from_field_text(field, p))
                .collect()
        })
        .collect();
    let bound = Bound::Terms {
        parts: terms.clone(),
        boost: b,
        once_per_doc,
    };
    let clauses = terms
        .into_iter()
        .map(|part| {
            (
                Occur::Must,
                Box::new(AnyTermQuery::new(part)) as Box<dyn Query>,
            )
        })
        .collect();
    let query = Box::new(BoostQuery::new(
        super::explain_safe::nested_boolean(clauses),
        b,
    ));
    (query, bound)
}

/// The alternatives one analysed word matches, as a disjunction (the best view counts). `typos`
/// adds typo-tolerant matches (see [`QueryWord::typo_tolerant`]).
fn lexical_alternatives(
    alts: &mut Alternatives,
    f: &Fields,
    forms: &WordForms,
    weight: f32,
    typos: bool,
) {
    alts.term(f.name_exact, &forms.exact, boost::NAME_EXACT * weight);
    alts.term(f.text_exact, &forms.exact, boost::TEXT_EXACT * weight);
    alts.term(f.text_folded, &forms.folded, boost::FOLDED * weight);
    alts.term(f.text_stem, &forms.stem, boost::STEM * weight);
    // Documents keep a word's stem and folded form out of those views when it equals the
    // surface word, so they are looked for in the exact view as well (at the same weights, so a
    // plain word scores as when every view held it).
    alts.term(f.text_exact, &forms.folded, boost::FOLDED * weight);
    alts.term(f.text_exact, &forms.stem, boost::STEM * weight);
    alts.term(f.name_sv, &forms.stem_sv, boost::SWEDISH_NAME * weight);
    alts.term(f.text_sv, &forms.stem_sv, boost::SWEDISH_TEXT * weight);
    alts.term(f.name_en, &forms.stem_en, boost::ENGLISH_NAME * weight);
    alts.term(f.text_en, &forms.stem_en, boost::ENGLISH_TEXT * weight);
    if forms.known() {
        for r in &forms.readings {
            alts.term(f.name_lemma, &r.lemma, boost::NAME_LEMMA * weight);
            alts.term(f.text_lemma, &r.lemma, boost::TEXT_LEMMA * weight);
            alts.term(f.tags_lemma, &r.lemma, boost::TAGS * weight);
            if r.parts.len() >= 2 {
                let what = r
                    .parts
                    .iter()
                    .filter_map(|alternatives| alternatives.first().map(String::as_str))
                    .collect::<Vec<_>>()
                    .join("+");
                for (field, b) in [
                    (f.name_lemma, boost::NAME_PARTS),
                    (f.text_lemma, boost::TEXT_PARTS),
                    (f.tags_lemma, boost::TAGS * 0.8),
                ] {
                    let (query, bound) = all_of(field, &r.parts, b * weight, f.once_per_doc(field));
                    alts.other(field, what.clone(), query, bound);
                }
            }
        }
    } else {
        // Unknown to the analyser: documents index such words by stem in the lemma view.
        alts.term(f.name_lemma, &forms.stem, boost::NAME_LEMMA * 0.8 * weight);
        alts.term(f.text_lemma, &forms.stem, boost::TEXT_LEMMA * 0.8 * weight);
        alts.term(f.tags_lemma, &forms.stem, boost::TAGS * 0.8 * weight);
        alts.term(f.name_lemma, &forms.exact, boost::NAME_LEMMA * 0.8 * weight);
        alts.term(f.text_lemma, &forms.exact, boost::TEXT_LEMMA * 0.8 * weight);
        // Typos (see `QueryWord::typo_tolerant`) always rank below exact matches.
        if typos {
            let len = forms.exact.chars().count();
            let distance = if len >= TWO_TYPOS_FROM { 2 } else { 1 };
            for field in [f.text_lemma, f.text_exact, f.text_folded] {
                let q =
                    FuzzyTermQuery::new(Term::from_field_text(field, &forms.exact), distance, true);
                // A typo match scores its boost on every match.
                alts.other(
                    field,
                    format!("~{}", forms.exact),
                    Box::new(BoostQuery::new(Box::new(q), boost::FUZZY * weight)),
                    Bound::Const(boost::FUZZY * weight),
                );
            }
        }
    }
}

/// Every way one word matches: its lexical forms, and what the thesaurus says it means.
pub fn word_alternatives(f: &Fields, word: &QueryWord) -> Vec<Alternative> {
    let mut alts = Alternatives::default();
    lexical_alternatives(&mut alts, f, &word.forms, 1.0, word.typo_tolerant());
    let e = &word.expansion;
    let codes = [
        (f.theme, &e.themes),
        (f.target_group, &e.target_groups),
        (f.kind, &e.kinds),
    ];
    for (field, values) in codes {
        for code in values {
            alts.other(
                field,
                code.clone(),
                const_term(field, code, boost::VOCABULARY),
                Bound::Const(boost::VOCABULARY),
            );
        }
    }
    for w in &e.words {
        let forms = views::word_forms(w);
        // A thesaurus word is spelled right: no typo tolerance.
        lexical_alternatives(&mut alts, f, &forms, boost::SYNONYM, false);
    }
    alts.into_alternatives(f)
}

/// The best of one word's alternatives, plus a tenth of the others.
fn word_best_of(f: &Fields, word: &QueryWord) -> BestOfQuery {
    let alternatives = word_alternatives(f, word)
        .into_iter()
        .map(|a| Bounded {
            query: a.query,
            bound: a.bound,
            only_scores: a.only_scores,
        })
        .collect();
    BestOfQuery::new(alternatives, TIE_BREAKER)
}

/// Records with every one of `words` that also meet `others` (clauses that each score a
/// constant: filters, and place boosts that need not match), scored as the sum; a top-k search
/// prunes across all of them (see [`AllOfQuery`]).
pub fn all_words_query(
    f: &Fields,
    words: &[QueryWord],
    others: Vec<(Occur, Box<dyn Query>, f32)>,
) -> Box<dyn Query> {
    let mut clauses: Vec<(Occur, BestOfQuery)> = words
        .iter()
        .map(|w| (Occur::Must, word_best_of(f, w)))
        .collect();
    for (occur, query, score) in others {
        let only = Bounded {
            query,
            bound: Bound::Const(score),
            only_scores: false,
        };
        clauses.push((occur, BestOfQuery::new(vec![only], TIE_BREAKER)));
    }
    Box::new(AllOfQuery::new(clauses))
}

/// The query for one word: the best of its alternatives, plus a tenth of the others. `alone`
/// when it is the whole query; else it is built to be cheap to seek inside a conjunction.
pub fn word_query(f: &Fields, word: &QueryWord, alone: bool) -> Box<dyn Query> {
    let query = word_best_of(f, word);
    if alone {
        Box::new(query)
    } else {
        Box::new(query.seekable())
    }
}

/// A filter-like clause with a fixed score.
pub fn const_term(field: Field, value: &str, score: f32) -> Box<dyn Query> {
    Box::new(ConstScoreQuery::new(
        Box::new(TermQuery::new(
            Term::from_field_text(field, value),
            IndexRecordOption::Basic,
        )),
        score,
    ))
}

/// Matches any of `values` in a keyword field, scoring nothing.
pub fn any_of(field: Field, values: &[String]) -> Box<dyn Query> {
    let terms = values.iter().map(|v| Term::from_field_text(field, v));
    Box::new(ConstScoreQuery::new(
        Box::new(TermSetQuery::new(terms)),
        0.0,
    ))
}

/// Matches a u64 flag field equal to `value`, scoring nothing.
pub fn flag(field: Field, value: bool) -> Box<dyn Query> {
    Box::new(ConstScoreQuery::new(
        Box::new(TermQuery::new(
            Term::from_field_u64(field, u64::from(value)),
            IndexRecordOption::Basic,
        )),
        0.0,
    ))
}

/// Vocabulary codes the thesaurus knows, checked against the vocabularies by a unit test.
pub fn thesaurus_codes() -> Vec<(Vocabulary, String)> {
    let mut out = Vec::new();
    for e in thesaurus().values() {
        out.extend(e.themes.iter().map(|c| (Vocabulary::Theme, c.clone())));
        out.extend(
            e.target_groups
                .iter()
                .map(|c| (Vocabulary::TargetGroup, c.clone())),
        );
        out.extend(
            e.kinds
                .iter()
                .map(|c| (Vocabulary::ActivityKind, c.clone())),
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thesaurus_codes_exist() {
        let r = reference();
        for (vocab, code) in thesaurus_codes() {
            assert!(r.is_code(vocab, &code), "{code} is not a {}", vocab.name());
        }
    }

    #[test]
    fn swedish_and_folded_place_names_are_places() {
        for (q, code) in [
            ("Åbo", "853"),
            ("helsingfors", "091"),
            ("hameenlinna", "109"),
        ] {
            let p = parse_query(q, true);
            assert_eq!(p.places, [code], "{q}");
            assert!(p.words.is_empty(), "{q}");
        }
    }

    #[test]
    fn stop_words_and_legal_forms_are_ignored() {
        let p = parse_query("Martat ry ja kuoro", true);
        let w: Vec<&str> = p.words.iter().map(|w| w.forms.exact.as_str()).collect();
        assert_eq!(w, ["martat", "kuoro"]);
        assert_eq!(p.ignored, ["ry", "ja"]);
    }

    #[test]
    fn long_queries_are_capped() {
        let q = (0..30)
            .map(|i| format!("sana{i}"))
            .collect::<Vec<_>>()
            .join(" ");
        let p = parse_query(&q, true);
        assert_eq!(p.words.len(), limits::MAX_QUERY_TERMS);
        assert_eq!(p.ignored.len(), 20);
    }
}
