//! The local block store: a directory of blocks keyed by CID.
//!
//! ## Layout
//!
//! ```text
//! DIR/blocks/<cid>   a durable block, named by its base32 CIDv1, content = the block
//! DIR/cache/<cid>    a block fetched from the network and not pinned (yet)
//! DIR/pins/<cid>     empty marker: this root (and, for a manifest, its blocks) is pinned
//! DIR/tmp/           writes in flight; emptied on open
//! ```
//!
//! ## Design
//!
//! - **Atomic writes.** A block is written to `tmp/`, then renamed into place. A reader
//!   never sees a block half-written by a live writer.
//! - **Two kinds of block, two promises.** What this node must not lose (what it was
//!   given to store, what it pinned) goes into `blocks/`, flushed to disk with `sync_data`
//!   before the rename, so a crash leaves either no file or the whole block: those files
//!   are trusted when read back. Blocks fetched from the network are a cache that the
//!   network can serve again, and a flush costs about a millisecond per file on a virtual
//!   disk, several times a small artifact's whole transfer; they go into `cache/` without
//!   one. After a crash such a file may be empty, short or zero-filled under its CID's
//!   name, so every read from `cache/` checks the bytes against the CID and deletes a file
//!   that fails: the block then reads as missing ([`StoreError::NotLocal`]) and is fetched
//!   again, never served or returned.
//! - **Verified on the way in.** [`Blockstore::put_block`] checks the bytes against the
//!   CID before anything is written (a remote fetcher re-verifies whatever we serve).
//! - **Pins are recursive.** Pinning a manifest root keeps every block it lists, and moves
//!   the ones still in `cache/` into `blocks/`, checked and flushed: a pinned block has the
//!   durability of a stored one.
//! - **Garbage collection** ([`Blockstore::gc`]) deletes every block not reachable from
//!   a pin, which is (nearly) all of `cache/`.
//!
//! The store is a cheap `Clone` handle; its operations are blocking file I/O (call them
//! from `spawn_blocking` in hot async paths).

use std::collections::HashSet;
use std::fs;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use cid::Cid;

use crate::dag::{self, Manifest, DAG_CBOR_CODEC};
use crate::error::{Result, StoreError};

/// Handle on a block store directory.
#[derive(Clone, Debug)]
pub struct Blockstore {
	root: Arc<PathBuf>,
}

/// What one garbage collection pass did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct GcReport {
	/// Blocks deleted (not reachable from any pin).
	pub removed: Vec<Cid>,
	/// Blocks kept.
	pub kept: usize,
}

impl Blockstore {
	/// Opens (creating if needed) the store at `dir` and clears leftover temp files.
	pub fn open(dir: impl AsRef<Path>) -> Result<Self> {
		let root = dir.as_ref().to_path_buf();
		for sub in ["blocks", "cache", "pins", "tmp"] {
			let path = root.join(sub);
			fs::create_dir_all(&path).map_err(|e| StoreError::io(&path, e))?;
		}
		let store = Blockstore { root: Arc::new(root) };
		let tmp = store.tmp_dir();
		for entry in fs::read_dir(&tmp).map_err(|e| StoreError::io(&tmp, e))? {
			let entry = entry.map_err(|e| StoreError::io(&tmp, e))?;
			let _ = fs::remove_file(entry.path());
		}
		Ok(store)
	}

	/// The directory this store lives in.
	pub fn dir(&self) -> &Path {
		&self.root
	}

	fn tmp_dir(&self) -> PathBuf {
		self.root.join("tmp")
	}

	fn block_path(&self, cid: &Cid) -> PathBuf {
		self.root.join("blocks").join(cid.to_string())
	}

	fn cache_path(&self, cid: &Cid) -> PathBuf {
		self.root.join("cache").join(cid.to_string())
	}

	fn pin_path(&self, cid: &Cid) -> PathBuf {
		self.root.join("pins").join(cid.to_string())
	}

