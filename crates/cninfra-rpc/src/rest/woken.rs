//! A future beside a busier one in the same task, polled only when its own waker fired.
//!
//! A connection's task is woken for every request; its watchdog (the shutdown token and the
//! time limits) only when a limit runs out or the server stops. Polled in a `select!`, the
//! watchdog would be polled on every wake of the connection, taking the token's locks each
//! time; [`OnWake`] polls it only after something woke it.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll, Wake, Waker};

use futures_util::task::AtomicWaker;

/// `inner`, polled when it woke (and at the first poll).
pub(super) struct OnWake<F> {
    inner: Pin<Box<F>>,
    signal: Arc<Signal>,
    waker: Waker,
}

/// Whether the inner future woke, and the task to wake then.
struct Signal {
    woken: AtomicBool,
    task: AtomicWaker,
}

impl Wake for Signal {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.woken.store(true, Ordering::Release);
        self.task.wake();
    }
}

impl<F: Future> OnWake<F> {
    pub(super) fn new(inner: F) -> Self {
        let signal = Arc::new(Signal {
            woken: AtomicBool::new(true),
            task: AtomicWaker::new(),
        });
        Self {
            inner: Box::pin(inner),
            waker: Waker::from(Arc::clone(&signal)),
            signal,
        }
    }
}

impl<F: Future> Future for OnWake<F> {
    type Output = F::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        self.signal.task.register(cx.waker());
        if !self.signal.woken.swap(false, Ordering::AcqRel) {
            return Poll::Pending;
        }
        let this = &mut *self;
        this.inner
            .as_mut()
            .poll(&mut Context::from_waker(&this.waker))
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::AtomicUsize;
    use std::time::Duration;

    use super::*;

    /// Counts its polls; ready when its sleep ends.
    struct Counted {
        polls: Arc<AtomicUsize>,
        sleep: Pin<Box<tokio::time::Sleep>>,
    }

    impl Future for Counted {
        type Output = ();

        fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
            self.polls.fetch_add(1, Ordering::Relaxed);
            self.sleep.as_mut().poll(cx)
        }
    }

    #[tokio::test(start_paused = true)]
    async fn the_inner_future_is_polled_only_when_it_woke() {
        let polls = Arc::new(AtomicUsize::new(0));
        let mut watched = std::pin::pin!(OnWake::new(Counted {
            polls: Arc::clone(&polls),
            sleep: Box::pin(tokio::time::sleep(Duration::from_secs(10))),
        }));
        // The task is woken many times by something else: the inner future is polled once.
        for _ in 0..100 {
            let waited = tokio::time::timeout(Duration::from_millis(1), watched.as_mut()).await;
            assert!(waited.is_err());
        }
        assert_eq!(polls.load(Ordering::Relaxed), 1);
        // Its own timer fires: it is polled again and completes.
        watched.await;
        assert_eq!(polls.load(Ordering::Relaxed), 2);
    }
}
