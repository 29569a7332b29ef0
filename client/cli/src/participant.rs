//! `din participant run`: the participant daemon.
//!
//! Bonds (if the bond is short of the task's minimum) and joins the task, then at every
//! best block looks at the task's phase. In Training of a round it has been assigned to,
//! it fetches the current global model (the newest one the chain fixed, else the genesis
//! model) and checks it against its on-chain commitment, trains on its local data (which
//! never leaves the machine), encodes the update naming its own account as the author
//! (`din_primitives::update_author`) and submits `(cid, commitment, samples)`. It exits when
//! the task finishes.
//!
//! *The model a round trains from* ([`crate::common::trained_from`]): the newest model the
//! chain fixed, or, while the next round's evaluators vote on the previous round's global
//! model (pipelined, every round after the first but the last's extensions), that model as
//! the daemon combines it from the previous round's accepted aggregates: it is a
//! deterministic function of what the chain fixed, and its voters publish it only with
//! their reveals.
//!
//! *A block ahead.* In the last block of a round's AggregationReveal
//! ([`crate::follow::ends_next`]) the reveals are final, and so is every subgroup's
//! majority and the global model they combine into ([`crate::common::global_model_of`]):
//! the daemon trains the next round from it then, so that its update lands in the block
//! that starts the round rather than the one after.
//!
//! *Withheld until Training closes* ([`crate::withheld`]). The update is published to the
//! store only once no update can join the round any more. Its author binds it to this account
//! (evaluators refuse a copy of its `(cid, commitment)` submitted by anyone else, whichever
//! block the copy lands in), and withholding the bytes while updates can still be submitted
//! keeps anyone from re-encoding the values under their own name. Evaluators wait for a
//! missing update through the first half of the aggregation commit phase
//! (`din_fl::duty::waits_for_updates`); the daemon publishes at the first block it sees
//! whose successor ends Training ([`crate::follow::training_ends_next`]: that end runs
//! before any transaction of the successor), so that the panels can fetch it as the commit
//! phase opens.
//!
//! *Asynchronous tasks* (`Pacing::Asynchronous`, FedBuff). A round's Training closes once
//! its buffer of updates is in, so a participant slower than a round does not wait for a
//! round of its own: it keeps one update in progress, trained from the model of the round
//! it started in, and submits it in the first round it is ready in (as a stale update,
//! `submit_stale_update`, while it is at most the task's `max_staleness` rounds old; an
//! older one is dropped), a block ahead as a fresh one, then starts the next from the
//! following round's model (the chain refuses a stale update from a model older than its
//! participant's last submission). Its evaluators rebase it onto their round's model with
//! a staleness weight, and it is paid that share of its accuracy over the model it trained
//! from. An update that missed its round's buffer is submitted the same way in the next.
//! `--train-blocks` makes a fast machine such a straggler, for tests.
//!
//! Restart safety ([`crate::state`]): the update of a round is saved (and withheld) before
//! it is submitted, and the chain is asked before submitting, so a restarted daemon
//! re-submits the saved update (not a retrained one) if and only if the chain does not
//! have it, and publishes it once Training is over.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::{Args, Subcommand};
use din_chain::{types::TaskPhase, AccountId32, Chain, Signer, H256};
use din_fl::recipe::{Optimizer as RecipeOptimizer, TrainingRecipe};
use din_fl::Update;
use din_ml::optim::ParamsSgd;
use din_ml::poisoning::Poisoning;
use din_ml::train::{OptimizerConfig, ParamsAdamW, TrainConfig};
use din_store::Store;
use serde::{Deserialize, Serialize};

use crate::common::{
	cid_to_chain, commitment_of, ChainArgs, CsvArgs, DataSource, SignerArgs, StoreArgs,
};
use crate::follow::Follower;
use crate::invalid;
use crate::state::StateFile;

mod secure;

/// The `din participant` subcommands.
#[derive(Debug, Subcommand)]
pub enum ParticipantCommand {
	/// Join a task and train every round until it finishes.
	Run(Box<RunArgs>),
}

/// A deliberately harmful update, for exercising the defences in tests and demos.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Attack {
	/// A poisoned model or poisoned training data (`din_ml::poisoning`).
	Poison(Poisoning),
	/// Train nothing: submit another participant's update of the round (its CID,
	/// commitment and sample count) once it is on chain.
	Copy,
	/// Claim `u64::MAX` samples for the trained update, to outweigh every other one.
	InflateSamples,
	/// In a task with a privacy policy, publish the trained update as it is: neither
	/// clipped nor noised.
	SkipPrivacy,
	/// In a secure-aggregation task, upload the masked update and never hand over any
	/// share: a member that drops out after uploading (tests kill it then).
	SkipHandOver,
}

