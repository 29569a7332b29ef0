//! Content addressing: CIDs for raw blocks and manifests, chunking and reassembly.
//!
//! An artifact (a model, an update) is cut into blocks of at most [`MAX_BLOCK_SIZE`]
//! bytes. Each block is addressed by a CIDv1 with the `raw` codec (0x55) and a sha2-256
//! multihash: the same CID `ipfs block put --cid-codec raw --mhtype sha2-256` gives, so
//! blocks are interchangeable with an IPFS node. A [`Manifest`] lists the block CIDs in
//! order and the total length; it is encoded as DAG-CBOR (CIDs as tag 42 links, so IPFS
//! tooling can traverse it) and addressed by a CIDv1 with the `dag-cbor` codec (0x71).
//! The manifest's CID is the artifact's CID.
//!
//! Every block is checked against its CID with [`verify_block`] before it is stored or
//! handed out; a manifest is also checked for shape ([`Manifest::decode`]), and an artifact
//! is reassembled block by block ([`Assembly`]).
//!
//! A manifest is a claim by whoever published it, and a cheap one: nothing is sized from
//! it before it is checked. It must list each block once, so the bytes a reader keeps
//! never exceed the distinct bytes it was served (listing one 1 MiB block 16,384 times
//! would otherwise declare 16 GiB for the price of 1 MiB); each block must have the length
//! its position implies (full blocks, then the remainder), checked as it arrives; and a
//! reader that knows how large the artifact can be ([`Manifest::check_at_most`]) refuses a
//! larger one before fetching any block.

use std::collections::HashSet;

use cid::Cid;
use multihash_codetable::{Code, MultihashDigest};
use serde::{Deserialize, Serialize};

use crate::error::{Result, StoreError};

/// Multicodec `raw`: the block is opaque bytes.
pub const RAW_CODEC: u64 = 0x55;
/// Multicodec `dag-cbor`: the block is a DAG-CBOR document (our manifests).
pub const DAG_CBOR_CODEC: u64 = 0x71;
/// Multihash code of sha2-256, the only hash this store produces or accepts.
pub const SHA2_256: u64 = 0x12;
/// Largest block, in bytes: 1 MiB. Chunks are exactly this size except the last.
pub const MAX_BLOCK_SIZE: usize = 1 << 20;
/// Largest artifact one manifest can describe: the manifest itself must fit in one
/// block, and each listed CID costs at most 48 bytes of DAG-CBOR, so 16 Ki blocks.
pub const MAX_ARTIFACT_SIZE: u64 = (MAX_BLOCK_SIZE as u64) * 16 * 1024;
/// Version written into new manifests.
pub const MANIFEST_VERSION: u32 = 1;

/// The list of blocks an artifact consists of.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
	/// Format version, [`MANIFEST_VERSION`].
	pub version: u32,
	/// Total artifact length in bytes (the sum of the block lengths).
	pub size: u64,
	/// The raw blocks, in order.
	pub blocks: Vec<Cid>,
}

impl Manifest {
	/// DAG-CBOR encoding of the manifest.
	pub fn encode(&self) -> Vec<u8> {
		serde_ipld_dagcbor::to_vec(self)
			.expect("integers and CIDs always encode as DAG-CBOR into a Vec; qed")
	}

	/// Decodes and checks a manifest block already verified against `cid`.
	pub fn decode(cid: &Cid, bytes: &[u8]) -> Result<Self> {
		let malformed = |reason: String| StoreError::MalformedManifest { cid: *cid, reason };
		let manifest: Manifest =
			serde_ipld_dagcbor::from_slice(bytes).map_err(|e| malformed(e.to_string()))?;
		if manifest.version != MANIFEST_VERSION {
			return Err(malformed(format!("unknown version {}", manifest.version)));
		}
		if manifest.size > MAX_ARTIFACT_SIZE {
			return Err(malformed(format!("size {} over the limit", manifest.size)));
		}
		let needed = manifest.size.div_ceil(MAX_BLOCK_SIZE as u64);
		if manifest.blocks.len() as u64 != needed {
			return Err(malformed(format!(
				"{} blocks listed for {} bytes (expected {needed})",
				manifest.blocks.len(),
				manifest.size
			)));
		}
		let mut listed = HashSet::with_capacity(manifest.blocks.len());
		for block in &manifest.blocks {
			if block.codec() != RAW_CODEC {
				return Err(malformed(format!("listed block {block} is not raw")));
			}
			check_supported(block)?;
			if !listed.insert(block) {
				return Err(malformed(format!("block {block} is listed twice")));
			}
		}
		Ok(manifest)
	}

