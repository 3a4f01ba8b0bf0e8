//! The per-client rate limiter (`rate-limiter` in `http.conf`): a token bucket per user or
//! address (governor's keyed GCRA limiter), answering `429` with upstream's headers.

use std::num::NonZeroU32;
use std::time::Duration;

use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota};

use super::config::RateLimiterConfig;
use super::error::RestError;

/// Upstream's header: the configured rate (requests per second).
pub const HEADER_LIMIT: &str = "X-Ligato-RateLimiter-Limit";
/// Upstream's header: the configured burst.
pub const HEADER_BURST: &str = "X-Ligato-RateLimiter-MaxBurst";
/// Upstream's header: how long until the next request would be allowed (Go's duration text).
pub const HEADER_DELAY: &str = "X-Ligato-RateLimiter-WaitDelay";

/// Above this many clients, those whose bucket is full again are forgotten.
const PRUNE_ABOVE: usize = 10_000;

/// The buckets of all clients.
#[derive(Debug)]
pub(super) struct RateLimiter {
    /// `None` when the burst is 0: every request is refused (upstream's rule).
    buckets: Option<DefaultKeyedRateLimiter<String>>,
    clock: DefaultClock,
    headers: HeaderMap,
}

impl RateLimiter {
    /// The limiter of `config`.
    pub(super) fn from_config(config: &RateLimiterConfig) -> Result<Self, RestError> {
        if !(config.limit.is_finite() && config.limit > 0.0) {
            return Err(RestError::InvalidConfig {
                field: "rate-limiter.limit",
                reason: format!("{} is not a rate above 0 per second", config.limit),
            });
        }
        let period = Duration::from_secs_f64(1.0 / config.limit);
        let buckets = NonZeroU32::new(config.burst)
            .map(|burst| {
                Quota::with_period(period)
                    .map(|quota| governor::RateLimiter::keyed(quota.allow_burst(burst)))
                    .ok_or_else(|| RestError::InvalidConfig {
                        field: "rate-limiter.limit",
                        reason: format!("{} per second is too fast to measure", config.limit),
                    })
            })
            .transpose()?;
        let mut headers = HeaderMap::new();
        headers.insert(HEADER_LIMIT, number(config.limit.to_string()));
        headers.insert(HEADER_BURST, number(config.burst.to_string()));
        Ok(Self {
            buckets,
            clock: DefaultClock::default(),
            headers,
        })
    }

    /// The headers every limited response carries.
    pub(super) fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// Takes a token of `client`'s bucket, or the `429` answer.
    pub(super) fn check(&self, client: &str) -> Result<(), Box<Response>> {
        let Some(buckets) = &self.buckets else {
            return Err(self.refusal("rate limit burst exceeded", None));
        };
        if buckets.len() > PRUNE_ABOVE {
            buckets.retain_recent();
        }
        let key = client.to_owned();
        buckets.check_key(&key).map_err(|not_until| {
            let wait = not_until.wait_time_from(self.clock.now());
            self.refusal("rate limit exceeded", Some(wait))
        })
    }

    fn refusal(&self, text: &'static str, wait: Option<Duration>) -> Box<Response> {
        let mut response = (StatusCode::TOO_MANY_REQUESTS, format!("{text}\n")).into_response();
        response.headers_mut().extend(self.headers.clone());
        if let Some(wait) = wait {
            response
                .headers_mut()
                .insert(HEADER_DELAY, number(go_duration(wait)));
        }
        Box::new(response)
    }
}

/// A header value of ASCII digits, dots and unit letters.
fn number(text: String) -> HeaderValue {
    HeaderValue::try_from(text).unwrap_or(HeaderValue::from_static("0"))
}

/// A duration as Go's `time.Duration.String` writes it: `1.5s`, `199.8ms`, `2m0.5s`, `0s`.
pub(super) fn go_duration(d: Duration) -> String {
    let nanos = d.as_nanos();
    if nanos == 0 {
        return "0s".to_owned();
    }
    let fraction = |value: u128, unit: u128, suffix: &str| {
        let whole = value / unit;
        let rest = value % unit;
        if rest == 0 {
            format!("{whole}{suffix}")
        } else {
            let digits = unit.ilog10() as usize;
            let text = format!("{rest:0digits$}");
            format!("{whole}.{}{suffix}", text.trim_end_matches('0'))
        }
    };
    if nanos < 1_000 {
        return format!("{nanos}ns");
    }
    if nanos < 1_000_000 {
        return fraction(nanos, 1_000, "µs");
    }
    if nanos < 1_000_000_000 {
        return fraction(nanos, 1_000_000, "ms");
    }
    let total_seconds = nanos / 1_000_000_000;
    let (hours, minutes) = (total_seconds / 3600, total_seconds / 60 % 60);
    let seconds = fraction(nanos % 60_000_000_000, 1_000_000_000, "s");
    match (hours, minutes) {
        (0, 0) => seconds,
        (0, m) => format!("{m}m{seconds}"),
        (h, m) => format!("{h}h{m}m{seconds}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_as_go_writes_them() {
        for (d, text) in [
            (Duration::ZERO, "0s"),
            (Duration::from_nanos(5), "5ns"),
            (Duration::from_micros(1500), "1.5ms"),
            (Duration::from_nanos(199_870_235), "199.870235ms"),
            (Duration::from_millis(1500), "1.5s"),
            (Duration::from_secs(60), "1m0s"),
            (Duration::from_millis(120_500), "2m0.5s"),
            (Duration::from_secs(3601), "1h0m1s"),
            (Duration::from_micros(2), "2µs"),
        ] {
            assert_eq!(go_duration(d), text);
        }
    }

    #[test]
    fn a_bucket_per_client_and_a_burst_of_zero_refuses_all() {
        let limiter = RateLimiter::from_config(&RateLimiterConfig {
            limit: 1.0,
            burst: 2,
        })
        .unwrap();
        assert!(limiter.check("a").is_ok() && limiter.check("a").is_ok());
        let refused = limiter.check("a").unwrap_err();
        assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(refused.headers()[HEADER_LIMIT], "1");
        assert_eq!(refused.headers()[HEADER_BURST], "2");
        assert!(refused.headers().contains_key(HEADER_DELAY));
        assert!(limiter.check("b").is_ok());

        let closed = RateLimiter::from_config(&RateLimiterConfig {
            limit: 1.0,
            burst: 0,
        })
        .unwrap();
        let refused = closed.check("a").unwrap_err();
        assert!(!refused.headers().contains_key(HEADER_DELAY));
        assert!(
            RateLimiter::from_config(&RateLimiterConfig {
                limit: 0.0,
                burst: 1
            })
            .is_err()
        );
    }
}
