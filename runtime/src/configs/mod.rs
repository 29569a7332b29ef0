//! Configuration of every pallet in the runtime.
//!
//! Weights come from each pallet's generated `SubstrateWeight` (the DIN pallets from
//! their own benchmarks); nothing here is a hand-written weight.

use super::*;

pub mod governance;
pub mod validators;
use frame_support::traits::AsEnsureOriginWithArg;
use frame_support::weights::{
	constants::{
		BlockExecutionWeight, ExtrinsicBaseWeight, ParityDbWeight, WEIGHT_REF_TIME_PER_SECOND,
	},
	Weight,
};
use frame_system::{
	limits::{BlockLength, BlockWeights},
	EnsureRoot,
};
use pallet_revive::{
	evm::{
		fees::{BlockRatioFee, Info as FeeInfo},
		runtime::EthExtra,
	},
	AccountId32Mapper,
};
use pallet_transaction_payment::{ConstFeeMultiplier, Multiplier};
use polkadot_sdk::sp_runtime::{traits::OpaqueKeys, Perbill};
use sp_weights::ConstantMultiplier;

/// About 10% of a block's weight is left for `on_initialize` hooks, which bounds how much
/// a single extrinsic may use.
const AVERAGE_ON_INITIALIZE_RATIO: Perbill = Perbill::from_percent(10);
/// Normal extrinsics may fill 75% of a block; the rest is for operational ones.
const NORMAL_DISPATCH_RATIO: Perbill = Perbill::from_percent(75);
/// One second of compute per 3-second block (a third of the slot, leaving time for
/// import and propagation), and no bound on proof size.
///
/// Proof size is the storage proof a parachain ships to its relay chain with every block
/// (the PoV, 5 MiB there). DIN is a sovereign chain: its validators execute blocks against
/// their own state and nobody receives a proof, so, as in polkadot-sdk's solochain
/// template, the dimension is left unbounded. A bound of 5 MiB here bounded nothing real and
/// capped every block at about 240 transactions of any kind (measured by
/// `scripts/bench/load.sh`: a plain transfer was charged 16 KiB of proof, as benchmarks
/// count a trie path of about 2.5 KiB for every storage key). What storage costs this chain,
/// reads and writes on ParityDB, is in every weight's ref time (`DbWeight`). The proof size
/// of DIN's hooks stays in docs/block-budget.md for a deployment as a parachain.
const MAXIMUM_BLOCK_WEIGHT: Weight = Weight::from_parts(WEIGHT_REF_TIME_PER_SECOND, u64::MAX);

parameter_types! {
	/// A tenth of the block per deadline for settling subgroups: with two deadlines per
	/// block, deadlines stay within a quarter of the block (docs/block-budget.md).
	pub DinSettlementSliceWeight: Weight = MAXIMUM_BLOCK_WEIGHT / 10;
	pub const Version: RuntimeVersion = VERSION;
	pub const BlockHashCount: BlockNumber = 2400;
	pub RuntimeBlockWeights: BlockWeights = BlockWeights::builder()
		.base_block(BlockExecutionWeight::get())
		.for_class(DispatchClass::all(), |weights| {
			weights.base_extrinsic = ExtrinsicBaseWeight::get();
		})
		.for_class(DispatchClass::Normal, |weights| {
			weights.max_total = Some(NORMAL_DISPATCH_RATIO * MAXIMUM_BLOCK_WEIGHT);
		})
		.for_class(DispatchClass::Operational, |weights| {
			weights.max_total = Some(MAXIMUM_BLOCK_WEIGHT);
			// Operational transactions fit even in a full block.
			weights.reserved = Some(
				MAXIMUM_BLOCK_WEIGHT - NORMAL_DISPATCH_RATIO * MAXIMUM_BLOCK_WEIGHT
			);
		})
		.avg_block_initialization(AVERAGE_ON_INITIALIZE_RATIO)
		.build_or_panic();
	/// 5 MiB blocks, of which operational extrinsics may use all and normal ones 75%.
	pub RuntimeBlockLength: BlockLength = BlockLength::builder()
		.max_length(5 * 1024 * 1024)
		.modify_max_length_for_class(DispatchClass::Normal, |max| {
			*max = NORMAL_DISPATCH_RATIO * *max
		})
		.build();
	/// Generic Substrate prefix; DIN accounts print as `5…` SS58 addresses.
	pub const SS58Prefix: u16 = 42;
}

