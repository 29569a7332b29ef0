//! candle models built from a [`ModelSpec`], and the parameter store that ties them to
//! the canonical encoding.
//!
//! ## Mechanism
//!
//! Each architecture is a candle struct of layers ([`SoftmaxRegression`], [`Mlp`],
//! [`Cnn`]) built by `new(…, vb: VarBuilder)` and run through [`Module::forward`]. Layers
//! are created under `vb.pp(name)` with exactly the names of
//! [`ModelSpec::schema`] (`linear`, `fc1`…`fc{n+1}`, `conv1`…`conv{n}` + `fc`), so the
//! candle variable `fc1.weight` *is* the schema tensor `fc1.weight`: the same key in
//! safetensors checkpoints and the same slice of an update's flat value vector. Weights
//! are `[out, in]` (linear) and `[out_c, in_c, 3, 3]` (conv), as candle-nn stores them
//! and as the schema specifies.
//!
//! A [`Model`] owns the [`VarMap`] holding every parameter. It fills the map *before*
//! the layers are built — one tensor per schema entry, in schema order, from a seeded
//! ChaCha8 stream — and the layers then pick up those variables by name (candle's
//! `VarMap::get` returns an existing variable and only checks its shape). candle's own
//! initialisers draw from an unseeded thread RNG, so this is what makes initialisation
//! reproducible. Values follow PyTorch's default for `nn.Linear`/`nn.Conv2d`:
//! `U(−1/√fan_in, 1/√fan_in)` for weights and biases, with `fan_in` the product of the
//! weight's trailing dimensions.
//!
//! Export walks the schema, flattens each variable and quantizes the concatenation with
//! din-fl's [`Update::from_f32`]; a NaN or infinity is reported with the tensor's
//! name and the position inside it. Import checks the update against the schema, then
//! dequantizes each slice back into its variable.

use std::path::Path;

use candle_core::{DType, Device, Module, Tensor, Var, D};
use candle_nn::{VarBuilder, VarMap};
use din_fl::{EncodingError, ModelSpec, Schema, Update};
use rand::RngCore;

use crate::data::split::seeded_rng;
use crate::error::{MlError, Result};

/// A fully connected layer `y = x·Wᵀ + b` over `[batch, in]` rows, with the weight
/// `[out, in]` and bias `[out]` of `nn.Linear` and candle-nn's `Linear`.
///
/// It computes the product as `(W·xᵀ)ᵀ`. candle's autograd accumulates every node's
/// gradient into a zero tensor, so `x·Wᵀ` (candle-nn) gives the weight two weight-sized
/// accumulations, one of them through the transpose's strided view, on every step;
/// `W·xᵀ` gives it one contiguous one and moves the transposes to the activations,
/// which are `batch/in` times smaller. On a 64-512-256-10 MLP this is about a fifth of
/// a training step (`docs/benchmarks.md`).
#[derive(Clone, Debug)]
pub struct Dense {
	weight: Tensor,
	bias: Tensor,
}

impl Dense {
	/// The layer's variables `weight` and `bias` under `vb`.
	pub fn new(inputs: usize, outputs: usize, vb: VarBuilder) -> candle_core::Result<Self> {
		// Model::new stores every variable first, so `get` returns those; the hint
		// initialises a layer built on its own as nn.Linear does.
		let init = pytorch_default_init(inputs);
		Ok(Self {
			weight: vb.get_with_hints((outputs, inputs), "weight", init)?,
			bias: vb.get_with_hints(outputs, "bias", init)?,
		})
	}
}

impl Module for Dense {
	fn forward(&self, xs: &Tensor) -> candle_core::Result<Tensor> {
		self.weight.matmul(&xs.t()?)?.t()?.broadcast_add(&self.bias)
	}
}

/// Softmax regression: one linear layer `inputs → classes` named `linear`.
#[derive(Clone, Debug)]
pub struct SoftmaxRegression {
	linear: Dense,
}

impl SoftmaxRegression {
	pub fn new(inputs: usize, classes: usize, vb: VarBuilder) -> candle_core::Result<Self> {
		Ok(Self { linear: Dense::new(inputs, classes, vb.pp("linear"))? })
	}
}

impl Module for SoftmaxRegression {
	fn forward(&self, xs: &Tensor) -> candle_core::Result<Tensor> {
		xs.apply(&self.linear)
	}
}

