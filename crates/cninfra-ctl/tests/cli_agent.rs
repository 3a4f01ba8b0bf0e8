//! `cninfra-ctl` (the built binary) against a running agent: every command, in table
//! and JSON form.

mod support;

use cninfra::kvscheduler::ValueState;
use support::*;

/// The seed's three values through `import` (etcd), then CONFIGURED in the agent.
async fn seeded(test: &str) -> (TestAgent, tempfile::TempDir) {
    let agent = TestAgent::start(test).await;
    let dir = tempfile::tempdir().unwrap();
    let lines = format!(
        "# the seed's configuration order\n{FIB_KEY} {FIB_JSON}\n\n{BD_KEY} {BD_JSON}\n{IF_KEY} {IF_JSON}\n"
    );
    let path = file(dir.path(), "seed.txt", &lines);
    let imported = agent
        .ctl(&["import", &path, "--txops", "2", "-f", "json"])
        .await;
    assert_eq!(
        imported.json(),
        serde_json::json!({"keys": 3, "transactions": 2})
    );
    agent.wait_state(FIB_KEY, ValueState::Configured).await;
    (agent, dir)
}

#[tokio::test]
async fn status_in_table_and_json() {
    let agent = TestAgent::start("ctl-status").await;
    cninfra_testsupport::eventually(
        "the agent ready",
        std::time::Duration::from_secs(5),
        || async { agent.ctl(&["status", "-f", "json"]).await.json()["ready"] == true },
    )
    .await;
    let ready = agent.ctl(&["status", "-f", "json"]).await.json();
    assert_eq!(ready["ready"], true, "{ready}");
    assert_eq!(ready["live"], true);
    let plugins: Vec<&str> = ready["plugins"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|p| p["name"].as_str())
        .collect();
    assert!(plugins.contains(&"orchestrator"), "{plugins:?}");

    let table = agent.ctl(&["status"]).await;
    let text = table.ok();
    assert!(text.starts_with("STATE"), "{text}");
    assert!(text.lines().nth(1).unwrap().starts_with("OK "), "{text}");
    assert!(
        text.contains("PLUGIN") && text.contains("orchestrator"),
        "{text}"
    );
    agent.stop().await;
}

#[tokio::test]
async fn values_show_model_name_state_and_fit_the_terminal() {
    let (agent, _dir) = seeded("ctl-values").await;
    let run = agent.ctl(&["values"]).await;
    let text = run.ok();
    let header = text.lines().next().unwrap();
    assert_eq!(
        header.split_whitespace().collect::<Vec<_>>(),
        ["MODEL", "NAME", "STATE", "DETAILS", "LAST", "OP", "ERROR"]
    );
    let fib = text
        .lines()
        .find(|l| l.starts_with("vpp.l2.fib"))
        .unwrap_or_else(|| panic!("a FIB row: {text}"));
    assert_eq!(
        fib.split_whitespace().collect::<Vec<_>>(),
        [
            "vpp.l2.fib",
            "bd1/mac/62:89:c6:a3:7e:3a",
            "CONFIGURED",
            "CREATE"
        ]
    );
    assert!(
        text.contains("↳ vpp/bd/bd1/interface/tap1"),
        "derived values shown: {text}"
    );

    // One model, as JSON.
    let values = agent
        .ctl(&["values", "vpp.interfaces", "-f", "json"])
        .await
        .json();
    let values = values.as_array().unwrap();
    assert_eq!(values.len(), 1, "{values:?}");
    assert_eq!(values[0]["model"], "vpp.interfaces");
    assert_eq!(values[0]["name"], "tap1");
    assert_eq!(values[0]["value"]["state"], "CONFIGURED");

    // A narrow terminal: every line fits.
    let args = [vec!["values".to_owned()], agent.flags()].concat();
    let narrow = ctl_with(&args, &[("COLUMNS", "50")]).await;
    for line in narrow.ok().lines() {
        assert!(line.chars().count() <= 50, "{line:?} is wider than 50");
    }
    agent.stop().await;
}

