//! Names: Rust names as prost-build makes them, Go names as protoc-gen-go makes them.

/// `ligato.vpp.l2` → `ligato::vpp::l2`, as prost-build names package modules.
pub(super) fn module_path(package: &str) -> String {
    package.split('.').map(snake).collect::<Vec<_>>().join("::")
}

/// Type names: UpperCamelCase (`FIBEntry` → `FibEntry`), with prost-build's (heck's) rules.
pub(super) fn upper_camel(name: &str) -> String {
    escape(heck::ToUpperCamelCase::to_upper_camel_case(name))
}

/// Module and field names: snake_case, keywords escaped as prost-build does.
pub(super) fn snake(name: &str) -> String {
    escape(heck::ToSnakeCase::to_snake_case(name))
}

/// Rust keywords become raw identifiers; the four that cannot be raw get a `_` suffix.
fn escape(ident: String) -> String {
    const KEYWORDS: &[&str] = &[
        "abstract", "as", "async", "await", "become", "box", "break", "const", "continue", "do",
        "dyn", "else", "enum", "false", "final", "fn", "for", "gen", "if", "impl", "in", "let",
        "loop", "macro", "match", "mod", "move", "mut", "override", "priv", "pub", "ref", "return",
        "static", "struct", "trait", "true", "try", "type", "typeof", "unsafe", "unsized", "use",
        "virtual", "where", "while", "yield",
    ];
    match ident.as_str() {
        "self" | "super" | "extern" | "crate" | "Self" => ident + "_",
        _ if KEYWORDS.contains(&ident.as_str()) => format!("r#{ident}"),
        _ => ident,
    }
}

/// The Go struct field name protoc-gen-go makes (`phys_address` → `PhysAddress`,
/// `ip6_nd` → `Ip6Nd`, `l3_protocol` → `L3Protocol`): what upstream's templates write.
pub(super) fn go_camel(name: &str) -> String {
    let bytes = name.as_bytes();
    let mut out = String::with_capacity(name.len() + 1);
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        if c == b'_' && i == 0 {
            out.push('X');
        } else if c == b'_' && bytes.get(i + 1).is_some_and(u8::is_ascii_lowercase) {
            // Dropped: the next letter starts a word.
        } else if c.is_ascii_digit() {
            out.push(char::from(c));
        } else {
            out.push(char::from(c.to_ascii_uppercase()));
            while bytes.get(i + 1).is_some_and(u8::is_ascii_lowercase) {
                i += 1;
                out.push(char::from(bytes[i]));
            }
        }
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_names_follow_protoc_gen_go() {
        for (proto, go) in [
            ("phys_address", "PhysAddress"),
            ("ip6_nd", "Ip6Nd"),
            ("l3_protocol", "L3Protocol"),
            ("vrf_id", "VrfId"),
            ("name", "Name"),
            ("wg_if_name", "WgIfName"),
            ("_hidden", "XHidden"),
        ] {
            assert_eq!(go_camel(proto), go, "{proto}");
        }
    }

    #[test]
    fn rust_names_follow_prost_build() {
        assert_eq!(snake("type"), "r#type");
        assert_eq!(snake("self"), "self_");
        assert_eq!(upper_camel("FIBEntry"), "FibEntry");
        assert_eq!(module_path("ligato.vpp.l2"), "ligato::vpp::l2");
    }
}
