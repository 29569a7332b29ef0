//! # Evaluator duties in the off-chain worker
//!
//! A validator can serve as an evaluator with nothing but `din-node`: with an sr25519 key
//! of type [`KEY_TYPE`] (`din!`) in its keystore whose account is bonded and in the pool,
//! this worker does on every imported block what the `din evaluator` daemon does for the
//! seats of that key:
//!
//! | phase | duty |
//! |---|---|
//! | Training, its last block | the AggregationCommit duty below, for a subgroup of at most `COMMITMENT_CHECKS` updates, every one of them fetched (its sample is every update, whatever the seed Training's end draws): the commit lands in the first block of AggregationCommit |
//! | AggregationCommit | fetch the subgroup's updates from a store gateway, check each (CID, schema, author, sample count; the on-chain commitment of the round's [`CommitmentSamples`] draw; failures → the invalid set), aggregate the valid ones with the task's rule; while the previous round's global model is voted on ([`Pallet::open_global_vote`]), combine that round's accepted aggregates into it (FedAvg, [`din_fl::duty::combine`]) and bind it to the commit ([`din_primitives::pipelined_commit_hash`]); `commit_aggregate` |
//! | AggregationReveal | `reveal_aggregate` what was committed (with the global vote); in the last round's last block, the GlobalCommit duty below from each panel's majority as the settlement will fix it (`strict_majority` of the reveals; a subgroup without updates settles empty) |
//! | GlobalCommit (last round) | fetch the accepted subgroup aggregates, FedAvg them, `commit_global` |
//! | GlobalReveal (last round) | `reveal_global` |
//! | Scoring | median-scored tasks, once the test-set key is out: open the sealed test set, check it against the task's commitment, count every accepted update of its panels (and the baseline and the trained-from global models its first panels fixed) right, `commit_score` each count |
//! | Rewarding | `reveal_score` what was committed |
//!
//! Every decision is `din_fl::duty`'s, the code the daemon calls too: which updates are
//! invalid and why ([`din_fl::duty::check_update`]), the subgroup's aggregate
//! ([`din_fl::duty::aggregate_subgroup`], on one thread), the global model
//! ([`din_fl::duty::combine`]). The commitments are `din-zk-verifier`'s
//! ([`Config::Verifier`], in din-runtime a host function that runs it natively). So a
//! worker's aggregate and invalid set equal a daemon's bit for bit, and this module only
//! fetches, keeps records and submits. Proving (`ZkAccuracy`) stays with the daemon: far
//! too heavy for wasm. The pallet cannot tell worker and daemon transactions apart and
//! does not try to.
//!
//! Several keys in one keystore share the work: a subgroup is fetched and aggregated, a
//! round's global model combined and a scored model counted once per run, whatever number
//! of local keys sit on the panel; each key still commits (under its own salt) and
//! reveals for itself.
//!
//! ## Store gateways
//!
//! Artifacts are fetched over HTTP (`GET {gateway}/artifact/{cid}`, the read-only gateway
//! of `din store serve --http`) from the gateways listed under [`GATEWAYS_KEY`] in the
//! node's persistent offchain storage (`din-node --din-store-gateway URL`, repeatable).
//! Bytes are accepted only if they hash to the CID asked for
//! (`din_fl::content::artifact_cid`), so a gateway is trusted for availability
//! only. An update is *unavailable*, which marks it invalid as the daemon does, only when
//! every configured gateway answered without it (404, or bytes that do not match); while
//! any gateway cannot be reached, times out or fails otherwise, that is this node's
//! problem, not the participant's: the duty is skipped with a log line and retried next
//! block until the phase ends. Participants publish their updates only once Training has
//! closed (so that nobody can re-sign one as their own), so a missing update is also waited
//! for, next block, through the first half of the commit phase
//! ([`din_fl::duty::waits_for_updates`]).
//!
//! What the worker commits to (a subgroup aggregate, a global model) it names by the CID
//! the store gives those bytes, computed locally, and withholds until the reveal phase:
//! published earlier, the bytes could be committed to by panel members that never
//! aggregated (any peer learns CIDs from provider records). Before revealing, it uploads
//! them (`POST {gateway}/artifact`) to the first gateway that takes uploads (`din store
//! serve --http-max-upload`), checking that the gateway stored them under that CID. The
//! upload is signed ([`din_primitives::upload`]) by the first local key in the evaluator
//! pool, which a gateway run with `--http-upload-signer pool` admits. If
//! every gateway answers but none takes uploads, the reveal still goes ahead and the
//! content is fetchable once a `din evaluator` daemon on the panel publishes the same
//! bytes, so a panel made only of workers needs an uploading gateway. A gateway that
//! cannot be reached holds the reveal until the next block, as for fetches.
//!
//! ## Restarts and repeats
//!
//! The chain is the record of what was done (a vote, a score commit); offchain local storage
//! (persistent, so it survives a restart) keeps what the chain cannot: the salt, CID,
//! commitment and invalid set behind a commit (the count behind a score commit), written
//! *before* the commit is sent, so a
//! restarted node reveals exactly what it committed and never commits a second value.
//! A record is created only where none exists ([`record_once`], compare-and-set), so of
//! two runs that overlap the second keeps the first's salt. A sent transaction is not
//! resent for [`RESEND_AFTER`] blocks (it is probably still in the pool). One run at a
//! time holds [`LOCK_KEY`], extended before each task, so a slow run and the run of the
//! next imported block do not duplicate work.
//!
//! ## Bounds
//!
//! Tasks whose model has more than [`Config::MaxOffchainModelValues`] values are left to
//! the daemon: a duty must finish well within a phase. Its cost is decoding and aggregating
//! the updates, and the Poseidon commitments of the sampled updates and of what it commits:
//! in pure wasm those took ten times the native client's time, so din-runtime computes them
//! through a host function, and a panel computes at most `din_fl::duty::COMMITMENT_CHECKS`
//! of its updates' (`offchain_aggregate_*` benchmarks, `scripts/bench/ocw-aggregate.sh`;
//! the runtime's bound says what that admits).
//! A run fetches at most [`Config::MaxOffchainFetchesPerBlock`] artifacts, each within
//! [`Config::OffchainFetchTimeoutMs`]; whatever is left is done in the next blocks. No
//! failure panics or emits an event: it is logged (target `runtime::din-evaluation`) and
//! retried.
//!
//! ## Metrics
//!
//! Each vote sent and each failed task run adds one to a count in persistent offchain
//! storage ([`count_duty`], keys under `din_primitives::OFFCHAIN_WORKER_DUTY_PREFIX`), which
//! din-node copies into `din_worker_duties_total{duty}` on its Prometheus endpoint.

use super::*;
use alloc::{
	collections::{BTreeMap, BTreeSet},
	string::String,
	sync::Arc,
	vec::Vec,
};
use din_fl::{
	content::artifact_cid,
	duty::{self, CommitmentSample, Rejection, Scored, SubgroupOutcome, Submitted},
	sealed_test_set,
	spec::ModelSpec,
	AggregationRule, PrivacyPolicy, Schema, Sequential, TestSet, Update,
};
use din_primitives::upload;
use polkadot_sdk::{
	frame_system::offchain::{AppCrypto, SendSignedTransaction, Signer},
	sp_core::crypto::KeyTypeId,
	sp_io::offchain::{random_seed, timestamp},
	sp_runtime::{
		offchain::{
			http,
			storage::{StorageRetrievalError, StorageValueRef},
			storage_lock::{BlockAndTime, StorageLock},
			Duration,
		},
		traits::{IdentifyAccount, UniqueSaturatedInto},
		RuntimeAppPublic,
	},
};

/// The keystore key type of evaluator keys: `din-node key insert --key-type din! …`.
pub const KEY_TYPE: KeyTypeId = KeyTypeId(*b"din!");

/// Persistent offchain storage key under which the node lists the store gateways: the
/// SCALE encoding of `Vec<Vec<u8>>`, each a base URL such as `http://127.0.0.1:8080`.
pub use din_primitives::OFFCHAIN_STORE_GATEWAYS_KEY as GATEWAYS_KEY;

/// Persistent offchain storage key of the lock one worker run holds.
pub const LOCK_KEY: &[u8] = b"din::evaluation::ocw-lock";

