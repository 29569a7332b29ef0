//! Optimizers as candle [`Optimizer`]s: SGD with momentum and AdamW, in place on the CPU.
//!
//! candle-nn's `SGD` has no momentum, so [`SgdMomentum`] is PyTorch's `torch.optim.SGD`
//! rule, step for step, so that hyperparameters carry over from PyTorch recipes:
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
//! [`AdamW`] is candle-nn's `AdamW` rule (PyTorch's, with bias correction and decoupled
//! weight decay), step for step.
//!
//! ## In place
//!
//! On the CPU a step is one fused pass per variable over the weight, its gradient and
//! the optimizer's state, writing the weight through candle's in-place op and the state
//! in the optimizer's own buffers: a step allocates nothing. Written as tensor
//! expressions the same rules cost five (SGD) to ten (AdamW) temporaries the size of the
//! model per step, each a fresh allocation that, above glibc's mmap threshold,
//! page-faults in again every step (on a 64-512-256-10 MLP most of the step's time).
//! Other devices and float types run the tensor expressions.
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
use candle_core::{CpuStorage, DType, Layout, Result, Tensor, Var};
use candle_nn::Optimizer;
pub use candle_nn::ParamsAdamW;

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

/// A variable's momentum buffer, empty (`Cpu`) or absent (`Tensor`) before its first step.
#[derive(Debug)]
enum Velocity {
	/// Kept next to the variable on the CPU, updated in place.
	Cpu(Vec<f32>),
	/// On other devices, or for other float types.
	Tensor(Option<Tensor>),
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
			.map(|var| {
				let velocity =
					if in_place(&var) { Velocity::Cpu(Vec::new()) } else { Velocity::Tensor(None) };
				(var, velocity)
			})
			.collect();
		Ok(Self { vars, params })
	}

	fn step(&mut self, grads: &GradStore) -> Result<()> {
		for (var, velocity) in &mut self.vars {
			let Some(grad) = grads.get(var) else { continue };
			match velocity {
				Velocity::Cpu(velocity) => step_cpu(&self.params, var, grad, velocity)?,
				Velocity::Tensor(velocity) => step_tensors(&self.params, var, grad, velocity)?,
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
	velocity: &mut Option<Tensor>,
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
			Some(previous) => ((&*previous * momentum)? + &grad)?,
			None => grad.clone(),
		};
		let direction = if nesterov { (&grad + (&next * momentum)?)? } else { next.clone() };
		*velocity = Some(next);
		direction
	};
	var.set(&(var.as_tensor() - (direction * lr)?)?)
}

/// The rule in one in-place pass over an f32 CPU variable (module docs).
fn step_cpu(params: &ParamsSgd, var: &Var, grad: &Tensor, velocity: &mut Vec<f32>) -> Result<()> {
	let ParamsSgd { lr, momentum, weight_decay, nesterov } = *params;
	let (lr, momentum, weight_decay) = (lr as f32, momentum as f32, weight_decay as f32);
	update_in_place(var, grad, "sgd-momentum-step", |weights, grad| {
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
	})
}

/// AdamW (module docs).
#[derive(Debug)]
pub struct AdamW {
	vars: Vec<(Var, Moments)>,
	params: ParamsAdamW,
	/// Steps taken, for the bias correction.
	step_t: i32,
}

/// A variable's first and second moment estimates, zero before its first step.
#[derive(Debug)]
enum Moments {
	/// Kept next to the variable on the CPU, updated in place.
	Cpu { first: Vec<f32>, second: Vec<f32> },
	/// On other devices, or for other float types.
	Tensor { first: Tensor, second: Tensor },
}

impl AdamW {
	/// The hyperparameters.
	pub fn params(&self) -> &ParamsAdamW {
		&self.params
	}
}

impl Optimizer for AdamW {
	type Config = ParamsAdamW;

	fn new(vars: Vec<Var>, params: ParamsAdamW) -> Result<Self> {
		let vars = vars
			.into_iter()
			.filter(|var| var.dtype().is_float())
			.map(|var| {
				let moments = if in_place(&var) {
					let zeros = vec![0f32; var.elem_count()];
					Moments::Cpu { first: zeros.clone(), second: zeros }
				} else {
					let zeros = var.zeros_like()?;
					Moments::Tensor { first: zeros.clone(), second: zeros }
				};
				Ok((var, moments))
			})
			.collect::<Result<_>>()?;
		Ok(Self { vars, params, step_t: 0 })
	}

