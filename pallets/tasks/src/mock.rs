//! A test runtime with System, Balances, pallet-din-staking (the real bond pallet, a
//! dev-dependency only) and this pallet, plus a deterministic randomness source and a
//! recording lifecycle hook.

use crate::{self as pallet_din_tasks, *};
use core::cell::RefCell;
use din_primitives::{Perbill, Role, SubgroupIndex, TaskPhase, WorkSlice};
use polkadot_sdk::frame_support::weights::Weight;
use polkadot_sdk::{
	frame_support::{
		derive_impl, parameter_types,
		traits::{AsEnsureOriginWithArg, ConstU32, Hooks},
	},
	pallet_assets, pallet_assets_holder, pallet_balances,
	sp_core::H256,
	sp_io::{self, hashing::blake2_256},
	sp_runtime::{BoundedVec, BuildStorage, DispatchError},
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

#[derive_impl(pallet_din_staking::config_preludes::TestDefaultConfig)]
impl pallet_din_staking::Config for Test {
	type Currency = Balances;
}

/// pallet-din-staking, plus the benchmark funding hook (the staking crate is compiled here
/// without its own `runtime-benchmarks` feature).
pub struct TestStaking;

impl din_primitives::StakeInfo<AccountId, Balance> for TestStaking {
	fn bonded(who: &AccountId, role: Role) -> Balance {
		<Staking as din_primitives::StakeInfo<_, _>>::bonded(who, role)
	}
	fn locked(who: &AccountId, role: Role) -> Balance {
		<Staking as din_primitives::StakeInfo<_, _>>::locked(who, role)
	}
	fn minimum_bond(role: Role) -> Balance {
		match (role, RAISED_MIN_PARTICIPANT_BOND.with(|raised| *raised.borrow())) {
			(Role::Participant, Some(raised)) => raised,
			_ => <Staking as din_primitives::StakeInfo<_, _>>::minimum_bond(role),
		}
	}
	#[cfg(feature = "runtime-benchmarks")]
	fn bond_for_benchmarks(who: &AccountId, role: Role, amount: Balance) {
		use polkadot_sdk::frame_support::traits::fungible::Mutate;
		let have = Self::bonded(who, role);
		if have >= amount {
			return;
		}
		let need = (amount - have).max(Self::minimum_bond(role));
		let free = Balances::free_balance(who);
		Balances::set_balance(who, free + need + 1);
		Staking::bond(RuntimeOrigin::signed(*who), role, need).expect("funded; qed");
	}
}

impl din_primitives::BondLocker<AccountId, Balance> for TestStaking {
	fn lock(who: &AccountId, role: Role, amount: Balance) -> Result<(), DispatchError> {
		<Staking as din_primitives::BondLocker<_, _>>::lock(who, role, amount)
	}
	fn unlock(who: &AccountId, role: Role, amount: Balance) {
		<Staking as din_primitives::BondLocker<_, _>>::unlock(who, role, amount)
	}
}

/// Randomness that is a hash of the subject and the block number: deterministic in tests,
/// different per (task, round).
pub struct TestRandomness;
impl polkadot_sdk::frame_support::traits::Randomness<H256, u64> for TestRandomness {
	fn random(subject: &[u8]) -> (H256, u64) {
		let now = System::block_number();
		let mut input = subject.to_vec();
		input.extend_from_slice(&now.to_le_bytes());
		(H256(blake2_256(&input)), now)
	}
}

/// What the lifecycle hook saw.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HookCall {
	RoundStart(TaskId, RoundIndex, SubgroupIndex),
	PhaseEnd(TaskId, RoundIndex, TaskPhase),
	TaskEnd(TaskId, TaskPhase),
	PruneRecords(TaskId),
}

thread_local! {
	/// A chain minimum participant bond raised after genesis, as governance raises it in
	/// din-runtime (a parameter in storage).
	pub static RAISED_MIN_PARTICIPANT_BOND: RefCell<Option<Balance>> = const { RefCell::new(None) };
	pub static HOOK_CALLS: RefCell<Vec<HookCall>> = const { RefCell::new(Vec::new()) };
	pub static REFUSE_ROUND_START: RefCell<bool> = const { RefCell::new(false) };
	/// How many of the next phase ends answer "not done".
	pub static HELD_PHASE_ENDS: RefCell<u32> = const { RefCell::new(0) };
	/// How many of the next record prunes answer "not done".
	pub static HELD_RECORD_PRUNES: RefCell<u32> = const { RefCell::new(0) };
	/// Whether record prunes answer "done" with no weight, as the `()` lifecycle does.
	pub static WEIGHTLESS_RECORD_PRUNES: RefCell<bool> = const { RefCell::new(false) };
	/// What phase ends report having used ([`HOOK_WEIGHT`] unless a test sets more).
	pub static PHASE_END_WEIGHT: RefCell<Weight> = const { RefCell::new(HOOK_WEIGHT) };
	/// The weight `run_to` gives each block's `on_idle`.
	pub static IDLE_WEIGHT: RefCell<Weight> = const { RefCell::new(Weight::MAX) };
}

