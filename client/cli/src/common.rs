//! What every command shares: how to reach the node, whose key signs, how to reach the
//! store, datasets by name, token amounts, and the conversions between the chain's types
//! and the client crates'.

use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use anyhow::Context;
use clap::Args;
use din_chain::{AccountId32, Chain, Inclusion, ReadAt, Signer, H256};
use din_fl::duty::{check_model, check_scored, Rejection, Scored};
use din_fl::{ModelSpec, TaskModel, Update};
use din_ml::data::csv::{CsvOptions, Header, LabelColumn};
use din_ml::data::{self, Dataset};
use din_store::{Cid, Multiaddr, PeerId, Protocol, Store, StoreConfig};

use crate::invalid;

/// How to reach the node.
#[derive(Debug, Args, Clone)]
pub struct ChainArgs {
	/// The node's JSON-RPC WebSocket.
	#[arg(long, env = "DIN_URL", default_value = "ws://127.0.0.1:9944", global = true)]
	pub url: String,
}

impl ChainArgs {
	/// A connection for one-shot commands: finalized reads, finalized inclusion.
	pub async fn connect(&self) -> anyhow::Result<Chain> {
		Ok(Chain::connect(&self.url).await?)
	}

	/// A connection for daemons, which follow phases a few blocks long: best-block reads
	/// and best-block inclusion.
	pub async fn connect_following(&self) -> anyhow::Result<Chain> {
		Ok(Chain::connect(&self.url)
			.await?
			.with_reads(ReadAt::Best)
			.with_inclusion(Inclusion::InBestBlock)
			.with_timeout(Duration::from_secs(60)))
	}
}

/// Whose key signs.
#[derive(Debug, Args, Clone)]
pub struct SignerArgs {
	/// Secret URI of the signing account (`//Alice`, a mnemonic, `0x<seed>`). Prefer
	/// `--key-file`: command lines are visible to other users.
	#[arg(long, env = "DIN_SURI", conflicts_with = "key_file")]
	pub suri: Option<String>,
	/// File holding the secret URI (`din key generate --output FILE`).
	#[arg(long, env = "DIN_KEY_FILE")]
	pub key_file: Option<PathBuf>,
}

impl SignerArgs {
	/// The signer, or an error naming the missing flag.
	pub fn signer(&self) -> anyhow::Result<Signer> {
		Ok(Signer::from_uri(&self.secret_uri()?)?)
	}

	/// The secret URI itself, or an error naming the missing flag.
	pub fn secret_uri(&self) -> anyhow::Result<String> {
		match (&self.suri, &self.key_file) {
			(Some(suri), _) => Ok(suri.clone()),
			(None, Some(path)) => std::fs::read_to_string(path)
				.with_context(|| format!("reading key file {}", path.display())),
			(None, None) => Err(invalid!("no signing key: pass --key-file or --suri")),
		}
	}
}

/// How to reach the artifact store.
#[derive(Debug, Args, Clone)]
pub struct StoreArgs {
	/// Block store directory of this process.
	#[arg(long, env = "DIN_STORE_DIR")]
	pub store_dir: PathBuf,
	/// Store peer to join through, ending in /p2p/<peer id> (repeatable, or comma-separated).
	#[arg(long = "store-peer", env = "DIN_STORE_PEERS", value_delimiter = ',')]
	pub store_peers: Vec<Multiaddr>,
	/// libp2p listen address, so that others can fetch what this process publishes.
	#[arg(long, default_value = "/ip4/127.0.0.1/tcp/0")]
	pub store_listen: Vec<Multiaddr>,
	/// Address others reach this process's store at (behind NAT, or when listening on a
	/// wildcard), e.g. /ip4/203.0.113.7/tcp/4001. A participant records it on chain for
	/// the evaluators of its updates; by default it records its first listen address that
	/// is not a wildcard.
	#[arg(long)]
	pub store_external_address: Option<Multiaddr>,
	/// Seconds to look for a provider of a CID.
	#[arg(long, default_value_t = 20)]
	pub store_timeout: u64,
}

impl StoreArgs {
	/// Starts this process's store peer.
	pub async fn start(&self) -> anyhow::Result<Store> {
		let mut config = StoreConfig::new(&self.store_dir);
		config.listen = self.store_listen.clone();
		config.bootstrap = self.store_peers.clone();
		config.provider_wait = Duration::from_secs(self.store_timeout);
		Ok(Store::start(config).await?)
	}

	/// The address `store` (started from these arguments) records on chain:
	/// `--store-external-address` (with the peer id appended), else its first listen
	/// address; `None` when it listens on a wildcard (0.0.0.0, ::) and was told no external
	/// address, since it cannot tell which of its interfaces others reach. An external
	/// address naming another peer id is refused: evaluators would dial someone else.
	pub fn announced_peer(&self, store: &Store) -> anyhow::Result<Option<Multiaddr>> {
		if let Some(external) = &self.store_external_address {
			return match din_store::network::split_peer_address(external) {
				Ok((peer, _)) if peer != store.peer_id() => Err(invalid!(
					"--store-external-address {external} names peer {peer}, but this store is {}",
					store.peer_id()
				)),
				Ok(_) => Ok(Some(external.clone())),
				Err(_) => Ok(Some(external.clone().with(Protocol::P2p(store.peer_id())))),
			};
		}
		if self.store_listen.iter().any(is_wildcard) {
			return Ok(None);
		}
		Ok(store.listen_addrs().first().cloned())
	}
}

