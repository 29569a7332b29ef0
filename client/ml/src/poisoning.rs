//! Poisoning participants, for exercising the defences in tests, benchmarks and demos (the
//! participant daemon's hidden `--attack` flag): what an attacker sends instead of its
//! honest local model (model poisoning), or trains on instead of its own labels (data
//! poisoning). Every attack is a function of what the attackers see: the global model
//! they trained from, their own data and their honest local models. The colluding attacks
//! ([`Poisoning::ALittleIsEnough`], [`Poisoning::InnerProduct`]) pool the honest models of
//! every attacker, and only those: participants withhold their updates until Training
//! closes, so no one sees an honest participant's update before sending its own.

use candle_core::Device;
use din_fl::{encoding::SCALE, ModelSpec, Update};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Normal};

use crate::data::Dataset;
use crate::error::{MlError, Result};
use crate::model::Model;

/// One poisoning attack.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Poisoning {
	/// `global − factor · (local − global)`: the honest step reversed and scaled.
	SignFlip { factor: i64 },
	/// Model replacement (Bagdasaryan et al. 2020): `global + boost · (target − global)`,
	/// the target an untrained model seeded `target_seed`, boosted so that a minority
	/// moves a mean past it.
	Replacement { boost: i64, target_seed: u64 },
	/// The honest local model plus independent Gaussian noise of standard deviation
	/// `sigma` (in model units: 1.0 is one fixed-point unit of 2^16) on every value, drawn
	/// afresh each round from `seed`.
	GaussianNoise { sigma: f64, seed: u64 },
	/// Label flipping: trains on its own samples labelled `classes − 1 − label`, then sends
	/// what it trained, as an honest participant would.
	LabelFlip,
	/// "A little is enough" (Baruch, Baruch and Goldberg 2019): every attacker sends the
	/// mean of the attackers' honest models minus `z` of their standard deviations, value
	/// by value: inside the honest spread, so that coordinate-wise and distance-based rules
	/// keep it, and every attacker pulls the same way. One attacker alone has no spread
	/// and sends its honest model.
	ALittleIsEnough { z: f64 },
	/// Inner-product manipulation (Xie, Koyejo and Gupta 2020): every attacker sends
	/// `global − epsilon · mean step`, the attackers' mean honest step reversed and scaled,
	/// so that the aggregate's inner product with the true step shrinks or turns negative.
	/// A small `epsilon` stays close to the honest models (aimed at Krum and median).
	InnerProduct { epsilon: f64 },
}

impl Poisoning {
	/// The data the attacker trains on in place of `data`.
	pub fn training_data(&self, data: &Dataset) -> Result<Dataset> {
		match self {
			Self::LabelFlip => {
				let top = data.num_classes() as u32 - 1;
				let flipped = data.labels().iter().map(|label| top - label).collect();
				Dataset::new(
					data.features().to_vec(),
					flipped,
					data.num_features(),
					data.num_classes(),
				)
			},
			_ => Ok(data.clone()),
		}
	}

	/// What the attacker sends in `round`, given the `global` model it trained from, its
	/// honest `local` model (trained on [`Self::training_data`]) and the honest models of
	/// every attacker (`colluders`, its own among them; a lone attacker passes its own);
	/// the sample count and the author are `local`'s.
	pub fn poison(
		&self,
		spec: &ModelSpec,
		global: &Update,
		local: Update,
		colluders: &[Update],
		round: u64,
	) -> Result<Update> {
		match *self {
			Self::SignFlip { factor } => Ok(scaled_sign_flip(global, &local, factor)),
			Self::Replacement { boost, target_seed } => {
				let target = Model::new(spec, target_seed, &Device::Cpu)?.to_update(0)?;
				Ok(Update {
					num_samples: local.num_samples,
					author: local.author,
					..scaled_sign_flip(global, &target, -boost)
				})
			},
			Self::GaussianNoise { sigma, seed } => {
				let normal = Normal::new(0.0, sigma * f64::from(SCALE))
					.map_err(|e| MlError::InvalidConfig(format!("noise sigma {sigma}: {e}")))?;
				let mut rng = ChaCha8Rng::seed_from_u64(seed ^ round.wrapping_mul(0x9e37_79b9));
				let values = local
					.values
					.iter()
					.map(|v| {
						let noisy = f64::from(*v) + normal.sample(&mut rng);
						noisy.round().clamp(f64::from(i32::MIN), f64::from(i32::MAX)) as i32
					})
					.collect();
				Ok(Update { values, ..local })
			},
			Self::LabelFlip => Ok(local),
			Self::ALittleIsEnough { z } => {
				let values = per_value(colluders, local.values.len(), |_, column| {
					let n = column.len() as f64;
					let mean = column.iter().sum::<f64>() / n;
					let variance = column.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n;
					mean - z * variance.sqrt()
				})?;
				Ok(Update { values, ..local })
			},
			Self::InnerProduct { epsilon } => {
				let values = per_value(colluders, global.values.len(), |index, column| {
					let g = f64::from(global.values[index]);
					let mean_step = column.iter().sum::<f64>() / column.len() as f64 - g;
					g - epsilon * mean_step
				})?;
				Ok(Update { values, ..local })
			},
		}
	}
}

