//! Deterministic partitions of a dataset: owner train/test split, IID and non-IID
//! participant splits.
//!
//! Every split is a pure function of the dataset and a `u64` seed, so a demo, a test and
//! a benchmark on another machine cut the same samples. Randomness comes from
//! `ChaCha8Rng::seed_from_u64(seed)` (a specified stream cipher, not a platform RNG), and
//! the shuffle is written out here — Fisher–Yates with `j = ⌊u64 · (i + 1) / 2^64⌋` —
//! rather than taken from `rand`'s `SliceRandom`, whose algorithm has changed between
//! releases. The owner's test split must never move: its commitment goes on-chain.
//!
//! The non-IID split follows Hsu et al. (2019): for each class, participant shares are
//! drawn from a symmetric Dirichlet(α) (as normalised Gamma(α, 1) draws) and the class's
//! shuffled samples are cut at the cumulative shares. Small α gives each participant few
//! classes; large α approaches IID. Draws are repeated (at most [`MAX_DIRICHLET_ATTEMPTS`]
//! times) until every participant holds at least the requested number of samples.

use rand::{RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Gamma};

use super::Dataset;
use crate::error::{MlError, Result};

/// Redraws allowed before [`dirichlet_split`] gives up on its minimum size.
pub const MAX_DIRICHLET_ATTEMPTS: usize = 1000;

/// The crate's seeded RNG for a given seed.
pub(crate) fn seeded_rng(seed: u64) -> ChaCha8Rng {
	ChaCha8Rng::seed_from_u64(seed)
}

/// A uniform index below `bound` (> 0) by multiply-shift; its bias is below 2^-32 for
/// any dataset size, far under what a split could notice.
fn index_below(rng: &mut ChaCha8Rng, bound: usize) -> usize {
	((u128::from(rng.next_u64()) * bound as u128) >> 64) as usize
}

/// Shuffles `values` in place (Fisher–Yates, see the module docs).
pub(crate) fn shuffle<T>(values: &mut [T], rng: &mut ChaCha8Rng) {
	for i in (1..values.len()).rev() {
		values.swap(i, index_below(rng, i + 1));
	}
}

/// `0..n` in the seeded shuffled order.
pub fn shuffled_indices(n: usize, seed: u64) -> Vec<usize> {
	let mut indices: Vec<usize> = (0..n).collect();
	shuffle(&mut indices, &mut seeded_rng(seed));
	indices
}

/// Shuffles with `seed` and returns `(first len − test_len, last test_len)` samples.
pub fn train_test_split(data: &Dataset, test_len: usize, seed: u64) -> Result<(Dataset, Dataset)> {
	if test_len > data.len() {
		return Err(MlError::InvalidConfig(format!(
			"test split of {test_len} samples from a dataset of {}",
			data.len()
		)));
	}
	let order = shuffled_indices(data.len(), seed);
	let (train, test) = order.split_at(data.len() - test_len);
	Ok((data.subset(train), data.subset(test)))
}

fn check_participants(data: &Dataset, participants: usize) -> Result<()> {
	if participants == 0 || participants > data.len() {
		return Err(MlError::InvalidConfig(format!(
			"cannot split {} samples among {participants} participants",
			data.len()
		)));
	}
	Ok(())
}

/// IID split: shuffle with `seed`, then `participants` contiguous, near-equal shares
/// (sizes differ by at most one).
pub fn iid_split(data: &Dataset, participants: usize, seed: u64) -> Result<Vec<Dataset>> {
	check_participants(data, participants)?;
	let order = shuffled_indices(data.len(), seed);
	Ok((0..participants)
		.map(|p| {
			let (start, end) = (p * data.len() / participants, (p + 1) * data.len() / participants);
			data.subset(&order[start..end])
		})
		.collect())
}

