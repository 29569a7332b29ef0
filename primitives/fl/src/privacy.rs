//! Differential privacy as a task's policy: what the chain stores of it, the privacy a
//! task spends over its rounds, and the bound an evaluator checks every update against.
//!
//! A task with a [`PrivacyPolicy`] asks each participant to publish, instead of its trained
//! model `u`, `g + clip(u − g) + N(0, (σC)²·I)`: the delta from the model `g` it trained
//! from, clipped to L2 norm `C`, plus Gaussian noise of standard deviation `σC` per
//! coordinate (the participant daemon's `din_aggregate::dp::GaussianMechanism`). The noise
//! is what the store's readers see; the clipping bounds what one participant's data can
//! move.
//!
//! ## What the chain counts
//!
//! One round is one Gaussian mechanism of sensitivity `C` (a participant's data present,
//! or absent and its delta zero: the add/remove adjacency of DP-FedAvg) and noise `σC`, so
//! its Rényi divergence of order `α` is `α / (2σ²)` and `T` rounds compose to
//! `T·α / (2σ²)`. Converted to `(ε, δ)` by `ε = min_α [T·α/(2σ²) + ln(1/δ)/(α − 1)]`
//! (Mironov 2017, Prop. 3), minimised over every real `α > 1`:
//!
//! `ε(T) = T/(2σ²) + √(2·T·ln(1/δ)) / σ`.
//!
//! [`PrivacyPolicy::epsilon_after`] computes this in integers, rounded up, so that the
//! runtime, the off-chain workers and the client agree on it to the thousandth; it is never
//! below the grid search of the client's RDP accountant at the same orders' optimum. A task
//! may not have more rounds than its budget pays for.
//!
//! ## What an evaluator checks
//!
//! Noise hides whether an update was clipped, but not by how much it was not: with
//! probability at least `1 − e^{−t²/2}` a Gaussian vector in `d` dimensions has norm below
//! `σC(√d + t)`, so an honestly privatized delta is within
//! `C + σC(√d + t)` (plus the rounding of `d` canonical values). An update beyond
//! [`PrivacyPolicy::delta_bound`] (with `t` = [`NOISE_TAIL`]: an honest update is over it
//! with probability below 10⁻¹³) was not clipped, or was not privatized as the policy asks,
//! and is rejected as invalid ([`crate::Rejection::OverPrivacyBound`]). The check is in the
//! canonical integer domain, so every evaluator reaches the same verdict.

use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use scale_info::TypeInfo;

use crate::encoding::SCALE;

/// `t` of the delta bound: an honest update's noise exceeds `σC(√d + t)` with probability
/// at most `e^{−t²/2}` (`e^{−32}` ≈ 1.3·10⁻¹⁴).
pub const NOISE_TAIL: u64 = 8;

/// The largest `k` of `δ = 10^−k` a policy may name (a smaller δ buys nothing a task needs).
pub const MAX_DELTA_EXPONENT: u8 = 30;

/// `ln(10)` scaled by 10¹².
const LN_10_E12: u128 = 2_302_585_092_994;

/// A task's differential-privacy policy. Values in thousandths (`clip_norm_milli: 1000` is
/// `C = 1.0` real units of the model's parameters).
#[derive(
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Clone,
	Copy,
	PartialEq,
	Eq,
	Debug,
)]
#[scale_info(replace_segment("din_fl", "din_primitives"))]
pub struct PrivacyPolicy {
	/// The L2 norm `C` an update's delta is clipped to, in thousandths.
	pub clip_norm_milli: u32,
	/// The noise multiplier `σ` (noise standard deviation `σC`), in thousandths.
	pub noise_multiplier_milli: u32,
	/// `k` of `δ = 10^−k`.
	pub delta_exponent: u8,
	/// The total `ε` the task may spend, in thousandths.
	pub epsilon_budget_milli: u32,
}

/// Why a [`PrivacyPolicy`] cannot be a task's.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PolicyError {
	/// `C` must be positive.
	ZeroClipNorm,
	/// `σ` must be positive: without noise there is no privacy to count.
	ZeroNoiseMultiplier,
	/// `k` must be in `1..=MAX_DELTA_EXPONENT`.
	InvalidDeltaExponent,
	/// The task's rounds would spend more than the budget.
	BudgetExceeded,
}

