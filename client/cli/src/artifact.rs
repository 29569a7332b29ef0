//! The owner's test set as a store artifact. Its format and cipher live in
//! `din_fl::sealed_test_set`, shared with the runtime's off-chain workers; this
//! module adds what only the client does (fresh keys and nonces).

pub use din_fl::sealed_test_set::{open, TEST_KEY_LEN};

/// A fresh random test-set key.
pub fn new_test_key() -> [u8; TEST_KEY_LEN] {
	rand::random()
}

/// `test_set` sealed under `key` with a fresh random nonce.
pub fn seal(key: &[u8; TEST_KEY_LEN], test_set: &din_fl::TestSet) -> Vec<u8> {
	din_fl::sealed_test_set::seal(key, rand::random(), test_set)
}