#[derive_impl(frame_system::config_preludes::SolochainDefaultConfig)]
impl frame_system::Config for Runtime {
	type Block = Block;
	type BlockWeights = RuntimeBlockWeights;
	type BlockLength = RuntimeBlockLength;
	type AccountId = AccountId;
	type Nonce = Nonce;
	type Hash = Hash;
	type BlockHashCount = BlockHashCount;
	type Version = Version;
	type AccountData = pallet_balances::AccountData<Balance>;
	type SS58Prefix = SS58Prefix;
	// Storage access costs of the database din-node runs on; every generated
	// `SubstrateWeight` multiplies its reads and writes by these.
	type DbWeight = ParityDbWeight;
	type MaxConsumers = ConstU32<16>;
	type SystemWeightInfo = frame_system::weights::SubstrateWeight<Runtime>;
	// Every new account gets its Ethereum address mapping, so that it can use revive.
	type OnNewAccount = pallet_revive::AutoMapper<Runtime>;
	type OnKilledAccount = pallet_revive::AutoMapper<Runtime>;
}

impl pallet_timestamp::Config for Runtime {
	type Moment = u64;
	type OnTimestampSet = Babe;
	type MinimumPeriod = ConstU64<{ SLOT_DURATION / 2 }>;
	type WeightInfo = pallet_timestamp::weights::SubstrateWeight<Runtime>;
}

parameter_types! {
	pub const EpochDuration: u64 = EPOCH_DURATION_IN_SLOTS;
	pub const ExpectedBlockTime: u64 = MILLI_SECS_PER_BLOCK;
	pub const MaxAuthorities: u32 = 100;
	pub const MaxNominators: u32 = 0;
	/// GRANDPA maps each authority set to its session for as long as an equivocation in it
	/// can be reported (`validators::DinHistoryDepth` sessions).
	pub const MaxSetIdSessionEntries: u64 = validators::DinHistoryDepth::get() as u64;
}

impl pallet_babe::Config for Runtime {
	type EpochDuration = EpochDuration;
	type ExpectedBlockTime = ExpectedBlockTime;
	// Sessions drive epoch changes, so that the validator set and BABE stay in step.
	type EpochChangeTrigger = pallet_babe::ExternalTrigger;
	type DisabledValidators = Session;
	type WeightInfo = ();
	type MaxAuthorities = MaxAuthorities;
	type MaxNominators = MaxNominators;
	// An equivocation is proven against the session's historical validator set and
	// punished through pallet-offences (`configs::validators`).
	type KeyOwnerProof = sp_session::MembershipProof;
	type EquivocationReportSystem = pallet_babe::EquivocationReportSystem<
		Self,
		Offences,
		Historical,
		validators::DinReportLongevity,
	>;
}

impl pallet_grandpa::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type WeightInfo = ();
	type MaxAuthorities = MaxAuthorities;
	type MaxNominators = MaxNominators;
	type MaxSetIdSessionEntries = MaxSetIdSessionEntries;
	type KeyOwnerProof = sp_session::MembershipProof;
	type EquivocationReportSystem = pallet_grandpa::EquivocationReportSystem<
		Self,
		Offences,
		Historical,
		validators::DinReportLongevity,
	>;
}

impl pallet_session::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type ValidatorId = AccountId;
	type ValidatorIdOf = sp_runtime::traits::ConvertInto;
	type ShouldEndSession = Babe;
	type NextSessionRotation = Babe;
	// Invulnerables and bonded candidates (pallet-din-validators), each session's set
	// committed to for equivocation proofs (the historical extension).
	type SessionManager =
		pallet_session::historical::NoteHistoricalRoot<Self, validators::IdentifiedValidators>;
	type SessionHandler = <SessionKeys as OpaqueKeys>::KeyTypeIdProviders;
	type Keys = SessionKeys;
	// An offender is disabled for the rest of its session, a third of the set at most, so
	// that the rest keeps finalizing.
	type DisablingStrategy = pallet_session::disabling::UpToLimitDisablingStrategy;
	type WeightInfo = pallet_session::weights::SubstrateWeight<Runtime>;
	type Currency = Balances;
	type KeyDeposit = validators::DinSessionKeyDeposit;
}

