//! Local training: seeded mini-batch loops with SGD + momentum or AdamW, optionally with
//! FedProx's proximal term.
//!
//! ## Loop
//!
//! Each epoch draws a permutation of the samples from one ChaCha8 stream seeded with
//! [`TrainConfig::seed`] (the same Fisher–Yates as [`crate::data::split`]), gathers the
//! features and labels in that order once, and walks them in `batch_size` slices (the
//! last one may be shorter, like PyTorch's `DataLoader` without `drop_last`). Per batch:
//! forward, mean cross-entropy, optional proximal term, `backward_step`. With the
//! model's seeded initialisation this makes a run a pure function of (spec, seeds,
//! data, config) on one machine and thread count.
//!
//! ## FedProx
//!
//! With `proximal_mu = Some(μ)` the loss gains `μ/2 · ‖w − w_global‖²` (Li et al., 2020),
//! where `w_global` is the model's parameters when [`train`] is called — in federated
//! use, the global model the participant just downloaded. It pulls local training
//! toward the global model, which limits client drift on non-IID data.

use candle_core::{DType, Tensor};
use candle_nn::{Module, Optimizer};

use crate::data::split::{seeded_rng, shuffle};
use crate::data::Dataset;
use crate::error::{MlError, Result};
use crate::model::Model;
/// The AdamW settings of [`OptimizerConfig::AdamW`].
pub use crate::optim::ParamsAdamW;
use crate::optim::{AdamW, ParamsSgd, SgdMomentum};

/// Which optimizer [`train`] uses.
#[derive(Clone, Debug)]
pub enum OptimizerConfig {
	/// SGD with momentum ([`SgdMomentum`]).
	Sgd(ParamsSgd),
	/// AdamW ([`AdamW`]).
	AdamW(ParamsAdamW),
}

/// Settings of a local training run.
#[derive(Clone, Debug)]
pub struct TrainConfig {
	/// Passes over the data.
	pub epochs: usize,
	/// Samples per gradient step.
	pub batch_size: usize,
	/// Optimizer and its hyperparameters (the learning rate lives there).
	pub optimizer: OptimizerConfig,
	/// Seed of the per-epoch shuffles.
	pub seed: u64,
	/// FedProx μ (module docs); `None` trains without the proximal term.
	pub proximal_mu: Option<f64>,
}

impl Default for TrainConfig {
	fn default() -> Self {
		Self {
			epochs: 10,
			batch_size: 32,
			optimizer: OptimizerConfig::Sgd(ParamsSgd::default()),
			seed: 0,
			proximal_mu: None,
		}
	}
}

impl TrainConfig {
	/// Checks the ranges [`train`] relies on.
	pub fn validate(&self) -> Result<()> {
		let lr = match &self.optimizer {
			OptimizerConfig::Sgd(params) => params.lr,
			OptimizerConfig::AdamW(params) => params.lr,
		};
		let problem = if self.batch_size == 0 {
			Some("batch size must be at least 1".to_string())
		} else if !(lr.is_finite() && lr > 0.0) {
			Some(format!("learning rate must be positive, got {lr}"))
		} else if self.proximal_mu.is_some_and(|mu| !(mu.is_finite() && mu >= 0.0)) {
			Some(format!("FedProx mu must be non-negative, got {:?}", self.proximal_mu))
		} else {
			None
		};
		problem.map_or(Ok(()), |message| Err(MlError::InvalidConfig(message)))
	}
}

/// Loss of one epoch.
#[derive(Clone, Debug, PartialEq)]
pub struct EpochStats {
	/// 0-based epoch index.
	pub epoch: usize,
	/// Sample-weighted mean of the batch losses (cross-entropy plus proximal term).
	pub mean_loss: f64,
}

/// What a training run did.
#[derive(Clone, Debug, PartialEq)]
pub struct TrainReport {
	/// One entry per epoch.
	pub epochs: Vec<EpochStats>,
	/// Optimizer steps taken.
	pub steps: usize,
	/// Samples processed (epochs × dataset size).
	pub samples: usize,
}

/// Trains `model` in place on `data` (module docs).
///
/// The first call applies [`crate::cpu::tune_for_training`] to the process.
pub fn train(model: &Model, data: &Dataset, config: &TrainConfig) -> Result<TrainReport> {
	config.validate()?;
	crate::cpu::tune_for_training();
	if data.is_empty() {
		return Err(MlError::InvalidDataset("cannot train on an empty dataset".into()));
	}
	let inputs = model.spec().input_features() as usize;
	if data.num_features() != inputs || data.num_classes() > model.spec().classes() as usize {
		return Err(MlError::InvalidDataset(format!(
			"the model takes {inputs} features and {} classes, the data has {} and {}",
			model.spec().classes(),
			data.num_features(),
			data.num_classes()
		)));
	}
	let vars = model.vars()?;
	match &config.optimizer {
		OptimizerConfig::Sgd(params) => {
			run(model, data, config, SgdMomentum::new(vars, params.clone())?)
		},
		OptimizerConfig::AdamW(params) => {
			run(model, data, config, AdamW::new(vars, params.clone())?)
		},
	}
}

