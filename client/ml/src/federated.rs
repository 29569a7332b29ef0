//! Participant-side federated learning: from a global canonical model and local data
//! to a new canonical update.
//!
//! A round, seen from one participant: load the global [`Update`] into a fresh candle
//! model (its schema hash and length are checked first), train locally with
//! [`crate::train::train`], quantize the result and stamp it with the number of local
//! samples — FedAvg's weight. The evaluators then combine these updates with the
//! integer rules of `din_fl`; nothing here aggregates.
//!
//! [`scaled_sign_flip`] builds the classic model-poisoning update (the honest step
//! reversed and amplified) so that demos and tests can exercise robust rules.

use candle_core::Device;
use din_fl::{ModelSpec, Update};

use crate::data::Dataset;
use crate::error::Result;
use crate::model::Model;
use crate::train::{train, TrainConfig, TrainReport};

/// A participant's trained update and what the training did.
#[derive(Clone, Debug)]
pub struct LocalUpdate {
	/// The new local model in canonical form; `num_samples` = local dataset size.
	pub update: Update,
	/// Per-epoch losses.
	pub report: TrainReport,
}

/// Trains the global model on `data` and returns the canonical local model.
pub fn local_update(
	spec: &ModelSpec,
	global: &Update,
	data: &Dataset,
	config: &TrainConfig,
	device: &Device,
) -> Result<LocalUpdate> {
	let model = Model::from_update(spec, global, device)?;
	let report = train(&model, data, config)?;
	Ok(LocalUpdate { update: model.to_update(data.len() as u64)?, report })
}

/// The poisoned model `global − factor · (local − global)` (saturating, per value),
/// keeping `local`'s sample count: an attacker that reverses its honest step and
/// scales it by `factor`.
pub fn scaled_sign_flip(global: &Update, local: &Update, factor: i64) -> Update {
	let values = global
		.values
		.iter()
		.zip(&local.values)
		.map(|(g, l)| {
			let step = i64::from(*l) - i64::from(*g);
			let poisoned = i64::from(*g).saturating_sub(step.saturating_mul(factor));
			poisoned.clamp(i64::from(i32::MIN), i64::from(i32::MAX)) as i32
		})
		.collect();
	Update { values, ..local.clone() }
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn sign_flip_reverses_and_scales_the_step() {
		let unauthored = |num_samples, values| Update {
			schema_hash: [1; 32],
			author: din_fl::NO_AUTHOR,
			num_samples,
			values,
		};
		let global = unauthored(0, vec![100, -5, i32::MAX]);
		let local = Update { author: [9; 32], ..unauthored(9, vec![110, -7, 0]) };
		let flipped = scaled_sign_flip(&global, &local, 10);
		assert_eq!(flipped.values, vec![0, 15, i32::MAX]);
		assert_eq!(flipped.num_samples, 9);
		assert_eq!(flipped.author, [9; 32], "still the local update's author");
	}
}
