//! A test runtime with System, Balances and this pallet.

use crate::{self as pallet_din_staking, *};
use polkadot_sdk::{
	frame_support::{derive_impl, parameter_types, traits::Hooks},
	pallet_balances, sp_io,
	sp_runtime::BuildStorage,
};

pub type AccountId = u64;
pub type Balance = u64;

type Block = frame_system::mocking::MockBlock<Test>;

polkadot_sdk::frame_support::construct_runtime!(
	pub enum Test {
		System: frame_system,
		Balances: pallet_balances,
		Staking: pallet_din_staking,
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

parameter_types! {
	pub static MinParticipantBond: Balance = 10;
	pub static MinEvaluatorBond: Balance = 100;
	pub static UnbondingPeriod: u64 = 10;
}

#[derive_impl(pallet_din_staking::config_preludes::TestDefaultConfig)]
impl pallet_din_staking::Config for Test {
	type Currency = Balances;
	type MinParticipantBond = MinParticipantBond;
	type MinEvaluatorBond = MinEvaluatorBond;
	type UnbondingPeriod = UnbondingPeriod;
	type MaxReputation = polkadot_sdk::frame_support::traits::ConstU32<20>;
}

/// Accounts 1..=5 start with 1_000 each; account 6 with 5.
pub struct ExtBuilder {
	balances: Vec<(AccountId, Balance)>,
}

impl Default for ExtBuilder {
	fn default() -> Self {
		Self { balances: (1..=5).map(|a| (a, 1_000)).chain([(6, 5)]).collect() }
	}
}

impl ExtBuilder {
	pub fn build(self) -> sp_io::TestExternalities {
		let mut t = frame_system::GenesisConfig::<Test>::default().build_storage().unwrap();
		pallet_balances::GenesisConfig::<Test> { balances: self.balances, ..Default::default() }
			.assimilate_storage(&mut t)
			.unwrap();
		let mut ext = sp_io::TestExternalities::new(t);
		ext.execute_with(|| System::set_block_number(1));
		ext
	}

	/// Run `test`, then check the pallet's invariants.
	pub fn build_and_execute(self, test: impl FnOnce()) {
		self.build().execute_with(|| {
			test();
			Staking::do_try_state().expect("invariants hold after the test");
		})
	}
}

/// Advance to block `n`, running the hooks of every block on the way.
pub fn run_to(n: u64) {
	while System::block_number() < n {
		let next = System::block_number() + 1;
		System::set_block_number(next);
		Staking::on_initialize(next);
	}
}

/// The ledger of `who` for `role`.
pub fn ledger(who: AccountId, role: Role) -> Option<StakeLedger<Test>> {
	Ledgers::<Test>::get(who, role)
}

/// The balance of `who` held for `role`.
pub fn held(who: AccountId, role: Role) -> Balance {
	use polkadot_sdk::frame_support::traits::fungible::InspectHold;
	Balances::balance_on_hold(&Staking::hold_reason(role), &who)
}

/// The free balance of `who`.
pub fn free(who: AccountId) -> Balance {
	Balances::free_balance(who)
}

/// The events of this pallet deposited so far.
pub fn staking_events() -> Vec<Event<Test>> {
	System::events()
		.into_iter()
		.filter_map(|r| if let RuntimeEvent::Staking(e) = r.event { Some(e) } else { None })
		.collect()
}
