//! HTTP gateway for clients that only speak HTTP (the node's off-chain workers).
//!
//! | route                  | answer                                                    |
//! |------------------------|-----------------------------------------------------------|
//! | `GET /block/{cid}`     | the block's bytes                                         |
//! | `GET /artifact/{cid}`  | the reassembled artifact, streamed block by block         |
//! | `POST /artifact`       | only with [`GatewayConfig::uploads`]: a signed upload ([`crate::uploads`]) is stored, pinned and announced; 201 with its CID |
//! | anything else          | 404 (no listing), 405 for other methods on those routes   |
//!
//! Uploads exist so that off-chain workers can publish the aggregates they commit to (a
//! panel of workers alone must still name fetchable content). Each is signed by an account
//! the gateway's authorizer admits, for one CID and size, and charged to that account's
//! quota ([`crate::uploads`]): a missing or bad signature gets 401, an account not admitted
//! 403, a body without a length 411, over the size limit 413 (all before the body is read),
//! a body that is not the signed CID 400, past the quota 429. The uploader gets the CID
//! back and can check it against its own. Without [`GatewayConfig::uploads`] the gateway is
//! read-only.
//!
//! Content missing locally is fetched through the [`Store`] (so within the store's
//! bounded provider wait) and cached unpinned. Malformed or unsupported CIDs get 400,
//! content no provider has gets 404, a backend failure 502. At most
//! [`GatewayConfig::max_concurrent_requests`] requests are worked on at once; beyond that
//! the gateway answers 503 rather than queueing without bound. One remote address gets at
//! most [`GatewayConfig::max_requests_per_address`] of them (429 beyond), so that one
//! host opening connection after connection cannot hold every slot in turn and shut the
//! off-chain workers out. Each address also starts at most
//! [`GatewayConfig::requests_per_second_per_address`] requests a second, after a burst of
//! [`GatewayConfig::request_burst_per_address`] (a token bucket per address; 429 with
//! `Retry-After` beyond), so that a host cannot make the gateway pull CID after CID from
//! the network or stream cached artifacts as fast as it can ask. Responses are immutable
//! (content addressed) and say so in `Cache-Control`.
//!
//! A slot is held until its response is sent, so a reader that stops reading would hold
//! it for good: hyper stops polling a body while the socket does not take more, so no
//! deadline inside the body would fire. The deadlines are on the connection instead
//! ([`DeadlineStream`]): one that moves no byte either way for
//! [`GatewayConfig::idle_timeout`], or lives past [`GatewayConfig::connection_lifetime`],
//! fails, which ends it and drops its response with its slot.

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::connect_info::{ConnectInfo, Connected};
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use cid::Cid;
use futures::stream::{self, StreamExt};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::{Instant, Sleep};

use crate::dag;
use crate::error::{Result, StoreError};
use crate::store::Store;
use crate::uploads::{Quotas, Refusal, UploadConfig};
use din_primitives::upload;

/// Gateway limits.
#[derive(Clone, Debug)]
pub struct GatewayConfig {
	/// Requests worked on at once; more are refused with 503.
	pub max_concurrent_requests: usize,
	/// Requests worked on at once for one remote IP address; more from it are refused with
	/// 429. A quarter of the slots by default: four hosts, not one, to fill them.
	pub max_requests_per_address: usize,
	/// Requests one remote IP address may start per second, sustained; more are refused
	/// with 429 and a `Retry-After`. Far above what off-chain workers ask (a few fetches
	/// per block each, and a host's workers share its address).
	pub requests_per_second_per_address: u32,
	/// Requests one address may start at once after a quiet spell (the bucket's depth).
	pub request_burst_per_address: u32,
	/// Who may `POST /artifact`, how large and how much; `None`: read-only.
	pub uploads: Option<UploadConfig>,
	/// A connection that moves no byte either way for this long is closed (a reader that
	/// stopped reading, an idle keep-alive).
	pub idle_timeout: Duration,
	/// No connection lives longer than this, however slowly it moves (a trickling reader).
	pub connection_lifetime: Duration,
}

