//! Command line of `din-node`.

#[cfg(feature = "benchmark-cli")]
use polkadot_sdk::frame_benchmarking_cli::BenchmarkCmd;
use polkadot_sdk::sc_cli;

#[derive(Debug, clap::Parser)]
#[command(
	propagate_version = true,
	args_conflicts_with_subcommands = true,
	subcommand_negates_reqs = true
)]
pub struct Cli {
	#[command(subcommand)]
	pub subcommand: Option<Subcommand>,

	#[clap(flatten)]
	pub run: sc_cli::RunCmd,

	/// A DIN store gateway (the HTTP gateway of `din store serve --http`), e.g.
	/// `http://127.0.0.1:8080`, from which the off-chain worker fetches updates and models
	/// for the evaluator keys (`din!`) in this node's keystore. Repeatable: tried in order.
	#[arg(long = "din-store-gateway", value_name = "URL", value_parser = parse_gateway)]
	pub din_store_gateways: Vec<String>,
}

fn parse_gateway(url: &str) -> Result<String, String> {
	let rest = url
		.strip_prefix("http://")
		.or_else(|| url.strip_prefix("https://"))
		.ok_or_else(|| format!("`{url}`: a gateway URL starts with http:// or https://"))?;
	if rest.trim_end_matches('/').is_empty() {
		return Err(format!("`{url}`: no host"));
	}
	Ok(url.trim_end_matches('/').to_string())
}

#[derive(Debug, clap::Subcommand)]
#[allow(clippy::large_enum_variant)]
pub enum Subcommand {
	/// Key management: generate, inspect and insert keys (e.g. a DIN evaluator key).
	#[command(subcommand)]
	Key(sc_cli::KeySubcommand),

	/// Build a chain specification (`--chain dev|local|PATH`, `--raw` for zombienet).
	#[allow(deprecated)]
	BuildSpec(sc_cli::BuildSpecCmd),

	/// Export the chain specification of a chain, without touching a database.
	ExportChainSpec(sc_cli::ExportChainSpecCmd),

	/// Validate blocks.
	CheckBlock(sc_cli::CheckBlockCmd),

	/// Export blocks.
	ExportBlocks(sc_cli::ExportBlocksCmd),

	/// Export the state of a given block into a chain spec.
	ExportState(sc_cli::ExportStateCmd),

	/// Import blocks.
	ImportBlocks(sc_cli::ImportBlocksCmd),

	/// Remove the whole chain.
	PurgeChain(sc_cli::PurgeChainCmd),

	/// Revert the chain to a previous state.
	Revert(sc_cli::RevertCmd),

	/// Benchmarks: `benchmark pallet` generates the runtime's `weights.rs` files (built
	/// with `--features benchmark-cli`).
	#[cfg(feature = "benchmark-cli")]
	#[command(subcommand)]
	Benchmark(BenchmarkCmd),

	/// Database meta columns information.
	ChainInfo(sc_cli::ChainInfoCmd),
}

#[cfg(test)]
mod tests {
	use super::parse_gateway;

	#[test]
	fn gateway_urls_need_a_scheme_and_a_host() {
		assert_eq!(parse_gateway("http://127.0.0.1:8080/"), Ok("http://127.0.0.1:8080".into()));
		assert_eq!(parse_gateway("https://gw.example"), Ok("https://gw.example".into()));
		assert!(parse_gateway("127.0.0.1:8080").unwrap_err().contains("http://"));
		assert!(parse_gateway("http://").unwrap_err().contains("no host"));
	}
}
