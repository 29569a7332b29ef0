//! # DIN staking pallet
//!
//! Bonds, unbonding, protocol slashing and soulbound reputation for the DIN federated
//! learning protocol.
//!
//! ## Overview
//!
//! Everyone who does work in a DIN task puts stake behind it. Participants (who train on
//! their private data and submit updates) and evaluators (who aggregate, score and prove)
//! each bond native tokens for their role with [`Pallet::bond`]. A bond is held on the
//! account with `fungible::MutateHold` under [`HoldReason::ParticipantBond`] or
//! [`HoldReason::EvaluatorBond`]; it never leaves the account unless a protocol outcome
//! slashes it. Validators bond the same way for [`Role::Validator`]
//! ([`HoldReason::ValidatorBond`]): pallet-din-validators ranks candidates by that bond and
//! locks it while the account is a candidate or in the validator set.
//!
//! - [`Pallet::bond`] adds to the active bond of a role (the first bond must reach the
//!   role's minimum).
//! - [`Pallet::unbond`] moves part of the active bond into an unbonding chunk that becomes
//!   withdrawable after [`Config::UnbondingPeriod`] blocks; it cannot touch the part that
//!   backs a duty.
//! - [`Pallet::withdraw_unbonded`] releases the hold on all matured chunks.
//! - [`Pallet::rebond`] moves unbonding funds back to the active bond (newest first).
//! - [`Pallet::set_store_peer`] records where the account's artifact-store peer listens.
//!
//! Other pallets never depend on this crate. They use the traits of `din-primitives`,
//! which this pallet implements and the runtime wires in:
//! [`din_primitives::StakeInfo`] (read bonds), [`din_primitives::BondLocker`] (lock a bond
//! while it backs a duty), [`din_primitives::Slash`] and [`din_primitives::Reputation`].
//!
//! ## Design
//!
//! One [`StakeLedger`] per `(account, role)` records the active bond, the `locked` part of
//! it and up to [`Config::MaxUnlockingChunks`] unbonding chunks. The balance held under the
//! role's hold reason always equals `active + Σ unlocking` (checked by `try_state`).
//!
//! *Duties.* When a participant joins a task, pallet-din-tasks locks the task's minimum
//! participant bond; pallet-din-evaluation does the same for an evaluator drawn into a
//! subgroup. Locks add up and are released when the duty ends. `unbond` only ever takes
//! from `active - locked`, so a bond that backs an active duty cannot be withdrawn from
//! under it — while slashing (which is the point of the bond) can.
//!
//! *Commitments.* A draw reads bonds it cannot yet see the randomness of (sortition weighs
//! each evaluator by the bond it committed on joining the pool), so `unbond` also leaves the
//! bond that [`Config::BondCommitments`] names active: unbonding once a draw's randomness is
//! known would let a member drop out of it and reshape it. The runtime wires in
//! pallet-din-evaluation, which commits an evaluator's pool bond until a leave from the
//! pool has taken effect.
//!
//! *Slashing* happens only through [`din_primitives::Slash`], called by the protocol pallets
//! with a `Perbill`, the stake of the failed duty and a [`din_primitives::SlashReason`]
//! (task, round, offence). There is no root or sudo slashing extrinsic. The fraction applies
//! to that stake (an evaluator's seat, a participant's task bond), never to the whole
//! ledger, so a large bond backing many duties loses per offence only what the offending
//! duty locked. It is taken from the active bond first, then the newest unbonding chunks,
//! so unbonding does not escape a pending slash.
//! The funds are taken with `BalancedHold::slash` and the resulting credit goes to
//! [`Config::Slashed`] (drop it to burn, or `ResolveTo` a treasury account). Every slash
//! emits [`Event::Slashed`] and lowers the account's reputation in the slashed role by
//! [`Config::SlashReputationPenalty`].
//!
//! *Consensus offences* (equivocations, reported through pallet-offences) slash through
//! [`din_primitives::SlashValidator`]: a fraction of the whole validator bond, active and
//! unbonding, since the whole bond backs every block and vote (event
//! [`Event::ValidatorSlashed`]).
//!
//! *Reputation* is a plain `u32` per account and role in [`ReputationOf`], at most
//! [`Config::MaxReputation`]. There is no call that moves it: it rises through
//! [`din_primitives::Reputation::reward`] for accepted work in that role and falls with
//! every slash in it. Sortition reads the evaluator score to weight evaluator draws, so
//! participant work, cheap in one's own zero-fee tasks, buys no seats; the cap bounds what
//! evaluator work farmed in such tasks can buy. ([`migrations::v1`] split the single score
//! of storage version 0.)
//!
//! *Store peers.* A participant publishes its update to the libp2p artifact store, and an
//! evaluator that cannot fetch it in time marks it unavailable, which slashes its author.
//! Provider records in the store's DHT come from anyone, so a peer that announces the
//! update and then stalls could otherwise decide availability. A bonded account therefore
//! records its own store peer (a binary multiaddr ending in `/p2p/<peer id>`) in
//! [`StorePeers`], and evaluators dial it first, without the DHT. Only a bonded account can
//! hold a record, so its state is paid for by the bond; the record goes with the account's
//! last ledger (withdrawn or slashed to nothing). The chain only bounds the bytes: a record
//! that is not a multiaddr costs its owner, whose update is then fetched through the DHT
//! alone.
//!
//! ## Terms
//!
//! - **Bond**: funds held for a role; *active* bonds count for duties and sortition.
//! - **Locked**: the part of the active bond backing duties; not unbondable.
//! - **Unbonding chunk**: funds on their way out, still held and still slashable.
//! - **Slash**: the protocol taking a fraction of a bond as the consequence of an offence
//!   (invalid update, minority or missing reveal, below-baseline score).
//! - **Reputation**: a soulbound score per role, up for accepted work, down for slashes.

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub use pallet::*;

