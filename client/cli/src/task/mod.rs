//! `din task …`: what a model owner does, and how anyone follows a task.
//!
//! - `create` builds the genesis model, commits and encrypts the test set, runs the
//!   Groth16 setup (for `--scoring zk`), publishes the artifacts to the owner's block
//!   store, registers the verifying key and creates the task. The owner's secrets (the
//!   test-set key) and the CIDs evaluators need (the proving key) go to
//!   `--owner-dir/task-<id>.json`.
//! - `release-key` releases the test-set key once the task is in its Scoring phase
//!   (`--wait` waits for it); a median-scored task takes it only in the first half of the
//!   phase, so that its panels can commit their scores before Scoring ends.
//! - `extend` adds rounds and tops up the pool; `end` ends training after the current round.
//! - `unregister-key` removes the verifying key of an ended `--scoring zk` task and
//!   releases its deposit.
//! - `status` prints the task and per-round progress; `watch` follows it to the end,
//!   evaluating each new global model and collecting scores, payouts and slashes.
//!
//! One file per subcommand: [`create`], [`release_key`], [`status`], [`watch`].
//!
//! The owner's artifacts are written into `--store-dir`, which a `din store serve` on the
//! same directory announces to the network.

use std::path::{Path, PathBuf};

use clap::Subcommand;
use serde::{Deserialize, Serialize};

use din_chain::din;
use din_chain::types::ScoringRule;

use crate::common::{format_amount, ChainArgs, SignerArgs, TokenAmount};
use crate::invalid;

mod create;
pub(crate) mod events;
mod release_key;
pub(crate) mod status;
mod watch;

pub use create::CreateArgs;
pub use watch::WatchArgs;

/// The `din task` subcommands.
#[derive(Debug, Subcommand)]
pub enum TaskCommand {
	/// Create a task: genesis model, committed test set, Groth16 keys, escrowed reward.
	Create(Box<CreateArgs>),
	/// Release the test-set key of a task (owner only, during Scoring; a median-scored
	/// task takes it only while half of Scoring remains).
	ReleaseKey {
		/// The task whose test-set key is released (the signer must own it).
		#[arg(long)]
		task: u32,
		/// Where `create` wrote the task's owner file.
		#[arg(long, env = "DIN_OWNER_DIR")]
		owner_dir: PathBuf,
		/// Wait for the Scoring phase instead of failing before it.
		#[arg(long)]
		wait: bool,
		#[command(flatten)]
		signer: SignerArgs,
		#[command(flatten)]
		chain: ChainArgs,
	},
	/// Add rounds to a running task, with a top-up that keeps its pool per round (owner
	/// only, before Scoring).
	Extend {
		/// The task to extend.
		#[arg(long)]
		task: u32,
		/// Rounds to add.
		#[arg(long)]
		rounds: u32,
		/// Added to the pool, in whole units of the pool's asset (DIN, or the asset the task
		/// was funded in); at least the pool's share of the added rounds (pool × added /
		/// rounds).
		#[arg(long, value_parser = TokenAmount::parse)]
		top_up: TokenAmount,
		#[command(flatten)]
		signer: SignerArgs,
		#[command(flatten)]
		chain: ChainArgs,
	},
	/// End a task's training after its current round; Scoring follows and the whole pool
	/// is shared by the contributions so far (owner only, during a round).
	End {
		/// The task whose training ends.
		#[arg(long)]
		task: u32,
		#[command(flatten)]
		signer: SignerArgs,
		#[command(flatten)]
		chain: ChainArgs,
	},
	/// Unregister the Groth16 verifying key a task was scored with and get its deposit
	/// back (only the account that registered it, usually the task's owner, and only once
	/// no task that has not ended names it).
	UnregisterKey {
		/// The ended task whose verifying key is unregistered.
		#[arg(long)]
		task: u32,
		#[command(flatten)]
		signer: SignerArgs,
		#[command(flatten)]
		chain: ChainArgs,
	},
	/// Print a task and its per-round progress.
	Status {
		/// The task to show.
		#[arg(long)]
		task: u32,
		/// Print JSON.
		#[arg(long)]
		json: bool,
		#[command(flatten)]
		chain: ChainArgs,
	},
	/// Follow a task to its end: phases, global models (evaluated on `--eval-data`),
	/// scores, payouts, slashes, final balances.
	Watch(WatchArgs),
}

/// What `create` leaves the owner (and tells evaluators): `--owner-dir/task-<id>.json`.
#[derive(Debug, Serialize, Deserialize)]
pub struct OwnerFile {
	/// `None` in the pending file written before the task exists.
	pub task: Option<u32>,
	/// The test-set key, hex; secret until `release-key`.
	pub test_key: String,
	pub genesis_cid: String,
	pub test_set_cid: String,
	/// The Groth16 proving key evaluators need (`din evaluator run --proving-key`).
	pub proving_key_cid: Option<String>,
	pub test_samples: usize,
}

fn owner_file(dir: &Path, task: u32) -> PathBuf {
	dir.join(format!("task-{task}.json"))
}

pub async fn run(command: TaskCommand) -> anyhow::Result<()> {
	match command {
		TaskCommand::Create(args) => create::create(*args).await,
		TaskCommand::ReleaseKey { task, owner_dir, wait, signer, chain } => {
			release_key::release_key(task, &owner_dir, wait, signer, chain).await
		},
		TaskCommand::Extend { task, rounds, top_up, signer, chain } => {
			let signer = signer.signer()?;
			let chain = chain.connect().await?;
			let info = crate::common::existing_task(&chain, task).await?;
			let unit = chain.denomination(&info.spec.reward.asset).await?;
			let top_up = top_up.in_units(&unit)?;
			chain.extend_task(&signer, task, rounds, top_up).await?;
			println!(
				"task {task}: {rounds} more rounds, {} added to the pool",
				unit.format(top_up)
			);
			Ok(())
		},
		TaskCommand::UnregisterKey { task, signer, chain } => {
			let signer = signer.signer()?;
			let chain = chain.connect().await?;
			let info = crate::common::existing_task(&chain, task).await?;
			let ScoringRule::ZkAccuracy { vk } = info.spec.scoring else {
				return Err(invalid!("task {task} is not scored with Groth16 proofs: no key"));
			};
			let included = chain.unregister_verifying_key(&signer, vk).await?;
			let unregistered = included
				.events
				.find_first::<din::evaluation::events::VerifyingKeyUnregistered>()
				.transpose()
				.map_err(|e| anyhow::anyhow!("decoding VerifyingKeyUnregistered: {e}"))?
				.ok_or_else(|| {
					anyhow::anyhow!("unregister_verifying_key succeeded without its event")
				})?;
			println!(
				"unregistered verifying key {vk:?} of task {task}: deposit of {} released",
				format_amount(unregistered.deposit)
			);
			Ok(())
		},
		TaskCommand::End { task, signer, chain } => {
			let signer = signer.signer()?;
			chain.connect().await?.end_training(&signer, task).await?;
			println!("task {task}: training ends after the current round");
			Ok(())
		},
		TaskCommand::Status { task, json, chain } => status::status(task, json, chain).await,
		TaskCommand::Watch(args) => watch::watch(args).await,
	}
}
