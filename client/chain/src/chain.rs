//! [`Chain`]: a connection to a DIN node with typed calls, reads and events.

use crate::{
	din,
	error::{self, Error},
	rpc::WsClient,
	types::{
		AggregateReveal, BoundedVec, GlobalModelRef, Ledger, Perbill, ProvenScore, RewardAsset,
		Role, ScoreTarget, Settlement, SubgroupResult, TaskInfo, TaskSpec, TaskView, UpdateInfo,
		Vote,
	},
	AccountId32, Denomination, DinConfig, RoundIndex, SubgroupIndex, TaskId, H256,
};
use futures::{stream::BoxStream, StreamExt};
use std::{str::FromStr, sync::Arc, time::Duration};
use subxt::ext::codec::{Encode, Output};
use subxt::{
	backend::LegacyBackend,
	config::{polkadot::PolkadotExtrinsicParamsBuilder, RpcConfigFor},
	events::Events,
	extrinsics::ExtrinsicEvents,
	rpcs::{methods::LegacyRpcMethods, RpcClient},
	transactions::{
		Payload, SubmittableTransaction, TransactionInBlock, TransactionProgress, TransactionStatus,
	},
	OnlineClient,
};
use subxt_signer::{sr25519, SecretUri};

mod council;
mod validators;
pub use council::{Closed, Council, Motion, Proposal, RuntimeUpgrade};
pub use validators::{SessionKeysWithProof, ValidatorSet};

/// Bytes in a CID (`din_primitives::MAX_CID_LEN`).
pub const MAX_CID_LEN: usize = 128;
/// Bytes in a Groth16 proof of `Evaluation::submit_score` (its `ConstU32<256>` bound).
pub const MAX_PROOF_LEN: usize = 256;
/// Bytes in a store peer record of `Staking::set_store_peer` (the runtime's
/// `MaxStorePeerLen`).
pub const MAX_STORE_PEER_LEN: usize = 128;
/// Default bound on waiting for a transaction's inclusion.
pub const DEFAULT_INCLUSION_TIMEOUT: Duration = Duration::from_secs(180);
/// The statement a proof for [`Chain::submit_score`] must be made for when `prover` submits
/// it: `din_primitives::score_binding` of the runtime's target.
pub fn score_binding(task: TaskId, target: &ScoreTarget, prover: &AccountId32) -> [u8; 32] {
	din_primitives::score_binding(task, &RuntimeTarget(target), &prover.0)
}

/// The hash [`Chain::commit_scores`] commits for `evaluator`'s count of `target`:
/// `din_primitives::score_commit_hash` of the runtime's target.
pub fn score_commit_hash(
	task: TaskId,
	target: &ScoreTarget,
	evaluator: &AccountId32,
	correct: u32,
	total: u32,
	salt: &[u8; 32],
) -> H256 {
	let hash = din_primitives::score_commit_hash(
		task,
		&RuntimeTarget(target),
		&evaluator.0,
		correct,
		total,
		salt,
	);
	H256(hash.0)
}

/// A generated `ScoreTarget` in the SCALE form of the runtime's `ScoreTarget<AccountId32>`:
/// variant 0 for the baseline, variant 1, the round and the participant for an update,
/// variant 2 and the round for a global model (the generated type has no SCALE encoder of
/// its own).
struct RuntimeTarget<'a>(&'a ScoreTarget);

impl Encode for RuntimeTarget<'_> {
	fn encode_to<O: Output + ?Sized>(&self, dest: &mut O) {
		match self.0 {
			ScoreTarget::Baseline => 0u8.encode_to(dest),
			ScoreTarget::Update { round, participant } => {
				(1u8, *round, participant.0).encode_to(dest)
			},
			ScoreTarget::Global { round } => (2u8, *round).encode_to(dest),
		}
	}
}

/// How many times [`Chain::submit`] signs a call when the pool says its nonce was taken.
const NONCE_ATTEMPTS: u32 = 5;
/// The wait before signing again with a fresh nonce: about a block, by which the node's
/// view of the signer's nonce has caught up with its pool.
const NONCE_RETRY_DELAY: Duration = Duration::from_secs(3);

/// An sr25519 account that signs transactions.
#[derive(Clone)]
pub struct Signer(sr25519::Keypair);

impl Signer {
	/// The signer of a secret URI: a dev name (`//Alice`, `//Bob//stash`), a mnemonic with
	/// optional derivation and password (`<words>//hard/soft///password`), or a hex seed
	/// (`0x<64 hex digits>`). Surrounding whitespace (a key file's trailing newline) is
	/// ignored; the URI is never echoed in errors.
	pub fn from_uri(suri: &str) -> Result<Signer, Error> {
		let uri =
			SecretUri::from_str(suri.trim()).map_err(|e| Error::InvalidSecretUri(e.to_string()))?;
		sr25519::Keypair::from_uri(&uri)
			.map(Signer)
			.map_err(|e| Error::InvalidSecretUri(e.to_string()))
	}

	/// The account that signs.
	pub fn account_id(&self) -> AccountId32 {
		self.0.public_key().into()
	}
}

impl std::fmt::Debug for Signer {
	fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
		write!(f, "Signer({})", self.account_id())
	}
}

impl subxt::transactions::Signer<DinConfig> for Signer {
	fn account_id(&self) -> AccountId32 {
		Signer::account_id(self)
	}

	fn sign(&self, payload: &[u8]) -> <DinConfig as subxt::Config>::Signature {
		<sr25519::Keypair as subxt::transactions::Signer<DinConfig>>::sign(&self.0, payload)
	}
}

/// When a submitted transaction counts as done.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Inclusion {
	/// In a best block: fast, but a re-org can still drop it.
	InBestBlock,
	/// In a finalized block (GRANDPA).
	#[default]
	Finalized,
}

/// A transaction signed for a DIN node, ready to submit ([`Chain::sign`],
/// [`Chain::submit_signed`]).
pub type SignedTransaction =
	SubmittableTransaction<DinConfig, subxt::client::OnlineClientAtBlockImpl<DinConfig>>;

/// A transaction the pool accepted: watched for us, or only held.
enum Pending {
	Watched(TransactionProgress<DinConfig, subxt::client::OnlineClientAtBlockImpl<DinConfig>>),
	InPool(H256),
}

impl Pending {
	fn extrinsic_hash(&self) -> H256 {
		match self {
			Pending::Watched(progress) => progress.extrinsic_hash(),
			Pending::InPool(hash) => *hash,
		}
	}
}

/// Which block reads are answered at.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ReadAt {
	/// The latest finalized block: what will not change.
	#[default]
	Finalized,
	/// The node's best block: up to a few blocks fresher than finality, which daemons
	/// following short protocol phases need (a re-org can still replace it).
	Best,
}

/// A transaction that made it into a block and succeeded.
#[derive(Debug)]
pub struct Included {
	/// The block it is in.
	pub block_hash: H256,
	/// Its hash.
	pub extrinsic_hash: H256,
	/// The events it emitted; find typed ones with `events.find_first::<din::tasks::events::TaskCreated>()`.
	pub events: ExtrinsicEvents<DinConfig>,
}

/// An account's native balance.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Balance {
	/// Spendable (and bondable) funds.
	pub free: u128,
	/// Funds on hold: bonds, reward pools.
	pub reserved: u128,
}

/// The events of one finalized block.
#[derive(Debug)]
pub struct BlockEvents {
	/// Block number.
	pub number: u64,
	/// Block hash.
	pub hash: H256,
	/// All its events; see [`Events::find`] for typed access, or [`BlockEvents::decoded`].
	pub events: Events<DinConfig>,
}