pub mod migrations;
pub mod types;
pub mod weights;

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
#[cfg(test)]
mod mock;
#[cfg(test)]
mod tests;

pub use types::*;
pub use weights::WeightInfo;

use din_primitives::{
	BondLocker, Perbill, Reputation, ReputationScore, Role, RoundIndex, SessionIndex, Slash,
	SlashReason, SlashValidator, StakeInfo, TaskId,
};
use polkadot_sdk::{
	frame_support::{
		self, ensure,
		pallet_prelude::*,
		traits::{
			fungible::{self, MutateHold},
			tokens::Precision,
			OnUnbalanced,
		},
	},
	frame_system::{self, pallet_prelude::*},
	sp_runtime::{
		traits::{Saturating, Zero},
		DispatchError,
	},
};

const LOG_TARGET: &str = "runtime::din-staking";

#[frame_support::pallet]
pub mod pallet {
	use super::*;

	/// The in-code storage version.
	const STORAGE_VERSION: StorageVersion = StorageVersion::new(1);

	#[pallet::pallet]
	#[pallet::storage_version(STORAGE_VERSION)]
	pub struct Pallet<T>(_);

	/// Default configurations of this pallet, for `#[derive_impl(..)]`.
	pub mod config_preludes {
		use super::*;
		use frame_support::{derive_impl, traits::ConstU32, traits::ConstU64};

		/// The mocks' configuration: a `u64` balance and block number, bonds of 10 and
		/// 100, ten blocks of unbonding. A mock sets `Currency` and overrides what its tests
		/// are about.
		pub struct TestDefaultConfig;

		#[derive_impl(frame_system::config_preludes::TestDefaultConfig, no_aggregated_types)]
		impl frame_system::DefaultConfig for TestDefaultConfig {}

		#[frame_support::register_default_impl(TestDefaultConfig)]
		impl DefaultConfig for TestDefaultConfig {
			#[inject_runtime_type]
			type RuntimeHoldReason = ();
			type Slashed = ();
			type MinParticipantBond = ConstU64<10>;
			type MinEvaluatorBond = ConstU64<100>;
			type MinValidatorBond = ConstU64<1_000>;
			type UnbondingPeriod = ConstU64<10>;
			type MaxUnlockingChunks = ConstU32<4>;
			type SlashReputationPenalty = ConstU32<5>;
			type MaxReputation = ConstU32<1000>;
			type MaxStorePeerLen = ConstU32<128>;
			type BondCommitments = ();
			type WeightInfo = ();
		}
	}

