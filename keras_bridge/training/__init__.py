"""The training loop: compile configuration, data handling, progress bar."""
