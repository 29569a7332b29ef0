//! # din-aggregate: DIN's integer core
//!
//! Everything two honest DIN nodes must compute *identically* lives here, in integer
//! arithmetic, so results agree bit for bit on any CPU and inside the runtime's
//! off-chain workers (this crate builds `no_std` + `alloc` for `wasm32v1-none` with
//! default features off). The binding contract is `docs/canonical-encoding.md`.
//!
//! - [`spec`]: [`ModelSpec`] (the on-chain architecture descriptor, its canonical bytes
//!   and hash) and the [`Schema`] of named tensors it implies.
//! - [`encoding`]: fixed point (scale 2^16) and the canonical [`Update`] wire format.
//! - [`reference`](mod@reference): the integer reference evaluator the Groth16 circuit proves.
//! - [`rules`]: FedAvg, coordinate-wise median, trimmed mean, Krum and Multi-Krum over
//!   canonical updates, behind Flower's strategy split (`configure` / `aggregate`).
//! - [`content`]: the store's content addresses (CIDs) of artifacts, computed without the
//!   store, so off-chain workers name what they commit to as the client does.
//! - [`sealed_test_set`]: the owner's test set as an artifact, its format and encryption.
//! - [`synthetic`]: deterministic noise updates, so that benchmarks feed the runtime's
//!   wasm and the native client the same inputs.
//! - `dp` (feature `std`): participant-side L2 clipping + Gaussian noise and an RDP
//!   accountant.
//!
//! With feature `std` (default) the rules run coordinate blocks on rayon; the integer
//! results are bit-identical to the sequential `no_std` build and across thread counts.
#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub mod content;
#[cfg(feature = "std")]
pub mod dp;
pub mod encoding;
pub mod reference;
pub mod rules;
pub mod sealed_test_set;
pub mod spec;
pub mod synthetic;

pub use encoding::{dequantize, quantize, EncodingError, Update};
pub use reference::{count_correct, predict, ReferenceError, TestSet};
pub use rules::strategy::{AggregationStrategy, Strategy};
pub use rules::{AggregateError, AggregationRule, Aggregator};
pub use spec::{ModelSpec, Schema, SpecError, TensorSpec};
