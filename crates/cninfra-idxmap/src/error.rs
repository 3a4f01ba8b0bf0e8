//! The error type of the crate.

/// What can go wrong when building or using an [`IdxMap`](crate::IdxMap).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum IdxMapError {
    /// A subscriber with this name already watches the map.
    #[error("idxmap `{map}`: subscriber `{subscriber}` is already registered")]
    DuplicateSubscriber {
        /// Title of the map.
        map: String,
        /// The name that is taken.
        subscriber: String,
    },
    /// The map has no secondary index of this name.
    #[error("idxmap `{map}`: no secondary index named `{index}`")]
    UnknownIndex {
        /// Title of the map.
        map: String,
        /// The index that was asked for.
        index: String,
    },
    /// Two secondary indexes were given the same name.
    #[error("idxmap `{map}`: secondary index `{index}` is defined twice")]
    DuplicateIndex {
        /// Title of the map.
        map: String,
        /// The repeated index name.
        index: String,
    },
    /// A channel subscriber was asked for with room for no event.
    #[error("idxmap `{map}`: channel capacity of subscriber `{subscriber}` must be at least 1")]
    ZeroCapacity {
        /// Title of the map.
        map: String,
        /// The subscriber (or `<default>` for the builder setting).
        subscriber: String,
    },
}
