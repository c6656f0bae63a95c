"""From a register export to the raw layer: the contract, readers, checks, quarantine."""
