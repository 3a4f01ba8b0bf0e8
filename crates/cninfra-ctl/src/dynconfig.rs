//! agentctl's dynamic config: values grouped by module and model, built from the models
//! the agent reports (`client/dynamic_config.go` upstream):
//!
//! ```yaml
//! vppConfig:
//!   interfaces:
//!   - name: tap1
//!     type: TAP
//!   bridgeDomains:
//!   - name: bd1
//! ```
//!
//! One group per first part of the module (`vpp.l2` → `vppConfig`), one field per model:
//! upstream's legacy names for its known messages (`interfaces`, `bridgeDomains`,
//! `fibs`, ...), `<Message>_list` for the others; a list, or one value for a model
//! without name template (a singleton). Names are written lowerCamel, as `protojson`
//! does, and read in either form.

use std::collections::BTreeMap;

use anyhow::{Context as _, anyhow, bail};
use cninfra_models::ModelInfo;
use serde_json::Value;

/// Upstream's field names of its models in `configurator.Config` (proto name → name).
const LEGACY_NAMES: &[(&str, &str)] = &[
    ("ligato.vpp.interfaces.Interface", "interfaces"),
    ("ligato.vpp.l2.BridgeDomain", "bridge_domains"),
    ("ligato.vpp.l2.FIBEntry", "fibs"),
    ("ligato.vpp.l2.XConnectPair", "xconnect_pairs"),
    ("ligato.vpp.l3.Route", "routes"),
    ("ligato.vpp.l3.ARPEntry", "arps"),
    ("ligato.vpp.l3.ProxyARP", "proxy_arp"),
    ("ligato.vpp.l3.IPScanNeighbor", "ipscan_neighbor"),
    ("ligato.vpp.l3.VrfTable", "vrfs"),
    ("ligato.vpp.l3.DHCPProxy", "dhcp_proxies"),
    ("ligato.vpp.l3.L3XConnect", "l3xconnects"),
    ("ligato.vpp.acl.ACL", "acls"),
    ("ligato.vpp.abf.ABF", "abfs"),
    ("ligato.vpp.nat.Nat44Global", "nat44_global"),
    ("ligato.vpp.nat.DNat44", "dnat44s"),
    ("ligato.vpp.nat.Nat44Interface", "nat44_interfaces"),
    ("ligato.vpp.nat.Nat44AddressPool", "nat44_pools"),
    ("ligato.vpp.ipsec.SecurityPolicyDatabase", "ipsec_spds"),
    ("ligato.vpp.ipsec.SecurityAssociation", "ipsec_sas"),
    (
        "ligato.vpp.ipsec.TunnelProtection",
        "ipsec_tunnel_protections",
    ),
    ("ligato.vpp.punt.IPRedirect", "punt_ipredirects"),
    ("ligato.vpp.punt.ToHost", "punt_tohosts"),
    ("ligato.vpp.punt.Exception", "punt_exceptions"),
    ("ligato.vpp.stn.Rule", "stns"),
    ("ligato.vpp.span.Span", "spans"),
    ("ligato.linux.interfaces.Interface", "interfaces"),
    ("ligato.linux.l3.ARPEntry", "arp_entries"),
    ("ligato.linux.l3.Route", "routes"),
    ("ligato.netalloc.IPAllocation", "ip_addresses"),
];

