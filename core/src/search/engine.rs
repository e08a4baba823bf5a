//! [`Engine`]: a published index opened for searching. Cheap to share between threads.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use tantivy::collector::{Collector, Count, SegmentCollector, TopDocs};
use tantivy::columnar::StrColumn;
use tantivy::query::{
    AllQuery, BooleanQuery, ConstScoreQuery, Occur, Query, TermQuery, TermSetQuery,
};
use tantivy::schema::{IndexRecordOption, Value};
use tantivy::{
    DocAddress, DocId, Index, IndexReader, ReloadPolicy, Score, Searcher, SegmentReader,
    TantivyDocument, Term,
};

use super::collectors::{CountUpTo, PageAndMatches, SearchStatistics};
use super::explain_safe::nested_boolean;
use tantivy::query::doc_predicate_query::{DocPredicateQuery, FunctionPredicate};
use tantivy::query::{Bm25StatisticsProvider, EnableScoring};

use super::highlight::{HighlightForms, highlight, schedule_text};
use super::query::{
    ParsedQuery, all_words_query, any_of, const_term, flag, parse_query, word_alternatives,
    word_query,
};
use super::types::*;
use crate::geo::{BoundingBox, LatLon, grid};
use crate::index::{Generation, GenerationMeta, IndexStore, StoreError, StoredDoc};
use crate::model::{Activity, Lang, Localized, Organisation, Record, RecordType};
use crate::reference::{Vocabulary, reference};
use crate::schema::Fields;

#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("index error: {0}")]
    Tantivy(#[from] tantivy::TantivyError),
}

/// Why a search could not be answered. Input errors are the caller's; the rest are internal.
#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    #[error("{0}")]
    InvalidRequest(String),
    #[error("index error: {0}")]
    Tantivy(#[from] tantivy::TantivyError),
}

/// What a record in a municipality the request names (or the query text) adds to its score.
const MUNICIPALITY_BOOST: f32 = 2.0;

/// What a record in a wellbeing services county the request names adds to its score.
const COUNTY_BOOST: f32 = 1.0;

/// With a relevance sort, fewer records than this with every query word are followed by
/// records with some of the words.
const FILL_BELOW: usize = 10;

/// A relevance-ranked search whose terms' postings add up to fewer than this is searched on the
/// calling thread rather than segment by segment on the search pool, and with facets in one
/// pass that scores every match (see [`Engine::with_selective_postings_below`]).
pub const SELECTIVE_POSTINGS: u64 = 20_000;

/// A query word the analyser does not know, found as typed in at least this many records, is
/// taken as spelled right and gets no typo-tolerant alternatives.
const SPELLED_AS_FOUND: u64 = 3;

/// Records a stale flag is raised for: not updated within this many days.
pub const STALE_AFTER_DAYS: i64 = 365;

/// An organisation with its activities.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, serde::Serialize)]
pub struct OrganisationDetail {
    pub organisation: Organisation,
    pub activities: Vec<Activity>,
    pub stale: bool,
}

/// An activity with its organisation.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, serde::Serialize)]
pub struct ActivityDetail {
    pub activity: Activity,
    pub organisation: Option<Organisation>,
    pub stale: bool,
}

/// A published index, open for searching.
pub struct Engine {
    reader: IndexReader,
    fields: Fields,
    meta: GenerationMeta,
    generation: Generation,
    /// See [`Engine::with_exact_total_up_to`].
    exact_total_up_to: usize,
    /// See [`Engine::with_selective_postings_below`].
    selective_postings: u64,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("generation", &self.meta.generation)
            .finish()
    }
}

/// Today as days since the Unix epoch.
pub fn today() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| (d.as_secs() / 86_400) as i64)
        .unwrap_or(0)
}

fn is_stale(updated_at: Option<&str>, today: i64) -> bool {
    match updated_at.and_then(crate::index::document::day_number) {
        Some(day) => today - day > STALE_AFTER_DAYS,
        None => true,
    }
}

impl Engine {
    /// Opens the generation published under `root`.
    pub fn open(root: &Path) -> Result<Engine, EngineError> {
        let store = IndexStore::open(root)?;
        let generation = store.require_current()?;
        Self::open_generation(generation)
    }

    /// Opens one generation directory.
    pub fn open_generation(generation: Generation) -> Result<Engine, EngineError> {
        let meta = generation.read_meta()?;
        let mut index = Index::open_in_dir(&generation.path)?;
        // Segments of one search are searched in parallel, which halves a lone query's
        // latency on two cores; under concurrent load the pool is simply shared.
        let threads = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
            .clamp(1, 4);
        if threads > 1 {
            index.set_multithread_executor(threads)?;
        }
        let fields = Fields::from_schema(&index.schema())?;
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()?;
        Ok(Engine {
            reader,
            fields,
            meta,
            generation,
            exact_total_up_to: limits::EXACT_TOTAL_UP_TO,
            selective_postings: SELECTIVE_POSTINGS,
        })
    }

    /// Without facets, a relevance-sorted search counts exactly up to `n` matches and reports
    /// `total_relation: gte` beyond (default [`limits::EXACT_TOTAL_UP_TO`]; at least 1).
    pub fn with_exact_total_up_to(mut self, n: usize) -> Engine {
        self.exact_total_up_to = n.max(1);
        self
    }

    /// A relevance-ranked search whose terms' postings add up to fewer than `n` is selective:
    /// it runs on the calling thread, and with facets it scores every match in one pass; any
    /// other skips what cannot make the page and counts in a pass that does not score. Both
    /// give the same results; the default, [`SELECTIVE_POSTINGS`], picks the faster.
    pub fn with_selective_postings_below(mut self, n: u64) -> Engine {
        self.selective_postings = n;
        self
    }

    pub fn meta(&self) -> &GenerationMeta {
        &self.meta
    }

    pub fn generation(&self) -> &Generation {
        &self.generation
    }

    pub fn doc_count(&self) -> u64 {
        self.reader.searcher().num_docs()
    }

