//! Reducing a set of watched prefixes.

/// The prefixes without duplicates and without those inside another one, shortest first.
///
/// A key then matches at most one of the prefixes, so a watch that subscribes once per
/// prefix reports each change once.
///
/// ```
/// use cninfra_kv::watch::minimal_prefixes;
///
/// assert_eq!(minimal_prefixes(&["a/b/", "a/", "c", "a/"]), ["c", "a/"]);
/// assert_eq!(minimal_prefixes(&["x", ""]), [""]);
/// ```
pub fn minimal_prefixes(prefixes: &[&str]) -> Vec<String> {
    let mut sorted: Vec<&str> = prefixes.to_vec();
    sorted.sort_by_key(|p| p.len());
    let mut kept: Vec<String> = Vec::new();
    for prefix in sorted {
        if !kept.iter().any(|k| prefix.starts_with(k.as_str())) {
            kept.push(prefix.to_owned());
        }
    }
    kept
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nested_and_repeated_prefixes_are_merged() {
        assert_eq!(minimal_prefixes(&["a/b/", "a/", "c", "a/"]), ["c", "a/"]);
        assert_eq!(minimal_prefixes(&["x", ""]), [""]);
        assert_eq!(minimal_prefixes(&["ab", "a/"]), ["ab", "a/"]);
        assert!(minimal_prefixes(&[]).is_empty());
    }
}