impl std::str::FromStr for Attack {
	type Err = String;

	fn from_str(s: &str) -> Result<Self, String> {
		match s {
			"copy" => Ok(Attack::Copy),
			"inflate-samples" => Ok(Attack::InflateSamples),
			"skip-privacy" => Ok(Attack::SkipPrivacy),
			"skip-hand-over" => Ok(Attack::SkipHandOver),
			_ => s
				.parse()
				.map(Attack::Poison)
				.map_err(|e| format!("{e}, copy, inflate-samples, skip-privacy or skip-hand-over")),
		}
	}
}

/// `din participant run`.
#[derive(Debug, Args)]
pub struct RunArgs {
	/// The task to join.
	#[arg(long)]
	pub task: u32,
	/// Local training data: `digits` (the UCI digits' training split), `digits:K/N` (share K
	/// of N of it), `csv:PATH` (a numeric CSV, read as the CSV options below say) or
	/// `idx:DIR` (an MNIST-format directory).
	#[arg(long)]
	pub data: DataSource,
	#[command(flatten)]
	pub csv: CsvArgs,
	/// Local epochs per round [default: the task's recipe, else 5]. The training flags
	/// override the recipe the task's owner recorded (`din task status` shows it); a flag
	/// left out takes the recipe's value.
	#[arg(long)]
	pub epochs: Option<usize>,
	/// Learning rate of the optimizer [default: the task's recipe (decayed per round as it
	/// says), else 0.05].
	#[arg(long, value_parser = positive)]
	pub lr: Option<f64>,
	/// Local optimizer: sgd (momentum 0.9) or adamw (candle-nn's defaults besides the
	/// learning rate) [default: the task's recipe, else sgd].
	#[arg(long, value_enum)]
	pub optimizer: Option<Optimizer>,
	/// FedProx: add (mu/2)·‖w − global‖² to the local loss, which keeps the local model
	/// near the global one on skewed (non-IID) data [default: the task's recipe, else none].
	#[arg(long, value_parser = positive)]
	pub fedprox_mu: Option<f64>,
	/// Mini-batch size [default: the task's recipe, else 16].
	#[arg(long)]
	pub batch_size: Option<usize>,
	/// Seed of the local shuffles (mixed with the round).
	#[arg(long, default_value_t = 0)]
	pub seed: u64,
	/// Behave as a device whose training takes this many blocks (a straggler, for tests):
	/// an update is submitted no sooner than this many blocks after its training began.
	/// In an asynchronous task it then lands as a stale update of a later round; in a
	/// synchronous one it misses every round whose Training closes first.
	#[arg(long, value_name = "BLOCKS", default_value_t = 0)]
	pub train_blocks: u64,
	/// Directory of this daemon's state (one daemon per directory).
	#[arg(long, env = "DIN_STATE_DIR")]
	pub state_dir: PathBuf,
	/// Send a harmful update instead of the trained one (testing the defences):
	/// sign-flip:FACTOR, replace:BOOST, gaussian:SIGMA, label-flip, alie:Z, ipm:EPSILON (a
	/// lone process colludes with itself only), copy, inflate-samples, skip-privacy or
	/// skip-hand-over.
	#[arg(long, hide = true)]
	pub attack: Option<Attack>,
	#[command(flatten)]
	pub signer: SignerArgs,
	#[command(flatten)]
	pub chain: ChainArgs,
	#[command(flatten)]
	pub store: StoreArgs,
	#[command(flatten)]
	pub metrics: crate::metrics::MetricsArgs,
}

/// The local optimizer of `--optimizer`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Optimizer {
	/// SGD with momentum 0.9.
	Sgd,
	/// AdamW.
	#[value(name = "adamw")]
	AdamW,
}

/// A finite number above zero.
fn positive(s: &str) -> Result<f64, String> {
	match s.parse::<f64>() {
		Ok(value) if value.is_finite() && value > 0.0 => Ok(value),
		_ => Err(format!("`{s}`: expected a number above 0")),
	}
}