/// A runtime event decoded once into the generated outer enum, to be matched on whole
/// (`DinEvent::Tasks(din::tasks::Event::PhaseChanged { .. })`) instead of trying one event
/// type after another.
pub type DinEvent = din::Event;

impl BlockEvents {
	/// Every event of the block, in order, decoded into a [`DinEvent`].
	pub fn decoded(&self) -> impl Iterator<Item = Result<DinEvent, Error>> + '_ {
		self.events
			.iter()
			.map(|event| event.map_err(error::subxt)?.decode_as::<DinEvent>().map_err(error::subxt))
	}
}

/// How far behind the finalized head [`Chain::follow_finalized`] takes an unreadable block
/// for pruned state and skips it (a node keeps the state of 256 blocks by default).
pub const PRUNED_BEYOND: u64 = 250;

/// How many subscriptions in a row may deliver no block before [`Chain::follow_finalized`]
/// gives up, [`RESUBSCRIBE_DELAY`] apart.
pub const RESUBSCRIBE_ATTEMPTS: u32 = 10;

/// The wait before [`Chain::follow_finalized`] subscribes again.
pub const RESUBSCRIBE_DELAY: Duration = Duration::from_secs(2);

/// A connection to a DIN node.
///
/// Reads are answered at the block chosen with [`Chain::with_reads`] (default: the latest
/// **finalized** one). Submissions wait for the [`Inclusion`] set with
/// [`Chain::with_inclusion`] (default: finalized), at most [`Chain::with_timeout`]
/// (default: [`DEFAULT_INCLUSION_TIMEOUT`]).
#[derive(Clone, Debug)]
pub struct Chain {
	client: OnlineClient<DinConfig>,
	rpc: LegacyRpcMethods<RpcConfigFor<DinConfig>>,
	/// For the node methods `rpc` has no wrapper for (`author_rotateKeysWithOwner`).
	raw_rpc: RpcClient,
	inclusion: Inclusion,
	reads: ReadAt,
	timeout: Duration,
}

impl Chain {
	/// Connects to the node's JSON-RPC WebSocket at `url` (`ws://127.0.0.1:9944`).
	pub async fn connect(url: &str) -> Result<Chain, Error> {
		let connect_error = |reason: String| Error::Connect { url: url.to_string(), reason };
		let ws = WsClient::connect(url).await.map_err(|e| connect_error(e.to_string()))?;
		let rpc = RpcClient::new(ws);
		let backend = LegacyBackend::<DinConfig>::builder().build(rpc.clone());
		let config = subxt::PolkadotConfig::builder().use_historic_types(false).build();
		let client = OnlineClient::from_backend_with_config(config, Arc::new(backend))
			.await
			.map_err(|e| connect_error(e.to_string()))?;
		Ok(Chain {
			client,
			rpc: LegacyRpcMethods::new(rpc.clone()),
			raw_rpc: rpc,
			inclusion: Inclusion::default(),
			reads: ReadAt::default(),
			timeout: DEFAULT_INCLUSION_TIMEOUT,
		})
	}

	/// Answers reads at `reads`.
	pub fn with_reads(mut self, reads: ReadAt) -> Chain {
		self.reads = reads;
		self
	}

	/// Waits for `inclusion` when submitting.
	pub fn with_inclusion(mut self, inclusion: Inclusion) -> Chain {
		self.inclusion = inclusion;
		self
	}

	/// Waits at most `timeout` for a submitted transaction's inclusion.
	pub fn with_timeout(mut self, timeout: Duration) -> Chain {
		self.timeout = timeout;
		self
	}

	/// The underlying subxt client, for anything this wrapper does not cover.
	pub fn client(&self) -> &OnlineClient<DinConfig> {
		&self.client
	}

	// ----- submitting -----

	/// Signs `call` with `signer`, submits it and waits for its inclusion; returns its events,
	/// or the pallet error it failed with ([`Error::Pallet`]).
	///
	/// The nonce is the node's `system_accountNextIndex`, which counts transactions still in
	/// the pool, so one signer may submit several calls back to back. That count can lag
	/// the pool (concurrent submissions, a re-org): when the pool refuses the transaction
	/// because its nonce is taken, the call is signed again with a fresh nonce a block
	/// later, up to five attempts in all; the refused transaction never entered the
	/// pool, so the call cannot be applied twice.
	pub async fn submit<Call: Payload>(
		&self,
		call: &Call,
		signer: &Signer,
	) -> Result<Included, Error> {
		let mut attempt = 1;
		let pending = loop {
			let tx = self.sign(call, signer).await?;
			match self.send(&tx).await {
				Ok(pending) => break pending,
				Err(e) if attempt < NONCE_ATTEMPTS && error::nonce_taken(&e) => {
					tracing::debug!(
						target: "din",
						"the nonce of {} was taken (attempt {attempt}): {e}; signing again",
						signer.account_id()
					);
					attempt += 1;
					tokio::time::sleep(NONCE_RETRY_DELAY).await;
				},
				Err(e) => return Err(error::submission(e)),
			}
		};
		self.outcome(pending).await
	}

	/// Signs `call` with `signer` at the node's next nonce for it, without submitting it.
	pub async fn sign<Call: Payload>(
		&self,
		call: &Call,
		signer: &Signer,
	) -> Result<SignedTransaction, Error> {
		let nonce = self
			.rpc
			.system_account_next_index(&signer.account_id())
			.await
			.map_err(error::subxt)?;
		self.sign_with_nonce(call, signer, nonce).await
	}

	/// Signs `call` with `signer` at `nonce`, without submitting it: for callers that keep
	/// their own count of a signer's transactions (a load generator, offline signing).
	pub async fn sign_with_nonce<Call: Payload>(
		&self,
		call: &Call,
		signer: &Signer,
		nonce: u64,
	) -> Result<SignedTransaction, Error> {
		let at = self.client.at_current_block().await.map_err(error::subxt)?;
		let params = PolkadotExtrinsicParamsBuilder::<DinConfig>::new().nonce(nonce).build();
		at.transactions()
			.create_signed(call, signer, params)
			.await
			.map_err(error::submission)
	}

	/// Submits a signed transaction and waits for its inclusion and outcome, as
	/// [`Chain::submit`] does but without signing again: the transaction is applied at most
	/// once whatever the pool answers. A transaction the pool already holds (`Transaction
	/// Already Imported`, which the fork-aware pool can answer to the only submission of a
	/// transaction) is looked for in the blocks.
	pub async fn submit_signed(&self, tx: &SignedTransaction) -> Result<Included, Error> {
		let pending = self.send(tx).await.map_err(error::submission)?;
		self.outcome(pending).await
	}

	/// Hands a signed transaction to the node's pool and returns its hash without waiting
	/// for its inclusion (a load generator follows the blocks itself). A pool that already
	/// holds it (`Transaction Already Imported`, see [`Chain::submit_signed`]) counts as
	/// handed over.
	pub async fn send_signed(&self, tx: &SignedTransaction) -> Result<H256, Error> {
		self.send(tx)
			.await
			.map(|pending| pending.extrinsic_hash())
			.map_err(error::submission)
	}

	/// Signs `calls` with consecutive nonces, submits them all, then waits for each to be
	/// included: they land in a block or two, where one [`Chain::submit`] after another
	/// takes a block each. One result per call, in order; `Err` only if a call could not
	/// be submitted (those before it were).
	pub async fn submit_all<Call: Payload>(
		&self,
		calls: &[Call],
		signer: &Signer,
	) -> Result<Vec<Result<Included, Error>>, Error> {
		let first = self
			.rpc
			.system_account_next_index(&signer.account_id())
			.await
			.map_err(error::subxt)?;
		let mut submitted = Vec::with_capacity(calls.len());
		for (nonce, call) in (first..).zip(calls) {
			let tx = self.sign_with_nonce(call, signer, nonce).await?;
			let pending = self.send(&tx).await.map_err(error::submission)?;
			submitted.push(self.outcome(pending));
		}
		Ok(futures::future::join_all(submitted).await)
	}

