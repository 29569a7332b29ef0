//! `din council …`: the council's members move, vote on and close motions, and enact runtime
//! upgrades.
//!
//! An upgrade takes two motions of two thirds of the council (pallet-whitelist over
//! pallet-preimage): `whitelist-upgrade` notes the new runtime's `System::set_code` call as a
//! preimage and moves a motion to whitelist its hash; once that motion is closed,
//! `enact-upgrade` moves the motion that dispatches the call as Root. Each motion passes when
//! enough members `vote` aye (its mover's aye is cast with it) and anyone `close`s it.

use std::path::{Path, PathBuf};

use clap::Subcommand;
use din_chain::{Chain, Closed, Council, Proposal, RuntimeUpgrade, H256};

use crate::common::{ChainArgs, SignerArgs};

/// `System::set_code` takes runtime code up to this size after decompression (the node's
/// bomb limit for code blobs).
const MAX_RUNTIME_CODE: usize = sp_maybe_compressed_blob::CODE_BLOB_BOMB_LIMIT;

/// The `din council` subcommands.
#[derive(Debug, Subcommand)]
pub enum CouncilCommand {
	/// Show the members and the open motions.
	Show {
		#[command(flatten)]
		chain: ChainArgs,
		/// Print JSON.
		#[arg(long)]
		json: bool,
	},
	/// Note a new runtime's `System::set_code` call as a preimage (holding its deposit)
	/// and move the motion that whitelists it, with the signer's aye; prints the motion's
	/// hash.
	WhitelistUpgrade(UpgradeArgs),
	/// Move the motion that dispatches a whitelisted runtime upgrade as Root, with the
	/// signer's aye; prints the motion's hash.
	EnactUpgrade(UpgradeArgs),
	/// Vote on a motion (aye unless --nay).
	Vote {
		/// The motion's hash (`din council show`).
		#[arg(long)]
		motion: H256,
		/// Vote nay.
		#[arg(long)]
		nay: bool,
		#[command(flatten)]
		signer: SignerArgs,
		#[command(flatten)]
		chain: ChainArgs,
	},
	/// Close a decided motion (or any, after its voting period): a passed one runs.
	Close {
		/// The motion's hash (`din council show`).
		#[arg(long)]
		motion: H256,
		#[command(flatten)]
		signer: SignerArgs,
		#[command(flatten)]
		chain: ChainArgs,
	},
}

/// A runtime upgrade's two motions: the runtime and who moves them where.
#[derive(Debug, clap::Args)]
pub struct UpgradeArgs {
	/// The runtime: a wasm blob, compressed (`*.compact.compressed.wasm`) or not.
	#[arg(long)]
	wasm: PathBuf,
	#[command(flatten)]
	signer: SignerArgs,
	#[command(flatten)]
	chain: ChainArgs,
}

impl UpgradeArgs {
	/// The signer, the connection, and `System::set_code(runtime)` weighed on it.
	async fn open(&self) -> anyhow::Result<(din_chain::Signer, Chain, RuntimeUpgrade)> {
		let signer = self.signer.signer()?;
		let chain = self.chain.connect().await?;
		let upgrade = chain.runtime_upgrade(runtime_code(&self.wasm)?).await?;
		Ok((signer, chain, upgrade))
	}
}

pub async fn run(command: CouncilCommand) -> anyhow::Result<()> {
	match command {
		CouncilCommand::Show { chain, json } => {
			let council = chain.connect().await?.council().await?;
			if json {
				println!("{}", council_json(&council));
			} else {
				print_council(&council);
			}
		},
		CouncilCommand::WhitelistUpgrade(args) => {
			let (signer, chain, upgrade) = args.open().await?;
			if chain.is_whitelisted(upgrade.call_hash).await? {
				anyhow::bail!(
					"the upgrade {:?} is whitelisted already: `din council enact-upgrade`",
					upgrade.call_hash
				);
			}
			chain.note_preimage(&signer, upgrade.call.clone()).await?;
			println!(
				"noted the upgrade's call ({} bytes) as preimage {:?}",
				upgrade.call.len(),
				upgrade.call_hash
			);
			propose(&chain, &signer, Chain::whitelist_motion(&upgrade), "whitelist").await?;
		},
		CouncilCommand::EnactUpgrade(args) => {
			let (signer, chain, upgrade) = args.open().await?;
			if !chain.is_whitelisted(upgrade.call_hash).await? {
				anyhow::bail!(
					"the upgrade {:?} is not whitelisted: `din council whitelist-upgrade` first, \
					 and close its motion",
					upgrade.call_hash
				);
			}
			// The preimage is what the dispatch runs: note it if the first step's was taken.
			chain.note_preimage(&signer, upgrade.call.clone()).await?;
			propose(&chain, &signer, Chain::dispatch_motion(&upgrade), "enact").await?;
		},
		CouncilCommand::Vote { motion, nay, signer, chain } => {
			let signer = signer.signer()?;
			chain.connect().await?.vote_motion(&signer, motion, !nay).await?;
			println!("voted {} on {motion:?}", if nay { "nay" } else { "aye" });
		},
		CouncilCommand::Close { motion, signer, chain } => {
			let signer = signer.signer()?;
			let chain = chain.connect().await?;
			let before = chain.spec_version().await?;
			match chain.close_motion(&signer, motion).await? {
				Closed::Executed => println!("{motion:?} passed and was executed"),
				Closed::Disapproved => println!("{motion:?} was disapproved"),
			}
			let after = chain.spec_version().await?;
			if after != before {
				println!("the runtime was upgraded: spec_version {before} -> {after}");
			}
		},
	}
	Ok(())
}