impl RunArgs {
	/// The local training of `round`: the flags' optimizer, epochs and batches, FedProx if
	/// asked, shuffles seeded by `--seed` and the round.
	/// The training of `round`: each flag given, else the task's `recipe`, else the
	/// daemon's default.
	fn train_config(&self, round: u32, recipe: Option<&TrainingRecipe>) -> TrainConfig {
		let optimizer = self.optimizer.unwrap_or(match recipe.map(|r| r.optimizer) {
			Some(RecipeOptimizer::AdamW) => Optimizer::AdamW,
			Some(RecipeOptimizer::SgdMomentum) | None => Optimizer::Sgd,
		});
		let lr = self.lr.unwrap_or_else(|| recipe.map_or(0.05, |r| r.learning_rate_at(round)));
		let optimizer = match optimizer {
			Optimizer::Sgd => {
				OptimizerConfig::Sgd(ParamsSgd { lr, momentum: 0.9, ..Default::default() })
			},
			Optimizer::AdamW => OptimizerConfig::AdamW(ParamsAdamW { lr, ..Default::default() }),
		};
		let recipe_mu = recipe.map(|r| f64::from(r.fedprox_mu)).filter(|mu| *mu > 0.0);
		TrainConfig {
			epochs: self.epochs.unwrap_or(recipe.map_or(5, |r| usize::from(r.epochs))),
			batch_size: self.batch_size.unwrap_or(recipe.map_or(16, |r| usize::from(r.batch_size))),
			optimizer,
			seed: self.seed.wrapping_mul(1_000_003).wrapping_add(u64::from(round)),
			proximal_mu: self.fedprox_mu.or(recipe_mu),
		}
	}
}

/// What the daemon remembers across restarts.
#[derive(Debug, Default, Serialize, Deserialize)]
struct ParticipantState {
	/// Round → the update made for it (saved before submitting).
	updates: BTreeMap<u32, SavedUpdate>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct SavedUpdate {
	cid: String,
	/// Hex of the commitment.
	commitment: String,
	samples: u64,
	/// The round the chain recorded it in, once submitted: the round whose Training must
	/// close before it is published (its own, unless a stale update of an asynchronous
	/// task). `None` in state files from before asynchronous tasks, whose updates were
	/// submitted in their own rounds.
	#[serde(default)]
	submitted_in: Option<u32>,
	/// The first block it may be submitted at (`--train-blocks` after its training began).
	#[serde(default)]
	ready_at: u64,
}

pub async fn run(command: ParticipantCommand) -> anyhow::Result<()> {
	match command {
		ParticipantCommand::Run(args) => Daemon::start(*args).await?.run().await,
	}
}

struct Daemon {
	args: RunArgs,
	metrics: crate::metrics::Metrics,
	signer: Signer,
	me: AccountId32,
	chain: Chain,
	store: Store,
	data: din_ml::data::Dataset,
	state: StateFile<ParticipantState>,
	/// Rounds whose update this run has published (or announced again).
	published: BTreeSet<u32>,
	/// The current round of a secure-aggregation task ([`secure`]).
	secure: Option<secure::SecureRound>,
}

impl Daemon {
	async fn start(args: RunArgs) -> anyhow::Result<Self> {
		let signer = args.signer.signer()?;
		let me = signer.account_id();
		std::fs::create_dir_all(&args.state_dir)
			.with_context(|| format!("creating {}", args.state_dir.display()))?;
		let state =
			StateFile::open(args.state_dir.join(format!("participant-task-{}.json", args.task)))?;
		let chain = args.chain.connect_following().await?;
		// The task's classes, so that a shard lacking one still has the task's schema; its
		// preprocessing is applied to a copy for each round's training (`task_data`).
		let (classes, model) = match chain.task(args.task).await? {
			Some(info) => {
				let model = crate::common::task_model(&info)?;
				(Some(model.spec.classes() as usize), Some(model))
			},
			None => (None, None),
		};
		let data = args.data.load_with(&args.csv, classes)?;
		if let Some(model) = &model {
			// A file of the wrong width stops the daemon now, not at its first round.
			crate::common::task_data(&data, model)?;
		}
		let store = args.store.start().await?;
		let metrics = args.metrics.start(&store).await?;
		tracing::info!(target: "din", "participant {me}: {} local samples, store peer {}", data.len(), store.peer_id());
		Ok(Self {
			args,
			metrics,
			signer,
			me,
			chain,
			store,
			data,
			state,
			published: BTreeSet::new(),
			secure: None,
		})
	}

