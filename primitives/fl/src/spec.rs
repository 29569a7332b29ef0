//! Model specs (architecture descriptors) and the tensor schema they imply.
//!
//! A task fixes its model by a [`ModelSpec`]. The chain stores the spec's canonical
//! bytes ([`ModelSpec::to_bytes`], at most [`MAX_SPEC_BYTES`]) and its hash
//! ([`ModelSpec::hash`]); every client derives the same ordered list of named tensors
//! from it with [`ModelSpec::schema`]. That order is the order of the flat value vector
//! of every update (see [`crate::encoding`]), and [`Schema::hash`] is the `schema_hash`
//! carried in each update's header, so an update trained for another architecture is
//! rejected before any arithmetic touches it.
//!
//! ## Canonical spec bytes (format version 1)
//!
//! All integers are little-endian.
//!
//! ```text
//! magic     4 bytes  b"DINM"
//! version   u16      1
//! kind      u8       0 = SoftmaxRegression, 1 = Mlp, 2 = Cnn
//! kind 0:   inputs u32, classes u32
//! kind 1:   inputs u32, hidden_len u32, hidden_len × u32, classes u32
//! kind 2:   side u32, channels_len u32, channels_len × u32, classes u32
//! ```
//!
//! A task that fixes more than its architecture ([`TaskModel`]: the preprocessing of its
//! inputs, [`crate::preprocessing`], and the training recipe participants are advised to
//! use, [`crate::recipe`]) carries it in format version 2 (version 1 is exactly a spec
//! without either, so its bytes and hash are unchanged): the version 1 fields, then one
//! or more sections, each at most once and in increasing tag order:
//!
//! ```text
//! magic, version 2, then the version 1 fields above
//! tag 1, preprocessing:
//!   clip    f32      the bound on every preprocessed feature (IEEE-754 bits, LE)
//!   count   u32      features covered: the model's inputs, at most 256
//!   shift   count × f32
//!   scale   count × f32
//! tag 2, training recipe:
//!   optimizer u8 (0 SGD with momentum 0.9, 1 AdamW), learning rate f32, decay per round
//!   f32, epochs u16, batch size u16, FedProx mu f32 (0: none)
//! ```
//!
//! Nothing may follow. [`TaskModel::from_bytes`] (and [`ModelSpec::from_bytes`] for version
//! 1) accepts exactly the byte strings that [`TaskModel::to_bytes`] produces for valid
//! specs, so one spec has one encoding and one hash. A spec is valid when every dimension is at least 1, an MLP has 1 to
//! [`MAX_HIDDEN_LAYERS`] hidden layers (zero hidden layers is spelled
//! `SoftmaxRegression`), a CNN has side 8 or 28 and 1 to [`MAX_CONV_LAYERS`] conv layers
//! leaving at least a 1×1 map, and the parameter count fits the update header's `u32`.
//!
//! ## Schemas
//!
//! | spec | tensors, in order |
//! |---|---|
//! | `SoftmaxRegression` | `linear.weight [classes, inputs]`, `linear.bias [classes]` |
//! | `Mlp` hidden `[h1, …, hn]` | `fc1.weight [h1, inputs]`, `fc1.bias [h1]`, …, `fc{n+1}.weight [classes, hn]`, `fc{n+1}.bias [classes]` |
//! | `Cnn` channels `[c1, …, cn]` | `conv1.weight [c1, 1, 3, 3]`, `conv1.bias [c1]`, …, `conv{n}.weight [cn, c{n-1}, 3, 3]`, `conv{n}.bias [cn]`, `fc.weight [classes, cn·s·s]`, `fc.bias [classes]` with `s = side >> n` |
//!
//! Weights are row-major `[out, in]` (linear) and `[out_c, in_c, kh, kw]` (conv), exactly
//! as candle-nn's `Linear` and `Conv2d` store them.
//!
//! The CNN (candle only; the integer reference evaluator and the circuit do not support
//! it) reads one grayscale channel of `side × side` pixels. Each conv layer `i` is a
//! 3×3 convolution, stride 1, padding 1 (so it keeps the spatial size), followed by ReLU
//! and a 2×2 max-pool with stride 2 (floor: 7 → 3). After `n` layers the map is
//! `[cn, s, s]` with `s = side >> n`; it is flattened in `[channel, row, column]` order
//! (candle's `flatten_from(1)` of an `[N, C, H, W]` tensor) into the linear head `fc`,
//! whose logits go to softmax/cross-entropy like the other models.

use alloc::{format, string::String, vec::Vec};
use core::fmt;

use sha2::{Digest, Sha256};

use crate::preprocessing::{self, Preprocessing, PreprocessingError, MAX_PREPROCESSED_FEATURES};
use crate::recipe::{self, RecipeError, TrainingRecipe};

