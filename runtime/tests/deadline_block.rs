//! A block that carries deadlines still takes transactions: the attack this defends is a
//! cheap one, tasks whose deadlines fall in every block, which would otherwise fill each
//! block with mandatory hook weight and keep every participant's `submit_update` out.
//!
//! Real runtime, dev genesis: blocks are opened with `Executive::initialize_block` (every
//! pallet's `on_initialize`, the hooks' weight registered as mandatory), and the update is a
//! signed extrinsic applied through `Executive::apply_extrinsic`, so the runtime's own
//! `CheckWeight` decides whether it fits.

mod common;

use codec::Encode;
use common::{account, new_test_ext, open_block, task_spec};
use din_primitives::{Role, UNIT};
use din_runtime::{
	configs::RuntimeBlockWeights, Executive, Runtime, RuntimeCall, RuntimeOrigin, SignedPayload,
	System, TxExtension, UncheckedExtrinsic,
};
use pallet_din_tasks::TaskSpec;
use polkadot_sdk::{
	frame_support::{dispatch::DispatchClass, traits::Get, BoundedVec},
	frame_system, pallet_revive, pallet_transaction_payment,
	sp_core::{crypto::Pair, sr25519, H256},
	sp_keyring::Sr25519Keyring,
	sp_runtime::{generic, MultiAddress},
};

fn spec(registration: u32, subgroup_size: u32) -> TaskSpec<Runtime> {
	let mut spec = task_spec();
	spec.phases.registration = registration;
	spec.phases.training = 10;
	spec.subgroup_size = subgroup_size;
	spec
}

/// `call` signed by `signer` with the runtime's transaction extensions.
fn signed(signer: Sr25519Keyring, call: RuntimeCall) -> UncheckedExtrinsic {
	let who = signer.to_account_id();
	let nonce = frame_system::Pallet::<Runtime>::account_nonce(&who);
	let extension: TxExtension = (
		frame_system::CheckNonZeroSender::new(),
		frame_system::CheckSpecVersion::new(),
		frame_system::CheckTxVersion::new(),
		frame_system::CheckGenesis::new(),
		frame_system::CheckEra::from(generic::Era::Immortal),
		frame_system::CheckNonce::from(nonce),
		frame_system::CheckWeight::new(),
		pallet_transaction_payment::ChargeTransactionPayment::from(0),
		pallet_revive::evm::tx_extension::SetOrigin::default(),
		frame_system::WeightReclaim::new(),
	);
	let payload = SignedPayload::new(call.clone(), extension.clone()).expect("implicit data");
	let pair: sr25519::Pair = signer.pair();
	let signature = payload.using_encoded(|bytes| pair.sign(bytes));
	generic::UncheckedExtrinsic::new_signed(
		call,
		MultiAddress::Id(who),
		signature.into(),
		extension,
	)
	.into()
}

/// `n` evaluators, bonded and in the sortition pool.
fn register_evaluators(n: u32) {
	for i in 0..n {
		let who = account(0xee, i);
		din_runtime::Staking::bond(
			RuntimeOrigin::signed(who.clone()),
			Role::Evaluator,
			1_000 * UNIT,
		)
		.expect("bonds");
		din_runtime::Evaluation::register_evaluator(RuntimeOrigin::signed(who)).expect("registers");
	}
}

