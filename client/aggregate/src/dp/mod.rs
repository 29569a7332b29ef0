//! Participant-side differential privacy: the Gaussian mechanism on
//! model updates, and an RDP accountant for the privacy it spends over rounds.
//!
//! ## Mechanism
//!
//! A participant holding the round's global model `g` and its locally trained model `u`
//! publishes `g + clip(u − g) + N(0, (σ·C)²·I)` instead of `u`, where
//!
//! - `Δ = u − g` is the update delta in real units (fixed-point values / 2^16),
//! - `clip(Δ) = Δ · min(1, C / ‖Δ‖₂)` bounds each participant's L2 contribution by the
//!   clip norm `C` (the sensitivity of the sum of deltas),
//! - `σ` is the noise multiplier: the noise standard deviation is `σ·C` per coordinate,
//! - the result is quantized back to the canonical encoding (which is post-processing,
//!   so it costs no privacy).
//!
//! Noise comes from a caller-supplied RNG; [`GaussianMechanism::privatize_seeded`] uses
//! ChaCha20 from a seed so a run is reproducible. This protects a participant's update
//! as a whole (participant-level DP, as in DP-FedAvg), and the accountant in
//! [`accountant`] turns `σ`, the participation rate and the number of rounds into
//! `(ε, δ)`.
//!
//! Aggregation rules and evaluation stay integer and deterministic (`din-fl`); only this
//! participant-side step uses floating point and randomness, which is why it lives in the
//! client rather than in the `no_std` core.

pub mod accountant;

use alloc::vec::Vec;
use core::fmt;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha20Rng;
use rand_distr::{Distribution, Normal};

use din_fl::encoding::{quantize_f64, EncodingError, Update, SCALE};

/// Why a mechanism cannot be built or applied, or an accountant cannot answer.
#[derive(Clone, Debug, PartialEq)]
pub enum DpError {
	/// The clip norm must be finite and positive.
	InvalidClipNorm { clip_norm: f64 },
	/// The noise multiplier must be finite and non-negative (positive for accounting).
	InvalidNoiseMultiplier { noise_multiplier: f64 },
	/// The sampling rate must lie in `[0, 1]`.
	InvalidSamplingRate { sampling_rate: f64 },
	/// δ must lie in `(0, 1)`.
	InvalidDelta { delta: f64 },
	/// RDP orders must be finite and greater than 1, and there must be at least one.
	InvalidOrders,
	/// The update and the global model differ in schema hash or length.
	Shape(EncodingError),
}

impl fmt::Display for DpError {
	fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
		match self {
			Self::InvalidClipNorm { clip_norm } => {
				write!(f, "clip norm must be finite and positive, got {clip_norm}")
			},
			Self::InvalidNoiseMultiplier { noise_multiplier } => {
				write!(f, "invalid noise multiplier {noise_multiplier}")
			},
			Self::InvalidSamplingRate { sampling_rate } => {
				write!(f, "sampling rate must lie in [0, 1], got {sampling_rate}")
			},
			Self::InvalidDelta { delta } => write!(f, "delta must lie in (0, 1), got {delta}"),
			Self::InvalidOrders => write!(f, "RDP orders must be finite and above 1"),
			Self::Shape(error) => write!(f, "update does not match the global model: {error}"),
		}
	}
}

impl std::error::Error for DpError {}

/// L2 clipping of the update delta plus Gaussian noise (module docs).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct GaussianMechanism {
	/// `C`: bound on the L2 norm of a delta, in real (dequantized) units.
	clip_norm: f64,
	/// `σ`: noise standard deviation in units of `C`.
	noise_multiplier: f64,
}

/// A privatized update and what clipping did to it.
#[derive(Clone, Debug, PartialEq)]
pub struct Privatized {
	/// `g + clip(u − g) + noise`, quantized.
	pub update: Update,
	/// `‖u − g‖₂` before clipping, in real units.
	pub delta_norm: f64,
	/// Whether the delta was scaled down.
	pub clipped: bool,
}

impl GaussianMechanism {
	/// A mechanism with clip norm `C > 0` and noise multiplier `σ ≥ 0`.
	pub fn new(clip_norm: f64, noise_multiplier: f64) -> Result<Self, DpError> {
		if !(clip_norm.is_finite() && clip_norm > 0.0) {
			return Err(DpError::InvalidClipNorm { clip_norm });
		}
		if !(noise_multiplier.is_finite() && noise_multiplier >= 0.0) {
			return Err(DpError::InvalidNoiseMultiplier { noise_multiplier });
		}
		Ok(Self { clip_norm, noise_multiplier })
	}

	/// `C`.
	pub fn clip_norm(&self) -> f64 {
		self.clip_norm
	}

	/// `σ`.
	pub fn noise_multiplier(&self) -> f64 {
		self.noise_multiplier
	}

	/// Per-coordinate noise standard deviation `σ·C`, in real units.
	pub fn noise_std(&self) -> f64 {
		self.noise_multiplier * self.clip_norm
	}