	/// Whether the block is stored locally. A cached block is only checked when read: one
	/// torn by a crash counts here until [`Blockstore::get_block`] finds it out.
	pub fn has_block(&self, cid: &Cid) -> bool {
		self.block_path(cid).is_file() || self.cache_path(cid).is_file()
	}

	/// Whether the block is stored durably (not merely cached).
	pub(crate) fn is_durable(&self, cid: &Cid) -> bool {
		self.block_path(cid).is_file()
	}

	/// Stores one block after checking it against `cid`.
	pub fn put_block(&self, cid: &Cid, bytes: &[u8]) -> Result<()> {
		dag::verify_block(cid, bytes)?;
		self.insert_verified(cid, bytes)
	}

	/// Stores a block whose bytes the caller has already verified against `cid`, durably
	/// (into `blocks/`, flushed); a cached copy is dropped.
	pub(crate) fn insert_verified(&self, cid: &Cid, bytes: &[u8]) -> Result<()> {
		let target = self.block_path(cid);
		if !target.is_file() {
			self.write_atomically(&target, bytes, true)?;
		}
		let _ = fs::remove_file(self.cache_path(cid));
		Ok(())
	}

	/// Caches a block fetched from the network and verified against `cid`, without a flush
	/// (see the module docs): into `cache/`, replacing whatever file is there, unless the
	/// block is already stored durably.
	pub(crate) fn insert_cached(&self, cid: &Cid, bytes: &[u8]) -> Result<()> {
		if self.block_path(cid).is_file() {
			return Ok(());
		}
		self.write_atomically(&self.cache_path(cid), bytes, false)
	}

	fn write_atomically(&self, target: &Path, bytes: &[u8], durable: bool) -> Result<()> {
		let tmp = self.tmp_dir().join(format!("{:016x}", rand::random::<u64>()));
		let write = || -> std::io::Result<()> {
			let mut file = fs::File::create(&tmp)?;
			file.write_all(bytes)?;
			if durable {
				file.sync_data()?;
			}
			fs::rename(&tmp, target)
		};
		write().map_err(|e| {
			let _ = fs::remove_file(&tmp);
			StoreError::io(target, e)
		})
	}

