"""Third-party code kept inside graphspec, each file with its licence and the reason it is copied."""