/// Records every hook call; refuses round starts while `REFUSE_ROUND_START` is set.
pub struct TestLifecycle;
impl din_primitives::RoundLifecycle for TestLifecycle {
	fn on_round_start(
		task: TaskId,
		round: RoundIndex,
		subgroups: SubgroupIndex,
	) -> (Weight, Result<(), DispatchError>) {
		if REFUSE_ROUND_START.with(|r| *r.borrow()) {
			return (HOOK_WEIGHT, Err(DispatchError::Other("evaluator pool too small")));
		}
		HOOK_CALLS.with(|c| c.borrow_mut().push(HookCall::RoundStart(task, round, subgroups)));
		(HOOK_WEIGHT, Ok(()))
	}
	fn round_start_weight(_: SubgroupIndex) -> Weight {
		HOOK_WEIGHT
	}
	fn on_phase_end(task: TaskId, round: RoundIndex, phase: TaskPhase) -> WorkSlice {
		HOOK_CALLS.with(|c| c.borrow_mut().push(HookCall::PhaseEnd(task, round, phase)));
		WorkSlice {
			weight: PHASE_END_WEIGHT.with(|w| *w.borrow()),
			..slice_unless_held(&HELD_PHASE_ENDS)
		}
	}
	// As pallet-din-evaluation answers: its commit phases record nothing at their end.
	fn ends_without_work(phase: TaskPhase) -> bool {
		matches!(phase, TaskPhase::AggregationCommit | TaskPhase::GlobalCommit)
	}
	fn on_task_created(_: TaskId, _: &ScoringRule) -> Result<(), DispatchError> {
		Ok(())
	}
	fn on_task_end(task: TaskId, phase: TaskPhase) -> Weight {
		HOOK_CALLS.with(|c| c.borrow_mut().push(HookCall::TaskEnd(task, phase)));
		HOOK_WEIGHT
	}
	fn prune_task_records(task: TaskId, _budget: Weight) -> WorkSlice {
		HOOK_CALLS.with(|c| c.borrow_mut().push(HookCall::PruneRecords(task)));
		if WEIGHTLESS_RECORD_PRUNES.with(|w| *w.borrow()) {
			// As `()` answers: done, nothing used.
			return WorkSlice::done(Weight::zero());
		}
		slice_unless_held(&HELD_RECORD_PRUNES)
	}
}

/// "Not done" while `held` counts down from a test's setting, then "done"; either way
/// [`HOOK_WEIGHT`] used.
fn slice_unless_held(held: &'static std::thread::LocalKey<RefCell<u32>>) -> WorkSlice {
	let hold = held.with(|h| {
		let mut h = h.borrow_mut();
		let hold = *h > 0;
		*h = h.saturating_sub(1);
		hold
	});
	if hold {
		WorkSlice::more(HOOK_WEIGHT)
	} else {
		WorkSlice::done(HOOK_WEIGHT)
	}
}

/// What every [`TestLifecycle`] hook reports having used, so tests can count the hook
/// calls a block charged.
pub const HOOK_WEIGHT: Weight = Weight::from_parts(1_000, 10);

parameter_types! {
	pub static MaxParticipants: u32 = 8;
	pub static MaxActiveTasks: u32 = 4;
	pub static MaxRoundDeferrals: u32 = 3;
	pub static MaxReleasesPerBlock: u32 = 16;
	/// No lookback unless a test sets one.
	pub static ShuffleLookback: u64 = 0;
}

#[derive_impl(pallet_din_tasks::config_preludes::TestDefaultConfig)]
impl pallet_din_tasks::Config for Test {
	type Currency = Balances;
	type Assets = AssetsHolder;
	type RewardAssets = polkadot_sdk::frame_support::traits::EverythingBut<UnfitAsset>;
	type Staking = TestStaking;
	type Randomness = TestRandomness;
	type Lifecycle = TestLifecycle;
	type MaxParticipants = MaxParticipants;
	type MaxEvaluatorsPerSubgroup = ConstU32<3>;
	type MaxRounds = ConstU32<3>;
	type MaxActiveTasks = MaxActiveTasks;
	type MaxRoundDeferrals = MaxRoundDeferrals;
	type MaxReleasesPerBlock = MaxReleasesPerBlock;
	type ShuffleLookback = ShuffleLookback;
}

