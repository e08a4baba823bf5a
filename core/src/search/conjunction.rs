//! A query of several words that must all match (and optional clauses that add to the score),
//! with a top-k search that does not score every match.
//!
//! Matching, counting, explaining and exhaustive scoring go through tantivy's boolean weight
//! over the words' own weights, so results are the same as a `BooleanQuery` of the words. When
//! only the best `k` are wanted, it prunes with MaxScore across the words: every alternative of
//! every word has a score bound, and a document can reach the page only if the bounds of the
//! alternatives it matches add up to more than the current `k`-th best score. Two ways to find
//! candidates are kept and the cheaper one is used:
//!
//! - walk the *essential* alternatives of all words: those whose bounds together could lift a
//!   document onto the page (for two common words, typically their name views, since matches in
//!   the dense text views alone score too little once the page holds name matches);
//! - walk every alternative of one required word (the rarest), as an intersection does.
//!
//! Each candidate is then checked against the other alternatives, strongest first, only while
//! its bound can still beat the page: a text-only match of one word is dropped after a few
//! seeks in the other word's short name lists instead of being scored in full.

use std::sync::Arc;

use tantivy::query::{
    BooleanWeight, EnableScoring, Explanation, Occur, Query, Scorer, SumCombiner, Weight,
};
use tantivy::{DocId, DocSet, Score, SegmentReader, TERMINATED, Term};

use super::explain_safe::shared_weight;
use super::prune::{BestOfQuery, BestOfWeight, combine, first_bounds, with_slack};

/// Clauses that are each the best of their alternatives (a word; a filter is a clause of one
/// alternative), `Occur::Must` or `Occur::Should`, scored as their sum.
#[derive(Debug, Clone)]
pub struct AllOfQuery {
    clauses: Vec<(Occur, BestOfQuery)>,
}

impl AllOfQuery {
    /// `clauses` must hold at least one `Occur::Must`; `Occur::MustNot` is not supported.
    pub fn new(clauses: Vec<(Occur, BestOfQuery)>) -> Self {
        // Inside a conjunction each clause is seeked to the others' candidates.
        let clauses = clauses
            .into_iter()
            .map(|(occur, query)| (occur, query.seekable()))
            .collect();
        AllOfQuery { clauses }
    }
}

impl Query for AllOfQuery {
    fn weight(&self, enable_scoring: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        let mut clauses = Vec::with_capacity(self.clauses.len());
        for (occur, query) in &self.clauses {
            let weight = query.best_of_weight(enable_scoring)?;
            clauses.push((*occur, Arc::new(weight)));
        }
        let inner = BooleanWeight::with_minimum_number_should_match(
            clauses
                .iter()
                .map(|(occur, w)| (*occur, shared_weight(w.clone() as Arc<dyn Weight>)))
                .collect(),
            0,
            enable_scoring.is_scoring_enabled(),
            Box::new(SumCombiner::default),
        );
        Ok(Box::new(AllOfWeight {
            inner: shared_weight(Arc::new(inner)),
            clauses,
        }))
    }

    fn query_terms<'a>(&'a self, visitor: &mut dyn FnMut(&'a Term, bool)) {
        for (_, query) in &self.clauses {
            query.query_terms(visitor);
        }
    }
}

struct AllOfWeight {
    /// The boolean weight of the clauses: matching, counting, explaining, exhaustive scoring.
    inner: Box<dyn Weight>,
    clauses: Vec<(Occur, Arc<BestOfWeight>)>,
}

impl Weight for AllOfWeight {
    fn scorer(&self, reader: &SegmentReader, boost: Score) -> tantivy::Result<Box<dyn Scorer>> {
        self.inner.scorer(reader, boost)
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
        if self.clauses.iter().any(|(_, w)| w.bounds.is_empty()) {
            return self.inner.for_each_pruning(threshold, reader, callback);
        }
        let mut groups = Vec::with_capacity(self.clauses.len());
        for (occur, weight) in &self.clauses {
            let mut cursors = Vec::with_capacity(weight.alternatives.len());
            for ((alternative, bound), only_scores) in weight
                .alternatives
                .iter()
                .zip(&weight.bounds)
                .zip(&weight.only_scores)
            {
                let scorer = alternative.scorer(reader, 1.0)?;
                let doc = scorer.doc();
                if doc != TERMINATED {
                    cursors.push(Cursor {
                        doc,
                        cost: scorer.size_hint(),
                        scorer,
                        bound: with_slack(*bound),
                        only_scores: *only_scores,
                    });
                }
            }
            let required = *occur == Occur::Must;
            if required && cursors.is_empty() {
                // A required clause with nothing in this segment: nothing matches here.
                return Ok(());
            }
            groups.push(Group::new(cursors, weight.tie_breaker, required));
        }
        Pruner::new(groups, threshold).run(callback);
        Ok(())
    }
}

