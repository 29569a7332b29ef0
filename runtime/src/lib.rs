//! # DIN runtime
//!
//! The state transition function of the DIN chain. This file holds only the types that
//! define the chain (block, extrinsic, transaction extensions), its [`VERSION`] and the
//! pallet composition with explicit indices. Pallet configuration lives in
//! [`configs`], runtime APIs in `apis.rs`, and the genesis presets in
//! [`genesis_config_presets`].
//!
//! The shapes that `eth-rpc` (pallet-revive's Ethereum JSON-RPC adapter) assumes are kept
//! on purpose: the pallet named `Revive`, `AccountId32`, `u32` block numbers,
//! `BlakeTwo256` headers, `u128` balances and transaction extensions known to subxt's
//! `PolkadotConfig`.

#![cfg_attr(not(feature = "std"), no_std)]
// `construct_runtime` expands into deep type recursion.
#![recursion_limit = "256"]

// The wasm binary, built by `build.rs`, for the node to embed in its chain specs.
#[cfg(feature = "std")]
include!(concat!(env!("OUT_DIR"), "/wasm_binary.rs"));

extern crate alloc;

mod apis;
/// The node's handle on this runtime's APIs.
#[cfg(feature = "std")]
pub use apis::RuntimeApi;
#[cfg(feature = "runtime-benchmarks")]
mod benchmarks;
pub mod configs;
pub mod genesis_config_presets;

use alloc::{borrow::Cow, vec, vec::Vec};
use polkadot_sdk::{
	polkadot_sdk_frame::runtime::prelude::*,
	sp_runtime::{generic, impl_opaque_keys, traits::BlakeTwo256},
	*,
};

pub use din_primitives::{AccountId, Balance, BlockNumber, Hash, Nonce, Signature};
pub use din_primitives::{MICRO_UNIT, MILLI_UNIT, UNIT};

/// Opaque types: what the node needs to know about the runtime without its calls.
pub mod opaque {
	use super::*;
	use polkadot_sdk::sp_runtime::OpaqueExtrinsic;

	/// Opaque block header type.
	pub type Header = generic::Header<BlockNumber, BlakeTwo256>;
	/// Opaque block type.
	pub type Block = generic::Block<Header, OpaqueExtrinsic>;
	/// Opaque block identifier type.
	pub type BlockId = generic::BlockId<Block>;
}

impl_opaque_keys! {
	/// The keys a validator registers in `pallet-session`: one per consensus engine.
	pub struct SessionKeys {
		pub babe: Babe,
		pub grandpa: Grandpa,
	}
}

/// Declares [`VERSION`] with the given `spec_version` (a literal: `#[runtime_version]`
/// reads it from the source into the wasm's `runtime_version` section).
macro_rules! declare_runtime_version {
	($spec_version:tt) => {
		/// The runtime version. `spec_version` must be bumped on every change of the
		/// runtime's behaviour, `transaction_version` on every change of the call encoding.
		#[runtime_version]
		pub const VERSION: RuntimeVersion = RuntimeVersion {
			spec_name: Cow::Borrowed("din"),
			impl_name: Cow::Borrowed("din"),
			authoring_version: 1,
			spec_version: $spec_version,
			impl_version: 1,
			apis: apis::RUNTIME_API_VERSIONS,
			transaction_version: 1,
			system_version: 1,
		};
	};
}
#[cfg(not(feature = "upgrade-test"))]
declare_runtime_version!(116);
// The same runtime one version ahead: the runtime a live network upgrades to in the
// runtime-upgrade test (zombienet/0004-runtime-upgrade.zndsl), which `set_code` accepts only
// with a higher `spec_version`. Never a real chain's runtime.
#[cfg(feature = "upgrade-test")]
declare_runtime_version!(117);

/// Target block time. Three seconds keep a federated round of five phases short enough
/// for a demo while leaving BABE and GRANDPA ample room on small machines.
pub const MILLI_SECS_PER_BLOCK: u64 = 3000;
/// BABE slot duration; one slot per block target.
pub const SLOT_DURATION: u64 = MILLI_SECS_PER_BLOCK;

/// Block counts per unit of wall time, at the target block time.
pub const MINUTES: BlockNumber = 60_000 / (MILLI_SECS_PER_BLOCK as BlockNumber);
pub const HOURS: BlockNumber = MINUTES * 60;
pub const DAYS: BlockNumber = HOURS * 24;

