//! Storage migrations of pallet-din-tasks.

use super::*;
use alloc::vec::Vec;
use codec::Input;
use polkadot_sdk::frame_support::{
	migrations::VersionedMigration, storage_alias, traits::UncheckedOnRuntimeUpgrade,
};
use polkadot_sdk::sp_core::H256;

/// Version 1 names the Groth16 proving key on chain (`TestSetRef` gains `proving_key_cid`)
/// and records when each participant joined (`Participants` holds [`Participant`]s).
pub mod v1 {
	use super::*;

	/// The version 0 participant lists: accounts, in join order.
	#[storage_alias]
	pub type Participants<T: Config> = StorageMap<
		Pallet<T>,
		Twox64Concat,
		TaskId,
		BoundedVec<<T as frame_system::Config>::AccountId, <T as Config>::MaxParticipants>,
		ValueQuery,
	>;

	/// A version 0 `TaskInfo`, read as today's with an empty `proving_key_cid` (and no
	/// privacy policy, [`super::v2`]).
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
			TaskInfoOf::<T>::decode(&mut &super::v2::with_no_privacy::<T>(bytes)?[..])
				.map(TaskInfoV0)
		}
	}

	/// Gives every stored task an empty `proving_key_cid`: tasks created before the upgrade
	/// handed their proving key to evaluators out of band, and their evaluators keep
	/// passing it with `--proving-key`. Makes every participant one that joined at block
	/// zero: it joined before any randomness a later round uses. Reads every task and
	/// participant list in one block: at most `MaxActiveTasks` live tasks (ended ones keep
	/// no participants) plus the finished ones not yet pruned.
	pub struct RecordProvingKeyAndJoins<T>(PhantomData<T>);

	impl<T: Config> UncheckedOnRuntimeUpgrade for RecordProvingKeyAndJoins<T> {
		fn on_runtime_upgrade() -> Weight {
			let mut moved = 0u64;
			Tasks::<T>::translate::<TaskInfoV0<T>, _>(|_, old| {
				moved += 1;
				Some(old.0)
			});
			let lists: Vec<_> = Participants::<T>::drain().collect();
			moved += lists.len() as u64;
			for (task, list) in lists {
				let joined = list.into_iter().map(|who| Participant {
					who,
					joined_at: Zero::zero(),
					left_at: None,
				});
				// As many as before, under the same bound.
				super::super::Participants::<T>::insert(
					task,
					ParticipantsOf::<T>::truncate_from(joined.collect::<Vec<_>>()),
				);
			}
			T::DbWeight::get().reads_writes(moved, moved)
		}
	}

	/// [`RecordProvingKeyAndJoins`] from storage version 0, once. It writes today's layout,
	/// so it records version 2: [`super::v2::MigrateToV2`] would misread what it wrote.
	pub type MigrateFromV0<T> = VersionedMigration<
		0,
		2,
		RecordProvingKeyAndJoins<T>,
		Pallet<T>,
		<T as frame_system::Config>::DbWeight,
	>;
}

/// Version 2 lets a task carry a differential-privacy policy (`TaskSpec` gains `privacy`).
pub mod v2 {
	use super::*;

	/// `bytes` of a version 1 `TaskInfo` with the `None` of a missing privacy policy
	/// inserted. `privacy` is the spec's last field and what follows the spec in a
	/// `TaskInfo` (phase, round, deadline, pool, creation block) has a fixed encoded size,
	/// so the policy goes right before that tail.
	pub(super) fn with_no_privacy<T: Config>(mut bytes: Vec<u8>) -> Result<Vec<u8>, codec::Error> {
		let tail = TaskPhase::max_encoded_len()
			+ RoundIndex::max_encoded_len()
			+ BlockNumberFor::<T>::max_encoded_len() * 2
			+ BalanceOf::<T>::max_encoded_len();
		let at = bytes.len().checked_sub(tail).ok_or("a stored task is longer than its tail")?;
		bytes.insert(at, 0);
		Ok(bytes)
	}

	/// A version 1 `TaskInfo`, read as today's without a privacy policy.
	pub struct TaskInfoV1<T: Config>(pub TaskInfoOf<T>);

	impl<T: Config> Decode for TaskInfoV1<T> {
		fn decode<I: Input>(input: &mut I) -> Result<Self, codec::Error> {
			let len = input.remaining_len()?.ok_or("a stored value has a known length")?;
			let mut bytes = alloc::vec![0u8; len];
			input.read(&mut bytes)?;
			TaskInfoOf::<T>::decode(&mut &with_no_privacy::<T>(bytes)?[..]).map(TaskInfoV1)
		}
	}

