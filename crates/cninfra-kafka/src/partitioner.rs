//! [`HashPartitioner`]: which hash of the key picks the partition of a
//! [`Partitioner::Hash`](crate::Partitioner::Hash) publisher, and [`sarama_partition`],
//! the partition Go producers (sarama's default partitioner) give a key.

use serde::{Deserialize, Serialize};

/// The hash of the key that picks a message's partition (`hash-partitioner` in
/// `kafka.conf`). Keyless messages go to a random partition with each of them.
///
/// The default is sarama's, so that Go (cn-infra) and Rust producers sharing a topic put a
/// key in the same partition and keep its order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum HashPartitioner {
    /// FNV-1a (32 bit), as sarama's default `NewHashPartitioner` (cn-infra's producers):
    /// see [`sarama_partition`].
    #[default]
    Fnv1a,
    /// murmur2, as the Java client's default partitioner.
    Murmur2,
    /// CRC32, librdkafka's own default.
    Crc32,
}

impl HashPartitioner {
    /// librdkafka's `partitioner` setting for this hash (keyless messages random).
    pub(crate) fn librdkafka_name(self) -> &'static str {
        match self {
            Self::Fnv1a => "fnv1a_random",
            Self::Murmur2 => "murmur2_random",
            Self::Crc32 => "consistent_random",
        }
    }
}

/// The partition sarama's default hash partitioner gives `key` among `partitions`
/// (`partitions` > 0): the 32-bit FNV-1a hash as a signed number, modulo the count, made
/// positive. librdkafka's `fnv1a` partitioner computes the same.
///
/// # Examples
/// ```
/// assert_eq!(cninfra_kafka::sarama_partition(b"", 7), (0x811c9dc5u32 as i32 % 7).abs());
/// assert!((0..7).contains(&cninfra_kafka::sarama_partition(b"order-42", 7)));
/// ```
pub fn sarama_partition(key: &[u8], partitions: i32) -> i32 {
    let hash = fnv1a32(key) as i32;
    let partition = hash % partitions.max(1);
    partition.abs()
}

/// 32-bit FNV-1a.
fn fnv1a32(bytes: &[u8]) -> u32 {
    bytes.iter().fold(0x811c_9dc5, |hash: u32, &byte| {
        (hash ^ u32::from(byte)).wrapping_mul(0x0100_0193)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnv1a_matches_the_reference_values() {
        // From the FNV reference test suite.
        assert_eq!(fnv1a32(b""), 0x811c_9dc5);
        assert_eq!(fnv1a32(b"a"), 0xe40c_292c);
        assert_eq!(fnv1a32(b"foobar"), 0xbf9c_f968);
    }

    #[test]
    fn negative_hashes_are_made_positive_as_sarama_does() {
        // fnv1a("") = 0x811c9dc5, negative as i32: -2128831035 % 7 = -2 -> 2.
        assert_eq!(sarama_partition(b"", 7), 2);
        // fnv1a("a") = 0xe40c292c = -468965076: % 3 = -0 -> 0; % 10 = -6 -> 6.
        assert_eq!(sarama_partition(b"a", 3), 0);
        assert_eq!(sarama_partition(b"a", 10), 6);
        // fnv1a("foobar") = 0xbf9cf968 = -1080231576: % 10 = -6 -> 6.
        assert_eq!(sarama_partition(b"foobar", 10), 6);
    }

    #[test]
    fn the_config_names_parse() {
        let parsed: HashPartitioner = serde_yaml_ng::from_str("murmur2").unwrap();
        assert_eq!(parsed, HashPartitioner::Murmur2);
        assert_eq!(HashPartitioner::default().librdkafka_name(), "fnv1a_random");
    }
}
