//! Secure aggregation's round on chain (`AggregationRule::SecureFedAvg`): the chain is the
//! SecAgg server's consistent view of who advertised, who uploaded and who handed over, so
//! that every member and every evaluator acts on the same sets.
//!
//! Each participant registers a *share key* once per task ([`Pallet::register_share_key`]);
//! the members of a subgroup that had one when the round started are its *eligible*
//! members, numbered in seat order. Training then has three steps per subgroup, each closing
//! when every member that can act on it has, or at its cutoff
//! ([`din_primitives::secure_step_cutoffs`], a third of the phase each):
//!
//! 1. [`Pallet::advertise_round_key`]: an eligible member's round key, the commitment to its
//!    self-mask seed, and its Shamir shares sealed for every other eligible member.
//! 2. [`Pallet::submit_update`]: the masked update (a `DINS` artifact), from a member that
//!    advertised, once the key set is closed (so every member masks against the same set)
//!    and only if at least [`din_primitives::MIN_SECURE_SUBGROUP`] advertised.
//! 3. [`Pallet::hand_over_shares`]: once the uploads are closed, each member that uploaded
//!    hands over, for each member that advertised, its share of the self seed (that member
//!    uploaded) or of the round key secret (it did not): never both, since the chain's one
//!    record of the uploads decides the kind for everyone.
//!
//! Training ends at the next block once every subgroup's uploaders have handed over. The
//! evaluators then unmask each subgroup's sum from the uploads and the hand-overs
//! (`din_secagg::unmask::recover`) and vote on its FedAvg as for any other rule.

use super::*;
use polkadot_sdk::sp_runtime::traits::UniqueSaturatedInto;

impl<T: Config> Pallet<T> {
	/// The eligible members of `subgroup` of `task`'s current round, which started at
	/// `started_at`: its seated members with a share key registered before that block, in
	/// seat order, with their share keys.
	pub fn eligible_members(
		task: TaskId,
		subgroup: SubgroupIndex,
		started_at: BlockNumberFor<T>,
	) -> Vec<(T::AccountId, [u8; 32])> {
		Subgroups::<T>::get(task, subgroup)
			.into_iter()
			.filter_map(|who| {
				let (key, registered_at) = ShareKeys::<T>::get(task, &who)?;
				(registered_at < started_at).then_some((who, key))
			})
			.collect()
	}

	/// The runtime API's view of `subgroup` of the current `round` of `task`.
	pub fn secure_round_view(
		task: TaskId,
		round: RoundIndex,
		subgroup: SubgroupIndex,
	) -> Option<crate::runtime_api::SecureRoundView<T::AccountId>> {
		let info = Tasks::<T>::get(task)?;
		if !info.spec.aggregation.is_secure() || info.round != round {
			return None;
		}
		let record = Rounds::<T>::get(task, round)?;
		let (key_cutoff, upload_cutoff) = Self::step_cutoffs(&info, &record);
		let eligible = Self::eligible_members(task, subgroup, record.started_at);
		let mut keys: Vec<(T::AccountId, RoundKey)> = RoundKeys::<T>::iter_prefix((task, round))
			.filter(|(_, key)| key.subgroup == subgroup)
			.collect();
		keys.sort_by_key(|(_, key)| key.member);
		let handovers = keys
			.iter()
			.filter_map(|(who, _)| Some((who.clone(), Handovers::<T>::get((task, round), who)?)))
			.collect();
		Some(crate::runtime_api::SecureRoundView {
			key_cutoff,
			upload_cutoff,
			eligible,
			progress: SecureRounds::<T>::get((task, round), subgroup),
			keys,
			handovers,
		})
	}

	/// The cutoffs of the key and upload steps of `round` of the task `info`.
	fn step_cutoffs(info: &TaskInfoOf<T>, round: &RoundInfoOf<T>) -> (u64, u64) {
		din_primitives::secure_step_cutoffs(
			round.started_at.unique_saturated_into(),
			info.spec.phases.training.unique_saturated_into(),
		)
	}

	fn now_u64() -> u64 {
		frame_system::Pallet::<T>::block_number().unique_saturated_into()
	}

	/// The current round of a secure task in Training that `who` is assigned in.
	fn secure_round_of(
		task: TaskId,
		round: RoundIndex,
		who: &T::AccountId,
	) -> Result<(TaskInfoOf<T>, RoundInfoOf<T>, SubgroupIndex), DispatchError> {
		let info = Tasks::<T>::get(task).ok_or(Error::<T>::UnknownTask)?;
		ensure!(info.spec.aggregation.is_secure(), Error::<T>::NotSecureAggregation);
		ensure!(info.phase == TaskPhase::Training, Error::<T>::NotTraining);
		ensure!(info.round == round, Error::<T>::WrongRound);
		let assignment = Assignments::<T>::get(task, who)
			.filter(|a| a.round == round)
			.ok_or(Error::<T>::NotAssigned)?;
		let record = Rounds::<T>::get(task, round).ok_or(Error::<T>::NotTraining)?;
		Ok((info, record, assignment.subgroup))
	}

