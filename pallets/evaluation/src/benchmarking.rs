//! Benchmarks of pallet-din-evaluation (frame-benchmarking v2): every call at its worst
//! case, the lifecycle hooks (round start, end of aggregation, end of the global vote, and
//! the slices of the score settlement at the end of Rewarding) at their bounds, and proof verification with the real Groth16 fixtures
//! of `fixtures/` — through the runtime's [`Config::Verifier`] (`submit_score`) and in pure
//! wasm (`verify_wasm`), so the two paths can be compared.

use super::*;
use alloc::string::String;
use din_primitives::{BenchmarkTask, UpdateRef};
use polkadot_sdk::{frame_benchmarking::v2::*, frame_system::RawOrigin, sp_runtime::traits::One};

const SEED: u32 = 0;

/// An evaluator with a bond large enough for `seats` seats.
fn evaluator_with<T: Config>(i: u32, seats: u32) -> T::AccountId {
	let who: T::AccountId = account("evaluator", i, SEED);
	let seat = T::Staking::minimum_bond(Role::Evaluator);
	let bond = seat.saturating_mul((seats + 1).into());
	T::Staking::bond_for_benchmarks(&who, Role::Evaluator, bond);
	who
}

/// An evaluator with a bond large enough for a seat in every subgroup of a round.
fn evaluator<T: Config>(i: u32) -> T::AccountId {
	evaluator_with::<T>(i, T::MaxSubgroups::get())
}

/// Put `all` in the pool as members from genesis, so that any randomness may draw them.
fn put_pool<T: Config>(all: &[T::AccountId]) {
	let members = all.iter().map(|who| Pallet::<T>::pool_member(who.clone(), Zero::zero()));
	Pool::<T>::put(BoundedVec::truncate_from(members.collect::<Vec<_>>()));
}

/// Whether `who` is in the pool.
fn in_pool<T: Config>(who: &T::AccountId) -> bool {
	Pool::<T>::get().iter().any(|m| &m.who == who)
}

/// Fill the pool with `n` evaluators.
fn pool<T: Config>(n: u32) -> Vec<T::AccountId> {
	let all: Vec<T::AccountId> = (0..n).map(evaluator::<T>).collect();
	put_pool::<T>(&all);
	all
}

/// Fill the pool with `n` evaluators that can each take `seats` seats in every round (the
/// tasks pallet's benchmarks run whole rounds).
pub(crate) fn fill_pool<T: Config>(n: u32, seats: u32) {
	let all: Vec<T::AccountId> = (0..n).map(|i| evaluator_with::<T>(i, seats)).collect();
	put_pool::<T>(&all);
}

fn participant<T: Config>(s: u32, i: u32) -> T::AccountId {
	let who: T::AccountId = account("participant", s * 1_000 + i, SEED);
	let bond = T::Staking::minimum_bond(Role::Participant).saturating_mul(10u32.into());
	T::Staking::bond_for_benchmarks(&who, Role::Participant, bond);
	who
}

fn cid(byte: u8) -> Cid {
	BoundedVec::truncate_from(alloc::vec![byte; din_primitives::MAX_CID_LEN as usize])
}

fn fixture(bytes: [u8; 32]) -> Commitment {
	H256(bytes)
}

/// A task in `phase` of round 0 with `k` full subgroups (every member submitted model A of
/// the fixtures), panels of `MaxPanelSize` drawn from a pool of `max(n, Q)` evaluators.
fn task<T: Config>(
	phase: TaskPhase,
	k: u32,
	scoring: ScoringRule,
) -> (TaskId, Vec<Vec<T::AccountId>>) {
	task_in_round::<T>(phase, k, scoring, 0)
}

