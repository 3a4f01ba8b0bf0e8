//! The HTTP calls of Consul's KV API that the store makes, with their JSON shapes.

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use bytes::Bytes;
use cninfra_kv::KvError;
use reqwest::{Method, RequestBuilder, StatusCode};
use serde::{Deserialize, Serialize};

use crate::error::{from_reqwest, from_status};
use crate::keys;

/// One KV entry as Consul sends it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Entry {
    /// The Consul key (no leading `/`).
    pub(crate) key: String,
    pub(crate) value: Bytes,
    pub(crate) modify_index: u64,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct EntryIn {
    key: String,
    #[serde(default)]
    value: Option<String>,
    #[serde(default)]
    modify_index: u64,
}

impl EntryIn {
    fn decode(self, store: &str) -> Result<Entry, KvError> {
        let value = match self.value {
            Some(text) => STANDARD.decode(text).map_err(|err| KvError::Backend {
                store: store.to_owned(),
                op: "decode a value",
                source: format!("the value of `{}` is not base64: {err}", self.key).into(),
            })?,
            None => Vec::new(),
        };
        Ok(Entry {
            key: self.key,
            value: value.into(),
            modify_index: self.modify_index,
        })
    }
}

/// One KV operation of `PUT /v1/txn`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct TxnKv {
    pub(crate) verb: &'static str,
    pub(crate) key: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) value: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) index: Option<u64>,
}

impl TxnKv {
    /// An operation on the Consul key of `key`.
    pub(crate) fn new(verb: &'static str, key: &str) -> Self {
        Self {
            verb,
            key: keys::to_consul(key).to_owned(),
            value: None,
            index: None,
        }
    }

    /// With a value (base64 on the wire).
    pub(crate) fn with_value(mut self, value: &[u8]) -> Self {
        self.value = Some(STANDARD.encode(value));
        self
    }

    /// With an index (for `cas`, `check-index`, `delete-cas`).
    pub(crate) fn with_index(mut self, index: u64) -> Self {
        self.index = Some(index);
        self
    }
}

#[derive(Serialize)]
struct TxnOpOut<'a> {
    #[serde(rename = "KV")]
    kv: &'a TxnKv,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct TxnResponse {
    #[serde(default)]
    results: Option<Vec<TxnResult>>,
    #[serde(default)]
    errors: Option<Vec<TxnErrorIn>>,
}

