//! Fixed-point values and the canonical update wire format.
//!
//! Model parameters travel as `i32` fixed point with [`FRAC_BITS`] = 16 fractional bits:
//! [`quantize`] maps a real `f` to `round_half_away_from_zero(f · 2^16)`, saturated to
//! the `i32` range, and rejects NaN and ±∞ with [`NonFiniteValue`]. Everything
//! downstream (aggregation, the reference evaluator, the circuit) is integer arithmetic
//! on these values, which is why honest evaluators agree to the bit.
//!
//! The rounding is written with comparisons and integer casts only (no `f32::round`,
//! which needs `std`): `f · 2^16` is exact in `f64` for every finite `f32`, so the
//! result is the mathematically exact rounding.
//!
//! ## Update wire format (version 2, little-endian)
//!
//! ```text
//! magic        4 bytes  b"DINU"
//! version      u16      2
//! schema_hash  32 bytes
//! author       32 bytes
//! num_samples  u64
//! value_count  u32
//! values       value_count × i32
//! ```
//!
//! Nothing may follow the values. [`Update::decode`] checks magic, version and the exact
//! length; [`Update::check_against`] then checks the schema hash and value count against
//! the task's [`Schema`]. The author binds a participant's update to the account that
//! submits it (`din_primitives::update_author`): the CID covers it, so a copy of another's
//! `(cid, commitment)` names the other account, and evaluators refuse it. Artifacts that are
//! no participant's work (aggregates, global models, the genesis model) name [`NO_AUTHOR`].
//! The commitment covers the values only. Both directions are byte-exact: `decode(encode(u)) == u` and
//! `encode(decode(b)) == b` for every `b` that decodes.

use alloc::vec::Vec;
use core::fmt;

use crate::spec::Schema;

/// Fractional bits of the fixed-point format.
pub const FRAC_BITS: u32 = 16;
/// `2^FRAC_BITS`: the fixed-point value of 1.0.
pub const SCALE: i32 = 1 << FRAC_BITS;
/// Magic prefix of an encoded update.
pub const UPDATE_MAGIC: [u8; 4] = *b"DINU";
/// Version written into, and required from, an encoded update.
pub const UPDATE_FORMAT_VERSION: u16 = 2;
/// Bytes before the first value: magic, version, schema hash, author, sample count, value
/// count.
pub const UPDATE_HEADER_LEN: usize = 4 + 2 + 32 + 32 + 8 + 4;

/// Who made an update: `din_primitives::update_author` of the participant's account.
pub type Author = [u8; 32];
/// The author of an artifact that is no participant's update: an aggregate, a global
/// model, the genesis model.
pub const NO_AUTHOR: Author = [0; 32];

/// [`quantize`] was given NaN or an infinity.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NonFiniteValue;

impl fmt::Display for NonFiniteValue {
	fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
		write!(f, "NaN or infinite value cannot be quantized")
	}
}

impl core::error::Error for NonFiniteValue {}

/// `round_half_away_from_zero(value · 2^16)` saturated to `[i32::MIN, i32::MAX]`.
pub fn quantize(value: f32) -> Result<i32, NonFiniteValue> {
	quantize_f64(f64::from(value))
}

/// [`quantize`] for an `f64` (same rounding and saturation; the DP noise path uses it).
pub fn quantize_f64(value: f64) -> Result<i32, NonFiniteValue> {
	if !value.is_finite() {
		return Err(NonFiniteValue);
	}
	// Clamping to ±2^33 first keeps the i64 arithmetic below far from overflow; every
	// value beyond it saturates anyway.
	let scaled = (value * f64::from(SCALE)).clamp(-8_589_934_592.0, 8_589_934_592.0);
	let truncated = scaled as i64; // toward zero; exact because |scaled| ≤ 2^33
	let fraction = scaled - truncated as f64; // exact: both operands are close integers
	let rounded = if fraction >= 0.5 {
		truncated + 1
	} else if fraction <= -0.5 {
		truncated - 1
	} else {
		truncated
	};
	Ok(rounded.clamp(i64::from(i32::MIN), i64::from(i32::MAX)) as i32)
}

/// `value / 2^16` as `f32` (exact for `|value| ≤ 2^24`, correctly rounded above).
pub fn dequantize(value: i32) -> f32 {
	value as f32 / SCALE as f32
}