/// Most hidden layers an [`ModelSpec::Mlp`] may have.
pub const MAX_HIDDEN_LAYERS: usize = 8;
/// Most conv layers a [`ModelSpec::Cnn`] may have (28 → 14 → 7 → 3 → 1).
pub const MAX_CONV_LAYERS: usize = 4;
/// Input sides a [`ModelSpec::Cnn`] supports: the 8×8 UCI digits and 28×28 MNIST.
pub const CNN_SIDES: [u32; 2] = [8, 28];
/// Kernel size of every CNN conv layer (padding `CNN_KERNEL / 2`, stride 1).
pub const CNN_KERNEL: u32 = 3;
/// Version of the canonical bytes of a spec without preprocessing.
pub const SPEC_FORMAT_VERSION: u16 = 1;
/// Version of the canonical bytes of a spec with sections ([`TaskModel`]).
pub const SPEC_FORMAT_VERSION_SECTIONS: u16 = 2;
/// Magic prefix of the canonical spec bytes.
pub const SPEC_MAGIC: [u8; 4] = *b"DINM";
/// Upper bound on the canonical spec bytes of any valid spec (bounded on-chain storage).
pub const MAX_SPEC_BYTES: usize = SPEC_MAGIC.len()
	+ 2 + 1
	+ 4 + 4
	+ 4 * MAX_HIDDEN_LAYERS
	+ 4 + 1
	+ preprocessing::encoded_len(MAX_PREPROCESSED_FEATURES)
	+ 1 + recipe::ENCODED_LEN;
/// Version written into the canonical schema bytes.
pub const SCHEMA_FORMAT_VERSION: u16 = 1;
/// Magic prefix of the canonical schema bytes.
pub const SCHEMA_MAGIC: [u8; 4] = *b"DINS";

const KIND_SOFTMAX_REGRESSION: u8 = 0;
const KIND_MLP: u8 = 1;
const KIND_CNN: u8 = 2;

/// A model architecture: what a task trains and what every update's values mean.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum ModelSpec {
	/// One linear layer `inputs → classes`.
	SoftmaxRegression { inputs: u32, classes: u32 },
	/// Linear layers `inputs → hidden[0] → … → classes`, ReLU after every hidden layer.
	Mlp { inputs: u32, hidden: Vec<u32>, classes: u32 },
	/// Conv stack over a `side × side` grayscale image, then a linear head (see the
	/// module docs for the exact layers). Candle only.
	Cnn { side: u32, channels: Vec<u32>, classes: u32 },
}

/// Why a spec is invalid or its bytes are not canonical.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SpecError {
	/// The bytes do not start with [`SPEC_MAGIC`].
	BadMagic,
	/// The bytes carry a format version this code does not know.
	UnsupportedVersion { found: u16 },
	/// The kind byte names no model.
	UnknownKind { found: u8 },
	/// The bytes end before the spec does.
	Truncated,
	/// Bytes follow a complete spec.
	TrailingBytes { count: usize },
	/// A dimension (inputs, classes, a hidden width or a channel count) is zero.
	ZeroDimension,
	/// An MLP with no hidden layers or more than [`MAX_HIDDEN_LAYERS`].
	HiddenLayerCount { found: usize },
	/// A CNN side other than [`CNN_SIDES`].
	UnsupportedSide { found: u32 },
	/// A CNN with no conv layers, more than [`MAX_CONV_LAYERS`], or so many that the
	/// pooled map would vanish.
	ConvLayerCount { found: usize },
	/// The model has more parameters than an update header can count (`u32`).
	TooManyParameters,
	/// The preprocessing map does not fit the model or has invalid values.
	Preprocessing(PreprocessingError),
	/// The training recipe is invalid.
	Recipe(RecipeError),
	/// A version 2 section tag this code does not know.
	UnknownSection { tag: u8 },
	/// A section repeated or out of increasing tag order.
	SectionOrder { tag: u8 },
}

impl fmt::Display for SpecError {
	fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
		match self {
			Self::BadMagic => write!(f, "model spec bytes do not start with \"DINM\""),
			Self::UnsupportedVersion { found } => {
				write!(f, "unsupported model spec format version {found}")
			},
			Self::UnknownKind { found } => write!(f, "unknown model kind {found}"),
			Self::Truncated => write!(f, "model spec bytes end early"),
			Self::TrailingBytes { count } => write!(f, "{count} bytes follow the model spec"),
			Self::ZeroDimension => write!(f, "a model dimension is zero"),
			Self::HiddenLayerCount { found } => {
				write!(f, "an MLP needs 1 to {MAX_HIDDEN_LAYERS} hidden layers, found {found}")
			},
			Self::UnsupportedSide { found } => {
				write!(f, "CNN input side must be 8 or 28, found {found}")
			},
			Self::ConvLayerCount { found } => {
				write!(f, "unsupported number of CNN conv layers: {found}")
			},
			Self::TooManyParameters => write!(f, "model has more parameters than fit a u32 count"),
			Self::Preprocessing(error) => write!(f, "{error}"),
			Self::Recipe(error) => write!(f, "{error}"),
			Self::UnknownSection { tag } => write!(f, "unknown model spec section {tag}"),
			Self::SectionOrder { tag } => {
				write!(f, "model spec section {tag} repeated or out of order")
			},
		}
	}
}