	/// Hands `tx` to the node's pool.
	async fn send(&self, tx: &SignedTransaction) -> Result<Pending, subxt::error::ExtrinsicError> {
		match tx.submit_and_watch().await {
			Ok(progress) => Ok(Pending::Watched(progress)),
			Err(e) if error::already_imported(&e) => {
				tracing::debug!(
					target: "din",
					"the pool holds transaction {:?} but will not watch it; looking for it in the blocks",
					tx.hash()
				);
				Ok(Pending::InPool(tx.hash()))
			},
			Err(e) => Err(e),
		}
	}

	/// Waits (within the connection's timeout) for a submitted transaction to be included
	/// as the connection asks, and for its outcome.
	async fn outcome(&self, pending: Pending) -> Result<Included, Error> {
		let extrinsic_hash = pending.extrinsic_hash();
		let timeout = || Error::Timeout {
			what: format!("transaction {extrinsic_hash:?} to be {:?}", self.inclusion),
			after: self.timeout,
		};
		match pending {
			Pending::Watched(progress) => {
				let in_block =
					tokio::time::timeout(self.timeout, wait_for(progress, self.inclusion))
						.await
						.map_err(|_| timeout())??;
				let events = in_block.wait_for_success().await.map_err(error::dispatch)?;
				Ok(Included { block_hash: in_block.block_hash(), extrinsic_hash, events })
			},
			Pending::InPool(_) => {
				tokio::time::timeout(self.timeout, self.find_in_blocks(extrinsic_hash))
					.await
					.map_err(|_| timeout())?
			},
		}
	}

	/// The inclusion of the transaction `extrinsic_hash` in the blocks to come (best or
	/// finalized, as the connection asks), from the events of the block that holds it.
	async fn find_in_blocks(&self, extrinsic_hash: H256) -> Result<Included, Error> {
		let mut blocks = match self.inclusion {
			Inclusion::InBestBlock => self.client.stream_best_blocks().await,
			Inclusion::Finalized => self.client.stream_blocks().await,
		}
		.map_err(error::subxt)?;
		while let Some(block) = blocks.next().await {
			let block = block.map_err(error::subxt)?;
			let at = block.at().await.map_err(error::subxt)?;
			let extrinsics = at.extrinsics().fetch().await.map_err(error::subxt)?;
			for extrinsic in extrinsics.iter() {
				let extrinsic = extrinsic.map_err(error::subxt)?;
				if extrinsic.hash() != extrinsic_hash {
					continue;
				}
				let events = extrinsic.events().await.map_err(error::subxt)?;
				error::failure(&events, at.metadata()).map_or(Ok(()), Err)?;
				return Ok(Included { block_hash: block.hash(), extrinsic_hash, events });
			}
		}
		Err(Error::Rejected(
			"the node ended the block stream before the transaction's inclusion".into(),
		))
	}

	// ----- Staking -----

	/// `Staking::bond`: hold `amount` more for `role` (the first bond must reach the role's
	/// minimum).
	pub async fn bond(&self, signer: &Signer, role: Role, amount: u128) -> Result<Included, Error> {
		self.submit(&din::tx().staking().bond(role, amount), signer).await
	}

	/// `Staking::unbond`: start unbonding `amount` of `role`'s active bond.
	pub async fn unbond(
		&self,
		signer: &Signer,
		role: Role,
		amount: u128,
	) -> Result<Included, Error> {
		self.submit(&din::tx().staking().unbond(role, amount), signer).await
	}

	/// `Staking::withdraw_unbonded`: release every matured unbonding chunk of `role`.
	pub async fn withdraw_unbonded(&self, signer: &Signer, role: Role) -> Result<Included, Error> {
		self.submit(&din::tx().staking().withdraw_unbonded(role), signer).await
	}

	/// `Staking::set_store_peer`: record `address` (a binary multiaddr ending in
	/// `/p2p/<peer id>`) as where the signer's artifact-store peer listens, so evaluators
	/// dial it first for the signer's updates; `None` removes the record. Needs a bond.
	pub async fn set_store_peer(
		&self,
		signer: &Signer,
		address: Option<&[u8]>,
	) -> Result<Included, Error> {
		let address = address
			.map(|bytes| bounded("store peer record", bytes.to_vec(), MAX_STORE_PEER_LEN))
			.transpose()?;
		self.submit(&din::tx().staking().set_store_peer(address), signer).await
	}

	// ----- Tasks -----

	/// `Tasks::create_task`: create a task from `spec`, holding its reward pool from the
	/// signer. The new id is in the `TaskCreated` event.
	pub async fn create_task(&self, signer: &Signer, spec: TaskSpec) -> Result<Included, Error> {
		self.submit(&din::tx().tasks().create_task(spec), signer).await
	}

	/// The SCALE encoding of `spec`, as the runtime decodes it: what a contract passes to the
	/// DIN precompile's `createTask(bytes)`. Encoded against the node's metadata (the call's
	/// encoding without its two index bytes), so it cannot drift from the runtime's type.
	pub async fn encode_task_spec(&self, spec: TaskSpec) -> Result<Vec<u8>, Error> {
		let at = self.client.at_current_block().await.map_err(error::subxt)?;
		let call = at
			.transactions()
			.call_data(&din::tx().tasks().create_task(spec))
			.map_err(error::subxt)?;
		// pallet index, call index, then the call's only argument.
		Ok(call[2..].to_vec())
	}

	/// `Tasks::extend_task`: add `rounds` rounds to `task` and `top_up` to its pool (owner).
	pub async fn extend_task(
		&self,
		signer: &Signer,
		task: TaskId,
		rounds: RoundIndex,
		top_up: u128,
	) -> Result<Included, Error> {
		self.submit(&din::tx().tasks().extend_task(task, rounds, top_up), signer).await
	}

	/// `Tasks::end_training`: end `task`'s training after its current round (owner).
	pub async fn end_training(&self, signer: &Signer, task: TaskId) -> Result<Included, Error> {
		self.submit(&din::tx().tasks().end_training(task), signer).await
	}

	/// `Tasks::join_task`: join `task` (locks its participant bond).
	pub async fn join_task(&self, signer: &Signer, task: TaskId) -> Result<Included, Error> {
		self.submit(&din::tx().tasks().join_task(task), signer).await
	}

	/// `Tasks::leave_task`: leave `task` before its first round starts.
	pub async fn leave_task(&self, signer: &Signer, task: TaskId) -> Result<Included, Error> {
		self.submit(&din::tx().tasks().leave_task(task), signer).await
	}

	/// `Tasks::submit_update`: the signer's update for `round` of `task`.
	pub async fn submit_update(
		&self,
		signer: &Signer,
		task: TaskId,
		round: RoundIndex,
		cid: &[u8],
		commitment: H256,
		num_samples: u64,
	) -> Result<Included, Error> {
		let cid = cid_arg(cid)?;
		self.submit(
			&din::tx().tasks().submit_update(task, round, cid, commitment, num_samples),
			signer,
		)
		.await
	}

