// This file is part of DIN.
// SPDX-License-Identifier: Apache-2.0

// PLACEHOLDER until scripts/bench/pallet-weights.sh regenerates this file with
// `din-node benchmark pallet` (the benchmarks are in `benchmarking.rs`). Until then the
// numbers are conservative guesses: storage accesses counted from the code, execution
// times rounded up. Do not tune by hand; regenerate.

//! Weights for `pallet_din_evaluation`.

#![cfg_attr(rustfmt, rustfmt_skip)]
#![allow(unused_parens)]
#![allow(unused_imports)]
#![allow(missing_docs)]
#![allow(dead_code)]

use polkadot_sdk::frame_support::{traits::Get, weights::{Weight, constants::RocksDbWeight}};
use polkadot_sdk::frame_system;
use core::marker::PhantomData;

/// Weight functions needed for `pallet_din_evaluation`.
pub trait WeightInfo {
	fn register_evaluator(n: u32, ) -> Weight;
	fn deregister_evaluator(n: u32, ) -> Weight;
	fn commit_aggregate() -> Weight;
	fn reveal_aggregate(i: u32, ) -> Weight;
	fn commit_global(e: u32, ) -> Weight;
	fn reveal_global() -> Weight;
	fn register_verifying_key() -> Weight;
	fn release_test_key() -> Weight;
	fn submit_score() -> Weight;
	fn report_score(q: u32, ) -> Weight;
	fn on_round_start(k: u32, n: u32, ) -> Weight;
	fn on_aggregation_end(k: u32, ) -> Weight;
	fn on_global_end(e: u32, ) -> Weight;
	fn on_scoring_end(s: u32, ) -> Weight;
	fn verify_wasm() -> Weight;
}

/// Weights for `pallet_din_evaluation` using the DIN node and recommended hardware.
pub struct SubstrateWeight<T>(PhantomData<T>);
impl<T: frame_system::Config> WeightInfo for SubstrateWeight<T> {
	fn register_evaluator(n: u32, ) -> Weight {
		Weight::from_parts(30000000, 10000)
			.saturating_add(Weight::from_parts(1_000_000, 1000).saturating_mul(n.into()))
			.saturating_add(T::DbWeight::get().reads(1_u64))
			.saturating_add(T::DbWeight::get().writes(1_u64))
	}
	fn deregister_evaluator(n: u32, ) -> Weight {
		Weight::from_parts(30000000, 10000)
			.saturating_add(Weight::from_parts(1_000_000, 1000).saturating_mul(n.into()))
			.saturating_add(T::DbWeight::get().reads(1_u64))
			.saturating_add(T::DbWeight::get().writes(1_u64))
	}
	fn commit_aggregate() -> Weight {
		Weight::from_parts(40000000, 10000)
			.saturating_add(T::DbWeight::get().reads(3_u64))
			.saturating_add(T::DbWeight::get().writes(1_u64))
	}
	fn reveal_aggregate(i: u32, ) -> Weight {
		Weight::from_parts(60000000, 10000)
			.saturating_add(Weight::from_parts(1_000_000, 1000).saturating_mul(i.into()))
			.saturating_add(T::DbWeight::get().reads(4_u64))
			.saturating_add(T::DbWeight::get().writes(1_u64))
	}
	fn commit_global(e: u32, ) -> Weight {
		Weight::from_parts(40000000, 10000)
			.saturating_add(Weight::from_parts(1_000_000, 1000).saturating_mul(e.into()))
			.saturating_add(T::DbWeight::get().reads(3_u64))
			.saturating_add(T::DbWeight::get().writes(1_u64))
	}
	fn reveal_global() -> Weight {
		Weight::from_parts(50000000, 10000)
			.saturating_add(T::DbWeight::get().reads(3_u64))
			.saturating_add(T::DbWeight::get().writes(1_u64))
	}
	fn register_verifying_key() -> Weight {
		Weight::from_parts(2000000000, 10000)
			.saturating_add(T::DbWeight::get().reads(1_u64))
			.saturating_add(T::DbWeight::get().writes(1_u64))
	}
	fn release_test_key() -> Weight {
		Weight::from_parts(30000000, 10000)
			.saturating_add(T::DbWeight::get().reads(2_u64))
			.saturating_add(T::DbWeight::get().writes(1_u64))
	}
	fn submit_score() -> Weight {
		Weight::from_parts(3000000000, 10000)
			.saturating_add(T::DbWeight::get().reads(8_u64))
			.saturating_add(T::DbWeight::get().writes(3_u64))
	}
	fn report_score(q: u32, ) -> Weight {
		Weight::from_parts(50000000, 10000)
			.saturating_add(Weight::from_parts(1_000_000, 1000).saturating_mul(q.into()))
			.saturating_add(T::DbWeight::get().reads(6_u64))
			.saturating_add(T::DbWeight::get().writes(2_u64))
	}
	fn on_round_start(k: u32, n: u32, ) -> Weight {
		Weight::from_parts(100000000, 10000)
			.saturating_add(Weight::from_parts(1_000_000, 1000).saturating_mul(k.into()))
			.saturating_add(Weight::from_parts(1_000_000, 1000).saturating_mul(n.into()))
			.saturating_add(T::DbWeight::get().reads(4_u64))
			.saturating_add(T::DbWeight::get().writes(3_u64))
	}
	fn on_aggregation_end(k: u32, ) -> Weight {
		Weight::from_parts(100000000, 10000)
			.saturating_add(Weight::from_parts(1_000_000, 1000).saturating_mul(k.into()))
			.saturating_add(T::DbWeight::get().reads(4_u64))
			.saturating_add(T::DbWeight::get().writes(3_u64))
	}
	fn on_global_end(e: u32, ) -> Weight {
		Weight::from_parts(100000000, 10000)
			.saturating_add(Weight::from_parts(1_000_000, 1000).saturating_mul(e.into()))
			.saturating_add(T::DbWeight::get().reads(4_u64))
			.saturating_add(T::DbWeight::get().writes(3_u64))
	}
	fn on_scoring_end(s: u32, ) -> Weight {
		Weight::from_parts(100000000, 10000)
			.saturating_add(Weight::from_parts(1_000_000, 1000).saturating_mul(s.into()))
			.saturating_add(T::DbWeight::get().reads(6_u64))
			.saturating_add(T::DbWeight::get().writes(6_u64))
	}
	fn verify_wasm() -> Weight {
		Weight::from_parts(30000000000, 10000)
			.saturating_add(T::DbWeight::get().reads(0_u64))
			.saturating_add(T::DbWeight::get().writes(0_u64))
	}
}

