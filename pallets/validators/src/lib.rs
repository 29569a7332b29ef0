//! # DIN validators pallet
//!
//! Who authors and finalizes DIN's blocks: an open validator set fed by stake, kept in check
//! by governance, and purged of validators that equivocate.
//!
//! ## Overview
//!
//! The chain's authorities are pallet-session's validators; this pallet is the
//! [`pallet_session::SessionManager`] that chooses them at every session change.
//!
//! - **Invulnerables** ([`Invulnerables`]) are validators by governance's decision, with
//!   no bond: the genesis validators (by default those with session keys in genesis), and whoever [`Config::GovernanceOrigin`] (in
//!   din-runtime a council majority) adds with [`Pallet::add_invulnerable`]. They keep a
//!   young chain live before anyone has bonded.
//! - **Candidates** ([`Candidates`]) are node operators who bonded for [`Role::Validator`]
//!   in pallet-din-staking, registered session keys with `Session::set_keys`, and called
//!   [`Pallet::validate`]. Their unlocked validator bond is locked there and then
//!   (pallet-din-staking's `BondLocker`), and the candidate is ranked by that amount.
//!
//! At each new session pallet-session asks for the set of the session after next: the
//! invulnerables, then the candidates with the largest locked bonds (ties to the smaller
//! account id) whose session keys are still registered, up to [`Config::MaxValidators`].
//! A candidate that calls `validate` in session `n` therefore authors from session `n + 2`
//! on. A set smaller than [`Config::MinValidators`] is never returned (the previous set
//! stays), so the chain cannot lose its last authorities to chills, removals or offences.
//!
//! ## Leaving
//!
//! [`Pallet::chill`] (by the candidate) and [`Pallet::remove`] (by governance) take a
//! candidate out of every later set; it stops authoring two sessions later. Its bond stays
//! locked while it is in the queued or the active set ([`Leaving`]) and is released at the
//! first session change after both; from then on `unbond` in pallet-din-staking applies,
//! whose unbonding period keeps the bond slashable for an offence reported late.
//!
//! ## Offences
//!
//! pallet-offences calls this pallet ([`OnOffenceHandler`]) with every offence reported
//! against a validator: in din-runtime, BABE and GRANDPA equivocations, which validators'
//! nodes detect and report by themselves. For each offender this pallet
//! - slashes the fraction pallet-offences computed (it grows with the number of validators
//!   that offended together) of the whole validator bond, through
//!   [`din_primitives::SlashValidator`];
//! - disables it for the rest of the session ([`Config::DisableOffender`]: pallet-session's
//!   disabling strategy);
//! - takes it out of every later set: a candidate is moved to [`Leaving`], an invulnerable
//!   loses its seat. Coming back takes a new `validate` (and a bond), or governance.
//!
//! A validator that offends repeatedly in one session is slashed for each report
//! pallet-offences accepts; each report needs its own equivocation proof.
//!
//! ## Upgrades
//!
//! A chain that adds this pallet by a runtime upgrade gets its running validators as
//! invulnerables ([`migrations::v1`]), as a new chain gets its genesis validators.

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub use pallet::*;

pub mod migrations;
pub mod weights;

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
#[cfg(test)]
mod mock;
#[cfg(test)]
mod tests;

pub use weights::WeightInfo;

use alloc::vec::Vec;
use din_primitives::{BondLocker, Perbill, Role, SessionIndex, SlashValidator, StakeInfo};
use polkadot_sdk::{
	frame_support::{
		self, ensure,
		pallet_prelude::*,
		traits::{EnsureOrigin, ValidatorRegistration, ValidatorSet},
	},
	frame_system::pallet_prelude::*,
	pallet_session,
	sp_runtime::traits::{AtLeast32BitUnsigned, Saturating, Zero},
	sp_staking::offence::{OffenceDetails, OnOffenceHandler},
};

const LOG_TARGET: &str = "runtime::din-validators";

/// Takes an offender out of block production for the rest of the session. In din-runtime,
/// pallet-session's `report_offence`, whose disabling strategy decides (at most a third of
/// the set is ever disabled, so finality holds).
pub trait DisableOffender<AccountId> {
	/// Disable `who`, an offender of severity `fraction`, if the strategy allows.
	fn disable(who: &AccountId, fraction: Perbill);
}

impl<AccountId> DisableOffender<AccountId> for () {
	fn disable(_: &AccountId, _: Perbill) {}
}