    /// The tantivy query for a request, with the parsed query it came from.
    fn build_query(
        &self,
        req: &SearchRequest,
        parsed: &ParsedQuery,
        all_words: bool,
    ) -> Box<dyn Query> {
        let f = &self.fields;
        // Every clause but the words, with the score it adds (each scores a constant).
        let mut clauses: Vec<(Occur, Box<dyn Query>, f32)> = Vec::new();
        let boost =
            |field, value: &str, score| (Occur::Should, const_term(field, value, score), score);

        // Places: the request's municipalities and counties, and places read from the text.
        // National services (no municipality) serve every place and stay in, ranked below.
        let mut munis = req.municipalities.clone();
        for p in &parsed.places {
            if !munis.contains(p) {
                munis.push(p.clone());
            }
        }
        if !munis.is_empty() || !req.counties.is_empty() {
            let mut place_any: Vec<(Occur, Box<dyn Query>)> = Vec::new();
            if !munis.is_empty() {
                place_any.push((Occur::Should, any_of(f.municipality, &munis)));
                for m in &munis {
                    clauses.push(boost(f.municipality, m, MUNICIPALITY_BOOST));
                }
            }
            if !req.counties.is_empty() {
                place_any.push((Occur::Should, any_of(f.county, &req.counties)));
                for c in &req.counties {
                    clauses.push(boost(f.county, c, COUNTY_BOOST));
                }
            }
            place_any.push((Occur::Should, flag(f.national, true)));
            clauses.push((Occur::Must, nested_boolean(place_any), 0.0));
        }

        let keyword_filters = [
            (f.theme, &req.themes),
            (f.target_group, &req.target_groups),
            (f.kind, &req.kinds),
            (f.language, &req.languages),
        ];
        for (field, values) in keyword_filters {
            if !values.is_empty() {
                clauses.push((Occur::Must, any_of(field, values), 0.0));
            }
        }
        if let Some(t) = req.record_type {
            clauses.push((
                Occur::Must,
                any_of(f.record_type, &[t.as_str().to_string()]),
                0.0,
            ));
        }
        let flags = [
            (f.free, req.free),
            (f.accessible, req.accessible),
            (f.online, req.online),
            (f.plain_language, req.plain_language),
        ];
        for (field, value) in flags {
            if let Some(v) = value {
                clauses.push((Occur::Must, flag(field, v), 0.0));
            }
        }
        if let Some(near) = &req.near
            && let Some(radius_km) = near.radius_km
        {
            for filter in self.radius_filter(near.point, radius_km) {
                clauses.push((Occur::Must, filter, 0.0));
            }
        }

        match parsed.words.as_slice() {
            // Everything: tantivy counts it without visiting each document.
            [] if clauses.is_empty() => return Box::new(AllQuery),
            // One word and nothing else: the word's own query, which can prune a top-k search.
            [word] if clauses.is_empty() => return word_query(f, word, true),
            _ => {}
        }
        let every_word = all_words || parsed.words.len() == 1;
        if every_word && !parsed.words.is_empty() && ranks_by_score_alone(req) {
            // Every word required and a top-k by score: a conjunction that prunes across the
            // words and the other clauses.
            return all_words_query(f, &parsed.words, clauses);
        }
        // Otherwise tantivy's own conjunction, which leaves the costly exact-distance filter
        // for last (it is checked only where every other clause matched).
        let mut boolean: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        if parsed.words.is_empty() {
            boolean.push((
                Occur::Must,
                Box::new(ConstScoreQuery::new(Box::new(AllQuery), 1.0)),
            ));
        } else if every_word {
            for w in &parsed.words {
                boolean.push((Occur::Must, word_query(f, w, false)));
            }
        } else {
            let words: Vec<(Occur, Box<dyn Query>)> = parsed
                .words
                .iter()
                .map(|w| (Occur::Should, word_query(f, w, false)))
                .collect();
            boolean.push((Occur::Must, nested_boolean(words)));
        }
        boolean.extend(clauses.into_iter().map(|(occur, query, _)| (occur, query)));
        Box::new(BooleanQuery::new(boolean))
    }

    /// Documents whose point lies within `radius_km` of `center`, as two filters: grid cells on
    /// the posting-list path narrow the candidates, and the exact haversine distance decides.
    /// They are separate clauses of the caller's conjunction, so the distance is computed only
    /// for candidates that every other clause (the words, say) already matched.
    fn radius_filter(&self, center: LatLon, radius_km: f64) -> [Box<dyn Query>; 2] {
        let radius_m = radius_km * 1000.0;
        let bbox = BoundingBox::around(center, radius_m);
        let cells = grid::covering_terms(&bbox);
        let cell_query = TermSetQuery::new(
            cells
                .iter()
                .map(|c| Term::from_field_text(self.fields.geo_cell, c)),
        );
        let predicate = FunctionPredicate::from(move |seg: &SegmentReader| -> tantivy::Result<_> {
            let points = SegmentPoints::of(seg);
            Ok(move |doc: DocId| {
                points
                    .point(doc)
                    .is_some_and(|p| bbox.contains(p) && p.distance_m(center) <= radius_m)
            })
        });
        let exact: DocPredicateQuery = predicate.into();
        [
            Box::new(ConstScoreQuery::new(Box::new(cell_query), 0.0)),
            Box::new(ConstScoreQuery::new(Box::new(exact), 0.0)),
        ]
    }

