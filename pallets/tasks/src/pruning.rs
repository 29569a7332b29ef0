//! The end of an ended task's records: a storage deposit held while they exist, and their
//! pruning once [`Config::RecordRetention`] has passed.
//!
//! A task is state its owner creates with a refundable pool: its own record, a round
//! record and every participant's update per round, and on the evaluation side the
//! subgroup results, the global models and the released test key. Each task therefore holds
//! a deposit from its owner ([`Pallet::task_deposit`]), and once it has ended (finished,
//! cancelled or expired) and its retention has passed, `on_idle` removes those records and
//! releases the deposit ([`Event::TaskPruned`]).
//!
//! Pruning only spends the weight a block leaves unused, so it never takes room from
//! transactions or deadlines; under load it simply waits. Ended tasks queue in the order
//! they ended ([`PruneQueue`]); with one retention for all, that is the order they fall due
//! in, so each block looks only at the front of the queue. A task is pruned one step at a
//! time: one round's updates (the largest part, [`Config::MaxParticipants`] entries), then
//! its round record, then the lifecycle side's records
//! ([`RoundLifecycle::prune_task_records`]), then the task itself. Records are removed by
//! draining their keys, which sees removals made earlier in the same block, so a block can
//! take several steps.

use super::*;
use din_primitives::{slice_within, WorkSlice};

impl<T: Config> Pallet<T> {
	/// The deposit a task created from `spec` holds: a base, per byte of the encoded spec
	/// and per round.
	pub fn task_deposit(spec: &TaskSpecOf<T>) -> BalanceOf<T> {
		let bytes = u32::try_from(spec.encoded_size()).unwrap_or(u32::MAX);
		T::TaskDepositBase::get()
			.saturating_add(T::TaskDepositPerByte::get().saturating_mul(bytes.into()))
			.saturating_add(T::TaskDepositPerRound::get().saturating_mul(spec.rounds.into()))
	}

	/// Queue the records of `task`, which has just ended, for pruning after the retention.
	pub(crate) fn queue_for_pruning(task: TaskId) {
		let now = frame_system::Pallet::<T>::block_number();
		let due = now.saturating_add(T::RecordRetention::get());
		PruneQueueBounds::<T>::mutate(|(_, next)| {
			PruneQueue::<T>::insert(*next, PruneEntry { task, due, lifecycle_done: false });
			*next = next.wrapping_add(1);
		});
	}

	/// Prune the records of the due tasks at the front of the queue with at most `budget`;
	/// returns the weight used: nothing when the budget cannot take a look at the queue and
	/// the smallest step, else a look per step taken plus the steps.
	pub(crate) fn prune_within(now: BlockNumberFor<T>, budget: Weight) -> Weight {
		let look = T::WeightInfo::on_idle_nothing_due();
		// The smallest step of this pallet: a round with one update, or the task's record.
		let step = T::WeightInfo::on_idle_prune_round(1).max(T::WeightInfo::on_idle_task_pruned());
		let mut used = Weight::zero();
		while look.saturating_add(step).all_lte(budget.saturating_sub(used)) {
			used.saturating_accrue(look);
			let (front, next) = PruneQueueBounds::<T>::get();
			if front == next {
				break;
			}
			let Some(mut entry) = PruneQueue::<T>::get(front) else {
				// Unreachable while the bounds and the queue agree; skip rather than stall.
				PruneQueueBounds::<T>::put((front.wrapping_add(1), next));
				continue;
			};
			if entry.due > now {
				break;
			}
			let slice = Self::prune_step(&mut entry, budget.saturating_sub(used));
			used.saturating_accrue(slice.weight);
			if slice.done {
				PruneQueue::<T>::remove(front);
				PruneQueueBounds::<T>::put((front.wrapping_add(1), next));
			} else {
				PruneQueue::<T>::insert(front, entry);
				if slice.weight.is_zero() {
					// Nothing measured was done (the lifecycle side needs more than this
					// block leaves, or has nothing to report): go on in another block.
					break;
				}
			}
		}
		used
	}

