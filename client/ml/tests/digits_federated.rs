//! Real training on the shipped UCI digits (owner split: 1,437 train / 360 test):
//! central accuracy, the integer reference evaluator against the float one, FedAvg over
//! IID participants against central training, and the robust rules of din-fl
//! under a sign-flip attack (centered clipping over five seeds).
//!
//! Every run is seeded, so the accuracies printed with `--nocapture` repeat exactly on
//! one machine. One test sample is 0.28 points of accuracy.

use candle_core::Device;
use din_fl::{AggregationRule, ModelSpec, Perbill, Update};
use din_ml::data::digits::digits_train_test;
use din_ml::data::split::iid_split;
use din_ml::data::Dataset;
use din_ml::eval::{evaluate, evaluate_reference};
use din_ml::federated::simulate;
use din_ml::model::Model;
use din_ml::optim::ParamsSgd;
use din_ml::poisoning::Poisoning;
use din_ml::train::{train, OptimizerConfig, TrainConfig};

const PARTICIPANTS: usize = 10;
/// Participants 0, 1 and 2 (30%) attack in the poisoned runs.
const ATTACKERS: usize = 3;
/// Attackers send `global − 10 · (local − global)`.
const FLIP_FACTOR: i64 = 10;
/// Model replacement: attackers send `global + 4 · (target − global)`, so that 3 of 10
/// move FedAvg's mean past `target`.
const REPLACEMENT_BOOST: i64 = 4;

/// Sign flips by [`FLIP_FACTOR`]: the attackers' honest step, reversed and scaled.
const SIGN_FLIP: Poisoning = Poisoning::SignFlip { factor: FLIP_FACTOR };
/// Model replacement (scaling): the model seeded 99, an untrained one, boosted by
/// [`REPLACEMENT_BOOST`] against the global model.
const REPLACEMENT: Poisoning = Poisoning::Replacement { boost: REPLACEMENT_BOOST, target_seed: 99 };
/// Noise of standard deviation 1.0 on every value (trained weights are around 0.1).
const NOISE: Poisoning = Poisoning::GaussianNoise { sigma: 1.0, seed: 5 };
/// "A little is enough" as the poisoning matrix runs it.
const ALIE: Poisoning = Poisoning::ALittleIsEnough { z: 1.0 };
/// Inner-product manipulation as the poisoning matrix runs it.
const IPM: Poisoning = Poisoning::InnerProduct { epsilon: 0.1 };

fn spec() -> ModelSpec {
	ModelSpec::Mlp { inputs: 64, hidden: vec![64], classes: 10 }
}

fn sgd(lr: f64, batch_size: usize, epochs: usize, seed: u64) -> TrainConfig {
	TrainConfig {
		epochs,
		batch_size,
		optimizer: OptimizerConfig::Sgd(ParamsSgd { lr, momentum: 0.9, ..Default::default() }),
		seed,
		proximal_mu: None,
	}
}

fn accuracy_of(update: &Update, test: &Dataset) -> f64 {
	let model = Model::from_update(&spec(), update, &Device::Cpu).unwrap();
	evaluate(&model, test).unwrap().accuracy
}

fn central(train_set: &Dataset) -> Model {
	let model = Model::new(&spec(), 7, &Device::Cpu).unwrap();
	train(&model, train_set, &sgd(0.05, 32, 40, 1)).unwrap();
	model
}

/// [`simulate`] from the global model seeded 7, the first `attackers` sending sign flips.
fn federated(
	parts: &[Dataset],
	rounds: usize,
	config: impl Fn(usize, usize) -> TrainConfig,
	rule: AggregationRule,
	attackers: usize,
) -> Update {
	federated_from(7, parts, rounds, config, rule, attackers, SIGN_FLIP)
}

/// [`simulate`] from the global model seeded `init`, the attackers sending `attack`.
fn federated_from(
	init: u64,
	parts: &[Dataset],
	rounds: usize,
	config: impl Fn(usize, usize) -> TrainConfig,
	rule: AggregationRule,
	attackers: usize,
	attack: Poisoning,
) -> Update {
	simulate(&spec(), init, parts, rounds, config, &rule, attackers, attack).unwrap()
}

