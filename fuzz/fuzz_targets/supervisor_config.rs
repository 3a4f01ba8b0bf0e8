//! The supervisor config (`supervisor.conf`) and the process manager's template files: any
//! text parsed as the agent reads them (YAML and JSON, lenient), then checked as the
//! supervisor and the manager check them before starting anything: CPU masks and lists,
//! durations, restart policies. Nothing may panic.

#![no_main]

use std::path::Path;

use cninfra_core::config::{parse_lenient, parse_str};
use cninfra_exec::{CpuAffinity, SupervisorConfig, Template};
use libfuzzer_sys::fuzz_target;

fn supervisor(text: &str, path: &Path) {
    let Ok(parsed) = parse_lenient::<SupervisorConfig>(text, path) else {
        return;
    };
    let config = parsed.value;
    for program in &config.programs {
        let _ = CpuAffinity::from_config(
            &program.cpu_affinity_mask,
            &program.cpu_affinity_list,
            program.cpu_affinity_setup_delay,
        )
        .map(|affinity| affinity.map(|a| a.to_list()));
    }
    if !config.sv_cpu_affinity_mask.trim().is_empty() {
        let _ = CpuAffinity::from_mask(&config.sv_cpu_affinity_mask);
    }
}

fn template(text: &str, path: &Path) {
    if let Ok(template) = parse_str::<Template>(text, path) {
        let _ = template.to_options("fuzz.json");
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    supervisor(text, Path::new("/etc/agent/supervisor.conf"));
    supervisor(text, Path::new("/etc/agent/supervisor.json"));
    template(text, Path::new("/var/agent/templates/p.json"));
    template(text, Path::new("/var/agent/templates/p.yaml"));
    // CPU lists and masks on their own, as the text of one field.
    let _ = CpuAffinity::from_list(text);
    let _ = CpuAffinity::from_mask(text);
});
