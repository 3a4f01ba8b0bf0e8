//! The time limits of a connection as a whole, watched by one timer per connection: idle
//! (no byte moved) and request head (`read-header-timeout`, HTTP/1).
//!
//! An IO wrapper stamps the time of the last byte read or written, and the time the first
//! byte of a request head arrived; the connection's service marks when a head was complete
//! (the request reached it) and when a response was ready (the next byte read starts the
//! next head). [`Activity::expired`] sleeps until the earliest deadline and looks again, so
//! no timer is made per request (hyper's own header time limit makes one per request).

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use http::{StatusCode, Version};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::Instant;

/// `head_since_ms` when no request head is being read.
const NO_HEAD: u64 = u64::MAX;

/// Which time limit ran out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Expired {
    /// No byte moved for the idle time limit.
    Idle,
    /// A request head took longer than its time limit.
    Head,
}

/// What a connection did when, as milliseconds since it opened.
#[derive(Debug, Clone)]
pub(super) struct Activity(Arc<Shared>);

#[derive(Debug)]
struct Shared {
    opened: Instant,
    /// The last byte read or written.
    last_ms: AtomicU64,
    /// The first byte of the request head being read, or [`NO_HEAD`]. The first head
    /// counts from the connection's start.
    head_since_ms: AtomicU64,
    /// Whether the next byte read starts a request head (a response was ready).
    awaiting_head: AtomicBool,
    /// No HTTP/1 request head follows: HTTP/2 (heads are frames among others) or a
    /// connection upgraded to another protocol. The head time limit no longer applies.
    no_heads: AtomicBool,
}

impl Activity {
    pub(super) fn new() -> Self {
        Self(Arc::new(Shared {
            opened: Instant::now(),
            last_ms: AtomicU64::new(0),
            head_since_ms: AtomicU64::new(0),
            awaiting_head: AtomicBool::new(false),
            no_heads: AtomicBool::new(false),
        }))
    }

    fn now_ms(&self) -> u64 {
        u64::try_from(self.0.opened.elapsed().as_millis()).unwrap_or(NO_HEAD - 1)
    }

    fn at(&self, ms: u64) -> Instant {
        self.0.opened + Duration::from_millis(ms)
    }

    fn read(&self) {
        let ms = self.now_ms();
        self.0.last_ms.store(ms, Ordering::Relaxed);
        if self.0.awaiting_head.swap(false, Ordering::Relaxed) {
            self.0.head_since_ms.store(ms, Ordering::Relaxed);
        }
    }

    fn wrote(&self) {
        self.0.last_ms.store(self.now_ms(), Ordering::Relaxed);
    }

    /// A request (its head complete) reached the service.
    pub(super) fn request_started(&self, version: Version) {
        self.0.head_since_ms.store(NO_HEAD, Ordering::Relaxed);
        if version == Version::HTTP_2 {
            self.0.no_heads.store(true, Ordering::Relaxed);
        }
    }

    /// The service answered with `status`: the next byte read starts a request head
    /// (HTTP/1), unless the connection switches protocols.
    pub(super) fn response_ready(&self, status: StatusCode) {
        if status == StatusCode::SWITCHING_PROTOCOLS {
            self.0.no_heads.store(true, Ordering::Relaxed);
        }
        if !self.0.no_heads.load(Ordering::Relaxed) {
            self.0.awaiting_head.store(true, Ordering::Relaxed);
        }
    }

    /// Completes when a time limit ran out: `head` for a request head being read,
    /// `idle` since the last byte; never when both are `None`.
    pub(super) async fn expired(&self, head: Option<Duration>, idle: Option<Duration>) -> Expired {
        loop {
            let now = Instant::now();
            let mut wake: Option<Instant> = None;
            if let Some(limit) = head {
                let since = self.0.head_since_ms.load(Ordering::Relaxed);
                let deadline = if since == NO_HEAD {
                    // A head starting from now ends no sooner than this.
                    now + limit
                } else {
                    let deadline = self.at(since) + limit;
                    if now >= deadline {
                        return Expired::Head;
                    }
                    deadline
                };
                wake = Some(deadline);
            }
            if let Some(limit) = idle {
                let deadline = self.at(self.0.last_ms.load(Ordering::Relaxed)) + limit;
                if now >= deadline {
                    return Expired::Idle;
                }
                wake = Some(wake.map_or(deadline, |w| w.min(deadline)));
            }
            match wake {
                Some(at) => tokio::time::sleep_until(at).await,
                None => std::future::pending().await,
            }
        }
    }
}

