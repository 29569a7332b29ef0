//! `din-node`: the DIN validator node.

mod chain_spec;
mod cli;
mod command;
mod rpc;
mod service;
mod worker_metrics;

fn main() -> polkadot_sdk::sc_cli::Result<()> {
	command::run()
}
