//! Runs a per-coordinate kernel over blocks of the output vector.
//!
//! Every rule except Krum's distance step computes each output coordinate from the same
//! coordinate of the inputs only, so blocks are independent: running them on one thread
//! or on rayon's pool (feature `std`), in any order and any number of threads, writes the
//! same integers. Blocks are small enough that a block's per-coordinate accumulators stay
//! in L1 cache while the inputs stream through.

/// Coordinates per block.
pub(crate) const BLOCK: usize = 2048;

/// Input values a rayon task should at least read: below this, waking another thread
/// costs more than it saves (a few tens of microseconds of work).
#[cfg(feature = "std")]
const MIN_VALUES_PER_TASK: usize = 1 << 18;

/// Calls `kernel(first_coordinate, block)` for every `BLOCK`-sized block of `out`;
/// `inputs` is the number of input values read per output coordinate (it only sizes
/// the parallel tasks).
pub(crate) fn for_each_block<F>(out: &mut [i32], inputs: usize, kernel: F)
where
	F: Fn(usize, &mut [i32]) + Sync + Send,
{
	#[cfg(feature = "std")]
	{
		use rayon::prelude::*;
		let min_blocks_per_task = MIN_VALUES_PER_TASK.div_ceil(BLOCK.saturating_mul(inputs.max(1)));
		out.par_chunks_mut(BLOCK)
			.with_min_len(min_blocks_per_task)
			.enumerate()
			.for_each(|(index, block)| kernel(index * BLOCK, block));
	}
	#[cfg(not(feature = "std"))]
	{
		let _ = inputs;
		for (index, block) in out.chunks_mut(BLOCK).enumerate() {
			kernel(index * BLOCK, block);
		}
	}
}
