//! Integration tests of the `indexer` binary: one test binary, each test runs the real binary.

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tarjotin_core::import::ImportReport;
use tarjotin_core::model::Record;
use tarjotin_core::search::Engine;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("workspace root")
        .to_path_buf()
}

fn data(rel: &str) -> PathBuf {
    repo().join("data").join(rel)
}

fn indexer() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_indexer"));
    c.env_remove("TARJOTIN_LOG");
    c
}

fn run(args: &[&str]) -> Output {
    indexer().args(args).output().expect("run indexer")
}

fn run_in(dir: &Path, args: &[&str]) -> Output {
    indexer()
        .current_dir(dir)
        .args(args)
        .output()
        .expect("run indexer")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[track_caller]
fn ok(out: &Output) -> String {
    assert!(
        out.status.success(),
        "exit {:?}\nstdout:\n{}\nstderr:\n{}",
        out.status.code(),
        text(&out.stdout),
        text(&out.stderr)
    );
    text(&out.stdout)
}

fn no_panic(out: &Output) {
    let err = text(&out.stderr);
    assert!(!err.contains("panicked"), "{err}");
}

fn p(path: &Path) -> &str {
    path.to_str().expect("utf-8 path")
}

/// Builds an index from `lines` (NDJSON) in `dir/name`.
fn build_index(dir: &Path, name: &str, lines: &str) -> PathBuf {
    let input = dir.join(format!("{name}.ndjson"));
    std::fs::write(&input, lines).unwrap();
    let index = dir.join(name);
    ok(&run(&["build", "--index-dir", p(&index), p(&input)]));
    index
}

/// Document count and a checksum of the sorted ids of the published index.
fn fingerprint(index: &Path) -> (u64, u64, String) {
    let engine = Engine::open(index).expect("published index opens");
    let mut ids: Vec<String> = engine
        .all_records()
        .unwrap()
        .iter()
        .map(|r| r.id().to_string())
        .collect();
    ids.sort();
    let mut h = DefaultHasher::new();
    ids.hash(&mut h);
    (
        engine.doc_count(),
        h.finish(),
        engine.meta().generation.clone(),
    )
}

fn ids(index: &Path) -> Vec<String> {
    let engine = Engine::open(index).unwrap();
    let mut v: Vec<String> = engine
        .all_records()
        .unwrap()
        .iter()
        .map(|r| r.id().to_string())
        .collect();
    v.sort();
    v
}

const IN_INDEX_ORG: &str =
    r#"{"type":"organisation","id":"local:in-index","name":{"fi":"Indeksissä ry"}}"#;

#[test]
fn validate_mixed_matches_the_expected_errors() {
    let tmp = tempfile::tempdir().unwrap();
    let index = build_index(tmp.path(), "existing", IN_INDEX_ORG);
    let fixtures = data("fixtures/import");
    let out = run_in(
        &fixtures,
        &["validate", "--existing-index", p(&index), "mixed.ndjson"],
    );
    let stdout = ok(&out);
    let stderr = text(&out.stderr);
    let errors: String = stderr
        .lines()
        .filter(|l| !l.ends_with("(warning)"))
        .map(|l| format!("{l}\n"))
        .collect();
    let expected = std::fs::read_to_string(fixtures.join("mixed.errors.txt")).unwrap();
    assert_eq!(errors, expected);
    assert!(stderr.contains("mixed.ndjson:8: extra_field: unknown field, ignored (warning)"));
    assert_eq!(
        stdout.trim(),
        "1 file: 11 read, 5 indexed, 6 skipped, 7 errors, 1 warning"
    );
    // Without the index, line 12's organisation is unknown: an eighth error.
    let out = run_in(&fixtures, &["validate", "mixed.ndjson"]);
    assert!(ok(&out).contains("11 read, 4 indexed, 7 skipped, 8 errors"));
    assert!(
        text(&out.stderr)
            .contains("mixed.ndjson:12: organisation_id: unknown organisation \"local:in-index\"")
    );
}

#[test]
fn max_errors_sets_the_exit_code() {
    let mixed = data("fixtures/import/mixed.ndjson");
    let code = |extra: &[&str]| {
        let mut args = vec!["validate"];
        args.extend_from_slice(extra);
        args.push(p(&mixed));
        let out = run(&args);
        no_panic(&out);
        out.status.code()
    };
    assert_eq!(
        code(&[]),
        Some(0),
        "errors below no threshold are not fatal"
    );
    assert_eq!(code(&["--max-errors", "8"]), Some(0));
    assert_eq!(code(&["--max-errors", "7"]), Some(1));
    assert_eq!(code(&["--max-errors", "0"]), Some(1));
    // A clean file passes --max-errors 0.
    assert_eq!(
        run(&[
            "validate",
            "--max-errors",
            "0",
            p(&data("eval/corpus.ndjson"))
        ])
        .status
        .code(),
        Some(0)
    );
    // A build over the threshold publishes nothing.
    let tmp = tempfile::tempdir().unwrap();
    let index = tmp.path().join("idx");
    let out = run(&[
        "build",
        "--index-dir",
        p(&index),
        "--max-errors",
        "0",
        p(&mixed),
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(!index.join("CURRENT").exists());
}

#[test]
fn json_report_parses_and_adds_up() {
    let tmp = tempfile::tempdir().unwrap();
    let mixed = data("fixtures/import/mixed.ndjson");
    let bom = data("fixtures/import/bom_crlf.ndjson");
    let out = run(&["validate", "--report", "json", p(&mixed), p(&bom)]);
    let report: ImportReport = serde_json::from_str(&ok(&out)).expect("stdout is one JSON report");
    assert_eq!(report.files.len(), 2);
    assert_eq!(report.read, report.indexed + report.skipped);
    assert_eq!((report.read, report.indexed, report.skipped), (13, 6, 7));
    assert_eq!(report.error_count, 8);
    assert_eq!(report.errors.len(), 8);
    assert_eq!(report.warnings, 1);
    // --report-file writes the same report and keeps stdout human.
    let file = tmp.path().join("r.json");
    let out = run(&["validate", "--report-file", p(&file), p(&mixed), p(&bom)]);
    assert!(ok(&out).contains("13 read, 6 indexed, 7 skipped, 8 errors"));
    let from_file: ImportReport =
        serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    assert_eq!(from_file, report);
}

#[test]
fn hostile_inputs_are_reported_never_a_panic() {
    let tmp = tempfile::tempdir().unwrap();
    // Truncated JSON at the end of a file with no final newline.
    let truncated = tmp.path().join("truncated.ndjson");
    std::fs::write(
        &truncated,
        format!(
            "{IN_INDEX_ORG}\n{{\"type\":\"organisation\",\"id\":\"local:t\",\"name\":{{\"fi\":\"Kes"
        ),
    )
    .unwrap();
    // A 50 MB line between two good lines.
    let huge = tmp.path().join("huge.ndjson");
    {
        let mut f = std::io::BufWriter::new(std::fs::File::create(&huge).unwrap());
        writeln!(
            f,
            r#"{{"type":"organisation","id":"local:before","name":{{"fi":"Ennen ry"}}}}"#
        )
        .unwrap();
        f.write_all(br#"{"type":"organisation","id":"local:huge","name":{"fi":""#)
            .unwrap();
        let chunk = vec![b'a'; 1 << 20];
        for _ in 0..50 {
            f.write_all(&chunk).unwrap();
        }
        f.write_all(b"\"}}\n").unwrap();
        writeln!(
            f,
            r#"{{"type":"organisation","id":"local:after","name":{{"fi":"Jälkeen ry"}}}}"#
        )
        .unwrap();
    }
    let invalid = data("fixtures/import/invalid_utf8.ndjson");
    let started = Instant::now();
    let out = run(&[
        "validate",
        "--max-errors",
        "3",
        p(&invalid),
        p(&truncated),
        p(&huge),
    ]);
    no_panic(&out);
    let stdout = ok(&out);
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("invalid_utf8.ndjson:2: -: invalid UTF-8 at byte 65"),
        "{stderr}"
    );
    assert!(stderr.contains("truncated.ndjson:2: "), "{stderr}");
    assert!(stderr.contains("huge.ndjson:2: -: line is 5"), "{stderr}");
    assert!(
        stdout.contains("3 files: 8 read, 5 indexed, 3 skipped, 3 errors"),
        "{stdout}"
    );
    assert!(started.elapsed() < Duration::from_secs(30));
    // Over the threshold: exit 1, still no panic.
    let out = run(&[
        "validate",
        "--max-errors",
        "2",
        p(&invalid),
        p(&truncated),
        p(&huge),
    ]);
    no_panic(&out);
    assert_eq!(out.status.code(), Some(1));
    // A missing file is an error of the run, not a crash.
    let out = run(&["validate", p(&tmp.path().join("missing.ndjson"))]);
    no_panic(&out);
    assert!(text(&out.stderr).contains("missing.ndjson:0: -: cannot open"));
}

#[test]
fn build_search_stats_and_schema_mismatch() {
    let tmp = tempfile::tempdir().unwrap();
    let index = tmp.path().join("idx");
    let out = run(&[
        "build",
        "--index-dir",
        p(&index),
        p(&data("eval/corpus.ndjson")),
    ]);
    let stdout = ok(&out);
    assert!(stdout.contains("645 read, 645 indexed"), "{stdout}");
    assert!(
        stdout.contains("645 documents") && stdout.contains("docs/s"),
        "{stdout}"
    );

    let out = run(&[
        "search",
        "--index-dir",
        p(&index),
        "--limit",
        "5",
        "vertaistuki Kuopiossa",
    ]);
    let stdout = ok(&out);
    let top: Vec<&str> = stdout.lines().filter(|l| l.contains("local:")).collect();
    assert!(
        top.iter()
            .take(3)
            .any(|l| l.contains("local:savon-omaishoitajat/vertaisryhma-kuopio")),
        "{stdout}"
    );
    assert!(stdout.contains("places:   Kuopio (297)"), "{stdout}");
    assert!(stdout.contains("why: "), "{stdout}");
    // Filters: municipality by name, near with a radius.
    let out = run(&[
        "search",
        "--index-dir",
        p(&index),
        "--municipality",
        "Kuopio",
        "--json",
        "vertaistuki",
    ]);
    let json: serde_json::Value = serde_json::from_str(&ok(&out)).unwrap();
    assert!(json["hits"].as_array().is_some_and(|h| !h.is_empty()));
    assert_eq!(json["hits"][0]["municipality"]["code"], "297", "{json}");
    for hit in json["hits"].as_array().unwrap() {
        let code = &hit["municipality"]["code"];
        assert!(code.is_null() || code == "297", "{hit}");
    }
    let out = run(&[
        "search",
        "--index-dir",
        p(&index),
        "--near",
        "62.89,27.68",
        "--radius-km",
        "20",
        "omaishoitajat",
    ]);
    assert!(ok(&out).contains("km]"));
    let out = run(&[
        "search",
        "--index-dir",
        p(&index),
        "--municipality",
        "Atlantis",
        "x",
    ]);
    assert_eq!(out.status.code(), Some(2));

    let out = run(&["stats", "--index-dir", p(&index)]);
    let stdout = ok(&out);
    assert!(
        stdout.contains("documents:      645 (165 organisations, 480 activities)"),
        "{stdout}"
    );
    assert!(stdout.contains("top municipalities:") && stdout.contains("top themes:"));
    assert!(stdout.contains("stale records"), "{stdout}");
    let out = run(&["stats", "--index-dir", p(&index), "--json"]);
    let stats: serde_json::Value = serde_json::from_str(&ok(&out)).unwrap();
    assert_eq!(stats["documents"], 645);
    assert!(stats["schema_version"].as_u64().is_some());

    // A copy whose schema version is not ours is refused with advice.
    let copy = tmp.path().join("copy");
    copy_dir(&index, &copy);
    let current = std::fs::read_to_string(copy.join("CURRENT")).unwrap();
    let meta_path = copy
        .join("generations")
        .join(current.trim())
        .join("tarjotin.json");
    let mut meta: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&meta_path).unwrap()).unwrap();
    meta["schema_version"] = serde_json::json!(9999);
    std::fs::write(&meta_path, meta.to_string()).unwrap();
    for args in [
        vec!["search", "--index-dir", p(&copy), "kuoro"],
        vec!["stats", "--index-dir", p(&copy)],
    ] {
        let out = run(&args);
        assert_eq!(out.status.code(), Some(2));
        let err = text(&out.stderr);
        assert!(err.contains("schema version 9999"), "{err}");
        assert!(err.contains("rebuild it with `indexer build`"), "{err}");
    }
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), target).unwrap();
        }
    }
}

