//! Scenario tests of pallet-din-staking.

use crate::{mock::*, Error, Event};
use din_primitives::{
	BondLocker, Offence, Perbill, Reputation, Role, Slash, SlashReason, StakeInfo,
};
use polkadot_sdk::frame_support::{assert_noop, assert_ok};

const P: Role = Role::Participant;
const E: Role = Role::Evaluator;

fn reason() -> SlashReason {
	SlashReason { task: 7, round: 2, offence: Offence::InvalidUpdate }
}

// ----- bond -----

#[test]
fn bond_works() {
	ExtBuilder::default().build_and_execute(|| {
		assert_ok!(Staking::bond(RuntimeOrigin::signed(1), P, 50));
		assert_eq!(held(1, P), 50);
		assert_eq!(free(1), 950);
		System::assert_last_event(Event::Bonded { who: 1, role: P, amount: 50 }.into());
		// Top-ups below the minimum are fine once the minimum is reached.
		assert_ok!(Staking::bond(RuntimeOrigin::signed(1), P, 1));
		assert_eq!(ledger(1, P).unwrap().active, 51);
		// Roles are separate ledgers and holds.
		assert_ok!(Staking::bond(RuntimeOrigin::signed(1), E, 100));
		assert_eq!(held(1, E), 100);
		assert_eq!(<Staking as StakeInfo<_, _>>::bonded(&1, E), 100);
		assert_eq!(<Staking as StakeInfo<_, _>>::bonded(&1, P), 51);
	});
}

#[test]
fn bond_fails_zero_amount() {
	ExtBuilder::default().build_and_execute(|| {
		assert_noop!(Staking::bond(RuntimeOrigin::signed(1), P, 0), Error::<Test>::ZeroAmount);
	});
}

#[test]
fn bond_fails_below_minimum() {
	ExtBuilder::default().build_and_execute(|| {
		assert_noop!(
			Staking::bond(RuntimeOrigin::signed(1), P, 9),
			Error::<Test>::BelowMinimumBond
		);
		assert_noop!(
			Staking::bond(RuntimeOrigin::signed(1), E, 99),
			Error::<Test>::BelowMinimumBond
		);
	});
}

#[test]
fn bond_fails_insufficient_funds() {
	ExtBuilder::default().build_and_execute(|| {
		assert!(Staking::bond(RuntimeOrigin::signed(6), P, 10).is_err());
		assert!(ledger(6, P).is_none());
	});
}

#[test]
fn bond_fails_unsigned() {
	ExtBuilder::default().build_and_execute(|| {
		assert_noop!(
			Staking::bond(RuntimeOrigin::none(), P, 10),
			polkadot_sdk::sp_runtime::DispatchError::BadOrigin
		);
	});
}

// ----- unbond -----

#[test]
fn unbond_works() {
	ExtBuilder::default().build_and_execute(|| {
		assert_ok!(Staking::bond(RuntimeOrigin::signed(1), P, 50));
		assert_ok!(Staking::unbond(RuntimeOrigin::signed(1), P, 20));
		System::assert_last_event(
			Event::Unbonded { who: 1, role: P, amount: 20, unlock_at: 11 }.into(),
		);
		let l = ledger(1, P).unwrap();
		assert_eq!(l.active, 30);
		assert_eq!(l.unlocking.len(), 1);
		// Still held while unbonding.
		assert_eq!(held(1, P), 50);
		// Unbonding everything is allowed.
		assert_ok!(Staking::unbond(RuntimeOrigin::signed(1), P, 30));
		assert_eq!(ledger(1, P).unwrap().active, 0);
	});
}

#[test]
fn unbond_fails_zero_amount() {
	ExtBuilder::default().build_and_execute(|| {
		assert_ok!(Staking::bond(RuntimeOrigin::signed(1), P, 50));
		assert_noop!(Staking::unbond(RuntimeOrigin::signed(1), P, 0), Error::<Test>::ZeroAmount);
	});
}

#[test]
fn unbond_fails_not_bonded() {
	ExtBuilder::default().build_and_execute(|| {
		assert_noop!(Staking::unbond(RuntimeOrigin::signed(1), P, 5), Error::<Test>::NotBonded);
	});
}

#[test]
fn unbond_fails_insufficient_bond() {
	ExtBuilder::default().build_and_execute(|| {
		assert_ok!(Staking::bond(RuntimeOrigin::signed(1), P, 50));
		assert_noop!(
			Staking::unbond(RuntimeOrigin::signed(1), P, 51),
			Error::<Test>::InsufficientBond
		);
	});
}

