//! Hash maps and sets keyed by value keys, with a fast hasher.

/// A hash map with `foldhash` (keys are not attacker-chosen hash-flooding inputs: they
/// come from the agent's own configuration sources).
pub(crate) type FastMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::RandomState>;

/// A hash set with `foldhash`.
pub(crate) type FastSet<K> = std::collections::HashSet<K, foldhash::fast::RandomState>;
