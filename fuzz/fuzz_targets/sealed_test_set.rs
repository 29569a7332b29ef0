//! `din_fl::sealed_test_set`: the test set an owner seals is opened by every scoring
//! evaluator (daemon and off-chain worker) with whatever key the owner released. Neither
//! opening nor decoding panics, a plain test set that decodes encodes back to the same
//! bytes, and nothing opens under a key it was not sealed with.
#![no_main]

use din_fl::sealed_test_set::{decode_test_set, encode_test_set, open, seal, TEST_KEY_LEN};
use libfuzzer_sys::fuzz_target;

const KEY: [u8; TEST_KEY_LEN] = [0x42; TEST_KEY_LEN];

fuzz_target!(|data: &[u8]| {
	if let Ok(test_set) = decode_test_set(data) {
		assert_eq!(encode_test_set(&test_set), data);
		let sealed = seal(&KEY, [7; 12], &test_set);
		assert_eq!(open(&KEY, &sealed).as_ref(), Ok(&test_set));
		assert!(open(&[0; TEST_KEY_LEN], &sealed).is_err(), "opened under another key");
	}
	// Forged seals: whatever the bytes, opening them returns.
	let _ = open(&KEY, data);
});
