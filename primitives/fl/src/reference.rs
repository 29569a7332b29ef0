//! The integer reference evaluator: the one definition of "accuracy" that the Groth16
//! circuit proves, the off-chain worker's median scoring reports and the client's
//! evaluator uses, so all three agree bit for bit.
//!
//! ## Mechanism (contract: `docs/canonical-encoding.md`)
//!
//! Weights, biases and features are fixed point at scale 2^16 ([`crate::encoding`]).
//! Per sample, with every operation in `i128`:
//!
//! 1. hidden layer (MLP only), for each unit `i`:
//!    `acc_i = Σ_j W[i][j]·x_j + b_i·2^16` (scale 2^32), then
//!    `h_i = floor(acc_i / 2^16)` (arithmetic shift right, i.e. toward −∞, so −1.5 → −2),
//!    then `h_i = max(h_i, 0)` (ReLU). `h` is the next layer's input (scale 2^16).
//! 2. output layer: `logit_k = Σ_i W[k][i]·h_i + b_k·2^16`, **not** truncated: only the
//!    argmax is used.
//! 3. prediction = the **lowest** index among the maximal logits (a strict `>` scan).
//! 4. `correct = #{samples : prediction == label}`; a label that is no class index never
//!    matches and is simply not counted.
//!
//! `W[i][j]` is `values[offset + i·fan_in + j]` (row-major `[out, in]`, as in the schema).
//!
//! ## Overflow
//!
//! For softmax regression and the first MLP layer no `i128` overflow is possible
//! (`|W·x| < 2^62`, at most 2^32 terms). Hidden activations are not clamped, so after
//! several layers with adversarial weights a sum could exceed `i128`; every operation is
//! therefore checked and reports [`ReferenceError::ArithmeticOverflow`] instead of
//! wrapping. Trained models stay many orders of magnitude below that bound.

use alloc::vec::Vec;
use core::fmt;

use crate::encoding::{quantize, EncodingError, FRAC_BITS};
use crate::spec::{ModelSpec, SpecError};

/// Why a model cannot be evaluated on the given inputs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReferenceError {
	/// The spec itself is invalid.
	InvalidSpec(SpecError),
	/// The reference evaluator covers softmax regression and MLPs only.
	UnsupportedModel,
	/// `values` does not have the spec's parameter count.
	ValueCountMismatch { expected: usize, found: usize },
	/// A sample does not have the spec's input feature count.
	FeatureCountMismatch { expected: usize, found: usize },
	/// `features.len()` is not `labels.len() × num_features`.
	TestSetShape { features: usize, labels: usize, num_features: u32 },
	/// A test-set feature could not be quantized.
	Quantize(EncodingError),
	/// An intermediate sum left the `i128` range (adversarial weights; module docs).
	ArithmeticOverflow,
}

impl fmt::Display for ReferenceError {
	fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
		match self {
			Self::InvalidSpec(error) => write!(f, "invalid model spec: {error}"),
			Self::UnsupportedModel => write!(
				f,
				"the integer reference evaluator supports softmax regression and MLPs only"
			),
			Self::ValueCountMismatch { expected, found } => {
				write!(f, "model has {expected} parameters, got {found} values")
			},
			Self::FeatureCountMismatch { expected, found } => {
				write!(f, "model takes {expected} features, sample has {found}")
			},
			Self::TestSetShape { features, labels, num_features } => write!(
				f,
				"{features} features do not form {labels} samples of {num_features} features"
			),
			Self::Quantize(error) => write!(f, "test set feature: {error}"),
			Self::ArithmeticOverflow => write!(f, "integer evaluation overflowed i128"),
		}
	}
}

impl core::error::Error for ReferenceError {}

impl From<SpecError> for ReferenceError {
	fn from(error: SpecError) -> Self {
		Self::InvalidSpec(error)
	}
}

/// A quantized, labelled test set: `labels.len()` samples of `num_features` features,
/// row-major in `features`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct TestSet {
	/// Features per sample.
	pub num_features: u32,
	/// `labels.len() × num_features` fixed-point features, one sample after another.
	pub features: Vec<i32>,
	/// Class index of each sample.
	pub labels: Vec<u32>,
}

impl TestSet {
	/// A test set from quantized features, checking the shape.
	pub fn new(
		num_features: u32,
		features: Vec<i32>,
		labels: Vec<u32>,
	) -> Result<Self, ReferenceError> {
		let expected = labels.len().checked_mul(num_features as usize);
		if expected != Some(features.len()) {
			return Err(ReferenceError::TestSetShape {
				features: features.len(),
				labels: labels.len(),
				num_features,
			});
		}
		Ok(Self { num_features, features, labels })
	}

