//! The libp2p node: one [`NetworkBehaviour`], and the Client / event stream /
//! [`EventLoop`] trio of rust-libp2p's file-sharing example.
//!
//! ## Design
//!
//! - Transport: TCP + Noise + Yamux. Behaviours: identify (learn peers' listen
//!   addresses and feed them to Kademlia), ping (keep-alive and liveness), Kademlia
//!   (`/din/kad/1`, server mode, provider records for every stored root and block),
//!   request-response on [`BLOCK_PROTOCOL`] with the size-bounded [`BlockCodec`],
//!   connection limits, and a block list for peers caught serving wrong bytes.
//! - Only [`EventLoop`] touches the [`Swarm`]. [`Client`] sends it [`Command`]s; each
//!   carries a `oneshot::Sender` that is parked in a `pending_*` map keyed by the query,
//!   request, listener or peer id, and completed by the matching swarm event.
//! - [`EventLoop::run`] is one `select!` over swarm events, commands, and block reads
//!   for inbound requests finishing on the blocking pool. It returns when every
//!   [`Client`] is dropped, which closes the listeners and connections.
//! - Inbound block requests are answered by the loop itself from the [`Blockstore`]
//!   (the read runs on the blocking pool, at most [`NetworkConfig::max_concurrent_serves`]
//!   at once). The event stream reports what happened ([`Event`]), for logs and tests.

use std::collections::{hash_map, HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use cid::Cid;
use futures::channel::{mpsc, oneshot};
use futures::stream::{FuturesUnordered, StreamExt};
use futures::{SinkExt, Stream};
use libp2p::core::transport::ListenerId;
use libp2p::multiaddr::Protocol;
use libp2p::request_response::{self, OutboundRequestId, ProtocolSupport, ResponseChannel};
use libp2p::swarm::{NetworkBehaviour, SwarmEvent};
use libp2p::{
	allow_block_list, connection_limits, identify, identity, kad, noise, ping, tcp, yamux,
	Multiaddr, PeerId, StreamProtocol, Swarm,
};
use tokio::sync::Semaphore;

use crate::blockstore::Blockstore;
use crate::codec::{BlockCodec, BlockRequest, BlockResponse, BLOCK_PROTOCOL};
use crate::error::{Result, StoreError};

/// Kademlia protocol name: a DIN-only DHT, separate from the public IPFS one.
pub const KAD_PROTOCOL: StreamProtocol = StreamProtocol::new("/din/kad/1");
/// Identify protocol version string.
pub const IDENTIFY_PROTOCOL: &str = "/din/id/1";

/// Tunables of the libp2p node. Start from `NetworkConfig::default()` and set fields.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct NetworkConfig {
	/// Most established connections in total (DoS bound).
	pub max_established: u32,
	/// Most established connections to one peer.
	pub max_established_per_peer: u32,
	/// Most incoming connections still in the handshake.
	pub max_pending_incoming: u32,
	/// Inbound block reads served concurrently; further requests wait.
	pub max_concurrent_serves: usize,
	/// Time a block request may take end to end before it counts as failed.
	pub request_timeout: Duration,
	/// Time a Kademlia query may take.
	pub kad_query_timeout: Duration,
	/// Idle time after which a connection is closed.
	pub idle_connection_timeout: Duration,
	/// Test-only: corrupt every block served, to exercise fetchers' bad-peer handling.
	#[cfg(feature = "testing")]
	pub corrupt_served_blocks: bool,
	/// Test-only: never answer a block request (the request stays open until the
	/// requester's timeout), as a peer that announces content and stalls.
	#[cfg(feature = "testing")]
	pub stall_served_blocks: bool,
}

impl Default for NetworkConfig {
	fn default() -> Self {
		NetworkConfig {
			max_established: 256,
			max_established_per_peer: 2,
			max_pending_incoming: 64,
			max_concurrent_serves: 32,
			request_timeout: Duration::from_secs(30),
			kad_query_timeout: Duration::from_secs(10),
			idle_connection_timeout: Duration::from_secs(60),
			#[cfg(feature = "testing")]
			corrupt_served_blocks: false,
			#[cfg(feature = "testing")]
			stall_served_blocks: false,
		}
	}
}