	/// `Tasks::submit_stale_update`: the signer's update for `round` of the asynchronous
	/// `task`, trained from the model of the earlier round `trained_from`.
	#[allow(clippy::too_many_arguments)]
	pub async fn submit_stale_update(
		&self,
		signer: &Signer,
		task: TaskId,
		round: RoundIndex,
		trained_from: RoundIndex,
		cid: &[u8],
		commitment: H256,
		num_samples: u64,
	) -> Result<Included, Error> {
		let cid = cid_arg(cid)?;
		let call = din::tx().tasks().submit_stale_update(
			task,
			round,
			trained_from,
			cid,
			commitment,
			num_samples,
		);
		self.submit(&call, signer).await
	}

	/// `Tasks::register_share_key`: the X25519 key the signer's shares in the
	/// secure-aggregation `task` are sealed to.
	pub async fn register_share_key(
		&self,
		signer: &Signer,
		task: TaskId,
		key: [u8; 32],
	) -> Result<Included, Error> {
		self.submit(&din::tx().tasks().register_share_key(task, key), signer).await
	}

	/// `Tasks::advertise_round_key`: the signer's round key, self-seed commitment and shares
	/// sealed for every other eligible member of its subgroup (in member order).
	pub async fn advertise_round_key(
		&self,
		signer: &Signer,
		task: TaskId,
		round: RoundIndex,
		public: [u8; 32],
		self_seed_commitment: [u8; 32],
		sealed: Vec<[u8; din_primitives::SEALED_SHARES_LEN]>,
	) -> Result<Included, Error> {
		let call = din::tx().tasks().advertise_round_key(
			task,
			round,
			public,
			self_seed_commitment,
			crate::types::BoundedVec(sealed),
		);
		self.submit(&call, signer).await
	}

	/// `Tasks::hand_over_shares`: the signer's shares `(owner, share)`, ascending by owner.
	pub async fn hand_over_shares(
		&self,
		signer: &Signer,
		task: TaskId,
		round: RoundIndex,
		shares: Vec<(u32, [u8; 32])>,
	) -> Result<Included, Error> {
		let shares = shares
			.into_iter()
			.map(|(owner, share)| crate::types::HandedShare { owner, share })
			.collect();
		let call =
			din::tx()
				.tasks()
				.hand_over_shares(task, round, crate::types::BoundedVec(shares));
		self.submit(&call, signer).await
	}

	/// `Tasks::ShareKeys`: the share key `who` registered for `task`, and its block.
	pub async fn share_key(
		&self,
		task: TaskId,
		who: &AccountId32,
	) -> Result<Option<([u8; 32], u32)>, Error> {
		self.read_optional(din::storage().tasks().share_keys(), (task, who.clone()))
			.await
	}

	/// `DinApi::secure_round`: `subgroup` of `round`, the current round of the
	/// secure-aggregation `task`.
	pub async fn secure_round(
		&self,
		task: TaskId,
		round: RoundIndex,
		subgroup: SubgroupIndex,
	) -> Result<Option<crate::types::SecureRoundView>, Error> {
		let at = self.at().await?;
		let call = din::runtime_apis().din_api().secure_round(task, round, subgroup);
		at.runtime_apis().call(call).await.map_err(error::subxt)
	}

	// ----- Evaluation -----

	/// `Evaluation::register_evaluator`: enter the evaluator pool.
	pub async fn register_evaluator(&self, signer: &Signer) -> Result<Included, Error> {
		self.submit(&din::tx().evaluation().register_evaluator(), signer).await
	}

	/// `Evaluation::deregister_evaluator`: ask to leave the evaluator pool (it takes effect
	/// once no draw with randomness already known can include the signer).
	pub async fn deregister_evaluator(&self, signer: &Signer) -> Result<Included, Error> {
		self.submit(&din::tx().evaluation().deregister_evaluator(), signer).await
	}

	/// `Evaluation::commit_aggregate`: `hash` is
	/// `din_primitives::aggregate_commit_hash(task, round, subgroup, signer, cid, commitment,
	/// invalid, salt)`.
	pub async fn commit_aggregate(
		&self,
		signer: &Signer,
		task: TaskId,
		round: RoundIndex,
		subgroup: SubgroupIndex,
		hash: H256,
	) -> Result<Included, Error> {
		self.submit(&din::tx().evaluation().commit_aggregate(task, round, subgroup, hash), signer)
			.await
	}

	/// `Evaluation::commit_aggregate` for each `(subgroup, hash)` of `commits`, submitted
	/// together ([`Chain::submit_all`]), so that a member of several panels is not a block
	/// per panel late. One result per commit, in order.
	pub async fn commit_aggregates(
		&self,
		signer: &Signer,
		task: TaskId,
		round: RoundIndex,
		commits: Vec<(SubgroupIndex, H256)>,
	) -> Result<Vec<Result<Included, Error>>, Error> {
		let calls: Vec<_> = commits
			.into_iter()
			.map(|(subgroup, hash)| {
				din::tx().evaluation().commit_aggregate(task, round, subgroup, hash)
			})
			.collect();
		self.submit_all(&calls, signer).await
	}

	/// `Evaluation::reveal_aggregate` for each of `reveals`, submitted together
	/// ([`Chain::submit_all`]): open the committed aggregates of several panels in one
	/// block, not one block each. Each `invalid` set must be strictly ascending (the chain
	/// checks; see `Evaluation::InvalidSetNotSorted`). One result per reveal, in order.
	pub async fn reveal_aggregates(
		&self,
		signer: &Signer,
		task: TaskId,
		round: RoundIndex,
		reveals: Vec<AggregateOpening>,
	) -> Result<Vec<Result<Included, Error>>, Error> {
		let max = self.constant(din::constants().evaluation().max_subgroup_size()).await?;
		let mut calls = Vec::with_capacity(reveals.len());
		for AggregateOpening { subgroup, cid, commitment, invalid, salt, previous_global } in
			reveals
		{
			let cid = cid_arg(&cid)?;
			let invalid = bounded("invalid set", invalid, max as usize)?;
			let previous_global = match previous_global {
				Some((cid, commitment)) => Some(GlobalModelRef { cid: cid_arg(&cid)?, commitment }),
				None => None,
			};
			calls.push(din::tx().evaluation().reveal_aggregate(
				task,
				round,
				subgroup,
				cid,
				commitment,
				invalid,
				salt,
				previous_global,
			));
		}
		self.submit_all(&calls, signer).await
	}

	/// `Evaluation::commit_global`: `hash` is `din_primitives::global_commit_hash(task,
	/// round, signer, cid, commitment, salt)`.
	pub async fn commit_global(
		&self,
		signer: &Signer,
		task: TaskId,
		round: RoundIndex,
		hash: H256,
	) -> Result<Included, Error> {
		self.submit(&din::tx().evaluation().commit_global(task, round, hash), signer)
			.await
	}

	/// `Evaluation::reveal_global`: open the committed global model.
	pub async fn reveal_global(
		&self,
		signer: &Signer,
		task: TaskId,
		round: RoundIndex,
		cid: &[u8],
		commitment: H256,
		salt: [u8; 32],
	) -> Result<Included, Error> {
		let cid = cid_arg(cid)?;
		self.submit(
			&din::tx().evaluation().reveal_global(task, round, cid, commitment, salt),
			signer,
		)
		.await
	}

	/// `Evaluation::register_verifying_key`: a compressed Groth16 verifying key, stored under
	/// its blake2-256 hash.
	pub async fn register_verifying_key(
		&self,
		signer: &Signer,
		vk: Vec<u8>,
	) -> Result<Included, Error> {
		let max = self.constant(din::constants().evaluation().max_verifying_key_len()).await?;
		let vk = bounded("verifying key", vk, max as usize)?;
		self.submit(&din::tx().evaluation().register_verifying_key(vk), signer).await
	}

