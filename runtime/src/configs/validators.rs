//! The validator set and the punishment of equivocations.
//!
//! - pallet-din-validators chooses each session's validators (invulnerables, then bonded
//!   candidates) as pallet-session's `SessionManager`, through pallet-session's historical
//!   extension, which keeps a root of every session's set so that an equivocation can be
//!   proven against the set of the session it happened in.
//! - BABE and GRANDPA check equivocation reports (their `EquivocationReportSystem`s) and
//!   hand them to pallet-offences, which computes the slash fraction and calls
//!   pallet-din-validators: it slashes the offender's validator bond (pallet-din-staking),
//!   disables it for the session (pallet-session's disabling strategy) and takes it out of
//!   every later set. Validators' nodes find equivocations and submit the reports by
//!   themselves, as unsigned transactions the runtime APIs build (`apis.rs`).
//! - pallet-authorship names each block's author, who receives its transaction fees.

use super::*;
use crate::configs::governance::{CouncilMajority, RootOr};
use polkadot_sdk::{
	frame_support::traits::{
		fungible::{Balanced, Credit},
		OnUnbalanced,
	},
	pallet_session::historical as session_historical,
	sp_runtime::traits::ConvertToValue,
	sp_staking::{offence::OffenceSeverity, SessionIndex},
};

parameter_types! {
	/// The set of validators is at most as large as BABE's and GRANDPA's authority lists.
	pub const DinMaxValidators: u32 = MaxAuthorities::get();
	/// A chain never loses its last validator: a set emptied by chills, removals and
	/// offences keeps the previous one.
	pub const DinMinValidators: u32 = 1;
	/// Candidates beyond the set's size wait their turn; this bounds what a session change
	/// reads.
	pub const DinMaxValidatorCandidates: u32 = 200;
	/// An equivocation can be reported for an hour (1,200 blocks, 60 sessions). Nodes
	/// report within blocks of seeing one; the validator bond stays slashable far longer
	/// (the unbonding period is a week).
	pub const DinReportLongevity: u64 = HOURS as u64;
	/// Sessions whose validator-set roots stay in state: as many as a report may reach
	/// back, and a few more.
	pub const DinHistoryDepth: SessionIndex = (HOURS as u64 / EPOCH_DURATION_IN_SLOTS) as u32 + 4;
	/// Every validator of a stored session is identified (`FullIdentification` is `()`:
	/// the bond is read when the offence is handled, not as it stood then).
	pub const Identified: Option<()> = Some(());
	/// Registering session keys holds 1 UNIT until they are purged: it prices the state
	/// that anyone could otherwise fill with keys.
	pub const DinSessionKeyDeposit: Balance = UNIT;
}

impl pallet_din_validators::Config for Runtime {
	type Balance = Balance;
	type Stake = Staking;
	type Slasher = Staking;
	type KeysRegistration = Session;
	type SessionValidators = Session;
	type DisableOffender = DisableInSession;
	type GovernanceOrigin = RootOr<CouncilMajority>;
	type MaxValidators = DinMaxValidators;
	type MinValidators = DinMinValidators;
	type MaxCandidates = DinMaxValidatorCandidates;
	type WeightInfo = pallet_din_validators::weights::SubstrateWeight<Runtime>;
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = SessionKeysForBenchmarks;
}

/// Session keys for benchmark accounts, written as `Session::set_keys` leaves them (its
/// ownership proof needs the private keys, which benchmark accounts have none of).
#[cfg(feature = "runtime-benchmarks")]
pub struct SessionKeysForBenchmarks;

#[cfg(feature = "runtime-benchmarks")]
impl pallet_din_validators::BenchmarkHelper<AccountId> for SessionKeysForBenchmarks {
	fn register_keys(who: &AccountId) {
		use polkadot_sdk::{
			sp_consensus_babe, sp_consensus_grandpa,
			sp_core::{ed25519, sr25519},
		};
		let raw: [u8; 32] = *who.as_ref();
		let keys = SessionKeys {
			babe: sp_consensus_babe::AuthorityId::from(sr25519::Public::from_raw(raw)),
			grandpa: sp_consensus_grandpa::AuthorityId::from(ed25519::Public::from_raw(raw)),
		};
		pallet_session::NextKeys::<Runtime>::insert(who, keys);
	}
}

/// Disables an offender through pallet-session, whose `DisablingStrategy` decides.
pub struct DisableInSession;

impl pallet_din_validators::DisableOffender<AccountId> for DisableInSession {
	fn disable(who: &AccountId, fraction: Perbill) {
		Session::report_offence(who.clone(), OffenceSeverity(fraction));
	}
}

/// pallet-din-validators as pallet-session's historical session manager: each validator
/// with the (empty) identification the historical roots commit to, and the roots of
/// sessions older than [`DinHistoryDepth`] pruned.
pub struct IdentifiedValidators;

impl pallet_session::SessionManager<AccountId> for IdentifiedValidators {
	fn new_session(new_index: SessionIndex) -> Option<Vec<AccountId>> {
		<Validators as pallet_session::SessionManager<_>>::new_session(new_index)
	}
	fn new_session_genesis(new_index: SessionIndex) -> Option<Vec<AccountId>> {
		<Validators as pallet_session::SessionManager<_>>::new_session_genesis(new_index)
	}
	fn end_session(end_index: SessionIndex) {
		<Validators as pallet_session::SessionManager<_>>::end_session(end_index);
		if let Some(up_to) = end_index.checked_sub(DinHistoryDepth::get()) {
			session_historical::Pallet::<Runtime>::prune_up_to(up_to);
		}
	}
	fn start_session(start_index: SessionIndex) {
		<Validators as pallet_session::SessionManager<_>>::start_session(start_index)
	}
}

impl session_historical::SessionManager<AccountId, ()> for IdentifiedValidators {
	fn new_session(new_index: SessionIndex) -> Option<Vec<(AccountId, ())>> {
		<Self as pallet_session::SessionManager<_>>::new_session(new_index)
			.map(|set| set.into_iter().map(|who| (who, ())).collect())
	}
	fn new_session_genesis(new_index: SessionIndex) -> Option<Vec<(AccountId, ())>> {
		<Self as pallet_session::SessionManager<_>>::new_session_genesis(new_index)
			.map(|set| set.into_iter().map(|who| (who, ())).collect())
	}
	fn end_session(end_index: SessionIndex) {
		<Self as pallet_session::SessionManager<_>>::end_session(end_index)
	}
	fn start_session(start_index: SessionIndex) {
		<Self as pallet_session::SessionManager<_>>::start_session(start_index)
	}
}

impl session_historical::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type FullIdentification = ();
	type FullIdentificationOf = ConvertToValue<Identified>;
}

impl pallet_offences::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type IdentificationTuple = session_historical::IdentificationTuple<Self>;
	type OnOffenceHandler = Validators;
}

/// Transaction fees go to the block's author, the validators' income.
pub struct FeesToAuthor;

impl OnUnbalanced<Credit<AccountId, Balances>> for FeesToAuthor {
	fn on_nonzero_unbalanced(fees: Credit<AccountId, Balances>) {
		// Outside block production there is no author: the fees are burned as they drop,
		// as are fees an author's account cannot take (below the existential deposit).
		if let Some(author) = Authorship::author() {
			let _ = <Balances as Balanced<AccountId>>::resolve(&author, fees);
		}
	}
}

impl pallet_authorship::Config for Runtime {
	type FindAuthor = pallet_session::FindAccountFromAuthorIndex<Self, Babe>;
	type EventHandler = ();
}
