//! Request rate limits on the JSON API (`/api/v1`) and the server functions
//! (`/fn`), with the `governor` crate (GCRA, a token bucket refilled
//! continuously): per client address (the one the log-in throttle counts,
//! see [`client_address`]: behind a proxy of `GUICHET_TRUSTED_PROXIES` the
//! address it reports, else the TCP peer), per user (session cookie or bearer
//! token, as sent: counting needs no database), and tighter limits on
//! registration (per address) and API token creation (per user). The numbers
//! are [`RateLimits`]; the counts live in this instance's memory.
//!
//! Every limited answer carries `RateLimit-Limit`, `RateLimit-Remaining` and
//! `RateLimit-Reset` (seconds until the bucket is full again; IETF
//! draft-ietf-httpapi-ratelimit-headers) for the tightest limit that applied;
//! a refused one is a 429 with `Retry-After` (seconds) in the API's error format.

use crate::security::{bearer_token, error_response};
use app::services::RateLimits;
use app::services::caller::client_address;
use axum::{
    extract::{ConnectInfo, Request, State},
    http::{HeaderMap, HeaderValue, Method, StatusCode, header},
    middleware::Next,
    response::Response,
};
use governor::{
    Quota, RateLimiter,
    clock::{Clock, DefaultClock},
    middleware::StateInformationMiddleware,
    state::keyed::DefaultKeyedStateStore,
};
use std::hash::{BuildHasher, Hash};
use std::net::{IpAddr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

type Keyed<K> = RateLimiter<K, DefaultKeyedStateStore<K>, DefaultClock, StateInformationMiddleware>;

/// Who a request counts against.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum Key {
    Address(IpAddr),
    /// A keyed hash of the session cookie or bearer token (never the secret itself).
    User(u64),
}

/// The limiters of one instance.
pub struct Limiter {
    per_address: Keyed<Key>,
    per_user: Keyed<Key>,
    registrations: Keyed<Key>,
    token_creations: Keyed<Key>,
    exempt_loopback: bool,
    /// `GUICHET_TRUSTED_PROXIES`: peers whose forwarding headers give the client address.
    trusted_proxies: Vec<ipnet::IpNet>,
    hasher: std::collections::hash_map::RandomState,
    requests: AtomicU64,
    session_cookie: &'static str,
}

impl std::fmt::Debug for Limiter {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.debug_struct("Limiter").field("exempt_loopback", &self.exempt_loopback).finish_non_exhaustive()
    }
}

fn quota(count: u32, period: Duration) -> Quota {
    let count = NonZeroU32::new(count.max(1)).unwrap_or(NonZeroU32::MIN);
    Quota::with_period(period / count.get()).unwrap_or_else(|| Quota::per_second(count)).allow_burst(count)
}

impl Limiter {
    /// Limiters for `limits`, counting per client address as
    /// [`client_address`] gives it behind `trusted_proxies`, and reading the
    /// session from cookie `session_cookie`.
    pub fn new(limits: &RateLimits, trusted_proxies: &[ipnet::IpNet], session_cookie: &'static str) -> Limiter {
        let minute = Duration::from_secs(60);
        let hour = Duration::from_secs(3600);
        let keyed = |quota: Quota| RateLimiter::keyed(quota).with_middleware::<StateInformationMiddleware>();
        Limiter {
            per_address: keyed(quota(limits.per_address_per_minute, minute)),
            per_user: keyed(quota(limits.per_user_per_minute, minute)),
            registrations: keyed(quota(limits.registrations_per_hour, hour)),
            token_creations: keyed(quota(limits.token_creations_per_hour, hour)),
            exempt_loopback: limits.exempt_loopback,
            trusted_proxies: trusted_proxies.to_vec(),
            hasher: Default::default(),
            requests: AtomicU64::new(0),
            session_cookie,
        }
    }

    fn user_key(&self, headers: &HeaderMap) -> Option<Key> {
        let secret = bearer_token(headers).or_else(|| crate::security::cookie(headers, self.session_cookie))?;
        Some(Key::User(self.hasher.hash_one(secret)))
    }

    /// Drops the buckets that are full again, now and then, so memory stays
    /// bounded by the clients of the last hour.
    fn forget_idle(&self) {
        if self.requests.fetch_add(1, Ordering::Relaxed) % 4096 == 4095 {
            for limiter in [&self.per_address, &self.per_user, &self.registrations, &self.token_creations] {
                limiter.retain_recent();
                limiter.shrink_to_fit();
            }
        }
    }
}