	async fn run(mut self) -> anyhow::Result<()> {
		let task = self.args.task;
		self.join().await?;
		let secure = match self.chain.task(task).await? {
			Some(info) => info.spec.aggregation.is_secure(),
			None => false,
		};
		if secure {
			crate::common::retry_refused("registering the share key", || self.register_share_key())
				.await?;
		}
		// Bonded now: evaluators will dial this store first for our updates.
		let address = self.args.store.announced_peer(&self.store)?;
		crate::common::record_store_peer(&self.chain, &self.signer, address).await?;
		let mut follower = Follower::new(Duration::from_millis(500));
		loop {
			let block = follower.next(&self.chain).await;
			let info = match self.chain.task(task).await {
				Ok(Some(info)) => info,
				Ok(None) => return Err(invalid!("task {task} does not exist")),
				Err(error) => {
					tracing::warn!(target: "din", "#{block}: reading task {task} failed: {error}");
					continue;
				},
			};
			match info.phase {
				TaskPhase::Finished | TaskPhase::Cancelled => {
					tracing::info!(
						target: "din",
						"task {task} is {:?}; exiting (peak memory {} MiB)",
						info.phase,
						crate::common::peak_memory_mib().unwrap_or_default()
					);
					return Ok(());
				},
				TaskPhase::Training if secure => {
					if let Err(error) = self.secure_step(&info, block).await {
						self.metrics.duty_failures.with_label_values(&["train"]).inc();
						tracing::warn!(target: "din", "#{block}: round {}: {error:#} (retrying next block)", info.round + 1);
					}
				},
				TaskPhase::Training => {
					let done = match asynchronous(&info) {
						Some(max_staleness) => {
							self.train_asynchronously(&info, block, max_staleness).await
						},
						None => self.train_round(&info, block).await,
					};
					if let Err(error) = done {
						self.metrics.duty_failures.with_label_values(&["train"]).inc();
						tracing::warn!(target: "din", "#{block}: round {}: {error:#} (retrying next block)", info.round + 1);
					}
				},
				TaskPhase::AggregationReveal
					if !secure
						&& crate::follow::ends_next(&info, block)
						&& info.round.saturating_add(1) < info.spec.rounds =>
				{
					if let Err(error) = self.train_ahead(&info, block).await {
						tracing::debug!(target: "din", "#{block}: round {}, ahead of its start: {error:#}", info.round + 2);
					}
				},
				_ => {},
			}
			if let Err(error) = self.publish_closed_rounds(&info, block).await {
				self.metrics.duty_failures.with_label_values(&["publish"]).inc();
				tracing::warn!(target: "din", "#{block}: publishing an update: {error:#} (retrying next block)");
			}
		}
	}

	/// Publishes the withheld update of every round whose Training is over: the rounds
	/// before the current one, and the current one from the last block of its Training
	/// ([`crate::follow::training_ends_next`]: nothing can be submitted after it, and the
	/// evaluators can fetch it as the commit phase opens). An update published by an
	/// earlier run is announced again, in case the store restarted since.
	async fn publish_closed_rounds(
		&mut self,
		info: &din_chain::types::TaskInfo,
		block: u64,
	) -> anyhow::Result<()> {
		let training_open = match info.phase {
			TaskPhase::Registration => true,
			TaskPhase::Training => !crate::follow::training_ends_next(info, block),
			_ => false,
		};
		// An asynchronous task's update is published once the round it was submitted in has
		// closed; one still in progress may be submitted in a later round, and stays withheld.
		let asynchronous = asynchronous(info).is_some();
		let closed: Vec<(u32, u32, String)> = self
			.state
			.value
			.updates
			.iter()
			.filter_map(|(round, saved)| {
				let submitted_in = match saved.submitted_in {
					Some(submitted_in) => submitted_in,
					None if asynchronous => return None,
					None => *round,
				};
				(submitted_in < info.round || (submitted_in == info.round && !training_open))
					.then(|| (*round, submitted_in, saved.cid.clone()))
			})
			.filter(|(round, ..)| !self.published.contains(round))
			.collect();
		for (round, submitted_in, cid) in closed {
			if crate::withheld::publish(&self.args.state_dir, &self.store, &cid).await? {
				self.metrics.updates_published.inc();
				tracing::info!(target: "din", "round {}: Training is over; published {cid}", submitted_in + 1);
			} else {
				// Published before a restart, or a copy that was never ours to publish.
				self.store.pin(&din_store::parse_cid(&cid)?).await.ok();
			}
			self.published.insert(round);
		}
		Ok(())
	}

	/// Bonds up to the task's minimum and joins, unless already joined; a refused
	/// transaction is tried again after reading the chain anew
	/// ([`crate::common::retry_refused`]).
	async fn join(&self) -> anyhow::Result<()> {
		let task = self.args.task;
		crate::common::retry_refused("joining the task", || async {
			let info = self
				.chain
				.task(task)
				.await?
				.ok_or_else(|| invalid!("task {task} does not exist"))?;
			if self.chain.participants(task).await?.contains(&self.me) {
				return Ok(());
			}
			let role = din_chain::types::Role::Participant;
			let bonded = self
				.chain
				.ledger(&self.me, role.clone())
				.await?
				.map(|l| l.active - l.locked)
				.unwrap_or(0);
			let needed = info.spec.min_participant_bond;
			if bonded < needed {
				self.chain.bond(&self.signer, role, needed - bonded).await?;
			}
			self.chain.join_task(&self.signer, task).await?;
			tracing::info!(target: "din", "joined task {task}");
			Ok(())
		})
		.await
	}

