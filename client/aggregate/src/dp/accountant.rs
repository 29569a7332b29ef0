//! Rényi-DP accountant for the (optionally subsampled) Gaussian mechanism.
//!
//! ## What it bounds
//!
//! One round releases a clipped delta plus `N(0, (σC)²)` noise ([`super::GaussianMechanism`]).
//! Its Rényi divergence of order `α > 1` is
//!
//! - **without subsampling** (the participant trains every round, `q = 1`):
//!   `RDP(α) = α / (2σ²)` — the closed form of the Gaussian mechanism (Mironov 2017),
//!   valid for every real order;
//! - **with Poisson subsampling** (each round the participant is included independently
//!   with probability `q`, which is what amplifies privacy): for integer `α`,
//!   `RDP(α) = log(A_α) / (α − 1)` with
//!   `A_α = Σ_{k=0}^{α} C(α,k) (1−q)^{α−k} q^k exp((k² − k) / (2σ²))`
//!   (Mironov, Talwar & Zhang 2019, "Rényi Differential Privacy of the Sampled Gaussian
//!   Mechanism"; the same formula as TF Privacy's and Opacus' `_compute_log_a_int`),
//!   evaluated in log space. Fractional orders are skipped (reported as `+∞`) when
//!   `0 < q < 1`; the default order grid has plenty of integers.
//!
//! RDP composes by addition, so `T` rounds cost `T · RDP(α)` at every order. The
//! conversion to `(ε, δ)` is the classic one, `ε = min_α [RDP_total(α) + ln(1/δ)/(α − 1)]`
//! (Mironov 2017, Prop. 3) — slightly looser than newer conversions, never optimistic.
//! Note that the unsubsampled and subsampled bounds describe different participation
//! models: use `q = 1` unless participants really are sampled at random with rate `q`.

use alloc::vec::Vec;

use super::DpError;

/// Default RDP orders: 1.1, 1.2, …, 10.9 and 12, 13, …, 63 (Opacus' default grid) plus
/// 64, 128 and 256 for very small ε budgets.
pub fn default_orders() -> Vec<f64> {
	(1..100)
		.map(|tenth| 1.0 + f64::from(tenth) / 10.0)
		.chain((12..64).map(f64::from))
		.chain([64.0, 128.0, 256.0])
		.collect()
}

/// `α / (2σ²)`: RDP of one Gaussian mechanism with noise multiplier `σ` at order `α`.
pub fn gaussian_rdp(order: f64, noise_multiplier: f64) -> f64 {
	order / (2.0 * noise_multiplier * noise_multiplier)
}

/// RDP of one Poisson-subsampled Gaussian mechanism (module docs). `q = 1` gives the
/// closed form at any order, `q = 0` gives 0; otherwise a fractional order gives `+∞`.
pub fn subsampled_gaussian_rdp(order: f64, sampling_rate: f64, noise_multiplier: f64) -> f64 {
	if sampling_rate <= 0.0 {
		return 0.0;
	}
	if sampling_rate >= 1.0 {
		return gaussian_rdp(order, noise_multiplier);
	}
	if order.fract() != 0.0 {
		return f64::INFINITY;
	}
	let alpha = order as u64;
	let log_q = sampling_rate.ln();
	let log_one_minus_q = (-sampling_rate).ln_1p();
	let inverse_two_variance = 1.0 / (2.0 * noise_multiplier * noise_multiplier);
	let mut log_binomial = 0.0; // ln C(α, 0)
	let mut terms = Vec::with_capacity(alpha as usize + 1);
	for k in 0..=alpha {
		if k > 0 {
			// C(α, k) = C(α, k−1) · (α − k + 1) / k
			log_binomial += ((alpha - k + 1) as f64).ln() - (k as f64).ln();
		}
		let k_f = k as f64;
		terms.push(
			log_binomial
				+ (alpha - k) as f64 * log_one_minus_q
				+ k_f * log_q
				+ (k_f * k_f - k_f) * inverse_two_variance,
		);
	}
	log_sum_exp(&terms) / (order - 1.0)
}

/// `ln Σ exp(xᵢ)` without overflow.
fn log_sum_exp(values: &[f64]) -> f64 {
	let max = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
	if max == f64::NEG_INFINITY {
		return max;
	}
	max + values.iter().map(|v| (v - max).exp()).sum::<f64>().ln()
}

/// The privacy spent so far.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PrivacySpent {
	pub epsilon: f64,
	pub delta: f64,
	/// The RDP order that achieved the minimum.
	pub order: f64,
}

