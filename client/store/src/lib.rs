//! # din-store
//!
//! The content-addressed artifact store of DIN. Model weights and updates never go on
//! chain; they are stored here, addressed by CID, and fetched peer to peer. Only the CID
//! (a commitment) touches the chain.
//!
//! ## Overview
//!
//! - [`dag`]: artifacts are cut into ≤ 1 MiB raw blocks (CIDv1, raw, sha2-256) listed by
//!   a DAG-CBOR [`Manifest`](dag::Manifest) whose CID names the artifact. Every block is
//!   hash-checked wherever it arrives.
//! - [`blockstore`]: a directory of blocks keyed by CID with atomic writes, recursive
//!   pins and garbage collection of unpinned blocks; it survives restarts. What it is
//!   given to store is flushed to disk; what it fetched is an unflushed cache, checked
//!   against the CID whenever read.
//! - [`codec`] and [`network`]: a libp2p node (TCP + Noise + Yamux, identify, ping,
//!   Kademlia, connection limits) exchanging blocks over the size-bounded request-response
//!   protocol `/din/block/1`. Nodes publish Kademlia provider records for every root and
//!   block they store.
//! - [`Store`]: the two together: `put(bytes) -> Cid`, `get(cid) -> bytes`, finding
//!   providers through the DHT, fetching blocks concurrently, banning peers that serve
//!   wrong bytes and refetching from others.
//! - [`gateway`]: a read-only HTTP gateway (`GET /block/{cid}`, `GET /artifact/{cid}`)
//!   for the node's off-chain workers, which can only speak HTTP.
//! - [`kubo`]: an optional IPFS (Kubo) HTTP API backend with identical CIDs.
//!
//! ## Example
//!
//! ```no_run
//! # async fn demo() -> Result<(), din_store::StoreError> {
//! use din_store::{Store, StoreConfig};
//! let mut config = StoreConfig::new("/tmp/din-store");
//! config.listen.push("/ip4/127.0.0.1/tcp/0".parse().expect("multiaddr"));
//! let store = Store::start(config).await?;
//! let cid = store.put(b"model weights".to_vec()).await?;
//! assert_eq!(store.get(&cid).await?, b"model weights");
//! # Ok(()) }
//! ```

pub mod blockstore;
pub mod codec;
pub mod dag;
mod error;
#[cfg(feature = "http")]
pub mod gateway;
#[cfg(feature = "http")]
pub mod kubo;
pub mod network;
mod store;
#[cfg(any(test, feature = "testing"))]
#[doc(hidden)]
pub mod testing;
#[cfg(feature = "http")]
pub mod uploads;

pub use blockstore::{Blockstore, GcReport};
pub use cid::Cid;
pub use dag::{parse_cid, MAX_ARTIFACT_SIZE, MAX_BLOCK_SIZE};
pub use error::{Result, StoreError};
pub use libp2p::{multiaddr::Protocol, Multiaddr, PeerId};
pub use network::{NetworkConfig, NetworkStats};
pub use store::{load_or_create_identity, Store, StoreConfig};
