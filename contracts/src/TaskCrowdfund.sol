// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.20;

import {IDin, DIN_ADDRESS} from "IDin.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";

/// Crowdfunds the reward pool of one DIN task and creates the task through the DIN
/// precompile once the goal is met. The task is owned by this contract's account, which
/// pays the pool from what was raised; its organizer releases the test-set key through it.
///
/// Flow: the organizer prepares the task off chain (`din task create --spec-only`: model,
/// committed test set, spec) and deploys this contract with the spec and the goal; anyone
/// `contribute`s; anyone `launch`es once `raised >= goal`; contributors may `withdraw`
/// until then. Should the task not start (too few participants join), the organizer
/// `cancel`s it before its first round: the pool comes back to this contract and
/// contributors `withdraw` again.
///
/// The pool is raised in the native token (`token` is the zero address: `contribute` with
/// value, in wei, 18 decimals; the spec's pool is in native units, 12 decimals, so the goal
/// must cover `pool * 10^6` wei plus the account's existential deposit) or in an ERC-20
/// (`contributeToken` after an `approve`; the pool of an asset-funded spec is held in the
/// asset whose ERC-20 precompile `token` is, in its own units, so the goal must cover the
/// pool plus the asset's minimum balance, which a hold leaves free: docs/assets.md). The chain also holds a storage deposit for the task until its records are
/// pruned, a retention period after it ended: the launcher sends it with `launch`, apart
/// from the contributions, so that a cancel gives every contributor all of theirs back at
/// once; the organizer `reclaim`s it once the chain has released it.
contract TaskCrowdfund {
    using SafeERC20 for IERC20;

    IDin private constant DIN = IDin(DIN_ADDRESS);

    address public immutable organizer;
    /// What contributions are in: an ERC-20, or the native token (the zero address).
    IERC20 public immutable token;
    uint256 public immutable goal;
    bytes public spec;
    uint256 public raised;
    mapping(address => uint256) public contributions;
    bool public launched;
    bool public cancelled;
    uint32 public task;

    event Contributed(address indexed contributor, uint256 amount);
    event Withdrawn(address indexed contributor, uint256 amount);
    event Launched(uint32 indexed task, uint256 raised);
    event Cancelled(uint32 indexed task);

    error AlreadyLaunched();
    error GoalNotReached(uint256 raised, uint256 goal);
    error NothingToWithdraw();
    error NotOrganizer();
    error NotLaunched();
    error NotCancelled();
    error WrongCurrency();

    constructor(bytes memory taskSpec, uint256 fundingGoal, IERC20 contributionToken) {
        organizer = msg.sender;
        spec = taskSpec;
        goal = fundingGoal;
        token = contributionToken;
    }

    /// Contribute native value (a native-token crowdfund only).
    function contribute() external payable {
        if (address(token) != address(0)) revert WrongCurrency();
        record(msg.value);
    }

    /// Contribute `amount` of `token`, which this contract may spend from the caller (an
    /// ERC-20 crowdfund only).
    function contributeToken(uint256 amount) external {
        if (address(token) == address(0)) revert WrongCurrency();
        token.safeTransferFrom(msg.sender, address(this), amount);
        record(amount);
    }

    function record(uint256 amount) private {
        if (launched) revert AlreadyLaunched();
        contributions[msg.sender] += amount;
        raised += amount;
        emit Contributed(msg.sender, amount);
    }

    /// Take back a contribution before the launch, or after the task was cancelled.
    function withdraw() external {
        if (launched && !cancelled) revert AlreadyLaunched();
        uint256 amount = contributions[msg.sender];
        if (amount == 0) revert NothingToWithdraw();
        contributions[msg.sender] = 0;
        raised -= amount;
        pay(msg.sender, amount);
        emit Withdrawn(msg.sender, amount);
    }

    function pay(address to, uint256 amount) private {
        if (address(token) != address(0)) {
            token.safeTransfer(to, amount);
            return;
        }
        (bool sent, ) = payable(to).call{value: amount}("");
        require(sent, "transfer failed");
    }

    /// Create the task; this contract's account becomes its owner and pays its pool from
    /// the contributions, its storage deposit from what this call sends.
    function launch() external payable returns (uint32) {
        if (launched) revert AlreadyLaunched();
        if (raised < goal) revert GoalNotReached(raised, goal);
        launched = true;
        task = DIN.createTask(spec);
        emit Launched(task, raised);
        return task;
    }

    /// Cancel the launched task before its first round starts (the organizer's call when
    /// too few participants join); its pool comes back here for contributors to withdraw.
    function cancel() external {
        if (msg.sender != organizer) revert NotOrganizer();
        if (!launched || cancelled) revert NotLaunched();
        cancelled = true;
        DIN.cancelTask(task);
        emit Cancelled(task);
    }

    /// After a cancel, send the organizer what this contract holds beyond what contributors
    /// may still withdraw: what the launcher sent, once the chain has released the task's
    /// storage deposit (a retention period after the cancel), and any excess at once. The
    /// deposit is native; in an ERC-20 crowdfund all native value here is spare.
    function reclaim() external {
        if (msg.sender != organizer) revert NotOrganizer();
        if (!cancelled) revert NotCancelled();
        uint256 owed = address(token) == address(0) ? raised : 0;
        uint256 spare = address(this).balance - owed;
        if (spare == 0) revert NothingToWithdraw();
        (bool sent, ) = payable(organizer).call{value: spare}("");
        require(sent, "transfer failed");
        emit Withdrawn(organizer, spare);
    }

    /// Release the task's test-set key (the owner's duty at Scoring), for the organizer.
    function releaseTestKey(bytes calldata key) external {
        if (msg.sender != organizer) revert NotOrganizer();
        DIN.releaseTestKey(task, key);
    }

    /// The launched task's phase and round, read through the precompile.
    function progress() external view returns (uint8 phase, uint32 round, uint256 remaining) {
        (, , phase, round, , , remaining, ) = DIN.taskInfo(task);
    }

    /// Tries to create a task from a static call, which the precompile must refuse; returns
    /// whether the call succeeded (it never should).
    function createInStaticCall() external view returns (bool) {
        (bool ok, ) = DIN_ADDRESS.staticcall(abi.encodeCall(IDin.createTask, (spec)));
        return ok;
    }
}
