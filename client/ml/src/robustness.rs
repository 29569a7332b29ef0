//! The poisoning matrix's axes (`examples/poisoning_matrix.rs`, run by
//! `scripts/bench/poisoning.sh`, written to `docs/robustness.md`): which rules, with which
//! parameters for a given number of attackers, under which attacks. Kept in the library so
//! that the test command can check the committed table against the current rule list.

use din_fl::{rules::MAX_CLIPPING_ITERATIONS, AggregationRule, Perbill};

use crate::data::split::{dirichlet_split, iid_split};
use crate::data::Dataset;
use crate::optim::ParamsSgd;
use crate::poisoning::Poisoning;
use crate::train::{OptimizerConfig, TrainConfig};
use crate::Result;

/// The table's column of each rule, in order: every [`AggregationRule`] variant once.
pub const RULE_NAMES: [&str; 6] =
	["FedAvg", "median", "trimmed mean", "Krum", "Multi-Krum", "centered clipping"];

/// The column of `rule` (an exhaustive match: a new variant must be named, and then
/// appears in [`matrix_rules`] and the table).
pub fn rule_name(rule: &AggregationRule) -> &'static str {
	match rule {
		// Secure aggregation computes FedAvg of the same updates (masked): the same column.
		AggregationRule::FedAvg | AggregationRule::SecureFedAvg => RULE_NAMES[0],
		AggregationRule::Median => RULE_NAMES[1],
		AggregationRule::TrimmedMean { .. } => RULE_NAMES[2],
		AggregationRule::Krum { .. } => RULE_NAMES[3],
		AggregationRule::MultiKrum { .. } => RULE_NAMES[4],
		AggregationRule::CenteredClipping { .. } => RULE_NAMES[5],
	}
}

/// Every rule, set up for `attackers` of `participants` as a task owner who expects that
/// many would set it: the trimmed mean trims the attackers' share (at least a tenth, less
/// than half), Krum tolerates as many as it can (`2f + 3 ≤ n`), Multi-Krum keeps the rest,
/// centered clipping uses the radius and iterations of its acceptance test.
pub fn matrix_rules(attackers: usize, participants: usize) -> Vec<AggregationRule> {
	let share = (attackers as u32 * 100 / participants as u32).clamp(10, 49);
	let f = (attackers as u32).min((participants as u32).saturating_sub(3) / 2);
	vec![
		AggregationRule::FedAvg,
		AggregationRule::Median,
		AggregationRule::TrimmedMean { beta: Perbill::from_percent(share) },
		AggregationRule::Krum { f },
		AggregationRule::MultiKrum { f, m: participants as u32 - f },
		AggregationRule::CenteredClipping { tau: 1 << 11, iterations: MAX_CLIPPING_ITERATIONS },
	]
}

/// The matrix's split of `train` into `participants` parts for `seed`: `"iid"`, or anything
/// else for Dirichlet(0.5) label skew.
pub fn matrix_split(
	train: &Dataset,
	participants: usize,
	split: &str,
	seed: u64,
) -> Result<Vec<Dataset>> {
	match split {
		"iid" => iid_split(train, participants, 3 + seed),
		_ => dirichlet_split(train, participants, 0.5, 3 + seed, 16),
	}
}

/// The matrix's local training of participant `p` in `round` of `rounds`, the schedule of
/// the centered-clipping acceptance test: one epoch, batch 16, SGD with momentum 0.9,
/// learning rate 0.05 for the first two thirds of the rounds, then 0.01.
pub fn matrix_schedule(
	rounds: usize,
	participants: usize,
	seed: u64,
) -> impl Fn(usize, usize) -> TrainConfig {
	move |round, p| TrainConfig {
		epochs: 1,
		batch_size: 16,
		optimizer: OptimizerConfig::Sgd(ParamsSgd {
			lr: if round >= rounds * 2 / 3 { 0.01 } else { 0.05 },
			momentum: 0.9,
			..Default::default()
		}),
		seed: 1_000 * seed + (round * participants + p) as u64,
		proximal_mu: None,
	}
}

/// The attacks of the matrix, with the table's row name of each.
pub fn matrix_attacks() -> [(&'static str, Poisoning); 6] {
	[
		("sign flip ×10", Poisoning::SignFlip { factor: 10 }),
		("model replacement ×4", Poisoning::Replacement { boost: 4, target_seed: 99 }),
		("Gaussian noise σ 1.0", Poisoning::GaussianNoise { sigma: 1.0, seed: 5 }),
		("label flipping", Poisoning::LabelFlip),
		("a little is enough z 1.0", Poisoning::ALittleIsEnough { z: 1.0 }),
		("inner product ε 0.1", Poisoning::InnerProduct { epsilon: 0.1 }),
	]
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn the_matrix_has_every_rule_once_in_the_tables_order() {
		for attackers in 1..=4 {
			let names: Vec<&str> = matrix_rules(attackers, 10).iter().map(rule_name).collect();
			assert_eq!(names, RULE_NAMES);
		}
		assert_eq!(matrix_rules(4, 10)[3], AggregationRule::Krum { f: 3 }, "2f + 3 <= 10");
	}
}