/// Quantizes a slice; the error names the first non-finite position.
pub fn quantize_all(values: &[f32]) -> Result<Vec<i32>, EncodingError> {
	values
		.iter()
		.enumerate()
		.map(|(index, value)| {
			quantize(*value).map_err(|NonFiniteValue| EncodingError::NonFiniteValue { index })
		})
		.collect()
}

/// Dequantizes a slice.
pub fn dequantize_all(values: &[i32]) -> Vec<f32> {
	values.iter().map(|value| dequantize(*value)).collect()
}

/// Why values could not be encoded, or bytes are not a well-formed update for a schema.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EncodingError {
	/// The value at `index` is NaN or infinite.
	NonFiniteValue { index: usize },
	/// Fewer bytes than the fixed header.
	Truncated { len: usize },
	/// The bytes do not start with [`UPDATE_MAGIC`].
	BadMagic { found: [u8; 4] },
	/// A format version this code does not know.
	UnsupportedVersion { found: u16 },
	/// The length is not header + 4 × `value_count`.
	LengthMismatch { expected: usize, found: usize },
	/// More values than the header's `u32` count can describe.
	TooManyValues { count: usize },
	/// The update was made for another schema.
	SchemaHashMismatch { expected: [u8; 32], found: [u8; 32] },
	/// The update has the schema's hash but not its number of values.
	ValueCountMismatch { expected: usize, found: usize },
}

impl fmt::Display for EncodingError {
	fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
		match self {
			Self::NonFiniteValue { index } => write!(f, "value {index} is NaN or infinite"),
			Self::Truncated { len } => write!(
				f,
				"update has {len} bytes, shorter than its {UPDATE_HEADER_LEN}-byte header"
			),
			Self::BadMagic { found } => write!(f, "update does not start with \"DINU\": {found:?}"),
			Self::UnsupportedVersion { found } => {
				write!(f, "unsupported update format version {found}")
			},
			Self::LengthMismatch { expected, found } => {
				write!(f, "update should have {expected} bytes, has {found}")
			},
			Self::TooManyValues { count } => {
				write!(f, "{count} values do not fit the update's u32 value count")
			},
			Self::SchemaHashMismatch { .. } => {
				write!(f, "update schema hash differs from the task's schema hash")
			},
			Self::ValueCountMismatch { expected, found } => {
				write!(f, "schema has {expected} values, update has {found}")
			},
		}
	}
}

impl core::error::Error for EncodingError {}

/// A model (or model update) in canonical form: what participants publish, evaluators
/// aggregate and the circuit commits to.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Update {
	/// [`Schema::hash`] of the model the values belong to.
	pub schema_hash: [u8; 32],
	/// The participant the update is from ([`NO_AUTHOR`] for aggregates and models).
	pub author: Author,
	/// Training samples behind the update: its weight in FedAvg.
	pub num_samples: u64,
	/// Fixed-point parameters, flattened in schema order.
	pub values: Vec<i32>,
}

fn encoded_len_of(value_count: usize) -> usize {
	UPDATE_HEADER_LEN.saturating_add(value_count.saturating_mul(4))
}

impl Update {
	/// Quantizes real parameters (flattened in schema order) for `schema`, with
	/// [`NO_AUTHOR`] (a participant names itself before publishing).
	pub fn from_f32(
		schema: &Schema,
		num_samples: u64,
		values: &[f32],
	) -> Result<Self, EncodingError> {
		let update = Self {
			schema_hash: schema.hash(),
			author: NO_AUTHOR,
			num_samples,
			values: quantize_all(values)?,
		};
		update.check_shape(&update.schema_hash, schema.value_count())?;
		Ok(update)
	}

	/// The parameters as `f32`, in schema order.
	pub fn to_f32(&self) -> Vec<f32> {
		dequantize_all(&self.values)
	}

	/// Length of [`Self::encode`]'s output.
	pub fn encoded_len(&self) -> usize {
		encoded_len_of(self.values.len())
	}

	/// Length of an encoded update of `schema`: what a reader fetching one expects, so that
	/// it refuses a larger artifact before fetching it.
	pub fn encoded_len_for(schema: &Schema) -> usize {
		encoded_len_of(schema.value_count())
	}

