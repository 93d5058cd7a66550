"""What residents come for: find an address, see when fibre reaches it and from whom, follow it, report errors."""
