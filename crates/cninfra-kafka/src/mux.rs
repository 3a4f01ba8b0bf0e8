//! [`Multiplexer`]: the one shared Kafka client of an agent, and its named [`Connection`]s.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use rdkafka::consumer::{Consumer, StreamConsumer};
use rdkafka::producer::{FutureProducer, Producer};
use rdkafka::{ClientConfig, Offset, TopicPartitionList};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::LOG;
use crate::config::KafkaConfig;
use crate::error::KafkaError;
use crate::group::{Marks, Route, Routes, dispatch_loop, route_loop};
use crate::message::{Handler, Message, Partitioner};
use crate::producer::{AsyncProducer, AsyncPublisher, Callbacks, Picker, Reporter, SyncPublisher};

/// A topic watcher added before start: its buffer, handler, topic and connection name.
type Pending = (mpsc::Receiver<Vec<Message>>, Handler, Arc<str>, Arc<str>);

/// The shared client: a sync producer (`acks=all`), an async producer (`acks=1`), one group
/// consumer for every topic watcher, and one consumer per partition watcher. Cheap to clone.
///
/// # Examples
/// ```no_run
/// use cninfra_kafka::{Handler, KafkaConfig, Multiplexer, Partitioner, Record};
///
/// # async fn demo() -> Result<(), cninfra_kafka::KafkaError> {
/// let mux = Multiplexer::connect(KafkaConfig::default(), "my-agent").await?;
/// let conn = mux.connection("orders");
/// conn.watch("orders", Handler::new(|msg| async move { println!("{msg:?}"); Ok(()) }))?;
/// mux.start()?;
/// let publisher = conn.sync_publisher("orders", Partitioner::Hash).await?;
/// publisher.send(Record::new("hello").with_key("k")).await?;
/// mux.close().await;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct Multiplexer(Arc<Inner>);

struct Inner {
    config: KafkaConfig,
    group_id: String,
    sync_producer: FutureProducer,
    async_producer: Arc<AsyncProducer>,
    routes: Routes,
    marks: Marks,
    pending: parking_lot::Mutex<Vec<Pending>>,
    group: parking_lot::Mutex<Option<Arc<StreamConsumer>>>,
    partitions: parking_lot::Mutex<HashMap<(String, i32), CancellationToken>>,
    started: AtomicBool,
    stop: CancellationToken,
    tasks: TaskTracker,
}

impl std::fmt::Debug for Inner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Multiplexer")
            .field("addrs", &self.config.addrs)
            .field("group_id", &self.group_id)
            .field("started", &self.started.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}

impl Multiplexer {
    /// Creates the clients and checks (within `config.timeout`) that a broker answers.
    ///
    /// # Errors
    /// [`KafkaError::Client`] for a config librdkafka rejects, [`KafkaError::Unreachable`]
    /// naming the brokers when none answered.
    pub async fn connect(config: KafkaConfig, group_id: &str) -> Result<Self, KafkaError> {
        let timeout_ms = config.timeout.as_millis().max(1).to_string();
        let partitioner = config.hash_partitioner.librdkafka_name();
        let mut sync = config.client_config();
        sync.set("acks", "all")
            .set("message.timeout.ms", &timeout_ms)
            .set("partitioner", partitioner);
        sync.set(
            "enable.idempotence",
            if config.idempotence { "true" } else { "false" },
        );
        let mut fire = config.client_config();
        fire.set("acks", "1")
            .set("message.timeout.ms", &timeout_ms)
            .set("partitioner", partitioner)
            .set("enable.idempotence", "false");
        let group_id = if config.group_id.is_empty() {
            group_id.to_owned()
        } else {
            config.group_id.clone()
        };
        let mux = Self(Arc::new(Inner {
            sync_producer: sync.create().map_err(KafkaError::Client)?,
            async_producer: Arc::new(
                fire.create_with_context(Reporter)
                    .map_err(KafkaError::Client)?,
            ),
            config,
            group_id,
            routes: Routes::default(),
            marks: Marks::default(),
            pending: parking_lot::Mutex::new(Vec::new()),
            group: parking_lot::Mutex::new(None),
            partitions: parking_lot::Mutex::new(HashMap::new()),
            started: AtomicBool::new(false),
            stop: CancellationToken::new(),
            tasks: TaskTracker::new(),
        }));
        mux.check().await?;
        Ok(mux)
    }

    /// The config in use.
    pub fn config(&self) -> &KafkaConfig {
        &self.0.config
    }

