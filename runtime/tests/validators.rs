//! The open validator set on the real runtime: blocks are produced with BABE pre-digests
//! slot by slot, so sessions (one per 20-slot epoch) rotate as on a live chain. Node
//! operators bond, register session keys with a real ownership proof and `validate`; they
//! become BABE authorities two sessions later. One of them signs two blocks for one slot:
//! the report, proven against the session's historical validator set, slashes its bond,
//! disables it and takes it out of the set, while the chain's fees keep going to each
//! block's author.

mod common;

use codec::Encode;
use common::{assert_invariants, new_test_ext};
use din_primitives::{Role, StakeInfo, UNIT};
use din_runtime::{
	Babe, Balances, Executive, Header, Historical, Runtime, RuntimeEvent, RuntimeOrigin, Session,
	SessionKeys, Staking, System, Timestamp, Validators, SLOT_DURATION,
};
use polkadot_sdk::{
	frame_support::{assert_ok, traits::KeyOwnerProofSystem},
	sp_consensus_babe::{
		digests::{CompatibleDigestItem, PreDigest, SecondaryPlainPreDigest},
		AuthorityId as BabeId, EquivocationProof, Slot, BABE_ENGINE_ID, KEY_TYPE,
	},
	sp_core::{crypto::Pair as _, H256},
	sp_keyring::Sr25519Keyring,
	sp_keystore::{testing::MemoryKeystore, KeystoreExt},
	sp_runtime::{traits::Header as _, AccountId32, Digest, DigestItem, Perbill},
};

/// The BABE pre-digest of a block authored by authority `index` in `slot`.
fn pre_digest(index: u32, slot: Slot) -> Digest {
	let pre = PreDigest::SecondaryPlain(SecondaryPlainPreDigest { authority_index: index, slot });
	Digest { logs: vec![DigestItem::PreRuntime(BABE_ENGINE_ID, pre.encode())] }
}

/// Produce block `n` in slot `n`, authored by authority 0 (Alice, the genesis validator):
/// every hook, the timestamp inherent, and the DIN pallets' invariants around it.
fn produce_block(n: u32) {
	let header = Header::new(
		n,
		H256::zero(),
		H256::zero(),
		System::parent_hash(),
		pre_digest(0, (n as u64).into()),
	);
	Executive::initialize_block(&header);
	assert_ok!(Timestamp::set(RuntimeOrigin::none(), n as u64 * SLOT_DURATION));
	let header = Executive::finalize_block();
	System::set_parent_hash(header.hash());
	assert_invariants(n);
}

/// Produce blocks until session `index` has begun.
fn run_to_session(index: u32) {
	let mut n = System::block_number();
	while Session::current_index() < index {
		n += 1;
		produce_block(n);
		assert!(n < 2_000, "session {index} never came");
	}
}

/// `who` (a dev keyring name) registers session keys derived from its dev seed, with the
/// ownership proof a node's `author_rotateKeys` makes, bonds and stands as a candidate.
fn stand(who: Sr25519Keyring, bond: u128) -> AccountId32 {
	let account = who.to_account_id();
	let generated = SessionKeys::generate(&account.encode(), Some(who.to_seed().into_bytes()));
	assert_ok!(Session::set_keys(
		RuntimeOrigin::signed(account.clone()),
		generated.keys,
		generated.proof.encode()
	));
	assert_ok!(Staking::bond(RuntimeOrigin::signed(account.clone()), Role::Validator, bond));
	assert_ok!(Validators::validate(RuntimeOrigin::signed(account.clone())));
	account
}

/// Two different headers for `slot`, both sealed by `offender`: a BABE equivocation.
fn equivocation(offender: Sr25519Keyring, index: u32, slot: Slot) -> EquivocationProof<Header> {
	let sealed = |state_root: u8| {
		let mut header = Header::new(
			System::block_number() + 1,
			H256::zero(),
			H256::repeat_byte(state_root),
			System::parent_hash(),
			pre_digest(index, slot),
		);
		let seal = offender.pair().sign(header.hash().as_ref());
		header
			.digest_mut()
			.push(<DigestItem as CompatibleDigestItem>::babe_seal(seal.into()));
		header
	};
	EquivocationProof {
		offender: BabeId::from(offender.public()),
		slot,
		first_header: sealed(1),
		second_header: sealed(2),
	}
}

fn test_ext() -> polkadot_sdk::sp_io::TestExternalities {
	let mut ext = new_test_ext();
	ext.register_extension(KeystoreExt::new(MemoryKeystore::new()));
	ext
}

