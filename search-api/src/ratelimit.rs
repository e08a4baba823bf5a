//! Per-client rate limiting (off by default).
//!
//! The client is the TCP peer address, unless the peer is one of the configured trusted proxies:
//! then `X-Forwarded-For` is read from the right, skipping trusted proxies, and the first address
//! that is not a trusted proxy is the client. A header sent by anyone else is ignored, so a client
//! cannot choose its own key. IPv6 clients are limited per /64 (one host usually owns a whole
//! /64), IPv4-mapped IPv6 addresses as the IPv4 address.
//!
//! The bookkeeping is [`governor`]'s keyed GCRA limiter; [`RateLimiter::sweep`] drops clients whose
//! bucket is full again, so memory follows the number of recently active clients.

use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota};
use ipnet::IpNet;

use crate::error::{ApiError, ErrorCode};

/// The header a trusted proxy appends the client address to.
pub const X_FORWARDED_FOR: &str = "x-forwarded-for";

/// Paths never limited: probes of the orchestrator or load balancer.
const EXEMPT: &[&str] = &["/health", "/ready"];

/// How many requests a client may make.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    /// Sustained rate: requests per minute, replenished evenly.
    pub per_minute: NonZeroU32,
    /// Requests a client may make at once after being idle.
    pub burst: NonZeroU32,
}

/// Why a trusted-proxy list could not be parsed.
#[derive(Debug, thiserror::Error)]
#[error("not an IP address or CIDR network: {0:?}")]
pub struct ProxyListError(pub String);

/// Parses a comma-separated list of addresses or CIDR networks (`10.0.0.0/8,::1`); a bare
/// address means just that address.
pub fn parse_trusted_proxies(list: &str) -> Result<Vec<IpNet>, ProxyListError> {
    list.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            s.parse::<IpNet>()
                .or_else(|_| s.parse::<IpAddr>().map(IpNet::from))
                .map_err(|_| ProxyListError(s.to_owned()))
        })
        .collect()
}

fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => ip,
        },
        v4 => v4,
    }
}

fn is_trusted(trusted: &[IpNet], ip: IpAddr) -> bool {
    let ip = canonical(ip);
    trusted.iter().any(|net| net.contains(&ip))
}

/// One `X-Forwarded-For` element: a bare address, or (leniently) an address with a port.
fn parse_forwarded(element: &str) -> Option<IpAddr> {
    let s = element.trim();
    s.parse::<IpAddr>()
        .ok()
        .or_else(|| s.parse::<SocketAddr>().ok().map(|a| a.ip()))
}

/// The client address of a request from `peer`, as described in the module documentation.
pub fn client_ip(peer: IpAddr, headers: &HeaderMap, trusted: &[IpNet]) -> IpAddr {
    let peer = canonical(peer);
    if !is_trusted(trusted, peer) {
        return peer;
    }
    // Every header line, in order, then every element; walk from the nearest hop outwards.
    let mut elements: Vec<&str> = Vec::new();
    for value in headers.get_all(X_FORWARDED_FOR) {
        let Ok(text) = value.to_str() else {
            return peer;
        };
        elements.extend(text.split(','));
    }
    let mut client = peer;
    for element in elements.iter().rev() {
        let Some(ip) = parse_forwarded(element) else {
            // A hop we trust wrote garbage: the best we know is that hop.
            return client;
        };
        client = canonical(ip);
        if !is_trusted(trusted, client) {
            return client;
        }
    }
    client
}

/// The rate-limit key of a client address: IPv4 as is, IPv6 by its /64 prefix.
fn key(ip: IpAddr) -> IpAddr {
    match canonical(ip) {
        IpAddr::V6(v6) => {
            let s = v6.segments();
            IpAddr::V6(Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
        }
        v4 => v4,
    }
}

/// The shared limiter behind the middleware.
pub struct RateLimiter {
    limiter: DefaultKeyedRateLimiter<IpAddr>,
    trusted: Vec<IpNet>,
}

impl std::fmt::Debug for RateLimiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RateLimiter")
            .field("clients", &self.limiter.len())
            .field("trusted", &self.trusted)
            .finish()
    }
}

impl RateLimiter {
    pub fn new(limit: RateLimit, trusted: Vec<IpNet>) -> RateLimiter {
        let quota = Quota::per_minute(limit.per_minute).allow_burst(limit.burst);
        RateLimiter {
            limiter: DefaultKeyedRateLimiter::keyed(quota),
            trusted,
        }
    }

    /// Counts one request of `client`; `Err` holds how long until it may make the next.
    pub fn check(&self, client: IpAddr) -> Result<(), Duration> {
        self.limiter
            .check_key(&key(client))
            .map_err(|not_until| not_until.wait_time_from(DefaultClock::default().now()))
    }

    /// Forgets clients whose allowance is whole again. Returns how many are still tracked.
    pub fn sweep(&self) -> usize {
        self.limiter.retain_recent();
        self.limiter.shrink_to_fit();
        self.limiter.len()
    }

    /// Clients currently tracked.
    pub fn tracked(&self) -> usize {
        self.limiter.len()
    }

    pub fn trusted_proxies(&self) -> &[IpNet] {
        &self.trusted
    }
}

