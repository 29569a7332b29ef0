//! The owner's test set as a store artifact: its byte format and its encryption. Shared
//! by the `din` client (which seals and opens it) and the runtime's off-chain workers
//! (which open it to score under the median rule).
//!
//! ## Format (`DINTSET1`)
//!
//! `magic (8) ‖ num_features u32 ‖ samples u32 ‖ features i32 × samples × num_features ‖
//! labels u32 × samples`, little-endian: the quantized features the commitment and the
//! circuit use ([`TestSet`]), so decoding needs no float conversion.
//!
//! ## Encryption
//!
//! The test set is published encrypted when the task is created and its 32-byte key is
//! released on chain at scoring time (`Evaluation::release_test_key`), so participants
//! cannot fit the test set while training. The cipher is a keystream XOR: block `i` of
//! the keystream is `sha256("din/test-set" ‖ key ‖ i)` (SHA-256 as a PRF in counter
//! mode; the key is fresh per task and encrypts exactly one message, so no nonce is
//! needed). There is no MAC on purpose: integrity comes from the on-chain test-set
//! commitment, which every evaluator checks after decrypting, and which a wrong key or
//! corrupted bytes cannot match.
//!
//! ## Key commitment
//!
//! The task spec also carries [`test_key_hash`] of the key, and the chain refuses to
//! release any other key: an owner cannot keep the participants' share by releasing a key
//! that opens nothing. The hash is domain-separated from the keystream, so publishing it
//! reveals no keystream block.

use alloc::vec::Vec;
use core::fmt;

use sha2::{Digest, Sha256};

use crate::TestSet;

const MAGIC: &[u8; 8] = b"DINTSET1";
const HEADER_LEN: usize = 16;
const KEYSTREAM_DOMAIN: &[u8] = b"din/test-set";
const KEY_HASH_DOMAIN: &[u8] = b"din/test-key";
/// Bytes in a test-set key.
pub const TEST_KEY_LEN: usize = 32;

/// Why test-set bytes do not decode.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TestSetFormatError {
	/// Fewer bytes than the header.
	Truncated { len: usize },
	/// Not a DIN test set, or decrypted with the wrong key.
	WrongMagic,
	/// The dimensions in the header overflow.
	AbsurdDimensions,
	/// The length disagrees with the header.
	LengthMismatch { len: usize, expected: usize },
}

impl fmt::Display for TestSetFormatError {
	fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
		match self {
			Self::Truncated { len } => write!(f, "test set: {len} bytes, shorter than its header"),
			Self::WrongMagic => {
				write!(f, "test set: wrong magic (wrong key, or not a DIN test set)")
			},
			Self::AbsurdDimensions => write!(f, "test set: absurd dimensions"),
			Self::LengthMismatch { len, expected } => {
				write!(f, "test set: {len} bytes, its header says {expected}")
			},
		}
	}
}

impl core::error::Error for TestSetFormatError {}

/// The artifact bytes of `test_set`.
pub fn encode_test_set(test_set: &TestSet) -> Vec<u8> {
	let mut out =
		Vec::with_capacity(HEADER_LEN + 4 * (test_set.features.len() + test_set.labels.len()));
	out.extend_from_slice(MAGIC);
	out.extend_from_slice(&test_set.num_features.to_le_bytes());
	out.extend_from_slice(&(test_set.labels.len() as u32).to_le_bytes());
	for value in &test_set.features {
		out.extend_from_slice(&value.to_le_bytes());
	}
	for label in &test_set.labels {
		out.extend_from_slice(&label.to_le_bytes());
	}
	out
}

