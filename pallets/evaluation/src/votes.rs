//! The two commit-reveal votes of a round: each subgroup's panel on its aggregate (and on
//! which updates were invalid), and all of the evaluators of the next round on the round's
//! global model.
//!
//! The global vote is pipelined: a round's global model is a deterministic function of its
//! accepted aggregates, which the chain has fixed once the round's subgroups are settled, so
//! the next round starts at once (its participants compute that model and train from it)
//! and its evaluators vote on the model with their aggregate commits and reveals
//! ([`pipelined_commit_hash`]). The settlement of the next round's subgroups then settles the
//! vote as well. Only the task's last round, which has no next one, votes in phases of its
//! own (GlobalCommit and GlobalReveal). Either way a minority is slashed and the majority
//! fixes [`GlobalModels`], which scoring measures every next round's updates against.
//!
//! Both votes have the same shape, kept side by side here: a commit stores only a hash
//! (which binds the voter's account, so a reveal cannot be copied), a reveal must hash to
//! it, and at the end of the reveal phase the strict majority (`> half` of those assigned,
//! [`strict_majority`](crate::types::strict_majority)) wins. Voters in the majority earn
//! work, the minority and the silent are slashed; without a majority nothing is fixed and
//! only the silent are slashed. The calls in `lib.rs` check origin and phase and hand the
//! vote to the `record_*` helpers; the hooks settle through `settle_*`.

use super::*;

impl<T: Config> Pallet<T> {
	/// The task's terms, if it is in `phase` of `round`.
	pub(crate) fn ensure_phase(
		task: TaskId,
		round: RoundIndex,
		phase: TaskPhase,
		wrong: Error<T>,
	) -> DispatchResult {
		let terms = T::Tasks::terms(task).ok_or(Error::<T>::UnknownTask)?;
		ensure!(terms.phase == phase, wrong);
		ensure!(terms.round == round, Error::<T>::WrongRound);
		Ok(())
	}

	/// Record the aggregate commit `hash` of `who`, a panel member of `subgroup`, once, in
	/// AggregationCommit.
	pub(crate) fn record_aggregate_commit(
		task: TaskId,
		round: RoundIndex,
		subgroup: SubgroupIndex,
		who: &T::AccountId,
		hash: H256,
	) -> DispatchResult {
		Self::ensure_phase(
			task,
			round,
			TaskPhase::AggregationCommit,
			Error::<T>::NotAggregationCommit,
		)?;
		ensure!(Panels::<T>::get(task, (round, subgroup)).contains(who), Error::<T>::NotOnPanel);
		ensure!(!hash.is_zero(), Error::<T>::ZeroHash);
		AggregateVotes::<T>::try_mutate((task, round, subgroup), who, |vote| {
			ensure!(vote.is_none(), Error::<T>::AlreadyCommitted);
			*vote = Some(Vote::Committed(hash));
			Ok::<_, Error<T>>(())
		})?;
		Self::count_vote(task, round, TaskPhase::AggregationCommit);
		Ok(())
	}

	/// Count a recorded vote of `phase` in the round's tally; the last one that phase
	/// expects ends it at the next block (pallet-din-tasks moves the deadline).
	fn count_vote(task: TaskId, round: RoundIndex, phase: TaskPhase) {
		let all_in = RoundVotes::<T>::mutate(task, |tally| {
			tally.as_mut().filter(|t| t.round == round).is_some_and(|t| t.count(phase))
		});
		if all_in {
			T::Tasks::all_in(task, round, phase);
		}
	}

	/// Check an invalid set: strictly ascending, each a member of `subgroup` that submitted
	/// an update in `round`.
	pub(crate) fn ensure_judgeable(
		task: TaskId,
		round: RoundIndex,
		subgroup: SubgroupIndex,
		invalid: &InvalidSetOf<T>,
	) -> DispatchResult {
		ensure!(strictly_ascending(invalid), Error::<T>::InvalidSetNotSorted);
		let members = T::Tasks::subgroup_members(task, subgroup);
		for p in invalid.iter() {
			ensure!(members.contains(p), Error::<T>::NotInSubgroup);
			ensure!(T::Tasks::update(task, round, p).is_some(), Error::<T>::NoUpdateToJudge);
		}
		Ok(())
	}

