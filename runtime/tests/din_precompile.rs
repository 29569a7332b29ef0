//! The DIN precompile inside the real runtime, on the dev genesis: every call goes through
//! pallet-revive's `bare_call` to `DIN_ADDRESS`, the path a transaction or a contract's
//! call takes, with ABI-encoded input from `IDin.sol`. (Static and delegate calls need a
//! calling contract; the ethers test in `contracts/test` covers those.)

mod common;

use codec::Encode;
use common::{new_test_ext, task_spec};
use din_primitives::{Role, UNIT};
use din_runtime::{Runtime, RuntimeOrigin};
use pallet_din_precompile::{IDin, DIN_ADDRESS};
use pallet_din_tasks::TaskSpec;
use polkadot_sdk::{
	frame_support::{traits::Get, weights::Weight},
	pallet_revive::{
		precompiles::alloy::{
			primitives::{Address, U256},
			sol_types::{Revert, SolCall, SolError},
		},
		AddressMapper, ExecConfig, ExecReturnValue, TransactionLimits,
	},
	sp_core::{H160, U256 as SpU256},
	sp_keyring::Sr25519Keyring,
	sp_runtime::AccountId32,
};

fn alice() -> AccountId32 {
	Sr25519Keyring::Alice.to_account_id()
}

fn address_of(who: &AccountId32) -> Address {
	Address::from(
		<Runtime as polkadot_sdk::pallet_revive::Config>::AddressMapper::to_address(who).0,
	)
}

/// Calls the precompile as `who` and returns what it returned, reverted or not.
fn call<C: SolCall>(who: &AccountId32, call: C) -> ExecReturnValue {
	let result = polkadot_sdk::pallet_revive::Pallet::<Runtime>::bare_call(
		RuntimeOrigin::signed(who.clone()),
		H160(DIN_ADDRESS),
		SpU256::zero(),
		TransactionLimits::WeightAndDeposit {
			weight_limit: Weight::from_parts(1_000_000_000_000, 10 * 1024 * 1024),
			deposit_limit: 1_000 * UNIT,
		},
		call.abi_encode(),
		&ExecConfig::new_substrate_tx(),
	);
	result.result.expect("the call executes (a revert is a return value)")
}

fn returned<C: SolCall>(who: &AccountId32, input: C) -> C::Return {
	let out = call(who, input);
	assert!(!out.did_revert(), "reverted: {:?}", revert_reason(&out));
	C::abi_decode_returns(&out.data).expect("decodes as the interface says")
}

fn revert_reason(out: &ExecReturnValue) -> String {
	assert!(out.did_revert(), "expected a revert");
	Revert::abi_decode(&out.data)
		.map(|r| r.reason)
		.unwrap_or_else(|_| format!("undecodable {:?}", out.data))
}

fn valid_spec(reward: u128) -> TaskSpec<Runtime> {
	let mut spec = task_spec();
	spec.reward.amount = reward;
	spec
}

#[test]
fn create_task_makes_the_caller_the_owner_and_holds_the_pool() {
	new_test_ext().execute_with(|| {
		let alice = alice();
		let free_before = pallet_balances_free(&alice);
		let id =
			returned(&alice, IDin::createTaskCall { spec: valid_spec(500 * UNIT).encode().into() });
		assert_eq!(id, 0);

		let info =
			pallet_din_tasks::Tasks::<Runtime>::get(id).expect("the task is in the tasks pallet");
		assert_eq!(info.owner, alice);
		assert_eq!(info.remaining, 500 * UNIT);
		assert!(
			free_before - pallet_balances_free(&alice) >= 500 * UNIT,
			"the pool is held from the caller"
		);

		let view = returned(&alice, IDin::taskInfoCall { id });
		assert!(view.exists);
		assert_eq!(view.owner, address_of(&alice));
		assert_eq!((view.phase, view.round, view.rounds), (0, 0, 1));
		assert_eq!(view.remaining, U256::from(500 * UNIT));
		assert_eq!(returned(&alice, IDin::nextTaskIdCall {}), 1);
		assert!(!returned(&alice, IDin::taskInfoCall { id: 7 }).exists);
	});
}

#[test]
fn bond_and_join_act_as_the_caller() {
	new_test_ext().execute_with(|| {
		let alice = alice();
		let bob = Sr25519Keyring::Bob.to_account_id();
		let id =
			returned(&alice, IDin::createTaskCall { spec: valid_spec(500 * UNIT).encode().into() });

		returned(&bob, IDin::bondCall { role: 0, amount: U256::from(2 * UNIT) });
		let ledger =
			pallet_din_staking::Ledgers::<Runtime>::get(&bob, Role::Participant).expect("bonded");
		assert_eq!(ledger.active, 2 * UNIT);

		returned(&bob, IDin::joinTaskCall { id });
		assert!(din_runtime::Tasks::participants_of(id).contains(&bob));
		let bond = returned(&alice, IDin::bondOfCall { who: address_of(&bob), role: 0 });
		assert_eq!((bond.active, bond.locked), (U256::from(2 * UNIT), U256::from(UNIT)));

		returned(&bob, IDin::unbondCall { role: 0, amount: U256::from(UNIT) });
		let bond = returned(&alice, IDin::bondOfCall { who: address_of(&bob), role: 0 });
		assert_eq!((bond.active, bond.unbonding), (U256::from(UNIT), U256::from(UNIT)));
		assert_eq!(returned(&alice, IDin::reputationCall { who: address_of(&bob), role: 0 }), 0);
	});
}

