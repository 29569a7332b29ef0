//! Tests of pallet-din-validators, named after the rule they hold or the attack they defeat.

use crate::{mock::*, *};
use polkadot_sdk::{
	frame_support::{assert_noop, assert_ok},
	sp_runtime::DispatchError,
};

fn offence(who: AccountId, fraction: Perbill, session: SessionIndex) {
	let details = OffenceDetails { offender: (who, ()), reporters: vec![] };
	<Validators as OnOffenceHandler<AccountId, (AccountId, ()), Weight>>::on_offence(
		&[details],
		&[fraction],
		session,
	);
}

#[test]
fn the_genesis_validators_become_invulnerables() {
	ExtBuilder::default().build_and_execute(|| {
		assert_eq!(Invulnerables::<Test>::get().to_vec(), vec![1, 2]);
		assert_eq!(PlannedValidators::<Test>::get().to_vec(), vec![1, 2]);
		assert_eq!(plan(2), Some(vec![1, 2]));
	});
	ExtBuilder::default().invulnerables(vec![3, 4, 5]).build_and_execute(|| {
		assert_eq!(Invulnerables::<Test>::get().to_vec(), vec![3, 4, 5]);
	});
}

#[test]
fn a_bonded_candidate_with_keys_joins_the_set_planned_at_the_next_session() {
	ExtBuilder::default().build_and_execute(|| {
		stand(5, MIN_BOND);
		assert_eq!(bond_of(5), (MIN_BOND, MIN_BOND));
		assert_eq!(Candidates::<Test>::get(5), Some(MIN_BOND));
		assert!(validator_events().contains(&Event::CandidateAdded { who: 5, bond: MIN_BOND }));
		assert_eq!(plan(2), Some(vec![1, 2, 5]));
		assert!(validator_events()
			.contains(&Event::NewValidatorSet { session: 2, validators: vec![1, 2, 5] }));
	});
}

#[test]
fn validate_without_session_keys_is_refused() {
	ExtBuilder::default().build_and_execute(|| {
		purge_keys(5);
		assert_ok!(Staking::bond(RuntimeOrigin::signed(5), Role::Validator, MIN_BOND));
		assert_noop!(Validators::validate(RuntimeOrigin::signed(5)), Error::<Test>::NoSessionKeys);
	});
}

#[test]
fn validating_without_a_validator_bond_of_the_minimum_is_refused() {
	ExtBuilder::default().build_and_execute(|| {
		// No validator bond at all; an evaluator bond does not count.
		assert_ok!(Staking::bond(RuntimeOrigin::signed(5), Role::Evaluator, 10 * MIN_BOND));
		assert_noop!(
			Validators::validate(RuntimeOrigin::signed(5)),
			Error::<Test>::BondBelowMinimum
		);
		// A bond that is all locked already leaves nothing to stand with.
		stand(6, MIN_BOND);
		assert_ok!(Validators::chill(RuntimeOrigin::signed(6)));
		assert_noop!(Validators::validate(RuntimeOrigin::signed(6)), Error::<Test>::StillLeaving);
	});
}

#[test]
fn a_candidate_cannot_unbond_the_bond_it_stands_with() {
	ExtBuilder::default().build_and_execute(|| {
		stand(5, 2 * MIN_BOND);
		assert_noop!(
			Staking::unbond(RuntimeOrigin::signed(5), Role::Validator, MIN_BOND),
			pallet_din_staking::Error::<Test>::BondLocked
		);
	});
}

#[test]
fn candidates_are_ranked_by_locked_bond_and_the_set_is_bounded() {
	ExtBuilder::default().build_and_execute(|| {
		// MaxValidators is 4: the two invulnerables and the two largest bonds.
		stand(5, MIN_BOND);
		stand(6, 3 * MIN_BOND);
		stand(7, 2 * MIN_BOND);
		stand(8, 2 * MIN_BOND);
		assert_eq!(plan(2), Some(vec![1, 2, 6, 7]));
		// A bond added after `validate` buys no rank: it is not locked for the candidacy.
		assert_ok!(Staking::bond(RuntimeOrigin::signed(5), Role::Validator, 10 * MIN_BOND));
		assert_eq!(plan(3), Some(vec![1, 2, 6, 7]));
	});
}