impl core::error::Error for SpecError {}

impl ModelSpec {
	/// Checks the validity rules listed in the module docs.
	pub fn validate(&self) -> Result<(), SpecError> {
		match self {
			Self::SoftmaxRegression { inputs, classes } => require_nonzero(&[*inputs, *classes])?,
			Self::Mlp { inputs, hidden, classes } => {
				if hidden.is_empty() || hidden.len() > MAX_HIDDEN_LAYERS {
					return Err(SpecError::HiddenLayerCount { found: hidden.len() });
				}
				require_nonzero(&[*inputs, *classes])?;
				require_nonzero(hidden)?;
			},
			Self::Cnn { side, channels, classes } => {
				if !CNN_SIDES.contains(side) {
					return Err(SpecError::UnsupportedSide { found: *side });
				}
				let layers = channels.len();
				if layers == 0 || layers > MAX_CONV_LAYERS || (*side >> layers) == 0 {
					return Err(SpecError::ConvLayerCount { found: layers });
				}
				require_nonzero(&[*classes])?;
				require_nonzero(channels)?;
			},
		}
		let total = self
			.tensor_shapes()
			.iter()
			.try_fold(0u64, |sum, (_, shape)| sum.checked_add(element_count(shape)?));
		match total {
			Some(total) if total <= u64::from(u32::MAX) => Ok(()),
			_ => Err(SpecError::TooManyParameters),
		}
	}

	/// The canonical bytes (module docs); fails on an invalid spec, which has none.
	pub fn to_bytes(&self) -> Result<Vec<u8>, SpecError> {
		self.validate()?;
		let mut out = Vec::with_capacity(MAX_SPEC_BYTES);
		out.extend_from_slice(&SPEC_MAGIC);
		out.extend_from_slice(&SPEC_FORMAT_VERSION.to_le_bytes());
		self.write_fields(&mut out);
		Ok(out)
	}

	/// The version 1 fields after the version (kind, dimensions, classes).
	fn write_fields(&self, out: &mut Vec<u8>) {
		let (kind, first, list, classes) = match self {
			Self::SoftmaxRegression { inputs, classes } => {
				(KIND_SOFTMAX_REGRESSION, *inputs, None, *classes)
			},
			Self::Mlp { inputs, hidden, classes } => (KIND_MLP, *inputs, Some(hidden), *classes),
			Self::Cnn { side, channels, classes } => (KIND_CNN, *side, Some(channels), *classes),
		};
		out.push(kind);
		out.extend_from_slice(&first.to_le_bytes());
		if let Some(list) = list {
			// validate() bounded the list by MAX_HIDDEN_LAYERS / MAX_CONV_LAYERS.
			out.extend_from_slice(&(list.len() as u32).to_le_bytes());
			for width in list {
				out.extend_from_slice(&width.to_le_bytes());
			}
		}
		out.extend_from_slice(&classes.to_le_bytes());
	}

	/// Parses canonical version 1 bytes (a spec without preprocessing), rejecting anything
	/// [`Self::to_bytes`] would not produce; a task's on-chain bytes are read with
	/// [`TaskModel::from_bytes`], which also takes version 2.
	pub fn from_bytes(bytes: &[u8]) -> Result<Self, SpecError> {
		match TaskModel::from_bytes(bytes)? {
			TaskModel { spec, preprocessing: None, recipe: None } => Ok(spec),
			_ => Err(SpecError::UnsupportedVersion { found: SPEC_FORMAT_VERSION_SECTIONS }),
		}
	}

	/// Reads the version 1 fields after the version.
	fn read_fields(reader: &mut Reader<'_>) -> Result<Self, SpecError> {
		let [kind] = reader.array()?;
		let first = reader.u32()?;
		Ok(match kind {
			KIND_SOFTMAX_REGRESSION => {
				Self::SoftmaxRegression { inputs: first, classes: reader.u32()? }
			},
			KIND_MLP | KIND_CNN => {
				let len = reader.u32()? as usize;
				// Bound before allocating: a hostile length must not reserve memory.
				if len > MAX_HIDDEN_LAYERS.max(MAX_CONV_LAYERS) {
					return Err(if kind == KIND_MLP {
						SpecError::HiddenLayerCount { found: len }
					} else {
						SpecError::ConvLayerCount { found: len }
					});
				}
				let list = (0..len).map(|_| reader.u32()).collect::<Result<Vec<_>, _>>()?;
				let classes = reader.u32()?;
				if kind == KIND_MLP {
					Self::Mlp { inputs: first, hidden: list, classes }
				} else {
					Self::Cnn { side: first, channels: list, classes }
				}
			},
			found => return Err(SpecError::UnknownKind { found }),
		})
	}