/// What the benchmarks need from the runtime.
#[cfg(feature = "runtime-benchmarks")]
pub trait BenchmarkHelper<AccountId> {
	/// Give `who` registered session keys, as `Session::set_keys` would.
	fn register_keys(who: &AccountId);
}

#[frame_support::pallet]
pub mod pallet {
	use super::*;

	/// The in-code storage version.
	const STORAGE_VERSION: StorageVersion = StorageVersion::new(1);

	#[pallet::pallet]
	#[pallet::storage_version(STORAGE_VERSION)]
	pub struct Pallet<T>(_);

	#[pallet::config]
	pub trait Config: polkadot_sdk::frame_system::Config {
		/// The balance type of validator bonds (pallet-din-staking's).
		type Balance: Parameter + MaxEncodedLen + AtLeast32BitUnsigned + Copy + Default;

		/// Validator bonds (pallet-din-staking, [`Role::Validator`]): read to rank candidates
		/// and locked while an account is a candidate or in a set.
		type Stake: StakeInfo<Self::AccountId, Self::Balance>
			+ BondLocker<Self::AccountId, Self::Balance>;

		/// Slashes a validator's bond for an offence (pallet-din-staking).
		type Slasher: SlashValidator<Self::AccountId, Self::Balance>;

		/// Whether an account has session keys registered (pallet-session): a validator
		/// without keys could not author, so it is neither accepted nor selected.
		type KeysRegistration: ValidatorRegistration<Self::AccountId>;

		/// The session's validators (pallet-session): at genesis, when the genesis config
		/// names no invulnerables, the genesis validators become the invulnerables.
		type SessionValidators: ValidatorSet<Self::AccountId, ValidatorId = Self::AccountId>;

		/// Disables an offender for the rest of the session (pallet-session).
		type DisableOffender: DisableOffender<Self::AccountId>;

		/// Who adds and removes invulnerables and removes candidates (in din-runtime: root or
		/// a council majority).
		type GovernanceOrigin: EnsureOrigin<Self::RuntimeOrigin>;

		/// Largest validator set, invulnerables included. It bounds every set this pallet
		/// stores and the authorities BABE and GRANDPA keep (their `MaxAuthorities` must be
		/// at least this).
		#[pallet::constant]
		type MaxValidators: Get<u32>;

		/// Smallest validator set this pallet returns; a smaller one keeps the previous set.
		/// At least 1.
		#[pallet::constant]
		type MinValidators: Get<u32>;

		/// Most candidates and leavers at once. Each costs a bond of at least the minimum and
		/// state that the session change reads; it bounds that read (a leaver stays until its
		/// bond is released, so chilling does not make room for more).
		#[pallet::constant]
		type MaxCandidates: Get<u32>;

		/// Weight information for the calls of this pallet.
		type WeightInfo: WeightInfo;

		/// Registers session keys for benchmark accounts.
		#[cfg(feature = "runtime-benchmarks")]
		type BenchmarkHelper: BenchmarkHelper<Self::AccountId>;
	}

	/// Validators by governance's decision, who need no bond.
	#[pallet::storage]
	pub type Invulnerables<T: Config> =
		StorageValue<_, BoundedVec<T::AccountId, T::MaxValidators>, ValueQuery>;

	/// Candidates and the validator bond each one locked when it called `validate`.
	#[pallet::storage]
	pub type Candidates<T: Config> =
		CountedStorageMap<_, Blake2_128Concat, T::AccountId, T::Balance, OptionQuery>;

	/// Former candidates (chilled, removed or offenders) whose bond stays locked while they
	/// may still be in the queued or the active set.
	#[pallet::storage]
	pub type Leaving<T: Config> =
		CountedStorageMap<_, Blake2_128Concat, T::AccountId, T::Balance, OptionQuery>;

	/// The set this pallet most recently gave pallet-session, in the order it was given.
	#[pallet::storage]
	pub type PlannedValidators<T: Config> =
		StorageValue<_, BoundedVec<T::AccountId, T::MaxValidators>, ValueQuery>;

	#[pallet::genesis_config]
	#[derive(frame_support::DefaultNoBound)]
	pub struct GenesisConfig<T: Config> {
		/// The genesis invulnerables. Empty: the genesis validators (pallet-session's
		/// `keys`, which zombienet and custom chain specs rewrite), so the two never disagree.
		pub invulnerables: Vec<T::AccountId>,
	}