/// Multi-layer perceptron `inputs → hidden[0] → … → classes` with ReLU after every
/// hidden layer; layers are named `fc1`, `fc2`, ….
#[derive(Clone, Debug)]
pub struct Mlp {
	layers: Vec<Dense>,
}

impl Mlp {
	pub fn new(
		inputs: usize,
		hidden: &[usize],
		classes: usize,
		vb: VarBuilder,
	) -> candle_core::Result<Self> {
		let widths = std::iter::once(inputs).chain(hidden.iter().copied()).chain([classes]);
		let layers = widths
			.clone()
			.zip(widths.skip(1))
			.enumerate()
			.map(|(index, (fan_in, fan_out))| {
				Dense::new(fan_in, fan_out, vb.pp(format!("fc{}", index + 1)))
			})
			.collect::<candle_core::Result<_>>()?;
		Ok(Self { layers })
	}
}

impl Module for Mlp {
	fn forward(&self, xs: &Tensor) -> candle_core::Result<Tensor> {
		let (last, hidden) = self
			.layers
			.split_last()
			.ok_or_else(|| candle_core::Error::Msg("an MLP needs at least one layer".into()))?;
		let mut xs = xs.clone();
		for layer in hidden {
			xs = xs.apply(layer)?.relu()?;
		}
		xs.apply(last)
	}
}

/// A 3×3 convolution with padding 1 over `[batch, in, side, side]` maps, with the weight
/// `[out, in, 3, 3]` and bias `[out]` of `nn.Conv2d` (cross-correlation, as PyTorch).
///
/// It is an explicit im2col: one gather builds every output position's 3×3×in patch
/// (a precomputed index into the map with a zero appended for the padding) as the rows
/// of a `[batch·side², in·9]` matrix, and one product with the `[out, in·9]` kernel, in
/// [`Dense`]'s order, computes every output of the batch. candle's `conv2d` runs a tiled
/// kernel on its own thread pool (a cross-pool handoff per call) and differentiates
/// through `conv_transpose2d`, a direct loop; on the digits CNNs that trained at a third
/// to a half of this speed (`docs/benchmarks.md`). Here the backward pass is an
/// index-add and two products, and the weight's gradient is one product over the batch.
#[derive(Clone, Debug)]
pub struct Conv3x3 {
	weight: Tensor,
	bias: Tensor,
	/// For output position p and patch entry e (channel, row, column of the 3×3
	/// window), the flat input offset or the appended zero, position-major.
	patch_index: Tensor,
	side: usize,
}

impl Conv3x3 {
	/// The layer's variables `weight` and `bias` under `vb`, for `side × side` inputs.
	pub fn new(
		in_channels: usize,
		out_channels: usize,
		side: usize,
		vb: VarBuilder,
	) -> candle_core::Result<Self> {
		let kernel = din_fl::spec::CNN_KERNEL as usize;
		let init = pytorch_default_init(in_channels * kernel * kernel);
		let weight =
			vb.get_with_hints((out_channels, in_channels, kernel, kernel), "weight", init)?;
		let bias = vb.get_with_hints(out_channels, "bias", init)?;
		let (side_i, half) = (side as isize, (kernel / 2) as isize);
		let zero = (in_channels * side * side) as u32;
		let mut index = Vec::with_capacity(side * side * in_channels * kernel * kernel);
		for y in 0..side_i {
			for x in 0..side_i {
				for channel in 0..in_channels {
					for dy in 0..kernel as isize {
						for dx in 0..kernel as isize {
							let (row, column) = (y + dy - half, x + dx - half);
							let inside =
								(0..side_i).contains(&row) && (0..side_i).contains(&column);
							index.push(if inside {
								((channel * side + row as usize) * side + column as usize) as u32
							} else {
								zero
							});
						}
					}
				}
			}
		}
		let patch_index =
			Tensor::from_vec(index, side * side * in_channels * kernel * kernel, vb.device())?;
		Ok(Self { weight, bias, patch_index, side })
	}
}

