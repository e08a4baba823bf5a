//! Collectors and statistics for one search: a bounded count, a page with its matches counted
//! in the same task, and index statistics looked up once per search.

use std::cell::RefCell;
use std::collections::HashMap;

use tantivy::collector::{Collector, SegmentCollector};
use tantivy::query::{Bm25StatisticsProvider, EnableScoring, Query, Weight};
use tantivy::schema::Field;
use tantivy::{DocId, Executor, Score, Searcher, SegmentReader, Term};

/// Counts matches up to a bound: `(count, exact)`. A segment stops at the bound, so a common
/// word costs no more to count than a rare one; `exact` is false when any segment stopped.
pub(super) struct CountUpTo(pub usize);

impl Collector for CountUpTo {
    type Fruit = (usize, bool);
    type Child = CountUpToSegment;

    fn for_segment(&self, _ord: u32, _seg: &SegmentReader) -> tantivy::Result<CountUpToSegment> {
        Ok(CountUpToSegment(0))
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    fn merge_fruits(&self, fruits: Vec<(usize, bool)>) -> tantivy::Result<(usize, bool)> {
        let capped = fruits.iter().any(|(_, exact)| !exact);
        if capped {
            return Ok((self.0, false));
        }
        Ok((fruits.iter().map(|(n, _)| n).sum(), true))
    }

    fn collect_segment(
        &self,
        weight: &dyn Weight,
        _ord: u32,
        reader: &SegmentReader,
    ) -> tantivy::Result<(usize, bool)> {
        let mut scorer = weight.scorer(reader, 1.0)?;
        let alive = reader.alive_bitset();
        let mut n = 0;
        let mut doc = scorer.doc();
        while doc != tantivy::TERMINATED {
            if alive.is_none_or(|a| a.is_alive(doc)) {
                n += 1;
                if n >= self.0 {
                    return Ok((n, false));
                }
            }
            doc = scorer.advance();
        }
        Ok((n, true))
    }
}

pub(super) struct CountUpToSegment(usize);

impl SegmentCollector for CountUpToSegment {
    type Fruit = (usize, bool);

    fn collect(&mut self, _doc: DocId, _score: Score) {
        self.0 += 1;
    }

    fn harvest(self) -> (usize, bool) {
        (self.0, true)
    }
}

/// A page collector and a collector of the matches (a count, facet counts) run one after the
/// other on each segment, in one task per segment. Unlike a tuple of collectors, which feeds
/// every match, scored, to both, each keeps its own segment pass: a top-k page still skips what
/// cannot make it, and the matches go through `matching_weight`, the query's weight without
/// scoring, which also leaves out what only adds to scores.
pub(super) struct PageAndMatches<P, M> {
    pub page: P,
    pub matches: M,
    pub matching_weight: Box<dyn Weight>,
}

impl<P: Collector, M: Collector> Collector for PageAndMatches<P, M> {
    type Fruit = (P::Fruit, M::Fruit);
    type Child = (P::Child, M::Child);

    fn for_segment(&self, ord: u32, seg: &SegmentReader) -> tantivy::Result<Self::Child> {
        Ok((
            self.page.for_segment(ord, seg)?,
            self.matches.for_segment(ord, seg)?,
        ))
    }

    fn requires_scoring(&self) -> bool {
        self.page.requires_scoring()
    }

    fn merge_fruits(
        &self,
        fruits: Vec<<Self::Child as SegmentCollector>::Fruit>,
    ) -> tantivy::Result<Self::Fruit> {
        let (pages, matches): (Vec<_>, Vec<_>) = fruits.into_iter().unzip();
        Ok((
            self.page.merge_fruits(pages)?,
            self.matches.merge_fruits(matches)?,
        ))
    }

    fn collect_segment(
        &self,
        weight: &dyn Weight,
        ord: u32,
        reader: &SegmentReader,
    ) -> tantivy::Result<<Self::Child as SegmentCollector>::Fruit> {
        Ok((
            self.page.collect_segment(weight, ord, reader)?,
            self.matches
                .collect_segment(self.matching_weight.as_ref(), ord, reader)?,
        ))
    }
}

/// The index statistics BM25 needs, each looked up once per search. One search asks for a
/// term's document frequency several times: to judge how selective the query is, for each
/// alternative's weight and for its score bound; each lookup walks every segment's dictionary.
pub(super) struct SearchStatistics<'a> {
    searcher: &'a Searcher,
    doc_freqs: RefCell<HashMap<Term, u64>>,
    tokens: RefCell<HashMap<Field, u64>>,
}