#[test]
fn unbond_fails_bond_locked() {
	ExtBuilder::default().build_and_execute(|| {
		assert_ok!(Staking::bond(RuntimeOrigin::signed(1), P, 50));
		assert_ok!(<Staking as BondLocker<_, _>>::lock(&1, P, 30));
		assert_noop!(Staking::unbond(RuntimeOrigin::signed(1), P, 21), Error::<Test>::BondLocked);
		// The free part can still go.
		assert_ok!(Staking::unbond(RuntimeOrigin::signed(1), P, 20));
		// After the duty ends the rest can go as well.
		<Staking as BondLocker<_, _>>::unlock(&1, P, 30);
		assert_ok!(Staking::unbond(RuntimeOrigin::signed(1), P, 30));
	});
}

#[test]
fn unbond_fails_below_minimum() {
	ExtBuilder::default().build_and_execute(|| {
		assert_ok!(Staking::bond(RuntimeOrigin::signed(1), P, 50));
		assert_noop!(
			Staking::unbond(RuntimeOrigin::signed(1), P, 45),
			Error::<Test>::BelowMinimumBond
		);
	});
}

#[test]
fn unbond_fails_no_more_chunks() {
	ExtBuilder::default().build_and_execute(|| {
		assert_ok!(Staking::bond(RuntimeOrigin::signed(1), P, 100));
		for _ in 0..4 {
			assert_ok!(Staking::unbond(RuntimeOrigin::signed(1), P, 1));
		}
		assert_noop!(Staking::unbond(RuntimeOrigin::signed(1), P, 1), Error::<Test>::NoMoreChunks);
	});
}

// ----- withdraw_unbonded -----

#[test]
fn withdraw_unbonded_works() {
	ExtBuilder::default().build_and_execute(|| {
		assert_ok!(Staking::bond(RuntimeOrigin::signed(1), P, 50));
		assert_ok!(Staking::unbond(RuntimeOrigin::signed(1), P, 20));
		run_to(5);
		assert_ok!(Staking::unbond(RuntimeOrigin::signed(1), P, 30));
		run_to(11);
		assert_ok!(Staking::withdraw_unbonded(RuntimeOrigin::signed(1), P));
		System::assert_last_event(Event::Withdrawn { who: 1, role: P, amount: 20 }.into());
		assert_eq!(held(1, P), 30);
		assert_eq!(free(1), 970);
		run_to(15);
		assert_ok!(Staking::withdraw_unbonded(RuntimeOrigin::signed(1), P));
		assert_eq!(held(1, P), 0);
		assert_eq!(free(1), 1_000);
		// The emptied ledger is gone.
		assert!(ledger(1, P).is_none());
	});
}

#[test]
fn withdraw_unbonded_fails_not_bonded() {
	ExtBuilder::default().build_and_execute(|| {
		assert_noop!(
			Staking::withdraw_unbonded(RuntimeOrigin::signed(1), P),
			Error::<Test>::NotBonded
		);
	});
}

#[test]
fn withdraw_unbonded_fails_nothing_to_withdraw() {
	ExtBuilder::default().build_and_execute(|| {
		assert_ok!(Staking::bond(RuntimeOrigin::signed(1), P, 50));
		assert_ok!(Staking::unbond(RuntimeOrigin::signed(1), P, 20));
		run_to(10);
		assert_noop!(
			Staking::withdraw_unbonded(RuntimeOrigin::signed(1), P),
			Error::<Test>::NothingToWithdraw
		);
	});
}

// ----- rebond -----

#[test]
fn rebond_works() {
	ExtBuilder::default().build_and_execute(|| {
		assert_ok!(Staking::bond(RuntimeOrigin::signed(1), P, 50));
		assert_ok!(Staking::unbond(RuntimeOrigin::signed(1), P, 10));
		assert_ok!(Staking::unbond(RuntimeOrigin::signed(1), P, 15));
		assert_ok!(Staking::rebond(RuntimeOrigin::signed(1), P, 20));
		System::assert_last_event(Event::Rebonded { who: 1, role: P, amount: 20 }.into());
		let l = ledger(1, P).unwrap();
		assert_eq!(l.active, 45);
		assert_eq!(l.unlocking.len(), 1);
		assert_eq!(l.unlocking[0].value, 5);
		// Asking for more than is unbonding moves what there is.
		assert_ok!(Staking::rebond(RuntimeOrigin::signed(1), P, 100));
		System::assert_last_event(Event::Rebonded { who: 1, role: P, amount: 5 }.into());
		assert_eq!(ledger(1, P).unwrap().active, 50);
	});
}

