//! Poseidon commitments to models and test sets: the one definition the client, the
//! runtime and the circuit share.
//!
//! ## Packing (injective by construction)
//!
//! Values become a *bit stream*, which is cut into chunks of [`PACK_BITS`] = 253 bits, each
//! read little-endian as one BN254 scalar (every 253-bit integer is below the 254-bit
//! modulus, so a chunk is its own canonical representative). The last chunk is zero-padded;
//! the element count in the header makes padding unambiguous.
//!
//! - **Model** (`values`: the update's flat i32 vector in schema order): each value
//!   contributes its 32-bit two's-complement pattern, least significant bit first. 7.9
//!   values per field element.
//! - **Test set** (`features_q`: row-major `samples × inputs` quantized features,
//!   `labels`: class indices): only features on the digits grid are committable: multiples
//!   of [`FEATURE_STEP`] = 4096 in `[0, 65536]`, i.e. a raw pixel `p = f / 4096 ∈ [0, 16]`
//!   (the canonical quantization of `pixel / 16`). Each sample contributes its pixels as
//!   [`PIXEL_BITS`] = 5 bits each (LSB first) followed by its label one-hot in `classes`
//!   bits. Committing raw pixels instead of `f` keeps the circuit's range checks at 5
//!   booleans per feature; the circuit multiplies by the constant 4096 (folded into the
//!   arithmetic, see `din-zk`). Anything off the grid, or a label `≥ classes`, is refused
//!   with an error instead of being committed.
//!
//! - **Test set, signed features** ([`FeatureDomain::Signed`], for tasks whose inputs are
//!   preprocessed into `[−clip, clip]`): any quantized feature `x` with
//!   `−2^(bits−1) ≤ x < 2^(bits−1)` contributes the `bits` bits of `x + 2^(bits−1)` (LSB
//!   first), then the sample's one-hot label as above. `bits` is in the header, and the
//!   domain tag differs, so no test set has the same commitment in both domains.
//!
//! ## Hash
//!
//! `commitment = Poseidon(domain, header…, chunks…)`: one fresh sponge with the
//! [`crate::poseidon`] parameters absorbs the domain tag, the header and the chunks, and
//! squeezes one element. Headers: model `[DOMAIN_MODEL, value_count]`; test set
//! `[DOMAIN_TEST_SET, samples, inputs, classes]`; test set of signed features
//! `[DOMAIN_TEST_SET_SIGNED, samples, inputs, classes, bits]`. On the wire a commitment is its 32-byte
//! little-endian canonical encoding ([`to_bytes`]).
use alloc::vec::Vec;
use ark_bn254::Fr;
use ark_ff::{BigInteger, BigInteger256, PrimeField};

/// Bits per packed field element.
pub const PACK_BITS: usize = 253;
/// Bits per model value (two's complement i32).
pub const VALUE_BITS: usize = 32;
/// Quantized features must be multiples of this (digits pixels `p / 16` at scale 2^16).
pub const FEATURE_STEP: i32 = 4096;
/// Largest committable raw pixel (`FEATURE_MAX / FEATURE_STEP`).
pub const PIXEL_MAX: i32 = 16;
/// Largest committable quantized feature (1.0 at scale 2^16).
pub const FEATURE_MAX: i32 = PIXEL_MAX * FEATURE_STEP;
/// Bits per committed raw pixel.
pub const PIXEL_BITS: usize = 5;
/// Domain tag of model commitments (`"DIN/MDL1"` as a big-endian u64).
pub const DOMAIN_MODEL: u64 = u64::from_be_bytes(*b"DIN/MDL1");
/// Domain tag of test-set commitments (`"DIN/TST1"` as a big-endian u64).
pub const DOMAIN_TEST_SET: u64 = u64::from_be_bytes(*b"DIN/TST1");
/// Domain tag of signed-feature test-set commitments (`"DIN/TST2"` as a big-endian u64).
pub const DOMAIN_TEST_SET_SIGNED: u64 = u64::from_be_bytes(*b"DIN/TST2");
/// Widest signed feature a commitment (and the circuit) takes: 2^23 = 128.0 at scale 2^16.
pub const SIGNED_FEATURE_MAX_BITS: u8 = 24;

/// Which quantized features a test set may hold, and how each is committed (module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FeatureDomain {
	/// Digits pixels: multiples of [`FEATURE_STEP`] in `[0, FEATURE_MAX]`, 5 bits each.
	DigitsGrid,
	/// Any `x` with `−2^(bits−1) ≤ x < 2^(bits−1)`, `2 ≤ bits ≤ SIGNED_FEATURE_MAX_BITS`.
	Signed { bits: u8 },
}