    /// Answers a search request.
    pub fn search(&self, req: &SearchRequest) -> Result<SearchResponse, SearchError> {
        if req.q.chars().count() > limits::MAX_QUERY_CHARS {
            return Err(SearchError::InvalidRequest(format!(
                "q is longer than {} characters",
                limits::MAX_QUERY_CHARS
            )));
        }
        if req.limit > limits::MAX_LIMIT || req.offset + req.limit > limits::MAX_DEPTH {
            return Err(SearchError::InvalidRequest(format!(
                "limit may be at most {} and offset + limit at most {}",
                limits::MAX_LIMIT,
                limits::MAX_DEPTH
            )));
        }
        if req.sort == Sort::Distance && req.near.is_none() {
            return Err(SearchError::InvalidRequest(
                "sort=distance needs near=lat,lon".into(),
            ));
        }
        let searcher = self.reader.searcher();
        let parsed = self.read_query(&searcher, req)?;
        // Facets not filtered by the request itself are counted in the ranking pass; a facet
        // the request filters on needs its own pass with that filter lifted.
        let (own_pass, shared): (Vec<Facet>, Vec<Facet>) = req
            .facets
            .iter()
            .copied()
            .partition(|f| self.filters_facet(req, *f));
        let shared_fields: Vec<&'static str> = shared.iter().map(|f| facet_field(*f)).collect();

        // One pass counts, ranks and counts facets over the records with every word. When
        // those do not fill the page, records with only some of the words follow them (for a
        // relevance sort; other sorts only fall back when no record has every word), ranked by
        // how many and how well of the words they match, and the total counts them too.
        let depth = (req.offset + req.limit).max(1);
        let page_req = SearchRequest {
            offset: 0,
            limit: depth.max(FILL_BELOW),
            ..req.clone()
        };
        let query = self.build_query(req, &parsed, true);
        let pass = Pass {
            searcher: &searcher,
            req: &page_req,
            parsed: &parsed,
            facet_fields: &shared_fields,
        };
        let mut ranked = self.rank(&pass, &query)?;
        let fill = match req.sort {
            // A fixed bound, not the page size, so the total does not depend on the page.
            Sort::Relevance => ranked.total < FILL_BELOW,
            _ => ranked.total == 0,
        };
        if fill && parsed.words.len() > 1 {
            let any_words = self.build_query(req, &parsed, false);
            let any_req = SearchRequest {
                limit: page_req.limit + ranked.total,
                ..page_req.clone()
            };
            let partial = self.rank(
                &Pass {
                    req: &any_req,
                    ..pass
                },
                &any_words,
            )?;
            let seen: std::collections::HashSet<DocAddress> =
                ranked.top.iter().map(|(_, a)| *a).collect();
            ranked
                .top
                .extend(partial.top.into_iter().filter(|(_, a)| !seen.contains(a)));
            ranked.total = partial.total;
            ranked.exact = partial.exact;
            ranked.facets = partial.facets;
        }
        let total = ranked.total as u64;
        let total_relation = if ranked.exact {
            TotalRelation::Eq
        } else {
            TotalRelation::Gte
        };
        let top: Vec<(f64, DocAddress)> = ranked
            .top
            .into_iter()
            .skip(req.offset)
            .take(req.limit)
            .collect();
        let near = req.near.map(|n| n.point);
        let sort = req.sort;

        let mut facets = BTreeMap::new();
        for (facet, counts) in shared.iter().zip(ranked.facets) {
            facets.insert(
                facet.name().to_string(),
                label_facet(*facet, counts, req.lang),
            );
        }
        for facet in own_pass {
            // This facet's counts apply every filter except its own, so a chooser can show how
            // many results picking another value would give.
            let mut relaxed = req.clone();
            clear_facet_filter(&mut relaxed, facet);
            let q = self.build_query(&relaxed, &parsed, true);
            let mut counts = searcher.search(&q, &FacetCounter::new(vec![facet_field(facet)]))?;
            facets.insert(
                facet.name().to_string(),
                label_facet(facet, counts.pop().unwrap_or_default(), req.lang),
            );
        }

        let forms = parsed.highlight_forms();
        let today = today();
        let mut hits = Vec::with_capacity(top.len());
        for (key, addr) in top {
            let doc: TantivyDocument = searcher.doc(addr)?;
            let Some(stored) = stored_of(&self.fields, &doc) else {
                continue;
            };
            let score = match sort {
                Sort::Relevance => key as f32,
                _ => 0.0,
            };
            if let Some(hit) = to_hit(&stored, req.lang, near, &forms, score, today) {
                hits.push(hit);
            }
        }
        let r = reference();
        let understood = Understanding {
            places: parsed
                .places
                .iter()
                .filter_map(|c| r.municipality(c))
                .map(|m| Labelled {
                    code: m.code.clone(),
                    label: label(&m.name, req.lang),
                })
                .collect(),
            terms: parsed.words.iter().map(|w| w.forms.exact.clone()).collect(),
            typo_tolerant: parsed
                .words
                .iter()
                .filter(|w| w.typo_tolerant())
                .map(|w| w.forms.exact.clone())
                .collect(),
            ignored: parsed.ignored.clone(),
            themes: labels(
                Vocabulary::Theme,
                parsed.words.iter().flat_map(|w| w.expansion.themes.iter()),
                req.lang,
            ),
            target_groups: labels(
                Vocabulary::TargetGroup,
                parsed
                    .words
                    .iter()
                    .flat_map(|w| w.expansion.target_groups.iter()),
                req.lang,
            ),
        };
        Ok(SearchResponse {
            total,
            total_relation,
            hits,
            facets,
            understood,
        })
    }

    /// One ranking pass: the count, the requested page in sort order and the counts of
    /// `facet_fields`, all over `query`.
    fn rank(&self, pass: &Pass<'_>, query: &dyn Query) -> Result<Ranked, SearchError> {
        let Pass {
            searcher,
            req,
            parsed,
            facet_fields,
        } = *pass;
        let facet_counter = FacetCounter::new(facet_fields.to_vec());
        let statistics = SearchStatistics::new(searcher);
        if ranks_by_score_alone(req) {
            // Plain relevance: tantivy's own score order, no per-document fast-field reads.
            let top_docs = TopDocs::with_limit(req.limit.max(1))
                .and_offset(req.offset)
                .order_by_score();
            // A selective query (its terms' postings together under a bound) is searched on
            // this thread: handing its segments to the search pool costs more than it saves.
            let mut postings = 0u64;
            query.query_terms(&mut |term, _| {
                postings = postings.saturating_add(statistics.doc_freq(term).unwrap_or(u64::MAX));
            });
            let selective = postings < self.selective_postings;
            if facet_fields.is_empty() {
                // The page skips what cannot make it; the count visits the matches in the same
                // task, through a weight that does not score, and stops at its bound.
                let page_and_count = PageAndMatches {
                    page: top_docs,
                    matches: CountUpTo(self.exact_total_up_to),
                    matching_weight: query
                        .weight(EnableScoring::disabled_from_searcher(searcher))?,
                };
                let (top, (total, exact)) = statistics.search(query, &page_and_count, selective)?;
                return Ok(Ranked {
                    total,
                    exact,
                    top: top.into_iter().map(|(s, a)| (f64::from(s), a)).collect(),
                    facets: Vec::new(),
                });
            }
            // Facet counts visit every match. With few matches, one pass that scores them all is
            // cheapest; with many, the page skips what cannot make it and the counts go through
            // a weight that does not score.
            let (total, top, facets) = if selective {
                statistics.search(query, &(Count, top_docs, facet_counter), true)?
            } else {
                let page_and_facets = PageAndMatches {
                    page: top_docs,
                    matches: (Count, facet_counter),
                    matching_weight: query
                        .weight(EnableScoring::disabled_from_searcher(searcher))?,
                };
                let (top, (total, facets)) = statistics.search(query, &page_and_facets, false)?;
                (total, top, facets)
            };
            return Ok(Ranked {
                total,
                exact: true,
                top: top.into_iter().map(|(s, a)| (f64::from(s), a)).collect(),
                facets,
            });
        }
        if ranks_by_distance_only(req, parsed)
            && let Some(ranked) = self.nearest_in_rings(pass, query)?
        {
            return Ok(ranked);
        }
        if let Some(near) = req.near
            && ranks_by_distance_only(req, parsed)
        {
            // Nothing is scored: tantivy only finds the matches, the distance orders them.
            let (total, top, facets) = searcher.search(
                query,
                &(Count, distance_collector(req, near.point), facet_counter),
            )?;
            return Ok(Ranked {
                total,
                exact: true,
                top,
                facets,
            });
        }
        let (total, top, facets) = statistics.search(
            query,
            &(Count, sort_key_collector(req), facet_counter),
            false,
        )?;
        Ok(Ranked {
            total,
            exact: true,
            top,
            facets,
        })
    }

