// This file is part of DIN.
// SPDX-License-Identifier: Apache-2.0

// PLACEHOLDER until scripts/bench/pallet-weights.sh regenerates this file with
// `din-node benchmark pallet` (the benchmark is in `benchmarking.rs`). Until then the
// numbers are conservative guesses: storage accesses counted from the code, execution
// times rounded up. Do not tune by hand; regenerate.

//! Weights for `pallet_din_rewards`.

#![cfg_attr(rustfmt, rustfmt_skip)]
#![allow(unused_parens)]
#![allow(unused_imports)]
#![allow(missing_docs)]
#![allow(dead_code)]

use polkadot_sdk::frame_support::{traits::Get, weights::{Weight, constants::RocksDbWeight}};
use polkadot_sdk::frame_system;
use core::marker::PhantomData;

/// Weight functions needed for `pallet_din_rewards`.
pub trait WeightInfo {
	fn settle(p: u32, e: u32, s: u32, ) -> Weight;
}

/// Weights for `pallet_din_rewards` using the DIN node and recommended hardware.
pub struct SubstrateWeight<T>(PhantomData<T>);
impl<T: frame_system::Config> WeightInfo for SubstrateWeight<T> {
	fn settle(p: u32, e: u32, s: u32, ) -> Weight {
		Weight::from_parts(100_000_000, 10000)
			.saturating_add(Weight::from_parts(60_000_000, 3000).saturating_mul(p.into()))
			.saturating_add(Weight::from_parts(60_000_000, 3000).saturating_mul(e.into()))
			.saturating_add(Weight::from_parts(1_000_000, 0).saturating_mul(s.into()))
			.saturating_add(T::DbWeight::get().reads(4_u64))
			.saturating_add(T::DbWeight::get().reads((2_u64).saturating_mul(p.into())))
			.saturating_add(T::DbWeight::get().reads((2_u64).saturating_mul(e.into())))
			.saturating_add(T::DbWeight::get().writes(3_u64))
			.saturating_add(T::DbWeight::get().writes((2_u64).saturating_mul(p.into())))
			.saturating_add(T::DbWeight::get().writes((2_u64).saturating_mul(e.into())))
	}
}

// For backwards compatibility and tests.
impl WeightInfo for () {
	fn settle(p: u32, e: u32, s: u32, ) -> Weight {
		Weight::from_parts(100_000_000, 10000)
			.saturating_add(Weight::from_parts(60_000_000, 3000).saturating_mul(p.into()))
			.saturating_add(Weight::from_parts(60_000_000, 3000).saturating_mul(e.into()))
			.saturating_add(Weight::from_parts(1_000_000, 0).saturating_mul(s.into()))
			.saturating_add(RocksDbWeight::get().reads(4_u64))
			.saturating_add(RocksDbWeight::get().writes(3_u64))
	}
}
