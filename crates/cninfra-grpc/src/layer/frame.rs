//! Message size limits for every service at once (`max-msg-size`, `max-send-msg-size`).
//!
//! gRPC frames each message with five bytes: a compression flag and the length (big
//! endian). The bodies here read those headers as the bytes stream past, without buffering:
//! a request message over the limit fails the call with `RESOURCE_EXHAUSTED`; a response
//! message over the limit is not sent, and the call ends with `RESOURCE_EXHAUSTED`
//! trailers instead. Lengths are on the wire (compressed, when compression is used).

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use bytes::Buf as _;
use http::{HeaderMap, Request, Response};
use http_body::{Body, Frame, SizeHint};
use tonic::Status;
use tower::{Layer, Service};

/// Finds the messages of one direction whose length is above a limit.
#[derive(Debug, Clone)]
struct Scanner {
    limit: usize,
    header: [u8; 5],
    header_len: usize,
    /// Bytes of the current message still to come.
    remaining: usize,
}

/// A message over the limit: where its header starts in the chunk, and its length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Oversize {
    at: usize,
    len: usize,
}

impl Scanner {
    fn new(limit: usize) -> Self {
        Self {
            limit,
            header: [0; 5],
            header_len: 0,
            remaining: 0,
        }
    }

    /// Reads the next chunk of the stream. A header begun in an earlier chunk counts as
    /// starting at 0.
    fn scan(&mut self, chunk: &[u8]) -> Result<(), Oversize> {
        let mut pos = 0;
        while pos < chunk.len() {
            if self.remaining > 0 {
                let skip = self.remaining.min(chunk.len() - pos);
                self.remaining -= skip;
                pos += skip;
                continue;
            }
            let start = pos.saturating_sub(self.header_len);
            let take = (5 - self.header_len).min(chunk.len() - pos);
            self.header[self.header_len..self.header_len + take]
                .copy_from_slice(&chunk[pos..pos + take]);
            self.header_len += take;
            pos += take;
            if self.header_len == 5 {
                self.header_len = 0;
                let [_, a, b, c, d] = self.header;
                let len = u32::from_be_bytes([a, b, c, d]) as usize;
                if len > self.limit {
                    return Err(Oversize { at: start, len });
                }
                self.remaining = len;
            }
        }
        Ok(())
    }
}

/// The configured limits; `None` is no check.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct MessageLimits {
    /// Largest message a client may send.
    pub(crate) recv: Option<usize>,
    /// Largest message the server sends.
    pub(crate) send: Option<usize>,
}

/// Applies [`MessageLimits`] to every call.
#[derive(Debug, Clone, Copy)]
pub(crate) struct MessageLimitLayer {
    limits: MessageLimits,
}

impl MessageLimitLayer {
    /// The layer.
    pub(crate) fn new(limits: MessageLimits) -> Self {
        Self { limits }
    }
}

impl<S> Layer<S> for MessageLimitLayer {
    type Service = MessageLimitService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        MessageLimitService {
            inner,
            limits: self.limits,
        }
    }
}

/// The service made by [`MessageLimitLayer`].
#[derive(Debug, Clone)]
pub(crate) struct MessageLimitService<S> {
    inner: S,
    limits: MessageLimits,
}

impl<S, ResBody> Service<Request<tonic::body::Body>> for MessageLimitService<S>
where
    S: Service<Request<tonic::body::Body>, Response = Response<ResBody>>,
{
    type Response = Response<SendLimited<ResBody>>;
    type Error = S::Error;
    type Future = LimitFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<tonic::body::Body>) -> Self::Future {
        let request = match self.limits.recv {
            Some(limit) => request.map(|body| {
                tonic::body::Body::new(RecvLimited {
                    inner: body,
                    scanner: Scanner::new(limit),
                })
            }),
            None => request,
        };
        LimitFuture {
            inner: self.inner.call(request),
            send: self.limits.send,
        }
    }
}

pin_project_lite::pin_project! {
    /// The response future of [`MessageLimitService`].
    pub(crate) struct LimitFuture<F> {
        #[pin]
        inner: F,
        send: Option<usize>,
    }
}

impl<F, ResBody, E> Future for LimitFuture<F>
where
    F: Future<Output = Result<Response<ResBody>, E>>,
{
    type Output = Result<Response<SendLimited<ResBody>>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let response = ready!(this.inner.poll(cx))?;
        let send = *this.send;
        Poll::Ready(Ok(response.map(|inner| SendLimited {
            inner,
            scanner: send.map(Scanner::new),
            state: SendState::Open,
        })))
    }
}

