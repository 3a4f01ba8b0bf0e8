//! The graph layout of the page (`web/layout.js`) checked in node by `tests/layout.mjs`:
//! dependencies left of what needs them, derived values right of their base, ghosts for
//! missing dependencies, neighbourhoods, cycles, escaping. Without node the test skips
//! with the reason, and fails under CI (`CI` set).

use std::path::Path;
use std::process::Command;

#[test]
fn the_layout_puts_dependencies_left_and_derived_values_right() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = match Command::new("node")
        .arg(dir.join("tests/layout.mjs"))
        .output()
    {
        Ok(out) => out,
        Err(err) if std::env::var_os("CI").is_some() => panic!("cannot run node under CI: {err}"),
        Err(err) => {
            eprintln!("skipping the layout test: cannot run node ({err})");
            return;
        }
    };
    assert!(
        out.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
