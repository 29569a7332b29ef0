//! Real libp2p swarms on 127.0.0.1 (port 0), one `Store` per node, each test bounded in
//! time.

use std::future::Future;
use std::time::{Duration, Instant};

use std::sync::Arc;

use din_primitives::{upload, AccountId, Signature};
use din_store::gateway::{self, GatewayConfig};
use din_store::uploads::{AllowedAccounts, UploadConfig};
use din_store::{dag, Cid, Multiaddr, NetworkConfig, Store, StoreConfig, StoreError};
use polkadot_sdk::sp_core::{sr25519, Pair};
use tempfile::TempDir;

const TEST_LIMIT: Duration = Duration::from_secs(90);

/// A node and the directory it stores in (removed on drop).
struct Node {
	store: Store,
	dir: TempDir,
}

impl Node {
	fn addr(&self) -> Multiaddr {
		self.store.listen_addrs()[0].clone()
	}
}

fn config(dir: &std::path::Path, bootstrap: &[&Node]) -> StoreConfig {
	let mut config = StoreConfig::new(dir);
	config.listen.push("/ip4/127.0.0.1/tcp/0".parse().expect("multiaddr"));
	config.bootstrap = bootstrap.iter().map(|node| node.addr()).collect();
	config.provider_wait = Duration::from_secs(5);
	config
}

async fn start(bootstrap: &[&Node]) -> Node {
	start_with(bootstrap, |_| {}).await
}

/// A node whose network config `adjust` changed (the test-only misbehaviours).
async fn start_with(bootstrap: &[&Node], adjust: impl FnOnce(&mut NetworkConfig)) -> Node {
	let dir = tempfile::tempdir().expect("tempdir");
	let mut config = config(dir.path(), bootstrap);
	adjust(&mut config.network);
	let store = Store::start(config).await.expect("start node");
	Node { store, dir }
}

/// A peer that announces what it stores but never answers a block request.
async fn start_stalling(bootstrap: &[&Node]) -> Node {
	start_with(bootstrap, |network| network.stall_served_blocks = true).await
}

/// A peer that corrupts every block it serves.
async fn start_evil(bootstrap: &[&Node]) -> Node {
	start_with(bootstrap, |network| network.corrupt_served_blocks = true).await
}

use din_store::testing::pseudo_random_bytes as artifact;

/// A gateway over `store` on a loopback port, running; returns its address.
async fn serve_gateway(store: &Store, config: GatewayConfig) -> std::net::SocketAddr {
	let (http, server) = gateway::bind("127.0.0.1:0".parse().expect("addr"), store.clone(), config)
		.await
		.expect("bind gateway");
	tokio::spawn(server);
	http
}

/// A connection from 127.0.0.1 that asks `http` for the artifact `cid`, reads the status
/// line (200: the gateway holds a slot for it) and nothing more. A receive buffer set by
/// hand is not autotuned, so for an artifact larger than loopback's socket buffers the
/// response stalls on full buffers whatever the host's `tcp_rmem` allows, holding the slot.
async fn stalled_reader(http: std::net::SocketAddr, cid: &Cid) -> tokio::net::TcpStream {
	use tokio::io::{AsyncReadExt, AsyncWriteExt};
	let socket = tokio::net::TcpSocket::new_v4().expect("socket");
	socket.set_recv_buffer_size(16 << 10).expect("receive buffer");
	let mut stalled = socket.connect(http).await.expect("connect");
	let request = format!("GET /artifact/{cid} HTTP/1.1\r\nHost: gateway\r\n\r\n");
	stalled.write_all(request.as_bytes()).await.expect("send the request");
	let mut status = [0u8; 12];
	stalled.read_exact(&mut status).await.expect("the status line");
	assert_eq!(&status, b"HTTP/1.1 200", "the stalled reader is served");
	stalled
}

