//! The reward pool escrow: what happens to the funds held at [`Pallet::create_task`].
//!
//! The pool stays on the owner's account under [`HoldReason::RewardPool`] for the task's
//! whole life, in the task's [`RewardAsset`]: the native token through
//! [`Config::Currency`], a `pallet-assets` asset through [`Config::Assets`] (the `*_pool`
//! functions below are the only places that tell the two apart). The rewards pallet pays and burns from it through [`TaskEscrow`], each
//! movement taken off the task's `remaining` budget all or nothing (`spend_pool`); whatever
//! is left is released back to the owner when the task ends or is cancelled (`end_task`,
//! which also releases the participants' bond locks). Every release of held funds lives in
//! this file, so the `try_state` invariant (held = sum of `remaining`) can be checked
//! against one place.

use super::*;

impl<T: Config> Pallet<T> {
	/// Settle an ending task: refund what is left of the pool, then release up to `most`
	/// participants' bonds (see [`Self::release_participants`]). Returns the refund and the
	/// participants released now.
	pub(crate) fn end_task(
		task: TaskId,
		info: &mut TaskInfoOf<T>,
		now: BlockNumberFor<T>,
		most: u32,
	) -> (BalanceOf<T>, u32) {
		let refund = Self::release_pool(info.spec.reward.asset, &info.owner, info.remaining)
			.unwrap_or_else(|e| {
				log::error!(target: LOG_TARGET, "refund of task {task} failed: {e:?}");
				Zero::zero()
			});
		info.remaining = Zero::zero();
		(refund, Self::release_participants(task, info, now, most))
	}

	/// Release the bonds of up to `most` participants of the ended `task` (from the end of
	/// its list) and drop their entries and assignments. With the list empty the task is
	/// retired: its subgroups go, it leaves `ActiveTasks` and queues for pruning. Otherwise
	/// it keeps a deadline in the next block, where `on_initialize` releases the next slice:
	/// a task end over `MaxParticipants` would not fit one block's share. Returns how many
	/// were released.
	pub(crate) fn release_participants(
		task: TaskId,
		info: &mut TaskInfoOf<T>,
		now: BlockNumberFor<T>,
		most: u32,
	) -> u32 {
		let mut staying = Participants::<T>::take(task).into_inner();
		let released = staying.split_off(staying.len().saturating_sub(most as usize));
		for participant in &released {
			T::Staking::unlock(&participant.who, Role::Participant, info.spec.min_participant_bond);
			Assignments::<T>::remove(task, &participant.who);
		}
		let remaining = staying.len() as u32;
		if !released.is_empty() {
			Self::deposit_event(Event::ParticipantsReleased {
				task,
				released: released.len() as u32,
				remaining,
			});
		}
		if staying.is_empty() {
			let _ = Subgroups::<T>::clear_prefix(task, T::MaxParticipants::get(), None);
			RoundDeferrals::<T>::remove(task);
			ActiveTasks::<T>::mutate(|n| n.saturating_dec());
			Self::queue_for_pruning(task);
		} else {
			// Fewer entries than were read: within the bound.
			Participants::<T>::insert(task, ParticipantsOf::<T>::truncate_from(staying));
			info.phase_ends = Self::schedule(task, now.saturating_add(1u32.into()));
		}
		released.len() as u32
	}

	/// Take `amount` off the remaining budget of `task`, moving the held funds with `spend`
	/// (given the pool's asset and the owner). All or nothing. Returns the task's round and
	/// owner.
	fn spend_pool(
		task: TaskId,
		amount: BalanceOf<T>,
		spend: impl FnOnce(RewardAsset, &T::AccountId) -> Result<BalanceOf<T>, DispatchError>,
	) -> Result<(RoundIndex, T::AccountId), DispatchError> {
		Tasks::<T>::try_mutate(task, |maybe| {
			let info = maybe.as_mut().ok_or(Error::<T>::UnknownTask)?;
			ensure!(amount <= info.remaining, Error::<T>::PoolExhausted);
			spend(info.spec.reward.asset, &info.owner)?;
			info.remaining = info.remaining.saturating_sub(amount);
			Ok((info.round, info.owner.clone()))
		})
	}

