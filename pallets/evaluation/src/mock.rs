//! A test runtime with the whole DIN protocol: System, Balances, pallet-din-staking,
//! pallet-din-tasks, this pallet and pallet-din-rewards, all real (the DIN pallets as
//! dev-dependencies), with deterministic randomness and the pure-Rust Groth16 verifier.

use crate::{self as pallet_din_evaluation, fixtures, *};
use core::cell::RefCell;
use din_primitives::{Perbill, Role, RoundLifecycle, ScoringRule};
use pallet_din_tasks::{TaskSpec, TestSetRef};
use polkadot_sdk::{
	frame_support::{
		derive_impl, parameter_types,
		traits::{AsEnsureOriginWithArg, ConstU32, ConstU64, Hooks},
	},
	pallet_assets, pallet_assets_holder, pallet_balances,
	sp_core::H256,
	sp_io,
	sp_runtime::{
		testing::{TestSignature, TestXt, UintAuthorityId},
		BoundedVec, BuildStorage,
	},
};

pub type AccountId = u64;
pub type Balance = u64;

type Block = frame_system::mocking::MockBlock<Test>;

polkadot_sdk::frame_support::construct_runtime!(
	pub enum Test {
		System: frame_system,
		Balances: pallet_balances,
		Assets: pallet_assets,
		AssetsHolder: pallet_assets_holder,
		Staking: pallet_din_staking,
		DinTasks: pallet_din_tasks,
		Evaluation: pallet_din_evaluation,
		Rewards: pallet_din_rewards,
	}
);

#[derive_impl(frame_system::config_preludes::TestDefaultConfig)]
impl frame_system::Config for Test {
	type Block = Block;
	type AccountData = pallet_balances::AccountData<Balance>;
}

#[derive_impl(pallet_balances::config_preludes::TestDefaultConfig)]
impl pallet_balances::Config for Test {
	type AccountStore = System;
	type RuntimeHoldReason = RuntimeHoldReason;
}

#[derive_impl(pallet_assets::config_preludes::TestDefaultConfig)]
impl pallet_assets::Config for Test {
	type CreateOrigin = AsEnsureOriginWithArg<frame_system::EnsureSigned<AccountId>>;
	type ForceOrigin = frame_system::EnsureRoot<AccountId>;
	type Currency = Balances;
	type Holder = AssetsHolder;
}

impl pallet_assets_holder::Config for Test {
	type RuntimeHoldReason = RuntimeHoldReason;
	type RuntimeEvent = RuntimeEvent;
}

parameter_types! {
	/// The chain's minimum evaluator bond, which a test raises as governance would.
	pub static MinEvaluatorBond: Balance = 100;
}

#[derive_impl(pallet_din_staking::config_preludes::TestDefaultConfig)]
impl pallet_din_staking::Config for Test {
	type Currency = Balances;
	type BondCommitments = Evaluation;
	type MinEvaluatorBond = MinEvaluatorBond;
}

/// Randomness that is a hash of the subject and the block number.
pub struct TestRandomness;
impl polkadot_sdk::frame_support::traits::Randomness<H256, u64> for TestRandomness {
	fn random(subject: &[u8]) -> (H256, u64) {
		let now = System::block_number();
		let mut input = subject.to_vec();
		input.extend_from_slice(&now.to_le_bytes());
		(H256(blake2_256(&input)), now)
	}
}

thread_local! {
	/// Whether the block has fresh randomness for a commitment sample (BABE's VRF output
	/// in din-runtime: always, with primary and secondary VRF slots).
	pub static FRESH_RANDOMNESS: core::cell::Cell<bool> = const { core::cell::Cell::new(true) };
}

/// [`TestRandomness`] as fresh per-block randomness, absent while [`FRESH_RANDOMNESS`] is
/// off.
pub struct TestBlockRandomness;
impl polkadot_sdk::frame_support::traits::Randomness<Option<H256>, u64> for TestBlockRandomness {
	fn random(subject: &[u8]) -> (Option<H256>, u64) {
		let (random, now) = <TestRandomness as polkadot_sdk::frame_support::traits::Randomness<
			H256,
			u64,
		>>::random(subject);
		(FRESH_RANDOMNESS.with(|fresh| fresh.get()).then_some(random), now)
	}
}

#[derive_impl(pallet_din_tasks::config_preludes::TestDefaultConfig)]
impl pallet_din_tasks::Config for Test {
	type Currency = Balances;
	type Assets = AssetsHolder;
	type RewardAssets = polkadot_sdk::frame_support::traits::Everything;
	type Staking = Staking;
	type Randomness = TestRandomness;
	type Lifecycle = Evaluation;
}