	#[pallet::config(with_default)]
	pub trait Config: polkadot_sdk::frame_system::Config {
		/// The currency bonds are held in (the native token).
		#[pallet::no_default]
		type Currency: fungible::Inspect<Self::AccountId>
			+ fungible::Mutate<Self::AccountId>
			+ fungible::MutateHold<Self::AccountId, Reason = Self::RuntimeHoldReason>
			+ fungible::BalancedHold<Self::AccountId>;

		/// The overarching hold reason, which [`HoldReason`] converts into.
		#[pallet::no_default_bounds]
		type RuntimeHoldReason: From<HoldReason>;

		/// Where slashed funds go: `()` burns them, `ResolveTo<TreasuryAccount, Balances>`
		/// deposits them to a treasury account.
		#[pallet::no_default_bounds]
		type Slashed: OnUnbalanced<CreditOf<Self>>;

		/// Smallest active participant bond, in the currency's smallest unit. Must be
		/// non-zero and at least the existential deposit: it is the price of one
		/// participant ledger (storage) and of one seat in a task's snapshot.
		#[pallet::constant]
		#[pallet::no_default_bounds]
		type MinParticipantBond: Get<BalanceOf<Self>>;

		/// Smallest active evaluator bond, in the currency's smallest unit. Must be non-zero;
		/// it bounds how cheaply a Sybil can enter the sortition pool.
		#[pallet::constant]
		#[pallet::no_default_bounds]
		type MinEvaluatorBond: Get<BalanceOf<Self>>;

		/// Smallest active validator bond, in the currency's smallest unit. Must be non-zero:
		/// pallet-din-validators ranks candidates by it, and it is what an equivocation
		/// puts at risk.
		#[pallet::constant]
		#[pallet::no_default_bounds]
		type MinValidatorBond: Get<BalanceOf<Self>>;

		/// Blocks between `unbond` and the funds becoming withdrawable. Must be non-zero and
		/// longer than any task phase, so an offence is settled (and slashed) before the
		/// bond behind it can leave.
		#[pallet::constant]
		#[pallet::no_default_bounds]
		type UnbondingPeriod: Get<BlockNumberFor<Self>>;

		/// Most unbonding chunks per (account, role). Bounds the ledger's size (storage and
		/// PoV of every bond operation); `unbond` fails with `NoMoreChunks` beyond it. Must be
		/// non-zero; 16–32 is plenty.
		#[pallet::constant]
		type MaxUnlockingChunks: Get<u32>;

		/// Reputation points an account loses in the slashed role per slash (saturating at 0).
		#[pallet::constant]
		type SlashReputationPenalty: Get<ReputationScore>;

		/// Highest reputation an account can reach in a role. Sortition weights evaluators by
		/// `bond × (evaluator reputation + 1)`: the cap bounds that multiplier, so reputation
		/// farmed in one's own tasks buys at most `MaxReputation + 1` times the bond's weight.
		/// Non-zero.
		#[pallet::constant]
		type MaxReputation: Get<ReputationScore>;

		/// Longest store peer record ([`StorePeers`]), in bytes. A binary multiaddr of an IPv6
		/// address, a TCP port and an Ed25519 peer id takes 59; DNS names take more.
		#[pallet::constant]
		type MaxStorePeerLen: Get<u32>;

		/// The bond each account has committed to draws it cannot see yet (in din-runtime the
		/// evaluator pool, pallet-din-evaluation): `unbond` leaves at least that much active,
		/// so nobody drops out of a draw once its randomness is known. `()` commits nothing.
		#[pallet::no_default_bounds]
		type BondCommitments: din_primitives::BondCommitment<Self::AccountId, BalanceOf<Self>>;

		/// Weight information for the calls of this pallet.
		type WeightInfo: WeightInfo;
	}

	/// The bond of each account, per role.
	#[pallet::storage]
	pub type Ledgers<T: Config> = StorageDoubleMap<
		_,
		Blake2_128Concat,
		T::AccountId,
		Twox64Concat,
		Role,
		LedgerOf<T>,
		OptionQuery,
	>;

