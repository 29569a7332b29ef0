//! # DIN rewards pallet
//!
//! Pays out a DIN task once its scores are settled: evaluator fees, the protocol fee,
//! participant rewards in proportion to contribution, slashes for harmful updates.
//!
//! ## Overview
//!
//! pallet-din-evaluation calls [`din_primitives::RewardSettlement::settle`] at the end of a
//! task's Rewarding phase with the task's [`din_primitives::TaskOutcome`]. With the pool
//! `P` still in escrow (pallet-din-tasks, through [`din_primitives::TaskEscrow`]) and the
//! task's [`din_primitives::FeeParams`]:
//!
//! 1. **Evaluator fees**: `evaluator_fee × P` is split over evaluators in proportion to
//!    their accepted work (majority reveals, settled proofs, reports near the median).
//! 2. **Protocol fee**: `protocol_fee × P` is burned.
//! 3. **Participants**: the rest is split in proportion to each participant's positive
//!    contribution, `Σ over its scored updates of max(0, accuracy − trained-from)` in parts
//!    per billion. *Trained-from* is the accuracy of the model the update's round trained
//!    from: the newest global model fixed before that round whose accuracy was settled
//!    ([`din_primitives::TaskOutcome::globals`]), else the genesis model's (the *baseline*,
//!    0 if it was never scored). So an update pays only for what it added to the model it
//!    started from: resubmitting that model, or a perturbed copy of it, earns nothing. An
//!    update scoring more than the task's `baseline_margin` *below* the baseline is
//!    harmful, worse than no training at all, and is slashed (`fees.slash` of the
//!    participant bond, [`din_primitives::Offence::BelowBaseline`]). The slash is measured
//!    against the genesis model, not the trained-from one: an honest update trained on one
//!    participant's (non-IID) data often scores below the federated model it started from,
//!    which earns it nothing but is no offence.
//!    If the owner withheld the test-set key, no scores exist and the task is settled in
//!    the participants' favour: the participants' part is split in proportion to accepted
//!    updates instead.
//! 4. **Refund**: whatever is not paid (rounding dust, a share nobody earned) stays in the
//!    pool, and pallet-din-tasks returns it to the owner right after, when the task
//!    finishes.
//!
//! ## Design
//!
//! *Exact integer accounting.* Every share is `⌊budget × weight / Σ weights⌋` in 128-bit
//! arithmetic, so the paid shares never exceed their budget. The record of each task,
//! [`Settlements`], satisfies `pool = participants + evaluators + burned + refund` (a
//! property test checks it against the balances that actually moved). A payment that
//! fails (for example a new account below the existential deposit) leaves its amount in
//! the refund and emits [`Event::PayoutFailed`].
//!
//! *Bounded work.* One settlement makes at most [`Config::MaxParticipants`] participant and
//! [`Config::MaxEvaluators`] evaluator payments over at most [`Config::MaxScores`] scores;
//! [`din_primitives::RewardSettlement::settle`] returns the benchmarked weight at the sizes
//! of the outcome it settled, which pallet-din-evaluation adds to its hook's weight.
//!
//! *Reputation* rises in pallet-din-evaluation for every accepted action; this pallet's
//! below-baseline slashes lower it through pallet-din-staking.

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub use pallet::*;

pub mod weights;

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
#[cfg(test)]
mod mock;
#[cfg(test)]
mod tests;

pub use weights::WeightInfo;

use alloc::vec::Vec;
use din_primitives::{
	Offence, RewardSettlement, Role, RoundIndex, Slash, SlashReason, TaskEscrow, TaskId,
	TaskInspect, TaskOutcome,
};
use polkadot_sdk::{
	frame_support::{self, pallet_prelude::*, traits::tokens::Balance as BalanceTrait},
	sp_runtime::{
		helpers_128bit::multiply_by_rational_with_rounding,
		traits::{Saturating, UniqueSaturatedFrom, UniqueSaturatedInto, Zero},
		Perbill, Rounding,
	},
};

const LOG_TARGET: &str = "runtime::din-rewards";

