"""One module per host tool: install/uninstall and its hook handlers."""
