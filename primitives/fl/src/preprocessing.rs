//! A task's input preprocessing: the per-feature affine map every party applies to raw
//! features before the model sees them.
//!
//! Federated training cannot standardize its own inputs: no participant sees the others'
//! data, and SGD over features on scales from 1e-3 to 1e3 diverges or crawls (the
//! large features dominate every gradient step). So the owner fixes one map in the task,
//! `x' = clamp((x − shift) · scale, −clip, clip)` per feature, as part of the model spec's
//! canonical bytes ([`crate::spec::TaskModel`], so the on-chain model hash covers it), and:
//!
//! - the owner applies it to its test set before quantizing and sealing it, so evaluators,
//!   the off-chain worker and the circuit, which read only that committed test set, score
//!   on preprocessed features without applying anything themselves;
//! - every participant applies it to its own data before training, and `din model
//!   evaluate` to any data it scores the global model on.
//!
//! The arithmetic is IEEE-754 `f32` (one subtraction, one multiplication, a clamp: no
//! fused operations, no library calls), so it is the same on every machine. The clip bound
//! keeps every preprocessed feature inside `[−clip, clip]`, which bounds the quantized
//! features (`|x| ≤ clip · 2^16`) whatever outliers a participant's data holds.
//!
//! [`Preprocessing::standardize`] derives the map from a sample (mean and population
//! standard deviation per feature; a constant feature gets scale 1).

use alloc::vec::Vec;

/// Most features a preprocessing map may cover: 8 bytes each in the model spec, which the
/// chain bounds at a few KiB.
pub const MAX_PREPROCESSED_FEATURES: usize = 256;
/// Largest clip bound: quantized features stay within `±MAX_CLIP · 2^16 = ±2^22`.
pub const MAX_CLIP: f32 = 64.0;
/// Bytes of a map of `features` features in the canonical spec bytes: the clip bound, the
/// count, and a shift and a scale per feature.
pub const fn encoded_len(features: usize) -> usize {
	4 + 4 + 8 * features
}

/// `x' = clamp((x − shift[i]) · scale[i], −clip, clip)` for feature `i` (module docs).
#[derive(Clone, Debug, PartialEq)]
pub struct Preprocessing {
	/// Subtracted from each feature (its mean, for a standardization).
	pub shift: Vec<f32>,
	/// Multiplies each shifted feature (the inverse of its standard deviation).
	pub scale: Vec<f32>,
	/// Bound on the magnitude of every preprocessed feature.
	pub clip: f32,
}

/// Why a preprocessing map is invalid.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PreprocessingError {
	/// The map does not have one shift and one scale per model input (at most
	/// [`MAX_PREPROCESSED_FEATURES`]).
	FeatureCount { inputs: u32, shifts: usize, scales: usize },
	/// A shift is not finite, a scale not finite and positive, or the clip bound outside
	/// `(0, MAX_CLIP]`.
	Value,
}

impl core::fmt::Display for PreprocessingError {
	fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
		match self {
			Self::FeatureCount { inputs, shifts, scales } => write!(
				f,
				"preprocessing has {shifts} shifts and {scales} scales for a model of {inputs} \
				 inputs (at most {MAX_PREPROCESSED_FEATURES})"
			),
			Self::Value => write!(
				f,
				"preprocessing needs finite shifts, finite positive scales and a clip bound in \
				 (0, {MAX_CLIP}]"
			),
		}
	}
}

