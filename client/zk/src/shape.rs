//! What a circuit (and its keys) is made for: the model architecture and the test-set size.
//!
//! One Groth16 key pair serves one [`CircuitShape`]. The flat value order of a model is the
//! canonical schema order of `docs/canonical-encoding.md`:
//! - softmax regression: `linear.weight [classes, inputs]`, `linear.bias [classes]`;
//! - one-hidden-layer MLP: `fc1.weight [hidden, inputs]`, `fc1.bias [hidden]`,
//!   `fc2.weight [classes, hidden]`, `fc2.bias [classes]`.
//!
//! Weights are row-major `[out, in]`. Test sets are `din_fl::TestSet`, their features in the
//! shape's [`FeatureDomain`].
use din_fl::spec::ModelSpec;
use din_zk_verifier::commitment::FeatureDomain;

/// Model architectures the circuit supports (the integer reference evaluator's
/// `SoftmaxRegression` and `Mlp` with exactly one hidden layer).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ModelShape {
	/// `logits = W x + b`.
	SoftmaxRegression { inputs: usize, classes: usize },
	/// `logits = W2 relu(trunc(W1 x + b1)) + b2`.
	Mlp { inputs: usize, hidden: usize, classes: usize },
}

impl ModelShape {
	/// Features per sample.
	pub fn inputs(&self) -> usize {
		match *self {
			Self::SoftmaxRegression { inputs, .. } | Self::Mlp { inputs, .. } => inputs,
		}
	}

	/// Output classes.
	pub fn classes(&self) -> usize {
		match *self {
			Self::SoftmaxRegression { classes, .. } | Self::Mlp { classes, .. } => classes,
		}
	}

	/// Length of the flat value vector.
	pub fn value_count(&self) -> usize {
		match *self {
			Self::SoftmaxRegression { inputs, classes } => classes * inputs + classes,
			Self::Mlp { inputs, hidden, classes } => {
				hidden * inputs + hidden + classes * hidden + classes
			},
		}
	}

	/// `(kind, inputs, hidden, classes)`, used in key-file headers.
	pub(crate) fn to_words(self) -> [u64; 4] {
		match self {
			Self::SoftmaxRegression { inputs, classes } => [0, inputs as u64, 0, classes as u64],
			Self::Mlp { inputs, hidden, classes } => {
				[1, inputs as u64, hidden as u64, classes as u64]
			},
		}
	}

	pub(crate) fn from_words(w: [u64; 4]) -> Option<Self> {
		let (inputs, hidden, classes) = (w[1] as usize, w[2] as usize, w[3] as usize);
		match w[0] {
			0 if hidden == 0 => Some(Self::SoftmaxRegression { inputs, classes }),
			1 => Some(Self::Mlp { inputs, hidden, classes }),
			_ => None,
		}
	}
}

/// A model shape together with the number of test samples and the features' domain: one
/// circuit, one key pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CircuitShape {
	/// The architecture.
	pub model: ModelShape,
	/// Test samples per proof (the public `total`).
	pub samples: usize,
	/// Which quantized features the test set holds (the digits grid, or signed features of
	/// a task whose inputs are preprocessed).
	pub features: FeatureDomain,
}

impl TryFrom<&ModelSpec> for ModelShape {
	type Error = crate::ZkError;

	/// Softmax regression and one-hidden-layer MLPs; anything else has no circuit.
	fn try_from(spec: &ModelSpec) -> Result<Self, Self::Error> {
		match spec {
			ModelSpec::SoftmaxRegression { inputs, classes } => {
				Ok(Self::SoftmaxRegression { inputs: *inputs as usize, classes: *classes as usize })
			},
			ModelSpec::Mlp { inputs, hidden, classes } if hidden.len() == 1 => Ok(Self::Mlp {
				inputs: *inputs as usize,
				hidden: hidden[0] as usize,
				classes: *classes as usize,
			}),
			_ => Err(crate::ZkError::UnsupportedShape),
		}
	}
}