#[test]
fn apply_upserts_and_deletes() {
    let tmp = tempfile::tempdir().unwrap();
    let corpus = std::fs::read_to_string(data("eval/corpus.ndjson")).unwrap();
    let index = build_index(tmp.path(), "idx", &corpus);
    let before = ids(&index);
    let savon: Vec<&String> = before
        .iter()
        .filter(|i| i.starts_with("local:savon-omaishoitajat"))
        .collect();
    assert_eq!(savon.len(), 6);
    let changes = tmp.path().join("changes.ndjson");
    std::fs::write(
        &changes,
        concat!(
            r#"{"type":"activity","id":"local:new/kuoro","organisation_id":"local:in-index","name":{"fi":"Uusi kuoro"}}"#,
            "\n",
            r#"{"type":"organisation","id":"local:in-index","name":{"fi":"Indeksissä ry"}}"#,
            "\n",
            r#"{"type":"delete","id":"local:savon-omaishoitajat","of":"organisation"}"#,
            "\n",
            r#"{"type":"activity","id":"local:orphan","organisation_id":"local:nowhere","name":{"fi":"Orpo"}}"#,
            "\n",
        ),
    )
    .unwrap();
    let out = run(&["apply", "--index-dir", p(&index), p(&changes)]);
    let stdout = ok(&out);
    assert!(
        stdout.contains("4 read, 3 indexed, 1 skipped, 1 error"),
        "{stdout}"
    );
    assert!(text(&out.stderr).contains("changes.ndjson:4: organisation_id: unknown organisation"));
    let after = ids(&index);
    assert!(after.contains(&"local:new/kuoro".to_string()));
    assert!(after.contains(&"local:in-index".to_string()));
    assert!(
        !after
            .iter()
            .any(|i| i.starts_with("local:savon-omaishoitajat")),
        "an organisation delete removes its activities"
    );
    assert_eq!(after.len(), before.len() + 2 - 6);
    // A second apply can refer to the organisation now in the index.
    std::fs::write(
        &changes,
        r#"{"type":"activity","id":"local:new/kuoro2","organisation_id":"local:in-index","name":{"fi":"Toinen kuoro"}}"#,
    )
    .unwrap();
    ok(&run(&[
        "apply",
        "--index-dir",
        p(&index),
        "--max-errors",
        "0",
        p(&changes),
    ]));
    assert!(ids(&index).contains(&"local:new/kuoro2".to_string()));
    // Apply on an empty directory says what to do.
    let out = run(&[
        "apply",
        "--index-dir",
        p(&tmp.path().join("none")),
        p(&changes),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("build one with `indexer build`"));
}

#[test]
fn import_converts_the_sources() {
    let tmp = tempfile::tempdir().unwrap();
    let convert = |source: &str, file: PathBuf| -> Vec<Record> {
        let out_path = tmp.path().join(format!("{source}.ndjson"));
        let out = run(&["import", source, p(&file), "--out", p(&out_path)]);
        ok(&out);
        no_panic(&out);
        std::fs::read_to_string(&out_path)
            .unwrap()
            .lines()
            .map(|l| {
                tarjotin_core::validate::parse_record(l)
                    .expect("valid import line")
                    .record
            })
            .collect()
    };
    let le = convert(
        "linkedevents",
        data("formats/linkedevents/turku_event_list_sample.json"),
    );
    assert!(le.iter().any(|r| r.id() == "le:turku:991417"));
    assert!(le.iter().any(|r| matches!(r, Record::Organisation(_))));
    let ptv = convert(
        "ptv",
        data("formats/ptv/ptv_v11_organization_servicechannels_sample.json"),
    );
    assert!(ptv.iter().all(|r| r.id().starts_with("ptv:")) && !ptv.is_empty());
    let csv = convert("csv", data("templates/activities-template.csv"));
    assert_eq!(csv.len(), 3, "two activities and their organisation");
    // Problems are printed with their location.
    let out = run(&[
        "import",
        "ptv",
        p(&data(
            "formats/ptv/ptv_v11_organization_servicechannels_sample.json",
        )),
        "--out",
        "-",
    ]);
    assert!(
        text(&out.stderr)
            .contains("ptv_v11_organization_servicechannels_sample.json:itemList[0]: warning:")
    );
    // build reads the sources through the adapters (and merges records of several files).
    let index = tmp.path().join("idx");
    let out = run(&[
        "build",
        "--index-dir",
        p(&index),
        p(&data("templates/activities-template.csv")),
        p(&tmp.path().join("linkedevents.ndjson")),
    ]);
    let stdout = ok(&out);
    assert!(stdout.contains("2 files: 5 read, 5 indexed"), "{stdout}");
    let out = run(&[
        "build",
        "--index-dir",
        p(&index),
        "--format",
        "linkedevents",
        p(&data("formats/linkedevents/turku_event_list_sample.json")),
    ]);
    assert!(ok(&out).contains("2 documents"));
    // A .json file without --format is a usage error.
    let out = run(&[
        "build",
        "--index-dir",
        p(&index),
        p(&data(
            "formats/ptv/ptv_v11_organization_servicechannels_sample.json",
        )),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("--format ptv"));
}

/// Serves `pages` (path substring → body) on loopback; records every request line.
fn serve(pages: Arc<Mutex<Vec<(String, String)>>>) -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&seen);
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut request = String::new();
            if reader.read_line(&mut request).is_err() {
                continue;
            }
            loop {
                let mut h = String::new();
                if reader.read_line(&mut h).is_err() || h.trim().is_empty() {
                    break;
                }
            }
            let path = request.split_whitespace().nth(1).unwrap_or("").to_string();
            log.lock().unwrap().push(path.clone());
            let body = pages
                .lock()
                .unwrap()
                .iter()
                .find(|(k, _)| path.contains(k.as_str()))
                .map(|(_, b)| b.clone());
            let response = match body {
                Some(b) => format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{b}",
                    b.len()
                ),
                None => "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                    .into(),
            };
            let _ = stream.write_all(response.as_bytes());
        }
    });
    (base, seen)
}