/// Attack: a contract (or an EOA) that acts only through the precompile bonds, joins and
/// funds a task, and the chain keeps its funds because the calls that give them back are
/// missing. Every fund comes back: the pool by `cancelTask`, the lock by `leaveTask` (as
/// the first round starts, or here the task ends), the bond by `unbond` then
/// `withdrawUnbonded` after the unbonding period, the task's storage deposit when its
/// records are pruned after the retention.
#[test]
fn a_caller_of_the_precompile_gets_every_fund_back() {
	new_test_ext().execute_with(|| {
		let alice = alice();
		let bob = Sr25519Keyring::Bob.to_account_id();
		let (alice_before, bob_before) = (pallet_balances_free(&alice), pallet_balances_free(&bob));
		let id =
			returned(&alice, IDin::createTaskCall { spec: valid_spec(500 * UNIT).encode().into() });
		returned(&bob, IDin::bondCall { role: 0, amount: U256::from(2 * UNIT) });
		returned(&bob, IDin::joinTaskCall { id });

		// Only the owner cancels.
		assert_eq!(revert_reason(&call(&bob, IDin::cancelTaskCall { id })), "NotOwner");
		returned(&bob, IDin::leaveTaskCall { id });
		assert!(!din_runtime::Tasks::participants_of(id).contains(&bob));
		let locked =
			|| returned(&alice, IDin::bondOfCall { who: address_of(&bob), role: 0 }).locked;
		assert_eq!(locked(), U256::from(UNIT), "locked until the first round starts");
		assert_eq!(revert_reason(&call(&bob, IDin::leaveTaskCall { id })), "AlreadyLeft");

		returned(&alice, IDin::cancelTaskCall { id });
		assert_eq!(locked(), U256::ZERO, "the task's end releases the lock of the leaver");
		let info = pallet_din_tasks::Tasks::<Runtime>::get(id).expect("kept as a record");
		assert_eq!(info.phase, din_primitives::TaskPhase::Cancelled);
		assert_eq!(info.remaining, 0);
		let deposit = pallet_din_tasks::TaskDeposits::<Runtime>::get(id).expect("held");
		assert!(deposit > 0);
		assert_eq!(
			pallet_balances_free(&alice),
			alice_before - deposit,
			"the whole pool is back; the deposit is held while the records are kept"
		);
		assert_eq!(revert_reason(&call(&alice, IDin::cancelTaskCall { id })), "TaskEnded");

		returned(&bob, IDin::unbondCall { role: 0, amount: U256::from(2 * UNIT) });
		assert_eq!(
			revert_reason(&call(&bob, IDin::withdrawUnbondedCall { role: 0 })),
			"NothingToWithdraw",
			"not before the unbonding period"
		);
		let unbonding = <Runtime as pallet_din_staking::Config>::UnbondingPeriod::get();
		din_runtime::System::set_block_number(1 + unbonding);
		let withdrawn = returned(&bob, IDin::withdrawUnbondedCall { role: 0 });
		assert_eq!(withdrawn, U256::from(2 * UNIT));
		assert!(pallet_din_staking::Ledgers::<Runtime>::get(&bob, Role::Participant).is_none());
		assert_eq!(pallet_balances_free(&bob), bob_before, "the whole bond is back");

		// The retention (as long as the unbonding period) is over: a block with room prunes.
		let retention = <Runtime as pallet_din_tasks::Config>::RecordRetention::get();
		let now = din_runtime::System::block_number().max(1 + retention);
		din_runtime::System::set_block_number(now);
		<din_runtime::Tasks as polkadot_sdk::frame_support::traits::Hooks<_>>::on_idle(
			now,
			Weight::MAX,
		);
		assert!(pallet_din_tasks::Tasks::<Runtime>::get(id).is_none(), "the record is pruned");
		assert_eq!(pallet_balances_free(&alice), alice_before, "and the deposit is back");
	});
}

