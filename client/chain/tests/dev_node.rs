//! The typed API against a real `din-node --dev`: Charlie bonds as an evaluator and enters
//! the pool, Alice creates a task, Bob bonds and joins; when registration ends, round 0
//! starts (seen in the finalized events stream), Bob is in a subgroup whose panel is
//! Charlie; Alice extends the task by a round and then ends its training after round 0;
//! Bob submits his update, the round's only one, which ends Training early; calls the
//! pallets refuse come back as their named errors. Calls one signer submits at once all land (the nonce race is retried).
//! Every wait is bounded; the node is killed on every path.

use din_chain::{
	din,
	types::{PhaseLengths, RewardAsset, Role, TaskPhase, TaskSpec},
	AccountId32, Chain, Error, Signer, H256, MAX_CID_LEN, UNIT,
};
use futures::StreamExt;
use std::{
	future::Future,
	net::TcpListener,
	path::{Path, PathBuf},
	process::{Child, Command, Stdio},
	time::{Duration, Instant},
};

/// The bound on every wait of this test. The longest is round 0's start: Charlie can only
/// be drawn with randomness fixed an epoch after he joined, about two minutes into the
/// chain.
const WAIT: Duration = Duration::from_secs(300);

/// A running `din-node --dev` on free loopback ports; killed (and reaped) when dropped.
struct Node {
	child: Child,
	rpc_port: u16,
	log: PathBuf,
}

impl Node {
	fn start(dir: &Path) -> Node {
		let bin = node_binary();
		let log = dir.join("din-node.log");
		let log_file = std::fs::File::create(&log).expect("log file in a temp dir");
		let rpc_port = free_port();
		let child = Command::new(&bin)
			.arg("--dev")
			.args(["--base-path", dir.join("node").to_str().expect("utf-8 temp path")])
			.args(["--rpc-port", &rpc_port.to_string()])
			.args(["--prometheus-port", &free_port().to_string()])
			.args(["--no-telemetry", "--no-mdns"])
			.args(["--listen-addr", &format!("/ip4/127.0.0.1/tcp/{}", free_port())])
			.stdout(Stdio::null())
			.stderr(Stdio::from(log_file))
			.spawn()
			.unwrap_or_else(|e| panic!("cannot start {}: {e}", bin.display()));
		Node { child, rpc_port, log }
	}

	fn url(&self) -> String {
		format!("ws://127.0.0.1:{}", self.rpc_port)
	}

	/// Connects once the node answers, or panics with its log after [`WAIT`].
	async fn connect(&mut self) -> Chain {
		let deadline = Instant::now() + WAIT;
		loop {
			match Chain::connect(&self.url()).await {
				Ok(chain) => return chain,
				Err(e) => {
					if let Ok(Some(status)) = self.child.try_wait() {
						panic!("din-node exited ({status}) before answering\n{}", self.log_tail());
					}
					let waited = Instant::now() < deadline;
					assert!(
						waited,
						"din-node did not answer within {WAIT:?}: {e}\n{}",
						self.log_tail()
					);
					tokio::time::sleep(Duration::from_millis(500)).await;
				},
			}
		}
	}

	fn log_tail(&self) -> String {
		let text = std::fs::read_to_string(&self.log).unwrap_or_default();
		let lines: Vec<&str> = text.lines().collect();
		format!(
			"--- last lines of {} ---\n{}",
			self.log.display(),
			lines[lines.len().saturating_sub(40)..].join("\n")
		)
	}
}

impl Drop for Node {
	fn drop(&mut self) {
		let _ = self.child.kill();
		let _ = self.child.wait();
	}
}

/// `$DIN_NODE` (set by `scripts/env.sh`), else the `din-node` Cargo built next to this test
/// (`target/debug/deps/<test>` → `target/debug/din-node`).
fn node_binary() -> PathBuf {
	let bin = std::env::var_os("DIN_NODE").map(PathBuf::from).unwrap_or_else(|| {
		let exe = std::env::current_exe().expect("the test binary's path");
		exe.parent().and_then(Path::parent).expect("target/debug/deps").join("din-node")
	});
	assert!(
		bin.exists(),
		"{} not found: build the workspace first (scripts/env.sh: din_build)",
		bin.display()
	);
	bin
}

fn free_port() -> u16 {
	TcpListener::bind("127.0.0.1:0")
		.and_then(|l| l.local_addr())
		.map(|a| a.port())
		.expect("the OS hands out an ephemeral loopback port")
}

