//! Content addresses of store artifacts, computed without the store: the off-chain
//! workers name the aggregates they commit to with the CID that `din-store` gives the
//! same bytes, so a worker's vote and a daemon's agree bit for bit.
//!
//! An artifact is cut into raw blocks of at most [`MAX_BLOCK_SIZE`] bytes (CIDv1, codec
//! `raw` 0x55, sha2-256) listed by a DAG-CBOR manifest `{size, blocks, version}` (CIDv1,
//! codec `dag-cbor` 0x71, sha2-256), whose CID is the artifact's. The chain stores a CID
//! as the bytes of its string form (multibase base32, `b…`). `din-store`'s tests check
//! that [`artifact_cid`] equals the CID the store assigns.

use alloc::string::String;
use alloc::vec::Vec;

use sha2::{Digest, Sha256};

/// Largest block, in bytes (1 MiB), as in `din_store::dag`.
pub const MAX_BLOCK_SIZE: usize = 1 << 20;
/// The manifest format version `din-store` writes.
pub const MANIFEST_VERSION: u64 = 1;

const RAW: u8 = 0x55;
const DAG_CBOR: u8 = 0x71;
const SHA2_256: u8 = 0x12;
const DIGEST_LEN: u8 = 32;

/// The binary CIDv1 of `bytes` under `codec`: `0x01 ‖ codec ‖ 0x12 ‖ 0x20 ‖ sha256`.
fn cid_bytes(codec: u8, bytes: &[u8]) -> Vec<u8> {
	let mut cid = Vec::with_capacity(36);
	cid.extend_from_slice(&[0x01, codec, SHA2_256, DIGEST_LEN]);
	cid.extend_from_slice(&Sha256::digest(bytes));
	cid
}

/// A CBOR head (major type, argument), minimally encoded as DAG-CBOR requires.
fn cbor_head(out: &mut Vec<u8>, major: u8, value: u64) {
	let major = major << 5;
	match value {
		0..=23 => out.push(major | value as u8),
		24..=0xff => out.extend_from_slice(&[major | 24, value as u8]),
		0x100..=0xffff => {
			out.push(major | 25);
			out.extend_from_slice(&(value as u16).to_be_bytes());
		},
		0x1_0000..=0xffff_ffff => {
			out.push(major | 26);
			out.extend_from_slice(&(value as u32).to_be_bytes());
		},
		_ => {
			out.push(major | 27);
			out.extend_from_slice(&value.to_be_bytes());
		},
	}
}

fn cbor_text(out: &mut Vec<u8>, text: &str) {
	cbor_head(out, 3, text.len() as u64);
	out.extend_from_slice(text.as_bytes());
}

/// The DAG-CBOR manifest of an artifact of `len` bytes made of `blocks` (binary CIDs).
/// Keys in DAG-CBOR's canonical order (shorter first): `size`, `blocks`, `version`.
fn manifest(len: usize, blocks: &[Vec<u8>]) -> Vec<u8> {
	let mut out = Vec::with_capacity(32 + blocks.len() * 41);
	cbor_head(&mut out, 5, 3);
	cbor_text(&mut out, "size");
	cbor_head(&mut out, 0, len as u64);
	cbor_text(&mut out, "blocks");
	cbor_head(&mut out, 4, blocks.len() as u64);
	for cid in blocks {
		// A link: tag 42 over the CID's bytes behind the identity multibase prefix 0x00.
		cbor_head(&mut out, 6, 42);
		cbor_head(&mut out, 2, cid.len() as u64 + 1);
		out.push(0x00);
		out.extend_from_slice(cid);
	}
	cbor_text(&mut out, "version");
	cbor_head(&mut out, 0, MANIFEST_VERSION);
	out
}

/// RFC 4648 base32, lower case, no padding: multibase `b`.
fn base32_lower(bytes: &[u8]) -> String {
	const ALPHABET: &[u8; 32] = b"abcdefghijklmnopqrstuvwxyz234567";
	let mut out = String::with_capacity(bytes.len().div_ceil(5) * 8);
	let (mut buffer, mut bits) = (0u32, 0u32);
	for &byte in bytes {
		buffer = (buffer << 8) | u32::from(byte);
		bits += 8;
		while bits >= 5 {
			bits -= 5;
			out.push(char::from(ALPHABET[((buffer >> bits) & 31) as usize]));
		}
		buffer &= (1 << bits) - 1;
	}
	if bits > 0 {
		out.push(char::from(ALPHABET[((buffer << (5 - bits)) & 31) as usize]));
	}
	out
}

/// The string CID of one raw block (at most [`MAX_BLOCK_SIZE`] bytes): how the store
/// addresses the blocks a manifest lists.
pub fn block_cid(block: &[u8]) -> String {
	let mut out = String::from("b");
	out.push_str(&base32_lower(&cid_bytes(RAW, block)));
	out
}

/// The string CID `din-store` gives the artifact `bytes`: its manifest's.
pub fn artifact_cid(bytes: &[u8]) -> String {
	let blocks: Vec<Vec<u8>> =
		bytes.chunks(MAX_BLOCK_SIZE).map(|chunk| cid_bytes(RAW, chunk)).collect();
	let mut out = String::from("b");
	out.push_str(&base32_lower(&cid_bytes(DAG_CBOR, &manifest(bytes.len(), &blocks))));
	out
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn the_empty_block_has_the_well_known_ipfs_cid() {
		// `ipfs block put --cid-codec raw --mhtype sha2-256 < /dev/null`
		assert_eq!(block_cid(b""), "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku");
	}

	#[test]
	fn base32_matches_rfc4648_vectors() {
		for (input, expected) in [
			("", ""),
			("f", "my"),
			("fo", "mzxq"),
			("foo", "mzxw6"),
			("fooba", "mzxw6ytb"),
			("foobar", "mzxw6ytboi"),
		] {
			assert_eq!(base32_lower(input.as_bytes()), expected, "{input}");
		}
	}

	#[test]
	fn cbor_heads_are_minimal() {
		let head = |major, value| {
			let mut out = Vec::new();
			cbor_head(&mut out, major, value);
			out
		};
		assert_eq!(head(0, 23), [0x17]);
		assert_eq!(head(0, 24), [0x18, 24]);
		assert_eq!(head(0, 1 << 20), [0x1a, 0x00, 0x10, 0x00, 0x00]);
		assert_eq!(head(0, 1 << 40), [0x1b, 0, 0, 1, 0, 0, 0, 0, 0]);
	}
}
