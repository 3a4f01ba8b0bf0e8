//! `kvdb list | get | put | del`: the agent's keys in etcd, completed to
//! `/vnf-agent/<label>/<key>` as agentctl does.

use anyhow::{Context as _, anyhow};
use cninfra_kv::{DeleteOptions, KvEntry, PutOptions};
use futures::TryStreamExt as _;
use serde::Serialize;

use crate::agent::Agent;
use crate::cli::{Format, KvdbCommand};
use crate::output::{self, Table};

/// A key and its value as printed: the value as JSON when it is JSON, else as text.
#[derive(Debug, Serialize)]
struct Entry {
    key: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    value: Option<serde_json::Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    revision: Option<u64>,
}

impl Entry {
    fn of(entry: KvEntry) -> Self {
        let value = serde_json::from_slice(&entry.value).unwrap_or_else(|_| {
            serde_json::Value::String(String::from_utf8_lossy(&entry.value).into_owned())
        });
        Self {
            key: entry.key,
            value: Some(value),
            revision: Some(entry.revision),
        }
    }
}

fn table(entries: &[Entry]) -> Table {
    let mut table = Table::new(vec!["KEY", "VALUE"]);
    for e in entries {
        table.row(vec![
            e.key.clone(),
            e.value.as_ref().map(output::compact).unwrap_or_default(),
        ]);
    }
    table
}

/// `kvdb ...`.
pub(crate) async fn run(agent: &Agent, command: KvdbCommand) -> anyhow::Result<()> {
    let store = agent.etcd().await?;
    let name = store.name().to_owned();
    let format = agent.format(Format::Table);
    match command {
        KvdbCommand::List { prefix, keys_only } => {
            let prefix = prefix.map_or_else(|| agent.agent_prefix(), |p| agent.full_key(&p));
            let entries: Vec<Entry> = if keys_only {
                let keys: Vec<String> = store
                    .list_keys(&prefix)
                    .try_collect()
                    .await
                    .with_context(|| format!("{name}: list keys `{prefix}`"))?;
                keys.into_iter()
                    .map(|key| Entry {
                        key,
                        value: None,
                        revision: None,
                    })
                    .collect()
            } else {
                let entries: Vec<KvEntry> = store
                    .list_values(&prefix)
                    .try_collect()
                    .await
                    .with_context(|| format!("{name}: list `{prefix}`"))?;
                entries.into_iter().map(Entry::of).collect()
            };
            if keys_only && format == Format::Table {
                let keys: String = entries.iter().map(|e| format!("{}\n", e.key)).collect();
                return output::write_out(&keys);
            }
            output::print(format, &entries, |e| table(e))
        }
        KvdbCommand::Get { key } => {
            let key = agent.full_key(&key);
            let found = store
                .get(&key)
                .await
                .with_context(|| format!("{name}: get `{key}`"))?
                .ok_or_else(|| anyhow!("{name}: no key `{key}`"))?;
            let entry = Entry::of(KvEntry {
                key,
                value: found.value,
                revision: found.revision,
            });
            if format == Format::Table {
                let value = entry
                    .value
                    .as_ref()
                    .map(output::compact)
                    .unwrap_or_default();
                return output::write_out(&format!("{value}\n"));
            }
            output::print(format, &entry, |e| table(std::slice::from_ref(e)))
        }
        KvdbCommand::Put { key, value } => {
            let key = agent.full_key(&key);
            store
                .put(&key, value.into_bytes().into(), PutOptions::default())
                .await
                .with_context(|| format!("{name}: put `{key}`"))?;
            Ok(())
        }
        KvdbCommand::Del { key } => {
            let key = agent.full_key(&key);
            let existed = store
                .delete(&key, DeleteOptions::default())
                .await
                .with_context(|| format!("{name}: delete `{key}`"))?;
            if existed {
                Ok(())
            } else {
                Err(anyhow!("{name}: no key `{key}`"))
            }
        }
    }
}