fn run<O: Optimizer>(
	model: &Model,
	data: &Dataset,
	config: &TrainConfig,
	mut optimizer: O,
) -> Result<TrainReport> {
	let device = model.device();
	let (features, labels) = data.to_tensors(device)?;
	let vars = model.vars()?;
	// Detached copies: the anchor must not move while the variables train.
	let anchor = match config.proximal_mu {
		Some(mu) if mu > 0.0 => Some((
			mu,
			vars.iter()
				.map(|var| var.as_tensor().detach().copy())
				.collect::<candle_core::Result<Vec<_>>>()?,
		)),
		_ => None,
	};
	let mut rng = seeded_rng(config.seed);
	let mut order: Vec<u32> = (0..data.len() as u32).collect();
	let mut report =
		TrainReport { epochs: Vec::with_capacity(config.epochs), steps: 0, samples: 0 };
	for epoch in 0..config.epochs {
		shuffle(&mut order, &mut rng);
		// One gather per epoch; batches are then cheap `narrow` views.
		let index = Tensor::from_slice(&order, order.len(), device)?;
		let (xs, ys) = (features.index_select(&index, 0)?, labels.index_select(&index, 0)?);
		let mut loss_sum = 0.0;
		let mut start = 0;
		while start < data.len() {
			let len = config.batch_size.min(data.len() - start);
			let logits = model.forward(&xs.narrow(0, start, len)?)?;
			let mut loss = candle_nn::loss::cross_entropy(&logits, &ys.narrow(0, start, len)?)?;
			if let Some((mu, anchor)) = &anchor {
				loss = (loss + (proximal_term(&vars, anchor)? * (mu / 2.0))?)?;
			}
			optimizer.backward_step(&loss)?;
			loss_sum += f64::from(loss.to_dtype(DType::F32)?.to_scalar::<f32>()?) * len as f64;
			report.steps += 1;
			start += len;
		}
		report.samples += data.len();
		report
			.epochs
			.push(EpochStats { epoch, mean_loss: loss_sum / data.len() as f64 });
	}
	Ok(report)
}

/// `‖w − anchor‖²` over all variables.
fn proximal_term(vars: &[candle_core::Var], anchor: &[Tensor]) -> candle_core::Result<Tensor> {
	let mut total: Option<Tensor> = None;
	for (var, anchor) in vars.iter().zip(anchor) {
		let term = (var.as_tensor() - anchor)?.sqr()?.sum_all()?;
		total = Some(match total {
			None => term,
			Some(total) => (total + term)?,
		});
	}
	total.ok_or_else(|| candle_core::Error::Msg("a model without parameters".into()))
}

#[cfg(test)]
mod tests {
	use super::*;
	use crate::data::digits::digits_train_test;
	use crate::eval::evaluate;
	use candle_core::Device;
	use din_fl::ModelSpec;

	fn distance(a: &[f32], b: &[f32]) -> f64 {
		a.iter().zip(b).map(|(x, y)| f64::from(x - y).powi(2)).sum::<f64>().sqrt()
	}

	#[test]
	fn adamw_and_the_cnn_learn_the_digits() {
		let (train_set, test) = digits_train_test().unwrap();
		let adamw = TrainConfig {
			epochs: 3,
			optimizer: OptimizerConfig::AdamW(ParamsAdamW { lr: 0.01, ..Default::default() }),
			..Default::default()
		};
		let softmax =
			Model::new(&ModelSpec::SoftmaxRegression { inputs: 64, classes: 10 }, 1, &Device::Cpu)
				.unwrap();
		let report = train(&softmax, &train_set, &adamw).unwrap();
		assert_eq!((report.steps, report.samples), (3 * 45, 3 * 1437));
		assert!(report.epochs[2].mean_loss < report.epochs[0].mean_loss);
		assert!(evaluate(&softmax, &test).unwrap().accuracy > 0.9);

		let cnn = Model::new(
			&ModelSpec::Cnn { side: 8, channels: vec![8, 16], classes: 10 },
			1,
			&Device::Cpu,
		)
		.unwrap();
		train(&cnn, &train_set, &TrainConfig { epochs: 5, ..adamw }).unwrap();
		let accuracy = evaluate(&cnn, &test).unwrap().accuracy;
		assert!(accuracy > 0.9, "CNN accuracy {accuracy}");
	}

	#[test]
	fn fedprox_keeps_the_model_near_its_start() {
		let (train_set, _) = digits_train_test().unwrap();
		let spec = ModelSpec::Mlp { inputs: 64, hidden: vec![16], classes: 10 };
		let drift = |mu| {
			let model = Model::new(&spec, 3, &Device::Cpu).unwrap();
			let start = model.parameters().unwrap();
			train(
				&model,
				&train_set,
				&TrainConfig { epochs: 2, proximal_mu: mu, ..Default::default() },
			)
			.unwrap();
			distance(&start, &model.parameters().unwrap())
		};
		let (free, prox) = (drift(None), drift(Some(1.0)));
		assert!(prox < 0.7 * free, "FedProx drift {prox} vs plain {free}");
	}

	#[test]
	fn bad_settings_and_data_are_rejected() {
		let (train_set, _) = digits_train_test().unwrap();
		let model =
			Model::new(&ModelSpec::SoftmaxRegression { inputs: 64, classes: 10 }, 0, &Device::Cpu)
				.unwrap();
		for config in [
			TrainConfig { batch_size: 0, ..Default::default() },
			TrainConfig {
				optimizer: OptimizerConfig::Sgd(ParamsSgd { lr: -1.0, ..Default::default() }),
				..Default::default()
			},
			TrainConfig { proximal_mu: Some(f64::NAN), ..Default::default() },
		] {
			assert!(matches!(train(&model, &train_set, &config), Err(MlError::InvalidConfig(_))));
		}
		let narrow =
			Model::new(&ModelSpec::SoftmaxRegression { inputs: 32, classes: 10 }, 0, &Device::Cpu)
				.unwrap();
		assert!(matches!(
			train(&narrow, &train_set, &TrainConfig::default()),
			Err(MlError::InvalidDataset(_))
		));
	}
}
