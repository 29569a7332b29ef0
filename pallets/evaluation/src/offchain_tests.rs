//! The off-chain worker's evaluator duties, in the mock runtime with FRAME's offchain test
//! externalities: a store gateway serving artifacts by URI (over `TestOffchainExt`), the
//! transaction pool (`TestTransactionPoolExt`) and persistent offchain storage that
//! outlives a run, as it outlives a node restart. Every transaction the worker sends is
//! dispatched as its signer's call, so the pallet judges it like a daemon's.

use crate::{mock::*, offchain::*, *};
use codec::{Decode, Encode};
use din_fl::{
	content::artifact_cid, duty::CommitmentSample, sealed_test_set, spec::ModelSpec, Aggregator,
	TestSet, Update,
};
use din_primitives::{upload, ScoringRule};
use polkadot_sdk::{
	frame_support::{
		assert_ok,
		traits::{Hooks, UnfilteredDispatchable},
	},
	sp_core::{
		offchain::{
			testing::{
				OffchainState, PendingRequest, PoolState, TestOffchainExt, TestTransactionPoolExt,
			},
			Externalities, HttpError, HttpRequestId, HttpRequestStatus, OffchainDbExt,
			OffchainWorkerExt, OpaqueNetworkState, StorageKind, Timestamp, TransactionPoolExt,
		},
		OpaquePeerId, H256,
	},
	sp_io::{self, hashing::sha2_256},
	sp_runtime::{
		offchain::storage::StorageValueRef,
		testing::{TestSignature, UintAuthorityId},
		BoundedVec, Perbill,
	},
};
use std::{
	collections::BTreeMap,
	sync::{
		atomic::{AtomicBool, AtomicUsize, Ordering},
		Arc,
	},
};

type Shared<T> = Arc<parking_lot::RwLock<T>>;

const GATEWAY: &str = "http://gateway.test";
/// A second gateway, configured by tests that need one; it serves nothing.
const SECOND_GATEWAY: &str = "http://gateway-2.test";

/// The task's model: softmax regression, 2 features, 2 classes (6 values).
fn model() -> ModelSpec {
	ModelSpec::SoftmaxRegression { inputs: 2, classes: 2 }
}

/// The canonical model of `values` with `samples` samples, authored by nobody (a global
/// model, or what an idle participant resubmits).
fn update(values: [i32; 6], samples: u64) -> Update {
	Update {
		schema_hash: model().schema().unwrap().hash(),
		author: din_fl::NO_AUTHOR,
		num_samples: samples,
		values: values.to_vec(),
	}
}

fn bytes(update: &Update) -> Vec<u8> {
	update.encode().unwrap()
}

fn commitment(update: &Update) -> H256 {
	H256(din_zk_verifier::commitment::to_bytes(&din_zk_verifier::commitment::model_commitment(
		&update.values,
	)))
}

/// The owner's test set: eight points of [`model`]'s two features, labelled so that the
/// participants' models score differently on it.
fn test_set() -> TestSet {
	let features = [1, 0, 0, 1, 3, -1, -2, 5, 4, 4, -3, -3, 2, -4, -1, 2].map(|x| x << 16);
	TestSet::new(2, features.to_vec(), vec![0, 1, 0, 1, 1, 0, 0, 1]).unwrap()
}

const TEST_KEY: [u8; sealed_test_set::TEST_KEY_LEN] = [0x5e; sealed_test_set::TEST_KEY_LEN];

/// The test set as the owner publishes it: sealed under [`TEST_KEY`].
fn sealed_test_set() -> Vec<u8> {
	sealed_test_set::seal(&TEST_KEY, [0x5f; sealed_test_set::SEAL_NONCE_LEN], &test_set())
}

/// Participant `p`'s update: distinct values per participant, naming `p` its author.
fn update_of(p: AccountId) -> Update {
	let (v, w) = (p as i32 * 1000, (p as i32 - 11) * 4000);
	Update { author: din_primitives::update_author(&p), ..update([v, w, -w, v / 2, -7, 3], 50 + p) }
}

/// The store gateway: serves the artifacts in `served` by URI, in whatever order the
/// worker asks (each request becomes a `TestOffchainExt` expectation as it starts; a URI
/// not served gets no response, which fails the test). While `uploads` is set it stores
/// `POST /artifact` bodies under their CID and answers with it, as
/// `din store serve --http-max-upload` does, when the upload is signed for that CID and
/// size (401 otherwise); while `uploads` is unset it answers 405. While `down`,
/// every request runs into its deadline, as with an unreachable host; while
/// `uploads_down`, uploads do.
struct Gateway {
	canned: TestOffchainExt,
	state: Shared<OffchainState>,
	served: Shared<BTreeMap<String, Vec<u8>>>,
	uploads: Arc<AtomicBool>,
	uploads_down: Arc<AtomicBool>,
	down: Arc<AtomicBool>,
	second_down: Arc<AtomicBool>,
	started: Arc<AtomicUsize>,
}

impl Gateway {
	/// The upload `id` is, if it is one.
	fn upload(&self, id: HttpRequestId) -> Option<PendingRequest> {
		let upload_uri = format!("{GATEWAY}/artifact");
		let state = self.state.read();
		let r = state.requests.get(&id).filter(|r| r.method == "POST" && r.uri == upload_uri)?;
		Some(PendingRequest {
			method: r.method.clone(),
			uri: r.uri.clone(),
			meta: r.meta.clone(),
			headers: r.headers.clone(),
			body: r.body.clone(),
			sent: r.sent,
			..Default::default()
		})
	}
}

impl Gateway {
	/// Whether upload `id` carries a valid signature of its CID and size, as a gateway
	/// checks it (`din_primitives::upload::verify`, here over the mock's test signatures).
	fn signed(&mut self, id: HttpRequestId) -> bool {
		let Some(request) = self.upload(id) else { return false };
		let header = |name: &str| {
			request
				.headers
				.iter()
				.find(|(header, _)| header.eq_ignore_ascii_case(name))
				.map(|(_, value)| value.as_str())
		};
		let headers = upload::SignedHeaders {
			account: header(upload::ACCOUNT_HEADER),
			cid: header(upload::CID_HEADER),
			expiry: header(upload::EXPIRY_HEADER),
			signature: header(upload::SIGNATURE_HEADER),
		};
		let now = self.canned.timestamp().unix_millis() / 1000;
		upload::verify::<TestSignature>(&headers, request.body.len() as u64, now)
			.is_ok_and(|(_, cid)| cid == artifact_cid(&request.body))
	}

	/// How request `id` ends: a timeout while its gateway (or uploading) is down, 405 for
	/// an upload while uploads are off, 404 for an artifact not served, else the answer.
	fn status(&mut self, id: HttpRequestId, deadline: Option<Timestamp>) -> HttpRequestStatus {
		let upload = self.upload(id).is_some();
		let uri = self.state.read().requests.get(&id).map(|r| r.uri.clone()).unwrap_or_default();
		let down = if uri.starts_with(SECOND_GATEWAY) { &self.second_down } else { &self.down };
		if down.load(Ordering::SeqCst) || (upload && self.uploads_down.load(Ordering::SeqCst)) {
			return HttpRequestStatus::DeadlineReached;
		}
		if upload && !self.uploads.load(Ordering::SeqCst) {
			return HttpRequestStatus::Finished(405);
		}
		if upload && !self.signed(id) {
			return HttpRequestStatus::Finished(401);
		}
		if !upload && !self.served.read().contains_key(&uri) {
			return HttpRequestStatus::Finished(404);
		}
		self.canned.http_response_wait(&[id], deadline).remove(0)
	}
}

impl Externalities for Gateway {
	fn is_validator(&self) -> bool {
		self.canned.is_validator()
	}
	fn network_state(&self) -> Result<OpaqueNetworkState, ()> {
		self.canned.network_state()
	}
	fn timestamp(&mut self) -> Timestamp {
		self.canned.timestamp()
	}
	fn sleep_until(&mut self, deadline: Timestamp) {
		self.canned.sleep_until(deadline)
	}
	fn random_seed(&mut self) -> [u8; 32] {
		self.canned.random_seed()
	}
	fn http_request_start(
		&mut self,
		method: &str,
		uri: &str,
		meta: &[u8],
	) -> Result<HttpRequestId, ()> {
		self.started.fetch_add(1, Ordering::SeqCst);
		if let Some(body) = self.served.read().get(uri) {
			self.state.write().expect_request(PendingRequest {
				method: method.into(),
				uri: uri.into(),
				sent: true,
				response: Some(body.clone()),
				..Default::default()
			});
		}
		self.canned.http_request_start(method, uri, meta)
	}
	fn http_request_add_header(
		&mut self,
		id: HttpRequestId,
		name: &str,
		value: &str,
	) -> Result<(), ()> {
		self.canned.http_request_add_header(id, name, value)
	}
	fn http_request_write_body(
		&mut self,
		id: HttpRequestId,
		chunk: &[u8],
		deadline: Option<Timestamp>,
	) -> Result<(), HttpError> {
		// The body is complete once the empty chunk comes: store it, answer its CID.
		if let (true, true, Some(upload)) =
			(chunk.is_empty(), self.uploads.load(Ordering::SeqCst), self.upload(id))
		{
			if !self.signed(id) {
				return self.canned.http_request_write_body(id, chunk, deadline);
			}
			let cid = artifact_cid(&upload.body);
			self.served
				.write()
				.insert(format!("{GATEWAY}/artifact/{cid}"), upload.body.clone());
			self.state.write().expect_request(PendingRequest {
				sent: true,
				response: Some(cid.into_bytes()),
				..upload
			});
		}
		self.canned.http_request_write_body(id, chunk, deadline)
	}
	fn http_response_wait(
		&mut self,
		ids: &[HttpRequestId],
		deadline: Option<Timestamp>,
	) -> Vec<HttpRequestStatus> {
		ids.iter().map(|id| self.status(*id, deadline)).collect()
	}
	fn http_response_headers(&mut self, id: HttpRequestId) -> Vec<(Vec<u8>, Vec<u8>)> {
		self.canned.http_response_headers(id)
	}
	fn http_response_read_body(
		&mut self,
		id: HttpRequestId,
		buffer: &mut [u8],
		deadline: Option<Timestamp>,
	) -> Result<usize, HttpError> {
		self.canned.http_response_read_body(id, buffer, deadline)
	}
	fn set_authorized_nodes(&mut self, nodes: Vec<OpaquePeerId>, authorized_only: bool) {
		self.canned.set_authorized_nodes(nodes, authorized_only)
	}
}