/// An IO object that reports its traffic to an [`Activity`].
#[derive(Debug)]
pub(super) struct Tracked<T> {
    inner: T,
    activity: Activity,
}

impl<T> Tracked<T> {
    pub(super) fn new(inner: T, activity: Activity) -> Self {
        Self { inner, activity }
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for Tracked<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.inner).poll_read(cx, buf);
        if matches!(polled, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            self.activity.read();
        }
        polled
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for Tracked<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.inner).poll_write(cx, buf);
        if matches!(polled, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.wrote();
        }
        polled
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        if matches!(polled, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.wrote();
        }
        polled
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    #[tokio::test(start_paused = true)]
    async fn idle_counts_from_the_last_byte() {
        let (client, server) = tokio::io::duplex(64);
        let activity = Activity::new();
        let mut tracked = Tracked::new(server, activity.clone());
        let mut client = client;

        tokio::time::advance(Duration::from_secs(3)).await;
        client.write_all(b"hi").await.unwrap();
        let mut buf = [0u8; 2];
        tracked.read_exact(&mut buf).await.unwrap();

        let begin = Instant::now();
        let expired = activity.expired(None, Some(Duration::from_secs(5))).await;
        // Paused time: the wait ends exactly 5 s after the byte, not 5 s after opening.
        assert_eq!(expired, Expired::Idle);
        assert_eq!(begin.elapsed(), Duration::from_secs(5));
    }

    #[tokio::test(start_paused = true)]
    async fn no_limit_never_completes() {
        let activity = Activity::new();
        let waited =
            tokio::time::timeout(Duration::from_secs(3600), activity.expired(None, None)).await;
        assert!(waited.is_err());
    }

    #[tokio::test(start_paused = true)]
    async fn a_head_counts_from_its_first_byte_and_ends_with_the_request() {
        let (mut client, server) = tokio::io::duplex(64);
        let activity = Activity::new();
        let mut tracked = Tracked::new(server, activity.clone());
        let head = Some(Duration::from_secs(10));
        let idle = Some(Duration::from_secs(120));
        let mut buf = [0u8; 2];

        // The first head counts from the start: 10 s.
        let begin = Instant::now();
        assert_eq!(activity.expired(head, idle).await, Expired::Head);
        assert_eq!(begin.elapsed(), Duration::from_secs(10));

        // A request and its answer: between requests only the idle limit holds...
        activity.request_started(Version::HTTP_11);
        activity.response_ready(StatusCode::OK);
        let begin = Instant::now();
        let waited = tokio::time::timeout(Duration::from_secs(60), activity.expired(head, idle));
        assert!(waited.await.is_err(), "no head is being read");

        // ...until a byte of the next head arrives, 60 s later: 10 s from then.
        client.write_all(b"GE").await.unwrap();
        tracked.read_exact(&mut buf).await.unwrap();
        assert_eq!(activity.expired(head, idle).await, Expired::Head);
        assert_eq!(begin.elapsed(), Duration::from_secs(70));
    }

    #[tokio::test(start_paused = true)]
    async fn http2_has_no_head_limit_after_its_first_request() {
        // (An upgraded HTTP/1 connection, answered 101, is alike.)
        let (mut client, server) = tokio::io::duplex(64);
        let activity = Activity::new();
        let mut tracked = Tracked::new(server, activity.clone());
        activity.request_started(Version::HTTP_2);
        activity.response_ready(StatusCode::OK);
        client.write_all(b"ok").await.unwrap();
        let mut buf = [0u8; 2];
        tracked.read_exact(&mut buf).await.unwrap();
        let begin = Instant::now();
        let expired = activity
            .expired(
                Some(Duration::from_secs(10)),
                Some(Duration::from_secs(120)),
            )
            .await;
        assert_eq!(expired, Expired::Idle);
        assert_eq!(begin.elapsed(), Duration::from_secs(120));
    }
}