parameter_types! {
	/// An account below one milli-unit is reaped; keeps dust accounts from bloating state.
	pub const ExistentialDeposit: Balance = MILLI_UNIT;
}

impl pallet_balances::Config for Runtime {
	type MaxLocks = ConstU32<50>;
	type MaxReserves = ();
	type ReserveIdentifier = [u8; 8];
	type Balance = Balance;
	type RuntimeEvent = RuntimeEvent;
	type DustRemoval = ();
	type ExistentialDeposit = ExistentialDeposit;
	type AccountStore = System;
	type WeightInfo = pallet_balances::weights::SubstrateWeight<Runtime>;
	type FreezeIdentifier = RuntimeFreezeReason;
	type MaxFreezes = VariantCountOf<RuntimeFreezeReason>;
	type RuntimeHoldReason = RuntimeHoldReason;
	type RuntimeFreezeReason = RuntimeFreezeReason;
	type DoneSlashHandler = ();
}

parameter_types! {
	/// One tenth of a milli-unit per byte of transaction.
	pub const TransactionByteFee: Balance = MILLI_UNIT / 10;
	pub FeeMultiplier: Multiplier = Multiplier::one();
}

impl pallet_transaction_payment::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	// Fees go to the block's author.
	type OnChargeTransaction =
		pallet_transaction_payment::FungibleAdapter<Balances, validators::FeesToAuthor>;
	type OperationalFeeMultiplier = ConstU8<5>;
	// pallet-revive's Ethereum fee model requires fees proportional to the block ratio.
	type WeightToFee = BlockRatioFee<1, 1, Self, Balance>;
	type LengthToFee = ConstantMultiplier<Balance, TransactionByteFee>;
	type FeeMultiplierUpdate = ConstFeeMultiplier<FeeMultiplier>;
	type WeightInfo = pallet_transaction_payment::weights::SubstrateWeight<Runtime>;
}

impl pallet_sudo::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type RuntimeCall = RuntimeCall;
	type WeightInfo = pallet_sudo::weights::SubstrateWeight<Runtime>;
}

/// The extensions `eth-rpc`'s Ethereum transactions are wrapped with.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct EthExtraImpl;

impl EthExtra for EthExtraImpl {
	type Config = Runtime;
	type ExtensionV0 = TxExtension;
	type ExtensionOtherVersions = sp_runtime::traits::InvalidVersion;

	fn get_eth_extension(nonce: u32, tip: Balance) -> Self::ExtensionV0 {
		(
			frame_system::CheckNonZeroSender::<Runtime>::new(),
			frame_system::CheckSpecVersion::<Runtime>::new(),
			frame_system::CheckTxVersion::<Runtime>::new(),
			frame_system::CheckGenesis::<Runtime>::new(),
			frame_system::CheckMortality::from(sp_runtime::generic::Era::Immortal),
			frame_system::CheckNonce::<Runtime>::from(nonce),
			frame_system::CheckWeight::<Runtime>::new(),
			pallet_transaction_payment::ChargeTransactionPayment::<Runtime>::from(tip),
			pallet_revive::evm::tx_extension::SetOrigin::<Runtime>::new_from_eth_transaction(),
			frame_system::WeightReclaim::<Runtime>::new(),
		)
	}
}

parameter_types! {
	pub CodeHashLockupDepositPercent: Perbill = Perbill::from_percent(30);
	/// Chain id for Ethereum tooling (MetaMask, ethers); same as the revive dev chain.
	pub const DinChainId: u64 = 420_420_420;
}