	/// Reads one block, or [`StoreError::NotLocal`]. A cached block is checked against
	/// `cid` first; one that fails is deleted and reads as missing.
	pub fn get_block(&self, cid: &Cid) -> Result<Vec<u8>> {
		let path = self.block_path(cid);
		match fs::read(&path) {
			Ok(bytes) => return Ok(bytes),
			Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
				return Err(StoreError::io(&path, e))
			},
			Err(_) => {},
		}
		let cached = self.cache_path(cid);
		let bytes = fs::read(&cached).map_err(|e| match e.kind() {
			std::io::ErrorKind::NotFound => StoreError::NotLocal { cid: *cid },
			_ => StoreError::io(&cached, e),
		})?;
		if let Err(error) = dag::verify_block(cid, &bytes) {
			tracing::warn!(%cid, %error, "dropping a cached block that no longer matches its CID");
			let _ = fs::remove_file(&cached);
			return Err(StoreError::NotLocal { cid: *cid });
		}
		Ok(bytes)
	}

	/// Every block CID in the store, durable or cached (unparseable file names are skipped).
	pub fn list_blocks(&self) -> Result<Vec<Cid>> {
		let mut blocks = list_cids(&self.root.join("blocks"))?;
		let durable: HashSet<Cid> = blocks.iter().copied().collect();
		blocks.extend(
			list_cids(&self.root.join("cache"))?
				.into_iter()
				.filter(|cid| !durable.contains(cid)),
		);
		Ok(blocks)
	}

	/// Every pinned root.
	pub fn list_pins(&self) -> Result<Vec<Cid>> {
		list_cids(&self.root.join("pins"))
	}

	/// Chunks `bytes`, stores the blocks and the manifest, pins the root, returns it.
	pub fn put_artifact(&self, bytes: &[u8]) -> Result<Cid> {
		let chunked = dag::chunk(bytes)?;
		for (cid, block) in &chunked.blocks {
			self.insert_verified(cid, block)?;
		}
		self.insert_verified(&chunked.root, &chunked.manifest)?;
		self.pin(&chunked.root)?;
		Ok(chunked.root)
	}

	/// The manifest behind `root`, or `None` when `root` is a single raw block.
	pub fn manifest(&self, root: &Cid) -> Result<Option<Manifest>> {
		if root.codec() != DAG_CBOR_CODEC {
			return Ok(None);
		}
		let bytes = self.get_block(root)?;
		Manifest::decode(root, &bytes).map(Some)
	}

	/// The blocks an artifact consists of, in order (the root itself for a raw block).
	pub fn artifact_blocks(&self, root: &Cid) -> Result<Vec<Cid>> {
		Ok(match self.manifest(root)? {
			Some(manifest) => manifest.blocks,
			None => vec![*root],
		})
	}

	/// Reassembles a locally complete artifact.
	pub fn get_artifact(&self, root: &Cid) -> Result<Vec<u8>> {
		self.get_artifact_at_most(root, dag::MAX_ARTIFACT_SIZE)
	}

	/// Reassembles a locally complete artifact of at most `limit` bytes, block by block
	/// ([`dag::Assembly`]).
	pub fn get_artifact_at_most(&self, root: &Cid, limit: u64) -> Result<Vec<u8>> {
		let Some(manifest) = self.manifest(root)? else {
			let block = self.get_block(root)?;
			if block.len() as u64 > limit {
				return Err(StoreError::ArtifactTooLarge { size: block.len() as u64, max: limit });
			}
			return Ok(block);
		};
		manifest.check_at_most(limit)?;
		let mut assembly = dag::Assembly::new(*root, &manifest);
		for block in &manifest.blocks {
			assembly.push(&self.get_block(block)?)?;
		}
		assembly.finish()
	}

	/// Whether the root and every block it lists are stored locally.
	pub fn is_complete(&self, root: &Cid) -> bool {
		match self.artifact_blocks(root) {
			Ok(blocks) => blocks.iter().all(|block| self.has_block(block)),
			Err(_) => false,
		}
	}

	/// Pins `root` (recursively for a manifest) and makes the pinned blocks it holds
	/// durable. The root block must be present (and, if cached, intact).
	pub fn pin(&self, root: &Cid) -> Result<()> {
		let missing = || StoreError::PinMissingRoot { cid: *root };
		let blocks = match self.manifest(root) {
			Ok(Some(manifest)) => manifest.blocks,
			Err(StoreError::NotLocal { .. }) => return Err(missing()),
			// A raw block, or a manifest that does not decode: the root alone.
			_ if self.has_block(root) => Vec::new(),
			_ => return Err(missing()),
		};
		// The marker first: from here on GC keeps the cached blocks being made durable.
		let path = self.pin_path(root);
		fs::File::create(&path).map_err(|e| StoreError::io(&path, e))?;
		for cid in &blocks {
			self.make_durable(cid)?;
		}
		if !self.make_durable(root)? {
			let _ = fs::remove_file(&path);
			return Err(missing());
		}
		Ok(())
	}

	/// Moves a cached block into `blocks/` once its bytes are checked and flushed. A torn
	/// one is deleted: it reads as missing, as an absent one does (`false`), and is
	/// fetched again.
	fn make_durable(&self, cid: &Cid) -> Result<bool> {
		let cached = self.cache_path(cid);
		if self.block_path(cid).is_file() {
			let _ = fs::remove_file(&cached);
			return Ok(true);
		}
		let mut file = match fs::File::open(&cached) {
			Ok(file) => file,
			Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(false),
			Err(e) => return Err(StoreError::io(&cached, e)),
		};
		let mut bytes = Vec::new();
		file.read_to_end(&mut bytes).map_err(|e| StoreError::io(&cached, e))?;
		if dag::verify_block(cid, &bytes).is_err() {
			let _ = fs::remove_file(&cached);
			return Ok(false);
		}
		let target = self.block_path(cid);
		file.sync_data()
			.and_then(|()| fs::rename(&cached, &target))
			.map_err(|e| StoreError::io(&target, e))?;
		Ok(true)
	}

	/// Removes the pin on `root`; its blocks become collectable. Unpinning an unpinned
	/// root is a no-op.
	pub fn unpin(&self, root: &Cid) -> Result<()> {
		let path = self.pin_path(root);
		match fs::remove_file(&path) {
			Ok(()) => Ok(()),
			Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
			Err(e) => Err(StoreError::io(&path, e)),
		}
	}

	/// Whether `root` is pinned.
	pub fn is_pinned(&self, root: &Cid) -> bool {
		self.pin_path(root).is_file()
	}

	/// Deletes every block not reachable from a pinned root.
	pub fn gc(&self) -> Result<GcReport> {
		let mut live = HashSet::new();
		for root in self.list_pins()? {
			live.insert(root);
			// A pinned manifest whose root went missing keeps nothing else alive.
			if let Ok(Some(manifest)) = self.manifest(&root) {
				live.extend(manifest.blocks);
			}
		}
		let mut report = GcReport::default();
		for cid in self.list_blocks()? {
			if live.contains(&cid) {
				report.kept += 1;
				continue;
			}
			for path in [self.block_path(&cid), self.cache_path(&cid)] {
				match fs::remove_file(&path) {
					Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
						return Err(StoreError::io(&path, e))
					},
					_ => {},
				}
			}
			report.removed.push(cid);
		}
		Ok(report)
	}
}