/// A dataset by name.
///
/// - `digits`: the owner's training split of the shipped UCI digits (1,437 samples);
/// - `digits:K/N`: participant K's (from 1) IID share of it among N;
/// - `digits-test`: the owner's fixed test split (360 samples);
/// - `csv:PATH`: a numeric CSV file, read as [`CsvArgs`] say (by default: label in the last
///   column, a header line detected, `,` between cells);
/// - `idx:DIR`: an MNIST-format directory (its training files).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DataSource {
	Digits,
	DigitsShare { index: usize, of: usize },
	DigitsTest,
	Csv(PathBuf),
	Idx(PathBuf),
}

/// Seed of the IID shares of `digits:K/N`, so that every participant cuts the same shares.
const DIGITS_SHARE_SEED: u64 = u64::from_be_bytes(*b"DINshare");

impl FromStr for DataSource {
	type Err = String;

	fn from_str(s: &str) -> Result<Self, String> {
		if s == "digits" {
			return Ok(Self::Digits);
		}
		if s == "digits-test" {
			return Ok(Self::DigitsTest);
		}
		if let Some(share) = s.strip_prefix("digits:") {
			let (index, of) = share
				.split_once('/')
				.and_then(|(k, n)| Some((k.parse::<usize>().ok()?, n.parse::<usize>().ok()?)))
				.ok_or_else(|| format!("`{s}`: expected digits:K/N"))?;
			if index == 0 || index > of {
				return Err(format!("`{s}`: K must be in 1..=N"));
			}
			return Ok(Self::DigitsShare { index, of });
		}
		if let Some(path) = s.strip_prefix("csv:") {
			return Ok(Self::Csv(path.into()));
		}
		if let Some(path) = s.strip_prefix("idx:") {
			return Ok(Self::Idx(path.into()));
		}
		Err(format!("`{s}`: expected digits, digits:K/N, digits-test, csv:PATH or idx:DIR"))
	}
}

/// How `csv:PATH` data is read (other sources ignore these).
#[derive(Clone, Debug, Args)]
pub struct CsvArgs {
	/// CSV data: the label column: a header name, a column number (from 1), first or last.
	#[arg(long, default_value = "last")]
	pub label_column: LabelColumn,
	/// CSV data: the cell delimiter, one ASCII character (`\t` for a tab).
	#[arg(long, default_value = ",", value_parser = parse_delimiter)]
	pub delimiter: char,
	/// CSV data: whether the first line is a header: auto (when one of its cells is not a
	/// number), yes or no.
	#[arg(long, default_value = "auto")]
	pub header: Header,
	/// CSV data: every feature is divided by this (16 for 0..16 pixels, 255 for bytes).
	#[arg(long, default_value_t = 1.0)]
	pub feature_divisor: f32,
}

impl Default for CsvArgs {
	fn default() -> Self {
		let options = CsvOptions::default();
		CsvArgs {
			label_column: options.label_column,
			delimiter: options.delimiter,
			header: options.header,
			feature_divisor: options.feature_divisor,
		}
	}
}

/// A `--delimiter`: one character, or `\t` for a tab.
fn parse_delimiter(s: &str) -> Result<char, String> {
	let mut chars = s.chars();
	match (s, chars.next(), chars.next()) {
		("\\t" | "tab", _, _) => Ok('\t'),
		(_, Some(c), None) if c.is_ascii() => Ok(c),
		_ => Err(format!("`{s}`: expected one ASCII character, or \\t for a tab")),
	}
}

impl DataSource {
	/// Loads the samples, reading a CSV file as `csv` says; `classes` (a task's class
	/// count) gives a shard lacking some class the task's schema and refuses labels beyond
	/// it.
	pub fn load_with(&self, csv: &CsvArgs, classes: Option<usize>) -> anyhow::Result<Dataset> {
		Ok(match self {
			Self::Digits => data::digits::digits_train_test()?.0,
			Self::DigitsShare { index, of } => {
				let train = data::digits::digits_train_test()?.0;
				data::split::iid_split(&train, *of, DIGITS_SHARE_SEED)?.swap_remove(index - 1)
			},
			Self::DigitsTest => data::digits::digits_test_split()?,
			Self::Csv(path) => {
				let options = CsvOptions {
					label_column: csv.label_column.clone(),
					header: csv.header,
					delimiter: csv.delimiter,
					feature_divisor: csv.feature_divisor,
					num_classes: classes,
				};
				data::csv::load_csv(path, &options)
					.with_context(|| format!("reading {}", path.display()))?
			},
			Self::Idx(dir) => data::idx::load_idx_dir(dir)?.train,
		})
	}

	/// Loads the samples (a CSV file with the default options).
	pub fn load(&self) -> anyhow::Result<Dataset> {
		self.load_with(&CsvArgs::default(), None)
	}
}

/// Parses a native token amount in whole units with up to 12 decimals (`100`, `0.5`).
pub fn parse_amount(s: &str) -> Result<u128, String> {
	din_chain::Denomination::native().parse(s)
}

