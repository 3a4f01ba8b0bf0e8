//! What marks the kernel objects the agent owns: the link alias (upstream's mark) and the
//! routing protocol number of its routes (cninfra's).

use cninfra_netlink::RouteProtocol;

/// The marks of the agent's kernel objects.
///
/// - Links the agent creates carry the alias `<prefix><name>` (a VETH end
///   `<prefix><name>/<peer>`), upstream's `IFLA_IFALIAS` mark with upstream's prefix, the
///   agent's `/vnf-agent/<label>/`. Links without it are never deleted.
/// - Routes the agent adds carry the protocol number [`route_protocol`](Self::route_protocol)
///   (`rtm_protocol`, default [`RouteProtocol::CNINFRA`]); routes with another protocol are
///   never deleted unless NB names them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ownership {
    alias_prefix: String,
    route_protocol: RouteProtocol,
}

impl Ownership {
    /// Marks with this alias prefix and route protocol number.
    pub fn new(alias_prefix: impl Into<String>, route_protocol: RouteProtocol) -> Self {
        Self {
            alias_prefix: alias_prefix.into(),
            route_protocol,
        }
    }

    /// The alias prefix.
    pub fn alias_prefix(&self) -> &str {
        &self.alias_prefix
    }

    /// The protocol number of the agent's routes.
    pub fn route_protocol(&self) -> RouteProtocol {
        self.route_protocol
    }

    /// The alias of the link of interface `name` (with the VETH peer's name, if any).
    pub fn alias(&self, name: &str, peer: Option<&str>) -> String {
        match peer {
            Some(peer) => format!("{}{name}/{peer}", self.alias_prefix),
            None => format!("{}{name}", self.alias_prefix),
        }
    }

    /// The logical name and VETH peer an alias carries, if it is the agent's.
    pub fn parse_alias<'a>(&self, alias: &'a str) -> Option<(&'a str, Option<&'a str>)> {
        let rest = alias.strip_prefix(&self.alias_prefix)?;
        let (name, peer) = match rest.split_once('/') {
            Some((name, peer)) => (name, Some(peer)),
            None => (rest, None),
        };
        (!name.is_empty()).then_some((name, peer))
    }

    /// Whether a link with this alias is the agent's.
    pub fn owns_alias(&self, alias: Option<&str>) -> bool {
        alias.is_some_and(|alias| self.parse_alias(alias).is_some())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aliases_round_trip() {
        let owner = Ownership::new("/vnf-agent/linux1/", RouteProtocol::CNINFRA);
        let alias = owner.alias("veth1", Some("veth2"));
        assert_eq!(alias, "/vnf-agent/linux1/veth1/veth2");
        assert_eq!(owner.parse_alias(&alias), Some(("veth1", Some("veth2"))));
        assert_eq!(
            owner.parse_alias(&owner.alias("d0", None)),
            Some(("d0", None))
        );
        assert_eq!(owner.parse_alias("/vnf-agent/other/veth1"), None);
        assert!(!owner.owns_alias(None));
        assert!(!owner.owns_alias(Some("/vnf-agent/linux1/")));
    }
}
