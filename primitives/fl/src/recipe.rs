//! A task's training recipe: how the owner advises participants to train its model.
//!
//! Local training is private, so the chain cannot enforce how anyone trains; but a model
//! owner knows which optimizer, learning rate and schedule suit its model, and a participant
//! running a generic daemon should not have to find out. The recipe travels in the task's
//! model spec ([`crate::spec::TaskModel`], so its hash covers it), and the participant
//! daemon trains with it wherever its operator set no flag of its own.
//!
//! The learning rate of round `r` (0-based) is `learning_rate · decay^r`: a per-round
//! exponential decay, the schedule federated averaging is usually run with, since later
//! rounds start closer to the optimum.

/// Most local epochs a recipe may ask for in one round.
pub const MAX_EPOCHS: u16 = 100;
/// Largest mini-batch a recipe may ask for.
pub const MAX_BATCH_SIZE: u16 = 4096;
/// Largest learning rate and FedProx μ a recipe may ask for.
pub const MAX_RATE: f32 = 100.0;
/// Bytes of a recipe in the canonical spec bytes.
pub const ENCODED_LEN: usize = 1 + 4 + 4 + 2 + 2 + 4;

/// The local optimizer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Optimizer {
	/// SGD with momentum 0.9.
	SgdMomentum,
	/// AdamW with its usual betas and weight decay.
	AdamW,
}

/// How participants are advised to train (module docs).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TrainingRecipe {
	/// The local optimizer.
	pub optimizer: Optimizer,
	/// Learning rate of round 0.
	pub learning_rate: f32,
	/// Factor applied to the learning rate after each round, in `(0, 1]`.
	pub decay: f32,
	/// Passes over the local data per round, `1..=MAX_EPOCHS`.
	pub epochs: u16,
	/// Samples per gradient step, `1..=MAX_BATCH_SIZE`.
	pub batch_size: u16,
	/// FedProx μ (the proximal term `μ/2 ‖w − global‖²`); 0 trains without it.
	pub fedprox_mu: f32,
}

/// Why a recipe is invalid.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RecipeError {
	/// The optimizer byte names no optimizer.
	UnknownOptimizer { found: u8 },
	/// A rate, the decay, the epochs or the batch size is outside its range.
	OutOfRange,
}

impl core::fmt::Display for RecipeError {
	fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
		match self {
			Self::UnknownOptimizer { found } => write!(f, "unknown optimizer {found}"),
			Self::OutOfRange => write!(
				f,
				"a training recipe needs a learning rate in (0, {MAX_RATE}], a decay in (0, 1], \
				 1 to {MAX_EPOCHS} epochs, batches of 1 to {MAX_BATCH_SIZE} and a FedProx mu in \
				 [0, {MAX_RATE}]"
			),
		}
	}
}

impl TrainingRecipe {
	/// Checks the ranges of the fields' docs.
	pub fn validate(&self) -> Result<(), RecipeError> {
		let rate = |r: f32| r.is_finite() && r > 0.0 && r <= MAX_RATE;
		let in_range = rate(self.learning_rate)
			&& self.decay.is_finite()
			&& self.decay > 0.0
			&& self.decay <= 1.0
			&& (1..=MAX_EPOCHS).contains(&self.epochs)
			&& (1..=MAX_BATCH_SIZE).contains(&self.batch_size)
			&& (self.fedprox_mu == 0.0 || rate(self.fedprox_mu));
		if in_range {
			Ok(())
		} else {
			Err(RecipeError::OutOfRange)
		}
	}

	/// The learning rate of round `round` (0-based): `learning_rate · decay^round`.
	pub fn learning_rate_at(&self, round: u32) -> f64 {
		let mut rate = f64::from(self.learning_rate);
		// Repeated multiplication, not powf: no_std has no libm, and rounds are few.
		for _ in 0..round.min(10_000) {
			rate *= f64::from(self.decay);
		}
		rate
	}