/// [`task`] in `round`, its panels drawn and its updates submitted in that round.
fn task_in_round<T: Config>(
	phase: TaskPhase,
	k: u32,
	scoring: ScoringRule,
	round: RoundIndex,
) -> (TaskId, Vec<Vec<T::AccountId>>) {
	let q = T::MaxPanelSize::get();
	let g = T::MaxSubgroupSize::get();
	let subgroups: Vec<Vec<T::AccountId>> =
		(0..k).map(|s| (0..g).map(|i| participant::<T>(s, i)).collect()).collect();
	let mut updates = Vec::new();
	for (s, members) in subgroups.iter().enumerate() {
		for who in members {
			let update = UpdateRef {
				subgroup: s as u32,
				commitment: fixture(fixtures::MODEL_A_COMMITMENT),
				num_samples: 100,
				trained_from: round,
			};
			updates.push((round, who.clone(), update));
		}
	}
	let owner: T::AccountId = account("owner", 0, SEED);
	let task = T::Tasks::benchmark_task(BenchmarkTask {
		owner,
		phase: TaskPhase::Registration,
		round,
		evaluators_per_subgroup: q,
		scoring,
		genesis_commitment: fixture(fixtures::GENESIS_COMMITMENT),
		test_set_commitment: fixture(fixtures::TEST_SET_COMMITMENT),
		test_key_hash: H256(din_fl::sealed_test_set::test_key_hash(&test_key::<T>())),
		subgroups: subgroups.clone(),
		updates,
	});
	pool::<T>(q.max(1));
	Pallet::<T>::on_round_start(task, round, k)
		.1
		.expect("the pool staffs every panel");
	T::Tasks::benchmark_set_phase(task, phase, round);
	(task, subgroups)
}

/// Make the next vote of `phase` in `task`'s round the last one that phase expects, so that
/// the benchmarked call also ends the phase early (the worst case).
fn one_vote_short<T: Config>(task: TaskId, phase: TaskPhase) {
	RoundVotes::<T>::mutate(task, |tally| {
		let t = tally.as_mut().expect("the round's panels were drawn");
		t.voters = RoundEvaluators::<T>::decode_len(task, t.round).unwrap_or(0) as u32;
		match phase {
			TaskPhase::AggregationCommit => t.aggregate_commits = t.seats.saturating_sub(1),
			TaskPhase::AggregationReveal => {
				t.aggregate_commits = t.seats;
				t.aggregate_reveals = t.seats.saturating_sub(1);
			},
			TaskPhase::GlobalCommit => t.global_commits = t.voters.saturating_sub(1),
			_ => {
				t.global_commits = t.voters;
				t.global_reveals = t.voters.saturating_sub(1);
			},
		}
	});
}

/// Whether every vote of `phase` in `task`'s round is in.
fn complete<T: Config>(task: TaskId, phase: TaskPhase) -> bool {
	RoundVotes::<T>::get(task).is_some_and(|t| t.is_complete(phase))
}

/// The longest test-set key; the benchmark tasks commit to it.
fn test_key<T: Config>() -> Vec<u8> {
	alloc::vec![7u8; T::MaxTestKeyLen::get() as usize]
}

fn zk() -> ScoringRule {
	ScoringRule::ZkAccuracy { vk: H256(fixtures::VK_BLAKE2_256) }
}

/// The prover the fixtures hold a proof for (`account("prover", 0, SEED)`, made the first
/// seat of `target`'s panel) and that proof: proofs are bound to their prover, task and
/// target, and the fixtures are made for the benchmark's first task and first participant
/// (`bound_statements` in client/zk/examples/pallet_fixtures.rs).
fn bound_prover<T: Config>(
	task: TaskId,
	target: &ScoreTargetOf<T>,
) -> (T::AccountId, &'static [u8]) {
	let who: T::AccountId = account("prover", 0, SEED);
	let binding = din_primitives::score_binding(task, target, &who);
	let proof = fixtures::bound_proof(&binding)
		.expect("the fixtures prove the benchmark's first task, participant and prover");
	Panels::<T>::mutate(task, (0, 0), |panel| panel[0] = who.clone());
	(who, proof)
}

fn salt() -> [u8; 32] {
	[9u8; 32]
}

/// `who` commits and reveals `commitment` with `invalid` for `subgroup` of round 0.
fn vote_aggregate<T: Config>(
	task: TaskId,
	subgroup: SubgroupIndex,
	who: &T::AccountId,
	commitment: Commitment,
	invalid: Vec<T::AccountId>,
) {
	let reveal =
		AggregateReveal { cid: cid(5), commitment, invalid: BoundedVec::truncate_from(invalid) };
	AggregateVotes::<T>::insert((task, 0, subgroup), who, Vote::Revealed(reveal));
}

/// An account that can afford the fixture key's deposit.
fn key_registrant<T: Config>() -> T::AccountId {
	use fungible::{Inspect, Mutate};
	let who: T::AccountId = account("registrant", 0, SEED);
	let deposit = Pallet::<T>::verifying_key_deposit(
		T::MaxVerifyingKeyLen::get().saturating_add(T::MaxPreparedVerifyingKeyLen::get()) as usize,
	);
	let balance = deposit
		.saturating_mul(2u32.into())
		.saturating_add(T::Currency::minimum_balance());
	T::Currency::set_balance(&who, balance);
	who
}