    /// The nearest records when there is no query text. Rather than measure the distance to
    /// every match, it searches circles of growing radius (inside the requested one) until one
    /// holds the requested page: when a circle holds at least `offset + limit` matches, the nearest
    /// `offset + limit` of all matches lie inside it, so the page is exactly the unbounded one.
    /// `None` when the request is not of that shape or no circle holds the page.
    fn nearest_in_rings(
        &self,
        pass: &Pass<'_>,
        query: &dyn Query,
    ) -> Result<Option<Ranked>, SearchError> {
        let (searcher, req) = (pass.searcher, pass.req);
        // Beyond the largest circle a record without a point (national services) would rank
        // above farther ones by relevance, so larger circles would change the order.
        const RING_RADII_KM: [f64; 8] = [0.25, 0.5, 1.0, 2.5, 5.0, 20.0, 60.0, 150.0];
        let Some(near) = req.near else {
            return Ok(None);
        };
        if !matches!(req.sort, Sort::Distance | Sort::Relevance) {
            return Ok(None);
        }
        // Circles inside the requested radius, if any.
        let radius_km = near.radius_km.unwrap_or(f64::INFINITY);
        let rings: Vec<f64> = RING_RADII_KM
            .into_iter()
            .filter(|r| *r < radius_km)
            .collect();
        if rings.is_empty() {
            return Ok(None);
        }
        let want = req.offset + req.limit.max(1);
        let (total, exact, facets) = if pass.facet_fields.is_empty() {
            let (total, exact) = searcher.search(query, &CountUpTo(self.exact_total_up_to))?;
            (total, exact, Vec::new())
        } else {
            let (total, facets) = searcher.search(
                query,
                &(Count, FacetCounter::new(pass.facet_fields.to_vec())),
            )?;
            (total, true, facets)
        };
        if total < want {
            return Ok(None);
        }
        // A circle where too few records live to hold the page is not searched: each search
        // costs about a millisecond however few it finds. The finest grid cell around the point
        // says how densely records lie there.
        let density = records_per_km2(searcher, self.fields.geo_cell, near.point)?;
        let first = rings
            .iter()
            .position(|r| {
                density * std::f64::consts::PI * r * r >= RING_RECORDS_PER_HIT * want as f64
            })
            .unwrap_or(rings.len() - 1);
        for &radius_km in &rings[first..] {
            let mut ringed = req.clone();
            ringed.near = Some(Near {
                point: near.point,
                radius_km: Some(radius_km),
            });
            let ring = self.build_query(&ringed, pass.parsed, true);
            let (inside, top) =
                searcher.search(&ring, &(Count, distance_collector(req, near.point)))?;
            if inside >= want {
                return Ok(Some(Ranked {
                    total,
                    exact,
                    top,
                    facets,
                }));
            }
        }
        Ok(None)
    }

    fn filters_facet(&self, req: &SearchRequest, facet: Facet) -> bool {
        match facet {
            Facet::Type => req.record_type.is_some(),
            Facet::Theme => !req.themes.is_empty(),
            Facet::TargetGroup => !req.target_groups.is_empty(),
            Facet::Kind => !req.kinds.is_empty(),
            Facet::Language => !req.languages.is_empty(),
            Facet::Municipality => !req.municipalities.is_empty(),
            Facet::County => !req.counties.is_empty(),
        }
    }

    /// Reads the request's query text, then marks the words that would be typo-tolerant but
    /// at least [`SPELLED_AS_FOUND`] records contain as typed: real words the analyser does not
    /// know (Swedish or English words, names), which get no typo tolerance. Their typo automata
    /// cost more than the rest of a rare word's search.
    fn read_query(
        &self,
        searcher: &tantivy::Searcher,
        req: &SearchRequest,
    ) -> Result<ParsedQuery, SearchError> {
        let mut parsed = parse_query(&req.q, req.places_in_text);
        for word in parsed.words.iter_mut().filter(|w| w.typo_tolerant()) {
            let as_typed = Term::from_field_text(self.fields.text_exact, &word.forms.exact);
            word.found_as_typed = searcher.doc_freq(&as_typed)? >= SPELLED_AS_FOUND;
        }
        Ok(parsed)
    }

    /// A short explanation of each top hit's score, for `indexer search --explain`.
    pub fn explain(&self, req: &SearchRequest) -> Result<Vec<(String, f32, String)>, SearchError> {
        let searcher = self.reader.searcher();
        let parsed = self.read_query(&searcher, req)?;
        let query = self.build_query(req, &parsed, true);
        let top = searcher.search(
            &query,
            &TopDocs::with_limit(req.limit.max(1)).order_by_score(),
        )?;
        let mut out = Vec::new();
        for (score, addr) in top {
            let doc: TantivyDocument = searcher.doc(addr)?;
            let id = doc
                .get_first(self.fields.id)
                .and_then(|v| v.as_str())
                .unwrap_or("")
                .to_string();
            out.push((id, score, self.explain_hit(&searcher, &parsed, addr)));
        }
        Ok(out)
    }

