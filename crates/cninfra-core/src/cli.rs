//! The agent's command line: built-in flags, plugin config flags and plugin flags, each also
//! read from its environment variable (command line > environment > default).

use std::collections::HashMap;
use std::ffi::OsString;

use clap::{Arg, ArgAction, Command};

use crate::build_info::BuildInfo;
use crate::error::AgentError;
use crate::plugin::{Flag, Plugin, env_var_of};
use crate::settings::{CONFIG_DIR, FlagValue, LABEL, Origin, Settings, config_flag_of};

/// Everything needed to parse the agent's command line.
pub(crate) struct CommandLine<'a> {
    pub(crate) app: &'a str,
    pub(crate) build_info: &'a BuildInfo,
    pub(crate) plugins: &'a [std::sync::Arc<dyn Plugin>],
    pub(crate) args: Vec<OsString>,
    pub(crate) env: &'a HashMap<String, String>,
}

impl CommandLine<'_> {
    /// Collects every flag (built-in, config, plugin), checks for clashes, parses.
    pub(crate) fn parse(self) -> Result<Settings, AgentError> {
        let mut flags: Vec<(Flag, String)> = vec![
            (
                Flag::new(
                    CONFIG_DIR,
                    "Folder searched for `<plugin>.conf` config files",
                )
                .with_default("."),
                "agent".to_owned(),
            ),
            (
                Flag::new(
                    LABEL,
                    "Label of this agent; its keys sit under /vnf-agent/<label>/",
                )
                .with_default(crate::ServiceLabel::DEFAULT),
                "agent".to_owned(),
            ),
        ];
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
        }

        let mut seen: HashMap<String, String> = HashMap::new();
        let mut command = Command::new(self.app.to_owned())
            .version(self.build_info.to_string())
            .disable_help_subcommand(true);
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
            let mut help = format!("{} [env: {}]", flag.help, flag.env_var());
            if let Some(default) = &flag.default {
                help.push_str(&format!(" [default: {default}]"));
            }
            command = command.arg(
                Arg::new(flag.name().to_owned())
                    .long(flag.name().to_owned())
                    .value_name("VALUE")
                    .action(ArgAction::Set)
                    .help(help),
            );
            unique.push(flag);
        }

        let matches = command.try_get_matches_from(self.args)?;
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
