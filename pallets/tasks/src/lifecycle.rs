//! The task lifecycle: deadlines, phase transitions and round starts, driven by
//! `on_initialize`.
//!
//! A live task has exactly one entry in [`Deadlines`]; when its block comes, `advance`
//! asks [`TaskPhase::next`] (the pure transition table in din-primitives) for the next
//! phase, tells [`Config::Lifecycle`] that the phase ended, and enters the next one, which
//! schedules the next deadline. Two transitions carry work of their own: a round start
//! (snapshot, shuffle and deal the participants into subgroups, or defer the round) and a
//! task end (refund and release, in `escrow.rs`). Each transition reports what it did as a
//! `Transition`, and each [`Config::Lifecycle`] hook the weight it used, so that
//! `on_initialize` charges the benchmarked weight of what ran rather than of the worst case:
//! mandatory weight that a block did not use is room that every other task's transactions
//! lose.
//!
//! A phase whose end carries more work than one block should hold (settling many subgroups)
//! is held: the hook answers "not done", the task keeps its phase and its deadline moves to
//! the next block, until the hook is done. The phase's own calls are refused by the hook's
//! pallet meanwhile.
//!
//! Two kinds of work are bounded by count or weight rather than held behind a hook. A task
//! end releases at most [`Config::MaxReleasesPerBlock`] participants' bonds per block: the
//! task is `Finished` (or `Cancelled`) from the first block, keeps a deadline in each next
//! block until the last bond is out, and only then leaves `ActiveTasks` and queues for
//! pruning. And a round start that would share its block with the previous round's global
//! settlement waits one block (in Registration) when the two together would weigh more than
//! [`Config::TransitionWeight`]; small tasks keep starting their next round at once.
//!
//! A phase ends before its deadline when everything it waits for is in: the last expected
//! update of Training (here), the last expected vote of a vote phase (pallet-din-evaluation,
//! through [`din_primitives::PhaseClosing`]). Its deadline entry then moves to the next block,
//! or, for a phase whose end does no work ([`din_primitives::RoundLifecycle::
//! ends_without_work`]), the next phase starts in the same block; so a round of honest parties
//! takes as many blocks as their submissions need, and the configured lengths are timeouts
//! for the silent.
//!
//! A first round that cannot start (too few participants, or the hook refuses) is retried
//! one registration period later, at most [`Config::MaxRoundDeferrals`] times; then the
//! task expires: cancelled and refunded like an owner's cancellation. Without that bound a
//! task created below any reachable minimum would hold a deadline slot and an active-task
//! slot forever at the cost of one refundable hold.

use super::*;

/// What a deadline transition did, to charge its weight.
enum Transition {
	/// Nothing (unknown or ended task).
	None,
	/// A plain phase change.
	Phase,
	/// A round start (or a deferred one) over a list of `staying` participants and
	/// `leaving` ones (whose locks it releases).
	RoundStart { staying: u32, leaving: u32 },
	/// A task end that released `p` participants (at most `MaxReleasesPerBlock`).
	Finish(u32),
	/// A later block of a task end, releasing `p` more participants.
	Release(u32),
	/// A first round deferred once too often: a round start over `entries` and a task end
	/// that released `released` of them.
	Expiry { entries: u32, released: u32 },
}

impl<T: Config> Pallet<T> {
	/// Put `task` into the first block at or after `at` with room in [`Deadlines`], and
	/// return that block.
	pub(crate) fn schedule(task: TaskId, at: BlockNumberFor<T>) -> BlockNumberFor<T> {
		// At most `MaxActiveTasks` entries exist, so one of these many consecutive blocks has
		// room (each holds `MaxDeadlinesPerBlock`).
		let probes = T::MaxActiveTasks::get() / T::MaxDeadlinesPerBlock::get() + 1;
		let mut block = at;
		for _ in 0..=probes {
			let placed = Deadlines::<T>::mutate(block, |d| d.try_push(task).is_ok());
			if placed {
				return block;
			}
			block = block.saturating_add(1u32.into());
		}
		// Unreachable while `ActiveTasks <= MaxActiveTasks`; keep the task alive regardless by
		// overfilling nothing and reporting it.
		log::error!(target: LOG_TARGET, "no deadline slot for task {task} near {at:?}");
		polkadot_sdk::frame_support::defensive!(
			"a deadline slot exists within the probe range; qed"
		);
		block
	}

