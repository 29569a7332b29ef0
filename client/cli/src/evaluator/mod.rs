//! `din evaluator run`: the evaluator daemon.
//!
//! Bonds and enters the evaluator pool, then at every best block, for every task it
//! serves, does what the task's phase asks of the seats it was drawn for:
//!
//! | phase | duty |
//! |---|---|
//! | Training, its last block | the AggregationCommit duty below, for a subgroup of at most `din_fl::duty::COMMITMENT_CHECKS` updates, all published: its commit lands in the first block of AggregationCommit |
//! | AggregationCommit | fetch the subgroup's updates, check each against its CID, schema, author, sample count and on-chain commitment (failures → the invalid set; a missing update is waited for through the first half of the phase, `din_fl::duty::waits_for_updates`, since participants publish only once Training has closed), aggregate the valid ones with the task's rule (`din_fl`, integer, bit-identical on every machine), withhold the aggregate; while the previous round's global model is voted on (`Chain::open_global_vote`, every round but the first), fetch that round's accepted aggregates, combine them sample-weighted (FedAvg, [`crate::common::global_model_of`]) and withhold the result too; commit `aggregate_commit_hash`, bound to that vote by `pipelined_commit_hash` |
//! | AggregationReveal | publish the aggregate (and the voted global model), reveal what was committed; in the last round's last block of the phase, the GlobalCommit duty below from each subgroup's majority as the reveals fix it (`din_primitives::strict_majority`, the chain's own rule): its commit lands in the first block of GlobalCommit |
//! | GlobalCommit (last round) | fetch the accepted subgroup aggregates, combine them, withhold the global model, commit `global_commit_hash` |
//! | GlobalReveal (last round) | publish it, reveal it |
//! | Scoring, Rewarding | once the owner has released the test-set key: decrypt the test set and check it against the task's commitment; then for every accepted update of its panels (and the baseline) prove the accuracy with Groth16 (`zk`), or (`median`) commit to the count in Scoring and reveal it in Rewarding |
//!
//! Every decision of these duties (which updates are invalid and why, the aggregate, the
//! global model) is `din_fl::duty`'s, the same code the runtime's off-chain worker calls,
//! here with the rules and checks on rayon ([`Parallel`]) and the client's
//! [`commitment_of`]; the daemon only fetches, keeps its state and submits.
//!
//! Under `zk` one valid proof settles a score, so a panel splits the work: the member at
//! `sha256(participant ‖ round) mod Q` proves first, the others only prove what is still
//! unsettled once the Rewarding phase starts.
//!
//! *Withheld until the commits close.* An aggregate published while commits are open could
//! be copied: every store peer near its CID receives its provider record, so a lazy panel
//! member could fetch it and commit to it without aggregating anything. The daemon keeps
//! what it commits to under `<state-dir>/withheld/` ([`crate::withheld`]) and publishes it
//! in the reveal phase, before the reveal that names it.
//!
//! Restart safety ([`crate::state`]): salts, CIDs, invalid sets, score counts and withheld
//! artifacts are saved before each commit; before committing or revealing the daemon reads its own vote from the chain,
//! so a restarted daemon reveals exactly what it committed and never commits twice.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::{Args, Subcommand};
use din_aggregate::Parallel;
use din_chain::{
	types::{ScoreTarget, ScoringRule, SubgroupResult, TaskInfo, TaskPhase, Vote},
	AccountId32, AggregateOpening, Chain, Signer, H256,
};
use din_fl::duty::{self, CommitmentSample, Rejection, Scored, SubgroupOutcome, Submitted};
use din_fl::{AggregateError, AggregationRule, PrivacyPolicy, Schema, TestSet, Update};
use din_store::Store;
use futures::{StreamExt, TryStreamExt};
use serde::{Deserialize, Serialize};
use sha2::Digest;

use crate::artifact;
use crate::common::{
	cid_from_chain, cid_to_chain, commitment_of, fetch_from, fetch_scored, parse_amount,
	recorded_store_peer, short, task_model, task_spec, ChainArgs, SignerArgs, StoreArgs,
};
use crate::follow::Follower;
use crate::invalid;
use crate::state::StateFile;

use crate::withheld::{publish, withhold};

/// How long an evaluator waits for one update or aggregate from the store.
const FETCH_TIMEOUT: Duration = Duration::from_secs(6);
/// How long an evaluator waits for one update in Training's last block, while the
/// participants publish: longer, and its commit would miss the next block anyway.
const AHEAD_FETCH_TIMEOUT: Duration = Duration::from_millis(1500);
/// Updates of one subgroup fetched at once.
const CONCURRENT_FETCHES: usize = 16;

/// The `din evaluator` subcommands.
#[derive(Debug, Subcommand)]
pub enum EvaluatorCommand {
	/// Register and serve assignments until stopped.
	Run(Box<RunArgs>),
	/// Bond and enter the evaluator pool, then exit: for an account whose duties a
	/// validator's off-chain worker does (its key inserted as `din!` in din-node).
	Register(RegisterArgs),
	/// Ask to leave the evaluator pool. The leave takes effect as long after as a join takes
	/// to count, once no draw whose randomness is already known can include this account;
	/// until then it can still be drawn, and the bond it joined with cannot be unbonded.
	/// Seats already drawn keep their duties.
	Deregister(DeregisterArgs),
}

/// `din evaluator deregister`.
#[derive(Debug, Args)]
pub struct DeregisterArgs {
	#[command(flatten)]
	pub signer: SignerArgs,
	#[command(flatten)]
	pub chain: ChainArgs,
}

/// `din evaluator register`.
#[derive(Debug, Args)]
pub struct RegisterArgs {
	/// Evaluator bond to hold, in whole tokens.
	#[arg(long, value_parser = parse_amount, default_value = "1000")]
	pub bond: u128,
	#[command(flatten)]
	pub signer: SignerArgs,
	#[command(flatten)]
	pub chain: ChainArgs,
}

/// A deliberately wrong evaluator, for exercising the majority rule in tests and demos.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Attack {
	/// Reveal an aggregate whose first value is off by one unit.
	WrongAggregate,
	/// Aggregate nothing: commit the hash another panel member committed, and reveal
	/// nothing (a copied hash opens only with that member's account).
	CopyCommit,
}

/// `din evaluator run`.
#[derive(Debug, Args)]
pub struct RunArgs {
	/// Serve only these tasks (repeatable); all active tasks by default.
	#[arg(long = "task")]
	pub tasks: Vec<u32>,
	/// Proving key of a `zk` task, as TASK=CID (repeatable), instead of the one its spec
	/// names (`test_set.proving_key_cid`).
	#[arg(long = "proving-key", value_parser = parse_proving_key)]
	pub proving_keys: Vec<(u32, String)>,
	/// Evaluator bond to hold (each seat locks a task's evaluator bond), in whole tokens.
	#[arg(long, value_parser = parse_amount, default_value = "1000")]
	pub bond: u128,
	/// Directory of this daemon's state (one daemon per directory).
	#[arg(long, env = "DIN_STATE_DIR")]
	pub state_dir: PathBuf,
	/// Exit once every served task has finished (with --task).
	#[arg(long)]
	pub exit_when_done: bool,
	/// Misbehave on purpose (testing the defences).
	#[arg(long, value_enum, hide = true)]
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

fn parse_proving_key(s: &str) -> Result<(u32, String), String> {
	let (task, cid) = s.split_once('=').ok_or_else(|| format!("`{s}`: expected TASK=CID"))?;
	let task = task.parse().map_err(|_| format!("`{s}`: TASK must be a task id"))?;
	din_store::parse_cid(cid).map_err(|e| format!("`{s}`: {e}"))?;
	Ok((task, cid.to_string()))
}

/// What the daemon remembers across restarts, per task.
#[derive(Debug, Default, Serialize, Deserialize)]
struct EvaluatorState {
	tasks: BTreeMap<u32, TaskState>,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct TaskState {
	/// `"round/subgroup"` → the aggregate committed for it.
	aggregates: BTreeMap<String, Committed>,
	/// Round → the global model committed for it.
	globals: BTreeMap<u32, Committed>,
	/// Round → the vote on its global model committed with the next round's aggregates
	/// (`None`: no accepted aggregate carries weight).
	#[serde(default)]
	pipelined: BTreeMap<u32, Option<Committed>>,
	/// Score target (its `Debug` form) → the count committed for it (median rule).
	#[serde(default)]
	scores: BTreeMap<String, CommittedScore>,
}

/// A committed score count and what its reveal needs.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct CommittedScore {
	correct: u32,
	total: u32,
	salt: String,
}

impl CommittedScore {
	fn salt(&self) -> anyhow::Result<[u8; 32]> {
		hex::decode(&self.salt)?.try_into().map_err(|_| invalid!("state: bad salt"))
	}
}

/// A committed value and what its reveal needs.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Committed {
	cid: String,
	commitment: String,
	/// SS58 addresses, in the chain's order (ascending bytes).
	invalid: Vec<String>,
	salt: String,
	revealed: bool,
}

