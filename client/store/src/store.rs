//! [`Store`]: the block store and the libp2p node together, with `put` / `get`.
//!
//! ## Fetching
//!
//! `get(root)` returns local content directly. Otherwise it
//! 1. finds providers of `root` through the DHT (retrying until
//!    [`StoreConfig::provider_wait`] is spent, then [`StoreError::NotFound`]);
//! 2. fetches the root block from one of them and verifies it against the CID;
//! 3. for a manifest, fetches the missing blocks [`StoreConfig::max_concurrent_fetches`]
//!    at a time, spreading them over the known providers (block *i* starts at provider
//!    *i mod n*), and verifies each one on arrival. A block no known provider has
//!    triggers a DHT lookup for that block's own provider records.
//!
//! Each block is requested from up to [`RACED_PROVIDERS`] providers at once and taken from
//! the first that serves it, so a peer that announces content and never answers (anyone
//! can publish a provider record) cannot make it look unavailable within a reader's
//! deadline. A peer whose bytes do not hash to the requested CID is banned (disconnected
//! and refused for the rest of the session) and the block is requested from the next
//! provider. Fetched blocks land in the block store's cache, unpinned and unflushed
//! (collectable by GC, checked again whenever read: see [`crate::blockstore`]) unless the
//! caller pins the root, which makes them durable. A `get` assembles the artifact from
//! the bytes it fetched or read, not by reading back what it just wrote; a cached block
//! that a crash tore reads as missing and is fetched again.
//!
//! ## Announcing
//!
//! `put` stores and pins the artifact, then publishes a Kademlia provider record for the
//! root and for every block. On start, the node announces everything already stored,
//! so content survives restarts; [`Store::announce_new_pins`] picks up roots that
//! another process (e.g. `din store put` on the same directory) pinned meanwhile.

use std::collections::{BTreeMap, HashSet, VecDeque};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use cid::Cid;
use futures::stream::{self, FuturesUnordered, StreamExt, TryStreamExt};
use libp2p::{identity, Multiaddr, PeerId};
use tokio::time::Instant;

use crate::blockstore::Blockstore;
use crate::codec::BlockResponse;
use crate::dag::{self, Manifest};
use crate::error::{Result, StoreError};
use crate::network::{self, Client, Event, NetworkConfig};

/// Block requests one fetch runs at once, to different providers: enough that a provider
/// which announces content and then stalls delays nobody, few enough that one fetch does
/// not ask every provider for every block.
pub const RACED_PROVIDERS: usize = 3;

/// How long known providers are asked alone before a DHT lookup looks for more.
const KNOWN_PROVIDERS_FIRST: Duration = Duration::from_millis(500);

/// How long after answering "not found" a provider is asked again, within the same fetch.
const ASK_AGAIN_AFTER: Duration = Duration::from_millis(250);

/// How a [`Store`] is set up.
#[derive(Clone, Debug)]
pub struct StoreConfig {
	/// Block store directory (also holds `identity.key`).
	pub dir: PathBuf,
	/// Addresses to listen on, e.g. `/ip4/0.0.0.0/tcp/4040`; empty for a fetch-only node.
	pub listen: Vec<Multiaddr>,
	/// Peers to join the network through, each ending in `/p2p/<peer id>`.
	pub bootstrap: Vec<Multiaddr>,
	/// How long to keep redialing bootstrap peers that refuse or time out before giving
	/// up: a peer that is busy, restarting or slow to finish the handshake when this node
	/// starts is tried again, with growing pauses, instead of failing the start.
	pub bootstrap_wait: Duration,
	/// How long to look for a provider of a CID before giving up with `NotFound`.
	pub provider_wait: Duration,
	/// Blocks requested in parallel while fetching one artifact.
	pub max_concurrent_fetches: usize,
	/// Whether to announce (provide) everything already stored when starting.
	pub announce_on_start: bool,
	/// Use this key instead of `DIR/identity.key` (tests run several nodes per dir).
	pub keypair: Option<identity::Keypair>,
	/// libp2p tunables.
	pub network: NetworkConfig,
}

