//! A slow handler gets bounded buffering (lib.rs, "Slow handlers"): while it is stuck, its
//! full buffer holds the group consumer back (another topic of the group waits too); nothing
//! is dropped, and every message arrives in order per partition.

mod support;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use cninfra_kafka::{Handler, Multiplexer, Partitioner, Record};
use support::{broker, config, create_topic, recv_n, unique};
use tokio::sync::{Semaphore, mpsc};

const PER_PARTITION: i64 = 100;
const BUFFER: usize = 4;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_handler_holds_the_group_back_and_loses_nothing() {
    let broker = broker();
    let slow_topic = create_topic(&broker, 2).await;
    let other_topic = create_topic(&broker, 1).await;
    let mut settings = config(&broker);
    settings.buffer_size = BUFFER;
    let mux = Multiplexer::connect(settings, &unique("g")).await.unwrap();
    let conn = mux.connection("c");

    // The slow handler waits at a gate (closed at first), then works 2 ms per message.
    let gate = Arc::new(Semaphore::new(0));
    let (entered_tx, mut entered) = mpsc::unbounded_channel();
    let (handled_tx, mut handled) = mpsc::unbounded_channel();
    let slow = {
        let gate = gate.clone();
        Handler::new(move |msg| {
            let (gate, entered_tx, handled_tx) =
                (gate.clone(), entered_tx.clone(), handled_tx.clone());
            async move {
                entered_tx.send(msg.offset)?;
                gate.acquire().await?.forget();
                tokio::time::sleep(Duration::from_millis(2)).await;
                handled_tx.send((msg.partition, msg.offset, msg.key_str().map(str::to_owned)))?;
                Ok(())
            }
        })
    };
    conn.watch(&slow_topic, slow).unwrap();
    let (other_tx, mut other) = mpsc::unbounded_channel();
    conn.watch(
        &other_topic,
        Handler::new(move |msg| {
            let other_tx = other_tx.clone();
            async move {
                other_tx.send(msg.offset)?;
                Ok(())
            }
        }),
    )
    .unwrap();
    mux.start().unwrap();

    let publishers = [
        conn.sync_publisher(&slow_topic, Partitioner::Manual(0))
            .await
            .unwrap(),
        conn.sync_publisher(&slow_topic, Partitioner::Manual(1))
            .await
            .unwrap(),
    ];
    for i in 0..PER_PARTITION {
        for (p, publisher) in publishers.iter().enumerate() {
            publisher
                .send(Record::new("v").with_key(format!("{p}-{i}")))
                .await
                .unwrap();
        }
    }

    // The handler is stuck in its first message: the buffer fills and the group consumer
    // stops, so a message of the other topic is not delivered meanwhile.
    recv_n(&mut entered, 1, Duration::from_secs(30)).await;
    conn.sync_publisher(&other_topic, Partitioner::Manual(0))
        .await
        .unwrap()
        .send(Record::new("other"))
        .await
        .unwrap();
    let early = tokio::time::timeout(Duration::from_millis(500), other.recv()).await;
    assert!(
        early.is_err(),
        "the other topic was delivered while the buffer was full: {early:?}"
    );
    assert!(
        entered.try_recv().is_err(),
        "the handler started a second message before the first was done"
    );

    // The gate opens: the slow handler gets through everything, in order, once each.
    gate.add_permits(usize::try_from(2 * PER_PARTITION).unwrap());
    let total = usize::try_from(2 * PER_PARTITION).unwrap();
    let got = recv_n(&mut handled, total, Duration::from_secs(60)).await;
    let mut per_partition: HashMap<i32, Vec<(i64, Option<String>)>> = HashMap::new();
    for (partition, offset, key) in got {
        per_partition
            .entry(partition)
            .or_default()
            .push((offset, key));
    }
    for (partition, msgs) in &per_partition {
        let want: Vec<(i64, Option<String>)> = (0..PER_PARTITION)
            .map(|i| (i, Some(format!("{partition}-{i}"))))
            .collect();
        assert_eq!(msgs, &want, "partition {partition}");
    }
    assert_eq!(per_partition.len(), 2);
    recv_n(&mut other, 1, Duration::from_secs(30)).await;
    assert!(handled.try_recv().is_err(), "a message was handled twice");
    mux.close().await;
}
