//! What generated code calls; not a public API.

pub use pbjson;
pub use serde;

mod number;
mod open_enum;
pub use number::NumberDeserialize;
pub use open_enum::OpenEnum;

use prost_reflect::{DescriptorPool, MessageDescriptor};

/// The descriptor of a generated message: the crate's compiled files go into the global
/// pool once (so `Any` fields resolve messages of every crate), then the message is
/// looked up there.
///
/// # Panics
/// When `name` is not in `file_descriptor_set`: generated code passes its own files and
/// names, so this is a bug in the build helper.
pub fn message_descriptor(file_descriptor_set: &'static [u8], name: &str) -> MessageDescriptor {
    use std::collections::HashSet;
    use std::sync::{LazyLock, Mutex};
    static ADDED: LazyLock<Mutex<HashSet<usize>>> = LazyLock::new(Mutex::default);
    let id = file_descriptor_set.as_ptr() as usize;
    let mut added = ADDED
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if added.insert(id) {
        #[allow(clippy::expect_used)]
        DescriptorPool::decode_global_file_descriptor_set(file_descriptor_set)
            .expect("the build helper's descriptor set decodes");
    }
    drop(added);
    #[allow(clippy::expect_used)]
    DescriptorPool::global()
        .get_message_by_name(name)
        .expect("the build helper names messages of its own descriptor set")
}