	pub(crate) fn do_register_share_key(
		who: T::AccountId,
		task: TaskId,
		key: [u8; 32],
	) -> DispatchResult {
		let info = Tasks::<T>::get(task).ok_or(Error::<T>::UnknownTask)?;
		ensure!(info.spec.aggregation.is_secure(), Error::<T>::NotSecureAggregation);
		ensure!(!info.phase.is_terminal(), Error::<T>::TaskEnded);
		ensure!(
			Participants::<T>::get(task).iter().any(|p| p.who == who && p.is_active()),
			Error::<T>::NotParticipant
		);
		ensure!(!din_secagg::keys::is_small_order(&key), Error::<T>::SmallOrderKey);
		ensure!(!ShareKeys::<T>::contains_key(task, &who), Error::<T>::ShareKeyAlreadyRegistered);
		ShareKeys::<T>::insert(task, &who, (key, frame_system::Pallet::<T>::block_number()));
		Self::deposit_event(Event::ShareKeyRegistered { task, who, key });
		Ok(())
	}

	pub(crate) fn do_advertise(
		who: T::AccountId,
		task: TaskId,
		round: RoundIndex,
		public: [u8; 32],
		self_seed_commitment: [u8; 32],
		sealed: BoundedVec<SealedShares, MaxSealedShares>,
	) -> DispatchResult {
		let (info, record, subgroup) = Self::secure_round_of(task, round, &who)?;
		ensure!(!din_secagg::keys::is_small_order(&public), Error::<T>::SmallOrderKey);
		ensure!(!RoundKeys::<T>::contains_key((task, round), &who), Error::<T>::AlreadyAdvertised);
		let eligible = Self::eligible_members(task, subgroup, record.started_at);
		let member =
			eligible.iter().position(|(m, _)| *m == who).ok_or(Error::<T>::NoShareKey)? as u32;
		let mut progress = SecureRounds::<T>::get((task, round), subgroup);
		progress.eligible = eligible.len() as u32;
		let (key_cutoff, _) = Self::step_cutoffs(&info, &record);
		ensure!(Self::now_u64() < key_cutoff, Error::<T>::KeyStepClosed);
		ensure!(sealed.len() + 1 == eligible.len(), Error::<T>::WrongShareCount);
		progress.advertised |= 1 << member;
		SecureRounds::<T>::insert((task, round), subgroup, progress);
		RoundKeys::<T>::insert(
			(task, round),
			&who,
			RoundKey { subgroup, member, public, self_seed_commitment, sealed },
		);
		Self::deposit_event(Event::RoundKeyAdvertised { task, round, who, subgroup, member });
		Ok(())
	}

	/// Check that `who` may upload its masked update now and record it in its subgroup's
	/// progress.
	pub(crate) fn record_masked_upload(
		who: &T::AccountId,
		task: TaskId,
		info: &TaskInfoOf<T>,
		round: RoundIndex,
		subgroup: SubgroupIndex,
	) -> DispatchResult {
		let record = Rounds::<T>::get(task, round).ok_or(Error::<T>::NotTraining)?;
		let key = RoundKeys::<T>::get((task, round), who).ok_or(Error::<T>::NotAdvertised)?;
		let mut progress = SecureRounds::<T>::get((task, round), subgroup);
		let (key_cutoff, upload_cutoff) = Self::step_cutoffs(info, &record);
		let now = Self::now_u64();
		ensure!(progress.all_advertised() || now >= key_cutoff, Error::<T>::KeyStepOpen);
		ensure!(now < upload_cutoff, Error::<T>::UploadStepClosed);
		ensure!(
			progress.advertised.count_ones() >= din_primitives::MIN_SECURE_SUBGROUP,
			Error::<T>::TooFewToMask
		);
		progress.uploaded |= 1 << key.member;
		SecureRounds::<T>::insert((task, round), subgroup, progress);
		Ok(())
	}

	pub(crate) fn do_hand_over(
		who: T::AccountId,
		task: TaskId,
		round: RoundIndex,
		shares: Handover,
	) -> DispatchResult {
		let (info, record, subgroup) = Self::secure_round_of(task, round, &who)?;
		let key = RoundKeys::<T>::get((task, round), &who).ok_or(Error::<T>::NotAdvertised)?;
		let mut progress = SecureRounds::<T>::get((task, round), subgroup);
		ensure!(progress.uploaded & (1 << key.member) != 0, Error::<T>::NotUploaded);
		ensure!(progress.handed & (1 << key.member) == 0, Error::<T>::AlreadyHandedOver);
		let (_, upload_cutoff) = Self::step_cutoffs(&info, &record);
		ensure!(
			progress.all_uploaded() || Self::now_u64() >= upload_cutoff,
			Error::<T>::UploadStepOpen
		);
		let mut previous = None;
		for handed in shares.iter() {
			ensure!(previous < Some(handed.owner), Error::<T>::SharesNotSorted);
			ensure!(
				handed.owner < 32 && progress.advertised & (1 << handed.owner) != 0,
				Error::<T>::UnknownShareOwner
			);
			previous = Some(handed.owner);
		}
		progress.handed |= 1 << key.member;
		SecureRounds::<T>::insert((task, round), subgroup, progress);
		let count = shares.len() as u32;
		Handovers::<T>::insert((task, round), &who, shares);
		Self::deposit_event(Event::SharesHandedOver { task, round, who, subgroup, shares: count });
		if progress.all_handed() {
			let done = SecureSubgroupsDone::<T>::mutate((task, round), |done| {
				*done = done.saturating_add(1);
				*done
			});
			if done >= record.subgroups {
				// Every subgroup can be unmasked: aggregation need not wait.
				let now = frame_system::Pallet::<T>::block_number();
				Self::close_early(task, info, round, TaskPhase::Training, now);
			}
		}
		Ok(())
	}
}