#[derive_impl(pallet_revive::config_preludes::TestDefaultConfig)]
impl pallet_revive::Config for Runtime {
	type AddressMapper = AccountId32Mapper<Self>;
	type ChainId = DinChainId;
	type CodeHashLockupDepositPercent = CodeHashLockupDepositPercent;
	type Balance = Balance;
	type Currency = Balances;
	type NativeToEthRatio = ConstU32<1_000_000>;
	// dApps deploy EVM bytecode (solc output), not only PolkaVM blobs.
	type AllowEVMBytecode = ConstBool<true>;
	type UploadOrigin = EnsureSigned<Self::AccountId>;
	type InstantiateOrigin = EnsureSigned<Self::AccountId>;
	type Time = Timestamp;
	type FindAuthor = pallet_session::FindAccountFromAuthorIndex<Self, Babe>;
	type FeeInfo = FeeInfo<Address, Signature, EthExtraImpl>;
	type WeightInfo = pallet_revive::weights::SubstrateWeight<Self>;
	type DebugEnabled = ConstBool<false>;
	type AutoMap = ConstBool<true>;
	type GasScale = ConstU32<50000>;
	// The DIN protocol for Solidity (`pallets/precompile/IDin.sol`), and every asset as an
	// ERC-20 at `0x<asset id, 4 bytes>0000…0000<0x0120>` (docs/assets.md).
	type Precompiles = (
		pallet_din_precompile::Din<Self>,
		pallet_assets_precompiles::ERC20<Self, pallet_assets_precompiles::InlineIdConfig<0x0120>>,
	);
}

parameter_types! {
	/// Creating an asset reserves 10 UNIT: an asset is a storage item anyone could create.
	pub const AssetDeposit: Balance = 10 * UNIT;
	/// `touch`ing an account into an asset reserves a milli-unit (as the existential deposit).
	pub const AssetAccountDeposit: Balance = MILLI_UNIT;
	/// An asset's name and symbol: 1 UNIT plus the length fee's tenfold per byte.
	pub const AssetMetadataDepositBase: Balance = UNIT;
	pub const AssetMetadataDepositPerByte: Balance = MILLI_UNIT;
	/// An approval (ERC-20 `approve`) reserves a milli-unit until used or cancelled.
	pub const AssetApprovalDeposit: Balance = MILLI_UNIT;
}

impl pallet_assets::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type Balance = Balance;
	type RemoveItemsLimit = ConstU32<1000>;
	type AssetId = din_primitives::AssetId;
	type AssetIdParameter = codec::Compact<din_primitives::AssetId>;
	type ReserveData = ();
	type Currency = Balances;
	type CreateOrigin = AsEnsureOriginWithArg<EnsureSigned<AccountId>>;
	type ForceOrigin = EnsureRoot<AccountId>;
	type AssetDeposit = AssetDeposit;
	type AssetAccountDeposit = AssetAccountDeposit;
	type MetadataDepositBase = AssetMetadataDepositBase;
	type MetadataDepositPerByte = AssetMetadataDepositPerByte;
	type ApprovalDeposit = AssetApprovalDeposit;
	type StringLimit = ConstU32<50>;
	type Freezer = ();
	type Holder = AssetsHolder;
	type Extra = ();
	type CallbackHandle = ();
	type AssetIdAllocator = ();
	type WeightInfo = pallet_assets::weights::SubstrateWeight<Runtime>;
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = ();
}

impl pallet_assets_holder::Config for Runtime {
	type RuntimeHoldReason = RuntimeHoldReason;
	type RuntimeEvent = RuntimeEvent;
}

impl pallet_assets_precompiles::permit::Config for Runtime {
	type ChainId = DinChainId;
	type WeightInfo = pallet_assets_precompiles::weights::SubstrateWeight<Runtime>;
}