impl Module for Conv3x3 {
	fn forward(&self, xs: &Tensor) -> candle_core::Result<Tensor> {
		let (batch, in_channels, height, width) = xs.dims4()?;
		if (height, width) != (self.side, self.side) {
			candle_core::bail!("conv: {height}×{width} input, built for {0}×{0}", self.side);
		}
		let out_channels = self.weight.dim(0)?;
		let patch = self.weight.elem_count() / out_channels;
		let flat = xs.reshape((batch, in_channels * height * width))?;
		let zero = Tensor::zeros((batch, 1), xs.dtype(), xs.device())?;
		let padded = Tensor::cat(&[&flat, &zero], 1)?;
		let patches = padded
			.index_select(&self.patch_index, 1)?
			.reshape((batch * height * width, patch))?;
		// [out, batch·side²]: the outputs of every position of every sample, per channel.
		self.weight
			.reshape((out_channels, patch))?
			.matmul(&patches.t()?)?
			.broadcast_add(&self.bias.reshape((out_channels, 1))?)?
			.reshape((out_channels, batch, height, width))?
			.transpose(0, 1)
	}
}

/// `U(−1/√fan_in, 1/√fan_in)`, PyTorch's default for `nn.Linear` and `nn.Conv2d`.
fn pytorch_default_init(fan_in: usize) -> candle_nn::Init {
	let bound = 1.0 / (fan_in.max(1) as f64).sqrt();
	candle_nn::Init::Uniform { lo: -bound, up: bound }
}

/// 2×2 max-pool with stride 2 (floor: an odd last row or column is dropped), as a
/// reshape and two max reductions, which candle differentiates with one mask each.
fn max_pool_2x2(xs: &Tensor) -> candle_core::Result<Tensor> {
	let (batch, channels, height, width) = xs.dims4()?;
	let (height, width) = (height / 2, width / 2);
	xs.narrow(2, 0, 2 * height)?
		.narrow(3, 0, 2 * width)?
		.reshape((batch, channels, height, 2, width, 2))?
		.max(5)?
		.max(3)
}

/// Small CNN over one-channel `side × side` images given as flat rows of `side²` pixels:
/// per conv layer (`conv1`…) a 3×3 convolution with padding 1, ReLU and 2×2 max-pool
/// (floor), then the flattened `[C, H, W]` map into the linear head `fc` (the layout
/// din-fl's schema documents).
#[derive(Clone, Debug)]
pub struct Cnn {
	side: usize,
	convs: Vec<Conv3x3>,
	fc: Dense,
}

impl Cnn {
	pub fn new(
		side: usize,
		channels: &[usize],
		classes: usize,
		vb: VarBuilder,
	) -> candle_core::Result<Self> {
		let (mut in_channels, mut layer_side) = (1, side);
		let mut convs = Vec::with_capacity(channels.len());
		for (index, out_channels) in channels.iter().enumerate() {
			let vb = vb.pp(format!("conv{}", index + 1));
			convs.push(Conv3x3::new(in_channels, *out_channels, layer_side, vb)?);
			in_channels = *out_channels;
			layer_side /= 2;
		}
		let fc = Dense::new(in_channels * layer_side * layer_side, classes, vb.pp("fc"))?;
		Ok(Self { side, convs, fc })
	}
}

impl Module for Cnn {
	fn forward(&self, xs: &Tensor) -> candle_core::Result<Tensor> {
		let batch = xs.dim(0)?;
		let mut xs = xs.reshape((batch, 1, self.side, self.side))?;
		for conv in &self.convs {
			xs = max_pool_2x2(&xs.apply(conv)?.relu()?)?;
		}
		xs.flatten_from(1)?.apply(&self.fc)
	}
}

/// Any of the architectures a [`ModelSpec`] can name.
#[derive(Clone, Debug)]
pub enum Network {
	SoftmaxRegression(SoftmaxRegression),
	Mlp(Mlp),
	Cnn(Cnn),
}

impl Network {
	/// Builds the layers of `spec` under `vb` (names as in `spec.schema()`).
	pub fn new(spec: &ModelSpec, vb: VarBuilder) -> candle_core::Result<Self> {
		let widths = |list: &[u32]| list.iter().map(|width| *width as usize).collect::<Vec<_>>();
		Ok(match spec {
			ModelSpec::SoftmaxRegression { inputs, classes } => Self::SoftmaxRegression(
				SoftmaxRegression::new(*inputs as usize, *classes as usize, vb)?,
			),
			ModelSpec::Mlp { inputs, hidden, classes } => {
				Self::Mlp(Mlp::new(*inputs as usize, &widths(hidden), *classes as usize, vb)?)
			},
			ModelSpec::Cnn { side, channels, classes } => {
				Self::Cnn(Cnn::new(*side as usize, &widths(channels), *classes as usize, vb)?)
			},
		})
	}
}

