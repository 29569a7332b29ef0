//! Participant-side federated learning: from a global canonical model and local data
//! to a new canonical update.
//!
//! A round, seen from one participant: load the global [`Update`] into a fresh candle
//! model (its schema hash and length are checked first), train locally with
//! [`crate::train::train`], quantize the result and stamp it with the number of local
//! samples — FedAvg's weight. The evaluators then combine these updates with the
//! integer rules of `din_fl`; nothing here aggregates.
//!
//! What an attacker sends instead lives in [`crate::poisoning`].

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
