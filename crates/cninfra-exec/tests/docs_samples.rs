//! The samples of `docs/exec.md` parse and pass the checks.

use std::path::Path;

use cninfra_exec::{ManagerConfig, SupervisorConfig, Template};

/// The fenced blocks of `lang` in the guide.
fn blocks(lang: &str) -> Vec<String> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/exec.md");
    let text = std::fs::read_to_string(path).expect("docs/exec.md");
    let mut found = Vec::new();
    let mut current: Option<String> = None;
    for line in text.lines() {
        match &mut current {
            None if line.trim() == format!("```{lang}") => current = Some(String::new()),
            Some(block) if line.trim() == "```" => {
                found.push(std::mem::take(block));
                current = None;
            }
            Some(block) => {
                block.push_str(line);
                block.push('\n');
            }
            None => {}
        }
    }
    found
}

#[test]
fn the_template_sample_parses_into_options() {
    let json = blocks("json");
    assert_eq!(json.len(), 1);
    let template: Template =
        cninfra_core::config::parse_str(&json[0], Path::new("web.json")).unwrap();
    let options = template.to_options("web.json").unwrap();
    assert_eq!(options.args, ["-m", "http.server", "8000"]);
    assert_eq!(options.restart_policy.burst_limit, 3);
}

#[test]
fn the_yaml_samples_parse() {
    let yaml = blocks("yaml");
    let supervisor = yaml
        .iter()
        .find(|block| block.starts_with("programs:"))
        .expect("the supervisor sample");
    let config: SupervisorConfig =
        cninfra_core::config::parse_str(supervisor, Path::new("supervisor.conf")).unwrap();
    assert_eq!(config.programs.len(), 2);
    assert_eq!(config.hooks[0].program_name, "vpp");
    let pm = yaml
        .iter()
        .find(|block| block.starts_with("template-path:"))
        .expect("the process-manager sample");
    let config: ManagerConfig =
        cninfra_core::config::parse_str(pm, Path::new("process-manager.conf")).unwrap();
    assert_eq!(config.template_path, "/etc/agent/templates");
    let policy = yaml
        .iter()
        .find(|block| block.starts_with("restart-policy:"))
        .expect("the restart policy sample");
    let wrapped: serde_yaml_ng::Value = serde_yaml_ng::from_str(policy).unwrap();
    let policy: cninfra_exec::RestartPolicy =
        serde_yaml_ng::from_value(wrapped["restart-policy"].clone()).unwrap();
    assert_eq!(policy, cninfra_exec::RestartPolicy::default());
}