impl Committed {
	fn commitment(&self) -> anyhow::Result<H256> {
		Ok(H256(
			hex::decode(&self.commitment)?
				.try_into()
				.map_err(|_| invalid!("state: bad commitment"))?,
		))
	}

	fn salt(&self) -> anyhow::Result<[u8; 32]> {
		hex::decode(&self.salt)?.try_into().map_err(|_| invalid!("state: bad salt"))
	}

	/// The committed model as the chain names it: its CID (chain form) and commitment.
	fn model_ref(&self) -> anyhow::Result<(Vec<u8>, H256)> {
		Ok((cid_to_chain(&din_store::parse_cid(&self.cid)?), self.commitment()?))
	}

	fn invalid(&self) -> anyhow::Result<Vec<AccountId32>> {
		self.invalid
			.iter()
			.map(|a| a.parse::<AccountId32>().map_err(|_| invalid!("state: bad account {a}")))
			.collect()
	}
}

/// One score this evaluator may settle.
#[derive(Clone, Debug)]
struct Target {
	target: ScoreTarget,
	cid: Vec<u8>,
	commitment: H256,
	/// Whether this evaluator proves it first (the others wait for Rewarding).
	primary: bool,
}

/// What scoring a task needs, loaded once the test-set key is out.
struct Scoring {
	test_set: TestSet,
	proving_key: Option<Arc<ProvingKey>>,
	targets: Vec<Target>,
	done: BTreeSet<String>,
}

/// A task's Groth16 proving key with the circuit shape it is for.
type ProvingKey = (din_zk::CircuitShape, ark_groth16::ProvingKey<ark_bn254::Bn254>);

pub async fn run(command: EvaluatorCommand) -> anyhow::Result<()> {
	match command {
		EvaluatorCommand::Run(args) => Daemon::start(*args).await?.run().await,
		EvaluatorCommand::Register(args) => {
			let signer = args.signer.signer()?;
			let chain = args.chain.connect().await?;
			register(&chain, &signer, args.bond).await?;
			println!("{} is in the evaluator pool", signer.account_id());
			Ok(())
		},
		EvaluatorCommand::Deregister(args) => {
			let signer = args.signer.signer()?;
			let chain = args.chain.connect().await?;
			chain.deregister_evaluator(&signer).await?;
			println!(
				"{} asked to leave the evaluator pool: it can still be drawn until the leave \
				 takes effect (as long as a join takes to count), and its seats keep their duties",
				signer.account_id()
			);
			Ok(())
		},
	}
}

struct Daemon {
	args: RunArgs,
	metrics: crate::metrics::Metrics,
	signer: Signer,
	me: AccountId32,
	chain: Chain,
	store: Store,
	state: StateFile<EvaluatorState>,
	scoring: HashMap<u32, Scoring>,
	/// Tasks whose test set this evaluator disputed: nothing left to score.
	disputed: BTreeSet<u32>,
	/// `(task, round)`s whose global model was committed ahead of GlobalCommit: once, since
	/// a reveal phase held for a settlement in slices refuses it in each of its blocks.
	global_ahead: BTreeSet<(u32, u32)>,
}

/// Whether the chain refused `error`'s call with one of the evaluation pallet's `names`.
fn refused(error: &din_chain::Error, names: &[&str]) -> bool {
	error
		.pallet_error()
		.is_some_and(|p| names.iter().any(|n| p.is("Evaluation", n)))
}

/// [`refused`] anywhere in an `anyhow` chain.
fn is_refusal(error: &anyhow::Error, names: &[&str]) -> bool {
	error.chain().any(|cause| {
		cause
			.downcast_ref::<din_chain::Error>()
			.and_then(din_chain::Error::pallet_error)
			.is_some_and(|p| names.iter().any(|n| p.is("Evaluation", n)))
	})
}

impl Daemon {
	async fn start(args: RunArgs) -> anyhow::Result<Self> {
		let signer = args.signer.signer()?;
		let me = signer.account_id();
		std::fs::create_dir_all(&args.state_dir)
			.with_context(|| format!("creating {}", args.state_dir.display()))?;
		let state = StateFile::open(args.state_dir.join("evaluator.json"))?;
		let chain = args.chain.connect_following().await?;
		let store = args.store.start().await?;
		let metrics = args.metrics.start(&store).await?;
		tracing::info!(target: "din", "evaluator {me}: store peer {}", store.peer_id());
		Ok(Self {
			args,
			metrics,
			signer,
			me,
			chain,
			store,
			state,
			scoring: HashMap::new(),
			disputed: BTreeSet::new(),
			global_ahead: BTreeSet::new(),
		})
	}

	async fn run(mut self) -> anyhow::Result<()> {
		self.register().await?;
		let mut follower = Follower::new(Duration::from_millis(500));
		loop {
			let block = follower.next(&self.chain).await;
			let tasks = match self.tasks().await {
				Ok(tasks) => tasks,
				Err(error) => {
					tracing::warn!(target: "din", "#{block}: listing tasks failed: {error:#}");
					continue;
				},
			};
			let mut active = 0;
			for (task, info) in tasks {
				if matches!(info.phase, TaskPhase::Finished | TaskPhase::Cancelled) {
					self.scoring.remove(&task);
					self.global_ahead.retain(|(t, _)| *t != task);
					continue;
				}
				active += 1;
				// A block early where it can be done exactly (`follow::ends_next`); what is
				// not ready yet is done in the next phase as usual.
				let ahead = match info.phase {
					TaskPhase::Training if crate::follow::ends_next(&info, block) => {
						Some(self.commit_aggregates(task, &info).await)
					},
					// Only the last round votes on its global model in a phase of its own.
					TaskPhase::AggregationReveal
						if crate::follow::ends_next(&info, block)
							&& info.round.saturating_add(1) >= info.spec.rounds =>
					{
						// Reveals first: the commit is for the next phase.
						if let Err(error) = self.serve(task, &info).await {
							self.metrics
								.duty_failures
								.with_label_values(&["aggregationreveal"])
								.inc();
							tracing::warn!(target: "din", "#{block}: task {task} {:?}: {error:#} (retrying next block)", info.phase);
						}
						let first = self.global_ahead.insert((task, info.round));
						Some(if first { self.commit_global(task, &info).await } else { Ok(()) })
					},
					_ => None,
				};
				if let Some(result) = ahead {
					if let Err(error) = result {
						tracing::debug!(target: "din", "#{block}: task {task}: ahead of the phase after {:?}: {error:#}", info.phase);
					}
					continue;
				}
				if let Err(error) = self.serve(task, &info).await {
					let duty = format!("{:?}", info.phase).to_lowercase();
					self.metrics.duty_failures.with_label_values(&[&duty]).inc();
					tracing::warn!(target: "din", "#{block}: task {task} {:?}: {error:#} (retrying next block)", info.phase);
				}
			}
			if self.args.exit_when_done && !self.args.tasks.is_empty() && active == 0 {
				tracing::info!(
					target: "din",
					"every served task has finished; exiting (peak memory {} MiB)",
					crate::common::peak_memory_mib().unwrap_or_default()
				);
				return Ok(());
			}
		}
	}