/// The model owner.
pub const OWNER: AccountId = 1;
/// Another funded account that owns nothing.
pub const OTHER: AccountId = 2;
/// Participants 10..=19; 10..=17 are bonded with 100 by default.
pub const PARTICIPANTS: core::ops::RangeInclusive<AccountId> = 10..=19;
/// The reward pool of [`spec`].
pub const POOL: Balance = 1_000;
/// A stablecoin (minimum balance [`STABLE_MIN`]) that [`OWNER`] and [`OTHER`] hold
/// [`STABLE_ENDOWMENT`] of.
pub const STABLE: din_primitives::AssetId = 7;
pub const STABLE_MIN: Balance = 2;
pub const STABLE_ENDOWMENT: Balance = 5_000;
/// An asset [`OWNER`] also holds, which `RewardAssets` refuses.
pub const UNFIT: din_primitives::AssetId = 8;
pub type UnfitAsset = polkadot_sdk::frame_support::traits::IsInVec<UnfitAssets>;
parameter_types! {
	pub UnfitAssets: Vec<din_primitives::AssetId> = vec![UNFIT];
}

pub struct ExtBuilder {
	bonded: Vec<AccountId>,
}

impl Default for ExtBuilder {
	fn default() -> Self {
		Self { bonded: (10..=17).collect() }
	}
}

impl ExtBuilder {
	/// Bond these participants (100 each) at genesis instead of 10..=17.
	pub fn bonded(mut self, who: Vec<AccountId>) -> Self {
		self.bonded = who;
		self
	}

	pub fn build(self) -> sp_io::TestExternalities {
		HOOK_CALLS.with(|c| c.borrow_mut().clear());
		REFUSE_ROUND_START.with(|r| *r.borrow_mut() = false);
		HELD_PHASE_ENDS.with(|h| *h.borrow_mut() = 0);
		HELD_RECORD_PRUNES.with(|h| *h.borrow_mut() = 0);
		WEIGHTLESS_RECORD_PRUNES.with(|w| *w.borrow_mut() = false);
		IDLE_WEIGHT.with(|w| *w.borrow_mut() = Weight::MAX);
		RAISED_MIN_PARTICIPANT_BOND.with(|r| *r.borrow_mut() = None);
		let mut t = frame_system::GenesisConfig::<Test>::default().build_storage().unwrap();
		let balances = [(OWNER, 10_000), (OTHER, 10_000), (3, 50)]
			.into_iter()
			.chain(PARTICIPANTS.map(|p| (p, 1_000)))
			.collect();
		pallet_balances::GenesisConfig::<Test> { balances, ..Default::default() }
			.assimilate_storage(&mut t)
			.unwrap();
		pallet_assets::GenesisConfig::<Test> {
			assets: vec![(STABLE, OTHER, true, STABLE_MIN), (UNFIT, OWNER, false, 1)],
			accounts: vec![
				(STABLE, OWNER, STABLE_ENDOWMENT),
				(STABLE, OTHER, STABLE_ENDOWMENT),
				(UNFIT, OWNER, STABLE_ENDOWMENT),
			],
			..Default::default()
		}
		.assimilate_storage(&mut t)
		.unwrap();
		let mut ext = sp_io::TestExternalities::new(t);
		ext.execute_with(|| {
			System::set_block_number(1);
			for who in self.bonded {
				Staking::bond(RuntimeOrigin::signed(who), Role::Participant, 100).unwrap();
			}
		});
		ext
	}

	/// Run `test`, then check both pallets' invariants.
	pub fn build_and_execute(self, test: impl FnOnce()) {
		self.build().execute_with(|| {
			test();
			DinTasks::do_try_state().expect("tasks invariants hold after the test");
			Staking::do_try_state().expect("staking invariants hold after the test");
		})
	}
}

/// Advance to block `n`, running the hooks of every block on the way (`on_idle` with
/// [`IDLE_WEIGHT`]).
pub fn run_to(n: u64) {
	while System::block_number() < n {
		let next = System::block_number() + 1;
		System::set_block_number(next);
		Staking::on_initialize(next);
		DinTasks::on_initialize(next);
		DinTasks::on_idle(next, IDLE_WEIGHT.with(|w| *w.borrow()));
	}
}