	/// Replace the aggregate commit of `who` by `reveal`, if `reveal`, `previous_global` and
	/// `salt` hash to it; in AggregationReveal, before settlement starts, with a judgeable
	/// invalid set. `previous_global` is `who`'s vote on the previous round's global model
	/// while that vote is open, and recorded with its first reveal of the round.
	pub(crate) fn record_aggregate_reveal(
		task: TaskId,
		round: RoundIndex,
		subgroup: SubgroupIndex,
		who: &T::AccountId,
		reveal: AggregateRevealOf<T>,
		previous_global: Option<ModelRef>,
		salt: &[u8; 32],
	) -> DispatchResult {
		Self::ensure_phase(
			task,
			round,
			TaskPhase::AggregationReveal,
			Error::<T>::NotAggregationReveal,
		)?;
		ensure!(!SettlementCursor::<T>::contains_key(task), Error::<T>::RevealWindowClosed);
		ensure!(!reveal.cid.is_empty(), Error::<T>::EmptyCid);
		ensure!(!reveal.commitment.is_zero(), Error::<T>::ZeroCommitment);
		Self::ensure_judgeable(task, round, subgroup, &reveal.invalid)?;
		let voted = Self::open_global_vote(task, round);
		ensure!(voted.is_some() || previous_global.is_none(), Error::<T>::NoGlobalVoteOpen);
		if let Some(model) = &previous_global {
			ensure!(!model.cid.is_empty(), Error::<T>::EmptyCid);
			ensure!(!model.commitment.is_zero(), Error::<T>::ZeroCommitment);
		}
		let aggregate = aggregate_commit_hash(
			task,
			round,
			subgroup,
			who,
			&reveal.cid,
			&reveal.commitment,
			&reveal.invalid,
			salt,
		);
		let expected = match voted {
			Some(_) => pipelined_commit_hash(
				&aggregate,
				previous_global.as_ref().map(|m| (&m.cid[..], &m.commitment)),
			),
			None => aggregate,
		};
		AggregateVotes::<T>::try_mutate((task, round, subgroup), who, |vote| match vote {
			None => Err(Error::<T>::NotCommitted),
			Some(Vote::Revealed(_)) => Err(Error::<T>::AlreadyRevealed),
			Some(Vote::Committed(h)) if *h != expected => Err(Error::<T>::RevealMismatch),
			Some(Vote::Committed(_)) => {
				*vote = Some(Vote::Revealed(reveal));
				Ok(())
			},
		})?;
		if let Some(voted) = voted {
			// The call is transactional: a differing vote also undoes the reveal above.
			match PipelinedGlobalVotes::<T>::get((task, voted), who) {
				Some(earlier) => ensure!(earlier == previous_global, Error::<T>::GlobalVoteDiffers),
				None => PipelinedGlobalVotes::<T>::insert((task, voted), who, &previous_global),
			}
		}
		Self::count_vote(task, round, TaskPhase::AggregationReveal);
		Ok(())
	}

	/// Settle the subgroups of `round` at the end of AggregationReveal, from the cursor on,
	/// as many as [`Self::aggregation_slice_budget`] allows (at least one). Returns the number
	/// settled in this slice and whether every subgroup is settled.
	pub(crate) fn settle_aggregation(task: TaskId, round: RoundIndex) -> (SubgroupIndex, bool) {
		Self::settle_aggregation_within(task, round, Self::aggregation_slice_budget(task, round))
	}

	/// What a slice of `round`'s subgroups may weigh: [`Config::SettlementSliceWeight`] less
	/// the work the last slice adds (the previous round's pipelined vote and the seats, a
	/// global settlement over the round's evaluators), so that no slice outweighs it.
	pub(crate) fn aggregation_slice_budget(task: TaskId, round: RoundIndex) -> Weight {
		let voters = RoundEvaluators::<T>::decode_len(task, round).unwrap_or(0) as u32;
		T::SettlementSliceWeight::get().saturating_sub(T::WeightInfo::on_global_end(voters))
	}

