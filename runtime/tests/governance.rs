//! DIN's protocol parameters under the council: a majority of its members, one vote each,
//! changes a parameter in storage and it takes effect at once (a `join_task` below a raised
//! minimum bond fails, in a task created before the raise); the same call from anyone else
//! (a signed account, a council member alone) changes nothing. Only the development preset
//! has a sudo key. Runtime upgrades reach Root only through two thirds of the council.

mod common;

use codec::Encode;
use common::{account, new_test_ext, task_spec};
use din_primitives::{Role, UNIT};
use din_runtime::{
	configs::governance::{DinParameter, RuntimeParameters},
	Council, Parameters, Preimage, Runtime, RuntimeCall, RuntimeEvent, RuntimeOrigin, Staking,
	System, Tasks, Whitelist,
};
use polkadot_sdk::{
	frame_support::{assert_noop, assert_ok, dispatch::GetDispatchInfo, traits::SortedMembers},
	frame_system, pallet_collective, pallet_parameters, pallet_whitelist,
	sp_keyring::Sr25519Keyring,
	sp_runtime::{
		traits::{BlakeTwo256, Hash},
		AccountId32, DispatchError,
	},
};

fn min_participant_bond(value: u128) -> RuntimeParameters {
	RuntimeParameters { parameter: DinParameter::MinParticipantBond, value: Some(value) }
}

fn set_min_participant_bond(value: u128) -> RuntimeCall {
	RuntimeCall::Parameters(pallet_parameters::Call::set_parameter {
		key_value: min_participant_bond(value),
	})
}

/// `proposer` moves `call` with `threshold` ayes needed (a motion of one is executed at
/// once), `ayes` (the proposer among them, if it votes) vote for it, and the motion is
/// closed: what the call returned, from the `Executed` event (`None`: not executed).
fn council_motion(
	proposer: &AccountId32,
	threshold: u32,
	ayes: &[AccountId32],
	call: RuntimeCall,
) -> Option<Result<(), DispatchError>> {
	let length = call.encoded_size() as u32;
	let weight = call.get_dispatch_info().call_weight;
	let hash = BlakeTwo256::hash_of(&call);
	let index = pallet_collective::ProposalCount::<Runtime, pallet_collective::Instance1>::get();
	System::reset_events();
	assert_ok!(Council::propose(
		RuntimeOrigin::signed(proposer.clone()),
		threshold,
		Box::new(call),
		length
	));
	if threshold > 1 {
		for member in ayes {
			assert_ok!(Council::vote(RuntimeOrigin::signed(member.clone()), hash, index, true));
		}
		assert_ok!(Council::close(
			RuntimeOrigin::signed(proposer.clone()),
			hash,
			index,
			weight,
			length
		));
	}
	System::events().into_iter().find_map(|record| match record.event {
		RuntimeEvent::Council(pallet_collective::Event::Executed { result, .. }) => Some(result),
		_ => None,
	})
}

#[test]
fn a_council_majority_raises_the_minimum_bond_and_a_join_below_it_fails() {
	new_test_ext().execute_with(|| {
		let [alice, bob, charlie] =
			[Sr25519Keyring::Alice, Sr25519Keyring::Bob, Sr25519Keyring::Charlie]
				.map(|k| k.to_account_id());
		let mut council = vec![alice.clone(), bob.clone(), charlie.clone()];
		council.sort();
		assert_eq!(
			pallet_collective::Members::<Runtime, pallet_collective::Instance1>::get(),
			council
		);
		assert_eq!(<din_runtime::CouncilMembership as SortedMembers<_>>::sorted_members(), council);

		// A task created under the genesis minimum of 1 DIN, and two participants bonded to
		// it: one joins before the raise.
		let owner = account(1, 0);
		let spec = task_spec();
		assert_ok!(Tasks::create_task(RuntimeOrigin::signed(owner), spec.clone()));
		let task = pallet_din_tasks::NextTaskId::<Runtime>::get() - 1;
		let [early, late] = [account(2, 0), account(2, 1)];
		for who in [&early, &late] {
			assert_ok!(Staking::bond(
				RuntimeOrigin::signed(who.clone()),
				Role::Participant,
				2 * UNIT
			));
		}
		assert_ok!(Tasks::join_task(RuntimeOrigin::signed(early.clone()), task));
		assert_eq!(DinParameter::MinParticipantBond.get(), UNIT);

		// Nobody but the council's majority sets it: a signed account, a member alone.
		assert_noop!(
			Parameters::set_parameter(
				RuntimeOrigin::signed(alice.clone()),
				min_participant_bond(5 * UNIT)
			),
			DispatchError::BadOrigin
		);
		assert_eq!(
			council_motion(&alice, 1, &[], set_min_participant_bond(5 * UNIT)),
			Some(Err(DispatchError::BadOrigin)),
			"one member of three is no majority"
		);
		assert_eq!(DinParameter::MinParticipantBond.get(), UNIT);

		// Two of three pass it; it holds from the next call on.
		assert_eq!(
			council_motion(
				&alice,
				2,
				&[alice.clone(), bob.clone()],
				set_min_participant_bond(5 * UNIT)
			),
			Some(Ok(()))
		);
		assert_eq!(DinParameter::MinParticipantBond.get(), 5 * UNIT);
		assert_eq!(pallet_din_staking::Pallet::<Runtime>::min_bond(Role::Participant), 5 * UNIT);
		assert_noop!(
			Tasks::join_task(RuntimeOrigin::signed(late.clone()), task),
			pallet_din_tasks::Error::<Runtime>::StakeTooLow
		);
		let newcomer = account(2, 2);
		assert_noop!(
			Staking::bond(RuntimeOrigin::signed(newcomer), Role::Participant, 2 * UNIT),
			pallet_din_staking::Error::<Runtime>::BelowMinimumBond
		);
		// Topped up to the raised minimum, the late participant joins.
		assert_ok!(Staking::bond(RuntimeOrigin::signed(late.clone()), Role::Participant, 3 * UNIT));
		assert_ok!(Tasks::join_task(RuntimeOrigin::signed(late), task));
	});
}

