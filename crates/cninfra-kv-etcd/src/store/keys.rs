//! Key ranges as etcd wants them, and keys as the broker API wants them.

use cninfra_kv::KvError;

/// A range `[start, end)` of keys; an `end` of `[0]` means "no end".
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct KeyRange {
    pub(crate) start: Vec<u8>,
    pub(crate) end: Vec<u8>,
}

/// The end of "no end" (and, with the same start, of "every key").
const OPEN: [u8; 1] = [0];

impl KeyRange {
    /// Every key that starts with `prefix` (`""`: every key).
    pub(crate) fn prefix(prefix: &str) -> Self {
        if prefix.is_empty() {
            return Self {
                start: OPEN.to_vec(),
                end: OPEN.to_vec(),
            };
        }
        let mut end = prefix.as_bytes().to_vec();
        while let Some(last) = end.pop() {
            if last < 0xff {
                end.push(last + 1);
                return Self {
                    start: prefix.as_bytes().to_vec(),
                    end,
                };
            }
        }
        Self {
            start: prefix.as_bytes().to_vec(),
            end: OPEN.to_vec(),
        }
    }

    /// The smallest range holding every key under any of `prefixes` (and maybe others
    /// between them, which a watcher filters out).
    pub(crate) fn covering(prefixes: &[String]) -> Self {
        let mut ranges = prefixes.iter().map(|p| Self::prefix(p));
        let Some(mut cover) = ranges.next() else {
            return Self::prefix("");
        };
        for range in ranges {
            if range.start < cover.start {
                cover.start = range.start;
            }
            if cover.end != OPEN && (range.end == OPEN || range.end > cover.end) {
                cover.end = range.end;
            }
        }
        cover
    }
}

/// A key read from etcd as a string; keys written by others may not be UTF-8.
pub(crate) fn key_string(key: Vec<u8>) -> Result<String, KvError> {
    String::from_utf8(key).map_err(|err| KvError::InvalidKey {
        key: String::from_utf8_lossy(err.as_bytes()).into_owned(),
        reason: "the key stored in etcd is not UTF-8",
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn range(start: &[u8], end: &[u8]) -> KeyRange {
        KeyRange {
            start: start.to_vec(),
            end: end.to_vec(),
        }
    }

    #[test]
    fn prefix_ranges_end_after_the_last_key_with_the_prefix() {
        assert_eq!(KeyRange::prefix("a/"), range(b"a/", b"a0"));
        assert_eq!(KeyRange::prefix(""), range(&[0], &[0]));
        assert_eq!(
            KeyRange::prefix("a\u{7f}"),
            range(b"a\x7f", b"a\x80"),
            "the last byte is bumped"
        );
        let high = "\u{ff}"; // UTF-8 c3 bf
        assert_eq!(KeyRange::prefix(high), range(&[0xc3, 0xbf], &[0xc3, 0xc0]));
    }

    #[test]
    fn covering_range_spans_all_prefixes() {
        let prefixes = ["b/".to_owned(), "a/x/".to_owned(), "a/".to_owned()];
        assert_eq!(KeyRange::covering(&prefixes), range(b"a/", b"b0"));
        let with_all = ["b/".to_owned(), String::new()];
        assert_eq!(KeyRange::covering(&with_all), range(&[0], &[0]));
        assert_eq!(KeyRange::covering(&[]), range(&[0], &[0]));
    }

    #[test]
    fn non_utf8_keys_are_named_lossily() {
        let err = key_string(vec![b'k', 0xff]).unwrap_err();
        assert!(
            err.is_invalid_key() && err.to_string().contains('k'),
            "{err}"
        );
    }
}
