//! A token bucket per client; calls beyond it fail at once with `RESOURCE_EXHAUSTED`.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Instant;

use futures::future::{Either, Ready, ready};
use http::{Request, Response};
use parking_lot::Mutex;
use tonic::Status;
use tower::{Layer, Service};

use super::auth::AuthenticatedUser;
use super::{Peer, is_health};
use crate::config::RateLimitConfig;

/// Above this many tracked clients, the ones whose bucket is full again are forgotten
/// (and then again each time the number doubles).
const PRUNE_ABOVE: usize = 4096;
/// Most clients tracked one by one; further new clients share one bucket until others
/// are forgotten, so that a flood of addresses cannot grow the table without bound.
const MAX_CLIENTS: usize = 65_536;

/// Whom a bucket belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum ClientKey {
    User(AuthenticatedUser),
    Ip(IpAddr),
    UnixUser(Option<u32>),
    Unknown,
    /// The shared bucket of clients beyond [`MAX_CLIENTS`].
    Overflow,
}

impl ClientKey {
    /// The authenticated user, else the peer's IP address or unix user id.
    fn of<B>(request: &Request<B>) -> Self {
        if let Some(user) = request.extensions().get::<AuthenticatedUser>() {
            return ClientKey::User(user.clone());
        }
        match Peer::of(request) {
            Peer::Tcp(addr) => ClientKey::Ip(addr.ip()),
            Peer::Unix(uid) => ClientKey::UnixUser(uid),
            Peer::Unknown => ClientKey::Unknown,
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    refilled: Instant,
}

/// The buckets of all clients.
#[derive(Debug)]
pub(crate) struct RateLimiter {
    per_second: f64,
    burst: f64,
    buckets: Mutex<Buckets>,
}

#[derive(Debug)]
struct Buckets {
    by_client: HashMap<ClientKey, Bucket>,
    /// The size at which the next new client makes full buckets be forgotten.
    prune_at: usize,
}

impl RateLimiter {
    /// The limiter of `config`, `None` when the limit is off.
    pub(crate) fn from_config(config: &RateLimitConfig) -> Option<Arc<Self>> {
        config.is_on().then(|| {
            Arc::new(Self {
                per_second: config.limit,
                burst: f64::from(config.burst.max(1)),
                buckets: Mutex::new(Buckets {
                    by_client: HashMap::new(),
                    prune_at: PRUNE_ABOVE,
                }),
            })
        })
    }

    /// Takes a token from `key`'s bucket, if it has one.
    fn allow(&self, mut key: ClientKey, now: Instant) -> bool {
        let mut buckets = self.buckets.lock();
        let Buckets {
            by_client,
            prune_at,
        } = &mut *buckets;
        if !by_client.contains_key(&key) {
            if by_client.len() >= *prune_at {
                by_client.retain(|_, bucket| self.refill(*bucket, now).tokens < self.burst);
                *prune_at = (by_client.len() * 2).max(PRUNE_ABOVE);
            }
            if by_client.len() >= MAX_CLIENTS {
                key = ClientKey::Overflow;
            }
        }
        let bucket = by_client.entry(key).or_insert(Bucket {
            tokens: self.burst,
            refilled: now,
        });
        *bucket = self.refill(*bucket, now);
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            true
        } else {
            false
        }
    }

    fn refill(&self, bucket: Bucket, now: Instant) -> Bucket {
        let elapsed = now.saturating_duration_since(bucket.refilled).as_secs_f64();
        Bucket {
            tokens: (bucket.tokens + elapsed * self.per_second).min(self.burst),
            refilled: now,
        }
    }

    fn refusal(&self) -> Status {
        Status::resource_exhausted(format!(
            "rate limit exceeded: at most {} calls per second, burst {}",
            self.per_second, self.burst
        ))
    }
}

/// Refuses calls beyond a client's budget with `RESOURCE_EXHAUSTED`.
#[derive(Debug, Clone)]
pub(crate) struct RateLimitLayer {
    limiter: Option<Arc<RateLimiter>>,
}

impl RateLimitLayer {
    /// The layer; `None` lets every call through.
    pub(crate) fn new(limiter: Option<Arc<RateLimiter>>) -> Self {
        Self { limiter }
    }
}

impl<S> Layer<S> for RateLimitLayer {
    type Service = RateLimitService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        RateLimitService {
            inner,
            limiter: self.limiter.clone(),
        }
    }
}

/// The service made by [`RateLimitLayer`].
#[derive(Debug, Clone)]
pub(crate) struct RateLimitService<S> {
    inner: S,
    limiter: Option<Arc<RateLimiter>>,
}

impl<S, ReqBody, ResBody> Service<Request<ReqBody>> for RateLimitService<S>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>>,
    ResBody: Default,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = Either<Ready<Result<S::Response, S::Error>>, S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<ReqBody>) -> Self::Future {
        match &self.limiter {
            Some(limiter)
                if !is_health(&request)
                    && !limiter.allow(ClientKey::of(&request), Instant::now()) =>
            {
                Either::Left(ready(Ok(limiter.refusal().into_http())))
            }
            _ => Either::Right(self.inner.call(request)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn limiter(limit: f64, burst: u32) -> Arc<RateLimiter> {
        RateLimiter::from_config(&RateLimitConfig { limit, burst }).expect("on")
    }

    #[test]
    fn burst_then_refill_per_client() {
        let limiter = limiter(2.0, 3);
        let (a, b) = (
            ClientKey::Ip([10, 0, 0, 1].into()),
            ClientKey::Ip([10, 0, 0, 2].into()),
        );
        let start = Instant::now();
        for _ in 0..3 {
            assert!(limiter.allow(a.clone(), start));
        }
        assert!(!limiter.allow(a.clone(), start), "burst used up");
        assert!(
            limiter.allow(b.clone(), start),
            "another client has its own bucket"
        );
        assert!(
            limiter.allow(a.clone(), start + Duration::from_millis(500)),
            "refilled 1"
        );
        assert!(!limiter.allow(a.clone(), start + Duration::from_millis(500)));
        assert!(RateLimiter::from_config(&RateLimitConfig::default()).is_none());
    }

    #[test]
    fn full_buckets_are_pruned_when_many_clients_come() {
        let limiter = limiter(1000.0, 1);
        let start = Instant::now();
        for n in 0..PRUNE_ABOVE as u32 {
            assert!(limiter.allow(ClientKey::UnixUser(Some(n)), start));
        }
        let later = start + Duration::from_secs(1);
        assert!(limiter.allow(ClientKey::Unknown, later));
        assert_eq!(
            limiter.buckets.lock().by_client.len(),
            1,
            "refilled buckets were forgotten"
        );
    }

    #[test]
    fn clients_beyond_the_table_share_one_bucket() {
        let limiter = limiter(0.001, 1);
        let start = Instant::now();
        for n in 0..MAX_CLIENTS as u32 {
            assert!(limiter.allow(ClientKey::UnixUser(Some(n)), start));
        }
        // Nothing refilled, nothing forgotten: newcomers share the overflow bucket.
        assert!(limiter.allow(ClientKey::Unknown, start));
        assert!(!limiter.allow(ClientKey::UnixUser(Some(u32::MAX)), start));
        assert_eq!(limiter.buckets.lock().by_client.len(), MAX_CLIENTS + 1);
    }
}
