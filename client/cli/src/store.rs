//! `din store …`: the artifact store from the command line.
//!
//! - `put FILE` chunks the file into the local block store (pinned) and prints its CID.
//!   A `serve` running on the same `--dir` announces it within `--announce-interval`.
//! - `get CID -o FILE` writes the artifact from the local store or, with `--bootstrap`,
//!   fetches it from the network through a short-lived node (cached in `--dir`).
//! - `serve` runs a long-lived peer: libp2p block exchange, DHT provider records, and
//!   optionally the HTTP gateway, read-only unless `--http-max-upload` lets the accounts of
//!   `--http-upload-signer` (a list, or the chain's evaluator pool) upload signed artifacts.
//! - `pin`, `unpin`, `gc` manage what the local store keeps.
//!
//! With `--ipfs-api URL`, put/get/pin/unpin go to an IPFS (Kubo) node instead, with the
//! same CIDs.

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::{Args, Subcommand};
use din_chain::Chain;
use din_store::gateway::{self, GatewayConfig};
use din_store::uploads::{AccountId, Refusal, UploadAuthorizer, UploadConfig};
use futures::future::BoxFuture;

use crate::common::ChainArgs;
use din_store::kubo::KuboClient;
use din_store::{parse_cid, Blockstore, Multiaddr, Store, StoreConfig};

/// The `din store` subcommands.
#[derive(Debug, Subcommand)]
pub enum StoreCommand {
	/// Store FILE (chunked, pinned) and print its CID.
	Put {
		/// The file to store.
		file: PathBuf,
		#[command(flatten)]
		location: Location,
	},
	/// Write the artifact CID to FILE, fetching it from the network if needed.
	Get {
		/// The artifact's CID.
		cid: String,
		/// Where to write it.
		#[arg(short, long = "output", value_name = "FILE")]
		output: PathBuf,
		#[command(flatten)]
		location: Location,
		#[command(flatten)]
		network: NetworkArgs,
	},
	/// Pin CID (recursively) so garbage collection keeps it.
	Pin {
		/// Root CID.
		cid: String,
		#[command(flatten)]
		location: Location,
	},
	/// Remove the pin on CID; its blocks become collectable.
	Unpin {
		/// Root CID.
		cid: String,
		#[command(flatten)]
		location: Location,
	},
	/// Delete every local block not reachable from a pin.
	Gc {
		/// Block store directory.
		#[arg(long, env = "DIN_STORE_DIR", default_value_os_t = default_dir())]
		dir: PathBuf,
	},
	/// Run a long-lived store peer (libp2p block exchange, optional HTTP gateway).
	Serve {
		/// libp2p listen address (repeatable).
		#[arg(long, value_name = "MULTIADDR", default_value = "/ip4/0.0.0.0/tcp/4040")]
		listen: Vec<Multiaddr>,
		/// Serve the HTTP gateway on this address, e.g. 127.0.0.1:8080 (read-only
		/// unless --http-max-upload is given).
		#[arg(long, value_name = "ADDR")]
		http: Option<SocketAddr>,
		/// Accept signed artifact uploads (`POST /artifact`) on the HTTP gateway, each up to
		/// this many bytes: how validators' off-chain workers publish the aggregates they
		/// commit to. Needs --http-upload-signer.
		#[arg(long, value_name = "BYTES", requires = "http", value_parser = clap::value_parser!(u64).range(1..))]
		http_max_upload: Option<u64>,
		/// Whose signed uploads the gateway takes (repeatable): an account (SS58 address or
		/// secret URI), or `pool` for every account in the chain's evaluator pool, read from
		/// --url. Unsigned uploads, and those of anyone else, are refused.
		#[arg(
			long = "http-upload-signer",
			value_name = "ACCOUNT|pool",
			requires = "http_max_upload"
		)]
		http_upload_signers: Vec<String>,
		/// Bytes one signer may store through the gateway per hour (content it already
		/// holds pinned is not counted again).
		#[arg(long, value_name = "BYTES", default_value_t = 256 << 20)]
		http_upload_quota: u64,
		#[command(flatten)]
		chain: ChainArgs,
		/// Block store directory.
		#[arg(long, env = "DIN_STORE_DIR", default_value_os_t = default_dir())]
		dir: PathBuf,
		/// Seconds between scans for content pinned by other processes (`din store put`).
		#[arg(long, value_name = "SECS", default_value_t = 2)]
		announce_interval: u64,
		#[command(flatten)]
		network: NetworkArgs,
		#[command(flatten)]
		metrics: crate::metrics::MetricsArgs,
	},
}

/// Where content is kept: a local block store directory or an IPFS HTTP API.
#[derive(Debug, Args)]
pub struct Location {
	/// Block store directory.
	#[arg(long, env = "DIN_STORE_DIR", default_value_os_t = default_dir())]
	dir: PathBuf,
	/// Use an IPFS (Kubo) HTTP API instead of the local store, e.g. http://127.0.0.1:5001.
	#[arg(long, value_name = "URL", env = "DIN_IPFS_API")]
	ipfs_api: Option<String>,
}