impl PrivacyPolicy {
	/// Check the policy for a task of `rounds` rounds.
	pub fn validate(&self, rounds: u32) -> Result<(), PolicyError> {
		if self.clip_norm_milli == 0 {
			return Err(PolicyError::ZeroClipNorm);
		}
		if self.noise_multiplier_milli == 0 {
			return Err(PolicyError::ZeroNoiseMultiplier);
		}
		if !(1..=MAX_DELTA_EXPONENT).contains(&self.delta_exponent) {
			return Err(PolicyError::InvalidDeltaExponent);
		}
		if self.epsilon_after(rounds) > u64::from(self.epsilon_budget_milli) {
			return Err(PolicyError::BudgetExceeded);
		}
		Ok(())
	}

	/// `ε` spent by `rounds` rounds, in thousandths, rounded up (module docs).
	pub fn epsilon_after(&self, rounds: u32) -> u64 {
		let sigma = u128::from(self.noise_multiplier_milli.max(1));
		let t = u128::from(rounds);
		// T/(2σ²) with σ in thousandths: T·10⁶/(2σ_m²), in thousandths of ε.
		let composed = div_ceil(t * 1_000_000_000, 2 * sigma * sigma);
		// √(2·T·k·ln10)/σ in thousandths of ε: √(2·T·k·ln10·10¹²) / σ_m.
		let radicand = 2 * t * u128::from(self.delta_exponent) * LN_10_E12;
		let conversion = div_ceil(ceil_sqrt(radicand), sigma);
		u64::try_from(composed + conversion).unwrap_or(u64::MAX)
	}

	/// The largest L2 norm of an update's delta, in canonical units (fixed point, scale
	/// 2^16), that a model of `value_count` parameters privatized under this policy reaches
	/// except with negligible probability (module docs).
	pub fn delta_bound(&self, value_count: usize) -> u128 {
		let clip = u128::from(self.clip_norm_milli) * (SCALE as u128) / 1_000 + 1;
		let spread = ceil_sqrt(value_count as u128) + u128::from(NOISE_TAIL);
		// Saturating: an owner's extreme policy must not overflow an evaluator's check.
		let noise = clip
			.saturating_mul(u128::from(self.noise_multiplier_milli))
			.saturating_mul(spread)
			.div_ceil(1_000);
		// Each value is rounded once onto the fixed-point grid: at most half a unit.
		let rounding = ceil_sqrt(value_count as u128) / 2 + 1;
		clip.saturating_add(noise).saturating_add(rounding)
	}

	/// The L2 norm of `values − from`, in canonical units, if it exceeds
	/// [`Self::delta_bound`]: `None` for an update the policy allows. Values of different
	/// length are the shape check's to reject, not this one's.
	pub fn excess(&self, values: &[i32], from: &[i32]) -> Option<(u128, u128)> {
		let bound = self.delta_bound(values.len());
		let squared: u128 = values
			.iter()
			.zip(from)
			.map(|(v, f)| {
				let d = (i64::from(*v) - i64::from(*f)).unsigned_abs() as u128;
				d * d
			})
			.sum();
		(squared > bound.saturating_mul(bound)).then(|| (ceil_sqrt(squared), bound))
	}
}

fn div_ceil(n: u128, d: u128) -> u128 {
	n.div_ceil(d.max(1))
}

