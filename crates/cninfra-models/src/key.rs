//! Keys: a model's key prefix joined with an instance name as upstream joins them, by Go's
//! `path.Join` (`pkg/models/models.go`): joined with `/` and cleaned, so repeated slashes
//! collapse, `.` and `a/..` elements drop and a trailing slash goes. The VPP route template,
//! for one, renders `vrf/0/dst/10.0.0.0/8/` without a gateway, and upstream's key ends
//! without that slash.
//!
//! # Examples
//! ```
//! use cninfra_models::key::join;
//!
//! assert_eq!(join("config/vpp/l2/v2/fib/", "bd1/mac/aa:bb"), "config/vpp/l2/v2/fib/bd1/mac/aa:bb");
//! assert_eq!(join("config/vpp/v2/route/", "vrf/0/dst/10.0.0.0/8/"), "config/vpp/v2/route/vrf/0/dst/10.0.0.0/8");
//! ```

/// `prefix` (ending with `/`) and `name` joined as Go's `path.Join(prefix, name)`.
pub fn join(prefix: &str, name: &str) -> String {
    if is_clean(prefix, name) {
        return format!("{prefix}{name}");
    }
    let joined = match (prefix.is_empty(), name.is_empty()) {
        (true, true) => return String::new(),
        (false, true) => prefix.to_owned(),
        (true, false) => name.to_owned(),
        (false, false) => format!("{prefix}/{name}"),
    };
    let rooted = joined.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for part in joined.split('/') {
        match part {
            "" | "." => {}
            ".." if parts.last().is_some_and(|last| *last != "..") => {
                parts.pop();
            }
            ".." if rooted => {}
            part => parts.push(part),
        }
    }
    let body = parts.join("/");
    match (rooted, body.is_empty()) {
        (true, _) => format!("/{body}"),
        (false, true) => ".".to_owned(),
        (false, false) => body,
    }
}

/// Whether `prefix + name` is already what `path.Join` gives: the common case, checked
/// without allocating.
fn is_clean(prefix: &str, name: &str) -> bool {
    prefix.ends_with('/')
        && !prefix.starts_with('/')
        && !name.is_empty()
        && !name.ends_with('/')
        && prefix[..prefix.len() - 1]
            .split('/')
            .chain(name.split('/'))
            .all(|part| !matches!(part, "" | "." | ".."))
}

#[cfg(test)]
mod tests {
    use super::join;

    #[test]
    fn join_is_go_path_join() {
        // Expectations from Go's path.Join.
        for (prefix, name, want) in [
            (
                "config/vpp/v2/route/",
                "vrf/0/dst/10.0.0.0/8/",
                "config/vpp/v2/route/vrf/0/dst/10.0.0.0/8",
            ),
            (
                "config/vpp/v2/interfaces/",
                "tap1",
                "config/vpp/v2/interfaces/tap1",
            ),
            ("a/b/", "c//d/./e/../f", "a/b/c/d/f"),
            ("a/", "../../..", "../.."),
            ("/a", "../..", "/"),
            ("a/", "", "a"),
            ("a/", ".", "a"),
        ] {
            assert_eq!(join(prefix, name), want, "{prefix} + {name}");
        }
    }
}
