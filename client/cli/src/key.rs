//! `din key …` and `din transfer`: sr25519 accounts.
//!
//! - `generate` makes a 12-word mnemonic account; `--output FILE` writes its secret URI
//!   to a new file readable only by its owner (what `--key-file` reads).
//! - `inspect` prints the address of a secret URI or key file.
//! - `dev` lists the well-known development accounts (`//Alice` …), endowed on `--dev`
//!   and `local` chains.

use std::io::Write;
use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, Subcommand};
use din_chain::{AccountId32, Signer};
use subxt_signer::bip39::Mnemonic;

use crate::common::{format_amount, parse_account, parse_amount, ChainArgs, SignerArgs};
use crate::invalid;

/// Development accounts endowed by the `dev` and `local` chain specs.
pub const DEV_ACCOUNTS: [&str; 6] = ["Alice", "Bob", "Charlie", "Dave", "Eve", "Ferdie"];

/// The `din key` subcommands.
#[derive(Debug, Subcommand)]
pub enum KeyCommand {
	/// Generate a new account (12-word mnemonic).
	Generate {
		/// Write the secret URI to this new file (mode 0600) instead of printing it.
		#[arg(long, short)]
		output: Option<PathBuf>,
		/// Print JSON.
		#[arg(long)]
		json: bool,
	},
	/// Print the address of a secret URI or key file.
	Inspect {
		#[command(flatten)]
		signer: SignerArgs,
		/// Print JSON.
		#[arg(long)]
		json: bool,
	},
	/// List the development accounts with their addresses.
	Dev {
		/// Print JSON.
		#[arg(long)]
		json: bool,
	},
}

/// `din transfer`.
#[derive(Debug, Args)]
pub struct TransferArgs {
	/// Recipient: an SS58 address or a secret URI.
	#[arg(long, value_parser = parse_account)]
	pub to: AccountId32,
	/// Amount in whole tokens.
	#[arg(long, value_parser = parse_amount)]
	pub amount: u128,
	#[command(flatten)]
	pub signer: SignerArgs,
	#[command(flatten)]
	pub chain: ChainArgs,
}

pub async fn run(command: KeyCommand) -> anyhow::Result<()> {
	match command {
		KeyCommand::Generate { output, json } => {
			let mnemonic = Mnemonic::from_entropy(&rand::random::<[u8; 16]>())
				.map_err(|e| anyhow::anyhow!("mnemonic: {e}"))?;
			let phrase = mnemonic.to_string();
			let address = Signer::from_uri(&phrase)?.account_id();
			match &output {
				Some(path) => write_secret(path, &phrase)?,
				None if !json => println!("secret phrase: {phrase}"),
				None => {},
			}
			if json {
				let mut doc = serde_json::json!({ "address": address.to_string() });
				if output.is_none() {
					doc["secret_uri"] = phrase.into();
				}
				println!("{doc}");
			} else {
				println!("address: {address}");
			}
		},
		KeyCommand::Inspect { signer, json } => {
			let address = signer.signer()?.account_id();
			if json {
				println!("{}", serde_json::json!({ "address": address.to_string() }));
			} else {
				println!("{address}");
			}
		},
		KeyCommand::Dev { json } => {
			let accounts: Vec<(String, String)> = DEV_ACCOUNTS
				.iter()
				.map(|name| {
					let uri = format!("//{name}");
					let address = Signer::from_uri(&uri).expect("dev URIs are valid").account_id();
					(uri, address.to_string())
				})
				.collect();
			if json {
				let list: Vec<_> = accounts
					.iter()
					.map(
						|(uri, address)| serde_json::json!({ "secret_uri": uri, "address": address }),
					)
					.collect();
				println!("{}", serde_json::Value::Array(list));
			} else {
				for (uri, address) in accounts {
					println!("{uri:<10} {address}");
				}
			}
		},
	}
	Ok(())
}

fn write_secret(path: &std::path::Path, secret: &str) -> anyhow::Result<()> {
	use std::os::unix::fs::OpenOptionsExt;
	let mut file = std::fs::OpenOptions::new()
		.write(true)
		.create_new(true)
		.mode(0o600)
		.open(path)
		.map_err(|e| {
			invalid!("cannot create key file {}: {e} (refusing to overwrite a key)", path.display())
		})?;
	writeln!(file, "{secret}").with_context(|| format!("writing {}", path.display()))?;
	Ok(())
}

pub async fn transfer(args: TransferArgs) -> anyhow::Result<()> {
	let signer = args.signer.signer()?;
	let chain = args.chain.connect().await?;
	chain.transfer(&signer, &args.to, args.amount).await?;
	println!("sent {} to {}", format_amount(args.amount), args.to);
	Ok(())
}
