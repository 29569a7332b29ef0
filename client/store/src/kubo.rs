//! Optional backend: an IPFS node's HTTP RPC API (Kubo, `ipfs daemon`, default
//! `http://127.0.0.1:5001`).
//!
//! Blocks go in with `POST /api/v0/block/put?cid-codec=raw&mhtype=sha2-256` (multipart
//! body, field `file`), so Kubo computes exactly the CIDv1 this crate computes; the
//! returned `Key` is compared with the local CID and a mismatch is an error. Manifests
//! go in with `cid-codec=dag-cbor`; Kubo understands their tag-42 links, so
//! `pin/add?recursive=true` on a root pins every block. Reads use `block/get?arg=CID`
//! and are hash-checked like blocks from libp2p peers, and bounded to one block.
//!
//! Tested against a small local mock of these endpoints (no Kubo daemon is available in
//! CI); the request shapes follow the Kubo RPC reference.

use std::time::Duration;

use cid::Cid;
use serde::Deserialize;

use crate::dag::{self, DAG_CBOR_CODEC, MAX_BLOCK_SIZE, RAW_CODEC};
use crate::error::{Result, StoreError};

/// Client for the Kubo HTTP RPC API.
#[derive(Clone, Debug)]
pub struct KuboClient {
	api: String,
	http: reqwest::Client,
}

#[derive(Deserialize)]
struct BlockPutReply {
	#[serde(rename = "Key")]
	key: String,
}

#[derive(Deserialize)]
struct KuboErrorReply {
	#[serde(rename = "Message")]
	message: String,
}

fn kubo_error(endpoint: &'static str, reason: impl ToString) -> StoreError {
	StoreError::Kubo { endpoint, reason: reason.to_string() }
}

impl KuboClient {
	/// `api_url` is the API root, e.g. `http://127.0.0.1:5001`.
	pub fn new(api_url: &str) -> Result<Self> {
		let http = reqwest::Client::builder()
			.timeout(Duration::from_secs(60))
			.build()
			.map_err(|e| kubo_error("client", e))?;
		Ok(KuboClient { api: api_url.trim_end_matches('/').to_owned(), http })
	}

	fn url(&self, endpoint: &str) -> String {
		format!("{}/api/v0/{endpoint}", self.api)
	}

	/// Sends the request; non-2xx answers become errors carrying Kubo's `Message`.
	async fn call(
		&self,
		endpoint: &'static str,
		request: reqwest::RequestBuilder,
	) -> Result<reqwest::Response> {
		let response = request.send().await.map_err(|e| kubo_error(endpoint, e))?;
		if response.status().is_success() {
			return Ok(response);
		}
		let status = response.status();
		let text = response.text().await.unwrap_or_default();
		let message = serde_json::from_str::<KuboErrorReply>(&text)
			.map(|reply| reply.message)
			.unwrap_or(text);
		Err(kubo_error(endpoint, format!("HTTP {status}: {message}")))
	}

	/// Stores one block; checks that Kubo assigned it `cid`.
	pub async fn put_block(&self, cid: &Cid, bytes: &[u8]) -> Result<()> {
		const ENDPOINT: &str = "block/put";
		dag::verify_block(cid, bytes)?;
		let codec = match cid.codec() {
			RAW_CODEC => "raw",
			DAG_CBOR_CODEC => "dag-cbor",
			_ => {
				return Err(StoreError::UnsupportedCid {
					cid: *cid,
					reason: "codec must be raw or dag-cbor",
				})
			},
		};
		let form = reqwest::multipart::Form::new()
			.part("file", reqwest::multipart::Part::bytes(bytes.to_vec()).file_name("block"));
		let request = self
			.http
			.post(self.url(ENDPOINT))
			.query(&[
				("cid-codec", codec),
				("mhtype", "sha2-256"),
				("mhlen", "32"),
				("pin", "false"),
			])
			.multipart(form);
		let reply: BlockPutReply = self
			.call(ENDPOINT, request)
			.await?
			.json()
			.await
			.map_err(|e| kubo_error(ENDPOINT, e))?;
		let assigned = dag::parse_cid(&reply.key).map_err(|e| kubo_error(ENDPOINT, e))?;
		if assigned != *cid {
			return Err(kubo_error(ENDPOINT, format!("Kubo assigned {assigned}, expected {cid}")));
		}
		Ok(())
	}