    /// What made one record match, strongest first: each query word's alternatives (view and
    /// term) that the record matches, with their weighted scores, e.g.
    /// `name_lemma:kuoro 6.40, text_exact:kuoro 4.69`.
    fn explain_hit(&self, searcher: &Searcher, parsed: &ParsedQuery, addr: DocAddress) -> String {
        let schema = searcher.schema();
        let mut parts: Vec<(String, f32)> = Vec::new();
        for word in &parsed.words {
            for alt in word_alternatives(&self.fields, word) {
                if let Ok(e) = alt.query.explain(searcher, addr)
                    && e.value() > 0.0
                {
                    let view = schema.get_field_name(alt.field);
                    parts.push((format!("{view}:{}", alt.what), e.value()));
                }
            }
        }
        parts.sort_by(|a, b| b.1.total_cmp(&a.1));
        parts
            .into_iter()
            .take(6)
            .map(|(what, score)| format!("{what} {score:.2}"))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// Autocomplete over record names, themes, target groups and municipalities.
    pub fn suggest(
        &self,
        q: &str,
        lang: Lang,
        limit: usize,
    ) -> Result<Vec<Suggestion>, SearchError> {
        let limit = limit.min(limits::MAX_SUGGESTIONS);
        let text = crate::analysis::normalize(q);
        if text.chars().count() > limits::MAX_QUERY_CHARS {
            return Err(SearchError::InvalidRequest(format!(
                "q is longer than {} characters",
                limits::MAX_QUERY_CHARS
            )));
        }
        let words: Vec<String> = crate::analysis::words(&text)
            .map(|(_, w)| w)
            .take(limits::MAX_QUERY_TERMS)
            .collect();
        let Some(last) = words.last() else {
            return Ok(Vec::new());
        };
        let last_prefix: String = last.chars().take(20).collect();
        let mut out: Vec<Suggestion> = Vec::new();
        let r = reference();
        // Vocabulary labels and municipalities whose name starts with the text.
        let whole = crate::reference::name_key(&text);
        let folded_whole = crate::analysis::views::fold_ascii(&whole);
        let starts = |label: &str| {
            let key = crate::reference::name_key(label);
            key.starts_with(&whole)
                || crate::analysis::views::fold_ascii(&key).starts_with(&folded_whole)
        };
        for (vocab, kind) in [
            (Vocabulary::Theme, SuggestionKind::Theme),
            (Vocabulary::TargetGroup, SuggestionKind::TargetGroup),
        ] {
            for t in r.vocabulary(vocab) {
                let l = label(&t.label, lang);
                if starts(&l) {
                    out.push(Suggestion {
                        text: l,
                        kind,
                        value: t.code.clone(),
                    });
                }
            }
        }
        for m in &r.municipalities {
            let l = label(&m.name, lang);
            if starts(&l) || m.name.iter().any(|(_, n)| starts(n)) {
                out.push(Suggestion {
                    text: l,
                    kind: SuggestionKind::Municipality,
                    value: m.code.clone(),
                });
            }
        }
        out.truncate(limit / 2);
        // Record names: every earlier word whole, the last as a prefix.
        if last_prefix.chars().count() >= 2 {
            let f = &self.fields;
            let mut clauses: Vec<(Occur, Box<dyn Query>)> = vec![(
                Occur::Must,
                Box::new(TermQuery::new(
                    Term::from_field_text(f.name_prefix, &last_prefix),
                    IndexRecordOption::Basic,
                )) as Box<dyn Query>,
            )];
            for w in &words[..words.len() - 1] {
                clauses.push((
                    Occur::Must,
                    Box::new(TermQuery::new(
                        Term::from_field_text(
                            f.name_prefix,
                            &w.chars().take(20).collect::<String>(),
                        ),
                        IndexRecordOption::Basic,
                    )),
                ));
            }
            // Organisations first, then activities; shorter names first within each.
            clauses.push((
                Occur::Should,
                const_term(f.record_type, "organisation", 0.5),
            ));
            let query = BooleanQuery::new(clauses);
            let searcher = self.reader.searcher();
            let top = searcher.search(&query, &TopDocs::with_limit(limit * 3).order_by_score())?;
            let mut names: Vec<(f32, Suggestion)> = Vec::new();
            for (score, addr) in top {
                let doc: TantivyDocument = searcher.doc(addr)?;
                let Some(stored) = stored_of(f, &doc) else {
                    continue;
                };
                let (common, kind) = match &stored.record {
                    Record::Organisation(o) => (&o.common, SuggestionKind::Organisation),
                    Record::Activity(a) => (&a.common, SuggestionKind::Activity),
                    Record::Delete(_) => continue,
                };
                let Some((_, name)) = common.name.pick(lang) else {
                    continue;
                };
                if names.iter().any(|(_, s)| s.text == name) {
                    continue;
                }
                let rank = score - name.chars().count() as f32 * 0.001;
                names.push((
                    rank,
                    Suggestion {
                        text: name.to_string(),
                        kind,
                        value: common.id.clone(),
                    },
                ));
            }
            names.sort_by(|a, b| b.0.total_cmp(&a.0));
            for (_, s) in names {
                if out.len() >= limit {
                    break;
                }
                out.push(s);
            }
        }
        out.truncate(limit);
        Ok(out)
    }

    fn stored_by_term(&self, term: Term, max: usize) -> Result<Vec<StoredDoc>, SearchError> {
        let searcher = self.reader.searcher();
        let q = TermQuery::new(term, IndexRecordOption::Basic);
        // A lookup by id touches one posting per segment: handing segments to the search pool
        // would cost more than it saves.
        let top = SearchStatistics::new(&searcher).search(
            &q,
            &TopDocs::with_limit(max.max(1)).order_by_score(),
            true,
        )?;
        let mut out = Vec::new();
        for (_, addr) in top {
            let doc: TantivyDocument = searcher.doc(addr)?;
            if let Some(s) = stored_of(&self.fields, &doc) {
                out.push(s);
            }
        }
        Ok(out)
    }

    /// The stored record with this id (organisation or activity).
    pub fn get(&self, id: &str) -> Result<Option<Record>, SearchError> {
        Ok(self
            .stored_by_term(Term::from_field_text(self.fields.id, id), 1)?
            .into_iter()
            .next()
            .map(|s| s.record))
    }

    /// An organisation with all its activities.
    pub fn organisation(&self, id: &str) -> Result<Option<OrganisationDetail>, SearchError> {
        let Some(Record::Organisation(organisation)) = self.get(id)? else {
            return Ok(None);
        };
        let mut activities: Vec<Activity> = self
            .stored_by_term(Term::from_field_text(self.fields.org_id, id), 10_000)?
            .into_iter()
            .filter_map(|s| match s.record {
                Record::Activity(a) => Some(a),
                _ => None,
            })
            .collect();
        activities.sort_by(|a, b| a.common.id.cmp(&b.common.id));
        let stale = is_stale(organisation.common.updated_at.as_deref(), today());
        Ok(Some(OrganisationDetail {
            organisation,
            activities,
            stale,
        }))
    }

    /// An activity with its organisation.
    pub fn activity(&self, id: &str) -> Result<Option<ActivityDetail>, SearchError> {
        let Some(Record::Activity(activity)) = self.get(id)? else {
            return Ok(None);
        };
        let organisation = match self.get(&activity.organisation_id)? {
            Some(Record::Organisation(o)) => Some(o),
            _ => None,
        };
        let stale = is_stale(activity.common.updated_at.as_deref(), today());
        Ok(Some(ActivityDetail {
            activity,
            organisation,
            stale,
        }))
    }

    /// Every stored record, in index order (for stats and exports).
    pub fn all_records(&self) -> Result<Vec<Record>, SearchError> {
        let searcher = self.reader.searcher();
        let mut out = Vec::new();
        for (seg_ord, seg) in searcher.segment_readers().iter().enumerate() {
            for doc_id in seg.doc_ids_alive() {
                let doc: TantivyDocument = searcher.doc(DocAddress::new(seg_ord as u32, doc_id))?;
                if let Some(s) = stored_of(&self.fields, &doc) {
                    out.push(s.record);
                }
            }
        }
        Ok(out)
    }
}

/// What a ranking pass works with besides its query.
#[derive(Clone, Copy)]
struct Pass<'a> {
    searcher: &'a Searcher,
    /// The request, with the page widened to start at 0 (the caller cuts it).
    req: &'a SearchRequest,
    parsed: &'a ParsedQuery,
    /// Facet fields counted in the same pass.
    facet_fields: &'a [&'static str],
}