fn register_key<T: Config>() {
	registered_key::<T>();
}

/// The fixture key, registered (with its deposit) if it is not yet.
pub(crate) fn registered_key<T: Config>() -> H256 {
	let hash = H256(fixtures::VK_BLAKE2_256);
	if !VerifyingKeys::<T>::contains_key(hash) {
		let vk = BoundedVec::truncate_from(fixtures::VK.to_vec());
		Pallet::<T>::register_key(&key_registrant::<T>(), vk).expect("the fixture key registers");
	}
	hash
}

fn release_key<T: Config>(task: TaskId) {
	let key = BoundedVec::truncate_from(test_key::<T>());
	TestKeys::<T>::insert(
		task,
		TestKey { key, released_at: frame_system::Pallet::<T>::block_number() },
	);
}

/// Mark every subgroup of round 0 accepted with an empty invalid set.
fn accept_all<T: Config>(task: TaskId, k: u32) {
	for s in 0..k {
		let reveal = AggregateReveal {
			cid: cid(5),
			commitment: H256::repeat_byte(4),
			invalid: BoundedVec::new(),
		};
		SubgroupResults::<T>::insert(task, (0, s), SubgroupResult::Accepted(reveal));
	}
}

/// A subgroup's fetched updates, as the off-chain worker holds them before aggregating:
/// `n` synthetic updates of `p` values with their on-chain commitments and CIDs.
struct AggregationDuty<T> {
	schema: din_fl::Schema,
	fetched: Vec<offchain::FetchedUpdate>,
	cids: Vec<String>,
	_config: core::marker::PhantomData<T>,
}

impl<T: Config> AggregationDuty<T> {
	fn new(n: u32, p: u32) -> Self {
		let schema = din_fl::synthetic::schema(p);
		let updates =
			din_fl::synthetic::updates(&schema, n as usize, (u64::from(n) << 32) | u64::from(p));
		let mut fetched = Vec::new();
		let mut cids = Vec::new();
		for update in updates {
			let bytes = update.encode().expect("synthetic updates encode");
			cids.push(din_fl::content::artifact_cid(&bytes));
			fetched.push(offchain::FetchedUpdate {
				commitment: T::Verifier::model_commitment(&update.values),
				author: update.author,
				num_samples: update.num_samples,
				bytes: Ok(bytes),
				stale: None,
			});
		}
		Self { schema, fetched, cids, _config: Default::default() }
	}

	/// What the worker computes for the duty: each fetched update's CID check, the
	/// checks (the commitments of a round's sample, as drawn from a recorded seed) and the
	/// aggregation, and the CID and commitment it commits to.
	fn run(&self, rule: din_fl::AggregationRule) -> (Vec<u8>, String, Commitment) {
		for (update, cid) in self.fetched.iter().zip(&self.cids) {
			let bytes = update.bytes.as_deref().unwrap_or_default();
			assert_eq!(din_fl::content::artifact_cid(bytes), *cid);
		}
		let sample = din_fl::duty::CommitmentSample::drawn(&[7; 32], 0, self.fetched.len());
		let (aggregate, rejected) =
			offchain::aggregate_fetched::<T>(&rule, &self.schema, &self.fetched, &sample, None)
				.expect("the rule applies");
		assert!(rejected.is_empty());
		offchain::content_and_commitment::<T>(&aggregate.expect("every update is valid"))
			.expect("encodes")
	}
}

#[benchmarks]
mod benchmarks {
	use super::*;

	#[benchmark]
	fn register_evaluator(n: Linear<0, { T::MaxEvaluators::get() - 1 }>) {
		// Every member has asked to leave: registration reads every leave (none holds yet
		// under the benchmark's randomness, so none is removed).
		let all = pool::<T>(n);
		let leaving: Vec<_> = all.into_iter().map(|who| (who, One::one())).collect();
		Leaving::<T>::put(BoundedVec::truncate_from(leaving));
		let who = evaluator::<T>(n);
		#[extrinsic_call]
		_(RawOrigin::Signed(who.clone()));
		assert!(in_pool::<T>(&who));
	}

	#[benchmark]
	fn deregister_evaluator(n: Linear<1, { T::MaxEvaluators::get() }>) {
		let all = pool::<T>(n);
		let who = all.last().expect("n >= 1").clone();
		#[extrinsic_call]
		_(RawOrigin::Signed(who.clone()));
		assert!(Leaving::<T>::get().iter().any(|(a, _)| *a == who));
	}

