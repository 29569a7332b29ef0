//! Genesis presets: `development` (Alice validates alone) and `local_testnet` (Alice, Bob,
//! Charlie and Dave validate). Both endow the well-known dev accounts and the well-known
//! Ethereum dev keys (in the native token and the test stablecoin [`DEV_STABLECOIN`]), map
//! them for pallet-revive, and seat Alice, Bob and Charlie on the council, whose majority
//! sets DIN's protocol parameters. Only `development` has a sudo key (Alice): on every
//! other chain nothing bypasses the council.
//!
//! zombienet customizes the `session.keys` of these presets to insert its own validators,
//! so validators live only there (BABE and GRANDPA authorities are derived from it).
//!
//! `production` is the genesis of a public network less what only its founders know: no
//! sudo key, no dev account, no test stablecoin, and empty `session.keys`,
//! `councilMembership.members` and `balances`, which they fill in (README, "Starting a
//! network"). Left empty, a node refuses to start on it: its chain could never author.

use crate::{
	AccountId, AssetsConfig, BabeConfig, Balance, BalancesConfig, CouncilMembershipConfig,
	ReviveConfig, Runtime, RuntimeGenesisConfig, SessionConfig, SessionKeys, SudoConfig,
	BABE_GENESIS_EPOCH_CONFIG, UNIT,
};
use alloc::{vec, vec::Vec};
use pallet_revive::AddressMapper;
use polkadot_sdk::{
	polkadot_sdk_frame::deps::sp_genesis_builder::{self, PresetId},
	sp_consensus_babe::AuthorityId as BabeId,
	sp_consensus_grandpa::AuthorityId as GrandpaId,
	sp_keyring::{Ed25519Keyring, Sr25519Keyring},
	*,
};
use serde_json::Value;

/// Name of the multi-validator local preset (`--chain local`).
pub const LOCAL_TESTNET_RUNTIME_PRESET: &str = sp_genesis_builder::LOCAL_TESTNET_RUNTIME_PRESET;
/// Name of the public network's template (`--chain production`).
pub const PRODUCTION_RUNTIME_PRESET: &str = "production";

/// What each endowed dev account starts with: enough for any test, far from overflow.
pub const ENDOWMENT: Balance = 1_000_000_000 * UNIT;

/// The dev and local chains' test stablecoin: asset 1, "DIN test dollar" (dUSD), 6
/// decimals, sufficient (an account may hold it without the native token), minimum balance
/// one cent, administered by Alice. Reward pools can be funded in it
/// (`din task create --reward-asset 1`); it is an ERC-20 at [`DEV_STABLECOIN_ERC20`].
pub const DEV_STABLECOIN: din_primitives::AssetId = 1;
/// Where Solidity finds [`DEV_STABLECOIN`]: pallet-assets-precompiles' inline-id address
/// (the asset id in the first four bytes, the precompile prefix `0x0120` in bytes 16-17).
pub const DEV_STABLECOIN_ERC20: &str = "0x0000000100000000000000000000000001200000";
/// One dUSD in its smallest unit.
pub const DEV_STABLECOIN_UNIT: Balance = 1_000_000;
/// What each endowed dev account holds of [`DEV_STABLECOIN`].
pub const DEV_STABLECOIN_ENDOWMENT: Balance = 1_000_000 * DEV_STABLECOIN_UNIT;

/// The well-known Ethereum dev keys (subxt_signer::eth::dev alith, baltathar, charleth,
/// dorothy, ethan), as their fallback `AccountId32`: the 20-byte address padded with
/// `0xEE`. This is how pallet-revive maps an Ethereum key that has no Substrate account,
/// so MetaMask / ethers with these keys find funds at their usual addresses.
const ETH_DEV_ACCOUNTS: [&str; 5] = [
	"f24ff3a9cf04c71dbc94d0b566f7a27b94566caceeeeeeeeeeeeeeeeeeeeeeee",
	"3cd0a705a2dc65e5b1e1205896baa2be8a07c6e0eeeeeeeeeeeeeeeeeeeeeeee",
	"798d4ba9baf0064ec19eb4f0a1a45785ae9d6dfceeeeeeeeeeeeeeeeeeeeeeee",
	"773539d4ac0e786233d90a233654ccee26a613d9eeeeeeeeeeeeeeeeeeeeeeee",
	"ff64d3f6efe2317ee2807d223a0bdc4c0c49dfdbeeeeeeeeeeeeeeeeeeeeeeee",
];

/// Session keys of a dev validator: BABE from its sr25519 seed, GRANDPA from ed25519.
fn session_keys(sr: Sr25519Keyring, ed: Ed25519Keyring) -> SessionKeys {
	SessionKeys { babe: BabeId::from(sr.public()), grandpa: GrandpaId::from(ed.public()) }
}