	/// Appends the canonical bytes: optimizer u8, learning rate f32, decay f32, epochs u16,
	/// batch size u16, FedProx μ f32 (little-endian, `f32` as bit patterns).
	pub(crate) fn write(&self, out: &mut alloc::vec::Vec<u8>) {
		out.push(match self.optimizer {
			Optimizer::SgdMomentum => 0,
			Optimizer::AdamW => 1,
		});
		out.extend_from_slice(&self.learning_rate.to_bits().to_le_bytes());
		out.extend_from_slice(&self.decay.to_bits().to_le_bytes());
		out.extend_from_slice(&self.epochs.to_le_bytes());
		out.extend_from_slice(&self.batch_size.to_le_bytes());
		out.extend_from_slice(&self.fedprox_mu.to_bits().to_le_bytes());
	}

	/// Reads what [`Self::write`] wrote from exactly [`ENCODED_LEN`] bytes.
	pub(crate) fn read(bytes: &[u8; ENCODED_LEN]) -> Result<Self, RecipeError> {
		let f32_at = |at: usize| {
			f32::from_bits(u32::from_le_bytes([
				bytes[at],
				bytes[at + 1],
				bytes[at + 2],
				bytes[at + 3],
			]))
		};
		let u16_at = |at: usize| u16::from_le_bytes([bytes[at], bytes[at + 1]]);
		let optimizer = match bytes[0] {
			0 => Optimizer::SgdMomentum,
			1 => Optimizer::AdamW,
			found => return Err(RecipeError::UnknownOptimizer { found }),
		};
		Ok(Self {
			optimizer,
			learning_rate: f32_at(1),
			decay: f32_at(5),
			epochs: u16_at(9),
			batch_size: u16_at(11),
			fedprox_mu: f32_at(13),
		})
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	fn recipe() -> TrainingRecipe {
		TrainingRecipe {
			optimizer: Optimizer::AdamW,
			learning_rate: 0.01,
			decay: 0.5,
			epochs: 3,
			batch_size: 32,
			fedprox_mu: 0.0,
		}
	}

	#[test]
	fn the_learning_rate_decays_per_round() {
		let recipe = recipe();
		assert_eq!(recipe.learning_rate_at(0), f64::from(0.01f32));
		assert_eq!(recipe.learning_rate_at(2), f64::from(0.01f32) * 0.25);
		assert_eq!(
			TrainingRecipe { decay: 1.0, ..recipe }.learning_rate_at(50),
			f64::from(0.01f32)
		);
	}

	#[test]
	fn a_recipe_outside_its_ranges_is_refused() {
		assert_eq!(recipe().validate(), Ok(()));
		for broken in [
			TrainingRecipe { learning_rate: 0.0, ..recipe() },
			TrainingRecipe { learning_rate: f32::NAN, ..recipe() },
			TrainingRecipe { decay: 1.5, ..recipe() },
			TrainingRecipe { decay: 0.0, ..recipe() },
			TrainingRecipe { epochs: 0, ..recipe() },
			TrainingRecipe { epochs: MAX_EPOCHS + 1, ..recipe() },
			TrainingRecipe { batch_size: 0, ..recipe() },
			TrainingRecipe { fedprox_mu: -1.0, ..recipe() },
			TrainingRecipe { fedprox_mu: f32::INFINITY, ..recipe() },
		] {
			assert_eq!(broken.validate(), Err(RecipeError::OutOfRange), "{broken:?}");
		}
		let mut bytes = alloc::vec::Vec::new();
		recipe().write(&mut bytes);
		let mut bytes: [u8; ENCODED_LEN] = bytes.try_into().unwrap();
		assert_eq!(TrainingRecipe::read(&bytes), Ok(recipe()));
		bytes[0] = 7;
		assert_eq!(TrainingRecipe::read(&bytes), Err(RecipeError::UnknownOptimizer { found: 7 }));
	}
}