/// Attack: an owner that acts through the precompile extends a task without paying for
/// the added rounds, or a stranger extends or ends someone else's task. The top-up is held
/// from the owner and must keep the pool per round; only the owner may call either; ending
/// training needs a round in progress.
#[test]
fn an_owner_extends_through_the_precompile_only_with_a_top_up_and_only_its_own_task() {
	new_test_ext().execute_with(|| {
		let alice = alice();
		let bob = Sr25519Keyring::Bob.to_account_id();
		let id =
			returned(&alice, IDin::createTaskCall { spec: valid_spec(500 * UNIT).encode().into() });
		let extend =
			|top_up: u128| IDin::extendTaskCall { id, rounds: 1, topUp: U256::from(top_up) };

		assert_eq!(revert_reason(&call(&bob, extend(500 * UNIT))), "NotOwner");
		assert_eq!(
			revert_reason(&call(&alice, extend(500 * UNIT - 1))),
			"TopUpTooSmall",
			"one more round of a 1-round task of 500 needs 500 more"
		);
		assert_eq!(
			revert_reason(&call(&alice, IDin::extendTaskCall { id, rounds: 1, topUp: U256::MAX })),
			"AmountTooLarge"
		);
		let free_before = pallet_balances_free(&alice);
		returned(&alice, extend(500 * UNIT));
		let info = pallet_din_tasks::Tasks::<Runtime>::get(id).expect("created");
		assert_eq!((info.spec.rounds, info.remaining), (2, 1000 * UNIT));
		assert!(free_before - pallet_balances_free(&alice) >= 500 * UNIT, "the top-up is held");
		let view = returned(&alice, IDin::taskInfoCall { id });
		assert_eq!((view.rounds, view.remaining), (2, U256::from(1000 * UNIT)));

		assert_eq!(revert_reason(&call(&bob, IDin::endTrainingCall { id })), "NotOwner");
		assert_eq!(
			revert_reason(&call(&alice, IDin::endTrainingCall { id })),
			"NotInRound",
			"registration has no round to make the last"
		);
	});
}

/// Attack: a stranger releases (a wrong) test key for someone else's task, an owner
/// releases one before Scoring, while panels could still fit the test set, or stores an
/// oversized key. Each reverts by name, and no key is stored.
#[test]
fn only_the_owner_releases_a_test_key_and_only_in_scoring() {
	new_test_ext().execute_with(|| {
		let alice = alice();
		let bob = Sr25519Keyring::Bob.to_account_id();
		let id =
			returned(&alice, IDin::createTaskCall { spec: valid_spec(500 * UNIT).encode().into() });
		let max: u32 = <Runtime as pallet_din_evaluation::Config>::MaxTestKeyLen::get();
		let max = max as usize;
		let release = |key: Vec<u8>| IDin::releaseTestKeyCall { id, key: key.into() };

		assert_eq!(revert_reason(&call(&alice, release(vec![7; max + 1]))), "TestKeyTooLong");
		assert_eq!(revert_reason(&call(&bob, release(vec![7; 32]))), "NotOwner");
		assert_eq!(revert_reason(&call(&alice, release(vec![7; 32]))), "NotScoring");
		assert!(!pallet_din_evaluation::TestKeys::<Runtime>::contains_key(id));
	});
}

#[test]
fn refused_calls_revert_with_the_broken_rule_and_change_nothing() {
	new_test_ext().execute_with(|| {
		let alice = alice();
		let bob = Sr25519Keyring::Bob.to_account_id();
		assert_eq!(
			revert_reason(&call(&alice, IDin::createTaskCall { spec: vec![1, 2, 3].into() })),
			"MalformedTaskSpec"
		);
		let mut trailing = valid_spec(500 * UNIT).encode();
		trailing.push(0);
		assert_eq!(
			revert_reason(&call(&alice, IDin::createTaskCall { spec: trailing.into() })),
			"MalformedTaskSpec"
		);
		assert_eq!(
			revert_reason(&call(
				&alice,
				IDin::createTaskCall { spec: valid_spec(UNIT).encode().into() }
			)),
			"RewardPoolTooLow"
		);
		assert_eq!(revert_reason(&call(&bob, IDin::joinTaskCall { id: 9 })), "UnknownTask");
		assert_eq!(
			revert_reason(&call(&bob, IDin::bondCall { role: 7, amount: U256::from(UNIT) })),
			"UnknownRole"
		);
		assert_eq!(
			revert_reason(&call(&bob, IDin::bondCall { role: 1, amount: U256::from(UNIT) })),
			"BelowMinimumBond"
		);
		assert_eq!(
			revert_reason(&call(&bob, IDin::unbondCall { role: 0, amount: U256::from(UNIT) })),
			"NotBonded"
		);
		assert_eq!(
			revert_reason(&call(&bob, IDin::bondCall { role: 0, amount: U256::MAX })),
			"AmountTooLarge",
			"amounts beyond u128 are refused, not truncated"
		);
		assert_eq!(pallet_din_tasks::NextTaskId::<Runtime>::get(), 0);
		assert!(pallet_din_staking::Ledgers::<Runtime>::get(&bob, Role::Participant).is_none());
		assert!(pallet_din_staking::Ledgers::<Runtime>::get(&bob, Role::Evaluator).is_none());
	});
}

fn pallet_balances_free(who: &AccountId32) -> u128 {
	polkadot_sdk::pallet_balances::Pallet::<Runtime>::free_balance(who)
}
