//! Listings as streams of pages: each page is one range request, fetched when the
//! consumer gets to it. The first page asks for [`FIRST_PAGE`] keys; later pages for as
//! many keys as fit about [`PAGE_BYTES`] at the sizes seen so far. Few large pages matter
//! with etcd 3.4, which walks the rest of the range on every request to count it.

use bytes::Bytes;
use cninfra_kv::{KvEntry, KvError, KvStore, KvStream};
use etcd_client::{GetOptions, KeyValue};
use futures::stream::{self, StreamExt, TryStreamExt};
use tonic::Code;

use super::EtcdStore;
use super::keys::{KeyRange, key_string};
use crate::error::kv_error;

/// Keys asked for by the first request of a listing.
const FIRST_PAGE: i64 = 1000;
/// About how many bytes (keys and values) later pages hold.
const PAGE_BYTES: usize = 4 * 1024 * 1024;
/// Most keys asked for by one request.
const MAX_PAGE: i64 = 50_000;

/// Where the listing stands between pages.
struct Cursor {
    store: EtcdStore,
    /// First key of the next page; `None` when done.
    next: Option<Vec<u8>>,
    end: Vec<u8>,
    keys_only: bool,
    limit: i64,
}

impl Cursor {
    fn new(store: EtcdStore, prefix: &str, keys_only: bool) -> Self {
        let range = KeyRange::prefix(prefix);
        Self {
            store,
            next: Some(range.start),
            end: range.end,
            keys_only,
            limit: FIRST_PAGE,
        }
    }

    /// Sizes the next page after the entries of this one.
    fn fit_limit(&mut self, page: &[KeyValue]) {
        let bytes: usize = page
            .iter()
            .map(|kv| kv.key().len() + kv.value().len())
            .sum();
        if let Some(average) = bytes.checked_div(page.len()) {
            let fits = PAGE_BYTES / average.max(1);
            self.limit = i64::try_from(fits).unwrap_or(MAX_PAGE).clamp(1, MAX_PAGE);
        }
    }

    /// The next page, or `None` when the range is exhausted. A page too large for the
    /// client's message limit is fetched again with half the keys.
    async fn page(mut self) -> Result<Option<(Vec<KeyValue>, Self)>, KvError> {
        let Some(start) = self.next.take() else {
            return Ok(None);
        };
        let op = if self.keys_only {
            "list_keys"
        } else {
            "list_values"
        };
        loop {
            let kv = self.store.kv_client()?;
            let mut options = GetOptions::new()
                .with_range(self.end.clone())
                .with_limit(self.limit);
            if self.keys_only {
                options = options.with_keys_only();
            }
            let result = self
                .store
                .read(op, || {
                    let (mut kv, options, start) = (kv.clone(), options.clone(), start.clone());
                    async move { kv.get(start, Some(options)).await }
                })
                .await?;
            let mut response = match result {
                Ok(response) => response,
                Err(etcd_client::Error::GRpcStatus(status))
                    if self.limit > 1
                        && matches!(status.code(), Code::OutOfRange | Code::ResourceExhausted) =>
                {
                    self.limit /= 2;
                    continue;
                }
                Err(err) => return Err(kv_error(self.store.name(), op, err)),
            };
            let kvs = response.take_kvs();
            self.fit_limit(&kvs);
            if response.more()
                && let Some(last) = kvs.last()
            {
                let mut after = last.key().to_vec();
                after.push(0);
                self.next = Some(after);
            }
            return Ok(Some((kvs, self)));
        }
    }
}

/// Pages of `prefix` as a stream of raw key-values.
fn pages(
    store: EtcdStore,
    prefix: &str,
    keys_only: bool,
) -> impl futures::Stream<Item = Result<KeyValue, KvError>> + Send + 'static {
    stream::try_unfold(Cursor::new(store, prefix, keys_only), Cursor::page)
        .map_ok(|page| stream::iter(page.into_iter().map(Ok)))
        .try_flatten()
}

/// The entries under `prefix`, sorted by key.
pub(crate) fn values(store: EtcdStore, prefix: &str) -> KvStream<'static, KvEntry> {
    pages(store, prefix, false)
        .and_then(|found| async move {
            let revision = u64::try_from(found.mod_revision()).unwrap_or(0);
            let (key, value) = found.into_key_value();
            Ok(KvEntry {
                key: key_string(key)?,
                value: Bytes::from(value),
                revision,
            })
        })
        .boxed()
}

/// The keys under `prefix`, sorted.
pub(crate) fn keys(store: EtcdStore, prefix: &str) -> KvStream<'static, String> {
    pages(store, prefix, true)
        .and_then(|found| async move { key_string(found.into_key_value().0) })
        .boxed()
}
