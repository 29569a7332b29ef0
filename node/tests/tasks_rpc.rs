//! A task's life on a running dev node, driven only over JSON-RPC with signed
//! extrinsics: Alice creates a task, Bob bonds and joins, the round starts at the end of
//! registration and assigns Bob a subgroup, Bob submits his update, and the chain records
//! it. State is read back through the `DinApi` runtime API (`state_call`).

mod common;

use codec::{Decode, Encode};
use common::Node;
use din_primitives::{Role, TaskPhase};
use din_runtime::{
	Runtime, RuntimeCall, SignedPayload, TxExtension, UncheckedExtrinsic, UNIT, VERSION,
};
use pallet_din_tasks::{runtime_api::TaskView, types::TaskSpec, UpdateInfo};
use polkadot_sdk::{
	sp_core::{crypto::Pair as _, H256},
	sp_keyring::Sr25519Keyring,
	sp_runtime::{generic, BoundedVec, MultiAddress, MultiSignature},
	*,
};
use serde_json::json;
use std::time::Duration;

type AccountId = din_primitives::AccountId;
type BlockNumber = din_primitives::BlockNumber;

fn hex(bytes: &[u8]) -> String {
	format!("0x{}", bytes.iter().map(|b| format!("{b:02x}")).collect::<String>())
}

fn unhex(s: &str) -> Vec<u8> {
	let s = s.trim_start_matches("0x");
	(0..s.len())
		.step_by(2)
		.map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex"))
		.collect()
}

/// A transaction signed by `who` with an immortal era, as any wallet would build it.
fn signed(call: RuntimeCall, who: Sr25519Keyring, nonce: u32, genesis: H256) -> UncheckedExtrinsic {
	let extension: TxExtension = (
		frame_system::CheckNonZeroSender::<Runtime>::new(),
		frame_system::CheckSpecVersion::<Runtime>::new(),
		frame_system::CheckTxVersion::<Runtime>::new(),
		frame_system::CheckGenesis::<Runtime>::new(),
		frame_system::CheckEra::<Runtime>::from(generic::Era::Immortal),
		frame_system::CheckNonce::<Runtime>::from(nonce),
		frame_system::CheckWeight::<Runtime>::new(),
		pallet_transaction_payment::ChargeTransactionPayment::<Runtime>::from(0),
		pallet_revive::evm::tx_extension::SetOrigin::<Runtime>::default(),
		frame_system::WeightReclaim::<Runtime>::new(),
	);
	// What each extension adds to the signed payload without putting it in the extrinsic.
	let implicit = (
		(),
		VERSION.spec_version,
		VERSION.transaction_version,
		genesis,
		genesis,
		(),
		(),
		(),
		(),
		(),
	);
	let payload = SignedPayload::from_raw(call.clone(), extension.clone(), implicit);
	let signature = payload.using_encoded(|bytes| who.pair().sign(bytes));
	generic::UncheckedExtrinsic::new_signed(
		call,
		MultiAddress::Id(who.to_account_id()),
		MultiSignature::Sr25519(signature),
		extension,
	)
	.into()
}

struct Chain {
	node: Node,
	genesis: H256,
}

impl Chain {
	fn submit(&self, call: RuntimeCall, who: Sr25519Keyring) {
		let nonce = self
			.node
			.rpc("system_accountNextIndex", json!([who.to_account_id().to_string()]))
			.expect("nonce")
			.as_u64()
			.expect("nonce is a number") as u32;
		let xt = signed(call, who, nonce, self.genesis);
		self.node
			.rpc("author_submitExtrinsic", json!([hex(&xt.encode())]))
			.unwrap_or_else(|e| panic!("{who:?}'s transaction rejected: {e}"));
	}

	/// Calls a `DinApi` method at the best block and decodes its answer.
	fn api<T: Decode>(&self, method: &str, args: impl Encode) -> T {
		let out = self
			.node
			.rpc("state_call", json!([format!("DinApi_{method}"), hex(&args.encode())]))
			.expect("state_call");
		T::decode(&mut &unhex(out.as_str().expect("hex result"))[..]).expect("decodes")
	}

	fn wait_until<T>(&mut self, what: &str, mut probe: impl FnMut(&Chain) -> Option<T>) -> T {
		let chain = &*self;
		// Round 0 waits for Charlie to be drawable: an epoch after he joined, about two
		// minutes into the chain.
		let deadline = std::time::Instant::now() + Duration::from_secs(300);
		loop {
			if let Some(v) = probe(chain) {
				return v;
			}
			assert!(
				std::time::Instant::now() < deadline,
				"timed out waiting for {what}\n{}",
				chain.node.log_tail()
			);
			std::thread::sleep(Duration::from_millis(500));
		}
	}
}

