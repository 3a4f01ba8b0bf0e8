//! The agent's command line: built-in flags, plugin config flags and plugin flags, each also
//! read from its environment variable (command line > environment > default), and the
//! subcommands plugins offer.
//!
//! Flags are written as Go's `flag` package reads them too (`-http-port 9090`,
//! `-etcd-config=/opt/etcd.conf`), so command lines of CN-Infra agents keep working.

use std::collections::HashMap;
use std::ffi::OsString;

use clap::builder::PossibleValuesParser;
use clap::error::ErrorKind;
use clap::{Arg, ArgAction, Command};

use crate::build_info::BuildInfo;
use crate::error::AgentError;
use crate::plugin::{Flag, Plugin, env_var_of};
use crate::settings::{
    CONFIG_DIR, FlagValue, LABEL, Origin, STRICT_CONFIG, Settings, config_flag_of, parse_bool,
};
use crate::subcommand::{Subcommand, SubcommandRun};

/// Everything needed to parse the agent's command line.
pub(crate) struct CommandLine<'a> {
    pub(crate) app: &'a str,
    pub(crate) build_info: &'a BuildInfo,
    pub(crate) plugins: &'a [std::sync::Arc<dyn Plugin>],
    pub(crate) args: Vec<OsString>,
    pub(crate) env: &'a HashMap<String, String>,
}

/// The built-in flags of every agent, declared by `agent`.
fn builtin_flags() -> Vec<Flag> {
    vec![
        Flag::new(
            CONFIG_DIR,
            "Folder searched for `<plugin>.conf` config files",
        )
        .with_default("."),
        Flag::new(
            LABEL,
            "Label of this agent; its keys sit under /vnf-agent/<label>/",
        )
        .with_default(crate::ServiceLabel::DEFAULT),
        Flag::switch(
            STRICT_CONFIG,
            "Unknown keys in config files are errors, not warnings (`-strict-config`, \
             `-strict-config=false`)",
        ),
    ]
}

impl CommandLine<'_> {
    /// Collects every flag (built-in, config, plugin) and subcommand, checks for clashes,
    /// parses.
    ///
    /// # Errors
    /// [`AgentError::Subcommand`] when the command line names a subcommand: the caller runs
    /// it instead of the agent.
    pub(crate) fn parse(self) -> Result<Settings, AgentError> {
        let mut flags: Vec<(Flag, String)> = builtin_flags()
            .into_iter()
            .map(|flag| (flag, "agent".to_owned()))
            .collect();
        let mut subcommands: Vec<Subcommand> = Vec::new();
        for plugin in self.plugins {
            let name = plugin.name();
            if plugin.has_config() {
                let help = format!(
                    "Config file of plugin `{name}` (YAML or JSON; else <config-dir>/{name}.conf \
                     if present)"
                );
                flags.push((Flag::new(config_flag_of(name), help), name.to_owned()));
            }
            for flag in plugin.flags() {
                flags.push((flag, name.to_owned()));
            }
            subcommands.extend(plugin.subcommands());
        }

        let mut seen: HashMap<String, String> = HashMap::new();
        let mut command = Command::new(self.app.to_owned())
            .version(self.build_info.to_string())
            .disable_help_subcommand(true)
            .after_help(
                "Flags may also be written Go-style, with one dash: -http-port 9090, \
                 -etcd-config=/opt/etcd.conf.",
            );
        let mut unique = Vec::with_capacity(flags.len());
        for (flag, owner) in flags {
            if let Some(first) = seen.get(flag.name()) {
                return Err(AgentError::DuplicateFlag {
                    flag: flag.name().to_owned(),
                    first: first.clone(),
                    second: owner,
                });
            }
            seen.insert(flag.name().to_owned(), owner);
            command = command.arg(arg_of(&flag));
            unique.push(flag);
        }
        for subcommand in &subcommands {
            command = command.subcommand(subcommand.command().clone());
        }

        let known: Vec<&str> = unique.iter().map(Flag::name).collect();
        let args = go_style(self.args, &known);
        let matches = command.try_get_matches_from(args)?;
        if let Some((name, sub_matches)) = matches.subcommand()
            && let Some(subcommand) = subcommands.into_iter().find(|s| s.name() == name)
        {
            return Err(AgentError::Subcommand(Box::new(SubcommandRun::new(
                subcommand,
                sub_matches.clone(),
            ))));
        }
        let mut values = HashMap::new();
        for flag in unique {
            let name = flag.name().to_owned();
            let env_var = env_var_of(&name);
            let found = if let Some(value) = matches.get_one::<String>(&name) {
                Some(FlagValue {
                    value: value.clone(),
                    origin: Origin::CommandLine(name.clone()),
                })
            } else if let Some(value) = self.env.get(&env_var) {
                if flag.is_switch() && parse_bool(value).is_none() {
                    return Err(AgentError::Cli(clap::Error::raw(
                        ErrorKind::InvalidValue,
                        format!(
                            "environment variable {env_var}={value:?} is not a boolean \
                             (true, false, 1, 0, t, f)\n"
                        ),
                    )));
                }
                Some(FlagValue {
                    value: value.clone(),
                    origin: Origin::Environment(env_var),
                })
            } else {
                flag.default.map(|value| FlagValue {
                    value,
                    origin: Origin::Default,
                })
            };
            if let Some(found) = found {
                values.insert(name, found);
            }
        }
        Ok(Settings { values })
    }
}