/// Blocks after which a sent transaction that has not reached the chain is sent again.
pub const RESEND_AFTER: u32 = 5;

/// Largest sealed test set the worker downloads, in bytes.
pub const MAX_TEST_SET_BYTES: usize = 8 << 20;

/// Evaluator keys: sr25519 under [`KEY_TYPE`].
pub mod crypto {
	use super::KEY_TYPE;
	use polkadot_sdk::{
		frame_system::offchain::AppCrypto,
		sp_core::sr25519,
		sp_runtime::{app_crypto::app_crypto, MultiSignature, MultiSigner},
	};
	app_crypto!(sr25519, KEY_TYPE);

	/// The off-chain worker's signing identity in a runtime with `MultiSigner` accounts.
	pub struct EvaluatorAuthId;

	impl AppCrypto<MultiSigner, MultiSignature> for EvaluatorAuthId {
		type RuntimeAppPublic = Public;
		type GenericSignature = sr25519::Signature;
		type GenericPublic = sr25519::Public;
	}
}

/// A value committed to and what its reveal needs, kept in persistent offchain storage.
#[derive(Encode, Decode, Clone, PartialEq, Eq, Debug)]
pub struct CommittedValue<AccountId, BlockNumber> {
	/// The artifact's CID (string form, as the chain stores it).
	pub cid: Vec<u8>,
	/// Poseidon commitment to its values.
	pub commitment: Commitment,
	/// Participants found invalid, ascending (aggregates only).
	pub invalid: Vec<AccountId>,
	/// The commit's salt.
	pub salt: [u8; 32],
	/// When the commit was last sent.
	pub committed_at: BlockNumber,
	/// When the reveal was last sent.
	pub revealed_at: Option<BlockNumber>,
	/// An aggregate's vote on the previous round's global model, committed with it while
	/// that vote is open (`Some`): the model's `(cid, commitment)`, or `None` when no
	/// accepted aggregate carries weight.
	pub previous_global: Option<Option<(Vec<u8>, Commitment)>>,
}

type CommittedOf<T> = CommittedValue<<T as frame_system::Config>::AccountId, BlockNumberFor<T>>;

/// A score committed to and what its reveal needs, kept in persistent offchain storage.
#[derive(Encode, Decode, Clone, PartialEq, Eq, Debug)]
pub struct CommittedScore<BlockNumber> {
	/// Test samples the model classified right.
	pub correct: u32,
	/// Test samples.
	pub total: u32,
	/// The commit's salt.
	pub salt: [u8; 32],
	/// When the commit was last sent.
	pub committed_at: BlockNumber,
	/// When the reveal was last sent.
	pub revealed_at: Option<BlockNumber>,
}

type ScoreOf<T> = CommittedScore<BlockNumberFor<T>>;