	fn step(&mut self, grads: &GradStore) -> Result<()> {
		self.step_t = self.step_t.saturating_add(1);
		let ParamsAdamW { lr, beta1, beta2, eps, weight_decay } = self.params;
		let scale_first = 1.0 / (1.0 - beta1.powi(self.step_t));
		let scale_second = 1.0 / (1.0 - beta2.powi(self.step_t));
		for (var, moments) in &mut self.vars {
			let Some(grad) = grads.get(var) else { continue };
			match moments {
				Moments::Cpu { first, second } => {
					// Constants rounded to f32 once, from f64, as candle's tensor ops do.
					let [lr, decay, beta1, rest1, beta2, rest2, eps, scale_first, scale_second] = [
						lr,
						1.0 - lr * weight_decay,
						beta1,
						1.0 - beta1,
						beta2,
						1.0 - beta2,
						eps,
						scale_first,
						scale_second,
					]
					.map(|x| x as f32);
					update_in_place(var, grad, "adamw-step", |weights, grad| {
						let state = first.iter_mut().zip(second.iter_mut());
						for ((w, g), (m, v)) in weights.iter_mut().zip(grad).zip(state) {
							*m = *m * beta1 + g * rest1;
							*v = *v * beta2 + g * g * rest2;
							let step = (*m * scale_first) / ((*v * scale_second).sqrt() + eps);
							*w = *w * decay - step * lr;
						}
					})?;
				},
				Moments::Tensor { first, second } => {
					let next_first = ((&*first * beta1)? + (grad * (1.0 - beta1))?)?;
					let next_second = ((&*second * beta2)? + (grad.sqr()? * (1.0 - beta2))?)?;
					let step = ((&next_first * scale_first)?
						/ ((&next_second * scale_second)?.sqrt()? + eps)?)?;
					let decayed = (var.as_tensor() * (1.0 - lr * weight_decay))?;
					var.set(&(decayed - (step * lr)?)?)?;
					(*first, *second) = (next_first, next_second);
				},
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

/// Whether `var`'s steps run in place (module docs).
fn in_place(var: &Var) -> bool {
	var.device().is_cpu() && var.dtype() == DType::F32
}

/// Runs `update(weights, gradient)` on the storage of an f32 CPU variable, in place.
fn update_in_place(
	var: &Var,
	grad: &Tensor,
	name: &'static str,
	update: impl FnMut(&mut [f32], &[f32]),
) -> Result<()> {
	// The gradient may be a strided view; the fused loop reads it contiguously.
	let op = InPlace { name, update: RefCell::new(update) };
	var.as_tensor().inplace_op2(&grad.contiguous()?, &op)
}

/// candle's in-place hook for [`update_in_place`].
struct InPlace<F> {
	name: &'static str,
	update: RefCell<F>,
}

impl<F: FnMut(&mut [f32], &[f32])> candle_core::InplaceOp2 for InPlace<F> {
	fn name(&self) -> &'static str {
		self.name
	}

	fn cpu_fwd(
		&self,
		weights: &mut CpuStorage,
		weights_layout: &Layout,
		grad: &CpuStorage,
		grad_layout: &Layout,
	) -> Result<()> {
		let name = self.name;
		let (CpuStorage::F32(weights), CpuStorage::F32(grad)) = (weights, grad) else {
			candle_core::bail!("{name}: f32 storage expected");
		};
		let (Some((w_start, w_end)), Some((g_start, g_end))) =
			(weights_layout.contiguous_offsets(), grad_layout.contiguous_offsets())
		else {
			candle_core::bail!("{name}: contiguous tensors expected");
		};
		let (weights, grad) = (&mut weights[w_start..w_end], &grad[g_start..g_end]);
		if weights.len() != grad.len() {
			candle_core::bail!("{name}: {} weights, {} gradients", weights.len(), grad.len());
		}
		(self.update.borrow_mut())(weights, grad);
		Ok(())
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use candle_core::Device;

	/// Runs `steps` steps on loss = Σ w²/2 (gradient = w) from w = 1, -2, in `dtype`
	/// (f32 takes the fused in-place path, f64 the tensor expressions).
	fn run(params: ParamsSgd, steps: usize, dtype: DType) -> Vec<f64> {
		let w = Var::from_tensor(
			&Tensor::new(&[1f64, -2.0], &Device::Cpu).unwrap().to_dtype(dtype).unwrap(),
		)
		.unwrap();
		let mut sgd = SgdMomentum::new(vec![w.clone()], params).unwrap();
		for _ in 0..steps {
			let loss = (w.as_tensor().sqr().unwrap() * 0.5).unwrap().sum_all().unwrap();
			sgd.backward_step(&loss).unwrap();
		}
		w.as_tensor().to_dtype(DType::F64).unwrap().to_vec1().unwrap()
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
	fn adamw_matches_candle_nn_step_for_step() {
		let params = ParamsAdamW { lr: 0.05, weight_decay: 0.1, ..Default::default() };
		for dtype in [DType::F32, DType::F64] {
			let start =
				Tensor::new(&[1f64, -2.0, 0.5], &Device::Cpu).unwrap().to_dtype(dtype).unwrap();
			let (ours, theirs) =
				(Var::from_tensor(&start).unwrap(), Var::from_tensor(&start).unwrap());
			let mut a = AdamW::new(vec![ours.clone()], params.clone()).unwrap();
			let mut b = candle_nn::AdamW::new(vec![theirs.clone()], params.clone()).unwrap();
			for _ in 0..7 {
				// loss = Σ w⁴/4 + w, so the gradient w³ + 1 changes with every step.
				let loss = |w: &Var| {
					(w.as_tensor().powf(4.0).unwrap() * 0.25)
						.unwrap()
						.add(w.as_tensor())
						.unwrap()
						.sum_all()
						.unwrap()
				};
				a.backward_step(&loss(&ours)).unwrap();
				b.backward_step(&loss(&theirs)).unwrap();
			}
			let values =
				|w: &Var| w.as_tensor().to_dtype(DType::F64).unwrap().to_vec1::<f64>().unwrap();
			for (x, y) in values(&ours).iter().zip(values(&theirs)) {
				assert!((x - y).abs() < 1e-6, "{dtype:?}: {x} vs {y}");
			}
			assert_ne!(values(&ours), values(&Var::from_tensor(&start).unwrap()));
		}
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
			for dtype in [DType::F32, DType::F64] {
				let got = run(params.clone(), 7, dtype);
				for (got, w0) in got.iter().zip([1.0, -2.0]) {
					let want = expected(&params, w0, 7);
					assert!((got - want).abs() < 1e-6, "{params:?} {dtype:?}: {got} vs {want}");
				}
			}
		}
	}
}