	/// Soulbound reputation per account and role, at most [`Config::MaxReputation`]. There
	/// is no transfer path: it only changes through [`din_primitives::Reputation::reward`]
	/// and slashes, each in one role.
	#[pallet::storage]
	pub type ReputationOf<T: Config> = StorageDoubleMap<
		_,
		Blake2_128Concat,
		T::AccountId,
		Twox64Concat,
		Role,
		ReputationScore,
		ValueQuery,
	>;

	/// The artifact-store peer of each bonded account that recorded one: a binary multiaddr
	/// ending in `/p2p/<peer id>`, which evaluators dial first when they fetch the account's
	/// updates. Removed with the account's last ledger.
	#[pallet::storage]
	pub type StorePeers<T: Config> =
		StorageMap<_, Blake2_128Concat, T::AccountId, StorePeerOf<T>, OptionQuery>;

	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// `who` added `amount` to its active bond for `role`.
		Bonded { who: T::AccountId, role: Role, amount: BalanceOf<T> },
		/// `who` started unbonding `amount` for `role`, withdrawable at `unlock_at`.
		Unbonded {
			who: T::AccountId,
			role: Role,
			amount: BalanceOf<T>,
			unlock_at: BlockNumberFor<T>,
		},
		/// `who` withdrew `amount` of matured unbonding funds for `role`.
		Withdrawn { who: T::AccountId, role: Role, amount: BalanceOf<T> },
		/// `who` moved `amount` of unbonding funds back to its active bond for `role`.
		Rebonded { who: T::AccountId, role: Role, amount: BalanceOf<T> },
		/// `amount` of the `role` bond of `who` was slashed in `task`/`round` for `reason`.
		Slashed {
			who: T::AccountId,
			role: Role,
			task: TaskId,
			round: RoundIndex,
			reason: SlashReason,
			fraction: Perbill,
			amount: BalanceOf<T>,
		},
		/// `amount` of the validator bond of `who` (`fraction` of all of it) was slashed for
		/// a consensus offence committed in `session`.
		ValidatorSlashed {
			who: T::AccountId,
			session: SessionIndex,
			fraction: Perbill,
			amount: BalanceOf<T>,
		},
		/// `amount` of the `role` bond of `who` now backs a duty (total locked: `locked`).
		BondLocked { who: T::AccountId, role: Role, amount: BalanceOf<T>, locked: BalanceOf<T> },
		/// A duty of `who` ended and released `amount` (total locked: `locked`).
		BondUnlocked { who: T::AccountId, role: Role, amount: BalanceOf<T>, locked: BalanceOf<T> },
		/// The `role` reputation of `who` changed to `reputation` for work in `task`/`round`.
		ReputationChanged {
			who: T::AccountId,
			role: Role,
			task: TaskId,
			round: RoundIndex,
			reputation: ReputationScore,
		},
		/// `who` recorded `address` as its store peer, or removed its record (`None`).
		StorePeerSet { who: T::AccountId, address: Option<StorePeerOf<T>> },
	}

	#[pallet::error]
	pub enum Error<T> {
		/// The amount is zero.
		ZeroAmount,
		/// The first bond of a role, or what remains active after unbonding, is below the
		/// role's minimum.
		BelowMinimumBond,
		/// The account has no bond for this role.
		NotBonded,
		/// The amount exceeds the active bond.
		InsufficientBond,
		/// The amount would reach into the part of the bond that backs an active duty.
		BondLocked,
		/// What would remain active is below the bond committed to draws whose randomness may
		/// already be known (an evaluator's bond in the sortition pool, until its leave has
		/// taken effect).
		BelowCommittedBond,
		/// The account already has `MaxUnlockingChunks` unbonding chunks.
		NoMoreChunks,
		/// No unbonding chunk has matured yet.
		NothingToWithdraw,
		/// There are no unbonding funds to rebond.
		NothingToRebond,
		/// A store peer record needs a bond in some role: the bond pays for its state.
		StorePeerNeedsBond,
		/// A store peer record must not be empty (`None` removes the record).
		EmptyStorePeer,
	}

	/// Why this pallet holds funds.
	#[pallet::composite_enum]
	pub enum HoldReason {
		/// The bond of a participant (trains and submits updates).
		#[codec(index = 0)]
		ParticipantBond,
		/// The bond of an evaluator (aggregates, scores and proves).
		#[codec(index = 1)]
		EvaluatorBond,
		/// The bond of a validator (authors and finalizes blocks).
		#[codec(index = 2)]
		ValidatorBond,
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		fn integrity_test() {
			assert!(!T::MinParticipantBond::get().is_zero(), "MinParticipantBond must be non-zero");
			assert!(!T::MinEvaluatorBond::get().is_zero(), "MinEvaluatorBond must be non-zero");
			assert!(!T::MinValidatorBond::get().is_zero(), "MinValidatorBond must be non-zero");
			assert!(
				T::MinParticipantBond::get()
					>= <T::Currency as fungible::Inspect<T::AccountId>>::minimum_balance(),
				"MinParticipantBond must be at least the existential deposit"
			);
			assert!(!T::UnbondingPeriod::get().is_zero(), "UnbondingPeriod must be non-zero");
			assert!(T::MaxUnlockingChunks::get() > 0, "MaxUnlockingChunks must be non-zero");
			assert!(T::MaxReputation::get() > 0, "MaxReputation must be non-zero");
		}

		#[cfg(feature = "try-runtime")]
		fn try_state(
			_n: BlockNumberFor<T>,
		) -> Result<(), polkadot_sdk::sp_runtime::TryRuntimeError> {
			Self::do_try_state()
		}
	}

	#[pallet::call]
	impl<T: Config> Pallet<T> {
		/// Bond `amount` more for `role`, held from the caller's free balance.
		///
		/// Origin: signed, the bonding account. The first bond of a role must reach the
		/// role's minimum ([`Config::MinParticipantBond`] / [`Config::MinEvaluatorBond`]).
		///
		/// Emits [`Event::Bonded`].
		#[pallet::call_index(0)]
		#[pallet::weight(T::WeightInfo::bond())]
		pub fn bond(
			origin: OriginFor<T>,
			role: Role,
			#[pallet::compact] amount: BalanceOf<T>,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_bond(&who, role, amount)
		}

		/// Start unbonding `amount` of the active bond for `role`.
		///
		/// Origin: signed, the bonded account. `amount` must not reach into the locked part
		/// (duties), must leave either nothing or at least the role's minimum active, and
		/// must leave the bond committed to draws ([`Config::BondCommitments`]). The funds stay
		/// held (and slashable) for [`Config::UnbondingPeriod`] blocks.
		///
		/// Emits [`Event::Unbonded`].
		#[pallet::call_index(1)]
		#[pallet::weight(T::WeightInfo::unbond())]
		pub fn unbond(
			origin: OriginFor<T>,
			role: Role,
			#[pallet::compact] amount: BalanceOf<T>,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			ensure!(!amount.is_zero(), Error::<T>::ZeroAmount);
			let now = frame_system::Pallet::<T>::block_number();
			let unlock_at = now.saturating_add(T::UnbondingPeriod::get());
			Ledgers::<T>::try_mutate(&who, role, |maybe| -> DispatchResult {
				let ledger = maybe.as_mut().ok_or(Error::<T>::NotBonded)?;
				ensure!(amount <= ledger.active, Error::<T>::InsufficientBond);
				ensure!(amount <= ledger.unlocked(), Error::<T>::BondLocked);
				let rest = ledger.active.saturating_sub(amount);
				ensure!(
					rest.is_zero() || rest >= Self::min_bond(role),
					Error::<T>::BelowMinimumBond
				);
				ensure!(
					rest >= <T::BondCommitments as din_primitives::BondCommitment<_, _>>::committed(
						&who, role
					),
					Error::<T>::BelowCommittedBond
				);
				ledger
					.unlocking
					.try_push(UnlockChunk { value: amount, unlock_at })
					.map_err(|_| Error::<T>::NoMoreChunks)?;
				ledger.active = rest;
				Ok(())
			})?;
			Self::deposit_event(Event::Unbonded { who, role, amount, unlock_at });
			Ok(())
		}

		/// Release the hold on every unbonding chunk of `role` that has matured.
		///
		/// Origin: signed, the bonded account. Removes the ledger once nothing is held.
		///
		/// Emits [`Event::Withdrawn`].
		#[pallet::call_index(2)]
		#[pallet::weight(T::WeightInfo::withdraw_unbonded())]
		pub fn withdraw_unbonded(origin: OriginFor<T>, role: Role) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let now = frame_system::Pallet::<T>::block_number();
			let (amount, emptied) = Ledgers::<T>::try_mutate_exists(&who, role, |maybe| {
				let ledger = maybe.as_mut().ok_or(Error::<T>::NotBonded)?;
				let amount = ledger.consolidate_unlocked(now);
				ensure!(!amount.is_zero(), Error::<T>::NothingToWithdraw);
				T::Currency::release(&Self::hold_reason(role), &who, amount, Precision::Exact)?;
				let emptied = ledger.is_empty();
				if emptied {
					*maybe = None;
				}
				Ok::<_, DispatchError>((amount, emptied))
			})?;
			Self::deposit_event(Event::Withdrawn { who: who.clone(), role, amount });
			if emptied {
				Self::forget_store_peer_if_unbonded(&who);
			}
			Ok(())
		}

		/// Move up to `amount` of unbonding funds of `role` back to the active bond, newest
		/// chunks first.
		///
		/// Origin: signed, the bonded account.
		///
		/// Emits [`Event::Rebonded`] with the amount actually moved.
		#[pallet::call_index(3)]
		#[pallet::weight(T::WeightInfo::rebond())]
		pub fn rebond(
			origin: OriginFor<T>,
			role: Role,
			#[pallet::compact] amount: BalanceOf<T>,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			ensure!(!amount.is_zero(), Error::<T>::ZeroAmount);
			let moved = Ledgers::<T>::try_mutate(&who, role, |maybe| {
				let ledger = maybe.as_mut().ok_or(Error::<T>::NotBonded)?;
				ensure!(!ledger.unlocking.is_empty(), Error::<T>::NothingToRebond);
				let moved = ledger.rebond(amount);
				ensure!(ledger.active >= Self::min_bond(role), Error::<T>::BelowMinimumBond);
				Ok::<_, DispatchError>(moved)
			})?;
			Self::deposit_event(Event::Rebonded { who, role, amount: moved });
			Ok(())
		}

		/// Record `address` as the caller's artifact-store peer, replacing any earlier
		/// record, or remove the record with `None`.
		///
		/// Origin: signed, an account with a bond in some role. `address` is a binary
		/// multiaddr ending in `/p2p/<peer id>`, at most [`Config::MaxStorePeerLen`] bytes;
		/// the chain does not parse it (the record's reader does).
		///
		/// Emits [`Event::StorePeerSet`].
		#[pallet::call_index(4)]
		#[pallet::weight(T::WeightInfo::set_store_peer())]
		pub fn set_store_peer(
			origin: OriginFor<T>,
			address: Option<StorePeerOf<T>>,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			match &address {
				Some(address) => {
					ensure!(!address.is_empty(), Error::<T>::EmptyStorePeer);
					ensure!(Self::has_any_ledger(&who), Error::<T>::StorePeerNeedsBond);
					StorePeers::<T>::insert(&who, address);
				},
				None => StorePeers::<T>::remove(&who),
			}
			Self::deposit_event(Event::StorePeerSet { who, address });
			Ok(())
		}
	}
}

