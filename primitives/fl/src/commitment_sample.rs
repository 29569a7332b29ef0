//! Which updates of a subgroup its panel checks against their on-chain commitments.
//!
//! An update reaches an evaluator by its CID, so its bytes are fixed from submission on and
//! every panel member aggregates the same bytes; what the Poseidon commitment adds is the
//! link between those bytes and the values a score is later proven for. Computing it is
//! most of an aggregation duty (about 40 ms of 81 ms per update of 2^16 values in the
//! off-chain worker), so a panel does not compute it for every update: it checks a sample
//! of at most [`COMMITMENT_CHECKS`] updates per subgroup, the same sample for every member
//! (a panel whose members checked different updates could not agree on the invalid set),
//! and drawn from a seed that nobody but one block author knew while updates could still
//! be submitted.
//!
//! The chain records the seed when Training ends, from BABE's VRF output of the last
//! Training block in din-runtime (read in the block that ends Training): no transaction
//! can join Training after that block, and nobody but its author knows the output before
//! it is published. Its author knows it ahead (a slot's output follows from the epoch's
//! randomness) and chooses that block's transactions, so one colluding author can keep a
//! colluder out of the sample (docs/threat-model.md). Anyone else whose bytes do
//! not open its commitment is therefore in the sample, and in the invalid set (slashed as
//! any invalid update), with probability `min(1, COMMITMENT_CHECKS / n)` in a subgroup of
//! `n`, without being able to tell beforehand. Outside the sample its bytes are aggregated
//! like anyone's (they are the bytes the CID names, the same for the whole panel), and the
//! mismatch is found where the commitment is needed: its scorers cannot open it
//! ([`crate::duty::check_scored`]), so it counts nothing right, earns nothing, and, scored
//! by median, is slashed below the baseline. Without a recorded seed (a round that began
//! before the chain recorded seeds) every update is checked.

use alloc::{vec, vec::Vec};
use sha2::{Digest, Sha256};

/// The most updates of one subgroup whose commitments its panel computes.
pub const COMMITMENT_CHECKS: usize = 8;

/// The positions (among a subgroup's submitted updates, in member order) whose
/// commitments the panel checks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CommitmentSample {
	checked: Vec<bool>,
}

impl CommitmentSample {
	/// Every one of `submitted` updates checked.
	pub fn all(submitted: usize) -> Self {
		Self { checked: vec![true; submitted] }
	}

	/// The sample of `subgroup` among its `submitted` updates, drawn from the round's
	/// `seed` as the chain recorded it, or [`Self::all`] when it recorded none.
	pub fn of_subgroup(seed: Option<&[u8; 32]>, subgroup: u32, submitted: usize) -> Self {
		match seed {
			Some(seed) => Self::drawn(seed, subgroup, submitted),
			None => Self::all(submitted),
		}
	}

	/// `min(submitted, COMMITMENT_CHECKS)` distinct positions, uniformly: the first steps
	/// of a Fisher-Yates shuffle of the positions, each step's index from
	/// `SHA-256("din/commitment-sample" ‖ seed ‖ subgroup ‖ step)`.
	pub fn drawn(seed: &[u8; 32], subgroup: u32, submitted: usize) -> Self {
		let mut positions: Vec<usize> = (0..submitted).collect();
		let mut checked = vec![false; submitted];
		for step in 0..submitted.min(COMMITMENT_CHECKS) {
			let digest = Sha256::new()
				.chain_update(b"din/commitment-sample")
				.chain_update(seed)
				.chain_update(subgroup.to_le_bytes())
				.chain_update((step as u32).to_le_bytes())
				.finalize();
			let draw = u64::from_le_bytes(digest[..8].try_into().expect("8 of 32 bytes"));
			// A bias of at most n / 2^64 towards low positions: nothing anyone can use.
			let pick = step + (draw % (submitted - step) as u64) as usize;
			positions.swap(step, pick);
			checked[positions[step]] = true;
		}
		Self { checked }
	}

	/// Whether the update at `position` is checked.
	pub fn checks(&self, position: usize) -> bool {
		self.checked.get(position).copied().unwrap_or(false)
	}

	/// The checked positions, ascending.
	pub fn positions(&self) -> impl Iterator<Item = usize> + '_ {
		self.checked.iter().enumerate().filter(|(_, c)| **c).map(|(p, _)| p)
	}

	/// How many positions the sample covers.
	pub fn len(&self) -> usize {
		self.checked.len()
	}

	/// Whether it covers no position.
	pub fn is_empty(&self) -> bool {
		self.checked.is_empty()
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use proptest::prelude::*;

	#[test]
	fn a_small_subgroup_is_checked_whole() {
		for n in 0..=COMMITMENT_CHECKS {
			let sample = CommitmentSample::drawn(&[7; 32], 3, n);
			assert_eq!(sample.positions().count(), n);
		}
	}

	#[test]
	fn without_a_recorded_seed_every_update_is_checked() {
		let sample = CommitmentSample::of_subgroup(None, 0, 100);
		assert_eq!(sample.positions().collect::<Vec<_>>(), (0..100).collect::<Vec<_>>());
	}

	/// A participant cannot place itself outside the sample: over many seeds each position
	/// of a subgroup of 100 is drawn about `COMMITMENT_CHECKS` times in 100, the first and
	/// last as often as the others. (Deterministic: fixed seeds.)
	#[test]
	fn every_position_is_drawn_equally_often_across_seeds() {
		let (n, rounds) = (100usize, 20_000u32);
		let mut hits = vec![0u32; n];
		for round in 0..rounds {
			let mut seed = [0u8; 32];
			seed[..4].copy_from_slice(&round.to_le_bytes());
			for position in CommitmentSample::drawn(&seed, 0, n).positions() {
				hits[position] += 1;
			}
		}
		let expected = rounds as f64 * COMMITMENT_CHECKS as f64 / n as f64;
		for (position, hits) in hits.iter().enumerate() {
			let off = (*hits as f64 - expected).abs() / expected;
			// 1,600 expected hits: four standard deviations are about 10%.
			assert!(off < 0.12, "position {position}: {hits} hits, {expected} expected");
		}
	}

	proptest! {
		/// Every panel member draws the same sample from the chain's seed; the size is
		/// `min(n, COMMITMENT_CHECKS)`; another subgroup or seed draws independently.
		#[test]
		fn the_sample_is_a_function_of_the_seed_subgroup_and_size(
			seed in any::<[u8; 32]>(),
			subgroup in any::<u32>(),
			n in 0usize..1_000,
		) {
			let sample = CommitmentSample::drawn(&seed, subgroup, n);
			prop_assert_eq!(&sample, &CommitmentSample::drawn(&seed, subgroup, n));
			prop_assert_eq!(sample.len(), n);
			prop_assert_eq!(sample.positions().count(), n.min(COMMITMENT_CHECKS));
			prop_assert!(sample.positions().all(|p| p < n));
		}
	}
}