parameter_types! {
	/// Unbonding takes a week, longer than any task's scoring window, so that stake
	/// stays slashable for every outcome it backed.
	pub const DinUnbondingPeriod: BlockNumber = 7 * DAYS;
	/// Smallest reward pool in an asset: a thousand of its minimum balances (10 dUSD for the
	/// dev chain's stablecoin), so that each payout can clear the minimum balance.
	pub const DinMinAssetRewardPool: u32 = 1_000;
	/// A verifying key's deposit: 1 UNIT, plus 1 MILLI_UNIT per byte it keeps in state (ten
	/// times the length fee), so 2.65 UNIT for the evaluation circuit's key (424 bytes
	/// compressed, 1,224 prepared); released when its registrant unregisters it.
	pub const DinVerifyingKeyDepositBase: Balance = UNIT;
	pub const DinVerifyingKeyDepositPerByte: Balance = MILLI_UNIT;
	/// A task's storage deposit, besides its pool: 1 UNIT, plus 1 MILLI_UNIT per byte of its
	/// spec (as for verifying keys) and 0.1 UNIT per round (a round record, the subgroup
	/// results and a global model); about 2 UNIT for the demo's task. Released when the
	/// task's records are pruned, `DinRecordRetention` after it ended.
	pub const DinTaskDepositBase: Balance = UNIT;
	pub const DinTaskDepositPerByte: Balance = MILLI_UNIT;
	pub const DinTaskDepositPerRound: Balance = 100 * MILLI_UNIT;
	/// An ended task's records stay a week (as long as unbonding) for clients and explorers.
	pub const DinRecordRetention: BlockNumber = 7 * DAYS;
	/// Shortest phase: three blocks (9 s) leave every participant and evaluator at least
	/// two blocks to get a transaction in.
	pub const DinMinPhaseLength: BlockNumber = 3;
	/// Longest phase: three days.
	pub const DinMaxPhaseLength: BlockNumber = 3 * DAYS;
}

impl pallet_din_staking::Config for Runtime {
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	// Slashed stake is burned until a treasury exists.
	type Slashed = ();
	type MinParticipantBond = governance::MinParticipantBond;
	type MinEvaluatorBond = governance::MinEvaluatorBond;
	type MinValidatorBond = governance::MinValidatorBond;
	type UnbondingPeriod = DinUnbondingPeriod;
	type MaxUnlockingChunks = ConstU32<32>;
	type SlashReputationPenalty = ConstU32<10>;
	type MaxReputation = ConstU32<1000>;
	// A DNS name of up to 64 characters, a port and a peer id.
	type MaxStorePeerLen = ConstU32<128>;
	// An evaluator's pool bond stays bonded until its leave from the pool takes effect.
	type BondCommitments = Evaluation;
	type WeightInfo = pallet_din_staking::weights::SubstrateWeight<Runtime>;
}

impl pallet_din_tasks::Config for Runtime {
	type Currency = Balances;
	type Assets = AssetsHolder;
	type MinAssetRewardPool = DinMinAssetRewardPool;
	type RewardAssets = SufficientAssets;
	type RuntimeHoldReason = RuntimeHoldReason;
	type Staking = Staking;
	type Randomness = DinRandomness;
	type ShuffleLookback = DinRandomnessLookback;
	// Sortition at round start, commit-reveal settlement at phase ends, scoring.
	type Lifecycle = Evaluation;
	type MinRewardPool = governance::MinRewardPool;
	type MaxArchitectureLen = ConstU32<4096>;
	type MaxParticipants = DinMaxParticipants;
	type MaxSubgroupSize = DinMaxSubgroupSize;
	type MaxEvaluatorsPerSubgroup = DinMaxPanelSize;
	type MaxRounds = DinMaxRounds;
	type MinPhaseLength = DinMinPhaseLength;
	type MaxPhaseLength = DinMaxPhaseLength;
	type MaxActiveTasks = ConstU32<256>;
	type MaxDeadlinesPerBlock = ConstU32<2>;
	// With the shortest registration (MinPhaseLength), a task that never reaches its
	// minimum is refunded after 16 retries instead of holding its slots forever.
	type MaxRoundDeferrals = ConstU32<16>;
	// A task end over 192 participants is about a quarter of one deadline's share, and with
	// the failed round start of an expiry it stays within the quarter block
	// (docs/block-budget.md; at 256 it was 2% over in the weights of 2026-12-06); a task of
	// `DinMaxParticipants` ends in six blocks.
	type MaxReleasesPerBlock = ConstU32<192>;
	// The share each deadline gets of the quarter block that deadlines may take, as for the
	// evaluation pallet's settlement slices.
	type TransitionWeight = DinSettlementSliceWeight;
	type MaxSamplesPerUpdate = DinMaxSamplesPerUpdate;
	type MaxSlash = DinMaxSlash;
	type MinEvaluatorFee = DinMinEvaluatorFee;
	type MinBaselineMargin = DinMinBaselineMargin;
	type TaskDepositBase = DinTaskDepositBase;
	type TaskDepositPerByte = DinTaskDepositPerByte;
	type TaskDepositPerRound = DinTaskDepositPerRound;
	type RecordRetention = DinRecordRetention;
	type WeightInfo = pallet_din_tasks::weights::SubstrateWeight<Runtime>;
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = AssetPoolBenchmarks;
}

