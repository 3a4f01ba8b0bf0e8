//! A hook's sink: a bounded queue filled by the log layer without ever waiting, and the task
//! that sends what is queued to the receiver, reconnecting with back-off. Records that do not
//! fit the queue, or that arrive while the receiver is away, are dropped and counted.

use std::io;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::io::AsyncWriteExt as _;
use tokio::net::{TcpStream, UdpSocket, UnixDatagram};
use tokio::sync::mpsc;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tracing::{Level, warn};

use super::HOOKS_LOGGER;
use super::record::Record;

/// Records a hook may hold while its receiver is slow.
pub(crate) const QUEUE: usize = 1024;
/// Time limit of a connection attempt.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);
/// Time limit of sending one record; a receiver slower than this is dropped and dialled
/// again.
const WRITE_TIMEOUT: Duration = Duration::from_secs(5);
/// Waits between connection attempts: from the first, doubling up to the last.
const BACKOFF: (Duration, Duration) = (Duration::from_millis(200), Duration::from_secs(10));
/// Where the local syslog listens, in Go's order.
const LOCAL_SYSLOG: [&str; 3] = ["/dev/log", "/var/run/syslog", "/var/run/log"];

/// Where a hook sends, and how it frames a record.
#[derive(Debug, Clone)]
pub(crate) enum Target {
    /// A TCP stream.
    Tcp(String),
    /// UDP datagrams.
    Udp(String),
    /// The local syslog socket (unix datagrams).
    LocalSyslog,
}

/// The side the log layer sees: which levels, and the queue.
#[derive(Debug, Clone)]
pub(crate) struct Sink {
    levels: Vec<Level>,
    queue: mpsc::Sender<Arc<Record>>,
    dropped: Arc<AtomicU64>,
}

impl Sink {
    /// A sink and the receiving end its task reads.
    pub(crate) fn new(
        levels: Vec<Level>,
        dropped: Arc<AtomicU64>,
    ) -> (Self, mpsc::Receiver<Arc<Record>>) {
        let (queue, receiver) = mpsc::channel(QUEUE);
        let sink = Self {
            levels,
            queue,
            dropped,
        };
        (sink, receiver)
    }

    pub(crate) fn wants(&self, level: &Level) -> bool {
        self.levels.contains(level)
    }

    /// Queues the record, or counts it as dropped when the queue is full; never waits.
    pub(crate) fn offer(&self, record: &Arc<Record>) {
        if self.queue.try_send(Arc::clone(record)).is_err() {
            self.dropped.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// An open connection.
enum Connection {
    Stream(TcpStream),
    Datagram(UdpSocket),
    Local(UnixDatagram),
}

impl Connection {
    async fn open(target: &Target) -> io::Result<Self> {
        let open = async {
            match target {
                Target::Tcp(addr) => Ok(Connection::Stream(TcpStream::connect(addr).await?)),
                Target::Udp(addr) => {
                    let socket = UdpSocket::bind(("0.0.0.0", 0)).await?;
                    socket.connect(addr).await?;
                    Ok(Connection::Datagram(socket))
                }
                Target::LocalSyslog => {
                    let socket = UnixDatagram::unbound()?;
                    let mut last = io::Error::from(io::ErrorKind::NotFound);
                    for path in LOCAL_SYSLOG {
                        match socket.connect(Path::new(path)) {
                            Ok(()) => return Ok(Connection::Local(socket)),
                            Err(err) => last = err,
                        }
                    }
                    Err(last)
                }
            }
        };
        tokio::time::timeout(CONNECT_TIMEOUT, open)
            .await
            .unwrap_or_else(|_| Err(io::ErrorKind::TimedOut.into()))
    }

    async fn send(&mut self, bytes: &[u8]) -> io::Result<()> {
        match self {
            Connection::Stream(stream) => stream.write_all(bytes).await,
            Connection::Datagram(socket) => socket.send(bytes).await.map(|_| ()),
            Connection::Local(socket) => socket.send(bytes).await.map(|_| ()),
        }
    }
}

/// Sends the queued records of hook `name` to `target`, encoded by `encode`, until
/// `stop`. Never logs a record of its own through the hooks (its lines use
/// [`HOOKS_LOGGER`], which the hooks skip).
pub(crate) async fn run(
    name: String,
    target: Target,
    mut queue: mpsc::Receiver<Arc<Record>>,
    encode: impl Fn(&Record) -> Vec<u8> + Send,
    dropped: Arc<AtomicU64>,
    stop: CancellationToken,
) {
    let mut connection: Option<Connection> = None;
    let mut retry_at = Instant::now();
    let mut backoff = BACKOFF.0;
    let mut reported = false;
    loop {
        let record = tokio::select! {
            () = stop.cancelled() => return,
            record = queue.recv() => match record {
                Some(record) => record,
                None => return,
            },
        };
        if connection.is_none() {
            if Instant::now() < retry_at {
                dropped.fetch_add(1, Ordering::Relaxed);
                continue;
            }
            match Connection::open(&target).await {
                Ok(open) => {
                    connection = Some(open);
                    backoff = BACKOFF.0;
                    reported = false;
                }
                Err(error) => {
                    if !reported {
                        warn!(target: HOOKS_LOGGER, hook = %name, ?target, %error,
                            "log hook cannot reach its receiver; records are dropped until it can");
                        reported = true;
                    }
                    retry_at = Instant::now() + backoff;
                    backoff = (backoff * 2).min(BACKOFF.1);
                    dropped.fetch_add(1, Ordering::Relaxed);
                    continue;
                }
            }
        }
        let bytes = encode(&record);
        let Some(open) = &mut connection else {
            continue;
        };
        let sent = tokio::select! {
            () = stop.cancelled() => return,
            sent = tokio::time::timeout(WRITE_TIMEOUT, open.send(&bytes)) => {
                sent.unwrap_or_else(|_| Err(io::ErrorKind::TimedOut.into()))
            }
        };
        if let Err(error) = sent {
            warn!(target: HOOKS_LOGGER, hook = %name, %error, "log hook lost its receiver");
            connection = None;
            reported = true;
            retry_at = Instant::now() + backoff;
            dropped.fetch_add(1, Ordering::Relaxed);
        }
    }
}