	/// Hold `amount` of `asset` on `who` for a reward pool (at creation and top-up).
	pub(crate) fn hold_pool(
		asset: RewardAsset,
		who: &T::AccountId,
		amount: BalanceOf<T>,
	) -> DispatchResult {
		let reason = HoldReason::RewardPool.into();
		match asset {
			RewardAsset::Native => T::Currency::hold(&reason, who, amount),
			RewardAsset::Asset(id) => {
				<T::Assets as fungibles::MutateHold<_>>::hold(id, &reason, who, amount)
			},
		}
	}

	/// How much of `asset` is held on `who` for reward pools (all its tasks in that asset).
	#[cfg(any(feature = "try-runtime", feature = "std"))]
	pub(crate) fn pool_on_hold(asset: RewardAsset, who: &T::AccountId) -> BalanceOf<T> {
		let reason = HoldReason::RewardPool.into();
		match asset {
			RewardAsset::Native => {
				<T::Currency as fungible::InspectHold<_>>::balance_on_hold(&reason, who)
			},
			RewardAsset::Asset(id) => {
				<T::Assets as fungibles::InspectHold<_>>::balance_on_hold(id, &reason, who)
			},
		}
	}

	/// Release up to `amount` of `asset` held for a pool back to `who`'s free balance.
	fn release_pool(
		asset: RewardAsset,
		who: &T::AccountId,
		amount: BalanceOf<T>,
	) -> Result<BalanceOf<T>, DispatchError> {
		let reason = HoldReason::RewardPool.into();
		match asset {
			RewardAsset::Native => {
				T::Currency::release(&reason, who, amount, Precision::BestEffort)
			},
			RewardAsset::Asset(id) => <T::Assets as fungibles::MutateHold<_>>::release(
				id,
				&reason,
				who,
				amount,
				Precision::BestEffort,
			),
		}
	}

	/// Move exactly `amount` of `asset` held for the pool on `owner` to `dest`'s free balance.
	fn transfer_held_pool(
		asset: RewardAsset,
		owner: &T::AccountId,
		dest: &T::AccountId,
		amount: BalanceOf<T>,
	) -> Result<BalanceOf<T>, DispatchError> {
		let reason = HoldReason::RewardPool.into();
		let (precision, restriction, fortitude) =
			(Precision::Exact, Restriction::Free, Fortitude::Polite);
		match asset {
			RewardAsset::Native => T::Currency::transfer_on_hold(
				&reason,
				owner,
				dest,
				amount,
				precision,
				restriction,
				fortitude,
			),
			RewardAsset::Asset(id) => <T::Assets as fungibles::MutateHold<_>>::transfer_on_hold(
				id,
				&reason,
				owner,
				dest,
				amount,
				precision,
				restriction,
				fortitude,
			),
		}
	}

	/// Burn exactly `amount` of `asset` held for the pool on `owner`.
	fn burn_held_pool(
		asset: RewardAsset,
		owner: &T::AccountId,
		amount: BalanceOf<T>,
	) -> Result<BalanceOf<T>, DispatchError> {
		let reason = HoldReason::RewardPool.into();
		match asset {
			RewardAsset::Native => {
				T::Currency::burn_held(&reason, owner, amount, Precision::Exact, Fortitude::Polite)
			},
			RewardAsset::Asset(id) => <T::Assets as fungibles::MutateHold<_>>::burn_held(
				id,
				&reason,
				owner,
				amount,
				Precision::Exact,
				Fortitude::Polite,
			),
		}
	}
}

impl<T: Config> TaskEscrow<T::AccountId, BalanceOf<T>> for Pallet<T> {
	fn owner(task: TaskId) -> Option<T::AccountId> {
		Tasks::<T>::get(task).map(|t| t.owner)
	}

	fn remaining(task: TaskId) -> BalanceOf<T> {
		Tasks::<T>::get(task).map(|t| t.remaining).unwrap_or_default()
	}

	fn pay(task: TaskId, dest: &T::AccountId, amount: BalanceOf<T>) -> Result<(), DispatchError> {
		let (round, _) = Self::spend_pool(task, amount, |asset, owner| {
			Self::transfer_held_pool(asset, owner, dest, amount)
		})?;
		Self::deposit_event(Event::PoolPaid { task, round, who: dest.clone(), amount });
		Ok(())
	}

	fn burn(task: TaskId, amount: BalanceOf<T>) -> Result<(), DispatchError> {
		let (round, owner) = Self::spend_pool(task, amount, |asset, owner| {
			Self::burn_held_pool(asset, owner, amount)
		})?;
		Self::deposit_event(Event::PoolBurned { task, round, owner, amount });
		Ok(())
	}
}
