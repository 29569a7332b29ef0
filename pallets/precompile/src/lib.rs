//! # DIN precompile
//!
//! The DIN protocol for Solidity contracts and Ethereum tooling: a `pallet-revive`
//! [`Precompile`] at the fixed address [`DIN_ADDRESS`] (`0x…0d100000`) whose ABI is the
//! committed interface `IDin.sol`.
//!
//! ## Mechanism
//!
//! A call to the address is decoded against `IDin` by `pallet-revive` and lands in
//! [`Din::call`]:
//!
//! - **Views** (`nextTaskId`, `taskInfo`, `assignment`, `bondOf`, `reputation`) read the
//!   tasks and staking pallets' storage and ABI-encode the answer. Each charges the weight
//!   its benchmark measured ([`WeightInfo`]).
//! - **Actions** (`createTask`, `extendTask`, `endTraining`, `joinTask`, `leaveTask`,
//!   `cancelTask`, `bond`, `unbond`, `withdrawUnbonded`, `releaseTestKey`) dispatch the pallets' calls with the *caller's*
//!   mapped account as the signed origin: an EOA acts as itself, a contract as its own
//!   account (so a contract can own and fund a task, and get every fund back). Each
//!   charges the dispatched call's benchmarked weight (its worst case) before doing
//!   anything, refunds the difference when the call reports less (`cancelTask`), then
//!   emits an `IDin` event as an EVM log.
//!
//! ## Rules
//!
//! - Actions fail in a static call (`staticcall`, or a `view` function calling them) with
//!   pallet-revive's `StateChangeDenied`, and in a delegate call, which would otherwise act
//!   for the delegating contract's caller, with `PrecompileDelegateDenied`. These are
//!   execution errors, not `Error(string)` reverts: the calling frame sees a failed call.
//! - A refused dispatch reverts with the pallet error's name (`Error(string)`, e.g.
//!   `"StakeTooLow"`), so a contract can `try`/`catch` it; the frame's state changes are
//!   rolled back with it.
//! - Amounts are native units (12 decimals), not the EVM's 18-decimal wei.
//! - `createTask` takes the SCALE-encoded `TaskSpec` as `bytes`: the model, the test-set
//!   commitment and the verifying key are prepared off chain by `din task create
//!   --spec-only` anyway, and mirroring the nested spec in Solidity would fix its encoding
//!   twice. A spec that does not decode, or has bytes left over, reverts with
//!   `"MalformedTaskSpec"`.
//!
//! The minimal [`pallet`] exists only so that FRAME benchmarking can measure the views.

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

use alloc::{format, vec::Vec};
use codec::{DecodeAll, Encode};
use core::{marker::PhantomData, num::NonZero};
use din_primitives::{Role, TaskId};
use polkadot_sdk::{
	frame_support::{self, traits::Get, BoundedVec},
	frame_system::{self, RawOrigin},
	pallet_revive::{
		self,
		precompiles::{
			alloy::{
				primitives::{Address, U256 as AbiU256},
				sol_types::{SolCall, SolEvent, SolValue},
			},
			AddressMatcher, Error, Ext, Precompile, RuntimeCosts, H160, H256,
		},
		AddressMapper,
	},
	sp_runtime::DispatchError,
};

pub use pallet::*;
pub use weights::WeightInfo;

// The dispatched calls' own weights.
use pallet_din_evaluation::WeightInfo as _;
use pallet_din_staking::WeightInfo as _;
use pallet_din_tasks::WeightInfo as _;

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
pub mod weights;

polkadot_sdk::pallet_revive::precompiles::alloy::sol!("IDin.sol");

/// The `u16` in the precompile's address `0x…0d100000`.
pub const DIN_PRECOMPILE_INDEX: u16 = 0x0D10;

/// The precompile's address, as `IDin.sol` names it (`DIN_ADDRESS`).
pub const DIN_ADDRESS: [u8; 20] = {
	let mut address = [0u8; 20];
	let index = DIN_PRECOMPILE_INDEX.to_be_bytes();
	address[16] = index[0];
	address[17] = index[1];
	address
};

