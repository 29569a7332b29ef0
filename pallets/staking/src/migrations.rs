//! Storage migrations of pallet-din-staking.

use super::*;
use alloc::vec::Vec;
use polkadot_sdk::frame_support::{
	migrations::VersionedMigration, storage_alias, traits::UncheckedOnRuntimeUpgrade,
};

/// Version 1 keeps reputation per role: `ReputationOf` goes from `account → score` to
/// `(account, role) → score`.
pub mod v1 {
	use super::*;

	/// The version 0 layout: one score per account, raised by every role's work.
	#[storage_alias]
	pub type ReputationOf<T: Config> = StorageMap<
		Pallet<T>,
		Blake2_128Concat,
		<T as frame_system::Config>::AccountId,
		ReputationScore,
		ValueQuery,
	>;

	/// Moves each account's single score to its *participant* score. The old score mixed
	/// both roles, and participant work (cheap in one's own zero-fee tasks) was the way to
	/// farm it, so none of it may carry evaluator weight: evaluator scores start at zero and
	/// are earned by evaluating from the upgrade on.
	///
	/// Reads every old entry in one block: fine while reputation is held by at most a few
	/// thousand accounts (a score exists only for accounts that worked or were slashed).
	pub struct SplitReputationByRole<T>(PhantomData<T>);

	impl<T: Config> UncheckedOnRuntimeUpgrade for SplitReputationByRole<T> {
		fn on_runtime_upgrade() -> Weight {
			let old: Vec<(T::AccountId, ReputationScore)> = ReputationOf::<T>::drain().collect();
			let moved = old.len() as u64;
			for (who, score) in old {
				super::super::ReputationOf::<T>::insert(&who, Role::Participant, score);
			}
			T::DbWeight::get().reads_writes(moved, moved.saturating_mul(2))
		}
	}

	/// [`SplitReputationByRole`] from storage version 0 to 1, once.
	pub type MigrateToV1<T> = VersionedMigration<
		0,
		1,
		SplitReputationByRole<T>,
		Pallet<T>,
		<T as frame_system::Config>::DbWeight,
	>;
}

#[cfg(test)]
mod tests {
	use super::*;
	use crate::mock::*;
	use polkadot_sdk::frame_support::traits::{GetStorageVersion, OnRuntimeUpgrade};

	#[test]
	fn reputation_moves_to_the_participant_role_once() {
		ExtBuilder::default().build_and_execute(|| {
			StorageVersion::new(0).put::<Staking>();
			v1::ReputationOf::<Test>::insert(1, 12);
			v1::ReputationOf::<Test>::insert(2, 3);
			v1::MigrateToV1::<Test>::on_runtime_upgrade();
			assert_eq!(crate::ReputationOf::<Test>::get(1, Role::Participant), 12);
			assert_eq!(crate::ReputationOf::<Test>::get(2, Role::Participant), 3);
			assert_eq!(crate::ReputationOf::<Test>::get(1, Role::Evaluator), 0);
			assert_eq!(crate::ReputationOf::<Test>::iter().count(), 2, "old entries are gone");
			assert_eq!(Staking::on_chain_storage_version(), 1);
			// A second run is a no-op.
			crate::ReputationOf::<Test>::insert(1, Role::Evaluator, 4);
			v1::MigrateToV1::<Test>::on_runtime_upgrade();
			assert_eq!(crate::ReputationOf::<Test>::get(1, Role::Evaluator), 4);
		});
	}
}