/// What one ranking pass found.
struct Ranked {
    total: usize,
    /// False when `total` is a lower bound.
    exact: bool,
    /// Sort key and address of each hit of the requested page.
    top: Vec<(f64, DocAddress)>,
    /// Value counts per requested facet field, in the order asked.
    facets: Vec<HashMap<String, u64>>,
}

/// Whether the page is the top `k` by score and nothing else (see [`Engine::rank`]).
fn ranks_by_score_alone(req: &SearchRequest) -> bool {
    req.sort == Sort::Relevance && req.near.is_none()
}

/// True when the order depends on the distance alone: a distance sort, or relevance with a
/// point and no words (every match scores the same, so nearer is better).
fn ranks_by_distance_only(req: &SearchRequest, parsed: &ParsedQuery) -> bool {
    req.near.is_some()
        && match req.sort {
            Sort::Distance => true,
            Sort::Relevance => parsed.words.is_empty(),
            Sort::Updated => false,
        }
}

/// Reads each document's point from the `lat`/`lon` fast fields of one segment.
struct SegmentPoints {
    lat: Option<tantivy::columnar::Column<f64>>,
    lon: Option<tantivy::columnar::Column<f64>>,
}

impl SegmentPoints {
    fn of(seg: &SegmentReader) -> SegmentPoints {
        SegmentPoints {
            lat: seg.fast_fields().f64("lat").ok(),
            lon: seg.fast_fields().f64("lon").ok(),
        }
    }

    fn point(&self, doc: DocId) -> Option<LatLon> {
        let lat = self.lat.as_ref()?.first(doc)?;
        let lon = self.lon.as_ref()?.first(doc)?;
        LatLon::new(lat, lon).ok()
    }

    /// Kilometres from `center`; infinite for a document without a point.
    fn distance_km(&self, doc: DocId, center: LatLon) -> f64 {
        self.point(doc)
            .map(|p| p.distance_m(center) / 1000.0)
            .unwrap_or(f64::INFINITY)
    }
}

/// How much a relevance ranking with a point keeps of a record's score at `distance_km`: 1 at
/// the point, a half at 10 km, and 0.05 for a record without a point.
fn distance_decay(distance_km: f64) -> f64 {
    if distance_km.is_finite() {
        1.0 / (1.0 + distance_km / 10.0)
    } else {
        0.05
    }
}

/// How many records of any kind a growing circle should be expected to hold per requested hit
/// before it is searched: words match a fraction of the records, so a circle holding just `want`
/// records would rarely hold the page.
const RING_RECORDS_PER_HIT: f64 = 50.0;

/// Records per square kilometre in the finest grid cell that holds `point` (an estimate of the
/// density around it: the number of records indexed under the cell over its area).
fn records_per_km2(
    searcher: &tantivy::Searcher,
    geo_cell: tantivy::schema::Field,
    point: LatLon,
) -> tantivy::Result<f64> {
    let finest = grid::LEVELS.len() - 1;
    let term = Term::from_field_text(geo_cell, &grid::cell_term(finest, point));
    let records = searcher.doc_freq(&term)? as f64;
    Ok(records / grid::cell_area_km2(finest, point))
}

/// Nearest first, without scoring. A record without a point comes last. The key is the
/// distance in km negated (larger is better); with a relevance sort it is the same decay the
/// blended ranking uses, which orders the same way.
fn distance_collector(
    req: &SearchRequest,
    center: LatLon,
) -> impl Collector<Fruit = Vec<(f64, DocAddress)>> + use<> {
    let relevance = req.sort == Sort::Relevance;
    TopDocs::with_limit(req.limit.max(1))
        .and_offset(req.offset)
        .order_by(move |seg: &SegmentReader| {
            let points = SegmentPoints::of(seg);
            move |doc: DocId| -> f64 {
                let distance_km = points.distance_km(doc, center);
                if relevance {
                    distance_decay(distance_km)
                } else {
                    -distance_km
                }
            }
        })
}