/// One BABE epoch (and session) lasts a minute. Sortition draws only evaluators that
/// joined an epoch before the randomness it uses was fixed (`SortitionLookback`), so the
/// epoch is also how long a new evaluator waits, up to two of them, before it can be drawn.
pub const EPOCH_DURATION_IN_SLOTS: u64 = MINUTES as u64;

/// BABE's primary-slot probability `c = 1/4`, with secondary VRF slots so that every
/// slot has an author and every block carries VRF output for the randomness beacon.
pub const PRIMARY_PROBABILITY: (u64, u64) = (1, 4);
pub const BABE_GENESIS_EPOCH_CONFIG: sp_consensus_babe::BabeEpochConfiguration =
	sp_consensus_babe::BabeEpochConfiguration {
		c: PRIMARY_PROBABILITY,
		allowed_slots: sp_consensus_babe::AllowedSlots::PrimaryAndSecondaryVRFSlots,
	};

/// The address format for describing accounts.
pub type Address = sp_runtime::MultiAddress<AccountId, ()>;
/// Block header type as expected by this runtime.
pub type Header = generic::Header<BlockNumber, BlakeTwo256>;
/// Block type as expected by this runtime.
pub type Block = generic::Block<Header, UncheckedExtrinsic>;

/// The transaction extensions, in the order they are checked. All of them are known to
/// subxt's `PolkadotConfig`, which `eth-rpc` and the `din` client use.
pub type TxExtension = (
	frame_system::CheckNonZeroSender<Runtime>,
	frame_system::CheckSpecVersion<Runtime>,
	frame_system::CheckTxVersion<Runtime>,
	frame_system::CheckGenesis<Runtime>,
	frame_system::CheckEra<Runtime>,
	frame_system::CheckNonce<Runtime>,
	frame_system::CheckWeight<Runtime>,
	pallet_transaction_payment::ChargeTransactionPayment<Runtime>,
	// After every extension that needs a signed origin: lets Ethereum transactions run
	// as their mapped account.
	pallet_revive::evm::tx_extension::SetOrigin<Runtime>,
	// Last, so that it sees the refunds of everything before it.
	frame_system::WeightReclaim<Runtime>,
);

/// Unchecked extrinsic type; also decodes Ethereum transactions wrapped by `eth-rpc`.
pub type UncheckedExtrinsic =
	pallet_revive::evm::runtime::UncheckedExtrinsic<Address, Signature, configs::EthExtraImpl>;

/// The payload being signed in transactions.
pub type SignedPayload = generic::SignedPayload<RuntimeCall, TxExtension>;

/// Storage migrations run by the next runtime upgrade; each is versioned, so it runs once
/// and is a no-op on a chain that started from a genesis with the new layout.
pub type Migrations = (
	pallet_din_staking::migrations::v1::MigrateToV1<Runtime>,
	pallet_din_tasks::migrations::v1::MigrateFromV0<Runtime>,
	pallet_din_tasks::migrations::v2::MigrateToV2<Runtime>,
	pallet_din_tasks::migrations::v3::MigrateToV3<Runtime>,
	pallet_din_evaluation::migrations::v1::MigrateToV1<Runtime>,
	pallet_din_evaluation::migrations::v2::MigrateToV2<Runtime>,
	pallet_din_evaluation::migrations::v3::MigrateToV3<Runtime>,
	pallet_din_validators::migrations::v1::MigrateToV1<Runtime>,
);

/// Executive: dispatches calls to the pallets.
pub type Executive = frame_executive::Executive<
	Runtime,
	Block,
	frame_system::ChainContext<Runtime>,
	Runtime,
	AllPalletsWithSystem,
	Migrations,
>;

