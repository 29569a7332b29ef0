// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.20;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// A plain OpenZeppelin ERC-20: DIN runs unmodified EVM contracts. The deployer gets the
/// whole supply.
contract DinToken is ERC20 {
    constructor(uint256 supply) ERC20("DIN Example Token", "DXT") {
        _mint(msg.sender, supply);
    }
}