fn list_cids(dir: &Path) -> Result<Vec<Cid>> {
	let mut cids = Vec::new();
	for entry in fs::read_dir(dir).map_err(|e| StoreError::io(dir, e))? {
		let entry = entry.map_err(|e| StoreError::io(dir, e))?;
		if let Some(cid) = entry.file_name().to_str().and_then(|name| name.parse::<Cid>().ok()) {
			cids.push(cid);
		}
	}
	Ok(cids)
}

#[cfg(test)]
mod tests {
	use super::*;

	fn artifact(len: usize, seed: u64) -> Vec<u8> {
		crate::testing::pseudo_random_bytes(len, seed)
	}

	#[test]
	fn put_get_and_reopen_keeps_content() {
		let dir = tempfile::tempdir().expect("tempdir");
		let bytes = artifact(3 * dag::MAX_BLOCK_SIZE + 17, 1);
		let root = Blockstore::open(dir.path()).expect("open").put_artifact(&bytes).expect("put");
		let reopened = Blockstore::open(dir.path()).expect("reopen");
		assert!(reopened.is_complete(&root));
		assert!(reopened.is_pinned(&root));
		assert_eq!(reopened.get_artifact(&root).expect("get"), bytes);
	}

	#[test]
	fn put_block_refuses_bytes_that_do_not_match() {
		let dir = tempfile::tempdir().expect("tempdir");
		let store = Blockstore::open(dir.path()).expect("open");
		let cid = dag::raw_cid(b"abc");
		assert!(matches!(store.put_block(&cid, b"abd"), Err(StoreError::HashMismatch { .. })));
		assert!(!store.has_block(&cid));
		assert!(matches!(store.get_block(&cid), Err(StoreError::NotLocal { .. })));
	}

	#[test]
	fn a_torn_cached_block_reads_as_missing_and_cannot_be_pinned() {
		let dir = tempfile::tempdir().expect("tempdir");
		let store = Blockstore::open(dir.path()).expect("open");
		let bytes = artifact(1000, 7);
		let cid = dag::raw_cid(&bytes);
		store.insert_cached(&cid, &bytes).expect("cache");
		assert!(store.has_block(&cid) && !store.is_durable(&cid));
		assert_eq!(store.get_block(&cid).expect("intact"), bytes);

		// What a crash can leave of an unflushed write: the name, and zeros.
		let cached = dir.path().join("cache").join(cid.to_string());
		fs::write(&cached, vec![0u8; bytes.len()]).expect("tear");
		assert!(matches!(store.pin(&cid), Err(StoreError::PinMissingRoot { .. })));
		assert!(!store.is_pinned(&cid));
		assert!(matches!(store.get_block(&cid), Err(StoreError::NotLocal { .. })));
		assert!(!store.has_block(&cid), "the torn file is gone");
	}