	/// `sha256(to_bytes())`: the on-chain model-spec hash.
	pub fn hash(&self) -> Result<[u8; 32], SpecError> {
		Ok(Sha256::digest(self.to_bytes()?).into())
	}

	/// The ordered tensor list (module docs): the layout of every update's values.
	pub fn schema(&self) -> Result<Schema, SpecError> {
		self.validate()?;
		Ok(Schema::new(
			self.tensor_shapes()
				.into_iter()
				.map(|(name, shape)| TensorSpec { name, shape })
				.collect(),
		))
	}

	/// Number of input features per sample (`side²` for the CNN).
	pub fn input_features(&self) -> u32 {
		match self {
			Self::SoftmaxRegression { inputs, .. } | Self::Mlp { inputs, .. } => *inputs,
			Self::Cnn { side, .. } => side.saturating_mul(*side),
		}
	}

	/// Number of output classes.
	pub fn classes(&self) -> u32 {
		match self {
			Self::SoftmaxRegression { classes, .. }
			| Self::Mlp { classes, .. }
			| Self::Cnn { classes, .. } => *classes,
		}
	}

	/// Tensor names and shapes without validation (shared by `schema` and `validate`).
	fn tensor_shapes(&self) -> Vec<(String, Vec<u32>)> {
		let mut tensors = Vec::new();
		let linear = |tensors: &mut Vec<(String, Vec<u32>)>, name: &str, out: u32, inp: u32| {
			tensors.push((format!("{name}.weight"), Vec::from([out, inp])));
			tensors.push((format!("{name}.bias"), Vec::from([out])));
		};
		match self {
			Self::SoftmaxRegression { inputs, classes } => {
				linear(&mut tensors, "linear", *classes, *inputs)
			},
			Self::Mlp { inputs, hidden, classes } => {
				let mut fan_in = *inputs;
				for (index, width) in hidden.iter().chain([classes]).enumerate() {
					linear(&mut tensors, &format!("fc{}", index + 1), *width, fan_in);
					fan_in = *width;
				}
			},
			Self::Cnn { side, channels, classes } => {
				let mut in_channels = 1;
				for (index, out_channels) in channels.iter().enumerate() {
					let name = format!("conv{}", index + 1);
					tensors.push((
						format!("{name}.weight"),
						Vec::from([*out_channels, in_channels, CNN_KERNEL, CNN_KERNEL]),
					));
					tensors.push((format!("{name}.bias"), Vec::from([*out_channels])));
					in_channels = *out_channels;
				}
				let pooled_side = side.checked_shr(channels.len() as u32).unwrap_or(0);
				let flattened = in_channels.saturating_mul(pooled_side).saturating_mul(pooled_side);
				linear(&mut tensors, "fc", *classes, flattened);
			},
		}
		tensors
	}
}

/// Section tag of the preprocessing map in version 2 bytes.
const SECTION_PREPROCESSING: u8 = 1;
/// Section tag of the training recipe in version 2 bytes.
const SECTION_RECIPE: u8 = 2;

/// What a task's on-chain model bytes describe: the architecture and what else the owner
/// fixed (module docs, format version 2).
#[derive(Clone, Debug, PartialEq)]
pub struct TaskModel {
	/// The architecture: what every update's values mean.
	pub spec: ModelSpec,
	/// The map every party applies to raw features first.
	pub preprocessing: Option<Preprocessing>,
	/// How participants are advised to train.
	pub recipe: Option<TrainingRecipe>,
}

impl From<ModelSpec> for TaskModel {
	fn from(spec: ModelSpec) -> Self {
		Self { spec, preprocessing: None, recipe: None }
	}
}

impl TaskModel {
	/// Checks the architecture, the map against its inputs, and the recipe's ranges.
	pub fn validate(&self) -> Result<(), SpecError> {
		self.spec.validate()?;
		if let Some(map) = &self.preprocessing {
			map.validate(self.spec.input_features()).map_err(SpecError::Preprocessing)?;
		}
		if let Some(recipe) = &self.recipe {
			recipe.validate().map_err(SpecError::Recipe)?;
		}
		Ok(())
	}

