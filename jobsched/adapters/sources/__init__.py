"""Where adapters read from: HTTP (requests + urllib3 Retry), a drop folder, a SQL database."""
