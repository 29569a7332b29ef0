//! The reward pool escrow: what happens to the funds held at [`Pallet::create_task`].
//!
//! The pool stays on the owner's account under [`HoldReason::RewardPool`] for the task's
//! whole life. The rewards pallet pays and burns from it through [`TaskEscrow`], each
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
		let refund = T::Currency::release(
			&HoldReason::RewardPool.into(),
			&info.owner,
			info.remaining,
			Precision::BestEffort,
		)
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
	/// (given the owner). All or nothing. Returns the task's round and owner.
	fn spend_pool(
		task: TaskId,
		amount: BalanceOf<T>,
		spend: impl FnOnce(&T::AccountId) -> Result<BalanceOf<T>, DispatchError>,
	) -> Result<(RoundIndex, T::AccountId), DispatchError> {
		Tasks::<T>::try_mutate(task, |maybe| {
			let info = maybe.as_mut().ok_or(Error::<T>::UnknownTask)?;
			ensure!(amount <= info.remaining, Error::<T>::PoolExhausted);
			spend(&info.owner)?;
			info.remaining = info.remaining.saturating_sub(amount);
			Ok((info.round, info.owner.clone()))
		})
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
		let (round, _) = Self::spend_pool(task, amount, |owner| {
			T::Currency::transfer_on_hold(
				&HoldReason::RewardPool.into(),
				owner,
				dest,
				amount,
				Precision::Exact,
				Restriction::Free,
				Fortitude::Polite,
			)
		})?;
		Self::deposit_event(Event::PoolPaid { task, round, who: dest.clone(), amount });
		Ok(())
	}

	fn burn(task: TaskId, amount: BalanceOf<T>) -> Result<(), DispatchError> {
		let (round, owner) = Self::spend_pool(task, amount, |owner| {
			T::Currency::burn_held(
				&HoldReason::RewardPool.into(),
				owner,
				amount,
				Precision::Exact,
				Fortitude::Polite,
			)
		})?;
		Self::deposit_event(Event::PoolBurned { task, round, owner, amount });
		Ok(())
	}
}