	/// The canonical bytes: version 1 for a bare architecture, else version 2.
	pub fn to_bytes(&self) -> Result<Vec<u8>, SpecError> {
		self.validate()?;
		if self.preprocessing.is_none() && self.recipe.is_none() {
			return self.spec.to_bytes();
		}
		let mut out = Vec::with_capacity(MAX_SPEC_BYTES);
		out.extend_from_slice(&SPEC_MAGIC);
		out.extend_from_slice(&SPEC_FORMAT_VERSION_SECTIONS.to_le_bytes());
		self.spec.write_fields(&mut out);
		if let Some(map) = &self.preprocessing {
			out.push(SECTION_PREPROCESSING);
			map.write(&mut out);
		}
		if let Some(recipe) = &self.recipe {
			out.push(SECTION_RECIPE);
			recipe.write(&mut out);
		}
		Ok(out)
	}

	/// Parses canonical bytes of either version, rejecting anything [`Self::to_bytes`]
	/// would not produce.
	pub fn from_bytes(bytes: &[u8]) -> Result<Self, SpecError> {
		let mut reader = Reader { bytes };
		if reader.take(SPEC_MAGIC.len())? != SPEC_MAGIC {
			return Err(SpecError::BadMagic);
		}
		let version = u16::from_le_bytes(reader.array()?);
		if version != SPEC_FORMAT_VERSION && version != SPEC_FORMAT_VERSION_SECTIONS {
			return Err(SpecError::UnsupportedVersion { found: version });
		}
		let mut model = Self::from(ModelSpec::read_fields(&mut reader)?);
		if version == SPEC_FORMAT_VERSION_SECTIONS {
			let mut last_tag = 0;
			loop {
				let [tag] = reader.array()?;
				if tag <= last_tag {
					return Err(SpecError::SectionOrder { tag });
				}
				last_tag = tag;
				match tag {
					SECTION_PREPROCESSING => {
						let inputs = model.spec.input_features();
						model.preprocessing = Some(Preprocessing::read(
							|| reader.u32(),
							|count| {
								SpecError::Preprocessing(PreprocessingError::FeatureCount {
									inputs,
									shifts: count,
									scales: count,
								})
							},
						)?);
					},
					SECTION_RECIPE => {
						let recipe = TrainingRecipe::read(&reader.array()?);
						model.recipe = Some(recipe.map_err(SpecError::Recipe)?);
					},
					tag => return Err(SpecError::UnknownSection { tag }),
				}
				if reader.bytes.is_empty() {
					break;
				}
			}
		}
		if !reader.bytes.is_empty() {
			return Err(SpecError::TrailingBytes { count: reader.bytes.len() });
		}
		model.validate()?;
		Ok(model)
	}

	/// `sha256(to_bytes())`: the on-chain model hash.
	pub fn hash(&self) -> Result<[u8; 32], SpecError> {
		Ok(Sha256::digest(self.to_bytes()?).into())
	}
}

fn require_nonzero(dims: &[u32]) -> Result<(), SpecError> {
	if dims.contains(&0) {
		Err(SpecError::ZeroDimension)
	} else {
		Ok(())
	}
}

fn element_count(shape: &[u32]) -> Option<u64> {
	shape.iter().try_fold(1u64, |product, dim| product.checked_mul(u64::from(*dim)))
}

/// Cursor over spec bytes whose reads fail with [`SpecError::Truncated`].
struct Reader<'a> {
	bytes: &'a [u8],
}

impl<'a> Reader<'a> {
	fn take(&mut self, len: usize) -> Result<&'a [u8], SpecError> {
		if self.bytes.len() < len {
			return Err(SpecError::Truncated);
		}
		let (head, tail) = self.bytes.split_at(len);
		self.bytes = tail;
		Ok(head)
	}

	fn array<const N: usize>(&mut self) -> Result<[u8; N], SpecError> {
		let mut array = [0; N];
		array.copy_from_slice(self.take(N)?);
		Ok(array)
	}

	fn u32(&mut self) -> Result<u32, SpecError> {
		Ok(u32::from_le_bytes(self.array()?))
	}
}

/// One named tensor of a schema.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct TensorSpec {
	/// candle variable name, e.g. `fc1.weight`.
	pub name: String,
	/// Dimensions, outermost first (row-major).
	pub shape: Vec<u32>,
}

impl TensorSpec {
	/// Number of values the tensor holds (saturating; valid specs stay below `u32::MAX`).
	pub fn len(&self) -> usize {
		element_count(&self.shape)
			.and_then(|count| usize::try_from(count).ok())
			.unwrap_or(usize::MAX)
	}

	/// Whether the tensor holds no values.
	pub fn is_empty(&self) -> bool {
		self.len() == 0
	}
}

/// The ordered tensor list of a model: the layout of an update's flat value vector.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Schema {
	tensors: Vec<TensorSpec>,
}

impl Schema {
	/// A schema from tensors in value order.
	pub fn new(tensors: Vec<TensorSpec>) -> Self {
		Self { tensors }
	}