impl Default for GatewayConfig {
	fn default() -> Self {
		GatewayConfig {
			max_concurrent_requests: 32,
			max_requests_per_address: 8,
			requests_per_second_per_address: 50,
			request_burst_per_address: 200,
			uploads: None,
			idle_timeout: Duration::from_secs(10),
			connection_lifetime: Duration::from_secs(600),
		}
	}
}

#[derive(Clone)]
struct GatewayState {
	store: Store,
	slots: Arc<Slots>,
	uploads: Option<Arc<Uploads>>,
}

/// What the upload route needs: its settings and the quotas spent.
struct Uploads {
	config: UploadConfig,
	quotas: Quotas,
}

/// The request slots: at most `total` requests at once, at most `per_address` of them from
/// one remote IP address.
struct Slots {
	total: Arc<Semaphore>,
	per_address: usize,
	/// Slots held per address; an address holding none has no entry, so the map never
	/// holds more entries than there are slots.
	held: Mutex<HashMap<IpAddr, usize>>,
	rate: RateLimit,
}

impl Slots {
	/// A slot for a request from `address`, or the answer refusing it.
	fn acquire(self: &Arc<Self>, address: IpAddr) -> std::result::Result<Slot, Response> {
		self.rate.admit(address, Instant::now()).map_err(rate_limited)?;
		let mut held = self.held.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
		let count = held.get(&address).copied().unwrap_or(0);
		if count >= self.per_address {
			return Err(address_busy());
		}
		let permit = self.total.clone().try_acquire_owned().map_err(|_| busy())?;
		held.insert(address, count + 1);
		Ok(Slot { _permit: permit, slots: self.clone(), address })
	}
}

/// A token bucket per remote address: each holds up to `burst` tokens, refills at `rate` a
/// second, and a request takes one.
struct RateLimit {
	rate: f64,
	burst: f64,
	buckets: Mutex<HashMap<IpAddr, Bucket>>,
}

/// Addresses whose buckets are tracked at once. Past it, buckets that have refilled are
/// forgotten (a full bucket is what a new address gets anyway); if every tracked address
/// is still draining, a new address is admitted untracked: that takes this many addresses,
/// which already get this many times the per-address rate.
const MAX_TRACKED_ADDRESSES: usize = 4096;

struct Bucket {
	tokens: f64,
	at: Instant,
}

impl Bucket {
	fn refill(&mut self, now: Instant, rate: f64, burst: f64) {
		let elapsed = now.saturating_duration_since(self.at).as_secs_f64();
		self.tokens = (self.tokens + elapsed * rate).min(burst);
		self.at = now;
	}
}

impl RateLimit {
	fn new(per_second: u32, burst: u32) -> Self {
		RateLimit {
			rate: f64::from(per_second.max(1)),
			burst: f64::from(burst.max(1)),
			buckets: Mutex::new(HashMap::new()),
		}
	}

	/// Takes a token of `address`'s bucket, or says how long until one is there.
	fn admit(&self, address: IpAddr, now: Instant) -> std::result::Result<(), Duration> {
		let (rate, burst) = (self.rate, self.burst);
		let mut buckets = self.buckets.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
		if buckets.len() >= MAX_TRACKED_ADDRESSES && !buckets.contains_key(&address) {
			buckets.retain(|_, bucket| {
				bucket.refill(now, rate, burst);
				bucket.tokens < burst
			});
			if buckets.len() >= MAX_TRACKED_ADDRESSES {
				return Ok(());
			}
		}
		let bucket = buckets.entry(address).or_insert(Bucket { tokens: burst, at: now });
		bucket.refill(now, rate, burst);
		if bucket.tokens >= 1.0 {
			bucket.tokens -= 1.0;
			Ok(())
		} else {
			Err(Duration::from_secs_f64((1.0 - bucket.tokens) / rate))
		}
	}
}

/// A request slot, held until dropped.
struct Slot {
	_permit: OwnedSemaphorePermit,
	slots: Arc<Slots>,
	address: IpAddr,
}

impl Drop for Slot {
	fn drop(&mut self) {
		let mut held = self.slots.held.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
		if let Some(count) = held.get_mut(&self.address) {
			*count -= 1;
			if *count == 0 {
				held.remove(&self.address);
			}
		}
	}
}

