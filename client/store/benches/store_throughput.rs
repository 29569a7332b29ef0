//! Loopback throughput of a 100 MiB artifact between two peers against a raw TCP copy
//! of the same bytes in the same run, MB/s = 10^6 bytes/s, medians of the rounds:
//!
//! - **raw TCP**: one loopback connection, sender to receiver memory, no framing.
//! - **block requests**: every block requested over `/din/block/1` (TCP + Noise + Yamux,
//!   16 in flight by default) from the provider and hash-checked, into memory: the network
//!   path.
//! - **`Store::get`** on a fresh node: DHT provider lookup, transfer, verification, atomic
//!   writes into the block store's cache (unflushed: fetched blocks can be fetched again),
//!   reassembly from the bytes in hand.
//!
//! Then the latency of a small artifact (256 KiB, an update of 2^16 values): a raw TCP fetch
//! (connect, one-byte request, the bytes back) against `Store::get` on a node already
//! connected to the provider (DHT lookup, manifest and block requests, verification,
//! cache writes) and against `Store::get_at_most_from` naming the provider (no lookup).
//!
//! Beside each raw TCP figure, its **floor**: the same TCP transfer with the two costs no
//! secure, content-addressed transfer can skip, ChaCha20-Poly1305 on frames of Noise's
//! largest size (sealed by the sender, opened by the receiver) and the receiver's SHA-256
//! check of every block against its CID. No libp2p, no multiplexing, no requests: what
//! any implementation of the store's guarantees must at least spend on this machine. Under
//! the 100 MiB table, the **bound** from one core's sealing and hashing rates: every core
//! doing nothing but the three passes over the bytes (seal, open, hash), perfectly shared.
//!
//! `scripts/bench/store_throughput.sh [--write]` prints the two tables (and writes them
//! into `docs/benchmarks.md`). `DIN_BENCH_MIB`, `DIN_BENCH_ROUNDS`, `DIN_BENCH_SMALL_KIB`
//! and `DIN_BENCH_IN_FLIGHT` override the size (100), the rounds (7), the small artifact
//! (256) and the blocks requested at once (the store's 16); `DIN_BENCH_TRANSFER_ONLY=1`
//! runs the block requests alone (for a profiler).

use std::time::{Duration, Instant};

use chacha20poly1305::aead::{AeadInPlace, KeyInit};
use chacha20poly1305::{ChaCha20Poly1305, Nonce, Tag};
use din_store::codec::BlockResponse;
use din_store::{dag, Cid, PeerId, Store, StoreConfig};
use futures::stream::{self, StreamExt};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