	/// The tensors, in value order.
	pub fn tensors(&self) -> &[TensorSpec] {
		&self.tensors
	}

	/// Total number of values (the `value_count` of a matching update).
	pub fn value_count(&self) -> usize {
		self.tensors.iter().fold(0usize, |sum, tensor| sum.saturating_add(tensor.len()))
	}

	/// Each tensor with its value range inside the flat vector.
	pub fn ranges(&self) -> impl Iterator<Item = (&TensorSpec, core::ops::Range<usize>)> {
		self.tensors.iter().scan(0usize, |offset, tensor| {
			let start = *offset;
			*offset = start.saturating_add(tensor.len());
			Some((tensor, start..*offset))
		})
	}

	/// Canonical bytes, little-endian:
	/// `b"DINS"`, version `u16` = 1, tensor count `u32`, then per tensor: name length
	/// `u32`, UTF-8 name, rank `u32`, `rank × u32` dimensions.
	pub fn to_bytes(&self) -> Vec<u8> {
		let mut out = Vec::new();
		out.extend_from_slice(&SCHEMA_MAGIC);
		out.extend_from_slice(&SCHEMA_FORMAT_VERSION.to_le_bytes());
		push_len(&mut out, self.tensors.len());
		for tensor in &self.tensors {
			push_len(&mut out, tensor.name.len());
			out.extend_from_slice(tensor.name.as_bytes());
			push_len(&mut out, tensor.shape.len());
			for dim in &tensor.shape {
				out.extend_from_slice(&dim.to_le_bytes());
			}
		}
		out
	}

	/// `sha256(to_bytes())`: the `schema_hash` every matching update carries.
	pub fn hash(&self) -> [u8; 32] {
		Sha256::digest(self.to_bytes()).into()
	}
}

/// Writes a length as `u32`. Schemas from valid specs have short names and few
/// tensors; a hand-built schema with a length beyond `u32::MAX` saturates, which still
/// hashes deterministically (and no update could match it anyway).
fn push_len(out: &mut Vec<u8>, len: usize) {
	out.extend_from_slice(&u32::try_from(len).unwrap_or(u32::MAX).to_le_bytes());
}

#[cfg(test)]
mod tests {
	use super::*;
	use alloc::vec;

	fn mlp() -> ModelSpec {
		ModelSpec::Mlp { inputs: 64, hidden: vec![32, 16], classes: 10 }
	}

	fn layout(schema: &Schema) -> Vec<(&str, Vec<u32>)> {
		schema.tensors().iter().map(|t| (t.name.as_str(), t.shape.clone())).collect()
	}

	#[test]
	fn softmax_schema_matches_contract() {
		let schema = ModelSpec::SoftmaxRegression { inputs: 64, classes: 10 }.schema().unwrap();
		let names = layout(&schema);
		assert_eq!(names, vec![("linear.weight", vec![10, 64]), ("linear.bias", vec![10])]);
		assert_eq!(schema.value_count(), 650);
	}

	#[test]
	fn mlp_schema_matches_contract() {
		let schema = mlp().schema().unwrap();
		let names = layout(&schema);
		assert_eq!(
			names,
			vec![
				("fc1.weight", vec![32, 64]),
				("fc1.bias", vec![32]),
				("fc2.weight", vec![16, 32]),
				("fc2.bias", vec![16]),
				("fc3.weight", vec![10, 16]),
				("fc3.bias", vec![10]),
			]
		);
		let ranges: Vec<_> = schema.ranges().map(|(_, r)| r).collect();
		assert_eq!(ranges[1], 2048..2080);
		assert_eq!(schema.value_count(), 2048 + 32 + 512 + 16 + 160 + 10);
	}

	#[test]
	fn cnn_schema_pools_per_layer() {
		let digits =
			ModelSpec::Cnn { side: 8, channels: vec![8, 16], classes: 10 }.schema().unwrap();
		let shapes = layout(&digits);
		assert_eq!(
			shapes,
			vec![
				("conv1.weight", vec![8, 1, 3, 3]),
				("conv1.bias", vec![8]),
				("conv2.weight", vec![16, 8, 3, 3]),
				("conv2.bias", vec![16]),
				("fc.weight", vec![10, 16 * 2 * 2]),
				("fc.bias", vec![10]),
			]
		);
		let mnist = ModelSpec::Cnn { side: 28, channels: vec![8, 16], classes: 10 }
			.schema()
			.unwrap();
		assert_eq!(mnist.tensors()[4].shape, vec![10, 16 * 7 * 7]);
	}