/// Formats a native balance in whole units.
pub fn format_amount(amount: u128) -> String {
	din_chain::Denomination::native().units(amount)
}

/// A reward pool's asset as JSON: `{"id": 1, "symbol": "dUSD", "decimals": 6}` (`id` null
/// for the native token).
pub fn denomination_json(unit: &din_chain::Denomination) -> serde_json::Value {
	serde_json::json!({ "id": unit.asset, "symbol": unit.symbol, "decimals": unit.decimals })
}

/// An amount as typed (`100`, `0.5`), in whole units of a token that is known only once the
/// chain is asked: a task's pool asset, whose decimals it is parsed with
/// ([`din_chain::Denomination::parse`]). Checked for shape when the arguments are parsed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenAmount(String);

impl TokenAmount {
	/// Accepts digits with at most one decimal point.
	pub fn parse(s: &str) -> Result<Self, String> {
		let (whole, fraction) = s.split_once('.').unwrap_or((s, ""));
		let digits = |d: &str| d.bytes().all(|b| b.is_ascii_digit());
		if (whole.is_empty() && fraction.is_empty()) || !digits(whole) || !digits(fraction) {
			return Err(format!("`{s}`: expected an amount like 100 or 0.5"));
		}
		Ok(Self(s.to_string()))
	}

	/// In smallest units of `denomination`.
	pub fn in_units(&self, denomination: &din_chain::Denomination) -> anyhow::Result<u128> {
		denomination.parse(&self.0).map_err(|why| anyhow::anyhow!(why))
	}
}

/// An account from its SS58 address or a secret URI (`//Bob`).
pub fn parse_account(s: &str) -> Result<AccountId32, String> {
	if let Ok(account) = AccountId32::from_str(s) {
		return Ok(account);
	}
	Signer::from_uri(s)
		.map(|signer| signer.account_id())
		.map_err(|_| format!("`{s}` is neither an SS58 address nor a secret URI"))
}

/// The Poseidon commitment of canonical values, as the chain stores it.
pub fn commitment_of(values: &[i32]) -> H256 {
	H256(din_zk::commitment::to_bytes(&din_zk::commitment::model_commitment(values)))
}

/// A CID as the chain stores it: the bytes of its string form.
pub fn cid_to_chain(cid: &Cid) -> Vec<u8> {
	cid.to_string().into_bytes()
}

/// A CID stored on chain.
pub fn cid_from_chain(bytes: &[u8]) -> anyhow::Result<Cid> {
	let text = std::str::from_utf8(bytes).map_err(|_| invalid!("a CID on chain is not UTF-8"))?;
	Ok(din_store::parse_cid(text)?)
}

/// The task `task` as the chain has it, or a clear error: an id never used, or the id of a
/// task that ended and whose records the chain pruned after its retention.
pub async fn existing_task(chain: &Chain, task: u32) -> anyhow::Result<din_chain::types::TaskInfo> {
	chain.task(task).await?.ok_or_else(|| {
		invalid!(
			"task {task} does not exist (never created, or ended and pruned after the chain's record retention)"
		)
	})
}

/// The model spec of a task, from its on-chain architecture bytes.
pub fn task_spec(info: &din_chain::types::TaskInfo) -> anyhow::Result<ModelSpec> {
	Ok(task_model(info)?.spec)
}

/// The model of a task with its input preprocessing, from its on-chain architecture bytes.
pub fn task_model(info: &din_chain::types::TaskInfo) -> anyhow::Result<TaskModel> {
	TaskModel::from_bytes(&info.spec.model.architecture.0)
		.map_err(|e| invalid!("the task's model architecture does not decode: {e}"))
}

/// `data` as the task's model takes it: the model's feature count checked, and the task's
/// preprocessing applied (a copy; `data` stays raw).
pub fn task_data<'a>(
	data: &'a Dataset,
	model: &TaskModel,
) -> anyhow::Result<std::borrow::Cow<'a, Dataset>> {
	let inputs = model.spec.input_features() as usize;
	if data.num_features() != inputs {
		return Err(invalid!(
			"the data has {} features per sample, the task's model takes {inputs}",
			data.num_features()
		));
	}
	Ok(match &model.preprocessing {
		Some(map) => std::borrow::Cow::Owned(data.preprocessed(map)?),
		None => std::borrow::Cow::Borrowed(data),
	})
}

/// Fetches the update of `schema` at `cid` within `timeout` (the store checks the bytes
/// against the CID, and refuses an artifact longer than such an update before fetching its
/// blocks), or says why it could not: the reason of a [`Rejection::Unavailable`].
pub async fn fetch(
	store: &Store,
	cid: &[u8],
	schema: &din_fl::Schema,
	timeout: Duration,
) -> Result<Vec<u8>, String> {
	fetch_from(store, cid, schema, timeout, None).await
}

/// How long [`fetch_from`] waits for the author's store peer to connect before asking.
const AUTHOR_DIAL_WAIT: Duration = Duration::from_secs(2);

