//! `ligato.generic.ManagerService` over a real tonic client: SetConfig, GetConfig and
//! DumpState round trips with upstream's VPP L2 items, full resyncs, labels, Subscribe
//! and SetConfig waiting for its values.

mod support;

use std::collections::HashMap;
use std::time::Duration;

use cninfra_generic::pb::{
    DumpStateRequest, GetConfigRequest, SetConfigRequest, SetConfigResponse, SubscribeRequest,
    Subscription, UpdateItem, data, item, update_result,
};
use cninfra_generic::{SEQNUM_KEY, SEQNUM_METADATA, WAIT_DONE_METADATA};
use cninfra_grpc::tonic::{Code, Request};
use cninfra_kvscheduler::Value;
use cninfra_kvscheduler::orchestrator::LOCAL_SOURCE;
use cninfra_kvscheduler_example::{bridge_domain_key, fib_key, interface_key};
use cninfra_ligato::vpp::interfaces::Interface;
use cninfra_ligato::vpp::l2::{BridgeDomain, FibEntry};
use futures::StreamExt;
use prost::Message;
use support::{
    BRIDGE_DOMAINS, FIB, INTERFACES, MAC, Stack, WAIT, bridge_domain, delete, fib, interface,
    item_of, put,
};

fn set(updates: Vec<UpdateItem>) -> SetConfigRequest {
    SetConfigRequest {
        updates,
        overwrite_all: false,
    }
}

/// The results by key, leaving out upstream's `seqnum` result.
fn states(response: &SetConfigResponse) -> HashMap<String, (String, update_result::Operation)> {
    response
        .results
        .iter()
        .filter(|r| r.key != SEQNUM_KEY)
        .map(|r| {
            (
                r.key.clone(),
                (r.status.clone().unwrap_or_default().status, r.op()),
            )
        })
        .collect()
}

/// The sequence number of upstream's `seqnum` result.
fn seqnum(response: &SetConfigResponse) -> u64 {
    let result = response
        .results
        .iter()
        .find(|r| r.key == SEQNUM_KEY)
        .expect("a seqnum result");
    result
        .status
        .clone()
        .unwrap_or_default()
        .message
        .parse()
        .expect("a number")
}