	/// Process the deadline of `task` at `now`; return the weight used: the transition's
	/// benchmark plus what the lifecycle hooks reported. (The benchmarks run the runtime's
	/// hooks too, at their setup's sizes; adding the reported weight keeps the charge an
	/// upper bound whatever sizes the hooks meet.)
	pub(crate) fn advance(task: TaskId, now: BlockNumberFor<T>) -> Weight {
		let mut hooks = Weight::zero();
		let transition = Self::do_advance(task, now, &mut hooks);
		let own = match transition {
			Transition::None | Transition::Phase => T::WeightInfo::on_initialize_phase(),
			Transition::RoundStart { staying, leaving } => {
				T::WeightInfo::on_initialize_round_start(staying, leaving)
			},
			// A later release block does a subset of a task end's work on as many entries.
			Transition::Finish(p) | Transition::Release(p) => {
				T::WeightInfo::on_initialize_finish(p)
			},
			Transition::Expiry { entries, released } => {
				T::WeightInfo::on_initialize_round_start(entries, 0)
					.saturating_add(T::WeightInfo::on_initialize_finish(released))
			},
		};
		own.saturating_add(hooks)
	}

	fn do_advance(task: TaskId, now: BlockNumberFor<T>, hooks: &mut Weight) -> Transition {
		let Some(mut info) = Tasks::<T>::get(task) else { return Transition::None };
		if info.phase_ends != now {
			// A stale entry (e.g. of a cancelled task); the live entry is elsewhere.
			return Transition::None;
		}
		if info.phase.is_terminal() {
			// An ended task still releasing its participants' bonds.
			let released =
				Self::release_participants(task, &mut info, now, T::MaxReleasesPerBlock::get());
			Tasks::<T>::insert(task, info);
			return Transition::Release(released);
		}
		let last_round = info.round.saturating_add(1) >= info.spec.rounds;
		let next = match info.phase.next(last_round) {
			Ok(next) => next,
			Err(_) => return Transition::None,
		};
		if info.phase.is_round_phase()
			|| matches!(info.phase, TaskPhase::Scoring | TaskPhase::Rewarding)
		{
			let end = T::Lifecycle::on_phase_end(task, info.round, info.phase);
			hooks.saturating_accrue(end.weight);
			// The hook may have moved the pool (payouts, the protocol fee): go on from the
			// task as it left it, or the stale `remaining` would be written back, or
			// released to the owner from the holds of its other tasks.
			let Some(after) = Tasks::<T>::get(task) else { return Transition::None };
			info = after;
			if !end.done {
				// The hook settles in slices: hold the phase one more block.
				info.phase_ends = Self::schedule(task, now.saturating_add(1u32.into()));
				Self::deposit_event(Event::PhaseHeld {
					task,
					round: info.round,
					phase: info.phase,
					until: info.phase_ends,
				});
				Tasks::<T>::insert(task, info);
				return Transition::Phase;
			}
		}
		match (info.phase, next) {
			(TaskPhase::Registration, TaskPhase::Training) => {
				Self::start_round(task, info, now, hooks)
			},
			(TaskPhase::AggregationReveal | TaskPhase::GlobalReveal, TaskPhase::Training) => {
				info.round = info.round.saturating_add(1);
				// Between rounds the task waits in Registration if the round cannot start.
				info.phase = TaskPhase::Registration;
				if !Self::round_start_fits(task, &info, hooks) {
					// The round's settlement left too little of the deadline's share: the next
					// round starts in the next block.
					let next_block = now.saturating_add(1u32.into());
					Self::enter_phase(task, &mut info, TaskPhase::Registration, next_block);
					Tasks::<T>::insert(task, info);
					return Transition::Phase;
				}
				Self::start_round(task, info, now, hooks)
			},
			(_, TaskPhase::Finished) => {
				info.phase = TaskPhase::Finished;
				let round = info.round;
				let (refund, participants) =
					Self::end_task(task, &mut info, now, T::MaxReleasesPerBlock::get());
				let owner = info.owner.clone();
				Tasks::<T>::insert(task, info);
				hooks.saturating_accrue(T::Lifecycle::on_task_end(task, TaskPhase::Finished));
				Self::deposit_event(Event::TaskFinished { task, owner, round, refund });
				Transition::Finish(participants)
			},
			(_, next) => {
				let ends = now.saturating_add(info.spec.phases.of(next));
				Self::enter_phase(task, &mut info, next, ends);
				Tasks::<T>::insert(task, info);
				Transition::Phase
			},
		}
	}