#[tokio::test]
async fn config_update_get_delete_history_and_resync() {
    let agent = TestAgent::start("ctl-config").await;
    let dir = tempfile::tempdir().unwrap();
    let config = file(
        dir.path(),
        "config.yaml",
        "vppConfig:\n  interfaces:\n  - name: tap1\n    type: TAP\n    enabled: true\n  bridgeDomains:\n  - name: bd1\n    interfaces:\n    - name: tap1\n",
    );
    let run = agent.ctl(&["config", "update", &config, "--wait"]).await;
    let text = run.ok();
    let row = text
        .lines()
        .find(|l| l.starts_with(IF_KEY))
        .unwrap_or_else(|| panic!("{text}"));
    assert_eq!(
        row.split_whitespace().collect::<Vec<_>>(),
        [IF_KEY, "CONFIGURED"]
    );
    assert!(
        text.lines().last().unwrap().starts_with("transaction #"),
        "{text}"
    );

    let yaml = agent.ctl(&["config", "get"]).await;
    let doc: serde_json::Value = serde_yaml_ng::from_str(yaml.ok()).unwrap();
    assert_eq!(doc["vppConfig"]["interfaces"][0]["name"], "tap1", "{doc}");
    assert_eq!(doc["vppConfig"]["bridgeDomains"][0]["name"], "bd1", "{doc}");
    let json = agent.ctl(&["config", "get", "-f", "json"]).await.json();
    assert_eq!(json, doc);
    let table = agent.ctl(&["config", "get", "-f", "table"]).await;
    assert!(table.ok().contains("vpp.interfaces"), "{table:?}");

    // The FIB entry alone with --replace: the rest goes.
    let fib = file(
        dir.path(),
        "fib.yaml",
        "vppConfig:\n  fibs:\n  - physAddress: 62:89:c6:a3:7e:3a\n    bridgeDomain: bd1\n    outgoingInterface: tap1\n",
    );
    let replaced = agent
        .ctl(&["config", "update", &fib, "--replace", "-f", "json"])
        .await
        .json();
    assert_eq!(
        replaced["results"][0]["status"]["state"], "PENDING",
        "{replaced}"
    );
    agent.wait_state(IF_KEY, ValueState::Nonexistent).await;

    let deleted = agent.ctl(&["config", "delete", &fib]).await;
    deleted.ok();
    agent.wait_state(FIB_KEY, ValueState::Nonexistent).await;

    let history = agent.ctl(&["config", "history"]).await;
    let text = history.ok();
    assert!(text.starts_with("SEQ"), "{text}");
    assert!(text.contains("generic API"), "{text}");
    let records = agent.ctl(&["config", "history", "-f", "json"]).await.json();
    let first = records[0]["seqNum"].as_u64().unwrap();
    let one = agent.ctl(&["config", "history", &first.to_string()]).await;
    assert!(one.ok().contains(&format!("seqNum: {first}")), "{one:?}");
    let details = agent.ctl(&["config", "history", "--details"]).await;
    assert!(details.ok().contains(IF_KEY), "{details:?}");

    let resync = agent.ctl(&["config", "resync", "-f", "json"]).await.json();
    assert!(resync["seqNum"].as_u64().is_some(), "{resync}");
    let resync = agent.ctl(&["config", "resync"]).await;
    assert!(resync.ok().starts_with("SEQ"), "{resync:?}");
    agent.stop().await;
}