impl<'a> SearchStatistics<'a> {
    pub fn new(searcher: &'a Searcher) -> Self {
        SearchStatistics {
            searcher,
            doc_freqs: RefCell::default(),
            tokens: RefCell::default(),
        }
    }

    /// Runs `collector` over `query` scored with these statistics, on the search pool or, for
    /// work too small to be worth handing segments to it, on the calling thread.
    pub fn search<C: Collector>(
        &self,
        query: &dyn Query,
        collector: &C,
        on_this_thread: bool,
    ) -> tantivy::Result<C::Fruit> {
        let searcher = self.searcher;
        let scoring = if collector.requires_scoring() {
            EnableScoring::enabled_from_statistics_provider(self, searcher)
        } else {
            EnableScoring::disabled_from_searcher(searcher)
        };
        if on_this_thread {
            searcher.search_with_executor(query, collector, &Executor::single_thread(), scoring)
        } else {
            searcher.search_with_executor(
                query,
                collector,
                searcher.index().search_executor(),
                scoring,
            )
        }
    }
}

impl Bm25StatisticsProvider for SearchStatistics<'_> {
    fn total_num_tokens(&self, field: Field) -> tantivy::Result<u64> {
        if let Some(n) = self.tokens.borrow().get(&field) {
            return Ok(*n);
        }
        let n = Bm25StatisticsProvider::total_num_tokens(self.searcher, field)?;
        self.tokens.borrow_mut().insert(field, n);
        Ok(n)
    }

    fn total_num_docs(&self) -> tantivy::Result<u64> {
        Bm25StatisticsProvider::total_num_docs(self.searcher)
    }

    fn doc_freq(&self, term: &Term) -> tantivy::Result<u64> {
        if let Some(n) = self.doc_freqs.borrow().get(term) {
            return Ok(*n);
        }
        let n = self.searcher.doc_freq(term)?;
        self.doc_freqs.borrow_mut().insert(term.clone(), n);
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tantivy::schema::{STRING, Schema, TEXT};
    use tantivy::{Index, TantivyDocument};

    #[test]
    fn memoised_statistics_equal_the_searchers_own() {
        let mut builder = Schema::builder();
        let text = builder.add_text_field("text", TEXT);
        let tag = builder.add_text_field("tag", STRING);
        let index = Index::create_in_ram(builder.build());
        let mut writer = index.writer_with_num_threads(1, 15_000_000).unwrap();
        // Two commits: two segments, so every figure is a sum over segments.
        for batch in [
            ["kuoro laulaa", "kuoro ja kerho"],
            ["kerho", "laulu kuoro kuoro"],
        ] {
            for body in batch {
                let mut doc = TantivyDocument::default();
                doc.add_text(text, body);
                doc.add_text(tag, "culture");
                writer.add_document(doc).unwrap();
            }
            writer.commit().unwrap();
        }
        let searcher = index.reader().unwrap().searcher();
        assert_eq!(searcher.segment_readers().len(), 2);
        let statistics = SearchStatistics::new(&searcher);
        for _ in 0..2 {
            for (field, word) in [
                (text, "kuoro"),
                (text, "kerho"),
                (text, "puuttuu"),
                (tag, "culture"),
            ] {
                let term = Term::from_field_text(field, word);
                assert_eq!(
                    statistics.doc_freq(&term).unwrap(),
                    searcher.doc_freq(&term).unwrap(),
                    "{word}"
                );
                assert_eq!(
                    statistics.total_num_tokens(field).unwrap(),
                    Bm25StatisticsProvider::total_num_tokens(&searcher, field).unwrap()
                );
            }
            assert_eq!(
                statistics.total_num_docs().unwrap(),
                Bm25StatisticsProvider::total_num_docs(&searcher).unwrap()
            );
        }
        assert_eq!(
            statistics
                .doc_freq(&Term::from_field_text(text, "kuoro"))
                .unwrap(),
            3
        );
    }
}
