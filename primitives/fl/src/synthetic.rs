//! Deterministic pseudo-random updates for benchmarks that must feed the runtime's wasm
//! and the native client the very same inputs (the evaluation pallet's
//! `offchain_aggregate_*` benchmarks and `benches/evaluator_duty.rs`).
//!
//! The values are noise, not a model: use them to measure cost, never behaviour.

use crate::{Schema, TensorSpec, Update};
use alloc::{string::String, vec, vec::Vec};

/// One flat tensor of `values` values: the schema of the synthetic updates.
pub fn schema(values: u32) -> Schema {
	Schema::new(vec![TensorSpec { name: String::from("synthetic"), shape: vec![values] }])
}

/// `count` updates of `schema` from `seed`: values uniform in `[-2^16, 2^16)` (±1.0 in
/// fixed point, the range of trained weights) and sample counts in `1..=1000`.
pub fn updates(schema: &Schema, count: usize, seed: u64) -> Vec<Update> {
	let mut rng = SplitMix64(seed);
	let (schema_hash, values) = (schema.hash(), schema.value_count());
	(0..count)
		.map(|_| Update {
			schema_hash,
			author: crate::NO_AUTHOR,
			num_samples: 1 + rng.next() % 1000,
			values: (0..values).map(|_| (rng.next() >> 47) as i32 - (1 << 16)).collect(),
		})
		.collect()
}

/// SplitMix64 (Steele et al., 2014): tiny, no_std and the same on every target.
struct SplitMix64(u64);

impl SplitMix64 {
	fn next(&mut self) -> u64 {
		self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
		let mut z = self.0;
		z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
		z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
		z ^ (z >> 31)
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn updates_are_reproducible_in_range_and_of_the_schema() {
		let schema = schema(1_000);
		let first = updates(&schema, 3, 9);
		assert_eq!(first, updates(&schema, 3, 9));
		assert_ne!(first, updates(&schema, 3, 10));
		for update in &first {
			update.check_against(&schema).unwrap();
			assert!((1..=1000).contains(&update.num_samples));
			assert!(update.values.iter().all(|v| (-(1 << 16)..(1 << 16)).contains(v)));
		}
		// Both ends of the range occur: the shift keeps 17 random bits.
		let all: Vec<i32> = updates(&schema, 50, 1).into_iter().flat_map(|u| u.values).collect();
		assert!(all.iter().any(|v| *v < -(1 << 15)) && all.iter().any(|v| *v > 1 << 15));
	}
}
