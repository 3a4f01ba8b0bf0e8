//! Name-template throughput: keys of 100k L2 FIB entries and 100k Linux routes rendered
//! from `DynamicMessage`s with upstream's templates.
//!
//! Run with `cargo bench -p cninfra-models --bench name_templates`.

#[path = "../tests/support/mod.rs"]
mod support;

use std::hint::black_box;
use std::time::{Duration, Instant};

use cninfra_models::template::NameTemplate;
use prost_reflect::DynamicMessage;
use serde_json::json;

const N: usize = 100_000;
const ROUNDS: usize = 5;

fn main() {
    let fibs: Vec<DynamicMessage> = (0..N)
        .map(|i| {
            support::message(
                "ligato.vpp.l2.FIBEntry",
                json!({
                    "physAddress": format!("62:89:c6:{:02x}:{:02x}:{:02x}", i >> 16 & 0xff, i >> 8 & 0xff, i & 0xff),
                    "bridgeDomain": format!("bd{}", i % 16),
                    "outgoingInterface": format!("tap{}", i % 64),
                    "action": "FORWARD",
                    "staticConfig": true,
                }),
            )
        })
        .collect();
    let routes: Vec<DynamicMessage> = (0..N)
        .map(|i| {
            let dst = match i % 10 {
                // A netalloc reference now and then, as in upstream's test.
                0 => format!("alloc:net{}/memif{}", i % 7, i % 3),
                9 => format!("fd00:{:x}::{:x}/64", i >> 8, i & 0xff),
                _ => format!("10.{}.{}.{}/24", i >> 16 & 0xff, i >> 8 & 0xff, i & 0xff),
            };
            support::message(
                "ligato.linux.l3.Route",
                json!({
                    "outgoingInterface": format!("veth{}", i % 32),
                    "dstNetwork": dst,
                    "gwAddr": "10.0.0.1",
                    "scope": "GLOBAL",
                    "metric": i % 100,
                }),
            )
        })
        .collect();

    bench(
        "L2 FIB",
        "config/vpp/l2/v2/fib/",
        "{{.BridgeDomain}}/mac/{{.PhysAddress}}",
        &fibs,
    );
    bench(
        "Linux route",
        "config/linux/l3/v2/route/",
        r#"{{with ipnet .DstNetwork}}{{printf "%s/%d" .IP .MaskSize}}{{else}}{{.DstNetwork}}{{end}}/{{.OutgoingInterface}}"#,
        &routes,
    );
}

/// Renders every message's name with `render` (a new `String` each), and its whole key with
/// `render_to` into one reused buffer; prints the best of a few rounds.
fn bench(what: &str, prefix: &str, template: &str, messages: &[DynamicMessage]) {
    let template = NameTemplate::parse(template).expect("template parses");
    let mut best_render = Duration::MAX;
    let mut best_render_to = Duration::MAX;
    let mut key = String::with_capacity(128);
    for _ in 0..ROUNDS {
        let start = Instant::now();
        for m in messages {
            black_box(template.render(m).expect("renders"));
        }
        best_render = best_render.min(start.elapsed());

        let start = Instant::now();
        for m in messages {
            key.clear();
            key.push_str(prefix);
            template.render_to(m, &mut key).expect("renders");
            black_box(&key);
        }
        best_render_to = best_render_to.min(start.elapsed());
    }
    let rate = |d: Duration| messages.len() as f64 / d.as_secs_f64();
    println!(
        "{what:12} {} keys: render {:>8.2?} ({:>10.0} keys/s), render_to {:>8.2?} ({:>10.0} keys/s)",
        messages.len(),
        best_render,
        rate(best_render),
        best_render_to,
        rate(best_render_to),
    );
    let sample = template.render(&messages[1]).expect("renders");
    println!("{:12} e.g. {prefix}{sample}", "");
}
