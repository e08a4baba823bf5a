//! SQLite with FTS5 (tokenizer `unicode61`, diacritics kept, prefix indexes for autocomplete)
//! and an R*Tree for the points, in one database file.

use std::path::Path;
use std::time::Instant;

use rusqlite::functions::FunctionFlags;
use rusqlite::{Connection, params};
use tarjotin_core::geo::{BoundingBox, LatLon};

use super::postgres::LoadTimes;
use super::{Filters, PeerDoc, PeerError, PeerQuery, query_words};

/// bm25 column weights: name, description, place, tags. The same 1 : 0.4 : 0.2 : 0.1 ratio as
/// PostgreSQL's default weights for A, B, C and D.
const BM25: &str = "bm25(fts, 10.0, 4.0, 2.0, 1.0)";

const SCHEMA: &str = "
CREATE TABLE docs (
    rid INTEGER PRIMARY KEY,
    id TEXT NOT NULL,
    record_type TEXT NOT NULL,
    municipalities TEXT NOT NULL,
    themes TEXT NOT NULL,
    target_groups TEXT NOT NULL,
    kind TEXT,
    free INTEGER NOT NULL,
    accessible INTEGER NOT NULL,
    online INTEGER NOT NULL,
    lat REAL,
    lon REAL,
    doc TEXT NOT NULL
);
CREATE VIRTUAL TABLE fts USING fts5(
    name, description, place, tags,
    tokenize = 'unicode61 remove_diacritics 0',
    prefix = '2 3 4'
);
CREATE VIRTUAL TABLE geo USING rtree(rid, min_lat, max_lat, min_lon, max_lon);";

/// SQLite loaded with the documents.
pub struct SqlitePeer {
    conn: Connection,
}

/// `"a" "b"` (FTS5's implicit AND) or `"a" OR "b"`: every word quoted so that no query text is
/// read as FTS5 syntax.
pub fn match_expr(q: &str, any_word: bool) -> Option<String> {
    let words: Vec<String> = query_words(q)
        .into_iter()
        .map(|w| format!("\"{}\"", w.replace('"', "\"\"")))
        .collect();
    if words.is_empty() {
        return None;
    }
    Some(words.join(if any_word { " OR " } else { " " }))
}

/// `nuorten k` -> `"nuorten" "k"*`, the last word as a prefix, searched in the names.
pub fn prefix_expr(typed: &str) -> Option<String> {
    let words = query_words(typed);
    let (last, rest) = words.split_last()?;
    let mut parts: Vec<String> = rest.iter().map(|w| format!("\"{w}\"")).collect();
    parts.push(format!("\"{last}\"*"));
    Some(format!("name : ({})", parts.join(" ")))
}

/// Metres between two points; infinite when either is missing (records without a location).
fn distance_m(lat1: Option<f64>, lon1: Option<f64>, lat2: f64, lon2: f64) -> f64 {
    let (Some(lat1), Some(lon1)) = (lat1, lon1) else {
        return f64::INFINITY;
    };
    match (LatLon::new(lat1, lon1), LatLon::new(lat2, lon2)) {
        (Ok(a), Ok(b)) => a.distance_m(b),
        _ => f64::INFINITY,
    }
}

fn bbox(lat: f64, lon: f64, radius_km: f64) -> Result<BoundingBox, PeerError> {
    let c = LatLon::new(lat, lon).map_err(|e| PeerError::Setup(e.to_string()))?;
    Ok(BoundingBox::around(c, radius_km * 1000.0))
}

