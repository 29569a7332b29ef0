//! Loopback throughput of a 100 MiB artifact between two peers against a raw TCP copy
//! of the same bytes in the same run. Three measurements per round, MB/s = 10^6 bytes/s:
//!
//! - **raw TCP**: one loopback connection, sender to receiver memory, no framing.
//! - **libp2p transfer**: every block requested over `/din/block/1` (TCP + Noise + Yamux,
//!   16 in flight by default) from the provider and hash-checked, into memory: the network path.
//! - **libp2p get**: `Store::get` on a fresh node: DHT provider lookup, transfer,
//!   verification, atomic `sync_data`'d writes into the block store, reassembly.
//!
//! `cargo bench -p din-store --bench store_throughput` (or
//! `scripts/bench/store_throughput.sh`); `DIN_BENCH_MIB` and `DIN_BENCH_ROUNDS` override
//! the size (100) and the number of rounds (3; the best round of each is reported),
//! `DIN_BENCH_IN_FLIGHT` the blocks requested at once (default: the store's 16).

use std::time::{Duration, Instant};

use din_store::codec::BlockResponse;
use din_store::{dag, Cid, PeerId, Store, StoreConfig};
use futures::stream::{self, StreamExt};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
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

fn mb_per_s(bytes: usize, time: Duration) -> f64 {
	bytes as f64 / 1e6 / time.as_secs_f64()
}

#[tokio::main]
async fn main() {
	let size = env_or("DIN_BENCH_MIB", 100) << 20;
	let rounds = env_or("DIN_BENCH_ROUNDS", 3).max(1);
	let in_flight =
		env_or("DIN_BENCH_IN_FLIGHT", StoreConfig::new(".").max_concurrent_fetches).max(1);
	let bytes = din_store::testing::pseudo_random_bytes(size, 7);

	let provider_dir = tempfile::tempdir().expect("tempdir");
	let provider = Store::start(config(provider_dir.path())).await.expect("provider");
	let cid = provider.put(bytes.clone()).await.expect("put");
	println!(
		"artifact: {} MiB, {} blocks, root {cid}",
		size >> 20,
		provider.blockstore().artifact_blocks(&cid).expect("blocks").len()
	);

	let blocks = provider.blockstore().artifact_blocks(&cid).expect("blocks");

	let mut best = [Duration::MAX; 3];
	for round in 1..=rounds {
		let tcp = raw_tcp_copy(&bytes).await;

		// A fresh fetcher each round: empty block store, new connection, DHT lookup.
		let fetcher_dir = tempfile::tempdir().expect("tempdir");
		let mut fetcher_config = config(fetcher_dir.path());
		fetcher_config.bootstrap = provider.listen_addrs().to_vec();
		fetcher_config.announce_on_start = false;
		fetcher_config.max_concurrent_fetches = in_flight;
		let fetcher = Store::start(fetcher_config).await.expect("fetcher");

		let (transfer, received) =
			libp2p_transfer(&fetcher, provider.peer_id(), &blocks, in_flight).await;
		assert_eq!(received, size);

		let started = Instant::now();
		let fetched = fetcher.get(&cid).await.expect("get");
		let get = started.elapsed();
		assert!(fetched == bytes, "fetched bytes differ");
		drop(fetcher);

		println!(
            "round {round}: raw TCP {:>7.1} MB/s ({tcp:.2?})  libp2p transfer {:>7.1} MB/s ({transfer:.2?})  libp2p get {:>7.1} MB/s ({get:.2?})",
            mb_per_s(size, tcp),
            mb_per_s(size, transfer),
            mb_per_s(size, get)
        );
		for (best, time) in best.iter_mut().zip([tcp, transfer, get]) {
			*best = (*best).min(time);
		}
	}
	let [tcp, transfer, get] = best.map(|time| mb_per_s(size, time));
	println!("best of {rounds}: raw TCP {tcp:.1} MB/s");
	println!("  libp2p transfer {transfer:.1} MB/s  ratio {:.2}x (goal >= 0.5x)", transfer / tcp);
	println!("  libp2p get      {get:.1} MB/s  ratio {:.2}x (includes DHT lookup and durable block store writes)", get / tcp);
}
