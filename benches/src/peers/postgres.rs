//! PostgreSQL 15 with the `finnish` text search configuration and PostGIS.
//!
//! [`PgServer`] runs a throw-away cluster in a temporary directory (loopback only, a free
//! non-default port, unix socket in the same directory) and stops it when dropped, also when the
//! harness fails. [`PgPeer`] loads documents with COPY, builds the GIN and GiST indexes after the
//! load, and answers the query classes with prepared statements.

use std::io::Write;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use postgres::{Client, NoTls, Statement};

use super::{Filters, PeerDoc, PeerError, PeerQuery, query_words};

/// The PostgreSQL 15 binaries of the Debian packages (`postgresql-15`, `postgresql-15-postgis-3`).
pub const PG_BIN: &str = "/usr/lib/postgresql/15/bin";

/// Memory settings for a 1M-document table on a machine with some GB of RAM (the defaults,
/// 128 MB of shared buffers and 64 MB for index builds, are sized for tiny machines).
const SETTINGS: &[(&str, &str)] = &[
    ("shared_buffers", "1GB"),
    ("maintenance_work_mem", "512MB"),
    ("work_mem", "32MB"),
    ("effective_cache_size", "4GB"),
    ("max_wal_size", "4GB"),
    ("jit", "off"),
];

/// A running temporary PostgreSQL cluster; stopped (fast shutdown) and deleted on drop.
pub struct PgServer {
    dir: tempfile::TempDir,
    data: PathBuf,
    pub port: u16,
    run_as: Option<String>,
}

fn free_port() -> Result<u16, PeerError> {
    let l = TcpListener::bind("127.0.0.1:0")?;
    Ok(l.local_addr()?.port())
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

impl PgServer {
    /// initdb + start. As root, runs the server as the `postgres` user (it refuses root).
    pub fn start() -> Result<PgServer, PeerError> {
        if !Path::new(PG_BIN).join("postgres").exists() {
            return Err(PeerError::Setup(format!(
                "{PG_BIN}/postgres not found: run benches/peers/setup-postgres.sh"
            )));
        }
        let dir = tempfile::Builder::new().prefix("tarjotin-pg-").tempdir()?;
        let run_as = is_root().then(|| "postgres".to_string());
        if let Some(user) = &run_as {
            let ok = Command::new("chown")
                .arg(format!("{user}:"))
                .arg(dir.path())
                .status()?
                .success();
            if !ok {
                return Err(PeerError::Setup(format!("chown to {user} failed")));
            }
        }
        let data = dir.path().join("data");
        let port = free_port()?;
        let server = PgServer {
            dir,
            data,
            port,
            run_as,
        };
        server.run(
            "initdb",
            &[
                "-D",
                &server.data.to_string_lossy(),
                "-U",
                "bench",
                "--auth=trust",
                "-E",
                "UTF8",
                "--locale=C.UTF-8",
            ],
        )?;
        let mut opts = format!(
            "-c listen_addresses=127.0.0.1 -p {} -k {}",
            server.port,
            server.dir.path().display()
        );
        for (k, v) in SETTINGS {
            opts.push_str(&format!(" -c {k}={v}"));
        }
        let log = server.dir.path().join("server.log");
        let started = server.run(
            "pg_ctl",
            &[
                "-D",
                &server.data.to_string_lossy(),
                "-l",
                &log.to_string_lossy(),
                "-w",
                "-t",
                "120",
                "-o",
                &opts,
                "start",
            ],
        );
        if let Err(e) = started {
            let tail = std::fs::read_to_string(&log).unwrap_or_default();
            return Err(PeerError::Setup(format!("{e}\n{tail}")));
        }
        Ok(server)
    }

    fn run(&self, bin: &str, args: &[&str]) -> Result<(), PeerError> {
        let path = Path::new(PG_BIN).join(bin);
        let mut cmd = match &self.run_as {
            Some(user) => {
                let mut c = Command::new("runuser");
                c.arg("-u").arg(user).arg("--").arg(&path);
                c
            }
            None => Command::new(&path),
        };
        let out = cmd.args(args).stdin(Stdio::null()).output()?;
        if out.status.success() {
            Ok(())
        } else {
            Err(PeerError::Setup(format!(
                "{bin} failed: {}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            )))
        }
    }

    /// A new connection over loopback TCP.
    pub fn connect(&self) -> Result<Client, PeerError> {
        connect(self.port)
    }

    /// The postmaster's pid (first line of postmaster.pid).
    pub fn pid(&self) -> Option<u32> {
        std::fs::read_to_string(self.data.join("postmaster.pid"))
            .ok()?
            .lines()
            .next()?
            .trim()
            .parse()
            .ok()
    }

    /// Proportional set size (kB) of the postmaster and all its children: shared buffers are
    /// counted once, not once per backend as RSS would.
    pub fn memory_pss_kb(&self) -> Option<u64> {
        let root = self.pid()?;
        let mut total = crate::proc_mem_kb(root, "Pss:")?;
        for child in crate::child_pids(root) {
            total += crate::proc_mem_kb(child, "Pss:").unwrap_or(0);
        }
        Some(total)
    }
}

impl Drop for PgServer {
    fn drop(&mut self) {
        let _ = self.run(
            "pg_ctl",
            &[
                "-D",
                &self.data.to_string_lossy(),
                "-m",
                "fast",
                "-w",
                "stop",
            ],
        );
    }
}

/// A connection to the benchmark cluster on `port` (loopback TCP, as an application would).
pub fn connect(port: u16) -> Result<Client, PeerError> {
    Ok(Client::connect(
        &format!("host=127.0.0.1 port={port} user=bench dbname=postgres"),
        NoTls,
    )?)
}

/// Escapes a value for COPY's text format.
fn copy_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c => out.push(c),
        }
    }
    out
}

/// A text[] literal of vocabulary codes, escaped for COPY.
fn copy_array(v: &[String]) -> String {
    let items: Vec<String> = v
        .iter()
        .map(|s| format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\"")))
        .collect();
    copy_text(&format!("{{{}}}", items.join(",")))
}

