//! Observation of every call: Prometheus metrics (`prometheus-metrics`) and a log line per
//! call (`extended-logging`). A call ends with its status: in the response head for a
//! call refused at once, else in the trailers after the last message; a call whose
//! response is dropped before its status counts as `Canceled`.

use std::collections::HashSet;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};
use std::time::Instant;

use http::{HeaderMap, Request, Response};
use http_body::{Body, Frame, SizeHint};
use tonic::Code;
use tower::{Layer, Service};
use tracing::info;

use super::Peer;
use crate::GrpcPlugin;
use crate::metrics::{GrpcMetrics, MethodMetrics};

/// What to observe.
#[derive(Debug, Clone)]
pub(crate) struct Observer {
    metrics: Option<Arc<GrpcMetrics>>,
    log: bool,
    /// The services served; calls to others count as `unknown` in the metrics.
    known: Arc<HashSet<Box<str>>>,
}

impl Observer {
    /// Observes with `metrics` (if any) and logs each call when `log`.
    pub(crate) fn new(
        metrics: Option<Arc<GrpcMetrics>>,
        log: bool,
        known: impl IntoIterator<Item = String>,
    ) -> Self {
        Self {
            metrics,
            log,
            known: Arc::new(known.into_iter().map(String::into_boxed_str).collect()),
        }
    }

    fn start<B>(&self, request: &Request<B>) -> Option<CallRecord> {
        if self.metrics.is_none() && !self.log {
            return None;
        }
        let path = request.uri().path();
        Some(CallRecord {
            method: self.metrics.as_ref().map(|m| m.start(path, &self.known)),
            log: self.log.then(|| (path.to_owned(), Peer::of(request))),
            started: Instant::now(),
            finished: false,
        })
    }
}

/// One call being observed.
#[derive(Debug)]
struct CallRecord {
    method: Option<Arc<MethodMetrics>>,
    log: Option<(String, Peer)>,
    started: Instant,
    finished: bool,
}

impl CallRecord {
    fn finish(mut self, code: Code) {
        self.record(code);
    }

    fn record(&mut self, code: Code) {
        self.finished = true;
        let elapsed = self.started.elapsed();
        if let Some(method) = &self.method {
            method.finish(code, elapsed.as_secs_f64());
        }
        if let Some((path, peer)) = &self.log {
            info!(target: GrpcPlugin::NAME,
                method = %path,
                %peer,
                code = ?code,
                elapsed_us = u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX),
                "gRPC call"
            );
        }
    }
}

impl Drop for CallRecord {
    fn drop(&mut self) {
        if !self.finished {
            self.record(Code::Cancelled);
        }
    }
}

/// The status code in `headers` (head or trailers), if any.
fn code_in(headers: &HeaderMap) -> Option<Code> {
    headers
        .get("grpc-status")
        .map(|value| Code::from_bytes(value.as_bytes()))
}

/// Observes every call with an [`Observer`].
#[derive(Debug, Clone)]
pub(crate) struct ObserveLayer {
    observer: Observer,
}

impl ObserveLayer {
    /// The layer.
    pub(crate) fn new(observer: Observer) -> Self {
        Self { observer }
    }
}

impl<S> Layer<S> for ObserveLayer {
    type Service = ObserveService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        ObserveService {
            inner,
            observer: self.observer.clone(),
        }
    }
}

/// The service made by [`ObserveLayer`].
#[derive(Debug, Clone)]
pub(crate) struct ObserveService<S> {
    inner: S,
    observer: Observer,
}

impl<S, ReqBody, ResBody> Service<Request<ReqBody>> for ObserveService<S>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>>,
{
    type Response = Response<ObservedBody<ResBody>>;
    type Error = S::Error;
    type Future = ObserveFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<ReqBody>) -> Self::Future {
        let record = self.observer.start(&request);
        ObserveFuture {
            inner: self.inner.call(request),
            record,
        }
    }
}

pin_project_lite::pin_project! {
    /// The response future of [`ObserveService`].
    pub(crate) struct ObserveFuture<F> {
        #[pin]
        inner: F,
        record: Option<CallRecord>,
    }
}

impl<F, ResBody, E> Future for ObserveFuture<F>
where
    F: Future<Output = Result<Response<ResBody>, E>>,
{
    type Output = Result<Response<ObservedBody<ResBody>>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let outcome = ready!(this.inner.poll(cx));
        let mut record = this.record.take();
        let response = match outcome {
            Ok(response) => response,
            Err(err) => {
                if let Some(record) = record {
                    record.finish(Code::Unknown);
                }
                return Poll::Ready(Err(err));
            }
        };
        // A status in the head means the call is over (refused, or failed at once).
        if let Some(code) = code_in(response.headers())
            && let Some(record) = record.take()
        {
            record.finish(code);
        }
        Poll::Ready(Ok(response.map(|inner| ObservedBody { inner, record })))
    }
}

pin_project_lite::pin_project! {
    /// A response body that records the call when its status goes out.
    pub(crate) struct ObservedBody<B> {
        #[pin]
        inner: B,
        record: Option<CallRecord>,
    }
}

impl<B: Body> Body for ObservedBody<B> {
    type Data = B::Data;
    type Error = B::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        let this = self.project();
        let frame = ready!(this.inner.poll_frame(cx));
        if this.record.is_some() {
            let code = match &frame {
                Some(Ok(frame)) => frame
                    .trailers_ref()
                    .map(|trailers| code_in(trailers).unwrap_or(Code::Unknown)),
                Some(Err(_)) => Some(Code::Internal),
                None => Some(Code::Unknown),
            };
            if let Some(code) = code
                && let Some(record) = this.record.take()
            {
                record.finish(code);
            }
        }
        Poll::Ready(frame)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}