/// Groth16 verification and model commitments with `din-zk-verifier` (what din-runtime's
/// host functions run).
pub struct ZkVerifier;
impl din_primitives::ProofVerifier for ZkVerifier {
	fn verify(prepared_key: &[u8], inputs: &[u8], proof: &[u8]) -> bool {
		din_zk_verifier::verify_prepared_bytes(prepared_key, inputs, proof).unwrap_or(false)
	}
	fn prepare_key(vk: &[u8]) -> Option<Vec<u8>> {
		din_zk_verifier::prepare_checked(vk, din_zk_verifier::layout::PUBLIC_INPUT_COUNT).ok()
	}
	fn model_commitment(values: &[i32]) -> Commitment {
		H256(din_zk_verifier::commitment::to_bytes(&din_zk_verifier::commitment::model_commitment(
			values,
		)))
	}
}

// Off-chain worker signing: `UintAuthorityId(n)` is the key of account `n`.
impl frame_system::offchain::SigningTypes for Test {
	type Public = UintAuthorityId;
	type Signature = TestSignature;
}

pub type Extrinsic = TestXt<RuntimeCall, ()>;

impl<C> frame_system::offchain::CreateTransactionBase<C> for Test
where
	RuntimeCall: From<C>,
{
	type Extrinsic = Extrinsic;
	type RuntimeCall = RuntimeCall;
}

impl<C> frame_system::offchain::CreateSignedTransaction<C> for Test
where
	RuntimeCall: From<C>,
{
	fn create_signed_transaction<
		A: frame_system::offchain::AppCrypto<Self::Public, Self::Signature>,
	>(
		call: RuntimeCall,
		_public: UintAuthorityId,
		account: AccountId,
		_nonce: u32,
	) -> Option<Extrinsic> {
		Some(Extrinsic::new_signed(call, account, (), ()))
	}
}

/// The off-chain worker's keys in tests: the keystore is `UintAuthorityId::set_all_keys`.
pub struct TestAuthId;
impl frame_system::offchain::AppCrypto<UintAuthorityId, TestSignature> for TestAuthId {
	type RuntimeAppPublic = UintAuthorityId;
	type GenericPublic = UintAuthorityId;
	type GenericSignature = TestSignature;
}

parameter_types! {
	/// Unbounded unless a test lowers it to see the settlement sliced.
	pub static SettlementSliceWeight: Weight = Weight::MAX;
	/// No lookback unless a test sets one.
	pub static SortitionLookback: u64 = 0;
}

impl pallet_din_evaluation::Config for Test {
	type AuthorityId = TestAuthId;
	type SettlementSliceWeight = SettlementSliceWeight;
	type MaxOffchainModelValues = ConstU32<1024>;
	type MaxOffchainFetchesPerBlock = ConstU32<8>;
	type OffchainFetchTimeoutMs = ConstU64<2_000>;
	type Balance = Balance;
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type VerifyingKeyDepositBase = ConstU64<10>;
	type VerifyingKeyDepositPerByte = ConstU64<1>;
	type Staking = Staking;
	type Tasks = DinTasks;
	type Randomness = TestRandomness;
	type SampleRandomness = TestBlockRandomness;
	type SortitionLookback = SortitionLookback;
	type Verifier = ZkVerifier;
	type Rewards = Rewards;
	type MaxEvaluators = ConstU32<16>;
	type MaxSubgroups = ConstU32<4>;
	type MaxPanelSize = ConstU32<5>;
	type MaxSubgroupSize = ConstU32<4>;
	type MaxParticipants = ConstU32<16>;
	type MaxRounds = ConstU32<4>;
	type MaxScores = ConstU32<32>;
	type MaxVerifyingKeyLen = ConstU32<1024>;
	type MaxPreparedVerifyingKeyLen = ConstU32<2048>;
	type MaxTestKeyLen = ConstU32<64>;
	type WeightInfo = ();
}

#[derive_impl(pallet_din_rewards::config_preludes::TestDefaultConfig)]
impl pallet_din_rewards::Config for Test {
	type Tasks = DinTasks;
	type Staking = Staking;
}

