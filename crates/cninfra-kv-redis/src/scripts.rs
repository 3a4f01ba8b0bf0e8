//! The Lua scripts that write and delete keys while announcing each change, and the format
//! of the announcements; used with [`RedisConfig::exact_watch_values`](crate::RedisConfig::exact_watch_values).
//!
//! A keyspace notification says only that a key changed (`set`, `del`), never to what, and
//! a watcher that reads the key afterwards may already see a later value. So every write
//! of this connector runs as one script that reads the old value, publishes
//! `<announce prefix><key>` with the new and the old value, then writes. Scripts run
//! atomically, so the announcement reaches a subscriber right before the keyspace
//! notification of the same change, with nothing in between; the watcher reports the
//! announced values and drops that notification (see [`crate::watch`]).
//!
//! Payload: `p` (put) or `d` (delete), `1` or `0` (whether an old value follows), the
//! length of the new value in decimal, `:`, the new value, then the old value.

use bytes::Bytes;
use cninfra_kv::ChangeKind;

/// `KEYS[1]` = key, `ARGV[1]` = value, `ARGV[2]` = announce prefix, `ARGV[3]` = TTL in
/// milliseconds (`0` = none).
pub(crate) const PUT: &str = r"
local old = redis.pcall('GET', KEYS[1])
local value = ARGV[1]
if type(old) == 'string' then
  redis.call('PUBLISH', ARGV[2] .. KEYS[1], 'p1' .. #value .. ':' .. value .. old)
else
  redis.call('PUBLISH', ARGV[2] .. KEYS[1], 'p0' .. #value .. ':' .. value)
end
if ARGV[3] == '0' then
  redis.call('SET', KEYS[1], value)
else
  redis.call('SET', KEYS[1], value, 'PX', ARGV[3])
end
return 1
";

/// `KEYS` = keys to delete, `ARGV[1]` = announce prefix. Returns how many existed.
pub(crate) const DELETE: &str = r"
local deleted = 0
for _, key in ipairs(KEYS) do
  local old = redis.pcall('GET', key)
  if type(old) == 'string' then
    redis.call('PUBLISH', ARGV[1] .. key, 'd10:' .. old)
    redis.call('DEL', key)
    deleted = deleted + 1
  elseif type(old) == 'table' then
    deleted = deleted + redis.call('DEL', key)
  end
end
return deleted
";

/// A change as announced by [`PUT`] or [`DELETE`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Announcement {
    pub(crate) kind: ChangeKind,
    pub(crate) value: Bytes,
    pub(crate) prev: Option<Bytes>,
}

/// Reads an announcement payload; `None` when it is not one (someone else published on
/// the channel).
pub(crate) fn decode(payload: &[u8]) -> Option<Announcement> {
    let kind = match payload.first()? {
        b'p' => ChangeKind::Put,
        b'd' => ChangeKind::Delete,
        _ => return None,
    };
    let has_prev = match payload.get(1)? {
        b'1' => true,
        b'0' => false,
        _ => return None,
    };
    let rest = payload.get(2..)?;
    let colon = rest.iter().position(|&b| b == b':')?;
    let len: usize = std::str::from_utf8(&rest[..colon]).ok()?.parse().ok()?;
    let body = &rest[colon + 1..];
    if body.len() < len || (!has_prev && body.len() != len) {
        return None;
    }
    let (value, prev) = body.split_at(len);
    Some(Announcement {
        kind,
        value: Bytes::copy_from_slice(value),
        prev: has_prev.then(|| Bytes::copy_from_slice(prev)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payloads_as_the_scripts_build_them_decode() {
        let put = decode(b"p13:newold").unwrap();
        assert_eq!(put.kind, ChangeKind::Put);
        assert_eq!(
            (&put.value[..], put.prev.as_deref()),
            (&b"new"[..], Some(&b"old"[..]))
        );
        let first = decode(b"p05:a:b:c").unwrap();
        assert_eq!((&first.value[..], first.prev), (&b"a:b:c"[..], None));
        let delete = decode(b"d10:gone").unwrap();
        assert_eq!(delete.kind, ChangeKind::Delete);
        assert_eq!(delete.prev.as_deref(), Some(&b"gone"[..]));
        let empty_prev = decode(b"p11:x").unwrap();
        assert_eq!(empty_prev.prev.as_deref(), Some(&b""[..]));
    }

    #[test]
    fn foreign_payloads_are_refused() {
        for payload in [
            &b""[..],
            b"hello",
            b"p0",
            b"p0x:",
            b"p05:abc",
            b"p03:abcd",
            b"x01:a",
        ] {
            assert_eq!(decode(payload), None, "{payload:?}");
        }
    }
}