	async fn register(&self) -> anyhow::Result<()> {
		register(&self.chain, &self.signer, self.args.bond).await
	}

	async fn tasks(&self) -> anyhow::Result<Vec<(u32, TaskInfo)>> {
		let ids: Vec<u32> = if self.args.tasks.is_empty() {
			(0..self.chain.next_task_id().await?).collect()
		} else {
			self.args.tasks.clone()
		};
		let mut tasks = Vec::new();
		for id in ids {
			if let Some(info) = self.chain.task(id).await? {
				tasks.push((id, info));
			}
		}
		Ok(tasks)
	}

	async fn serve(&mut self, task: u32, info: &TaskInfo) -> anyhow::Result<()> {
		match info.phase {
			TaskPhase::AggregationCommit => self.commit_aggregates(task, info).await,
			TaskPhase::AggregationReveal => self.reveal_aggregates(task, info.round).await,
			TaskPhase::GlobalCommit => self.commit_global(task, info).await,
			TaskPhase::GlobalReveal => self.reveal_global(task, info.round).await,
			TaskPhase::Scoring | TaskPhase::Rewarding => self.score(task, info).await,
			_ => Ok(()),
		}
	}

	fn task_state(&mut self, task: u32) -> &mut TaskState {
		self.state.value.tasks.entry(task).or_default()
	}

	// ----- aggregation -----

	/// Aggregates every subgroup whose panel this evaluator sits on and commits the hashes
	/// together ([`Chain::commit_aggregates`]), so that a member of several panels is not a
	/// block per panel late. A subgroup that cannot be aggregated yet (updates not
	/// published) holds back only its own commit; its error is returned once the others
	/// are sent.
	async fn commit_aggregates(&mut self, task: u32, info: &TaskInfo) -> anyhow::Result<()> {
		let round = info.round;
		// The vote on the previous round's global model, computed with the first commit.
		let mut previous_global: Option<Option<Option<Committed>>> = None;
		// The model the round trained from, found once for every subgroup.
		let mut base: Option<crate::common::TrainedFrom> = None;
		let mut commits = Vec::new();
		let mut committed_cids = Vec::new();
		let mut first_error = None;
		for subgroup in 0u32.. {
			let panel = self.chain.panel(task, round, subgroup).await?;
			if panel.is_empty() {
				break;
			}
			if !panel.contains(&self.me) {
				continue;
			}
			if self.chain.aggregate_vote(task, round, subgroup, &self.me).await?.is_some() {
				continue;
			}
			if self.args.attack == Some(Attack::CopyCommit) {
				self.copy_a_commit(task, round, subgroup, &panel).await?;
				continue;
			}
			let key = format!("{round}/{subgroup}");
			let committed = match self.task_state(task).aggregates.get(&key) {
				Some(saved) => saved.clone(),
				None => match self.aggregate(task, info, subgroup, &mut base).await {
					Ok(committed) => {
						self.task_state(task).aggregates.insert(key, committed.clone());
						self.state.save()?;
						committed
					},
					Err(error) => {
						first_error.get_or_insert(error);
						continue;
					},
				},
			};
			let cid = cid_to_chain(&din_store::parse_cid(&committed.cid)?);
			let mut hash = din_primitives::aggregate_commit_hash(
				task,
				round,
				subgroup,
				&self.me.0,
				&cid,
				&din_primitives::Commitment::from(committed.commitment()?.0),
				&committed.invalid()?.iter().map(|a| a.0).collect::<Vec<_>>(),
				&committed.salt()?,
			);
			if previous_global.is_none() {
				previous_global = Some(self.pipelined_vote(task, info).await?);
			}
			if let Some(Some(vote)) = &previous_global {
				let vote: Option<(Vec<u8>, din_primitives::Commitment)> = match vote {
					Some(model) => {
						let (cid, commitment) = model.model_ref()?;
						Some((cid, din_primitives::Commitment::from(commitment.0)))
					},
					None => None,
				};
				hash = din_primitives::pipelined_commit_hash(
					&hash,
					vote.as_ref().map(|(cid, commitment)| (&cid[..], commitment)),
				);
			}
			commits.push((subgroup, H256(hash.0)));
			committed_cids.push(committed.cid);
		}
		if !commits.is_empty() {
			let subgroups: Vec<u32> = commits.iter().map(|(subgroup, _)| *subgroup).collect();
			let sent = self.chain.commit_aggregates(&self.signer, task, round, commits).await?;
			for ((subgroup, cid), result) in subgroups.into_iter().zip(committed_cids).zip(sent) {
				match result {
					Ok(_) => {
						self.metrics.votes.with_label_values(&["aggregate_commit"]).inc();
						tracing::info!(target: "din", "task {task} round {} subgroup {subgroup}: committed {cid}", round + 1);
					},
					Err(e) if refused(&e, &["AlreadyCommitted"]) => {},
					Err(e) => {
						first_error.get_or_insert(
							anyhow::Error::from(e)
								.context(format!("committing subgroup {subgroup}'s aggregate")),
						);
					},
				}
			}
		}
		first_error.map_or(Ok(()), Err)
	}

	async fn copy_a_commit(
		&self,
		task: u32,
		round: u32,
		subgroup: u32,
		panel: &[AccountId32],
	) -> anyhow::Result<()> {
		for other in panel.iter().filter(|a| **a != self.me) {
			if let Some(Vote::Committed(hash)) =
				self.chain.aggregate_vote(task, round, subgroup, other).await?
			{
				self.chain.commit_aggregate(&self.signer, task, round, subgroup, hash).await?;
				tracing::info!(target: "din", "task {task} round {} subgroup {subgroup}: committed {}'s hash [attack]", round + 1, short(other));
				return Ok(());
			}
		}
		Ok(())
	}

	/// The update `member` submitted in `round` of `task` with its bytes (or why there are
	/// none), fetched from the member's recorded store peer first; `None` if it submitted
	/// none. `base` is the model the round trained from; a stale update of an asynchronous
	/// task comes with the earlier model it trained from and `base`, to be rebased between
	/// them ([`duty::Stale`]).
	async fn fetch_submission(
		&self,
		info: &TaskInfo,
		task: u32,
		member: AccountId32,
		schema: &Schema,
		base: &crate::common::TrainedFrom,
		timeout: Duration,
	) -> anyhow::Result<Option<(AccountId32, Submitted<H256>)>> {
		let round = info.round;
		let Some(update) = self.chain.update(task, round, &member).await? else {
			return Ok(None);
		};
		let stale_from = match update.trained_from < round {
			true => {
				let start = update.trained_from;
				let (cid, commitment) =
					crate::common::global_model_before(&self.chain, task, info, start).await?;
				Some(crate::common::TrainedFrom::Fixed { cid, commitment })
			},
			false => None,
		};
		let trained_from = stale_from.as_ref().unwrap_or(base).commitment();
		// An update of the model it trained from is told by the chain's record alone.
		let bytes = if duty::trained_nothing(&update.commitment, &trained_from) {
			Err(Rejection::TrainedNothing)
		} else {
			let author = recorded_store_peer(&self.chain, &member).await?;
			fetch_from(&self.store, &update.cid.0, schema, timeout, author.as_ref())
				.await
				.map_err(Rejection::Unavailable)
		};
		let stale = match (stale_from, &bytes) {
			(Some(from), Ok(_)) => Some(duty::Stale {
				from: Arc::new(from.model(&self.store, schema, FETCH_TIMEOUT).await?),
				onto: Arc::new(base.model(&self.store, schema, FETCH_TIMEOUT).await?),
				staleness: round - update.trained_from,
			}),
			_ => None,
		};
		let submitted = Submitted {
			bytes,
			commitment: update.commitment,
			author: din_primitives::update_author(&member.0),
			num_samples: update.num_samples,
			stale,
		};
		Ok(Some((member, submitted)))
	}