#[derive(Deserialize)]
struct TxnResult {
    #[serde(rename = "KV")]
    kv: Option<EntryIn>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct TxnErrorIn {
    op_index: usize,
    what: String,
}

/// What a transaction did: the entries its operations returned, or why it was rolled back
/// (operation index and Consul's text).
pub(crate) type TxnOutcome = Result<Vec<Entry>, Vec<(usize, String)>>;

/// The HTTP side of one store.
#[derive(Debug)]
pub(crate) struct Api {
    pub(crate) http: reqwest::Client,
    pub(crate) base: String,
    pub(crate) token: Option<String>,
    pub(crate) datacenter: Option<String>,
    pub(crate) store: String,
    pub(crate) timeout: Duration,
}

impl Api {
    fn request(&self, method: Method, path: &str, timeout: Duration) -> RequestBuilder {
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.base))
            .timeout(timeout);
        if let Some(token) = &self.token {
            request = request.header("X-Consul-Token", token);
        }
        if let Some(dc) = &self.datacenter {
            request = request.query(&[("dc", dc)]);
        }
        request
    }

    fn kv_path(key: &str) -> String {
        format!("/v1/kv/{}", keys::encode(keys::to_consul(key)))
    }

    /// Sends `request`; returns the status, `X-Consul-Index` and body of answers that are
    /// a success or one of `accepted`.
    async fn send(
        &self,
        op: &'static str,
        request: RequestBuilder,
        limit: Duration,
        accepted: &[StatusCode],
    ) -> Result<(StatusCode, u64, Bytes), KvError> {
        let response = request
            .send()
            .await
            .map_err(|err| from_reqwest(&self.store, op, limit, err))?;
        let status = response.status();
        let index = response
            .headers()
            .get("x-consul-index")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        let body = response
            .bytes()
            .await
            .map_err(|err| from_reqwest(&self.store, op, limit, err))?;
        if status.is_success() || accepted.contains(&status) {
            Ok((status, index, body))
        } else {
            let text = String::from_utf8_lossy(&body).trim().to_owned();
            Err(from_status(&self.store, op, status.as_u16(), text))
        }
    }

    fn parse<T: for<'de> Deserialize<'de>>(
        &self,
        op: &'static str,
        body: &[u8],
    ) -> Result<T, KvError> {
        serde_json::from_slice(body).map_err(|err| KvError::Backend {
            store: self.store.clone(),
            op,
            source: Box::new(err),
        })
    }

    fn entries(&self, op: &'static str, body: &[u8]) -> Result<Vec<Entry>, KvError> {
        let raw: Vec<EntryIn> = self.parse(op, body)?;
        raw.into_iter().map(|e| e.decode(&self.store)).collect()
    }

    /// `GET /v1/kv/<key>`: the entry, if any.
    pub(crate) async fn get(&self, key: &str) -> Result<Option<Entry>, KvError> {
        let request = self.request(Method::GET, &Self::kv_path(key), self.timeout);
        let (status, _, body) = self
            .send("get", request, self.timeout, &[StatusCode::NOT_FOUND])
            .await?;
        if status == StatusCode::NOT_FOUND {
            return Ok(None);
        }
        Ok(self.entries("get", &body)?.into_iter().next())
    }

    /// `GET /v1/kv/<prefix>?recurse`, blocking until the index passes `wait.0` for at most
    /// `wait.1` when given: the listing's index and entries.
    pub(crate) async fn list(
        &self,
        prefix: &str,
        wait: Option<(u64, Duration)>,
    ) -> Result<(u64, Vec<Entry>), KvError> {
        let mut limit = self.timeout;
        let mut request = self.request(Method::GET, &Self::kv_path(prefix), limit);
        request = request.query(&[("recurse", "")]);
        if let Some((index, wait)) = wait {
            // Consul adds up to wait/16 of jitter to a blocking query.
            limit = self.timeout + wait + wait / 16;
            request = request
                .query(&[
                    ("index", index.to_string()),
                    ("wait", format!("{}ms", wait.as_millis())),
                ])
                .timeout(limit);
        }
        let (status, index, body) = self
            .send("list", request, limit, &[StatusCode::NOT_FOUND])
            .await?;
        if status == StatusCode::NOT_FOUND {
            return Ok((index, Vec::new()));
        }
        Ok((index, self.entries("list", &body)?))
    }

    /// `GET /v1/kv/<prefix>?keys` (with `separator`): the keys and the index.
    pub(crate) async fn keys(
        &self,
        prefix: &str,
        separator: Option<&str>,
    ) -> Result<(u64, Vec<String>), KvError> {
        let mut request = self
            .request(Method::GET, &Self::kv_path(prefix), self.timeout)
            .query(&[("keys", "")]);
        if let Some(separator) = separator {
            request = request.query(&[("separator", separator)]);
        }
        let (status, index, body) = self
            .send("list_keys", request, self.timeout, &[StatusCode::NOT_FOUND])
            .await?;
        if status == StatusCode::NOT_FOUND {
            return Ok((index, Vec::new()));
        }
        Ok((index, self.parse("list_keys", &body)?))
    }

    /// `PUT /v1/kv/<key>?cas=<index>`: whether the check held and the value was written.
    pub(crate) async fn put_cas(&self, key: &str, value: Bytes, cas: u64) -> Result<bool, KvError> {
        let request = self
            .request(Method::PUT, &Self::kv_path(key), self.timeout)
            .query(&[("cas", cas)])
            .body(value);
        let (_, _, body) = self.send("put_cas", request, self.timeout, &[]).await?;
        self.parse("put_cas", &body)
    }

    /// `DELETE /v1/kv/<key>` with `?recurse` or `?cas=<index>`: Consul's `true`/`false`.
    pub(crate) async fn delete(
        &self,
        key: &str,
        recurse: bool,
        cas: Option<u64>,
    ) -> Result<bool, KvError> {
        let mut request = self.request(Method::DELETE, &Self::kv_path(key), self.timeout);
        if recurse {
            request = request.query(&[("recurse", "")]);
        }
        if let Some(cas) = cas {
            request = request.query(&[("cas", cas)]);
        }
        let (_, _, body) = self.send("delete", request, self.timeout, &[]).await?;
        self.parse("delete", &body)
    }

    /// `PUT /v1/txn` with KV operations.
    pub(crate) async fn txn(&self, ops: &[TxnKv]) -> Result<TxnOutcome, KvError> {
        let body: Vec<TxnOpOut<'_>> = ops.iter().map(|kv| TxnOpOut { kv }).collect();
        let request = self
            .request(Method::PUT, "/v1/txn", self.timeout)
            .json(&body);
        let (status, _, body) = self
            .send("txn", request, self.timeout, &[StatusCode::CONFLICT])
            .await?;
        let response: TxnResponse = self.parse("txn", &body)?;
        if status == StatusCode::CONFLICT {
            let errors = response.errors.unwrap_or_default();
            return Ok(Err(errors
                .into_iter()
                .map(|e| (e.op_index, e.what))
                .collect()));
        }
        let entries = response
            .results
            .unwrap_or_default()
            .into_iter()
            .filter_map(|r| r.kv)
            .map(|e| e.decode(&self.store))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Ok(entries))
    }

    /// `GET /v1/status/peers`.
    pub(crate) async fn peers(&self) -> Result<Vec<String>, KvError> {
        let request = self.request(Method::GET, "/v1/status/peers", self.timeout);
        let (_, _, body) = self.send("status", request, self.timeout, &[]).await?;
        self.parse("status", &body)
    }
}