impl StoreConfig {
	/// Defaults for a node storing in `dir`: no listener, no bootstrap peers (redialed for
	/// up to 20 s when given), 30 s provider wait, 16 parallel block fetches.
	pub fn new(dir: impl Into<PathBuf>) -> Self {
		StoreConfig {
			dir: dir.into(),
			listen: Vec::new(),
			bootstrap: Vec::new(),
			bootstrap_wait: Duration::from_secs(20),
			provider_wait: Duration::from_secs(30),
			max_concurrent_fetches: 16,
			announce_on_start: true,
			keypair: None,
			network: NetworkConfig::default(),
		}
	}
}

/// Loads `path` as a protobuf-encoded keypair, creating an Ed25519 one if absent.
pub fn load_or_create_identity(path: &std::path::Path) -> Result<identity::Keypair> {
	let bad = |reason: String| StoreError::Identity { path: path.to_path_buf(), reason };
	match std::fs::read(path) {
		Ok(bytes) => {
			identity::Keypair::from_protobuf_encoding(&bytes).map_err(|e| bad(e.to_string()))
		},
		Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
			let keypair = identity::Keypair::generate_ed25519();
			let encoded = keypair.to_protobuf_encoding().map_err(|e| bad(e.to_string()))?;
			let tmp = path.with_extension("tmp");
			std::fs::write(&tmp, encoded).map_err(|e| StoreError::io(&tmp, e))?;
			#[cfg(unix)]
			{
				use std::os::unix::fs::PermissionsExt;
				let _ = std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(0o600));
			}
			std::fs::rename(&tmp, path).map_err(|e| StoreError::io(path, e))?;
			Ok(keypair)
		},
		Err(e) => Err(StoreError::io(path, e)),
	}
}

/// Dials every bootstrap peer; while none is reached, redials them all with pauses that
/// grow from 250 ms to 2 s until `wait` has passed. One connected peer is enough: Kademlia
/// keeps the others' addresses and reaches them through it. The error names the last
/// failure, so an operator sees why (wrong peer id, refused, handshake timeout).
async fn join_bootstrap_peers(
	client: &Client,
	bootstrap: &[Multiaddr],
	wait: Duration,
) -> Result<()> {
	let peers = bootstrap.iter().map(network::split_peer_address).collect::<Result<Vec<_>>>()?;
	let deadline = tokio::time::Instant::now() + wait;
	let mut pause = Duration::from_millis(250);
	loop {
		let mut reached = false;
		let mut last_error = String::new();
		for (addr, (peer, transport)) in bootstrap.iter().zip(&peers) {
			match client.dial(*peer, transport.clone()).await {
				Ok(()) => reached = true,
				Err(error) => {
					tracing::warn!(%addr, %error, "bootstrap peer unreachable");
					last_error = error.to_string();
				},
			}
		}
		if reached {
			return Ok(());
		}
		if tokio::time::Instant::now() + pause > deadline {
			return Err(StoreError::BootstrapUnreachable {
				count: peers.len(),
				waited: wait,
				last_error,
			});
		}
		tokio::time::sleep(pause).await;
		pause = (pause * 2).min(Duration::from_secs(2));
	}
}

/// A running store node. Cheap to clone; the node stops when the last clone is dropped.
#[derive(Clone, Debug)]
pub struct Store {
	blockstore: Blockstore,
	client: Client,
	listen_addrs: Vec<Multiaddr>,
	provider_wait: Duration,
	max_concurrent_fetches: usize,
	announced: Arc<Mutex<HashSet<Cid>>>,
}