impl FeatureDomain {
	/// The signed domain that holds every feature of magnitude at most `max_abs` (the
	/// quantized clip bound of a task's preprocessing); `None` beyond the widest.
	pub fn signed_for(max_abs: u32) -> Option<Self> {
		// The smallest `bits` with max_abs < 2^(bits−1).
		let bits = (33 - max_abs.leading_zeros()).max(2);
		(bits <= u32::from(SIGNED_FEATURE_MAX_BITS)).then_some(Self::Signed { bits: bits as u8 })
	}

	/// Bits each committed feature takes.
	pub fn code_bits(&self) -> usize {
		match *self {
			Self::DigitsGrid => PIXEL_BITS,
			Self::Signed { bits } => usize::from(bits),
		}
	}

	/// What is subtracted from a feature's code to get its value in steps
	/// (`x = 2^step_shift · (code − offset)`).
	pub fn offset(&self) -> u32 {
		match *self {
			Self::DigitsGrid => 0,
			Self::Signed { bits } => 1 << (bits - 1),
		}
	}

	/// `log2` of the step between committable features (4096 = 2^12 on the digits grid).
	pub fn step_shift(&self) -> u32 {
		match *self {
			Self::DigitsGrid => 12,
			Self::Signed { .. } => 0,
		}
	}

	/// The committed code of quantized feature `value` (number `index` of the set).
	pub fn code_of(&self, index: usize, value: i32) -> Result<u32, CommitmentError> {
		match *self {
			Self::DigitsGrid => feature_to_pixel(index, value).map(u32::from),
			Self::Signed { bits } => {
				let half = 1i64 << (bits - 1);
				let shifted = i64::from(value) + half;
				if (0..2 * half).contains(&shifted) {
					Ok(shifted as u32)
				} else {
					Err(CommitmentError::FeatureOutOfRange { index, value, bits })
				}
			},
		}
	}

	/// Whether the domain is one commitments and the circuit take.
	pub fn is_valid(&self) -> bool {
		match *self {
			Self::DigitsGrid => true,
			Self::Signed { bits } => (2..=SIGNED_FEATURE_MAX_BITS).contains(&bits),
		}
	}

	/// The commitment's header: the domain tag and the set's dimensions (module docs).
	pub fn header(&self, samples: usize, inputs: usize, classes: usize) -> Vec<Fr> {
		let mut header = match *self {
			Self::DigitsGrid => alloc::vec![Fr::from(DOMAIN_TEST_SET)],
			Self::Signed { .. } => alloc::vec![Fr::from(DOMAIN_TEST_SET_SIGNED)],
		};
		header.extend([samples, inputs, classes].map(|n| Fr::from(n as u64)));
		if let Self::Signed { bits } = *self {
			header.push(Fr::from(u64::from(bits)));
		}
		header
	}
}

/// Why a test set (or commitment bytes) cannot be committed to (or decoded).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CommitmentError {
	/// `features_q.len()` is not `labels.len() * inputs`.
	ShapeMismatch { features: usize, labels: usize, inputs: usize },
	/// A feature is not a multiple of 4096 in `[0, 65536]`.
	FeatureOffGrid { index: usize, value: i32 },
	/// A feature is outside the signed domain's `bits`.
	FeatureOutOfRange { index: usize, value: i32, bits: u8 },
	/// A signed domain of an unsupported width.
	UnsupportedDomain,
	/// A label is not a class index below `classes`.
	LabelOutOfRange { sample: usize, label: u32, classes: usize },
	/// 32 bytes that are not a canonical field element.
	NonCanonical,
}

impl core::fmt::Display for CommitmentError {
	fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
		match self {
			Self::ShapeMismatch { features, labels, inputs } => write!(
				f,
				"test set shape mismatch: {features} features for {labels} labels of {inputs} inputs"
			),
			Self::FeatureOffGrid { index, value } => write!(
				f,
				"feature {index} = {value} is not a multiple of {FEATURE_STEP} in [0, {FEATURE_MAX}]"
			),
			Self::FeatureOutOfRange { index, value, bits } => {
				write!(f, "feature {index} = {value} does not fit {bits} signed bits")
			},
			Self::UnsupportedDomain => {
				write!(f, "signed test-set features take 2 to {SIGNED_FEATURE_MAX_BITS} bits")
			},
			Self::LabelOutOfRange { sample, label, classes } => {
				write!(f, "label {label} of sample {sample} is not below {classes} classes")
			},
			Self::NonCanonical => write!(f, "bytes are not a canonical BN254 scalar"),
		}
	}
}