    /// The consumer group of the topic watchers.
    pub fn group_id(&self) -> &str {
        &self.0.group_id
    }

    /// A named connection: plugins create their publishers and watchers through it.
    pub fn connection(&self, name: &str) -> Connection {
        Connection {
            mux: self.clone(),
            name: name.into(),
        }
    }

    /// Asks the brokers for metadata (within `timeout`): the status probe.
    ///
    /// # Errors
    /// [`KafkaError::Unreachable`] naming the brokers.
    pub async fn check(&self) -> Result<(), KafkaError> {
        self.partition_count_of(None).await.map(|_| ())
    }

    /// The partition count of `topic` (0 when unknown), or just reachability for `None`.
    async fn partition_count_of(&self, topic: Option<&str>) -> Result<usize, KafkaError> {
        let producer = self.0.sync_producer.clone();
        let timeout = self.0.config.timeout;
        let topic_owned = topic.map(str::to_owned);
        let unreachable = |source| KafkaError::Unreachable {
            addrs: self.0.config.addrs.join(","),
            timeout,
            source,
        };
        let fetched = tokio::task::spawn_blocking(move || {
            producer
                .client()
                .fetch_metadata(topic_owned.as_deref(), timeout)
                .map(|meta| {
                    meta.topics().first().map_or(0, |t| {
                        if t.error().is_some() {
                            0
                        } else {
                            t.partitions().len()
                        }
                    })
                })
        })
        .await
        .map_err(|_| KafkaError::Closed)?;
        fetched.map_err(unreachable)
    }

    /// Starts the group consumer over every watched topic (upstream's AfterInit). Watching a
    /// topic afterwards is refused; partition watchers may still be added.
    ///
    /// # Errors
    /// [`KafkaError::Client`]/[`KafkaError::Consume`] when the consumer cannot be created or
    /// subscribed.
    pub fn start(&self) -> Result<(), KafkaError> {
        if self.0.started.swap(true, Ordering::AcqRel) {
            return Ok(());
        }
        let pending = std::mem::take(&mut *self.0.pending.lock());
        if pending.is_empty() {
            return Ok(());
        }
        let consumer: StreamConsumer = self
            .consumer_config(true)
            .create()
            .map_err(KafkaError::Client)?;
        let consumer = Arc::new(consumer);
        self.subscribe(&consumer)?;
        for (rx, handler, topic, connection) in pending {
            let stop = self.0.stop.child_token();
            self.0.tasks.spawn(dispatch_loop(
                self.0.marks.clone(),
                rx,
                handler,
                topic,
                connection,
                stop,
            ));
        }
        let (mux, stop, every) = (
            self.clone(),
            self.0.stop.child_token(),
            self.0.config.commit_interval,
        );
        self.0.tasks.spawn(async move {
            let mut tick = tokio::time::interval(every.max(Duration::from_millis(10)));
            while stop.run_until_cancelled(tick.tick()).await.is_some() {
                if let Err(err) = mux.commit().await {
                    tracing::warn!(target: LOG, error = %err, "periodic commit failed");
                }
            }
        });
        self.0.tasks.spawn(route_loop(
            consumer.clone(),
            self.0.routes.clone(),
            self.0.stop.child_token(),
        ));
        tracing::info!(target: LOG, group = %self.0.group_id, "kafka multiplexer started");
        *self.0.group.lock() = Some(consumer);
        Ok(())
    }

    fn subscribe(&self, consumer: &StreamConsumer) -> Result<(), KafkaError> {
        let topics: Vec<String> = self.0.routes.lock().keys().cloned().collect();
        if topics.is_empty() {
            consumer.unsubscribe();
            return Ok(());
        }
        let names: Vec<&str> = topics.iter().map(String::as_str).collect();
        consumer
            .subscribe(&names)
            .map_err(|source| KafkaError::Consume {
                topic: topics.join(","),
                source,
            })
    }

    fn consumer_config(&self, group: bool) -> ClientConfig {
        let mut out = self.0.config.client_config();
        out.set("auto.offset.reset", "earliest")
            .set("enable.auto.commit", "false")
            .set(
                "fetch.wait.max.ms",
                self.0.config.fetch_max_wait.as_millis().to_string(),
            );
        if group {
            out.set("group.id", &self.0.group_id);
        } else {
            out.set(
                "group.id",
                format!("{}-partition-watchers", self.0.group_id),
            );
        }
        out
    }