#[frame_support::pallet]
pub mod pallet {

	/// The pallets the precompile reads and dispatches to, and its own view weights.
	#[pallet::config]
	pub trait Config:
		polkadot_sdk::frame_system::Config
		+ polkadot_sdk::pallet_revive::Config
		+ pallet_din_tasks::Config
		+ pallet_din_staking::Config
		+ pallet_din_evaluation::Config
	{
		/// Weights of the views, from this crate's benchmarks.
		type WeightInfo: crate::WeightInfo;
	}

	#[pallet::pallet]
	pub struct Pallet<T>(_);
}

type TaskBalance<T> = pallet_din_tasks::BalanceOf<T>;
type StakeBalance<T> = pallet_din_staking::BalanceOf<T>;

/// The DIN precompile; registered in the runtime's `pallet_revive::Config::Precompiles`.
pub struct Din<T>(PhantomData<T>);

impl<T> Precompile for Din<T>
where
	T: Config,
	TaskBalance<T>: Into<u128> + TryFrom<u128>,
	StakeBalance<T>: Into<u128> + TryFrom<u128>,
{
	type T = T;
	type Interface = IDin::IDinCalls;
	const MATCHER: AddressMatcher =
		AddressMatcher::Fixed(NonZero::new(DIN_PRECOMPILE_INDEX).unwrap());
	const HAS_CONTRACT_INFO: bool = false;

	fn call(
		_address: &[u8; 20],
		input: &Self::Interface,
		env: &mut impl Ext<T = Self::T>,
	) -> Result<Vec<u8>, Error> {
		use IDin::IDinCalls as Call;
		match input {
			Call::nextTaskId(_) => {
				charge::<T>(env, <T as Config>::WeightInfo::next_task_id())?;
				Ok(pallet_din_tasks::NextTaskId::<T>::get().abi_encode())
			},
			Call::taskInfo(IDin::taskInfoCall { id }) => {
				charge::<T>(env, <T as Config>::WeightInfo::task_info())?;
				Ok(task_info::<T>(*id))
			},
			Call::assignment(IDin::assignmentCall { id, participant }) => {
				charge::<T>(env, <T as Config>::WeightInfo::assignment())?;
				let who = account_of::<T>(env, participant);
				let (assigned, round, subgroup) =
					match pallet_din_tasks::Pallet::<T>::assignment_of(*id, &who) {
						Some((round, subgroup)) => (true, round, subgroup),
						None => (false, 0, 0),
					};
				Ok(IDin::assignmentCall::abi_encode_returns(&IDin::assignmentReturn {
					assigned,
					round,
					subgroup,
				}))
			},
			Call::bondOf(IDin::bondOfCall { who, role }) => {
				charge::<T>(env, <T as Config>::WeightInfo::bond_of())?;
				let role = role_of(*role)?;
				let who = account_of::<T>(env, who);
				let (active, locked, unbonding) = pallet_din_staking::Ledgers::<T>::get(&who, role)
					.map(|l| {
						let total: u128 = l.total().into();
						let active: u128 = l.active.into();
						(active, l.locked.into(), total.saturating_sub(active))
					})
					.unwrap_or_default();
				Ok(IDin::bondOfCall::abi_encode_returns(&IDin::bondOfReturn {
					active: amount(active),
					locked: amount(locked),
					unbonding: amount(unbonding),
				}))
			},
			Call::reputation(IDin::reputationCall { who, role }) => {
				charge::<T>(env, <T as Config>::WeightInfo::reputation())?;
				let role = role_of(*role)?;
				let who = account_of::<T>(env, who);
				Ok(pallet_din_staking::ReputationOf::<T>::get(&who, role).abi_encode())
			},
			Call::createTask(IDin::createTaskCall { spec }) => {
				let max_architecture = <T as pallet_din_tasks::Config>::MaxArchitectureLen::get();
				charge::<T>(
					env,
					<T as pallet_din_tasks::Config>::WeightInfo::create_task(max_architecture),
				)?;
				let caller = mutating_caller(env)?;
				// All of it: trailing bytes mean the caller encoded something else.
				let spec = pallet_din_tasks::TaskSpecOf::<T>::decode_all(&mut &spec[..])
					.map_err(|_| revert("MalformedTaskSpec"))?;
				let reward: u128 = spec.reward.amount.into();
				let id = pallet_din_tasks::NextTaskId::<T>::get();
				dispatch(pallet_din_tasks::Pallet::<T>::create_task(signed::<T>(&caller), spec))?;
				let owner = address_of::<T>(&caller);
				emit::<T, _>(
					env,
					IDin::TaskCreated { task: id, owner, reward: AbiU256::from(reward) },
				)?;
				Ok(id.abi_encode())
			},
			Call::extendTask(IDin::extendTaskCall { id, rounds, topUp: top_up }) => {
				charge::<T>(env, <T as pallet_din_tasks::Config>::WeightInfo::extend_task())?;
				let caller = mutating_caller(env)?;
				let balance = balance_of_abi(top_up)?;
				dispatch(pallet_din_tasks::Pallet::<T>::extend_task(
					signed::<T>(&caller),
					*id,
					*rounds,
					balance,
				))?;
				let rounds = pallet_din_tasks::Tasks::<T>::get(*id)
					.map(|info| info.spec.rounds)
					.unwrap_or_default();
				emit::<T, _>(env, IDin::TaskExtended { task: *id, rounds, topUp: *top_up })?;
				Ok(Vec::new())
			},
			Call::endTraining(IDin::endTrainingCall { id }) => {
				charge::<T>(env, <T as pallet_din_tasks::Config>::WeightInfo::end_training())?;
				let caller = mutating_caller(env)?;
				dispatch(pallet_din_tasks::Pallet::<T>::end_training(signed::<T>(&caller), *id))?;
				let round = pallet_din_tasks::Tasks::<T>::get(*id)
					.map(|info| info.round)
					.unwrap_or_default();
				emit::<T, _>(env, IDin::TrainingEnded { task: *id, round })?;
				Ok(Vec::new())
			},
			Call::joinTask(IDin::joinTaskCall { id }) => {
				charge::<T>(env, <T as pallet_din_tasks::Config>::WeightInfo::join_task())?;
				let caller = mutating_caller(env)?;
				dispatch(pallet_din_tasks::Pallet::<T>::join_task(signed::<T>(&caller), *id))?;
				let participant = address_of::<T>(&caller);
				emit::<T, _>(env, IDin::TaskJoined { task: *id, participant })?;
				Ok(Vec::new())
			},
			Call::leaveTask(IDin::leaveTaskCall { id }) => {
				charge::<T>(env, <T as pallet_din_tasks::Config>::WeightInfo::leave_task())?;
				let caller = mutating_caller(env)?;
				dispatch(pallet_din_tasks::Pallet::<T>::leave_task(signed::<T>(&caller), *id))?;
				let participant = address_of::<T>(&caller);
				emit::<T, _>(env, IDin::TaskLeft { task: *id, participant })?;
				Ok(Vec::new())
			},
			Call::cancelTask(IDin::cancelTaskCall { id }) => {
				let max_participants = <T as pallet_din_tasks::Config>::MaxParticipants::get();
				// Plus the read of the pool the event reports.
				let worst =
					<T as pallet_din_tasks::Config>::WeightInfo::cancel_task(max_participants)
						.saturating_add(<T as frame_system::Config>::DbWeight::get().reads(1));
				let charged =
					env.frame_meter_mut().charge_weight_token(RuntimeCosts::Precompile(worst))?;
				let caller = mutating_caller(env)?;
				let pool: u128 = pallet_din_tasks::Tasks::<T>::get(*id)
					.map(|info| info.remaining.into())
					.unwrap_or_default();
				let post = pallet_din_tasks::Pallet::<T>::cancel_task(signed::<T>(&caller), *id)
					.map_err(|e| e.error);
				let post = dispatch(post)?;
				// The call reports its weight at the task's participant count.
				let used = post.actual_weight.map_or(worst, |w| {
					w.saturating_add(<T as frame_system::Config>::DbWeight::get().reads(1))
				});
				env.frame_meter_mut().adjust_weight(charged, RuntimeCosts::Precompile(used));
				let owner = address_of::<T>(&caller);
				emit::<T, _>(
					env,
					IDin::TaskCancelled { task: *id, owner, refund: AbiU256::from(pool) },
				)?;
				Ok(Vec::new())
			},
			Call::bond(IDin::bondCall { role: raw_role, amount: value }) => {
				charge::<T>(env, <T as pallet_din_staking::Config>::WeightInfo::bond())?;
				let caller = mutating_caller(env)?;
				let role = role_of(*raw_role)?;
				let balance = balance_of_abi(value)?;
				dispatch(pallet_din_staking::Pallet::<T>::bond(
					signed::<T>(&caller),
					role,
					balance,
				))?;
				let who = address_of::<T>(&caller);
				emit::<T, _>(env, IDin::Bonded { who, role: *raw_role, amount: *value })?;
				Ok(Vec::new())
			},
			Call::unbond(IDin::unbondCall { role: raw_role, amount: value }) => {
				charge::<T>(env, <T as pallet_din_staking::Config>::WeightInfo::unbond())?;
				let caller = mutating_caller(env)?;
				let role = role_of(*raw_role)?;
				let balance = balance_of_abi(value)?;
				dispatch(pallet_din_staking::Pallet::<T>::unbond(
					signed::<T>(&caller),
					role,
					balance,
				))?;
				let who = address_of::<T>(&caller);
				emit::<T, _>(env, IDin::Unbonded { who, role: *raw_role, amount: *value })?;
				Ok(Vec::new())
			},
			Call::withdrawUnbonded(IDin::withdrawUnbondedCall { role: raw_role }) => {
				// Plus the two reads of the ledger that measure the amount.
				charge::<T>(
					env,
					<T as pallet_din_staking::Config>::WeightInfo::withdraw_unbonded()
						.saturating_add(<T as frame_system::Config>::DbWeight::get().reads(2)),
				)?;
				let caller = mutating_caller(env)?;
				let role = role_of(*raw_role)?;
				// The ledger the call reads anyway; its total before and after is the amount.
				let held = |who: &T::AccountId| -> u128 {
					pallet_din_staking::Ledgers::<T>::get(who, role)
						.map(|l| l.total().into())
						.unwrap_or_default()
				};
				let before = held(&caller);
				dispatch(pallet_din_staking::Pallet::<T>::withdraw_unbonded(
					signed::<T>(&caller),
					role,
				))?;
				let withdrawn = amount(before.saturating_sub(held(&caller)));
				let who = address_of::<T>(&caller);
				emit::<T, _>(env, IDin::Withdrawn { who, role: *raw_role, amount: withdrawn })?;
				Ok(withdrawn.abi_encode())
			},
			Call::releaseTestKey(IDin::releaseTestKeyCall { id, key }) => {
				charge::<T>(
					env,
					<T as pallet_din_evaluation::Config>::WeightInfo::release_test_key(),
				)?;
				let caller = mutating_caller(env)?;
				let key: BoundedVec<u8, <T as pallet_din_evaluation::Config>::MaxTestKeyLen> =
					key.to_vec().try_into().map_err(|_| revert("TestKeyTooLong"))?;
				dispatch(pallet_din_evaluation::Pallet::<T>::release_test_key(
					signed::<T>(&caller),
					*id,
					key,
				))?;
				Ok(Vec::new())
			},
		}
	}
}