	/// Refuses an artifact larger than `limit` bytes (what the reader knows it can be).
	pub fn check_at_most(&self, limit: u64) -> Result<()> {
		if self.size > limit {
			return Err(StoreError::ArtifactTooLarge { size: self.size, max: limit });
		}
		Ok(())
	}

	/// The length block `index` must have: full blocks, then the remainder.
	pub fn block_len(&self, index: usize) -> u64 {
		let before = (index as u64).saturating_mul(MAX_BLOCK_SIZE as u64);
		self.size.saturating_sub(before).min(MAX_BLOCK_SIZE as u64)
	}
}

/// An artifact being reassembled from its manifest's blocks, in order. Each block's length
/// is checked against [`Manifest::block_len`] before it is kept, so memory grows only with
/// bytes that were read and belong where they are.
pub struct Assembly<'a> {
	root: Cid,
	manifest: &'a Manifest,
	bytes: Vec<u8>,
	next: usize,
}

impl<'a> Assembly<'a> {
	/// An empty assembly of the artifact `root` described by `manifest`.
	pub fn new(root: Cid, manifest: &'a Manifest) -> Self {
		Assembly { root, manifest, bytes: Vec::new(), next: 0 }
	}

	/// The position in the manifest of the block [`Assembly::push`] takes next.
	pub fn next_index(&self) -> usize {
		self.next
	}

	/// Appends the next block (already verified against its CID).
	pub fn push(&mut self, block: &[u8]) -> Result<()> {
		self.check_next(block)?;
		self.bytes.extend_from_slice(block);
		self.next += 1;
		Ok(())
	}

	/// [`Assembly::push`] of a block the caller owns: the first one becomes the artifact's
	/// buffer instead of being copied (the whole artifact when it is one block).
	pub fn push_owned(&mut self, block: Vec<u8>) -> Result<()> {
		self.check_next(&block)?;
		if self.bytes.is_empty() {
			self.bytes = block;
		} else {
			self.bytes.extend_from_slice(&block);
		}
		self.next += 1;
		Ok(())
	}

	fn check_next(&self, block: &[u8]) -> Result<()> {
		let expected = self.manifest.block_len(self.next);
		if self.next >= self.manifest.blocks.len() || block.len() as u64 != expected {
			return Err(StoreError::MalformedManifest {
				cid: self.root,
				reason: format!(
					"block {} has {} bytes where the manifest's size implies {expected}",
					self.next,
					block.len()
				),
			});
		}
		Ok(())
	}

	/// The whole artifact, once every listed block was pushed.
	pub fn finish(self) -> Result<Vec<u8>> {
		if self.next != self.manifest.blocks.len() {
			return Err(StoreError::MalformedManifest {
				cid: self.root,
				reason: format!("{} of {} blocks assembled", self.next, self.manifest.blocks.len()),
			});
		}
		Ok(self.bytes)
	}
}

/// CIDv1 (raw, sha2-256) of a block.
pub fn raw_cid(bytes: &[u8]) -> Cid {
	Cid::new_v1(RAW_CODEC, Code::Sha2_256.digest(bytes))
}

/// CIDv1 (dag-cbor, sha2-256) of an encoded manifest.
pub fn manifest_cid(encoded: &[u8]) -> Cid {
	Cid::new_v1(DAG_CBOR_CODEC, Code::Sha2_256.digest(encoded))
}

/// Parses a CID string (any multibase), mapping failure to [`StoreError::MalformedCid`].
pub fn parse_cid(input: &str) -> Result<Cid> {
	let cid: Cid = input
		.trim()
		.parse()
		.map_err(|source| StoreError::MalformedCid { input: input.to_owned(), source })?;
	check_supported(&cid)?;
	Ok(cid)
}