	/// Gives every stored task no privacy policy: tasks created before the upgrade were
	/// published in the clear, and stay so.
	pub struct RecordNoPrivacyPolicy<T>(PhantomData<T>);

	impl<T: Config> UncheckedOnRuntimeUpgrade for RecordNoPrivacyPolicy<T> {
		fn on_runtime_upgrade() -> Weight {
			let mut moved = 0u64;
			Tasks::<T>::translate::<TaskInfoV1<T>, _>(|_, old| {
				moved += 1;
				Some(old.0)
			});
			T::DbWeight::get().reads_writes(moved, moved)
		}
	}

	/// [`RecordNoPrivacyPolicy`] from storage version 1 to 2, once.
	pub type MigrateToV2<T> = VersionedMigration<
		1,
		2,
		RecordNoPrivacyPolicy<T>,
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
	fn participants_joined_before_the_upgrade_count_as_joined_at_block_zero() {
		ExtBuilder::default().build_and_execute(|| {
			let id = create();
			StorageVersion::new(0).put::<DinTasks>();
			v1::Participants::<Test>::insert(id, BoundedVec::truncate_from(vec![11, 10]));
			// The task record in its version 0 bytes, as the migration expects it.
			let info = Tasks::<Test>::get(id).expect("created");
			let mut v0 = info.clone();
			v0.spec.test_set.proving_key_cid = Cid::new();
			unhashed::put_raw(&Tasks::<Test>::hashed_key_for(id), &version_0_bytes(&v0));
			v1::MigrateFromV0::<Test>::on_runtime_upgrade();
			let joined: Vec<_> = Participants::<Test>::get(id)
				.into_iter()
				.map(|p| (p.who, p.joined_at))
				.collect();
			assert_eq!(joined, vec![(11, 0), (10, 0)]);
		});
	}

	/// `info` (without a privacy policy) encoded as version 1 stored it.
	fn version_1_bytes(info: &TaskInfoOf<Test>) -> Vec<u8> {
		assert_eq!(info.spec.privacy, None);
		let full = info.encode();
		let spec_end = (&info.owner, &info.spec).encoded_size();
		[&full[..spec_end - 1], &full[spec_end..]].concat()
	}

	/// `info` encoded without `proving_key_cid`, as version 0 stored it.
	fn version_0_bytes(info: &TaskInfoOf<Test>) -> Vec<u8> {
		let full = version_1_bytes(info);
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
		[&full[..test_set_end], &full[test_set_end + skipped..]].concat()
	}

	#[test]
	fn stored_tasks_gain_an_empty_proving_key_cid_once() {
		ExtBuilder::default().build_and_execute(|| {
			let id = create();
			let mut info = Tasks::<Test>::get(id).expect("created");
			info.spec.test_set.proving_key_cid = cid(b"bafy-proving-key");
			unhashed::put_raw(&Tasks::<Test>::hashed_key_for(id), &version_0_bytes(&info));
			StorageVersion::new(0).put::<DinTasks>();

			v1::MigrateFromV0::<Test>::on_runtime_upgrade();

			info.spec.test_set.proving_key_cid = Cid::new();
			assert_eq!(Tasks::<Test>::get(id), Some(info.clone()));
			assert_eq!(DinTasks::on_chain_storage_version(), 2);
			// A second run is a no-op (it would misread today's layout as version 0), and so
			// is the step from version 1, which would misread it as version 1.
			v1::MigrateFromV0::<Test>::on_runtime_upgrade();
			v2::MigrateToV2::<Test>::on_runtime_upgrade();
			assert_eq!(Tasks::<Test>::get(id), Some(info));
		});
	}

	#[test]
	fn stored_tasks_gain_no_privacy_policy_once() {
		ExtBuilder::default().build_and_execute(|| {
			let id = create();
			let info = Tasks::<Test>::get(id).expect("created");
			unhashed::put_raw(&Tasks::<Test>::hashed_key_for(id), &version_1_bytes(&info));
			StorageVersion::new(1).put::<DinTasks>();
			assert_eq!(Tasks::<Test>::get(id), None, "version 1 bytes do not decode as today's");

			v2::MigrateToV2::<Test>::on_runtime_upgrade();

			assert_eq!(Tasks::<Test>::get(id), Some(info.clone()));
			assert_eq!(DinTasks::on_chain_storage_version(), 2);
			v2::MigrateToV2::<Test>::on_runtime_upgrade();
			assert_eq!(Tasks::<Test>::get(id), Some(info));
		});
	}
}
