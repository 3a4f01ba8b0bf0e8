//! The REST equivalents: `/v1/config` (GET, PUT), `/v1/config/resync`, `/v1/state` and
//! `/v1/models`, values as proto3 JSON, errors naming what was wrong.

mod support;

use cninfra_kvscheduler_example::fib_key;
use serde_json::{Value, json};
use support::{MAC, Stack, WAIT};

fn any(proto_name: &str, fields: Value) -> Value {
    let mut any = json!({"@type": format!("models.ligato.io/{proto_name}")});
    any.as_object_mut()
        .unwrap()
        .extend(fields.as_object().unwrap().clone());
    any
}

fn item(model: &str, proto_name: &str, fields: Value) -> Value {
    json!({"item": {"id": {"model": model}, "data": {"any": any(proto_name, fields)}}})
}

fn client() -> reqwest::Client {
    reqwest::Client::builder().timeout(WAIT).build().unwrap()
}

/// The `(model, name, state)` of each item of a GetConfig / DumpState answer.
fn listed(answer: &Value, status: bool) -> Vec<(String, String, String)> {
    answer["items"]
        .as_array()
        .map(|items| {
            items
                .iter()
                .map(|i| {
                    (
                        i["item"]["id"]["model"]
                            .as_str()
                            .unwrap_or_default()
                            .to_owned(),
                        i["item"]["id"]["name"]
                            .as_str()
                            .unwrap_or_default()
                            .to_owned(),
                        if status {
                            i["status"]["status"]
                                .as_str()
                                .unwrap_or_default()
                                .to_owned()
                        } else {
                            String::new()
                        },
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_rest_api_does_what_the_grpc_api_does() {
    let stack = Stack::start().await;
    let http = client();
    let tap1 = item(
        "vpp.interfaces",
        "ligato.vpp.interfaces.Interface",
        json!({"name": "tap1", "type": "TAP", "enabled": true}),
    );
    let mut bd1 = item(
        "vpp.l2.bridge-domain",
        "ligato.vpp.l2.BridgeDomain",
        json!({"name": "bd1", "interfaces": [{"name": "tap1"}]}),
    );
    bd1["labels"] = json!({"com.example.owner": "ann"});
    // `.proto` field names are read as well as lowerCamel ones.
    let fib = item(
        "vpp.l2.fib",
        "ligato.vpp.l2.FIBEntry",
        json!({"phys_address": MAC, "bridgeDomain": "bd1", "outgoingInterface": "tap1", "action": "FORWARD"}),
    );

    // PUT with wait: every value CONFIGURED on return, the seq number in a header.
    let answer = http
        .put(stack.url("/v1/config?wait=true&timeout=5s"))
        .json(&json!({"updates": [fib, tap1, bd1]}))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);
    let seq: u64 = answer.headers()["seqnum"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    let body: Value = answer.json().await.unwrap();
    let results = body["results"].as_array().unwrap();
    assert_eq!(results[0]["key"], "seqnum");
    assert_eq!(results[0]["status"]["message"], seq.to_string());
    for result in &results[1..] {
        assert_eq!(result["status"]["status"], "CONFIGURED", "{result}");
        assert_eq!(result["op"], "CREATE", "{result}");
    }
    assert_eq!(
        results
            .iter()
            .find(|r| r["key"] == fib_key("bd1", MAC))
            .unwrap()["id"]["name"],
        format!("bd1/mac/{MAC}")
    );

    // GET: the values as proto3 JSON Any, with model names, states and labels.
    let config: Value = http
        .get(stack.url("/v1/config"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let fib_config = config["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["item"]["id"]["model"] == "vpp.l2.fib")
        .unwrap();
    assert_eq!(
        fib_config["item"]["data"]["any"],
        json!({"@type": "models.ligato.io/ligato.vpp.l2.FIBEntry", "physAddress": MAC,
               "bridgeDomain": "bd1", "outgoingInterface": "tap1"}),
        "proto3 JSON, the default action left out"
    );
    let owned: Value = http
        .get(stack.url("/v1/config?label=com.example.owner=ann"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        listed(&owned, true),
        [(
            "vpp.l2.bridge-domain".into(),
            "bd1".into(),
            "CONFIGURED".into()
        )]
    );
    assert_eq!(owned["items"][0]["labels"]["com.example.owner"], "ann");
    let unowned: Value = http
        .get(stack.url("/v1/config?label=!com.example.owner"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(listed(&unowned, false).len(), 2, "{unowned}");
    let one: Value = http
        .get(stack.url("/v1/config?model=vpp.interfaces&name=tap1"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        listed(&one, true),
        [("vpp.interfaces".into(), "tap1".into(), "CONFIGURED".into())]
    );

    // State and models.
    let state: Value = http
        .get(stack.url("/v1/state?model=vpp.l2.fib"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        listed(&state, false),
        [("vpp.l2.fib".into(), format!("bd1/mac/{MAC}"), String::new())]
    );
    assert_eq!(state["items"][0]["metadata"]["origin"], "FromNB");
    let models: Value = http
        .get(stack.url("/v1/models?class=config"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let fib_model = models["knownModels"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["protoName"] == "ligato.vpp.l2.FIBEntry")
        .unwrap();
    assert_eq!(
        fib_model["spec"],
        json!({"module": "vpp.l2", "version": "v2", "type": "fib", "class": "config"})
    );
    assert_eq!(
        fib_model["options"],
        json!([{"key": "nameTemplate", "values": ["{{.BridgeDomain}}/mac/{{.PhysAddress}}"]},
               {"key": "protoFile", "values": ["ligato/vpp/l2/fib.proto"]}])
    );

    // A resync with only the interface: the rest of the gRPC source goes away.
    let answer = http
        .post(stack.url("/v1/config/resync"))
        .json(&json!({"updates": [item(
            "vpp.interfaces",
            "ligato.vpp.interfaces.Interface",
            json!({"name": "tap1", "type": "TAP"}),
        )]}))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);
    let left: Value = http
        .get(stack.url("/v1/config"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        listed(&left, true),
        [("vpp.interfaces".into(), "tap1".into(), "CONFIGURED".into())]
    );
    assert!(stack.dataplane().fib_entries().is_empty());
    assert_eq!(
        stack
            .dataplane()
            .interfaces()
            .iter()
            .map(|i| i.enabled)
            .collect::<Vec<_>>(),
        [false]
    );
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rest_errors_name_what_was_wrong() {
    let stack = Stack::start().await;
    let http = client();
    let error = async |request: reqwest::RequestBuilder, status: u16| -> String {
        let answer = request.send().await.unwrap();
        assert_eq!(answer.status(), status);
        let body: Value = answer.json().await.unwrap();
        body["error"].as_str().unwrap_or_default().to_owned()
    };

    let unknown = error(
        http.put(stack.url("/v1/config"))
            .json(&json!({"updates": [item(
                "vpp.l3.routes",
                "ligato.vpp.l2.FIBEntry",
                json!({"bridgeDomain": "bd1"}),
            )]})),
        400,
    )
    .await;
    assert!(
        unknown.contains("unknown model `vpp.l3.routes`"),
        "{unknown}"
    );

    let bad_field = error(
        http.put(stack.url("/v1/config"))
            .json(&json!({"updates": [item(
                "vpp.l2.fib",
                "ligato.vpp.l2.FIBEntry",
                json!({"bridgeDomain": "bd1", "action": "FORWARDX"}),
            )]})),
        400,
    )
    .await;
    assert!(
        bad_field.starts_with("request body:")
            && bad_field.contains("field `updates[0].item.data.any.action`")
            && bad_field.contains("FORWARDX"),
        "{bad_field}"
    );

    let not_json = error(http.put(stack.url("/v1/config")).body("{updates"), 400).await;
    assert!(not_json.starts_with("request body:"), "{not_json}");

    let both = error(
        http.get(stack.url("/v1/config?model=vpp.interfaces&label=com.example.owner")),
        400,
    )
    .await;
    assert!(both.contains("not both"), "{both}");

    let typo = error(http.get(stack.url("/v1/config?modle=vpp.interfaces")), 400).await;
    assert!(typo.contains("unknown parameter `modle`"), "{typo}");

    let wait = error(
        http.put(stack.url("/v1/config?wait=soon"))
            .json(&json!({"updates": []})),
        400,
    )
    .await;
    assert!(wait.contains("`wait`: `soon`"), "{wait}");

    let read = error(http.get(stack.url("/v1/config/resync")), 405).await;
    assert!(read.contains("PUT or POST"), "{read}");
    assert!(stack.orchestrator().desired_state().is_empty());
    stack.stop().await;
}
