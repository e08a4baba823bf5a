//! Hostile input over real HTTP: the committed corpus `tests/hostile/requests.txt` plus generated
//! cases (1,000 repeated parameters, oversized and binary queries) sent over a raw socket to the
//! real API. Nothing may get a 5xx, every error is JSON with a documented code, and no answer
//! reflects a payload.

use std::path::Path;

use crate::support::{RawReply, Server, documented_error_codes};

/// Strings that must never come back: markup, script and SQL fragments of the corpus payloads.
const MARKERS: &[&str] = &[
    "<script",
    "<img",
    "<svg",
    "onerror=",
    "onload=",
    "javascript:",
    "alert(",
    "drop table",
    "union select",
    "' or '1'='1",
    "${jndi",
    "{{7*7}}",
    "../",
    "etc/passwd",
];

#[derive(Debug, Clone)]
enum Expect {
    Status(u16, String),
    AnyClientError,
    Ok,
}

struct Case {
    line: usize,
    expect: Expect,
    target: Vec<u8>,
}

/// `\xNN` escapes to raw bytes; everything else as is.
fn unescape(text: &str) -> Vec<u8> {
    let b = text.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\' && b.get(i + 1) == Some(&b'x') && i + 3 < b.len() {
            let hex = std::str::from_utf8(&b[i + 2..i + 4]).expect("ascii escape");
            out.push(u8::from_str_radix(hex, 16).expect("hex escape"));
            i += 4;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    out
}

fn corpus() -> Vec<Case> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("hostile/requests.txt");
    let text = std::fs::read_to_string(&path).expect("read tests/hostile/requests.txt");
    let mut cases = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let (expect, target) = line
            .split_once('\t')
            .unwrap_or_else(|| panic!("line {}: no tab", i + 1));
        let expect = match expect {
            "4xx" => Expect::AnyClientError,
            "200" => Expect::Ok,
            other => {
                let (status, code) = other
                    .split_once(':')
                    .unwrap_or_else(|| panic!("line {}: bad expectation {other:?}", i + 1));
                Expect::Status(status.parse().expect("status"), code.to_string())
            }
        };
        cases.push(Case {
            line: i + 1,
            expect,
            target: unescape(target),
        });
    }
    cases
}

/// The rules every answer obeys, whatever the request; returns what broke them.
fn common_problems(what: &str, r: &RawReply, codes: &[String]) -> Vec<String> {
    let mut problems = Vec::new();
    if r.status >= 500 {
        problems.push(format!("{what}: got {}", r.status));
    }
    let lower = String::from_utf8_lossy(&r.body).to_lowercase();
    for m in MARKERS {
        if lower.contains(m) {
            problems.push(format!("{what}: the answer reflects {m:?}"));
        }
    }
    if r.status >= 400 && !r.body.is_empty() {
        if r.header("content-type") != Some("application/json") {
            problems.push(format!("{what}: error body is not JSON"));
        } else if !codes.contains(&r.code()) {
            problems.push(format!("{what}: undocumented code {:?}", r.code()));
        }
        if r.header("x-content-type-options") != Some("nosniff") {
            problems.push(format!("{what}: no nosniff"));
        }
    }
    problems
}

