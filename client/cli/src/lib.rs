//! The `din` command-line client as a library: every command and both daemons, callable
//! in-process (the `din` binary is [`Cli`] parsed from `argv`, plus logging and exit codes).
//!
//! One clap [`Parser`] with a subcommand per concern, each in its own module:
//!
//! | command | module | who |
//! |---|---|---|
//! | `key`, `transfer` | [`key`] | everyone: sr25519 accounts |
//! | `stake` | [`stake`] | participants, evaluators: bonds |
//! | `task` | [`task`] | model owners: create, status, watch, release the test key |
//! | `participant run` | [`participant`] | participants: the training daemon |
//! | `evaluator run` | [`evaluator`] | evaluators: the aggregation and scoring daemon |
//! | `model` | [`model`] | anyone: fetch and evaluate a task's global model |
//! | `store` | [`store`] | anyone: the content-addressed artifact store |
//! | `dashboard` | [`dashboard`] | everyone: a web page of the node's tasks, funding from a wallet |
//!
//! Settings come from flags, then `DIN_*` environment variables, then the config file
//! ([`config`]). Library crates return `thiserror` errors; this crate wraps them in
//! `anyhow` and maps them to distinct exit codes ([`exit`]).

use clap::{Parser, Subcommand};

pub mod artifact;
pub mod common;
pub mod config;
pub mod council;
pub mod dashboard;
pub mod evaluator;
pub mod exit;
pub mod follow;
pub mod key;
pub mod metrics;
pub mod model;
pub mod participant;
pub mod progress;
pub mod stake;
pub mod state;
pub mod store;
pub mod task;
pub mod validator;
pub mod withheld;

/// DIN — decentralized federated learning on a Substrate chain.
#[derive(Debug, Parser)]
#[command(name = "din", version, about, propagate_version = true)]
pub struct Cli {
	#[command(subcommand)]
	pub command: Command,
}

/// `din`'s subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
	/// sr25519 accounts: generate, inspect, list the dev accounts.
	#[command(subcommand)]
	Key(key::KeyCommand),
	/// Send native tokens to an account.
	Transfer(key::TransferArgs),
	/// Bond, unbond and withdraw a participant, evaluator or validator stake.
	#[command(subcommand)]
	Stake(stake::StakeCommand),
	/// Join or leave the validator set with a node's session keys, and show the set.
	#[command(subcommand)]
	Validator(validator::ValidatorCommand),
	/// Council members: move, vote on and close motions; enact runtime upgrades.
	#[command(subcommand)]
	Council(council::CouncilCommand),
	/// Create tasks, show their progress, release the test-set key.
	#[command(subcommand)]
	Task(task::TaskCommand),
	/// The participant daemon: join a task, train each round, publish and submit updates.
	#[command(subcommand)]
	Participant(participant::ParticipantCommand),
	/// The evaluator daemon: aggregate, commit-reveal, prove scores.
	#[command(subcommand)]
	Evaluator(evaluator::EvaluatorCommand),
	/// Fetch or evaluate a task's global model.
	#[command(subcommand)]
	Model(model::ModelCommand),
	/// Content-addressed artifact store: put, get, pin, serve over libp2p and HTTP.
	#[command(subcommand)]
	Store(store::StoreCommand),
	/// Serve a web dashboard of the node's tasks, live, and fund crowdfunded tasks from a
	/// browser wallet.
	Dashboard(dashboard::DashboardArgs),
	/// Print a shell completion script, e.g. `din completions bash > ~/.local/share/bash-completion/completions/din`.
	Completions {
		/// The shell to complete in.
		#[arg(value_enum)]
		shell: clap_complete::Shell,
	},
}

impl Cli {
	/// Run the command to completion: a one-shot command returns when done, a daemon when
	/// it stops (its `--until`/`--rounds` bound, a finished task, or an error).
	pub async fn run(self) -> anyhow::Result<()> {
		match self.command {
			Command::Key(command) => key::run(command).await,
			Command::Transfer(args) => key::transfer(args).await,
			Command::Stake(command) => stake::run(command).await,
			Command::Validator(command) => validator::run(command).await,
			Command::Council(command) => council::run(command).await,
			Command::Task(command) => task::run(command).await,
			Command::Participant(command) => participant::run(command).await,
			Command::Evaluator(command) => evaluator::run(command).await,
			Command::Model(command) => model::run(command).await,
			Command::Store(command) => store::run(command).await,
			Command::Dashboard(args) => dashboard::run(args).await,
			Command::Completions { shell } => {
				let mut command = <Self as clap::CommandFactory>::command();
				clap_complete::generate(shell, &mut command, "din", &mut std::io::stdout());
				Ok(())
			},
		}
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use clap::CommandFactory;

	/// Every subcommand and every argument a user can type says what it is for in `--help`.
	#[test]
	fn every_command_and_argument_has_help() {
		fn walk(command: &clap::Command, path: &str, missing: &mut Vec<String>) {
			for arg in command.get_arguments() {
				let id = arg.get_id().as_str();
				if id == "help" || id == "version" {
					continue;
				}
				let described = arg
					.get_help()
					.or(arg.get_long_help())
					.is_some_and(|h| !h.to_string().trim().is_empty());
				if !described {
					missing.push(format!("{path} <{id}>"));
				}
			}
			for sub in command.get_subcommands() {
				let path = format!("{path} {}", sub.get_name());
				if sub.get_about().or(sub.get_long_about()).is_none() && sub.get_name() != "help" {
					missing.push(path.clone());
				}
				walk(sub, &path, missing);
			}
		}
		let command = Cli::command();
		command.clone().debug_assert();
		let mut missing = Vec::new();
		walk(&command, "din", &mut missing);
		assert!(missing.is_empty(), "without help text:\n{}", missing.join("\n"));
	}

	#[test]
	fn completions_name_every_subcommand() {
		let mut script = Vec::new();
		clap_complete::generate(
			clap_complete::Shell::Bash,
			&mut Cli::command(),
			"din",
			&mut script,
		);
		let script = String::from_utf8(script).expect("a bash script is text");
		for sub in Cli::command().get_subcommands() {
			assert!(script.contains(sub.get_name()), "no completion for `din {}`", sub.get_name());
		}
	}
}