	/// Fetches, checks and aggregates the updates of `subgroup`; publishes the aggregate.
	/// The model `info.round` of `task` trains from ([`crate::common::trained_from`]), kept
	/// in `base` for the round's other subgroups.
	async fn base(
		&self,
		task: u32,
		info: &TaskInfo,
		base: &mut Option<crate::common::TrainedFrom>,
	) -> anyhow::Result<crate::common::TrainedFrom> {
		if let Some(found) = base {
			return Ok(found.clone());
		}
		let found =
			crate::common::trained_from(&self.chain, &self.store, task, info, info.round).await?;
		*base = Some(found.clone());
		Ok(found)
	}

	async fn aggregate(
		&self,
		task: u32,
		info: &TaskInfo,
		subgroup: u32,
		base: &mut Option<crate::common::TrainedFrom>,
	) -> anyhow::Result<Committed> {
		if info.spec.aggregation.is_secure() {
			return self.aggregate_masked(task, info, subgroup, base).await;
		}
		let round = info.round;
		let spec = task_spec(info)?;
		let schema = spec.schema().map_err(|e| invalid!("{e:?}"))?;
		let subgroups = self.chain.subgroups(task).await?;
		let base = self.base(task, info, base).await?;
		let started = Instant::now();
		let members = subgroups.get(subgroup as usize).cloned().unwrap_or_default();
		// Ahead of the commit phase (in Training's last block, `run`), the commitment sample
		// is not drawn yet: only a subgroup whose every update the sample would hold is
		// judged then, exactly as it will be.
		let ahead = info.phase == TaskPhase::Training;
		if ahead && members.len() > duty::COMMITMENT_CHECKS {
			anyhow::bail!("subgroup {subgroup}: its commitment sample is not drawn yet");
		}
		// The updates are being published just now: a short wait, then the commit phase.
		let timeout = if ahead { AHEAD_FETCH_TIMEOUT } else { FETCH_TIMEOUT };
		// Several members at a time: a subgroup of 100 updates, each up to FETCH_TIMEOUT
		// when its author stalls, must fit one phase.
		let fetched: Vec<Option<(AccountId32, Submitted<H256>)>> = futures::stream::iter(members)
			.map(|member| self.fetch_submission(info, task, member, &schema, &base, timeout))
			.buffered(CONCURRENT_FETCHES)
			.try_collect()
			.await?;
		let (submitters, submitted): (Vec<AccountId32>, Vec<Submitted<H256>>) =
			fetched.into_iter().flatten().unzip();
		// Participants publish once Training has closed: a missing update may still come.
		let missing = submitted.iter().any(|u| matches!(u.bytes, Err(Rejection::Unavailable(_))));
		let (now, _) = self.chain.head().await?;
		let phase_length = u64::from(info.spec.phases.aggregation_commit);
		if missing && (ahead || duty::waits_for_updates(now, info.phase_ends.into(), phase_length))
		{
			anyhow::bail!("subgroup {subgroup}: waiting for updates not published yet");
		}
		let sample = if ahead {
			CommitmentSample::all(submitted.len())
		} else {
			let seed = self.chain.commitment_sample(task, round).await?;
			CommitmentSample::of_subgroup(seed.as_ref(), subgroup, submitted.len())
		};
		// A private task's updates are checked against the model they trained from.
		let fetch_trained_from = || base.model(&self.store, &schema, FETCH_TIMEOUT);
		let privacy = info.spec.privacy.as_deref();
		let trained_from_model = match privacy {
			Some(_) => Some(fetch_trained_from().await?),
			None => None,
		};
		let (aggregate, rejected) = aggregate_fetched(
			&info.spec.aggregation,
			&schema,
			&submitted,
			&sample,
			privacy.zip(trained_from_model.as_ref()),
		)?;
		drop(submitted);
		let mut invalid = self.blame(task, round, subgroup, &submitters, rejected);
		let valid = submitters.len() - invalid.len();
		let aggregate = match (aggregate, trained_from_model) {
			(Some(aggregate), _) => aggregate,
			// Nothing valid: the subgroup carries the current model with no weight.
			(None, Some(model)) => duty::carried_over(model),
			(None, None) => duty::carried_over(fetch_trained_from().await?),
		};
		let committed = self.committed(aggregate, &mut invalid)?;
		tracing::info!(
			target: "din",
			"task {task} round {} subgroup {subgroup}: aggregated {} updates ({} invalid) in {:.2?}{}",
			round + 1,
			valid,
			invalid.len(),
			started.elapsed(),
			if self.args.attack.is_some() { " [attack]" } else { "" }
		);
		Ok(committed)
	}

	/// [`Self::aggregate`] of a secure-aggregation subgroup: its masked uploads unmasked with
	/// the chain's record of the round (`din_secagg::duty`, as the off-chain worker does).
	/// Only in the commit phase, when the hand-overs are final.
	async fn aggregate_masked(
		&self,
		task: u32,
		info: &TaskInfo,
		subgroup: u32,
		base: &mut Option<crate::common::TrainedFrom>,
	) -> anyhow::Result<Committed> {
		use din_secagg::duty::{aggregate_masked, MaskedSubmitted, Record};
		let round = info.round;
		if info.phase == TaskPhase::Training {
			anyhow::bail!("subgroup {subgroup}: its hand-overs are final only as Training ends");
		}
		let spec = task_spec(info)?;
		let schema = spec.schema().map_err(|e| invalid!("{e:?}"))?;
		let view = self
			.chain
			.secure_round(task, round, subgroup)
			.await?
			.ok_or_else(|| invalid!("subgroup {subgroup}: no secure round on chain"))?;
		let started = Instant::now();
		let limit = (din_secagg::artifact::HEADER_LEN + 8 * schema.value_count()) as u64;
		let mut members = Vec::new();
		let mut uploads = Vec::new();
		for (who, key) in &view.keys {
			let Some(update) = self.chain.update(task, round, who).await? else { continue };
			let author = recorded_store_peer(&self.chain, who).await?;
			let bytes = crate::common::fetch_limited(
				&self.store,
				&update.cid.0,
				limit,
				FETCH_TIMEOUT,
				author.as_ref(),
			)
			.await
			.map_err(Rejection::Unavailable);
			uploads.push(MaskedSubmitted {
				member: key.member,
				bytes,
				commitment: update.commitment.0,
				author: din_primitives::update_author(&who.0),
				num_samples: update.num_samples,
			});
			members.push(who.clone());
		}
		let missing = uploads.iter().any(|u| matches!(u.bytes, Err(Rejection::Unavailable(_))));
		let (now, _) = self.chain.head().await?;
		let phase_length = u64::from(info.spec.phases.aggregation_commit);
		if missing && duty::waits_for_updates(now, info.phase_ends.into(), phase_length) {
			anyhow::bail!("subgroup {subgroup}: waiting for masked updates not published yet");
		}
		let member_of =
			|who: &AccountId32| view.keys.iter().find(|(w, _)| w == who).map(|(_, key)| key.member);
		let record = Record::from_chain(
			view.progress.eligible,
			view.keys.iter().map(|(_, k)| (k.member, k.public, k.self_seed_commitment)),
			view.progress.uploaded,
			view.handovers.iter().filter_map(|(who, shares)| {
				Some((member_of(who)?, shares.0.iter().map(|h| (h.owner, h.share)).collect()))
			}),
			din_secagg::Context { task, round, subgroup },
		);
		let ((aggregate, rejected), unmasked) = aggregate_masked(&schema, &uploads, &record);
		drop(uploads);
		if let Some(why) = unmasked {
			tracing::warn!(target: "din", "task {task} round {} subgroup {subgroup}: the masked sum cannot be unmasked ({why}): the model carries over", round + 1);
		}
		let mut invalid = self.blame(task, round, subgroup, &members, rejected);
		let aggregate = match aggregate {
			Some(aggregate) => aggregate,
			None => {
				let base = self.base(task, info, base).await?;
				duty::carried_over(base.model(&self.store, &schema, FETCH_TIMEOUT).await?)
			},
		};
		let committed = self.committed(aggregate, &mut invalid)?;
		tracing::info!(
			target: "din",
			"task {task} round {} subgroup {subgroup}: unmasked the sum of {} masked updates ({} invalid) in {:.2?}",
			round + 1,
			members.len() - invalid.len(),
			invalid.len(),
			started.elapsed(),
		);
		Ok(committed)
	}