/// The remote address of a gateway connection, as the handlers see it. An IPv4 client on a
/// dual-stack socket counts as its IPv4 address.
#[derive(Clone, Copy, Debug)]
struct RemoteAddress(IpAddr);

impl Connected<axum::serve::IncomingStream<'_, DeadlineListener>> for RemoteAddress {
	fn connect_info(stream: axum::serve::IncomingStream<'_, DeadlineListener>) -> Self {
		RemoteAddress(stream.remote_addr().ip().to_canonical())
	}
}

/// The gateway's routes, served by [`bind`] (which tells the handlers each connection's
/// remote address).
fn router(store: Store, config: GatewayConfig) -> Router {
	let uploads = config.uploads.map(|config| {
		let quotas = Quotas::new(config.quota_bytes, config.quota_window);
		Arc::new(Uploads { config, quotas })
	});
	let state = GatewayState {
		store,
		uploads: uploads.clone(),
		slots: Arc::new(Slots {
			total: Arc::new(Semaphore::new(config.max_concurrent_requests.max(1))),
			per_address: config.max_requests_per_address.max(1),
			held: Mutex::new(HashMap::new()),
			rate: RateLimit::new(
				config.requests_per_second_per_address,
				config.request_burst_per_address,
			),
		}),
	};
	let router = Router::new()
		.route("/block/{cid}", get(get_block))
		.route("/artifact/{cid}", get(get_artifact));
	let router = match uploads {
		Some(_) => router.route("/artifact", post(post_artifact)),
		None => router,
	};
	router.with_state(state)
}

/// Binds `addr` and returns the bound address and the server future (run it, or
/// spawn it; it runs until dropped).
pub async fn bind(
	addr: SocketAddr,
	store: Store,
	config: GatewayConfig,
) -> Result<(SocketAddr, impl std::future::Future<Output = Result<()>>)> {
	let listener = TcpListener::bind(addr)
		.await
		.map_err(|e| StoreError::Gateway(format!("bind {addr}: {e}")))?;
	let bound = listener.local_addr().map_err(|e| StoreError::Gateway(e.to_string()))?;
	let listener = DeadlineListener {
		inner: listener,
		idle: config.idle_timeout,
		lifetime: config.connection_lifetime,
	};
	let app = router(store, config);
	Ok((bound, async move {
		let app = app.into_make_service_with_connect_info::<RemoteAddress>();
		axum::serve(listener, app).await.map_err(|e| StoreError::Gateway(e.to_string()))
	}))
}

/// A TCP listener whose connections are [`DeadlineStream`]s.
struct DeadlineListener {
	inner: TcpListener,
	idle: Duration,
	lifetime: Duration,
}

impl axum::serve::Listener for DeadlineListener {
	type Io = DeadlineStream;
	type Addr = SocketAddr;

	async fn accept(&mut self) -> (Self::Io, Self::Addr) {
		let (stream, addr) = axum::serve::Listener::accept(&mut self.inner).await;
		(DeadlineStream::new(stream, self.idle, self.lifetime), addr)
	}

	fn local_addr(&self) -> io::Result<Self::Addr> {
		self.inner.local_addr()
	}
}

/// A connection that fails once it has moved no byte for `idle`, or at the end of its
/// `lifetime`. The timers are polled with every read and write, so a connection stuck on
/// a reader that does not read is woken, and failed, when one of them expires.
pub struct DeadlineStream {
	inner: TcpStream,
	idle: Duration,
	idle_timer: Pin<Box<Sleep>>,
	lifetime_timer: Pin<Box<Sleep>>,
}

impl DeadlineStream {
	fn new(inner: TcpStream, idle: Duration, lifetime: Duration) -> Self {
		DeadlineStream {
			inner,
			idle,
			idle_timer: Box::pin(tokio::time::sleep(idle)),
			lifetime_timer: Box::pin(tokio::time::sleep(lifetime)),
		}
	}