impl Module for Network {
	fn forward(&self, xs: &Tensor) -> candle_core::Result<Tensor> {
		match self {
			Self::SoftmaxRegression(model) => model.forward(xs),
			Self::Mlp(model) => model.forward(xs),
			Self::Cnn(model) => model.forward(xs),
		}
	}
}

/// A network together with the [`VarMap`] that owns its parameters and the spec and
/// schema that name them (module docs).
pub struct Model {
	spec: ModelSpec,
	schema: Schema,
	varmap: VarMap,
	network: Network,
	device: Device,
}

impl Model {
	/// A freshly initialised model; the same `seed` gives the same parameters.
	pub fn new(spec: &ModelSpec, seed: u64, device: &Device) -> Result<Self> {
		let schema = spec.schema()?;
		let varmap = VarMap::new();
		{
			let mut vars = lock(&varmap)?;
			let mut rng = seeded_rng(seed);
			for tensor in schema.tensors() {
				let shape: Vec<usize> = tensor.shape.iter().map(|dim| *dim as usize).collect();
				let bound = 1.0 / (fan_in(&schema, &tensor.name) as f32).sqrt();
				// 24 random bits give every representable step of a uniform f32 in
				// [0, 1); mapping to [−bound, bound) mirrors PyTorch's default init.
				let values: Vec<f32> = (0..tensor.len())
					.map(|_| {
						((rng.next_u32() >> 8) as f32 / (1u32 << 24) as f32 * 2.0 - 1.0) * bound
					})
					.collect();
				let var = Var::from_vec(values, shape, device)?;
				vars.insert(tensor.name.clone(), var);
			}
		}
		let network = Network::new(spec, VarBuilder::from_varmap(&varmap, DType::F32, device))?;
		Ok(Self { spec: spec.clone(), schema, varmap, network, device: device.clone() })
	}

	/// A model holding the parameters of `update` (checked against the spec's schema).
	pub fn from_update(spec: &ModelSpec, update: &Update, device: &Device) -> Result<Self> {
		let model = Self::new(spec, 0, device)?;
		model.load_update(update)?;
		Ok(model)
	}

	/// A model loaded from a safetensors checkpoint written by [`Self::save`].
	pub fn from_safetensors(
		spec: &ModelSpec,
		path: impl AsRef<Path>,
		device: &Device,
	) -> Result<Self> {
		let mut model = Self::new(spec, 0, device)?;
		model.load(path)?;
		Ok(model)
	}

	/// The architecture.
	pub fn spec(&self) -> &ModelSpec {
		&self.spec
	}

	/// The ordered tensor list of the architecture.
	pub fn schema(&self) -> &Schema {
		&self.schema
	}

	/// The parameter store.
	pub fn varmap(&self) -> &VarMap {
		&self.varmap
	}

	/// The layers.
	pub fn network(&self) -> &Network {
		&self.network
	}

	/// The device the parameters live on.
	pub fn device(&self) -> &Device {
		&self.device
	}

	/// The parameter variables in schema order (what optimizers and FedProx iterate).
	pub fn vars(&self) -> Result<Vec<Var>> {
		let vars = lock(&self.varmap)?;
		self.schema
			.tensors()
			.iter()
			.map(|tensor| {
				vars.get(&tensor.name).cloned().ok_or_else(|| {
					MlError::Candle(candle_core::Error::Msg(format!(
						"variable {} is missing",
						tensor.name
					)))
				})
			})
			.collect()
	}

	/// All parameters flattened in schema order.
	pub fn parameters(&self) -> Result<Vec<f32>> {
		let mut values = Vec::with_capacity(self.schema.value_count());
		for var in self.vars()? {
			values.extend(var.as_tensor().flatten_all()?.to_vec1::<f32>()?);
		}
		Ok(values)
	}