impl Store {
	/// Opens the block store, starts the libp2p node (listen, bootstrap) on the current
	/// tokio runtime and announces stored content.
	pub async fn start(config: StoreConfig) -> Result<Store> {
		let blockstore = Blockstore::open(&config.dir)?;
		let keypair = match config.keypair {
			Some(keypair) => keypair,
			None => load_or_create_identity(&config.dir.join("identity.key"))?,
		};
		let (client, events, event_loop) =
			network::new(keypair, blockstore.clone(), config.network)?;
		tokio::spawn(event_loop.run());
		tokio::spawn(events.for_each(|event| async move {
			match event {
				Event::PeerBanned(peer) => tracing::debug!(%peer, "peer banned for this session"),
				event => tracing::trace!(?event, "network event"),
			}
		}));

		let mut listen_addrs = Vec::new();
		for addr in config.listen {
			let bound = client.start_listening(addr).await?;
			listen_addrs.push(bound.with(libp2p::multiaddr::Protocol::P2p(client.peer_id())));
		}
		if !config.bootstrap.is_empty() {
			join_bootstrap_peers(&client, &config.bootstrap, config.bootstrap_wait).await?;
			client.bootstrap().await?;
		}

		let store = Store {
			blockstore,
			client,
			listen_addrs,
			provider_wait: config.provider_wait,
			max_concurrent_fetches: config.max_concurrent_fetches.max(1),
			announced: Arc::new(Mutex::new(HashSet::new())),
		};
		if config.announce_on_start {
			let blocks = store.blockstore.list_blocks()?;
			store.announce(blocks).await;
		}
		Ok(store)
	}

	/// This node's peer id.
	pub fn peer_id(&self) -> PeerId {
		self.client.peer_id()
	}

	/// Full addresses (`…/p2p/<peer id>`) other nodes can bootstrap from.
	pub fn listen_addrs(&self) -> &[Multiaddr] {
		&self.listen_addrs
	}

	/// The local block store.
	pub fn blockstore(&self) -> &Blockstore {
		&self.blockstore
	}

	/// Counts of the blocks and bytes this node has served, and the peers it banned.
	pub fn network_stats(&self) -> &crate::network::NetworkStats {
		self.client.stats()
	}

	/// The network client (for lower-level access and tests).
	pub fn client(&self) -> &Client {
		&self.client
	}

	/// Stores and pins `bytes` as an artifact, announces it, returns its CID.
	pub async fn put(&self, bytes: Vec<u8>) -> Result<Cid> {
		let blockstore = self.blockstore.clone();
		let root = run_blocking(move || blockstore.put_artifact(&bytes)).await?;
		let mut cids = self.blockstore.artifact_blocks(&root)?;
		cids.push(root);
		self.announce(cids).await;
		Ok(root)
	}

	/// Publishes provider records for the given CIDs (those not announced yet).
	async fn announce(&self, cids: Vec<Cid>) {
		let fresh: Vec<Cid> = {
			let mut announced =
				self.announced.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
			cids.into_iter().filter(|cid| announced.insert(*cid)).collect()
		};
		let placed = stream::iter(fresh)
			.map(|cid| self.client.start_providing(cid))
			.buffer_unordered(64)
			.filter(|result| futures::future::ready(matches!(result, Ok(true))))
			.count()
			.await;
		tracing::debug!(placed, "provider records published");
	}

	/// Announces pinned roots (and their blocks) that this node has not announced yet,
	/// e.g. content another process put into the same directory. Returns how many
	/// roots were new.
	pub async fn announce_new_pins(&self) -> Result<usize> {
		let pins = self.blockstore.list_pins()?;
		let new_roots: Vec<Cid> = {
			let announced = self.announced.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
			pins.into_iter().filter(|root| !announced.contains(root)).collect()
		};
		let mut cids = Vec::new();
		for root in &new_roots {
			cids.extend(self.blockstore.artifact_blocks(root)?);
			cids.push(*root);
		}
		self.announce(cids).await;
		Ok(new_roots.len())
	}