/// Ranks by a key that needs the score: the update day (score breaks ties), or relevance
/// blended with distance when the request gives a point. Distance-only orders use
/// [`distance_collector`].
fn sort_key_collector(
    req: &SearchRequest,
) -> impl Collector<Fruit = Vec<(f64, DocAddress)>> + use<> {
    let near = req.near.map(|n| n.point);
    let sort = req.sort;
    TopDocs::with_limit(req.limit.max(1))
        .and_offset(req.offset)
        .tweak_score(move |seg: &SegmentReader| {
            let points = SegmentPoints::of(seg);
            let updated = seg.fast_fields().i64("updated_day").ok();
            move |doc: DocId, score: Score| -> f64 {
                let score = f64::from(score);
                match (sort, near) {
                    (Sort::Updated, _) => {
                        let day = updated.as_ref().and_then(|u| u.first(doc)).unwrap_or(0);
                        day as f64 + score.min(1e6) * 1e-7
                    }
                    (Sort::Distance, Some(c)) => -points.distance_km(doc, c),
                    (Sort::Relevance, Some(c)) => {
                        score * (0.3 + 0.7 * distance_decay(points.distance_km(doc, c)))
                    }
                    (_, None) => score,
                }
            }
        })
}

fn stored_of(fields: &Fields, doc: &TantivyDocument) -> Option<StoredDoc> {
    let json = doc.get_first(fields.stored).and_then(|v| v.as_str())?;
    serde_json::from_str(json).ok()
}

fn label(text: &Localized, lang: Lang) -> String {
    text.pick(lang)
        .map(|(_, t)| t.to_string())
        .unwrap_or_default()
}

fn labels<'a>(
    vocab: Vocabulary,
    codes: impl Iterator<Item = &'a String>,
    lang: Lang,
) -> Vec<Labelled> {
    let r = reference();
    let mut out: Vec<Labelled> = Vec::new();
    for code in codes {
        if out.iter().any(|l| &l.code == code) {
            continue;
        }
        if let Some(t) = r.term(vocab, code) {
            out.push(Labelled {
                code: code.clone(),
                label: label(&t.label, lang),
            });
        }
    }
    out
}

fn to_hit(
    stored: &StoredDoc,
    lang: Lang,
    near: Option<LatLon>,
    forms: &HighlightForms,
    score: f32,
    today: i64,
) -> Option<Hit> {
    let r = reference();
    let (common, record_type, location, municipalities) = match &stored.record {
        Record::Organisation(o) => (
            &o.common,
            RecordType::Organisation,
            o.locations.first(),
            o.all_municipalities(),
        ),
        Record::Activity(a) => (
            &a.common,
            RecordType::Activity,
            a.location.as_ref(),
            a.all_municipalities(),
        ),
        Record::Delete(_) => return None,
    };
    let (name_lang, name) = common.name.pick(lang)?;
    let (snippet_lang, snippet) = match common.description.pick(lang) {
        Some((l, text)) => (Some(l), highlight(text, forms, 220)),
        None => (None, Vec::new()),
    };
    let organisation = match (&stored.record, &stored.organisation_name) {
        (Record::Activity(a), Some(n)) => Some(OrganisationRef {
            id: a.organisation_id.clone(),
            name: label(n, lang),
        }),
        (Record::Activity(a), None) => Some(OrganisationRef {
            id: a.organisation_id.clone(),
            name: String::new(),
        }),
        _ => None,
    };
    let municipality = location
        .map(|l| l.municipality.clone())
        .or_else(|| municipalities.first().cloned())
        .and_then(|c| r.municipality(&c))
        .map(|m| Labelled {
            code: m.code.clone(),
            label: label(&m.name, lang),
        });
    let hit_location = if location.is_some() || stored.point.is_some() {
        Some(HitLocation {
            address: location.and_then(|l| l.address.clone()),
            postal_code: location.and_then(|l| l.postal_code.clone()),
            post_office: location.and_then(|l| l.post_office.clone()),
            lat: stored.point.map(|p| p.lat()),
            lon: stored.point.map(|p| p.lon()),
            approximate: stored.point_is_approximate,
        })
    } else {
        None
    };
    let distance_m = match (near, stored.point) {
        (Some(c), Some(p)) => Some((c.distance_m(p)).round()),
        _ => None,
    };
    let (kind, schedule, free, accessible, online) = match &stored.record {
        Record::Activity(a) => (
            a.kind
                .as_deref()
                .and_then(|k| r.term(Vocabulary::ActivityKind, k))
                .map(|t| Labelled {
                    code: t.code.clone(),
                    label: label(&t.label, lang),
                }),
            a.schedule.as_ref().and_then(|s| schedule_text(s, lang)),
            a.free,
            a.accessible,
            a.online,
        ),
        _ => (None, None, false, false, false),
    };
    Some(Hit {
        id: common.id.clone(),
        record_type,
        name: name.to_string(),
        name_lang,
        snippet,
        snippet_lang,
        organisation,
        municipality,
        location: hit_location,
        distance_m,
        themes: labels(Vocabulary::Theme, common.themes.iter(), lang),
        target_groups: labels(Vocabulary::TargetGroup, common.target_groups.iter(), lang),
        kind,
        schedule,
        free,
        accessible,
        online,
        plain_language: common.plain_language,
        languages: common.languages.clone(),
        website: common.website.clone(),
        email: common.email.clone(),
        phone: common.phone.clone(),
        updated_at: common.updated_at.clone(),
        stale: is_stale(common.updated_at.as_deref(), today),
        score,
    })
}

fn facet_field(facet: Facet) -> &'static str {
    match facet {
        Facet::Type => "type",
        Facet::Theme => "theme",
        Facet::TargetGroup => "target_group",
        Facet::Kind => "kind",
        Facet::Language => "language",
        Facet::Municipality => "municipality",
        Facet::County => "county",
    }
}