/// The mock runtime with offchain extensions.
struct OffchainSetup {
	ext: sp_io::TestExternalities,
	/// The requests made and the worker's persistent storage.
	offchain: Shared<OffchainState>,
	/// The gateway's artifacts, by URI (see [`serve`]).
	served: Shared<BTreeMap<String, Vec<u8>>>,
	/// Makes the gateway take uploads while set.
	uploads: Arc<AtomicBool>,
	/// Makes uploads time out while set.
	uploads_down: Arc<AtomicBool>,
	/// Takes the gateway down (requests time out) while set.
	gateway_down: Arc<AtomicBool>,
	/// Takes [`SECOND_GATEWAY`] down while set.
	second_gateway_down: Arc<AtomicBool>,
	/// HTTP requests started so far (the canned state forgets answered ones).
	started: Arc<AtomicUsize>,
	pool: Shared<PoolState>,
}

fn offchain_ext() -> OffchainSetup {
	let mut ext = ExtBuilder::default().build();
	let (canned, offchain) = TestOffchainExt::new();
	let (pool_ext, pool) = TestTransactionPoolExt::new();
	let gateway_down = Arc::new(AtomicBool::new(false));
	let second_gateway_down = Arc::new(AtomicBool::new(false));
	let served = Shared::default();
	let uploads = Arc::new(AtomicBool::new(false));
	let uploads_down = Arc::new(AtomicBool::new(false));
	let started = Arc::new(AtomicUsize::new(0));
	ext.register_extension(OffchainDbExt::new(canned.clone()));
	let gateway = Gateway {
		canned,
		state: offchain.clone(),
		served: served.clone(),
		uploads: uploads.clone(),
		uploads_down: uploads_down.clone(),
		down: gateway_down.clone(),
		second_down: second_gateway_down.clone(),
		started: started.clone(),
	};
	ext.register_extension(OffchainWorkerExt::new(gateway));
	ext.register_extension(TransactionPoolExt::new(pool_ext));
	OffchainSetup {
		ext,
		offchain,
		served,
		uploads,
		uploads_down,
		gateway_down,
		second_gateway_down,
		started,
		pool,
	}
}

/// A median-scored FedAvg task on [`model`] with a real genesis model, in
/// AggregationCommit after every participant submitted [`update_of`], with the gateway
/// configured; returns the task.
fn task_in_aggregation() -> TaskId {
	let task = task_in_training();
	for p in PARTICIPANTS {
		submit(task, p, &update_of(p));
	}
	finish_phase(task);
	assert_eq!(phase(task).0, TaskPhase::AggregationCommit);
	task
}

/// `p` submits `u` (its CID, commitment and sample count) for round 0 of `task`.
fn submit(task: TaskId, p: AccountId, u: &Update) {
	submit_in(task, 0, p, u)
}

/// [`submit`] in `round`.
fn submit_in(task: TaskId, round: RoundIndex, p: AccountId, u: &Update) {
	assert_ok!(DinTasks::submit_update(
		RuntimeOrigin::signed(p),
		task,
		round,
		cid(artifact_cid(&bytes(u)).as_bytes()),
		commitment(u),
		u.num_samples,
	));
}

/// [`task_in_aggregation`] before anyone submitted: in Training, panels drawn.
fn task_in_training() -> TaskId {
	task_in_training_with(|_| {})
}

/// [`task_in_training`] of the spec after `change`.
fn task_in_training_with(change: impl FnOnce(&mut pallet_din_tasks::TaskSpecOf<Test>)) -> TaskId {
	let genesis = update([0; 6], 0);
	let arch = model().to_bytes().unwrap();
	let mut spec = spec(1, ScoringRule::Median { threshold: Perbill::from_percent(5) });
	// Long enough to see resends, and duties spread over blocks, within one phase.
	spec.phases.aggregation_commit = 10;
	spec.phases.aggregation_reveal = 10;
	spec.phases.global_commit = 10;
	spec.phases.global_reveal = 10;
	spec.phases.scoring = 10;
	spec.phases.rewarding = 10;
	spec.model = pallet_din_tasks::ModelSpec {
		hash: H256(sha2_256(&arch)),
		architecture: BoundedVec::truncate_from(arch),
	};
	spec.genesis = ModelRef {
		cid: cid(artifact_cid(&bytes(&genesis)).as_bytes()),
		commitment: commitment(&genesis),
	};
	spec.test_set = pallet_din_tasks::TestSetRef {
		commitment: H256(sealed_test_set::median_test_set_commitment(&test_set())),
		encrypted_cid: cid(artifact_cid(&sealed_test_set()).as_bytes()),
		key_hash: H256(sealed_test_set::test_key_hash(&TEST_KEY)),
		proving_key_cid: BoundedVec::new(),
	};
	change(&mut spec);
	let task = create(spec, &PARTICIPANTS);
	run_until(task, TaskPhase::Training);
	sp_io::offchain::local_storage_set(
		StorageKind::PERSISTENT,
		GATEWAYS_KEY,
		&vec![GATEWAY.as_bytes().to_vec()].encode(),
	);
	task
}

/// Let the gateway serve `body` as the artifact `cid`.
fn serve(served: &Shared<BTreeMap<String, Vec<u8>>>, cid: &str, body: Vec<u8>) {
	served.write().insert(format!("{GATEWAY}/artifact/{cid}"), body);
}

/// Serve the updates of `subgroup`, each member's CID answered with `answer(member)`.
fn serve_updates(
	served: &Shared<BTreeMap<String, Vec<u8>>>,
	task: TaskId,
	subgroup: SubgroupIndex,
	answer: impl Fn(AccountId) -> Vec<u8>,
) {
	for member in DinTasks::subgroups_of(task)[subgroup as usize].clone() {
		serve(served, &artifact_cid(&bytes(&update_of(member))), answer(member));
	}
}

/// HTTP requests the worker has made so far.
fn requests(started: &AtomicUsize) -> usize {
	started.load(Ordering::SeqCst)
}

/// Take the transactions in the pool and dispatch each as its signer; returns the calls.
fn dispatch_pool(pool: &Shared<PoolState>) -> Vec<(AccountId, Call<Test>)> {
	let sent: Vec<Vec<u8>> = std::mem::take(&mut pool.write().transactions);
	sent.into_iter()
		.map(|encoded| {
			let xt = Extrinsic::decode(&mut &encoded[..]).expect("a transaction of this runtime");
			let polkadot_sdk::sp_runtime::generic::Preamble::Signed(signer, ..) = xt.preamble
			else {
				panic!("the worker sends signed transactions")
			};
			let RuntimeCall::Evaluation(call) = xt.function else { panic!("an evaluation call") };
			assert_ok!(call.clone().dispatch_bypass_filter(RuntimeOrigin::signed(signer)));
			(signer, call)
		})
		.collect()
}

/// The worker's local record of its aggregate for `subgroup`.
fn aggregate_record(
	task: TaskId,
	subgroup: SubgroupIndex,
	who: AccountId,
) -> Option<CommittedValue<AccountId, u64>> {
	StorageValueRef::persistent(&record_key(b"aggregate", (task, 0u32, subgroup), &who))
		.get()
		.unwrap()
}

/// An evaluator with a seat on one panel only, and that panel's subgroup: the worker's
/// key in these tests, so that its duties are that one subgroup's.
fn lone_seat(task: TaskId) -> (AccountId, SubgroupIndex) {
	let panels: Vec<Vec<AccountId>> = (0..2).map(|s| panel(task, 0, s)).collect();
	EVALUATORS
		.iter()
		.find_map(|e| match (panels[0].contains(e), panels[1].contains(e)) {
			(true, false) => Some((*e, 0)),
			(false, true) => Some((*e, 1)),
			_ => None,
		})
		.expect("the deterministic draw seats someone on one panel only")
}