/// Rejects CIDs this store never produces: not v1, not raw/dag-cbor, not sha2-256.
pub fn check_supported(cid: &Cid) -> Result<()> {
	let unsupported = |reason| Err(StoreError::UnsupportedCid { cid: *cid, reason });
	if cid.version() != cid::Version::V1 {
		return unsupported("only CIDv1 is used");
	}
	if cid.codec() != RAW_CODEC && cid.codec() != DAG_CBOR_CODEC {
		return unsupported("codec must be raw (0x55) or dag-cbor (0x71)");
	}
	if cid.hash().code() != SHA2_256 || cid.hash().size() != 32 {
		return unsupported("hash must be sha2-256");
	}
	Ok(())
}

/// Checks that `bytes` is the block `cid` names: size bound, then the hash.
pub fn verify_block(cid: &Cid, bytes: &[u8]) -> Result<()> {
	check_supported(cid)?;
	if bytes.len() > MAX_BLOCK_SIZE {
		return Err(StoreError::BlockTooLarge { size: bytes.len(), max: MAX_BLOCK_SIZE });
	}
	if Code::Sha2_256.digest(bytes) != *cid.hash() {
		return Err(StoreError::HashMismatch { cid: *cid });
	}
	Ok(())
}

/// An artifact cut into blocks, ready to be stored.
#[derive(Debug)]
pub struct Chunked {
	/// The artifact's CID (the manifest's).
	pub root: Cid,
	/// The encoded manifest block.
	pub manifest: Vec<u8>,
	/// The raw blocks, in order, with their CIDs.
	pub blocks: Vec<(Cid, Vec<u8>)>,
}

