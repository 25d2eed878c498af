"""Monitor a served model: compare the inputs it receives with the data it was trained on."""
