//! The write time limit (`write-timeout`): a handler that has not produced its response
//! within the limit is answered `503 Service Unavailable`.
//!
//! Unlike `tower_http`'s `TimeoutLayer`, which makes and registers a timer for every
//! request, the timer here is armed only when the handler does not answer in its first
//! poll: most handlers (probes, status, metrics) answer at once, and then a request costs
//! one clock read and no timer. The limit still counts from the call. It wraps the whole
//! router once per connection (a layer on the router would box each route's future once
//! more per request).

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use axum::response::{IntoResponse, Response};
use http::{Request, StatusCode};
use pin_project_lite::pin_project;
use tokio::time::{Instant, Sleep};
use tower::Service;

/// Answers 503 when `inner` takes longer than the limit (none: `inner` as it is).
#[derive(Debug, Clone)]
pub(super) struct WriteTimeout<S> {
    inner: S,
    limit: Option<Duration>,
}

impl<S> WriteTimeout<S> {
    pub(super) fn new(inner: S, limit: Option<Duration>) -> Self {
        Self { inner, limit }
    }
}

impl<S, B> Service<Request<B>> for WriteTimeout<S>
where
    S: Service<Request<B>, Response = Response>,
{
    type Response = Response;
    type Error = S::Error;
    type Future = WriteTimeoutFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        WriteTimeoutFuture {
            inner: self.inner.call(request),
            deadline: self.limit.map(|limit| Instant::now() + limit),
            sleep: None,
        }
    }
}

pin_project! {
    /// The response of [`WriteTimeout`].
    #[derive(Debug)]
    pub(super) struct WriteTimeoutFuture<F> {
        #[pin]
        inner: F,
        deadline: Option<Instant>,
        // Made on the first poll that finds the handler not done.
        #[pin]
        sleep: Option<Sleep>,
    }
}

impl<F, E> Future for WriteTimeoutFuture<F>
where
    F: Future<Output = Result<Response, E>>,
{
    type Output = Result<Response, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut this = self.project();
        if let Poll::Ready(answer) = this.inner.poll(cx) {
            return Poll::Ready(answer);
        }
        let Some(deadline) = *this.deadline else {
            return Poll::Pending;
        };
        if this.sleep.is_none() {
            this.sleep.set(Some(tokio::time::sleep_until(deadline)));
        }
        if let Some(sleep) = this.sleep.as_pin_mut() {
            ready!(sleep.poll(cx));
        }
        Poll::Ready(Ok(StatusCode::SERVICE_UNAVAILABLE.into_response()))
    }
}

#[cfg(test)]
mod tests {
    use std::convert::Infallible;

    use tower::ServiceExt as _;

    use super::*;

    fn slow(
        after: Duration,
    ) -> impl Service<Request<()>, Response = Response, Error = Infallible> + Clone {
        tower::service_fn(move |_: Request<()>| async move {
            tokio::time::sleep(after).await;
            Ok::<_, Infallible>(StatusCode::OK.into_response())
        })
    }

    #[tokio::test(start_paused = true)]
    async fn a_handler_within_the_limit_answers_and_one_past_it_gets_503() {
        let limit = Some(Duration::from_secs(5));
        let quick = WriteTimeout::new(slow(Duration::from_secs(4)), limit);
        let answer = quick.oneshot(Request::new(())).await.unwrap();
        assert_eq!(answer.status(), StatusCode::OK);

        let stuck = WriteTimeout::new(slow(Duration::from_secs(6)), limit);
        let began = Instant::now();
        let answer = stuck.oneshot(Request::new(())).await.unwrap();
        assert_eq!(answer.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(began.elapsed(), Duration::from_secs(5));
    }

    #[tokio::test(start_paused = true)]
    async fn the_limit_counts_from_the_call_not_from_the_first_poll() {
        let limit = Some(Duration::from_secs(5));
        let mut service = WriteTimeout::new(slow(Duration::from_secs(60)), limit);
        let began = Instant::now();
        let answer = service.call(Request::new(()));
        tokio::time::advance(Duration::from_secs(3)).await;
        let answer = answer.await.unwrap();
        assert_eq!(answer.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(began.elapsed(), Duration::from_secs(5));
    }

    #[tokio::test(start_paused = true)]
    async fn without_a_limit_the_handler_takes_its_time() {
        let slow = WriteTimeout::new(slow(Duration::from_secs(3600)), None);
        let answer = slow.oneshot(Request::new(())).await.unwrap();
        assert_eq!(answer.status(), StatusCode::OK);
    }
}