	async fn train_round(
		&mut self,
		info: &din_chain::types::TaskInfo,
		block: u64,
	) -> anyhow::Result<()> {
		let (task, round) = (self.args.task, info.round);
		match self.chain.assignment(task, &self.me).await? {
			Some((assigned, _)) if assigned == round => {},
			_ => return Ok(()), // not in this round's snapshot
		}
		if self.chain.update(task, round, &self.me).await?.is_some() {
			return Ok(());
		}
		let saved = match self.state.value.updates.get(&round) {
			Some(saved) => saved.clone(),
			None => {
				let saved = match self.args.attack {
					Some(Attack::Copy) => self.copy_an_update(info).await?,
					_ => {
						let trained_from = crate::common::trained_from(
							&self.chain,
							&self.store,
							task,
							info,
							round,
						)
						.await?;
						self.make_update(info, round, trained_from, block).await?
					},
				};
				self.state.value.updates.insert(round, saved.clone());
				self.state.save()?;
				saved
			},
		};
		if saved.ready_at > block {
			return Ok(()); // still training (--train-blocks)
		}
		self.submit(round, round, &saved).await
	}

	/// An asynchronous task's Training block (module docs): submits the newest update
	/// ready within `max_staleness` rounds unless one is in this round already, and starts
	/// the next update from this round's model once none is in progress.
	async fn train_asynchronously(
		&mut self,
		info: &din_chain::types::TaskInfo,
		block: u64,
		max_staleness: u32,
	) -> anyhow::Result<()> {
		let (task, round) = (self.args.task, info.round);
		match self.chain.assignment(task, &self.me).await? {
			Some((assigned, _)) if assigned == round => {},
			_ => return Ok(()), // not in this round's snapshot
		}
		let recorded = self.chain.update(task, round, &self.me).await?;
		let updates = &mut self.state.value.updates;
		if let Some(recorded) = &recorded {
			// Submitted before a restart that came before the state was saved.
			let cid = crate::common::cid_from_chain(&recorded.cid.0)?.to_string();
			if let Some(saved) = updates.values_mut().find(|saved| saved.cid == cid) {
				saved.submitted_in.get_or_insert(round);
			}
		}
		let ready = ready_to_submit(updates, round, block, max_staleness);
		self.state.save()?;
		if recorded.is_none() {
			if let Some(from) = ready {
				let saved = self.state.value.updates[&from].clone();
				return self.submit(round, from, &saved).await;
			}
		}
		// The next update trains from a model newer than the last one submitted (the chain
		// refuses an older claim, `TrainedBeforeItsLastUpdate`): after a submission in this
		// round it starts from the next round's, ahead of it (`train_ahead`) or in it.
		let in_progress = self.state.value.updates.values().any(|s| s.submitted_in.is_none());
		if recorded.is_some() || in_progress || self.state.value.updates.contains_key(&round) {
			return Ok(());
		}
		let trained_from =
			crate::common::trained_from(&self.chain, &self.store, task, info, round).await?;
		let saved = self.make_update(info, round, trained_from, block).await?;
		self.state.value.updates.insert(round, saved.clone());
		self.state.save()?;
		if saved.ready_at <= block {
			self.submit(round, round, &saved).await?;
		}
		Ok(())
	}

	/// Trains and submits the update of the next round in AggregationReveal's last block
	/// ([`crate::follow::ends_next`]), from the global model the reveals fix, so that it lands
	/// in the block that starts the round. The round deals every active participant of this
	/// one's shuffle, so an assignment now is one then. Whatever fails here (the round starts
	/// a block later, a store is slow) is done again in Training with the saved update. In
	/// an asynchronous task an update in progress goes first: submitted so, once ready.
	async fn train_ahead(
		&mut self,
		info: &din_chain::types::TaskInfo,
		block: u64,
	) -> anyhow::Result<()> {
		let (task, round) = (self.args.task, info.round.saturating_add(1));
		match self.chain.assignment(task, &self.me).await? {
			Some((assigned, _)) if assigned == info.round => {},
			_ => return Ok(()),
		}
		if self.args.attack == Some(Attack::Copy) {
			return Ok(()); // it waits for someone else's update
		}
		if let Some(max_staleness) = asynchronous(info) {
			// An update ready by the next round's first block lands in it, as a fresh one
			// does: a round whose buffer fills at once has a one-block Training.
			let updates = &mut self.state.value.updates;
			let ready = ready_to_submit(updates, round, block.saturating_add(1), max_staleness);
			self.state.save()?;
			if let Some(from) = ready {
				let saved = self.state.value.updates[&from].clone();
				return self.submit(round, from, &saved).await;
			}
			if self.state.value.updates.values().any(|s| s.submitted_in.is_none()) {
				return Ok(()); // one update at a time: the one in progress goes first
			}
		}
		let saved = match self.state.value.updates.get(&round) {
			Some(saved) => saved.clone(),
			None => {
				let settling = crate::common::global_model_of(
					&self.chain,
					&self.store,
					task,
					info,
					info.round,
					true,
				)
				.await?;
				let trained_from = match settling {
					Some(model) => crate::common::TrainedFrom::Combined(model),
					// No weight: the next round trains from what this one trained from.
					None => {
						crate::common::trained_from(
							&self.chain,
							&self.store,
							task,
							info,
							info.round,
						)
						.await?
					},
				};
				let saved = self.make_update(info, round, trained_from, block).await?;
				self.state.value.updates.insert(round, saved.clone());
				self.state.save()?;
				saved
			},
		};
		if saved.ready_at > block {
			return Ok(());
		}
		self.submit(round, round, &saved).await
	}