	#[test]
	fn spec_bytes_round_trip_and_are_documented() {
		let spec = mlp();
		let bytes = spec.to_bytes().unwrap();
		let mut expected = b"DINM".to_vec();
		expected.extend_from_slice(&[1, 0, 1]);
		for word in [64u32, 2, 32, 16, 10] {
			expected.extend_from_slice(&word.to_le_bytes());
		}
		assert_eq!(bytes, expected);
		assert_eq!(ModelSpec::from_bytes(&bytes).unwrap(), spec);
		assert!(bytes.len() <= MAX_SPEC_BYTES);
		assert_eq!(spec.hash().unwrap(), <[u8; 32]>::from(Sha256::digest(&bytes)));
	}

	#[test]
	fn non_canonical_spec_bytes_are_rejected() {
		let bytes = mlp().to_bytes().unwrap();
		let mut trailing = bytes.clone();
		trailing.push(0);
		assert_eq!(ModelSpec::from_bytes(&trailing), Err(SpecError::TrailingBytes { count: 1 }));
		assert_eq!(ModelSpec::from_bytes(&bytes[..bytes.len() - 1]), Err(SpecError::Truncated));
		let mut magic = bytes.clone();
		magic[0] = b'X';
		assert_eq!(ModelSpec::from_bytes(&magic), Err(SpecError::BadMagic));
		let mut version = bytes.clone();
		version[4] = 3;
		assert_eq!(
			ModelSpec::from_bytes(&version),
			Err(SpecError::UnsupportedVersion { found: 3 })
		);
		// Version 2 carries a preprocessing map: these bytes end before it.
		version[4] = 2;
		assert_eq!(ModelSpec::from_bytes(&version), Err(SpecError::Truncated));
		let mut kind = bytes.clone();
		kind[6] = 9;
		assert_eq!(ModelSpec::from_bytes(&kind), Err(SpecError::UnknownKind { found: 9 }));
		let zero_hidden = ModelSpec::Mlp { inputs: 4, hidden: vec![], classes: 2 };
		assert_eq!(zero_hidden.to_bytes(), Err(SpecError::HiddenLayerCount { found: 0 }));
		let zero_width = ModelSpec::Mlp { inputs: 4, hidden: vec![0], classes: 2 };
		assert_eq!(zero_width.validate(), Err(SpecError::ZeroDimension));
		let bad_side = ModelSpec::Cnn { side: 16, channels: vec![4], classes: 2 };
		assert_eq!(bad_side.validate(), Err(SpecError::UnsupportedSide { found: 16 }));
		let too_deep = ModelSpec::Cnn { side: 8, channels: vec![1, 1, 1, 1], classes: 2 };
		assert_eq!(too_deep.validate(), Err(SpecError::ConvLayerCount { found: 4 }));
		let huge = ModelSpec::SoftmaxRegression { inputs: u32::MAX, classes: 2 };
		assert_eq!(huge.validate(), Err(SpecError::TooManyParameters));
	}

	fn standardized(inputs: usize) -> Preprocessing {
		let rows: Vec<f32> = (0..inputs * 3).map(|i| (i * i) as f32).collect();
		Preprocessing::standardize(&rows, inputs, 5.0)
	}

	#[test]
	fn a_spec_with_preprocessing_is_version_2_and_its_hash_covers_the_map() {
		let plain = TaskModel::from(mlp());
		assert_eq!(plain.to_bytes().unwrap(), mlp().to_bytes().unwrap());
		assert_eq!(TaskModel::from_bytes(&mlp().to_bytes().unwrap()).unwrap(), plain);

		let model = TaskModel { preprocessing: Some(standardized(64)), ..mlp().into() };
		let bytes = model.to_bytes().unwrap();
		assert_eq!(&bytes[4..6], &[2, 0]);
		assert_eq!(bytes.len(), mlp().to_bytes().unwrap().len() + 1 + 8 + 64 * 8);
		assert!(bytes.len() <= MAX_SPEC_BYTES);
		assert_eq!(TaskModel::from_bytes(&bytes).unwrap(), model);
		assert_ne!(model.hash().unwrap(), plain.hash().unwrap());
		// A participant reading the bytes as a bare spec is told it cannot.
		assert_eq!(
			ModelSpec::from_bytes(&bytes),
			Err(SpecError::UnsupportedVersion { found: SPEC_FORMAT_VERSION_SECTIONS })
		);
		// Every map value is in the hash.
		let mut nudged = model.clone();
		nudged.preprocessing.as_mut().unwrap().scale[63] *= 2.0;
		assert_ne!(nudged.hash().unwrap(), model.hash().unwrap());
		// The largest spec the chain must store fits the bound.
		let widest = TaskModel {
			spec: ModelSpec::Mlp { inputs: 256, hidden: vec![1; 8], classes: 2 },
			preprocessing: Some(standardized(256)),
			recipe: Some(recipe()),
		};
		assert_eq!(widest.to_bytes().unwrap().len(), MAX_SPEC_BYTES);
	}

