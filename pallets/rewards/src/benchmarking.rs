//! Benchmark of pallet-din-rewards (frame-benchmarking v2): one settlement paying `p`
//! participants and `e` evaluators from `s` scores, with a below-baseline slash among them
//! and a scored global model before each score's round.

use super::*;
use din_primitives::{BenchmarkTask, ScoringRule, TaskPhase};
use polkadot_sdk::{frame_benchmarking::v2::*, sp_core::H256};

const SEED: u32 = 0;

#[benchmarks]
mod benchmarks {
	use super::*;

	#[benchmark]
	fn settle(
		p: Linear<1, { T::MaxParticipants::get() }>,
		e: Linear<0, { T::MaxEvaluators::get() }>,
		s: Linear<1, { T::MaxScores::get() }>,
	) {
		let owner: T::AccountId = account("owner", 0, SEED);
		let task = T::Tasks::benchmark_task(BenchmarkTask {
			owner,
			phase: TaskPhase::Rewarding,
			round: 0,
			evaluators_per_subgroup: 1,
			scoring: ScoringRule::Median { threshold: Perbill::from_percent(5) },
			genesis_commitment: H256::repeat_byte(1),
			test_set_commitment: H256::repeat_byte(2),
			test_key_hash: H256::repeat_byte(3),
			subgroups: Vec::new(),
			updates: Vec::new(),
		});
		let participants: Vec<T::AccountId> =
			(0..p).map(|i| account("participant", i, SEED)).collect();
		let mut scores: Vec<(T::AccountId, u32, Perbill)> = (0..s)
			.map(|i| {
				// The first score falls below the baseline: one slash.
				let accuracy =
					if i == 0 { Perbill::from_percent(10) } else { Perbill::from_percent(90) };
				(participants[(i % p) as usize].clone(), i, accuracy)
			})
			.collect();
		scores.sort_by(|a, b| (&a.0, a.1).cmp(&(&b.0, b.1)));
		let mut accepted: Vec<(T::AccountId, u32)> =
			participants.iter().map(|a| (a.clone(), 1)).collect();
		accepted.sort();
		let mut work: Vec<(T::AccountId, u32)> =
			(0..e).map(|i| (account("evaluator", i, SEED), 1 + i)).collect();
		work.sort();
		// A scored global model before every score's round: each contribution is measured
		// against one (a search over all of them).
		let globals = (0..s).map(|round| (round, Perbill::from_percent(60))).collect();
		let outcome = TaskOutcome {
			test_key_released: true,
			baseline: Some(Perbill::from_percent(50)),
			globals,
			scores,
			accepted,
			work,
		};
		#[block]
		{
			Pallet::<T>::do_settle(task, outcome).expect("the task exists");
		}
		assert!(Settlements::<T>::contains_key(task));
	}

	impl_benchmark_test_suite!(Pallet, crate::mock::new_test_ext(), crate::mock::Test);
}
