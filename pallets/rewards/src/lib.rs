//! # DIN rewards pallet
//!
//! Pays out a DIN task once its scores are settled: evaluator fees, the protocol fee,
//! participant rewards in proportion to contribution, slashes for harmful updates.
//!
//! ## Overview
//!
//! pallet-din-evaluation drives the settlement of a task at the end of its Rewarding phase,
//! through [`din_primitives::RewardSettlement`], in three steps that span as many blocks as
//! the task needs (the phase is held meanwhile):
//!
//! 1. **Open** ([`din_primitives::RewardSettlement::open`]) with the task's
//!    [`din_primitives::ScoreBasis`]: whether it was scored, the genesis model's accuracy
//!    (the *baseline*) and each scored global model's. With the pool `P` still in escrow
//!    (pallet-din-tasks, through [`din_primitives::TaskEscrow`]) and the task's
//!    [`din_primitives::FeeParams`], this fixes the evaluators' budget `evaluator_fee × P`
//!    and the participants' (the rest), and burns the protocol fee `protocol_fee × P`.
//! 2. **Credit** ([`din_primitives::RewardSettlement::credit`]), one record at a time:
//!    - an evaluator's accepted work (majority reveals, settled proofs, reports near the
//!      median), by which the evaluators' budget is shared;
//!    - a scored update: its participant's weight grows by its contribution,
//!      `max(0, accuracy − trained-from)` in parts per billion. *Trained-from* is the
//!      accuracy of the model the update trained from (its round's, or for a stale update
//!      of an asynchronous task an earlier round's): the newest global model fixed before
//!      that round whose accuracy was settled, else the baseline (0 if it was never
//!      scored). A stale update is paid `1 / (1 + staleness)` of that, the share of its
//!      delta its panel put into its round's model: claiming an older start than the
//!      model a participant had (to be measured over a weaker one) would cost the rounds
//!      it must skip for the claim (pallet-din-tasks' `TrainedBeforeItsLastUpdate`) and
//!      the damping. So an update pays only for what it added to the model it started
//!      from: resubmitting that model, or a perturbed copy of it, earns nothing. An update
//!      scoring more than the task's `baseline_margin` *below* the baseline is harmful,
//!      worse than no training at all, and is slashed at once (`fees.slash` of the
//!      participant bond, [`din_primitives::Offence::BelowBaseline`]). The slash is
//!      measured against the genesis model, not the trained-from one: an honest update
//!      trained on one participant's (non-IID) data often scores below the federated model
//!      it started from, which earns it nothing but is no offence.
//!    - if the owner withheld the test-set key, no scores exist and the task is settled in
//!      the participants' favour: accepted updates are the participants' weights instead.
//! 3. **Pay out** ([`din_primitives::RewardSettlement::pay_out`]): each evaluator gets
//!    `⌊budget × work / Σ work⌋`, each participant `⌊budget × weight / Σ weight⌋`, as many
//!    per block as the caller's weight budget holds; the last payment records the
//!    [`Settlement`]. Whatever is not paid (rounding dust, a share nobody earned) stays in
//!    the pool, and pallet-din-tasks returns it to the owner right after, when the task
//!    finishes.
//!
//! ## Design
//!
//! *Exact integer accounting.* Every share is `⌊budget × weight / Σ weights⌋` in 128-bit
//! arithmetic, so the paid shares never exceed their budget; the sums are complete before
//! the first payment because every credit precedes the payout. The record of each task,
//! [`Settlements`], satisfies `pool = participants + evaluators + burned + refund` (a
//! property test checks it against the balances that actually moved). A payment that
//! fails (for example a new account below the existential deposit) leaves its amount in
//! the refund and emits [`Event::PayoutFailed`].
//!
//! *Bounded work per block.* Nothing here iterates over a task's payees in one call: the
//! credits arrive one by one (weighed by the caller's benchmarks, which run with this
//! pallet), and the payout drains [`EvaluatorWork`] and [`ParticipantWeights`] a slice at a
//! time, each slice charged by this pallet's `pay_out` benchmark at the count it paid. A
//! settlement in progress costs one bounded record, [`PendingSettlements`].
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
	slice_within, Credit, Offence, RewardSettlement, Role, RoundIndex, ScoreBasis, Slash,
	SlashReason, TaskEscrow, TaskId, TaskInspect, WorkSlice,
};
use polkadot_sdk::{
	frame_support::{
		self, pallet_prelude::*, traits::tokens::Balance as BalanceTrait, CloneNoBound,
		DebugNoBound, EqNoBound, PartialEqNoBound,
	},
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
	/// Updates slashed for scoring below the baseline.
	pub slashed: u32,
	/// Whether scores existed (otherwise: settled in the participants' favour).
	pub scored: bool,
}