#[test]
fn sync_linkedevents_over_loopback() {
    let tmp = tempfile::tempdir().unwrap();
    let index = build_index(tmp.path(), "idx", IN_INDEX_ORG);
    let sample: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(data("formats/linkedevents/turku_event_list_sample.json"))
            .unwrap(),
    )
    .unwrap();
    let pages = Arc::new(Mutex::new(Vec::new()));
    let (base, seen) = serve(Arc::clone(&pages));
    let mut page1 = sample.clone();
    page1["meta"]["next"] = serde_json::json!(format!("{base}/v1/event/?page=2"));
    let mut page2 = sample.clone();
    page2["meta"]["next"] = serde_json::Value::Null;
    let ev = &mut page2["data"][0];
    ev["id"] = serde_json::json!("turku:991418");
    ev["@id"] = serde_json::json!("https://linkedevents-api.turku.fi/v1/event/turku:991418/");
    ev["super_event"] = serde_json::Value::Null;
    ev["name"]["fi"] = serde_json::json!("Syysillan vesijumppa");
    {
        let mut p = pages.lock().unwrap();
        p.push(("page=2".into(), page2.to_string()));
        p.push(("/v1/event/".into(), page1.to_string()));
    }
    let url = format!("{base}/v1/event/");
    let out = run(&[
        "sync",
        "linkedevents",
        "--url",
        &url,
        "--since",
        "2026-11-01T00:00:00Z",
        "--index-dir",
        p(&index),
    ]);
    let stdout = ok(&out);
    assert!(stdout.contains("synced, published"), "{stdout}");
    let requests = seen.lock().unwrap().clone();
    assert_eq!(requests.len(), 2, "{requests:?}");
    assert_eq!(
        requests[0],
        "/v1/event/?last_modified_since=2026-11-01T00:00:00Z"
    );
    assert!(requests[1].contains("page=2"), "{requests:?}");
    let now = ids(&index);
    for id in [
        "le:turku:991417",
        "le:turku:991418",
        "le:turku:853",
        "local:in-index",
    ] {
        assert!(now.contains(&id.to_string()), "{id} missing from {now:?}");
    }
    // A later sync that reports the event deleted removes it.
    let mut deleted = sample.clone();
    deleted["meta"]["next"] = serde_json::Value::Null;
    deleted["data"][0]["deleted"] = serde_json::json!(true);
    {
        let mut p = pages.lock().unwrap();
        p.clear();
        p.push(("/v1/event/".into(), deleted.to_string()));
    }
    ok(&run(&[
        "sync",
        "linkedevents",
        "--url",
        &url,
        "--index-dir",
        p(&index),
    ]));
    let now = ids(&index);
    assert!(!now.contains(&"le:turku:991417".to_string()), "{now:?}");
    assert!(now.contains(&"le:turku:991418".to_string()));
    // A failing page changes nothing.
    pages.lock().unwrap().clear();
    let before = fingerprint(&index);
    let out = run(&[
        "sync",
        "linkedevents",
        "--url",
        &url,
        "--index-dir",
        p(&index),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("fetching page 1"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(fingerprint(&index), before);
}

/// A tiny deterministic generator for kill times.
struct Lcg(u64);
impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
}

fn write_synth(path: &Path, count: usize, seed: u64) {
    let mut f = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    for r in tarjotin_core::synth::Generator::new(seed).records(count) {
        serde_json::to_writer(&mut f, &r).unwrap();
        f.write_all(b"\n").unwrap();
    }
}

/// Kills `args` at seeded moments until `kills` kills have landed on a running process, and
/// checks the published index after each one: it opens, and unless a new generation was
/// published it is unchanged; the writer lock is free again. The moments are drawn from
/// 20 ms up to a window that starts at `full_run_ms` and shrinks whenever the run finished before
/// its kill, so a faster or slower machine still lands its kills. Then one full run must succeed.
/// Returns the kills that landed.
fn kill_loop(args: &[&str], index: &Path, kills: usize, seed: u64, full_run_ms: u64) -> usize {
    let mut rng = Lcg(seed);
    let mut window_ms = full_run_ms.max(40);
    let mut killed = 0;
    for _ in 0..kills * 4 {
        if killed == kills {
            break;
        }
        let before = fingerprint(index);
        let mut child = indexer()
            .args(args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let started = Instant::now();
        std::thread::sleep(Duration::from_millis(20 + rng.next() % (window_ms - 20)));
        if child.try_wait().unwrap().is_none() {
            child.kill().unwrap();
            killed += 1;
        } else {
            window_ms = (started.elapsed().as_millis() as u64 * 7 / 10).max(40);
        }
        let _ = child.wait();
        let after = fingerprint(index);
        if after.2 == before.2 {
            assert_eq!(after, before, "same generation, same content");
        }
        // The OS released the dead writer's lock.
        let store = tarjotin_core::index::IndexStore::open(index).unwrap();
        drop(
            store
                .lock_writer()
                .expect("writer lock is free after a kill"),
        );
    }
    let mut out = String::new();
    let mut c = indexer()
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    c.stdout.take().unwrap().read_to_string(&mut out).unwrap();
    assert!(
        c.wait().unwrap().success(),
        "the run after the kills failed: {out}"
    );
    killed
}

#[test]
fn crash_safety_build_and_apply() {
    const RECORDS: usize = 8_000;
    let started = Instant::now();
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("synth.ndjson");
    write_synth(&input, RECORDS, 42);
    let index = tmp.path().join("idx");
    let build = ["build", "--index-dir", p(&index), p(&input)];
    let t = Instant::now();
    ok(&run(&build));
    let build_ms = t.elapsed().as_millis() as u64;
    let expected = fingerprint(&index);
    assert_eq!(expected.0, RECORDS as u64);

    let killed = kill_loop(&build, &index, 5, 7, build_ms);
    let now = fingerprint(&index);
    assert_eq!(
        (now.0, now.1),
        (expected.0, expected.1),
        "every build publishes the same records"
    );
    assert_eq!(killed, 5, "kills that landed before the build finished");
    // Half-built generations are garbage the next writer removes.
    let gens = std::fs::read_dir(index.join("generations"))
        .unwrap()
        .count();
    assert!(gens <= 3, "{gens} generations left");

    // apply: upsert a slice of new activities and delete some organisations.
    let changes = tmp.path().join("changes.ndjson");
    {
        let mut f = std::io::BufWriter::new(std::fs::File::create(&changes).unwrap());
        let records = tarjotin_core::synth::Generator::new(43).records(RECORDS / 4);
        let mut deletes = 0;
        for r in &records {
            if let Record::Organisation(o) = r
                && deletes < 20
            {
                writeln!(
                    f,
                    r#"{{"type":"delete","id":"{}","of":"organisation"}}"#,
                    o.common.id
                )
                .unwrap();
                deletes += 1;
                continue;
            }
            if matches!(r, Record::Organisation(_)) {
                serde_json::to_writer(&mut f, r).unwrap();
                f.write_all(b"\n").unwrap();
            }
        }
    }
    let apply = ["apply", "--index-dir", p(&index), p(&changes)];
    let t = Instant::now();
    ok(&run(&apply));
    let apply_ms = t.elapsed().as_millis() as u64;
    let applied = fingerprint(&index);
    let killed_apply = kill_loop(&apply, &index, 4, 11, apply_ms);
    assert_eq!(
        killed_apply, 4,
        "kills that landed before the apply finished"
    );
    let now = fingerprint(&index);
    assert_eq!(
        (now.0, now.1),
        (applied.0, applied.1),
        "apply is idempotent and never half-published"
    );
    eprintln!(
        "crash safety: build {build_ms} ms, {killed} build kills; apply {apply_ms} ms, {killed_apply} apply kills; {:.1} s",
        started.elapsed().as_secs_f64()
    );
}
