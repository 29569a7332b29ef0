//! How a rule runs the parts of its work that do not depend on each other.
//!
//! Every rule except Krum's distance step computes each output coordinate from the same
//! coordinate of the inputs only, so the output splits into blocks that can be computed in
//! any order, on any thread; Krum's pairwise distances are independent of each other too.
//! A rule writes its per-block kernel once and takes the loop around it from an
//! [`Executor`]: [`Sequential`] here (the runtime's off-chain workers, and any `no_std`
//! caller), `din_aggregate::Parallel` (rayon) in the client. Since every executor calls
//! the same kernel on the same blocks, the integers written are the same whatever ran
//! them, in whatever order, on however many threads. Blocks are small enough that a
//! block's per-coordinate accumulators stay in L1 cache while the inputs stream through.

use alloc::vec::Vec;

/// Coordinates per block: the kernels keep one block of accumulators on the stack.
pub const BLOCK: usize = 2048;

/// Runs a rule's independent pieces of work. Implementations decide only *where* and in
/// which order the pieces run; each piece's result must not depend on that.
pub trait Executor: Sync {
	/// Calls `kernel(first_coordinate, block)` exactly once for every block of
	/// `out.chunks_mut(BLOCK)` (`first_coordinate` = the block's index × [`BLOCK`]), in any
	/// order, possibly concurrently. `inputs` is the number of input values the kernel
	/// reads per output coordinate, a hint for sizing parallel tasks.
	fn for_each_block<K>(&self, out: &mut [i32], inputs: usize, kernel: K)
	where
		K: Fn(usize, &mut [i32]) + Sync + Send;

	/// `items.iter().map(f).collect()`: the results in the order of `items`, computed in
	/// any order, possibly concurrently.
	fn map<T, R, F>(&self, items: &[T], f: F) -> Vec<R>
	where
		T: Sync,
		R: Send,
		F: Fn(&T) -> R + Sync + Send;
}

/// Runs everything on the calling thread, block after block.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Sequential;

impl Executor for Sequential {
	fn for_each_block<K>(&self, out: &mut [i32], _inputs: usize, kernel: K)
	where
		K: Fn(usize, &mut [i32]) + Sync + Send,
	{
		for (index, block) in out.chunks_mut(BLOCK).enumerate() {
			kernel(index * BLOCK, block);
		}
	}

	fn map<T, R, F>(&self, items: &[T], f: F) -> Vec<R>
	where
		T: Sync,
		R: Send,
		F: Fn(&T) -> R + Sync + Send,
	{
		items.iter().map(f).collect()
	}
}