/// The clap argument of a flag: a value (`--flag value`, `--flag=value`) or a switch
/// (`--flag`, `--flag=false`, as Go's boolean flags).
fn arg_of(flag: &Flag) -> Arg {
    let mut help = format!("{} [env: {}]", flag.help, flag.env_var());
    if let Some(default) = &flag.default {
        help.push_str(&format!(" [default: {default}]"));
    }
    let arg = Arg::new(flag.name().to_owned())
        .long(flag.name().to_owned())
        .action(ArgAction::Set)
        .help(help);
    if flag.is_switch() {
        arg.value_name("BOOL")
            .num_args(0..=1)
            .require_equals(true)
            .default_missing_value("true")
            .value_parser(PossibleValuesParser::new([
                "true", "false", "1", "0", "t", "f", "T", "F", "TRUE", "FALSE", "True", "False",
            ]))
    } else {
        arg.value_name("VALUE")
    }
}

/// Rewrites Go-style flags (`-name`, `-name=value`) of known flags, and `-help`, to clap's
/// `--name`; everything after a bare `--` and the program name stay as they are.
fn go_style(args: Vec<OsString>, known: &[&str]) -> Vec<OsString> {
    let mut out = Vec::with_capacity(args.len());
    let mut rest_verbatim = false;
    for (i, arg) in args.into_iter().enumerate() {
        if i == 0 || rest_verbatim {
            out.push(arg);
            continue;
        }
        let rewritten = arg.to_str().and_then(|text| {
            if text == "--" {
                return None;
            }
            let name = text.strip_prefix('-').filter(|n| !n.starts_with('-'))?;
            let bare = name.split_once('=').map_or(name, |(bare, _)| bare);
            (bare.len() > 1 && (known.contains(&bare) || bare == "help"))
                .then(|| OsString::from(format!("--{name}")))
        });
        if arg == "--" {
            rest_verbatim = true;
        }
        out.push(rewritten.unwrap_or(arg));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rewrite(args: &[&str]) -> Vec<String> {
        go_style(
            args.iter().map(OsString::from).collect(),
            &["http-port", "etcd-config", "strict-config"],
        )
        .into_iter()
        .map(|a| a.into_string().unwrap())
        .collect()
    }

    #[test]
    fn go_style_flags_become_long_flags() {
        assert_eq!(
            rewrite(&[
                "agent",
                "-http-port",
                "9090",
                "-etcd-config=/opt/e.conf",
                "--http-port=1",
                "-strict-config",
                "-help",
                "-h",
                "-x",
                "-unknown",
                "--",
                "-http-port"
            ]),
            [
                "agent",
                "--http-port",
                "9090",
                "--etcd-config=/opt/e.conf",
                "--http-port=1",
                "--strict-config",
                "--help",
                "-h",
                "-x",
                "-unknown",
                "--",
                "-http-port"
            ]
        );
    }

    #[test]
    fn the_program_name_is_never_rewritten() {
        assert_eq!(rewrite(&["-http-port"]), ["-http-port"]);
    }
}
