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
//! ## Sealing (`DINSEAL2`)
//!
//! The test set is published sealed when the task is created and its 32-byte key is
//! released on chain at scoring time (`Evaluation::release_test_key`), so participants
//! cannot fit the test set while training. The seal is ChaCha20-Poly1305 (RFC 8439,
//! RustCrypto's `chacha20poly1305`) over the format above:
//!
//! `magic "DINSEAL2" (8) ‖ nonce (12) ‖ ciphertext ‖ tag (16)`, with the magic as
//! associated data.
//!
//! A wrong key, a flipped bit or a truncated artifact fails to open
//! ([`OpenError::KeyOrCiphertextMismatch`]) instead of decrypting to garbage; the on-chain
//! test-set commitment, which every evaluator checks after opening, still decides whether
//! what opened is the test set the task committed to. The key is fresh per task; the
//! nonce is random per seal all the same, so a key reused by mistake does not reuse a
//! keystream.
//!
//! ## Key commitment
//!
//! The task spec also carries [`test_key_hash`] of the key, and the chain refuses to
//! release any other key: an owner cannot keep the participants' share by releasing a key
//! that opens nothing. The hash is domain-separated (`sha256("din/test-key" ‖ key)`), so
//! it reveals nothing of the cipher's key stream.

use alloc::vec::Vec;
use core::fmt;

use chacha20poly1305::{
	aead::{Aead, KeyInit, Payload},
	ChaCha20Poly1305, Key, Nonce,
};
use sha2::{Digest, Sha256};

use crate::TestSet;

const MAGIC: &[u8; 8] = b"DINTSET1";
const HEADER_LEN: usize = 16;
const SEAL_MAGIC: &[u8; 8] = b"DINSEAL2";
/// Bytes of the nonce each seal carries after its magic.
pub const SEAL_NONCE_LEN: usize = 12;
const SEAL_TAG_LEN: usize = 16;
const KEY_HASH_DOMAIN: &[u8] = b"din/test-key";
/// Bytes in a test-set key.
pub const TEST_KEY_LEN: usize = 32;

/// Why test-set bytes do not decode.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TestSetFormatError {
	/// Fewer bytes than the header.
	Truncated { len: usize },
	/// Not a DIN test set.
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
				write!(f, "test set: wrong magic (not a DIN test set)")
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

/// Why a sealed test set does not open.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OpenError {
	/// The bytes are not a `DINSEAL2` artifact (no magic, or shorter than nonce and tag).
	NotSealed,
	/// The key is not [`TEST_KEY_LEN`] bytes.
	KeyLength { len: usize },
	/// The tag does not verify: the wrong key, or bytes changed since they were sealed.
	KeyOrCiphertextMismatch,
	/// It opened, but what was sealed is not a test set.
	Format(TestSetFormatError),
}

impl fmt::Display for OpenError {
	fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
		match self {
			Self::NotSealed => write!(f, "not a sealed DIN test set"),
			Self::KeyLength { len } => {
				write!(f, "a test-set key is {TEST_KEY_LEN} bytes, this one {len}")
			},
			Self::KeyOrCiphertextMismatch => {
				write!(f, "the sealed test set does not open: wrong key or altered bytes")
			},
			Self::Format(e) => write!(f, "the sealed bytes are no test set: {e}"),
		}
	}
}

impl core::error::Error for OpenError {}

/// Seals `test_set` under `key` with `nonce` (random per seal; see the module docs).
pub fn seal(key: &[u8; TEST_KEY_LEN], nonce: [u8; SEAL_NONCE_LEN], test_set: &TestSet) -> Vec<u8> {
	let ciphertext = ChaCha20Poly1305::new(Key::from_slice(key))
		.encrypt(
			Nonce::from_slice(&nonce),
			Payload { msg: &encode_test_set(test_set), aad: SEAL_MAGIC },
		)
		.expect("ChaCha20-Poly1305 seals any message under 256 GiB; qed");
	let mut out = Vec::with_capacity(SEAL_MAGIC.len() + SEAL_NONCE_LEN + ciphertext.len());
	out.extend_from_slice(SEAL_MAGIC);
	out.extend_from_slice(&nonce);
	out.extend_from_slice(&ciphertext);
	out
}