	/// [`Self::settle_aggregation`] under `budget` (its benchmark settles `k` subgroups in
	/// one slice, whatever the runtime's slice weight).
	pub(crate) fn settle_aggregation_within(
		task: TaskId,
		round: RoundIndex,
		budget: Weight,
	) -> (SubgroupIndex, bool) {
		let Some(terms) = T::Tasks::terms(task) else { return (0, true) };
		let mut subgroup = match SettlementCursor::<T>::get(task) {
			Some((r, next)) if r == round => next,
			_ => 0,
		};
		let mut settled = 0;
		loop {
			let panel = Panels::<T>::get(task, (round, subgroup));
			if panel.is_empty() {
				SettlementCursor::<T>::remove(task);
				Self::close_aggregation(task, round, &terms);
				return (settled, true);
			}
			if settled > 0 && !T::WeightInfo::on_aggregation_end(settled + 1).all_lte(budget) {
				SettlementCursor::<T>::insert(task, (round, subgroup));
				return (settled, false);
			}
			Self::settle_subgroup(task, round, subgroup, &panel, &terms);
			subgroup += 1;
			settled += 1;
		}
	}

	fn settle_subgroup(
		task: TaskId,
		round: RoundIndex,
		subgroup: SubgroupIndex,
		panel: &PanelOf<T>,
		terms: &TaskTerms<T::AccountId, T::Balance>,
	) {
		let members = T::Tasks::subgroup_members(task, subgroup);
		let submitted: Vec<T::AccountId> = members
			.into_iter()
			.filter(|p| T::Tasks::update(task, round, p).is_some())
			.collect();
		let votes: Vec<(T::AccountId, Option<AggregateRevealOf<T>>)> = panel
			.iter()
			.map(|who| {
				let reveal = match AggregateVotes::<T>::take((task, round, subgroup), who) {
					Some(Vote::Revealed(r)) => Some(r),
					_ => None,
				};
				(who.clone(), reveal)
			})
			.collect();
		if submitted.is_empty() {
			// Nothing to aggregate: no duty could be failed.
			SubgroupResults::<T>::insert(task, (round, subgroup), SubgroupResult::Empty);
			return;
		}
		// The CID is part of the vote: a reveal that agrees on the content but names a CID
		// nobody can fetch is a different vote, so it cannot become the aggregate the
		// round's evaluators must combine.
		let revealed: Vec<AggregateRevealOf<T>> =
			votes.iter().filter_map(|(_, r)| r.clone()).collect();
		let majority = strict_majority(&revealed, panel.len() as u32);
		for (who, reveal) in votes.iter() {
			match (reveal, &majority) {
				(None, _) => {
					Self::slash(who, Role::Evaluator, terms, task, round, Offence::MissedReveal)
				},
				(Some(r), Some((m, _))) if r == m => Self::credit_work(task, round, who),
				(Some(_), Some(_)) => Self::slash(
					who,
					Role::Evaluator,
					terms,
					task,
					round,
					Offence::MinorityAggregate,
				),
				(Some(_), None) => {},
			}
		}
		let Some((AggregateReveal { cid, commitment, invalid }, count)) = majority else {
			SubgroupResults::<T>::insert(task, (round, subgroup), SubgroupResult::Disputed);
			Self::deposit_event(Event::SubgroupDisputed {
				task,
				round,
				subgroup,
				revealed: revealed.len() as u32,
				panel: panel.len() as u32,
			});
			return;
		};
		let mut accepted = 0u32;
		for p in submitted.iter() {
			if invalid.contains(p) {
				Self::slash(p, Role::Participant, terms, task, round, Offence::InvalidUpdate);
			} else {
				accepted += 1;
				AcceptedUpdates::<T>::mutate(task, p, |n| n.saturating_inc());
				T::Staking::reward(p, Role::Participant, WORK_POINT, task, round);
			}
		}
		let invalid_count = invalid.len() as u32;
		SubgroupResults::<T>::insert(
			task,
			(round, subgroup),
			SubgroupResult::Accepted(AggregateReveal { cid: cid.clone(), commitment, invalid }),
		);
		Self::deposit_event(Event::SubgroupAccepted {
			task,
			round,
			subgroup,
			cid,
			commitment,
			votes: count,
			panel: panel.len() as u32,
			accepted,
			invalid: invalid_count,
		});
	}