/// The composed behaviour; its generated event enum is `StoreBehaviourEvent`.
#[derive(NetworkBehaviour)]
pub struct StoreBehaviour {
	blocked_peers: allow_block_list::Behaviour<allow_block_list::BlockedPeers>,
	connection_limits: connection_limits::Behaviour,
	identify: identify::Behaviour,
	ping: ping::Behaviour,
	kademlia: kad::Behaviour<kad::store::MemoryStore>,
	block_exchange: request_response::Behaviour<BlockCodec>,
}

/// Builds the node. `main` (or [`crate::Store`]) spawns the [`EventLoop`] and drains
/// the event stream.
pub fn new(
	keypair: identity::Keypair,
	blockstore: Blockstore,
	config: NetworkConfig,
) -> Result<(Client, impl Stream<Item = Event>, EventLoop)> {
	let peer_id = keypair.public().to_peer_id();
	let swarm = libp2p::SwarmBuilder::with_existing_identity(keypair)
		.with_tokio()
		.with_tcp(tcp::Config::default().nodelay(true), noise::Config::new, yamux::Config::default)
		.map_err(|e| StoreError::Swarm(e.to_string()))?
		.with_behaviour(|key| {
			let mut kad_config = kad::Config::new(KAD_PROTOCOL);
			kad_config.set_query_timeout(config.kad_query_timeout);
			let kad_store = kad::store::MemoryStore::with_config(
				peer_id,
				kad::store::MemoryStoreConfig {
					// A serving node provides every block it holds: far more than the
					// default 1024 keys.
					max_provided_keys: 1 << 20,
					max_records: 1 << 16,
					..Default::default()
				},
			);
			let mut kademlia = kad::Behaviour::with_config(peer_id, kad_store, kad_config);
			// Answer DHT queries even without a confirmed public address (loopback, LAN).
			kademlia.set_mode(Some(kad::Mode::Server));
			StoreBehaviour {
				blocked_peers: Default::default(),
				connection_limits: connection_limits::Behaviour::new(
					connection_limits::ConnectionLimits::default()
						.with_max_established(Some(config.max_established))
						.with_max_established_per_peer(Some(config.max_established_per_peer))
						.with_max_pending_incoming(Some(config.max_pending_incoming)),
				),
				identify: identify::Behaviour::new(identify::Config::new(
					IDENTIFY_PROTOCOL.to_owned(),
					key.public(),
				)),
				ping: ping::Behaviour::new(ping::Config::new()),
				kademlia,
				block_exchange: request_response::Behaviour::with_codec(
					BlockCodec::default(),
					[(BLOCK_PROTOCOL, ProtocolSupport::Full)],
					request_response::Config::default()
						.with_request_timeout(config.request_timeout)
						.with_max_concurrent_streams(256),
				),
			}
		})
		.map_err(|e| StoreError::Swarm(e.to_string()))?
		.with_swarm_config(|c| c.with_idle_connection_timeout(config.idle_connection_timeout))
		.build();

	let (command_sender, command_receiver) = mpsc::channel(256);
	let (event_sender, event_receiver) = mpsc::channel(256);
	let stats = Arc::new(NetworkStats::default());
	let event_loop = EventLoop {
		stats: stats.clone(),
		swarm,
		command_receiver,
		event_sender,
		blockstore,
		serve_slots: Arc::new(Semaphore::new(config.max_concurrent_serves.max(1))),
		serving: FuturesUnordered::new(),
		#[cfg(feature = "testing")]
		corrupt_served_blocks: config.corrupt_served_blocks,
		#[cfg(feature = "testing")]
		stall_served_blocks: config.stall_served_blocks,
		pending_listen: HashMap::new(),
		pending_dial: HashMap::new(),
		pending_start_providing: HashMap::new(),
		pending_get_providers: HashMap::new(),
		pending_block_request: HashMap::new(),
		banned: HashSet::new(),
	};
	Ok((Client { sender: command_sender, peer_id, stats }, event_receiver, event_loop))
}

/// A fresh Ed25519 node identity.
pub fn generate_keypair() -> identity::Keypair {
	identity::Keypair::generate_ed25519()
}