#[test]
fn rebond_fails_zero_amount() {
	ExtBuilder::default().build_and_execute(|| {
		assert_ok!(Staking::bond(RuntimeOrigin::signed(1), P, 50));
		assert_ok!(Staking::unbond(RuntimeOrigin::signed(1), P, 10));
		assert_noop!(Staking::rebond(RuntimeOrigin::signed(1), P, 0), Error::<Test>::ZeroAmount);
	});
}

#[test]
fn rebond_fails_not_bonded() {
	ExtBuilder::default().build_and_execute(|| {
		assert_noop!(Staking::rebond(RuntimeOrigin::signed(1), P, 10), Error::<Test>::NotBonded);
	});
}

#[test]
fn rebond_fails_nothing_to_rebond() {
	ExtBuilder::default().build_and_execute(|| {
		assert_ok!(Staking::bond(RuntimeOrigin::signed(1), P, 50));
		assert_noop!(
			Staking::rebond(RuntimeOrigin::signed(1), P, 10),
			Error::<Test>::NothingToRebond
		);
	});
}

#[test]
fn rebond_fails_below_minimum() {
	ExtBuilder::default().build_and_execute(|| {
		assert_ok!(Staking::bond(RuntimeOrigin::signed(1), P, 50));
		assert_ok!(Staking::unbond(RuntimeOrigin::signed(1), P, 50));
		assert_noop!(
			Staking::rebond(RuntimeOrigin::signed(1), P, 5),
			Error::<Test>::BelowMinimumBond
		);
	});
}

// ----- traits -----

#[test]
fn lock_and_unlock_work() {
	ExtBuilder::default().build_and_execute(|| {
		assert_ok!(Staking::bond(RuntimeOrigin::signed(1), P, 50));
		assert_ok!(<Staking as BondLocker<_, _>>::lock(&1, P, 20));
		System::assert_last_event(
			Event::BondLocked { who: 1, role: P, amount: 20, locked: 20 }.into(),
		);
		assert_ok!(<Staking as BondLocker<_, _>>::lock(&1, P, 30));
		assert_eq!(<Staking as StakeInfo<_, _>>::locked(&1, P), 50);
		<Staking as BondLocker<_, _>>::unlock(&1, P, 20);
		System::assert_last_event(
			Event::BondUnlocked { who: 1, role: P, amount: 20, locked: 30 }.into(),
		);
		// Unlocking more than is locked saturates.
		<Staking as BondLocker<_, _>>::unlock(&1, P, 1_000);
		assert_eq!(<Staking as StakeInfo<_, _>>::locked(&1, P), 0);
	});
}

#[test]
fn lock_fails_not_bonded_or_insufficient() {
	ExtBuilder::default().build_and_execute(|| {
		assert_noop!(<Staking as BondLocker<_, _>>::lock(&1, P, 1), Error::<Test>::NotBonded);
		assert_ok!(Staking::bond(RuntimeOrigin::signed(1), P, 50));
		assert_ok!(<Staking as BondLocker<_, _>>::lock(&1, P, 40));
		assert_noop!(
			<Staking as BondLocker<_, _>>::lock(&1, P, 11),
			Error::<Test>::InsufficientBond
		);
	});
}

#[test]
fn slash_works() {
	ExtBuilder::default().build_and_execute(|| {
		let issuance = Balances::total_issuance();
		assert_ok!(Staking::bond(RuntimeOrigin::signed(1), P, 100));
		assert_ok!(<Staking as BondLocker<_, _>>::lock(&1, P, 80));
		assert_ok!(Staking::unbond(RuntimeOrigin::signed(1), P, 20));
		// 50% of a stake of 100, taken from the 80 active first.
		let slashed =
			<Staking as Slash<_, _>>::slash(&1, P, Perbill::from_percent(50), 100, reason());
		assert_eq!(slashed, 50);
		assert!(staking_events().contains(&Event::Slashed {
			who: 1,
			role: P,
			task: 7,
			round: 2,
			reason: reason(),
			fraction: Perbill::from_percent(50),
			amount: 50,
		}));
		System::assert_last_event(
			Event::ReputationChanged { who: 1, role: P, task: 7, round: 2, reputation: 0 }.into(),
		);
		let l = ledger(1, P).unwrap();
		assert_eq!(l.active, 30);
		// The lock never exceeds what is active.
		assert_eq!(l.locked, 30);
		assert_eq!(held(1, P), 50);
		// `Slashed = ()` burns.
		assert_eq!(Balances::total_issuance(), issuance - 50);
	});
}

