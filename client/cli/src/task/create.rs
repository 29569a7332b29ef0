//! `din task create`: the genesis model, the committed and encrypted test set, the
//! Groth16 setup (for `--scoring zk`), the owner file, and the task itself.

use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, ValueEnum};
use din_chain::{
	din,
	types::{
		AggregationRule, BoundedVec, FeeParams, ModelRef, ModelSpec as ChainModelSpec, Pacing,
		Perbill, PhaseLengths, RewardAsset, RewardPool, ScoringRule, TaskSpec, TestSetRef,
	},
	Chain, H256,
};
use din_fl::{ModelSpec, Preprocessing, PrivacyPolicy, TaskModel, TestSet, TrainingRecipe};
use din_store::{Blockstore, Cid};

use super::{owner_file, OwnerFile};
use crate::artifact;
use crate::common::{
	cid_to_chain, commitment_of, parse_amount, task_data, ChainArgs, CsvArgs, DataSource,
	SignerArgs, TokenAmount,
};
use crate::invalid;

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

/// The training recipe a task advises (`din_fl::recipe`): participants' daemons train
/// with it wherever their operator set no flag of their own. Any of these flags records a
/// recipe in the task's model spec; the ones left out take the defaults shown.
#[derive(Debug, Default, Args)]
pub struct RecipeArgs {
	/// Recipe: the local optimizer, sgd (momentum 0.9) or adamw [default: sgd].
	#[arg(long, value_enum)]
	pub train_optimizer: Option<crate::participant::Optimizer>,
	/// Recipe: the learning rate of round 1, in (0, 100] [default: 0.05].
	#[arg(long)]
	pub train_lr: Option<f32>,
	/// Recipe: the factor the learning rate is multiplied by after each round, in (0, 1]
	/// [default: 1, no decay].
	#[arg(long)]
	pub train_lr_decay: Option<f32>,
	/// Recipe: local epochs per round, 1 to 100 [default: 5].
	#[arg(long)]
	pub train_epochs: Option<u16>,
	/// Recipe: mini-batch size, 1 to 4096 [default: 16].
	#[arg(long)]
	pub train_batch_size: Option<u16>,
	/// Recipe: FedProx mu, in [0, 100]; 0 trains without the proximal term [default: 0].
	#[arg(long)]
	pub train_fedprox_mu: Option<f32>,
}