	fn recipe() -> TrainingRecipe {
		TrainingRecipe {
			optimizer: recipe::Optimizer::SgdMomentum,
			learning_rate: 0.05,
			decay: 0.9,
			epochs: 5,
			batch_size: 16,
			fedprox_mu: 0.01,
		}
	}

	#[test]
	fn sections_come_once_each_in_order_and_a_recipe_alone_is_version_2() {
		let alone = TaskModel { recipe: Some(recipe()), ..mlp().into() };
		let bytes = alone.to_bytes().unwrap();
		assert_eq!(&bytes[4..6], &[2, 0]);
		assert_eq!(bytes.len(), mlp().to_bytes().unwrap().len() + 1 + recipe::ENCODED_LEN);
		assert_eq!(TaskModel::from_bytes(&bytes).unwrap(), alone);
		let both = TaskModel {
			preprocessing: Some(standardized(64)),
			recipe: Some(recipe()),
			..mlp().into()
		};
		let bytes = both.to_bytes().unwrap();
		assert_eq!(TaskModel::from_bytes(&bytes).unwrap(), both);
		// The recipe section repeated at the end.
		let recipe_at = bytes.len() - 1 - recipe::ENCODED_LEN;
		let mut repeated = bytes.clone();
		repeated.extend_from_slice(&bytes[recipe_at..]);
		assert_eq!(TaskModel::from_bytes(&repeated), Err(SpecError::SectionOrder { tag: 2 }));
		// Recipe before preprocessing.
		let mut swapped = alone.to_bytes().unwrap();
		let map_section = &bytes[mlp().to_bytes().unwrap().len()..recipe_at];
		swapped.extend_from_slice(map_section);
		assert_eq!(TaskModel::from_bytes(&swapped), Err(SpecError::SectionOrder { tag: 1 }));
		let mut unknown = bytes.clone();
		unknown[recipe_at] = 9;
		assert_eq!(TaskModel::from_bytes(&unknown), Err(SpecError::UnknownSection { tag: 9 }));
		// Version 2 with no section at all is not canonical (that is version 1).
		let mut empty = mlp().to_bytes().unwrap();
		empty[4] = 2;
		assert_eq!(TaskModel::from_bytes(&empty), Err(SpecError::Truncated));
		let mut bad = bytes.clone();
		bad[recipe_at + 1] = 5;
		assert_eq!(
			TaskModel::from_bytes(&bad),
			Err(SpecError::Recipe(RecipeError::UnknownOptimizer { found: 5 }))
		);
	}

	#[test]
	fn non_canonical_or_mismatched_preprocessing_bytes_are_rejected() {
		let model = TaskModel { preprocessing: Some(standardized(64)), ..mlp().into() };
		let bytes = model.to_bytes().unwrap();
		// After the last section, a byte more is read as a section's tag.
		let mut trailing = bytes.clone();
		trailing.push(0);
		assert_eq!(TaskModel::from_bytes(&trailing), Err(SpecError::SectionOrder { tag: 0 }));
		assert_eq!(TaskModel::from_bytes(&bytes[..bytes.len() - 1]), Err(SpecError::Truncated));
		// The count is bounded before anything is allocated.
		let count_at = mlp().to_bytes().unwrap().len() + 1 + 4;
		let mut huge = bytes.clone();
		huge[count_at..count_at + 4].copy_from_slice(&u32::MAX.to_le_bytes());
		assert!(matches!(
			TaskModel::from_bytes(&huge),
			Err(SpecError::Preprocessing(PreprocessingError::FeatureCount { .. }))
		));
		// A map for another width than the model's inputs.
		let narrow = TaskModel { preprocessing: Some(standardized(63)), ..mlp().into() };
		assert!(matches!(
			narrow.to_bytes(),
			Err(SpecError::Preprocessing(PreprocessingError::FeatureCount { .. }))
		));
		// A NaN scale smuggled into valid-looking bytes.
		let mut nan = bytes.clone();
		let last = nan.len() - 4;
		nan[last..].copy_from_slice(&f32::NAN.to_bits().to_le_bytes());
		assert_eq!(
			TaskModel::from_bytes(&nan),
			Err(SpecError::Preprocessing(PreprocessingError::Value))
		);
	}

	#[test]
	fn schema_hash_depends_on_names_and_shapes() {
		let a = ModelSpec::SoftmaxRegression { inputs: 64, classes: 10 }.schema().unwrap();
		let b = ModelSpec::SoftmaxRegression { inputs: 10, classes: 64 }.schema().unwrap();
		assert_ne!(a.hash(), b.hash());
		let mut renamed = a.tensors().to_vec();
		renamed[0].name = "fc1.weight".into();
		assert_ne!(Schema::new(renamed).hash(), a.hash());
		assert_eq!(a.hash(), <[u8; 32]>::from(Sha256::digest(a.to_bytes())));
	}
}
