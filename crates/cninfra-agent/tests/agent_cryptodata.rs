//! Encrypted values against the real etcd, with an independent implementation on the other
//! side (Python's `cryptography` package, RSA-OAEP with SHA-256): values it encrypts and
//! etcdctl writes reach the agent decrypted (JSON items and a VPP interface's memif
//! secret), a value no key decrypts is an error naming its key while the rest of the
//! resync goes on; and what the agent's `encrypt` subcommand writes, Python decrypts.

mod support;

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::json;
use support::crypto::{make_keys, py_decrypt, py_encrypt};
use support::{AGENT, AgentProcess, harness_server};

const ITEMS: &str = "/example/v1/items";

fn etcdctl_put(endpoint: &str, key: &str, value: &str) {
    let output = Command::new("etcdctl")
        .env("ETCDCTL_API", "3")
        .arg(format!("--endpoints={endpoint}"))
        .args(["put", key, value])
        .output()
        .expect("etcdctl runs (Debian package etcd-client)");
    assert!(
        output.status.success(),
        "etcdctl put failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

fn unique_label(test: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("{test}-{}-{nanos}", std::process::id())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn values_python_encrypted_and_etcdctl_wrote_reach_the_agent_decrypted() {
    let endpoint = harness_server("CNINFRA_TEST_ETCD");
    let label = unique_label("crypto");
    let dir = tempfile::tempdir().unwrap();
    make_keys(dir.path(), 3);
    // Two keys in one file (each tried); key2 is nobody's.
    let both = format!(
        "{}{}",
        std::fs::read_to_string(dir.path().join("key0.pem")).unwrap(),
        std::fs::read_to_string(dir.path().join("key1.pem")).unwrap()
    );
    let keys = dir.path().join("keys.pem");
    std::fs::write(&keys, both).unwrap();
    let item = |name: &str| format!("/vnf-agent/{label}/config/example/v1/items/{name}");

    let good = py_encrypt(&dir.path().join("key1.pub.pem"), "desc s3cret one");
    let foreign = py_encrypt(&dir.path().join("key2.pub.pem"), "nobody's");
    let good_value =
        json!({"encrypted": true, "kind": "k", "description": format!("$crypto${good}")});
    let bad_value =
        json!({"encrypted": true, "kind": "k", "description": format!("$crypto${foreign}")});
    etcdctl_put(&endpoint, &item("good"), &good_value.to_string());
    etcdctl_put(&endpoint, &item("bad"), &bad_value.to_string());
    etcdctl_put(&endpoint, &item("plain"), r#"{"kind":"p"}"#);

    let etcd_conf = dir.path().join("etcd.conf");
    std::fs::write(&etcd_conf, format!("endpoints: [{endpoint}]\n")).unwrap();
    let crypto_conf = dir.path().join("cryptodata.conf");
    std::fs::write(
        &crypto_conf,
        format!("private-key-files: [{}]\n", keys.display()),
    )
    .unwrap();
    let mut agent = AgentProcess::spawn(
        &[
            "--etcd-config",
            &etcd_conf.display().to_string(),
            "--cryptodata-config",
            &crypto_conf.display().to_string(),
        ],
        &[("MICROSERVICE_LABEL", &label)],
    );
    agent.wait_ready().await;

    // The resync: the good item decrypted (its marker gone, the strict model took it), the
    // plain one as it is, the bad one left out and reported by its key.
    let items = agent
        .wait_json("the decrypted item", ITEMS, |v| {
            v["good"]["description"] == "desc s3cret one" && v["plain"]["kind"] == "p"
        })
        .await;
    assert!(items.get("bad").is_none(), "{items}");
    support::eventually("the bad key reported", Duration::from_secs(20), || {
        let output = agent.output();
        async move { output.contains(&item("bad")) || output.contains("items/bad") }
    })
    .await;
    let output = agent.output();
    assert!(output.contains("cannot decode"), "{output}");
    assert!(
        !output.contains(&foreign) && !output.contains(&good),
        "{output}"
    );
    assert!(!output.contains("desc s3cret one"), "{output}");

    // A watch event, encrypted for the other key of the file.
    let later = py_encrypt(&dir.path().join("key0.pub.pem"), "later s3cret");
    etcdctl_put(
        &endpoint,
        &item("later"),
        &json!({"encrypted": true, "kind": "k", "description": format!("$crypto${later}")})
            .to_string(),
    );
    agent
        .wait_json("the item put later", ITEMS, |v| {
            v["later"]["description"] == "later s3cret"
        })
        .await;

    // A protobuf field (a memif secret: base64url without prefix, no marker) reaches the
    // KVScheduler decrypted and shows redacted in its debug view.
    let memif = py_encrypt(&dir.path().join("key0.pub.pem"), "memif s3cret");
    let interface = format!("/vnf-agent/{label}/config/vpp/v2/interfaces/memif1");
    etcdctl_put(
        &endpoint,
        &interface,
        &json!({"name": "memif1", "type": "MEMIF", "enabled": true,
                "memif": {"master": true, "secret": memif}})
        .to_string(),
    );
    let dump = agent
        .wait_json(
            "the memif interface in the scheduler",
            "/scheduler/dump?key-prefix=config/vpp/v2/interfaces/&view=cached",
            |v| {
                v.as_array().is_some_and(|kvs| {
                    kvs.iter()
                        .any(|kv| kv["value"]["memif"]["secret"] == "<redacted>")
                })
            },
        )
        .await;
    assert!(!dump.to_string().contains(&memif), "{dump}");
    let config = agent.get_json("/v1/config").await;
    assert!(
        config.to_string().contains("memif s3cret"),
        "the generic API gives the decrypted value: {config}"
    );
    assert!(!agent.output().contains("memif s3cret"));
    agent.stop();
}

/// What `cninfra-agent encrypt` writes, Python decrypts: the JSON form (`$crypto$`), the
/// protobuf form (`--field`) and a value read from standard input.
#[test]
fn the_encrypt_subcommand_writes_what_python_decrypts() {
    let dir = tempfile::tempdir().unwrap();
    make_keys(dir.path(), 1);
    let public = dir.path().join("key0.pub.pem");
    let private = dir.path().join("key0.pem");
    let run = |args: &[&str], stdin: Option<&str>| {
        let mut child = Command::new(AGENT)
            .arg("encrypt")
            .arg("--public-key")
            .arg(&public)
            .args(args)
            .env_clear()
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut input = child.stdin.take().unwrap();
        if let Some(text) = stdin {
            input.write_all(text.as_bytes()).unwrap();
        }
        drop(input);
        let output = child.wait_with_output().unwrap();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).unwrap().trim().to_owned()
    };

    let json_form = run(&["pässword 1"], None);
    let encoded = json_form
        .strip_prefix("$crypto$")
        .unwrap_or_else(|| panic!("no prefix: {json_form}"));
    assert_eq!(py_decrypt(&private, encoded), "pässword 1");

    let field_form = run(&["--field", "field value"], None);
    assert!(!field_form.starts_with('$'));
    assert_eq!(py_decrypt(&private, &field_form), "field value");

    let from_stdin = run(&[], Some("from stdin\n"));
    assert_eq!(
        py_decrypt(&private, from_stdin.strip_prefix("$crypto$").unwrap()),
        "from stdin"
    );
}
