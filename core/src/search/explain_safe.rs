//! A boolean query that can be explained safely when nested.
//!
//! tantivy 0.27's `BooleanWeight::explain` seeks its scorer to the explained document without
//! first checking that the scorer has not already moved past it. When a nested boolean with
//! `Must` clauses does not match a document of the outer query, its intersection can start after
//! that document, and the seek trips a debug assertion in `Intersection::seek` (in release builds
//! it reports "does not match" correctly). The wrapper below does that check first and then
//! delegates everything else unchanged, so scoring speed and results are untouched.

use std::sync::Arc;

use tantivy::query::{BooleanQuery, EnableScoring, Explanation, Occur, Query, Scorer, Weight};
use tantivy::{DocId, DocSet, Score, SegmentReader, TantivyError, Term};

/// A `BooleanQuery` of `clauses`, safe to nest inside another query that is explained.
pub fn nested_boolean(clauses: Vec<(Occur, Box<dyn Query>)>) -> Box<dyn Query> {
    Box::new(ExplainSafe(BooleanQuery::new(clauses)))
}

/// Wraps a query whose weight's `explain` assumes the document matches.
#[derive(Debug, Clone)]
struct ExplainSafe(BooleanQuery);

impl Query for ExplainSafe {
    fn weight(&self, enable_scoring: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        Ok(shared_weight(Arc::from(self.0.weight(enable_scoring)?)))
    }

    fn query_terms<'a>(&'a self, visitor: &mut dyn FnMut(&'a Term, bool)) {
        self.0.query_terms(visitor);
    }
}

/// `weight` as a weight of its own that can also serve elsewhere (one weight, its term
/// statistics looked up once, used by several scorers), explained safely.
pub fn shared_weight(weight: Arc<dyn Weight>) -> Box<dyn Weight> {
    Box::new(ExplainSafeWeight(weight))
}

struct ExplainSafeWeight(Arc<dyn Weight>);

impl Weight for ExplainSafeWeight {
    fn scorer(&self, reader: &SegmentReader, boost: Score) -> tantivy::Result<Box<dyn Scorer>> {
        self.0.scorer(reader, boost)
    }

    fn scorer_danger(
        &self,
        reader: &SegmentReader,
        target: DocId,
        boost: Score,
    ) -> tantivy::Result<(tantivy::SeekDangerResult, Box<dyn Scorer>)> {
        self.0.scorer_danger(reader, target, boost)
    }

    fn explain(&self, reader: &SegmentReader, doc: DocId) -> tantivy::Result<Explanation> {
        let mut scorer = self.0.scorer(reader, 1.0)?;
        if scorer.doc() > doc || scorer.seek(doc) != doc {
            return Err(TantivyError::InvalidArgument(format!(
                "Document #({doc}) does not match"
            )));
        }
        self.0.explain(reader, doc)
    }

    fn count(&self, reader: &SegmentReader) -> tantivy::Result<u32> {
        self.0.count(reader)
    }

    fn for_each(
        &self,
        reader: &SegmentReader,
        callback: &mut dyn FnMut(DocId, Score),
    ) -> tantivy::Result<()> {
        self.0.for_each(reader, callback)
    }

    fn for_each_no_score(
        &self,
        reader: &SegmentReader,
        callback: &mut dyn FnMut(&[DocId]),
    ) -> tantivy::Result<()> {
        self.0.for_each_no_score(reader, callback)
    }

    fn for_each_pruning(
        &self,
        threshold: Score,
        reader: &SegmentReader,
        callback: &mut dyn FnMut(DocId, Score) -> Score,
    ) -> tantivy::Result<()> {
        self.0.for_each_pruning(threshold, reader, callback)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tantivy::query::TermQuery;
    use tantivy::schema::{IndexRecordOption, STRING, Schema};
    use tantivy::{DocAddress, Index, doc};

    /// Document 0 matches only the first clause; the nested intersection starts at document 1,
    /// after the document being explained. Explaining document 0 must not panic.
    #[test]
    fn explaining_a_document_the_nested_boolean_skips_is_safe() {
        let mut builder = Schema::builder();
        let word = builder.add_text_field("word", STRING);
        let index = Index::create_in_ram(builder.build());
        let mut writer: tantivy::IndexWriter = index
            .writer_with_num_threads(1, 15_000_000)
            .expect("writer");
        writer.add_document(doc!(word => "a")).expect("add");
        writer
            .add_document(doc!(word => "b", word => "c"))
            .expect("add");
        writer.commit().expect("commit");
        let searcher = index.reader().expect("reader").searcher();
        let term = |t: &str| -> Box<dyn Query> {
            Box::new(TermQuery::new(
                Term::from_field_text(word, t),
                IndexRecordOption::Basic,
            ))
        };
        let query = BooleanQuery::new(vec![
            (Occur::Should, term("a")),
            (
                Occur::Should,
                nested_boolean(vec![(Occur::Must, term("b")), (Occur::Must, term("c"))]),
            ),
        ]);
        let first = query
            .explain(&searcher, DocAddress::new(0, 0))
            .expect("document 0 matches");
        assert!(first.value() > 0.0);
        let second = query
            .explain(&searcher, DocAddress::new(0, 1))
            .expect("document 1 matches");
        assert!(second.to_pretty_json().contains("Term="));
    }
}