/// The assets a reward pool may be in: the sufficient ones. Anyone may create an asset
/// (insufficient), but only the `ForceOrigin` creates a sufficient one or marks one so; an
/// owner that issued its own pool's asset could freeze its payees and keep their rewards.
pub struct SufficientAssets;

impl frame_support::traits::Contains<din_primitives::AssetId> for SufficientAssets {
	fn contains(id: &din_primitives::AssetId) -> bool {
		pallet_assets::Asset::<Runtime>::get(id).is_some_and(|details| details.is_sufficient)
	}
}

/// Benchmarked pools are in the dev stablecoin: an asset's holds (pallet-assets-holder
/// over pallet-assets) touch more storage than the native token's, so every escrow weight
/// (creation, top-up, payout, burn, refund) is that of the heavier path.
#[cfg(feature = "runtime-benchmarks")]
pub struct AssetPoolBenchmarks;

#[cfg(feature = "runtime-benchmarks")]
impl pallet_din_tasks::PoolBenchmarkHelper<AccountId, Balance> for AssetPoolBenchmarks {
	fn pool_asset() -> din_primitives::RewardAsset {
		din_primitives::RewardAsset::Asset(crate::genesis_config_presets::DEV_STABLECOIN)
	}

	fn fund(who: &AccountId, amount: Balance) {
		use frame_support::traits::fungibles;
		let id = crate::genesis_config_presets::DEV_STABLECOIN;
		if !<Assets as fungibles::Inspect<_>>::asset_exists(id) {
			<Assets as fungibles::Create<_>>::create(id, who.clone(), true, 1)
				.expect("a fresh asset id");
		}
		<Assets as fungibles::Mutate<_>>::mint_into(id, who, amount).expect("mints");
	}
}

parameter_types! {
	/// Most participants per task: the DIN paper's example task has 1,000, in ten
	/// subgroups of 100 with ten evaluators each.
	pub const DinMaxParticipants: u32 = 1000;
	/// Largest subgroup G.
	pub const DinMaxSubgroupSize: u32 = 100;
	/// Largest evaluator panel Q (odd, so that a full panel always has a strict majority).
	pub const DinMaxPanelSize: u32 = 11;
	/// Most rounds per task.
	pub const DinMaxRounds: u32 = 100;
	/// Most evaluators in the sortition pool.
	pub const DinMaxEvaluators: u32 = 256;
	/// Most subgroups per round (`MaxParticipants / MaxSubgroups` is the smallest G that
	/// uses every participant seat).
	pub const DinMaxSubgroups: u32 = 32;
	/// Most scored targets per task: the settlement at the end of scoring reads them all.
	pub const DinMaxScores: u32 = 1024;
	/// Largest per-update sample cap a task may set: 2^32 samples, so that the counts of
	/// `DinMaxParticipants` updates sum within `u64` with room to spare.
	pub const DinMaxSamplesPerUpdate: u64 = 1 << 32;
	/// Largest slash per offence a task may set: a fifth of the bond.
	pub const DinMaxSlash: Perbill = Perbill::from_percent(20);
	/// Smallest evaluator fee a task may set: with the smallest reward pool (`governance::MinRewardPool`, 100 UNIT at genesis), at least 1 UNIT for
	/// a task's evaluators.
	pub const DinMinEvaluatorFee: Perbill = Perbill::from_percent(1);
	/// Smallest baseline margin a task may set: one percentage point of accuracy.
	pub const DinMinBaselineMargin: Perbill = Perbill::from_percent(1);
}