    /// Commits the marked offsets of the topic watchers now (they are also committed every
    /// `commit-interval` and on close).
    ///
    /// # Errors
    /// [`KafkaError::Consume`] when the commit failed.
    pub async fn commit(&self) -> Result<(), KafkaError> {
        let Some(consumer) = self.0.group.lock().clone() else {
            return Ok(());
        };
        let marks = self.0.marks.take();
        if marks.is_empty() {
            return Ok(());
        }
        let mut tpl = TopicPartitionList::new();
        for (topic, partition, next) in &marks {
            if let Err(source) = tpl.add_partition_offset(topic, *partition, Offset::Offset(*next))
            {
                let topic = topic.to_string();
                self.0.marks.restore(marks);
                return Err(KafkaError::Consume { topic, source });
            }
        }
        let committed = tokio::task::spawn_blocking(move || {
            consumer.commit(&tpl, rdkafka::consumer::CommitMode::Sync)
        })
        .await
        .map_err(|_| KafkaError::Closed)?;
        if let Err(source) = committed {
            self.0.marks.restore(marks);
            return Err(KafkaError::Consume {
                topic: String::new(),
                source,
            });
        }
        Ok(())
    }

    /// Stops every watcher, commits what was acknowledged, leaves the group and flushes the
    /// producers (each step within `timeout`).
    pub async fn close(&self) {
        self.0.stop.cancel();
        self.0.tasks.close();
        self.0.tasks.wait().await;
        if let Err(err) = self.commit().await {
            tracing::warn!(target: LOG, error = %err, "final commit failed");
        }
        let group = self.0.group.lock().take();
        let (sync, fire) = (self.0.sync_producer.clone(), self.0.async_producer.clone());
        let timeout = self.0.config.timeout;
        let closed = tokio::task::spawn_blocking(move || {
            drop(group);
            for flushed in [sync.flush(timeout), fire.flush(timeout)] {
                if let Err(err) = flushed {
                    tracing::warn!(target: LOG, error = %err, "producer flush on close failed");
                }
            }
        });
        if closed.await.is_err() {
            tracing::warn!(target: LOG, "closing the kafka clients panicked");
        }
    }
}

/// A named view of the [`Multiplexer`] that plugins publish and watch through.
#[derive(Debug, Clone)]
pub struct Connection {
    mux: Multiplexer,
    name: Arc<str>,
}

impl Connection {
    /// The connection name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The multiplexer.
    pub fn multiplexer(&self) -> &Multiplexer {
        &self.mux
    }

    async fn picker(&self, topic: &str, partitioner: Partitioner) -> Result<Picker, KafkaError> {
        if partitioner == Partitioner::Hash {
            return Ok(Picker::new(partitioner, 1));
        }
        let count = self.mux.partition_count_of(Some(topic)).await?;
        if let Partitioner::Manual(p) = partitioner
            && usize::try_from(p).map_or(true, |p| p >= count)
        {
            return Err(KafkaError::NoPartition {
                topic: topic.to_owned(),
                partition: p,
                count,
            });
        }
        if count == 0 {
            return Err(KafkaError::NoPartition {
                topic: topic.to_owned(),
                partition: 0,
                count,
            });
        }
        Ok(Picker::new(partitioner, count))
    }

    /// A publisher that waits for all in-sync replicas. `Random` and `Manual` look up the
    /// topic's partitions first.
    ///
    /// # Errors
    /// [`KafkaError::NoPartition`] for a manual partition the topic lacks (or a topic that
    /// does not exist, for `Random`), [`KafkaError::Unreachable`] when the lookup failed.
    pub async fn sync_publisher(
        &self,
        topic: &str,
        partitioner: Partitioner,
    ) -> Result<SyncPublisher, KafkaError> {
        let picker = self.picker(topic, partitioner).await?;
        Ok(SyncPublisher::new(
            self.mux.0.sync_producer.clone(),
            topic,
            picker,
            self.mux.0.config.timeout,
        ))
    }

    /// A publisher that waits for the leader only and reports through `callbacks`.
    ///
    /// # Errors
    /// As [`sync_publisher`](Self::sync_publisher).
    pub async fn async_publisher(
        &self,
        topic: &str,
        partitioner: Partitioner,
        callbacks: Callbacks,
    ) -> Result<AsyncPublisher, KafkaError> {
        let picker = self.picker(topic, partitioner).await?;
        Ok(AsyncPublisher::new(
            self.mux.0.async_producer.clone(),
            topic,
            picker,
            callbacks,
        ))
    }

