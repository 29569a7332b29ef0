//! Storage migrations of pallet-din-tasks.

use super::*;
use alloc::vec::Vec;
use codec::Input;
use polkadot_sdk::frame_support::{
	migrations::VersionedMigration, storage_alias, traits::UncheckedOnRuntimeUpgrade,
};
use polkadot_sdk::sp_core::H256;

/// `bytes` of a stored `TaskInfo` with `field`, the encoding of a field a newer `TaskSpec`
/// appends, inserted after the spec. What follows the spec in a `TaskInfo` (phase, round,
/// deadline, pool, creation block) has a fixed encoded size, so the field goes right before
/// that tail.
fn with_spec_field_appended<T: Config>(
	mut bytes: Vec<u8>,
	field: &[u8],
) -> Result<Vec<u8>, codec::Error> {
	let tail = TaskPhase::max_encoded_len()
		+ RoundIndex::max_encoded_len()
		+ BlockNumberFor::<T>::max_encoded_len() * 2
		+ BalanceOf::<T>::max_encoded_len();
	let at = bytes.len().checked_sub(tail).ok_or("a stored task is longer than its tail")?;
	bytes.splice(at..at, field.iter().copied());
	Ok(bytes)
}

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
	/// privacy policy, [`super::v2`], and synchronous pacing, [`super::v3`]).
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
			let bytes =
				super::v3::with_synchronous_pacing::<T>(super::v2::with_no_privacy::<T>(bytes)?)?;
			TaskInfoOf::<T>::decode(&mut &bytes[..]).map(TaskInfoV0)
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
			moved += super::v3::record_fresh_updates::<T>();
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
	/// so it records version 3: [`super::v2::MigrateToV2`] and [`super::v3::MigrateToV3`]
	/// would misread what it wrote.
	pub type MigrateFromV0<T> = VersionedMigration<
		0,
		3,
		RecordProvingKeyAndJoins<T>,
		Pallet<T>,
		<T as frame_system::Config>::DbWeight,
	>;
}

/// Version 2 lets a task carry a differential-privacy policy (`TaskSpec` gains `privacy`).
pub mod v2 {
	use super::*;

	/// `bytes` of a version 1 `TaskInfo` with the `None` of a missing privacy policy
	/// inserted: `privacy` was then the spec's last field.
	pub(super) fn with_no_privacy<T: Config>(bytes: Vec<u8>) -> Result<Vec<u8>, codec::Error> {
		with_spec_field_appended::<T>(bytes, &None::<din_primitives::PrivacyPolicy>.encode())
	}

	/// A version 1 `TaskInfo`, read as today's without a privacy policy (and with
	/// synchronous pacing, [`super::v3`]).
	pub struct TaskInfoV1<T: Config>(pub TaskInfoOf<T>);

	impl<T: Config> Decode for TaskInfoV1<T> {
		fn decode<I: Input>(input: &mut I) -> Result<Self, codec::Error> {
			let len = input.remaining_len()?.ok_or("a stored value has a known length")?;
			let mut bytes = alloc::vec![0u8; len];
			input.read(&mut bytes)?;
			let bytes = super::v3::with_synchronous_pacing::<T>(with_no_privacy::<T>(bytes)?)?;
			TaskInfoOf::<T>::decode(&mut &bytes[..]).map(TaskInfoV1)
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
			moved += super::v3::record_fresh_updates::<T>();
			T::DbWeight::get().reads_writes(moved, moved)
		}
	}

	/// [`RecordNoPrivacyPolicy`] from storage version 1, once. It writes today's layout, so
	/// it records version 3: [`super::v3::MigrateToV3`] would misread what it wrote.
	pub type MigrateToV2<T> = VersionedMigration<
		1,
		3,
		RecordNoPrivacyPolicy<T>,
		Pallet<T>,
		<T as frame_system::Config>::DbWeight,
	>;
}

/// Version 3 lets a task be asynchronous (`TaskSpec` gains `pacing`) and records the model
/// each update trained from (`UpdateInfo` gains `trained_from`).
pub mod v3 {
	use super::*;

	/// `bytes` of a version 2 `TaskInfo` with [`Pacing::Synchronous`] inserted: `pacing` is
	/// the spec's last field.
	pub(super) fn with_synchronous_pacing<T: Config>(
		bytes: Vec<u8>,
	) -> Result<Vec<u8>, codec::Error> {
		with_spec_field_appended::<T>(bytes, &Pacing::Synchronous.encode())
	}

	/// A version 2 `TaskInfo`, read as today's with synchronous pacing.
	pub struct TaskInfoV2<T: Config>(pub TaskInfoOf<T>);

	impl<T: Config> Decode for TaskInfoV2<T> {
		fn decode<I: Input>(input: &mut I) -> Result<Self, codec::Error> {
			let len = input.remaining_len()?.ok_or("a stored value has a known length")?;
			let mut bytes = alloc::vec![0u8; len];
			input.read(&mut bytes)?;
			TaskInfoOf::<T>::decode(&mut &with_synchronous_pacing::<T>(bytes)?[..]).map(TaskInfoV2)
		}
	}

