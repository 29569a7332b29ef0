//! Storage migrations of pallet-din-validators.

use super::*;
use polkadot_sdk::frame_support::{
	migrations::VersionedMigration, traits::UncheckedOnRuntimeUpgrade,
};

/// Version 1: the pallet joins a running chain.
pub mod v1 {
	use super::*;

	/// Seats the session's validators as invulnerables and as the planned set. A chain that
	/// adds this pallet by a runtime upgrade never ran its genesis config: without this, the
	/// first candidate to stand would make the whole next set, and every validator of the
	/// chain's static set would stop authoring at once.
	pub struct SeatSessionValidators<T>(PhantomData<T>);

	impl<T: Config> UncheckedOnRuntimeUpgrade for SeatSessionValidators<T> {
		fn on_runtime_upgrade() -> Weight {
			let validators = T::SessionValidators::validators();
			let seated = BoundedVec::<_, T::MaxValidators>::truncate_from(validators);
			log::info!(target: LOG_TARGET, "seating {} session validators as invulnerables", seated.len());
			Invulnerables::<T>::put(&seated);
			PlannedValidators::<T>::put(seated);
			T::DbWeight::get().reads_writes(1, 2)
		}
	}

	/// [`SeatSessionValidators`] from storage version 0 (the pallet absent) to 1, once.
	pub type MigrateToV1<T> = VersionedMigration<
		0,
		1,
		SeatSessionValidators<T>,
		Pallet<T>,
		<T as polkadot_sdk::frame_system::Config>::DbWeight,
	>;
}

#[cfg(test)]
mod tests {
	use super::*;
	use crate::mock::*;
	use polkadot_sdk::frame_support::{
		assert_ok,
		traits::{GetStorageVersion, OnRuntimeUpgrade},
	};

	#[test]
	fn an_upgrade_that_adds_the_pallet_keeps_the_running_validators() {
		ExtBuilder::default().build_and_execute(|| {
			// The state of a chain the pallet has just joined: nothing stored, version 0.
			Invulnerables::<Test>::kill();
			PlannedValidators::<Test>::kill();
			StorageVersion::new(0).put::<Validators>();
			v1::MigrateToV1::<Test>::on_runtime_upgrade();
			assert_eq!(Invulnerables::<Test>::get().to_vec(), vec![1, 2]);
			assert_eq!(Validators::on_chain_storage_version(), 1);
			// A candidate joins the running validators instead of replacing them.
			stand(5, MIN_BOND);
			assert_eq!(plan(2), Some(vec![1, 2, 5]));
			// A second run is a no-op.
			assert_ok!(Validators::remove(RuntimeOrigin::root(), 2));
			v1::MigrateToV1::<Test>::on_runtime_upgrade();
			assert_eq!(Invulnerables::<Test>::get().to_vec(), vec![1]);
		});
	}
}