	/// Overwrites every parameter from a flat vector in schema order.
	pub fn set_parameters(&self, values: &[f32]) -> Result<()> {
		let expected = self.schema.value_count();
		if values.len() != expected {
			return Err(EncodingError::ValueCountMismatch { expected, found: values.len() }.into());
		}
		for ((_, range), var) in self.schema.ranges().zip(self.vars()?) {
			let tensor = Tensor::from_slice(&values[range], var.shape(), &self.device)?;
			var.set(&tensor)?;
		}
		Ok(())
	}

	/// The parameters in canonical form, weighted by `num_samples`.
	pub fn to_update(&self, num_samples: u64) -> Result<Update> {
		Update::from_f32(&self.schema, num_samples, &self.parameters()?).map_err(
			|error| match error {
				EncodingError::NonFiniteValue { index } => self.locate(index),
				other => other.into(),
			},
		)
	}

	/// Loads canonical parameters (schema hash and value count are checked first).
	pub fn load_update(&self, update: &Update) -> Result<()> {
		update.check_against(&self.schema)?;
		self.set_parameters(&update.to_f32())
	}

	/// Writes every parameter to a safetensors file, keyed by schema name.
	pub fn save(&self, path: impl AsRef<Path>) -> Result<()> {
		Ok(self.varmap.save(path)?)
	}

	/// Reads every parameter from a safetensors file; a missing tensor or a shape that
	/// differs from the schema is an error.
	pub fn load(&mut self, path: impl AsRef<Path>) -> Result<()> {
		Ok(self.varmap.load(path)?)
	}

	/// Names the tensor and in-tensor position of flat value `index`.
	fn locate(&self, index: usize) -> MlError {
		self.schema
			.ranges()
			.find(|(_, range)| range.contains(&index))
			.map(|(tensor, range)| MlError::NonFiniteParameter {
				tensor: tensor.name.clone(),
				index: index - range.start,
			})
			.unwrap_or(MlError::Encoding(EncodingError::NonFiniteValue { index }))
	}
}

impl Module for Model {
	fn forward(&self, xs: &Tensor) -> candle_core::Result<Tensor> {
		self.network.forward(xs)
	}
}

/// Predicted class of every row of `logits` (`[batch, classes]`).
pub(crate) fn predictions(logits: &Tensor) -> candle_core::Result<Vec<u32>> {
	logits.argmax(D::Minus1)?.to_vec1::<u32>()
}

/// Fan-in of the weight a schema tensor belongs to: `X.bias` uses `X.weight`'s.
fn fan_in(schema: &Schema, name: &str) -> usize {
	let weight = match name.strip_suffix(".bias") {
		Some(layer) => format!("{layer}.weight"),
		None => name.to_string(),
	};
	schema
		.tensors()
		.iter()
		.find(|tensor| tensor.name == weight)
		.map(|tensor| tensor.shape.iter().skip(1).map(|dim| *dim as usize).product::<usize>())
		.unwrap_or(1)
		.max(1)
}

fn lock(
	varmap: &VarMap,
) -> candle_core::Result<std::sync::MutexGuard<'_, std::collections::HashMap<String, Var>>> {
	// A poisoned lock means another thread panicked mid-update; the values may be torn.
	varmap
		.data()
		.lock()
		.map_err(|_| candle_core::Error::Msg("the VarMap lock is poisoned".into()))
}

#[cfg(test)]
mod tests {
	use super::*;

	fn specs() -> Vec<ModelSpec> {
		vec![
			ModelSpec::SoftmaxRegression { inputs: 64, classes: 10 },
			ModelSpec::Mlp { inputs: 64, hidden: vec![32, 16], classes: 10 },
			ModelSpec::Cnn { side: 8, channels: vec![4, 8], classes: 10 },
			ModelSpec::Cnn { side: 28, channels: vec![4, 8, 8], classes: 10 },
		]
	}

	#[test]
	fn variables_carry_the_schema_names_and_shapes() {
		for spec in specs() {
			let model = Model::new(&spec, 1, &Device::Cpu).unwrap();
			let vars = lock(model.varmap()).unwrap();
			assert_eq!(vars.len(), model.schema().tensors().len());
			for tensor in model.schema().tensors() {
				let dims: Vec<u32> = vars[&tensor.name].dims().iter().map(|d| *d as u32).collect();
				assert_eq!(dims, tensor.shape, "{}", tensor.name);
			}
			drop(vars);
			let side = spec.input_features() as usize;
			let xs = Tensor::zeros((3, side), DType::F32, &Device::Cpu).unwrap();
			assert_eq!(model.forward(&xs).unwrap().dims(), &[3, 10]);
		}
	}