/// `f(index, column)` of each value's column across `models` (all of `len` values),
/// rounded and saturated to the canonical i32.
fn per_value(models: &[Update], len: usize, f: impl Fn(usize, &[f64]) -> f64) -> Result<Vec<i32>> {
	if models.is_empty() || models.iter().any(|m| m.values.len() != len) {
		return Err(MlError::InvalidConfig(format!(
			"colluding attack: {} colluder model(s), not all of {len} values",
			models.len()
		)));
	}
	let mut column = vec![0.0; models.len()];
	Ok((0..len)
		.map(|i| {
			for (slot, model) in column.iter_mut().zip(models) {
				*slot = f64::from(model.values[i]);
			}
			f(i, &column).round().clamp(f64::from(i32::MIN), f64::from(i32::MAX)) as i32
		})
		.collect())
}

impl std::str::FromStr for Poisoning {
	type Err = String;

	/// `sign-flip:FACTOR`, `replace:BOOST` (target seed 99), `gaussian:SIGMA` (seed 0),
	/// `label-flip`, `alie:Z` or `ipm:EPSILON`.
	fn from_str(s: &str) -> std::result::Result<Self, String> {
		let (name, argument) = s.split_once(':').unwrap_or((s, ""));
		let bad = || {
			format!(
				"`{s}`: expected sign-flip:FACTOR, replace:BOOST, gaussian:SIGMA, label-flip, \
				 alie:Z or ipm:EPSILON"
			)
		};
		match name {
			"sign-flip" => {
				argument.parse().map(|factor| Self::SignFlip { factor }).map_err(|_| bad())
			},
			"replace" => argument
				.parse()
				.map(|boost| Self::Replacement { boost, target_seed: 99 })
				.map_err(|_| bad()),
			"gaussian" => match argument.parse::<f64>() {
				Ok(sigma) if sigma.is_finite() && sigma > 0.0 => {
					Ok(Self::GaussianNoise { sigma, seed: 0 })
				},
				_ => Err(bad()),
			},
			"label-flip" if argument.is_empty() => Ok(Self::LabelFlip),
			"alie" => match argument.parse::<f64>() {
				Ok(z) if z.is_finite() && z >= 0.0 => Ok(Self::ALittleIsEnough { z }),
				_ => Err(bad()),
			},
			"ipm" => match argument.parse::<f64>() {
				Ok(epsilon) if epsilon.is_finite() && epsilon > 0.0 => {
					Ok(Self::InnerProduct { epsilon })
				},
				_ => Err(bad()),
			},
			_ => Err(bad()),
		}
	}
}

