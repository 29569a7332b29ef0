//! # din-fl: DIN's integer core
//!
//! Everything two honest DIN nodes must compute *identically* lives here, in integer
//! arithmetic, so results agree bit for bit on any CPU: in the `din` client and inside the
//! runtime's off-chain workers (this crate builds `no_std` + `alloc` for `wasm32v1-none`
//! with default features off). The binding contract is `docs/canonical-encoding.md`.
//! It sits with the primitives so that the runtime never reaches into `client/`.
//!
//! - [`spec`]: [`ModelSpec`] (the on-chain architecture descriptor, its canonical bytes
//!   and hash), [`TaskModel`] (with the task's input preprocessing) and the [`Schema`] of
//!   named tensors it implies.
//! - [`preprocessing`]: the per-feature map a task fixes for its inputs.
//! - [`recipe`]: the training recipe a task advises its participants to use.
//! - [`encoding`]: fixed point (scale 2^16) and the canonical [`Update`] wire format.
//! - [`reference`](mod@reference): the integer reference evaluator the Groth16 circuit proves.
//! - [`rules`]: FedAvg, coordinate-wise median, trimmed mean, Krum, Multi-Krum and
//!   centered clipping over canonical updates, and [`AggregationRule`], the task's choice
//!   of rule as the chain stores it.
//! - [`duty`]: the evaluator's duty without I/O (check fetched updates, aggregate a
//!   subgroup, combine the subgroups), which the `din evaluator` daemon and the runtime's
//!   off-chain worker both call, so that their verdicts agree bit for bit.
//! - [`privacy`]: a task's differential-privacy policy, the `ε` its rounds spend and the
//!   bound every privatized update's delta stays within.
//! - [`content`]: the store's content addresses (CIDs) of artifacts, computed without the
//!   store, so off-chain workers name what they commit to as the client does.
//! - [`sealed_test_set`]: the owner's test set as an artifact, its format and encryption.
//! - [`synthetic`]: deterministic noise updates, so that benchmarks feed the runtime's
//!   wasm and the native client the same inputs.
//!
//! The rules take their loops over coordinate blocks from an [`Executor`]: [`Sequential`]
//! here; the client runs them on rayon with `din_aggregate::Parallel`. Every executor runs
//! the same per-block code, so the integer results are bit-identical whatever runs them.
//! With feature `std` (default) FedAvg's kernel also dispatches to AVX2 at run time,
//! again with identical results.
#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use scale_info::TypeInfo;

pub mod commitment_sample;
pub mod content;
pub mod duty;
pub mod encoding;
pub mod preprocessing;
pub mod privacy;
pub mod recipe;
pub mod reference;
pub mod rules;
pub mod sealed_test_set;
pub mod spec;
pub mod synthetic;

pub use duty::Rejection;
pub use encoding::{dequantize, quantize, Author, EncodingError, Update, NO_AUTHOR};
pub use polkadot_sdk::sp_arithmetic::Perbill;
pub use preprocessing::Preprocessing;
pub use privacy::PrivacyPolicy;
pub use recipe::TrainingRecipe;
pub use reference::{count_correct, predict, ReferenceError, TestSet};
pub use rules::exec::{Executor, Sequential};
pub use rules::{AggregateError, Aggregator};
pub use spec::{ModelSpec, Schema, SpecError, TaskModel, TensorSpec};

/// How evaluators combine the updates of one subgroup: the task's rule, stored on chain
/// in its `TaskSpec`, and run by [`Aggregator`] with the rule types of [`rules`].
///
/// This is the one definition the runtime, the off-chain workers and the client share.
/// `din-primitives` re-exports it, and its type information names it
/// `din_primitives::AggregationRule`, where the runtime's metadata has always had it (the
/// client's generated chain API substitutes this type there).
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
pub enum AggregationRule {
	/// Sample-weighted mean ([`rules::FedAvg`]).
	FedAvg,
	/// Coordinate-wise mean after dropping the `beta` fraction at each end (`beta < 50%`;
	/// [`rules::TrimmedMean`], which counts in parts per million: `beta`'s parts beyond
	/// a millionth are truncated).
	TrimmedMean { beta: Perbill },
	/// Coordinate-wise median ([`rules::Median`]).
	Median,
	/// The single update closest to its neighbours, tolerating `f` Byzantine updates
	/// (needs `2f + 2 < G`; [`rules::Krum`]).
	Krum { f: u32 },
	/// The mean of the `m` best-scored updates by Krum, tolerating `f` (`1 <= m <= G - f`;
	/// [`rules::MultiKrum`]).
	MultiKrum { f: u32, m: u32 },
	/// Centered clipping (Karimireddy, He and Jaggi 2021) from the coordinate-wise median:
	/// `iterations` times, move the centre by the mean of the updates' offsets from it,
	/// each clipped to L2 norm `tau` (in the fixed-point units of the values, 2^16 = 1.0).
	/// Needs `tau > 0` and `1 <= iterations <= rules::MAX_CLIPPING_ITERATIONS`
	/// ([`rules::CenteredClipping`]).
	CenteredClipping { tau: u32, iterations: u32 },
	/// FedAvg under secure aggregation (SecAgg, Bonawitz et al. 2017; `din-secagg`): members
	/// publish masked updates whose masks cancel only in the subgroup's sum, so evaluators
	/// aggregate `Σ nᵢ·xᵢ / Σ nᵢ` without reading any single update. What the task gives up:
	/// per-update checks and scores (every accepted member is scored, and paid, by its
	/// subgroup's aggregate), the robust rules, and a privacy policy's per-update bound.
	/// Needs `MIN_SECURE_SUBGROUP <= G <= MAX_SECURE_SUBGROUP` and `G · max_samples < 2^32`
	/// (the masked sum is exact in `ℤ/2⁶⁴`). Over plaintext updates (a reference) it is FedAvg.
	SecureFedAvg,
}

impl AggregationRule {
	/// Whether updates are masked and aggregated only as a subgroup's sum.
	pub fn is_secure(&self) -> bool {
		matches!(self, Self::SecureFedAvg)
	}
}

/// The smallest subgroup of a secure-aggregation task: with fewer members, a sum would tell
/// each member the other's update.
pub const MIN_SECURE_SUBGROUP: u32 = 3;

/// The largest subgroup of a secure-aggregation task: every member seals shares to every
/// other one on chain, so a subgroup's shares grow with its square.
pub const MAX_SECURE_SUBGROUP: u32 = 32;

/// The length of one member's shares sealed for another (`din_secagg::keys::seal_shares`:
/// a point, two 32-byte shares and a 16-byte tag), as the chain stores them.
pub const SEALED_SHARES_LEN: usize = 81;

/// `G · max_samples` must stay below this in a secure-aggregation task, so that the
/// weighted sum `Σ nᵢ·xᵢ` of `i32` values never wraps in `ℤ/2⁶⁴`.
pub const SECURE_WEIGHT_LIMIT: u64 = 1 << 32;
