//! Evaluation: float accuracy, mean loss and confusion matrix of a candle model, and
//! the integer accuracy of a quantized model.
//!
//! The float path runs the candle model in batches. The integer path is the one that
//! counts on-chain: it quantizes the test features with the canonical `quantize` and
//! calls [`din_fl::reference::count_correct`], the function the Groth16 circuit
//! proves and the off-chain workers run, so its result agrees bit for bit with theirs.
//! Quantization at 2^16 is fine enough that the two accuracies of a trained model
//! differ by at most a sample or two.

use candle_core::{DType, Module};
use din_fl::{ModelSpec, Update};

use crate::data::Dataset;
use crate::error::{MlError, Result};
use crate::model::{predictions, Model};

/// Samples per forward pass during evaluation (bounds memory, not results).
const EVAL_BATCH: usize = 1024;

/// `counts[true][predicted]` over a test set.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfusionMatrix {
	classes: usize,
	counts: Vec<u64>,
}

impl ConfusionMatrix {
	/// An all-zero matrix.
	pub fn new(classes: usize) -> Self {
		Self { classes, counts: vec![0; classes * classes] }
	}

	/// Counts one prediction (labels outside the matrix are ignored).
	pub fn record(&mut self, label: u32, predicted: u32) {
		let (label, predicted) = (label as usize, predicted as usize);
		if label < self.classes && predicted < self.classes {
			self.counts[label * self.classes + predicted] += 1;
		}
	}

	/// Number of classes.
	pub fn classes(&self) -> usize {
		self.classes
	}

	/// How often class `label` was predicted as `predicted`.
	pub fn get(&self, label: usize, predicted: usize) -> u64 {
		if label < self.classes && predicted < self.classes {
			self.counts[label * self.classes + predicted]
		} else {
			0
		}
	}

	/// The row of true class `label`.
	pub fn row(&self, label: usize) -> &[u64] {
		self.counts.get(label * self.classes..(label + 1) * self.classes).unwrap_or(&[])
	}

	/// Diagonal sum: correct predictions.
	pub fn correct(&self) -> u64 {
		(0..self.classes).map(|class| self.get(class, class)).sum()
	}

	/// All recorded predictions.
	pub fn total(&self) -> u64 {
		self.counts.iter().sum()
	}
}

/// Result of [`evaluate`].
#[derive(Clone, Debug, PartialEq)]
pub struct Evaluation {
	/// Samples evaluated.
	pub samples: usize,
	/// Samples whose argmax prediction equals the label.
	pub correct: usize,
	/// `correct / samples`.
	pub accuracy: f64,
	/// Mean cross-entropy.
	pub mean_loss: f64,
	/// Rows: true class; columns: predicted class.
	pub confusion: ConfusionMatrix,
}

/// Float evaluation of a candle model.
pub fn evaluate(model: &Model, data: &Dataset) -> Result<Evaluation> {
	if data.is_empty() {
		return Err(MlError::InvalidDataset("cannot evaluate on an empty dataset".into()));
	}
	let classes = model.spec().classes() as usize;
	let (features, labels) = data.to_tensors(model.device())?;
	let mut confusion = ConfusionMatrix::new(classes);
	let mut loss_sum = 0.0;
	let mut start = 0;
	while start < data.len() {
		let len = EVAL_BATCH.min(data.len() - start);
		let logits = model.forward(&features.narrow(0, start, len)?)?;
		let loss = candle_nn::loss::cross_entropy(&logits, &labels.narrow(0, start, len)?)?;
		loss_sum += f64::from(loss.to_dtype(DType::F32)?.to_scalar::<f32>()?) * len as f64;
		for (label, predicted) in
			data.labels()[start..start + len].iter().zip(predictions(&logits)?)
		{
			confusion.record(*label, predicted);
		}
		start += len;
	}
	let correct = confusion.correct() as usize;
	Ok(Evaluation {
		samples: data.len(),
		correct,
		accuracy: correct as f64 / data.len() as f64,
		mean_loss: loss_sum / data.len() as f64,
		confusion,
	})
}

/// Result of [`evaluate_reference`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReferenceEvaluation {
	/// Samples evaluated.
	pub samples: usize,
	/// The reference evaluator's correct count (what a proof attests).
	pub correct: u32,
}

impl ReferenceEvaluation {
	/// `correct / samples`.
	pub fn accuracy(&self) -> f64 {
		f64::from(self.correct) / self.samples.max(1) as f64
	}
}

/// Integer evaluation of a canonical model with din-fl's reference evaluator
/// (softmax regression and MLPs; a CNN spec is rejected by the evaluator).
pub fn evaluate_reference(
	spec: &ModelSpec,
	update: &Update,
	data: &Dataset,
) -> Result<ReferenceEvaluation> {
	update.check_against(&spec.schema()?)?;
	let test_set = data.to_test_set()?;
	let correct = din_fl::reference::count_correct(spec, &update.values, &test_set)?;
	Ok(ReferenceEvaluation { samples: data.len(), correct })
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn confusion_matrix_counts() {
		let mut matrix = ConfusionMatrix::new(3);
		for (label, predicted) in [(0, 0), (0, 1), (2, 2), (2, 2), (1, 0), (7, 0)] {
			matrix.record(label, predicted);
		}
		assert_eq!(matrix.row(0), &[1, 1, 0]);
		assert_eq!(matrix.get(2, 2), 2);
		assert_eq!((matrix.correct(), matrix.total()), (3, 5));
		assert_eq!(matrix.get(5, 5), 0);
	}
}
