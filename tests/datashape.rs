//! Data-driven datashape tests: see `tests/data/datashape/README.md`.