impl core::error::Error for CommitmentError {}

/// Packs a little-endian bit stream into field elements of [`PACK_BITS`] bits each.
pub fn pack_bits(bits: &[bool]) -> Vec<Fr> {
	bits.chunks(PACK_BITS)
		.map(|chunk| {
			let mut padded = [false; 256];
			padded[..chunk.len()].copy_from_slice(chunk);
			// 253 bits < modulus: always canonical.
			Fr::from_bigint(BigInteger256::from_bits_le(&padded)).unwrap_or_default()
		})
		.collect()
}

/// The model bit stream: every value's 32-bit two's-complement pattern, LSB first.
pub fn model_bits(values: &[i32]) -> Vec<bool> {
	let mut bits = Vec::with_capacity(values.len() * VALUE_BITS);
	for &v in values {
		let u = v as u32;
		bits.extend((0..VALUE_BITS).map(|i| (u >> i) & 1 == 1));
	}
	bits
}

/// The model commitment (see the module docs): `Poseidon(DOMAIN_MODEL, len,
/// pack_bits(model_bits(values)))`, packed straight from the values into the sponge
/// (no bit vector: an update of 2^16 values is 2 Mbit).
pub fn model_commitment(values: &[i32]) -> Fr {
	crate::poseidon::hash_with(|sponge| {
		sponge.absorb(Fr::from(DOMAIN_MODEL));
		sponge.absorb(Fr::from(values.len() as u64));
		let mut packer = BitPacker::default();
		for &v in values {
			packer.push(v as u32, |chunk| sponge.absorb(chunk));
		}
		packer.finish(|chunk| sponge.absorb(chunk));
	})
}

/// [`pack_bits`] of a stream of 32-bit words, LSB first, one chunk at a time.
#[derive(Default)]
struct BitPacker {
	limbs: [u64; 4],
	/// Bits in the current chunk.
	len: usize,
}

impl BitPacker {
	fn push(&mut self, word: u32, mut emit: impl FnMut(Fr)) {
		let (mut word, mut count) = (u64::from(word), VALUE_BITS);
		while count > 0 {
			let take = count.min(PACK_BITS - self.len);
			let bits = word & ((1u64 << take) - 1);
			let (limb, offset) = (self.len / 64, self.len % 64);
			self.limbs[limb] |= bits << offset;
			if offset + take > 64 {
				self.limbs[limb + 1] |= bits >> (64 - offset);
			}
			self.len += take;
			word >>= take;
			count -= take;
			if self.len == PACK_BITS {
				self.flush(&mut emit);
			}
		}
	}

	fn finish(mut self, mut emit: impl FnMut(Fr)) {
		if self.len > 0 {
			self.flush(&mut emit);
		}
	}

	fn flush(&mut self, emit: &mut impl FnMut(Fr)) {
		// 253 bits < modulus: always canonical.
		emit(Fr::from_bigint(BigInteger256::new(self.limbs)).unwrap_or_default());
		*self = Self::default();
	}
}

/// The raw pixel of a committable quantized feature (`f / 4096`).
pub fn feature_to_pixel(index: usize, value: i32) -> Result<u8, CommitmentError> {
	if !(0..=FEATURE_MAX).contains(&value) || value % FEATURE_STEP != 0 {
		return Err(CommitmentError::FeatureOffGrid { index, value });
	}
	Ok((value / FEATURE_STEP) as u8)
}

/// Checks the test set and returns its raw pixels (row-major): [`test_set_codes`] on the
/// digits grid.
pub fn test_set_pixels(
	features_q: &[i32],
	labels: &[u32],
	inputs: usize,
	classes: usize,
) -> Result<Vec<u8>, CommitmentError> {
	let codes = test_set_codes(FeatureDomain::DigitsGrid, features_q, labels, inputs, classes)?;
	// Pixels are at most 16.
	Ok(codes.into_iter().map(|code| code as u8).collect())
}

/// Checks the test set's shape, labels and features against `domain`, and returns every
/// feature's committed code (row-major).
pub fn test_set_codes(
	domain: FeatureDomain,
	features_q: &[i32],
	labels: &[u32],
	inputs: usize,
	classes: usize,
) -> Result<Vec<u32>, CommitmentError> {
	if !domain.is_valid() {
		return Err(CommitmentError::UnsupportedDomain);
	}
	if features_q.len() != labels.len().saturating_mul(inputs) {
		return Err(CommitmentError::ShapeMismatch {
			features: features_q.len(),
			labels: labels.len(),
			inputs,
		});
	}
	if let Some((sample, &label)) =
		labels.iter().enumerate().find(|(_, &l)| (l as usize) >= classes)
	{
		return Err(CommitmentError::LabelOutOfRange { sample, label, classes });
	}
	features_q.iter().enumerate().map(|(i, &f)| domain.code_of(i, f)).collect()
}

