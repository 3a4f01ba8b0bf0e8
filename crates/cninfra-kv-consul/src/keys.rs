//! Key mapping between the broker API and Consul: a leading `/` is dropped on the way in
//! (Consul keys do not start with one) and put back on keys coming out when the key or
//! prefix asked for had it, as upstream does; keys are percent-encoded in URL paths.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

/// Bytes escaped in a key's URL path: everything but unreserved characters and `/`.
const PATH: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~')
    .remove(b'/');

/// The Consul key of a broker key or prefix.
pub(crate) fn to_consul(key: &str) -> &str {
    key.strip_prefix('/').unwrap_or(key)
}

/// The broker key of a Consul key returned for a request about `asked`.
pub(crate) fn from_consul(consul_key: String, asked: &str) -> String {
    if asked.starts_with('/') {
        format!("/{consul_key}")
    } else {
        consul_key
    }
}

/// `key` as a URL path segment.
pub(crate) fn encode(key: &str) -> String {
    utf8_percent_encode(key, PATH).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_leading_slash_goes_out_and_comes_back() {
        assert_eq!(to_consul("/vnf-agent/a"), "vnf-agent/a");
        assert_eq!(to_consul("plain/a"), "plain/a");
        assert_eq!(
            from_consul("vnf-agent/a".into(), "/vnf-agent/"),
            "/vnf-agent/a"
        );
        assert_eq!(from_consul("plain/a".into(), "plain/"), "plain/a");
    }

    #[test]
    fn keys_are_percent_encoded_except_slashes() {
        assert_eq!(encode("a/b c?d#e%f"), "a/b%20c%3Fd%23e%25f");
        assert_eq!(encode("ünï"), "%C3%BCn%C3%AF");
        assert_eq!(encode("a-b_c.d~e"), "a-b_c.d~e");
    }
}