	#[benchmark]
	fn commit_aggregate() {
		let (task, _) = task::<T>(TaskPhase::AggregationCommit, 1, zk());
		let who = Panels::<T>::get(task, (0, 0))[0].clone();
		one_vote_short::<T>(task, TaskPhase::AggregationCommit);
		#[extrinsic_call]
		_(RawOrigin::Signed(who.clone()), task, 0, 0, H256::repeat_byte(1));
		assert!(AggregateVotes::<T>::contains_key((task, 0, 0), &who));
		assert!(complete::<T>(task, TaskPhase::AggregationCommit));
	}

	// The worst case carries a vote on the previous round's global model.
	#[benchmark]
	fn reveal_aggregate(i: Linear<0, { T::MaxSubgroupSize::get() }>) {
		let (task, subgroups) = task_in_round::<T>(TaskPhase::AggregationReveal, 1, zk(), 1);
		PipelinedGlobal::<T>::insert(task, 0);
		let who = Panels::<T>::get(task, (1, 0))[0].clone();
		let mut invalid: Vec<T::AccountId> =
			subgroups[0].iter().take(i as usize).cloned().collect();
		invalid.sort();
		let commitment = H256::repeat_byte(4);
		let global = ModelRef { cid: cid(6), commitment: H256::repeat_byte(7) };
		let hash = pipelined_commit_hash(
			&aggregate_commit_hash(task, 1, 0, &who, &cid(5), &commitment, &invalid, &salt()),
			Some((&global.cid[..], &global.commitment)),
		);
		AggregateVotes::<T>::insert((task, 1, 0), &who, Vote::Committed(hash));
		one_vote_short::<T>(task, TaskPhase::AggregationReveal);
		#[extrinsic_call]
		_(
			RawOrigin::Signed(who.clone()),
			task,
			1,
			0,
			cid(5),
			commitment,
			BoundedVec::truncate_from(invalid),
			salt(),
			Some(global),
		);
		assert!(matches!(AggregateVotes::<T>::get((task, 1, 0), &who), Some(Vote::Revealed(_))));
		assert!(PipelinedGlobalVotes::<T>::contains_key((task, 0), &who));
		assert!(complete::<T>(task, TaskPhase::AggregationReveal));
	}

	#[benchmark]
	fn commit_global(e: Linear<1, { T::MaxEvaluators::get() }>) {
		let (task, _) = task::<T>(TaskPhase::GlobalCommit, 1, zk());
		let seats: Vec<(T::AccountId, u32)> = (0..e).map(|i| (evaluator::<T>(i), 1)).collect();
		let who = seats.last().expect("e >= 1").0.clone();
		RoundEvaluators::<T>::insert(task, 0, SeatsOf::<T>::truncate_from(seats));
		one_vote_short::<T>(task, TaskPhase::GlobalCommit);
		#[extrinsic_call]
		_(RawOrigin::Signed(who.clone()), task, 0, H256::repeat_byte(1));
		assert!(GlobalVotes::<T>::contains_key((task, 0), &who));
		assert!(complete::<T>(task, TaskPhase::GlobalCommit));
	}

	#[benchmark]
	fn reveal_global() {
		let (task, _) = task::<T>(TaskPhase::GlobalReveal, 1, zk());
		let who = RoundEvaluators::<T>::get(task, 0)[0].0.clone();
		let commitment = H256::repeat_byte(4);
		let hash = global_commit_hash(task, 0, &who, &cid(6), &commitment, &salt());
		GlobalVotes::<T>::insert((task, 0), &who, Vote::Committed(hash));
		one_vote_short::<T>(task, TaskPhase::GlobalReveal);
		#[extrinsic_call]
		_(RawOrigin::Signed(who.clone()), task, 0, cid(6), commitment, salt());
		assert!(matches!(GlobalVotes::<T>::get((task, 0), &who), Some(Vote::Revealed(_))));
		assert!(complete::<T>(task, TaskPhase::GlobalReveal));
	}

	#[benchmark]
	fn register_verifying_key() {
		let who = key_registrant::<T>();
		let vk = BoundedVec::truncate_from(fixtures::VK.to_vec());
		#[extrinsic_call]
		_(RawOrigin::Signed(who), vk);
		assert!(PreparedVerifyingKeys::<T>::contains_key(H256(fixtures::VK_BLAKE2_256)));
	}

	#[benchmark]
	fn unregister_verifying_key() {
		let hash = registered_key::<T>();
		let who = key_registrant::<T>();
		#[extrinsic_call]
		_(RawOrigin::Signed(who), hash);
		assert!(!VerifyingKeys::<T>::contains_key(hash));
	}

