//! HTTP gateway for clients that only speak HTTP (the node's off-chain workers).
//!
//! | route                  | answer                                                    |
//! |------------------------|-----------------------------------------------------------|
//! | `GET /block/{cid}`     | the block's bytes                                         |
//! | `GET /artifact/{cid}`  | the reassembled artifact, streamed block by block         |
//! | `POST /artifact`       | only with [`GatewayConfig::max_upload_bytes`]: stores, pins and announces the body, answers 201 with its CID |
//! | anything else          | 404 (no listing), 405 for other methods on those routes   |
//!
//! Uploads exist so that off-chain workers can publish the aggregates they commit to (a
//! panel of workers alone must still name fetchable content). The uploader gets the CID
//! back and can check it against its own; a body over the limit gets 413. Without the
//! limit set the gateway is read-only.
//!
//! Content missing locally is fetched through the [`Store`] (so within the store's
//! bounded provider wait) and cached unpinned. Malformed or unsupported CIDs get 400,
//! content no provider has gets 404, a backend failure 502. At most
//! [`GatewayConfig::max_concurrent_requests`] requests are worked on at once; beyond that
//! the gateway answers 503 rather than queueing without bound. Responses are immutable
//! (content addressed) and say so in `Cache-Control`.
//!
//! A slot is held until its response is sent, so a reader that stops reading would hold
//! it for good: hyper stops polling a body while the socket does not take more, so no
//! deadline inside the body would fire. The deadlines are on the connection instead
//! ([`DeadlineStream`]): one that moves no byte either way for
//! [`GatewayConfig::idle_timeout`], or lives past [`GatewayConfig::connection_lifetime`],
//! fails, which ends it and drops its response with its slot.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use cid::Cid;
use futures::stream::{self, StreamExt};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tokio::time::{Instant, Sleep};

use crate::dag;
use crate::error::{Result, StoreError};
use crate::store::Store;

/// Gateway limits.
#[derive(Clone, Debug)]
pub struct GatewayConfig {
	/// Requests worked on at once; more are refused with 503.
	pub max_concurrent_requests: usize,
	/// Accept `POST /artifact` bodies up to this many bytes; `None`: read-only.
	pub max_upload_bytes: Option<usize>,
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
			max_upload_bytes: None,
			idle_timeout: Duration::from_secs(10),
			connection_lifetime: Duration::from_secs(600),
		}
	}
}

#[derive(Clone)]
struct GatewayState {
	store: Store,
	slots: Arc<Semaphore>,
}

/// The gateway's routes, to be served by [`serve`] or mounted elsewhere.
pub fn router(store: Store, config: GatewayConfig) -> Router {
	let state = GatewayState {
		store,
		slots: Arc::new(Semaphore::new(config.max_concurrent_requests.max(1))),
	};
	let router = Router::new()
		.route("/block/{cid}", get(get_block))
		.route("/artifact/{cid}", get(get_artifact));
	let router = match config.max_upload_bytes {
		Some(limit) => {
			router.route("/artifact", post(post_artifact).layer(DefaultBodyLimit::max(limit)))
		},
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

fn content_headers(response: &mut Response, length: u64) {
	let headers = response.headers_mut();
	headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/octet-stream"));
	headers.insert(
		header::CACHE_CONTROL,
		HeaderValue::from_static("public, max-age=31536000, immutable"),
	);
	headers.insert(header::CONTENT_LENGTH, HeaderValue::from(length));
}

async fn get_block(State(state): State<GatewayState>, Path(cid): Path<String>) -> Response {
	let Ok(_slot) = state.slots.try_acquire() else {
		return busy();
	};
	let cid = match dag::parse_cid(&cid) {
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

async fn get_artifact(State(state): State<GatewayState>, Path(cid): Path<String>) -> Response {
	let Ok(slot) = state.slots.clone().try_acquire_owned() else {
		return busy();
	};
	let root = match dag::parse_cid(&cid) {
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

async fn post_artifact(State(state): State<GatewayState>, body: Bytes) -> Response {
	let Ok(_slot) = state.slots.try_acquire() else {
		return busy();
	};
	match state.store.put(body.to_vec()).await {
		Ok(cid) => {
			let mut response = (StatusCode::CREATED, cid.to_string()).into_response();
			if let Ok(location) = HeaderValue::from_str(&format!("/artifact/{cid}")) {
				response.headers_mut().insert(header::LOCATION, location);
			}
			response
		},
		Err(error) => error_response(error),
	}
}