/// The 429 answer: whole seconds to wait, rounded up, at least 1.
fn too_many(wait: Duration) -> Response {
    let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    let mut response = ApiError::new(
        ErrorCode::RateLimited,
        "too many requests from this address, retry later",
    )
    .into_response();
    if let Ok(v) = HeaderValue::from_str(&secs.max(1).to_string()) {
        response.headers_mut().insert(header::RETRY_AFTER, v);
    }
    response
}

/// Middleware: limits requests per client when a limiter is configured. Requests without a known
/// peer address (in-process tests that add no `ConnectInfo`) pass.
pub async fn limit(
    State(limiter): State<Option<Arc<RateLimiter>>>,
    req: Request,
    next: Next,
) -> Response {
    let Some(limiter) = limiter else {
        return next.run(req).await;
    };
    if EXEMPT.contains(&req.uri().path()) {
        return next.run(req).await;
    }
    let Some(ConnectInfo(peer)) = req.extensions().get::<ConnectInfo<SocketAddr>>().copied() else {
        return next.run(req).await;
    };
    let client = client_ip(peer.ip(), req.headers(), &limiter.trusted);
    match limiter.check(client) {
        Ok(()) => next.run(req).await,
        Err(wait) => too_many(wait),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("test address")
    }

    fn xff(values: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for v in values {
            h.append(X_FORWARDED_FOR, HeaderValue::from_str(v).expect("header"));
        }
        h
    }

    #[test]
    fn proxy_lists_parse_and_reject_garbage() {
        let nets = parse_trusted_proxies("10.0.0.0/8, ::1,192.168.1.7").expect("parses");
        assert_eq!(nets.len(), 3);
        assert!(is_trusted(&nets, ip("10.1.2.3")));
        assert!(is_trusted(&nets, ip("192.168.1.7")));
        assert!(!is_trusted(&nets, ip("192.168.1.8")));
        assert!(is_trusted(&nets, ip("::ffff:10.0.0.1")), "mapped v4");
        assert!(parse_trusted_proxies("10.0.0.0/33").is_err());
        assert!(parse_trusted_proxies("proxy.example").is_err());
        assert!(parse_trusted_proxies("").expect("empty").is_empty());
    }

    #[test]
    fn forwarded_for_is_ignored_from_untrusted_peers() {
        let trusted = parse_trusted_proxies("10.0.0.1").expect("parses");
        let h = xff(&["1.2.3.4"]);
        assert_eq!(
            client_ip(ip("203.0.113.9"), &h, &trusted),
            ip("203.0.113.9")
        );
        assert_eq!(client_ip(ip("203.0.113.9"), &h, &[]), ip("203.0.113.9"));
    }

    #[test]
    fn forwarded_for_is_read_from_the_right_through_trusted_hops() {
        let trusted = parse_trusted_proxies("10.0.0.0/8").expect("parses");
        // The client spoofed 6.6.6.6; the first proxy appended the real client, 198.51.100.4,
        // and the second proxy appended the first proxy.
        let h = xff(&["6.6.6.6, 198.51.100.4", "10.0.0.2"]);
        assert_eq!(client_ip(ip("10.0.0.1"), &h, &trusted), ip("198.51.100.4"));
        // No header from a trusted peer: the peer itself.
        assert_eq!(
            client_ip(ip("10.0.0.1"), &HeaderMap::new(), &trusted),
            ip("10.0.0.1")
        );
        // Only trusted hops: the leftmost.
        let h = xff(&["10.9.9.9, 10.0.0.2"]);
        assert_eq!(client_ip(ip("10.0.0.1"), &h, &trusted), ip("10.9.9.9"));
        // Garbage written by a trusted hop: stop at that hop.
        let h = xff(&["198.51.100.4, <script>, 10.0.0.2"]);
        assert_eq!(client_ip(ip("10.0.0.1"), &h, &trusted), ip("10.0.0.2"));
        // A port is tolerated.
        let h = xff(&["198.51.100.4:5555"]);
        assert_eq!(client_ip(ip("10.0.0.1"), &h, &trusted), ip("198.51.100.4"));
    }

    #[test]
    fn ipv6_clients_share_a_slash_64() {
        assert_eq!(key(ip("2001:db8:1:2:aaaa::1")), ip("2001:db8:1:2::"));
        assert_eq!(key(ip("::ffff:192.0.2.1")), ip("192.0.2.1"));
    }

    #[test]
    fn burst_then_refusal_per_client_and_sweep() {
        let limit = RateLimit {
            per_minute: NonZeroU32::MIN,
            burst: NonZeroU32::new(3).expect("nonzero"),
        };
        let l = RateLimiter::new(limit, Vec::new());
        let a = ip("192.0.2.1");
        for _ in 0..3 {
            assert!(l.check(a).is_ok());
        }
        let wait = l.check(a).expect_err("fourth request is refused");
        assert!(wait > Duration::from_secs(1) && wait <= Duration::from_secs(60));
        // Another client has its own allowance; another host in the same /64 does not.
        assert!(l.check(ip("192.0.2.2")).is_ok());
        assert!(l.check(ip("2001:db8::1")).is_ok());
        assert!(l.check(ip("2001:db8::2")).is_ok());
        assert_eq!(l.tracked(), 3);
        // Nobody's allowance is whole again yet, so nobody is forgotten.
        assert_eq!(l.sweep(), 3);
    }
}
