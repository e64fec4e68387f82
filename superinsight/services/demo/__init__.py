"""The demo workspace: made-up data, and loading it with accounts to try every role."""