	/// Reads one block (at most [`MAX_BLOCK_SIZE`] bytes) and verifies it.
	pub async fn get_block(&self, cid: &Cid) -> Result<Vec<u8>> {
		const ENDPOINT: &str = "block/get";
		let request = self.http.post(self.url(ENDPOINT)).query(&[("arg", cid.to_string())]);
		let mut response = self.call(ENDPOINT, request).await?;
		let mut bytes = Vec::new();
		while let Some(chunk) = response.chunk().await.map_err(|e| kubo_error(ENDPOINT, e))? {
			if bytes.len() + chunk.len() > MAX_BLOCK_SIZE {
				return Err(StoreError::BlockTooLarge {
					size: bytes.len() + chunk.len(),
					max: MAX_BLOCK_SIZE,
				});
			}
			bytes.extend_from_slice(&chunk);
		}
		dag::verify_block(cid, &bytes)?;
		Ok(bytes)
	}

	/// Pins `root` recursively.
	pub async fn pin(&self, root: &Cid) -> Result<()> {
		const ENDPOINT: &str = "pin/add";
		let request = self
			.http
			.post(self.url(ENDPOINT))
			.query(&[("arg", root.to_string()), ("recursive", "true".into())]);
		self.call(ENDPOINT, request).await.map(drop)
	}

	/// Removes the pin on `root`.
	pub async fn unpin(&self, root: &Cid) -> Result<()> {
		const ENDPOINT: &str = "pin/rm";
		let request = self.http.post(self.url(ENDPOINT)).query(&[("arg", root.to_string())]);
		self.call(ENDPOINT, request).await.map(drop)
	}

	/// Chunks `bytes` like [`crate::Blockstore::put_artifact`], stores every block and the
	/// manifest in Kubo, pins the root, returns the (identical) root CID.
	pub async fn put_artifact(&self, bytes: &[u8]) -> Result<Cid> {
		let chunked = dag::chunk(bytes)?;
		for (cid, block) in &chunked.blocks {
			self.put_block(cid, block).await?;
		}
		self.put_block(&chunked.root, &chunked.manifest).await?;
		self.pin(&chunked.root).await?;
		Ok(chunked.root)
	}

	/// Reads and reassembles an artifact (or a single raw block) from Kubo.
	pub async fn get_artifact(&self, root: &Cid) -> Result<Vec<u8>> {
		dag::check_supported(root)?;
		let first = self.get_block(root).await?;
		if root.codec() == RAW_CODEC {
			return Ok(first);
		}
		let manifest = dag::Manifest::decode(root, &first)?;
		let mut assembly = dag::Assembly::new(*root, &manifest);
		for block in &manifest.blocks {
			assembly.push(&self.get_block(block).await?)?;
		}
		assembly.finish()
	}
}

#[cfg(test)]
mod tests {
	//! A tiny in-process imitation of Kubo's block and pin endpoints.

	use std::collections::{HashMap, HashSet};
	use std::sync::{Arc, Mutex};

	use axum::extract::{Multipart, Query, State};
	use axum::http::StatusCode;
	use axum::response::IntoResponse;
	use axum::routing::post;
	use axum::Router;
	use multihash_codetable::{Code, MultihashDigest};

	use super::*;

	#[derive(Default)]
	struct MockKubo {
		blocks: HashMap<String, Vec<u8>>,
		pins: HashSet<String>,
		requests: Vec<String>,
		/// Serve this instead of the stored bytes (a lying node).
		tamper: bool,
	}

	type Shared = Arc<Mutex<MockKubo>>;

	fn codec_code(name: &str) -> Option<u64> {
		match name {
			"raw" => Some(0x55),
			"dag-cbor" => Some(0x71),
			_ => None,
		}
	}