fn env_or(name: &str, default: usize) -> usize {
	std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// Sends `bytes` over one loopback TCP connection; the time until the receiver holds all
/// of them in memory.
async fn raw_tcp_copy(bytes: &[u8]) -> Duration {
	let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
	let addr = listener.local_addr().expect("addr");
	let expected = bytes.len();
	let receiver = tokio::spawn(async move {
		let (mut socket, _) = listener.accept().await.expect("accept");
		let mut received = Vec::with_capacity(expected);
		socket.read_to_end(&mut received).await.expect("read");
		assert_eq!(received.len(), expected);
		Instant::now()
	});
	let started = Instant::now();
	let mut socket = TcpStream::connect(addr).await.expect("connect");
	socket.set_nodelay(true).expect("nodelay");
	socket.write_all(bytes).await.expect("write");
	socket.shutdown().await.expect("shutdown");
	receiver.await.expect("receiver") - started
}

/// Serves `bytes` to one client that sends a byte; the client's time from connect to
/// holding all of them.
async fn raw_tcp_fetch(bytes: Vec<u8>) -> Duration {
	let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
	let addr = listener.local_addr().expect("addr");
	let expected = bytes.len();
	let server = tokio::spawn(async move {
		let (mut socket, _) = listener.accept().await.expect("accept");
		socket.set_nodelay(true).expect("nodelay");
		let mut request = [0u8; 1];
		socket.read_exact(&mut request).await.expect("request");
		socket.write_all(&bytes).await.expect("write");
		socket.shutdown().await.expect("shutdown");
	});
	let started = Instant::now();
	let mut socket = TcpStream::connect(addr).await.expect("connect");
	socket.set_nodelay(true).expect("nodelay");
	socket.write_all(&[1]).await.expect("request");
	let mut received = Vec::with_capacity(expected);
	socket.read_to_end(&mut received).await.expect("read");
	let elapsed = started.elapsed();
	assert_eq!(received.len(), expected);
	server.await.expect("server");
	elapsed
}

/// Noise's largest frame: a 2-byte length, then at most 65535 bytes of ciphertext and tag.
const SEALED_FRAME: usize = u16::MAX as usize;
const TAG: usize = 16;

fn cipher() -> ChaCha20Poly1305 {
	ChaCha20Poly1305::new(&[7u8; 32].into())
}

fn nonce(counter: u64) -> Nonce {
	let mut nonce = [0u8; 12];
	nonce[4..].copy_from_slice(&counter.to_le_bytes());
	nonce.into()
}

/// Writes `bytes` as sealed frames, as a Noise transport would.
async fn write_sealed(socket: &mut (impl AsyncWrite + Unpin), bytes: &[u8]) {
	let cipher = cipher();
	let mut frame = Vec::with_capacity(2 + SEALED_FRAME);
	for (counter, chunk) in bytes.chunks(SEALED_FRAME - TAG).enumerate() {
		frame.clear();
		frame.extend_from_slice(&((chunk.len() + TAG) as u16).to_be_bytes());
		frame.extend_from_slice(chunk);
		let tag = cipher
			.encrypt_in_place_detached(&nonce(counter as u64), b"", &mut frame[2..])
			.expect("seal");
		frame.extend_from_slice(&tag);
		socket.write_all(&frame).await.expect("write");
	}
}

/// Reads sealed frames until `expected` bytes are open, checking every block of `blocks`
/// (in order, `MAX_BLOCK_SIZE` each) as soon as its bytes are in.
async fn read_sealed_verified(
	socket: impl AsyncRead + Unpin,
	expected: usize,
	blocks: &[Cid],
) -> Vec<u8> {
	let cipher = cipher();
	let mut socket = BufReader::with_capacity(2 * SEALED_FRAME, socket);
	let mut received = Vec::with_capacity(expected);
	let mut verified = 0;
	let mut counter = 0u64;
	while received.len() < expected {
		let len = socket.read_u16().await.expect("frame length") as usize;
		let start = received.len();
		received.resize(start + len, 0);
		socket.read_exact(&mut received[start..]).await.expect("frame");
		let opened = start + len - TAG;
		let tag = Tag::clone_from_slice(&received[opened..]);
		cipher
			.decrypt_in_place_detached(&nonce(counter), b"", &mut received[start..opened], &tag)
			.expect("open");
		received.truncate(opened);
		counter += 1;
		let block_size = din_store::dag::MAX_BLOCK_SIZE;
		while verified < blocks.len()
			&& (received.len() - verified * block_size >= block_size || received.len() == expected)
		{
			let end = (verified * block_size + block_size).min(expected);
			dag::verify_block(&blocks[verified], &received[verified * block_size..end])
				.expect("verified");
			verified += 1;
		}
	}
	assert_eq!(verified, blocks.len());
	received
}

/// [`raw_tcp_copy`] with sealed frames and every block checked: the floor of a 100 MiB transfer.
async fn sealed_tcp_copy(bytes: &[u8], blocks: &[Cid]) -> Duration {
	let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
	let addr = listener.local_addr().expect("addr");
	let expected = bytes.len();
	let blocks = blocks.to_vec();
	let receiver = tokio::spawn(async move {
		let (socket, _) = listener.accept().await.expect("accept");
		let received = read_sealed_verified(socket, expected, &blocks).await;
		assert_eq!(received.len(), expected);
		Instant::now()
	});
	let started = Instant::now();
	let mut socket = TcpStream::connect(addr).await.expect("connect");
	socket.set_nodelay(true).expect("nodelay");
	write_sealed(&mut socket, bytes).await;
	socket.shutdown().await.expect("shutdown");
	receiver.await.expect("receiver") - started
}

/// [`raw_tcp_fetch`] with sealed frames and the block checked: the floor of a small fetch.
async fn sealed_tcp_fetch(bytes: Vec<u8>) -> Duration {
	let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
	let addr = listener.local_addr().expect("addr");
	let expected = bytes.len();
	let block = dag::raw_cid(&bytes);
	let server = tokio::spawn(async move {
		let (mut socket, _) = listener.accept().await.expect("accept");
		socket.set_nodelay(true).expect("nodelay");
		let mut request = [0u8; 1];
		socket.read_exact(&mut request).await.expect("request");
		write_sealed(&mut socket, &bytes).await;
		socket.shutdown().await.expect("shutdown");
	});
	let started = Instant::now();
	let mut socket = TcpStream::connect(addr).await.expect("connect");
	socket.set_nodelay(true).expect("nodelay");
	socket.write_all(&[1]).await.expect("request");
	let received = read_sealed_verified(&mut socket, expected, &[block]).await;
	let elapsed = started.elapsed();
	assert_eq!(received.len(), expected);
	server.await.expect("server");
	elapsed
}

/// One core's rates, MB/s: sealing frames of Noise's largest size, and SHA-256 of 1 MiB
/// blocks (the CID check), each over `bytes`.
fn one_core_rates(bytes: &[u8]) -> (f64, f64) {
	let cipher = cipher();
	let mut frame = vec![0u8; SEALED_FRAME - TAG];
	let started = Instant::now();
	for (counter, chunk) in bytes.chunks(SEALED_FRAME - TAG).enumerate() {
		let frame = &mut frame[..chunk.len()];
		frame.copy_from_slice(chunk);
		std::hint::black_box(
			cipher
				.encrypt_in_place_detached(&nonce(counter as u64), b"", frame)
				.expect("seal"),
		);
	}
	let seal = mb_per_s(bytes.len(), started.elapsed());
	let started = Instant::now();
	for block in bytes.chunks(din_store::dag::MAX_BLOCK_SIZE) {
		std::hint::black_box(dag::raw_cid(block));
	}
	(seal, mb_per_s(bytes.len(), started.elapsed()))
}

/// Requests every block from `provider` (`in_flight` at a time), verifies it, keeps it in memory.
async fn libp2p_transfer(
	fetcher: &Store,
	provider: PeerId,
	blocks: &[Cid],
	in_flight: usize,
) -> (Duration, usize) {
	let started = Instant::now();
	let received: Vec<Vec<u8>> = stream::iter(blocks)
		.map(|cid| async move {
			match fetcher.client().request_block(provider, *cid).await.expect("request") {
				BlockResponse::Found(bytes) => {
					dag::verify_block(cid, &bytes).expect("verified");
					bytes
				},
				BlockResponse::NotFound => panic!("provider lacks {cid}"),
			}
		})
		.buffered(in_flight)
		.collect()
		.await;
	(started.elapsed(), received.iter().map(Vec::len).sum())
}

fn config(dir: &std::path::Path) -> StoreConfig {
	let mut config = StoreConfig::new(dir);
	config.listen.push("/ip4/127.0.0.1/tcp/0".parse().expect("multiaddr"));
	config
}

/// A fetch-only node joined to `provider`, with an empty block store of its own.
async fn fetcher_of(provider: &Store, in_flight: usize) -> (Store, tempfile::TempDir) {
	let dir = tempfile::tempdir().expect("tempdir");
	let mut config = config(dir.path());
	config.bootstrap = provider.listen_addrs().to_vec();
	config.announce_on_start = false;
	config.max_concurrent_fetches = in_flight;
	(Store::start(config).await.expect("fetcher"), dir)
}

fn mb_per_s(bytes: usize, time: Duration) -> f64 {
	bytes as f64 / 1e6 / time.as_secs_f64()
}

fn median(mut times: Vec<Duration>) -> Duration {
	times.sort();
	times[times.len() / 2]
}

#[tokio::main]
async fn main() {
	let size = env_or("DIN_BENCH_MIB", 100) << 20;
	let rounds = env_or("DIN_BENCH_ROUNDS", 7).max(1);
	let in_flight =
		env_or("DIN_BENCH_IN_FLIGHT", StoreConfig::new(".").max_concurrent_fetches).max(1);
	let transfer_only = std::env::var_os("DIN_BENCH_TRANSFER_ONLY").is_some();
	let bytes = din_store::testing::pseudo_random_bytes(size, 7);

	let provider_dir = tempfile::tempdir().expect("tempdir");
	let provider = Store::start(config(provider_dir.path())).await.expect("provider");
	let cid = provider.put(bytes.clone()).await.expect("put");
	let blocks = provider.blockstore().artifact_blocks(&cid).expect("blocks");
	println!("artifact: {} MiB, {} blocks, root {cid}", size >> 20, blocks.len());

	let (mut tcp, mut floor, mut transfer, mut get) =
		(Vec::new(), Vec::new(), Vec::new(), Vec::new());
	for round in 1..=rounds {
		if !transfer_only {
			tcp.push(raw_tcp_copy(&bytes).await);
			floor.push(sealed_tcp_copy(&bytes, &blocks).await);
		}
		// Fresh fetchers each round: empty block store, new connection, DHT lookup.
		let (fetcher, _dir) = fetcher_of(&provider, in_flight).await;
		let (time, received) =
			libp2p_transfer(&fetcher, provider.peer_id(), &blocks, in_flight).await;
		assert_eq!(received, size);
		transfer.push(time);
		println!("round {round}: block requests {:.1} MB/s", mb_per_s(size, time));
		if !transfer_only {
			let (fetcher, _dir) = fetcher_of(&provider, in_flight).await;
			let started = Instant::now();
			let fetched = fetcher.get(&cid).await.expect("get");
			get.push(started.elapsed());
			assert!(fetched == bytes, "fetched bytes differ");
		}
	}
	let transfer = mb_per_s(size, median(transfer));
	if transfer_only {
		println!("median of {rounds}: block requests {transfer:.1} MB/s");
		return;
	}
	let tcp = mb_per_s(size, median(tcp));
	let floor = mb_per_s(size, median(floor));
	let (seal, sha) = one_core_rates(&bytes);
	// Sealing, opening (as fast as sealing) and hashing pass over every byte once each; with
	// the machine's cores doing nothing else, perfectly shared, no transfer goes faster.
	let cores = std::thread::available_parallelism().map_or(1, |n| n.get()) as f64;
	let ideal = cores / (2.0 / seal + 1.0 / sha);
	let get = mb_per_s(size, median(get));

	// A small artifact (an update of 2^16 values) from a provider the fetcher is connected to.
	let small = env_or("DIN_BENCH_SMALL_KIB", 256) << 10;
	let (fetcher, _dir) = fetcher_of(&provider, in_flight).await;
	let (mut small_tcp, mut small_floor, mut small_get, mut small_get_from) =
		(Vec::new(), Vec::new(), Vec::new(), Vec::new());
	for round in 0..20u64 {
		let artifact = din_store::testing::pseudo_random_bytes(small, 100 + round);
		small_tcp.push(raw_tcp_fetch(artifact.clone()).await);
		small_floor.push(sealed_tcp_fetch(artifact.clone()).await);
		let cid = provider.put(artifact.clone()).await.expect("put");
		let started = Instant::now();
		let fetched = fetcher.get(&cid).await.expect("get");
		small_get.push(started.elapsed());
		assert!(fetched == artifact, "fetched bytes differ");
		let cid = provider.put(artifact.iter().map(|byte| !byte).collect()).await.expect("put");
		let started = Instant::now();
		fetcher
			.get_at_most_from(&cid, din_store::MAX_ARTIFACT_SIZE, &[provider.peer_id()])
			.await
			.expect("get from");
		small_get_from.push(started.elapsed());
	}
	let small_tcp = median(small_tcp);
	let small_ratio = |time: Duration| time.as_secs_f64() / small_tcp.as_secs_f64();
	let (small_floor, small_get, small_get_from) =
		(median(small_floor), median(small_get), median(small_get_from));

	println!();
	println!("| {} MiB, loopback, median of {rounds} | MB/s | ÷ raw TCP |", size >> 20);
	println!("|---|---:|---:|");
	println!("| raw TCP copy | {tcp:.0} | 1.00 |");
	let rows = [
		("floor: raw TCP, ChaCha20-Poly1305 frames, SHA-256 of every block", floor),
		("block requests: Noise, yamux, verification, into memory", transfer),
		("`Store::get`: DHT lookup, requests, verification, cache writes", get),
	];
	for (label, rate) in rows {
		println!("| {label} | {rate:.0} | **{:.2}** |", rate / tcp);
	}
	println!(
		"| bound: every core sealing, opening or hashing, nothing else ({seal:.0} MB/s sealing, {sha:.0} MB/s SHA-256 on one core) | {ideal:.0} | **{:.2}** |",
		ideal / tcp
	);
	println!();
	println!(
		"| {} KiB artifact, connected provider, median of 20 | time | ÷ raw TCP |",
		small >> 10
	);
	println!("|---|---:|---:|");
	println!("| raw TCP: connect, one-byte request, the bytes back | {small_tcp:.2?} | 1.00 |");
	println!(
		"| floor: the same, ChaCha20-Poly1305 frames, SHA-256 of the block | {small_floor:.2?} | **{:.2}** |",
		small_ratio(small_floor)
	);
	println!("| `Store::get` (DHT lookup) | {small_get:.2?} | **{:.2}** |", small_ratio(small_get));
	println!(
		"| `Store::get_at_most_from` the provider | {small_get_from:.2?} | **{:.2}** |",
		small_ratio(small_get_from)
	);
}
