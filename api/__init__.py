"""The open data API: SDMX REST and a plain JSON/CSV API over the current release's open
bundle (``docs/api.md``). Read-only; it never opens the warehouse nor the restricted bundle."""