	/// The wire bytes (module docs). Fails only beyond `u32::MAX` values.
	pub fn encode(&self) -> Result<Vec<u8>, EncodingError> {
		let count = u32::try_from(self.values.len())
			.map_err(|_| EncodingError::TooManyValues { count: self.values.len() })?;
		let mut out = Vec::with_capacity(self.encoded_len());
		out.extend_from_slice(&UPDATE_MAGIC);
		out.extend_from_slice(&UPDATE_FORMAT_VERSION.to_le_bytes());
		out.extend_from_slice(&self.schema_hash);
		out.extend_from_slice(&self.author);
		out.extend_from_slice(&self.num_samples.to_le_bytes());
		out.extend_from_slice(&count.to_le_bytes());
		for value in &self.values {
			out.extend_from_slice(&value.to_le_bytes());
		}
		Ok(out)
	}

	/// Parses wire bytes, checking magic, version and exact length.
	pub fn decode(bytes: &[u8]) -> Result<Self, EncodingError> {
		let Some((header, body)) = bytes.split_first_chunk::<UPDATE_HEADER_LEN>() else {
			return Err(EncodingError::Truncated { len: bytes.len() });
		};
		let (magic, rest) = split::<4>(header);
		if magic != UPDATE_MAGIC {
			return Err(EncodingError::BadMagic { found: magic });
		}
		let (version, rest) = split::<2>(rest);
		let version = u16::from_le_bytes(version);
		if version != UPDATE_FORMAT_VERSION {
			return Err(EncodingError::UnsupportedVersion { found: version });
		}
		let (schema_hash, rest) = split::<32>(rest);
		let (author, rest) = split::<32>(rest);
		let (num_samples, rest) = split::<8>(rest);
		let (count, _) = split::<4>(rest);
		let count = u32::from_le_bytes(count) as usize;
		let expected = count
			.checked_mul(4)
			.and_then(|len| len.checked_add(UPDATE_HEADER_LEN))
			.unwrap_or(usize::MAX);
		if bytes.len() != expected {
			return Err(EncodingError::LengthMismatch { expected, found: bytes.len() });
		}
		let values = body
			.chunks_exact(4)
			.map(|chunk| i32::from_le_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]))
			.collect();
		Ok(Self { schema_hash, author, num_samples: u64::from_le_bytes(num_samples), values })
	}

	/// Checks that the update belongs to `schema` (hash, then value count).
	pub fn check_against(&self, schema: &Schema) -> Result<(), EncodingError> {
		self.check_shape(&schema.hash(), schema.value_count())
	}

	/// [`Self::check_against`] with a precomputed schema hash and value count, for
	/// checking many updates without rehashing the schema.
	pub fn check_shape(
		&self,
		schema_hash: &[u8; 32],
		value_count: usize,
	) -> Result<(), EncodingError> {
		if &self.schema_hash != schema_hash {
			return Err(EncodingError::SchemaHashMismatch {
				expected: *schema_hash,
				found: self.schema_hash,
			});
		}
		if self.values.len() != value_count {
			return Err(EncodingError::ValueCountMismatch {
				expected: value_count,
				found: self.values.len(),
			});
		}
		Ok(())
	}
}

/// Splits a fixed-size head off a slice the caller knows to be long enough.
fn split<const N: usize>(bytes: &[u8]) -> ([u8; N], &[u8]) {
	let (head, tail) = bytes.split_at(N);
	let mut array = [0; N];
	array.copy_from_slice(head);
	(array, tail)
}

#[cfg(test)]
mod tests {
	use super::*;
	use crate::spec::ModelSpec;
	use alloc::vec;

	#[test]
	fn quantize_rounds_half_away_from_zero() {
		let half_step = 0.5 / 65536.0;
		assert_eq!(quantize(1.0), Ok(65536));
		assert_eq!(quantize(-1.0), Ok(-65536));
		assert_eq!(quantize(half_step), Ok(1));
		assert_eq!(quantize(-half_step), Ok(-1));
		assert_eq!(quantize(half_step * 0.99), Ok(0));
		assert_eq!(quantize(1.5 * 2.0 * half_step), Ok(2));
		assert_eq!(quantize(-2.5 * 2.0 * half_step), Ok(-3));
		assert_eq!(quantize(0.0), Ok(0));
		assert_eq!(quantize(-0.0), Ok(0));
	}

