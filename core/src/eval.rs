//! Relevance evaluation: judged queries, nDCG@10, recall@10 and MRR, per phenomenon.
//!
//! The query file format is described in `data/eval/README.md`.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};

use crate::geo::LatLon;
use crate::model::Lang;
use crate::search::{Engine, Near, SearchError, SearchRequest};

/// One judged query.
#[derive(Debug, Clone, Deserialize)]
pub struct JudgedQuery {
    pub id: String,
    pub q: String,
    #[serde(default)]
    pub params: QueryParams,
    #[serde(default)]
    pub near: Option<NearParam>,
    pub lang: Lang,
    pub relevant: HashMap<String, u8>,
    #[serde(default)]
    pub phenomena: Vec<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct QueryParams {
    #[serde(default)]
    pub municipality: Vec<String>,
    #[serde(default)]
    pub county: Vec<String>,
    #[serde(default)]
    pub theme: Vec<String>,
    #[serde(default)]
    pub target_group: Vec<String>,
    #[serde(default)]
    pub kind: Vec<String>,
    #[serde(default)]
    pub language: Vec<String>,
    pub free: Option<bool>,
    pub accessible: Option<bool>,
    pub online: Option<bool>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct NearParam {
    pub lat: f64,
    pub lon: f64,
    pub radius_km: Option<f64>,
}

/// Parses an NDJSON file of judged queries; blank lines are skipped.
pub fn parse_queries(text: &str) -> Result<Vec<JudgedQuery>, String> {
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| serde_json::from_str(l).map_err(|e| format!("line {}: {e}", i + 1)))
        .collect()
}

impl JudgedQuery {
    /// The search request this judged query stands for (top 10).
    pub fn request(&self) -> SearchRequest {
        SearchRequest {
            q: self.q.clone(),
            municipalities: self.params.municipality.clone(),
            counties: self.params.county.clone(),
            themes: self.params.theme.clone(),
            target_groups: self.params.target_group.clone(),
            kinds: self.params.kind.clone(),
            languages: self.params.language.clone(),
            free: self.params.free,
            accessible: self.params.accessible,
            online: self.params.online,
            near: self.near.as_ref().and_then(|n| {
                LatLon::new(n.lat, n.lon).ok().map(|point| Near {
                    point,
                    radius_km: n.radius_km,
                })
            }),
            lang: self.lang,
            limit: 10,
            ..SearchRequest::default()
        }
    }
}

/// Scores of one query.
#[derive(Debug, Clone, Serialize)]
pub struct QueryScore {
    pub id: String,
    pub ndcg10: f64,
    pub recall10: f64,
    pub mrr: f64,
    pub phenomena: Vec<String>,
    pub returned: Vec<String>,
}

/// nDCG@10 of a ranking against graded judgements.
pub fn ndcg10(ranked: &[String], relevant: &HashMap<String, u8>) -> f64 {
    let dcg: f64 = ranked
        .iter()
        .take(10)
        .enumerate()
        .map(|(i, id)| f64::from(*relevant.get(id).unwrap_or(&0)) / ((i + 2) as f64).log2())
        .sum();
    let mut ideal: Vec<u8> = relevant.values().copied().collect();
    ideal.sort_unstable_by(|a, b| b.cmp(a));
    let idcg: f64 = ideal
        .iter()
        .take(10)
        .enumerate()
        .map(|(i, g)| f64::from(*g) / ((i + 2) as f64).log2())
        .sum();
    if idcg == 0.0 { 0.0 } else { dcg / idcg }
}

/// Share of grade >= 2 records in the top 10 (divided by 10 when there are more than 10).
pub fn recall10(ranked: &[String], relevant: &HashMap<String, u8>) -> f64 {
    let wanted = relevant.values().filter(|g| **g >= 2).count();
    if wanted == 0 {
        return 0.0;
    }
    let found = ranked
        .iter()
        .take(10)
        .filter(|id| relevant.get(*id).is_some_and(|g| *g >= 2))
        .count();
    found as f64 / wanted.min(10) as f64
}

/// 1 / rank of the first grade >= 2 result in the top 10.
pub fn mrr(ranked: &[String], relevant: &HashMap<String, u8>) -> f64 {
    ranked
        .iter()
        .take(10)
        .position(|id| relevant.get(id).is_some_and(|g| *g >= 2))
        .map(|p| 1.0 / (p + 1) as f64)
        .unwrap_or(0.0)
}

/// Macro averages over queries, overall and per phenomenon.
#[derive(Debug, Clone, Serialize)]
pub struct EvalReport {
    pub queries: Vec<QueryScore>,
    pub ndcg10: f64,
    pub recall10: f64,
    pub mrr: f64,
    /// phenomenon -> (queries, nDCG@10, recall@10, MRR)
    pub by_phenomenon: BTreeMap<String, (usize, f64, f64, f64)>,
}

/// Scores `rank` (any engine: ours or a peer) on the judged queries.
pub fn evaluate_with<E>(
    queries: &[JudgedQuery],
    mut rank: impl FnMut(&JudgedQuery) -> Result<Vec<String>, E>,
) -> Result<EvalReport, E> {
    let mut scores = Vec::new();
    for q in queries {
        let returned = rank(q)?;
        scores.push(QueryScore {
            id: q.id.clone(),
            ndcg10: ndcg10(&returned, &q.relevant),
            recall10: recall10(&returned, &q.relevant),
            mrr: mrr(&returned, &q.relevant),
            phenomena: q.phenomena.clone(),
            returned,
        });
    }
    let avg = |f: &dyn Fn(&QueryScore) -> f64, s: &[&QueryScore]| {
        if s.is_empty() {
            0.0
        } else {
            s.iter().map(|x| f(x)).sum::<f64>() / s.len() as f64
        }
    };
    let all: Vec<&QueryScore> = scores.iter().collect();
    let mut by_phenomenon = BTreeMap::new();
    let mut tags: Vec<&String> = scores.iter().flat_map(|s| s.phenomena.iter()).collect();
    tags.sort();
    tags.dedup();
    for t in tags {
        let s: Vec<&QueryScore> = scores.iter().filter(|q| q.phenomena.contains(t)).collect();
        by_phenomenon.insert(
            t.clone(),
            (
                s.len(),
                avg(&|q| q.ndcg10, &s),
                avg(&|q| q.recall10, &s),
                avg(&|q| q.mrr, &s),
            ),
        );
    }
    Ok(EvalReport {
        ndcg10: avg(&|q| q.ndcg10, &all),
        recall10: avg(&|q| q.recall10, &all),
        mrr: avg(&|q| q.mrr, &all),
        by_phenomenon,
        queries: scores,
    })
}

/// Scores the engine on the judged queries.
pub fn evaluate(engine: &Engine, queries: &[JudgedQuery]) -> Result<EvalReport, SearchError> {
    evaluate_with(queries, |q| {
        Ok(engine
            .search(&q.request())?
            .hits
            .into_iter()
            .map(|h| h.id)
            .collect())
    })
}

impl EvalReport {
    /// A plain-text table of the averages per phenomenon.
    pub fn table(&self) -> String {
        let mut s = format!(
            "{:<22} {:>3} {:>8} {:>9} {:>6}\n",
            "phenomenon", "n", "nDCG@10", "recall@10", "MRR"
        );
        s.push_str(&format!(
            "{:<22} {:>3} {:>8.3} {:>9.3} {:>6.3}\n",
            "ALL",
            self.queries.len(),
            self.ndcg10,
            self.recall10,
            self.mrr
        ));
        for (t, (n, nd, r, m)) in &self.by_phenomenon {
            s.push_str(&format!("{t:<22} {n:>3} {nd:>8.3} {r:>9.3} {m:>6.3}\n"));
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn perfect_ranking_scores_one() {
        let rel: HashMap<String, u8> = [("a".to_string(), 3), ("b".to_string(), 2)].into();
        let ranked = vec!["a".to_string(), "b".to_string()];
        assert!((ndcg10(&ranked, &rel) - 1.0).abs() < 1e-9);
        assert_eq!(recall10(&ranked, &rel), 1.0);
        assert_eq!(mrr(&ranked, &rel), 1.0);
        let worse = vec!["x".to_string(), "b".to_string()];
        assert!(ndcg10(&worse, &rel) < 0.5);
        assert_eq!(mrr(&worse, &rel), 0.5);
    }
}
