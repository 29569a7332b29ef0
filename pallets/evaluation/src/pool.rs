//! The evaluator pool and sortition: who may evaluate, and which of them sit on the panels
//! of a round.
//!
//! Sortition is one weighted draw per round start, over the pool as it is at that block:
//! each evaluator's weight is `bond × (evaluator reputation + 1)` and it can take as many
//! seats as its unlocked bond covers task evaluator bonds. The draw itself is the pure
//! [`draw_panels`](crate::types::draw_panels) in `types.rs`; this file only gathers the
//! candidates, seeds the draw with the runtime's randomness, and seats the result (locks
//! and records), so that a refused draw leaves nothing behind but its event.

use super::*;

impl<T: Config> Pallet<T> {
	/// Add `who` to the pool; returns the pool's new size.
	pub(crate) fn join_pool(who: &T::AccountId) -> Result<u32, DispatchError> {
		Pool::<T>::try_mutate(|pool| -> Result<u32, DispatchError> {
			ensure!(!pool.contains(who), Error::<T>::AlreadyRegistered);
			pool.try_push(who.clone()).map_err(|_| Error::<T>::PoolFull)?;
			Ok(pool.len() as u32)
		})
	}

	/// Remove `who` from the pool; returns the pool's size before.
	pub(crate) fn leave_pool(who: &T::AccountId) -> Result<u32, DispatchError> {
		Pool::<T>::try_mutate(|pool| -> Result<u32, DispatchError> {
			let at = pool.iter().position(|a| a == who).ok_or(Error::<T>::NotRegistered)?;
			pool.remove(at);
			Ok(pool.len() as u32 + 1)
		})
	}

	/// Whether `who` holds a seat in `round` of `task`.
	pub(crate) fn is_round_evaluator(task: TaskId, round: RoundIndex, who: &T::AccountId) -> bool {
		RoundEvaluators::<T>::get(task, round).iter().any(|(a, _)| a == who)
	}

	/// Draw the panels of `round`, lock one evaluator bond per seat, record them.
	pub(crate) fn start_round(
		task: TaskId,
		round: RoundIndex,
		subgroups: SubgroupIndex,
	) -> Result<(), DispatchError> {
		let terms = T::Tasks::terms(task).ok_or(Error::<T>::UnknownTask)?;
		ensure!(subgroups <= T::MaxSubgroups::get(), Error::<T>::TooManySubgroups);
		let q = terms.evaluators_per_subgroup;
		ensure!(q <= T::MaxPanelSize::get(), Error::<T>::PanelTooLarge);
		let seat = terms.min_evaluator_bond;
		let mut candidates: Vec<Candidate<T::AccountId>> = Pool::<T>::get()
			.into_iter()
			.filter_map(|who| {
				let bond = T::Staking::bonded(&who, Role::Evaluator);
				let free = bond.saturating_sub(T::Staking::locked(&who, Role::Evaluator));
				let seats: u128 = if seat.is_zero() {
					u32::MAX as u128
				} else {
					(free / seat).unique_saturated_into()
				};
				let seats_left = seats.min(u32::MAX as u128) as u32;
				let reputation = T::Staking::reputation(&who, Role::Evaluator) as u128;
				let weight = UniqueSaturatedInto::<u128>::unique_saturated_into(bond)
					.saturating_mul(reputation.saturating_add(1));
				(seats_left > 0).then_some(Candidate { who, weight, seats_left })
			})
			.collect();
		let subject = (b"din/sortition", task, round).encode();
		let (seed, _) = T::Randomness::random(&subject);
		// The draw only reads; a refusal leaves no trace but its event.
		let panels = draw_panels(&mut candidates, subgroups, q, seed.as_ref()).map_err(|e| {
			Self::deposit_event(Event::SortitionDeferred {
				task,
				round,
				subgroup: e.subgroup,
				eligible: e.eligible,
				required: q,
			});
			Error::<T>::PoolTooSmall
		})?;
		// Every seat was counted against the evaluator's free bond, so the locks succeed;
		// should one fail anyway, the layer rolls back the locks taken before it.
		with_storage_layer(|| Self::seat_panels(task, round, seat, panels))
	}

	/// Lock one evaluator bond per seat and record the panels and the round's evaluators.
	fn seat_panels(
		task: TaskId,
		round: RoundIndex,
		seat: T::Balance,
		panels: Vec<Vec<T::AccountId>>,
	) -> DispatchResult {
		let mut seats: Vec<(T::AccountId, u32)> = Vec::new();
		for (s, panel) in panels.into_iter().enumerate() {
			for who in panel.iter() {
				T::Staking::lock(who, Role::Evaluator, seat)?;
				match seats.iter_mut().find(|(a, _)| a == who) {
					Some((_, n)) => *n = n.saturating_add(1),
					None => seats.push((who.clone(), 1)),
				}
			}
			let bounded =
				PanelOf::<T>::try_from(panel.clone()).map_err(|_| Error::<T>::PanelTooLarge)?;
			Panels::<T>::insert(task, (round, s as SubgroupIndex), bounded);
			Self::deposit_event(Event::PanelDrawn {
				task,
				round,
				subgroup: s as SubgroupIndex,
				evaluators: panel,
			});
		}
		// Distinct evaluators come from the pool, so they fit its bound.
		RoundEvaluators::<T>::insert(task, round, SeatsOf::<T>::truncate_from(seats));
		Ok(())
	}

	/// The pool has no duplicates and every panel holds distinct evaluators.
	#[cfg(any(feature = "try-runtime", feature = "std"))]
	pub(crate) fn try_state_pool() -> Result<(), polkadot_sdk::sp_runtime::TryRuntimeError> {
		let pool = Pool::<T>::get();
		for (i, a) in pool.iter().enumerate() {
			ensure!(!pool.iter().skip(i + 1).any(|b| a == b), "an evaluator is in the pool twice");
		}
		for (_, _, panel) in Panels::<T>::iter() {
			for (i, a) in panel.iter().enumerate() {
				ensure!(
					!panel.iter().skip(i + 1).any(|b| a == b),
					"an evaluator sits twice on a panel"
				);
			}
		}
		Ok(())
	}
}