/// Splits `/ip4/…/tcp/…/p2p/<id>` into the peer id and the address without it.
pub fn split_peer_address(addr: &Multiaddr) -> Result<(PeerId, Multiaddr)> {
	let mut transport = addr.clone();
	match transport.pop() {
		Some(Protocol::P2p(peer)) => Ok((peer, transport)),
		_ => Err(StoreError::InvalidAddress {
			addr: addr.to_string(),
			reason: "must end in /p2p/<peer id>".into(),
		}),
	}
}

/// Cloneable handle on the node; every method is a [`Command`] to the [`EventLoop`].
#[derive(Clone, Debug)]
pub struct Client {
	sender: mpsc::Sender<Command>,
	peer_id: PeerId,
	stats: Arc<NetworkStats>,
}

/// What this node's network has done since it started, counted by the event loop itself
/// (events may be dropped when nobody keeps up; these counts are not), for metrics.
#[derive(Debug, Default)]
pub struct NetworkStats {
	/// Block requests answered with the block, and the bytes sent in them.
	pub blocks_served: AtomicU64,
	pub bytes_served: AtomicU64,
	/// Block requests for blocks this node does not hold.
	pub blocks_not_found: AtomicU64,
	/// Peers banned for serving bytes that do not match their CID.
	pub peers_banned: AtomicU64,
}

impl Client {
	/// Counts of what the node's network has done.
	pub fn stats(&self) -> &NetworkStats {
		&self.stats
	}

	/// This node's peer id.
	pub fn peer_id(&self) -> PeerId {
		self.peer_id
	}

	async fn call<T>(&self, make: impl FnOnce(oneshot::Sender<T>) -> Command) -> Result<T> {
		let (sender, receiver) = oneshot::channel();
		self.sender
			.clone()
			.send(make(sender))
			.await
			.map_err(|_| StoreError::NetworkStopped)?;
		receiver.await.map_err(|_| StoreError::NetworkStopped)
	}

	/// Listens on `addr`; resolves to the first concrete address (port 0 resolved).
	pub async fn start_listening(&self, addr: Multiaddr) -> Result<Multiaddr> {
		self.call(|sender| Command::StartListening { addr, sender }).await?
	}

	/// Addresses the node listens on.
	pub async fn listen_addrs(&self) -> Result<Vec<Multiaddr>> {
		self.call(|sender| Command::ListenAddrs { sender }).await
	}

	/// Dials `peer` at `addr`, adds it to the routing table, resolves once connected.
	pub async fn dial(&self, peer: PeerId, addr: Multiaddr) -> Result<()> {
		self.call(|sender| Command::Dial { peer, addr, sender }).await?
	}

	/// Starts a Kademlia bootstrap (self-lookup to fill the routing table).
	pub async fn bootstrap(&self) -> Result<()> {
		self.call(|sender| Command::Bootstrap { sender }).await
	}

	/// Announces this node as a provider of `cid`; resolves when the record is placed
	/// (or the attempt failed: the record stays local and is republished later).
	pub async fn start_providing(&self, cid: Cid) -> Result<bool> {
		self.call(|sender| Command::StartProviding { cid, sender }).await
	}

	/// Looks up providers of `cid` in the DHT (excluding this node).
	pub async fn get_providers(&self, cid: Cid) -> Result<HashSet<PeerId>> {
		self.call(|sender| Command::GetProviders { cid, sender }).await
	}

	/// Asks `peer` for the block `cid`. The bytes are *not* verified here.
	pub async fn request_block(&self, peer: PeerId, cid: Cid) -> Result<BlockResponse> {
		self.call(|sender| Command::RequestBlock { peer, cid, sender }).await?
	}

	/// Disconnects `peer` and refuses it for the rest of this node's life.
	pub async fn ban_peer(&self, peer: PeerId) -> Result<()> {
		self.call(|sender| Command::BanPeer { peer, sender }).await
	}

	/// Peers banned so far.
	pub async fn banned_peers(&self) -> Result<HashSet<PeerId>> {
		self.call(|sender| Command::BannedPeers { sender }).await
	}

	/// Peers with an open connection.
	pub async fn connected_peers(&self) -> Result<Vec<PeerId>> {
		self.call(|sender| Command::ConnectedPeers { sender }).await
	}
}