	/// The members behind `rejected` (positions in `members`), counted and logged with why.
	fn blame(
		&self,
		task: u32,
		round: u32,
		subgroup: u32,
		members: &[AccountId32],
		rejected: Vec<(usize, Rejection)>,
	) -> Vec<AccountId32> {
		let mut invalid = Vec::new();
		for (index, why) in rejected {
			let member = &members[index];
			self.metrics
				.updates_rejected
				.with_label_values(&[crate::metrics::cause(&why)])
				.inc();
			tracing::warn!(target: "din", "task {task} round {} subgroup {subgroup}: {} is invalid: {why}", round + 1, short(member));
			invalid.push(member.clone());
		}
		invalid
	}

	/// What this evaluator commits to for a subgroup: `aggregate` withheld until the reveal,
	/// the `invalid` set sorted, a fresh salt.
	fn committed(
		&self,
		mut aggregate: Update,
		invalid: &mut [AccountId32],
	) -> anyhow::Result<Committed> {
		if self.args.attack == Some(Attack::WrongAggregate) {
			aggregate.values[0] = aggregate.values[0].saturating_add(1);
		}
		let cid = withhold(&self.args.state_dir, &aggregate.encode()?)?;
		self.metrics.aggregations.inc();
		invalid.sort_by(|a, b| a.0.cmp(&b.0));
		Ok(Committed {
			cid,
			commitment: hex::encode(commitment_of(&aggregate.values).0),
			invalid: invalid.iter().map(ToString::to_string).collect(),
			salt: hex::encode(rand::random::<[u8; 32]>()),
			revealed: false,
		})
	}

	/// Publishes every aggregate this evaluator committed to in `round` and reveals them
	/// together ([`Chain::reveal_aggregates`]): one after the other, a member of several
	/// panels took a block per reveal and could miss a short reveal phase.
	async fn reveal_aggregates(&mut self, task: u32, round: u32) -> anyhow::Result<()> {
		let prefix = format!("{round}/");
		let pending: Vec<(String, Committed)> = self
			.task_state(task)
			.aggregates
			.iter()
			.filter(|(key, c)| key.starts_with(&prefix) && !c.revealed)
			.map(|(k, c)| (k.clone(), c.clone()))
			.collect();
		let mut reveals = Vec::new();
		let mut keys = Vec::new();
		let mut first_error = None;
		let previous_global = if pending.is_empty() {
			None
		} else {
			self.previous_global_opening(task, round).await?
		};
		for (key, committed) in pending {
			let subgroup: u32 = key[prefix.len()..].parse()?;
			match self.chain.aggregate_vote(task, round, subgroup, &self.me).await? {
				Some(Vote::Committed(_)) => {
					if let Err(error) =
						publish(&self.args.state_dir, &self.store, &committed.cid).await
					{
						first_error.get_or_insert(error);
						continue;
					}
					reveals.push(AggregateOpening {
						subgroup,
						cid: cid_to_chain(&din_store::parse_cid(&committed.cid)?),
						commitment: committed.commitment()?,
						invalid: committed.invalid()?,
						salt: committed.salt()?,
						previous_global: previous_global.clone(),
					});
					keys.push(key);
					continue;
				},
				Some(Vote::Revealed(_)) => {},
				None => {
					tracing::warn!(target: "din", "task {task} round {} subgroup {subgroup}: no commit on chain to reveal", round + 1);
				},
			}
			self.mark_revealed(task, &key)?;
		}
		if !reveals.is_empty() {
			let subgroups: Vec<u32> = reveals.iter().map(|r| r.subgroup).collect();
			let sent = self.chain.reveal_aggregates(&self.signer, task, round, reveals).await?;
			for ((subgroup, key), result) in subgroups.into_iter().zip(keys).zip(sent) {
				match result {
					Ok(_) => {
						self.metrics.votes.with_label_values(&["aggregate_reveal"]).inc();
						tracing::info!(target: "din", "task {task} round {} subgroup {subgroup}: revealed", round + 1);
					},
					Err(e) if refused(&e, &["AlreadyRevealed"]) => {},
					Err(e) => {
						first_error.get_or_insert(
							anyhow::Error::from(e)
								.context(format!("revealing subgroup {subgroup}'s aggregate")),
						);
						continue;
					},
				}
				self.mark_revealed(task, &key)?;
			}
		}
		first_error.map_or(Ok(()), Err)
	}

	/// Records that the aggregate saved under `key` needs no reveal any more.
	fn mark_revealed(&mut self, task: u32, key: &str) -> anyhow::Result<()> {
		if let Some(c) = self.task_state(task).aggregates.get_mut(key) {
			c.revealed = true;
		}
		self.state.save()
	}

	/// This evaluator's vote on the global model of the round before `info.round`, while that
	/// vote is open (`None` otherwise): the model combined from that round's accepted
	/// aggregates and withheld until the reveal (`Some(None)`: none carries weight). Saved
	/// before the first commit that carries it, so every seat, and a restarted daemon,
	/// votes the same.
	async fn pipelined_vote(
		&mut self,
		task: u32,
		info: &TaskInfo,
	) -> anyhow::Result<Option<Option<Committed>>> {
		let Some(voted) = self.chain.open_global_vote(task, info.round).await? else {
			return Ok(None);
		};
		if let Some(saved) = self.task_state(task).pipelined.get(&voted) {
			return Ok(Some(saved.clone()));
		}
		let global =
			crate::common::global_model_of(&self.chain, &self.store, task, info, voted, false)
				.await?;
		let vote = match global {
			Some(global) => Some(self.withheld(&global)?),
			None => None,
		};
		self.task_state(task).pipelined.insert(voted, vote.clone());
		self.state.save()?;
		Ok(Some(vote))
	}

	/// The vote on the previous round's global model to reveal with the aggregates of
	/// `round`, its model published first: `None` where no vote is open or none was saved.
	async fn previous_global_opening(
		&mut self,
		task: u32,
		round: u32,
	) -> anyhow::Result<Option<(Vec<u8>, H256)>> {
		let Some(voted) = self.chain.open_global_vote(task, round).await? else {
			return Ok(None);
		};
		let Some(Some(vote)) = self.task_state(task).pipelined.get(&voted).cloned() else {
			return Ok(None);
		};
		publish(&self.args.state_dir, &self.store, &vote.cid).await?;
		Ok(Some(vote.model_ref()?))
	}

