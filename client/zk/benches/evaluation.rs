//! `cargo bench -p din-zk`: constraints per test sample, setup / prove / verify wall time and
//! peak memory for the two shapes of issue 6 on a 360-sample test set in the digits value
//! range (raw pixels 0..=16, quantized ×4096; synthetic, cost does not depend on the data).
//!
//! Setup and proving take seconds to minutes, so they run once per shape and are printed
//! (criterion's minimum of 10 samples would take too long on 2 cores); verification is a
//! regular criterion benchmark. Peak memory is the process's `VmHWM`, reset before each
//! phase through `/proc/self/clear_refs` (Linux).
//!
//! `DIN_ZK_BENCH_SHAPES=softmax` (or `mlp`) restricts the run to one shape.
use criterion::{criterion_group, criterion_main, Criterion};
use din_fl::TestSet;
use din_zk::{
	commitment::FeatureDomain, constraint_count, prove, setup, verify, CircuitShape, ModelShape,
};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha20Rng;
use std::time::Instant;

const SAMPLES: usize = 360;

fn peak_reset() {
	let _ = std::fs::write("/proc/self/clear_refs", "5");
}

fn peak_mib() -> f64 {
	std::fs::read_to_string("/proc/self/status")
		.ok()
		.and_then(|s| {
			s.lines()
				.find(|l| l.starts_with("VmHWM:"))
				.and_then(|l| l.split_whitespace().nth(1).and_then(|kb| kb.parse::<f64>().ok()))
		})
		.map_or(f64::NAN, |kb| kb / 1024.0)
}

fn data(model: ModelShape, rng: &mut impl Rng) -> (Vec<i32>, TestSet) {
	let weights = (0..model.value_count()).map(|_| rng.gen_range(-(1 << 17)..(1 << 17))).collect();
	let features = (0..SAMPLES * model.inputs()).map(|_| rng.gen_range(0..=16) * 4096).collect();
	let labels = (0..SAMPLES).map(|_| rng.gen_range(0..model.classes() as u32)).collect();
	(weights, TestSet::new(model.inputs() as u32, features, labels).expect("shape"))
}

fn run_shape(c: &mut Criterion, name: &str, model: ModelShape) {
	let shape = CircuitShape { model, samples: SAMPLES, features: FeatureDomain::DigitsGrid };
	let one =
		constraint_count(CircuitShape { model, samples: 1, features: FeatureDomain::DigitsGrid })
			.expect("count");
	let t = Instant::now();
	let all = constraint_count(shape).expect("count");
	let synth = t.elapsed();
	println!(
		"[{name}] constraints: {all} total, {} per sample, {one} for one sample (synthesis {synth:.2?})",
		(all - one) / (SAMPLES - 1)
	);

	let mut rng = ChaCha20Rng::seed_from_u64(2024);
	let (weights, test_set) = data(model, &mut rng);
	peak_reset();
	let t = Instant::now();
	let (pk, vk) = setup(shape, &mut rng).expect("setup");
	println!("[{name}] setup: {:.2?}, peak RSS {:.0} MiB", t.elapsed(), peak_mib());
	peak_reset();
	let t = Instant::now();
	let eval = prove(&pk, shape, &weights, &test_set, &[0; 32], &mut rng).expect("prove");
	println!(
		"[{name}] prove: {:.2?}, peak RSS {:.0} MiB (correct {}/{})",
		t.elapsed(),
		peak_mib(),
		eval.public.correct,
		eval.public.total
	);
	drop(pk);
	assert!(verify(&vk, &eval.public, &eval.proof).expect("verify"));
	let vk_bytes = din_zk::verifying_key_bytes(&vk).expect("vk bytes");
	let inputs = eval.public.to_bytes();
	c.bench_function(&format!("{name}/verify_bytes"), |b| {
		b.iter(|| din_zk_verifier::verify_bytes(&vk_bytes, &inputs, &eval.proof))
	});
	let pvk = din_zk_verifier::verifier::prepare(&vk_bytes).expect("prepare");
	let field_inputs = eval.public.to_field_elements();
	c.bench_function(&format!("{name}/verify_prepared"), |b| {
		b.iter(|| din_zk_verifier::verifier::verify_prepared(&pvk, &field_inputs, &eval.proof))
	});
	// What the chain runs per proof: the key as `register_verifying_key` stored it.
	let stored = din_zk_verifier::prepare_checked(&vk_bytes, field_inputs.len()).expect("prepare");
	c.bench_function(&format!("{name}/verify_stored_prepared"), |b| {
		b.iter(|| din_zk_verifier::verify_prepared_bytes(&stored, &inputs, &eval.proof))
	});
}

fn benches(c: &mut Criterion) {
	let only = std::env::var("DIN_ZK_BENCH_SHAPES").unwrap_or_default();
	if only.is_empty() || only == "softmax" {
		run_shape(c, "softmax-64-10", ModelShape::SoftmaxRegression { inputs: 64, classes: 10 });
	}
	if only.is_empty() || only == "mlp" {
		run_shape(c, "mlp-64-32-10", ModelShape::Mlp { inputs: 64, hidden: 32, classes: 10 });
	}
}

criterion_group! {
	name = evaluation;
	config = Criterion::default().sample_size(10);
	targets = benches
}
criterion_main!(evaluation);