const SCHEMA: &str = "
CREATE EXTENSION IF NOT EXISTS postgis;
DROP TABLE IF EXISTS docs;
CREATE TABLE docs (
    id text NOT NULL,
    record_type text NOT NULL,
    name text NOT NULL,
    description text NOT NULL,
    place text NOT NULL,
    tags text NOT NULL,
    municipalities text[] NOT NULL,
    themes text[] NOT NULL,
    target_groups text[] NOT NULL,
    kind text,
    free boolean NOT NULL,
    accessible boolean NOT NULL,
    online boolean NOT NULL,
    geog geography(Point, 4326),
    doc jsonb NOT NULL,
    tsv tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('finnish', name), 'A') ||
        setweight(to_tsvector('finnish', description), 'B') ||
        setweight(to_tsvector('finnish', place), 'C') ||
        setweight(to_tsvector('finnish', tags), 'D')
    ) STORED
);";

const INDEXES: &str = "
ALTER TABLE docs ADD PRIMARY KEY (id);
CREATE INDEX docs_tsv ON docs USING gin (tsv);
CREATE INDEX docs_geog ON docs USING gist (geog);";

/// Statements of the query classes, prepared once.
struct Prepared {
    text: Statement,
    facets: Statement,
    radius: Statement,
    nearest: Statement,
    prefix: Statement,
    get: Statement,
}

/// PostgreSQL loaded with the documents.
pub struct PgPeer {
    client: Client,
    prepared: Option<Prepared>,
}

/// Build timings of a peer.
#[derive(Debug, Clone, Copy)]
pub struct LoadTimes {
    pub load: Duration,
    pub index: Duration,
}

impl PgPeer {
    /// Creates the table, COPYs the documents in one transaction, then builds the indexes.
    pub fn load(mut client: Client, docs: &[PeerDoc]) -> Result<(PgPeer, LoadTimes), PeerError> {
        client.batch_execute(SCHEMA)?;
        let t = Instant::now();
        let mut tx = client.transaction()?;
        {
            let mut w = tx.copy_in(
                "COPY docs (id, record_type, name, description, place, tags, municipalities, \
                 themes, target_groups, kind, free, accessible, online, geog, doc) FROM STDIN",
            )?;
            let mut line = String::new();
            for d in docs {
                line.clear();
                let fields = [
                    copy_text(&d.id),
                    d.record_type.to_string(),
                    copy_text(&d.name),
                    copy_text(&d.description),
                    copy_text(&d.place),
                    copy_text(&d.tags),
                    copy_array(&d.municipalities),
                    copy_array(&d.themes),
                    copy_array(&d.target_groups),
                    d.kind
                        .as_deref()
                        .map(copy_text)
                        .unwrap_or_else(|| "\\N".into()),
                    d.free.to_string(),
                    d.accessible.to_string(),
                    d.online.to_string(),
                    d.point
                        .map(|(lat, lon)| format!("SRID=4326;POINT({lon} {lat})"))
                        .unwrap_or_else(|| "\\N".into()),
                    copy_text(&d.json),
                ];
                line.push_str(&fields.join("\t"));
                line.push('\n');
                w.write_all(line.as_bytes())?;
            }
            w.finish()?;
        }
        tx.commit()?;
        let load = t.elapsed();
        let t = Instant::now();
        client.batch_execute(INDEXES)?;
        // On its own: VACUUM cannot run inside the implicit transaction of a multi-statement batch.
        client.batch_execute("VACUUM ANALYZE docs")?;
        let index = t.elapsed();
        Ok((
            PgPeer {
                client,
                prepared: None,
            },
            LoadTimes { load, index },
        ))
    }