/// Cuts `bytes` into [`MAX_BLOCK_SIZE`] raw blocks and builds their manifest. Bytes whose
/// blocks repeat (a run of 1 MiB equal to another at a block boundary) are refused: a
/// manifest lists each block once.
pub fn chunk(bytes: &[u8]) -> Result<Chunked> {
	if bytes.len() as u64 > MAX_ARTIFACT_SIZE {
		return Err(StoreError::ArtifactTooLarge {
			size: bytes.len() as u64,
			max: MAX_ARTIFACT_SIZE,
		});
	}
	let blocks: Vec<(Cid, Vec<u8>)> = bytes
		.chunks(MAX_BLOCK_SIZE)
		.map(|chunk| (raw_cid(chunk), chunk.to_vec()))
		.collect();
	let mut distinct = HashSet::with_capacity(blocks.len());
	if let Some((cid, _)) = blocks.iter().find(|(cid, _)| !distinct.insert(*cid)) {
		return Err(StoreError::RepeatedBlock { cid: *cid });
	}
	let manifest = Manifest {
		version: MANIFEST_VERSION,
		size: bytes.len() as u64,
		blocks: blocks.iter().map(|(cid, _)| *cid).collect(),
	}
	.encode();
	Ok(Chunked { root: manifest_cid(&manifest), manifest, blocks })
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn din_fl_computes_the_same_cids_without_the_store() {
		// The off-chain workers commit to aggregates by the CID din_fl::content
		// computes; it must be the one this store assigns, for every size.
		for len in [0, 1, 650 * 4 + 40, MAX_BLOCK_SIZE, MAX_BLOCK_SIZE + 1, 2 * MAX_BLOCK_SIZE + 17]
		{
			let bytes: Vec<u8> = (0..len).map(|i| (i * 31 % 251) as u8).collect();
			assert_eq!(
				din_fl::content::artifact_cid(&bytes),
				chunk(&bytes).unwrap().root.to_string(),
				"{len} bytes"
			);
			if len <= MAX_BLOCK_SIZE {
				assert_eq!(din_fl::content::block_cid(&bytes), raw_cid(&bytes).to_string());
			}
		}
	}

	#[test]
	fn empty_block_has_the_well_known_ipfs_cid() {
		// `ipfs block put --cid-codec raw --mhtype sha2-256 < /dev/null`
		assert_eq!(
			raw_cid(b"").to_string(),
			"bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku"
		);
	}

	#[test]
	fn chunking_splits_at_one_mebibyte_and_roundtrips_the_manifest() {
		let bytes: Vec<u8> = (0..(2 * MAX_BLOCK_SIZE + 5)).map(|i| (i % 251) as u8).collect();
		let chunked = chunk(&bytes).expect("chunk");
		assert_eq!(chunked.blocks.len(), 3);
		assert_eq!(chunked.blocks[2].1.len(), 5);
		assert_eq!(chunked.root.codec(), DAG_CBOR_CODEC);
		let manifest = Manifest::decode(&chunked.root, &chunked.manifest).expect("decode");
		assert_eq!(manifest.size, bytes.len() as u64);
		let again = chunk(&bytes).expect("chunk");
		assert_eq!(again.root, chunked.root, "chunking is deterministic");
	}

	#[test]
	fn verify_block_rejects_tampered_bytes() {
		let cid = raw_cid(b"weights");
		assert!(verify_block(&cid, b"weights").is_ok());
		assert!(matches!(verify_block(&cid, b"weightz"), Err(StoreError::HashMismatch { .. })));
	}

	#[test]
	fn malformed_and_unsupported_cids_are_rejected() {
		assert!(matches!(parse_cid("not-a-cid"), Err(StoreError::MalformedCid { .. })));
		// CIDv0 (dag-pb) is valid but not something this store produces.
		assert!(matches!(
			parse_cid("QmdfTbBqBPQ7VNxZEYEj14VmRuZBkqFbiwReogJgS1zR1n"),
			Err(StoreError::UnsupportedCid { .. })
		));
	}

	/// `blocks` distinct blocks of `len` bytes each.
	fn distinct_blocks(blocks: usize, len: usize) -> Vec<Cid> {
		(0..blocks)
			.map(|i| raw_cid(&[vec![i as u8; len], (i as u64).to_le_bytes().to_vec()].concat()))
			.collect()
	}

	#[test]
	fn a_manifest_repeating_one_block_is_refused_before_allocation() {
		// One 1 MiB block listed 16,384 times declares 16 GiB (the format's limit).
		let block = raw_cid(&vec![7u8; MAX_BLOCK_SIZE]);
		let forged =
			Manifest { version: 1, size: MAX_ARTIFACT_SIZE, blocks: vec![block; 16 * 1024] }
				.encode();
		let error = Manifest::decode(&manifest_cid(&forged), &forged).expect_err("forged");
		assert!(error.to_string().contains("listed twice"), "{error}");
	}

	#[test]
	fn bytes_whose_blocks_repeat_are_not_chunked() {
		let bytes = vec![0u8; 2 * MAX_BLOCK_SIZE + 1];
		assert!(matches!(chunk(&bytes), Err(StoreError::RepeatedBlock { .. })));
	}

	#[test]
	fn blocks_shorter_than_their_place_implies_are_refused_as_they_arrive() {
		// Distinct 1-byte blocks declared as full ones: 3 MiB claimed, 3 bytes served.
		let manifest =
			Manifest { version: 1, size: 3 * MAX_BLOCK_SIZE as u64, blocks: distinct_blocks(3, 1) };
		let mut assembly = Assembly::new(manifest_cid(&manifest.encode()), &manifest);
		let error = assembly.push(&[0]).expect_err("a 1-byte block where 1 MiB belongs");
		assert!(error.to_string().contains("block 0 has 1 bytes"), "{error}");
	}

	#[test]
	fn a_reader_refuses_an_artifact_larger_than_it_can_be() {
		let manifest =
			Manifest { version: 1, size: MAX_BLOCK_SIZE as u64 + 1, blocks: distinct_blocks(2, 0) };
		assert!(manifest.check_at_most(MAX_BLOCK_SIZE as u64 + 1).is_ok());
		assert!(matches!(
			manifest.check_at_most(MAX_BLOCK_SIZE as u64),
			Err(StoreError::ArtifactTooLarge { max, .. }) if max == MAX_BLOCK_SIZE as u64
		));
		assert_eq!(
			(manifest.block_len(0), manifest.block_len(1), manifest.block_len(2)),
			(MAX_BLOCK_SIZE as u64, 1, 0)
		);
	}

	#[test]
	fn manifest_with_wrong_block_count_is_rejected() {
		let bad = Manifest { version: 1, size: 10, blocks: vec![] }.encode();
		let cid = manifest_cid(&bad);
		assert!(matches!(Manifest::decode(&cid, &bad), Err(StoreError::MalformedManifest { .. })));
	}
}