#[tokio::test]
async fn config_watch_prints_status_changes() {
    use tokio::io::AsyncBufReadExt as _;

    let agent = TestAgent::start("ctl-watch").await;
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_cninfra-ctl"))
        .args(["config", "watch", FIB_KEY, "--count", "2"])
        .args(agent.flags())
        .stdout(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = tokio::io::BufReader::new(child.stdout.take().unwrap()).lines();
    let mut next = async || {
        tokio::time::timeout(WAIT, lines.next_line())
            .await
            .expect("a line in time")
            .unwrap()
            .expect("a line")
    };
    // The header comes once the subscription is open.
    assert!(next().await.starts_with("TIME"));

    let dir = tempfile::tempdir().unwrap();
    let fib = file(dir.path(), "fib.txt", &format!("{FIB_KEY} {FIB_JSON}\n"));
    let rest = file(
        dir.path(),
        "rest.txt",
        &format!("{BD_KEY} {BD_JSON}\n{IF_KEY} {IF_JSON}\n"),
    );
    agent.ctl(&["import", &fib, "--grpc"]).await.ok();
    agent.ctl(&["import", &rest, "--grpc"]).await.ok();
    let first = next().await;
    let second = next().await;
    let cells = |line: &str| line.split("  ").map(str::to_owned).collect::<Vec<_>>();
    assert_eq!(
        cells(&first)[1..4],
        ["vpp.l2.fib", FIB_KEY, "PENDING"],
        "{first}"
    );
    assert_eq!(
        cells(&second)[1..4],
        ["vpp.l2.fib", FIB_KEY, "CONFIGURED"],
        "{second}"
    );
    let status = tokio::time::timeout(WAIT, child.wait())
        .await
        .unwrap()
        .unwrap();
    assert!(status.success(), "ends after --count notifications");
    agent.stop().await;
}

#[tokio::test]
async fn dump_models_and_graph() {
    let (agent, _dir) = seeded("ctl-dump").await;
    let sb = agent.ctl(&["dump", "vpp.interfaces"]).await;
    let text = sb.ok();
    assert!(
        text.lines().any(|l| l.starts_with("vpp.interfaces  tap1")),
        "{text}"
    );
    let nb = agent
        .ctl(&["dump", "vpp.l2.fib", "--view", "NB", "-f", "json"])
        .await
        .json();
    assert_eq!(nb[0]["key"], FIB_KEY, "{nb}");
    assert_eq!(nb[0]["value"]["bridgeDomain"], "bd1", "{nb}");
    let all = agent
        .ctl(&["dump", "all", "--view", "cached", "-f", "yaml"])
        .await;
    assert!(all.ok().contains("bd1"), "{all:?}");

    let list = agent.ctl(&["model", "list"]).await;
    let fib = list
        .ok()
        .lines()
        .find(|l| l.starts_with("vpp.l2.fib"))
        .unwrap_or_else(|| panic!("{list:?}"))
        .to_owned();
    assert!(
        fib.contains("ligato.vpp.l2.FIBEntry")
            && fib.contains("{{.BridgeDomain}}/mac/{{.PhysAddress}}"),
        "{fib}"
    );
    let json = agent
        .ctl(&["model", "list", "l2", "-f", "json"])
        .await
        .json();
    assert!(
        json.as_array()
            .unwrap()
            .iter()
            .all(|m| m["name"].as_str().unwrap().contains("l2"))
    );
    let inspect = agent.ctl(&["model", "inspect", "vpp.l2.fib"]).await;
    let text = inspect.ok();
    assert!(
        text.contains("phys_address") && text.contains("ligato/vpp/l2/fib.proto"),
        "{text}"
    );
    let inspect = agent
        .ctl(&["model", "i", "ligato.vpp.l2.FIBEntry", "-f", "json"])
        .await
        .json();
    assert_eq!(inspect["name"], "vpp.l2.fib");

    let dot = agent.ctl(&["graph"]).await;
    assert!(dot.ok().contains("digraph"), "{dot:?}");
    let svg = agent.ctl(&["graph", "--format", "svg"]).await;
    if which("dot") {
        assert!(svg.ok().contains("<svg"), "{svg:?}");
    } else {
        let line = svg.failed();
        assert!(
            line.contains("Graphviz's `dot`") && line.contains("--format dot"),
            "{line}"
        );
    }
    agent.stop().await;
}

fn which(program: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|paths| std::env::split_paths(&paths).any(|dir| dir.join(program).is_file()))
}

#[tokio::test]
async fn kvdb_commands_complete_keys_to_the_agent_prefix() {
    let agent = TestAgent::start("ctl-kvdb").await;
    agent.ctl(&["kvdb", "put", IF_KEY, IF_JSON]).await.ok();
    agent.wait_state(IF_KEY, ValueState::Configured).await;
    let got = agent.ctl(&["kvdb", "get", IF_KEY]).await;
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(got.ok()).unwrap(),
        serde_json::from_str::<serde_json::Value>(IF_JSON).unwrap()
    );
    let full = format!("/vnf-agent/{}/{IF_KEY}", agent.label);
    let listed = agent.ctl(&["kv", "list", "-f", "json"]).await.json();
    let entry = listed
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["key"] == full.as_str());
    assert_eq!(
        entry.map(|e| e["value"]["name"].clone()),
        Some("tap1".into()),
        "{listed}"
    );
    let keys = agent
        .ctl(&["kvdb", "list", "config/vpp/", "--keys-only"])
        .await;
    assert_eq!(keys.ok().trim(), full);
    agent.ctl(&["kvdb", "del", IF_KEY]).await.ok();
    agent.wait_state(IF_KEY, ValueState::Nonexistent).await;
    let missing = agent.ctl(&["kvdb", "get", IF_KEY]).await;
    assert!(
        missing.failed().contains(&format!("no key `{full}`")),
        "{missing:?}"
    );
    agent.stop().await;
}

