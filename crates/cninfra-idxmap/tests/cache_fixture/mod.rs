//! The interface values and map of the cache tests, shared by their files.
#![allow(dead_code, unreachable_pub)]

use std::collections::BTreeMap;

use bytes::Bytes;
use cninfra_idxmap::IdxMap;
use cninfra_kv::{KvStore, PutOptions};
use serde::{Deserialize, Serialize};

pub const PREFIX: &str = "/vnf-agent/vpp1/config/if/";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Iface {
    pub kind: String,
    pub mtu: u32,
}

pub fn iface(kind: &str, mtu: u32) -> Bytes {
    Bytes::from(
        serde_json::to_vec(&Iface {
            kind: kind.into(),
            mtu,
        })
        .unwrap(),
    )
}

pub fn new_map() -> IdxMap<Iface> {
    IdxMap::builder("interfaces")
        .with_index_emit("by-kind", |v: &Iface, emit| emit(&v.kind))
        .build()
        .unwrap()
}

pub async fn put(store: &dyn KvStore, name: &str, value: Bytes) {
    store
        .put(&format!("{PREFIX}{name}"), value, PutOptions::default())
        .await
        .unwrap();
}

pub fn mtus(map: &IdxMap<Iface>) -> BTreeMap<String, u32> {
    map.list_all()
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.mtu))
        .collect()
}