/// Runs `fut` for at most [`WAIT`], or panics naming `what` with the node's log.
async fn within<T>(node: &Node, what: &str, fut: impl Future<Output = T>) -> T {
	match tokio::time::timeout(WAIT, fut).await {
		Ok(v) => v,
		Err(_) => panic!("timed out after {WAIT:?} waiting for {what}\n{}", node.log_tail()),
	}
}

/// A valid task: one round, Q = 1, registration long enough for Bob to join.
fn task_spec() -> TaskSpec {
	let phases = PhaseLengths {
		registration: 10,
		training: 20,
		aggregation_commit: 3,
		aggregation_reveal: 3,
		global_commit: 3,
		global_reveal: 3,
		scoring: 3,
		rewarding: 3,
	};
	TaskSpec::placeholder(b"DINM softmax 64x10", 1_000 * UNIT, phases)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn typed_api_drives_a_task_on_a_dev_node() {
	let dir = tempfile::tempdir().expect("temp dir");
	let mut node = Node::start(dir.path());
	let chain = node.connect().await;
	let alice = Signer::from_uri("//Alice").expect("dev URI");
	let bob = Signer::from_uri("//Bob").expect("dev URI");
	let charlie = Signer::from_uri("//Charlie").expect("dev URI");
	let (bob_id, charlie_id) = (bob.account_id(), charlie.account_id());

	// Bad input is an error before anything is sent, never a panic.
	assert!(matches!(Signer::from_uri("not a secret //"), Err(Error::InvalidSecretUri(_))));
	let too_long = vec![b'x'; MAX_CID_LEN + 1];
	let refused = chain.submit_update(&bob, 0, 0, &too_long, H256::repeat_byte(7), 1).await;
	assert!(matches!(refused, Err(Error::InvalidArgument(_))), "{refused:?}");

	// The dev stablecoin: named and counted as its metadata says; balances in it read
	// whether an account holds any or none (no entry at all).
	let dusd = chain.denomination(&RewardAsset::Asset(1)).await.expect("dUSD exists");
	assert_eq!((dusd.symbol.as_str(), dusd.decimals), ("dUSD", 6));
	let held = chain.asset_balance(1, &bob_id).await.expect("reads");
	assert_eq!((held.free, held.reserved), (1_000_000 * 1_000_000, 0));
	let nobody = AccountId32([0x42; 32]);
	assert_eq!(chain.asset_balance(1, &nobody).await.expect("reads"), Default::default());
	let unknown = chain.denomination(&RewardAsset::Asset(99)).await;
	assert!(matches!(unknown, Err(Error::InvalidArgument(_))), "{unknown:?}");

	// Submissions of one signer racing for one nonce: they read the same next index, the
	// pool refuses all but one as `Priority is too low`, and those are signed again.
	let remarks: Vec<_> = (0..4u8).map(|r| din::tx().system().remark(vec![r])).collect();
	let included = within(&node, "four racing remarks", async {
		futures::future::join_all(remarks.iter().map(|remark| chain.submit(remark, &alice))).await
	})
	.await;
	for (remark, included) in included.iter().enumerate() {
		assert!(included.is_ok(), "remark {remark}: {included:?}");
	}

	// A transaction the pool already holds is followed to its block, never signed again: a
	// second submission of one signed transaction is answered `Transaction Already Imported`
	// (which the fork-aware pool can also answer to the only submission of a transaction),
	// and still yields the inclusion. Should a block include the first copy before the second
	// reaches the pool (a few milliseconds apart), the pool answers "outdated" instead and
	// the pair is tried again with a new transaction.
	let remark = din::tx().system().remark_with_event(b"submitted twice".to_vec());
	let (first, second) = within(&node, "one signed transaction submitted twice", async {
		for _ in 0..3 {
			let signed = chain.sign(&remark, &alice).await.expect("signed");
			// Watched, as the pool keeps a watched transaction from being submitted again.
			let _first = signed.submit_and_watch().await.expect("the first copy enters the pool");
			match chain.submit_signed(&signed).await {
				Err(Error::Rejected(reason)) if reason.contains("outdated") => continue,
				second => return (signed.hash(), second),
			}
		}
		panic!("each first copy was included before its second reached the pool");
	})
	.await;
	let second = second.expect("the copy the pool already holds is found in its block");
	assert_eq!(second.extrinsic_hash, first);
	assert!(second.events.has::<din::system::events::Remarked>(), "its own events");
	// Handed over without waiting: a second copy the pool already holds counts as handed
	// over too, under the same hash (unless a block took the first meanwhile: "outdated").
	let remark = din::tx().system().remark(b"sent, not watched".to_vec());
	let signed = chain.sign(&remark, &alice).await.expect("signed");
	let sent = chain.send_signed(&signed).await.expect("the pool takes it");
	assert_eq!(sent, signed.hash());
	match chain.send_signed(&signed).await {
		Ok(again) => assert_eq!(again, sent),
		Err(Error::Rejected(reason)) if reason.contains("outdated") => {},
		Err(e) => panic!("a copy the pool holds is not an error: {e:?}"),
	}

	// The pool's refusal is `Rejected` with the node's reason: an account with nothing to pay
	// fees with.
	let penniless = Signer::from_uri("//Penniless").expect("dev URI");
	let refused = chain.submit(&remarks[0], &penniless).await;
	assert!(
		matches!(&refused, Err(Error::Rejected(reason)) if reason.contains("pay some fees")),
		"{refused:?}"
	);

	// Charlie becomes the evaluator pool while Bob bonds (twice the task's bond, so that
	// joining again fails on the membership check rather than the stake check).
	let (charlie_registered, bob_bonded) = within(&node, "Charlie's and Bob's bonds", async {
		tokio::join!(
			async {
				chain.bond(&charlie, Role::Evaluator, 100 * UNIT).await?;
				chain.register_evaluator(&charlie).await
			},
			chain.bond(&bob, Role::Participant, 20 * UNIT),
		)
	})
	.await;
	let registered = charlie_registered.expect("Charlie bonds and registers");
	assert!(registered.events.has::<din::evaluation::events::EvaluatorRegistered>());
	let bonded = bob_bonded.expect("Bob bonds");
	let bonded = bonded
		.events
		.find_first::<din::staking::events::Bonded>()
		.expect("a Bonded event")
		.expect("decodes");
	assert_eq!(
		(bonded.who, bonded.role, bonded.amount),
		(bob_id.clone(), Role::Participant, 20 * UNIT)
	);

	// Bonded, Bob records where his store peer listens; the record reads back as written.
	let address = b"/ip4/127.0.0.1/tcp/4001/p2p/bob-as-bytes".to_vec();
	within(&node, "Bob's store peer", chain.set_store_peer(&bob, Some(&address)))
		.await
		.expect("a bonded account records its store peer");
	assert_eq!(chain.store_peer(&bob_id).await.expect("read"), Some(address));
	let too_long = vec![7u8; din_chain::MAX_STORE_PEER_LEN + 1];
	assert!(matches!(
		chain.set_store_peer(&bob, Some(&too_long)).await,
		Err(Error::InvalidArgument(_))
	));

	// Alice creates the task; its id is in the event.
	let included = within(&node, "the task's creation", chain.create_task(&alice, task_spec()))
		.await
		.expect("created");
	let created = included.events.find_first::<din::tasks::events::TaskCreated>();
	let created = created.expect("a TaskCreated event").expect("decodes");
	let task = created.task;
	let info = chain.task(task).await.expect("read").expect("the task is stored");
	assert_eq!(info.owner, alice.account_id());
	assert_eq!(info.phase, TaskPhase::Registration);
	assert_eq!(info.remaining, 1_000 * UNIT, "the whole pool is escrowed");
	assert_eq!(info.spec, task_spec());
	// A storage deposit is held beside the pool until the ended task is pruned.
	let held = included.events.find_first::<din::tasks::events::TaskDepositHeld>();
	let held = held.expect("a TaskDepositHeld event").expect("decodes").deposit;
	assert!(held > 0);
	assert_eq!(chain.task_deposit(task).await.expect("read"), Some(held));

	// Watch finalized blocks from before Bob joins, so the round start cannot be missed.
	let mut events = chain.finalized_events().await.expect("finalized block stream");
	let joined = within(&node, "Bob's join", chain.join_task(&bob, task))
		.await
		.expect("Bob joins");
	assert!(joined.events.has::<din::tasks::events::ParticipantJoined>());
	assert_eq!(chain.participants(task).await.expect("read"), vec![bob_id.clone()]);

	// Registration ends and round 0 starts.
	let started = within(&node, "round 0 to start", async {
		while let Some(block) = events.next().await {
			let block = block.expect("a finalized block's events");
			for started in block.events.find::<din::tasks::events::RoundStarted>() {
				let started = started.expect("decodes");
				if started.task == task && started.round == 0 {
					return started;
				}
			}
			for deferred in block.events.find::<din::tasks::events::RoundDeferred>() {
				eprintln!("round deferred: {:?}", deferred.expect("decodes"));
			}
		}
		panic!("the finalized block stream ended\n{}", node.log_tail());
	})
	.await;
	assert_eq!((started.participants, started.subgroups), (1, 1));
	drop(events);

	let (round, subgroup) =
		chain.assignment(task, &bob_id).await.expect("read").expect("Bob is assigned");
	assert_eq!((round, subgroup), (0, 0));
	assert_eq!(chain.subgroups(task).await.expect("read"), vec![vec![bob_id.clone()]]);
	assert_eq!(
		chain.panel(task, 0, subgroup).await.expect("read"),
		vec![charlie_id.clone()],
		"Charlie holds the seat"
	);
	let view = chain.task_view(task).await.expect("read").expect("the task");
	assert_eq!((view.phase, view.round, view.participants), (TaskPhase::Training, 0, 1));

	// No aggregate commit while Training is open.
	let commit = chain.commit_aggregate(&charlie, task, 0, subgroup, H256::repeat_byte(9));
	let early = within(&node, "Charlie's early commit", commit).await;
	let early = early.expect_err("no aggregate commits during Training");
	assert!(
		early.pallet_error().is_some_and(|e| e.is("Evaluation", "NotAggregationCommit")),
		"{early}"
	);

	// The owner adds a round (with half the pool again: the pool per round holds), then ends
	// training after this round after all; the pool keeps the top-up.
	let extended =
		within(&node, "Alice's extension", chain.extend_task(&alice, task, 1, 1_000 * UNIT))
			.await
			.expect("extended");
	let extended = extended.events.find_first::<din::tasks::events::TaskExtended>();
	let extended = extended.expect("a TaskExtended event").expect("decodes");
	assert_eq!((extended.rounds, extended.top_up), (2, 1_000 * UNIT));
	let short =
		within(&node, "a top-up below the pool's share", chain.extend_task(&alice, task, 1, UNIT))
			.await
			.expect_err("a top-up must keep the pool per round");
	assert!(short.pallet_error().is_some_and(|e| e.is("Tasks", "TopUpTooSmall")), "{short}");
	let ended = within(&node, "Alice's end of training", chain.end_training(&alice, task))
		.await
		.expect("ended");
	assert!(ended.events.has::<din::tasks::events::TrainingEndsAfterRound>());
	let info = chain.task(task).await.expect("read").expect("the task");
	assert_eq!((info.spec.rounds, info.remaining), (1, 2_000 * UNIT));

	// Bob trains and submits his update, the round's only one: Training ends at the next
	// block instead of its deadline.
	let commitment = H256::repeat_byte(7);
	let submit = chain.submit_update(&bob, task, 0, b"bafkreibobupdate", commitment, 143);
	let submitted = within(&node, "Bob's update", submit).await.expect("Bob's update is accepted");
	let update = submitted
		.events
		.find_first::<din::tasks::events::UpdateSubmitted>()
		.expect("an UpdateSubmitted event")
		.expect("decodes");
	assert_eq!(
		(update.who, update.subgroup, update.commitment, update.num_samples),
		(bob_id.clone(), subgroup, commitment, 143)
	);
	assert_eq!(update.cid.0, b"bafkreibobupdate");
	let closed = submitted.events.find_first::<din::tasks::events::PhaseClosedEarly>();
	let closed = closed.expect("a PhaseClosedEarly event").expect("decodes");
	assert_eq!((closed.task, closed.round, closed.phase), (task, 0, TaskPhase::Training));

	// Calls the pallets refuse fail with the pallet's error, by name.
	let again = within(&node, "Bob's second join", chain.join_task(&bob, task)).await;
	let again = again.expect_err("joining twice fails");
	assert!(again.pallet_error().is_some_and(|e| e.is("Tasks", "AlreadyJoined")), "{again}");
	eprintln!("refused as expected: {again}; {early}; {short}");

	// Nothing is settled yet.
	assert_eq!(chain.subgroup_result(task, 0, subgroup).await.expect("read"), None);
	assert_eq!(chain.global_model(task, 0).await.expect("read"), None);
	assert_eq!(chain.settlement(task).await.expect("read"), None);
}

/// The council's motions on a dev node (its council: Alice, Bob, Charlie): a whitelisting
/// needs two of three ayes; one member alone, a non-member and an early close achieve
/// nothing; a dispatched call that fails comes back as its own named error.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn council_motions_whitelist_an_upgrade_only_with_two_thirds() {
	let dir = tempfile::tempdir().expect("temp dir");
	let mut node = Node::start(dir.path());
	let chain = node.connect().await;
	let [alice, bob, charlie, dave] = ["//Alice", "//Bob", "//Charlie", "//Dave"]
		.map(|uri| Signer::from_uri(uri).expect("dev URI"));

	let council = within(&node, "the council", chain.council()).await.expect("reads");
	let members = [&alice, &bob, &charlie].map(Signer::account_id);
	assert_eq!(council.members.len(), 3);
	assert!(members.iter().all(|m| council.members.contains(m)), "{council:?}");
	assert_eq!(council.two_thirds(), 2);

	// Not runtime code: enough to whitelist, refused once dispatched.
	let upgrade = within(
		&node,
		"the upgrade's weight",
		chain.runtime_upgrade(b"\0asm not a runtime".to_vec()),
	)
	.await
	.expect("weighed");
	let whitelist = Chain::whitelist_motion(&upgrade);

	let outsider =
		within(&node, "a non-member's motion", chain.propose_motion(&dave, whitelist.clone(), 2))
			.await
			.expect_err("only members propose");
	assert!(outsider.pallet_error().is_some_and(|e| e.is("Council", "NotMember")), "{outsider}");
	// A threshold of one runs the call at once as one member of three: not two thirds.
	let alone =
		within(&node, "one member's motion", chain.propose_motion(&alice, whitelist.clone(), 1))
			.await
			.expect_err("one member cannot whitelist");
	assert!(matches!(&alone, Error::Dispatch(e) if e.contains("BadOrigin")), "{alone}");

	let din_chain::Proposal::Open { hash, .. } =
		within(&node, "the motion", chain.propose_motion(&alice, whitelist, 2))
			.await
			.expect("moved")
	else {
		panic!("a motion of threshold 2 waits for a second aye");
	};
	let motions = within(&node, "the council", chain.council()).await.expect("reads").motions;
	assert_eq!(motions.len(), 1);
	assert_eq!((motions[0].call.as_str(), motions[0].ayes.len()), ("Whitelist.whitelist_call", 0));
	within(&node, "Alice's aye", chain.vote_motion(&alice, hash, true))
		.await
		.expect("voted");
	let early = within(&node, "an early close", chain.close_motion(&dave, hash))
		.await
		.expect_err("one aye of two, before the motion's end");
	assert!(early.pallet_error().is_some_and(|e| e.is("Council", "TooEarly")), "{early}");
	assert!(!chain.is_whitelisted(upgrade.call_hash).await.expect("reads"));

	within(&node, "Bob's aye", chain.vote_motion(&bob, hash, true))
		.await
		.expect("voted");
	let closed = within(&node, "the close", chain.close_motion(&dave, hash))
		.await
		.expect("closed");
	assert_eq!(closed, din_chain::Closed::Executed);
	assert!(chain.is_whitelisted(upgrade.call_hash).await.expect("reads"));
	assert!(within(&node, "the council", chain.council())
		.await
		.expect("reads")
		.motions
		.is_empty());

	// Anyone notes the call; noting it again is no second deposit.
	let noted =
		within(&node, "the preimage", chain.note_preimage(&dave, upgrade.call.clone())).await;
	assert_eq!(noted.expect("noted"), upgrade.call_hash);
	let again =
		within(&node, "the preimage again", chain.note_preimage(&dave, upgrade.call.clone()));
	assert_eq!(again.await.expect("already noted"), upgrade.call_hash);

	// Two thirds dispatch it as Root; `set_code` refuses what is no runtime, and that is
	// the error the close reports (the dispatch itself succeeds whatever its call does).
	let din_chain::Proposal::Open { hash, .. } = within(
		&node,
		"the dispatch motion",
		chain.propose_motion(&bob, Chain::dispatch_motion(&upgrade), 2),
	)
	.await
	.expect("moved") else {
		panic!("a motion of threshold 2 waits for a second aye");
	};
	within(&node, "Bob's aye", chain.vote_motion(&bob, hash, true))
		.await
		.expect("voted");
	within(&node, "Charlie's aye", chain.vote_motion(&charlie, hash, true))
		.await
		.expect("voted");
	let refused = within(&node, "the dispatch", chain.close_motion(&alice, hash))
		.await
		.expect_err("no runtime in the code");
	assert!(refused.pallet_error().is_some_and(|e| e.pallet == "System"), "{refused}");
	assert!(
		!chain.is_whitelisted(upgrade.call_hash).await.expect("reads"),
		"the whitelisting is spent"
	);
}
