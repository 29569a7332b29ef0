//! # din-aggregate: the client's side of DIN's integer core
//!
//! The integer core itself (model spec, canonical encoding, reference evaluator, the
//! aggregation rules) is `din-fl`, `no_std`, shared with the runtime's off-chain workers.
//! This crate holds what only the native client needs on top of it:
//!
//! - [`Parallel`]: a [`din_fl::Executor`] that runs the rules' coordinate blocks (and
//!   Krum's pairwise distances) on rayon's pool. The rules are written once, in `din-fl`;
//!   run on [`Parallel`] they give the same integers as on [`din_fl::Sequential`], for any
//!   number of threads: `rule.aggregate_with(&Parallel, &updates)`.
//! - [`dp`]: participant-side L2 clipping + Gaussian noise and an RDP accountant.

extern crate alloc;

pub mod dp;
mod parallel;

pub use parallel::Parallel;