	/// The layers compute what candle-nn's `Linear`, `Conv2d` and `max_pool2d` compute,
	/// forward and backward, on the same variables. (candle's own `max_pool2d` gradient
	/// is a quarter of the true one for a unique maximum, so the pooling gradient is
	/// checked against its definition in the next test.)
	#[test]
	fn dense_conv_and_pool_match_candle_nn() {
		let device = Device::Cpu;
		let close = |a: &Tensor, b: &Tensor, what: &str| {
			let (a, b) = (a.flatten_all().unwrap(), b.flatten_all().unwrap());
			let (a, b) = (a.to_vec1::<f32>().unwrap(), b.to_vec1::<f32>().unwrap());
			assert_eq!(a.len(), b.len(), "{what}");
			for (index, (a, b)) in a.iter().zip(&b).enumerate() {
				assert!((a - b).abs() <= 1e-4 * (1.0 + b.abs()), "{what}[{index}]: {a} vs {b}");
			}
		};
		for (side, in_channels, out_channels) in [(8, 1, 4), (7, 3, 5), (4, 2, 3)] {
			let varmap = VarMap::new();
			let vb = VarBuilder::from_varmap(&varmap, DType::F32, &device);
			let init = candle_nn::Init::Uniform { lo: -0.5, up: 0.5 };
			let weight =
				vb.get_with_hints((out_channels, in_channels, 3, 3), "weight", init).unwrap();
			let bias = vb.get_with_hints(out_channels, "bias", init).unwrap();
			let ours = Conv3x3::new(in_channels, out_channels, side, vb.clone()).unwrap();
			let theirs = candle_nn::Conv2d::new(
				weight.clone(),
				Some(bias.clone()),
				candle_nn::Conv2dConfig { padding: 1, ..Default::default() },
			);
			let xs = candle_core::Var::from_tensor(
				&Tensor::rand(-1f32, 1f32, (3, in_channels, side, side), &device).unwrap(),
			)
			.unwrap();
			let ys = xs.apply(&ours).unwrap().relu().unwrap();
			let want = xs.apply(&theirs).unwrap().relu().unwrap();
			close(&ys, &want, "forward");
			close(&max_pool_2x2(&ys).unwrap(), &want.max_pool2d(2).unwrap(), "pool");
			let (ours, theirs) =
				(ys.sqr().unwrap().sum_all().unwrap(), want.sqr().unwrap().sum_all().unwrap());
			let (ours, theirs) = (ours.backward().unwrap(), theirs.backward().unwrap());
			for var in [&weight, &bias, xs.as_tensor()] {
				close(ours.get(var).unwrap(), theirs.get(var).unwrap(), "gradient");
			}
		}
		let varmap = VarMap::new();
		let vb = VarBuilder::from_varmap(&varmap, DType::F32, &device);
		let dense = Dense::new(6, 4, vb.clone()).unwrap();
		let init = candle_nn::Init::Uniform { lo: -0.5, up: 0.5 };
		let linear = candle_nn::Linear::new(
			vb.get_with_hints((4, 6), "weight", init).unwrap(),
			Some(vb.get_with_hints(4, "bias", init).unwrap()),
		);
		let xs = Tensor::rand(-1f32, 1f32, (5, 6), &device).unwrap();
		close(&xs.apply(&dense).unwrap(), &xs.apply(&linear).unwrap(), "dense");
	}