impl<T: Config> Pallet<T> {
	/// The hold reason of `role`'s bonds.
	pub fn hold_reason(role: Role) -> T::RuntimeHoldReason {
		match role {
			Role::Participant => HoldReason::ParticipantBond.into(),
			Role::Evaluator => HoldReason::EvaluatorBond.into(),
			Role::Validator => HoldReason::ValidatorBond.into(),
		}
	}

	/// The chain-wide minimum active bond of `role`.
	pub fn min_bond(role: Role) -> BalanceOf<T> {
		match role {
			Role::Participant => T::MinParticipantBond::get(),
			Role::Evaluator => T::MinEvaluatorBond::get(),
			Role::Validator => T::MinValidatorBond::get(),
		}
	}

	/// Hold `amount` more for `role` from `who` and add it to the active bond.
	pub(crate) fn do_bond(who: &T::AccountId, role: Role, amount: BalanceOf<T>) -> DispatchResult {
		ensure!(!amount.is_zero(), Error::<T>::ZeroAmount);
		Ledgers::<T>::try_mutate(who, role, |maybe| -> DispatchResult {
			let mut ledger = maybe.take().unwrap_or_default();
			let active = ledger.active.saturating_add(amount);
			ensure!(active >= Self::min_bond(role), Error::<T>::BelowMinimumBond);
			T::Currency::hold(&Self::hold_reason(role), who, amount)?;
			ledger.active = active;
			*maybe = Some(ledger);
			Ok(())
		})?;
		Self::deposit_event(Event::Bonded { who: who.clone(), role, amount });
		Ok(())
	}

