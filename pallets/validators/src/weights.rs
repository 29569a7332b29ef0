// PLACEHOLDER until scripts/bench/pallet-weights.sh validators regenerates this file.
#![cfg_attr(rustfmt, rustfmt_skip)]
#![allow(unused_parens)]
#![allow(unused_imports)]
#![allow(missing_docs)]
#![allow(dead_code)]

use polkadot_sdk::frame_support::{traits::Get, weights::{Weight, constants::RocksDbWeight}};
use polkadot_sdk::frame_system;
use core::marker::PhantomData;

/// Weight functions needed for `pallet_din_validators`.
pub trait WeightInfo {
	fn validate() -> Weight;
	fn chill() -> Weight;
	fn remove() -> Weight;
	fn add_invulnerable() -> Weight;
	fn on_offence(n: u32, ) -> Weight;
}

pub struct SubstrateWeight<T>(PhantomData<T>);
impl<T: frame_system::Config> WeightInfo for SubstrateWeight<T> {
	fn validate() -> Weight { Weight::zero() }
	fn chill() -> Weight { Weight::zero() }
	fn remove() -> Weight { Weight::zero() }
	fn add_invulnerable() -> Weight { Weight::zero() }
	fn on_offence(_n: u32, ) -> Weight { Weight::zero() }
}

impl WeightInfo for () {
	fn validate() -> Weight { Weight::zero() }
	fn chill() -> Weight { Weight::zero() }
	fn remove() -> Weight { Weight::zero() }
	fn add_invulnerable() -> Weight { Weight::zero() }
	fn on_offence(_n: u32, ) -> Weight { Weight::zero() }
}
