//! `put_if_absent`, `compare_and_swap` and `compare_and_delete` of [`RedisStore`]: one Lua
//! script each, which Redis runs atomically. Each touches one key, so they work in cluster
//! mode too (the script goes to the key's node). With exact watch values the scripts
//! announce the change as [`scripts::PUT`](crate::scripts::PUT) does.
//!
//! Atomic on the node that runs them; under Sentinel or in a cluster, a write acknowledged
//! by a master that fails before replicating it can be lost (Redis replicates
//! asynchronously), and a later condition is then checked against the older value.

use std::sync::LazyLock;

use bytes::Bytes;
use cninfra_kv::{KvError, KvStore, PutOptions, validate_key};
use redis::Script;

use crate::store::{RedisStore, ttl_millis};

/// `KEYS[1]` = key, `ARGV[1]` = value, `ARGV[2]` = announce prefix (`''`: none),
/// `ARGV[3]` = TTL in milliseconds (`0`: none). Returns 1 when written.
static PUT_IF_ABSENT: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
if ARGV[2] ~= '' then
  redis.call('PUBLISH', ARGV[2] .. KEYS[1], 'p0' .. #ARGV[1] .. ':' .. ARGV[1])
end
if ARGV[3] == '0' then
  redis.call('SET', KEYS[1], ARGV[1])
else
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[3])
end
return 1
",
    )
});

/// `KEYS[1]` = key, `ARGV[1]` = old value, `ARGV[2]` = new value, `ARGV[3]` = announce
/// prefix, `ARGV[4]` = TTL in milliseconds. Returns 1 when written.
static COMPARE_AND_SWAP: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local current = redis.pcall('GET', KEYS[1])
if type(current) ~= 'string' or current ~= ARGV[1] then return 0 end
if ARGV[3] ~= '' then
  redis.call('PUBLISH', ARGV[3] .. KEYS[1], 'p1' .. #ARGV[2] .. ':' .. ARGV[2] .. current)
end
if ARGV[4] == '0' then
  redis.call('SET', KEYS[1], ARGV[2])
else
  redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[4])
end
return 1
",
    )
});

/// `KEYS[1]` = key, `ARGV[1]` = old value, `ARGV[2]` = announce prefix. Returns 1 when
/// deleted.
static COMPARE_AND_DELETE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local current = redis.pcall('GET', KEYS[1])
if type(current) ~= 'string' or current ~= ARGV[1] then return 0 end
if ARGV[2] ~= '' then
  redis.call('PUBLISH', ARGV[2] .. KEYS[1], 'd10:' .. current)
end
redis.call('DEL', KEYS[1])
return 1
",
    )
});

impl RedisStore {
    /// The announce prefix for the scripts: empty without exact watch values.
    fn announce(&self) -> &str {
        if self.inner.exact_values {
            &self.inner.announce_prefix
        } else {
            ""
        }
    }

    /// Runs one of the scripts above; `Some(0)` (Redis has no revisions) when it wrote.
    async fn conditional(
        &self,
        op: &'static str,
        call: redis::ScriptInvocation<'_>,
    ) -> Result<Option<u64>, KvError> {
        let mut con = self.inner.con();
        let written: u8 = self.run(op, call.invoke_async(&mut con)).await?;
        Ok((written == 1).then_some(0))
    }

    pub(crate) async fn put_if_absent_script(
        &self,
        key: &str,
        value: Bytes,
        options: &PutOptions,
    ) -> Result<Option<u64>, KvError> {
        validate_key(key)?;
        options.check(self.name(), self.capabilities())?;
        let mut call = PUT_IF_ABSENT.key(key);
        call.arg(value.as_ref())
            .arg(self.announce())
            .arg(ttl_millis(options.ttl).to_string());
        self.conditional("put_if_absent", call).await
    }

    pub(crate) async fn compare_and_swap_script(
        &self,
        key: &str,
        old: Bytes,
        new: Bytes,
        options: &PutOptions,
    ) -> Result<Option<u64>, KvError> {
        validate_key(key)?;
        options.check(self.name(), self.capabilities())?;
        let mut call = COMPARE_AND_SWAP.key(key);
        call.arg(old.as_ref())
            .arg(new.as_ref())
            .arg(self.announce())
            .arg(ttl_millis(options.ttl).to_string());
        self.conditional("compare_and_swap", call).await
    }

    pub(crate) async fn compare_and_delete_script(
        &self,
        key: &str,
        old: Bytes,
    ) -> Result<Option<u64>, KvError> {
        validate_key(key)?;
        let mut call = COMPARE_AND_DELETE.key(key);
        call.arg(old.as_ref()).arg(self.announce());
        self.conditional("compare_and_delete", call).await
    }
}
