//! The [`RoundLifecycle`] hooks pallet-din-tasks calls when a task is created, at a round
//! start, at the end of each phase and when the task ends: the one place where the task's
//! clock reaches this pallet.
//!
//! Each hook only dispatches to its mechanism (sortition in `pool.rs`, vote settlement in
//! `votes.rs`, score settlement in `scoring.rs`), so the mapping from phase to duty reads
//! in one match. The settlement of a round's subgroups and that of a task's scores are
//! sliced under [`Config::SettlementSliceWeight`]: the hook answers "not done" and the tasks
//! pallet holds AggregationReveal (or Rewarding) until the last slice. Each returns the benchmarked weight of the duty
//! at the sizes it met (the subgroups settled, the evaluators of the round, the scores of
//! the task), which the tasks pallet adds to its `on_initialize`: a deadline costs its
//! block what it did, not the heaviest duty any deadline could carry.

use super::*;

impl<T: Config> RoundLifecycle for Pallet<T> {
	fn on_round_start(
		task: TaskId,
		round: RoundIndex,
		subgroups: SubgroupIndex,
	) -> (Weight, Result<(), DispatchError>) {
		let weight = Self::round_start_weight(subgroups);
		let result = Self::start_round(task, round, subgroups);
		if let Err(e) = &result {
			log::debug!(target: LOG_TARGET, "round {round} of task {task} deferred: {e:?}");
		}
		(weight, result)
	}

	fn round_start_weight(subgroups: SubgroupIndex) -> Weight {
		let pool = Pool::<T>::decode_len().unwrap_or(0) as u32;
		T::WeightInfo::on_round_start(subgroups, pool)
	}

	fn on_phase_end(task: TaskId, round: RoundIndex, phase: TaskPhase) -> WorkSlice {
		match phase {
			// One read and one write, inside the tasks pallet's `on_initialize_phase`
			// benchmark (whose transition is Training's end, with the runtime's hooks).
			TaskPhase::Training => {
				Self::draw_commitment_sample(task, round);
				WorkSlice::done(Weight::zero())
			},
			// In slices: many subgroups would not fit one block. The last slice also settles
			// the previous round's pipelined global vote and frees the round's seats, the
			// work of a GlobalReveal's end over the round's evaluators.
			TaskPhase::AggregationReveal => {
				let (settled, done) = Self::settle_aggregation(task, round);
				let mut weight = T::WeightInfo::on_aggregation_end(settled);
				if done {
					let voters = RoundEvaluators::<T>::decode_len(task, round).unwrap_or(0);
					weight.saturating_accrue(T::WeightInfo::on_global_end(voters as u32));
				}
				WorkSlice { weight, done }
			},
			TaskPhase::GlobalReveal => {
				WorkSlice::done(T::WeightInfo::on_global_end(Self::settle_global(task, round)))
			},
			// In slices: a task's scores, payees and records would not fit one block.
			TaskPhase::Rewarding => Self::settle_scores(task),
			_ => WorkSlice::done(Weight::zero()),
		}
	}

	// The commit phases record nothing at their end (a missing commit is judged when the
	// reveals are settled), so they end in the block of their last commit.
	fn ends_without_work(phase: TaskPhase) -> bool {
		matches!(phase, TaskPhase::AggregationCommit | TaskPhase::GlobalCommit)
	}

	fn on_task_created(_task: TaskId, scoring: &ScoringRule) -> Result<(), DispatchError> {
		Self::bind_verifying_key(scoring)
	}

	fn on_task_end(task: TaskId, _phase: TaskPhase) -> Weight {
		Self::unbind_verifying_key(task);
		// A task ended between rounds leaves its last round's pipelined vote unopened.
		if let Some(voted) = PipelinedGlobal::<T>::take(task) {
			let _ = PipelinedGlobalVotes::<T>::clear_prefix((task, voted), u32::MAX, None);
		}
		T::WeightInfo::on_task_end()
	}

	fn prune_task_records(task: TaskId, budget: Weight) -> WorkSlice {
		if !T::WeightInfo::on_task_records_pruned(1).all_lte(budget) {
			return WorkSlice::more(Weight::zero());
		}
		let limit = slice_within(Self::prunable_entries(), budget, |k| {
			T::WeightInfo::on_task_records_pruned(k)
		});
		let (removed, done) = Self::prune_public_record(task, limit);
		WorkSlice { weight: T::WeightInfo::on_task_records_pruned(removed.max(1)), done }
	}

	#[cfg(feature = "runtime-benchmarks")]
	fn prepare_for_benchmarks(task: TaskId, subgroups: SubgroupIndex) {
		let q = T::Tasks::terms(task).map(|t| t.evaluators_per_subgroup).unwrap_or(1);
		benchmarking::fill_pool::<T>(q, subgroups);
	}

	#[cfg(feature = "runtime-benchmarks")]
	fn benchmark_scoring() -> Option<ScoringRule> {
		Some(ScoringRule::ZkAccuracy { vk: benchmarking::registered_key::<T>() })
	}
}

impl<T: Config> Pallet<T> {
	/// The bounds `integrity_test` asserts: every bound non-zero, and a settlement slice
	/// large enough for one subgroup (else AggregationReveal would never end).
	pub(crate) fn check_config() {
		assert!(T::MaxEvaluators::get() > 0, "MaxEvaluators must be non-zero");
		assert!(T::MaxSubgroups::get() > 0, "MaxSubgroups must be non-zero");
		assert!(T::MaxPanelSize::get() > 0, "MaxPanelSize must be non-zero");
		assert!(T::MaxScores::get() > 0, "MaxScores must be non-zero");
		assert!(T::MaxVerifyingKeyLen::get() > 0, "MaxVerifyingKeyLen must be non-zero");
		let slice = T::SettlementSliceWeight::get();
		assert!(
			T::WeightInfo::on_aggregation_end(1).all_lte(slice),
			"SettlementSliceWeight must cover the settlement of one subgroup"
		);
		assert!(
			T::WeightInfo::on_scores_opened()
				.saturating_add(T::WeightInfo::on_score_slice(1))
				.all_lte(slice),
			"SettlementSliceWeight must cover the opening of a score settlement and one record"
		);
		assert!(
			T::WeightInfo::on_scores_pruned(1)
				.max(T::WeightInfo::on_scores_finalized())
				.all_lte(slice),
			"SettlementSliceWeight must cover the pruning of one record, and the last"
		);
	}
}