#[test]
fn slash_reaches_unbonding_chunks() {
	ExtBuilder::default().build_and_execute(|| {
		assert_ok!(Staking::bond(RuntimeOrigin::signed(1), P, 100));
		assert_ok!(Staking::unbond(RuntimeOrigin::signed(1), P, 90));
		let slashed =
			<Staking as Slash<_, _>>::slash(&1, P, Perbill::from_percent(50), 100, reason());
		assert_eq!(slashed, 50);
		let l = ledger(1, P).unwrap();
		assert_eq!(l.active, 0);
		assert_eq!(l.unlocking[0].value, 50);
		// A full slash of a stake larger than what is left takes all of it and removes the
		// ledger.
		let slashed = <Staking as Slash<_, _>>::slash(&1, P, Perbill::one(), 100, reason());
		assert_eq!(slashed, 50);
		assert!(ledger(1, P).is_none());
		// Slashing an unbonded account takes nothing.
		assert_eq!(<Staking as Slash<_, _>>::slash(&2, E, Perbill::one(), 100, reason()), 0);
	});
}

/// Attack: a task owner sets the highest slash fraction and an evaluator that backs many
/// seats with one large bond misses one reveal. Before, the fraction hit the whole ledger,
/// once per seat: a whale lost a fifth of everything for one late reveal. The fraction
/// applies to the seat's stake only.
#[test]
fn a_slash_takes_a_fraction_of_the_seat_not_of_the_whole_bond() {
	ExtBuilder::default().build_and_execute(|| {
		assert_ok!(Staking::bond(RuntimeOrigin::signed(1), E, 500));
		// Five seats of 100 each.
		for _ in 0..5 {
			assert_ok!(<Staking as BondLocker<_, _>>::lock(&1, E, 100));
		}
		let slashed =
			<Staking as Slash<_, _>>::slash(&1, E, Perbill::from_percent(20), 100, reason());
		assert_eq!(slashed, 20, "20% of one seat, not 20% of the 500 bonded");
		let l = ledger(1, E).unwrap();
		assert_eq!(l.active, 480);
		assert_eq!(held(1, E), 480);
		// The other four seats are still fully backed.
		assert!(l.locked >= 400);
	});
}

#[test]
fn reputation_is_soulbound_and_moves_only_through_the_trait() {
	ExtBuilder::default().build_and_execute(|| {
		assert_eq!(<Staking as Reputation<_>>::reputation(&1, E), 0);
		<Staking as Reputation<_>>::reward(&1, E, 12, 3, 1);
		System::assert_last_event(
			Event::ReputationChanged { who: 1, role: E, task: 3, round: 1, reputation: 12 }.into(),
		);
		assert_ok!(Staking::bond(RuntimeOrigin::signed(1), E, 100));
		<Staking as Slash<_, _>>::slash(&1, E, Perbill::from_percent(10), 100, reason());
		assert_eq!(<Staking as Reputation<_>>::reputation(&1, E), 7);
		<Staking as Slash<_, _>>::slash(&1, E, Perbill::from_percent(10), 100, reason());
		<Staking as Slash<_, _>>::slash(&1, E, Perbill::from_percent(10), 100, reason());
		assert_eq!(<Staking as Reputation<_>>::reputation(&1, E), 0);
	});
}