fn task_spec() -> TaskSpec<Runtime> {
	// Any bytes the client's `ModelSpec` parser accepts would do; the chain only checks
	// that the descriptor is there and that its sha2-256 is the announced hash. The template
	// reads the chain's minimum bonds, parameters in storage: in empty externalities it gets
	// their genesis values, which the dev chain has too.
	let template = || TaskSpec::template(b"DINM softmax 64x10".to_vec(), 1_000 * UNIT, 3);
	let mut spec = sp_io::TestExternalities::new_empty().execute_with(template);
	spec.rounds = 2;
	spec.phases.registration = 6;
	spec.phases.training = 10;
	spec.min_participant_bond = 10 * UNIT;
	spec
}

#[test]
fn create_join_round_start_and_submit_update_over_rpc() {
	let dir = tempfile::tempdir().expect("temp dir");
	let mut node = Node::start("dev", dir.path(), &["--dev"]);
	node.wait_for("block production", Duration::from_secs(180), |n| {
		n.best_number().filter(|b| *b >= 1)
	});
	let genesis = node.rpc("chain_getBlockHash", json!([0])).expect("genesis hash");
	let genesis = H256::from_slice(&unhex(genesis.as_str().expect("hex")));
	let mut chain = Chain { node, genesis };
	let (alice, bob, charlie) =
		(Sr25519Keyring::Alice, Sr25519Keyring::Bob, Sr25519Keyring::Charlie);
	let bob_id: AccountId = bob.to_account_id();
	let charlie_id: AccountId = charlie.to_account_id();

	// Charlie is the evaluator pool: a round only starts once its panel can be drawn, with
	// randomness fixed an epoch after Charlie joined.
	chain.submit(
		RuntimeCall::Staking(pallet_din_staking::Call::bond {
			role: Role::Evaluator,
			amount: 100 * UNIT,
		}),
		charlie,
	);
	chain.wait_until("charlie's bond", |c| {
		let next = c.node.rpc("system_accountNextIndex", json!([charlie_id.to_string()])).ok()?;
		(next.as_u64()? >= 1).then_some(())
	});
	chain.submit(
		RuntimeCall::Evaluation(pallet_din_evaluation::Call::register_evaluator {}),
		charlie,
	);

	chain.submit(
		RuntimeCall::Tasks(pallet_din_tasks::Call::create_task { spec: task_spec() }),
		alice,
	);
	let task = chain.wait_until("the task to exist", |c| {
		c.api::<Option<TaskView<AccountId, u128, BlockNumber>>>("task", 0u32)
	});
	assert_eq!(task.owner, alice.to_account_id());
	assert_eq!(task.phase, TaskPhase::Registration);
	assert_eq!(task.remaining, 1_000 * UNIT, "the whole pool is escrowed");

	chain.submit(
		RuntimeCall::Staking(pallet_din_staking::Call::bond {
			role: Role::Participant,
			amount: 10 * UNIT,
		}),
		bob,
	);
	chain.wait_until("bob's bond", |c| {
		let next = c.node.rpc("system_accountNextIndex", json!([bob_id.to_string()])).ok()?;
		(next.as_u64()? >= 1).then_some(())
	});
	chain.submit(RuntimeCall::Tasks(pallet_din_tasks::Call::join_task { task: 0 }), bob);
	chain.wait_until("bob to be a participant", |c| {
		c.api::<Vec<AccountId>>("participants", 0u32).contains(&bob_id).then_some(())
	});

	// Registration ends; round 0 starts with a snapshot and a subgroup for bob.
	let (round, subgroup) = chain.wait_until("bob's round-0 assignment", |c| {
		c.api::<Option<(u32, u32)>>("assignment", (0u32, bob_id.clone()))
	});
	assert_eq!((round, subgroup), (0, 0));
	let task = chain
		.api::<Option<TaskView<AccountId, u128, BlockNumber>>>("task", 0u32)
		.expect("task");
	assert_eq!(task.phase, TaskPhase::Training);
	assert_eq!(chain.api::<Vec<Vec<AccountId>>>("subgroups", 0u32), vec![vec![bob_id.clone()]]);

	let commitment = H256::repeat_byte(7);
	chain.submit(
		RuntimeCall::Tasks(pallet_din_tasks::Call::submit_update {
			task: 0,
			round: 0,
			cid: BoundedVec::truncate_from(b"bafkreibobupdate".to_vec()),
			commitment,
			num_samples: 143,
		}),
		bob,
	);
	let update = chain.wait_until("bob's update on chain", |c| {
		c.api::<Option<UpdateInfo<BlockNumber>>>("update", (0u32, 0u32, bob_id.clone()))
	});
	assert_eq!(update.commitment, commitment);
	assert_eq!(update.num_samples, 143);
	assert_eq!(&update.cid[..], b"bafkreibobupdate");
}
