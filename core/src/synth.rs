//! A seeded generator of realistic synthetic records for benchmarks: real municipalities and
//! postal areas (weighted by population), real vocabularies, and words drawn with Zipf-like
//! frequencies from the embedded corpus's own vocabulary.

use std::collections::HashMap;

use rand::distr::Distribution;
use rand::distr::weighted::WeightedIndex;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::analysis::{normalize, words};
use crate::defaults::DEFAULT_CORPUS;
use crate::geo::LatLon;
use crate::model::{Activity, Common, Lang, Localized, Location, Organisation, Record, Schedule};
use crate::reference::reference;

/// Generates `count` records (about one organisation per nine activities) from `seed`.
pub struct Generator {
    rng: ChaCha8Rng,
    words: Vec<String>,
    word_dist: WeightedIndex<f64>,
    areas: Vec<(String, String, LatLon)>,
    area_dist: WeightedIndex<f64>,
    org_ids: Vec<String>,
    next: u64,
}

const POSTAL_CSV: &str = include_str!("../../data/reference/postal_code_areas_2025.csv");

impl Generator {
    pub fn new(seed: u64) -> Generator {
        // Vocabulary: every word of the corpus's text, ranked by frequency; rank r gets 1/r.
        let mut freq: HashMap<String, u64> = HashMap::new();
        for line in DEFAULT_CORPUS.lines() {
            if let Ok(v) = serde_json::from_str::<serde_json::Value>(line) {
                for key in ["name", "description"] {
                    if let Some(obj) = v.get(key).and_then(|x| x.as_object()) {
                        for text in obj.values().filter_map(|t| t.as_str()) {
                            for (_, w) in words(&normalize(text)) {
                                if w.chars().count() > 1 && !w.chars().all(|c| c.is_numeric()) {
                                    *freq.entry(w).or_insert(0) += 1;
                                }
                            }
                        }
                    }
                }
            }
        }
        let mut ranked: Vec<(String, u64)> = freq.into_iter().collect();
        ranked.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        let words: Vec<String> = ranked.into_iter().map(|(w, _)| w).collect();
        let weights: Vec<f64> = (1..=words.len()).map(|r| 1.0 / r as f64).collect();
        let word_dist = WeightedIndex::new(&weights).unwrap_or_else(|_| fallback_dist());

        let mut areas = Vec::new();
        let mut area_weights = Vec::new();
        let mut rdr = csv::Reader::from_reader(POSTAL_CSV.as_bytes());
        for row in rdr.records().filter_map(Result::ok) {
            let (Some(code), Some(muni), Some(lat), Some(lon)) =
                (row.get(0), row.get(3), row.get(7), row.get(8))
            else {
                continue;
            };
            let (Ok(lat), Ok(lon)) = (lat.parse::<f64>(), lon.parse::<f64>()) else {
                continue;
            };
            let Ok(p) = LatLon::in_finland(lat, lon) else {
                continue;
            };
            let pop: f64 = row.get(9).and_then(|x| x.parse().ok()).unwrap_or(50.0);
            areas.push((code.to_string(), muni.to_string(), p));
            area_weights.push(pop.max(20.0));
        }
        let area_dist = WeightedIndex::new(&area_weights).unwrap_or_else(|_| fallback_dist());
        Generator {
            rng: ChaCha8Rng::seed_from_u64(seed),
            words,
            word_dist,
            areas,
            area_dist,
            org_ids: Vec::new(),
            next: 0,
        }
    }

    fn word(&mut self) -> String {
        let i = self.word_dist.sample(&mut self.rng);
        self.words
            .get(i)
            .cloned()
            .unwrap_or_else(|| "toiminta".into())
    }

    fn sentence(&mut self, n: usize) -> String {
        let mut s: Vec<String> = (0..n).map(|_| self.word()).collect();
        if let Some(first) = s.first_mut() {
            let mut c = first.chars();
            if let Some(f) = c.next() {
                *first = f.to_uppercase().chain(c).collect();
            }
        }
        s.join(" ") + "."
    }