fn percent(accuracy: f64) -> String {
	format!("{:.2}%", 100.0 * accuracy)
}

#[test]
fn central_mlp_reaches_95_percent_and_the_integer_evaluator_agrees() {
	let (train_set, test) = digits_train_test().unwrap();
	let model = central(&train_set);
	let float = evaluate(&model, &test).unwrap();
	let update = model.to_update(train_set.len() as u64).unwrap();
	let integer = evaluate_reference(&spec(), &update, &test).unwrap();
	println!(
		"central MLP 64-64-10: float {} (mean loss {:.4}), integer reference {} ({}/{})",
		percent(float.accuracy),
		float.mean_loss,
		percent(integer.accuracy()),
		integer.correct,
		integer.samples
	);
	assert!(float.accuracy >= 0.95, "central accuracy {}", float.accuracy);
	assert_eq!(float.confusion.total(), test.len() as u64);
	assert!((integer.accuracy() - float.accuracy).abs() <= 0.01);

	// Same seeds on the same machine: the same parameters, to the bit.
	assert_eq!(central(&train_set).parameters().unwrap(), model.parameters().unwrap());
}

#[test]
fn fedavg_over_iid_participants_is_within_one_point_of_central() {
	let (train_set, test) = digits_train_test().unwrap();
	let central_accuracy = evaluate(&central(&train_set), &test).unwrap().accuracy;
	let parts = iid_split(&train_set, PARTICIPANTS, 3).unwrap();
	let config = |round: usize, p: usize| sgd(0.05, 32, 5, (round * PARTICIPANTS + p) as u64);
	let fedavg = accuracy_of(&federated(&parts, 20, config, AggregationRule::FedAvg, 0), &test);
	println!(
		"central {}, FedAvg over {PARTICIPANTS} IID participants (20 rounds x 5 local epochs) {}",
		percent(central_accuracy),
		percent(fedavg)
	);
	assert!(fedavg >= central_accuracy - 0.01, "FedAvg {fedavg} vs central {central_accuracy}");
}

/// 60 rounds of one local epoch (batch 16); the local learning rate drops from 0.05 to
/// 0.01 for the last 20 rounds so the robust rules' final models settle.
#[test]
fn robust_rules_survive_sign_flip_attackers_while_fedavg_collapses() {
	let (train_set, test) = digits_train_test().unwrap();
	let parts = iid_split(&train_set, PARTICIPANTS, 3).unwrap();
	const ROUNDS: usize = 60;
	let config = |round: usize, p: usize| {
		let lr = if round >= 40 { 0.01 } else { 0.05 };
		sgd(lr, 16, 1, (round * PARTICIPANTS + p) as u64)
	};
	let run =
		|rule, attackers| accuracy_of(&federated(&parts, ROUNDS, config, rule, attackers), &test);

	let clean = run(AggregationRule::FedAvg, 0);
	let poisoned = run(AggregationRule::FedAvg, ATTACKERS);
	println!("clean FedAvg {}; FedAvg with {ATTACKERS}/{PARTICIPANTS} sign-flip x{FLIP_FACTOR} attackers {}", percent(clean), percent(poisoned));
	assert!(poisoned < 0.5, "plain FedAvg should collapse, got {poisoned}");

	let f = ATTACKERS as u32;
	let robust = [
		("median", AggregationRule::Median, 0.03),
		(
			"trimmed mean (beta 0.3)",
			AggregationRule::TrimmedMean { beta: Perbill::from_percent(30) },
			0.03,
		),
		("Krum (f 3)", AggregationRule::Krum { f }, 0.02),
		(
			"Multi-Krum (f 3, m 7)",
			AggregationRule::MultiKrum { f, m: PARTICIPANTS as u32 - f },
			0.02,
		),
	];
	for (name, rule, tolerance) in robust {
		let accuracy = run(rule, ATTACKERS);
		println!(
			"{name} under attack: {} ({:+.2} points vs clean)",
			percent(accuracy),
			100.0 * (accuracy - clean)
		);
		assert!(accuracy >= clean - tolerance, "{name}: {accuracy} vs clean {clean}");
	}
}

