//! The UCI handwritten digits 8×8, shipped inside the crate.
//!
//! 1,797 grayscale 8×8 images of the digits 0–9 whose pixels count "on" bits in 4×4
//! blocks of a 32×32 bitmap (values 0..16): the copy of the UCI "Optical Recognition of
//! Handwritten Digits" test set that scikit-learn distributes as `digits.csv.gz`
//! (E. Alpaydin, C. Kaynak; CC BY 4.0; see `client/ml/data/README.md`). The gzip file is
//! embedded byte for byte with `include_bytes!`, so demos and tests run without network
//! access. Features are `pixel / 16.0` in `[0, 1]` — exactly the contract's feature
//! encoding, so [`Dataset::to_test_set`] quantizes them as the circuit does.
//!
//! The owner's test set is fixed: the samples are shuffled with [`DIGITS_SPLIT_SEED`]
//! (see [`super::split`]) and the last [`DIGITS_TEST_SAMPLES`] form the "digits test
//! split (360 samples)" that the evaluation proofs and their benchmarks use.

use std::io::Read;

use super::csv::{parse_csv, CsvOptions, Header, LabelColumn};
use super::split::{shuffled_indices, train_test_split};
use super::Dataset;
use crate::error::{MlError, Result};

/// scikit-learn's `sklearn/datasets/data/digits.csv.gz` (64 pixel columns, then the label).
static DIGITS_CSV_GZ: &[u8] = include_bytes!("../../data/digits.csv.gz");

/// Samples in the digits dataset.
pub const DIGITS_SAMPLES: usize = 1797;
/// Pixels (features) per digit.
pub const DIGITS_FEATURES: usize = 64;
/// Image side in pixels.
pub const DIGITS_SIDE: usize = 8;
/// Classes (the digits 0–9).
pub const DIGITS_CLASSES: usize = 10;
/// Largest pixel value; features are `pixel / DIGITS_MAX_PIXEL`.
pub const DIGITS_MAX_PIXEL: f32 = 16.0;
/// Size of the owner's fixed test split.
pub const DIGITS_TEST_SAMPLES: usize = 360;
/// Seed of the shuffle that fixes the owner's train/test split (`b"DINdigit"`). Never
/// change it: the test set's on-chain commitment depends on it.
pub const DIGITS_SPLIT_SEED: u64 = u64::from_be_bytes(*b"DINdigit");

/// All 1,797 digits in the distributed order, features scaled to `[0, 1]`.
pub fn digits() -> Result<Dataset> {
	let mut text = String::new();
	flate2::read::GzDecoder::new(DIGITS_CSV_GZ)
		.read_to_string(&mut text)
		.map_err(|error| MlError::Digits(error.to_string()))?;
	let options = CsvOptions {
		label_column: LabelColumn::Last,
		header: Header::Absent,
		delimiter: ',',
		feature_divisor: DIGITS_MAX_PIXEL,
		num_classes: Some(DIGITS_CLASSES),
	};
	let data = parse_csv(&text, &options).map_err(|error| MlError::Digits(error.to_string()))?;
	if data.len() != DIGITS_SAMPLES || data.num_features() != DIGITS_FEATURES {
		return Err(MlError::Digits(format!(
			"{} samples of {} features, expected {DIGITS_SAMPLES} of {DIGITS_FEATURES}",
			data.len(),
			data.num_features()
		)));
	}
	Ok(data)
}

/// The fixed owner split: `(1,437 training samples, 360 test samples)`.
pub fn digits_train_test() -> Result<(Dataset, Dataset)> {
	train_test_split(&digits()?, DIGITS_TEST_SAMPLES, DIGITS_SPLIT_SEED)
}

/// Positions, in the distributed order, of the owner's test samples (in test-set
/// order): enough to rebuild the split from scikit-learn's `load_digits()` elsewhere.
pub fn digits_test_indices() -> Vec<usize> {
	shuffled_indices(DIGITS_SAMPLES, DIGITS_SPLIT_SEED)[DIGITS_SAMPLES - DIGITS_TEST_SAMPLES..]
		.to_vec()
}

/// The "digits test split (360 samples)": the owner's test set.
pub fn digits_test_split() -> Result<Dataset> {
	Ok(digits_train_test()?.1)
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn shipped_digits_match_the_distribution() {
		let data = digits().unwrap();
		assert_eq!(data.len(), DIGITS_SAMPLES);
		assert_eq!(data.num_classes(), DIGITS_CLASSES);
		// Per-class counts of the UCI test set as published with scikit-learn.
		assert_eq!(data.class_counts(), vec![178, 182, 177, 183, 181, 182, 181, 179, 174, 180]);
		assert_eq!(&data.labels()[..10], &[0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
		assert!(data.features().iter().all(|f| (0.0..=1.0).contains(f)));
		assert!(data.features().contains(&1.0));
		// Every feature is an exact multiple of 1/16.
		assert!(data.features().iter().all(|f| (f * 16.0).fract() == 0.0));
	}

	#[test]
	fn owner_split_is_fixed() {
		let (train, test) = digits_train_test().unwrap();
		assert_eq!((train.len(), test.len()), (DIGITS_SAMPLES - DIGITS_TEST_SAMPLES, 360));
		assert_eq!(digits_test_split().unwrap(), test);
		assert_eq!(digits().unwrap().subset(&digits_test_indices()), test);
		assert_eq!(&digits_test_indices()[..8], &[593, 1282, 1766, 1661, 745, 1194, 1287, 602]);
		assert_eq!(test.class_counts(), vec![37, 34, 25, 34, 41, 41, 42, 35, 34, 37]);
		// Pin the split itself: a change here would invalidate published test-set
		// commitments.
		assert_eq!(&test.labels()[..12], PINNED_TEST_LABELS);
		let test_set = test.to_test_set().unwrap();
		assert!(test_set.features.iter().all(|q| (0..=65536).contains(q)));
	}

	/// First labels of the fixed test split (recorded when the split was defined).
	const PINNED_TEST_LABELS: &[u32] = &[2, 9, 1, 4, 1, 9, 0, 7, 7, 4, 0, 0];
}