	/// `Evaluation::unregister_verifying_key`: the registrant removes a verifying key no live
	/// task names and gets its deposit back.
	pub async fn unregister_verifying_key(
		&self,
		signer: &Signer,
		hash: H256,
	) -> Result<Included, Error> {
		self.submit(&din::tx().evaluation().unregister_verifying_key(hash), signer)
			.await
	}

	/// `Evaluation::release_test_key`: the owner releases the test-set key of `task`.
	pub async fn release_test_key(
		&self,
		signer: &Signer,
		task: TaskId,
		key: Vec<u8>,
	) -> Result<Included, Error> {
		let max = self.constant(din::constants().evaluation().max_test_key_len()).await?;
		let key = bounded("test-set key", key, max as usize)?;
		self.submit(&din::tx().evaluation().release_test_key(task, key), signer).await
	}

	/// `Evaluation::dispute_test_set`: a last-round evaluator declares that the released key
	/// of `task` opens no test set matching its commitment.
	pub async fn dispute_test_set(&self, signer: &Signer, task: TaskId) -> Result<Included, Error> {
		self.submit(&din::tx().evaluation().dispute_test_set(task), signer).await
	}

	/// `Evaluation::submit_score`: settle `target`'s score with a Groth16 proof.
	pub async fn submit_score(
		&self,
		signer: &Signer,
		task: TaskId,
		target: ScoreTarget,
		correct: u32,
		total: u32,
		proof: Vec<u8>,
	) -> Result<Included, Error> {
		let proof = bounded("proof", proof, MAX_PROOF_LEN)?;
		self.submit(
			&din::tx().evaluation().submit_score(task, target, correct, total, proof),
			signer,
		)
		.await
	}

	/// `Evaluation::commit_score` for each `(target, hash)`, all at once
	/// ([`Chain::submit_all`]): commit to each target's accuracy under the median rule;
	/// `hash` is [`score_commit_hash`] of the signer's count and salt.
	pub async fn commit_scores(
		&self,
		signer: &Signer,
		task: TaskId,
		commits: Vec<(ScoreTarget, H256)>,
	) -> Result<Vec<Result<Included, Error>>, Error> {
		let calls: Vec<_> = commits
			.into_iter()
			.map(|(target, hash)| din::tx().evaluation().commit_score(task, target, hash))
			.collect();
		self.submit_all(&calls, signer).await
	}

	/// `Evaluation::reveal_score` for each `(target, correct, total, salt)`, all at once
	/// ([`Chain::submit_all`]): open the committed counts.
	pub async fn reveal_scores(
		&self,
		signer: &Signer,
		task: TaskId,
		reveals: Vec<(ScoreTarget, u32, u32, [u8; 32])>,
	) -> Result<Vec<Result<Included, Error>>, Error> {
		let calls: Vec<_> = reveals
			.into_iter()
			.map(|(target, correct, total, salt)| {
				din::tx().evaluation().reveal_score(task, target, correct, total, salt)
			})
			.collect();
		self.submit_all(&calls, signer).await
	}

	// ----- reads (at the latest finalized block) -----

	/// The number and hash of the latest finalized block.
	pub async fn finalized_head(&self) -> Result<(u64, H256), Error> {
		let at = self.client.at_current_block().await.map_err(error::subxt)?;
		Ok((at.block_number(), at.block_hash()))
	}

	/// The number and hash of the block reads are answered at now ([`Chain::with_reads`]).
	pub async fn head(&self) -> Result<(u64, H256), Error> {
		let at = self.at().await?;
		Ok((at.block_number(), at.block_hash()))
	}

	/// The client at the block reads are answered at.
	async fn at(
		&self,
	) -> Result<
		subxt::client::ClientAtBlock<DinConfig, subxt::client::OnlineClientAtBlockImpl<DinConfig>>,
		Error,
	> {
		match self.reads {
			ReadAt::Finalized => self.client.at_current_block().await.map_err(error::subxt),
			ReadAt::Best => {
				let hash = self
					.rpc
					.chain_get_block_hash(None)
					.await
					.map_err(error::subxt)?
					.ok_or_else(|| Error::Rejected("the node has no best block".into()))?;
				self.client.at_block(hash).await.map_err(error::subxt)
			},
		}
	}

	/// `Tasks::Tasks`: the task as stored (spec, phase, round, deadline, remaining pool).
	pub async fn task(&self, task: TaskId) -> Result<Option<TaskInfo>, Error> {
		self.read_optional(din::storage().tasks().tasks(), (task,)).await
	}

	/// `DinApi::task`: the runtime API's summary of a task (with the participant count).
	pub async fn task_view(&self, task: TaskId) -> Result<Option<TaskView>, Error> {
		let at = self.at().await?;
		at.runtime_apis()
			.call(din::runtime_apis().din_api().task(task))
			.await
			.map_err(error::subxt)
	}

	/// `Tasks::Participants`: who joined `task` and did not leave, in join order (a
	/// round's snapshot takes those that joined before its randomness could be known).
	pub async fn participants(&self, task: TaskId) -> Result<Vec<AccountId32>, Error> {
		let joined = self.read(din::storage().tasks().participants(), (task,)).await?.0;
		Ok(joined
			.into_iter()
			.filter(|participant| participant.left_at.is_none())
			.map(|participant| participant.who)
			.collect())
	}

	/// `DinApi::assignment`: `(round, subgroup)` of `who` in the current round of `task`.
	pub async fn assignment(
		&self,
		task: TaskId,
		who: &AccountId32,
	) -> Result<Option<(RoundIndex, SubgroupIndex)>, Error> {
		let at = self.at().await?;
		let call = din::runtime_apis().din_api().assignment(task, who.clone());
		at.runtime_apis().call(call).await.map_err(error::subxt)
	}

	/// `DinApi::subgroups`: the members of each subgroup of the current round of `task`.
	pub async fn subgroups(&self, task: TaskId) -> Result<Vec<Vec<AccountId32>>, Error> {
		let at = self.at().await?;
		at.runtime_apis()
			.call(din::runtime_apis().din_api().subgroups(task))
			.await
			.map_err(error::subxt)
	}

	/// `Evaluation::Panels`: the evaluators drawn for `subgroup` in `round` of `task`
	/// (empty if none were drawn, or the task is settled and pruned).
	pub async fn panel(
		&self,
		task: TaskId,
		round: RoundIndex,
		subgroup: SubgroupIndex,
	) -> Result<Vec<AccountId32>, Error> {
		Ok(self
			.read(din::storage().evaluation().panels(), (task, (round, subgroup)))
			.await?
			.0)
	}

	/// `Evaluation::CommitmentSamples`: the seed of `round`'s commitment sample, recorded
	/// when its Training ended (`None`: not yet, or no fresh randomness then, and every
	/// update's commitment is checked).
	pub async fn commitment_sample(
		&self,
		task: TaskId,
		round: RoundIndex,
	) -> Result<Option<[u8; 32]>, Error> {
		let recorded = self
			.read_optional(din::storage().evaluation().commitment_samples(), (task,))
			.await?;
		Ok(recorded.filter(|(r, _)| *r == round).map(|(_, seed)| seed))
	}

	/// `Evaluation::SubgroupResults`: how `subgroup` of `round` settled, once it has.
	pub async fn subgroup_result(
		&self,
		task: TaskId,
		round: RoundIndex,
		subgroup: SubgroupIndex,
	) -> Result<Option<SubgroupResult>, Error> {
		self.read_optional(
			din::storage().evaluation().subgroup_results(),
			(task, (round, subgroup)),
		)
		.await
	}