/// Parses [`encode_test_set`]'s bytes.
pub fn decode_test_set(bytes: &[u8]) -> Result<TestSet, TestSetFormatError> {
	let header = bytes
		.get(..HEADER_LEN)
		.ok_or(TestSetFormatError::Truncated { len: bytes.len() })?;
	if &header[..8] != MAGIC {
		return Err(TestSetFormatError::WrongMagic);
	}
	let word = |at: usize| {
		u32::from_le_bytes([header[at], header[at + 1], header[at + 2], header[at + 3]]) as usize
	};
	let (num_features, samples) = (word(8), word(12));
	let expected = samples
		.checked_mul(num_features)
		.and_then(|values| values.checked_add(samples))
		.and_then(|words| words.checked_mul(4))
		.and_then(|body| body.checked_add(HEADER_LEN))
		.ok_or(TestSetFormatError::AbsurdDimensions)?;
	if bytes.len() != expected {
		return Err(TestSetFormatError::LengthMismatch { len: bytes.len(), expected });
	}
	let words = |from: usize, count: usize| {
		bytes[from..from + 4 * count].chunks_exact(4).map(|c| [c[0], c[1], c[2], c[3]])
	};
	let features = words(HEADER_LEN, samples * num_features).map(i32::from_le_bytes).collect();
	let labels = words(HEADER_LEN + 4 * samples * num_features, samples)
		.map(u32::from_le_bytes)
		.collect();
	Ok(TestSet { num_features: num_features as u32, features, labels })
}

/// Encrypts or decrypts (the same operation) `bytes` with `key`.
pub fn apply_keystream(key: &[u8], bytes: &[u8]) -> Vec<u8> {
	let mut out = Vec::with_capacity(bytes.len());
	for (block, chunk) in bytes.chunks(32).enumerate() {
		let pad = Sha256::new()
			.chain_update(KEYSTREAM_DOMAIN)
			.chain_update(key)
			.chain_update((block as u64).to_le_bytes())
			.finalize();
		out.extend(chunk.iter().zip(pad).map(|(b, p)| b ^ p));
	}
	out
}

/// The commitment a median-scored task publishes for its test set: `sha256` of its
/// [`encode_test_set`] bytes. (Groth16-scored tasks use the Poseidon commitment the
/// circuit opens instead.)
pub fn median_test_set_commitment(test_set: &TestSet) -> [u8; 32] {
	Sha256::digest(encode_test_set(test_set)).into()
}

/// The commitment to a test-set key a task spec carries (`TestSetRef::key_hash`):
/// `sha256("din/test-key" ‖ key)`. `Evaluation::release_test_key` accepts only a key with
/// this hash.
pub fn test_key_hash(key: &[u8]) -> [u8; 32] {
	let mut hasher = Sha256::new();
	hasher.update(KEY_HASH_DOMAIN);
	hasher.update(key);
	hasher.finalize().into()
}

#[cfg(test)]
mod tests {
	use super::*;
	use alloc::vec;

	#[test]
	fn the_key_hash_differs_from_every_keystream_block_and_between_keys() {
		let key = [9u8; TEST_KEY_LEN];
		let hash = test_key_hash(&key);
		let zeros = [0u8; 2 * 32];
		let keystream = apply_keystream(&key, &zeros);
		assert!(keystream.chunks(32).all(|block| block != hash));
		assert_ne!(hash, test_key_hash(&[8u8; TEST_KEY_LEN]));
		assert_ne!(hash, test_key_hash(&key[..31]));
	}

	fn sample() -> TestSet {
		TestSet { num_features: 3, features: vec![1, -2, 3, 4, 5, -6], labels: vec![0, 7] }
	}

	#[test]
	fn test_sets_round_trip_and_bad_lengths_are_refused() {
		let bytes = encode_test_set(&sample());
		assert_eq!(decode_test_set(&bytes).unwrap(), sample());
		assert_eq!(
			decode_test_set(&bytes[..bytes.len() - 1]),
			Err(TestSetFormatError::LengthMismatch { len: bytes.len() - 1, expected: bytes.len() })
		);
		assert_eq!(decode_test_set(&bytes[..10]), Err(TestSetFormatError::Truncated { len: 10 }));
	}

	#[test]
	fn the_keystream_hides_the_bytes_and_only_the_right_key_restores_them() {
		let plain = encode_test_set(&sample());
		let key = [7u8; TEST_KEY_LEN];
		let sealed = apply_keystream(&key, &plain);
		assert_ne!(sealed, plain);
		assert_eq!(apply_keystream(&key, &sealed), plain);
		let wrong = apply_keystream(&[0; 32], &sealed);
		assert_eq!(decode_test_set(&wrong), Err(TestSetFormatError::WrongMagic));
	}
}
