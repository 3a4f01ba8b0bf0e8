//! The command line: global flags as agentctl's, and the command tree.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Operate a cninfra agent (or a vpp-agent, over its generic API): its status, values,
/// configuration, models, KV store, logs, metrics and graph.
#[derive(Debug, Parser)]
#[command(name = "cninfra-ctl", version, propagate_version = true)]
pub(crate) struct Cli {
    /// Where the agent is and how to talk to it.
    #[command(flatten)]
    pub(crate) global: Global,
    /// The command.
    #[command(subcommand)]
    pub(crate) command: Command,
}

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Format {
    /// A table that fits the terminal.
    Table,
    /// JSON.
    Json,
    /// YAML.
    Yaml,
    /// Graphviz text (`graph`).
    Dot,
    /// SVG rendered by the local Graphviz `dot` (`graph`).
    Svg,
}

/// Flags every command takes.
#[derive(Debug, Clone, Args)]
pub(crate) struct Global {
    /// Address of the agent.
    #[arg(
        short = 'H',
        long,
        env = "AGENT_HOST",
        default_value = "127.0.0.1",
        global = true
    )]
    pub(crate) host: String,
    /// Port of the agent's REST API.
    #[arg(long, default_value_t = 9191, global = true)]
    pub(crate) http_port: u16,
    /// Port of the agent's gRPC server.
    #[arg(long, default_value_t = 9111, global = true)]
    pub(crate) grpc_port: u16,
    /// etcd endpoints (comma-separated `host:port`).
    #[arg(
        short = 'e',
        long,
        env = "ETCD_ENDPOINTS",
        default_value = "127.0.0.1:2379",
        value_delimiter = ',',
        global = true
    )]
    pub(crate) etcd_endpoints: Vec<String>,
    /// The agent's microservice label: its keys are under `/vnf-agent/<label>/`.
    #[arg(
        long,
        env = "MICROSERVICE_LABEL",
        default_value = "vpp1",
        global = true
    )]
    pub(crate) service_label: String,
    /// Output format: table, json or yaml; `graph` takes dot or svg.
    #[arg(short = 'f', long, value_enum, global = true)]
    pub(crate) format: Option<Format>,
    /// Time limit of each call to the agent or etcd (`30s`, `2m`).
    #[arg(long, default_value = "120s", value_parser = humantime::parse_duration, global = true)]
    pub(crate) timeout: Duration,
    /// HTTP basic credentials `user:password` for the REST API and gRPC.
    #[arg(
        long,
        env = "AGENTCTL_HTTP_BASIC_AUTH",
        global = true,
        hide_env_values = true
    )]
    pub(crate) http_basic_auth: Option<String>,
    /// Bearer token for gRPC (instead of basic credentials).
    #[arg(
        long,
        env = "AGENTCTL_GRPC_TOKEN",
        global = true,
        hide_env_values = true
    )]
    pub(crate) grpc_token: Option<String>,
    /// Use TLS for the REST API and gRPC.
    #[arg(long, global = true)]
    pub(crate) tls: bool,
    /// Use TLS for etcd.
    #[arg(long, global = true)]
    pub(crate) etcd_tls: bool,
    /// CA certificate (PEM) of the servers; the system's roots without it.
    #[arg(long, global = true)]
    pub(crate) tls_ca: Option<PathBuf>,
    /// Client certificate (PEM) for mutual TLS (with `--tls-key`).
    #[arg(long, global = true)]
    pub(crate) tls_cert: Option<PathBuf>,
    /// Private key (PEM) of `--tls-cert`.
    #[arg(long, global = true)]
    pub(crate) tls_key: Option<PathBuf>,
    /// Do not verify the REST server's certificate (testing only; not for gRPC).
    #[arg(long, global = true)]
    pub(crate) insecure_tls: bool,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// The agent's state, version and plugins (REST `/readiness`, `/liveness`).
    Status,
    /// The status of the agent's values: model, name, state, details, last operation,
    /// error (REST `/scheduler/status`).
    Values(ValuesArgs),
    /// The agent's configuration: get, update, delete, resync, history, watch.
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Values of a model in one of the scheduler's views (REST `/scheduler/dump`).
    Dump(DumpArgs),
    /// The agent's models (gRPC `MetaService`).
    #[command(subcommand)]
    Model(ModelCommand),
    /// The agent's keys in etcd; keys not starting with `/` are completed to
    /// `/vnf-agent/<label>/<key>`.
    #[command(subcommand, visible_alias = "kv")]
    Kvdb(KvdbCommand),
    /// Puts the values of a file of `KEY JSON` lines (`#` comments): in etcd
    /// transactions, or over gRPC with `--grpc`.
    Import(ImportArgs),
    /// The agent's loggers and their levels (REST `/log/`).
    #[command(subcommand)]
    Log(LogCommand),
    /// The agent's metrics, optionally those whose name contains PATTERN (REST
    /// `/metrics`).
    Metrics(MetricsArgs),
    /// The scheduler's dependency graph (REST `/scheduler/graph`), as Graphviz dot
    /// (`--format dot`, the default) or, with a local Graphviz `dot`, as SVG
    /// (`--format svg`).
    Graph(GraphArgs),
    /// Everything a support engineer asks for, into one folder; parts that fail are
    /// listed in it.
    Report(ReportArgs),
    /// A shell completion script, e.g. `cninfra-ctl completion bash > /etc/bash_completion.d/cninfra-ctl`.
    Completion(CompletionArgs),
}