/// [`task_in_aggregation`] with the worker's keystore holding the key of [`lone_seat`]:
/// `(task, the key's account, its subgroup)`.
fn worker_on_one_panel() -> (TaskId, AccountId, SubgroupIndex) {
	let task = task_in_aggregation();
	let (me, subgroup) = lone_seat(task);
	UintAuthorityId::set_all_keys([me]);
	(task, me, subgroup)
}

/// What an honest panel commits for `subgroup` of `task` when every member submitted
/// [`update_of`] itself: FedAvg of those updates.
fn honest_aggregate_of(task: TaskId, subgroup: SubgroupIndex) -> Update {
	let members = DinTasks::subgroups_of(task)[subgroup as usize].clone();
	let updates: Vec<Update> = members.iter().map(|p| update_of(*p)).collect();
	din_fl::AggregationRule::FedAvg
		.aggregate(&updates.iter().collect::<Vec<_>>())
		.unwrap()
}

fn run_worker() {
	Evaluation::offchain_worker(System::block_number());
}

/// Runs `task`'s aggregation commit phase on to the first block at which a worker no longer
/// waits for a missing update ([`din_fl::duty::waits_for_updates`]).
fn run_past_the_wait_for_updates(task: TaskId) {
	use din_primitives::TaskInspect;
	let terms = <DinTasks as TaskInspect<AccountId, Balance>>::terms(task).unwrap();
	assert_eq!(terms.phase, TaskPhase::AggregationCommit);
	while din_fl::duty::waits_for_updates(
		System::block_number(),
		terms.phase_ends,
		terms.phase_length,
	) {
		run_to(System::block_number() + 1);
	}
}

#[test]
fn the_worker_commits_and_reveals_the_aggregate_a_daemon_would() {
	let OffchainSetup { mut ext, served, pool, .. } = offchain_ext();
	ext.execute_with(|| {
		let (task, me, sg) = worker_on_one_panel();
		serve_updates(&served, task, sg, |p| bytes(&update_of(p)));
		run_worker();

		// Exactly what the daemon computes: FedAvg of the subgroup's updates, named by the
		// store's CID of its encoding, committed with the Poseidon commitment.
		let expected = honest_aggregate_of(task, sg);
		let record =
			aggregate_record(task, sg, me).expect("the commit is recorded before it is sent");
		assert_eq!(record.cid, artifact_cid(&bytes(&expected)).into_bytes());
		assert_eq!(record.commitment, commitment(&expected));
		assert!(record.invalid.is_empty());

		let sent = dispatch_pool(&pool);
		assert_eq!(sent.len(), 1);
		assert!(
			matches!(sent[0], (who, Call::commit_aggregate { subgroup, .. }) if who == me && subgroup == sg)
		);
		assert!(matches!(AggregateVotes::<Test>::get((task, 0, sg), me), Some(Vote::Committed(_))));

		// The vote is on chain: nothing more to do in this phase (and nothing fetched).
		run_to(System::block_number() + 1);
		run_worker();
		assert!(pool.read().transactions.is_empty());

		finish_phase(task);
		run_worker();
		let sent = dispatch_pool(&pool);
		assert!(
			matches!(sent[..], [(_, Call::reveal_aggregate { subgroup, .. })] if subgroup == sg)
		);
		assert!(matches!(
			AggregateVotes::<Test>::get((task, 0, sg), me),
			Some(Vote::Revealed(AggregateReveal { commitment, .. })) if commitment == record.commitment
		));

		// Each vote counted once, for the node's metrics; nothing failed.
		assert_eq!(duty_count("aggregate_commit"), 1);
		assert_eq!(duty_count("aggregate_reveal"), 1);
		assert_eq!(duty_count("failed"), 0);
	});
}

/// Training's end runs in the next block's `on_initialize`, before any transaction, so in
/// its last block the updates are final: the worker commits then (its commit lands in the
/// first block of AggregationCommit), for a subgroup whose commitment sample is every update
/// and only once every update is published; what it commits is what it would commit in the
/// commit phase.
#[test]
fn in_trainings_last_block_the_worker_commits_a_published_small_subgroup_as_in_the_commit_phase() {
	let OffchainSetup { mut ext, served, pool, .. } = offchain_ext();
	ext.execute_with(|| {
		let task = task_in_training();
		let (me, sg) = lone_seat(task);
		UintAuthorityId::set_all_keys([me]);
		for p in PARTICIPANTS {
			submit(task, p, &update_of(p));
		}
		let now = System::block_number();
		assert_eq!(pallet_din_tasks::Tasks::<Test>::get(task).unwrap().phase_ends, now + 1);

		// Not published yet: nothing is judged ahead of the commit phase, nothing recorded,
		// and nothing failed (the commit phase does it).
		run_worker();
		assert!(pool.read().transactions.is_empty());
		assert!(aggregate_record(task, sg, me).is_none());
		assert_eq!(duty_count("failed"), 0);

		serve_updates(&served, task, sg, |p| bytes(&update_of(p)));
		run_worker();
		let expected = honest_aggregate_of(task, sg);
		let record = aggregate_record(task, sg, me).expect("committed a block ahead");
		assert_eq!(record.cid, artifact_cid(&bytes(&expected)).into_bytes());
		assert_eq!(record.commitment, commitment(&expected));

		// It lands in the commit phase's first block (dispatch_pool asserts it is accepted).
		run_to(now + 1);
		assert_eq!(phase(task).0, TaskPhase::AggregationCommit);
		let sent = dispatch_pool(&pool);
		assert!(
			matches!(sent[..], [(who, Call::commit_aggregate { subgroup, .. })] if who == me && subgroup == sg)
		);
	});
}

/// In the last block of AggregationReveal the reveals are final: every worker key commits
/// the global model of the panels' majorities, computed as the settlement will fix them,
/// and the commits land in the first block of GlobalCommit, which they end at once.
#[test]
fn in_the_last_reveal_block_workers_commit_the_global_model_of_the_panels_majorities() {
	let OffchainSetup { mut ext, served, uploads, pool, .. } = offchain_ext();
	ext.execute_with(|| {
		let task = task_in_aggregation();
		UintAuthorityId::set_all_keys(EVALUATORS);
		uploads.store(true, Ordering::SeqCst);
		for sg in 0..2 {
			serve_updates(&served, task, sg, |p| bytes(&update_of(p)));
		}
		work_until_idle(&pool);
		finish_phase(task);
		work_until_idle(&pool);
		let now = System::block_number();
		assert_eq!(phase(task).0, TaskPhase::AggregationReveal);
		assert_eq!(pallet_din_tasks::Tasks::<Test>::get(task).unwrap().phase_ends, now + 1);

		run_worker();
		let voters = round_evaluators(task, 0);
		assert_eq!(pool.read().transactions.len(), voters.len(), "one commit per key");
		run_to(now + 1);
		assert_eq!(phase(task).0, TaskPhase::GlobalCommit);
		let sent = dispatch_pool(&pool);
		assert!(sent.iter().all(|(_, call)| matches!(call, Call::commit_global { .. })));
		assert_eq!(phase(task).0, TaskPhase::GlobalReveal, "every commit in: the phase ended");

		let aggregates: Vec<Update> = (0..2).map(|sg| honest_aggregate_of(task, sg)).collect();
		let expected = din_fl::duty::combine(&din_fl::Sequential, &aggregates).unwrap().unwrap();
		for who in voters {
			let record: CommittedValue<AccountId, u64> =
				StorageValueRef::persistent(&record_key(b"global", (task, 0u32), &who))
					.get()
					.unwrap()
					.expect("committed");
			assert_eq!(record.commitment, commitment(&expected));
		}
	});
}

/// A node whose keystore holds several evaluators fetches and aggregates each subgroup once
/// and combines the round's global model once: every key still commits for itself (under
/// its own `random_seed` salt; the test node's seed is fixed) to the same value.
#[test]
fn several_local_keys_on_a_panel_share_one_aggregation() {
	let OffchainSetup { mut ext, started, served, uploads, pool, .. } = offchain_ext();
	ext.execute_with(|| {
		let task = task_in_aggregation();
		UintAuthorityId::set_all_keys(EVALUATORS);
		uploads.store(true, Ordering::SeqCst);
		for sg in 0..2 {
			serve_updates(&served, task, sg, |p| bytes(&update_of(p)));
		}
		run_worker();
		assert_eq!(requests(&started), PARTICIPANTS.len(), "each update fetched once");
		let sent = dispatch_pool(&pool);
		for sg in 0..2 {
			let seats = panel(task, 0, sg);
			assert!(seats.len() > 1, "the draw seats several local keys on panel {sg}");
			let commits = sent
				.iter()
				.filter(
					|(_, call)| matches!(call, Call::commit_aggregate { subgroup, .. } if *subgroup == sg),
				)
				.count();
			assert_eq!(commits, seats.len(), "every key on panel {sg} commits");
			let records: Vec<_> =
				seats.iter().map(|who| aggregate_record(task, sg, *who).unwrap()).collect();
			assert!(records.iter().all(|r| (&r.cid, &r.commitment, &r.invalid)
				== (&records[0].cid, &records[0].commitment, &records[0].invalid)));
		}

		finish_phase(task);
		work_until_idle(&pool);
		finish_phase(task);
		assert_eq!(phase(task).0, TaskPhase::GlobalCommit);
		let before = requests(&started);
		run_worker();
		let global_commits = dispatch_pool(&pool)
			.iter()
			.filter(|(_, call)| matches!(call, Call::commit_global { .. }))
			.count();
		assert_eq!(global_commits, RoundEvaluators::<Test>::get(task, 0).len());
		assert_eq!(requests(&started) - before, 2, "each accepted aggregate fetched once");
	});
}