impl Preprocessing {
	/// Standardization from `rows` (row-major, `features` per row): mean and population
	/// standard deviation per feature, accumulated in `f64`; a feature with no spread
	/// gets scale 1 (it is only centred).
	pub fn standardize(rows: &[f32], features: usize, clip: f32) -> Self {
		let count = if features == 0 { 0 } else { rows.len() / features };
		let mut sum = alloc::vec![0f64; features];
		let mut squares = alloc::vec![0f64; features];
		for row in rows.chunks_exact(features.max(1)).take(count) {
			for ((value, sum), squares) in row.iter().zip(&mut sum).zip(&mut squares) {
				*sum += f64::from(*value);
				*squares += f64::from(*value) * f64::from(*value);
			}
		}
		let n = count.max(1) as f64;
		let mut shift = Vec::with_capacity(features);
		let mut scale = Vec::with_capacity(features);
		for (sum, squares) in sum.iter().zip(&squares) {
			let mean = sum / n;
			let variance = (squares / n - mean * mean).max(0.0);
			let deviation = sqrt(variance) as f32;
			shift.push(mean as f32);
			let inverse = 1.0 / deviation;
			scale.push(if deviation > 0.0 && inverse.is_finite() { inverse } else { 1.0 });
		}
		Self { shift, scale, clip }
	}

	/// Checks the map against a model of `inputs` features (module docs).
	pub fn validate(&self, inputs: u32) -> Result<(), PreprocessingError> {
		let (shifts, scales) = (self.shift.len(), self.scale.len());
		if shifts != inputs as usize || scales != shifts || shifts > MAX_PREPROCESSED_FEATURES {
			return Err(PreprocessingError::FeatureCount { inputs, shifts, scales });
		}
		let shifts_finite = self.shift.iter().all(|s| s.is_finite());
		let scales_positive = self.scale.iter().all(|s| s.is_finite() && *s > 0.0);
		let clip_in_range = self.clip > 0.0 && self.clip <= MAX_CLIP;
		if shifts_finite && scales_positive && clip_in_range {
			Ok(())
		} else {
			Err(PreprocessingError::Value)
		}
	}

	/// Applies the map to one row of raw features (as many as the map covers).
	pub fn apply_row(&self, row: &mut [f32]) {
		for ((value, shift), scale) in row.iter_mut().zip(&self.shift).zip(&self.scale) {
			*value = ((*value - shift) * scale).clamp(-self.clip, self.clip);
		}
	}

	/// Applies the map to every row of `rows` (row-major, one row per map width).
	pub fn apply(&self, rows: &mut [f32]) {
		for row in rows.chunks_exact_mut(self.shift.len().max(1)) {
			self.apply_row(row);
		}
	}

	/// Whether `test_set` could have come out of this map: as many features as it covers,
	/// every quantized feature within the clip bound. Evaluators and the off-chain worker
	/// dispute an opened test set that could not (the owner did not preprocess it as its
	/// task declares), the same way as one that does not open.
	pub fn admits(&self, test_set: &crate::TestSet) -> bool {
		let Ok(bound) = crate::quantize(self.clip) else { return false };
		test_set.num_features as usize == self.shift.len()
			&& test_set.features.iter().all(|x| x.unsigned_abs() <= bound.unsigned_abs())
	}

	/// Appends the canonical bytes: clip, count, shifts, scales (`f32` bit patterns, LE).
	pub(crate) fn write(&self, out: &mut Vec<u8>) {
		out.extend_from_slice(&self.clip.to_bits().to_le_bytes());
		out.extend_from_slice(&(self.shift.len() as u32).to_le_bytes());
		for value in self.shift.iter().chain(&self.scale) {
			out.extend_from_slice(&value.to_bits().to_le_bytes());
		}
	}

	/// Reads what [`Self::write`] wrote, given a `u32` reader; the count is bounded by
	/// [`MAX_PREPROCESSED_FEATURES`] before anything is allocated.
	pub(crate) fn read<E>(
		mut word: impl FnMut() -> Result<u32, E>,
		too_many: impl FnOnce(usize) -> E,
	) -> Result<Self, E> {
		let clip = f32::from_bits(word()?);
		let count = word()? as usize;
		if count > MAX_PREPROCESSED_FEATURES {
			return Err(too_many(count));
		}
		let mut values = || (0..count).map(|_| word().map(f32::from_bits)).collect();
		let shift: Result<Vec<f32>, E> = values();
		let shift = shift?;
		let scale: Result<Vec<f32>, E> = values();
		Ok(Self { shift, scale: scale?, clip })
	}
}