	#[test]
	fn pinning_a_cached_artifact_makes_it_durable() {
		let dir = tempfile::tempdir().expect("tempdir");
		let store = Blockstore::open(dir.path()).expect("open");
		let bytes = artifact(2 * dag::MAX_BLOCK_SIZE + 3, 8);
		let chunked = dag::chunk(&bytes).expect("chunk");
		for (cid, block) in &chunked.blocks {
			store.insert_cached(cid, block).expect("cache");
		}
		store.insert_cached(&chunked.root, &chunked.manifest).expect("cache");
		assert_eq!(store.list_blocks().expect("list").len(), 4);
		store.pin(&chunked.root).expect("pin");
		assert!(chunked.blocks.iter().all(|(cid, _)| store.is_durable(cid)));
		assert!(store.is_durable(&chunked.root));
		assert_eq!(fs::read_dir(dir.path().join("cache")).expect("read").count(), 0);
		assert_eq!(store.gc().expect("gc").removed, vec![]);
		assert_eq!(store.get_artifact(&chunked.root).expect("get"), bytes);
	}

	#[test]
	fn gc_removes_only_unpinned_blocks() {
		let dir = tempfile::tempdir().expect("tempdir");
		let store = Blockstore::open(dir.path()).expect("open");
		let kept = store.put_artifact(&artifact(2 * dag::MAX_BLOCK_SIZE, 2)).expect("put");
		let dropped = store.put_artifact(&artifact(dag::MAX_BLOCK_SIZE + 1, 3)).expect("put");
		let loose = dag::raw_cid(b"cached");
		store.put_block(&loose, b"cached").expect("put block");
		store.unpin(&dropped).expect("unpin");

		let report = store.gc().expect("gc");
		assert_eq!(report.removed.len(), 2 + 1 + 1, "dropped manifest + 2 blocks + loose");
		assert_eq!(report.kept, 3, "kept manifest + its 2 blocks");
		assert!(store.is_complete(&kept));
		assert!(!store.has_block(&dropped));
		assert!(!store.has_block(&loose));
		assert_eq!(store.gc().expect("gc again").removed, vec![]);
	}

	#[test]
	fn shared_blocks_survive_when_one_of_two_artifacts_is_unpinned() {
		let dir = tempfile::tempdir().expect("tempdir");
		let store = Blockstore::open(dir.path()).expect("open");
		let common = artifact(dag::MAX_BLOCK_SIZE, 4);
		let mut longer = common.clone();
		longer.extend_from_slice(b"tail");
		let a = store.put_artifact(&common).expect("put");
		let b = store.put_artifact(&longer).expect("put");
		store.unpin(&a).expect("unpin");
		store.gc().expect("gc");
		assert!(store.is_complete(&b));
		assert_eq!(store.get_artifact(&b).expect("get"), longer);
	}

	#[test]
	fn pin_requires_the_root_and_leftover_temp_files_are_cleared() {
		let dir = tempfile::tempdir().expect("tempdir");
		let store = Blockstore::open(dir.path()).expect("open");
		let missing = dag::raw_cid(b"nowhere");
		assert!(matches!(store.pin(&missing), Err(StoreError::PinMissingRoot { .. })));
		fs::write(dir.path().join("tmp").join("half-written"), b"x").expect("write");
		Blockstore::open(dir.path()).expect("reopen");
		assert_eq!(fs::read_dir(dir.path().join("tmp")).expect("read").count(), 0);
	}
}