	/// Pins `root` locally (fetching it first if needed) and announces it.
	pub async fn pin(&self, root: &Cid) -> Result<()> {
		self.fetch(root).await?;
		self.blockstore.pin(root)?;
		let mut cids = self.blockstore.artifact_blocks(root)?;
		cids.push(*root);
		self.announce(cids).await;
		Ok(())
	}

	/// The artifact (or raw block) `root`, from the local store or the network.
	pub async fn get(&self, root: &Cid) -> Result<Vec<u8>> {
		self.get_at_most(root, dag::MAX_ARTIFACT_SIZE).await
	}

	/// The artifact `root` if it is at most `limit` bytes: a larger one is refused as soon
	/// as its manifest arrives, before any of its blocks is fetched. Readers that know how
	/// large the artifact can be (an update of a known model) say so here.
	pub async fn get_at_most(&self, root: &Cid, limit: u64) -> Result<Vec<u8>> {
		self.get_at_most_from(root, limit, &[]).await
	}

	/// [`Store::get_at_most`], asking `providers` first: peers known to hold the artifact
	/// (its author's store node, a gateway's) are asked without a DHT lookup, which starts
	/// only if none of them has answered a block within a short head start.
	pub async fn get_at_most_from(
		&self,
		root: &Cid,
		limit: u64,
		providers: &[PeerId],
	) -> Result<Vec<u8>> {
		let assembled = self.fetch_at_most(root, limit, providers, true).await?;
		Ok(assembled.expect("a fetch that keeps the bytes returns them; qed"))
	}

	/// One block, from the local store or the network (verified, cached unpinned).
	pub async fn get_block(&self, cid: &Cid) -> Result<Vec<u8>> {
		dag::check_supported(cid)?;
		let blockstore = self.blockstore.clone();
		let key = *cid;
		match run_blocking(move || blockstore.get_block(&key)).await {
			Err(StoreError::NotLocal { .. }) => {},
			other => return other,
		}
		let fetcher = Fetcher::new(self, &[]);
		self.fetched(&fetcher, cid, 0).await
	}

	/// Makes `root` and all its blocks local, fetching what is missing.
	pub async fn fetch(&self, root: &Cid) -> Result<()> {
		self.fetch_at_most(root, dag::MAX_ARTIFACT_SIZE, &[], false).await.map(drop)
	}

	/// Makes `root` and its blocks local, fetching what is missing (or cached and torn);
	/// with `keep`, also returns the artifact, reassembled from the bytes in hand rather
	/// than read back from disk.
	async fn fetch_at_most(
		&self,
		root: &Cid,
		limit: u64,
		providers: &[PeerId],
		keep: bool,
	) -> Result<Option<Vec<u8>>> {
		dag::check_supported(root)?;
		let fetcher = &Fetcher::new(self, providers);
		let root_bytes = self.local_or_fetched(fetcher, root, 0, true).await?;
		if root.codec() != dag::DAG_CBOR_CODEC {
			if root_bytes.len() as u64 > limit {
				return Err(StoreError::ArtifactTooLarge {
					size: root_bytes.len() as u64,
					max: limit,
				});
			}
			return Ok(keep.then_some(root_bytes));
		}
		let manifest = Manifest::decode(root, &root_bytes)?;
		manifest.check_at_most(limit)?;
		// Blocks arrive in any order and are assembled in order: one that is late holds back
		// the assembly, not the other fetches. What waits is verified bytes of this artifact,
		// so memory stays within its checked size. `Manifest::decode` refused repeated
		// blocks: each is fetched once.
		let mut assembly = keep.then(|| dag::Assembly::new(*root, &manifest));
		let mut arrived = BTreeMap::new();
		let mut blocks = stream::iter(manifest.blocks.iter().copied().enumerate())
			.map(|(index, cid)| async move {
				Ok::<_, StoreError>((
					index,
					self.local_or_fetched(fetcher, &cid, index, keep).await?,
				))
			})
			.buffer_unordered(self.max_concurrent_fetches);
		while let Some((index, bytes)) = blocks.try_next().await? {
			let Some(assembly) = &mut assembly else { continue };
			arrived.insert(index, bytes);
			while let Some(bytes) = arrived.remove(&assembly.next_index()) {
				assembly.push_owned(bytes)?;
			}
		}
		assembly.map(dag::Assembly::finish).transpose()
	}

