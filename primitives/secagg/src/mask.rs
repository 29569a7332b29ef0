//! Masking a member's weighted update, summing masked updates, and removing what the sum
//! still holds of the masks once the survivors' seeds are known (crate docs).
//!
//! Values live in `ℤ/2⁶⁴`: a member's `nᵢ·xᵢ` (canonical `i32` values times its sample count)
//! as a two's-complement `u64`, every mask a ChaCha20 word, every sum wrapping. The FedAvg
//! numerator comes back exact as an `i64` while `Σ nᵢ < 2³²` (then `|Σ nᵢ·xᵢ| < 2⁶³`).

use alloc::vec::Vec;
use chacha20::cipher::{KeyIvInit, StreamCipher};
use chacha20::ChaCha20;

use crate::Seed;

/// `len` words of the ChaCha20 keystream of `seed` (nonce zero: every seed is derived for
/// one context, so it keys one stream).
fn stream(seed: &Seed, len: usize) -> Vec<u64> {
	let mut bytes = alloc::vec![0u8; len * 8];
	ChaCha20::new(seed.into(), &[0u8; 12].into()).apply_keystream(&mut bytes);
	bytes
		.chunks_exact(8)
		.map(|word| u64::from_le_bytes(word.try_into().expect("8 bytes")))
		.collect()
}

fn add(into: &mut [u64], words: &[u64]) {
	into.iter_mut().zip(words).for_each(|(v, w)| *v = v.wrapping_add(*w));
}

fn sub(into: &mut [u64], words: &[u64]) {
	into.iter_mut().zip(words).for_each(|(v, w)| *v = v.wrapping_sub(*w));
}

/// What member `me` publishes: `samples · values` plus the stream of its `self_seed`, plus
/// the stream of each pairwise seed with a member after it and minus those with a member
/// before it (`pairs`: `(other member, pairwise mask seed)`).
pub fn mask(
	values: &[i32],
	samples: u64,
	me: u32,
	self_seed: &Seed,
	pairs: &[(u32, Seed)],
) -> Vec<u64> {
	let mut masked: Vec<u64> =
		values.iter().map(|v| (i64::from(*v) as u64).wrapping_mul(samples)).collect();
	add(&mut masked, &stream(self_seed, values.len()));
	for (other, seed) in pairs {
		let words = stream(seed, values.len());
		if *other > me {
			add(&mut masked, &words);
		} else if *other < me {
			sub(&mut masked, &words);
		}
	}
	masked
}

/// The wrapping sum of masked updates of one length.
pub fn sum<'a>(masked: impl IntoIterator<Item = &'a [u64]>, len: usize) -> Vec<u64> {
	let mut total = alloc::vec![0u64; len];
	for update in masked {
		add(&mut total, update);
	}
	total
}

/// `Σ nᵢ·xᵢ` of the survivors, from the `total` of their masked updates: without each
/// survivor's self mask (`self_seeds`) and without the pairwise masks survivors added
/// against members that dropped (`dropped_pairs`: `(survivor, dropped member, seed)`).
pub fn unmask(
	mut total: Vec<u64>,
	self_seeds: &[Seed],
	dropped_pairs: &[(u32, u32, Seed)],
) -> Vec<i64> {
	let len = total.len();
	for seed in self_seeds {
		sub(&mut total, &stream(seed, len));
	}
	for (survivor, dropped, seed) in dropped_pairs {
		// The survivor added the stream against a later member, subtracted it otherwise.
		let words = stream(seed, len);
		if dropped > survivor {
			sub(&mut total, &words);
		} else {
			add(&mut total, &words);
		}
	}
	total.into_iter().map(|v| v as i64).collect()
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn the_stream_is_chacha20s_keystream() {
		let a = stream(&[0; 32], 16);
		let b = stream(&[1; 32], 16);
		assert_eq!(a.len(), 16);
		assert_ne!(a, b);
		// The first word of ChaCha20's block at key 0, nonce 0, counter 0 (RFC 7539
		// appendix A.1, test vector 1): 76 b8 e0 ad a0 f1 3d 90.
		assert_eq!(a[0], u64::from_le_bytes([0x76, 0xb8, 0xe0, 0xad, 0xa0, 0xf1, 0x3d, 0x90]));
	}

	#[test]
	fn without_dropouts_the_pairwise_masks_cancel() {
		let seeds = [[1u8; 32], [2u8; 32], [3u8; 32]];
		let pair = |i: u32, j: u32| [10 + i.min(j) as u8 * 3 + i.max(j) as u8; 32];
		let values: [[i32; 3]; 3] = [[1, -2, 3], [-4, 5, -6], [7, 8, -9]];
		let samples = [10u64, 20, 30];
		let masked: Vec<Vec<u64>> = (0..3u32)
			.map(|i| {
				let pairs: Vec<(u32, Seed)> =
					(0..3u32).filter(|j| *j != i).map(|j| (j, pair(i, j))).collect();
				mask(&values[i as usize], samples[i as usize], i, &seeds[i as usize], &pairs)
			})
			.collect();
		let total = sum(masked.iter().map(|m| m.as_slice()), 3);
		let numerator = unmask(total, &seeds, &[]);
		assert_eq!(numerator, vec![10 - 80 + 210, -20 + 100 + 240, 30 - 120 - 270]);
	}
}
