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
//! ## In place
//!
//! On the CPU a step is one fused pass per variable over `(w, v, g)`, writing `w` through
//! candle's in-place op and `v` in the optimizer's own buffer: a step allocates nothing.
//! Written as tensor expressions the same rule costs five temporaries the size of the
//! model per step, each a fresh allocation that, above glibc's mmap threshold, page-faults
//! in again every step (on a 64-512-256-10 MLP most of the step's time). Other devices
//! run the tensor expressions.
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

use std::cell::RefCell;

use candle_core::backprop::GradStore;
use candle_core::{CpuStorage, Layout, Result, Tensor, Var};
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
	vars: Vec<(Var, Velocity)>,
	params: ParamsSgd,
}

/// A variable's momentum buffer: none before its first step.
#[derive(Debug)]
enum Velocity {
	None,
	/// Kept next to the variable on the CPU, updated by [`CpuStep`].
	Cpu(Vec<f32>),
	/// On other devices, or for other float types.
	Tensor(Tensor),
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
			.map(|var| (var, Velocity::None))
			.collect();
		Ok(Self { vars, params })
	}

	fn step(&mut self, grads: &GradStore) -> Result<()> {
		for (var, velocity) in &mut self.vars {
			let Some(grad) = grads.get(var) else { continue };
			if var.device().is_cpu() && var.dtype() == candle_core::DType::F32 {
				if matches!(velocity, Velocity::None) {
					*velocity = Velocity::Cpu(Vec::new());
				}
				step_cpu(&self.params, var, grad, velocity)?;
			} else {
				step_tensors(&self.params, var, grad, velocity)?;
			}
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

/// The rule as tensor expressions (any device and float type).
fn step_tensors(
	params: &ParamsSgd,
	var: &Var,
	grad: &Tensor,
	velocity: &mut Velocity,
) -> Result<()> {
	let ParamsSgd { lr, momentum, weight_decay, nesterov } = *params;
	let grad = if weight_decay != 0.0 {
		(grad + (var.as_tensor() * weight_decay)?)?
	} else {
		grad.clone()
	};
	let direction = if momentum == 0.0 {
		grad
	} else {
		let next = match velocity {
			Velocity::Tensor(previous) => ((&*previous * momentum)? + &grad)?,
			_ => grad.clone(),
		};
		let direction = if nesterov { (&grad + (&next * momentum)?)? } else { next.clone() };
		*velocity = Velocity::Tensor(next);
		direction
	};
	var.set(&(var.as_tensor() - (direction * lr)?)?)
}

/// The rule in one in-place pass over an f32 CPU variable (module docs).
fn step_cpu(params: &ParamsSgd, var: &Var, grad: &Tensor, velocity: &mut Velocity) -> Result<()> {
	let Velocity::Cpu(buffer) = velocity else {
		candle_core::bail!("sgd-momentum-step: no CPU velocity buffer");
	};
	let step = CpuStep { params: params.clone(), velocity: RefCell::new(buffer) };
	// The gradient may be a strided view; the fused loop reads it contiguously.
	var.as_tensor().inplace_op2(&grad.contiguous()?, &step)
}

/// `w ← w − lr·d` with the velocity updated in the same pass (module docs).
struct CpuStep<'a> {
	params: ParamsSgd,
	/// Empty before the variable's first step (and always without momentum).
	velocity: RefCell<&'a mut Vec<f32>>,
}

impl candle_core::InplaceOp2 for CpuStep<'_> {
	fn name(&self) -> &'static str {
		"sgd-momentum-step"
	}

	fn cpu_fwd(
		&self,
		weights: &mut CpuStorage,
		weights_layout: &Layout,
		grad: &CpuStorage,
		grad_layout: &Layout,
	) -> Result<()> {
		let (CpuStorage::F32(weights), CpuStorage::F32(grad)) = (weights, grad) else {
			candle_core::bail!("sgd-momentum-step: f32 storage expected");
		};
		let (Some((w_start, w_end)), Some((g_start, g_end))) =
			(weights_layout.contiguous_offsets(), grad_layout.contiguous_offsets())
		else {
			candle_core::bail!("sgd-momentum-step: contiguous tensors expected");
		};
		let (weights, grad) = (&mut weights[w_start..w_end], &grad[g_start..g_end]);
		if weights.len() != grad.len() {
			candle_core::bail!(
				"sgd-momentum-step: {} weights, {} gradients",
				weights.len(),
				grad.len()
			);
		}
		let ParamsSgd { lr, momentum, weight_decay, nesterov } = self.params;
		let (lr, momentum, weight_decay) = (lr as f32, momentum as f32, weight_decay as f32);
		let mut velocity = self.velocity.borrow_mut();
		if momentum == 0.0 {
			for (w, g) in weights.iter_mut().zip(grad) {
				*w -= lr * (g + weight_decay * *w);
			}
		} else if velocity.is_empty() {
			velocity.reserve_exact(weights.len());
			// First step: v ← g.
			velocity.extend(weights.iter().zip(grad).map(|(w, g)| g + weight_decay * w));
			for (w, v) in weights.iter_mut().zip(velocity.iter()) {
				*w -= lr * if nesterov { v + momentum * v } else { *v };
			}
		} else {
			for ((w, v), g) in weights.iter_mut().zip(velocity.iter_mut()).zip(grad) {
				let g = g + weight_decay * *w;
				*v = momentum * *v + g;
				*w -= lr * if nesterov { g + momentum * *v } else { *v };
			}
		}
		Ok(())
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use candle_core::Device;

	/// Runs `steps` steps on loss = Σ w²/2 (gradient = w) from w = 1, -2, in `dtype`
	/// (f32 takes the fused in-place path, f64 the tensor expressions).
	fn run(params: ParamsSgd, steps: usize, dtype: candle_core::DType) -> Vec<f64> {
		let w = Var::from_tensor(
			&Tensor::new(&[1f64, -2.0], &Device::Cpu).unwrap().to_dtype(dtype).unwrap(),
		)
		.unwrap();
		let mut sgd = SgdMomentum::new(vec![w.clone()], params).unwrap();
		for _ in 0..steps {
			let loss = (w.as_tensor().sqr().unwrap() * 0.5).unwrap().sum_all().unwrap();
			sgd.backward_step(&loss).unwrap();
		}
		w.as_tensor().to_dtype(candle_core::DType::F64).unwrap().to_vec1().unwrap()
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
			for dtype in [candle_core::DType::F32, candle_core::DType::F64] {
				let got = run(params.clone(), 7, dtype);
				for (got, w0) in got.iter().zip([1.0, -2.0]) {
					let want = expected(&params, w0, 7);
					assert!((got - want).abs() < 1e-6, "{params:?} {dtype:?}: {got} vs {want}");
				}
			}
		}
	}
}