async fn bounded<T>(test: impl Future<Output = T>) -> T {
	tokio::time::timeout(TEST_LIMIT, test)
		.await
		.expect("test exceeded its time bound")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn put_on_a_get_from_c_via_provider_discovery_through_b() {
	bounded(async {
		let b = start(&[]).await;
		let a = start(&[&b]).await;
		let c = start(&[&b]).await;
		// C knows only B; its bootstrap lookup may reach A through B's routing table, but
		// only a provider record tells it that A holds the artifact.
		let peers = c.store.client().connected_peers().await.expect("peers");
		assert!(peers.contains(&b.store.peer_id()), "C is connected to its bootstrap peer");

		let bytes = artifact(3 * dag::MAX_BLOCK_SIZE + 123, 1);
		let cid = a.store.put(bytes.clone()).await.expect("put");
		assert!(
			!b.store.blockstore().has_block(&cid),
			"B only routes, it does not hold the content"
		);

		assert_eq!(c.store.get(&cid).await.expect("get on C"), bytes);
		assert!(c.store.blockstore().is_complete(&cid));
		assert!(!c.store.blockstore().is_pinned(&cid), "fetched content is a cache");

		// What each node served, as its metrics report it: A every block (the manifest's
		// too), B none.
		use std::sync::atomic::Ordering::Relaxed;
		let served = a.store.network_stats();
		assert!(served.blocks_served.load(Relaxed) >= 4, "A served the 4 data blocks");
		assert!(served.bytes_served.load(Relaxed) >= bytes.len() as u64, "and their bytes");
		assert_eq!(b.store.network_stats().blocks_served.load(Relaxed), 0);
	})
	.await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_artifact_over_the_readers_limit_is_refused_before_its_blocks_are_fetched() {
	bounded(async {
		let a = start(&[]).await;
		let c = start(&[&a]).await;
		let bytes = artifact(3 * dag::MAX_BLOCK_SIZE, 3);
		let cid = a.store.put(bytes.clone()).await.expect("put");
		let limit = dag::MAX_BLOCK_SIZE as u64;

		let error = c.store.get_at_most(&cid, limit).await.expect_err("over the limit");
		assert!(matches!(error, StoreError::ArtifactTooLarge { max, .. } if max == limit));
		let blocks = c.store.blockstore().list_blocks().expect("blocks");
		assert_eq!(blocks, vec![cid], "only the manifest was fetched, none of its blocks");

		let fitting = bytes.len() as u64;
		assert_eq!(c.store.get_at_most(&cid, fitting).await.expect("within the limit"), bytes);
	})
	.await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_mib_artifact_round_trip_is_byte_identical() {
	bounded(async {
		let a = start(&[]).await;
		let c = start(&[&a]).await;
		let bytes = artifact(50 << 20, 2);
		let cid = a.store.put(bytes.clone()).await.expect("put");
		let started = Instant::now();
		let fetched = c.store.get(&cid).await.expect("get");
		eprintln!("50 MiB fetched in {:?}", started.elapsed());
		assert!(fetched == bytes, "50 MiB artifact differs after the round trip");
	})
	.await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn peer_serving_corrupted_blocks_is_banned_and_bypassed() {
	bounded(async {
		let b = start(&[]).await;
		let honest = start(&[&b]).await;
		let evil = start_evil(&[&b]).await;
		let c = start(&[&b]).await;

		// Both provide: the get succeeds whichever answers first. Whether the evil peer was
		// asked at all is up to the race, so the ban is checked below, where it must be.
		let raced = artifact(6 * dag::MAX_BLOCK_SIZE, 3);
		let cid = honest.store.put(raced.clone()).await.expect("put honest");
		assert_eq!(evil.store.put(raced.clone()).await.expect("put evil"), cid);
		assert_eq!(c.store.get(&cid).await.expect("get despite the evil provider"), raced);

		// Only the evil peer provides: its bytes never verify, nothing is stored, and it is
		// banned and disconnected.
		let bytes = artifact(2 * dag::MAX_BLOCK_SIZE, 5);
		let cid = evil.store.put(bytes.clone()).await.expect("put evil only");
		let error = c.store.get(&cid).await.expect_err("corrupted blocks are never returned");
		assert!(matches!(error, StoreError::NotFound { .. }), "{error}");
		assert!(!c.store.blockstore().has_block(&cid), "no corrupted block is kept");
		let banned = c.store.banned_peers().await.expect("banned");
		assert!(banned.contains(&evil.store.peer_id()), "the corrupting peer is banned");
		assert!(!banned.contains(&honest.store.peer_id()), "the honest peer is not");
		let connected = c.store.client().connected_peers().await.expect("peers");
		assert!(!connected.contains(&evil.store.peer_id()), "and disconnected");
		let bans = c.store.network_stats().peers_banned.load(std::sync::atomic::Ordering::Relaxed);
		assert_eq!(bans, 1, "the ban is counted once");

		// Once an honest peer provides it too, the banned provider's record is bypassed.
		assert_eq!(honest.store.put(bytes.clone()).await.expect("put honest"), cid);
		assert_eq!(c.store.get(&cid).await.expect("get from the honest provider"), bytes);
	})
	.await
}

/// Fetched blocks are cached without a flush, so a crash can leave a file under a block's
/// name that is empty, short or zero-filled. Such a block must read as missing: never
/// returned, never served to a peer (who would ban us for it), and fetched again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_torn_cached_block_is_refetched_not_served() {
	use din_store::codec::BlockResponse;
	bounded(async {
		let a = start(&[]).await;
		let c = start(&[&a]).await;
		let bytes = artifact(2 * dag::MAX_BLOCK_SIZE + 5, 6);
		let cid = a.store.put(bytes.clone()).await.expect("put");
		assert_eq!(c.store.get(&cid).await.expect("get"), bytes);
		let blocks = c.store.blockstore().artifact_blocks(&cid).expect("blocks");
		let cached = |cid: &Cid| c.dir.path().join("cache").join(cid.to_string());
		for (block, torn) in blocks.iter().zip([vec![0u8; dag::MAX_BLOCK_SIZE], Vec::new()]) {
			assert!(cached(block).is_file(), "fetched blocks are cached");
			std::fs::write(cached(block), torn).expect("tear the cached block");
		}

		// A peer asking C for a torn block is told C lacks it.
		let d = start(&[&c]).await;
		let answer = d.store.client().request_block(c.store.peer_id(), blocks[0]).await;
		assert_eq!(answer.expect("an answer"), BlockResponse::NotFound, "torn bytes not served");
		assert!(!cached(&blocks[0]).exists(), "the torn file is dropped when found out");
		assert!(!d.store.banned_peers().await.expect("banned").contains(&c.store.peer_id()));

		// C itself refetches what it lost and returns the artifact's bytes.
		assert_eq!(c.store.get(&cid).await.expect("get again"), bytes);
		assert_eq!(c.store.blockstore().get_artifact(&cid).expect("cached again"), bytes);

		// Pinning makes the cache durable: the blocks move out of `cache/`.
		c.store.pin(&cid).await.expect("pin");
		assert!(blocks.iter().chain([&cid]).all(|block| !cached(block).exists()));
		assert!(c.store.blockstore().is_complete(&cid));
		assert_eq!(c.store.blockstore().get_artifact(&cid).expect("pinned"), bytes);
	})
	.await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalling_provider_does_not_make_an_available_update_unavailable() {
	bounded(async {
		let b = start(&[]).await;
		let author = start(&[&b]).await;
		let staller = start_stalling(&[&b]).await;
		let evaluator = start(&[&b]).await;

		// The staller announces the participant's update too (provider records are free),
		// then never answers: every block of the artifact meets it first or second.
		let bytes = artifact(4 * dag::MAX_BLOCK_SIZE, 4);
		let cid = author.store.put(bytes.clone()).await.expect("put by the author");
		assert_eq!(staller.store.put(bytes.clone()).await.expect("put by the staller"), cid);

		// The daemon's deadline for one update (`FETCH_TIMEOUT`), far below the 30 s a
		// request to the staller takes to fail.
		let fetched = tokio::time::timeout(Duration::from_secs(6), evaluator.store.get(&cid))
			.await
			.expect("fetched from the author within the evaluator's deadline")
			.expect("get");
		assert!(fetched == bytes);
	})
	.await
}

/// Race: an evaluator asks the update's author (named from its on-chain record) as the
/// commit phase opens, a moment before the author publishes as Training closes. The
/// author's "not found" does not strike it from the fetch: it is asked again and serves
/// the update within the evaluator's deadline.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_author_asked_before_it_publishes_is_asked_again() {
	bounded(async {
		let b = start(&[]).await;
		let author = start(&[&b]).await;
		let evaluator = start(&[&b]).await;
		let bytes = artifact(300_000, 9);
		let cid = dag::chunk(&bytes).expect("chunk").root;
		// As the evaluator daemon does with the author's recorded address.
		let (peer, address) =
			din_store::network::split_peer_address(&author.addr()).expect("a /p2p/ address");
		evaluator.store.client().dial(peer, address).await.expect("dial the author");
		let named = [peer];
		let fetch = evaluator.store.get_at_most_from(&cid, dag::MAX_ARTIFACT_SIZE, &named);
		let publish = async {
			tokio::time::sleep(Duration::from_millis(700)).await;
			assert_eq!(author.store.put(bytes.clone()).await.expect("published"), cid);
		};
		let (fetched, ()) =
			tokio::time::timeout(Duration::from_secs(6), async { tokio::join!(fetch, publish) })
				.await
				.expect("fetched within the evaluator's deadline");
		assert!(fetched.expect("get") == bytes);
	})
	.await
}

/// A provider the fetcher names is asked without a DHT lookup: here the DHT has no record
/// of the artifact at all (it was stored without being announced), so a plain `get` finds
/// nobody, and naming its holder is what fetches it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_named_provider_serves_an_artifact_the_dht_has_no_record_of() {
	bounded(async {
		let holder = start(&[]).await;
		let bytes = artifact(3 << 20, 41);
		let cid = holder.store.blockstore().put_artifact(&bytes).expect("stored unannounced");
		let dir = tempfile::tempdir().expect("tempdir");
		let mut config = config(dir.path(), &[&holder]);
		config.provider_wait = Duration::from_secs(2);
		let fetcher = Store::start(config).await.expect("start");

		let error = fetcher.get(&cid).await.expect_err("no provider record");
		assert!(matches!(error, StoreError::NotFound { .. }), "{error}");
		let fetched = fetcher
			.get_at_most_from(&cid, dag::MAX_ARTIFACT_SIZE, &[holder.store.peer_id()])
			.await
			.expect("fetched from the named provider");
		assert!(fetched == bytes, "fetched bytes differ");
	})
	.await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restart_keeps_content_and_identity() {
	bounded(async {
		let b = start(&[]).await;
		let a = start(&[&b]).await;
		let bytes = artifact(2 * dag::MAX_BLOCK_SIZE + 7, 4);
		let cid = a.store.put(bytes.clone()).await.expect("put");
		let peer_id = a.store.peer_id();
		let Node { store, dir } = a;
		drop(store);
		tokio::time::sleep(Duration::from_millis(200)).await;

		let restarted = Store::start(config(dir.path(), &[&b])).await.expect("restart");
		assert_eq!(restarted.peer_id(), peer_id, "identity key persisted in the directory");
		assert!(restarted.blockstore().is_complete(&cid));
		assert!(restarted.blockstore().is_pinned(&cid));

		// A newcomer finds it through B: the restarted node re-announced its content.
		let c = start(&[&b]).await;
		assert_eq!(c.store.get(&cid).await.expect("get after restart"), bytes);
		drop(dir);
	})
	.await
}

/// A loopback port nothing listens on (bound, then released).
fn closed_port() -> u16 {
	let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
	listener.local_addr().expect("addr").port()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bootstrap_peer_that_is_not_up_yet_is_redialed_until_it_answers() {
	bounded(async {
		let port = closed_port();
		let keypair = libp2p::identity::Keypair::generate_ed25519();
		let address: Multiaddr =
			format!("/ip4/127.0.0.1/tcp/{port}/p2p/{}", keypair.public().to_peer_id())
				.parse()
				.expect("multiaddr");

		let dir = tempfile::tempdir().expect("tempdir");
		let mut joining = StoreConfig::new(dir.path());
		joining.bootstrap = vec![address];
		joining.bootstrap_wait = Duration::from_secs(30);
		let joining = tokio::spawn(Store::start(joining));

		// The bootstrap peer comes up a while after the newcomer first dialed it.
		tokio::time::sleep(Duration::from_millis(1500)).await;
		let bootstrap_dir = tempfile::tempdir().expect("tempdir");
		let mut late = StoreConfig::new(bootstrap_dir.path());
		late.listen = vec![format!("/ip4/127.0.0.1/tcp/{port}").parse().expect("multiaddr")];
		late.keypair = Some(keypair);
		let late = Store::start(late).await.expect("start the late bootstrap peer");

		let joined = joining.await.expect("join").expect("the newcomer joins once it answers");
		let connected = joined.client().connected_peers().await.expect("peers");
		assert!(connected.contains(&late.peer_id()), "connected to the late bootstrap peer");
	})
	.await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bootstrap_peer_that_never_answers_fails_the_start_with_the_reason() {
	bounded(async {
		let peer = libp2p::identity::Keypair::generate_ed25519().public().to_peer_id();
		let address: Multiaddr = format!("/ip4/127.0.0.1/tcp/{}/p2p/{peer}", closed_port())
			.parse()
			.expect("multiaddr");
		let dir = tempfile::tempdir().expect("tempdir");
		let mut config = StoreConfig::new(dir.path());
		config.bootstrap = vec![address];
		config.bootstrap_wait = Duration::from_secs(2);
		let started = Instant::now();
		let error = Store::start(config).await.expect_err("nobody listens there");
		let waited = started.elapsed();
		assert!(
			matches!(&error, StoreError::BootstrapUnreachable { count: 1, last_error, .. } if !last_error.is_empty()),
			"{error}"
		);
		assert!(
			waited >= Duration::from_secs(1) && waited < Duration::from_secs(10),
			"redialed within its wait: {waited:?}"
		);
	})
	.await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_cid_is_a_clear_not_found_after_a_bounded_wait() {
	bounded(async {
		let b = start(&[]).await;
		let dir = tempfile::tempdir().expect("tempdir");
		let mut config = config(dir.path(), &[&b]);
		config.provider_wait = Duration::from_secs(2);
		let c = Store::start(config).await.expect("start");

		let unknown = dag::raw_cid(b"nobody has this");
		let started = Instant::now();
		let error = c.get(&unknown).await.expect_err("unknown CID");
		let waited = started.elapsed();
		assert!(matches!(error, StoreError::NotFound { cid, .. } if cid == unknown), "{error}");
		assert!(error.to_string().contains("not found"), "{error}");
		assert!(
			waited >= Duration::from_secs(2) && waited < Duration::from_secs(20),
			"waited {waited:?}"
		);
	})
	.await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_gateway_serves_the_libp2p_bytes_and_refuses_bad_cids() {
	bounded(async {
		let a = start(&[]).await;
		let c = start(&[&a]).await;
		let bytes = artifact(2 * dag::MAX_BLOCK_SIZE + 99, 5);
		let cid = a.store.put(bytes.clone()).await.expect("put");

		// The gateway runs on C, which holds nothing yet: it fetches over libp2p.
		let http = serve_gateway(&c.store, GatewayConfig::default()).await;
		let base = format!("http://{http}");
		let get = |path: String| {
			let url = format!("{base}{path}");
			async move { reqwest::get(url).await.expect("http get") }
		};

		let response = get(format!("/artifact/{cid}")).await;
		assert_eq!(response.status(), 200);
		assert_eq!(response.headers()["content-length"], bytes.len().to_string().as_str());
		let via_http = response.bytes().await.expect("body");
		let via_libp2p = a.store.get(&cid).await.expect("libp2p get");
		assert!(
			via_http == via_libp2p && via_http == bytes,
			"gateway bytes differ from libp2p bytes"
		);

		let first_block = a.store.blockstore().artifact_blocks(&cid).expect("blocks")[0];
		let block = get(format!("/block/{first_block}")).await;
		assert_eq!(block.status(), 200);
		assert_eq!(block.bytes().await.expect("body").as_ref(), &bytes[..dag::MAX_BLOCK_SIZE]);
		let manifest = get(format!("/block/{cid}")).await;
		assert_eq!(
			manifest.bytes().await.expect("body"),
			a.store.blockstore().get_block(&cid).expect("manifest")
		);

		let unknown = dag::raw_cid(b"unknown to everyone");
		assert_eq!(get(format!("/block/{unknown}")).await.status(), 404);
		assert_eq!(get(format!("/artifact/{unknown}")).await.status(), 404);
		assert_eq!(get("/artifact/not-a-cid".into()).await.status(), 400);
		assert_eq!(
			get("/block/QmdfTbBqBPQ7VNxZEYEj14VmRuZBkqFbiwReogJgS1zR1n".into())
				.await
				.status(),
			400
		);
		assert_eq!(get("/".into()).await.status(), 404, "no listing");
		assert_eq!(get("/block/".into()).await.status(), 404, "no listing");
		let post = reqwest::Client::new()
			.post(format!("http://{http}/block/{cid}"))
			.send()
			.await
			.expect("post");
		assert_eq!(post.status(), 405, "read-only");
		let upload = reqwest::Client::new()
			.post(format!("http://{http}/artifact"))
			.body(b"no uploads here".to_vec())
			.send()
			.await
			.expect("post");
		assert_eq!(upload.status(), 404, "no upload route unless uploads are enabled");
		drop(c.dir);
	})
	.await
}

/// The headers of an upload of `bytes` signed by `signer` for the CID `signed` (the
/// bytes' own unless a test lies); none for `None`.
fn upload_headers(
	bytes: &[u8],
	signer: Option<&sr25519::Pair>,
	signed: Option<&str>,
) -> Vec<(&'static str, String)> {
	let Some(pair) = signer else { return Vec::new() };
	let cid = signed
		.map(str::to_owned)
		.unwrap_or_else(|| din_fl::content::artifact_cid(bytes));
	let expiry = std::time::SystemTime::now()
		.duration_since(std::time::UNIX_EPOCH)
		.expect("after 1970")
		.as_secs()
		+ 60;
	let signature = Signature::from(pair.sign(&upload::payload(&cid, bytes.len() as u64, expiry)));
	let account = AccountId::from(pair.public());
	upload::signed_headers(&account, &cid, expiry, &signature).into()
}

/// An upload of `bytes` to the gateway at `http` ([`upload_headers`]).
async fn upload(
	http: std::net::SocketAddr,
	bytes: Vec<u8>,
	signer: Option<&sr25519::Pair>,
	signed: Option<&str>,
) -> reqwest::Response {
	let mut request = reqwest::Client::new().post(format!("http://{http}/artifact"));
	for (name, value) in upload_headers(&bytes, signer, signed) {
		request = request.header(name, value);
	}
	request.body(bytes).send().await.expect("post")
}

/// The status and body of an upload the gateway refuses from its headers alone (no or a
/// bad signature, an oversized length), sent as headers only. (A refusal past the quota
/// comes after the body is read: the quota is not charged for content already pinned.) Sending the body too would
/// race the refusal: the gateway answers and closes without reading it, and a client still
/// writing may see the connection reset instead of the answer.
async fn refused_upload(
	http: std::net::SocketAddr,
	bytes: &[u8],
	signer: Option<&sr25519::Pair>,
) -> (u16, String) {
	use tokio::io::{AsyncReadExt, AsyncWriteExt};
	let mut head = format!(
		"POST /artifact HTTP/1.1\r\nHost: {http}\r\nContent-Length: {}\r\nConnection: close\r\n",
		bytes.len()
	);
	for (name, value) in upload_headers(bytes, signer, None) {
		head.push_str(&format!("{name}: {value}\r\n"));
	}
	head.push_str("\r\n");
	let mut socket = tokio::net::TcpStream::connect(http).await.expect("connect");
	socket.write_all(head.as_bytes()).await.expect("request head");
	let mut response = Vec::new();
	socket.read_to_end(&mut response).await.expect("response");
	let response = String::from_utf8_lossy(&response).into_owned();
	let status = response
		.split(' ')
		.nth(1)
		.and_then(|code| code.parse().ok())
		.unwrap_or_else(|| panic!("no status line in {response:?}"));
	(status, response)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unsigned_upload_is_refused_and_a_signed_one_within_quota_is_stored() {
	bounded(async {
		let a = start(&[]).await;
		let b = start(&[&a]).await;
		let alice = sr25519::Pair::from_string("//Alice", None).expect("dev key");
		let mallory = sr25519::Pair::from_string("//Mallory", None).expect("dev key");
		let mut uploads = UploadConfig::new(
			dag::MAX_BLOCK_SIZE * 3,
			Arc::new(AllowedAccounts([AccountId::from(alice.public())].into_iter().collect())),
		);
		uploads.quota_bytes = 3 * dag::MAX_BLOCK_SIZE as u64;
		let config = GatewayConfig { uploads: Some(uploads), ..GatewayConfig::default() };
		let http = serve_gateway(&a.store, config).await;
		let bytes = artifact(2 * dag::MAX_BLOCK_SIZE + 7, 9);

		let (status, why) = refused_upload(http, &bytes, None).await;
		assert_eq!(status, 401);
		assert!(why.contains(upload::ACCOUNT_HEADER));
		assert_eq!(refused_upload(http, &bytes, Some(&mallory)).await.0, 403);
		let other = din_fl::content::artifact_cid(b"what alice signed");
		let swapped = upload(http, bytes.clone(), Some(&alice), Some(&other)).await;
		assert_eq!(swapped.status(), 400, "a body that is not the signed CID");
		let too_large = vec![0; dag::MAX_BLOCK_SIZE * 3 + 1];
		assert_eq!(refused_upload(http, &too_large, Some(&alice)).await.0, 413);
		let cid = din_fl::content::artifact_cid(&bytes);
		assert!(
			!a.store.blockstore().has_block(&dag::parse_cid(&cid).expect("a CID")),
			"nothing refused was stored"
		);

		let response = upload(http, bytes.clone(), Some(&alice), None).await;
		assert_eq!(response.status(), 201);
		let location = response.headers()["location"].to_str().expect("ascii").to_owned();
		assert_eq!(response.text().await.expect("body"), cid, "the CID the bytes hash to");
		assert_eq!(location, format!("/artifact/{cid}"));
		// Pinned and announced: another peer fetches it over libp2p.
		let cid = dag::parse_cid(&cid).expect("a CID");
		assert!(a.store.blockstore().is_complete(&cid));
		assert_eq!(b.store.get(&cid).await.expect("libp2p get"), bytes);

		// Two of the three MiB of quota are spent: a replay of the same upload is free, a
		// new one past the quota waits for the next window.
		assert_eq!(upload(http, bytes.clone(), Some(&alice), None).await.status(), 201);
		let more = artifact(2 * dag::MAX_BLOCK_SIZE, 10);
		let over = upload(http, more, Some(&alice), None).await;
		assert_eq!(over.status(), 429);
		assert!(over.headers().contains_key("retry-after"));
		drop(a.dir);
	})
	.await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reader_that_stops_reading_frees_its_gateway_slot_at_the_idle_timeout() {
	bounded(async {
		let a = start(&[]).await;
		// Larger than loopback's socket buffers on both ends together.
		let cid = a.store.put(artifact(32 << 20, 11)).await.expect("put");
		let config = GatewayConfig {
			max_concurrent_requests: 1,
			idle_timeout: Duration::from_secs(1),
			..GatewayConfig::default()
		};
		let http = serve_gateway(&a.store, config).await;

		// Ask for the artifact and read nothing, holding the only slot.
		let stalled = stalled_reader(http, &cid).await;

		// Another request is refused while the slot is held, then served once the stalled
		// connection has moved nothing for the idle timeout.
		let client = reqwest::Client::builder().pool_max_idle_per_host(0).build().expect("client");
		let url = format!("http://{http}/block/{cid}");
		let status = || async { client.get(&url).send().await.expect("get").status() };
		let started = Instant::now();
		while status().await != 503 {
			assert!(
				started.elapsed() < Duration::from_secs(10),
				"the stalled reader never holds the slot"
			);
			tokio::time::sleep(Duration::from_millis(50)).await;
		}
		let refused = Instant::now();
		loop {
			match status().await.as_u16() {
				200 => break,
				503 => {},
				other => panic!("unexpected status {other}"),
			}
			assert!(refused.elapsed() < Duration::from_secs(30), "the slot is never freed");
			tokio::time::sleep(Duration::from_millis(100)).await;
		}
		drop(stalled);
	})
	.await
}

/// Attack: one host asks as fast as it can (each request cheap, so the concurrency cap
/// alone never bites), to make the gateway stream or pull content for it without end.
/// Past its burst the address is refused with 429 and a `Retry-After`, while another
/// address is served, and the first is served again once its bucket refills.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_from_one_address_is_rate_limited_while_another_is_served() {
	bounded(async {
		let a = start(&[]).await;
		let cid = a.store.put(artifact(1024, 13)).await.expect("put");
		let config = GatewayConfig {
			requests_per_second_per_address: 2,
			request_burst_per_address: 5,
			..GatewayConfig::default()
		};
		let http = serve_gateway(&a.store, config).await;
		let client_at = |ip: &str| {
			reqwest::Client::builder()
				.local_address(Some(ip.parse().expect("ip")))
				.build()
				.expect("client")
		};
		let url = format!("http://{http}/block/{cid}");
		let (same, other) = (client_at("127.0.0.1"), client_at("127.0.0.2"));
		let mut statuses = Vec::new();
		let flood = Instant::now();
		for _ in 0..20 {
			statuses.push(same.get(&url).send().await.expect("get"));
		}
		let served = statuses.iter().filter(|r| r.status() == 200).count();
		// The burst, and what refilled at 2 a second while the requests ran.
		let refilled = (2.0 * flood.elapsed().as_secs_f64()).ceil() as usize;
		assert!((5..=5 + refilled).contains(&served), "{served} of 20 served");
		let refused = statuses.iter().find(|r| r.status() == 429).expect("the flood is refused");
		let retry_after = refused.headers()["retry-after"].to_str().expect("ascii");
		assert_eq!(retry_after, "1", "a token is back within a second at 2 a second");
		assert_eq!(other.get(&url).send().await.expect("get").status(), 200);
		tokio::time::sleep(Duration::from_millis(600)).await;
		assert_eq!(same.get(&url).send().await.expect("get").status(), 200, "refilled");
		drop(a.dir);
	})
	.await
}

/// Attack: one host opens connection after connection that asks for an artifact and reads
/// nothing, to hold every gateway slot in turn and shut the node's off-chain workers out.
/// One address holds at most `max_requests_per_address` slots (429 beyond): another address
/// is still served while it stalls.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_address_cannot_hold_every_gateway_slot() {
	bounded(async {
		let a = start(&[]).await;
		// Larger than loopback's socket buffers on both ends together.
		let cid = a.store.put(artifact(32 << 20, 12)).await.expect("put");
		let config = GatewayConfig {
			max_concurrent_requests: 4,
			max_requests_per_address: 2,
			idle_timeout: Duration::from_secs(60),
			..GatewayConfig::default()
		};
		let http = serve_gateway(&a.store, config).await;

		// Two stalled readers from 127.0.0.1.
		let stalled = [stalled_reader(http, &cid).await, stalled_reader(http, &cid).await];
		let client_at = |ip: &str| {
			reqwest::Client::builder()
				.pool_max_idle_per_host(0)
				.local_address(Some(ip.parse().expect("ip")))
				.build()
				.expect("client")
		};
		let url = format!("http://{http}/block/{cid}");
		let (same, other) = (client_at("127.0.0.1"), client_at("127.0.0.2"));
		assert_eq!(
			same.get(&url).send().await.expect("get").status(),
			429,
			"the stalled readers hold their address's slots"
		);
		assert_eq!(
			other.get(&url).send().await.expect("get").status(),
			200,
			"another address is served while the first stalls"
		);
		drop(stalled);
		drop(a.dir);
	})
	.await
}
