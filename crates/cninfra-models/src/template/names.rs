//! Field names as templates write them: protoc-gen-go's Go names, and protoc's JSON names,
//! compared against `.proto` names without building the converted name.

/// protoc-gen-go's `GoCamelCase` of a `.proto` name, byte by byte: a letter starting a word
/// is upper-cased (words start after `_`, at digits and at capitals), a `_` before a lower-case
/// letter is dropped, a leading `_` becomes `X` (`phys_address` → `PhysAddress`,
/// `l3_protocol` → `L3Protocol`, `ipv4address` → `Ipv4Address`).
struct GoCamel<'a> {
    s: &'a [u8],
    i: usize,
    /// Inside a word: lower-case letters are kept as they are.
    in_word: bool,
}

impl Iterator for GoCamel<'_> {
    type Item = u8;

    fn next(&mut self) -> Option<u8> {
        loop {
            let c = *self.s.get(self.i)?;
            let next_is_lower = self.s.get(self.i + 1).is_some_and(u8::is_ascii_lowercase);
            self.i += 1;
            if self.in_word {
                if c.is_ascii_lowercase() {
                    return Some(c);
                }
                self.in_word = false;
            }
            match c {
                b'.' if next_is_lower => {}
                b'.' => return Some(b'_'),
                b'_' if self.i == 1 || self.s[self.i - 2] == b'.' => return Some(b'X'),
                b'_' if next_is_lower => {}
                b'0'..=b'9' => return Some(c),
                _ => {
                    self.in_word = true;
                    return Some(c.to_ascii_uppercase());
                }
            }
        }
    }
}

/// Whether `go_name` is the Go name protoc-gen-go gives the field `proto_name`.
pub(super) fn is_go_name(proto_name: &str, go_name: &str) -> bool {
    let camel = GoCamel {
        s: proto_name.as_bytes(),
        i: 0,
        in_word: false,
    };
    camel.eq(go_name.bytes())
}

/// Whether `json_name` is protoc's JSON name of `proto_name`: each `_` dropped and the
/// character after it upper-cased (`phys_address` → `physAddress`).
pub(super) fn is_json_name(proto_name: &str, json_name: &str) -> bool {
    let mut upper_next = false;
    let camel = proto_name.bytes().filter_map(|c| {
        if c == b'_' {
            upper_next = true;
            return None;
        }
        let c = if upper_next {
            c.to_ascii_uppercase()
        } else {
            c
        };
        upper_next = false;
        Some(c)
    });
    camel.eq(json_name.bytes())
}

/// Whether a template's `wanted` name names the key `key` of a JSON object, whose keys
/// may be `.proto` names or JSON names: equal, or the Go name or JSON name of one another.
pub(super) fn names_match(key: &str, wanted: &str) -> bool {
    key == wanted
        || is_go_name(key, wanted)
        || is_json_name(key, wanted)
        || is_json_name(wanted, key)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn go_camel(s: &str) -> String {
        let bytes: Vec<u8> = GoCamel {
            s: s.as_bytes(),
            i: 0,
            in_word: false,
        }
        .collect();
        String::from_utf8(bytes).unwrap()
    }

    #[test]
    fn go_names_as_protoc_gen_go() {
        // Expectations from protoc-gen-go's strs.GoCamelCase and vpp-agent's generated code.
        for (proto, go) in [
            ("phys_address", "PhysAddress"),
            ("l3_protocol", "L3Protocol"),
            ("vrf_id", "VrfId"),
            ("ip6_nd", "Ip6Nd"),
            ("ipv4address", "Ipv4Address"),
            ("wg_if_name", "WgIfName"),
            ("vr_id", "VrId"),
            ("first_ip", "FirstIp"),
            ("is_l2", "IsL2"),
            ("name", "Name"),
            ("_leading", "XLeading"),
            ("a__b", "A_B"),
            ("a_1", "A_1"),
            ("camelCase", "CamelCase"),
            ("ABC", "ABC"),
            ("x_Y", "X_Y"),
        ] {
            assert_eq!(go_camel(proto), go, "{proto}");
            assert!(is_go_name(proto, go));
        }
        assert!(!is_go_name("phys_address", "Phys"));
        assert!(!is_go_name("phys", "PhysAddress"));
    }

    #[test]
    fn json_names_as_protoc() {
        assert!(is_json_name("phys_address", "physAddress"));
        assert!(is_json_name("l3_protocol", "l3Protocol"));
        assert!(is_json_name("name", "name"));
        assert!(!is_json_name("phys_address", "PhysAddress"));
    }

    #[test]
    fn json_keys_match_every_spelling() {
        for key in ["phys_address", "physAddress"] {
            for wanted in ["PhysAddress", "phys_address", "physAddress"] {
                assert!(names_match(key, wanted), "{key} {wanted}");
            }
        }
        assert!(!names_match("phys_address", "BridgeDomain"));
    }
}