	#[pallet::genesis_build]
	impl<T: Config> BuildGenesisConfig for GenesisConfig<T> {
		fn build(&self) {
			let invulnerables = if self.invulnerables.is_empty() {
				T::SessionValidators::validators()
			} else {
				self.invulnerables.clone()
			};
			let invulnerables: BoundedVec<_, T::MaxValidators> =
				invulnerables.try_into().expect("at most MaxValidators invulnerables");
			let mut unique = invulnerables.to_vec();
			unique.sort();
			unique.dedup();
			assert_eq!(unique.len(), invulnerables.len(), "duplicate invulnerables");
			Invulnerables::<T>::put(&invulnerables);
			PlannedValidators::<T>::put(invulnerables);
		}
	}

	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// `who` became a candidate, ranked by the `bond` it locked.
		CandidateAdded { who: T::AccountId, bond: T::Balance },
		/// `who` stopped being a candidate (`chill`, governance's `remove` or an offence);
		/// it leaves the set at a later session change.
		CandidateLeft { who: T::AccountId },
		/// The bond `who` locked as a candidate was released: it is in no set any more.
		BondReleased { who: T::AccountId, bond: T::Balance },
		/// Governance made `who` an invulnerable.
		InvulnerableAdded { who: T::AccountId },
		/// `who` lost its invulnerable seat (governance or an offence).
		InvulnerableRemoved { who: T::AccountId },
		/// `validators` will author from `session` on.
		NewValidatorSet { session: SessionIndex, validators: Vec<T::AccountId> },
		/// The set chosen for `session` had only `size` validators, fewer than
		/// `MinValidators`: the previous set stays.
		ValidatorSetTooSmall { session: SessionIndex, size: u32 },
		/// `who` was reported for an offence in `session`: slashed `amount` (`fraction` of
		/// its bond), disabled, and out of every later set.
		OffenderPunished {
			who: T::AccountId,
			session: SessionIndex,
			fraction: Perbill,
			amount: T::Balance,
		},
	}

	#[pallet::error]
	pub enum Error<T> {
		/// The account has no session keys registered (`Session::set_keys` first).
		NoSessionKeys,
		/// The unlocked validator bond is below the minimum validator bond.
		BondBelowMinimum,
		/// The account is a candidate already.
		AlreadyCandidate,
		/// The account is an invulnerable, which needs no candidacy.
		AlreadyInvulnerable,
		/// The account left recently and is still in a queued or active set; it can
		/// validate again once its bond is released.
		StillLeaving,
		/// `MaxCandidates` accounts are candidates or leaving already.
		TooManyCandidates,
		/// `MaxValidators` invulnerables are seated already.
		TooManyInvulnerables,
		/// The account is not a candidate.
		NotCandidate,
		/// The account is neither a candidate nor an invulnerable.
		NotValidator,
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		fn integrity_test() {
			assert!(T::MinValidators::get() >= 1, "MinValidators must be at least 1");
			assert!(
				T::MinValidators::get() <= T::MaxValidators::get(),
				"MinValidators must not exceed MaxValidators"
			);
		}

		#[cfg(feature = "try-runtime")]
		fn try_state(
			_: BlockNumberFor<T>,
		) -> Result<(), polkadot_sdk::sp_runtime::TryRuntimeError> {
			Self::do_try_state()
		}
	}

	#[pallet::call]
	impl<T: Config> Pallet<T> {
		/// Become a candidate: lock the caller's unlocked validator bond and stand for every
		/// later validator set, ranked by that bond.
		///
		/// Origin: signed, an account with session keys registered and an unlocked
		/// validator bond of at least the minimum (pallet-din-staking `bond(Validator, …)`).
		/// A bond added later is not ranked: `chill`, wait for its release, `validate` again.
		///
		/// Emits [`Event::CandidateAdded`].
		#[pallet::call_index(0)]
		#[pallet::weight(T::WeightInfo::validate())]
		pub fn validate(origin: OriginFor<T>) -> DispatchResult {
			let who = ensure_signed(origin)?;
			ensure!(!Invulnerables::<T>::get().contains(&who), Error::<T>::AlreadyInvulnerable);
			ensure!(!Candidates::<T>::contains_key(&who), Error::<T>::AlreadyCandidate);
			ensure!(!Leaving::<T>::contains_key(&who), Error::<T>::StillLeaving);
			// Leavers count too: each stays in `Leaving`, which the session change reads,
			// until two sessions after it left.
			ensure!(
				Candidates::<T>::count().saturating_add(Leaving::<T>::count())
					< T::MaxCandidates::get(),
				Error::<T>::TooManyCandidates
			);
			ensure!(T::KeysRegistration::is_registered(&who), Error::<T>::NoSessionKeys);
			let bond = T::Stake::bonded(&who, Role::Validator)
				.saturating_sub(T::Stake::locked(&who, Role::Validator));
			ensure!(
				!bond.is_zero() && bond >= T::Stake::minimum_bond(Role::Validator),
				Error::<T>::BondBelowMinimum
			);
			T::Stake::lock(&who, Role::Validator, bond)?;
			Candidates::<T>::insert(&who, bond);
			Self::deposit_event(Event::CandidateAdded { who, bond });
			Ok(())
		}

		/// Stop being a candidate. The caller leaves the validator set at a later session
		/// change; its bond is released once it is in no queued or active set.
		///
		/// Origin: signed, a candidate.
		///
		/// Emits [`Event::CandidateLeft`].
		#[pallet::call_index(1)]
		#[pallet::weight(T::WeightInfo::chill())]
		pub fn chill(origin: OriginFor<T>) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::retire_candidate(&who).ok_or(Error::<T>::NotCandidate)?;
			Ok(())
		}

		/// Take `who` out of every later validator set: a candidate as if it had chilled, an
		/// invulnerable by losing its seat.
		///
		/// Origin: [`Config::GovernanceOrigin`].
		///
		/// Emits [`Event::CandidateLeft`] or [`Event::InvulnerableRemoved`].
		#[pallet::call_index(2)]
		#[pallet::weight(T::WeightInfo::remove())]
		pub fn remove(origin: OriginFor<T>, who: T::AccountId) -> DispatchResult {
			T::GovernanceOrigin::ensure_origin(origin)?;
			if Self::retire_candidate(&who).is_none() && !Self::unseat_invulnerable(&who) {
				return Err(Error::<T>::NotValidator.into());
			}
			Ok(())
		}

		/// Seat `who` as an invulnerable: a validator from a later session on, without a
		/// bond.
		///
		/// Origin: [`Config::GovernanceOrigin`]. `who` must have session keys registered and
		/// must not be a candidate (governance `remove`s it first).
		///
		/// Emits [`Event::InvulnerableAdded`].
		#[pallet::call_index(3)]
		#[pallet::weight(T::WeightInfo::add_invulnerable())]
		pub fn add_invulnerable(origin: OriginFor<T>, who: T::AccountId) -> DispatchResult {
			T::GovernanceOrigin::ensure_origin(origin)?;
			ensure!(T::KeysRegistration::is_registered(&who), Error::<T>::NoSessionKeys);
			ensure!(!Candidates::<T>::contains_key(&who), Error::<T>::AlreadyCandidate);
			Invulnerables::<T>::try_mutate(|seats| {
				ensure!(!seats.contains(&who), Error::<T>::AlreadyInvulnerable);
				seats.try_push(who.clone()).map_err(|_| Error::<T>::TooManyInvulnerables)
			})?;
			Self::deposit_event(Event::InvulnerableAdded { who });
			Ok(())
		}
	}
}

