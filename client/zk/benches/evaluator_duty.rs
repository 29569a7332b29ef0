//! The native side of `scripts/bench/ocw-aggregate.sh`: the compute of one aggregation
//! duty as the `din evaluator` daemon does it, on the inputs the evaluation pallet's
//! `offchain_aggregate_*` benchmarks feed the runtime's wasm (`din_aggregate::synthetic`).
//!
//! Per duty, for `n` fetched updates of `p` values: each update's CID check, decoding,
//! schema, sample-count and Poseidon-commitment checks; the rule (on rayon, as the
//! daemon runs it); then the aggregate's encoding, CID and commitment.
//!
//! `DIN_DUTY_POINTS="n:p n:p …"` (default `4:1024 32:131072`) and
//! `DIN_DUTY_RULES="fed_avg median multi_krum"` (default all three) select the runs;
//! results are criterion's, under `$CARGO_TARGET_DIR/criterion/evaluator_duty/`.
use criterion::{black_box, criterion_group, criterion_main, BenchmarkId, Criterion};
use din_aggregate::{content::artifact_cid, synthetic, AggregationRule, Aggregator, Schema, Update};
use din_zk::commitment::{model_commitment, to_bytes};
use std::time::Duration;

struct Fetched {
	bytes: Vec<u8>,
	cid: String,
	commitment: [u8; 32],
	num_samples: u64,
}

fn commitment(values: &[i32]) -> [u8; 32] {
	to_bytes(&model_commitment(values))
}

fn inputs(n: u32, p: u32) -> (Schema, Vec<Fetched>) {
	let schema = synthetic::schema(p);
	// The seed the pallet's benchmark uses for the same point.
	let updates = synthetic::updates(&schema, n as usize, (u64::from(n) << 32) | u64::from(p));
	let fetched = updates
		.iter()
		.map(|update| {
			let bytes = update.encode().expect("synthetic updates encode");
			Fetched { cid: artifact_cid(&bytes), commitment: commitment(&update.values), num_samples: update.num_samples, bytes }
		})
		.collect();
	(schema, fetched)
}

fn duty(rule: &AggregationRule, schema: &Schema, fetched: &[Fetched]) -> (String, [u8; 32]) {
	let mut valid = Vec::with_capacity(fetched.len());
	for update in fetched {
		assert_eq!(artifact_cid(&update.bytes), update.cid);
		let decoded = Update::decode(&update.bytes).expect("well-formed");
		decoded.check_against(schema).expect("of the schema");
		assert_eq!(commitment(&decoded.values), update.commitment);
		assert_eq!(decoded.num_samples, update.num_samples);
		valid.push(decoded);
	}
	let aggregate = rule.aggregate(&valid.iter().collect::<Vec<_>>()).expect("the rule applies");
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
		other => panic!("unknown rule {other} (fed_avg, median, multi_krum)"),
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

fn evaluator_duty(c: &mut Criterion) {
	let rules = std::env::var("DIN_DUTY_RULES").unwrap_or_else(|_| "fed_avg median multi_krum".into());
	let mut group = c.benchmark_group("evaluator_duty");
	group.sample_size(10).warm_up_time(Duration::from_millis(200)).measurement_time(Duration::from_secs(2));
	for (n, p) in points() {
		let (schema, fetched) = inputs(n, p);
		for name in rules.split_whitespace() {
			let rule = rule(name, n);
			group.bench_function(BenchmarkId::new(name, format!("n{n}xp{p}")), |b| {
				b.iter(|| black_box(duty(&rule, &schema, black_box(&fetched))))
			});
		}
	}
	group.finish();
}

criterion_group!(benches, evaluator_duty);
criterion_main!(benches);