/// How often the worker counted `duty` (its metric's source).
fn duty_count(duty: &str) -> u64 {
	let key = [din_primitives::OFFCHAIN_WORKER_DUTY_PREFIX, duty.as_bytes()].concat();
	StorageValueRef::persistent(&key).get::<u64>().ok().flatten().unwrap_or(0)
}

#[test]
fn an_update_whose_bytes_do_not_match_its_cid_is_marked_invalid() {
	let OffchainSetup { mut ext, served, pool, .. } = offchain_ext();
	ext.execute_with(|| {
		let (task, me, sg) = worker_on_one_panel();
		let members = DinTasks::subgroups_of(task)[sg as usize].clone();
		let (cheat, honest) = (members[0], members[1]);
		// The gateway serves the honest member's bytes under the cheater's CID.
		serve_updates(&served, task, sg, |_| bytes(&update_of(honest)));
		run_past_the_wait_for_updates(task);
		run_worker();

		let record = aggregate_record(task, sg, me).unwrap();
		assert_eq!(record.invalid, vec![cheat]);
		let alone = din_fl::AggregationRule::FedAvg.aggregate(&[&update_of(honest)]).unwrap();
		assert_eq!(record.commitment, commitment(&alone));
		assert!(matches!(dispatch_pool(&pool)[..], [(_, Call::commit_aggregate { .. })]));

		finish_phase(task);
		run_worker();
		let sent = dispatch_pool(&pool);
		assert!(matches!(&sent[..], [(_, Call::reveal_aggregate { invalid, .. })] if invalid.to_vec() == vec![cheat]));
	});
}

/// The `din evaluator` daemon's commitment function, `commitment_of` in din-cli's
/// `common.rs`: `din_zk::commitment`, which re-exports `din_zk_verifier::commitment`. It is
/// restated here, since no pallet may depend on a client crate.
fn daemons_commitment_of(values: &[i32]) -> H256 {
	use din_zk_verifier::commitment::{model_commitment, to_bytes};
	H256(to_bytes(&model_commitment(values)))
}

#[test]
fn forged_swapped_and_missing_updates_are_invalid_to_the_worker_as_to_the_daemon() {
	let schema = model().schema().unwrap();
	let honest = |u: &Update| FetchedUpdate {
		bytes: Ok(bytes(u)),
		commitment: commitment(u),
		author: u.author,
		num_samples: u.num_samples,
		stale: None,
	};
	let updates: Vec<Update> = (1..=8).map(update_of).collect();
	let mut fetched: Vec<FetchedUpdate> = updates[..5].iter().map(honest).collect();
	// Positions 0, 2, 4, 6: a forged sample count, bytes swapped after the commitment,
	// bytes that are no update, an update no gateway has.
	let mut forged = honest(&updates[5]);
	forged.num_samples -= 1;
	let mut swapped = honest(&updates[6]);
	swapped.commitment = commitment(&updates[0]);
	let mut garbage = honest(&updates[7]);
	garbage.bytes = Ok(b"DINU".to_vec());
	let missing = FetchedUpdate {
		bytes: Err(din_fl::Rejection::Unavailable("no store gateway has bytes of its CID".into())),
		commitment: commitment(&updates[1]),
		author: updates[1].author,
		num_samples: updates[1].num_samples,
		stale: None,
	};
	for (position, attack) in [(0, forged), (2, swapped), (4, garbage), (6, missing)] {
		fetched.insert(position, attack);
	}
	for rule in [
		din_fl::AggregationRule::FedAvg,
		din_fl::AggregationRule::Median,
		din_fl::AggregationRule::Krum { f: 1 },
		din_fl::AggregationRule::CenteredClipping { tau: 1_000, iterations: 3 },
	] {
		// Every commitment checked, and a drawn sample (eight of the nine: one unchecked).
		let drawn = CommitmentSample::drawn(&[5; 32], 0, fetched.len());
		let all = CommitmentSample::all(fetched.len());
		let [_, (aggregate, rejected)] = [&drawn, &all].map(|sample| {
			let worker = aggregate_fetched::<Test>(&rule, &schema, &fetched, sample, None).unwrap();
			let daemon = din_fl::duty::aggregate_subgroup(
				&din_fl::Sequential,
				&rule,
				&schema,
				&fetched,
				sample,
				None,
				daemons_commitment_of,
			)
			.unwrap();
			assert_eq!(worker, daemon, "{rule:?}");
			worker
		});
		assert!(aggregate.is_some(), "{rule:?}: five valid updates");
		let positions: Vec<usize> = rejected.iter().map(|(index, _)| *index).collect();
		assert_eq!(positions, vec![0, 2, 4, 6], "{rule:?}");
	}
}

#[test]
fn in_a_private_task_the_worker_judges_an_unprivatized_update_invalid_and_aggregates_the_rest() {
	let OffchainSetup { mut ext, served, pool, .. } = offchain_ext();
	ext.execute_with(|| {
		// Clip norm 1, σ 0.1: a delta within about 2.1 real units passes. The participants'
		// updates move at most 0.3 from the genesis model; one moves forty times as far as
		// its own would, as an update published without clipping can.
		let policy = din_primitives::PrivacyPolicy {
			clip_norm_milli: 1_000,
			noise_multiplier_milli: 100,
			delta_exponent: 5,
			epsilon_budget_milli: 1_000_000,
		};
		let task = task_in_training_with(|spec| spec.privacy = Some(policy));
		let (me, subgroup) = lone_seat(task);
		let members = DinTasks::subgroups_of(task)[subgroup as usize].clone();
		let unprivatized = members[0];
		let published = |p: AccountId| {
			let mut u = update_of(p);
			if p == unprivatized {
				u.values.iter_mut().for_each(|v| *v *= 40);
			}
			u
		};
		for p in PARTICIPANTS {
			submit(task, p, &published(p));
		}
		finish_phase(task);
		UintAuthorityId::set_all_keys([me]);
		let genesis = update([0; 6], 0);
		serve(&served, &artifact_cid(&bytes(&genesis)), bytes(&genesis));
		for p in &members {
			serve(&served, &artifact_cid(&bytes(&published(*p))), bytes(&published(*p)));
		}

		run_worker();

		let record = aggregate_record(task, subgroup, me).expect("the duty is done");
		assert_eq!(record.invalid, vec![unprivatized]);
		let rest: Vec<Update> = members[1..].iter().map(|p| update_of(*p)).collect();
		let fedavg = din_fl::AggregationRule::FedAvg.aggregate(&rest.iter().collect::<Vec<_>>());
		assert_eq!(record.commitment, commitment(&fedavg.unwrap()));
		assert!(matches!(dispatch_pool(&pool)[..], [(_, Call::commit_aggregate { .. })]));
	});
}

