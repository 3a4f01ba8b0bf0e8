//! `GET /ui/events`: server-sent events naming what changed, so the page fetches again.

use std::convert::Infallible;
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::routing::get;
use futures::{Stream, StreamExt, stream};
use tokio::sync::broadcast;
use tokio_stream::wrappers::BroadcastStream;
use tokio_stream::wrappers::errors::BroadcastStreamRecvError;
use tokio_util::sync::CancellationToken;

/// What changed; the event's name in the stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Topic {
    /// The agent's status (its state or a plugin's).
    Agent,
    /// The KVScheduler's values (a status changed, so a transaction ran).
    Values,
    /// A supervised program (started, stopped, exited).
    Programs,
}

impl Topic {
    /// Every topic.
    pub const ALL: [Topic; 3] = [Topic::Agent, Topic::Values, Topic::Programs];

    /// The event name (`agent`, `values`, `programs`).
    pub fn as_str(self) -> &'static str {
        match self {
            Topic::Agent => "agent",
            Topic::Values => "values",
            Topic::Programs => "programs",
        }
    }
}

/// Sends topics to every open event stream.
#[derive(Debug, Clone)]
pub(crate) struct Events {
    sender: broadcast::Sender<Topic>,
    /// Ends the streams when the agent stops (the HTTP server waits for open responses).
    stop: CancellationToken,
}

/// How many changes a slow page may fall behind before it is told to fetch everything.
const CAPACITY: usize = 64;
/// A comment line this often keeps proxies and the server's idle timeout from closing an
/// idle stream.
const KEEP_ALIVE: Duration = Duration::from_secs(15);

impl Events {
    pub(crate) fn new(stop: CancellationToken) -> Self {
        Self {
            sender: broadcast::channel(CAPACITY).0,
            stop,
        }
    }

    /// Tells the open streams that `topic` changed.
    pub(crate) fn send(&self, topic: Topic) {
        // No open page is not an error.
        let _ = self.sender.send(topic);
    }

    /// The stream of one page: `hello` first (the page then fetches everything), then each
    /// topic as it changes; after falling behind, every topic.
    fn stream(&self) -> impl Stream<Item = Result<Event, Infallible>> + use<> {
        let changes = BroadcastStream::new(self.sender.subscribe()).flat_map(|item| {
            let topics: Vec<Topic> = match item {
                Ok(topic) => vec![topic],
                Err(BroadcastStreamRecvError::Lagged(_)) => Topic::ALL.to_vec(),
            };
            stream::iter(topics)
        });
        let stop = self.stop.clone().cancelled_owned();
        // The data repeats the name: a browser drops an event without data.
        let event = |name: &str| Ok(Event::default().event(name).data(name));
        stream::once(async move { event("hello") })
            .chain(changes.map(move |topic| event(topic.as_str())))
            .take_until(stop)
    }
}

async fn serve(State(events): State<Events>) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    Sse::new(events.stream()).keep_alive(KeepAlive::new().interval(KEEP_ALIVE))
}

/// `GET /ui/events`.
pub(crate) fn router(events: Events) -> Router {
    Router::new()
        .route("/ui/events", get(serve))
        .with_state(events)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use axum::http::Request;
    use http_body_util::BodyExt;
    use tower::ServiceExt;

    /// The next chunk of the stream as text; `None` once it ended.
    async fn next(body: &mut Body) -> Option<String> {
        loop {
            let frame = body.frame().await?.unwrap();
            if let Ok(data) = frame.into_data() {
                return Some(String::from_utf8(data.to_vec()).unwrap());
            }
        }
    }

    #[tokio::test]
    async fn a_page_hears_hello_then_each_change_with_data_and_the_stream_ends_on_stop() {
        let stop = CancellationToken::new();
        let events = Events::new(stop.clone());
        let response = router(events.clone())
            .oneshot(Request::get("/ui/events").body(Body::empty()).unwrap())
            .await
            .unwrap();
        assert_eq!(
            response.headers()["content-type"],
            "text/event-stream",
            "{:?}",
            response.headers()
        );
        let mut body = response.into_body();
        // Browsers drop events without a data line.
        assert_eq!(
            next(&mut body).await.unwrap(),
            "event: hello\ndata: hello\n\n"
        );
        events.send(Topic::Values);
        assert_eq!(
            next(&mut body).await.unwrap(),
            "event: values\ndata: values\n\n"
        );
        stop.cancel();
        assert_eq!(next(&mut body).await, None, "ended on stop");
    }
}