impl RecipeArgs {
	/// The recipe, if any flag asked for one.
	fn recipe(&self) -> Option<TrainingRecipe> {
		let any = self.train_optimizer.is_some()
			|| self.train_lr.is_some()
			|| self.train_lr_decay.is_some()
			|| self.train_epochs.is_some()
			|| self.train_batch_size.is_some()
			|| self.train_fedprox_mu.is_some();
		any.then(|| TrainingRecipe {
			optimizer: match self.train_optimizer {
				Some(crate::participant::Optimizer::AdamW) => din_fl::recipe::Optimizer::AdamW,
				Some(crate::participant::Optimizer::Sgd) | None => {
					din_fl::recipe::Optimizer::SgdMomentum
				},
			},
			learning_rate: self.train_lr.unwrap_or(0.05),
			decay: self.train_lr_decay.unwrap_or(1.0),
			epochs: self.train_epochs.unwrap_or(5),
			batch_size: self.train_batch_size.unwrap_or(16),
			fedprox_mu: self.train_fedprox_mu.unwrap_or(0.0),
		})
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
	/// Model architecture: softmax or mlp:W[,W…] (hidden widths, 1 to 8 layers). zk scoring
	/// proves softmax and one-hidden-layer MLPs; median scoring and the off-chain worker take
	/// any MLP up to the runtime's model bound. The CNN of the ML crate is not offered:
	/// neither the integer reference evaluator nor the circuit scores it yet.
	#[arg(long, default_value = "softmax")]
	pub model: ModelArg,
	/// The owner's test data (see `din participant run --help` for the names).
	#[arg(long, default_value = "digits-test")]
	pub test_data: DataSource,
	#[command(flatten)]
	pub csv: CsvArgs,
	/// Standardize every input feature for this task: shift it by its mean and scale it
	/// by its inverse standard deviation over --test-data, then clip it to ±CLIP (default
	/// 5, at most 64). The map goes into the model spec, and every participant applies it
	/// to its own data before training: features on different scales (1e-3 next to 1e3)
	/// otherwise stall or derail SGD. Up to 256 features. Under zk scoring the test set is
	/// then committed and proven as signed features wide enough for ±CLIP (without a
	/// preprocessing the circuit takes only the digits pixel grid).
	#[arg(long, value_name = "CLIP", num_args = 0..=1, default_missing_value = "5")]
	pub standardize: Option<f32>,
	#[command(flatten)]
	pub recipe: RecipeArgs,
	/// Test samples the scores are computed on (the first N of --test-data); each Groth16
	/// proof covers all of them, so proving time grows with N.
	#[arg(long, default_value_t = 64)]
	pub test_samples: usize,
	/// Reward pool, held from the owner: whole units of its asset (DIN, or
	/// --reward-asset's; `1000`, `0.5`).
	#[arg(long, value_parser = TokenAmount::parse)]
	pub reward: TokenAmount,
	/// Fund the pool in this pallet-assets asset instead of the native token (the dev
	/// chain's stablecoin dUSD is 1): payouts, the evaluators' fees, the burned protocol fee
	/// and the refund follow it; bonds and the storage deposit stay native (docs/assets.md).
	#[arg(long, value_name = "ASSET_ID")]
	pub reward_asset: Option<u32>,
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
	/// fedavg, median, trimmed-mean:PERCENT, krum:F, multi-krum:F,M or
	/// centered-clipping:TAU,ITERATIONS (TAU: the L2 clipping radius in fixed-point units,
	/// 65536 = 1.0; ITERATIONS: 1 to 10).
	#[arg(long, default_value = "fedavg", value_parser = parse_rule)]
	pub aggregation: AggregationRule,
	/// The most training samples one update may claim (its weight in FedAvg); a
	/// participant with more data claims the cap.
	#[arg(long, default_value_t = 100_000)]
	pub max_samples: u64,
	/// How accepted updates are scored.
	#[arg(long, value_enum, default_value_t = ScoringArg::Zk)]
	pub scoring: ScoringArg,
	/// Median scoring: reports further than this (percent) from the median earn nothing.
	#[arg(long, default_value_t = 2)]
	pub median_threshold: u32,
	/// Length of every phase in blocks, unless set one by one below.
	#[arg(long, default_value_t = 5)]
	pub phase_blocks: u32,
	/// Registration's length in blocks (participants join; default: --phase-blocks).
	#[arg(long)]
	pub registration_blocks: Option<u32>,
	/// Training's timeout in blocks; it closes at the last expected update (default:
	/// --phase-blocks, and 12 with `--aggregation secure-fedavg`, whose Training holds three
	/// steps of at least a phase's least length each).
	#[arg(long)]
	pub training_blocks: Option<u32>,
	/// Scoring's length in blocks (scores proven or committed; default: --phase-blocks).
	#[arg(long)]
	pub scoring_blocks: Option<u32>,
	/// Rewarding's length in blocks (median reveals, then settlement; default:
	/// --phase-blocks).
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
	/// Differential privacy: every participant clips its update's delta to this L2 norm
	/// (real units of the parameters) and adds Gaussian noise before publishing it;
	/// evaluators reject an update beyond what that allows. Needs --dp-noise-multiplier and
	/// --dp-epsilon.
	#[arg(long, value_name = "C", requires_all = ["dp_noise_multiplier", "dp_epsilon"])]
	pub dp_clip_norm: Option<f64>,
	/// Differential privacy: the noise's standard deviation as a multiple of the clip norm.
	#[arg(long, value_name = "SIGMA", requires = "dp_clip_norm")]
	pub dp_noise_multiplier: Option<f64>,
	/// Differential privacy: δ = 10^-K of the (ε, δ) guarantee.
	#[arg(long, value_name = "K", default_value_t = 5)]
	pub dp_delta_exponent: u8,
	/// Differential privacy: the total ε the task's rounds may spend; the chain refuses a
	/// task (or an extension) whose rounds would spend more.
	#[arg(long, value_name = "EPSILON", requires = "dp_clip_norm")]
	pub dp_epsilon: Option<f64>,
	/// Asynchronous rounds (FedBuff): a round's Training closes as soon as this many updates
	/// are in, and a participant slower than a round submits the update it trained from an
	/// earlier round's model in a later round, where evaluators weigh its delta by
	/// 1 / (1 + staleness). Without it every round waits for every participant (or for
	/// Training's deadline).
	#[arg(long, value_name = "K")]
	pub buffer: Option<u32>,
	/// Asynchronous rounds: how many rounds back an update's model may be, 1 to 16.
	#[arg(long, value_name = "ROUNDS", default_value_t = 4, requires = "buffer")]
	pub max_staleness: u32,
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
	/// Cheat on purpose (testing the defences).
	#[arg(long, value_enum, hide = true)]
	pub attack: Option<OwnerAttack>,
	#[command(flatten)]
	pub signer: SignerArgs,
	#[command(flatten)]
	pub chain: ChainArgs,
}

/// A deliberately dishonest owner, for exercising the defences in tests.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum OwnerAttack {
	/// Commit to the test set and its key, but seal another set (every label moved to the
	/// next class) under that key: the released key opens nothing that matches.
	SealOtherTestSet,
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
		("secure-fedavg", _) if params.is_empty() => Ok(AggregationRule::SecureFedAvg),
		("median", _) if params.is_empty() => Ok(AggregationRule::Median),
		("trimmed-mean", Ok(p)) if p.len() == 1 => {
			Ok(AggregationRule::TrimmedMean { beta: rule_percent(p[0]) })
		},
		("krum", Ok(p)) if p.len() == 1 => Ok(AggregationRule::Krum { f: p[0] }),
		("multi-krum", Ok(p)) if p.len() == 2 => {
			Ok(AggregationRule::MultiKrum { f: p[0], m: p[1] })
		},
		("centered-clipping", Ok(p)) if p.len() == 2 => {
			Ok(AggregationRule::CenteredClipping { tau: p[0], iterations: p[1] })
		},
		_ => Err(format!(
			"`{s}`: expected fedavg, secure-fedavg, median, trimmed-mean:PERCENT, krum:F, \
			 multi-krum:F,M or centered-clipping:TAU,ITERATIONS"
		)),
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

/// The task's model for the owner's test data, and its committed test set: the first
/// `samples` samples, preprocessed as the model says. With `standardize` (a clip bound),
/// the preprocessing standardizes every feature with the mean and deviation of all of the
/// test data.
fn owner_test_set(
	source: &DataSource,
	csv: &CsvArgs,
	samples: usize,
	model: &ModelArg,
	standardize: Option<f32>,
	recipe: Option<TrainingRecipe>,
) -> anyhow::Result<(TestSet, TaskModel)> {
	let data = source.load_with(csv, None)?;
	if samples == 0 || samples > data.len() {
		return Err(invalid!("--test-samples {samples}: the test data has {} samples", data.len()));
	}
	let preprocessing = standardize
		.map(|clip| Preprocessing::standardize(data.features(), data.num_features(), clip));
	let model = TaskModel {
		spec: model_spec(model, data.num_features(), data.num_classes())?,
		preprocessing,
		recipe,
	};
	model.validate().map_err(|e| match e {
		din_fl::SpecError::Recipe(why) => invalid!("the --train-* recipe: {why}"),
		why => invalid!("--standardize: {why}"),
	})?;
	let picked: Vec<usize> = (0..samples).collect();
	let test_set = task_data(&data.subset(&picked), &model)?.to_test_set()?;
	Ok((test_set, model))
}

/// The test-set commitment: the Poseidon commitment the circuit recomputes for `zk` (in
/// the model's feature domain: the digits grid, or signed features for a preprocessed
/// task); for `median` (any features, no circuit) the sha2-256 of the plaintext artifact.
fn test_set_commitment(
	test_set: &TestSet,
	model: &TaskModel,
	scoring: ScoringArg,
) -> anyhow::Result<H256> {
	Ok(match scoring {
		ScoringArg::Zk => {
			let inputs = test_set.num_features as usize;
			let c = din_zk::commitment::test_set_commitment_in(
				din_zk::feature_domain(model)?,
				&test_set.features,
				&test_set.labels,
				inputs,
				model.spec.classes() as usize,
			)
			.map_err(|e| {
				invalid!(
					"the circuit cannot commit this test set ({e}): features off the digits \
					 grid need a preprocessing (--standardize), or use --scoring median"
				)
			})?;
			H256(din_zk::commitment::to_bytes(&c))
		},
		ScoringArg::Median => H256(din_fl::sealed_test_set::median_test_set_commitment(test_set)),
	})
}

/// The task's privacy policy from the `--dp-*` flags, checked as the chain will check it.
fn privacy_policy(args: &CreateArgs) -> anyhow::Result<Option<PrivacyPolicy>> {
	let (Some(clip), Some(sigma), Some(epsilon)) =
		(args.dp_clip_norm, args.dp_noise_multiplier, args.dp_epsilon)
	else {
		return Ok(None);
	};
	let milli = |flag: &str, value: f64| -> anyhow::Result<u32> {
		let scaled = (value * 1_000.0).round();
		anyhow::ensure!(
			value.is_finite() && scaled >= 1.0 && scaled <= f64::from(u32::MAX),
			"--{flag} {value}: expected a positive number, at least 0.001"
		);
		Ok(scaled as u32)
	};
	let policy = PrivacyPolicy {
		clip_norm_milli: milli("dp-clip-norm", clip)?,
		noise_multiplier_milli: milli("dp-noise-multiplier", sigma)?,
		delta_exponent: args.dp_delta_exponent,
		epsilon_budget_milli: milli("dp-epsilon", epsilon)?,
	};
	if let Err(broken) = policy.validate(args.rounds) {
		let spent = policy.epsilon_after(args.rounds) as f64 / 1_000.0;
		anyhow::bail!(
			"the privacy policy is refused ({broken:?}): {} rounds at noise multiplier {sigma} \
			 and δ = 1e-{} spend ε = {spent:.3}, the budget is {epsilon}",
			args.rounds,
			args.dp_delta_exponent
		);
	}
	Ok(Some(policy))
}

/// Training's default length in a secure-aggregation task: four blocks for each of its
/// steps (round keys, masked uploads, hand-overs), so that a member acting on a block a
/// little behind the head still lands each step's transaction before its cutoff.
const SECURE_TRAINING_BLOCKS: u32 = 12;

pub(super) async fn create(args: CreateArgs) -> anyhow::Result<()> {
	let privacy = privacy_policy(&args)?;
	let signer = args.signer.signer()?;
	let chain = args.chain.connect().await?;
	// Before any work: the asset must exist, and the amount fit its decimals.
	let asset = args.reward_asset.map_or(RewardAsset::Native, RewardAsset::Asset);
	let unit = chain.denomination(&asset).await?;
	let reward = args.reward.in_units(&unit)?;
	let blockstore = Blockstore::open(&args.store_dir)
		.with_context(|| format!("opening block store {}", args.store_dir.display()))?;
	std::fs::create_dir_all(&args.owner_dir)
		.with_context(|| format!("creating {}", args.owner_dir.display()))?;

	let (test_set, model) = owner_test_set(
		&args.test_data,
		&args.csv,
		args.test_samples,
		&args.model,
		args.standardize,
		args.recipe.recipe(),
	)?;
	let architecture = model.to_bytes().map_err(|e| invalid!("model: {e}"))?;
	let spec_hash = model.hash().map_err(|e| invalid!("model: {e}"))?;
	let spec = &model.spec;
	let classes = spec.classes() as usize;

	let genesis = din_ml::model::Model::new(spec, args.genesis_seed, &candle_core::Device::Cpu)?
		.to_update(0)?;
	let genesis_cid = blockstore.put_artifact(&genesis.encode()?)?;
	let genesis_commitment = commitment_of(&genesis.values);

	let test_commitment = test_set_commitment(&test_set, &model, args.scoring)?;
	let test_key = artifact::new_test_key();
	let sealed_set = match args.attack {
		None => test_set.clone(),
		Some(OwnerAttack::SealOtherTestSet) => {
			let mut other = test_set.clone();
			other.labels.iter_mut().for_each(|l| *l = (*l + 1) % classes as u32);
			other
		},
	};
	let sealed = artifact::seal(&test_key, &sealed_set);
	let test_set_cid = blockstore.put_artifact(&sealed)?;

	let (scoring, proving_key_cid) = match args.scoring {
		ScoringArg::Zk => {
			let (vk_hash, pk_cid) = zk_setup(&chain, &signer, &model, &args, &blockstore).await?;
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
			key_hash: H256(din_fl::sealed_test_set::test_key_hash(&test_key)),
			proving_key_cid: BoundedVec(
				proving_key_cid.as_ref().map(cid_to_chain).unwrap_or_default(),
			),
		},
		reward: RewardPool { asset, amount: reward },
		rounds: args.rounds,
		phases: PhaseLengths {
			registration: args.registration_blocks.unwrap_or(phase),
			training: args.training_blocks.unwrap_or(if args.aggregation.is_secure() {
				SECURE_TRAINING_BLOCKS.max(phase)
			} else {
				phase
			}),
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
		max_samples: args.max_samples,
		scoring,
		fees: FeeParams {
			evaluator_fee: percent(args.evaluator_fee),
			protocol_fee: percent(args.protocol_fee),
			baseline_margin: percent(args.baseline_margin),
			slash: percent(args.slash),
		},
		privacy: privacy.map(Into::into),
		pacing: match args.buffer {
			Some(buffer) => Pacing::Asynchronous { buffer, max_staleness: args.max_staleness },
			None => Pacing::Synchronous,
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
					"reward": reward.to_string(),
					"reward_asset": crate::common::denomination_json(&unit),
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
	let deposit = included
		.events
		.find_first::<din::tasks::events::TaskDepositHeld>()
		.transpose()
		.map_err(|e| anyhow::anyhow!("decoding TaskDepositHeld: {e}"))?
		.map(|held| held.deposit)
		.unwrap_or_default();
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
				"reward": reward.to_string(),
				"reward_asset": crate::common::denomination_json(&unit),
				"deposit": deposit.to_string(),
				"genesis_cid": file.genesis_cid,
				"test_set_cid": file.test_set_cid,
				"proving_key_cid": file.proving_key_cid,
			})
		);
	} else {
		println!("task {task} created; registration ends at block #{}", created.registration_ends);
		println!("  reward pool     {}", unit.format(reward));
		println!(
			"  storage deposit {} (held until the task's records are pruned, a retention period after it ends)",
			crate::common::format_amount(deposit)
		);
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
	task_model: &TaskModel,
	args: &CreateArgs,
	blockstore: &Blockstore,
) -> anyhow::Result<(H256, Cid)> {
	let model = din_zk::ModelShape::try_from(&task_model.spec).map_err(|_| {
		invalid!("the circuit proves softmax and one-hidden-layer MLPs; use --scoring median")
	})?;
	let features = din_zk::feature_domain(task_model)?;
	let shape = din_zk::CircuitShape { model, samples: args.test_samples, features };
	tracing::info!(target: "din", "Groth16 setup for {shape:?}");
	let progress = crate::progress::Progress::spinner(format!(
		"Groth16 setup for {} test samples (tens of seconds)",
		shape.samples
	));
	let started = std::time::Instant::now();
	let (pk, vk) = tokio::task::spawn_blocking(move || din_zk::setup_with_os_rng(shape)).await??;
	progress.finish(format!("Groth16 setup done in {:.1?}", started.elapsed()));
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

#[cfg(test)]
mod tests {
	use super::*;

	fn create_args(flags: &[&str]) -> Result<CreateArgs, clap::Error> {
		#[derive(clap::Parser)]
		struct Create {
			#[command(flatten)]
			args: CreateArgs,
		}
		let required = ["--reward", "1000", "--rounds", "3", "--suri", "//Alice"];
		let argv = [&["din"][..], &required, &["--owner-dir", "o", "--store-dir", "s"]].concat();
		<Create as clap::Parser>::try_parse_from(argv.iter().chain(flags)).map(|c| c.args)
	}

	#[test]
	fn the_dp_flags_make_the_policy_the_chain_checks_and_a_refused_one_says_what_it_spends() {
		let plain = create_args(&[]).unwrap();
		assert_eq!(privacy_policy(&plain).unwrap(), None);
		let dp = ["--dp-clip-norm", "1", "--dp-noise-multiplier", "0.05", "--dp-epsilon", "1000"];
		let policy = privacy_policy(&create_args(&dp).unwrap()).unwrap().expect("a policy");
		assert_eq!(
			policy,
			PrivacyPolicy {
				clip_norm_milli: 1_000,
				noise_multiplier_milli: 50,
				delta_exponent: 5,
				epsilon_budget_milli: 1_000_000,
			}
		);
		// Three rounds at σ 0.05 spend ε ≈ 766: a budget of 700 is refused before anything
		// is set up, naming what the rounds would spend.
		let tight = ["--dp-clip-norm", "1", "--dp-noise-multiplier", "0.05", "--dp-epsilon", "700"];
		let refused = privacy_policy(&create_args(&tight).unwrap()).unwrap_err().to_string();
		assert!(refused.contains("BudgetExceeded") && refused.contains("766.226"), "{refused}");
		let zero = ["--dp-clip-norm", "0", "--dp-noise-multiplier", "1", "--dp-epsilon", "10"];
		assert!(privacy_policy(&create_args(&zero).unwrap()).is_err());
		// A policy needs all three of clip norm, noise and budget.
		assert!(create_args(&["--dp-clip-norm", "1"]).is_err());
		assert!(create_args(&["--dp-noise-multiplier", "1"]).is_err());
	}

	#[test]
	fn rules_parse_with_their_parameters() {
		assert_eq!(parse_rule("fedavg"), Ok(AggregationRule::FedAvg));
		assert_eq!(parse_rule("secure-fedavg"), Ok(AggregationRule::SecureFedAvg));
		assert_eq!(
			parse_rule("trimmed-mean:10"),
			Ok(AggregationRule::TrimmedMean { beta: din_fl::Perbill::from_parts(100_000_000) })
		);
		assert_eq!(parse_rule("multi-krum:1,3"), Ok(AggregationRule::MultiKrum { f: 1, m: 3 }));
		assert_eq!(
			parse_rule("centered-clipping:65536,3"),
			Ok(AggregationRule::CenteredClipping { tau: 65_536, iterations: 3 })
		);
		assert!(parse_rule("centered-clipping:65536").is_err());
		assert!(parse_rule("krum").is_err());
		assert!(parse_rule("fedavg:3").is_err());
		assert!(parse_rule("mean").is_err());
	}

	#[test]
	fn the_owner_test_set_commitment_matches_the_circuit_for_digits() {
		let digits = |samples| {
			owner_test_set(
				&DataSource::DigitsTest,
				&CsvArgs::default(),
				samples,
				&ModelArg::Softmax,
				None,
				None,
			)
		};
		let (test_set, model) = digits(8).unwrap();
		assert_eq!(test_set.labels.len(), 8);
		assert_eq!(
			model,
			TaskModel::from(ModelSpec::SoftmaxRegression { inputs: 64, classes: 10 })
		);
		let zk = test_set_commitment(&test_set, &model, ScoringArg::Zk).unwrap();
		let direct =
			din_zk::commitment::test_set_commitment(&test_set.features, &test_set.labels, 64, 10)
				.unwrap();
		assert_eq!(zk.0, din_zk::commitment::to_bytes(&direct));
		assert!(digits(361).is_err());
	}

	#[test]
	fn standardizing_puts_features_of_every_scale_within_the_clip_bound() {
		let dir = tempfile::tempdir().unwrap();
		let path = dir.path().join("test.csv");
		// Three features on scales 1e-3, 1 and 1e3; labels 0..3.
		let rows: String = (0..30)
			.map(|i| {
				let x = f64::from(i);
				format!("{},{},{},{}\n", x * 1e-3, x.sin(), 1e3 * x + 5e4, i % 3)
			})
			.collect();
		std::fs::write(&path, format!("small,medium,large,label\n{rows}")).unwrap();
		let source: DataSource = format!("csv:{}", path.display()).parse().unwrap();
		let (test_set, model) =
			owner_test_set(&source, &CsvArgs::default(), 20, &ModelArg::Softmax, Some(2.0), None)
				.unwrap();
		let map = model.preprocessing.as_ref().expect("a preprocessing map");
		assert_eq!(map.shift.len(), 3);
		let bound = din_fl::quantize(2.0).unwrap();
		assert!(test_set.features.iter().all(|x| x.abs() <= bound));
		// The large feature no longer dwarfs the small one.
		let spread = |feature: usize| {
			let column = test_set.features.iter().skip(feature).step_by(3);
			column.clone().max().unwrap() - column.min().unwrap()
		};
		assert!(spread(2) < 4 * spread(0), "{} vs {}", spread(2), spread(0));
		// The circuit commits the preprocessed features as signed ones, 19 bits for ±2.0.
		let zk = test_set_commitment(&test_set, &model, ScoringArg::Zk).unwrap();
		let signed = din_zk::commitment::test_set_commitment_in(
			din_zk::commitment::FeatureDomain::Signed { bits: 19 },
			&test_set.features,
			&test_set.labels,
			3,
			3,
		)
		.unwrap();
		assert_eq!(zk.0, din_zk::commitment::to_bytes(&signed));
		// Unpreprocessed, the same table is off the digits grid: refused, with the ways out.
		let raw = TaskModel { preprocessing: None, ..model.clone() };
		let error = test_set_commitment(&test_set, &raw, ScoringArg::Zk).unwrap_err();
		assert!(format!("{error:#}").contains("--standardize"), "{error:#}");
		// A clip bound the spec cannot carry is refused by name.
		let error =
			owner_test_set(&source, &CsvArgs::default(), 20, &ModelArg::Softmax, Some(100.0), None)
				.unwrap_err();
		assert!(format!("{error:#}").contains("--standardize"), "{error:#}");
	}

	#[test]
	fn a_recipe_is_recorded_only_when_asked_for_and_refused_out_of_range() {
		assert_eq!(RecipeArgs::default().recipe(), None);
		let decaying = RecipeArgs { train_lr_decay: Some(0.9), ..Default::default() };
		let recipe = decaying.recipe().unwrap();
		assert_eq!((recipe.learning_rate, recipe.decay, recipe.epochs), (0.05, 0.9, 5));
		let digits = |recipe| {
			owner_test_set(
				&DataSource::DigitsTest,
				&CsvArgs::default(),
				8,
				&ModelArg::Softmax,
				None,
				recipe,
			)
		};
		assert_eq!(digits(Some(recipe)).unwrap().1.recipe, Some(recipe));
		let error = digits(Some(TrainingRecipe { decay: 2.0, ..recipe })).unwrap_err();
		assert!(format!("{error:#}").contains("--train-* recipe"), "{error:#}");
	}
}