/// How a task's pool was settled. `pool = participants + evaluators + burned + refund`.
#[derive(
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Clone,
	Copy,
	PartialEq,
	Eq,
	Debug,
)]
pub struct Settlement<Balance> {
	/// The pool in escrow when scoring ended.
	pub pool: Balance,
	/// Paid to participants.
	pub participants: Balance,
	/// Paid to evaluators as fees.
	pub evaluators: Balance,
	/// Burned as protocol fee.
	pub burned: Balance,
	/// Left for the owner (refunded by pallet-din-tasks when the task finishes).
	pub refund: Balance,
	/// Participants slashed for updates below the baseline.
	pub slashed: u32,
	/// Whether scores existed (otherwise: settled in the participants' favour).
	pub scored: bool,
}

#[frame_support::pallet]
pub mod pallet {
	use super::*;

	/// The in-code storage version.
	const STORAGE_VERSION: StorageVersion = StorageVersion::new(0);

	#[pallet::pallet]
	#[pallet::storage_version(STORAGE_VERSION)]
	pub struct Pallet<T>(_);

	/// Default configurations of this pallet, for `#[derive_impl(..)]`.
	pub mod config_preludes {
		use super::*;
		use frame_support::{derive_impl, traits::ConstU32};
		use polkadot_sdk::frame_system;

		/// The mocks' configuration: a `u64` balance and the bounds of pallet-din-tasks'
		/// and pallet-din-evaluation's test configurations. A mock sets `Tasks` and
		/// `Staking`.
		pub struct TestDefaultConfig;

		#[derive_impl(frame_system::config_preludes::TestDefaultConfig, no_aggregated_types)]
		impl frame_system::DefaultConfig for TestDefaultConfig {}

		#[frame_support::register_default_impl(TestDefaultConfig)]
		impl DefaultConfig for TestDefaultConfig {
			type Balance = u64;
			type MaxParticipants = ConstU32<16>;
			type MaxEvaluators = ConstU32<16>;
			type MaxScores = ConstU32<64>;
			type WeightInfo = ();
		}
	}

	#[pallet::config(with_default)]
	pub trait Config: polkadot_sdk::frame_system::Config {
		/// The balance type of pools and bonds (the native token's).
		type Balance: BalanceTrait;

		/// The tasks: their fee terms and their escrowed pools (pallet-din-tasks).
		#[pallet::no_default]
		type Tasks: TaskInspect<Self::AccountId, Self::Balance>
			+ TaskEscrow<Self::AccountId, Self::Balance>;

		/// Slashes for updates below the baseline (pallet-din-staking).
		#[pallet::no_default]
		type Staking: Slash<Self::AccountId, Self::Balance>;

		/// Most participants of a task (the participant payments of one settlement); at
		/// least pallet-din-tasks' `MaxParticipants`.
		#[pallet::constant]
		type MaxParticipants: Get<u32>;

		/// Most evaluators paid in one settlement; at least pallet-din-evaluation's
		/// `MaxEvaluators`.
		#[pallet::constant]
		type MaxEvaluators: Get<u32>;

		/// Most scores in one settlement; at least pallet-din-evaluation's `MaxScores`.
		#[pallet::constant]
		type MaxScores: Get<u32>;

		/// Weight information for the settlement.
		type WeightInfo: WeightInfo;
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<polkadot_sdk::frame_system::pallet_prelude::BlockNumberFor<T>> for Pallet<T> {
		#[cfg(feature = "try-runtime")]
		fn try_state(
			_n: polkadot_sdk::frame_system::pallet_prelude::BlockNumberFor<T>,
		) -> Result<(), polkadot_sdk::sp_runtime::TryRuntimeError> {
			Self::do_try_state()
		}
	}