/// The test-set bit stream: per sample, `code_bits` bits per feature code then the
/// one-hot label. `codes` must come from [`test_set_codes`] (5-bit pixels on the digits
/// grid).
pub fn test_set_bits(
	codes: &[u32],
	labels: &[u32],
	inputs: usize,
	classes: usize,
	code_bits: usize,
) -> Vec<bool> {
	let mut bits = Vec::with_capacity(labels.len() * (inputs * code_bits + classes));
	for (n, &label) in labels.iter().enumerate() {
		for &code in &codes[n * inputs..(n + 1) * inputs] {
			bits.extend((0..code_bits).map(|i| (code >> i) & 1 == 1));
		}
		bits.extend((0..classes).map(|c| c == label as usize));
	}
	bits
}

/// The test-set commitment on the digits grid (see the module docs). `features_q` is
/// row-major `labels.len() × inputs`.
pub fn test_set_commitment(
	features_q: &[i32],
	labels: &[u32],
	inputs: usize,
	classes: usize,
) -> Result<Fr, CommitmentError> {
	test_set_commitment_in(FeatureDomain::DigitsGrid, features_q, labels, inputs, classes)
}

/// The test-set commitment in `domain` (see the module docs).
pub fn test_set_commitment_in(
	domain: FeatureDomain,
	features_q: &[i32],
	labels: &[u32],
	inputs: usize,
	classes: usize,
) -> Result<Fr, CommitmentError> {
	let codes = test_set_codes(domain, features_q, labels, inputs, classes)?;
	let mut input = domain.header(labels.len(), inputs, classes);
	input.extend(pack_bits(&test_set_bits(&codes, labels, inputs, classes, domain.code_bits())));
	Ok(crate::poseidon::hash(&input))
}

/// 32-byte little-endian canonical encoding of a commitment (or any scalar).
pub fn to_bytes(c: &Fr) -> [u8; 32] {
	let mut out = [0u8; 32];
	let le = c.into_bigint().to_bytes_le();
	out[..le.len()].copy_from_slice(&le);
	out
}

