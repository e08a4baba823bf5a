//! The query of one word: the best of its alternatives plus a tie-breaker share of the others
//! (as tantivy's `DisjunctionMaxQuery`), and a top-k search that does not score every match.
//!
//! Matching, counting, explaining and exhaustive scoring go through tantivy's dis-max weight,
//! so results are the same wherever this query sits. When it is the whole query and only the
//! best `k` are wanted (`TopDocs` by score), it prunes with MaxScore: each alternative has an
//! upper bound on its score; the alternatives whose bounds together cannot lift a document above
//! the current `k`-th best score are "non-essential". Candidates come only from the essential
//! alternatives, and the others are consulted for a candidate only while it can still make the
//! top `k`. For a common word, the name views are rare and weigh most, so once the page holds
//! name matches the dense text views stop producing candidates.

use std::sync::Arc;

use tantivy::query::{
    Bm25Weight, BooleanWeight, DisjunctionMaxCombiner, EnableScoring, Explanation, Occur, Query,
    Scorer, Weight,
};
use tantivy::{DocId, DocSet, Score, SegmentReader, TERMINATED, Term};

use super::any_term::PlainUnion;
use super::explain_safe::shared_weight;

/// What an alternative's score can be at most.
#[derive(Debug, Clone)]
pub enum Bound {
    /// At most `boost` times the sum, over `parts`, of the best BM25 maximum among the part's
    /// terms (one part of one term for a plain word; a compound's parts, each with its alternative
    /// spellings, for "all parts"). With `once_per_doc`, the field holds
    /// each token at most once per document (see [`crate::schema::Fields::once_per_doc`]), so a
    /// term's maximum is its score at frequency 1 in a one-token field, not BM25's limit for an
    /// unbounded frequency (about 1.5 times higher in short fields).
    Terms {
        parts: Vec<Vec<Term>>,
        boost: Score,
        once_per_doc: bool,
    },
    /// Exactly this score on every match.
    Const(Score),
}

impl Bound {
    /// The bound's value under the index statistics of a search.
    fn max_score(
        &self,
        statistics: &dyn tantivy::query::Bm25StatisticsProvider,
    ) -> tantivy::Result<Score> {
        let (parts, boost, once_per_doc) = match self {
            Bound::Const(s) => return Ok(*s),
            Bound::Terms {
                parts,
                boost,
                once_per_doc,
            } => (parts, *boost, *once_per_doc),
        };
        let mut sum = 0.0;
        for part in parts {
            let mut best: Score = 0.0;
            for t in part {
                let bm25 = Bm25Weight::for_terms(statistics, std::slice::from_ref(t))?;
                // Field norm id 1 is a one-token field: the shortest that holds the term, and
                // BM25 falls as the field grows.
                best = best.max(if once_per_doc {
                    bm25.score(1, 1)
                } else {
                    bm25.max_score()
                });
            }
            sum += best;
        }
        Ok(sum * boost)
    }
}

/// One alternative of a word with its score bound.
#[derive(Debug)]
pub struct Bounded {
    pub query: Box<dyn Query>,
    pub bound: Bound,
    /// Every record this alternative matches is matched by another alternative of the same
    /// word too: it adds to the score but not to the matches, so a search that does not score
    /// (counting, ordering by distance) leaves it out.
    pub only_scores: bool,
}

impl Clone for Bounded {
    fn clone(&self) -> Self {
        Bounded {
            query: self.query.box_clone(),
            bound: self.bound.clone(),
            only_scores: self.only_scores,
        }
    }
}

/// The best of `alternatives` plus `tie_breaker` times the sum of the others.
#[derive(Debug, Clone)]
pub struct BestOfQuery {
    alternatives: Vec<Bounded>,
    tie_breaker: Score,
    seekable: bool,
}

impl BestOfQuery {
    pub fn new(alternatives: Vec<Bounded>, tie_breaker: Score) -> Self {
        BestOfQuery {
            alternatives,
            tie_breaker,
            seekable: false,
        }
    }