parameter_types! {
	/// Largest model the evaluation off-chain worker takes on: 2^16 values (256 KiB
	/// encoded, 100× the digits softmax model); larger tasks go to the `din evaluator`
	/// daemon. Calibrated with `scripts/bench/ocw-aggregate.sh`. When every update's Poseidon
	/// commitment was checked, a subgroup of 32 updates of 2^16 values took 6.2 s with
	/// arkworks' sponge and 2.6 s with the rewritten one (debug-profile node), and 100 such
	/// updates about 8 s, longer than the shortest phase (`DinMinPhaseLength`, three blocks,
	/// the last one for the commit). Since a panel checks the commitments of a sample only
	/// (`din_fl::duty::COMMITMENT_CHECKS`), the duty of a full subgroup
	/// (`DinMaxSubgroupSize` = 100) of 2^16 values takes 0.81 s (FedAvg) and 0.90 s
	/// (median) in the worker's wasm (one thread) on a release node, 2.2× the native
	/// daemon's time (rayon on both cores), well inside two blocks (`NODE_PROFILE=release POINTS="32:65536 100:65536"
	/// RULES="fed_avg median" scripts/bench/ocw-aggregate.sh`, 2026-12-06, 2 cores).
	pub const DinMaxOffchainModelValues: u32 = 1 << 16;
}

// The evaluation off-chain worker signs ordinary signed transactions with the node's
// `din!` keys, built exactly as a wallet builds them.
impl frame_system::offchain::SigningTypes for Runtime {
	type Public = <Signature as sp_runtime::traits::Verify>::Signer;
	type Signature = Signature;
}

impl<C> frame_system::offchain::CreateTransactionBase<C> for Runtime
where
	RuntimeCall: From<C>,
{
	type Extrinsic = UncheckedExtrinsic;
	type RuntimeCall = RuntimeCall;
}

// Validators' nodes report BABE and GRANDPA equivocations as unsigned transactions, which
// the two pallets validate themselves (`ValidateUnsigned`).
impl<C> frame_system::offchain::CreateBare<C> for Runtime
where
	RuntimeCall: From<C>,
{
	fn create_bare(call: RuntimeCall) -> UncheckedExtrinsic {
		sp_runtime::generic::UncheckedExtrinsic::new_bare(call).into()
	}
}

impl<C> frame_system::offchain::CreateSignedTransaction<C> for Runtime
where
	RuntimeCall: From<C>,
{
	fn create_signed_transaction<
		A: frame_system::offchain::AppCrypto<Self::Public, Self::Signature>,
	>(
		call: RuntimeCall,
		public: Self::Public,
		account: AccountId,
		nonce: Nonce,
	) -> Option<UncheckedExtrinsic> {
		use sp_runtime::{generic::Era, traits::SaturatedConversion};
		// Mortal for about half the block-hash window, starting at the parent block.
		let period = BlockHashCount::get().checked_next_power_of_two().map_or(2, |c| c / 2) as u64;
		let current = System::block_number().saturated_into::<u64>().saturating_sub(1);
		let tx_ext: TxExtension = (
			frame_system::CheckNonZeroSender::<Runtime>::new(),
			frame_system::CheckSpecVersion::<Runtime>::new(),
			frame_system::CheckTxVersion::<Runtime>::new(),
			frame_system::CheckGenesis::<Runtime>::new(),
			frame_system::CheckEra::<Runtime>::from(Era::mortal(period, current)),
			frame_system::CheckNonce::<Runtime>::from(nonce),
			frame_system::CheckWeight::<Runtime>::new(),
			pallet_transaction_payment::ChargeTransactionPayment::<Runtime>::from(0),
			pallet_revive::evm::tx_extension::SetOrigin::<Runtime>::default(),
			frame_system::WeightReclaim::<Runtime>::new(),
		);
		let payload = SignedPayload::new(call, tx_ext).ok()?;
		let signature = payload.using_encoded(|bytes| A::sign(bytes, public))?;
		let (call, tx_ext, _) = payload.deconstruct();
		Some(
			sp_runtime::generic::UncheckedExtrinsic::new_signed(
				call,
				Address::Id(account),
				signature,
				tx_ext,
			)
			.into(),
		)
	}
}