	/// Clips `update − global` to the clip norm, adds noise from `rng` and re-quantizes
	/// onto `global`. The output keeps `update`'s schema hash and sample count.
	pub fn privatize<R: Rng + ?Sized>(
		&self,
		update: &Update,
		global: &Update,
		rng: &mut R,
	) -> Result<Privatized, DpError> {
		update
			.check_shape(&global.schema_hash, global.values.len())
			.map_err(DpError::Shape)?;
		let mut delta = delta(update, global);
		let delta_norm = clip_l2(&mut delta, self.clip_norm);
		let noise = Normal::new(0.0, self.noise_std()).map_err(|_| {
			DpError::InvalidNoiseMultiplier { noise_multiplier: self.noise_multiplier }
		})?;
		let scale = f64::from(SCALE);
		let values = global
			.values
			.iter()
			.zip(&delta)
			.enumerate()
			.map(|(index, (base, change))| {
				let noisy = f64::from(*base) / scale + change + noise.sample(rng);
				quantize_f64(noisy)
					.map_err(|_| DpError::Shape(EncodingError::NonFiniteValue { index }))
			})
			.collect::<Result<Vec<_>, _>>()?;
		Ok(Privatized {
			update: Update {
				schema_hash: update.schema_hash,
				author: update.author,
				num_samples: update.num_samples,
				values,
			},
			delta_norm,
			clipped: delta_norm > self.clip_norm,
		})
	}

	/// [`Self::privatize`] with ChaCha20 seeded from `seed` (reproducible noise).
	pub fn privatize_seeded(
		&self,
		update: &Update,
		global: &Update,
		seed: u64,
	) -> Result<Privatized, DpError> {
		self.privatize(update, global, &mut ChaCha20Rng::seed_from_u64(seed))
	}
}

/// `update − global` in real units (exact: both are multiples of 2^-16 below 2^16).
pub fn delta(update: &Update, global: &Update) -> Vec<f64> {
	let scale = f64::from(SCALE);
	update
		.values
		.iter()
		.zip(&global.values)
		.map(|(new, old)| (i64::from(*new) - i64::from(*old)) as f64 / scale)
		.collect()
}

/// `‖v‖₂`.
pub fn l2_norm(values: &[f64]) -> f64 {
	values.iter().map(|v| v * v).sum::<f64>().sqrt()
}

/// Scales `values` down so that `‖values‖₂ ≤ clip_norm` (unchanged when already
/// inside); returns the norm before clipping.
pub fn clip_l2(values: &mut [f64], clip_norm: f64) -> f64 {
	let norm = l2_norm(values);
	if norm > clip_norm {
		let factor = clip_norm / norm;
		for value in values.iter_mut() {
			*value *= factor;
		}
	}
	norm
}

#[cfg(test)]
mod tests {
	use super::*;
	use alloc::vec;

	const ONE: i32 = 1 << 16;

	fn update(values: Vec<i32>) -> Update {
		Update { schema_hash: [3; 32], author: din_fl::NO_AUTHOR, num_samples: 10, values }
	}

	#[test]
	fn clipping_scales_to_the_clip_norm() {
		let mut v = vec![3.0, 4.0];
		assert_eq!(clip_l2(&mut v, 10.0), 5.0);
		assert_eq!(v, vec![3.0, 4.0]);
		assert_eq!(clip_l2(&mut v, 1.0), 5.0);
		assert!((v[0] - 0.6).abs() < 1e-12 && (v[1] - 0.8).abs() < 1e-12);
	}

	#[test]
	fn zero_noise_only_clips_the_delta() {
		let global = update(vec![ONE, -ONE, 0]);
		let local = update(vec![ONE + 3 * ONE, -ONE + 4 * ONE, 0]);
		let mechanism = GaussianMechanism::new(1.0, 0.0).unwrap();
		let out = mechanism.privatize_seeded(&local, &global, 1).unwrap();
		assert_eq!(out.delta_norm, 5.0);
		assert!(out.clipped);
		// Δ = (3, 4, 0) → (0.6, 0.8, 0).
		assert_eq!(
			out.update.values,
			vec![ONE + quantize_f64(0.6).unwrap(), -ONE + quantize_f64(0.8).unwrap(), 0]
		);
		assert_eq!(out.update.num_samples, 10);
		let loose = GaussianMechanism::new(100.0, 0.0).unwrap();
		assert_eq!(loose.privatize_seeded(&local, &global, 1).unwrap().update, local);
	}

	#[test]
	fn noise_has_the_configured_spread_and_is_seeded() {
		let global = update(vec![0; 20_000]);
		let mechanism = GaussianMechanism::new(0.5, 2.0).unwrap();
		let first = mechanism.privatize_seeded(&global, &global, 42).unwrap().update;
		assert_eq!(first, mechanism.privatize_seeded(&global, &global, 42).unwrap().update);
		assert_ne!(first, mechanism.privatize_seeded(&global, &global, 43).unwrap().update);
		let real = din_fl::encoding::dequantize_all(&first.values);
		let n = real.len() as f64;
		let mean = real.iter().map(|v| f64::from(*v)).sum::<f64>() / n;
		let std = (real.iter().map(|v| (f64::from(*v) - mean).powi(2)).sum::<f64>() / n).sqrt();
		// σ·C = 1.0; the sample std of 20 000 draws is within a few percent.
		assert!(mean.abs() < 0.05, "mean {mean}");
		assert!((std - 1.0).abs() < 0.03, "std {std}");
	}

	#[test]
	fn invalid_parameters_and_shapes_are_named() {
		assert_eq!(
			GaussianMechanism::new(0.0, 1.0),
			Err(DpError::InvalidClipNorm { clip_norm: 0.0 })
		);
		assert!(matches!(
			GaussianMechanism::new(1.0, f64::NAN),
			Err(DpError::InvalidNoiseMultiplier { .. })
		));
		let mechanism = GaussianMechanism::new(1.0, 1.0).unwrap();
		let result = mechanism.privatize_seeded(&update(vec![0; 2]), &update(vec![0; 3]), 0);
		assert!(matches!(result, Err(DpError::Shape(EncodingError::ValueCountMismatch { .. }))));
	}
}