#[test]
fn a_bonded_operator_with_registered_keys_authors_from_the_session_after_next() {
	test_ext().execute_with(|| {
		let alice = Sr25519Keyring::Alice.to_account_id();
		assert_eq!(Session::validators(), vec![alice.clone()]);
		assert_eq!(pallet_din_validators::Invulnerables::<Runtime>::get().to_vec(), vec![alice]);
		run_to_session(1);

		let bond = 10_000 * UNIT;
		let eve = stand(Sr25519Keyring::Eve, bond);
		// Session 2 was planned when session 1 began: Eve comes in with session 3.
		run_to_session(2);
		assert!(!Session::validators().contains(&eve));
		run_to_session(3);
		assert!(Session::validators().contains(&eve));
		let eve_babe = BabeId::from(Sr25519Keyring::Eve.public());
		assert!(Babe::authorities().iter().any(|(id, _)| id == &eve_babe));

		// Chilled, Eve leaves two sessions later and her bond is released after that.
		assert_ok!(Validators::chill(RuntimeOrigin::signed(eve.clone())));
		run_to_session(5);
		assert!(!Session::validators().contains(&eve));
		run_to_session(6);
		assert_eq!(Staking::locked(&eve, Role::Validator), 0);
		assert_ok!(Staking::unbond(RuntimeOrigin::signed(eve), Role::Validator, bond));
	});
}

#[test]
fn an_equivocating_validator_is_reported_slashed_disabled_and_leaves_the_set() {
	test_ext().execute_with(|| {
		run_to_session(1);
		let bond = 10_000 * UNIT;
		for operator in [Sr25519Keyring::Bob, Sr25519Keyring::Charlie] {
			stand(operator, bond);
		}
		let eve = stand(Sr25519Keyring::Eve, bond);
		run_to_session(3);
		assert_eq!(Session::validators().len(), 4);

		// Eve seals two blocks for the current slot.
		let eve_babe = BabeId::from(Sr25519Keyring::Eve.public());
		let index = Babe::authorities()
			.iter()
			.position(|(id, _)| id == &eve_babe)
			.expect("Eve is a BABE authority") as u32;
		let proof = equivocation(Sr25519Keyring::Eve, index, Babe::current_slot());
		// What a validator's node does on seeing both (the runtime APIs in apis.rs).
		let key_owner_proof = Historical::prove((KEY_TYPE, eve_babe)).expect("Eve is in the set");
		System::reset_events();
		assert_ok!(Babe::report_equivocation_unsigned(
			RuntimeOrigin::none(),
			Box::new(proof),
			key_owner_proof
		));

		// One of four offending: pallet-offences' (3k/n)^2 = 56.25% of the whole bond.
		let fraction = Perbill::from_rational(9u32, 16u32);
		let slashed = fraction * bond;
		assert!(System::events().iter().any(|record| record.event
			== RuntimeEvent::Staking(pallet_din_staking::Event::ValidatorSlashed {
				who: eve.clone(),
				session: 3,
				fraction,
				amount: slashed,
			})));
		assert_eq!(Staking::bonded(&eve, Role::Validator), bond - slashed);
		let eve_index = Session::validators().iter().position(|v| v == &eve).unwrap() as u32;
		assert!(Session::disabled_validators().contains(&eve_index));
		assert!(pallet_din_validators::Candidates::<Runtime>::get(&eve).is_none());

		// The same report again is refused: a slash per offence.
		let again = equivocation(Sr25519Keyring::Eve, index, Babe::current_slot());
		let proof_again = Historical::prove((KEY_TYPE, BabeId::from(Sr25519Keyring::Eve.public())))
			.expect("still in this session's set");
		assert!(Babe::report_equivocation_unsigned(
			RuntimeOrigin::none(),
			Box::new(again),
			proof_again
		)
		.is_err());

		// Out of the set two sessions later; Bob, Charlie and Alice go on.
		run_to_session(5);
		assert_eq!(Session::validators().len(), 3);
		assert!(!Session::validators().contains(&eve));
	});
}

#[test]
fn the_block_author_receives_the_transaction_fees() {
	test_ext().execute_with(|| {
		let alice = Sr25519Keyring::Alice.to_account_id();
		let bob = Sr25519Keyring::Bob.to_account_id();
		produce_block(2);
		let header = Header::new(
			3,
			H256::zero(),
			H256::zero(),
			System::parent_hash(),
			pre_digest(0, 3u64.into()),
		);
		Executive::initialize_block(&header);
		let before = Balances::free_balance(&alice);
		let fee = 7 * UNIT;
		use polkadot_sdk::frame_support::traits::{
			fungible::Balanced,
			tokens::{Fortitude, Precision, Preservation},
			OnUnbalanced,
		};
		let credit = <Balances as Balanced<AccountId32>>::withdraw(
			&bob,
			fee,
			Precision::Exact,
			Preservation::Preserve,
			Fortitude::Polite,
		)
		.expect("Bob is endowed");
		din_runtime::configs::validators::FeesToAuthor::on_unbalanced(credit);
		assert_eq!(Balances::free_balance(&alice), before.saturating_add(fee));
	});
}