	/// The round whose global model the aggregate reveals of `round` of `task` vote on: the
	/// previous one, unless it voted in phases of its own (or `round` is the first).
	pub fn open_global_vote(task: TaskId, round: RoundIndex) -> Option<RoundIndex> {
		PipelinedGlobal::<T>::get(task).filter(|voted| voted.saturating_add(1) == round)
	}

	/// Once every subgroup of `round` is settled: settle the vote its reveals carried on the
	/// previous round's global model, then, unless `round` is the task's last (whose global
	/// model is voted on in GlobalCommit and GlobalReveal, where its seats are freed), open
	/// the vote on its own global model for the next round and free its seats. The rule for
	/// "last" is the tasks pallet's (`TaskPhase::next`), read at the same block.
	fn close_aggregation(
		task: TaskId,
		round: RoundIndex,
		terms: &TaskTerms<T::AccountId, T::Balance>,
	) {
		let evaluators = RoundEvaluators::<T>::get(task, round);
		if let Some(voted) = Self::open_global_vote(task, round) {
			Self::settle_pipelined_global(task, round, voted, &evaluators, terms);
		}
		PipelinedGlobal::<T>::remove(task);
		if terms.round.saturating_add(1) < terms.rounds {
			PipelinedGlobal::<T>::insert(task, round);
			Self::close_round(task, &evaluators, terms);
		}
	}

	/// Settle the vote of the evaluators of `round` on the global model of `voted`, the round
	/// before: the strict majority of them fixes it (or keeps the model before it, if it
	/// found no weight), the minority is slashed. The silent were slashed for their missing
	/// aggregate reveals already.
	fn settle_pipelined_global(
		task: TaskId,
		round: RoundIndex,
		voted: RoundIndex,
		evaluators: &SeatsOf<T>,
		terms: &TaskTerms<T::AccountId, T::Balance>,
	) {
		let votes: Vec<(T::AccountId, Option<Option<ModelRef>>)> = evaluators
			.iter()
			.map(|(who, _)| (who.clone(), PipelinedGlobalVotes::<T>::take((task, voted), who)))
			.collect();
		let revealed: Vec<Option<ModelRef>> = votes.iter().filter_map(|(_, v)| v.clone()).collect();
		let voters = evaluators.len() as u32;
		let majority = strict_majority(&revealed, voters);
		for (who, vote) in votes.iter() {
			match (vote, &majority) {
				(Some(v), Some((m, _))) if v == m => Self::credit_work(task, round, who),
				(Some(_), Some(_)) => {
					Self::slash(who, Role::Evaluator, terms, task, round, Offence::MinorityGlobal)
				},
				_ => {},
			}
		}
		Self::fix_global(task, voted, majority, revealed.len() as u32, voters);
	}

	/// Record the outcome of the vote on the global model of `round`: the majority's model
	/// (`Some(None)`: the majority found no weight, the model before it holds), or no
	/// majority among `revealed` reveals of `voters`.
	fn fix_global(
		task: TaskId,
		round: RoundIndex,
		majority: Option<(Option<ModelRef>, u32)>,
		revealed: u32,
		voters: u32,
	) {
		match majority {
			Some((Some(model), votes)) => {
				GlobalModels::<T>::insert(task, round, model.clone());
				Self::deposit_event(Event::GlobalModelFixed {
					task,
					round,
					cid: model.cid,
					commitment: model.commitment,
					votes,
					voters,
				});
			},
			Some((None, votes)) => {
				Self::deposit_event(Event::GlobalModelKept { task, round, votes, voters })
			},
			None => Self::deposit_event(Event::GlobalDisputed { task, round, revealed, voters }),
		}
	}

