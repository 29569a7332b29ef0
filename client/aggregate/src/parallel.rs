//! The rules' loops on rayon.

use din_fl::rules::exec::{Executor, BLOCK};
use rayon::prelude::*;

/// Input values a rayon task should at least read: below this, waking another thread
/// costs more than it saves (a few tens of microseconds of work).
const MIN_VALUES_PER_TASK: usize = 1 << 18;

/// Runs a rule's blocks and distances on rayon's current pool (set `RAYON_NUM_THREADS`,
/// or `install` a pool, to choose the threads). Each block is still computed by the rule's
/// one kernel, so results are bit-identical to [`din_fl::Sequential`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Parallel;

impl Executor for Parallel {
	fn for_each_block<K>(&self, out: &mut [i32], inputs: usize, kernel: K)
	where
		K: Fn(usize, &mut [i32]) + Sync + Send,
	{
		let min_blocks_per_task = MIN_VALUES_PER_TASK.div_ceil(BLOCK.saturating_mul(inputs.max(1)));
		out.par_chunks_mut(BLOCK)
			.with_min_len(min_blocks_per_task)
			.enumerate()
			.for_each(|(index, block)| kernel(index * BLOCK, block));
	}

	fn map<T, R, F>(&self, items: &[T], f: F) -> Vec<R>
	where
		T: Sync,
		R: Send,
		F: Fn(&T) -> R + Sync + Send,
	{
		items.par_iter().map(f).collect()
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use din_fl::{AggregationRule, Aggregator, Perbill, Sequential, Update};

	#[test]
	fn blocks_are_visited_once_each_with_their_first_coordinate() {
		let len = 3 * BLOCK + 5;
		let mut out = vec![-1i32; len];
		// One input per coordinate: the smallest task size, so blocks spread over threads.
		Parallel.for_each_block(&mut out, 1 << 20, |start, block| {
			for (offset, value) in block.iter_mut().enumerate() {
				assert_eq!(*value, -1, "coordinate {} written twice", start + offset);
				*value = (start + offset) as i32;
			}
		});
		assert_eq!(out, (0..len as i32).collect::<Vec<_>>());
		assert_eq!(Parallel.map(&[1u32, 2, 3], |x| x * 10), vec![10, 20, 30]);
	}

	#[test]
	fn every_rule_matches_the_sequential_run() {
		let updates: Vec<Update> = (0..7u64)
			.map(|i| Update {
				schema_hash: [3; 32],
				author: din_fl::NO_AUTHOR,
				num_samples: i + 1,
				values: (0..2 * BLOCK as i64 + 9)
					.map(|j| ((j * 7919 + i as i64 * 104_729) % 2001 - 1000) as i32)
					.collect(),
			})
			.collect();
		let refs: Vec<&Update> = updates.iter().collect();
		for rule in [
			AggregationRule::FedAvg,
			AggregationRule::Median,
			AggregationRule::TrimmedMean { beta: Perbill::from_percent(20) },
			AggregationRule::Krum { f: 2 },
			AggregationRule::MultiKrum { f: 1, m: 3 },
			AggregationRule::CenteredClipping { tau: 20_000, iterations: 3 },
		] {
			assert_eq!(
				rule.aggregate_with(&Parallel, &refs),
				rule.aggregate_with(&Sequential, &refs),
				"{rule:?}"
			);
		}
	}
}