/// A secure-aggregation subgroup of four, one of which uploads its masked update and hands
/// over nothing: from the uploads at the gateway and the chain's record of the round, the
/// worker unmasks what a plain FedAvg of the four updates gives, bit for bit.
#[test]
fn in_a_secure_task_the_worker_unmasks_the_subgroups_fedavg_without_the_dropouts_hand_over() {
	use din_secagg::{
		artifact::MaskedUpdate,
		duty::masked_commitment,
		keys::KeyPair,
		member::{threshold, Member},
		unmask::Handover,
		Context,
	};
	use rand_chacha::{rand_core::SeedableRng, ChaCha20Rng};
	let OffchainSetup { mut ext, served, pool, .. } = offchain_ext();
	ext.execute_with(|| {
		let rng = &mut ChaCha20Rng::seed_from_u64(31);
		let task = task_in_training_with(|spec| {
			spec.aggregation = din_primitives::AggregationRule::SecureFedAvg;
			spec.subgroup_size = 4;
			spec.phases.training = 9;
		});
		let (me, subgroup) = lone_seat(task);
		let members = DinTasks::subgroups_of(task)[subgroup as usize].clone();
		// Share keys from before the round (as `din participant run` registers them).
		let share_keys: Vec<KeyPair> = members.iter().map(|_| KeyPair::generate(rng)).collect();
		for (who, keys) in members.iter().zip(&share_keys) {
			pallet_din_tasks::ShareKeys::<Test>::insert(task, who, (keys.public(), 0));
		}
		let share_publics: Vec<[u8; 32]> = share_keys.iter().map(KeyPair::public).collect();
		let context = Context { task, round: 0, subgroup };
		let mut round: Vec<Member> = Vec::new();
		for (i, who) in members.iter().enumerate() {
			let keys = KeyPair::from_secret(share_keys[i].secret());
			let mut member = Member::new(context, i as u32, keys, rng);
			let sealed = member
				.seal_shares(&share_publics, threshold(4), rng)
				.unwrap()
				.into_iter()
				.map(|(_, b)| b.try_into().unwrap())
				.collect::<Vec<_>>();
			assert_ok!(DinTasks::advertise_round_key(
				RuntimeOrigin::signed(*who),
				task,
				0,
				member.public(),
				member.self_seed_commitment(),
				BoundedVec::truncate_from(sealed),
			));
			round.push(member);
		}
		let publics: Vec<(u32, [u8; 32])> = round.iter().map(|m| (m.me(), m.public())).collect();
		for (member, who) in round.iter().zip(&members) {
			let plain = update_of(*who);
			let artifact = MaskedUpdate {
				schema_hash: plain.schema_hash,
				author: plain.author,
				num_samples: plain.num_samples,
				words: member.mask(&plain.values, plain.num_samples, &publics).unwrap(),
			}
			.encode();
			let cid_string = artifact_cid(&artifact);
			assert_ok!(DinTasks::submit_update(
				RuntimeOrigin::signed(*who),
				task,
				0,
				cid(cid_string.as_bytes()),
				H256(masked_commitment(&artifact)),
				plain.num_samples,
			));
			serve(&served, &cid_string, artifact);
		}
		// The last member drops out: the other three hand over.
		let sealed_for = |from: usize, to: u32| {
			let key = pallet_din_tasks::RoundKeys::<Test>::get((task, 0), members[from]).unwrap();
			(from as u32, key.sealed_for(to).unwrap().to_vec())
		};
		for (i, member) in round.iter().enumerate().take(3) {
			let received: Vec<(u32, Vec<u8>)> =
				(0..4).filter(|j| *j != i).map(|j| sealed_for(j, i as u32)).collect();
			let (handed, unopened) = member
				.hand_over(&share_publics, &received, &[0, 1, 2, 3], &[0, 1, 2, 3])
				.unwrap();
			assert!(unopened.is_empty());
			let shares = handed
				.into_iter()
				.map(|h| pallet_din_tasks::HandedShare {
					owner: h.owner,
					share: match h.share {
						Handover::SelfSeed(s) | Handover::KeySecret(s) => s.y,
					},
				})
				.collect::<Vec<_>>();
			assert_ok!(DinTasks::hand_over_shares(
				RuntimeOrigin::signed(members[i]),
				task,
				0,
				BoundedVec::truncate_from(shares),
			));
		}
		finish_phase(task);
		UintAuthorityId::set_all_keys([me]);

		run_worker();

		let record = aggregate_record(task, subgroup, me).expect("the duty is done");
		assert!(record.invalid.is_empty());
		let plain: Vec<Update> = members.iter().map(|p| update_of(*p)).collect();
		let fedavg = din_fl::AggregationRule::FedAvg.aggregate(&plain.iter().collect::<Vec<_>>());
		assert_eq!(record.commitment, commitment(&fedavg.unwrap()));
		assert!(matches!(dispatch_pool(&pool)[..], [(_, Call::commit_aggregate { .. })]));
	});
}

#[test]
fn a_gateway_timeout_skips_the_duty_until_a_later_block() {
	let OffchainSetup { mut ext, served, gateway_down, pool, .. } = offchain_ext();
	ext.execute_with(|| {
		let (task, me, sg) = worker_on_one_panel();
		serve_updates(&served, task, sg, |p| bytes(&update_of(p)));
		gateway_down.store(true, Ordering::SeqCst);
		run_worker();
		// Nothing judged, recorded or sent: the participant is not blamed for our gateway.
		assert!(pool.read().transactions.is_empty());
		assert_eq!(aggregate_record(task, sg, me), None);
		assert_eq!(AggregateVotes::<Test>::get((task, 0, sg), me), None);

		// The gateway is back a block later: the duty is done then, with every update valid.
		gateway_down.store(false, Ordering::SeqCst);
		run_to(System::block_number() + 1);
		run_worker();
		assert!(aggregate_record(task, sg, me).unwrap().invalid.is_empty());
		assert!(matches!(dispatch_pool(&pool)[..], [(_, Call::commit_aggregate { .. })]));
	});
}

#[test]
fn a_copy_is_invalid_whichever_block_it_lands_in_and_so_is_the_model_trained_from() {
	let OffchainSetup { mut ext, served, pool, .. } = offchain_ext();
	ext.execute_with(|| {
		let task = task_in_training();
		let (me, sg) = lone_seat(task);
		let subgroups = DinTasks::subgroups_of(task);
		let (copier, original) = (subgroups[sg as usize][0], subgroups[sg as usize][1]);
		let idler = subgroups[1 - sg as usize][0];
		// A second key on the idler's panel, to see that subgroup judged too.
		let other = panel(task, 0, 1 - sg)[0];
		UintAuthorityId::set_all_keys([me, other]);
		// The copier takes the original's update from the pool and gets it in a block
		// ahead of the original; the idler resubmits the genesis model it was to train from.
		submit(task, copier, &update_of(original));
		run_to(System::block_number() + 1);
		for p in PARTICIPANTS.into_iter().filter(|p| *p != copier && *p != idler) {
			submit(task, p, &update_of(p));
		}
		submit(task, idler, &update([0; 6], 5));
		// Every update is fetchable and would pass every other check of its bytes (the copy
		// is the original's own artifact). The genesis model is there for a subgroup
		// without a valid update to carry over.
		for u in PARTICIPANTS
			.map(update_of)
			.into_iter()
			.chain([update([0; 6], 5), update([0; 6], 0)])
		{
			serve(&served, &artifact_cid(&bytes(&u)), bytes(&u));
		}
		finish_phase(task);

		run_worker();
		let record = aggregate_record(task, sg, me).expect("committed");
		assert_eq!(record.invalid, vec![copier], "the copy names its original's author");
		let alone = din_fl::AggregationRule::FedAvg.aggregate(&[&update_of(original)]).unwrap();
		assert_eq!(record.commitment, commitment(&alone), "the original, a block later, counts");
		let record = aggregate_record(task, 1 - sg, other).expect("committed");
		assert!(record.invalid.contains(&idler));
		assert!(dispatch_pool(&pool)
			.iter()
			.all(|(_, call)| matches!(call, Call::commit_aggregate { .. })));
	});
}

/// Participants publish once Training has closed: an update missing at the first blocks of
/// the commit phase is waited for, and counts once it arrives; one still missing when the
/// wait is over is invalid.
#[test]
fn a_missing_update_is_waited_for_through_half_the_commit_phase() {
	let OffchainSetup { mut ext, served, pool, .. } = offchain_ext();
	ext.execute_with(|| {
		let (task, me, sg) = worker_on_one_panel();
		let members = DinTasks::subgroups_of(task)[sg as usize].clone();
		let (late, never) = (members[0], members[1]);
		run_worker();
		assert!(pool.read().transactions.is_empty(), "nothing published yet: waits");
		assert_eq!(aggregate_record(task, sg, me), None);

		run_to(System::block_number() + 1);
		serve(&served, &artifact_cid(&bytes(&update_of(late))), bytes(&update_of(late)));
		run_worker();
		assert!(pool.read().transactions.is_empty(), "one update still missing: waits");

		run_past_the_wait_for_updates(task);
		run_worker();
		let record = aggregate_record(task, sg, me).expect("committed once the wait is over");
		assert_eq!(record.invalid, vec![never]);
		let alone = din_fl::AggregationRule::FedAvg.aggregate(&[&update_of(late)]).unwrap();
		assert_eq!(record.commitment, commitment(&alone), "the late update counts");
		assert!(matches!(dispatch_pool(&pool)[..], [(_, Call::commit_aggregate { .. })]));
	});
}

#[test]
fn a_missing_update_is_invalid_only_once_every_gateway_answered_that_it_has_none() {
	let OffchainSetup { mut ext, served, second_gateway_down, pool, .. } = offchain_ext();
	ext.execute_with(|| {
		let (task, me, sg) = worker_on_one_panel();
		sp_io::offchain::local_storage_set(
			StorageKind::PERSISTENT,
			GATEWAYS_KEY,
			&vec![GATEWAY.as_bytes().to_vec(), SECOND_GATEWAY.as_bytes().to_vec()].encode(),
		);
		// Every update of the subgroup is served but one, which nobody has.
		let absent = DinTasks::subgroups_of(task)[sg as usize][0];
		serve_updates(&served, task, sg, |p| bytes(&update_of(p)));
		served
			.write()
			.remove(&format!("{GATEWAY}/artifact/{}", artifact_cid(&bytes(&update_of(absent)))));
		second_gateway_down.store(true, Ordering::SeqCst);
		run_worker();
		// One gateway's 404 while another could not be asked decides nothing.
		assert!(pool.read().transactions.is_empty());
		assert_eq!(aggregate_record(task, sg, me), None);

		// Both answer later, once the participant has had its time to publish, and neither
		// has it: now it is invalid.
		second_gateway_down.store(false, Ordering::SeqCst);
		run_to(System::block_number() + 1);
		run_past_the_wait_for_updates(task);
		run_worker();
		assert_eq!(aggregate_record(task, sg, me).unwrap().invalid, vec![absent]);
		assert!(matches!(dispatch_pool(&pool)[..], [(_, Call::commit_aggregate { .. })]));
	});
}