	/// The block `cid` from the block store, or fetched and cached. A block held durably is
	/// not read unless `keep` asks for its bytes (empty otherwise); a cached one always is,
	/// since only reading it tells an intact one from one a crash tore.
	async fn local_or_fetched(
		&self,
		fetcher: &Fetcher<'_>,
		cid: &Cid,
		index: usize,
		keep: bool,
	) -> Result<Vec<u8>> {
		if !keep && self.blockstore.is_durable(cid) {
			return Ok(Vec::new());
		}
		if self.blockstore.has_block(cid) {
			let blockstore = self.blockstore.clone();
			let key = *cid;
			match run_blocking(move || blockstore.get_block(&key)).await {
				Err(StoreError::NotLocal { .. }) => {},
				other => return other,
			}
		}
		self.fetched(fetcher, cid, index).await
	}

	/// The block `cid` from the network, verified, cached unpinned.
	async fn fetched(&self, fetcher: &Fetcher<'_>, cid: &Cid, index: usize) -> Result<Vec<u8>> {
		let bytes = fetcher.fetch_block(cid, index).await?;
		let blockstore = self.blockstore.clone();
		let cid = *cid;
		run_blocking(move || blockstore.insert_cached(&cid, &bytes).map(|()| bytes)).await
	}

	/// Peers banned for serving corrupted blocks.
	pub async fn banned_peers(&self) -> Result<HashSet<PeerId>> {
		self.client.banned_peers().await
	}
}

async fn run_blocking<T: Send + 'static>(
	work: impl FnOnce() -> Result<T> + Send + 'static,
) -> Result<T> {
	tokio::task::spawn_blocking(work).await.unwrap_or_else(|join_error| {
		Err(StoreError::io("<blocking task>", std::io::Error::other(join_error)))
	})
}

/// State shared by the block fetches of one `get`: the providers learned so far and the
/// peers caught serving wrong bytes.
struct Fetcher<'a> {
	store: &'a Store,
	providers: Mutex<Vec<PeerId>>,
	bad_peers: Mutex<HashSet<PeerId>>,
}

impl<'a> Fetcher<'a> {
	/// A fetcher that knows `providers` before any lookup.
	fn new(store: &'a Store, providers: &[PeerId]) -> Self {
		Fetcher {
			store,
			providers: Mutex::new(providers.to_vec()),
			bad_peers: Mutex::new(HashSet::new()),
		}
	}

	fn known_providers(&self, start: usize) -> VecDeque<PeerId> {
		let providers = self.providers.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
		let mut rotated: VecDeque<PeerId> = providers.iter().copied().collect();
		if !rotated.is_empty() {
			rotated.rotate_left(start % rotated.len());
		}
		rotated
	}

	fn learn_providers(&self, found: &HashSet<PeerId>) {
		let mut providers = self.providers.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
		for peer in found {
			if !providers.contains(peer) {
				providers.push(*peer);
			}
		}
	}

	fn is_bad(&self, peer: &PeerId) -> bool {
		self.bad_peers
			.lock()
			.unwrap_or_else(|poisoned| poisoned.into_inner())
			.contains(peer)
	}

