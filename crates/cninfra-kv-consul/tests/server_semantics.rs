//! The in-test server follows Consul's documented KV API: 404s, `X-Consul-Index`,
//! blocking queries, check-and-set, transactions, keys with a separator, limits, ACL
//! tokens and datacenters. The connector's tests are only as good as this.

use std::time::{Duration, Instant};

use cninfra_kv_consul::testserver::{ConsulTestServer, TestServerOptions};
use reqwest::StatusCode;
use serde_json::{Value, json};

struct Http {
    client: reqwest::Client,
    base: String,
}

impl Http {
    fn new(server: &ConsulTestServer) -> Self {
        Self {
            client: reqwest::Client::new(),
            base: format!("http://{}", server.address()),
        }
    }

    async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Vec<u8>>,
    ) -> (StatusCode, u64, Vec<u8>) {
        let mut request = self.client.request(method, format!("{}{path}", self.base));
        if let Some(body) = body {
            request = request.body(body);
        }
        let response = request.send().await.unwrap();
        let status = response.status();
        let index = response
            .headers()
            .get("x-consul-index")
            .map_or(0, |v| v.to_str().unwrap().parse().unwrap());
        (status, index, response.bytes().await.unwrap().to_vec())
    }

    async fn get(&self, path: &str) -> (StatusCode, u64, Vec<u8>) {
        self.call(reqwest::Method::GET, path, None).await
    }

    async fn put(&self, path: &str, body: &[u8]) -> (StatusCode, Vec<u8>) {
        let (status, _, body) = self
            .call(reqwest::Method::PUT, path, Some(body.to_vec()))
            .await;
        (status, body)
    }

    async fn json(&self, path: &str) -> (u64, Value) {
        let (status, index, body) = self.get(path).await;
        assert_eq!(
            status,
            StatusCode::OK,
            "{path}: {}",
            String::from_utf8_lossy(&body)
        );
        (index, serde_json::from_slice(&body).unwrap())
    }
}

#[tokio::test]
async fn entries_indexes_and_not_found() {
    let server = ConsulTestServer::start().await.unwrap();
    let http = Http::new(&server);
    let (status, index, _) = http.get("/v1/kv/missing").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(index > 0, "X-Consul-Index is always set and positive");

    assert_eq!(
        http.put("/v1/kv/app/a?flags=42", b"hello").await.0,
        StatusCode::OK
    );
    let (index_a, entries) = http.json("/v1/kv/app/a").await;
    let entry = &entries[0];
    assert_eq!(entry["Key"], "app/a");
    assert_eq!(entry["Value"], "aGVsbG8=", "base64 of hello");
    assert_eq!(entry["Flags"], 42);
    assert_eq!(entry["LockIndex"], 0);
    assert_eq!(entry["CreateIndex"], entry["ModifyIndex"]);
    assert_eq!(entry["ModifyIndex"], index_a);

    http.put("/v1/kv/app/a", b"again").await;
    let (_, entries) = http.json("/v1/kv/app/a").await;
    assert!(entries[0]["ModifyIndex"].as_u64() > entries[0]["CreateIndex"].as_u64());

    http.put("/v1/kv/other/x", b"x").await;
    let (list_index, _) = http.json("/v1/kv/app/?recurse").await;
    assert_eq!(
        Some(list_index),
        entries[0]["ModifyIndex"].as_u64(),
        "the prefix's own index"
    );
    let (table_index, _) = http.json("/v1/kv/?recurse").await;
    assert!(
        table_index > list_index,
        "the whole tree has the table index"
    );
}

