"""Business rules: drafts and their checks, commands, testing, applying as a job, what runs teach, views."""