    /// Watches `topic` in the consumer group from the multiplexer's start (as upstream: call
    /// it in `init` of a plugin that depends on the kafka plugin). Messages wait in a buffer of
    /// `buffer-size`; when it is full the group consumer is held back (nothing is dropped).
    ///
    /// # Errors
    /// [`KafkaError::AlreadyStarted`] after start, [`KafkaError::AlreadyWatched`] for a topic
    /// some connection watches already.
    pub fn watch(&self, topic: &str, handler: Handler) -> Result<(), KafkaError> {
        if self.mux.0.started.load(Ordering::Acquire) {
            return Err(KafkaError::AlreadyStarted {
                topic: topic.to_owned(),
            });
        }
        let mut routes = self.mux.0.routes.lock();
        if let Some(route) = routes.get(topic) {
            return Err(KafkaError::AlreadyWatched {
                topic: topic.to_owned(),
                by: route.connection.to_string(),
            });
        }
        let (route, rx) = Route::new(
            self.name.clone(),
            topic.into(),
            self.mux.0.config.buffer_size,
        );
        routes.insert(topic.to_owned(), route);
        self.mux
            .0
            .pending
            .lock()
            .push((rx, handler, topic.into(), self.name.clone()));
        Ok(())
    }

    /// Stops watching `topic`: the group consumer re-subscribes without it. Messages still
    /// buffered are handled; those that arrive later are skipped (and stay uncommitted).
    ///
    /// # Errors
    /// [`KafkaError::Consume`] when re-subscribing failed.
    pub fn stop_watch(&self, topic: &str) -> Result<(), KafkaError> {
        let removed = {
            let mut routes = self.mux.0.routes.lock();
            match routes.get(topic) {
                Some(route) if route.connection == self.name => routes.remove(topic),
                _ => None,
            }
        };
        if removed.is_none() {
            return Ok(());
        }
        match self.mux.0.group.lock().clone() {
            Some(consumer) => self.mux.subscribe(&consumer),
            None => Ok(()),
        }
    }

    /// Watches one partition from `offset` (a past offset replays from there) with a consumer
    /// of its own, outside the group: allowed after start; nothing is committed.
    ///
    /// # Errors
    /// [`KafkaError::AlreadyWatched`] when this partition is watched already,
    /// [`KafkaError::Client`]/[`KafkaError::Consume`] when the consumer cannot be set up.
    pub fn watch_partition(
        &self,
        topic: &str,
        partition: i32,
        offset: i64,
        handler: Handler,
    ) -> Result<(), KafkaError> {
        let key = (topic.to_owned(), partition);
        let mut watched = self.mux.0.partitions.lock();
        if watched.contains_key(&key) {
            return Err(KafkaError::AlreadyWatched {
                topic: format!("{topic}/{partition}"),
                by: self.name.to_string(),
            });
        }
        let consumer: StreamConsumer = self
            .mux
            .consumer_config(false)
            .create()
            .map_err(KafkaError::Client)?;
        let mut tpl = TopicPartitionList::new();
        tpl.add_partition_offset(topic, partition, Offset::Offset(offset))
            .and_then(|()| consumer.assign(&tpl))
            .map_err(|source| KafkaError::Consume {
                topic: topic.to_owned(),
                source,
            })?;
        let stop = self.mux.0.stop.child_token();
        watched.insert(key, stop.clone());
        let connection = self.name.clone();
        let shared_topic: Arc<str> = topic.into();
        self.mux.0.tasks.spawn(async move {
            loop {
                let received = tokio::select! {
                    () = stop.cancelled() => break,
                    received = consumer.recv() => received,
                };
                match received {
                    Ok(msg) => {
                        let msg = Message::from_borrowed(&msg, shared_topic.clone());
                        let (topic, partition, offset) = (msg.topic.clone(), msg.partition, msg.offset);
                        if let Err(err) = handler.call(msg).await {
                            tracing::warn!(target: LOG, connection = %connection, %topic, partition, offset, error = %err, "partition handler failed");
                        }
                    }
                    Err(err) => tracing::warn!(target: LOG, error = %err, "partition consumer error"),
                }
            }
            // Dropping a consumer blocks while it closes.
            let _ = tokio::task::spawn_blocking(move || drop(consumer)).await;
        });
        Ok(())
    }

    /// Stops the watcher of one partition; true if there was one.
    pub fn stop_watch_partition(&self, topic: &str, partition: i32) -> bool {
        let stop = self
            .mux
            .0
            .partitions
            .lock()
            .remove(&(topic.to_owned(), partition));
        stop.inspect(CancellationToken::cancel).is_some()
    }
}