/// Non-IID split with per-class Dirichlet(`alpha`) shares (module docs); every
/// participant gets at least `min_samples` samples.
pub fn dirichlet_split(
	data: &Dataset,
	participants: usize,
	alpha: f64,
	seed: u64,
	min_samples: usize,
) -> Result<Vec<Dataset>> {
	check_participants(data, participants)?;
	let gamma = Gamma::new(alpha, 1.0).map_err(|_| {
		MlError::InvalidConfig(format!("Dirichlet alpha must be positive and finite, got {alpha}"))
	})?;
	if min_samples.saturating_mul(participants) > data.len() {
		return Err(MlError::InvalidConfig(format!(
			"{participants} participants × {min_samples} samples exceed {} samples",
			data.len()
		)));
	}
	let mut by_class = vec![Vec::new(); data.num_classes()];
	for (index, label) in data.labels().iter().enumerate() {
		by_class[*label as usize].push(index);
	}
	let mut rng = seeded_rng(seed);
	for _ in 0..MAX_DIRICHLET_ATTEMPTS {
		let mut shares: Vec<Vec<usize>> = vec![Vec::new(); participants];
		for class in &by_class {
			let mut class = class.clone();
			shuffle(&mut class, &mut rng);
			let weights: Vec<f64> = (0..participants).map(|_| gamma.sample(&mut rng)).collect();
			let total: f64 = weights.iter().sum();
			if !(total > 0.0 && total.is_finite()) {
				// Every Gamma draw underflowed (tiny alpha): this class cannot be cut.
				continue;
			}
			let mut cumulative = 0.0;
			let mut start = 0;
			for (share, weight) in shares.iter_mut().zip(&weights) {
				cumulative += weight / total;
				// Rounding the cumulative share (not each share) keeps the cuts
				// monotone and hands out every sample exactly once.
				let end =
					((cumulative * class.len() as f64).round() as usize).clamp(start, class.len());
				share.extend_from_slice(&class[start..end]);
				start = end;
			}
			if let Some(last) = shares.last_mut() {
				last.extend_from_slice(&class[start..]);
			}
		}
		let complete = shares.iter().map(Vec::len).sum::<usize>() == data.len();
		if complete && shares.iter().all(|share| share.len() >= min_samples.max(1)) {
			return Ok(shares
				.into_iter()
				.map(|mut share| {
					share.sort_unstable();
					data.subset(&share)
				})
				.collect());
		}
	}
	Err(MlError::InvalidConfig(format!(
		"no Dirichlet({alpha}) split into {participants} participants with at least \
         {min_samples} samples each in {MAX_DIRICHLET_ATTEMPTS} draws"
	)))
}

#[cfg(test)]
mod tests {
	use super::*;

	fn toy(n: usize, classes: usize) -> Dataset {
		let features = (0..n).map(|i| i as f32).collect();
		let labels = (0..n).map(|i| (i % classes) as u32).collect();
		Dataset::new(features, labels, 1, classes).unwrap()
	}

	fn ids(data: &Dataset) -> Vec<usize> {
		data.features().iter().map(|value| *value as usize).collect()
	}

	#[test]
	fn shuffle_is_a_seeded_permutation() {
		let a = shuffled_indices(100, 7);
		assert_eq!(a, shuffled_indices(100, 7));
		assert_ne!(a, shuffled_indices(100, 8));
		let mut sorted = a.clone();
		sorted.sort_unstable();
		assert_eq!(sorted, (0..100).collect::<Vec<_>>());
	}

	#[test]
	fn iid_split_partitions_evenly() {
		let data = toy(103, 5);
		let parts = iid_split(&data, 10, 1).unwrap();
		assert_eq!(parts, iid_split(&data, 10, 1).unwrap());
		let sizes: Vec<_> = parts.iter().map(Dataset::len).collect();
		assert!(sizes.iter().all(|size| *size == 10 || *size == 11), "{sizes:?}");
		let mut all: Vec<_> = parts.iter().flat_map(ids).collect();
		all.sort_unstable();
		assert_eq!(all, (0..103).collect::<Vec<_>>());
		assert!(iid_split(&data, 0, 1).is_err());
		assert!(iid_split(&data, 104, 1).is_err());
	}

	#[test]
	fn dirichlet_split_partitions_and_skews() {
		let data = toy(1000, 10);
		let skewed = dirichlet_split(&data, 5, 0.1, 3, 10).unwrap();
		assert_eq!(skewed, dirichlet_split(&data, 5, 0.1, 3, 10).unwrap());
		let mut all: Vec<_> = skewed.iter().flat_map(ids).collect();
		all.sort_unstable();
		assert_eq!(all, (0..1000).collect::<Vec<_>>());
		assert!(skewed.iter().all(|part| part.len() >= 10));
		// With alpha = 0.1 a participant's largest class dominates its data; with a
		// large alpha the shares approach the uniform 10%.
		let dominance = |parts: &[Dataset]| {
			parts
				.iter()
				.map(|part| *part.class_counts().iter().max().unwrap() as f64 / part.len() as f64)
				.sum::<f64>()
				/ parts.len() as f64
		};
		let flat = dirichlet_split(&data, 5, 1000.0, 3, 10).unwrap();
		assert!(dominance(&skewed) > 0.4, "{}", dominance(&skewed));
		assert!(dominance(&flat) < 0.2, "{}", dominance(&flat));
		assert!(dirichlet_split(&data, 5, 0.0, 3, 10).is_err());
		assert!(dirichlet_split(&data, 5, 1.0, 3, 300).is_err());
	}

	#[test]
	fn train_test_split_takes_the_tail_of_the_shuffle() {
		let data = toy(50, 2);
		let (train, test) = train_test_split(&data, 10, 9).unwrap();
		let order = shuffled_indices(50, 9);
		assert_eq!(ids(&test), order[40..].to_vec());
		assert_eq!(ids(&train), order[..40].to_vec());
		assert!(train_test_split(&data, 51, 9).is_err());
	}
}
