//! `din task …`: what a model owner does, and how anyone follows a task.
//!
//! - `create` builds the genesis model, commits and encrypts the test set, runs the
//!   Groth16 setup (for `--scoring zk`), publishes the artifacts to the owner's block
//!   store, registers the verifying key and creates the task. The owner's secrets (the
//!   test-set key) and the CIDs evaluators need (the proving key) go to
//!   `--owner-dir/task-<id>.json`.
//! - `release-key` releases the test-set key once the task is in its Scoring phase
//!   (`--wait` waits for it).
//! - `status` prints the task and per-round progress; `watch` follows it to the end,
//!   evaluating each new global model and collecting scores, payouts and slashes.
//!
//! The owner's artifacts are written into `--store-dir`, which a `din store serve` on the
//! same directory announces to the network.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{bail, Context};
use clap::{Args, Subcommand, ValueEnum};
use din_chain::{
	din,
	types::{
		AggregationRule, BoundedVec, FeeParams, ModelRef, ModelSpec as ChainModelSpec, Perbill,
		PhaseLengths, RewardAsset, RewardPool, ScoringRule, SubgroupResult, TaskPhase, TaskSpec,
		TestSetRef,
	},
	AccountId32, Chain, H256,
};
use din_fl::{ModelSpec, TestSet};
use din_store::{Blockstore, Cid};
use futures::StreamExt;
use serde::{Deserialize, Serialize};

use crate::artifact;
use crate::common::{
	cid_to_chain, commitment_of, format_amount, parse_amount, short, task_spec, ChainArgs,
	DataSource, SignerArgs, StoreArgs,
};
use crate::follow::Follower;
use crate::invalid;