#[test]
fn more_candidates_than_the_bound_are_refused_and_chilling_makes_no_room() {
	ExtBuilder::default().build_and_execute(|| {
		for who in 3..8 {
			stand(who, MIN_BOND);
		}
		assert_ok!(Staking::bond(RuntimeOrigin::signed(9), Role::Validator, MIN_BOND));
		assert_noop!(
			Validators::validate(RuntimeOrigin::signed(9)),
			Error::<Test>::TooManyCandidates
		);
		// A leaver is still read at every session change until its bond is released: cycling
		// validate and chill cannot grow what the session change reads.
		assert_ok!(Validators::chill(RuntimeOrigin::signed(3)));
		assert_noop!(
			Validators::validate(RuntimeOrigin::signed(9)),
			Error::<Test>::TooManyCandidates
		);
		plan(2);
		plan(3);
		assert_ok!(Validators::validate(RuntimeOrigin::signed(9)));
	});
}

#[test]
fn a_candidate_that_purged_its_keys_is_not_selected() {
	ExtBuilder::default().build_and_execute(|| {
		stand(5, MIN_BOND);
		purge_keys(5);
		assert_eq!(plan(2), Some(vec![1, 2]));
	});
}

#[test]
fn a_chilled_validator_keeps_its_bond_locked_until_it_is_in_no_set() {
	ExtBuilder::default().build_and_execute(|| {
		stand(5, MIN_BOND);
		assert_eq!(plan(2), Some(vec![1, 2, 5]));
		assert_ok!(Validators::chill(RuntimeOrigin::signed(5)));
		assert!(validator_events().contains(&Event::CandidateLeft { who: 5 }));
		// Session 2's set (queued, about to become active) still holds 5: locked.
		assert_eq!(plan(3), Some(vec![1, 2]));
		assert_eq!(bond_of(5), (MIN_BOND, MIN_BOND));
		assert_noop!(
			Staking::unbond(RuntimeOrigin::signed(5), Role::Validator, MIN_BOND),
			pallet_din_staking::Error::<Test>::BondLocked
		);
		// Neither the active nor the queued set holds it any more: released.
		assert_eq!(plan(4), Some(vec![1, 2]));
		assert_eq!(bond_of(5), (MIN_BOND, 0));
		assert!(validator_events().contains(&Event::BondReleased { who: 5, bond: MIN_BOND }));
		assert_ok!(Staking::unbond(RuntimeOrigin::signed(5), Role::Validator, MIN_BOND));
		// Once released it may stand again.
		assert_ok!(Staking::rebond(RuntimeOrigin::signed(5), Role::Validator, MIN_BOND));
		assert_ok!(Validators::validate(RuntimeOrigin::signed(5)));
	});
}

#[test]
fn chill_by_a_non_candidate_is_refused() {
	ExtBuilder::default().build_and_execute(|| {
		assert_noop!(Validators::chill(RuntimeOrigin::signed(1)), Error::<Test>::NotCandidate);
		assert_noop!(Validators::chill(RuntimeOrigin::signed(9)), Error::<Test>::NotCandidate);
	});
}

#[test]
fn only_governance_removes_or_seats_validators() {
	ExtBuilder::default().build_and_execute(|| {
		stand(5, MIN_BOND);
		assert_noop!(Validators::remove(RuntimeOrigin::signed(1), 5), DispatchError::BadOrigin);
		assert_noop!(
			Validators::add_invulnerable(RuntimeOrigin::signed(1), 6),
			DispatchError::BadOrigin
		);
		assert_ok!(Validators::remove(RuntimeOrigin::root(), 5));
		assert_ok!(Validators::remove(RuntimeOrigin::root(), 2));
		assert!(validator_events().contains(&Event::InvulnerableRemoved { who: 2 }));
		assert_noop!(Validators::remove(RuntimeOrigin::root(), 9), Error::<Test>::NotValidator);
		assert_ok!(Validators::add_invulnerable(RuntimeOrigin::root(), 6));
		assert_noop!(
			Validators::add_invulnerable(RuntimeOrigin::root(), 6),
			Error::<Test>::AlreadyInvulnerable
		);
		purge_keys(7);
		assert_noop!(
			Validators::add_invulnerable(RuntimeOrigin::root(), 7),
			Error::<Test>::NoSessionKeys
		);
		assert_eq!(plan(2), Some(vec![1, 6]));
		// An invulnerable needs no candidacy.
		assert_ok!(Staking::bond(RuntimeOrigin::signed(6), Role::Validator, MIN_BOND));
		assert_noop!(
			Validators::validate(RuntimeOrigin::signed(6)),
			Error::<Test>::AlreadyInvulnerable
		);
	});
}