	/// Submits in `round` the saved update trained from round `from`'s model (a stale one
	/// where `from` is earlier), and records where it went.
	async fn submit(&mut self, round: u32, from: u32, saved: &SavedUpdate) -> anyhow::Result<()> {
		let task = self.args.task;
		let cid = din_store::parse_cid(&saved.cid)?;
		let commitment = din_chain::H256(
			hex::decode(&saved.commitment)?
				.try_into()
				.map_err(|_| invalid!("state: bad commitment"))?,
		);
		let chain_cid = cid_to_chain(&cid);
		if from == round {
			self.chain
				.submit_update(&self.signer, task, round, &chain_cid, commitment, saved.samples)
				.await?;
			tracing::info!(target: "din", "round {}: submitted {cid}", round + 1);
		} else {
			self.chain
				.submit_stale_update(
					&self.signer,
					task,
					round,
					from,
					&chain_cid,
					commitment,
					saved.samples,
				)
				.await?;
			tracing::info!(
				target: "din",
				"round {}: submitted {cid}, trained from round {}'s model ({} rounds stale)",
				round + 1,
				from + 1,
				round - from
			);
		}
		self.metrics.updates_submitted.inc();
		if let Some(saved) = self.state.value.updates.get_mut(&from) {
			saved.submitted_in = Some(round);
			self.state.save()?;
		}
		Ok(())
	}

	/// The first update of another participant in this round, as the chain records it.
	async fn copy_an_update(
		&self,
		info: &din_chain::types::TaskInfo,
	) -> anyhow::Result<SavedUpdate> {
		let (task, round) = (self.args.task, info.round);
		for other in self.chain.participants(task).await? {
			if other == self.me {
				continue;
			}
			if let Some(update) = self.chain.update(task, round, &other).await? {
				let cid = crate::common::cid_from_chain(&update.cid.0)?;
				tracing::info!(target: "din", "round {}: copied {other}'s update {cid} [attack]", round + 1);
				return Ok(SavedUpdate {
					cid: cid.to_string(),
					commitment: hex::encode(update.commitment.0),
					samples: update.num_samples,
					submitted_in: None,
					ready_at: 0,
				});
			}
		}
		Err(invalid!("no update of round {} to copy yet", round + 1))
	}

	/// Trains the update of `round` on `trained_from`, begun at `block`, and withholds it.
	async fn make_update(
		&self,
		info: &din_chain::types::TaskInfo,
		round: u32,
		trained_from: crate::common::TrainedFrom,
		block: u64,
	) -> anyhow::Result<SavedUpdate> {
		let update = self.train(info, round, trained_from).await?;
		let cid = crate::withheld::withhold(&self.args.state_dir, &update.encode()?)?;
		let ready_at = block.saturating_add(self.args.train_blocks);
		if self.args.train_blocks > 0 {
			let round = round + 1;
			tracing::info!(target: "din", "round {round}: withheld {cid}; ready at #{ready_at} (--train-blocks)");
		} else {
			tracing::info!(target: "din", "round {}: withheld {cid} until Training closes", round + 1);
		}
		Ok(SavedUpdate {
			cid,
			commitment: hex::encode(commitment_of(&update.values).0),
			samples: update.num_samples,
			submitted_in: None,
			ready_at,
		})
	}