/// `taskInfo`'s ABI-encoded answer.
fn task_info<T: Config>(id: TaskId) -> Vec<u8>
where
	TaskBalance<T>: Into<u128>,
{
	let answer = match pallet_din_tasks::Tasks::<T>::get(id) {
		Some(info) => IDin::taskInfoReturn {
			exists: true,
			owner: address_of::<T>(&info.owner),
			// The variant index: the order `IDin.sol` documents.
			phase: info.phase.encode().first().copied().unwrap_or_default(),
			round: info.round,
			rounds: info.spec.rounds,
			phaseEnds: block_to_u64::<T>(info.phase_ends),
			remaining: amount(info.remaining.into()),
			// The list's length, read without decoding it (the weight does not grow with
			// it): a participant that left counts until the first round starts.
			participants: pallet_din_tasks::Participants::<T>::decode_len(id).unwrap_or(0) as u32,
		},
		None => IDin::taskInfoReturn {
			exists: false,
			owner: Address::ZERO,
			phase: 0,
			round: 0,
			rounds: 0,
			phaseEnds: 0,
			remaining: AbiU256::ZERO,
			participants: 0,
		},
	};
	IDin::taskInfoCall::abi_encode_returns(&answer)
}

fn block_to_u64<T: frame_system::Config>(
	n: frame_system::pallet_prelude::BlockNumberFor<T>,
) -> u64 {
	use polkadot_sdk::sp_runtime::SaturatedConversion;
	n.saturated_into()
}