	/// An error once a deadline passed (registering both timers with `cx` otherwise).
	fn expired(&mut self, cx: &mut Context<'_>) -> Option<io::Error> {
		let idle = self.idle_timer.as_mut().poll(cx).is_ready();
		let over = self.lifetime_timer.as_mut().poll(cx).is_ready();
		(idle || over).then(|| {
			let what = if idle { "no progress within the idle timeout" } else { "lifetime over" };
			io::Error::new(io::ErrorKind::TimedOut, what)
		})
	}

	/// Bytes moved: the idle timer starts again.
	fn progressed(&mut self) {
		let next = Instant::now() + self.idle;
		self.idle_timer.as_mut().reset(next);
	}
}

impl AsyncRead for DeadlineStream {
	fn poll_read(
		mut self: Pin<&mut Self>,
		cx: &mut Context<'_>,
		buf: &mut ReadBuf<'_>,
	) -> Poll<io::Result<()>> {
		if let Some(error) = self.expired(cx) {
			return Poll::Ready(Err(error));
		}
		let before = buf.filled().len();
		let read = Pin::new(&mut self.inner).poll_read(cx, buf);
		if matches!(read, Poll::Ready(Ok(()))) && buf.filled().len() > before {
			self.progressed();
		}
		read
	}
}

impl AsyncWrite for DeadlineStream {
	fn poll_write(
		mut self: Pin<&mut Self>,
		cx: &mut Context<'_>,
		buf: &[u8],
	) -> Poll<io::Result<usize>> {
		if let Some(error) = self.expired(cx) {
			return Poll::Ready(Err(error));
		}
		let written = Pin::new(&mut self.inner).poll_write(cx, buf);
		if matches!(written, Poll::Ready(Ok(n)) if n > 0) {
			self.progressed();
		}
		written
	}

	fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
		if let Some(error) = self.expired(cx) {
			return Poll::Ready(Err(error));
		}
		Pin::new(&mut self.inner).poll_flush(cx)
	}

	fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
		Pin::new(&mut self.inner).poll_shutdown(cx)
	}
}

fn error_response(error: StoreError) -> Response {
	let status = match &error {
		StoreError::MalformedCid { .. } | StoreError::UnsupportedCid { .. } => {
			StatusCode::BAD_REQUEST
		},
		StoreError::NotFound { .. } | StoreError::NotLocal { .. } => StatusCode::NOT_FOUND,
		_ => StatusCode::BAD_GATEWAY,
	};
	(status, format!("{error}\n")).into_response()
}

fn busy() -> Response {
	(StatusCode::SERVICE_UNAVAILABLE, "gateway busy, retry later\n").into_response()
}

fn address_busy() -> Response {
	(StatusCode::TOO_MANY_REQUESTS, "too many requests from this address at once, retry later\n")
		.into_response()
}

fn rate_limited(retry_in: Duration) -> Response {
	let mut response =
		(StatusCode::TOO_MANY_REQUESTS, "too many requests from this address, retry later\n")
			.into_response();
	// Whole seconds, rounded up, as `Retry-After` counts them.
	let seconds = retry_in.as_secs() + u64::from(retry_in.subsec_nanos() > 0);
	response
		.headers_mut()
		.insert(header::RETRY_AFTER, HeaderValue::from(seconds.max(1)));
	response
}

fn content_headers(response: &mut Response, length: u64) {
	let headers = response.headers_mut();
	headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/octet-stream"));
	headers.insert(
		header::CACHE_CONTROL,
		HeaderValue::from_static("public, max-age=31536000, immutable"),
	);
	headers.insert(header::CONTENT_LENGTH, HeaderValue::from(length));
}

async fn get_block(
	State(state): State<GatewayState>,
	ConnectInfo(RemoteAddress(from)): ConnectInfo<RemoteAddress>,
	Path(cid): Path<String>,
) -> Result<Response, Response> {
	let _slot = state.slots.acquire(from)?;
	Ok(block_response(&state, &cid).await)
}

async fn block_response(state: &GatewayState, cid: &str) -> Response {
	let cid = match dag::parse_cid(cid) {
		Ok(cid) => cid,
		Err(error) => return error_response(error),
	};
	match state.store.get_block(&cid).await {
		Ok(bytes) => {
			let length = bytes.len() as u64;
			let mut response = Body::from(bytes).into_response();
			content_headers(&mut response, length);
			response
		},
		Err(error) => error_response(error),
	}
}