	/// Whether `who` has a ledger in any role.
	fn has_any_ledger(who: &T::AccountId) -> bool {
		Ledgers::<T>::iter_key_prefix(who).next().is_some()
	}

	/// Removes the store peer record of `who` once no ledger of it is left: a record is
	/// paid for by a bond.
	fn forget_store_peer_if_unbonded(who: &T::AccountId) {
		if !Self::has_any_ledger(who) && StorePeers::<T>::contains_key(who) {
			StorePeers::<T>::remove(who);
			Self::deposit_event(Event::StorePeerSet { who: who.clone(), address: None });
		}
	}

	/// Lower the reputation of `who` as `role` by `points`, saturating at 0.
	fn penalize(who: &T::AccountId, role: Role, points: ReputationScore) -> ReputationScore {
		ReputationOf::<T>::mutate(who, role, |r| {
			*r = r.saturating_sub(points);
			*r
		})
	}

	/// Check the pallet's invariants:
	/// - the balance held for each role equals the ledger's `active + Σ unlocking`;
	/// - `locked <= active`; no empty ledger is stored; chunks are non-zero;
	/// - every store peer record belongs to a bonded account and is not empty.
	#[cfg(any(feature = "try-runtime", feature = "std"))]
	pub fn do_try_state() -> Result<(), polkadot_sdk::sp_runtime::TryRuntimeError> {
		use fungible::InspectHold;
		for (who, role, ledger) in Ledgers::<T>::iter() {
			let held = T::Currency::balance_on_hold(&Self::hold_reason(role), &who);
			ensure!(held == ledger.total(), "held bond differs from the ledger total");
			ensure!(ledger.locked <= ledger.active, "locked exceeds the active bond");
			ensure!(!ledger.is_empty(), "empty ledger stored");
			ensure!(ledger.unlocking.iter().all(|c| !c.value.is_zero()), "empty unlocking chunk");
		}
		for (who, address) in StorePeers::<T>::iter() {
			ensure!(Self::has_any_ledger(&who), "store peer record of an unbonded account");
			ensure!(!address.is_empty(), "empty store peer record");
		}
		Ok(())
	}
}