	async fn commit_global(&mut self, task: u32, info: &TaskInfo) -> anyhow::Result<()> {
		let round = info.round;
		if !self
			.chain
			.round_evaluators(task, round)
			.await?
			.iter()
			.any(|(a, _)| *a == self.me)
		{
			return Ok(());
		}
		if self.chain.global_vote(task, round, &self.me).await?.is_some() {
			return Ok(());
		}
		let committed = match self.task_state(task).globals.get(&round) {
			Some(saved) => saved.clone(),
			None => {
				let Some(committed) = self.combine(task, info).await? else { return Ok(()) };
				self.task_state(task).globals.insert(round, committed.clone());
				self.state.save()?;
				committed
			},
		};
		let cid = cid_to_chain(&din_store::parse_cid(&committed.cid)?);
		let hash = din_primitives::global_commit_hash(
			task,
			round,
			&self.me.0,
			&cid,
			&din_primitives::Commitment::from(committed.commitment()?.0),
			&committed.salt()?,
		);
		match self.chain.commit_global(&self.signer, task, round, H256(hash.0)).await {
			Ok(_) => {
				self.metrics.votes.with_label_values(&["global_commit"]).inc();
				tracing::info!(target: "din", "task {task} round {}: committed global model {}", round + 1, committed.cid);
			},
			Err(e) if refused(&e, &["AlreadyCommitted"]) => {},
			Err(e) => return Err(e.into()),
		}
		Ok(())
	}

	/// The last round's global model from its accepted aggregates
	/// ([`crate::common::global_model_of`]), withheld; `None` when none carries weight (the
	/// previous model holds). In AggregationReveal's last block (`run`) the subgroups are not
	/// settled yet: each one's accepted aggregate is its panel's majority, computed from the
	/// reveals as the chain will settle them.
	async fn combine(&self, task: u32, info: &TaskInfo) -> anyhow::Result<Option<Committed>> {
		let round = info.round;
		let ahead = info.phase == TaskPhase::AggregationReveal;
		let global =
			crate::common::global_model_of(&self.chain, &self.store, task, info, round, ahead)
				.await?;
		let Some(global) = global else {
			tracing::info!(target: "din", "task {task} round {}: no accepted aggregate carries weight; the previous model holds", round + 1);
			return Ok(None);
		};
		self.withheld(&global).map(Some)
	}

	/// `model` withheld ([`withhold`]) as a committed value under a fresh salt.
	fn withheld(&self, model: &Update) -> anyhow::Result<Committed> {
		let cid = withhold(&self.args.state_dir, &model.encode()?)?;
		Ok(Committed {
			cid,
			commitment: hex::encode(commitment_of(&model.values).0),
			invalid: Vec::new(),
			salt: hex::encode(rand::random::<[u8; 32]>()),
			revealed: false,
		})
	}

	async fn reveal_global(&mut self, task: u32, round: u32) -> anyhow::Result<()> {
		let Some(committed) = self.task_state(task).globals.get(&round).cloned() else {
			return Ok(());
		};
		if committed.revealed {
			return Ok(());
		}
		if let Some(Vote::Committed(_)) = self.chain.global_vote(task, round, &self.me).await? {
			publish(&self.args.state_dir, &self.store, &committed.cid).await?;
			let cid = cid_to_chain(&din_store::parse_cid(&committed.cid)?);
			match self
				.chain
				.reveal_global(
					&self.signer,
					task,
					round,
					&cid,
					committed.commitment()?,
					committed.salt()?,
				)
				.await
			{
				Ok(_) => {
					self.metrics.votes.with_label_values(&["global_reveal"]).inc();
					tracing::info!(target: "din", "task {task} round {}: revealed the global model", round + 1);
				},
				Err(e) if refused(&e, &["AlreadyRevealed"]) => {},
				Err(e) => return Err(e.into()),
			}
		}
		if let Some(c) = self.task_state(task).globals.get_mut(&round) {
			c.revealed = true;
		}
		self.state.save()
	}

	// ----- scoring -----

	async fn score(&mut self, task: u32, info: &TaskInfo) -> anyhow::Result<()> {
		let Some(key) = self.chain.test_key(task).await? else { return Ok(()) };
		// Once the settlement has begun nothing sent counts (`ScoringClosed`).
		if self.chain.scores_settling(task).await? {
			return Ok(());
		}
		if self.disputed.contains(&task) {
			return Ok(());
		}
		if !self.scoring.contains_key(&task) {
			let test_set = match self.open_test_set(info, &key).await? {
				Ok(test_set) => test_set,
				Err(why) => return self.dispute_test_set(task, info, &why).await,
			};
			let proving_key = match self.open_proving_key(task, info).await? {
				Ok(proving_key) => proving_key,
				Err(why) => return self.dispute_test_set(task, info, &why).await,
			};
			let scoring = self.prepare_scoring(task, info, test_set, proving_key).await?;
			self.scoring.insert(task, scoring);
		}
		let spec = task_spec(info)?;
		let schema = spec.schema().map_err(|e| invalid!("{e:?}"))?;
		if !matches!(info.spec.scoring, ScoringRule::ZkAccuracy { .. }) {
			return self
				.median_scores(task, matches!(info.phase, TaskPhase::Rewarding), &spec, &schema)
				.await;
		}
		let fallback = matches!(info.phase, TaskPhase::Rewarding);
		let targets = self.scoring[&task].targets.clone();
		for target in targets {
			let name = format!("{:?}", target.target);
			if self.scoring[&task].done.contains(&name) || (!target.primary && !fallback) {
				continue;
			}
			if self.chain.proven_score(task, target.target.clone()).await?.is_some() {
				self.scoring.get_mut(&task).expect("inserted above").done.insert(name);
				continue;
			}
			let model = match self.fetch_scored(&target, &schema).await? {
				Scored::Model(model) => model,
				Scored::Unopened => {
					// No statement to prove: the target stays unscored and earns nothing.
					tracing::warn!(target: "din", "task {task}: {} does not open its commitment: nothing to prove", describe(&target.target));
					self.scoring.get_mut(&task).expect("inserted above").done.insert(name);
					continue;
				},
			};
			match self.prove(task, &self.scoring[&task], &target, model).await {
				Ok(()) => {},
				Err(e) if is_refusal(&e, &["ScoreAlreadySettled"]) => {},
				Err(e) => return Err(e),
			}
			self.scoring.get_mut(&task).expect("inserted above").done.insert(name);
		}
		Ok(())
	}

	/// Median scoring, by commit-reveal: in Scoring, count every target right and commit
	/// the counts (saved first, so that a restarted daemon reveals the same counts); in
	/// Rewarding, reveal what was committed. Each phase's transactions go out together
	/// ([`Chain::submit_all`]), so that a panel member with many targets is not a block per
	/// target late.
	async fn median_scores(
		&mut self,
		task: u32,
		rewarding: bool,
		spec: &din_fl::ModelSpec,
		schema: &Schema,
	) -> anyhow::Result<()> {
		let mut commits = Vec::new();
		let mut reveals = Vec::new();
		for target in self.scoring[&task].targets.clone() {
			// The full target names the record (`describe` shortens accounts).
			let name = format!("{:?}", target.target);
			if self.scoring[&task].done.contains(&name) {
				continue;
			}
			let vote = self.chain.score_vote(task, target.target.clone(), &self.me).await?;
			let saved = self.task_state(task).scores.get(&name).cloned();
			match (rewarding, vote, saved) {
				(false, None, saved) => {
					let committed = match saved {
						Some(committed) => committed,
						None => self.count(task, spec, schema, &target, &name).await?,
					};
					let hash = din_chain::score_commit_hash(
						task,
						&target.target,
						&self.me,
						committed.correct,
						committed.total,
						&committed.salt()?,
					);
					commits.push((target.target, hash));
				},
				(true, Some(Vote::Committed(_)), Some(committed)) => {
					let salt = committed.salt()?;
					reveals.push((target.target, committed.correct, committed.total, salt));
				},
				(true, Some(Vote::Committed(_)), None) => {
					tracing::warn!(
						target: "din",
						"task {task}: a score of {} was committed, but this state directory has no record of it: it cannot be revealed",
						describe(&target.target)
					);
					self.scoring.get_mut(&task).expect("loaded by score").done.insert(name);
				},
				// Revealed, or never committed and too late to.
				(true, _, _) => {
					self.scoring.get_mut(&task).expect("loaded by score").done.insert(name);
				},
				// Committed: the reveal waits for Rewarding.
				_ => {},
			}
		}
		if !commits.is_empty() {
			let about: Vec<String> = commits.iter().map(|(t, _)| describe(t)).collect();
			let sent = self.chain.commit_scores(&self.signer, task, commits).await?;
			for (about, result) in about.into_iter().zip(sent) {
				match result {
					Ok(_) => {
						self.metrics.votes.with_label_values(&["score_commit"]).inc();
						tracing::info!(target: "din", "task {task}: committed a score of {about}");
					},
					Err(e) if refused(&e, &["AlreadyCommitted"]) => {},
					Err(e) => {
						tracing::warn!(target: "din", "task {task}: committing a score of {about}: {e} (retrying next block)")
					},
				}
			}
		}
		if !reveals.is_empty() {
			let targets: Vec<ScoreTarget> = reveals.iter().map(|r| r.0.clone()).collect();
			let sent = self.chain.reveal_scores(&self.signer, task, reveals).await?;
			for (target, result) in targets.into_iter().zip(sent) {
				let about = describe(&target);
				match result {
					Ok(_) => {
						self.metrics.votes.with_label_values(&["score_reveal"]).inc();
						tracing::info!(target: "din", "task {task}: revealed its score of {about}");
					},
					Err(e) if refused(&e, &["AlreadyRevealed"]) => {},
					Err(e) => {
						tracing::warn!(target: "din", "task {task}: revealing its score of {about}: {e} (retrying next block)");
						continue;
					},
				}
				let name = format!("{target:?}");
				self.scoring.get_mut(&task).expect("loaded by score").done.insert(name);
			}
		}
		Ok(())
	}