/// A settlement between its opening and its last payment.
#[derive(
	Encode, Decode, MaxEncodedLen, TypeInfo, CloneNoBound, PartialEqNoBound, EqNoBound, DebugNoBound,
)]
#[scale_info(skip_type_params(R))]
#[codec(mel_bound(Balance: MaxEncodedLen))]
pub struct PendingSettlement<Balance: Clone + PartialEq + core::fmt::Debug, R: Get<u32>> {
	/// The genesis model's accuracy, if scored: the slashing floor.
	pub baseline: Option<Perbill>,
	/// The scored global models, `(round that fixed it, accuracy)`, ascending.
	pub globals: BoundedVec<(RoundIndex, Perbill), R>,
	/// How far below the baseline an update may score unslashed.
	pub margin: Perbill,
	/// The fraction of `stake` a below-baseline update loses.
	pub slash: Perbill,
	/// The task's participant bond.
	pub stake: Balance,
	/// What the evaluators share.
	pub evaluator_budget: Balance,
	/// What the participants share.
	pub participant_budget: Balance,
	/// Σ work credited.
	pub total_work: u128,
	/// Σ participant weight credited.
	pub total_weight: u128,
	/// The record so far: `participants` and `evaluators` grow with each payment; `refund`
	/// is fixed by the last.
	pub settlement: Settlement<Balance>,
}

