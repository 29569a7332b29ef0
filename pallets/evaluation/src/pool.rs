//! The evaluator pool and sortition: who may evaluate, and which of them sit on the panels
//! of a round.
//!
//! Sortition is one weighted draw per round start, over the members that joined before
//! the draw's randomness could be known (by [`Config::SortitionLookback`] blocks): each
//! one's weight is `bond × (evaluator reputation + 1)`, each factor the smaller of what it
//! committed to by joining and what it has now, and it can take as many seats as its
//! unlocked bond (again no more than the committed one) covers task evaluator bonds.
//! Whatever a member changes once the randomness is known can only lower its own chance,
//! and a member cannot leave a draw it can see: a leave ([`Leaving`]) takes effect by the
//! same lookback as a join, and until then the bond committed on joining cannot be unbonded
//! ([`din_primitives::BondCommitment`], which `unbond` of pallet-din-staking respects).
//! The draw itself is the pure
//! [`draw_panels`](crate::types::draw_panels) in `types.rs`; this file only gathers the
//! candidates, seeds the draw with the runtime's randomness, and seats the result (locks
//! and records), so that a refused draw leaves nothing behind but its event.

use super::*;

impl<T: Config> Pallet<T> {
	/// `who` as a pool member that joined at `joined_at` with its bond and reputation as of
	/// now.
	pub(crate) fn pool_member(who: T::AccountId, joined_at: BlockNumberFor<T>) -> PoolMemberOf<T> {
		PoolMember {
			bond: T::Staking::bonded(&who, Role::Evaluator),
			reputation: T::Staking::reputation(&who, Role::Evaluator),
			who,
			joined_at,
		}
	}

	/// Add `who` to the pool with its bond and reputation as of now, first removing the
	/// members whose leave has taken effect (`who` among them, if it left); returns the
	/// pool's new size.
	pub(crate) fn join_pool(who: &T::AccountId) -> Result<u32, DispatchError> {
		Self::remove_left(Self::randomness_known_since());
		ensure!(!Leaving::<T>::get().iter().any(|(a, _)| a == who), Error::<T>::StillLeaving);
		let member = Self::pool_member(who.clone(), frame_system::Pallet::<T>::block_number());
		Pool::<T>::try_mutate(|pool| -> Result<u32, DispatchError> {
			ensure!(!pool.iter().any(|m| &m.who == who), Error::<T>::AlreadyRegistered);
			pool.try_push(member).map_err(|_| Error::<T>::PoolFull)?;
			Ok(pool.len() as u32)
		})
	}

	/// Record that `who` asked to leave the pool now; returns the pool's size.
	pub(crate) fn ask_to_leave(who: &T::AccountId) -> Result<u32, DispatchError> {
		let pool = Pool::<T>::get();
		ensure!(pool.iter().any(|m| &m.who == who), Error::<T>::NotRegistered);
		let now = frame_system::Pallet::<T>::block_number();
		Leaving::<T>::try_mutate(|leaving| -> DispatchResult {
			ensure!(!leaving.iter().any(|(a, _)| a == who), Error::<T>::AlreadyLeaving);
			// A leaver is a pool member, so the pool's bound holds for the leavers too.
			leaving.try_push((who.clone(), now)).map_err(|_| Error::<T>::PoolFull)?;
			Ok(())
		})?;
		Ok(pool.len() as u32)
	}

	/// The block since which the runtime's current randomness is known: every draw from now
	/// on uses randomness known since this block or later.
	pub(crate) fn randomness_known_since() -> BlockNumberFor<T> {
		T::Randomness::random(b"din/sortition").1
	}

	/// Whether a leave asked for at `left_at` holds for a draw with randomness known since
	/// `known_since`.
	fn leave_holds(left_at: BlockNumberFor<T>, known_since: BlockNumberFor<T>) -> bool {
		din_primitives::left_before_randomness(left_at, known_since, T::SortitionLookback::get())
	}

	/// Remove from the pool every member whose leave holds for draws with randomness known
	/// since `known_since` (and so for every later draw); emits [`Event::EvaluatorLeft`] for
	/// each.
	pub(crate) fn remove_left(known_since: BlockNumberFor<T>) {
		let leaving = Leaving::<T>::get();
		let (left, staying): (Vec<_>, Vec<_>) =
			leaving.into_iter().partition(|(_, at)| Self::leave_holds(*at, known_since));
		if left.is_empty() {
			return;
		}
		Pool::<T>::mutate(|pool| pool.retain(|m| !left.iter().any(|(a, _)| *a == m.who)));
		Leaving::<T>::put(BoundedVec::truncate_from(staying));
		for (who, _) in left {
			Self::deposit_event(Event::EvaluatorLeft { who });
		}
	}

	/// The evaluator bond `who` has committed to draws that may already be foreseen: its
	/// bond as it joined the pool, while it is in the pool and its leave (if any) does not
	/// hold for the draws to come.
	pub(crate) fn committed_bond(who: &T::AccountId) -> T::Balance {
		let Some(member) = Pool::<T>::get().into_iter().find(|m| &m.who == who) else {
			return Zero::zero();
		};
		let left = Leaving::<T>::get().into_iter().find(|(a, _)| a == who);
		match left {
			Some((_, at)) if Self::leave_holds(at, Self::randomness_known_since()) => Zero::zero(),
			_ => member.bond,
		}
	}