/// The outcome of the tightest limit that applied.
struct Decision {
    limit: u32,
    remaining: u32,
    reset_seconds: u64,
}

/// The decision of one bucket; when refused, the seconds to wait and the limit.
fn check(limiter: &Keyed<Key>, key: &Key) -> Result<Decision, (u64, u32)> {
    match limiter.check_key(key) {
        Ok(snapshot) => {
            let quota = snapshot.quota();
            let limit = quota.burst_size().get();
            let remaining = snapshot.remaining_burst_capacity();
            let refill = quota.replenish_interval() * (limit - remaining.min(limit));
            Ok(Decision { limit, remaining, reset_seconds: refill.as_secs_f64().ceil() as u64 })
        }
        Err(not_until) => {
            let wait = not_until.wait_time_from(DefaultClock::default().now());
            Err((wait.as_secs_f64().ceil().max(1.0) as u64, not_until.quota().burst_size().get()))
        }
    }
}

/// What a request is: registration, token creation, or anything else.
fn tight_limiter<'a>(limiter: &'a Limiter, method: &Method, path: &str) -> Option<&'a Keyed<Key>> {
    if *method != Method::POST {
        return None;
    }
    match path {
        "/fn/register" | "/api/v1/auth/register" => Some(&limiter.registrations),
        "/fn/create_api_token" | "/api/v1/tokens" => Some(&limiter.token_creations),
        _ => None,
    }
}

/// Applies the limits to `/api/v1` and `/fn` requests (see the module documentation).
pub async fn limit(State(limiter): State<Arc<Limiter>>, request: Request, next: Next) -> Response {
    let path = request.uri().path();
    if !(path.starts_with("/api/v1/") || path.starts_with("/fn/")) {
        return next.run(request).await;
    }
    let peer = request.extensions().get::<ConnectInfo<SocketAddr>>().map(|ConnectInfo(address)| address.ip());
    let address = client_address(peer, request.headers(), &limiter.trusted_proxies);
    if limiter.exempt_loopback && address.is_some_and(|address| address.is_loopback()) {
        return next.run(request).await;
    }
    limiter.forget_idle();
    let address_key = address.map(Key::Address);
    let user_key = limiter.user_key(request.headers());
    let mut checks: Vec<(&Keyed<Key>, &Key)> = Vec::new();
    if let Some(key) = &address_key {
        checks.push((&limiter.per_address, key));
    }
    if let Some(key) = &user_key {
        checks.push((&limiter.per_user, key));
    }
    if let Some(tight) = tight_limiter(&limiter, request.method(), path) {
        // Registration counts per address; token creation per user (else per address).
        let key = if std::ptr::eq(tight, &limiter.registrations) {
            address_key.as_ref()
        } else {
            user_key.as_ref().or(address_key.as_ref())
        };
        if let Some(key) = key {
            checks.push((tight, key));
        }
    }
    let mut tightest: Option<Decision> = None;
    for (bucket, key) in checks {
        match check(bucket, key) {
            Ok(decision) => {
                if tightest.as_ref().is_none_or(|current| decision.remaining < current.remaining) {
                    tightest = Some(decision);
                }
            }
            Err((retry_after_seconds, limit)) => {
                tracing::warn!(path, retry_after_seconds, "rate limit reached");
                let mut response = error_response(
                    StatusCode::TOO_MANY_REQUESTS,
                    "too_many_requests",
                    &app::t!(errors.rate_limited, seconds = retry_after_seconds),
                );
                let headers = response.headers_mut();
                headers.insert("ratelimit-limit", HeaderValue::from(limit));
                headers.insert(header::RETRY_AFTER, HeaderValue::from(retry_after_seconds));
                headers.insert("ratelimit-remaining", HeaderValue::from(0u32));
                headers.insert("ratelimit-reset", HeaderValue::from(retry_after_seconds));
                return response;
            }
        }
    }
    let mut response = next.run(request).await;
    if let Some(decision) = tightest {
        let headers = response.headers_mut();
        headers.insert("ratelimit-limit", HeaderValue::from(decision.limit));
        headers.insert("ratelimit-remaining", HeaderValue::from(decision.remaining));
        headers.insert("ratelimit-reset", HeaderValue::from(decision.reset_seconds));
    }
    response
}