/// The poisoned model `global − factor · (local − global)` (saturating, per value),
/// keeping `local`'s sample count and author: an attacker that reverses its honest step
/// and scales it by `factor`.
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

	fn unauthored(num_samples: u64, values: Vec<i32>) -> Update {
		Update { schema_hash: [1; 32], author: din_fl::NO_AUTHOR, num_samples, values }
	}

	#[test]
	fn sign_flip_reverses_and_scales_the_step() {
		let global = unauthored(0, vec![100, -5, i32::MAX]);
		let local = Update { author: [9; 32], ..unauthored(9, vec![110, -7, 0]) };
		let flipped = scaled_sign_flip(&global, &local, 10);
		assert_eq!(flipped.values, vec![0, 15, i32::MAX]);
		assert_eq!(flipped.num_samples, 9);
		assert_eq!(flipped.author, [9; 32], "still the local update's author");
	}

	#[test]
	fn every_attack_parses_from_its_flag_and_nonsense_is_refused() {
		let parsed = |s: &str| s.parse::<Poisoning>();
		assert_eq!(parsed("sign-flip:10"), Ok(Poisoning::SignFlip { factor: 10 }));
		assert_eq!(parsed("replace:4"), Ok(Poisoning::Replacement { boost: 4, target_seed: 99 }));
		assert_eq!(parsed("gaussian:0.5"), Ok(Poisoning::GaussianNoise { sigma: 0.5, seed: 0 }));
		assert_eq!(parsed("label-flip"), Ok(Poisoning::LabelFlip));
		assert_eq!(parsed("alie:1.5"), Ok(Poisoning::ALittleIsEnough { z: 1.5 }));
		assert_eq!(parsed("ipm:0.1"), Ok(Poisoning::InnerProduct { epsilon: 0.1 }));
		for nonsense in [
			"sign-flip",
			"gaussian:-1",
			"gaussian:nan",
			"label-flip:2",
			"boost:3",
			"alie",
			"alie:-1",
			"ipm:0",
			"ipm:inf",
			"",
		] {
			assert!(parsed(nonsense).is_err(), "{nonsense} parsed");
		}
	}

	#[test]
	fn label_flip_mirrors_the_labels_and_keeps_the_samples() {
		let data = Dataset::new(vec![0.0, 1.0, 2.0], vec![0, 1, 2], 1, 3).unwrap();
		let flipped = Poisoning::LabelFlip.training_data(&data).unwrap();
		assert_eq!(flipped.labels(), &[2, 1, 0]);
		assert_eq!(flipped.features(), data.features());
		let same = Poisoning::SignFlip { factor: 1 }.training_data(&data).unwrap();
		assert_eq!(same.labels(), data.labels());
	}

	#[test]
	fn gaussian_noise_has_its_sigma_and_changes_with_the_round() {
		let spec = ModelSpec::SoftmaxRegression { inputs: 100, classes: 100 };
		let n = 100 * 100 + 100;
		let local = unauthored(5, vec![0; n]);
		let attack = Poisoning::GaussianNoise { sigma: 0.5, seed: 3 };
		let noisy = attack.poison(&spec, &local, local.clone(), &[], 0).unwrap();
		let variance = noisy.values.iter().map(|v| (f64::from(*v)).powi(2)).sum::<f64>() / n as f64;
		let sigma = variance.sqrt() / f64::from(SCALE);
		assert!((sigma - 0.5).abs() < 0.02, "sigma {sigma}");
		assert_eq!(noisy.num_samples, 5);
		let next_round = attack.poison(&spec, &local, local.clone(), &[], 1).unwrap();
		assert_ne!(noisy.values, next_round.values);
		assert_eq!(attack.poison(&spec, &local, local.clone(), &[], 0).unwrap(), noisy, "seeded");
	}

	#[test]
	fn replacement_lands_the_mean_of_a_minority_past_its_target() {
		let spec = ModelSpec::SoftmaxRegression { inputs: 4, classes: 3 };
		let global = Model::new(&spec, 7, &Device::Cpu).unwrap().to_update(0).unwrap();
		let target = Model::new(&spec, 99, &Device::Cpu).unwrap().to_update(0).unwrap();
		let local = Update { num_samples: 8, ..global.clone() };
		let attack = Poisoning::Replacement { boost: 4, target_seed: 99 };
		let sent = attack.poison(&spec, &global, local, &[], 0).unwrap();
		assert_eq!(sent.num_samples, 8);
		for ((g, t), s) in global.values.iter().zip(&target.values).zip(&sent.values) {
			assert_eq!(i64::from(*s), i64::from(*g) + 4 * (i64::from(*t) - i64::from(*g)));
		}
	}

	#[test]
	fn a_little_is_enough_sends_the_colluders_mean_less_z_deviations() {
		let spec = ModelSpec::SoftmaxRegression { inputs: 1, classes: 1 };
		let global = unauthored(0, vec![0, 0]);
		let colluders =
			[unauthored(3, vec![10, -4]), unauthored(5, vec![20, -4]), unauthored(1, vec![30, -4])];
		let attack = Poisoning::ALittleIsEnough { z: 1.5 };
		let sent = attack.poison(&spec, &global, colluders[1].clone(), &colluders, 0).unwrap();
		// mean 20, population deviation √(200/3) ≈ 8.165: 20 − 1.5 · 8.165 = 7.75 → 8.
		assert_eq!(sent.values, vec![8, -4]);
		assert_eq!(sent.num_samples, 5, "the sender's own sample count");
		let alone = attack.poison(&spec, &global, colluders[0].clone(), &colluders[..1], 0);
		assert_eq!(alone.unwrap().values, colluders[0].values, "no spread alone");
	}

	#[test]
	fn inner_product_manipulation_reverses_the_colluders_mean_step() {
		let spec = ModelSpec::SoftmaxRegression { inputs: 1, classes: 1 };
		let global = unauthored(0, vec![100, -50]);
		let colluders = [unauthored(2, vec![110, -50]), unauthored(2, vec![130, -70])];
		let attack = Poisoning::InnerProduct { epsilon: 0.5 };
		let sent = attack.poison(&spec, &global, colluders[0].clone(), &colluders, 0).unwrap();
		// mean steps +20 and −10: 100 − 0.5 · 20 = 90, −50 + 0.5 · 10 = −45.
		assert_eq!(sent.values, vec![90, -45]);
		let mismatched = [unauthored(2, vec![1])];
		assert!(attack.poison(&spec, &global, colluders[0].clone(), &mismatched, 0).is_err());
	}
}
