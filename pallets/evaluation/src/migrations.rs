//! Storage migrations of pallet-din-evaluation.

use super::*;
use polkadot_sdk::frame_support::{
	migrations::VersionedMigration, storage_alias, traits::UncheckedOnRuntimeUpgrade,
};

/// Version 1 freezes the draw inputs: `Pool` goes from accounts to [`PoolMember`]s, which
/// record the bond and reputation each member is drawn with and when it joined.
pub mod v1 {
	use super::*;

	/// The version 0 layout: the members' accounts, in registration order.
	#[storage_alias]
	pub type Pool<T: Config> = StorageValue<
		Pallet<T>,
		BoundedVec<<T as frame_system::Config>::AccountId, <T as Config>::MaxEvaluators>,
		ValueQuery,
	>;

	/// Makes each member a [`PoolMember`] with its bond and reputation at the upgrade,
	/// joined at block zero: it was in the pool before any randomness a later draw uses.
	pub struct RecordDrawInputs<T>(PhantomData<T>);

	impl<T: Config> UncheckedOnRuntimeUpgrade for RecordDrawInputs<T> {
		fn on_runtime_upgrade() -> Weight {
			let old = Pool::<T>::take();
			let moved = old.len() as u64;
			let members = old.into_iter().map(|who| Pallet::<T>::pool_member(who, Zero::zero()));
			// As many members as before, under the same bound.
			super::super::Pool::<T>::put(BoundedVec::truncate_from(members.collect::<Vec<_>>()));
			// Each member's bond and reputation, the old and the new pool.
			T::DbWeight::get().reads_writes(moved.saturating_mul(2).saturating_add(1), 1)
		}
	}

	/// [`RecordDrawInputs`] from storage version 0 to 1, once.
	pub type MigrateToV1<T> = VersionedMigration<
		0,
		1,
		RecordDrawInputs<T>,
		Pallet<T>,
		<T as frame_system::Config>::DbWeight,
	>;
}

/// Version 2 makes median scores commit-reveal: a [`Reports`] entry holds each reporter's
/// [`Vote`], where version 1 held the reported accuracy.
pub mod v2 {
	use super::*;

	/// Makes each report made before the upgrade a revealed vote of that accuracy: it was
	/// public when made, which is what a reveal is.
	pub struct RevealReports<T>(PhantomData<T>);

	impl<T: Config> UncheckedOnRuntimeUpgrade for RevealReports<T> {
		fn on_runtime_upgrade() -> Weight {
			let mut moved = 0u64;
			Reports::<T>::translate_values::<BoundedVec<(T::AccountId, Perbill), T::MaxPanelSize>, _>(
				|reports| {
					moved.saturating_inc();
					let revealed = reports.into_iter().map(|(who, a)| (who, Vote::Revealed(a)));
					// As many reports as before, under the same bound.
					Some(BoundedVec::truncate_from(revealed.collect::<Vec<_>>()))
				},
			);
			T::DbWeight::get().reads_writes(moved, moved)
		}
	}

	/// [`RevealReports`] from storage version 1 to 2, once.
	pub type MigrateToV2<T> = VersionedMigration<
		1,
		2,
		RevealReports<T>,
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
	fn pool_members_record_their_draw_inputs_once() {
		ExtBuilder::default().evaluators(vec![]).build_and_execute(|| {
			StorageVersion::new(0).put::<Evaluation>();
			v1::Pool::<Test>::put(BoundedVec::truncate_from(vec![31, 30]));
			v1::MigrateToV1::<Test>::on_runtime_upgrade();
			let pool = Pool::<Test>::get();
			assert_eq!(pool.iter().map(|m| m.who).collect::<Vec<_>>(), vec![31, 30]);
			assert!(pool.iter().all(|m| m.bond == EVALUATOR_BOND && m.joined_at == 0));
			assert_eq!(Evaluation::on_chain_storage_version(), 1);
			// A second run is a no-op.
			v1::MigrateToV1::<Test>::on_runtime_upgrade();
			assert_eq!(Pool::<Test>::get(), pool);
		});
	}

	#[test]
	fn reports_made_before_commit_reveal_count_as_revealed_once() {
		ExtBuilder::default().build_and_execute(|| {
			StorageVersion::new(1).put::<Evaluation>();
			let target = ScoreTarget::Baseline;
			let old: BoundedVec<(u64, Perbill), <Test as Config>::MaxPanelSize> =
				BoundedVec::truncate_from(vec![(30, Perbill::from_percent(80))]);
			polkadot_sdk::frame_support::storage::unhashed::put(
				&Reports::<Test>::hashed_key_for(7, &target),
				&old,
			);
			v2::MigrateToV2::<Test>::on_runtime_upgrade();
			let revealed = vec![(30, Vote::Revealed(Perbill::from_percent(80)))];
			assert_eq!(Reports::<Test>::get(7, &target).into_inner(), revealed);
			assert_eq!(Evaluation::on_chain_storage_version(), 2);
			// A second run is a no-op.
			v2::MigrateToV2::<Test>::on_runtime_upgrade();
			assert_eq!(Reports::<Test>::get(7, &target).into_inner(), revealed);
		});
	}
}

/// Version 3 keeps each registered verifying key's prepared form in
/// [`PreparedVerifyingKeys`], which proofs are now checked against.
pub mod v3 {
	use super::*;

	/// Prepares every key registered before the upgrade. Keys are registered one per signed
	/// call and a chain before this version had few (tasks name one key each, and the
	/// client registers the key of its circuit once), so the upgrade block takes them all;
	/// each costs what its registration cost.
	pub struct PrepareVerifyingKeys<T>(PhantomData<T>);

	impl<T: Config> UncheckedOnRuntimeUpgrade for PrepareVerifyingKeys<T> {
		fn on_runtime_upgrade() -> Weight {
			let mut prepared = 0u64;
			for (hash, vk) in VerifyingKeys::<T>::iter() {
				prepared.saturating_inc();
				match Pallet::<T>::prepare_verifying_key(&vk) {
					Ok(key) => PreparedVerifyingKeys::<T>::insert(hash, key),
					// Checked when registered, so never expected; a task naming it then
					// fails its proofs with `UnknownVerifyingKey` instead of halting the chain.
					Err(e) => log::warn!(
						target: LOG_TARGET,
						"verifying key {hash:?} cannot be prepared: {:?}",
						<&'static str>::from(e)
					),
				}
			}
			T::WeightInfo::register_verifying_key().saturating_mul(prepared)
		}

		#[cfg(feature = "try-runtime")]
		fn post_upgrade(_: Vec<u8>) -> Result<(), polkadot_sdk::sp_runtime::TryRuntimeError> {
			Pallet::<T>::try_state_verifying_keys()
		}
	}

	/// [`PrepareVerifyingKeys`] from storage version 2 to 3, once.
	pub type MigrateToV3<T> = VersionedMigration<
		2,
		3,
		PrepareVerifyingKeys<T>,
		Pallet<T>,
		<T as frame_system::Config>::DbWeight,
	>;
}