#[tokio::test]
async fn import_over_grpc_reports_each_value() {
    let agent = TestAgent::start("ctl-import").await;
    let dir = tempfile::tempdir().unwrap();
    let path = file(
        dir.path(),
        "in.txt",
        &format!(
            "{IF_KEY} {IF_JSON}\n/vnf-agent/{}/{BD_KEY} {BD_JSON}\n",
            agent.label
        ),
    );
    let reply = agent
        .ctl(&["import", &path, "--grpc", "-f", "json"])
        .await
        .json();
    assert!(reply["seq"].as_u64().is_some(), "{reply}");
    let states: Vec<&str> = reply["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| r["status"]["state"].as_str())
        .collect();
    assert_eq!(states, ["CONFIGURED", "CONFIGURED"], "{reply}");

    // A value the agent rejects: reported, and the exit code says so.
    let bad = file(
        dir.path(),
        "bad.txt",
        "config/vpp/v2/interfaces/tap9 {\"name\":\"tap9\"}\n",
    );
    let run = agent.ctl(&["import", &bad, "--grpc"]).await;
    let row = run.stdout.lines().nth(1).unwrap_or_default();
    assert_eq!(
        row.split_whitespace().collect::<Vec<_>>()[..2],
        ["config/vpp/v2/interfaces/tap9", "INVALID"],
        "{run:?}"
    );
    let line = run.failed();
    assert_eq!(
        line,
        "cninfra-ctl: 1 of 1 values failed: config/vpp/v2/interfaces/tap9"
    );
    agent.stop().await;
}

#[tokio::test]
async fn log_levels_and_metrics() {
    let agent = TestAgent::start("ctl-log").await;
    let set = agent.ctl(&["log", "set", "http", "debug"]).await;
    assert!(set.ok().contains("http    debug"), "{set:?}");
    let list = agent.ctl(&["log", "list", "-f", "json"]).await.json();
    let http = list
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["logger"] == "http")
        .cloned();
    assert_eq!(
        http,
        Some(serde_json::json!({"logger": "http", "level": "debug"}))
    );
    let only = agent.ctl(&["log", "list", "orchestr"]).await;
    assert_eq!(only.ok().lines().count(), 2, "{only:?}");
    let bad = agent.ctl(&["log", "set", "http", "loud"]).await;
    let line = bad.failed();
    assert!(
        line.contains(&format!(
            "PUT http://127.0.0.1:{}/log/http/loud: 400 Bad Request: invalid log level",
            agent.http_port()
        )),
        "{line}"
    );

    let metrics = agent.ctl(&["metrics", "kvscheduler_queue"]).await;
    let text = metrics.ok();
    assert!(text.starts_with("METRIC"), "{text}");
    assert!(
        text.lines()
            .skip(1)
            .all(|l| l.starts_with("kvscheduler_queue")),
        "{text}"
    );
    let json = agent
        .ctl(&["metrics", "cninfra_agent_ready", "-f", "json"])
        .await
        .json();
    assert_eq!(json[0]["name"], "cninfra_agent_ready", "{json}");
    agent.stop().await;
}

#[tokio::test]
async fn report_writes_every_part_and_lists_those_that_failed() {
    let (agent, _seed) = seeded("ctl-report").await;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("report");
    let run = agent.ctl(&["report", "-o", out.to_str().unwrap()]).await;
    run.ok();
    for file in [
        "_report.txt",
        "agent-status.json",
        "software-versions.txt",
        "agent-values.json",
        "agent-NB-config.yaml",
        "agent-models.json",
        "agent-transaction-history.txt",
        "scheduler-view-NB.json",
        "scheduler-view-SB.json",
        "scheduler-view-cached.json",
        "scheduler-stats.json",
        "scheduler-graph.dot",
        "agent-metrics.txt",
        "agent-log-levels.json",
    ] {
        let text =
            std::fs::read_to_string(out.join(file)).unwrap_or_else(|e| panic!("{file}: {e}"));
        assert!(!text.is_empty(), "{file} is empty");
    }
    let failed = std::fs::read_to_string(out.join("_failed-reports.txt")).unwrap();
    assert_eq!(failed, "", "nothing failed");
    let config = std::fs::read_to_string(out.join("agent-NB-config.yaml")).unwrap();
    assert!(config.contains("vppConfig"), "{config}");

    // Without gRPC (a closed port), the gRPC parts fail and are listed; the rest is there.
    let closed = cninfra_testsupport::free_port().to_string();
    let out = dir.path().join("partial");
    let mut args = vec!["report".to_owned(), "-o".into(), out.display().to_string()];
    let mut flags = agent.flags();
    let at = flags.iter().position(|f| f == "--grpc-port").unwrap();
    flags[at + 1] = closed.clone();
    args.extend(flags);
    let run = ctl(&args).await;
    run.ok();
    assert!(run.stderr.contains("2 of 14 parts failed"), "{run:?}");
    let failed = std::fs::read_to_string(out.join("_failed-reports.txt")).unwrap();
    assert!(
        failed.contains("agent-NB-config.yaml") && failed.contains(&closed),
        "{failed}"
    );
    assert!(out.join("agent-values.json").exists());
    assert!(!out.join("agent-NB-config.yaml").exists());
    agent.stop().await;
}