/// What a [`Client`] asks of the [`EventLoop`].
#[derive(Debug)]
pub(crate) enum Command {
	StartListening { addr: Multiaddr, sender: oneshot::Sender<Result<Multiaddr>> },
	ListenAddrs { sender: oneshot::Sender<Vec<Multiaddr>> },
	Dial { peer: PeerId, addr: Multiaddr, sender: oneshot::Sender<Result<()>> },
	Bootstrap { sender: oneshot::Sender<()> },
	StartProviding { cid: Cid, sender: oneshot::Sender<bool> },
	GetProviders { cid: Cid, sender: oneshot::Sender<HashSet<PeerId>> },
	RequestBlock { peer: PeerId, cid: Cid, sender: oneshot::Sender<Result<BlockResponse>> },
	BanPeer { peer: PeerId, sender: oneshot::Sender<()> },
	BannedPeers { sender: oneshot::Sender<HashSet<PeerId>> },
	ConnectedPeers { sender: oneshot::Sender<Vec<PeerId>> },
}

/// What the node reports on its event stream.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
	/// A new listen address (port resolved).
	NewListenAddr(Multiaddr),
	/// A block request was answered.
	BlockServed { peer: PeerId, cid: Cid, found: bool },
	/// A peer was banned for serving bytes that do not match their CID.
	PeerBanned(PeerId),
}

type ServeResult = (PeerId, Cid, ResponseChannel<BlockResponse>, BlockResponse);

/// Owns the [`Swarm`]; see the module docs.
pub struct EventLoop {
	swarm: Swarm<StoreBehaviour>,
	stats: Arc<NetworkStats>,
	command_receiver: mpsc::Receiver<Command>,
	event_sender: mpsc::Sender<Event>,
	blockstore: Blockstore,
	serve_slots: Arc<Semaphore>,
	serving: FuturesUnordered<tokio::task::JoinHandle<ServeResult>>,
	#[cfg(feature = "testing")]
	corrupt_served_blocks: bool,
	#[cfg(feature = "testing")]
	stall_served_blocks: bool,
	pending_listen: HashMap<ListenerId, oneshot::Sender<Result<Multiaddr>>>,
	pending_dial: HashMap<PeerId, Vec<oneshot::Sender<Result<()>>>>,
	pending_start_providing: HashMap<kad::QueryId, oneshot::Sender<bool>>,
	pending_get_providers:
		HashMap<kad::QueryId, (HashSet<PeerId>, oneshot::Sender<HashSet<PeerId>>)>,
	pending_block_request: HashMap<OutboundRequestId, oneshot::Sender<Result<BlockResponse>>>,
	banned: HashSet<PeerId>,
}

impl EventLoop {
	/// Runs until every [`Client`] is dropped.
	pub async fn run(mut self) {
		loop {
			tokio::select! {
				event = self.swarm.select_next_some() => self.handle_swarm_event(event).await,
				command = self.command_receiver.next() => match command {
					Some(command) => self.handle_command(command),
					None => return,
				},
				Some(served) = self.serving.next(), if !self.serving.is_empty() => {
					if let Ok((peer, cid, channel, response)) = served {
						let found = match &response {
							BlockResponse::Found(bytes) => {
								self.stats.blocks_served.fetch_add(1, Ordering::Relaxed);
								self.stats.bytes_served.fetch_add(bytes.len() as u64, Ordering::Relaxed);
								true
							},
							BlockResponse::NotFound => {
								self.stats.blocks_not_found.fetch_add(1, Ordering::Relaxed);
								false
							},
						};
						// Fails only if the requester gave up; nothing to do then.
						let _ = self.swarm.behaviour_mut().block_exchange.send_response(channel, response);
						self.report(Event::BlockServed { peer, cid, found });
					}
				}
			}
		}
	}

	/// Events are informational: if nobody keeps up, drop them rather than stall.
	fn report(&mut self, event: Event) {
		let _ = self.event_sender.try_send(event);
	}