/// Attack: an account farms evaluator draw weight (`bond × (evaluator reputation + 1)`)
/// with participant work, which is cheap in its own zero-fee tasks. Each role earns and
/// loses its own score: participant work leaves the evaluator score, and a participant
/// slash leaves it too.
#[test]
fn participant_work_does_not_raise_evaluator_reputation() {
	ExtBuilder::default().build_and_execute(|| {
		for task in 0..10 {
			<Staking as Reputation<_>>::reward(&1, P, 1, task, 0);
		}
		assert_eq!(<Staking as Reputation<_>>::reputation(&1, P), 10);
		assert_eq!(<Staking as Reputation<_>>::reputation(&1, E), 0);
		<Staking as Reputation<_>>::reward(&1, E, 8, 10, 0);
		assert_ok!(Staking::bond(RuntimeOrigin::signed(1), P, 100));
		<Staking as Slash<_, _>>::slash(&1, P, Perbill::from_percent(10), 100, reason());
		assert_eq!(<Staking as Reputation<_>>::reputation(&1, P), 5);
		assert_eq!(<Staking as Reputation<_>>::reputation(&1, E), 8, "a participant slash");
	});
}

/// Attack: an account farms evaluator reputation with accepted work in its own zero-fee
/// tasks, to multiply its draw weight (`bond × (evaluator reputation + 1)`) without bound.
/// Reputation stops at `MaxReputation` (20 here).
#[test]
fn reputation_farmed_in_own_tasks_stops_at_the_cap() {
	ExtBuilder::default().build_and_execute(|| {
		for task in 0..100 {
			<Staking as Reputation<_>>::reward(&1, E, 1, task, 0);
		}
		assert_eq!(<Staking as Reputation<_>>::reputation(&1, E), 20);
		<Staking as Reputation<_>>::reward(&1, E, u32::MAX, 100, 0);
		System::assert_last_event(
			Event::ReputationChanged { who: 1, role: E, task: 100, round: 0, reputation: 20 }
				.into(),
		);
		assert_eq!(<Staking as Reputation<_>>::reputation(&1, E), 20);
	});
}

#[test]
fn stake_info_reports_minimums() {
	ExtBuilder::default().build_and_execute(|| {
		assert_eq!(<Staking as StakeInfo<_, _>>::minimum_bond(P), 10);
		assert_eq!(<Staking as StakeInfo<_, _>>::minimum_bond(E), 100);
	});
}

// ----- property test -----

mod prop {
	use super::*;
	use proptest::prelude::*;

	#[derive(Debug, Clone)]
	enum Op {
		Bond(u64, bool, u64),
		Unbond(u64, bool, u64),
		Withdraw(u64, bool),
		Rebond(u64, bool, u64),
		Lock(u64, bool, u64),
		Unlock(u64, bool, u64),
		Slash(u64, bool, u32, u64),
		Advance(u64),
	}

	fn op() -> impl Strategy<Value = Op> {
		let who = 1u64..=6;
		prop_oneof![
			(who.clone(), any::<bool>(), 0u64..300).prop_map(|(a, r, v)| Op::Bond(a, r, v)),
			(who.clone(), any::<bool>(), 0u64..300).prop_map(|(a, r, v)| Op::Unbond(a, r, v)),
			(who.clone(), any::<bool>()).prop_map(|(a, r)| Op::Withdraw(a, r)),
			(who.clone(), any::<bool>(), 0u64..300).prop_map(|(a, r, v)| Op::Rebond(a, r, v)),
			(who.clone(), any::<bool>(), 0u64..300).prop_map(|(a, r, v)| Op::Lock(a, r, v)),
			(who.clone(), any::<bool>(), 0u64..300).prop_map(|(a, r, v)| Op::Unlock(a, r, v)),
			(who, any::<bool>(), 0u32..=100, 0u64..300)
				.prop_map(|(a, r, p, s)| Op::Slash(a, r, p, s)),
			(1u64..8).prop_map(Op::Advance),
		]
	}

	fn role(evaluator: bool) -> Role {
		if evaluator {
			E
		} else {
			P
		}
	}

	proptest! {
		#![proptest_config(ProptestConfig::with_cases(64))]
		#[test]
		fn random_calls_keep_invariants(ops in proptest::collection::vec(op(), 1..60)) {
			ExtBuilder::default().build_and_execute(|| {
				let issuance = Balances::total_issuance();
				let mut burned = 0u64;
				for op in ops {
					match op {
						Op::Bond(a, r, v) => { let _ = Staking::bond(RuntimeOrigin::signed(a), role(r), v); }
						Op::Unbond(a, r, v) => { let _ = Staking::unbond(RuntimeOrigin::signed(a), role(r), v); }
						Op::Withdraw(a, r) => { let _ = Staking::withdraw_unbonded(RuntimeOrigin::signed(a), role(r)); }
						Op::Rebond(a, r, v) => { let _ = Staking::rebond(RuntimeOrigin::signed(a), role(r), v); }
						Op::Lock(a, r, v) => { let _ = <Staking as BondLocker<_, _>>::lock(&a, role(r), v); }
						Op::Unlock(a, r, v) => <Staking as BondLocker<_, _>>::unlock(&a, role(r), v),
						Op::Slash(a, r, p, s) => {
							burned += <Staking as Slash<_, _>>::slash(&a, role(r), Perbill::from_percent(p), s, reason());
						}
						Op::Advance(n) => run_to(System::block_number() + n),
					}
					Staking::do_try_state().expect("invariants hold after every call");
					// Bonds + free balances are conserved, up to what slashes burned.
					let total: u64 = (1..=6).map(|a| free(a) + held(a, P) + held(a, E)).sum();
					assert_eq!(total + burned, issuance);
				}
			});
		}
	}
}

