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
}
