//! # din-zk-verifier
//!
//! The `no_std` + `alloc` half of DIN's evaluation proofs, shared by the client (`din-zk`),
//! the runtime (pure-wasm verification) and the native host function (`din-zk-host`).
//!
//! ## Overview
//!
//! An evaluator proves with Groth16 (BN254) that a participant's update scores exactly
//! `correct` out of `total` on the owner's committed test set. The chain never sees the
//! weights or the test samples, only these bind them:
//!
//! - [`commitment::model_commitment`]: Poseidon hash of the update's canonical i32 values;
//! - [`commitment::test_set_commitment`]: Poseidon hash of the quantized test samples;
//! - [`layout::PublicInputs`]: `[model commitment, test-set commitment, correct, total,
//!   binding]`, the Groth16 public-input vector, in this order; the binding ties a proof to
//!   the task, the scored target and the account that may submit it.
//!
//! The commitment functions here are *the* definition: the circuit in `din-zk` recomputes
//! exactly these (its gadgets are tested equal to them), so a commitment a model owner or a
//! participant publishes is the one the proof opens.
//!
//! ## Design
//!
//! - [`poseidon`]: the fixed Poseidon parameters (width 9, α = 5, 8 full + 63 partial
//!   rounds), derived deterministically with arkworks' Grain LFSR and pinned by a
//!   known-answer test; natively hashed by [`poseidon::permutation`], the same permutation
//!   with sparse partial rounds (about 4× arkworks' sponge, bit-identical).
//! - [`commitment`]: bit-stream packing of values into 253-bit field elements, domain
//!   separated sponge hashing.
//! - [`layout`]: the public-input vector and its 32-byte little-endian wire form.
//! - [`verifier`]: verifying key / proof deserialization (compressed, validated) and Groth16
//!   verification; everything returns `Result`, never panics on untrusted bytes. The chain
//!   prepares a key once, when it is registered ([`prepare_checked`]), and verifies each
//!   proof against the stored prepared form ([`verify_prepared_bytes`]).
//!
//! Build without default features for `wasm32v1-none`:
//! `cargo build -p din-zk-verifier --no-default-features --target wasm32v1-none`.
#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub mod commitment;
pub mod layout;
pub mod poseidon;
pub mod verifier;

pub use ark_bn254::{Bn254, Fr};
pub use commitment::{model_commitment, test_set_commitment, CommitmentError};
pub use layout::PublicInputs;
pub use verifier::{
	check_verifying_key, prepare_checked, verify, verify_bytes, verify_prepared_bytes,
	VerifierError,
};