/// Accumulates RDP over rounds and converts it to `(ε, δ)` (module docs).
#[derive(Clone, Debug, PartialEq)]
pub struct RdpAccountant {
	orders: Vec<f64>,
	rdp: Vec<f64>,
	rounds: u64,
}

impl Default for RdpAccountant {
	fn default() -> Self {
		Self::with_orders(default_orders()).expect("the default orders are valid qed")
	}
}

impl RdpAccountant {
	/// An accountant over [`default_orders`].
	pub fn new() -> Self {
		Self::default()
	}

	/// An accountant over the given orders (each finite and above 1).
	pub fn with_orders(orders: Vec<f64>) -> Result<Self, DpError> {
		if orders.is_empty() || orders.iter().any(|order| !(order.is_finite() && *order > 1.0)) {
			return Err(DpError::InvalidOrders);
		}
		let rdp = alloc::vec![0.0; orders.len()];
		Ok(Self { orders, rdp, rounds: 0 })
	}

	/// Records `rounds` releases with noise multiplier `σ > 0` and sampling rate `q`.
	pub fn record(
		&mut self,
		noise_multiplier: f64,
		sampling_rate: f64,
		rounds: u64,
	) -> Result<(), DpError> {
		if !(noise_multiplier.is_finite() && noise_multiplier > 0.0) {
			return Err(DpError::InvalidNoiseMultiplier { noise_multiplier });
		}
		if !(0.0..=1.0).contains(&sampling_rate) {
			return Err(DpError::InvalidSamplingRate { sampling_rate });
		}
		for (order, total) in self.orders.iter().zip(self.rdp.iter_mut()) {
			*total +=
				rounds as f64 * subsampled_gaussian_rdp(*order, sampling_rate, noise_multiplier);
		}
		self.rounds = self.rounds.saturating_add(rounds);
		Ok(())
	}

	/// Rounds recorded so far.
	pub fn rounds(&self) -> u64 {
		self.rounds
	}