	/// The sortition candidate `member` is for a draw with randomness known since
	/// `known_since`: none if it joined too late for it, if its bond is below `minimum` (the
	/// chain's minimum evaluator bond as it stands now: a raise by governance takes every
	/// evaluator below it out of the draws to come), or if it has no free seat.
	fn candidate(
		member: PoolMemberOf<T>,
		known_since: BlockNumberFor<T>,
		seat: T::Balance,
		minimum: T::Balance,
	) -> Option<Candidate<T::AccountId>> {
		let lookback = T::SortitionLookback::get();
		if !din_primitives::joined_before_randomness(member.joined_at, known_since, lookback) {
			return None;
		}
		let who = member.who;
		let bond = T::Staking::bonded(&who, Role::Evaluator).min(member.bond);
		if bond < minimum {
			return None;
		}
		let free = bond.saturating_sub(T::Staking::locked(&who, Role::Evaluator));
		let seats: u128 =
			if seat.is_zero() { u32::MAX as u128 } else { (free / seat).unique_saturated_into() };
		let seats_left = seats.min(u32::MAX as u128) as u32;
		let reputation =
			T::Staking::reputation(&who, Role::Evaluator).min(member.reputation) as u128;
		let weight = UniqueSaturatedInto::<u128>::unique_saturated_into(bond)
			.saturating_mul(reputation.saturating_add(1));
		(seats_left > 0).then_some(Candidate { who, weight, seats_left })
	}

	/// Whether `who` holds a seat in `round` of `task`.
	pub(crate) fn is_round_evaluator(task: TaskId, round: RoundIndex, who: &T::AccountId) -> bool {
		RoundEvaluators::<T>::get(task, round).iter().any(|(a, _)| a == who)
	}

	/// The panel that scores the genesis model (the baseline) of a task whose last round is
	/// `round`: the panel of that round's first subgroup. One panel, as for every update, so
	/// that a median of its reports needs a majority of it; were any evaluator of the round
	/// to report, the first `MaxPanelSize` reporters would fix the baseline.
	pub fn baseline_panel(task: TaskId, round: RoundIndex) -> PanelOf<T> {
		Panels::<T>::get(task, (round, 0))
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
		let subject = (b"din/sortition", task, round).encode();
		let (seed, known_since) = T::Randomness::random(&subject);
		let leaving = Leaving::<T>::get();
		let left = |who: &T::AccountId| {
			leaving.iter().any(|(a, at)| a == who && Self::leave_holds(*at, known_since))
		};
		let minimum = T::Staking::minimum_bond(Role::Evaluator);
		let mut candidates: Vec<Candidate<T::AccountId>> = Pool::<T>::get()
			.into_iter()
			.filter(|member| !left(&member.who))
			.filter_map(|member| Self::candidate(member, known_since, seat, minimum))
			.collect();
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
		let held: u32 = seats.iter().map(|(_, n)| *n).sum();
		RoundVotes::<T>::insert(task, VoteTally::new(round, held, seats.len() as u32));
		// Distinct evaluators come from the pool, so they fit its bound.
		RoundEvaluators::<T>::insert(task, round, SeatsOf::<T>::truncate_from(seats));
		Ok(())
	}

	/// The pool has no duplicates, every leaver is a pool member (once), and every panel
	/// holds distinct evaluators.
	#[cfg(any(feature = "try-runtime", feature = "std"))]
	pub(crate) fn try_state_pool() -> Result<(), polkadot_sdk::sp_runtime::TryRuntimeError> {
		let pool = Pool::<T>::get();
		for (i, a) in pool.iter().enumerate() {
			ensure!(
				!pool.iter().skip(i + 1).any(|b| a.who == b.who),
				"an evaluator is in the pool twice"
			);
		}
		let leaving = Leaving::<T>::get();
		for (i, (a, _)) in leaving.iter().enumerate() {
			ensure!(pool.iter().any(|m| &m.who == a), "a leaver is not in the pool");
			ensure!(!leaving.iter().skip(i + 1).any(|(b, _)| a == b), "an evaluator leaves twice");
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

impl<T: Config> din_primitives::BondCommitment<T::AccountId, T::Balance> for Pallet<T> {
	fn committed(who: &T::AccountId, role: Role) -> T::Balance {
		match role {
			Role::Evaluator => Self::committed_bond(who),
			Role::Participant | Role::Validator => Zero::zero(),
		}
	}

	/// A full pool whose last member is `who`, with `amount` committed and a leave pending:
	/// `committed` then reads the whole pool, the leaves and the randomness.
	#[cfg(feature = "runtime-benchmarks")]
	fn commit_for_benchmarks(who: &T::AccountId, role: Role, amount: T::Balance) {
		if role != Role::Evaluator {
			return;
		}
		let now = frame_system::Pallet::<T>::block_number();
		let member =
			|who: T::AccountId, bond| PoolMember { who, bond, reputation: 0, joined_at: now };
		let others = (1..T::MaxEvaluators::get())
			.map(|i| member(polkadot_sdk::frame_benchmarking::account("pool", i, 0), amount));
		let pool: Vec<_> = others.chain([member(who.clone(), amount)]).collect();
		Pool::<T>::put(BoundedVec::truncate_from(pool));
		Leaving::<T>::put(BoundedVec::truncate_from(alloc::vec![(who.clone(), now)]));
	}
}