/// The model owner.
pub const OWNER: AccountId = 1;
/// Participants 10..=13, bonded with 100 each.
pub const PARTICIPANTS: [AccountId; 4] = [10, 11, 12, 13];
/// Evaluators 30..=35, bonded with 1_000 each and registered.
pub const EVALUATORS: [AccountId; 6] = [30, 31, 32, 33, 34, 35];
/// The reward pool.
pub const POOL: Balance = 10_000;
/// Every account's starting balance.
pub const ENDOWMENT: Balance = 100_000;
/// The participant bond.
pub const PARTICIPANT_BOND: Balance = 100;
/// The evaluator bond.
pub const EVALUATOR_BOND: Balance = 1_000;
/// The test-set key the owner committed to in [`spec`].
pub const TEST_KEY: [u8; 32] = [7; 32];

pub struct ExtBuilder {
	evaluators: Vec<AccountId>,
}

impl Default for ExtBuilder {
	fn default() -> Self {
		Self { evaluators: EVALUATORS.to_vec() }
	}
}

impl ExtBuilder {
	/// Register only these evaluators.
	pub fn evaluators(mut self, who: Vec<AccountId>) -> Self {
		self.evaluators = who;
		self
	}

	pub fn build(self) -> sp_io::TestExternalities {
		let mut t = frame_system::GenesisConfig::<Test>::default().build_storage().unwrap();
		let balances = core::iter::once(OWNER)
			.chain(PARTICIPANTS)
			.chain(EVALUATORS)
			.map(|a| (a, ENDOWMENT))
			.collect();
		pallet_balances::GenesisConfig::<Test> { balances, ..Default::default() }
			.assimilate_storage(&mut t)
			.unwrap();
		let mut ext = sp_io::TestExternalities::new(t);
		ext.execute_with(|| {
			System::set_block_number(1);
			for p in PARTICIPANTS {
				Staking::bond(RuntimeOrigin::signed(p), Role::Participant, PARTICIPANT_BOND)
					.unwrap();
			}
			for e in EVALUATORS {
				Staking::bond(RuntimeOrigin::signed(e), Role::Evaluator, EVALUATOR_BOND).unwrap();
			}
			for e in self.evaluators {
				Evaluation::register_evaluator(RuntimeOrigin::signed(e)).unwrap();
			}
		});
		ext
	}

	/// Run `test`, then check every pallet's invariants.
	pub fn build_and_execute(self, test: impl FnOnce()) {
		self.build().execute_with(|| {
			test();
			Evaluation::do_try_state().expect("evaluation invariants hold");
			DinTasks::do_try_state().expect("tasks invariants hold");
			Staking::do_try_state().expect("staking invariants hold");
		})
	}
}

/// Advance to block `n`, running the hooks of every block on the way.
pub fn run_to(n: u64) {
	while System::block_number() < n {
		let next = System::block_number() + 1;
		System::set_block_number(next);
		Staking::on_initialize(next);
		DinTasks::on_initialize(next);
	}
}

/// A CID from bytes.
pub fn cid(bytes: &[u8]) -> Cid {
	BoundedVec::truncate_from(bytes.to_vec())
}

/// A valid spec: `rounds` rounds, every phase 2 blocks, G = 2, Q = 3, the fixtures' test
/// set and genesis model, scored by `scoring`.
pub fn spec(rounds: RoundIndex, scoring: ScoringRule) -> pallet_din_tasks::TaskSpecOf<Test> {
	let mut spec = TaskSpec::template(b"softmax:64-10".to_vec(), POOL, 2);
	spec.genesis =
		ModelRef { cid: cid(b"genesis"), commitment: H256(fixtures::GENESIS_COMMITMENT) };
	spec.test_set = TestSetRef {
		commitment: H256(fixtures::TEST_SET_COMMITMENT),
		encrypted_cid: cid(b"testset"),
		key_hash: H256(din_fl::sealed_test_set::test_key_hash(&TEST_KEY)),
		proving_key_cid: cid(b"proving-key"),
	};
	spec.rounds = rounds;
	spec.evaluators_per_subgroup = 3;
	spec.min_participant_bond = PARTICIPANT_BOND;
	spec.min_evaluator_bond = EVALUATOR_BOND / 4;
	spec.scoring = scoring;
	spec.fees.protocol_fee = Perbill::from_percent(5);
	spec.fees.baseline_margin = Perbill::from_percent(1);
	spec
}

/// `ZkAccuracy` with the fixtures' verifying key.
pub fn zk() -> ScoringRule {
	ScoringRule::ZkAccuracy { vk: H256(fixtures::VK_BLAKE2_256) }
}