/// How to reach the network.
#[derive(Debug, Args)]
pub struct NetworkArgs {
	/// Peer to join through, ending in /p2p/<peer id> (repeatable).
	#[arg(long, value_name = "MULTIADDR")]
	bootstrap: Vec<Multiaddr>,
	/// Seconds to look for a provider before reporting the CID as not found.
	#[arg(long, value_name = "SECS", default_value_t = 30)]
	timeout: u64,
}

fn default_dir() -> PathBuf {
	std::env::var_os("HOME")
		.map(PathBuf::from)
		.unwrap_or_else(|| PathBuf::from("."))
		.join(".din")
		.join("store")
}

fn open(dir: &Path) -> anyhow::Result<Blockstore> {
	Blockstore::open(dir).with_context(|| format!("opening block store {}", dir.display()))
}

fn kubo(location: &Location) -> anyhow::Result<Option<KuboClient>> {
	location
		.ipfs_api
		.as_deref()
		.map(KuboClient::new)
		.transpose()
		.context("IPFS HTTP API")
}

/// Writes `bytes` to `path` atomically (temp file + rename).
fn write_output(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
	let mut tmp = path.as_os_str().to_owned();
	tmp.push(".part");
	let tmp = PathBuf::from(tmp);
	std::fs::write(&tmp, bytes).with_context(|| format!("writing {}", tmp.display()))?;
	std::fs::rename(&tmp, path).with_context(|| format!("renaming to {}", path.display()))
}

/// Runs one `din store` subcommand.
pub async fn run(command: StoreCommand) -> anyhow::Result<()> {
	match command {
		StoreCommand::Put { file, location } => {
			let bytes =
				std::fs::read(&file).with_context(|| format!("reading {}", file.display()))?;
			let cid = match kubo(&location)? {
				Some(kubo) => kubo.put_artifact(&bytes).await?,
				None => open(&location.dir)?.put_artifact(&bytes)?,
			};
			println!("{cid}");
		},
		StoreCommand::Get { cid, output, location, network } => {
			let cid = parse_cid(&cid)?;
			let bytes = match kubo(&location)? {
				Some(kubo) => kubo.get_artifact(&cid).await?,
				None => get_via_network(&cid, &location.dir, &network).await?,
			};
			write_output(&output, &bytes)?;
			eprintln!("wrote {} bytes of {cid} to {}", bytes.len(), output.display());
		},
		StoreCommand::Pin { cid, location } => {
			let cid = parse_cid(&cid)?;
			match kubo(&location)? {
				Some(kubo) => kubo.pin(&cid).await?,
				None => open(&location.dir)?.pin(&cid)?,
			}
			println!("pinned {cid}");
		},
		StoreCommand::Unpin { cid, location } => {
			let cid = parse_cid(&cid)?;
			match kubo(&location)? {
				Some(kubo) => kubo.unpin(&cid).await?,
				None => open(&location.dir)?.unpin(&cid)?,
			}
			println!("unpinned {cid}");
		},
		StoreCommand::Gc { dir } => {
			let report = open(&dir)?.gc()?;
			println!("removed {} blocks, kept {}", report.removed.len(), report.kept);
		},
		StoreCommand::Serve {
			listen,
			http,
			http_max_upload,
			http_upload_signers,
			http_upload_quota,
			chain,
			dir,
			announce_interval,
			network,
			metrics,
		} => {
			let uploads = match http_max_upload {
				Some(max) => {
					let signers = UploadSigners::from_args(&http_upload_signers, &chain).await?;
					let mut uploads = UploadConfig::new(
						usize::try_from(max).unwrap_or(usize::MAX),
						Arc::new(signers),
					);
					uploads.quota_bytes = http_upload_quota;
					Some(uploads)
				},
				None => None,
			};
			let gateway = GatewayConfig { uploads, ..GatewayConfig::default() };
			serve(
				listen,
				http.map(|addr| (addr, gateway)),
				dir,
				Duration::from_secs(announce_interval.max(1)),
				network,
				metrics,
			)
			.await?;
		},
	}
	Ok(())
}

/// The accounts `--http-upload-signer` admits: those listed, and with `pool` the chain's
/// evaluator pool, read again when older than [`POOL_READ_EVERY`], so that an evaluator
/// that just registered can upload within a couple of blocks.
struct UploadSigners {
	listed: BTreeSet<AccountId>,
	pool: Option<(Chain, tokio::sync::Mutex<Option<(Instant, BTreeSet<AccountId>)>>)>,
}

/// How long a read of the evaluator pool is trusted.
const POOL_READ_EVERY: Duration = Duration::from_secs(6);