/// Why a duty was not done this run. Logged; the duty is retried next block.
#[derive(Debug)]
pub enum DutyError {
	/// A store gateway could not be asked (unreachable, timed out or failed), so what it
	/// holds is unknown.
	GatewayUnreachable,
	/// This run's fetch budget is spent.
	FetchBudgetSpent,
	/// An artifact the duty cannot do without is unavailable.
	Unavailable(&'static str),
	/// An artifact the duty cannot do without is not what the chain names (an accepted
	/// aggregate, the current global model, a scored model).
	Rejected { artifact: &'static str, why: Rejection },
	/// The task's model is not a valid `ModelSpec`.
	MalformedModel,
	/// The model is larger than `MaxOffchainModelValues`: left to the daemon.
	ModelTooLarge { values: u32, max: u32 },
	/// Aggregation failed.
	Aggregation(din_fl::AggregateError),
	/// Encoding the result failed.
	Encoding(din_fl::EncodingError),
	/// The released key does not open the committed test set.
	TestSetMismatch,
	/// The reference evaluator refused the model or test set.
	Reference(din_fl::ReferenceError),
	/// A committed vote on chain has no local record (the offchain database was lost).
	NoLocalRecord,
	/// The transaction could not be signed or submitted.
	SubmissionFailed,
}

/// What one gateway round trip gave.
enum Fetched {
	/// Bytes that hash to the CID.
	Bytes(Vec<u8>),
	/// Every gateway answered, none had matching bytes.
	Unavailable,
}

/// One worker run: the block, the gateways, the local keys and the fetch budget.
pub struct Worker<T: Config> {
	now: BlockNumberFor<T>,
	gateways: Vec<Vec<u8>>,
	keys: Vec<(T::Public, T::AccountId)>,
	fetch_budget: u32,
	/// The global models combined in this run, by `(task, round)` (`None`: no accepted
	/// aggregate carries weight): a pipelined round's base serves every subgroup's checks.
	combined: BTreeMap<(TaskId, RoundIndex), Option<Update>>,
	/// The fixed models stale updates trained from, fetched in this run, by `(task, round
	/// the model was the start of)`: several stale updates share one.
	stale_bases: BTreeMap<(TaskId, RoundIndex), Arc<Update>>,
	/// The models rounds train from ([`Worker::current_model`]), by `(task, round)`: every
	/// stale update of a round is rebased onto the same one.
	round_models: BTreeMap<(TaskId, RoundIndex), Arc<Update>>,
}

/// The store gateways the node configured.
pub fn gateways() -> Vec<Vec<u8>> {
	StorageValueRef::persistent(GATEWAYS_KEY)
		.get::<Vec<Vec<u8>>>()
		.ok()
		.flatten()
		.unwrap_or_default()
}

impl<T: Config> Pallet<T> {
	/// The off-chain worker's entry point (see the [module docs](self)).
	pub fn offchain_evaluator_duties(now: BlockNumberFor<T>) {
		let gateways = gateways();
		let keys = local_keys::<T>();
		if keys.is_empty() {
			return;
		}
		if gateways.is_empty() {
			log::warn!(target: LOG_TARGET, "evaluator keys in the keystore but no store gateway (--din-store-gateway): no evaluator duties done");
			return;
		}
		let mut lock =
			StorageLock::<BlockAndTime<frame_system::Pallet<T>>>::with_block_and_time_deadline(
				LOCK_KEY,
				RESEND_AFTER,
				Duration::from_millis(120_000),
			);
		let Ok(mut guard) = lock.try_lock() else {
			log::debug!(target: LOG_TARGET, "#{now:?}: the previous worker run is still going");
			return;
		};
		let mut worker = Worker::<T> {
			now,
			gateways,
			keys,
			fetch_budget: T::MaxOffchainFetchesPerBlock::get(),
			combined: BTreeMap::new(),
			stale_bases: BTreeMap::new(),
			round_models: BTreeMap::new(),
		};
		for task in worker.tasks() {
			// Held for exactly this run: a run longer than the lock's deadline would
			// otherwise overlap the next one.
			if guard.extend_lock().is_err() {
				log::info!(target: LOG_TARGET, "#{now:?}: the worker lock was taken over; this run stops");
				return;
			}
			if let Err(error) = worker.serve(task) {
				count_duty("failed");
				log::info!(target: LOG_TARGET, "#{now:?}: task {task}: {error:?} (retrying next block)");
				if matches!(error, DutyError::FetchBudgetSpent) {
					break;
				}
			}
		}
	}
}

/// The outcome of a duty done in the last block of the phase before its own: what is not
/// ready yet (an update not published, a sample not drawn) is done in its phase as usual, so
/// it is no failure; only a spent fetch budget still ends the run.
fn ahead(task: TaskId, result: Result<(), DutyError>) -> Result<(), DutyError> {
	match result {
		Err(DutyError::FetchBudgetSpent) => Err(DutyError::FetchBudgetSpent),
		Err(error) => {
			log::debug!(target: LOG_TARGET, "task {task}: not done ahead of its phase: {error:?}");
			Ok(())
		},
		ok => ok,
	}
}

/// The evaluator keys in the node's keystore, with their accounts.
fn local_keys<T: Config>() -> Vec<(T::Public, T::AccountId)> {
	type AppPublic<T> = <<T as Config>::AuthorityId as AppCrypto<
		<T as frame_system::offchain::SigningTypes>::Public,
		<T as frame_system::offchain::SigningTypes>::Signature,
	>>::RuntimeAppPublic;
	type Generic<T> = <<T as Config>::AuthorityId as AppCrypto<
		<T as frame_system::offchain::SigningTypes>::Public,
		<T as frame_system::offchain::SigningTypes>::Signature,
	>>::GenericPublic;
	AppPublic::<T>::all()
		.into_iter()
		.map(|key| {
			let public: T::Public = Generic::<T>::from(key).into();
			let account = public.clone().into_account();
			(public, account)
		})
		.collect()
}

/// A persistent offchain storage key for `what` of `who`.
pub(crate) fn record_key<AccountId: Encode>(
	what: &[u8],
	scope: impl Encode,
	who: &AccountId,
) -> Vec<u8> {
	(b"din::evaluation::", what, scope, who).encode()
}

/// The persistent offchain storage key of the bytes of a committed value, withheld until its
/// reveal.
/// Adds one to the count of `duty` (one of [`din_primitives::OFFCHAIN_WORKER_DUTIES`]) in
/// persistent offchain storage, which the node exposes as a metric.
pub(crate) fn count_duty(duty: &str) {
	let key = [din_primitives::OFFCHAIN_WORKER_DUTY_PREFIX, duty.as_bytes()].concat();
	let counted = StorageValueRef::persistent(&key).mutate(
		|count: Result<Option<u64>, StorageRetrievalError>| -> Result<u64, ()> {
			Ok(count.ok().flatten().unwrap_or(0).saturating_add(1))
		},
	);
	if counted.is_err() {
		// Another run updated the count at the same moment: one count lost, nothing else.
		log::debug!(target: LOG_TARGET, "the count of {duty} was not updated");
	}
}

pub(crate) fn withheld_key(cid: &[u8]) -> Vec<u8> {
	(b"din::evaluation::withheld", cid).encode()
}

/// Stores `fresh` under `stored` unless another run stored a record there since this one
/// read it empty (compare-and-set); `None` then, and the other run's record, which is the
/// one committed, stays: a commit is never paired with a salt its reveal cannot open.
pub(crate) fn record_once<Record: Encode + Decode>(
	stored: &StorageValueRef,
	fresh: Record,
) -> Option<Record> {
	stored
		.mutate::<_, (), _>(|current: Result<Option<Record>, _>| match current {
			Ok(None) => Ok(fresh),
			_ => Err(()),
		})
		.ok()
}

impl<T: Config> Worker<T> {
	/// Tasks in which a local key holds a seat in some round.
	fn tasks(&self) -> BTreeSet<TaskId> {
		RoundEvaluators::<T>::iter()
			.filter(|(_, _, seats)| seats.iter().any(|(a, _)| self.is_local(a)))
			.map(|(task, _, _)| task)
			.collect()
	}

	fn is_local(&self, who: &T::AccountId) -> bool {
		self.keys.iter().any(|(_, a)| a == who)
	}

	fn serve(&mut self, task: TaskId) -> Result<(), DutyError> {
		let Some(terms) = T::Tasks::terms(task) else { return Ok(()) };
		// The phase's end runs in the next block's `on_initialize`, before any transaction:
		// its submissions are final, and the next phase's duty can be done now where its
		// outcome is exactly computable (as the daemon does, `din::follow::ends_next`).
		let now: u64 = self.now.unique_saturated_into();
		let last_block = terms.phase_ends <= now.saturating_add(1);
		match terms.phase {
			TaskPhase::Training if last_block => ahead(task, self.commit_aggregates(task, &terms)),
			TaskPhase::AggregationCommit => self.commit_aggregates(task, &terms),
			// Only the last round votes on its global model in phases of its own
			// (`TaskPhase::next`); an earlier one's is voted on with the next aggregates.
			TaskPhase::AggregationReveal
				if last_block && terms.round.saturating_add(1) >= terms.rounds =>
			{
				self.reveal_aggregates(task, terms.round)?;
				ahead(task, self.commit_global(task, &terms))
			},
			TaskPhase::AggregationReveal => self.reveal_aggregates(task, terms.round),
			TaskPhase::GlobalCommit => self.commit_global(task, &terms),
			TaskPhase::GlobalReveal => self.reveal_global(task, terms.round),
			// Once the settlement has begun no reveal or dispute counts (`ScoringClosed`).
			TaskPhase::Scoring | TaskPhase::Rewarding
				if !ScoreSettlements::<T>::contains_key(task) =>
			{
				self.score(task, &terms)
			},
			_ => Ok(()),
		}
	}

	/// The task's model, if the worker evaluates it.
	fn model(&self, task: TaskId) -> Result<(EvaluationInputs, ModelSpec, Schema), DutyError> {
		let inputs = T::Tasks::evaluation_inputs(task).ok_or(DutyError::Unavailable("task"))?;
		// The worker reads only the owner's committed test set, already preprocessed: the
		// task's preprocessing map matters to it only as part of the spec's bytes.
		let spec = din_fl::TaskModel::from_bytes(&inputs.architecture)
			.map_err(|_| DutyError::MalformedModel)?
			.spec;
		let schema = spec.schema().map_err(|_| DutyError::MalformedModel)?;
		let (values, max) = (schema.value_count() as u32, T::MaxOffchainModelValues::get());
		if values > max {
			return Err(DutyError::ModelTooLarge { values, max });
		}
		Ok((inputs, spec, schema))
	}

	// ----- aggregation -----

	fn commit_aggregates(&mut self, task: TaskId, terms: &TermsOf<T>) -> Result<(), DutyError> {
		let round = terms.round;
		// The vote on the previous round's global model rides on every aggregate commit.
		let mut previous_global = None;
		for subgroup in 0..T::MaxSubgroups::get() {
			let panel = Panels::<T>::get(task, (round, subgroup));
			if panel.is_empty() {
				break;
			}
			// One aggregation per subgroup, whatever number of local keys sit on its panel;
			// each key commits it under its own salt.
			let mut aggregated: Option<CommittedOf<T>> = None;
			for (public, who) in self.keys.clone() {
				if !panel.contains(&who)
					|| AggregateVotes::<T>::contains_key((task, round, subgroup), &who)
				{
					continue;
				}
				let key = record_key(b"aggregate", (task, round, subgroup), &who);
				let stored = StorageValueRef::persistent(&key);
				let record = match stored.get::<CommittedOf<T>>().ok().flatten() {
					Some(record) if !self.due(record.committed_at) => continue,
					Some(record) => self.resend(&stored, record),
					None => {
						let mut fresh = match &aggregated {
							Some(done) => self.salted_again(done),
							None => self.aggregate(task, terms, subgroup)?,
						};
						if previous_global.is_none() {
							previous_global = Some(self.global_vote(task, round)?);
						}
						fresh.previous_global = previous_global.clone().flatten();
						aggregated = Some(fresh.clone());
						match record_once(&stored, fresh) {
							Some(record) => record,
							None => continue,
						}
					},
				};
				let mut hash = aggregate_commit_hash(
					task,
					round,
					subgroup,
					&who,
					&record.cid,
					&record.commitment,
					&record.invalid,
					&record.salt,
				);
				if let Some(vote) = &record.previous_global {
					hash = pipelined_commit_hash(&hash, vote.as_ref().map(|(c, m)| (&c[..], m)));
				}
				self.send(&public, Call::commit_aggregate { task, round, subgroup, hash })?;
				count_duty("aggregate_commit");
				log::info!(target: LOG_TARGET, "task {task} round {round} subgroup {subgroup}: committed an aggregate ({} invalid)", record.invalid.len());
			}
		}
		Ok(())
	}

	/// Fetches, checks and aggregates the updates of `subgroup`.
	fn aggregate(
		&mut self,
		task: TaskId,
		terms: &TermsOf<T>,
		subgroup: SubgroupIndex,
	) -> Result<CommittedOf<T>, DutyError> {
		let (inputs, _, schema) = self.model(task)?;
		let round = terms.round;
		if inputs.aggregation.is_secure() {
			return self.aggregate_masked(task, terms, subgroup, &inputs, &schema);
		}
		// An update of the model it trained from is told by the chain's record alone
		// ([`duty::trained_nothing`]), unfetched.
		let trained_from = match self.pipelined_base(task, round)? {
			Some(base) => T::Verifier::model_commitment(&base.values),
			None => Pallet::<T>::latest_global_model(task)
				.map(|(_, model)| model.commitment)
				.unwrap_or(terms.genesis_commitment),
		};
		let mut members = Vec::new();
		let mut fetched = Vec::new();
		for member in T::Tasks::subgroup_members(task, subgroup) {
			let (Some(update), Some(cid)) = (
				T::Tasks::update(task, round, &member),
				T::Tasks::update_cid(task, round, &member),
			) else {
				continue;
			};
			// A stale update is judged against the model it trained from, and rebased.
			let stale_from = match update.trained_from < round {
				true => Some(Pallet::<T>::model_trained_from(task, update.trained_from).unwrap_or(
					ModelRef {
						cid: inputs.genesis_cid.clone(),
						commitment: terms.genesis_commitment,
					},
				)),
				false => None,
			};
			let from = stale_from.as_ref().map_or(&trained_from, |model| &model.commitment);
			let bytes = if duty::trained_nothing(&update.commitment, from) {
				Err(Rejection::TrainedNothing)
			} else {
				match self.fetch(&cid, update_limit(&schema))? {
					Fetched::Bytes(bytes) => Ok(bytes),
					Fetched::Unavailable => {
						Err(Rejection::Unavailable(String::from(NOT_AT_ANY_GATEWAY)))
					},
				}
			};
			let stale = match (stale_from, &bytes) {
				(Some(from), Ok(_)) => Some(duty::Stale {
					from: self.stale_base(task, update.trained_from, &from, &schema)?,
					onto: self.round_model(task, &inputs, terms, &schema)?,
					staleness: round - update.trained_from,
				}),
				_ => None,
			};
			fetched.push(FetchedUpdate {
				bytes,
				commitment: update.commitment,
				author: din_primitives::update_author(&member),
				num_samples: update.num_samples,
				stale,
			});
			members.push(member);
		}
		// Participants publish once Training has closed: a missing update may still come.
		let missing = fetched.iter().any(|u| matches!(u.bytes, Err(Rejection::Unavailable(_))));
		let now = self.now.unique_saturated_into();
		// In Training's last block (`serve`) the commitment sample is not drawn yet: only a
		// subgroup whose every update the sample would hold, all of them fetched, is judged
		// then, exactly as it will be.
		let ahead = terms.phase == TaskPhase::Training;
		if ahead && fetched.len() > duty::COMMITMENT_CHECKS {
			return Err(DutyError::Unavailable("the commitment sample, drawn as Training ends"));
		}
		if missing && (ahead || duty::waits_for_updates(now, terms.phase_ends, terms.phase_length))
		{
			return Err(DutyError::Unavailable("an update of the subgroup, not published yet"));
		}
		let sample = if ahead {
			duty::CommitmentSample::all(fetched.len())
		} else {
			commitment_sample::<T>(task, round, subgroup, fetched.len())
		};
		// A private task's updates are checked against the model they trained from.
		let trained_from_model = match &inputs.privacy {
			Some(_) => Some(self.current_model(task, &inputs, terms, &schema)?),
			None => None,
		};
		let privacy = inputs.privacy.as_ref().zip(trained_from_model.as_ref());
		let (aggregate, rejected) =
			aggregate_fetched::<T>(&inputs.aggregation, &schema, &fetched, &sample, privacy)?;
		let mut invalid = Vec::new();
		for (index, why) in rejected {
			let member = &members[index];
			log::info!(target: LOG_TARGET, "task {task} round {round} subgroup {subgroup}: the update of {member:?} is invalid: {why}");
			invalid.push(member.clone());
		}
		let aggregate = match (aggregate, trained_from_model) {
			(Some(aggregate), _) => aggregate,
			// Nothing to combine: the subgroup carries the current model with no weight.
			(None, Some(model)) => duty::carried_over(model),
			(None, None) => duty::carried_over(self.current_model(task, &inputs, terms, &schema)?),
		};
		invalid.sort();
		self.committed(&aggregate, invalid)
	}

	/// [`Self::aggregate`] of a secure-aggregation subgroup: its masked uploads unmasked with
	/// the chain's record of the round (`din_secagg::duty`). Only in the commit phase, when
	/// the hand-overs are final.
	fn aggregate_masked(
		&mut self,
		task: TaskId,
		terms: &TermsOf<T>,
		subgroup: SubgroupIndex,
		inputs: &EvaluationInputs,
		schema: &Schema,
	) -> Result<CommittedOf<T>, DutyError> {
		use din_secagg::duty::{aggregate_masked, MaskedSubmitted, Record};
		if terms.phase == TaskPhase::Training {
			return Err(DutyError::Unavailable(
				"a secure subgroup's hand-overs, final as Training ends",
			));
		}
		let round = terms.round;
		let chain = T::Tasks::secure_subgroup(task, round, subgroup);
		let limit = din_secagg::artifact::HEADER_LEN + 8 * schema.value_count();
		let mut members = Vec::new();
		let mut uploads = Vec::new();
		for (who, member, _, _) in chain.advertised.iter() {
			let (Some(update), Some(cid)) =
				(T::Tasks::update(task, round, who), T::Tasks::update_cid(task, round, who))
			else {
				continue;
			};
			let bytes = match self.fetch(&cid, limit)? {
				Fetched::Bytes(bytes) => Ok(bytes),
				Fetched::Unavailable => {
					Err(Rejection::Unavailable(String::from(NOT_AT_ANY_GATEWAY)))
				},
			};
			uploads.push(MaskedSubmitted {
				member: *member,
				bytes,
				commitment: update.commitment.0,
				author: din_primitives::update_author(who),
				num_samples: update.num_samples,
			});
			members.push(who.clone());
		}
		let missing = uploads.iter().any(|u| matches!(u.bytes, Err(Rejection::Unavailable(_))));
		let now = self.now.unique_saturated_into();
		if missing && duty::waits_for_updates(now, terms.phase_ends, terms.phase_length) {
			return Err(DutyError::Unavailable(
				"a masked update of the subgroup, not published yet",
			));
		}
		let context = din_secagg::Context { task, round, subgroup };
		let record = Record::from_chain(
			chain.eligible,
			chain
				.advertised
				.iter()
				.map(|(_, member, public, seed)| (*member, *public, *seed)),
			chain.uploaded,
			chain.handovers,
			context,
		);
		let ((aggregate, rejected), unmasked) = aggregate_masked(schema, &uploads, &record);
		if let Some(why) = unmasked {
			log::warn!(target: LOG_TARGET, "task {task} round {round} subgroup {subgroup}: the masked sum cannot be unmasked ({why}): the model carries over");
		}
		let mut invalid = Vec::new();
		for (index, why) in rejected {
			let member = &members[index];
			log::info!(target: LOG_TARGET, "task {task} round {round} subgroup {subgroup}: the masked update of {member:?} is invalid: {why}");
			invalid.push(member.clone());
		}
		let aggregate = match aggregate {
			Some(aggregate) => aggregate,
			None => duty::carried_over(self.current_model(task, inputs, terms, schema)?),
		};
		invalid.sort();
		self.committed(&aggregate, invalid)
	}

	/// The model the round of `task` trains from: the previous round's global model while
	/// it is voted on (combined here from its accepted aggregates, [`Self::pipelined_base`]),
	/// else the latest global model the chain fixed, else the genesis model, fetched and
	/// checked against its on-chain commitment.
	fn current_model(
		&mut self,
		task: TaskId,
		inputs: &EvaluationInputs,
		terms: &TermsOf<T>,
		schema: &Schema,
	) -> Result<Update, DutyError> {
		if let Some(base) = self.pipelined_base(task, terms.round)? {
			return Ok(base);
		}
		let (cid, commitment) = Pallet::<T>::latest_global_model(task)
			.map(|(_, model)| (model.cid, model.commitment))
			.unwrap_or((inputs.genesis_cid.clone(), terms.genesis_commitment));
		let artifact = "the current global model";
		match self.fetch(&cid, update_limit(schema))? {
			Fetched::Bytes(bytes) => check_model::<T>(&bytes, schema, &commitment)
				.map_err(|why| DutyError::Rejected { artifact, why }),
			Fetched::Unavailable => Err(DutyError::Unavailable(artifact)),
		}
	}

	/// [`Self::current_model`], fetched once per run and round.
	fn round_model(
		&mut self,
		task: TaskId,
		inputs: &EvaluationInputs,
		terms: &TermsOf<T>,
		schema: &Schema,
	) -> Result<Arc<Update>, DutyError> {
		if let Some(model) = self.round_models.get(&(task, terms.round)) {
			return Ok(model.clone());
		}
		let model = Arc::new(self.current_model(task, inputs, terms, schema)?);
		self.round_models.insert((task, terms.round), model.clone());
		Ok(model)
	}

	/// The model `from` (what round `start` of `task` trained from, as fixed on chain),
	/// fetched and checked once per run: the start of a stale update.
	fn stale_base(
		&mut self,
		task: TaskId,
		start: RoundIndex,
		from: &ModelRef,
		schema: &Schema,
	) -> Result<Arc<Update>, DutyError> {
		if let Some(model) = self.stale_bases.get(&(task, start)) {
			return Ok(model.clone());
		}
		let artifact = "the model a stale update trained from";
		let model = match self.fetch(&from.cid, update_limit(schema))? {
			Fetched::Bytes(bytes) => check_model::<T>(&bytes, schema, &from.commitment)
				.map_err(|why| DutyError::Rejected { artifact, why })?,
			Fetched::Unavailable => return Err(DutyError::Unavailable(artifact)),
		};
		let model = Arc::new(model);
		self.stale_bases.insert((task, start), model.clone());
		Ok(model)
	}

	fn reveal_aggregates(&mut self, task: TaskId, round: RoundIndex) -> Result<(), DutyError> {
		for subgroup in 0..T::MaxSubgroups::get() {
			if Panels::<T>::get(task, (round, subgroup)).is_empty() {
				break;
			}
			for (public, who) in self.keys.clone() {
				let Some(Vote::Committed(_)) =
					AggregateVotes::<T>::get((task, round, subgroup), &who)
				else {
					continue;
				};
				let key = record_key(b"aggregate", (task, round, subgroup), &who);
				let Some(record) = self.reveal_due(&key)? else { continue };
				let invalid = BoundedVec::try_from(record.invalid.clone())
					.map_err(|_| DutyError::NoLocalRecord)?;
				let cid = BoundedVec::try_from(record.cid.clone())
					.map_err(|_| DutyError::NoLocalRecord)?;
				let previous_global = match record.previous_global.clone().flatten() {
					Some((cid, commitment)) => {
						self.publish_withheld(&cid)?;
						let cid =
							BoundedVec::try_from(cid).map_err(|_| DutyError::NoLocalRecord)?;
						Some(ModelRef { cid, commitment })
					},
					None => None,
				};
				self.send(
					&public,
					Call::reveal_aggregate {
						task,
						round,
						subgroup,
						cid,
						commitment: record.commitment,
						invalid,
						salt: record.salt,
						previous_global,
					},
				)?;
				count_duty("aggregate_reveal");
				log::info!(target: LOG_TARGET, "task {task} round {round} subgroup {subgroup}: revealed its aggregate");
			}
		}
		Ok(())
	}

	// ----- global model -----

	fn commit_global(&mut self, task: TaskId, terms: &TermsOf<T>) -> Result<(), DutyError> {
		let round = terms.round;
		let seats = RoundEvaluators::<T>::get(task, round);
		// One combination per round, whatever number of local keys hold seats in it.
		let mut combined: Option<CommittedOf<T>> = None;
		for (public, who) in self.keys.clone() {
			if !seats.iter().any(|(a, _)| *a == who)
				|| GlobalVotes::<T>::contains_key((task, round), &who)
			{
				continue;
			}
			let key = record_key(b"global", (task, round), &who);
			let stored = StorageValueRef::persistent(&key);
			let record = match stored.get::<CommittedOf<T>>().ok().flatten() {
				Some(record) if !self.due(record.committed_at) => continue,
				Some(record) => self.resend(&stored, record),
				None => {
					let fresh = match &combined {
						Some(done) => self.salted_again(done),
						None => match self.combine(task, round)? {
							Some(fresh) => fresh,
							None => return Ok(()),
						},
					};
					combined = Some(fresh.clone());
					match record_once(&stored, fresh) {
						Some(record) => record,
						None => continue,
					}
				},
			};
			let hash = global_commit_hash(
				task,
				round,
				&who,
				&record.cid,
				&record.commitment,
				&record.salt,
			);
			self.send(&public, Call::commit_global { task, round, hash })?;
			count_duty("global_commit");
			log::info!(target: LOG_TARGET, "task {task} round {round}: committed a global model");
		}
		Ok(())
	}

	/// The last round's global model from its accepted aggregates ([`Self::global_of`]),
	/// withheld; `None` when none carries weight (the previous model holds and there is
	/// nothing to vote on).
	fn combine(
		&mut self,
		task: TaskId,
		round: RoundIndex,
	) -> Result<Option<CommittedOf<T>>, DutyError> {
		match self.global_of(task, round)? {
			Some(global) => self.committed(&global, Vec::new()).map(Some),
			None => Ok(None),
		}
	}

	/// The vote of this worker's keys on the global model of the round before `round`, if
	/// that vote is open: `Some(None)` when no accepted aggregate carries weight, else the
	/// model's `(cid, commitment)`, its bytes withheld until the reveal.
	fn global_vote(
		&mut self,
		task: TaskId,
		round: RoundIndex,
	) -> Result<Option<Option<(Vec<u8>, Commitment)>>, DutyError> {
		let Some(voted) = Pallet::<T>::open_global_vote(task, round) else { return Ok(None) };
		Ok(Some(match self.global_of(task, voted)? {
			Some(global) => {
				let record = self.committed(&global, Vec::new())?;
				Some((record.cid, record.commitment))
			},
			None => None,
		}))
	}

	/// The model `round` of `task` trains from while its previous round's global model is
	/// voted on (pipelined): that model, combined from the accepted aggregates the chain
	/// fixed; `None` when no such vote is open, or the previous round's aggregates carry no
	/// weight (the round then trains from the latest model the chain fixed).
	fn pipelined_base(
		&mut self,
		task: TaskId,
		round: RoundIndex,
	) -> Result<Option<Update>, DutyError> {
		match Pallet::<T>::open_global_vote(task, round) {
			Some(voted) => self.global_of(task, voted),
			None => Ok(None),
		}
	}

	/// The global model of `round` from its accepted aggregates ([`duty::combine`]), once
	/// per run; `None` when none carries weight. In the round's own AggregationReveal (its
	/// last block, `serve`) the subgroups are not settled yet: each one's accepted
	/// aggregate is its panel's majority as `votes.rs` will settle it.
	fn global_of(&mut self, task: TaskId, round: RoundIndex) -> Result<Option<Update>, DutyError> {
		if let Some(done) = self.combined.get(&(task, round)) {
			return Ok(done.clone());
		}
		let (_, _, schema) = self.model(task)?;
		let ahead = T::Tasks::terms(task)
			.is_some_and(|t| t.round == round && t.phase == TaskPhase::AggregationReveal);
		let mut aggregates = Vec::new();
		for subgroup in 0..T::MaxSubgroups::get() {
			let panel = Panels::<T>::get(task, (round, subgroup));
			if panel.is_empty() {
				break;
			}
			let accepted = if ahead {
				Self::settling_aggregate(task, round, subgroup, &panel)
			} else {
				match SubgroupResults::<T>::get(task, (round, subgroup)) {
					Some(SubgroupResult::Accepted(reveal)) => Some(reveal),
					_ => None,
				}
			};
			let Some(reveal) = accepted else { continue };
			let artifact = "an accepted aggregate";
			let aggregate = match self.fetch(&reveal.cid, update_limit(&schema))? {
				Fetched::Bytes(bytes) => check_model::<T>(&bytes, &schema, &reveal.commitment)
					.map_err(|why| DutyError::Rejected { artifact, why })?,
				Fetched::Unavailable => return Err(DutyError::Unavailable(artifact)),
			};
			aggregates.push(aggregate);
		}
		let global = duty::combine(&Sequential, &aggregates).map_err(DutyError::Aggregation)?;
		self.combined.insert((task, round), global.clone());
		Ok(global)
	}

	/// The aggregate `subgroup` of `round` will settle on, from its panel's reveals as
	/// `votes.rs` settles them, in AggregationReveal's last block: none for a subgroup
	/// without updates (settled empty) or without a strict majority (disputed).
	fn settling_aggregate(
		task: TaskId,
		round: RoundIndex,
		subgroup: SubgroupIndex,
		panel: &[T::AccountId],
	) -> Option<AggregateRevealOf<T>> {
		let submitted = T::Tasks::subgroup_members(task, subgroup)
			.iter()
			.any(|p| T::Tasks::update(task, round, p).is_some());
		if !submitted {
			return None;
		}
		let revealed: Vec<AggregateRevealOf<T>> = panel
			.iter()
			.filter_map(|who| match AggregateVotes::<T>::get((task, round, subgroup), who) {
				Some(Vote::Revealed(reveal)) => Some(reveal),
				_ => None,
			})
			.collect();
		strict_majority(&revealed, panel.len() as u32).map(|(reveal, _)| reveal)
	}

	fn reveal_global(&mut self, task: TaskId, round: RoundIndex) -> Result<(), DutyError> {
		for (public, who) in self.keys.clone() {
			let Some(Vote::Committed(_)) = GlobalVotes::<T>::get((task, round), &who) else {
				continue;
			};
			let key = record_key(b"global", (task, round), &who);
			let Some(record) = self.reveal_due(&key)? else { continue };
			let cid =
				BoundedVec::try_from(record.cid.clone()).map_err(|_| DutyError::NoLocalRecord)?;
			self.send(
				&public,
				Call::reveal_global {
					task,
					round,
					cid,
					commitment: record.commitment,
					salt: record.salt,
				},
			)?;
			count_duty("global_reveal");
			log::info!(target: LOG_TARGET, "task {task} round {round}: revealed its global model");
		}
		Ok(())
	}

	// ----- median scoring -----

	/// Median scoring. In Scoring: count every target of the local keys' panels right and
	/// commit the count. In Rewarding: reveal what was committed. In either, a test set the
	/// released key does not open (or still unavailable in Rewarding) is disputed.
	fn score(&mut self, task: TaskId, terms: &TermsOf<T>) -> Result<(), DutyError> {
		if !matches!(terms.scoring, ScoringRule::Median { .. }) {
			return Ok(());
		}
		let Some(test_key) = TestKeys::<T>::get(task) else { return Ok(()) };
		let scoring = terms.phase == TaskPhase::Scoring;
		if !scoring {
			self.reveal_scores(task)?;
		}
		let disputes = TestSetDisputes::<T>::get(task);
		let mut uncounted = Vec::new();
		for (public, who) in self.keys.clone() {
			if disputes.contains(&who) {
				continue;
			}
			for (target, cid, commitment) in self.targets(task, terms, &who)? {
				if Reports::<T>::get(task, &target).iter().any(|(a, _)| *a == who) {
					continue;
				}
				let key = record_key(b"score-commit", (task, &target), &who);
				let stored = StorageValueRef::persistent(&key);
				match stored.get::<ScoreOf<T>>().ok().flatten() {
					// Counted and sent, not on chain yet: sent again once due, same salt.
					Some(mut record) if scoring && self.due(record.committed_at) => {
						record.committed_at = self.now;
						stored.set(&record);
						self.commit_score(&public, task, target, &who, &record)?;
					},
					Some(_) => {},
					None => {
						uncounted.push((public.clone(), who.clone(), key, target, cid, commitment))
					},
				}
			}
		}
		if uncounted.is_empty() {
			return Ok(());
		}
		let (inputs, spec, schema) = self.model(task)?;
		let test_set = match self.open_test_set(&inputs, &test_key.key, terms) {
			Ok(test_set) => test_set,
			Err(DutyError::TestSetMismatch) => return self.dispute_test_set(task, terms),
			// Unavailable for a whole Scoring phase: withheld, as far as scoring goes.
			Err(DutyError::Unavailable(_)) if !scoring => {
				return self.dispute_test_set(task, terms)
			},
			Err(e) => return Err(e),
		};
		if !scoring {
			log::info!(target: LOG_TARGET, "task {task}: {} scores were not committed in Scoring; too late now", uncounted.len());
			return Ok(());
		}
		let total = test_set.labels.len() as u32;
		// Each target counted once, whatever number of local keys score it.
		let mut counted: Vec<(ScoreTargetOf<T>, u32)> = Vec::new();
		for (public, who, key, target, cid, commitment) in uncounted {
			let correct = match counted.iter().find(|(done, _)| *done == target) {
				Some((_, correct)) => *correct,
				None => {
					let artifact = "a scored model";
					let update = matches!(target, ScoreTarget::Update { .. });
					let commitment_of = T::Verifier::model_commitment;
					let scored = match self.fetch(&cid, update_limit(&schema))? {
						Fetched::Bytes(bytes) => {
							duty::check_scored(&bytes, &schema, &commitment, update, commitment_of)
								.map_err(|why| DutyError::Rejected { artifact, why })?
						},
						Fetched::Unavailable => return Err(DutyError::Unavailable(artifact)),
					};
					let correct = match scored {
						Scored::Model(model) => {
							din_fl::count_correct(&spec, &model.values, &test_set)
								.map_err(DutyError::Reference)?
						},
						Scored::Unopened => {
							log::info!(target: LOG_TARGET, "task {task}: {target:?} does not open its commitment: it counts nothing right");
							0
						},
					};
					counted.push((target.clone(), correct));
					correct
				},
			};
			let fresh = CommittedScore {
				correct,
				total,
				salt: random_seed(),
				committed_at: self.now,
				revealed_at: None,
			};
			let Some(record) = record_once(&StorageValueRef::persistent(&key), fresh) else {
				continue;
			};
			self.commit_score(&public, task, target, &who, &record)?;
		}
		Ok(())
	}

	fn commit_score(
		&self,
		public: &T::Public,
		task: TaskId,
		target: ScoreTargetOf<T>,
		who: &T::AccountId,
		record: &ScoreOf<T>,
	) -> Result<(), DutyError> {
		let (correct, total) = (record.correct, record.total);
		let hash = score_commit_hash(task, &target, who, correct, total, &record.salt);
		count_duty("score_commit");
		log::info!(target: LOG_TARGET, "task {task}: committed {correct}/{total} for {target:?}");
		self.send(public, Call::commit_score { task, target, hash })
	}

	/// Reveals every score a local key committed to in `task` and has not revealed.
	fn reveal_scores(&self, task: TaskId) -> Result<(), DutyError> {
		for (target, reports) in Reports::<T>::iter_prefix(task) {
			for (public, who) in self.keys.iter() {
				let own = reports.iter().find(|(a, _)| a == who);
				let Some((_, Vote::Committed(_))) = own else { continue };
				let key = record_key(b"score-commit", (task, &target), who);
				let stored = StorageValueRef::persistent(&key);
				let mut record =
					stored.get::<ScoreOf<T>>().ok().flatten().ok_or(DutyError::NoLocalRecord)?;
				if record.revealed_at.is_some_and(|at| !self.due(at)) {
					continue;
				}
				record.revealed_at = Some(self.now);
				stored.set(&record);
				let (correct, total, salt) = (record.correct, record.total, record.salt);
				self.send(
					public,
					Call::reveal_score { task, target: target.clone(), correct, total, salt },
				)?;
				count_duty("score_reveal");
				log::info!(target: LOG_TARGET, "task {task}: revealed {correct}/{total} for {target:?}");
			}
		}
		Ok(())
	}

	/// Dispute the task's test set with every local key of a last-round evaluator: the
	/// released key opens no set matching the commitment, so no score can be honest.
	fn dispute_test_set(&self, task: TaskId, terms: &TermsOf<T>) -> Result<(), DutyError> {
		let disputes = TestSetDisputes::<T>::get(task);
		for (public, who) in self.keys.clone() {
			if disputes.contains(&who) || !Pallet::<T>::is_round_evaluator(task, terms.round, &who)
			{
				continue;
			}
			let key = record_key(b"dispute", task, &who);
			let sent = StorageValueRef::persistent(&key);
			if sent.get::<BlockNumberFor<T>>().ok().flatten().is_some_and(|at| !self.due(at)) {
				continue;
			}
			sent.set(&self.now);
			self.send(&public, Call::dispute_test_set { task })?;
			log::warn!(target: LOG_TARGET, "task {task}: the released key opens no committed test set; disputed");
		}
		Ok(())
	}

	/// What `who` scores: the baseline if it sits on the baseline panel, the global model of
	/// each earlier round whose first panel it sat on, and every accepted update of the panels
	/// it sat on; with each model's CID and commitment (as `Pallet::authorize_scorer` allows).
	fn targets(
		&self,
		task: TaskId,
		terms: &TermsOf<T>,
		who: &T::AccountId,
	) -> Result<Vec<(ScoreTargetOf<T>, Cid, Commitment)>, DutyError> {
		let mut targets = Vec::new();
		if Pallet::<T>::baseline_panel(task, terms.round).contains(who) {
			let inputs = T::Tasks::evaluation_inputs(task).ok_or(DutyError::Unavailable("task"))?;
			targets.push((ScoreTarget::Baseline, inputs.genesis_cid, terms.genesis_commitment));
		}
		for round in 0..=terms.round {
			let global = GlobalModels::<T>::get(task, round).filter(|_| {
				round < terms.round && Pallet::<T>::baseline_panel(task, round).contains(who)
			});
			if let Some(model) = global {
				targets.push((ScoreTarget::Global { round }, model.cid, model.commitment));
			}
			for (participant, update) in T::Tasks::round_updates(task, round) {
				let scored = Pallet::<T>::is_accepted(task, round, update.subgroup, &participant)
					&& Panels::<T>::get(task, (round, update.subgroup)).contains(who);
				if !scored {
					continue;
				}
				// A member of a secure subgroup is scored by the subgroup's aggregate.
				let scored_model = if terms.secure_aggregation {
					match SubgroupResults::<T>::get(task, (round, update.subgroup)) {
						Some(SubgroupResult::Accepted(reveal)) => {
							Some((reveal.cid, reveal.commitment))
						},
						_ => None,
					}
				} else {
					T::Tasks::update_cid(task, round, &participant)
						.map(|cid| (cid, update.commitment))
				};
				if let Some((cid, commitment)) = scored_model {
					targets.push((ScoreTarget::Update { round, participant }, cid, commitment));
				}
			}
		}
		Ok(targets)
	}

	/// Downloads, decrypts and checks the task's test set.
	fn open_test_set(
		&mut self,
		inputs: &EvaluationInputs,
		key: &[u8],
		terms: &TermsOf<T>,
	) -> Result<TestSet, DutyError> {
		let sealed = match self.fetch(&inputs.sealed_test_set_cid, MAX_TEST_SET_BYTES)? {
			Fetched::Bytes(bytes) => bytes,
			Fetched::Unavailable => return Err(DutyError::Unavailable("the sealed test set")),
		};
		let test_set =
			sealed_test_set::open(key, &sealed).map_err(|_| DutyError::TestSetMismatch)?;
		if sealed_test_set::median_test_set_commitment(&test_set) != terms.test_set_commitment.0 {
			return Err(DutyError::TestSetMismatch);
		}
		// A set that the task's own preprocessing could not have produced is disputed as
		// the daemon disputes it (`Preprocessing::admits`).
		let model = din_fl::TaskModel::from_bytes(&inputs.architecture)
			.map_err(|_| DutyError::MalformedModel)?;
		if model.preprocessing.is_some_and(|map| !map.admits(&test_set)) {
			return Err(DutyError::TestSetMismatch);
		}
		Ok(test_set)
	}

	// ----- plumbing -----

	/// Whether a transaction sent at `sent` may be sent again.
	fn due(&self, sent: BlockNumberFor<T>) -> bool {
		self.now >= sent.saturating_add(RESEND_AFTER.into())
	}

	/// `record`, whose commit is due to be sent again, marked as sent now. Only the time
	/// changes: every run that resends it sends the same salt.
	fn resend(&self, stored: &StorageValueRef, mut record: CommittedOf<T>) -> CommittedOf<T> {
		record.committed_at = self.now;
		stored.set(&record);
		record
	}

	/// The local record behind `key` if its reveal is due (marked as sent now), once what
	/// it commits to is published.
	fn reveal_due(&self, key: &[u8]) -> Result<Option<CommittedOf<T>>, DutyError> {
		let value = StorageValueRef::persistent(key);
		let mut record =
			value.get::<CommittedOf<T>>().ok().flatten().ok_or(DutyError::NoLocalRecord)?;
		if record.revealed_at.is_some_and(|at| !self.due(at)) {
			return Ok(None);
		}
		self.publish_withheld(&record.cid)?;
		record.revealed_at = Some(self.now);
		value.set(&record);
		Ok(Some(record))
	}

	/// The record of a value about to be committed: its CID, commitment and a fresh salt.
	/// The value itself is withheld (kept in local storage under [`withheld_key`]) until
	/// the reveal: published before the commit phase closes, it could be committed to by
	/// panel members that never aggregated.
	fn committed(
		&self,
		value: &Update,
		invalid: Vec<T::AccountId>,
	) -> Result<CommittedOf<T>, DutyError> {
		let (bytes, cid, commitment) = content_and_commitment::<T>(value)?;
		StorageValueRef::persistent(&withheld_key(cid.as_bytes())).set(&bytes);
		Ok(CommittedValue {
			cid: cid.into_bytes(),
			commitment,
			invalid,
			salt: random_seed(),
			committed_at: self.now,
			revealed_at: None,
			previous_global: None,
		})
	}

	/// `done`'s record under a fresh salt: another local key's commit to the same value.
	fn salted_again(&self, done: &CommittedOf<T>) -> CommittedOf<T> {
		CommittedValue {
			salt: random_seed(),
			committed_at: self.now,
			revealed_at: None,
			..done.clone()
		}
	}

	/// Uploads `bytes` (whose CID is `cid`) to the first gateway that takes uploads
	/// (`din store serve --http-max-upload`) and stores them under that CID, so that a
	/// panel of workers alone still names fetchable content. If every gateway answers
	/// without taking uploads, the reveal goes ahead (a daemon on the panel publishes the
	/// same bytes); if one could not be asked, the duty waits for the next block, as a
	/// fetch does, so that a passing outage never leaves a revealed value unpublished.
	fn publish(&self, bytes: &[u8], cid: &str) -> Result<(), DutyError> {
		let mut reached_all = true;
		let Some(headers) = self.upload_headers(cid, bytes.len() as u64) else {
			log::warn!(target: LOG_TARGET, "{cid}: no local key in the evaluator pool signs the upload; fetchable once a daemon publishes it");
			return Ok(());
		};
		for gateway in &self.gateways {
			let Ok(base) = core::str::from_utf8(gateway) else { continue };
			let mut url = String::from(base.trim_end_matches('/'));
			url.push_str("/artifact");
			match post_url(&url, bytes, &headers, T::OffchainFetchTimeoutMs::get()) {
				Some(Ok(stored)) if stored == cid.as_bytes() => {
					count_duty("upload");
					return Ok(());
				},
				Some(Ok(_)) => {
					log::warn!(target: LOG_TARGET, "{url}: stored {cid} under another CID")
				},
				Some(Err(code @ (401 | 403 | 429))) => {
					log::warn!(target: LOG_TARGET, "{url}: upload refused (HTTP {code}): is this node's evaluator key among the gateway's --http-upload-signer?")
				},
				Some(Err(code)) => {
					log::debug!(target: LOG_TARGET, "{url}: no uploads (HTTP {code})")
				},
				None => {
					reached_all = false;
					log::info!(target: LOG_TARGET, "{url}: unreachable, failed or timed out");
				},
			}
		}
		if !reached_all {
			return Err(DutyError::GatewayUnreachable);
		}
		log::info!(target: LOG_TARGET, "{cid}: no gateway takes uploads; fetchable once a daemon publishes it");
		Ok(())
	}

	/// The headers of an upload of `cid` (`size` bytes), signed by the first local key in
	/// the evaluator pool (the accounts a `pool` gateway takes), valid for half the longest
	/// lifetime gateways accept; `None` when no local key is in the pool.
	fn upload_headers(&self, cid: &str, size: u64) -> Option<[(&'static str, String); 4]> {
		let pool = Pool::<T>::get();
		let (public, account) = self
			.keys
			.iter()
			.find(|(_, account)| pool.iter().any(|member| &member.who == account))?;
		let expiry = timestamp().unix_millis() / 1000 + upload::MAX_SIGNATURE_LIFETIME_SECS / 2;
		let payload = upload::payload(cid, size, expiry);
		let signature =
			<T::AuthorityId as AppCrypto<T::Public, T::Signature>>::sign(&payload, public.clone())?;
		Some(upload::signed_headers(account, cid, expiry, &signature))
	}

	/// Publishes the value withheld under `cid` (if it still is) and forgets the local
	/// copy; a gateway that cannot be reached holds the reveal until the next block.
	fn publish_withheld(&self, cid: &[u8]) -> Result<(), DutyError> {
		let key = withheld_key(cid);
		let mut withheld = StorageValueRef::persistent(&key);
		let Some(bytes) = withheld.get::<Vec<u8>>().ok().flatten() else { return Ok(()) };
		let cid = core::str::from_utf8(cid).map_err(|_| DutyError::NoLocalRecord)?;
		self.publish(&bytes, cid)?;
		withheld.clear();
		Ok(())
	}

	fn send(&self, public: &T::Public, call: Call<T>) -> Result<(), DutyError> {
		let sent = Signer::<T, T::AuthorityId>::all_accounts()
			.with_filter(alloc::vec![public.clone()])
			.send_signed_transaction(|_| call.clone());
		match sent.as_slice() {
			[(_, Ok(()))] => Ok(()),
			_ => Err(DutyError::SubmissionFailed),
		}
	}

	/// The artifact `cid` from the first gateway that has it, at most `limit` bytes.
	fn fetch(&mut self, cid: &[u8], limit: usize) -> Result<Fetched, DutyError> {
		if self.fetch_budget == 0 {
			return Err(DutyError::FetchBudgetSpent);
		}
		self.fetch_budget -= 1;
		let Ok(cid_text) = core::str::from_utf8(cid) else { return Ok(Fetched::Unavailable) };
		// Unavailable only when every gateway answered without the content: a gateway that
		// could not be asked may have it, and a participant is not blamed for our network.
		let mut unreached = false;
		for gateway in &self.gateways {
			let Ok(base) = core::str::from_utf8(gateway) else { continue };
			let mut url = String::from(base.trim_end_matches('/'));
			url.push_str("/artifact/");
			url.push_str(cid_text);
			match fetch_url(&url, limit, T::OffchainFetchTimeoutMs::get()) {
				Some(Some(bytes)) if artifact_cid(&bytes).as_bytes() == cid => {
					return Ok(Fetched::Bytes(bytes))
				},
				Some(Some(_)) => {
					log::info!(target: LOG_TARGET, "{url}: the bytes do not hash to the CID");
				},
				Some(None) => {},
				None => {
					unreached = true;
					log::info!(target: LOG_TARGET, "{url}: unreachable, failed or timed out");
				},
			}
		}
		if unreached {
			Err(DutyError::GatewayUnreachable)
		} else {
			Ok(Fetched::Unavailable)
		}
	}
}

type TermsOf<T> =
	din_primitives::TaskTerms<<T as frame_system::Config>::AccountId, <T as Config>::Balance>;

/// One HTTP GET: `Some(Some(body))` on 200 within `limit` bytes, `Some(None)` when the
/// gateway answered that it has no such content (404, or a body over `limit`), `None`
/// when it could not be asked (connection failure, timeout, other status).
fn fetch_url(url: &str, limit: usize, timeout_ms: u64) -> Option<Option<Vec<u8>>> {
	let deadline = timestamp().add(Duration::from_millis(timeout_ms));
	let pending = http::Request::get(url).deadline(deadline).send().ok()?;
	let response = pending.try_wait(deadline).ok()?.ok()?;
	match response.code {
		200 => {},
		404 => return Some(None),
		_ => return None,
	}
	let mut body = response.body();
	let bytes: Vec<u8> = body.by_ref().take(limit.saturating_add(1)).collect();
	if body.error().is_some() {
		return None;
	}
	Some((bytes.len() <= limit).then_some(bytes))
}

/// An update as fetched for a subgroup's aggregation, with what the chain says of it:
/// its bytes (already checked against the update's CID) or why there are none.
pub(crate) type FetchedUpdate = Submitted<Commitment>;

/// Why a fetched update has no bytes: every gateway answered, none with bytes of its CID.
const NOT_AT_ANY_GATEWAY: &str = "no store gateway has bytes of its CID";

/// The compute of an aggregation duty once its updates are fetched:
/// [`duty::aggregate_subgroup`] on this thread with the runtime's commitments. Returns the
/// aggregate (`None` when no update is valid) and the positions of the rejected updates
/// with the reason. Benchmarked, with the CID checks of the fetch, as
/// `offchain_aggregate_*`.
pub(crate) fn aggregate_fetched<T: Config>(
	rule: &AggregationRule,
	schema: &Schema,
	fetched: &[FetchedUpdate],
	sample: &CommitmentSample,
	privacy: Option<(&PrivacyPolicy, &Update)>,
) -> Result<SubgroupOutcome, DutyError> {
	let commitment_of = T::Verifier::model_commitment;
	duty::aggregate_subgroup(&Sequential, rule, schema, fetched, sample, privacy, commitment_of)
		.map_err(DutyError::Aggregation)
}

/// The updates of `subgroup` (`submitted` of them, in member order) whose commitments its
/// panel checks in `round` of `task`: drawn from the seed recorded when Training ended
/// ([`CommitmentSamples`]), or all of them without one.
pub(crate) fn commitment_sample<T: Config>(
	task: TaskId,
	round: RoundIndex,
	subgroup: SubgroupIndex,
	submitted: usize,
) -> CommitmentSample {
	let seed = CommitmentSamples::<T>::get(task).filter(|(r, _)| *r == round).map(|(_, s)| s);
	CommitmentSample::of_subgroup(seed.as_ref(), subgroup, submitted)
}

/// `value`'s bytes, the CID the store gives them and its on-chain commitment: what a
/// commit names.
pub(crate) fn content_and_commitment<T: Config>(
	value: &Update,
) -> Result<(Vec<u8>, String, Commitment), DutyError> {
	let bytes = value.encode().map_err(DutyError::Encoding)?;
	let cid = artifact_cid(&bytes);
	Ok((bytes, cid, T::Verifier::model_commitment(&value.values)))
}

/// One HTTP POST of `body`: `Some(Ok(response body))` on a 2xx answer (the first 256
/// bytes: a CID), `Some(Err(status))` on another answer, `None` when the gateway could
/// not be asked.
fn post_url(
	url: &str,
	body: &[u8],
	headers: &[(&str, String)],
	timeout_ms: u64,
) -> Option<Result<Vec<u8>, u16>> {
	let deadline = timestamp().add(Duration::from_millis(timeout_ms));
	let mut request = http::Request::post(url, alloc::vec![body])
		.add_header("Content-Type", "application/octet-stream")
		.add_header("Content-Length", &alloc::format!("{}", body.len()));
	for (name, value) in headers {
		request = request.add_header(name, value);
	}
	let pending = request.deadline(deadline).send().ok()?;
	let response = pending.try_wait(deadline).ok()?.ok()?;
	if !(200..300).contains(&response.code) {
		return Some(Err(response.code));
	}
	let mut answer = response.body();
	let stored: Vec<u8> = answer.by_ref().take(256).collect();
	if answer.error().is_some() {
		return None;
	}
	Some(Ok(stored))
}

/// The encoded size of an update of `schema`.
fn update_limit(schema: &Schema) -> usize {
	Update::encoded_len_for(schema)
}

/// [`duty::check_model`] of a model the chain names by its commitment alone: an accepted
/// aggregate, a global model, a model to score.
fn check_model<T: Config>(
	bytes: &[u8],
	schema: &Schema,
	commitment: &Commitment,
) -> Result<Update, Rejection> {
	duty::check_model(bytes, schema, commitment, T::Verifier::model_commitment)
}
