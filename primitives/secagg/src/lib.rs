//! # din-secagg: secure aggregation for a subgroup's FedAvg
//!
//! The masking core of SecAgg (Bonawitz et al., "Practical Secure Aggregation for
//! Privacy-Preserving Machine Learning", CCS 2017), for DIN's subgroups: every member
//! publishes its update masked so that no single masked update says anything about the
//! update, while the sum over the subgroup's members is the plain FedAvg numerator
//! `Σ nᵢ·xᵢ`, bit for bit, even when members drop out after the masks were fixed.
//!
//! ## The masks
//!
//! Member `i` of a subgroup of `n` publishes, for its canonical values `xᵢ` (fixed point,
//! `din_fl::encoding`) and sample count `nᵢ`, in the ring `ℤ/2⁶⁴`
//!
//! `yᵢ = nᵢ·xᵢ + PRG(bᵢ) + Σ_{j > i} PRG(sᵢⱼ) − Σ_{j < i} PRG(sᵢⱼ)` ([`mask::mask`]),
//!
//! where `bᵢ` is a seed of its own (the *self mask*) and `sᵢⱼ = sⱼᵢ` is derived from an X25519
//! agreement between `i`'s and `j`'s per-round keys ([`keys::KeyPair::agree`]); `PRG` is the
//! ChaCha20 keystream read as 64-bit words. Summed over all members the pairwise masks
//! cancel; what remains is `Σ nᵢxᵢ + Σ PRG(bᵢ)`.
//!
//! ## Dropouts
//!
//! Before anyone uploads, each member splits `bᵢ` and its key-agreement secret into Shamir
//! shares ([`shamir`]: any `t` of them recover the secret, fewer say nothing about it) and
//! sends member `j` its pair of shares sealed under a key only `i` and `j` can derive from
//! their *share keys* ([`keys::seal_shares`], ChaCha20-Poly1305), long-term keys apart from
//! the round keys, so that a dropped member's recovered round key opens none of its shares. Once the uploads are in, the surviving
//! members hand over, for each survivor, its share of `bᵢ`, and for each member that dropped,
//! its share of the key secret — never both for the same member. From `t` of them the
//! unmasker recovers the survivors' self masks and the pairwise seeds between each dropped
//! member and each survivor, and [`mask::unmask`] removes exactly what the sum still holds:
//! `Σ_{survivors} nᵢ·xᵢ` ([`unmask::recover`] runs the whole step from the hand-over). The
//! self mask is what keeps a member that was merely late (and so counted as dropped, its key
//! secret recovered) private: its pairwise masks are known then, but its self mask is not.
//!
//! ## What this crate is
//!
//! The arithmetic and the cryptography of the scheme, a member's side of a round
//! ([`member::Member`]), the unmasker's ([`unmask::recover`]), the masked update's artifact
//! format ([`artifact`], `DINS`) and the evaluator's duty for a secure subgroup
//! ([`duty::aggregate_masked`]), `no_std`, so that the participant daemon, the evaluator
//! daemon and the runtime's off-chain workers share it. The round around it (share keys,
//! round keys and sealed shares advertised on chain, the upload and hand-over steps) is
//! pallet-din-tasks' `secure.rs`; `docs/privacy.md` describes the whole.

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub mod artifact;
pub mod duty;
pub mod keys;
pub mod mask;
pub mod member;
pub mod shamir;
pub mod unmask;

/// A 32-byte secret: a mask seed, a key-agreement secret, a derived key.
pub type Seed = [u8; 32];

/// Why a secure-aggregation step cannot be done.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SecAggError {
	/// A Shamir threshold of zero, or above the number of shares.
	InvalidThreshold,
	/// Two shares for the same point, or a share at the point zero (the secret itself).
	InvalidShares,
	/// No shares to combine.
	NoShares,
	/// The peer's key is of small order: the agreement would be known to anyone.
	NonContributoryKey,
	/// Sealed shares that do not open under the pair's key (another sender or recipient,
	/// another round, or altered bytes).
	SharesDoNotOpen,
	/// Fewer shares of a member's secret than the threshold.
	TooFewShares,
	/// A share of the key secret of a member that uploaded, or of the self seed of one that
	/// did not: with both, the unmasker could read that member's update.
	BothSecretsOfOneMember,
	/// Shares that recover another key secret or self seed than the member advertised: a
	/// holder handed over a wrong share.
	SharesInconsistent,
}

impl core::fmt::Display for SecAggError {
	fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
		f.write_str(match self {
			Self::InvalidThreshold => "the threshold must be between 1 and the number of shares",
			Self::InvalidShares => "shares must be at distinct, non-zero points",
			Self::NoShares => "no shares to combine",
			Self::NonContributoryKey => "the peer's key is of small order",
			Self::SharesDoNotOpen => "sealed shares do not open under this pair's key",
			Self::TooFewShares => "fewer shares of a member's secret than the threshold",
			Self::BothSecretsOfOneMember => {
				"a share of the other secret of a member: its update would be readable"
			},
			Self::SharesInconsistent => {
				"the shares recover another secret than the member advertised"
			},
		})
	}
}

impl core::error::Error for SecAggError {}

/// What binds masks and sealed shares to one subgroup of one round of one task: the same
/// keys in another context derive other seeds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Context {
	/// The task.
	pub task: u32,
	/// The round.
	pub round: u32,
	/// The subgroup.
	pub subgroup: u32,
}

impl Context {
	fn to_bytes(self) -> [u8; 12] {
		let mut bytes = [0u8; 12];
		bytes[..4].copy_from_slice(&self.task.to_le_bytes());
		bytes[4..8].copy_from_slice(&self.round.to_le_bytes());
		bytes[8..].copy_from_slice(&self.subgroup.to_le_bytes());
		bytes
	}
}
