//! [`Subscription`]: a stream of value-status changes.

use std::fmt;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures::stream::{BoxStream, Stream, StreamExt};

use crate::error::ClientError;
use crate::item::Notification;

/// Status changes of the subscribed values, in the order the agent made them
/// ([`Client::subscribe`](crate::Client::subscribe)). A stream; [`recv`](Self::recv) is
/// its `next`. It ends when the agent goes away; an `Err` item ends it too.
pub struct Subscription {
    stream: BoxStream<'static, Result<Notification, ClientError>>,
}

impl Subscription {
    pub(crate) fn new(
        stream: impl Stream<Item = Result<Notification, ClientError>> + Send + 'static,
    ) -> Self {
        Self {
            stream: stream.boxed(),
        }
    }

    /// The next notification; `None` once the stream ended.
    pub async fn recv(&mut self) -> Option<Result<Notification, ClientError>> {
        self.stream.next().await
    }
}

impl fmt::Debug for Subscription {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Subscription").finish_non_exhaustive()
    }
}

impl Stream for Subscription {
    type Item = Result<Notification, ClientError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.stream.poll_next_unpin(cx)
    }
}
