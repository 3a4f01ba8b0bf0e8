//! A plugin's subcommand runs instead of the agent and is listed by `--help`.

use cninfra_core::{Agent, AgentError, BoxError, InitContext, Plugin, Subcommand, async_trait};

struct Shouter;

#[async_trait]
impl Plugin for Shouter {
    fn name(&self) -> &str {
        "shouter"
    }
    fn subcommands(&self) -> Vec<Subcommand> {
        vec![Subcommand::new(
            clap::Command::new("shout")
                .about("Prints its word in capitals")
                .arg(clap::Arg::new("word").required(true)),
            |args| {
                let word = args.get_one::<String>("word").cloned().unwrap_or_default();
                if word == "fail" {
                    return Err("cannot shout that".into());
                }
                Ok(word.to_uppercase())
            },
        )]
    }
    async fn init(&self, _: &InitContext) -> Result<(), BoxError> {
        Err("the agent must not start for a subcommand".into())
    }
}

fn build(args: &[&str]) -> Result<Agent, AgentError> {
    Agent::builder()
        .plugin(Shouter)
        .with_args(std::iter::once("agent").chain(args.iter().copied()))
        .with_env(Vec::<(String, String)>::new())
        .build()
}

#[test]
fn the_subcommand_is_handed_back_to_run_instead_of_an_agent() {
    let Err(AgentError::Subcommand(run)) = build(&["shout", "hey"]) else {
        panic!("no subcommand");
    };
    assert_eq!(run.name(), "shout");
    assert_eq!(run.run().unwrap(), "HEY");
    let Err(AgentError::Subcommand(run)) = build(&["shout", "fail"]) else {
        panic!("no subcommand");
    };
    assert_eq!(run.run().unwrap_err().to_string(), "cannot shout that");

    let help = build(&["--help"]).unwrap_err().to_string();
    assert!(
        help.contains("shout") && help.contains("Prints its word"),
        "{help}"
    );
    assert!(build(&[]).is_ok());
}
