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
use din_fl::rules::{as_refs, Aggregator};
use din_fl::{AggregationRule, ModelSpec, Update};

use crate::data::Dataset;
use crate::error::Result;
use crate::model::Model;
use crate::poisoning::Poisoning;
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

/// A whole federated run simulated in one process, for tests and the robustness matrix
/// (`examples/poisoning_matrix.rs`): from the global model seeded `init`, each of `rounds`
/// rounds has participant `p` train on `parts[p]` with `config(round, p)`, the first
/// `attackers` send what `attack` makes of theirs (and of each other's) instead, and `rule`
/// aggregates every update into the next global model. Returns the last one. The protocol
/// runs the same steps across processes; what it adds (subgroups, commitments, votes)
/// changes no value.
#[allow(clippy::too_many_arguments)] // Each is one axis of the experiment.
pub fn simulate(
	spec: &ModelSpec,
	init: u64,
	parts: &[Dataset],
	rounds: usize,
	config: impl Fn(usize, usize) -> TrainConfig,
	rule: &AggregationRule,
	attackers: usize,
	attack: Poisoning,
) -> Result<Update> {
	let combine = |updates: &[&Update], _: &Update| Ok(rule.aggregate(updates)?);
	simulate_with(spec, init, parts, rounds, config, combine, attackers, attack, |_, _| {})
}

/// [`simulate`] with any way of making the next global model from a round's updates and
/// the global model they trained from (for experiments with aggregators that are not
/// task rules, such as `examples/clipping_centre.rs`), and `each_round` shown every
/// round's global model as it is made (round `0` is the first).
#[allow(clippy::too_many_arguments)] // Each is one axis of the experiment.
pub fn simulate_with(
	spec: &ModelSpec,
	init: u64,
	parts: &[Dataset],
	rounds: usize,
	config: impl Fn(usize, usize) -> TrainConfig,
	combine: impl Fn(&[&Update], &Update) -> Result<Update>,
	attackers: usize,
	attack: Poisoning,
	mut each_round: impl FnMut(usize, &Update),
) -> Result<Update> {
	let device = Device::Cpu;
	let mut global = Model::new(spec, init, &device)?.to_update(0)?;
	// Attackers train on what the attack gives them (their own data but for label flips).
	let poisoned = parts[..attackers.min(parts.len())]
		.iter()
		.map(|data| attack.training_data(data))
		.collect::<Result<Vec<_>>>()?;
	for round in 0..rounds {
		let mut updates = parts
			.iter()
			.enumerate()
			.map(|(p, data)| {
				let data = poisoned.get(p).unwrap_or(data);
				Ok(local_update(spec, &global, data, &config(round, p), &device)?.update)
			})
			.collect::<Result<Vec<Update>>>()?;
		// The attackers pool their honest models (the colluding attacks use them), then each
		// sends its poisoned one.
		let attackers = attackers.min(updates.len());
		let colluders = updates[..attackers].to_vec();
		for (local, slot) in colluders.iter().zip(&mut updates[..attackers]) {
			*slot = attack.poison(spec, &global, local.clone(), &colluders, round as u64)?;
		}
		global = combine(&as_refs(&updates), &global)?;
		each_round(round, &global);
	}
	Ok(global)
}
