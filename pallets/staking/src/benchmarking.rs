//! Benchmarks of pallet-din-staking (frame-benchmarking v2). Each call runs at its worst
//! case: a ledger with `MaxUnlockingChunks - 1` chunks (unbond), all chunks maturing
//! (withdraw) or being rebonded (rebond).

use super::*;
use polkadot_sdk::{
	frame_benchmarking::v2::*,
	frame_support::traits::fungible::{Inspect, Mutate},
	frame_system::RawOrigin,
};

const SEED: u32 = 0;
const ROLE: Role = Role::Evaluator;

/// A funded account with `chunks` unbonding chunks of the minimum each and an active bond of
/// ten times the minimum.
fn bonded<T: Config>(chunks: u32) -> T::AccountId {
	let who: T::AccountId = account("staker", 0, SEED);
	let min = Pallet::<T>::min_bond(ROLE);
	let big = min
		.saturating_mul(1_000u32.into())
		.saturating_mul(T::MaxUnlockingChunks::get().into());
	T::Currency::set_balance(&who, big.saturating_add(T::Currency::minimum_balance()));
	Pallet::<T>::do_bond(&who, ROLE, min.saturating_mul((10 + chunks).into()))
		.expect("funded; qed");
	for _ in 0..chunks {
		Pallet::<T>::unbond(RawOrigin::Signed(who.clone()).into(), ROLE, min).expect("bonded; qed");
	}
	who
}

/// A store peer record of `MaxStorePeerLen` bytes.
fn longest_peer<T: Config>() -> StorePeerOf<T> {
	StorePeerOf::<T>::truncate_from(alloc::vec![7u8; T::MaxStorePeerLen::get() as usize])
}

#[benchmarks]
mod benchmarks {
	use super::*;

	#[benchmark]
	fn bond() {
		let who = bonded::<T>(0);
		let amount = Pallet::<T>::min_bond(ROLE);
		#[extrinsic_call]
		_(RawOrigin::Signed(who.clone()), ROLE, amount);
		assert_eq!(
			Ledgers::<T>::get(&who, ROLE).expect("bonded").active,
			amount.saturating_mul(11u32.into())
		);
	}

	#[benchmark]
	fn unbond() {
		let who = bonded::<T>(T::MaxUnlockingChunks::get() - 1);
		let amount = Pallet::<T>::min_bond(ROLE);
		// All but what is unbonded is committed to draws, read at its costliest.
		let committed = amount.saturating_mul(9u32.into());
		<T::BondCommitments as din_primitives::BondCommitment<_, _>>::commit_for_benchmarks(
			&who, ROLE, committed,
		);
		#[extrinsic_call]
		_(RawOrigin::Signed(who.clone()), ROLE, amount);
		let ledger = Ledgers::<T>::get(&who, ROLE).expect("bonded");
		assert_eq!(ledger.unlocking.len() as u32, T::MaxUnlockingChunks::get());
	}

	/// The last ledger of the account goes, and its store peer record with it.
	#[benchmark]
	fn withdraw_unbonded() {
		let who = bonded::<T>(T::MaxUnlockingChunks::get() - 1);
		let active = Ledgers::<T>::get(&who, ROLE).expect("bonded").active;
		Pallet::<T>::unbond(RawOrigin::Signed(who.clone()).into(), ROLE, active)
			.expect("nothing locked or committed; qed");
		Pallet::<T>::set_store_peer(
			RawOrigin::Signed(who.clone()).into(),
			Some(longest_peer::<T>()),
		)
		.expect("bonded; qed");
		let now = frame_system::Pallet::<T>::block_number();
		frame_system::Pallet::<T>::set_block_number(now.saturating_add(T::UnbondingPeriod::get()));
		#[extrinsic_call]
		_(RawOrigin::Signed(who.clone()), ROLE);
		assert!(Ledgers::<T>::get(&who, ROLE).is_none());
		assert!(StorePeers::<T>::get(&who).is_none());
	}

	#[benchmark]
	fn rebond() {
		let who = bonded::<T>(T::MaxUnlockingChunks::get());
		let all = Pallet::<T>::min_bond(ROLE).saturating_mul(T::MaxUnlockingChunks::get().into());
		#[extrinsic_call]
		_(RawOrigin::Signed(who.clone()), ROLE, all);
		assert!(Ledgers::<T>::get(&who, ROLE).expect("bonded").unlocking.is_empty());
	}

	/// Replacing a record of the longest kind.
	#[benchmark]
	fn set_store_peer() {
		let who = bonded::<T>(0);
		Pallet::<T>::set_store_peer(
			RawOrigin::Signed(who.clone()).into(),
			Some(longest_peer::<T>()),
		)
		.expect("bonded; qed");
		let address = longest_peer::<T>();
		#[extrinsic_call]
		_(RawOrigin::Signed(who.clone()), Some(address.clone()));
		assert_eq!(StorePeers::<T>::get(&who), Some(address));
	}

	impl_benchmark_test_suite!(
		Pallet,
		crate::mock::ExtBuilder::default().build(),
		crate::mock::Test
	);
}