	async fn handle_swarm_event(&mut self, event: SwarmEvent<StoreBehaviourEvent>) {
		match event {
			SwarmEvent::NewListenAddr { listener_id, address } => {
				tracing::info!(%address, "listening");
				if let Some(sender) = self.pending_listen.remove(&listener_id) {
					let _ = sender.send(Ok(address.clone()));
				}
				self.report(Event::NewListenAddr(address));
			},
			SwarmEvent::ListenerClosed { listener_id, reason, .. } => {
				if let Some(sender) = self.pending_listen.remove(&listener_id) {
					let reason = match reason {
						Ok(()) => "listener closed".to_owned(),
						Err(e) => e.to_string(),
					};
					let _ = sender.send(Err(StoreError::Listen { addr: "?".into(), reason }));
				}
			},
			SwarmEvent::ConnectionEstablished { peer_id, endpoint, .. } if endpoint.is_dialer() => {
				for sender in self.pending_dial.remove(&peer_id).unwrap_or_default() {
					let _ = sender.send(Ok(()));
				}
			},
			SwarmEvent::OutgoingConnectionError { peer_id: Some(peer_id), error, .. } => {
				for sender in self.pending_dial.remove(&peer_id).unwrap_or_default() {
					let _ = sender.send(Err(StoreError::Dial {
						peer: peer_id.to_string(),
						reason: error.to_string(),
					}));
				}
			},
			SwarmEvent::Behaviour(StoreBehaviourEvent::Identify(identify::Event::Received {
				peer_id,
				info,
				..
			})) if info.protocols.contains(&KAD_PROTOCOL) => {
				// Kademlia only learns dialable addresses of peers it dialed itself;
				// identify tells us where inbound peers listen, so providers that
				// connected to us can be handed out to others.
				for addr in info.listen_addrs {
					self.swarm.behaviour_mut().kademlia.add_address(&peer_id, addr);
				}
			},
			SwarmEvent::Behaviour(StoreBehaviourEvent::Kademlia(event)) => {
				self.handle_kad_event(event)
			},
			SwarmEvent::Behaviour(StoreBehaviourEvent::BlockExchange(event)) => {
				self.handle_block_exchange_event(event)
			},
			_ => {},
		}
	}

	fn handle_kad_event(&mut self, event: kad::Event) {
		let kad::Event::OutboundQueryProgressed { id, result, step, .. } = event else {
			return;
		};
		match result {
			kad::QueryResult::StartProviding(result) => {
				if let Some(sender) = self.pending_start_providing.remove(&id) {
					if let Err(error) = &result {
						tracing::debug!(%error, "provider record not placed remotely");
					}
					let _ = sender.send(result.is_ok());
				}
			},
			kad::QueryResult::GetProviders(result) => {
				if let Ok(kad::GetProvidersOk::FoundProviders { providers, .. }) = result {
					if let Some((found, _)) = self.pending_get_providers.get_mut(&id) {
						found.extend(providers);
					}
				}
				if step.last {
					if let Some((mut found, sender)) = self.pending_get_providers.remove(&id) {
						found.remove(self.swarm.local_peer_id());
						let _ = sender.send(found);
					}
				}
			},
			_ => {},
		}
	}

	fn handle_block_exchange_event(
		&mut self,
		event: request_response::Event<BlockRequest, BlockResponse>,
	) {
		match event {
			request_response::Event::Message { peer, message } => match message {
				request_response::Message::Request {
					request: BlockRequest(cid), channel, ..
				} => {
					self.serve_block(peer, cid, channel);
				},
				request_response::Message::Response { request_id, response } => {
					if let Some(sender) = self.pending_block_request.remove(&request_id) {
						let _ = sender.send(Ok(response));
					}
				},
			},
			request_response::Event::OutboundFailure { peer, request_id, error } => {
				if let Some(sender) = self.pending_block_request.remove(&request_id) {
					let _ = sender.send(Err(StoreError::Request {
						peer: peer.to_string(),
						reason: error.to_string(),
					}));
				}
			},
			request_response::Event::InboundFailure { peer, error, .. } => {
				tracing::debug!(%peer, %error, "inbound block request failed");
			},
			request_response::Event::ResponseSent { .. } => {},
		}
	}

	/// Reads the block on the blocking pool; the loop sends the response when it is done.
	fn serve_block(&mut self, peer: PeerId, cid: Cid, channel: ResponseChannel<BlockResponse>) {
		let blockstore = self.blockstore.clone();
		let slots = self.serve_slots.clone();
		#[cfg(feature = "testing")]
		let (corrupt, stall) = (self.corrupt_served_blocks, self.stall_served_blocks);
		self.serving.push(tokio::spawn(async move {
			#[cfg(feature = "testing")]
			if stall {
				std::future::pending::<()>().await;
			}
			let _slot = slots.acquire_owned().await;
			let read = tokio::task::spawn_blocking(move || blockstore.get_block(&cid)).await;
			#[allow(unused_mut)]
			let mut response = match read {
				Ok(Ok(bytes)) => BlockResponse::Found(bytes),
				_ => BlockResponse::NotFound,
			};
			#[cfg(feature = "testing")]
			if corrupt {
				if let BlockResponse::Found(bytes) = &mut response {
					match bytes.first_mut() {
						Some(first) => *first ^= 0xff,
						None => bytes.push(0),
					}
				}
			}
			(peer, cid, channel, response)
		}));
	}