/// Create a task from `spec` by [`OWNER`], joined by `participants`; returns its id.
pub fn create(spec: pallet_din_tasks::TaskSpecOf<Test>, participants: &[AccountId]) -> TaskId {
	// As `din task create` does: a `ZkAccuracy` task's key is registered before the task.
	if let ScoringRule::ZkAccuracy { vk } = spec.scoring {
		if !VerifyingKeys::<Test>::contains_key(vk) {
			register_vk();
		}
	}
	let id = pallet_din_tasks::NextTaskId::<Test>::get();
	DinTasks::create_task(RuntimeOrigin::signed(OWNER), spec).expect("valid spec");
	for p in participants {
		DinTasks::join_task(RuntimeOrigin::signed(*p), id).expect("bonded");
	}
	id
}

/// The task's phase and round.
pub fn phase(task: TaskId) -> (TaskPhase, RoundIndex) {
	let info = pallet_din_tasks::Tasks::<Test>::get(task).expect("task exists");
	(info.phase, info.round)
}

thread_local! {
	/// The in-block phase ends `finish_phase` has already accounted for.
	static ENDS_SEEN: RefCell<Vec<(TaskId, RoundIndex, TaskPhase)>> = const { RefCell::new(Vec::new()) };
}

/// Run until the phase the test is acting in ends: nothing more if its last expected vote
/// ended it inside this block (a commit phase, whose end does no work), the first time this
/// is asked; else until the task's current phase ends.
pub fn finish_phase(task: TaskId) {
	let now = System::block_number();
	let ended_here = System::events().into_iter().find_map(|r| match r.event {
		RuntimeEvent::DinTasks(pallet_din_tasks::Event::PhaseClosedEarly {
			task: t,
			round,
			phase,
			ends,
		}) if t == task && ends == now && Evaluation::ends_without_work(phase) => Some((t, round, phase)),
		_ => None,
	});
	if let Some(end) = ended_here {
		let first = ENDS_SEEN.with(|seen| {
			let mut seen = seen.borrow_mut();
			let first = !seen.contains(&end);
			if first {
				seen.push(end);
			}
			first
		});
		if first {
			return;
		}
	}
	let ends = pallet_din_tasks::Tasks::<Test>::get(task).expect("task exists").phase_ends;
	run_to(ends);
}

/// Run until the task is in `phase`.
pub fn run_until(task: TaskId, target: TaskPhase) {
	for _ in 0..64 {
		if phase(task).0 == target {
			return;
		}
		finish_phase(task);
	}
	panic!("task {task} never reached {target:?}; it is in {:?}", phase(task));
}

/// The panel of `subgroup` in `round`.
pub fn panel(task: TaskId, round: RoundIndex, subgroup: SubgroupIndex) -> Vec<AccountId> {
	Panels::<Test>::get(task, (round, subgroup)).into_inner()
}

/// Submit an update of `who` with `commitment` in the current round.
pub fn submit(task: TaskId, who: AccountId, commitment: [u8; 32]) {
	let round = phase(task).1;
	DinTasks::submit_update(
		RuntimeOrigin::signed(who),
		task,
		round,
		cid(b"update"),
		H256(commitment),
		100,
	)
	.expect("assigned and training");
}

/// The salt every test evaluator uses.
pub const SALT: [u8; 32] = [9u8; 32];

/// The global model every honest evaluator votes for (pipelined or in GlobalCommit).
pub const GLOBAL: H256 = H256::repeat_byte(0x77);

thread_local! {
	/// Evaluators whose pipelined global vote deviates from [`GLOBAL`] at `cid("global")`.
	static GLOBAL_VOTES: RefCell<Vec<(AccountId, Option<ModelRef>)>> = const { RefCell::new(Vec::new()) };
}

/// Make `who` vote `vote` on every pipelined global model from now on.
pub fn vote_pipelined_global(who: AccountId, vote: Option<ModelRef>) {
	GLOBAL_VOTES.with(|v| v.borrow_mut().push((who, vote)));
}

/// The vote of `who` on the global model of the round before `round`, if that vote is
/// open: [`GLOBAL`] unless [`vote_pipelined_global`] said otherwise.
pub fn pipelined_vote(task: TaskId, round: RoundIndex, who: AccountId) -> Option<Option<ModelRef>> {
	Evaluation::open_global_vote(task, round)?;
	let deviating = GLOBAL_VOTES
		.with(|v| v.borrow().iter().rev().find(|(a, _)| *a == who).map(|(_, vote)| vote.clone()));
	Some(deviating.unwrap_or(Some(ModelRef { cid: cid(b"global"), commitment: GLOBAL })))
}