	/// A test set from real features, quantized with [`quantize`].
	pub fn from_f32(
		num_features: u32,
		features: &[f32],
		labels: Vec<u32>,
	) -> Result<Self, ReferenceError> {
		let features = crate::encoding::quantize_all(features).map_err(ReferenceError::Quantize)?;
		Self::new(num_features, features, labels)
	}

	/// A test set from UCI digits pixels (0..=16): each pixel is divided by 16.0 and then
	/// quantized, so features lie in `[0, 65536]` (see [`quantize_digit_pixel`]).
	pub fn from_digit_pixels(
		num_features: u32,
		pixels: &[f32],
		labels: Vec<u32>,
	) -> Result<Self, ReferenceError> {
		let features = pixels
			.iter()
			.enumerate()
			.map(|(index, pixel)| {
				quantize_digit_pixel(*pixel)
					.map_err(|_| ReferenceError::Quantize(EncodingError::NonFiniteValue { index }))
			})
			.collect::<Result<Vec<_>, _>>()?;
		Self::new(num_features, features, labels)
	}

	/// Number of samples.
	pub fn len(&self) -> usize {
		self.labels.len()
	}

	/// Whether the set has no samples.
	pub fn is_empty(&self) -> bool {
		self.labels.is_empty()
	}

	/// The quantized features and label of sample `index`.
	pub fn sample(&self, index: usize) -> Option<(&[i32], u32)> {
		let width = self.num_features as usize;
		let start = index.checked_mul(width)?;
		let features = self.features.get(start..start.checked_add(width)?)?;
		Some((features, *self.labels.get(index)?))
	}
}

/// `quantize(pixel / 16.0)`: the contract's feature encoding for 0..16 digits pixels.
pub fn quantize_digit_pixel(pixel: f32) -> Result<i32, crate::encoding::NonFiniteValue> {
	quantize(pixel / 16.0)
}

/// Every intermediate of one forward pass, for building circuit witnesses.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Trace {
	/// Per hidden layer: the activations after floor shift and ReLU (scale 2^16).
	pub hidden: Vec<Vec<i128>>,
	/// Output logits (scale 2^32, untruncated).
	pub logits: Vec<i128>,
	/// Lowest index among the maximal logits.
	pub prediction: u32,
}

/// One dense layer: `rows × cols` weights then `rows` biases, borrowed from `values`.
struct Dense<'a> {
	weights: &'a [i32],
	biases: &'a [i32],
	cols: usize,
}

/// The dense layers of a softmax regression or MLP, borrowed from a value vector.
struct IntegerNetwork<'a> {
	layers: Vec<Dense<'a>>,
	inputs: usize,
}

impl<'a> IntegerNetwork<'a> {
	fn new(spec: &ModelSpec, values: &'a [i32]) -> Result<Self, ReferenceError> {
		spec.validate()?;
		let (inputs, hidden, classes) = match spec {
			ModelSpec::SoftmaxRegression { inputs, classes } => (*inputs, &[][..], *classes),
			ModelSpec::Mlp { inputs, hidden, classes } => (*inputs, &hidden[..], *classes),
			ModelSpec::Cnn { .. } => return Err(ReferenceError::UnsupportedModel),
		};
		let expected = spec.schema()?.value_count();
		if values.len() != expected {
			return Err(ReferenceError::ValueCountMismatch { expected, found: values.len() });
		}
		let mut layers = Vec::with_capacity(hidden.len() + 1);
		let mut rest = values;
		let mut cols = inputs as usize;
		for rows in hidden.iter().chain([&classes]).map(|rows| *rows as usize) {
			// The length check above makes every split below in bounds.
			let (weights, tail) = rest.split_at(rows * cols);
			let (biases, tail) = tail.split_at(rows);
			layers.push(Dense { weights, biases, cols });
			rest = tail;
			cols = rows;
		}
		Ok(Self { layers, inputs: inputs as usize })
	}

	fn trace(&self, features: &[i32]) -> Result<Trace, ReferenceError> {
		if features.len() != self.inputs {
			return Err(ReferenceError::FeatureCountMismatch {
				expected: self.inputs,
				found: features.len(),
			});
		}
		let mut input: Vec<i128> = features.iter().map(|x| i128::from(*x)).collect();
		let mut hidden = Vec::with_capacity(self.layers.len().saturating_sub(1));
		let (output, hidden_layers) =
			self.layers.split_last().expect("a network has an output layer qed");
		for layer in hidden_layers {
			let activations = layer
				.accumulate(&input)?
				.into_iter()
				// `>>` on i128 is an arithmetic shift: floor toward −∞, as the contract says.
				.map(|acc| (acc >> FRAC_BITS).max(0))
				.collect::<Vec<_>>();
			hidden.push(activations.clone());
			input = activations;
		}
		let logits = output.accumulate(&input)?;
		let prediction = lowest_argmax(&logits);
		Ok(Trace { hidden, logits, prediction })
	}
}