#[test]
fn a_set_below_the_minimum_is_never_returned() {
	ExtBuilder::default().build_and_execute(|| {
		// MinValidators is 2: removing an invulnerable leaves 1, so the set stays.
		assert_ok!(Validators::remove(RuntimeOrigin::root(), 2));
		assert_eq!(plan(2), None);
		assert!(validator_events().contains(&Event::ValidatorSetTooSmall { session: 2, size: 1 }));
		assert_eq!(PlannedValidators::<Test>::get().to_vec(), vec![1, 2]);
		// A candidate restores the minimum.
		stand(5, MIN_BOND);
		assert_eq!(plan(3), Some(vec![1, 5]));
	});
}

#[test]
fn an_equivocating_candidate_is_slashed_disabled_and_leaves_the_set() {
	ExtBuilder::default().build_and_execute(|| {
		stand(5, 10 * MIN_BOND);
		assert_eq!(plan(2), Some(vec![1, 2, 5]));
		let fraction = Perbill::from_percent(36);
		offence(5, fraction, 2);
		let slashed = fraction * (10 * MIN_BOND);
		assert_eq!(bond_of(5).0, 10 * MIN_BOND - slashed);
		assert_eq!(disabled(), vec![(5, fraction)]);
		assert!(validator_events().contains(&Event::OffenderPunished {
			who: 5,
			session: 2,
			fraction,
			amount: slashed
		}));
		assert!(System::events().iter().any(|r| r.event
			== RuntimeEvent::Staking(pallet_din_staking::Event::ValidatorSlashed {
				who: 5,
				session: 2,
				fraction,
				amount: slashed
			})));
		assert_eq!(Candidates::<Test>::get(5), None);
		assert_eq!(plan(3), Some(vec![1, 2]));
		// Coming back takes a new candidacy, after the bond's release.
		assert_noop!(Validators::validate(RuntimeOrigin::signed(5)), Error::<Test>::StillLeaving);
	});
}

#[test]
fn an_equivocating_invulnerable_loses_its_seat() {
	ExtBuilder::default().invulnerables(vec![1, 2, 3]).build_and_execute(|| {
		offence(3, Perbill::from_percent(10), 1);
		assert_eq!(disabled(), vec![(3, Perbill::from_percent(10))]);
		assert_eq!(Invulnerables::<Test>::get().to_vec(), vec![1, 2]);
		assert_eq!(plan(2), Some(vec![1, 2]));
	});
}

#[test]
fn an_offender_that_already_left_and_unbonded_is_still_slashed() {
	ExtBuilder::default().build_and_execute(|| {
		stand(5, 10 * MIN_BOND);
		assert_eq!(plan(2), Some(vec![1, 2, 5]));
		assert_ok!(Validators::chill(RuntimeOrigin::signed(5)));
		plan(3);
		plan(4);
		assert_ok!(Staking::unbond(RuntimeOrigin::signed(5), Role::Validator, 10 * MIN_BOND));
		assert_eq!(bond_of(5), (0, 0));
		// The report of an equivocation in session 2 arrives now: the unbonding funds pay.
		offence(5, Perbill::from_percent(50), 2);
		let ledger = pallet_din_staking::Ledgers::<Test>::get(5, Role::Validator).expect("left");
		assert_eq!(ledger.total(), 5 * MIN_BOND);
	});
}

#[test]
fn the_same_equivocation_fraction_scales_with_the_bond() {
	ExtBuilder::default().build_and_execute(|| {
		stand(5, MIN_BOND);
		stand(6, 4 * MIN_BOND);
		let fraction = Perbill::from_percent(25);
		let details = [
			OffenceDetails { offender: (5, ()), reporters: vec![] },
			OffenceDetails { offender: (6, ()), reporters: vec![] },
		];
		<Validators as OnOffenceHandler<AccountId, (AccountId, ()), Weight>>::on_offence(
			&details,
			&[fraction, fraction],
			1,
		);
		assert_eq!(bond_of(5).0, MIN_BOND - MIN_BOND / 4);
		assert_eq!(bond_of(6).0, 3 * MIN_BOND);
	});
}