pin_project_lite::pin_project! {
    /// A request body that fails on a message over the limit.
    struct RecvLimited {
        #[pin]
        inner: tonic::body::Body,
        scanner: Scanner,
    }
}

impl Body for RecvLimited {
    type Data = bytes::Bytes;
    type Error = Status;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        let this = self.project();
        let frame = ready!(this.inner.poll_frame(cx));
        if let Some(Ok(frame)) = &frame
            && let Some(data) = frame.data_ref()
            && let Err(over) = this.scanner.scan(data.chunk())
        {
            return Poll::Ready(Some(Err(Status::resource_exhausted(format!(
                "received message larger than max ({} vs. {})",
                over.len, this.scanner.limit
            )))));
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

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SendState {
    Open,
    /// The part before an oversize message went out; the error trailers are next.
    Refusing {
        len: usize,
    },
    Done,
}

pin_project_lite::pin_project! {
    /// A response body that ends the call instead of sending a message over the limit.
    pub(crate) struct SendLimited<B> {
        #[pin]
        inner: B,
        scanner: Option<Scanner>,
        state: SendState,
    }
}

/// An empty body, for calls the outer layers refuse.
impl<B: Default> Default for SendLimited<B> {
    fn default() -> Self {
        Self {
            inner: B::default(),
            scanner: None,
            state: SendState::Open,
        }
    }
}

impl<B> SendLimited<B> {
    fn refusal(len: usize, limit: usize) -> Frame<bytes::Bytes> {
        let status = Status::resource_exhausted(format!(
            "trying to send message larger than max ({len} vs. {limit})"
        ));
        let mut trailers = HeaderMap::new();
        // Fails only for a message that cannot be a header value; ours always can.
        let _ = status.add_header(&mut trailers);
        Frame::trailers(trailers)
    }
}

impl<B> Body for SendLimited<B>
where
    B: Body<Data = bytes::Bytes>,
{
    type Data = bytes::Bytes;
    type Error = B::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        let this = self.project();
        let Some(scanner) = this.scanner else {
            return this.inner.poll_frame(cx);
        };
        match *this.state {
            SendState::Done => return Poll::Ready(None),
            SendState::Refusing { len } => {
                *this.state = SendState::Done;
                return Poll::Ready(Some(Ok(Self::refusal(len, scanner.limit))));
            }
            SendState::Open => {}
        }
        let frame = ready!(this.inner.poll_frame(cx));
        let Some(Ok(frame)) = frame else {
            return Poll::Ready(frame);
        };
        let frame = match frame.into_data() {
            Ok(mut data) => match scanner.scan(&data) {
                Ok(()) => Frame::data(data),
                Err(over) if over.at > 0 => {
                    *this.state = SendState::Refusing { len: over.len };
                    data.truncate(over.at);
                    Frame::data(data)
                }
                Err(over) => {
                    *this.state = SendState::Done;
                    Self::refusal(over.len, scanner.limit)
                }
            },
            Err(other) => other,
        };
        Poll::Ready(Some(Ok(frame)))
    }

    fn is_end_stream(&self) -> bool {
        match self.state {
            SendState::Done => true,
            SendState::Refusing { .. } => false,
            SendState::Open => self.inner.is_end_stream(),
        }
    }

    fn size_hint(&self) -> SizeHint {
        match self.scanner {
            Some(_) => SizeHint::default(),
            None => self.inner.size_hint(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(len: usize) -> Vec<u8> {
        let mut framed = vec![0];
        framed.extend_from_slice(&u32::try_from(len).unwrap().to_be_bytes());
        framed.resize(5 + len, 7);
        framed
    }

    #[test]
    fn lengths_are_read_across_chunk_boundaries() {
        let mut stream = message(10);
        stream.extend(message(0));
        stream.extend(message(4));
        for split in 0..stream.len() {
            let mut scanner = Scanner::new(10);
            assert_eq!(scanner.scan(&stream[..split]), Ok(()), "split at {split}");
            assert_eq!(scanner.scan(&stream[split..]), Ok(()), "split at {split}");
        }
    }

    #[test]
    fn an_oversize_message_is_found_where_its_header_starts() {
        let mut stream = message(3);
        stream.extend(message(11));
        let mut scanner = Scanner::new(10);
        assert_eq!(scanner.scan(&stream), Err(Oversize { at: 8, len: 11 }));
        // A header begun in the previous chunk counts from the start of this one.
        let mut scanner = Scanner::new(10);
        assert_eq!(scanner.scan(&stream[..10]), Ok(()));
        assert_eq!(
            scanner.scan(&stream[10..]),
            Err(Oversize { at: 0, len: 11 })
        );
    }
}