	fn handle_command(&mut self, command: Command) {
		match command {
			Command::StartListening { addr, sender } => match self.swarm.listen_on(addr.clone()) {
				Ok(listener_id) => {
					self.pending_listen.insert(listener_id, sender);
				},
				Err(e) => {
					let _ = sender.send(Err(StoreError::Listen {
						addr: addr.to_string(),
						reason: e.to_string(),
					}));
				},
			},
			Command::ListenAddrs { sender } => {
				let _ = sender.send(self.swarm.listeners().cloned().collect());
			},
			Command::Dial { peer, addr, sender } => {
				if self.banned.contains(&peer) {
					let _ = sender.send(Err(StoreError::Dial {
						peer: peer.to_string(),
						reason: "peer is banned".into(),
					}));
					return;
				}
				self.swarm.behaviour_mut().kademlia.add_address(&peer, addr.clone());
				if self.swarm.is_connected(&peer) {
					let _ = sender.send(Ok(()));
					return;
				}
				match self.pending_dial.entry(peer) {
					hash_map::Entry::Occupied(mut waiting) => waiting.get_mut().push(sender),
					hash_map::Entry::Vacant(slot) => {
						let addr = addr.with(Protocol::P2p(peer));
						match self.swarm.dial(addr) {
							Ok(()) => {
								slot.insert(vec![sender]);
							},
							Err(e) => {
								let _ = sender.send(Err(StoreError::Dial {
									peer: peer.to_string(),
									reason: e.to_string(),
								}));
							},
						}
					},
				}
			},
			Command::Bootstrap { sender } => {
				if let Err(error) = self.swarm.behaviour_mut().kademlia.bootstrap() {
					tracing::debug!(%error, "kademlia bootstrap not started");
				}
				let _ = sender.send(());
			},
			Command::StartProviding { cid, sender } => {
				match self
					.swarm
					.behaviour_mut()
					.kademlia
					.start_providing(kad::RecordKey::new(&cid.to_bytes()))
				{
					Ok(query_id) => {
						self.pending_start_providing.insert(query_id, sender);
					},
					Err(error) => {
						tracing::warn!(%cid, %error, "cannot record provider");
						let _ = sender.send(false);
					},
				}
			},
			Command::GetProviders { cid, sender } => {
				let query_id = self
					.swarm
					.behaviour_mut()
					.kademlia
					.get_providers(kad::RecordKey::new(&cid.to_bytes()));
				self.pending_get_providers.insert(query_id, (HashSet::new(), sender));
			},
			Command::RequestBlock { peer, cid, sender } => {
				if self.banned.contains(&peer) {
					let _ = sender.send(Err(StoreError::Request {
						peer: peer.to_string(),
						reason: "peer is banned".into(),
					}));
					return;
				}
				let request_id = self
					.swarm
					.behaviour_mut()
					.block_exchange
					.send_request(&peer, BlockRequest(cid));
				self.pending_block_request.insert(request_id, sender);
			},
			Command::BanPeer { peer, sender } => {
				if self.banned.insert(peer) {
					tracing::debug!(%peer, "banning peer that served corrupted blocks");
					let behaviour = self.swarm.behaviour_mut();
					// Closes the open connections and refuses new ones.
					behaviour.blocked_peers.block_peer(peer);
					behaviour.kademlia.remove_peer(&peer);
					self.stats.peers_banned.fetch_add(1, Ordering::Relaxed);
					self.report(Event::PeerBanned(peer));
				}
				let _ = sender.send(());
			},
			Command::BannedPeers { sender } => {
				let _ = sender.send(self.banned.clone());
			},
			Command::ConnectedPeers { sender } => {
				let _ = sender.send(self.swarm.connected_peers().copied().collect());
			},
		}
	}
}