async fn get_artifact(
	State(state): State<GatewayState>,
	ConnectInfo(RemoteAddress(from)): ConnectInfo<RemoteAddress>,
	Path(cid): Path<String>,
) -> Result<Response, Response> {
	let slot = state.slots.acquire(from)?;
	Ok(artifact_response(&state, &cid, slot).await)
}

/// The artifact `cid`, streamed; `slot` is held until the body is fully sent.
async fn artifact_response(state: &GatewayState, cid: &str, slot: Slot) -> Response {
	let root = match dag::parse_cid(cid) {
		Ok(cid) => cid,
		Err(error) => return error_response(error),
	};
	// Make everything local first, so a missing artifact is a clean 404 rather than a
	// stream that breaks halfway.
	if let Err(error) = state.store.fetch(&root).await {
		return error_response(error);
	}
	let blockstore = state.store.blockstore().clone();
	let (blocks, length) = match blockstore.manifest(&root) {
		Ok(Some(manifest)) => (manifest.blocks, manifest.size),
		Ok(None) => match blockstore.get_block(&root) {
			Ok(bytes) => (vec![root], bytes.len() as u64),
			Err(error) => return error_response(error),
		},
		Err(error) => return error_response(error),
	};
	let chunks = stream::iter(blocks).then(move |cid: Cid| {
		let blockstore = blockstore.clone();
		async move {
			tokio::task::spawn_blocking(move || blockstore.get_block(&cid))
				.await
				.map_err(std::io::Error::other)?
				.map(Bytes::from)
				.map_err(std::io::Error::other)
		}
	});
	// The slot is held until the body is fully sent.
	let body = chunks.map(move |chunk| {
		let _held = &slot;
		chunk
	});
	let mut response = Body::from_stream(body).into_response();
	content_headers(&mut response, length);
	response
}

/// A refusal of an upload: the status and why, for the uploader's log.
fn refused(status: StatusCode, why: impl fmt::Display) -> Response {
	(status, format!("{why}\n")).into_response()
}

async fn post_artifact(
	State(state): State<GatewayState>,
	ConnectInfo(RemoteAddress(from)): ConnectInfo<RemoteAddress>,
	headers: HeaderMap,
	body: Body,
) -> Result<Response, Response> {
	let _slot = state.slots.acquire(from)?;
	let Some(uploads) = state.uploads.as_deref() else {
		return Err(StatusCode::METHOD_NOT_ALLOWED.into_response());
	};
	let max = uploads.config.max_bytes;
	let size: u64 = headers
		.get(header::CONTENT_LENGTH)
		.and_then(|length| length.to_str().ok()?.parse().ok())
		.ok_or_else(|| refused(StatusCode::LENGTH_REQUIRED, "an upload states its length"))?;
	if size > max as u64 {
		return Err(refused(
			StatusCode::PAYLOAD_TOO_LARGE,
			format!("{size} bytes is over this gateway's {max}-byte upload limit"),
		));
	}
	let text = |name: &str| headers.get(name).and_then(|value| value.to_str().ok());
	let signed = upload::SignedHeaders {
		account: text(upload::ACCOUNT_HEADER),
		cid: text(upload::CID_HEADER),
		expiry: text(upload::EXPIRY_HEADER),
		signature: text(upload::SIGNATURE_HEADER),
	};
	let now = std::time::SystemTime::now()
		.duration_since(std::time::UNIX_EPOCH)
		.unwrap_or_default()
		.as_secs();
	let (account, signed_cid) = upload::verify::<din_primitives::Signature>(&signed, size, now)
		.map_err(|error| {
			let mut response = refused(StatusCode::UNAUTHORIZED, error);
			response
				.headers_mut()
				.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("DIN-Upload"));
			response
		})?;
	let signed_cid = dag::parse_cid(&signed_cid).map_err(error_response)?;
	uploads
		.config
		.authorizer
		.authorize(&account)
		.await
		.map_err(|refusal| match refusal {
			Refusal::NotAuthorized(why) => refused(StatusCode::FORBIDDEN, why),
			Refusal::Unavailable(why) => refused(StatusCode::SERVICE_UNAVAILABLE, why),
		})?;
	let bytes = axum::body::to_bytes(body, max)
		.await
		.map_err(|error| refused(StatusCode::BAD_REQUEST, format!("reading the body: {error}")))?;
	let chunked = dag::chunk(&bytes).map_err(error_response)?;
	if bytes.len() as u64 != size || chunked.root != signed_cid {
		return Err(refused(
			StatusCode::BAD_REQUEST,
			format!(
				"the body ({} bytes, {}) is not the signed {signed_cid}",
				bytes.len(),
				chunked.root
			),
		));
	}
	// Content already pinned here costs nothing again: a replayed request cannot spend its
	// signer's quota.
	let held = state.store.blockstore().is_pinned(&signed_cid)
		&& state.store.blockstore().is_complete(&signed_cid);
	if !held {
		uploads.quotas.charge(&account, size, Instant::now()).map_err(|retry_in| {
			let mut response = rate_limited(retry_in);
			*response.body_mut() = Body::from(format!(
				"{account} has stored its quota of {} bytes for now\n",
				uploads.config.quota_bytes
			));
			response
		})?;
	}
	Ok(match state.store.put(bytes.to_vec()).await {
		Ok(cid) => {
			let mut response = (StatusCode::CREATED, cid.to_string()).into_response();
			if let Ok(location) = HeaderValue::from_str(&format!("/artifact/{cid}")) {
				response.headers_mut().insert(header::LOCATION, location);
			}
			response
		},
		Err(error) => error_response(error),
	})
}