impl pallet_din_evaluation::Config for Runtime {
	type AuthorityId = pallet_din_evaluation::offchain::crypto::EvaluatorAuthId;
	type MaxOffchainModelValues = DinMaxOffchainModelValues;
	type MaxOffchainFetchesPerBlock = ConstU32<64>;
	type OffchainFetchTimeoutMs = ConstU64<4_000>;
	type Balance = Balance;
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type VerifyingKeyDepositBase = DinVerifyingKeyDepositBase;
	type VerifyingKeyDepositPerByte = DinVerifyingKeyDepositPerByte;
	type Staking = Staking;
	type Tasks = Tasks;
	type Randomness = DinRandomness;
	type SampleRandomness = DinSampleRandomness;
	type SortitionLookback = DinRandomnessLookback;
	type Verifier = NativeGroth16;
	type Rewards = Rewards;
	type MaxEvaluators = DinMaxEvaluators;
	type MaxSubgroups = DinMaxSubgroups;
	type MaxPanelSize = DinMaxPanelSize;
	type MaxSubgroupSize = DinMaxSubgroupSize;
	type MaxParticipants = DinMaxParticipants;
	type MaxRounds = DinMaxRounds;
	type MaxScores = DinMaxScores;
	// A compressed BN254 key with five public inputs is 424 bytes.
	type MaxVerifyingKeyLen = ConstU32<1024>;
	type MaxPreparedVerifyingKeyLen = ConstU32<2048>;
	type MaxTestKeyLen = ConstU32<64>;
	type SettlementSliceWeight = DinSettlementSliceWeight;
	type WeightInfo = pallet_din_evaluation::weights::SubstrateWeight<Runtime>;
}

impl pallet_din_rewards::Config for Runtime {
	type Balance = Balance;
	type Tasks = Tasks;
	type Staking = Staking;
	type MaxParticipants = DinMaxParticipants;
	type MaxEvaluators = DinMaxEvaluators;
	type MaxRounds = DinMaxRounds;
	type WeightInfo = pallet_din_rewards::weights::SubstrateWeight<Runtime>;
}

impl pallet_din_precompile::Config for Runtime {
	type WeightInfo = pallet_din_precompile::weights::SubstrateWeight<Runtime>;
}

/// Groth16 (BN254) verification of evaluation proofs, the preparation of a verifying key at
/// registration and the off-chain workers' model commitments by the node's native host
/// functions (`din-zk-host`).
pub struct NativeGroth16;
impl din_primitives::ProofVerifier for NativeGroth16 {
	fn verify(prepared_key: &[u8], inputs: &[u8], proof: &[u8]) -> bool {
		din_zk_host::zk_host::verify_groth16_bn254_prepared(prepared_key, inputs, proof)
	}
	fn prepare_key(vk: &[u8]) -> Option<alloc::vec::Vec<u8>> {
		din_zk_host::zk_host::prepare_groth16_bn254(
			vk,
			din_zk_verifier::layout::PUBLIC_INPUT_COUNT as u32,
		)
	}
	fn model_commitment(values: &[i32]) -> din_primitives::Commitment {
		H256(din_zk_host::zk_host::poseidon_model_commitment(values))
	}
}

/// Randomness for DIN's evaluator sortition and participant shuffling: BABE's VRF
/// output, taken from one epoch ago so that no block author can still bias it when it
/// is used. Callers mix in a subject (task id, round) to get distinct draws.
pub type DinRandomness = pallet_babe::RandomnessFromOneEpochAgo<Runtime>;

/// Randomness for the commitment sample drawn when Training ends: the VRF output of the
/// last Training block (BABE's `ParentBlockRandomness`), which nobody but that block's
/// author knows before the block, and after which no transaction joins Training. That
/// author knows it sooner (a slot's VRF output is a function of the epoch's randomness)
/// and chooses which Training transactions its block carries: one colluding author can keep
/// a colluder out of the sample (docs/threat-model.md). The VRF output of the block that
/// ends Training would take away only the choice of transactions, not the foreknowledge
/// (every slot's output is known to its author once the epoch's randomness is), and BABE
/// stores a block's output only at its end; a seed no single author knows needs
/// randomness mixed over many blocks, or a reveal by the panel itself.
pub type DinSampleRandomness = pallet_babe::ParentBlockRandomness<Runtime>;

parameter_types! {
	/// How long before `DinRandomness` is known the inputs it is drawn with (the pool, the
	/// participant list) must be fixed: one epoch, because the one-epoch-ago randomness is
	/// the previous epoch's VRF output, which that epoch's authors see take shape (pallet-babe
	/// asks for inputs two epochs old).
	pub const DinRandomnessLookback: BlockNumber = EPOCH_DURATION_IN_SLOTS as BlockNumber;
}
