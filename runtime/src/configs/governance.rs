//! Governance: the council (one member, one vote; pallet-collective), who sits on it
//! (pallet-membership, changed by two thirds of the council), and DIN's protocol
//! parameters in storage (pallet-parameters), which a council majority changes without a
//! runtime upgrade, and the runtime upgrades themselves, which two thirds of the council
//! enact as Root (pallet-whitelist over pallet-preimage).
//!
//! The parameters are a plain enum of DIN's own ([`RuntimeParameters`]), not
//! `frame_support`'s `dynamic_params` macros: their generated `TryFrom` impl on a
//! projected type leaves the type inference in pallet-revive's runtime-API macro ambiguous.
//! Every parameter is a native amount, so one value type serves them all, and each reads
//! its stored value or its genesis default through a `Get` type the pallets' `Config`s use.

use super::*;
use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use frame_support::traits::{
	dynamic_params::AggregatedKeyValue, fungible::HoldConsideration, EitherOf, Get,
	LinearStoragePrice,
};
use scale_info::TypeInfo;

/// The council's instance of pallet-collective.
pub type CouncilCollective = pallet_collective::Instance1;

parameter_types! {
	/// A council motion stays open three days; it closes as soon as its outcome is certain.
	pub const CouncilMotionDuration: BlockNumber = 3 * DAYS;
	pub const CouncilMaxProposals: u32 = 32;
	pub const CouncilMaxMembers: u32 = 32;
	/// A motion's call may take at most half a block.
	pub CouncilMaxProposalWeight: Weight =
		Perbill::from_percent(50) * RuntimeBlockWeights::get().max_block;
}

/// More than half of the council's members.
pub type CouncilMajority =
	pallet_collective::EnsureProportionMoreThan<AccountId, CouncilCollective, 1, 2>;

/// At least two thirds of the council's members.
pub type CouncilTwoThirds =
	pallet_collective::EnsureProportionAtLeast<AccountId, CouncilCollective, 2, 3>;

/// Root (sudo, on the development chain only) or the council origin `O`.
pub type RootOr<O> = EitherOf<EnsureRoot<AccountId>, O>;

/// One member, one vote: every member's vote weighs the same, whatever it holds, and a
/// motion passes by a proportion of the members.
impl pallet_collective::Config<CouncilCollective> for Runtime {
	type RuntimeOrigin = RuntimeOrigin;
	type Proposal = RuntimeCall;
	type RuntimeEvent = RuntimeEvent;
	type MotionDuration = CouncilMotionDuration;
	type MaxProposals = CouncilMaxProposals;
	type MaxMembers = CouncilMaxMembers;
	// An absent member is counted as the prime member votes (no prime: against).
	type DefaultVote = pallet_collective::PrimeDefaultVote;
	type WeightInfo = pallet_collective::weights::SubstrateWeight<Runtime>;
	// Members change through CouncilMembership, whose origins the council holds.
	type SetMembersOrigin = EnsureRoot<AccountId>;
	type MaxProposalWeight = CouncilMaxProposalWeight;
	type DisapproveOrigin = RootOr<CouncilTwoThirds>;
	type KillOrigin = RootOr<CouncilTwoThirds>;
	// Only members propose, so a motion needs no deposit against spam.
	type Consideration = ();
}

/// The council's members, changed by two thirds of the council.
impl pallet_membership::Config<pallet_membership::Instance1> for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type AddOrigin = RootOr<CouncilTwoThirds>;
	type RemoveOrigin = RootOr<CouncilTwoThirds>;
	type SwapOrigin = RootOr<CouncilTwoThirds>;
	type ResetOrigin = RootOr<CouncilTwoThirds>;
	type PrimeOrigin = RootOr<CouncilTwoThirds>;
	type MembershipInitialized = Council;
	type MembershipChanged = Council;
	type MaxMembers = CouncilMaxMembers;
	type WeightInfo = pallet_membership::weights::SubstrateWeight<Runtime>;
}

/// A DIN protocol parameter the council sets.
#[derive(
	Clone,
	Copy,
	PartialEq,
	Eq,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Debug,
)]
pub enum DinParameter {
	/// Smallest participant bond: a Sybil swarm of participants costs real stake. A raise
	/// applies to every join from then on, in tasks created before it too.
	#[codec(index = 0)]
	MinParticipantBond,
	/// Smallest evaluator bond: evaluators decide outcomes, so they risk more.
	#[codec(index = 1)]
	MinEvaluatorBond,
	/// Smallest reward pool of a task: makes spamming the task table expensive.
	#[codec(index = 2)]
	MinRewardPool,
	/// Smallest validator bond: what a candidate validator must lock, and what an
	/// equivocation puts at risk.
	#[codec(index = 3)]
	MinValidatorBond,
}