#[test]
fn deadline_block_still_includes_submit_update() {
	new_test_ext().execute_with(|| {
		let max_participants = <Runtime as pallet_din_tasks::Config>::MaxParticipants::get();
		let max_subgroup = <Runtime as pallet_din_tasks::Config>::MaxSubgroupSize::get();
		let deadlines_per_block =
			<Runtime as pallet_din_tasks::Config>::MaxDeadlinesPerBlock::get();
		let alice = RuntimeOrigin::signed(Sr25519Keyring::Alice.to_account_id());
		// Everyone joins at genesis (block 0): a round's shuffle and sortition take only
		// those that joined before their randomness could be known, and the test chain
		// never changes epoch.
		System::set_block_number(0);

		// Evaluators enough to staff every subgroup of the tasks below.
		register_evaluators(32);

		// Task `training`: Bob trains in it; its round starts at block 3.
		let training = pallet_din_tasks::NextTaskId::<Runtime>::get();
		din_runtime::Tasks::create_task(alice.clone(), spec(3, 4)).expect("valid spec");
		let bob = RuntimeOrigin::signed(Sr25519Keyring::Bob.to_account_id());
		din_runtime::Staking::bond(bob.clone(), Role::Participant, 10 * UNIT).expect("bonds");
		din_runtime::Tasks::join_task(bob, training).expect("joins");

		// The most deadlines a block can carry, each a round start over the most
		// participants a task may have: all fall in block 6.
		let heavy: Vec<u32> = (0..deadlines_per_block)
			.map(|_| {
				let id = pallet_din_tasks::NextTaskId::<Runtime>::get();
				din_runtime::Tasks::create_task(alice.clone(), spec(6, max_subgroup))
					.expect("valid spec");
				id
			})
			.collect();
		for i in 0..max_participants {
			let who = account(0xaa, i);
			let origin = RuntimeOrigin::signed(who);
			din_runtime::Staking::bond(origin.clone(), Role::Participant, 10 * UNIT)
				.expect("bonds");
			for task in &heavy {
				din_runtime::Tasks::join_task(origin.clone(), *task).expect("joins");
			}
		}
		for task in &heavy {
			assert_eq!(pallet_din_tasks::Tasks::<Runtime>::get(task).unwrap().phase_ends, 6);
		}

		for n in 1..=6 {
			open_block(n);
		}
		for task in &heavy {
			let round = pallet_din_tasks::Rounds::<Runtime>::get(task, 0).expect("started at 6");
			assert_eq!(round.participants, max_participants);
		}
		let mandatory = *System::block_weight().get(DispatchClass::Mandatory);
		let quarter = RuntimeBlockWeights::get().max_block / 4;
		assert!(
			mandatory.all_lte(quarter),
			"the deadlines of block 6 weigh {mandatory:?}, over a quarter block {quarter:?}"
		);

		let update = RuntimeCall::Tasks(pallet_din_tasks::Call::submit_update {
			task: training,
			round: 0,
			cid: BoundedVec::truncate_from(b"bafy-update".to_vec()),
			commitment: H256::repeat_byte(9),
			num_samples: 100,
		});
		let applied = Executive::apply_extrinsic(signed(Sr25519Keyring::Bob, update));
		assert_eq!(applied, Ok(Ok(())), "CheckWeight admits the update in the deadline block");
		assert!(pallet_din_tasks::Updates::<Runtime>::contains_key(
			(training, 0),
			Sr25519Keyring::Bob.to_account_id()
		));
	});
}

/// The DIN paper's example task, "a thousand participants, ten subgroups of a hundred, ten
/// evaluators per subgroup", is accepted at the runtime's caps and starts its first round
/// in one block, with every invariant checked after each block.
#[test]
fn the_papers_task_of_a_thousand_participants_starts_ten_panels_of_ten() {
	new_test_ext().execute_with(|| {
		System::set_block_number(0);
		let alice = RuntimeOrigin::signed(Sr25519Keyring::Alice.to_account_id());
		register_evaluators(16);
		let mut paper = spec(3, 100);
		paper.evaluators_per_subgroup = 10;
		paper.min_participants = 1000;
		let task = pallet_din_tasks::NextTaskId::<Runtime>::get();
		din_runtime::Tasks::create_task(alice, paper).expect("the paper's task is accepted");
		for i in 0..1000 {
			let origin = RuntimeOrigin::signed(account(0xaa, i));
			din_runtime::Staking::bond(origin.clone(), Role::Participant, 10 * UNIT)
				.expect("bonds");
			din_runtime::Tasks::join_task(origin, task).expect("joins");
		}
		for n in 1..=4 {
			open_block(n);
		}
		common::assert_invariants(4);
		let round = pallet_din_tasks::Rounds::<Runtime>::get(task, 0).expect("started at 3");
		assert_eq!((round.participants, round.subgroups), (1000, 10));
		for subgroup in 0..10 {
			let members = pallet_din_tasks::Subgroups::<Runtime>::get(task, subgroup);
			assert_eq!(members.len(), 100);
			let panel = pallet_din_evaluation::Panels::<Runtime>::get(task, (0, subgroup));
			assert_eq!(panel.len(), 10, "subgroup {subgroup} has a panel of ten");
		}
	});
}