    /// For a query inside a conjunction (with filters, a place or other words): its scorer is
    /// a plain union, cheap to seek to the candidates of the other clauses. Alone, the default
    /// buffered union is faster to walk through every match.
    pub fn seekable(mut self) -> Self {
        self.seekable = true;
        self
    }
}

impl Query for BestOfQuery {
    fn weight(&self, enable_scoring: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        Ok(Box::new(self.best_of_weight(enable_scoring)?))
    }

    fn query_terms<'a>(&'a self, visitor: &mut dyn FnMut(&'a Term, bool)) {
        for a in &self.alternatives {
            a.query.query_terms(visitor);
        }
    }
}

impl BestOfQuery {
    /// The weight as its own type, for a conjunction that prunes over several words.
    pub(super) fn best_of_weight(
        &self,
        enable_scoring: EnableScoring<'_>,
    ) -> tantivy::Result<BestOfWeight> {
        // Each alternative's weight is built once and shared by the dis-max weight and the
        // pruning or seekable scorers. Without scoring, the alternatives that only add to the
        // score are left out.
        let scoring = enable_scoring.is_scoring_enabled();
        let used: Vec<&Bounded> = self
            .alternatives
            .iter()
            .filter(|a| scoring || !a.only_scores)
            .collect();
        let mut alternatives: Vec<Arc<dyn Weight>> = Vec::with_capacity(used.len());
        for a in &used {
            alternatives.push(Arc::from(a.query.weight(enable_scoring)?));
        }
        let tie = self.tie_breaker;
        let inner = BooleanWeight::with_minimum_number_should_match(
            alternatives
                .iter()
                .map(|w| (Occur::Should, shared_weight(w.clone())))
                .collect(),
            1,
            scoring,
            Box::new(move || DisjunctionMaxCombiner::with_tie_breaker(tie)),
        );
        // Pruning only happens for a scored top-k search.
        let mut bounds = Vec::new();
        if let EnableScoring::Enabled {
            statistics_provider,
            ..
        } = enable_scoring
        {
            for a in &used {
                bounds.push(a.bound.max_score(statistics_provider)?);
            }
        }
        Ok(BestOfWeight {
            inner: Box::new(inner),
            only_scores: used.iter().map(|a| a.only_scores).collect(),
            alternatives,
            bounds,
            seekable: self.seekable,
            tie_breaker: self.tie_breaker,
        })
    }
}

pub(super) struct BestOfWeight {
    /// The dis-max of `alternatives` (tantivy's buffered union).
    inner: Box<dyn Weight>,
    pub(super) alternatives: Vec<Arc<dyn Weight>>,
    /// Each alternative's score bound, in the same order; empty when scoring is disabled.
    pub(super) bounds: Vec<Score>,
    /// Whether each alternative only adds to the score (see [`Bounded::only_scores`]).
    pub(super) only_scores: Vec<bool>,
    /// Score through a plain union of `alternatives` (see [`BestOfQuery::seekable`]).
    seekable: bool,
    pub(super) tie_breaker: Score,
}

/// One alternative during pruning: its scorer and its bound.
struct Cursor {
    scorer: Box<dyn Scorer>,
    bound: Score,
}

impl Weight for BestOfWeight {
    fn scorer(&self, reader: &SegmentReader, boost: Score) -> tantivy::Result<Box<dyn Scorer>> {
        if !self.seekable {
            return self.inner.scorer(reader, boost);
        }
        let mut parts = Vec::with_capacity(self.alternatives.len());
        for w in &self.alternatives {
            let s = w.scorer(reader, boost)?;
            if s.doc() != TERMINATED {
                parts.push(s);
            }
        }
        Ok(Box::new(PlainUnion::new(parts, self.tie_breaker)))
    }

