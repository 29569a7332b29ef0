//! A test runtime with System, Balances and the real pallet-din-staking and
//! pallet-din-tasks (dev-dependencies) around this pallet. Settlements are driven directly
//! with hand-made outcomes; the full flow from votes to payouts is tested in
//! pallet-din-evaluation.

use crate::{self as pallet_din_rewards, *};
use din_primitives::{FeeParams, Role};
use pallet_din_tasks::TaskSpec;
use polkadot_sdk::{
	frame_support::{derive_impl, traits::AsEnsureOriginWithArg},
	frame_system, pallet_assets, pallet_assets_holder, pallet_balances,
	sp_core::H256,
	sp_io,
	sp_runtime::BuildStorage,
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

#[derive_impl(pallet_din_staking::config_preludes::TestDefaultConfig)]
impl pallet_din_staking::Config for Test {
	type Currency = Balances;
}

/// Constant randomness: this runtime never starts a round.
pub struct NoRandomness;
impl polkadot_sdk::frame_support::traits::Randomness<H256, u64> for NoRandomness {
	fn random(_: &[u8]) -> (H256, u64) {
		(H256::zero(), 0)
	}
}

#[derive_impl(pallet_din_tasks::config_preludes::TestDefaultConfig)]
impl pallet_din_tasks::Config for Test {
	type Currency = Balances;
	type Assets = AssetsHolder;
	type RewardAssets = polkadot_sdk::frame_support::traits::Everything;
	type Staking = Staking;
	type Randomness = NoRandomness;
	// The payout arithmetic is checked over every fee split, a zero evaluator fee included.
	type MinEvaluatorFee = ();
}

#[derive_impl(pallet_din_rewards::config_preludes::TestDefaultConfig)]
impl pallet_din_rewards::Config for Test {
	type Tasks = DinTasks;
	type Staking = Staking;
}

/// The model owner.
pub const OWNER: AccountId = 1;
/// Participants 10..=17 (bonded with 100 each), evaluators 30..=37.
pub fn participants() -> Vec<AccountId> {
	(10..=17).collect()
}
pub fn evaluators() -> Vec<AccountId> {
	(30..=37).collect()
}
/// Every account's starting balance.
pub const ENDOWMENT: Balance = 1_000_000;
/// A stablecoin (minimum balance 1) the owner holds [`ENDOWMENT`] of; nobody else holds any.
pub const STABLE: din_primitives::AssetId = 7;

pub fn new_test_ext() -> sp_io::TestExternalities {
	let mut t = frame_system::GenesisConfig::<Test>::default().build_storage().unwrap();
	let balances = core::iter::once(OWNER)
		.chain(participants())
		.chain(evaluators())
		.map(|a| (a, ENDOWMENT))
		.collect();
	pallet_balances::GenesisConfig::<Test> { balances, ..Default::default() }
		.assimilate_storage(&mut t)
		.unwrap();
	pallet_assets::GenesisConfig::<Test> {
		assets: vec![(STABLE, OWNER, false, 1)],
		accounts: vec![(STABLE, OWNER, ENDOWMENT)],
		..Default::default()
	}
	.assimilate_storage(&mut t)
	.unwrap();
	let mut ext = sp_io::TestExternalities::new(t);
	ext.execute_with(|| {
		System::set_block_number(1);
		for p in participants() {
			Staking::bond(RuntimeOrigin::signed(p), Role::Participant, 100).unwrap();
		}
	});
	ext
}

/// Run `test` in [`new_test_ext`], then check the invariants of the pallets it touched.
pub fn build_and_execute(test: impl FnOnce()) {
	new_test_ext().execute_with(|| {
		test();
		Rewards::do_try_state().expect("rewards invariants hold after the test");
		DinTasks::do_try_state().expect("tasks invariants hold after the test");
		Staking::do_try_state().expect("staking invariants hold after the test");
	})
}

/// Create a task with `pool` and `fees` by [`OWNER`]; returns its id.
pub fn create(pool: Balance, fees: FeeParams) -> TaskId {
	create_in(din_primitives::RewardAsset::Native, pool, fees)
}

/// Create a task with `pool` of `asset` and `fees` by [`OWNER`]; returns its id.
pub fn create_in(asset: din_primitives::RewardAsset, pool: Balance, fees: FeeParams) -> TaskId {
	let mut spec = TaskSpec::template(b"softmax:64-10".to_vec(), pool, 5);
	spec.reward.asset = asset;
	spec.subgroup_size = 4;
	spec.evaluators_per_subgroup = 3;
	spec.fees = fees;
	let id = pallet_din_tasks::NextTaskId::<Test>::get();
	DinTasks::create_task(RuntimeOrigin::signed(OWNER), spec).expect("valid spec");
	id
}

/// 10% evaluator fee, 5% protocol fee, 1% margin, 10% slash.
pub fn fees() -> FeeParams {
	FeeParams {
		evaluator_fee: Perbill::from_percent(10),
		protocol_fee: Perbill::from_percent(5),
		baseline_margin: Perbill::from_percent(1),
		slash: Perbill::from_percent(10),
	}
}