/// `values`.
#[derive(Debug, Args)]
pub(crate) struct ValuesArgs {
    /// A model name (`vpp.interfaces`) or a key prefix (`config/vpp/`); all values
    /// without it.
    pub(crate) model: Option<String>,
}

/// `config`.
#[derive(Debug, Subcommand)]
pub(crate) enum ConfigCommand {
    /// The configuration, grouped by module as agentctl's (`vppConfig: {interfaces:
    /// [...]}`); YAML unless `-f` says otherwise (gRPC `GetConfig`). Fields the agent
    /// marks secret show `<redacted>`.
    Get,
    /// Applies a config file of that form (gRPC `SetConfig`).
    Update(UpdateArgs),
    /// Deletes the values of a config file of that form (gRPC `SetConfig`).
    Delete(DeleteArgs),
    /// Re-reads the southbound and re-applies the configuration (REST
    /// `/scheduler/downstream-resync`).
    Resync(ResyncArgs),
    /// The scheduler's transactions, or one of them (REST `/scheduler/txn-history`).
    History(HistoryArgs),
    /// Prints value status changes as they happen (gRPC `Subscribe`).
    Watch(WatchArgs),
}

/// `config update`.
#[derive(Debug, Args)]
pub(crate) struct UpdateArgs {
    /// The config file (YAML or JSON; `-` for standard input).
    pub(crate) file: PathBuf,
    /// The file is the whole configuration: values left out are removed.
    #[arg(long)]
    pub(crate) replace: bool,
    /// Wait until no value is PENDING (at most `--timeout`).
    #[arg(long)]
    pub(crate) wait: bool,
}

/// `config delete`.
#[derive(Debug, Args)]
pub(crate) struct DeleteArgs {
    /// The config file naming the values (YAML or JSON; `-` for standard input).
    pub(crate) file: PathBuf,
}

/// `config resync`.
#[derive(Debug, Args)]
pub(crate) struct ResyncArgs {
    /// Retry failed operations.
    #[arg(long)]
    pub(crate) retry: bool,
    /// Log the refreshed southbound state in the agent.
    #[arg(long)]
    pub(crate) verbose: bool,
}

/// `config history`.
#[derive(Debug, Args)]
pub(crate) struct HistoryArgs {
    /// One transaction, by sequence number, in the log format.
    pub(crate) seq: Option<u64>,
    /// Every transaction in the log format, with its operations.
    #[arg(long)]
    pub(crate) details: bool,
}

