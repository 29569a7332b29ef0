//! SCALE types of pallet-din-staking, their `…Of<T>` aliases and pure ledger arithmetic.

use crate::Config;
use codec::{Decode, Encode, MaxEncodedLen};
use polkadot_sdk::{
	frame_support::{
		traits::fungible, BoundedVec, CloneNoBound, DebugNoBound, DefaultNoBound, EqNoBound,
		PartialEqNoBound,
	},
	frame_system::pallet_prelude::BlockNumberFor,
	sp_runtime::{traits::Zero, Saturating},
};
use scale_info::TypeInfo;

/// Balance of the currency bonds are held in.
pub type BalanceOf<T> =
	<<T as Config>::Currency as fungible::Inspect<<T as frame_system::Config>::AccountId>>::Balance;
/// A slashed amount on its way to `Config::Slashed`.
pub type CreditOf<T> =
	fungible::Credit<<T as frame_system::Config>::AccountId, <T as Config>::Currency>;
/// The ledger of one (account, role) pair.
pub type LedgerOf<T> = StakeLedger<T>;
/// A store peer record: a binary multiaddr ending in `/p2p/<peer id>`.
pub type StorePeerOf<T> = BoundedVec<u8, <T as Config>::MaxStorePeerLen>;
/// One unbonding chunk.
pub type UnlockChunkOf<T> = UnlockChunk<BalanceOf<T>, BlockNumberFor<T>>;

use polkadot_sdk::frame_system;

/// Part of a bond that is unbonding and becomes withdrawable at block `unlock_at`.
#[derive(Encode, Decode, MaxEncodedLen, TypeInfo, Clone, PartialEq, Eq, Debug)]
pub struct UnlockChunk<Balance, BlockNumber> {
	/// Amount still held, withdrawable from `unlock_at` on.
	pub value: Balance,
	/// First block at which `value` can be withdrawn.
	pub unlock_at: BlockNumber,
}

/// The bond of one account for one role.
///
/// Invariants (checked in `do_try_state`): the balance held under the role's hold reason
/// equals `active + Σ unlocking.value`; `locked <= active`.
#[derive(
	Encode,
	Decode,
	MaxEncodedLen,
	TypeInfo,
	CloneNoBound,
	PartialEqNoBound,
	EqNoBound,
	DebugNoBound,
	DefaultNoBound,
)]
#[scale_info(skip_type_params(T))]
#[codec(mel_bound())]
pub struct StakeLedger<T: Config> {
	/// Bonded and counted for duties and sortition.
	pub active: BalanceOf<T>,
	/// Part of `active` backing duties; `unbond` cannot go below it.
	pub locked: BalanceOf<T>,
	/// Unbonding chunks, oldest first.
	pub unlocking: BoundedVec<UnlockChunkOf<T>, T::MaxUnlockingChunks>,
}

impl<T: Config> StakeLedger<T> {
	/// Everything held for this ledger: active plus unbonding.
	pub fn total(&self) -> BalanceOf<T> {
		self.unlocking.iter().fold(self.active, |acc, c| acc.saturating_add(c.value))
	}

	/// Whether nothing is held any more, so the ledger can be removed.
	pub fn is_empty(&self) -> bool {
		self.total().is_zero()
	}

	/// The part of `active` that is not locked by duties.
	pub fn unlocked(&self) -> BalanceOf<T> {
		self.active.saturating_sub(self.locked)
	}

	/// Remove and sum the chunks unlocked at `now`.
	pub fn consolidate_unlocked(&mut self, now: BlockNumberFor<T>) -> BalanceOf<T> {
		let mut total = BalanceOf::<T>::zero();
		self.unlocking.retain(|c| {
			if c.unlock_at <= now {
				total = total.saturating_add(c.value);
				false
			} else {
				true
			}
		});
		total
	}

	/// Move up to `value` from the unlocking chunks (newest first) back to `active`.
	/// Returns the amount moved.
	pub fn rebond(&mut self, value: BalanceOf<T>) -> BalanceOf<T> {
		let mut left = value;
		while !left.is_zero() {
			let Some(last) = self.unlocking.last_mut() else { break };
			if last.value <= left {
				left = left.saturating_sub(last.value);
				self.active = self.active.saturating_add(last.value);
				self.unlocking.pop();
			} else {
				last.value = last.value.saturating_sub(left);
				self.active = self.active.saturating_add(left);
				left = Zero::zero();
			}
		}
		value.saturating_sub(left)
	}

	/// Reduce the ledger by `amount`, at most its total, taking from `active` first and then
	/// from the newest unbonding chunks. Returns the amount taken; `locked` is clamped to
	/// the new `active`.
	pub fn slash(&mut self, amount: BalanceOf<T>) -> BalanceOf<T> {
		let target = amount.min(self.total());
		let from_active = target.min(self.active);
		self.active = self.active.saturating_sub(from_active);
		let mut left = target.saturating_sub(from_active);
		for chunk in self.unlocking.iter_mut().rev() {
			if left.is_zero() {
				break;
			}
			let take = left.min(chunk.value);
			chunk.value = chunk.value.saturating_sub(take);
			left = left.saturating_sub(take);
		}
		self.unlocking.retain(|c| !c.value.is_zero());
		self.locked = self.locked.min(self.active);
		target.saturating_sub(left)
	}
}