	/// A `ZkAccuracy` task ends: its hold on its verifying key is released.
	#[benchmark]
	fn on_task_end() {
		let hash = registered_key::<T>();
		let (task, _) = task::<T>(TaskPhase::Rewarding, 1, zk());
		let live = || VerifyingKeyRegistrations::<T>::get(hash).map_or(0, |r| r.live_tasks);
		// Bound as `create_task` binds it, if the benchmark task was not created by it.
		if live() == 0 {
			Pallet::<T>::bind_verifying_key(&zk()).expect("the key is registered");
		}
		let before = live();
		#[block]
		{
			<Pallet<T> as RoundLifecycle>::on_task_end(task, TaskPhase::Finished);
		}
		assert_eq!(live(), before - 1);
	}

	#[benchmark]
	fn release_test_key() {
		let (task, _) = task::<T>(TaskPhase::Scoring, 1, zk());
		let owner: T::AccountId = account("owner", 0, SEED);
		let key = BoundedVec::truncate_from(test_key::<T>());
		#[extrinsic_call]
		_(RawOrigin::Signed(owner), task, key);
		assert!(TestKeys::<T>::contains_key(task));
	}

	/// One proof verified by the runtime's `Config::Verifier` (the host function in
	/// din-runtime), with every check before it.
	#[benchmark]
	fn submit_score() {
		let (task, subgroups) = task::<T>(TaskPhase::Scoring, 1, zk());
		register_key::<T>();
		release_key::<T>(task);
		accept_all::<T>(task, 1);
		let target = ScoreTarget::Update { round: 0, participant: subgroups[0][0].clone() };
		let (who, proof) = bound_prover::<T>(task, &target);
		let proof = BoundedVec::truncate_from(proof.to_vec());
		#[extrinsic_call]
		_(
			RawOrigin::Signed(who),
			task,
			target.clone(),
			fixtures::MODEL_A_CORRECT,
			fixtures::TOTAL,
			proof,
		);
		assert!(ProvenScores::<T>::contains_key(task, target));
	}

	/// The last of a full panel to commit: every earlier commit is compared.
	#[benchmark]
	fn commit_score(q: Linear<1, { T::MaxPanelSize::get() }>) {
		let rule = ScoringRule::Median { threshold: Perbill::from_percent(5) };
		let (task, subgroups) = task::<T>(TaskPhase::Scoring, 1, rule);
		release_key::<T>(task);
		accept_all::<T>(task, 1);
		let panel = Panels::<T>::get(task, (0, 0));
		let target = ScoreTarget::Update { round: 0, participant: subgroups[0][0].clone() };
		let earlier: Vec<(T::AccountId, Vote<Perbill>)> = panel
			.iter()
			.take(q as usize - 1)
			.map(|a| (a.clone(), Vote::Committed(H256::repeat_byte(1))))
			.collect();
		Reports::<T>::insert(task, &target, ReportsOf::<T>::truncate_from(earlier));
		let who = panel[q as usize - 1].clone();
		#[extrinsic_call]
		_(RawOrigin::Signed(who), task, target.clone(), H256::repeat_byte(2));
		assert_eq!(Reports::<T>::get(task, target).len() as u32, q);
	}

	/// The last of a full panel to reveal: its commit is found after every other.
	#[benchmark]
	fn reveal_score(q: Linear<1, { T::MaxPanelSize::get() }>) {
		let rule = ScoringRule::Median { threshold: Perbill::from_percent(5) };
		let (task, subgroups) = task::<T>(TaskPhase::Rewarding, 1, rule);
		release_key::<T>(task);
		accept_all::<T>(task, 1);
		let panel = Panels::<T>::get(task, (0, 0));
		let target = ScoreTarget::Update { round: 0, participant: subgroups[0][0].clone() };
		let who = panel[q as usize - 1].clone();
		let mut reports: Vec<(T::AccountId, Vote<Perbill>)> = panel
			.iter()
			.take(q as usize - 1)
			.map(|a| (a.clone(), Vote::Revealed(Perbill::from_percent(90))))
			.collect();
		let hash = score_commit_hash(task, &target, &who, 90, 100, &salt());
		reports.push((who.clone(), Vote::Committed(hash)));
		Reports::<T>::insert(task, &target, ReportsOf::<T>::truncate_from(reports));
		#[extrinsic_call]
		_(RawOrigin::Signed(who), task, target.clone(), 90, 100, salt());
		let revealed = Reports::<T>::get(task, target);
		assert!(revealed.iter().all(|(_, vote)| matches!(vote, Vote::Revealed(_))));
	}