	/// `Evaluation::GlobalModels`: the global model `round` of `task` settled on (`None`:
	/// not settled yet, or disputed).
	pub async fn global_model(
		&self,
		task: TaskId,
		round: RoundIndex,
	) -> Result<Option<GlobalModelRef>, Error> {
		self.read_optional(din::storage().evaluation().global_models(), (task, round))
			.await
	}

	/// `Evaluation::ScoreSettlements`: whether the settlement of `task`'s scores has begun
	/// (Rewarding is over and held for its slices: no reveal, proof or dispute counts).
	pub async fn scores_settling(&self, task: TaskId) -> Result<bool, Error> {
		let stage = self
			.read_optional(din::storage().evaluation().score_settlements(), (task,))
			.await?;
		Ok(stage.is_some())
	}

	/// `Tasks::TaskDeposits`: the storage deposit held from `task`'s owner until the ended
	/// task's records are pruned (none for tasks created before deposits, or pruned ones).
	pub async fn task_deposit(&self, task: TaskId) -> Result<Option<u128>, Error> {
		self.read_optional(din::storage().tasks().task_deposits(), (task,)).await
	}

	/// `Rewards::Settlements`: how `task`'s pool was split, once it is settled.
	pub async fn settlement(&self, task: TaskId) -> Result<Option<Settlement<u128>>, Error> {
		self.read_optional(din::storage().rewards().settlements(), (task,)).await
	}

	/// A task spec's SCALE bytes (what `din task create --spec-only` prints and a contract
	/// passes to the precompile's `createTask`) decoded, with the storage deposit creating it
	/// holds: `TaskDepositBase + TaskDepositPerByte × bytes + TaskDepositPerRound × rounds`,
	/// pallet-din-tasks' formula on the runtime's constants. Fails on bytes that are no spec,
	/// or more than one.
	pub async fn spec_and_deposit(&self, bytes: &[u8]) -> Result<(TaskSpec, u128), Error> {
		use subxt::ext::scale_decode::DecodeAsType;
		let at = self.client.at_current_block().await.map_err(error::subxt)?;
		let metadata = at.metadata_ref();
		// The spec's type is `create_task`'s only argument in the node's metadata.
		let spec_type = metadata
			.pallet_by_name("Tasks")
			.and_then(|pallet| pallet.call_variant_by_name("create_task"))
			.and_then(|call| call.fields.first())
			.map(|field| field.ty.id)
			.ok_or_else(|| {
				Error::Rejected("the node's metadata has no Tasks::create_task".into())
			})?;
		let mut input = bytes;
		let spec = TaskSpec::decode_as_type(&mut input, spec_type, metadata.types())
			.map_err(|e| Error::Rejected(format!("not a task spec: {e}")))?;
		if !input.is_empty() {
			return Err(Error::Rejected(format!(
				"not a task spec: {} bytes after its end",
				input.len()
			)));
		}
		let tasks = din::constants().tasks();
		let base = self.constant(tasks.task_deposit_base()).await?;
		let per_byte = self.constant(tasks.task_deposit_per_byte()).await?;
		let per_round = self.constant(tasks.task_deposit_per_round()).await?;
		let deposit = base
			.saturating_add(per_byte.saturating_mul(bytes.len() as u128))
			.saturating_add(per_round.saturating_mul(u128::from(spec.rounds)));
		Ok((spec, deposit))
	}

	/// pallet-revive's `NativeToEthRatio`: wei per smallest native unit, what Ethereum tools
	/// (18 decimals) multiply a native amount by.
	pub async fn native_to_eth_ratio(&self) -> Result<u32, Error> {
		self.constant(din::constants().revive().native_to_eth_ratio()).await
	}

	/// `Tasks::NextTaskId`: the id the next task will get (tasks are `0..next_task_id`).
	pub async fn next_task_id(&self) -> Result<TaskId, Error> {
		self.read(din::storage().tasks().next_task_id(), ()).await
	}

	/// `Tasks::Updates`: the update `who` submitted in `round` of `task`.
	pub async fn update(
		&self,
		task: TaskId,
		round: RoundIndex,
		who: &AccountId32,
	) -> Result<Option<UpdateInfo>, Error> {
		self.read_optional(din::storage().tasks().updates(), ((task, round), who.clone()))
			.await
	}

	/// `Tasks::Updates`: every update submitted in `round` of `task`, by participant. Unlike
	/// [`Self::update`] per member of [`Self::participants`], it finds them once the task has
	/// ended too, when its participant list is released (until its records are pruned).
	pub async fn round_updates(
		&self,
		task: TaskId,
		round: RoundIndex,
	) -> Result<Vec<(AccountId32, UpdateInfo)>, Error> {
		let at = self.at().await?;
		let mut entries = at
			.storage()
			.iter(din::storage().tasks().updates(), ((task, round),))
			.await
			.map_err(error::subxt)?;
		let mut updates = Vec::new();
		while let Some(entry) = entries.next().await {
			let entry = entry.map_err(error::subxt)?;
			let (_, who) = entry.key().map_err(error::subxt)?.decode().map_err(error::subxt)?;
			updates.push((who, entry.value().decode().map_err(error::subxt)?));
		}
		Ok(updates)
	}

	/// `Evaluation::AggregateVotes`: `who`'s vote on `subgroup` of `round` (cleared once the
	/// subgroup is settled).
	pub async fn aggregate_vote(
		&self,
		task: TaskId,
		round: RoundIndex,
		subgroup: SubgroupIndex,
		who: &AccountId32,
	) -> Result<Option<Vote<AggregateReveal>>, Error> {
		self.read_optional(
			din::storage().evaluation().aggregate_votes(),
			((task, round, subgroup), who.clone()),
		)
		.await
	}

	/// The round whose global model the aggregate commits and reveals of `round` of `task`
	/// vote on (`Evaluation::PipelinedGlobal`): `round - 1`, unless `round` is the first or
	/// its previous round voted in GlobalCommit and GlobalReveal (the last round of a task
	/// extended since).
	pub async fn open_global_vote(
		&self,
		task: TaskId,
		round: RoundIndex,
	) -> Result<Option<RoundIndex>, Error> {
		let voted = self
			.read_optional(din::storage().evaluation().pipelined_global(), (task,))
			.await?;
		Ok(voted.filter(|voted: &RoundIndex| voted.saturating_add(1) == round))
	}

	/// `Evaluation::GlobalVotes`: `who`'s vote on the global model of `round` (cleared once
	/// the round is settled).
	pub async fn global_vote(
		&self,
		task: TaskId,
		round: RoundIndex,
		who: &AccountId32,
	) -> Result<Option<Vote<GlobalModelRef>>, Error> {
		self.read_optional(din::storage().evaluation().global_votes(), ((task, round), who.clone()))
			.await
	}

	/// `Evaluation::RoundEvaluators`: every evaluator of `round` with its seat count.
	pub async fn round_evaluators(
		&self,
		task: TaskId,
		round: RoundIndex,
	) -> Result<Vec<(AccountId32, u32)>, Error> {
		Ok(self
			.read(din::storage().evaluation().round_evaluators(), (task, round))
			.await?
			.0)
	}

	/// `Evaluation::ProvenScores`: the proven score of `target`, once settled (until the task
	/// is settled and pruned).
	pub async fn proven_score(
		&self,
		task: TaskId,
		target: ScoreTarget,
	) -> Result<Option<ProvenScore>, Error> {
		self.read_optional(din::storage().evaluation().proven_scores(), (task, target))
			.await
	}