/// Inverse of [`to_bytes`]; rejects non-canonical encodings (`≥ modulus`).
pub fn from_bytes(bytes: &[u8; 32]) -> Result<Fr, CommitmentError> {
	let mut limbs = [0u64; 4];
	for (i, limb) in limbs.iter_mut().enumerate() {
		let mut w = [0u8; 8];
		w.copy_from_slice(&bytes[i * 8..i * 8 + 8]);
		*limb = u64::from_le_bytes(w);
	}
	Fr::from_bigint(BigInteger256::new(limbs)).ok_or(CommitmentError::NonCanonical)
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn packing_is_little_endian_and_chunked() {
		let mut bits = alloc::vec![false; PACK_BITS + 1];
		bits[0] = true;
		bits[2] = true;
		bits[PACK_BITS] = true;
		assert_eq!(pack_bits(&bits), alloc::vec![Fr::from(5u64), Fr::from(1u64)]);
	}

	/// The streamed packing is the definition's: `pack_bits(model_bits(values))` hashed as
	/// one input, at lengths around the 253-bit chunk edges and with every bit pattern.
	#[test]
	fn model_commitment_streams_what_the_bit_definition_packs() {
		let mut seed = 0x9e37_79b9_7f4a_7c15u64;
		let values: Vec<i32> = (0..600)
			.map(|_| {
				seed ^= seed << 13;
				seed ^= seed >> 7;
				seed ^= seed << 17;
				seed as i32
			})
			.collect();
		for len in [0, 1, 7, 8, 9, 15, 16, 17, 63, 64, 65, 253, 600] {
			let values = &values[..len];
			let mut input = alloc::vec![Fr::from(DOMAIN_MODEL), Fr::from(len as u64)];
			input.extend(pack_bits(&model_bits(values)));
			assert_eq!(model_commitment(values), crate::poseidon::sponge_hash(&input), "{len}");
		}
		assert_eq!(
			model_commitment(&[i32::MIN, -1, i32::MAX]),
			crate::poseidon::sponge_hash(&{
				let mut input = alloc::vec![Fr::from(DOMAIN_MODEL), Fr::from(3u64)];
				input.extend(pack_bits(&model_bits(&[i32::MIN, -1, i32::MAX])));
				input
			})
		);
	}

	#[test]
	fn model_commitment_separates_values_and_lengths() {
		let a = model_commitment(&[1, -1, 0]);
		assert_ne!(a, model_commitment(&[1, -1]));
		assert_ne!(a, model_commitment(&[1, -1, 0, 0]));
		assert_ne!(a, model_commitment(&[-1, 1, 0]));
		assert_eq!(a, model_commitment(&[1, -1, 0]));
	}

	#[test]
	fn signed_features_commit_in_their_own_domain_within_their_bits() {
		assert_eq!(FeatureDomain::signed_for(0), Some(FeatureDomain::Signed { bits: 2 }));
		assert_eq!(FeatureDomain::signed_for(1), Some(FeatureDomain::Signed { bits: 2 }));
		assert_eq!(FeatureDomain::signed_for(2), Some(FeatureDomain::Signed { bits: 3 }));
		// clip 5.0 at scale 2^16.
		assert_eq!(FeatureDomain::signed_for(327_680), Some(FeatureDomain::Signed { bits: 20 }));
		assert_eq!(FeatureDomain::signed_for(1 << 23), None);
		let domain = FeatureDomain::Signed { bits: 4 };
		// [-8, 7] fits 4 signed bits.
		let features = [-8, 7, 0, -1];
		let signed = test_set_commitment_in(domain, &features, &[0, 1], 2, 2).unwrap();
		assert_eq!(
			test_set_codes(domain, &features, &[0, 1], 2, 2).unwrap(),
			alloc::vec![0, 15, 8, 7]
		);
		let mut input = alloc::vec![
			Fr::from(DOMAIN_TEST_SET_SIGNED),
			Fr::from(2u64),
			Fr::from(2u64),
			Fr::from(2u64),
			Fr::from(4u64),
		];
		input.extend(pack_bits(&test_set_bits(&[0, 15, 8, 7], &[0, 1], 2, 2, 4)));
		assert_eq!(signed, crate::poseidon::hash(&input));
		assert_eq!(
			test_set_commitment_in(domain, &[8, 0], &[0], 2, 2),
			Err(CommitmentError::FeatureOutOfRange { index: 0, value: 8, bits: 4 })
		);
		assert_eq!(
			test_set_commitment_in(FeatureDomain::Signed { bits: 25 }, &[0, 0], &[0], 2, 2),
			Err(CommitmentError::UnsupportedDomain)
		);
		// The same grid features commit differently per domain, and per width.
		let grid = [0, 4096, 65536, 8192];
		let wide = FeatureDomain::Signed { bits: 18 };
		let digits = test_set_commitment(&grid, &[0, 1], 2, 2).unwrap();
		assert_ne!(digits, test_set_commitment_in(wide, &grid, &[0, 1], 2, 2).unwrap());
		assert_ne!(
			test_set_commitment_in(FeatureDomain::Signed { bits: 19 }, &grid, &[0, 1], 2, 2),
			test_set_commitment_in(wide, &grid, &[0, 1], 2, 2)
		);
	}

	#[test]
	fn test_set_checks_grid_labels_and_shape() {
		assert!(test_set_commitment(&[0, 4096, 65536, 8192], &[0, 1], 2, 2).is_ok());
		assert_eq!(
			test_set_commitment(&[0, 4095], &[0], 2, 2),
			Err(CommitmentError::FeatureOffGrid { index: 1, value: 4095 })
		);
		assert!(matches!(
			test_set_commitment(&[0, 69632], &[0], 2, 2),
			Err(CommitmentError::FeatureOffGrid { .. })
		));
		assert!(matches!(
			test_set_commitment(&[0, 0], &[2], 2, 2),
			Err(CommitmentError::LabelOutOfRange { .. })
		));
		assert!(matches!(
			test_set_commitment(&[0, 0, 0], &[0], 2, 2),
			Err(CommitmentError::ShapeMismatch { .. })
		));
		let a = test_set_commitment(&[0, 4096], &[0], 2, 2).unwrap();
		assert_ne!(a, test_set_commitment(&[0, 4096], &[1], 2, 2).unwrap());
		assert_ne!(a, test_set_commitment(&[4096, 0], &[0], 2, 2).unwrap());
	}

	#[test]
	fn bytes_round_trip_and_reject_non_canonical() {
		let c = model_commitment(&[7, 8, 9]);
		assert_eq!(from_bytes(&to_bytes(&c)), Ok(c));
		assert_eq!(from_bytes(&[0xff; 32]), Err(CommitmentError::NonCanonical));
	}
}