/// The architecture descriptor of [`spec`].
pub fn architecture() -> Vec<u8> {
	b"mlp:784-100-10".to_vec()
}

/// A valid spec: 2 rounds, every phase 2 blocks (registration 3), G = 2, Q = 1, scored by
/// zero-knowledge accuracy.
pub fn spec() -> TaskSpecOf<Test> {
	let mut spec = TaskSpec::template(architecture(), POOL, 2);
	spec.rounds = 2;
	spec.phases.registration = 3;
	spec.min_participant_bond = 50;
	spec.scoring = ScoringRule::ZkAccuracy { vk: H256::repeat_byte(3) };
	spec.test_set.proving_key_cid = BoundedVec::truncate_from(b"bafy-proving-key".to_vec());
	spec.fees.protocol_fee = Perbill::from_percent(5);
	spec.fees.baseline_margin = Perbill::from_percent(1);
	spec
}

/// A CID from bytes.
pub fn cid(bytes: &[u8]) -> Cid {
	BoundedVec::truncate_from(bytes.to_vec())
}

/// Create a task from [`spec`] by [`OWNER`]; returns its id.
pub fn create() -> TaskId {
	create_with(|_| {})
}

/// Create a task from [`spec`] after `change` by [`OWNER`]; returns its id.
pub fn create_with(change: impl FnOnce(&mut TaskSpecOf<Test>)) -> TaskId {
	let id = NextTaskId::<Test>::get();
	let mut spec = spec();
	change(&mut spec);
	DinTasks::create_task(RuntimeOrigin::signed(OWNER), spec).expect("valid spec");
	id
}

/// The task's phase.
pub fn phase(task: TaskId) -> TaskPhase {
	pallet_din_tasks::Tasks::<Test>::get(task).expect("task exists").phase
}

/// The task's current round.
pub fn round(task: TaskId) -> RoundIndex {
	pallet_din_tasks::Tasks::<Test>::get(task).expect("task exists").round
}

/// When the task's phase ends.
pub fn phase_ends(task: TaskId) -> u64 {
	pallet_din_tasks::Tasks::<Test>::get(task).expect("task exists").phase_ends
}

/// The subgroup of `who` in the current round, if assigned.
pub fn subgroup(task: TaskId, who: AccountId) -> Option<SubgroupIndex> {
	DinTasks::assignment_of(task, &who).map(|(_, s)| s)
}

/// The balance of `who` held for reward pools.
pub fn pool_held(who: AccountId) -> Balance {
	use polkadot_sdk::frame_support::traits::fungible::InspectHold;
	Balances::balance_on_hold(&HoldReason::RewardPool.into(), &who)
}

/// The balance of `who` in [`STABLE`]: free, and held for reward pools.
pub fn stable(who: AccountId) -> (Balance, Balance) {
	use polkadot_sdk::frame_support::traits::fungibles::{Inspect, InspectHold};
	(
		<Assets as Inspect<_>>::balance(STABLE, &who),
		AssetsHolder::balance_on_hold(STABLE, &HoldReason::RewardPool.into(), &who),
	)
}

/// The balance of `who` held for task deposits.
pub fn deposit_held(who: AccountId) -> Balance {
	use polkadot_sdk::frame_support::traits::fungible::InspectHold;
	Balances::balance_on_hold(&HoldReason::TaskDeposit.into(), &who)
}

/// The participant bond of `who` locked by duties.
pub fn locked(who: AccountId) -> Balance {
	<Staking as din_primitives::StakeInfo<_, _>>::locked(&who, Role::Participant)
}

/// Run until the task's current phase ends.
pub fn finish_phase(task: TaskId) {
	run_to(phase_ends(task));
}

/// The events of this pallet deposited so far.
pub fn task_events() -> Vec<Event<Test>> {
	System::events()
		.into_iter()
		.filter_map(|r| if let RuntimeEvent::DinTasks(e) = r.event { Some(e) } else { None })
		.collect()
}

/// The lifecycle hook calls so far.
pub fn hook_calls() -> Vec<HookCall> {
	HOOK_CALLS.with(|c| c.borrow().clone())
}

/// Make the next `n` phase ends answer "not done".
pub fn hold_phase_ends(n: u32) {
	HELD_PHASE_ENDS.with(|h| *h.borrow_mut() = n);
}

/// Make the lifecycle hook refuse (or accept) round starts.
pub fn refuse_round_start(refuse: bool) {
	REFUSE_ROUND_START.with(|r| *r.borrow_mut() = refuse);
}
