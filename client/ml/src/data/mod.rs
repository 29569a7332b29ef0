//! Labelled datasets: in-memory representation, loaders and participant splits.
//!
//! A [`Dataset`] is a dense, row-major `f32` feature matrix plus one `u32` class index per
//! sample. Every model in this crate takes flat feature rows (the CNN reshapes rows of
//! `side²` pixels into images itself), so one type serves CSV tables, MNIST images and
//! the shipped UCI digits alike.
//!
//! - [`csv`]: numeric CSV, feature columns + one label column.
//! - [`idx`]: IDX files (the MNIST format), pixels scaled to `[0, 1]`.
//! - [`digits`]: the UCI handwritten digits 8×8 shipped inside the crate, and the fixed
//!   owner train/test split.
//! - [`split`]: deterministic, seeded IID and Dirichlet(α) non-IID partitions.

pub mod csv;
pub mod digits;
pub mod idx;
pub mod split;

use candle_core::{Device, Tensor};

use crate::error::{MlError, Result};

/// Samples with `num_features` features each and a class index in `0..num_classes`.
#[derive(Clone, Debug, PartialEq)]
pub struct Dataset {
	features: Vec<f32>,
	labels: Vec<u32>,
	num_features: usize,
	num_classes: usize,
}

impl Dataset {
	/// A dataset from row-major features; checks the shape and that every label is a
	/// class index.
	pub fn new(
		features: Vec<f32>,
		labels: Vec<u32>,
		num_features: usize,
		num_classes: usize,
	) -> Result<Self> {
		if num_features == 0 || num_classes == 0 {
			return Err(MlError::InvalidDataset(format!(
				"{num_features} features and {num_classes} classes: both must be at least 1"
			)));
		}
		if labels.len().checked_mul(num_features) != Some(features.len()) {
			return Err(MlError::InvalidDataset(format!(
				"{} feature values do not form {} samples of {num_features} features",
				features.len(),
				labels.len()
			)));
		}
		if let Some((index, label)) =
			labels.iter().enumerate().find(|(_, label)| **label as usize >= num_classes)
		{
			return Err(MlError::InvalidDataset(format!(
				"sample {index} has label {label}, but there are only {num_classes} classes"
			)));
		}
		Ok(Self { features, labels, num_features, num_classes })
	}

	/// The same samples declared to have `num_classes` classes (for splits of one
	/// corpus that happen to miss the highest labels).
	pub fn with_num_classes(self, num_classes: usize) -> Result<Self> {
		Self::new(self.features, self.labels, self.num_features, num_classes)
	}

	/// Number of samples.
	pub fn len(&self) -> usize {
		self.labels.len()
	}

	/// Whether the dataset has no samples.
	pub fn is_empty(&self) -> bool {
		self.labels.is_empty()
	}

	/// Features per sample.
	pub fn num_features(&self) -> usize {
		self.num_features
	}

	/// Number of classes (labels lie in `0..num_classes`).
	pub fn num_classes(&self) -> usize {
		self.num_classes
	}

	/// All features, one sample after another.
	pub fn features(&self) -> &[f32] {
		&self.features
	}

	/// The class index of every sample.
	pub fn labels(&self) -> &[u32] {
		&self.labels
	}

	/// Features and label of sample `index`.
	pub fn sample(&self, index: usize) -> Option<(&[f32], u32)> {
		let start = index.checked_mul(self.num_features)?;
		let row = self.features.get(start..start.checked_add(self.num_features)?)?;
		Some((row, *self.labels.get(index)?))
	}

	/// Samples per class.
	pub fn class_counts(&self) -> Vec<usize> {
		let mut counts = vec![0; self.num_classes];
		for label in &self.labels {
			counts[*label as usize] += 1;
		}
		counts
	}

	/// The samples at `indices`, in that order (indices out of range are skipped).
	pub fn subset(&self, indices: &[usize]) -> Self {
		let mut features = Vec::with_capacity(indices.len() * self.num_features);
		let mut labels = Vec::with_capacity(indices.len());
		for (row, label) in indices.iter().filter_map(|index| self.sample(*index)) {
			features.extend_from_slice(row);
			labels.push(label);
		}
		Self { features, labels, num_features: self.num_features, num_classes: self.num_classes }
	}

	/// Features as an `(n, num_features)` f32 tensor and labels as an `(n,)` u32 tensor.
	pub fn to_tensors(&self, device: &Device) -> candle_core::Result<(Tensor, Tensor)> {
		let features = Tensor::from_slice(&self.features, (self.len(), self.num_features), device)?;
		let labels = Tensor::from_slice(&self.labels, self.len(), device)?;
		Ok((features, labels))
	}

	/// The samples under a task's input preprocessing ([`din_fl::Preprocessing`]), which
	/// must cover exactly this dataset's features.
	pub fn preprocessed(&self, map: &din_fl::Preprocessing) -> Result<Self> {
		if map.shift.len() != self.num_features {
			return Err(MlError::InvalidDataset(format!(
				"the task preprocesses {} features, the data has {}",
				map.shift.len(),
				self.num_features
			)));
		}
		let mut features = self.features.clone();
		map.apply(&mut features);
		Ok(Self { features, ..self.clone() })
	}

	/// The dataset in the integer reference evaluator's form: features quantized with
	/// the canonical [`din_fl::quantize`].
	pub fn to_test_set(&self) -> Result<din_fl::TestSet> {
		let num_features = u32::try_from(self.num_features)
			.map_err(|_| MlError::InvalidDataset("more than u32::MAX features".into()))?;
		Ok(din_fl::TestSet::from_f32(num_features, &self.features, self.labels.clone())?)
	}
}