#[test]
fn only_the_development_preset_has_a_sudo_key() {
	// The presets read pallet-revive's address mapping: inside externalities.
	let sudo_key = |preset: &str| {
		let patch = din_runtime::genesis_config_presets::get_preset(&preset.into())
			.expect("the preset exists");
		let patch: serde_json::Value = serde_json::from_slice(&patch).expect("JSON");
		(patch["sudo"]["key"].clone(), patch["councilMembership"]["members"].clone())
	};
	let (dev_sudo, dev_council) = new_test_ext().execute_with(|| sudo_key("development"));
	assert!(dev_sudo.is_string(), "the development chain keeps Alice's sudo key");
	let (local_sudo, local_council) = new_test_ext().execute_with(|| sudo_key("local_testnet"));
	assert!(local_sudo.is_null(), "the local chain has no sudo key: {local_sudo}");
	assert_eq!(local_council.as_array().map(Vec::len), Some(3));
	assert_eq!(local_council, dev_council);
	// The public network's template: no sudo key, and a council for its founders to seat.
	let (production_sudo, production_council) =
		new_test_ext().execute_with(|| sudo_key("production"));
	assert!(production_sudo.is_null(), "the production template has no sudo key");
	assert_eq!(production_council, serde_json::json!([]));
}

/// A runtime upgrade (here `System::set_code_without_checks`, whose code the test's
/// externalities need not execute) reaches Root only through two thirds of the council:
/// a motion whitelists its hash, anyone notes the call as a preimage (paying its deposit),
/// and a second motion dispatches it. A signed account, a member alone, or a dispatch of a
/// call nobody whitelisted change nothing.
#[test]
fn two_thirds_of_the_council_upgrade_the_runtime_and_nobody_else_can() {
	new_test_ext().execute_with(|| {
		let [alice, bob, dave] = [Sr25519Keyring::Alice, Sr25519Keyring::Bob, Sr25519Keyring::Dave]
			.map(|k| k.to_account_id());
		let code = b"\0asm a new runtime".to_vec();
		let upgrade =
			RuntimeCall::System(frame_system::Call::set_code_without_checks { code: code.clone() });
		let hash = BlakeTwo256::hash_of(&upgrade);
		let whitelist =
			|| RuntimeCall::Whitelist(pallet_whitelist::Call::whitelist_call { call_hash: hash });
		let dispatch = || {
			RuntimeCall::Whitelist(pallet_whitelist::Call::dispatch_whitelisted_call {
				call_hash: hash,
				call_encoded_len: upgrade.encoded_size() as u32,
				call_weight_witness: upgrade.get_dispatch_info().call_weight,
			})
		};
		let code_updated = || {
			System::events().iter().any(|record| {
				matches!(
					record.event,
					RuntimeEvent::System(frame_system::Event::CodeUpdated { .. })
				)
			})
		};

		// Root directly: only the development chain's sudo key holds it.
		assert_noop!(
			System::set_code_without_checks(RuntimeOrigin::signed(alice.clone()), code.clone()),
			DispatchError::BadOrigin
		);
		// Whitelisting: not a signed account, not one member of three.
		assert_noop!(
			Whitelist::whitelist_call(RuntimeOrigin::signed(alice.clone()), hash),
			DispatchError::BadOrigin
		);
		assert_eq!(
			council_motion(&alice, 1, &[], whitelist()),
			Some(Err(DispatchError::BadOrigin)),
			"one member of three is not two thirds"
		);
		// Dispatching what nobody whitelisted does not upgrade.
		assert_ok!(Preimage::note_preimage(RuntimeOrigin::signed(dave.clone()), upgrade.encode()));
		assert_eq!(
			council_motion(&alice, 2, &[alice.clone(), bob.clone()], dispatch()),
			Some(Ok(()))
		);
		assert!(!code_updated(), "a dispatch before the whitelisting is only deferred");

		// Two of three whitelist it; two of three dispatch it as Root.
		assert_eq!(
			council_motion(&alice, 2, &[alice.clone(), bob.clone()], whitelist()),
			Some(Ok(()))
		);
		assert_eq!(
			council_motion(&bob, 2, &[bob.clone(), alice.clone()], dispatch()),
			Some(Ok(()))
		);
		assert!(code_updated(), "the upgrade was dispatched as Root");
		// The whitelisting is spent: the same dispatch again does nothing.
		assert!(!pallet_whitelist::WhitelistedCall::<Runtime>::contains_key(hash));
	});
}