	/// The end of a round's evaluation duties: its vote tally and commitment sample go, and
	/// its seats' bonds are unlocked.
	fn close_round(
		task: TaskId,
		evaluators: &SeatsOf<T>,
		terms: &TaskTerms<T::AccountId, T::Balance>,
	) {
		RoundVotes::<T>::remove(task);
		CommitmentSamples::<T>::remove(task);
		for (who, seats) in evaluators.iter() {
			T::Staking::unlock(
				who,
				Role::Evaluator,
				terms.min_evaluator_bond.saturating_mul((*seats).into()),
			);
		}
	}

	/// Whether the update of `participant` in `round` was accepted.
	pub fn is_accepted(
		task: TaskId,
		round: RoundIndex,
		subgroup: SubgroupIndex,
		participant: &T::AccountId,
	) -> bool {
		match SubgroupResults::<T>::get(task, (round, subgroup)) {
			Some(SubgroupResult::Accepted(reveal)) => !reveal.invalid.contains(participant),
			_ => false,
		}
	}

	/// Record the global commit `hash` of `who`, once.
	pub(crate) fn record_global_commit(
		task: TaskId,
		round: RoundIndex,
		who: &T::AccountId,
		hash: H256,
	) -> DispatchResult {
		GlobalVotes::<T>::try_mutate((task, round), who, |vote| {
			ensure!(vote.is_none(), Error::<T>::AlreadyCommitted);
			*vote = Some(Vote::Committed(hash));
			Ok::<_, Error<T>>(())
		})?;
		Self::count_vote(task, round, TaskPhase::GlobalCommit);
		Ok(())
	}

	/// Replace the global commit of `who` by `model`, if `model` and `salt` hash to it.
	pub(crate) fn record_global_reveal(
		task: TaskId,
		round: RoundIndex,
		who: &T::AccountId,
		model: ModelRef,
		salt: &[u8; 32],
	) -> DispatchResult {
		let expected = global_commit_hash(task, round, who, &model.cid, &model.commitment, salt);
		GlobalVotes::<T>::try_mutate((task, round), who, |vote| match vote {
			None => Err(Error::<T>::NotCommitted),
			Some(Vote::Revealed(_)) => Err(Error::<T>::AlreadyRevealed),
			Some(Vote::Committed(h)) if *h != expected => Err(Error::<T>::RevealMismatch),
			Some(Vote::Committed(_)) => {
				*vote = Some(Vote::Revealed(model));
				Ok(())
			},
		})?;
		Self::count_vote(task, round, TaskPhase::GlobalReveal);
		Ok(())
	}

	/// Record the seed of `round`'s commitment sample as Training ends, from randomness
	/// that nobody but one block author knew while updates could be submitted. Without it (no fresh
	/// randomness in this block) nothing is recorded and every commitment is checked.
	pub(crate) fn draw_commitment_sample(task: TaskId, round: RoundIndex) {
		let subject = (b"din/commitment-sample", task, round).encode();
		let (Some(random), _) = T::SampleRandomness::random(&subject) else {
			CommitmentSamples::<T>::remove(task);
			return;
		};
		let seed = blake2_256(random.as_ref());
		CommitmentSamples::<T>::insert(task, (round, seed));
		Self::deposit_event(Event::CommitmentSampleDrawn { task, round, seed });
	}