    fn scorer_danger(
        &self,
        reader: &SegmentReader,
        target: DocId,
        boost: Score,
    ) -> tantivy::Result<(tantivy::SeekDangerResult, Box<dyn Scorer>)> {
        if !self.seekable {
            return self.inner.scorer_danger(reader, target, boost);
        }
        // As tantivy's default, over the plain union.
        let mut scorer = self.scorer(reader, boost)?;
        let doc = scorer.doc();
        let result = match doc.cmp(&target) {
            std::cmp::Ordering::Less => scorer.seek_danger(target),
            std::cmp::Ordering::Equal => tantivy::SeekDangerResult::Found,
            std::cmp::Ordering::Greater => tantivy::SeekDangerResult::SeekLowerBound(doc),
        };
        Ok((result, scorer))
    }

    fn explain(&self, reader: &SegmentReader, doc: DocId) -> tantivy::Result<Explanation> {
        self.inner.explain(reader, doc)
    }

    fn count(&self, reader: &SegmentReader) -> tantivy::Result<u32> {
        self.inner.count(reader)
    }

    fn for_each(
        &self,
        reader: &SegmentReader,
        callback: &mut dyn FnMut(DocId, Score),
    ) -> tantivy::Result<()> {
        // Walking every match: the buffered union is the faster one.
        self.inner.for_each(reader, callback)
    }

    fn for_each_no_score(
        &self,
        reader: &SegmentReader,
        callback: &mut dyn FnMut(&[DocId]),
    ) -> tantivy::Result<()> {
        self.inner.for_each_no_score(reader, callback)
    }

    fn for_each_pruning(
        &self,
        threshold: Score,
        reader: &SegmentReader,
        callback: &mut dyn FnMut(DocId, Score) -> Score,
    ) -> tantivy::Result<()> {
        if self.bounds.is_empty() {
            return self.inner.for_each_pruning(threshold, reader, callback);
        }
        let mut cursors = Vec::with_capacity(self.alternatives.len());
        for (weight, bound) in self.alternatives.iter().zip(&self.bounds) {
            let scorer = weight.scorer(reader, 1.0)?;
            if scorer.doc() == TERMINATED {
                continue;
            }
            cursors.push(Cursor {
                scorer,
                bound: *bound,
            });
        }
        max_score(cursors, self.tie_breaker, threshold, callback);
        Ok(())
    }
}

/// A bound with a little slack, so that rounding in the sums never prunes a qualifying document.
pub(super) fn with_slack(bound: Score) -> Score {
    bound * 1.001 + 1e-4
}

/// The best plus `tie` times the others, given the best and the sum of all.
pub(super) fn combine(best: Score, sum: Score, tie: Score) -> Score {
    best + tie * (sum - best)
}

/// For bounds in ascending order, `first_bounds[j]` is the most a document can score from the
/// first `j` alone (the best of them is at most the `j`-th bound).
pub(super) fn first_bounds(ascending: &[Score], tie: Score) -> Vec<Score> {
    let mut out = Vec::with_capacity(ascending.len() + 1);
    out.push(0.0);
    let mut sum = 0.0;
    for &b in ascending {
        sum += b;
        out.push(combine(b, sum, tie));
    }
    out
}

