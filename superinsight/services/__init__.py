"""The one door every face (pages, CLI, worker) goes through."""