/// `config watch`.
#[derive(Debug, Args)]
pub(crate) struct WatchArgs {
    /// Keys to watch (relative to the agent prefix); all values without any.
    pub(crate) keys: Vec<String>,
    /// Stop after this many notifications.
    #[arg(long)]
    pub(crate) count: Option<usize>,
}

/// Views of the scheduler.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum View {
    /// What the descriptors retrieve from the southbound.
    #[value(name = "SB")]
    Sb,
    /// What the northbound asked for.
    #[value(name = "NB")]
    Nb,
    /// The scheduler's graph.
    Cached,
}

/// `dump`.
#[derive(Debug, Args)]
pub(crate) struct DumpArgs {
    /// A model name (`vpp.interfaces`), a key prefix (`config/vpp/`) or `all`.
    pub(crate) model: String,
    /// The view.
    #[arg(long, value_enum, default_value = "SB")]
    pub(crate) view: View,
}

/// `model`.
#[derive(Debug, Subcommand)]
pub(crate) enum ModelCommand {
    /// The models, optionally those whose name contains PATTERN.
    List {
        /// A part of the model name.
        pattern: Option<String>,
        /// Models of this class only.
        #[arg(long)]
        class: Option<String>,
    },
    /// One model: spec, key prefix, name template and its message's fields.
    #[command(visible_alias = "i")]
    Inspect {
        /// The model name (`vpp.interfaces`) or its proto name.
        model: String,
    },
}

/// `kvdb`.
#[derive(Debug, Subcommand)]
pub(crate) enum KvdbCommand {
    /// Keys (and values) under a prefix; the agent's whole prefix without one.
    List {
        /// The prefix.
        prefix: Option<String>,
        /// Keys only.
        #[arg(long)]
        keys_only: bool,
    },
    /// The value of a key.
    Get {
        /// The key.
        key: String,
    },
    /// Puts a value (JSON, as the agent reads it).
    Put {
        /// The key.
        key: String,
        /// The value.
        value: String,
    },
    /// Deletes a key.
    Del {
        /// The key.
        key: String,
    },
}

/// `import`.
#[derive(Debug, Args)]
pub(crate) struct ImportArgs {
    /// The file: one `KEY JSON` per line, `#` starts a comment.
    pub(crate) file: PathBuf,
    /// Operations per etcd transaction.
    #[arg(long, default_value_t = 128)]
    pub(crate) txops: usize,
    /// Send over gRPC (one `SetConfig`) instead of writing etcd.
    #[arg(long)]
    pub(crate) grpc: bool,
}

/// `log`.
#[derive(Debug, Subcommand)]
pub(crate) enum LogCommand {
    /// Loggers and levels, optionally those whose name contains LOGGER.
    List {
        /// A part of the logger name.
        logger: Option<String>,
    },
    /// Sets a logger's level (`default` for every logger without a level).
    Set {
        /// The logger.
        logger: String,
        /// trace, debug, info, warn, error, fatal or panic.
        level: String,
    },
}

/// `metrics`.
#[derive(Debug, Args)]
pub(crate) struct MetricsArgs {
    /// A part of the metric name.
    pub(crate) pattern: Option<String>,
}

/// `graph`.
#[derive(Debug, Args)]
pub(crate) struct GraphArgs {
    /// The graph as it was after this transaction.
    #[arg(long)]
    pub(crate) txn: Option<u64>,
    /// Write to this file instead of standard output.
    #[arg(short, long)]
    pub(crate) output: Option<PathBuf>,
}

/// `report`.
#[derive(Debug, Args)]
pub(crate) struct ReportArgs {
    /// The folder (created if missing).
    #[arg(short, long)]
    pub(crate) output: PathBuf,
}

/// `completion`.
#[derive(Debug, Args)]
pub(crate) struct CompletionArgs {
    /// The shell.
    pub(crate) shell: clap_complete::Shell,
}
