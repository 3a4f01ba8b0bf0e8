//! [`AckQueue`]: the acknowledgements a watch waits for, oldest first, with one timer.

use std::collections::VecDeque;
use std::future::{Future, poll_fn};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use futures::FutureExt;
use tokio::sync::oneshot;
use tokio::time::{Instant, Sleep};

use crate::delivery::{Answer, judge};
use crate::error::DatasyncError;
use crate::event::AckResult;

/// Change events sent to one plugin and not acknowledged yet, in the order they were sent.
/// Their deadlines grow in that order, so only the oldest needs a timer; events that are
/// acknowledged quickly never touch it.
pub(super) struct AckQueue {
    plugin: Arc<str>,
    limit: Duration,
    queue: VecDeque<Pending>,
    timer: Pin<Box<Sleep>>,
    /// The deadline the timer is set to, if it is armed for the current oldest event.
    armed: Option<Instant>,
}

struct Pending {
    key: String,
    wait: oneshot::Receiver<AckResult>,
    deadline: Instant,
}

impl AckQueue {
    /// An empty queue for the watch `plugin`, each event with `limit` to be acknowledged.
    pub(super) fn new(plugin: Arc<str>, limit: Duration) -> Self {
        Self {
            plugin,
            limit,
            queue: VecDeque::new(),
            timer: Box::pin(tokio::time::sleep(Duration::ZERO)),
            armed: None,
        }
    }

    /// Waits for the acknowledgement of the change of `key` from now on.
    pub(super) fn push(&mut self, key: String, wait: oneshot::Receiver<AckResult>) {
        let deadline = Instant::now() + self.limit;
        self.queue.push_back(Pending {
            key,
            wait,
            deadline,
        });
    }

    pub(super) fn len(&self) -> usize {
        self.queue.len()
    }

    pub(super) fn is_empty(&self) -> bool {
        self.queue.is_empty()
    }

    /// The outcome of the oldest event, once known; never resolves while empty.
    pub(super) async fn next(&mut self) -> Result<(), DatasyncError> {
        poll_fn(|cx| self.poll_oldest(cx)).await
    }

    /// The outcome of the oldest event if it is known now.
    pub(super) fn try_next(&mut self) -> Option<Result<(), DatasyncError>> {
        self.next().now_or_never()
    }

    fn poll_oldest(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), DatasyncError>> {
        let Some(oldest) = self.queue.front_mut() else {
            return Poll::Pending;
        };
        let answer = match Pin::new(&mut oldest.wait).poll(cx) {
            Poll::Ready(Ok(result)) => Answer::Given(result),
            Poll::Ready(Err(_)) => Answer::Dropped,
            Poll::Pending => {
                if self.armed != Some(oldest.deadline) {
                    self.timer.as_mut().reset(oldest.deadline);
                    self.armed = Some(oldest.deadline);
                }
                if self.timer.as_mut().poll(cx).is_pending() {
                    return Poll::Pending;
                }
                Answer::Late
            }
        };
        let key = Some(std::mem::take(&mut oldest.key));
        let outcome = judge(&self.plugin, key, answer, self.limit);
        self.queue.pop_front();
        Poll::Ready(outcome)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::Done;

    #[tokio::test(start_paused = true)]
    async fn outcomes_come_oldest_first_and_late_ones_time_out() {
        let mut acks = AckQueue::new(Arc::from("ex"), Duration::from_secs(10));
        let (first, wait) = Done::pair();
        acks.push("a".into(), wait);
        let (second, wait) = Done::pair();
        acks.push("b".into(), wait);
        let (third, wait) = Done::pair();
        acks.push("c".into(), wait);

        second.fail("bad");
        assert!(acks.try_next().is_none(), "the oldest is not answered yet");
        first.ok();
        assert!(acks.try_next().expect("known").is_ok());
        let err = acks.try_next().expect("known").unwrap_err();
        assert_eq!(err.key(), Some("b"));
        assert!(matches!(err, DatasyncError::Rejected { .. }));

        let err = acks.next().await.unwrap_err(); // the paused clock jumps to the deadline
        assert_eq!(
            err.to_string(),
            "plugin `ex` did not acknowledge the change of `c` within 10s"
        );
        assert!(acks.is_empty());
        drop(third);
    }
}