/// The least `r` with `r² ≥ n`.
fn ceil_sqrt(n: u128) -> u128 {
	let r = n.isqrt();
	if r * r == n {
		r
	} else {
		r + 1
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	fn policy(sigma_milli: u32, k: u8, budget_milli: u32) -> PrivacyPolicy {
		PrivacyPolicy {
			clip_norm_milli: 1_000,
			noise_multiplier_milli: sigma_milli,
			delta_exponent: k,
			epsilon_budget_milli: budget_milli,
		}
	}

	/// The closed form, in floating point, from the module docs.
	fn epsilon_f64(sigma: f64, rounds: f64, delta: f64) -> f64 {
		rounds / (2.0 * sigma * sigma) + (2.0 * rounds * (1.0 / delta).ln()).sqrt() / sigma
	}

	#[test]
	fn the_integer_epsilon_is_the_closed_form_rounded_up_to_the_thousandth() {
		for (sigma, k, rounds) in [(1_000, 5, 10), (1_100, 5, 1), (500, 6, 30), (4_000, 9, 100)] {
			let exact =
				epsilon_f64(f64::from(sigma) / 1e3, f64::from(rounds), 10f64.powi(-(k as i32)));
			let counted = policy(sigma, k, u32::MAX).epsilon_after(rounds) as f64 / 1e3;
			assert!(counted >= exact, "σ={sigma} k={k} T={rounds}: {counted} < {exact}");
			assert!(counted - exact < 0.003, "σ={sigma} k={k} T={rounds}: {counted} vs {exact}");
		}
	}

	#[test]
	fn the_closed_form_is_the_minimum_over_rdp_orders() {
		// ε(α) = T·α/(2σ²) + ln(1/δ)/(α − 1) at any order is at least the closed form.
		let (sigma, rounds, delta) = (1.3f64, 20.0, 1e-5);
		let best = epsilon_f64(sigma, rounds, delta);
		for tenth in 11..2_000 {
			let alpha = f64::from(tenth) / 10.0;
			let at = rounds * alpha / (2.0 * sigma * sigma) + (1.0 / delta).ln() / (alpha - 1.0);
			assert!(at >= best - 1e-9, "α={alpha}: {at} < {best}");
		}
	}

	#[test]
	fn epsilon_grows_with_rounds_and_shrinks_with_noise() {
		let p = policy(1_000, 5, u32::MAX);
		assert_eq!(p.epsilon_after(0), 0);
		assert!(p.epsilon_after(2) > p.epsilon_after(1));
		assert!(policy(2_000, 5, u32::MAX).epsilon_after(5) < p.epsilon_after(5));
	}

	#[test]
	fn a_policy_names_its_broken_rule() {
		let ok = policy(1_000, 5, 20_000);
		assert_eq!(ok.validate(3), Ok(()));
		assert_eq!(
			PrivacyPolicy { clip_norm_milli: 0, ..ok }.validate(3),
			Err(PolicyError::ZeroClipNorm)
		);
		assert_eq!(
			PrivacyPolicy { noise_multiplier_milli: 0, ..ok }.validate(3),
			Err(PolicyError::ZeroNoiseMultiplier)
		);
		for k in [0, MAX_DELTA_EXPONENT + 1] {
			assert_eq!(
				PrivacyPolicy { delta_exponent: k, ..ok }.validate(3),
				Err(PolicyError::InvalidDeltaExponent)
			);
		}
		let rounds_paid = (1..100).take_while(|r| ok.epsilon_after(*r) <= 20_000).last().unwrap();
		assert_eq!(ok.validate(rounds_paid), Ok(()));
		assert_eq!(ok.validate(rounds_paid + 1), Err(PolicyError::BudgetExceeded));
	}

	#[test]
	fn an_extreme_policy_saturates_instead_of_overflowing_an_evaluators_check() {
		let extreme = PrivacyPolicy {
			clip_norm_milli: u32::MAX,
			noise_multiplier_milli: u32::MAX,
			delta_exponent: MAX_DELTA_EXPONENT,
			epsilon_budget_milli: u32::MAX,
		};
		// Its square is past u128: the comparison saturates instead of wrapping.
		assert!(extreme.delta_bound(1 << 20) > 1 << 64);
		assert_eq!(extreme.excess(&[i32::MAX; 4], &[i32::MIN; 4]), None);
		let tiny = PrivacyPolicy { noise_multiplier_milli: 1, ..extreme };
		assert!(tiny.epsilon_after(u32::MAX) > extreme.epsilon_after(u32::MAX));
	}

	#[test]
	fn an_unclipped_update_is_over_the_bound_and_a_clipped_noised_one_is_not() {
		let p = PrivacyPolicy { noise_multiplier_milli: 100, ..policy(1_000, 5, u32::MAX) };
		let d = 1_000usize;
		let from = vec![0i32; d];
		// A clipped delta of norm C on one coordinate plus noise σC on every coordinate,
		// at the noise's typical norm σC·√d.
		let noise_each = (0.1 * f64::from(SCALE)) as i32;
		let mut honest: Vec<i32> = vec![noise_each; d];
		honest[0] += SCALE;
		assert_eq!(p.excess(&honest, &from), None);
		// Twenty times the clip norm, unclipped and without noise, is beyond it.
		let mut unclipped = vec![0i32; d];
		unclipped[0] = 20 * SCALE;
		let (norm, bound) = p.excess(&unclipped, &from).expect("over the bound");
		assert!(norm > bound);
		assert_eq!(norm, 20 * (SCALE as u128));
	}
}