	/// The last of a full list of disputers: every earlier one is compared.
	#[benchmark]
	fn dispute_test_set() {
		let (task, _) = task::<T>(TaskPhase::Scoring, 1, zk());
		release_key::<T>(task);
		let who = RoundEvaluators::<T>::get(task, 0)[0].0.clone();
		let earlier: Vec<T::AccountId> =
			(1..T::MaxEvaluators::get()).map(|i| account("disputer", i, SEED)).collect();
		TestSetDisputes::<T>::insert(task, BoundedVec::truncate_from(earlier));
		#[extrinsic_call]
		_(RawOrigin::Signed(who), task);
		assert_eq!(TestSetDisputes::<T>::get(task).len() as u32, T::MaxEvaluators::get());
	}

	/// A proof of the same statement shape verified by `din-zk-verifier` compiled into the
	/// runtime (no host function), for comparison with `submit_score`.
	#[benchmark]
	fn verify_wasm() {
		let inputs = evaluation_public_inputs(
			&H256(fixtures::MODEL_A_COMMITMENT),
			&H256(fixtures::TEST_SET_COMMITMENT),
			fixtures::MODEL_A_CORRECT,
			fixtures::TOTAL,
			&fixtures::PLAIN_BINDING,
		);
		let ok;
		#[block]
		{
			ok = din_zk_verifier::verify_bytes(fixtures::VK, &inputs, fixtures::MODEL_A_PROOF);
		}
		assert_eq!(ok, Ok(true));
	}

	/// Sortition over a pool of `n` for `k` subgroups of `MaxPanelSize` seats.
	#[benchmark]
	fn on_round_start(
		k: Linear<1, { T::MaxSubgroups::get() }>,
		n: Linear<{ T::MaxPanelSize::get() }, { T::MaxEvaluators::get() }>,
	) {
		let owner: T::AccountId = account("owner", 0, SEED);
		let task = T::Tasks::benchmark_task(BenchmarkTask {
			owner,
			phase: TaskPhase::Registration,
			round: 0,
			evaluators_per_subgroup: T::MaxPanelSize::get(),
			scoring: zk(),
			genesis_commitment: H256::repeat_byte(1),
			test_set_commitment: H256::repeat_byte(2),
			test_key_hash: H256::repeat_byte(3),
			subgroups: Vec::new(),
			updates: Vec::new(),
		});
		pool::<T>(n);
		#[block]
		{
			Pallet::<T>::on_round_start(task, 0, k).1.expect("staffed");
		}
		assert_eq!(Panels::<T>::iter_prefix(task).count() as u32, k);
	}

	/// Settling `k` full subgroups in one slice (the hook settles as many as its slice weight
	/// allows; this is what that weight is computed from): every panel member revealed; one
	/// minority reveal and a full invalid set per subgroup, so every kind of slash happens.
	#[benchmark]
	fn on_aggregation_end(k: Linear<1, { T::MaxSubgroups::get() }>) {
		let (task, subgroups) = task::<T>(TaskPhase::AggregationReveal, k, zk());
		for (s, members) in subgroups.iter().enumerate() {
			let s = s as u32;
			let mut invalid = members.clone();
			invalid.sort();
			let panel = Panels::<T>::get(task, (0, s));
			for (j, who) in panel.iter().enumerate() {
				let commitment = if j == 0 && panel.len() > 2 {
					H256::repeat_byte(8)
				} else {
					H256::repeat_byte(4)
				};
				vote_aggregate::<T>(task, s, who, commitment, invalid.clone());
			}
		}
		#[block]
		{
			Pallet::<T>::settle_aggregation_within(task, 0, Weight::MAX);
		}
		assert!(SubgroupResults::<T>::contains_key(task, (0, k - 1)));
	}

	/// Settling the global vote of `e` evaluators (all revealed, one minority) and
	/// unlocking their seats.
	#[benchmark]
	fn on_global_end(e: Linear<1, { T::MaxEvaluators::get() }>) {
		let (task, _) = task::<T>(TaskPhase::GlobalReveal, 1, zk());
		let seats: Vec<(T::AccountId, u32)> = (0..e).map(|i| (evaluator::<T>(i), 1)).collect();
		for (j, (who, _)) in seats.iter().enumerate() {
			let commitment =
				if j == 0 && e > 2 { H256::repeat_byte(8) } else { H256::repeat_byte(4) };
			GlobalVotes::<T>::insert(
				(task, 0),
				who,
				Vote::Revealed(ModelRef { cid: cid(6), commitment }),
			);
		}
		RoundEvaluators::<T>::insert(task, 0, SeatsOf::<T>::truncate_from(seats));
		#[block]
		{
			Pallet::<T>::on_phase_end(task, 0, TaskPhase::GlobalReveal);
		}
		assert!(GlobalModels::<T>::contains_key(task, 0) || e <= 2);
	}