	/// One step of pruning `entry`'s task within `budget` (at least this pallet's smallest
	/// step): a slice of one round's updates (and the round's record once they are gone),
	/// else a slice of the lifecycle side's records, else the task's record and deposit.
	pub(crate) fn prune_step(
		entry: &mut PruneEntry<BlockNumberFor<T>>,
		budget: Weight,
	) -> WorkSlice {
		let task = entry.task;
		if let Some(round) = Rounds::<T>::iter_key_prefix(task).next() {
			let limit = slice_within(T::MaxParticipants::get(), budget, |k| {
				T::WeightInfo::on_idle_prune_round(k)
			});
			let removed = Self::prune_round(task, round, limit);
			return WorkSlice::more(T::WeightInfo::on_idle_prune_round(removed.max(1)));
		}
		if ShareKeys::<T>::iter_key_prefix(task).next().is_some() {
			let limit = slice_within(T::MaxParticipants::get(), budget, |k| {
				T::WeightInfo::on_idle_prune_round(k)
			});
			let removed = ShareKeys::<T>::drain_prefix(task).take(limit as usize).count() as u32;
			return WorkSlice::more(T::WeightInfo::on_idle_prune_round(removed.max(1)));
		}
		if !entry.lifecycle_done {
			let slice = T::Lifecycle::prune_task_records(task, budget);
			entry.lifecycle_done = slice.done;
			return WorkSlice::more(slice.weight);
		}
		Self::forget(task);
		WorkSlice::done(T::WeightInfo::on_idle_task_pruned())
	}

	/// Remove up to `limit` updates of `round` of `task`, and the round's record once a call
	/// finds fewer than that; returns the updates removed.
	/// A secure round's keys, hand-overs and progress go with its updates, from the same
	/// limit (each of them is at most one entry per participant or subgroup).
	pub(crate) fn prune_round(task: TaskId, round: RoundIndex, limit: u32) -> u32 {
		let mut removed = 0u32;
		let mut take = |drained: &mut dyn Iterator<Item = ()>| {
			removed += drained.take(limit.saturating_sub(removed) as usize).count() as u32;
		};
		take(&mut Updates::<T>::drain_prefix((task, round)).map(|_| ()));
		take(&mut RoundKeys::<T>::drain_prefix((task, round)).map(|_| ()));
		take(&mut Handovers::<T>::drain_prefix((task, round)).map(|_| ()));
		take(&mut SecureRounds::<T>::drain_prefix((task, round)).map(|_| ()));
		if removed < limit {
			SecureSubgroupsDone::<T>::remove((task, round));
			Rounds::<T>::remove(task, round);
		}
		removed
	}

	/// Remove the task's own record and release its deposit; the last step.
	fn forget(task: TaskId) {
		let Some(info) = Tasks::<T>::take(task) else { return };
		let deposit = TaskDeposits::<T>::take(task).unwrap_or_else(Zero::zero);
		let released = T::Currency::release(
			&HoldReason::TaskDeposit.into(),
			&info.owner,
			deposit,
			Precision::BestEffort,
		)
		.unwrap_or_else(|e| {
			log::error!(target: LOG_TARGET, "release of task {task}'s deposit failed: {e:?}");
			Zero::zero()
		});
		Self::deposit_event(Event::TaskPruned { task, owner: info.owner, deposit: released });
	}

	/// Per owner, the balance held for task deposits equals the deposits of its tasks; the
	/// queue holds only ended tasks, each once.
	#[cfg(any(feature = "try-runtime", feature = "std"))]
	pub(crate) fn try_state_pruning() -> Result<(), polkadot_sdk::sp_runtime::TryRuntimeError> {
		use alloc::collections::btree_map::BTreeMap;
		use frame_support::traits::fungible::InspectHold;
		let mut deposits: BTreeMap<T::AccountId, BalanceOf<T>> = BTreeMap::new();
		for (task, deposit) in TaskDeposits::<T>::iter() {
			let info = Tasks::<T>::get(task).ok_or("a deposit for a task that is gone")?;
			let entry = deposits.entry(info.owner).or_default();
			*entry = entry.saturating_add(deposit);
		}
		for (owner, deposit) in deposits {
			let held = T::Currency::balance_on_hold(&HoldReason::TaskDeposit.into(), &owner);
			ensure!(held == deposit, "held task deposits differ from the recorded ones");
		}
		let (front, next) = PruneQueueBounds::<T>::get();
		let queued = next.wrapping_sub(front);
		ensure!(PruneQueue::<T>::iter().count() == queued as usize, "prune queue bounds are off");
		let mut seen = alloc::collections::btree_set::BTreeSet::new();
		for (_, PruneEntry { task, .. }) in PruneQueue::<T>::iter() {
			ensure!(seen.insert(task), "a task is queued for pruning twice");
			if let Some(info) = Tasks::<T>::get(task) {
				ensure!(info.phase.is_terminal(), "a live task is queued for pruning");
			}
		}
		Ok(())
	}
}