	/// Counts how much of the test set `target`'s model classifies right and saves the count
	/// with a fresh salt, before anything is committed.
	async fn count(
		&mut self,
		task: u32,
		spec: &din_fl::ModelSpec,
		schema: &Schema,
		target: &Target,
		name: &str,
	) -> anyhow::Result<CommittedScore> {
		let test_set = &self.scoring[&task].test_set;
		let correct = match self.fetch_scored(target, schema).await? {
			Scored::Model(model) => din_fl::count_correct(spec, &model.values, test_set)?,
			Scored::Unopened => {
				tracing::warn!(target: "din", "task {task}: {} does not open its commitment: it counts nothing right", describe(&target.target));
				0
			},
		};
		let committed = CommittedScore {
			correct,
			total: test_set.labels.len() as u32,
			salt: hex::encode(rand::random::<[u8; 32]>()),
		};
		self.task_state(task).scores.insert(name.to_string(), committed.clone());
		self.state.save()?;
		Ok(committed)
	}

	/// The model of a score `target`, checked against its commitment ([`fetch_scored`]).
	async fn fetch_scored(&self, target: &Target, schema: &Schema) -> anyhow::Result<Scored> {
		let update = matches!(target.target, ScoreTarget::Update { .. });
		fetch_scored(&self.store, &target.cid, schema, &target.commitment, update, FETCH_TIMEOUT)
			.await
			.map_err(|why| anyhow::anyhow!("scoring {}: {why}", describe(&target.target)))
	}

	async fn prove(
		&self,
		task: u32,
		scoring: &Scoring,
		target: &Target,
		model: Update,
	) -> anyhow::Result<()> {
		let key = scoring
			.proving_key
			.clone()
			.ok_or_else(|| invalid!("task {task}: no --proving-key {task}=CID given"))?;
		let test_set = scoring.test_set.clone();
		// The chain checks the proof against this statement with the submitter's account:
		// a copy of the transaction taken from the pool verifies for nobody else.
		let binding = din_chain::score_binding(task, &target.target, &self.me);
		let started = Instant::now();
		let evaluation = tokio::task::spawn_blocking(move || {
			let (shape, pk) = &*key;
			din_zk::prove_with_os_rng(pk, *shape, &model.values, &test_set, &binding)
		})
		.await??;
		let (correct, total) = (evaluation.public.correct, evaluation.public.total);
		self.chain
			.submit_score(
				&self.signer,
				task,
				target.target.clone(),
				correct,
				total,
				evaluation.proof,
			)
			.await?;
		self.metrics.proofs.inc();
		self.metrics.proof_seconds.observe(started.elapsed().as_secs_f64());
		tracing::info!(
			target: "din",
			"task {task}: proved {} = {correct}/{total} in {:.2?}",
			describe(&target.target),
			started.elapsed()
		);
		Ok(())
	}

	/// Fetches, decrypts and checks the task's test set: `Ok(Err(why))` when the released
	/// key opens no test set matching the spec's commitment, which no retry can change (or
	/// the sealed set is still unavailable in Rewarding, after a whole Scoring phase).
	async fn open_test_set(
		&self,
		info: &TaskInfo,
		key: &[u8],
	) -> anyhow::Result<Result<TestSet, String>> {
		let sealed =
			match self.store.get(&cid_from_chain(&info.spec.test_set.encrypted_cid.0)?).await {
				Ok(sealed) => sealed,
				Err(e) if matches!(info.phase, TaskPhase::Rewarding) => {
					return Ok(Err(format!("the sealed test set is unavailable: {e}")))
				},
				Err(e) => {
					return Err(anyhow::Error::new(e).context("fetching the encrypted test set"))
				},
			};
		let test_set = match artifact::open(key, &sealed) {
			Ok(test_set) => test_set,
			Err(e) => return Ok(Err(format!("the released key opens no test set: {e}"))),
		};
		let model = task_model(info)?;
		let zk = matches!(info.spec.scoring, ScoringRule::ZkAccuracy { .. });
		Ok(check_opened_test_set(&model, zk, &info.spec.test_set.commitment, &test_set)
			.map(|()| test_set))
	}

	/// Disputes the test set of `task` if this evaluator sits in its last round (only their
	/// majority counts); either way it scores nothing more for the task.
	async fn dispute_test_set(
		&mut self,
		task: u32,
		info: &TaskInfo,
		why: &str,
	) -> anyhow::Result<()> {
		tracing::warn!(target: "din", "task {task}: {why}");
		let last = self.chain.round_evaluators(task, info.round).await?;
		if last.iter().any(|(a, _)| *a == self.me) {
			match self.chain.dispute_test_set(&self.signer, task).await {
				Ok(_) => tracing::warn!(target: "din", "task {task}: disputed the test set"),
				Err(e) if refused(&e, &["AlreadyDisputed"]) => {},
				Err(e) => return Err(e.into()),
			}
		}
		self.disputed.insert(task);
		Ok(())
	}

	/// Lists the targets of a task whose test set (and proving key) opened.
	async fn prepare_scoring(
		&self,
		task: u32,
		info: &TaskInfo,
		test_set: TestSet,
		proving_key: Option<Arc<ProvingKey>>,
	) -> anyhow::Result<Scoring> {
		let targets = self.targets(task, info).await?;
		tracing::info!(target: "din", "task {task}: scoring {} targets on {} test samples", targets.len(), test_set.labels.len());
		Ok(Scoring { test_set, proving_key, targets, done: BTreeSet::new() })
	}