#[test]
fn a_committed_aggregate_is_withheld_until_the_reveal_and_published_before_it() {
	let OffchainSetup { mut ext, served, uploads, uploads_down, pool, .. } = offchain_ext();
	ext.execute_with(|| {
		let (task, me, sg) = worker_on_one_panel();
		serve_updates(&served, task, sg, |p| bytes(&update_of(p)));
		uploads.store(true, Ordering::SeqCst);
		run_worker();
		// Committed, and nowhere a lazy panel member could fetch it from.
		assert!(matches!(dispatch_pool(&pool)[..], [(_, Call::commit_aggregate { .. })]));
		let record = aggregate_record(task, sg, me).expect("committed");
		let uri = format!("{GATEWAY}/artifact/{}", String::from_utf8(record.cid).unwrap());
		assert!(!served.read().contains_key(&uri), "published before the commit phase closed");

		// In the reveal phase an upload gateway that cannot be reached holds the reveal:
		// revealing a CID nobody can fetch would leave the round evaluators without it.
		finish_phase(task);
		uploads_down.store(true, Ordering::SeqCst);
		run_worker();
		assert!(pool.read().transactions.is_empty());

		uploads_down.store(false, Ordering::SeqCst);
		run_to(System::block_number() + 1);
		run_worker();
		assert!(served.read().contains_key(&uri), "published before the reveal");
		assert_eq!(duty_count("upload"), 1, "one signed upload, which the gateway stored");
		assert!(matches!(dispatch_pool(&pool)[..], [(_, Call::reveal_aggregate { .. })]));
	});
}

#[test]
fn a_restart_between_commit_and_reveal_reveals_what_was_committed() {
	let OffchainSetup { mut ext, offchain, started, served, pool, .. } = offchain_ext();
	ext.execute_with(|| {
		let (task, me, sg) = worker_on_one_panel();
		serve_updates(&served, task, sg, |p| bytes(&update_of(p)));
		run_worker();
		let committed = aggregate_record(task, sg, me).unwrap();
		let fetched = requests(&started);

		// The node stops before its commit reaches a block, and restarts (a worker keeps
		// nothing in memory; persistent offchain storage survives). Within RESEND_AFTER
		// blocks it does not send again; after that it resends the same commit, without
		// fetching or aggregating anew.
		pool.write().transactions.clear();
		run_to(System::block_number() + 1);
		run_worker();
		assert!(pool.read().transactions.is_empty());
		let commit_phase_ends = pallet_din_tasks::Tasks::<Test>::get(task).unwrap().phase_ends;
		assert!(
			System::block_number() + RESEND_AFTER as u64 - 1 < commit_phase_ends,
			"the test phase is long enough"
		);
		run_to(System::block_number() + RESEND_AFTER as u64 - 1);
		offchain.write().seed = [0xAB; 32]; // a different salt would be drawn now
		run_worker();
		assert!(matches!(dispatch_pool(&pool)[..], [(_, Call::commit_aggregate { .. })]));
		assert_eq!(aggregate_record(task, sg, me).unwrap().salt, committed.salt);
		assert_eq!(requests(&started), fetched);

		// Another restart, in the reveal phase: the reveal opens the commit (the pallet
		// checks the hash), and nothing is committed twice.
		finish_phase(task);
		run_worker();
		assert!(matches!(dispatch_pool(&pool)[..], [(_, Call::reveal_aggregate { .. })]));
		run_to(System::block_number() + 1);
		run_worker();
		assert!(pool.read().transactions.is_empty());
	});
}

#[test]
fn overlapping_worker_runs_never_replace_a_committed_salt() {
	let OffchainSetup { mut ext, served, pool, .. } = offchain_ext();
	ext.execute_with(|| {
		let (task, me, sg) = worker_on_one_panel();
		serve_updates(&served, task, sg, |p| bytes(&update_of(p)));
		run_worker();
		let committed = aggregate_record(task, sg, me).unwrap();
		assert!(matches!(dispatch_pool(&pool)[..], [(_, Call::commit_aggregate { .. })]));

		// A second run read the record's slot while it was still empty (the first run
		// outlived its lock), aggregated too, and now stores its value with another salt.
		let key = record_key(b"aggregate", (task, 0u32, sg), &me);
		let stored = StorageValueRef::persistent(&key);
		let racing = CommittedValue { salt: [0xAB; 32], ..committed.clone() };
		assert_eq!(record_once(&stored, racing), None, "the run that lost the race sends nothing");
		assert_eq!(aggregate_record(task, sg, me).unwrap(), committed);

		// The reveal opens the commit on chain (the pallet checks the hash against the salt).
		finish_phase(task);
		run_worker();
		assert!(matches!(dispatch_pool(&pool)[..], [(_, Call::reveal_aggregate { .. })]));
		assert!(matches!(
			AggregateVotes::<Test>::get((task, 0, sg), me),
			Some(crate::Vote::Revealed(_))
		));
	});
}

#[test]
fn the_worker_stays_out_of_tasks_whose_model_is_over_the_bound() {
	let OffchainSetup { mut ext, pool, .. } = offchain_ext();
	ext.execute_with(|| {
		let (task, me, sg) = worker_on_one_panel();
		// 4096 inputs × 10 classes: 40 970 values, over the mock's bound of 1 024.
		let big = ModelSpec::SoftmaxRegression { inputs: 4096, classes: 10 }.to_bytes().unwrap();
		pallet_din_tasks::Tasks::<Test>::mutate(task, |info| {
			let info = info.as_mut().unwrap();
			info.spec.model.architecture = BoundedVec::truncate_from(big);
		});
		run_worker();
		assert!(pool.read().transactions.is_empty());
		assert_eq!(aggregate_record(task, sg, me), None);
	});
}

/// Runs the worker for every block until the pool stays empty, dispatching what it sends
/// (the fetch budget spreads a duty over blocks), or until the votes sent close their phase
/// at the next block; returns everything sent.
fn work_until_idle(pool: &Shared<PoolState>) -> Vec<(AccountId, Call<Test>)> {
	let mut sent = Vec::new();
	for _ in 0..20 {
		let before = System::events().len();
		run_worker();
		let now = dispatch_pool(pool);
		if now.is_empty() && !sent.is_empty() {
			return sent;
		}
		sent.extend(now);
		// The last expected vote ended the phase (in this block or at the next).
		let closed_early = System::events()[before..].iter().any(|r| {
			matches!(
				r.event,
				RuntimeEvent::DinTasks(pallet_din_tasks::Event::PhaseClosedEarly { .. })
			)
		});
		if closed_early {
			return sent;
		}
		run_to(System::block_number() + 1);
	}
	panic!("the worker is still busy after 20 blocks");
}

/// Workers alone (every evaluator is a worker of this node, and only their uploads make the
/// aggregates they agree on fetchable) run a median-scored task's round to its Scoring phase.
fn workers_run_a_round_to_scoring(
	served: &Shared<BTreeMap<String, Vec<u8>>>,
	uploads: &AtomicBool,
	pool: &Shared<PoolState>,
) -> TaskId {
	let task = task_in_aggregation();
	UintAuthorityId::set_all_keys(EVALUATORS);
	uploads.store(true, Ordering::SeqCst);
	for sg in 0..2 {
		serve_updates(served, task, sg, |p| bytes(&update_of(p)));
	}
	let aggregate_of = |sg: SubgroupIndex| honest_aggregate_of(task, sg);
	work_until_idle(pool);
	finish_phase(task);
	work_until_idle(pool);
	finish_phase(task);
	assert_eq!(phase(task).0, TaskPhase::GlobalCommit);
	for sg in 0..2 {
		let Some(SubgroupResult::Accepted(reveal)) = SubgroupResults::<Test>::get(task, (0, sg))
		else {
			panic!("subgroup {sg} accepted")
		};
		// The workers uploaded what they agreed on, under the CID they revealed.
		let cid = artifact_cid(&bytes(&aggregate_of(sg)));
		assert_eq!(reveal.cid.to_vec(), cid.as_bytes());
		assert_eq!(
			served.read().get(&format!("{GATEWAY}/artifact/{cid}")),
			Some(&bytes(&aggregate_of(sg)))
		);
	}
	work_until_idle(pool);
	finish_phase(task);
	work_until_idle(pool);
	finish_phase(task);
	assert!(GlobalModels::<Test>::contains_key(task, 0));
	assert_eq!(phase(task).0, TaskPhase::Scoring);
	task
}