// For backwards compatibility and tests.
impl WeightInfo for () {
	fn register_evaluator(n: u32, ) -> Weight {
		Weight::from_parts(30000000, 10000)
			.saturating_add(Weight::from_parts(1_000_000, 1000).saturating_mul(n.into()))
			.saturating_add(RocksDbWeight::get().reads(1_u64))
			.saturating_add(RocksDbWeight::get().writes(1_u64))
	}
	fn deregister_evaluator(n: u32, ) -> Weight {
		Weight::from_parts(30000000, 10000)
			.saturating_add(Weight::from_parts(1_000_000, 1000).saturating_mul(n.into()))
			.saturating_add(RocksDbWeight::get().reads(1_u64))
			.saturating_add(RocksDbWeight::get().writes(1_u64))
	}
	fn commit_aggregate() -> Weight {
		Weight::from_parts(40000000, 10000)
			.saturating_add(RocksDbWeight::get().reads(3_u64))
			.saturating_add(RocksDbWeight::get().writes(1_u64))
	}
	fn reveal_aggregate(i: u32, ) -> Weight {
		Weight::from_parts(60000000, 10000)
			.saturating_add(Weight::from_parts(1_000_000, 1000).saturating_mul(i.into()))
			.saturating_add(RocksDbWeight::get().reads(4_u64))
			.saturating_add(RocksDbWeight::get().writes(1_u64))
	}
	fn commit_global(e: u32, ) -> Weight {
		Weight::from_parts(40000000, 10000)
			.saturating_add(Weight::from_parts(1_000_000, 1000).saturating_mul(e.into()))
			.saturating_add(RocksDbWeight::get().reads(3_u64))
			.saturating_add(RocksDbWeight::get().writes(1_u64))
	}
	fn reveal_global() -> Weight {
		Weight::from_parts(50000000, 10000)
			.saturating_add(RocksDbWeight::get().reads(3_u64))
			.saturating_add(RocksDbWeight::get().writes(1_u64))
	}
	fn register_verifying_key() -> Weight {
		Weight::from_parts(2000000000, 10000)
			.saturating_add(RocksDbWeight::get().reads(1_u64))
			.saturating_add(RocksDbWeight::get().writes(1_u64))
	}
	fn release_test_key() -> Weight {
		Weight::from_parts(30000000, 10000)
			.saturating_add(RocksDbWeight::get().reads(2_u64))
			.saturating_add(RocksDbWeight::get().writes(1_u64))
	}
	fn submit_score() -> Weight {
		Weight::from_parts(3000000000, 10000)
			.saturating_add(RocksDbWeight::get().reads(8_u64))
			.saturating_add(RocksDbWeight::get().writes(3_u64))
	}
	fn report_score(q: u32, ) -> Weight {
		Weight::from_parts(50000000, 10000)
			.saturating_add(Weight::from_parts(1_000_000, 1000).saturating_mul(q.into()))
			.saturating_add(RocksDbWeight::get().reads(6_u64))
			.saturating_add(RocksDbWeight::get().writes(2_u64))
	}
	fn on_round_start(k: u32, n: u32, ) -> Weight {
		Weight::from_parts(100000000, 10000)
			.saturating_add(Weight::from_parts(1_000_000, 1000).saturating_mul(k.into()))
			.saturating_add(Weight::from_parts(1_000_000, 1000).saturating_mul(n.into()))
			.saturating_add(RocksDbWeight::get().reads(4_u64))
			.saturating_add(RocksDbWeight::get().writes(3_u64))
	}
	fn on_aggregation_end(k: u32, ) -> Weight {
		Weight::from_parts(100000000, 10000)
			.saturating_add(Weight::from_parts(1_000_000, 1000).saturating_mul(k.into()))
			.saturating_add(RocksDbWeight::get().reads(4_u64))
			.saturating_add(RocksDbWeight::get().writes(3_u64))
	}
	fn on_global_end(e: u32, ) -> Weight {
		Weight::from_parts(100000000, 10000)
			.saturating_add(Weight::from_parts(1_000_000, 1000).saturating_mul(e.into()))
			.saturating_add(RocksDbWeight::get().reads(4_u64))
			.saturating_add(RocksDbWeight::get().writes(3_u64))
	}
	fn on_scoring_end(s: u32, ) -> Weight {
		Weight::from_parts(100000000, 10000)
			.saturating_add(Weight::from_parts(1_000_000, 1000).saturating_mul(s.into()))
			.saturating_add(RocksDbWeight::get().reads(6_u64))
			.saturating_add(RocksDbWeight::get().writes(6_u64))
	}
	fn verify_wasm() -> Weight {
		Weight::from_parts(30000000000, 10000)
			.saturating_add(RocksDbWeight::get().reads(0_u64))
			.saturating_add(RocksDbWeight::get().writes(0_u64))
	}
}