#[cfg(test)]
mod tests {
	use super::*;
	use std::net::Ipv4Addr;

	fn address(n: u32) -> IpAddr {
		IpAddr::V4(Ipv4Addr::from(0x0a00_0000 + n))
	}

	#[test]
	fn an_address_past_its_burst_waits_for_its_rate_while_another_is_admitted() {
		let limit = RateLimit::new(2, 3);
		let t0 = Instant::now();
		for _ in 0..3 {
			assert_eq!(limit.admit(address(1), t0), Ok(()));
		}
		assert_eq!(limit.admit(address(1), t0), Err(Duration::from_millis(500)));
		assert_eq!(limit.admit(address(2), t0), Ok(()), "another address has its own bucket");
		let later = t0 + Duration::from_millis(500);
		assert_eq!(limit.admit(address(1), later), Ok(()), "one token back after 1/rate");
		assert!(limit.admit(address(1), later).is_err());
		// A long quiet spell refills up to the burst, not beyond.
		let much_later = later + Duration::from_secs(3600);
		for _ in 0..3 {
			assert_eq!(limit.admit(address(1), much_later), Ok(()));
		}
		assert!(limit.admit(address(1), much_later).is_err());
	}

	#[test]
	fn tracked_addresses_stay_bounded_and_refilled_buckets_are_forgotten_first() {
		let limit = RateLimit::new(1, 1);
		let t0 = Instant::now();
		for n in 0..MAX_TRACKED_ADDRESSES as u32 {
			assert_eq!(limit.admit(address(n), t0), Ok(()));
		}
		let tracked = || limit.buckets.lock().unwrap().len();
		assert_eq!(tracked(), MAX_TRACKED_ADDRESSES);
		// Every tracked bucket is still empty: a new address is admitted, untracked.
		assert_eq!(limit.admit(address(1 << 20), t0), Ok(()));
		assert_eq!(tracked(), MAX_TRACKED_ADDRESSES);
		// An address already tracked is still held to its rate.
		assert!(limit.admit(address(7), t0).is_err());
		// Once they have refilled, they are forgotten and the new address is tracked.
		let later = t0 + Duration::from_secs(2);
		assert_eq!(limit.admit(address(1 << 20), later), Ok(()));
		assert_eq!(tracked(), 1);
		assert!(limit.admit(address(1 << 20), later).is_err());
	}
}
