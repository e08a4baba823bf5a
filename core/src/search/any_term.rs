//! [`AnyTermQuery`]: records with any of a few terms of one field, scored by the best of the
//! terms they have, like a `DisjunctionMaxQuery` of term queries, but with a plain union that is
//! cheap to seek.
//!
//! tantivy's buffered union scores a window of up to 4,096 documents at each seek. Inside a
//! compound's "all parts" conjunction, probed once per candidate by the pruning top-k, that
//! window work dominated the search; a union of two or three posting lists needs none of it.

use tantivy::query::{EnableScoring, Explanation, Query, Scorer, TermQuery, Weight};
use tantivy::schema::IndexRecordOption;
use tantivy::{DocId, DocSet, Score, SegmentReader, TERMINATED, TantivyError, Term};

/// Matches records with any of `terms`; the score is the best matching term's score. (The terms
/// are spellings of one compound part, `omais|omainen`: a record with both has not matched the
/// part twice, and the part's score bound is its best term's.)
#[derive(Debug, Clone)]
pub struct AnyTermQuery {
    terms: Vec<Term>,
}

impl AnyTermQuery {
    pub fn new(terms: Vec<Term>) -> Self {
        AnyTermQuery { terms }
    }
}

impl Query for AnyTermQuery {
    fn weight(&self, enable_scoring: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        let weights = self
            .terms
            .iter()
            .map(|t| TermQuery::new(t.clone(), IndexRecordOption::WithFreqs).weight(enable_scoring))
            .collect::<tantivy::Result<Vec<_>>>()?;
        Ok(Box::new(AnyTermWeight { weights }))
    }

    fn query_terms<'a>(&'a self, visitor: &mut dyn FnMut(&'a Term, bool)) {
        for t in &self.terms {
            visitor(t, false);
        }
    }
}

struct AnyTermWeight {
    weights: Vec<Box<dyn Weight>>,
}

impl Weight for AnyTermWeight {
    fn scorer(&self, reader: &SegmentReader, boost: Score) -> tantivy::Result<Box<dyn Scorer>> {
        let mut parts = Vec::with_capacity(self.weights.len());
        for w in &self.weights {
            let s = w.scorer(reader, boost)?;
            if s.doc() != TERMINATED {
                parts.push(s);
            }
        }
        if parts.len() == 1
            && let Some(only) = parts.pop()
        {
            return Ok(only);
        }
        Ok(Box::new(PlainUnion::new(parts, 0.0)))
    }

    fn explain(&self, reader: &SegmentReader, doc: DocId) -> tantivy::Result<Explanation> {
        let mut details = Vec::new();
        for w in &self.weights {
            let mut s = w.scorer(reader, 1.0)?;
            if s.doc() <= doc && s.seek(doc) == doc {
                details.push(w.explain(reader, doc)?);
            }
        }
        if details.is_empty() {
            return Err(TantivyError::InvalidArgument(format!(
                "Document #({doc}) does not match"
            )));
        }
        let best = details.iter().map(|d| d.value()).fold(0.0, f32::max);
        let mut e = Explanation::new("best of", best);
        for d in details {
            e.add_detail(d);
        }
        Ok(e)
    }
}

/// The union of a few scorers: the current document is the least of theirs, scored as the
/// best of theirs plus `tie_breaker` times the others (tantivy's dis-max). Seeking moves only
/// the scorers behind the target, so it costs nothing like a buffered union's window.
pub(crate) struct PlainUnion {
    parts: Vec<Box<dyn Scorer>>,
    doc: DocId,
    tie_breaker: Score,
}

impl PlainUnion {
    pub(crate) fn new(parts: Vec<Box<dyn Scorer>>, tie_breaker: Score) -> Self {
        let doc = parts.iter().map(|p| p.doc()).min().unwrap_or(TERMINATED);
        PlainUnion {
            parts,
            doc,
            tie_breaker,
        }
    }

    fn settle(&mut self) -> DocId {
        self.doc = self
            .parts
            .iter()
            .map(|p| p.doc())
            .min()
            .unwrap_or(TERMINATED);
        self.doc
    }
}

impl DocSet for PlainUnion {
    fn advance(&mut self) -> DocId {
        let current = self.doc;
        for p in &mut self.parts {
            if p.doc() == current {
                p.advance();
            }
        }
        self.settle()
    }

    fn seek(&mut self, target: DocId) -> DocId {
        for p in &mut self.parts {
            if p.doc() < target {
                p.seek(target);
            }
        }
        self.settle()
    }

    fn doc(&self) -> DocId {
        self.doc
    }

    fn size_hint(&self) -> u32 {
        self.parts
            .iter()
            .map(|p| p.size_hint())
            .fold(0u32, u32::saturating_add)
    }
}

impl Scorer for PlainUnion {
    fn score(&mut self) -> Score {
        let doc = self.doc;
        let (mut best, mut sum) = (0.0f32, 0.0f32);
        for p in &mut self.parts {
            if p.doc() == doc {
                let s = p.score();
                best = best.max(s);
                sum += s;
            }
        }
        best + self.tie_breaker * (sum - best)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tantivy::collector::{Count, TopDocs};
    use tantivy::query::DisjunctionMaxQuery;
    use tantivy::schema::{Schema, TEXT};
    use tantivy::{Index, IndexWriter, TantivyDocument, doc};

    #[test]
    fn matches_and_scores_like_a_dis_max_of_terms() {
        let mut builder = Schema::builder();
        let text = builder.add_text_field("text", TEXT);
        let index = Index::create_in_ram(builder.build());
        let mut writer: IndexWriter<TantivyDocument> =
            index.writer_with_num_threads(1, 20_000_000).unwrap();
        let words = ["omais", "omainen", "hoitaja", "kerho"];
        for i in 0..3000usize {
            let t: Vec<&str> = (0..1 + i % 5)
                .map(|j| words[(i * 7 + j * 3 + i / 11) % words.len()])
                .collect();
            writer.add_document(doc!(text => t.join(" "))).unwrap();
        }
        writer.commit().unwrap();
        let searcher = index.reader().unwrap().searcher();
        let terms = ["omais", "omainen", "puuttuu"].map(|w| Term::from_field_text(text, w));
        let any = AnyTermQuery::new(terms.to_vec());
        let dis_max = DisjunctionMaxQuery::new(
            terms
                .iter()
                .map(|t| {
                    Box::new(TermQuery::new(t.clone(), IndexRecordOption::WithFreqs))
                        as Box<dyn Query>
                })
                .collect(),
        );
        let n = searcher.search(&any, &Count).unwrap();
        assert!(n > 100, "{n}");
        assert_eq!(n, searcher.search(&dis_max, &Count).unwrap());
        let top = TopDocs::with_limit(50).order_by_score();
        let a = searcher.search(&any, &top).unwrap();
        let b = searcher.search(&dis_max, &top).unwrap();
        for ((sa, _), (sb, _)) in a.iter().zip(&b) {
            assert!((sa - sb).abs() < 1e-5, "{sa} vs {sb}");
        }
        // Seeking lands on the next record with any of the terms, and explains its score.
        let seg = &searcher.segment_readers()[0];
        let weight = any
            .weight(tantivy::query::EnableScoring::enabled_from_searcher(
                &searcher,
            ))
            .unwrap();
        let mut s = weight.scorer(seg, 1.0).unwrap();
        let target = s.seek(1500);
        assert!(target >= 1500 && target != TERMINATED);
        let e = weight.explain(seg, target).unwrap();
        assert!((e.value() - s.score()).abs() < 1e-5);
    }
}