	/// Trains the update of `round` on `trained_from`, privatized as the task's policy asks,
	/// with this participant as its author.
	async fn train(
		&self,
		info: &din_chain::types::TaskInfo,
		round: u32,
		trained_from: crate::common::TrainedFrom,
	) -> anyhow::Result<Update> {
		let model = crate::common::task_model(info)?;
		let own_data = crate::common::task_data(&self.data, &model)?;
		let spec = model.spec;
		let schema = spec.schema().map_err(|e| invalid!("{e:?}"))?;
		let global = trained_from.model(&self.store, &schema, Duration::from_secs(30)).await?;
		let config = self.args.train_config(round, model.recipe.as_ref());
		let started = Instant::now();
		let poisoning = match self.args.attack {
			Some(Attack::Poison(poisoning)) => Some(poisoning),
			_ => None,
		};
		let data = match poisoning {
			Some(poisoning) => poisoning.training_data(&own_data)?,
			None => own_data.into_owned(),
		};
		let spec2 = spec.clone();
		let global2 = global.clone();
		let local = tokio::task::spawn_blocking(move || {
			din_ml::federated::local_update(
				&spec2,
				&global2,
				&data,
				&config,
				&candle_core::Device::Cpu,
			)
		})
		.await??;
		let mut update: Update = match poisoning {
			// A lone process: its own model is all its colluders have.
			Some(poisoning) => {
				let colluders = std::slice::from_ref(&local.update);
				poisoning.poison(
					&spec,
					&global,
					local.update.clone(),
					colluders,
					u64::from(round),
				)?
			},
			None => local.update,
		};
		// The chain refuses a claim over the task's cap; more data than that weighs as much.
		update.num_samples = update.num_samples.min(info.spec.max_samples);
		if let Some(policy) = info.spec.privacy.as_deref() {
			if self.args.attack != Some(Attack::SkipPrivacy) {
				update = privatize(policy, update, &global, round)?;
			}
		}
		if self.args.attack == Some(Attack::InflateSamples) {
			update.num_samples = u64::MAX;
		}
		update.author = din_primitives::update_author(&self.me.0);
		let loss = local.report.epochs.last().map(|e| e.mean_loss).unwrap_or(f64::NAN);
		self.metrics.updates_trained.inc();
		self.metrics.training_seconds.observe(started.elapsed().as_secs_f64());
		tracing::info!(
			target: "din",
			"round {}: trained {} samples in {:.2?} (loss {loss:.4}){}",
			round + 1,
			update.num_samples,
			started.elapsed(),
			if self.args.attack.is_some() { " [attack]" } else { "" }
		);
		Ok(update)
	}
}

/// The update an asynchronous task's participant submits in `round` at `block`, by the
/// round whose model it trained from: the newest one not yet submitted and ready
/// (`--train-blocks`). Those the chain would refuse as more than `max_staleness` rounds
/// stale are dropped from `updates` first, their work lost.
fn ready_to_submit(
	updates: &mut BTreeMap<u32, SavedUpdate>,
	round: u32,
	block: u64,
	max_staleness: u32,
) -> Option<u32> {
	updates.retain(|from, saved| {
		saved.submitted_in.is_some() || round.saturating_sub(*from) <= max_staleness
	});
	updates
		.iter()
		.rev()
		.find(|(from, saved)| {
			saved.submitted_in.is_none() && **from <= round && saved.ready_at <= block
		})
		.map(|(from, _)| *from)
}

/// The staleness bound of an asynchronous task (`None`: a synchronous one).
fn asynchronous(info: &din_chain::types::TaskInfo) -> Option<u32> {
	match info.spec.pacing {
		din_chain::types::Pacing::Asynchronous { max_staleness, .. } => Some(max_staleness),
		din_chain::types::Pacing::Synchronous => None,
	}
}

/// Publishes `update` as the task's privacy `policy` asks (`din_fl::privacy`): its delta
/// from `global` clipped and noised by the Gaussian mechanism. The noise comes from the
/// operating system's randomness, never from anything public (a seed others could know
/// would let them subtract it).
fn privatize(
	policy: &din_fl::PrivacyPolicy,
	update: Update,
	global: &Update,
	round: u32,
) -> anyhow::Result<Update> {
	use rand::SeedableRng;
	let clip = f64::from(policy.clip_norm_milli) / 1_000.0;
	let sigma = f64::from(policy.noise_multiplier_milli) / 1_000.0;
	let mechanism = din_aggregate::dp::GaussianMechanism::new(clip, sigma)?;
	let private = mechanism.privatize(&update, global, &mut rand::rngs::StdRng::from_entropy())?;
	tracing::info!(
		target: "din",
		"round {}: privatized the update (delta norm {:.3}{}, noise σC = {:.4} per value); the \
		 task's rounds to here spend ε = {:.3} of {:.3} (δ = 1e-{})",
		round + 1,
		private.delta_norm,
		if private.clipped { format!(", clipped to {clip}") } else { String::new() },
		mechanism.noise_std(),
		policy.epsilon_after(round + 1) as f64 / 1_000.0,
		f64::from(policy.epsilon_budget_milli) / 1_000.0,
		policy.delta_exponent,
	);
	Ok(private.update)
}

#[cfg(test)]
mod tests {
	use super::*;
	use clap::Parser;

