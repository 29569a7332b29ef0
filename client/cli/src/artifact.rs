//! The owner's test set as a store artifact: its byte format and its encryption.
//!
//! ## Format (`DINTSET1`)
//!
//! `magic (8) ‖ num_features u32 ‖ samples u32 ‖ features i32 × samples × num_features ‖
//! labels u32 × samples`, little-endian: the quantized features the commitment and the
//! circuit use (`din_aggregate::TestSet`), so decoding needs no float conversion.
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

use din_aggregate::TestSet;
use sha2::{Digest, Sha256};

use crate::invalid;

const MAGIC: &[u8; 8] = b"DINTSET1";
const KEYSTREAM_DOMAIN: &[u8] = b"din/test-set";
/// Bytes in a test-set key.
pub const TEST_KEY_LEN: usize = 32;

/// The artifact bytes of `test_set`.
pub fn encode_test_set(test_set: &TestSet) -> Vec<u8> {
    let mut out = Vec::with_capacity(16 + 4 * (test_set.features.len() + test_set.labels.len()));
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
pub fn decode_test_set(bytes: &[u8]) -> anyhow::Result<TestSet> {
    let header = bytes.get(..16).ok_or_else(|| invalid!("test set: {} bytes, shorter than its header", bytes.len()))?;
    if &header[..8] != MAGIC {
        return Err(invalid!("test set: wrong magic (wrong key, or not a DIN test set)"));
    }
    let word = |at: usize| u32::from_le_bytes([header[at], header[at + 1], header[at + 2], header[at + 3]]) as usize;
    let (num_features, samples) = (word(8), word(12));
    let expected = samples
        .checked_mul(num_features)
        .and_then(|values| values.checked_add(samples))
        .and_then(|words| words.checked_mul(4))
        .and_then(|body| body.checked_add(16))
        .ok_or_else(|| invalid!("test set: absurd dimensions"))?;
    if bytes.len() != expected {
        return Err(invalid!("test set: {} bytes, its header says {expected}", bytes.len()));
    }
    let words = |from: usize, count: usize| {
        bytes[from..from + 4 * count]
            .chunks_exact(4)
            .map(|c| [c[0], c[1], c[2], c[3]])
            .collect::<Vec<_>>()
    };
    let features = words(16, samples * num_features).into_iter().map(i32::from_le_bytes).collect();
    let labels = words(16 + 4 * samples * num_features, samples).into_iter().map(u32::from_le_bytes).collect();
    Ok(TestSet { num_features: num_features as u32, features, labels })
}

/// Encrypts or decrypts (the same operation) `bytes` with `key`.
pub fn apply_keystream(key: &[u8], bytes: &[u8]) -> Vec<u8> {
    bytes
        .chunks(32)
        .enumerate()
        .flat_map(|(block, chunk)| {
            let pad = Sha256::new()
                .chain_update(KEYSTREAM_DOMAIN)
                .chain_update(key)
                .chain_update((block as u64).to_le_bytes())
                .finalize();
            chunk.iter().zip(pad).map(|(b, p)| b ^ p).collect::<Vec<_>>()
        })
        .collect()
}

/// A fresh random test-set key.
pub fn new_test_key() -> [u8; TEST_KEY_LEN] {
    rand::random()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> TestSet {
        TestSet { num_features: 3, features: vec![1, -2, 3, 4, 5, -6], labels: vec![0, 7] }
    }

    #[test]
    fn test_sets_round_trip_and_bad_lengths_are_refused() {
        let bytes = encode_test_set(&sample());
        assert_eq!(decode_test_set(&bytes).unwrap(), sample());
        assert!(decode_test_set(&bytes[..bytes.len() - 1]).is_err());
        assert!(decode_test_set(&bytes[..10]).is_err());
    }

    #[test]
    fn the_keystream_hides_the_bytes_and_only_the_right_key_restores_them() {
        let plain = encode_test_set(&sample());
        let key = new_test_key();
        let sealed = apply_keystream(&key, &plain);
        assert_ne!(sealed, plain);
        assert_eq!(apply_keystream(&key, &sealed), plain);
        let wrong = apply_keystream(&[0; 32], &sealed);
        assert!(decode_test_set(&wrong).is_err(), "a wrong key garbles the magic");
    }
}
