//! The [`RoundLifecycle`] hooks pallet-din-tasks calls at a round start and at the end of
//! each phase: the one place where the task's clock reaches this pallet.
//!
//! Each hook only dispatches to its mechanism (sortition in `pool.rs`, vote settlement in
//! `votes.rs`, score settlement in `scoring.rs`), so the mapping from phase to duty reads
//! in one match. [`RoundLifecycle::max_weight`] is the heaviest of them, since the tasks
//! pallet charges it for every transition without knowing which one runs.

use super::*;

impl<T: Config> Pallet<T> {
	/// Worst-case weight of a lifecycle hook call.
	fn hook_weight() -> Weight {
		let w = T::WeightInfo::on_round_start(T::MaxSubgroups::get(), T::MaxEvaluators::get())
			.max(T::WeightInfo::on_aggregation_end(T::MaxSubgroups::get()))
			.max(T::WeightInfo::on_global_end(T::MaxEvaluators::get()));
		w.max(
			T::WeightInfo::on_scoring_end(T::MaxScores::get())
				.saturating_add(T::Rewards::max_weight()),
		)
	}
}

impl<T: Config> RoundLifecycle for Pallet<T> {
	fn on_round_start(
		task: TaskId,
		round: RoundIndex,
		subgroups: SubgroupIndex,
	) -> Result<(), DispatchError> {
		let result = Self::start_round(task, round, subgroups);
		if let Err(e) = &result {
			log::debug!(target: LOG_TARGET, "round {round} of task {task} deferred: {e:?}");
		}
		result
	}

	fn on_phase_end(task: TaskId, round: RoundIndex, phase: TaskPhase) {
		match phase {
			TaskPhase::AggregationReveal => Self::settle_aggregation(task, round),
			TaskPhase::GlobalReveal => Self::settle_global(task, round),
			TaskPhase::Scoring => Self::close_key_window(task),
			TaskPhase::Rewarding => Self::settle_scores(task),
			_ => {},
		}
	}

	fn on_task_end(_task: TaskId, _phase: TaskPhase) {}

	fn max_weight() -> Weight {
		Self::hook_weight()
	}

	#[cfg(feature = "runtime-benchmarks")]
	fn prepare_for_benchmarks(task: TaskId, subgroups: SubgroupIndex) {
		let q = T::Tasks::terms(task).map(|t| t.evaluators_per_subgroup).unwrap_or(1);
		benchmarking::fill_pool::<T>(q, subgroups);
	}
}
