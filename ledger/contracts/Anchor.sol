// SPDX-License-Identifier: MIT
// The ledger's anchor: the operator writes a checkpoint's Merkle root and tree size, and
// anyone holding an RPC URL and this contract's address reads them back from the event log.
pragma solidity 0.8.28;

contract Anchor {
    address public immutable owner;

    event Anchored(bytes32 indexed root, uint64 size);

    error NotOwner();

    constructor() {
        owner = msg.sender;
    }

    function anchor(bytes32 root, uint64 size) external {
        // only the deployer anchors: an event from anyone else would be indistinguishable
        if (msg.sender != owner) revert NotOwner();
        emit Anchored(root, size);
    }
}