	/// `Evaluation::Reports`: `who`'s score vote on `target` (median rule), if it committed.
	pub async fn score_vote(
		&self,
		task: TaskId,
		target: ScoreTarget,
		who: &AccountId32,
	) -> Result<Option<Vote<Perbill>>, Error> {
		let reports = self.read(din::storage().evaluation().reports(), (task, target)).await?.0;
		Ok(reports.into_iter().find(|(a, _)| a == who).map(|(_, vote)| vote))
	}

	/// `Evaluation::TestKeys`: the released test-set key of `task`.
	pub async fn test_key(&self, task: TaskId) -> Result<Option<Vec<u8>>, Error> {
		Ok(self
			.read_optional(din::storage().evaluation().test_keys(), (task,))
			.await?
			.map(|key| key.key.0))
	}

	/// `Evaluation::VerifyingKeys`: the compressed verifying key registered under `hash`.
	pub async fn verifying_key(&self, hash: H256) -> Result<Option<Vec<u8>>, Error> {
		Ok(self
			.read_optional(din::storage().evaluation().verifying_keys(), (hash,))
			.await?
			.map(|key| key.0))
	}

	/// `Evaluation::Pool`: the registered evaluators.
	pub async fn evaluator_pool(&self) -> Result<Vec<AccountId32>, Error> {
		let members = self.read(din::storage().evaluation().pool(), ()).await?.0;
		Ok(members.into_iter().map(|member| member.who).collect())
	}

	/// `Staking::Ledgers`: `who`'s bond for `role`, if any.
	pub async fn ledger(&self, who: &AccountId32, role: Role) -> Result<Option<Ledger>, Error> {
		self.read_optional(din::storage().staking().ledgers(), (who.clone(), role))
			.await
	}

	/// `Staking::StorePeers`: the store peer `who` recorded (a binary multiaddr, unparsed:
	/// the chain only bounds its length).
	pub async fn store_peer(&self, who: &AccountId32) -> Result<Option<Vec<u8>>, Error> {
		Ok(self
			.read_optional(din::storage().staking().store_peers(), (who.clone(),))
			.await?
			.map(|address| address.0))
	}

	/// `Staking::ReputationOf`: `who`'s soulbound reputation as `role`.
	pub async fn reputation(&self, who: &AccountId32, role: Role) -> Result<u32, Error> {
		self.read(din::storage().staking().reputation_of(), (who.clone(), role)).await
	}

	/// `System::Account`: `who`'s free and reserved (held) balance.
	pub async fn balance(&self, who: &AccountId32) -> Result<Balance, Error> {
		let account = self.read(din::storage().system().account(), (who.clone(),)).await?;
		Ok(Balance { free: account.data.free, reserved: account.data.reserved })
	}

	/// How amounts of `asset` are written: the native token's symbol and decimals, or the
	/// asset's from `Assets::Metadata` (its id as the symbol when it has none). An asset that
	/// does not exist is an [`Error::InvalidArgument`].
	pub async fn denomination(&self, asset: &RewardAsset) -> Result<Denomination, Error> {
		let id = match asset {
			RewardAsset::Native => return Ok(Denomination::native()),
			RewardAsset::Asset(id) => *id,
		};
		if self.read_optional(din::storage().assets().asset(), (id,)).await?.is_none() {
			return Err(Error::InvalidArgument(format!("asset {id} does not exist")));
		}
		let metadata = self.read(din::storage().assets().metadata(), (id,)).await?;
		let symbol = String::from_utf8_lossy(&metadata.symbol.0).into_owned();
		Ok(Denomination {
			asset: Some(id),
			symbol: if symbol.is_empty() { format!("asset#{id}") } else { symbol },
			decimals: metadata.decimals,
		})
	}

	/// `who`'s balance of the pallet-assets asset `id`: free, and on hold (reward pools).
	pub async fn asset_balance(&self, id: u32, who: &AccountId32) -> Result<Balance, Error> {
		let free = self
			.read_optional(din::storage().assets().account(), (id, who.clone()))
			.await?
			.map_or(0, |account| account.balance);
		let reserved = self
			.read_optional(din::storage().assets_holder().balances_on_hold(), (id, who.clone()))
			.await?
			.unwrap_or(0);
		Ok(Balance { free, reserved })
	}

	/// `who`'s balance in the asset a reward pool is paid in.
	pub async fn balance_in(
		&self,
		asset: &RewardAsset,
		who: &AccountId32,
	) -> Result<Balance, Error> {
		match asset {
			RewardAsset::Native => self.balance(who).await,
			RewardAsset::Asset(id) => self.asset_balance(*id, who).await,
		}
	}

	// ----- Balances -----

	/// `Balances::transfer_keep_alive`: send `amount` to `dest`.
	pub async fn transfer(
		&self,
		signer: &Signer,
		dest: &AccountId32,
		amount: u128,
	) -> Result<Included, Error> {
		let dest = subxt::utils::MultiAddress::Id(dest.clone());
		self.submit(&din::tx().balances().transfer_keep_alive(dest, amount), signer)
			.await
	}

	// ----- events -----

