//! What the runtime-level tests share: externalities on the dev genesis.

use din_runtime::{RuntimeGenesisConfig, System};
use polkadot_sdk::{frame_support::genesis_builder_helper::build_state, sp_io};

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