impl UploadSigners {
	async fn from_args(signers: &[String], chain: &ChainArgs) -> anyhow::Result<Self> {
		anyhow::ensure!(
			!signers.is_empty(),
			"--http-max-upload needs --http-upload-signer (an account, or `pool` for the chain's evaluator pool): the gateway takes signed uploads only"
		);
		let mut listed = BTreeSet::new();
		let mut pool = None;
		for signer in signers {
			if signer == "pool" {
				let connected = chain.connect_following().await.with_context(|| {
					format!("--http-upload-signer pool reads the evaluator pool from {}", chain.url)
				})?;
				pool = Some((connected, tokio::sync::Mutex::new(None)));
			} else {
				let account = crate::common::parse_account(signer)
					.map_err(|error| anyhow::anyhow!("--http-upload-signer: {error}"))?;
				listed.insert(AccountId::new(account.0));
			}
		}
		Ok(UploadSigners { listed, pool })
	}

	async fn in_pool(&self, account: &AccountId) -> Result<bool, Refusal> {
		let Some((chain, read)) = &self.pool else { return Ok(false) };
		let mut read = read.lock().await;
		if read.as_ref().is_none_or(|(at, _)| at.elapsed() >= POOL_READ_EVERY) {
			let members = chain.evaluator_pool().await.map_err(|error| {
				Refusal::Unavailable(format!("cannot read the evaluator pool: {error}"))
			})?;
			let members = members.into_iter().map(|member| AccountId::new(member.0)).collect();
			*read = Some((Instant::now(), members));
		}
		Ok(read.as_ref().is_some_and(|(_, members)| members.contains(account)))
	}
}

impl UploadAuthorizer for UploadSigners {
	fn authorize<'a>(&'a self, account: &'a AccountId) -> BoxFuture<'a, Result<(), Refusal>> {
		Box::pin(async move {
			if self.listed.contains(account) || self.in_pool(account).await? {
				return Ok(());
			}
			Err(Refusal::NotAuthorized(if self.pool.is_some() {
				format!("{account} is neither a listed upload signer nor in the evaluator pool")
			} else {
				format!("{account} is not a listed upload signer")
			}))
		})
	}
}

async fn get_via_network(
	cid: &din_store::Cid,
	dir: &Path,
	network: &NetworkArgs,
) -> anyhow::Result<Vec<u8>> {
	let blockstore = open(dir)?;
	if blockstore.is_complete(cid) {
		return Ok(blockstore.get_artifact(cid)?);
	}
	if network.bootstrap.is_empty() {
		// A store failure (exit 6), as when no peer has it.
		return Err(anyhow::Error::new(din_store::StoreError::NotLocal { cid: *cid }).context(
			format!("not in {} and no --bootstrap peer to fetch it from", dir.display()),
		));
	}
	let mut config = StoreConfig::new(dir);
	config.bootstrap = network.bootstrap.clone();
	config.provider_wait = Duration::from_secs(network.timeout);
	// A short-lived fetcher: its own throwaway identity (a `serve` may own the
	// directory's key), and it announces nothing it will not stay around to serve.
	config.keypair = Some(din_store::network::generate_keypair());
	config.announce_on_start = false;
	let store = Store::start(config).await?;
	Ok(store.get(cid).await?)
}

async fn serve(
	listen: Vec<Multiaddr>,
	http: Option<(SocketAddr, GatewayConfig)>,
	dir: PathBuf,
	announce_interval: Duration,
	network: NetworkArgs,
	metrics: crate::metrics::MetricsArgs,
) -> anyhow::Result<()> {
	let mut config = StoreConfig::new(&dir);
	config.listen = listen;
	config.bootstrap = network.bootstrap;
	config.provider_wait = Duration::from_secs(network.timeout);
	let store = Store::start(config).await?;
	metrics.start(&store).await?;
	println!("peer id {}", store.peer_id());
	for addr in store.listen_addrs() {
		println!("listening on {addr}");
	}
	let gateway = match http {
		Some((addr, config)) => {
			let (bound, server) = gateway::bind(addr, store.clone(), config).await?;
			println!("http gateway on http://{bound}");
			Some(tokio::spawn(server))
		},
		None => None,
	};
	println!("serving {}", dir.display());

	let mut rescan = tokio::time::interval(announce_interval);
	loop {
		tokio::select! {
			_ = rescan.tick() => match store.announce_new_pins().await {
				Ok(0) => {}
				Ok(new) => tracing::info!(new, "announced newly pinned content"),
				Err(error) => tracing::warn!(%error, "scanning pins failed"),
			},
			signal = tokio::signal::ctrl_c() => {
				signal.context("waiting for Ctrl-C")?;
				break;
			}
		}
	}
	if let Some(gateway) = gateway {
		gateway.abort();
	}
	Ok(())
}
