//! Benchmarks of pallet-din-validators (frame-benchmarking v2): every call with
//! `MaxCandidates - 1` candidates and `MaxValidators - 1` invulnerables in place (the
//! largest counters and lists the calls read), and the offence handler for up to
//! `MaxValidators` offenders reported together.

use super::*;
use polkadot_sdk::{frame_benchmarking::v2::*, frame_system::RawOrigin};

const SEED: u32 = 0;

/// An account with session keys and an unlocked validator bond of the minimum.
fn bonded<T: Config>(name: &'static str, i: u32) -> T::AccountId {
	let who: T::AccountId = account(name, i, SEED);
	T::BenchmarkHelper::register_keys(&who);
	T::Stake::bond_for_benchmarks(&who, Role::Validator, T::Stake::minimum_bond(Role::Validator));
	who
}

/// `n` candidates, each bonded and standing.
fn candidates<T: Config>(n: u32) -> Vec<T::AccountId> {
	(0..n)
		.map(|i| {
			let who = bonded::<T>("candidate", i);
			Pallet::<T>::validate(RawOrigin::Signed(who.clone()).into()).expect("bonded; qed");
			who
		})
		.collect()
}

/// `n` invulnerables besides those of genesis, up to the bound.
fn invulnerables<T: Config>(n: u32) {
	Invulnerables::<T>::mutate(|seats| {
		for i in 0..n {
			let who: T::AccountId = account("invulnerable", i, SEED);
			if seats.try_push(who).is_err() {
				break;
			}
		}
	});
}

#[benchmarks]
mod benchmarks {
	use super::*;

	#[benchmark]
	fn validate() {
		invulnerables::<T>(T::MaxValidators::get());
		candidates::<T>(T::MaxCandidates::get() - 1);
		let who = bonded::<T>("newcomer", 0);
		#[extrinsic_call]
		_(RawOrigin::Signed(who.clone()));
		assert!(Candidates::<T>::contains_key(&who));
	}

	#[benchmark]
	fn chill() {
		let all = candidates::<T>(T::MaxCandidates::get());
		let who = all[0].clone();
		#[extrinsic_call]
		_(RawOrigin::Signed(who.clone()));
		assert!(Leaving::<T>::contains_key(&who));
	}

	/// The costlier path: an invulnerable, found after reading the candidates.
	#[benchmark]
	fn remove() -> Result<(), BenchmarkError> {
		invulnerables::<T>(T::MaxValidators::get());
		candidates::<T>(T::MaxCandidates::get());
		let who = Invulnerables::<T>::get().last().cloned().expect("just seated; qed");
		let origin =
			T::GovernanceOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;
		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, who.clone());
		assert!(!Invulnerables::<T>::get().contains(&who));
		Ok(())
	}

	#[benchmark]
	fn add_invulnerable() -> Result<(), BenchmarkError> {
		Invulnerables::<T>::kill();
		invulnerables::<T>(T::MaxValidators::get() - 1);
		let who = bonded::<T>("newcomer", 0);
		let origin =
			T::GovernanceOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;
		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, who.clone());
		assert!(Invulnerables::<T>::get().contains(&who));
		Ok(())
	}

	/// `n` bonded candidates reported in one offence: each slashed, disabled and retired.
	#[benchmark]
	fn on_offence(n: Linear<1, { T::MaxValidators::get() }>) {
		let offenders = candidates::<T>(n);
		let details: Vec<_> = offenders
			.iter()
			.map(|who| OffenceDetails { offender: (who.clone(), ()), reporters: Vec::new() })
			.collect();
		let fractions = alloc::vec![Perbill::from_percent(50); n as usize];
		#[block]
		{
			<Pallet<T> as OnOffenceHandler<T::AccountId, (T::AccountId, ()), Weight>>::on_offence(
				&details, &fractions, 0,
			);
		}
		assert!(offenders.iter().all(|who| Leaving::<T>::contains_key(who)));
	}

	impl_benchmark_test_suite!(
		Pallet,
		crate::mock::ExtBuilder::default().build(),
		crate::mock::Test
	);
}