/// `bridge_domains` → `bridgeDomains` (protojson's JSON names).
fn lower_camel(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut upper = false;
    for c in name.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

/// Where one model's values go.
#[derive(Debug, Clone)]
struct Slot {
    group: String,
    field: String,
    model: String,
    singleton: bool,
}

/// The layout of the agent's config models.
#[derive(Debug)]
pub(crate) struct Layout {
    slots: Vec<Slot>,
}

impl Layout {
    /// The layout of the `config` models among `infos`.
    pub(crate) fn new(infos: &[ModelInfo]) -> Self {
        let slots = infos
            .iter()
            .filter(|info| info.spec.class == "config")
            .map(|info| {
                let module = info.spec.module.split('.').next().unwrap_or_default();
                let simple = info
                    .proto_name
                    .rsplit(['.', ':'])
                    .next()
                    .unwrap_or_default();
                let field = LEGACY_NAMES
                    .iter()
                    .find(|(proto, _)| *proto == info.proto_name)
                    .map_or_else(|| format!("{simple}_list"), |(_, name)| (*name).to_owned());
                Slot {
                    group: lower_camel(&format!("{module}_config")),
                    field: lower_camel(&field),
                    model: info.name.clone(),
                    singleton: info.name_template.is_none(),
                }
            })
            .collect();
        Self { slots }
    }

    fn slot_of_model(&self, model: &str) -> Option<&Slot> {
        self.slots.iter().find(|s| s.model == model)
    }

    /// The document of `values` (model name, proto3 JSON), grouped.
    pub(crate) fn group<'a>(
        &self,
        values: impl IntoIterator<Item = (&'a str, Value)>,
    ) -> anyhow::Result<Value> {
        let mut groups: BTreeMap<String, BTreeMap<String, Value>> = BTreeMap::new();
        for (model, value) in values {
            let slot = self.slot_of_model(model).ok_or_else(|| {
                anyhow!("the agent reported a value of the unknown model `{model}`")
            })?;
            let fields = groups.entry(slot.group.clone()).or_default();
            if slot.singleton {
                fields.insert(slot.field.clone(), value);
            } else if let Value::Array(list) = fields
                .entry(slot.field.clone())
                .or_insert_with(|| Value::Array(Vec::new()))
            {
                list.push(value);
            }
        }
        Ok(Value::Object(
            groups
                .into_iter()
                .map(|(group, fields)| (group, Value::Object(fields.into_iter().collect())))
                .collect(),
        ))
    }

    /// The values (model name, proto3 JSON) of a document.
    ///
    /// # Errors
    /// A group or field the agent's models do not have (naming the known ones), or a
    /// field whose value is not a list (an object for a singleton).
    pub(crate) fn parse(&self, doc: Value) -> anyhow::Result<Vec<(String, Value)>> {
        let Value::Object(groups) = doc else {
            bail!("the config must be a map of groups (`vppConfig: ...`)");
        };
        let mut out = Vec::new();
        for (group, fields) in groups {
            let group_name = lower_camel(&group);
            let slots: Vec<&Slot> = self
                .slots
                .iter()
                .filter(|s| s.group == group_name)
                .collect();
            if slots.is_empty() {
                bail!(
                    "unknown group `{group}`; the agent's groups: {}",
                    self.group_names().join(", ")
                );
            }
            let Value::Object(fields) = fields else {
                bail!("`{group}` must be a map of fields");
            };
            for (field, values) in fields {
                let slot = slots
                    .iter()
                    .find(|s| s.field == lower_camel(&field))
                    .ok_or_else(|| {
                        let known: Vec<&str> = slots.iter().map(|s| s.field.as_str()).collect();
                        anyhow!(
                            "`{group}`: unknown field `{field}`; known: {}",
                            known.join(", ")
                        )
                    })?;
                match (slot.singleton, values) {
                    (true, value @ Value::Object(_)) => out.push((slot.model.clone(), value)),
                    (false, Value::Array(list)) => {
                        out.extend(list.into_iter().map(|v| (slot.model.clone(), v)));
                    }
                    (false, Value::Null) => {}
                    (singleton, _) => bail!(
                        "`{group}.{field}` must be {}",
                        if singleton {
                            "one value (a map)"
                        } else {
                            "a list"
                        }
                    ),
                }
            }
        }
        Ok(out)
    }

    fn group_names(&self) -> Vec<&str> {
        let mut names: Vec<&str> = self.slots.iter().map(|s| s.group.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        names
    }
}

/// Reads a config file (`-`: standard input) as YAML or JSON.
pub(crate) fn read(path: &std::path::Path) -> anyhow::Result<Value> {
    let text = if path.as_os_str() == "-" {
        std::io::read_to_string(std::io::stdin()).context("reading standard input")?
    } else {
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?
    };
    serde_yaml_ng::from_str(&text)
        .with_context(|| format!("{} is not YAML or JSON", path.display()))
}

#[cfg(test)]
mod tests {
    use cninfra_models::{ModelInfo, ModelSpec};
    use serde_json::json;

    use super::*;

    fn info(module: &str, kind: &str, proto: &str, template: Option<&str>) -> ModelInfo {
        let spec = ModelSpec::new(module, "v2", kind).unwrap();
        ModelInfo {
            name: spec.name(),
            key_prefix: spec.key_prefix(),
            spec,
            proto_name: proto.into(),
            name_template: template.map(Into::into),
        }
    }

    fn layout() -> Layout {
        Layout::new(&[
            info(
                "vpp",
                "interfaces",
                "ligato.vpp.interfaces.Interface",
                Some("{{.Name}}"),
            ),
            info(
                "vpp.l2",
                "bridge-domain",
                "ligato.vpp.l2.BridgeDomain",
                Some("{{.Name}}"),
            ),
            info("linux.l3", "route", "ligato.linux.l3.Route", Some("x")),
            info("acme", "widget", "acme.widgets.Widget", Some("{{.Name}}")),
            info("acme", "global", "acme.widgets.Global", None),
        ])
    }

    #[test]
    fn values_group_by_module_with_upstream_names() {
        let doc = layout()
            .group([
                ("vpp.interfaces", json!({"name": "tap1"})),
                ("vpp.l2.bridge-domain", json!({"name": "bd1"})),
                ("vpp.interfaces", json!({"name": "tap2"})),
                ("acme.widget", json!({"name": "w"})),
                ("acme.global", json!({"on": true})),
            ])
            .unwrap();
        assert_eq!(
            doc,
            json!({
                "vppConfig": {
                    "interfaces": [{"name": "tap1"}, {"name": "tap2"}],
                    "bridgeDomains": [{"name": "bd1"}],
                },
                "acmeConfig": {"WidgetList": [{"name": "w"}], "GlobalList": {"on": true}},
            })
        );
    }

    #[test]
    fn a_document_reads_back_in_either_name_form() {
        let values = layout()
            .parse(json!({
                "vpp_config": {"bridge_domains": [{"name": "bd1"}], "interfaces": [{"name": "tap1"}]},
                "linuxConfig": {"routes": [{"dst_network": "10.0.0.0/8"}]},
            }))
            .unwrap();
        let models: Vec<&str> = values.iter().map(|(m, _)| m.as_str()).collect();
        assert_eq!(
            models,
            ["linux.l3.route", "vpp.l2.bridge-domain", "vpp.interfaces"]
        );
    }

    #[test]
    fn unknown_groups_and_fields_are_named_with_the_known_ones() {
        let err = layout().parse(json!({"vppp": {}})).unwrap_err().to_string();
        assert_eq!(
            err,
            "unknown group `vppp`; the agent's groups: acmeConfig, linuxConfig, vppConfig"
        );
        let err = layout()
            .parse(json!({"vppConfig": {"interface": []}}))
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "`vppConfig`: unknown field `interface`; known: interfaces, bridgeDomains"
        );
        let err = layout()
            .parse(json!({"vppConfig": {"interfaces": {"name": "x"}}}))
            .unwrap_err()
            .to_string();
        assert_eq!(err, "`vppConfig.interfaces` must be a list");
    }
}