fn unpack<M: Message + Default>(item: &cninfra_generic::pb::Item) -> M {
    let Some(data::Union::Any(any)) = item.data.as_ref().and_then(|d| d.union.as_ref()) else {
        panic!("item without a value: {item:?}");
    };
    M::decode(any.value.as_slice()).expect("decodes")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn set_get_and_dump_round_trip_upstream_items() {
    let stack = Stack::start().await;
    let mut client = stack.manager().await;
    let tap1 = interface("tap1", true);
    let bd1 = bridge_domain("bd1", &["tap1"]);
    let entry = fib("bd1", MAC, "tap1");
    let answer = client
        .set_config(set(vec![
            put(item_of(FIB, &entry)),
            put(item_of(INTERFACES, &tap1)),
            put(item_of(BRIDGE_DOMAINS, &bd1)),
        ]))
        .await
        .expect("SetConfig");
    let header: u64 = answer
        .metadata()
        .get(SEQNUM_METADATA)
        .expect("seqnum metadata")
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    let response = answer.into_inner();
    assert_eq!(
        response.results[0].key, SEQNUM_KEY,
        "upstream's seqnum result first"
    );
    assert_eq!(seqnum(&response), header);
    let created = update_result::Operation::Create;
    assert_eq!(
        states(&response),
        HashMap::from([
            (fib_key("bd1", MAC), ("CONFIGURED".to_owned(), created)),
            (interface_key("tap1"), ("CONFIGURED".to_owned(), created)),
            (bridge_domain_key("bd1"), ("CONFIGURED".to_owned(), created)),
        ])
    );
    // The ids are the models' names and the names their templates make.
    let fib_result = response
        .results
        .iter()
        .find(|r| r.key == fib_key("bd1", MAC))
        .unwrap();
    assert_eq!(
        fib_result.id,
        Some(item::Id {
            model: FIB.into(),
            name: format!("bd1/mac/{MAC}")
        })
    );
    assert_eq!(stack.dataplane().fib_entries(), vec![entry.clone()]);

    // GetConfig answers the same messages, with their states.
    let config = client
        .get_config(GetConfigRequest::default())
        .await
        .unwrap()
        .into_inner();
    assert_eq!(config.items.len(), 3, "{config:?}");
    for got in &config.items {
        let item = got.item.as_ref().unwrap();
        let id = item.id.as_ref().unwrap();
        assert_eq!(got.status.as_ref().unwrap().status, "CONFIGURED", "{id:?}");
        match id.model.as_str() {
            FIB => assert_eq!(unpack::<FibEntry>(item), entry),
            INTERFACES => assert_eq!(unpack::<Interface>(item), tap1),
            BRIDGE_DOMAINS => assert_eq!(unpack::<BridgeDomain>(item), bd1),
            other => panic!("unexpected model {other}"),
        }
        let Some(data::Union::Any(any)) = item.data.as_ref().and_then(|d| d.union.as_ref()) else {
            unreachable!()
        };
        assert!(
            any.type_url.starts_with("models.ligato.io/ligato.vpp."),
            "{}",
            any.type_url
        );
    }

    // An update of one item, then DumpState shows the running values with their origin.
    let tap1_down = interface("tap1", false);
    let response = client
        .set_config(set(vec![put(item_of(INTERFACES, &tap1_down))]))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        states(&response)[&interface_key("tap1")],
        ("CONFIGURED".to_owned(), update_result::Operation::Update)
    );
    let state = client
        .dump_state(DumpStateRequest {
            ids: vec![item::Id {
                model: INTERFACES.into(),
                name: "tap1".into(),
            }],
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(state.items.len(), 1, "{state:?}");
    assert_eq!(
        unpack::<Interface>(state.items[0].item.as_ref().unwrap()),
        tap1_down
    );
    assert_eq!(state.items[0].metadata["origin"], "FromNB");
    let all = client
        .dump_state(DumpStateRequest::default())
        .await
        .unwrap()
        .into_inner();
    assert_eq!(all.items.len(), 3, "derived values have no model: {all:?}");

    // A delete by id.
    let response = client
        .set_config(set(vec![delete(FIB, &format!("bd1/mac/{MAC}"))]))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        states(&response)[&fib_key("bd1", MAC)],
        ("NONEXISTENT".to_owned(), update_result::Operation::Delete)
    );
    assert!(stack.dataplane().fib_entries().is_empty());
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn overwrite_all_removes_what_the_grpc_source_no_longer_lists() {
    let stack = Stack::start().await;
    let mut client = stack.manager().await;
    client
        .set_config(set(vec![
            put(item_of(INTERFACES, &interface("tap1", true))),
            put(item_of(INTERFACES, &interface("tap2", true))),
        ]))
        .await
        .unwrap();
    // Another source's value is not the gRPC source's to remove.
    stack
        .orchestrator()
        .source(LOCAL_SOURCE)
        .txn()
        .put(
            interface_key("local1"),
            Value::from_json(serde_json::json!({"name": "local1", "type": "TAP"})),
        )
        .commit()
        .await
        .unwrap();

    let response = client
        .set_config(SetConfigRequest {
            updates: vec![
                put(item_of(INTERFACES, &interface("tap2", false))),
                put(item_of(INTERFACES, &interface("tap3", true))),
                // Deletes mean nothing in a resync (left out, as upstream).
                delete(INTERFACES, "tap9"),
            ],
            overwrite_all: true,
        })
        .await
        .unwrap()
        .into_inner();
    assert!(seqnum(&response) > 0);
    let mut names: Vec<String> = stack
        .dataplane()
        .interfaces()
        .into_iter()
        .map(|i| i.name)
        .collect();
    names.sort();
    assert_eq!(names, ["local1", "tap2", "tap3"]);
    assert_eq!(
        stack
            .dataplane()
            .interfaces()
            .iter()
            .find(|i| i.name == "tap2")
            .map(|i| i.enabled),
        Some(false)
    );
    let config = client
        .get_config(GetConfigRequest::default())
        .await
        .unwrap()
        .into_inner();
    let mut listed: Vec<String> = config
        .items
        .iter()
        .map(|c| c.item.as_ref().unwrap().id.as_ref().unwrap().name.clone())
        .collect();
    listed.sort();
    assert_eq!(
        listed,
        ["local1", "tap2", "tap3"],
        "GetConfig lists every source, as upstream"
    );
    stack.stop().await;
}

fn labelled(item: cninfra_generic::pb::Item, labels: &[(&str, &str)]) -> UpdateItem {
    UpdateItem {
        item: Some(item),
        labels: labels
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn get_config_filters_by_labels_or_ids() {
    let stack = Stack::start().await;
    let mut client = stack.manager().await;
    client
        .set_config(set(vec![
            labelled(
                item_of(INTERFACES, &interface("web1", true)),
                &[("com.example.tier", "web"), ("com.example.owner", "ann")],
            ),
            labelled(
                item_of(INTERFACES, &interface("db1", true)),
                &[("com.example.tier", "db")],
            ),
            put(item_of(INTERFACES, &interface("plain", true))),
        ]))
        .await
        .unwrap();
    let reader = client.clone();
    let names = async |ids: Vec<item::Id>, labels: &[(&str, &str)]| {
        let mut client = reader.clone();
        let request = GetConfigRequest {
            ids,
            labels: labels
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        };
        let items = client.get_config(request).await.unwrap().into_inner().items;
        let mut names: Vec<String> = items
            .iter()
            .map(|c| c.item.as_ref().unwrap().id.as_ref().unwrap().name.clone())
            .collect();
        names.sort();
        names
    };
    assert_eq!(
        names(vec![], &[("com.example.tier", "web")]).await,
        ["web1"]
    );
    assert_eq!(
        names(vec![], &[("com.example.tier", "")]).await,
        ["db1", "web1"]
    );
    assert_eq!(names(vec![], &[("!com.example.tier", "")]).await, ["plain"]);
    assert_eq!(
        names(vec![], &[("!com.example.tier", "web")]).await,
        ["db1", "plain"]
    );
    assert_eq!(
        names(
            vec![],
            &[("com.example.tier", ""), ("!com.example.owner", "")]
        )
        .await,
        ["db1"]
    );
    let id = |name: &str| item::Id {
        model: INTERFACES.into(),
        name: name.into(),
    };
    assert_eq!(
        names(vec![id("db1"), id("plain")], &[]).await,
        ["db1", "plain"]
    );

    // The labels come back with the items; a change without labels drops them.
    let items = client
        .get_config(GetConfigRequest {
            ids: vec![id("web1")],
            labels: HashMap::new(),
        })
        .await
        .unwrap()
        .into_inner()
        .items;
    assert_eq!(items[0].labels["com.example.owner"], "ann");
    client
        .set_config(set(vec![put(item_of(
            INTERFACES,
            &interface("web1", false),
        ))]))
        .await
        .unwrap();
    assert_eq!(names(vec![], &[("com.example.tier", "")]).await, ["db1"]);

    let both = client
        .get_config(GetConfigRequest {
            ids: vec![id("db1")],
            labels: HashMap::from([("com.example.tier".to_owned(), "db".to_owned())]),
        })
        .await
        .unwrap_err();
    assert_eq!(both.code(), Code::InvalidArgument);
    assert!(both.message().contains("not both"), "{both}");
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn subscribe_streams_pending_then_configured() {
    let stack = Stack::start().await;
    let mut client = stack.manager().await;
    let mut stream = client
        .subscribe(SubscribeRequest {
            subscriptions: vec![Subscription {
                id: Some(item::Id {
                    model: FIB.into(),
                    name: String::new(),
                }),
            }],
        })
        .await
        .expect("Subscribe")
        .into_inner();
    let mut next_fib_state = async || loop {
        let response = tokio::time::timeout(WAIT, stream.next())
            .await
            .expect("a notification in time")
            .expect("the stream goes on")
            .expect("no error");
        // Only FIB entries are subscribed.
        for notification in &response.notifications {
            let id = notification.item.as_ref().unwrap().id.clone().unwrap();
            assert_eq!(id.model, FIB, "{notification:?}");
        }
        if let Some(last) = response.notifications.last() {
            return last.clone();
        }
    };

    // A FIB entry before its bridge domain and interface: PENDING.
    client
        .set_config(set(vec![put(item_of(FIB, &fib("bd1", MAC, "tap1")))]))
        .await
        .unwrap();
    let pending = next_fib_state().await;
    assert_eq!(pending.status.as_ref().unwrap().status, "PENDING");
    assert!(
        pending
            .status
            .as_ref()
            .unwrap()
            .message
            .contains("bridge-domain"),
        "the missing dependencies: {pending:?}"
    );
    let entry: FibEntry = {
        let item = pending.item.as_ref().unwrap();
        let Some(data::Union::Any(any)) = item.data.as_ref().and_then(|d| d.union.as_ref()) else {
            panic!("the notification carries the value: {pending:?}")
        };
        FibEntry::decode(any.value.as_slice()).unwrap()
    };
    assert_eq!(entry, fib("bd1", MAC, "tap1"));

    // Its dependencies arrive: CONFIGURED.
    client
        .set_config(set(vec![
            put(item_of(INTERFACES, &interface("tap1", true))),
            put(item_of(BRIDGE_DOMAINS, &bridge_domain("bd1", &["tap1"]))),
        ]))
        .await
        .unwrap();
    let configured = next_fib_state().await;
    assert_eq!(configured.status.as_ref().unwrap().status, "CONFIGURED");
    assert_eq!(
        configured.item.unwrap().id.unwrap().name,
        format!("bd1/mac/{MAC}")
    );

    // Stopping the agent ends the stream.
    stack.stop().await;
    let end = tokio::time::timeout(WAIT, async {
        while let Some(Ok(_)) = stream.next().await {}
    })
    .await;
    assert!(end.is_ok(), "the stream ends when the agent stops");
}

fn waiting(request: SetConfigRequest, timeout: Duration) -> Request<SetConfigRequest> {
    let mut request = Request::new(request);
    request
        .metadata_mut()
        .insert(WAIT_DONE_METADATA, "true".parse().unwrap());
    request.set_timeout(timeout);
    request
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn set_config_waits_until_its_values_are_done() {
    let stack = Stack::start().await;
    let mut client = stack.manager().await;
    let fib_request = || set(vec![put(item_of(FIB, &fib("bd1", MAC, "tap1")))]);

    // Nothing configures the FIB entry: the call returns at its deadline, with the entry
    // PENDING and the sequence number (no error).
    let started = tokio::time::Instant::now();
    let response = client
        .set_config(waiting(fib_request(), Duration::from_millis(800)))
        .await
        .expect("an answer before the deadline")
        .into_inner();
    let took = started.elapsed();
    assert!(took >= Duration::from_millis(500), "it waited: {took:?}");
    assert_eq!(states(&response)[&fib_key("bd1", MAC)].0, "PENDING");
    let first_seq = seqnum(&response);

    // A waiting call ends as soon as another transaction configures its value.
    let waiter = {
        let mut client = client.clone();
        tokio::spawn(async move {
            client
                .set_config(waiting(fib_request(), Duration::from_secs(20)))
                .await
        })
    };
    // Its own transaction ran (the seq number moved on) before the dependencies come.
    cninfra_testsupport::wait_until("the waiting call's transaction", WAIT, || {
        stack.scheduler().recorded_txn(first_seq + 1).is_some()
    })
    .await;
    assert!(
        !waiter.is_finished(),
        "the entry is still PENDING: the call waits"
    );
    client
        .set_config(set(vec![
            put(item_of(INTERFACES, &interface("tap1", true))),
            put(item_of(BRIDGE_DOMAINS, &bridge_domain("bd1", &["tap1"]))),
        ]))
        .await
        .unwrap();
    let response = tokio::time::timeout(WAIT, waiter)
        .await
        .expect("the waiting call returns once its value is configured")
        .unwrap()
        .expect("SetConfig")
        .into_inner();
    assert_eq!(states(&response)[&fib_key("bd1", MAC)].0, "CONFIGURED");
    assert!(seqnum(&response) > first_seq);

    // Everything at once: every value CONFIGURED on return.
    let response = client
        .set_config(waiting(
            set(vec![
                put(item_of(INTERFACES, &interface("tap2", true))),
                put(item_of(BRIDGE_DOMAINS, &bridge_domain("bd2", &["tap2"]))),
                put(item_of(FIB, &fib("bd2", MAC, "tap2"))),
            ]),
            Duration::from_secs(5),
        ))
        .await
        .unwrap()
        .into_inner();
    let states = states(&response);
    assert_eq!(states.len(), 3);
    assert!(
        states.values().all(|(state, _)| state == "CONFIGURED"),
        "{states:?}"
    );
    stack.stop().await;
}