impl<T: Config> Pallet<T> {
	/// Move a candidate to [`Leaving`]; `None` if `who` is not a candidate.
	fn retire_candidate(who: &T::AccountId) -> Option<()> {
		let bond = Candidates::<T>::take(who)?;
		Leaving::<T>::insert(who, bond);
		Self::deposit_event(Event::CandidateLeft { who: who.clone() });
		Some(())
	}

	/// Remove `who` from the invulnerables; whether it was one.
	fn unseat_invulnerable(who: &T::AccountId) -> bool {
		let unseated = Invulnerables::<T>::mutate(|seats| {
			let before = seats.len();
			seats.retain(|s| s != who);
			seats.len() < before
		});
		if unseated {
			Self::deposit_event(Event::InvulnerableRemoved { who: who.clone() });
		}
		unseated
	}

	/// The set for the next planned session: invulnerables first, then candidates by locked
	/// bond (largest first, ties to the smaller account id), all with registered keys, at
	/// most `MaxValidators`.
	pub fn select_validators() -> Vec<T::AccountId> {
		let max = T::MaxValidators::get() as usize;
		let mut set: Vec<T::AccountId> = Invulnerables::<T>::get()
			.into_iter()
			.filter(|who| T::KeysRegistration::is_registered(who))
			.collect();
		let mut candidates: Vec<(T::AccountId, T::Balance)> = Candidates::<T>::iter()
			.filter(|(who, _)| T::KeysRegistration::is_registered(who))
			.collect();
		candidates.sort_by(|(a, bond_a), (b, bond_b)| bond_b.cmp(bond_a).then_with(|| a.cmp(b)));
		let room = max.saturating_sub(set.len());
		set.extend(candidates.into_iter().take(room).map(|(who, _)| who));
		set.truncate(max);
		set
	}