impl Dense<'_> {
	/// `Σ_j W[i][j]·x_j + b_i·2^16` for every row `i`, checked.
	fn accumulate(&self, input: &[i128]) -> Result<Vec<i128>, ReferenceError> {
		self.weights
			.chunks_exact(self.cols)
			.zip(self.biases)
			.map(|(row, bias)| {
				let bias = i128::from(*bias) << FRAC_BITS; // |bias| < 2^31: no overflow
				row.iter().zip(input).try_fold(bias, |acc, (weight, x)| {
					i128::from(*weight).checked_mul(*x).and_then(|product| acc.checked_add(product))
				})
			})
			.collect::<Option<Vec<_>>>()
			.ok_or(ReferenceError::ArithmeticOverflow)
	}
}

/// Lowest index among the maximal values (0 for an empty slice, which valid specs
/// never produce since they have at least one class).
fn lowest_argmax(logits: &[i128]) -> u32 {
	let mut best = 0;
	for (index, logit) in logits.iter().enumerate() {
		if *logit > logits[best] {
			best = index;
		}
	}
	// A valid spec has at most u32::MAX classes.
	best as u32
}

/// Every intermediate of the forward pass of one quantized sample.
pub fn trace(
	spec: &ModelSpec,
	values: &[i32],
	features_q: &[i32],
) -> Result<Trace, ReferenceError> {
	IntegerNetwork::new(spec, values)?.trace(features_q)
}

/// The output logits (scale 2^32) of one quantized sample.
pub fn logits(
	spec: &ModelSpec,
	values: &[i32],
	features_q: &[i32],
) -> Result<Vec<i128>, ReferenceError> {
	Ok(trace(spec, values, features_q)?.logits)
}

/// The predicted class of one quantized sample: the lowest index among maximal logits.
pub fn predict(
	spec: &ModelSpec,
	values: &[i32],
	features_q: &[i32],
) -> Result<u32, ReferenceError> {
	Ok(trace(spec, values, features_q)?.prediction)
}

/// Number of samples of `test_set` whose prediction equals the label.
pub fn count_correct(
	spec: &ModelSpec,
	values: &[i32],
	test_set: &TestSet,
) -> Result<u32, ReferenceError> {
	let network = IntegerNetwork::new(spec, values)?;
	let width = test_set.num_features as usize;
	if width != network.inputs {
		return Err(ReferenceError::FeatureCountMismatch {
			expected: network.inputs,
			found: width,
		});
	}
	if test_set.labels.len().checked_mul(width) != Some(test_set.features.len()) {
		return Err(ReferenceError::TestSetShape {
			features: test_set.features.len(),
			labels: test_set.labels.len(),
			num_features: test_set.num_features,
		});
	}
	let mut correct = 0u32;
	// `max(1)` keeps chunks_exact valid for a zero-input model (rejected by validate
	// anyway); the shape check above pairs every chunk with one label.
	for (features, label) in test_set.features.chunks_exact(width.max(1)).zip(&test_set.labels) {
		if network.trace(features)?.prediction == *label {
			correct = correct.saturating_add(1);
		}
	}
	Ok(correct)
}

#[cfg(test)]
mod tests {
	use super::*;
	use alloc::vec;

	const ONE: i32 = 1 << 16;

	#[test]
	fn softmax_regression_logits_are_untruncated() {
		// 2 inputs, 2 classes: W = [[1, 0], [0.5, 0.5]], b = [0, 1].
		let spec = ModelSpec::SoftmaxRegression { inputs: 2, classes: 2 };
		let values = vec![ONE, 0, ONE / 2, ONE / 2, 0, ONE];
		let x = [ONE, 3]; // 1.0 and 3/65536
		let logits = logits(&spec, &values, &x).unwrap();
		let one = i128::from(ONE);
		assert_eq!(logits, vec![one * one, (one / 2) * one + (one / 2) * 3 + one * one]);
		assert_eq!(predict(&spec, &values, &x), Ok(1));
	}

	#[test]
	fn ties_pick_the_lowest_index() {
		let spec = ModelSpec::SoftmaxRegression { inputs: 1, classes: 3 };
		let values = vec![5, 7, 7, 0, 0, 0];
		assert_eq!(predict(&spec, &values, &[ONE]), Ok(1));
		assert_eq!(predict(&spec, &[0; 6], &[ONE]), Ok(0));
	}

