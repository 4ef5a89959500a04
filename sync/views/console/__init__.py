"""The console screens: dashboard, exceptions, job explorer, mappings, audit log, connections."""