    fn pick(&mut self, codes: &[String], max: usize) -> Vec<String> {
        let n = self.rng.random_range(1..=max.min(codes.len()).max(1));
        let mut out: Vec<String> = Vec::new();
        for _ in 0..n {
            if let Some(c) = codes.get(self.rng.random_range(0..codes.len().max(1)))
                && !out.contains(c)
            {
                out.push(c.clone());
            }
        }
        out
    }

    fn location(&mut self) -> Location {
        let i = self.area_dist.sample(&mut self.rng);
        let (postal, muni, centre) = self.areas[i.min(self.areas.len().saturating_sub(1))].clone();
        let lat = centre.lat() + self.rng.random_range(-0.01..0.01);
        let lon = centre.lon() + self.rng.random_range(-0.02..0.02);
        Location {
            address: Some(format!("{} {}", self.word(), self.rng.random_range(1..120))),
            postal_code: Some(postal),
            municipality: muni,
            point: LatLon::in_finland(lat, lon).ok(),
            ..Location::default()
        }
    }

    /// The next record: an organisation first, then about nine activities per organisation.
    pub fn next_record(&mut self) -> Record {
        let r = reference();
        let themes: Vec<String> = r.themes.iter().map(|t| t.code.clone()).collect();
        let groups: Vec<String> = r.target_groups.iter().map(|t| t.code.clone()).collect();
        let kinds: Vec<String> = r.kinds.iter().map(|t| t.code.clone()).collect();
        self.next += 1;
        let n = self.next;
        let day = self.rng.random_range(1..=28);
        let month = self.rng.random_range(1..=12);
        let year = self.rng.random_range(2023..=2026);
        let wn = self.rng.random_range(2..5);
        let name = self.sentence(wn).trim_end_matches('.').to_string();
        let dn = self.rng.random_range(8..40);
        let description = self.sentence(dn);
        let common = Common {
            id: format!("synth:{n}"),
            name: Localized::new().with(Lang::Fi, name),
            description: Localized::new().with(Lang::Fi, description),
            themes: self.pick(&themes, 3),
            target_groups: self.pick(&groups, 2),
            languages: vec!["fi".into()],
            updated_at: Some(format!("{year}-{month:02}-{day:02}")),
            source: Some("synthetic".into()),
            ..Common::default()
        };
        if self.org_ids.is_empty() || self.rng.random_ratio(1, 10) {
            let loc = self.location();
            self.org_ids.push(common.id.clone());
            Record::Organisation(Organisation {
                municipalities: vec![loc.municipality.clone()],
                locations: vec![loc],
                common,
                ..Organisation::default()
            })
        } else {
            let org = self.org_ids[self.rng.random_range(0..self.org_ids.len())].clone();
            let online = self.rng.random_ratio(1, 15);
            let kind = self.pick(&kinds, 1).pop();
            let st = self.rng.random_range(9..20);
            Record::Activity(Activity {
                organisation_id: org,
                kind,
                location: (!online).then(|| self.location()),
                online,
                free: self.rng.random_bool(0.6),
                accessible: self.rng.random_bool(0.4),
                schedule: Some(Schedule {
                    text: Localized::new()
                        .with(Lang::Fi, format!("Tiistaisin klo {st}-{}", st + 2)),
                    ..Schedule::default()
                }),
                common,
                ..Activity::default()
            })
        }
    }

    /// `count` records.
    pub fn records(&mut self, count: usize) -> Vec<Record> {
        (0..count).map(|_| self.next_record()).collect()
    }
}

fn fallback_dist() -> WeightedIndex<f64> {
    // A one-item distribution; `new` only fails on empty or invalid weights.
    match WeightedIndex::new([1.0]) {
        Ok(d) => d,
        Err(_) => unreachable!("a single positive weight is always valid"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_records() {
        let a = Generator::new(7).records(50);
        let b = Generator::new(7).records(50);
        assert_eq!(a, b);
        assert!(matches!(a[0], Record::Organisation(_)));
        let acts = a
            .iter()
            .filter(|r| matches!(r, Record::Activity(_)))
            .count();
        assert!(acts > 30, "{acts}");
    }
}
