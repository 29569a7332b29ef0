//! The rules on rayon give what they give on one thread: bit-identical across thread
//! counts and equal to `din-fl`'s sequential run (whose results `din-fl`'s own tests pin
//! to recorded fingerprints).

use din_aggregate::Parallel;
use din_fl::{AggregationRule, Aggregator, Perbill, Sequential, Update};
use rand::{Rng, SeedableRng};

/// Every rule that is valid for `count` updates (as din-fl's property tests list them).
fn rules_for(count: usize) -> Vec<AggregationRule> {
	let f = ((count - 3) / 2) as u32;
	let trimmed =
		|ppm: u32| AggregationRule::TrimmedMean { beta: Perbill::from_parts(ppm * 1_000) };
	vec![
		AggregationRule::FedAvg,
		AggregationRule::Median,
		trimmed(0),
		trimmed(200_000),
		trimmed(499_999),
		AggregationRule::Krum { f },
		AggregationRule::Krum { f: 0 },
		AggregationRule::MultiKrum { f, m: 1 },
		AggregationRule::MultiKrum { f, m: (count / 2) as u32 },
		AggregationRule::MultiKrum { f: 0, m: count as u32 },
		// Clips every offset (they are ~ 3·10^5 long), then none.
		AggregationRule::CenteredClipping { tau: 100_000, iterations: 3 },
		AggregationRule::CenteredClipping { tau: u32::MAX, iterations: 2 },
	]
}

/// Enough coordinates (9 × 100 003 values) that the blocks are split into several rayon
/// tasks.
#[test]
fn every_rule_is_identical_across_thread_counts_and_to_the_sequential_run() {
	let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(11);
	let updates: Vec<Update> = (0..9)
		.map(|_| Update {
			schema_hash: [1; 32],
			author: din_fl::NO_AUTHOR,
			num_samples: rng.gen_range(1..100),
			values: (0..100_003).map(|_| rng.gen_range(-1000..1000)).collect(),
		})
		.collect();
	let refs: Vec<&Update> = updates.iter().collect();
	for rule in rules_for(updates.len()) {
		let sequential = rule.aggregate_with(&Sequential, &refs).unwrap();
		for threads in [1, 2, 3, 8] {
			let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
			let parallel = pool.install(|| rule.aggregate_with(&Parallel, &refs).unwrap());
			assert_eq!(parallel, sequential, "{rule:?} on {threads} threads");
		}
	}
}
