//! Scenario: 10 participants, 3 of them (30%) Byzantine, each sending its honest update
//! sign-flipped and scaled by 10. The robust rules stay near the clean aggregate (FedAvg
//! over the 7 honest participants); plain FedAvg is dragged far away.
//!
//! Updates are `global + δᵢ` where the honest `δᵢ` share one true direction plus
//! participant noise, all in fixed point, exactly as participants would publish them.

use din_fl::duty::{aggregate_subgroup, CommitmentSample, Submitted};
use din_fl::rules::Aggregator;
use din_fl::{AggregationRule, ModelSpec, Perbill, Sequential, Update};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use sha2::{Digest, Sha256};

const PARTICIPANTS: usize = 10;
const BYZANTINE: usize = 3;

struct Round {
	honest: Vec<Update>,
	all: Vec<Update>,
}

fn round(schema_hash: [u8; 32], params: usize) -> Round {
	let mut rng = ChaCha8Rng::seed_from_u64(2024);
	let one = 1i64 << 16;
	let global: Vec<i64> = (0..params).map(|_| rng.gen_range(-one..one)).collect();
	let direction: Vec<i64> = (0..params).map(|_| rng.gen_range(-one / 10..one / 10)).collect();
	let make = |rng: &mut ChaCha8Rng, scale: i64| -> Vec<i32> {
		global
			.iter()
			.zip(&direction)
			.map(|(g, d)| {
				let delta = d + rng.gen_range(-one / 50..one / 50);
				(g + scale * delta) as i32
			})
			.collect()
	};
	let honest: Vec<Update> = (0..PARTICIPANTS - BYZANTINE)
		.map(|_| Update {
			schema_hash,
			author: din_fl::NO_AUTHOR,
			num_samples: rng.gen_range(100..200),
			values: make(&mut rng, 1),
		})
		.collect();
	let byzantine: Vec<Update> = (0..BYZANTINE)
		.map(|_| Update {
			schema_hash,
			author: din_fl::NO_AUTHOR,
			num_samples: rng.gen_range(100..200),
			values: make(&mut rng, -10),
		})
		.collect();
	// Interleave so that position carries no information.
	let mut all = honest.clone();
	for (position, update) in [1, 4, 8].into_iter().zip(byzantine) {
		all.insert(position, update);
	}
	Round { honest, all }
}

fn distance(a: &Update, b: &Update) -> f64 {
	a.values
		.iter()
		.zip(&b.values)
		.map(|(x, y)| (f64::from(*x) - f64::from(*y)).powi(2))
		.sum::<f64>()
		.sqrt()
}

#[test]
fn robust_rules_resist_thirty_percent_sign_flipping() {
	let spec = ModelSpec::Mlp { inputs: 16, hidden: vec![16], classes: 4 };
	let schema = spec.schema().unwrap();
	let round = round(schema.hash(), schema.value_count());
	let honest: Vec<&Update> = round.honest.iter().collect();
	let all: Vec<&Update> = round.all.iter().collect();
	let clean = AggregationRule::FedAvg.aggregate(&honest).unwrap();
	// Scale: how far a typical honest update is from the clean aggregate.
	let spread = honest.iter().map(|u| distance(u, &clean)).sum::<f64>() / honest.len() as f64;

	let poisoned = AggregationRule::FedAvg.aggregate(&all).unwrap();
	let fedavg_error = distance(&poisoned, &clean);
	assert!(fedavg_error > 10.0 * spread, "FedAvg error {fedavg_error} vs spread {spread}");

	for rule in [
		AggregationRule::Median,
		AggregationRule::TrimmedMean { beta: Perbill::from_percent(30) },
		AggregationRule::Krum { f: BYZANTINE as u32 },
		AggregationRule::MultiKrum { f: BYZANTINE as u32, m: 4 },
	] {
		let robust = rule.aggregate(&all).unwrap();
		let error = distance(&robust, &clean);
		eprintln!("{rule:?}: error {error:.0}, FedAvg {fedavg_error:.0}, spread {spread:.0}");
		// Krum returns one honest update (≈ spread away); the others average honest
		// values and land closer still. All are an order of magnitude better than FedAvg.
		assert!(error <= 1.5 * spread, "{rule:?}: error {error} vs spread {spread}");
		assert!(error * 10.0 < fedavg_error, "{rule:?}: error {error} vs FedAvg {fedavg_error}");
		if matches!(rule, AggregationRule::Krum { .. }) {
			assert!(round.honest.contains(&robust), "Krum picked a Byzantine update");
		}
	}
}

/// A stand-in for the Poseidon commitment the drivers pass to the duty.
fn commitment_of(values: &[i32]) -> [u8; 32] {
	let bytes: Vec<u8> = values.iter().flat_map(|v| v.to_le_bytes()).collect();
	Sha256::digest(&bytes).into()
}

#[test]
fn a_subgroup_duty_with_sign_flippers_and_a_forger_aggregates_near_the_honest_updates() {
	let spec = ModelSpec::SoftmaxRegression { inputs: 8, classes: 3 };
	let schema = spec.schema().unwrap();
	let round = round(schema.hash(), schema.value_count());
	// The sign flippers commit to what they send: only the robust rule stops them. A
	// forger that claims ten times its samples on chain and a participant whose update
	// never arrives are stopped by the checks.
	let mut submitted: Vec<Submitted<[u8; 32]>> = round
		.all
		.iter()
		.map(|update| Submitted {
			bytes: Ok(update.encode().unwrap()),
			commitment: commitment_of(&update.values),
			author: update.author,
			num_samples: update.num_samples,
			stale: None,
		})
		.collect();
	let mut forger = submitted[0].clone();
	forger.num_samples *= 10;
	submitted.push(forger);
	submitted.push(Submitted {
		bytes: Err(din_fl::Rejection::Unavailable("no provider".into())),
		commitment: [0; 32],
		author: din_fl::NO_AUTHOR,
		num_samples: 1,
		stale: None,
	});
	let rule = AggregationRule::Median;
	let every = CommitmentSample::all(submitted.len());
	let (next, rejected) =
		aggregate_subgroup(&Sequential, &rule, &schema, &submitted, &every, None, commitment_of)
			.unwrap();
	let rejected: Vec<usize> = rejected.into_iter().map(|(index, _)| index).collect();
	assert_eq!(rejected, vec![PARTICIPANTS, PARTICIPANTS + 1]);
	let next = next.expect("valid updates");
	assert_eq!(next, rule.aggregate(&round.all.iter().collect::<Vec<_>>()).unwrap());
	let honest: Vec<&Update> = round.honest.iter().collect();
	let clean = AggregationRule::FedAvg.aggregate(&honest).unwrap();
	let spread = honest.iter().map(|u| distance(u, &clean)).sum::<f64>() / honest.len() as f64;
	assert!(distance(&next, &clean) < spread);
	assert_eq!(next.check_against(&schema), Ok(()));
}
