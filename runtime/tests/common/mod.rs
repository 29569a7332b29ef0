//! What the runtime-level tests share: externalities on the dev genesis, a valid task
//! spec, funded accounts, and blocks opened the way a block author opens them with every
//! DIN pallet's invariants checked around each.

use din_primitives::{ScoringRule, UNIT};
use din_runtime::{Executive, Header, Runtime, RuntimeGenesisConfig, System};
use pallet_din_tasks::TaskSpec;
use polkadot_sdk::{
	frame_support::{genesis_builder_helper::build_state, traits::fungible::Mutate},
	sp_core::H256,
	sp_io,
	sp_runtime::{traits::Header as _, AccountId32, Perbill},
};

/// A spec the runtime accepts: one median-scored FedAvg round of 5-block phases, a pool of
/// 1,000 DIN, subgroups of 4 with three evaluators. Tests change the fields they are about.
#[allow(dead_code)] // Not every test binary uses every helper.
pub fn task_spec() -> TaskSpec<Runtime> {
	let mut spec = TaskSpec::template(b"softmax:64:10".to_vec(), 1_000 * UNIT, 5);
	spec.subgroup_size = 4;
	spec.evaluators_per_subgroup = 3;
	spec.scoring = ScoringRule::Median { threshold: Perbill::from_percent(2) };
	spec
}

/// Externalities holding the development chain's genesis, at block 1.
pub fn new_test_ext() -> sp_io::TestExternalities {
	let mut ext = sp_io::TestExternalities::new_empty();
	ext.execute_with(|| {
		// The preset reads the address mapping, so it is built inside the externalities. It
		// is a patch over the default config, as the node applies it.
		let patch = din_runtime::genesis_config_presets::get_preset(&"development".into())
			.expect("dev preset");
		let mut config = serde_json::to_value(RuntimeGenesisConfig::default()).expect("serializes");
		merge(&mut config, serde_json::from_slice(&patch).expect("the preset is JSON"));
		build_state::<RuntimeGenesisConfig>(config.to_string().into_bytes())
			.expect("dev genesis builds");
		// Events are only kept from block 1 on.
		System::set_block_number(1);
	});
	ext
}

/// A funded account (10,000 DIN) that is not one of the dev keys.
#[allow(dead_code)] // Not every test binary uses every helper.
pub fn account(kind: u8, index: u32) -> AccountId32 {
	let mut raw = [kind; 32];
	raw[..4].copy_from_slice(&index.to_le_bytes());
	let who = AccountId32::new(raw);
	din_runtime::Balances::set_balance(&who, 10_000 * UNIT);
	who
}

/// Opens block `n` the way a block author does: every pallet's `on_initialize`, whose
/// weight the block then carries as mandatory. The DIN pallets' invariants are checked on
/// the state the previous block left and again after the hooks, so a test that opens its
/// blocks here runs `try_state` after every block, as `try-runtime` does on a live chain.
#[allow(dead_code)]
pub fn open_block(n: u32) {
	assert_invariants(n.saturating_sub(1));
	let header =
		Header::new(n, H256::zero(), H256::zero(), H256::repeat_byte(n as u8), Default::default());
	Executive::initialize_block(&header);
	assert_invariants(n);
}

/// Every DIN pallet's `try_state` (the same checks the runtime's `TryRuntime` API runs),
/// failing with the pallet and the block `n` they were checked at.
#[allow(dead_code)]
pub fn assert_invariants(n: u32) {
	let checks: [(&str, fn() -> Result<(), polkadot_sdk::sp_runtime::TryRuntimeError>); 5] = [
		("staking", pallet_din_staking::Pallet::<Runtime>::do_try_state),
		("tasks", pallet_din_tasks::Pallet::<Runtime>::do_try_state),
		("evaluation", pallet_din_evaluation::Pallet::<Runtime>::do_try_state),
		("rewards", pallet_din_rewards::Pallet::<Runtime>::do_try_state),
		("validators", pallet_din_validators::Pallet::<Runtime>::do_try_state),
	];
	for (pallet, check) in checks {
		if let Err(broken) = check() {
			panic!("the {pallet} pallet's invariants are broken at block {n}: {broken:?}");
		}
	}
}

fn merge(base: &mut serde_json::Value, patch: serde_json::Value) {
	match (base, patch) {
		(serde_json::Value::Object(base), serde_json::Value::Object(patch)) => {
			for (key, value) in patch {
				merge(base.entry(key).or_insert(serde_json::Value::Null), value);
			}
		},
		(base, patch) => *base = patch,
	}
}