	/// The first slice of a task's score settlement: deciding whether its key counts (a
	/// verifying key and a released key read, disputes short of a majority counted).
	#[benchmark]
	fn on_scores_opened() {
		let (task, _) = task::<T>(TaskPhase::Rewarding, 1, zk());
		register_key::<T>();
		release_key::<T>(task);
		let evaluators = RoundEvaluators::<T>::get(task, 0).len() as u32;
		let disputers: Vec<T::AccountId> =
			(0..evaluators / 2).map(|i| account("disputer", i, SEED)).collect();
		TestSetDisputes::<T>::insert(task, BoundedVec::truncate_from(disputers));
		#[block]
		{
			Pallet::<T>::settle_records(task, None, 0);
		}
		assert!(matches!(
			ScoreSettlements::<T>::get(task),
			Some(ScoreSettlement::References { released: true, .. })
		));
	}

	/// A slice of `k` records at their costliest: it opens the rewards pallet's settlement
	/// on the longest list of global models, then settles `k` update scores, each the median
	/// of a full panel's reveals (every reveal earns work), each below the baseline (a
	/// slash) and above the global model its round trained from (a participant weight).
	#[benchmark]
	fn on_score_slice(k: Linear<1, { T::MaxScores::get() }>) {
		let rule = ScoringRule::Median { threshold: Perbill::from_percent(5) };
		let (task, _) = task::<T>(TaskPhase::Rewarding, 1, rule);
		release_key::<T>(task);
		let panel = Panels::<T>::get(task, (0, 0));
		let reveals: Vec<(T::AccountId, Vote<Perbill>)> = panel
			.iter()
			.map(|a| (a.clone(), Vote::Revealed(Perbill::from_percent(10))))
			.collect();
		for i in 0..k {
			let target = ScoreTarget::Update { round: i + 1, participant: participant::<T>(9, i) };
			Reports::<T>::insert(task, target, ReportsOf::<T>::truncate_from(reveals.clone()));
		}
		ScoredTargets::<T>::insert(task, k);
		let globals: Vec<(RoundIndex, Perbill)> =
			(0..T::MaxRounds::get()).map(|r| (r, Perbill::from_percent(5))).collect();
		let stage = ScoreSettlement::References {
			released: true,
			next: 1,
			baseline: Some(Perbill::from_percent(50)),
			globals: BoundedVec::truncate_from(globals),
		};
		let processed;
		#[block]
		{
			processed = Pallet::<T>::settle_records(task, Some(stage), k);
		}
		assert_eq!(processed, k);
		assert_eq!(Reports::<T>::iter_prefix(task).count(), 0);
	}

	/// A pruning slice of a settled task: `k` panels removed.
	#[benchmark]
	fn on_scores_pruned(k: Linear<1, { Pallet::<T>::prunable_entries() }>) {
		let (task, _) = task::<T>(TaskPhase::Rewarding, 1, zk());
		let panel = Panels::<T>::get(task, (0, 0));
		let _ = Panels::<T>::clear_prefix(task, u32::MAX, None);
		let subgroups = T::MaxSubgroups::get();
		for i in 0..k {
			Panels::<T>::insert(task, (i / subgroups, i % subgroups), panel.clone());
		}
		ScoreSettlements::<T>::insert(task, ScoreSettlement::Pruning);
		#[block]
		{
			Pallet::<T>::prune_scores(task, k);
		}
		assert_eq!(Panels::<T>::iter_prefix(task).count(), 0);
	}

	/// The last pruning slice of a settled task: nothing left to remove but its last
	/// working records.
	#[benchmark]
	fn on_scores_finalized() {
		let (task, _) = task::<T>(TaskPhase::Rewarding, 1, zk());
		let _ = Panels::<T>::clear_prefix(task, u32::MAX, None);
		let _ = RoundEvaluators::<T>::clear_prefix(task, u32::MAX, None);
		ScoredTargets::<T>::insert(task, 1);
		ScoreSettlements::<T>::insert(task, ScoreSettlement::Pruning);
		let pruned;
		#[block]
		{
			pruned = Pallet::<T>::prune_scores(task, 1);
		}
		assert_eq!(pruned, (0, true));
		assert!(!ScoreSettlements::<T>::contains_key(task));
	}