/// Workers alone (every evaluator is a worker of this node) run round 0 of a two-round task
/// and round 1's aggregation. Round 1 starts as round 0's subgroups settle; with their round-1
/// aggregates the workers vote on round 0's global model, which they combine from round 0's
/// accepted aggregates as a daemon does (`duty::combine`), upload before their reveals and
/// the chain fixes unanimously when round 1 settles; every round-1 update was checked
/// against that model (none is the model itself), and nobody is slashed.
#[test]
fn workers_vote_on_the_previous_rounds_global_model_with_their_aggregates() {
	let OffchainSetup { mut ext, served, uploads, pool, .. } = offchain_ext();
	ext.execute_with(|| {
		let task = task_in_training_with(|spec| spec.rounds = 2);
		for p in PARTICIPANTS {
			submit(task, p, &update_of(p));
		}
		finish_phase(task);
		UintAuthorityId::set_all_keys(EVALUATORS);
		uploads.store(true, Ordering::SeqCst);
		for sg in 0..2 {
			serve_updates(&served, task, sg, |p| bytes(&update_of(p)));
		}
		let aggregates = [honest_aggregate_of(task, 0), honest_aggregate_of(task, 1)];
		let global = din_fl::duty::combine(&din_fl::Sequential, &aggregates)
			.unwrap()
			.expect("weight");
		work_until_idle(&pool);
		finish_phase(task);
		work_until_idle(&pool);
		finish_phase(task);
		run_until(task, TaskPhase::Training);
		assert_eq!(phase(task).1, 1);
		assert_eq!(PipelinedGlobal::<Test>::get(task), Some(0));
		assert_eq!(GlobalModels::<Test>::get(task, 0), None, "voted on in round 1");

		for p in PARTICIPANTS {
			submit_in(task, 1, p, &update_of(p));
		}
		finish_phase(task);
		let commits = work_until_idle(&pool);
		assert!(commits.iter().all(|(_, call)| matches!(call, Call::commit_aggregate { .. })));
		finish_phase(task);
		let global_cid = artifact_cid(&bytes(&global));
		let expected = ModelRef {
			cid: cid(global_cid.as_bytes()),
			commitment: <Test as Config>::Verifier::model_commitment(&global.values),
		};
		let reveals = work_until_idle(&pool);
		assert!(!reveals.is_empty());
		for (_, call) in &reveals {
			let Call::reveal_aggregate { previous_global, invalid, .. } = call else {
				panic!("a reveal: {call:?}")
			};
			assert_eq!(previous_global.as_ref(), Some(&expected));
			assert!(invalid.is_empty(), "no round-1 update is the model it trained from");
		}
		assert_eq!(
			served.read().get(&format!("{GATEWAY}/artifact/{global_cid}")),
			Some(&bytes(&global)),
			"the voted model is uploaded under its CID before the reveals"
		);
		finish_phase(task);
		assert_eq!(GlobalModels::<Test>::get(task, 0), Some(expected));
		let slashed = System::events().into_iter().any(|r| {
			matches!(r.event, RuntimeEvent::Staking(pallet_din_staking::Event::Slashed { .. }))
		});
		assert!(!slashed, "every worker voted with the majority");
		assert_eq!(phase(task).0, TaskPhase::GlobalCommit, "round 1 is the last");
	});
}

/// FedAvg of the updates of `subgroup` in `round` that their members submitted, each as
/// `as_aggregated(member)` (none submitted: `None`).
fn aggregate_of_submitted(
	task: TaskId,
	round: RoundIndex,
	subgroup: SubgroupIndex,
	as_aggregated: impl Fn(AccountId) -> Update,
) -> Option<Update> {
	use din_primitives::TaskInspect;
	let members = DinTasks::subgroups_of(task)[subgroup as usize].clone();
	let updates: Vec<Update> = members
		.into_iter()
		.filter(|p| DinTasks::update(task, round, p).is_some())
		.map(as_aggregated)
		.collect();
	(!updates.is_empty()).then(|| {
		din_fl::AggregationRule::FedAvg
			.aggregate(&updates.iter().collect::<Vec<_>>())
			.unwrap()
	})
}

/// An asynchronous task whose slow participant misses round 0's buffer and submits in
/// round 1 the update it trained from the genesis model: the workers check it against the
/// genesis model, not round 1's, and aggregate its delta on round 1's model with its
/// staleness weight (`duty::rebase`), as a daemon does; round 1's panels agree on that,
/// the update is accepted and nobody is slashed.
#[test]
fn workers_rebase_a_stale_update_onto_its_rounds_model_as_a_daemon_does() {
	let OffchainSetup { mut ext, served, uploads, pool, .. } = offchain_ext();
	ext.execute_with(|| {
		let slow = 13;
		let task = task_in_training_with(|spec| {
			spec.rounds = 2;
			spec.pacing = pallet_din_tasks::Pacing::Asynchronous { buffer: 3, max_staleness: 1 };
		});
		for p in [10, 11, 12] {
			submit(task, p, &update_of(p));
		}
		finish_phase(task);
		assert_eq!(phase(task), (TaskPhase::AggregationCommit, 0), "the buffer is full");
		UintAuthorityId::set_all_keys(EVALUATORS);
		uploads.store(true, Ordering::SeqCst);
		for sg in 0..2 {
			serve_updates(&served, task, sg, |p| bytes(&update_of(p)));
		}
		let genesis = update([0; 6], 0);
		serve(&served, &artifact_cid(&bytes(&genesis)), bytes(&genesis));
		let round_0: Vec<Update> =
			(0..2).filter_map(|sg| aggregate_of_submitted(task, 0, sg, update_of)).collect();
		let global = din_fl::duty::combine(&din_fl::Sequential, &round_0).unwrap().unwrap();
		work_until_idle(&pool);
		finish_phase(task);
		work_until_idle(&pool);
		finish_phase(task);
		run_until(task, TaskPhase::Training);
		assert_eq!(phase(task).1, 1);

		// The slow update, trained from the genesis model, and two fresh ones fill round 1.
		let stale = update_of(slow);
		assert_ok!(DinTasks::submit_stale_update(
			RuntimeOrigin::signed(slow),
			task,
			1,
			0,
			cid(artifact_cid(&bytes(&stale)).as_bytes()),
			commitment(&stale),
			stale.num_samples,
		));
		let fresh: Vec<AccountId> = [10, 11, 12]
			.into_iter()
			.filter(|p| DinTasks::subgroups_of(task).iter().any(|g| g.contains(p)))
			.take(2)
			.collect();
		for p in &fresh {
			submit_in(task, 1, *p, &update_of(*p));
		}
		finish_phase(task);
		assert_eq!(phase(task), (TaskPhase::AggregationCommit, 1));
		let rebased = din_fl::duty::rebase(&stale, &genesis, &global, 1);
		assert_ne!(rebased.values, stale.values);
		let as_aggregated = |p: AccountId| if p == slow { rebased.clone() } else { update_of(p) };
		let expected: Vec<Option<H256>> = (0..2)
			.map(|sg| aggregate_of_submitted(task, 1, sg, as_aggregated).map(|a| commitment(&a)))
			.collect();
		let slow_subgroup = DinTasks::subgroups_of(task)
			.iter()
			.position(|g| g.contains(&slow))
			.expect("assigned in round 1") as SubgroupIndex;
		work_until_idle(&pool);
		finish_phase(task);
		let reveals = work_until_idle(&pool);
		let mut seen = 0;
		for (_, call) in &reveals {
			let Call::reveal_aggregate { subgroup, commitment, invalid, .. } = call else {
				panic!("a reveal: {call:?}")
			};
			assert!(invalid.is_empty(), "the stale update is valid");
			if let Some(expected) = expected[*subgroup as usize] {
				assert_eq!(*commitment, expected, "subgroup {subgroup}");
			}
			seen += usize::from(*subgroup == slow_subgroup);
		}
		assert!(seen > 0, "the slow participant's panel revealed");
		finish_phase(task);
		assert!(matches!(
			SubgroupResults::<Test>::get(task, (1, slow_subgroup)),
			Some(SubgroupResult::Accepted(_))
		));
		let slashed = System::events().into_iter().any(|r| {
			matches!(r.event, RuntimeEvent::Staking(pallet_din_staking::Event::Slashed { .. }))
		});
		assert!(!slashed, "every worker agreed");
	});
}