#[tokio::test]
async fn keys_roll_up_at_the_separator() {
    let server = ConsulTestServer::start().await.unwrap();
    let http = Http::new(&server);
    for key in ["a/1", "a/b/2", "a/b/3", "a/c", "ab"] {
        http.put(&format!("/v1/kv/{key}"), b"v").await;
    }
    let (_, keys) = http.json("/v1/kv/a/?keys").await;
    assert_eq!(keys, json!(["a/1", "a/b/2", "a/b/3", "a/c"]));
    let (_, keys) = http.json("/v1/kv/a/?keys&separator=/").await;
    assert_eq!(keys, json!(["a/1", "a/b/", "a/c"]));
    let (_, keys) = http.json("/v1/kv/?keys&separator=/").await;
    assert_eq!(keys, json!(["a/", "ab"]));
    assert_eq!(http.get("/v1/kv/zzz?keys").await.0, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn check_and_set_puts_and_deletes() {
    let server = ConsulTestServer::start().await.unwrap();
    let http = Http::new(&server);
    assert_eq!(http.put("/v1/kv/k?cas=0", b"1").await.1, b"true");
    assert_eq!(
        http.put("/v1/kv/k?cas=0", b"2").await.1,
        b"false",
        "exists already"
    );
    let (_, entries) = http.json("/v1/kv/k").await;
    let index = entries[0]["ModifyIndex"].as_u64().unwrap();
    assert_eq!(
        http.put(&format!("/v1/kv/k?cas={}", index + 1), b"3")
            .await
            .1,
        b"false"
    );
    assert_eq!(
        http.put(&format!("/v1/kv/k?cas={index}"), b"3").await.1,
        b"true"
    );
    let (_, _, body) = http
        .call(
            reqwest::Method::DELETE,
            &format!("/v1/kv/k?cas={index}"),
            None,
        )
        .await;
    assert_eq!(body, b"false", "stale index");
    let (_, entries) = http.json("/v1/kv/k").await;
    let index = entries[0]["ModifyIndex"].as_u64().unwrap();
    let (_, _, body) = http
        .call(
            reqwest::Method::DELETE,
            &format!("/v1/kv/k?cas={index}"),
            None,
        )
        .await;
    assert_eq!(body, b"true");
    assert_eq!(http.get("/v1/kv/k").await.0, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn blocking_queries_wait_for_a_newer_index_or_the_wait() {
    let server = ConsulTestServer::start().await.unwrap();
    let http = Http::new(&server);
    http.put("/v1/kv/w/a", b"1").await;
    let (index, _) = http.json("/v1/kv/w/?recurse").await;

    // Nothing changes: the answer comes after the wait, with the same index.
    let started = Instant::now();
    let (same, _) = http
        .json(&format!("/v1/kv/w/?recurse&index={index}&wait=300ms"))
        .await;
    assert!(
        started.elapsed() >= Duration::from_millis(300),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(same, index);

    // An older index answers at once.
    let started = Instant::now();
    http.json(&format!("/v1/kv/w/?recurse&index={}&wait=10s", index - 1))
        .await;
    assert!(started.elapsed() < Duration::from_secs(5));

    // A write under the prefix wakes the query with a newer index.
    let blocked = {
        let client = http.client.clone();
        let url = format!("{}/v1/kv/w/?recurse&index={index}&wait=30s", http.base);
        tokio::spawn(async move {
            let response = client.get(url).send().await.unwrap();
            let index: u64 = response.headers()["x-consul-index"]
                .to_str()
                .unwrap()
                .parse()
                .unwrap();
            (index, response.json::<Value>().await.unwrap())
        })
    };
    // The writer keeps writing until the query answered, so no timing is assumed.
    let mut value = 0u32;
    let started = Instant::now();
    while !blocked.is_finished() {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "the write did not wake the query"
        );
        value += 1;
        http.put("/v1/kv/w/b", value.to_string().as_bytes()).await;
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let (newer, entries) = blocked.await.unwrap();
    assert!(newer > index);
    assert_eq!(entries.as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn transactions_are_all_or_nothing_at_one_index() {
    let server = ConsulTestServer::start().await.unwrap();
    let http = Http::new(&server);
    http.put("/v1/kv/t/old", b"o").await;
    let ok = json!([
        {"KV": {"Verb": "set", "Key": "t/a", "Value": "MQ=="}},
        {"KV": {"Verb": "set", "Key": "t/b", "Value": "Mg=="}},
        {"KV": {"Verb": "delete", "Key": "t/old"}},
        {"KV": {"Verb": "get", "Key": "t/a"}}
    ]);
    let (status, body) = http.put("/v1/txn", &serde_json::to_vec(&ok).unwrap()).await;
    assert_eq!(status, StatusCode::OK);
    let body: Value = serde_json::from_slice(&body).unwrap();
    let results = body["Results"].as_array().unwrap();
    assert_eq!(results.len(), 3, "set, set and get return entries");
    assert_eq!(
        results[0]["KV"]["ModifyIndex"],
        results[1]["KV"]["ModifyIndex"]
    );
    assert_eq!(results[2]["KV"]["Value"], "MQ==");
    assert_eq!(http.get("/v1/kv/t/old").await.0, StatusCode::NOT_FOUND);

    let failing = json!([
        {"KV": {"Verb": "set", "Key": "t/c", "Value": "Mw=="}},
        {"KV": {"Verb": "delete-tree", "Key": "t/"}},
        {"KV": {"Verb": "check-not-exists", "Key": "t/zzz"}},
        {"KV": {"Verb": "cas", "Key": "t/a", "Value": "eA==", "Index": 1}}
    ]);
    let (status, body) = http
        .put("/v1/txn", &serde_json::to_vec(&failing).unwrap())
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    let body: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(body["Errors"][0]["OpIndex"], 3);
    assert!(body["Errors"][0]["What"].as_str().unwrap().contains("t/a"));
    assert_eq!(
        http.get("/v1/kv/t/c").await.0,
        StatusCode::NOT_FOUND,
        "the set was undone"
    );
    let (_, entries) = http.json("/v1/kv/t/?recurse").await;
    assert_eq!(
        entries.as_array().unwrap().len(),
        2,
        "the delete-tree was undone"
    );

    let too_many: Vec<Value> = (0..129)
        .map(|i| json!({"KV": {"Verb": "set", "Key": format!("t/{i}"), "Value": ""}}))
        .collect();
    let (status, _) = http
        .put("/v1/txn", &serde_json::to_vec(&too_many).unwrap())
        .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
}

#[tokio::test]
async fn limits_tokens_and_datacenters() {
    let server = ConsulTestServer::start_with(TestServerOptions::default().with_token("secret"))
        .await
        .unwrap();
    let http = Http::new(&server);
    assert_eq!(http.get("/v1/kv/a").await.0, StatusCode::FORBIDDEN);
    assert_eq!(
        http.get("/v1/kv/a?token=secret").await.0,
        StatusCode::NOT_FOUND
    );
    let big = vec![b'x'; 512 * 1024 + 1];
    let (status, body) = http.put("/v1/kv/big?token=secret", &big).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(String::from_utf8_lossy(&body).contains("524288"));
    let (status, _) = http.put("/v1/kv/a?token=secret&dc=elsewhere", b"v").await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    let (status, _, body) = http.get("/v1/status/peers?token=secret").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        serde_json::from_slice::<Value>(&body).unwrap(),
        json!(["127.0.0.1:8300"])
    );
}