	/// Fetches and verifies one block from the first provider that serves it: up to
	/// [`RACED_PROVIDERS`] requests run at once, known providers first (rotated by
	/// `start`), a failed one replaced by the next candidate, while DHT lookups for this
	/// CID find more until the provider wait is spent. A provider that stalls holds one
	/// place in the race, not the fetch. A provider that answers "not found" is asked
	/// again [`ASK_AGAIN_AFTER`] later: a named author may publish a moment after the
	/// first ask (participants publish as Training closes, evaluators fetch as the commit
	/// phase opens).
	async fn fetch_block(&self, cid: &Cid, start: usize) -> Result<Vec<u8>> {
		let client = &self.store.client;
		let wait = self.store.provider_wait;
		let deadline = Instant::now() + wait;
		let mut tried = HashSet::new();
		let mut candidates = self.known_providers(start);
		let mut racing = FuturesUnordered::new();
		// Known providers usually have every block of an artifact: they get a head start
		// on a DHT lookup, which is skipped when one of them answers in time.
		let mut next_lookup = Instant::now() + KNOWN_PROVIDERS_FIRST;
		let mut looked_up = false;
		// Providers that answered "not found", asked again at `ask_again`.
		let mut not_yet: Vec<PeerId> = Vec::new();
		let mut ask_again = Instant::now();
		loop {
			while racing.len() < RACED_PROVIDERS {
				let Some(peer) = candidates.pop_front() else { break };
				if self.is_bad(&peer) || !tried.insert(peer) {
					continue;
				}
				racing.push(async move { (peer, client.request_block(peer, *cid).await) });
			}
			if racing.is_empty() && !looked_up {
				next_lookup = Instant::now();
			}
			let lookup = async {
				tokio::time::sleep_until(next_lookup).await;
				client.get_providers(*cid).await
			};
			tokio::select! {
				Some((peer, answer)) = racing.next(), if !racing.is_empty() => {
					if matches!(answer, Ok(BlockResponse::NotFound)) {
						if not_yet.is_empty() {
							ask_again = Instant::now() + ASK_AGAIN_AFTER;
						}
						not_yet.push(peer);
					}
					if let Some(bytes) = self.verified(cid, peer, answer).await? {
						return Ok(bytes);
					}
				},
				_ = tokio::time::sleep_until(ask_again), if !not_yet.is_empty() => {
					for peer in not_yet.drain(..) {
						tried.remove(&peer);
						if !candidates.contains(&peer) {
							candidates.push_back(peer);
						}
					}
				},
				found = lookup, if racing.len() < RACED_PROVIDERS => {
					let found = found?;
					looked_up = true;
					self.learn_providers(&found);
					candidates.extend(
						found.into_iter().filter(|peer| !tried.contains(peer) && !self.is_bad(peer)),
					);
					// Records may still be propagating: look again shortly.
					next_lookup = Instant::now() + Duration::from_millis(250);
				},
				_ = tokio::time::sleep_until(deadline) => {
					return Err(StoreError::NotFound { cid: *cid, waited: wait });
				},
			}
		}
	}

	/// The bytes of `answer` if they are the block `cid`; a peer that sent other bytes is
	/// banned. `None` when the peer had nothing (or failed): the race goes on.
	async fn verified(
		&self,
		cid: &Cid,
		peer: PeerId,
		answer: Result<BlockResponse>,
	) -> Result<Option<Vec<u8>>> {
		match answer {
			Ok(BlockResponse::Found(bytes)) => match dag::verify_block(cid, &bytes) {
				Ok(()) => return Ok(Some(bytes)),
				Err(error) => {
					tracing::warn!(%peer, %cid, %error, "peer served a bad block; banning it, trying another provider");
					self.bad_peers
						.lock()
						.unwrap_or_else(|poisoned| poisoned.into_inner())
						.insert(peer);
					self.store.client.ban_peer(peer).await?;
				},
			},
			Ok(BlockResponse::NotFound) => {
				tracing::debug!(%peer, %cid, "provider does not have the block")
			},
			Err(StoreError::NetworkStopped) => return Err(StoreError::NetworkStopped),
			Err(error) => tracing::debug!(%peer, %cid, %error, "block request failed"),
		}
		Ok(None)
	}
}
