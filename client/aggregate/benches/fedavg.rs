//! FedAvg throughput on rayon (the client's [`Parallel`] executor) against a memcpy of the
//! same bytes, in one criterion group.
//!
//! For N updates of P parameters, FedAvg reads `N·P·4` bytes (and writes `P·4`); the
//! baseline copies the same `N·P·4` input bytes into one preallocated buffer. Both report
//! throughput as input bytes per second, so their ratio is FedAvg's share of memcpy
//! bandwidth. `scripts/bench/fedavg_numpy.py` measures numpy's weighted average on the
//! same shapes for the side-by-side comparison.
//!
//! Run: `cargo bench -p din-aggregate --bench fedavg` (`-- --quick` for a fast pass).
//! `DIN_BENCH_MAX_PARAMS` caps P (default 10^6). Set `RAYON_NUM_THREADS` to pin threads;
//! the `fedavg_1_thread` series always runs on a one-thread pool.

use criterion::{black_box, criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use din_aggregate::Parallel;
use din_fl::rules::{Aggregator, FedAvg};
use din_fl::Update;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::time::Duration;

fn updates(count: usize, params: usize) -> Vec<Update> {
	let mut rng = ChaCha8Rng::seed_from_u64(7);
	(0..count)
		.map(|_| Update {
			schema_hash: [0; 32],
			author: din_fl::NO_AUTHOR,
			num_samples: rng.gen_range(1..2_000),
			values: (0..params).map(|_| rng.gen_range(-(1 << 20)..(1 << 20))).collect(),
		})
		.collect()
}

fn fedavg_vs_memcpy(c: &mut Criterion) {
	let max_params: usize = std::env::var("DIN_BENCH_MAX_PARAMS")
		.ok()
		.and_then(|v| v.parse().ok())
		.unwrap_or(1_000_000);
	let single_thread = rayon::ThreadPoolBuilder::new()
		.num_threads(1)
		.build()
		.expect("a one-thread pool builds");
	let mut group = c.benchmark_group("fedavg");
	group
		.sample_size(20)
		.warm_up_time(Duration::from_millis(500))
		.measurement_time(Duration::from_secs(2));
	for count in [10usize, 100] {
		for params in [10_000usize, 100_000, 1_000_000].into_iter().filter(|p| *p <= max_params) {
			let inputs = updates(count, params);
			let refs: Vec<&Update> = inputs.iter().collect();
			let bytes = (count * params * 4) as u64;
			group.throughput(Throughput::Bytes(bytes));
			let label = format!("N{count}xP{params}");
			group.bench_function(BenchmarkId::new("fedavg", &label), |b| {
				b.iter(|| {
					black_box(
						FedAvg.aggregate_with(&Parallel, black_box(&refs)).expect("valid inputs"),
					)
				})
			});
			group.bench_function(BenchmarkId::new("fedavg_1_thread", &label), |b| {
				b.iter(|| {
					single_thread.install(|| {
						black_box(
							FedAvg
								.aggregate_with(&Parallel, black_box(&refs))
								.expect("valid inputs"),
						)
					})
				})
			});
			let mut destination = vec![0i32; count * params];
			group.bench_function(BenchmarkId::new("memcpy", &label), |b| {
				b.iter(|| {
					for (chunk, update) in destination.chunks_exact_mut(params).zip(&inputs) {
						chunk.copy_from_slice(black_box(&update.values));
					}
					black_box(&mut destination);
				})
			});
		}
	}
	group.finish();
}

criterion_group!(benches, fedavg_vs_memcpy);
criterion_main!(benches);
