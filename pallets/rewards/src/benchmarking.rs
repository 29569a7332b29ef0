//! Benchmark of pallet-din-rewards (frame-benchmarking v2): one payout slice of `n`
//! payments, each to an account that does not exist yet, that ends the settlement. Opening
//! and crediting run inside pallet-din-evaluation's hooks and are measured by its
//! benchmarks.

use super::*;
use din_primitives::{BenchmarkTask, ScoringRule, TaskPhase};
use polkadot_sdk::{frame_benchmarking::v2::*, sp_core::H256};

const SEED: u32 = 0;

#[benchmarks]
mod benchmarks {
	use super::*;

	#[benchmark]
	fn pay_out(n: Linear<0, { T::MaxParticipants::get() + T::MaxEvaluators::get() }>) {
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
		let basis = ScoreBasis {
			test_key_released: true,
			baseline: Some(Perbill::from_percent(50)),
			globals: Vec::new(),
		};
		Pallet::<T>::do_open(task, basis);
		// Half evaluators, half participants: each payment costs the same, and both maps are
		// drained.
		for i in 0..n {
			let credit = if i % 2 == 0 {
				Credit::Work { who: account("evaluator", i, SEED), units: 1 + i }
			} else {
				Credit::Score {
					who: account("participant", i, SEED),
					round: 0,
					trained_from: 0,
					accuracy: Perbill::from_percent(90),
				}
			};
			Pallet::<T>::do_credit(task, credit);
		}
		let paid;
		#[block]
		{
			// One more than `n`: the slice sees that nothing remains and records the
			// settlement.
			paid = Pallet::<T>::pay_out_up_to(task, n + 1);
		}
		assert_eq!(paid, (n, true));
		assert!(Settlements::<T>::contains_key(task));
	}

	impl_benchmark_test_suite!(Pallet, crate::mock::new_test_ext(), crate::mock::Test);
}