impl<T: Config> StakeInfo<T::AccountId, BalanceOf<T>> for Pallet<T> {
	fn bonded(who: &T::AccountId, role: Role) -> BalanceOf<T> {
		Ledgers::<T>::get(who, role).map(|l| l.active).unwrap_or_default()
	}

	fn locked(who: &T::AccountId, role: Role) -> BalanceOf<T> {
		Ledgers::<T>::get(who, role).map(|l| l.locked).unwrap_or_default()
	}

	fn minimum_bond(role: Role) -> BalanceOf<T> {
		Self::min_bond(role)
	}

	#[cfg(feature = "runtime-benchmarks")]
	fn bond_for_benchmarks(who: &T::AccountId, role: Role, amount: BalanceOf<T>) {
		use fungible::{Inspect, Mutate};
		let amount = amount.max(Self::min_bond(role));
		let have = Self::bonded(who, role);
		if have >= amount {
			return;
		}
		let need = amount.saturating_sub(have);
		let free = T::Currency::balance(who);
		let _ = T::Currency::set_balance(
			who,
			free.saturating_add(need).saturating_add(T::Currency::minimum_balance()),
		);
		Self::do_bond(who, role, need).expect("the account was just funded; qed");
	}
}

impl<T: Config> BondLocker<T::AccountId, BalanceOf<T>> for Pallet<T> {
	fn lock(who: &T::AccountId, role: Role, amount: BalanceOf<T>) -> Result<(), DispatchError> {
		let locked = Ledgers::<T>::try_mutate(who, role, |maybe| {
			let ledger = maybe.as_mut().ok_or(Error::<T>::NotBonded)?;
			ensure!(amount <= ledger.unlocked(), Error::<T>::InsufficientBond);
			ledger.locked = ledger.locked.saturating_add(amount);
			Ok::<_, DispatchError>(ledger.locked)
		})?;
		Self::deposit_event(Event::BondLocked { who: who.clone(), role, amount, locked });
		Ok(())
	}

