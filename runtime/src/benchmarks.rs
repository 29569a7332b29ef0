//! The pallets `din-node benchmark pallet` can benchmark (runtime built with
//! `--features runtime-benchmarks`); `scripts/bench/pallet-weights.sh` runs them.

polkadot_sdk::frame_benchmarking::define_benchmarks!(
	[frame_benchmarking, BaselineBench::<Runtime>]
	[frame_system, SystemBench::<Runtime>]
	[frame_system_extensions, SystemExtensionsBench::<Runtime>]
	[pallet_balances, Balances]
	[pallet_timestamp, Timestamp]
	[pallet_sudo, Sudo]
	[pallet_din_staking, Staking]
	[pallet_din_tasks, Tasks]
	[pallet_din_evaluation, Evaluation]
	[pallet_din_rewards, Rewards]
	[pallet_din_precompile, DinPrecompile]
	[pallet_din_validators, Validators]
);