	/// Settle the global model of the task's last `round` at the end of GlobalReveal and
	/// free the seats. Returns the number of the round's evaluators.
	pub(crate) fn settle_global(task: TaskId, round: RoundIndex) -> u32 {
		let Some(terms) = T::Tasks::terms(task) else {
			RoundVotes::<T>::remove(task);
			CommitmentSamples::<T>::remove(task);
			return 0;
		};
		let evaluators = RoundEvaluators::<T>::get(task, round);
		let votes: Vec<(T::AccountId, Option<ModelRef>)> = evaluators
			.iter()
			.map(|(who, _)| {
				let reveal = match GlobalVotes::<T>::take((task, round), who) {
					Some(Vote::Revealed(m)) => Some(m),
					_ => None,
				};
				(who.clone(), reveal)
			})
			.collect();
		let revealed: Vec<ModelRef> = votes.iter().filter_map(|(_, m)| m.clone()).collect();
		let voters = evaluators.len() as u32;
		let majority = strict_majority(&revealed, voters);
		for (who, reveal) in votes.iter() {
			match (reveal, &majority) {
				(None, _) => {
					Self::slash(who, Role::Evaluator, &terms, task, round, Offence::MissedReveal)
				},
				(Some(m), Some((w, _))) if m == w => Self::credit_work(task, round, who),
				(Some(_), Some(_)) => {
					Self::slash(who, Role::Evaluator, &terms, task, round, Offence::MinorityGlobal)
				},
				(Some(_), None) => {},
			}
		}
		let majority = majority.map(|(model, votes)| (Some(model), votes));
		Self::fix_global(task, round, majority, revealed.len() as u32, voters);
		Self::close_round(task, &evaluators, &terms);
		voters
	}

	/// Every vote tally belongs to a task in a round phase of the tally's round, and no count
	/// exceeds what its phase expects.
	#[cfg(any(feature = "try-runtime", feature = "std"))]
	pub(crate) fn try_state_votes() -> Result<(), polkadot_sdk::sp_runtime::TryRuntimeError> {
		for (task, tally) in RoundVotes::<T>::iter() {
			let terms = T::Tasks::terms(task).ok_or("a vote tally outlives its task")?;
			ensure!(
				terms.phase.is_round_phase() && terms.round == tally.round,
				"a vote tally outlives its round"
			);
			ensure!(tally.is_consistent(), "a vote tally counts more votes than expected");
		}
		for (task, voted) in PipelinedGlobal::<T>::iter() {
			let terms = T::Tasks::terms(task).ok_or("a pipelined global vote outlives its task")?;
			ensure!(
				terms.round == voted.saturating_add(1),
				"a pipelined global vote is open outside the round after its own"
			);
		}
		for (task, (round, _)) in CommitmentSamples::<T>::iter() {
			let terms = T::Tasks::terms(task).ok_or("a commitment sample outlives its task")?;
			ensure!(
				terms.phase.is_round_phase() && terms.round == round,
				"a commitment sample outlives its round"
			);
		}
		Ok(())
	}

	/// The global model the next round of `task` trains from: the newest settled one, or
	/// `None` while only the genesis model exists.
	pub fn latest_global_model(task: TaskId) -> Option<(RoundIndex, ModelRef)> {
		GlobalModels::<T>::iter_prefix(task).max_by_key(|(r, _)| *r)
	}

	/// The model round `start` of `task` trained from, as fixed on chain: the newest global
	/// model fixed for a round before it (`None`: the genesis model). What a stale update
	/// that trained from round `start`'s model is checked and rebased from, and what its
	/// reward is measured over (pallet-din-rewards's trained-from rule).
	pub fn model_trained_from(task: TaskId, start: RoundIndex) -> Option<ModelRef> {
		GlobalModels::<T>::iter_prefix(task)
			.filter(|(fixed, _)| *fixed < start)
			.max_by_key(|(fixed, _)| *fixed)
			.map(|(_, model)| model)
	}

	/// Give `who` one unit of work in `task` and the matching evaluator reputation.
	pub(crate) fn credit_work(task: TaskId, round: RoundIndex, who: &T::AccountId) {
		Work::<T>::mutate(task, who, |w| *w = w.saturating_add(WORK_POINT));
		T::Staking::reward(who, Role::Evaluator, WORK_POINT, task, round);
	}

	fn slash(
		who: &T::AccountId,
		role: Role,
		terms: &TaskTerms<T::AccountId, T::Balance>,
		task: TaskId,
		round: RoundIndex,
		offence: Offence,
	) {
		// The duty's own stake: what the seat or the task's participation locked.
		let stake = match role {
			Role::Evaluator => terms.min_evaluator_bond,
			Role::Participant => terms.min_participant_bond,
			// Task offences are committed by participants and evaluators only.
			Role::Validator => Zero::zero(),
		};
		T::Staking::slash(who, role, terms.fees.slash, stake, SlashReason { task, round, offence });
	}
}
