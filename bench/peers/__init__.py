"""The peers `ero-bench pipeline` measures ours against, each written as its documentation
recommends. Development only: the `bench` extra installs what they need."""