	fn unlock(who: &T::AccountId, role: Role, amount: BalanceOf<T>) {
		let locked = Ledgers::<T>::mutate(who, role, |maybe| {
			maybe.as_mut().map(|ledger| {
				ledger.locked = ledger.locked.saturating_sub(amount);
				ledger.locked
			})
		});
		if let Some(locked) = locked {
			Self::deposit_event(Event::BondUnlocked { who: who.clone(), role, amount, locked });
		}
	}
}

impl<T: Config> Pallet<T> {
	/// Take up to `amount` from the `role` ledger of `who` (active first, then the newest
	/// unbonding chunks) and send it to [`Config::Slashed`]; the ledger and the store peer
	/// record go when nothing is left. Returns the amount taken.
	fn slash_ledger(who: &T::AccountId, role: Role, amount: BalanceOf<T>) -> BalanceOf<T> {
		let (amount, emptied) = Ledgers::<T>::mutate_exists(who, role, |maybe| {
			let Some(ledger) = maybe.as_mut() else { return (Zero::zero(), false) };
			let amount = ledger.slash(amount);
			let (credit, missing) = <T::Currency as fungible::BalancedHold<T::AccountId>>::slash(
				&Self::hold_reason(role),
				who,
				amount,
			);
			if !missing.is_zero() {
				log::error!(target: LOG_TARGET, "slash of {:?} fell short by {:?}", amount, missing);
			}
			T::Slashed::on_unbalanced(credit);
			let emptied = ledger.is_empty();
			if emptied {
				*maybe = None;
			}
			(amount.saturating_sub(missing), emptied)
		});
		if emptied {
			Self::forget_store_peer_if_unbonded(who);
		}
		amount
	}
}

impl<T: Config> Slash<T::AccountId, BalanceOf<T>> for Pallet<T> {
	fn slash(
		who: &T::AccountId,
		role: Role,
		fraction: Perbill,
		stake: BalanceOf<T>,
		reason: SlashReason,
	) -> BalanceOf<T> {
		let amount = Self::slash_ledger(who, role, fraction * stake);
		let reputation = Self::penalize(who, role, T::SlashReputationPenalty::get());
		Self::deposit_event(Event::Slashed {
			who: who.clone(),
			role,
			task: reason.task,
			round: reason.round,
			reason,
			fraction,
			amount,
		});
		Self::deposit_event(Event::ReputationChanged {
			who: who.clone(),
			role,
			task: reason.task,
			round: reason.round,
			reputation,
		});
		amount
	}
}

impl<T: Config> SlashValidator<T::AccountId, BalanceOf<T>> for Pallet<T> {
	fn slash_validator(
		who: &T::AccountId,
		fraction: Perbill,
		session: SessionIndex,
	) -> BalanceOf<T> {
		let bond = Ledgers::<T>::get(who, Role::Validator).map(|l| l.total()).unwrap_or_default();
		let amount = Self::slash_ledger(who, Role::Validator, fraction * bond);
		Self::deposit_event(Event::ValidatorSlashed {
			who: who.clone(),
			session,
			fraction,
			amount,
		});
		amount
	}
}

impl<T: Config> Reputation<T::AccountId> for Pallet<T> {
	fn reputation(who: &T::AccountId, role: Role) -> ReputationScore {
		ReputationOf::<T>::get(who, role)
	}

	fn reward(
		who: &T::AccountId,
		role: Role,
		points: ReputationScore,
		task: TaskId,
		round: RoundIndex,
	) {
		let reputation = ReputationOf::<T>::mutate(who, role, |r| {
			*r = r.saturating_add(points).min(T::MaxReputation::get());
			*r
		});
		Self::deposit_event(Event::ReputationChanged {
			who: who.clone(),
			role,
			task,
			round,
			reputation,
		});
	}
}
