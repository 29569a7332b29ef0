//! Storage migrations of pallet-din-tasks.

use super::*;
use codec::Input;
use polkadot_sdk::frame_support::{
	migrations::VersionedMigration, traits::UncheckedOnRuntimeUpgrade,
};
use polkadot_sdk::sp_core::H256;

/// Version 1 names the Groth16 proving key on chain: `TestSetRef` gains `proving_key_cid`.
pub mod v1 {
	use super::*;

	/// A version 0 `TaskInfo`, read as its version 1 form with an empty `proving_key_cid`.
	///
	/// Version 0 differs only inside `TestSetRef`, which ends at `key_hash`; everything
	/// before it decodes with today's types and everything after it is unchanged, so the
	/// tail is carried over as bytes rather than restated field by field.
	pub struct TaskInfoV0<T: Config>(pub TaskInfoOf<T>);

	impl<T: Config> Decode for TaskInfoV0<T> {
		fn decode<I: Input>(input: &mut I) -> Result<Self, codec::Error> {
			let owner = T::AccountId::decode(input)?;
			let model = ModelSpec::<T>::decode(input)?;
			let genesis = ModelRef::decode(input)?;
			let test_set = TestSetRef {
				commitment: Commitment::decode(input)?,
				encrypted_cid: Cid::decode(input)?,
				key_hash: H256::decode(input)?,
				proving_key_cid: Cid::new(),
			};
			let rest = input.remaining_len()?.ok_or("a stored value has a known length")?;
			let mut bytes = (owner, model, genesis, test_set).encode();
			let head = bytes.len();
			bytes.resize(head + rest, 0);
			input.read(&mut bytes[head..])?;
			TaskInfoOf::<T>::decode(&mut &bytes[..]).map(TaskInfoV0)
		}
	}

	/// Gives every stored task an empty `proving_key_cid`. Tasks created before the upgrade
	/// handed their proving key to evaluators out of band; their evaluators keep passing
	/// it with `--proving-key`. Reads every task in one block: at most `MaxActiveTasks`
	/// live ones plus the finished ones not yet pruned.
	pub struct NameTheProvingKey<T>(PhantomData<T>);

	impl<T: Config> UncheckedOnRuntimeUpgrade for NameTheProvingKey<T> {
		fn on_runtime_upgrade() -> Weight {
			let mut moved = 0u64;
			Tasks::<T>::translate::<TaskInfoV0<T>, _>(|_, old| {
				moved += 1;
				Some(old.0)
			});
			T::DbWeight::get().reads_writes(moved, moved)
		}
	}

	/// [`NameTheProvingKey`] from storage version 0 to 1, once.
	pub type MigrateToV1<T> = VersionedMigration<
		0,
		1,
		NameTheProvingKey<T>,
		Pallet<T>,
		<T as frame_system::Config>::DbWeight,
	>;
}

#[cfg(test)]
mod tests {
	use super::*;
	use crate::mock::*;
	use polkadot_sdk::frame_support::{
		storage::unhashed,
		traits::{GetStorageVersion, OnRuntimeUpgrade, StorageVersion},
	};

	#[test]
	fn stored_tasks_gain_an_empty_proving_key_cid_once() {
		ExtBuilder::default().build_and_execute(|| {
			let id = create();
			let mut info = Tasks::<Test>::get(id).expect("created");
			info.spec.test_set.proving_key_cid = cid(b"bafy-proving-key");
			// The version 0 bytes: the same value without `proving_key_cid`.
			let key = Tasks::<Test>::hashed_key_for(id);
			let full = info.encode();
			let test_set_end = (
				&info.owner,
				&info.spec.model,
				&info.spec.genesis,
				&info.spec.test_set.commitment,
				&info.spec.test_set.encrypted_cid,
				&info.spec.test_set.key_hash,
			)
				.encoded_size();
			let skipped = info.spec.test_set.proving_key_cid.encoded_size();
			let v0 = [&full[..test_set_end], &full[test_set_end + skipped..]].concat();
			unhashed::put_raw(&key, &v0);
			StorageVersion::new(0).put::<DinTasks>();

			v1::MigrateToV1::<Test>::on_runtime_upgrade();

			info.spec.test_set.proving_key_cid = Cid::new();
			assert_eq!(Tasks::<Test>::get(id), Some(info.clone()));
			assert_eq!(DinTasks::on_chain_storage_version(), 1);
			// A second run is a no-op (it would misread today's layout as version 0).
			v1::MigrateToV1::<Test>::on_runtime_upgrade();
			assert_eq!(Tasks::<Test>::get(id), Some(info));
		});
	}
}