/// The `din task` subcommands.
#[derive(Debug, Subcommand)]
pub enum TaskCommand {
	/// Create a task: genesis model, committed test set, Groth16 keys, escrowed reward.
	Create(Box<CreateArgs>),
	/// Release the test-set key of a task (owner only, during Scoring).
	ReleaseKey {
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
	/// Print a task and its per-round progress.
	Status {
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

/// The model architecture to train.
#[derive(Clone, Debug)]
pub enum ModelArg {
	/// Softmax regression.
	Softmax,
	/// An MLP with these hidden widths.
	Mlp(Vec<u32>),
}

impl std::str::FromStr for ModelArg {
	type Err = String;

	fn from_str(s: &str) -> Result<Self, String> {
		if s == "softmax" {
			return Ok(Self::Softmax);
		}
		if let Some(widths) = s.strip_prefix("mlp:") {
			let hidden: Result<Vec<u32>, _> = widths.split(',').map(str::parse).collect();
			return hidden.map(Self::Mlp).map_err(|_| format!("`{s}`: expected mlp:W[,W…]"));
		}
		Err(format!("`{s}`: expected softmax or mlp:W[,W…]"))
	}
}

/// How accepted updates are scored.
#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
pub enum ScoringArg {
	/// Groth16 proofs of accuracy: one valid proof settles a score.
	Zk,
	/// Every panel member reports; the median settles.
	Median,
}

/// `din task create`.
#[derive(Debug, Args)]
pub struct CreateArgs {
	/// Model architecture: softmax or mlp:W[,W…] (the circuit proves softmax and one-hidden-layer MLPs).
	#[arg(long, default_value = "softmax")]
	pub model: ModelArg,
	/// The owner's test data (see `din participant run --help` for the names).
	#[arg(long, default_value = "digits-test")]
	pub test_data: DataSource,
	/// Test samples the scores are computed on (the first N of --test-data); each Groth16
	/// proof covers all of them, so proving time grows with N.
	#[arg(long, default_value_t = 64)]
	pub test_samples: usize,
	/// Reward pool in whole tokens, held from the owner.
	#[arg(long, value_parser = parse_amount)]
	pub reward: u128,
	/// Training rounds.
	#[arg(long, default_value_t = 5)]
	pub rounds: u32,
	/// Participants per subgroup (G).
	#[arg(long, default_value_t = 4)]
	pub subgroup_size: u32,
	/// Evaluators per subgroup (Q).
	#[arg(long, default_value_t = 3)]
	pub evaluators: u32,
	/// Participants needed to start a round.
	#[arg(long, default_value_t = 1)]
	pub min_participants: u32,
	/// Bond a participant must lock to join, in whole tokens.
	#[arg(long, value_parser = parse_amount, default_value = "1")]
	pub participant_bond: u128,
	/// Bond each evaluator seat locks, in whole tokens.
	#[arg(long, value_parser = parse_amount, default_value = "100")]
	pub evaluator_bond: u128,
	/// fedavg, median, trimmed-mean:PERCENT, krum:F or multi-krum:F,M.
	#[arg(long, default_value = "fedavg", value_parser = parse_rule)]
	pub aggregation: AggregationRule,
	/// How accepted updates are scored.
	#[arg(long, value_enum, default_value_t = ScoringArg::Zk)]
	pub scoring: ScoringArg,
	/// Median scoring: reports further than this (percent) from the median earn nothing.
	#[arg(long, default_value_t = 2)]
	pub median_threshold: u32,
	/// Length of every phase in blocks, unless set one by one below.
	#[arg(long, default_value_t = 5)]
	pub phase_blocks: u32,
	#[arg(long)]
	pub registration_blocks: Option<u32>,
	#[arg(long)]
	pub training_blocks: Option<u32>,
	#[arg(long)]
	pub scoring_blocks: Option<u32>,
	#[arg(long)]
	pub rewarding_blocks: Option<u32>,
	/// Share of the pool paid to evaluators, percent.
	#[arg(long, default_value_t = 10)]
	pub evaluator_fee: u32,
	/// Share of the pool burned, percent.
	#[arg(long, default_value_t = 1)]
	pub protocol_fee: u32,
	/// Percent of a bond slashed per offence.
	#[arg(long, default_value_t = 10)]
	pub slash: u32,
	/// Percentage points below the baseline an update may score before it is slashed.
	#[arg(long, default_value_t = 5)]
	pub baseline_margin: u32,
	/// Seed of the genesis model's initialization.
	#[arg(long, default_value_t = 0)]
	pub genesis_seed: u64,
	/// Where the owner's secrets for this task are written.
	#[arg(long, env = "DIN_OWNER_DIR")]
	pub owner_dir: PathBuf,
	/// Block store directory the artifacts are published to (served by `din store serve`).
	#[arg(long, env = "DIN_STORE_DIR")]
	pub store_dir: PathBuf,
	/// Prepare the task (genesis model, encrypted test set, Groth16 setup) but do not submit
	/// it: print its SCALE-encoded spec as hex, for a contract to create the task through
	/// the DIN precompile (`IDin.createTask(bytes)`). The test-set key stays in
	/// `--owner-dir/pending-<test-set CID>.json`; the task's owner (the contract) releases it.
	#[arg(long)]
	pub spec_only: bool,
	/// Print JSON.
	#[arg(long)]
	pub json: bool,
	#[command(flatten)]
	pub signer: SignerArgs,
	#[command(flatten)]
	pub chain: ChainArgs,
}

/// `din task watch`.
#[derive(Debug, Args)]
pub struct WatchArgs {
	#[arg(long)]
	pub task: u32,
	/// Data each new global model is evaluated on (integer reference evaluator).
	#[arg(long, default_value = "digits-test")]
	pub eval_data: DataSource,
	/// Print one JSON summary at the end instead of a log.
	#[arg(long)]
	pub json: bool,
	#[command(flatten)]
	pub store: StoreArgs,
	#[command(flatten)]
	pub chain: ChainArgs,
}

fn percent(p: u32) -> Perbill {
	Perbill(p.min(100) * 10_000_000)
}

/// `p` percent as the aggregation rule's own `Perbill` (sp-arithmetic's, not the
/// generated copy the fee parameters use).
fn rule_percent(p: u32) -> din_fl::Perbill {
	din_fl::Perbill::from_percent(p.min(100))
}

fn parse_rule(s: &str) -> Result<AggregationRule, String> {
	let (name, params) = s.split_once(':').unwrap_or((s, ""));
	let numbers = || -> Result<Vec<u32>, String> {
		params
			.split(',')
			.map(|p| p.parse().map_err(|_| format!("`{s}`: bad parameter `{p}`")))
			.collect()
	};
	match (name, numbers()) {
		("fedavg", _) if params.is_empty() => Ok(AggregationRule::FedAvg),
		("median", _) if params.is_empty() => Ok(AggregationRule::Median),
		("trimmed-mean", Ok(p)) if p.len() == 1 => {
			Ok(AggregationRule::TrimmedMean { beta: rule_percent(p[0]) })
		},
		("krum", Ok(p)) if p.len() == 1 => Ok(AggregationRule::Krum { f: p[0] }),
		("multi-krum", Ok(p)) if p.len() == 2 => {
			Ok(AggregationRule::MultiKrum { f: p[0], m: p[1] })
		},
		_ => Err(format!(
			"`{s}`: expected fedavg, median, trimmed-mean:PERCENT, krum:F or multi-krum:F,M"
		)),
	}
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
		TaskCommand::Create(args) => create(*args).await,
		TaskCommand::ReleaseKey { task, owner_dir, wait, signer, chain } => {
			release_key(task, &owner_dir, wait, signer, chain).await
		},
		TaskCommand::Status { task, json, chain } => status(task, json, chain).await,
		TaskCommand::Watch(args) => watch(args).await,
	}
}

/// The model spec of `model` for data with `inputs` features and `classes` classes.
fn model_spec(model: &ModelArg, inputs: usize, classes: usize) -> anyhow::Result<ModelSpec> {
	let (inputs, classes) = (inputs as u32, classes as u32);
	let spec = match model {
		ModelArg::Softmax => ModelSpec::SoftmaxRegression { inputs, classes },
		ModelArg::Mlp(hidden) => ModelSpec::Mlp { inputs, hidden: hidden.clone(), classes },
	};
	spec.validate().map_err(|e| invalid!("model: {e:?}"))?;
	Ok(spec)
}

/// The owner's committed test set: its first `samples` samples.
fn owner_test_set(source: &DataSource, samples: usize) -> anyhow::Result<(TestSet, usize)> {
	let data = source.load()?;
	if samples == 0 || samples > data.len() {
		return Err(invalid!("--test-samples {samples}: the test data has {} samples", data.len()));
	}
	let picked: Vec<usize> = (0..samples).collect();
	let classes = data.num_classes();
	Ok((data.subset(&picked).to_test_set()?, classes))
}

/// The test-set commitment: the Poseidon commitment the circuit recomputes for `zk`;
/// for `median` (any features, no circuit) the sha2-256 of the plaintext artifact.
fn test_set_commitment(
	test_set: &TestSet,
	classes: usize,
	scoring: ScoringArg,
) -> anyhow::Result<H256> {
	Ok(match scoring {
		ScoringArg::Zk => {
			let inputs = test_set.num_features as usize;
			let c = din_zk::commitment::test_set_commitment(
				&test_set.features,
				&test_set.labels,
				inputs,
				classes,
			)
			.map_err(|e| {
				invalid!("the circuit cannot commit this test set ({e:?}); use --scoring median")
			})?;
			H256(din_zk::commitment::to_bytes(&c))
		},
		ScoringArg::Median => H256(din_fl::sealed_test_set::median_test_set_commitment(test_set)),
	})
}

async fn create(args: CreateArgs) -> anyhow::Result<()> {
	let signer = args.signer.signer()?;
	let chain = args.chain.connect().await?;
	let blockstore = Blockstore::open(&args.store_dir)
		.with_context(|| format!("opening block store {}", args.store_dir.display()))?;
	std::fs::create_dir_all(&args.owner_dir)
		.with_context(|| format!("creating {}", args.owner_dir.display()))?;

	let (test_set, classes) = owner_test_set(&args.test_data, args.test_samples)?;
	let spec = model_spec(&args.model, test_set.num_features as usize, classes)?;
	let architecture = spec.to_bytes().map_err(|e| invalid!("model: {e:?}"))?;
	let spec_hash = spec.hash().map_err(|e| invalid!("model: {e:?}"))?;

	let genesis = din_ml::model::Model::new(&spec, args.genesis_seed, &candle_core::Device::Cpu)?
		.to_update(0)?;
	let genesis_cid = blockstore.put_artifact(&genesis.encode()?)?;
	let genesis_commitment = commitment_of(&genesis.values);

	let test_commitment = test_set_commitment(&test_set, classes, args.scoring)?;
	let test_key = artifact::new_test_key();
	let sealed = artifact::apply_keystream(&test_key, &artifact::encode_test_set(&test_set));
	let test_set_cid = blockstore.put_artifact(&sealed)?;

	let (scoring, proving_key_cid) = match args.scoring {
		ScoringArg::Zk => {
			let (vk_hash, pk_cid) = zk_setup(&chain, &signer, &spec, &args, &blockstore).await?;
			(ScoringRule::ZkAccuracy { vk: vk_hash }, Some(pk_cid))
		},
		ScoringArg::Median => {
			(ScoringRule::Median { threshold: percent(args.median_threshold) }, None)
		},
	};

	let phase = args.phase_blocks;
	let spec = TaskSpec {
		model: ChainModelSpec { architecture: BoundedVec(architecture), hash: H256(spec_hash) },
		genesis: ModelRef {
			cid: BoundedVec(cid_to_chain(&genesis_cid)),
			commitment: genesis_commitment,
		},
		test_set: TestSetRef {
			commitment: test_commitment,
			encrypted_cid: BoundedVec(cid_to_chain(&test_set_cid)),
		},
		reward: RewardPool { asset: RewardAsset::Native, amount: args.reward },
		rounds: args.rounds,
		phases: PhaseLengths {
			registration: args.registration_blocks.unwrap_or(phase),
			training: args.training_blocks.unwrap_or(phase),
			aggregation_commit: phase,
			aggregation_reveal: phase,
			global_commit: phase,
			global_reveal: phase,
			scoring: args.scoring_blocks.unwrap_or(phase),
			rewarding: args.rewarding_blocks.unwrap_or(phase),
		},
		subgroup_size: args.subgroup_size,
		evaluators_per_subgroup: args.evaluators,
		min_participants: args.min_participants,
		min_participant_bond: args.participant_bond,
		min_evaluator_bond: args.evaluator_bond,
		aggregation: args.aggregation.into(),
		scoring,
		fees: FeeParams {
			evaluator_fee: percent(args.evaluator_fee),
			protocol_fee: percent(args.protocol_fee),
			baseline_margin: percent(args.baseline_margin),
			slash: percent(args.slash),
		},
	};
	// The test-set key exists nowhere else: it goes to disk before the task that depends on
	// it is created, so that no failure after the submission can lose it.
	let mut file = OwnerFile {
		task: None,
		test_key: hex::encode(test_key),
		genesis_cid: genesis_cid.to_string(),
		test_set_cid: test_set_cid.to_string(),
		proving_key_cid: proving_key_cid.map(|c| c.to_string()),
		test_samples: args.test_samples,
	};
	let pending = args.owner_dir.join(format!("pending-{test_set_cid}.json"));
	crate::state::write_atomically(&pending, &serde_json::to_vec_pretty(&file)?)?;
	if args.spec_only {
		let encoded = format!("0x{}", hex::encode(chain.encode_task_spec(spec).await?));
		if args.json {
			println!(
				"{}",
				serde_json::json!({
					"spec": encoded,
					"owner_file": pending,
					"genesis_cid": file.genesis_cid,
					"test_set_cid": file.test_set_cid,
					"proving_key_cid": file.proving_key_cid,
				})
			);
		} else {
			println!("{encoded}");
			eprintln!("test-set key kept in {}", pending.display());
		}
		return Ok(());
	}
	let included = chain.create_task(&signer, spec).await.with_context(|| {
		format!("creating the task (its test-set key is kept in {})", pending.display())
	})?;
	let created = included
		.events
		.find_first::<din::tasks::events::TaskCreated>()
		.transpose()
		.map_err(|e| anyhow::anyhow!("decoding TaskCreated: {e}"))?
		.context("create_task succeeded without a TaskCreated event")?;
	let task = created.task;
	file.task = Some(task);
	crate::state::write_atomically(
		&owner_file(&args.owner_dir, task),
		&serde_json::to_vec_pretty(&file)?,
	)?;
	std::fs::remove_file(&pending).ok();
	if args.json {
		println!(
			"{}",
			serde_json::json!({
				"task": task,
				"registration_ends": created.registration_ends,
				"genesis_cid": file.genesis_cid,
				"test_set_cid": file.test_set_cid,
				"proving_key_cid": file.proving_key_cid,
			})
		);
	} else {
		println!("task {task} created; registration ends at block #{}", created.registration_ends);
		println!("  genesis model   {}", file.genesis_cid);
		println!("  test set (enc.) {}", file.test_set_cid);
		if let Some(pk) = &file.proving_key_cid {
			println!("  proving key     {pk}   (evaluators: --proving-key {task}={pk})");
		}
		println!("  owner file      {}", owner_file(&args.owner_dir, task).display());
	}
	Ok(())
}

/// The owner's Groth16 setup for the task's circuit: publishes the proving key, registers
/// the verifying key. Returns the key's on-chain hash and the proving key's CID.
async fn zk_setup(
	chain: &Chain,
	signer: &din_chain::Signer,
	spec: &ModelSpec,
	args: &CreateArgs,
	blockstore: &Blockstore,
) -> anyhow::Result<(H256, Cid)> {
	let model = din_zk::ModelShape::try_from(spec).map_err(|_| {
		invalid!("the circuit proves softmax and one-hidden-layer MLPs; use --scoring median")
	})?;
	let shape = din_zk::CircuitShape { model, samples: args.test_samples };
	tracing::info!(target: "din", "Groth16 setup for {shape:?}");
	let (pk, vk) = tokio::task::spawn_blocking(move || din_zk::setup_with_os_rng(shape)).await??;
	let pk_path = args.owner_dir.join("proving-key.tmp");
	din_zk::write_proving_key(&pk_path, shape, &pk)?;
	let pk_cid = blockstore.put_artifact(&std::fs::read(&pk_path)?)?;
	std::fs::remove_file(&pk_path).ok();
	let vk_bytes = din_zk::verifying_key_bytes(&vk)?;
	let included = chain.register_verifying_key(signer, vk_bytes).await?;
	let registered = included
		.events
		.find_first::<din::evaluation::events::VerifyingKeyRegistered>()
		.transpose()
		.map_err(|e| anyhow::anyhow!("decoding VerifyingKeyRegistered: {e}"))?
		.context("register_verifying_key succeeded without its event")?;
	Ok((registered.hash, pk_cid))
}

async fn release_key(
	task: u32,
	owner_dir: &Path,
	wait: bool,
	signer: SignerArgs,
	chain: ChainArgs,
) -> anyhow::Result<()> {
	let path = owner_file(owner_dir, task);
	let file: OwnerFile = serde_json::from_slice(
		&std::fs::read(&path).with_context(|| format!("reading owner file {}", path.display()))?,
	)?;
	let key =
		hex::decode(&file.test_key).map_err(|_| invalid!("owner file: test_key is not hex"))?;
	let signer = signer.signer()?;
	let chain = chain.connect_following().await?;
	let mut follower = Follower::new(Duration::from_millis(500));
	loop {
		let number = follower.next(&chain).await;
		let info = chain.task(task).await?.ok_or_else(|| invalid!("task {task} does not exist"))?;
		match info.phase {
			TaskPhase::Scoring => break,
			TaskPhase::Rewarding | TaskPhase::Finished | TaskPhase::Cancelled => {
				return Err(invalid!("task {task} is past its Scoring phase ({:?})", info.phase))
			},
			phase if !wait => {
				return Err(invalid!("task {task} is in {phase:?}, not Scoring (use --wait)"))
			},
			_ => tracing::debug!(target: "din", "block #{number}: waiting for Scoring"),
		}
	}
	chain.release_test_key(&signer, task, key).await?;
	println!("released the test-set key of task {task}");
	Ok(())
}

fn phase_name(phase: &TaskPhase) -> String {
	format!("{phase:?}")
}

async fn status(task: u32, json: bool, chain: ChainArgs) -> anyhow::Result<()> {
	let chain = chain.connect().await?;
	let info = chain.task(task).await?.ok_or_else(|| invalid!("task {task} does not exist"))?;
	let participants = chain.participants(task).await?;
	let (head, _) = chain.finalized_head().await?;
	let last_round =
		if matches!(info.phase, TaskPhase::Registration) { None } else { Some(info.round) };
	let mut rounds = Vec::new();
	for round in 0..=last_round.unwrap_or(0) {
		if last_round.is_none() {
			break;
		}
		let mut submitted = 0;
		for p in &participants {
			if chain.update(task, round, p).await?.is_some() {
				submitted += 1;
			}
		}
		let mut subgroups = Vec::new();
		for subgroup in 0.. {
			let panel = chain.panel(task, round, subgroup).await?;
			if panel.is_empty() {
				break;
			}
			let result = match chain.subgroup_result(task, round, subgroup).await? {
				None => "open".to_string(),
				Some(SubgroupResult::Accepted(reveal)) => {
					format!("accepted ({} invalid)", reveal.invalid.0.len())
				},
				Some(SubgroupResult::Disputed) => "disputed".into(),
				Some(SubgroupResult::Empty) => "empty".into(),
			};
			subgroups.push(result);
		}
		let global = chain
			.global_model(task, round)
			.await?
			.map(|m| String::from_utf8_lossy(&m.cid.0).into_owned());
		rounds.push((round, submitted, subgroups, global));
	}
	let settlement = chain.settlement(task).await?;
	if json {
		let rounds: Vec<_> = rounds
            .iter()
            .map(|(round, submitted, subgroups, global)| {
                serde_json::json!({ "round": round, "updates": submitted, "subgroups": subgroups, "global_model": global })
            })
            .collect();
		println!(
			"{}",
			serde_json::json!({
				"task": task,
				"owner": info.owner.to_string(),
				"phase": phase_name(&info.phase),
				"round": info.round,
				"rounds": info.spec.rounds,
				"phase_ends": info.phase_ends,
				"finalized": head,
				"remaining": info.remaining.to_string(),
				"participants": participants.len(),
				"progress": rounds,
				"settlement": settlement.map(|s| serde_json::json!({
					"pool": s.pool.to_string(), "participants": s.participants.to_string(),
					"evaluators": s.evaluators.to_string(), "burned": s.burned.to_string(),
					"refund": s.refund.to_string(), "slashed": s.slashed, "scored": s.scored,
				})),
			})
		);
		return Ok(());
	}
	println!("task {task}  owner {}", info.owner);
	println!(
		"  phase {} (round {}/{}), ends at #{} (finalized #{head})",
		phase_name(&info.phase),
		info.round + 1,
		info.spec.rounds,
		info.phase_ends
	);
	println!("  pool left {}  participants {}", format_amount(info.remaining), participants.len());
	if !rounds.is_empty() {
		println!("  {:<6} {:<8} {:<40} global model", "round", "updates", "subgroups");
		for (round, submitted, subgroups, global) in rounds {
			println!(
				"  {:<6} {:<8} {:<40} {}",
				round,
				submitted,
				subgroups.join(", "),
				global.unwrap_or_else(|| "-".into())
			);
		}
	}
	if let Some(s) = settlement {
		println!(
            "  settled: pool {} → participants {}, evaluators {}, burned {}, refund {}; {} slashed below baseline",
            format_amount(s.pool),
            format_amount(s.participants),
            format_amount(s.evaluators),
            format_amount(s.burned),
            format_amount(s.refund),
            s.slashed
        );
	}
	Ok(())
}

/// What `watch` collects.
#[derive(Debug, Default, Serialize)]
struct WatchSummary {
	task: u32,
	/// Accuracy of the genesis model on `--eval-data`, `(correct, total)`.
	genesis_accuracy: (u32, u32),
	/// Accuracy of each round's global model on `--eval-data`, `(round, correct, total)`.
	global_accuracy: Vec<(u32, u32, u32)>,
	/// Proven or median-settled scores: target → accuracy in percent.
	scores: BTreeMap<String, f64>,
	/// Payouts to participants and evaluators (string amounts).
	payouts: BTreeMap<String, String>,
	/// `(account, role, round, offence, amount)` of every slash in the task.
	slashes: Vec<(String, String, u32, String, String)>,
	settlement: Option<serde_json::Value>,
	/// Balances at the end: account → (free, on hold).
	balances: BTreeMap<String, (String, String)>,
	/// Pool accounting holds: pool = participants + evaluators + burned + refund.
	accounting_holds: Option<bool>,
}

async fn watch(args: WatchArgs) -> anyhow::Result<()> {
	let task = args.task;
	let chain = args.chain.connect().await?;
	let info = chain.task(task).await?.ok_or_else(|| invalid!("task {task} does not exist"))?;
	let spec = task_spec(&info)?;
	let eval = args.eval_data.load()?.to_test_set()?;
	let store = args.store.start().await?;
	let schema = spec.schema().map_err(|e| invalid!("{e:?}"))?;
	let genesis = crate::common::fetch_checked(
		&store,
		&info.spec.genesis.cid.0,
		&schema,
		&info.spec.genesis.commitment,
		None,
		Duration::from_secs(30),
	)
	.await
	.map_err(|why| anyhow::anyhow!("genesis model: {why}"))?;
	let total = eval.labels.len() as u32;
	let genesis_accuracy = (din_fl::count_correct(&spec, &genesis.values, &eval)?, total);
	let mut summary = WatchSummary { task, genesis_accuracy, ..Default::default() };
	let mut accounts: Vec<AccountId32> = vec![info.owner.clone()];
	let say = |line: String| {
		if !args.json {
			println!("{line}");
		}
	};
	say(format!(
		"watching task {task} ({} rounds); genesis model accuracy {:.1}% ({}/{total})",
		info.spec.rounds,
		100.0 * f64::from(genesis_accuracy.0) / f64::from(total),
		genesis_accuracy.0
	));
	let mut events = chain.finalized_events().await?;
	while let Some(block) = events.next().await {
		let block = block?;
		let mut finished = false;
		for event in block.events.iter() {
			let event = event.map_err(|e| anyhow::anyhow!("decoding an event: {e}"))?;
			use din::{
				evaluation::events as ev, rewards::events as rw, staking::events as st,
				tasks::events as tk,
			};
			if let Ok(Some(e)) = event.decode_fields_as::<tk::PhaseChanged>().transpose() {
				if e.task == task {
					say(format!(
						"#{:<5} round {} {:?} (until #{})",
						block.number,
						e.round + 1,
						e.phase,
						e.ends
					));
				}
			} else if let Ok(Some(e)) = event.decode_fields_as::<tk::RoundStarted>().transpose() {
				if e.task == task {
					say(format!("#{:<5} round {} started", block.number, e.round + 1));
				}
			} else if let Ok(Some(e)) =
				event.decode_fields_as::<tk::ParticipantJoined>().transpose()
			{
				if e.task == task {
					accounts.push(e.who.clone());
					say(format!("#{:<5} {} joined", block.number, short(&e.who)));
				}
			} else if let Ok(Some(e)) = event.decode_fields_as::<ev::PanelDrawn>().transpose() {
				if e.task == task {
					accounts.extend(e.evaluators.iter().cloned());
				}
			} else if let Ok(Some(e)) = event.decode_fields_as::<ev::SubgroupDisputed>().transpose()
			{
				if e.task == task {
					say(format!(
						"#{:<5} round {} subgroup {} disputed",
						block.number,
						e.round + 1,
						e.subgroup
					));
				}
			} else if let Ok(Some(e)) = event.decode_fields_as::<ev::GlobalModelFixed>().transpose()
			{
				if e.task == task {
					let accuracy = match crate::common::fetch_checked(
						&store,
						&e.cid.0,
						&schema,
						&e.commitment,
						None,
						Duration::from_secs(30),
					)
					.await
					{
						Ok(update) => din_fl::count_correct(&spec, &update.values, &eval)
							.map(|c| (c, eval.labels.len() as u32))
							.map_err(|e| format!("{e:?}")),
						Err(why) => Err(why.to_string()),
					};
					match accuracy {
						Ok((correct, total)) => {
							summary.global_accuracy.push((e.round, correct, total));
							say(format!(
                                "#{:<5} round {} global model {}: accuracy {:.1}% ({correct}/{total}), {} of {} votes",
                                block.number,
                                e.round + 1,
                                String::from_utf8_lossy(&e.cid.0),
                                100.0 * f64::from(correct) / f64::from(total),
                                e.votes,
                                e.voters
                            ));
						},
						Err(why) => say(format!(
							"#{:<5} round {} global model not evaluated: {why}",
							block.number,
							e.round + 1
						)),
					}
				}
			} else if let Ok(Some(e)) = event.decode_fields_as::<ev::GlobalDisputed>().transpose() {
				if e.task == task {
					say(format!(
						"#{:<5} round {} global model disputed",
						block.number,
						e.round + 1
					));
				}
			} else if let Ok(Some(e)) = event.decode_fields_as::<ev::TestKeyReleased>().transpose()
			{
				if e.task == task {
					say(format!("#{:<5} test-set key released", block.number));
				}
			} else if let Ok(Some(e)) = event.decode_fields_as::<ev::ScoreProven>().transpose() {
				if e.task == task {
					let name = target_name(&e.target);
					let accuracy = 100.0 * f64::from(e.correct) / f64::from(e.total);
					say(format!(
						"#{:<5} score {name}: {accuracy:.1}% ({}/{}) proven by {}",
						block.number,
						e.correct,
						e.total,
						short(&e.prover)
					));
					summary.scores.insert(name, accuracy);
				}
			} else if let Ok(Some(e)) = event.decode_fields_as::<ev::MedianSettled>().transpose() {
				if e.task == task {
					let name = target_name(&e.target);
					let accuracy = f64::from(e.accuracy.0) / 1e7;
					say(format!(
						"#{:<5} score {name}: {accuracy:.1}% (median of {})",
						block.number, e.reports
					));
					summary.scores.insert(name, accuracy);
				}
			} else if let Ok(Some(e)) =
				event.decode_fields_as::<rw::ParticipantRewarded>().transpose()
			{
				if e.task == task {
					say(format!(
						"#{:<5} participant {} paid {}",
						block.number,
						e.who,
						format_amount(e.amount)
					));
					summary.payouts.insert(e.who.to_string(), e.amount.to_string());
				}
			} else if let Ok(Some(e)) =
				event.decode_fields_as::<rw::EvaluatorRewarded>().transpose()
			{
				if e.task == task {
					say(format!(
						"#{:<5} evaluator {} paid {} for {} work",
						block.number,
						e.who,
						format_amount(e.amount),
						e.work
					));
					summary.payouts.insert(e.who.to_string(), e.amount.to_string());
				}
			} else if let Ok(Some(e)) = event.decode_fields_as::<st::Slashed>().transpose() {
				if e.task == task {
					let offence = format!("{:?}", e.reason.offence);
					say(format!(
						"#{:<5} slashed {} ({:?}) {} in round {} for {offence}",
						block.number,
						e.who,
						e.role,
						format_amount(e.amount),
						e.round + 1
					));
					summary.slashes.push((
						e.who.to_string(),
						format!("{:?}", e.role),
						e.round,
						offence,
						e.amount.to_string(),
					));
				}
			} else if let Ok(Some(e)) = event.decode_fields_as::<rw::TaskSettled>().transpose() {
				if e.task == task {
					let s = &e.settlement;
					let holds = s.pool == s.participants + s.evaluators + s.burned + s.refund;
					summary.accounting_holds = Some(holds);
					say(format!(
                        "#{:<5} settled: pool {} = participants {} + evaluators {} + burned {} + refund {} ({})",
                        block.number,
                        format_amount(s.pool),
                        format_amount(s.participants),
                        format_amount(s.evaluators),
                        format_amount(s.burned),
                        format_amount(s.refund),
                        if holds { "holds" } else { "BROKEN" }
                    ));
					summary.settlement = Some(serde_json::json!({
						"pool": s.pool.to_string(), "participants": s.participants.to_string(),
						"evaluators": s.evaluators.to_string(), "burned": s.burned.to_string(),
						"refund": s.refund.to_string(), "slashed": s.slashed, "scored": s.scored,
					}));
				}
			} else if let Ok(Some(e)) = event.decode_fields_as::<tk::TaskFinished>().transpose() {
				if e.task == task {
					say(format!(
						"#{:<5} task finished; {} refunded to the owner",
						block.number,
						format_amount(e.refund)
					));
					finished = true;
				}
			} else if let Ok(Some(e)) = event.decode_fields_as::<tk::TaskCancelled>().transpose() {
				if e.task == task {
					bail!("task {task} was cancelled");
				}
			}
		}
		if finished {
			accounts.sort_by(|a, b| a.0.cmp(&b.0));
			accounts.dedup();
			say("balances (free / on hold):".into());
			for who in accounts {
				let balance = chain.balance(&who).await?;
				say(format!(
					"  {who}  {} / {}",
					format_amount(balance.free),
					format_amount(balance.reserved)
				));
				summary.balances.insert(
					who.to_string(),
					(balance.free.to_string(), balance.reserved.to_string()),
				);
			}
			if args.json {
				println!("{}", serde_json::to_string_pretty(&summary)?);
			}
			return Ok(());
		}
	}
	bail!("the node closed the event stream before task {task} finished")
}

fn target_name(target: &din_chain::types::ScoreTarget) -> String {
	match target {
		din_chain::types::ScoreTarget::Baseline => "baseline".into(),
		din_chain::types::ScoreTarget::Update { round, participant } => {
			format!("{participant}@{round}")
		},
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn rules_parse_with_their_parameters() {
		assert_eq!(parse_rule("fedavg"), Ok(AggregationRule::FedAvg));
		assert_eq!(
			parse_rule("trimmed-mean:10"),
			Ok(AggregationRule::TrimmedMean { beta: din_fl::Perbill::from_parts(100_000_000) })
		);
		assert_eq!(parse_rule("multi-krum:1,3"), Ok(AggregationRule::MultiKrum { f: 1, m: 3 }));
		assert!(parse_rule("krum").is_err());
		assert!(parse_rule("fedavg:3").is_err());
		assert!(parse_rule("mean").is_err());
	}

	#[test]
	fn the_owner_test_set_commitment_matches_the_circuit_for_digits() {
		let (test_set, classes) = owner_test_set(&DataSource::DigitsTest, 8).unwrap();
		assert_eq!(test_set.labels.len(), 8);
		let zk = test_set_commitment(&test_set, classes, ScoringArg::Zk).unwrap();
		let direct =
			din_zk::commitment::test_set_commitment(&test_set.features, &test_set.labels, 64, 10)
				.unwrap();
		assert_eq!(zk.0, din_zk::commitment::to_bytes(&direct));
		assert!(owner_test_set(&DataSource::DigitsTest, 361).is_err());
	}
}