/// One alternative during pruning.
struct Cursor {
    scorer: Box<dyn Scorer>,
    /// The scorer's current document, kept here: it is read far more often than it changes.
    doc: DocId,
    bound: Score,
    /// Postings to walk, roughly: what using this cursor to find candidates costs.
    cost: u32,
    only_scores: bool,
}

/// One clause during pruning: its alternatives by ascending bound, combined as best + `tie` ×
/// the rest.
struct Group {
    cursors: Vec<Cursor>,
    tie: Score,
    required: bool,
    /// `first_bound[j]`: the most a document can score from `cursors[..j]` alone.
    first_bound: Vec<Score>,
    /// How many of the first cursors are non-essential: they cannot lift a document onto the
    /// page together with the other groups' non-essential ones.
    non_essential: usize,
}

impl Group {
    fn new(mut cursors: Vec<Cursor>, tie: Score, required: bool) -> Group {
        cursors.sort_by(|a, b| a.bound.total_cmp(&b.bound));
        let bounds: Vec<Score> = cursors.iter().map(|c| c.bound).collect();
        let first_bound = first_bounds(&bounds, tie);
        Group {
            cursors,
            tie,
            required,
            first_bound,
            non_essential: 0,
        }
    }

    fn max_score(&self) -> Score {
        self.first_bound.last().copied().unwrap_or(0.0)
    }
}

/// Where candidates come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Source {
    /// The essential cursors of every group.
    Essential,
    /// Every cursor of this required group that finds matches (not the score-only ones).
    Group(usize),
}

struct Pruner {
    groups: Vec<Group>,
    threshold: Score,
    source: Source,
    /// One per group, reused for every candidate.
    partials: Vec<Partial>,
}

/// What a candidate's clause has scored so far.
#[derive(Clone, Copy, Default)]
struct Partial {
    best: Score,
    sum: Score,
    matched: bool,
    /// The bounds of the cursors not yet looked at for this document: their best and sum.
    open_best: Score,
    open_sum: Score,
}

impl Partial {
    /// The most this clause can add for the document.
    fn bound(&self, tie: Score) -> Score {
        combine(self.best.max(self.open_best), self.sum + self.open_sum, tie)
    }
}

impl Pruner {
    fn new(groups: Vec<Group>, threshold: Score) -> Pruner {
        let mut pruner = Pruner {
            partials: vec![Partial::default(); groups.len()],
            groups,
            threshold,
            source: Source::Essential,
        };
        pruner.choose_source();
        pruner
    }

    /// After the threshold rose: more cursors become non-essential, and the cheaper way to
    /// find candidates is chosen.
    fn choose_source(&mut self) {
        let mut below: Score = self
            .groups
            .iter()
            .map(|g| g.first_bound[g.non_essential])
            .sum();
        loop {
            // The group whose next cursor costs most and can still join the non-essential ones.
            let mut pick: Option<(usize, u32)> = None;
            for (i, g) in self.groups.iter().enumerate() {
                let j = g.non_essential;
                if j >= g.cursors.len() {
                    continue;
                }
                let raised = below - g.first_bound[j] + g.first_bound[j + 1];
                if raised <= self.threshold && pick.is_none_or(|(_, c)| g.cursors[j].cost > c) {
                    pick = Some((i, g.cursors[j].cost));
                }
            }
            let Some((i, _)) = pick else { break };
            let g = &mut self.groups[i];
            below += g.first_bound[g.non_essential + 1] - g.first_bound[g.non_essential];
            g.non_essential += 1;
        }
        let essential_cost: u64 = self
            .groups
            .iter()
            .flat_map(|g| &g.cursors[g.non_essential..])
            .map(|c| u64::from(c.cost))
            .sum();
        let mut best = (Source::Essential, essential_cost);
        for (i, g) in self.groups.iter().enumerate() {
            if !g.required {
                continue;
            }
            let cost: u64 = g
                .cursors
                .iter()
                .filter(|c| !c.only_scores)
                .map(|c| u64::from(c.cost))
                .sum();
            if cost < best.1 {
                best = (Source::Group(i), cost);
            }
        }
        self.source = best.0;
    }

    /// The cursors candidates come from, as (group, cursor) indices.
    fn source_cursors(&self) -> Vec<(usize, usize)> {
        let mut out = Vec::new();
        for (gi, g) in self.groups.iter().enumerate() {
            for (ci, c) in g.cursors.iter().enumerate() {
                let from_here = match self.source {
                    Source::Essential => ci >= g.non_essential,
                    Source::Group(i) => i == gi && !c.only_scores,
                };
                if from_here {
                    out.push((gi, ci));
                }
            }
        }
        out
    }

