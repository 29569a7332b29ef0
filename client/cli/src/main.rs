//! `din`: the DIN command-line client.
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
//!
//! Settings come from flags, then `DIN_*` environment variables, then the config file
//! ([`config`]). Library crates return `thiserror` errors; this binary wraps them in
//! `anyhow` and maps them to distinct exit codes ([`exit`]).

use std::{io::IsTerminal, process::ExitCode};

use clap::{Parser, Subcommand};

mod artifact;
mod common;
mod config;
mod evaluator;
mod exit;
mod follow;
mod key;
mod model;
mod participant;
mod stake;
mod state;
mod store;
mod task;

/// DIN — decentralized federated learning on a Substrate chain.
#[derive(Debug, Parser)]
#[command(name = "din", version, about, propagate_version = true)]
struct Cli {
	#[command(subcommand)]
	command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
	/// sr25519 accounts: generate, inspect, list the dev accounts.
	#[command(subcommand)]
	Key(key::KeyCommand),
	/// Send native tokens to an account.
	Transfer(key::TransferArgs),
	/// Bond, unbond and withdraw a participant or evaluator stake.
	#[command(subcommand)]
	Stake(stake::StakeCommand),
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
}

fn main() -> ExitCode {
	if let Err(error) = config::load_into_env() {
		eprintln!("error: {error:#}");
		return ExitCode::from(exit::CONFIG);
	}
	let cli = Cli::parse();
	tracing_subscriber::fmt()
		.with_writer(std::io::stderr)
		// Daemons' logs mostly go to files and pipes: colour only on a terminal.
		.with_ansi(std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none())
		.with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(
			|_| tracing_subscriber::EnvFilter::new("warn,din=info,din_store=info,libp2p_kad=error"),
		))
		.init();
	let runtime = match tokio::runtime::Runtime::new() {
		Ok(runtime) => runtime,
		Err(error) => {
			eprintln!("error: cannot start the async runtime: {error}");
			return ExitCode::FAILURE;
		},
	};
	let result: anyhow::Result<()> = runtime.block_on(async {
		match cli.command {
			Command::Key(command) => key::run(command).await,
			Command::Transfer(args) => key::transfer(args).await,
			Command::Stake(command) => stake::run(command).await,
			Command::Task(command) => task::run(command).await,
			Command::Participant(command) => participant::run(command).await,
			Command::Evaluator(command) => evaluator::run(command).await,
			Command::Model(command) => model::run(command).await,
			Command::Store(command) => store::run(command).await,
		}
	});
	match result {
		Ok(()) => ExitCode::SUCCESS,
		Err(error) => {
			eprintln!("error: {error:#}");
			exit::code_of(&error)
		},
	}
}
