//! DIN's Poseidon, rewritten rounds against arkworks' `PoseidonSponge`, in one criterion
//! group per input, on the same inputs and with the same output (asserted before timing).
//!
//! - `hash/E`: [`din_zk_verifier::poseidon::hash`] against
//!   [`din_zk_verifier::poseidon::sponge_hash`] on `E` random field elements (`E / 8`
//!   permutations).
//! - `model_commitment/P`: [`din_zk_verifier::model_commitment`] of `P` values (packed
//!   straight into the sponge) against the definition it replaces: `model_bits`, then
//!   `pack_bits`, then arkworks' sponge. `P = 2^16` is an update at the off-chain worker's
//!   bound.
//!
//! Run: `scripts/bench/poseidon.sh` (prints the ratios; `--write` puts them in
//! `docs/benchmarks.md`), or `cargo bench -p din-zk-verifier --bench poseidon`.
use ark_bn254::Fr;
use ark_ff::UniformRand;
use criterion::{black_box, criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use din_zk_verifier::{
	commitment::{model_bits, pack_bits, DOMAIN_MODEL},
	model_commitment,
	poseidon::{hash, sponge_hash},
};

fn poseidon(c: &mut Criterion) {
	let mut rng = ark_std::test_rng();
	for elements in [8usize, 1024] {
		let input: Vec<Fr> = (0..elements).map(|_| Fr::rand(&mut rng)).collect();
		assert_eq!(hash(&input), sponge_hash(&input));
		let mut group = c.benchmark_group(format!("hash/{elements}"));
		group.throughput(Throughput::Elements(elements as u64));
		group.bench_function(BenchmarkId::from_parameter("arkworks_sponge"), |b| {
			b.iter(|| sponge_hash(black_box(&input)))
		});
		group.bench_function(BenchmarkId::from_parameter("rewritten_rounds"), |b| {
			b.iter(|| hash(black_box(&input)))
		});
		group.finish();
	}

	let reference = |values: &[i32]| {
		let mut input = vec![Fr::from(DOMAIN_MODEL), Fr::from(values.len() as u64)];
		input.extend(pack_bits(&model_bits(values)));
		sponge_hash(&input)
	};
	let mut seed = 7u32;
	let values: Vec<i32> = (0..1 << 16)
		.map(|_| {
			seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
			(seed as i32) >> 8
		})
		.collect();
	assert_eq!(model_commitment(&values), reference(&values));
	let mut group = c.benchmark_group(format!("model_commitment/{}", values.len()));
	group.throughput(Throughput::Elements(values.len() as u64));
	group.sample_size(10);
	group.bench_function(BenchmarkId::from_parameter("arkworks_sponge"), |b| {
		b.iter(|| reference(black_box(&values)))
	});
	group.bench_function(BenchmarkId::from_parameter("rewritten_rounds"), |b| {
		b.iter(|| model_commitment(black_box(&values)))
	});
	group.finish();
}

criterion_group!(benches, poseidon);
criterion_main!(benches);