#[test]
fn workers_alone_run_a_median_scored_round_and_report_what_the_reference_evaluator_counts() {
	let OffchainSetup { mut ext, served, uploads, pool, .. } = offchain_ext();
	ext.execute_with(|| {
		let task = workers_run_a_round_to_scoring(&served, &uploads, &pool);

		// Nothing to score before the key is out; then every scorer commits, and reveals
		// once Rewarding starts.
		run_worker();
		assert!(pool.read().transactions.is_empty());
		release_key(task);
		serve(&served, &artifact_cid(&sealed_test_set()), sealed_test_set());
		serve(&served, &artifact_cid(&bytes(&update([0; 6], 0))), bytes(&update([0; 6], 0)));
		let sent = work_until_idle(&pool);
		assert!(sent.iter().all(|(_, call)| matches!(call, Call::commit_score { .. })));
		assert!(Reports::<Test>::iter_prefix(task)
			.all(|(_, reports)| reports.iter().all(|(_, v)| matches!(v, Vote::Committed(_)))));
		run_until(task, TaskPhase::Rewarding);
		let sent = work_until_idle(&pool);
		assert!(sent.iter().all(|(_, call)| matches!(call, Call::reveal_score { .. })));

		let scores: Vec<Perbill> =
			PARTICIPANTS.iter().map(|p| accuracy(&update_of(*p).values)).collect();
		assert!(scores.iter().any(|s| *s != scores[0]), "the test set tells the models apart");
		for (participant, expected) in PARTICIPANTS.iter().zip(scores) {
			let subgroup = DinTasks::subgroups_of(task)
				.iter()
				.position(|g| g.contains(participant))
				.unwrap();
			let target = ScoreTarget::Update { round: 0, participant: *participant };
			let mut reporters: Vec<AccountId> =
				Reports::<Test>::get(task, &target).iter().map(|(who, _)| *who).collect();
			reporters.sort();
			let mut scorers = panel(task, 0, subgroup as SubgroupIndex);
			scorers.sort();
			assert_eq!(reporters, scorers, "each panel member reports once");
			assert!(Reports::<Test>::get(task, &target)
				.iter()
				.all(|(_, reported)| *reported == Vote::Revealed(expected)));
		}
		let baseline = Reports::<Test>::get(task, &ScoreTarget::Baseline);
		let mut reporters: Vec<AccountId> = baseline.iter().map(|(who, _)| *who).collect();
		reporters.sort();
		let mut baseline_panel = Evaluation::baseline_panel(task, 0).into_inner();
		baseline_panel.sort();
		assert_eq!(reporters, baseline_panel, "the baseline panel, and only it, reports");
		assert!(baseline
			.iter()
			.all(|(_, reported)| *reported == Vote::Revealed(accuracy(&[0; 6]))));

		// Rewarding ends: every target's median settles from the workers' reveals.
		finish_phase(task);
		let settled = evaluation_events()
			.into_iter()
			.filter(|e| matches!(e, Event::MedianSettled { .. }))
			.count();
		assert_eq!(settled, PARTICIPANTS.len() + 1);
	});
}

/// The share of the test set the reference evaluator counts `values` right on.
fn accuracy(values: &[i32]) -> Perbill {
	let correct = din_fl::count_correct(&model(), values, &test_set()).unwrap();
	Perbill::from_rational(correct, test_set().labels.len() as u32)
}

/// The owner releases the committed test-set key of `task`.
fn release_key(task: TaskId) {
	assert_ok!(Evaluation::release_test_key(
		RuntimeOrigin::signed(OWNER),
		task,
		BoundedVec::truncate_from(TEST_KEY.to_vec())
	));
}

/// The senders of `sent`, sorted, asserting that every call is a dispute.
fn disputers(sent: Vec<(AccountId, Call<Test>)>) -> Vec<AccountId> {
	let mut disputers: Vec<AccountId> = sent
		.into_iter()
		.map(|(who, call)| {
			assert!(matches!(call, Call::dispute_test_set { .. }), "only disputes: {call:?}");
			who
		})
		.collect();
	disputers.sort();
	disputers
}

/// Attack: the owner releases the committed key, but what it sealed under it is not the
/// committed test set, so nothing can be scored and the participants' part would go back to
/// the owner. Every last-round worker disputes the set instead of reporting, and the task
/// settles as if the key were withheld.
#[test]
fn workers_dispute_a_sealed_test_set_the_released_key_does_not_open() {
	let OffchainSetup { mut ext, served, uploads, pool, .. } = offchain_ext();
	ext.execute_with(|| {
		let task = workers_run_a_round_to_scoring(&served, &uploads, &pool);
		release_key(task);
		let mut other = test_set();
		other.labels.iter_mut().for_each(|l| *l = 1 - *l);
		let sealed =
			sealed_test_set::seal(&TEST_KEY, [0x5f; sealed_test_set::SEAL_NONCE_LEN], &other);
		// Served under the CID the task names, as an owner who sealed the wrong set would.
		serve(&served, &artifact_cid(&sealed_test_set()), sealed);
		let disputers = disputers(work_until_idle(&pool));
		let mut last_round = round_evaluators(task, 0);
		last_round.sort();
		assert_eq!(disputers, last_round, "every last-round evaluator disputes, once");
		assert!(Reports::<Test>::iter_prefix(task).next().is_none(), "nothing is reported");

		run_until(task, TaskPhase::Finished);
		assert!(evaluation_events()
			.iter()
			.any(|e| matches!(e, Event::TestSetDisputeUpheld { .. })));
		assert!(!pallet_din_rewards::Settlements::<Test>::get(task).unwrap().scored);
	});
}

/// Attack: the owner declares a preprocessing of the inputs in its task (so participants
/// train under it) but commits a test set it did not preprocess that way, so that their
/// models score poorly there. Where the set has a feature outside the declared clip bound
/// the map could not have produced it: every last-round worker disputes it, as the daemon
/// does (`Preprocessing::admits`).
#[test]
fn workers_dispute_a_test_set_the_tasks_preprocessing_could_not_have_produced() {
	let OffchainSetup { mut ext, served, uploads, pool, .. } = offchain_ext();
	ext.execute_with(|| {
		let task = workers_run_a_round_to_scoring(&served, &uploads, &pool);
		// The test set's features lie in [-4, 5]: a bound of 5 admits it, 4 does not.
		let declared = |clip| din_fl::TaskModel {
			preprocessing: Some(din_fl::Preprocessing {
				shift: vec![0.0; 2],
				scale: vec![1.0; 2],
				clip,
			}),
			..model().into()
		};
		assert!(declared(5.0).preprocessing.unwrap().admits(&test_set()));
		let bytes = declared(4.0).to_bytes().unwrap();
		pallet_din_tasks::Tasks::<Test>::mutate(task, |info| {
			let info = info.as_mut().unwrap();
			info.spec.model.architecture = BoundedVec::truncate_from(bytes);
		});
		release_key(task);
		serve(&served, &artifact_cid(&sealed_test_set()), sealed_test_set());
		let disputers = disputers(work_until_idle(&pool));
		let mut last_round = round_evaluators(task, 0);
		last_round.sort();
		assert_eq!(disputers, last_round, "every last-round evaluator disputes, once");
		assert!(Reports::<Test>::iter_prefix(task).next().is_none(), "nothing is reported");
	});
}

/// Attack: the owner releases the key but never publishes the sealed test set. A fetch that
/// fails in Scoring may be the network's fault, so workers wait; still unavailable once
/// Rewarding starts, after a whole Scoring phase, the set is disputed like one that does
/// not open.
#[test]
fn workers_dispute_a_sealed_test_set_still_unavailable_in_rewarding() {
	let OffchainSetup { mut ext, served, uploads, pool, .. } = offchain_ext();
	ext.execute_with(|| {
		let task = workers_run_a_round_to_scoring(&served, &uploads, &pool);
		release_key(task);
		run_worker();
		assert!(dispatch_pool(&pool).is_empty(), "no dispute while Scoring lasts");
		run_until(task, TaskPhase::Rewarding);
		let disputers = disputers(work_until_idle(&pool));
		assert_eq!(disputers.len(), round_evaluators(task, 0).len());
		run_until(task, TaskPhase::Finished);
		assert!(!pallet_din_rewards::Settlements::<Test>::get(task).unwrap().scored);
	});
}

/// An accepted update whose bytes do not open its commitment (what a mismatch outside its
/// panel's commitment sample leaves for scoring): every worker counts it nothing right,
/// and scores every other target as before instead of failing its run.
#[test]
fn an_accepted_update_that_does_not_open_its_commitment_counts_nothing_right() {
	let OffchainSetup { mut ext, served, uploads, pool, .. } = offchain_ext();
	ext.execute_with(|| {
		let task = workers_run_a_round_to_scoring(&served, &uploads, &pool);
		let unopened = PARTICIPANTS[0];
		pallet_din_tasks::Updates::<Test>::mutate((task, 0), unopened, |update| {
			update.as_mut().expect("submitted").commitment = H256::repeat_byte(9);
		});
		release_key(task);
		serve(&served, &artifact_cid(&sealed_test_set()), sealed_test_set());
		serve(&served, &artifact_cid(&bytes(&update([0; 6], 0))), bytes(&update([0; 6], 0)));
		let sent = work_until_idle(&pool);
		assert!(sent.iter().all(|(_, call)| matches!(call, Call::commit_score { .. })));
		run_until(task, TaskPhase::Rewarding);
		work_until_idle(&pool);
		for participant in PARTICIPANTS {
			let target = ScoreTarget::Update { round: 0, participant };
			let reports = Reports::<Test>::get(task, &target);
			assert!(!reports.is_empty(), "{participant} scored");
			let expected = if participant == unopened {
				Perbill::zero()
			} else {
				accuracy(&update_of(participant).values)
			};
			assert!(
				reports.iter().all(|(_, reported)| *reported == Vote::Revealed(expected)),
				"{participant}: {reports:?}"
			);
		}
	});
}
