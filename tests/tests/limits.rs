//! Rate limiting and overload over real HTTP on loopback, through `search_api::serve` (which
//! supplies the peer address the rate limiter keys on).

use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::support::Server;
use search_api::ratelimit::{RateLimit, parse_trusted_proxies};

fn limit(per_minute: u32, burst: u32) -> Option<RateLimit> {
    Some(RateLimit {
        per_minute: NonZeroU32::new(per_minute).expect("nonzero"),
        burst: NonZeroU32::new(burst).expect("nonzero"),
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_rate_limit_by_default() {
    let server = Server::start(|_| {}).await;
    assert!(server.state.rate_limiter().is_none());
    for _ in 0..50 {
        let r = server.get(b"/v1/vocabularies", &[]).await;
        assert_eq!(r.status, 200);
    }
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rate_limit_per_address_with_429_and_retry_after() {
    let server = Server::start(|c| c.rate_limit = limit(1, 5)).await;
    for i in 0..5 {
        let r = server.get(b"/v1/search?q=kuoro", &[]).await;
        assert_eq!(r.status, 200, "request {i} of the burst");
    }
    let r = server.get(b"/v1/search?q=kuoro", &[]).await;
    assert_eq!(r.status, 429);
    assert_eq!(r.code(), "rate_limited");
    assert_eq!(r.header("content-type"), Some("application/json"));
    let retry: u64 = r
        .header("retry-after")
        .and_then(|v| v.parse().ok())
        .expect("a Retry-After in seconds");
    // One request per minute: the next is allowed within a minute, not at once.
    assert!((2..=60).contains(&retry), "retry-after {retry}");
    // Browsers can read it: CORS exposes Retry-After on the 429 too.
    let r = server
        .get(b"/v1/search", &[("origin", "https://kunta.example")])
        .await;
    assert_eq!(r.status, 429);
    assert!(
        r.header("access-control-expose-headers")
            .is_some_and(|v| v.to_ascii_lowercase().contains("retry-after")),
        "{:?}",
        r.headers
    );
    // Every route counts, probes do not.
    assert_eq!(server.get(b"/v1/vocabularies", &[]).await.status, 429);
    assert_eq!(server.get(b"/health", &[]).await.status, 200);
    assert_eq!(server.get(b"/ready", &[]).await.status, 200);
    // Loopback is not a trusted proxy here, so a forged X-Forwarded-For changes nothing.
    let r = server
        .get(b"/v1/search", &[("x-forwarded-for", "198.51.100.77")])
        .await;
    assert_eq!(r.status, 429);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forwarded_for_is_the_client_behind_a_trusted_proxy() {
    let server = Server::start(|c| {
        c.rate_limit = limit(1, 3);
        c.trusted_proxies = parse_trusted_proxies("127.0.0.1").expect("parses");
    })
    .await;
    let a = [("x-forwarded-for", "198.51.100.1")];
    let b = [("x-forwarded-for", "198.51.100.2")];
    for _ in 0..3 {
        assert_eq!(server.get(b"/v1/search", &a).await.status, 200);
    }
    assert_eq!(server.get(b"/v1/search", &a).await.status, 429);
    // Another client behind the same proxy has its own allowance.
    assert_eq!(server.get(b"/v1/search", &b).await.status, 200);
    // A client prepending a forged address to its header is still itself.
    let forged = [("x-forwarded-for", "203.0.113.5, 198.51.100.1")];
    assert_eq!(server.get(b"/v1/search", &forged).await.status, 429);
    // The proxy's own requests (no header) are a third client.
    assert_eq!(server.get(b"/v1/search", &[]).await.status, 200);
    assert_eq!(
        server
            .state
            .rate_limiter()
            .map(|l| l.tracked())
            .unwrap_or(0),
        3
    );
    server.stop().await;
}

/// Ten times more concurrent searches than slots: with every slot busy and a queue of 2, 18 of
/// 20 get 503 `overloaded` with `Retry-After` at once, the 2 queued finish when the slots free,
/// and the service answers normally straight after.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_times_the_concurrency_limit_sheds_and_recovers() {
    let server = Arc::new(
        Server::start(|c| {
            c.max_concurrent = 2;
            c.max_queue = 2;
            c.request_timeout = Duration::from_secs(30);
        })
        .await,
    );
    let slots: Vec<_> = (0..2)
        .map(|_| server.state.try_reserve_search_slot().expect("free slot"))
        .collect();
    let started = Instant::now();
    // Distinct requests: identical ones would wait for the first one's answer instead (the
    // response cache coalesces them) and take neither a slot nor a place in the queue.
    let tasks: Vec<_> = (0..20)
        .map(|i| {
            let s = server.clone();
            let path = format!("/v1/search?q=kuoro&offset={i}");
            tokio::spawn(async move { s.get(path.as_bytes(), &[]).await })
        })
        .collect();
    // Wait until 18 have been answered (shed) and 2 are queued.
    let deadline = Instant::now() + Duration::from_secs(20);
    while tasks.iter().filter(|t| t.is_finished()).count() < 18 || server.state.queued() < 2 {
        assert!(Instant::now() < deadline, "shedding took more than 20 s");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let shed_after = started.elapsed();
    assert_eq!(server.state.queued(), 2);
    drop(slots);
    let mut statuses = Vec::new();
    for t in tasks {
        let r = t.await.expect("task");
        if r.status == 503 {
            assert_eq!(r.code(), "overloaded");
            assert_eq!(r.header("retry-after"), Some("1"));
        }
        statuses.push(r.status);
    }
    let shed = statuses.iter().filter(|s| **s == 503).count();
    let served = statuses.iter().filter(|s| **s == 200).count();
    assert_eq!((shed, served), (18, 2), "{statuses:?}");
    assert!(shed_after < Duration::from_secs(10), "{shed_after:?}");
    // Recovery is immediate: the next burst of 20 is served in full.
    let tasks: Vec<_> = (0..20)
        .map(|_| {
            let s = server.clone();
            tokio::spawn(async move { s.get(b"/v1/search?q=kuoro", &[]).await.status })
        })
        .collect();
    let mut ok = 0;
    for t in tasks {
        let status = t.await.expect("task");
        // Two slots and a queue of two still shed some of 20 simultaneous requests; what
        // matters is that nothing is stuck and none fails otherwise.
        assert!(status == 200 || status == 503, "{status}");
        ok += usize::from(status == 200);
    }
    assert!(ok >= 4, "only {ok} of 20 served after recovery");
    for _ in 0..10 {
        assert_eq!(server.get(b"/v1/search?q=kuoro", &[]).await.status, 200);
    }
    assert_eq!(server.state.queued(), 0);
    match Arc::try_unwrap(server) {
        Ok(s) => s.stop().await,
        Err(_) => panic!("server still shared"),
    }
}