    /// The next candidate at or after `target`: source cursors behind it move up first.
    fn next_candidate(&mut self, sources: &[(usize, usize)], target: DocId) -> DocId {
        let mut next = TERMINATED;
        for &(gi, ci) in sources {
            let c = &mut self.groups[gi].cursors[ci];
            if c.doc < target {
                c.doc = if c.doc + 1 == target {
                    c.scorer.advance()
                } else {
                    c.scorer.seek(target)
                };
            }
            next = next.min(c.doc);
        }
        next
    }

    fn run(mut self, callback: &mut dyn FnMut(DocId, Score) -> Score) {
        let total_max: Score = self.groups.iter().map(Group::max_score).sum();
        let mut target = 0;
        let mut sources = self.source_cursors();
        while total_max > self.threshold {
            let doc = self.next_candidate(&sources, target);
            if doc == TERMINATED {
                break;
            }
            if let Some(score) = self.score(doc)
                && score > self.threshold
            {
                let threshold = callback(doc, score);
                if threshold > self.threshold {
                    self.threshold = threshold;
                    self.choose_source();
                    sources = self.source_cursors();
                }
            }
            target = doc + 1;
        }
    }

    /// The document's score, or `None` when it misses a required clause or cannot beat the
    /// threshold. Cursors positioned on the document are scored; the ones behind it are looked
    /// at only while the document's bound still beats the threshold, strongest first.
    fn score(&mut self, doc: DocId) -> Option<Score> {
        let Pruner {
            groups,
            threshold,
            partials,
            ..
        } = self;
        let threshold = *threshold;
        let mut bound_sum = 0.0;
        for (g, p) in groups.iter_mut().zip(partials.iter_mut()) {
            *p = Partial::default();
            for c in &mut g.cursors {
                let at = c.doc;
                if at == doc {
                    let s = c.scorer.score();
                    p.best = p.best.max(s);
                    p.sum += s;
                    p.matched = true;
                } else if at < doc {
                    p.open_best = p.open_best.max(c.bound);
                    p.open_sum += c.bound;
                }
            }
            // Every bound is positive (`with_slack`), so no open cursor means a sum of 0.
            if g.required && !p.matched && p.open_sum == 0.0 {
                return None;
            }
            bound_sum += p.bound(g.tie);
        }
        if bound_sum <= threshold {
            return None;
        }
        // Clauses the document has not matched yet first: they are the likeliest to rule it out.
        for unmatched_first in [true, false] {
            for (g, p) in groups.iter_mut().zip(partials.iter_mut()) {
                if p.matched == unmatched_first {
                    continue;
                }
                bound_sum = resolve(g, p, doc, bound_sum, threshold)?;
                if g.required && !p.matched {
                    return None;
                }
            }
        }
        let score: Score = groups
            .iter()
            .zip(partials.iter())
            .map(|(g, p)| combine(p.best, p.sum, g.tie))
            .sum();
        Some(score)
    }
}

