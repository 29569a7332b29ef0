//! `din`: the DIN command-line client.
//!
//! One clap [`Parser`] with a subcommand per concern; each group lives in its own
//! module (`store` today; `task`, `participant`, `evaluator` join it). Library crates
//! return `thiserror` errors; this binary wraps them in `anyhow` for reporting.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod store;

/// DIN — decentralized federated learning on a Substrate chain.
#[derive(Debug, Parser)]
#[command(name = "din", version, about, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Content-addressed artifact store: put, get, pin, serve over libp2p and HTTP.
    #[command(subcommand)]
    Store(store::StoreCommand),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| {
                tracing_subscriber::EnvFilter::new("warn,din_store=info,libp2p_kad=error")
            }),
        )
        .init();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    let result: anyhow::Result<()> = runtime.block_on(async {
        match cli.command {
            Command::Store(command) => store::run(command).await,
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}