impl DinParameter {
	/// The value until the council sets one.
	pub const fn genesis_value(self) -> Balance {
		match self {
			DinParameter::MinParticipantBond => UNIT,
			DinParameter::MinEvaluatorBond => 100 * UNIT,
			DinParameter::MinRewardPool => 100 * UNIT,
			DinParameter::MinValidatorBond => 10_000 * UNIT,
		}
	}

	/// The value in force: the council's, or the genesis one.
	pub fn get(self) -> Balance {
		pallet_parameters::Parameters::<Runtime>::get(self).unwrap_or(self.genesis_value())
	}
}

/// `Parameters::set_parameter`'s argument: a parameter and its new value (`None`: back to
/// its genesis value).
#[derive(
	Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Debug,
)]
pub struct RuntimeParameters {
	pub parameter: DinParameter,
	pub value: Option<Balance>,
}

impl AggregatedKeyValue for RuntimeParameters {
	type Key = DinParameter;
	type Value = Balance;

	fn into_parts(self) -> (DinParameter, Option<Balance>) {
		(self.parameter, self.value)
	}
}

#[cfg(feature = "runtime-benchmarks")]
impl Default for RuntimeParameters {
	fn default() -> Self {
		RuntimeParameters { parameter: DinParameter::MinParticipantBond, value: Some(UNIT) }
	}
}

/// A `Get` of each parameter, for the pallets' `Config`s.
macro_rules! parameter_getters {
	($($name:ident),* $(,)?) => {$(
		#[doc = concat!("[`DinParameter::", stringify!($name), "`] in force.")]
		pub struct $name;

		impl Get<Balance> for $name {
			fn get() -> Balance {
				DinParameter::$name.get()
			}
		}
	)*};
}

parameter_getters!(MinParticipantBond, MinEvaluatorBond, MinRewardPool, MinValidatorBond);

impl pallet_parameters::Config for Runtime {
	type RuntimeParameters = RuntimeParameters;
	type RuntimeEvent = RuntimeEvent;
	type AdminOrigin = AsEnsureOriginWithArg<RootOr<CouncilMajority>>;
	type WeightInfo = ();
}

parameter_types! {
	/// A preimage (a call kept in state until it is dispatched, such as a runtime upgrade)
	/// holds 1 UNIT plus 1 MILLI_UNIT per byte from whoever notes it, as verifying keys do.
	pub const PreimageBaseDeposit: Balance = UNIT;
	pub const PreimageByteDeposit: Balance = MILLI_UNIT;
	pub const PreimageHoldReason: RuntimeHoldReason =
		RuntimeHoldReason::Preimage(pallet_preimage::HoldReason::Preimage);
	/// A dispatch the council asks for before it whitelists the call lapses after a week.
	pub const WhitelistDeferredDispatchExpiration: BlockNumber = 7 * DAYS;
}

/// Calls kept in state by their hash, paid for by whoever notes them: the runtime upgrades
/// the council enacts (`System::set_code` with a whole runtime is too large for a motion).
impl pallet_preimage::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type WeightInfo = pallet_preimage::weights::SubstrateWeight<Runtime>;
	type Currency = Balances;
	type ManagerOrigin = RootOr<CouncilTwoThirds>;
	type Consideration = HoldConsideration<
		AccountId,
		Balances,
		PreimageHoldReason,
		LinearStoragePrice<PreimageBaseDeposit, PreimageByteDeposit, Balance>,
	>;
}

/// Root for what two thirds of the council decide, and nothing else: a motion whitelists a
/// call's hash, another dispatches it as Root (from a noted preimage or inline). This is how
/// the council upgrades the runtime (`System::set_code`), which only Root may; outside the
/// development chain nothing else holds Root.
impl pallet_whitelist::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type RuntimeCall = RuntimeCall;
	type WhitelistOrigin = RootOr<CouncilTwoThirds>;
	type DispatchWhitelistedOrigin = RootOr<CouncilTwoThirds>;
	type Preimages = Preimage;
	type DeferredDispatchExpiration = WhitelistDeferredDispatchExpiration;
	type BlockNumberProvider = System;
	type WeightInfo = pallet_whitelist::weights::SubstrateWeight<Runtime>;
}