/// [`fetch`], dialling `author` (the store peer the update's author recorded on chain,
/// [`recorded_store_peer`]) and asking it first, without a DHT lookup: a peer that
/// announces the update in the DHT and then stalls cannot make it look unavailable. The
/// DHT's providers are still asked if the author does not answer within the store's head
/// start.
pub async fn fetch_from(
	store: &Store,
	cid: &[u8],
	schema: &din_fl::Schema,
	timeout: Duration,
	author: Option<&(PeerId, Multiaddr)>,
) -> Result<Vec<u8>, String> {
	fetch_limited(store, cid, Update::encoded_len_for(schema) as u64, timeout, author).await
}

/// [`fetch_from`] for an artifact of at most `limit` bytes (a masked update is larger than
/// an update of the same model).
pub async fn fetch_limited(
	store: &Store,
	cid: &[u8],
	limit: u64,
	timeout: Duration,
	author: Option<&(PeerId, Multiaddr)>,
) -> Result<Vec<u8>, String> {
	let cid = cid_from_chain(cid).map_err(|e| format!("{e:#}"))?;
	let providers: Vec<PeerId> = author.iter().map(|(peer, _)| *peer).collect();
	let get = async {
		if let Some((peer, address)) = author {
			// The dial puts the address in the routing table before it connects, so the
			// request finds the peer even if the dial is still under way; a dial that fails
			// or takes long leaves the DHT's providers the rest of the time.
			let dial = store.client().dial(*peer, address.clone());
			match tokio::time::timeout(AUTHOR_DIAL_WAIT, dial).await {
				Ok(Ok(())) => {},
				Ok(Err(error)) => {
					tracing::debug!(target: "din", "dialling the author's store peer {peer}: {error}")
				},
				Err(_) => {
					tracing::debug!(target: "din", "the author's store peer {peer} is not connected within {AUTHOR_DIAL_WAIT:?}")
				},
			}
		}
		store.get_at_most_from(&cid, limit, &providers).await
	};
	match tokio::time::timeout(timeout, get).await {
		Ok(Ok(bytes)) => Ok(bytes),
		Ok(Err(error)) => Err(error.to_string()),
		Err(_) => Err(format!("not fetched within {timeout:?}")),
	}
}

/// The store peer `who` recorded on chain (`Staking::StorePeers`), if the record is a
/// multiaddr ending in `/p2p/<peer id>`. The chain only bounds the record's length, so
/// anything else is ignored: its owner's updates are then found through the DHT alone.
pub async fn recorded_store_peer(
	chain: &Chain,
	who: &AccountId32,
) -> anyhow::Result<Option<(PeerId, Multiaddr)>> {
	let Some(bytes) = chain.store_peer(who).await? else { return Ok(None) };
	let parsed = Multiaddr::try_from(bytes)
		.ok()
		.and_then(|address| din_store::network::split_peer_address(&address).ok());
	if parsed.is_none() {
		tracing::debug!(target: "din", "{who}'s store peer record is not a /p2p/ multiaddr; ignored");
	}
	Ok(parsed)
}

fn is_wildcard(address: &Multiaddr) -> bool {
	address.iter().any(|protocol| match protocol {
		Protocol::Ip4(ip) => ip.is_unspecified(),
		Protocol::Ip6(ip) => ip.is_unspecified(),
		_ => false,
	})
}

/// Records `address` ([`StoreArgs::announced_peer`]) as where the signer's store listens
/// (`Staking::set_store_peer`) unless the chain already holds that record; needs a bond.
/// Evaluators dial it first for the signer's updates ([`fetch_from`]).
pub async fn record_store_peer(
	chain: &Chain,
	signer: &Signer,
	address: Option<Multiaddr>,
) -> anyhow::Result<()> {
	let Some(address) = address else {
		tracing::warn!(target: "din", "the store listens on wildcard addresses only: no store peer is recorded on chain (pass --store-external-address); evaluators will find this process's updates through the DHT alone");
		return Ok(());
	};
	let bytes = address.to_vec();
	retry_refused("recording the store peer", || async {
		if chain.store_peer(&signer.account_id()).await?.as_deref() == Some(&bytes[..]) {
			return Ok(());
		}
		chain.set_store_peer(signer, Some(&bytes)).await?;
		tracing::info!(target: "din", "recorded store peer {address} on chain");
		Ok(())
	})
	.await
}

/// Runs `step` again a block later, up to [`REFUSED_ATTEMPTS`] times in all, while the
/// node's pool refuses or drops its transaction ([`din_chain::Error::Rejected`]) or a pallet
/// refuses its call ([`din_chain::Error::Pallet`]); any other error ends it at once.
///
/// Only for a daemon's enrollment steps (bond, register, join, record the store peer),
/// which read the chain before they act, so a try whose transaction did land is not
/// repeated. With validators on competing forks the fork-aware pool can answer `Invalid`
/// to a transaction it accepted a moment before (zombienet 0002 saw it for a
/// participant's `set_store_peer` and an evaluator's `register_evaluator`); that used to
/// stop the daemon before its first duty. A daemon's transactions count once in a best
/// block, so a step's second transaction can also land on a fork without its first: a
/// `register_evaluator` failed with `InsufficientEvaluatorBond` right after its `bond`
/// (zombienet 0004, four validators under load). The next try reads the chain anew and
/// bonds again only if the bond is not there.
pub async fn retry_refused<T, F, Fut>(what: &str, step: F) -> anyhow::Result<T>
where
	F: FnMut() -> Fut,
	Fut: std::future::Future<Output = anyhow::Result<T>>,
{
	retry_refused_every(REFUSED_RETRY_DELAY, what, step).await
}

