//! # din-zk-host
//!
//! The native fast path for DIN's zero-knowledge primitives: `#[runtime_interface]` host
//! functions that run `din_zk_verifier`'s proof verification and model commitment as
//! native code in the node instead of compiled wasm in the runtime.
//!
//! ## Wiring
//!
//! - **Node** (`din-node`): add the generated host functions to the executor's list, e.g.
//!   ```ignore
//!   pub type HostFunctions = (
//!       polkadot_sdk::sp_io::SubstrateHostFunctions,
//!       din_zk_host::zk_host::HostFunctions,
//!   );
//!   // WasmExecutor::<HostFunctions>::builder()… / sc_service::new_wasm_executor::<HostFunctions>(…)
//!   ```
//!   and depend on `din-zk-host = { workspace = true, features = ["std"] }`.
//! - **Runtime** (`din-runtime`, no_std): depend on `din-zk-host = { workspace = true }`
//!   (add `"din-zk-host/std"` to its `std` feature) and call
//!   `din_zk_host::zk_host::verify_groth16_bn254(&vk, &inputs, &proof)` (or, with a key
//!   prepared once by `prepare_groth16_bn254`, `verify_groth16_bn254_prepared`). The call is
//!   *imported* from the host; a node without the host function refuses to instantiate the
//!   runtime ("missing host function"), so add it to the node before the runtime uses it.
//!   The pure-wasm path (`din_zk_verifier::verify_bytes` compiled into the runtime) stays
//!   available, e.g. for tests and benchmarking comparisons.
//!
//! Arguments are byte slices with the encodings of `din_zk_verifier::verifier`:
//! compressed verifying key, public inputs as concatenated 32-byte little-endian scalars,
//! compressed proof. Any malformed input, or a proof that does not verify, returns `false`.
#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

// The `#[runtime_interface]` expansion names `Vec` unqualified on the runtime side.
#[allow(unused_imports)]
use alloc::vec::Vec;
use sp_runtime_interface::{
	pass_by::{
		AllocateAndReturnByCodec, AllocateAndReturnPointer, PassFatPointerAndDecodeSlice,
		PassFatPointerAndRead,
	},
	runtime_interface,
};

/// Host functions for DIN's zero-knowledge verification.
#[runtime_interface]
pub trait ZkHost {
	/// Verifies a Groth16 (BN254) proof natively: `vk` compressed verifying key, `inputs`
	/// concatenated 32-byte little-endian scalars, `proof` compressed proof. `false` on any
	/// decoding error or failed check.
	fn verify_groth16_bn254(
		vk: PassFatPointerAndRead<&[u8]>,
		inputs: PassFatPointerAndRead<&[u8]>,
		proof: PassFatPointerAndRead<&[u8]>,
	) -> bool {
		din_zk_verifier::verify_bytes(vk, inputs, proof).unwrap_or(false)
	}

	/// Checks a compressed verifying key for `public_inputs` public inputs and returns its
	/// prepared form (`din_zk_verifier::prepare_checked`), `None` if the key is malformed or
	/// made for another number of inputs. The chain stores the result when a key is
	/// registered and passes it back to [`verify_groth16_bn254_prepared`].
	fn prepare_groth16_bn254(
		vk: PassFatPointerAndRead<&[u8]>,
		public_inputs: u32,
	) -> AllocateAndReturnByCodec<Option<Vec<u8>>> {
		din_zk_verifier::prepare_checked(vk, public_inputs as usize).ok()
	}

	/// Verifies a Groth16 (BN254) proof against a prepared key written by
	/// [`prepare_groth16_bn254`]: the key's points are not checked again (the runtime passes
	/// only what it stored from that function), which saves their decompression, subgroup
	/// checks and the pairing `e(α, β)` on every proof. `false` on any decoding error or
	/// failed check.
	fn verify_groth16_bn254_prepared(
		prepared_key: PassFatPointerAndRead<&[u8]>,
		inputs: PassFatPointerAndRead<&[u8]>,
		proof: PassFatPointerAndRead<&[u8]>,
	) -> bool {
		din_zk_verifier::verify_prepared_bytes(prepared_key, inputs, proof).unwrap_or(false)
	}

	/// The Poseidon model commitment of canonical values
	/// (`din_zk_verifier::commitment::model_commitment`), as the 32 bytes the chain stores.
	/// Off-chain workers check every update they aggregate against its commitment: in
	/// wasm that costs several times the native time (see the evaluation pallet's
	/// `offchain_aggregate_*` benchmarks).
	fn poseidon_model_commitment(
		values: PassFatPointerAndDecodeSlice<&[i32]>,
	) -> AllocateAndReturnPointer<[u8; 32], 32> {
		din_zk_verifier::commitment::to_bytes(&din_zk_verifier::commitment::model_commitment(
			values,
		))
	}
}