	/// How each settled task's pool was split.
	#[pallet::storage]
	pub type Settlements<T: Config> =
		StorageMap<_, Twox64Concat, TaskId, Settlement<T::Balance>, OptionQuery>;

	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// `who` earned `amount` of `task`'s pool for `work` units of accepted evaluation.
		EvaluatorRewarded { task: TaskId, who: T::AccountId, amount: T::Balance, work: u32 },
		/// `who` earned `amount` for its contribution (`weight`: contribution in parts per
		/// billion over the models its updates trained from, or accepted updates when the
		/// task was not scored).
		ParticipantRewarded { task: TaskId, who: T::AccountId, amount: T::Balance, weight: u128 },
		/// The protocol fee of `task` was burned.
		ProtocolFeeBurned { task: TaskId, amount: T::Balance },
		/// A payment of `amount` to `who` failed; it stays in the owner's refund.
		PayoutFailed { task: TaskId, who: T::AccountId, amount: T::Balance },
		/// `task` was settled.
		TaskSettled { task: TaskId, settlement: Settlement<T::Balance> },
	}
}

impl<T: Config> Pallet<T> {
	/// Check the pallet's invariant: every settlement accounts for its whole pool,
	/// `pool = participants + evaluators + burned + refund`.
	#[cfg(any(feature = "try-runtime", feature = "std"))]
	pub fn do_try_state() -> Result<(), polkadot_sdk::sp_runtime::TryRuntimeError> {
		use polkadot_sdk::sp_runtime::traits::CheckedAdd;
		for (_, s) in Settlements::<T>::iter() {
			let parts = s
				.participants
				.checked_add(&s.evaluators)
				.and_then(|p| p.checked_add(&s.burned))
				.and_then(|p| p.checked_add(&s.refund));
			ensure!(parts == Some(s.pool), "a settlement does not account for its pool");
		}
		Ok(())
	}

	/// `⌊budget × weight / total⌋`, never more than `budget`.
	fn share(budget: T::Balance, weight: u128, total: u128) -> T::Balance {
		if total == 0 {
			return Zero::zero();
		}
		let budget: u128 = budget.unique_saturated_into();
		let amount =
			multiply_by_rational_with_rounding(budget, weight, total, Rounding::Down).unwrap_or(0);
		T::Balance::unique_saturated_from(amount)
	}

	/// Pay `amount` of `task`'s pool to `who`; what fails stays in the pool.
	fn pay(task: TaskId, who: &T::AccountId, amount: T::Balance) -> T::Balance {
		if amount.is_zero() {
			return Zero::zero();
		}
		match T::Tasks::pay(task, who, amount) {
			Ok(()) => amount,
			Err(e) => {
				log::warn!(target: LOG_TARGET, "payout of task {task} failed: {e:?}");
				Self::deposit_event(Event::PayoutFailed { task, who: who.clone(), amount });
				Zero::zero()
			},
		}
	}

	/// The participants' weights: contribution over the model each update trained from
	/// (scored), or accepted updates (not scored). Slashes updates below the baseline by
	/// more than the margin.
	fn participant_weights(
		task: TaskId,
		outcome: &TaskOutcome<T::AccountId>,
		margin: Perbill,
		slash: Perbill,
		stake: T::Balance,
	) -> (Vec<(T::AccountId, u128)>, u32) {
		if !outcome.test_key_released {
			let weights =
				outcome.accepted.iter().map(|(who, n)| (who.clone(), *n as u128)).collect();
			return (weights, 0);
		}
		let baseline = outcome.baseline.unwrap_or_default();
		let mut weights: Vec<(T::AccountId, u128)> = Vec::new();
		let mut slashed = 0u32;
		for (who, round, accuracy) in outcome.scores.iter() {
			let trained_from = Self::trained_from(outcome, *round);
			let contribution =
				accuracy.deconstruct().saturating_sub(trained_from.deconstruct()) as u128;
			if accuracy.saturating_add(margin) < baseline {
				let reason = SlashReason { task, round: *round, offence: Offence::BelowBaseline };
				T::Staking::slash(who, Role::Participant, slash, stake, reason);
				slashed += 1;
			}
			if contribution == 0 {
				continue;
			}
			// `scores` is sorted by account, so one participant's entries are adjacent.
			match weights.last_mut() {
				Some((last, w)) if last == who => *w = w.saturating_add(contribution),
				_ => weights.push((who.clone(), contribution)),
			}
		}
		(weights, slashed)
	}