/// A pending settlement of this runtime.
pub type PendingSettlementOf<T> =
	PendingSettlement<<T as Config>::Balance, <T as Config>::MaxRounds>;

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
			type MaxRounds = ConstU32<4>;
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

		/// Most participants of a task; with `MaxEvaluators`, the range of the `pay_out`
		/// benchmark.
		#[pallet::constant]
		type MaxParticipants: Get<u32>;

		/// Most evaluators of a task.
		#[pallet::constant]
		type MaxEvaluators: Get<u32>;

		/// Most rounds of a task (each fixes at most one global model that updates are
		/// measured against); at least pallet-din-tasks' `MaxRounds`.
		#[pallet::constant]
		type MaxRounds: Get<u32>;

		/// Weight information for the payout.
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

	/// Settlements opened and not yet paid out.
	#[pallet::storage]
	pub type PendingSettlements<T: Config> =
		StorageMap<_, Twox64Concat, TaskId, PendingSettlementOf<T>, OptionQuery>;

	/// The weight of each participant of a pending settlement: its contribution in parts per
	/// billion, or its accepted updates when the task was not scored. Drained by the payout.
	#[pallet::storage]
	pub type ParticipantWeights<T: Config> =
		StorageDoubleMap<_, Twox64Concat, TaskId, Blake2_128Concat, T::AccountId, u128, ValueQuery>;

	/// The accepted work of each evaluator of a pending settlement. Drained by the payout.
	#[pallet::storage]
	pub type EvaluatorWork<T: Config> =
		StorageDoubleMap<_, Twox64Concat, TaskId, Blake2_128Concat, T::AccountId, u32, ValueQuery>;

	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// The settlement of `task`'s `pool` opened (`scored`: whether scores exist).
		SettlementOpened { task: TaskId, pool: T::Balance, scored: bool },
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
	/// Check the pallet's invariants: every settlement accounts for its whole pool,
	/// `pool = participants + evaluators + burned + refund`, and a pending one has not paid
	/// more than its pool.
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
		for (_, p) in PendingSettlements::<T>::iter() {
			let s = p.settlement;
			let paid =
				s.participants.checked_add(&s.evaluators).and_then(|p| p.checked_add(&s.burned));
			ensure!(
				paid.is_some_and(|paid| paid <= s.pool),
				"a pending settlement paid more than its pool"
			);
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

	/// The accuracy of the model `round` trained from: the newest scored global model fixed
	/// before it, else the genesis model's (0 if unscored). An unscored global model keeps
	/// the one before it, the lower bar in a task that improves as it goes.
	fn trained_from(pending: &PendingSettlementOf<T>, round: RoundIndex) -> Perbill {
		// `globals` is in ascending round order.
		let before = pending.globals.partition_point(|(fixed_in, _)| *fixed_in < round);
		before
			.checked_sub(1)
			.and_then(|newest| pending.globals.get(newest))
			.map(|(_, accuracy)| *accuracy)
			.or(pending.baseline)
			.unwrap_or_default()
	}

	/// Open the settlement of `task` on `basis`: fix the budgets, burn the protocol fee.
	pub fn do_open(task: TaskId, basis: ScoreBasis) {
		let Some(terms) = T::Tasks::terms(task) else {
			log::error!(target: LOG_TARGET, "settlement of unknown task {task}");
			return;
		};
		if PendingSettlements::<T>::contains_key(task) || Settlements::<T>::contains_key(task) {
			polkadot_sdk::frame_support::defensive!("a task's settlement opens once");
			return;
		}
		let fees = terms.fees;
		let pool = T::Tasks::remaining(task);
		let evaluator_budget = fees.evaluator_fee * pool;
		let protocol = fees.protocol_fee * pool;
		let participant_budget = pool.saturating_sub(evaluator_budget).saturating_sub(protocol);
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
		let mut globals = basis.globals;
		globals.sort_by_key(|(round, _)| *round);
		// One global model per round, and a task has at most `MaxRounds` rounds.
		let globals = BoundedVec::truncate_from(globals);
		let scored = basis.test_key_released;
		PendingSettlements::<T>::insert(
			task,
			PendingSettlement {
				baseline: basis.baseline,
				globals,
				margin: fees.baseline_margin,
				slash: fees.slash,
				stake: terms.min_participant_bond,
				evaluator_budget,
				participant_budget,
				total_work: 0,
				total_weight: 0,
				settlement: Settlement {
					pool,
					participants: Zero::zero(),
					evaluators: Zero::zero(),
					burned,
					refund: Zero::zero(),
					slashed: 0,
					scored,
				},
			},
		);
		Self::deposit_event(Event::SettlementOpened { task, pool, scored });
	}

	/// Add `credit` to the open settlement of `task`.
	pub fn do_credit(task: TaskId, credit: Credit<T::AccountId>) {
		PendingSettlements::<T>::mutate(task, |pending| {
			let Some(p) = pending else {
				log::error!(target: LOG_TARGET, "credit to task {task}, whose settlement is not open");
				return;
			};
			match credit {
				Credit::Work { who, units } => {
					EvaluatorWork::<T>::mutate(task, &who, |w| *w = w.saturating_add(units));
					p.total_work = p.total_work.saturating_add(units as u128);
				},
				Credit::Accepted { who, updates } if !p.settlement.scored => {
					Self::add_weight(task, p, &who, updates as u128)
				},
				Credit::Score { who, round, trained_from, accuracy } if p.settlement.scored => {
					let baseline = p.baseline.unwrap_or_default();
					if accuracy.saturating_add(p.margin) < baseline {
						let reason = SlashReason { task, round, offence: Offence::BelowBaseline };
						T::Staking::slash(&who, Role::Participant, p.slash, p.stake, reason);
						p.settlement.slashed.saturating_inc();
					}
					let staleness = round.saturating_sub(trained_from);
					let trained_from = Self::trained_from(p, trained_from);
					// A stale update moved its round's model by `1 / (1 + staleness)` of its
					// delta (`din_fl::duty::rebase`), and is paid as much of its gain.
					let contribution =
						accuracy.deconstruct().saturating_sub(trained_from.deconstruct()) as u128
							/ (u128::from(staleness) + 1);
					Self::add_weight(task, p, &who, contribution);
				},
				// Scores of an unscored task, accepted updates of a scored one: not what its
				// participants are paid by.
				Credit::Accepted { .. } | Credit::Score { .. } => {},
			}
		})
	}

	fn add_weight(task: TaskId, p: &mut PendingSettlementOf<T>, who: &T::AccountId, weight: u128) {
		if weight == 0 {
			return;
		}
		ParticipantWeights::<T>::mutate(task, who, |w| *w = w.saturating_add(weight));
		p.total_weight = p.total_weight.saturating_add(weight);
	}

	/// Make up to `limit` payments of `task`'s settlement, evaluators first; record the
	/// settlement once none remains. Returns the payments made and whether it is done.
	pub fn pay_out_up_to(task: TaskId, limit: u32) -> (u32, bool) {
		let Some(mut p) = PendingSettlements::<T>::get(task) else { return (0, true) };
		let limit = limit.max(1) as usize;
		let evaluators: Vec<(T::AccountId, u32)> =
			EvaluatorWork::<T>::drain_prefix(task).take(limit).collect();
		for (who, work) in evaluators.iter() {
			let share = Self::share(p.evaluator_budget, *work as u128, p.total_work);
			let amount = Self::pay(task, who, share);
			if !amount.is_zero() {
				p.settlement.evaluators = p.settlement.evaluators.saturating_add(amount);
				Self::deposit_event(Event::EvaluatorRewarded {
					task,
					who: who.clone(),
					amount,
					work: *work,
				});
			}
		}
		let participants: Vec<(T::AccountId, u128)> = ParticipantWeights::<T>::drain_prefix(task)
			.take(limit - evaluators.len())
			.collect();
		for (who, weight) in participants.iter() {
			let share = Self::share(p.participant_budget, *weight, p.total_weight);
			let amount = Self::pay(task, who, share);
			if !amount.is_zero() {
				p.settlement.participants = p.settlement.participants.saturating_add(amount);
				Self::deposit_event(Event::ParticipantRewarded {
					task,
					who: who.clone(),
					amount,
					weight: *weight,
				});
			}
		}
		let paid = evaluators.len() + participants.len();
		if paid == limit {
			// Both maps may hold more: the next call looks.
			PendingSettlements::<T>::insert(task, p);
			return (paid as u32, false);
		}
		let settlement = Settlement { refund: T::Tasks::remaining(task), ..p.settlement };
		PendingSettlements::<T>::remove(task);
		Settlements::<T>::insert(task, settlement);
		Self::deposit_event(Event::TaskSettled { task, settlement });
		(paid as u32, true)
	}

	/// The most payments `budget` holds, at least one.
	fn payments_within(budget: Weight) -> u32 {
		let most = T::MaxParticipants::get().saturating_add(T::MaxEvaluators::get());
		slice_within(most, budget, T::WeightInfo::pay_out)
	}
}

impl<T: Config> RewardSettlement<T::AccountId> for Pallet<T> {
	fn open(task: TaskId, basis: ScoreBasis) {
		Self::do_open(task, basis)
	}

	fn credit(task: TaskId, credit: Credit<T::AccountId>) {
		Self::do_credit(task, credit)
	}

	fn pay_out(task: TaskId, budget: Weight) -> WorkSlice {
		let (paid, done) = Self::pay_out_up_to(task, Self::payments_within(budget));
		WorkSlice { weight: T::WeightInfo::pay_out(paid), done }
	}
}