/// `f64` square root by Newton's iteration (`no_std` has no `sqrt`); exact to the last
/// bit or one below, which a standardization's scale does not notice.
fn sqrt(value: f64) -> f64 {
	if value <= 0.0 || !value.is_finite() {
		return 0.0;
	}
	let mut x = if value > 1.0 { value } else { 1.0 };
	for _ in 0..2048 {
		let next = 0.5 * (x + value / x);
		if next >= x {
			break;
		}
		x = next;
	}
	x
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn standardization_centres_and_scales_each_feature_and_clips_outliers() {
		// Feature 0 on the scale of 1e3, feature 1 of 1e-3, feature 2 constant.
		let rows = [1000.0, 0.001, 5.0, 3000.0, 0.003, 5.0];
		let map = Preprocessing::standardize(&rows, 3, 4.0);
		assert_eq!(map.shift, vec![2000.0, 0.002, 5.0]);
		assert_eq!(map.scale[2], 1.0);
		assert!((map.scale[0] - 1e-3).abs() < 1e-9);
		assert!((map.scale[1] - 1e3).abs() < 1e-1);
		let mut data = rows.to_vec();
		map.apply(&mut data);
		for (got, want) in data.iter().zip([-1.0, -1.0, 0.0, 1.0, 1.0, 0.0]) {
			assert!((got - want).abs() < 1e-3, "{got} vs {want}");
		}
		let mut outlier = [1e9, -1e9, 5.0];
		map.apply_row(&mut outlier);
		assert_eq!(outlier, [4.0, -4.0, 0.0]);
		assert_eq!(map.validate(3), Ok(()));
	}

	#[test]
	fn a_map_for_another_width_or_with_bad_values_is_refused() {
		let map = Preprocessing::standardize(&[1.0, 2.0, 3.0, 4.0], 2, 8.0);
		assert_eq!(
			map.validate(3),
			Err(PreprocessingError::FeatureCount { inputs: 3, shifts: 2, scales: 2 })
		);
		for broken in [
			Preprocessing { clip: 0.0, ..map.clone() },
			Preprocessing { clip: MAX_CLIP * 2.0, ..map.clone() },
			Preprocessing { scale: vec![1.0, -1.0], ..map.clone() },
			Preprocessing { scale: vec![1.0, 0.0], ..map.clone() },
			Preprocessing { shift: vec![f32::NAN, 0.0], ..map.clone() },
			Preprocessing { scale: vec![f32::INFINITY, 1.0], ..map.clone() },
		] {
			assert_eq!(broken.validate(2), Err(PreprocessingError::Value), "{broken:?}");
		}
	}

	#[test]
	fn a_test_set_outside_the_clip_bound_or_of_another_width_was_not_preprocessed_so() {
		let map = Preprocessing::standardize(&[0.0, 10.0, 2.0, 30.0], 2, 3.0);
		let mut rows = vec![1.0, 20.0, 1e6, -1e6];
		map.apply(&mut rows);
		let set = crate::TestSet::from_f32(2, &rows, vec![0, 1]).unwrap();
		assert!(map.admits(&set));
		let mut raw = set.clone();
		raw.features[2] = crate::quantize(3.01).unwrap();
		assert!(!map.admits(&raw));
		let narrow = crate::TestSet::from_f32(1, &[0.0, 0.5], vec![0, 1]).unwrap();
		assert!(!map.admits(&narrow));
	}

	#[test]
	fn square_root_matches_the_standard_one() {
		for value in [0.25, 1.0, 2.0, 1e-12, 1e12, 123.456] {
			let ours = sqrt(value);
			let std = f64::sqrt(value);
			assert!((ours - std).abs() <= std * 1e-15, "{value}: {ours} vs {std}");
		}
	}
}
