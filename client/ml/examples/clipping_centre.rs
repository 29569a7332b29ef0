//! Which centre centered clipping should start from: the coordinate-wise median of the
//! subgroup's updates (what `AggregationRule::CenteredClipping` does) or the global model
//! the round trained from (Karimireddy, He and Jaggi's reference point). Same runs as the
//! poisoning matrix (`examples/poisoning_matrix.rs`: 10 participants, 3 fixed attackers,
//! the digits MLP, 60 rounds), each variant against the same seed's clean FedAvg run.
//! Prints a Markdown table of mean drops in points; run by
//! `scripts/bench/clipping-centre.sh`:
//!
//! ```text
//! clipping_centre [--seeds N] [--splits iid,dirichlet]
//! ```

use din_fl::rules::{Aggregator, CenteredClipping};
use din_fl::{AggregationRule, ModelSpec, Sequential, Update};
use din_ml::data::digits::digits_train_test;
use din_ml::data::Dataset;
use din_ml::eval::evaluate;
use din_ml::federated::simulate_with;
use din_ml::model::Model;
use din_ml::poisoning::Poisoning;
use din_ml::robustness::{matrix_schedule, matrix_split};

const PARTICIPANTS: usize = 10;
const ATTACKERS: usize = 3;
const ROUNDS: usize = 60;

/// How a round's updates become the next global model.
#[derive(Clone, Copy)]
enum Combine {
	FedAvg,
	/// The runtime's rule: from the median, `iterations` clipped steps of radius `tau`.
	FromMedian {
		tau: u32,
		iterations: u32,
	},
	/// The same iterations from the global model the round trained from.
	FromGlobal {
		tau: u32,
		iterations: u32,
	},
}

impl Combine {
	fn name(&self) -> String {
		let log2 = |tau: u32| tau.trailing_zeros();
		match self {
			Combine::FedAvg => "FedAvg".into(),
			Combine::FromMedian { tau, iterations } => {
				format!("from the median, τ 2^{}, {iterations} iterations (the rule)", log2(*tau))
			},
			Combine::FromGlobal { tau, iterations } => {
				format!("from the global model, τ 2^{}, {iterations} iterations", log2(*tau))
			},
		}
	}

	fn apply(&self, refs: &[&Update], global: &Update) -> Update {
		match *self {
			Combine::FedAvg => AggregationRule::FedAvg.aggregate(refs),
			Combine::FromMedian { tau, iterations } => {
				AggregationRule::CenteredClipping { tau, iterations }.aggregate(refs)
			},
			Combine::FromGlobal { tau, iterations } => {
				let values = CenteredClipping { tau, iterations }
					.around(&Sequential, refs, global.values.clone())
					.expect("uniform updates");
				// FedAvg for the header (schema, sample count); the values are the clipped centre.
				AggregationRule::FedAvg.aggregate(refs).map(|next| Update { values, ..next })
			},
		}
		.expect("the rule aggregates")
	}
}

fn spec() -> ModelSpec {
	ModelSpec::Mlp { inputs: 64, hidden: vec![64], classes: 10 }
}

/// Final test accuracy, in percent, of one run.
fn run(
	split: &str,
	seed: u64,
	attack: Option<Poisoning>,
	combine: Combine,
	train: &Dataset,
	test: &Dataset,
) -> f64 {
	let parts = matrix_split(train, PARTICIPANTS, split, seed).expect("the digits split");
	let config = matrix_schedule(ROUNDS, PARTICIPANTS, seed);
	let (attackers, attack) = match attack {
		Some(attack) => (ATTACKERS, attack),
		None => (0, Poisoning::LabelFlip),
	};
	let spec = spec();
	let combine = |updates: &[&Update], global: &Update| Ok(combine.apply(updates, global));
	let global = simulate_with(
		&spec,
		7 + seed,
		&parts,
		ROUNDS,
		config,
		combine,
		attackers,
		attack,
		|_, _| {},
	)
	.expect("the run");
	let device = candle_core::Device::Cpu;
	let model = Model::from_update(&spec, &global, &device).expect("model");
	evaluate(&model, test).expect("evaluates").accuracy * 100.0
}

fn main() {
	let mut seeds = 5u64;
	let mut splits = vec!["iid".to_string(), "dirichlet".to_string()];
	let mut args = std::env::args().skip(1);
	while let Some(flag) = args.next() {
		let value = args.next().unwrap_or_else(|| panic!("{flag} needs a value"));
		match flag.as_str() {
			"--seeds" => seeds = value.parse().expect("--seeds N"),
			"--splits" => splits = value.split(',').map(str::to_string).collect(),
			other => panic!("unknown flag {other}"),
		}
	}
	let (train, test) = digits_train_test().expect("the shipped digits");
	let attacks: [(&str, Option<Poisoning>); 5] = [
		("no attack", None),
		("sign flip ×10", Some(Poisoning::SignFlip { factor: 10 })),
		("model replacement ×4", Some(Poisoning::Replacement { boost: 4, target_seed: 99 })),
		("a little is enough z 1.0", Some(Poisoning::ALittleIsEnough { z: 1.0 })),
		("inner product ε 0.1", Some(Poisoning::InnerProduct { epsilon: 0.1 })),
	];
	let variants = [
		Combine::FromMedian { tau: 1 << 11, iterations: 10 },
		Combine::FromGlobal { tau: 1 << 13, iterations: 1 },
		Combine::FromGlobal { tau: 1 << 14, iterations: 1 },
		Combine::FromGlobal { tau: 1 << 13, iterations: 3 },
	];
	println!(
		"Mean drop in points of the final test accuracy against the same seed's clean FedAvg \
		 run, {seeds} seeds, {ATTACKERS} of {PARTICIPANTS} participants attacking, {ROUNDS} rounds.\n"
	);
	let header: Vec<&str> = attacks.iter().map(|(name, _)| *name).collect();
	println!("| split | centre | {} |", header.join(" | "));
	println!("|---|---|{}", "---:|".repeat(attacks.len()));
	for split in &splits {
		let clean: Vec<f64> = (0..seeds)
			.map(|s| run(split, s, None, Combine::FedAvg, &train, &test))
			.collect();
		for combine in variants {
			let cells: Vec<String> = attacks
				.iter()
				.map(|(_, attack)| {
					let drops: f64 = (0..seeds)
						.map(|s| clean[s as usize] - run(split, s, *attack, combine, &train, &test))
						.sum();
					format!("{:.1}", drops / seeds as f64)
				})
				.collect();
			println!("| {split} | {} | {} |", combine.name(), cells.join(" | "));
		}
	}
}