	/// The accuracy of the model `round` trained from: the newest scored global model fixed
	/// before it, else the genesis model's (0 if unscored). An unscored global model keeps
	/// the one before it, the lower bar in a task that improves as it goes.
	fn trained_from(outcome: &TaskOutcome<T::AccountId>, round: RoundIndex) -> Perbill {
		// `globals` is in ascending round order.
		let before = outcome.globals.partition_point(|(fixed_in, _)| *fixed_in < round);
		before
			.checked_sub(1)
			.map(|newest| outcome.globals[newest].1)
			.or(outcome.baseline)
			.unwrap_or_default()
	}

	/// Settle `task`; see the module docs.
	pub fn do_settle(
		task: TaskId,
		outcome: TaskOutcome<T::AccountId>,
	) -> Option<Settlement<T::Balance>> {
		let terms = T::Tasks::terms(task)?;
		let fees = terms.fees;
		let pool = T::Tasks::remaining(task);
		let evaluator_budget = fees.evaluator_fee * pool;
		let protocol = fees.protocol_fee * pool;
		let participant_budget = pool.saturating_sub(evaluator_budget).saturating_sub(protocol);

		let total_work: u128 = outcome.work.iter().map(|(_, w)| *w as u128).sum();
		let mut evaluators = T::Balance::zero();
		for (who, work) in outcome.work.iter() {
			let amount =
				Self::pay(task, who, Self::share(evaluator_budget, *work as u128, total_work));
			if !amount.is_zero() {
				evaluators = evaluators.saturating_add(amount);
				Self::deposit_event(Event::EvaluatorRewarded {
					task,
					who: who.clone(),
					amount,
					work: *work,
				});
			}
		}

		let mut burned = T::Balance::zero();
		if !protocol.is_zero() {
			match T::Tasks::burn(task, protocol) {
				Ok(()) => {
					burned = protocol;
					Self::deposit_event(Event::ProtocolFeeBurned { task, amount: protocol });
				},
				Err(e) => {
					log::error!(target: LOG_TARGET, "protocol fee of task {task} not burned: {e:?}")
				},
			}
		}

		let (weights, slashed) = Self::participant_weights(
			task,
			&outcome,
			fees.baseline_margin,
			fees.slash,
			terms.min_participant_bond,
		);
		let total_weight: u128 = weights.iter().map(|(_, w)| *w).fold(0, u128::saturating_add);
		let mut participants = T::Balance::zero();
		for (who, weight) in weights.iter() {
			let amount =
				Self::pay(task, who, Self::share(participant_budget, *weight, total_weight));
			if !amount.is_zero() {
				participants = participants.saturating_add(amount);
				Self::deposit_event(Event::ParticipantRewarded {
					task,
					who: who.clone(),
					amount,
					weight: *weight,
				});
			}
		}

		let settlement = Settlement {
			pool,
			participants,
			evaluators,
			burned,
			refund: T::Tasks::remaining(task),
			slashed,
			scored: outcome.test_key_released,
		};
		Settlements::<T>::insert(task, settlement);
		Self::deposit_event(Event::TaskSettled { task, settlement });
		Some(settlement)
	}
}

impl<T: Config> RewardSettlement<T::AccountId> for Pallet<T> {
	fn settle(task: TaskId, outcome: TaskOutcome<T::AccountId>) -> Weight {
		let weight = Self::settle_weight(&outcome);
		if Self::do_settle(task, outcome).is_none() {
			log::error!(target: LOG_TARGET, "settlement of unknown task {task}");
		}
		weight
	}
}

impl<T: Config> Pallet<T> {
	/// The benchmarked weight of settling `outcome`, at its own counts: participants that
	/// may be paid (accepted or scored; `scores` is sorted by account), evaluators and scores.
	pub fn settle_weight(outcome: &TaskOutcome<T::AccountId>) -> Weight {
		let scored = outcome.scores.windows(2).filter(|w| w[0].0 != w[1].0).count()
			+ usize::from(!outcome.scores.is_empty());
		T::WeightInfo::settle(
			outcome.accepted.len().max(scored).max(1) as u32,
			outcome.work.len() as u32,
			outcome.scores.len().max(1) as u32,
		)
	}
}
