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
	/// Settle an ending task: refund what is left of the pool, release participants'
	/// locks, clear the current assignment, queue its records for pruning. Returns the
	/// refund and the participant count.
	pub(crate) fn end_task(task: TaskId, info: &mut TaskInfoOf<T>) -> (BalanceOf<T>, u32) {
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
		let participants = Participants::<T>::take(task);
		for participant in participants.iter() {
			T::Staking::unlock(&participant.who, Role::Participant, info.spec.min_participant_bond);
		}
		let limit = T::MaxParticipants::get();
		let _ = Assignments::<T>::clear_prefix(task, limit, None);
		let _ = Subgroups::<T>::clear_prefix(task, limit, None);
		RoundDeferrals::<T>::remove(task);
		ActiveTasks::<T>::mutate(|n| n.saturating_dec());
		Self::queue_for_pruning(task);
		(refund, participants.len() as u32)
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