/// Looks at the group's cursors behind `doc`, strongest first, while the document's bound
/// (`bound_sum`, updated as they resolve) still beats `threshold`; `None` once it does not.
fn resolve(
    g: &mut Group,
    p: &mut Partial,
    doc: DocId,
    mut bound_sum: Score,
    threshold: Score,
) -> Option<Score> {
    // The cursors are sorted by ascending bound.
    for c in g.cursors.iter_mut().rev() {
        if c.doc >= doc {
            continue;
        }
        let before = p.bound(g.tie);
        p.open_sum -= c.bound;
        c.doc = c.scorer.seek(doc);
        if c.doc == doc {
            let s = c.scorer.score();
            p.best = p.best.max(s);
            p.sum += s;
            p.matched = true;
        }
        // The open best is no longer known exactly; the sum of the rest bounds it.
        p.open_best = p.open_best.min(p.open_sum.max(0.0));
        bound_sum += p.bound(g.tie) - before;
        if bound_sum <= threshold {
            return None;
        }
    }
    Some(bound_sum)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::search::prune::{Bound, Bounded};
    use tantivy::collector::{Count, TopDocs};
    use tantivy::query::{BooleanQuery, BoostQuery, ConstScoreQuery, TermQuery};
    use tantivy::schema::{Field, IndexRecordOption, STRING, Schema, TEXT};
    use tantivy::{Index, IndexWriter, TantivyDocument, doc};

    const WORDS: [&str; 10] = [
        "kuoro",
        "kerho",
        "ryhmä",
        "tuki",
        "vertais",
        "liikunta",
        "kahvila",
        "nuoret",
        "harvinainen",
        "outo",
    ];

    /// Short names (each word once) and long texts with skewed word frequencies, in several
    /// segments: dense and sparse lists, common and rare words.
    fn index() -> (Index, Field, Field, Field) {
        let mut builder = Schema::builder();
        let name = builder.add_text_field("name", TEXT);
        let text = builder.add_text_field("text", TEXT);
        let tag = builder.add_text_field("tag", STRING);
        let index = Index::create_in_ram(builder.build());
        let mut writer: IndexWriter<TantivyDocument> =
            index.writer_with_num_threads(1, 20_000_000).unwrap();
        let mut state: u64 = 11;
        let mut next = |n: usize| {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((state >> 33) as usize) % n
        };
        for i in 0..8000 {
            let mut pick = || WORDS[next(WORDS.len()) % (1 + next(WORDS.len()))];
            let mut n: Vec<&str> = (0..3).map(|_| pick()).collect();
            n.sort_unstable();
            n.dedup();
            let t: Vec<&str> = (0..5 + i % 37).map(|_| pick()).collect();
            let tag_value = ["a", "b", "c"][i % 3];
            writer
                .add_document(doc!(name => n.join(" "), text => t.join(" "), tag => tag_value))
                .unwrap();
            if i % 2500 == 2499 {
                writer.commit().unwrap();
            }
        }
        writer.commit().unwrap();
        (index, name, text, tag)
    }

    fn term(field: Field, w: &str, boost: f32, once_per_doc: bool) -> Bounded {
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

    /// A word: its name view (scored only: the text view holds every name word too in the
    /// product; here it is an ordinary alternative) and its text view.
    fn word(name: Field, text: Field, w: &str) -> BestOfQuery {
        BestOfQuery::new(
            vec![term(name, w, 3.0, true), term(text, w, 1.0, false)],
            0.1,
        )
    }

    fn tag_boost(tag: Field, value: &str, score: f32) -> BestOfQuery {
        let query: Box<dyn Query> = Box::new(ConstScoreQuery::new(
            Box::new(TermQuery::new(
                Term::from_field_text(tag, value),
                IndexRecordOption::Basic,
            )),
            score,
        ));
        BestOfQuery::new(
            vec![Bounded {
                query,
                bound: Bound::Const(score),
                only_scores: false,
            }],
            0.1,
        )
    }

    #[test]
    fn pruned_top_k_equals_the_boolean_query() {
        let (index, name, text, tag) = index();
        let searcher = index.reader().unwrap().searcher();
        assert!(searcher.segment_readers().len() >= 3);
        let shapes: Vec<Vec<(Occur, BestOfQuery)>> = vec![
            // Two common words.
            vec![
                (Occur::Must, word(name, text, "kuoro")),
                (Occur::Must, word(name, text, "kerho")),
            ],
            // A rare word and a common one: candidates come from the rare word.
            vec![
                (Occur::Must, word(name, text, "outo")),
                (Occur::Must, word(name, text, "kuoro")),
            ],
            // Three words, a required filter that scores nothing and an optional boost.
            vec![
                (Occur::Must, word(name, text, "ryhmä")),
                (Occur::Must, word(name, text, "kuoro")),
                (Occur::Must, word(name, text, "tuki")),
                (Occur::Must, tag_boost(tag, "b", 0.0)),
                (Occur::Should, tag_boost(tag, "a", 0.7)),
            ],
            // A word found nowhere: nothing matches.
            vec![
                (Occur::Must, word(name, text, "kuoro")),
                (Occur::Must, word(name, text, "puuttuu")),
            ],
        ];
        for clauses in shapes {
            let boolean = BooleanQuery::new(
                clauses
                    .iter()
                    .map(|(o, q)| (*o, Box::new(q.clone().seekable()) as Box<dyn Query>))
                    .collect(),
            );
            let pruned = AllOfQuery::new(clauses);
            let count = searcher.search(&boolean, &Count).unwrap();
            assert_eq!(searcher.search(&pruned, &Count).unwrap(), count);
            for k in [1, 10, 37] {
                let top = TopDocs::with_limit(k).order_by_score();
                let a = searcher.search(&pruned, &top).unwrap();
                let b = searcher.search(&boolean, &top).unwrap();
                assert_eq!(a.len(), b.len(), "k={k}, {count} matches");
                for ((sa, da), (sb, db)) in a.iter().zip(&b) {
                    assert!((sa - sb).abs() < 1e-4, "k={k}: {sa} vs {sb}");
                    // Equal scores may come in either order; distinct scores must match docs.
                    if a.iter().filter(|(s, _)| (s - sa).abs() < 1e-6).count() == 1 {
                        assert_eq!(da, db, "k={k}");
                    }
                }
            }
        }
    }
}