	fn saved(submitted_in: Option<u32>, ready_at: u64) -> SavedUpdate {
		SavedUpdate {
			cid: String::new(),
			commitment: String::new(),
			samples: 1,
			submitted_in,
			ready_at,
		}
	}

	/// A straggler with max staleness 4: its update from round 1 is ready in round 6 at
	/// block 40, too stale by then, and dropped; the one from round 3 is submitted once
	/// ready, not before; one from round 4 still training waits.
	#[test]
	fn a_straggler_submits_its_newest_ready_update_within_the_staleness_bound() {
		let mut updates = BTreeMap::from([
			(0, saved(Some(2), 0)),
			(1, saved(None, 20)),
			(3, saved(None, 35)),
			(4, saved(None, 50)),
		]);
		assert_eq!(ready_to_submit(&mut updates, 6, 34, 4), None, "round 3's is not ready");
		assert!(!updates.contains_key(&1), "five rounds stale: dropped");
		assert!(updates.contains_key(&0), "submitted ones stay, to be published");
		assert_eq!(ready_to_submit(&mut updates, 6, 40, 4), Some(3));
		updates.get_mut(&3).unwrap().submitted_in = Some(6);
		assert_eq!(ready_to_submit(&mut updates, 7, 60, 4), Some(4));
	}

	#[test]
	fn an_update_that_missed_its_rounds_buffer_goes_into_the_next_round() {
		let mut updates = BTreeMap::from([(5, saved(None, 0))]);
		assert_eq!(ready_to_submit(&mut updates, 5, 100, 2), Some(5), "its own round");
		assert_eq!(ready_to_submit(&mut updates, 6, 103, 2), Some(5), "one round stale");
	}

	#[derive(Parser)]
	struct Flags {
		#[command(flatten)]
		run: RunArgs,
	}

	fn run_args(extra: &[&str]) -> Result<RunArgs, clap::Error> {
		let required = [
			"din",
			"--task",
			"0",
			"--data",
			"digits",
			"--state-dir",
			"/tmp/x",
			"--store-dir",
			"/tmp/y",
		];
		Flags::try_parse_from(required.into_iter().chain(extra.iter().copied())).map(|f| f.run)
	}

	#[test]
	fn the_optimizer_and_fedprox_come_from_the_flags() {
		let default = run_args(&[]).unwrap().train_config(0, None);
		assert!(
			matches!(default.optimizer, OptimizerConfig::Sgd(p) if p.lr == 0.05 && p.momentum == 0.9)
		);
		assert_eq!(default.proximal_mu, None);
		let adamw = run_args(&["--optimizer", "adamw", "--lr", "0.001", "--fedprox-mu", "0.01"])
			.unwrap()
			.train_config(3, None);
		assert!(matches!(adamw.optimizer, OptimizerConfig::AdamW(p) if p.lr == 0.001));
		assert_eq!(adamw.proximal_mu, Some(0.01));
		assert_ne!(adamw.seed, default.seed, "each round shuffles differently");
		for bad in [&["--lr", "0"][..], &["--fedprox-mu", "-1"], &["--optimizer", "adam"]] {
			assert!(run_args(bad).is_err(), "{bad:?} is refused");
		}
	}

	#[test]
	fn the_tasks_recipe_trains_where_no_flag_overrides_it() {
		let recipe = TrainingRecipe {
			optimizer: RecipeOptimizer::AdamW,
			learning_rate: 0.5,
			decay: 0.5,
			epochs: 2,
			batch_size: 64,
			fedprox_mu: 0.25,
		};
		let round_2 = run_args(&[]).unwrap().train_config(2, Some(&recipe));
		assert!(matches!(round_2.optimizer, OptimizerConfig::AdamW(p) if p.lr == 0.125));
		assert_eq!((round_2.epochs, round_2.batch_size, round_2.proximal_mu), (2, 64, Some(0.25)));
		let overridden = run_args(&["--optimizer", "sgd", "--lr", "0.01", "--epochs", "7"])
			.unwrap()
			.train_config(2, Some(&recipe));
		assert!(matches!(overridden.optimizer, OptimizerConfig::Sgd(p) if p.lr == 0.01));
		assert_eq!((overridden.epochs, overridden.batch_size), (7, 64));
		let no_prox = TrainingRecipe { fedprox_mu: 0.0, ..recipe };
		assert_eq!(run_args(&[]).unwrap().train_config(0, Some(&no_prox)).proximal_mu, None);
	}
}
