//! The standard health service (`grpc.health.v1.Health`) answering from the status check.
//!
//! The protocol types come from `tonic-health`; the service is ours, because
//! `tonic_health::server::HealthReporter`'s `Watch` streams never end, which would keep a
//! graceful stop waiting for every watching client. Here the server's stop answers
//! NOT_SERVING to the watchers, then ends their streams.

use std::collections::HashSet;
use std::pin::Pin;
use std::sync::Arc;

use cninfra_health::{AgentStatus, State};
use futures::Stream;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;
use tonic::{Request, Response, Status};
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_server::{Health, HealthServer};
use tonic_health::pb::{HealthCheckRequest, HealthCheckResponse};

/// The full name of the health service.
pub(crate) const HEALTH_SERVICE: &str = "grpc.health.v1.Health";

/// The health service: SERVING while the agent state is OK and the server is not
/// stopping, else NOT_SERVING, for the server as a whole (`""`) and every service it
/// serves; unknown services are NOT_FOUND (`Check`) or SERVICE_UNKNOWN (`Watch`).
#[derive(Debug, Clone)]
pub(crate) struct AgentHealth {
    status: watch::Receiver<AgentStatus>,
    services: Arc<HashSet<String>>,
    stopping: CancellationToken,
}

impl AgentHealth {
    /// The service for `services`, following `status` until `stopping` is cancelled.
    pub(crate) fn server(
        status: watch::Receiver<AgentStatus>,
        services: impl IntoIterator<Item = String>,
        stopping: CancellationToken,
    ) -> HealthServer<Self> {
        let mut services: HashSet<String> = services.into_iter().collect();
        services.insert(String::new());
        services.insert(HEALTH_SERVICE.to_owned());
        HealthServer::new(Self {
            status,
            services: Arc::new(services),
            stopping,
        })
    }

    fn current(&self) -> ServingStatus {
        serving(self.status.borrow().state, self.stopping.is_cancelled())
    }
}

fn serving(state: State, stopping: bool) -> ServingStatus {
    if state == State::Ok && !stopping {
        ServingStatus::Serving
    } else {
        ServingStatus::NotServing
    }
}

fn response(status: ServingStatus) -> HealthCheckResponse {
    HealthCheckResponse {
        status: status as i32,
    }
}

type WatchStream = Pin<Box<dyn Stream<Item = Result<HealthCheckResponse, Status>> + Send>>;

/// What a watch stream sends next.
struct Watcher {
    /// `None` for an unknown service, whose status never changes.
    status: Option<watch::Receiver<AgentStatus>>,
    stopping: CancellationToken,
    last: Option<ServingStatus>,
    done: bool,
}

impl Watcher {
    async fn next(mut self) -> Option<(Result<HealthCheckResponse, Status>, Self)> {
        if self.done {
            return None;
        }
        loop {
            let now = match &mut self.status {
                None if self.last.is_none() => ServingStatus::ServiceUnknown,
                None => {
                    self.stopping.cancelled().await;
                    return None;
                }
                Some(status) if self.last.is_none() => serving(
                    status.borrow_and_update().state,
                    self.stopping.is_cancelled(),
                ),
                Some(status) => {
                    tokio::select! {
                        biased;
                        () = self.stopping.cancelled() => {
                            self.done = true;
                            ServingStatus::NotServing
                        }
                        changed = status.changed() => match changed {
                            Ok(()) => serving(status.borrow_and_update().state, false),
                            Err(_) => return None,
                        },
                    }
                }
            };
            if self.last != Some(now) {
                self.last = Some(now);
                return Some((Ok(response(now)), self));
            }
            if self.done {
                return None;
            }
        }
    }
}

#[tonic::async_trait]
impl Health for AgentHealth {
    async fn check(
        &self,
        request: Request<HealthCheckRequest>,
    ) -> Result<Response<HealthCheckResponse>, Status> {
        let service = &request.get_ref().service;
        if !self.services.contains(service) {
            return Err(Status::not_found(format!("unknown service {service:?}")));
        }
        Ok(Response::new(response(self.current())))
    }

    type WatchStream = WatchStream;

    async fn watch(
        &self,
        request: Request<HealthCheckRequest>,
    ) -> Result<Response<Self::WatchStream>, Status> {
        let known = self.services.contains(&request.get_ref().service);
        let watcher = Watcher {
            status: known.then(|| self.status.clone()),
            stopping: self.stopping.clone(),
            last: None,
            done: false,
        };
        let stream: WatchStream = Box::pin(futures::stream::unfold(watcher, Watcher::next));
        Ok(Response::new(stream))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::StreamExt as _;

    fn agent_status(state: State) -> AgentStatus {
        let now = std::time::SystemTime::now();
        AgentStatus {
            build_version: String::new(),
            build_date: String::new(),
            commit_hash: String::new(),
            state,
            start_time: now,
            last_change: now,
            last_update: now,
            plugins: Vec::new(),
        }
    }

    fn health(state: State) -> (AgentHealth, watch::Sender<AgentStatus>, CancellationToken) {
        let (sender, receiver) = watch::channel(agent_status(state));
        let stopping = CancellationToken::new();
        let health = AgentHealth {
            status: receiver,
            services: Arc::new(["".to_owned(), "a.B".to_owned()].into()),
            stopping: stopping.clone(),
        };
        (health, sender, stopping)
    }

    fn request(service: &str) -> Request<HealthCheckRequest> {
        Request::new(HealthCheckRequest {
            service: service.to_owned(),
        })
    }

    async fn next_status(stream: &mut WatchStream) -> Option<i32> {
        stream.next().await.map(|item| item.expect("ok").status)
    }

    #[tokio::test]
    async fn watch_follows_the_agent_and_ends_on_stop() {
        let (health, sender, stopping) = health(State::Init);
        let mut stream = health.watch(request("a.B")).await.unwrap().into_inner();
        assert_eq!(
            next_status(&mut stream).await,
            Some(ServingStatus::NotServing as i32)
        );
        sender.send_replace(agent_status(State::Ok));
        assert_eq!(
            next_status(&mut stream).await,
            Some(ServingStatus::Serving as i32)
        );
        stopping.cancel();
        assert_eq!(
            next_status(&mut stream).await,
            Some(ServingStatus::NotServing as i32)
        );
        assert_eq!(next_status(&mut stream).await, None);
        let answer = health.check(request("")).await.unwrap().into_inner();
        assert_eq!(answer.status, ServingStatus::NotServing as i32, "stopping");
    }

    #[tokio::test]
    async fn unknown_services_are_reported_as_such() {
        let (health, _sender, stopping) = health(State::Ok);
        let err = health.check(request("x.Y")).await.unwrap_err();
        assert_eq!(err.code(), tonic::Code::NotFound);
        let mut stream = health.watch(request("x.Y")).await.unwrap().into_inner();
        assert_eq!(
            next_status(&mut stream).await,
            Some(ServingStatus::ServiceUnknown as i32)
        );
        stopping.cancel();
        assert_eq!(next_status(&mut stream).await, None);
    }
}