	/// Release the bonds of leavers that are neither in `previous` (the queued set, about to
	/// become active) nor in `next`.
	fn release_leavers(previous: &[T::AccountId], next: &[T::AccountId]) {
		let released: Vec<(T::AccountId, T::Balance)> = Leaving::<T>::iter()
			.filter(|(who, _)| !previous.contains(who) && !next.contains(who))
			.collect();
		for (who, bond) in released {
			Leaving::<T>::remove(&who);
			T::Stake::unlock(&who, Role::Validator, bond);
			Self::deposit_event(Event::BondReleased { who, bond });
		}
	}

	/// Check the pallet's invariants: the counted maps agree with their counters, within
	/// bounds; no account is both a candidate and leaving or both an invulnerable and a
	/// candidate; every candidate's bond is locked.
	pub fn do_try_state() -> Result<(), polkadot_sdk::sp_runtime::TryRuntimeError> {
		ensure!(
			Candidates::<T>::iter().count() as u32 == Candidates::<T>::count(),
			"candidate counter"
		);
		ensure!(
			Candidates::<T>::count().saturating_add(Leaving::<T>::count())
				<= T::MaxCandidates::get(),
			"too many candidates and leavers"
		);
		ensure!(Leaving::<T>::iter().count() as u32 == Leaving::<T>::count(), "leaving counter");
		let invulnerables = Invulnerables::<T>::get();
		for (who, bond) in Candidates::<T>::iter() {
			ensure!(!Leaving::<T>::contains_key(&who), "a candidate is also leaving");
			ensure!(!invulnerables.contains(&who), "a candidate is also invulnerable");
			ensure!(
				T::Stake::locked(&who, Role::Validator) >= bond,
				"a candidate's bond is unlocked"
			);
		}
		Ok(())
	}
}

impl<T: Config> pallet_session::SessionManager<T::AccountId> for Pallet<T> {
	fn new_session(session: SessionIndex) -> Option<Vec<T::AccountId>> {
		let previous = PlannedValidators::<T>::get();
		let next = Self::select_validators();
		if (next.len() as u32) < T::MinValidators::get() {
			log::warn!(
				target: LOG_TARGET,
				"session {session}: {} validators, fewer than the minimum; the set stays",
				next.len()
			);
			Self::deposit_event(Event::ValidatorSetTooSmall { session, size: next.len() as u32 });
			Self::release_leavers(&previous, &previous);
			return None;
		}
		Self::release_leavers(&previous, &next);
		let bounded: BoundedVec<_, T::MaxValidators> = next
			.clone()
			.try_into()
			.expect("select_validators takes at most MaxValidators; qed");
		PlannedValidators::<T>::put(bounded);
		Self::deposit_event(Event::NewValidatorSet { session, validators: next.clone() });
		// pallet-session requires the set every session, changed or not, so that offences are
		// tied to the economic conditions of the session they happen in.
		Some(next)
	}

	fn new_session_genesis(_: SessionIndex) -> Option<Vec<T::AccountId>> {
		// pallet-session's genesis builds before this pallet's: the set is its `keys`.
		None
	}

	fn end_session(_: SessionIndex) {}

	fn start_session(_: SessionIndex) {}
}

impl<T: Config, Identification>
	OnOffenceHandler<T::AccountId, (T::AccountId, Identification), Weight> for Pallet<T>
{
	fn on_offence(
		offenders: &[OffenceDetails<T::AccountId, (T::AccountId, Identification)>],
		slash_fraction: &[Perbill],
		session: SessionIndex,
	) -> Weight {
		for (details, fraction) in offenders.iter().zip(slash_fraction) {
			let who = &details.offender.0;
			let amount = T::Slasher::slash_validator(who, *fraction, session);
			T::DisableOffender::disable(who, *fraction);
			if Self::retire_candidate(who).is_none() {
				Self::unseat_invulnerable(who);
			}
			Self::deposit_event(Event::OffenderPunished {
				who: who.clone(),
				session,
				fraction: *fraction,
				amount,
			});
		}
		T::WeightInfo::on_offence(offenders.len() as u32)
	}
}
