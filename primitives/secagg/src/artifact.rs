//! The masked update as a store artifact: what a member of a secure-aggregation subgroup
//! publishes instead of its `DINU` update (`din_fl::encoding`), with the same header fields
//! and 64-bit words in place of the canonical values.
//!
//! | bytes | field |
//! |---|---|
//! | 4 | magic `DINS` |
//! | 2 | format version, little endian (1) |
//! | 32 | the schema hash of the model |
//! | 32 | the author (the member's account) |
//! | 8 | the sample count `nᵢ` the words are weighted by |
//! | 4 | the number of words |
//! | 8 × count | the masked words ([`crate::mask::mask`]), little endian |
//!
//! Decoding checks the length against the declared count before allocating, and a reader
//! that knows the model passes the count it expects, so a header cannot make it allocate
//! more than the model's size.

use alloc::vec::Vec;

/// The magic of a masked update.
pub const MAGIC: [u8; 4] = *b"DINS";
/// The format version this crate writes and reads.
pub const VERSION: u16 = 1;
/// The header's length in bytes.
pub const HEADER_LEN: usize = 4 + 2 + 32 + 32 + 8 + 4;

/// A member's masked, sample-weighted update.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MaskedUpdate {
	/// The schema hash of the model the words belong to.
	pub schema_hash: [u8; 32],
	/// The member that masked it.
	pub author: [u8; 32],
	/// The sample count its values were weighted by.
	pub num_samples: u64,
	/// The masked words.
	pub words: Vec<u64>,
}

/// Why bytes are not a masked update.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ArtifactError {
	/// Fewer bytes than a header.
	Truncated,
	/// Another magic: not a masked update.
	BadMagic,
	/// A format version this reader does not know.
	UnsupportedVersion(u16),
	/// The header declares another number of words than the bytes hold, or than the model
	/// has.
	WrongLength { declared: u32, expected: u64 },
}

impl MaskedUpdate {
	/// The artifact's bytes.
	pub fn encode(&self) -> Vec<u8> {
		let mut bytes = Vec::with_capacity(HEADER_LEN + 8 * self.words.len());
		bytes.extend_from_slice(&MAGIC);
		bytes.extend_from_slice(&VERSION.to_le_bytes());
		bytes.extend_from_slice(&self.schema_hash);
		bytes.extend_from_slice(&self.author);
		bytes.extend_from_slice(&self.num_samples.to_le_bytes());
		bytes.extend_from_slice(&(self.words.len() as u32).to_le_bytes());
		self.words.iter().for_each(|w| bytes.extend_from_slice(&w.to_le_bytes()));
		bytes
	}

	/// The masked update in `bytes`, which must hold exactly its declared words; with
	/// `expected_words`, exactly that many (the model's value count).
	pub fn decode(bytes: &[u8], expected_words: Option<usize>) -> Result<Self, ArtifactError> {
		if bytes.len() < HEADER_LEN {
			return Err(ArtifactError::Truncated);
		}
		let (header, body) = bytes.split_at(HEADER_LEN);
		if header[..4] != MAGIC {
			return Err(ArtifactError::BadMagic);
		}
		let version = u16::from_le_bytes([header[4], header[5]]);
		if version != VERSION {
			return Err(ArtifactError::UnsupportedVersion(version));
		}
		let array = |range: core::ops::Range<usize>| -> [u8; 32] {
			header[range].try_into().expect("32 bytes")
		};
		let num_samples = u64::from_le_bytes(header[70..78].try_into().expect("8 bytes"));
		let declared = u32::from_le_bytes(header[78..82].try_into().expect("4 bytes"));
		let expected = expected_words.map_or(body.len() as u64 / 8, |n| n as u64);
		if u64::from(declared) != expected || body.len() as u64 != u64::from(declared) * 8 {
			return Err(ArtifactError::WrongLength { declared, expected });
		}
		let words = body
			.chunks_exact(8)
			.map(|w| u64::from_le_bytes(w.try_into().expect("8 bytes")))
			.collect();
		Ok(Self { schema_hash: array(6..38), author: array(38..70), num_samples, words })
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use proptest::prelude::*;

	fn masked(words: Vec<u64>) -> MaskedUpdate {
		MaskedUpdate { schema_hash: [1; 32], author: [2; 32], num_samples: 77, words }
	}

	proptest! {
		#[test]
		fn encode_then_decode_is_identity(words in proptest::collection::vec(any::<u64>(), 0..64)) {
			let update = masked(words);
			let bytes = update.encode();
			prop_assert_eq!(bytes.len(), HEADER_LEN + 8 * update.words.len());
			prop_assert_eq!(MaskedUpdate::decode(&bytes, Some(update.words.len())), Ok(update.clone()));
			prop_assert_eq!(MaskedUpdate::decode(&bytes, None), Ok(update));
		}

		#[test]
		fn any_bytes_decode_or_are_named_without_panicking(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
			let _ = MaskedUpdate::decode(&bytes, None);
			let _ = MaskedUpdate::decode(&bytes, Some(3));
		}
	}

	#[test]
	fn malformed_bytes_are_named() {
		let bytes = masked(vec![5, 6, 7]).encode();
		assert_eq!(
			MaskedUpdate::decode(&bytes[..HEADER_LEN - 1], None),
			Err(ArtifactError::Truncated)
		);
		let mut other = bytes.clone();
		other[..4].copy_from_slice(b"DINU");
		assert_eq!(MaskedUpdate::decode(&other, None), Err(ArtifactError::BadMagic));
		let mut newer = bytes.clone();
		newer[4] = 2;
		assert_eq!(MaskedUpdate::decode(&newer, None), Err(ArtifactError::UnsupportedVersion(2)));
		assert_eq!(
			MaskedUpdate::decode(&bytes[..bytes.len() - 1], None),
			Err(ArtifactError::WrongLength { declared: 3, expected: 2 })
		);
		// A header declaring a billion words over three is refused before any allocation.
		let mut huge = bytes.clone();
		huge[78..82].copy_from_slice(&1_000_000_000u32.to_le_bytes());
		assert_eq!(
			MaskedUpdate::decode(&huge, Some(3)),
			Err(ArtifactError::WrongLength { declared: 1_000_000_000, expected: 3 })
		);
		assert_eq!(
			MaskedUpdate::decode(&bytes, Some(4)),
			Err(ArtifactError::WrongLength { declared: 3, expected: 4 })
		);
	}
}
