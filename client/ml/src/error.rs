//! The crate's error type.
//!
//! Tensor code inside din-ml returns `candle::Result` like candle itself; the public
//! entry points that also parse files, touch the canonical encoding or validate configs
//! return [`MlError`], which wraps candle's error and names every other failure.

use std::path::PathBuf;

use din_fl::AggregateError;
use din_fl::{EncodingError, ReferenceError, SpecError};

/// Everything that can go wrong in din-ml.
#[derive(Debug, thiserror::Error)]
pub enum MlError {
	/// A tensor operation failed (shape mismatch, safetensors I/O, …).
	#[error(transparent)]
	Candle(#[from] candle_core::Error),
	/// Reading a file or directory failed.
	#[error("{path}: {source}")]
	Io {
		path: PathBuf,
		#[source]
		source: std::io::Error,
	},
	/// A CSV line could not be parsed; `line` is 1-based, counting the header.
	#[error("CSV line {line}: {message}")]
	Csv { line: usize, message: String },
	/// An IDX (MNIST format) file is malformed.
	#[error("IDX file {file}: {message}")]
	Idx { file: String, message: String },
	/// The shipped digits data failed to decompress or parse (a corrupted build).
	#[error("shipped digits data: {0}")]
	Digits(String),
	/// Features, labels and dimensions of a dataset do not fit together.
	#[error("invalid dataset: {0}")]
	InvalidDataset(String),
	/// A parameter is NaN or infinite and has no canonical encoding.
	#[error("parameter {tensor}[{index}] is NaN or infinite")]
	NonFiniteParameter { tensor: String, index: usize },
	/// The model spec is invalid.
	#[error("model spec: {0}")]
	Spec(#[from] SpecError),
	/// An update does not fit the model's schema, or cannot be encoded.
	#[error("update encoding: {0}")]
	Encoding(#[from] EncodingError),
	/// The integer reference evaluator rejected the model or test set.
	#[error("reference evaluator: {0}")]
	Reference(#[from] ReferenceError),
	/// An aggregation rule of din-fl rejected the updates.
	#[error("aggregation: {0}")]
	Aggregation(#[from] AggregateError),
	/// A training, split or evaluation setting is out of range.
	#[error("invalid configuration: {0}")]
	InvalidConfig(String),
}

/// `Result` with [`MlError`].
pub type Result<T, E = MlError> = std::result::Result<T, E>;
