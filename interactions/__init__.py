"""The `interactions` command-line tool: build the marts, serve the API, import workbooks."""