	#[test]
	fn hidden_layers_floor_toward_negative_infinity_then_relu() {
		// 1 input → 2 hidden → 2 classes.
		let spec = ModelSpec::Mlp { inputs: 1, hidden: vec![2], classes: 2 };
		// fc1: W = [[1.5], [-0.5]] (scaled), b = [0, 0]; fc2: W = identity, b = 0.
		let values = vec![3 * ONE / 2, -ONE / 2, 0, 0, ONE, 0, 0, ONE, 0, 0];
		let x = [3]; // 3/65536
		let trace = trace(&spec, &values, &x).unwrap();
		// acc_0 = 1.5·2^16·3 = 294912 → floor(/2^16) = 4; acc_1 = −98304 → floor = −2 → ReLU 0.
		assert_eq!(trace.hidden, vec![vec![4, 0]]);
		assert_eq!(trace.logits, vec![4 * i128::from(ONE), 0]);
		assert_eq!(trace.prediction, 0);
		// Biases enter at scale 2^32: fc1.bias = [0, 1.0], fc2.weight = [[0, 0], [0, −1.0]].
		let biased = vec![-ONE / 2, ONE, 0, ONE, 0, 0, 0, -ONE, 0, 0];
		let trace = super::trace(&spec, &biased, &[1]).unwrap();
		// acc_0 = −32768 → −1 → ReLU 0; acc_1 = 65536 + 1·2^32 → 65537.
		assert_eq!(trace.hidden, vec![vec![0, ONE as i128 + 1]]);
		assert_eq!(trace.logits, vec![0, -(i128::from(ONE) + 1) * i128::from(ONE)]);
		assert_eq!(trace.prediction, 0);
	}

	#[test]
	fn count_correct_counts_matching_labels() {
		let spec = ModelSpec::SoftmaxRegression { inputs: 2, classes: 2 };
		// logit_k = x_k: predicts the larger feature.
		let values = vec![ONE, 0, 0, ONE, 0, 0];
		let test_set =
			TestSet::from_f32(2, &[1.0, 0.0, 0.0, 1.0, 0.5, 0.5, 0.2, 0.1], vec![0, 1, 1, 7])
				.unwrap();
		// sample 3 ties → class 0 ≠ 1; sample 4 predicts 0, label 7 never matches.
		assert_eq!(count_correct(&spec, &values, &test_set), Ok(2));
	}

	#[test]
	fn digit_pixels_are_scaled_by_sixteen() {
		let set = TestSet::from_digit_pixels(2, &[0.0, 16.0, 8.0, 1.0], vec![0, 1]).unwrap();
		assert_eq!(set.features, vec![0, 65536, 32768, 4096]);
		assert_eq!(set.sample(1), Some((&[32768, 4096][..], 1)));
		assert_eq!(set.sample(2), None);
	}

	#[test]
	fn shape_errors_are_named() {
		let spec = ModelSpec::SoftmaxRegression { inputs: 2, classes: 2 };
		assert_eq!(
			predict(&spec, &[0; 5], &[0, 0]),
			Err(ReferenceError::ValueCountMismatch { expected: 6, found: 5 })
		);
		assert_eq!(
			predict(&spec, &[0; 6], &[0]),
			Err(ReferenceError::FeatureCountMismatch { expected: 2, found: 1 })
		);
		let cnn = ModelSpec::Cnn { side: 8, channels: vec![2], classes: 2 };
		assert_eq!(predict(&cnn, &[], &[]), Err(ReferenceError::UnsupportedModel));
		assert!(matches!(
			TestSet::new(2, vec![0; 3], vec![0, 1]),
			Err(ReferenceError::TestSetShape { .. })
		));
		let wrong_width = TestSet::new(3, vec![0; 6], vec![0, 1]).unwrap();
		assert_eq!(
			count_correct(&spec, &[0; 6], &wrong_width),
			Err(ReferenceError::FeatureCountMismatch { expected: 2, found: 3 })
		);
	}

	#[test]
	fn overflow_is_reported_not_wrapped() {
		// Each width-1 layer with maximal weights grows the activation by ~2^15; the
		// seventh layer's sum passes 2^127.
		let spec = ModelSpec::Mlp { inputs: 1, hidden: vec![1; 6], classes: 1 };
		let values = vec![i32::MAX; 14];
		assert_eq!(predict(&spec, &values, &[i32::MAX]), Err(ReferenceError::ArithmeticOverflow));
	}
}
