//! Keys: any text as a key looked up in the registry of upstream's models
//! (`ModelRegistry::for_key`, prefix checks and stripping), and as prefix and name (split at
//! the first NUL byte) joined as Go's `path.Join`. Nothing may panic; a joined key is clean
//! (joining it again changes nothing) and a key a model claims starts with its prefix.

#![no_main]

use cninfra_fuzz::registry;
use cninfra_models::key::join;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let registry = registry();
    if let Some(model) = registry.for_key(text) {
        assert!(text.starts_with(model.key_prefix()), "{text:?}");
        assert!(model.is_key_valid(text));
        let name = model
            .strip_key_prefix(text)
            .expect("a claimed key has the prefix");
        let _ = model.key(name);
    }
    let _ = registry.for_key_prefix(text);
    for model in registry.models() {
        if let Some(name) = model.strip_key_prefix(text) {
            let _ = model.key(name);
        }
        let _ = model.is_key_valid(text);
    }
    let (prefix, name) = text.split_once('\0').unwrap_or((text, ""));
    let joined = join(prefix, name);
    assert_eq!(join(&joined, ""), joined, "{prefix:?} + {name:?}");
});