/// Commit an aggregate as `who` for `subgroup`.
pub fn commit_aggregate(
	task: TaskId,
	who: AccountId,
	subgroup: SubgroupIndex,
	commitment: H256,
	invalid: &[AccountId],
) {
	commit_aggregate_at(task, who, subgroup, b"agg", commitment, invalid)
}

/// [`commit_aggregate`] of an aggregate said to live at `cid(location)`.
pub fn commit_aggregate_at(
	task: TaskId,
	who: AccountId,
	subgroup: SubgroupIndex,
	location: &[u8],
	commitment: H256,
	invalid: &[AccountId],
) {
	let round = phase(task).1;
	let mut hash = din_primitives::aggregate_commit_hash(
		task,
		round,
		subgroup,
		&who,
		location,
		&commitment,
		invalid,
		&SALT,
	);
	if let Some(vote) = pipelined_vote(task, round, who) {
		hash = din_primitives::pipelined_commit_hash(
			&hash,
			vote.as_ref().map(|m| (&m.cid[..], &m.commitment)),
		);
	}
	Evaluation::commit_aggregate(RuntimeOrigin::signed(who), task, round, subgroup, hash)
		.expect("on panel");
}

/// Reveal what [`commit_aggregate`] committed.
pub fn reveal_aggregate(
	task: TaskId,
	who: AccountId,
	subgroup: SubgroupIndex,
	commitment: H256,
	invalid: &[AccountId],
) {
	reveal_aggregate_at(task, who, subgroup, b"agg", commitment, invalid)
}

/// Reveal what [`commit_aggregate_at`] committed.
pub fn reveal_aggregate_at(
	task: TaskId,
	who: AccountId,
	subgroup: SubgroupIndex,
	location: &[u8],
	commitment: H256,
	invalid: &[AccountId],
) {
	let round = phase(task).1;
	Evaluation::reveal_aggregate(
		RuntimeOrigin::signed(who),
		task,
		round,
		subgroup,
		cid(location),
		commitment,
		BoundedVec::truncate_from(invalid.to_vec()),
		SALT,
		pipelined_vote(task, round, who).flatten(),
	)
	.expect("committed");
}

/// Commit a global model as `who`.
pub fn commit_global(task: TaskId, who: AccountId, commitment: H256) {
	let round = phase(task).1;
	let hash = din_primitives::global_commit_hash(task, round, &who, b"global", &commitment, &SALT);
	Evaluation::commit_global(RuntimeOrigin::signed(who), task, round, hash)
		.expect("round evaluator");
}

/// Reveal what [`commit_global`] committed.
pub fn reveal_global(task: TaskId, who: AccountId, commitment: H256) {
	let round = phase(task).1;
	Evaluation::reveal_global(
		RuntimeOrigin::signed(who),
		task,
		round,
		cid(b"global"),
		commitment,
		SALT,
	)
	.expect("committed");
}

/// The evaluators of `round` (with seats).
pub fn round_evaluators(task: TaskId, round: RoundIndex) -> Vec<AccountId> {
	RoundEvaluators::<Test>::get(task, round).into_iter().map(|(a, _)| a).collect()
}

/// The active bond of `who` for `role`.
pub fn bonded(who: AccountId, role: Role) -> Balance {
	<Staking as din_primitives::StakeInfo<_, _>>::bonded(&who, role)
}

/// The locked bond of `who` for `role`.
pub fn locked(who: AccountId, role: Role) -> Balance {
	<Staking as din_primitives::StakeInfo<_, _>>::locked(&who, role)
}

/// The events of this pallet so far.
pub fn evaluation_events() -> Vec<Event<Test>> {
	System::events()
		.into_iter()
		.filter_map(|r| if let RuntimeEvent::Evaluation(e) = r.event { Some(e) } else { None })
		.collect()
}

/// Register the fixtures' verifying key.
pub fn register_vk() {
	Evaluation::register_verifying_key(
		RuntimeOrigin::signed(OWNER),
		BoundedVec::truncate_from(fixtures::VK.to_vec()),
	)
	.expect("valid key");
}

/// A proof as the call takes it.
pub fn proof(bytes: &[u8]) -> BoundedVec<u8, ConstU32<256>> {
	BoundedVec::truncate_from(bytes.to_vec())
}
