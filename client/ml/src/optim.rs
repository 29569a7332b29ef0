//! Mini-batch SGD with momentum, as a candle [`Optimizer`].
//!
//! candle-nn's `SGD` has no momentum, so this is PyTorch's `torch.optim.SGD` rule, step
//! for step, so that hyperparameters carry over from PyTorch recipes:
//!
//! ```text
//! g ← ∇w + weight_decay · w
//! v ← g                       (first step)
//! v ← momentum · v + g        (later steps; no dampening)
//! d ← g + momentum · v        (nesterov)   or   d ← v
//! w ← w − lr · d
//! ```
//!
//! Variables without a gradient in a step (unused in the loss) are left alone and keep
//! their velocity, as in PyTorch.
//!
//! ```
//! use candle_core::{Device, Tensor, Var};
//! use candle_nn::Optimizer;
//! use din_ml::optim::{ParamsSgd, SgdMomentum};
//! # fn main() -> candle_core::Result<()> {
//! let w = Var::new(&[1f32], &Device::Cpu)?;
//! let mut sgd = SgdMomentum::new(vec![w.clone()], ParamsSgd { lr: 0.1, momentum: 0.5, ..Default::default() })?;
//! for _ in 0..2 {
//!     // loss = w²/2, so the gradient is w.
//!     sgd.backward_step(&(w.as_tensor().sqr()? * 0.5)?.sum_all()?)?;
//! }
//! // step 1: v = 1, w = 0.9; step 2: v = 0.5·1 + 0.9 = 1.4, w = 0.9 − 0.14 = 0.76
//! assert!((w.as_tensor().to_vec1::<f32>()?[0] - 0.76).abs() < 1e-6);
//! # Ok(()) }
//! ```

use candle_core::backprop::GradStore;
use candle_core::{Result, Tensor, Var};
use candle_nn::Optimizer;

/// Hyperparameters of [`SgdMomentum`].
#[derive(Clone, Debug, PartialEq)]
pub struct ParamsSgd {
	/// Learning rate.
	pub lr: f64,
	/// Momentum factor (0 gives plain SGD).
	pub momentum: f64,
	/// L2 penalty added to the gradient.
	pub weight_decay: f64,
	/// Nesterov momentum.
	pub nesterov: bool,
}

impl Default for ParamsSgd {
	fn default() -> Self {
		Self { lr: 0.05, momentum: 0.9, weight_decay: 0.0, nesterov: false }
	}
}

/// SGD with momentum (module docs).
#[derive(Debug)]
pub struct SgdMomentum {
	vars: Vec<(Var, Option<Tensor>)>,
	params: ParamsSgd,
}

impl SgdMomentum {
	/// The hyperparameters.
	pub fn params(&self) -> &ParamsSgd {
		&self.params
	}
}

impl Optimizer for SgdMomentum {
	type Config = ParamsSgd;

	fn new(vars: Vec<Var>, params: ParamsSgd) -> Result<Self> {
		let vars = vars
			.into_iter()
			.filter(|var| var.dtype().is_float())
			.map(|var| (var, None))
			.collect();
		Ok(Self { vars, params })
	}

	fn step(&mut self, grads: &GradStore) -> Result<()> {
		let ParamsSgd { lr, momentum, weight_decay, nesterov } = self.params;
		for (var, velocity) in &mut self.vars {
			let Some(grad) = grads.get(var) else { continue };
			let grad = if weight_decay != 0.0 {
				(grad + (var.as_tensor() * weight_decay)?)?
			} else {
				grad.clone()
			};
			let direction = if momentum == 0.0 {
				grad
			} else {
				let next = match velocity.as_ref() {
					None => grad.clone(),
					Some(previous) => ((previous * momentum)? + &grad)?,
				};
				let direction =
					if nesterov { (&grad + (&next * momentum)?)? } else { next.clone() };
				*velocity = Some(next);
				direction
			};
			var.set(&(var.as_tensor() - (direction * lr)?)?)?;
		}
		Ok(())
	}

	fn learning_rate(&self) -> f64 {
		self.params.lr
	}

	fn set_learning_rate(&mut self, lr: f64) {
		self.params.lr = lr;
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use candle_core::Device;

	/// Runs `steps` steps on loss = Σ w²/2 (gradient = w) from w = 1, -2.
	fn run(params: ParamsSgd, steps: usize) -> Vec<f32> {
		let w = Var::new(&[1f32, -2.0], &Device::Cpu).unwrap();
		let mut sgd = SgdMomentum::new(vec![w.clone()], params).unwrap();
		for _ in 0..steps {
			let loss = (w.as_tensor().sqr().unwrap() * 0.5).unwrap().sum_all().unwrap();
			sgd.backward_step(&loss).unwrap();
		}
		w.as_tensor().to_vec1().unwrap()
	}

	/// The update rule written out in f64 for one coordinate.
	fn expected(params: &ParamsSgd, w0: f64, steps: usize) -> f64 {
		let (mut w, mut v) = (w0, None::<f64>);
		for _ in 0..steps {
			let g = w + params.weight_decay * w;
			let next = v.map_or(g, |v| params.momentum * v + g);
			v = Some(next);
			w -= params.lr * if params.nesterov { g + params.momentum * next } else { next };
		}
		w
	}

	#[test]
	fn matches_the_pytorch_rule() {
		let cases = [
			ParamsSgd { lr: 0.1, momentum: 0.0, weight_decay: 0.0, nesterov: false },
			ParamsSgd { lr: 0.1, momentum: 0.9, weight_decay: 0.0, nesterov: false },
			ParamsSgd { lr: 0.05, momentum: 0.9, weight_decay: 0.01, nesterov: false },
			ParamsSgd { lr: 0.05, momentum: 0.8, weight_decay: 0.01, nesterov: true },
		];
		for params in cases {
			let got = run(params.clone(), 7);
			for (got, w0) in got.iter().zip([1.0, -2.0]) {
				let want = expected(&params, w0, 7);
				assert!((f64::from(*got) - want).abs() < 1e-6, "{params:?}: {got} vs {want}");
			}
		}
	}
}