/// Every sr25519 dev keyring account (//Alice … //Ferdie, their stashes, //One and //Two)
/// and the Ethereum dev accounts: a full federated task on a dev chain (an owner, 10
/// participants, 3 evaluators) needs more than `well_known()`'s twelve.
fn well_known_accounts() -> Vec<AccountId> {
	Sr25519Keyring::iter()
		.map(|k| k.to_account_id())
		.chain(ETH_DEV_ACCOUNTS.iter().map(|hex| array_bytes::hex_n_into_unchecked(hex)))
		.collect()
}

/// The dev and local chains' council.
fn council() -> Vec<AccountId> {
	[Sr25519Keyring::Alice, Sr25519Keyring::Bob, Sr25519Keyring::Charlie]
		.iter()
		.map(|k| k.to_account_id())
		.collect()
}

fn genesis(validators: &[(Sr25519Keyring, Ed25519Keyring)], sudo: Option<AccountId>) -> Value {
	let endowed = well_known_accounts();
	frame_support::build_struct_json_patch!(RuntimeGenesisConfig {
		balances: BalancesConfig {
			balances: endowed.iter().cloned().map(|id| (id, ENDOWMENT)).collect::<Vec<_>>(),
		},
		assets: AssetsConfig {
			assets: vec![(
				DEV_STABLECOIN,
				Sr25519Keyring::Alice.to_account_id(),
				true,
				DEV_STABLECOIN_UNIT / 100,
			)],
			metadata: vec![(DEV_STABLECOIN, b"DIN test dollar".to_vec(), b"dUSD".to_vec(), 6)],
			accounts: endowed
				.iter()
				.cloned()
				.map(|id| (DEV_STABLECOIN, id, DEV_STABLECOIN_ENDOWMENT))
				.collect::<Vec<_>>(),
		},
		babe: BabeConfig { epoch_config: BABE_GENESIS_EPOCH_CONFIG },
		session: SessionConfig {
			keys: validators
				.iter()
				.map(|(sr, ed)| {
					let account = sr.to_account_id();
					(account.clone(), account, session_keys(*sr, *ed))
				})
				.collect::<Vec<_>>(),
		},
		sudo: SudoConfig { key: sudo },
		council_membership: CouncilMembershipConfig {
			members: council().try_into().expect("three members are within CouncilMaxMembers"),
		},
		revive: ReviveConfig {
			mapped_accounts: endowed
				.iter()
				.filter(|a| !<Runtime as pallet_revive::Config>::AddressMapper::is_mapped(a))
				.cloned()
				.collect::<Vec<_>>(),
		},
	})
}

/// `--dev`: Alice is the only validator, and the sudo key.
pub fn development_config_genesis() -> Value {
	genesis(
		&[(Sr25519Keyring::Alice, Ed25519Keyring::Alice)],
		Some(Sr25519Keyring::Alice.to_account_id()),
	)
}

/// `--chain local`: four validators, so that one can fail while GRANDPA keeps its 2/3;
/// no sudo key.
pub fn local_testnet_genesis() -> Value {
	genesis(
		&[
			(Sr25519Keyring::Alice, Ed25519Keyring::Alice),
			(Sr25519Keyring::Bob, Ed25519Keyring::Bob),
			(Sr25519Keyring::Charlie, Ed25519Keyring::Charlie),
			(Sr25519Keyring::Dave, Ed25519Keyring::Dave),
		],
		None,
	)
}

/// `--chain production`: BABE's epoch configuration and the fields the founders fill in,
/// empty; no sudo key.
pub fn production_genesis() -> Value {
	frame_support::build_struct_json_patch!(RuntimeGenesisConfig {
		balances: BalancesConfig { balances: Vec::new() },
		babe: BabeConfig { epoch_config: BABE_GENESIS_EPOCH_CONFIG },
		session: SessionConfig { keys: Vec::new() },
		council_membership: CouncilMembershipConfig { members: Default::default() },
	})
}

/// The JSON patch of a named preset.
pub fn get_preset(id: &PresetId) -> Option<Vec<u8>> {
	let patch = match id.as_ref() {
		sp_genesis_builder::DEV_RUNTIME_PRESET => development_config_genesis(),
		sp_genesis_builder::LOCAL_TESTNET_RUNTIME_PRESET => local_testnet_genesis(),
		PRODUCTION_RUNTIME_PRESET => production_genesis(),
		_ => return None,
	};
	Some(
		serde_json::to_string(&patch)
			.expect("serialization to json is expected to work. qed.")
			.into_bytes(),
	)
}

/// The presets this runtime offers.
pub fn preset_names() -> Vec<PresetId> {
	vec![
		PresetId::from(sp_genesis_builder::DEV_RUNTIME_PRESET),
		PresetId::from(sp_genesis_builder::LOCAL_TESTNET_RUNTIME_PRESET),
		PresetId::from(PRODUCTION_RUNTIME_PRESET),
	]
}