	/// End `phase` of `round` of `task` (as `info` holds it) before its deadline, because
	/// every submission it expects is in: in this block when its end does no work and leads
	/// to a plain phase (the next phase's submissions can then land in the next block), else
	/// at the next block, where `on_initialize` does and charges the end's work. The deadline
	/// entry is freed first, so a moved one is never later than the old.
	pub(crate) fn close_early(
		task: TaskId,
		mut info: TaskInfoOf<T>,
		round: RoundIndex,
		phase: TaskPhase,
		now: BlockNumberFor<T>,
	) {
		if info.round != round || info.phase != phase || info.phase_ends <= now {
			return;
		}
		if let Some(next) =
			Self::plain_successor(&info).filter(|_| T::Lifecycle::ends_without_work(phase))
		{
			Deadlines::<T>::mutate(info.phase_ends, |d| d.retain(|t| *t != task));
			Self::deposit_event(Event::PhaseClosedEarly { task, round, phase, ends: now });
			let ends = now.saturating_add(info.spec.phases.of(next));
			Self::enter_phase(task, &mut info, next, ends);
			Tasks::<T>::insert(task, info);
			return;
		}
		let next = now.saturating_add(1u32.into());
		if info.phase_ends <= next {
			return;
		}
		Deadlines::<T>::mutate(info.phase_ends, |d| d.retain(|t| *t != task));
		info.phase_ends = Self::schedule(task, next);
		let ends = info.phase_ends;
		Tasks::<T>::insert(task, info);
		Self::deposit_event(Event::PhaseClosedEarly { task, round, phase, ends });
	}

	/// The phase that follows the current one of `info` when that step is a plain phase
	/// change (no round start, no task end): the only kind of step taken outside
	/// `on_initialize`.
	fn plain_successor(info: &TaskInfoOf<T>) -> Option<TaskPhase> {
		let last_round = info.round.saturating_add(1) >= info.spec.rounds;
		let next = info.phase.next(last_round).ok()?;
		let plain =
			info.phase.is_round_phase() && next.is_round_phase() && next != TaskPhase::Training;
		plain.then_some(next)
	}

	/// Move `info` into `phase` and schedule its deadline at `ends` (or the first block
	/// after it with room).
	fn enter_phase(
		task: TaskId,
		info: &mut TaskInfoOf<T>,
		phase: TaskPhase,
		ends: BlockNumberFor<T>,
	) {
		info.phase = phase;
		info.phase_ends = Self::schedule(task, ends);
		Self::deposit_event(Event::PhaseChanged {
			task,
			round: info.round,
			phase,
			ends: info.phase_ends,
		});
	}

	/// Start round `info.round`: snapshot, shuffle, assign; or defer it, or expire the task.
	fn start_round(
		task: TaskId,
		mut info: TaskInfoOf<T>,
		now: BlockNumberFor<T>,
		hooks: &mut Weight,
	) -> Transition {
		let round = info.round;
		let subject = (b"din/round", task, round).encode();
		let (seed, known_since) = T::Randomness::random(&subject);
		let lookback = T::ShuffleLookback::get();
		// The shuffle's inputs as they were before its randomness was known: who left since
		// keeps a place (and leaves its seat empty), who joined since waits.
		let participants = Participants::<T>::get(task);
		// What the transition reads (and, for leavers, unlocks) grows with the list, not
		// with the snapshot: the weight is charged for every entry.
		let entries = participants.len() as u32;
		let leaving = participants.iter().filter(|p| !p.is_active()).count() as u32;
		let charged = Transition::RoundStart { staying: entries - leaving, leaving };
		let mut snapshot: Vec<(T::AccountId, bool)> = participants
			.iter()
			.filter(|p| p.in_shuffle(known_since, lookback))
			.map(|p| (p.who.clone(), p.is_active()))
			.collect();
		let n = snapshot.len() as u32;
		let required = info.spec.min_participants;
		let retry_at = now.saturating_add(info.spec.phases.registration);
		// Only the first round expires: later ones hold participants' earned work.
		let deferrals = RoundDeferrals::<T>::get(task);
		let expired = round == 0 && deferrals >= T::MaxRoundDeferrals::get();
		if n < required {
			if expired {
				let released = Self::expire(task, info, now, deferrals, hooks);
				return Transition::Expiry { entries, released };
			}
			if round == 0 {
				RoundDeferrals::<T>::insert(task, deferrals.saturating_add(1));
			}
			info.phase_ends = Self::schedule(task, retry_at);
			let retry_at = info.phase_ends;
			Tasks::<T>::insert(task, info);
			Self::deposit_event(Event::RoundDeferred {
				task,
				round,
				participants: n,
				required,
				retry_at,
			});
			return charged;
		}
		let k = subgroup_count(n, info.spec.subgroup_size);
		let (used, started) = T::Lifecycle::on_round_start(task, round, k);
		hooks.saturating_accrue(used);
		if let Err(error) = started {
			if expired {
				let released = Self::expire(task, info, now, deferrals, hooks);
				return Transition::Expiry { entries, released };
			}
			if round == 0 {
				RoundDeferrals::<T>::insert(task, deferrals.saturating_add(1));
			}
			info.phase_ends = Self::schedule(task, retry_at);
			let retry_at = info.phase_ends;
			Tasks::<T>::insert(task, info);
			Self::deposit_event(Event::RoundStartRefused { task, round, error, retry_at });
			return charged;
		}

		shuffle(&mut snapshot, seed.as_ref());
		Self::release_leavers(task, participants, info.spec.min_participant_bond);

		// Clear subgroups of the previous round beyond the new count.
		let previous = round
			.checked_sub(1)
			.and_then(|r| Rounds::<T>::get(task, r))
			.map(|r| r.subgroups);
		for s in k..previous.unwrap_or(0) {
			Subgroups::<T>::remove(task, s);
		}
		let mut groups: Vec<Vec<T::AccountId>> = (0..k).map(|_| Vec::new()).collect();
		let mut assigned = 0u32;
		for (i, (who, active)) in snapshot.into_iter().enumerate() {
			if !active {
				continue;
			}
			let subgroup = subgroup_of(i as u32, k);
			Assignments::<T>::insert(task, &who, Assignment { round, subgroup });
			if let Some(g) = groups.get_mut(subgroup as usize) {
				g.push(who);
				assigned += 1;
			}
		}
		for (s, members) in groups.into_iter().enumerate() {
			// Round-robin over ceil(n / G) groups puts at most G members in each.
			let bounded = SubgroupOf::<T>::truncate_from(members);
			Subgroups::<T>::insert(task, s as SubgroupIndex, bounded);
		}
		Rounds::<T>::insert(
			task,
			round,
			RoundInfo { started_at: now, participants: assigned, subgroups: k, updates: 0 },
		);
		if round == 0 {
			RoundDeferrals::<T>::remove(task);
		}
		info.phase = TaskPhase::Training;
		info.phase_ends = Self::schedule(task, now.saturating_add(info.spec.phases.training));
		let training_ends = info.phase_ends;
		let privacy = info.spec.privacy;
		Tasks::<T>::insert(task, info);
		Self::deposit_event(Event::RoundStarted {
			task,
			round,
			participants: assigned,
			subgroups: k,
			training_ends,
		});
		if let Some(policy) = privacy {
			let epsilon = policy.epsilon_after(round.saturating_add(1));
			Self::deposit_event(Event::PrivacySpent { task, round, epsilon });
		}
		charged
	}

