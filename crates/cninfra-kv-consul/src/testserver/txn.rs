//! `PUT /v1/txn` of the test server: KV operations applied all or nothing at one index.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Serialize};

use super::state::{Entry, Kv, Saved};

/// One operation of a transaction request (only `KV` operations are served).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct TxnOpIn {
    #[serde(rename = "KV")]
    pub(crate) kv: Option<KvOpIn>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct KvOpIn {
    pub(crate) verb: String,
    pub(crate) key: String,
    #[serde(default)]
    pub(crate) value: Option<String>,
    #[serde(default)]
    pub(crate) flags: u64,
    #[serde(default)]
    pub(crate) index: u64,
}

/// An entry as Consul's JSON shows it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct EntryOut {
    pub(crate) lock_index: u64,
    pub(crate) key: String,
    pub(crate) flags: u64,
    pub(crate) value: Option<String>,
    pub(crate) create_index: u64,
    pub(crate) modify_index: u64,
}

impl EntryOut {
    pub(crate) fn new(key: &str, entry: &Entry, with_value: bool) -> Self {
        Self {
            lock_index: entry.lock_index,
            key: key.to_owned(),
            flags: entry.flags,
            value: with_value.then(|| STANDARD.encode(&entry.value)),
            create_index: entry.create_index,
            modify_index: entry.modify_index,
        }
    }
}

#[derive(Debug, Serialize)]
pub(crate) struct ResultOut {
    #[serde(rename = "KV")]
    pub(crate) kv: EntryOut,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct ErrorOut {
    pub(crate) op_index: usize,
    pub(crate) what: String,
}

/// Why a transaction was refused before it ran (HTTP 400 or 413).
#[derive(Debug)]
pub(crate) enum Refused {
    BadRequest(String),
    TooLarge(String),
}

/// The outcome of a transaction that ran: results, or the errors that rolled it back.
pub(crate) type Outcome = Result<Vec<ResultOut>, Vec<ErrorOut>>;

/// Runs `ops` on `kv`; when one fails (or is refused), every change is undone.
pub(crate) fn run(
    kv: &mut Kv,
    ops: &[TxnOpIn],
    max_value: usize,
) -> Result<(Outcome, bool), Refused> {
    let mut undo = Vec::new();
    let outcome = apply(kv, ops, max_value, &mut undo);
    let applied = matches!(outcome, Ok((Ok(_), true)));
    if applied {
        kv.commit(kv.next_index());
    } else {
        for saved in undo.into_iter().rev() {
            kv.restore(saved);
        }
    }
    outcome
}

/// Applies `ops` in order, saving each key before its first change into `undo`.
fn apply(
    work: &mut Kv,
    ops: &[TxnOpIn],
    max_value: usize,
    undo: &mut Vec<Saved>,
) -> Result<(Outcome, bool), Refused> {
    let index = work.next_index();
    let mut results = Vec::new();
    let mut errors = Vec::new();
    let mut writes = false;
    for (op_index, op) in ops.iter().enumerate() {
        let Some(op) = &op.kv else {
            return Err(Refused::BadRequest(
                "only KV operations are supported by this server".into(),
            ));
        };
        let value = match &op.value {
            Some(text) => STANDARD.decode(text).map_err(|err| {
                Refused::BadRequest(format!("invalid Value of op {op_index}: {err}"))
            })?,
            None => Vec::new(),
        };
        if value.len() > max_value {
            return Err(Refused::TooLarge(format!(
                "Value for key {:?} is too large ({} > {max_value} bytes)",
                op.key,
                value.len()
            )));
        }
        let mut fail = |what: String| errors.push(ErrorOut { op_index, what });
        let current = work.entries.get(&op.key).cloned();
        match op.verb.as_str() {
            "set" => {
                undo.push(work.save(&op.key));
                work.set(&op.key, value, op.flags, index);
                writes = true;
                results.push(entry_result(work, &op.key, false));
            }
            "cas" => {
                let matches = match &current {
                    None => op.index == 0,
                    Some(entry) => entry.modify_index == op.index,
                };
                if matches {
                    undo.push(work.save(&op.key));
                    work.set(&op.key, value, op.flags, index);
                    writes = true;
                    results.push(entry_result(work, &op.key, false));
                } else {
                    fail(format!("failed to set key {:?}, index is stale", op.key));
                }
            }
            "get" => match current {
                Some(entry) => results.push(ResultOut {
                    kv: EntryOut::new(&op.key, &entry, true),
                }),
                None => fail(format!("key {:?} doesn't exist", op.key)),
            },
            "get-tree" => results.extend(work.under(&op.key).map(|(key, entry)| ResultOut {
                kv: EntryOut::new(key, entry, true),
            })),
            "check-index" => match current {
                Some(entry) if entry.modify_index == op.index => results.push(ResultOut {
                    kv: EntryOut::new(&op.key, &entry, false),
                }),
                Some(entry) => fail(format!(
                    "current modify index {} != {}",
                    entry.modify_index, op.index
                )),
                None => fail(format!("key {:?} doesn't exist", op.key)),
            },
            "check-not-exists" => {
                if current.is_some() {
                    fail(format!("key {:?} exists", op.key));
                }
            }
            "delete" => {
                undo.push(work.save(&op.key));
                work.delete(&op.key, index);
                writes = true;
            }
            "delete-tree" => {
                let keys: Vec<String> = work.under(&op.key).map(|(key, _)| key.clone()).collect();
                undo.extend(keys.iter().map(|key| work.save(key)));
                work.delete_tree(&op.key, index);
                writes = true;
            }
            "delete-cas" => match current {
                Some(entry) if entry.modify_index == op.index => {
                    undo.push(work.save(&op.key));
                    work.delete(&op.key, index);
                    writes = true;
                }
                _ => fail(format!("failed to delete key {:?}, index is stale", op.key)),
            },
            other => {
                return Err(Refused::BadRequest(format!(
                    "unknown or unsupported KV verb {other:?}"
                )));
            }
        }
    }
    if !errors.is_empty() {
        return Ok((Err(errors), false));
    }
    Ok((Ok(results), writes))
}

fn entry_result(kv: &Kv, key: &str, with_value: bool) -> ResultOut {
    let entry = &kv.entries[key];
    ResultOut {
        kv: EntryOut::new(key, entry, with_value),
    }
}
