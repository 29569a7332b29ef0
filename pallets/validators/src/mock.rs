//! A test runtime with System, Balances, pallet-din-staking (the real bonds and slashes) and
//! this pallet. Session keys, the genesis validators and disabling are stand-ins: a set of
//! registered accounts, a fixed genesis set, and a log of disabled accounts.

use crate::{self as pallet_din_validators, *};
use core::cell::RefCell;
use polkadot_sdk::{
	frame_support::{
		derive_impl, parameter_types,
		traits::{ValidatorRegistration, ValidatorSet},
	},
	frame_system::{self, EnsureRoot},
	pallet_balances, pallet_session, sp_io,
	sp_runtime::{traits::ConvertInto, BuildStorage},
};

pub type AccountId = u64;
pub type Balance = u64;

type Block = frame_system::mocking::MockBlock<Test>;

polkadot_sdk::frame_support::construct_runtime!(
	pub enum Test {
		System: frame_system,
		Balances: pallet_balances,
		Staking: pallet_din_staking,
		Validators: pallet_din_validators,
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

/// The minimum validator bond of the mock.
pub const MIN_BOND: Balance = 1_000;

parameter_types! {
	pub const MinValidatorBond: Balance = MIN_BOND;
	pub static MaxValidators: u32 = 4;
	pub static MinValidators: u32 = 2;
	pub static MaxCandidates: u32 = 5;
}

#[derive_impl(pallet_din_staking::config_preludes::TestDefaultConfig)]
impl pallet_din_staking::Config for Test {
	type Currency = Balances;
	type MinValidatorBond = MinValidatorBond;
}

thread_local! {
	static REGISTERED: RefCell<Vec<AccountId>> = RefCell::new((1..=20).collect());
	static DISABLED: RefCell<Vec<(AccountId, Perbill)>> = RefCell::new(Vec::new());
}

/// Session keys: accounts 1..=20 have some, until [`purge_keys`].
pub struct TestKeys;

impl ValidatorRegistration<AccountId> for TestKeys {
	fn is_registered(who: &AccountId) -> bool {
		REGISTERED.with(|r| r.borrow().contains(who))
	}
}

/// `who` purges its session keys.
pub fn purge_keys(who: AccountId) {
	REGISTERED.with(|r| r.borrow_mut().retain(|a| *a != who));
}

/// The genesis validators the session would report: 1 and 2.
pub struct TestSession;

impl ValidatorSet<AccountId> for TestSession {
	type ValidatorId = AccountId;
	type ValidatorIdOf = ConvertInto;

	fn session_index() -> SessionIndex {
		0
	}

	fn validators() -> Vec<AccountId> {
		vec![1, 2]
	}
}

/// Records every disabled offender.
pub struct TestDisable;

impl DisableOffender<AccountId> for TestDisable {
	fn disable(who: &AccountId, fraction: Perbill) {
		DISABLED.with(|d| d.borrow_mut().push((*who, fraction)));
	}
}

/// The offenders disabled so far.
pub fn disabled() -> Vec<(AccountId, Perbill)> {
	DISABLED.with(|d| d.borrow().clone())
}

impl pallet_din_validators::Config for Test {
	type Balance = Balance;
	type Stake = Staking;
	type Slasher = Staking;
	type KeysRegistration = TestKeys;
	type SessionValidators = TestSession;
	type DisableOffender = TestDisable;
	type GovernanceOrigin = EnsureRoot<AccountId>;
	type MaxValidators = MaxValidators;
	type MinValidators = MinValidators;
	type MaxCandidates = MaxCandidates;
	type WeightInfo = ();
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = TestKeys;
}

#[cfg(feature = "runtime-benchmarks")]
impl BenchmarkHelper<AccountId> for TestKeys {
	fn register_keys(who: &AccountId) {
		REGISTERED.with(|r| r.borrow_mut().push(*who));
	}
}

/// Accounts 1..=20 start with 100_000 each; invulnerables come from [`TestSession`] (1, 2)
/// unless [`ExtBuilder::invulnerables`] names others.
#[derive(Default)]
pub struct ExtBuilder {
	invulnerables: Vec<AccountId>,
}

impl ExtBuilder {
	/// Name the genesis invulnerables instead of adopting the session's validators.
	pub fn invulnerables(mut self, invulnerables: Vec<AccountId>) -> Self {
		self.invulnerables = invulnerables;
		self
	}

	pub fn build(self) -> sp_io::TestExternalities {
		let mut t = frame_system::GenesisConfig::<Test>::default().build_storage().unwrap();
		pallet_balances::GenesisConfig::<Test> {
			balances: (1..=20).map(|a| (a, 100_000)).collect(),
			..Default::default()
		}
		.assimilate_storage(&mut t)
		.unwrap();
		pallet_din_validators::GenesisConfig::<Test> { invulnerables: self.invulnerables }
			.assimilate_storage(&mut t)
			.unwrap();
		let mut ext = sp_io::TestExternalities::new(t);
		ext.execute_with(|| System::set_block_number(1));
		ext
	}

	/// Run `test`, then check both pallets' invariants.
	pub fn build_and_execute(self, test: impl FnOnce()) {
		self.build().execute_with(|| {
			test();
			Validators::do_try_state().expect("validators' invariants hold after the test");
			Staking::do_try_state().expect("staking's invariants hold after the test");
		})
	}
}

/// `who` bonds `amount` for the validator role and calls `validate`.
pub fn stand(who: AccountId, amount: Balance) {
	use polkadot_sdk::frame_support::assert_ok;
	assert_ok!(Staking::bond(RuntimeOrigin::signed(who), Role::Validator, amount));
	assert_ok!(Validators::validate(RuntimeOrigin::signed(who)));
}

/// Plan session `n` as pallet-session would.
pub fn plan(n: SessionIndex) -> Option<Vec<AccountId>> {
	<Validators as pallet_session::SessionManager<AccountId>>::new_session(n)
}

/// The validator bond of `who` and the part of it that is locked.
pub fn bond_of(who: AccountId) -> (Balance, Balance) {
	use din_primitives::StakeInfo;
	(Staking::bonded(&who, Role::Validator), Staking::locked(&who, Role::Validator))
}

/// The events of this pallet deposited so far.
pub fn validator_events() -> Vec<Event<Test>> {
	System::events()
		.into_iter()
		.filter_map(|r| if let RuntimeEvent::Validators(e) = r.event { Some(e) } else { None })
		.collect()
}