/// Runs a nearest-first circle query whose parameters are, in order: the FTS match (when the
/// query has one), the centre, the box around the circle and the radius in metres. Returns the
/// rows found (each row is read, as a client would).
fn circle_rows(
    st: &mut rusqlite::CachedStatement<'_>,
    fts_match: Option<&str>,
    (lat, lon): (f64, f64),
    b: &BoundingBox,
    radius_km: f64,
) -> Result<usize, PeerError> {
    let radius_m = radius_km * 1000.0;
    let mut args: Vec<&dyn rusqlite::ToSql> = Vec::with_capacity(8);
    if let Some(m) = &fts_match {
        args.push(m);
    }
    args.extend([
        &lat as &dyn rusqlite::ToSql,
        &lon,
        &b.min_lat,
        &b.max_lat,
        &b.min_lon,
        &b.max_lon,
        &radius_m,
    ]);
    let rows: Vec<(String, String)> = st
        .query_map(args.as_slice(), |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    Ok(rows.len())
}

impl SqlitePeer {
    /// Creates the database at `path` and loads the documents in one transaction.
    pub fn load(path: &Path, docs: &[PeerDoc]) -> Result<(SqlitePeer, LoadTimes), PeerError> {
        let conn = Connection::open(path)?;
        conn.execute_batch("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;")?;
        conn.execute_batch(SCHEMA)?;
        let t = Instant::now();
        conn.execute_batch("BEGIN")?;
        {
            let mut d_ins = conn.prepare(
                "INSERT INTO docs (rid, id, record_type, municipalities, themes, target_groups, \
                 kind, free, accessible, online, lat, lon, doc) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
            )?;
            let mut f_ins = conn.prepare(
                "INSERT INTO fts (rowid, name, description, place, tags) VALUES (?1, ?2, ?3, ?4, ?5)",
            )?;
            let mut g_ins = conn.prepare(
                "INSERT INTO geo (rid, min_lat, max_lat, min_lon, max_lon) VALUES (?1, ?2, ?2, ?3, ?3)",
            )?;
            for (i, d) in docs.iter().enumerate() {
                let rid = i as i64 + 1;
                d_ins.execute(params![
                    rid,
                    d.id,
                    d.record_type,
                    serde_json::to_string(&d.municipalities)?,
                    serde_json::to_string(&d.themes)?,
                    serde_json::to_string(&d.target_groups)?,
                    d.kind,
                    d.free,
                    d.accessible,
                    d.online,
                    d.point.map(|p| p.0),
                    d.point.map(|p| p.1),
                    d.json,
                ])?;
                f_ins.execute(params![rid, d.name, d.description, d.place, d.tags])?;
                if let Some((lat, lon)) = d.point {
                    g_ins.execute(params![rid, lat, lon])?;
                }
            }
        }
        conn.execute_batch("COMMIT")?;
        let load = t.elapsed();
        let t = Instant::now();
        conn.execute_batch(
            "CREATE UNIQUE INDEX docs_id ON docs (id);
             INSERT INTO fts (fts) VALUES ('optimize');
             ANALYZE;
             PRAGMA wal_checkpoint(TRUNCATE);",
        )?;
        let index = t.elapsed();
        let peer = SqlitePeer::with_functions(conn)?;
        Ok((peer, LoadTimes { load, index }))
    }

    /// Opens a database made by [`SqlitePeer::load`].
    pub fn open(path: &Path) -> Result<SqlitePeer, PeerError> {
        SqlitePeer::with_functions(Connection::open(path)?)
    }

    fn with_functions(conn: Connection) -> Result<SqlitePeer, PeerError> {
        conn.create_scalar_function(
            "distance_m",
            4,
            FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC,
            |ctx| {
                Ok(distance_m(
                    ctx.get(0)?,
                    ctx.get(1)?,
                    ctx.get(2)?,
                    ctx.get(3)?,
                ))
            },
        )?;
        Ok(SqlitePeer { conn })
    }

    /// Runs one benchmark request; returns the number of hits.
    pub fn run(&mut self, q: &PeerQuery) -> Result<usize, PeerError> {
        let c = &self.conn;
        match q {
            PeerQuery::Text(t) => {
                let Some(m) = match_expr(t, false) else {
                    return Ok(0);
                };
                // The page, then the total (bm25 cannot be used under a window function).
                let mut st = c.prepare_cached(&format!(
                    "SELECT d.id, d.doc FROM fts JOIN docs d ON d.rid = fts.rowid \
                     WHERE fts MATCH ?1 ORDER BY {BM25} LIMIT 10"
                ))?;
                let rows: Vec<(String, String)> = st
                    .query_map([&m], |r| Ok((r.get(0)?, r.get(1)?)))?
                    .collect::<Result<_, _>>()?;
                let mut count = c.prepare_cached("SELECT count(*) FROM fts WHERE fts MATCH ?1")?;
                let _total: i64 = count.query_row([&m], |r| r.get(0))?;
                Ok(rows.len())
            }
            PeerQuery::TextFacets(t) => {
                let Some(m) = match_expr(t, false) else {
                    return Ok(0);
                };
                // The matches once into a temporary table, then the page and three counts.
                c.execute_batch("DROP TABLE IF EXISTS temp.m")?;
                c.execute(
                    &format!(
                        "CREATE TEMP TABLE m AS SELECT fts.rowid AS rid, {BM25} AS r \
                         FROM fts WHERE fts MATCH ?1"
                    ),
                    [m],
                )?;
                let mut page = c.prepare_cached(
                    "SELECT d.id, d.doc FROM m JOIN docs d ON d.rid = m.rid ORDER BY m.r LIMIT 10",
                )?;
                let hits: Vec<(String, String)> = page
                    .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
                    .collect::<Result<_, _>>()?;
                let mut groups = 0usize;
                for sql in [
                    "SELECT j.value, count(*) FROM m JOIN docs d ON d.rid = m.rid, \
                     json_each(d.themes) j GROUP BY j.value",
                    "SELECT d.kind, count(*) FROM m JOIN docs d ON d.rid = m.rid \
                     WHERE d.kind IS NOT NULL GROUP BY d.kind",
                    "SELECT j.value, count(*) FROM m JOIN docs d ON d.rid = m.rid, \
                     json_each(d.municipalities) j GROUP BY j.value",
                ] {
                    let mut st = c.prepare_cached(sql)?;
                    let counts: Vec<(String, i64)> = st
                        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
                        .collect::<Result<_, _>>()?;
                    groups += counts.len();
                }
                if groups == 0 && !hits.is_empty() {
                    return Err(PeerError::Setup("matches without facet counts".into()));
                }
                Ok(hits.len())
            }
            PeerQuery::TextRadius {
                q,
                lat,
                lon,
                radius_km,
            } => {
                let Some(m) = match_expr(q, false) else {
                    return Ok(0);
                };
                let b = bbox(*lat, *lon, *radius_km)?;
                let mut st = c.prepare_cached(
                    "SELECT d.id, d.doc, distance_m(d.lat, d.lon, ?2, ?3) AS dist \
                     FROM fts JOIN docs d ON d.rid = fts.rowid \
                     WHERE fts MATCH ?1 AND d.rid IN (SELECT rid FROM geo \
                         WHERE min_lat >= ?4 AND max_lat <= ?5 AND min_lon >= ?6 AND max_lon <= ?7) \
                       AND dist <= ?8 \
                     ORDER BY dist LIMIT 10",
                )?;
                circle_rows(&mut st, Some(&m), (*lat, *lon), &b, *radius_km)
            }
            PeerQuery::Nearest { lat, lon } => {
                // The R*Tree has no nearest-neighbour search: widen a box until it holds ten
                // points within the circle it contains.
                let mut radius_km = 5.0;
                loop {
                    let b = bbox(*lat, *lon, radius_km)?;
                    let mut st = c.prepare_cached(
                        "SELECT d.id, d.doc, distance_m(d.lat, d.lon, ?1, ?2) AS dist \
                         FROM geo JOIN docs d ON d.rid = geo.rid \
                         WHERE geo.min_lat >= ?3 AND geo.max_lat <= ?4 \
                           AND geo.min_lon >= ?5 AND geo.max_lon <= ?6 AND dist <= ?7 \
                         ORDER BY dist LIMIT 10",
                    )?;
                    let found = circle_rows(&mut st, None, (*lat, *lon), &b, radius_km)?;
                    if found >= 10 || radius_km > 2000.0 {
                        return Ok(found);
                    }
                    radius_km *= 4.0;
                }
            }
            PeerQuery::Prefix(typed) => {
                let Some(m) = prefix_expr(typed) else {
                    return Ok(0);
                };
                let mut st = c.prepare_cached(&format!(
                    "SELECT d.id, d.doc FROM fts JOIN docs d ON d.rid = fts.rowid \
                     WHERE fts MATCH ?1 ORDER BY {BM25} LIMIT 10"
                ))?;
                let rows: Vec<(String, String)> = st
                    .query_map([m], |r| Ok((r.get(0)?, r.get(1)?)))?
                    .collect::<Result<_, _>>()?;
                Ok(rows.len())
            }
            PeerQuery::Get(id) => {
                let mut st = c.prepare_cached("SELECT doc FROM docs WHERE id = ?1")?;
                let rows: Vec<String> = st
                    .query_map([id], |r| r.get(0))?
                    .collect::<Result<_, _>>()?;
                Ok(rows.len())
            }
        }
    }

    /// Ids of the top 10 for a judged query, by bm25 with the filters in SQL.
    pub fn rank(&mut self, q: &str, f: &Filters, any_word: bool) -> Result<Vec<String>, PeerError> {
        let Some(m) = match_expr(q, any_word) else {
            return Ok(Vec::new());
        };
        let mut sql = String::from(
            "SELECT d.id FROM fts JOIN docs d ON d.rid = fts.rowid WHERE fts MATCH ?1",
        );
        let mut args: Vec<rusqlite::types::Value> = vec![m.into()];
        let mut arg = |sql: &mut String, clause: &str, v: rusqlite::types::Value| {
            args.push(v);
            sql.push_str(&clause.replace('?', &format!("?{}", args.len())));
        };
        let json = |v: &[String]| serde_json::to_string(v).unwrap_or_else(|_| "[]".into());
        if !f.municipalities.is_empty() {
            arg(
                &mut sql,
                " AND (EXISTS (SELECT 1 FROM json_each(d.municipalities) a, json_each(?) b \
                 WHERE a.value = b.value) OR (d.online AND d.municipalities = '[]'))",
                json(&f.municipalities).into(),
            );
        }
        for (col, v) in [("target_groups", &f.target_groups), ("themes", &f.themes)] {
            if !v.is_empty() {
                arg(
                    &mut sql,
                    &format!(
                        " AND EXISTS (SELECT 1 FROM json_each(d.{col}) a, json_each(?) b \
                         WHERE a.value = b.value)"
                    ),
                    json(v).into(),
                );
            }
        }
        if !f.kinds.is_empty() {
            arg(
                &mut sql,
                " AND d.kind IN (SELECT value FROM json_each(?))",
                json(&f.kinds).into(),
            );
        }
        for (col, v) in [
            ("free", f.free),
            ("accessible", f.accessible),
            ("online", f.online),
        ] {
            if let Some(b) = v {
                arg(&mut sql, &format!(" AND d.{col} = ?"), i64::from(b).into());
            }
        }
        if let Some((lat, lon, km)) = f.near {
            arg(&mut sql, " AND distance_m(d.lat, d.lon, ?", lat.into());
            arg(&mut sql, ", ?)", lon.into());
            arg(&mut sql, " <= ?", (km * 1000.0).into());
        }
        sql.push_str(&format!(" ORDER BY {BM25}, d.id LIMIT 10"));
        let mut st = self.conn.prepare(&sql)?;
        let ids: Vec<String> = st
            .query_map(rusqlite::params_from_iter(args.iter()), |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        Ok(ids)
    }

    /// Size of the database file in bytes.
    pub fn size_bytes(path: &Path) -> Result<u64, PeerError> {
        Ok(std::fs::metadata(path)?.len())
    }
}
