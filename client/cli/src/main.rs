//! `din`: the DIN command-line client. The commands live in the `din_cli` library; this
//! binary loads the config file, parses `argv`, sets up logging and the async runtime, and
//! maps errors to exit codes ([`din_cli::exit`]).

use std::{io::IsTerminal, process::ExitCode};

use clap::Parser;
use din_cli::{config, exit, Cli};

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
			|_| {
				tracing_subscriber::EnvFilter::new(
					// The daemons log their duties under the `din` target.
					"warn,din=info,din_cli=info,din_store=info,libp2p_kad=error",
				)
			},
		))
		.init();
	let runtime = match tokio::runtime::Runtime::new() {
		Ok(runtime) => runtime,
		Err(error) => {
			eprintln!("error: cannot start the async runtime: {error}");
			return ExitCode::FAILURE;
		},
	};
	let result = runtime.block_on(cli.run());
	match result {
		Ok(()) => ExitCode::SUCCESS,
		Err(error) => {
			eprintln!("error: {error:#}");
			exit::code_of(&error)
		},
	}
}