/// Opens what [`seal`] sealed: the test set, or why `key` does not open `sealed` into one.
pub fn open(key: &[u8], sealed: &[u8]) -> Result<TestSet, OpenError> {
	let key: &[u8; TEST_KEY_LEN] =
		key.try_into().map_err(|_| OpenError::KeyLength { len: key.len() })?;
	let body = sealed.strip_prefix(SEAL_MAGIC.as_slice()).ok_or(OpenError::NotSealed)?;
	if body.len() < SEAL_NONCE_LEN + SEAL_TAG_LEN {
		return Err(OpenError::NotSealed);
	}
	let (nonce, ciphertext) = body.split_at(SEAL_NONCE_LEN);
	let plain = ChaCha20Poly1305::new(Key::from_slice(key))
		.decrypt(Nonce::from_slice(nonce), Payload { msg: ciphertext, aad: SEAL_MAGIC })
		.map_err(|_| OpenError::KeyOrCiphertextMismatch)?;
	decode_test_set(&plain).map_err(OpenError::Format)
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
	fn the_key_hash_differs_between_keys() {
		let key = [9u8; TEST_KEY_LEN];
		let hash = test_key_hash(&key);
		assert_ne!(hash, test_key_hash(&[8u8; TEST_KEY_LEN]));
		assert_ne!(hash, test_key_hash(&key[..31]));
		assert_ne!(hash, <[u8; 32]>::from(Sha256::digest(key)), "domain-separated");
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
	fn a_seal_hides_the_bytes_and_opens_only_with_its_key() {
		let key = [7u8; TEST_KEY_LEN];
		let sealed = seal(&key, [1; SEAL_NONCE_LEN], &sample());
		let plain = encode_test_set(&sample());
		assert!(!sealed.windows(plain.len()).any(|w| w == plain), "the plaintext shows");
		assert_eq!(open(&key, &sealed), Ok(sample()));
		assert_eq!(open(&[0; TEST_KEY_LEN], &sealed), Err(OpenError::KeyOrCiphertextMismatch));
		assert_eq!(open(&key[..31], &sealed), Err(OpenError::KeyLength { len: 31 }));
		// A fresh nonce seals the same set under the same key to different bytes.
		assert_ne!(seal(&key, [2; SEAL_NONCE_LEN], &sample()), sealed);
	}

	#[test]
	fn a_tampered_or_truncated_seal_fails_to_open_instead_of_yielding_garbage() {
		let key = [7u8; TEST_KEY_LEN];
		let sealed = seal(&key, [1; SEAL_NONCE_LEN], &sample());
		for at in 0..sealed.len() {
			let mut flipped = sealed.clone();
			flipped[at] ^= 0x01;
			assert!(open(&key, &flipped).is_err(), "a flipped bit at byte {at} still opens");
		}
		for len in 0..sealed.len() {
			assert!(open(&key, &sealed[..len]).is_err(), "{len} of {} bytes open", sealed.len());
		}
		assert_eq!(open(&key, &encode_test_set(&sample())), Err(OpenError::NotSealed));
	}

	#[test]
	fn a_sealed_message_that_is_no_test_set_opens_to_a_format_error() {
		let key = [7u8; TEST_KEY_LEN];
		let nonce = [3; SEAL_NONCE_LEN];
		let ciphertext = ChaCha20Poly1305::new(Key::from_slice(&key))
			.encrypt(
				Nonce::from_slice(&nonce),
				Payload { msg: b"not a DIN test set at all", aad: SEAL_MAGIC },
			)
			.unwrap();
		let sealed = [SEAL_MAGIC.as_slice(), &nonce, &ciphertext].concat();
		assert_eq!(open(&key, &sealed), Err(OpenError::Format(TestSetFormatError::WrongMagic)));
	}
}
