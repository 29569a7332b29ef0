//! Process settings for training on the CPU, applied once by [`crate::train::train`].
//!
//! Two defaults of the libraries under candle cost a participant more than the training
//! itself on models of real width (measured with `scripts/bench/train_candle_vs_torch.sh`
//! on a 64-512-256-10 MLP, batch 32, 2 cores; figures in `docs/benchmarks.md`):
//!
//! - **glibc's allocator.** candle allocates a fresh buffer for every tensor an op or its
//!   gradient produces. Buffers above the mmap threshold (128 KiB to start with, such as
//!   a 512×256 weight gradient) are mapped on allocation and unmapped on free, so every
//!   step page-faults them in again and the kernel zeroes them: a third of the step's
//!   time. Raising the mmap threshold to 32 MiB and the trim threshold to 256 MiB keeps
//!   freed buffers in the heap for the next step.
//! - **gemm's threading threshold.** gemm splits a product of more than 48·48·256
//!   multiply-adds across threads; a training step's products (32×512×256 and the like)
//!   are just above that, and forking and joining them costs more than it saves: with
//!   two threads such a model trained slower than with one. Products below
//!   [`MATMUL_THREADING_THRESHOLD`] run on one thread; larger ones (big batches, wide
//!   convolutions) still use every thread.
//!
//! Both are process-wide. The daemons are training processes, so they take them as they
//! are; a program that embeds din-ml and wants other settings sets its own after the
//! first [`crate::train::train`] call.

use std::sync::Once;

/// Multiply-adds below which a matrix product runs on one thread.
pub const MATMUL_THREADING_THRESHOLD: usize = 16 << 20;

/// Applies the settings of the module docs, once per process.
pub fn tune_for_training() {
	static TUNED: Once = Once::new();
	TUNED.call_once(|| {
		keep_freed_buffers();
		gemm::set_threading_threshold(MATMUL_THREADING_THRESHOLD);
	});
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn keep_freed_buffers() {
	// glibc caps the mmap threshold at 32 MiB on 64-bit targets; larger values are
	// rejected (mallopt returns 0 and keeps the default).
	// SAFETY: mallopt takes no pointers and only sets allocator parameters, under the
	// allocator's own lock.
	unsafe {
		libc::mallopt(libc::M_MMAP_THRESHOLD, 32 << 20);
		libc::mallopt(libc::M_TRIM_THRESHOLD, 256 << 20);
	}
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn keep_freed_buffers() {}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn training_keeps_small_products_on_one_thread() {
		tune_for_training();
		assert_eq!(gemm::get_threading_threshold(), MATMUL_THREADING_THRESHOLD);
	}
}
