//! Plugin config files through the core loader: any text, as a `.conf` (YAML) and as a
//! `.json` file, parsed strictly and leniently into the configs of the plugins upstream ships
//! sample files for (HTTP, logs, file DB, Redis, process manager, supervisor, scheduler).
//! Nothing may panic, and the lenient parse accepts whatever the strict one accepts.

#![no_main]

use std::path::Path;

use cninfra_core::config::{parse_lenient, parse_str};
use libfuzzer_sys::fuzz_target;
use serde::de::DeserializeOwned;

fn check<T: DeserializeOwned + std::fmt::Debug>(text: &str, path: &Path) -> Option<T> {
    let strict = parse_str::<T>(text, path);
    let lenient = parse_lenient::<T>(text, path);
    if strict.is_ok() {
        assert!(
            lenient.is_ok(),
            "strict parse accepts what the lenient one refuses: {lenient:?}"
        );
    }
    if let Ok(parsed) = &lenient {
        for key in &parsed.unknown {
            let _ = key.to_string();
        }
    }
    lenient.ok().map(|parsed| parsed.value)
}

fn all(text: &str, path: &Path) {
    check::<cninfra_rpc::rest::HttpConfig>(text, path);
    check::<cninfra_logging::LogsConfig>(text, path);
    check::<cninfra_kv_filedb::FileDbConfig>(text, path);
    check::<cninfra_exec::ManagerConfig>(text, path);
    check::<cninfra_exec::SupervisorConfig>(text, path);
    check::<cninfra_kvscheduler::SchedulerConfig>(text, path);
    if let Some(redis) = check::<cninfra_kv_redis::RedisConfig>(text, path) {
        let _ = redis.topology();
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    all(text, Path::new("/etc/agent/plugin.conf"));
    all(text, Path::new("/etc/agent/plugin.json"));
});