/// Moves `call` as a motion of two thirds of the council and prints its hash.
async fn propose(
	chain: &Chain,
	signer: &din_chain::Signer,
	call: din_chain::din::runtime_types::din_runtime::RuntimeCall,
	what: &str,
) -> anyhow::Result<()> {
	let threshold = chain.council().await?.two_thirds();
	match chain.propose_motion(signer, call, threshold).await? {
		Proposal::Open { hash, index } => {
			// The proposer's aye is not implied by its motion.
			chain.vote_motion(signer, hash, true).await?;
			println!(
				"moved the {what} motion {hash:?} (#{index}) and voted aye; it passes with \
				 {threshold} ayes: `din council vote --motion {hash:?}`, then \
				 `din council close --motion {hash:?}`"
			)
		},
		Proposal::Executed { hash } => println!("the {what} motion {hash:?} was executed at once"),
	}
	Ok(())
}

/// The runtime code in `path`, compressed as `System::set_code` takes it (a raw runtime is
/// several times larger than a preimage may be).
fn runtime_code(path: &Path) -> anyhow::Result<Vec<u8>> {
	let blob = std::fs::read(path)
		.map_err(|e| anyhow::anyhow!("cannot read the runtime {}: {e}", path.display()))?;
	let code = sp_maybe_compressed_blob::decompress(&blob, MAX_RUNTIME_CODE).map_err(|e| {
		anyhow::anyhow!("{} is no runtime code the chain would accept: {e}", path.display())
	})?;
	if !code.starts_with(b"\0asm") {
		anyhow::bail!("{} is not a wasm runtime (no wasm header)", path.display());
	}
	if blob.len() < code.len() {
		return Ok(blob);
	}
	sp_maybe_compressed_blob::compress_weakly(&code, MAX_RUNTIME_CODE)
		.ok_or_else(|| anyhow::anyhow!("{} does not compress below the limit", path.display()))
}

/// The council as `din council show --json` gives it.
fn council_json(council: &Council) -> serde_json::Value {
	let accounts =
		|list: &[din_chain::AccountId32]| list.iter().map(|a| a.to_string()).collect::<Vec<_>>();
	serde_json::json!({
		"members": accounts(&council.members),
		"two_thirds": council.two_thirds(),
		"motions": council.motions.iter().map(|motion| serde_json::json!({
			"hash": format!("{:?}", motion.hash),
			"index": motion.index,
			"call": motion.call,
			"threshold": motion.threshold,
			"ayes": accounts(&motion.ayes),
			"nays": accounts(&motion.nays),
			"end": motion.end,
		})).collect::<Vec<_>>(),
	})
}

fn print_council(council: &Council) {
	println!("members ({}; two thirds is {}):", council.members.len(), council.two_thirds());
	for member in &council.members {
		println!("  {member}");
	}
	if council.motions.is_empty() {
		println!("no open motions");
	}
	for motion in &council.motions {
		println!(
			"motion {:?} (#{}): {}, {} of {} ayes, {} nays, voting ends at block {}",
			motion.hash,
			motion.index,
			motion.call,
			motion.ayes.len(),
			motion.threshold,
			motion.nays.len(),
			motion.end
		);
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn a_raw_runtime_is_compressed_and_a_compressed_one_kept() {
		let dir = tempfile::tempdir().unwrap();
		let code = [b"\0asm".as_slice(), &[0u8; 4096]].concat();
		let raw = dir.path().join("raw.wasm");
		std::fs::write(&raw, &code).unwrap();
		let compressed = runtime_code(&raw).unwrap();
		assert!(compressed.len() < code.len());
		assert_eq!(
			sp_maybe_compressed_blob::decompress(&compressed, MAX_RUNTIME_CODE).unwrap(),
			code
		);

		let again = dir.path().join("compressed.wasm");
		std::fs::write(&again, &compressed).unwrap();
		assert_eq!(runtime_code(&again).unwrap(), compressed);
	}

	#[test]
	fn a_file_that_is_no_runtime_is_refused() {
		let dir = tempfile::tempdir().unwrap();
		let path = dir.path().join("notes.txt");
		std::fs::write(&path, b"not a runtime").unwrap();
		let error = runtime_code(&path).unwrap_err().to_string();
		assert!(error.contains("not a wasm runtime"), "{error}");
	}
}