#[frame_construct_runtime]
mod runtime {
	#[runtime::runtime]
	#[runtime::derive(
		RuntimeCall,
		RuntimeEvent,
		RuntimeError,
		RuntimeOrigin,
		RuntimeFreezeReason,
		RuntimeHoldReason,
		RuntimeSlashReason,
		RuntimeLockId,
		RuntimeTask,
		RuntimeViewFunction
	)]
	pub struct Runtime;

	#[runtime::pallet_index(0)]
	pub type System = frame_system::Pallet<Runtime>;

	#[runtime::pallet_index(1)]
	pub type Timestamp = pallet_timestamp::Pallet<Runtime>;

	#[runtime::pallet_index(2)]
	pub type Babe = pallet_babe::Pallet<Runtime>;

	#[runtime::pallet_index(3)]
	pub type Balances = pallet_balances::Pallet<Runtime>;

	#[runtime::pallet_index(4)]
	pub type TransactionPayment = pallet_transaction_payment::Pallet<Runtime>;

	/// Each block's author (from BABE's pre-digest); it receives the block's fees.
	#[runtime::pallet_index(15)]
	pub type Authorship = pallet_authorship::Pallet<Runtime>;

	#[runtime::pallet_index(5)]
	pub type Session = pallet_session::Pallet<Runtime>;

	/// The root of every session's validator set, for equivocation proofs.
	#[runtime::pallet_index(16)]
	pub type Historical = pallet_session::historical::Pallet<Runtime>;

	#[runtime::pallet_index(6)]
	pub type Grandpa = pallet_grandpa::Pallet<Runtime>;

	/// Equivocation reports (BABE, GRANDPA), deduplicated and passed on for punishment.
	#[runtime::pallet_index(17)]
	pub type Offences = pallet_offences::Pallet<Runtime>;

	/// The development chain only: every other preset sets no sudo key.
	#[runtime::pallet_index(7)]
	pub type Sudo = pallet_sudo::Pallet<Runtime>;

	/// The council: one member, one vote. Its majority sets DIN's protocol parameters.
	#[runtime::pallet_index(8)]
	pub type Council = pallet_collective::Pallet<Runtime, Instance1>;

	/// Who sits on the council, changed by two thirds of the council itself.
	#[runtime::pallet_index(9)]
	pub type CouncilMembership = pallet_membership::Pallet<Runtime, Instance1>;

	/// Smart contracts, with EVM bytecode allowed; `eth-rpc` requires this name.
	#[runtime::pallet_index(10)]
	pub type Revive = pallet_revive::Pallet<Runtime>;

	/// Fungible assets besides the native token (a stablecoin can fund a reward pool).
	#[runtime::pallet_index(11)]
	pub type Assets = pallet_assets::Pallet<Runtime>;

	/// Holds on `Assets` balances: a reward pool in an asset stays on its owner's account.
	#[runtime::pallet_index(12)]
	pub type AssetsHolder = pallet_assets_holder::Pallet<Runtime>;

	/// EIP-2612 permit nonces of the assets' ERC-20 precompile.
	#[runtime::pallet_index(13)]
	pub type AssetsPermit = pallet_assets_precompiles::permit::Pallet<Runtime>;

	/// DIN's protocol parameters (minimum bonds, the smallest reward pool), in storage: the
	/// council changes them without a runtime upgrade (`configs::governance`).
	#[runtime::pallet_index(14)]
	pub type Parameters = pallet_parameters::Pallet<Runtime>;

	/// Calls kept by hash until dispatched: the runtime upgrades the council enacts.
	#[runtime::pallet_index(18)]
	pub type Preimage = pallet_preimage::Pallet<Runtime>;

	/// Root for the calls two thirds of the council whitelist (runtime upgrades).
	#[runtime::pallet_index(19)]
	pub type Whitelist = pallet_whitelist::Pallet<Runtime>;

	/// DIN: participant and evaluator bonds, slashing, soulbound reputation.
	#[runtime::pallet_index(20)]
	pub type Staking = pallet_din_staking::Pallet<Runtime>;

	/// DIN: tasks, escrowed reward pools, rounds, subgroups and update commitments.
	#[runtime::pallet_index(21)]
	pub type Tasks = pallet_din_tasks::Pallet<Runtime>;

	/// DIN: evaluator pool, sortition, commit-reveal aggregation, Groth16/median scoring.
	#[runtime::pallet_index(22)]
	pub type Evaluation = pallet_din_evaluation::Pallet<Runtime>;

	/// DIN: evaluator fees, protocol fee, contribution-proportional payouts.
	#[runtime::pallet_index(23)]
	pub type Rewards = pallet_din_rewards::Pallet<Runtime>;

	// No storage, calls or events: it carries the weights of the DIN precompile, which
	// pallet-revive calls at `pallet_din_precompile::DIN_ADDRESS`.
	#[runtime::pallet_index(24)]
	pub type DinPrecompile = pallet_din_precompile::Pallet<Runtime>;

	/// DIN: the validator set (invulnerables and bonded candidates, chosen every session),
	/// equivocations slashed, disabled and removed. Built after `Session`: at genesis it
	/// adopts the session's validators as invulnerables.
	#[runtime::pallet_index(25)]
	pub type Validators = pallet_din_validators::Pallet<Runtime>;
}