fn check_common(what: &str, r: &RawReply, codes: &[String]) {
    let problems = common_problems(what, r, codes);
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn committed_hostile_corpus() {
    let server = Server::start(|_| {}).await;
    let codes = documented_error_codes();
    let cases = corpus();
    assert!(cases.len() >= 60, "the corpus lost cases: {}", cases.len());
    let mut failures = Vec::new();
    for case in &cases {
        let what = format!(
            "line {}: {}",
            case.line,
            String::from_utf8_lossy(&case.target)
        );
        let r = server.get(&case.target, &[]).await;
        failures.extend(common_problems(&what, &r, &codes));
        let ok = match &case.expect {
            Expect::Ok => r.status == 200,
            Expect::AnyClientError => (400..500).contains(&r.status),
            Expect::Status(status, code) => {
                r.status == *status
                    && r.header("content-type") == Some("application/json")
                    && r.code() == *code
            }
        };
        if !ok {
            let code = if r.body.is_empty() {
                String::new()
            } else {
                String::from_utf8_lossy(&r.body).into_owned()
            };
            failures.push(format!(
                "{what}: expected {:?}, got {} {code}",
                case.expect, r.status
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // Still serving normally afterwards.
    assert_eq!(server.get(b"/v1/search?q=kuoro", &[]).await.status, 200);
    server.stop().await;
}

/// Status and code of a generated case; `None`: any 4xx (refused before routing).
type Expected = Option<(u16, &'static str)>;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn generated_hostile_requests() {
    let server = Server::start(|_| {}).await;
    let codes = documented_error_codes();
    let repeat = |pair: &str| -> Vec<u8> {
        let mut t = b"/v1/search?".to_vec();
        t.extend(vec![pair; 1000].join("&").into_bytes());
        t
    };
    let every_byte: String = (0u8..=255).map(|b| format!("%{b:02X}")).collect();
    let mut binary_q = b"/v1/search?q=".to_vec();
    binary_q.extend_from_slice(every_byte.as_bytes());
    let mut long_q = b"/v1/search?q=".to_vec();
    long_q.extend(std::iter::repeat_n(b'a', 201));
    let mut long_encoded = b"/v1/search?q=".to_vec();
    long_encoded.extend("%C3%A4".repeat(201).into_bytes());
    let mut huge_string = b"/v1/search?q=".to_vec();
    huge_string.extend(std::iter::repeat_n(b'x', 9000));
    let mut huge_target = b"/v1/search?q=".to_vec();
    huge_target.extend(std::iter::repeat_n(b'x', 1 << 20));
    let mut unicode = b"/v1/search?q=".to_vec();
    // Combining marks, right-to-left, emoji, a zero-width joiner: valid and searched.
    unicode.extend("%CC%81%CC%81%D7%90%E2%80%8F%F0%9F%98%80%E2%80%8D%F0%9F%91%A9".as_bytes());

    let cases: Vec<(&str, Vec<u8>, Expected)> = vec![
        ("1,000 x q", repeat("q=a"), Some((400, "invalid_parameter"))),
        (
            "1,000 x theme",
            repeat("theme=sports"),
            Some((400, "invalid_parameter")),
        ),
        (
            "1,000 x municipality",
            repeat("municipality=091"),
            Some((400, "invalid_parameter")),
        ),
        (
            "1,000 x lang",
            repeat("lang=fi"),
            Some((400, "invalid_parameter")),
        ),
        (
            "1,000 x offset",
            repeat("offset=1"),
            Some((400, "invalid_parameter")),
        ),
        ("1,000 unknown parameters", repeat("x=1"), Some((200, ""))),
        ("1,000 empty pairs", repeat(""), Some((200, ""))),
        (
            "every byte in q",
            binary_q,
            Some((400, "invalid_parameter")),
        ),
        ("q of 201 chars", long_q, Some((400, "query_too_long"))),
        (
            "q of 201 two-byte chars",
            long_encoded,
            Some((400, "query_too_long")),
        ),
        (
            "9,000-byte query string",
            huge_string,
            Some((400, "invalid_parameter")),
        ),
        // Refused by hyper before routing (header section too large); any 4xx.
        ("1 MB request target", huge_target, None),
        ("unicode q", unicode, Some((200, ""))),
    ];
    for (what, target, expect) in cases {
        let r = server.get(&target, &[]).await;
        check_common(what, &r, &codes);
        match expect {
            Some((200, _)) => assert_eq!(
                r.status,
                200,
                "{what}: {}",
                String::from_utf8_lossy(&r.body)
            ),
            Some((status, code)) => {
                assert_eq!(r.status, status, "{what}");
                assert_eq!(r.code(), code, "{what}");
            }
            None => assert!((400..500).contains(&r.status), "{what}: {}", r.status),
        }
    }

    // Hostile headers: a forged request id is replaced, a long one too; a huge header is refused.
    let r = server
        .get(
            b"/v1/search?q=kuoro",
            &[("x-request-id", "<script>alert(1)</script>")],
        )
        .await;
    assert_eq!(r.status, 200);
    let id = r.header("x-request-id").unwrap_or("");
    assert!(!id.is_empty() && !id.contains('<'), "{id}");
    let long_id = "a".repeat(65);
    let r = server
        .get(b"/v1/search?q=kuoro", &[("x-request-id", &long_id)])
        .await;
    assert_ne!(r.header("x-request-id"), Some(long_id.as_str()));
    let huge = "y".repeat(1 << 20);
    let r = server.get(b"/v1/search", &[("x-padding", &huge)]).await;
    assert!((400..500).contains(&r.status), "{}", r.status);
    assert_eq!(server.get(b"/v1/search?q=kuoro", &[]).await.status, 200);
    server.stop().await;
}