/// [`retry_refused`] waiting `delay` between tries.
async fn retry_refused_every<T, F, Fut>(
	delay: Duration,
	what: &str,
	mut step: F,
) -> anyhow::Result<T>
where
	F: FnMut() -> Fut,
	Fut: std::future::Future<Output = anyhow::Result<T>>,
{
	let mut attempt = 1;
	loop {
		match step().await {
			Err(error) if attempt < REFUSED_ATTEMPTS && is_refused(&error) => {
				tracing::warn!(target: "din", "{what}: the node refused the transaction ({error}); trying again");
				attempt += 1;
				tokio::time::sleep(delay).await;
			},
			outcome => return outcome,
		}
	}
}

/// Whether `error` is the node's pool refusing or dropping a transaction, or a pallet
/// refusing an included call: what [`retry_refused`] tries again.
fn is_refused(error: &anyhow::Error) -> bool {
	matches!(
		error.downcast_ref::<din_chain::Error>(),
		Some(din_chain::Error::Rejected(_) | din_chain::Error::Pallet(_))
	)
}

/// Tries of [`retry_refused`] before it gives up.
const REFUSED_ATTEMPTS: u32 = 3;
/// Between two tries: a block of the dev and local chains.
const REFUSED_RETRY_DELAY: Duration = Duration::from_secs(3);

/// Fetches the model at `cid` (an aggregate, a global model, the genesis model) and checks
/// it against the task's schema and the on-chain commitment: the evaluator's
/// [`check_model`] with the client's [`commitment_of`].
pub async fn fetch_checked(
	store: &Store,
	cid: &[u8],
	schema: &din_fl::Schema,
	commitment: &H256,
	timeout: Duration,
) -> Result<Update, Rejection> {
	let bytes = fetch(store, cid, schema, timeout).await.map_err(Rejection::Unavailable)?;
	check_model(&bytes, schema, commitment, commitment_of)
}

/// Fetches a model to score and checks it ([`check_scored`]): for a participant's
/// `update`, bytes that do not open its commitment are [`Scored::Unopened`], scored as
/// nothing right, instead of an error that would stop the scoring of every other target.
pub async fn fetch_scored(
	store: &Store,
	cid: &[u8],
	schema: &din_fl::Schema,
	commitment: &H256,
	update: bool,
	timeout: Duration,
) -> Result<Scored, Rejection> {
	let bytes = fetch(store, cid, schema, timeout).await.map_err(Rejection::Unavailable)?;
	check_scored(&bytes, schema, commitment, update, commitment_of)
}

/// The latest global model of `task` before `round`: `(cid, commitment)` of the newest
/// settled round below it, else the genesis model.
pub async fn global_model_before(
	chain: &Chain,
	task: u32,
	info: &din_chain::types::TaskInfo,
	round: u32,
) -> anyhow::Result<(Vec<u8>, H256)> {
	for previous in (0..round).rev() {
		if let Some(model) = chain.global_model(task, previous).await? {
			return Ok((model.cid.0, model.commitment));
		}
	}
	Ok((info.spec.genesis.cid.0.clone(), info.spec.genesis.commitment))
}

/// The model a round trains from.
#[derive(Clone, Debug)]
pub enum TrainedFrom {
	/// A model the chain fixed (a global model, or the genesis model): its CID and
	/// commitment, fetched from the store.
	Fixed { cid: Vec<u8>, commitment: H256 },
	/// The previous round's global model while the next round's evaluators vote on it
	/// (pipelined): combined here from that round's accepted aggregates, since its voters
	/// publish it only with their reveals.
	Combined(Update),
}

impl TrainedFrom {
	/// The model's commitment (computed for a combined one).
	pub fn commitment(&self) -> H256 {
		match self {
			TrainedFrom::Fixed { commitment, .. } => *commitment,
			TrainedFrom::Combined(model) => commitment_of(&model.values),
		}
	}

	/// The model itself: a fixed one fetched and checked against its commitment.
	pub async fn model(
		&self,
		store: &Store,
		schema: &din_fl::Schema,
		timeout: Duration,
	) -> anyhow::Result<Update> {
		match self {
			TrainedFrom::Fixed { cid, commitment } => {
				fetch_checked(store, cid, schema, commitment, timeout)
					.await
					.map_err(|why| anyhow::anyhow!("global model: {why}"))
			},
			TrainedFrom::Combined(model) => Ok(model.clone()),
		}
	}
}

/// The model `round` of `task` trains from: while the previous round's global model is
/// voted on (`Chain::open_global_vote`), that model, combined from the previous round's
/// accepted aggregates ([`global_model_of`]) as every honest evaluator and participant
/// combines it; else (or if those aggregates carry no weight) the newest model the chain
/// fixed before `round` ([`global_model_before`]).
pub async fn trained_from(
	chain: &Chain,
	store: &Store,
	task: u32,
	info: &din_chain::types::TaskInfo,
	round: u32,
) -> anyhow::Result<TrainedFrom> {
	if let Some(voted) = chain.open_global_vote(task, round).await? {
		if let Some(model) = global_model_of(chain, store, task, info, voted, false).await? {
			return Ok(TrainedFrom::Combined(model));
		}
	}
	let (cid, commitment) = global_model_before(chain, task, info, round).await?;
	Ok(TrainedFrom::Fixed { cid, commitment })
}