	/// `(order, accumulated RDP)` pairs.
	pub fn rdp(&self) -> impl Iterator<Item = (f64, f64)> + '_ {
		self.orders.iter().copied().zip(self.rdp.iter().copied())
	}

	/// `ε = min_α [RDP(α) + ln(1/δ)/(α − 1)]` for the given `δ ∈ (0, 1)`.
	pub fn epsilon(&self, delta: f64) -> Result<PrivacySpent, DpError> {
		if !(delta > 0.0 && delta < 1.0) {
			return Err(DpError::InvalidDelta { delta });
		}
		let log_inverse_delta = -delta.ln();
		let (epsilon, order) =
			self.rdp()
				.map(|(order, rdp)| (rdp + log_inverse_delta / (order - 1.0), order))
				.fold((f64::INFINITY, f64::NAN), |best, candidate| {
					if candidate.0 < best.0 {
						candidate
					} else {
						best
					}
				});
		Ok(PrivacySpent { epsilon, delta, order })
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn the_chains_count_is_never_above_this_accountant_and_close_to_it() {
		// The chain counts a private task's ε by the closed form over every real order
		// (`din_fl::privacy`); this accountant searches a grid of orders.
		for (sigma_milli, rounds) in [(50, 3), (200, 3), (1_000, 10), (2_000, 50), (8_000, 1)] {
			let policy = din_fl::PrivacyPolicy {
				clip_norm_milli: 1_000,
				noise_multiplier_milli: sigma_milli,
				delta_exponent: 5,
				epsilon_budget_milli: u32::MAX,
			};
			let chain = policy.epsilon_after(rounds) as f64 / 1_000.0;
			let mut accountant = RdpAccountant::new();
			accountant
				.record(f64::from(sigma_milli) / 1_000.0, 1.0, u64::from(rounds))
				.unwrap();
			let grid = accountant.epsilon(1e-5).unwrap().epsilon;
			assert!(chain <= grid + 0.001, "σ {sigma_milli}‰, {rounds} rounds: {chain} > {grid}");
			assert!(chain >= 0.97 * grid, "σ {sigma_milli}‰, {rounds} rounds: {chain} ≪ {grid}");
		}
	}

	#[test]
	fn unsampled_gaussian_matches_the_closed_form_minimum() {
		// σ = 1, T = 1, δ = 1e-5: ε(α) = α/2 + ln(1e5)/(α − 1), minimised at
		// α* = 1 + sqrt(2 ln 1e5) = 5.7985, ε* = 1/2 + sqrt(2 ln 1e5) = 5.29853 (continuous).
		let mut accountant = RdpAccountant::new();
		accountant.record(1.0, 1.0, 1).unwrap();
		let spent = accountant.epsilon(1e-5).unwrap();
		let log_inverse_delta = 1e5f64.ln();
		let continuous_order = 1.0 + (2.0 * log_inverse_delta).sqrt();
		let continuous = continuous_order / 2.0 + log_inverse_delta / (continuous_order - 1.0);
		assert!((continuous - (0.5 + (2.0 * log_inverse_delta).sqrt())).abs() < 1e-12);
		assert!((continuous - 5.29853).abs() < 1e-5);
		// The grid has step 0.1 around α*; ε is flat at the minimum.
		assert!(spent.epsilon >= continuous && spent.epsilon - continuous < 1e-3, "{spent:?}");
		assert!((spent.order - 5.8).abs() < 1e-9);
	}

	#[test]
	fn rounds_compose_additively() {
		let mut once = RdpAccountant::with_orders(alloc::vec![2.0, 8.0, 32.0]).unwrap();
		once.record(2.0, 1.0, 1).unwrap();
		let mut many = once.clone();
		many.record(2.0, 1.0, 99).unwrap();
		for ((order, one), (_, hundred)) in once.rdp().zip(many.rdp()) {
			assert!((one - order / 8.0).abs() < 1e-12);
			assert!((hundred - 100.0 * order / 8.0).abs() < 1e-9);
		}
		assert_eq!(many.rounds(), 100);
		// T = 100, σ = 2, δ = 1e-5: α = 2 wins with 100 · 2/8 + ln(1e5)/1.
		let spent = many.epsilon(1e-5).unwrap();
		assert_eq!(spent.order, 2.0);
		assert!((spent.epsilon - (100.0 * 2.0 / 8.0 + 1e5f64.ln())).abs() < 1e-9);
	}

	#[test]
	fn subsampling_at_rate_one_is_the_closed_form() {
		for order in [2.0, 3.0, 10.0, 64.0] {
			let closed = gaussian_rdp(order, 1.3);
			// Evaluate the series itself at q → 1 (the early return covers q = 1 exactly).
			let series = subsampled_gaussian_rdp(order, 1.0 - 1e-12, 1.3);
			assert!((series - closed).abs() < 1e-6 * closed.max(1.0), "α = {order}");
		}
	}

	#[test]
	fn subsampling_amplifies_privacy() {
		let full = gaussian_rdp(8.0, 1.0);
		let half = subsampled_gaussian_rdp(8.0, 0.5, 1.0);
		let small = subsampled_gaussian_rdp(8.0, 0.01, 1.0);
		assert!(small < half && half < full);
		assert_eq!(subsampled_gaussian_rdp(8.0, 0.0, 1.0), 0.0);
		assert_eq!(subsampled_gaussian_rdp(2.5, 0.5, 1.0), f64::INFINITY);
		// Small-q behaviour at α = 2: A_2 = 1 + q²(e^{1/σ²} − 1), so RDP ≈ q²(e − 1).
		let q = 1e-3;
		let expected = (1.0 + q * q * (1f64.exp() - 1.0)).ln();
		assert!((subsampled_gaussian_rdp(2.0, q, 1.0) - expected).abs() < 1e-15);
	}

	#[test]
	fn matches_the_published_opacus_example() {
		// Opacus' compute_dp_sgd_privacy docs: 60 000 samples, batch 256, σ = 1.12,
		// 60 epochs, δ = 1e-5, orders {10, 20, 100} → ε = 2.95.
		let sampling_rate = 256.0 / 60_000.0;
		let steps = (60.0 / sampling_rate) as u64;
		let mut accountant = RdpAccountant::with_orders(alloc::vec![10.0, 20.0, 100.0]).unwrap();
		accountant.record(1.12, sampling_rate, steps).unwrap();
		let spent = accountant.epsilon(1e-5).unwrap();
		assert!((spent.epsilon - 2.95).abs() < 0.01, "{spent:?}");
	}

	#[test]
	fn invalid_inputs_are_named() {
		let mut accountant = RdpAccountant::new();
		assert_eq!(
			accountant.record(0.0, 1.0, 1),
			Err(DpError::InvalidNoiseMultiplier { noise_multiplier: 0.0 })
		);
		assert_eq!(
			accountant.record(1.0, 1.5, 1),
			Err(DpError::InvalidSamplingRate { sampling_rate: 1.5 })
		);
		assert_eq!(accountant.epsilon(0.0), Err(DpError::InvalidDelta { delta: 0.0 }));
		assert_eq!(RdpAccountant::with_orders(alloc::vec![1.0]), Err(DpError::InvalidOrders));
		assert_eq!(RdpAccountant::with_orders(alloc::vec![]), Err(DpError::InvalidOrders));
	}
}
