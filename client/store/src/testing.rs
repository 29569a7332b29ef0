//! Helpers for tests and benchmarks (feature `testing`; never in production builds).

/// `len` pseudo-random bytes from `seed` (xorshift64): deterministic, incompressible, and
/// with no two equal 1 MiB blocks, so chunking and deduplication are really exercised.
pub fn pseudo_random_bytes(len: usize, seed: u64) -> Vec<u8> {
	let mut state = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
	let mut bytes = Vec::with_capacity(len + 8);
	while bytes.len() < len {
		state ^= state << 13;
		state ^= state >> 7;
		state ^= state << 17;
		bytes.extend_from_slice(&state.to_le_bytes());
	}
	bytes.truncate(len);
	bytes
}