/// The global model of `round` of `task`: its accepted subgroup aggregates fetched,
/// checked against their commitments and combined sample-weighted
/// (`din_fl::duty::combine`, integer and bit-identical everywhere); `None` when none
/// carries weight (the model before it holds). `ahead`: in the round's AggregationReveal
/// (exact in its last block, [`crate::follow::ends_next`]) the subgroups are not settled
/// yet, and each one's accepted aggregate is its panel's majority, computed from the
/// reveals as pallet-din-evaluation will settle them.
pub async fn global_model_of(
	chain: &Chain,
	store: &Store,
	task: u32,
	info: &din_chain::types::TaskInfo,
	round: u32,
	ahead: bool,
) -> anyhow::Result<Option<Update>> {
	use din_chain::types::{SubgroupResult, Vote};
	let schema = task_spec(info)?.schema().map_err(|e| invalid!("{e:?}"))?;
	let subgroups = if ahead { chain.subgroups(task).await? } else { Vec::new() };
	let mut aggregates = Vec::new();
	for subgroup in 0u32.. {
		let panel = chain.panel(task, round, subgroup).await?;
		if panel.is_empty() {
			break;
		}
		let accepted = if ahead {
			// A subgroup without updates settles empty, whatever its panel revealed.
			let mut submitted = false;
			for member in subgroups.get(subgroup as usize).into_iter().flatten() {
				if chain.update(task, round, member).await?.is_some() {
					submitted = true;
					break;
				}
			}
			if !submitted {
				continue;
			}
			let mut revealed = Vec::new();
			for member in &panel {
				if let Some(Vote::Revealed(reveal)) =
					chain.aggregate_vote(task, round, subgroup, member).await?
				{
					revealed.push(reveal);
				}
			}
			din_primitives::strict_majority(&revealed, panel.len() as u32)
				.map(|(reveal, _)| (reveal.cid.0, reveal.commitment))
		} else {
			match chain.subgroup_result(task, round, subgroup).await? {
				Some(SubgroupResult::Accepted(reveal)) => Some((reveal.cid.0, reveal.commitment)),
				_ => None,
			}
		};
		if let Some((cid, commitment)) = accepted {
			let aggregate = fetch_checked(store, &cid, &schema, &commitment, GLOBAL_FETCH_TIMEOUT)
				.await
				.map_err(|why| anyhow::anyhow!("aggregate of subgroup {subgroup}: {why}"))?;
			aggregates.push(aggregate);
		}
	}
	Ok(din_fl::duty::combine(&din_aggregate::Parallel, &aggregates)?)
}

/// How long [`global_model_of`] waits for one accepted aggregate.
const GLOBAL_FETCH_TIMEOUT: Duration = Duration::from_secs(10);

/// This process's peak resident memory in MiB (`VmHWM`), where the OS reports it.
pub fn peak_memory_mib() -> Option<u64> {
	let status = std::fs::read_to_string("/proc/self/status").ok()?;
	let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
	let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
	Some(kib / 1024)
}

/// The short form of an account for logs: its first SS58 characters.
pub fn short(account: &AccountId32) -> String {
	account.to_string().chars().take(8).collect()
}

#[cfg(test)]
mod tests {
	use super::*;
	use clap::Parser;
	use din_chain::UNIT;

	/// A store on a loopback port that knows no other peer and announces nothing: its
	/// content is in no DHT another store could look it up in.
	async fn isolated_store(args: &StoreArgs) -> Store {
		let mut config = StoreConfig::new(&args.store_dir);
		config.listen = args.store_listen.clone();
		config.announce_on_start = false;
		config.provider_wait = Duration::from_millis(500);
		Store::start(config).await.unwrap()
	}

	fn store_args(dir: &std::path::Path, listen: &str, external: Option<&str>) -> StoreArgs {
		StoreArgs {
			store_dir: dir.to_path_buf(),
			store_peers: Vec::new(),
			store_listen: vec![listen.parse().unwrap()],
			store_external_address: external.map(|a| a.parse().unwrap()),
			store_timeout: 1,
		}
	}

