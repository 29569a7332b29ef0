//! The native side of `scripts/bench/ocw-aggregate.sh`: the compute of one aggregation
//! duty as the `din evaluator` daemon does it, on the inputs the evaluation pallet's
//! `offchain_aggregate_*` benchmarks feed the runtime's wasm (`din_fl::synthetic`).
//!
//! Per duty, for `n` fetched updates of `p` values: each update's CID check, then
//! `din_fl::duty::aggregate_subgroup` on rayon, as the daemon runs it (decoding, schema,
//! sample-count checks, the Poseidon commitments of a round's sample, the rule); then the
//! aggregate's encoding,
//! CID and commitment.
//!
//! `DIN_DUTY_POINTS="n:p n:p …"` (default `4:1024 32:131072`) and
//! `DIN_DUTY_RULES="fed_avg median multi_krum centered_clipping"` (default all four) select the runs,
//! `DIN_DUTY_REPEAT` the timed runs of each (default 3). Prints one JSON line per run
//! set. Set `RAYON_NUM_THREADS` to pin the rules' threads.
use din_aggregate::Parallel;
use din_fl::duty::{aggregate_subgroup, CommitmentSample, Submitted};
use din_fl::{content::artifact_cid, synthetic, AggregationRule, Schema};
use din_zk::commitment::{model_commitment, to_bytes};
use std::hint::black_box;
use std::time::Instant;

/// A subgroup's fetched updates and the CIDs they were fetched by.
struct Fetched {
	cids: Vec<String>,
	updates: Vec<Submitted<[u8; 32]>>,
}

fn commitment(values: &[i32]) -> [u8; 32] {
	to_bytes(&model_commitment(values))
}

fn inputs(n: u32, p: u32) -> (Schema, Fetched) {
	let schema = synthetic::schema(p);
	// The seed the pallet's benchmark uses for the same point.
	let updates = synthetic::updates(&schema, n as usize, (u64::from(n) << 32) | u64::from(p));
	let mut fetched = Fetched { cids: Vec::new(), updates: Vec::new() };
	for update in updates {
		let bytes = update.encode().expect("synthetic updates encode");
		fetched.cids.push(artifact_cid(&bytes));
		fetched.updates.push(Submitted {
			bytes: Ok(bytes),
			commitment: commitment(&update.values),
			author: update.author,
			num_samples: update.num_samples,
			stale: None,
		});
	}
	(schema, fetched)
}

fn duty(rule: &AggregationRule, schema: &Schema, fetched: &Fetched) -> (String, [u8; 32]) {
	for (update, cid) in fetched.updates.iter().zip(&fetched.cids) {
		assert_eq!(artifact_cid(update.bytes.as_deref().expect("fetched")), *cid);
	}
	// A round's sample, as drawn from a recorded seed.
	let sample = CommitmentSample::drawn(&[7; 32], 0, fetched.updates.len());
	let (aggregate, rejected) =
		aggregate_subgroup(&Parallel, rule, schema, &fetched.updates, &sample, None, commitment)
			.expect("the rule applies");
	assert!(rejected.is_empty());
	let aggregate = aggregate.expect("every update is valid");
	let bytes = aggregate.encode().expect("encodes");
	(artifact_cid(&bytes), commitment(&aggregate.values))
}

/// The rule of the pallet benchmark named `name`, for `n` updates.
fn rule(name: &str, n: u32) -> AggregationRule {
	match name {
		"fed_avg" => AggregationRule::FedAvg,
		"median" => AggregationRule::Median,
		"multi_krum" => {
			let f = n.saturating_sub(3) / 2;
			AggregationRule::MultiKrum { f, m: n - f }
		},
		"centered_clipping" => AggregationRule::CenteredClipping {
			tau: 1,
			iterations: din_fl::rules::MAX_CLIPPING_ITERATIONS,
		},
		other => {
			panic!("unknown rule {other} (fed_avg, median, multi_krum, centered_clipping)")
		},
	}
}

fn points() -> Vec<(u32, u32)> {
	let spec = std::env::var("DIN_DUTY_POINTS").unwrap_or_else(|_| "4:1024 32:131072".into());
	spec.split_whitespace()
		.map(|point| {
			let (n, p) = point.split_once(':').expect("points are n:p");
			(n.parse().expect("n is a number"), p.parse().expect("p is a number"))
		})
		.collect()
}

/// One JSON line per rule and point: the times of `DIN_DUTY_REPEAT` runs (default 3)
/// after one warm-up run. A duty at the bound takes seconds, too long for criterion's
/// minimum of ten samples on two cores.
fn main() {
	let rules = std::env::var("DIN_DUTY_RULES")
		.unwrap_or_else(|_| "fed_avg median multi_krum centered_clipping".into());
	let repeat: usize =
		std::env::var("DIN_DUTY_REPEAT").ok().and_then(|r| r.parse().ok()).unwrap_or(3);
	for (n, p) in points() {
		let (schema, fetched) = inputs(n, p);
		for name in rules.split_whitespace() {
			let rule = rule(name, n);
			black_box(duty(&rule, &schema, &fetched));
			let seconds: Vec<f64> = (0..repeat)
				.map(|_| {
					let start = Instant::now();
					black_box(duty(&rule, &schema, black_box(&fetched)));
					start.elapsed().as_secs_f64()
				})
				.collect();
			println!("{{\"rule\":\"{name}\",\"n\":{n},\"p\":{p},\"seconds\":{seconds:?}}}");
		}
	}
}