	/// A version 2 update record, without `trained_from`.
	#[derive(Decode)]
	pub struct UpdateInfoV2<BlockNumber> {
		subgroup: SubgroupIndex,
		cid: Cid,
		commitment: Commitment,
		num_samples: u64,
		submitted_at: BlockNumber,
	}

	/// Records every stored update as trained from its own round's model: before version 3
	/// every task was synchronous. Returns the updates rewritten.
	pub(super) fn record_fresh_updates<T: Config>() -> u64 {
		let mut moved = 0u64;
		Updates::<T>::translate::<UpdateInfoV2<BlockNumberFor<T>>, _>(|(_, round), _, old| {
			moved += 1;
			Some(UpdateInfo {
				subgroup: old.subgroup,
				cid: old.cid,
				commitment: old.commitment,
				num_samples: old.num_samples,
				submitted_at: old.submitted_at,
				trained_from: round,
			})
		});
		moved
	}

	/// Makes every stored task synchronous, as every task before the upgrade was, and every
	/// stored update one trained from its own round's model. Reads at most `MaxActiveTasks`
	/// live tasks plus the ended ones not yet pruned, and their unpruned updates.
	pub struct RecordSynchronousPacing<T>(PhantomData<T>);

	impl<T: Config> UncheckedOnRuntimeUpgrade for RecordSynchronousPacing<T> {
		fn on_runtime_upgrade() -> Weight {
			let mut moved = 0u64;
			Tasks::<T>::translate::<TaskInfoV2<T>, _>(|_, old| {
				moved += 1;
				Some(old.0)
			});
			moved += record_fresh_updates::<T>();
			T::DbWeight::get().reads_writes(moved, moved)
		}
	}

	/// [`RecordSynchronousPacing`] from storage version 2 to 3, once.
	pub type MigrateToV3<T> = VersionedMigration<
		2,
		3,
		RecordSynchronousPacing<T>,
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
		let full = version_2_bytes(info);
		let spec_end = (&info.owner, &info.spec).encoded_size() - 1;
		[&full[..spec_end - 1], &full[spec_end..]].concat()
	}

	/// `info` (synchronous) encoded as version 2 stored it, without `pacing`.
	fn version_2_bytes(info: &TaskInfoOf<Test>) -> Vec<u8> {
		assert_eq!(info.spec.pacing, Pacing::Synchronous);
		let full = info.encode();
		let spec_end = (&info.owner, &info.spec).encoded_size();
		[&full[..spec_end - 1], &full[spec_end..]].concat()
	}

	/// An update of round `round` as stored before version 3, and as read after it.
	fn version_2_update(round: RoundIndex) -> (Vec<u8>, UpdateOf<Test>) {
		let update = UpdateInfo {
			subgroup: 1,
			cid: cid(b"bafy-update"),
			commitment: H256::repeat_byte(9),
			num_samples: 40,
			submitted_at: 7,
			trained_from: round,
		};
		let bytes =
			(update.subgroup, &update.cid, update.commitment, update.num_samples, 7u64).encode();
		(bytes, update)
	}

	#[test]
	fn stored_tasks_become_synchronous_and_their_updates_fresh_once() {
		ExtBuilder::default().build_and_execute(|| {
			let id = create();
			let info = Tasks::<Test>::get(id).expect("created");
			unhashed::put_raw(&Tasks::<Test>::hashed_key_for(id), &version_2_bytes(&info));
			let (bytes, update) = version_2_update(3);
			unhashed::put_raw(&Updates::<Test>::hashed_key_for((id, 3), 11), &bytes);
			StorageVersion::new(2).put::<DinTasks>();
			assert_eq!(Tasks::<Test>::get(id), None, "version 2 bytes do not decode as today's");
			assert_eq!(Updates::<Test>::get((id, 3), 11), None);

			v3::MigrateToV3::<Test>::on_runtime_upgrade();

			assert_eq!(Tasks::<Test>::get(id), Some(info.clone()));
			assert_eq!(Updates::<Test>::get((id, 3), 11), Some(update.clone()));
			assert_eq!(DinTasks::on_chain_storage_version(), 3);
			v3::MigrateToV3::<Test>::on_runtime_upgrade();
			assert_eq!(Tasks::<Test>::get(id), Some(info));
			assert_eq!(Updates::<Test>::get((id, 3), 11), Some(update));
		});
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
			assert_eq!(DinTasks::on_chain_storage_version(), 3);
			// A second run is a no-op (it would misread today's layout as version 0), and so
			// are the steps from versions 1 and 2, which would misread it as theirs.
			v1::MigrateFromV0::<Test>::on_runtime_upgrade();
			v2::MigrateToV2::<Test>::on_runtime_upgrade();
			v3::MigrateToV3::<Test>::on_runtime_upgrade();
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
			assert_eq!(DinTasks::on_chain_storage_version(), 3);
			v2::MigrateToV2::<Test>::on_runtime_upgrade();
			v3::MigrateToV3::<Test>::on_runtime_upgrade();
			assert_eq!(Tasks::<Test>::get(id), Some(info));
		});
	}
}