// ----- store peers -----

fn peer(bytes: &[u8]) -> crate::StorePeerOf<Test> {
	crate::StorePeerOf::<Test>::truncate_from(bytes.to_vec())
}

fn store_peer(who: AccountId) -> Option<Vec<u8>> {
	crate::StorePeers::<Test>::get(who).map(|address| address.into_inner())
}

#[test]
fn a_bonded_account_records_replaces_and_removes_its_store_peer() {
	ExtBuilder::default().build_and_execute(|| {
		assert_ok!(Staking::bond(RuntimeOrigin::signed(1), P, 50));
		assert_ok!(Staking::set_store_peer(RuntimeOrigin::signed(1), Some(peer(b"first"))));
		System::assert_last_event(
			Event::StorePeerSet { who: 1, address: Some(peer(b"first")) }.into(),
		);
		assert_ok!(Staking::set_store_peer(RuntimeOrigin::signed(1), Some(peer(b"second"))));
		assert_eq!(store_peer(1), Some(b"second".to_vec()));
		assert_ok!(Staking::set_store_peer(RuntimeOrigin::signed(1), None));
		System::assert_last_event(Event::StorePeerSet { who: 1, address: None }.into());
		assert_eq!(store_peer(1), None);
	});
}

#[test]
fn an_unbonded_account_cannot_fill_state_with_store_peer_records() {
	ExtBuilder::default().build_and_execute(|| {
		assert_noop!(
			Staking::set_store_peer(RuntimeOrigin::signed(1), Some(peer(b"free state"))),
			Error::<Test>::StorePeerNeedsBond
		);
		assert_ok!(Staking::bond(RuntimeOrigin::signed(1), E, 100));
		assert_noop!(
			Staking::set_store_peer(RuntimeOrigin::signed(1), Some(peer(b""))),
			Error::<Test>::EmptyStorePeer
		);
	});
}

#[test]
fn a_store_peer_record_goes_with_the_last_withdrawn_ledger() {
	ExtBuilder::default().build_and_execute(|| {
		assert_ok!(Staking::bond(RuntimeOrigin::signed(1), P, 50));
		assert_ok!(Staking::bond(RuntimeOrigin::signed(1), E, 100));
		assert_ok!(Staking::set_store_peer(RuntimeOrigin::signed(1), Some(peer(b"peer"))));
		assert_ok!(Staking::unbond(RuntimeOrigin::signed(1), P, 50));
		assert_ok!(Staking::unbond(RuntimeOrigin::signed(1), E, 100));
		run_to(11);
		// The evaluator bond still pays for the record.
		assert_ok!(Staking::withdraw_unbonded(RuntimeOrigin::signed(1), P));
		assert_eq!(store_peer(1), Some(b"peer".to_vec()));
		assert_ok!(Staking::withdraw_unbonded(RuntimeOrigin::signed(1), E));
		assert_eq!(store_peer(1), None);
		System::assert_last_event(Event::StorePeerSet { who: 1, address: None }.into());
	});
}

#[test]
fn a_store_peer_record_goes_with_a_ledger_slashed_to_nothing() {
	ExtBuilder::default().build_and_execute(|| {
		assert_ok!(Staking::bond(RuntimeOrigin::signed(1), P, 50));
		assert_ok!(Staking::set_store_peer(RuntimeOrigin::signed(1), Some(peer(b"peer"))));
		<Staking as Slash<_, _>>::slash(&1, P, Perbill::one(), 50, reason());
		assert!(ledger(1, P).is_none());
		assert_eq!(store_peer(1), None);
	});
}
