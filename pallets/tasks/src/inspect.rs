//! What other pallets and clients read of a task: the [`TaskInspect`] view the evaluation
//! pallet works from, and the read helpers behind the runtime API ([`runtime_api`]).
//!
//! Both are projections of the same storage and never write, so they sit together, apart
//! from the state machine that changes it.

use super::*;
use polkadot_sdk::sp_runtime::traits::UniqueSaturatedInto;

/// The evaluation pallet's view of a stored update.
fn update_ref<T: Config>(update: UpdateOf<T>) -> UpdateRef {
	UpdateRef {
		subgroup: update.subgroup,
		commitment: update.commitment,
		num_samples: update.num_samples,
		trained_from: update.trained_from,
	}
}

impl<T: Config> Pallet<T> {
	/// The view of `task` served by the runtime API.
	pub fn task_view(
		task: TaskId,
	) -> Option<runtime_api::TaskView<T::AccountId, BalanceOf<T>, BlockNumberFor<T>>> {
		Tasks::<T>::get(task).map(|info| runtime_api::TaskView {
			owner: info.owner,
			phase: info.phase,
			round: info.round,
			rounds: info.spec.rounds,
			phase_ends: info.phase_ends,
			remaining: info.remaining,
			participants: Self::participant_count(task),
			subgroup_size: info.spec.subgroup_size,
			evaluators_per_subgroup: info.spec.evaluators_per_subgroup,
			min_participant_bond: info.spec.min_participant_bond,
			min_evaluator_bond: info.spec.min_evaluator_bond,
			model_hash: info.spec.model.hash,
			genesis: info.spec.genesis,
			test_set: info.spec.test_set,
			aggregation: info.spec.aggregation,
			scoring: info.spec.scoring,
			fees: info.spec.fees,
			phases: info.spec.phases,
		})
	}

	/// The `(round, subgroup)` of `who` in the current round of `task`; stale assignments of
	/// earlier rounds are not returned.
	pub fn assignment_of(task: TaskId, who: &T::AccountId) -> Option<(RoundIndex, SubgroupIndex)> {
		let info = Tasks::<T>::get(task)?;
		Assignments::<T>::get(task, who)
			.filter(|a| a.round == info.round && info.phase.is_round_phase())
			.map(|a| (a.round, a.subgroup))
	}

	/// The participants of `task` that have not left.
	pub fn participants_of(task: TaskId) -> Vec<T::AccountId> {
		Participants::<T>::get(task)
			.into_iter()
			.filter(|p| p.is_active())
			.map(|p| p.who)
			.collect()
	}

	/// How many participants of `task` have not left.
	pub fn participant_count(task: TaskId) -> u32 {
		Participants::<T>::get(task).iter().filter(|p| p.is_active()).count() as u32
	}

	/// The subgroups of the current round of `task`, in index order.
	pub fn subgroups_of(task: TaskId) -> Vec<Vec<T::AccountId>> {
		let Some(info) = Tasks::<T>::get(task) else { return Vec::new() };
		let count = Rounds::<T>::get(task, info.round).map(|r| r.subgroups).unwrap_or(0);
		(0..count).map(|s| Subgroups::<T>::get(task, s).into_inner()).collect()
	}
}

impl<T: Config> TaskInspect<T::AccountId, BalanceOf<T>> for Pallet<T> {
	fn secure_subgroup(
		task: TaskId,
		round: RoundIndex,
		subgroup: SubgroupIndex,
	) -> din_primitives::SecureSubgroup<T::AccountId> {
		let progress = SecureRounds::<T>::get((task, round), subgroup);
		let mut advertised = Vec::new();
		for (who, key) in RoundKeys::<T>::iter_prefix((task, round)) {
			if key.subgroup == subgroup {
				advertised.push((who, key.member, key.public, key.self_seed_commitment));
			}
		}
		advertised.sort_by_key(|(_, member, _, _)| *member);
		let handovers = advertised
			.iter()
			.filter_map(|(who, member, _, _)| {
				let shares = Handovers::<T>::get((task, round), who)?;
				Some((*member, shares.into_iter().map(|h| (h.owner, h.share)).collect()))
			})
			.collect();
		din_primitives::SecureSubgroup {
			eligible: progress.eligible,
			advertised,
			uploaded: progress.uploaded,
			handovers,
		}
	}

	fn terms(task: TaskId) -> Option<TaskTerms<T::AccountId, BalanceOf<T>>> {
		Tasks::<T>::get(task).map(|info| TaskTerms {
			owner: info.owner,
			phase: info.phase,
			round: info.round,
			phase_ends: info.phase_ends.unique_saturated_into(),
			phase_length: info.spec.phases.of(info.phase).unique_saturated_into(),
			rounds: info.spec.rounds,
			evaluators_per_subgroup: info.spec.evaluators_per_subgroup,
			min_evaluator_bond: info.spec.min_evaluator_bond,
			min_participant_bond: info.spec.min_participant_bond,
			genesis_commitment: info.spec.genesis.commitment,
			test_set_commitment: info.spec.test_set.commitment,
			test_key_hash: info.spec.test_set.key_hash,
			scoring: info.spec.scoring,
			fees: info.spec.fees,
			secure_aggregation: info.spec.aggregation.is_secure(),
		})
	}

	fn subgroup_members(task: TaskId, subgroup: SubgroupIndex) -> Vec<T::AccountId> {
		Subgroups::<T>::get(task, subgroup).into_inner()
	}

	fn update(task: TaskId, round: RoundIndex, who: &T::AccountId) -> Option<UpdateRef> {
		Updates::<T>::get((task, round), who).map(update_ref::<T>)
	}

	fn update_cid(task: TaskId, round: RoundIndex, who: &T::AccountId) -> Option<Cid> {
		Updates::<T>::get((task, round), who).map(|u| u.cid)
	}

	fn round_updates(task: TaskId, round: RoundIndex) -> Vec<(T::AccountId, UpdateRef)> {
		Updates::<T>::iter_prefix((task, round))
			.map(|(who, u)| (who, update_ref::<T>(u)))
			.collect()
	}

	fn evaluation_inputs(task: TaskId) -> Option<din_primitives::EvaluationInputs> {
		Tasks::<T>::get(task).map(|info| din_primitives::EvaluationInputs {
			architecture: info.spec.model.architecture.into_inner(),
			aggregation: info.spec.aggregation,
			genesis_cid: info.spec.genesis.cid,
			sealed_test_set_cid: info.spec.test_set.encrypted_cid,
			privacy: info.spec.privacy,
		})
	}

	#[cfg(feature = "runtime-benchmarks")]
	fn benchmark_task(task: din_primitives::BenchmarkTask<T::AccountId>) -> TaskId {
		benchmarking::benchmark_task::<T>(task)
	}

	#[cfg(feature = "runtime-benchmarks")]
	fn benchmark_set_phase(task: TaskId, phase: TaskPhase, round: RoundIndex) {
		benchmarking::benchmark_set_phase::<T>(task, phase, round)
	}
}