#[tokio::test]
async fn secret_fields_are_redacted_in_the_report_and_config_get() {
    const SECRET: &str = "memif-secret-5e0b7a";
    const MEMIF_KEY: &str = "config/vpp/v2/interfaces/memif1";
    let (agent, seed) = seeded("ctl-secret").await;
    // The example agent marks the memif secret of its interface model secret.
    let memif = format!(
        r#"{{"name":"memif1","type":"MEMIF","enabled":true,"memif":{{"master":true,"secret":"{SECRET}"}}}}"#
    );
    agent.ctl(&["kvdb", "put", MEMIF_KEY, &memif]).await.ok();
    let scheduler = agent.scheduler();
    cninfra_testsupport::wait_until("the memif in the agent", WAIT, || {
        scheduler.status(MEMIF_KEY).value.state != ValueState::Nonexistent
    })
    .await;

    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("report");
    agent
        .ctl(&["report", "-o", out.to_str().unwrap()])
        .await
        .ok();
    let mut files = 0;
    for entry in std::fs::read_dir(&out).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(
            !text.contains(SECRET),
            "{} holds the secret:\n{text}",
            path.display()
        );
        files += 1;
    }
    assert_eq!(files, 16, "every part and the two lists");
    let config = std::fs::read_to_string(out.join("agent-NB-config.yaml")).unwrap();
    assert!(
        config.contains("memif1") && config.contains("secret: <redacted>"),
        "{config}"
    );

    // `config get`, in each form.
    for format in ["yaml", "json", "table"] {
        let run = agent.ctl(&["config", "get", "-f", format]).await;
        assert!(!run.ok().contains(SECRET), "{format}: {run:?}");
    }
    let yaml = agent.ctl(&["config", "get"]).await;
    let doc: serde_json::Value = serde_yaml_ng::from_str(yaml.ok()).unwrap();
    let interfaces = doc["vppConfig"]["interfaces"].as_array().unwrap();
    let got = interfaces.iter().find(|i| i["name"] == "memif1").unwrap();
    assert_eq!(got["memif"]["secret"], "<redacted>", "{doc}");

    // Fed back, the redacted form would replace the secret: refused.
    let back = file(seed.path(), "back.yaml", yaml.ok());
    let refused = agent.ctl(&["config", "update", &back]).await;
    let line = refused.failed();
    assert!(
        line.contains("vpp.interfaces") && line.contains("memif.secret"),
        "{line}"
    );
    agent.stop().await;
}

#[tokio::test]
async fn failing_commands_name_what_failed() {
    let agent = TestAgent::start("ctl-failing").await;
    let run = agent.ctl(&["dump", "vpp.nosuch"]).await;
    let line = run.failed();
    assert!(
        line.starts_with(
            "cninfra-ctl: unknown model `vpp.nosuch`; the agent's models: vpp.interfaces, "
        ),
        "{line}"
    );

    let run = agent.ctl(&["config", "history", "999"]).await;
    assert_eq!(
        run.failed(),
        format!(
            "cninfra-ctl: GET http://127.0.0.1:{}/scheduler/txn-history: 404 Not Found: no recorded transaction #999",
            agent.http_port()
        )
    );

    let dir = tempfile::tempdir().unwrap();
    let bad = file(
        dir.path(),
        "bad.yaml",
        "vppConfig:\n  interface:\n  - name: tap1\n",
    );
    let run = agent.ctl(&["config", "update", &bad]).await;
    assert_eq!(
        run.failed(),
        format!(
            "cninfra-ctl: {bad}: `vppConfig`: unknown field `interface`; known: interfaces, bridgeDomains, fibs, xconnectPairs"
        )
    );
    let undecodable = file(
        dir.path(),
        "undecodable.yaml",
        "vppConfig:\n  interfaces:\n  - name: tap1\n    type: WARP\n",
    );
    let line = agent
        .ctl(&["config", "update", &undecodable])
        .await
        .failed()
        .to_owned();
    assert!(
        line.contains("tap1") && line.contains("type"),
        "names the value and the field: {line}"
    );
    agent.stop().await;
}