    /// A peer over a table loaded earlier.
    pub fn open(client: Client) -> PgPeer {
        PgPeer {
            client,
            prepared: None,
        }
    }

    /// Table + indexes + TOAST, in bytes.
    pub fn size_bytes(&mut self) -> Result<i64, PeerError> {
        Ok(self
            .client
            .query_one("SELECT pg_total_relation_size('docs')", &[])?
            .get(0))
    }

    fn prepare(&mut self) -> Result<(), PeerError> {
        if self.prepared.is_some() {
            return Ok(());
        }
        let c = &mut self.client;
        let text = c.prepare(
            "SELECT d.id, d.doc::text, count(*) OVER () AS total
             FROM docs d, websearch_to_tsquery('finnish', $1) q
             WHERE d.tsv @@ q
             ORDER BY ts_rank_cd(d.tsv, q) DESC
             LIMIT 10",
        )?;
        let facets = c.prepare(
            "WITH m AS MATERIALIZED (
                 SELECT d.id, d.themes, d.kind, d.municipalities, ts_rank_cd(d.tsv, q) AS r
                 FROM docs d, websearch_to_tsquery('finnish', $1) q
                 WHERE d.tsv @@ q)
             SELECT
                 (SELECT count(*) FROM m),
                 (SELECT json_agg(x.doc)::text FROM (
                     SELECT d.doc FROM (SELECT id, r FROM m ORDER BY r DESC LIMIT 10) t
                     JOIN docs d USING (id) ORDER BY t.r DESC) x),
                 (SELECT json_object_agg(v, n)::text FROM (
                     SELECT v, count(*) AS n FROM m, unnest(m.themes) v GROUP BY v) a),
                 (SELECT json_object_agg(kind, n)::text FROM (
                     SELECT kind, count(*) AS n FROM m WHERE kind IS NOT NULL GROUP BY kind) b),
                 (SELECT json_object_agg(v, n)::text FROM (
                     SELECT v, count(*) AS n FROM m, unnest(m.municipalities) v GROUP BY v) c)",
        )?;
        let radius = c.prepare(
            "SELECT d.id, d.doc::text, ST_Distance(d.geog, p.g) AS dist
             FROM docs d, websearch_to_tsquery('finnish', $1) q,
                  (SELECT ST_SetSRID(ST_MakePoint($3, $2), 4326)::geography AS g) p
             WHERE d.tsv @@ q AND ST_DWithin(d.geog, p.g, $4)
             ORDER BY d.geog <-> p.g
             LIMIT 10",
        )?;
        let nearest = c.prepare(
            "SELECT d.id, d.doc::text
             FROM docs d
             WHERE d.geog IS NOT NULL
             ORDER BY d.geog <-> ST_SetSRID(ST_MakePoint($2, $1), 4326)::geography
             LIMIT 10",
        )?;
        let prefix = c.prepare(
            "SELECT d.id, d.name
             FROM docs d, to_tsquery('finnish', $1) q
             WHERE d.tsv @@ q
             ORDER BY ts_rank_cd(d.tsv, q) DESC
             LIMIT 10",
        )?;
        let get = c.prepare("SELECT d.doc::text FROM docs d WHERE d.id = $1")?;
        self.prepared = Some(Prepared {
            text,
            facets,
            radius,
            nearest,
            prefix,
            get,
        });
        Ok(())
    }

    /// Runs one benchmark request; returns the number of hits (or facet-bearing rows).
    pub fn run(&mut self, q: &PeerQuery) -> Result<usize, PeerError> {
        self.prepare()?;
        let Some(p) = &self.prepared else {
            return Err(PeerError::Setup("statements not prepared".into()));
        };
        let c = &mut self.client;
        let n = match q {
            PeerQuery::Text(t) => c.query(&p.text, &[t])?.len(),
            PeerQuery::TextFacets(t) => {
                let row = c.query_one(&p.facets, &[t])?;
                // The page comes back as one JSON array, decoded as a client would.
                let hits: Option<String> = row.get(1);
                match hits {
                    Some(h) => serde_json::from_str::<Vec<serde_json::Value>>(&h)?.len(),
                    None => 0,
                }
            }
            PeerQuery::TextRadius {
                q,
                lat,
                lon,
                radius_km,
            } => c
                .query(&p.radius, &[q, lat, lon, &(radius_km * 1000.0)])?
                .len(),
            PeerQuery::Nearest { lat, lon } => c.query(&p.nearest, &[lat, lon])?.len(),
            PeerQuery::Prefix(typed) => {
                let Some(tsq) = prefix_tsquery(typed) else {
                    return Ok(0);
                };
                c.query(&p.prefix, &[&tsq])?.len()
            }
            PeerQuery::Get(id) => c.query(&p.get, &[id])?.len(),
        };
        Ok(n)
    }

    /// Ids of the top 10 for a judged query: `websearch_to_tsquery('finnish', q)` ranked by
    /// `ts_rank_cd`, with the structured filters in SQL. `any_word` turns the AND of the words
    /// into OR (a more forgiving variant, reported separately).
    pub fn rank(&mut self, q: &str, f: &Filters, any_word: bool) -> Result<Vec<String>, PeerError> {
        let tsq = if any_word {
            "replace(websearch_to_tsquery('finnish', $1)::text, ' & ', ' | ')::tsquery"
        } else {
            "websearch_to_tsquery('finnish', $1)"
        };
        let mut sql = format!(
            "SELECT d.id FROM docs d, (SELECT {tsq} AS q) w \
             WHERE d.tsv @@ w.q"
        );
        let mut params: Vec<Box<dyn postgres::types::ToSql + Sync>> = vec![Box::new(q.to_string())];
        let mut arg =
            |sql: &mut String, clause: &str, v: Box<dyn postgres::types::ToSql + Sync>| {
                params.push(v);
                sql.push_str(&clause.replace('?', &format!("${}", params.len())));
            };
        let array_filters = [
            (
                &f.municipalities,
                " AND (d.municipalities && ?::text[] OR (d.online AND cardinality(d.municipalities) = 0))",
            ),
            (&f.target_groups, " AND d.target_groups && ?::text[]"),
            (&f.themes, " AND d.themes && ?::text[]"),
            (&f.kinds, " AND d.kind = ANY(?::text[])"),
        ];
        for (values, clause) in array_filters {
            if !values.is_empty() {
                arg(&mut sql, clause, Box::new(values.clone()));
            }
        }
        let flag_filters = [
            (f.free, " AND d.free = ?"),
            (f.accessible, " AND d.accessible = ?"),
            (f.online, " AND d.online = ?"),
        ];
        for (value, clause) in flag_filters {
            if let Some(b) = value {
                arg(&mut sql, clause, Box::new(b));
            }
        }
        if let Some((lat, lon, km)) = f.near {
            arg(
                &mut sql,
                " AND ST_DWithin(d.geog, ST_SetSRID(ST_MakePoint(?",
                Box::new(lon),
            );
            arg(&mut sql, ", ?), 4326)::geography", Box::new(lat));
            arg(&mut sql, ", ?)", Box::new(km * 1000.0));
        }
        sql.push_str(" ORDER BY ts_rank_cd(d.tsv, w.q) DESC, d.id LIMIT 10");
        let refs: Vec<&(dyn postgres::types::ToSql + Sync)> =
            params.iter().map(|b| b.as_ref()).collect();
        Ok(self
            .client
            .query(&sql, &refs)?
            .iter()
            .map(|r| r.get(0))
            .collect())
    }
}

/// `nuorten k` -> `nuorten & k:*` for `to_tsquery`; `None` when nothing is left.
pub fn prefix_tsquery(typed: &str) -> Option<String> {
    let words = query_words(typed);
    let (last, rest) = words.split_last()?;
    let mut parts: Vec<String> = rest.to_vec();
    parts.push(format!("{last}:*"));
    Some(parts.join(" & "))
}