/// MaxScore over `cursors` combined as best + `tie` × rest. Calls `callback` with every document
/// whose score exceeds the threshold it returned last (starting at `threshold`), in doc order.
fn max_score(
    mut cursors: Vec<Cursor>,
    tie: Score,
    mut threshold: Score,
    callback: &mut dyn FnMut(DocId, Score) -> Score,
) {
    for c in &mut cursors {
        c.bound = with_slack(c.bound);
    }
    cursors.sort_by(|a, b| a.bound.total_cmp(&b.bound));
    let bounds: Vec<Score> = cursors.iter().map(|c| c.bound).collect();
    // prefix_sum[j]: the sum of the bounds of cursors[..j]; sorted ascending, the best of
    // cursors[..j] is at most bounds[j - 1].
    let mut prefix_sum = Vec::with_capacity(bounds.len() + 1);
    prefix_sum.push(0.0f32);
    for b in &bounds {
        let last = prefix_sum.last().copied().unwrap_or(0.0);
        prefix_sum.push(last + b);
    }
    let combine = |best: Score, sum: Score| combine(best, sum, tie);
    let first_bound = first_bounds(&bounds, tie);
    // Cursors before the returned index cannot lift a document above `threshold` by themselves.
    let essential_from = |threshold: Score| -> usize {
        let mut j = 0;
        while j < bounds.len() && first_bound[j + 1] <= threshold {
            j += 1;
        }
        j
    };
    let n = cursors.len();
    let mut first_essential = essential_from(threshold);
    while first_essential < n {
        let doc = cursors[first_essential..]
            .iter()
            .map(|c| c.scorer.doc())
            .min()
            .unwrap_or(TERMINATED);
        if doc == TERMINATED {
            break;
        }
        let (mut best, mut sum) = (0.0f32, 0.0f32);
        for c in &mut cursors[first_essential..] {
            if c.scorer.doc() == doc {
                let s = c.scorer.score();
                best = best.max(s);
                sum += s;
                c.scorer.advance();
            }
        }
        // The non-essential cursors, strongest first, while the document can still qualify.
        let mut j = first_essential;
        let mut qualifies = true;
        while j > 0 {
            let rest_best = bounds[j - 1];
            let bound = combine(best.max(rest_best), sum + prefix_sum[j]);
            if bound <= threshold {
                qualifies = false;
                break;
            }
            j -= 1;
            let c = &mut cursors[j];
            if c.scorer.doc() < doc {
                c.scorer.seek(doc);
            }
            if c.scorer.doc() == doc {
                let s = c.scorer.score();
                best = best.max(s);
                sum += s;
            }
        }
        if !qualifies {
            continue;
        }
        let score = combine(best, sum);
        if score > threshold {
            threshold = callback(doc, score);
            first_essential = essential_from(threshold);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::search::any_term::AnyTermQuery;
    use tantivy::collector::{Count, TopDocs};
    use tantivy::query::{
        BooleanQuery, BoostQuery, ConstScoreQuery, DisjunctionMaxQuery, TermQuery,
    };
    use tantivy::schema::{IndexRecordOption, STRING, Schema, TEXT};
    use tantivy::{Index, IndexWriter, TantivyDocument, doc};

    /// A small deterministic index with short names and long texts over a tiny vocabulary, in
    /// several segments, so that pruning has dense and sparse lists to choose between.
    fn index() -> (
        Index,
        tantivy::schema::Field,
        tantivy::schema::Field,
        tantivy::schema::Field,
    ) {
        let mut builder = Schema::builder();
        let name = builder.add_text_field("name", TEXT);
        let text = builder.add_text_field("text", TEXT);
        let tag = builder.add_text_field("tag", STRING);
        let index = Index::create_in_ram(builder.build());
        let mut writer: IndexWriter<TantivyDocument> =
            index.writer_with_num_threads(1, 20_000_000).unwrap();
        let words = [
            "kuoro", "kerho", "ryhmä", "tuki", "vertais", "liikunta", "kahvila", "nuoret",
        ];
        let mut state: u64 = 7;
        let mut next = |n: usize| {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((state >> 33) as usize) % n
        };
        for i in 0..6000 {
            let name_len = 1 + next(3);
            let mut n: Vec<&str> = (0..name_len)
                .map(|_| words[next(words.len()) % (1 + next(words.len()))])
                .collect();
            // Names hold each word once, so their bounds may assume a frequency of 1.
            n.sort_unstable();
            n.dedup();
            let text_len = 5 + next(40);
            let t: Vec<&str> = (0..text_len).map(|_| words[next(words.len())]).collect();
            writer
                .add_document(doc!(name => n.join(" "), text => t.join(" "), tag => words[next(3)]))
                .unwrap();
            if i % 2000 == 1999 {
                writer.commit().unwrap();
            }
        }
        writer.commit().unwrap();
        (index, name, text, tag)
    }

    fn term(field: tantivy::schema::Field, w: &str, boost: f32, once_per_doc: bool) -> Bounded {
        let t = Term::from_field_text(field, w);
        Bounded {
            query: Box::new(BoostQuery::new(
                Box::new(TermQuery::new(t.clone(), IndexRecordOption::WithFreqs)),
                boost,
            )),
            bound: Bound::Terms {
                parts: vec![vec![t]],
                boost,
                once_per_doc,
            },
            only_scores: false,
        }
    }

    #[test]
    fn pruned_top_k_equals_the_exhaustive_one() {
        let (index, name, text, tag) = index();
        let searcher = index.reader().unwrap().searcher();
        assert!(searcher.segment_readers().len() >= 3);
        for w in ["kuoro", "ryhmä", "tuki", "nuoret"] {
            // "All parts": the first part has two spellings and scores as the better one.
            let both = |field, once_per_doc| {
                let spellings = ["vertais", "kahvila"].map(|p| Term::from_field_text(field, p));
                let parts: Vec<(Occur, Box<dyn Query>)> = vec![
                    (Occur::Must, Box::new(AnyTermQuery::new(spellings.to_vec()))),
                    (
                        Occur::Must,
                        Box::new(TermQuery::new(
                            Term::from_field_text(field, w),
                            IndexRecordOption::WithFreqs,
                        )),
                    ),
                ];
                Bounded {
                    query: Box::new(BoostQuery::new(Box::new(BooleanQuery::new(parts)), 0.8)),
                    bound: Bound::Terms {
                        parts: vec![spellings.to_vec(), vec![Term::from_field_text(field, w)]],
                        boost: 0.8,
                        once_per_doc,
                    },
                    only_scores: false,
                }
            };
            let alternatives = vec![
                term(name, w, 3.0, true),
                term(text, w, 1.1, false),
                both(text, false),
                both(name, true),
                Bounded {
                    query: Box::new(ConstScoreQuery::new(
                        Box::new(TermQuery::new(
                            Term::from_field_text(tag, "kuoro"),
                            IndexRecordOption::Basic,
                        )),
                        1.2,
                    )),
                    bound: Bound::Const(1.2),
                    only_scores: false,
                },
            ];
            // Inside a conjunction the seekable form must match and score the same.
            let filter = || -> Box<dyn Query> {
                Box::new(TermQuery::new(
                    Term::from_field_text(tag, "kerho"),
                    IndexRecordOption::Basic,
                ))
            };
            let within = |q: Box<dyn Query>| {
                BooleanQuery::new(vec![(Occur::Must, q), (Occur::Must, filter())])
            };
            let seekable = within(Box::new(
                BestOfQuery::new(alternatives.clone(), 0.1).seekable(),
            ));
            let buffered = within(Box::new(BestOfQuery::new(alternatives.clone(), 0.1)));
            let top = TopDocs::with_limit(200).order_by_score();
            let a = searcher.search(&seekable, &(Count, top)).unwrap();
            let b = searcher
                .search(
                    &buffered,
                    &(Count, TopDocs::with_limit(200).order_by_score()),
                )
                .unwrap();
            assert!(a.0 > 0 && a.0 == b.0, "{w}: {} vs {}", a.0, b.0);
            for ((sa, _), (sb, _)) in a.1.iter().zip(&b.1) {
                assert!((sa - sb).abs() < 1e-4, "{w}: {sa} vs {sb}");
            }
            let pruned = BestOfQuery::new(alternatives.clone(), 0.1);
            let plain = DisjunctionMaxQuery::with_tie_breaker(
                alternatives.into_iter().map(|a| a.query).collect(),
                0.1,
            );
            for k in [1, 10, 37] {
                let top = TopDocs::with_limit(k).order_by_score();
                let a = searcher.search(&pruned, &top).unwrap();
                let b = searcher.search(&plain, &top).unwrap();
                assert_eq!(a.len(), b.len(), "{w} k={k}");
                for ((sa, da), (sb, db)) in a.iter().zip(&b) {
                    assert!((sa - sb).abs() < 1e-4, "{w} k={k}: {sa} vs {sb}");
                    // Equal scores may come in either order; distinct scores must match docs.
                    if (sa - sb).abs() < 1e-6
                        && a.iter().filter(|(s, _)| (s - sa).abs() < 1e-6).count() == 1
                    {
                        assert_eq!(da, db, "{w} k={k}");
                    }
                }
            }
        }
    }
}