fn charge<T: Config>(
	env: &mut impl Ext<T = T>,
	weight: polkadot_sdk::frame_support::weights::Weight,
) -> Result<(), Error> {
	env.frame_meter_mut().charge_weight_token(RuntimeCosts::Precompile(weight))?;
	Ok(())
}

/// The caller's account, for an action: refused in static and delegate calls.
fn mutating_caller<T: Config>(env: &impl Ext<T = T>) -> Result<T::AccountId, Error> {
	if env.is_read_only() {
		return Err(pallet_revive::Error::<T>::StateChangeDenied.into());
	}
	if env.is_delegate_call() {
		return Err(pallet_revive::Error::<T>::PrecompileDelegateDenied.into());
	}
	env.caller().account_id().cloned().map_err(|_| revert("CallerHasNoAccount"))
}

fn signed<T: Config>(who: &T::AccountId) -> <T as frame_system::Config>::RuntimeOrigin {
	RawOrigin::Signed(who.clone()).into()
}

/// A refused dispatch reverts with the error's name, so that contracts can catch it.
fn dispatch<R>(result: Result<R, DispatchError>) -> Result<R, Error> {
	result.map_err(|e| match e {
		DispatchError::Module(m) => revert(m.message.unwrap_or("ModuleError")),
		other => revert(<&'static str>::from(other)),
	})
}

fn revert(reason: &str) -> Error {
	Error::Revert(format!("{reason}").into())
}

fn role_of(raw: u8) -> Result<Role, Error> {
	match raw {
		0 => Ok(Role::Participant),
		1 => Ok(Role::Evaluator),
		_ => Err(revert("UnknownRole")),
	}
}

/// An ABI amount as a chain balance; beyond either's range it is refused, not truncated.
fn balance_of_abi<B: TryFrom<u128>>(value: &AbiU256) -> Result<B, Error> {
	let value: u128 = (*value).try_into().map_err(|_| revert("AmountTooLarge"))?;
	value.try_into().map_err(|_| revert("AmountTooLarge"))
}

fn amount(value: u128) -> AbiU256 {
	AbiU256::from(value)
}

fn account_of<T: Config>(env: &impl Ext<T = T>, address: &Address) -> T::AccountId {
	env.to_account_id(&H160::from_slice(address.as_slice()))
}

fn address_of<T: Config>(who: &T::AccountId) -> Address {
	Address::from(<T as pallet_revive::Config>::AddressMapper::to_address(who).0)
}

fn emit<T: Config, E: SolEvent>(env: &mut impl Ext<T = T>, event: E) -> Result<(), Error> {
	let (topics, data) = event.encode_log_data().split();
	let topics = topics.into_iter().map(|t| H256(t.0)).collect::<Vec<_>>();
	env.frame_meter_mut().charge_weight_token(RuntimeCosts::DepositEvent {
		num_topic: topics.len() as u32,
		len: data.len() as u32,
	})?;
	env.deposit_event(topics, data.to_vec());
	Ok(())
}
