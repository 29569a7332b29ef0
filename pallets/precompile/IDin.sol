// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.20;

// Where the DIN precompile lives on every DIN chain.
address constant DIN_ADDRESS = 0x000000000000000000000000000000000d100000;

/// The DIN protocol from Solidity: read tasks, assignments, bonds and reputation, and act
/// as the caller's account (create a task, extend it or end its training, join it, bond,
/// unbond, release a test key), and get every fund back (leave a task, cancel an unstarted one, withdraw unbonded funds).
///
/// The caller is `msg.sender` of the call to this address: an externally owned account or
/// a contract, each with its mapped Substrate account (`pallet-revive`'s address mapping),
/// which is the account that owns the task, pays the pool, holds the bond.
///
/// Amounts are in the chain's native unit (12 decimals), not in the EVM's 18-decimal wei:
/// 1 DIN = 10^12 here = 10^18 wei of `msg.value`.
///
/// Actions fail in a static call (pallet-revive's StateChangeDenied) and in a delegate call
/// (PrecompileDelegateDenied); a call the chain refuses reverts with `Error(string)` naming
/// the pallet error (e.g. "StakeTooLow").
interface IDin {
    /// `Role` values: 0 participant, 1 evaluator.
    /// `TaskPhase` values: 0 Registration, 1 Training, 2 AggregationCommit,
    /// 3 AggregationReveal, 4 GlobalCommit, 5 GlobalReveal, 6 Scoring, 7 Rewarding,
    /// 8 Finished, 9 Cancelled.

    /// A task was created through this precompile; `owner` is the caller. `reward` (like
    /// `taskInfo`'s `remaining`) is in the unit of the pool's asset: native units (12
    /// decimals), or the asset's own units when the spec's pool names a pallet-assets asset
    /// (docs/assets.md), which the caller then holds as an ERC-20.
    event TaskCreated(uint32 indexed task, address indexed owner, uint256 reward);
    /// `participant` joined `task` through this precompile.
    event TaskJoined(uint32 indexed task, address indexed participant);
    /// `who` bonded `amount` more for `role` through this precompile.
    event Bonded(address indexed who, uint8 role, uint256 amount);
    /// `who` started unbonding `amount` of `role` through this precompile.
    event Unbonded(address indexed who, uint8 role, uint256 amount);
    /// `participant` left `task` through this precompile; its bond is no longer locked.
    event TaskLeft(uint32 indexed task, address indexed participant);
    /// `owner` cancelled `task` through this precompile; `refund` went back to it.
    event TaskCancelled(uint32 indexed task, address indexed owner, uint256 refund);
    /// `who` withdrew `amount` of matured unbonding funds of `role` through this precompile.
    event Withdrawn(address indexed who, uint8 role, uint256 amount);
    /// The owner of `task` gave it `rounds` rounds in all, adding `topUp` to its pool,
    /// through this precompile.
    event TaskExtended(uint32 indexed task, uint32 rounds, uint256 topUp);
    /// The owner of `task` made `round` its last through this precompile.
    event TrainingEnded(uint32 indexed task, uint32 round);

    /// The id the next created task gets.
    function nextTaskId() external view returns (uint32);

    /// A task's state; `exists` is false (and the rest zero) for an unknown id.
    /// `participants` counts the task's participant list, where one that left stays until
    /// the first round starts.
    function taskInfo(uint32 id)
        external
        view
        returns (
            bool exists,
            address owner,
            uint8 phase,
            uint32 round,
            uint32 rounds,
            uint64 phaseEnds,
            uint256 remaining,
            uint32 participants
        );

    /// The subgroup `participant` trains in during the current round of `id`;
    /// `assigned` is false outside round phases or when it was not drawn.
    function assignment(uint32 id, address participant)
        external
        view
        returns (bool assigned, uint32 round, uint32 subgroup);

    /// `who`'s bond for `role`: active (counted for duties), the locked part of it
    /// (backing duties), and what is unbonding.
    function bondOf(address who, uint8 role)
        external
        view
        returns (uint256 active, uint256 locked, uint256 unbonding);

    /// `who`'s soulbound reputation as `role` (0 participant, 1 evaluator): each role
    /// earns its own, and only the evaluator score weights evaluator draws.
    function reputation(address who, uint8 role) external view returns (uint32);

    /// Create a task owned by the caller, holding `spec`'s reward pool from its balance,
    /// and a storage deposit besides (reverts "InsufficientBalanceForDeposit"): the tasks
    /// pallet's `TaskDepositBase` + `TaskDepositPerByte` per byte of `spec` +
    /// `TaskDepositPerRound` per round, released when the task's records are pruned,
    /// `RecordRetention` blocks after it ended.
    /// `spec` is the SCALE encoding of `pallet_din_tasks::TaskSpec`, as
    /// `din task create --spec-only` prints it (the model, test-set commitment and, for
    /// zk scoring, verifying key must be prepared off chain first).
    function createTask(bytes calldata spec) external returns (uint32 id);

    /// Give task `id` (the caller must own it; before Scoring) `rounds` more rounds,
    /// holding `topUp` more from the caller's balance for its pool. The top-up must keep the
    /// pool per round: at least the pool times `rounds` divided by the rounds it had,
    /// rounded up (reverts "TopUpTooSmall"); at most the chain's maximum rounds in all
    /// (reverts "TooManyRounds").
    function extendTask(uint32 id, uint32 rounds, uint256 topUp) external;

    /// Make the current round of task `id` its last (the caller must own it; during a
    /// round that is not already the last). The pool stays whole: it is paid out over the
    /// rounds run. Reverts "NotInRound" outside a round, "AlreadyLastRound" in the last.
    function endTraining(uint32 id) external;

    /// Join task `id` as a participant (needs an unlocked participant bond).
    function joinTask(uint32 id) external;

    /// Leave task `id`; the lock on the caller's participant bond is released when the
    /// first round starts (or the task ends before). Only before its first round starts:
    /// from then on the lock backs the caller's updates until the task ends (reverts
    /// "TaskAlreadyStarted"); a second leave reverts "AlreadyLeft".
    function leaveTask(uint32 id) external;

    /// Cancel task `id` (the caller must own it; before its first round starts) and get
    /// its whole pool back (the storage deposit comes back when the task is pruned).
    /// Releases every participant's lock.
    function cancelTask(uint32 id) external;

    /// Bond `amount` more for `role`, held from the caller's balance.
    function bond(uint8 role, uint256 amount) external;

    /// Start unbonding `amount` of the caller's active bond for `role`.
    function unbond(uint8 role, uint256 amount) external;

    /// Move every matured unbonding chunk of the caller's `role` bond back to its free
    /// balance; returns the amount. Reverts "NothingToWithdraw" when none has matured.
    function withdrawUnbonded(uint8 role) external returns (uint256 amount);

    /// Release the test-set key of task `id` (the caller must own it; Scoring phase).
    function releaseTestKey(uint32 id, bytes calldata key) external;
}