	/// A pruning step of an ended task's public record after its retention: `k` subgroup
	/// results (each with a full invalid list) removed, the end of the record found and the
	/// test key removed.
	#[benchmark]
	fn on_task_records_pruned(k: Linear<1, { Pallet::<T>::prunable_entries() }>) {
		let (task, _) = task::<T>(TaskPhase::Rewarding, 1, zk());
		let _ = SubgroupResults::<T>::clear_prefix(task, u32::MAX, None);
		let invalid: Vec<T::AccountId> =
			(0..T::MaxSubgroupSize::get()).map(|i| account("invalid", i, SEED)).collect();
		let result = SubgroupResult::Accepted(AggregateReveal {
			cid: cid(5),
			commitment: H256::repeat_byte(4),
			invalid: BoundedVec::truncate_from(invalid),
		});
		let subgroups = T::MaxSubgroups::get();
		for i in 0..k {
			SubgroupResults::<T>::insert(task, (i / subgroups, i % subgroups), result.clone());
		}
		release_key::<T>(task);
		let pruned;
		#[block]
		{
			pruned = Pallet::<T>::prune_public_record(task, k + 1);
		}
		assert_eq!(pruned, (k, true));
		assert!(!TestKeys::<T>::contains_key(task));
	}

	/// The compute of an off-chain worker's FedAvg aggregation duty over `n` fetched
	/// updates of `p` values ([`AggregationDuty::run`]); `p` goes up to twice the bound, to
	/// see what lies beyond it. Not a weight (the worker spends no block weight), hence
	/// `extra`: `scripts/bench/ocw-aggregate.sh` runs it to compare wasm with the native
	/// client and to calibrate `MaxOffchainModelValues`.
	#[benchmark(extra)]
	fn offchain_aggregate_fed_avg(
		n: Linear<1, { T::MaxSubgroupSize::get() }>,
		p: Linear<1, { 2 * T::MaxOffchainModelValues::get() }>,
	) {
		let duty = AggregationDuty::<T>::new(n, p);
		#[block]
		{
			duty.run(din_fl::AggregationRule::FedAvg);
		}
	}

	/// [`offchain_aggregate_fed_avg`] with the coordinate-wise median.
	#[benchmark(extra)]
	fn offchain_aggregate_median(
		n: Linear<1, { T::MaxSubgroupSize::get() }>,
		p: Linear<1, { 2 * T::MaxOffchainModelValues::get() }>,
	) {
		let duty = AggregationDuty::<T>::new(n, p);
		#[block]
		{
			duty.run(din_fl::AggregationRule::Median);
		}
	}

	/// [`offchain_aggregate_fed_avg`] with Multi-Krum at the largest `f` that `n` admits
	/// (`n ≥ 2f + 3`) averaging `n − f`: pairwise distances make it the costliest rule.
	#[benchmark(extra)]
	fn offchain_aggregate_multi_krum(
		n: Linear<3, { T::MaxSubgroupSize::get().max(3) }>,
		p: Linear<1, { 2 * T::MaxOffchainModelValues::get() }>,
	) {
		let duty = AggregationDuty::<T>::new(n, p);
		let f = (n - 3) / 2;
		#[block]
		{
			duty.run(din_fl::AggregationRule::MultiKrum { f, m: n - f });
		}
	}

	/// [`offchain_aggregate_fed_avg`] with centered clipping at its most iterations, and
	/// `tau` 1 so that every offset is clipped (the costlier path per coordinate): the
	/// median, then `MAX_CLIPPING_ITERATIONS` times two passes over the updates.
	#[benchmark(extra)]
	fn offchain_aggregate_centered_clipping(
		n: Linear<1, { T::MaxSubgroupSize::get() }>,
		p: Linear<1, { 2 * T::MaxOffchainModelValues::get() }>,
	) {
		let duty = AggregationDuty::<T>::new(n, p);
		let iterations = din_primitives::MAX_CLIPPING_ITERATIONS;
		#[block]
		{
			duty.run(din_fl::AggregationRule::CenteredClipping { tau: 1, iterations });
		}
	}

	impl_benchmark_test_suite!(
		Pallet,
		crate::mock::ExtBuilder::default().build(),
		crate::mock::Test
	);
}