	async fn block_put(
		State(state): State<Shared>,
		Query(query): Query<HashMap<String, String>>,
		mut multipart: Multipart,
	) -> impl IntoResponse {
		let mut data = Vec::new();
		while let Ok(Some(field)) = multipart.next_field().await {
			if field.name() == Some("file") {
				data = field.bytes().await.map(|b| b.to_vec()).unwrap_or_default();
			}
		}
		let codec = query.get("cid-codec").map(String::as_str).unwrap_or("raw");
		let (Some(code), Some("sha2-256")) =
			(codec_code(codec), query.get("mhtype").map(String::as_str))
		else {
			return (
				StatusCode::INTERNAL_SERVER_ERROR,
				r#"{"Message":"unsupported codec or hash","Code":0,"Type":"error"}"#.to_owned(),
			);
		};
		// Kubo's own computation: CIDv1(codec, sha2-256(data)).
		let cid = Cid::new_v1(code, Code::Sha2_256.digest(&data)).to_string();
		let mut kubo = state.lock().expect("mock lock");
		kubo.requests.push(format!("block/put {codec} {}", data.len()));
		kubo.blocks.insert(cid.clone(), data.clone());
		(StatusCode::OK, format!(r#"{{"Key":"{cid}","Size":{}}}"#, data.len()))
	}

	async fn block_get(
		State(state): State<Shared>,
		Query(query): Query<HashMap<String, String>>,
	) -> impl IntoResponse {
		let mut kubo = state.lock().expect("mock lock");
		let arg = query.get("arg").cloned().unwrap_or_default();
		kubo.requests.push(format!("block/get {arg}"));
		match kubo.blocks.get(&arg).cloned() {
            Some(mut bytes) => {
                if kubo.tamper {
                    bytes.push(1);
                }
                (StatusCode::OK, bytes)
            }
            None => (
                StatusCode::INTERNAL_SERVER_ERROR,
                br#"{"Message":"block was not found locally (offline): ipld: could not find node","Code":0,"Type":"error"}"#.to_vec(),
            ),
        }
	}

	async fn pin_add(
		State(state): State<Shared>,
		Query(query): Query<HashMap<String, String>>,
	) -> impl IntoResponse {
		let mut kubo = state.lock().expect("mock lock");
		let arg = query.get("arg").cloned().unwrap_or_default();
		kubo.requests.push(format!(
			"pin/add {arg} recursive={}",
			query.get("recursive").cloned().unwrap_or_default()
		));
		kubo.pins.insert(arg.clone());
		format!(r#"{{"Pins":["{arg}"]}}"#)
	}

	async fn pin_rm(
		State(state): State<Shared>,
		Query(query): Query<HashMap<String, String>>,
	) -> impl IntoResponse {
		let mut kubo = state.lock().expect("mock lock");
		let arg = query.get("arg").cloned().unwrap_or_default();
		kubo.requests.push(format!("pin/rm {arg}"));
		kubo.pins.remove(&arg);
		format!(r#"{{"Pins":["{arg}"]}}"#)
	}

	async fn start_mock() -> (String, Shared) {
		let state: Shared = Arc::default();
		let app = Router::new()
			.route("/api/v0/block/put", post(block_put))
			.route("/api/v0/block/get", post(block_get))
			.route("/api/v0/pin/add", post(pin_add))
			.route("/api/v0/pin/rm", post(pin_rm))
			.with_state(state.clone());
		let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
		let addr = listener.local_addr().expect("addr");
		tokio::spawn(async move { axum::serve(listener, app).await });
		(format!("http://{addr}"), state)
	}

	#[tokio::test]
	async fn artifact_roundtrip_through_kubo_gives_identical_cids() {
		let (url, state) = start_mock().await;
		let kubo = KuboClient::new(&url).expect("client");
		let bytes: Vec<u8> = (0..(MAX_BLOCK_SIZE + 10)).map(|i| (i % 253) as u8).collect();
		let root = kubo.put_artifact(&bytes).await.expect("put");
		assert_eq!(
			root,
			dag::chunk(&bytes).expect("chunk").root,
			"same root CID as the local store"
		);
		assert_eq!(kubo.get_artifact(&root).await.expect("get"), bytes);

		let empty = dag::raw_cid(b"");
		kubo.put_block(&empty, b"").await.expect("put empty");
		assert_eq!(kubo.get_block(&empty).await.expect("get empty"), b"");
		kubo.unpin(&root).await.expect("unpin");

		let mock = state.lock().expect("lock");
		assert_eq!(
			&mock.requests[..4],
			&[
				format!("block/put raw {MAX_BLOCK_SIZE}"),
				"block/put raw 10".to_owned(),
				format!("block/put dag-cbor {}", dag::chunk(&bytes).expect("chunk").manifest.len()),
				format!("pin/add {root} recursive=true"),
			]
		);
		assert!(mock.requests.contains(&format!("pin/rm {root}")));
		assert!(!mock.pins.contains(&root.to_string()));
	}

	#[tokio::test]
	async fn kubo_errors_and_lies_are_reported() {
		let (url, state) = start_mock().await;
		let kubo = KuboClient::new(&format!("{url}/")).expect("client");
		let missing = dag::raw_cid(b"never stored");
		let error = kubo.get_block(&missing).await.expect_err("missing");
		assert!(error.to_string().contains("could not find node"), "{error}");

		let cid = dag::raw_cid(b"block");
		kubo.put_block(&cid, b"block").await.expect("put");
		state.lock().expect("lock").tamper = true;
		assert!(matches!(kubo.get_block(&cid).await, Err(StoreError::HashMismatch { .. })));

		let unreachable = KuboClient::new("http://127.0.0.1:9").expect("client");
		assert!(matches!(unreachable.get_block(&cid).await, Err(StoreError::Kubo { .. })));
	}
}