	/// Drop the entries of participants that left from `participants` (the stored list of
	/// `task`) and release their locks of `bond`: their leave takes effect as the round
	/// they did not take part in starts. (A participant can leave only before round 0, so a
	/// leaver has no assignment to drop.)
	fn release_leavers(
		task: TaskId,
		mut participants: ParticipantsOf<T>,
		bond: crate::BalanceOf<T>,
	) {
		if participants.iter().all(|p| p.is_active()) {
			return;
		}
		participants.retain(|p| {
			if !p.is_active() {
				T::Staking::unlock(&p.who, Role::Participant, bond);
			}
			p.is_active()
		});
		Participants::<T>::insert(task, participants);
	}

	/// End a task whose first round was deferred `deferrals` times: cancel and refund it.
	/// Returns how many participants it released now (the rest go in the next blocks).
	fn expire(
		task: TaskId,
		mut info: TaskInfoOf<T>,
		now: BlockNumberFor<T>,
		deferrals: u32,
		hooks: &mut Weight,
	) -> u32 {
		info.phase = TaskPhase::Cancelled;
		let (refund, released) =
			Self::end_task(task, &mut info, now, T::MaxReleasesPerBlock::get());
		let owner = info.owner.clone();
		Tasks::<T>::insert(task, info);
		hooks.saturating_accrue(T::Lifecycle::on_task_end(task, TaskPhase::Cancelled));
		Self::deposit_event(Event::TaskExpired { task, owner, deferrals, refund });
		released
	}

	/// Whether round `info.round` of `task` can start in this block after `used` of the
	/// deadline's weight went to the previous round's settlement, under
	/// `Config::TransitionWeight`. Charges its own read of the participant list to `used`.
	fn round_start_fits(task: TaskId, info: &TaskInfoOf<T>, used: &mut Weight) -> bool {
		used.saturating_accrue(T::DbWeight::get().reads(1));
		let entries = Participants::<T>::decode_len(task).unwrap_or(0) as u32;
		// Staying and leaving entries cost differently; take the dearer mix.
		let own = T::WeightInfo::on_initialize_round_start(entries, 0)
			.max(T::WeightInfo::on_initialize_round_start(0, entries));
		let subgroups = subgroup_count(entries, info.spec.subgroup_size);
		used.saturating_add(own)
			.saturating_add(T::Lifecycle::round_start_weight(subgroups))
			.all_lte(T::TransitionWeight::get())
	}
}

impl<T: Config> din_primitives::PhaseClosing for Pallet<T> {
	fn all_in(task: TaskId, round: RoundIndex, phase: TaskPhase) {
		let Some(info) = Tasks::<T>::get(task) else { return };
		Self::close_early(task, info, round, phase, frame_system::Pallet::<T>::block_number());
	}
}