	/// The events of every finalized block from now on, in order. The stream ends when the
	/// connection does.
	pub async fn finalized_events(
		&self,
	) -> Result<BoxStream<'static, Result<BlockEvents, Error>>, Error> {
		let blocks = self.client.stream_blocks().await.map_err(error::subxt)?;
		let events = blocks.then(|block| async move {
			let block = block.map_err(error::subxt)?;
			let at = block.at().await.map_err(error::subxt)?;
			let events = at.events().fetch().await.map_err(error::subxt)?;
			Ok(BlockEvents { number: block.number(), hash: block.hash(), events })
		});
		Ok(events.boxed())
	}

	/// `Timestamp::Now` in block `hash`: the time its author set (Unix milliseconds), the
	/// chain's own clock for when the block's events happened.
	pub async fn block_timestamp(&self, hash: H256) -> Result<u64, Error> {
		let at = self.client.at_block(hash).await.map_err(error::subxt)?;
		let now = at
			.storage()
			.fetch(din::storage().timestamp().now(), ())
			.await
			.map_err(error::subxt)?;
		now.decode().map_err(error::subxt)
	}

	/// The events of finalized block `number`, or `None` when the node has no such block.
	/// Reads the block's state: a node that prunes state (the default keeps 256 blocks)
	/// answers only for recent blocks, an archive node for all.
	pub async fn events_at(&self, number: u64) -> Result<Option<BlockEvents>, Error> {
		let Some(hash) =
			self.rpc.chain_get_block_hash(Some(number.into())).await.map_err(error::subxt)?
		else {
			return Ok(None);
		};
		let at = self.client.at_block(hash).await.map_err(error::subxt)?;
		let events = at.events().fetch().await.map_err(error::subxt)?;
		Ok(Some(BlockEvents { number, hash, events }))
	}

	/// The events of every finalized block from `from` (default: the next one finalized),
	/// in order and without a gap for as long as the node can be reached: when the node ends
	/// the subscription (it drops slow subscribers under load) or a read fails, this
	/// subscribes again and first reads the blocks finalized meanwhile one at a time. A
	/// block whose state the node pruned (more than [`PRUNED_BEYOND`] blocks behind the
	/// head) is skipped. The stream ends with the error after [`RESUBSCRIBE_ATTEMPTS`]
	/// attempts in a row that delivered no block.
	pub fn follow_finalized(
		&self,
		from: Option<u64>,
	) -> BoxStream<'static, Result<BlockEvents, Error>> {
		let chain = self.clone();
		let (sender, receiver) = tokio::sync::mpsc::channel(16);
		tokio::spawn(async move {
			let mut next = from;
			let mut failed = 0;
			loop {
				let delivered_before = next;
				let error = match chain.follow_subscription(&mut next, &sender).await {
					Ok(()) => {
						Error::Rejected("the node ended the finalized-block subscription".into())
					},
					Err(error) => error,
				};
				if sender.is_closed() {
					return;
				}
				failed = if next == delivered_before { failed + 1 } else { 1 };
				if failed >= RESUBSCRIBE_ATTEMPTS {
					let _ = sender.send(Err(error)).await;
					return;
				}
				tracing::debug!(target: "din", "finalized blocks: {error}; subscribing again");
				tokio::time::sleep(RESUBSCRIBE_DELAY).await;
			}
		});
		futures::stream::unfold(receiver, |mut receiver| async move {
			receiver.recv().await.map(|block| (block, receiver))
		})
		.boxed()
	}

	/// One subscription of [`Chain::follow_finalized`]: sends the blocks from `next` on,
	/// advancing it; returns when the subscription ends, a read fails or nobody listens.
	async fn follow_subscription(
		&self,
		next: &mut Option<u64>,
		sender: &tokio::sync::mpsc::Sender<Result<BlockEvents, Error>>,
	) -> Result<(), Error> {
		let mut blocks = self.finalized_events().await?;
		while let Some(block) = blocks.next().await {
			let block = block?;
			for number in next.unwrap_or(block.number)..block.number {
				match self.events_at(number).await {
					Ok(Some(missed)) => {
						if sender.send(Ok(missed)).await.is_err() {
							return Ok(());
						}
					},
					Ok(None) => {},
					Err(error) if number + PRUNED_BEYOND < block.number => {
						tracing::warn!(target: "din", "#{number}: no events ({error}); its state is likely pruned");
					},
					Err(error) => return Err(error),
				}
				*next = Some(number + 1);
			}
			if next.is_none_or(|next| block.number >= next) {
				*next = Some(block.number + 1);
				if sender.send(Ok(block)).await.is_err() {
					return Ok(());
				}
			}
		}
		Ok(())
	}

	/// The value at `addr` / `key` in the block reads are answered at, if one is stored.
	async fn read_optional<Addr: subxt::storage::Address>(
		&self,
		addr: Addr,
		key: Addr::KeyParts,
	) -> Result<Option<Addr::Value>, Error> {
		let at = self.at().await?;
		let value = at.storage().try_fetch(addr, key).await.map_err(error::subxt)?;
		value.map(|v| v.decode()).transpose().map_err(error::subxt)
	}

	/// The value at `addr` / `key` in the block reads are answered at, or the entry's
	/// default.
	async fn read<Addr: subxt::storage::Address>(
		&self,
		addr: Addr,
		key: Addr::KeyParts,
	) -> Result<Addr::Value, Error> {
		let at = self.at().await?;
		let value = at.storage().fetch(addr, key).await.map_err(error::subxt)?;
		value.decode().map_err(error::subxt)
	}

	/// A runtime constant, from the metadata of the latest finalized block.
	async fn constant<Addr: subxt::constants::Address>(
		&self,
		addr: Addr,
	) -> Result<Addr::Target, Error> {
		let at = self.at().await?;
		at.constants().entry(addr).map_err(error::subxt)
	}
}

/// Waits until `progress` reports the transaction `inclusion`-included.
async fn wait_for(
	mut progress: TransactionProgress<DinConfig, subxt::client::OnlineClientAtBlockImpl<DinConfig>>,
	inclusion: Inclusion,
) -> Result<TransactionInBlock<DinConfig, subxt::client::OnlineClientAtBlockImpl<DinConfig>>, Error>
{
	while let Some(status) = progress.next().await {
		match status.map_err(error::subxt)? {
			TransactionStatus::InBestBlock(in_block) if inclusion == Inclusion::InBestBlock => {
				return Ok(in_block)
			},
			TransactionStatus::InFinalizedBlock(in_block) => return Ok(in_block),
			TransactionStatus::Error { message } => return Err(Error::Rejected(message)),
			TransactionStatus::Invalid { message } => {
				return Err(Error::Rejected(format!("invalid: {message}")))
			},
			TransactionStatus::Dropped { message } => {
				return Err(Error::Rejected(format!("dropped: {message}")))
			},
			_ => continue,
		}
	}
	Err(Error::Rejected("the node ended the transaction's status stream before inclusion".into()))
}

/// A CID argument, checked against its bound.
/// What a panel member reveals of the aggregate it committed to in one subgroup
/// ([`Chain::reveal_aggregates`]).
#[derive(Clone, Debug)]
pub struct AggregateOpening {
	pub subgroup: SubgroupIndex,
	/// The aggregate's CID, as committed.
	pub cid: Vec<u8>,
	pub commitment: H256,
	/// The updates it found invalid, strictly ascending.
	pub invalid: Vec<AccountId32>,
	pub salt: [u8; 32],
	/// The vote on the previous round's global model committed with the aggregate
	/// (`din_primitives::pipelined_commit_hash`): its `(cid, commitment)`, or `None` for
	/// "no accepted aggregate carries weight". `None` also where no such vote is open
	/// ([`Chain::open_global_vote`]).
	pub previous_global: Option<(Vec<u8>, H256)>,
}

fn cid_arg(cid: &[u8]) -> Result<BoundedVec<u8>, Error> {
	bounded("CID", cid.to_vec(), MAX_CID_LEN)
}

/// `items` as a bounded vector of at most `max` items, or [`Error::InvalidArgument`]: an
/// over-long vector would not decode on chain, and the node would only say that much.
fn bounded<T>(what: &str, items: Vec<T>, max: usize) -> Result<BoundedVec<T>, Error> {
	if items.len() > max {
		return Err(Error::InvalidArgument(format!(
			"{what} has {} items; at most {max} fit",
			items.len()
		)));
	}
	Ok(BoundedVec(items))
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn signers_come_from_secret_uris_and_bad_ones_are_errors() {
		let alice = Signer::from_uri("//Alice").expect("a dev URI");
		assert_eq!(
			alice.account_id().to_string(),
			"5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY"
		);
		assert_eq!(
			format!("{alice:?}"),
			"Signer(5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY)"
		);
		let phrase = "bottom drive obey lake curtain smoke basket hold race lonely fit walk//Alice";
		assert_eq!(
			Signer::from_uri(phrase).expect("mnemonic URI").account_id(),
			alice.account_id()
		);
		assert_eq!(
			Signer::from_uri("//Alice\n").expect("trimmed").account_id(),
			alice.account_id()
		);
		for bad in ["not a mnemonic at all", "0x1234", "bottom drive//Alice"] {
			let err = Signer::from_uri(bad).expect_err(bad);
			assert!(matches!(err, Error::InvalidSecretUri(_)), "{bad}: {err:?}");
		}
	}

	#[test]
	fn over_long_arguments_are_refused_before_sending() {
		assert!(cid_arg(&[7; MAX_CID_LEN]).is_ok());
		let err = cid_arg(&[7; MAX_CID_LEN + 1]).expect_err("one byte too many");
		assert_eq!(err.to_string(), "invalid argument: CID has 129 items; at most 128 fit");
	}

	#[tokio::test]
	async fn unreachable_or_malformed_urls_are_connect_errors() {
		let port = std::net::TcpListener::bind("127.0.0.1:0")
			.and_then(|l| l.local_addr())
			.expect("a port")
			.port();
		for url in
			[format!("ws://127.0.0.1:{port}"), "not a url".into(), "http://127.0.0.1:9".into()]
		{
			match Chain::connect(&url).await {
				Err(Error::Connect { url: u, .. }) => assert_eq!(u, url),
				other => panic!("{url}: {other:?}"),
			}
		}
	}
}