	/// The Groth16 proving key of a `ZkAccuracy` task (`None` under `Median`): the one the
	/// spec names (or `--proving-key`), checked to pair with the registered verifying key.
	/// `Ok(Err(why))` when no proof can come from it: it does not decode or does not pair
	/// (which no retry changes), or is still unavailable in Rewarding.
	async fn open_proving_key(
		&self,
		task: u32,
		info: &TaskInfo,
	) -> anyhow::Result<Result<Option<Arc<ProvingKey>>, String>> {
		let ScoringRule::ZkAccuracy { vk } = info.spec.scoring else { return Ok(Ok(None)) };
		// An operator's `--proving-key` that fails is the operator's fault, never the
		// owner's: it is an error, not a dispute.
		let overridden = self.args.proving_keys.iter().find(|(t, _)| *t == task);
		let cid = match overridden {
			Some((_, cid)) => din_store::parse_cid(cid)?,
			None if info.spec.test_set.proving_key_cid.0.is_empty() => {
				return Ok(Err("the spec names no proving key".into()))
			},
			None => cid_from_chain(&info.spec.test_set.proving_key_cid.0)?,
		};
		let fault = |why: String| -> anyhow::Result<Result<Option<Arc<ProvingKey>>, String>> {
			match overridden {
				Some(_) => Err(invalid!("task {task}: --proving-key: {why}")),
				None => Ok(Err(why)),
			}
		};
		let bytes = match self.store.get(&cid).await {
			Ok(bytes) => bytes,
			Err(e) if matches!(info.phase, TaskPhase::Rewarding) => {
				return fault(format!("the proving key is unavailable: {e}"))
			},
			Err(e) => return Err(anyhow::Error::new(e).context("fetching the proving key")),
		};
		let path = self.args.state_dir.join(format!("proving-key-{task}.bin"));
		std::fs::write(&path, &bytes)?;
		let (shape, key) =
			match tokio::task::spawn_blocking(move || din_zk::read_proving_key(&path)).await? {
				Ok(key) => key,
				Err(e) => return fault(format!("the proving key does not decode: {e}")),
			};
		let registered = self.chain.verifying_key(vk).await?;
		if registered.is_none() {
			// Not registered yet: the owner may still do it in Scoring; without it the task
			// settles as withheld anyway.
			return Err(invalid!("task {task}: its verifying key is not registered"));
		}
		if registered != Some(din_zk::verifying_key_bytes(&key.vk)?) {
			return fault("the proving key does not pair with the registered verifying key".into());
		}
		Ok(Ok(Some(Arc::new((shape, key)))))
	}

	/// The baseline (if this evaluator sits on the baseline panel, the last round's first
	/// subgroup's: `Pallet::baseline_panel`), the global model of every earlier round whose
	/// first panel it sat on (the model the rounds after it trained from) and every accepted
	/// update of the panels it sat on.
	async fn targets(&self, task: u32, info: &TaskInfo) -> anyhow::Result<Vec<Target>> {
		let mut targets = Vec::new();
		let baseline_panel = self.chain.panel(task, info.round, 0).await?;
		if let Some(position) = baseline_panel.iter().position(|a| *a == self.me) {
			targets.push(Target {
				target: ScoreTarget::Baseline,
				cid: info.spec.genesis.cid.0.clone(),
				commitment: info.spec.genesis.commitment,
				primary: position == 0,
			});
		}
		let participants = self.chain.participants(task).await?;
		for round in 0..=info.round {
			for subgroup in 0u32.. {
				let panel = self.chain.panel(task, round, subgroup).await?;
				if panel.is_empty() {
					break;
				}
				let Some(position) = panel.iter().position(|a| *a == self.me) else { continue };
				if subgroup == 0 && round < info.round {
					if let Some(global) = self.chain.global_model(task, round).await? {
						targets.push(Target {
							target: ScoreTarget::Global { round },
							cid: global.cid.0,
							commitment: global.commitment,
							primary: position == 0,
						});
					}
				}
				let Some(SubgroupResult::Accepted(reveal)) =
					self.chain.subgroup_result(task, round, subgroup).await?
				else {
					continue;
				};
				for participant in &participants {
					if reveal.invalid.0.contains(participant) {
						continue;
					}
					let Some(update) = self.chain.update(task, round, participant).await? else {
						continue;
					};
					if update.subgroup != subgroup {
						continue;
					}
					let slot = prover_slot(participant, round, panel.len());
					// A member of a secure subgroup is scored by the subgroup's aggregate.
					let (cid, commitment) = if info.spec.aggregation.is_secure() {
						(reveal.cid.0.clone(), reveal.commitment)
					} else {
						(update.cid.0, update.commitment)
					};
					targets.push(Target {
						target: ScoreTarget::Update { round, participant: participant.clone() },
						cid,
						commitment,
						primary: slot == position,
					});
				}
			}
		}
		Ok(targets)
	}
}

/// The compute of an aggregation duty once its updates are fetched: the subgroup duty
/// ([`duty::aggregate_subgroup`]) with the checks and the rule on rayon and the client's
/// commitments (those of `sample`). Returns the aggregate (`None` when no update is valid)
/// and the positions of the rejected updates with the reason.
fn aggregate_fetched(
	rule: &AggregationRule,
	schema: &Schema,
	submitted: &[Submitted<H256>],
	sample: &CommitmentSample,
	privacy: Option<(&PrivacyPolicy, &Update)>,
) -> Result<SubgroupOutcome, AggregateError> {
	duty::aggregate_subgroup(&Parallel, rule, schema, submitted, sample, privacy, commitment_of)
}

/// Bonds up to `bond` and enters the pool, unless already in it; a refused transaction
/// is tried again after reading the chain anew ([`crate::common::retry_refused`]).
async fn register(chain: &Chain, signer: &Signer, bond: u128) -> anyhow::Result<()> {
	let me = signer.account_id();
	crate::common::retry_refused("registering as an evaluator", || async {
		let role = din_chain::types::Role::Evaluator;
		let active = chain.ledger(&me, role.clone()).await?.map(|l| l.active).unwrap_or(0);
		if active < bond {
			chain.bond(signer, role, bond - active).await?;
		}
		if !chain.evaluator_pool().await?.contains(&me) {
			chain.register_evaluator(signer).await?;
			tracing::info!(target: "din", "registered as an evaluator");
		}
		Ok(())
	})
	.await
}

/// A score target for logs: `baseline`, `global@<round>` or `<participant>@<round>`
/// (rounds counted from 1).
fn describe(target: &ScoreTarget) -> String {
	match target {
		ScoreTarget::Baseline => "baseline".into(),
		ScoreTarget::Update { round, participant } => {
			format!("{}@{}", short(participant), round + 1)
		},
		ScoreTarget::Global { round } => format!("global@{}", round + 1),
	}
}

/// Which panel member proves `participant`'s update of `round` first.
fn prover_slot(participant: &AccountId32, round: u32, panel: usize) -> usize {
	let digest = sha2::Sha256::new()
		.chain_update(participant.0)
		.chain_update(round.to_le_bytes())
		.finalize();
	(u64::from_le_bytes(digest[..8].try_into().expect("8 bytes")) % panel.max(1) as u64) as usize
}

/// Whether an opened test set is the one the task committed to: its commitment (Poseidon in
/// the model's feature domain under zk scoring, sha2-256 under median) and, for a task whose
/// inputs are preprocessed, a set the declared map could have produced
/// (`Preprocessing::admits`). `Err(why)` is the dispute's reason.
fn check_opened_test_set(
	model: &din_fl::TaskModel,
	zk: bool,
	committed: &H256,
	test_set: &TestSet,
) -> Result<(), String> {
	let commitment = if zk {
		let domain = din_zk::feature_domain(model).map_err(|e| e.to_string())?;
		match din_zk::commitment::test_set_commitment_in(
			domain,
			&test_set.features,
			&test_set.labels,
			test_set.num_features as usize,
			model.spec.classes() as usize,
		) {
			Ok(c) => H256(din_zk::commitment::to_bytes(&c)),
			Err(e) => return Err(format!("the decrypted test set is malformed: {e}")),
		}
	} else {
		H256(din_fl::sealed_test_set::median_test_set_commitment(test_set))
	};
	if commitment != *committed {
		return Err("the released key does not open the committed test set".into());
	}
	match &model.preprocessing {
		Some(map) if !map.admits(test_set) => Err(format!(
			"the committed test set was not preprocessed as the task declares (a feature \
			 outside ±{} or another width)",
			map.clip
		)),
		_ => Ok(()),
	}
}

#[cfg(test)]
mod tests;
