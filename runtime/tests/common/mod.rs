//! What the runtime-level tests share: externalities on the dev genesis and a valid task
//! spec.

use din_primitives::{ScoringRule, UNIT};
use din_runtime::{Runtime, RuntimeGenesisConfig, System};
use pallet_din_tasks::TaskSpec;
use polkadot_sdk::{
	frame_support::genesis_builder_helper::build_state, sp_io, sp_runtime::Perbill,
};

/// A spec the runtime accepts: one median-scored FedAvg round of 5-block phases, a pool of
/// 1,000 DIN, subgroups of 4 with three evaluators. Tests change the fields they are about.
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
