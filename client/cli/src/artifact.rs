//! The owner's test set as a store artifact. Its format and cipher live in
//! `din_fl::sealed_test_set`, shared with the runtime's off-chain workers; this
//! module adds what only the client does (fresh keys, errors for the CLI).

use crate::invalid;

pub use din_fl::sealed_test_set::{apply_keystream, encode_test_set, TEST_KEY_LEN};

/// Parses [`encode_test_set`]'s bytes.
pub fn decode_test_set(bytes: &[u8]) -> anyhow::Result<din_fl::TestSet> {
	din_fl::sealed_test_set::decode_test_set(bytes).map_err(|e| invalid!("{e}"))
}

/// A fresh random test-set key.
pub fn new_test_key() -> [u8; TEST_KEY_LEN] {
	rand::random()
}
