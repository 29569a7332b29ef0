//! Chain specifications: `dev`, `local` and `production` come from the runtime's genesis
//! presets.

use din_runtime::WASM_BINARY;
use polkadot_sdk::{sc_service::ChainType, sp_genesis_builder, *};
use serde_json::json;

/// A chain spec whose genesis comes from a runtime preset.
pub type ChainSpec = sc_service::GenericChainSpec;

fn wasm_binary() -> Result<&'static [u8], String> {
	WASM_BINARY.ok_or_else(|| {
		"din-runtime's wasm binary is not available; rebuild without SKIP_WASM_BUILD".to_string()
	})
}

/// Token symbol and decimals shown by wallets and explorers.
fn properties() -> sc_chain_spec::Properties {
	json!({ "tokenSymbol": "DIN", "tokenDecimals": 12, "ss58Format": 42 })
		.as_object()
		.expect("a JSON object literal; qed")
		.clone()
}

/// `--dev`: Alice validates alone.
pub fn development_chain_spec() -> Result<ChainSpec, String> {
	Ok(ChainSpec::builder(wasm_binary()?, None)
		.with_name("DIN Development")
		.with_id("din_dev")
		.with_chain_type(ChainType::Development)
		.with_genesis_config_preset_name(sp_genesis_builder::DEV_RUNTIME_PRESET)
		.with_properties(properties())
		.build())
}

/// `--chain local`: Alice, Bob, Charlie and Dave validate.
pub fn local_chain_spec() -> Result<ChainSpec, String> {
	Ok(ChainSpec::builder(wasm_binary()?, None)
		.with_name("DIN Local Testnet")
		.with_id("din_local")
		.with_chain_type(ChainType::Local)
		.with_genesis_config_preset_name(sp_genesis_builder::LOCAL_TESTNET_RUNTIME_PRESET)
		.with_properties(properties())
		.build())
}

/// `--chain production`: the public network's template (no sudo key, no dev accounts); its
/// validators, council and balances are for its founders to fill in before the genesis
/// builds (`build-spec --chain production > spec.json`, then `--chain spec.json`).
pub fn production_chain_spec() -> Result<ChainSpec, String> {
	Ok(ChainSpec::builder(wasm_binary()?, None)
		.with_name("DIN")
		.with_id("din")
		.with_chain_type(ChainType::Live)
		.with_genesis_config_preset_name(
			din_runtime::genesis_config_presets::PRODUCTION_RUNTIME_PRESET,
		)
		.with_properties(properties())
		.build())
}
