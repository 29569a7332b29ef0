//! The one error type of the store library.

use std::path::PathBuf;
use std::time::Duration;

use cid::Cid;

/// Everything that can go wrong while storing, exchanging or serving content.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
	/// Reading or writing the block store directory failed.
	#[error("block store I/O at {path}: {source}")]
	Io {
		/// File or directory the operation touched.
		path: PathBuf,
		/// The underlying error.
		source: std::io::Error,
	},
	/// The content is not in the local block store (and no network lookup was made).
	#[error("{cid} is not in the local block store")]
	NotLocal {
		/// The missing CID.
		cid: Cid,
	},
	/// No provider served the content within the bounded provider wait.
	#[error("{cid} not found: no provider served it within {waited:?}")]
	NotFound {
		/// The CID that was looked up.
		cid: Cid,
		/// How long providers were searched for.
		waited: Duration,
	},
	/// A block's bytes do not hash to its CID.
	#[error("block does not match its CID {cid} (corrupted or forged)")]
	HashMismatch {
		/// The CID the bytes were supposed to have.
		cid: Cid,
	},
	/// The CID uses a version, codec or hash function this store does not handle.
	#[error("unsupported CID {cid}: {reason}")]
	UnsupportedCid {
		/// The offending CID.
		cid: Cid,
		/// What is unsupported about it.
		reason: &'static str,
	},
	/// A string could not be parsed as a CID.
	#[error("malformed CID {input:?}: {source}")]
	MalformedCid {
		/// The text given.
		input: String,
		/// Why it did not parse.
		source: cid::Error,
	},
	/// A block is larger than the protocol allows.
	#[error("block of {size} bytes exceeds the {max}-byte limit")]
	BlockTooLarge {
		/// Size of the block.
		size: usize,
		/// The limit, [`crate::MAX_BLOCK_SIZE`].
		max: usize,
	},
	/// An artifact is larger than one manifest can list, or than the reader allows.
	#[error("artifact of {size} bytes exceeds the {max}-byte limit")]
	ArtifactTooLarge {
		/// Size of the artifact (as its manifest declares it, when fetching).
		size: u64,
		/// The limit: [`crate::MAX_ARTIFACT_SIZE`], or the reader's own.
		max: u64,
	},
	/// Bytes to store repeat a whole block: a manifest lists each block once.
	#[error("the artifact repeats block {cid}; a manifest lists each block once")]
	RepeatedBlock {
		/// The repeated block.
		cid: Cid,
	},
	/// A manifest block decoded but does not describe a valid artifact.
	#[error("malformed manifest {cid}: {reason}")]
	MalformedManifest {
		/// CID of the manifest block.
		cid: Cid,
		/// What is wrong with it.
		reason: String,
	},
	/// Only pinned roots present locally can be pinned.
	#[error("cannot pin {cid}: the root block is not stored locally")]
	PinMissingRoot {
		/// The root asked for.
		cid: Cid,
	},
	/// A multiaddr given as listen or bootstrap address is not usable.
	#[error("invalid address {addr}: {reason}")]
	InvalidAddress {
		/// The address as given.
		addr: String,
		/// Why it cannot be used.
		reason: String,
	},
	/// Listening on an address failed.
	#[error("cannot listen on {addr}: {reason}")]
	Listen {
		/// The address.
		addr: String,
		/// Transport error.
		reason: String,
	},
	/// Dialing a peer failed.
	#[error("cannot dial {peer}: {reason}")]
	Dial {
		/// The peer (id or address).
		peer: String,
		/// Transport error.
		reason: String,
	},
	/// None of the configured bootstrap peers could be reached, however often redialed.
	#[error("none of the {count} bootstrap peers is reachable after {waited:?} of redialing; last error: {last_error}")]
	BootstrapUnreachable {
		/// How many were tried.
		count: usize,
		/// How long they were redialed.
		waited: std::time::Duration,
		/// The last dial failure.
		last_error: String,
	},
	/// A block request to a peer failed (timeout, connection closed, protocol error).
	#[error("block request to {peer} failed: {reason}")]
	Request {
		/// The peer asked.
		peer: String,
		/// The failure.
		reason: String,
	},
	/// Building the libp2p swarm failed.
	#[error("libp2p setup: {0}")]
	Swarm(String),
	/// The network event loop is gone (the node was shut down).
	#[error("the network event loop has stopped")]
	NetworkStopped,
	/// The node identity key file is unreadable.
	#[error("identity key {path}: {reason}")]
	Identity {
		/// Key file.
		path: PathBuf,
		/// Why it could not be used.
		reason: String,
	},
	/// The IPFS HTTP API (Kubo) backend answered with an error or something unexpected.
	#[error("IPFS HTTP API {endpoint}: {reason}")]
	Kubo {
		/// The API endpoint called, e.g. `block/put`.
		endpoint: &'static str,
		/// What went wrong.
		reason: String,
	},
	/// The HTTP gateway could not bind or serve.
	#[error("HTTP gateway: {0}")]
	Gateway(String),
}

impl StoreError {
	pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
		StoreError::Io { path: path.into(), source }
	}
}

/// Result alias used across the crate.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;
