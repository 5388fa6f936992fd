"""Apply stage: write a plan's changes in one locked transaction, with an audit row."""