	#[test]
	fn quantize_saturates_and_rejects_non_finite() {
		assert_eq!(quantize(32768.0), Ok(i32::MAX));
		assert_eq!(quantize(-32768.0), Ok(i32::MIN));
		assert_eq!(quantize(f32::MAX), Ok(i32::MAX));
		assert_eq!(quantize(f32::MIN), Ok(i32::MIN));
		assert_eq!(quantize(32767.99999), Ok(i32::MAX));
		assert_eq!(quantize(f32::NAN), Err(NonFiniteValue));
		assert_eq!(quantize(f32::INFINITY), Err(NonFiniteValue));
		assert_eq!(quantize(f32::NEG_INFINITY), Err(NonFiniteValue));
		assert_eq!(quantize_all(&[1.0, f32::NAN]), Err(EncodingError::NonFiniteValue { index: 1 }));
	}

	#[test]
	fn dequantize_inverts_quantize_on_the_grid() {
		for q in [0, 1, -1, 65536, -65536, 123_456, i32::MIN, i32::MAX - 127] {
			if q.unsigned_abs() <= 1 << 24 {
				assert_eq!(quantize(dequantize(q)), Ok(q));
			}
		}
		assert_eq!(dequantize(32768), 0.5);
	}

	fn sample_update() -> Update {
		Update {
			schema_hash: [7; 32],
			author: [9; 32],
			num_samples: 1234,
			values: vec![1, -2, i32::MAX, i32::MIN],
		}
	}

	#[test]
	fn encode_matches_the_documented_layout() {
		let bytes = sample_update().encode().unwrap();
		assert_eq!(bytes.len(), UPDATE_HEADER_LEN + 16);
		assert_eq!(&bytes[..4], b"DINU");
		assert_eq!(&bytes[4..6], &[2, 0]);
		assert_eq!(&bytes[6..38], &[7; 32]);
		assert_eq!(&bytes[38..70], &[9; 32]);
		assert_eq!(&bytes[70..78], &1234u64.to_le_bytes());
		assert_eq!(&bytes[78..82], &4u32.to_le_bytes());
		assert_eq!(&bytes[82..86], &1i32.to_le_bytes());
		assert_eq!(&bytes[86..90], &(-2i32).to_le_bytes());
		assert_eq!(Update::decode(&bytes).unwrap(), sample_update());
	}

	#[test]
	fn malformed_bytes_are_named() {
		let bytes = sample_update().encode().unwrap();
		assert_eq!(Update::decode(&bytes[..10]), Err(EncodingError::Truncated { len: 10 }));
		let mut magic = bytes.clone();
		magic[3] = b'X';
		assert_eq!(Update::decode(&magic), Err(EncodingError::BadMagic { found: *b"DINX" }));
		let mut version = bytes.clone();
		version[4] = 1;
		assert_eq!(Update::decode(&version), Err(EncodingError::UnsupportedVersion { found: 1 }));
		let mut long = bytes.clone();
		long.push(0);
		assert_eq!(
			Update::decode(&long),
			Err(EncodingError::LengthMismatch { expected: bytes.len(), found: bytes.len() + 1 })
		);
		assert_eq!(
			Update::decode(&bytes[..bytes.len() - 4]),
			Err(EncodingError::LengthMismatch { expected: bytes.len(), found: bytes.len() - 4 })
		);
		let mut huge_count = bytes.clone();
		huge_count[78..82].copy_from_slice(&u32::MAX.to_le_bytes());
		assert!(matches!(Update::decode(&huge_count), Err(EncodingError::LengthMismatch { .. })));
	}

	#[test]
	fn check_against_names_schema_and_count_mismatches() {
		let schema = ModelSpec::SoftmaxRegression { inputs: 2, classes: 2 }.schema().unwrap();
		let good = Update::from_f32(&schema, 3, &[0.5, -0.25, 1.0, 2.0, 0.0, 1.0]).unwrap();
		assert_eq!(good.values, vec![32768, -16384, 65536, 131072, 0, 65536]);
		assert_eq!(good.check_against(&schema), Ok(()));
		let other = ModelSpec::SoftmaxRegression { inputs: 3, classes: 2 }.schema().unwrap();
		assert!(matches!(
			good.check_against(&other),
			Err(EncodingError::SchemaHashMismatch { .. })
		));
		let mut short = good.clone();
		short.values.pop();
		assert_eq!(
			short.check_against(&schema),
			Err(EncodingError::ValueCountMismatch { expected: 6, found: 5 })
		);
		assert_eq!(
			Update::from_f32(&schema, 3, &[0.0; 5]),
			Err(EncodingError::ValueCountMismatch { expected: 6, found: 5 })
		);
		assert_eq!(good.to_f32(), vec![0.5, -0.25, 1.0, 2.0, 0.0, 1.0]);
	}
}