fn clear_facet_filter(req: &mut SearchRequest, facet: Facet) {
    match facet {
        Facet::Type => req.record_type = None,
        Facet::Theme => req.themes.clear(),
        Facet::TargetGroup => req.target_groups.clear(),
        Facet::Kind => req.kinds.clear(),
        Facet::Language => req.languages.clear(),
        Facet::Municipality => req.municipalities.clear(),
        Facet::County => req.counties.clear(),
    }
}

fn label_facet(facet: Facet, counts: HashMap<String, u64>, lang: Lang) -> Vec<FacetCount> {
    let r = reference();
    let mut out: Vec<FacetCount> = counts
        .into_iter()
        .map(|(value, count)| {
            let label = match facet {
                Facet::Theme => r
                    .term(Vocabulary::Theme, &value)
                    .map(|t| label(&t.label, lang)),
                Facet::TargetGroup => r
                    .term(Vocabulary::TargetGroup, &value)
                    .map(|t| label(&t.label, lang)),
                Facet::Kind => r
                    .term(Vocabulary::ActivityKind, &value)
                    .map(|t| label(&t.label, lang)),
                Facet::Municipality => r.municipality(&value).map(|m| label(&m.name, lang)),
                Facet::County => r.county(&value).map(|c| label(&c.name, lang)),
                Facet::Type => Some(type_label(&value, lang).to_string()),
                Facet::Language => Some(language_label(&value, lang)),
            }
            .unwrap_or_else(|| value.clone());
            FacetCount {
                value,
                label,
                count,
            }
        })
        .collect();
    out.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.label.cmp(&b.label)));
    out
}

fn type_label(value: &str, lang: Lang) -> &'static str {
    match (value, lang) {
        ("organisation", Lang::Fi) => "Järjestö",
        ("organisation", Lang::Sv) => "Organisation",
        ("organisation", Lang::En) => "Organisation",
        (_, Lang::Fi) => "Toiminta",
        (_, Lang::Sv) => "Verksamhet",
        (_, Lang::En) => "Activity",
    }
}

/// Display names of common service languages.
pub fn language_label(code: &str, lang: Lang) -> String {
    let names: &[(&str, [&str; 3])] = &[
        ("fi", ["suomi", "finska", "Finnish"]),
        ("sv", ["ruotsi", "svenska", "Swedish"]),
        ("en", ["englanti", "engelska", "English"]),
        ("se", ["pohjoissaame", "nordsamiska", "Northern Sámi"]),
        ("smn", ["inarinsaame", "enaresamiska", "Inari Sámi"]),
        ("sms", ["koltansaame", "skoltsamiska", "Skolt Sámi"]),
        ("ru", ["venäjä", "ryska", "Russian"]),
        ("et", ["viro", "estniska", "Estonian"]),
        ("ar", ["arabia", "arabiska", "Arabic"]),
        ("so", ["somali", "somaliska", "Somali"]),
        ("uk", ["ukraina", "ukrainska", "Ukrainian"]),
        ("fa", ["persia", "persiska", "Persian"]),
        ("ku", ["kurdi", "kurdiska", "Kurdish"]),
        ("fit", ["meänkieli", "meänkieli", "Meänkieli"]),
        ("rom", ["romani", "romani", "Romani"]),
        (
            "fse",
            [
                "suomalainen viittomakieli",
                "finskt teckenspråk",
                "Finnish Sign Language",
            ],
        ),
        (
            "fss",
            [
                "suomenruotsalainen viittomakieli",
                "finlandssvenskt teckenspråk",
                "Finland-Swedish Sign Language",
            ],
        ),
    ];
    let i = match lang {
        Lang::Fi => 0,
        Lang::Sv => 1,
        Lang::En => 2,
    };
    names
        .iter()
        .find(|(c, _)| *c == code)
        .map(|(_, n)| n[i].to_string())
        .unwrap_or_else(|| code.to_string())
}

/// Counts the values of keyword fast fields over the matching documents, one map per field.
struct FacetCounter {
    fields: Vec<&'static str>,
}

impl FacetCounter {
    fn new(fields: Vec<&'static str>) -> Self {
        FacetCounter { fields }
    }
}

struct FacetSegment {
    /// Per field: its column (absent in a segment without values) and a count per term ordinal.
    columns: Vec<(Option<StrColumn>, Vec<u64>)>,
}

impl Collector for FacetCounter {
    type Fruit = Vec<HashMap<String, u64>>;
    type Child = FacetSegment;

    fn for_segment(&self, _ord: u32, seg: &SegmentReader) -> tantivy::Result<FacetSegment> {
        let mut columns = Vec::with_capacity(self.fields.len());
        for field in &self.fields {
            let column = seg.fast_fields().str(field)?;
            let n = column.as_ref().map(|c| c.num_terms()).unwrap_or(0);
            columns.push((column, vec![0; n]));
        }
        Ok(FacetSegment { columns })
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    fn merge_fruits(
        &self,
        fruits: Vec<Vec<HashMap<String, u64>>>,
    ) -> tantivy::Result<Vec<HashMap<String, u64>>> {
        let mut out = vec![HashMap::new(); self.fields.len()];
        for per_field in fruits {
            for (merged, counts) in out.iter_mut().zip(per_field) {
                for (k, v) in counts {
                    *merged.entry(k).or_insert(0) += v;
                }
            }
        }
        Ok(out)
    }
}

impl SegmentCollector for FacetSegment {
    type Fruit = Vec<HashMap<String, u64>>;

    fn collect(&mut self, doc: DocId, _score: Score) {
        for (column, counts) in &mut self.columns {
            if let Some(col) = column {
                for ord in col.term_ords(doc) {
                    if let Some(c) = counts.get_mut(ord as usize) {
                        *c += 1;
                    }
                }
            }
        }
    }

    fn harvest(self) -> Vec<HashMap<String, u64>> {
        let mut out = Vec::with_capacity(self.columns.len());
        for (column, counts) in self.columns {
            let mut values = HashMap::new();
            if let Some(col) = &column {
                let mut s = String::new();
                for (ord, &count) in counts.iter().enumerate() {
                    if count > 0 {
                        s.clear();
                        if col.ord_to_str(ord as u64, &mut s).unwrap_or(false) {
                            values.insert(s.clone(), count);
                        }
                    }
                }
            }
            out.push(values);
        }
        out
    }
}