/// Issue #26's acceptance for centered clipping: 10 IID participants, participants 0-2
/// (30%) attack every round, by sign flips x10, by model replacement, by Gaussian noise, by
/// flipping their labels, by "a little is enough" (z 1.0) or by inner-product manipulation
/// (ε 0.1), the last two colluding. Over five seeds (the split, the initial model and the
/// local training's shuffles), centered clipping ends within 2 points of the clean FedAvg
/// run on average under each attack, while FedAvg loses more than 10 under sign flips,
/// replacement and noise: they are real. (The other three cost FedAvg little on digits;
/// they are here for centered clipping's sake.) Same schedule as the test above.
#[test]
fn centered_clipping_stays_within_two_points_of_clean_under_each_attack_over_five_seeds() {
	let (train_set, test) = digits_train_test().unwrap();
	const ROUNDS: usize = 60;
	const SEEDS: u64 = 5;
	// τ = 1/32 (2^11 in fixed point): honest updates lie ~0.3 from their mean in the first
	// 40 rounds, ~0.07 after, about as far as the step they share, so nearly every offset
	// is clipped and the rule moves the median towards the updates' geometric median by at
	// most 10 τ. A sweep under sign flips (five seeds, 10 iterations) lost 1.6 points at
	// τ = 2^11, 1.9 at 2^13, and with 3 iterations 7.6 at τ = 2^15, where the attackers'
	// pull of 0.3 τ per iteration cancels most of the honest step.
	let clipping = AggregationRule::CenteredClipping { tau: 1 << 11, iterations: 10 };
	let attacks = [SIGN_FLIP, REPLACEMENT, NOISE, Poisoning::LabelFlip, ALIE, IPM];
	// Means over the seeds: the clean run, then per attack FedAvg and centered clipping.
	let mut clean = 0.0;
	let mut attacked = [[0.0; 2]; 6];
	for seed in 0..SEEDS {
		let parts = iid_split(&train_set, PARTICIPANTS, 3 + seed).unwrap();
		let config = |round: usize, p: usize| {
			let lr = if round >= 40 { 0.01 } else { 0.05 };
			sgd(lr, 16, 1, 1_000 * seed + (round * PARTICIPANTS + p) as u64)
		};
		let run = |rule, attackers, attack| {
			let model = federated_from(7 + seed, &parts, ROUNDS, config, rule, attackers, attack);
			accuracy_of(&model, &test)
		};
		let accuracy = run(AggregationRule::FedAvg, 0, SIGN_FLIP);
		clean += accuracy / SEEDS as f64;
		let mut line = format!("seed {seed}: clean FedAvg {}", percent(accuracy));
		for (attack, means) in attacks.iter().zip(&mut attacked) {
			for (rule, mean) in [AggregationRule::FedAvg, clipping].into_iter().zip(means) {
				let accuracy = run(rule, ATTACKERS, *attack);
				*mean += accuracy / SEEDS as f64;
				line += &format!(", {attack:?}: {} {}", name(rule), percent(accuracy));
			}
		}
		println!("{line}");
	}
	for (attack, [fedavg, clipped]) in attacks.iter().zip(attacked) {
		println!(
			"mean of {SEEDS} seeds, {ATTACKERS}/{PARTICIPANTS} attackers ({attack:?}): clean \
			 FedAvg {}, FedAvg {}, {clipping:?} {} ({:+.2} points vs clean)",
			percent(clean),
			percent(fedavg),
			percent(clipped),
			100.0 * (clipped - clean)
		);
		// Label flipping, "a little is enough" and inner-product manipulation at ε 0.1 are
		// aimed at robust rules, not at the mean: FedAvg need not lose to them.
		if [SIGN_FLIP, REPLACEMENT, NOISE].contains(attack) {
			assert!(fedavg < clean - 0.10, "{attack:?}: FedAvg {fedavg} should lose 10 points");
		}
		assert!(clipped >= clean - 0.02, "{attack:?}: centered clipping {clipped} vs {clean}");
	}
}

fn name(rule: AggregationRule) -> &'static str {
	match rule {
		AggregationRule::FedAvg => "FedAvg",
		_ => "centered clipping",
	}
}
