//! Benchmarks of the precompile's views (frame-benchmarking v2), each at its worst case,
//! called the way `pallet-revive` calls them. The actions charge the weights of the calls
//! they dispatch, benchmarked by their own pallets.

use super::*;
use din_primitives::{BenchmarkTask, ScoringRule, TaskInspect, TaskPhase};
use polkadot_sdk::{
	frame_benchmarking::v2::*,
	frame_support::traits::fungible::{Inspect, Mutate},
	pallet_revive::call_builder::{CallSetup, VmBinaryModule},
	sp_runtime::Saturating,
};

fn address<T: Config>(who: &T::AccountId) -> Address {
	address_of::<T>(who)
}

/// The calling frame: an EVM contract (pallet-revive's default caller is a PolkaVM fixture,
/// which needs the PolkaVM toolchain to build).
fn caller<T: Config>() -> CallSetup<T> {
	CallSetup::<T>::new(VmBinaryModule::evm_noop(1))
}

/// A task in the Training phase of its first round with `subgroups` drawn.
fn task_in_training<T: Config>(subgroups: Vec<Vec<T::AccountId>>) -> TaskId {
	let owner: T::AccountId = account("owner", 0, 0);
	<pallet_din_tasks::Pallet<T> as TaskInspect<_, _>>::benchmark_task(BenchmarkTask {
		owner,
		phase: TaskPhase::Training,
		round: 0,
		evaluators_per_subgroup: 1,
		scoring: ScoringRule::Median {
			threshold: polkadot_sdk::sp_runtime::Perbill::from_percent(2),
		},
		genesis_commitment: H256::repeat_byte(1),
		test_set_commitment: H256::repeat_byte(2),
		test_key_hash: H256::repeat_byte(3),
		subgroups,
		updates: Vec::new(),
	})
}

#[benchmarks(
	where
		TaskBalance<T>: Into<u128>,
		StakeBalance<T>: Into<u128> + TryFrom<u128>,
)]
mod benchmarks {
	use super::*;

	#[benchmark]
	fn next_task_id() {
		let mut setup = caller::<T>();
		let (mut ext, _) = setup.ext();
		let input = IDin::IDinCalls::nextTaskId(IDin::nextTaskIdCall {});
		let result;
		#[block]
		{
			result = Din::<T>::call(&DIN_ADDRESS, &input, &mut ext);
		}
		assert!(result.is_ok());
	}

	/// A task in a round phase, owned by a mapped account.
	#[benchmark]
	fn task_info() {
		let task = task_in_training::<T>(Vec::new());
		let mut setup = caller::<T>();
		let (mut ext, _) = setup.ext();
		let input = IDin::IDinCalls::taskInfo(IDin::taskInfoCall { id: task });
		let result;
		#[block]
		{
			result = Din::<T>::call(&DIN_ADDRESS, &input, &mut ext);
		}
		assert!(IDin::taskInfoCall::abi_decode_returns(&result.unwrap()).unwrap().exists);
	}

	/// A participant assigned in the current round of a task.
	#[benchmark]
	fn assignment() {
		let participant: T::AccountId = account("participant", 0, 0);
		// A funded account is a mapped one (the runtime maps every new account), so that its
		// address leads back to it.
		<T as pallet_din_staking::Config>::Currency::set_balance(
			&participant,
			pallet_din_staking::Pallet::<T>::min_bond(Role::Evaluator),
		);
		let task = task_in_training::<T>(alloc::vec![alloc::vec![participant.clone()]]);
		let mut setup = caller::<T>();
		let (mut ext, _) = setup.ext();
		let input = IDin::IDinCalls::assignment(IDin::assignmentCall {
			id: task,
			participant: address::<T>(&participant),
		});
		let result;
		#[block]
		{
			result = Din::<T>::call(&DIN_ADDRESS, &input, &mut ext);
		}
		assert!(IDin::assignmentCall::abi_decode_returns(&result.unwrap()).unwrap().assigned);
	}

	/// A ledger with every unbonding chunk in use.
	#[benchmark]
	fn bond_of() {
		let who: T::AccountId = account("staker", 0, 0);
		let min = pallet_din_staking::Pallet::<T>::min_bond(Role::Evaluator);
		let chunks = <T as pallet_din_staking::Config>::MaxUnlockingChunks::get();
		let bonded = min.saturating_mul((chunks + 10).into());
		<T as pallet_din_staking::Config>::Currency::set_balance(
			&who,
			bonded
				.saturating_mul(2u32.into())
				.saturating_add(<T as pallet_din_staking::Config>::Currency::minimum_balance()),
		);
		pallet_din_staking::Pallet::<T>::bond(signed::<T>(&who), Role::Evaluator, bonded)
			.expect("funded; qed");
		for _ in 0..chunks {
			pallet_din_staking::Pallet::<T>::unbond(signed::<T>(&who), Role::Evaluator, min)
				.expect("bonded; qed");
		}
		let mut setup = caller::<T>();
		let (mut ext, _) = setup.ext();
		let input = IDin::IDinCalls::bondOf(IDin::bondOfCall { who: address::<T>(&who), role: 1 });
		let result;
		#[block]
		{
			result = Din::<T>::call(&DIN_ADDRESS, &input, &mut ext);
		}
		let bond = IDin::bondOfCall::abi_decode_returns(&result.unwrap()).unwrap();
		assert!(bond.active > AbiU256::ZERO && bond.unbonding > AbiU256::ZERO);
	}

	#[benchmark]
	fn reputation() {
		let who: T::AccountId = account("evaluator", 0, 0);
		let mut setup = caller::<T>();
		let (mut ext, _) = setup.ext();
		let input =
			IDin::IDinCalls::reputation(IDin::reputationCall { who: address::<T>(&who), role: 1 });
		let result;
		#[block]
		{
			result = Din::<T>::call(&DIN_ADDRESS, &input, &mut ext);
		}
		assert!(result.is_ok());
	}
}
