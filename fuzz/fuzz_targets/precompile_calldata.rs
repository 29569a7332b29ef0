//! The DIN precompile's calldata: any account or contract calls `0x…0d100000` with any
//! bytes, and pallet-revive decodes them against `IDin.sol`
//! (`IDinCalls::abi_decode_validate`, code that `sol!` generates from the committed
//! interface) before `Din::call` sees a call. Decoding never panics, and a decoded call
//! encodes to calldata that decodes to the same encoding: what the precompile acts on is
//! one call, whatever padding the caller sent. (`createTask`'s `spec` bytes are SCALE,
//! decoded by the tasks pallet's `TaskSpec`, not here.)
#![no_main]

use alloy_sol_types::{sol, SolInterface};
use libfuzzer_sys::fuzz_target;

sol!("../pallets/precompile/IDin.sol");

fuzz_target!(|data: &[u8]| {
	if let Ok(call) = IDin::IDinCalls::abi_decode_validate(data) {
		let encoded = call.abi_encode();
		let again = IDin::IDinCalls::abi_decode_validate(&encoded)
			.expect("the encoding of a decoded call decodes");
		assert_eq!(again.abi_encode(), encoded);
	}
});