	/// The gradient of a 2×2 max-pool is the upstream gradient at each window's
	/// maximum and zero elsewhere (odd trailing rows and columns get none).
	#[test]
	fn max_pool_routes_the_gradient_to_each_maximum() {
		let values: Vec<f32> = (0..2 * 5 * 5).map(|i| ((i * 37) % 50) as f32).collect();
		let xs = candle_core::Var::from_vec(values.clone(), (1, 2, 5, 5), &Device::Cpu).unwrap();
		let pooled = max_pool_2x2(xs.as_tensor()).unwrap();
		let upstream =
			Tensor::arange(1f32, 9.0, &Device::Cpu).unwrap().reshape((1, 2, 2, 2)).unwrap();
		let grads = (&pooled * &upstream).unwrap().sum_all().unwrap().backward().unwrap();
		let got = grads.get(&xs).unwrap().flatten_all().unwrap().to_vec1::<f32>().unwrap();
		let mut want = vec![0f32; values.len()];
		for channel in 0..2 {
			for (row, column) in [(0, 0), (0, 1), (1, 0), (1, 1)] {
				let window = [(0, 0), (0, 1), (1, 0), (1, 1)]
					.map(|(dy, dx)| channel * 25 + (2 * row + dy) * 5 + 2 * column + dx);
				let argmax =
					*window.iter().max_by(|a, b| values[**a].total_cmp(&values[**b])).unwrap();
				want[argmax] = (channel * 4 + row * 2 + column + 1) as f32;
			}
		}
		assert_eq!(got, want);
	}

	#[test]
	fn seeded_initialisation_is_reproducible_and_bounded() {
		let spec = ModelSpec::Mlp { inputs: 64, hidden: vec![32], classes: 10 };
		let a = Model::new(&spec, 5, &Device::Cpu).unwrap().parameters().unwrap();
		assert_eq!(a, Model::new(&spec, 5, &Device::Cpu).unwrap().parameters().unwrap());
		assert_ne!(a, Model::new(&spec, 6, &Device::Cpu).unwrap().parameters().unwrap());
		// fc1 has fan-in 64 (bound 1/8), fc2 fan-in 32.
		assert!(a[..64 * 32 + 32].iter().all(|v| v.abs() <= 0.125));
		assert!(a[..64 * 32].iter().any(|v| v.abs() > 0.1));
	}

	#[test]
	fn update_round_trip_and_non_finite_parameters() {
		let spec = ModelSpec::Mlp { inputs: 4, hidden: vec![3], classes: 2 };
		let model = Model::new(&spec, 2, &Device::Cpu).unwrap();
		let update = model.to_update(17).unwrap();
		assert_eq!(update.num_samples, 17);
		assert_eq!(update.schema_hash, spec.schema().unwrap().hash());
		let copy = Model::from_update(&spec, &update, &Device::Cpu).unwrap();
		assert_eq!(copy.to_update(17).unwrap(), update);

		let mut values = model.parameters().unwrap();
		values[4 * 3 + 1] = f32::NAN; // fc1.bias[1]
		model.set_parameters(&values).unwrap();
		match model.to_update(1) {
			Err(MlError::NonFiniteParameter { tensor, index }) => {
				assert_eq!((tensor.as_str(), index), ("fc1.bias", 1))
			},
			other => panic!("expected a NaN error, got {other:?}"),
		}
		let other = ModelSpec::SoftmaxRegression { inputs: 4, classes: 2 };
		assert!(matches!(
			Model::from_update(&other, &update, &Device::Cpu),
			Err(MlError::Encoding(EncodingError::SchemaHashMismatch { .. }))
		));
	}

	#[test]
	fn safetensors_save_load_gives_identical_forward() {
		let dir = tempfile::tempdir().unwrap();
		for (index, spec) in specs().into_iter().enumerate() {
			let model = Model::new(&spec, 11, &Device::Cpu).unwrap();
			let path = dir.path().join(format!("model{index}.safetensors"));
			model.save(&path).unwrap();
			let loaded = Model::from_safetensors(&spec, &path, &Device::Cpu).unwrap();
			assert_eq!(loaded.parameters().unwrap(), model.parameters().unwrap());
			let xs = Tensor::rand(0f32, 1f32, (5, spec.input_features() as usize), &Device::Cpu)
				.unwrap();
			let (a, b) = (model.forward(&xs).unwrap(), loaded.forward(&xs).unwrap());
			assert_eq!(a.to_vec2::<f32>().unwrap(), b.to_vec2::<f32>().unwrap());
		}
		// model0 is softmax regression 64 → 10: other shapes or names do not load.
		let path = dir.path().join("model0.safetensors");
		let wider = ModelSpec::SoftmaxRegression { inputs: 64, classes: 12 };
		let renamed = ModelSpec::Mlp { inputs: 64, hidden: vec![8], classes: 10 };
		assert!(Model::from_safetensors(&wider, &path, &Device::Cpu).is_err());
		assert!(Model::from_safetensors(&renamed, &path, &Device::Cpu).is_err());
	}
}