	/// Attack: a zero-stake peer announces a participant's update in the DHT and stalls,
	/// or the DHT simply has no record of it, and the evaluator marks the update
	/// unavailable, which slashes its author. The author's recorded store peer is dialled
	/// and asked directly: the update is fetched where the DHT alone finds nothing.
	#[tokio::test]
	async fn an_update_is_fetched_from_its_authors_recorded_peer_without_the_dht() {
		let (author_dir, evaluator_dir) =
			(tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
		let author_args = store_args(author_dir.path(), "/ip4/127.0.0.1/tcp/0", None);
		let author = isolated_store(&author_args).await;
		let evaluator =
			isolated_store(&store_args(evaluator_dir.path(), "/ip4/127.0.0.1/tcp/0", None)).await;
		let schema = din_fl::Schema::new(vec![din_fl::spec::TensorSpec {
			name: "w".into(),
			shape: vec![64, 64],
		}]);
		let update =
			din_store::testing::pseudo_random_bytes(Update::encoded_len_for(&schema) as usize, 3);
		let cid = author.put(update.clone()).await.unwrap();
		let cid = cid_to_chain(&cid);
		let timeout = Duration::from_secs(10);

		let unrecorded = fetch(&evaluator, &cid, &schema, timeout).await;
		assert!(unrecorded.is_err(), "the DHT alone finds no provider: {unrecorded:?}");

		let recorded =
			author_args.announced_peer(&author).unwrap().expect("a loopback listen address");
		let peer = din_store::network::split_peer_address(&recorded).unwrap();
		assert_eq!(peer.0, author.peer_id());
		let fetched = fetch_from(&evaluator, &cid, &schema, timeout, Some(&peer)).await;
		assert_eq!(fetched.expect("fetched from the author"), update);
	}

	/// Attack (or plain bad luck): validators on competing forks, and the pool answers
	/// `Invalid` to an enrollment transaction it had accepted, or a pallet refuses a call
	/// whose precondition (the bond before a registration) landed on the other fork. The
	/// step is tried again; any other failed dispatch is final at once, and the tries are
	/// bounded.
	#[tokio::test]
	async fn an_enrollment_refused_on_a_competing_fork_is_tried_again_and_a_bad_origin_is_not() {
		let refused = || din_chain::Error::Rejected("invalid: Transaction is invalid".into());
		let tries = std::cell::Cell::new(0);
		let outcome = retry_refused_every(Duration::ZERO, "test", || async {
			tries.set(tries.get() + 1);
			if tries.get() < REFUSED_ATTEMPTS {
				Err(refused().into())
			} else {
				Ok(tries.get())
			}
		})
		.await;
		assert_eq!(outcome.unwrap(), REFUSED_ATTEMPTS, "the last allowed try succeeds");

		tries.set(0);
		let outcome: anyhow::Result<()> = retry_refused_every(Duration::ZERO, "test", || async {
			tries.set(tries.get() + 1);
			Err(refused().into())
		})
		.await;
		assert!(outcome.is_err());
		assert_eq!(tries.get(), REFUSED_ATTEMPTS, "bounded");

		tries.set(0);
		let outcome = retry_refused_every(Duration::ZERO, "test", || async {
			tries.set(tries.get() + 1);
			if tries.get() == 1 {
				Err(din_chain::Error::Pallet(din_chain::PalletError {
					pallet: "Evaluation".into(),
					error: "InsufficientEvaluatorBond".into(),
					docs: String::new(),
				})
				.into())
			} else {
				Ok(tries.get())
			}
		})
		.await;
		assert_eq!(outcome.unwrap(), 2, "a registration whose bond was on the other fork");

		tries.set(0);
		let outcome: anyhow::Result<()> = retry_refused_every(Duration::ZERO, "test", || async {
			tries.set(tries.get() + 1);
			Err(din_chain::Error::Dispatch("BadOrigin".into()).into())
		})
		.await;
		assert!(outcome.is_err());
		assert_eq!(tries.get(), 1, "an included, failed call is not sent again");
	}

	#[tokio::test]
	async fn a_store_on_a_wildcard_records_only_an_address_it_was_told() {
		let dir = tempfile::tempdir().unwrap();
		let wildcard = store_args(dir.path(), "/ip4/0.0.0.0/tcp/0", None);
		let store = isolated_store(&wildcard).await;
		assert_eq!(
			wildcard.announced_peer(&store).unwrap(),
			None,
			"which interface do others reach?"
		);
		let external = "/ip4/203.0.113.7/tcp/4001";
		let told = store_args(dir.path(), "/ip4/0.0.0.0/tcp/0", Some(external));
		let recorded = told.announced_peer(&store).unwrap().unwrap();
		let expected = external.parse::<Multiaddr>().unwrap().with(Protocol::P2p(store.peer_id()));
		assert_eq!(recorded, expected);
		// An address that already names the peer is recorded as given.
		let named = store_args(dir.path(), "/ip4/0.0.0.0/tcp/0", Some(&recorded.to_string()));
		assert_eq!(named.announced_peer(&store).unwrap(), Some(recorded));
		// One that names another peer would send evaluators to someone else: refused.
		let other = format!("{external}/p2p/{}", din_store::PeerId::random());
		let wrong = store_args(dir.path(), "/ip4/0.0.0.0/tcp/0", Some(&other));
		let refused = wrong.announced_peer(&store).expect_err("another peer's address");
		assert!(refused.to_string().contains("names peer"), "{refused}");
	}

	/// The data flags of `din participant run`.
	#[derive(Parser)]
	struct DataFlags {
		#[arg(long)]
		data: DataSource,
		#[command(flatten)]
		csv: CsvArgs,
	}

	/// Loads `text` as `--data csv:FILE` with the extra `flags`, for a task of 3 classes.
	fn load_csv_text(text: &str, flags: &[&str]) -> anyhow::Result<Dataset> {
		let dir = tempfile::tempdir()?;
		let path = dir.path().join("data.csv");
		std::fs::write(&path, text)?;
		let data = format!("csv:{}", path.display());
		let args = ["din", "--data", data.as_str()].into_iter().chain(flags.iter().copied());
		let flags = DataFlags::try_parse_from(args)?;
		flags.data.load_with(&flags.csv, Some(3))
	}

	#[test]
	fn a_csv_is_read_with_the_options_given_and_bad_rows_name_their_line() {
		let flags = ["--label-column", "label", "--delimiter", ";"];
		let data = load_csv_text("f1;label;f2\n0.5;2;1\n1.5;0;2\n", &flags).unwrap();
		assert_eq!((data.len(), data.num_features(), data.num_classes()), (2, 2, 3));
		assert_eq!(data.sample(0), Some((&[0.5, 1.0][..], 2)));
		let tab = load_csv_text("1\t0\n2\t1\n", &["--delimiter", "\\t", "--header", "no"]);
		assert_eq!(tab.unwrap().len(), 2);

		for (text, line, why) in [
			("f1;label;f2\n1;0;2\n1;2\n", 3, "2 columns, but line 1 has 3"),
			("f1;label;f2\n1;0;2\n\n1;;2\n", 4, "missing value"),
			("f1;label;f2\n1;3;2\n", 2, "number of classes 3"),
		] {
			let error = format!("{:#}", load_csv_text(text, &flags).unwrap_err());
			assert!(error.contains(&format!("CSV line {line}: ")), "{error}");
			assert!(error.contains(why), "{error}");
		}
		assert!(DataFlags::try_parse_from(["din", "--data", "csv:x", "--delimiter", ";;"]).is_err());
	}

	#[test]
	fn a_participant_trains_on_its_rows_under_the_tasks_map_and_on_no_other_width() {
		let data = load_csv_text("a,b,label\n1000,0.001,0\n3000,0.003,1\n", &[]).unwrap();
		let spec = ModelSpec::SoftmaxRegression { inputs: 2, classes: 3 };
		let raw = TaskModel::from(spec.clone());
		assert!(matches!(task_data(&data, &raw).unwrap(), std::borrow::Cow::Borrowed(_)));
		let map = din_fl::Preprocessing::standardize(data.features(), 2, 5.0);
		let standardized = TaskModel { preprocessing: Some(map), ..spec.into() };
		let seen = task_data(&data, &standardized).unwrap();
		for (got, want) in seen.features().iter().zip([-1.0, -1.0, 1.0, 1.0]) {
			assert!((got - want).abs() < 1e-3, "{got} vs {want}");
		}
		assert_eq!(seen.labels(), data.labels());
		// The caller's rows stay raw for the next round's copy.
		assert_eq!(data.features()[0], 1000.0);
		let wide = TaskModel::from(ModelSpec::SoftmaxRegression { inputs: 3, classes: 3 });
		let error = format!("{:#}", task_data(&data, &wide).unwrap_err());
		assert!(error.contains("2 features per sample, the task's model takes 3"), "{error}");
	}

	#[test]
	fn amounts_round_trip_in_whole_units() {
		assert_eq!(parse_amount("100"), Ok(100 * UNIT));
		assert_eq!(parse_amount("0.5"), Ok(UNIT / 2));
		assert_eq!(format_amount(UNIT / 2), "0.5");
		assert_eq!(format_amount(3 * UNIT), "3");
		assert!(parse_amount("1.0000000000001").is_err());
		assert!(parse_amount("ten").is_err());
		assert!(parse_amount("").is_err());
	}

	#[test]
	fn a_typed_amount_is_checked_now_and_counted_in_its_tokens_decimals_later() {
		let dusd = din_chain::Denomination { asset: Some(1), symbol: "dUSD".into(), decimals: 6 };
		let amount = TokenAmount::parse("12.5").expect("an amount");
		assert_eq!(amount.in_units(&dusd).unwrap(), 12_500_000);
		assert_eq!(
			amount.in_units(&din_chain::Denomination::native()).unwrap(),
			12 * UNIT + UNIT / 2
		);
		assert!(TokenAmount::parse("1.2.3").is_err());
		assert!(TokenAmount::parse("ten").is_err());
		assert!(TokenAmount::parse(".").is_err());
		let too_fine = TokenAmount::parse("0.0000001").expect("shape is fine");
		assert!(too_fine.in_units(&dusd).is_err());
	}

	#[test]
	fn data_sources_parse_and_refuse_bad_shares() {
		assert_eq!("digits:2/8".parse(), Ok(DataSource::DigitsShare { index: 2, of: 8 }));
		assert!("digits:0/8".parse::<DataSource>().is_err());
		assert!("digits:9/8".parse::<DataSource>().is_err());
		assert!("mnist".parse::<DataSource>().is_err());
		assert_eq!("csv:/x.csv".parse(), Ok(DataSource::Csv("/x.csv".into())));
	}

	#[test]
	fn digits_shares_partition_the_training_split() {
		let shares: Vec<Dataset> = (1..=4)
			.map(|k| DataSource::DigitsShare { index: k, of: 4 }.load().unwrap())
			.collect();
		let total: usize = shares.iter().map(Dataset::len).sum();
		assert_eq!(total, DataSource::Digits.load().unwrap().len());
	}
}
